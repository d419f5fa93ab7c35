// Entropy and mutual information of NOISY representations Z of a finite input sample, after
// Goldfeld et al. 2019 (ICML, "Estimating information flow in deep neural networks", Sec. 3) and
// Adilova, Geiger & Fischer 2023 (ICLR, "Information plane analysis for dropout neural
// networks", Sec. 4 and App. A.6). Given clean representations f(x_j) (rows of an N x D matrix)
// and a noise model with standard deviation sigma,
//   additive:  Z = f(X) + sigma E,             Z | x ~ N(f(x), sigma^2 I)
//   dropout:   Z = f(X) * D, D ~ N(1, sigma^2 I), Z | x ~ N(f(x), diag(sigma^2 f(x)^2))
// with X uniform over the N inputs, Z is exactly a Gaussian mixture with N components, so
//   h(Z)   = -E log p(Z),  p(z) = (1/N) sum_l N(z; f_l, Sigma_l)    (Monte Carlo, log-sum-exp)
//   h(Z|X) = D/2 log(2 pi e sigma^2)                                (additive, exact)
//          = mean_j sum_i log(|f_ji| sigma sqrt(2 pi e))            (dropout, exact)
//   I(X;Z) = h(Z) - h(Z|X)  in [0, log N].
// SIGN: entropy is MINUS the mean log-density (the paper's pseudocode h <- mean(log p) is -h).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/entropy/gaussian.hpp"
#include "infogeo/stats/bootstrap.hpp"

