// `infogeo entropy` and `infogeo mi`: one option set, the method chosen by --method; each
// estimator family registers its methods in its own file (registry.hpp).
#include <cmath>
#include <string>

#include "registry.hpp"

namespace infogeo::cli {
namespace {

std::function<json()> setup_estimate(CLI::App& app, const std::string& family,
                                     std::shared_ptr<estimator_args> args) {
  const std::size_t max_files = family == "entropy" ? 1 : 2;
  app.add_option("files", args->files,
                 family == "entropy" ? "FILE.npy (N x D samples)" : "X.npy Y.npy (or one file for --method noisy)")
      ->required()
      ->expected(1, static_cast<int>(max_files))
      ->check(CLI::ExistingFile);
  app.add_option("--method", args->method, "estimator (see `infogeo " + family + " --help`)")
      ->required();
  // Counts are 0 in estimator_args when not given ("the method's default"): an explicit 0 or a
  // negative count must be an error, not silently the default.
  app.add_option("--k", args->k, "number of nearest neighbours")->check(CLI::PositiveNumber);
  app.add_option("--metric", args->metric, "euclidean|chebyshev");
  app.add_option("--weights", args->weights, "weighted-KL support: all|restricted");
  app.add_flag("--discrete-y", args->discrete_y, "treat Y as discrete labels");
  app.add_flag("--standardize", args->standardize,
               "standardise every column first (entropy; MI estimators already do by default)");
  app.add_flag("--no-standardize", args->no_standardize,
               "MI: do not standardise the columns (the k-NN MI default is a per-column z-score)");
  app.add_flag("--miller-madow", args->miller_madow, "binning: add the Miller-Madow bias correction");
  app.add_option("--jitter", args->jitter, "relative jitter scale for tied points");
  app.add_option("--bandwidth", args->bandwidth, "KDE bandwidth: rule|ml|lscv");
  app.add_option("--bins", args->bins, "number of bins per dimension")->check(CLI::PositiveNumber);
  app.add_option("--bin-width", args->bin_width, "bin width");
  app.add_option("--noise", args->noise, "noisy representation: dropout|additive");
  app.add_option("--sigma", args->sigma, "noise standard deviation");
  app.add_option("--draws", args->draws, "noise draws per representation")->check(CLI::PositiveNumber);
  app.add_option("--centres", args->centres, "mixture centres used (random subset)");
  app.add_option("--zeros", args->zeros, "noisy dropout: exact zeros in f are an error|deterministic");
  app.add_option("--pca", args->pca, "project to this many principal components first")->check(CLI::PositiveNumber);
  app.add_option("--hidden", args->hidden, "hidden widths of the DoE / critic MLPs, e.g. 64,64");
  app.add_option("--epochs", args->epochs, "training epochs")->check(CLI::PositiveNumber);
  app.add_option("--batch", args->batch, "minibatch size")->check(CLI::PositiveNumber);
  app.add_option("--lr", args->lr, "learning rate")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double v = 0.0;
            try {
              v = std::stod(text);
            } catch (const std::exception&) {
              return "not a number: " + text;
            }
            return std::isfinite(v) && v > 0.0 ? std::string() : "must be finite and > 0: " + text;
          },
          "POSITIVE"));  // NaN would otherwise read as "not given" and silently mean the default
  app.add_option("--weight-decay", args->weight_decay, "AdamW decoupled weight decay (0 = Adam)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double v = 0.0;
            try {
              v = std::stod(text);
            } catch (const std::exception&) {
              return "not a number: " + text;
            }
            return std::isfinite(v) && v >= 0.0 ? std::string() : "must be finite and >= 0: " + text;
          },
          "NONNEGATIVE"));
  app.add_option("--objective", args->objective, "DoE q(z|x) training: likelihood|contrastive (eq. 9)");
  app.add_option("--critic", args->critic, "variational bounds: concat|separable");
  app.add_option("--components", args->components, "mixture components")->check(CLI::PositiveNumber);
  app.add_option("--groups", args->groups, "G.npy: input index of every row")->check(CLI::ExistingFile);
  app.add_option("--seed", args->seed, "random seed");
  app.add_option("--bootstrap", args->bootstrap, "bootstrap resamples for an interval (0 = off)");
  app.add_option("--subset", args->subset, "evaluate on a random subset of this many points");
  return [family, args]() -> json {
    for (const auto& m : methods()) {
      if (m.family == family && m.name == args->method) {
        json result = m.run(*args);
        if (!result.contains("unit") && result.contains("value")) result["unit"] = "nats";
        return result;
      }
    }
    std::string known;
    for (const auto& name : method_names(family)) known += (known.empty() ? "" : ", ") + name;
    throw_invalid_argument(family.c_str(), "unknown --method (method=", args->method,
                           "); known: ", known);
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
