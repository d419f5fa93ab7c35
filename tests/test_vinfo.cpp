// Tests for include/infogeo/vinfo/: the linear softmax family against its optimality conditions
// and a finite-difference gradient, sufficiency against the exact Bayes posterior of Gaussian
// classes (which the linear family contains), independent labels, affine invariance, XOR (linear
// ~0, MLP ~log 2), minimality at its extremes, determinism, verdicts and bad input.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/vinfo.hpp"

using namespace infogeo;
using namespace infogeo::vinfo;

namespace {

/// C Gaussian classes N(mu_c, I) in D dims with equal priors; mu_c = `scale` * e_c (c < D).
struct gaussian_classes {
  row_matrix<double> x;
  std::vector<std::int64_t> y;
};

gaussian_classes make_gaussian_classes(index_t n, index_t d, int c, double scale, std::uint64_t seed) {
  random_engine rng(seed);
  gaussian_classes g;
  g.x.resize(n, d);
  g.y.resize(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::int64_t>(rng.uniform_index(static_cast<std::uint64_t>(c)));
    g.y[static_cast<std::size_t>(i)] = label;
    for (index_t j = 0; j < d; ++j) g.x(i, j) = rng.normal() + (j == label ? scale : 0.0);
  }
  return g;
}

/// I(h; y) = log C - E[-log p(y | h)] for those classes, from the exact posterior
/// p(y = c | h) = softmax_c(scale * h_c - scale^2 / 2) on an independent sample of m points.
double exact_gaussian_classes_mi(index_t d, int c, double scale, index_t m, std::uint64_t seed) {
  const gaussian_classes g = make_gaussian_classes(m, d, c, scale, seed);
  double ce = 0.0;
  std::vector<double> z(static_cast<std::size_t>(c));
  for (index_t i = 0; i < m; ++i) {
    double mx = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < c; ++k) {
      z[static_cast<std::size_t>(k)] = scale * g.x(i, k) - 0.5 * scale * scale;
      mx = std::max(mx, z[static_cast<std::size_t>(k)]);
    }
    double s = 0.0;
    for (int k = 0; k < c; ++k) s += std::exp(z[static_cast<std::size_t>(k)] - mx);
    ce += mx + std::log(s) - z[static_cast<std::size_t>(g.y[static_cast<std::size_t>(i)])];
  }
  return std::log(static_cast<double>(c)) - ce / static_cast<double>(m);
}

/// Mean CE + l2/2 ||W||^2 of theta, straight from the definition (slow, obviously correct).
double reference_objective(const row_matrix<double>& x, const std::vector<std::int64_t>& y, const Eigen::MatrixXd& theta,
                           double l2) {
  const index_t d = x.cols();
  double ce = 0.0;
  for (index_t i = 0; i < x.rows(); ++i) {
    std::vector<double> z(static_cast<std::size_t>(theta.cols()));
    double mx = -1e300;
    for (index_t k = 0; k < theta.cols(); ++k) {
      double v = theta(d, k);
      for (index_t j = 0; j < d; ++j) v += x(i, j) * theta(j, k);
      z[static_cast<std::size_t>(k)] = v;
      mx = std::max(mx, v);
    }
    double s = 0.0;
    for (double v : z) s += std::exp(v - mx);
    ce += mx + std::log(s) - z[static_cast<std::size_t>(y[static_cast<std::size_t>(i)])];
  }
  return ce / static_cast<double>(x.rows()) + 0.5 * l2 * theta.topRows(d).squaredNorm();
}

}  // namespace

