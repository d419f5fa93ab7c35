// Independent-component directions of a whitened sample (FastICA), in plain loops over Eigen/Core
// matrices (no Eigen decomposition is instantiated: like whitening.hpp, this is included on the path
// of every KL entropy estimate).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "infogeo/core/sample_view.hpp"

namespace infogeo::stats {

/// FastICA's contrast: G(u) = log cosh u (g = tanh; robust, good for symmetric sources, sub- or
/// super-Gaussian) or G(u) = u^3 / 3 (g = u^2: skewness, for skewed sources such as Beta(0.3, 1),
/// whose kurtosis is too close to a Gaussian's for log cosh to find them at d >= 5).
enum class ica_contrast { log_cosh, skewness };

/// The unmixing directions of a whitened sample z (identity sample covariance, e.g. from
/// whiten_columns()) by FastICA with the contrast G, one direction at a time
/// (deflation): the fixed-point iteration w <- E[z g(w'z)] - E[g'(w'z)] w, followed by
/// Gram-Schmidt against the directions already found and normalisation (Hyvarinen 1999, "Fast and
/// robust fixed-point algorithms for independent component analysis", IEEE Trans. Neural Netw. 10(3),
/// 626-634, Sec. III-IV). Where z is a rotation of independent non-Gaussian coordinates, the rows of
/// the result recover that rotation (up to sign and order); Gaussian data give arbitrary orthonormal
/// directions. Deterministic: each direction starts at a unit vector; at most `max_iterations` per
/// direction (stops when |w_new' w_old| > 1 - 1e-6); the iteration reads at most `max_rows` rows (an
/// even stride through z). O(min(n, max_rows) d^2 max_iterations). Returns d x d, rows orthonormal.
template <class = void>
row_matrix<double> independent_directions(const row_matrix<double>& z, ica_contrast contrast,
                                          index_t max_rows = 2000, int max_iterations = 50) {
  const index_t d = z.cols();
  const index_t stride = std::max<index_t>(1, (z.rows() + max_rows - 1) / std::max<index_t>(max_rows, 1));
  std::vector<index_t> rows;
  for (index_t i = 0; i < z.rows(); i += stride) rows.push_back(i);
  const auto used = static_cast<double>(rows.size());
  row_matrix<double> w = row_matrix<double>::Zero(d, d);
  std::vector<double> next(static_cast<std::size_t>(d));
  const auto orthonormalise = [&](index_t p) {
    for (index_t q = 0; q < p; ++q) {
      double dot = 0.0;
      for (index_t a = 0; a < d; ++a) dot += next[static_cast<std::size_t>(a)] * w(q, a);
      for (index_t a = 0; a < d; ++a) next[static_cast<std::size_t>(a)] -= dot * w(q, a);
    }
    double norm = 0.0;
    for (double v : next) norm += v * v;
    norm = std::sqrt(norm);
    for (double& v : next) v = norm > 1e-9 ? v / norm : 0.0;
    return norm > 1e-9;
  };
  for (index_t p = 0; p < d; ++p) {
    // The first unit vector not in the span of the directions found (e_p, unless an earlier one is e_q).
    for (index_t start = 0; start < d; ++start) {
      std::fill(next.begin(), next.end(), 0.0);
      next[static_cast<std::size_t>((p + start) % d)] = 1.0;
      if (orthonormalise(p)) break;
    }
    for (index_t a = 0; a < d; ++a) w(p, a) = next[static_cast<std::size_t>(a)];
    for (int it = 0; it < max_iterations; ++it) {
      std::fill(next.begin(), next.end(), 0.0);
      double mean_derivative = 0.0;
      for (index_t i : rows) {
        double u = 0.0;
        for (index_t a = 0; a < d; ++a) u += w(p, a) * z(i, a);
        double g = u * u;
        if (contrast == ica_contrast::log_cosh) {
          g = std::tanh(u);
          mean_derivative += 1.0 - g * g;
        } else {
          mean_derivative += 2.0 * u;
        }
        for (index_t a = 0; a < d; ++a) next[static_cast<std::size_t>(a)] += g * z(i, a);
      }
      for (index_t a = 0; a < d; ++a)
        next[static_cast<std::size_t>(a)] = (next[static_cast<std::size_t>(a)] - mean_derivative * w(p, a)) / used;
      if (!orthonormalise(p)) break;  // no update direction left: keep w
      double agreement = 0.0;
      for (index_t a = 0; a < d; ++a) agreement += next[static_cast<std::size_t>(a)] * w(p, a);
      for (index_t a = 0; a < d; ++a) w(p, a) = next[static_cast<std::size_t>(a)];
      if (std::abs(agreement) > 1.0 - 1e-6) break;
    }
  }
  return w;
}

/// The projections z w' of the rows of z on the directions (rows) of w: n x w.rows().
inline row_matrix<double> project_rows(const row_matrix<double>& z, const row_matrix<double>& w) {
  row_matrix<double> out(z.rows(), w.rows());
  for (index_t i = 0; i < z.rows(); ++i)
    for (index_t p = 0; p < w.rows(); ++p) {
      double s = 0.0;
      for (index_t a = 0; a < z.cols(); ++a) s += z(i, a) * w(p, a);
      out(i, p) = s;
    }
  return out;
}

}  // namespace infogeo::stats
