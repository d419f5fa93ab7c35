// Tests for the k-NN estimators: entropy/kozachenko_leonenko.hpp, entropy/weighted_kl.hpp,
// entropy/knn_divergence.hpp, mi/ksg.hpp, mi/entropy_difference.hpp.
// Tiers: exact formula checks against slow references written here (1e-9), closed-form truths
// with tolerances justified by sample size (fixed seeds), invariances, bad input.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "infogeo/core/random.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/entropy/knn_divergence.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/mi/class_conditional.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/mi/ksg_conditional.hpp"

using namespace infogeo;

namespace {

// Gaussian with covariance A A^T, A lower triangular with 1 + 0.1 j on the diagonal and 0.5
// below: non-diagonal. Returns the sample and the true entropy 0.5 log((2 pi e)^d det).
row_matrix<double> correlated_gaussian(index_t n, index_t d, std::uint64_t seed, double& truth) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d);
  for (index_t i = 0; i < d; ++i)
    for (index_t j = 0; j <= i; ++j) a(i, j) = i == j ? 1.0 + 0.1 * static_cast<double>(j) : 0.5;
  double log_det = 0.0;
  for (index_t i = 0; i < d; ++i) log_det += 2.0 * std::log(a(i, i));
  truth = 0.5 * (static_cast<double>(d) * std::log(2.0 * pi * std::exp(1.0)) + log_det);
  random_engine rng(seed);
  row_matrix<double> m(n, d);
  Eigen::VectorXd z(d);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < d; ++j) z(j) = rng.normal();
    m.row(i) = (a * z).transpose();
  }
  return m;
}

// Pairs (x_j, y_j) with correlation rho, independent across j: I = -d/2 log(1 - rho^2).
void gaussian_pairs(index_t n, index_t d, double rho, std::uint64_t seed, row_matrix<double>& x,
                    row_matrix<double>& y) {
  random_engine rng(seed);
  x.resize(n, d);
  y.resize(n, d);
  const double s = std::sqrt(1.0 - rho * rho);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) {
      const double a = rng.normal();
      x(i, j) = a;
      y(i, j) = rho * a + s * rng.normal();
    }
}

double pair_mi(index_t d, double rho) { return -0.5 * static_cast<double>(d) * std::log(1.0 - rho * rho); }

// ---- slow references -----------------------------------------------------------------------

double cheb(const row_matrix<double>& m, index_t i, index_t j, index_t c0, index_t nc) {
  double v = 0.0;
  for (index_t c = c0; c < c0 + nc; ++c) v = std::max(v, std::abs(m(i, c) - m(j, c)));
  return v;
}

double l2(const row_matrix<double>& a, index_t i, const row_matrix<double>& b, index_t j) {
  double s = 0.0;
  for (index_t c = 0; c < a.cols(); ++c) s += (a(i, c) - b(j, c)) * (a(i, c) - b(j, c));
  return std::sqrt(s);
}

// sorted distances from point i of a to all points of b (excluding i when a is b).
std::vector<double> sorted_l2(const row_matrix<double>& a, index_t i, const row_matrix<double>& b, bool self) {
  std::vector<double> d;
  for (index_t j = 0; j < b.rows(); ++j)
    if (!self || j != i) d.push_back(l2(a, i, b, j));
  std::sort(d.begin(), d.end());
  return d;
}

// KSG 1 and 2 straight from Kraskov et al. eqs. 8 and 9, O(n^2).
double reference_ksg(const row_matrix<double>& x, const row_matrix<double>& y, index_t k, int variant) {
  const index_t n = x.rows();
  row_matrix<double> z(n, x.cols() + y.cols());
  z << x, y;
  const index_t dx = x.cols();
  const index_t dy = y.cols();
  double acc = 0.0;
  for (index_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, index_t>> d;
    for (index_t j = 0; j < n; ++j)
      if (j != i) d.emplace_back(cheb(z, i, j, 0, dx + dy), j);
    std::sort(d.begin(), d.end());
    double ex = d[static_cast<std::size_t>(k - 1)].first;
    double ey = ex;
    if (variant == 2) {
      ex = ey = 0.0;
      for (index_t t = 0; t < k; ++t) {
        ex = std::max(ex, cheb(z, i, d[static_cast<std::size_t>(t)].second, 0, dx));
        ey = std::max(ey, cheb(z, i, d[static_cast<std::size_t>(t)].second, dx, dy));
      }
    }
    index_t nx = 0;
    index_t ny = 0;
    for (index_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double a = cheb(z, i, j, 0, dx);
      const double b = cheb(z, i, j, dx, dy);
      nx += variant == 1 ? a < ex : a <= ex;
      ny += variant == 1 ? b < ey : b <= ey;
    }
    acc += variant == 1 ? digamma(static_cast<double>(nx + 1)) + digamma(static_cast<double>(ny + 1))
                        : digamma(static_cast<double>(nx)) + digamma(static_cast<double>(ny));
  }
  const double kd = static_cast<double>(k);
  return digamma(kd) + digamma(static_cast<double>(n)) - acc / static_cast<double>(n) -
         (variant == 2 ? 1.0 / kd : 0.0);
}

}  // namespace

// ================================ Kozachenko-Leonenko =========================================

