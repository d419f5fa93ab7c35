// Binning (discretisation) estimators of entropy and mutual information, as in Shwartz-Ziv &
// Tishby 2017 (Sec. 3: 30 equal-width bins of the activation range) and Saxe et al. 2018:
// every coordinate is cut into equal-width bins, each sample becomes a tuple of bin indices,
// and plug-in entropies of the tuples give
//   I(X;T) = H(T)              when X is the sample index (T a deterministic function of X),
//   I(T;Y) = H(T) + H(Y) - H(T,Y) with discrete labels Y.
// This is the baseline the information-plane literature argues AGAINST: for a deterministic
// network H(T) only measures how finely the bins resolve the N points, it climbs to the ceiling
// log N as bins shrink, and the "compression" it shows depends on the bin size (Saxe et al.
// 2018; Goldfeld et al. 2019 Sec. 2). Every result therefore reports the number of occupied bins
// and the log N ceiling.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_size_trend.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/tolerance.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::mi {

/// Options of the binning estimators.
struct binning_options {
  index_t bins = 30;          ///< equal-width bins per dimension over the data range (> 0)
  double bin_width = 0.0;     ///< if > 0: bins of this width anchored at the range minimum (overrides bins)
  bool global_range = false;  ///< one [min, max] over all coordinates (Shwartz-Ziv & Tishby) instead of per dimension
  /// Add the Miller-Madow correction (m - 1) / (2N) to every plug-in entropy (m = occupied bins;
  /// Miller 1955): removes the leading O(1/N) bias of the plug-in entropy; off by default.
  bool miller_madow = false;
  /// Fixed range [range_min, range_max] for every coordinate instead of the data range (both NaN =
  /// off). The 2025 thesis "Explaining DNNs using Information Theory and Geometry" (Sec. 1, Fig. 1.2,
  /// after Shwartz-Ziv & Tishby 2017 Sec. 3) cuts [-1, 1], the range of tanh, into 30 equal-width
  /// bins: bins then mean the same thing in every layer and epoch. A value outside the range is an
  /// error (invalid_argument), never silently clipped into an edge bin.
  double range_min = std::numeric_limits<double>::quiet_NaN();
  double range_max = std::numeric_limits<double>::quiet_NaN();
  /// Half-sample convergence check of binned_mutual_information() ("sample_size_trend"), on: the
  /// plug-in bias ~ (occupied joint - occupied x - occupied y + 1) / 2N moves visibly with N.
  /// binned_entropy() and the labels form do not run it (settings "sample_size_check" says so).
  sample_size_check_options sample_size_check;
};

/// Occupied (joint) bins above this fraction of N: the plug-in estimate measures N, not the data
/// (each occupied bin holds about two samples or fewer; "bins_saturated").
inline constexpr double binning_saturation_fraction = 0.5;

