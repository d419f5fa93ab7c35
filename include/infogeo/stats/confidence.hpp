// Confidence scores for out-of-distribution and misclassification detection: Mahalanobis distance
// to class means (Lee et al. 2018) with a tied covariance or one covariance per class, and
// ODIN-style temperature-scaled softmax (Liang et al. 2018).
//
// Two protocols:
//  * Lee et al. (2018, eqs. 1-2): class means + tied (pooled) covariance fitted on all training
//    points; score -min_c d_c(x)^2 (fit_mahalanobis + mahalanobis_scores).
//  * "Latent point collapse induces an information bottleneck in deep neural network classifiers"
//    (seed paper 003), Sec. 3.2: "we fit a different multivariate Gaussian on each class of the
//    train set", taking "the latent representations of well-classified points in the training set
//    as a reference", and "compute the Mahalanobis distance from the mean of the class predicted by
//    the network" (fit_mahalanobis_on_correct with covariance_kind::per_class +
//    mahalanobis_scores_to_class with the test predictions; misclassification_auroc gives their
//    Table 2 AUROC).
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
#include "infogeo/stats/auroc.hpp"

namespace infogeo::stats {

/// Which covariance the Mahalanobis distance uses.
enum class covariance_kind {
  tied,      ///< one pooled within-class covariance for all classes (Lee et al. 2018, eq. 1)
  per_class  ///< one covariance per class, its own samples only (seed paper 003, Sec. 3.2)
};

/// Class means and the Cholesky factor(s) of the covariance(s).
struct mahalanobis_model {
  covariance_kind kind = covariance_kind::tied;
  Eigen::MatrixXd means;                 ///< C x D class means
  Eigen::MatrixXd covariance;            ///< tied: D x D (1/N) sum_c sum_i (x - mu_c)(x - mu_c)^T + ridge I
  Eigen::LLT<Eigen::MatrixXd> cholesky;  ///< tied: of `covariance`
  double ridge = 0.0;                    ///< tied: added to the diagonal
  std::vector<Eigen::MatrixXd> class_covariances;           ///< per_class: (1/n_c) sum_i (x - mu_c)(...)^T + ridge_c I
  std::vector<Eigen::LLT<Eigen::MatrixXd>> class_cholesky;  ///< per_class: of each class covariance
  std::vector<double> class_ridges;                         ///< per_class: added to each diagonal
  std::int64_t samples = 0;              ///< training rows the model was fitted on
};

/// Options of fit_mahalanobis.
struct mahalanobis_options {
  /// Added to the covariance diagonal, relative to its mean diagonal entry (0 = none). Use > 0
  /// when D approaches N (per class: n_c) or features are collinear.
  double relative_ridge = 0.0;
  covariance_kind covariance = covariance_kind::tied;
};

namespace detail {
// Cholesky with the relative pivot test (as gaussian_entropy's spectrum check): a pivot^2 below
// 1e-12 of the mean variance means a numerically singular covariance whose inverse would give
// ~1e16 distances.
template <class = void>
void mahalanobis_factor(Eigen::MatrixXd& cov, double relative_ridge, double& ridge, Eigen::LLT<Eigen::MatrixXd>& llt,
                        const char* fn, const char* what, std::int64_t cls, index_t n) {
  ridge = relative_ridge * cov.diagonal().mean();
  cov.diagonal().array() += ridge;
  llt.compute(cov);
  const double min_pivot = llt.info() == Eigen::Success ? llt.matrixLLT().diagonal().minCoeff() : 0.0;
  if (!(min_pivot * min_pivot > 1e-12 * cov.diagonal().mean())) {
    if (cls < 0)
      throw_numerical_error(fn, what, " covariance is singular; set relative_ridge > 0 (D=", cov.rows(), ", N=", n,
                            ")");
    throw_numerical_error(fn, what, " covariance of class ", cls, " is singular; set relative_ridge > 0 (D=",
                          cov.rows(), ", n_c=", n, ")");
  }
}
}  // namespace detail

/// Fits class means and the covariance(s) from features (N x D, any make_view input) and labels
/// 0..C-1 (every class must be present). tied: the pooled covariance of Lee et al. (2018, eq. 1),
/// divisor N. per_class: each class's own covariance, divisor n_c (maximum likelihood, as a
/// Gaussian fit per class); needs n_c >= 2 per class. O(N D^2 + C D^3).
/// Throws invalid_argument on bad input, numerical_error if a covariance is singular (set
/// relative_ridge; per class this happens whenever n_c <= D).
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
  const bool per_class = options.covariance == covariance_kind::per_class;
  if (per_class)
    for (std::size_t c = 0; c < cl.counts.size(); ++c)
      require(cl.counts[c] >= 2, fn, "a per-class covariance needs >= 2 samples per class (class ", c, " has ",
              cl.counts[c], ")");
  const row_matrix<double> x = to_row_matrix<double>(view);
  const index_t d = x.cols();
  mahalanobis_model m;
  m.kind = options.covariance;
  m.samples = x.rows();
  m.means = Eigen::MatrixXd::Zero(cl.num_classes, d);
  for (index_t i = 0; i < x.rows(); ++i) m.means.row(cl.values[static_cast<std::size_t>(i)]) += x.row(i);
  for (index_t c = 0; c < cl.num_classes; ++c) m.means.row(c) /= static_cast<double>(cl.counts[static_cast<std::size_t>(c)]);
  Eigen::MatrixXd centred = x;
  for (index_t i = 0; i < x.rows(); ++i) centred.row(i) -= m.means.row(cl.values[static_cast<std::size_t>(i)]);
  if (!per_class) {
    m.covariance = (centred.transpose() * centred) / static_cast<double>(x.rows());
    detail::mahalanobis_factor(m.covariance, options.relative_ridge, m.ridge, m.cholesky, fn, "tied", -1, x.rows());
    return m;
  }
  const auto cs = static_cast<std::size_t>(cl.num_classes);
  m.class_covariances.assign(cs, Eigen::MatrixXd::Zero(d, d));
  m.class_cholesky.resize(cs);
  m.class_ridges.assign(cs, 0.0);
  for (index_t i = 0; i < x.rows(); ++i)
    m.class_covariances[static_cast<std::size_t>(cl.values[static_cast<std::size_t>(i)])]
        .selfadjointView<Eigen::Lower>()
        .rankUpdate(centred.row(i).transpose());
  for (std::size_t c = 0; c < cs; ++c) {
    Eigen::MatrixXd full = m.class_covariances[c].selfadjointView<Eigen::Lower>();
    m.class_covariances[c] = full / static_cast<double>(cl.counts[c]);
    detail::mahalanobis_factor(m.class_covariances[c], options.relative_ridge, m.class_ridges[c], m.class_cholesky[c],
                               fn, "per-class", static_cast<std::int64_t>(c), static_cast<index_t>(cl.counts[c]));
  }
  return m;
}

