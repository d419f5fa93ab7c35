// 1-D two-component Gaussian mixture fitted by EM, and the per-dimension "binarity" statistics
// of "Latent point collapse..." (App. D): how close each latent coordinate is to two sharp peaks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::stats {

/// EM options.
struct gmm_options {
  int max_iterations = 500;
  double tolerance = 1e-10;     ///< stop when the mean log-likelihood improves by less than this
  double min_relative_var = 1e-6;  ///< variance floor, relative to the data variance (avoids collapse onto one point)
};

/// A fitted two-component mixture w_1 N(mu_1, s_1^2) + w_2 N(mu_2, s_2^2), ordered mu_1 <= mu_2.
struct gmm1d {
  double weight[2] = {0.5, 0.5};
  double mean[2] = {0.0, 0.0};
  double stddev[2] = {1.0, 1.0};
  double mean_log_likelihood = 0.0;  ///< (1/N) sum_i log p(x_i), nats
  int iterations = 0;
  bool converged = false;
  bool variance_floor_hit = false;   ///< a component std was clamped at the floor
};

namespace detail {
inline double gmm_log_component(double x, double w, double mu, double s) {
  const double u = (x - mu) / s;
  return std::log(w) - 0.5 * u * u - std::log(s) - 0.5 * std::log(2.0 * pi);
}
}  // namespace detail

/// Fits a two-component 1-D Gaussian mixture by EM (Dempster et al. 1977; Bishop 2006 Sec. 9.2.2)
/// with responsibilities in log space. Initialisation: means at the 25th/75th percentiles, stds
/// half the sample std, equal weights (deterministic). Each iteration never decreases the
/// likelihood. O(N) per iteration. Throws invalid_argument for < 2 values, NaN/Inf, or a
/// constant input (no mixture is identifiable).
template <class = void>
gmm1d fit_gmm2(const std::vector<double>& values, const gmm_options& options = {}) {
  const char* fn = "stats::fit_gmm2";
  require(values.size() >= 2, fn, "needs at least 2 values (n=", values.size(), ")");
  require(options.max_iterations >= 1, fn, "max_iterations must be >= 1 (max_iterations=", options.max_iterations, ")");
  for (std::size_t i = 0; i < values.size(); ++i)
    require(std::isfinite(values[i]), fn, "values must be finite (values[", i, "]=", values[i], ")");
  const double n = static_cast<double>(values.size());
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= n;
  double var = 0.0;
  for (double v : values) var += (v - mean) * (v - mean);
  var /= n;
  require(var > 0.0, fn, "values are constant (value=", values[0], ")");
  const double var_floor = options.min_relative_var * var;
  std::vector<double> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  gmm1d g;
  g.mean[0] = sorted[sorted.size() / 4];
  g.mean[1] = sorted[(3 * sorted.size()) / 4];
  if (g.mean[0] == g.mean[1]) {
    g.mean[0] = sorted.front();
    g.mean[1] = sorted.back();
  }
  g.stddev[0] = g.stddev[1] = 0.5 * std::sqrt(var);
  std::vector<double> r(values.size());  // responsibility of component 1
  double previous = -std::numeric_limits<double>::infinity();
  for (int it = 1; it <= options.max_iterations; ++it) {
    // E step (and the log-likelihood of the current parameters).
    double ll = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double a = detail::gmm_log_component(values[i], g.weight[0], g.mean[0], g.stddev[0]);
      const double b = detail::gmm_log_component(values[i], g.weight[1], g.mean[1], g.stddev[1]);
      const double m = std::max(a, b);
      const double lse = m + std::log(std::exp(a - m) + std::exp(b - m));
      r[i] = std::exp(b - lse);
      ll += lse;
    }
    ll /= n;
    g.mean_log_likelihood = ll;
    g.iterations = it;
    if (ll - previous < options.tolerance) {
      g.converged = true;
      break;
    }
    previous = ll;
    // M step.
    double n1 = 0.0, s1 = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      n1 += r[i];
      s1 += r[i] * values[i];
    }
    const double n0 = n - n1;
    if (n0 <= 0.0 || n1 <= 0.0) break;  // one component emptied: keep the last parameters
    double s0 = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) s0 += (1.0 - r[i]) * values[i];
    g.mean[0] = s0 / n0;
    g.mean[1] = s1 / n1;
    double v0 = 0.0, v1 = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      v0 += (1.0 - r[i]) * (values[i] - g.mean[0]) * (values[i] - g.mean[0]);
      v1 += r[i] * (values[i] - g.mean[1]) * (values[i] - g.mean[1]);
    }
    v0 /= n0;
    v1 /= n1;
    if (v0 < var_floor || v1 < var_floor) g.variance_floor_hit = true;
    g.stddev[0] = std::sqrt(std::max(v0, var_floor));
    g.stddev[1] = std::sqrt(std::max(v1, var_floor));
    g.weight[0] = n0 / n;
    g.weight[1] = n1 / n;
  }
  // The reported likelihood is that of the returned parameters (the loop may end after an M step).
  double ll = 0.0;
  for (double v : values) {
    const double a = detail::gmm_log_component(v, g.weight[0], g.mean[0], g.stddev[0]);
    const double b = detail::gmm_log_component(v, g.weight[1], g.mean[1], g.stddev[1]);
    const double m = std::max(a, b);
    ll += m + std::log(std::exp(a - m) + std::exp(b - m));
  }
  g.mean_log_likelihood = ll / n;
  if (g.mean[0] > g.mean[1]) {
    std::swap(g.mean[0], g.mean[1]);
    std::swap(g.stddev[0], g.stddev[1]);
    std::swap(g.weight[0], g.weight[1]);
  }
  return g;
}