namespace detail {

/// Bin tuples (row-major N x D codes) of a sample.
struct binned_sample {
  std::vector<std::int64_t> codes;
  index_t n = 0;
  index_t d = 0;
  double width = 0.0;      ///< bin width (of dimension 0 with per-dimension ranges)
  double max_bins = 0.0;   ///< largest number of bins along any dimension
  index_t min_occupied = 0;     ///< fewest occupied bins along any dimension
  index_t min_occupied_dim = 0; ///< the dimension with the fewest occupied bins
};

template <class T>
binned_sample discretise(const sample_view<T>& v, const binning_options& o, const char* fn,
                         const char* argument) {
  check_samples(v, 1, fn, argument);
  const bool by_width = o.bin_width > 0.0;
  require(by_width || o.bins > 0, fn, "bins must be > 0 (bins=", o.bins, ")");
  require(!(o.bin_width < 0.0) && !std::isnan(o.bin_width) && std::isfinite(o.bin_width), fn,
          "bin_width must be > 0, or 0 to use bins (bin_width=", o.bin_width, ")");
  const bool fixed = !std::isnan(o.range_min) || !std::isnan(o.range_max);
  if (fixed)
    require(std::isfinite(o.range_min) && std::isfinite(o.range_max) && o.range_min < o.range_max, fn,
            "a fixed range needs finite range_min < range_max (range_min=", o.range_min, ", range_max=", o.range_max,
            ")");
  binned_sample b;
  b.n = v.rows();
  b.d = v.cols();
  b.codes.resize(static_cast<std::size_t>(b.n * b.d));
  std::vector<double> lo(static_cast<std::size_t>(b.d));
  std::vector<double> hi(static_cast<std::size_t>(b.d));
  for (index_t j = 0; j < b.d; ++j) {
    double mn = static_cast<double>(v(0, j));
    double mx = mn;
    for (index_t i = 1; i < b.n; ++i) {
      mn = std::min(mn, static_cast<double>(v(i, j)));
      mx = std::max(mx, static_cast<double>(v(i, j)));
    }
    lo[static_cast<std::size_t>(j)] = mn;
    hi[static_cast<std::size_t>(j)] = mx;
  }
  if (fixed) {
    for (index_t j = 0; j < b.d; ++j)
      require(lo[static_cast<std::size_t>(j)] >= o.range_min && hi[static_cast<std::size_t>(j)] <= o.range_max, fn,
              argument, " column ", j, " leaves the fixed range [", o.range_min, ", ", o.range_max, "] (min=",
              lo[static_cast<std::size_t>(j)], ", max=", hi[static_cast<std::size_t>(j)],
              "); widen the range or drop it to bin over the data range");
    std::fill(lo.begin(), lo.end(), o.range_min);
    std::fill(hi.begin(), hi.end(), o.range_max);
  } else if (o.global_range) {
    const double mn = *std::min_element(lo.begin(), lo.end());
    const double mx = *std::max_element(hi.begin(), hi.end());
    std::fill(lo.begin(), lo.end(), mn);
    std::fill(hi.begin(), hi.end(), mx);
  }
  for (index_t j = 0; j < b.d; ++j) {
    const double l = lo[static_cast<std::size_t>(j)];
    const double range = hi[static_cast<std::size_t>(j)] - l;
    require(std::isfinite(range), fn, argument, " column ", j,
            " has a range max - min that overflows double; rescale the data (min=", l,
            ", max=", hi[static_cast<std::size_t>(j)], ")");
    double w;
    double nb;
    if (by_width) {
      w = o.bin_width;
      nb = std::floor(range / w) + 1.0;
      require(nb < 4.0e15, fn, "bin_width is too small for the data range (bin_width=", w,
              ", range=", range, ")");
    } else {
      nb = static_cast<double>(o.bins);
      w = range > 0.0 ? range / nb : 1.0;  // a constant column: one bin
    }
    if (j == 0) b.width = w;
    b.max_bins = std::max(b.max_bins, nb);
    for (index_t i = 0; i < b.n; ++i) {
      double k = std::floor((static_cast<double>(v(i, j)) - l) / w);
      k = std::min(std::max(k, 0.0), nb - 1.0);  // the maximum falls in the last bin
      b.codes[static_cast<std::size_t>(i * b.d + j)] = static_cast<std::int64_t>(k);
    }
    std::vector<std::int64_t> col(static_cast<std::size_t>(b.n));
    for (index_t i = 0; i < b.n; ++i) col[static_cast<std::size_t>(i)] = b.codes[static_cast<std::size_t>(i * b.d + j)];
    std::sort(col.begin(), col.end());
    const auto occupied = static_cast<index_t>(std::unique(col.begin(), col.end()) - col.begin());
    if (j == 0 || occupied < b.min_occupied) {
      b.min_occupied = occupied;
      b.min_occupied_dim = j;
    }
  }
  return b;
}

/// Groups the equal rows of an N x d code matrix exactly (by sorting: no hash collisions).
/// Returns one group id per row, ids numbered in the rows' lexicographic order; `groups` gets
/// the number of distinct rows. Cost O(N d log N).
template <class = void>
std::vector<index_t> group_rows(const std::vector<std::int64_t>& codes, index_t n, index_t d, index_t& groups) {
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index_t{0});
  auto row = [&](index_t i) { return codes.begin() + i * d; };
  std::sort(order.begin(), order.end(), [&](index_t a, index_t b) {
    return std::lexicographical_compare(row(a), row(a) + d, row(b), row(b) + d);
  });
  std::vector<index_t> ids(static_cast<std::size_t>(n));
  groups = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i + 1;
    while (j < order.size() && std::equal(row(order[i]), row(order[i]) + d, row(order[j]))) ++j;
    for (std::size_t k = i; k < j; ++k) ids[static_cast<std::size_t>(order[k])] = groups;
    ++groups;
    i = j;
  }
  return ids;
}

