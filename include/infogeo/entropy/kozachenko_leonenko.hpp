// Kozachenko-Leonenko k-nearest-neighbour estimator of differential entropy.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_size_trend.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"
#include "infogeo/neighbors/regime.hpp"

namespace infogeo::entropy {

/// Options of kozachenko_leonenko().
struct kl_options {
  index_t k = 3;                                            ///< neighbour order, 1 <= k < n
  norm_kind norm = norm_kind::euclidean;                    ///< distance norm
  neighbors::backend search = neighbors::backend::automatic;
  neighbors::preprocess_options preprocess;                 ///< standardise / jitter (off)
  sample_size_check_options sample_size_check;  ///< half-sample convergence check ("sample_size_trend"), on
};

namespace detail {
/// What the k-NN entropy estimators advise when their estimate still moves with n.
inline constexpr const char* knn_entropy_trend_advice =
    "k-NN entropy estimators are biased at boundaries, in the tails and in many dimensions: use more samples, "
    "or the weighted estimator (--method weighted-kl) in d >= 4";
}  // namespace detail

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

namespace detail {
/// The estimator on a copied sample `m` (preprocessed here): one search of max(k, 2) neighbours,
/// the formula on the k-th, TwoNN intrinsic dimension on the first two (refused when too low).
template <class = void>
estimate kozachenko_leonenko_on(row_matrix<double> m, const kl_options& opt, const char* fn) {
  neighbors::preprocess_report rep;
  rep = neighbors::preprocess(m, opt.preprocess, fn, "x");
  const auto r = neighbors::knn_self(m, std::max<index_t>(opt.k, std::min<index_t>(2, m.rows() - 1)), opt.norm,
                                     opt.search);
  neighbors::check_no_duplicates(r, fn, "x", opt.preprocess);
  estimate e;
  neighbors::check_intrinsic_dimension(e, r, m.cols(), fn, "x", true);
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

/// The checks every differential-entropy estimator makes on the raw sample before estimating:
/// refuses constant columns (code "constant_column") and, without jitter, columns with tied values
/// (code "discrete_columns"). Returns true when tied columns were found (and jitter is on).
/// The same checks on a column profile already measured (e.g. on a device tensor, torch/knn_estimators.hpp).
inline bool refuse_non_density(const neighbors::column_profile& prof, double jitter, const char* fn) {
  neighbors::refuse_constant_columns(prof, fn, "x",
                                     "the sample has no density and its differential entropy is -inf");
  if (prof.tied_columns().empty()) return false;
  if (jitter > 0.0) return true;
  refuse(fn, "discrete_columns",
         neighbors::discrete_columns_message(
             prof, "x",
             "such data have no density, so a differential entropy does not exist (it is -inf); use a discrete "
             "entropy for the discrete part (e.g. binning), or add --jitter knowingly (the estimate is then that "
             "of the jittered data)"),
         prof.max_tied_fraction());
}
template <class = void>
bool refuse_non_density(const row_matrix<double>& raw, double jitter, const char* fn) {
  return refuse_non_density(neighbors::profile_columns(raw), jitter, fn);
}
}  // namespace detail

/// Kozachenko-Leonenko differential entropy h(X) in nats (Kozachenko & Leonenko 1987; in the
/// form of Kraskov, Stoegbauer & Grassberger 2004, eq. 20):
///   h = psi(N) - psi(k) + log V_d + (d/N) sum_i log eps_i,
/// eps_i = distance from x_i to its k-th nearest neighbour among the other points, V_d = volume
/// of the unit-RADIUS ball of the norm (L2: pi^{d/2}/Gamma(d/2+1); max norm: 2^d). This equals
/// NPEET's entropy() (max norm, radius convention, psi(N)) and KSG's eq. 20 (which uses the
/// diameter 2 eps with unit-diameter volume: the same number).
/// Assumptions: i.i.d. rows from a density. Bias: O((k/N)^{2/d}) for smooth densities; grows
/// with d (see weighted_kl.hpp). Cost: one k-NN search (kd-tree ~O(N log N) at low d).
/// Verdict (docs/verdicts.md): refused (infogeo::refused_error) for a constant column
/// ("constant_column"), for columns with tied values unless jitter is on ("discrete_columns"), and
/// when the TwoNN intrinsic dimension is clearly below d ("intrinsic_dimension"): the entropy is
/// -inf there and the estimate diverges with N. With jitter on tied data the estimate is recomputed
/// at a tenth of the jitter and warned about ("jitter_sensitive") when the two differ.
/// Errors (infogeo::invalid_argument): n < 2, d = 0, NaN/Inf, k < 1, k >= n, duplicates
/// (zero neighbour distance; set preprocess.jitter).
template <class Input>
estimate kozachenko_leonenko(const Input& x, const kl_options& opt = {}) {
  constexpr const char* fn = "entropy::kozachenko_leonenko";
  const auto view = make_view(x);
  check_shape(view, 2, fn, "x");
  require(opt.k >= 1, fn, "k must be >= 1 (k=", opt.k, ")");
  require(opt.k < view.rows(), fn, "k must be < n (k=", opt.k, ", n=", view.rows(), ")");
  check_finite(view, fn, "x");
  neighbors::check_preprocess_options(opt.preprocess, fn);
  const row_matrix<double> raw = to_row_matrix<double>(view);
  const bool tied = detail::refuse_non_density(raw, opt.preprocess.jitter, fn);
  estimate e = detail::kozachenko_leonenko_on(raw, opt, fn);
  if (tied) {
    kl_options tenth = opt;
    tenth.preprocess.jitter = opt.preprocess.jitter / 10.0;
    neighbors::check_jitter_stability(e, detail::kozachenko_leonenko_on(raw, tenth, fn).value,
                                      opt.preprocess.jitter);
  }
  infogeo::detail::recheck_on_halves(
      e, opt, detail::knn_entropy_trend_advice,
      [&](const row_matrix<double>& half, const kl_options& o) {
        require(o.k < half.rows(), fn, "k must be < n / 2 for the half-sample check (k=", o.k, ")");
        return detail::kozachenko_leonenko_on(half, o, fn);
      },
      raw);
  return e;
}

}  // namespace infogeo::entropy
