// High-dimensional embeddings of low-dimensional latents (Butakov et al. 2024, Secs. 4-5):
// rasterised images of 2-D Gaussian bumps and of rectangles whose parameters are the latent
// vector. The rendering maps are injective and smooth, so I(f(xi); g(eta)) = I(xi; eta).
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

/// Image pairs (x, y) = (render(Phi(xi)), render(Phi(eta))) with (xi, eta) a correlated Gaussian
/// pair of latents (correlated_gaussian, dims 2 or 4 each, total I = mi) and Phi the normal CDF.
/// x, y have size*size columns. Truth: I(x; y) = mi (injective smooth maps preserve MI).
inline mi_sample image_pairs(index_t n, image_kind kind, index_t size, double mi, std::uint64_t seed) {
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
  if (kind == image_kind::gaussian_bump) {
    s.x = render_gaussian_bumps(latent.x, size);
    s.y = render_gaussian_bumps(latent.y, size);
  } else {
    s.x = render_rectangles(latent.x, size);
    s.y = render_rectangles(latent.y, size);
  }
  return s;
}

}  // namespace infogeo::synthetic
