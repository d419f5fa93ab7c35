// Rank statistics: average ranks with ties, Pearson, Spearman, Kendall tau-b, and the pooled
// rank-correlation analysis of the seed paper (App. C.1).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo::stats {

namespace detail {
inline void check_finite_values(const std::vector<double>& v, const char* fn, const char* arg) {
  for (std::size_t i = 0; i < v.size(); ++i)
    require(std::isfinite(v[i]), fn, arg, " must be finite (", arg, "[", i, "]=", v[i], ")");
}
inline void check_pair(const std::vector<double>& a, const std::vector<double>& b, const char* fn, std::size_t min_n) {
  require(a.size() == b.size(), fn, "a and b must have the same length (a=", a.size(), ", b=", b.size(), ")");
  require(a.size() >= min_n, fn, "needs at least ", min_n, " pairs (n=", a.size(), ")");
  check_finite_values(a, fn, "a");
  check_finite_values(b, fn, "b");
}
}  // namespace detail

/// 1-based ranks; tied values share the average of the ranks they span (the "fractional" or
/// mid-rank convention used by Spearman's rho with ties). O(n log n). NaN/Inf rejected.
inline std::vector<double> average_ranks(const std::vector<double>& values) {
  detail::check_finite_values(values, "stats::average_ranks", "values");
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double mid = 0.5 * static_cast<double>(start + 1 + end);  // mean of ranks start+1..end
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = mid;
    start = end;
  }
  return ranks;
}

/// Pearson correlation sum (a - mean a)(b - mean b) / sqrt(SS_a SS_b). Throws invalid_argument
/// for n < 2, length mismatch, non-finite input, or a constant input (correlation undefined).
inline double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const char* fn = "stats::pearson";
  detail::check_pair(a, b, fn, 2);
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  require(saa > 0.0 && sbb > 0.0, fn, "an input is constant, correlation undefined (SS_a=", saa, ", SS_b=", sbb, ")");
  return sab / std::sqrt(saa * sbb);
}

/// Spearman's rho: Pearson correlation of the average ranks (ties handled by mid-ranks).
inline double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  detail::check_pair(a, b, "stats::spearman", 2);
  return pearson(average_ranks(a), average_ranks(b));
}

/// Kendall's tau-b = (C - D) / sqrt((n0 - n1)(n0 - n2)) with n0 = n(n-1)/2 and n1, n2 the tied
/// pairs in a and in b (Kendall 1945). O(n^2), exact. Throws if either input is constant.
inline double kendall_tau_b(const std::vector<double>& a, const std::vector<double>& b) {
  const char* fn = "stats::kendall_tau_b";
  detail::check_pair(a, b, fn, 2);
  double concordant_minus_discordant = 0.0, ties_a = 0.0, ties_b = 0.0;
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double da = a[i] - a[j];
      const double db = b[i] - b[j];
      if (da == 0.0) ties_a += 1.0;
      if (db == 0.0) ties_b += 1.0;
      if (da != 0.0 && db != 0.0) concordant_minus_discordant += (da > 0) == (db > 0) ? 1.0 : -1.0;
    }
  const double n0 = 0.5 * static_cast<double>(n) * static_cast<double>(n - 1);
  require(n0 > ties_a && n0 > ties_b, fn, "an input is constant, tau-b undefined (n=", n, ")");
  return concordant_minus_discordant / std::sqrt((n0 - ties_a) * (n0 - ties_b));
}

/// One experiment of the pooled analysis: paired measurements (e.g. a compression metric and
/// the test accuracy) over the runs/checkpoints of that experiment.
struct paired_series {
  std::vector<double> a;
  std::vector<double> b;
};

/// Pooled rank correlation of the seed paper, App. C.1: within each experiment, replace a and b
/// by their average ranks, min-max normalise the ranks to [0, 1] (so experiments with different
/// numbers of runs weigh alike per point), pool all experiments and return the Pearson
/// correlation of the pooled normalised ranks. Experiments need >= 2 points and must not be
/// constant in a or b (their min-max normalisation would divide by zero).
inline double pooled_rank_correlation(const std::vector<paired_series>& experiments) {
  const char* fn = "stats::pooled_rank_correlation";
  require(!experiments.empty(), fn, "needs at least one experiment (experiments=0)");
  std::vector<double> pa, pb;
  for (std::size_t e = 0; e < experiments.size(); ++e) {
    const auto& ex = experiments[e];
    detail::check_pair(ex.a, ex.b, fn, 2);
    for (int side = 0; side < 2; ++side) {
      std::vector<double> r = average_ranks(side == 0 ? ex.a : ex.b);
      const auto [lo, hi] = std::minmax_element(r.begin(), r.end());
      const double min_r = *lo, max_r = *hi;
      require(max_r > min_r, fn, "experiment ", e, " is constant in ", side == 0 ? "a" : "b",
              " (ranks cannot be normalised)");
      for (double& v : r) v = (v - min_r) / (max_r - min_r);
      auto& dest = side == 0 ? pa : pb;
      dest.insert(dest.end(), r.begin(), r.end());
    }
  }
  return pearson(pa, pb);
}

}  // namespace infogeo::stats
