// k-NN estimators on LibTorch tensors (infogeo/torch/knn_estimators.hpp), only in infogeo-torch, the
// tool built with INFOGEO_WITH_TORCH (docs/cli.md, docs/libtorch.md):
//   infogeo-torch entropy --method kl-torch [--k K] [--metric euclidean|chebyshev] FILE.npy
//   infogeo-torch mi --method ksg1-torch|ksg2-torch [--k K] [--pca N] X.npy Y.npy
// The data go to CUDA device 0 when LibTorch sees one, else stay on the CPU; INFOGEO_TORCH_DEVICE=cpu
// (or cuda) overrides. Same numbers as kl / ksg1 / ksg2 (exact neighbour distances and counts);
// --standardize and --jitter are refused (the device estimators take the data as given); note that
// the CPU MI methods standardise by default: ksg1-torch equals `ksg1 --no-standardize`.
#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <string>

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

}  // namespace
}  // namespace infogeo::cli
