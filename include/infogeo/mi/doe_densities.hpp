// Trainable densities for the difference-of-entropies (DoE) estimator (McAllester & Stratos 2020,
// "Formal limitations on the measurement of mutual information", AISTATS, Sec. 7): diagonal
// and full-covariance (Cholesky) Gaussian, K-component diagonal Gaussian mixture, diagonal logistic and
// K-component factorised logistic mixture ("Geometric and information compression of
// representations in deep learning", App. C.3: "a factorized logistic mixture model"), each with a
// batched negative log-density, its gradients with respect to the parameters and to z, and sampling.
//
// Parameters are laid out per row ("theta"), so that the same kernels serve the marginal q(z)
// (one parameter row shared by all samples) and the conditional q(z|x) (one row per sample,
// produced by an MLP of x; see doe.hpp):
//   gaussian, logistic: [mu (D) | log s (D)]                        P = 2 D
//   mixture, logistic_mixture:
//                       [logits (K) | mu_1..mu_K (K D) | log s_1..log s_K (K D)]   P = K + 2 K D
//   gaussian_full:      [mu (D) | log L_ii (D) | L_ij, i > j, row-major]   P = 2 D + D (D - 1) / 2
//                       (Cholesky factor of the covariance; zeros = the identity, so the
//                       initialisation of the diagonal family carries over)
// All computation is in double; the kernels are vectorised over the rows of a minibatch.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"

