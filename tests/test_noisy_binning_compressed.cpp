// Tests for entropy/noisy_mixture.hpp, mi/binning.hpp, mi/edge.hpp and mi/compressed.hpp.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "infogeo/core.hpp"
#include "infogeo/entropy/kde.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/edge.hpp"
#include "infogeo/synthetic/class_toy.hpp"
#include "infogeo/synthetic/gaussian_mi.hpp"

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
  // Paired estimator: separated components make every term log N up to rounding (~1e-12).
  CHECK(std::abs(i.value - std::log(4.0)) < 5.0 * *i.std_error + 1e-9);
  CHECK(std::abs(i.details.at("log_n_ceiling") - std::log(4.0)) < 1e-15);
  // At its ceiling the estimate measures N, not I: flagged (verdict log_n_ceiling).
  CHECK(i.has_reason("log_n_ceiling"));
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
      CHECK_FALSE(est.has_reason("log_n_ceiling"));  // I ~ 1 nat << log 1500: home ground
    }
  }
}

TEST_CASE("log_n_ceiling: F ~ N(0, I_5), sigma = 0.25, N = 2000 warns below 0.9 log N; D = 2 at 0.8 log N is silent") {
  // Red team (session 19): the population I(F; F + sigma N) = D/2 log(1 + 1/sigma^2) = 7.083 (0.93 log N) is
  // read about one tolerance (0.708) low, at 0.83-0.84 log N, with status ok under the former onset 0.9. The
  // fall of the empirical mixture's I crosses the tolerance at 0.835 log N for D = 5, N = 2000; the onset for 5
  // columns is 0.65 + 0.35 / 5 = 0.72.
  const double log_n = std::log(2000.0);
  const auto tolerance = [](double truth) { return accuracy_tolerance(tolerance_kind::scale_invariant, truth, 2); };
  entropy::noisy_options o;
  o.noise = entropy::noise_kind::additive;
  o.sigma = 0.25;
  const double truth = 2.5 * std::log1p(1.0 / (0.25 * 0.25));
  for (const std::uint64_t seed : {1, 2, 3}) {
    random_engine rng(seed);
    row_matrix<double> f(2000, 5);
    for (index_t i = 0; i < f.size(); ++i) f.data()[i] = rng.normal();
    o.seed = seed;
    const auto est = mi::noisy_mutual_information(f, o);
    INFO("seed=" << seed << " I=" << est.value << " truth=" << truth << " ratio=" << est.value / log_n);
    CHECK(est.value < truth - 0.8 * tolerance(truth));  // the fall is real (measured 0.9-1.0 tolerance)
    CHECK(est.value < 0.9 * log_n);                          // the former onset missed it
    CHECK(est.has_reason("log_n_ceiling"));
    CHECK(std::abs(est.details.at("log_n_ceiling_onset") - 0.72) < 1e-12);
  }
  // Home ground: D = 2, sigma = 0.05, N = 2000: I = 5.99 read 0.22 low (tolerance 0.6) at 0.76 log N, below the onset
  // 0.825 for 2 columns (the crossing for D = 2 is 0.91 log N at this N).
  o.sigma = 0.05;
  const double truth2 = std::log1p(1.0 / (0.05 * 0.05));
  for (const std::uint64_t seed : {1, 2, 3}) {
    random_engine rng(seed);
    row_matrix<double> f(2000, 2);
    for (index_t i = 0; i < f.size(); ++i) f.data()[i] = rng.normal();
    o.seed = seed;
    const auto est = mi::noisy_mutual_information(f, o);
    INFO("seed=" << seed << " I=" << est.value << " truth=" << truth2 << " ratio=" << est.value / log_n);
    CHECK(std::abs(est.value - truth2) < tolerance(truth2));
    CHECK_FALSE(est.has_reason("log_n_ceiling"));
  }
}

TEST_CASE("noisy I(X;Z): the paired estimator respects log N and beats the unpaired SEM") {
  // N = 200 well-separated centres in D = 64 (spread 10, dropout sigma 0.05 around |f| ~ 10):
  // I(X;Z) = log N up to an exponentially small overlap. The unpaired h_hat(Z) - h(Z|X) carries
  // the chi-square noise of -log phi (sd sqrt(D/2) = 5.7 per draw, SEM ~0.13 at N K = 2000) and
  // lands on either side of log N; the paired terms log phi_j - log p <= log N always, and their
  // SEM is tiny here because the own component dominates every mixture sum.
  random_engine rng(5);
  row_matrix<double> f(200, 64);
  for (index_t i = 0; i < f.size(); ++i) f.data()[i] = 10.0 + 10.0 * rng.normal();
  for (index_t i = 0; i < f.size(); ++i)
    if (std::abs(f.data()[i]) < 0.5) f.data()[i] = 0.5;  // keep dropout widths away from 0
  entropy::noisy_options o;
  o.noise = entropy::noise_kind::dropout;
  o.sigma = 0.05;
  o.draws = 10;
  o.seed = 3;
  const auto est = mi::noisy_mutual_information(f, o);
  const double log_n = std::log(200.0);
  INFO("paired=" << est.value << " unpaired=" << est.details.at("mi_unpaired") << " se=" << *est.std_error);
  CHECK(est.value <= log_n + 1e-9);  // the ceiling holds up to rounding of log-sum-exp
  CHECK(std::abs(est.value - log_n) < 1e-6);
  CHECK(*est.std_error < 1e-6);
  const double unpaired_se = std::sqrt(64.0 / 2.0 / 2000.0);
  CHECK(std::abs(est.details.at("mi_unpaired") - log_n) < 5.0 * unpaired_se);
}