/// Rows per group of group_rows() ids.
inline std::vector<index_t> group_counts(const std::vector<index_t>& ids, index_t groups) {
  std::vector<index_t> counts(static_cast<std::size_t>(groups), 0);
  for (const index_t g : ids) ++counts[static_cast<std::size_t>(g)];
  return counts;
}

/// Plug-in entropy log N - (1/N) sum_c n_c log n_c (nats) of the counts n_c of N samples.
inline double plugin_entropy(const std::vector<index_t>& counts, double n) {
  double s = 0.0;
  for (const index_t c : counts) s += static_cast<double>(c) * std::log(static_cast<double>(c));
  return std::log(n) - s / n;
}

/// Plug-in entropy (nats) of the rows of an N x d code matrix: rows are grouped exactly
/// (group_rows), H = log N - (1/N) sum_c n_c log n_c. Returns {H, occupied}.
template <class = void>
std::pair<double, index_t> tuple_entropy(const std::vector<std::int64_t>& codes, index_t n,
                                         index_t d) {
  index_t occupied = 0;
  const std::vector<index_t> ids = group_rows(codes, n, d, occupied);  // sets occupied first
  return {plugin_entropy(group_counts(ids, occupied), static_cast<double>(n)), occupied};
}

/// Side-by-side concatenation of two code matrices with the same rows.
inline std::vector<std::int64_t> join_codes(const std::vector<std::int64_t>& a, index_t da,
                                            const std::vector<std::int64_t>& b, index_t db, index_t n) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(n * (da + db)));
  for (index_t i = 0; i < n; ++i) {
    std::copy(a.begin() + i * da, a.begin() + (i + 1) * da, out.begin() + i * (da + db));
    std::copy(b.begin() + i * db, b.begin() + (i + 1) * db, out.begin() + i * (da + db) + da);
  }
  return out;
}

/// The verdicts every binning estimate carries: "few_bins" when a coordinate of `b` (named
/// `what`) occupies fewer than 2 bins (it then contributes nothing: a constant column, or bins = 1),
/// "bins_saturated" when `occupied` (the joint bins behind the estimate) exceed
/// binning_saturation_fraction * N.
inline void binning_verdicts(estimate& e, const binned_sample& b, const char* what, index_t occupied) {
  if (b.min_occupied < 2)
    e.warn("few_bins",
           infogeo::detail::concat(what, " coordinate ", b.min_occupied_dim, " occupies ", b.min_occupied,
                                   " bin: it carries no information after binning, so the estimate ignores it "
                                   "(bins = 1 or a constant coordinate); use more bins"),
           static_cast<double>(b.min_occupied));
  const double frac = static_cast<double>(occupied) / static_cast<double>(b.n);
  if (frac > binning_saturation_fraction && !e.has_reason("bins_saturated"))
    e.warn("bins_saturated",
           infogeo::detail::concat(occupied, " occupied bins for N = ", b.n, " samples (", 100.0 * frac,
                                   "%): the plug-in entropies approach their log N ceiling and the estimate "
                                   "measures the sample size, not the data; use fewer bins or a k-NN estimator"),
           frac);
}