namespace infogeo::mi {

/// The density family of a DoE model.
enum class doe_family {
  gaussian,  ///< diagonal Gaussian N(mu, diag(s^2))
  mixture,   ///< K-component diagonal Gaussian mixture (a mixture density network when conditional)
  logistic,  ///< product of logistic densities: -log p = sum_i [w_i + 2 softplus(-w_i) + log s_i]
  gaussian_full,  ///< full-covariance Gaussian N(mu, L L^T), L lower triangular (Cholesky factor)
  logistic_mixture,  ///< K-component mixture of products of logistic densities (App. C.3)
};

/// True for the two K-component families (mixture, logistic_mixture).
inline bool is_mixture(doe_family family) {
  return family == doe_family::mixture || family == doe_family::logistic_mixture;
}

/// "gaussian", "mixture", "logistic", "gaussian_full" or "logistic_mixture".
inline std::string to_string(doe_family family) {
  switch (family) {
    case doe_family::gaussian: return "gaussian";
    case doe_family::mixture: return "mixture";
    case doe_family::logistic: return "logistic";
    case doe_family::gaussian_full: return "gaussian_full";
    case doe_family::logistic_mixture: return "logistic_mixture";
  }
  return "unknown";
}

/// Number of parameters P of one parameter row for dimension `dim` and `components` mixture
/// components (ignored unless is_mixture(family)). Throws invalid_argument for dim < 1 or
/// components < 1.
inline index_t doe_parameter_count(doe_family family, index_t dim, index_t components) {
  require(dim >= 1, "doe_parameter_count", "dim must be >= 1 (dim=", dim, ")");
  require(components >= 1, "doe_parameter_count", "components must be >= 1 (components=",
          components, ")");
  if (is_mixture(family)) return components + 2 * components * dim;
  if (family == doe_family::gaussian_full) return 2 * dim + dim * (dim - 1) / 2;
  return 2 * dim;
}

namespace detail {

inline constexpr double half_log_two_pi = 0.91893853320467274178032973640562;

// Elementwise softplus through the scalar one in core (exact for all arguments).
template <class Derived>
Eigen::ArrayXXd softplus_array(const Eigen::ArrayBase<Derived>& x) {
  return x.unaryExpr([](double v) { return infogeo::softplus(v); });
}

template <class = void>
void check_theta_shape(const row_matrix<double>& theta, const row_matrix<double>& z,
                       index_t P, const char* function) {
  require(theta.cols() == P, function, "theta must have P columns (theta cols=", theta.cols(),
          ", P=", P, ")");
  require(theta.rows() == z.rows(), function,
          "theta and z must have the same number of rows (theta rows=", theta.rows(),
          ", z rows=", z.rows(), ")");
}

}  // namespace detail

/// Batched negative log-density of the DoE families.
/// For every row r: nll(r) = -log q(z_r; theta_r) in nats, theta laid out as described at the
/// top of this header (log-scales, not scales, so every parameter is unconstrained).
///   gaussian: nll = sum_i [w_i^2 / 2 + log s_i + log(2 pi) / 2], w = (z - mu) / s
///   logistic: nll = sum_i [w_i + 2 softplus(-w_i) + log s_i]  (softplus evaluated stably)
///   mixture:  nll = -logsumexp_k [log pi_k + log N(z; mu_k, s_k)], pi = softmax(logits)
///   logistic_mixture: nll = -logsumexp_k [log pi_k - sum_i (w_ki + 2 softplus(-w_ki) + log s_ki)]
/// If `d_theta` is not null it receives d nll(r) / d theta_r (rows x P); if `d_z` is not null it
/// receives d nll(r) / d z_r (rows x D), i.e. minus the score. Cost O(rows * P).
/// Throws invalid_argument on mismatched shapes; non-finite parameters propagate (the trainer
/// checks its losses and throws numerical_error).
template <class = void>
void doe_negative_log_density(doe_family family, index_t components,
                              const row_matrix<double>& theta, const row_matrix<double>& z,
                              Eigen::VectorXd& nll, row_matrix<double>* d_theta = nullptr,
                              row_matrix<double>* d_z = nullptr) {
  const char* fn = "doe_negative_log_density";
  const index_t D = z.cols();
  const index_t P = doe_parameter_count(family, D, components);
  detail::check_theta_shape(theta, z, P, fn);
  const index_t B = z.rows();
  if (d_theta) d_theta->resize(B, P);
  if (d_z) d_z->resize(B, D);
  const auto za = z.array();

  if (family == doe_family::gaussian_full) {
    // theta = [mu (D) | log L_ii (D) | L_ij, i > j, row-major (D(D-1)/2)]. Per row: L u = z - mu
    // (forward substitution), nll = |u|^2 / 2 + sum log L_ii + D log(2 pi) / 2; with v = L^-T u:
    // d mu = -v, d L_ij = -v_i u_j (i > j), d log L_ii = 1 - L_ii v_i u_i, d z = v.
    nll.resize(B);
    Eigen::VectorXd u(D), v(D), diag(D);
    auto off = [D](index_t i, index_t j) { return 2 * D + i * (i - 1) / 2 + j; };
    for (index_t r = 0; r < B; ++r) {
      double log_det = 0.0;
      for (index_t i = 0; i < D; ++i) {
        diag(i) = std::exp(theta(r, D + i));
        log_det += theta(r, D + i);
        double acc = z(r, i) - theta(r, i);
        for (index_t j = 0; j < i; ++j) acc -= theta(r, off(i, j)) * u(j);
        u(i) = acc / diag(i);
      }
      nll(r) = 0.5 * u.squaredNorm() + log_det + static_cast<double>(D) * detail::half_log_two_pi;
      if (!d_theta && !d_z) continue;
      for (index_t i = D - 1; i >= 0; --i) {
        double acc = u(i);
        for (index_t j = i + 1; j < D; ++j) acc -= theta(r, off(j, i)) * v(j);
        v(i) = acc / diag(i);
      }
      if (d_z) d_z->row(r) = v.transpose();
      if (d_theta) {
        for (index_t i = 0; i < D; ++i) {
          (*d_theta)(r, i) = -v(i);
          (*d_theta)(r, D + i) = 1.0 - diag(i) * v(i) * u(i);
          for (index_t j = 0; j < i; ++j) (*d_theta)(r, off(i, j)) = -v(i) * u(j);
        }
      }
    }
    return;
  }

  if (family == doe_family::gaussian || family == doe_family::logistic) {
    const auto mu = theta.leftCols(D).array();
    const auto log_s = theta.middleCols(D, D).array();
    const Eigen::ArrayXXd inv_s = (-log_s).exp();
    const Eigen::ArrayXXd w = (za - mu) * inv_s;
    if (family == doe_family::gaussian) {
      nll = (0.5 * w.square() + log_s).rowwise().sum().matrix();
      nll.array() += static_cast<double>(D) * detail::half_log_two_pi;
      if (d_theta) {
        d_theta->leftCols(D).array() = -w * inv_s;
        d_theta->middleCols(D, D).array() = 1.0 - w.square();
      }
      if (d_z) d_z->array() = w * inv_s;
    } else {
      nll = (w + 2.0 * detail::softplus_array(-w) + log_s).rowwise().sum().matrix();
      // d/dw [w + 2 softplus(-w)] = 1 - 2 sigmoid(-w) = tanh(w / 2).
      const Eigen::ArrayXXd t = (0.5 * w).tanh();
      if (d_theta) {
        d_theta->leftCols(D).array() = -t * inv_s;
        d_theta->middleCols(D, D).array() = 1.0 - w * t;
      }
      if (d_z) d_z->array() = t * inv_s;
    }
    return;
  }

  // Mixtures: log-joint L(r, k) = log pi_k + log q_k(z_r), nll = -logsumexp_k L, with q_k a
  // product of Gaussians (mixture) or of logistics (logistic_mixture). Per component, g holds
  // d(-log q_k)/dw: w for the Gaussian, tanh(w / 2) for the logistic (see the diagonal families).
  const bool logistic_parts = family == doe_family::logistic_mixture;
  const index_t K = components;
  const auto logits = theta.leftCols(K).array();
  const Eigen::ArrayXd logit_max = logits.rowwise().maxCoeff();
  const Eigen::ArrayXd log_norm =
      logit_max + (logits.colwise() - logit_max).exp().rowwise().sum().log();
  Eigen::ArrayXXd L(B, K);
  std::vector<Eigen::ArrayXXd> w_k(static_cast<std::size_t>(K));
  std::vector<Eigen::ArrayXXd> g_k(static_cast<std::size_t>(K));
  std::vector<Eigen::ArrayXXd> inv_s_k(static_cast<std::size_t>(K));
  for (index_t k = 0; k < K; ++k) {
    const auto mu = theta.middleCols(K + k * D, D).array();
    const auto log_s = theta.middleCols(K + K * D + k * D, D).array();
    auto& inv_s = inv_s_k[static_cast<std::size_t>(k)];
    auto& w = w_k[static_cast<std::size_t>(k)];
    inv_s = (-log_s).exp();
    w = (za - mu) * inv_s;
    if (logistic_parts) {
      L.col(k) = logits.col(k) - log_norm -
                 (w + 2.0 * detail::softplus_array(-w) + log_s).rowwise().sum();
      g_k[static_cast<std::size_t>(k)] = (0.5 * w).tanh();
    } else {
      L.col(k) = logits.col(k) - log_norm - (0.5 * w.square() + log_s).rowwise().sum() -
                 static_cast<double>(D) * detail::half_log_two_pi;
    }
  }
  const Eigen::ArrayXd L_max = L.rowwise().maxCoeff();
  const Eigen::ArrayXXd e = (L.colwise() - L_max).exp();
  const Eigen::ArrayXd sum_e = e.rowwise().sum();
  nll = -(L_max + sum_e.log()).matrix();
  if (!d_theta && !d_z) return;
  const Eigen::ArrayXXd resp = e.colwise() / sum_e;  // posterior responsibilities r_k
  if (d_z) d_z->setZero();
  if (d_theta) {
    const Eigen::ArrayXXd pi = (logits.colwise() - log_norm).exp();
    d_theta->leftCols(K).array() = pi - resp;
  }
  for (index_t k = 0; k < K; ++k) {
    const auto& w = w_k[static_cast<std::size_t>(k)];
    const auto& g = logistic_parts ? g_k[static_cast<std::size_t>(k)] : w;
    const auto& inv_s = inv_s_k[static_cast<std::size_t>(k)];
    const Eigen::ArrayXXd r_g_over_s = (g * inv_s).colwise() * resp.col(k);
    if (d_theta) {
      d_theta->middleCols(K + k * D, D).array() = -r_g_over_s;
      d_theta->middleCols(K + K * D + k * D, D).array() = (1.0 - w * g).colwise() * resp.col(k);
    }
    if (d_z) d_z->array() += r_g_over_s;
  }
}

/// Draws one sample from the density of each parameter row (rows x D), using only `rng`
/// (portable, seeded). Gaussian: mu + s eps; logistic: mu + s log(u / (1 - u)); mixtures: a
/// component from softmax(logits), then its Gaussian or logistic. Cost O(rows * P).
template <class = void>
row_matrix<double> doe_sample(doe_family family, index_t dim, index_t components,
                              const row_matrix<double>& theta, random_engine& rng) {
  const index_t D = dim;
  const index_t P = doe_parameter_count(family, D, components);
  require(theta.cols() == P, "doe_sample", "theta must have P columns (theta cols=",
          theta.cols(), ", P=", P, ")");
  row_matrix<double> out(theta.rows(), D);
  if (family == doe_family::gaussian_full) {  // mu + L eps
    Eigen::VectorXd eps(D);
    for (index_t r = 0; r < theta.rows(); ++r) {
      for (index_t j = 0; j < D; ++j) eps(j) = rng.normal();
      for (index_t i = 0; i < D; ++i) {
        double acc = theta(r, i) + std::exp(theta(r, D + i)) * eps(i);
        for (index_t j = 0; j < i; ++j) acc += theta(r, 2 * D + i * (i - 1) / 2 + j) * eps(j);
        out(r, i) = acc;
      }
    }
    return out;
  }
  for (index_t r = 0; r < theta.rows(); ++r) {
    index_t mu_off = 0;
    index_t ls_off = D;
    if (is_mixture(family)) {
      const index_t K = components;
      double max_logit = theta(r, 0);
      for (index_t k = 1; k < K; ++k) max_logit = std::max(max_logit, theta(r, k));
      double total = 0.0;
      for (index_t k = 0; k < K; ++k) total += std::exp(theta(r, k) - max_logit);
      double u = rng.uniform() * total;
      index_t chosen = K - 1;
      for (index_t k = 0; k < K; ++k) {
        u -= std::exp(theta(r, k) - max_logit);
        if (u < 0.0) {
          chosen = k;
          break;
        }
      }
      mu_off = K + chosen * D;
      ls_off = K + K * D + chosen * D;
    }
    for (index_t j = 0; j < D; ++j) {
      const double s = std::exp(theta(r, ls_off + j));
      double eps;
      if (family == doe_family::logistic || family == doe_family::logistic_mixture) {
        const double u = rng.uniform_open();
        eps = std::log(u) - std::log1p(-u);
      } else {
        eps = rng.normal();
      }
      out(r, j) = theta(r, mu_off + j) + s * eps;
    }
  }
  return out;
}

/// A marginal density q(z) with one trainable parameter row shared by all samples (the H(Z)
/// model of DoE). Initialisation (seeded): mu = 0, log s = 0 for gaussian/logistic (callers
/// standardise z first); for the mixtures, component means drawn N(0, 1) and equal weights.
class doe_marginal {
 public:
  doe_marginal() = default;

