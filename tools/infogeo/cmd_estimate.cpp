// `infogeo entropy` and `infogeo mi`: one option set, the method chosen by --method; each
// estimator family registers its methods in its own file (registry.hpp), declaring the options it
// reads. An option given to a method that does not declare it is refused here (exit 2), so no
// option is ever silently ignored.
//
// Adding an option: a field in estimator_args (registry.hpp), one add_option line below, and its
// name in the `options` of every method that reads it.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "infogeo/core/memory.hpp"
#include "infogeo/core/verdict.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

const method* find_method(const std::string& family, const std::string& name) {
  for (const auto& m : methods())
    if (m.family == family && m.name == name) return &m;
  return nullptr;
}

std::string known_methods(const std::string& family) {
  std::string known;
  for (const auto& name : method_names(family)) known += (known.empty() ? "" : ", ") + name;
  return known;
}

/// `infogeo mi --help`: the methods, one line each; `infogeo mi --method M --help`: M's options
/// and their defaults.
std::string estimate_footer(const std::string& family, const estimator_args& args) {
  std::ostringstream out;
  if (const method* m = args.method.empty() ? nullptr : find_method(family, args.method)) {
    out << "Method " << m->name << ": " << m->summary << "\nOptions it uses (default):\n";
    if (m->options.empty()) out << "  (none)\n";
    for (const auto& o : m->options) out << "  --" << o.name << " (" << o.default_value << ")\n";
    out << "Every other option is refused for this method.\n";
    return out.str();
  }
  out << "Methods (`infogeo " << family << " --method M --help` shows M's options and defaults):\n";
  std::vector<const method*> listed;
  for (const auto& m : methods())
    if (m.family == family) listed.push_back(&m);
  std::sort(listed.begin(), listed.end(), [](const method* a, const method* b) { return a->name < b->name; });
  for (const method* m : listed) {
    std::string name = m->name;
    name.resize(std::max<std::size_t>(name.size(), 15), ' ');
    out << "  " << name << " " << m->summary << "\n";
  }
  return out.str();
}

/// The number an option of `m` takes: `given` when it was given (non-zero), else the leading
/// number of the default `m` declares for it (NaN when it declares none, e.g. "automatic").
double option_value(const method& m, const char* name, double given) {
  if (given != 0) return given;
  for (const auto& o : m.options)
    if (o.name == name) {
      char* end = nullptr;
      const double v = std::strtod(o.default_value.c_str(), &end);
      return end == o.default_value.c_str() ? std::numeric_limits<double>::quiet_NaN() : v;
    }
  return std::numeric_limits<double>::quiet_NaN();
}

/// Input hygiene (issue 14): sizes that imply huge allocations are refused (exit 2, naming the
/// option, its value and the estimated bytes; core/memory.hpp) before the files are loaded or
/// anything is allocated. Estimates of the dominant arrays, from the files' headers:
///   --k K: the k-NN distances and indices, 16 N K bytes (neighbors/knn.hpp);
///   --hidden / --components / --batch: mlp_training_bytes() of the trained network (DoE q(z|x):
///     DX inputs, K (1 + 2 DZ) outputs for mixtures, DZ (DZ + 3) / 2 otherwise; critics: DX + DY
///     inputs, B^2 rows for the concat critic), on max(B, min(N, 4096)) rows;
///   --pca P: the D x D covariance and its eigenvectors and the N x D copy, 8 (2 D^2 + N D) bytes.
void check_estimator_memory(const CLI::App& app, const method& m, const estimator_args& args) {
  const char* fn = m.family.c_str();
  const auto given = [&](const char* name) { return app.get_option(std::string("--") + name)->count() > 0; };
  const auto declares = [&](const char* name) {
    return std::any_of(m.options.begin(), m.options.end(), [&](const method_option& o) { return o.name == name; });
  };
  const auto [n, dx] = npy_rows_cols(args.files[0]);
  const double dy = args.files.size() > 1 ? npy_rows_cols(args.files[1]).second : 0.0;
  if (given("pca")) {
    const double d = std::max(dx, dy);
    memory_check(8.0 * (2.0 * d * d + n * d), fn, "--pca " + std::to_string(args.pca) + " on D=" + default_of(d) +
                                                      " columns (N=" + default_of(n) + ")");
  }
  const double k = option_value(m, "k", args.k);
  if (declares("k") && std::isfinite(k))
    memory_check(array_bytes({n, k}, 16.0), fn, "--k " + default_of(k) + " (N=" + default_of(n) + ")");
  if (declares("hidden")) {
    std::vector<double> widths;
    std::string hidden_text = args.hidden;
    if (hidden_text.empty())
      for (const auto& o : m.options)
        if (o.name == "hidden") hidden_text = o.default_value.substr(0, o.default_value.find(' '));
    for (const int w : parse_hidden_widths(hidden_text, fn)) widths.push_back(w);
    const double batch = option_value(m, "batch", args.batch);
    const double components = option_value(m, "components", args.components);
    const bool critic = declares("critic"), concat = critic && args.critic == "concat";
    double rows = std::max(std::isfinite(batch) ? batch : 256.0, std::min(n, 4096.0));
    if (concat) rows = batch * batch;
    const double outputs = critic ? 1.0 : declares("components") ? components * (1.0 + 2.0 * dy) : dy * (dy + 3.0) / 2.0;
    std::string what = "--hidden " + hidden_text;
    if (declares("components")) what += " with --components " + default_of(components);
    what += " and --batch " + default_of(batch) + (concat ? " (concat critic: B^2 rows)" : "");
    memory_check(mlp_training_bytes(critic ? dx + dy : dx, widths, outputs, rows) * (critic && !concat ? 2.0 : 1.0),
                 fn, what + " (N=" + default_of(n) + ", DX=" + default_of(dx) + ", DY=" + default_of(dy) + ")");
  }
}