TEST_CASE("noisy: underflowing noise variances and zero rows in the clean bound are refused") {
  row_matrix<double> f(3, 2);
  f << 1.0, 2.0, 1e-170, 3.0, 4.0, 5.0;  // dropout sd = 0.1 * 1e-170: its square underflows to 0
  entropy::noisy_options o;
  o.noise = entropy::noise_kind::dropout;
  o.sigma = 0.1;
  CHECK_THROWS_WITH_AS(mi::noisy_mutual_information(f, o), doctest::Contains("underflows or overflows double at row 1, column 0"),
                       infogeo::invalid_argument);
  o.noise = entropy::noise_kind::additive;
  o.sigma = 1e-200;
  CHECK_THROWS_AS(entropy::noisy_entropy(f, o), infogeo::invalid_argument);
  row_matrix<double> g(3, 2);
  g << 1.0, 0.0, 3.0, 2.0, 4.0, 5.0;
  o.noise = entropy::noise_kind::dropout;
  o.sigma = 0.1;
  o.zeros = entropy::zero_policy::deterministic;
  CHECK_NOTHROW(entropy::noisy_entropy_lower_bound(g, o));
  CHECK_THROWS_WITH_AS(entropy::noisy_entropy_lower_bound(g, o, 1.0), doctest::Contains("without exact zeros"),
                       infogeo::invalid_argument);
}

TEST_CASE("noisy: subset of centres, bounds, determinism") {
  // 300 clean 3-D representations, additive noise sigma = 0.5 (overlapping components).
  random_engine rng(21);
  row_matrix<double> f(300, 3);
  for (index_t i = 0; i < f.rows(); ++i)
    for (index_t j = 0; j < 3; ++j) f(i, j) = rng.normal();
  entropy::noisy_options o;
  o.sigma = 0.5;
  o.draws = 20;
  o.seed = 5;
  const auto full = mi::noisy_mutual_information(f, o);
  // Same seed -> bit-identical (also across thread counts: fixed per-centre streams).
  CHECK(mi::noisy_mutual_information(f, o).value == full.value);
#ifdef _OPENMP
  {
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const double one = mi::noisy_mutual_information(f, o).value;
    omp_set_num_threads(3);
    const double three = mi::noisy_mutual_information(f, o).value;
    omp_set_num_threads(threads);
    CHECK(one == full.value);
    CHECK(three == full.value);
  }
#endif
  // Slow reference: the exact mixture log-density at the same draws (streams split(j)).
  {
    const random_engine root(o.seed);
    double acc = 0.0;
    for (index_t j = 0; j < f.rows(); ++j) {
      random_engine r = root.split(static_cast<std::uint64_t>(j));
      for (index_t k = 0; k < o.draws; ++k) {
        double z[3];
        for (int i = 0; i < 3; ++i) z[i] = f(j, i) + o.sigma * r.normal();
        std::vector<double> logs;
        for (index_t l = 0; l < f.rows(); ++l) {
          double q = 0.0;
          for (int i = 0; i < 3; ++i) q += std::log(normal_pdf(z[i], f(l, i), o.sigma));
          logs.push_back(q);
        }
        acc -= logsumexp(logs) - std::log(300.0);
      }
    }
    const double h_ref = acc / (300.0 * static_cast<double>(o.draws));
    CHECK(std::abs(full.details.at("h_z") - h_ref) < 1e-10);
  }
  // Bounds: h(Z|X) <= h(Z) <= Gaussian bound (Monte-Carlo slack 4 SE).
  CHECK(full.details.at("h_z") >= full.details.at("h_z_given_x"));
  CHECK(full.details.at("h_z") <= full.details.at("h_z_gaussian_upper") + 4.0 * *full.std_error);
  CHECK(full.value <= full.details.at("log_n_ceiling"));
  // The standalone bound is the same number: 1/2 log det(2 pi e (Cov_N(f) + sigma^2 I)).
  const auto ub = entropy::noisy_gaussian_upper_bound(f, o);
  {
    const row_matrix<double> c = f.rowwise() - f.colwise().mean();
    Eigen::MatrixXd cov = (c.transpose() * c) / 300.0;
    cov.diagonal().array() += 0.25;
    const double ref = 1.5 * std::log(2.0 * pi * std::exp(1.0)) + 0.5 * std::log(cov.determinant());
    CHECK(std::abs(ub.value - ref) < 1e-12);
    CHECK(ub.value == full.details.at("h_z_gaussian_upper"));
  }
  const auto lb = entropy::noisy_entropy_lower_bound(f, o, 4.0);
  CHECK(lb.details.at("bound_conditional") == doctest::Approx(full.details.at("h_z_given_x")));
  CHECK(lb.value == doctest::Approx(4.0));  // additive: h(f + E) >= h(f), passed in
  // Random subset of M centres (own centre exact). The draws are the same as in the full run
  // (same streams), so the difference is the subset's Jensen bias, upwards and shrinking with M
  // (measured with 200 draws: +0.20 at M = 30, +0.067 at M = 100, +0.017 at M = 200).
  o.centres = 200;
  const auto sub = mi::noisy_mutual_information(f, o);
  INFO("full=" << full.value << " subset200=" << sub.value << " se=" << *sub.std_error);
  CHECK(sub.parameters.at("centres") == 200.0);
  CHECK(std::abs(sub.value - full.value) < 0.05);
  o.centres = 30;
  const auto sub30 = mi::noisy_mutual_information(f, o);
  CHECK(sub30.value > sub.value);
  CHECK(sub30.value < full.value + 0.4);
  CHECK(!sub30.diagnostics.empty());
}