TEST_CASE("linear softmax: the fit satisfies the optimality conditions of its objective") {
  const gaussian_classes g = make_gaussian_classes(600, 4, 3, 1.5, 11);
  linear_softmax_options o;
  o.l2 = 1e-2;
  const linear_softmax_family family(o);
  const auto fitted = family.fit(view_of(g.x), g.y, 3);
  CHECK(fitted.report().converged);
  CHECK(fitted.report().gradient_norm <= o.gradient_tolerance);
  const Eigen::MatrixXd theta = fitted.coefficients();
  const double j0 = reference_objective(g.x, g.y, theta, o.l2);
  // The reported objective and CE agree with the definition (rounding only).
  CHECK(std::abs(fitted.report().objective - j0) < 1e-12);
  CHECK(std::abs(mean_cross_entropy(fitted, view_of(g.x), g.y) - fitted.report().train_cross_entropy) < 1e-12);
  // Central differences of the reference objective vanish at the optimum: |dJ| <= tol + O(h^2).
  const double h = 1e-5;
  for (index_t r = 0; r < theta.rows(); ++r)
    for (index_t k = 0; k < theta.cols(); ++k) {
      Eigen::MatrixXd tp = theta, tm = theta;
      tp(r, k) += h;
      tm(r, k) -= h;
      const double fd = (reference_objective(g.x, g.y, tp, o.l2) - reference_objective(g.x, g.y, tm, o.l2)) / (2 * h);
      CHECK(std::abs(fd) < 1e-5);
    }
  // And no random perturbation lowers the objective (convexity: the optimum is global).
  random_engine rng(3);
  for (int t = 0; t < 20; ++t) {
    Eigen::MatrixXd tp = theta;
    for (index_t q = 0; q < tp.size(); ++q) tp.data()[q] += 1e-3 * rng.normal();
    CHECK(reference_objective(g.x, g.y, tp, o.l2) >= j0 - 1e-12);
  }
  // Log-probabilities are normalised.
  const row_matrix<double> lp = fitted.log_probabilities(view_of(g.x));
  for (index_t i = 0; i < 10; ++i) CHECK(std::abs(lp.row(i).array().exp().sum() - 1.0) < 1e-12);
}

TEST_CASE("sufficiency of Gaussian classes converges to I(h; y) from the exact Bayes posterior") {
  // Shared identity covariance, equal priors: the posterior is a softmax of an affine map of h, so
  // the linear family contains it and H_V(y | h) = H(y | h). Truth from 400k independent draws
  // (standard error ~0.001). Held-out estimate: N = 8000, 5 folds, standard error of the held-out
  // mean CE ~ sd(-log p) / sqrt(N) ~ 0.7 / 89 ~ 0.008, overfitting bias (D+1)(C-1)/(2 N_train) ~
  // 0.0008, l2 bias negligible: tolerance 0.035 (> 4 standard errors). The empirical label entropy
  // differs from log C by O(C / N).
  const index_t d = 3;
  const int c = 3;
  const double scale = 1.8;
  const double truth = exact_gaussian_classes_mi(d, c, scale, 400000, 99);
  CHECK(truth > 0.4);
  CHECK(truth < 0.8);
  const gaussian_classes g = make_gaussian_classes(8000, d, c, scale, 5);
  sufficiency_options so;
  so.folds = 5;
  so.seed = 7;
  const auto r = sufficiency(view_of(g.x), g.y, linear_softmax_family(), so);
  CHECK(std::abs(r.value - truth) < 0.035);
  CHECK(r.value_train >= r.value);  // in-sample is optimistic
  CHECK(std::abs(r.value_train - r.value) < 0.01);
  CHECK(std::abs(r.label_entropy - std::log(3.0)) < 0.01);
  CHECK(r.ok());  // home ground: converged, no overfitting
  CHECK(r.fits.size() == 5);
  CHECK(r.protocol == "kfold");
  CHECK(std::abs(r.bits() - r.value / std::log(2.0)) < 1e-15);
  // Hold-out protocol: same truth, larger standard error (N_test = 2000: ~0.016): tolerance 0.07.
  sufficiency_options ho;
  ho.test_fraction = 0.25;
  const auto rh = sufficiency(view_of(g.x), g.y, linear_softmax_family(), ho);
  CHECK(rh.protocol == "holdout");
  CHECK(std::abs(rh.value - truth) < 0.07);
}

