// Smooth invertible maps that leave mutual information unchanged (I(f(X); g(Y)) = I(X; Y) for
// diffeomorphisms f, g; Kraskov et al. 2004 Sec. II; used by Czyz et al. 2023 and Butakov et al.
// 2024 to build hard benchmark tasks with the same truth).
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::synthetic {

/// The MI-preserving maps. All but `spiral` act on each coordinate; `spiral` acts on a whole row.
enum class transform_kind {
  identity,    ///< t
  cube,        ///< t^3 (derivative 0 at t = 0, still a homeomorphism)
  half_cube,   ///< t sqrt|t|
  asinh,       ///< asinh(t)
  exp,         ///< e^t (range (0, inf))
  normal_cdf,  ///< Phi(t) (range (0, 1); invertible in double for |t| < 8)
  sigmoid,     ///< 1 / (1 + e^-t) (range (0, 1); invertible in double for |t| < 36)
  wiggly,      ///< t + 0.4 sin t + 0.1 sin 3t (derivative >= 0.3, strictly increasing)
  spiral,      ///< rotation of coordinate pairs (0,1), (2,3), ... by angle ||v||^2 (norm kept)
};

/// (name, kind) for every transform; names are what the CLI accepts.
inline const std::vector<std::pair<std::string, transform_kind>>& transform_names() {
  static const std::vector<std::pair<std::string, transform_kind>> names{
      {"identity", transform_kind::identity}, {"cube", transform_kind::cube},
      {"half-cube", transform_kind::half_cube}, {"asinh", transform_kind::asinh},
      {"exp", transform_kind::exp}, {"normal-cdf", transform_kind::normal_cdf},
      {"sigmoid", transform_kind::sigmoid}, {"wiggly", transform_kind::wiggly},
      {"spiral", transform_kind::spiral}};
  return names;
}

/// Parses a transform name ("asinh", "half-cube", ...); throws invalid_argument listing the names.
inline transform_kind parse_transform(const std::string& name) {
  std::string known;
  for (const auto& [n, k] : transform_names()) {
    if (n == name) return k;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw_invalid_argument("synthetic::parse_transform", "unknown transform (name=", name, "); known: ", known);
}

/// The CLI name of a transform.
inline std::string transform_name(transform_kind kind) {
  for (const auto& [n, k] : transform_names())
    if (k == kind) return n;
  return "?";
}

/// True for the maps applied coordinate by coordinate.
inline bool is_elementwise(transform_kind kind) { return kind != transform_kind::spiral; }

namespace detail {
inline double normal_cdf(double t) { return 0.5 * std::erfc(-t / std::sqrt(2.0)); }
inline double wiggly(double t) { return t + 0.4 * std::sin(t) + 0.1 * std::sin(3.0 * t); }

/// Inverts a strictly increasing f on [lo, hi] by bisection to full double precision.
template <class F>
double invert_increasing(F f, double u, double lo, double hi) {
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (f(mid) < u) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
}  // namespace detail

/// f(t) for an elementwise transform. Throws invalid_argument for spiral (not elementwise).
inline double transform_forward(transform_kind kind, double t) {
  switch (kind) {
    case transform_kind::identity: return t;
    case transform_kind::cube: return t * t * t;
    case transform_kind::half_cube: return t * std::sqrt(std::abs(t));
    case transform_kind::asinh: return std::asinh(t);
    case transform_kind::exp: return std::exp(t);
    case transform_kind::normal_cdf: return detail::normal_cdf(t);
    case transform_kind::sigmoid: return 1.0 / (1.0 + std::exp(-t));
    case transform_kind::wiggly: return detail::wiggly(t);
    case transform_kind::spiral: break;
  }
  throw_invalid_argument("synthetic::transform_forward", "spiral is not elementwise; use apply_transform");
}

/// f^{-1}(u) for an elementwise transform; throws invalid_argument outside f's range.
inline double transform_inverse(transform_kind kind, double u) {
  const char* fn = "synthetic::transform_inverse";
  switch (kind) {
    case transform_kind::identity: return u;
    case transform_kind::cube: return std::cbrt(u);
    case transform_kind::half_cube: return (u < 0 ? -1.0 : 1.0) * std::pow(std::abs(u), 2.0 / 3.0);
    case transform_kind::asinh: return std::sinh(u);
    case transform_kind::exp:
      require(u > 0.0, fn, "exp inverse needs u > 0 (u=", u, ")");
      return std::log(u);
    case transform_kind::normal_cdf:
      require(u > 0.0 && u < 1.0, fn, "normal-cdf inverse needs u in (0, 1) (u=", u, ")");
      return detail::invert_increasing(detail::normal_cdf, u, -40.0, 40.0);
    case transform_kind::sigmoid:
      require(u > 0.0 && u < 1.0, fn, "sigmoid inverse needs u in (0, 1) (u=", u, ")");
      return std::log(u) - std::log1p(-u);
    case transform_kind::wiggly:
      // |wiggly(t) - t| <= 0.5, so the root lies in [u - 0.5, u + 0.5].
      return detail::invert_increasing(detail::wiggly, u, u - 0.51, u + 0.51);
    case transform_kind::spiral: break;
  }
  throw_invalid_argument(fn, "spiral is not elementwise; use invert_transform");
}

namespace detail {
/// Rotates pairs (0,1), (2,3), ... of row i by angle sign * ||row||^2 (the norm is unchanged, so
/// the inverse uses the same angle with the opposite sign).
template <class = void>
void spiral_rows(row_matrix<double>& m, double sign) {
  for (index_t i = 0; i < m.rows(); ++i) {
    const double angle = sign * m.row(i).squaredNorm();
    const double c = std::cos(angle);
    const double s = std::sin(angle);
    for (index_t j = 0; j + 1 < m.cols(); j += 2) {
      const double a = m(i, j);
      const double b = m(i, j + 1);
      m(i, j) = c * a - s * b;
      m(i, j + 1) = s * a + c * b;
    }
  }
}
}  // namespace detail

/// Applies the transform to every row of `m` in place (elementwise, or the spiral per row).
template <class = void>
void apply_transform(row_matrix<double>& m, transform_kind kind) {
  if (kind == transform_kind::identity) return;
  if (kind == transform_kind::spiral) return detail::spiral_rows(m, 1.0);
  for (index_t i = 0; i < m.rows(); ++i)
    for (index_t j = 0; j < m.cols(); ++j) m(i, j) = transform_forward(kind, m(i, j));
}

/// Undoes apply_transform in place (round trip exact up to rounding inside the stated domains).
template <class = void>
void invert_transform(row_matrix<double>& m, transform_kind kind) {
  if (kind == transform_kind::identity) return;
  if (kind == transform_kind::spiral) return detail::spiral_rows(m, -1.0);
  for (index_t i = 0; i < m.rows(); ++i)
    for (index_t j = 0; j < m.cols(); ++j) m(i, j) = transform_inverse(kind, m(i, j));
}

}  // namespace infogeo::synthetic
