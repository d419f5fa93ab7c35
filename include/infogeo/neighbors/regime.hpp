// Checks that tell whether data are in a k-NN estimator's home ground, measured on the data and
// on the neighbour distances the estimator already has: intrinsic dimension (TwoNN), constant
// columns, columns with tied values (discrete or mixed discrete-continuous coordinates) and the
// size of the k-NN neighbourhoods against the columns' robust scale.
// The reason codes are listed in docs/verdicts.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/verdict.hpp"
#include "infogeo/neighbors/knn.hpp"

namespace infogeo::neighbors {

/// A column counts as discrete (or mixed: continuous with atoms, e.g. the exact zeros of a ReLU)
/// when more than this fraction of its rows repeat a value of another row. Rows of a density
/// repeat a value with probability 0; float32 rounding of N = 1e6 normal values repeats ~0.05%.
inline constexpr double tied_fraction_threshold = 0.01;

/// What profile_columns() measured on each column.
struct column_profile {
  index_t n = 0;
  std::vector<index_t> distinct;       ///< number of distinct values per column
  std::vector<double> tied_fraction;   ///< 1 - distinct / n per column
  /// First constant column (one distinct value), or -1.
  index_t first_constant() const {
    for (std::size_t j = 0; j < distinct.size(); ++j)
      if (distinct[j] <= 1) return static_cast<index_t>(j);
    return -1;
  }
  /// Columns whose tied fraction exceeds tied_fraction_threshold (constant columns included).
  std::vector<index_t> tied_columns() const {
    std::vector<index_t> out;
    for (std::size_t j = 0; j < tied_fraction.size(); ++j)
      if (tied_fraction[j] > tied_fraction_threshold) out.push_back(static_cast<index_t>(j));
    return out;
  }
  /// Largest tied fraction over the columns (0 for none).
  double max_tied_fraction() const {
    double m = 0.0;
    for (double t : tied_fraction) m = std::max(m, t);
    return m;
  }
};

/// Distinct values per column by sorting a copy of each column: O(N log N) per column, small next
/// to a k-NN search. Exact comparison (0.0 and -0.0 are one value).
template <class = void>
column_profile profile_columns(const row_matrix<double>& m) {
  column_profile p;
  p.n = m.rows();
  std::vector<double> col(static_cast<std::size_t>(m.rows()));
  for (index_t j = 0; j < m.cols(); ++j) {
    for (index_t i = 0; i < m.rows(); ++i) col[static_cast<std::size_t>(i)] = m(i, j);
    std::sort(col.begin(), col.end());
    index_t distinct = col.empty() ? 0 : 1;
    for (std::size_t i = 1; i < col.size(); ++i) distinct += col[i] != col[i - 1];
    p.distinct.push_back(distinct);
    p.tied_fraction.push_back(m.rows() > 0 ? 1.0 - static_cast<double>(distinct) / static_cast<double>(m.rows())
                                           : 0.0);
  }
  return p;
}

/// "0, 3, 7" (at most 8 names, then "...").
inline std::string column_list(const std::vector<index_t>& cols) {
  std::string s;
  for (std::size_t i = 0; i < cols.size() && i < 8; ++i) s += (i ? ", " : "") + std::to_string(cols[i]);
  if (cols.size() > 8) s += ", ...";
  return s;
}

/// Intrinsic dimension by the TwoNN maximum-likelihood estimator (Facco, d'Errico, Rodriguez &
/// Laio 2017, Sci. Rep. 7:12140, eq. 5 in its MLE form): with mu_i = r2_i / r1_i, the ratio of
/// the distances to the second and first neighbours, mu is Pareto(d) when the density is locally
/// constant up to r2, so d = (N - 1) / sum_i log mu_i.
/// Why TwoNN and not the Levina-Bickel MLE: it needs only the two nearest distances, which every
/// k-NN estimator here already has (k >= 2), it assumes constant density only out to the second
/// neighbour (Levina-Bickel out to the k-th), and the ratio is the same in every norm (volumes
/// scale as r^d), so the max-norm KSG search serves as well as the Euclidean one. Known bias:
/// it underestimates at large d and small N (boundary and curvature effects; ~0.6 d at d = 64,
/// N = 5000 for a Gaussian), which intrinsic_dimension_threshold() allows for.
/// Requires r.k >= 2; points with r1 = 0 (duplicates) are skipped. Returns NaN when no point has
/// r1 > 0 and r2 > r1 (every ratio 1: no information on the dimension).
inline double twonn_dimension(const knn_result& r) {
  require(r.k >= 2, "neighbors::twonn_dimension", "needs the two nearest neighbours (k=", r.k, ")");
  double sum = 0.0;
  index_t used = 0;
  for (index_t i = 0; i < r.n; ++i) {
    const double r1 = r.distance(i, 0);
    const double r2 = r.distance(i, 1);
    if (!(r1 > 0.0)) continue;
    sum += std::log(r2 / r1);
    ++used;
  }
  if (used < 2 || !(sum > 0.0)) return std::nan("");
  return static_cast<double>(used - 1) / sum;
}

/// The intrinsic dimension below which data in ambient dimension d are "clearly" not filling
/// it: d (1 - 0.15 ln d) - 3 d / sqrt(n). The first factor is the lower envelope of TwoNN on
/// full-dimensional home-ground data (Gaussian, uniform, exponential; d = 1..64, N = 200..5000:
/// the lowest ratio estimate / d seen was 0.90 at d = 2, 0.78 at d = 10, 0.67 at d = 20, 0.46 at
/// d = 64), the second three standard deviations of the MLE (sd ~ d / sqrt(n)). A 2-D latent
/// linearly embedded in 64-D (TwoNN ~2.0) is far below (threshold ~25 at n = 5000).
inline double intrinsic_dimension_threshold(index_t d, index_t n) {
  const double dd = static_cast<double>(d);
  return dd * (1.0 - 0.15 * std::log(dd)) - 3.0 * dd / std::sqrt(static_cast<double>(n));
}

/// Measures the intrinsic dimension from `r` (k >= 2; needs r computed on the d-dimensional sample
/// that `what` names) and records details "intrinsic_dimension<suffix>" and
/// "intrinsic_dimension_threshold<suffix>". When it is below the threshold: refuses (refuse_low =
/// true; code "intrinsic_dimension") or warns (code "intrinsic_dimension"). d = 1 is never checked.
inline void check_intrinsic_dimension(estimate& e, const knn_result& r, index_t d, const char* function,
                                      const std::string& what, bool refuse_low, const std::string& suffix = "") {
  if (d < 2 || r.k < 2) return;
  const double id = twonn_dimension(r);
  const double threshold = intrinsic_dimension_threshold(d, r.n);
  e.details["intrinsic_dimension" + suffix] = id;
  e.details["intrinsic_dimension_threshold" + suffix] = threshold;
  if (!(id < threshold)) return;  // NaN (no information) passes: other checks cover ties
  const std::string message = infogeo::detail::concat(
      what, " has intrinsic dimension ~", id, " (TwoNN) in ambient dimension ", d, " (threshold ", threshold,
      "): the sample lies on a lower-dimensional set, where a differential entropy does not exist (it is -inf "
      "on the set) and k-NN / kernel estimates diverge with N; compress to about the intrinsic dimension "
      "first (e.g. --pca ", std::max<index_t>(1, static_cast<index_t>(std::ceil(id))),
      " or an autoencoder) or use KSG mutual information");
  if (refuse_low) refuse(function, "intrinsic_dimension", message, id);
  e.warn("intrinsic_dimension",
         infogeo::detail::concat(what, " has intrinsic dimension ~", id, " (TwoNN) in ambient dimension ", d,
                        " (threshold ", threshold,
                        "): KSG stays finite on manifolds but its bias is not characterised there; check the "
                        "estimate after compressing to about the intrinsic dimension (e.g. --pca ",
                        std::max<index_t>(1, static_cast<index_t>(std::ceil(id))), ")"),
         id);
}

/// Refuses when a column of `m` (named `what`) is constant: code "constant_column", naming it.
inline void refuse_constant_columns(const column_profile& p, const char* function, const std::string& what,
                                    const std::string& consequence) {
  const index_t c = p.first_constant();
  if (c < 0) return;
  refuse(function, "constant_column",
         infogeo::detail::concat(what, " column ", c, " is constant (one distinct value in ", p.n, " rows): ", consequence,
                        "; remove the column"),
         static_cast<double>(c));
}

}  // namespace infogeo::neighbors