/// Miller-Madow correction (m - 1) / (2N) of a plug-in entropy over m occupied bins.
inline double miller_madow(index_t occupied, index_t n) {
  return static_cast<double>(occupied - 1) / (2.0 * static_cast<double>(n));
}

/// Miller-Madow estimate (occupied_xy - occupied_x - occupied_y + 1) / (2N) of the upward plug-in bias of a
/// binned MI H(X_b) + H(Y_b) - H(X_b, Y_b) (the three entropies' (m - 1) / (2N) terms; with labels Y's cells
/// are the classes). What `miller_madow` subtracts.
inline double miller_madow_mi(index_t occupied_joint, index_t occupied_x, index_t occupied_y, index_t n) {
  return miller_madow(occupied_joint, n) - miller_madow(occupied_x, n) - miller_madow(occupied_y, n);
}

/// Fraction of the tolerance (accuracy_tolerance(scale_invariant, value)) that the Miller-Madow term may reach
/// before "plugin_bias" fires; see plugin_bias_verdict().
inline constexpr double binning_plugin_bias_fraction = 0.5;

/// Check "plugin_bias" of a histogram MI. `mm` is the Miller-Madow term (m_xy - m_x - m_y + 1) / (2N)
/// (miller_madow_mi(); EDGE: its ensemble-weighted sum), the first-order upward bias of the plug-in MI;
/// `corrected`: the value already had it subtracted (binning_options::miller_madow).
/// Why a fraction of the tolerance: Miller-Madow is only the O(1/N) term; once many cells hold a few samples
/// each the plug-in bias exceeds it (Paninski 2003, "Estimation of entropy and mutual information", Neural
/// Computation 15, Sec. 3-4: the bias then depends on the unseen distribution and no estimator removes it
/// uniformly). Measured on binned_mutual_information_labels (synthetic::class_toy, C = 2-20 classes, d = 1-2,
/// sigma_z = 0.25-1, N = 1000-20000, 10 and 30 bins, seeds 1-2: 480 sets, Monte Carlo truth): error / MM has
/// median 1.7 (10-90 %: 0.7-3.2), so the bias is about 2 MM, and MM > tolerance / 2 is "bias > tolerance".
/// There it leaves 7 of 60 sets beyond the tolerance unflagged (40 before): 6 with MM at 0.34-0.47 of the
/// tolerance, 1 a 10-bin under-estimate. It adds 9 warnings within the tolerance, all with errors at
/// 58-97 % of it. With the
/// correction applied about 0.7 MM is left: then MM > the whole tolerance warns. Sets details
/// "miller_madow_bias".
inline void plugin_bias_verdict(estimate& e, double mm, bool corrected, const char* remedy) {
  e.details["miller_madow_bias"] = mm;
  const double tol = accuracy_tolerance(tolerance_kind::scale_invariant, e.value, e.dims);
  if (mm > (corrected ? 1.0 : binning_plugin_bias_fraction) * tol)
    e.warn("plugin_bias",
           infogeo::detail::concat(
               "the Miller-Madow term (occupied joint - occupied x - occupied y + 1) / 2N = ", mm, " nats exceeds ",
               corrected ? "the tolerance " : "half the tolerance ", tol,
               ": too few samples per occupied cell, and the plug-in MI is biased upward by about ",
               corrected ? "0.7" : "2", " times that (Paninski 2003); ", remedy),
           mm);
}

/// Quantisation loss, in units of the tolerance, above which "bin_resolution" fires: see resolution_verdict().
inline constexpr double binning_resolution_fraction = 1.0;