TEST_CASE("KL entropy equals the formula on slow brute-force distances (1e-10)") {
  double truth = 0.0;
  const auto x = correlated_gaussian(250, 3, 1, truth);
  for (const index_t k : {1, 4}) {
    double sum_log = 0.0;
    for (index_t i = 0; i < x.rows(); ++i) sum_log += std::log(sorted_l2(x, i, x, true)[static_cast<std::size_t>(k - 1)]);
    const double expected = digamma(250) - digamma(static_cast<double>(k)) + 1.5 * std::log(pi) -
                            std::lgamma(2.5) + 3.0 * sum_log / 250.0;
    entropy::kl_options opt;
    opt.k = k;
    CHECK(std::abs(entropy::kozachenko_leonenko(x, opt).value - expected) < 1e-10);
    opt.search = neighbors::backend::kd_tree;
    CHECK(std::abs(entropy::kozachenko_leonenko(x, opt).value - expected) < 1e-10);
  }
}

TEST_CASE("KL entropy of a non-diagonal Gaussian, d = 1..10, both norms") {
  // Seed 2024 + d, n = 4000, k = 3. The estimator's sd is about sqrt(var(log f)/n) ~
  // sqrt(d/2 / 4000) <= 0.035 at d = 10; its bias grows with d (boundary-free Gaussian bias is
  // ~ +0.01 d at this n). Tolerance 0.05 + 0.03 d covers 3 sd plus the bias; a wrong constant
  // (e.g. diameter vs radius: d log 2 = 0.69 d) fails at every d.
  for (index_t d = 1; d <= 10; ++d) {
    double truth = 0.0;
    const auto x = correlated_gaussian(4000, d, 2024 + static_cast<std::uint64_t>(d), truth);
    for (const norm_kind norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
      entropy::kl_options opt;
      opt.norm = norm;
      const auto e = entropy::kozachenko_leonenko(x, opt);
      CAPTURE(d);
      CAPTURE(static_cast<int>(norm));
      CAPTURE(e.value);
      CAPTURE(truth);
      CHECK(std::abs(e.value - truth) < 0.05 + 0.03 * static_cast<double>(d));
      CHECK(e.n == 4000);
      CHECK(e.dims == d);
    }
  }
}

TEST_CASE("KL entropy of a uniform box and an exponential") {
  // Uniform on [0,2] x [0,0.5] x [0,3]: h = log 3. n = 5000, k = 3, seed 7. KL is biased upward
  // on a bounded support (balls cut by the faces): O((k/n)^{1/d}) with a constant ~1 for a
  // box, ~0.09 here (0.11 observed); sd ~0.015. Tolerance 0.15 still rejects a wrong constant
  // (log 2 per dimension) or a wrong radius convention.
  random_engine rng(7);
  row_matrix<double> box(5000, 3);
  for (index_t i = 0; i < 5000; ++i) {
    box(i, 0) = rng.uniform(0.0, 2.0);
    box(i, 1) = rng.uniform(0.0, 0.5);
    box(i, 2) = rng.uniform(0.0, 3.0);
  }
  CHECK(std::abs(entropy::kozachenko_leonenko(box).value - std::log(3.0)) < 0.15);
  // Exponential with rate 2: h = 1 - log 2. n = 5000, seed 8, sd ~ sqrt(1/5000) = 0.014: tol 0.05.
  std::vector<double> ex(5000);
  for (auto& v : ex) v = rng.exponential(2.0);
  CHECK(std::abs(entropy::kozachenko_leonenko(ex).value - (1.0 - std::log(2.0))) < 0.05);
}

TEST_CASE_TEMPLATE("KL on float input equals KL on the same values widened to double", T, float, double) {
  double truth = 0.0;
  const auto x = correlated_gaussian(500, 2, 3, truth);
  const row_matrix<T> typed = x.cast<T>();
  const row_matrix<double> widened = typed.template cast<double>();
  CHECK(entropy::kozachenko_leonenko(typed).value == entropy::kozachenko_leonenko(widened).value);
}

// ================================ weighted KL =================================================

TEST_CASE("wKL weights: sum 1, constraints hold, supports, d < 4 gives e_k, k too small errors") {
  for (const index_t d : {4, 8, 12, 20}) {
    for (const auto support : {entropy::wkl_support::all, entropy::wkl_support::restricted}) {
      const index_t k = 3 * d;
      const auto w = entropy::wkl_weights(k, d, support);
      double sum = 0.0;
      for (double v : w) sum += v;
      CHECK(std::abs(sum - 1.0) < 1e-10);
      for (index_t l = 1; l <= d / 4; ++l) {
        double c = 0.0;
        for (index_t j = 1; j <= k; ++j)
          c += w[static_cast<std::size_t>(j - 1)] *
               std::exp(std::lgamma(static_cast<double>(j) + 2.0 * static_cast<double>(l) / static_cast<double>(d)) -
                        std::lgamma(static_cast<double>(j)));
        CHECK(std::abs(c) < 1e-8);
      }
      if (support == entropy::wkl_support::restricted) {
        // Support {floor(i k / d)} = multiples of 3 here: other orders carry no weight.
        for (index_t j = 1; j <= k; ++j)
          if (j % 3 != 0) CHECK(w[static_cast<std::size_t>(j - 1)] == 0.0);
      }
    }
  }
  // Against the normal-equation form w = G^T (G G^T)^{-1} e_1 of IndepTest::L2OptW (k=10, d=8).
  {
    const index_t k = 10;
    const index_t d = 8;
    Eigen::MatrixXd g(3, k);
    for (index_t j = 1; j <= k; ++j) {
      g(0, j - 1) = 1.0;
      for (index_t l = 1; l <= 2; ++l)
        g(l, j - 1) = std::exp(std::lgamma(static_cast<double>(j) + 2.0 * static_cast<double>(l) / 8.0) -
                               std::lgamma(static_cast<double>(j)));
    }
    const Eigen::VectorXd lambda = (g * g.transpose()).ldlt().solve(Eigen::Vector3d(1, 0, 0));
    const Eigen::VectorXd ref = g.transpose() * lambda;
    const auto w = entropy::wkl_weights(k, d);
    for (index_t j = 0; j < k; ++j) CHECK(std::abs(w[static_cast<std::size_t>(j)] - ref(j)) < 1e-8);
  }
  const auto e = entropy::wkl_weights(7, 3);
  CHECK(e.back() == 1.0);
  CHECK(std::count(e.begin(), e.end(), 0.0) == 6);
  CHECK_THROWS_AS(entropy::wkl_weights(2, 8), infogeo::invalid_argument);  // 3 constraints, 2 orders
  CHECK_THROWS_AS(entropy::wkl_weights(0, 8), infogeo::invalid_argument);
  try {
    entropy::wkl_weights(4, 16);
    FAIL("expected an error");
  } catch (const infogeo::invalid_argument& err) {
    CHECK(std::string(err.what()).find("k is too small") != std::string::npos);
  }
}