namespace infogeo::neighbors {

/// Tolerance of the jitter-stability check: two estimates at jitter scales s and s / 10 may differ by
/// this much (nats) plus two standard errors before the jittered estimate is flagged.
inline constexpr double jitter_stability_tolerance = 0.05;

/// Records the estimate recomputed at a tenth of the jitter (detail "value_at_jitter_tenth") and warns
/// with code "jitter_sensitive" when it differs from e.value by more than
/// jitter_stability_tolerance + 2 * std_error (std_error 0 when unknown).
inline void check_jitter_stability(estimate& e, double value_at_tenth, double jitter, double std_error = 0.0) {
  e.details["value_at_jitter_tenth"] = value_at_tenth;
  const double diff = std::abs(e.value - value_at_tenth);
  if (diff > jitter_stability_tolerance + 2.0 * std_error)
    e.warn("jitter_sensitive",
           infogeo::detail::concat("the data have tied values broken by jitter ", jitter,
                                   "; recomputed at jitter ", jitter / 10.0, " the estimate moves by ", diff,
                                   " nats, so it measures the jitter, not the data; use an estimator for discrete "
                                   "or mixed data (mi --method mixed-ksg, binning) instead of jitter"),
           diff);
}

/// The message of a "discrete_columns" reason for the sample named `what`.
inline std::string discrete_columns_message(const column_profile& p, const std::string& what,
                                            const std::string& consequence) {
  const auto cols = p.tied_columns();
  return infogeo::detail::concat(what, " column(s) ", column_list(cols), " repeat values (up to ",
                                 100.0 * p.max_tied_fraction(), "% of rows tie): discrete or mixed "
                                 "discrete-continuous coordinates (e.g. labels, rounded values, ReLU zeros); ",
                                 consequence);
}

}  // namespace infogeo::neighbors

