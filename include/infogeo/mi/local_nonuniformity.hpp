// Local non-uniformity correction (LNC) of KSG: Gao, Ver Steeg & Galstyan 2015, "Efficient estimation of mutual
// information for strongly dependent variables" (AISTATS 2015), the LNC estimator. KSG takes the density constant
// over each point's max-norm box; where Y is a curved function of X plus small noise the k neighbours fill a thin,
// bent slab of that box, the joint density is underestimated and so is the MI. LNC measures, per point, the volume
// of the PCA-aligned box enclosing the point and its k neighbours against the max-norm box, and adds
// log(V_box / V_pca) where V_pca / V_box < alpha; here less that mean on locally uniform data, derived for each
// (k, d). mi::ksg reads it as a rerun beside its estimate (warning "local_nonuniformity", docs/verdicts.md).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/neighbors/knn.hpp"

namespace infogeo::mi {

/// Neighbour order of the LNC reading: the PCA box of k + 1 points is degenerate for k < d; 8 served the calibrated
/// joint dimensions 4-6 (12 at d = 6 read worse: larger neighbourhoods).
inline constexpr index_t local_nonuniformity_k = 8;
/// Joint dimensions dx + dy and sample sizes where mi::ksg reads LNC (the calibration grid's range).
inline constexpr index_t local_nonuniformity_min_dims = 4;
inline constexpr index_t local_nonuniformity_max_dims = 6;
inline constexpr index_t local_nonuniformity_min_n = 1000;
/// alpha of Gao et al. as a quantile of the log volume ratio of locally uniform data at (k, d): a point is
/// corrected when its ratio is below this quantile (10 %: within the MI tolerance on 2 x 2 and 3 x 3 Gaussian,
/// tanh and curved pairs where 5 % left curved pairs low and 25 % read noisier; docs/verdicts.md).
inline constexpr double local_nonuniformity_alpha_quantile = 0.1;

namespace detail {

/// Eigenvectors (columns of v, d x d row-major) of the symmetric d x d matrix a (row-major, overwritten) by cyclic
/// Jacobi rotations; for the small d of local PCA (no Eigen/Eigenvalues include in ksg.hpp's chain).
inline void symmetric_eigenvectors(std::vector<double>& a, index_t d, std::vector<double>& v) {
  const auto at = [d](index_t i, index_t j) { return static_cast<std::size_t>(i * d + j); };
  v.assign(static_cast<std::size_t>(d * d), 0.0);
  for (index_t i = 0; i < d; ++i) v[at(i, i)] = 1.0;
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (index_t i = 0; i < d; ++i) {
      diag += a[at(i, i)] * a[at(i, i)];
      for (index_t j = i + 1; j < d; ++j) off += a[at(i, j)] * a[at(i, j)];
    }
    if (!(off > 1e-30 * diag)) return;
    for (index_t p = 0; p < d; ++p)
      for (index_t q = p + 1; q < d; ++q) {
        const double apq = a[at(p, q)];
        if (apq == 0.0) continue;
        const double theta = (a[at(q, q)] - a[at(p, p)]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (index_t r = 0; r < d; ++r) {  // a <- a J (columns p, q)
          const double arp = a[at(r, p)], arq = a[at(r, q)];
          a[at(r, p)] = c * arp - s * arq;
          a[at(r, q)] = s * arp + c * arq;
        }
        for (index_t r = 0; r < d; ++r) {  // a <- J^T a (rows p, q)
          const double apr = a[at(p, r)], aqr = a[at(q, r)];
          a[at(p, r)] = c * apr - s * aqr;
          a[at(q, r)] = s * apr + c * aqr;
        }
        for (index_t r = 0; r < d; ++r) {
          const double vrp = v[at(r, p)], vrq = v[at(r, q)];
          v[at(r, p)] = c * vrp - s * vrq;
          v[at(r, q)] = s * vrp + c * vrq;
        }
      }
  }
}

/// log(V_pca / V_box) of one point (Gao et al. 2015, the LNC volume ratio): `offsets` (k x d, row-major) from the point to its
/// k neighbours, eps the max-norm distance to the k-th. The principal axes of the k + 1 points (the point included,
/// centred on their mean) span a rotated box around the point, half-width along axis l = max_j |<offset_j, v_l>|;
/// V_box is the max-norm box of half-width eps. -inf when the neighbours span fewer than d dimensions.
inline double local_box_log_ratio(const std::vector<double>& offsets, index_t k, index_t d, double eps,
                                  std::vector<double>& cov, std::vector<double>& axes) {
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  for (index_t j = 0; j < k; ++j)
    for (index_t c = 0; c < d; ++c) mean[static_cast<std::size_t>(c)] += offsets[static_cast<std::size_t>(j * d + c)];
  for (double& m : mean) m /= static_cast<double>(k + 1);
  cov.assign(static_cast<std::size_t>(d * d), 0.0);
  for (index_t j = -1; j < k; ++j)  // j = -1: the point itself (offset 0)
    for (index_t a = 0; a < d; ++a) {
      const double ua = (j < 0 ? 0.0 : offsets[static_cast<std::size_t>(j * d + a)]) - mean[static_cast<std::size_t>(a)];
      for (index_t b = a; b < d; ++b) {
        const double ub = (j < 0 ? 0.0 : offsets[static_cast<std::size_t>(j * d + b)]) - mean[static_cast<std::size_t>(b)];
        cov[static_cast<std::size_t>(a * d + b)] += ua * ub;
      }
    }
  for (index_t a = 0; a < d; ++a)
    for (index_t b = 0; b < a; ++b) cov[static_cast<std::size_t>(a * d + b)] = cov[static_cast<std::size_t>(b * d + a)];
  symmetric_eigenvectors(cov, d, axes);
  double log_ratio = 0.0;
  for (index_t l = 0; l < d; ++l) {
    double half = 0.0;
    for (index_t j = 0; j < k; ++j) {
      double proj = 0.0;
      for (index_t c = 0; c < d; ++c)
        proj += offsets[static_cast<std::size_t>(j * d + c)] * axes[static_cast<std::size_t>(c * d + l)];
      half = std::max(half, std::abs(proj));
    }
    log_ratio += std::log(half / eps);
  }
  return log_ratio;
}

/// What LNC needs of locally uniform data at (k, d): log(alpha), the local_nonuniformity_alpha_quantile of the log
/// volume ratio, and the mean correction E[-ratio; ratio < log alpha] it would add there (subtracted, so that the
/// reading has no bias on locally uniform data; Gao et al.'s fixed alpha leaves +0.05-0.1 nats on Gaussian pairs).
/// Derived, not tabled: given the k-th max-norm distance eps, a point's k neighbours in a locally uniform sample are
/// k - 1 uniform points in its box and one on the boundary, i.e. k uniform points in [-1, 1]^d rescaled by their
/// largest max-norm (the ratio is scale-free); `draws` such sets, fixed seed (20000 draws take 0.03-0.2 s at
/// d = 4-6; local_uniform_baseline_at() tables k = 8).
struct local_uniform_baseline {
  double log_alpha = 0.0;
  double mean_correction = 0.0;
};
inline local_uniform_baseline local_uniform_baseline_of(index_t k, index_t d, index_t draws = 20000) {
  random_engine rng(0x4c4e43u);
  std::vector<double> offsets(static_cast<std::size_t>(k * d)), cov, axes, ratios;
  ratios.reserve(static_cast<std::size_t>(draws));
  for (index_t s = 0; s < draws; ++s) {
    double eps = 0.0;
    for (double& o : offsets) {
      o = rng.uniform(-1.0, 1.0);
      eps = std::max(eps, std::abs(o));
    }
    ratios.push_back(local_box_log_ratio(offsets, k, d, eps, cov, axes));
  }
  std::vector<double> sorted = ratios;
  const auto q = static_cast<std::size_t>(local_nonuniformity_alpha_quantile * static_cast<double>(draws));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(q), sorted.end());
  local_uniform_baseline b;
  b.log_alpha = sorted[q];
  double sum = 0.0;
  for (double r : ratios)
    if (r < b.log_alpha) sum -= r;
  b.mean_correction = sum / static_cast<double>(draws);
  return b;
}

/// local_uniform_baseline_of(k, d) with 200000 draws for k = local_nonuniformity_k, d = 4-6 (the check's range),
/// computed at run time (20000 draws, Monte Carlo sd of the mean correction ~0.003) elsewhere.
inline local_uniform_baseline local_uniform_baseline_at(index_t k, index_t d) {
  if (k == 8 && d == 4) return {-1.0975, 0.1398};
  if (k == 8 && d == 5) return {-1.6279, 0.2001};
  if (k == 8 && d == 6) return {-2.3746, 0.2843};
  return local_uniform_baseline_of(k, d);
}

/// The LNC correction of a KSG-1 estimate at k from its joint sample and k-NN result (max norm, at least k
/// neighbours): (1/n) sum_i -log(V_pca,i / V_box,i) over points whose ratio is below log alpha, minus the same mean
/// on locally uniform data (local_uniform_baseline_of). Added to KSG-1 at k it gives the LNC reading. Points whose
/// neighbours span fewer than d dimensions (ties) are left out of the mean. Cost: O(n k d^2 + n d^3).
template <class = void>
double local_nonuniformity_correction(const row_matrix<double>& joint, const neighbors::knn_result& r, index_t k) {
  const index_t n = joint.rows(), d = joint.cols();
  const local_uniform_baseline base = local_uniform_baseline_at(k, d);
  std::vector<double> terms(static_cast<std::size_t>(n), 0.0);
  std::vector<char> used(static_cast<std::size_t>(n), 0);
#ifdef _OPENMP
#pragma omp parallel
#endif
  {
    std::vector<double> offsets(static_cast<std::size_t>(k * d)), cov, axes;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (index_t i = 0; i < n; ++i) {
      const double eps = r.distance(i, k - 1);
      if (!(eps > 0.0)) continue;
      for (index_t j = 0; j < k; ++j)
        for (index_t c = 0; c < d; ++c)
          offsets[static_cast<std::size_t>(j * d + c)] = joint(r.index(i, j), c) - joint(i, c);
      const double ratio = local_box_log_ratio(offsets, k, d, eps, cov, axes);
      if (!std::isfinite(ratio)) continue;
      used[static_cast<std::size_t>(i)] = 1;
      if (ratio < base.log_alpha) terms[static_cast<std::size_t>(i)] = -ratio;
    }
  }
  double sum = 0.0;
  index_t count = 0;
  for (index_t i = 0; i < n; ++i) {
    sum += terms[static_cast<std::size_t>(i)];
    count += used[static_cast<std::size_t>(i)];
  }
  return count > 0 ? sum / static_cast<double>(count) - base.mean_correction : 0.0;
}

}  // namespace detail
}  // namespace infogeo::mi
