// Tests for include/infogeo/stats/ (except bootstrap): rank statistics against hand-computed
// small cases with ties, AUROC against a brute-force pair count, Mahalanobis scores against a
// dense-inverse reference, ODIN closed forms, EM recovery of known mixture parameters (fixed
// seed, tolerances of several standard errors), relabelling digits by hand, bad input.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/stats/auroc.hpp"
#include "infogeo/stats/binarity.hpp"
#include "infogeo/stats/confidence.hpp"
#include "infogeo/stats/rank_correlation.hpp"
#include "infogeo/stats/relabel.hpp"
#include "infogeo/stats/whitening.hpp"

using namespace infogeo;
using namespace infogeo::stats;

TEST_CASE("average ranks, Spearman and Kendall tau-b on hand-computed cases with ties") {
  CHECK(average_ranks({10, 20, 20, 30}) == std::vector<double>{1, 2.5, 2.5, 4});
  CHECK(average_ranks({3, 3, 3}) == std::vector<double>{2, 2, 2});
  const std::vector<double> a{1, 2, 3, 4, 5}, b{5, 6, 7, 8, 7};
  // Ranks of b: 1, 2, 3.5, 5, 3.5 -> rho = 8 / sqrt(10 * 9.5).
  CHECK(std::abs(spearman(a, b) - 8.0 / std::sqrt(95.0)) < 1e-14);
  // C = 8, D = 1, one tie in b: tau_b = 7 / sqrt(10 * 9).
  CHECK(std::abs(kendall_tau_b(a, b) - 7.0 / std::sqrt(90.0)) < 1e-14);
  CHECK(std::abs(spearman(a, {10, 9, 8, 7, 6}) + 1.0) < 1e-14);
  CHECK(std::abs(kendall_tau_b(a, {10, 9, 8, 7, 6}) + 1.0) < 1e-14);
  CHECK(std::abs(pearson({1, 2, 3}, {2, 4, 7}) - 0.9933992677987828) < 1e-14);
  // Monotone maps do not change rank statistics.
  CHECK(std::abs(spearman(a, b) - spearman({1, 8, 27, 64, 125}, {std::exp(5.0), std::exp(6.0), std::exp(7.0), std::exp(8.0), std::exp(7.0)})) < 1e-14);
}

TEST_CASE("pooled rank correlation (App. C.1): ranks per experiment, min-max, pooled Pearson") {
  // Experiment 1 perfectly concordant, experiment 2 reversed -> pooled normalised ranks cancel.
  CHECK(std::abs(pooled_rank_correlation({{{1, 2, 3}, {1, 2, 3}}, {{1, 2, 3}, {3, 2, 1}}})) < 1e-14);
  // Second experiment b ranks (1, 3, 2) -> normalised (0, 1, .5): by hand r = 0.75 / sqrt(1 * 1).
  CHECK(std::abs(pooled_rank_correlation({{{1, 2, 3}, {10, 20, 30}}, {{5, 6, 9}, {0.1, 0.9, 0.3}}}) - 0.75) < 1e-14);
  // Scale differences between experiments do not matter (that is the point of the ranks).
  CHECK(std::abs(pooled_rank_correlation({{{1, 2, 3}, {1, 2, 3}}, {{100, 200, 300}, {-5, -4, -3}}}) - 1.0) < 1e-14);
}