namespace infogeo::entropy {

/// The noise model of a stochastic layer.
enum class noise_kind {
  additive,  ///< Z = f + sigma * N(0, I)                 (Goldfeld et al. 2019)
  dropout,   ///< Z = f * D, D ~ N(1, sigma^2 I)         (Gaussian dropout; Adilova et al. 2023)
  bernoulli, ///< Z = f * B / p, B ~ Bernoulli(p) (binary dropout): REFUSED by every estimator here.
             ///< Z | x has atoms (at most 2^D values), no density: with a continuous X, I(X;Z) = +inf
             ///< (Adilova et al. 2023 Thm 3.1; Thm 3.2: +inf or 0 for any distribution of binary
             ///< masks), so no finite estimate is meaningful. Declared so that code and the CLI can
             ///< say which noise a layer has and get that answer instead of a number.
};

/// What to do with exact zeros of f under dropout noise (ReLU outputs): there Z_i = 0 surely,
/// so Z | x has no density and h(Z|X) = -inf.
enum class zero_policy {
  error,          ///< throw invalid_argument naming how many zeros and where (default)
  deterministic,  ///< zero coordinates are point masses: entropies are taken w.r.t. Lebesgue
                  ///< measure on the nonzero coordinates times counting measure at 0 on the
                  ///< zero ones; a sample then only matches components with the same zero
                  ///< pattern. h(Z), h(Z|X) are entropies w.r.t. that mixed measure; I(X;Z) is
                  ///< the true mutual information. Counts are reported in details.
};

/// "additive" / "dropout" / "bernoulli" -> noise_kind; throws otherwise (the estimators refuse bernoulli).
inline noise_kind parse_noise_kind(const std::string& name) {
  if (name == "additive") return noise_kind::additive;
  if (name == "dropout") return noise_kind::dropout;
  if (name == "bernoulli") return noise_kind::bernoulli;
  throw_invalid_argument("entropy::parse_noise_kind", "noise must be additive|dropout|bernoulli (noise=", name, ")");
}

/// Options of the noisy-representation estimators.
struct noisy_options {
  noise_kind noise = noise_kind::additive;
  double sigma = 0.0;    ///< noise STANDARD DEVIATION (> 0); dropout: D ~ N(1, sigma^2)
  index_t draws = 10;    ///< Monte-Carlo noise draws per centre (K)
  index_t centres = 0;   ///< mixture evaluated on a random subset of M centres (0 = all N)
  zero_policy zeros = zero_policy::error;
  std::uint64_t seed = 0;  ///< noise draws: stream j of random_engine(seed) for centre j
};

namespace detail {

inline std::size_t nz_sz(index_t i) { return static_cast<std::size_t>(i); }

/// The mixture: centres, per-coordinate inverse variances, log normalisers, zero patterns.
struct noisy_model {
  row_matrix<double> f;
  row_matrix<double> inv_var;         ///< 1 / Var(Z_i | x_l); 0 on deterministic coordinates
  std::vector<double> log_norm;       ///< c_l = -sum_{i continuous} log(sqrt(2 pi) sd_li)
  std::vector<double> continuous;     ///< number of continuous coordinates of centre l
  std::vector<std::int64_t> pattern;  ///< zero-pattern id (all 0 without zeros)
  index_t zero_entries = 0;
  index_t rows_with_zeros = 0;
  index_t patterns = 1;
};

template <class T>
noisy_model build_noisy_model(const sample_view<T>& view, const noisy_options& o, const char* fn) {
  // The mixture needs a noise model with a density: binary dropout has none (Adilova et al. 2023,
  // Thm 3.1 / 3.2). Run anyway (e.g. as Gaussian dropout of matched variance (1 - p) / p, or on the
  // masked samples with a tiny sigma) it returns a finite number that approaches log N as sigma -> 0
  // and grows with N: a property of the sample size, not of the layer (docs/noisy.md).
  require(o.noise != noise_kind::bernoulli, fn,
          "noise=bernoulli: binary (Bernoulli) dropout noise has no density (Z | x has at most 2^D atoms), so "
          "with a continuous input I(X;Z) = +inf (Adilova et al. 2023, Thm 3.1; Thm 3.2 for any binary mask "
          "distribution) and the mixture estimate would only approach its log N ceiling; use a continuous noise "
          "(dropout: Gaussian, or additive) for a finite I(X;Z)");
  check_samples(view, 2, fn, "f");
  require(std::isfinite(o.sigma) && o.sigma > 0.0, fn,
          "sigma (the noise standard deviation) must be positive and finite (sigma=", o.sigma, ")");
  require(o.draws >= 1, fn, "draws must be >= 1 (draws=", o.draws, ")");
  require(o.centres >= 0, fn, "centres must be >= 0 (0 = all) (centres=", o.centres, ")");
  noisy_model m;
  m.f = to_row_matrix<double>(view);
  const index_t n = m.f.rows();
  const index_t d = m.f.cols();
  m.inv_var.resize(n, d);
  m.log_norm.assign(nz_sz(n), 0.0);
  m.continuous.assign(nz_sz(n), static_cast<double>(d));
  m.pattern.assign(nz_sz(n), 0);
  const double log_sqrt_2pi = 0.5 * std::log(2.0 * pi);
  // A noise variance that underflows to 0 would make a log-density +-inf without a trace.
  const auto check_variance = [&](double sd, index_t row, index_t col) {
    require(sd * sd > 0.0 && std::isfinite(1.0 / (sd * sd)), fn,
            "the noise variance underflows or overflows double at row ", row, ", column ", col,
            " (noise sd=", sd, "); rescale f or sigma");
  };
  if (o.noise == noise_kind::additive) {
    check_variance(o.sigma, 0, 0);
    m.inv_var.setConstant(1.0 / (o.sigma * o.sigma));
    const double c = -static_cast<double>(d) * (log_sqrt_2pi + std::log(o.sigma));
    std::fill(m.log_norm.begin(), m.log_norm.end(), c);
    return m;
  }
  index_t first_row = -1;
  index_t first_col = -1;
  std::map<std::vector<index_t>, std::int64_t> ids;
  for (index_t l = 0; l < n; ++l) {
    std::vector<index_t> zeros;
    double c = 0.0;
    for (index_t i = 0; i < d; ++i) {
      const double v = m.f(l, i);
      if (v == 0.0) {
        if (first_row < 0) {
          first_row = l;
          first_col = i;
        }
        zeros.push_back(i);
        m.inv_var(l, i) = 0.0;
      } else {
        const double sd = o.sigma * std::abs(v);
        check_variance(sd, l, i);
        m.inv_var(l, i) = 1.0 / (sd * sd);
        c -= log_sqrt_2pi + std::log(sd);
      }
    }
    m.log_norm[nz_sz(l)] = c;
    m.continuous[nz_sz(l)] = static_cast<double>(d - static_cast<index_t>(zeros.size()));
    if (!zeros.empty()) {
      m.zero_entries += static_cast<index_t>(zeros.size());
      ++m.rows_with_zeros;
    }
    const auto it = ids.emplace(std::move(zeros), static_cast<std::int64_t>(ids.size())).first;
    m.pattern[nz_sz(l)] = it->second;
  }
  m.patterns = static_cast<index_t>(ids.size());
  if (m.zero_entries > 0 && o.zeros == zero_policy::error)
    throw_invalid_argument(fn, "f contains ", m.zero_entries, " exact zero(s) in ", m.rows_with_zeros,
                           " row(s) (first at row ", first_row, ", column ", first_col,
                           "): under dropout noise those coordinates are deterministic and "
                           "h(Z|X) = -inf; set zeros = zero_policy::deterministic to treat them "
                           "as point masses (reported; CLI: --zeros deterministic), or use additive noise");
  return m;
}

inline void note_zeros(const noisy_model& m, estimate& e) {
  e.details["zero_entries"] = static_cast<double>(m.zero_entries);
  e.details["rows_with_zeros"] = static_cast<double>(m.rows_with_zeros);
  e.details["zero_patterns"] = static_cast<double>(m.patterns);
  if (m.zero_entries > 0)
    e.diagnostics.push_back("exact zeros treated as deterministic coordinates (point masses); "
                            "entropies are w.r.t. the mixed Lebesgue x counting measure");
}

inline double conditional_entropy(const noisy_model& m) {
  double s = 0.0;  // h(Z|X=x_l) = -c_l + (continuous coordinates)/2
  for (std::size_t l = 0; l < m.log_norm.size(); ++l) s += -m.log_norm[l] + 0.5 * m.continuous[l];
  return s / static_cast<double>(m.log_norm.size());
}

/// log N(z; f_l, diag(1/inv_var_l)) on the continuous coordinates.
inline double component_log_density(const noisy_model& m, index_t l, const double* z) {
  const index_t d = m.f.cols();
  const double* fl = m.f.data() + l * d;
  const double* wl = m.inv_var.data() + l * d;
  double q = 0.0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : q)
#endif
  for (index_t i = 0; i < d; ++i) {
    const double diff = z[i] - fl[i];
    q += wl[i] * diff * diff;
  }
  return m.log_norm[nz_sz(l)] - 0.5 * q;
}

/// Monte-Carlo per-sample terms -log p_hat(z_jk), j = centre, k = draw (index j K + k).
/// With all centres: log p_hat = logsumexp_l log phi_l(z) - log N (exact mixture density).
/// With a subset S of M centres: the generating centre j is always evaluated exactly and the
/// others are estimated from S \ {j}:
///   p_hat(z) = phi_j(z)/N + ((N-1)/N) mean_{l in S\{j}} phi_l(z),
/// an unbiased estimate of p(z) whose log is biased downwards by Jensen (small when the own
/// component dominates or M is large). Blocked over (4 centres x K draws) x (64 mixture
/// centres) tiles, parallel over sample blocks; deterministic for any number of threads.
/// Cost O(N K M D).
/// If `own_log_density` is given it receives log phi_j(z_jk) (the generating component) per sample.
template <class = void>
std::vector<double> mixture_neg_log_terms(const noisy_model& m, const noisy_options& o,
                                          std::vector<double>* own_log_density = nullptr) {
  const index_t n = m.f.rows();
  const index_t d = m.f.cols();
  const index_t k = o.draws;
  const bool all = o.centres == 0 || o.centres >= n;
  std::vector<index_t> mix;
  std::vector<char> in_subset(nz_sz(n), all ? 1 : 0);
  if (all) {
    mix.resize(nz_sz(n));
    for (index_t l = 0; l < n; ++l) mix[nz_sz(l)] = l;
  } else {
    random_engine pick(o.seed ^ 0x5DEECE66DULL);
    for (auto l : pick.sample_without_replacement(n, o.centres)) mix.push_back(static_cast<index_t>(l));
    std::sort(mix.begin(), mix.end());
    for (auto l : mix) in_subset[nz_sz(l)] = 1;
  }
  const auto mm = static_cast<index_t>(mix.size());
  std::vector<double> terms(nz_sz(n * k), 0.0);
  if (own_log_density) own_log_density->assign(nz_sz(n * k), 0.0);
  constexpr index_t centre_block = 4;
  constexpr index_t mix_block = 64;
  const index_t blocks = (n + centre_block - 1) / centre_block;
  const random_engine root(o.seed);
  const double ninf = -std::numeric_limits<double>::infinity();
  const double log_n = std::log(static_cast<double>(n));
#ifdef _OPENMP
#pragma omp parallel
#endif
  {
    row_matrix<double> z(centre_block * k, d);
    std::vector<index_t> origin(nz_sz(centre_block * k));
    std::vector<double> run_max(nz_sz(centre_block * k));
    std::vector<double> run_sum(nz_sz(centre_block * k));
    Eigen::ArrayXd tile(mix_block);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (index_t b = 0; b < blocks; ++b) {
      const index_t j0 = b * centre_block;
      const index_t jn = std::min(centre_block, n - j0);
      const index_t rows = jn * k;
      for (index_t jj = 0; jj < jn; ++jj) {  // draws of centre j come from stream j
        const index_t j = j0 + jj;
        random_engine rng = root.split(static_cast<std::uint64_t>(j));
        for (index_t kk = 0; kk < k; ++kk) {
          const index_t s = jj * k + kk;
          origin[nz_sz(s)] = j;
          for (index_t i = 0; i < d; ++i) {
            const double e = rng.normal();
            const double fi = m.f(j, i);
            z(s, i) = o.noise == noise_kind::additive ? fi + o.sigma * e : fi * (1.0 + o.sigma * e);
          }
        }
      }
      for (index_t s = 0; s < rows; ++s) {
        run_max[nz_sz(s)] = ninf;
        run_sum[nz_sz(s)] = 0.0;
      }
      for (index_t t0 = 0; t0 < mm; t0 += mix_block) {
        const index_t tn = std::min(mix_block, mm - t0);
        for (index_t s = 0; s < rows; ++s) {
          const double* zs = z.data() + s * d;
          const index_t j = origin[nz_sz(s)];
          for (index_t t = 0; t < tn; ++t) {
            const index_t l = mix[nz_sz(t0 + t)];
            if ((!all && l == j) || m.pattern[nz_sz(l)] != m.pattern[nz_sz(j)])
              tile(t) = ninf;  // own term handled separately / support mismatch
            else
              tile(t) = component_log_density(m, l, zs);
          }
          auto v = tile.head(tn);
          const double tmax = v.maxCoeff();
          if (tmax == ninf) continue;
          double& rm = run_max[nz_sz(s)];
          double& rs = run_sum[nz_sz(s)];
          if (tmax > rm) {
            rs *= std::exp(rm - tmax);  // exp(-inf) = 0 on the first tile
            rm = tmax;
          }
          rs += sum_exp_shifted(tile.data(), tn, 1.0, rm);
        }
      }
      for (index_t s = 0; s < rows; ++s) {
        const index_t j = origin[nz_sz(s)];
        const double lse = run_max[nz_sz(s)] == ninf ? ninf : run_max[nz_sz(s)] + std::log(run_sum[nz_sz(s)]);
        const double own_ld = own_log_density || !all ? component_log_density(m, j, z.data() + s * d) : 0.0;
        double log_p;
        if (all) {
          log_p = lse - log_n;
        } else {
          const double own = own_ld - log_n;
          const auto others = static_cast<double>(mm - (in_subset[nz_sz(j)] ? 1 : 0));
          if (others <= 0.0 || lse == ninf) {
            log_p = own;
          } else {
            const double rest = lse + std::log(static_cast<double>(n) - 1.0) - log_n - std::log(others);
            const double hi = std::max(own, rest);
            log_p = hi + std::log1p(std::exp(std::min(own, rest) - hi));
          }
        }
        terms[nz_sz(j * k + (s - (j - j0) * k))] = -log_p;
        if (own_log_density)
          (*own_log_density)[nz_sz(j * k + (s - (j - j0) * k))] = own_ld;
      }
    }
  }
  return terms;
}

template <class = void>
estimate base_estimate(const noisy_model& m, const noisy_options& o, const char* method) {
  estimate e;
  e.n = static_cast<std::int64_t>(m.f.rows());
  e.dims = static_cast<std::int64_t>(m.f.cols());
  e.method = method;
  e.parameters["sigma"] = o.sigma;
  e.settings["noise"] = o.noise == noise_kind::additive ? "additive" : "dropout";
  if (o.noise == noise_kind::dropout)
    e.settings["zeros"] = o.zeros == zero_policy::error ? "error" : "deterministic";
  return e;
}

template <class = void>
double mixture_gaussian_bound(const noisy_model& m, const noisy_options& o, const char* fn) {
  require(m.zero_entries == 0, fn,
          "the Gaussian upper bound is not valid with deterministic (zero) coordinates "
          "(zero_entries=", m.zero_entries, ")");
  // Exact mixture covariance: Cov_N(f) (1/N) + E[noise covariance] (law of total covariance).
  const auto mom = sample_moments(m.f, false);
  Eigen::MatrixXd cov = mom.covariance;
  if (o.noise == noise_kind::additive) {
    cov.diagonal().array() += o.sigma * o.sigma;
  } else {
    cov.diagonal() += (o.sigma * o.sigma) * m.f.array().square().colwise().mean().matrix().transpose();
  }
  return gaussian_entropy_from_covariance(cov);
}

/// Records the Monte-Carlo settings actually used (draws, centres, seed), zero counts and the
/// subset-of-centres note in `e`.
inline void note_monte_carlo(const noisy_model& m, const noisy_options& o, estimate& e) {
  const index_t n = m.f.rows();
  const index_t used = o.centres == 0 || o.centres >= n ? n : o.centres;
  e.parameters["draws"] = static_cast<double>(o.draws);
  e.parameters["centres"] = static_cast<double>(used);
  e.parameters["seed"] = static_cast<double>(o.seed);
  note_zeros(m, e);
  if (used < n)
    e.diagnostics.push_back("mixture density from a random subset of centres (own centre exact): "
                            "log of an unbiased density estimate, biased slightly upwards");
}

/// h(Z) by Monte Carlo as an estimate (value, SEM, draws/centres/seed, zero counts, subset note).
template <class = void>
estimate monte_carlo_entropy(const noisy_model& m, const noisy_options& o, const char* method) {
  const auto terms = mixture_neg_log_terms(m, o);
  estimate e = base_estimate(m, o, method);
  double s = 0.0;
  for (double t : terms) s += t;  // serial, fixed order
  e.value = s / static_cast<double>(terms.size());
  e.std_error = stats::standard_error_of_mean(terms);
  note_monte_carlo(m, o, e);
  return e;
}

}  // namespace detail

