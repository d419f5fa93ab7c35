// `infogeo mi --method doe-gauss|doe-gauss-diag|doe-mixture|doe-logistic|doe-logistic-mixture X.npy Z.npy`:
// difference-of-entropies estimates (include/infogeo/mi/doe.hpp). Options: --hidden 64,64 (0 = no hidden layer: affine
// conditional), --epochs, --batch, --lr, --components (mixture), --groups G.npy (input index of
// every row: several stochastic views per input), --objective likelihood|contrastive (q(z|x)
// trained by likelihood or by the seed paper's eq. 9), --weight-decay (AdamW), --seed. The
// paper's settings (App. C.4): --method doe-logistic --objective contrastive --lr 1e-4
// --weight-decay 0.01 --batch 1024 (256 inputs x 4 views) --groups G.npy. Progress on stderr.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/harness/estimator.hpp"
#include "infogeo/mi/doe.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

mi::doe_options doe_options_from(const estimator_args& args, mi::doe_family family) {
  mi::doe_options o;
  o.family = family;
  o.cross_check.enabled = !args.no_cross_check;
  if (!args.hidden.empty()) {
    const std::vector<int> widths = parse_hidden_widths(args.hidden, "mi");
    o.hidden.assign(widths.begin(), widths.end());
  }
  // 0 / NaN mean "the method's default"; negative values are passed on and rejected.
  if (args.epochs != 0) o.epochs = args.epochs;
  if (args.batch != 0) o.batch = args.batch;
  if (!std::isnan(args.lr)) o.lr = args.lr;
  if (!std::isnan(args.weight_decay)) o.weight_decay = args.weight_decay;
  if (!args.objective.empty()) {
    require(args.objective == "likelihood" || args.objective == "contrastive", "mi",
            "--objective must be likelihood or contrastive (objective=", args.objective, ")");
    o.conditional_objective = args.objective == "likelihood" ? mi::doe_objective::likelihood
                                                             : mi::doe_objective::contrastive;
  }
  if (args.components != 0) o.components = args.components;  // declared by the mixture families only
  o.seed = args.seed;
  return o;
}

json trace_json(const mi::doe_result& r) {
  json t;
  std::vector<double> hm, hc, hi, tm, tc;
  for (const auto& e : r.trace) {
    hm.push_back(e.heldout_marginal_ce);
    hc.push_back(e.heldout_conditional_ce);
    hi.push_back(e.heldout_mi);
    tm.push_back(e.train_marginal_ce);
    tc.push_back(e.train_conditional_loss);
  }
  t["heldout_marginal_ce"] = hm;
  t["heldout_conditional_ce"] = hc;
  t["heldout_mi"] = hi;
  t["train_marginal_ce"] = tm;
  t["train_conditional_loss"] = tc;
  return t;
}

json run_doe(const estimator_args& args, mi::doe_family family) {
  // X may have one row per group (--groups), so load_xy's equal-rows rule does not apply.
  require(args.files.size() == 2, "mi", "DoE needs two files X.npy Z.npy (files=",
          args.files.size(), ")");
  require(!args.discrete_y && !has_integer_dtype(args.files[1]), "mi",
          "DoE needs a continuous representation Z (second file); got integer labels (file=",
          args.files[1], ")");
  const xt::xarray<double> x = load_samples(args.files[0]);
  const xt::xarray<double> z = load_samples(args.files[1]);
  mi::doe_options o = doe_options_from(args, family);
  o.on_epoch = [](const mi::doe_epoch& e) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "doe epoch %ld: train H(Z) %.4f, train q(z|x) loss %.4f, held-out H(Z) %.4f, "
                  "H(Z|X) %.4f, I %.4f",
                  static_cast<long>(e.epoch), e.train_marginal_ce, e.train_conditional_loss,
                  e.heldout_marginal_ce, e.heldout_conditional_ce, e.heldout_mi);
    log(line);
  };
  mi::doe_result r;
  if (!args.groups.empty()) {
    const std::vector<std::int64_t> g = io::load_npy_labels(args.groups);
    std::vector<index_t> groups(g.begin(), g.end());
    require(!groups.empty(), "mi", "--groups file is empty (groups=", args.groups, ")");
    r = mi::doe_mutual_information(x, z, groups, o);
  } else {
    r = mi::doe_mutual_information(x, z, o);
  }
  json j = to_json(r.mi);
  j["entropy_z"] = r.entropy_z;
  j["conditional_entropy"] = r.conditional_entropy;
  j["train"] = {{"value", r.mi_train},
                {"entropy_z", r.entropy_z_train},
                {"conditional_entropy", r.conditional_entropy_train}};
  j["contrastive_bound"] = r.contrastive_bound;
  j["contrastive_objective"] = r.contrastive_objective;
  j["converged"] = r.converged;
  const auto& last = r.trace.back();
  j["trace_summary"] = {{"epochs_run", r.epochs_run},
                        {"best_epoch_marginal", r.best_epoch_marginal},
                        {"best_epoch_conditional", r.best_epoch_conditional},
                        {"first_heldout_mi", r.trace.front().heldout_mi},
                        {"last_heldout_mi", last.heldout_mi},
                        {"last_train_marginal_ce", last.train_marginal_ce},
                        {"last_train_conditional_loss", last.train_conditional_loss},
                        {"last_heldout_marginal_ce", last.heldout_marginal_ce},
                        {"last_heldout_conditional_ce", last.heldout_conditional_ce}};
  j["trace"] = trace_json(r);
  return j;
}

