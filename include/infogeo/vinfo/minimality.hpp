// Minimality I_V(h -> Dec(x, Y)) (thesis ../shared/papers/001 Sec. 1.3, the equation before (1.5);
// Sec. 2.2 and Alg. 2; Dubois et al. 2020, Alg. 1): how well the decoder family can fit arbitrary
// relabellings of the samples of each class from their representations.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/stats/relabel.hpp"
#include "infogeo/vinfo/decoder.hpp"
#include "infogeo/vinfo/result.hpp"
#include "infogeo/vinfo/splits.hpp"

namespace infogeo::vinfo {

/// Options of minimality().
struct minimality_options {
  std::uint64_t seed = 0;  ///< fit seeds derive from (seed, class, digit)
  /// Pass each class's previous digit fit as warm start (the linear family then reuses its
  /// preconditioner, built once per class, and its parameters as the starting point).
  bool warm_start = true;
  /// Called after each (class, digit) fit with a one-line progress message (e.g. to stderr).
  std::function<void(const std::string&)> progress;
};

/// Minimality of `features` (N x D) with class `labels` under the decoder family `family`:
///   I_V(h -> Dec(x, Y)) = 1/|Y| sum_c 1/N_D sum_{d < N_D} [ H(n_c^(d)) - inf_{f in V} CE_c^(d)(f) ],
/// where n_c^(d) is digit d (base C) of the within-class index of the samples of class c (Alg. 2,
/// stats::relabel_by_index_digit: input order within the class), N_D = ceil(log_C max_c n_c), and
/// CE_c^(d) the mean cross-entropy of a decoder fitted on the class's samples to predict that
/// digit, measured on the same samples (fit_purpose::in_sample). In-sample is the definition, not
/// a shortcut: minimality measures what the family can memorise; on held-out samples the digits of
/// unseen indices are unpredictable and every representation would score ~0.
///
/// Imbalanced classes: N_D comes from the largest class (Alg. 2), so high digits of small classes
/// are constant (entropy 0, value 0, not fitted) and pull their class's average down, as the
/// thesis's 1/|Dec(x, y)| average over the fixed relabellings does; H(n_c^(d)) is the digit's
/// empirical entropy in the class (log C only when n_c is a multiple of C^(d+1)). Every value is
/// in [0, H(n_c^(d))] for families that contain the constant predictors (both built-in ones do)
/// up to the fit tolerance. The maximum, 1/|Y| sum_c 1/N_D sum_d H(n_c^(d)), is reached by a
/// representation from which the family can read every digit; 0 by one that is constant within
/// each class. Units: nats. Cost: up to C * N_D fits on n_c samples each.
/// Errors: as sufficiency() (row mismatch, NaN/Inf, < 2 classes). Verdict: "decoder_not_converged".
template <class Family, class Range>
minimality_result minimality(const sample_view<double>& features, const Range& labels, const Family& family,
                             const minimality_options& options = {}) {
  static_assert(is_decoder_family_v<Family>,
                "infogeo::vinfo::minimality: Family must satisfy the decoder-family concept (decoder.hpp)");
  const char* fn = "vinfo::minimality";
  const dense_labels y = check_vinfo_inputs(features, labels, fn);
  const std::int64_t c_count = y.num_classes();
  class_labels cl;
  cl.values = y.dense;
  cl.num_classes = c_count;
  cl.counts = y.counts;
  const int digits = stats::relabel_digit_count(cl);
  std::vector<std::vector<std::int64_t>> digit_labels(static_cast<std::size_t>(digits));
  for (int d = 0; d < digits; ++d) digit_labels[static_cast<std::size_t>(d)] = stats::relabel_by_index_digit(y.dense, d, c_count);

  minimality_result r;
  r.n = features.rows();
  r.dims = features.cols();
  r.num_classes = c_count;
  r.digits = digits;
  r.decoder = family.name();
  r.seed = options.seed;
  r.labels = y.original;
  r.per_class.assign(static_cast<std::size_t>(c_count), 0.0);
  r.per_digit.assign(static_cast<std::size_t>(digits), 0.0);

  for (std::int64_t c = 0; c < c_count; ++c) {
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i < y.dense.size(); ++i)
      if (y.dense[i] == c) rows.push_back(static_cast<std::int64_t>(i));
    const row_matrix<double> xc = gather_rows(features, rows);
    typename Family::fitted_type previous;
    bool have_previous = false;
    for (int d = 0; d < digits; ++d) {
      minimality_cell cell;
      cell.label = y.original[static_cast<std::size_t>(c)];
      cell.digit = d;
      cell.n = static_cast<std::int64_t>(rows.size());
      // Dense digit labels within the class (only the values present), and their entropy.
      std::vector<std::int64_t> map(static_cast<std::size_t>(c_count), -1);
      std::vector<std::int64_t> counts;
      std::vector<std::int64_t> target(rows.size());
      for (std::size_t k = 0; k < rows.size(); ++k) {
        const auto v = digit_labels[static_cast<std::size_t>(d)][static_cast<std::size_t>(rows[k])];
        if (map[static_cast<std::size_t>(v)] < 0) {
          map[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(counts.size());
          counts.push_back(0);
        }
        target[k] = map[static_cast<std::size_t>(v)];
        ++counts[static_cast<std::size_t>(target[k])];
      }
      cell.distinct = static_cast<std::int64_t>(counts.size());
      cell.digit_entropy = label_entropy(counts);
      if (cell.distinct >= 2) {
        decoder_fit_context ctx;
        ctx.purpose = fit_purpose::in_sample;
        ctx.seed = options.seed ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(c * 64 + d + 1));
        const bool warm = options.warm_start && have_previous;
        typename Family::fitted_type fitted = family.fit(view_of(xc), target, cell.distinct, ctx, warm ? &previous : nullptr);
        cell.cross_entropy = mean_cross_entropy(fitted, view_of(xc), target);
        if (!std::isfinite(cell.cross_entropy))
          throw_numerical_error(fn, "the decoder family ", r.decoder,
                                " returned non-finite log-probabilities (label ", cell.label, ", digit ", d, ")");
        cell.value = cell.digit_entropy - cell.cross_entropy;
        cell.fitted = true;
        cell.fit = fitted.report();
        previous = std::move(fitted);
        have_previous = true;
      } else {
        cell.cross_entropy = 0.0;
        cell.value = 0.0;
      }
      r.per_class[static_cast<std::size_t>(c)] += cell.value / digits;
      r.per_digit[static_cast<std::size_t>(d)] += cell.value / static_cast<double>(c_count);
      if (options.progress)
        options.progress(infogeo::detail::concat("minimality: label ", cell.label, " digit ", d + 1, "/", digits, " (n=", cell.n,
                                        ", distinct=", cell.distinct, "): ", cell.value, " nats",
                                        cell.fitted ? (cell.fit.converged ? "" : " [not converged]") : " [constant]"));
      r.cells.push_back(std::move(cell));
    }
  }
  double total = 0.0;
  for (double v : r.per_class) total += v;
  r.value = total / static_cast<double>(c_count);

  int fitted = 0, not_converged = 0;
  for (const auto& cell : r.cells)
    if (cell.fitted) {
      ++fitted;
      if (!cell.fit.converged) ++not_converged;
    }
  if (not_converged > 0)
    r.warn("decoder_not_converged",
           infogeo::detail::concat(not_converged, " of ", fitted,
                          " digit fits stopped at their iteration cap: their in-sample cross-entropy is above the "
                          "family's infimum, so minimality is underestimated; raise max_iterations / max_epochs"),
           static_cast<double>(not_converged));
  return r;
}

}  // namespace infogeo::vinfo
