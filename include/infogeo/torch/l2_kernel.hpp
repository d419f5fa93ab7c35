// Exact Euclidean distances of given row pairs on CUDA tensors in one kernel: the re-check of
// knn.hpp's L2 candidates (and of its range-count boundary bands) without one elementwise ATen
// launch per coordinate. One thread per pair accumulates sqrt(sum_c (b_c - a_c)^2) in double in
// coordinate order, one rounding per subtraction, multiply and add (compiled with --fmad=false,
// so nothing is contracted into a fused multiply-add), then a correctly rounded sqrt: the same
// operations in the same order as knn.hpp's sequential_l2 and the CPU loops, so the distances are
// bit-identical to them and exact ties (a row at exactly the k-th distance or at the radius) are
// decided as on the CPU.
//
// Compiled at run time by NVRTC (nvrtc.hpp), once per process and device; only where
// INFOGEO_TORCH_NVRTC is defined, elsewhere fused_l2_applies() is false and knn.hpp re-checks with
// ATen. Cost: pairs x d double operations, O(pairs) memory; one launch (the ATen path: 2 d + 1).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <stdexcept>

#include "infogeo/torch/nvrtc.hpp"

#if defined(INFOGEO_TORCH_NVRTC)
#include <c10/cuda/CUDAGuard.h>
#endif

namespace infogeo::libtorch::detail {

/// Whether the exact L2 pair kernel can take rows stored in `exact` (compiled in, on CUDA).
inline bool fused_l2_applies(const at::Tensor& exact) { return nvrtc_kernels_compiled() && exact.is_cuda(); }

#if defined(INFOGEO_TORCH_NVRTC)

inline constexpr int fused_l2_block = 256;  // threads per block

/// CUDA C++ source: pair p is (row q[p / m], row c[p]) of x (n x d, row-major double).
inline const char* fused_l2_source() {
  return R"CUDA(
extern "C" __global__ void infogeo_l2_pairs(const double* __restrict__ x, long long d,
                                            const long long* __restrict__ q, const long long* __restrict__ c,
                                            long long m, long long pairs, double* __restrict__ out) {
  const long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= pairs) return;
  const double* a = x + q[p / m] * d;
  const double* b = x + c[p] * d;
  double t = b[0] - a[0];
  double acc = t * t;
  for (long long j = 1; j < d; ++j) {
    t = b[j] - a[j];
    acc = acc + t * t;
  }
  out[p] = sqrt(acc);
}
)CUDA";
}

#endif  // INFOGEO_TORCH_NVRTC

/// Exact L2 distances from row q[i] to rows c[i, j] of `exact` (n x d double, contiguous, CUDA):
/// B x m double. q: B int64, c: B x m int64, on exact's device. Only where fused_l2_applies.
inline at::Tensor fused_l2_pairs(const at::Tensor& exact, const at::Tensor& q, const at::Tensor& c) {
#if defined(INFOGEO_TORCH_NVRTC)
  const int device = exact.get_device();
  const c10::cuda::CUDAGuard guard(exact.device());
  const at::Tensor qc = q.contiguous();
  const at::Tensor cc = c.contiguous();
  at::Tensor out = at::empty({c.size(0), c.size(1)}, exact.options());
  long long pairs = cc.numel();
  if (pairs == 0) return out;
  long long d = exact.size(1);
  long long m = c.size(1);
  const double* xp = exact.data_ptr<double>();
  const std::int64_t* qp = qc.data_ptr<std::int64_t>();
  const std::int64_t* cp = cc.data_ptr<std::int64_t>();
  double* op = out.data_ptr<double>();
  void* args[] = {&xp, &d, &qp, &cp, &m, &pairs, &op};
  nvrtc_launch(nvrtc_function(device, fused_l2_source(), "infogeo_l2_pairs"), pairs, fused_l2_block, args, device);
  return out;
#else
  (void)exact;
  (void)q;
  (void)c;
  throw std::logic_error("infogeo::libtorch::detail::fused_l2_pairs: not compiled (INFOGEO_TORCH_NVRTC)");
#endif
}

}  // namespace infogeo::libtorch::detail
