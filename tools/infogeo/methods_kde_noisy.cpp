// KDE, Gaussian, binning and noisy-representation estimators on the command line
// (docs/kde_gaussian.md, docs/binning_compressed.md, docs/noisy.md):
//   infogeo entropy --method kde [--bandwidth rule|scott|ml|lscv] [--subset M --seed S] [--bootstrap B] FILE.npy
//   infogeo entropy --method gauss [--bootstrap B] FILE.npy
//   infogeo mi --method kde [--bandwidth ...] [--subset M] [--pca N'] X.npy Y.npy     (Y labels: h(X) - sum p h(X|y))
//   infogeo mi --method binning [--bins K | --bin-width W] [--pca N'] X.npy Y.npy     (one file T.npy: I(index;T) = H(T))
//   infogeo mi --method edge [--seed S] [--no-standardize] [--pca N'] X.npy Y.npy        (EDGE, docs/binning_compressed.md)
//   infogeo mi --method noisy --noise dropout|additive --sigma S | --variance V [--draws K] [--centres M]
//              [--zeros error|deterministic] [--seed N] CLEAN.npy
// S is the noise STANDARD DEVIATION: additive Z = f + N(0, S^2 I); dropout Z = f * D, D ~ N(1, S^2 I).
#include <cmath>
#include <string>
#include <tuple>

#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/entropy/gaussian.hpp"
#include "infogeo/entropy/kde.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/harness/estimator.hpp"
#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/edge.hpp"
#include "infogeo/stats/bootstrap.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

entropy::kde_options kde_from(const estimator_args& args) {
  entropy::kde_options o;
  if (!args.bandwidth.empty()) o.bandwidth = entropy::parse_kde_bandwidth(args.bandwidth);
  require(o.bandwidth != entropy::kde_bandwidth::fixed, "cli",
          "--bandwidth must be rule|scott|ml|lscv (bandwidth=", args.bandwidth, ")");
  o.subset = args.subset;
  o.seed = args.seed;
  o.cross_check.enabled = !args.no_cross_check;
  return o;
}

/// Adds a percentile interval (--bootstrap B) computed by `stat(rows)` to the estimate.
template <class Stat>
void maybe_bootstrap(const estimator_args& args, index_t n, estimate& e, Stat&& stat) {
  if (args.bootstrap == 0) return;  // >= 2 when given (checked by the option's validator)
  stats::bootstrap_options o;
  o.resamples = args.bootstrap;
  o.seed = args.seed;
  log("bootstrap: " + std::to_string(args.bootstrap) + " resamples");
  stats::attach_bootstrap(e, stats::bootstrap(n, stat, o));
}

xt::xarray<double> one_file(const estimator_args& args, const char* family) {
  require(args.files.size() == 1, family, "this method needs one file FILE.npy (files=",
          args.files.size(), ")");
  return load_samples(args.files[0]);
}

json run_kde_entropy(const estimator_args& args) {
  const xt::xarray<double> x = one_file(args, "entropy");
  return to_json(entropy::kde_entropy(x, kde_from(args)));
}

json run_gauss_entropy(const estimator_args& args) {
  const xt::xarray<double> x = one_file(args, "entropy");
  estimate e = entropy::gaussian_entropy(x);
  maybe_bootstrap(args, static_cast<index_t>(x.shape()[0]), e, [&](const std::vector<index_t>& rows) {
    return entropy::gaussian_entropy(stats::take_rows(x, rows));
  });
  return to_json(e);
}

json run_kde_mi(const estimator_args& args) {
  const xy_inputs in = load_xy(args);
  mi::kde_mi_options o;
  o.kde = kde_from(args);
  o.cross_check.enabled = !args.no_cross_check;
  const estimate e = in.y_discrete ? mi::kde_mutual_information_discrete(in.x, in.y_labels, o)
                                   : mi::kde_mutual_information(in.x, in.y, o);
  json j = to_json(e);
  j["preprocessing"] = in.preprocessing;
  return j;
}

