// Variational upper bound on the residual information I(X;Z|Y) of a conditional entropy
// bottleneck (CEB) model (Fischer 2020, "The conditional entropy bottleneck", Entropy 22(9);
// seed paper "Geometric and information compression of representations in deep learning",
// eqs. 1-2). The seed paper's objective (eq. 1) is L_CEB = I(X;Z|Y) + beta L_ce, beta on the
// cross-entropy (small beta = strong compression; Fischer's form beta I(X;Z|Y) - I(Y;Z) weights the
// other term); eq. 2 bounds I(X;Z|Y) with the forward encoder
// e(z|x) = N(mu(x), diag sigma(x)^2) and a class-conditional backward encoder
// b(z|y) = N(m_y, diag s_y^2), using
//   I(X;Z|Y) <= E_{p(x,y)} E_{e(z|x)} [log e(z|x) - log b(z|y)] = E_{p(x,y)} KL(e(.|x) || b(.|y)),
// with the KL between diagonal Gaussians in closed form:
//   KL = sum_j [ log(s_j / sigma_j) + (sigma_j^2 + (mu_j - m_j)^2) / (2 s_j^2) - 1/2 ].
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::mi {

/// KL(N(mean1, diag sd1^2) || N(mean2, diag sd2^2)) in nats for one pair of diagonal Gaussians
/// (any Eigen vector expressions of equal size; sd > 0 is the caller's responsibility).
template <class A, class B, class C, class D>
double diagonal_gaussian_kl(const Eigen::MatrixBase<A>& mean1, const Eigen::MatrixBase<B>& sd1,
                            const Eigen::MatrixBase<C>& mean2, const Eigen::MatrixBase<D>& sd2) {
  const auto s1 = sd1.template cast<double>().array();
  const auto s2 = sd2.template cast<double>().array();
  const auto diff = mean1.template cast<double>().array() - mean2.template cast<double>().array();
  return ((s2 / s1).log() + (s1.square() + diff.square()) / (2.0 * s2.square()) - 0.5).sum();
}

/// Class-conditional backward encoders b(z|y) = N(m_y, diag s_y^2), one row per class.
struct ceb_backward_encoders {
  row_matrix<double> mean;  ///< C x D
  row_matrix<double> sd;    ///< C x D, > 0
};

/// The diagonal-Gaussian backward encoders that minimise the CEB bound for given forward
/// encoders: for each class y (moment matching of the mixture of the class's encoders),
///   m_y = mean_{i: y_i = y} mu_i,   s_y^2 = mean_{i: y_i = y} (sigma_i^2 + (mu_i - m_y)^2).
/// (Setting the derivative of E KL with respect to m_y and s_y to zero gives exactly these.)
/// Classes without samples get mean 0 and sd 1 (unused). Errors as ceb_residual_information.
template <class Mean, class Sd, class Labels>
ceb_backward_encoders fit_ceb_backward_encoders(const Mean& mu, const Sd& sigma,
                                                const Labels& labels) {
  const char* fn = "fit_ceb_backward_encoders";
  const auto mv = make_view(mu);
  const auto sv = make_view(sigma);
  check_samples(mv, 1, fn, "mu");
  check_samples(sv, 1, fn, "sigma");
  require(mv.cols() == sv.cols(), fn, "mu and sigma must have the same columns (mu cols=",
          mv.cols(), ", sigma cols=", sv.cols(), ")");
  check_same_rows(mv.rows(), sv.rows(), fn, "mu", "sigma");
  const class_labels y = make_labels(labels, 0, fn, "labels");
  check_same_rows(mv.rows(), static_cast<index_t>(y.values.size()), fn, "mu", "labels");
  const row_matrix<double> m = to_row_matrix<double>(mv);
  const row_matrix<double> s = to_row_matrix<double>(sv);
  require((s.array() > 0.0).all(), fn, "sigma must be > 0 (min sigma=", s.minCoeff(), ")");
  const index_t C = y.num_classes;
  const index_t D = m.cols();
  ceb_backward_encoders out;
  out.mean = row_matrix<double>::Zero(C, D);
  row_matrix<double> second = row_matrix<double>::Zero(C, D);
  for (index_t i = 0; i < m.rows(); ++i) {
    const index_t c = y.values[static_cast<std::size_t>(i)];
    out.mean.row(c) += m.row(i);
  }
  for (index_t c = 0; c < C; ++c) {
    const auto count = y.counts[static_cast<std::size_t>(c)];
    if (count > 0) out.mean.row(c) /= static_cast<double>(count);
  }
  for (index_t i = 0; i < m.rows(); ++i) {
    const index_t c = y.values[static_cast<std::size_t>(i)];
    second.row(c) += (s.row(i).array().square() + (m.row(i) - out.mean.row(c)).array().square())
                         .matrix();
  }
  out.sd.resize(C, D);
  for (index_t c = 0; c < C; ++c) {
    const auto count = y.counts[static_cast<std::size_t>(c)];
    if (count > 0)
      out.sd.row(c) = (second.row(c).array() / static_cast<double>(count)).sqrt().matrix();
    else
      out.sd.row(c).setOnes();
  }
  return out;
}

/// CEB variational upper bound on I(X;Z|Y) in nats (seed paper eq. 2; Fischer 2020):
/// (1/N) sum_i KL(N(mu_i, sigma_i^2) || N(m_{y_i}, s_{y_i}^2)), closed form per sample.
/// mu, sigma: N x D forward-encoder parameters (sigma the standard deviations, > 0);
/// labels: N class labels in [0, C); backward: C x D class-conditional means and sds.
/// The bound is tight when b(z|y) equals the true p(z|y) (a mixture of the class's encoders,
/// which a single Gaussian matches only approximately). std_error = sd of the per-sample KLs /
/// sqrt(N). Cost O(N D). Errors: invalid_argument on mismatched shapes, NaN/Inf, sigma <= 0,
/// s <= 0, labels outside [0, C).
template <class Mean, class Sd, class Labels>
estimate ceb_residual_information(const Mean& mu, const Sd& sigma, const Labels& labels,
                                  const ceb_backward_encoders& backward) {
  const char* fn = "ceb_residual_information";
  const auto mv = make_view(mu);
  const auto sv = make_view(sigma);
  check_samples(mv, 1, fn, "mu");
  check_samples(sv, 1, fn, "sigma");
  require(mv.cols() == sv.cols(), fn, "mu and sigma must have the same columns (mu cols=",
          mv.cols(), ", sigma cols=", sv.cols(), ")");
  check_same_rows(mv.rows(), sv.rows(), fn, "mu", "sigma");
  const index_t C = backward.mean.rows();
  require(C >= 1 && backward.sd.rows() == C && backward.mean.cols() == mv.cols() &&
              backward.sd.cols() == mv.cols(),
          fn, "backward mean and sd must both be C x D with D = mu cols (mean ",
          backward.mean.rows(), "x", backward.mean.cols(), ", sd ", backward.sd.rows(), "x",
          backward.sd.cols(), ", D=", mv.cols(), ")");
  require(backward.mean.allFinite() && backward.sd.allFinite() &&
              (backward.sd.array() > 0.0).all(),
          fn, "backward means must be finite and sds finite and > 0 (min sd=",
          backward.sd.minCoeff(), ")");
  const class_labels y = make_labels(labels, C, fn, "labels");
  check_same_rows(mv.rows(), static_cast<index_t>(y.values.size()), fn, "mu", "labels");
  const row_matrix<double> m = to_row_matrix<double>(mv);
  const row_matrix<double> s = to_row_matrix<double>(sv);
  require((s.array() > 0.0).all(), fn, "sigma must be > 0 (min sigma=", s.minCoeff(), ")");
  const index_t N = m.rows();
  Eigen::VectorXd kl(N);
  for (index_t i = 0; i < N; ++i) {
    const index_t c = y.values[static_cast<std::size_t>(i)];
    kl(i) = diagonal_gaussian_kl(m.row(i).transpose(), s.row(i).transpose(),
                                 backward.mean.row(c).transpose(), backward.sd.row(c).transpose());
  }
  estimate e;
  e.value = kl.mean();
  if (N >= 2) e.std_error = std::sqrt((kl.array() - e.value).square().sum() /
                                      static_cast<double>(N - 1) / static_cast<double>(N));
  e.n = N;
  e.dims = m.cols();
  e.method = "ceb_residual_information";
  e.parameters["classes"] = static_cast<double>(C);
  e.details["min_sample_kl"] = kl.minCoeff();
  e.details["max_sample_kl"] = kl.maxCoeff();
  return e;
}

/// ceb_residual_information with the optimal diagonal-Gaussian backward encoders fitted from
/// the same data (fit_ceb_backward_encoders): the tightest bound this family gives.
/// settings["backward"] = "moment_matched".
template <class Mean, class Sd, class Labels>
estimate ceb_residual_information(const Mean& mu, const Sd& sigma, const Labels& labels) {
  const ceb_backward_encoders b = fit_ceb_backward_encoders(mu, sigma, labels);
  estimate e = ceb_residual_information(mu, sigma, labels, b);
  e.settings["backward"] = "moment_matched";
  return e;
}

}  // namespace infogeo::mi
