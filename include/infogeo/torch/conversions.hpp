// Host <-> device conversions and tensor descriptions shared by the LibTorch adapters
// (infogeo/torch/*.hpp). Needs only ATen (the tensor library of LibTorch), not the full
// torch/torch.h (nn, optim, data): half the compile cost.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "infogeo/core/sample_view.hpp"

namespace infogeo::libtorch {

namespace detail {

template <class T>
constexpr c10::ScalarType scalar_type_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "infogeo::libtorch: float or double tensors only");
  return std::is_same_v<T, float> ? c10::kFloat : c10::kDouble;
}

inline std::string describe(const at::Tensor& t) {
  std::string s = std::string("dtype=") + std::string(c10::toString(t.scalar_type())) +
                  ", device=" + t.device().str() + ", sizes=[";
  for (std::size_t i = 0; i < static_cast<std::size_t>(t.dim()); ++i)
    s += (i ? "," : "") + std::to_string(t.size(static_cast<std::int64_t>(i)));
  return s + "]";
}

/// A device tensor (C x K, double) copied to a row-major host Eigen matrix.
inline row_matrix<double> to_host_matrix(const at::Tensor& t) {
  const at::Tensor h = t.to(at::kCPU, at::kDouble).contiguous();
  row_matrix<double> m(h.size(0), h.dim() > 1 ? h.size(1) : 1);
  std::memcpy(m.data(), h.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(m.size()));
  return m;
}

inline std::vector<double> to_host_vector(const at::Tensor& t) {
  const at::Tensor h = t.to(at::kCPU, at::kDouble).contiguous();
  return std::vector<double>(h.data_ptr<double>(), h.data_ptr<double>() + h.numel());
}

inline at::Tensor to_device(const row_matrix<double>& m, const c10::Device& device) {
  return at::from_blob(const_cast<double*>(m.data()), {m.rows(), m.cols()},
                          at::TensorOptions().dtype(at::kDouble))
      .to(device)
      .clone();
}

}  // namespace detail

}  // namespace infogeo::libtorch