/// Refuses every option given on the command line that `m` does not declare.
void refuse_unused_options(const CLI::App& app, const method& m) {
  std::set<std::string> used{"method", "help", "bits"};  // --bits is an output option of every method
  for (const auto& o : m.options) used.insert(o.name);
  // --compress (infogeo-torch) is, like --pca, an input transform of load_xy: accepted wherever --pca is.
  // The autoencoder's --seed comes with it.
  if (used.count("pca")) used.insert({"compress", "ae-arch", "ae-epochs", "pca-fit", "normal-scores"});
  // With --pca, a noise level (--sigma / --variance) asks for the Corollary 6 bound of the projection.
  if (used.count("pca") && app.get_option("--pca")->count() > 0) used.insert({"sigma", "variance"});
  if (used.count("compress") && app.get_option("--compress")->count() > 0) used.insert("seed");
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() == 0 || opt->get_lnames().empty()) continue;  // not given, or positional
    const std::string& name = opt->get_lnames().front();
    if (used.count(name)) continue;
    std::string why;
    for (const auto& [option, reason] : m.why_not)
      if (option == name) why = ": " + reason;
    std::string accepted;
    for (const auto& o : m.options) accepted += (accepted.empty() ? "--" : ", --") + o.name;
    throw_invalid_argument(m.family.c_str(), "--", name, " does not apply to --method ", m.name, why,
                           " (", m.name, " uses: ", accepted.empty() ? std::string("no options") : accepted,
                           "; see `infogeo ", m.family, " --method ", m.name, " --help`)");
  }
}