TEST_CASE("sufficiency of labels independent of h is about 0, never far below") {
  // y independent of h: H_V(y | h) >= H(y) in expectation; held-out excess ~ (D+1)(C-1)/(2 N_train)
  // = 18/6400 ~ 0.003 plus sampling noise ~0.01: |value| < 0.03.
  random_engine rng(21);
  row_matrix<double> x(4000, 5);
  std::vector<std::int64_t> y(4000);
  for (index_t i = 0; i < x.rows(); ++i) {
    for (index_t j = 0; j < 5; ++j) x(i, j) = rng.normal();
    y[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(rng.uniform_index(4));
  }
  sufficiency_options so;
  so.folds = 5;
  const auto r = sufficiency(view_of(x), y, linear_softmax_family(), so);
  CHECK(std::abs(r.value) < 0.03);
  CHECK(r.value_train >= 0.0);  // in-sample never below 0: the constant predictor is in the family
  CHECK(r.ok());
}

TEST_CASE("the linear family is invariant under invertible affine maps of h (l2 = 0)") {
  const gaussian_classes g = make_gaussian_classes(3000, 4, 3, 1.0, 31);
  Eigen::MatrixXd a(4, 4);
  a << 2.0, 0.3, -1.0, 0.0,   //
      0.0, 0.5, 0.2, 1.0,     //
      1.0, 0.0, 3.0, -0.4,    //
      -0.2, 1.1, 0.0, 0.7;
  row_matrix<double> z = g.x * a;
  z.rowwise() += Eigen::RowVector4d(100.0, -50.0, 7.0, 1e3);
  linear_softmax_options o;
  o.l2 = 0.0;
  o.gradient_tolerance = 1e-9;
  sufficiency_options so;
  so.folds = 3;
  const auto r1 = sufficiency(view_of(g.x), g.y, linear_softmax_family(o), so);
  const auto r2 = sufficiency(view_of(z), g.y, linear_softmax_family(o), so);
  CHECK(r1.ok());
  CHECK(r2.ok());
  // Same optimum in logit space: agreement to optimiser tolerance (not sampling noise).
  CHECK(std::abs(r1.value - r2.value) < 1e-6);
  CHECK(std::abs(r1.value_train - r2.value_train) < 1e-6);
}

TEST_CASE("minimality: maximal for a representation that encodes the digits, ~0 for class-only") {
  // C = 3, classes of 81 = 3^4 samples: N_D = 4 digits, each uniform within its class (entropy
  // log 3). h_digits holds a one-hot code of every digit of the within-class index (12 dims): the
  // linear family reads each digit exactly, so in-sample CE -> 0 up to the l2 = 1e-4 penalty; we
  // ask for > 95 % of log 3. h_class holds the class one-hot plus one N(0, 1) column: within a
  // class the only variation is 1-D noise, from which a 3-way softmax fits ~ (C-1)/(2 n_c) ~ 0.012
  // nats in-sample; we ask < 0.05.
  const int c = 3;
  const int per = 81;
  random_engine rng(41);
  std::vector<std::int64_t> y;
  for (int i = 0; i < per; ++i)
    for (int k = 0; k < c; ++k) y.push_back(k);  // interleaved classes: within-class index = i
  const index_t n = static_cast<index_t>(y.size());
  row_matrix<double> h_digits = row_matrix<double>::Zero(n, 12);
  row_matrix<double> h_class = row_matrix<double>::Zero(n, 4);
  for (index_t r = 0; r < n; ++r) {
    const int j = static_cast<int>(r) / c;
    int rest = j;
    for (int d = 0; d < 4; ++d, rest /= 3) h_digits(r, 3 * d + rest % 3) = 1.0;
    h_class(r, y[static_cast<std::size_t>(r)]) = 1.0;
    h_class(r, 3) = rng.normal();
  }
  const auto hi = minimality(view_of(h_digits), y, linear_softmax_family());
  CHECK(hi.digits == 4);
  CHECK(hi.cells.size() == 12);
  CHECK(hi.value > 0.95 * std::log(3.0));
  CHECK(hi.value <= std::log(3.0) + 1e-12);
  for (const auto& cell : hi.cells) {
    CHECK(cell.fitted);
    CHECK(std::abs(cell.digit_entropy - std::log(3.0)) < 1e-12);
  }
  CHECK(hi.ok());
  const auto lo = minimality(view_of(h_class), y, linear_softmax_family());
  CHECK(lo.value >= -1e-9);
  CHECK(lo.value < 0.05);
  CHECK(lo.ok());
  // The average is the mean over classes of the mean over digits, and per_digit agrees.
  double by_class = 0.0, by_digit = 0.0;
  for (double v : lo.per_class) by_class += v / c;
  for (double v : lo.per_digit) by_digit += v / 4;
  CHECK(std::abs(by_class - lo.value) < 1e-12);
  CHECK(std::abs(by_digit - lo.value) < 1e-12);
}

TEST_CASE("minimality with imbalanced classes: constant high digits count 0, per-class values") {
  // Classes of 30, 9 and 2 samples, C = 3: N_D = ceil(log_3 30) = 4. Class 1 (9 samples) has
  // digits 2 and 3 constant; class 2 (2 samples) has digits 1-3 constant: those cells are not fitted.
  random_engine rng(5);
  std::vector<std::int64_t> y;
  for (int i = 0; i < 30; ++i) y.push_back(0);
  for (int i = 0; i < 9; ++i) y.push_back(1);
  for (int i = 0; i < 2; ++i) y.push_back(2);
  row_matrix<double> x(static_cast<index_t>(y.size()), 3);
  for (index_t i = 0; i < x.rows(); ++i)
    for (index_t j = 0; j < 3; ++j) x(i, j) = rng.normal();
  const auto r = minimality(view_of(x), y, linear_softmax_family());
  REQUIRE(r.digits == 4);
  REQUIRE(r.cells.size() == 12);
  CHECK(r.cells[0 * 4 + 3].fitted);    // class 0 digit 3: indices 27-29 -> values 0, 1 (distinct 2)
  CHECK(r.cells[0 * 4 + 3].distinct == 2);
  CHECK(!r.cells[1 * 4 + 2].fitted);
  CHECK(!r.cells[2 * 4 + 1].fitted);
  CHECK(r.cells[2 * 4 + 0].fitted);    // two samples, digit 0 = 0, 1
  for (const auto& cell : r.cells) {
    CHECK(cell.value >= -1e-9);
    CHECK(cell.value <= cell.digit_entropy + 1e-12);
  }
  CHECK(r.per_class.size() == 3);
  CHECK(r.labels == std::vector<std::int64_t>{0, 1, 2});
}

TEST_CASE("V-information is deterministic for a seed") {
  const gaussian_classes g = make_gaussian_classes(500, 3, 3, 1.0, 8);
  sufficiency_options so;
  so.seed = 12;
  const auto a = sufficiency(view_of(g.x), g.y, linear_softmax_family(), so);
  const auto b = sufficiency(view_of(g.x), g.y, linear_softmax_family(), so);
  CHECK(a.value == b.value);
  CHECK(a.value_train == b.value_train);
  so.seed = 13;
  const auto c = sufficiency(view_of(g.x), g.y, linear_softmax_family(), so);
  CHECK(c.value != a.value);  // another split
}

TEST_CASE("V-information verdicts: overfitting and an iteration cap fire; home ground stays silent") {
  // D = 60 noise dimensions, 100 samples, 2 classes, l2 = 0: the training split is separable, the
  // train CE -> ~0 while held-out CE is large.
  random_engine rng(17);
  row_matrix<double> x(100, 60);
  std::vector<std::int64_t> y(100);
  for (index_t i = 0; i < 100; ++i) {
    for (index_t j = 0; j < 60; ++j) x(i, j) = rng.normal();
    y[static_cast<std::size_t>(i)] = i % 2;
  }
  linear_softmax_options o;
  o.l2 = 1e-3;
  const auto r = sufficiency(view_of(x), y, linear_softmax_family(o));
  CHECK(r.has_reason("decoder_overfit"));
  CHECK(r.status == verdict_status::warning);
  linear_softmax_options capped;
  capped.max_iterations = 2;
  const gaussian_classes g = make_gaussian_classes(2000, 3, 3, 1.0, 8);
  const auto rc = sufficiency(view_of(g.x), g.y, linear_softmax_family(capped));
  CHECK(rc.has_reason("decoder_not_converged"));
  const auto rm = minimality(view_of(g.x), g.y, linear_softmax_family(capped));
  CHECK(rm.has_reason("decoder_not_converged"));
  const auto ok = sufficiency(view_of(g.x), g.y, linear_softmax_family());
  CHECK(ok.ok());
}

TEST_CASE("V-information rejects bad input with the argument and value") {
  const gaussian_classes g = make_gaussian_classes(40, 2, 2, 1.0, 1);
  const linear_softmax_family lin;
  std::vector<std::int64_t> short_y(g.y.begin(), g.y.end() - 1);
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), short_y, lin), doctest::Contains("same number of rows"),
                       infogeo::invalid_argument);
  std::vector<std::int64_t> one_class(g.y.size(), 3);
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), one_class, lin), doctest::Contains("at least 2 classes"),
                       infogeo::invalid_argument);
  CHECK_THROWS_AS(minimality(view_of(g.x), one_class, lin), infogeo::invalid_argument);
  std::vector<std::int64_t> small = g.y;
  small[0] = 5;  // label 5 has one sample
  sufficiency_options folds;
  folds.folds = 5;
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), small, lin, folds), doctest::Contains("label 5 has 1"),
                       infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), small, lin), doctest::Contains("at least 2 samples"),
                       infogeo::invalid_argument);
  row_matrix<double> nan = g.x;
  nan(3, 1) = std::nan("");
  CHECK_THROWS_WITH_AS(sufficiency(view_of(nan), g.y, lin), doctest::Contains("non-finite"), infogeo::invalid_argument);
  CHECK_THROWS_AS(minimality(view_of(nan), g.y, lin), infogeo::invalid_argument);
  std::vector<std::int64_t> negative = g.y;
  negative[2] = -1;
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), negative, lin), doctest::Contains("non-negative"),
                       infogeo::invalid_argument);
  sufficiency_options bad;
  bad.folds = 1;
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), g.y, lin, bad), doctest::Contains("folds=1"), infogeo::invalid_argument);
  bad.folds = 0;
  bad.test_fraction = 1.0;
  CHECK_THROWS_WITH_AS(sufficiency(view_of(g.x), g.y, lin, bad), doctest::Contains("test_fraction=1"),
                       infogeo::invalid_argument);
  linear_softmax_options lo;
  lo.l2 = -1.0;
  CHECK_THROWS_WITH_AS(linear_softmax_family{lo}, doctest::Contains("l2=-1"), infogeo::invalid_argument);
  lo = {};
  lo.max_iterations = 0;
  CHECK_THROWS_AS(linear_softmax_family{lo}, infogeo::invalid_argument);
  lo = {};
  lo.gradient_tolerance = std::nan("");
  CHECK_THROWS_AS(linear_softmax_family{lo}, infogeo::invalid_argument);
  const auto fitted = lin.fit(view_of(g.x), g.y, 2);
  row_matrix<double> wrong(3, 5);
  wrong.setZero();
  CHECK_THROWS_WITH_AS(fitted.log_probabilities(view_of(wrong)), doctest::Contains("input dimension"),
                       infogeo::invalid_argument);
}

