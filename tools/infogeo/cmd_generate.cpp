// `infogeo generate TASK ... --out DIR`: writes a synthetic data set with known truth as .npy
// files and prints one JSON object whose "value" is the true MI or entropy in nats.
// `infogeo generate --list` prints the task families and their parameters.
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "infogeo/core/memory.hpp"
#include "infogeo/harness/task.hpp"
#include "infogeo/io/npy.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

struct generate_args {
  std::string task;
  bool list = false;
  long long n = 1000;
  std::uint64_t seed = 0;
  std::string dims;
  double mi = std::numeric_limits<double>::quiet_NaN();
  std::string transform;
  double nu = std::numeric_limits<double>::quiet_NaN();
  int classes = 0;
  double sigma_z = std::numeric_limits<double>::quiet_NaN();
  double sigma_n = std::numeric_limits<double>::quiet_NaN();
  double sigma = std::numeric_limits<double>::quiet_NaN();
  double variance = std::numeric_limits<double>::quiet_NaN();
  std::string mapping;
  bool bits = false;
  int levels = 0;
  int size = 0;
  std::string out;
};

void save_matrix(const std::string& path, const row_matrix<double>& m) {
  io::save_npy(path, m.data(), {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())});
}

json list_tasks() {
  json j;
  j["tasks"] = json::array();
  for (const auto& f : harness::task_families()) {
    json t;
    t["name"] = f.name;
    t["quantity"] = harness::quantity_name(f.kind);
    t["truth"] = f.truth;
    t["source"] = f.source;
    t["parameters"] = f.parameters;
    t["files"] = f.kind == harness::quantity::entropy ? json::array({"x.npy"})
                 : f.kind == harness::quantity::mi   ? json::array({"x.npy", "y.npy"})
                                                     : json::array({"x.npy", "z.npy", "labels.npy"});
    if (f.name == "dropout-toy") t["files"].push_back("fx.npy");
    j["tasks"].push_back(t);
  }
  j["transforms"] = json::array();
  for (const auto& [name, kind] : synthetic::transform_names()) j["transforms"].push_back(name);
  return j;
}

json run_generate(const generate_args& a) {
  if (a.list) return list_tasks();
  require(!a.task.empty(), "generate", "TASK is required (or --list)");
  require(!a.out.empty(), "generate", "--out DIR is required");
  require(a.n >= 1 && a.n <= 100000000, "generate", "--n must be in [1, 1e8] (n=", a.n, ")");
  harness::task_params p;
  if (!a.dims.empty()) {
    const auto d = parse_int_list(a.dims, "--dims");
    require(d.size() == 1 || d.size() == 2, "generate", "--dims takes D or DX,DY (dims=", a.dims, ")");
    p.dx = d[0];
    p.dy = d.size() == 2 ? d[1] : 0;
    require(p.dx >= 1 && (d.size() == 1 || p.dy >= 1), "generate", "--dims must be positive (dims=", a.dims, ")");
  }
  p.mi = a.mi;
  p.transform = a.transform;
  p.nu = a.nu;
  p.classes = a.classes;
  p.sigma_z = a.sigma_z;
  p.sigma_n = a.sigma_n;
  p.sigma = resolve_sigma(a.sigma, a.variance, "generate");
  p.mapping = a.mapping;
  p.levels = a.levels;
  p.size = a.size;
  {
    // Input hygiene: --out must be a directory (or not exist yet), checked before anything is drawn.
    std::error_code ec;
    const std::filesystem::path out_path(a.out);
    require(!std::filesystem::exists(out_path, ec) || std::filesystem::is_directory(out_path, ec), "generate",
            "--out must name a directory to write the .npy files into; it names an existing file (out=", a.out, ")");
    // The generated arrays (x, y or z, the clean layer f(x), image pixels) must fit: refused with the
    // estimated bytes before they are drawn.
    const double dx = p.dx > 0 ? static_cast<double>(p.dx) : 1.0, dy = p.dy > 0 ? static_cast<double>(p.dy) : dx,
                 side = a.size > 0 ? static_cast<double>(a.size) : 0.0;
    const double per_row = 2.0 * dx + dy + side * side;
    memory_check(array_bytes({static_cast<double>(a.n), per_row}), "generate",
                 "--n " + std::to_string(a.n) + (a.dims.empty() ? std::string() : " with --dims " + a.dims) +
                     (a.size > 0 ? " and --size " + std::to_string(a.size) : std::string()));
  }
  const harness::task t = harness::make_task(a.task, p);
  const harness::task_data d = t.generate(static_cast<index_t>(a.n), a.seed);
  std::error_code made;
  std::filesystem::create_directories(a.out, made);
  require(!made, "generate", "--out: cannot create the directory (", made.message(), ") (out=", a.out, ")");
  const std::filesystem::path dir(a.out);
  json files = json::array();
  save_matrix((dir / "x.npy").string(), d.x);
  files.push_back((dir / "x.npy").string());
  if (t.kind == harness::quantity::mi) {
    save_matrix((dir / "y.npy").string(), d.y);
    files.push_back((dir / "y.npy").string());
  } else if (t.kind == harness::quantity::conditional_mi) {
    save_matrix((dir / "z.npy").string(), d.y);
    io::save_npy((dir / "labels.npy").string(), d.labels.data(), {d.labels.size()});
    files.push_back((dir / "z.npy").string());
    files.push_back((dir / "labels.npy").string());
  }
  if (d.clean.size() > 0) {  // the noise-free layer f(x), for `mi --method noisy fx.npy --sigma S`
    save_matrix((dir / "fx.npy").string(), d.clean);
    files.push_back((dir / "fx.npy").string());
  }
  json j;
  j["value"] = d.truth;
  j["unit"] = "nats";
  j["bits"] = to_bits(d.truth);
  j["quantity"] = harness::quantity_name(t.kind);
  j["task"] = t.family;
  j["name"] = t.name;
  j["n"] = a.n;
  j["seed"] = a.seed;
  j["dims"] = {{"x", d.x.cols()}, {"y", d.y.cols()}};
  j["files"] = files;
  if (a.bits) express_in_bits(j, "generate");
  return j;
}

