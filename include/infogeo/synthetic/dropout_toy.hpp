// Two Gaussian-dropout toys with f(X) = 2X + 0.5 and multiplicative noise D ~ N(1, sigma^2), which
// keeps I(X;Z) finite for a deterministic f:
//  * gaussian_dropout_toy: the toy of Adilova, Geiger & Fischer (ICLR 2023, "Information plane
//    analysis for dropout neural networks", Sec. 4, Figs. 2-4): X ~ N(0, I_n), Z = f(X) * D
//    coordinatewise. Truth by quadrature per coordinate, summed over the n independent coordinates.
//  * dropout_toy (the "levels" variant): X uniform on `levels` points of [0, 1] per coordinate (a
//    finite training set); truth = h(Z) of a finite Gaussian mixture minus h(Z|X) in closed form.
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

/// Parameters of the levels variant of the dropout toy. X is uniform on `levels` equally spaced points of [0, 1]
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

/// Parameters of the Gaussian-dropout toy of Adilova et al. (2023, Sec. 4): X ~ N(0, I_dims),
/// Z_j = (slope X_j + intercept) * D_j, D_j ~ N(1, sigma^2) independent of X.
struct gaussian_dropout_toy_options {
  index_t dims = 1;        ///< n, the dimension of X and Z
  double sigma = 0.5;      ///< dropout noise std (variance sigma^2)
  double slope = 2.0;
  double intercept = 0.5;
};

/// I(X;Z) in nats of the Gaussian-dropout toy (Adilova et al. 2023, Sec. 4): the coordinates are
/// independent, so I = dims * I_1 with I_1 = I(F;Z) for one coordinate, F = slope X + intercept ~
/// N(intercept, slope^2), Z = F W, W ~ N(1, sigma^2). With S = sign(Z), Y = log|Z| = log|F| + log|W|
/// and p_Z(z) = p_{S,Y}(s, log|z|) / |z|:
///   h(Z) = H(S, Y) + E log|Z|,   h(Z|F) = log(sigma sqrt(2 pi e)) + E log|F|   (their Sec. 4),
///   I_1 = H(S, Y) + E log|W| - log(sigma sqrt(2 pi e))                         (E log|F| cancels).
/// p_{S,Y}(s, .) = sum over sign pairs of the convolution of the densities of log|F| and log|W| on each
/// sign, computed on a uniform log grid (step min(sigma/16, 1/64); log|F| on [-36, log(|mu| + 12 s_F)],
/// log|W| on [log(1 - 12 sigma), log(1 + 12 sigma)] for sigma < 1/12, else [-36, log(1 + 12 sigma)] on
/// both signs). In log coordinates the integrands are smooth and decay on both sides (the log
/// singularity of p_Z at z = 0 becomes |y| e^y), so the rectangle rule converges geometrically; the
/// truncated mass is < 1e-14. Agrees to 2e-12 nats with an independent z-space computation and to
/// O(sigma^2) with the small-sigma limit (tests/test_synthetic.cpp). The total mass of the grid density is checked
/// (numerical_error if it is off by more than 1e-8). Cost O((36/h) * (range_W/h)): ~0.1 s at sigma = 0.1.
/// Requires sigma in [1e-3, 100], slope != 0, all finite, dims in [1, 1e6].
inline void check_gaussian_dropout_toy_options(const gaussian_dropout_toy_options& o, const char* fn) {
  require(o.dims >= 1 && o.dims <= 1000000, fn, "dims must be in [1, 1e6] (dims=", o.dims, ")");
  require(std::isfinite(o.sigma) && o.sigma >= 1e-3 && o.sigma <= 100.0, fn,
          "sigma must be in [1e-3, 100] (sigma=", o.sigma, ")");
  require(std::isfinite(o.slope) && o.slope != 0.0 && std::isfinite(o.intercept), fn,
          "slope must be finite and non-zero, intercept finite (slope=", o.slope, ", intercept=", o.intercept, ")");
}

