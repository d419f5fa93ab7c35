// k-NN estimators on the command line (docs/knn.md):
//   infogeo entropy --method kl|wkl [--k K] [--metric euclidean|chebyshev] [--weights all|restricted]
//                   [--standardize] [--jitter S --seed N] FILE.npy
//   infogeo mi --method ksg1|ksg2|kl|wkl [--k K] [...] X.npy Y.npy
// Y with an integer dtype (or --discrete-y) is a label vector: kl / wkl then estimate
// I = h(X) - sum_y p(y) h(X | Y = y); KSG needs a continuous Y.
#include <algorithm>
#include <cmath>
#include <string>

#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/harness/estimator.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/mi/automatic.hpp"
#include "infogeo/entropy/automatic.hpp"
#include "infogeo/mi/mixed_ksg.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

norm_kind parse_metric(const std::string& metric, const char* family) {
  if (metric.empty() || metric == "euclidean") return norm_kind::euclidean;
  if (metric == "chebyshev" || metric == "max") return norm_kind::chebyshev;
  throw_invalid_argument(family, "--metric must be euclidean or chebyshev (metric=", metric, ")");
}

entropy::wkl_support parse_support(const std::string& weights, const char* family) {
  if (weights.empty() || weights == "all") return entropy::wkl_support::all;
  if (weights == "restricted") return entropy::wkl_support::restricted;
  throw_invalid_argument(family, "--weights must be all or restricted (weights=", weights, ")");
}

/// Entropy: standardise only with --standardize (scale changes an entropy). MI: standardise unless
/// --no-standardize (MI is scale-free, the max-norm neighbours are not). Which of the two flags a
/// method takes is declared in its options (entropy: --standardize, mi: --no-standardize).
neighbors::preprocess_options preprocess_from(const estimator_args& args, bool for_mi) {
  neighbors::preprocess_options p;
  p.standardize = for_mi ? !args.no_standardize : args.standardize;
  p.jitter = std::isnan(args.jitter) ? 0.0 : args.jitter;
  p.seed = args.seed;
  return p;
}

entropy::kl_options kl_from(const estimator_args& args, const char* family) {
  entropy::kl_options o;
  if (args.k != 0) o.k = args.k;
  o.norm = parse_metric(args.metric, family);
  o.preprocess = preprocess_from(args, std::string(family) == "mi");
  return o;
}

entropy::wkl_options wkl_from(const estimator_args& args, const char* family) {
  entropy::wkl_options o;
  o.k = args.k;  // 0 = automatic per dimension
  o.norm = parse_metric(args.metric, family);
  o.support = parse_support(args.weights, family);
  o.preprocess = preprocess_from(args, std::string(family) == "mi");
  return o;
}

json run_entropy(const estimator_args& args, bool weighted) {
  require(args.files.size() == 1, "entropy", "this method needs one file FILE.npy (files=",
          args.files.size(), ")");
  const xt::xarray<double> x = load_samples(args.files[0]);
  const estimate e = weighted ? entropy::weighted_kozachenko_leonenko(x, wkl_from(args, "entropy"))
                              : entropy::kozachenko_leonenko(x, kl_from(args, "entropy"));
  return to_json(e);
}

json run_ksg(const estimator_args& args, mi::ksg_variant variant) {
  const xy_inputs in = load_xy(args);
  require(!in.y_discrete, "mi",
          "KSG needs a continuous Y; for class labels use --method kl or wkl (file=",
          args.files[1], ")");
  require(args.metric.empty() || args.metric == "chebyshev" || args.metric == "max", "mi",
          "KSG is defined with the max norm only (metric=", args.metric, ")");
  mi::ksg_options o;
  if (args.k != 0) o.k = args.k;
  o.variant = variant;
  o.preprocess = preprocess_from(args, true);
  json j = to_json(mi::ksg(in.x, in.y, o));
  j["preprocessing"] = in.preprocessing;
  return j;
}

