// k-NN estimators on LibTorch tensors (infogeo/torch/knn_estimators.hpp), only in infogeo-torch, the
// tool built with INFOGEO_WITH_TORCH (docs/cli.md, docs/libtorch.md):
//   infogeo-torch entropy --method kl-torch [--k K] [--metric euclidean|chebyshev] FILE.npy
//   infogeo-torch mi --method ksg1-torch|ksg2-torch|mixed-ksg-torch [--k K] [--pca N] X.npy Y.npy
// The data go to CUDA device 0 when LibTorch sees one, else stay on the CPU; INFOGEO_TORCH_DEVICE=cpu
// (or cuda) overrides. Same numbers as kl / ksg1 / ksg2 (exact neighbour distances and counts);
// --standardize and --jitter are refused (the device estimators take the data as given); note that
// the CPU MI methods standardise by default: ksg1-torch equals `ksg1 --no-standardize`.
//
// It also registers the input compressor of `infogeo-torch mi --method M --compress ae:N [--ae-arch
// mlp|conv] [--ae-epochs E] [--seed S] X.npy Y.npy` (inputs.hpp): an autoencoder with an
// N-dimensional tanh bottleneck (infogeo/torch/compression.hpp; Butakov et al. 2024, Algorithm 1) is
// fit on all rows of X and X is replaced by its codes (Y likewise when continuous and wider than N);
// any MI method that reads its inputs through load_xy then runs on the codes. The autoencoder never
// sees the other variable, so the codes are a function of X alone (I(E(X); Y) <= I(X; Y), equal when
// E is injective on the data); the reconstruction error is reported next to the estimate.
#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "infogeo/torch/compression.hpp"
#include "infogeo/torch/knn_estimators.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

c10::Device chosen_device(const char* family) {
  const char* env = std::getenv("INFOGEO_TORCH_DEVICE");
  const std::string want = env ? env : "";
  if (want == "cpu") return c10::Device(c10::kCPU);
  if (want == "cuda") {
    require(at::hasCUDA(), family, "INFOGEO_TORCH_DEVICE=cuda but LibTorch sees no CUDA device");
    return c10::Device(c10::kCUDA, 0);
  }
  require(want.empty(), family, "INFOGEO_TORCH_DEVICE must be cpu or cuda (INFOGEO_TORCH_DEVICE=", want, ")");
  return at::hasCUDA() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
}

at::Tensor to_tensor(const xt::xarray<double>& m, const c10::Device& device) {
  const auto rows = static_cast<std::int64_t>(m.shape()[0]);
  const auto cols = m.dimension() > 1 ? static_cast<std::int64_t>(m.shape()[1]) : std::int64_t(1);
  at::Tensor t = at::empty({rows, cols}, at::TensorOptions().dtype(at::kDouble));
  std::memcpy(t.data_ptr<double>(), m.data(), sizeof(double) * static_cast<std::size_t>(rows * cols));
  return t.to(device);
}

neighbors::preprocess_options preprocess_of(const estimator_args& a) {
  neighbors::preprocess_options p;
  p.standardize = a.standardize;
  p.jitter = std::isnan(a.jitter) ? 0.0 : a.jitter;
  p.seed = a.seed;
  return p;
}

json run_kl_torch(const estimator_args& a) {
  require(a.files.size() == 1, "entropy", "this method needs one file FILE.npy (files=", a.files.size(), ")");
  entropy::kl_options o;
  if (a.k != 0) o.k = a.k;
  if (a.metric.empty() || a.metric == "euclidean") o.norm = norm_kind::euclidean;
  else if (a.metric == "chebyshev" || a.metric == "max") o.norm = norm_kind::chebyshev;
  else throw_invalid_argument("entropy", "--metric must be euclidean or chebyshev (metric=", a.metric, ")");
  o.preprocess = preprocess_of(a);
  const c10::Device device = chosen_device("entropy");
  return to_json(libtorch::kozachenko_leonenko_device(to_tensor(load_samples(a.files[0]), device), o));
}

json run_ksg_torch(const estimator_args& a, mi::ksg_variant variant) {
  const xy_inputs in = load_xy(a);
  require(!in.y_discrete, "mi", "KSG needs a continuous Y; for class labels use --method kl or wkl (file=",
          a.files[1], ")");
  require(a.metric.empty() || a.metric == "chebyshev" || a.metric == "max", "mi",
          "KSG is defined with the max norm only (metric=", a.metric, ")");
  mi::ksg_options o;
  if (a.k != 0) o.k = a.k;
  o.variant = variant;
  o.preprocess = preprocess_of(a);
  const c10::Device device = chosen_device("mi");
  json j = to_json(libtorch::ksg_device(to_tensor(in.x, device), to_tensor(in.y, device), o));
  j["preprocessing"] = in.preprocessing;
  return j;
}

