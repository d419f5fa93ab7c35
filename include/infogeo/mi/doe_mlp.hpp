// A small multilayer perceptron with hand-written backpropagation (Eigen GEMMs over a whole
// minibatch), the Adam optimiser (Kingma & Ba 2015, Algorithm 1) and global gradient-norm
// clipping: the trainable parts of the DoE conditional density q(z|x) (doe.hpp).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::mi {

/// Hidden-layer nonlinearity of an mlp (the output layer is always linear).
enum class mlp_activation { tanh, relu };

/// Intermediate values of a forward pass, kept for backward().
struct mlp_cache {
  std::vector<row_matrix<double>> activations;  ///< input, then each hidden layer's output
};

/// Fully connected network in -> hidden[0] -> ... -> hidden[L-1] -> out, hidden layers with
/// tanh or ReLU, linear output. With no hidden layers it is the affine map x W + b.
/// All parameters live in one flat vector (per layer: W row-major in x out, then b), so that
/// optimisers and clipping see a single vector. Initialisation (seeded, portable): W uniform
/// in +-sqrt(6 / (in + out)) (Glorot) for tanh, +-sqrt(6 / in) (He) for ReLU; b = 0.
/// Forward and backward cost O(rows * sum_l in_l out_l).
class mlp {
 public:
  mlp() = default;

  /// Throws invalid_argument when a width is < 1.
  mlp(index_t input_dim, std::vector<index_t> hidden, index_t output_dim,
      mlp_activation activation, std::uint64_t seed)
      : activation_(activation) {
    const char* fn = "mlp";
    require(input_dim >= 1, fn, "input_dim must be >= 1 (input_dim=", input_dim, ")");
    require(output_dim >= 1, fn, "output_dim must be >= 1 (output_dim=", output_dim, ")");
    widths_.assign(1, input_dim);
    offsets_.clear();
    for (std::size_t l = 0; l < hidden.size(); ++l) {
      require(hidden[l] >= 1, fn, "hidden widths must be >= 1 (hidden[", l, "]=", hidden[l], ")");
      widths_.push_back(hidden[l]);
    }
    widths_.push_back(output_dim);
    index_t total = 0;
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      offsets_.push_back(total);
      total += widths_[l] * widths_[l + 1] + widths_[l + 1];
    }
    params_ = Eigen::VectorXd::Zero(total);
    random_engine rng(seed);
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      const bool he = activation == mlp_activation::relu && l + 2 < widths_.size();
      const double bound =
          he ? std::sqrt(6.0 / static_cast<double>(widths_[l]))
             : std::sqrt(6.0 / static_cast<double>(widths_[l] + widths_[l + 1]));
      auto W = weights(l);
      for (index_t i = 0; i < W.rows(); ++i)
        for (index_t j = 0; j < W.cols(); ++j) W(i, j) = rng.uniform(-bound, bound);
    }
  }

  index_t input_dim() const { return widths_.front(); }
  index_t output_dim() const { return widths_.back(); }
  index_t layer_count() const { return static_cast<index_t>(widths_.size()) - 1; }
  index_t parameter_count() const { return params_.size(); }
  mlp_activation activation() const { return activation_; }

  /// The flat parameter vector.
  Eigen::VectorXd& parameters() { return params_; }
  const Eigen::VectorXd& parameters() const { return params_; }

  /// Output for every row of x (rows x input_dim -> rows x output_dim).
  row_matrix<double> forward(const row_matrix<double>& x) const {
    mlp_cache cache;
    return forward(x, cache);
  }

  /// Forward pass that keeps the activations for backward().
  row_matrix<double> forward(const row_matrix<double>& x, mlp_cache& cache) const {
    require(x.cols() == input_dim(), "mlp::forward", "x must have input_dim columns (x cols=",
            x.cols(), ", input_dim=", input_dim(), ")");
    cache.activations.clear();
    cache.activations.push_back(x);
    const std::size_t layers = widths_.size() - 1;
    row_matrix<double> h;
    for (std::size_t l = 0; l < layers; ++l) {
      const row_matrix<double>& in = cache.activations.back();
      h.noalias() = in * weights(l);
      h.rowwise() += bias(l).transpose();
      if (l + 1 < layers) {
        if (activation_ == mlp_activation::tanh)
          h = h.array().tanh().matrix();
        else
          h = h.array().max(0.0).matrix();
        cache.activations.push_back(h);
      }
    }
    return h;
  }

  /// Backpropagation: given d_out = dLoss/d(output) (rows x output_dim) for the forward pass in
  /// `cache`, writes dLoss/d(parameters) into `grad` (resized to parameter_count()) and, if
  /// d_input is not null, dLoss/d(input).
  void backward(const mlp_cache& cache, const row_matrix<double>& d_out, Eigen::VectorXd& grad,
                row_matrix<double>* d_input = nullptr) const {
    const std::size_t layers = widths_.size() - 1;
    require(cache.activations.size() == layers, "mlp::backward",
            "cache does not come from this network's forward pass (layers=", layers,
            ", cached=", cache.activations.size(), ")");
    require(d_out.cols() == output_dim() && d_out.rows() == cache.activations.front().rows(),
            "mlp::backward", "d_out must be rows x output_dim (d_out rows=", d_out.rows(),
            ", cols=", d_out.cols(), ")");
    grad.resize(params_.size());
    row_matrix<double> g = d_out;
    for (std::size_t l = layers; l-- > 0;) {
      const row_matrix<double>& in = cache.activations[l];
      grad_weights(grad, l).noalias() = in.transpose() * g;
      grad_bias(grad, l) = g.colwise().sum().transpose();
      if (l == 0 && d_input == nullptr) break;
      row_matrix<double> g_in = g * weights(l).transpose();
      if (l > 0) {
        // `in` is the post-activation output of hidden layer l - 1.
        if (activation_ == mlp_activation::tanh)
          g_in.array() *= 1.0 - in.array().square();
        else
          g_in.array() *= (in.array() > 0.0).cast<double>();
      }
      if (l == 0) {
        *d_input = std::move(g_in);
        break;
      }
      g = std::move(g_in);
    }
  }

  /// Weights of layer l (in_l x out_l), mutable view into parameters().
  Eigen::Map<row_matrix<double>> weights(std::size_t l) {
    return Eigen::Map<row_matrix<double>>(params_.data() + offsets_[l], widths_[l],
                                          widths_[l + 1]);
  }
  Eigen::Map<const row_matrix<double>> weights(std::size_t l) const {
    return Eigen::Map<const row_matrix<double>>(params_.data() + offsets_[l], widths_[l],
                                                widths_[l + 1]);
  }
  /// Bias of layer l (out_l), view into parameters().
  Eigen::Map<Eigen::VectorXd> bias(std::size_t l) {
    return Eigen::Map<Eigen::VectorXd>(params_.data() + offsets_[l] + widths_[l] * widths_[l + 1],
                                       widths_[l + 1]);
  }
  Eigen::Map<const Eigen::VectorXd> bias(std::size_t l) const {
    return Eigen::Map<const Eigen::VectorXd>(
        params_.data() + offsets_[l] + widths_[l] * widths_[l + 1], widths_[l + 1]);
  }

 private:
  Eigen::Map<row_matrix<double>> grad_weights(Eigen::VectorXd& grad, std::size_t l) const {
    return Eigen::Map<row_matrix<double>>(grad.data() + offsets_[l], widths_[l], widths_[l + 1]);
  }
  Eigen::Map<Eigen::VectorXd> grad_bias(Eigen::VectorXd& grad, std::size_t l) const {
    return Eigen::Map<Eigen::VectorXd>(grad.data() + offsets_[l] + widths_[l] * widths_[l + 1],
                                       widths_[l + 1]);
  }

  mlp_activation activation_ = mlp_activation::tanh;
  std::vector<index_t> widths_{1, 1};
  std::vector<index_t> offsets_{0};
  Eigen::VectorXd params_ = Eigen::VectorXd::Zero(2);
};

