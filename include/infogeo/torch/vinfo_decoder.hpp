// LibTorch decoder families for predictive V-information (include/infogeo/vinfo/, docs/vinfo.md):
// any torch::nn module factory becomes a decoder family V = { softmax(m_theta(h)) : theta }, trained
// on the device, so that the thesis's rule "the decoder is the rest of the network" (thesis
// ../shared/papers/001 Sec. 1.3: V^l = all parametrisations of the layers f^{L:l+1}) can be followed
// for CNNs and any other architecture written in LibTorch. H_V(y | h) (Xu et al. 2020, Def. 2) is
// approximated by minimising the mean cross-entropy with Adam (Kingma & Ba 2015) or AdamW
// (Loshchilov & Hutter 2019) on minibatches, with early stopping, as vinfo::mlp_decoder_family does
// on the CPU. Non-convex in general: the result depends on the seed, and "converged" means the
// stopping rule fired, not that the family's infimum was reached.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/torch/conversions.hpp"
#include "infogeo/vinfo/decoder.hpp"

namespace infogeo::libtorch {

/// Builds a fresh, randomly initialised module mapping N x input_dim features (standardised, in
/// the family's dtype, on its device) to N x num_classes logits. Called once per fit, after
/// torch::manual_seed(context.seed). The features arrive flat: a CNN starts with
/// a reshape to its (channels, height, width) (e.g. torch::nn::Functional with view()). A Sequential
/// holds any module with a forward(Tensor): wrap a custom network with push_back.
using module_factory = std::function<torch::nn::Sequential(std::int64_t input_dim, std::int64_t num_classes)>;

/// Options of torch_decoder_family (defaults: those of vinfo::mlp_decoder_options).
struct torch_decoder_options {
  double learning_rate = 1e-3;       ///< Adam step size (> 0)
  double weight_decay = 0.0;         ///< AdamW decoupled decay (>= 0; 0 = plain Adam)
  std::int64_t batch_size = 64;      ///< minibatch rows (>= 1; capped at N)
  std::int64_t max_epochs = 300;     ///< epoch cap (>= 1)
  std::int64_t patience = 10;        ///< epochs without improvement before stopping (>= 1)
  double min_improvement = 1e-4;     ///< improvement in nats that resets the patience (>= 0)
  double validation_fraction = 0.1;  ///< generalize only: share held out for stopping, in (0, 1)
  bool standardize = true;           ///< z-score every feature with the training rows' mean and sd
  at::ScalarType dtype = at::kFloat; ///< parameters and features (kFloat or kDouble)
  c10::Device device = c10::Device(c10::kCPU);
};

/// A fitted torch decoder: the trained module (evaluation mode) and the standardisation.
class torch_softmax_decoder {
 public:
  torch_softmax_decoder() = default;

  const vinfo::decoder_fit_report& report() const { return report_; }
  std::int64_t num_classes() const { return classes_; }
  /// The trained module (shared with this decoder).
  const torch::nn::Sequential& module() const { return module_; }

  /// Natural-log class probabilities, N x C, computed on the device in evaluation mode and
  /// normalised in double (log_softmax). Throws invalid_argument on a column mismatch and
  /// numerical_error on non-finite output.
  row_matrix<double> log_probabilities(const sample_view<double>& features) const {
    const char* fn = "libtorch::torch_softmax_decoder::log_probabilities";
    require(features.cols() == input_dim_, fn, "features must have the decoder's input dimension (features cols=",
            features.cols(), ", input_dim=", input_dim_, ")");
    torch::NoGradGuard no_grad;
    const at::Tensor z = logits(prepare(features)).to(at::kDouble).log_softmax(1).to(at::kCPU).contiguous();
    require(z.dim() == 2 && z.size(0) == features.rows() && z.size(1) == classes_, fn,
            "the module must return N x num_classes logits (", detail::describe(z), ")");
    if (!at::isfinite(z).all().item<bool>())
      throw_numerical_error(fn, "the module returned non-finite logits (", detail::describe(z), ")");
    row_matrix<double> out(z.size(0), z.size(1));
    std::memcpy(out.data(), z.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(out.size()));
    return out;
  }

