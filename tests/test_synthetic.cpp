// Tests for include/infogeo/synthetic/: exact truth formulas (log-det identities, closed forms
// checked against numerical integration), sample moments within sampling error (fixed seeds,
// tolerances of 4-5 standard errors), transform round trips and monotonicity, bad input.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "infogeo/core/special_functions.hpp"
#include "infogeo/synthetic/synthetic.hpp"

using namespace infogeo;
using namespace infogeo::synthetic;

namespace {
Eigen::MatrixXd sample_cov(const row_matrix<double>& m) {
  const Eigen::MatrixXd c = m.rowwise() - m.colwise().mean();
  return c.transpose() * c / static_cast<double>(m.rows() - 1);
}
Eigen::MatrixXd random_orthogonal(index_t d, std::uint64_t seed) {
  random_engine rng(seed);
  Eigen::MatrixXd a(d, d);
  for (index_t i = 0; i < d; ++i)
    for (index_t j = 0; j < d; ++j) a(i, j) = rng.normal();
  return Eigen::HouseholderQR<Eigen::MatrixXd>(a).householderQ();
}
}  // namespace

TEST_CASE("Gaussian MI construction reproduces the prescribed I through the log-det formula") {
  // Exact identity; the only error is Cholesky rounding, amplified by cond(S) <= e^{2I/k}
  // (<= e^10 here), so 1e-9 absolute is generous but would catch any formula slip.
  for (auto [dx, dy] : std::vector<std::pair<index_t, index_t>>{{1, 1}, {2, 3}, {5, 5}, {4, 1}}) {
    for (double mi : {0.0, 0.1, 1.0, 5.0}) {
      const index_t k = std::min(dx, dy);
      const double a = correlation_for_mi(mi, k);
      const Eigen::MatrixXd cov = gaussian_pair_covariance(dx, dy, std::vector<double>(static_cast<std::size_t>(k), a));
      const index_t x_dims = dx;  // C++17 lambdas (CAPTURE) cannot capture a structured binding
      const index_t y_dims = dy;
      CAPTURE(x_dims);
      CAPTURE(y_dims);
      CAPTURE(mi);
      CHECK(std::abs(gaussian_mi_from_covariance(cov, dx) - mi) < 1e-9);
      // MI is invariant under block-orthogonal maps diag(Qx, Qy): a dense, non-trivial covariance.
      Eigen::MatrixXd q = Eigen::MatrixXd::Zero(dx + dy, dx + dy);
      q.topLeftCorner(dx, dx) = random_orthogonal(dx, 11);
      q.bottomRightCorner(dy, dy) = random_orthogonal(dy, 12);
      CHECK(std::abs(gaussian_mi_from_covariance(q * cov * q.transpose(), dx) - mi) < 1e-9);
    }
  }
  // Arbitrary spectrum: -1/2 sum log(1 - rho^2) by hand.
  const std::vector<double> rho{0.9, -0.5, 0.1};
  const double by_hand = -0.5 * (std::log(1 - 0.81) + std::log(1 - 0.25) + std::log(1 - 0.01));
  CHECK(std::abs(gaussian_mi_from_correlations(rho) - by_hand) < 1e-14);
  CHECK(std::abs(gaussian_mi_from_covariance(gaussian_pair_covariance(3, 4, rho), 3) - by_hand) < 1e-12);
  // Statement 5: a = sqrt(1 - e^{-2I/k}); I = 1, k = 2 gives a^2 = 1 - 1/e.
  CHECK(std::abs(correlation_for_mi(1.0, 2) - std::sqrt(1.0 - std::exp(-1.0))) < 1e-15);
}

TEST_CASE("correlated Gaussian samples match their moments (seed 7, n = 20000)") {
  const index_t n = 20000;
  const auto s = correlated_gaussian(n, 2, 3, 1.0, 7);
  CHECK(s.mi == 1.0);
  REQUIRE(s.x.rows() == n);
  REQUIRE(s.y.cols() == 3);
  row_matrix<double> xy(n, 5);
  xy << s.x, s.y;
  const Eigen::MatrixXd c = sample_cov(xy);
  const Eigen::MatrixXd target = gaussian_pair_covariance(2, 3, std::vector<double>(2, correlation_for_mi(1.0, 2)));
  // Standard error of a sample covariance entry is <= sqrt(2/n) = 0.01; 5 SE = 0.05.
  CHECK((c - target).cwiseAbs().maxCoeff() < 0.05);
  CHECK(xy.colwise().mean().cwiseAbs().maxCoeff() < 5.0 / std::sqrt(double(n)));
  // The sample's own Gaussian MI (log-det of its covariance) is close to the truth: the plug-in
  // bias is ~ d^2/(2n) ~ 6e-4 and its std ~ 0.01 here.
  CHECK(std::abs(gaussian_mi_from_covariance(c, 2) - 1.0) < 0.05);
  // Seeding: same seed same bits, other seed other bits.
  const auto again = correlated_gaussian(n, 2, 3, 1.0, 7);
  CHECK(again.x == s.x);
  CHECK(again.y == s.y);
  CHECK(correlated_gaussian(n, 2, 3, 1.0, 8).x != s.x);
}

