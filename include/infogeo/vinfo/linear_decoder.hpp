// The linear softmax decoder family of V-information (thesis ../shared/papers/001 Sec. 1.3: the
// last layer f^L of a network, "an affine linear transformation" followed by a softmax, is the
// family V^{L-1} of its penultimate layer): multinomial logistic regression
//   q(y = c | h) = softmax(h W + b)_c,
// fitted by minimising   J(W, b) = -1/N sum_i log q(y_i | h_i) + (l2 / 2) ||W||_F^2
// (the intercept b is not penalised, as in scikit-learn) with preconditioned L-BFGS (Nocedal &
// Wright 2006, Alg. 7.4-7.5) and a backtracking Armijo line search. J is convex, so the fit is the
// global optimum up to the tolerance. scikit-learn's LogisticRegression(C=Cs, penalty="l2") is the
// same objective with l2 = 1 / (Cs N).
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/vinfo/decoder.hpp"

namespace infogeo::vinfo {

/// Options of the linear softmax family. Defaults: l2 = 1e-4 (in units of the mean
/// cross-entropy; keeps the optimum finite when classes are separable, which in-sample
/// minimality fits always meet), gradient tolerance 1e-6 on max |dJ/dtheta|, 1000 iterations.
struct linear_softmax_options {
  double l2 = 1e-4;                    ///< L2 penalty on W (>= 0); 0 = plain maximum likelihood
  double gradient_tolerance = 1e-6;    ///< stop when max |gradient| <= this (> 0)
  double relative_tolerance = 1e-12;   ///< or when (J_old - J) <= this * max(|J|, 1) (>= 0)
  std::int64_t max_iterations = 1000;  ///< L-BFGS iterations (>= 1)
  int memory = 10;                     ///< L-BFGS history pairs (>= 1)
  /// Precondition L-BFGS with the feature second-moment matrix (see detail::linear_preconditioner).
  /// false = identity initial Hessian, the textbook L-BFGS (kept as the benchmark's baseline).
  bool precondition = true;
};

namespace detail {

/// FNV-1a over the bytes of a contiguous row-major matrix plus its shape: identifies the
/// features a preconditioner was built from (O(N D), negligible next to a fit).
inline std::uint64_t feature_fingerprint(const double* data, index_t rows, index_t cols) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t v) {
    for (int b = 0; b < 8; ++b) {
      h ^= (v >> (8 * b)) & 0xFFU;
      h *= 1099511628211ULL;
    }
  };
  mix(static_cast<std::uint64_t>(rows));
  mix(static_cast<std::uint64_t>(cols));
  const index_t total = rows * cols;
  for (index_t k = 0; k < total; ++k) {
    std::uint64_t bits;
    std::memcpy(&bits, data + k, sizeof bits);
    mix(bits);
  }
  return h;
}

/// The L-BFGS preconditioner M = kappa * Xt^T Xt / N + l2 * E + delta I (Xt = [X, 1], E = identity
/// on the weight rows, 0 on the bias row, kappa = 1 / C: the softmax Hessian at uniform
/// predictions is (I/C - 11^T/C^2) (x) Xt^T Xt / N), as its Cholesky factor.
struct linear_preconditioner {
  std::uint64_t key = 0;
  index_t dims = 0;
  std::int64_t classes = 0;
  double l2 = 0.0;
  Eigen::LLT<Eigen::MatrixXd> llt;
};

using feature_map = Eigen::Map<const row_matrix<double>>;

template <class = void>
std::shared_ptr<const linear_preconditioner> build_linear_preconditioner(const feature_map& x,
                                                                        std::int64_t classes,
                                                                        double l2, std::uint64_t key) {
  const index_t n = x.rows();
  const index_t d = x.cols();
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(d + 1, d + 1);
  m.topLeftCorner(d, d).selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
  const Eigen::RowVectorXd sums = x.colwise().sum();
  m.block(d, 0, 1, d) = sums;
  m(d, d) = static_cast<double>(n);
  const double kappa = 1.0 / (static_cast<double>(n) * static_cast<double>(classes));
  m *= kappa;
  for (index_t j = 0; j < d; ++j) m(j, j) += l2;
  const double delta = 1e-10 * std::max(m.diagonal().sum() / static_cast<double>(d + 1), 1e-300);
  m.diagonal().array() += delta;
  auto p = std::make_shared<linear_preconditioner>();
  p->key = key;
  p->dims = d;
  p->classes = classes;
  p->l2 = l2;
  p->llt.compute(m.selfadjointView<Eigen::Lower>());
  if (p->llt.info() != Eigen::Success) return nullptr;
  return p;
}