 private:
  friend class torch_decoder_family;

  /// Host rows -> standardised device tensor in the family's dtype.
  at::Tensor prepare(const sample_view<double>& features) const {
    at::Tensor t = at::empty({features.rows(), features.cols()}, at::kDouble);
    double* p = t.data_ptr<double>();
    for (index_t i = 0; i < features.rows(); ++i)
      for (index_t j = 0; j < features.cols(); ++j) p[i * features.cols() + j] = features(i, j);
    t = t.to(device_);
    if (mean_.defined()) t = (t - mean_) * inv_std_;
    return t.to(dtype_);
  }
  at::Tensor logits(const at::Tensor& x) const { return module_->forward(x); }

  mutable torch::nn::Sequential module_{nullptr};  // forward() is non-const in LibTorch
  at::Tensor mean_, inv_std_;            // 1 x D double on the device (undefined: no standardisation)
  index_t input_dim_ = 0;
  std::int64_t classes_ = 0;
  at::ScalarType dtype_ = at::kFloat;
  c10::Device device_ = c10::Device(c10::kCPU);
  vinfo::decoder_fit_report report_;
};

/// A decoder family from a LibTorch module factory (vinfo decoder-family concept, decoder.hpp):
/// pass it to vinfo::sufficiency(), vinfo::minimality() or vinfo::vinfo_layers() like the CPU
/// families. fit() trains on the device given in the options; deterministic on the CPU for a
/// context.seed (module initialisation through torch::manual_seed, validation split and minibatch
/// order through infogeo's random_engine); on CUDA, cuDNN/cuBLAS may add run-to-run noise unless
/// the process asks for deterministic algorithms. fit_purpose::generalize holds out
/// validation_fraction of the rows (at least 1, none when N < 10) and keeps the parameters (and
/// buffers, e.g. BatchNorm statistics) of the epoch with the lowest validation cross-entropy;
/// fit_purpose::in_sample monitors the training cross-entropy. The warm start is ignored (non-convex
/// family: as vinfo::mlp_decoder_family). Cost per epoch: one forward and backward pass over the
/// training rows plus one forward pass over the monitored rows; each fit copies the features to
/// the device once. Errors (invalid_argument): bad options, empty factory; in fit(): the
/// decoder-fit input checks, a module whose output is not N x num_classes.
class torch_decoder_family {
 public:
  using fitted_type = torch_softmax_decoder;

  torch_decoder_family(module_factory factory, torch_decoder_options options = {}, std::string name = "torch")
      : factory_(std::move(factory)), options_(std::move(options)), name_(std::move(name)) {
    const char* fn = "libtorch::torch_decoder_family";
    require(static_cast<bool>(factory_), fn, "factory must be callable (empty std::function)");
    require(std::isfinite(options_.learning_rate) && options_.learning_rate > 0.0, fn,
            "learning_rate must be > 0 (learning_rate=", options_.learning_rate, ")");
    require(std::isfinite(options_.weight_decay) && options_.weight_decay >= 0.0, fn,
            "weight_decay must be >= 0 (weight_decay=", options_.weight_decay, ")");
    require(options_.batch_size >= 1, fn, "batch_size must be >= 1 (batch_size=", options_.batch_size, ")");
    require(options_.max_epochs >= 1, fn, "max_epochs must be >= 1 (max_epochs=", options_.max_epochs, ")");
    require(options_.patience >= 1, fn, "patience must be >= 1 (patience=", options_.patience, ")");
    require(std::isfinite(options_.min_improvement) && options_.min_improvement >= 0.0, fn,
            "min_improvement must be >= 0 (min_improvement=", options_.min_improvement, ")");
    require(std::isfinite(options_.validation_fraction) && options_.validation_fraction > 0.0 &&
                options_.validation_fraction < 1.0,
            fn, "validation_fraction must be in (0, 1) (validation_fraction=", options_.validation_fraction, ")");
    require(options_.dtype == at::kFloat || options_.dtype == at::kDouble, fn,
            "dtype must be float or double (dtype=", c10::toString(options_.dtype), ")");
  }

