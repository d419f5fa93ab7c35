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

/// Plug-in entropy (nats) of the rows of an N x d code matrix: rows are grouped exactly
/// (group_rows), H = log N - (1/N) sum_c n_c log n_c. Returns {H, occupied}.
template <class = void>
std::pair<double, index_t> tuple_entropy(const std::vector<std::int64_t>& codes, index_t n,
                                         index_t d) {
  index_t occupied = 0;
  const std::vector<index_t> ids = group_rows(codes, n, d, occupied);  // sets occupied first
  const std::vector<index_t> counts = group_counts(ids, occupied);
  double s = 0.0;
  for (const index_t c : counts) s += static_cast<double>(c) * std::log(static_cast<double>(c));
  const auto nd = static_cast<double>(n);
  return {std::log(nd) - s / nd, occupied};
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
/// (about (occupied_TY - occupied_T - classes + 1)/(2N)). Errors: those of binned_entropy(),
/// bad labels, mismatched rows.
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
  e.value = ht + hy - hty +
            (options.miller_madow ? detail::miller_madow(occupied, b.n) + detail::miller_madow(classes, b.n) -
                                        detail::miller_madow(occupied_joint, b.n)
                                  : 0.0);
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
  e.settings["sample_size_check"] = "not run by this estimator (binned_mutual_information only)";
  return e;
}

/// I(X;Y) = H(B(X)) + H(B(Y)) - H(B(X), B(Y)) (nats) with both X and Y binned by the same
/// options (each variable its own ranges). A discretised-MI baseline; same bin-size caveats.
/// Verdict: "few_bins" (a coordinate of X or Y in fewer than 2 bins; e.g. bins = 1 gives 0),
/// "bins_saturated" (occupied joint bins > N / 2: the estimate measures N, not I).
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
  e.value = hx + hy - hxy +
            (options.miller_madow ? detail::miller_madow(ox, bx.n) + detail::miller_madow(oy, bx.n) -
                                        detail::miller_madow(oxy, bx.n)
                                  : 0.0);
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