mi::binning_options binning_from(const estimator_args& args) {
  mi::binning_options o;
  const bool width = !std::isnan(args.bin_width);
  require(!(width && args.bins != 0), "mi", "give either --bins or --bin-width, not both (bins=",
          args.bins, ", bin_width=", args.bin_width, ")");
  if (width) {
    require(args.bin_width > 0.0, "mi", "--bin-width must be > 0 (bin_width=", args.bin_width, ")");
    o.bin_width = args.bin_width;
  }
  if (args.bins != 0) {
    require(args.bins > 0, "mi", "--bins must be > 0 (bins=", args.bins, ")");
    o.bins = args.bins;
  }
  o.miller_madow = args.miller_madow;
  if (!args.range.empty()) std::tie(o.range_min, o.range_max) = parse_range(args.range, "--range");
  return o;
}

json run_binning_mi(const estimator_args& args) {
  const mi::binning_options o = binning_from(args);
  if (args.files.size() == 1) {  // X is the sample index: I(X;T) = H(T)
    require(args.pca == 0, "mi", "--pca needs two files X.npy Y.npy (pca=", args.pca, ")");
    require(!args.discrete_y, "mi", "--discrete-y needs two files X.npy Y.npy");
    estimate e = mi::binned_entropy(load_samples(args.files[0]), o);
    e.settings["x"] = "sample index (I(X;T) = H(T))";
    return to_json(e);
  }
  const xy_inputs in = load_xy(args);
  const estimate e = in.y_discrete ? mi::binned_mutual_information_labels(in.x, in.y_labels, o)
                                   : mi::binned_mutual_information(in.x, in.y, o);
  json j = to_json(e);
  j["preprocessing"] = in.preprocessing;
  return j;
}

json run_edge_mi(const estimator_args& args) {
  const xy_inputs in = load_xy(args);
  mi::edge_options o;
  o.seed = args.seed;
  o.standardize = !args.no_standardize;
  const estimate e = in.y_discrete ? mi::edge_labels(in.x, in.y_labels, o) : mi::edge(in.x, in.y, o);
  json j = to_json(e);
  j["preprocessing"] = in.preprocessing;
  return j;
}

json run_noisy_mi(const estimator_args& args) {
  require(args.files.size() == 1, "mi",
          "--method noisy takes ONE file of clean representations CLEAN.npy (files=",
          args.files.size(), ")");
  require(!args.noise.empty(), "mi", "--method noisy needs --noise dropout|additive");
  const double sigma = resolve_sigma(args.sigma, args.variance, "mi");
  require(!std::isnan(sigma), "mi", "--method noisy needs --sigma (the noise standard deviation) or --variance");
  entropy::noisy_options o;
  o.noise = entropy::parse_noise_kind(args.noise);
  o.sigma = sigma;
  if (args.draws > 0) o.draws = args.draws;
  o.centres = args.centres;
  o.seed = args.seed;
  if (args.zeros.empty() || args.zeros == "error") {
    o.zeros = entropy::zero_policy::error;
  } else if (args.zeros == "deterministic") {
    o.zeros = entropy::zero_policy::deterministic;
  } else {
    throw_invalid_argument("mi", "--zeros must be error|deterministic (zeros=", args.zeros, ")");
  }
  const xt::xarray<double> f = load_samples(args.files[0]);
  return to_json(mi::noisy_mutual_information(f, o));
}

// Option declarations (registry.hpp: anything else given is refused).
// Estimators whose value depends on distinct sample points (leave-one-out KDE: a resampled copy
// sits at distance 0 and inflates the density; plug-in binned entropies: a resample has ~0.63 N
// distinct rows) give biased percentile intervals, so --bootstrap is refused for them.
const char* const bootstrap_duplicates = "resampled duplicate rows bias it";
const std::vector<method_option> kde_options_used{
    {"bandwidth", "rule"}, {"subset", "all points"}, {"seed", "0; the subset's seed"},
    {"no-cross-check", "off: checked against KL / mixed KSG and the Gaussian formula (estimators_disagree)"}};

