// High-dimensional embeddings of low-dimensional latents (Butakov et al., ICLR 2024, "Information
// bottleneck analysis of deep neural networks via lossy compression", Sec. 5, Algorithm 1, Figs. 3-4):
// rasterised images of 2-D Gaussian bumps and of rectangles whose parameters are the latent vector.
// The rendering maps are injective and smooth, so I(f(xi); g(eta)) = I(xi; eta) (their Statement 1).
// Two mappings (image_mapping): infogeo's own (default) and the authors' (their paper defines the maps
// only through their published code: "we refer to the source code"; our reading of it is documented
// at each renderer), so that estimates can be overlaid on their curves.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/synthetic/gaussian_mi.hpp"
#include "infogeo/synthetic/sample.hpp"
#include "infogeo/synthetic/transforms.hpp"

namespace infogeo::synthetic {

/// What the images show.
enum class image_kind {
  gaussian_bump,  ///< latent (2-D) -> centre of an isotropic Gaussian bump
  rectangle,      ///< latent (4-D) -> centre x, centre y, half-width, half-height of a rectangle
};

/// Which latent-to-image maps are used.
enum class image_mapping {
  infogeo,  ///< render_gaussian_bumps / render_rectangles (default)
  authors   ///< render_gaussian_bumps_authors / render_rectangles_authors (Butakov et al.'s code)
};

/// Latent dimension needed by an image kind (2 or 4).
inline index_t image_latent_dims(image_kind kind) { return kind == image_kind::gaussian_bump ? 2 : 4; }

/// Renders `latent` (N x 2, entries in (0, 1)) as N size x size images of Gaussian bumps
/// (row-major pixels): pixel (r, c) = exp(-((c + 0.5 - cx)^2 + (r + 0.5 - cy)^2) / (2 w^2)) with
/// centre (cx, cy) = size * (0.2 + 0.6 u) and width w = size / 8. Injective in the centre.
template <class = void>
row_matrix<double> render_gaussian_bumps(const row_matrix<double>& latent, index_t size) {
  const char* fn = "synthetic::render_gaussian_bumps";
  require(latent.cols() == 2, fn, "latent must have 2 columns (cols=", latent.cols(), ")");
  require(size >= 4, fn, "size must be >= 4 (size=", size, ")");
  const double s = static_cast<double>(size);
  const double w = s / 8.0;
  row_matrix<double> out(latent.rows(), size * size);
  for (index_t i = 0; i < latent.rows(); ++i) {
    require(latent(i, 0) > 0.0 && latent(i, 0) < 1.0 && latent(i, 1) > 0.0 && latent(i, 1) < 1.0, fn,
            "latent entries must be in (0, 1) (row=", i, ")");
    const double cx = s * (0.2 + 0.6 * latent(i, 0));
    const double cy = s * (0.2 + 0.6 * latent(i, 1));
    for (index_t r = 0; r < size; ++r)
      for (index_t c = 0; c < size; ++c) {
        const double dx = static_cast<double>(c) + 0.5 - cx;
        const double dy = static_cast<double>(r) + 0.5 - cy;
        out(i, r * size + c) = std::exp(-(dx * dx + dy * dy) / (2.0 * w * w));
      }
  }
  return out;
}

/// Renders `latent` (N x 4, entries in (0, 1)) as anti-aliased rectangles: pixel value = area of
/// the pixel covered by [cx - a, cx + a] x [cy - b, cy + b], with cx, cy = size * (0.25 + 0.5 u),
/// a, b = size * (0.05 + 0.2 u). Edges stay strictly inside the image, so the (continuous,
/// piecewise-linear) coverage map is injective in the four parameters.
template <class = void>
row_matrix<double> render_rectangles(const row_matrix<double>& latent, index_t size) {
  const char* fn = "synthetic::render_rectangles";
  require(latent.cols() == 4, fn, "latent must have 4 columns (cols=", latent.cols(), ")");
  require(size >= 4, fn, "size must be >= 4 (size=", size, ")");
  const double s = static_cast<double>(size);
  auto overlap = [](double a0, double a1, double p) {  // length of [a0, a1] within [p, p + 1]
    return std::max(0.0, std::min(a1, p + 1.0) - std::max(a0, p));
  };
  row_matrix<double> out(latent.rows(), size * size);
  for (index_t i = 0; i < latent.rows(); ++i) {
    for (index_t j = 0; j < 4; ++j)
      require(latent(i, j) > 0.0 && latent(i, j) < 1.0, fn, "latent entries must be in (0, 1) (row=", i,
              ", col=", j, ", value=", latent(i, j), ")");
    const double cx = s * (0.25 + 0.5 * latent(i, 0));
    const double cy = s * (0.25 + 0.5 * latent(i, 1));
    const double a = s * (0.05 + 0.2 * latent(i, 2));
    const double b = s * (0.05 + 0.2 * latent(i, 3));
    for (index_t r = 0; r < size; ++r) {
      const double oy = overlap(cy - b, cy + b, static_cast<double>(r));
      for (index_t c = 0; c < size; ++c) out(i, r * size + c) = oy * overlap(cx - a, cx + a, static_cast<double>(c));
    }
  }
  return out;
}

/// The authors' bump (Butakov et al. 2024, Sec. 5, Fig. 3; our reading of their code): latent
/// u in (0, 1)^2 (Phi of the Gaussian latent, so uniform on the unit square) is the centre; pixel
/// (r, c) sits at p = (c / (size - 1), r / (size - 1)) on the unit square and has value
/// exp(-10 |u - p|^2). The width 1/sqrt(20) ~ 0.22 spans several pixels, so the map is injective.
template <class = void>
row_matrix<double> render_gaussian_bumps_authors(const row_matrix<double>& latent, index_t size) {
  const char* fn = "synthetic::render_gaussian_bumps_authors";
  require(latent.cols() == 2, fn, "latent must have 2 columns (cols=", latent.cols(), ")");
  require(size >= 4, fn, "size must be >= 4 (size=", size, ")");
  const double step = 1.0 / static_cast<double>(size - 1);
  row_matrix<double> out(latent.rows(), size * size);
  for (index_t i = 0; i < latent.rows(); ++i) {
    require(latent(i, 0) >= 0.0 && latent(i, 0) <= 1.0 && latent(i, 1) >= 0.0 && latent(i, 1) <= 1.0, fn,
            "latent entries must be in [0, 1] (row=", i, ")");
    for (index_t r = 0; r < size; ++r)
      for (index_t c = 0; c < size; ++c) {
        const double dx = latent(i, 0) - step * static_cast<double>(c);
        const double dy = latent(i, 1) - step * static_cast<double>(r);
        out(i, r * size + c) = std::exp(-10.0 * (dx * dx + dy * dy));
      }
  }
  return out;
}

/// The corners of the authors' rectangles (Butakov et al. 2024, Sec. 5, Fig. 4; our reading of their
/// code): each axis takes two uniform latents (a, b) in (0, 1) to a segment [lo, hi] of [0, 1] that is
/// uniform on the triangle {lo + m <= hi <= 1}: lo = (1 - m)(1 - sqrt(1 - a)), hi = lo + m + b (1 - lo -
/// m). Columns 0-1 of `latent` give the x segment, 2-3 the y segment. Returns N x 4 (x_lo, x_hi, y_lo,
/// y_hi). A smooth bijection of (0, 1)^2 onto the triangle per axis.
template <class = void>
row_matrix<double> rectangle_corners_authors(const row_matrix<double>& latent, double min_size) {
  const char* fn = "synthetic::rectangle_corners_authors";
  require(latent.cols() == 4, fn, "latent must have 4 columns (cols=", latent.cols(), ")");
  require(std::isfinite(min_size) && min_size >= 0.0 && min_size < 1.0, fn, "min_size must be in [0, 1) (min_size=",
          min_size, ")");
  row_matrix<double> out(latent.rows(), 4);
  for (index_t i = 0; i < latent.rows(); ++i)
    for (index_t axis = 0; axis < 2; ++axis) {
      const double a = latent(i, 2 * axis), b = latent(i, 2 * axis + 1);
      require(a >= 0.0 && a <= 1.0 && b >= 0.0 && b <= 1.0, fn, "latent entries must be in [0, 1] (row=", i, ")");
      const double lo = (1.0 - min_size) * (1.0 - std::sqrt(1.0 - a));
      out(i, 2 * axis) = lo;
      out(i, 2 * axis + 1) = lo + min_size + b * (1.0 - lo - min_size);
    }
  return out;
}

/// The authors' rectangles rasterised: corners from rectangle_corners_authors with a minimum side of
/// 2 pixels (min_size = 2 / size), then pixel value = area of the pixel (side 1/size, scaled to 1)
/// covered by [x_lo, x_hi] x [y_lo, y_hi]. Why 2 pixels: a side shorter than 2 pixels may cover no
/// full pixel column (row), and a rectangle with neither has a product image c_x(col) c_y(row) that
/// is unchanged by c_x -> t c_x, c_y -> c_y / t: not injective, so I(images) < I(latents). With a side
/// >= 2 pixels a full column fixes c_y and then c_x, so the map is injective. (The authors' code
/// exposes the minimum side as a parameter.)
template <class = void>
row_matrix<double> render_rectangles_authors(const row_matrix<double>& latent, index_t size) {
  const char* fn = "synthetic::render_rectangles_authors";
  require(size >= 4, fn, "size must be >= 4 (size=", size, ")");
  const double s = static_cast<double>(size);
  const row_matrix<double> corners = rectangle_corners_authors(latent, 2.0 / s);
  auto overlap = [](double a0, double a1, double p) {  // length of [a0, a1] within [p, p + 1]
    return std::max(0.0, std::min(a1, p + 1.0) - std::max(a0, p));
  };
  row_matrix<double> out(latent.rows(), size * size);
  for (index_t i = 0; i < latent.rows(); ++i) {
    const double x0 = s * corners(i, 0), x1 = s * corners(i, 1), y0 = s * corners(i, 2), y1 = s * corners(i, 3);
    for (index_t r = 0; r < size; ++r) {
      const double oy = overlap(y0, y1, static_cast<double>(r));
      for (index_t c = 0; c < size; ++c) out(i, r * size + c) = oy * overlap(x0, x1, static_cast<double>(c));
    }
  }
  return out;
}

/// Image pairs (x, y) = (render(Phi(xi)), render(Phi(eta))) with (xi, eta) a correlated Gaussian
/// pair of latents (correlated_gaussian, dims 2 or 4 each, total I = mi) and Phi the normal CDF.
/// x, y have size*size columns. Truth: I(x; y) = mi (injective smooth maps preserve MI).
/// `mapping` picks the renderers (image_mapping); the truth is the same for both.
inline mi_sample image_pairs(index_t n, image_kind kind, index_t size, double mi, std::uint64_t seed,
                             image_mapping mapping = image_mapping::infogeo) {
  const index_t k = image_latent_dims(kind);
  mi_sample latent = correlated_gaussian(n, k, k, mi, seed);
  apply_transform(latent.x, transform_kind::normal_cdf);
  apply_transform(latent.y, transform_kind::normal_cdf);
  // Phi saturates to exactly 0 or 1 in double only for |t| > 8 (probability < 1e-15 per entry);
  // clamp so that the renderer's open-interval check never fires on such a draw.
  const double eps = 1e-15;
  latent.x = latent.x.cwiseMax(eps).cwiseMin(1.0 - eps);
  latent.y = latent.y.cwiseMax(eps).cwiseMin(1.0 - eps);
  mi_sample s;
  s.mi = latent.mi;
  if (mapping == image_mapping::authors) {
    s.x = kind == image_kind::gaussian_bump ? render_gaussian_bumps_authors(latent.x, size)
                                           : render_rectangles_authors(latent.x, size);
    s.y = kind == image_kind::gaussian_bump ? render_gaussian_bumps_authors(latent.y, size)
                                           : render_rectangles_authors(latent.y, size);
  } else if (kind == image_kind::gaussian_bump) {
    s.x = render_gaussian_bumps(latent.x, size);
    s.y = render_gaussian_bumps(latent.y, size);
  } else {
    s.x = render_rectangles(latent.x, size);
    s.y = render_rectangles(latent.y, size);
  }
  return s;
}

}  // namespace infogeo::synthetic
