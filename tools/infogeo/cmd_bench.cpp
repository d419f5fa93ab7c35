// `infogeo bench`: every registered estimator (bench_estimators.cpp) on every task of a suite
// with known truth; truth, mean, bias, std, RMSE and median seconds per (estimator, task).
// stdout: one JSON summary object (the CLI contract), or the markdown table with
// --format markdown. --out CSV, --markdown FILE, --plot SVG write the other forms.
// Exit status: 0 clean; 3 when any estimator failed (threw, or returned NaN/Inf) — the outputs
// are still written and the failures are listed, never hidden; 2 for bad options.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "infogeo/harness/harness.hpp"
#include "infogeo/version.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

struct bench_args {
  std::string suite = "quick";
  long long n = 0;
  int reps = 0;
  std::string estimators;
  std::string tasks;
  int threads = 0;
  bool parallel_cells = false;
  std::uint64_t seed = 20240601;
  std::string out;
  std::string markdown;
  std::string plot;
  std::string format = "json";
  bool list = false;
  bool inject_failure = false;
};

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += text[i];
    }
  }
  return out;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  require(static_cast<bool>(f), "bench", "cannot open output file (path=", path, ")");
  f << text;
  require(static_cast<bool>(f), "bench", "failed writing output file (path=", path, ")");
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json run_bench_command(const bench_args& a) {
  require(a.format == "json" || a.format == "markdown", "bench", "--format must be json or markdown (format=",
          a.format, ")");
  require(a.n >= 0 && a.n <= 10000000, "bench", "--n must be in [0, 1e7] (n=", a.n, ")");
  require(a.reps >= 0 && a.reps <= 10000, "bench", "--reps must be in [0, 10000] (reps=", a.reps, ")");
  require(a.threads >= 0, "bench", "--threads must be >= 0 (threads=", a.threads, ")");
  harness::suite s = harness::make_suite(a.suite);
  std::vector<harness::estimator> all = harness::estimator_registry();
  if (a.inject_failure) {
    harness::estimator bad;
    bad.name = "injected-failure";
    bad.description = "always throws (tests the failure path)";
    bad.entropy = [](const row_matrix<double>&) -> double { throw std::runtime_error("injected failure"); };
    bad.mi = [](const row_matrix<double>&, const row_matrix<double>&) -> double {
      throw std::runtime_error("injected failure");
    };
    all.push_back(bad);
  }
  if (a.list) {
    json j;
    j["suite"] = s.name;
    j["n"] = s.n;
    j["reps"] = s.reps;
    j["tasks"] = json::array();
    for (const auto& t : s.tasks)
      j["tasks"].push_back({{"name", t.name}, {"family", t.family}, {"quantity", harness::quantity_name(t.kind)},
                            {"truth", t.truth}, {"dims", t.dims}});
    j["estimators"] = json::array();
    for (const auto& e : all) {
      json ej = {{"name", e.name}, {"description", e.description}, {"entropy", bool(e.entropy) || bool(e.entropy_estimate)},
                 {"mi", bool(e.mi) || bool(e.mi_estimate)}, {"slow", e.slow}};
      if (e.max_dims > 0) ej["max_dims"] = e.max_dims;
      j["estimators"].push_back(ej);
    }
    return j;
  }
  // The quick suite leaves slow (trained) estimators out unless they are named with --estimators.
  std::vector<harness::estimator> candidates;
  json excluded = json::array();
  for (const auto& e : all) {
    if (a.estimators.empty() && s.name == "quick" && e.slow) excluded.push_back(e.name);
    else candidates.push_back(e);
  }
  const auto estimators = harness::select_estimators(candidates, split_names(a.estimators));
  const auto tasks = harness::select_tasks(s.tasks, split_names(a.tasks));
#ifdef _OPENMP
  if (a.threads > 0) omp_set_num_threads(a.threads);
  const int threads = omp_get_max_threads();
#else
  const int threads = 1;
#endif
  harness::bench_options o;
  o.n = a.n > 0 ? static_cast<index_t>(a.n) : s.n;
  o.reps = a.reps > 0 ? a.reps : s.reps;
  o.seed = a.seed;
  o.parallel_cells = a.parallel_cells;
  const bool tty = isatty(fileno(stderr)) != 0;
  std::string last_task;
  o.progress = [&](std::size_t done, std::size_t total, const std::string& what) {
    if (tty) {
      const int width = 30;
      const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) / static_cast<double>(total));
      std::fprintf(stderr, "\r[%s%s] %zu/%zu %-60.60s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total, what.c_str());
      if (done == total) std::fprintf(stderr, "\n");
    } else {
      const std::string task = what.substr(0, what.find(" / "));
      if (task != last_task) {
        std::fprintf(stderr, "bench: [%zu/%zu] %s\n", done, total, task.c_str());
        last_task = task;
      }
    }
  };
  log("bench: suite " + s.name + ", " + std::to_string(tasks.size()) + " tasks x " +
      std::to_string(estimators.size()) + " estimators, n=" + std::to_string(o.n) + ", reps=" +
      std::to_string(o.reps) + ", threads=" + std::to_string(threads) +
      (o.parallel_cells ? ", cells in parallel" : ""));
  const auto start = std::chrono::steady_clock::now();
  const auto rows = harness::run_bench(tasks, estimators, o);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The per-estimator summary heads the table (docs/results.md): status counts from the verdicts,
  // cells within the stated tolerance, mean |bias|, and "ok" cells beyond tolerance.
  const std::string table = "## Per-estimator summary\n\n" + harness::summary_markdown(rows) +
                            "\n## Every (task, estimator) cell\n\n" + harness::to_markdown(rows);
  if (!a.out.empty()) write_file(a.out, harness::to_csv(rows));
  if (!a.markdown.empty()) write_file(a.markdown, table);
  if (!a.plot.empty())
    write_file(a.plot, harness::to_svg(rows, "infogeo bench, suite " + s.name + ", n=" + std::to_string(o.n)));
  const auto failed = harness::failures(rows);
  json j;
  j["suite"] = s.name;
  j["n"] = o.n;
  j["reps"] = o.reps;
  j["seed"] = o.seed;
  j["threads"] = threads;
  j["parallel_cells"] = o.parallel_cells;
  j["seconds"] = elapsed;
  j["version"] = infogeo::version_string;
  j["estimators"] = json::array();
  for (const auto& e : estimators) j["estimators"].push_back(e.name);
  j["excluded_slow"] = excluded;
  j["rows"] = json::array();
  for (const auto& r : rows) {
    if (r.status == harness::cell_status::skipped) continue;
    json rj = {{"estimator", r.estimator}, {"task", r.task},     {"quantity", harness::quantity_name(r.kind)},
               {"truth", r.truth},         {"mean", number_or_null(r.mean)}, {"bias", number_or_null(r.bias)},
               {"std", number_or_null(r.stddev)}, {"rmse", number_or_null(r.rmse)},
               {"median_seconds", number_or_null(r.median_seconds)}, {"reps", r.reps},
               {"status", harness::status_name(r.status)}};
    if (!r.message.empty()) rj["message"] = r.message;
    j["rows"].push_back(rj);
  }
  j["failed"] = failed;
  j["outputs"] = {{"csv", a.out}, {"markdown", a.markdown}, {"plot", a.plot}};
  for (const auto& f : failed) log("bench: FAILED: " + f);
  if (!failed.empty()) {
    // The JSON (or table) is still the one thing on stdout; the exit status says it failed.
    if (a.format == "markdown") std::cout << table << std::flush;
    else std::cout << j.dump(2) << std::endl;
    log("bench: " + std::to_string(failed.size()) + " failing (estimator, task) cell(s); exit status 3");
    std::exit(3);
  }
  if (a.format == "markdown") {
    std::cout << table << std::flush;
    std::exit(0);  // the table replaces the JSON object on stdout (documented in docs/harness.md)
  }
  return j;
}