TEST_CASE("transforms are invertible on their domain and monotone where claimed") {
  for (const auto& [name, kind] : transform_names()) {
    const auto& transform = name;  // C++17 lambdas (CAPTURE) cannot capture a structured binding
    CAPTURE(transform);
    CHECK(parse_transform(name) == kind);
    CHECK(transform_name(kind) == name);
    row_matrix<double> m(201, 4);
    for (index_t i = 0; i < m.rows(); ++i)
      for (index_t j = 0; j < m.cols(); ++j) m(i, j) = -5.0 + 0.05 * static_cast<double>(i) + 0.013 * static_cast<double>(j);
    const row_matrix<double> original = m;
    apply_transform(m, kind);
    if (kind != transform_kind::identity) CHECK((m - original).cwiseAbs().maxCoeff() > 1e-3);
    invert_transform(m, kind);
    // normal-cdf near |t| = 5 loses digits (Phi'(5) = 1.5e-6, so a 1e-16 change in u moves t by
    // ~1e-10); every other inverse is accurate to a few ulps of |t| <= 125.
    CHECK((m - original).cwiseAbs().maxCoeff() < (kind == transform_kind::normal_cdf ? 1e-8 : 1e-11));
    if (is_elementwise(kind)) {
      double prev = transform_forward(kind, -5.0);
      for (int i = 1; i <= 1000; ++i) {
        const double v = transform_forward(kind, -5.0 + 0.01 * i);
        CHECK(v > prev);
        prev = v;
      }
    }
  }
  // The spiral keeps each row's norm (so its inverse is the opposite rotation).
  row_matrix<double> v(1, 3);
  v << 0.3, -1.2, 0.7;
  const double norm = v.norm();
  apply_transform(v, transform_kind::spiral);
  CHECK(std::abs(v.norm() - norm) < 1e-14);
  CHECK(std::abs(transform_forward(transform_kind::half_cube, -4.0) + 8.0) < 1e-14);
  CHECK(std::abs(transform_forward(transform_kind::normal_cdf, 0.0) - 0.5) < 1e-16);
}

namespace {
double bivariate_t_density(double x, double y, double rho, double nu) {
  const double q = (x * x - 2 * rho * x * y + y * y) / (1 - rho * rho);
  return std::exp(std::lgamma((nu + 2) / 2) - std::lgamma(nu / 2)) / (nu * pi * std::sqrt(1 - rho * rho)) *
         std::pow(1 + q / nu, -(nu + 2) / 2);
}
double t_density(double x, double nu) {
  return std::exp(std::lgamma((nu + 1) / 2) - std::lgamma(nu / 2)) / std::sqrt(nu * pi) *
         std::pow(1 + x * x / nu, -(nu + 1) / 2);
}
// I(X;Y) of a bivariate t by the midpoint rule after x = sinh(u), u in [-12, 12]: the mass
// beyond |x| = sinh(12) ~ 8e4 is < 1e-13 for nu >= 2.
double t_mi_by_quadrature(double rho, double nu) {
  const int m = 1600;
  const double lim = 12.0, h = 2 * lim / m;
  double total = 0.0;
  for (int i = 0; i < m; ++i) {
    const double u = -lim + (i + 0.5) * h, x = std::sinh(u), jx = std::cosh(u);
    const double px = t_density(x, nu);
    for (int j = 0; j < m; ++j) {
      const double v = -lim + (j + 0.5) * h, y = std::sinh(v), jy = std::cosh(v);
      const double p = bivariate_t_density(x, y, rho, nu);
      if (p > 0) total += p * std::log(p / (px * t_density(y, nu))) * jx * jy;
    }
  }
  return total * h * h;
}
}  // namespace