TEST_CASE("noisy: dropout zero policy and bad input") {
  row_matrix<double> f(4, 2);
  f << 1.0, 0.0, 2.0, 1.5, -1.0, 0.0, 0.5, 3.0;
  entropy::noisy_options o;
  o.noise = entropy::noise_kind::dropout;
  o.sigma = 0.2;
  o.draws = 50;
  CHECK_THROWS_AS(mi::noisy_mutual_information(f, o), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::noisy_conditional_entropy(f, o), infogeo::invalid_argument);
  o.zeros = entropy::zero_policy::deterministic;
  const auto r = mi::noisy_mutual_information(f, o);
  CHECK(r.details.at("zero_entries") == 2.0);
  CHECK(r.details.at("rows_with_zeros") == 2.0);
  CHECK(r.details.at("zero_patterns") == 2.0);
  CHECK(r.details.count("h_z_gaussian_upper") == 0);  // not valid with point masses
  CHECK(std::isfinite(r.value));
  // Deterministic zeros: h(Z|X) skips them exactly.
  const double c = std::log(0.2 * std::sqrt(2.0 * pi * std::exp(1.0)));
  const double ref = (std::log(1.0) + c + std::log(2.0) + c + std::log(1.5) + c + std::log(1.0) + c +
                      std::log(0.5) + c + std::log(3.0) + c) / 4.0;
  CHECK(std::abs(r.details.at("h_z_given_x") - ref) < 1e-13);
  // Zero patterns are revealed exactly by Z, so I >= H(pattern) = log 2 (MC slack 4 SE).
  CHECK(r.value >= std::log(2.0) - 4.0 * *r.std_error);
  CHECK_THROWS_AS(entropy::noisy_gaussian_upper_bound(f, o), infogeo::invalid_argument);
  // Bad input: sigma <= 0 or NaN, draws < 1, centres < 0, NaN in f, one row, bad noise name.
  entropy::noisy_options bad;
  bad.sigma = 0.0;
  row_matrix<double> g(3, 1);
  g << 1.0, 2.0, 3.0;
  CHECK_THROWS_AS(entropy::noisy_entropy(g, bad), infogeo::invalid_argument);
  bad.sigma = -1.0;
  CHECK_THROWS_AS(mi::noisy_mutual_information(g, bad), infogeo::invalid_argument);
  bad.sigma = std::nan("");
  CHECK_THROWS_AS(mi::noisy_mutual_information(g, bad), infogeo::invalid_argument);
  bad.sigma = 1.0;
  bad.draws = 0;
  CHECK_THROWS_AS(mi::noisy_mutual_information(g, bad), infogeo::invalid_argument);
  bad.draws = 1;
  bad.centres = -1;
  CHECK_THROWS_AS(mi::noisy_mutual_information(g, bad), infogeo::invalid_argument);
  bad.centres = 0;
  g(1, 0) = std::nan("");
  CHECK_THROWS_AS(mi::noisy_mutual_information(g, bad), infogeo::invalid_argument);
  row_matrix<double> one(1, 2);
  one << 1.0, 2.0;
  CHECK_THROWS_AS(mi::noisy_mutual_information(one, bad), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::parse_noise_kind("multiplicative"), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::expected_log_abs_normal(0.0, 0.0), infogeo::invalid_argument);
}

TEST_CASE("noisy: Bernoulli (binary) dropout is refused (no density, Thm 3.1); Gaussian dropout at home stays silent") {
  // Home ground: 2-D Gaussian f, Gaussian dropout sigma = 0.5, N = 400: the noise overlaps the points,
  // the estimate lies far below log N = 5.99 and no verdict fires.
  random_engine rng(5);
  row_matrix<double> f(400, 2);
  for (index_t i = 0; i < f.rows(); ++i)
    for (index_t j = 0; j < 2; ++j) f(i, j) = 2.0 + rng.normal();
  entropy::noisy_options o;
  o.noise = entropy::noise_kind::dropout;
  o.sigma = 0.5;
  o.seed = 3;
  const auto ok = mi::noisy_mutual_information(f, o);
  CHECK(ok.status == verdict_status::ok);
  CHECK(ok.reasons.empty());
  CHECK(ok.value < 0.5 * std::log(400.0));
  // The same f declared as Bernoulli-dropout noise: refused by every estimator, naming the noise and
  // the theorem.
  o.noise = entropy::parse_noise_kind("bernoulli");
  CHECK(o.noise == entropy::noise_kind::bernoulli);
  CHECK_THROWS_WITH_AS(mi::noisy_mutual_information(f, o), doctest::Contains("noise=bernoulli"), infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(mi::noisy_mutual_information(f, o), doctest::Contains("Thm 3.1"), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::noisy_entropy(f, o), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::noisy_conditional_entropy(f, o), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::noisy_gaussian_upper_bound(f, o), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::noisy_entropy_lower_bound(f, o), infogeo::invalid_argument);
  // What a misuse reports instead: the Bernoulli(p = 1/2) masked samples z = f b / p as centres with
  // a tiny Gaussian noise on the kept coordinates (zeros as point masses). With D = 32 units every
  // sample has its own mask, so the value is log N (the ceiling) for every N: it grows without bound
  // with N, as I(X;Z) = +inf says, and the log_n_ceiling verdict fires.
  for (const index_t n : {100, 400}) {
    row_matrix<double> z(n, 32);
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < 32; ++j) z(i, j) = rng.uniform() < 0.5 ? 2.0 * std::log1p(std::exp(rng.normal())) : 0.0;
    entropy::noisy_options m;
    m.noise = entropy::noise_kind::dropout;
    m.sigma = 1e-3;
    m.zeros = entropy::zero_policy::deterministic;
    const auto e = mi::noisy_mutual_information(z, m);
    CHECK(e.value == doctest::Approx(std::log(static_cast<double>(n))).epsilon(1e-6));
    CHECK(e.has_reason("log_n_ceiling"));
  }
}

TEST_CASE("noisy: E log|N(mu, s^2)| series against quadrature") {
  const gauss_legendre gl(20);
  for (const auto& ms : std::vector<std::pair<double, double>>{{0.0, 1.0}, {1.0, 0.1}, {1.0, 0.632}, {-3.0, 0.5}, {1.0, 0.01}}) {
    const double mu = ms.first, s = ms.second;
    const double q = gl.over([&](double x) { return normal_pdf(x, mu, s) * std::log(std::abs(x)); },
                             {mu - 14 * s, 0.0, mu + 14 * s, std::min(0.0, mu - 14 * s) - 1.0,
                              std::max(0.0, mu + 14 * s) + 1.0}, 1e-13);
    INFO("mu=" << mu << " s=" << s);
    CHECK(std::abs(entropy::expected_log_abs_normal(mu, s) - q) < 1e-8);
  }
  // E log|N(0,1)| = -(gamma + log 2)/2 exactly.
  CHECK(std::abs(entropy::expected_log_abs_normal(0.0, 1.0) + 0.5 * (0.57721566490153286 + std::log(2.0))) < 1e-13);
  // Small sd / |mean| (dropout noise sigma << 1 in noisy_entropy_lower_bound): the Poisson
  // weights of the series were computed from terms ~ mean^2/sd^2 and lost all precision
  // (sd = 1e-6 gave +0.018 instead of -5e-13). The value is ~ log|mean| - sd^2/(2 mean^2), so the
  // quadrature reference (absolute accuracy ~1e-13 here) is checked to 1e-12.
  for (const auto& ms : std::vector<std::pair<double, double>>{{1.0, 1e-3}, {1.0, 1e-4}, {-2.0, 1e-5}, {1.0, 1e-6}}) {
    const double mu = ms.first, s = ms.second;
    const double q = gl.over([&](double x) { return normal_pdf(x, mu, s) * std::log(std::abs(x)); },
                             {mu - 14 * s, mu + 14 * s}, 1e-15);
    INFO("mu=" << mu << " s=" << s << " quadrature=" << q);
    CHECK(std::abs(entropy::expected_log_abs_normal(mu, s) - q) < 1e-12);
  }
}