  std::string name() const { return name_; }
  const torch_decoder_options& options() const { return options_; }

  torch_softmax_decoder fit(const sample_view<double>& features, const std::vector<std::int64_t>& labels,
                            std::int64_t num_classes, const vinfo::decoder_fit_context& context = {},
                            const torch_softmax_decoder* warm_start = nullptr) const {
    (void)warm_start;
    const char* fn = "libtorch::torch_decoder_family::fit";
    vinfo::check_fit_inputs(fn, features, labels, num_classes);
    const index_t n = features.rows();
    random_engine rng(context.seed);
    std::vector<std::int64_t> order = rng.permutation(n);
    std::vector<std::int64_t> train_rows, monitor_rows;
    const bool holdout = context.purpose == vinfo::fit_purpose::generalize && n >= 10;
    if (holdout) {
      const auto nv = std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::llround(options_.validation_fraction * static_cast<double>(n))));
      monitor_rows.assign(order.begin(), order.begin() + nv);
      train_rows.assign(order.begin() + nv, order.end());
      std::sort(monitor_rows.begin(), monitor_rows.end());
      std::sort(train_rows.begin(), train_rows.end());
    } else {
      for (index_t i = 0; i < n; ++i) train_rows.push_back(i);
      monitor_rows = train_rows;
    }

    torch_softmax_decoder out;
    out.input_dim_ = features.cols();
    out.classes_ = num_classes;
    out.dtype_ = at::kDouble;  // prepare() below copies in double; the family's dtype is set after
    out.device_ = options_.device;
    const auto long_opts = at::TensorOptions().dtype(at::kLong);
    const at::Tensor all_labels = at::from_blob(const_cast<std::int64_t*>(labels.data()),
                                                {static_cast<std::int64_t>(labels.size())}, long_opts)
                                      .clone()
                                      .to(options_.device);
    const at::Tensor tr_idx = at::tensor(train_rows, long_opts).to(options_.device);
    const at::Tensor mon_idx = at::tensor(monitor_rows, long_opts).to(options_.device);
    at::Tensor x_all = out.prepare(features);  // double, no standardisation yet (mean_ undefined)
    if (options_.standardize) {
      const at::Tensor xtr = x_all.index_select(0, tr_idx);
      out.mean_ = xtr.mean(0, true);
      const at::Tensor sd = xtr.std(0, /*unbiased=*/false, true);
      out.inv_std_ = at::where(sd > 0, sd.reciprocal(), at::ones_like(sd));
      x_all = (x_all - out.mean_) * out.inv_std_;
    }
    out.dtype_ = options_.dtype;
    x_all = x_all.to(options_.dtype);
    const at::Tensor xtr = x_all.index_select(0, tr_idx);
    const at::Tensor ytr = all_labels.index_select(0, tr_idx);
    const at::Tensor xm = x_all.index_select(0, mon_idx);
    const at::Tensor ym = all_labels.index_select(0, mon_idx);