/// The protocol of seed paper 003 (Sec. 3.2): fits on the training rows the network classified
/// correctly (labels[i] == predictions[i]) only. C = max label + 1 over all training labels; every
/// class needs a correctly classified sample (>= 2 for per_class). Default options here use
/// covariance_kind::per_class, their "different multivariate Gaussian on each class".
/// Errors as fit_mahalanobis, plus mismatched lengths and classes with no correct sample.
template <class Input, class Labels, class Predictions>
mahalanobis_model fit_mahalanobis_on_correct(const Input& features, const Labels& labels, const Predictions& predictions,
                                             const mahalanobis_options& options = {0.0, covariance_kind::per_class}) {
  const char* fn = "stats::fit_mahalanobis_on_correct";
  const auto view = make_view(features);
  check_samples(view, 2, fn, "features");
  const class_labels cl = make_labels(labels, 0, fn, "labels");
  const class_labels pl = make_labels(predictions, 0, fn, "predictions");
  check_same_rows(view.rows(), static_cast<index_t>(cl.values.size()), fn, "features", "labels");
  check_same_rows(view.rows(), static_cast<index_t>(pl.values.size()), fn, "features", "predictions");
  std::vector<index_t> keep;
  std::vector<std::int64_t> kept_labels;
  std::vector<std::int64_t> correct(static_cast<std::size_t>(cl.num_classes), 0);
  for (std::size_t i = 0; i < cl.values.size(); ++i)
    if (cl.values[i] == pl.values[i]) {
      keep.push_back(static_cast<index_t>(i));
      kept_labels.push_back(cl.values[i]);
      ++correct[static_cast<std::size_t>(cl.values[i])];
    }
  for (std::size_t c = 0; c < correct.size(); ++c)
    require(correct[c] > 0, fn, "every class needs a correctly classified training sample (class ", c, " has ",
            cl.counts[c], " samples, 0 classified correctly)");
  row_matrix<double> sub(static_cast<index_t>(keep.size()), view.cols());
  for (std::size_t k = 0; k < keep.size(); ++k)
    for (index_t j = 0; j < view.cols(); ++j) sub(static_cast<index_t>(k), j) = static_cast<double>(view(keep[k], j));
  return fit_mahalanobis(sub, kept_labels, options);
}

