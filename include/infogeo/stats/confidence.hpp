// Confidence scores for out-of-distribution detection: Mahalanobis distance to class means with a
// tied covariance (Lee et al. 2018) and ODIN-style temperature-scaled softmax (Liang et al. 2018).
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::stats {

/// Class means and the Cholesky factor of the tied (pooled within-class) covariance.
struct mahalanobis_model {
  Eigen::MatrixXd means;                 ///< C x D class means
  Eigen::MatrixXd covariance;            ///< D x D tied covariance (1/N) sum_c sum_i (x - mu_c)(x - mu_c)^T + ridge I
  Eigen::LLT<Eigen::MatrixXd> cholesky;  ///< of `covariance`
  double ridge = 0.0;                    ///< added to the diagonal
};

/// Options of fit_mahalanobis.
struct mahalanobis_options {
  /// Added to the covariance diagonal, relative to its mean diagonal entry (0 = none). Use > 0
  /// when D approaches N or features are collinear.
  double relative_ridge = 0.0;
};

/// Fits class means and the tied covariance of Lee et al. (2018, eq. 1) from features (N x D,
/// any make_view input) and labels 0..C-1 (every class must be present). O(N D^2 + D^3).
/// Throws invalid_argument on bad input, numerical_error if the covariance is singular (set
/// relative_ridge).
template <class Input, class Labels>
mahalanobis_model fit_mahalanobis(const Input& features, const Labels& labels, const mahalanobis_options& options = {}) {
  const char* fn = "stats::fit_mahalanobis";
  const auto view = make_view(features);
  check_samples(view, 2, fn, "features");
  const class_labels cl = make_labels(labels, 0, fn, "labels");
  check_same_rows(view.rows(), static_cast<index_t>(cl.values.size()), fn, "features", "labels");
  require(options.relative_ridge >= 0.0 && std::isfinite(options.relative_ridge), fn,
          "relative_ridge must be >= 0 (relative_ridge=", options.relative_ridge, ")");
  for (std::size_t c = 0; c < cl.counts.size(); ++c)
    require(cl.counts[c] > 0, fn, "every class 0..C-1 needs a sample (class ", c, " has none)");
  const row_matrix<double> x = to_row_matrix<double>(view);
  const index_t d = x.cols();
  mahalanobis_model m;
  m.means = Eigen::MatrixXd::Zero(cl.num_classes, d);
  for (index_t i = 0; i < x.rows(); ++i) m.means.row(cl.values[static_cast<std::size_t>(i)]) += x.row(i);
  for (index_t c = 0; c < cl.num_classes; ++c) m.means.row(c) /= static_cast<double>(cl.counts[static_cast<std::size_t>(c)]);
  Eigen::MatrixXd centred = x;
  for (index_t i = 0; i < x.rows(); ++i) centred.row(i) -= m.means.row(cl.values[static_cast<std::size_t>(i)]);
  m.covariance = (centred.transpose() * centred) / static_cast<double>(x.rows());
  m.ridge = options.relative_ridge * m.covariance.diagonal().mean();
  m.covariance.diagonal().array() += m.ridge;
  m.cholesky.compute(m.covariance);
  // Relative pivot test (as gaussian_entropy's spectrum check): a pivot^2 below 1e-12 of the mean
  // variance means a numerically singular covariance whose inverse would give ~1e16 distances.
  const double min_pivot = m.cholesky.info() == Eigen::Success ? m.cholesky.matrixLLT().diagonal().minCoeff() : 0.0;
  if (!(min_pivot * min_pivot > 1e-12 * m.covariance.diagonal().mean()))
    throw_numerical_error(fn, "tied covariance is singular; set relative_ridge > 0 (D=", d, ", N=", x.rows(), ")");
  return m;
}

/// Mahalanobis confidence M(x) = -min_c (x - mu_c)^T Sigma^-1 (x - mu_c) (Lee et al. 2018 eq. 2,
/// without input preprocessing): higher = more in-distribution. One score per row. O(N C D^2).
template <class Input>
std::vector<double> mahalanobis_scores(const mahalanobis_model& model, const Input& features) {
  const char* fn = "stats::mahalanobis_scores";
  const auto view = make_view(features);
  check_samples(view, 1, fn, "features");
  require(view.cols() == model.means.cols(), fn, "features must have the model's dimension (cols=", view.cols(),
          ", model dims=", model.means.cols(), ")");
  const row_matrix<double> x = to_row_matrix<double>(view);
  std::vector<double> scores(static_cast<std::size_t>(x.rows()));
  for (index_t i = 0; i < x.rows(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (index_t c = 0; c < model.means.rows(); ++c) {
      const Eigen::VectorXd diff = (x.row(i) - model.means.row(c)).transpose();
      best = std::min(best, diff.dot(model.cholesky.solve(diff)));
    }
    scores[static_cast<std::size_t>(i)] = -best;
  }
  return scores;
}

/// ODIN-style confidence: max_c softmax(logits / T)_c per row (Liang et al. 2018 eq. 1), computed
/// with log-sum-exp. The input-perturbation step of ODIN needs gradients of the network and is
/// not part of this function. T > 0 (T = 1 is the plain maximum softmax probability baseline).
template <class Input>
std::vector<double> odin_confidence(const Input& logits, double temperature = 1000.0) {
  const char* fn = "stats::odin_confidence";
  const auto view = make_view(logits);
  check_samples(view, 1, fn, "logits");
  check_positive(temperature, fn, "temperature");
  std::vector<double> out(static_cast<std::size_t>(view.rows()));
  std::vector<double> scaled(static_cast<std::size_t>(view.cols()));
  for (index_t i = 0; i < view.rows(); ++i) {
    double max_v = -std::numeric_limits<double>::infinity();
    for (index_t j = 0; j < view.cols(); ++j) {
      scaled[static_cast<std::size_t>(j)] = static_cast<double>(view(i, j)) / temperature;
      max_v = std::max(max_v, scaled[static_cast<std::size_t>(j)]);
    }
    out[static_cast<std::size_t>(i)] = std::exp(max_v - logsumexp(scaled));
  }
  return out;
}

}  // namespace infogeo::stats