/// Quantisation loss (nats) of a binned MI whose grid resolves the conditional distributions too coarsely;
/// h_a, h_b, h_ab: plug-in entropies of the binned A, B and (A, B); k_a, k_b: their binned coordinates.
/// c = H(A_b, B_b) - min(H(A_b), H(B_b)) is the binned entropy of the broader conditional (H(B_b | A_b) when
/// H(A_b) <= H(B_b)), taken per coordinate (c / k). For a Gaussian conditional of sd s bins that entropy is
/// about 1/2 log(2 pi e (s^2 + 1/12)) (the conditioning bin adds its width^2 / 12), and quantising each
/// variable adds noise of variance width^2 / 12, losing 1/2 log(1 + 1 / (12 s^2)): both variables,
/// log(1 + 1 / (12 s^2)) per coordinate. s^2 is floored at 1/120 (a conditional inside one bin: the loss
/// is then at least that, 2.4 nats). Using the broader conditional keeps a discrete variable (few levels,
/// legitimately narrow conditional) from counting as unresolved. Cost O(1).
inline double resolution_loss(double h_a, double h_b, double h_ab, index_t k_a, index_t k_b) {
  const double c = h_ab - std::min(h_a, h_b);
  const auto k = static_cast<double>(h_a <= h_b ? k_b : k_a);  // coordinates of the conditioned variable
  const double s2 = std::max(std::exp(2.0 * c / k) / (2.0 * pi * std::exp(1.0)) - 1.0 / 12.0, 1.0 / 120.0);
  return k * std::log1p(1.0 / (12.0 * s2));
}

/// Check "bin_resolution": the quantisation loss `loss` (resolution_loss(); EDGE: its ensemble-weighted sum)
/// exceeds the tolerance at the estimate (binning_resolution_fraction = 1). A binned MI is at most
/// min(H(X_b), H(Y_b)) and, up to its plug-in bias, at most I (data processing); when I is high the grid caps
/// it: 1 x 1 Gaussian rho = 0.999 (I = 3.108), N = 2000, 30 bins: 2.24-2.31 with conditionals of 0.5-0.6
/// nats (1.6-1.8 bins), loss 0.53-0.70. The loss tracks the error: 10 bins, rho = 0.9: loss 0.15-0.18, error
/// -0.12 to -0.15; 30 bins, rho = 0.99: 0.16-0.20 against -0.14 to -0.22; EDGE rho = 0.95, N = 2000: 0.17
/// against -0.15. The ceiling fraction I_b / min(H(X_b), H(Y_b)) does not separate: 0.73-0.75 at 100 bins
/// and rho = 0.999 (within the tolerance), 0.63 at 30 bins and rho = 0.99 (beyond), 0.26 at 10 bins and
/// rho = 0.8 (within), 0.40 at 10 bins and rho = 0.9 (beyond). Grid and counts: docs/binning_compressed.md.
/// Sets details "resolution_loss".
inline void resolution_verdict(estimate& e, double loss, const char* remedy) {
  e.details["resolution_loss"] = loss;
  const double tol = accuracy_tolerance(tolerance_kind::scale_invariant, e.value, e.dims);
  if (loss > binning_resolution_fraction * tol)
    e.warn("bin_resolution",
           infogeo::detail::concat(
               "the grid resolves the conditional distributions over few cells: estimated quantisation loss ", loss,
               " nats > the tolerance ", tol,
               "; the binned MI sits near its ceiling min(H(X_b), H(Y_b)) and under-estimates a high I; ", remedy),
           loss);
}

/// Multiplier from the refinement gain to the quantisation loss of the coarse grid: a resolved conditional
/// loses ~ w^2 / (12 s^2) per variable, so halving the width w recovers 3/4 of the loss (loss = 4/3 gain).
inline constexpr double binning_refinement_factor = 4.0 / 3.0;
/// Fraction of the Miller-Madow term left in a plug-in MI after subtracting it (measured 0.7; see
/// plugin_bias_verdict()), taken off the refinement gain together with the Miller-Madow terms.
inline constexpr double binning_refinement_residual_bias = 0.7;

/// The same grid with every bin halved (bins doubled, or bin_width halved); a fixed or global range is kept.
inline binning_options refined_grid(const binning_options& o) {
  binning_options r = o;
  if (o.bin_width > 0.0)
    r.bin_width = o.bin_width / 2.0;
  else
    r.bins = 2 * o.bins;
  return r;
}