template <class = void>
double gaussian_dropout_toy_mi(const gaussian_dropout_toy_options& o) {
  const char* fn = "synthetic::gaussian_dropout_toy_mi";
  check_gaussian_dropout_toy_options(o, fn);
  const double mu = o.intercept, sf = std::abs(o.slope), sigma = o.sigma;
  const double h = std::min(sigma / 16.0, 1.0 / 64.0);
  const double lower = -36.0;
  // Densities of log|V| on the sign s: g(u) = p_V(s e^u) e^u.
  auto normal_pdf = [](double v, double m, double sd) {
    const double t = (v - m) / sd;
    return std::exp(-0.5 * t * t) / (sd * std::sqrt(2.0 * pi));
  };
  const double u_hi = std::log(std::abs(mu) + 12.0 * sf);
  const auto nf = static_cast<std::size_t>(std::ceil((u_hi - lower) / h)) + 1;
  std::vector<double> gf_pos(nf), gf_neg(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    const double e = std::exp(lower + h * static_cast<double>(i));
    gf_pos[i] = normal_pdf(e, mu, sf) * e;
    gf_neg[i] = normal_pdf(-e, mu, sf) * e;
  }
  const bool w_positive_only = 12.0 * sigma < 1.0;
  const double v_hi = std::log(1.0 + 12.0 * sigma);
  // Align the W grid to multiples of h from `lower` so that u + v falls on one grid.
  const double v_lo_raw = w_positive_only ? std::log(1.0 - 12.0 * sigma) : lower;
  const double v_lo = lower + h * std::floor((v_lo_raw - lower) / h);
  const auto nw = static_cast<std::size_t>(std::ceil((v_hi - v_lo) / h)) + 1;
  std::vector<double> gw_pos(nw), gw_neg(nw);
  double e_log_w = 0.0;
  for (std::size_t k = 0; k < nw; ++k) {
    const double v = v_lo + h * static_cast<double>(k);
    const double e = std::exp(v);
    gw_pos[k] = normal_pdf(e, 1.0, sigma) * e;
    gw_neg[k] = w_positive_only ? 0.0 : normal_pdf(-e, 1.0, sigma) * e;
    e_log_w += h * v * (gw_pos[k] + gw_neg[k]);
  }
  // p(S = +, y) = (gF+ * gW+) + (gF- * gW-),  p(S = -, y) = (gF+ * gW-) + (gF- * gW+).
  const std::size_t ny = nf + nw - 1;
  std::vector<double> p_pos(ny, 0.0), p_neg(ny, 0.0);
  for (std::size_t i = 0; i < nf; ++i) {
    const double a = gf_pos[i], b = gf_neg[i];
    double* pp = p_pos.data() + i;
    double* pn = p_neg.data() + i;
    if (w_positive_only) {
      for (std::size_t k = 0; k < nw; ++k) {
        pp[k] += a * gw_pos[k];
        pn[k] += b * gw_pos[k];
      }
    } else {
      for (std::size_t k = 0; k < nw; ++k) {
        pp[k] += a * gw_pos[k] + b * gw_neg[k];
        pn[k] += a * gw_neg[k] + b * gw_pos[k];
      }
    }
  }
  double mass = 0.0, h_sy = 0.0;
  for (std::size_t m = 0; m < ny; ++m)
    for (double q : {p_pos[m] * h, p_neg[m] * h}) {
      mass += h * q;
      if (q > 0.0) h_sy -= h * q * std::log(q);
    }
  if (!(std::abs(mass - 1.0) < 1e-8))
    throw_numerical_error(fn, "the quadrature grid lost probability mass (mass=", mass, ", sigma=", sigma, ")");
  const double i1 = h_sy + e_log_w - std::log(sigma * std::sqrt(2.0 * pi * std::exp(1.0)));
  return static_cast<double>(o.dims) * i1;
}

/// The sampler of gaussian_dropout_toy alone (s.mi left 0), for callers that already hold the
/// truth (its quadrature costs 0.05-1.4 s): the same draws as gaussian_dropout_toy for the same seed.
inline mi_sample gaussian_dropout_toy_draw(index_t n, const gaussian_dropout_toy_options& o, std::uint64_t seed) {
  const char* fn = "synthetic::gaussian_dropout_toy";
  require(n >= 1, fn, "n must be >= 1 (n=", n, ")");
  check_gaussian_dropout_toy_options(o, fn);
  mi_sample s;
  s.x.resize(n, o.dims);
  s.y.resize(n, o.dims);
  random_engine rng(seed);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < o.dims; ++j) {
      const double x = rng.normal();
      s.x(i, j) = x;
      s.y(i, j) = (o.slope * x + o.intercept) * (1.0 + o.sigma * rng.normal());
    }
  return s;
}

/// n samples (X, Z) of the Gaussian-dropout toy, X ~ N(0, I_dims), Z = (slope X + intercept) * D,
/// D_j ~ N(1, sigma^2); s.mi = gaussian_dropout_toy_mi(o). The clean representation f(X) is
/// slope * s.x + intercept (dropout_toy_clean).
inline mi_sample gaussian_dropout_toy(index_t n, const gaussian_dropout_toy_options& o, std::uint64_t seed) {
  const double truth = gaussian_dropout_toy_mi(o);
  mi_sample s = gaussian_dropout_toy_draw(n, o, seed);
  s.mi = truth;
  return s;
}

/// The noise-free representation f(x) = slope x + intercept of toy inputs x (for estimators that take
/// the clean layer and the noise level, e.g. mi::noisy_mutual_information).
inline row_matrix<double> dropout_toy_clean(const row_matrix<double>& x, double slope = 2.0, double intercept = 0.5) {
  return (slope * x.array() + intercept).matrix();
}

}  // namespace infogeo::synthetic
