// Kernel density (KDE) entropy: leave-one-out resubstitution with a Gaussian kernel,
//   h_hat = -(1/N) sum_k log p_{b,-k}(x_k),  p_{b,-k}(x) = 1/(N-1) sum_{j != k} phi_b(x - x_j),
// (Ahmad & Lin 1976; Beirlant et al. 1997 Sec. 3.3; Butakov et al. 2024, App. E.1), with the
// data optionally whitened by the sample covariance (then h(X) = h(W) + 1/2 log det Sigma), and
// the bandwidth b from a rule of thumb (Scott 1992 / Silverman 1986 eq. 4.14), maximum
// leave-one-out likelihood, or least-squares cross-validation (Rudemo 1982; Bowman 1984), whose
// convolution term is closed form for the Gaussian kernel (phi_b * phi_b = phi_{sqrt(2) b}).
// The search runs on log b: bracketing downhill, then golden-section.
// Also MI through KDE entropies: I(X;Y) = h(X) + h(Y) - h(X,Y), and h(X) - sum_c p_c h(X|c).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/cross_check.hpp"
#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_size_trend.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/tolerance.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/core/negative_information.hpp"
#include "infogeo/entropy/cross_check.hpp"
#include "infogeo/entropy/gaussian.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/mi/cross_check.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/bootstrap.hpp"
#include "infogeo/stats/heavy_tails.hpp"