json compress_autoencoder(xt::xarray<double>& m, const estimator_args& a, const char* which) {
  const std::string& spec = a.compress;
  require(spec.rfind("ae:", 0) == 0, "mi", "--compress must be ae:N, N the code size (compress=", spec, ")");
  const std::vector<int> latent = parse_int_list(spec.substr(3), "--compress ae:N");
  require(latent.size() == 1 && latent[0] >= 1, "mi", "--compress ae:N needs one code size N >= 1 (compress=",
          spec, ")");
  libtorch::autoencoder_options o;
  o.latent = latent[0];
  if (a.ae_arch.empty() || a.ae_arch == "mlp") o.arch = libtorch::ae_arch::mlp;
  else if (a.ae_arch == "conv") o.arch = libtorch::ae_arch::conv;
  else throw_invalid_argument("mi", "--ae-arch must be mlp or conv (ae-arch=", a.ae_arch, ")");
  if (a.ae_epochs > 0) o.epochs = a.ae_epochs;
  o.seed = a.seed;
  const auto cols = static_cast<std::int64_t>(m.dimension() > 1 ? m.shape()[1] : 1);
  const c10::Device device = chosen_device("mi");
  libtorch::autoencoder ae(cols, o, device);
  const at::Tensor t = to_tensor(m, device);
  const std::vector<double>& trace = ae.fit(t);
  const libtorch::compressed_sample c = ae.encode(t);
  const at::Tensor codes = c.latents.to(at::kCPU, at::kDouble).contiguous();
  xt::xarray<double> out = xt::zeros<double>({static_cast<std::size_t>(codes.size(0)), static_cast<std::size_t>(o.latent)});
  std::memcpy(out.data(), codes.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(codes.numel()));
  m = std::move(out);
  json j;
  j["method"] = "autoencoder (Butakov et al. 2024, Algorithm 1)";
  j["variable"] = which;
  j["arch"] = o.arch == libtorch::ae_arch::conv ? "conv" : "mlp";
  j["input_dims"] = cols;
  j["latent"] = o.latent;
  j["epochs"] = o.epochs;
  j["loss"] = "mae";
  j["seed"] = o.seed;
  j["device"] = device.str();
  j["final_training_loss"] = trace.back();
  j["reconstruction_mae"] = c.reconstruction_mae;
  j["baseline_mae"] = c.baseline_mae;
  j["reconstruction_ratio"] = c.reconstruction_mae / c.baseline_mae;
  j["note"] = "fit and encoded on the same rows of this variable only; reconstruction_ratio (error / error of "
              "predicting the mean, standardised units) near 1 means the codes lost the data and the MI is a lower "
              "bound at best";
  return j;
}

json run_mixed_ksg_torch(const estimator_args& a) {
  require(a.weights.empty(), "mi", "--weights applies only to --method wkl (weights=", a.weights, ")");
  const xy_inputs in = load_xy(a);
  require(a.metric.empty() || a.metric == "chebyshev" || a.metric == "max", "mi",
          "mixed KSG is defined with the max norm only (metric=", a.metric, ")");
  mi::mixed_ksg_options o = libtorch::device_mixed_ksg_defaults();
  if (a.k != 0) o.k = a.k;
  o.preprocess = preprocess_of(a);
  const c10::Device device = chosen_device("mi");
  xt::xarray<double> y = in.y;
  if (in.y_discrete) {  // labels are just a discrete column here, as for mixed-ksg
    y = xt::zeros<double>({in.y_labels.size(), std::size_t(1)});
    for (std::size_t i = 0; i < in.y_labels.size(); ++i) y(i, 0) = static_cast<double>(in.y_labels[i]);
  }
  json j = to_json(libtorch::mixed_ksg_device(to_tensor(in.x, device), to_tensor(y, device), o));
  j["preprocessing"] = in.preprocessing;
  return j;
}

const bool compressor_registered = [] {
  registered_compressor() = compress_autoencoder;
  return true;
}();

// Option declarations (registry.hpp: anything else given is refused).
const std::vector<method_option> torch_knn_options{{"k", "3"}, {"metric", "euclidean (entropy) / chebyshev (mi)"}};
const std::vector<std::pair<std::string, std::string>> torch_why_not{
    {"bootstrap", reasons::bootstrap_knn},
    {"standardize", "the device estimators take the data as given"},
    {"no-standardize", "the device estimators take the data as given (never standardised)"},
    {"jitter", "the device estimators take the data as given"}};

const method_registrar kl_torch{method{
    "entropy", "kl-torch", "Kozachenko-Leonenko on a LibTorch tensor (CUDA if available; --k, --metric)",
    torch_knn_options, [](const estimator_args& a) { return run_kl_torch(a); }, torch_why_not}};

std::vector<method_option> torch_ksg_options() {
  std::vector<method_option> o = torch_knn_options;
  o.push_back({"pca", "off"});
  return o;
}

const method_registrar ksg1_torch{method{
    "mi", "ksg1-torch", "KSG algorithm 1 on LibTorch tensors (CUDA if available; --k)", torch_ksg_options(),
    [](const estimator_args& a) { return run_ksg_torch(a, mi::ksg_variant::ksg1); }, torch_why_not}};

const method_registrar ksg2_torch{method{
    "mi", "ksg2-torch", "KSG algorithm 2 on LibTorch tensors (CUDA if available; --k)", torch_ksg_options(),
    [](const estimator_args& a) { return run_ksg_torch(a, mi::ksg_variant::ksg2); }, torch_why_not}};

const method_registrar mixed_ksg_torch{method{
    "mi", "mixed-ksg-torch", "mixed discrete-continuous KSG on LibTorch tensors (Gao et al. 2017; CUDA if available; --k)",
    [] {
      std::vector<method_option> o = torch_ksg_options();
      o.push_back({"discrete-y", "off; on for integer Y.npy (labels are one discrete column)"});
      return o;
    }(),
    run_mixed_ksg_torch, torch_why_not}};

}  // namespace
}  // namespace infogeo::cli