/// Mean cross-entropy + penalty and its gradient at theta ((D+1) x C, last row = intercept).
/// `logits` is scratch (N x C). Returns J; writes dJ/dtheta into grad.
template <class = void>
double linear_objective(const feature_map& x, const std::vector<std::int64_t>& y, double l2,
                        const Eigen::MatrixXd& theta, Eigen::MatrixXd& grad, row_matrix<double>& logits,
                        double* cross_entropy = nullptr) {
  const index_t n = x.rows();
  const index_t d = x.cols();
  logits.noalias() = x * theta.topRows(d);
  logits.rowwise() += theta.row(d);
  const Eigen::VectorXd row_max = logits.rowwise().maxCoeff();
  logits.colwise() -= row_max;
  double ce = 0.0;
  for (index_t i = 0; i < n; ++i) ce -= logits(i, static_cast<index_t>(y[static_cast<std::size_t>(i)]));
  logits = logits.array().exp().matrix();
  const Eigen::VectorXd sums = logits.rowwise().sum();  // each >= 1 (the max term is exp(0))
  ce += sums.array().log().sum();
  logits.array().colwise() /= sums.array();  // probabilities
  for (index_t i = 0; i < n; ++i) logits(i, static_cast<index_t>(y[static_cast<std::size_t>(i)])) -= 1.0;
  const double inv_n = 1.0 / static_cast<double>(n);
  grad.resize(d + 1, theta.cols());
  grad.topRows(d).noalias() = x.transpose() * logits;
  grad.row(d) = logits.colwise().sum();
  grad *= inv_n;
  ce *= inv_n;
  if (cross_entropy) *cross_entropy = ce;
  double penalty = 0.0;
  if (l2 > 0.0) {
    grad.topRows(d) += l2 * theta.topRows(d);
    penalty = 0.5 * l2 * theta.topRows(d).squaredNorm();
  }
  return ce + penalty;
}

}  // namespace detail

/// A fitted linear softmax decoder: q(y | h) = softmax(h W + b).
class linear_softmax_decoder {
 public:
  linear_softmax_decoder() = default;

  index_t input_dim() const { return theta_.rows() - 1; }
  std::int64_t num_classes() const { return theta_.cols(); }
  /// W (D x C) and b (C) as one (D+1) x C matrix, intercept in the last row.
  const Eigen::MatrixXd& coefficients() const { return theta_; }
  const decoder_fit_report& report() const { return report_; }

  /// Natural-log class probabilities, N x C (log-sum-exp per row). Throws on a column mismatch.
  template <class = void>
  row_matrix<double> log_probabilities(const sample_view<double>& features) const {
    require(features.cols() == input_dim(), "vinfo::linear_softmax_decoder::log_probabilities",
            "features must have the decoder's input dimension (features cols=", features.cols(),
            ", input_dim=", input_dim(), ")");
    const index_t d = input_dim();
    row_matrix<double> z = features.map() * theta_.topRows(d);
    z.rowwise() += theta_.row(d);
    for (index_t i = 0; i < z.rows(); ++i) {
      const double m = z.row(i).maxCoeff();
      const double lse = m + std::log((z.row(i).array() - m).exp().sum());
      z.row(i).array() -= lse;
    }
    return z;
  }

 private:
  friend class linear_softmax_family;
  Eigen::MatrixXd theta_;
  decoder_fit_report report_;
  std::shared_ptr<const detail::linear_preconditioner> preconditioner_;
};