TEST_CASE("Student-t MI: Gaussian part plus the dof term matches 2-D numerical integration") {
  for (double nu : {3.0, 8.0}) {
    for (double rho : {0.0, 0.6}) {
      const double closed = gaussian_mi_from_correlations({rho}) + student_t_mi_correction(nu, 1, 1);
      const double numeric = t_mi_by_quadrature(rho, nu);
      CAPTURE(nu);
      CAPTURE(rho);
      CAPTURE(closed);
      CAPTURE(numeric);
      // Midpoint rule on a smooth integrand with h = 0.015: error measured ~1e-6; 1e-4 leaves
      // margin while the dof term itself is 0.02-0.1, so a wrong sign/term fails.
      CHECK(std::abs(closed - numeric) < 1e-4);
    }
  }
  CHECK(student_t_mi_correction(3.0, 1, 1) > 0.0);
  CHECK(student_t_mi_correction(1e6, 2, 3) < 1e-5);  // -> 0 as nu -> infinity
  // Cauchy (nu = 1) entropy is log(4 pi); d-dim t entropy tends to the Gaussian one.
  CHECK(std::abs(student_t_entropy(1.0, 1) - std::log(4 * pi)) < 1e-12);
  CHECK(std::abs(student_t_entropy(1e7, 3) - 1.5 * std::log(2 * pi * std::exp(1.0))) < 1e-5);
}

TEST_CASE("Student-t pairs: truth bookkeeping and moments (seed 3, n = 20000)") {
  const double nu = 5.0;
  const double c = student_t_mi_correction(nu, 2, 2);
  const auto s = student_t_pairs(20000, 2, 2, c + 0.7, nu, 3);
  CHECK(std::abs(s.mi - (c + 0.7)) < 1e-15);
  // Var = nu/(nu-2) = 5/3; SE of the sample variance for t5 is sqrt((mu4 - s^4)/n) ~ 0.033.
  const Eigen::MatrixXd cx = sample_cov(s.x);
  CHECK(std::abs(cx(0, 0) - 5.0 / 3.0) < 0.17);
  CHECK(std::abs(cx(1, 1) - 5.0 / 3.0) < 0.17);
  // Correlation equals the scale-matrix correlation a (nu > 2); SE ~ 0.01 -> 0.05 tolerance.
  const double a = correlation_for_mi(0.7, 2);
  const double r = (s.x.col(0).array() * s.y.col(0).array()).mean() / std::sqrt(cx(0, 0) * sample_cov(s.y)(0, 0));
  CHECK(std::abs(r - a) < 0.05);
  CHECK_THROWS_AS(student_t_pairs(10, 2, 2, 0.5 * c, nu, 3), infogeo::invalid_argument);
}

TEST_CASE("closed-form entropies and their samplers") {
  Eigen::MatrixXd cov(2, 2);
  cov << 2.0, 0.6, 0.6, 1.0;
  const double by_hand = 0.5 * std::log(std::pow(2 * pi * std::exp(1.0), 2) * (2.0 - 0.36));
  CHECK(std::abs(gaussian_entropy(cov) - by_hand) < 1e-13);
  const auto g = sample_gaussian(20000, cov, 5);
  CHECK((sample_cov(g.x) - cov).cwiseAbs().maxCoeff() < 0.1);  // SE <= sqrt(2*4/n) = 0.02
  CHECK(std::abs(uniform_box_entropy({0, -1}, {2, 2}) - std::log(6.0)) < 1e-15);
  const auto u = sample_uniform_box(20000, {0, -1}, {2, 2}, 6);
  CHECK(u.x.col(0).minCoeff() >= 0.0);
  CHECK(u.x.col(1).maxCoeff() < 2.0);
  CHECK(std::abs(u.x.col(1).mean() - 0.5) < 0.03);  // SE = 3/sqrt(12 n) = 0.006
  CHECK(std::abs(exponential_entropy({1.0}) - 1.0) < 1e-15);
  CHECK(std::abs(exponential_entropy({2.0, 0.5}) - 2.0) < 1e-15);
  const auto e = sample_exponential(20000, {2.0}, 7);
  CHECK(std::abs(e.x.col(0).mean() - 0.5) < 0.02);  // SE = 0.5/sqrt(n) = 0.0035
  const auto t = sample_student_t(10, 3, 4.0, 8);
  CHECK(std::abs(t.entropy - 3 * student_t_entropy(4.0, 1)) < 1e-14);
  // 1-D Student-t closed form against numerical integration of -p log p (x = sinh u).
  for (double nu : {2.5, 6.0}) {
    double h = 0.0;
    const double step = 0.001;
    for (double uu = -15; uu < 15; uu += step) {
      const double x = std::sinh(uu + step / 2), p = t_density(x, nu);
      if (p > 0) h -= p * std::log(p) * std::cosh(uu + step / 2) * step;
    }
    CHECK(std::abs(student_t_entropy(nu, 1) - h) < 1e-6);
  }
}