std::function<json()> setup_estimate(CLI::App& app, const std::string& family,
                                     std::shared_ptr<estimator_args> args) {
  const std::size_t max_files = family == "entropy" ? 1 : 2;
  app.footer([family, args]() { return estimate_footer(family, *args); });
  app.add_option("files", args->files,
                 family == "entropy" ? "FILE.npy (N x D samples)" : "X.npy Y.npy (or one file for --method noisy)")
      ->required()
      ->expected(1, static_cast<int>(max_files))
      ->check(CLI::ExistingFile);
  app.add_option("--method", args->method, "estimator (listed below)")->required();
  // Counts are 0 in estimator_args when not given ("the method's default"): an explicit 0 or a
  // negative count must be an error, not silently the default.
  app.add_option("--k", args->k, "number of nearest neighbours")->check(checks::positive_count());
  app.add_option("--metric", args->metric, "euclidean|chebyshev");
  app.add_option("--weights", args->weights, "weighted-KL support: all|restricted");
  app.add_flag("--discrete-y", args->discrete_y, "treat Y as discrete labels");
  app.add_flag("--standardize", args->standardize,
               "standardise every column first (entropy; MI estimators already do by default)");
  app.add_flag("--no-standardize", args->no_standardize,
               "MI: do not standardise the columns (the k-NN MI default is a per-column z-score)");
  app.add_flag("--no-cross-check", args->no_cross_check,
               "kde, kl/wkl MI, doe-*, variational bounds: skip the cross-check against reference estimators "
               "(docs/verdicts.md, estimators_disagree / bound_gap)");
  app.add_flag("--miller-madow", args->miller_madow, "binning: add the Miller-Madow bias correction");
  app.add_option("--jitter", args->jitter, "relative jitter scale for tied points")
      ->check(checks::finite_number("nonnegative"));
  app.add_option("--bandwidth", args->bandwidth, "KDE bandwidth: rule|scott|ml|lscv");
  app.add_option("--bins", args->bins, "number of bins per dimension")->check(checks::positive_count());
  app.add_option("--bin-width", args->bin_width, "bin width")->check(checks::finite_number("positive"));
  app.add_option("--noise", args->noise, "noisy representation: dropout|additive");
  app.add_option("--sigma", args->sigma, "noise standard deviation")->check(checks::finite_number());
  app.add_option("--variance", args->variance, "noise variance sigma^2 (instead of --sigma; papers quote variances)")
      ->check(checks::finite_number("nonnegative"));
  app.add_option("--draws", args->draws, "noise draws per representation")->check(checks::positive_count());
  app.add_option("--centres", args->centres, "mixture centres used (random subset; 0 = all)")
      ->check(checks::integer_at_least(0));
  app.add_option("--zeros", args->zeros, "noisy dropout: exact zeros in f are an error|deterministic");
  app.add_flag("--normal-scores", args->normal_scores,
               "MI: replace every column of X and Y by its normal scores first (rank -> Phi^-1; MI is invariant under "
               "this monotone map; the remedy for heavy_tails)");
  app.add_option("--pca", args->pca, "project to this many principal components first")
      ->check(checks::positive_count());
  app.add_option("--pca-fit", args->pca_fit,
                 "with --pca: fit the projection of X on FIT.npy (same columns), apply it to X; with --pca and "
                 "--sigma/--variance the Corollary 6 bound is printed")
      ->check(CLI::ExistingFile);
  app.add_option("--hidden", args->hidden, "hidden widths of the DoE / critic MLPs, e.g. 64,64 (0 = none)");
  app.add_option("--epochs", args->epochs, "training epochs")->check(checks::positive_count());
  app.add_option("--batch", args->batch, "minibatch size")->check(checks::positive_count());
  // NaN would otherwise read as "not given" and silently mean the default.
  app.add_option("--lr", args->lr, "learning rate")->check(checks::finite_number("positive"));
  app.add_option("--weight-decay", args->weight_decay, "AdamW decoupled weight decay (0 = Adam)")
      ->check(checks::finite_number("nonnegative"));
  app.add_option("--objective", args->objective, "DoE q(z|x) training: likelihood|contrastive (eq. 9)");
  app.add_option("--critic", args->critic, "variational bounds: concat|separable");
  app.add_option("--components", args->components, "mixture components")->check(checks::positive_count());
  app.add_option("--groups", args->groups, "G.npy: input index of every row")->check(CLI::ExistingFile);
  app.add_option("--seed", args->seed, "random seed");
  app.add_option("--bootstrap", args->bootstrap, "bootstrap resamples for a percentile interval (>= 2)")
      ->check(checks::integer_at_least(2));
  app.add_option("--subset", args->subset, "evaluate on a random subset of this many points")
      ->check(checks::positive_count());
  app.add_option("--compress", args->compress,
                 "mi, infogeo-torch: ae:N = estimate on N-dimensional autoencoder codes of X (and of a wider "
                 "continuous Y)");
  app.add_option("--ae-arch", args->ae_arch, "--compress autoencoder: mlp|conv (conv: square images)");
  app.add_option("--ae-epochs", args->ae_epochs, "--compress autoencoder: training epochs")
      ->check(checks::positive_count());
  app.add_option("--range", args->range, "binning: fixed range MIN,MAX for every coordinate (e.g. -1,1 for tanh)");
  app.add_flag("--bits", args->bits, "any method: report \"value\" in bits (\"value_nats\" keeps nats)");
  CLI::App* self = &app;
  return [family, args, self]() -> json {
    const method* m = find_method(family, args->method);
    if (m == nullptr)
      throw_invalid_argument(family.c_str(), "unknown --method (method=", args->method, "); known: ",
                             known_methods(family));
    require(args->compress.empty() ? args->ae_arch.empty() && args->ae_epochs == 0 : true, family.c_str(),
            "--ae-arch and --ae-epochs need --compress ae:N (ae-arch=", args->ae_arch, ", ae-epochs=",
            args->ae_epochs, ")");
    refuse_unused_options(*self, *m);
    check_estimator_memory(*self, *m, *args);
    json result = m->run(*args);
    // Seeds are recorded exactly: the library's parameters are doubles (2^53 + 1 would print as 2^53).
    if (result.contains("parameters") && result["parameters"].contains("seed") &&
        result["parameters"]["seed"].is_number() &&
        result["parameters"]["seed"].get<double>() == static_cast<double>(args->seed))
      result["parameters"]["seed"] = args->seed;
    if (!args->compress.empty()) {
      // A method may declare --pca yet read one file without load_xy (binning's one-file mode).
      const bool done = result.contains("preprocessing") && result["preprocessing"].contains("compress_x");
      require(done, family.c_str(), "--compress is not supported by --method ", args->method, " in this form (compress=",
              args->compress, ")");
      result["settings"]["compress_x"] = result["preprocessing"]["compress_x"];
      if (result["preprocessing"].contains("compress_y"))
        result["settings"]["compress_y"] = result["preprocessing"]["compress_y"];
    }
    if (args->pca != 0 && (!std::isnan(args->sigma) || !std::isnan(args->variance))) {
      // Corollary 6 (Butakov et al. 2024): the bound on the information the projection lost.
      const bool done = result.contains("preprocessing") && result["preprocessing"].contains("pca_x") &&
                        result["preprocessing"]["pca_x"].contains("compression_loss_bound");
      require(done, family.c_str(), "--pca with --sigma/--variance: --method ", args->method,
              " did not project its input, so there is no Corollary 6 bound to print");
      json bound;
      bound["x"] = result["preprocessing"]["pca_x"]["compression_loss_bound"];
      if (result["preprocessing"].contains("pca_y"))
        bound["y"] = result["preprocessing"]["pca_y"]["compression_loss_bound"];
      bound["unit"] = "nats";
      bound["statement"] =
          "Corollary 6 of Butakov et al. 2024: keeping n' of n principal components of X + Z, Z ~ N(0, sigma^2 I), "
          "loses at most (n - n')/2 log(1 + lambda_{n'+1}/sigma^2) nats of information about Y";
      result["compression_loss_bound"] = bound;
    }
    // The --pca projection's own verdict (pca_rank, compression_loss) joins the estimator's; --method auto
    // never returns a flagged value (docs/choosing.md), so there it refuses with those reasons.
    std::vector<verdict_reason> projection_reasons;
    for (const char* side : {"pca_x", "pca_y"}) {
      if (!result.contains("preprocessing") || !result["preprocessing"].contains(side)) continue;
      for (const json& reason : result["preprocessing"][side]["reasons"]) {
        json r = reason;
        r["message"] = std::string(side) + ": " + r["message"].get<std::string>();
        result["reasons"].push_back(r);
        if (result["status"] == "ok") result["status"] = "warning";
        projection_reasons.push_back({r["code"].get<std::string>(), r["message"].get<std::string>(),
                                      r.contains("value") && r["value"].is_number()
                                          ? std::optional<double>(r["value"].get<double>())
                                          : std::nullopt});
      }
    }
    if (args->method == "auto" && !projection_reasons.empty()) refuse(family.c_str(), std::move(projection_reasons));
    if (!result.contains("unit") && result.contains("value")) result["unit"] = "nats";
    if (args->bits) express_in_bits(result, family.c_str());
    return result;
  };
}

const command_registrar entropy_command{command{
    "entropy", "differential entropy of the samples in FILE.npy (nats)",
    [](CLI::App& app) { return setup_estimate(app, "entropy", std::make_shared<estimator_args>()); }}};

const command_registrar mi_command{command{
    "mi", "mutual information between X.npy and Y.npy (nats)",
    [](CLI::App& app) { return setup_estimate(app, "mi", std::make_shared<estimator_args>()); }}};

}  // namespace
}  // namespace infogeo::cli
