// The estimators the benchmark harness runs: a name plus an entropy and/or an MI function on
// double row-major samples. The registry starts with a self-contained Gaussian plug-in; the
// tool (tools/infogeo/bench_estimators.cpp) registers the library's estimators next to it.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"

namespace infogeo::harness {

/// An estimator as the harness sees it. Either function may be empty (not supported).
struct estimator {
  std::string name;
  std::string description;
  std::function<double(const row_matrix<double>& x)> entropy;  ///< h(X) in nats
  std::function<double(const row_matrix<double>& x, const row_matrix<double>& y)> mi;  ///< I(X;Y), nats
  index_t max_dims = 0;  ///< tasks whose joint dimension exceeds this are skipped (0 = no limit)
  bool slow = false;     ///< seconds per fit (trained models): left out of the quick suite unless named
};

/// 1/2 log det of the unbiased sample covariance of x (N x D, N > D); numerical_error if the
/// covariance is not numerically positive definite (smallest Cholesky pivot^2 below 1e-12 of
/// the mean variance), because then no honest plug-in value exists.
inline double half_log_det_sample_covariance(const row_matrix<double>& x, const char* fn) {
  require(x.rows() > x.cols() && x.cols() >= 1, fn, "needs more samples than dimensions (n=", x.rows(),
          ", d=", x.cols(), ")");
  const Eigen::RowVectorXd mean = x.colwise().mean();
  const Eigen::MatrixXd centred = x.rowwise() - mean;
  const Eigen::MatrixXd cov = (centred.transpose() * centred) / static_cast<double>(x.rows() - 1);
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  const double scale = cov.diagonal().mean();
  if (llt.info() != Eigen::Success || !(scale > 0.0))
    throw_numerical_error(fn, "sample covariance is not positive definite (d=", x.cols(), ")");
  double half = 0.0;
  for (index_t i = 0; i < cov.rows(); ++i) {
    const double l = llt.matrixLLT()(i, i);
    if (!(l * l > 1e-12 * scale))
      throw_numerical_error(fn, "sample covariance is numerically singular (pivot ", i, ", d=", x.cols(), ")");
    half += std::log(l);
  }
  return half;
}

/// Gaussian plug-in entropy 1/2 log det(2 pi e S) with S the unbiased sample covariance
/// (Cover & Thomas Thm 8.4.1 with S for Sigma). Exact in the limit for Gaussian data, a
/// maximum-entropy upper bound otherwise; finite-N bias O(d^2 / N) (Ahmed & Gokhale 1989). O(N D^2).
inline double gaussian_plugin_entropy(const row_matrix<double>& x) {
  const double d = static_cast<double>(x.cols());
  return 0.5 * d * std::log(2.0 * pi * std::exp(1.0)) + half_log_det_sample_covariance(x, "harness::gaussian_plugin_entropy");
}

/// Gaussian plug-in MI 1/2 (log det S_x + log det S_y - log det S_xy) = -1/2 sum log(1 - r_i^2)
/// over the sample canonical correlations r_i: exact in the limit for jointly Gaussian data; for
/// other data it measures only linear dependence (a lower bound for Gaussian-marginal copulas).
inline double gaussian_plugin_mi(const row_matrix<double>& x, const row_matrix<double>& y) {
  const char* fn = "harness::gaussian_plugin_mi";
  require(x.rows() == y.rows(), fn, "x and y must have the same number of rows (x=", x.rows(), ", y=", y.rows(), ")");
  row_matrix<double> xy(x.rows(), x.cols() + y.cols());
  xy << x, y;
  return half_log_det_sample_covariance(x, fn) + half_log_det_sample_covariance(y, fn) -
         half_log_det_sample_covariance(xy, fn);
}

/// The built-in Gaussian plug-in estimator entry.
inline estimator gaussian_plugin_estimator() {
  estimator e;
  e.name = "gaussian-plugin";
  e.description = "1/2 log det(2 pi e S) of the sample covariance; MI from log-det differences";
  e.entropy = gaussian_plugin_entropy;
  e.mi = gaussian_plugin_mi;
  return e;
}

/// The global registry, starting with the Gaussian plug-in.
inline std::vector<estimator>& estimator_registry() {
  static std::vector<estimator> registry{gaussian_plugin_estimator()};
  return registry;
}

/// Registers an estimator at static-initialisation time (one per estimator in the tool).
struct estimator_registrar {
  explicit estimator_registrar(estimator e) { estimator_registry().push_back(std::move(e)); }
};

}  // namespace infogeo::harness