namespace {
/// XOR layout: four clusters N((+-1, +-1), 0.15^2 I), y = [h_0 > 0] xor [h_1 > 0]. Every class
/// mean is 0 and the classes are linearly inseparable, so the linear family can do no better than
/// the constant predictor (I_V = 0 up to O(1/N)), while a Bayes error of P(|N(0, 0.15^2)| > 1) ~ 1e-11
/// makes I(h; y) = log 2 - ~0, which an MLP can reach.
gaussian_classes make_xor(index_t n, std::uint64_t seed) {
  random_engine rng(seed);
  gaussian_classes g;
  g.x.resize(n, 2);
  g.y.resize(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const int a = static_cast<int>(rng.uniform_index(2)), b = static_cast<int>(rng.uniform_index(2));
    g.x(i, 0) = (a ? 1.0 : -1.0) + 0.15 * rng.normal();
    g.x(i, 1) = (b ? 1.0 : -1.0) + 0.15 * rng.normal();
    g.y[static_cast<std::size_t>(i)] = a ^ b;
  }
  return g;
}

mlp_decoder_options small_mlp() {
  mlp_decoder_options o;
  o.hidden = {16, 16};
  o.activation = mi::mlp_activation::tanh;
  o.learning_rate = 1e-2;
  o.batch_size = 64;
  return o;
}
}  // namespace