/// The linear softmax decoder family (see the file comment). fit() is deterministic (no random
/// choice: it starts from zero, or from the warm start). A warm start with the same D and C gives
/// the initial point; when it was fitted on the same features (content hash) with the same l2, its
/// preconditioner is reused too (minimality fits several digits on one class's features).
/// Cost per iteration: two N x D x C products; the preconditioner costs one N x D^2/2 product and
/// a (D+1)^3/3 Cholesky factorisation, once per feature matrix.
class linear_softmax_family {
 public:
  using fitted_type = linear_softmax_decoder;

  explicit linear_softmax_family(linear_softmax_options options = {}) : options_(options) {
    const char* fn = "vinfo::linear_softmax_family";
    require(std::isfinite(options.l2) && options.l2 >= 0.0, fn, "l2 must be finite and >= 0 (l2=", options.l2, ")");
    require(std::isfinite(options.gradient_tolerance) && options.gradient_tolerance > 0.0, fn,
            "gradient_tolerance must be > 0 (gradient_tolerance=", options.gradient_tolerance, ")");
    require(std::isfinite(options.relative_tolerance) && options.relative_tolerance >= 0.0, fn,
            "relative_tolerance must be >= 0 (relative_tolerance=", options.relative_tolerance, ")");
    require(options.max_iterations >= 1, fn, "max_iterations must be >= 1 (max_iterations=",
            options.max_iterations, ")");
    require(options.memory >= 1, fn, "memory must be >= 1 (memory=", options.memory, ")");
  }

  std::string name() const { return "linear_softmax"; }
  const linear_softmax_options& options() const { return options_; }

