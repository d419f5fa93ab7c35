// Tests for entropy/noisy_mixture.hpp, mi/binning.hpp and mi/compressed.hpp.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <vector>

#include "infogeo/core.hpp"
#include "infogeo/entropy/kde.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/compressed.hpp"

using namespace infogeo;

namespace {

// ---- numerical quadrature (reference only): adaptive Gauss-Legendre bisection ----------------
struct gauss_legendre {
  std::vector<double> x, w;
  explicit gauss_legendre(int n) {  // nodes by Newton on P_n
    x.resize(static_cast<std::size_t>(n));
    w.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      double z = std::cos(pi * (i + 0.75) / (n + 0.5));
      double dp = 0.0;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1.0, p1 = z;
        for (int k = 2; k <= n; ++k) {
          const double p2 = ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = n * (z * p1 - p0) / (z * z - 1.0);
        const double dz = p1 / dp;
        z -= dz;
        if (std::abs(dz) < 1e-16) break;
      }
      x[static_cast<std::size_t>(i)] = z;
      w[static_cast<std::size_t>(i)] = 2.0 / ((1.0 - z * z) * dp * dp);
    }
  }
  double rule(const std::function<double(double)>& f, double a, double b) const {
    const double c = 0.5 * (a + b), h = 0.5 * (b - a);
    double s = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) s += w[i] * f(c + h * x[i]);
    return s * h;
  }
  // tol is halved per level but never below min_tol (the noise floor of f), so the recursion
  // stays local around singular points instead of branching everywhere.
  double adaptive(const std::function<double(double)>& f, double a, double b, double tol,
                  double min_tol, int depth = 0) const {
    const double whole = rule(f, a, b);
    const double m = 0.5 * (a + b);
    const double halves = rule(f, a, m) + rule(f, m, b);
    // absolute tolerance with a relative floor (rounding), so the recursion stays local
    if (std::abs(whole - halves) <= std::max(tol, 1e-13 * std::abs(halves)) || depth >= 30)
      return halves;
    const double t = std::max(0.5 * tol, min_tol);
    return adaptive(f, a, m, t, min_tol, depth + 1) + adaptive(f, m, b, t, min_tol, depth + 1);
  }
  double over(const std::function<double(double)>& f, std::vector<double> breaks, double tol,
              double min_tol = 1e-15) const {
    std::sort(breaks.begin(), breaks.end());
    double s = 0.0;
    for (std::size_t i = 0; i + 1 < breaks.size(); ++i)
      if (breaks[i + 1] > breaks[i]) s += adaptive(f, breaks[i], breaks[i + 1], tol, min_tol);
    return s;
  }
};

double normal_pdf(double z, double mean, double sd) {
  const double u = (z - mean) / sd;
  return std::exp(-0.5 * u * u) / (std::sqrt(2.0 * pi) * sd);
}

// Standard normal quantile by bisection on erfc (reference use only).
double normal_quantile(double p) {
  double lo = -12.0, hi = 12.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// The dropout toy of Adilova et al. 2023: x_j at the N normal quantiles, f = 2x + 0.5.
row_matrix<double> dropout_toy_centres(int n) {
  row_matrix<double> f(n, 1);
  for (int j = 0; j < n; ++j) f(j, 0) = 2.0 * normal_quantile((j + 0.5) / n) + 0.5;
  return f;
}

}  // namespace

TEST_CASE("noisy: h(Z|X) closed forms are exact") {
  row_matrix<double> f(3, 2);
  f << 1.0, -2.0, 0.5, 3.0, -0.25, 4.0;
  entropy::noisy_options o;
  o.sigma = 0.3;
  const double e = std::exp(1.0);
  // Additive: D/2 log(2 pi e sigma^2), independent of f.
  o.noise = entropy::noise_kind::additive;
  CHECK(std::abs(entropy::noisy_conditional_entropy(f, o).value -
                 std::log(2.0 * pi * e * 0.09)) < 1e-13);
  // Dropout: mean_j sum_i log(|f_ji| sigma sqrt(2 pi e)).
  o.noise = entropy::noise_kind::dropout;
  double ref = 0.0;
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 2; ++i) ref += std::log(std::abs(f(j, i)) * 0.3 * std::sqrt(2.0 * pi * e));
  ref /= 3.0;
  CHECK(std::abs(entropy::noisy_conditional_entropy(f, o).value - ref) < 1e-13);
  // float input gives the same number (accumulation in double; values exactly representable).
  const row_matrix<float> ff = f.cast<float>();
  CHECK(std::abs(entropy::noisy_conditional_entropy(ff, o).value - ref) < 1e-6);
}

