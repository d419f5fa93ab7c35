// Uncertainty for any estimator: a seeded nonparametric bootstrap with a percentile interval
// (Efron & Tibshirani 1993, ch. 13), and the plain standard error of a mean of per-sample terms.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::stats {

/// Standard error of the mean of per-sample terms: sd / sqrt(n) with the n - 1 sample standard
/// deviation. Meaningful when the estimate is a plain mean of (nearly) independent terms, e.g.
/// the Monte-Carlo log-densities of a mixture entropy, or KDE/kNN log terms evaluated on a random
/// subset; for leave-one-out resubstitution over the whole sample it ignores the dependence
/// between terms (they share the sample) and is only indicative. Throws if n < 2.
template <class Range>
double standard_error_of_mean(const Range& terms) {
  double n = 0.0;
  double mean = 0.0;
  double m2 = 0.0;
  for (const auto& t : terms) {  // Welford
    const double v = static_cast<double>(t);
    n += 1.0;
    const double delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  require(n >= 2.0, "stats::standard_error_of_mean", "needs at least 2 terms (n=", n, ")");
  return std::sqrt(m2 / (n - 1.0) / n);
}

/// Options of bootstrap().
struct bootstrap_options {
  index_t resamples = 200;   ///< B, the number of bootstrap replicates
  double confidence = 0.95;  ///< level of the two-sided percentile interval
  std::uint64_t seed = 0;    ///< replicate b draws from random_engine(seed).split(b)
};

/// A percentile bootstrap interval.
struct bootstrap_interval {
  double point = 0.0;      ///< the statistic on the original sample
  double lower = 0.0;      ///< (1 - confidence)/2 quantile of the replicates
  double upper = 0.0;      ///< (1 + confidence)/2 quantile of the replicates
  double std_error = 0.0;  ///< standard deviation of the replicates (bootstrap standard error)
  double confidence = 0.95;
  index_t resamples = 0;
  std::vector<double> replicates;  ///< in replicate order (not sorted)
};

namespace detail {
inline double statistic_value(double v) { return v; }
inline double statistic_value(const estimate& e) { return e.value; }

/// Quantile with linear interpolation between order statistics (Hyndman & Fan type 7).
inline double sorted_quantile(const std::vector<double>& sorted, double p) {
  const double h = (static_cast<double>(sorted.size()) - 1.0) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - std::floor(h)) * (sorted[hi] - sorted[lo]);
}
}  // namespace detail

/// Nonparametric bootstrap of any statistic of n rows. `statistic(rows)` receives a
/// std::vector<index_t> of row indices (the identity for the point estimate, n draws with
/// replacement for each replicate) and returns a double or an infogeo::estimate (its value is
/// used); use take_rows() to build the resampled matrix. Paired data (X, Y) take the same rows.
/// Returns the percentile interval (Efron & Tibshirani 1993, eq. 13.5) and the bootstrap SE.
/// Caveats: the percentile interval assumes the estimator's sampling distribution is roughly
/// centred on the truth; for biased estimators (kNN/KDE entropies in high D) it covers the
/// biased value, not the truth. Resamples contain duplicate rows: estimators based on
/// nearest-neighbour distances treat them as ties (log 0) and may throw or need jitter; the
/// exception propagates (no replicate is silently dropped). Deterministic for a given seed.
/// Cost: (B + 1) evaluations of the statistic. Errors: n < 2, resamples < 2, confidence
/// outside (0, 1), or a non-finite replicate.
template <class Statistic>
bootstrap_interval bootstrap(index_t n, Statistic&& statistic, const bootstrap_options& options = {}) {
  const char* fn = "stats::bootstrap";
  require(n >= 2, fn, "n must be >= 2 (n=", n, ")");
  require(options.resamples >= 2, fn, "resamples must be >= 2 (resamples=", options.resamples, ")");
  require(options.confidence > 0.0 && options.confidence < 1.0, fn,
          "confidence must be in (0, 1) (confidence=", options.confidence, ")");
  bootstrap_interval out;
  out.confidence = options.confidence;
  out.resamples = options.resamples;
  std::vector<index_t> rows(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = i;
  out.point = detail::statistic_value(statistic(static_cast<const std::vector<index_t>&>(rows)));
  const random_engine root(options.seed);
  out.replicates.reserve(static_cast<std::size_t>(options.resamples));
  for (index_t b = 0; b < options.resamples; ++b) {
    random_engine rng = root.split(static_cast<std::uint64_t>(b));
    for (auto& r : rows) r = static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(n)));
    const double v =
        detail::statistic_value(statistic(static_cast<const std::vector<index_t>&>(rows)));
    require(std::isfinite(v), fn, "the statistic returned a non-finite value on replicate ", b,
            " (value=", v, ")");
    out.replicates.push_back(v);
  }
  std::vector<double> sorted = out.replicates;
  std::sort(sorted.begin(), sorted.end());
  const double alpha = 1.0 - options.confidence;
  out.lower = detail::sorted_quantile(sorted, 0.5 * alpha);
  out.upper = detail::sorted_quantile(sorted, 1.0 - 0.5 * alpha);
  double mean = 0.0;
  for (double v : out.replicates) mean += v;
  mean /= static_cast<double>(out.replicates.size());
  double ss = 0.0;
  for (double v : out.replicates) ss += (v - mean) * (v - mean);
  out.std_error = std::sqrt(ss / (static_cast<double>(out.replicates.size()) - 1.0));
  return out;
}

/// The rows `rows` of a sample (any make_view() input) as a double row-major matrix (the
/// resampled data of a bootstrap replicate). Throws if an index is out of range.
template <class Input>
row_matrix<double> take_rows(const Input& input, const std::vector<index_t>& rows) {
  const auto view = make_view(input);
  row_matrix<double> out(static_cast<index_t>(rows.size()), view.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const index_t r = rows[i];
    require(r >= 0 && r < view.rows(), "stats::take_rows", "row index out of range (row=", r,
            ", rows=", view.rows(), ")");
    for (index_t j = 0; j < view.cols(); ++j)
      out(static_cast<index_t>(i), j) = static_cast<double>(view(r, j));
  }
  return out;
}

/// Copies a bootstrap interval into an estimate's details ("bootstrap_lower", "bootstrap_upper",
/// "bootstrap_std_error", "bootstrap_resamples", "bootstrap_confidence").
inline void attach_bootstrap(estimate& e, const bootstrap_interval& b) {
  e.details["bootstrap_lower"] = b.lower;
  e.details["bootstrap_upper"] = b.upper;
  e.details["bootstrap_std_error"] = b.std_error;
  e.details["bootstrap_resamples"] = static_cast<double>(b.resamples);
  e.details["bootstrap_confidence"] = b.confidence;
}

}  // namespace infogeo::stats
