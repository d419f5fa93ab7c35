// ncc_on_device: nearest-class-centre predictions (NC4) on the device, with the pass-1 class
// means of a device_class_scatter.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <limits>

#include "infogeo/core/errors.hpp"
#include "infogeo/torch/class_scatter.hpp"

namespace infogeo::libtorch {

/// Result of ncc_on_device().
struct ncc_counts {
  std::int64_t n = 0;
  std::int64_t agree_with_predictions = 0;  ///< NCC label == classifier prediction
  std::int64_t agree_with_labels = 0;       ///< NCC label == true label
  double nc4() const { return n ? 1.0 - double(agree_with_predictions) / double(n) : 0.0; }
  double ncc_accuracy() const { return n ? double(agree_with_labels) / double(n) : 0.0; }
  void merge(const ncc_counts& o) {
    n += o.n;
    agree_with_predictions += o.agree_with_predictions;
    agree_with_labels += o.agree_with_labels;
  }
};

/// Nearest-class-centre classification on the device (Papyan et al. 2020, NC4): argmin over the
/// non-empty classes of ||x - mu_c|| with the pass-1 means of `scatter`; counts agreement with the
/// classifier's `predictions` and with the true `labels` (both 1-D integer tensors on the device).
inline ncc_counts ncc_on_device(const device_class_scatter& scatter, const at::Tensor& x,
                                const at::Tensor& labels, const at::Tensor& predictions) {
  const char* fn = "libtorch::ncc_on_device";
  require(labels.size(0) == x.size(0) && predictions.size(0) == x.size(0), fn,
          "labels and predictions need one entry per row of x (rows=", x.size(0), ", labels=", labels.size(0),
          ", predictions=", predictions.size(0), ")");
  const at::Tensor& mu = scatter.class_means();
  const at::Tensor xd = x.to(at::kDouble);
  // ||x - mu_c||^2 = ||x||^2 - 2 x.mu_c + ||mu_c||^2; the first term does not change the argmin.
  at::Tensor score = mu.pow(2).sum(1).unsqueeze(0) - 2.0 * xd.matmul(mu.t());
  const at::Tensor empty = (scatter.class_counts() == 0).unsqueeze(0);
  score = score.masked_fill(empty, std::numeric_limits<double>::infinity());
  const at::Tensor ncc = score.argmin(1);
  ncc_counts out;
  out.n = x.size(0);
  out.agree_with_predictions = (ncc == predictions.to(at::kLong)).sum().item<std::int64_t>();
  out.agree_with_labels = (ncc == labels.to(at::kLong)).sum().item<std::int64_t>();
  return out;
}

}  // namespace infogeo::libtorch