TEST_CASE("noisy: well-separated mixture entropy is log M + component entropy within 1e-3") {
  // Centres 100 sigma apart: overlap terms ~ exp(-1250) are far below rounding, so the exact
  // h(Z) = log M + 1/2 log(2 pi e sigma^2). The only error is Monte Carlo: the per-sample term
  // is const + eps^2/2 with variance 1/2, so with N K = 4 x 1.5e6 draws SE = 2.9e-4 and the
  // 1e-3 tolerance is 3.4 SE (seed 11 fixed; the SE is also checked).
  row_matrix<double> f(4, 1);
  f << 0.0, 100.0, 200.0, 300.0;
  entropy::noisy_options o;
  o.noise = entropy::noise_kind::additive;
  o.sigma = 1.0;
  o.draws = 1500000;
  o.seed = 11;
  const auto h = entropy::noisy_entropy(f, o);
  const double truth = std::log(4.0) + 0.5 * std::log(2.0 * pi * std::exp(1.0));
  INFO("h=" << h.value << " truth=" << truth << " se=" << *h.std_error);
  CHECK(*h.std_error < 3.5e-4);
  CHECK(std::abs(h.value - truth) < 1e-3);
  o.draws = 20000;  // I(X;Z) = H(X) = log M when separable; SE ~ 3.5e-3 here
  const auto i = mi::noisy_mutual_information(f, o);
  CHECK(std::abs(i.value - std::log(4.0)) < 5.0 * *i.std_error);
  CHECK(std::abs(i.details.at("log_n_ceiling") - std::log(4.0)) < 1e-15);
  // Dropout, components of widths sigma |f| = 0.01, 1, 100 around 1, 100, 1e4: separated
  // (relative distances >= 99 widths). h = log 3 + mean_j log(|f_j| sigma sqrt(2 pi e)).
  row_matrix<double> g(3, 1);
  g << 1.0, 100.0, 10000.0;
  o.noise = entropy::noise_kind::dropout;
  o.sigma = 0.01;
  o.draws = 200000;
  const auto hd = entropy::noisy_entropy(g, o);
  const double truth_d = std::log(3.0) + entropy::noisy_conditional_entropy(g, o).value;
  INFO("dropout h=" << hd.value << " truth=" << truth_d << " se=" << *hd.std_error);
  CHECK(std::abs(hd.value - truth_d) < 5.0 * *hd.std_error);
}

TEST_CASE("noisy: dropout toy of Adilova et al. against numerical quadrature") {
  const gauss_legendre gl(20);
  for (const double sigma2 : {0.1, 0.4}) {
    const double sigma = std::sqrt(sigma2);  // sigma is the noise STANDARD DEVIATION
    entropy::noisy_options o;
    o.noise = entropy::noise_kind::dropout;
    o.sigma = sigma;
    o.seed = 3;
    // (a) Monte Carlo vs the exact entropy of the same N-component mixture (1-D quadrature with
    //     break points at every centre +- c widths): only Monte-Carlo error, tolerance 4 SE.
    {
      const int n = 150;
      const auto f = dropout_toy_centres(n);
      auto p = [&](double z) {
        double s = 0.0;
        for (int j = 0; j < n; ++j) s += normal_pdf(z, f(j, 0), sigma * std::abs(f(j, 0)));
        return s / n;
      };
      std::vector<double> breaks;
      for (int j = 0; j < n; ++j)
        for (int c = -10; c <= 10; ++c) breaks.push_back(f(j, 0) + c * sigma * std::abs(f(j, 0)));
      const double h_exact = gl.over(
          [&](double z) {
            const double v = p(z);
            return v > 0.0 ? -v * std::log(v) : 0.0;
          },
          breaks, 1e-10);
      o.draws = 400;
      const auto h = entropy::noisy_entropy(f, o);
      INFO("sigma^2=" << sigma2 << " h_mc=" << h.value << " h_quadrature=" << h_exact
                      << " se=" << *h.std_error);
      CHECK(*h.std_error < 0.01);
      CHECK(std::abs(h.value - h_exact) < 4.0 * *h.std_error);
    }
    // (b) I(X;Z) for continuous X ~ N(0,1) by double quadrature:
    //     p(z) = int phi(x) N(z; f(x), sigma^2 f(x)^2) dx,  h(Z|X) = E log(|f(X)| sigma sqrt(2 pi e)).
    {
      auto pz = [&](double z) {
        auto integrand = [&](double x) {
          const double fx = 2.0 * x + 0.5;
          if (fx == 0.0) return 0.0;
          return normal_pdf(x, 0.0, 1.0) * normal_pdf(z, fx, sigma * std::abs(fx));
        };
        std::vector<double> br{-12.0, -0.25, 12.0};
        for (int c = -8; c <= 8; ++c) br.push_back((z * (1.0 + c * sigma / 4.0) - 0.5) / 2.0);
        for (auto& b : br) b = std::min(12.0, std::max(-12.0, b));
        return gl.over(integrand, br, 1e-11);
      };
      std::vector<double> zbreaks{-40.0, -10.0, -3.0, -1.0, -0.1, -1e-3, 0.0, 1e-3, 0.1, 1.0, 3.0, 10.0, 40.0};
      const double hz = gl.over(
          [&](double z) {
            const double v = pz(z);
            return v > 0.0 ? -v * std::log(v) : 0.0;
          },
          zbreaks, 1e-7, 1e-9);  // inner integrals are accurate to ~1e-11: h_Z to ~1e-6
      const double e_log_abs = gl.over(
          [&](double x) { return normal_pdf(x, 0.0, 1.0) * std::log(std::abs(2.0 * x + 0.5)); },
          {-12.0, -0.25, 12.0}, 1e-12);
      const double hzx = std::log(sigma * std::sqrt(2.0 * pi * std::exp(1.0))) + e_log_abs;
      // the series in expected_log_abs_normal agrees with the quadrature
      CHECK(std::abs(entropy::expected_log_abs_normal(0.5, 2.0) - e_log_abs) < 1e-8);
      const double truth = hz - hzx;
      const auto f = dropout_toy_centres(1500);
      o.draws = 10;
      const auto est = mi::noisy_mutual_information(f, o);
      INFO("sigma^2=" << sigma2 << " I_est=" << est.value << " I_quadrature=" << truth
                      << " h_z=" << hz << " h_z|x=" << hzx << " se=" << *est.std_error);
      // 1500 quantile centres approximate the continuous X; measured gap + MC error < 0.03.
      CHECK(std::abs(est.value - truth) < 0.03);
      CHECK(std::abs(est.details.at("h_z_given_x") - hzx) < 0.01);
    }
  }
}