namespace infogeo::neighbors {

/// Robust scale of one column: IQR / 1.349 (the sd of a normal column, but not inflated by heavy
/// tails), from the order statistics q25 = x_(floor(0.25 (n - 1))) and q75 = x_(floor(0.75 (n - 1)))
/// of the sorted column; the sd where the IQR is 0 (an atom covers the middle half, e.g. ReLU zeros).
inline double robust_scale(double q25, double q75, double sd) {
  const double iqr = q75 - q25;
  return iqr > 0.0 ? iqr / 1.349 : sd;
}

/// robust_scale() of every column of m (O(n) per column by nth_element; sd accumulated in double).
template <class = void>
std::vector<double> robust_column_scales(const row_matrix<double>& m) {
  const index_t n = m.rows();
  std::vector<double> scales(static_cast<std::size_t>(m.cols()));
  std::vector<double> col(static_cast<std::size_t>(n));
  const auto i25 = static_cast<std::ptrdiff_t>((n - 1) / 4);
  const auto i75 = static_cast<std::ptrdiff_t>(3 * (n - 1) / 4);
  for (index_t c = 0; c < m.cols(); ++c) {
    double mean = 0.0;
    for (index_t i = 0; i < n; ++i) mean += (col[static_cast<std::size_t>(i)] = m(i, c));
    mean /= static_cast<double>(n);
    double ss = 0.0;
    for (double v : col) ss += (v - mean) * (v - mean);
    std::nth_element(col.begin(), col.begin() + i75, col.end());
    const double q75 = col[static_cast<std::size_t>(i75)];
    std::nth_element(col.begin(), col.begin() + i25, col.begin() + i75);
    const double q25 = col[static_cast<std::size_t>(i25)];
    scales[static_cast<std::size_t>(c)] = robust_scale(q25, q75, std::sqrt(ss / static_cast<double>(n)));
  }
  return scales;
}

/// Largest neighbourhood, in units of the columns' robust scale, at which KSG-type estimators are
/// trusted: the median max-norm radius of the k-th joint neighbour over the smallest robust column
/// scale. KSG (Kraskov et al. 2004, Sec. II) assumes the joint density constant over each point's
/// max-norm ball and the marginal densities constant over its slabs; half a (robust) standard
/// deviation is where that fails by a factor ~2 for a normal coordinate (exp(-(1.5^2 - 1) / 2) = 0.54
/// across a ball at one sd from the mean). Calibration (docs/verdicts.md, neighbourhood_scale): at
/// n = 2000 every Gaussian and Student-t pair with equal correlations where KSG-1 missed the truth by
/// more than max(0.1 nats, 10 %) had a median radius of 0.58-1.6 (3x3 to 8x8 pairs); 1x1 and 2x2
/// pairs stay at 0.02-0.35.
inline constexpr double neighbourhood_scale_threshold = 0.5;

/// The upper median of v (element size / 2 in sorted order; O(n) by nth_element); v non-empty.
inline double upper_median(std::vector<double> v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

/// Median over the query points of the distance to their k-th neighbour, r.distance(i, k - 1)
/// (upper_median); requires 1 <= k <= r.k and r.n >= 1.
inline double median_kth_distance(const knn_result& r, index_t k) {
  std::vector<double> radii(static_cast<std::size_t>(r.n));
  for (index_t i = 0; i < r.n; ++i) radii[static_cast<std::size_t>(i)] = r.distance(i, k - 1);
  return upper_median(std::move(radii));
}

/// Records detail "neighbourhood_scale" (median over points of the k-th joint neighbour's distance,
/// r.distance(i, k - 1), divided by the smallest finite positive entry of column_scales: the robust
/// scales of the columns the neighbourhoods are measured in, +inf for a column to ignore) and warns
/// with code "neighbourhood_scale" above neighbourhood_scale_threshold. No-op without a usable scale.
inline void check_neighbourhood_scale(estimate& e, const knn_result& r, index_t k,
                                      const std::vector<double>& column_scales, const std::string& what) {
  double smallest = std::numeric_limits<double>::infinity();
  for (double s : column_scales)
    if (s > 0.0 && s < smallest) smallest = s;
  if (!std::isfinite(smallest) || r.n < 1 || k < 1 || k > r.k) return;
  const double scale = median_kth_distance(r, k) / smallest;
  e.details["neighbourhood_scale"] = scale;
  if (!(scale > neighbourhood_scale_threshold)) return;
  e.warn("neighbourhood_scale",
         infogeo::detail::concat(
             "the k-th neighbours of ", what, " lie a median ", scale,
             " robust standard deviations away (max norm; threshold ", neighbourhood_scale_threshold,
             "): KSG assumes the density constant over that neighbourhood (Kraskov et al. 2004, Sec. II), so it "
             "averages the dependence away and underestimates it, more with dimension and MI; use more samples, "
             "compress X and Y to fewer dimensions first (--pca m), or the Gaussian formula where the data are "
             "Gaussian"),
         scale);
}

}  // namespace infogeo::neighbors

namespace infogeo::neighbors {

/// A column has a hard edge (a density bounded away from 0 at the end of its support: uniform,
/// exponential at 0) when at least max(4, 0.25 % of n) other rows lie within 1 % of its range of its
/// minimum or of its maximum. A smooth tail puts ~0.2 rows there (a normal column: at n = 2000 the
/// maximum sits near 3.4 sd, where 2000 x phi(3.4) x 0.07 sd ~ 0.2; at n = 1e6 ~0.24), a uniform
/// column 1 % of n, an exponential one ~n ln(n) / 100 at 0.
inline bool hard_edge(index_t near_min, index_t near_max, index_t n) {
  const double needed = std::max(4.0, 0.0025 * static_cast<double>(n));
  return static_cast<double>(near_min) >= needed || static_cast<double>(near_max) >= needed;
}

/// Whether some column of m has a hard edge (hard_edge(); O(n) per column).
template <class = void>
bool has_hard_edge(const row_matrix<double>& m) {
  const index_t n = m.rows();
  for (index_t c = 0; c < m.cols(); ++c) {
    const double lo = m.col(c).minCoeff();
    const double hi = m.col(c).maxCoeff();
    const double width = 0.01 * (hi - lo);
    index_t near_min = -1;  // the extreme rows themselves do not count
    index_t near_max = -1;
    for (index_t i = 0; i < n; ++i) {
      near_min += m(i, c) <= lo + width;
      near_max += m(i, c) >= hi - width;
    }
    if (hard_edge(near_min, near_max, n)) return true;
  }
  return false;
}

/// A column's density at an end of its support relative to its density at the median, read from
/// order-statistic gaps (a gap is ~1 / (n f)): the mean gap among the m + 1 most extreme values,
/// m = max(10, ceil(edge_fraction n)) (edge_fraction 0.5 % by default), over the mean gap among the
/// n / 10 values around the median. Returns
/// the smallest ratio over the columns and both ends (infinity when n < 40). Reads ~1 for a uniform
/// column, ~0.5 for an exponential one (f(0) = 2 f(median)), far above 1 for a normal one; a pole
/// f(x) ~ x^(a - 1) at an end drives it towards 0 (Gamma(a), a <= 0.5, and Beta(0.5, 0.5): <= 0.08
/// at n = 500-20000). O(n) per column (selections).
template <class = void>
double edge_density_ratio(const row_matrix<double>& m, double edge_fraction = 0.005) {
  const index_t n = m.rows();
  double smallest = std::numeric_limits<double>::infinity();
  if (n < 40) return smallest;
  const auto extreme = std::min<index_t>(
      n / 4, std::max<index_t>(10, static_cast<index_t>(std::ceil(edge_fraction * static_cast<double>(n)))));
  const index_t half_width = n / 20;
  std::vector<double> col(static_cast<std::size_t>(n));
  for (index_t c = 0; c < m.cols(); ++c) {
    for (index_t i = 0; i < n; ++i) col[static_cast<std::size_t>(i)] = m(i, c);
    // Only six order statistics are needed: selections (O(n) each) instead of a sort on KL's path.
    const auto at = [&](index_t i) {
      const auto it = col.begin() + static_cast<std::ptrdiff_t>(i);
      std::nth_element(col.begin(), it, col.end());
      return *it;
    };
    const double mid_gap = (at(n / 2 + half_width) - at(n / 2 - half_width)) / static_cast<double>(2 * half_width);
    if (!(mid_gap > 0.0)) continue;  // tied around the median: no density to compare with
    const double low_gap = (at(extreme) - at(0)) / static_cast<double>(extreme);
    const double high_gap = (at(n - 1) - at(n - 1 - extreme)) / static_cast<double>(extreme);
    smallest = std::min(smallest, std::min(low_gap, high_gap) / mid_gap);
  }
  return smallest;
}

/// Below this edge_density_ratio() a column has a density pole at an end of its support. Measured
/// (session 17, 10 seeds per cell, d = 1-3, n = 500-20000; docs/verdicts.md, "KL at density poles"):
/// uniform, exponential (= Gamma(1)) and Beta(1, 1) read >= 0.14, Gaussians >= 6; Gamma(a) and
/// Beta(a, a) read <= 0.08 at a = 0.5, <= 0.0015 at a = 0.3, and 0.02-0.41 at a = 0.7 (the weakest
/// pole, partly seen).
inline constexpr double density_pole_ratio = 0.1;

/// Whether some column of m has a density pole at an end of its support (edge_density_ratio()).
template <class = void>
bool has_density_pole(const row_matrix<double>& m) {
  return edge_density_ratio(m) < density_pole_ratio;
}

}  // namespace infogeo::neighbors