/// Quantisation loss (nats) of a binned MI measured by refining the grid: with I_w the plug-in MI at bin width
/// w and MM_w its Miller-Madow term, gain = (I_{w/2} - MM_{w/2}) - (I_w - MM_w) minus the residual plug-in bias
/// 0.7 (MM_{w/2} - MM_w), and loss = 4/3 gain (binning_refinement_factor). Unlike resolution_loss() it assumes
/// no conditional of constant width: a steep curve (y = x^3 + 0.02 N, 30 bins: read 2.10 for I = 2.61) has
/// conditionals narrower than a bin where the curve is flat or steep and broad in between, so the average
/// conditional entropy reads resolved (model loss 0.11-0.15) while refining gains 0.3-0.4. `mm_coarse`,
/// `mm_fine`: the Miller-Madow terms. Cost: one more binning of both variables and their joint.
inline double refinement_loss(double mi_coarse, double mm_coarse, double mi_fine, double mm_fine) {
  const double gain = (mi_fine - mm_fine) - (mi_coarse - mm_coarse) -
                      binning_refinement_residual_bias * (mm_fine - mm_coarse);
  return binning_refinement_factor * std::max(gain, 0.0);
}

inline void binning_fields(estimate& e, const binned_sample& b, const binning_options& o) {
  e.parameters["bins"] = b.max_bins;
  e.parameters["bin_width"] = b.width;
  e.settings["bins_by"] = o.bin_width > 0.0 ? "width" : "count";
  e.settings["range"] = !std::isnan(o.range_min) ? "fixed" : o.global_range ? "global" : "per dimension";
  if (!std::isnan(o.range_min)) {
    e.parameters["range_min"] = o.range_min;
    e.parameters["range_max"] = o.range_max;
  }
  e.settings["miller_madow"] = o.miller_madow ? "on" : "off";
  e.n = static_cast<std::int64_t>(b.n);
  e.dims = static_cast<std::int64_t>(b.d);
}

}  // namespace detail

/// Plug-in entropy H(T) (nats) of the equal-width-binned sample t (N x D), which is also
/// I(X;T) when X is the sample index (Shwartz-Ziv & Tishby 2017). Depends strongly on the bin
/// size: reaches the ceiling log N ("log_n_ceiling") when every sample has its own bin
/// ("occupied_bins" = N; a diagnostic says so). Plug-in bias about -(occupied - 1)/(2N)
/// (Miller-Madow; options.miller_madow adds it back). Verdict: "few_bins" when a coordinate
/// occupies fewer than 2 bins, "bins_saturated" when occupied bins exceed N / 2. Cost O(N D log N).
/// Errors: bins <= 0, bin_width < 0, non-finite t, a
/// bin_width so small that bin indices overflow.
template <class Input>
estimate binned_entropy(const Input& t, const binning_options& options = {}) {
  const char* fn = "mi::binned_entropy";
  const auto b = detail::discretise(make_view(t), options, fn, "t");
  const auto [h, occupied] = detail::tuple_entropy(b.codes, b.n, b.d);
  estimate e;
  e.value = h + (options.miller_madow ? detail::miller_madow(occupied, b.n) : 0.0);
  e.method = "binning";
  detail::binning_fields(e, b, options);
  e.details["occupied_bins"] = static_cast<double>(occupied);
  e.details["log_n_ceiling"] = std::log(static_cast<double>(b.n));
  if (occupied == b.n)
    e.diagnostics.push_back("every sample occupies its own bin: H(T) = log N, the ceiling (bins too fine)");
  detail::binning_verdicts(e, b, "t", occupied);
  e.settings["sample_size_check"] = "not run by this estimator (binned_mutual_information only)";
  return e;
}

