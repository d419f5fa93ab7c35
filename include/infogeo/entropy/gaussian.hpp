// Gaussian entropy bound: h(N(mu, Sigma)) = 1/2 log det(2 pi e Sigma) from the sample covariance.
// By the maximum-entropy property of the Gaussian (Cover & Thomas 2006, Thm. 8.6.5) this is an
// upper bound on the differential entropy of ANY distribution with covariance Sigma; it is exact
// only for Gaussian data. Also the shared covariance helpers used by kde.hpp, noisy_mixture.hpp
// and mi/compressed.hpp.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/tolerance.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/stats/gaussian_shape.hpp"

namespace infogeo::entropy {

namespace detail {

/// Sample mean (1 x D) and covariance (D x D) of an N x D double matrix; `unbiased` divides by
/// N - 1, otherwise by N. Two-pass (centred) for accuracy. Cost O(N D^2).
struct moments {
  Eigen::RowVectorXd mean;
  Eigen::MatrixXd covariance;
};

template <class = void>
moments sample_moments(const row_matrix<double>& x, bool unbiased) {
  moments m;
  const auto n = static_cast<double>(x.rows());
  m.mean = x.colwise().mean();
  const row_matrix<double> centred = x.rowwise() - m.mean;
  m.covariance = (centred.transpose() * centred) / (unbiased ? n - 1.0 : n);
  return m;
}

/// Spectrum of a covariance Sigma = S R S (S = diag of the standard deviations, R the correlation
/// matrix) with the singularity check every Gaussian-type formula needs. The check and log det are
/// taken on R, which does not depend on the units of the columns: log det Sigma = log det R +
/// sum_i log Sigma_ii. Until session 15 they were taken on Sigma itself, so independent columns with
/// standard deviations 1e-4 ... 1e4 (eigenvalues 1e-8 ... 1e8) counted as singular under the relative
/// rank tolerance and the entropy was refused (found by a red team); Sigma's own eigenvalues also
/// lose their relative accuracy there. Throws numerical_error naming `function` for a zero or
/// negative variance (a constant column) or when R's smallest eigenvalue is <= rank_tolerance *
/// its largest (collinear columns: the entropy would be -inf).
struct covariance_spectrum {
  Eigen::VectorXd values;       ///< eigenvalues of R, ascending (Eigen's order)
  Eigen::MatrixXd vectors;      ///< columns are the eigenvectors of R
  Eigen::VectorXd inverse_sd;   ///< 1 / sqrt(Sigma_ii)
  double log_det = 0.0;         ///< log det Sigma = sum log eigenvalues of R + sum log Sigma_ii
  /// W with W^T Sigma W = I: S^-1 V_R Lambda_R^(-1/2) (rows x W whitens a centred sample).
  Eigen::MatrixXd whitening() const {
    return inverse_sd.asDiagonal() * vectors * values.cwiseSqrt().cwiseInverse().asDiagonal();
  }
};

template <class = void>
covariance_spectrum checked_spectrum(const Eigen::MatrixXd& covariance, double rank_tolerance,
                                     const char* function) {
  covariance_spectrum s;
  const Eigen::VectorXd variances = covariance.diagonal();
  for (index_t i = 0; i < variances.size(); ++i)
    if (!(variances(i) > 0.0))
      throw_numerical_error(function, "the covariance is singular: column ", i, " has variance ", variances(i),
                            " (a constant column): the Gaussian-type entropy is -inf; drop it");
  s.inverse_sd = variances.cwiseSqrt().cwiseInverse();
  const Eigen::MatrixXd correlation = s.inverse_sd.asDiagonal() * covariance * s.inverse_sd.asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(correlation);
  if (solver.info() != Eigen::Success)
    throw_numerical_error(function, "eigen-decomposition of the correlation matrix failed");
  s.values = solver.eigenvalues();
  s.vectors = solver.eigenvectors();
  const double largest = s.values.size() > 0 ? s.values(s.values.size() - 1) : 0.0;
  const double smallest = s.values.size() > 0 ? s.values(0) : 0.0;
  if (!(largest > 0.0) || !(smallest > rank_tolerance * largest)) {
    index_t rank = 0;
    for (index_t i = 0; i < s.values.size(); ++i)
      if (s.values(i) > rank_tolerance * largest && largest > 0.0) ++rank;
    throw_numerical_error(function,
                          "the covariance is singular (collinear columns): the "
                          "Gaussian-type entropy is -inf (dims=",
                          s.values.size(), ", numerical rank of the correlation matrix=", rank,
                          ", its smallest eigenvalue=", smallest, ", largest=", largest,
                          ", rank_tolerance=", rank_tolerance,
                          "); drop or project out the degenerate directions (e.g. mi/compressed.hpp)");
  }
  for (index_t i = 0; i < s.values.size(); ++i) s.log_det += std::log(s.values(i)) + std::log(variances(i));
  return s;
}

/// sum_i exp(scale * (v_i - shift)) over n values (the kernel sums of kde.hpp and
/// noisy_mixture.hpp). Eigen's vectorised exp is used where it pays (AVX2 / AVX-512 builds:
/// ~2.3 ns/element measured); on baseline SSE2 builds it is slower than scalar std::exp
/// (11.7 vs 6.1 ns/element), so the scalar loop is used there. Fixed summation order.
template <class = void>
double sum_exp_shifted(const double* v, index_t n, double scale, double shift) {
#if defined(EIGEN_VECTORIZE_AVX2) || defined(EIGEN_VECTORIZE_AVX512)
  const Eigen::Map<const Eigen::ArrayXd> a(v, n);
  return (scale * (a - shift)).exp().sum();
#else
  double s = 0.0;
  for (index_t i = 0; i < n; ++i) s += std::exp(scale * (v[i] - shift));
  return s;
#endif
}

}  // namespace detail

/// Options of gaussian_entropy().
struct gaussian_options {
  bool unbiased = true;          ///< covariance divided by N - 1 (true) or N (maximum likelihood)
  double rank_tolerance = 1e-12; ///< relative eigenvalue floor for the singularity check
};

/// Entropy of N(0, covariance) in nats: 1/2 log det(2 pi e Sigma) = D/2 log(2 pi e) + 1/2 log det.
/// Throws numerical_error when the covariance is singular (see detail::checked_spectrum) and
/// invalid_argument when it is not square or not finite. Cost O(D^3).
template <class = void>
double gaussian_entropy_from_covariance(const Eigen::MatrixXd& covariance,
                                        double rank_tolerance = 1e-12) {
  const char* fn = "entropy::gaussian_entropy_from_covariance";
  require(covariance.rows() == covariance.cols() && covariance.rows() >= 1, fn,
          "covariance must be square and non-empty (rows=", covariance.rows(),
          ", cols=", covariance.cols(), ")");
  require(covariance.allFinite(), fn, "covariance must be finite");
  const auto spectrum = detail::checked_spectrum(covariance, rank_tolerance, fn);
  const auto d = static_cast<double>(covariance.rows());
  return 0.5 * d * std::log(2.0 * pi * std::exp(1.0)) + 0.5 * spectrum.log_det;
}

/// The Gaussian entropy plug-in's expected error for Gaussian data, exact: with n rows in d
/// dimensions and the unbiased covariance S ~ Wishart(n - 1, Sigma) / (n - 1),
///   E[1/2 log det S] - 1/2 log det Sigma = 1/2 sum_{i<d} [psi((n - 1 - i) / 2) + log(2 / (n - 1))]
/// (Anderson 2003, Thm 7.5.4), about -d (d + 1) / (4n): downward, whatever Sigma; the maximum-
/// likelihood covariance (divided by n) adds d/2 log((n - 1) / n). Needs n > d.
inline double gaussian_entropy_plugin_bias(index_t n, index_t d, bool unbiased = true) {
  double bias = 0.0;
  for (index_t i = 0; i < d; ++i)
    bias += digamma(0.5 * static_cast<double>(n - 1 - i)) + std::log(2.0 / static_cast<double>(n - 1));
  if (!unbiased) bias += static_cast<double>(d) * std::log(static_cast<double>(n - 1) / static_cast<double>(n));
  return 0.5 * bias;
}

/// Gaussian (maximum-entropy) bound on the differential entropy of the samples x (N x D rows):
/// h_G = 1/2 log det(2 pi e Sigma_hat) in nats, Sigma_hat the sample covariance.
/// - Exact for Gaussian data (then the estimator's bias is about -D(D+1)/(4N) with the unbiased
///   covariance, from E log det of a Wishart matrix); an upper bound on h for any other
///   distribution with the same covariance (Cover & Thomas Thm. 8.6.5).
/// - Cost O(N D^2 + D^3). Errors: invalid_argument if N <= D (the covariance cannot have full
///   rank) or the data are not finite; numerical_error when the covariance is singular
///   (collinear / constant columns).
/// The result carries details "log_det_covariance", "min_correlation_eigenvalue",
/// "max_correlation_eigenvalue" (the check is scale-free: detail::checked_spectrum).
/// Verdict: warning `non_gaussian` when a column's skewness or excess kurtosis is measurably far
/// from 0 (stats::check_gaussian_shape; cost O(N D)), or when x (D >= 2) is not jointly Gaussian by
/// Mardia's kurtosis (stats::check_joint_gaussian_shape; cost O(N D^2)); warning `plugin_bias` when
/// the plug-in's exact expected error for Gaussian data (gaussian_entropy_plugin_bias(), detail
/// "plugin_bias", negative) exceeds 0.1 nats per dimension in size (accuracy_tolerance(), core/tolerance.hpp,
/// the tolerance of the KL estimator's neighbour_order_bias): e.g. d = 40 at n = 60 reads -9.5 nats;
/// warning `shape_check_power` when n < 600, too few rows for the shape check to see a uniform-like
/// column (stats::check_shape_power()).
template <class Input>
estimate gaussian_entropy(const Input& input, const gaussian_options& options = {}) {
  const char* fn = "entropy::gaussian_entropy";
  const auto view = make_view(input);
  check_samples(view, 2, fn, "x");
  require(view.rows() > view.cols(), fn,
          "x needs more samples than dimensions for a nonsingular covariance (n=", view.rows(),
          ", dims=", view.cols(), ")");
  require(options.rank_tolerance >= 0.0 && options.rank_tolerance < 1.0, fn,
          "rank_tolerance must be in [0, 1) (rank_tolerance=", options.rank_tolerance, ")");
  const row_matrix<double> x = to_row_matrix<double>(view);
  const auto m = detail::sample_moments(x, options.unbiased);
  const auto spectrum = detail::checked_spectrum(m.covariance, options.rank_tolerance, fn);
  const auto d = static_cast<double>(view.cols());
  estimate e;
  e.value = 0.5 * d * std::log(2.0 * pi * std::exp(1.0)) + 0.5 * spectrum.log_det;
  e.n = static_cast<std::int64_t>(view.rows());
  e.dims = static_cast<std::int64_t>(view.cols());
  e.method = "gaussian";
  e.parameters["rank_tolerance"] = options.rank_tolerance;
  e.settings["covariance"] = options.unbiased ? "unbiased (N-1)" : "maximum likelihood (N)";
  e.settings["bound"] = "upper bound on h for any distribution with this covariance";
  e.details["log_det_covariance"] = spectrum.log_det;
  e.details["min_correlation_eigenvalue"] = spectrum.values(0);
  e.details["max_correlation_eigenvalue"] = spectrum.values(spectrum.values.size() - 1);
  const double bias = gaussian_entropy_plugin_bias(view.rows(), view.cols(), options.unbiased);
  e.details["plugin_bias"] = bias;
  if (std::abs(bias) > accuracy_tolerance(tolerance_kind::differential_entropy, e.value, e.dims))
    e.warn("plugin_bias",
           infogeo::detail::concat("with n = ", view.rows(), " rows in ", view.cols(),
                                   " dimensions the plug-in's expected error is ", bias,
                                   " nats (exact for Gaussian data; ~ -d (d + 1) / (4n)): use more samples, "
                                   "compress x, or subtract the bias knowingly"),
           bias);
  stats::check_gaussian_shape(e, x, "x");
  if (!e.has_reason("non_gaussian")) stats::check_joint_gaussian_shape(e, x, "x");
  if (!e.has_reason("non_gaussian")) stats::check_shape_power(e, view.rows(), "x");
  return e;
}

}  // namespace infogeo::entropy
