// Kraskov-Stoegbauer-Grassberger mutual information (variants 1 and 2), with exact max-norm
// neighbours and exact marginal counts. The Frenzel-Pompe conditional MI is in mi/ksg_conditional.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sampling_noise.hpp"
#include "infogeo/core/sample_size_trend.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/core/negative_information.hpp"
#include "infogeo/mi/local_nonuniformity.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/gaussian_shape.hpp"
#include "infogeo/stats/heavy_tails.hpp"
#include "infogeo/stats/whitening.hpp"

namespace infogeo::mi {

/// KSG algorithm 1 (eq. 8) or 2 (eq. 9 with m = 2) of Kraskov et al. 2004.
enum class ksg_variant { ksg1 = 1, ksg2 = 2 };

/// The preprocessing MI estimators use by default: each column standardised (as scikit-learn's
/// mutual_info_regression), no jitter. Recorded in settings "standardize".
inline neighbors::preprocess_options mi_preprocess_default() {
  neighbors::preprocess_options p;
  p.standardize = true;
  return p;
}

/// Options of ksg() and ksg_conditional().
struct ksg_options {
  index_t k = 3;  ///< joint-space neighbour order, 1 <= k < n
  ksg_variant variant = ksg_variant::ksg1;
  neighbors::backend search = neighbors::backend::automatic;
  /// Per-column standardisation ON by default (MI is invariant to it, the max-norm neighbours are
  /// not: a column 1e-4 times smaller than the others is otherwise ignored); jitter off.
  neighbors::preprocess_options preprocess = mi_preprocess_default();
  /// The half-sample convergence check (warning "sample_size_trend"); on by default.
  sample_size_check_options sample_size_check;
  /// The readings on MI-preserving transforms ("normal_scores_disagree", "correlated_columns") and, in ksg()
  /// at joint dimension 4-6, the LNC reading ("local_nonuniformity"); on by default. Each of the first two costs one
  /// more estimate where a column is non-Gaussian in shape or strongly correlated, the LNC reading one more at k = 8
  /// with a local PCA per point; off saves them (per-epoch recording) at the price of those checks, and the estimate
  /// says so in settings "transformed_readings".
  bool transformed_readings = true;
};

namespace detail {

/// What the k-NN MI estimators advise when their estimate still moves with n.
inline constexpr const char* knn_mi_trend_advice =
    "k-NN MI estimators underestimate strong dependence in many dimensions (Gao, Ver Steeg & Galstyan "
    "2015): use more samples, or compress X and Y to fewer dimensions first (--pca m)";

/// [a | b | c...] side by side (same rows).
template <class = void>
row_matrix<double> hstack(const std::vector<const row_matrix<double>*>& parts) {
  index_t cols = 0;
  for (const auto* p : parts) cols += p->cols();
  row_matrix<double> out(parts.front()->rows(), cols);
  index_t c = 0;
  for (const auto* p : parts) {
    out.middleCols(c, p->cols()) = *p;
    c += p->cols();
  }
  return out;
}

/// Max-norm distance between rows i and j restricted to columns [c0, c0 + nc).
template <class = void>
double block_max_distance(const row_matrix<double>& m, index_t i, index_t j, index_t c0,
                          index_t nc) {
  return neighbors::detail::max_abs_diff(m.row(i).data() + c0, m.row(j).data() + c0, nc);
}

/// Mean and sample sd of per-point terms, summed serially in index order.
inline void mean_sd(const std::vector<double>& terms, double& mean, double& sd) {
  double s = 0.0;
  for (double t : terms) s += t;
  mean = s / static_cast<double>(terms.size());
  double ss = 0.0;
  for (double t : terms) ss += (t - mean) * (t - mean);
  sd = terms.size() > 1 ? std::sqrt(ss / static_cast<double>(terms.size() - 1)) : 0.0;
}

inline void check_k(index_t k, index_t n, const char* fn) {
  require(k >= 1, fn, "k must be >= 1 (k=", k, ")");
  require(k < n, fn, "k must be < n (k=", k, ", n=", n, ")");
}

/// The checks k-NN MI estimators make on the raw X and Y: constant columns are refused (code
/// "constant_column", naming the column); tied columns are returned (the caller warns or refuses).
/// (The overload on a profile serves samples profiled elsewhere, e.g. device tensors.)
inline neighbors::column_profile mi_column_checks(neighbors::column_profile prof, const char* fn, const char* what) {
  neighbors::refuse_constant_columns(prof, fn, what,
                                     "a constant carries no information, k-NN MI estimators then count "
                                     "neighbours in a degenerate space (and standardising divides by 0)");
  return prof;
}
template <class = void>
neighbors::column_profile mi_column_checks(const row_matrix<double>& raw, const char* fn, const char* what) {
  return mi_column_checks(neighbors::profile_columns(raw), fn, what);
}

/// The k-NN MI estimators' per-point terms share neighbours, so sd(terms) / sqrt(n) reads below the
/// seed-to-seed sd of the estimate: 1.05-1.8 times (mean ~1.5; KSG-1 on Gaussian pairs d = 1, 3,
/// I = 0.5, 2, n = 100-2000, 30 seeds each, session 16). Their sampling sd is taken as this factor
/// times it.
inline constexpr double knn_mi_sd_inflation = 1.5;

/// "sampling_noise" of a k-NN MI estimate from its per-point sd (details "per_point_sd"); sets
/// std_error. Measured (the grid above, every other check on): the only sets off by more than the
/// tolerance with status ok were at n <= 500 in d = 1 (I = 0.5: 12, 5 and 3 of 30 at n = 100, 200,
/// 500; I = 2: 8 of 30 at n = 100); this check leaves 1 of them.
inline void check_knn_mi_sampling_noise(estimate& e) {
  check_sampling_noise(e, knn_mi_sd_inflation * e.details.at("per_point_sd") / std::sqrt(static_cast<double>(e.n)),
                       tolerance_kind::scale_invariant, e.dims,
                       "n is small for this estimate (its sd falls like 1 / sqrt(n)): use more samples");
}

/// KSG's "discrete_columns" warning when X or Y has tied columns (px, py from mi_column_checks);
/// returns whether it fired.
inline bool warn_discrete_columns(estimate& e, const neighbors::column_profile& px,
                                  const neighbors::column_profile& py) {
  if (px.tied_columns().empty() && py.tied_columns().empty()) return false;
  const auto& p = px.tied_columns().empty() ? py : px;
  e.warn("discrete_columns",
         neighbors::discrete_columns_message(
             p, px.tied_columns().empty() ? "y" : "x",
             "KSG assumes a joint density and is biased on ties; use mi::mixed_ksg (--method mixed-ksg), "
             "which handles discrete, continuous and mixed coordinates"),
         p.max_tied_fraction());
  return true;
}

/// Largest variance inflation factor (stats::max_variance_inflation) of X's or Y's continuous columns
/// above which ksg() and mixed_ksg() also estimate on whitened X and Y ("correlated_columns"). 2 is
/// R^2 = 0.5 of a column on the others (a pair correlated at 0.71). On the calibration grid below, every
/// set whose raw and whitened readings differed by more than the tolerance had a VIF above 4.
inline constexpr double correlated_columns_vif = 2.0;

/// Cholesky-whitens the continuous columns `cx` of x and `cy` of y when either side's largest variance
/// inflation factor exceeds correlated_columns_vif (and neither side is collinear); returns whether it
/// did. The normal-scores reading and mi::automatic use it after replacing columns by their normal
/// scores, whose correlations a monotone bend applied after a linear mixing leaves in place (session
/// 17's red team: X = (a + 0.1 b, tanh(1.5 (a - 0.1 b))) read 0.60 for 0.73; normal scores alone and
/// whitening alone each moved it by less than the gap).
/// With `record`, details "max_vif_x" and "max_vif_y" are written there (not when a side is collinear).
/// Each side's covariance factor is computed once and serves both the VIF and the whitening.
template <class = void>
bool whiten_if_correlated(row_matrix<double>& x, const std::vector<index_t>& cx, row_matrix<double>& y,
                          const std::vector<index_t>& cy, estimate* record = nullptr) {
  const stats::covariance_factor fx = stats::covariance_cholesky(x, cx);
  const stats::covariance_factor fy = stats::covariance_cholesky(y, cy);
  if (!fx.positive_definite || !fy.positive_definite) return false;
  const double vif_x = stats::max_variance_inflation(fx);
  const double vif_y = stats::max_variance_inflation(fy);
  if (record) {
    record->details["max_vif_x"] = vif_x;
    record->details["max_vif_y"] = vif_y;
  }
  if (std::max(vif_x, vif_y) <= correlated_columns_vif) return false;
  stats::whiten_with(fx, x);
  stats::whiten_with(fy, y);
  return true;
}

/// A reading of the same estimator on an MI-preserving transform of X and Y (whitened, normal scores)
/// that differs from the estimate by more than this fraction of the tolerance is taken as the better one
/// and warned about ("correlated_columns", "normal_scores_disagree"). For whitening, on the calibration
/// grid below, the whitened reading was the closer to the truth in 177 of 195 reruns, and at 3/4 no set
/// was left beyond the tolerance with status ok (at the full tolerance 3 were, raw errors 0.115-0.199
/// against tolerances 0.1-0.15), at the cost of 5 warnings on raw readings within it.
inline constexpr double transformed_reading_gap = 0.75;

/// Whether a reading on an MI-preserving transform agrees with the estimate `e`: within
/// transformed_reading_gap times the MI tolerance at the reading.
inline bool reading_agrees(const estimate& e, double reading) {
  return std::abs(reading - e.value) <=
         transformed_reading_gap * accuracy_tolerance(tolerance_kind::scale_invariant, reading, e.dims);
}

/// The tie-free columns of a profiled sample (the ones whitening may mix).
inline std::vector<index_t> continuous_columns(const neighbors::column_profile& p, index_t d) {
  const std::vector<index_t> tied = p.tied_columns();
  std::vector<index_t> out;
  for (index_t j = 0; j < d; ++j)
    if (std::find(tied.begin(), tied.end(), j) == tied.end()) out.push_back(j);
  return out;
}

/// Whether tied column j of m is a continuum with atoms (the exact zeros of a ReLU, a clipping bound,
/// the zero row a linear map of a ReLU layer keeps) rather than a discrete column: at least 10 % of
/// the rows carry a value no other row has, and at least 90 % of the rows outside the atoms (values
/// held by >= 1 % of the rows, and >= 2) do. Labels, counts and rounded values have few unique values.
/// Rows a value must hold to count as an atom of a column of n rows: >= 1 % of them, and >= 2.
inline index_t atom_min_rows(index_t n) {
  return std::max<index_t>(2, static_cast<index_t>(std::ceil(0.01 * static_cast<double>(n))));
}

template <class = void>
bool continuum_with_atoms(const row_matrix<double>& m, index_t j) {
  const index_t n = m.rows();
  std::vector<double> col(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) col[static_cast<std::size_t>(i)] = m(i, j);
  std::sort(col.begin(), col.end());
  const index_t atom_rows = atom_min_rows(n);
  index_t unique = 0, outside_atoms = 0;
  for (std::size_t start = 0, end = 0; start < col.size(); start = end) {
    while (end < col.size() && col[end] == col[start]) ++end;
    const auto run = static_cast<index_t>(end - start);
    unique += run == 1;
    if (run < atom_rows) outside_atoms += run;
  }
  return 10 * unique >= n && 10 * unique >= 9 * outside_atoms;
}

/// The columns whitening may mix: the tie-free ones and the continua with atoms
/// (continuum_with_atoms()); discrete columns stay as they are (their levels are what mixed KSG and
/// its categorical reading count). A linear map of the whole side keeps every atom an atom (equal rows
/// stay equal), so the MI is unchanged. Red team (session 18): X = M relu(Z) (d = 2-3, cond(M) 16-90:
/// largest VIF 50-1440) read 0.92 for 1.21 and 1.19 for 1.82 with status ok while the ReLU zeros
/// (an atom of X at M 0) kept every column out of the whitening.
template <class = void>
std::vector<index_t> whitenable_columns(const row_matrix<double>& m, const neighbors::column_profile& p) {
  std::vector<index_t> out;
  const std::vector<index_t> tied = p.tied_columns();
  for (index_t j = 0; j < m.cols(); ++j) {
    const bool is_tied = std::find(tied.begin(), tied.end(), j) != tied.end();
    if (!is_tied || (p.distinct[static_cast<std::size_t>(j)] > 1 && continuum_with_atoms(m, j))) out.push_back(j);
  }
  return out;
}

/// Warns "correlated_columns" when X's or Y's continuous columns are collinear enough (largest VIF >
/// correlated_columns_vif) that `rerun` on X and Y with those columns Cholesky-whitened
/// (stats::whiten_columns: an invertible linear map of each side, which leaves I(X;Y) unchanged) reads
/// more than transformed_reading_gap times the tolerance away from e.value. KSG's max-norm neighbourhoods are axis-aligned boxes:
/// along strongly correlated columns they are stretched across the data's thin directions, and the
/// marginal counts then include points the joint neighbourhood excludes for reasons other than
/// dependence (biased toward 0). Session 17: a 2 x 2 Gaussian pair, I = 1.02, with X = (a + 10 b,
/// a - 10 b) (VIF 25) read 0.79 at n = 2000 with status ok; whitened, 1.03. Calibration: 1-4-column
/// Gaussian pairs, I = 0.1-1 per pair, both sides mixed by random linear maps of condition 1-32,
/// n = 1000 and 5000, 3 seeds (432 sets, 1-4 columns a side, I = 0.1-4): 28 sets read beyond the tolerance
/// with no other warning before this check, none after it (threshold: transformed_reading_gap); it fired
/// on 137 sets, all at VIF >= 2.7, 5 of them with the raw reading within the tolerance and no other
/// warning (raw errors 0.07-0.19, whitened 0.01-0.03). Details "max_vif_x", "max_vif_y" and,
/// when rerun, "value_whitened". Collinear columns (no whitening exists) are left to the
/// intrinsic-dimension check. Cost: none below the threshold beyond an O(n d^2) covariance; above it,
/// one more estimate.
template <class Rerun>
void check_correlated_columns(estimate& e, const row_matrix<double>& mx, const neighbors::column_profile& px,
                              const row_matrix<double>& my, const neighbors::column_profile& py, Rerun rerun) {
  row_matrix<double> wx = mx;
  row_matrix<double> wy = my;
  if (!whiten_if_correlated(wx, whitenable_columns(mx, px), wy, whitenable_columns(my, py), &e)) return;
  const double vif_x = e.details.at("max_vif_x");
  const double vif_y = e.details.at("max_vif_y");
  const double whitened = rerun(wx, wy).value;
  e.details["value_whitened"] = whitened;
  if (reading_agrees(e, whitened)) return;
  const bool x_worse = vif_x >= vif_y;
  const double vif = std::max(vif_x, vif_y);
  e.warn("correlated_columns",
         infogeo::detail::concat(
             "the columns of ", x_worse ? "x" : "y", " are strongly correlated (largest variance inflation factor ",
             vif, ": a column with R^2 = ", 1.0 - 1.0 / vif,
             " on the others): k-NN boxes are stretched across the data's thin directions (biased toward 0). "
             "With each of x and y whitened (an invertible linear map of each, which leaves the MI unchanged) "
             "the estimate is ", whitened, " instead of ", e.value,
             ": use that one (mi::automatic whitens such columns; or stats::whiten_columns on x and y first)"),
         vif);
}

/// Replaces the continuous columns of x and y by their normal scores (stats::normal_scores_of_columns), then
/// whitens them where the scores are strongly correlated (whiten_if_correlated()); returns whether it whitened.
/// Each step is an invertible map of one side, so I(X;Y) is unchanged.
template <class = void>
bool to_normal_scores_whitened(row_matrix<double>& x, const neighbors::column_profile& px, row_matrix<double>& y,
                               const neighbors::column_profile& py) {
  stats::normal_scores_of_columns(x, continuous_columns(px, x.cols()));
  stats::normal_scores_of_columns(y, continuous_columns(py, y.cols()));
  return whiten_if_correlated(x, whitenable_columns(x, px), y, whitenable_columns(y, py));
}

/// Warns "normal_scores_disagree" when a continuous column of X or Y is measurably non-Gaussian in
/// shape (stats::non_gaussian_shape_ratios() > 1: skewness or kurtosis beyond the `non_gaussian`
/// thresholds) and `rerun` on X and Y with their continuous columns replaced by normal scores
/// (stats::normal_scores_of_columns: a monotone map of each column, which leaves I(X;Y) unchanged;
/// then whitened where the scores are strongly correlated, whiten_if_correlated(); settings
/// "normal_scores_reading") reads more than transformed_reading_gap times the tolerance away from e.value. KSG assumes a
/// density constant over each neighbourhood; a squashing map (tanh, sigmoid, atan, ELU, an exponential
/// or a CDF) piles mass into narrow bands where the density spikes, and the estimate falls, while the
/// neighbourhood-scale, tail and half-sample checks stay silent (session 17's red team: X = tanh(2 U),
/// Y = tanh(2 V), 2 x 2 Gaussian pair with I = 1.02, read 0.80-0.83 at n = 2000 and 0.88-0.91 at
/// n = 20000 with status ok; normal scores 1.00-1.03). Details "max_shape_ratio" and, when rerun,
/// "value_normal_scores". Cost: an O(n d) shape pass; for non-Gaussian columns a sort per column
/// and one more estimate.
template <class Rerun>
void check_normal_scores(estimate& e, const row_matrix<double>& mx, const neighbors::column_profile& px,
                         const row_matrix<double>& my, const neighbors::column_profile& py, Rerun rerun) {
  const std::vector<index_t> cx = continuous_columns(px, mx.cols());
  const std::vector<index_t> cy = continuous_columns(py, my.cols());
  double worst = 0.0;
  auto shape = [&](const row_matrix<double>& m, const std::vector<index_t>& cols) {
    Eigen::VectorXd g1, g2;
    double t1 = 0.0, t2 = 0.0;
    const std::vector<double> ratios = stats::non_gaussian_shape_ratios(m, g1, g2, t1, t2);
    for (index_t j : cols) worst = std::max(worst, ratios[static_cast<std::size_t>(j)]);
  };
  shape(mx, cx);
  shape(my, cy);
  e.details["max_shape_ratio"] = worst;
  if (!(worst > 1.0)) return;
  row_matrix<double> sx = mx;
  row_matrix<double> sy = my;
  if (to_normal_scores_whitened(sx, px, sy, py)) e.settings["normal_scores_reading"] = "normal scores, then whitened";
  const estimate on_scores = rerun(sx, sy);
  const double scored = on_scores.value;
  e.details["value_normal_scores"] = scored;
  // The neighbourhood-scale check is calibrated on Gaussian-shaped columns; squashed or hard-edged ones
  // have robust scales that hide neighbourhoods spanning the data (uniform or tanh marginals of a 3 x 3
  // Gaussian pair, I = 1.53, n = 2000: -0.14 to -0.23 with status ok, the Gaussian pair itself warned).
  if (on_scores.has_reason("neighbourhood_scale") && !e.has_reason("neighbourhood_scale")) {
    const auto& r = *std::find_if(on_scores.reasons.begin(), on_scores.reasons.end(),
                                  [](const verdict_reason& v) { return v.code == "neighbourhood_scale"; });
    e.warn("neighbourhood_scale", "on the columns' normal scores: " + r.message, r.value);
  }
  if (reading_agrees(e, scored)) return;
  e.warn("normal_scores_disagree",
         infogeo::detail::concat(
             "columns of x or y are far from Gaussian in shape (largest skewness or kurtosis ", worst,
             " times the non-Gaussian threshold): on their normal scores (a monotone map of each column, which "
             "leaves the MI unchanged) the estimate is ", scored, " instead of ", e.value,
             "; k-NN estimators assume a density constant over each neighbourhood, which squashing maps (tanh, "
             "sigmoid, exp, a CDF) break by piling the mass into narrow bands: use the normal-scores estimate "
             "(mi::automatic does; CLI --normal-scores)"),
         worst);
}

/// The readings on MI-preserving transforms, in their order: check_normal_scores(), then
/// check_correlated_columns(); `rerun(x', y')` is the estimator (without its half-sample check) on the
/// transformed sample, returning its estimate.
template <class Rerun>
void check_transformed_readings(estimate& e, const row_matrix<double>& mx, const neighbors::column_profile& px,
                                const row_matrix<double>& my, const neighbors::column_profile& py, Rerun rerun) {
  check_normal_scores(e, mx, px, my, py, rerun);
  check_correlated_columns(e, mx, px, my, py, rerun);
}

/// What an estimate says when its caller turned the transformed readings off
/// (ksg_options::transformed_readings, mixed_ksg_options::transformed_readings).
inline void note_transformed_readings_off(estimate& e) {
  e.settings["transformed_readings"] =
      "off: normal_scores_disagree, correlated_columns and (KSG) local_nonuniformity not checked (squashed, strongly "
      "correlated or curved columns can bias the estimate unseen)";
}

}  // namespace detail

/// KSG estimate of the mutual information I(X;Y) in nats (Kraskov, Stoegbauer & Grassberger
/// 2004, Phys. Rev. E 69, 066138). X: n x dx, Y: n x dy, both multivariate. Joint space
/// Z = (X, Y) with the max norm ||z|| = max(||x||_inf, ||y||_inf).
///  * variant 1 (eq. 8): eps_i = distance to the k-th joint neighbour; n_x(i) = #{j != i :
///    ||x_j - x_i|| < eps_i} (STRICT), same for y; I = psi(k) + psi(N) - <psi(n_x+1) + psi(n_y+1)>.
///    Identical to scikit-learn's _compute_mi_cc (which counts <= nextafter(eps, 0)) and to
///    NPEET's mi() without its noise, except that neither clips here: negative values are kept.
///  * variant 2 (eq. 9): eps_x(i) = max x-distance among the k joint neighbours (same for y);
///    n_x(i) = #{j != i : ||x_j - x_i|| <= eps_x(i)}; I = psi(k) - 1/k + psi(N) - <psi(n_x) + psi(n_y)>.
/// Marginal counts: sorted array + binary search in 1-D, kd-tree range counts otherwise.
/// Assumptions: i.i.d. pairs with a joint density. Bias: small for weakly dependent data, grows
/// with the MI and with dimension (underestimates strong dependence). Cost: one joint k-NN search
/// and n range counts per marginal. Errors: n < 2, dx or dy = 0, NaN/Inf, mismatched rows,
/// k < 1, k >= n, joint duplicates (set preprocess.jitter).
namespace detail {
/// The joint sample (preprocessed) and its k-NN result, kept by ksg_on() for the LNC reading.
struct ksg_neighbourhoods {
  row_matrix<double> joint;
  neighbors::knn_result neighbours;
};

/// KSG on copied raw samples (preprocessed here). Searches max(k, 2) joint neighbours: the first
/// two give the TwoNN intrinsic dimension of the joint sample (a warning when low). `keep`, when
/// given, receives the joint sample and its neighbours.
template <class = void>
estimate ksg_on(row_matrix<double> mx, row_matrix<double> my, const ksg_options& opt, const char* fn,
                ksg_neighbourhoods* keep = nullptr) {
  neighbors::preprocess_report rx = neighbors::preprocess(mx, opt.preprocess, fn, "x", 0);
  neighbors::preprocess_report ry = neighbors::preprocess(my, opt.preprocess, fn, "y", 1);
  const row_matrix<double> joint = detail::hstack({&mx, &my});
  const index_t n = joint.rows();
  const index_t k = opt.k;
  const auto r = neighbors::knn_self(joint, std::max<index_t>(k, std::min<index_t>(2, n - 1)),
                                     norm_kind::chebyshev, opt.search);
  neighbors::check_no_duplicates(r, fn, "(x, y)", opt.preprocess);

  const bool v1 = opt.variant == ksg_variant::ksg1;
  std::vector<double> rad_x(static_cast<std::size_t>(n));
  std::vector<double> rad_y(static_cast<std::size_t>(n));
  if (v1) {
    for (index_t i = 0; i < n; ++i) rad_x[static_cast<std::size_t>(i)] = r.distance(i, k - 1);
    rad_y = rad_x;
  } else {
    for (index_t i = 0; i < n; ++i) {
      double ex = 0.0;
      double ey = 0.0;
      for (index_t j = 0; j < k; ++j) {
        const index_t nb = r.index(i, j);
        ex = std::max(ex, detail::block_max_distance(joint, i, nb, 0, mx.cols()));
        ey = std::max(ey, detail::block_max_distance(joint, i, nb, mx.cols(), my.cols()));
      }
      rad_x[static_cast<std::size_t>(i)] = ex;
      rad_y[static_cast<std::size_t>(i)] = ey;
    }
  }
  // The two marginal structures (sorts / kd-trees) are built concurrently; an exception (e.g.
  // bad_alloc) is carried out of the parallel region and rethrown.
  const row_matrix<double>* marginals[2] = {&mx, &my};
  std::unique_ptr<neighbors::range_counter> counters[2];
  std::exception_ptr failures[2];
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(2)
#endif
  for (int s = 0; s < 2; ++s) {
    try {
      counters[s] = std::make_unique<neighbors::range_counter>(*marginals[s], norm_kind::chebyshev, opt.search);
    } catch (...) {
      failures[s] = std::current_exception();
    }
  }
  for (const auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
  const neighbors::range_counter& cx = *counters[0];
  const neighbors::range_counter& cy = *counters[1];
  const auto nx = cx.count_others(rad_x, v1);
  const auto ny = cy.count_others(rad_y, v1);

  std::vector<double> terms(static_cast<std::size_t>(n));
  const double off = v1 ? 1.0 : 0.0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
  for (index_t i = 0; i < n; ++i) {
    const auto si = static_cast<std::size_t>(i);
    terms[si] = digamma(static_cast<double>(nx[si]) + off) + digamma(static_cast<double>(ny[si]) + off);
  }
  double mean = 0.0;
  double sd = 0.0;
  detail::mean_sd(terms, mean, sd);
  const double kd = static_cast<double>(k);
  estimate e;
  e.value = digamma(kd) + digamma(static_cast<double>(n)) - mean - (v1 ? 0.0 : 1.0 / kd);
  e.n = n;
  e.dims = joint.cols();
  e.method = v1 ? "ksg1" : "ksg2";
  e.parameters["k"] = kd;
  e.parameters["dx"] = static_cast<double>(mx.cols());
  e.parameters["dy"] = static_cast<double>(my.cols());
  e.settings["norm"] = "chebyshev (joint = max of marginal max-norms)";
  e.settings["marginal_counts"] = v1 ? "strict: dist < eps_i" : "non-strict: dist <= eps_x(i), eps_y(i)";
  e.settings["backend"] = neighbors::to_string(r.used);
  e.settings["search_algorithm"] = r.algorithm;
  e.settings["count_x"] = cx.algorithm();
  e.settings["count_y"] = cy.algorithm();
  e.details["per_point_sd"] = sd;
  neighbors::record(e, opt.preprocess, rx, "_x");
  neighbors::record(e, opt.preprocess, ry, "_y");
  neighbors::check_intrinsic_dimension(e, r, joint.cols(), fn, "(x, y)", false);
  neighbors::check_neighbourhood_scale(e, r, k, neighbors::robust_column_scales(joint), "(x, y)");
  if (keep) {
    keep->joint = joint;
    keep->neighbours = r;
  }
  return e;
}

/// Warns "local_nonuniformity" when the LNC reading (Gao, Ver Steeg & Galstyan 2015; mi/local_nonuniformity.hpp)
/// differs from e.value by more than transformed_reading_gap times the tolerance (reading_agrees()). The reading:
/// KSG-1 at local_nonuniformity_k on the columns' normal scores (whitened where correlated;
/// to_normal_scores_whitened()) plus the LNC correction of that sample. Curved strong dependence (Y a bent
/// invertible function of X plus small noise) fills thin bent slabs of KSG's boxes and reads low, while the columns
/// look Gaussian and uncorrelated, so no other rerun sees it. Only for joint dimensions 4-6, n >= 1000 and
/// tie-free columns (the calibrated range), and not where "intrinsic_dimension" warned. Details
/// "value_local_nonuniformity", "local_nonuniformity_correction".
/// Cost: one more KSG-1 estimate at k = 8 and a d x d local PCA per point.
template <class = void>
void check_local_nonuniformity(estimate& e, const row_matrix<double>& mx, const neighbors::column_profile& px,
                               const row_matrix<double>& my, const neighbors::column_profile& py,
                               const ksg_options& opt, const char* fn) {
  const index_t d = mx.cols() + my.cols();
  if (d < local_nonuniformity_min_dims || d > local_nonuniformity_max_dims || mx.rows() < local_nonuniformity_min_n ||
      !px.tied_columns().empty() || !py.tied_columns().empty() || e.has_reason("intrinsic_dimension"))
    return;  // on a lower-dimensional set the neighbours' PCA boxes are flat (rounding-sized) in the normal directions
  row_matrix<double> sx = mx;
  row_matrix<double> sy = my;
  to_normal_scores_whitened(sx, px, sy, py);
  ksg_options o = opt;
  o.k = local_nonuniformity_k;
  o.variant = ksg_variant::ksg1;
  ksg_neighbourhoods kept;
  const double at_k = ksg_on(sx, sy, o, fn, &kept).value;
  const double correction = local_nonuniformity_correction(kept.joint, kept.neighbours, o.k);
  const double reading = at_k + correction;
  e.details["local_nonuniformity_correction"] = correction;
  e.details["value_local_nonuniformity"] = reading;
  if (reading_agrees(e, reading)) return;
  e.warn("local_nonuniformity",
         infogeo::detail::concat(
             "the k nearest neighbours fill only a thin part of KSG's max-norm boxes (a curved or strongly "
             "non-uniform dependence): with the local non-uniformity correction (Gao, Ver Steeg & Galstyan 2015: "
             "PCA-aligned boxes, k = ", o.k, ", on the columns' normal scores) the estimate is ", reading,
             " instead of ", e.value, ": use that one"),
         correction);
}
}  // namespace detail

/// KSG estimate: see above. Verdict (docs/verdicts.md): refused for a constant column of X or Y
/// ("constant_column"); warned when columns have tied values ("discrete_columns": KSG assumes a
/// joint density; use mixed_ksg()), when jitter was needed and the estimate moves at a tenth of it
/// ("jitter_sensitive"), when the joint sample's TwoNN intrinsic dimension is clearly below
/// dx + dy ("intrinsic_dimension"), when the k-th neighbours lie more than half a robust standard
/// deviation away ("neighbourhood_scale": the estimate is then biased toward 0) and when it still
/// moves between n / 2 and n ("sample_size_trend"), and when strongly correlated columns of X or Y
/// make the estimate differ from the one on whitened X and Y ("correlated_columns": see
/// detail::check_correlated_columns; details "value_whitened"), and when non-Gaussian marginals make it
/// differ from the estimate on the columns' normal scores ("normal_scores_disagree": see
/// detail::check_normal_scores; details "value_normal_scores"), and when a curved strong dependence makes it differ
/// from the local non-uniformity corrected reading ("local_nonuniformity": see detail::check_local_nonuniformity;
/// details "value_local_nonuniformity").
template <class InputX, class InputY>
estimate ksg(const InputX& x, const InputY& y, const ksg_options& opt = {}) {
  constexpr const char* fn = "mi::ksg";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  check_paired_samples(vx, vy, 2, fn);
  detail::check_k(opt.k, vx.rows(), fn);
  require(opt.variant == ksg_variant::ksg1 || opt.variant == ksg_variant::ksg2, fn,
          "variant must be 1 or 2 (variant=", static_cast<int>(opt.variant), ")");
  neighbors::check_preprocess_options(opt.preprocess, fn);
  const row_matrix<double> mx = to_row_matrix<double>(vx);
  const row_matrix<double> my = to_row_matrix<double>(vy);
  const auto px = detail::mi_column_checks(mx, fn, "x");
  const auto py = detail::mi_column_checks(my, fn, "y");
  estimate e = detail::ksg_on(mx, my, opt, fn);
  detail::check_knn_mi_sampling_noise(e);
  stats::check_heavy_tails(e, mx, px, my, py);
  if (opt.transformed_readings)
    detail::check_transformed_readings(e, mx, px, my, py, [&](const row_matrix<double>& tx, const row_matrix<double>& ty) {
      return detail::ksg_on(tx, ty, opt, fn);
    });
  else
    detail::note_transformed_readings_off(e);
  if (opt.transformed_readings) detail::check_local_nonuniformity(e, mx, px, my, py, opt, fn);
  if (detail::warn_discrete_columns(e, px, py)) {
    if (opt.preprocess.jitter > 0.0) {
      ksg_options tenth = opt;
      tenth.preprocess.jitter = opt.preprocess.jitter / 10.0;
      const double se = e.details["per_point_sd"] / std::sqrt(static_cast<double>(e.n));
      neighbors::check_jitter_stability(e, detail::ksg_on(mx, my, tenth, fn).value, opt.preprocess.jitter, se);
    }
  }
  infogeo::detail::recheck_on_halves(
      e, opt, tolerance_kind::scale_invariant, detail::knn_mi_trend_advice,
      [&](const row_matrix<double>& half_x, const row_matrix<double>& half_y, const ksg_options& o) {
        detail::check_k(o.k, half_x.rows(), fn);
        return detail::ksg_on(half_x, half_y, o, fn);
      },
      mx, my);
  check_nonnegative_information(e, detail::knn_mi_trend_advice);
  return e;
}

}  // namespace infogeo::mi
