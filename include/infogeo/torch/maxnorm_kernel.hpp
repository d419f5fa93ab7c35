// Fused exact max-norm (Chebyshev) k-NN and range counts on CUDA tensors: one kernel that computes
// max_c |a_c - b_c| in double for every query/reference pair and keeps, per query, the k smallest
// (a sorted register array) or the count below the radius, instead of the elementwise ATen passes
// of knn.hpp (one B x R tile written and read per coordinate). The arithmetic is the CPU
// searchers' (subtraction, absolute value and maximum are exact operations in IEEE double, so the
// distances are bit-identical and no rounding bound or re-check is needed); ties at the k-th
// distance keep the lower row index.
//
// The kernels are compiled at run time by NVRTC (nvrtc.hpp), once per process, device and (d, k),
// and cached; built only where INFOGEO_TORCH_NVRTC is defined (nvrtc.hpp says how). Elsewhere
// fused_maxnorm_compiled() is false and knn.hpp uses its tiled path.
//
// Cost: n^2 d double subtract/abs/max operations (no n x n memory), one thread per query, the
// references staged through shared memory in tiles of 128 rows. Limits: d <= 32 and k <= 32
// (registers), else knn.hpp's tiled path.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>

#include "infogeo/torch/nvrtc.hpp"

#if defined(INFOGEO_TORCH_NVRTC)
#include <c10/cuda/CUDAGuard.h>
#endif