TEST_CASE("XOR: the linear family extracts ~0 nats, an MLP ~log 2") {
  const gaussian_classes g = make_xor(2000, 77);
  sufficiency_options so;
  so.seed = 4;
  const auto lin = sufficiency(view_of(g.x), g.y, linear_softmax_family(), so);
  // Held-out: the linear family's excess over the constant predictor is ~ 3/(2 * 1500) plus
  // sampling noise of the 500 test points (~0.005): |value| < 0.02.
  CHECK(std::abs(lin.value) < 0.02);
  const auto mlp = sufficiency(view_of(g.x), g.y, mlp_decoder_family(small_mlp()), so);
  // The MLP reaches held-out CE < 0.05 nats on this easy layout (observed ~0.01).
  CHECK(mlp.value > std::log(2.0) - 0.05);
  CHECK(mlp.value <= mlp.label_entropy + 1e-12);
  CHECK(mlp.fits.front().converged);
  CHECK(std::isfinite(mlp.fits.front().validation_cross_entropy));
  CHECK(mlp.decoder == "mlp");
}

TEST_CASE("MLP family: deterministic for a seed, AdamW, in-sample purpose, bad options") {
  const gaussian_classes g = make_xor(600, 78);
  mlp_decoder_options o = small_mlp();
  o.weight_decay = 1e-2;
  o.max_epochs = 30;
  const mlp_decoder_family family(o);
  decoder_fit_context ctx;
  ctx.seed = 9;
  const auto a = family.fit(view_of(g.x), g.y, 2, ctx);
  const auto b = family.fit(view_of(g.x), g.y, 2, ctx);
  CHECK(a.network().parameters() == b.network().parameters());
  ctx.seed = 10;
  const auto c = family.fit(view_of(g.x), g.y, 2, ctx);
  CHECK(a.network().parameters() != c.network().parameters());
  ctx.purpose = fit_purpose::in_sample;
  const auto d = family.fit(view_of(g.x), g.y, 2, ctx);
  CHECK(std::isnan(d.report().validation_cross_entropy));  // no hold-out in-sample
  CHECK(std::abs(mean_cross_entropy(d, view_of(g.x), g.y) - d.report().train_cross_entropy) < 1e-12);
  const auto lp = a.log_probabilities(view_of(g.x));
  for (index_t i = 0; i < 5; ++i) CHECK(std::abs(lp.row(i).array().exp().sum() - 1.0) < 1e-12);

  mlp_decoder_options bad;
  bad.hidden = {8, 0};
  CHECK_THROWS_WITH_AS(mlp_decoder_family{bad}, doctest::Contains("hidden[1]=0"), infogeo::invalid_argument);
  bad = {};
  bad.learning_rate = 0.0;
  CHECK_THROWS_WITH_AS(mlp_decoder_family{bad}, doctest::Contains("learning_rate=0"), infogeo::invalid_argument);
  bad = {};
  bad.weight_decay = -1.0;
  CHECK_THROWS_AS(mlp_decoder_family{bad}, infogeo::invalid_argument);
  bad = {};
  bad.validation_fraction = 1.0;
  CHECK_THROWS_AS(mlp_decoder_family{bad}, infogeo::invalid_argument);
  bad = {};
  bad.batch_size = 0;
  CHECK_THROWS_AS(mlp_decoder_family{bad}, infogeo::invalid_argument);
}

