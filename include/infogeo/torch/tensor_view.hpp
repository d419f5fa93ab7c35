// tensor_view<T>: a zero-copy sample_view of a contiguous CPU tensor that keeps the tensor alive;
// every infogeo estimator accepts it (make_view is found by argument-dependent lookup).
#pragma once

#include <ATen/ATen.h>

#include <utility>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/torch/conversions.hpp"

namespace infogeo::libtorch {

/// Zero-copy view of a contiguous 1-D or 2-D CPU tensor of scalar T (float or double). Holds a
/// reference to the tensor, so the data stays alive as long as the view. Throws
/// infogeo::invalid_argument for an undefined, non-CPU, non-contiguous or wrongly typed tensor
/// (copy with .to(at::kCPU, dtype).contiguous() first; that copy is then explicit).
template <class T>
class tensor_view {
 public:
  explicit tensor_view(at::Tensor tensor) : tensor_(std::move(tensor)) {
    const char* fn = "libtorch::tensor_view";
    require(tensor_.defined(), fn, "tensor is undefined");
    require(tensor_.device().is_cpu(), fn,
            "tensor must live on the CPU; call .cpu() (or use device_class_scatter on the GPU) (",
            detail::describe(tensor_), ")");
    require(tensor_.scalar_type() == detail::scalar_type_of<T>(), fn, "tensor dtype must be ",
            c10::toString(detail::scalar_type_of<T>()), " (", detail::describe(tensor_), ")");
    require(tensor_.dim() == 1 || tensor_.dim() == 2, fn, "tensor must be 1-D or 2-D (",
            detail::describe(tensor_), ")");
    require(tensor_.is_contiguous(), fn,
            "tensor must be contiguous; call .contiguous() first (", detail::describe(tensor_), ")");
    const index_t rows = tensor_.size(0);
    const index_t cols = tensor_.dim() == 2 ? tensor_.size(1) : 1;
    view_ = sample_view<T>(tensor_.template data_ptr<T>(), rows, cols);
  }
  const sample_view<T>& view() const { return view_; }
  const at::Tensor& tensor() const { return tensor_; }

 private:
  at::Tensor tensor_;
  sample_view<T> view_;
};

/// Lets every infogeo estimator take a tensor_view directly (found by argument-dependent lookup).
template <class T>
sample_view<T> make_view(const tensor_view<T>& v) {
  return v.view();
}

}  // namespace infogeo::libtorch