TEST_CASE_TEMPLATE("binning: hand examples, log N ceiling, label MI", T, float, double) {
  // 1-D values, 2 bins over [0, 1]: {0, 0.1} | {0.6, 0.9, 1.0}  -> H = -(2/5 log 2/5 + 3/5 log 3/5)
  std::vector<T> v{T(0), T(0.1), T(0.6), T(0.9), T(1.0)};
  mi::binning_options o;
  o.bins = 2;
  const auto h = mi::binned_entropy(v, o);
  CHECK(std::abs(h.value - (-(0.4 * std::log(0.4) + 0.6 * std::log(0.6)))) < 1e-12  /* counts are exact; only rounding */);
  CHECK(h.details.at("occupied_bins") == 2.0);
  o.bins = 1;
  CHECK(mi::binned_entropy(v, o).value == 0.0);
  // bin width 0.25 anchored at the minimum: bins {0,0.1},{0.6},{0.9},{1.0} -> counts 2,1,1,1
  o.bin_width = 0.25;
  CHECK(std::abs(mi::binned_entropy(v, o).value - (std::log(5.0) - 2.0 * std::log(2.0) / 5.0)) < 1e-12);
  // Fine bins: every sample its own bin -> exactly log N, with the diagnostic.
  random_engine rng(4);
  row_matrix<T> x(500, 3);
  for (index_t i = 0; i < x.rows(); ++i)
    for (index_t j = 0; j < 3; ++j) x(i, j) = static_cast<T>(rng.normal());
  mi::binning_options fine;
  fine.bins = 100000;
  const auto hf = mi::binned_entropy(x, fine);
  CHECK(std::abs(hf.value - std::log(500.0)) < 1e-12);
  CHECK(hf.details.at("occupied_bins") == 500.0);
  CHECK(hf.details.at("log_n_ceiling") == doctest::Approx(std::log(500.0)));
  CHECK(!hf.diagnostics.empty());
  // Coarser bins never increase H (bins 4 nests in bins 8 over the same range per dimension).
  mi::binning_options b4, b8;
  b4.bins = 4;
  b8.bins = 8;
  CHECK(mi::binned_entropy(x, b4).value <= mi::binned_entropy(x, b8).value + 1e-12);
  // Global vs per-dimension range: column 2 scaled by 100 dominates the global range.
  row_matrix<T> y = x;
  y.col(2) *= T(100);
  mi::binning_options g = b8;
  g.global_range = true;
  CHECK(mi::binned_entropy(y, g).value < mi::binned_entropy(y, b8).value);
  CHECK(mi::binned_entropy(y, b8).value == doctest::Approx(mi::binned_entropy(x, b8).value));
  // I(T;Y): T = label + small noise (bins resolve it) -> I = H(Y); T independent of Y -> I ~ 0.
  std::vector<int> labels(500);
  row_matrix<T> t(500, 1);
  for (int i = 0; i < 500; ++i) {
    labels[static_cast<std::size_t>(i)] = i % 3;
    t(i, 0) = static_cast<T>(10.0 * (i % 3) + rng.uniform());
  }
  mi::binning_options b3;
  b3.bins = 3;
  const auto it = mi::binned_mutual_information_labels(t, labels, b3);
  const double hy = -(2 * 167.0 / 500 * std::log(167.0 / 500) + 166.0 / 500 * std::log(166.0 / 500));
  CHECK(std::abs(it.value - hy) < 1e-12);
  // Continuous-continuous binned MI of identical variables = H(binned X).
  CHECK(std::abs(mi::binned_mutual_information(x, x, b4).value - mi::binned_entropy(x, b4).value) < 1e-12);
  // Bad input.
  mi::binning_options bad;
  bad.bins = 0;
  CHECK_THROWS_AS(mi::binned_entropy(x, bad), infogeo::invalid_argument);
  bad.bins = -3;
  CHECK_THROWS_AS(mi::binned_entropy(x, bad), infogeo::invalid_argument);
  bad.bins = 10;
  bad.bin_width = -0.1;
  CHECK_THROWS_AS(mi::binned_entropy(x, bad), infogeo::invalid_argument);
  bad.bin_width = 1e-300;
  CHECK_THROWS_AS(mi::binned_entropy(x, bad), infogeo::invalid_argument);
  std::vector<int> short_labels(10, 0);
  CHECK_THROWS_AS(mi::binned_mutual_information_labels(t, short_labels, b3), infogeo::invalid_argument);
  std::vector<int> neg(500, -1);
  CHECK_THROWS_AS(mi::binned_mutual_information_labels(t, neg, b3), infogeo::invalid_argument);
}

TEST_CASE("binning: a data range that overflows double is refused, not binned as NaN") {
  // max - min = 2e308 = inf: the width was inf, (v - min)/w = inf/inf = NaN for the maximum and
  // its bin index a NaN cast to int64 (UB); the 4 values gave H = 0.56 (2 bins) instead of 3 bins.
  row_matrix<double> t(4, 1);
  t << -1e308, 1e308, 0.0, 5.0;
  CHECK_THROWS_AS(mi::binned_entropy(t), infogeo::invalid_argument);
  mi::binning_options g;
  g.global_range = true;
  row_matrix<double> two(3, 2);
  two << -1e308, 0.0, 0.0, 1e308, 1.0, 2.0;
  CHECK_THROWS_AS(mi::binned_entropy(two, g), infogeo::invalid_argument);
  // Per-dimension ranges of the same data are finite: fine.
  CHECK_NOTHROW(mi::binned_entropy(two));
}