  /// Throws invalid_argument for dim < 1 or components < 1.
  doe_marginal(doe_family family, index_t dim, index_t components, std::uint64_t seed)
      : family_(family),
        dim_(dim),
        components_(is_mixture(family) ? components : 1),
        theta_(Eigen::VectorXd::Zero(doe_parameter_count(family, dim, components))) {
    if (is_mixture(family_)) {
      random_engine rng(seed);
      for (index_t i = 0; i < components_ * dim_; ++i) theta_(components_ + i) = rng.normal();
    }
  }

  doe_family family() const { return family_; }
  index_t dim() const { return dim_; }
  index_t components() const { return components_; }
  index_t parameter_count() const { return theta_.size(); }

  /// The parameter row (layout at the top of this header).
  template <class = void>
  Eigen::VectorXd& parameters() { return theta_; }
  const Eigen::VectorXd& parameters() const { return theta_; }

  /// log q(z_r) for every row of z (rows x dim), in nats.
  template <class = void>
  Eigen::VectorXd log_density(const row_matrix<double>& z) const {
    check_z(z, "doe_marginal::log_density");
    Eigen::VectorXd nll;
    doe_negative_log_density(family_, components_, broadcast(z.rows()), z, nll);
    return -nll;
  }

  /// Mean negative log-density over the rows of z (the cross-entropy estimate of H(Z) on these
  /// rows) and, in `grad`, its gradient with respect to parameters().
  template <class = void>
  double mean_nll_and_gradient(const row_matrix<double>& z, Eigen::VectorXd& grad) const {
    check_z(z, "doe_marginal::mean_nll_and_gradient");
    Eigen::VectorXd nll;
    row_matrix<double> d_theta;
    doe_negative_log_density(family_, components_, broadcast(z.rows()), z, nll, &d_theta);
    grad = d_theta.colwise().mean().transpose();
    return nll.mean();
  }

