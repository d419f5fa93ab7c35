// A small multilayer perceptron with hand-written backpropagation (Eigen GEMMs over a whole
// minibatch): the network of the DoE conditional density q(z|x) (doe.hpp) and of the critics
// (critics.hpp). Its optimiser (Adam / AdamW) and clipping live in variational_trainer.hpp.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/mi/variational_trainer.hpp"

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
  template <class = void>
  mlp_activation activation() const { return activation_; }

  /// The flat parameter vector.
  template <class = void>
  Eigen::VectorXd& parameters() { return params_; }
  const Eigen::VectorXd& parameters() const { return params_; }

  /// Output for every row of x (rows x input_dim -> rows x output_dim).
  template <class = void>
  row_matrix<double> forward(const row_matrix<double>& x) const {
    mlp_cache cache;
    return forward(x, cache);
  }

  /// Forward pass that keeps the activations for backward().
  template <class = void>
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
  template <class = void>
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
  template <class = void>
  Eigen::Map<row_matrix<double>> weights(std::size_t l) {
    return Eigen::Map<row_matrix<double>>(params_.data() + offsets_[l], widths_[l],
                                          widths_[l + 1]);
  }
  template <class = void>
  Eigen::Map<const row_matrix<double>> weights(std::size_t l) const {
    return Eigen::Map<const row_matrix<double>>(params_.data() + offsets_[l], widths_[l],
                                                widths_[l + 1]);
  }
  /// Bias of layer l (out_l), view into parameters().
  template <class = void>
  Eigen::Map<Eigen::VectorXd> bias(std::size_t l) {
    return Eigen::Map<Eigen::VectorXd>(params_.data() + offsets_[l] + widths_[l] * widths_[l + 1],
                                       widths_[l + 1]);
  }
  template <class = void>
  Eigen::Map<const Eigen::VectorXd> bias(std::size_t l) const {
    return Eigen::Map<const Eigen::VectorXd>(
        params_.data() + offsets_[l] + widths_[l] * widths_[l + 1], widths_[l + 1]);
  }

 private:
  template <class = void>
  Eigen::Map<row_matrix<double>> grad_weights(Eigen::VectorXd& grad, std::size_t l) const {
    return Eigen::Map<row_matrix<double>>(grad.data() + offsets_[l], widths_[l], widths_[l + 1]);
  }
  template <class = void>
  Eigen::Map<Eigen::VectorXd> grad_bias(Eigen::VectorXd& grad, std::size_t l) const {
    return Eigen::Map<Eigen::VectorXd>(grad.data() + offsets_[l] + widths_[l] * widths_[l + 1],
                                       widths_[l + 1]);
  }

  mlp_activation activation_ = mlp_activation::tanh;
  std::vector<index_t> widths_{1, 1};
  std::vector<index_t> offsets_{0};
  Eigen::VectorXd params_ = Eigen::VectorXd::Zero(2);
};

}  // namespace infogeo::mi
