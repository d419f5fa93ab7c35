// Mutual information as a difference of k-NN entropies: I = h(X) + h(Y) - h(X,Y) with the
// (weighted) Kozachenko-Leonenko estimator, and I(X;Y) = h(X) - sum_y p(y) h(X | Y=y) for
// discrete labels Y with any entropy estimator.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/neighbors/preprocess.hpp"

namespace infogeo::mi {

/// Which entropy estimator the difference uses.
enum class knn_entropy { kl, weighted_kl };

/// Options of entropy_difference().
struct entropy_difference_options {
  knn_entropy estimator = knn_entropy::kl;
  index_t k = 3;  ///< same k for h(X), h(Y), h(X,Y); for weighted KL 0 = auto per dimension
  norm_kind norm = norm_kind::euclidean;
  entropy::wkl_support support = entropy::wkl_support::all;  ///< weighted KL only
  neighbors::backend search = neighbors::backend::automatic;
  neighbors::preprocess_options preprocess;  ///< applied once to X and once to Y
};

/// I(X;Y) = h(X) + h(Y) - h(X,Y) in nats, each term a (weighted) Kozachenko-Leonenko estimate
/// with the same k and norm (Kraskov et al. 2004, eq. 3 with eq. 20; BSY 2019 for the weighted
/// form; Butakov et al. 2024 use it for layer MI). The joint sample is (X, Y) side by side.
/// Bias: the three entropy biases do not cancel as in KSG (which is built to cancel them), so
/// prefer ksg() for strongly dependent low-dimensional pairs; weighted KL keeps the bias small
/// at larger d. Cost: three k-NN searches. Errors: as the entropy estimators, plus mismatched
/// rows; duplicates in X, Y or (X,Y) (set preprocess.jitter).
template <class InputX, class InputY>
estimate entropy_difference(const InputX& x, const InputY& y, const entropy_difference_options& opt = {}) {
  constexpr const char* fn = "mi::entropy_difference";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  check_paired_samples(vx, vy, 2, fn);
  neighbors::preprocess_report rx;
  neighbors::preprocess_report ry;
  const row_matrix<double> mx = neighbors::prepared_copy(vx, opt.preprocess, fn, "x", rx, 0);
  const row_matrix<double> my = neighbors::prepared_copy(vy, opt.preprocess, fn, "y", ry, 1);
  const row_matrix<double> joint = detail::hstack({&mx, &my});
  estimate hx;
  estimate hy;
  estimate hxy;
  if (opt.estimator == knn_entropy::kl) {
    entropy::kl_options o;
    o.k = opt.k;
    o.norm = opt.norm;
    o.search = opt.search;
    hx = entropy::kozachenko_leonenko(mx, o);
    hy = entropy::kozachenko_leonenko(my, o);
    hxy = entropy::kozachenko_leonenko(joint, o);
  } else {
    entropy::wkl_options o;
    o.k = opt.k;
    o.norm = opt.norm;
    o.support = opt.support;
    o.search = opt.search;
    hx = entropy::weighted_kozachenko_leonenko(mx, o);
    hy = entropy::weighted_kozachenko_leonenko(my, o);
    hxy = entropy::weighted_kozachenko_leonenko(joint, o);
  }
  estimate e;
  e.value = hx.value + hy.value - hxy.value;
  e.n = joint.rows();
  e.dims = joint.cols();
  e.method = opt.estimator == knn_entropy::kl ? "kl_entropy_difference" : "wkl_entropy_difference";
  e.parameters["k"] = static_cast<double>(opt.k);
  e.parameters["k_x"] = hx.parameters["k"];
  e.parameters["k_y"] = hy.parameters["k"];
  e.parameters["k_xy"] = hxy.parameters["k"];
  e.settings["norm"] = neighbors::to_string(opt.norm);
  if (opt.estimator == knn_entropy::weighted_kl) e.settings["support"] = entropy::to_string(opt.support);
  e.details["h_x"] = hx.value;
  e.details["h_y"] = hy.value;
  e.details["h_xy"] = hxy.value;
  // Pass on what the entropy estimators flagged (e.g. weighted-KL variance warnings).
  for (const auto& [part, h] : {std::pair<const char*, const estimate*>{"h(X)", &hx}, {"h(Y)", &hy}, {"h(X,Y)", &hxy}})
    for (const auto& note : h->diagnostics) e.diagnostics.push_back(std::string(part) + ": " + note);
  neighbors::record(e, opt.preprocess, rx, "_x");
  neighbors::record(e, opt.preprocess, ry, "_y");
  return e;
}

namespace detail {
/// The value of an entropy callable's result; an estimate's diagnostics are passed on to `out`
/// prefixed with `part` (a plain double carries none).
inline double entropy_value(double v, estimate&, const std::string&) { return v; }
inline double entropy_value(const estimate& h, estimate& out, const std::string& part) {
  for (const auto& note : h.diagnostics) out.diagnostics.push_back(part + ": " + note);
  return h.value;
}
}  // namespace detail

/// I(X;Y) in nats between continuous X (n x d) and discrete labels Y (any integer range, values
/// 0..C-1) as h(X) - sum_y p(y) h(X | Y = y), p(y) = n_y / n (Butakov et al. 2024, eq. 5).
/// `entropy_fn` is ANY entropy estimator: a callable taking `const row_matrix<double>&` (the
/// rows of one class, or all rows) and returning a double (nats) or an infogeo::estimate;
/// e.g. [](const auto& m) { return entropy::kozachenko_leonenko(m, {}); }.
/// Classes with no sample are skipped (p = 0). Bias: that of the entropy estimator at the class
/// sample sizes (smaller classes, larger bias). Cost: 1 + C entropy estimates.
/// Errors: mismatched rows, n < 2, d = 0, NaN/Inf, negative labels, and any error of
/// entropy_fn on a class (re-thrown naming the class and its size).
template <class InputX, class Labels, class EntropyFn>
estimate mi_discrete_labels(const InputX& x, const Labels& labels, EntropyFn&& entropy_fn,
                            const neighbors::preprocess_options& preprocess = {}) {
  constexpr const char* fn = "mi::mi_discrete_labels";
  const auto vx = make_view(x);
  check_shape(vx, 2, fn, "x");
  const class_labels lab = make_labels(labels, 0, fn, "labels");
  check_same_rows(vx.rows(), static_cast<index_t>(lab.values.size()), fn, "x", "labels");
  check_finite(vx, fn, "x");
  neighbors::preprocess_report rep;
  const row_matrix<double> mx = neighbors::prepared_copy(vx, preprocess, fn, "x", rep);
  estimate e;
  const double h_all = detail::entropy_value(entropy_fn(mx), e, "h(X)");
  const index_t n = mx.rows();
  double conditional = 0.0;
  for (std::int64_t c = 0; c < lab.num_classes; ++c) {
    const index_t nc = lab.counts[static_cast<std::size_t>(c)];
    if (nc == 0) continue;
    row_matrix<double> part(nc, mx.cols());
    index_t row = 0;
    for (index_t i = 0; i < n; ++i)
      if (lab.values[static_cast<std::size_t>(i)] == c) part.row(row++) = mx.row(i);
    double hc = 0.0;
    try {
      hc = detail::entropy_value(entropy_fn(part), e, "h(X|Y=" + std::to_string(c) + ")");
    } catch (const infogeo::invalid_argument& err) {
      throw_invalid_argument(fn, "the entropy estimator failed on class ", c, " (", nc,
                             " samples): ", err.what());
    }
    const double p = static_cast<double>(nc) / static_cast<double>(n);
    conditional += p * hc;
    e.details["h_x_given_y" + std::to_string(c)] = hc;
  }
  e.value = h_all - conditional;
  e.n = n;
  e.dims = mx.cols();
  e.method = "mi_discrete_labels";
  e.parameters["classes"] = static_cast<double>(lab.num_classes);
  e.details["h_x"] = h_all;
  e.details["h_x_given_y"] = conditional;
  neighbors::record(e, preprocess, rep);
  return e;
}

}  // namespace infogeo::mi