TEST_CASE("AUROC: 1, 0.5, 0, ties, and a brute-force pair count") {
  CHECK(auroc(std::vector<double>{3, 4}, std::vector<double>{1, 2}) == 1.0);
  CHECK(auroc(std::vector<double>{1, 2}, std::vector<double>{3, 4}) == 0.0);
  CHECK(auroc(std::vector<double>{1, 1}, std::vector<double>{1, 1, 1}) == 0.5);
  CHECK(auroc(std::vector<double>{0.9, 0.5}, std::vector<double>{0.5, 0.1}) == 0.875);  // 3.5 of 4 pairs
  CHECK(auroc_from_labels(std::vector<double>{0.9, 0.5, 0.5, 0.1}, std::vector<int>{1, 1, 0, 0}) == 0.875);
  random_engine rng(21);
  std::vector<double> pos, neg;
  for (int i = 0; i < 300; ++i) pos.push_back(std::round(rng.normal(0.5, 1.0) * 4) / 4);  // many ties
  for (int i = 0; i < 200; ++i) neg.push_back(std::round(rng.normal() * 4) / 4);
  double pairs = 0;
  for (double p : pos)
    for (double q : neg) pairs += p > q ? 1.0 : p == q ? 0.5 : 0.0;
  CHECK(std::abs(auroc(pos, neg) - pairs / (300.0 * 200.0)) < 1e-14);
}

TEST_CASE_TEMPLATE("Mahalanobis confidence against a dense reference", T, float, double) {
  random_engine rng(31);
  const index_t n = 600, d = 3;
  row_matrix<T> x(n, d);
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 3);
    labels[static_cast<std::size_t>(i)] = y;
    for (index_t j = 0; j < d; ++j) x(i, j) = static_cast<T>(4.0 * (j == y) + rng.normal());
  }
  const auto model = fit_mahalanobis(x, labels);
  // Reference: means and pooled covariance computed directly, dense inverse.
  Eigen::MatrixXd xd = x.template cast<double>();
  Eigen::MatrixXd mu = Eigen::MatrixXd::Zero(3, d);
  for (index_t i = 0; i < n; ++i) mu.row(i % 3) += xd.row(i) / 200.0;
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(d, d);
  for (index_t i = 0; i < n; ++i) {
    const Eigen::RowVectorXd r = xd.row(i) - mu.row(i % 3);
    cov += r.transpose() * r / static_cast<double>(n);
  }
  CHECK((model.means - mu).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((model.covariance - cov).cwiseAbs().maxCoeff() < 1e-12);
  const Eigen::MatrixXd inv = cov.inverse();
  row_matrix<T> q(2, d);
  q << T(4), T(0), T(0), T(20), T(20), T(20);  // near class 0, far from everything
  const auto s = mahalanobis_scores(model, q);
  for (index_t i = 0; i < 2; ++i) {
    double best = 1e300;
    for (index_t c = 0; c < 3; ++c) {
      const Eigen::VectorXd diff = (q.row(i).template cast<double>() - mu.row(c)).transpose();
      best = std::min(best, diff.dot(inv * diff));
    }
    CHECK(std::abs(s[std::size_t(i)] + best) < 1e-9 * (1 + best));
  }
  CHECK(s[0] > s[1]);
}

TEST_CASE_TEMPLATE("ODIN temperature-scaled softmax confidence", T, float, double) {
  row_matrix<T> logits(3, 2);
  logits << T(0), T(0), T(10), T(0), T(1000), T(-1000);
  const auto c1 = odin_confidence(logits, 1.0);
  CHECK(std::abs(c1[0] - 0.5) < 1e-15);
  CHECK(std::abs(c1[1] - 1.0 / (1.0 + std::exp(-10.0))) < 1e-12);
  CHECK(c1[2] == 1.0);  // no overflow
  const auto c10 = odin_confidence(logits, 10.0);
  CHECK(std::abs(c10[1] - 1.0 / (1.0 + std::exp(-1.0))) < 1e-12);
  CHECK(odin_confidence(logits, 1e9)[1] < 0.5 + 1e-8);  // T -> inf: uniform 1/C
}

