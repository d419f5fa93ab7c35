// Autoencoder compression before mutual-information estimation (Butakov et al. 2024, "Information
// bottleneck analysis of deep neural networks via lossy compression", Sec. 3 and Algorithm 1, with
// the training of Sec. F: Adam, MAE loss): an autoencoder A = D o E with a low-dimensional tanh
// bottleneck (latent size n') is fit on one sample of X, its encoder E maps another sample to n'
// dimensions, and any infogeo estimator then runs on the latents. When E is injective on the
// support of X, I(E(X); Y) = I(X; Y) (paper Statement 1 / Corollary 1); the reconstruction error
// reported with the latents is the practical check of that assumption (a large error means
// information was lost and the MI estimate is a lower bound at best).
//
// Architectures: `mlp` (D -> hidden... -> n' (tanh) -> ...hidden -> D, LeakyReLU(0.2)) and `conv`
// for side x side single-channel images, side a power of two >= 4 (paper Table 3 style: blocks of
// 3x3 convolution + BatchNorm + LeakyReLU(0.2) + 2x2 max-pool down to 1 x 1 with 8 channels,
// Dense(8, n') + tanh; the decoder mirrors it with nearest-neighbour upsampling).
// Inputs are standardised per feature with the training sample's mean and sd (constant features
// get sd 1). Deterministic on the CPU for a given seed (torch::manual_seed and a seeded shuffle).
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/torch/conversions.hpp"

namespace infogeo::libtorch {

enum class ae_arch { mlp, conv };
enum class ae_loss { mae, mse };

/// Options of autoencoder (defaults: the paper's Sec. F choices where they fit a CPU test budget).
struct autoencoder_options {
  std::int64_t latent = 2;                      ///< n', the bottleneck size
  ae_arch arch = ae_arch::mlp;
  std::vector<std::int64_t> hidden = {128, 64}; ///< MLP widths (encoder order; the decoder mirrors them)
  std::int64_t image_side = 0;                  ///< conv: side of the square images (0: sqrt(D))
  ae_loss loss = ae_loss::mae;                  ///< paper Sec. F: MAE
  std::int64_t epochs = 200;
  std::int64_t batch = 128;                     ///< minibatch size (>= N: full batch)
  double lr = 1e-3;                             ///< Adam learning rate (paper: 1e-3)
  std::uint64_t seed = 0;
};

/// Result of autoencoder::encode(): the latents and the reconstruction error of that sample.
struct compressed_sample {
  at::Tensor latents;             ///< N x n' double, on the model's device
  double reconstruction_mae = 0;  ///< mean |x - D(E(x))| over all entries, in standardised units
  double baseline_mae = 0;        ///< mean |x - mean| (standardised units): the error of predicting the mean
};

/// An autoencoder fit on one sample (fit()) and applied to others (encode()).
/// Errors (invalid_argument): bad options, x not N x D floating point, D mismatch, non-finite x,
/// conv with D not a square of a power of two; encode() before fit().
class autoencoder {
 public:
  autoencoder(std::int64_t input_dim, const autoencoder_options& opt, c10::Device device = c10::Device(c10::kCPU))
      : d_(input_dim), opt_(opt), device_(device) {
    const char* fn = "libtorch::autoencoder";
    require(input_dim >= 1, fn, "input_dim must be >= 1 (input_dim=", input_dim, ")");
    require(opt.latent >= 1, fn, "latent must be >= 1 (latent=", opt.latent, ")");
    require(opt.epochs >= 1, fn, "epochs must be >= 1 (epochs=", opt.epochs, ")");
    require(opt.batch >= 1, fn, "batch must be >= 1 (batch=", opt.batch, ")");
    require(std::isfinite(opt.lr) && opt.lr > 0.0, fn, "lr must be finite and > 0 (lr=", opt.lr, ")");
    for (std::int64_t h : opt.hidden) require(h >= 1, fn, "hidden widths must be >= 1 (width=", h, ")");
    torch::manual_seed(opt.seed);
    if (opt.arch == ae_arch::mlp) {
      build_mlp();
    } else {
      side_ = opt.image_side > 0 ? opt.image_side : static_cast<std::int64_t>(std::llround(std::sqrt(double(d_))));
      bool pow2 = side_ >= 4 && (side_ & (side_ - 1)) == 0;
      require(pow2 && side_ * side_ == d_, fn,
              "conv needs side x side images with side a power of two >= 4 (input_dim=", d_, ", side=", side_, ")");
      build_conv();
    }
    encoder_->to(device_, torch::kFloat);
    decoder_->to(device_, torch::kFloat);
  }

  /// Trains on x (N x D) for opt.epochs epochs of shuffled minibatches (Adam, MAE or MSE loss on
  /// standardised inputs). Returns the per-epoch mean training loss.
  const std::vector<double>& fit(const at::Tensor& x) {
    const char* fn = "libtorch::autoencoder::fit";
    check_input(x, fn);
    const at::Tensor xd = x.to(device_, at::kDouble);
    mean_ = xd.mean(0, true);
    sd_ = xd.std(0, /*unbiased=*/false, true);
    sd_ = at::where(sd_ > 0, sd_, at::ones_like(sd_));
    const at::Tensor z = ((xd - mean_) / sd_).to(at::kFloat);
    std::vector<at::Tensor> params = encoder_->parameters();
    for (const auto& p : decoder_->parameters()) params.push_back(p);
    torch::optim::Adam adam(params, torch::optim::AdamOptions(opt_.lr));
    encoder_->train();
    decoder_->train();
    const std::int64_t n = z.size(0);
    torch::manual_seed(opt_.seed + 1);
    trace_.clear();
    for (std::int64_t epoch = 0; epoch < opt_.epochs; ++epoch) {
      const at::Tensor perm = torch::randperm(n, torch::TensorOptions().dtype(torch::kLong)).to(device_);
      double total = 0.0;
      for (std::int64_t s = 0; s < n; s += opt_.batch) {
        const at::Tensor b = z.index_select(0, perm.slice(0, s, std::min(n, s + opt_.batch)));
        adam.zero_grad();
        const at::Tensor r = decode_raw(encode_raw(b));
        const at::Tensor loss = opt_.loss == ae_loss::mae ? (r - b).abs().mean() : (r - b).pow(2).mean();
        loss.backward();
        adam.step();
        total += loss.item<double>() * static_cast<double>(b.size(0));
      }
      trace_.push_back(total / static_cast<double>(n));
    }
    encoder_->eval();
    decoder_->eval();
    fitted_ = true;
    return trace_;
  }