TEST_CASE("separated Gaussian mixture entropy against 1-D quadrature") {
  gaussian_mixture_spec spec;
  spec.weights = {0.5, 0.3, 0.2};
  spec.stds = {1.0, 0.5, 2.0};
  spec.means = Eigen::MatrixXd(3, 1);
  spec.means << 0.0, 30.0, 60.0;
  double h = 0.0;
  const double step = 0.001;
  for (double x = -40; x < 100; x += step) {
    double p = 0;
    for (int k = 0; k < 3; ++k) {
      const double z = (x + step / 2 - spec.means(k, 0)) / spec.stds[std::size_t(k)];
      p += spec.weights[std::size_t(k)] * std::exp(-0.5 * z * z) / (spec.stds[std::size_t(k)] * std::sqrt(2 * pi));
    }
    if (p > 0) h -= p * std::log(p) * step;
  }
  CHECK(std::abs(gaussian_mixture_entropy_separated(spec) - h) < 1e-6);
  const auto s = sample_gaussian_mixture(20000, spec, 9);
  const double frac_first = (s.x.col(0).array() < 15.0).cast<double>().mean();
  CHECK(std::abs(frac_first - 0.5) < 0.02);  // SE = 0.0035
}

TEST_CASE("class toy: truth formula, within-class moments (seed 4, n = 20000)") {
  CHECK(std::abs(class_toy_conditional_mi(2, 1.0, 0.5) - std::log(1.0 + 4.0)) < 1e-15);
  // Given Y, (X, Z) is Gaussian with blocks s_z^2 I, s_z^2 I, (s_z^2 + s_n^2) I: log-det MI agrees.
  const double sz = 0.8, sn = 0.3;
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(6, 6);
  for (int j = 0; j < 3; ++j) {
    cov(j, j) = sz * sz;
    cov(j, 3 + j) = cov(3 + j, j) = sz * sz;
    cov(3 + j, 3 + j) = sz * sz + sn * sn;
  }
  CHECK(std::abs(gaussian_mi_from_covariance(cov, 3) - class_toy_conditional_mi(3, sz, sn)) < 1e-12);
  class_toy_options o;
  o.classes = 4;
  o.dims = 3;
  o.sigma_z = sz;
  o.sigma_n = sn;
  const auto s = class_toy(20000, o, 4);
  REQUIRE(s.labels.size() == 20000);
  Eigen::MatrixXd resid = s.x;
  for (index_t i = 0; i < resid.rows(); ++i) resid.row(i) -= s.centroids.row(s.labels[std::size_t(i)]);
  const Eigen::MatrixXd noise = s.z - s.x;
  // Per-coordinate variances: SE = var sqrt(2/n) < 0.005.
  for (int j = 0; j < 3; ++j) {
    CHECK(std::abs(resid.col(j).squaredNorm() / 20000 - sz * sz) < 0.03);
    CHECK(std::abs(noise.col(j).squaredNorm() / 20000 - sn * sn) < 0.005);
  }
  std::vector<int> counts(4, 0);
  for (auto l : s.labels) ++counts[std::size_t(l)];
  for (int c : counts) CHECK(std::abs(c - 5000) < 300);  // SE = 61
}