namespace infogeo::entropy {

/// How the KDE bandwidth is chosen.
enum class kde_bandwidth {
  silverman,  ///< b = (4/(D+2))^{1/(D+4)} N^{-1/(D+4)} (Silverman 1986 eq. 4.14), "rule"
  scott,      ///< b = N^{-1/(D+4)} (Scott 1992 eq. 6.42)
  ml,         ///< maximises the leave-one-out likelihood = minimises the LOO entropy itself
  lscv,       ///< least-squares cross-validation (minimises an unbiased estimate of the ISE - const)
  fixed,      ///< kde_options::fixed_bandwidth
};

/// "rule" / "silverman", "scott", "ml", "lscv", "fixed" -> kde_bandwidth; throws otherwise.
inline kde_bandwidth parse_kde_bandwidth(const std::string& name) {
  if (name == "rule" || name == "silverman") return kde_bandwidth::silverman;
  if (name == "scott") return kde_bandwidth::scott;
  if (name == "ml") return kde_bandwidth::ml;
  if (name == "lscv") return kde_bandwidth::lscv;
  if (name == "fixed") return kde_bandwidth::fixed;
  throw_invalid_argument("entropy::parse_kde_bandwidth",
                         "bandwidth must be rule|silverman|scott|ml|lscv|fixed (bandwidth=", name, ")");
}

inline const char* to_string(kde_bandwidth b) {
  switch (b) {
    case kde_bandwidth::silverman: return "silverman";
    case kde_bandwidth::scott: return "scott";
    case kde_bandwidth::ml: return "ml";
    case kde_bandwidth::lscv: return "lscv";
    case kde_bandwidth::fixed: return "fixed";
  }
  return "?";
}

/// Options of kde_entropy().
struct kde_options {
  kde_bandwidth bandwidth = kde_bandwidth::silverman;
  /// Bandwidth for kde_bandwidth::fixed, in whitened units when `whiten` (else data units).
  double fixed_bandwidth = 0.0;
  /// Whiten by the sample covariance first (kernel covariance b^2 Sigma); needs N > D and a
  /// nonsingular covariance. Off: isotropic kernel in data units, rules scaled by the RMS std.
  bool whiten = true;
  /// Evaluate the outer mean on this many random query points (0 = all N); each density still
  /// uses all N - 1 other points. Cost O(subset N D) per evaluation.
  index_t subset = 0;
  std::uint64_t seed = 0;          ///< for the random subset
  double search_tolerance = 1e-3;  ///< final bracket width in log b (ml / lscv)
  int max_evaluations = 200;       ///< objective evaluations allowed in the search
  double rank_tolerance = 1e-12;   ///< singularity check of the whitening covariance
  sample_size_check_options sample_size_check;  ///< half-sample convergence check ("sample_size_trend"), on
  /// Recompute at half the selected bandwidth and warn ("bandwidth_oversmoothed") when the entropy
  /// falls (not with a fixed bandwidth, whose estimand is the smoothed entropy). Cost: one more evaluation.
  bool bandwidth_check = true;
  /// Warn ("support_boundary") where a column has a hard edge (neighbors::has_hard_edge(), O(n d)),
  /// and otherwise where Kozachenko-Leonenko's neighbour-order check sees a boundary no column shows
  /// (detail::check_kl_boundary_bias: one 12-NN search; a rotated box or ball); kde_entropy() only,
  /// not with a fixed bandwidth.
  bool boundary_check = true;
  /// Cross-check against Kozachenko-Leonenko and the Gaussian formula ("estimators_disagree",
  /// core/cross_check.hpp), on; kde_entropy() only (the MI estimators use kde_mi_options::cross_check).
  cross_check_options cross_check;
};

namespace detail {

inline std::size_t kde_sz(index_t i) { return static_cast<std::size_t>(i); }

/// For each query q = queries[i] (a row of x), computes
///   out1[i] = log sum_{j != q} exp(-s1 ||x_q - x_j||^2)   (and out2 with s2 when out2 != null),
/// exactly (direct differences, no |a|^2+|b|^2-2ab cancellation). Blocked: query blocks of 32
/// rows against reference tiles of 256 rows stored transposed (the inner loop over the tile
/// vectorises), with a per-tile max shift so the sum never overflows or underflows to 0.
/// Query blocks run in parallel (OpenMP); each query's sum is computed by one thread in a fixed
/// order, so the result does not depend on the number of threads. Cost O(|queries| N D).
template <class = void>
void gaussian_log_sums(const row_matrix<double>& x, const std::vector<index_t>& queries,
                       double s1, double s2, std::vector<double>& out1,
                       std::vector<double>* out2) {
  constexpr index_t query_block = 32;
  constexpr index_t ref_block = 256;
  const index_t n = x.rows();
  const index_t d = x.cols();
  const auto m = static_cast<index_t>(queries.size());
  out1.assign(kde_sz(m), 0.0);
  if (out2 != nullptr) out2->assign(kde_sz(m), 0.0);
  const index_t blocks = (m + query_block - 1) / query_block;
  const double inf = std::numeric_limits<double>::infinity();
#ifdef _OPENMP
#pragma omp parallel
#endif
  {
    row_matrix<double> tile(d, ref_block);  // reference tile, transposed: D x 256
    Eigen::ArrayXd dist(ref_block);
    double dmin[query_block];
    double sum1[query_block];
    double sum2[query_block];
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (index_t qb = 0; qb < blocks; ++qb) {
      const index_t q0 = qb * query_block;
      const index_t qn = std::min(query_block, m - q0);
      for (index_t i = 0; i < qn; ++i) {
        dmin[i] = inf;
        sum1[i] = 0.0;
        sum2[i] = 0.0;
      }
      for (index_t r0 = 0; r0 < n; r0 += ref_block) {
        const index_t rn = std::min(ref_block, n - r0);
        for (index_t r = 0; r < rn; ++r)
          for (index_t t = 0; t < d; ++t) tile(t, r) = x(r0 + r, t);
        for (index_t i = 0; i < qn; ++i) {
          const index_t q = queries[kde_sz(q0 + i)];
          const double* xq = x.data() + q * d;
          double* dr = dist.data();
          for (index_t r = 0; r < rn; ++r) dr[r] = 0.0;
          for (index_t t = 0; t < d; ++t) {
            const double v = xq[t];
            const double* col = tile.data() + t * ref_block;
#ifdef _OPENMP
#pragma omp simd
#endif
            for (index_t r = 0; r < rn; ++r) {
              const double diff = v - col[r];
              dr[r] += diff * diff;
            }
          }
          if (q >= r0 && q < r0 + rn) dr[q - r0] = inf;  // leave one out
          auto tile_dist = dist.head(rn);
          const double dt = tile_dist.minCoeff();
          if (dt == inf) continue;
          if (dt < dmin[i]) {  // rescale what was summed relative to the old minimum
            if (dmin[i] != inf) {
              sum1[i] *= std::exp(-s1 * (dmin[i] - dt));
              if (out2 != nullptr) sum2[i] *= std::exp(-s2 * (dmin[i] - dt));
            }
            dmin[i] = dt;
          }
          sum1[i] += sum_exp_shifted(dr, rn, -s1, dmin[i]);
          if (out2 != nullptr) sum2[i] += sum_exp_shifted(dr, rn, -s2, dmin[i]);
        }
      }
      for (index_t i = 0; i < qn; ++i) {
        out1[kde_sz(q0 + i)] = -s1 * dmin[i] + std::log(sum1[i]);
        if (out2 != nullptr) (*out2)[kde_sz(q0 + i)] = -s2 * dmin[i] + std::log(sum2[i]);
      }
    }
  }
}

/// The data as the estimator sees them (whitened or not) plus the constants to undo it.
struct kde_prepared {
  row_matrix<double> x;
  double log_jacobian = 0.0;  ///< 1/2 log det Sigma when whitened, else 0
  double scale = 1.0;         ///< RMS standard deviation (1 when whitened) for the rules
  std::vector<index_t> queries;
  bool whitened = false;
};

template <class T>
kde_prepared kde_prepare(const sample_view<T>& view, const kde_options& o, const char* fn) {
  check_samples(view, 3, fn, "x");
  require(o.subset == 0 || (o.subset >= 2 && o.subset <= view.rows()), fn,
          "subset must be 0 (all) or in [2, n] (subset=", o.subset, ", n=", view.rows(), ")");
  require(o.search_tolerance > 0.0, fn, "search_tolerance must be > 0 (search_tolerance=",
          o.search_tolerance, ")");
  require(o.max_evaluations >= 5, fn, "max_evaluations must be >= 5 (max_evaluations=",
          o.max_evaluations, ")");
  if (o.bandwidth == kde_bandwidth::fixed) check_positive(o.fixed_bandwidth, fn, "fixed_bandwidth");
  require(o.rank_tolerance >= 0.0 && o.rank_tolerance < 1.0, fn,
          "rank_tolerance must be in [0, 1) (rank_tolerance=", o.rank_tolerance, ")");
  kde_prepared p;
  row_matrix<double> raw = to_row_matrix<double>(view);
  const auto m = sample_moments(raw, true);
  if (o.whiten) {
    require(view.rows() > view.cols(), fn,
            "whitening needs more samples than dimensions (n=", view.rows(), ", dims=",
            view.cols(), "); set whiten = false");
    const auto s = checked_spectrum(m.covariance, o.rank_tolerance, fn);
    const Eigen::MatrixXd w = s.whitening();
    p.x = (raw.rowwise() - m.mean) * w;
    p.log_jacobian = 0.5 * s.log_det;
    p.whitened = true;
  } else {
    p.x = std::move(raw);
    p.scale = std::sqrt(m.covariance.trace() / static_cast<double>(view.cols()));
    if (!(p.scale > 0.0))
      throw_numerical_error(fn, "every column of x is constant: the entropy is -inf");
  }
  const index_t n = view.rows();
  if (o.subset == 0 || o.subset == n) {
    p.queries.resize(kde_sz(n));
    for (index_t i = 0; i < n; ++i) p.queries[kde_sz(i)] = i;
  } else {
    random_engine rng(o.seed);
    for (auto i : rng.sample_without_replacement(n, o.subset)) p.queries.push_back(static_cast<index_t>(i));
    std::sort(p.queries.begin(), p.queries.end());
  }
  return p;
}

/// Rule-of-thumb bandwidth in the prepared units.
inline double kde_rule_bandwidth(kde_bandwidth rule, index_t n, index_t d, double scale) {
  const auto dd = static_cast<double>(d);
  const double base = std::pow(static_cast<double>(n), -1.0 / (dd + 4.0));
  if (rule == kde_bandwidth::scott) return scale * base;
  return scale * std::pow(4.0 / (dd + 2.0), 1.0 / (dd + 4.0)) * base;
}

/// Per-query leave-one-out log densities log p_{b,-q}(x_q) in the prepared units.
inline std::vector<double> kde_log_densities(const kde_prepared& p, double b) {
  std::vector<double> sums;
  gaussian_log_sums(p.x, p.queries, 0.5 / (b * b), 0.0, sums, nullptr);
  const double n = static_cast<double>(p.x.rows());
  const double c = -std::log(n - 1.0) - 0.5 * static_cast<double>(p.x.cols()) * std::log(2.0 * pi * b * b);
  for (auto& v : sums) v += c;
  return sums;
}

inline double kde_mean_neg(const std::vector<double>& v) {
  double s = 0.0;
  for (double t : v) s += t;  // serial, index order: deterministic
  return -s / static_cast<double>(v.size());
}

/// LSCV(b) = int p_hat^2 - (2/N) sum_k p_hat_{-k}(x_k), returned through the increasing
/// bijection v -> sign(v) log(1 + |v|) so that huge b^{-D} factors never overflow.
inline double kde_lscv_objective(const kde_prepared& p, double b) {
  std::vector<double> conv;
  std::vector<double> loo;
  gaussian_log_sums(p.x, p.queries, 0.25 / (b * b), 0.5 / (b * b), conv, &loo);
  const double n = static_cast<double>(p.x.rows());
  const double m = static_cast<double>(p.queries.size());
  const double d = static_cast<double>(p.x.cols());
  for (auto& v : conv) v = softplus(v);  // log(1 + sum_{j != q}): the j = q term of int p^2
  const double log_t1 = -0.5 * d * std::log(4.0 * pi * b * b) - std::log(n) - std::log(m) + logsumexp(conv);
  const double log_t2 = std::log(2.0) - 0.5 * d * std::log(2.0 * pi * b * b) - std::log(n - 1.0) -
                        std::log(m) + logsumexp(loo);
  if (log_t1 == log_t2) return 0.0;
  const double hi = std::max(log_t1, log_t2);
  const double lo = std::min(log_t1, log_t2);
  const double log_abs = hi + std::log1p(-std::exp(lo - hi));
  return (log_t1 > log_t2 ? 1.0 : -1.0) * softplus(log_abs);
}

/// Outcome of the bandwidth search on u = log b.
struct bandwidth_search {
  double u = 0.0;
  double objective = 0.0;
  int evaluations = 0;
  double lower = 0.0;  ///< final bracket on log b
  double upper = 0.0;
};

/// Minimises f(u) over u = log b: downhill bracketing from u0 with golden-ratio growing steps
/// (limits u0 - 30 and u0 + 15), then golden-section search until the bracket is < tol wide.
/// Throws numerical_error when no minimum is bracketed (duplicate points make the LOO
/// likelihood unbounded as b -> 0) or the evaluation budget runs out.
template <class Objective>
bandwidth_search minimise_log_bandwidth(Objective&& f, double u0, double tol, int max_evaluations,
                                        const char* fn) {
  const double grow = 1.6180339887498949;
  const double cgold = 0.3819660112501051;
  bandwidth_search r;
  auto eval = [&](double u) {
    if (++r.evaluations > max_evaluations)
      throw_numerical_error(fn, "bandwidth search exceeded max_evaluations (max_evaluations=",
                            max_evaluations, ")");
    const double v = f(u);
    if (!std::isfinite(v))
      throw_numerical_error(fn, "bandwidth objective is not finite at b=", std::exp(u),
                            " (value=", v, ")");
    return v;
  };
  double a = u0;
  double fa = eval(a);
  double b = u0 + 0.5;
  double fb = eval(b);
  if (fb > fa) {
    std::swap(a, b);
    std::swap(fa, fb);
  }
  double c = b + grow * (b - a);
  double fc = eval(c);
  while (fc < fb) {
    a = b;
    fa = fb;
    b = c;
    fb = fc;
    c = b + grow * (b - a);
    if (c < u0 - 30.0 || c > u0 + 15.0)
      throw_numerical_error(fn, "the bandwidth criterion keeps decreasing towards b=", std::exp(c),
                            (c < u0 ? " -> 0: duplicate or near-duplicate points make the "
                                      "leave-one-out likelihood unbounded (remove ties or add jitter)"
                                    : " -> infinity: the data look degenerate"),
                            " (start b=", std::exp(u0), ")");
    fc = eval(c);
  }
  double lo = std::min(a, c);
  double hi = std::max(a, c);
  double xm = b;
  double fx = fb;
  while (hi - lo > tol) {
    const double y = (hi - xm > xm - lo) ? xm + cgold * (hi - xm) : xm - cgold * (xm - lo);
    const double fy = eval(y);
    if (fy < fx) {
      if (y > xm) lo = xm; else hi = xm;
      xm = y;
      fx = fy;
    } else {
      if (y > xm) hi = y; else lo = y;
    }
  }
  r.u = xm;
  r.objective = fx;
  r.lower = lo;
  r.upper = hi;
  return r;
}

/// Chooses the bandwidth (prepared units) and fills the estimate's bandwidth fields.
inline double kde_choose_bandwidth(const kde_prepared& p, const kde_options& o, estimate& e,
                                   const char* fn) {
  const index_t n = p.x.rows();
  const index_t d = p.x.cols();
  const kde_bandwidth start_rule =
      o.bandwidth == kde_bandwidth::scott ? kde_bandwidth::scott : kde_bandwidth::silverman;
  const double rule = kde_rule_bandwidth(start_rule, n, d, p.scale);
  e.settings["bandwidth_rule"] = to_string(o.bandwidth);
  if (o.bandwidth == kde_bandwidth::silverman || o.bandwidth == kde_bandwidth::scott) return rule;
  if (o.bandwidth == kde_bandwidth::fixed) return o.fixed_bandwidth;
  bandwidth_search s;
  if (o.bandwidth == kde_bandwidth::ml) {
    s = minimise_log_bandwidth(
        [&](double u) { return kde_mean_neg(kde_log_densities(p, std::exp(u))); }, std::log(rule),
        o.search_tolerance, o.max_evaluations, fn);
  } else {
    s = minimise_log_bandwidth([&](double u) { return kde_lscv_objective(p, std::exp(u)); },
                               std::log(rule), o.search_tolerance, o.max_evaluations, fn);
    e.details["lscv_objective_transformed"] = s.objective;
  }
  e.details["search_evaluations"] = s.evaluations;
  e.details["search_bracket_lower"] = std::exp(s.lower);
  e.details["search_bracket_upper"] = std::exp(s.upper);
  e.details["rule_bandwidth"] = rule;
  return std::exp(s.u);
}

/// Entropy of prepared data at bandwidth b; also returns the per-query log densities in the
/// ORIGINAL units (log p(x_q) = log p_W(w_q) - log_jacobian).
template <class = void>
estimate kde_run(const kde_prepared& p, const kde_options& o, double b,
                 std::vector<double>* log_density_out) {
  estimate e;
  e.method = "kde";
  std::vector<double> logp = kde_log_densities(p, b);
  for (auto& v : logp) v -= p.log_jacobian;
  e.value = kde_mean_neg(logp);  // entropy = MINUS the mean log-density
  if (logp.size() >= 2) e.std_error = stats::standard_error_of_mean(logp);
  e.n = static_cast<std::int64_t>(p.x.rows());
  e.dims = static_cast<std::int64_t>(p.x.cols());
  e.parameters["bandwidth"] = b;
  e.parameters["subset"] = static_cast<double>(p.queries.size());
  e.parameters["seed"] = static_cast<double>(o.seed);
  e.settings["kernel"] = "gaussian";
  e.settings["whitened"] = p.whitened ? "true" : "false";
  e.settings["estimator"] = "leave-one-out resubstitution";
  e.details["log_det_covariance_half"] = p.log_jacobian;
  if (log_density_out != nullptr) *log_density_out = std::move(logp);
  return e;
}

/// The KDE entropy's regime check on the raw sample: columns with tied values are refused
/// ("discrete_columns": no density). Not applied with a fixed bandwidth: the estimand is then the
/// entropy of the smoothed sample X + b N(0, I), which exists for any X.
template <class T>
void kde_discrete_check(const sample_view<T>& view, const char* fn) {
  const auto prof = neighbors::profile_columns(to_row_matrix<double>(view));
  if (!prof.tied_columns().empty())
    refuse(fn, "discrete_columns",
           neighbors::discrete_columns_message(prof, "x",
                                               "such data have no density, so a differential entropy (and a KDE "
                                               "estimate of it) does not exist; use mi::mixed_ksg for MI"),
           prof.max_tied_fraction());
}

/// The KDE entropy's manifold check: a TwoNN intrinsic dimension (Facco et al. 2017) clearly below d
/// is refused ("intrinsic_dimension": the kernel density then diverges on the manifold and -E log p
/// with it). Measured on the prepared sample `x`, in the metric the kernel uses: whitened when
/// kde_options::whiten (TwoNN is not affine-invariant; on the raw sample a full-rank Gaussian with
/// column sds 1e-3 .. 1, or a covariance of condition number 1e6, in d = 4-8, read 2.6-4.3 against
/// thresholds 2.8-4.7 at n = 1000 (15 of 27 sets refused, counting condition-1e4 ones, never refused;
/// 18 of 27 at n = 5000), while the whitened sample read 3.9-8.6 and KDE was within the tolerance on all 54;
/// docs/kde_gaussian.md). Whitening does not flatten a curved manifold (2-D latents through tanh into
/// 8-D: ~2 raw and whitened, refused); a flat one (a linear embedding) has a singular covariance,
/// which the whitening rejects (then kde_checked_prepare() measures the raw sample), or, with noise
/// above the rank tolerance, is a full-rank Gaussian. One 2-NN search, small next to the
/// O(N^2) kernel sums. Not applied with a fixed bandwidth (see kde_discrete_check()).
inline void kde_intrinsic_dimension_check(const row_matrix<double>& x, const char* fn) {
  if (x.cols() < 2 || x.rows() < 3) return;
  estimate scratch;
  neighbors::check_intrinsic_dimension(scratch, neighbors::knn_self(x, 2, norm_kind::euclidean), x.cols(), fn, "x",
                                       true);
}

/// kde_prepare() inside the regime checks (none with a fixed bandwidth): tied columns on the raw
/// sample, then the intrinsic dimension on the prepared one. When the whitening rejects the covariance
/// as singular (numerical_error: collinear columns, a flat set such as a 2-D latent embedded linearly
/// in 8-D, exactly or with noise 1e-6), the raw sample's intrinsic dimension is checked before the
/// error goes on, so such a set is refused "intrinsic_dimension" (TwoNN ~2) as it was before the check
/// moved to the whitened sample.
template <class T>
kde_prepared kde_checked_prepare(const sample_view<T>& view, const kde_options& o, const char* fn) {
  if (o.bandwidth == kde_bandwidth::fixed) return kde_prepare(view, o, fn);
  kde_discrete_check(view, fn);
  kde_prepared p;
  try {
    p = kde_prepare(view, o, fn);
  } catch (const numerical_error&) {
    kde_intrinsic_dimension_check(to_row_matrix<double>(view), fn);
    throw;
  }
  kde_intrinsic_dimension_check(p.x, fn);
  return p;
}

/// Rows below which kde_entropy() warns "kde_too_few_samples" in d dimensions: max(60 d, 10 d^2, 300).
/// Measured (session 16; Gaussian N(0, I_d), Silverman rule, 10 seeds per cell, n = 12.5 d .. 100 d):
/// the leave-one-out estimate reads high by a smoothing and Jensen bias that grows with d (mean +0.26
/// at d = 5, n = 125; +0.59 at d = 8, n = 400; +1.01 at d = 10, n = 500, where 7 of 10 sets missed the
/// tolerance 0.1 d with every other check silent); above this size no set was off with status ok
/// (d = 5, n = 500: +0.24 against 0.5; d = 10, n = 1000: +0.85 against 1.0). In d <= 2 the
/// sampling_noise and sample_size_trend checks already caught every such set.
/// At least cross_check_options::min_n (300) rows in any d (session 19): below it the cross-check
/// against Kozachenko-Leonenko does not run, and the hard-edge test (4 rows within 1 % of the range of
/// an end) has little power on one to three columns, so uniform data in d = 1-3 read +0.11 .. +0.37
/// (the kernel's boundary bias) with status ok on 21 of 36 sets at n = 60-270 (4 seeds).
inline index_t kde_min_rows(index_t d) {
  return std::max<index_t>({60 * d, 10 * d * d, cross_check_options{}.min_n});
}

/// "kde_too_few_samples" when a KDE entropy term on n rows in d dimensions has fewer than kde_min_rows(d)
/// rows; `term` names it in the message ("" for kde_entropy itself; "h_xy", "h(X|Y=3)", ... for the MI
/// forms, whose value inherits every term's bias). Records nothing when n is enough.
inline void check_kde_rows(estimate& e, const std::string& term, index_t n, index_t d) {
  if (n >= kde_min_rows(d)) return;
  e.warn("kde_too_few_samples",
         infogeo::detail::concat(term, term.empty() ? "" : ": ", "n = ", n, " rows in d = ", d,
                                 " dimensions, below max(60 d, 10 d^2, 300) = ", kde_min_rows(d),
                                 ": the kernel's smoothing and the log of few kernel terms bias the "
                                 "leave-one-out entropy upward by about the tolerance 0.1 d or more (Gaussians, "
                                 "d = 10, n = 500: +1.0); use more samples, Kozachenko-Leonenko (--method kl), "
                                 "or compress first (--pca m)"),
         static_cast<double>(n));
}

/// What the KDE estimators advise when their estimate still moves with n.
inline constexpr const char* kde_cross_check_advice =
    "the kernel's smoothing bias (boundaries, heavy tails, several modes) is the usual cause: prefer the "
    "reference, use more samples, or --bandwidth ml";

inline constexpr const char* kde_trend_advice =
    "the kernel's smoothing bias (boundaries, heavy tails, curvature) shrinks slowly with n and grows with the "
    "dimension: use more samples, compress first (--pca m), or a k-NN estimator";

/// "bandwidth_oversmoothed": the leave-one-out entropy -mean log p_b(x_k) is the negative held-out
/// log-likelihood of the kernel density, minimal at the likelihood-optimal bandwidth. When halving
/// the selected b lowers it, the rule oversmoothed (heavy tails inflate the whitening covariance;
/// boundaries; multimodal data), and the smoothing bias (~ c b^2, Beirlant et al. 1997) at b is at
/// least about 4/3 of the drop. Warns when h(b) - h(b/2) > max(0.05 nats, 0.02 dims), a fifth of the
/// entropy tolerance of a `dims`-dimensional term (core/tolerance.hpp; the former 0.02 |h(b)| moved
/// with the units), for `term`; a rise (undersmoothing at b/2, common in d >= 3) is not a warning.
/// Records details "<term>_at_half_bandwidth" (term "h" for an entropy).
inline void check_oversmoothing(estimate& e, const std::string& term, double at_b, double at_half_b, index_t dims) {
  e.details[term + "_at_half_bandwidth"] = at_half_b;
  const double drop = at_b - at_half_b;
  if (drop > std::max(0.05, 0.2 * accuracy_tolerance(tolerance_kind::differential_entropy, at_b, dims)))
    e.warn("bandwidth_oversmoothed",
           infogeo::detail::concat(term, " falls by ", drop, " nats when the bandwidth is halved (", at_b, " -> ",
                                   at_half_b, "): the held-out likelihood prefers a narrower kernel, so the rule "
                                   "oversmoothed and the smoothing bias is about ", 4.0 / 3.0 * drop,
                                   " nats or more (heavy tails, boundaries, several modes): use --bandwidth ml, or a "
                                   "k-NN estimator"),
           drop);
}

/// kde_options with the bandwidth fixed at `b` and the follow-up checks off (for rechecks).
inline kde_options kde_fixed_options(kde_options o, double b) {
  o.bandwidth = kde_bandwidth::fixed;
  o.fixed_bandwidth = b;
  o.sample_size_check.enabled = false;
  o.bandwidth_check = false;
  return o;
}

template <class T>
estimate kde_entropy_view(const sample_view<T>& view, const kde_options& o,
                          std::vector<double>* log_density_out, const char* fn) {
  check_samples(view, 3, fn, "x");
  const kde_prepared p = kde_checked_prepare(view, o, fn);
  estimate tmp;
  const double b = kde_choose_bandwidth(p, o, tmp, fn);
  estimate e = kde_run(p, o, b, log_density_out);
  for (auto& kv : tmp.settings) e.settings[kv.first] = kv.second;
  for (auto& kv : tmp.details) e.details[kv.first] = kv.second;
  if (p.queries.size() < static_cast<std::size_t>(p.x.rows()))
    e.diagnostics.push_back("evaluated on a random subset of query points; std_error is the "
                            "Monte-Carlo SEM of the subset mean");
  else
    e.diagnostics.push_back("std_error is the plain SEM of the per-sample log terms (ignores "
                            "their dependence through the shared sample; indicative only)");
  return e;
}

}  // namespace detail

namespace detail {
/// How many times KL's boundary bias KDE's is taken to be in check_kl_boundary_bias(): measured 1.3-1.4
/// (5-D box, n = 2000: KDE +0.61, KL +0.44; the same box rotated, n = 5000: +0.53 against KL's
/// extrapolated +0.40), rounded up.
inline constexpr double kde_to_kl_boundary_bias = 2.0;

/// "support_boundary" where no column shows the boundary (a rotated box, a ball, a shell) or the
/// density has a pole or a heavy tail: KL's neighbour-order check (kl_neighbour_order_verdict(), on
/// a 12-neighbour search of the sample) takes its rate-1/d path there, and its extrapolated bias plus
/// 2 sampling sds, times kde_to_kl_boundary_bias, exceeds the tolerance. KDE's kernel is wider than
/// KL's neighbourhoods (bandwidth ~ n^(-1/(d+4)) against (k/n)^(1/d)), so its bias there is larger than
/// KL's. Session 15's red team: KDE at status ok on a rotated box (d = 5: +0.53 against 0.5, where KL
/// itself is within the tolerance; d = 10: +1.75 against 1.0), a ball (d = 10: +1.2 against 1.0) and
/// shells (d = 5: +0.83 against 0.5), n = 5000: has_hard_edge() saw no column edge and the cross-check
/// had no reference (KL warned) or agreed within the tolerance. Smooth non-Gaussian data (Student-t, a
/// mixture) also take KL's rate 1/d, but their extrapolated bias is near 0 at d <= 6.
template <class = void>
void check_kl_boundary_bias(estimate& e, const row_matrix<double>& rows) {
  const index_t searched = kl_searched_neighbours(3, rows.rows(), true);
  if (searched < 12) return;  // n <= 12: KL's check does not run
  const estimate kl = kl_neighbour_order_verdict(neighbors::knn_self(rows, searched), rows);
  const double bias = kl.details.at("bias_extrapolated");
  const double upper = std::abs(bias) + neighbour_order_noise_z * kl.details.at("bias_extrapolated_se");
  e.details["kl_bias_extrapolated"] = bias;
  const double tolerance = accuracy_tolerance(tolerance_kind::differential_entropy, e.value, e.dims);
  if (kl.settings.at("neighbour_order_rate") == "smooth" || !(kde_to_kl_boundary_bias * upper > tolerance)) return;
  e.warn("support_boundary",
         infogeo::detail::concat(
             "no column shows a hard edge, but KL's neighbour-order check sees a boundary, a pole or a heavy tail (",
             kl.settings.at("neighbour_order_check"), ") where its bias extrapolates to ~", bias, " +- ",
             kl.details.at("bias_extrapolated_se"), " nats; KDE's kernel is wider than KL's neighbourhoods and its "
             "bias there measured 1.3-1.4 times KL's, beyond the tolerance ", tolerance,
             " at twice KL's: use Kozachenko-Leonenko (--method kl), more samples, or compress first"),
         bias);
}
}  // namespace detail

/// KDE leave-one-out resubstitution entropy h(X) in nats (Gaussian kernel).
/// Estimates h = -E log p(X) by -(1/N) sum_k log p_{b,-k}(x_k) (Butakov et al. 2024 App. E.1;
/// Beirlant et al. 1997 eq. 3.3 with leave-one-out). Assumes a continuous density; bias: the
/// kernel smooths p, so h is over-estimated for large b and under-estimated for small b; the
/// bias grows quickly with D (curse of dimensionality; keep D <~ 10 or compress first with
/// mi/compressed.hpp). Whitening makes the estimate affine-equivariant: h(AX + c) =
/// h(X) + log|det A| exactly. Cost O(M N D) per bandwidth evaluation (M = subset or N); ml and
/// lscv evaluate ~15-30 bandwidths. Result: parameters.bandwidth (prepared units),
/// std_error = SEM of the per-query log terms, search bracket in details.
/// Errors: invalid_argument for N < 3, non-finite data, bad options, N <= D with whitening;
/// numerical_error for a singular covariance (whitening; a flat set whose raw TwoNN dimension is low
/// is refused "intrinsic_dimension" instead) or a bandwidth search that does not bracket a minimum
/// (duplicate points). Verdict: refused for tied columns ("discrete_columns") and a TwoNN intrinsic
/// dimension clearly below D ("intrinsic_dimension"), as KL, measured on the whitened sample when
/// whitening (the kernel's metric; detail::kde_intrinsic_dimension_check()), unless the bandwidth is
/// fixed (then the estimand is the entropy of X + b N(0, I), which always exists);
/// warned where a column has a hard edge ("support_boundary", neighbors::has_hard_edge(); not with a
/// fixed bandwidth), when halving the selected bandwidth lowers the value ("bandwidth_oversmoothed"), when the
/// value moves between n/2 and n ("sample_size_trend") and when Kozachenko-Leonenko or the Gaussian
/// formula, where their own checks are silent, differ by more than the tolerance, 0.1 nats per dimension
/// ("estimators_disagree", options.cross_check; not with a fixed bandwidth; docs/verdicts.md), and when
/// twice the standard error of the mean log density exceeds that tolerance ("sampling_noise", as KL),
/// and below max(60 d, 10 d^2, 300) rows ("kde_too_few_samples", detail::kde_min_rows).
/// Heavy tails have no check of their own here: on session 17's grid (d = 1..6, n = 1, 2, 4, 10 x
/// kde_min_rows(d), 10 seeds; docs/kde_gaussian.md) every lognormal (sigma = 1) set in d >= 2, rotated
/// or not, missed the tolerance (+0.3 .. +4.1) and every one was warned (support_boundary on 391 of 400,
/// from a hard edge or KL's neighbour-order check; sampling_noise and others on the rest); the silent
/// misses left (lognormal sigma = 0.5, d = 4, n = 240-330: +0.45 .. +0.50 against 0.4) have column tail
/// ratios 4.1-5.8, inside the exponential's range (up to 6.4), so the tail ratio
/// (stats::heavy_tail_ratio) cannot separate them from home ground.
template <class Input>
estimate kde_entropy(const Input& x, const kde_options& options = {}) {
  constexpr const char* fn = "entropy::kde_entropy";
  infogeo::detail::check_cross_check_options(options.cross_check, fn);
  estimate e = detail::kde_entropy_view(make_view(x), options, nullptr, fn);
  // The sd of the mean of the leave-one-out log densities (kde_run's std_error), as KL's.
  if (e.std_error) check_sampling_noise(e, *e.std_error, e.dims);
  detail::check_kde_rows(e, "", e.n, e.dims);
  if (options.bandwidth_check && options.bandwidth != kde_bandwidth::fixed)
    detail::check_oversmoothing(
        e, "h", e.value,
        detail::kde_entropy_view(make_view(x), detail::kde_fixed_options(options, 0.5 * e.parameters.at("bandwidth")),
                                 nullptr, fn)
            .value,
        e.dims);
  const row_matrix<double> rows = to_row_matrix<double>(make_view(x));  // for the checks below
  if (options.boundary_check && options.bandwidth != kde_bandwidth::fixed && neighbors::has_hard_edge(rows))
    e.warn("support_boundary",
           "a column has a hard edge (its density does not vanish at an end of its range: uniform, exponential at "
           "0; neighbors::has_hard_edge): the Gaussian kernel spreads mass across it, so KDE overestimates h by a "
           "bias of the order of the bandwidth that shrinks only like n^(-1/(d+4)) (uniform [0,1]^5 at n = 2000: "
           "+0.6 nats); use Kozachenko-Leonenko (--method kl), whose neighbour-order check measures its boundary "
           "bias, or transform the column to an unbounded one (entropy then changes by the Jacobian)");
  if (options.boundary_check && options.bandwidth != kde_bandwidth::fixed && !e.has_reason("support_boundary"))
    detail::check_kl_boundary_bias(e, rows);
  infogeo::detail::recheck_on_halves(
      e, options, tolerance_kind::differential_entropy, detail::kde_trend_advice,
      [](const row_matrix<double>& half, const kde_options& o) {
        kde_options quick = o;
        quick.bandwidth_check = false;  // the halves only feed the trend
        return detail::kde_entropy_view(make_view(half), quick, nullptr, fn);
      },
      rows);
  if (options.bandwidth == kde_bandwidth::fixed)  // the estimand is then the entropy of X + b N(0, I)
    e.settings["cross_check"] = "not run: fixed bandwidth (the estimand is h(X + b N(0, I)), not h(X))";
  else
    detail::cross_check_entropy(e, rows, options.cross_check,
                                cross_check_rule::disagreement, detail::kde_cross_check_advice);
  return e;
}

/// The bandwidth kde_entropy() would use (prepared units: whitened if options.whiten).
template <class Input>
double kde_select_bandwidth(const Input& x, const kde_options& options = {}) {
  const auto p = detail::kde_prepare(make_view(x), options, "entropy::kde_select_bandwidth");
  estimate e;
  return detail::kde_choose_bandwidth(p, options, e, "entropy::kde_select_bandwidth");
}

}  // namespace infogeo::entropy