TEST_CASE("wKL equals sum_j w_j H_j computed from slow distances, IndepTest form (1e-9)") {
  double truth = 0.0;
  const auto x = correlated_gaussian(300, 8, 5, truth);
  const index_t k = 6;
  const auto w = entropy::wkl_weights(k, 8);
  const double n = 300.0;
  const double log_v = 4.0 * std::log(pi) - std::lgamma(5.0);
  double expected = 0.0;
  std::vector<double> sums(k, 0.0);
  for (index_t i = 0; i < 300; ++i) {
    const auto d = sorted_l2(x, i, x, true);
    for (index_t j = 0; j < k; ++j) sums[static_cast<std::size_t>(j)] += std::log(d[static_cast<std::size_t>(j)]);
  }
  for (index_t j = 0; j < k; ++j)
    expected += w[static_cast<std::size_t>(j)] *
                (std::log(n - 1.0) + log_v + 8.0 * sums[static_cast<std::size_t>(j)] / n - digamma(static_cast<double>(j + 1)));
  entropy::wkl_options opt;
  opt.k = k;
  CHECK(std::abs(entropy::weighted_kozachenko_leonenko(x, opt).value - expected) < 1e-9);
}

TEST_CASE("wKL is less biased than KL at d = 8 on Gaussian data") {
  // Standard Gaussian, d = 8, n = 2000, k = 80 for both, three seeds (11, 12, 13) averaged.
  // Plain KL's leading bias term grows like (k/n)^{2/d}: ~+0.26 nats here; the weights
  // (2 constraints at d = 8) cancel it, leaving ~-0.06 (measured). The sd of the 3-seed mean is
  // ~0.026 and the two estimates share the data, so a margin of 0.1 cannot flip by chance.
  double kl_err = 0.0;
  double wkl_err = 0.0;
  for (std::uint64_t seed = 11; seed <= 13; ++seed) {
    random_engine rng(seed);
    row_matrix<double> x(2000, 8);
    for (index_t i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
    const double truth = 4.0 * std::log(2.0 * pi * std::exp(1.0));
    entropy::kl_options ko;
    ko.k = 80;
    kl_err += entropy::kozachenko_leonenko(x, ko).value - truth;
    entropy::wkl_options opt;
    opt.k = 80;
    wkl_err += entropy::weighted_kozachenko_leonenko(x, opt).value - truth;
  }
  kl_err /= 3.0;
  wkl_err /= 3.0;
  CAPTURE(kl_err);
  CAPTURE(wkl_err);
  CHECK(std::abs(wkl_err) + 0.1 < std::abs(kl_err));
}

TEST_CASE("wKL refuses exploding weights and warns on inflated ones (weight_variance)") {
  // At d = 20 the floor(d/4) = 5 constraints force ||w||_2 ~ 4.9e4 for k = 12 (the default):
  // sd(H_w) ~ 0.3..1 ||w|| / sqrt(n) (measured, see wkl_weight_norm_limit) = hundreds of nats at
  // n = 400, so the estimate is refused (it failed before: a number was printed with a note).
  random_engine rng(21);
  row_matrix<double> x(400, 20);
  for (index_t i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  try {
    entropy::weighted_kozachenko_leonenko(x);
    FAIL("expected a refusal");
  } catch (const refused_error& err) {
    REQUIRE(err.reasons().size() == 1);
    CHECK(err.reasons()[0].code == "weight_variance");
    CHECK(*err.reasons()[0].value > 1e4);
  }
  row_matrix<double> y(400, 10);
  for (index_t i = 0; i < y.size(); ++i) y.data()[i] = rng.normal();
  mi::entropy_difference_options o;
  o.estimator = mi::knn_entropy::weighted_kl;
  o.k = 12;
  try {
    mi::entropy_difference(x.leftCols(10).eval(), y, o);  // h(X,Y) at d = 20
    FAIL("expected a refusal");
  } catch (const refused_error& err) {
    CHECK(err.reasons()[0].code == "weight_variance");
    CHECK(err.reasons()[0].message.find("h(X,Y): ") == 0);
  }
  // The discrete-label estimator lets the class-wise refusal through.
  std::vector<int> labels(400);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % 2);
  CHECK_THROWS_AS(mi::mi_discrete_labels(
                      x, labels, [](const row_matrix<double>& m) { return entropy::weighted_kozachenko_leonenko(m); }),
                  refused_error);
  // d = 8, k = 6, n = 300: ||w|| = 13 < sqrt(300) = 17.3 but > 0.2 sqrt(n): a warning (measured sd
  // 0.4..0.7 nats against 0.12 for plain KL).
  row_matrix<double> mid(300, 8);
  for (index_t i = 0; i < mid.size(); ++i) mid.data()[i] = rng.normal();
  entropy::wkl_options six;
  six.k = 6;
  const auto warned = entropy::weighted_kozachenko_leonenko(mid, six);
  CHECK(warned.status == verdict_status::warning);
  CHECK(warned.has_reason("weight_variance"));
  // Home ground: d = 8, k = 80, n = 2000 is quiet.
  row_matrix<double> low(2000, 8);
  for (index_t i = 0; i < low.size(); ++i) low.data()[i] = rng.normal();
  entropy::wkl_options quiet;
  quiet.k = 80;
  const auto ok = entropy::weighted_kozachenko_leonenko(low, quiet);
  CHECK_FALSE(entropy::wkl_weight_variance_warned(ok.details.at("weight_norm"), 2000, 8));
  CHECK(ok.diagnostics.empty());
  CHECK(ok.ok());
  // restricted support at k <= d is the full support: same number, and it says so.
  entropy::wkl_options all8;
  all8.k = 8;
  entropy::wkl_options res8 = all8;
  res8.support = entropy::wkl_support::restricted;
  const auto a8 = entropy::weighted_kozachenko_leonenko(low, all8);
  const auto r8 = entropy::weighted_kozachenko_leonenko(low, res8);
  CHECK(a8.value == r8.value);
  CHECK(r8.settings.at("support").find("= all") != std::string::npos);
  res8.k = 40;  // k > d: a genuinely different support
  CHECK(entropy::weighted_kozachenko_leonenko(low, res8).settings.at("support") == "restricted");
}

// ================================ KSG ========================================================

TEST_CASE("KSG 1 and 2 equal a small independent reference (1e-9)") {
  for (const auto& [dx, dy] : {std::pair<index_t, index_t>{1, 1}, {2, 3}}) {
    row_matrix<double> x;
    row_matrix<double> y;
    gaussian_pairs(300, std::max(dx, dy), 0.7, 17, x, y);
    const row_matrix<double> xs = x.leftCols(dx);
    const row_matrix<double> ys = y.leftCols(dy);
    for (const index_t k : {1, 3, 5}) {
      mi::ksg_options opt;
      opt.preprocess.standardize = false;  // the reference works on the raw data
      opt.k = k;
      const double v1 = mi::ksg(xs, ys, opt).value;
      opt.variant = mi::ksg_variant::ksg2;
      const double v2 = mi::ksg(xs, ys, opt).value;
      const index_t x_dims = dx;  // C++17 lambdas (CAPTURE) cannot capture a structured binding
      CAPTURE(x_dims);
      CAPTURE(k);
      CHECK(std::abs(v1 - reference_ksg(xs, ys, k, 1)) < 1e-9);
      CHECK(std::abs(v2 - reference_ksg(xs, ys, k, 2)) < 1e-9);
      opt.search = neighbors::backend::brute_force;
      CHECK(std::abs(mi::ksg(xs, ys, opt).value - v2) < 1e-12);
    }
  }
}

TEST_CASE("KSG on correlated Gaussian pairs: 1x1, 2x2, 5x5") {
  // n = 4000, k = 3, seeds 31..33. KSG sd at this n is ~0.015-0.03 (Kraskov et al. Fig. 4);
  // its bias is small for weak dependence and negative for strong dependence in high
  // dimension. Tolerance 0.06 + 0.02 d per case.
  struct c {
    index_t d;
    double rho;
  };
  std::uint64_t seed = 31;
  for (const c cs : {c{1, 0.9}, c{2, 0.6}, c{5, 0.4}}) {
    row_matrix<double> x;
    row_matrix<double> y;
    gaussian_pairs(4000, cs.d, cs.rho, seed++, x, y);
    const double truth = pair_mi(cs.d, cs.rho);
    for (const auto v : {mi::ksg_variant::ksg1, mi::ksg_variant::ksg2}) {
      mi::ksg_options opt;
      opt.variant = v;
      const auto e = mi::ksg(x, y, opt);
      CAPTURE(cs.d);
      CAPTURE(e.value);
      CAPTURE(truth);
      CHECK(std::abs(e.value - truth) < 0.06 + 0.02 * static_cast<double>(cs.d));
      // The joint search: the 2-D grid for 1x1, the max-norm kd-tree above.
      CHECK(e.settings.at("search_algorithm") == (cs.d == 1 ? "grid_2d" : "kd_tree"));
    }
  }
}

TEST_CASE("KSG: invariances (row order, translation, invertible per-coordinate maps)") {
  row_matrix<double> x;
  row_matrix<double> y;
  gaussian_pairs(2000, 2, 0.7, 41, x, y);
  const double base = mi::ksg(x, y).value;
  // Reversing the rows permutes identical per-point terms: only the summation order changes.
  const row_matrix<double> xr = x.colwise().reverse();
  const row_matrix<double> yr = y.colwise().reverse();
  CHECK(std::abs(mi::ksg(xr, yr).value - base) < 1e-12);
  // Shift by a power of two: exact in floating point, so the distances are identical.
  const row_matrix<double> xs = (x.array() + 4.0).matrix();
  CHECK(std::abs(mi::ksg(xs, y).value - base) < 1e-12);
  // Monotone maps change distances but not the MI: 2x + sin x on x, y + 0.3 y^3 on y. The
  // truth is the same; the estimate moves by about its sampling sd (~0.03 at n = 2000; 0.033
  // observed): tolerance 0.1. (Heavy-tailed maps such as exp move KSG further: its bias depends
  // on the marginal shapes.)
  const row_matrix<double> fx = (2.0 * x.array() + x.array().sin()).matrix();
  const row_matrix<double> gy = (y.array() + 0.3 * y.array().cube()).matrix();
  CHECK(std::abs(mi::ksg(fx, gy).value - base) < 0.1);
  CHECK(std::abs(mi::ksg(fx, gy).value - pair_mi(2, 0.7)) < 0.15);
}

TEST_CASE("conditional MI (Frenzel-Pompe): reference and Gaussian truth") {
  // Slow reference on 200 points, 1e-9.
  random_engine rng(51);
  const index_t n_small = 200;
  row_matrix<double> x(n_small, 1), y(n_small, 1), z(n_small, 1);
  for (index_t i = 0; i < n_small; ++i) {
    z(i, 0) = rng.normal();
    x(i, 0) = z(i, 0) + rng.normal();
    y(i, 0) = z(i, 0) + 0.5 * x(i, 0) + rng.normal();
  }
  row_matrix<double> all(n_small, 3);
  all << x, y, z;
  const index_t k = 3;
  double acc = 0.0;
  for (index_t i = 0; i < n_small; ++i) {
    std::vector<double> d;
    for (index_t j = 0; j < n_small; ++j)
      if (j != i) d.push_back(cheb(all, i, j, 0, 3));
    std::sort(d.begin(), d.end());
    const double eps = d[k - 1];
    index_t nxz = 0, nyz = 0, nz = 0;
    for (index_t j = 0; j < n_small; ++j) {
      if (j == i) continue;
      const double dxv = std::abs(all(i, 0) - all(j, 0));
      const double dyv = std::abs(all(i, 1) - all(j, 1));
      const double dzv = std::abs(all(i, 2) - all(j, 2));
      nxz += std::max(dxv, dzv) < eps;
      nyz += std::max(dyv, dzv) < eps;
      nz += dzv < eps;
    }
    acc += digamma(static_cast<double>(nxz + 1)) + digamma(static_cast<double>(nyz + 1)) -
           digamma(static_cast<double>(nz + 1));
  }
  const double expected = digamma(3.0) - acc / static_cast<double>(n_small);
  mi::ksg_options raw;
  raw.preprocess.standardize = false;  // the reference works on the raw data
  CHECK(std::abs(mi::ksg_conditional(x, y, z, raw).value - expected) < 1e-9);

  // Gaussian truth: x = z + e1, y = z + 0.5 x + e2: given z, y = 0.5 x + noise with
  // Var(x|z) = 1, Var(e2) = 1: rho^2 = 0.25 / 1.25 = 0.2, I(X;Y|Z) = -0.5 log 0.8 = 0.1116.
  // n = 4000, seed 52, sd ~0.02: tolerance 0.06.
  random_engine g(52);
  const index_t n = 4000;
  row_matrix<double> X(n, 1), Y(n, 1), Z(n, 1);
  for (index_t i = 0; i < n; ++i) {
    Z(i, 0) = g.normal();
    X(i, 0) = Z(i, 0) + g.normal();
    Y(i, 0) = Z(i, 0) + 0.5 * X(i, 0) + g.normal();
  }
  CHECK(std::abs(mi::ksg_conditional(X, Y, Z).value - (-0.5 * std::log(0.8))) < 0.06);
  // And the chain x <- z -> y with independent noises: I(X;Y|Z) = 0 while I(X;Y) > 0.
  for (index_t i = 0; i < n; ++i) Y(i, 0) = Z(i, 0) + g.normal();
  CHECK(std::abs(mi::ksg_conditional(X, Y, Z).value) < 0.04);
  CHECK(mi::ksg(X, Y).value > 0.1);
  mi::ksg_options bad;
  bad.variant = mi::ksg_variant::ksg2;
  CHECK_THROWS_AS(mi::ksg_conditional(X, Y, Z, bad), infogeo::invalid_argument);
}

TEST_CASE("class_conditional_mi: sum_l p(l) I(X;Y|L=l), hand-computed weights and KSG truth") {
  // A stub estimator returning the class size and a std error of 1: total = sum_l (n_l/N) n_l.
  row_matrix<double> x(5, 1), y(5, 1);
  x << 1, 2, 3, 4, 5;
  y << 5, 4, 3, 2, 1;
  const std::vector<std::int64_t> labels{9, -2, 9, 9, -2};  // class -2: 2 rows, class 9: 3 rows
  const auto stub = [](const row_matrix<double>& xc, const row_matrix<double>&) {
    estimate e;
    e.value = static_cast<double>(xc.rows());
    e.std_error = 1.0;
    e.method = "stub";
    if (xc.rows() == 2) e.warn("small", "two rows", 2.0);
    return e;
  };
  const mi::class_conditional_result r = mi::class_conditional_mi(x, y, labels, stub);
  CHECK(r.classes == std::vector<std::int64_t>{-2, 9});
  CHECK(r.total.value == doctest::Approx(0.4 * 2 + 0.6 * 3).epsilon(1e-15));
  CHECK(*r.total.std_error == doctest::Approx(std::sqrt(0.16 + 0.36)).epsilon(1e-15));
  CHECK(r.total.method == "class_conditional(stub)");
  CHECK(r.total.status == verdict_status::warning);
  CHECK(r.total.reasons.at(0).message == "class -2: two rows");
  CHECK(r.per_class.at(1).value == 3.0);
  CHECK_THROWS_AS(mi::class_conditional_mi(x, y, std::vector<std::int64_t>{0, 1}, stub), infogeo::invalid_argument);

  // KSG within classes: rho 0.8 in class -1, independent in class 7, equal sizes:
  // I(X;Y|L) = 0.5 * (-0.5 log(1 - 0.64)) + 0.5 * 0 = 0.2554. n = 4000, seed 53: tolerance 0.05.
  random_engine g(53);
  const index_t n = 4000;
  row_matrix<double> X(n, 1), Y(n, 1);
  std::vector<std::int64_t> L(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const bool first = i % 2 == 0;
    L[static_cast<std::size_t>(i)] = first ? -1 : 7;
    X(i, 0) = g.normal();
    Y(i, 0) = first ? 0.8 * X(i, 0) + 0.6 * g.normal() : g.normal();
  }
  const auto ksg = [](const row_matrix<double>& a, const row_matrix<double>& b) { return mi::ksg(a, b); };
  const mi::class_conditional_result k = mi::class_conditional_mi(X, Y, L, ksg);
  CHECK(std::abs(k.total.value - 0.25 * -std::log(0.36)) < 0.05);
  CHECK(std::abs(k.per_class.at(1).value) < 0.05);
  // A class too small for k is named.
  std::vector<std::int64_t> one_small(L);
  one_small[0] = 42;
  CHECK_THROWS_WITH_AS(mi::class_conditional_mi(X, Y, one_small, ksg),
                       doctest::Contains("class 42 (1 rows): infogeo::mi::ksg(): "), infogeo::invalid_argument);
}

// ================================ divergence ==================================================

TEST_CASE("kNN KL divergence: slow reference and Gaussian truth") {
  random_engine rng(61);
  row_matrix<double> p(300, 2), q(250, 2);
  for (index_t i = 0; i < p.size(); ++i) p.data()[i] = rng.normal();
  for (index_t i = 0; i < q.size(); ++i) q.data()[i] = 0.5 + 1.5 * rng.normal();
  const index_t k = 2;
  double acc = 0.0;
  for (index_t i = 0; i < 300; ++i)
    acc += std::log(sorted_l2(p, i, q, false)[k - 1]) - std::log(sorted_l2(p, i, p, true)[k - 1]);
  const double expected = 2.0 * acc / 300.0 + std::log(250.0 / 299.0);
  entropy::divergence_options opt;
  opt.k = k;
  CHECK(std::abs(entropy::knn_kl_divergence(p, q, opt).value - expected) < 1e-10);

  // 1-D N(0,1) vs N(1, 2^2): D = log 2 + (1 + 1) / 8 - 1/2 = 0.4431. n = m = 5000, seed 62,
  // k = 3; sd ~ 0.02: tolerance 0.06.
  std::vector<double> a(5000), b(5000);
  for (auto& v : a) v = rng.normal();
  for (auto& v : b) v = 1.0 + 2.0 * rng.normal();
  opt.k = 3;
  CHECK(std::abs(entropy::knn_kl_divergence(a, b, opt).value - (std::log(2.0) + 0.25 - 0.5)) < 0.06);
  opt.preprocess.standardize = true;
  CHECK_THROWS_AS(entropy::knn_kl_divergence(a, b, opt), infogeo::invalid_argument);
}

// ================================ entropy difference / discrete ================================

TEST_CASE("MI as an entropy difference (KL and weighted KL)") {
  row_matrix<double> x;
  row_matrix<double> y;
  gaussian_pairs(4000, 2, 0.6, 71, x, y);
  const double truth = pair_mi(2, 0.6);
  mi::entropy_difference_options opt;
  opt.preprocess.standardize = false;  // the identity below is on the raw data
  const auto kl = mi::entropy_difference(x, y, opt);
  // Identity with the three separate estimates (exact).
  entropy::kl_options ko;
  row_matrix<double> joint(4000, 4);
  joint << x, y;
  CHECK(std::abs(kl.value - (entropy::kozachenko_leonenko(x, ko).value + entropy::kozachenko_leonenko(y, ko).value -
                             entropy::kozachenko_leonenko(joint, ko).value)) < 1e-12);
  // Entropy biases do not cancel as in KSG: tolerance 0.1 at n = 4000 (sd ~0.03).
  CHECK(std::abs(kl.value - truth) < 0.1);
  opt.estimator = mi::knn_entropy::weighted_kl;
  opt.k = 8;
  CHECK(std::abs(mi::entropy_difference(x, y, opt).value - truth) < 0.1);
}

TEST_CASE("MI with discrete labels: h(X) - sum p(y) h(X|y), any entropy callable") {
  // Three classes N(0,1), N(30,1), N(60,1) in 2-D with probabilities 0.5/0.3/0.2: the classes
  // do not overlap, so I = H(Y) = -sum p log p = 1.0297. n = 3000, seed 81. h(X) of the mixture
  // is estimated with local KL bias ~0.01: tolerance 0.05.
  random_engine rng(81);
  const index_t n = 3000;
  row_matrix<double> x(n, 2);
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const double u = rng.uniform();
    const int c = u < 0.5 ? 0 : (u < 0.8 ? 1 : 2);
    labels[static_cast<std::size_t>(i)] = c;
    x(i, 0) = 30.0 * c + rng.normal();
    x(i, 1) = rng.normal();
  }
  std::vector<double> counts(3, 0.0);
  for (int c : labels) counts[static_cast<std::size_t>(c)] += 1.0;
  double hy = 0.0;
  for (double cnt : counts) hy -= cnt / n * std::log(cnt / n);
  auto kl = [](const row_matrix<double>& m) { return entropy::kozachenko_leonenko(m); };
  const auto e = mi::mi_discrete_labels(x, labels, kl);
  CHECK(std::abs(e.value - hy) < 0.05);
  // A callable returning a plain double works too, and gives the same number.
  auto kl_value = [](const row_matrix<double>& m) { return entropy::kozachenko_leonenko(m).value; };
  CHECK(mi::mi_discrete_labels(x, labels, kl_value).value == e.value);
  // Independent labels: I ~ 0 (tolerance 0.05: three class entropies each with sd ~0.02).
  std::vector<int> shuffled = labels;
  rng.shuffle(shuffled);
  CHECK(std::abs(mi::mi_discrete_labels(x, shuffled, kl).value) < 0.05);
  // A class too small for k: the error names the class.
  labels[0] = 5;
  try {
    mi::mi_discrete_labels(x, labels, kl);
    FAIL("expected an error");
  } catch (const infogeo::invalid_argument& err) {
    CHECK(std::string(err.what()).find("class 5") != std::string::npos);
  }
  std::vector<int> short_labels(10, 0);
  CHECK_THROWS_AS(mi::mi_discrete_labels(x, short_labels, kl), infogeo::invalid_argument);
}