/// Conditional entropy h(Z|X) of the noisy representation, exact, in nats:
/// additive D/2 log(2 pi e sigma^2); dropout mean_j sum_i log(|f_ji| sigma sqrt(2 pi e))
/// (Adilova et al. 2023, Sec. 4). Zero coordinates: see zero_policy. Cost O(N D).
/// Errors: sigma <= 0, draws < 1, non-finite f, zeros under dropout with zero_policy::error.
template <class Input>
estimate noisy_conditional_entropy(const Input& f, const noisy_options& options) {
  const char* fn = "entropy::noisy_conditional_entropy";
  const auto m = detail::build_noisy_model(make_view(f), options, fn);
  estimate e = detail::base_estimate(m, options, "noisy_conditional");
  e.value = detail::conditional_entropy(m);
  detail::note_zeros(m, e);
  return e;
}

/// h(Z) of the noisy representation by Monte Carlo over its exact Gaussian-mixture density
/// (Goldfeld et al. 2019 Sec. 3; Adilova et al. 2023 App. A.6): K draws from every centre,
/// h_hat = -(1/(N K)) sum log p_hat(z) with log-sum-exp (see detail::mixture_neg_log_terms for
/// the subset-of-M-centres variant). Unbiased with all centres (the only error is Monte Carlo,
/// std_error = SEM of the N K terms, conservative for this stratified design); with a subset it
/// is biased upwards by Jensen. Cost O(N K M D). Errors as noisy_conditional_entropy().
template <class Input>
estimate noisy_entropy(const Input& f, const noisy_options& options) {
  const char* fn = "entropy::noisy_entropy";
  const auto m = detail::build_noisy_model(make_view(f), options, fn);
  return detail::monte_carlo_entropy(m, options, "noisy_mixture");
}