// Option declarations (registry.hpp: anything else given is refused).
std::vector<method_option> doe_options_used(mi::doe_family family) {
  mi::doe_options o;
  o.family = family;
  std::vector<method_option> used = training_options_of(o);
  used.push_back({"objective", "likelihood (contrastive: the seed paper's eq. 9)"});
  used.push_back({"groups", "off: one view per input"});
  used.push_back({"no-cross-check", "off: checked against mixed KSG and the Gaussian plug-in (estimators_disagree; "
                                    "not with --groups)"});
  if (mi::is_mixture(family)) used.push_back({"components", std::to_string(o.components)});
  return used;
}
const std::vector<std::pair<std::string, std::string>> doe_why_not{
    {"bootstrap", reasons::bootstrap_trained},
    {"pca", "project the files beforehand; DoE models the representation Z as given"},
    {"components", "only --method doe-mixture and doe-logistic-mixture have mixture components"}};

const method_registrar doe_gauss{method{
    "mi", "doe-gauss",
    "difference of entropies H_q(Z) - H_q(Z|X), full-covariance (Cholesky) Gaussian q (McAllester & Stratos 2020)",
    doe_options_used(mi::doe_family::gaussian_full),
    [](const estimator_args& a) { return run_doe(a, mi::doe_family::gaussian_full); }, doe_why_not}};

const method_registrar doe_gauss_diag{method{
    "mi", "doe-gauss-diag",
    "difference of entropies with diagonal Gaussian q (warns when z is correlated: diagonal_family)",
    doe_options_used(mi::doe_family::gaussian),
    [](const estimator_args& a) { return run_doe(a, mi::doe_family::gaussian); }, doe_why_not}};

const method_registrar doe_mixture{method{
    "mi", "doe-mixture",
    "difference of entropies with K-component Gaussian mixtures (mixture density network)",
    doe_options_used(mi::doe_family::mixture),
    [](const estimator_args& a) { return run_doe(a, mi::doe_family::mixture); }, doe_why_not}};

const method_registrar doe_logistic{method{
    "mi", "doe-logistic",
    "difference of entropies with diagonal logistic densities (seed paper App. C.4)",
    doe_options_used(mi::doe_family::logistic),
    [](const estimator_args& a) { return run_doe(a, mi::doe_family::logistic); }, doe_why_not}};

const method_registrar doe_logistic_mixture{method{
    "mi", "doe-logistic-mixture",
    "difference of entropies with K-component factorised logistic mixtures (seed paper App. C.3)",
    doe_options_used(mi::doe_family::logistic_mixture),
    [](const estimator_args& a) { return run_doe(a, mi::doe_family::logistic_mixture); }, doe_why_not}};

// `infogeo bench` (bench_estimators.cpp): difference-of-entropies (McAllester & Stratos 2020) with
// Gaussian densities, library defaults (64-64 tanh MLP, at most 50 epochs with early stopping,
// 20 % held out). Entropy: held-out cross-entropy of the fitted q(z).
harness::estimator doe_bench_estimator(const std::string& name, mi::doe_family family,
                                       const std::string& description) {
  harness::estimator e;
  e.name = name;
  e.description = description;
  // Not marked slow: 0.2-0.8 s per fit in Release at n = 1000-2000 (docs/results.md).
  e.mi_estimate = [family](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::doe_options o;
    o.family = family;
    return mi::doe_mutual_information(x, y, o).mi;
  };
  e.entropy_estimate = [family](const row_matrix<double>& x) {
    mi::doe_options o;
    o.family = family;
    return mi::doe_entropy(x, o).entropy;
  };
  return e;
}

const bench_registrar doe_gauss_bench{
    doe_bench_estimator("doe-gauss", mi::doe_family::gaussian_full,
                        "difference of entropies, full-covariance Gaussian q(z), q(z|x)")};

}  // namespace
}  // namespace infogeo::cli