TEST_CASE("dropout toy: quadrature MI against Monte Carlo and its limits") {
  dropout_toy_options o;
  const double mi = dropout_toy_mi(o);
  CHECK(mi > 0.0);
  CHECK(mi < std::log(8.0));
  // Monte Carlo: I = E[log p(z|x) - log p(z)] over the model (n = 100000, seed 10); the per-sample
  // term has std < 2 nats, so SE < 0.0063; 0.03 is ~5 SE.
  const auto s = dropout_toy(100000, o, 10);
  double acc = 0.0;
  for (index_t i = 0; i < s.x.rows(); ++i) {
    auto logn = [&](double z, double f) {
      const double sd = o.sigma * f, u = (z - f) / sd;
      return -0.5 * u * u - std::log(sd * std::sqrt(2 * pi));
    };
    const double z = s.y(i, 0);
    double p = 0.0;
    for (int j = 0; j < 8; ++j) p += std::exp(logn(z, 2.0 * j / 7.0 + 0.5)) / 8.0;
    acc += logn(z, 2.0 * s.x(i, 0) + 0.5) - std::log(p);
  }
  CHECK(std::abs(acc / 100000 - mi) < 0.03);
  o.sigma = 1e-3;  // levels 0.29 apart, noise std <= 0.0025: perfectly separated
  CHECK(std::abs(dropout_toy_mi(o) - std::log(8.0)) < 1e-6);
  o.dims = 3;
  CHECK(std::abs(dropout_toy_mi(o) - 3 * std::log(8.0)) < 3e-6);
  // Noise narrower than the quadrature grid resolves: the rule returned ~12 nats per dimension
  // for sigma = 1e-6, above the ceiling H(X) = log 8; it must refuse instead.
  o.dims = 1;
  o.sigma = 1e-6;
  CHECK_THROWS_AS(dropout_toy_mi(o), infogeo::invalid_argument);
  o.sigma = 0.5;
  o.levels = 3;
  o.intercept = -1.0 + 1e-7;  // f(0.5) = 1e-7: a component of std 5e-8
  CHECK_THROWS_AS(dropout_toy_mi(o), infogeo::invalid_argument);
}

TEST_CASE("image embeddings: shapes, ranges and exact coverage") {
  const auto b = image_pairs(50, image_kind::gaussian_bump, 16, 1.0, 12);
  CHECK(b.x.cols() == 256);
  CHECK(b.mi == 1.0);
  CHECK(b.x.minCoeff() >= 0.0);
  CHECK(b.x.maxCoeff() <= 1.0);
  // Peak pixel is where the centre is.
  row_matrix<double> lat(1, 2);
  lat << 0.5, 0.25;
  const auto img = render_gaussian_bumps(lat, 16);
  index_t arg = 0;
  img.row(0).maxCoeff(&arg);
  CHECK(arg % 16 == 7);   // cx = 16 * 0.5 = 8 -> pixel 7 (centre 7.5) or 8; tie broken to first
  CHECK(arg / 16 == 5);   // cy = 16 * 0.35 = 5.6 -> pixel 5 (centre 5.5)
  row_matrix<double> rl(1, 4);
  rl << 0.3, 0.6, 0.5, 0.2;
  const auto rect = render_rectangles(rl, 32);
  const double a = 32 * (0.05 + 0.2 * 0.5), bb = 32 * (0.05 + 0.2 * 0.2);
  CHECK(std::abs(rect.sum() - 4 * a * bb) < 1e-9);  // coverage integrates to the area
  rl(0, 0) = 0.31;
  CHECK((render_rectangles(rl, 32) - rect).cwiseAbs().maxCoeff() > 0.1);  // moves are visible
  const auto r = image_pairs(20, image_kind::rectangle, 16, 0.5, 13);
  CHECK(r.y.cols() == 256);
  CHECK(r.x.maxCoeff() <= 1.0 + 1e-15);
}

