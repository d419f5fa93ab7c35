// Mutual information for discrete, continuous and mixed discrete-continuous data: the mixed KSG
// estimator of Gao, Kannan, Oh & Viswanath (NeurIPS 2017).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_size_trend.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/core/negative_information.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/heavy_tails.hpp"

namespace infogeo::mi {

/// How mixed_ksg() measures distance along a discrete column (one where most values are tied).
enum class discrete_distance {
  /// Categorical (distinct levels farther apart than any two points of the continuous columns) for
  /// a column whose every level holds >= k + 1 rows and categorical_min_mean_level_rows on average;
  /// the standardised values otherwise (a finely rounded, quasi-continuous column).
  automatic,
  numeric,  ///< always the standardised values, the paper's setting
};

/// Mean rows per level above which discrete_distance::automatic makes a column categorical. Measured
/// (Gaussian pair, rho = 0.8, Y cut into L equiprobable levels, n = 500 and 2000, seeds 1-3): with
/// >= 10 rows per level the categorical distance is within 0.02 of the truth while the numeric one
/// reads up to +0.15 high (L = 100, n = 2000: level gaps comparable to the neighbour radius mix the
/// levels); with <= 4 rows per level the categorical distance reads 0.06-0.13 low (L = 500, 1000 at
/// n = 2000) and the numeric one is within 0.02.
inline constexpr double categorical_min_mean_level_rows = 10.0;

/// Options of mixed_ksg().
struct mixed_ksg_options {
  index_t k = 3;  ///< joint-space neighbour order, 1 <= k < n
  neighbors::backend search = neighbors::backend::automatic;
  discrete_distance discrete = discrete_distance::automatic;
  /// Y is one column of class labels: categorical whatever its level counts (Ross 2014, PLoS ONE
  /// 9(2):e87357, eq. 2, which this then equals). Classes of <= k rows (no k-th neighbour inside
  /// them) are dropped with the warning "rare_classes" when that provably moves I by at most half
  /// the tolerance (rare_class_bound()), refused with the same code otherwise.
  bool y_labels = false;
  /// Per-column standardisation ON by default (as every MI estimator); jitter must stay 0: ties are
  /// what this estimator handles exactly.
  neighbors::preprocess_options preprocess = mi_preprocess_default();
  sample_size_check_options sample_size_check;  ///< half-sample convergence check ("sample_size_trend"), on
  /// The readings on normal scores and whitened continuous columns; on (as ksg_options::transformed_readings).
  bool transformed_readings = true;
};

/// Bound on |I(X;Y) - I(X;Y | Y in S)| when the classes outside S (sample fraction q, `dropped_classes`
/// of them) are left out and I(X;Y | Y in S) reads `value`. With B = [Y not in S], a function of Y, the
/// chain rule gives I(X;Y) = I(X;B) + (1 - q) I_S + q I_out, where 0 <= I(X;B) <= H(B) = h(q) (binary
/// entropy) and 0 <= I_out <= log(dropped_classes); so -q I_S <= I(X;Y) - I_S <= h(q) + q log(dropped
/// classes). Returns the larger side (I_S clamped at 0). One class of 2 rows in 2000: 0.008 nats.
inline double rare_class_bound(double q, index_t dropped_classes, double value) {
  const double h = q > 0.0 && q < 1.0 ? -q * std::log(q) - (1.0 - q) * std::log1p(-q) : 0.0;
  const double classes = static_cast<double>(std::max<index_t>(dropped_classes, 1));
  return std::max(h + q * std::log(classes), q * std::max(value, 0.0));
}

/// Mixed KSG estimate of I(X;Y) in nats (Gao, Kannan, Oh & Viswanath 2017, "Estimating mutual
/// information for discrete-continuous mixtures", NeurIPS, Algorithm 1 / eq. 6). Each of X and Y
/// may have discrete, continuous or mixed coordinates (atoms such as the exact zeros of a ReLU,
/// class labels, rounded values). Joint max norm. For every point i with rho_i = distance to the
/// k-th joint neighbour:
///  * rho_i > 0 (a continuous neighbourhood): k_i = k, n_x(i) = #{j != i : ||x_j - x_i|| < rho_i}
///    (strict, as KSG-1), same for y;
///  * rho_i = 0 (i sits on an atom of the joint law): k_i = #{j : z_j = z_i} (i included, >= k + 1),
///    n_x(i) = #{j != i : x_j = x_i}, same for y (exact ties);
///  xi_i = psi(k_i) + psi(N) - psi(n_x(i) + 1) - psi(n_y(i) + 1),  I = mean_i xi_i.
/// On tie-free data this IS KSG-1 (ksg(), bit-identical here); on purely discrete data it is the
/// plug-in estimator sum p log p(x,y)/(p(x)p(y)) with digamma in place of log counts. The paper
/// writes log N and log(n + 1); we use psi(N) and psi(n + 1), as the authors' code does for the
/// counts, so that the continuous case equals KSG-1 exactly (differences O(1/n)). The paper proves
/// consistency for mixtures (Theorem 1). Bias: KSG's on the continuous part; the plug-in bias
/// (~(|X||Y| - |X| - |Y| + 1) / 2N) on the discrete part. Cost: one joint k-NN search, three
/// range counters (joint ties, x, y), two counts per point.
/// Discrete columns are categorical by default when each level holds enough rows
/// (discrete_distance): the paper's numeric distance on standardised level values lets a joint
/// neighbourhood straddle levels whose gap is near the neighbour radius, and the estimate then mixes
/// them (session 16: 50 classes of 40 rows, I = 0.325, read 0.08 with status ok; categorical 0.35).
/// A categorical level is recoded to (level index) x G with G = 2 x (the largest span of the other
/// columns) + 1, so points of distinct levels are never joint or marginal neighbours of each other
/// at any radius a continuous neighbourhood reaches. With Y categorical and X continuous this is
/// Ross's estimator: psi(N) - <psi(N_y)> + psi(k) - <psi(m)>. settings "categorical_columns".
/// Verdict: refused for a constant column ("constant_column"); warned when no point sits on a
/// joint atom and the TwoNN intrinsic dimension is clearly below the number of continuous (tie-free)
/// columns ("intrinsic_dimension"), when the k-th neighbours lie more than half a robust standard
/// deviation of the non-categorical columns away ("neighbourhood_scale", as ksg(); lattice columns and
/// continua with atoms measured too, neighbourhood_column_scales()) and when the estimate
/// still moves between n / 2 and n ("sample_size_trend"), and when strongly correlated continuous
/// columns make it differ from the estimate with those columns whitened ("correlated_columns", as ksg();
/// discrete columns are left as they are, continua with atoms such as ReLU columns are whitened too) and on
/// their normal scores ("normal_scores_disagree", as ksg()), when many points off the atoms have tied
/// neighbour distances and the estimate with the ties broken differs ("lattice_ties"),
/// when a discrete column read as ordered numbers reads differently unordered ("discrete_distance",
/// see mixed_ksg()), and for y_labels with classes of <= k rows ("rare_classes": dropped, or refused).
/// Errors (infogeo::invalid_argument): n < 2, dx or dy = 0, NaN/Inf, mismatched rows, k < 1,
/// k >= n, jitter != 0, y_labels with more than one Y column.
namespace detail {
/// neighbors::robust_scale() of the rows of column j of m off its atoms (values held by >= 1 % of the
/// rows, and >= 2, as continuum_with_atoms()): the spread of a ReLU column's continuous part (a
/// half-normal: 0.62 sd of the pre-activation), not of the column with its zeros, whose IQR shrinks
/// toward 0 as the zeros pass half the rows. The whole column's scale where fewer than 4 rows are left.
template <class = void>
double off_atom_robust_scale(const row_matrix<double>& m, index_t j) {
  std::vector<double> col(static_cast<std::size_t>(m.rows()));
  for (index_t i = 0; i < m.rows(); ++i) col[static_cast<std::size_t>(i)] = m(i, j);
  std::sort(col.begin(), col.end());
  const auto atom_rows = static_cast<std::size_t>(atom_min_rows(m.rows()));
  std::vector<double> off;
  for (std::size_t start = 0, end = 0; start < col.size(); start = end) {
    while (end < col.size() && col[end] == col[start]) ++end;
    if (end - start < atom_rows) off.insert(off.end(), col.begin() + static_cast<std::ptrdiff_t>(start), col.begin() + static_cast<std::ptrdiff_t>(end));
  }
  if (off.size() < 4) off = col;
  return neighbors::robust_column_scales(
      Eigen::Map<const row_matrix<double>>(off.data(), static_cast<index_t>(off.size()), 1))[0];
}

/// The column scales of mixed_ksg()'s neighbourhood-scale check on the joint sample (standardised,
/// categorical columns recoded), from `scales`, the robust scales of all its columns
/// (neighbors::robust_column_scales(), or the device's): +inf for the categorical columns (levels farther
/// apart than any neighbourhood: no local density to resolve); the robust scale for the tie-free columns
/// and for a lattice (rounded or quantised values: more levels than rows per
/// level, which a density fills at the neighbour radius like a continuous column); for a continuum with
/// atoms (continuum_with_atoms(): ReLU zeros) the robust scale of its continuous part
/// (off_atom_robust_scale(); `joint` is read only in the tied columns). Until session 19 every tied column
/// was left out, so the check measured nothing where all columns were tied: 3 x 3
/// Gaussian pairs (rho = 0.8, I = 1.53) rounded to 0.02-0.1 sd read 1.29-1.37 at n = 1000, and
/// relu(Z1) / relu(Z2) pairs (4 pairs, rho = 0.9, I = 2.22) 1.84, with status ok, where the continuous
/// pairs warn "neighbourhood_scale".
template <class = void>
std::vector<double> neighbourhood_column_scales(std::vector<double> scales, const row_matrix<double>& joint,
                                                const neighbors::column_profile& px, const neighbors::column_profile& py,
                                                const std::vector<bool>& cat_x, const std::vector<bool>& cat_y) {
  const auto dx = static_cast<index_t>(cat_x.size());
  auto side = [&](const neighbors::column_profile& p, const std::vector<bool>& cat, index_t offset) {
    for (std::size_t c = 0; c < cat.size(); ++c)
      if (cat[c]) scales[static_cast<std::size_t>(offset) + c] = std::numeric_limits<double>::infinity();
    for (index_t c : p.tied_columns()) {
      const index_t j = offset + c;
      if (!cat[static_cast<std::size_t>(c)] && continuum_with_atoms(joint, j))
        scales[static_cast<std::size_t>(j)] = off_atom_robust_scale(joint, j);
    }
  };
  side(px, cat_x, 0);
  side(py, cat_y, dx);
  return scales;
}

/// The distinct values of one column, ascending, and the rows on each.
struct column_levels {
  std::vector<double> values;
  std::vector<index_t> rows;
  column_levels(const row_matrix<double>& m, index_t j) {
    std::vector<double> col(static_cast<std::size_t>(m.rows()));
    for (index_t i = 0; i < m.rows(); ++i) col[static_cast<std::size_t>(i)] = m(i, j);
    std::sort(col.begin(), col.end());
    std::size_t start = 0;
    for (std::size_t i = 1; i <= col.size(); ++i) {
      if (i == col.size() || col[i] != col[start]) {
        values.push_back(col[start]);
        rows.push_back(static_cast<index_t>(i - start));
        start = i;
      }
    }
  }
  /// Position of the rarest level.
  std::size_t rarest() const {
    return static_cast<std::size_t>(std::min_element(rows.begin(), rows.end()) - rows.begin());
  }
};

/// Which columns of m get the categorical distance (discrete_distance); `labels`: all of them (the
/// caller has dropped the classes of <= k rows, mixed_ksg()).
inline std::vector<bool> categorical_columns(const row_matrix<double>& m, const neighbors::column_profile& prof,
                                             const mixed_ksg_options& opt, bool labels, const char* fn,
                                             const char* what) {
  std::vector<bool> out(static_cast<std::size_t>(m.cols()), false);
  if (labels) {
    require(m.cols() == 1, fn, "y_labels needs one column of class labels (", what, " columns=", m.cols(), ")");
    out[0] = true;
    return out;
  }
  if (opt.discrete == discrete_distance::numeric) return out;
  for (index_t j : prof.tied_columns()) {
    const column_levels levels(m, j);
    const double mean_rows = static_cast<double>(m.rows()) / static_cast<double>(levels.values.size());
    out[static_cast<std::size_t>(j)] =
        levels.rows[levels.rarest()] > opt.k && mean_rows >= categorical_min_mean_level_rows;
  }
  return out;
}

/// Clears keep[i] for the rows i on which a column marked in `cat` sits on a level of fewer than
/// `min_rows` rows.
inline void keep_rows_on_levels_of(const row_matrix<double>& m, const std::vector<bool>& cat, index_t min_rows,
                                   std::vector<bool>& keep) {
  for (index_t j = 0; j < m.cols(); ++j) {
    if (!cat[static_cast<std::size_t>(j)]) continue;
    const column_levels levels(m, j);
    for (index_t i = 0; i < m.rows(); ++i) {
      const auto pos = std::lower_bound(levels.values.begin(), levels.values.end(), m(i, j)) - levels.values.begin();
      if (levels.rows[static_cast<std::size_t>(pos)] < min_rows) keep[static_cast<std::size_t>(i)] = false;
    }
  }
}

/// True when every column marked in `cat` has >= 2 levels of >= `min_rows` rows each.
inline bool levels_hold(const row_matrix<double>& m, const std::vector<bool>& cat, index_t min_rows) {
  for (index_t j = 0; j < m.cols(); ++j) {
    if (!cat[static_cast<std::size_t>(j)]) continue;
    const column_levels levels(m, j);
    if (levels.values.size() < 2 || levels.rows[levels.rarest()] < min_rows) return false;
  }
  return true;
}

/// The largest span (max - min) of the columns of (mx, my) that are not categorical: 0 without any.
inline double other_columns_span(const row_matrix<double>& mx, const row_matrix<double>& my,
                                 const std::vector<bool>& cat_x, const std::vector<bool>& cat_y) {
  double span = 0.0;
  for (index_t j = 0; j < mx.cols(); ++j)
    if (!cat_x[static_cast<std::size_t>(j)]) span = std::max(span, mx.col(j).maxCoeff() - mx.col(j).minCoeff());
  for (index_t j = 0; j < my.cols(); ++j)
    if (!cat_y[static_cast<std::size_t>(j)]) span = std::max(span, my.col(j).maxCoeff() - my.col(j).minCoeff());
  return span;
}

/// Recodes the categorical columns of m to (level index) x G, G = 2 x `span` + 1 with `span` from
/// other_columns_span(): distinct levels are then farther apart than any two points differ in the
/// other columns, so no neighbourhood of a continuous radius crosses levels.
inline void recode_categorical(row_matrix<double>& m, const std::vector<bool>& cat, double span) {
  const double gap = 2.0 * span + 1.0;
  for (index_t j = 0; j < m.cols(); ++j) {
    if (!cat[static_cast<std::size_t>(j)]) continue;
    const std::vector<double> levels = column_levels(m, j).values;
    for (index_t i = 0; i < m.rows(); ++i)
      m(i, j) = gap * static_cast<double>(std::lower_bound(levels.begin(), levels.end(), m(i, j)) - levels.begin());
  }
}

/// "x0, y1" for the categorical columns, "none" without.
inline std::string categorical_names(const std::vector<bool>& cat_x, const std::vector<bool>& cat_y) {
  std::string out;
  auto add = [&out](const std::vector<bool>& cat, const char* side) {
    for (std::size_t j = 0; j < cat.size(); ++j)
      if (cat[j]) out += (out.empty() ? "" : ", ") + std::string(side) + std::to_string(j);
  };
  add(cat_x, "x");
  add(cat_y, "y");
  return out.empty() ? "none" : out;
}

/// mixed_ksg() with the categorical columns already chosen (the half-sample recheck keeps the
/// full sample's choice).
template <class InputX, class InputY>
estimate mixed_ksg_with(const InputX& x, const InputY& y, const mixed_ksg_options& opt,
                        const std::vector<bool>& cat_x, const std::vector<bool>& cat_y) {
  constexpr const char* fn = "mi::mixed_ksg";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  row_matrix<double> mx = to_row_matrix<double>(vx);
  row_matrix<double> my = to_row_matrix<double>(vy);
  const auto px = mi_column_checks(mx, fn, "x");
  const auto py = mi_column_checks(my, fn, "y");
  estimate e;
  stats::check_heavy_tails(e, mx, px, my, py);
  const neighbors::preprocess_report rx = neighbors::preprocess(mx, opt.preprocess, fn, "x", 0);
  const neighbors::preprocess_report ry = neighbors::preprocess(my, opt.preprocess, fn, "y", 1);
  const double span = other_columns_span(mx, my, cat_x, cat_y);
  recode_categorical(mx, cat_x, span);
  recode_categorical(my, cat_y, span);
  const row_matrix<double> joint = detail::hstack({&mx, &my});
  const index_t n = joint.rows();
  const index_t k = opt.k;
  // k + 1 neighbours where n allows: the (k + 1)-th tells whether the k-th distance is tied (lattice_ties).
  const index_t searched = std::min<index_t>(std::max<index_t>(k + 1, 2), n - 1);
  const auto r = neighbors::knn_self(joint, searched, norm_kind::chebyshev, opt.search);
  std::vector<double> rho(static_cast<std::size_t>(n));
  index_t on_atoms = 0;
  index_t distance_ties = 0;
  for (index_t i = 0; i < n; ++i) {
    rho[static_cast<std::size_t>(i)] = r.distance(i, k - 1);
    on_atoms += rho[static_cast<std::size_t>(i)] == 0.0;
    distance_ties += searched > k && rho[static_cast<std::size_t>(i)] > 0.0 && r.distance(i, k) == r.distance(i, k - 1);
  }
  const neighbors::range_counter cx(mx, norm_kind::chebyshev, opt.search);
  const neighbors::range_counter cy(my, norm_kind::chebyshev, opt.search);
  const auto nx = cx.count_others(rho, true);
  const auto ny = cy.count_others(rho, true);
  std::vector<index_t> tie_xy;
  std::vector<index_t> tie_x;
  std::vector<index_t> tie_y;
  if (on_atoms > 0) {
    const std::vector<double> zero(static_cast<std::size_t>(n), 0.0);
    tie_xy = neighbors::range_counter(joint, norm_kind::chebyshev, opt.search).count_others(zero, false);
    tie_x = cx.count_others(zero, false);
    tie_y = cy.count_others(zero, false);
  }
  std::vector<double> terms(static_cast<std::size_t>(n));
  const double kd = static_cast<double>(k);
  for (index_t i = 0; i < n; ++i) {
    const auto si = static_cast<std::size_t>(i);
    if (rho[si] > 0.0) {
      terms[si] = digamma(kd) - digamma(static_cast<double>(nx[si]) + 1.0) - digamma(static_cast<double>(ny[si]) + 1.0);
    } else {
      terms[si] = digamma(static_cast<double>(tie_xy[si]) + 1.0) - digamma(static_cast<double>(tie_x[si]) + 1.0) -
                  digamma(static_cast<double>(tie_y[si]) + 1.0);
    }
  }
  double mean = 0.0;
  double sd = 0.0;
  detail::mean_sd(terms, mean, sd);
  e.value = digamma(static_cast<double>(n)) + mean;
  e.n = n;
  e.dims = joint.cols();
  e.method = "mixed_ksg";
  e.parameters["k"] = kd;
  e.parameters["dx"] = static_cast<double>(mx.cols());
  e.parameters["dy"] = static_cast<double>(my.cols());
  e.settings["norm"] = "chebyshev (joint = max of marginal max-norms)";
  e.settings["marginal_counts"] = "strict (dist < rho_i) when rho_i > 0; exact ties when rho_i = 0";
  e.settings["backend"] = neighbors::to_string(r.used);
  e.settings["search_algorithm"] = r.algorithm;
  e.details["per_point_sd"] = sd;
  e.details["points_on_atoms"] = static_cast<double>(on_atoms);
  e.details["distance_tied_fraction"] = static_cast<double>(distance_ties) / static_cast<double>(n);
  e.details["max_tied_fraction_x"] = px.max_tied_fraction();
  e.details["max_tied_fraction_y"] = py.max_tied_fraction();
  neighbors::record(e, opt.preprocess, rx, "_x");
  neighbors::record(e, opt.preprocess, ry, "_y");
  e.settings["categorical_columns"] = categorical_names(cat_x, cat_y);
  check_knn_mi_sampling_noise(e);
  // Discrete columns put the sample on parallel sheets: compare the intrinsic dimension with the
  // number of continuous (tie-free) columns, the dimension a density would fill.
  const auto continuous = static_cast<index_t>(joint.cols() - px.tied_columns().size() - py.tied_columns().size());
  e.parameters["continuous_columns"] = static_cast<double>(continuous);
  if (on_atoms == 0) neighbors::check_intrinsic_dimension(e, r, continuous, fn, "(x, y) (continuous columns)", false);
  neighbors::check_neighbourhood_scale(e, r, k, neighbourhood_column_scales(neighbors::robust_column_scales(joint), joint, px, py, cat_x, cat_y),
                                      "(x, y) (non-categorical columns)");
  infogeo::detail::recheck_on_halves(
      e, opt, tolerance_kind::scale_invariant, knn_mi_trend_advice,
      [&](const row_matrix<double>& half_x, const row_matrix<double>& half_y, const mixed_ksg_options& o) {
        return mixed_ksg_with(half_x, half_y, o, cat_x, cat_y);
      },
      to_row_matrix<double>(vx), to_row_matrix<double>(vy));
  check_nonnegative_information(e, knn_mi_trend_advice);
  return e;
}
}  // namespace detail

/// Fraction of the points off the atoms (rho_i > 0) whose k-th joint distance is tied with the
/// (k + 1)-th, above which mixed_ksg() reads the sample again with the ties broken ("lattice_ties").
/// A density ties distances with probability 0; atoms put points at distance 0, not at a tied rho_i > 0.
/// Measured (session 18, Gaussian pairs rho = 0.8 rounded to steps of 0.02-1 sd, d = 1-3, n = 2000):
/// 0.39-0.63 where the estimate read 0.13-0.42 nats high, 0.02 where it was right (few levels, the
/// points on atoms).
inline constexpr double lattice_tied_fraction = 0.05;

/// Relative jitter (of each column's sd) that breaks a lattice's ties for the "lattice_ties" reading
/// and for mi::automatic: small against any lattice step a user keeps (1e-3 sd is 1/250 of an int8
/// code's step over +-4 sd), and the reading did not move between 1e-2 and 1e-4 (session 18 prototype:
/// within 0.02 nats on 2 x 2 pairs at steps 0.1-0.5 sd).
inline constexpr double lattice_jitter = 1e-3;

namespace detail {
/// m with every non-categorical column jittered by lattice_jitter times its sd (neighbors::preprocess's
/// seeded jitter; `stream` 0 for x, 1 for y): the ties of a lattice broken, categorical levels kept.
template <class = void>
row_matrix<double> ties_broken(row_matrix<double> m, const std::vector<bool>& cat, std::uint64_t stream) {
  std::vector<index_t> cols;
  for (index_t j = 0; j < m.cols(); ++j)
    if (!cat[static_cast<std::size_t>(j)]) cols.push_back(j);
  row_matrix<double> part(m.rows(), static_cast<index_t>(cols.size()));
  for (std::size_t c = 0; c < cols.size(); ++c) part.col(static_cast<index_t>(c)) = m.col(cols[c]);
  neighbors::preprocess_options jitter;
  jitter.jitter = lattice_jitter;
  neighbors::preprocess(part, jitter, "mi::mixed_ksg", stream == 0 ? "x" : "y", stream);
  for (std::size_t c = 0; c < cols.size(); ++c) m.col(cols[c]) = part.col(static_cast<index_t>(c));
  return m;
}

/// Warns "lattice_ties" when many points off the atoms have tied k-th joint distances (rounded,
/// quantised or low-precision values with more levels than rows per level: a lattice) and the estimate
/// with those ties broken differs by more than transformed_reading_gap times the tolerance. On a
/// lattice the strict marginal counts (dist < rho_i) leave out the whole shell of points at exactly
/// rho_i, and the estimate reads high by an amount that does not shrink with n (session 18's red team:
/// 2 x 2 Gaussian pairs rounded to 0.25 sd, I(QX;QY) = 1.00, read 1.30-1.39 with status ok; an int8
/// X 1.34-1.38; 27 of 81 lattice sets wrong). `rerun(x', y')` is the estimator on X and Y with every
/// non-categorical column jittered by lattice_jitter of its sd (ties_broken()): the lattice's cells then read as
/// narrow clusters, whose counts are the plug-in's where they are populated and KSG's elsewhere.
template <class Rerun>
void check_lattice_ties(estimate& e, const row_matrix<double>& mx, const std::vector<bool>& cat_x,
                        const row_matrix<double>& my, const std::vector<bool>& cat_y, Rerun rerun) {
  const double tied = e.details.at("distance_tied_fraction");
  if (!(tied > lattice_tied_fraction)) return;
  const double broken = rerun(ties_broken(mx, cat_x, 0), ties_broken(my, cat_y, 1)).value;
  e.details["value_ties_broken"] = broken;
  if (reading_agrees(e, broken)) return;
  e.warn("lattice_ties",
         infogeo::detail::concat(
             100.0 * tied, "% of the points off the atoms have tied k-th neighbour distances: the values lie on a "
             "lattice (rounded, quantised or low-precision), where the strict marginal counts leave out whole shells "
             "of points at the neighbour distance; with the ties broken by a jitter of 1e-3 sd the estimate is ",
             broken, " instead of ", e.value,
             ". Use KSG on the jittered values (CLI --method ksg1 --jitter 1e-3), or, for a few levels with many rows "
             "each, a plug-in on the levels (binning with Miller-Madow)"),
         tied);
}
}  // namespace detail

template <class InputX, class InputY>
estimate mixed_ksg(const InputX& x, const InputY& y, const mixed_ksg_options& opt = {}) {
  constexpr const char* fn = "mi::mixed_ksg";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  check_paired_samples(vx, vy, 2, fn);
  detail::check_k(opt.k, vx.rows(), fn);
  require(opt.preprocess.jitter == 0.0, fn,
          "jitter must be 0: ties are handled exactly by this estimator (jitter=", opt.preprocess.jitter, ")");
  const row_matrix<double> mx = to_row_matrix<double>(vx);
  const row_matrix<double> my = to_row_matrix<double>(vy);
  if (opt.y_labels) {
    require(my.cols() == 1, fn, "y_labels needs one column of class labels (y columns=", my.cols(), ")");
    // A class of <= k rows has no k-th neighbour inside it, so no categorical reading at k sees it:
    // leave its rows out when that provably moves I by at most half the tolerance
    // (rare_class_bound()), refuse otherwise.
    const detail::column_levels classes(my, 0);
    const std::size_t rare = classes.rarest();
    if (classes.rows[rare] <= opt.k) {
      const index_t n = my.rows();
      std::vector<bool> keep(static_cast<std::size_t>(n), true);
      detail::keep_rows_on_levels_of(my, {true}, opt.k + 1, keep);
      std::vector<std::int64_t> kept;
      for (index_t i = 0; i < n; ++i)
        if (keep[static_cast<std::size_t>(i)]) kept.push_back(i);
      const auto dropped_classes =
          static_cast<index_t>(std::count_if(classes.rows.begin(), classes.rows.end(), [&](index_t r) { return r <= opt.k; }));
      const double q = 1.0 - static_cast<double>(kept.size()) / static_cast<double>(n);
      const std::string what = infogeo::detail::concat(
          dropped_classes, " class(es) with <= k=", opt.k, " rows (class ", classes.values[rare], " has ",
          classes.rows[rare], " rows; ", 100.0 * q, "% of the rows) have no k-th neighbour inside their class");
      const std::string advice =
          "use k below the smallest class size (k = 1 needs 2 rows per class), merge the rare classes, or collect "
          "more rows of them";
      if (static_cast<index_t>(classes.values.size()) - dropped_classes < 2)
        refuse(fn, "rare_classes", infogeo::detail::concat(what, ", and fewer than two classes remain: ", advice), q);
      estimate e = mixed_ksg(mx(kept, Eigen::all).eval(), my(kept, Eigen::all).eval(), opt);
      const double bound = rare_class_bound(q, dropped_classes, e.value);
      const double tolerance = accuracy_tolerance(tolerance_kind::scale_invariant, e.value, e.dims);
      if (bound > 0.5 * tolerance)
        refuse(fn, "rare_classes",
               infogeo::detail::concat(what, "; leaving them out could move I(X;Y) by up to ", bound,
                                       " nats, more than half the tolerance ", tolerance, ": ", advice),
               q);
      e.warn("rare_classes",
             infogeo::detail::concat(what, ": their rows were left out, so the estimate is I(X;Y | Y in the other "
                                     "classes), within ", bound, " nats of I(X;Y) (chain-rule bound); ", advice,
                                     " to keep them"),
             q);
      e.details["rows_dropped_rare_classes"] = static_cast<double>(n - static_cast<index_t>(kept.size()));
      e.details["rare_class_bound"] = bound;
      return e;
    }
  }
  const auto px = detail::mi_column_checks(mx, fn, "x");
  const auto py = detail::mi_column_checks(my, fn, "y");
  const std::vector<bool> cat_x = detail::categorical_columns(mx, px, opt, false, fn, "x");
  const std::vector<bool> cat_y = detail::categorical_columns(my, py, opt, opt.y_labels, fn, "y");
  estimate e = detail::mixed_ksg_with(mx, my, opt, cat_x, cat_y);
  if (!opt.transformed_readings) {
    detail::note_transformed_readings_off(e);
  } else {
    mixed_ksg_options rerun = opt;
    rerun.sample_size_check.enabled = false;  // the transformed readings only feed the comparisons
    detail::check_transformed_readings(e, mx, px, my, py,
                                       [&](const row_matrix<double>& tx, const row_matrix<double>& ty) {
                                         return detail::mixed_ksg_with(tx, ty, rerun, cat_x, cat_y);
                                       });
  }
  // A discrete column left numeric although each level has the k + 1 rows a categorical reading
  // needs (fewer than categorical_min_mean_level_rows on average): when the two readings disagree,
  // the value depends on whether the levels are ordered, which the data cannot say (session 16's red
  // team: 500 float-typed classes of 4 rows, I = 0.8, read 0.04 numeric with status ok).
  if (opt.discrete == discrete_distance::automatic) {
    mixed_ksg_options alt = opt;
    alt.discrete = discrete_distance::numeric;
    alt.sample_size_check.enabled = false;
    std::vector<bool> all_x = cat_x;
    std::vector<bool> all_y = cat_y;
    std::vector<bool> few_x = cat_x;
    std::vector<bool> few_y = cat_y;
    bool ambiguous = false;
    bool small_levels = false;
    auto widen = [&](const row_matrix<double>& m, const neighbors::column_profile& p, std::vector<bool>& cat,
                     std::vector<bool>& few) {
      for (index_t j : p.tied_columns()) {
        const auto sj = static_cast<std::size_t>(j);
        const detail::column_levels levels(m, j);
        if (cat[sj] || levels.values.size() < 2) continue;
        few[sj] = true;
        if (levels.rows[levels.rarest()] > opt.k) {
          cat[sj] = true;
          ambiguous = true;
        } else {
          small_levels = true;
        }
      }
    };
    widen(mx, px, all_x, few_x);
    widen(my, py, all_y, few_y);
    const double tolerance = accuracy_tolerance(tolerance_kind::scale_invariant, e.value, e.dims);
    const char* advice =
        "the data cannot say which reading is right: for class labels give them as integers (or "
        "mi::mixed_ksg_options::y_labels, CLI --discrete-y), for a rounded quantity keep the numeric value; more "
        "rows per level settle it";
    if (ambiguous) {
      const double categorical = detail::mixed_ksg_with(mx, my, alt, all_x, all_y).value;
      e.details["value_all_levels_categorical"] = categorical;
      if (std::abs(categorical - e.value) > tolerance)
        e.warn("discrete_distance",
               infogeo::detail::concat(
                   "a discrete column with few rows per level (", detail::categorical_names(all_x, all_y),
                   " read as categorical) was read as ordered numbers: the estimate is ", e.value,
                   " with ordered levels and ", categorical, " with unordered ones; ", advice),
               categorical - e.value);
    }
    // Some level holds <= k rows, so no categorical reading at k exists (its points have no k-th
    // neighbour inside the level). Read every such column categorical at k = 1 on the rows whose
    // levels hold >= 2 rows (at least half the sample). Measured (scratch grid, 216 sets: 50-500
    // float-typed classes of 2-20 rows, equal or multinomial sizes, X | class ~ N(mu_c, s^2), I = 0.3
    // to 2.3, n = 500-5000): this reading is within -0.05..+0.14 of I, the numeric one reads 0.01-0.9
    // (54 silent misses). On a rounded Gaussian Y (rho 0.5-0.95, 1-6 rows per level, 108 sets) the
    // unordered reading is 0.0-0.25 BELOW the numeric one, never above by more than 0.006: so only an
    // unordered reading above the ordered one by more than the tolerance warns.
    if (small_levels && !e.has_reason("discrete_distance")) {
      const index_t n = mx.rows();
      std::vector<bool> keep(static_cast<std::size_t>(n), true);
      detail::keep_rows_on_levels_of(mx, few_x, 2, keep);
      detail::keep_rows_on_levels_of(my, few_y, 2, keep);
      std::vector<std::int64_t> rows;
      for (index_t i = 0; i < n; ++i)
        if (keep[static_cast<std::size_t>(i)]) rows.push_back(i);
      const row_matrix<double> sub_x = mx(rows, Eigen::all);
      const row_matrix<double> sub_y = my(rows, Eigen::all);
      if (2 * static_cast<index_t>(rows.size()) >= n && detail::levels_hold(sub_x, few_x, 2) &&
          detail::levels_hold(sub_y, few_y, 2)) {
        mixed_ksg_options nearest = alt;
        nearest.k = 1;
        try {
          const double categorical = detail::mixed_ksg_with(sub_x, sub_y, nearest, few_x, few_y).value;
          e.details["value_levels_categorical_k1"] = categorical;
          if (categorical - e.value > tolerance)
            e.warn("discrete_distance",
                   infogeo::detail::concat(
                       "a discrete column with levels of <= k=", opt.k, " rows (", detail::categorical_names(few_x, few_y),
                       ") was read as ordered numbers: the estimate is ", e.value,
                       " with ordered levels; read unordered (k = 1, on the ", 100.0 * static_cast<double>(rows.size()) / static_cast<double>(n),
                       "% of rows whose level holds >= 2 rows) it is ", categorical,
                       ", higher: level identity carries information its order does not; ", advice,
                       " (as labels, with k below the smallest level's rows)"),
                   categorical - e.value);
        } catch (const refused_error&) {
          // a column constant on these rows: no unordered reading to compare with
        }
      }
    }
  }
  {
    mixed_ksg_options rerun = opt;
    rerun.sample_size_check.enabled = false;
    detail::check_lattice_ties(e, mx, cat_x, my, cat_y, [&](const row_matrix<double>& tx, const row_matrix<double>& ty) {
      return detail::mixed_ksg_with(tx, ty, rerun, cat_x, cat_y);
    });
  }
  return e;
}

}  // namespace infogeo::mi