/// Binarity of one coordinate (App. D of "Latent point collapse..."), from its fitted mixture.
struct binarity_stats {
  double mean_log_likelihood = 0.0;  ///< of the fitted two-component mixture, nats per sample
  double mean_std = 0.0;             ///< (s_1 + s_2) / 2
  double peak_distance_over_std = 0.0;  ///< |mu_2 - mu_1| / mean_std: large = two sharp peaks
};

/// Options of binarity().
struct binarity_options {
  /// Standardise each column to mean 0, population std 1 before fitting (default). The authors'
  /// code for "Latent point collapse..." (seed paper 003, App. D, eqs. 25-27) standardises the
  /// latent coordinates, so their mean log-likelihood (eq. 25) and mean std (eq. 26) are in
  /// standard-deviation units and comparable across layers of different scale. Set false to fit
  /// the raw values (then eq. 25-26 carry the units of the features; eq. 27 is scale-free either way).
  bool standardize = true;
  gmm_options gmm;  ///< EM settings of each per-column fit
};

/// Per-dimension binarity statistics plus their averages over dimensions.
struct binarity_report {
  std::vector<gmm1d> fits;           ///< one per column (on standardised values when standardized)
  std::vector<binarity_stats> per_dimension;
  binarity_stats average;            ///< plain mean over columns (eqs. 25-27 of seed paper 003, App. D)
  bool standardized = true;          ///< whether the columns were standardised first
  std::vector<double> column_means;  ///< per column (the shift removed when standardized)
  std::vector<double> column_stds;   ///< per column, population std (the scale removed when standardized)
};

/// Fits fit_gmm2 to every column of `features` (N x D, any make_view input), by default after
/// standardising it (binarity_options::standardize), and reports the binarity statistics of seed
/// paper 003, App. D: per column the mean log-likelihood of the two-component fit (eq. 25), the
/// mean of the two component stds (eq. 26) and the peak distance over that mean std (eq. 27), and
/// their averages over columns. O(N D iterations). Constant columns are rejected
/// (invalid_argument: no mixture is identifiable, and standardising would divide by zero).
template <class Input>
binarity_report binarity(const Input& features, const binarity_options& options = {}) {
  const char* fn = "stats::binarity";
  const auto view = make_view(features);
  check_samples(view, 2, fn, "features");
  binarity_report rep;
  rep.standardized = options.standardize;
  std::vector<double> column(static_cast<std::size_t>(view.rows()));
  const double n = static_cast<double>(view.rows());
  for (index_t j = 0; j < view.cols(); ++j) {
    for (index_t i = 0; i < view.rows(); ++i) column[static_cast<std::size_t>(i)] = static_cast<double>(view(i, j));
    double mean = 0.0;
    for (double v : column) mean += v;
    mean /= n;
    double var = 0.0;
    for (double v : column) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / n);
    require(std::isfinite(sd), fn, "features must be finite (column ", j, ")");
    require(sd > 0.0, fn, "column ", j, " is constant (value=", column[0], "): no two-peak fit is identifiable");
    rep.column_means.push_back(mean);
    rep.column_stds.push_back(sd);
    if (options.standardize)
      for (double& v : column) v = (v - mean) / sd;
    const gmm1d g = fit_gmm2(column, options.gmm);
    binarity_stats s;
    s.mean_log_likelihood = g.mean_log_likelihood;
    s.mean_std = 0.5 * (g.stddev[0] + g.stddev[1]);
    s.peak_distance_over_std = (g.mean[1] - g.mean[0]) / s.mean_std;
    rep.fits.push_back(g);
    rep.per_dimension.push_back(s);
    const double w = 1.0 / static_cast<double>(view.cols());
    rep.average.mean_log_likelihood += w * s.mean_log_likelihood;
    rep.average.mean_std += w * s.mean_std;
    rep.average.peak_distance_over_std += w * s.peak_distance_over_std;
  }
  return rep;
}

}  // namespace infogeo::stats