    torch::manual_seed(context.seed);
    out.module_ = factory_(features.cols(), num_classes);
    require(!out.module_.is_empty() && out.module_->size() > 0, fn, "the factory returned an empty module");
    const std::shared_ptr<torch::nn::SequentialImpl> net = out.module_.ptr();
    net->to(options_.device, options_.dtype);
    std::vector<at::Tensor> params = net->parameters();
    require(!params.empty(), fn, "the module has no parameters (a decoder family needs trainable parameters)");
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (options_.weight_decay > 0.0)
      opt = std::make_unique<torch::optim::AdamW>(
          params, torch::optim::AdamWOptions(options_.learning_rate).weight_decay(options_.weight_decay));
    else
      opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(options_.learning_rate));

    auto mean_ce = [&](const at::Tensor& x, const at::Tensor& y) {
      torch::NoGradGuard no_grad;
      net->eval();
      const at::Tensor z = out.module_->forward(x);
      require(z.dim() == 2 && z.size(0) == x.size(0) && z.size(1) == num_classes, fn,
              "the module must return N x num_classes logits (num_classes=", num_classes, "; got ",
              detail::describe(z), ")");
      const double ce = at::nll_loss(z.to(at::kDouble).log_softmax(1), y).item<double>();
      net->train();
      return ce;
    };
    auto snapshot = [&] {
      std::vector<at::Tensor> s;
      for (const auto& p : net->parameters()) s.push_back(p.detach().clone());
      for (const auto& b : net->buffers()) s.push_back(b.detach().clone());
      return s;
    };
    auto restore = [&](const std::vector<at::Tensor>& s) {
      torch::NoGradGuard no_grad;
      std::size_t i = 0;
      for (auto& p : net->parameters()) p.copy_(s[i++]);
      for (auto& b : net->buffers()) b.copy_(s[i++]);
    };

    const std::int64_t ntr = xtr.size(0);
    const std::int64_t batch = std::min<std::int64_t>(options_.batch_size, ntr);
    std::vector<std::int64_t> perm(static_cast<std::size_t>(ntr));
    for (std::int64_t i = 0; i < ntr; ++i) perm[static_cast<std::size_t>(i)] = i;
    double best_ce = mean_ce(xm, ym);
    std::vector<at::Tensor> best = snapshot();
    std::int64_t since_best = 0;
    vinfo::decoder_fit_report& rep = out.report_;
    rep.stop_reason = "max_epochs";
    std::int64_t epoch = 0;
    net->train();
    for (; epoch < options_.max_epochs; ++epoch) {
      rng.shuffle(perm);
      const at::Tensor order_t = at::tensor(perm, long_opts).to(options_.device);
      for (std::int64_t start = 0; start < ntr; start += batch) {
        const at::Tensor idx = order_t.slice(0, start, std::min(ntr, start + batch));
        opt->zero_grad();
        const at::Tensor z = out.module_->forward(xtr.index_select(0, idx));
        const at::Tensor loss = at::nll_loss(z.log_softmax(1), ytr.index_select(0, idx));
        loss.backward();
        opt->step();
        ++rep.evaluations;
      }
      const double ce = mean_ce(xm, ym);
      if (!std::isfinite(ce)) {
        rep.stop_reason = "non-finite loss";
        break;
      }
      if (ce < best_ce - options_.min_improvement) {
        best_ce = ce;
        best = snapshot();
        since_best = 0;
      } else if (ce < best_ce) {
        best_ce = ce;  // small gains still pick the parameters, without resetting the patience
        best = snapshot();
        ++since_best;
      } else {
        ++since_best;
      }
      if (since_best >= options_.patience) {
        rep.converged = true;
        rep.stop_reason = "patience";
        ++epoch;
        break;
      }
    }
    restore(best);
    net->eval();
    rep.iterations = epoch;
    rep.train_cross_entropy = mean_ce(xtr, ytr);
    net->eval();
    rep.objective = rep.train_cross_entropy;
    if (holdout) rep.validation_cross_entropy = best_ce;
    return out;
  }

 private:
  module_factory factory_;
  torch_decoder_options options_;
  std::string name_;
};

/// The factory of a linear decoder (torch::nn::Linear(D, C)): the torch twin of
/// vinfo::linear_softmax_family (which solves the convex problem to optimality on the CPU), used
/// to check the training loop against it.
inline module_factory linear_factory() {
  return [](std::int64_t d, std::int64_t c) { return torch::nn::Sequential(torch::nn::Linear(d, c)); };
}

}  // namespace infogeo::libtorch