// ================================ threads, ties, bad input ===================================

TEST_CASE("estimates are bit-identical with 1 and many threads") {
#ifdef _OPENMP
  row_matrix<double> x;
  row_matrix<double> y;
  gaussian_pairs(3000, 3, 0.5, 91, x, y);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const double k1 = mi::ksg(x, y).value;
  const double h1 = entropy::kozachenko_leonenko(x).value;
  omp_set_num_threads(4);
  const double k4 = mi::ksg(x, y).value;
  const double h4 = entropy::kozachenko_leonenko(x).value;
  omp_set_num_threads(saved);
  CHECK(k1 == k4);
  CHECK(h1 == h4);
#else
  MESSAGE("built without OpenMP");
#endif
}

TEST_CASE("duplicates: default error naming the count; seeded jitter is reported") {
  random_engine rng(101);
  // Continuous rows plus 3 exact duplicates: 3/503 tied rows per column stay under the 1%
  // discrete-column threshold, so this reaches the duplicate-row check.
  row_matrix<double> c(503, 2);
  for (index_t i = 0; i < 500 * 2; ++i) c.data()[i] = rng.normal();
  for (index_t i = 500; i < 503; ++i) c.row(i) = c.row(i - 500);
  try {
    entropy::kozachenko_leonenko(c);
    FAIL("expected an error");
  } catch (const infogeo::invalid_argument& err) {
    const std::string msg = err.what();
    CHECK(msg.find("coincide") != std::string::npos);
    CHECK(msg.find("duplicates=") != std::string::npos);
  }
  CHECK_THROWS_AS(mi::ksg(c, c), infogeo::invalid_argument);
  // Rounded data (95% of each column ties): no density -> refused without jitter.
  row_matrix<double> x(500, 2);
  for (index_t i = 0; i < x.size(); ++i) x.data()[i] = std::round(4.0 * rng.normal()) / 4.0;  // ties
  try {
    entropy::kozachenko_leonenko(x);
    FAIL("expected a refusal");
  } catch (const refused_error& err) {
    CHECK(err.reasons()[0].code == "discrete_columns");
  }
  entropy::kl_options opt;
  opt.preprocess.jitter = 1e-6;
  opt.preprocess.seed = 5;
  // Jittered, the 2-D sample sits in tiny clouds around ~100 grid points: at the neighbour scale it
  // looks 0-dimensional (TwoNN ~0.3), and the entropy is refused on that ground.
  CHECK_THROWS_AS(entropy::kozachenko_leonenko(x, opt), refused_error);
  // In 1-D the dimension check does not apply: the jittered value is returned, reproducibly, and
  // flagged because it measures the jitter (it drops by ~log 10 per tied point at a tenth of it).
  const row_matrix<double> x1 = x.leftCols(1);
  const auto a = entropy::kozachenko_leonenko(x1, opt);
  const auto b = entropy::kozachenko_leonenko(x1, opt);
  CHECK(a.value == b.value);
  CHECK(std::isfinite(a.value));
  CHECK(a.settings.at("ties") == "jitter");
  CHECK(a.parameters.at("jitter") == 1e-6);
  CHECK(a.details.at("duplicate_rows") > 0);
  CHECK(a.has_reason("jitter_sensitive"));
  CHECK(a.details.at("value_at_jitter_tenth") < a.value - 1.0);
  mi::ksg_options ko;
  ko.preprocess.jitter = 1e-8;
  row_matrix<double> yj = x;
  const auto m = mi::ksg(x, yj, ko);
  CHECK(std::isfinite(m.value));
  CHECK(m.has_reason("discrete_columns"));
}