/// Gaussian upper bound on h(Z): 1/2 log det(2 pi e Cov(Z)) with the EXACT mixture covariance
/// Cov(Z) = Cov_N(f) + sigma^2 I (additive) or + sigma^2 diag(mean_j f_j^2) (dropout)
/// (maximum entropy; not an estimate). Errors: those of noisy_conditional_entropy();
/// invalid_argument with deterministic zero coordinates (bound not valid there);
/// numerical_error if Cov(Z) is singular (dropout with an all-zero column).
template <class Input>
estimate noisy_gaussian_upper_bound(const Input& f, const noisy_options& options) {
  const char* fn = "entropy::noisy_gaussian_upper_bound";
  const auto m = detail::build_noisy_model(make_view(f), options, fn);
  estimate e = detail::base_estimate(m, options, "noisy_gaussian_upper_bound");
  e.value = detail::mixture_gaussian_bound(m, options, fn);
  return e;
}

/// E log|W| for W ~ N(mean, sd^2), exact: W^2/sd^2 is noncentral chi-square(1, lambda =
/// mean^2/sd^2), a Poisson(lambda/2) mixture of chi-square(1 + 2j), and E log chi2_nu =
/// log 2 + psi(nu/2), so E log|W| = log sd + 1/2 [log 2 + sum_j Pois(j; lambda/2) psi(j + 1/2)]
/// (the Poisson sum is taken over mode +- 12 standard deviations). For e = sd/|mean| < 0.1 the
/// Poisson weights lose precision (their log-terms ~ mean^2/sd^2), so the expansion
/// log|mean| + E log(1 + e Z) = log|mean| - sum_n (2n-1)!! e^{2n} / (2n) is used instead (the
/// omitted part is O(exp(-1/(2 e^2))) < 1e-21). Errors: sd <= 0.
inline double expected_log_abs_normal(double mean, double sd) {
  const char* fn = "entropy::expected_log_abs_normal";
  check_positive(sd, fn, "sd");
  require(std::isfinite(mean), fn, "mean must be finite (mean=", mean, ")");
  const double ratio = sd / std::abs(mean);
  if (ratio < 0.1) {
    const double e2 = ratio * ratio;
    double t = e2;  // (2n-1)!! e^{2n}, n = 1
    double series = 0.0;
    for (int n = 1; n <= 60; ++n) {
      const double term = t / (2.0 * n);
      series += term;
      if (term < 1e-18 * series) break;
      t *= (2.0 * n + 1.0) * e2;
    }
    return std::log(std::abs(mean)) - series;
  }
  const double mu = 0.5 * (mean / sd) * (mean / sd);  // Poisson mean lambda/2
  const double width = 12.0 * std::sqrt(mu) + 12.0;
  const auto j0 = static_cast<std::int64_t>(std::max(0.0, std::floor(mu - width)));
  const auto j1 = static_cast<std::int64_t>(std::ceil(mu + width));
  double acc = 0.0;
  for (std::int64_t j = j0; j <= j1; ++j) {
    const double jd = static_cast<double>(j);
    const double log_w = (mu > 0.0 ? jd * std::log(mu) : (j == 0 ? 0.0 : -std::numeric_limits<double>::infinity())) - mu - std::lgamma(jd + 1.0);
    acc += std::exp(log_w) * digamma(jd + 0.5);
  }
  return std::log(sd) + 0.5 * (std::log(2.0) + acc);
}