TEST_CASE("compressed: PCA projector, lossless compression, Corollary 6 bound") {
  // X lies exactly in a 2-D affine subspace of R^6; Y depends on X.
  random_engine rng(8);
  const index_t n = 400;
  row_matrix<double> u(n, 2), y(n, 1);
  for (index_t i = 0; i < n; ++i) {
    u(i, 0) = rng.normal();
    u(i, 1) = rng.normal();
    y(i, 0) = u(i, 0) + 0.5 * u(i, 1) + 0.7 * rng.normal();
  }
  Eigen::MatrixXd a(2, 6);
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 6; ++j) a(i, j) = rng.normal();
  row_matrix<double> x = u * a;
  x.rowwise() += Eigen::RowVectorXd::LinSpaced(6, 1.0, 6.0);
  const mi::pca_projector pca(x, 2);
  CHECK(pca.components() == 2);
  CHECK(pca.input_dims() == 6);
  CHECK(pca.explained_variances().size() == 6);
  CHECK(pca.explained_variances()(2) < 1e-10 * pca.explained_variances()(0));
  CHECK(pca.retained_variance_ratio() == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(mi::compression_loss_bound(pca.explained_variances(), 2, 0.1) < 1e-8);
  // Distances are preserved exactly by the projection (orthonormal basis of the subspace).
  const row_matrix<double> p = pca.transform(x);
  for (index_t i = 0; i < 20; ++i)
    CHECK(std::abs((p.row(i) - p.row(i + 1)).norm() - (x.row(i) - x.row(i + 1)).norm()) < 1e-10);
  // Same MI through a distance-based estimator: KDE, isotropic kernel, fixed shared bandwidth
  // (the (D - n')/2 log(2 pi b^2) terms of h(X) and h(X,Y) cancel).
  mi::kde_mi_options ko;
  ko.kde.whiten = false;
  ko.kde.bandwidth = entropy::kde_bandwidth::fixed;
  ko.kde.fixed_bandwidth = 0.5;
  const double full = mi::kde_mutual_information(x, y, ko).value;
  const auto comp = mi::compressed_mutual_information(
      x, y, 2, [&](const row_matrix<double>& xc, const row_matrix<double>& yy) { return mi::kde_mutual_information(xc, yy, ko); },
      0.1);
  CHECK(std::abs(comp.value - full) < 1e-9);
  CHECK(comp.details.at("pca_components") == 2.0);
  CHECK(comp.details.at("compression_loss_bound") < 1e-8);
  // Fit on one sample, apply to another: scores = (x2 - mean) V.
  row_matrix<double> x2 = x.topRows(10);
  x2(0, 0) += 1.0;
  const row_matrix<double> s2 = pca.transform(x2);
  const row_matrix<double> ref = (x2.rowwise() - pca.mean()) * pca.basis();
  CHECK((s2 - ref).cwiseAbs().maxCoeff() < 1e-12);
  // Corollary 6 by hand: eigenvalues (4, 1, 0.25), keep 1, sigma 0.5 -> (3-1)/2 log(1 + 1/0.25).
  Eigen::VectorXd lam(3);
  lam << 4.0, 1.0, 0.25;
  CHECK(std::abs(mi::compression_loss_bound(lam, 1, 0.5) - std::log(5.0)) < 1e-14);
  CHECK(mi::compression_loss_bound(lam, 3, 0.5) == 0.0);
  // Bad input: n' > D, n' < 1, wrong columns, sigma <= 0, unfitted projector.
  CHECK_THROWS_AS(mi::pca_projector(x, 7), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::pca_projector(x, 0), infogeo::invalid_argument);
  CHECK_THROWS_AS(pca.transform(u), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::compression_loss_bound(lam, 1, 0.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::compression_loss_bound(lam, 4, 1.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::pca_projector().transform(x), infogeo::invalid_argument);
}

TEST_CASE("binning over a fixed range (thesis Fig. 1.2: [-1, 1] in 30 bins), by hand") {
  // t = {0, 0.03, 0.5}: over [-1, 1] the bins have width 1/15, 0 and 0.03 share bin 15, 0.5 is in bin
  // 22 -> H = log 3 - (2/3) log 2. Over the data range [0, 0.5] (width 1/60) all three are apart: log 3.
  row_matrix<double> t(3, 1);
  t << 0.0, 0.03, 0.5;
  mi::binning_options o;
  o.range_min = -1.0;
  o.range_max = 1.0;
  const auto fixed = mi::binned_entropy(t, o);
  CHECK(std::abs(fixed.value - (std::log(3.0) - 2.0 / 3.0 * std::log(2.0))) < 1e-14);
  CHECK(fixed.settings.at("range") == "fixed");
  CHECK(fixed.parameters.at("range_min") == -1.0);
  CHECK(std::abs(mi::binned_entropy(t, mi::binning_options{}).value - std::log(3.0)) < 1e-14);
  // The endpoints -1 and 1 are inside (1 falls in the last bin); values outside are refused, not clipped.
  row_matrix<double> ends(2, 1);
  ends << -1.0, 1.0;
  CHECK(std::abs(mi::binned_entropy(ends, o).value - std::log(2.0)) < 1e-14);
  row_matrix<double> out(2, 1);
  out << 0.0, 1.5;
  CHECK_THROWS_AS(mi::binned_entropy(out, o), infogeo::invalid_argument);
  o.range_max = -1.0;
  CHECK_THROWS_AS(mi::binned_entropy(t, o), infogeo::invalid_argument);
  o.range_max = std::nan("");
  CHECK_THROWS_AS(mi::binned_entropy(t, o), infogeo::invalid_argument);
}

// ---- EDGE (mi/edge.hpp) ---------------------------------------------------------------------------
namespace {
/// N pairs of standard normals with correlation rho per column (synthetic::correlated_gaussian_spectrum):
/// I = -dx/2 log(1 - rho^2).
void correlated_gaussians(index_t n, index_t dx, double rho, std::uint64_t seed, row_matrix<double>& x,
                          row_matrix<double>& y) {
  synthetic::mi_sample s =
      synthetic::correlated_gaussian_spectrum(n, dx, dx, std::vector<double>(static_cast<std::size_t>(dx), rho), seed);
  x = std::move(s.x);
  y = std::move(s.y);
}
}  // namespace

TEST_CASE("edge: correlated Gaussians against the closed form -1/2 log(1 - rho^2)") {
  // Measured over 20 data sets of N = 4000 (seeds 100..119): error mean +0.006 / +0.001 / -0.020 and
  // sd 0.002 / 0.007 / 0.012 at rho = 0 / 0.5 / 0.8 (max |error| 0.011 / 0.014 / 0.043).
  for (const double rho : {0.0, 0.5, 0.8}) {
    row_matrix<double> x, y;
    correlated_gaussians(4000, 1, rho, 100, x, y);
    const double truth = -0.5 * std::log(1.0 - rho * rho);
    const estimate e = mi::edge(x, y);
    INFO("rho=" << rho << " edge=" << e.value << " truth=" << truth);
    CHECK(e.method == "edge");
    CHECK(e.ok());
    CHECK(std::abs(e.value - truth) < (rho == 0.0 ? 0.02 : 0.06));
    CHECK(e.details.at("base_at_eps_min") > e.value);  // the finest histograms over-estimate; the ensemble cancels it
  }
  // The bias-cancelling ensemble against the authors' median on independent data (truth 0): the
  // finite-sample term 1/(N eps^d) is what the median keeps.
  row_matrix<double> x, y;
  correlated_gaussians(4000, 1, 0.0, 101, x, y);
  mi::edge_options med;
  med.ensemble = mi::edge_ensemble::median;
  const double v_med = mi::edge(x, y, med).value, v_bc = mi::edge(x, y).value;
  CHECK(v_med > 0.04);
  CHECK(std::abs(v_bc) < 0.5 * v_med);
}

TEST_CASE("edge: discrete labels, closed form log(2)/2 for overlapping uniform classes") {
  // X | Y=0 ~ U[0, 2], X | Y=1 ~ U[1, 3], P(Y=1) = 1/2: H(Y|X) = log 2 on [1, 2) (half the mass), so
  // I = log 2 / 2. Measured over 20 data sets of N = 4000: error mean -0.007, sd 0.006.
  random_engine rng(300);
  const index_t n = 4000;
  row_matrix<double> x(n, 1);
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    labels[static_cast<std::size_t>(i)] = rng.uniform() < 0.5 ? 0 : 1;
    x(i, 0) = labels[static_cast<std::size_t>(i)] + 2.0 * rng.uniform();
  }
  const estimate e = mi::edge_labels(x, labels);
  CHECK(e.ok());
  CHECK(e.settings.at("y") == "discrete");
  CHECK(e.details.at("classes") == 2.0);
  CHECK(std::abs(e.value - 0.5 * std::log(2.0)) < 0.03);
  // Labels carrying nothing: a permutation of the labels that keeps the classes but breaks the pairing.
  std::vector<int> shuffled(labels.rbegin(), labels.rend());
  CHECK(std::abs(mi::edge_labels(x, shuffled).value) < 0.02);
}

TEST_CASE("edge: seeds, scale invariance, the ensemble weights") {
  row_matrix<double> x, y;
  correlated_gaussians(2000, 1, 0.6, 7, x, y);
  mi::edge_options o;
  o.seed = 3;
  const double v = mi::edge(x, y, o).value;
  CHECK(mi::edge(x, y, o).value == v);  // same seed, same number
  o.seed = 4;
  CHECK(mi::edge(x, y, o).value != v);  // other random shifts
  o.seed = 3;
  const row_matrix<double> x_scaled = 1e3 * x.array() + 5.0;  // standardised away
  CHECK(mi::edge(x_scaled, y, o).value == doctest::Approx(v).epsilon(1e-12));
  // Weights: sum 1, orthogonal to l^{-d} and l^{-2d} (what the ensemble cancels).
  const std::vector<double> l{1.0, 1.5, 2.0, 2.5, 3.0};
  for (const index_t d : {1, 2, 4}) {
    const std::vector<double> w = mi::detail::edge_weights(l, d, "test");
    double s = 0.0, s1 = 0.0, s2 = 0.0;
    for (std::size_t i = 0; i < l.size(); ++i) {
      s += w[i];
      s1 += w[i] * std::pow(l[i], -static_cast<double>(d));
      s2 += w[i] * std::pow(l[i], -2.0 * static_cast<double>(d));
    }
    CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(std::abs(s1) < 1e-12);
    CHECK(std::abs(s2) < 1e-12);
  }
  // C_U clips every edge's log ratio: with C_U = 1 no edge counts positively, so the value is <= 0.
  mi::edge_options clip;
  clip.ratio_upper = 1.0;
  clip.ensemble = mi::edge_ensemble::average;
  CHECK(mi::edge(x, y, clip).value <= 0.0);
}

TEST_CASE("edge: verdicts edge_dimension and bins_saturated, projections") {
  row_matrix<double> x, y;
  correlated_gaussians(2000, 1, 0.5, 11, x, y);
  CHECK(mi::edge(x, y).ok());  // home ground: d = 2
  row_matrix<double> x2, y2;
  correlated_gaussians(2000, 2, 0.5, 12, x2, y2);
  const estimate e4 = mi::edge(x2, y2);
  CHECK(e4.has_reason("edge_dimension"));  // d = 4
  mi::edge_options fine;
  fine.bandwidth_min = 0.02;
  fine.bandwidth_max = 0.06;
  CHECK(mi::edge(x, y, fine).has_reason("bins_saturated"));
  row_matrix<double> x10, y10;
  correlated_gaussians(1000, 10, 0.5, 13, x10, y10);
  const estimate ep = mi::edge(x10, y10);
  CHECK(ep.settings.at("x_hashing") == "p-stable projections");
  CHECK(ep.parameters.at("hash_dims") == 8.0);
  CHECK(ep.has_reason("edge_dimension"));
  CHECK(ep.dims == 20);
}

TEST_CASE("edge: bad input") {
  row_matrix<double> x, y;
  correlated_gaussians(100, 1, 0.5, 1, x, y);
  mi::edge_options o;
  o.ensemble_size = 2;
  CHECK_THROWS_WITH_AS(mi::edge(x, y, o), doctest::Contains("ensemble_size must be >= 3"), infogeo::invalid_argument);
  o = {};
  o.bandwidth_max = 1.0;
  CHECK_THROWS_WITH_AS(mi::edge(x, y, o), doctest::Contains("bandwidth_max must be > bandwidth_min"),
                       infogeo::invalid_argument);
  o = {};
  o.bandwidth_min = 0.0;
  CHECK_THROWS_WITH_AS(mi::edge(x, y, o), doctest::Contains("bandwidth_min must be > 0"), infogeo::invalid_argument);
  o = {};
  o.hash_dims = 0;
  CHECK_THROWS_WITH_AS(mi::edge(x, y, o), doctest::Contains("hash_dims must be >= 1"), infogeo::invalid_argument);
  o = {};
  o.ratio_lower = 2.0;
  o.ratio_upper = 1.0;
  CHECK_THROWS_WITH_AS(mi::edge(x, y, o), doctest::Contains("ratio_lower < ratio_upper"), infogeo::invalid_argument);
  const row_matrix<double> short_y = y.topRows(50);
  CHECK_THROWS_WITH_AS(mi::edge(x, short_y), doctest::Contains("same number of rows"), infogeo::invalid_argument);
  row_matrix<double> bad = x;
  bad(3, 0) = std::nan("");
  CHECK_THROWS_AS(mi::edge(bad, y), infogeo::invalid_argument);
  std::vector<int> labels(100, 0);
  labels[5] = -1;
  CHECK_THROWS_AS(mi::edge_labels(x, labels), infogeo::invalid_argument);
  o = {};
  o.bandwidth_min = 1e-300;
  o.bandwidth_max = 2e-300;
  CHECK_THROWS_WITH_AS(mi::edge(x, y, o), doctest::Contains("bandwidth is too small"), infogeo::invalid_argument);
}

namespace {
// I(X;Y) of the class toy's X | Y ~ N(mu_y, sigma_z^2 I), Y uniform on C classes, by Monte Carlo over
// m draws of the same centroids (the generator draws the centroids first, so the seed fixes them):
// E[log p(x|y) - log (1/C) sum_c p(x|c)] (sd of the mean ~0.003 at m = 100000).
double class_toy_label_mi(const synthetic::class_toy_options& o, std::uint64_t seed, index_t m = 100000) {
  const synthetic::class_toy_sample big = synthetic::class_toy(m, o, seed);
  const index_t c = o.classes;
  std::vector<double> lp(static_cast<std::size_t>(c));
  double sum = 0.0;
  for (index_t i = 0; i < m; ++i) {
    double mx = -std::numeric_limits<double>::infinity();
    for (index_t k = 0; k < c; ++k) {
      double q = 0.0;
      for (index_t j = 0; j < o.dims; ++j) {
        const double u = (big.x(i, j) - big.centroids(k, j)) / o.sigma_z;
        q += u * u;
      }
      lp[static_cast<std::size_t>(k)] = -0.5 * q;
      mx = std::max(mx, lp[static_cast<std::size_t>(k)]);
    }
    double se = 0.0;
    for (const double v : lp) se += std::exp(v - mx);
    sum += lp[static_cast<std::size_t>(big.labels[static_cast<std::size_t>(i)])] -
           (mx + std::log(se) - std::log(static_cast<double>(c)));
  }
  return sum / static_cast<double>(m);
}

double mi_tolerance(double truth) { return accuracy_tolerance(tolerance_kind::scale_invariant, truth, 2); }
}  // namespace

TEST_CASE("bin_resolution: binning and EDGE at rho = 0.999 / 0.99 warn; 1 x 1 Gaussians at I = 0.5, 1 stay silent") {
  // Red-team case: 1 x 1 Gaussian rho = 0.999 (I = 3.108, tolerance 0.311), N = 2000. Before: binning
  // 2.28-2.41 and EDGE 1.36-1.37, status ok. The grid resolves the conditionals over 1.6-1.8 bins; the
  // estimated quantisation loss is 0.59-0.76 (binning) and 0.53-0.55 (EDGE).
  const double rho = 0.999;
  const double truth = -0.5 * std::log(1.0 - rho * rho);
  for (const std::uint64_t seed : {1, 2, 3}) {
    row_matrix<double> x, y;
    correlated_gaussians(2000, 1, rho, seed, x, y);
    const estimate b = mi::binned_mutual_information(x, y);
    const estimate e = mi::edge(x, y);
    INFO("seed=" << seed << " binning=" << b.value << " edge=" << e.value << " truth=" << truth);
    CHECK(b.value < truth - mi_tolerance(truth));  // the failure is real
    CHECK(e.value < truth - mi_tolerance(truth));
    CHECK(b.has_reason("bin_resolution"));
    CHECK(e.has_reason("bin_resolution"));
    CHECK(b.details.at("resolution_loss") > 0.3);
    CHECK_FALSE(b.has_reason("plugin_bias"));
  }
  // EDGE at rho = 0.99 (I = 1.959): 1.37-1.39, loss 0.43-0.45.
  row_matrix<double> x99, y99;
  correlated_gaussians(2000, 1, 0.99, 1, x99, y99);
  const estimate e99 = mi::edge(x99, y99);
  CHECK(e99.value < 1.959 - 0.196);
  CHECK(e99.has_reason("bin_resolution"));
  // Home ground: I = 0.5 and 1 at N = 5000 (binning error -0.02 to +0.05, loss <= 0.04; EDGE error -0.03 to
  // -0.08, loss <= 0.09), and I = 0.5 at N = 2000 for EDGE (error -0.01 to -0.04, loss 0.05): silent.
  for (const double mi_true : {0.5, 1.0})
    for (const std::uint64_t seed : {1, 2, 3}) {
      const synthetic::mi_sample s = synthetic::correlated_gaussian(5000, 1, 1, mi_true, seed);
      const estimate b = mi::binned_mutual_information(s.x, s.y);
      const estimate e = mi::edge(s.x, s.y);
      INFO("I=" << mi_true << " seed=" << seed << " binning=" << b.value << " edge=" << e.value);
      CHECK(b.ok());
      CHECK(e.ok());
      CHECK(b.details.at("resolution_loss") < 0.05);
    }
  for (const std::uint64_t seed : {1, 2, 3}) {
    const synthetic::mi_sample s = synthetic::correlated_gaussian(2000, 1, 1, 0.5, seed);
    CHECK(mi::edge(s.x, s.y).ok());
  }
  // Class labels are not binned: edge_labels has no resolution check (its value is bounded by H(Y) anyway).
  CHECK(mi::edge_labels(x99, std::vector<int>(2000, 0)).details.count("resolution_loss") == 0);
}

TEST_CASE("bin_resolution: a steep curve y = x^3 + 0.02 N warns through the refined grid; discrete X stays silent") {
  // Red team (session 19): X ~ U(-1, 1), Y = X^3 + 0.02 N(0, 1), I = h(Y) - h(noise) = 2.608 (numerical
  // integration), N = 3000, 30 bins: binning 2.09-2.11 with status ok. The constant-width model reads the
  // average conditional as resolved (loss 0.11-0.15); the conditionals are narrower than a bin where the
  // curve is flat (x ~ 0) and where it is steep (|x| ~ 1, seen from Y). Halving the bins gains 0.3-0.4.
  const double truth = 2.608;
  for (const std::uint64_t seed : {1, 2, 3}) {
    random_engine rng(seed);
    row_matrix<double> x(3000, 1), y(3000, 1);
    for (index_t i = 0; i < 3000; ++i) {
      x(i, 0) = 2.0 * rng.uniform() - 1.0;
      y(i, 0) = x(i, 0) * x(i, 0) * x(i, 0) + 0.02 * rng.normal();
    }
    const estimate b = mi::binned_mutual_information(x, y);
    INFO("seed=" << seed << " binning=" << b.value << " loss=" << b.details.at("resolution_loss"));
    CHECK(b.value < truth - mi_tolerance(truth));  // the failure is real
    CHECK(b.has_reason("bin_resolution"));
    CHECK(b.details.at("resolution_loss") > mi_tolerance(b.value));
  }
  // Home ground: X discrete on 4 levels {0, 1, 2, 3}, Y = X + N(0, 1), N = 5000, 30 bins: every level has its
  // own bin, so refining the grid gains nothing on X and little on Y (I = 0.400).
  for (const std::uint64_t seed : {1, 2, 3}) {
    random_engine rng(seed);
    row_matrix<double> x(5000, 1), y(5000, 1);
    for (index_t i = 0; i < 5000; ++i) {
      x(i, 0) = static_cast<double>(i % 4);
      y(i, 0) = x(i, 0) + rng.normal();
    }
    const estimate b = mi::binned_mutual_information(x, y);
    INFO("seed=" << seed << " binning=" << b.value << " loss=" << b.details.at("resolution_loss"));
    CHECK_FALSE(b.has_reason("bin_resolution"));
    CHECK(b.details.at("resolution_loss") < 0.05);
  }
}

TEST_CASE("plugin_bias: binning with labels (10 classes, 2-D) warns at N = 2000; EDGE's median ensemble too") {
  // Red-team case: 10 classes, X = mu_y + 0.5 N(0, I_2), mu ~ N(0, I) (synthetic::class_toy), 30 bins.
  // Before: binning 1.56-1.57 with truth 1.24-1.39 (Monte Carlo), status ok. The Miller-Madow term
  // (occupied TY - occupied T - classes + 1) / 2N = 0.094-0.106 is 0.67-0.85 of the tolerance.
  synthetic::class_toy_options o;
  o.classes = 10;
  o.dims = 2;
  o.sigma_z = 0.5;
  for (const std::uint64_t seed : {1, 2}) {
    const double truth = class_toy_label_mi(o, seed);
    const synthetic::class_toy_sample s = synthetic::class_toy(2000, o, seed);
    const estimate b = mi::binned_mutual_information_labels(s.x, s.labels);
    INFO("seed=" << seed << " binning=" << b.value << " truth=" << truth);
    CHECK(b.value > truth + mi_tolerance(truth));  // the failure is real
    CHECK(b.has_reason("plugin_bias"));
    CHECK_FALSE(b.has_reason("bins_saturated"));  // the older check does not see it
    // Home ground: N = 20000 (error +0.02 to +0.04, MM 0.14-0.22 of the tolerance) and 10 bins at N = 5000
    // (error -0.05 to -0.02): silent.
    const synthetic::class_toy_sample big = synthetic::class_toy(20000, o, seed);
    const estimate bb = mi::binned_mutual_information_labels(big.x, big.labels);
    CHECK(std::abs(bb.value - truth) < mi_tolerance(truth));
    CHECK(bb.ok());
    mi::binning_options ten;
    ten.bins = 10;
    const synthetic::class_toy_sample mid = synthetic::class_toy(5000, o, seed);
    CHECK(mi::binned_mutual_information_labels(mid.x, mid.labels, ten).ok());
    // With the correction applied, the residual ~0.7 MM is compared with the whole tolerance: quiet here.
    mi::binning_options mm;
    mm.miller_madow = true;
    const estimate bc = mi::binned_mutual_information_labels(s.x, s.labels, mm);
    CHECK(bc.value == doctest::Approx(b.value - b.details.at("miller_madow_bias")).epsilon(1e-12));
    CHECK_FALSE(bc.has_reason("plugin_bias"));
  }
  // EDGE: the median ensemble keeps the plug-in bias the default ensemble cancels. Independent 1 x 1
  // Gaussians, N = 1000: median +0.135 (weighted MM 0.071), bias-cancelling within 0.03 and silent.
  row_matrix<double> x, y;
  correlated_gaussians(1000, 1, 0.0, 1, x, y);
  mi::edge_options med;
  med.seed = 1;
  med.ensemble = mi::edge_ensemble::median;
  const estimate em = mi::edge(x, y, med);
  CHECK(em.value > 0.1);
  CHECK(em.has_reason("plugin_bias"));
  mi::edge_options bc;
  bc.seed = 1;
  const estimate eb = mi::edge(x, y, bc);
  CHECK(std::abs(eb.value) < 0.03);
  CHECK(eb.ok());
  CHECK(std::abs(eb.details.at("miller_madow_bias")) < 0.01);
}