TEST_CASE("standardisation is recorded; MI unchanged by rescaling a column") {
  row_matrix<double> x;
  row_matrix<double> y;
  gaussian_pairs(2000, 2, 0.6, 111, x, y);
  mi::ksg_options opt;
  opt.preprocess.standardize = true;
  const auto a = mi::ksg(x, y, opt);
  row_matrix<double> x2 = x;
  x2.col(0) *= 1000.0;
  const auto b = mi::ksg(x2, y, opt);
  // Standardised inputs agree to rounding; a count can flip only if a distance lands exactly
  // on a radius, changing one term by <= 1/n: tolerance 1e-3.
  CHECK(std::abs(a.value - b.value) < 1e-3);
  CHECK(a.settings.at("standardize") != "off");
  // MI standardises by default (the 1e-4-scaled Y gave 0.0056 instead of 0.8).
  CHECK(mi::ksg(x2, y).value == b.value);
  // Without standardisation the 1000x column dominates the max norm and the estimate moves.
  mi::ksg_options raw;
  raw.preprocess.standardize = false;
  CHECK(std::abs(mi::ksg(x2, y, raw).value - a.value) > 0.05);
  CHECK(mi::ksg(x2, y, raw).settings.at("standardize") == "off");
  entropy::kl_options ko;
  ko.preprocess.standardize = true;
  const auto h = entropy::kozachenko_leonenko(x, ko);
  CHECK(std::abs(h.details.at("sum_log_sd") - (std::log(std::sqrt((x.col(0).array() - x.col(0).mean()).square().mean())) +
                                               std::log(std::sqrt((x.col(1).array() - x.col(1).mean()).square().mean())))) < 1e-12);
  // The value is h(X), not that of the standardised data: columns with sd 10 and 0.01 (h = log(2 pi e) +
  // log 10 + log 0.01 = 0.535, session 15's red team read 2.84 = h of a standard normal before).
  random_engine rng(733);
  row_matrix<double> scaled(3000, 2);
  for (index_t i = 0; i < scaled.rows(); ++i) {
    scaled(i, 0) = 10.0 * rng.normal();
    scaled(i, 1) = 0.01 * rng.normal();
  }
  const double truth = std::log(2.0 * pi * std::exp(1.0)) + std::log(10.0) + std::log(0.01);
  CHECK(std::abs(entropy::kozachenko_leonenko(scaled, ko).value - truth) < 0.1);
  entropy::wkl_options wo;
  wo.preprocess.standardize = true;
  CHECK(std::abs(entropy::weighted_kozachenko_leonenko(scaled, wo).value - truth) < 0.1);
}

