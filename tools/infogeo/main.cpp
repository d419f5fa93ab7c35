// infogeo command-line tool: dispatches to the self-registered subcommands (registry.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>

#include "infogeo/version.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  using namespace infogeo::cli;
  CLI::App app{"infogeo: entropy, mutual information and neural-collapse measurements"};
  app.set_version_flag("--version", std::string("infogeo ") + infogeo::version_string);
  app.require_subcommand(1);

  auto registered = commands();
  std::sort(registered.begin(), registered.end(),
            [](const command& a, const command& b) { return a.name < b.name; });
  std::map<CLI::App*, std::function<json()>> runners;
  for (auto& c : registered) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    runners[sub] = c.setup(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "infogeo: " << e.what() << "\n";
    return 2;
  }

  try {
    refuse_non_finite_options(app);
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) {
        const json result = run();
        std::cout << result.dump(2) << std::endl;
        return 0;
      }
    }
    std::cerr << "infogeo: no subcommand given\n";
    return 2;
  } catch (const infogeo::invalid_argument& e) {
    std::cerr << "infogeo: error: " << e.what() << "\n";
    return 2;
  } catch (const infogeo::refused_error& e) {
    // A refusal: no value is printed; the reasons go to stderr, machine-readable on the last line.
    std::cerr << "infogeo: refused: " << e.what() << "\n";
    std::cerr << infogeo::cli::to_json(e.reasons()).dump() << "\n";
    return 1;
  } catch (const infogeo::numerical_error& e) {
    // The data leave no honest number (e.g. coinciding class means, diverged training): not a
    // bug in the tool, so do not call it an internal error; still exit 1 (not bad input).
    std::cerr << "infogeo: numerical error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "infogeo: internal error: " << e.what() << "\n";
    return 1;
  }
}
