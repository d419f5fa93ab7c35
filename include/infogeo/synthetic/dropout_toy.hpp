// The Gaussian-dropout toy of Adilova et al. (2023, "Information plane analysis for dropout
// neural networks"): f(X) = 2X + 0.5 with multiplicative N(1, sigma^2) noise, which keeps
// I(X;Z) finite for a deterministic f.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/synthetic/sample.hpp"

namespace infogeo::synthetic {

/// Parameters of the dropout toy. X is uniform on `levels` equally spaced points of [0, 1]
/// (a finite training set, the setting of information-plane analyses), independently per
/// coordinate; Z_j = (slope X_j + intercept) * eps_j, eps_j ~ N(1, sigma^2).
struct dropout_toy_options {
  index_t levels = 8;
  index_t dims = 1;
  double sigma = 0.5;
  double slope = 2.0;
  double intercept = 0.5;
};

/// I(X;Z) in nats = dims * [h(Z_1) - h(Z_1 | X_1)], with h(Z_1 | X_1) = mean_j 1/2 log(2 pi e
/// sigma^2 f_j^2) in closed form and h(Z_1) (a Gaussian mixture) by composite Simpson quadrature
/// on [min_j f_j - 14 sigma |f_j|, max_j f_j + 14 sigma |f_j|] with 200000 panels (tail mass < 1e-40,
/// quadrature error < 1e-9 nats: the integrand is smooth on the scale sigma * min|f_j|).
/// Requires f_j != 0 for every level (else h(Z|X) = -inf and I is infinite), and sigma min_j |f_j|
/// >= 4 grid steps (invalid_argument otherwise: the quadrature would not resolve the components).
inline double dropout_toy_mi(const dropout_toy_options& o) {
  const char* fn = "synthetic::dropout_toy_mi";
  require(o.levels >= 2, fn, "levels must be >= 2 (levels=", o.levels, ")");
  require(o.dims >= 1, fn, "dims must be >= 1 (dims=", o.dims, ")");
  require(std::isfinite(o.sigma) && o.sigma > 0.0, fn, "sigma must be > 0 (sigma=", o.sigma, ")");
  std::vector<double> f(static_cast<std::size_t>(o.levels));
  double lo = INFINITY, hi = -INFINITY, h_cond = 0.0;
  const double m = static_cast<double>(o.levels);
  for (index_t j = 0; j < o.levels; ++j) {
    const double x = static_cast<double>(j) / (m - 1.0);
    const double fj = o.slope * x + o.intercept;
    require(fj != 0.0 && std::isfinite(fj), fn, "f(x) = slope x + intercept must be non-zero at every level (x=", x,
            ", f=", fj, ")");
    f[static_cast<std::size_t>(j)] = fj;
    const double s = o.sigma * std::abs(fj);
    lo = std::min(lo, fj - 14.0 * s);
    hi = std::max(hi, fj + 14.0 * s);
    h_cond += 0.5 * std::log(2.0 * pi * std::exp(1.0) * s * s) / m;
  }
  const int panels = 200000;
  const double step = (hi - lo) / panels;
  // The narrowest component (std sigma min|f_j|) needs a few grid points per std; below that the
  // rule misses or over-counts its peaks (sigma = 1e-6 gave ~12 nats > H(X) = log 8).
  double min_abs_f = INFINITY;
  for (double fj : f) min_abs_f = std::min(min_abs_f, std::abs(fj));
  require(step <= 0.25 * o.sigma * min_abs_f, fn,
          "sigma * min|f(x)| is too small for the quadrature (sigma=", o.sigma, ", min|f|=", min_abs_f,
          ", grid step=", step, "); use sigma * min|f| >= 4 * step");
  double integral = 0.0;
  for (int k = 0; k <= panels; ++k) {
    const double z = lo + step * k;
    double p = 0.0;
    for (double fj : f) {
      const double s = o.sigma * std::abs(fj);
      const double u = (z - fj) / s;
      p += std::exp(-0.5 * u * u) / (s * std::sqrt(2.0 * pi) * m);
    }
    const double term = p > 0.0 ? -p * std::log(p) : 0.0;
    const double w = (k == 0 || k == panels) ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0);
    integral += w * term;
  }
  const double h_z = integral * step / 3.0;
  return static_cast<double>(o.dims) * (h_z - h_cond);
}

/// n samples (X, Z) of the dropout toy; truth dropout_toy_mi(options).
inline mi_sample dropout_toy(index_t n, const dropout_toy_options& o, std::uint64_t seed) {
  require(n >= 1, "synthetic::dropout_toy", "n must be >= 1 (n=", n, ")");
  mi_sample s;
  s.mi = dropout_toy_mi(o);
  s.x.resize(n, o.dims);
  s.y.resize(n, o.dims);
  random_engine rng(seed);
  const double m = static_cast<double>(o.levels);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < o.dims; ++j) {
      const double x = static_cast<double>(rng.uniform_index(static_cast<std::uint64_t>(o.levels))) / (m - 1.0);
      s.x(i, j) = x;
      s.y(i, j) = (o.slope * x + o.intercept) * (1.0 + o.sigma * rng.normal());
    }
  return s;
}

}  // namespace infogeo::synthetic