namespace detail {
template <class = void>
double mahalanobis_sq(const mahalanobis_model& model, const Eigen::VectorXd& x, index_t c) {
  const Eigen::VectorXd diff = x - model.means.row(c).transpose();
  if (model.kind == covariance_kind::tied) return diff.dot(model.cholesky.solve(diff));
  return diff.dot(model.class_cholesky[static_cast<std::size_t>(c)].solve(diff));
}
}  // namespace detail

/// Mahalanobis confidence M(x) = -min_c (x - mu_c)^T Sigma_c^-1 (x - mu_c) (Lee et al. 2018 eq. 2,
/// without input preprocessing; Sigma_c = the tied covariance or class c's own): higher = more
/// in-distribution. One score per row. O(N C D^2).
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
    const Eigen::VectorXd xi = x.row(i).transpose();
    for (index_t c = 0; c < model.means.rows(); ++c) best = std::min(best, detail::mahalanobis_sq(model, xi, c));
    scores[static_cast<std::size_t>(i)] = -best;
  }
  return scores;
}

/// Confidence to a given class per row: -(x_i - mu_k)^T Sigma_k^-1 (x_i - mu_k), k = classes[i]
/// (seed paper 003, Sec. 3.2: "the Mahalanobis distance from the mean of the class predicted by the
/// network"; pass the network's test predictions as `classes`). Higher = more confident.
/// O(N D^2). Errors: classes of the wrong length or outside [0, C), bad features.
template <class Input, class Classes>
std::vector<double> mahalanobis_scores_to_class(const mahalanobis_model& model, const Input& features,
                                                const Classes& classes) {
  const char* fn = "stats::mahalanobis_scores_to_class";
  const auto view = make_view(features);
  check_samples(view, 1, fn, "features");
  require(view.cols() == model.means.cols(), fn, "features must have the model's dimension (cols=", view.cols(),
          ", model dims=", model.means.cols(), ")");
  const class_labels k = make_labels(classes, model.means.rows(), fn, "classes");
  check_same_rows(view.rows(), static_cast<index_t>(k.values.size()), fn, "features", "classes");
  const row_matrix<double> x = to_row_matrix<double>(view);
  std::vector<double> scores(static_cast<std::size_t>(x.rows()));
  for (index_t i = 0; i < x.rows(); ++i)
    scores[static_cast<std::size_t>(i)] =
        -detail::mahalanobis_sq(model, x.row(i).transpose(), k.values[static_cast<std::size_t>(i)]);
  return scores;
}

/// Misclassification detection (seed paper 003, Table 2 "AUROC"): AUROC of the confidence scores
/// with correctly classified rows (labels[i] == predictions[i]) as positives and misclassified
/// rows as negatives. 1 = the score ranks every correct prediction above every error, 0.5 = chance.
/// Errors: mismatched lengths; no correct or no misclassified row (AUROC undefined).
template <class Labels, class Predictions>
double misclassification_auroc(const std::vector<double>& scores, const Labels& labels, const Predictions& predictions) {
  const char* fn = "stats::misclassification_auroc";
  const class_labels cl = make_labels(labels, 0, fn, "labels");
  const class_labels pl = make_labels(predictions, 0, fn, "predictions");
  require(scores.size() == cl.values.size() && scores.size() == pl.values.size(), fn,
          "scores, labels and predictions must have the same length (scores=", scores.size(), ", labels=",
          cl.values.size(), ", predictions=", pl.values.size(), ")");
  std::vector<double> correct, wrong;
  for (std::size_t i = 0; i < scores.size(); ++i) (cl.values[i] == pl.values[i] ? correct : wrong).push_back(scores[i]);
  require(!correct.empty() && !wrong.empty(), fn,
          "needs both correctly classified and misclassified rows (correct=", correct.size(), ", misclassified=",
          wrong.size(), ")");
  return auroc(correct, wrong);
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