namespace {
/// A synthetic stack of layers in the spirit of the thesis's Fig. 3.5: layer 0 is a wide noisy
/// input (class signal in 3 of 40 dims, plus 37 dims of sample-specific noise a linear decoder can
/// use to memorise relabellings); layer 1 keeps the 3 class dims and 5 noise dims; layer 2 keeps
/// only the 3 class dims, scaled and pulled apart by class (a collapsed representation). Sufficiency stays high (the class
/// information is kept), minimality drops with depth (less sample-specific information).
std::vector<row_matrix<double>> synthetic_stack(const std::vector<std::int64_t>& y, std::uint64_t seed) {
  random_engine rng(seed);
  const auto n = static_cast<index_t>(y.size());
  row_matrix<double> h0(n, 40), h1(n, 8), h2(n, 3);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < 40; ++j) h0(i, j) = rng.normal() + (j == y[static_cast<std::size_t>(i)] ? 2.0 : 0.0);
    h1.row(i) = h0.row(i).head(8);
    h2.row(i) = 3.0 * h0.row(i).head(3);
    for (index_t j = 0; j < 3; ++j) h2(i, j) += (j == y[static_cast<std::size_t>(i)] ? 6.0 : 0.0);
  }
  return {h0, h1, h2};
}
}  // namespace

