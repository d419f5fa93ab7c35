// The half-sample convergence check ("sample_size_trend", docs/verdicts.md): an estimator whose
// bias has not died out at n points still moves when n is halved. Each estimate is recomputed on
// the two halves of a random split (fixed seed: reproducible; random, not even/odd rows, because
// data ordered by class or time would make such halves unrepresentative); if the full-sample value
// differs from the mean of the two halves by more than both a floor and the halves' own
// disagreement, the estimate is warned about.
//
// Why it works: a k-NN, KDE or binning estimator's bias decays like c n^(-a) (a = 1 for binning's
// (bins - 1) / 2n term, a ~ 2 / d or slower for k-NN estimators in d dimensions, Gao, Oh &
// Viswanath 2018). Between n / 2 and n the estimate moves by c n^(-a) (2^a - 1), so the bias still
// left at n is the movement divided by (2^a - 1): at least the movement itself when a <= 1. A visible
// movement is thus a lower bound on the bias left; its absence is evidence (not proof) of
// convergence. Holmes & Nemenman (2019, Phys. Rev. E 100, 022404) use the same subsampling to
// extrapolate KSG to infinite n.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/tolerance.hpp"

namespace infogeo {

/// Options of the half-sample convergence check every k-NN / KDE / binning estimator runs by
/// default. Cost: the estimator twice on n / 2 points (about 1x the estimate for k-NN, 0.5x for KDE).
struct sample_size_check_options {
  bool enabled = true;          ///< false: no check, no extra cost (settings "sample_size_check" says so)
  index_t min_n = 200;          ///< below this the halves are too noisy to say anything: skipped
  double floor_nats = 0.05;     ///< movements below max(floor_nats, tolerance_fraction * accuracy_tolerance())
  double tolerance_fraction = 0.2;  ///< ... never warn (MI: max(0.05, 0.02 |value|); entropy: max(0.05, 0.02 d))
  double noise_factor = 1.0;    ///< ... nor below noise_factor x |h_1 - h_2| (the halves' own spread)
  std::uint64_t seed = 20261206;  ///< seed of the random split into halves
};

namespace detail {

/// The random split of n rows into two halves: a permutation of 0..n-1 whose first floor(n/2)
/// entries are half 0 and the rest half 1.
inline std::vector<std::int64_t> half_split(index_t n, std::uint64_t seed) {
  random_engine rng(seed);
  return rng.permutation(n);
}

/// Rows of half `which` (0 or 1) of the split `perm` of m.
template <class = void>
row_matrix<double> half_rows(const row_matrix<double>& m, const std::vector<std::int64_t>& perm, index_t which) {
  const auto middle = perm.begin() + static_cast<std::ptrdiff_t>(perm.size() / 2);
  const std::vector<std::int64_t> rows = which == 0 ? std::vector<std::int64_t>(perm.begin(), middle)
                                                    : std::vector<std::int64_t>(middle, perm.end());
  return m(rows, Eigen::all);  // Eigen 3.4 indexed view
}

inline void check_sample_size_options(const sample_size_check_options& o, const char* fn) {
  require(o.min_n >= 4, fn, "sample_size_check.min_n must be >= 4 (min_n=", o.min_n, ")");
  require(std::isfinite(o.floor_nats) && o.floor_nats >= 0.0, fn,
          "sample_size_check.floor_nats must be finite and >= 0 (floor_nats=", o.floor_nats, ")");
  require(std::isfinite(o.tolerance_fraction) && o.tolerance_fraction >= 0.0, fn,
          "sample_size_check.tolerance_fraction must be finite and >= 0 (tolerance_fraction=", o.tolerance_fraction,
          ")");
  require(std::isfinite(o.noise_factor) && o.noise_factor >= 0.0, fn,
          "sample_size_check.noise_factor must be finite and >= 0 (noise_factor=", o.noise_factor, ")");
}

/// Compares e.value with the estimator rerun on the two halves of a random split. `on_half(which)`
/// returns the estimate's value on half `which` (0, 1) of each input; an estimator error on
/// a half (e.g. k >= n / 2) skips the check and says so in settings. Records details
/// "half_sample_1", "half_sample_2", "half_sample_movement" (value minus the halves' mean) and
/// warns "sample_size_trend" when the movement exceeds the threshold of sample_size_check_options
/// (its tolerance part: accuracy_tolerance() of a quantity of kind `kind` on e.dims dimensions).
template <class OnHalf>
void check_sample_size_trend(estimate& e, const sample_size_check_options& o, tolerance_kind kind, OnHalf&& on_half,
                             const char* advice) {
  check_sample_size_options(o, "sample_size_check");
  if (!o.enabled) {
    e.settings["sample_size_check"] = "off";
    return;
  }
  if (e.n < o.min_n) {
    e.settings["sample_size_check"] = detail::concat("skipped: n = ", e.n, " < min_n = ", o.min_n);
    return;
  }
  double h1 = 0.0;
  double h2 = 0.0;
  try {
    h1 = on_half(0);
    h2 = on_half(1);
  } catch (const numerical_error& err) {  // e.g. a refusal on a half: the full-sample verdict stands
    e.settings["sample_size_check"] = std::string("skipped: the estimator failed on a half: ") + err.what();
    return;
  } catch (const invalid_argument& err) {  // e.g. k >= n / 2
    e.settings["sample_size_check"] = std::string("skipped: the estimator rejects a half: ") + err.what();
    return;
  }
  const double movement = e.value - 0.5 * (h1 + h2);
  const double threshold =
      std::max({o.floor_nats, o.tolerance_fraction * accuracy_tolerance(kind, e.value, e.dims),
                o.noise_factor * std::abs(h1 - h2)});
  e.settings["sample_size_check"] = detail::concat("random halves (seed ", o.seed, ")");
  e.details["half_sample_1"] = h1;
  e.details["half_sample_2"] = h2;
  e.details["half_sample_movement"] = movement;
  e.details["half_sample_threshold"] = threshold;
  if (std::abs(movement) > threshold)
    e.warn("sample_size_trend",
           detail::concat("the estimate moves by ", movement, " nats between n/2 = ", e.n / 2, " points (halves: ",
                          h1, ", ", h2, ") and n = ", e.n, " (", e.value,
                          "): it has not converged in n, and the bias left at n is probably at least that large; ",
                          advice),
           movement);
}

/// check_sample_size_trend() for an estimator f(samples..., options) -> estimate whose options carry
/// a `sample_size_check` member: reruns f on the two halves of one random split of every sample
/// (row_matrix<double>, same rows, the same split for all) with the check switched off on the halves.
template <class Options, class Estimator, class Sample, class... Samples>
void recheck_on_halves(estimate& e, const Options& opt, tolerance_kind kind, const char* advice, Estimator&& f,
                       const Sample& first, const Samples&... rest) {
  std::vector<std::int64_t> perm;
  if (opt.sample_size_check.enabled && e.n >= opt.sample_size_check.min_n)
    perm = half_split(first.rows(), opt.sample_size_check.seed);
  check_sample_size_trend(
      e, opt.sample_size_check, kind,
      [&](index_t which) {
        Options half = opt;
        half.sample_size_check.enabled = false;
        return f(half_rows(first, perm, which), half_rows(rest, perm, which)..., half).value;
      },
      advice);
}

}  // namespace detail
}  // namespace infogeo