const command_registrar generate_command{command{
    "generate", "synthetic data with known MI / entropy (writes .npy, prints the truth in nats)",
    [](CLI::App& app) {
      auto a = std::make_shared<generate_args>();
      app.add_option("task", a->task, "task name (see --list), e.g. gaussian-mi");
      app.add_flag("--list", a->list, "print the tasks and their parameters as JSON");
      app.add_option("--n", a->n, "number of samples (default 1000)");
      app.add_option("--seed", a->seed, "random seed (default 0)");
      app.add_option("--dims", a->dims, "DX,DY for MI tasks, D for entropy / toy tasks");
      app.add_option("--mi", a->mi, "prescribed mutual information in nats");
      app.add_option("--transform", a->transform, "MI-preserving map applied to X and Y (gaussian-mi, student-t-mi)");
      app.add_option("--nu", a->nu, "Student-t degrees of freedom");
      app.add_option("--classes", a->classes, "class-toy: number of classes")->check(checks::positive_count());
      app.add_option("--sigma-z", a->sigma_z, "class-toy: within-class encoder std");
      app.add_option("--sigma-n", a->sigma_n, "class-toy: noise std");
      app.add_option("--sigma", a->sigma, "dropout-toy(-levels): multiplicative noise std, D ~ N(1, sigma^2)")
          ->check(checks::finite_number("nonnegative"));
      app.add_option("--variance", a->variance, "dropout-toy(-levels): the noise as a variance sigma^2 (instead of --sigma)")
          ->check(checks::finite_number("nonnegative"));
      app.add_option("--levels", a->levels, "dropout-toy-levels: number of input levels")->check(checks::positive_count());
      app.add_option("--mapping", a->mapping,
                     "image tasks: infogeo (default) | authors (Butakov et al. 2024's renderers, to overlay their curves)");
      app.add_option("--size", a->size, "image tasks: image side in pixels (16 or 32)")->check(checks::positive_count());
      app.add_option("--out", a->out, "output directory");
      app.add_flag("--bits", a->bits, "report the truth \"value\" in bits (\"value_nats\" keeps nats)");
      return [a]() { return run_generate(*a); };
    }}};

}  // namespace
}  // namespace infogeo::cli
