// The half-sample convergence check ("sample_size_trend", docs/verdicts.md): an estimator whose
// bias has not died out at n points still moves when n is halved. Each estimate is recomputed on
// the even and on the odd rows; if the full-sample value differs from the mean of the two halves by
// more than both a floor and the halves' own disagreement, the estimate is warned about.
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
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo {

/// Options of the half-sample convergence check every k-NN / KDE / binning estimator runs by
/// default. Cost: the estimator twice on n / 2 points (about 1x the estimate for k-NN, 0.5x for KDE).
struct sample_size_check_options {
  bool enabled = true;          ///< false: no check, no extra cost (settings "sample_size_check" says so)
  index_t min_n = 200;          ///< below this the halves are too noisy to say anything: skipped
  double floor_nats = 0.05;     ///< movements below max(floor_nats, relative_floor * |value|) never warn
  double relative_floor = 0.02;
  double noise_factor = 1.0;    ///< ... nor below noise_factor x |h_even - h_odd| (the halves' own spread)
};

namespace detail {

/// Rows first, first + 2, first + 4, ... of m (first = 0: even rows, 1: odd rows).
template <class = void>
row_matrix<double> every_other_row(const row_matrix<double>& m, index_t first) {
  const index_t rows = (m.rows() - first + 1) / 2;
  row_matrix<double> out(rows, m.cols());
  for (index_t i = 0; i < rows; ++i) out.row(i) = m.row(first + 2 * i);
  return out;
}

inline void check_sample_size_options(const sample_size_check_options& o, const char* fn) {
  require(o.min_n >= 4, fn, "sample_size_check.min_n must be >= 4 (min_n=", o.min_n, ")");
  require(std::isfinite(o.floor_nats) && o.floor_nats >= 0.0, fn,
          "sample_size_check.floor_nats must be finite and >= 0 (floor_nats=", o.floor_nats, ")");
  require(std::isfinite(o.relative_floor) && o.relative_floor >= 0.0, fn,
          "sample_size_check.relative_floor must be finite and >= 0 (relative_floor=", o.relative_floor, ")");
  require(std::isfinite(o.noise_factor) && o.noise_factor >= 0.0, fn,
          "sample_size_check.noise_factor must be finite and >= 0 (noise_factor=", o.noise_factor, ")");
}

/// Compares e.value with the estimator rerun on the even and the odd halves. `on_half(first)`
/// returns the estimate's value on every_other_row(..., first) of each input; an estimator error on
/// a half (e.g. k >= n / 2) skips the check and says so in settings. Records details
/// "half_sample_even", "half_sample_odd", "half_sample_movement" (value minus the halves' mean) and
/// warns "sample_size_trend" when the movement exceeds the threshold of sample_size_check_options.
template <class OnHalf>
void check_sample_size_trend(estimate& e, const sample_size_check_options& o, OnHalf&& on_half,
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
  double even = 0.0;
  double odd = 0.0;
  try {
    even = on_half(0);
    odd = on_half(1);
  } catch (const numerical_error& err) {  // e.g. a refusal on a half: the full-sample verdict stands
    e.settings["sample_size_check"] = std::string("skipped: the estimator failed on a half: ") + err.what();
    return;
  } catch (const invalid_argument& err) {  // e.g. k >= n / 2
    e.settings["sample_size_check"] = std::string("skipped: the estimator rejects a half: ") + err.what();
    return;
  }
  const double movement = e.value - 0.5 * (even + odd);
  const double threshold =
      std::max({o.floor_nats, o.relative_floor * std::abs(e.value), o.noise_factor * std::abs(even - odd)});
  e.settings["sample_size_check"] = "halves (even / odd rows)";
  e.details["half_sample_even"] = even;
  e.details["half_sample_odd"] = odd;
  e.details["half_sample_movement"] = movement;
  e.details["half_sample_threshold"] = threshold;
  if (std::abs(movement) > threshold)
    e.warn("sample_size_trend",
           detail::concat("the estimate moves by ", movement, " nats between n/2 = ", e.n / 2, " points (halves: ",
                          even, ", ", odd, ") and n = ", e.n, " (", e.value,
                          "): it has not converged in n, and the bias left at n is probably at least that large; ",
                          advice),
           movement);
}

/// check_sample_size_trend() for an estimator f(samples..., options) -> estimate whose options carry
/// a `sample_size_check` member: reruns f on the even and odd rows of every sample (row_matrix<double>,
/// same rows) with the check switched off on the halves.
template <class Options, class Estimator, class... Samples>
void recheck_on_halves(estimate& e, const Options& opt, const char* advice, Estimator&& f, const Samples&... samples) {
  check_sample_size_trend(
      e, opt.sample_size_check,
      [&](index_t first) {
        Options half = opt;
        half.sample_size_check.enabled = false;
        return f(every_other_row(samples, first)..., half).value;
      },
      advice);
}

}  // namespace detail
}  // namespace infogeo
