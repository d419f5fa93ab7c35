// Exact k-nearest-neighbour distances and range counts on CPU or CUDA tensors, in tiles that bound
// memory (a query tile against a reference tile at a time; never an N x N matrix).
//
// Exactness: every returned distance is computed in double from the input rows with the same
// arithmetic as the CPU searchers (max norm: max_c |a_c - b_c|, bit-identical; L2: sqrt of the sum
// of squared differences, equal up to the summation order in the last bit). Faster, rounded
// arithmetic (float32, or double through the GEMM identity ||a||^2 + ||b||^2 - 2 a.b) is used only
// to SELECT candidates, with a worst-case rounding bound e_q per query (Higham, "Accuracy and
// Stability of Numerical Algorithms", 2nd ed., eq. 3.5: |fl(a.b) - a.b| <= gamma_n |a|.|b|,
// gamma_n = n u / (1 - n u)), and a selection counts only when the bound certifies it:
//   * k-NN: the float pass keeps the m = k + extra + 1 smallest approximate distances f_1 <= ... <= f_m;
//     when f_m - e_q > f_k + e_q, every point outside the m candidates is farther than the true k-th
//     neighbour, so the k smallest exact distances among the candidates are the exact answer.
//     Queries that fail (near-ties) are redone in double, then, failing again (exact ties), by an
//     exhaustive exact search of their row;
//   * range counts: a pair is counted without re-check when f < r - e_q, skipped when f > r + e_q,
//     and otherwise (the boundary band) decided by the exact double distance.
// Data are centred (column means, in double) before the rounded passes, which keeps e_q relative
// to the spread of the data rather than to its offset.
// The max norm on CUDA tensors with d <= 32 (and k <= 32) goes instead through one fused kernel in
// exact double (maxnorm_kernel.hpp) where the build has it (INFOGEO_TORCH_NVRTC): same numbers.
// There, the L2 re-check on CUDA is one kernel too (l2_kernel.hpp), with the same arithmetic.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/torch/conversions.hpp"
#include "infogeo/torch/l2_kernel.hpp"
#include "infogeo/torch/maxnorm_kernel.hpp"

