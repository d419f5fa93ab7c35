// Information dropout (Achille & Soatto 2018, "Information dropout: learning optimal representations
// through noisy computation", IEEE TPAMI 40(12)), as described in Adilova, Geiger & Fischer 2023,
// "Information plane analysis for dropout neural networks" (ICLR; seed paper 002), Sec. 3.2 and
// App. A.1, eqs. 5-7: a layer whose output is multiplied by log-normal noise with a LEARNED,
// input-dependent scale,
//   z = f(x) o eps,  eps_i ~ logN(0, alpha_i(x)^2),  i.e.  log z_i | x ~ N(log f_i(x), alpha_i(x)^2),
// trained with the cross-entropy plus beta times the KL term
//   KL(p(z|x) || prod_i p(z_i)) = sum_i KL(N(log f_i(x), alpha_i^2) || N(mu, sigma^2))
//                              = sum_i [ log(sigma / alpha_i) + (alpha_i^2 + (log f_i(x) - mu)^2) / (2 sigma^2) - 1/2 ],
// the closed form of paper 002 App. A.1 eq. 7 for a log-normal prior logN(mu, sigma^2) on each unit.
// Eq. 7 is printed as (alpha^2 + mu^2)/(2 sigma^2) - log(alpha)/sigma - 1/2 with "sigma^2 = 1 and mu = 0
// known parameters of the prior": there "mu" stands for the mean log f_i(x) of log z | x (the prior's
// mean being 0) and -log(alpha)/sigma equals -log(alpha/sigma) only because sigma = 1; the expression
// above is the general Gaussian KL, which reduces to eq. 7 at mu = 0, sigma = 1 (the defaults).
//
// Assumptions / choices:
//   * Activation and prior. Achille & Soatto pair ReLU with an improper log-uniform prior plus a point
//     mass q at 0 (paper 002 eqs. 5-6: KL = -log alpha - 1/2 log(2 pi e) - log c for f != 0, -log q
//     for f = 0; c and q unknown, so "only useful for minimising, not computing" I(X;Z), footnote 4),
//     and softplus with a log-normal prior (eq. 7). Paper 002 tracks I(X;Z) through eq. 7 (softplus,
//     logN(0, 1)) and so does this header: f = softplus(W x + b) > 0, prior logN(mu, sigma^2) with
//     mu = 0, sigma = 1 by default. The ReLU / log-uniform form is NOT implemented.
//   * alpha(x) = alpha_min + (alpha_max - alpha_min) * sigmoid(W_a x + b_a): bounded above and below,
//     as Thm 3.3 needs for a finite I(X;Z) (paper 002 Sec. 3.2: "alpha^2(x) stays bounded from above
//     and below; in the experiments of Achille and Soatto (2018) alpha^2(x) is restricted to be below
//     0.7"): defaults alpha_max = sqrt(0.7), alpha_min = 1e-3.
//   * The I(X;Z) estimate is the batch mean of the per-sample KL (paper 002 App. A.1: I(X;Z) =
//     E_x KL(p(z|x) || p(z)), "approximated as sum_j KL(...)" over the data set; the sum there must be
//     read as a mean). With a FIXED prior r(z) instead of the true marginal p(z),
//     E_x KL(p(z|x) || r) = I(X;Z) + KL(p(z) || r) >= I(X;Z): a variational UPPER bound (Sec. 4: "a
//     variational upper bound on I(X;Z)"), tight only when the marginal of z is the factorised prior.
//   * Noise is drawn from the global LibTorch generator (torch::manual_seed fixes it), in training
//     and evaluation mode alike (Z is the stochastic representation in both); clean() gives f(x).
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"