/// Scales `grad` so that its L2 norm is at most max_norm (no-op when max_norm <= 0 or the norm
/// is already below it). Returns the norm before clipping.
inline double clip_gradient_norm(Eigen::VectorXd& grad, double max_norm) {
  const double norm = grad.norm();
  if (max_norm > 0.0 && norm > max_norm) grad *= max_norm / norm;
  return norm;
}

/// Adam (Kingma & Ba 2015, Alg. 1) with bias-corrected moments:
/// m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, p -= lr mhat / (sqrt(vhat) + eps).
class adam {
 public:
  adam() = default;

  /// Throws invalid_argument unless lr > 0, 0 <= beta1, beta2 < 1, eps > 0.
  adam(index_t size, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
      : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps),
        m_(Eigen::VectorXd::Zero(size)), v_(Eigen::VectorXd::Zero(size)) {
    require(std::isfinite(lr) && lr > 0.0, "adam", "lr must be > 0 (lr=", lr, ")");
    require(beta1 >= 0.0 && beta1 < 1.0, "adam", "beta1 must be in [0, 1) (beta1=", beta1, ")");
    require(beta2 >= 0.0 && beta2 < 1.0, "adam", "beta2 must be in [0, 1) (beta2=", beta2, ")");
    require(eps > 0.0, "adam", "eps must be > 0 (eps=", eps, ")");
  }

  /// One update of `params` with gradient `grad` (same size as at construction).
  void step(Eigen::VectorXd& params, const Eigen::VectorXd& grad) {
    require(params.size() == m_.size() && grad.size() == m_.size(), "adam::step",
            "params and grad must have the optimiser's size (size=", m_.size(),
            ", params=", params.size(), ", grad=", grad.size(), ")");
    ++t_;
    m_ = beta1_ * m_ + (1.0 - beta1_) * grad;
    v_ = beta2_ * v_ + (1.0 - beta2_) * grad.cwiseAbs2();
    const double c1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
    params.array() -= lr_ * (m_.array() / c1) / ((v_.array() / c2).sqrt() + eps_);
  }

  std::int64_t steps() const { return t_; }

 private:
  double lr_ = 1e-3;
  double beta1_ = 0.9;
  double beta2_ = 0.999;
  double eps_ = 1e-8;
  Eigen::VectorXd m_;
  Eigen::VectorXd v_;
  std::int64_t t_ = 0;
};

}  // namespace infogeo::mi
