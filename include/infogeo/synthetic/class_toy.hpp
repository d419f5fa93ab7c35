// The class-conditional Gaussian toy model of "Geometric and information compression of
// representations in deep learning" (App. D): exact I(X;Z|Y) for a noisy encoder.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::synthetic {

/// Parameters of the class toy (defaults: 2-D, the paper's plotted case).
struct class_toy_options {
  index_t classes = 10;  ///< C, labels uniform on 0..C-1
  index_t dims = 2;      ///< d
  double sigma_z = 1.0;  ///< within-class spread of the encoder output X | Y ~ N(mu_y, sigma_z^2 I)
  double sigma_n = 0.5;  ///< noise std: Z = X + N(0, sigma_n^2 I)
};

/// Samples of the class toy: centroids mu_y ~ N(0, I_d), X | Y ~ N(mu_y, sigma_z^2 I),
/// Z = X + sigma_n eps.
struct class_toy_sample {
  row_matrix<double> x;               ///< N x d noise-free encoder output
  row_matrix<double> z;               ///< N x d noisy representation
  std::vector<std::int64_t> labels;   ///< N labels
  row_matrix<double> centroids;       ///< C x d class centroids mu_y
  double conditional_mi = 0.0;        ///< I(X;Z|Y) in nats
};

/// I(X;Z|Y) = d/2 log(1 + sigma_z^2 / sigma_n^2): given Y the pair is Gaussian with per-coordinate
/// correlation^2 = sigma_z^2 / (sigma_z^2 + sigma_n^2) (the 2-D case gives log(1 + sigma_z^2/sigma_n^2)).
inline double class_toy_conditional_mi(index_t dims, double sigma_z, double sigma_n) {
  require(dims >= 1, "synthetic::class_toy_conditional_mi", "dims must be >= 1 (dims=", dims, ")");
  require(std::isfinite(sigma_z) && sigma_z > 0.0 && std::isfinite(sigma_n) && sigma_n > 0.0,
          "synthetic::class_toy_conditional_mi", "sigma_z and sigma_n must be > 0 (sigma_z=", sigma_z,
          ", sigma_n=", sigma_n, ")");
  return 0.5 * static_cast<double>(dims) * std::log1p(sigma_z * sigma_z / (sigma_n * sigma_n));
}

/// n samples of the class toy (seeded). Truth: class_toy_conditional_mi(dims, sigma_z, sigma_n).
inline class_toy_sample class_toy(index_t n, const class_toy_options& options, std::uint64_t seed) {
  const char* fn = "synthetic::class_toy";
  require(n >= 1, fn, "n must be >= 1 (n=", n, ")");
  require(options.classes >= 1, fn, "classes must be >= 1 (classes=", options.classes, ")");
  class_toy_sample s;
  s.conditional_mi = class_toy_conditional_mi(options.dims, options.sigma_z, options.sigma_n);
  const index_t d = options.dims;
  random_engine rng(seed);
  s.centroids.resize(options.classes, d);
  for (index_t c = 0; c < options.classes; ++c)
    for (index_t j = 0; j < d; ++j) s.centroids(c, j) = rng.normal();
  s.x.resize(n, d);
  s.z.resize(n, d);
  s.labels.resize(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const auto y = static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(options.classes)));
    s.labels[static_cast<std::size_t>(i)] = y;
    for (index_t j = 0; j < d; ++j) {
      s.x(i, j) = s.centroids(y, j) + options.sigma_z * rng.normal();
      s.z(i, j) = s.x(i, j) + options.sigma_n * rng.normal();
    }
  }
  return s;
}

}  // namespace infogeo::synthetic
