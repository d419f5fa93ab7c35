// Kozachenko-Leonenko k-nearest-neighbour estimator of differential entropy.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"

namespace infogeo::entropy {

/// Options of kozachenko_leonenko().
struct kl_options {
  index_t k = 3;                                            ///< neighbour order, 1 <= k < n
  norm_kind norm = norm_kind::euclidean;                    ///< distance norm
  neighbors::backend search = neighbors::backend::automatic;
  neighbors::preprocess_options preprocess;                 ///< standardise / jitter (off)
};

/// The KL formula on precomputed neighbour distances (column `j` of `r`, i.e. the (j+1)-th
/// neighbour): psi(n) - psi(j+1) + log V_d + (d/n) sum_i log eps_i. Requires all eps_i > 0.
template <class = void>
double kozachenko_leonenko_from_knn(const neighbors::knn_result& r, index_t d, index_t j) {
  double sum_log = 0.0;
  for (index_t i = 0; i < r.n; ++i) sum_log += std::log(r.distance(i, j));
  const auto n = static_cast<double>(r.n);
  return digamma(n) - digamma(static_cast<double>(j + 1)) + log_unit_ball_volume(d, r.norm) +
         static_cast<double>(d) * sum_log / n;
}

/// Kozachenko-Leonenko differential entropy h(X) in nats (Kozachenko & Leonenko 1987; in the
/// form of Kraskov, Stoegbauer & Grassberger 2004, eq. 20):
///   h = psi(N) - psi(k) + log V_d + (d/N) sum_i log eps_i,
/// eps_i = distance from x_i to its k-th nearest neighbour among the other points, V_d = volume
/// of the unit-RADIUS ball of the norm (L2: pi^{d/2}/Gamma(d/2+1); max norm: 2^d). This equals
/// NPEET's entropy() (max norm, radius convention, psi(N)) and KSG's eq. 20 (which uses the
/// diameter 2 eps with unit-diameter volume: the same number).
/// Assumptions: i.i.d. rows from a density. Bias: O((k/N)^{2/d}) for smooth densities; grows
/// with d (see weighted_kl.hpp). Cost: one k-NN search (kd-tree ~O(N log N) at low d).
/// Errors (infogeo::invalid_argument): n < 2, d = 0, NaN/Inf, k < 1, k >= n, duplicates
/// (zero neighbour distance; set preprocess.jitter to break ties).
template <class Input>
estimate kozachenko_leonenko(const Input& x, const kl_options& opt = {}) {
  constexpr const char* fn = "entropy::kozachenko_leonenko";
  const auto view = make_view(x);
  check_shape(view, 2, fn, "x");
  require(opt.k >= 1, fn, "k must be >= 1 (k=", opt.k, ")");
  require(opt.k < view.rows(), fn, "k must be < n (k=", opt.k, ", n=", view.rows(), ")");
  check_finite(view, fn, "x");
  neighbors::preprocess_report rep;
  const row_matrix<double> m = neighbors::prepared_copy(view, opt.preprocess, fn, "x", rep);
  const auto r = neighbors::knn_self(m, opt.k, opt.norm, opt.search);
  neighbors::check_no_duplicates(r, fn, "x", opt.preprocess);
  estimate e;
  e.value = kozachenko_leonenko_from_knn(r, m.cols(), opt.k - 1);
  e.n = m.rows();
  e.dims = m.cols();
  e.method = "kozachenko_leonenko";
  e.parameters["k"] = static_cast<double>(opt.k);
  e.settings["norm"] = neighbors::to_string(opt.norm);
  e.settings["backend"] = neighbors::to_string(r.used);
  e.settings["search_algorithm"] = r.algorithm;
  e.settings["radius"] = "distance to k-th neighbour; unit-radius ball volume";
  neighbors::record(e, opt.preprocess, rep);
  return e;
}

}  // namespace infogeo::entropy
