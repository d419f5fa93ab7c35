// Helpers shared by the trained-model tests (test_doe, test_variational; the "models" family):
// random matrices, a jointly Gaussian pair with known MI, and finite-difference gradient checks.
#pragma once

#include <doctest/doctest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo_test {

using infogeo::index_t;
using infogeo::random_engine;
using infogeo::row_matrix;

/// rows x cols matrix of independent N(0, scale^2) entries.
inline row_matrix<double> random_matrix(index_t rows, index_t cols, random_engine& rng, double scale = 1.0) {
  row_matrix<double> m(rows, cols);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) m(i, j) = scale * rng.normal();
  return m;
}

/// Jointly Gaussian pair with independent coordinates: Y_j = rho X_j + sqrt(1 - rho^2) E_j,
/// X, E ~ N(0, I_d), so I(X;Y) = -d/2 log(1 - rho^2) = total_mi.
struct gaussian_pair {
  row_matrix<double> x, y;
};
inline gaussian_pair make_gaussian_pair(index_t n, index_t d, double total_mi, std::uint64_t seed) {
  const double rho = std::sqrt(1.0 - std::exp(-2.0 * total_mi / static_cast<double>(d)));
  random_engine rng(seed);
  gaussian_pair p{random_matrix(n, d, rng), row_matrix<double>(n, d)};
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) p.y(i, j) = rho * p.x(i, j) + std::sqrt(1.0 - rho * rho) * rng.normal();
  return p;
}

/// Central finite difference of f at params along every coordinate.
template <class F>
Eigen::VectorXd numeric_gradient(F f, Eigen::VectorXd params, double h = 1e-6) {
  Eigen::VectorXd g(params.size());
  for (index_t i = 0; i < params.size(); ++i) {
    const double keep = params(i);
    params(i) = keep + h;
    const double up = f(params);
    params(i) = keep - h;
    const double down = f(params);
    params(i) = keep;
    g(i) = (up - down) / (2.0 * h);
  }
  return g;
}

/// Relative agreement of two gradients. Central differences in double with h = 1e-6 are accurate
/// to ~1e-9 relative for smooth functions (truncation h^2 times the third derivative ~ 1e-12,
/// rounding eps / h ~ 1e-10 times the function's scale); 1e-6 leaves room for cancellation and
/// still catches any wrong term.
inline void check_gradients(const Eigen::VectorXd& analytic, const Eigen::VectorXd& numeric, double tol = 1e-6) {
  REQUIRE(analytic.size() == numeric.size());
  const double scale = std::max(1.0, numeric.cwiseAbs().maxCoeff());
  const double err = (analytic - numeric).cwiseAbs().maxCoeff() / scale;
  CAPTURE(err);
  CHECK(err < tol);
}

}  // namespace infogeo_test