json run_mixed_ksg(const estimator_args& args) {
  const xy_inputs in = load_xy(args);
  require(args.metric.empty() || args.metric == "chebyshev" || args.metric == "max", "mi",
          "mixed KSG is defined with the max norm only (metric=", args.metric, ")");
  mi::mixed_ksg_options o;
  if (args.k != 0) o.k = args.k;
  o.preprocess = preprocess_from(args, true);
  o.y_labels = in.y_discrete;  // labels: categorical (Ross 2014), whatever the rows per class
  const row_matrix<double> y = discrete_y_column(in);
  json j = in.y_discrete ? to_json(mi::mixed_ksg(in.x, y, o)) : to_json(mi::mixed_ksg(in.x, in.y, o));
  j["preprocessing"] = in.preprocessing;
  return j;
}

json run_entropy_mi(const estimator_args& args, bool weighted) {
  const xy_inputs in = load_xy(args);
  if (in.y_discrete) {
    estimate e;
    if (weighted) {
      entropy::wkl_options o = wkl_from(args, "mi");
      const neighbors::preprocess_options pre = o.preprocess;
      o.preprocess = {};
      e = mi::mi_discrete_labels(
          in.x, in.y_labels,
          [&](const row_matrix<double>& m) { return entropy::weighted_kozachenko_leonenko(m, o); }, pre);
    } else {
      entropy::kl_options o = kl_from(args, "mi");
      const neighbors::preprocess_options pre = o.preprocess;
      o.preprocess = {};
      e = mi::mi_discrete_labels(
          in.x, in.y_labels, [&](const row_matrix<double>& m) { return entropy::kozachenko_leonenko(m, o); },
          pre);
    }
    e.method = weighted ? "wkl_discrete_labels" : "kl_discrete_labels";
    e.settings["y"] = "discrete labels";
    json j = to_json(e);
    j["preprocessing"] = in.preprocessing;
    return j;
  }
  mi::entropy_difference_options o;
  o.estimator = weighted ? mi::knn_entropy::weighted_kl : mi::knn_entropy::kl;
  if (args.k != 0) o.k = args.k;
  else if (weighted) o.k = 0;  // weighted KL: the per-dimension automatic k
  o.norm = parse_metric(args.metric, "mi");
  o.support = parse_support(args.weights, "mi");
  o.preprocess = preprocess_from(args, true);
  o.cross_check.enabled = !args.no_cross_check;
  json j = to_json(mi::entropy_difference(in.x, in.y, o));
  j["preprocessing"] = in.preprocessing;
  return j;
}

json run_auto_entropy(const estimator_args& args) {
  require(args.files.size() == 1, "entropy", "this method needs one file FILE.npy (files=", args.files.size(), ")");
  return to_json(entropy::automatic(load_samples(args.files[0])));
}

json run_auto_mi(const estimator_args& args) {
  const xy_inputs in = load_xy(args);
  mi::automatic_options o;
  if (args.k != 0) o.k = args.k;
  o.y_labels = in.y_discrete;
  const row_matrix<double> y = discrete_y_column(in);
  json j = in.y_discrete ? to_json(mi::automatic(in.x, y, o)) : to_json(mi::automatic(in.x, in.y, o));
  j["preprocessing"] = in.preprocessing;
  return j;
}

// Option declarations (registry.hpp: anything else given is refused). Defaults come from the
// library's options structs, so the help never disagrees with what runs.
const std::string metric_euclidean = "euclidean";
const method_option jitter_option{"jitter", "0 = off; relative scale of the noise that breaks ties"};
const method_option seed_option{"seed", "0; the jitter's seed"};
const method_option pca_option{"pca", "off; project X (and a wider continuous Y) to N' principal components"};
const method_option discrete_y_option{"discrete-y", "off; on when Y.npy has an integer dtype"};
const std::vector<std::pair<std::string, std::string>> knn_why_not{{"bootstrap", reasons::bootstrap_knn}};