TEST_CASE("bad input: each case throws infogeo::invalid_argument") {
  row_matrix<double> x;
  row_matrix<double> y;
  gaussian_pairs(50, 2, 0.5, 121, x, y);
  entropy::kl_options ko;
  ko.k = 50;  // k >= n
  CHECK_THROWS_AS(entropy::kozachenko_leonenko(x, ko), infogeo::invalid_argument);
  ko.k = 0;
  CHECK_THROWS_AS(entropy::kozachenko_leonenko(x, ko), infogeo::invalid_argument);
  const row_matrix<double> one = x.topRows(1);  // n < 2
  CHECK_THROWS_AS(entropy::kozachenko_leonenko(one), infogeo::invalid_argument);
  const row_matrix<double> no_cols(50, 0);  // D = 0
  CHECK_THROWS_AS(entropy::kozachenko_leonenko(no_cols), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::ksg(no_cols, y), infogeo::invalid_argument);
  row_matrix<double> nan = x;
  nan(3, 1) = std::nan("");
  CHECK_THROWS_AS(entropy::kozachenko_leonenko(nan), infogeo::invalid_argument);
  CHECK_THROWS_AS(entropy::weighted_kozachenko_leonenko(nan), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::ksg(nan, y), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::entropy_difference(x, nan), infogeo::invalid_argument);
  const row_matrix<double> fewer = y.topRows(40);  // mismatched rows
  CHECK_THROWS_AS(mi::ksg(x, fewer), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::entropy_difference(x, fewer), infogeo::invalid_argument);
  CHECK_THROWS_AS(mi::ksg_conditional(x, y, fewer), infogeo::invalid_argument);
  mi::ksg_options mo;
  mo.k = 50;
  CHECK_THROWS_AS(mi::ksg(x, y, mo), infogeo::invalid_argument);
  mo.k = 0;
  CHECK_THROWS_AS(mi::ksg(x, y, mo), infogeo::invalid_argument);
  entropy::wkl_options wo;
  wo.k = 2;  // too small for d = 8 constraints
  const row_matrix<double> wide = row_matrix<double>::Random(50, 8);
  CHECK_THROWS_AS(entropy::weighted_kozachenko_leonenko(wide, wo), infogeo::invalid_argument);
  entropy::divergence_options dopt;
  dopt.k = 51;
  CHECK_THROWS_AS(entropy::knn_kl_divergence(x, y, dopt), infogeo::invalid_argument);
  const row_matrix<double> three = row_matrix<double>::Random(20, 3);
  CHECK_THROWS_AS(entropy::knn_kl_divergence(x, three), infogeo::invalid_argument);  // dims differ
  try {
    mi::ksg(x, fewer);
  } catch (const infogeo::invalid_argument& err) {
    CHECK(std::string(err.what()).find("x rows=50") != std::string::npos);
  }
}