namespace infogeo::libtorch {

/// Options of knn_self_device() and count_within_device().
struct device_knn_options {
  std::int64_t query_tile = 4096;                     ///< queries per tile
  std::int64_t tile_elements = std::int64_t(1) << 26; ///< query x reference pairs per distance tile
  std::int64_t extra_candidates = 8;                  ///< candidates kept beyond k by the rounded passes
  bool float_pass = true;  ///< select in float32 first (skipped when the process allows TF32 matmuls)
  /// Max norm on CUDA: use the fused exact kernel (maxnorm_kernel.hpp) where it is compiled in and
  /// d, k <= 32; false forces the tiled path (for A/B and tests).
  bool fused_maxnorm = true;
  /// L2 on CUDA: compute the exact re-check distances with one kernel (l2_kernel.hpp; the same
  /// arithmetic, bit-identical) where it is compiled in; false re-checks with ATen elementwise ops
  /// (2 d + 1 launches per tile; for A/B and tests).
  bool fused_l2_recheck = true;
};

/// Result of knn_self_device(): the k nearest other rows of every row.
struct device_knn_result {
  at::Tensor distances;  ///< n x k double, ascending, exact (see the header comment)
  at::Tensor indices;    ///< n x k int64
  norm_kind norm = norm_kind::euclidean;
  std::int64_t certified_float = 0;   ///< queries decided by the float32 pass + exact re-check
  std::int64_t certified_double = 0;  ///< queries decided by the double pass + exact re-check
  std::int64_t exhaustive = 0;        ///< queries decided by an exhaustive exact search (ties)
  std::int64_t fused = 0;             ///< queries decided by the fused exact max-norm kernel
  bool fused_l2_recheck = false;      ///< the L2 re-check ran in l2_kernel.hpp's kernel
};

/// Result of count_within_device().
struct device_count_result {
  at::Tensor counts;                 ///< n int64: #{j != i : dist(i, j) < r_i} (strict) or <= r_i
  std::int64_t rechecked_pairs = 0;  ///< pairs in the boundary band decided in exact double
  bool fused = false;                ///< counted by the fused exact max-norm kernel (no band)
  bool fused_l2_recheck = false;     ///< the band's L2 distances came from l2_kernel.hpp's kernel
};

namespace detail {

/// gamma_n = n u / (1 - n u) (Higham eq. 3.5), with n = d + 8 covering the norms, the three
/// additions of the GEMM identity and the conversion of the inputs.
inline double rounding_gamma(std::int64_t d, double u) {
  const double nu = static_cast<double>(d + 8) * u;
  return nu / (1.0 - nu);
}

inline constexpr double unit_roundoff(at::ScalarType t) {
  return t == at::kFloat ? 0x1p-24 : 0x1p-53;
}

/// The working data of one search: the exact rows (double) and, per rounded precision, centred
/// copies with their norms.
struct knn_data {
  at::Tensor exact;      // n x d double (the input, as the CPU estimators see it)
  at::Tensor centred;    // n x d double, column-centred
  at::Tensor cnorm;      // n double: ||row||_2 (L2) or ||row||_inf (max) of the centred rows
  double max_cnorm = 0;  // max over rows
  norm_kind norm = norm_kind::euclidean;
  std::int64_t n = 0, d = 0;
  at::Tensor work[2];    // [0] float32, [1] double: centred rows (L2) or their transpose d x n (max)
  at::Tensor work_sq[2]; // L2: squared row norms in the working precision
  bool fused_l2 = false; // L2 re-check distances by l2_kernel.hpp
};

inline bool tf32_allowed() { return at::globalContext().allowTF32CuBLAS(); }

inline knn_data prepare(const at::Tensor& x, norm_kind norm, const device_knn_options& opt) {
  const bool want_float = opt.float_pass && !tf32_allowed();
  knn_data w;
  w.exact = x.to(at::kDouble).contiguous();
  w.fused_l2 = norm == norm_kind::euclidean && opt.fused_l2_recheck && fused_l2_applies(w.exact);
  w.n = w.exact.size(0);
  w.d = w.exact.size(1);
  w.norm = norm;
  w.centred = w.exact - w.exact.mean(0, /*keepdim=*/true);
  w.cnorm = norm == norm_kind::euclidean ? w.centred.pow(2).sum(1).sqrt() : w.centred.abs().amax(1);
  w.max_cnorm = w.cnorm.max().item<double>();
  for (int p = 0; p < 2; ++p) {
    if (p == 0 && !want_float) continue;
    const at::Tensor c = p == 0 ? w.centred.to(at::kFloat) : w.centred;
    if (norm == norm_kind::euclidean) {
      w.work[p] = c.contiguous();
      w.work_sq[p] = c.pow(2).sum(1);
    } else {
      w.work[p] = c.t().contiguous();
    }
  }
  return w;
}

/// Per-query rounding bound e_q of the approximate distances in precision p (0 float, 1 double),
/// in the units the pass compares (squared distance for L2, distance for the max norm), covering
/// also the rounding of the exact double distance itself.
inline at::Tensor rounding_bound(const knn_data& w, const at::Tensor& rows, int p) {
  const double u = p == 0 ? 0x1p-24 : 0x1p-53;
  const double ud = 0x1p-53;
  const at::Tensor s = w.cnorm.index_select(0, rows) + w.max_cnorm;
  if (w.norm == norm_kind::euclidean)
    return 2.0 * (rounding_gamma(w.d, u) + rounding_gamma(w.d, ud)) * s * s;
  return 4.0 * (u + ud) * s;
}

/// Approximate distances (precision p) of the query rows `rows` to the references [r0, r1), with
/// the self pairs set to +inf. B x R in the working precision.
inline at::Tensor approx_block(const knn_data& w, int p, const at::Tensor& rows, std::int64_t r0,
                               std::int64_t r1) {
  at::Tensor blk;
  if (w.norm == norm_kind::euclidean) {
    const at::Tensor q = w.work[p].index_select(0, rows);
    const at::Tensor r = w.work[p].slice(0, r0, r1);
    blk = at::addmm(w.work_sq[p].slice(0, r0, r1).unsqueeze(0), q, r.t(), 1.0, -2.0);
    blk.add_(w.work_sq[p].index_select(0, rows).unsqueeze(1));
  } else {
    const at::Tensor qt = w.work[p].index_select(1, rows);  // d x B
    const at::Tensor rt = w.work[p].slice(1, r0, r1);       // d x R
    blk = (qt[0].unsqueeze(1) - rt[0].unsqueeze(0)).abs_();
    for (std::int64_t c = 1; c < w.d; ++c) at::maximum_out(blk, blk, (qt[c].unsqueeze(1) - rt[c].unsqueeze(0)).abs_());
  }
  const at::Tensor inside = ((rows >= r0) & (rows < r1)).nonzero().select(1, 0);
  if (inside.numel() > 0)
    blk.index_put_({inside, rows.index_select(0, inside) - r0}, std::numeric_limits<double>::infinity());
  return blk;
}

/// sqrt(sum_c diff_c^2) over the last dimension, accumulated in coordinate order with one rounding
/// per multiply and per add, as the CPU loops do. A reduction kernel (sum) adds in a tree on CUDA and
/// can differ in the last bit, which flips exact ties (a point at exactly the k-th distance) against
/// the CPU estimators; separate elementwise kernels are never contracted into FMAs.
inline at::Tensor sequential_l2(const at::Tensor& diff) {
  const std::int64_t d = diff.size(-1);
  at::Tensor acc = diff.select(-1, 0) * diff.select(-1, 0);
  for (std::int64_t c = 1; c < d; ++c) {
    const at::Tensor t = diff.select(-1, c);
    acc = acc + t * t;
  }
  return acc.sqrt();
}

/// Exact distances (double, the CPU's arithmetic) from row q[i] to rows c[i, j]: B x m.
inline at::Tensor exact_to(const knn_data& w, const at::Tensor& q, const at::Tensor& c) {
  if (w.fused_l2) return fused_l2_pairs(w.exact, q, c);
  const at::Tensor diff = w.exact.index_select(0, c.reshape({-1})).view({c.size(0), c.size(1), w.d}) -
                          w.exact.index_select(0, q).unsqueeze(1);
  return w.norm == norm_kind::euclidean ? sequential_l2(diff) : diff.abs().amax(2);
}

/// Exact distances of pairs (q[i], r[i]): M.
inline at::Tensor exact_pairs(const knn_data& w, const at::Tensor& q, const at::Tensor& r) {
  if (w.fused_l2) return fused_l2_pairs(w.exact, q, r.unsqueeze(1)).squeeze(1);
  const at::Tensor diff = w.exact.index_select(0, r) - w.exact.index_select(0, q);
  return w.norm == norm_kind::euclidean ? sequential_l2(diff) : diff.abs().amax(1);
}

inline std::int64_t ref_tile(const device_knn_options& opt, std::int64_t b, std::int64_t n) {
  return std::max<std::int64_t>(1, std::min<std::int64_t>(n, opt.tile_elements / std::max<std::int64_t>(1, b)));
}

/// The m smallest approximate distances (precision p) of each query row, ascending, with indices.
inline std::tuple<at::Tensor, at::Tensor> approx_topk(const knn_data& w, int p, const at::Tensor& rows,
                                                      std::int64_t m, const device_knn_options& opt) {
  const std::int64_t b = rows.size(0);
  const std::int64_t rt = std::max(ref_tile(opt, b, w.n), m);
  at::Tensor best_v, best_i;
  for (std::int64_t r0 = 0; r0 < w.n; r0 += rt) {
    const std::int64_t r1 = std::min(w.n, r0 + rt);
    const at::Tensor blk = approx_block(w, p, rows, r0, r1);
    const std::int64_t mm = std::min(m, r1 - r0);
    auto [v, i] = at::topk(blk, mm, 1, /*largest=*/false, /*sorted=*/true);
    i.add_(r0);
    if (!best_v.defined()) {
      best_v = v;
      best_i = i;
    } else {
      const at::Tensor cv = at::cat({best_v, v}, 1);
      const at::Tensor ci = at::cat({best_i, i}, 1);
      auto [v2, j2] = at::topk(cv, std::min(m, cv.size(1)), 1, false, true);
      best_v = v2;
      best_i = ci.gather(1, j2);
    }
  }
  return {best_v, best_i};
}

/// The k smallest exact distances among the candidate columns c (B x m): (values, indices).
inline std::tuple<at::Tensor, at::Tensor> exact_best(const knn_data& w, const at::Tensor& rows,
                                                     const at::Tensor& c, std::int64_t k) {
  const at::Tensor dist = exact_to(w, rows, c);
  auto [v, j] = at::sort(dist, /*stable=*/true, 1, /*descending=*/false);
  return {v.slice(1, 0, k), c.gather(1, j.slice(1, 0, k))};
}

/// Exhaustive exact search for the rows `rows` (used only for queries with near-exact ties).
inline std::tuple<at::Tensor, at::Tensor> exhaustive_topk(const knn_data& w, const at::Tensor& rows,
                                                          std::int64_t k, const device_knn_options& opt) {
  const std::int64_t b = rows.size(0);
  const std::int64_t rt = std::max<std::int64_t>(k, ref_tile(opt, b * w.d, w.n));
  at::Tensor best_v, best_i;
  for (std::int64_t r0 = 0; r0 < w.n; r0 += rt) {
    const std::int64_t r1 = std::min(w.n, r0 + rt);
    const at::Tensor c = at::arange(r0, r1, rows.options()).unsqueeze(0).expand({b, r1 - r0}).contiguous();
    at::Tensor dist = exact_to(w, rows, c);
    dist.masked_fill_(c == rows.unsqueeze(1), std::numeric_limits<double>::infinity());
    const at::Tensor cv = best_v.defined() ? at::cat({best_v, dist}, 1) : dist;
    const at::Tensor ci = best_i.defined() ? at::cat({best_i, c}, 1) : c;
    auto [v, j] = at::sort(cv, /*stable=*/true, 1, false);
    best_v = v.slice(1, 0, std::min(k, v.size(1)));
    best_i = ci.gather(1, j.slice(1, 0, best_v.size(1)));
  }
  return {best_v, best_i};
}

inline void check_points(const at::Tensor& x, const char* fn, const char* arg) {
  require(x.defined(), fn, arg, " is undefined");
  require(x.dim() == 2, fn, arg, " must be a 2-D tensor (", describe(x), ")");
  require(at::isFloatingType(x.scalar_type()), fn, arg, " must be floating point (", describe(x), ")");
  require(x.size(0) >= 2, fn, arg, " needs at least 2 rows (", describe(x), ")");
  require(x.size(1) >= 1, fn, arg, " needs at least 1 column (", describe(x), ")");
  const at::Tensor bad = at::logical_not(at::isfinite(x)).any(1).nonzero();
  if (bad.numel() > 0)
    throw_invalid_argument(fn, arg, " must be finite (", bad.numel(), " row(s) with NaN/Inf, first row=",
                           bad[0][0].item<std::int64_t>(), ")");
}

inline void check_options(const device_knn_options& opt, const char* fn) {
  require(opt.query_tile >= 1, fn, "query_tile must be >= 1 (query_tile=", opt.query_tile, ")");
  require(opt.tile_elements >= 1, fn, "tile_elements must be >= 1 (tile_elements=", opt.tile_elements, ")");
  require(opt.extra_candidates >= 0, fn, "extra_candidates must be >= 0 (extra_candidates=",
          opt.extra_candidates, ")");
}

inline void check_norm(norm_kind norm, const char* fn) {
  require(norm == norm_kind::euclidean || norm == norm_kind::chebyshev, fn,
          "norm must be euclidean or chebyshev (norm=", static_cast<int>(norm), ")");
}

}  // namespace detail

/// The k nearest other rows of every row of x (n x d, float or double, CPU or CUDA), by the
/// Euclidean or the max norm, exact (see the header comment); ties among equidistant rows are broken
/// by index order within the candidates, so tied indices may differ from the CPU's (the distances
/// do not). Cost: n^2 d / 2 multiply-adds in float32 (L2: matrix products; max norm: one pass per
/// column), plus n (k + extra) d exact re-check; memory O(tile_elements + n d) on x's device.
/// Errors (infogeo::invalid_argument): x not 2-D floating point, fewer than 2 rows, NaN/Inf, k < 1,
/// k >= n, bad options.
inline device_knn_result knn_self_device(const at::Tensor& x, std::int64_t k, norm_kind norm = norm_kind::euclidean,
                                         const device_knn_options& opt = {}) {
  constexpr const char* fn = "libtorch::knn_self_device";
  detail::check_points(x, fn, "x");
  detail::check_norm(norm, fn);
  detail::check_options(opt, fn);
  require(k >= 1, fn, "k must be >= 1 (k=", k, ")");
  require(k < x.size(0), fn, "k must be < n (k=", k, ", n=", x.size(0), ")");
  c10::NoGradGuard no_grad;  // c10: at::NoGradGuard is not declared by ATen.h in LibTorch 2.x
  device_knn_result out;
  out.norm = norm;
  if (norm == norm_kind::chebyshev && opt.fused_maxnorm && detail::fused_maxnorm_applies(x, k)) {
    std::tie(out.distances, out.indices) = detail::fused_maxnorm_knn(x.to(at::kDouble).contiguous(), k);
    out.fused = x.size(0);
    return out;
  }
  const detail::knn_data w = detail::prepare(x, norm, opt);
  const bool use_float = w.work[0].defined();
  const std::int64_t n = w.n;
  const std::int64_t m = std::min(n - 1, k + opt.extra_candidates + 1);
  out.distances = at::empty({n, k}, w.exact.options());
  out.indices = at::empty({n, k}, w.exact.options().dtype(at::kLong));
  out.fused_l2_recheck = w.fused_l2;
  const auto long_opts = w.exact.options().dtype(at::kLong);
  for (std::int64_t s = 0; s < n; s += opt.query_tile) {
    at::Tensor pending = at::arange(s, std::min(n, s + opt.query_tile), long_opts);
    for (int p = use_float ? 0 : 1; p < 2 && pending.numel() > 0; ++p) {
      auto [v, i] = detail::approx_topk(w, p, pending, m, opt);
      at::Tensor ok;
      if (m == n - 1) {
        ok = at::ones({pending.size(0)}, long_opts.dtype(at::kBool));  // every other row is a candidate
      } else {
        // Compared in double (the bound's margin covers these few roundings).
        const at::Tensor e = detail::rounding_bound(w, pending, p);
        ok = (v.select(1, m - 1).to(at::kDouble) - e) > (v.select(1, k - 1).to(at::kDouble) + e);
      }
      const at::Tensor ok_rows = ok.nonzero().select(1, 0);
      if (ok_rows.numel() > 0) {
        const at::Tensor q = pending.index_select(0, ok_rows);
        auto [dv, di] = detail::exact_best(w, q, i.index_select(0, ok_rows), k);
        out.distances.index_copy_(0, q, dv);
        out.indices.index_copy_(0, q, di);
        (p == 0 ? out.certified_float : out.certified_double) += q.numel();
      }
      pending = pending.index_select(0, at::logical_not(ok).nonzero().select(1, 0));
    }
    if (pending.numel() > 0) {
      auto [dv, di] = detail::exhaustive_topk(w, pending, k, opt);
      out.distances.index_copy_(0, pending, dv);
      out.indices.index_copy_(0, pending, di);
      out.exhaustive += pending.numel();
    }
  }
  return out;
}

/// Range counts c_i = #{j != i : dist(x_i, x_j) < radius_i} (strict) or <= radius_i, by the
/// Euclidean or the max norm, exact (pairs in the rounding band of the float32/double pass are
/// decided by the exact double distance). radius: n entries (any floating dtype, converted to
/// double), finite and >= 0, on x's device. Cost: n^2 d / 2 float32 operations, no N x N memory.
/// Errors (invalid_argument): as knn_self_device, plus a radius of the wrong shape, NaN/Inf or < 0.
inline device_count_result count_within_device(const at::Tensor& x, const at::Tensor& radius, bool strict,
                                               norm_kind norm = norm_kind::chebyshev,
                                               const device_knn_options& opt = {}) {
  constexpr const char* fn = "libtorch::count_within_device";
  detail::check_points(x, fn, "x");
  detail::check_norm(norm, fn);
  detail::check_options(opt, fn);
  require(radius.defined() && radius.dim() == 1 && radius.size(0) == x.size(0), fn,
          "radius must be 1-D with one entry per row of x (rows=", x.size(0), ", ",
          radius.defined() ? detail::describe(radius) : std::string("undefined"), ")");
  require(radius.device() == x.device(), fn, "radius must live on ", x.device().str(), " (",
          detail::describe(radius), ")");
  require(at::isFloatingType(radius.scalar_type()), fn, "radius must be floating point (", detail::describe(radius), ")");
  c10::NoGradGuard no_grad;  // c10: at::NoGradGuard is not declared by ATen.h in LibTorch 2.x
  const at::Tensor r = radius.to(at::kDouble);
  const at::Tensor bad = at::logical_not(at::isfinite(r) & (r >= 0)).nonzero();
  if (bad.numel() > 0) {
    const std::int64_t i = bad[0][0].item<std::int64_t>();
    throw_invalid_argument(fn, "radius must be finite and >= 0 (row=", i, ", radius=", r[i].item<double>(), ")");
  }
  device_count_result out;
  if (norm == norm_kind::chebyshev && opt.fused_maxnorm && detail::fused_maxnorm_applies(x, 0)) {
    out.counts = detail::fused_maxnorm_count(x.to(at::kDouble).contiguous(), r.contiguous(), strict);
    out.fused = true;
    return out;
  }
  const detail::knn_data w = detail::prepare(x, norm, opt);
  const bool use_float = w.work[0].defined();
  const std::int64_t n = w.n;
  const double ud = 0x1p-53;
  out.counts = at::zeros({n}, w.exact.options().dtype(at::kLong));
  out.fused_l2_recheck = w.fused_l2;
  const auto long_opts = w.exact.options().dtype(at::kLong);
  const bool l2 = norm == norm_kind::euclidean;
  for (std::int64_t s = 0; s < n; s += opt.query_tile) {
    const at::Tensor rows = at::arange(s, std::min(n, s + opt.query_tile), long_opts);
    const std::int64_t b = rows.size(0);
    const at::Tensor rq = r.index_select(0, rows);
    const at::Tensor thr = l2 ? rq * rq : rq;                       // compared units
    const at::Tensor slack = thr * (8.0 * ud);                     // rounding of r^2 and of sqrt
    const std::int64_t rt = detail::ref_tile(opt, b, n);
    for (std::int64_t r0 = 0; r0 < n; r0 += rt) {
      const std::int64_t r1 = std::min(n, r0 + rt);
      at::Tensor inside, band;
      for (int p = use_float ? 0 : 1; p < 2; ++p) {
        const at::Tensor blk = detail::approx_block(w, p, rows, r0, r1);
        const at::Tensor e = detail::rounding_bound(w, rows, p) + slack;
        // Thresholds rounded outward to the block's precision (one ulp of float32 / double).
        const double ulp = p == 0 ? 0x1p-23 : 0x1p-52;
        const at::Tensor lo = ((thr - e) - (thr - e).abs() * ulp).to(blk.scalar_type()).unsqueeze(1);
        const at::Tensor hi = ((thr + e) + (thr + e).abs() * ulp).to(blk.scalar_type()).unsqueeze(1);
        inside = blk < lo;
        band = (blk >= lo) & (blk <= hi);
        // A wide band (data far from float32's reach) is cheaper to redo in double than to re-check.
        if (p == 0 && band.sum().item<std::int64_t>() > 64 * b) continue;
        break;
      }
      out.counts.index_add_(0, rows, inside.sum(1));
      const at::Tensor pairs = band.nonzero();
      if (pairs.size(0) > 0) {
        const at::Tensor qi = rows.index_select(0, pairs.select(1, 0));
        const at::Tensor rj = pairs.select(1, 1) + r0;
        const at::Tensor dist = detail::exact_pairs(w, qi, rj);
        const at::Tensor rad = r.index_select(0, qi);
        const at::Tensor hit = strict ? dist < rad : dist <= rad;
        out.counts.index_add_(0, qi, hit.to(at::kLong));
        out.rechecked_pairs += pairs.size(0);
      }
    }
  }
  return out;
}

}  // namespace infogeo::libtorch