const method_registrar kl_entropy{method{
    "entropy", "kl", "Kozachenko-Leonenko k-NN entropy (--k, --metric, --standardize, --jitter)",
    {{"k", std::to_string(entropy::kl_options{}.k)}, {"metric", metric_euclidean}, {"standardize", "off"},
     jitter_option, seed_option},
    [](const estimator_args& a) { return run_entropy(a, false); }, knn_why_not}};

const method_registrar wkl_entropy{method{
    "entropy", "wkl", "weighted Kozachenko-Leonenko (Berrett-Samworth-Yuan; --k, --weights all|restricted)",
    {{"k", "automatic per dimension"}, {"metric", metric_euclidean}, {"weights", "all"}, {"standardize", "off"},
     jitter_option, seed_option},
    [](const estimator_args& a) { return run_entropy(a, true); }, knn_why_not}};

const method_registrar ksg1_mi{method{
    "mi", "ksg1", "Kraskov-Stoegbauer-Grassberger algorithm 1 (max norm, strict counts; --k)",
    {{"k", std::to_string(mi::ksg_options{}.k)}, {"metric", "chebyshev (the only one)"},
     {"no-standardize", "off: columns are z-scored"}, jitter_option, seed_option, pca_option},
    [](const estimator_args& a) { return run_ksg(a, mi::ksg_variant::ksg1); }, knn_why_not}};

const method_registrar ksg2_mi{method{
    "mi", "ksg2", "Kraskov-Stoegbauer-Grassberger algorithm 2 (--k)",
    {{"k", std::to_string(mi::ksg_options{}.k)}, {"metric", "chebyshev (the only one)"},
     {"no-standardize", "off: columns are z-scored"}, jitter_option, seed_option, pca_option},
    [](const estimator_args& a) { return run_ksg(a, mi::ksg_variant::ksg2); }, knn_why_not}};

const method_registrar auto_entropy{method{
    "entropy", "auto", "picks KL or weighted KL by the measured regime; refuses what no estimator can do (docs/choosing.md)",
    {},
    run_auto_entropy,
    {{"k", "--method auto chooses k"}, {"bootstrap", reasons::bootstrap_knn}}}};

const method_registrar auto_mi{method{
    "mi", "auto", "picks KSG-1 or mixed KSG (ties) by the measured regime, PCA on linear embeddings (docs/choosing.md)",
    {{"k", std::to_string(mi::automatic_options{}.k)}, discrete_y_option, pca_option},
    run_auto_mi, knn_why_not}};

const method_registrar mixed_ksg_mi{method{
    "mi", "mixed-ksg", "mixed discrete-continuous KSG (Gao, Kannan, Oh & Viswanath 2017; ties exact; --k)",
    {{"k", std::to_string(mi::mixed_ksg_options{}.k)}, {"metric", "chebyshev (the only one)"},
     {"no-standardize", "off: columns are z-scored"}, discrete_y_option, pca_option},
    run_mixed_ksg,
    {{"jitter", "mixed-ksg handles ties exactly"}, {"bootstrap", reasons::bootstrap_knn}}}};

const method_option cross_check_option{
    "no-cross-check", "off: checked against mixed KSG and the Gaussian plug-in (estimators_disagree)"};

const method_registrar kl_mi{method{
    "mi", "kl", "h(X)+h(Y)-h(X,Y) with Kozachenko-Leonenko; discrete Y: h(X)-sum p(y) h(X|y)",
    {{"k", std::to_string(mi::entropy_difference_options{}.k)}, {"metric", metric_euclidean},
     {"no-standardize", "off: columns are z-scored"}, jitter_option, seed_option, discrete_y_option, pca_option,
     cross_check_option},
    [](const estimator_args& a) { return run_entropy_mi(a, false); }, knn_why_not}};

const method_registrar wkl_mi{method{
    "mi", "wkl", "as kl with the weighted Kozachenko-Leonenko entropy",
    {{"k", "automatic per dimension"}, {"metric", metric_euclidean}, {"weights", "all"},
     {"no-standardize", "off: columns are z-scored"}, jitter_option, seed_option, discrete_y_option, pca_option,
     cross_check_option},
    [](const estimator_args& a) { return run_entropy_mi(a, true); }, knn_why_not}};
