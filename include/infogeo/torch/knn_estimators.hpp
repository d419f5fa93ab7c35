// k-NN estimators on device tensors (CPU or CUDA): Kozachenko-Leonenko entropy, KSG-1/2 and the
// mixed discrete-continuous KSG mutual information through the exact tiled searches of
// infogeo/torch/knn.hpp. Same formulas, options, settings, errors and verdicts as the CPU estimators
// (entropy/kozachenko_leonenko.hpp, mi/ksg.hpp, mi/mixed_ksg.hpp); the numbers equal theirs to the
// summation order (tested to 1e-9 relative; the neighbour distances are exact and the counts
// identical). The verdict checks are the CPU's own functions (neighbors/regime.hpp, the estimators'
// detail checks), run on the column profile measured on the device and on the host copy of the
// neighbour distances the estimator already has.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/entropy/density_pole.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/mi/mixed_ksg.hpp"
#include "infogeo/stats/heavy_tails.hpp"
#include "infogeo/neighbors/preprocess.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/gaussian_shape.hpp"
#include "infogeo/torch/conversions.hpp"
#include "infogeo/torch/knn.hpp"

namespace infogeo::libtorch {

namespace detail {

/// The device estimators take the data as given: standardising or jittering on the device would
/// not reproduce the CPU's preprocessing bit for bit (and KSG counts are decided at the last bit).
inline void check_no_preprocess(const neighbors::preprocess_options& p, const char* fn) {
  require(!p.standardize && p.jitter == 0.0, fn,
          "preprocess (standardize / jitter) is not available on the device: scale or jitter the tensor "
          "first, or use the CPU estimator (standardize=", p.standardize ? 1 : 0, ", jitter=", p.jitter, ")");
}

/// The host copy of a device search, as the CPU searchers return it: the input of the CPU's
/// verdict checks (duplicates, TwoNN intrinsic dimension) and formulas. n x k doubles.
inline neighbors::knn_result host_knn(const device_knn_result& r) {
  const at::Tensor d = r.distances.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor i = r.indices.to(at::kCPU, at::kLong).contiguous();
  neighbors::knn_result h;
  h.n = d.size(0);
  h.k = d.size(1);
  h.norm = r.norm;
  h.algorithm = "libtorch tiled exact";
  h.distances.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  h.indices.assign(i.data_ptr<std::int64_t>(), i.data_ptr<std::int64_t>() + i.numel());
  return h;
}

/// Distinct values per column measured on the device (sort each column, count the changes; exact
/// comparison, 0.0 == -0.0 as on the CPU), in the form of neighbors::profile_columns, so that the
/// CPU's checks (constant and tied columns) decide on it. Only d counts cross to the host.
inline neighbors::column_profile profile_columns_device(const at::Tensor& x) {
  c10::NoGradGuard no_grad;
  const std::int64_t n = x.size(0);
  const at::Tensor sorted = std::get<0>(x.sort(0));
  const at::Tensor changes = (sorted.slice(0, 1, n) != sorted.slice(0, 0, n - 1)).sum(0).to(at::kCPU, at::kLong);
  neighbors::column_profile p;
  p.n = n;
  for (std::int64_t j = 0; j < changes.numel(); ++j) {
    const index_t distinct = 1 + changes[j].item<std::int64_t>();
    p.distinct.push_back(distinct);
    p.tied_fraction.push_back(1.0 - static_cast<double>(distinct) / static_cast<double>(n));
  }
  return p;
}

/// stats::column_tail_ratios() measured on the device: each column sorted there, the order statistics
/// of stats::detail::sorted_quantile() at stats::tail_ratio_levels copied to the host (8 rows), the same
/// interpolation and ratio as the CPU.
inline std::vector<double> column_tail_ratios_device(const at::Tensor& x) {
  c10::NoGradGuard no_grad;
  const std::int64_t n = x.size(0);
  std::vector<std::int64_t> rows;
  std::vector<double> fraction;
  for (double q : stats::tail_ratio_levels) {
    const double pos = q * static_cast<double>(n - 1);
    const auto lo = static_cast<std::int64_t>(std::floor(pos));
    rows.push_back(lo);
    rows.push_back(std::min<std::int64_t>(lo + 1, n - 1));
    fraction.push_back(pos - static_cast<double>(lo));
  }
  const at::Tensor picked = std::get<0>(x.sort(0))
                                .index_select(0, at::tensor(rows, x.options().dtype(at::kLong)))
                                .to(at::kCPU, at::kDouble)
                                .contiguous();
  const auto d = picked.size(1);
  const double* p = picked.data_ptr<double>();
  auto quantile = [&](std::size_t level, std::int64_t j) {
    const double lo = p[static_cast<std::int64_t>(2 * level) * d + j];
    const double hi = p[static_cast<std::int64_t>(2 * level + 1) * d + j];
    return lo + fraction[level] * (hi - lo);
  };
  std::vector<double> out;
  for (std::int64_t j = 0; j < d; ++j)
    out.push_back(stats::tail_ratio_of_quantiles(quantile(0, j), quantile(1, j), quantile(2, j), quantile(3, j)));
  return out;
}

/// neighbors::robust_scale() of every column, measured on the device from the same order statistics
/// as neighbors::robust_column_scales() (q25, q75 of the sorted column; population sd where the IQR
/// is 0). Only d scales cross to the host.
inline std::vector<double> robust_column_scales_device(const at::Tensor& x) {
  c10::NoGradGuard no_grad;
  const std::int64_t n = x.size(0);
  const at::Tensor sorted = std::get<0>(x.sort(0));
  const at::Tensor q25 = sorted.select(0, (n - 1) / 4).to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor q75 = sorted.select(0, 3 * (n - 1) / 4).to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor sd = x.to(at::kDouble).std(0, /*unbiased=*/false).to(at::kCPU).contiguous();
  std::vector<double> scales(static_cast<std::size_t>(x.size(1)));
  for (std::size_t j = 0; j < scales.size(); ++j)
    scales[j] = neighbors::robust_scale(q25.data_ptr<double>()[j], q75.data_ptr<double>()[j], sd.data_ptr<double>()[j]);
  return scales;
}

/// stats::mardia_kurtosis() measured on the device in double: b2 = mean_i |L^-1 (x_i - m)|^4, L the
/// Cholesky factor of the maximum-likelihood covariance (Mardia 1970, eq. 2.9). NaN when that
/// covariance is not numerically positive definite, with the CPU's rank tolerance: a pivot L_aa^2 at
/// or below stats::mardia_pivot_tolerance(n, d) S_aa counts as zero (the device GEMM sums over n in
/// its own blocks; the tolerance's margin of 16 covers blocks of 256 at n <= 1e6). Cost: two
/// n x d x d products on the device, three host syncs.
inline double mardia_kurtosis_device(const at::Tensor& x) {
  c10::NoGradGuard no_grad;
  const at::Tensor xd = x.to(at::kDouble);
  const at::Tensor centred = xd - xd.mean(0, /*keepdim=*/true);
  const at::Tensor cov = at::matmul(centred.t(), centred) / static_cast<double>(x.size(0));
  const auto chol = at::linalg_cholesky_ex(cov);
  if (std::get<1>(chol).item<std::int64_t>() != 0) return std::numeric_limits<double>::quiet_NaN();
  const at::Tensor pivots = std::get<0>(chol).diagonal().square();
  const double tolerance = stats::mardia_pivot_tolerance(x.size(0), x.size(1));
  // Written so that a NaN pivot also counts as rank-deficient, as on the CPU.
  if (!(pivots > tolerance * cov.diagonal()).all().item<bool>()) return std::numeric_limits<double>::quiet_NaN();
  const at::Tensor w = at::linalg_solve_triangular(std::get<0>(chol), centred.t(), /*upper=*/false);
  const at::Tensor r2 = (w * w).sum(0);
  return (r2 * r2).mean().item<double>();
}

/// neighbors::has_hard_edge() measured on the device (the same counts, exact comparisons in double).
inline bool has_hard_edge_device(const at::Tensor& x) {
  c10::NoGradGuard no_grad;
  const at::Tensor xd = x.to(at::kDouble);
  const at::Tensor lo = std::get<0>(xd.min(0));
  const at::Tensor hi = std::get<0>(xd.max(0));
  const at::Tensor width = 0.01 * (hi - lo);
  const at::Tensor near_min = ((xd <= lo + width).sum(0) - 1).to(at::kCPU, at::kLong).contiguous();
  const at::Tensor near_max = ((xd >= hi - width).sum(0) - 1).to(at::kCPU, at::kLong).contiguous();
  for (std::int64_t j = 0; j < near_min.numel(); ++j)
    if (neighbors::hard_edge(near_min.data_ptr<std::int64_t>()[j], near_max.data_ptr<std::int64_t>()[j], x.size(0)))
      return true;
  return false;
}

/// Neighbours searched: max(k, 2) (at most n - 1), as the CPU estimators (TwoNN needs two).
inline std::int64_t searched_k(std::int64_t k, std::int64_t n) { return std::max(k, std::min<std::int64_t>(2, n - 1)); }

inline void record_search(estimate& e, const device_knn_result& r, const at::Tensor& x) {
  e.settings["backend"] = "libtorch:" + x.device().str();
  e.settings["search_algorithm"] =
      r.fused > 0 ? std::string("fused exact max-norm kernel (double, NVRTC)")
                  : std::string("tiled exact (rounded-pass selection certified by a rounding bound, double re-check") +
                        (r.fused_l2_recheck ? " in the fused L2 kernel, NVRTC)" : ")");
  e.details["queries_fused_kernel"] = static_cast<double>(r.fused);
  e.details["queries_certified_float32"] = static_cast<double>(r.certified_float);
  e.details["queries_certified_double"] = static_cast<double>(r.certified_double);
  e.details["queries_exhaustive"] = static_cast<double>(r.exhaustive);
}

inline std::vector<std::int64_t> to_host_counts(const at::Tensor& t) {
  const at::Tensor h = t.to(at::kCPU, at::kLong).contiguous();
  return std::vector<std::int64_t>(h.data_ptr<std::int64_t>(), h.data_ptr<std::int64_t>() + h.numel());
}

/// Half `which` (0, 1) of the random split `perm` (infogeo::detail::half_split) of a sample tensor's
/// rows: the halves of the sample_size_trend check, gathered on the tensor's device.
inline at::Tensor half_rows_device(const at::Tensor& t, const std::vector<std::int64_t>& perm, index_t which) {
  const auto first = static_cast<std::int64_t>(perm.size() / 2);
  const std::int64_t begin = which == 0 ? 0 : first;
  const std::int64_t count = which == 0 ? first : static_cast<std::int64_t>(perm.size()) - first;
  const at::Tensor index =
      at::from_blob(const_cast<std::int64_t*>(perm.data()) + begin, {count}, at::TensorOptions().dtype(at::kLong))
          .to(t.device());
  return t.index_select(0, index).contiguous();
}

}  // namespace detail

/// Kozachenko-Leonenko entropy h(X) in nats of the rows of a device tensor x (n x d; float or
/// double; CPU or CUDA): the estimator of entropy::kozachenko_leonenko (Kozachenko & Leonenko 1987;
/// Kraskov et al. 2004 eq. 20), h = psi(N) - psi(k) + log V_d + (d/N) sum_i log eps_i, with the
/// exact k-th neighbour distances eps_i of knn_self_device. opt.k and opt.norm as on the CPU;
/// opt.search is ignored; opt.preprocess must be off (see check_no_preprocess). Assumptions, bias
/// and units as the CPU estimator. Cost: one tiled search (n^2 d / 2 float32 operations).
/// Verdict: as the CPU estimator (refused for constant or tied columns and a low TwoNN intrinsic
/// dimension; "neighbour_order_bias" with the rate chosen as the CPU chooses it, the density-pole
/// test entropy::has_density_pole_any_direction() on a host copy of x), measured on the device
/// tensor and the searched distances. The pole test costs a host copy of x and O(n d^2) host work
/// per direction face (FastICA on at most 2000 rows), as on the CPU.
/// Errors (invalid_argument): as the CPU estimator (shape, NaN/Inf, k, duplicates) and preprocess.
inline estimate kozachenko_leonenko_device(const at::Tensor& x, const entropy::kl_options& opt = {},
                                           const device_knn_options& dopt = {}) {
  constexpr const char* fn = "libtorch::kozachenko_leonenko_device";
  detail::check_points(x, fn, "x");
  require(opt.k >= 1, fn, "k must be >= 1 (k=", opt.k, ")");
  require(opt.k < x.size(0), fn, "k must be < n (k=", opt.k, ", n=", x.size(0), ")");
  detail::check_no_preprocess(opt.preprocess, fn);
  entropy::detail::refuse_non_density(detail::profile_columns_device(x), 0.0, fn);
  const auto r = knn_self_device(x, entropy::kl_searched_neighbours(opt.k, x.size(0), opt.neighbour_order_check),
                                 opt.norm, dopt);
  const neighbors::knn_result hr = detail::host_knn(r);
  neighbors::check_no_duplicates(hr, fn, "x", opt.preprocess);
  const index_t d = x.size(1);
  estimate e;
  neighbors::check_intrinsic_dimension(e, hr, d, fn, "x", true);
  e.value = entropy::kozachenko_leonenko_from_knn(hr, d, opt.k - 1);
  entropy::check_sampling_noise(e, entropy::kozachenko_leonenko_sampling_sd(hr, d, opt.k - 1), d);
  e.n = x.size(0);
  e.dims = d;
  e.method = "kozachenko_leonenko";
  e.parameters["k"] = static_cast<double>(opt.k);
  e.settings["norm"] = neighbors::to_string(opt.norm);
  detail::record_search(e, r, x);
  e.settings["radius"] = "distance to k-th neighbour; unit-radius ball volume";
  neighbors::record(e, opt.preprocess, {});
  // The pole test (columns and FastICA directions) is the CPU's own function on a host copy of x, run
  // where the CPU runs it (only the extrapolation reads it): the same data, so the same verdict.
  if (opt.neighbour_order_check)
    entropy::check_neighbour_order_bias_gated(
        e, hr, d, opt.k, detail::has_hard_edge_device(x),
        [&] { return entropy::mardia_kurtosis_z(detail::mardia_kurtosis_device(x), x.size(0), d); },
        hr.k >= 4 * opt.k && entropy::has_density_pole_any_direction(detail::to_host_matrix(x)));
  infogeo::detail::check_sample_size_trend(
      e, opt.sample_size_check, tolerance_kind::differential_entropy,
      [&, perm = infogeo::detail::half_split(x.size(0), opt.sample_size_check.seed)](index_t which) {
        entropy::kl_options half = opt;
        half.sample_size_check.enabled = false;
        half.neighbour_order_check = false;
        return kozachenko_leonenko_device(detail::half_rows_device(x, perm, which), half, dopt).value;
      },
      entropy::detail::knn_entropy_trend_advice);
  return e;
}

namespace detail {
/// mi::detail::check_transformed_readings() on device tensors ("normal_scores_disagree",
/// "correlated_columns"): the shapes, normal scores, covariance factors and whitening on host copies
/// (O(n d^2) and a sort per column, as on the CPU), the reruns on the device (`rerun` takes the
/// transformed x and y as device tensors).
template <class Rerun>
void check_transformed_readings_device(estimate& e, const at::Tensor& xd, const neighbors::column_profile& px,
                                       const at::Tensor& yd, const neighbors::column_profile& py, Rerun rerun) {
  mi::detail::check_transformed_readings(e, to_host_matrix(xd), px, to_host_matrix(yd), py,
                                         [&](const row_matrix<double>& tx, const row_matrix<double>& ty) {
                                           return rerun(to_device(tx, xd.device()), to_device(ty, yd.device()));
                                         });
}
}  // namespace detail

/// The default options of ksg_device(): mi::ksg_options with preprocessing off. (mi::ksg_options{}
/// standardises every column, the CPU MI default, which the device does not reproduce bit for bit:
/// standardise the tensors first if their scales differ.)
inline mi::ksg_options device_ksg_defaults() {
  mi::ksg_options o;
  o.preprocess.standardize = false;
  return o;
}

/// KSG mutual information I(X;Y) in nats (Kraskov, Stoegbauer & Grassberger 2004, eq. 8 (variant
/// 1) and eq. 9 (variant 2)) of paired rows of device tensors x (n x dx) and y (n x dy), on the
/// same device: the estimator of mi::ksg, with the joint max-norm k-NN of knn_self_device and the
/// marginal counts of count_within_device (strict for variant 1, non-strict for variant 2), both
/// exact, so the counts equal the CPU's. opt.preprocess must be off; opt.search is ignored.
/// Assumptions and bias as mi::ksg. Cost: one joint search and two marginal count passes, each
/// ~n^2 d / 2 float32 operations. Errors: as mi::ksg (shapes, rows, NaN/Inf, k, duplicates),
/// tensors on different devices, preprocess. Verdict: as mi::ksg (refused for a constant column;
/// warnings "intrinsic_dimension" and "discrete_columns"), by the CPU's checks.
namespace detail {
/// ksg_device() with the readings on transformed data (normal scores, whitening) optional: off in
/// the reruns themselves and in the half-sample reruns, so that they never recurse.
inline estimate ksg_device_with(const at::Tensor& x, const at::Tensor& y, const mi::ksg_options& opt,
                                const device_knn_options& dopt, bool transformed_readings) {
  constexpr const char* fn = "libtorch::ksg_device";
  detail::check_points(x, fn, "x");
  detail::check_points(y, fn, "y");
  require(x.size(0) == y.size(0), fn, "x and y must have the same number of rows (x rows=", x.size(0),
          ", y rows=", y.size(0), ")");
  require(x.device() == y.device(), fn, "x and y must live on the same device (x: ", x.device().str(),
          ", y: ", y.device().str(), ")");
  require(opt.k >= 1, fn, "k must be >= 1 (k=", opt.k, ")");
  require(opt.k < x.size(0), fn, "k must be < n (k=", opt.k, ", n=", x.size(0), ")");
  require(opt.variant == mi::ksg_variant::ksg1 || opt.variant == mi::ksg_variant::ksg2, fn,
          "variant must be 1 or 2 (variant=", static_cast<int>(opt.variant), ")");
  detail::check_no_preprocess(opt.preprocess, fn);
  c10::NoGradGuard no_grad;  // c10: at::NoGradGuard is not declared by ATen.h in LibTorch 2.x
  const at::Tensor xd = x.to(at::kDouble).contiguous();
  const at::Tensor yd = y.to(at::kDouble).contiguous();
  const auto px = mi::detail::mi_column_checks(detail::profile_columns_device(xd), fn, "x");
  const auto py = mi::detail::mi_column_checks(detail::profile_columns_device(yd), fn, "y");
  const std::int64_t n = xd.size(0);
  const std::int64_t k = opt.k;
  const auto r = knn_self_device(at::cat({xd, yd}, 1), detail::searched_k(k, n), norm_kind::chebyshev, dopt);
  const neighbors::knn_result hr = detail::host_knn(r);
  neighbors::check_no_duplicates(hr, fn, "(x, y)", opt.preprocess);
  const bool v1 = opt.variant == mi::ksg_variant::ksg1;
  at::Tensor rad_x, rad_y;
  if (v1) {
    rad_x = r.distances.select(1, k - 1).contiguous();
    rad_y = rad_x;
  } else {
    // eps_x(i) = max over the k joint neighbours of the x max-norm distance (exact double).
    rad_x = at::empty({n}, xd.options());
    rad_y = at::empty({n}, xd.options());
    const std::int64_t tile = std::max<std::int64_t>(1, dopt.tile_elements / (k * (xd.size(1) + yd.size(1))));
    for (std::int64_t s = 0; s < n; s += tile) {
      const std::int64_t e = std::min(n, s + tile);
      const at::Tensor idx = r.indices.slice(0, s, e).slice(1, 0, k);
      for (int side = 0; side < 2; ++side) {
        const at::Tensor& m = side == 0 ? xd : yd;
        const at::Tensor diff = m.index_select(0, idx.reshape({-1})).view({e - s, k, m.size(1)}) -
                                m.slice(0, s, e).unsqueeze(1);
        (side == 0 ? rad_x : rad_y).slice(0, s, e).copy_(diff.abs().amax(2).amax(1));
      }
    }
  }
  const auto cx = count_within_device(xd, rad_x, v1, norm_kind::chebyshev, dopt);
  const auto cy = count_within_device(yd, rad_y, v1, norm_kind::chebyshev, dopt);
  const std::vector<std::int64_t> nx = detail::to_host_counts(cx.counts);
  const std::vector<std::int64_t> ny = detail::to_host_counts(cy.counts);
  // Terms, mean and sd on the host in index order: the CPU estimator's arithmetic exactly.
  std::vector<double> terms(static_cast<std::size_t>(n));
  const double off = v1 ? 1.0 : 0.0;
  for (std::size_t i = 0; i < terms.size(); ++i)
    terms[i] = digamma(static_cast<double>(nx[i]) + off) + digamma(static_cast<double>(ny[i]) + off);
  double mean = 0.0;
  double sd = 0.0;
  mi::detail::mean_sd(terms, mean, sd);
  const auto kd = static_cast<double>(k);
  estimate e;
  e.value = digamma(kd) + digamma(static_cast<double>(n)) - mean - (v1 ? 0.0 : 1.0 / kd);
  e.n = n;
  e.dims = xd.size(1) + yd.size(1);
  e.method = v1 ? "ksg1" : "ksg2";
  e.parameters["k"] = kd;
  e.parameters["dx"] = static_cast<double>(xd.size(1));
  e.parameters["dy"] = static_cast<double>(yd.size(1));
  e.settings["norm"] = "chebyshev (joint = max of marginal max-norms)";
  e.settings["marginal_counts"] = v1 ? "strict: dist < eps_i" : "non-strict: dist <= eps_x(i), eps_y(i)";
  detail::record_search(e, r, x);
  e.settings["count_x"] = "tiled exact range count (device)";
  e.settings["count_y"] = "tiled exact range count (device)";
  e.details["per_point_sd"] = sd;
  e.details["rechecked_pairs"] = static_cast<double>(cx.rechecked_pairs + cy.rechecked_pairs);
  neighbors::record(e, opt.preprocess, {}, "_x");
  neighbors::record(e, opt.preprocess, {}, "_y");
  neighbors::check_intrinsic_dimension(e, hr, e.dims, fn, "(x, y)", false);
  neighbors::check_neighbourhood_scale(e, hr, k, detail::robust_column_scales_device(at::cat({xd, yd}, 1)), "(x, y)");
  mi::detail::check_knn_mi_sampling_noise(e);
  stats::check_heavy_tails(e, detail::column_tail_ratios_device(xd), px, detail::column_tail_ratios_device(yd), py);
  if (!opt.transformed_readings)
    mi::detail::note_transformed_readings_off(e);
  else if (transformed_readings)
    check_transformed_readings_device(e, xd, px, yd, py, [&](const at::Tensor& tx, const at::Tensor& ty) {
      mi::ksg_options rerun = opt;
      rerun.sample_size_check.enabled = false;
      return ksg_device_with(tx, ty, rerun, dopt, false);
    });
  mi::detail::warn_discrete_columns(e, px, py);
  infogeo::detail::check_sample_size_trend(
      e, opt.sample_size_check, tolerance_kind::scale_invariant,
      [&, perm = infogeo::detail::half_split(x.size(0), opt.sample_size_check.seed)](index_t which) {
        mi::ksg_options half = opt;
        half.sample_size_check.enabled = false;
        return ksg_device_with(half_rows_device(x, perm, which), half_rows_device(y, perm, which), half, dopt, false)
            .value;
      },
      mi::detail::knn_mi_trend_advice);
  return e;
}
}  // namespace detail

/// The KSG estimator on device tensors described above detail::ksg_device_with(), with every check,
/// the readings on normal scores and on whitened columns included (as mi::ksg).
inline estimate ksg_device(const at::Tensor& x, const at::Tensor& y, const mi::ksg_options& opt = device_ksg_defaults(),
                           const device_knn_options& dopt = {}) {
  return detail::ksg_device_with(x, y, opt, dopt, true);
}

/// mi::mixed_ksg's categorical distance on device tensors (mi::discrete_distance, opt.y_labels):
/// the tied columns are copied to the host, chosen and recoded to (level index) x G there exactly as
/// the CPU does, and written back into xd and yd; returns the setting "categorical_columns". `cat_x`,
/// `cat_y` (when given) receive the masks of the recoded columns (mi::mixed_ksg's cat_x, cat_y).
inline std::string recode_categorical_device(at::Tensor& xd, at::Tensor& yd, const neighbors::column_profile& px,
                                             const neighbors::column_profile& py, const mi::mixed_ksg_options& opt,
                                             const char* fn, std::vector<bool>* cat_x_out = nullptr,
                                             std::vector<bool>* cat_y_out = nullptr) {
  if (cat_x_out) cat_x_out->assign(static_cast<std::size_t>(xd.size(1)), false);
  if (cat_y_out) cat_y_out->assign(static_cast<std::size_t>(yd.size(1)), false);
  auto host_columns = [](const at::Tensor& t, const std::vector<index_t>& cols) {
    std::vector<std::int64_t> idx(cols.begin(), cols.end());
    const at::Tensor h = t.index_select(1, at::tensor(idx, t.options().dtype(at::kLong))).to(at::kCPU).contiguous();
    row_matrix<double> m(h.size(0), h.size(1));
    std::copy(h.data_ptr<double>(), h.data_ptr<double>() + h.numel(), m.data());
    return m;
  };
  if (opt.discrete == mi::discrete_distance::numeric && !opt.y_labels) return "none";
  const std::vector<index_t> tx = px.tied_columns();
  const std::vector<index_t> ty = opt.y_labels ? std::vector<index_t>{0} : py.tied_columns();
  if (tx.empty() && ty.empty()) return "none";
  row_matrix<double> hx = tx.empty() ? row_matrix<double>(xd.size(0), 0) : host_columns(xd, tx);
  row_matrix<double> hy = ty.empty() ? row_matrix<double>(yd.size(0), 0) : host_columns(yd, ty);
  // The chosen subsets, then the masks over all columns.
  const std::vector<bool> sub_x = mi::detail::categorical_columns(hx, neighbors::profile_columns(hx), opt, false, fn, "x");
  const std::vector<bool> sub_y =
      mi::detail::categorical_columns(hy, neighbors::profile_columns(hy), opt, opt.y_labels, fn, "y");
  if (opt.y_labels) {
    // The CPU drops classes of <= k rows within a bound or refuses ("rare_classes"); the device form
    // does not drop rows: it refuses.
    const mi::detail::column_levels classes(hy, 0);
    const std::size_t rare = classes.rarest();
    if (classes.rows[rare] <= opt.k)
      refuse(fn, "rare_classes",
             infogeo::detail::concat("class ", classes.values[rare], " has ", classes.rows[rare], " rows <= k=", opt.k,
                                     ": no k-th neighbour inside it; the device form does not leave such classes "
                                     "out: use mi::mixed_ksg (CPU), k below the smallest class size, or merge the "
                                     "rare classes"),
             static_cast<double>(classes.rows[rare]));
  }
  std::vector<bool> cat_x(static_cast<std::size_t>(xd.size(1)), false);
  std::vector<bool> cat_y(static_cast<std::size_t>(yd.size(1)), false);
  for (std::size_t j = 0; j < tx.size(); ++j) cat_x[static_cast<std::size_t>(tx[j])] = sub_x[j];
  for (std::size_t j = 0; j < ty.size(); ++j) cat_y[static_cast<std::size_t>(ty[j])] = sub_y[j];
  const std::string names = mi::detail::categorical_names(cat_x, cat_y);
  if (names == "none") return names;
  if (cat_x_out) *cat_x_out = cat_x;
  if (cat_y_out) *cat_y_out = cat_y;
  // The gap G from the span of the other columns, measured on the device.
  auto spans = [](const at::Tensor& t) {
    const at::Tensor h = (std::get<0>(t.max(0)) - std::get<0>(t.min(0))).to(at::kCPU).contiguous();
    return std::vector<double>(h.data_ptr<double>(), h.data_ptr<double>() + h.numel());
  };
  const std::vector<double> sx = spans(xd);
  const std::vector<double> sy = spans(yd);
  double span = 0.0;
  for (std::size_t j = 0; j < sx.size(); ++j) span = cat_x[j] ? span : std::max(span, sx[j]);
  for (std::size_t j = 0; j < sy.size(); ++j) span = cat_y[j] ? span : std::max(span, sy[j]);
  auto write_back = [&](at::Tensor& t, row_matrix<double>& h, const std::vector<index_t>& cols,
                        const std::vector<bool>& sub) {
    mi::detail::recode_categorical(h, sub, span);
    for (std::size_t j = 0; j < cols.size(); ++j) {
      if (!sub[j]) continue;
      std::vector<double> col(static_cast<std::size_t>(h.rows()));
      for (index_t i = 0; i < h.rows(); ++i) col[static_cast<std::size_t>(i)] = h(i, static_cast<index_t>(j));
      t.select(1, cols[j]).copy_(at::tensor(col, t.options().device(at::kCPU)).to(t.device()));
    }
  };
  xd = xd.clone();
  yd = yd.clone();
  write_back(xd, hx, tx, sub_x);
  write_back(yd, hy, ty, sub_y);
  return names;
}

/// The default options of mixed_ksg_device(): mi::mixed_ksg_options with preprocessing off (see
/// device_ksg_defaults).
inline mi::mixed_ksg_options device_mixed_ksg_defaults() {
  mi::mixed_ksg_options o;
  o.preprocess.standardize = false;
  return o;
}

/// Mixed discrete-continuous KSG mutual information I(X;Y) in nats (Gao, Kannan, Oh & Viswanath
/// 2017, NeurIPS, Algorithm 1 / eq. 6) of paired rows of device tensors x (n x dx) and y (n x dy),
/// on the same device: the estimator of mi::mixed_ksg (see there for the formula, psi in place of
/// log, bias and assumptions). The joint max-norm k-NN radii rho_i come from knn_self_device (exact,
/// ties included: tied queries take its exhaustive path), the strict marginal counts (rho_i > 0) and
/// the exact-tie counts (rho_i = 0: joint, x and y, radius 0 non-strict) from count_within_device,
/// so every count equals the CPU's; per-point terms on the host in the CPU's order.
/// opt.preprocess must be off (standardize and jitter); opt.search is ignored.
/// Verdict: as mi::mixed_ksg (refused for a constant column; intrinsic-dimension warning when no
/// point sits on an atom; "lattice_ties" from the (k + 1)-th joint neighbour, the rerun on the CPU's
/// own jittered copy, mi::detail::ties_broken(), made on the host and moved back), with the CPU's
/// checks. Cost: one joint search of k + 1 neighbours and two marginal count passes, three more
/// (radius 0) when some point sits on an atom, each ~n^2 d / 2 operations; ties cost the search an
/// exhaustive row per tied query; above mi::lattice_tied_fraction one more estimate and a host copy.
/// Errors: as mi::mixed_ksg (shapes, rows, NaN/Inf, k), tensors on different devices, preprocess.
namespace detail {
/// mixed_ksg_device() with the rereadings (on normal scores, whitened columns and with a lattice's
/// ties broken: mi::mixed_ksg's outer checks) optional; false in the reruns (see ksg_device_with()).
inline estimate mixed_ksg_device_with(const at::Tensor& x, const at::Tensor& y, const mi::mixed_ksg_options& opt,
                                      const device_knn_options& dopt, bool rereadings) {
  constexpr const char* fn = "libtorch::mixed_ksg_device";
  detail::check_points(x, fn, "x");
  detail::check_points(y, fn, "y");
  require(x.size(0) == y.size(0), fn, "x and y must have the same number of rows (x rows=", x.size(0),
          ", y rows=", y.size(0), ")");
  require(x.device() == y.device(), fn, "x and y must live on the same device (x: ", x.device().str(),
          ", y: ", y.device().str(), ")");
  require(opt.k >= 1, fn, "k must be >= 1 (k=", opt.k, ")");
  require(opt.k < x.size(0), fn, "k must be < n (k=", opt.k, ", n=", x.size(0), ")");
  detail::check_no_preprocess(opt.preprocess, fn);
  c10::NoGradGuard no_grad;
  at::Tensor xd = x.to(at::kDouble).contiguous();
  at::Tensor yd = y.to(at::kDouble).contiguous();
  const auto px = mi::detail::mi_column_checks(detail::profile_columns_device(xd), fn, "x");
  const auto py = mi::detail::mi_column_checks(detail::profile_columns_device(yd), fn, "y");
  const at::Tensor x_unrecoded = xd;  // recode_categorical_device() writes into clones
  const at::Tensor y_unrecoded = yd;
  std::vector<bool> cat_x, cat_y;
  const std::string categorical = recode_categorical_device(xd, yd, px, py, opt, fn, &cat_x, &cat_y);
  const at::Tensor joint = at::cat({xd, yd}, 1);
  const std::int64_t n = xd.size(0);
  const std::int64_t k = opt.k;
  // k + 1 neighbours where n allows (as the CPU): the (k + 1)-th tells whether the k-th distance is tied.
  const std::int64_t searched = std::min<std::int64_t>(std::max<std::int64_t>(k + 1, 2), n - 1);
  const auto r = knn_self_device(joint, searched, norm_kind::chebyshev, dopt);
  const neighbors::knn_result hr = detail::host_knn(r);
  const at::Tensor rho = r.distances.select(1, k - 1).contiguous();
  const std::vector<double> hrho = [&] {
    const at::Tensor h = rho.to(at::kCPU).contiguous();
    return std::vector<double>(h.data_ptr<double>(), h.data_ptr<double>() + n);
  }();
  const auto on_atoms = static_cast<index_t>(std::count(hrho.begin(), hrho.end(), 0.0));
  index_t distance_ties = 0;  // max-norm distances are the CPU's bit for bit, so the ties are the same
  for (index_t i = 0; i < n; ++i)
    distance_ties += searched > k && hr.distance(i, k - 1) > 0.0 && hr.distance(i, k) == hr.distance(i, k - 1);
  const std::vector<std::int64_t> nx = detail::to_host_counts(count_within_device(xd, rho, true, norm_kind::chebyshev, dopt).counts);
  const std::vector<std::int64_t> ny = detail::to_host_counts(count_within_device(yd, rho, true, norm_kind::chebyshev, dopt).counts);
  std::vector<std::int64_t> tie_xy, tie_x, tie_y;
  if (on_atoms > 0) {
    const at::Tensor zero = at::zeros({n}, xd.options());
    tie_xy = detail::to_host_counts(count_within_device(joint, zero, false, norm_kind::chebyshev, dopt).counts);
    tie_x = detail::to_host_counts(count_within_device(xd, zero, false, norm_kind::chebyshev, dopt).counts);
    tie_y = detail::to_host_counts(count_within_device(yd, zero, false, norm_kind::chebyshev, dopt).counts);
  }
  // Per-point terms, mean and sd on the host in index order: the CPU estimator's arithmetic.
  std::vector<double> terms(static_cast<std::size_t>(n));
  const double kd = static_cast<double>(k);
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (hrho[i] > 0.0) {
      terms[i] = digamma(kd) - digamma(static_cast<double>(nx[i]) + 1.0) - digamma(static_cast<double>(ny[i]) + 1.0);
    } else {
      terms[i] = digamma(static_cast<double>(tie_xy[i]) + 1.0) - digamma(static_cast<double>(tie_x[i]) + 1.0) -
                 digamma(static_cast<double>(tie_y[i]) + 1.0);
    }
  }
  double mean = 0.0;
  double sd = 0.0;
  mi::detail::mean_sd(terms, mean, sd);
  estimate e;
  e.value = digamma(static_cast<double>(n)) + mean;
  e.n = n;
  e.dims = joint.size(1);
  e.method = "mixed_ksg";
  e.parameters["k"] = kd;
  e.parameters["dx"] = static_cast<double>(xd.size(1));
  e.parameters["dy"] = static_cast<double>(yd.size(1));
  e.settings["norm"] = "chebyshev (joint = max of marginal max-norms)";
  e.settings["marginal_counts"] = "strict (dist < rho_i) when rho_i > 0; exact ties when rho_i = 0";
  detail::record_search(e, r, x);
  e.details["per_point_sd"] = sd;
  e.details["points_on_atoms"] = static_cast<double>(on_atoms);
  e.details["distance_tied_fraction"] = static_cast<double>(distance_ties) / static_cast<double>(n);
  e.details["max_tied_fraction_x"] = px.max_tied_fraction();
  e.details["max_tied_fraction_y"] = py.max_tied_fraction();
  neighbors::record(e, opt.preprocess, {}, "_x");
  neighbors::record(e, opt.preprocess, {}, "_y");
  e.settings["categorical_columns"] = categorical;
  // In the CPU's order: heavy tails (measured before the recoding, which only touches tied columns),
  // then the sampling noise.
  {
    estimate tails;
    stats::check_heavy_tails(tails, detail::column_tail_ratios_device(xd), px, detail::column_tail_ratios_device(yd),
                             py);
    e.details["max_tail_ratio"] = tails.details.at("max_tail_ratio");
    for (auto& reason : tails.reasons) e.warn(reason.code, reason.message, reason.value);
  }
  mi::detail::check_knn_mi_sampling_noise(e);
  const auto continuous = static_cast<index_t>(e.dims - px.tied_columns().size() - py.tied_columns().size());
  e.parameters["continuous_columns"] = static_cast<double>(continuous);
  if (on_atoms == 0) neighbors::check_intrinsic_dimension(e, hr, continuous, fn, "(x, y) (continuous columns)", false);
  {  // the tied columns' scales (lattices, continua with atoms) on a host copy, only where there are some
    const bool tied = !px.tied_columns().empty() || !py.tied_columns().empty();
    neighbors::check_neighbourhood_scale(
        e, hr, k,
        mi::detail::neighbourhood_column_scales(detail::robust_column_scales_device(joint),
                                                tied ? to_host_matrix(joint) : row_matrix<double>(), px, py, cat_x,
                                                cat_y),
        "(x, y) (non-categorical columns)");
  }
  infogeo::detail::check_sample_size_trend(
      e, opt.sample_size_check, tolerance_kind::scale_invariant,
      [&, perm = infogeo::detail::half_split(x.size(0), opt.sample_size_check.seed)](index_t which) {
        // The recoded columns with the numeric distance: the halves keep the full sample's choice.
        mi::mixed_ksg_options half = opt;
        half.sample_size_check.enabled = false;
        half.discrete = mi::discrete_distance::numeric;
        half.y_labels = false;
        return mixed_ksg_device_with(half_rows_device(xd, perm, which), half_rows_device(yd, perm, which), half, dopt,
                                     false)
            .value;
      },
      mi::detail::knn_mi_trend_advice);
  if (!rereadings) return e;
  mi::mixed_ksg_options rerun = opt;
  rerun.sample_size_check.enabled = false;
  auto rerun_on_device = [&](const at::Tensor& tx, const at::Tensor& ty) {
    return mixed_ksg_device_with(tx, ty, rerun, dopt, false);
  };
  // As on the CPU: on the columns before the recoding (the transforms touch only the continuous ones),
  // the rerun recoding the tied ones itself.
  if (!opt.transformed_readings)
    mi::detail::note_transformed_readings_off(e);
  else
    check_transformed_readings_device(e, x_unrecoded, px, y_unrecoded, py, rerun_on_device);
  // "lattice_ties" as on the CPU (after its readings): the jittered copies are the CPU's own
  // (mi::detail::ties_broken() on host copies of the unrecoded columns, the same seeded draws), so the
  // rerun reads the same data; the rerun recodes the categorical columns itself (they are not jittered,
  // so it chooses the same ones). The host copy only where check_lattice_ties() reruns.
  if (e.details.at("distance_tied_fraction") > mi::lattice_tied_fraction) {
    mi::detail::check_lattice_ties(e, to_host_matrix(x_unrecoded), cat_x, to_host_matrix(y_unrecoded), cat_y,
                                   [&](const row_matrix<double>& tx, const row_matrix<double>& ty) {
                                     return rerun_on_device(to_device(tx, xd.device()), to_device(ty, yd.device()));
                                   });
  }
  return e;
}
}  // namespace detail

/// The mixed KSG estimator on device tensors described above detail::mixed_ksg_device_with(), with every
/// check, the readings on normal scores and on whitened columns included (as mi::mixed_ksg).
inline estimate mixed_ksg_device(const at::Tensor& x, const at::Tensor& y,
                                 const mi::mixed_ksg_options& opt = device_mixed_ksg_defaults(),
                                 const device_knn_options& dopt = {}) {
  return detail::mixed_ksg_device_with(x, y, opt, dopt, true);
}

}  // namespace infogeo::libtorch
