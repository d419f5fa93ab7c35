// Conditional mutual information given a discrete variable (class labels):
//   I(X;Y|L) = sum_l p(l) I(X;Y | L = l),  p(l) = n_l / N (plug-in),
// any MI estimator applied to the rows of each class. For a label column L this is the exact
// decomposition; the Frenzel-Pompe construction (ksg_conditional) on a label column instead depends on
// the spacing of the label values relative to the neighbour distances. Used by `infogeo cmi` when Z
// is integer-typed, e.g. I(X;Z|Y) of the class toy (synthetic/class_toy, harness task class-toy).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sampling_noise.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::mi {

/// What class_conditional_mi() returns: the total and each class's estimate.
struct class_conditional_result {
  estimate total;                     ///< value = sum_l (n_l / N) I_l in nats
  std::vector<std::int64_t> classes;  ///< the label value of each class, ascending
  std::vector<estimate> per_class;    ///< I(X;Y | L = l) on the n_l rows of class l
};

/// I(X;Y|L) = sum_l (n_l / N) I(X;Y | L = l) for N x DX `x`, N x DY `y` (any make_view input) and N
/// integer labels (any values; encode_labels), with `mi(x_l, y_l)` (row_matrix<double> arguments,
/// returning an estimate, e.g. a lambda calling mi::ksg) on the rows of each class. std_error =
/// sqrt(sum_l p_l^2 se_l^2) when every class estimate has one, and then "sampling_noise" when twice it
/// exceeds the tolerance. The status is warning when a class estimate warns (a class's own
/// "sampling_noise" excepted: the sum averages it down); its reasons are kept with the message
/// prefixed by "class <value>: ". method =
/// "class_conditional(<inner method>)"; details "classes" and "min_class_rows". Errors:
/// invalid_argument for mismatched rows or no rows, and the invalid_argument `mi` throws for a class
/// (e.g. too few rows for its k), rethrown naming the class value and its rows.
template <class X, class Y, class Labels, class Estimator>
class_conditional_result class_conditional_mi(const X& x, const Y& y, const Labels& labels, Estimator&& mi) {
  const char* fn = "mi::class_conditional_mi";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  check_samples(vx, 1, fn, "x");
  check_samples(vy, 1, fn, "y");
  check_same_rows(vx.rows(), vy.rows(), fn, "x", "y");
  const label_encoding coded = encode_labels(labels, default_max_classes, fn, "labels");
  check_same_rows(vx.rows(), static_cast<index_t>(coded.codes.size()), fn, "x", "labels");
  const row_matrix<double> mx = to_row_matrix<double>(vx);
  const row_matrix<double> my = to_row_matrix<double>(vy);
  const auto num_classes = static_cast<std::size_t>(coded.num_classes());
  std::vector<std::vector<index_t>> rows(num_classes);
  for (std::size_t i = 0; i < coded.codes.size(); ++i)
    rows[static_cast<std::size_t>(coded.codes[i])].push_back(static_cast<index_t>(i));

  class_conditional_result out;
  out.classes = coded.values;
  const double n = static_cast<double>(mx.rows());
  double value = 0.0, variance = 0.0;
  bool all_se = true;
  index_t min_rows = mx.rows();
  for (std::size_t c = 0; c < num_classes; ++c) {
    const auto& idx = rows[c];
    const auto nc = static_cast<index_t>(idx.size());
    min_rows = std::min(min_rows, nc);
    row_matrix<double> xc(nc, mx.cols()), yc(nc, my.cols());
    for (index_t r = 0; r < nc; ++r) {
      xc.row(r) = mx.row(idx[static_cast<std::size_t>(r)]);
      yc.row(r) = my.row(idx[static_cast<std::size_t>(r)]);
    }
    estimate e;
    try {
      e = mi(static_cast<const row_matrix<double>&>(xc), static_cast<const row_matrix<double>&>(yc));
    } catch (const invalid_argument& error) {  // e.g. too few rows for k: name the class
      throw_invalid_argument(fn, "class ", coded.values[c], " (", nc, " rows): ", error.what());
    }
    const double p = static_cast<double>(nc) / n;
    value += p * e.value;
    if (e.std_error) variance += p * p * *e.std_error * *e.std_error;
    else all_se = false;
    // A class's sampling noise is not the total's: the weighted sum averages it down (checked below).
    for (const auto& r : e.reasons)
      if (r.code != "sampling_noise")
        out.total.warn(r.code, "class " + std::to_string(coded.values[c]) + ": " + r.message, r.value);
    if (out.per_class.empty()) {
      out.total.method = "class_conditional(" + e.method + ")";
      out.total.parameters = e.parameters;
      out.total.settings = e.settings;
    }
    out.per_class.push_back(std::move(e));
  }
  out.total.value = value;
  out.total.n = mx.rows();
  out.total.dims = mx.cols() + my.cols();
  if (all_se)
    check_sampling_noise(out.total, std::sqrt(variance), tolerance_kind::scale_invariant, out.total.dims,
                         "the classes hold few rows each: use more samples");
  out.total.settings["conditioning"] = "discrete: sum over classes of p(l) I(X;Y|L=l)";
  out.total.details["classes"] = static_cast<double>(num_classes);
  out.total.details["min_class_rows"] = static_cast<double>(min_rows);
  return out;
}

}  // namespace infogeo::mi
