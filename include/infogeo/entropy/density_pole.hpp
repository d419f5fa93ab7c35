// A density pole that no column shows: the edge-density test of neighbors::edge_density_ratio() on the
// independent-component directions of the whitened sample, each refined by a face fit. Used by the
// KL estimators' neighbour-order check (kozachenko_leonenko.hpp) to choose the rate 1/(2d).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "infogeo/core/sample_view.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/independent_components.hpp"
#include "infogeo/stats/whitening.hpp"

namespace infogeo::entropy {

/// Share of the rows at an end of a direction through which direction_edge_density_ratio() fits the
/// face of the support (and, as edge_fraction, the share whose mean gap it compares with the median's).
inline constexpr double pole_face_fit_fraction = 0.05;
inline constexpr double pole_direction_edge_fraction = 0.1;

/// Below this direction_edge_density_ratio() the sample has a density pole on a face of its support.
/// Calibration (session 18, docs/verdicts.md "KL at density poles no column shows"): ... (see there).
inline constexpr double direction_pole_ratio = 0.35;

/// Above this dimension direction_edge_density_ratio() does not run: it is calibrated on d = 2-10
/// (session 18), and its face fits cost O(n d^3) (session 19, on a host: 20,000 x 32 took 6.6 s,
/// 5,000 x 128 70 s, and 50,000 x 512 would take hours, on every KL call that extrapolates in k).
inline constexpr index_t direction_pole_max_dims = 10;

/// The face-fitted edge-density ratio of direction_edge_density_ratio() (steps 2 and 3) on the
/// projections p (n x k) of a whitened sample on k orthonormal directions.
template <class = void>
double faces_edge_density_ratio(const row_matrix<double>& p) {
  const index_t n = p.rows();
  const index_t d = p.cols();
  const index_t fit_rows =
      std::max<index_t>(d + 10, static_cast<index_t>(std::ceil(pole_face_fit_fraction * static_cast<double>(n))));
  row_matrix<double> faces(n, 2 * d);
  row_matrix<double> q(n, d);  // the directions with the one being fitted last, signed so its end is low
  row_matrix<double> ends(fit_rows, d);
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::vector<double> w;
  for (index_t c = 0; c < d; ++c)
    for (int end = 0; end < 2; ++end) {
      const double sign = end == 0 ? 1.0 : -1.0;
      for (index_t i = 0; i < n; ++i) {
        index_t a = 0;
        for (index_t b = 0; b < d; ++b)
          if (b != c) q(i, a++) = p(i, b);
        q(i, d - 1) = sign * p(i, c);
      }
      std::iota(order.begin(), order.end(), index_t{0});
      std::nth_element(order.begin(), order.begin() + fit_rows, order.end(),
                       [&](index_t a, index_t b) { return q(a, d - 1) < q(b, d - 1); });
      for (index_t r = 0; r < fit_rows; ++r) ends.row(r) = q.row(order[static_cast<std::size_t>(r)]);
      const stats::covariance_factor f = stats::covariance_cholesky(ends, stats::all_columns(d));
      const index_t col = 2 * c + end;
      for (index_t i = 0; i < n; ++i) {
        if (f.positive_definite) {
          stats::whiten_row(f, q, i, w);  // its last entry: the residual of the regression, scaled
          faces(i, col) = w[static_cast<std::size_t>(d - 1)];
        } else {
          faces(i, col) = q(i, d - 1);
        }
      }
    }
  return neighbors::edge_density_ratio(faces, pole_direction_edge_fraction);
}

/// The smallest edge-density ratio over the independent-component directions of the sample: a
/// rotation-robust version of neighbors::edge_density_ratio(). A rotated product of independent
/// columns with poles (Gamma(a)^d or Beta(a, 1)^d, a <= 0.5, times a rotation) hides the poles from
/// every column (each column is a sum of d sources, smooth at its ends); session 17's red team found
/// entropy::automatic at status ok with 2.2 times the tolerance there (Gamma(0.5)^4). Steps:
///  1. whiten (stats::whiten_columns(): Cholesky; a rotated isotropic product stays a rotated
///     product, which principal axes do not identify) and find the independent-component
///     directions (stats::independent_directions(): FastICA, which recovers the rotation of
///     independent non-Gaussian sources up to an error ~1/sqrt(n));
///  2. at each end of each direction, fit the face of the support: the projection regressed on the
///     other directions over the pole_face_fit_fraction most extreme rows, and the residual kept
///     (the direction error of step 1, ~0.02-0.05 at n = 1000-5000, spreads a pole's thin layer over
///     ~0.05 sd, which the extreme order statistics of neighbors::edge_density_ratio() then miss);
///  3. neighbors::edge_density_ratio() of the residuals with the wider edge_fraction
///     pole_direction_edge_fraction (10 % of the rows: it averages over what remains of the spread).
/// What it reads (n -> inf): f(median) / mean f over the outer 10 %: 1 for a uniform column, 0.53 for
/// an exponential one, >= 3 for Gaussians and heavier tails; 0.07 for Gamma(0.5), 0.10 for
/// Beta(0.5, 1), 0.21 for Gamma(0.7). Infinity for d < 2 (the columns are the directions),
/// d > direction_pole_max_dims (not calibrated; a rotated pole there is not detected), n < 200, or
/// collinear columns. O(n d^3) (the face fits) plus FastICA on at most 4000 rows.
template <class = void>
double direction_edge_density_ratio(const row_matrix<double>& x) {
  const index_t n = x.rows();
  const index_t d = x.cols();
  constexpr double none = std::numeric_limits<double>::infinity();
  if (d < 2 || d > direction_pole_max_dims || n < 200) return none;
  row_matrix<double> z = x;
  if (!stats::whiten_columns(z, stats::all_columns(d))) return none;
  // Both contrasts: skewness finds one-sided poles (Gamma(a), Beta(a, 1)), log cosh symmetric ones
  // (Beta(a, a)); 2d directions in all.
  const row_matrix<double> w_skew = stats::independent_directions(z, stats::ica_contrast::skewness);
  const row_matrix<double> w_cosh = stats::independent_directions(z, stats::ica_contrast::log_cosh);
  return std::min(faces_edge_density_ratio(stats::project_rows(z, w_skew)),
                  faces_edge_density_ratio(stats::project_rows(z, w_cosh)));
}


/// Whether the sample has a density pole that its columns or its independent-component directions
/// show: neighbors::has_density_pole(), else direction_edge_density_ratio() < direction_pole_ratio.
template <class = void>
bool has_density_pole_any_direction(const row_matrix<double>& x) {
  return neighbors::has_density_pole(x) || direction_edge_density_ratio(x) < direction_pole_ratio;
}

}  // namespace infogeo::entropy