/// I(T;Y) = H(T) + H(Y) - H(T,Y) (nats) with T binned (see binned_entropy) and Y discrete class
/// labels (any integer range). Bounded by min(H(T), H(Y)) <= log N. Plug-in bias upwards
/// (about (occupied_TY - occupied_T - classes + 1)/(2N), details "miller_madow_bias"). Verdict: "few_bins",
/// "bins_saturated" (as binned_entropy), "plugin_bias" (that term > half the tolerance; see
/// detail::plugin_bias_verdict). No "bin_resolution": the labels are not binned. Errors: those of
/// binned_entropy(), bad labels, mismatched rows.
template <class Input, class Labels>
estimate binned_mutual_information_labels(const Input& t, const Labels& labels,
                                          const binning_options& options = {}) {
  const char* fn = "mi::binned_mutual_information_labels";
  const auto b = detail::discretise(make_view(t), options, fn, "t");
  const class_labels lab = make_labels(labels, 0, fn, "labels");
  check_same_rows(b.n, static_cast<index_t>(lab.values.size()), fn, "t", "labels");
  const auto [ht, occupied] = detail::tuple_entropy(b.codes, b.n, b.d);
  const auto [hy, classes] = detail::tuple_entropy(lab.values, b.n, 1);
  const auto joint = detail::join_codes(b.codes, b.d, lab.values, 1, b.n);
  const auto [hty, occupied_joint] = detail::tuple_entropy(joint, b.n, b.d + 1);
  estimate e;
  const double mm = detail::miller_madow_mi(occupied_joint, occupied, classes, b.n);
  e.value = ht + hy - hty - (options.miller_madow ? mm : 0.0);
  e.method = "binning";
  detail::binning_fields(e, b, options);
  e.settings["y"] = "discrete";
  e.details["h_t"] = ht;
  e.details["h_y"] = hy;
  e.details["h_ty"] = hty;
  e.details["occupied_bins"] = static_cast<double>(occupied);
  e.details["occupied_joint_bins"] = static_cast<double>(occupied_joint);
  e.details["log_n_ceiling"] = std::log(static_cast<double>(b.n));
  if (occupied == b.n)
    e.diagnostics.push_back("every sample occupies its own bin: I(T;Y) = H(Y) whatever T is (bins too fine)");
  detail::binning_verdicts(e, b, "t", occupied_joint);
  detail::plugin_bias_verdict(e, mm, options.miller_madow,
                              "use fewer bins, more samples, or a k-NN estimator (--method ksg1)");
  e.settings["sample_size_check"] = "not run by this estimator (binned_mutual_information only)";
  return e;
}