const command_registrar bench_command{command{
    "bench", "benchmark every estimator on tasks with known truth (bias, std, RMSE, time)",
    [](CLI::App& app) {
      auto a = std::make_shared<bench_args>();
      app.add_option("--suite", a->suite, "quick | standard | full (default quick)");
      app.add_option("--n", a->n, "samples per data set (default: the suite's)");
      app.add_option("--reps", a->reps, "independent data sets per task (default: the suite's)");
      app.add_option("--estimators", a->estimators, "comma-separated estimator names (default: all)");
      app.add_option("--tasks", a->tasks, "comma-separated task families or full task names (default: all)");
      app.add_option("--threads", a->threads, "OpenMP threads for the estimators (default: OMP default)");
      app.add_flag("--parallel-cells", a->parallel_cells,
                   "evaluate each task's (estimator, rep) cells concurrently on the threads: same values and "
                   "verdicts, times include contention (for the single-threaded trained estimators)");
      app.add_option("--seed", a->seed, "base seed (default 20240601)");
      app.add_option("--out", a->out, "write the results as CSV to this file");
      app.add_option("--markdown", a->markdown, "write the markdown table to this file");
      app.add_option("--plot", a->plot, "write an SVG plot of estimate vs truth to this file");
      app.add_option("--format", a->format, "stdout: json (default, the CLI contract) or markdown (the table)");
      app.add_flag("--list", a->list, "print the suite's tasks and the registered estimators as JSON");
      app.add_flag("--inject-failure", a->inject_failure, "add an always-throwing estimator (tests the exit status)");
      return [a]() { return run_bench_command(*a); };
    }}};

}  // namespace
}  // namespace infogeo::cli