/// Lower bounds on h(Z) of Butakov et al. 2024, App. B (for X independent of the noise):
/// additive h(f + E) >= h(E) = D/2 log(2 pi e sigma^2) and h(f + E) >= h(f);
/// dropout h(f * D) >= h(D) + sum_i E log|f_i| and h(f * D) >= h(f) + sum_i E log|D_i|.
/// The first of each pair is the conditioning bound h(Z) >= h(Z|X) (it equals
/// noisy_conditional_entropy(), i.e. I(X;Z) >= 0); the second needs the clean entropy h(f(X))
/// of a continuous f(X) (pass it as clean_entropy, e.g. from a kNN/KDE estimate; it adds
/// D E log|N(1, sigma^2)| for dropout). The value is the larger available bound; details hold
/// "bound_conditional" and, when given, "bound_clean". Errors as noisy_conditional_entropy().
template <class Input>
estimate noisy_entropy_lower_bound(const Input& f, const noisy_options& options,
                                   std::optional<double> clean_entropy = std::nullopt) {
  const char* fn = "entropy::noisy_entropy_lower_bound";
  const auto m = detail::build_noisy_model(make_view(f), options, fn);
  estimate e = detail::base_estimate(m, options, "noisy_lower_bound");
  const double conditional = detail::conditional_entropy(m);
  e.details["bound_conditional"] = conditional;
  e.value = conditional;
  if (clean_entropy) {
    require(std::isfinite(*clean_entropy), fn, "clean_entropy must be finite (clean_entropy=",
            *clean_entropy, ")");
    // h(X * D) >= h(X) + sum E log|D_i| needs X to have a density; exact zeros give it none.
    require(m.zero_entries == 0, fn,
            "the clean-entropy bound needs f without exact zeros (zero_entries=", m.zero_entries, ")");
    double b = *clean_entropy;
    if (options.noise == noise_kind::dropout)
      b += static_cast<double>(m.f.cols()) * expected_log_abs_normal(1.0, options.sigma);
    e.details["bound_clean"] = b;
    e.value = std::max(e.value, b);
  }
  detail::note_zeros(m, e);
  return e;
}

}  // namespace infogeo::entropy