TEST_CASE("synthetic generators reject bad input") {
  CHECK_THROWS_AS(correlation_for_mi(-0.1, 1), infogeo::invalid_argument);
  CHECK_THROWS_AS(correlation_for_mi(1.0, 0), infogeo::invalid_argument);
  CHECK_THROWS_AS(gaussian_mi_from_correlations({1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(gaussian_pair_covariance(1, 1, {0.1, 0.2}), infogeo::invalid_argument);
  CHECK_THROWS_AS(gaussian_mi_from_covariance(Eigen::MatrixXd::Identity(3, 3), 3), infogeo::invalid_argument);
  CHECK_THROWS_AS(gaussian_mi_from_covariance(-Eigen::MatrixXd::Identity(2, 2), 1), infogeo::numerical_error);
  CHECK_THROWS_AS(correlated_gaussian(0, 1, 1, 1.0, 1), infogeo::invalid_argument);
  CHECK_THROWS_AS(parse_transform("nope"), infogeo::invalid_argument);
  CHECK_THROWS_AS(transform_inverse(transform_kind::exp, -1.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(transform_inverse(transform_kind::sigmoid, 1.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(transform_forward(transform_kind::spiral, 1.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(student_t_entropy(0.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(student_t_mi_correction(3.0, 0, 1), infogeo::invalid_argument);
  CHECK_THROWS_AS(uniform_box_entropy({1.0}, {1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(exponential_entropy({0.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(gaussian_entropy(Eigen::MatrixXd::Zero(2, 3)), infogeo::invalid_argument);
  CHECK_THROWS_AS(class_toy_conditional_mi(2, 0.0, 1.0), infogeo::invalid_argument);
  dropout_toy_options o;
  o.levels = 1;
  CHECK_THROWS_AS(dropout_toy_mi(o), infogeo::invalid_argument);
  o.levels = 3;
  o.intercept = -1.0;  // f(0.5) = 0: infinite MI
  CHECK_THROWS_AS(dropout_toy_mi(o), infogeo::invalid_argument);
  row_matrix<double> bad(1, 2);
  bad << 0.0, 0.5;
  CHECK_THROWS_AS(render_gaussian_bumps(bad, 16), infogeo::invalid_argument);
  CHECK_THROWS_AS(render_rectangles(bad, 16), infogeo::invalid_argument);
}

TEST_CASE("Gaussian-dropout toy of Adilova et al. (2023, Sec. 4): quadrature truth against independent checks") {
  gaussian_dropout_toy_options o;
  // (1) Small-sigma limit, intercept 0: F = 2X ~ N(0, 4), E log|F| = log 2 - (gamma_E + log 2)/2, so
  // I -> h(F) - E log|F| - log(sigma sqrt(2 pi e)) = (gamma_E + log 2)/2 - log sigma, with an O(sigma^2)
  // error (measured 2.1e-6 at sigma = 0.002 with intercept 0.5, 4x smaller at half sigma).
  const double euler_gamma = 0.57721566490153286;
  o.intercept = 0.0;
  o.sigma = 0.002;
  CHECK(std::abs(gaussian_dropout_toy_mi(o) - ((euler_gamma + std::log(2.0)) / 2.0 - std::log(0.002))) < 2e-5);
  // (2) Scale invariance: I(F; F D) does not change when F is scaled, so (slope 2, intercept 0.5) equals
  // (slope 1, intercept 0.25), on a different grid (the F range changes).
  o = gaussian_dropout_toy_options{};
  for (double sigma : {0.1, 0.5, 2.0}) {
    o.sigma = sigma;
    o.slope = 2.0;
    o.intercept = 0.5;
    const double a = gaussian_dropout_toy_mi(o);
    o.slope = 1.0;
    o.intercept = 0.25;
    CHECK(std::abs(gaussian_dropout_toy_mi(o) - a) < 1e-8);
  }
  // (3) Against an independent reference computed in z-space (numpy, not the log-space convolution used
  // here): p_Z(z) = int p_F(f) N(z; f, s^2 f^2) df by the trapezoid rule in t = log|f|, h(Z) = -int p_Z log p_Z
  // dz on a log|z| grid, h(Z|F) = log(s sqrt(2 pi e)) + E log|F|. It gave 1.3569408893675763 at step 0.004
  // and 1.3569408893646855 at step 0.008 (so accurate to ~3e-12).
  o = gaussian_dropout_toy_options{};
  o.sigma = 0.5;
  const double i1 = gaussian_dropout_toy_mi(o);
  CHECK(std::abs(i1 - 1.3569408893675763) < 1e-9);
  // (4) Coordinates are independent: n dims give n times the 1-D value. Monotone decreasing in sigma.
  o.dims = 3;
  CHECK(std::abs(gaussian_dropout_toy_mi(o) - 3.0 * i1) < 1e-12);
  o.dims = 1;
  o.sigma = 0.25;
  CHECK(gaussian_dropout_toy_mi(o) > i1);
  // (5) Samples: X ~ N(0, 1), E Z = E F = 0.5, Var Z = E F^2 (1 + sigma^2) - 0.25 = 4.25 * 1.25 - 0.25 = 5.0625
  // at sigma = 0.5 (n = 40000: SE of the mean 0.011, of the variance ~0.08).
  o.sigma = 0.5;
  o.dims = 2;
  const auto s = gaussian_dropout_toy(40000, o, 12);
  CHECK(s.x.cols() == 2);
  CHECK(std::abs(s.x.mean()) < 0.02);
  CHECK(std::abs(s.y.col(1).mean() - 0.5) < 0.05);
  const double var = (s.y.col(1).array() - s.y.col(1).mean()).square().mean();
  CHECK(std::abs(var - 5.0625) < 0.35);
  CHECK(std::abs(s.mi - 2.0 * i1) < 1e-12);
  const row_matrix<double> fx = dropout_toy_clean(s.x);
  CHECK(fx(3, 1) == 2.0 * s.x(3, 1) + 0.5);
  // The sampler alone (the bench's path) gives the same draws, without the truth.
  const auto d = gaussian_dropout_toy_draw(40000, o, 12);
  CHECK(d.x == s.x);
  CHECK(d.y == s.y);
  CHECK(d.mi == 0.0);
  // Bad input.
  o = gaussian_dropout_toy_options{};
  o.sigma = 1e3;
  CHECK_THROWS_AS(gaussian_dropout_toy_draw(10, o, 1), infogeo::invalid_argument);
  CHECK_THROWS_AS(gaussian_dropout_toy_draw(0, gaussian_dropout_toy_options{}, 1), infogeo::invalid_argument);
  for (double bad : {0.0, 1e-4, 1e3, std::nan("")}) {
    o.sigma = bad;
    CHECK_THROWS_AS(gaussian_dropout_toy_mi(o), infogeo::invalid_argument);
  }
  o.sigma = 0.5;
  o.slope = 0.0;
  CHECK_THROWS_AS(gaussian_dropout_toy_mi(o), infogeo::invalid_argument);
  o.slope = 2.0;
  o.dims = 0;
  CHECK_THROWS_AS(gaussian_dropout_toy_mi(o), infogeo::invalid_argument);
}

TEST_CASE("authors' image mappings (Butakov et al. 2024, Sec. 5): bumps and rectangles from corners by hand") {
  row_matrix<double> u(1, 2);
  u << 0.0, 1.0;  // centre at the pixel of row size-1, column 0
  const row_matrix<double> bump = render_gaussian_bumps_authors(u, 5);
  CHECK(bump(0, 4 * 5 + 0) == 1.0);
  // Pixel (row 4, col 1) sits at (0.25, 1): exp(-10 * 0.0625).
  CHECK(std::abs(bump(0, 4 * 5 + 1) - std::exp(-0.625)) < 1e-15);
  CHECK(std::abs(bump(0, 0) - std::exp(-10.0)) < 1e-15);  // row 0 col 0 at (0, 0): distance 1
  // Corners: a = 0.75 -> lo = (1 - m)(1 - sqrt(0.25)) = (1 - m) / 2; b = 0.5 -> hi = lo + m + (1 - lo - m) / 2.
  row_matrix<double> l(1, 4);
  l << 0.75, 0.5, 0.0, 1.0;
  const double m = 0.125;
  const row_matrix<double> c = rectangle_corners_authors(l, m);
  CHECK(std::abs(c(0, 0) - 0.4375) < 1e-15);
  CHECK(std::abs(c(0, 1) - (0.4375 + 0.125 + 0.5 * (1.0 - 0.4375 - 0.125))) < 1e-15);
  CHECK(c(0, 2) == 0.0);
  CHECK(c(0, 3) == 1.0);  // b = 1: the segment reaches the far edge
  // Rendered at size 16 (min side 2/16): total coverage = area in pixel units, values in [0, 1].
  const row_matrix<double> img = render_rectangles_authors(l, 16);
  const row_matrix<double> c16 = rectangle_corners_authors(l, 2.0 / 16.0);
  CHECK(std::abs(img.sum() - 256.0 * (c16(0, 1) - c16(0, 0)) * (c16(0, 3) - c16(0, 2))) < 1e-10);
  CHECK(img.maxCoeff() <= 1.0);
  CHECK(img.minCoeff() >= 0.0);
  // Pairs with the authors' mapping keep the latent truth; bad latents are refused.
  const auto pairs = image_pairs(50, image_kind::rectangle, 16, 2.0, 3, image_mapping::authors);
  CHECK(pairs.x.cols() == 256);
  CHECK(pairs.mi == 2.0);
  row_matrix<double> bad(1, 2);
  bad << 1.5, 0.5;
  CHECK_THROWS_AS(render_gaussian_bumps_authors(bad, 8), infogeo::invalid_argument);
  CHECK_THROWS_AS(rectangle_corners_authors(l, 1.0), infogeo::invalid_argument);
}
