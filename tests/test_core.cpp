// Tests for include/infogeo/core/: special functions, views and adapters, labels, RNG, checks.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "infogeo/core.hpp"

using namespace infogeo;

TEST_CASE("digamma matches tabulated values to 1e-13") {
  const double euler_gamma = 0.57721566490153286061;
  CHECK(std::abs(digamma(1.0) + euler_gamma) < 1e-13);
  CHECK(std::abs(digamma(0.5) - (-euler_gamma - 2.0 * std::log(2.0))) < 1e-13);
  // psi(n) = H_{n-1} - gamma for integers.
  double harmonic = 0.0;
  for (int n = 1; n <= 200; ++n) {
    CHECK(std::abs(digamma(n) - (harmonic - euler_gamma)) < 1e-13);
    harmonic += 1.0 / n;
  }
  // psi(n + 1/2) = -gamma - 2 log 2 + sum_{k=1}^{n} 2/(2k-1).
  double half_sum = 0.0;
  for (int n = 1; n <= 50; ++n) {
    half_sum += 2.0 / (2.0 * n - 1.0);
    CHECK(std::abs(digamma(n + 0.5) - (-euler_gamma - 2.0 * std::log(2.0) + half_sum)) < 1e-13);
  }
  // Reflection region and known values (Abramowitz & Stegun table 6.1; mpmath).
  CHECK(std::abs(digamma(-0.5) - 0.03648997397857652) < 1e-13);
  CHECK(std::abs(digamma(0.25) - (-euler_gamma - pi / 2 - 3 * std::log(2.0))) < 1e-13);
  CHECK(std::abs(digamma(1e-3) - (-1000.5755719318103)) < 1e-10);
  // Large argument: psi(x) ~ log x - 1/(2x).
  CHECK(std::abs(digamma(1e6) - (std::log(1e6) - 0.5e-6 - 1.0 / 12e12)) < 1e-13);
  CHECK_THROWS_AS(digamma(0.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(digamma(-3.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(digamma(std::nan("")), infogeo::invalid_argument);
}

TEST_CASE("log unit-ball volumes for L2 and L-infinity") {
  CHECK(std::abs(log_unit_ball_volume(1, norm_kind::euclidean) - std::log(2.0)) < 1e-14);
  CHECK(std::abs(log_unit_ball_volume(2, norm_kind::euclidean) - std::log(pi)) < 1e-14);
  CHECK(std::abs(log_unit_ball_volume(3, norm_kind::euclidean) - std::log(4.0 / 3.0 * pi)) <
        1e-14);
  CHECK(std::abs(log_unit_ball_volume(5, norm_kind::chebyshev) - 5.0 * std::log(2.0)) < 1e-14);
  // Stays finite (and very negative) at d = 5000 where the volume itself underflows.
  const double big = log_unit_ball_volume(5000, norm_kind::euclidean);
  CHECK(std::isfinite(big));
  CHECK(big < -10000.0);
  CHECK_THROWS_AS(log_unit_ball_volume(0, norm_kind::euclidean), infogeo::invalid_argument);
}

TEST_CASE("logsumexp, softplus and sigmoid are stable") {
  std::vector<double> v{1000.0, 1000.0};
  CHECK(std::abs(logsumexp(v) - (1000.0 + std::log(2.0))) < 1e-12);
  std::vector<double> w{-1000.0, -1000.0 + std::log(3.0)};
  CHECK(std::abs(logsumexp(w) - (-1000.0 + std::log(4.0))) < 1e-12);
  std::vector<double> none;
  CHECK(logsumexp(none) == -std::numeric_limits<double>::infinity());
  log_sum_exp_accumulator acc;
  for (double x : {3.0, -2.0, 700.0, 701.0}) acc.add(x);
  std::vector<double> all{3.0, -2.0, 700.0, 701.0};
  CHECK(std::abs(acc.value() - logsumexp(all)) < 1e-12);
  CHECK(softplus(1000.0) == doctest::Approx(1000.0));
  CHECK(std::abs(softplus(-700.0) - std::exp(-700.0)) < 1e-310);
  CHECK(softplus(-700.0) > 0.0);
  CHECK(std::abs(softplus(0.0) - std::log(2.0)) < 1e-15);
  CHECK(std::abs(sigmoid(-800.0)) < 1e-300);
  CHECK(sigmoid(800.0) == 1.0);
  CHECK(to_bits(std::log(2.0)) == doctest::Approx(1.0));
}

TEST_CASE_TEMPLATE("sample_view adapters are zero-copy and agree", T, float, double) {
  row_matrix<T> rm(3, 2);
  rm << 1, 2, 3, 4, 5, 6;
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> cm = rm;
  auto vr = make_view(rm);
  auto vc = make_view(cm);
  CHECK(vr.data() == rm.data());
  CHECK(vc.data() == cm.data());
  CHECK(vr.contiguous());
  CHECK_FALSE(vc.contiguous());
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 2; ++j) CHECK(vr(i, j) == vc(i, j));
  // Blocks of both layouts.
  auto block_r = make_view(rm.block(1, 1, 2, 1));
  auto block_c = make_view(cm.block(1, 0, 2, 2));
  CHECK(block_r(0, 0) == 4);
  CHECK(block_r(1, 0) == 6);
  CHECK(block_c(1, 1) == 6);
  CHECK(block_c.map().isApprox(rm.block(1, 0, 2, 2)));
  // Vectors are N x 1.
  Eigen::Matrix<T, Eigen::Dynamic, 1> vec(4);
  vec << 1, 2, 3, 4;
  auto vv = make_view(vec);
  CHECK(vv.rows() == 4);
  CHECK(vv.cols() == 1);
  CHECK(vv(3, 0) == 4);
  std::vector<T> flat{1, 2, 3, 4, 5, 6};
  auto vf = make_view(flat, 2, 3);
  CHECK(vf(1, 0) == 4);
  CHECK(make_view(flat).rows() == 6);
  CHECK_THROWS_AS(make_view(flat, 4, 2), infogeo::invalid_argument);
  // Raw pointer + strides (a transposed numpy array: strides (1, 3)).
  auto vt = make_view(flat.data(), 3, 2, 1, 3);
  CHECK(vt(2, 1) == 6);
  CHECK(vt(0, 1) == 4);
  CHECK_THROWS_AS(make_view(flat.data(), 3, 2, -1, 3), infogeo::invalid_argument);
  // Sub-views.
  CHECK(vr.middle_rows(1, 2)(0, 1) == 4);
  CHECK(vr.middle_cols(1, 1)(2, 0) == 6);
  CHECK_THROWS_AS(vr.middle_rows(2, 2), infogeo::invalid_argument);
  auto as_double = to_row_matrix<double>(vc);
  CHECK(as_double(2, 1) == 6.0);
}

TEST_CASE("xtensor adapters: containers and strided views") {
  xt::xarray<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  auto va = make_view(a);
  CHECK(va.rows() == 2);
  CHECK(va.cols() == 3);
  CHECK(va.data() == a.data());
  CHECK(va(1, 2) == 6.0);
  xt::xtensor<float, 1> b = {1.0f, 2.0f, 3.0f};
  auto vb = make_view(b);
  CHECK(vb.rows() == 3);
  CHECK(vb(2, 0) == 3.0f);
  xt::xarray<double, xt::layout_type::column_major> f = {{1.0, 2.0}, {3.0, 4.0}};
  auto vf = make_view(f);
  CHECK(vf(0, 1) == 2.0);
  CHECK(vf(1, 0) == 3.0);
  xt::xarray<double> one_row = {{7.0, 8.0}};
  CHECK(make_view(one_row)(0, 1) == 8.0);
  xt::xarray<double> cube = xt::zeros<double>({2, 2, 2});
  CHECK_THROWS_AS(make_view(cube), infogeo::invalid_argument);
}

TEST_CASE("validation helpers name the argument and the value") {
  row_matrix<double> m(2, 2);
  m << 1, std::nan(""), 3, std::numeric_limits<double>::infinity();
  try {
    check_finite(make_view(m), "demo", "x");
    FAIL("expected an exception");
  } catch (const infogeo::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("infogeo::demo(): x contains 2 non-finite") == 0);
    CHECK(what.find("row 0, column 1") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(check_shape(make_view(m), 3, "demo", "x"),
                       "infogeo::demo(): x needs at least 3 samples (n=2)",
                       infogeo::invalid_argument);
  CHECK_THROWS_AS(check_same_rows(2, 3, "demo", "x", "y"), infogeo::invalid_argument);
  CHECK_THROWS_AS(check_positive(0.0, "demo", "sigma"), infogeo::invalid_argument);
  CHECK_THROWS_AS(check_positive(std::nan(""), "demo", "sigma"), infogeo::invalid_argument);
  CHECK_NOTHROW(check_positive(0.5, "demo", "sigma"));
}

TEST_CASE("labels: counts, validation") {
  std::vector<int> y{0, 2, 2, 1, 2};
  auto labels = make_labels(y);
  CHECK(labels.num_classes == 3);
  CHECK(labels.counts == std::vector<std::int64_t>{1, 1, 3});
  auto padded = make_labels(y, 5);
  CHECK(padded.counts.size() == 5);
  CHECK(padded.counts[4] == 0);
  std::vector<int> negative{0, -1};
  CHECK_THROWS_WITH_AS(make_labels(negative), "infogeo::make_labels(): labels must be non-negative (labels[1]=-1)",
                       infogeo::invalid_argument);
  CHECK_THROWS_AS(make_labels(y, 2), infogeo::invalid_argument);
}

TEST_CASE("encode_labels: arbitrary integers become 0..C-1 by sorted distinct value") {
  // Negative, sparse and huge labels: a label 5e7 is one class, not 5e7 empty ones.
  const std::vector<std::int64_t> y{50000000, -3, 7, 7, -3, 50000000, 0};
  const label_encoding e = encode_labels(y);
  CHECK(e.values == std::vector<std::int64_t>{-3, 0, 7, 50000000});
  CHECK(e.codes == std::vector<std::int64_t>{3, 0, 2, 2, 0, 3, 1});
  CHECK(e.num_classes() == 4);
  // Labels already 0..C-1 are unchanged.
  const std::vector<int> plain{2, 0, 1, 1};
  CHECK(encode_labels(plain).codes == std::vector<std::int64_t>{2, 0, 1, 1});
  // The class cap names the count.
  const std::vector<int> many{0, 1, 2, 3, 4};
  CHECK_THROWS_WITH_AS(encode_labels(many, 4, "demo", "y"),
                       "infogeo::demo(): y has 5 distinct values, more than the 4 classes accepted (a continuous or "
                       "corrupt labels file?) (classes=5)",
                       infogeo::invalid_argument);
  CHECK_NOTHROW(encode_labels(many, 5));
  CHECK_THROWS_AS(encode_labels(many, 0), infogeo::invalid_argument);
  CHECK(encode_labels(std::vector<int>{}).num_classes() == 0);
}

TEST_CASE("memory: estimates, the limit and the refusal message") {
  CHECK(array_bytes({1000.0, 10.0}) == 80000.0);
  CHECK(array_bytes({1e8, 1e8}, 16.0) == 1.6e17);  // no wrap-around
  // 2 -> 3 -> 1: P = 3 * 3 + 4 * 1 = 13; units 3 + 1 = 4; 8 (4 * 13 + 3 * 10 * 4) bytes.
  CHECK(mlp_training_bytes(2, {3}, 1, 10) == 8.0 * (52 + 120));
  CHECK(format_bytes(11.4e9) == "11.4 GB");
  CHECK(format_bytes(512) == "512 bytes");
  CHECK(memory_limit_bytes() > 0);
  ::setenv("INFOGEO_MEMORY_LIMIT_BYTES", "1000", 1);
  CHECK(memory_limit_bytes() == 1000.0);
  CHECK_NOTHROW(memory_check(1000.0, "demo", "--n 1"));
  CHECK_THROWS_WITH_AS(memory_check(2500.0, "demo", "--hidden 5"),
                       "infogeo::demo(): --hidden 5 needs an estimated 2.5 kB (2500 bytes), more than the memory limit "
                       "of 1 kB (INFOGEO_MEMORY_LIMIT_BYTES)",
                       infogeo::invalid_argument);
  CHECK_THROWS_AS(memory_check(std::numeric_limits<double>::infinity(), "demo", "--k"), infogeo::invalid_argument);
  ::setenv("INFOGEO_MEMORY_LIMIT_BYTES", "lots", 1);
  CHECK_THROWS_AS(memory_limit_bytes(), infogeo::invalid_argument);
  ::unsetenv("INFOGEO_MEMORY_LIMIT_BYTES");
  CHECK(memory_limit_bytes() > 1000.0);
}

TEST_CASE("random_engine is deterministic and has the right moments") {
  random_engine a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) CHECK(a() == b());
  CHECK(a() != c());
  random_engine g(7);
  const int n = 200000;
  double sum = 0.0, sum_sq = 0.0, usum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double z = g.normal();
    sum += z;
    sum_sq += z * z;
    usum += g.uniform();
  }
  // Standard errors: mean 1/sqrt(n) ~ 0.0022, variance sqrt(2/n) ~ 0.0032; allow 5 sigma.
  CHECK(std::abs(sum / n) < 0.012);
  CHECK(std::abs(sum_sq / n - 1.0) < 0.016);
  CHECK(std::abs(usum / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  double gsum = 0.0;
  for (int i = 0; i < n; ++i) gsum += g.gamma(2.5);
  CHECK(std::abs(gsum / n - 2.5) < 5 * std::sqrt(2.5 / n));
  auto p = g.permutation(100);
  std::set<std::int64_t> seen(p.begin(), p.end());
  CHECK(seen.size() == 100);
  CHECK(*seen.rbegin() == 99);
  for (int i = 0; i < 1000; ++i) CHECK(g.uniform_index(7) < 7);
  auto s1 = random_engine(5).split(1);
  auto s2 = random_engine(5).split(2);
  CHECK(s1() != s2());
  CHECK(random_engine(5).split(1)() == random_engine(5).split(1)());
}

TEST_CASE("version string comes from version.hpp") {
  CHECK(std::string(version_string) ==
        std::to_string(INFOGEO_VERSION_MAJOR) + "." + std::to_string(INFOGEO_VERSION_MINOR) + "." +
            std::to_string(INFOGEO_VERSION_PATCH));
}