namespace infogeo::mi {

/// Options of the KDE mutual-information estimators.
struct kde_mi_options {
  entropy::kde_options kde;  ///< used for every entropy term (same subset seed: same queries)
  /// Reuse the bandwidth selected on the joint sample (continuous Y) or on X (discrete Y) for
  /// the other terms, instead of selecting each term's own. With whitening, every term is
  /// whitened by its own covariance, so a shared b means the same kernel shape in standardised
  /// units; biases then partly cancel in the difference.
  bool share_joint_bandwidth = false;
  sample_size_check_options sample_size_check;  ///< half-sample convergence check ("sample_size_trend"), on
  /// Cross-check against mixed KSG and the Gaussian plug-in ("estimators_disagree",
  /// core/cross_check.hpp), on; kde_mutual_information() only (not the labels form).
  cross_check_options cross_check;
};

/// I(X;Y) = h(X) + h(Y) - h(X,Y) in nats from three KDE entropies (kde_entropy()). X and Y are
/// continuous (N x Dx, N x Dy). The three terms use the same query points, so the estimate is
/// the mean of per-sample terms log p(x,y) - log p(x) - log p(y), and std_error is their SEM.
/// Bias: each entropy's kernel bias; they do not cancel in general (larger in the joint).
/// Cost: three kde_entropy() calls. Errors: those of kde_entropy(), and mismatched rows.
/// Verdict: the entropies' refusals; warned when halving a term's bandwidth lowers that entropy
/// ("bandwidth_oversmoothed", naming the term), when the value moves between n/2 and n ("sample_size_trend"),
/// below entropy::detail::kde_min_rows(dx + dy) rows ("kde_too_few_samples", naming the joint term h_xy: session
/// 19, 33 x 33 Gaussian pairs read 9.9 for 13.3 at n = 5000 with status ok, and the cross-check does not run above
/// cross_check.max_dims = 64 joint dimensions, which settings.cross_check says), and when mixed KSG or the Gaussian plug-in, where their own checks are silent, differ by more than
/// max(0.1, 10 %) ("estimators_disagree", options.cross_check; not with a fixed bandwidth).
template <class X, class Y>
estimate kde_mutual_information(const X& x_input, const Y& y_input, const kde_mi_options& options = {}) {
  const char* fn = "mi::kde_mutual_information";
  const auto xv = make_view(x_input);
  const auto yv = make_view(y_input);
  check_paired_samples(xv, yv, 3, fn);
  infogeo::detail::check_cross_check_options(options.cross_check, fn);
  const row_matrix<double> mx = to_row_matrix<double>(xv);
  const row_matrix<double> my = to_row_matrix<double>(yv);
  row_matrix<double> joint(xv.rows(), xv.cols() + yv.cols());
  joint << mx, my;
  std::vector<double> lxy, lx, ly;
  const estimate hxy = entropy::detail::kde_entropy_view(make_view(joint), options.kde, &lxy, fn);
  entropy::kde_options marginal = options.kde;
  if (options.share_joint_bandwidth) {
    marginal.bandwidth = entropy::kde_bandwidth::fixed;
    marginal.fixed_bandwidth = hxy.parameters.at("bandwidth");
  }
  const estimate hx = entropy::detail::kde_entropy_view(xv, marginal, &lx, fn);
  const estimate hy = entropy::detail::kde_entropy_view(yv, marginal, &ly, fn);
  std::vector<double> terms(lxy.size());
  for (std::size_t i = 0; i < terms.size(); ++i) terms[i] = lxy[i] - lx[i] - ly[i];
  estimate e;
  e.value = hx.value + hy.value - hxy.value;
  if (terms.size() >= 2) e.std_error = stats::standard_error_of_mean(terms);
  e.n = static_cast<std::int64_t>(xv.rows());
  e.dims = static_cast<std::int64_t>(xv.cols() + yv.cols());
  e.method = "kde";
  e.parameters["bandwidth_xy"] = hxy.parameters.at("bandwidth");
  e.parameters["bandwidth_x"] = hx.parameters.at("bandwidth");
  e.parameters["bandwidth_y"] = hy.parameters.at("bandwidth");
  e.parameters["subset"] = hxy.parameters.at("subset");
  e.settings["bandwidth_rule"] = entropy::to_string(options.kde.bandwidth);
  e.settings["share_joint_bandwidth"] = options.share_joint_bandwidth ? "true" : "false";
  e.settings["whitened"] = options.kde.whiten ? "true" : "false";
  e.details["h_x"] = hx.value;
  e.details["h_y"] = hy.value;
  e.details["h_xy"] = hxy.value;
  if (e.value < 0.0)
    e.diagnostics.push_back("negative MI estimate: within the KDE bias/variance of 0");
  stats::check_heavy_tails(e, mx, neighbors::profile_columns(mx), my, neighbors::profile_columns(my));
  // The joint term has the most dimensions, so its minimum (kde_min_rows is increasing in d) binds.
  entropy::detail::check_kde_rows(e, "h_xy", xv.rows(), xv.cols() + yv.cols());
  if (options.kde.bandwidth_check && options.kde.bandwidth != entropy::kde_bandwidth::fixed) {
    auto check = [&](const char* term, const auto& view, const estimate& h) {
      entropy::detail::check_oversmoothing(
          e, term, h.value,
          entropy::detail::kde_entropy_view(
              view, entropy::detail::kde_fixed_options(options.kde, 0.5 * h.parameters.at("bandwidth")), nullptr, fn)
              .value,
          h.dims);
    };
    check("h_x", xv, hx);
    check("h_y", yv, hy);
    check("h_xy", make_view(joint), hxy);
  }

  infogeo::detail::recheck_on_halves(
      e, options, tolerance_kind::scale_invariant, entropy::detail::kde_trend_advice,
      [](const row_matrix<double>& half_x, const row_matrix<double>& half_y, const kde_mi_options& o) {
        kde_mi_options quick = o;
        quick.kde.bandwidth_check = false;  // the halves only feed the trend
        quick.cross_check.enabled = false;
        return kde_mutual_information(half_x, half_y, quick);
      },
      mx, my);
  check_nonnegative_information(e, entropy::detail::kde_trend_advice);
  if (options.kde.bandwidth == entropy::kde_bandwidth::fixed)
    e.settings["cross_check"] = "not run: fixed bandwidth (the estimand is that of the smoothed variables)";
  else
    detail::cross_check_mi(e, mx, my, options.cross_check,
                           cross_check_rule::disagreement, entropy::detail::kde_cross_check_advice);
  return e;
}

namespace detail {
/// "above_label_entropy": for discrete Y, I(X;Y) = H(Y) - H(Y|X) <= H(Y) (Cover & Thomas 2006, eq. 2.45
/// and H(Y|X) >= 0), and H(Y) <= log C. The ceiling is the labels' plug-in entropy plus its Miller-Madow
/// correction (occupied classes - 1) / (2 n) (the plug-in reads low by about that; Miller 1955). Warns when
/// the estimate exceeds the ceiling by more than the MI tolerance at the ceiling, max(0.1, 0.1 ceiling): the
/// tolerance is increasing in the truth and the truth is at most the ceiling, so every warned value is beyond
/// the tolerance (no false alarm by construction). Above the ceiling by less: a diagnostic only (session 19
/// grid: warning those too added 4 warnings to sets within the tolerance and caught no miss more). Records
/// details "label_entropy" (plug-in) and "label_entropy_ceiling"; value = estimate minus the ceiling.
inline void check_label_entropy_ceiling(estimate& e, const std::vector<std::int64_t>& counts) {
  double n = 0.0;
  double occupied = 0.0;
  for (const auto c : counts)
    if (c > 0) {
      n += static_cast<double>(c);
      occupied += 1.0;
    }
  if (!(n > 0.0)) return;
  double entropy = 0.0;
  for (const auto c : counts)
    if (c > 0) entropy -= static_cast<double>(c) / n * std::log(static_cast<double>(c) / n);
  const double ceiling = entropy + (occupied - 1.0) / (2.0 * n);
  e.details["label_entropy"] = entropy;
  e.details["label_entropy_ceiling"] = ceiling;
  const double excess = e.value - ceiling;
  if (!(excess > 0.0)) return;
  const std::string what = infogeo::detail::concat(
      "the estimate ", e.value, " nats exceeds the labels' entropy H(Y) = ", entropy, " (", ceiling,
      " with its Miller-Madow correction), which bounds I(X;Y): it reads high by at least ", excess, " nats");
  if (excess > accuracy_tolerance(tolerance_kind::scale_invariant, ceiling, e.dims))
    e.warn("above_label_entropy",
           what + ", beyond the tolerance whatever the truth (for KDE usually an oversmoothed h(X) of well-separated "
                  "classes); use mixed KSG (--method mixed-ksg) or --bandwidth ml",
           excess);
  else
    e.diagnostics.push_back(what + " (within the tolerance at the ceiling)");
}
}  // namespace detail

/// I(X;Y) = h(X) - sum_c (n_c/N) h(X | Y=c) in nats, Y discrete class labels (any integer
/// range), every term a KDE entropy. Each class needs >= 3 samples (and > D with whitening).
/// With subset > 0 each class uses round(subset n_c / N) (at least 2) query points.
/// Errors: those of kde_entropy(), label checks, a class with too few samples.
/// Verdict (session 19; before it none of KDE's checks ran here, and 100 well-separated Gaussian classes
/// in 3-D read 5.1 for 4.35, above log 100, with status ok): the entropies' refusals; warned when halving
/// the bandwidth lowers h(X) or the class-weighted sum_c p_c h(X|c) ("bandwidth_oversmoothed", terms h_x and
/// h_x_given_y; Silverman's rule oversmooths a multimodal h(X)), when the value moves between n/2 and n
/// ("sample_size_trend"), when h(X) or the smallest class has fewer rows than
/// entropy::detail::kde_min_rows(d) ("kde_too_few_samples", naming the term), and when the value exceeds the
/// labels' entropy H(Y), which bounds I(X;Y), by more than the tolerance (detail::check_label_entropy_ceiling,
/// "above_label_entropy").
/// No cross-check (settings.cross_check says so). Cost: about 2.5 times the 1 + C entropies (half-bandwidth
/// reruns and the two halves); bandwidth_check = false and sample_size_check.enabled = false remove them.
template <class X, class Labels>
estimate kde_mutual_information_discrete(const X& x_input, const Labels& labels,
                                         const kde_mi_options& options = {}) {
  const char* fn = "mi::kde_mutual_information_discrete";
  const auto xv = make_view(x_input);
  check_samples(xv, 3, fn, "x");
  const class_labels lab = make_labels(labels, 0, fn, "labels");
  check_same_rows(xv.rows(), static_cast<index_t>(lab.values.size()), fn, "x", "labels");
  const bool check_bandwidth = options.kde.bandwidth_check && options.kde.bandwidth != entropy::kde_bandwidth::fixed;
  // The entropy of `view` at half the bandwidth `h` used (the oversmoothing check's second reading).
  auto at_half_bandwidth = [&](const auto& view, const estimate& h) {
    return entropy::detail::kde_entropy_view(
               view, entropy::detail::kde_fixed_options(options.kde, 0.5 * h.parameters.at("bandwidth")), nullptr, fn)
        .value;
  };
  const estimate hx = entropy::detail::kde_entropy_view(xv, options.kde, nullptr, fn);
  entropy::kde_options cls = options.kde;
  if (options.share_joint_bandwidth) {
    cls.bandwidth = entropy::kde_bandwidth::fixed;
    cls.fixed_bandwidth = hx.parameters.at("bandwidth");
  }
  const auto n = static_cast<double>(xv.rows());
  double conditional = 0.0;
  double conditional_at_half = 0.0;
  std::int64_t smallest_class = -1;
  std::int64_t classes_below = 0;
  estimate e;
  for (std::int64_t c = 0; c < lab.num_classes; ++c) {
    const std::int64_t nc = lab.counts[static_cast<std::size_t>(c)];
    if (nc == 0) continue;
    require(nc >= 3, fn, "every class needs at least 3 samples (class=", c, ", count=", nc, ")");
    if (smallest_class < 0 || nc < lab.counts[static_cast<std::size_t>(smallest_class)]) smallest_class = c;
    if (nc < entropy::detail::kde_min_rows(xv.cols())) ++classes_below;
    row_matrix<double> xc(static_cast<index_t>(nc), xv.cols());
    index_t row = 0;
    for (index_t i = 0; i < xv.rows(); ++i)
      if (lab.values[static_cast<std::size_t>(i)] == c) {
        for (index_t j = 0; j < xv.cols(); ++j) xc(row, j) = static_cast<double>(xv(i, j));
        ++row;
      }
    entropy::kde_options oc = cls;
    if (options.kde.subset > 0)
      oc.subset = std::min<index_t>(static_cast<index_t>(nc),
                                    std::max<index_t>(2, static_cast<index_t>(std::llround(
                                                             static_cast<double>(options.kde.subset) *
                                                             static_cast<double>(nc) / n))));
    const estimate hc = entropy::detail::kde_entropy_view(make_view(xc), oc, nullptr, fn);
    const double weight = static_cast<double>(nc) / n;
    conditional += weight * hc.value;
    if (check_bandwidth) conditional_at_half += weight * at_half_bandwidth(make_view(xc), hc);
    e.details["h_x_given_class_" + std::to_string(c)] = hc.value;
  }
  e.value = hx.value - conditional;
  e.n = static_cast<std::int64_t>(xv.rows());
  e.dims = static_cast<std::int64_t>(xv.cols());
  e.method = "kde";
  e.parameters["bandwidth_x"] = hx.parameters.at("bandwidth");
  e.parameters["classes"] = static_cast<double>(lab.num_classes);
  e.settings["bandwidth_rule"] = entropy::to_string(options.kde.bandwidth);
  e.settings["share_joint_bandwidth"] = options.share_joint_bandwidth ? "true" : "false";
  e.settings["y"] = "discrete";
  e.details["h_x"] = hx.value;
  e.details["h_x_given_y"] = conditional;
  e.details["log_num_classes_ceiling"] = std::log(static_cast<double>(lab.num_classes));
  entropy::detail::check_kde_rows(e, "h_x", xv.rows(), xv.cols());
  if (classes_below > 0)
    entropy::detail::check_kde_rows(
        e,
        infogeo::detail::concat("h(X|Y=", smallest_class, "), the smallest class (", classes_below, " of ",
                                lab.num_classes, " classes below the minimum)"),
        static_cast<index_t>(lab.counts[static_cast<std::size_t>(smallest_class)]), xv.cols());
  if (check_bandwidth) {
    entropy::detail::check_oversmoothing(e, "h_x", hx.value, at_half_bandwidth(xv, hx), xv.cols());
    entropy::detail::check_oversmoothing(e, "h_x_given_y", conditional, conditional_at_half, xv.cols());
  }
  detail::check_label_entropy_ceiling(e, lab.counts);
  row_matrix<double> label_column(xv.rows(), 1);  // the labels as a column, for the halves' split
  for (index_t i = 0; i < xv.rows(); ++i) label_column(i, 0) = static_cast<double>(lab.values[static_cast<std::size_t>(i)]);
  infogeo::detail::recheck_on_halves(
      e, options, tolerance_kind::scale_invariant, entropy::detail::kde_trend_advice,
      [](const row_matrix<double>& half_x, const row_matrix<double>& half_labels, const kde_mi_options& o) {
        kde_mi_options quick = o;
        quick.kde.bandwidth_check = false;  // the halves only feed the trend
        std::vector<std::int64_t> values(static_cast<std::size_t>(half_labels.rows()));
        for (index_t i = 0; i < half_labels.rows(); ++i)
          values[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(half_labels(i, 0));
        return kde_mutual_information_discrete(half_x, values, quick);
      },
      to_row_matrix<double>(xv), label_column);
  if (!check_bandwidth)
    e.settings["bandwidth_check"] = options.kde.bandwidth_check ? "not run: fixed bandwidth" : "off";
  e.settings["cross_check"] = "not run by this estimator (kde_entropy and kde_mutual_information only)";
  return e;
}

}  // namespace infogeo::mi