/// I(X;Y) = H(B(X)) + H(B(Y)) - H(B(X), B(Y)) (nats) with both X and Y binned by the same
/// options (each variable its own ranges). A discretised-MI baseline; same bin-size caveats.
/// Verdict: "few_bins" (a coordinate of X or Y in fewer than 2 bins; e.g. bins = 1 gives 0),
/// "bins_saturated" (occupied joint bins > N / 2: the estimate measures N, not I), "plugin_bias"
/// (Miller-Madow term > half the tolerance), "bin_resolution" (quantisation loss > the tolerance: the grid
/// caps a high I; the loss is the larger of detail::resolution_loss() and detail::refinement_loss(), the gain
/// of the grid with halved bins, used where that grid is not saturated (occupied joint <= N / 2) and its
/// Miller-Madow term is within half the tolerance),
/// "sample_size_trend" (half-sample check). Details "miller_madow_bias", "resolution_loss", "refined_grid_mi"
/// (the Miller-Madow-corrected MI on the halved bins). Cost: twice the binning, O(N D log N).
/// Errors: those of binned_entropy(), mismatched rows.
template <class X, class Y>
estimate binned_mutual_information(const X& x, const Y& y, const binning_options& options = {}) {
  const char* fn = "mi::binned_mutual_information";
  const auto bx = detail::discretise(make_view(x), options, fn, "x");
  const auto by = detail::discretise(make_view(y), options, fn, "y");
  check_same_rows(bx.n, by.n, fn, "x", "y");
  const auto [hx, ox] = detail::tuple_entropy(bx.codes, bx.n, bx.d);
  const auto [hy, oy] = detail::tuple_entropy(by.codes, by.n, by.d);
  const auto joint = detail::join_codes(bx.codes, bx.d, by.codes, by.d, bx.n);
  const auto [hxy, oxy] = detail::tuple_entropy(joint, bx.n, bx.d + by.d);
  estimate e;
  const double mm = detail::miller_madow_mi(oxy, ox, oy, bx.n);
  e.value = hx + hy - hxy - (options.miller_madow ? mm : 0.0);
  e.method = "binning";
  detail::binning_fields(e, bx, options);
  e.dims = static_cast<std::int64_t>(bx.d + by.d);
  e.details["h_x"] = hx;
  e.details["h_y"] = hy;
  e.details["h_xy"] = hxy;
  e.details["occupied_bins_x"] = static_cast<double>(ox);
  e.details["occupied_bins_y"] = static_cast<double>(oy);
  e.details["occupied_joint_bins"] = static_cast<double>(oxy);
  e.details["log_n_ceiling"] = std::log(static_cast<double>(bx.n));
  if (oxy == bx.n)
    e.diagnostics.push_back("every sample occupies its own joint bin: I = H(X_b) + H(Y_b) - log N (bins too fine)");
  detail::binning_verdicts(e, bx, "x", oxy);
  detail::binning_verdicts(e, by, "y", oxy);
  detail::plugin_bias_verdict(e, mm, options.miller_madow,
                              "use fewer bins, more samples, or a k-NN estimator (--method ksg1)");
  // Quantisation loss: the constant-width model, and the gain of the grid with halved bins where that grid is
  // not saturated and its own plug-in bias stays within half the tolerance (else it measures N, not I).
  double loss = detail::resolution_loss(hx, hy, hxy, bx.d, by.d);
  if (2.0 * std::max(bx.max_bins, by.max_bins) < 4.0e15) {  // the halved bins' indices fit (discretise)
    const binning_options fine = detail::refined_grid(options);
    const auto fx = detail::discretise(make_view(x), fine, fn, "x");
    const auto fy = detail::discretise(make_view(y), fine, fn, "y");
    const auto [fhx, fox] = detail::tuple_entropy(fx.codes, fx.n, fx.d);
    const auto [fhy, foy] = detail::tuple_entropy(fy.codes, fy.n, fy.d);
    const auto [fhxy, foxy] = detail::tuple_entropy(detail::join_codes(fx.codes, fx.d, fy.codes, fy.d, fx.n), fx.n,
                                                    fx.d + fy.d);
    const double fmm = detail::miller_madow_mi(foxy, fox, foy, fx.n);
    const double fmi = fhx + fhy - fhxy;
    e.details["refined_grid_mi"] = fmi - fmm;
    const bool refined_saturated =
        static_cast<double>(foxy) > binning_saturation_fraction * static_cast<double>(fx.n);
    const double tol = accuracy_tolerance(tolerance_kind::scale_invariant, e.value, e.dims);
    if (!refined_saturated && fmm <= detail::binning_plugin_bias_fraction * tol)
      loss = std::max(loss, detail::refinement_loss(hx + hy - hxy, mm, fmi, fmm));
  }
  detail::resolution_verdict(e, loss, "use more bins (if the samples allow) or a k-NN estimator (--method ksg1)");
  infogeo::detail::recheck_on_halves(
      e, options, tolerance_kind::scale_invariant,
      "the plug-in bias (about (occupied joint - occupied x - occupied y + 1) / 2N nats) is still large: use "
      "more samples, fewer bins, miller_madow (--miller-madow), or a k-NN estimator (--method ksg1)",
      [](const row_matrix<double>& half_x, const row_matrix<double>& half_y, const binning_options& o) {
        return binned_mutual_information(half_x, half_y, o);
      },
      to_row_matrix<double>(make_view(x)), to_row_matrix<double>(make_view(y)));
  return e;
}

}  // namespace infogeo::mi