TEST_CASE("EM recovers known two-component parameters (seed 41, n = 20000)") {
  random_engine rng(41);
  std::vector<double> v;
  for (int i = 0; i < 20000; ++i) v.push_back(rng.uniform() < 0.3 ? rng.normal(-2.0, 0.5) : rng.normal(3.0, 1.0));
  const gmm1d g = fit_gmm2(v);
  CHECK(g.converged);
  // Standard errors: weight sqrt(.21/n) = 0.003, means <= 1/sqrt(14000) = 0.009, stds ~ 0.006.
  CHECK(std::abs(g.weight[0] - 0.3) < 0.015);
  CHECK(std::abs(g.mean[0] + 2.0) < 0.03);
  CHECK(std::abs(g.mean[1] - 3.0) < 0.04);
  CHECK(std::abs(g.stddev[0] - 0.5) < 0.03);
  CHECK(std::abs(g.stddev[1] - 1.0) < 0.03);
  // Reported likelihood is the likelihood of the returned parameters (direct recomputation).
  double ll = 0.0;
  for (double x : v) {
    double p = 0.0;
    for (int k = 0; k < 2; ++k) {
      const double z = (x - g.mean[k]) / g.stddev[k];
      p += g.weight[k] * std::exp(-0.5 * z * z) / (g.stddev[k] * std::sqrt(2 * infogeo::pi));
    }
    ll += std::log(p);
  }
  CHECK(std::abs(ll / 20000 - g.mean_log_likelihood) < 1e-10);
}

TEST_CASE("binarity statistics separate two sharp peaks from one Gaussian") {
  random_engine rng(42);
  row_matrix<double> f(4000, 2);
  for (index_t i = 0; i < f.rows(); ++i) {
    f(i, 0) = (rng.uniform() < 0.5 ? -1.0 : 1.0) + 0.1 * rng.normal();
    f(i, 1) = rng.normal();
  }
  const auto rep = binarity(f);
  REQUIRE(rep.per_dimension.size() == 2);
  // Bimodal column: peaks 2 apart, stds 0.1 -> ratio ~ 20 (SE ~ 0.3).
  CHECK(std::abs(rep.per_dimension[0].peak_distance_over_std - 20.0) < 1.5);
  CHECK(std::abs(rep.per_dimension[0].mean_std - 0.1) < 0.01);
  CHECK(rep.per_dimension[1].peak_distance_over_std < 4.0);  // a split Gaussian stays overlapping
  CHECK(rep.per_dimension[0].mean_log_likelihood > rep.per_dimension[1].mean_log_likelihood);
  CHECK(std::abs(rep.average.mean_std - 0.5 * (rep.per_dimension[0].mean_std + rep.per_dimension[1].mean_std)) < 1e-15);
}

TEST_CASE("relabelling by digits of the within-class index (thesis Alg. 2)") {
  const std::vector<int> labels{0, 1, 0, 0, 1, 0, 1};
  // class 0 indices j = 0,1,2,3 at positions 0,2,3,5; class 1 j = 0,1,2 at positions 1,4,6.
  CHECK(relabel_by_index_digit(labels, 0) == std::vector<std::int64_t>{0, 0, 1, 0, 1, 1, 0});
  CHECK(relabel_by_index_digit(labels, 1) == std::vector<std::int64_t>{0, 0, 0, 1, 0, 1, 1});
  CHECK(relabel_digit_count(make_labels(labels)) == 2);
  const std::vector<int> one_class{0, 0, 0};
  CHECK_THROWS_AS(relabel_digit_count(make_labels(one_class)), infogeo::invalid_argument);  // used to loop forever
  CHECK_THROWS_AS(relabel_by_index_digit(labels, 2), infogeo::invalid_argument);
  CHECK_THROWS_AS(relabel_by_index_digit(std::vector<int>{0, 0}, 0), infogeo::invalid_argument);
  // Three classes: 9 samples of class 2 need two base-3 digits; digit 1 of j = 0..8 is j / 3.
  std::vector<int> l3(9, 2);
  l3.push_back(0);
  l3.push_back(1);
  const auto d1 = relabel_by_index_digit(l3, 1);
  for (int j = 0; j < 9; ++j) CHECK(d1[std::size_t(j)] == j / 3);
}