  /// Fits W, b on (features, labels); the context's purpose and seed do not matter (the fit is
  /// the convex optimum either way). Throws invalid_argument on a shape/label mismatch, fewer than
  /// 2 classes or 1 sample.
  template <class = void>
  linear_softmax_decoder fit(const sample_view<double>& features, const std::vector<std::int64_t>& labels,
                             std::int64_t num_classes, const decoder_fit_context& context = {},
                             const linear_softmax_decoder* warm_start = nullptr) const {
    (void)context;
    const char* fn = "vinfo::linear_softmax_family::fit";
    check_fit_inputs(fn, features, labels, num_classes);

    row_matrix<double> copy;
    const double* data = features.data();
    if (!features.contiguous()) {
      copy = features.map();
      data = copy.data();
    }
    const index_t n = features.rows();
    const index_t d = features.cols();
    const detail::feature_map x(data, n, d);
    const std::int64_t c = num_classes;
    const double l2 = options_.l2;

    linear_softmax_decoder out;
    const std::uint64_t key = detail::feature_fingerprint(data, n, d);
    if (warm_start && warm_start->preconditioner_ && warm_start->preconditioner_->key == key &&
        warm_start->preconditioner_->dims == d && warm_start->preconditioner_->classes == c &&
        warm_start->preconditioner_->l2 == l2)
      out.preconditioner_ = warm_start->preconditioner_;
    else if (options_.precondition)
      out.preconditioner_ = detail::build_linear_preconditioner(x, c, l2, key);

    Eigen::MatrixXd theta = Eigen::MatrixXd::Zero(d + 1, c);
    if (warm_start && warm_start->theta_.rows() == d + 1 && warm_start->theta_.cols() == c)
      theta = warm_start->theta_;

    auto precondition = [&](const Eigen::MatrixXd& g) -> Eigen::MatrixXd {
      if (out.preconditioner_) return out.preconditioner_->llt.solve(g);
      return g;
    };
    auto dot = [](const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return a.cwiseProduct(b).sum(); };

    row_matrix<double> scratch(n, c);
    Eigen::MatrixXd grad;
    double ce = 0.0;
    double f = detail::linear_objective(x, labels, l2, theta, grad, scratch, &ce);
    decoder_fit_report& rep = out.report_;
    rep.evaluations = 1;
    std::deque<Eigen::MatrixXd> s_hist, y_hist;
    std::deque<double> rho_hist;
    std::int64_t it = 0;
    rep.stop_reason = "max_iterations";
    double gmax = grad.cwiseAbs().maxCoeff();
    if (gmax <= options_.gradient_tolerance) {
      rep.converged = true;
      rep.stop_reason = "gradient tolerance";
    }
    Eigen::MatrixXd new_grad, new_theta;
    while (!rep.converged && it < options_.max_iterations) {
      // Two-loop recursion with H0 = gamma M^{-1}.
      Eigen::MatrixXd q = grad;
      const std::size_t m = s_hist.size();
      std::vector<double> alpha(m);
      for (std::size_t k = m; k-- > 0;) {
        alpha[k] = rho_hist[k] * dot(s_hist[k], q);
        q -= alpha[k] * y_hist[k];
      }
      Eigen::MatrixXd r = precondition(q);
      if (m > 0) {
        // gamma = s^T y / (y^T M^{-1} y), the preconditioned form of Nocedal & Wright eq. (7.20).
        const double yhy = out.preconditioner_ ? dot(y_hist.back(), precondition(y_hist.back()))
                                               : y_hist.back().squaredNorm();
        if (yhy > 0.0) r *= (1.0 / rho_hist.back()) / yhy;
      }
      for (std::size_t k = 0; k < m; ++k) {
        const double beta = rho_hist[k] * dot(y_hist[k], r);
        r += s_hist[k] * (alpha[k] - beta);
      }
      Eigen::MatrixXd dir = -r;
      double slope = dot(grad, dir);
      if (!(slope < 0.0)) {  // not a descent direction (numerical trouble): restart on the gradient
        s_hist.clear();
        y_hist.clear();
        rho_hist.clear();
        dir = -precondition(grad);
        slope = dot(grad, dir);
        if (!(slope < 0.0)) {
          dir = -grad;
          slope = dot(grad, dir);
        }
      }
      // Backtracking Armijo search (c1 = 1e-4) with safeguarded quadratic interpolation.
      double step = 1.0;
      double new_f = 0.0, new_ce = 0.0;
      bool accepted = false;
      for (int ls = 0; ls < 40; ++ls) {
        new_theta = theta + step * dir;
        new_f = detail::linear_objective(x, labels, l2, new_theta, new_grad, scratch, &new_ce);
        ++rep.evaluations;
        if (std::isfinite(new_f) && new_f <= f + 1e-4 * step * slope) {
          accepted = true;
          break;
        }
        double next = std::isfinite(new_f) ? -slope * step * step / (2.0 * (new_f - f - slope * step)) : 0.1 * step;
        if (!(next >= 0.1 * step && next <= 0.5 * step)) next = std::clamp(next, 0.1 * step, 0.5 * step);
        step = next;
      }
      ++it;
      if (!accepted) {
        rep.stop_reason = "line search failed";
        // At the limit of double precision the gradient is tiny; call that converged only then.
        rep.converged = gmax <= 100.0 * options_.gradient_tolerance;
        break;
      }
      Eigen::MatrixXd s = new_theta - theta;
      Eigen::MatrixXd yv = new_grad - grad;
      const double sy = dot(s, yv);
      const double old_f = f;
      theta.swap(new_theta);
      grad.swap(new_grad);
      f = new_f;
      ce = new_ce;
      if (sy > 1e-300) {
        if (static_cast<int>(s_hist.size()) == options_.memory) {
          s_hist.pop_front();
          y_hist.pop_front();
          rho_hist.pop_front();
        }
        s_hist.push_back(std::move(s));
        y_hist.push_back(std::move(yv));
        rho_hist.push_back(1.0 / sy);
      }
      gmax = grad.cwiseAbs().maxCoeff();
      if (gmax <= options_.gradient_tolerance) {
        rep.converged = true;
        rep.stop_reason = "gradient tolerance";
      } else if (old_f - f <= options_.relative_tolerance * std::max(std::abs(f), 1.0)) {
        rep.converged = true;
        rep.stop_reason = "relative decrease";
      }
    }
    rep.iterations = it;
    rep.objective = f;
    rep.train_cross_entropy = ce;
    rep.gradient_norm = gmax;
    out.theta_ = std::move(theta);
    return out;
  }

 private:
  linear_softmax_options options_;
};

}  // namespace infogeo::vinfo