TEST_CASE("per-layer table: rows equal the per-layer calls; minimality falls with depth") {
  std::vector<std::int64_t> y;
  for (int i = 0; i < 243; ++i)
    for (int k = 0; k < 3; ++k) y.push_back(k);
  const auto layers = synthetic_stack(y, 3);
  std::vector<sample_view<double>> views;
  for (const auto& l : layers) views.push_back(view_of(l));
  layer_vinfo_options o;
  o.sufficiency.folds = 3;
  o.compute_minimality = true;
  const auto table = vinfo_layers(views, y, linear_softmax_family(), o, {"input", "middle", "collapsed"});
  REQUIRE(table.size() == 3);
  CHECK(table[1].name == "middle");
  CHECK(table[0].dims == 40);
  REQUIRE(table[2].minimality.has_value());
  const auto direct = sufficiency(views[1], y, linear_softmax_family(), o.sufficiency);
  CHECK(direct.value == table[1].sufficiency.value);
  // Minimality: 40-D noise lets a linear decoder fit digits of 243 samples in-sample (~0.1 nats
  // per digit); 5 noise dims much less; the collapsed layer's within-class variation is 3-D only.
  CHECK(table[0].minimality->value > table[1].minimality->value + 0.02);
  CHECK(table[1].minimality->value > table[2].minimality->value);
  // Sufficiency rises with depth although layers 0 and 1 hold the same class information: the 37
  // noise dims cost the held-out fit ~ (D+1)(C-1)/(2 N_train) = 82/972 ~ 0.08 nats and more, and
  // layer 2 separates the classes further (V-information, unlike MI, can grow under processing).
  CHECK(table[0].sufficiency.value > 0.4);
  CHECK(table[0].sufficiency.value < table[1].sufficiency.value);
  CHECK(table[1].sufficiency.value < table[2].sufficiency.value);
  CHECK_THROWS_WITH_AS(vinfo_layers(views, y, linear_softmax_family(), o, {"only one"}),
                       doctest::Contains("names=1"), infogeo::invalid_argument);
  std::vector<sample_view<double>> none;
  CHECK_THROWS_AS(vinfo_layers(none, y, linear_softmax_family()), infogeo::invalid_argument);
  std::vector<std::int64_t> short_y(y.begin(), y.end() - 3);
  CHECK_THROWS_WITH_AS(vinfo_layers(views, short_y, linear_softmax_family()), doctest::Contains("layer 0 rows=729"),
                       infogeo::invalid_argument);
}