// `infogeo bench` (bench_estimators.cpp), library defaults.
const bench_registrar kl_bench{[] {
  harness::estimator e;
  e.name = "kl";
  e.description = "Kozachenko-Leonenko k-NN entropy, k = 3, Euclidean";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::kozachenko_leonenko(x); };
  return e;
}()};

const bench_registrar wkl_bench{[] {
  harness::estimator e;
  e.name = "weighted-kl";
  e.description = "weighted Kozachenko-Leonenko (Berrett, Samworth & Yuan 2019), auto k";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::weighted_kozachenko_leonenko(x); };
  return e;
}()};

harness::estimator ksg_bench_estimator(const std::string& name, mi::ksg_variant variant) {
  harness::estimator e;
  e.name = name;
  e.description = std::string("Kraskov-Stoegbauer-Grassberger ") + (variant == mi::ksg_variant::ksg1 ? "eq. 8" : "eq. 9") + ", k = 3";
  e.mi_estimate = [variant](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::ksg_options o;
    o.variant = variant;
    return mi::ksg(x, y, o);
  };
  return e;
}
const bench_registrar ksg1_bench{ksg_bench_estimator("ksg1", mi::ksg_variant::ksg1)};
const bench_registrar ksg2_bench{ksg_bench_estimator("ksg2", mi::ksg_variant::ksg2)};

const bench_registrar auto_bench{[] {
  harness::estimator e;
  e.name = "auto";
  e.description = "--method auto: picks by the measured regime, refuses rather than return a flagged value";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::automatic(x); };
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::automatic(x, y); };
  return e;
}()};

const bench_registrar mixed_ksg_bench{[] {
  harness::estimator e;
  e.name = "mixed-ksg";
  e.description = "mixed discrete-continuous KSG (Gao, Kannan, Oh & Viswanath 2017), k = 3";
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::mixed_ksg(x, y); };
  return e;
}()};

harness::estimator ediff_bench_estimator(const std::string& name, mi::knn_entropy which, const std::string& description) {
  harness::estimator e;
  e.name = name;
  e.description = description;
  e.mi_estimate = [which](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::entropy_difference_options o;
    o.estimator = which;
    if (which == mi::knn_entropy::weighted_kl) o.k = 0;  // auto k per dimension
    return mi::entropy_difference(x, y, o);
  };
  return e;
}
const bench_registrar kl_difference_bench{
    ediff_bench_estimator("kl-difference", mi::knn_entropy::kl, "h(X) + h(Y) - h(X,Y), Kozachenko-Leonenko, k = 3")};
const bench_registrar wkl_difference_bench{ediff_bench_estimator(
    "weighted-kl-difference", mi::knn_entropy::weighted_kl, "h(X) + h(Y) - h(X,Y), weighted KL, auto k")};

// Lossy compression (Butakov et al. 2024, ICLR): X and Y each projected onto at most 4 leading
// principal components (fitted on the sample itself), then KSG-1. Equal to ksg1 when both sides
// have <= 4 dims; below the truth when the discarded components carry information.
const bench_registrar pca_ksg_bench{[] {
  harness::estimator e;
  e.name = "pca-ksg";
  e.description = "PCA of X and Y to <= 4 components each, then KSG-1 (k = 3)";
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) {
    const mi::ksg_options o;
    return mi::compressed_mutual_information(x, y, std::min<index_t>(4, x.cols()),
                                             [&](const row_matrix<double>& px, const row_matrix<double>& yy) {
                                               return mi::compressed_mutual_information(
                                                   yy, px, std::min<index_t>(4, yy.cols()),
                                                   [&](const row_matrix<double>& py, const row_matrix<double>& pxx) {
                                                     return mi::ksg(pxx, py, o);
                                                   });
                                             });
  };
  return e;
}()};

}  // namespace
}  // namespace infogeo::cli