TEST_CASE("stats utilities reject bad input") {
  const double nan = std::nan("");
  CHECK_THROWS_AS(average_ranks({1.0, nan}), infogeo::invalid_argument);
  CHECK_THROWS_AS(pearson({1, 2}, {1, 2, 3}), infogeo::invalid_argument);
  CHECK_THROWS_AS(pearson({1, 1, 1}, {1, 2, 3}), infogeo::invalid_argument);
  CHECK_THROWS_AS(spearman({1}, {1}), infogeo::invalid_argument);
  CHECK_THROWS_AS(kendall_tau_b({2, 2}, {1, 2}), infogeo::invalid_argument);
  CHECK_THROWS_AS(pooled_rank_correlation({}), infogeo::invalid_argument);
  CHECK_THROWS_AS(pooled_rank_correlation({{{1, 1}, {1, 2}}}), infogeo::invalid_argument);
  CHECK_THROWS_AS(auroc(std::vector<double>{}, std::vector<double>{1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(auroc_from_labels(std::vector<double>{1, 2}, std::vector<int>{0, 2}), infogeo::invalid_argument);
  row_matrix<double> x(4, 2);
  x << 1, 2, 3, 4, 5, 6, 7, 8;
  CHECK_THROWS_AS(fit_mahalanobis(x, std::vector<int>{0, 0, 2, 2}), infogeo::invalid_argument);  // class 1 empty
  CHECK_THROWS_AS(fit_mahalanobis(x, std::vector<int>{0, 1, 0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_mahalanobis(x, std::vector<int>{0, 1, 0, 1}), infogeo::numerical_error);  // collinear
  CHECK_NOTHROW(fit_mahalanobis(x, std::vector<int>{0, 1, 0, 1}, mahalanobis_options{0.1}));
  {  // numerically (not exactly) collinear: pivot^2 ~ 1e-18 of the variance -> refused, not 1e16 scores
    random_engine rng(8);
    row_matrix<double> near(200, 2);
    std::vector<int> y(200);
    for (index_t i = 0; i < 200; ++i) {
      near(i, 0) = rng.normal();
      near(i, 1) = near(i, 0) + 1e-9 * rng.normal();
      y[static_cast<std::size_t>(i)] = static_cast<int>(i % 2);
    }
    CHECK_THROWS_AS(fit_mahalanobis(near, y), infogeo::numerical_error);
  }
  const auto m = fit_mahalanobis(x, std::vector<int>{0, 1, 0, 1}, mahalanobis_options{0.1});
  CHECK_THROWS_AS(mahalanobis_scores(m, row_matrix<double>(2, 3)), infogeo::invalid_argument);
  CHECK_THROWS_AS(odin_confidence(x, 0.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_gmm2({1.0, 1.0, 1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_gmm2({1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_gmm2({1.0, std::numeric_limits<double>::infinity()}), infogeo::invalid_argument);
}

TEST_CASE("Mahalanobis, seed paper 003 protocol: per-class Gaussians on correct points, distance to the predicted class") {
  // Class 0: (0,0), (2,0), (0,2), (2,2): mean (1,1), population covariance I. Class 1: (10,0), (14,0),
  // (10,2), (14,2): mean (12,1), covariance diag(4, 1). Tied (pooled) covariance: diag(2.5, 1).
  // Row 8 is a misclassified training point (label 0, predicted 1) far away: the protocol drops it.
  row_matrix<double> x(9, 2);
  x << 0, 0, 2, 0, 0, 2, 2, 2, 10, 0, 14, 0, 10, 2, 14, 2, 100, 100;
  const std::vector<int> labels{0, 0, 0, 0, 1, 1, 1, 1, 0};
  const std::vector<int> predictions{0, 0, 0, 0, 1, 1, 1, 1, 1};
  const auto m = fit_mahalanobis_on_correct(x, labels, predictions);
  CHECK(m.kind == covariance_kind::per_class);
  CHECK(m.samples == 8);
  CHECK((m.means.row(0) - Eigen::RowVector2d(1, 1)).norm() < 1e-14);
  CHECK((m.class_covariances[1] - Eigen::Vector2d(4, 1).asDiagonal().toDenseMatrix()).norm() < 1e-13);
  row_matrix<double> q(2, 2);
  q << 13, 1, 1, 3;
  // (13,1) to class 1: 1^2 / 4 = 0.25; to class 0: 12^2 / 1 = 144. (1,3) to class 0: 2^2 = 4.
  const auto to_pred = mahalanobis_scores_to_class(m, q, std::vector<int>{1, 0});
  CHECK(to_pred[0] == doctest::Approx(-0.25).epsilon(1e-14));
  CHECK(to_pred[1] == doctest::Approx(-4.0).epsilon(1e-14));
  CHECK(mahalanobis_scores_to_class(m, q, std::vector<int>{0, 0})[0] == doctest::Approx(-144.0).epsilon(1e-14));
  CHECK(mahalanobis_scores(m, q)[0] == doctest::Approx(-0.25).epsilon(1e-14));  // min over classes
  // Tied covariance on the same correct points: (13,1) to class 1 is 1 / 2.5 = 0.4.
  const auto tied = fit_mahalanobis_on_correct(x, labels, predictions, mahalanobis_options{0.0, covariance_kind::tied});
  CHECK(mahalanobis_scores_to_class(tied, q, std::vector<int>{1, 0})[0] == doctest::Approx(-0.4).epsilon(1e-14));
  // Misclassification AUROC by hand: correct rows score 3, 1; wrong rows 2, 0 -> 3 of 4 pairs ordered.
  CHECK(misclassification_auroc({3, 2, 1, 0}, std::vector<int>{0, 0, 1, 1}, std::vector<int>{0, 1, 1, 0}) == 0.75);
  // Bad input: a class without a correct sample, a singleton class (per-class covariance), classes out
  // of range, mismatched lengths, no misclassified row.
  CHECK_THROWS_AS(fit_mahalanobis_on_correct(x, labels, std::vector<int>(9, 1)), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_mahalanobis(x.topRows(5), std::vector<int>{0, 0, 0, 0, 1},
                                  mahalanobis_options{0.0, covariance_kind::per_class}),
                  infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_mahalanobis_on_correct(x, labels, std::vector<int>{0, 0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(mahalanobis_scores_to_class(m, q, std::vector<int>{2, 0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(mahalanobis_scores_to_class(m, q, std::vector<int>{1}), infogeo::invalid_argument);
  CHECK_THROWS_AS(misclassification_auroc({1, 2}, std::vector<int>{0, 1}, std::vector<int>{0, 1}),
                  infogeo::invalid_argument);
  // 2 points per class in 2-D: each per-class covariance has rank 1 -> singular, unless ridged.
  row_matrix<double> few(4, 2);
  few << 0, 0, 1, 1, 5, 5, 6, 7;
  CHECK_THROWS_AS(fit_mahalanobis(few, std::vector<int>{0, 0, 1, 1}, mahalanobis_options{0.0, covariance_kind::per_class}),
                  infogeo::numerical_error);
  CHECK_NOTHROW(fit_mahalanobis(few, std::vector<int>{0, 0, 1, 1}, mahalanobis_options{0.1, covariance_kind::per_class}));
}

TEST_CASE("binarity standardises columns by default (seed paper 003 App. D); raw fit on request") {
  // EM here is affine-equivariant (percentile init, std-relative init and floor), so on z = (x - m) / s
  // the fit is the raw fit mapped: mean std / s, log-likelihood + log s, peak ratio unchanged.
  random_engine rng(5);
  row_matrix<double> f(3000, 1);
  for (index_t i = 0; i < f.rows(); ++i) f(i, 0) = 50.0 + 7.0 * ((rng.uniform() < 0.3 ? -1.0 : 1.0) + 0.2 * rng.normal());
  const auto z = binarity(f);
  binarity_options raw_options;
  raw_options.standardize = false;
  const auto raw = binarity(f, raw_options);
  CHECK(z.standardized);
  CHECK_FALSE(raw.standardized);
  const double sd = z.column_stds[0];
  CHECK(z.per_dimension[0].mean_std == doctest::Approx(raw.per_dimension[0].mean_std / sd).epsilon(1e-8));
  CHECK(z.per_dimension[0].mean_log_likelihood ==
        doctest::Approx(raw.per_dimension[0].mean_log_likelihood + std::log(sd)).epsilon(1e-8));
  CHECK(z.per_dimension[0].peak_distance_over_std ==
        doctest::Approx(raw.per_dimension[0].peak_distance_over_std).epsilon(1e-8));
  // Standardised stats do not depend on the scale of the features.
  row_matrix<double> g = 1e-3 * f;
  CHECK(binarity(g).per_dimension[0].mean_std == doctest::Approx(z.per_dimension[0].mean_std).epsilon(1e-8));
}

TEST_CASE("whitening: Cholesky factor, VIF against its closed form, identity covariance, collinear columns") {
  // Three columns: a, r a + sqrt(1 - r^2) b, and an independent c. VIF of the first two = 1 / (1 - r^2).
  const double r = 0.9;
  const index_t n = 20000;
  random_engine rng(5);
  row_matrix<double> x(n, 3);
  for (index_t i = 0; i < n; ++i) {
    const double a = rng.normal();
    x(i, 0) = 3.0 + 2.0 * a;
    x(i, 1) = -1.0 + 0.5 * (r * a + std::sqrt(1.0 - r * r) * rng.normal());
    x(i, 2) = rng.normal();
  }
  const auto f = covariance_cholesky(x, all_columns(3));
  REQUIRE(f.positive_definite);
  // VIF within sampling error: R^2's sd at n = 20000 is ~2 (1 - r^2) r / sqrt(n) ~ 0.0025.
  const double vif = max_variance_inflation(f);
  CHECK(std::abs(vif - 1.0 / (1.0 - r * r)) < 0.1 * vif);
  // The independent column alone: VIF 1 (one column), up to rounding.
  CHECK(std::abs(max_variance_inflation(covariance_cholesky(x, {2})) - 1.0) < 1e-12);
  // L L^T equals the maximum-likelihood covariance (Eigen's, divided by n).
  const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
  const Eigen::MatrixXd s = centred.transpose() * centred / static_cast<double>(n);
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(3, 3);
  for (index_t a = 0; a < 3; ++a)
    for (index_t b = 0; b <= a; ++b) l(a, b) = f.lower[static_cast<std::size_t>(a * 3 + b)];
  CHECK((l * l.transpose() - s).cwiseAbs().maxCoeff() < 1e-10);
  // Whitening columns 0 and 1 only: their covariance becomes I, column 2 is untouched.
  row_matrix<double> w = x;
  REQUIRE(whiten_columns(w, {0, 1}));
  const Eigen::MatrixXd wc = w.leftCols(2).rowwise() - w.leftCols(2).colwise().mean();
  CHECK((wc.transpose() * wc / static_cast<double>(n) - Eigen::MatrixXd::Identity(2, 2)).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((w.col(2) - x.col(2)).cwiseAbs().maxCoeff() == 0.0);
  // Collinear columns: no factor, no whitening, x unchanged, VIF infinite.
  row_matrix<double> c = x;
  c.col(2) = 2.0 * c.col(0) - c.col(1);
  const auto fc = covariance_cholesky(c, all_columns(3));
  CHECK_FALSE(fc.positive_definite);
  CHECK(std::isinf(max_variance_inflation(fc)));
  const row_matrix<double> before = c;
  CHECK_FALSE(whiten_columns(c, all_columns(3)));
  CHECK((c - before).cwiseAbs().maxCoeff() == 0.0);
}