namespace infogeo::libtorch {

/// Options of the information-dropout layer and its KL term (defaults: paper 002 App. A.1 eq. 7).
struct information_dropout_options {
  double alpha_min = 1e-3;              ///< lower bound on alpha(x) (> 0: keeps the KL finite)
  double alpha_max = 0.8366600265340756;  ///< upper bound on alpha(x): sqrt(0.7), alpha^2 <= 0.7
  double prior_mean = 0.0;              ///< mu: each log z_i ~ N(mu, sigma^2) under the prior
  double prior_sd = 1.0;                ///< sigma (> 0)
};

namespace detail {

inline void check_information_dropout_options(const information_dropout_options& o, const char* fn) {
  require(std::isfinite(o.alpha_min) && o.alpha_min > 0.0, fn,
          "alpha_min must be finite and > 0 (alpha_min=", o.alpha_min, ")");
  require(std::isfinite(o.alpha_max) && o.alpha_max > o.alpha_min, fn,
          "alpha_max must be finite and > alpha_min (alpha_max=", o.alpha_max, ", alpha_min=", o.alpha_min, ")");
  require(std::isfinite(o.prior_mean), fn, "prior_mean must be finite (prior_mean=", o.prior_mean, ")");
  require(std::isfinite(o.prior_sd) && o.prior_sd > 0.0, fn,
          "prior_sd must be finite and > 0 (prior_sd=", o.prior_sd, ")");
}

/// log softplus(u), finite for every finite u: softplus underflows to 0 below u ~ -103 (float), where
/// log softplus(u) = u + log1p(-e^u / 2 + ...) = u to within e^u / 2 < 1e-8 for u < -20.
inline at::Tensor log_softplus(const at::Tensor& u) {
  return at::where(u < -20.0, u, at::log(at::softplus(u)));
}

}  // namespace detail

/// Per-sample KL(p(z|x) || prod_i logN(mu, sigma^2)) of information dropout in closed form (paper
/// 002 App. A.1 eq. 7, general mu and sigma): for log z_i | x ~ N(log_mean_i, alpha_i^2),
///   KL = sum_i [ log(sigma / alpha_i) + (alpha_i^2 + (log_mean_i - mu)^2) / (2 sigma^2) - 1/2 ]  (nats).
/// log_mean and alpha: B x P tensors of the same shape (log f(x) and alpha(x)); returns a B tensor
/// (differentiable: use its mean times beta as the training penalty). Errors (invalid_argument):
/// shapes differ or are not 2-D, alpha not > 0, non-finite entries, bad options.
inline at::Tensor information_dropout_kl(const at::Tensor& log_mean, const at::Tensor& alpha,
                                         const information_dropout_options& options = {}) {
  const char* fn = "libtorch::information_dropout_kl";
  detail::check_information_dropout_options(options, fn);
  require(log_mean.defined() && log_mean.dim() == 2, fn, "log_mean must be a B x P tensor (dim=",
          log_mean.defined() ? log_mean.dim() : -1, ")");
  require(alpha.defined() && alpha.sizes() == log_mean.sizes(), fn, "alpha must have the shape of log_mean (alpha ",
          alpha.defined() ? std::string(c10::str(alpha.sizes())) : std::string("undefined"), ", log_mean ",
          std::string(c10::str(log_mean.sizes())), ")");
  {
    at::NoGradGuard no_grad;
    require(at::isfinite(log_mean).all().item<bool>(), fn, "log_mean must be finite (non-finite entries: ",
            (~at::isfinite(log_mean)).sum().item<std::int64_t>(), ")");
    const double amin = alpha.numel() > 0 ? alpha.min().item<double>() : 1.0;
    require(std::isfinite(amin) && amin > 0.0 && at::isfinite(alpha).all().item<bool>(), fn,
            "alpha must be finite and > 0 (min alpha=", amin, ")");
  }
  const double s2 = options.prior_sd * options.prior_sd;
  const at::Tensor d = log_mean - options.prior_mean;
  return (std::log(options.prior_sd) - at::log(alpha) + (alpha * alpha + d * d) / (2.0 * s2) - 0.5).sum(1);
}

/// The KL-based I(X;Z) estimate of information dropout over a batch (paper 002 App. A.1: I(X;Z) =
/// E_x KL(p(z|x) || p(z)), with the factorised log-normal prior for p(z), eq. 7): value = mean of the
/// per-sample KL (B entries, from information_dropout_kl or InformationDropout::forward), std_error =
/// its standard error over the batch. A variational UPPER bound on I(X;Z) (see the header comment):
/// E_x KL(p(z|x) || r) = I(X;Z) + KL(p(z) || r). Errors: kl not a non-empty 1-D tensor, non-finite.
inline estimate information_dropout_ixz(const at::Tensor& kl) {
  const char* fn = "libtorch::information_dropout_ixz";
  require(kl.defined() && kl.dim() == 1 && kl.numel() >= 1, fn, "kl must be a non-empty 1-D tensor of per-sample KL (sizes=",
          kl.defined() ? std::string(c10::str(kl.sizes())) : std::string("undefined"), ")");
  at::NoGradGuard no_grad;
  const at::Tensor k = kl.detach().to(at::kCPU, at::kDouble);
  require(at::isfinite(k).all().item<bool>(), fn, "kl must be finite (non-finite entries: ",
          (~at::isfinite(k)).sum().item<std::int64_t>(), ")");
  estimate e;
  e.method = "information_dropout_kl";
  e.n = k.size(0);
  e.value = k.mean().item<double>();
  if (k.size(0) >= 2) {
    const double var = (k - e.value).pow(2).sum().item<double>() / static_cast<double>(k.size(0) - 1);
    e.std_error = std::sqrt(var / static_cast<double>(k.size(0)));
  }
  e.diagnostics.push_back("variational upper bound: E_x KL(p(z|x) || prior) = I(X;Z) + KL(p(z) || prior)");
  return e;
}

/// The three tensors of one information-dropout pass.
struct information_dropout_output {
  at::Tensor z;      ///< B x P noisy output f(x) o eps, eps_i ~ logN(0, alpha_i(x)^2)
  at::Tensor kl;     ///< B per-sample KL(p(z|x) || prior) in nats (eq. 7), differentiable
  at::Tensor alpha;  ///< B x P noise scales alpha(x)
};

/// Information-dropout layer (Achille & Soatto 2018; paper 002 Sec. 3.2, App. A.1): f(x) =
/// softplus(W x + b), alpha(x) = alpha_min + (alpha_max - alpha_min) sigmoid(W_a x + b_a),
/// z = exp(log f(x) + alpha(x) o n), n ~ N(0, I) (log-space: finite even where softplus underflows).
/// Errors (invalid_argument): in/out features < 1, bad options; forward() on x that is not B x in.
class InformationDropoutImpl : public torch::nn::Module {
 public:
  InformationDropoutImpl(std::int64_t in_features, std::int64_t out_features,
                         const information_dropout_options& options = {})
      : options_(options) {
    const char* fn = "libtorch::InformationDropout";
    require(in_features >= 1, fn, "in_features must be >= 1 (in_features=", in_features, ")");
    require(out_features >= 1, fn, "out_features must be >= 1 (out_features=", out_features, ")");
    detail::check_information_dropout_options(options, fn);
    mean_ = register_module("mean", torch::nn::Linear(in_features, out_features));
    scale_ = register_module("alpha", torch::nn::Linear(in_features, out_features));
  }