namespace infogeo::libtorch {

/// Largest column count and neighbour order the fused kernels take (registers per thread).
inline constexpr std::int64_t fused_maxnorm_max_dims = 32;
inline constexpr std::int64_t fused_maxnorm_max_k = 32;

/// Whether this build contains the fused max-norm kernels (INFOGEO_TORCH_NVRTC defined).
inline constexpr bool fused_maxnorm_compiled() { return nvrtc_kernels_compiled(); }

namespace detail {

/// Whether the fused kernels take this search: compiled in, x on CUDA, d and k within the limits.
inline bool fused_maxnorm_applies(const at::Tensor& x, std::int64_t k) {
  return fused_maxnorm_compiled() && x.is_cuda() && x.size(1) <= fused_maxnorm_max_dims && k <= fused_maxnorm_max_k;
}

#if defined(INFOGEO_TORCH_NVRTC)

inline constexpr int fused_maxnorm_tile = 128;  // threads per block = reference rows per shared tile

/// CUDA C++ source of both kernels; TILE (fused_maxnorm_tile), D (columns) and K (neighbours) are
/// prepended as macros.
inline const char* fused_maxnorm_source() {
  return R"CUDA(
// Row i of x (zeros for a thread past the last row).
__device__ __forceinline__ void load_query(const double* __restrict__ x, long long i, bool active, double* q) {
#pragma unroll
  for (int c = 0; c < D; ++c) q[c] = active ? x[i * D + c] : 0.0;
}
// Stages rows [base, base + rows) of x in shared memory (every thread of the block takes part).
__device__ __forceinline__ int stage_tile(const double* __restrict__ x, long long n, long long base, double* s) {
  const int rows = (int)min((long long)TILE, n - base);
  __syncthreads();
  for (int e = threadIdx.x; e < rows * D; e += TILE) s[e] = x[base * D + e];
  __syncthreads();
  return rows;
}
// max_c |q_c - r_c|: subtraction, fabs and fmax are exact in double, as on the CPU.
__device__ __forceinline__ double maxnorm(const double* q, const double* r) {
  double m = 0.0;
#pragma unroll
  for (int c = 0; c < D; ++c) m = fmax(m, fabs(q[c] - r[c]));
  return m;
}

extern "C" __global__ void __launch_bounds__(TILE)
infogeo_maxnorm_knn(const double* __restrict__ x, long long n, double* __restrict__ out_d,
                    long long* __restrict__ out_i) {
  __shared__ double s[TILE * D];
  const long long i = (long long)blockIdx.x * TILE + threadIdx.x;
  const bool active = i < n;
  double q[D];
  load_query(x, i, active, q);
  double bd[K];
  long long bi[K];
#pragma unroll
  for (int p = 0; p < K; ++p) { bd[p] = __longlong_as_double(0x7ff0000000000000LL); bi[p] = -1; }
  for (long long base = 0; base < n; base += TILE) {
    const int rows = stage_tile(x, n, base, s);
    if (!active) continue;
    for (int t = 0; t < rows; ++t) {
      const double m = maxnorm(q, s + t * D);
      const long long j = base + t;
      if (m < bd[K - 1] && j != i) {  // strict: an equal distance keeps the earlier (lower) index
        bd[K - 1] = m;
        bi[K - 1] = j;
#pragma unroll
        for (int p = K - 1; p > 0; --p) {
          if (bd[p] < bd[p - 1]) {
            const double td = bd[p]; bd[p] = bd[p - 1]; bd[p - 1] = td;
            const long long ti = bi[p]; bi[p] = bi[p - 1]; bi[p - 1] = ti;
          }
        }
      }
    }
  }
  if (active) {
#pragma unroll
    for (int p = 0; p < K; ++p) { out_d[i * K + p] = bd[p]; out_i[i * K + p] = bi[p]; }
  }
}

extern "C" __global__ void __launch_bounds__(TILE)
infogeo_maxnorm_count(const double* __restrict__ x, long long n, const double* __restrict__ radius, int strict,
                      long long* __restrict__ out) {
  __shared__ double s[TILE * D];
  const long long i = (long long)blockIdx.x * TILE + threadIdx.x;
  const bool active = i < n;
  double q[D];
  load_query(x, i, active, q);
  const double r = active ? radius[i] : 0.0;
  long long count = 0;
  for (long long base = 0; base < n; base += TILE) {
    const int rows = stage_tile(x, n, base, s);
    if (!active) continue;
    if (strict) {
      for (int t = 0; t < rows; ++t) count += (maxnorm(q, s + t * D) < r) & (base + t != i);
    } else {
      for (int t = 0; t < rows; ++t) count += (maxnorm(q, s + t * D) <= r) & (base + t != i);
    }
  }
  if (active) out[i] = count;
}
)CUDA";
}

/// The knn (count = false) or count kernel for (device, D, K) (K = 0 for the count kernel, whose
/// source still defines K = 1).
inline CUfunction fused_maxnorm_function(int device, std::int64_t d, std::int64_t k, bool count) {
  const std::string src = "#define TILE " + std::to_string(fused_maxnorm_tile) + "\n#define D " + std::to_string(d) +
                          "\n#define K " + std::to_string(count ? std::int64_t(1) : k) + "\n" +
                          fused_maxnorm_source();
  return nvrtc_function(device, src, count ? "infogeo_maxnorm_count" : "infogeo_maxnorm_knn");
}

/// One thread per query row.
inline void fused_maxnorm_launch(CUfunction fn, std::int64_t n, void** args, int device) {
  nvrtc_launch(fn, n, fused_maxnorm_tile, args, device);
}

#endif  // INFOGEO_TORCH_NVRTC

/// The k nearest other rows of every row of `exact` (n x d double, contiguous, CUDA) by the max
/// norm: (n x k double distances ascending, n x k int64 indices). Only where fused_maxnorm_applies.
inline std::tuple<at::Tensor, at::Tensor> fused_maxnorm_knn(const at::Tensor& exact, std::int64_t k) {
#if defined(INFOGEO_TORCH_NVRTC)
  const int device = exact.get_device();
  const c10::cuda::CUDAGuard guard(exact.device());
  long long n = exact.size(0);
  at::Tensor dist = at::empty({n, k}, exact.options());
  at::Tensor idx = at::empty({n, k}, exact.options().dtype(at::kLong));
  const double* xp = exact.data_ptr<double>();
  double* dp = dist.data_ptr<double>();
  std::int64_t* ip = idx.data_ptr<std::int64_t>();
  void* args[] = {&xp, &n, &dp, &ip};
  fused_maxnorm_launch(fused_maxnorm_function(device, exact.size(1), k, false), n, args, device);
  return {dist, idx};
#else
  (void)exact;
  (void)k;
  throw std::logic_error("infogeo::libtorch::detail::fused_maxnorm_knn: not compiled (INFOGEO_TORCH_NVRTC)");
#endif
}

/// Range counts #{j != i : max-norm(x_i, x_j) < radius_i} (strict) or <= radius_i for `exact`
/// (n x d double, contiguous, CUDA) and `radius` (n double, contiguous, same device): n int64.
inline at::Tensor fused_maxnorm_count(const at::Tensor& exact, const at::Tensor& radius, bool strict) {
#if defined(INFOGEO_TORCH_NVRTC)
  const int device = exact.get_device();
  const c10::cuda::CUDAGuard guard(exact.device());
  long long n = exact.size(0);
  at::Tensor counts = at::empty({n}, exact.options().dtype(at::kLong));
  const double* xp = exact.data_ptr<double>();
  const double* rp = radius.data_ptr<double>();
  int strict_flag = strict ? 1 : 0;
  std::int64_t* cp = counts.data_ptr<std::int64_t>();
  void* args[] = {&xp, &n, &rp, &strict_flag, &cp};
  fused_maxnorm_launch(fused_maxnorm_function(device, exact.size(1), 0, true), n, args, device);
  return counts;
#else
  (void)exact;
  (void)radius;
  (void)strict;
  throw std::logic_error("infogeo::libtorch::detail::fused_maxnorm_count: not compiled (INFOGEO_TORCH_NVRTC)");
#endif
}

}  // namespace detail
}  // namespace infogeo::libtorch