namespace infogeo::mi {

/// Largest fraction of log N at which "log_n_ceiling" starts (one-column representations; see log_n_ceiling_onset).
inline constexpr double log_n_ceiling_fraction = 0.9;

/// Fraction of log N above which the noisy-mixture MI of a D-column representation is flagged as at its
/// ceiling ("log_n_ceiling"): min(0.9, 0.65 + 0.35 / D). The estimate is I of the N-point empirical mixture, which
/// falls below the population I(F; F + noise) as the noise stops overlapping the points; the fall crosses the
/// tolerance max(0.1, 10 % I) at an estimate of (F ~ N(0, I_D), additive noise, bisected in the noise sd; session
/// 19, /work/tmp/binning/noisy_cross.py) 0.85 / 0.91 / 0.94 log N for D = 2 and N = 500 / 2000 / 10000, 0.77 / 0.835
/// for D = 5 and N = 500 / 2000, 0.72 / 0.78 for D = 10, 0.69 / 0.70 for D = 20: lower in more dimensions and at
/// smaller N. The onset (0.825, 0.72, 0.685, 0.6675 for D = 2, 5, 10, 20) sits 0.02-0.05 below the N = 500 crossings.
inline double log_n_ceiling_onset(index_t columns) {
  return std::min(log_n_ceiling_fraction, 0.65 + 0.35 / static_cast<double>(std::max<index_t>(columns, 1)));
}

/// I(X;Z) in nats for a noisy representation Z of N inputs x_j (X uniform over them) with clean
/// representations f (N x D rows), by the paired Monte-Carlo estimator
///   I_hat = (1/(N K)) sum_{j,k} [log phi_j(z_jk) - log p_hat(z_jk)],  z_jk ~ phi_j,
/// i.e. h_hat(Z) - h_hat(Z|X) with BOTH entropies averaged over the same draws. This is
/// h(Z) - h(Z|X) (Goldfeld et al. 2019; Adilova et al. 2023 Sec. 4) with the exact h(Z|X) used as
/// a control variate: the D-dimensional Gaussian noise in -log phi_j cancels, so the SEM is far
/// smaller than that of h(Z) alone, and with all centres every term lies in [-inf, log N] because
/// Verdict: "log_n_ceiling" warns when the estimate exceeds log_n_ceiling_onset(D) = min(0.9, 0.65 + 0.35 / D)
/// of log N (D = columns of f), where the empirical mixture's I starts to fall a tolerance below the population's.
/// p(z) >= phi_j(z)/N, so the estimate never exceeds the ceiling log N ("log_n_ceiling") beyond
/// rounding (~1e-12).
/// Unbiased with all centres; the subset-of-centres variant is biased upwards (see
/// entropy::noisy_entropy). details: h_z (Monte Carlo), h_z_given_x (exact), the unpaired
/// difference mi_unpaired = h_z - h_z_given_x, h_z_gaussian_upper and mi_gaussian_upper (when
/// valid: no deterministic zeros), log_n_ceiling, zero counts. std_error: SEM of the paired terms.
/// Errors as entropy::noisy_conditional_entropy().
template <class Input>
estimate noisy_mutual_information(const Input& f, const entropy::noisy_options& options) {
  const char* fn = "mi::noisy_mutual_information";
  const auto m = entropy::detail::build_noisy_model(make_view(f), options, fn);
  estimate e = entropy::detail::base_estimate(m, options, "noisy");
  std::vector<double> own;
  const auto neg_log_p = entropy::detail::mixture_neg_log_terms(m, options, &own);
  std::vector<double> paired(neg_log_p.size());
  double hz_sum = 0.0;
  double mi_sum = 0.0;
  for (std::size_t i = 0; i < paired.size(); ++i) {  // serial, fixed order
    paired[i] = own[i] + neg_log_p[i];
    hz_sum += neg_log_p[i];
    mi_sum += paired[i];
  }
  const double count = static_cast<double>(paired.size());
  const double hz = hz_sum / count;
  const double hzx = entropy::detail::conditional_entropy(m);
  e.value = mi_sum / count;
  e.std_error = stats::standard_error_of_mean(paired);
  const index_t n = m.f.rows();
  entropy::detail::note_monte_carlo(m, options, e);
  e.details["h_z"] = hz;
  e.details["h_z_given_x"] = hzx;
  e.details["mi_unpaired"] = hz - hzx;
  e.details["log_n_ceiling"] = std::log(static_cast<double>(n));
  if (m.zero_entries == 0) {
    try {
      const double g = entropy::detail::mixture_gaussian_bound(m, options, fn);
      e.details["h_z_gaussian_upper"] = g;
      e.details["mi_gaussian_upper"] = g - hzx;
    } catch (const numerical_error&) {
      e.diagnostics.push_back("Gaussian upper bound skipped: Cov(Z) is singular");
    }
  }
  if (e.value < 0.0)
    e.diagnostics.push_back("negative estimate: Monte-Carlo error around 0 (true I >= 0)");
  if (e.value > std::log(static_cast<double>(n)))
    e.diagnostics.push_back("estimate above log N: Monte-Carlo error near the ceiling");
  // The mixture estimate cannot exceed log N: near it, the noise separates every training point and
  // the number measures N, not I (the true I may be larger).
  const double onset = log_n_ceiling_onset(m.f.cols());
  e.details["log_n_ceiling_onset"] = onset;
  if (e.value > onset * std::log(static_cast<double>(n)))
    e.warn("log_n_ceiling",
           infogeo::detail::concat("the estimate ", e.value, " nats exceeds ", 100.0 * onset,
                                   "% of its ceiling log N = ", std::log(static_cast<double>(n)), " (onset for ",
                                   m.f.cols(), " columns): the noise barely overlaps the points, so the value "
                                   "measures the sample size and under-estimates I; use more points or a larger "
                                   "noise"),
           e.value / std::log(static_cast<double>(n)));
  return e;
}

}  // namespace infogeo::mi