  /// Latents E(x) (N x n', double) and the reconstruction error of x, in evaluation mode.
  compressed_sample encode(const at::Tensor& x) const {
    const char* fn = "libtorch::autoencoder::encode";
    require(fitted_, fn, "call fit() first");
    check_input(x, fn);
    torch::NoGradGuard no_grad;
    const at::Tensor z = ((x.to(device_, at::kDouble) - mean_) / sd_).to(at::kFloat);
    compressed_sample out;
    const at::Tensor lat = encode_raw(z);
    const at::Tensor r = decode_raw(lat);
    out.latents = lat.to(at::kDouble);
    out.reconstruction_mae = (r - z).abs().mean().item<double>();
    out.baseline_mae = (z - z.mean(0, true)).abs().mean().item<double>();
    return out;
  }

  /// Per-epoch mean training loss of the last fit().
  const std::vector<double>& loss_trace() const { return trace_; }

 private:
  void check_input(const at::Tensor& x, const char* fn) const {
    require(x.defined() && x.dim() == 2 && x.size(1) == d_, fn, "x must be N x D with D=", d_, " (",
            x.defined() ? detail::describe(x) : std::string("undefined"), ")");
    require(at::isFloatingType(x.scalar_type()), fn, "x must be floating point (", detail::describe(x), ")");
    require(x.size(0) >= 2, fn, "x needs at least 2 rows (", detail::describe(x), ")");
    require(at::isfinite(x).all().item<bool>(), fn, "x must be finite (", detail::describe(x), ")");
  }

  at::Tensor encode_raw(const at::Tensor& z) const {
    if (opt_.arch == ae_arch::conv) return encoder_->forward(z.view({z.size(0), 1, side_, side_}));
    return encoder_->forward(z);
  }
  at::Tensor decode_raw(const at::Tensor& lat) const {
    const at::Tensor r = decoder_->forward(lat);
    return opt_.arch == ae_arch::conv ? r.reshape({lat.size(0), d_}) : r;
  }

  void build_mlp() {
    namespace nn = torch::nn;
    std::int64_t w = d_;
    for (std::int64_t h : opt_.hidden) {
      encoder_->push_back(nn::Linear(w, h));
      encoder_->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
      w = h;
    }
    encoder_->push_back(nn::Linear(w, opt_.latent));
    encoder_->push_back(nn::Tanh());
    w = opt_.latent;
    for (auto it = opt_.hidden.rbegin(); it != opt_.hidden.rend(); ++it) {
      decoder_->push_back(nn::Linear(w, *it));
      decoder_->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
      w = *it;
    }
    decoder_->push_back(nn::Linear(w, d_));
  }

  void build_conv() {
    namespace nn = torch::nn;
    const auto lrelu = [] { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); };
    std::int64_t levels = 0;
    for (std::int64_t s = side_; s > 1; s /= 2) ++levels;
    std::int64_t ch = 1;
    for (std::int64_t l = 0; l < levels; ++l) {
      const std::int64_t out = l == 0 ? 4 : 8;
      encoder_->push_back(nn::Conv2d(nn::Conv2dOptions(ch, out, 3).padding(1)));
      encoder_->push_back(nn::BatchNorm2d(out));
      encoder_->push_back(lrelu());
      encoder_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
      ch = out;
    }
    encoder_->push_back(nn::Flatten());
    encoder_->push_back(nn::Linear(8, opt_.latent));
    encoder_->push_back(nn::Tanh());
    decoder_->push_back(nn::Linear(opt_.latent, 8));
    decoder_->push_back(lrelu());
    decoder_->push_back(nn::Functional([](const at::Tensor& t) { return t.view({t.size(0), 8, 1, 1}); }));
    ch = 8;
    for (std::int64_t l = 0; l < levels; ++l) {
      const std::int64_t out = l + 1 == levels ? 4 : 8;
      decoder_->push_back(nn::Upsample(
          nn::UpsampleOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
      decoder_->push_back(nn::Conv2d(nn::Conv2dOptions(ch, out, 3).padding(1)));
      decoder_->push_back(nn::BatchNorm2d(out));
      decoder_->push_back(lrelu());
      ch = out;
    }
    decoder_->push_back(nn::Conv2d(nn::Conv2dOptions(ch, 1, 3).padding(1)));
  }

  std::int64_t d_;
  std::int64_t side_ = 0;
  autoencoder_options opt_;
  c10::Device device_;
  mutable torch::nn::Sequential encoder_;  // forward() is non-const in LibTorch
  mutable torch::nn::Sequential decoder_;
  at::Tensor mean_, sd_;
  std::vector<double> trace_;
  bool fitted_ = false;
};

}  // namespace infogeo::libtorch