const method_registrar kde_entropy_method{method{
    "entropy", "kde",
    "leave-one-out Gaussian KDE, whitened (--bandwidth rule|scott|ml|lscv, --subset)",
    kde_options_used, run_kde_entropy, {{"bootstrap", bootstrap_duplicates}}}};

const method_registrar gauss_entropy_method{method{
    "entropy", "gauss", "Gaussian bound 1/2 log det(2 pi e S): exact for Gaussians, an upper bound otherwise",
    {{"bootstrap", "off; B >= 2 resamples give a percentile interval"}, {"seed", "0; the resamples' seed"}},
    run_gauss_entropy}};

const method_registrar kde_mi_method{method{
    "mi", "kde", "h(X)+h(Y)-h(X,Y) with KDE entropies; labels Y: h(X)-sum p(y) h(X|y) (--bandwidth, --subset)",
    {kde_options_used[0], kde_options_used[1], kde_options_used[2], kde_options_used[3],
     {"discrete-y", "off; on for integer Y.npy"},
     {"pca", "off"}},
    run_kde_mi, {{"bootstrap", bootstrap_duplicates}}}};

const method_registrar binning_mi_method{method{
    "mi", "binning",
    "equal-width binning plug-in MI (--bins K | --bin-width W, --range MIN,MAX); one file: I(index;T) = H(T)",
    {{"bins", std::to_string(mi::binning_options{}.bins)}, {"bin-width", "off (--bins is used)"},
     {"range", "off: each column's data range (thesis Fig. 1.2: -1,1 with 30 bins)"},
     {"miller-madow", "off"}, {"discrete-y", "off; on for integer Y.npy"}, {"pca", "off"}},
    run_binning_mi, {{"bootstrap", bootstrap_duplicates}}}};

const method_registrar edge_mi_method{method{
    "mi", "edge",
    "EDGE ensemble dependency-graph estimator (Noshad, Zeng & Hero 2019): shifted-grid hashing, bias-cancelling ensemble",
    {{"seed", "0; random shifts and projections"}, {"no-standardize", "off: columns are z-scored"},
     {"discrete-y", "off; on for integer Y.npy"}, {"pca", "off"}},
    run_edge_mi, {{"bootstrap", bootstrap_duplicates}}}};

const method_registrar noisy_mi_method{method{
    "mi", "noisy",
    "I(X;Z) of a noisy layer from CLEAN.npy: --noise dropout|additive --sigma S | --variance V [--draws K] [--centres M] [--zeros]",
    {{"noise", "required: dropout|additive"}, {"sigma", "required unless --variance: the noise standard deviation"},
     {"variance", "instead of --sigma: the noise variance sigma^2"},
     {"draws", std::to_string(entropy::noisy_options{}.draws)}, {"centres", "0 = all rows"},
     {"zeros", "error"}, {"seed", "0"}},
    run_noisy_mi, {{"bootstrap", "std_error is already the Monte-Carlo standard error"}}}};

// `infogeo bench` (bench_estimators.cpp), library defaults.
const bench_registrar kde_bench{[] {
  harness::estimator e;
  e.name = "kde";
  e.description = "leave-one-out Gaussian KDE, Silverman bandwidth, whitened";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::kde_entropy(x); };
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::kde_mutual_information(x, y); };
  return e;
}()};

const bench_registrar binning_bench{[] {
  harness::estimator e;
  e.name = "binning";
  e.description = "equal-width binning, 30 bins per dimension (discrete plug-in MI)";
  // Binned entropy is a discrete entropy, not a differential one: MI only.
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::binned_mutual_information(x, y); };
  return e;
}()};

}  // namespace
}  // namespace infogeo::cli
