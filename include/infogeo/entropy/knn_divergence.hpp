// k-nearest-neighbour estimator of the Kullback-Leibler divergence between two samples
// (Wang, Kulkarni & Verdu 2009).
#pragma once

#include <cmath>
#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"

namespace infogeo::entropy {

/// Options of knn_kl_divergence().
struct divergence_options {
  index_t k = 1;  ///< neighbour order; k < n (within X) and k <= m (into Y)
  norm_kind norm = norm_kind::euclidean;
  neighbors::backend search = neighbors::backend::automatic;
  /// Jitter only (X and Y get independent streams); standardisation is refused because scaling
  /// X and Y separately would change the divergence.
  neighbors::preprocess_options preprocess;
};

/// KL divergence D(P || Q) in nats from x ~ P (n x d) and y ~ Q (m x d) (Wang, Kulkarni &
/// Verdu 2009, IEEE Trans. Inf. Theory 55(5), eq. 5):
///   D = (d/n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1)),
/// rho_k(i) = distance from x_i to its k-th nearest neighbour in x without x_i, nu_k(i) = to
/// its k-th nearest neighbour in y. Any norm (the ball volume cancels). Consistent for fixed k;
/// bias O((k/n)^{1/d}) for smooth densities. Cost: two k-NN searches.
/// Errors: n < 2, m < 1, d = 0 or d differs, NaN/Inf, k < 1, k >= n, k > m, zero distances
/// (duplicates in x, or x_i equal to a y point), standardize requested.
template <class InputX, class InputY>
estimate knn_kl_divergence(const InputX& x, const InputY& y, const divergence_options& opt = {}) {
  constexpr const char* fn = "entropy::knn_kl_divergence";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  check_shape(vx, 2, fn, "x");
  check_shape(vy, 1, fn, "y");
  require(vx.cols() == vy.cols(), fn, "x and y must have the same number of columns (x dims=",
          vx.cols(), ", y dims=", vy.cols(), ")");
  require(opt.k >= 1, fn, "k must be >= 1 (k=", opt.k, ")");
  require(opt.k < vx.rows(), fn, "k must be < n, the rows of x (k=", opt.k, ", n=", vx.rows(), ")");
  require(opt.k <= vy.rows(), fn, "k must be <= m, the rows of y (k=", opt.k, ", m=", vy.rows(), ")");
  require(!opt.preprocess.standardize, fn,
          "standardize must be off: scaling x and y separately changes the divergence "
          "(standardize=1)");
  check_finite(vx, fn, "x");
  check_finite(vy, fn, "y");
  neighbors::preprocess_report rx;
  neighbors::preprocess_report ry;
  const row_matrix<double> mx = neighbors::prepared_copy(vx, opt.preprocess, fn, "x", rx, 0);
  const row_matrix<double> my = neighbors::prepared_copy(vy, opt.preprocess, fn, "y", ry, 1);
  const auto within = neighbors::knn_self(mx, opt.k, opt.norm, opt.search);
  neighbors::check_no_duplicates(within, fn, "x", opt.preprocess);
  const auto across = neighbors::knn_query(my, mx, opt.k, opt.norm, opt.search);
  index_t zero_cross = 0;
  for (index_t i = 0; i < across.n; ++i) zero_cross += across.kth_distance(i) == 0.0;
  require(zero_cross == 0, fn, "x has ", zero_cross,
          " point(s) whose k-th neighbour in y is at distance 0 (points shared by x and y); set "
          "jitter > 0 (count=", zero_cross, ")");
  double sum = 0.0;
  for (index_t i = 0; i < mx.rows(); ++i)
    sum += std::log(across.kth_distance(i)) - std::log(within.kth_distance(i));
  const auto n = static_cast<double>(mx.rows());
  const auto m = static_cast<double>(my.rows());
  estimate e;
  e.value = static_cast<double>(mx.cols()) * sum / n + std::log(m / (n - 1.0));
  e.n = mx.rows();
  e.dims = mx.cols();
  e.method = "knn_kl_divergence";
  e.parameters["k"] = static_cast<double>(opt.k);
  e.parameters["m"] = m;
  e.settings["norm"] = neighbors::to_string(opt.norm);
  e.settings["backend"] = neighbors::to_string(within.used);
  e.settings["search_algorithm"] = within.algorithm;
  neighbors::record(e, opt.preprocess, rx, "_x");
  if (opt.preprocess.jitter > 0.0) e.details["duplicate_rows_y"] = static_cast<double>(ry.duplicate_rows);
  return e;
}

}  // namespace infogeo::entropy