  /// log f(x) = log softplus(W x + b), B x out.
  at::Tensor log_mean(const at::Tensor& x) { return detail::log_softplus(mean_->forward(checked(x, "log_mean"))); }
  /// f(x) = softplus(W x + b): the clean activation (the median of z | x).
  at::Tensor clean(const at::Tensor& x) { return at::softplus(mean_->forward(checked(x, "clean"))); }
  /// alpha(x) in (alpha_min, alpha_max).
  at::Tensor alpha(const at::Tensor& x) {
    return options_.alpha_min +
           (options_.alpha_max - options_.alpha_min) * at::sigmoid(scale_->forward(checked(x, "alpha")));
  }
  /// Noisy output, per-sample KL and alpha (one noise draw from the global generator).
  information_dropout_output forward(const at::Tensor& x) {
    const at::Tensor m = log_mean(x);
    const at::Tensor a = alpha(x);
    information_dropout_output out;
    out.z = at::exp(m + a * at::randn_like(m));
    out.kl = information_dropout_kl(m, a, options_);
    out.alpha = a;
    return out;
  }
  const information_dropout_options& options() const { return options_; }
  torch::nn::Linear& mean_layer() { return mean_; }
  torch::nn::Linear& alpha_layer() { return scale_; }

 private:
  at::Tensor checked(const at::Tensor& x, const char* what) const {
    const std::string fn = std::string("libtorch::InformationDropout::") + what;
    require(x.defined() && x.dim() == 2, fn.c_str(), "x must be a B x in_features tensor (dim=",
            x.defined() ? x.dim() : -1, ")");
    require(x.size(1) == mean_->options.in_features(), fn.c_str(), "x has ", x.size(1),
            " features, the layer expects in_features=", mean_->options.in_features());
    return x;
  }
  information_dropout_options options_;
  torch::nn::Linear mean_{nullptr}, scale_{nullptr};
};
TORCH_MODULE(InformationDropout);

}  // namespace infogeo::libtorch