  /// Mixtures only (no-op otherwise): places the component means on K distinct rows of z drawn
  /// with `rng` (repeated rows when K > rows) and sets every log-scale to log(0.5), so that the
  /// components start inside the data rather than where N(0, 1) draws put them.
  template <class = void>
  void initialize_from_samples(const row_matrix<double>& z, random_engine& rng) {
    check_z(z, "doe_marginal::initialize_from_samples");
    if (!is_mixture(family_) || z.rows() == 0) return;
    const auto n = static_cast<std::int64_t>(z.rows());
    const std::vector<std::int64_t> pick =
        rng.sample_without_replacement(n, std::min<std::int64_t>(n, components_));
    for (index_t k = 0; k < components_; ++k) {
      const auto r = static_cast<index_t>(pick[static_cast<std::size_t>(k) % pick.size()]);
      theta_.segment(components_ + k * dim_, dim_) = z.row(r).transpose();
      theta_.segment(components_ + components_ * dim_ + k * dim_, dim_).setConstant(std::log(0.5));
    }
  }

  /// n samples from q (rows x dim).
  template <class = void>
  row_matrix<double> sample(index_t n, random_engine& rng) const {
    require(n >= 0, "doe_marginal::sample", "n must be >= 0 (n=", n, ")");
    return doe_sample(family_, dim_, components_, broadcast(n), rng);
  }

 private:
  template <class = void>
  row_matrix<double> broadcast(index_t rows) const {
    return theta_.transpose().replicate(rows, 1);
  }
  template <class = void>
  void check_z(const row_matrix<double>& z, const char* fn) const {
    require(z.cols() == dim_, fn, "z must have dim columns (z cols=", z.cols(), ", dim=", dim_,
            ")");
  }

  doe_family family_ = doe_family::gaussian;
  index_t dim_ = 1;
  index_t components_ = 1;
  Eigen::VectorXd theta_ = Eigen::VectorXd::Zero(2);
};

}  // namespace infogeo::mi
