// Distributions with closed-form differential entropy (nats), each with a seeded sampler.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/synthetic/gaussian_mi.hpp"
#include "infogeo/synthetic/sample.hpp"
#include "infogeo/synthetic/student_t.hpp"

namespace infogeo::synthetic {

/// h(N(mu, Sigma)) = 1/2 log det(2 pi e Sigma) (Cover & Thomas Thm. 8.4.1). Sigma must be SPD
/// (numerical_error otherwise). Cost O(d^3).
template <class = void>
double gaussian_entropy(const Eigen::MatrixXd& cov) {
  require(cov.rows() == cov.cols() && cov.rows() >= 1, "synthetic::gaussian_entropy",
          "cov must be square and non-empty (rows=", cov.rows(), ", cols=", cov.cols(), ")");
  const double d = static_cast<double>(cov.rows());
  return 0.5 * (d * std::log(2.0 * pi * std::exp(1.0)) + detail::log_det_spd(cov, "synthetic::gaussian_entropy"));
}

/// n samples of N(0, cov) (x = L z, L the Cholesky factor); truth gaussian_entropy(cov).
template <class = void>
entropy_sample sample_gaussian(index_t n, const Eigen::MatrixXd& cov, std::uint64_t seed) {
  require(n >= 1, "synthetic::sample_gaussian", "n must be >= 1 (n=", n, ")");
  entropy_sample s;
  s.entropy = gaussian_entropy(cov);
  const Eigen::MatrixXd l = Eigen::LLT<Eigen::MatrixXd>(cov).matrixL();
  const index_t d = cov.rows();
  s.x.resize(n, d);
  random_engine rng(seed);
  Eigen::VectorXd z(d);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < d; ++j) z(j) = rng.normal();
    s.x.row(i) = (l * z).transpose();
  }
  return s;
}

/// h(U[a, b]) = sum_i log(b_i - a_i) (Cover & Thomas Ex. 8.1.1); requires b_i > a_i.
inline double uniform_box_entropy(const std::vector<double>& lower, const std::vector<double>& upper) {
  require(!lower.empty() && lower.size() == upper.size(), "synthetic::uniform_box_entropy",
          "lower and upper must be non-empty and the same length (lower=", lower.size(), ", upper=", upper.size(), ")");
  double h = 0.0;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    require(std::isfinite(lower[i]) && std::isfinite(upper[i]) && upper[i] > lower[i], "synthetic::uniform_box_entropy",
            "each side must have upper > lower (lower[", i, "]=", lower[i], ", upper[", i, "]=", upper[i], ")");
    h += std::log(upper[i] - lower[i]);
  }
  return h;
}

/// n samples uniform on the box [lower, upper); truth uniform_box_entropy.
inline entropy_sample sample_uniform_box(index_t n, const std::vector<double>& lower, const std::vector<double>& upper,
                                         std::uint64_t seed) {
  require(n >= 1, "synthetic::sample_uniform_box", "n must be >= 1 (n=", n, ")");
  entropy_sample s;
  s.entropy = uniform_box_entropy(lower, upper);
  const auto d = static_cast<index_t>(lower.size());
  s.x.resize(n, d);
  random_engine rng(seed);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j)
      s.x(i, j) = rng.uniform(lower[static_cast<std::size_t>(j)], upper[static_cast<std::size_t>(j)]);
  return s;
}

/// h(Exp(lambda)) = 1 - log lambda per coordinate (Cover & Thomas Table 17.1); summed over
/// independent coordinates.
inline double exponential_entropy(const std::vector<double>& rates) {
  require(!rates.empty(), "synthetic::exponential_entropy", "rates must be non-empty");
  double h = 0.0;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    require(std::isfinite(rates[i]) && rates[i] > 0.0, "synthetic::exponential_entropy",
            "each rate must be > 0 (rates[", i, "]=", rates[i], ")");
    h += 1.0 - std::log(rates[i]);
  }
  return h;
}

/// n samples with independent Exp(rates[j]) coordinates; truth exponential_entropy.
inline entropy_sample sample_exponential(index_t n, const std::vector<double>& rates, std::uint64_t seed) {
  require(n >= 1, "synthetic::sample_exponential", "n must be >= 1 (n=", n, ")");
  entropy_sample s;
  s.entropy = exponential_entropy(rates);
  const auto d = static_cast<index_t>(rates.size());
  s.x.resize(n, d);
  random_engine rng(seed);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) s.x(i, j) = rng.exponential(rates[static_cast<std::size_t>(j)]);
  return s;
}

/// n samples of d independent 1-D Student-t(nu) coordinates with unit scale; truth
/// d * student_t_entropy(nu, 1), the 1-D closed form
/// h = (nu+1)/2 [psi((nu+1)/2) - psi(nu/2)] + log(sqrt(nu) B(nu/2, 1/2)).
inline entropy_sample sample_student_t(index_t n, index_t d, double nu, std::uint64_t seed) {
  require(n >= 1 && d >= 1, "synthetic::sample_student_t", "n and d must be >= 1 (n=", n, ", d=", d, ")");
  entropy_sample s;
  s.entropy = static_cast<double>(d) * student_t_entropy(nu, 1);
  s.x.resize(n, d);
  random_engine rng(seed);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) {
      const double z = rng.normal();  // two statements: a fixed draw order on every compiler
      s.x(i, j) = z * std::sqrt(nu / rng.chi_square(nu));
    }
  return s;
}

/// An isotropic Gaussian mixture: weights w_k, means (K x d), per-component std s_k.
struct gaussian_mixture_spec {
  std::vector<double> weights;
  Eigen::MatrixXd means;  ///< K x d
  std::vector<double> stds;
};

/// Entropy of a mixture of well-separated components: H(w) + sum_k w_k h(N(mu_k, s_k^2 I)).
/// This is an upper bound that is tight when the components do not overlap; the absolute error
/// is at most sum of the overlap terms, < 1e-6 nats once the smallest centre distance exceeds
/// ~12 times the largest std (Huber et al. 2008, Sec. IV, bounds). Returns that approximation.
inline double gaussian_mixture_entropy_separated(const gaussian_mixture_spec& spec) {
  const auto k = spec.weights.size();
  require(k >= 1 && static_cast<std::size_t>(spec.means.rows()) == k && spec.stds.size() == k && spec.means.cols() >= 1,
          "synthetic::gaussian_mixture_entropy_separated", "weights, means rows and stds must agree (weights=", k,
          ", means rows=", spec.means.rows(), ", stds=", spec.stds.size(), ")");
  const double d = static_cast<double>(spec.means.cols());
  double total = 0.0;
  double h = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    require(spec.weights[i] > 0.0 && spec.stds[i] > 0.0, "synthetic::gaussian_mixture_entropy_separated",
            "weights and stds must be > 0 (weights[", i, "]=", spec.weights[i], ", stds[", i, "]=", spec.stds[i], ")");
    total += spec.weights[i];
  }
  for (std::size_t i = 0; i < k; ++i) {
    const double w = spec.weights[i] / total;
    h += -w * std::log(w) + w * 0.5 * d * std::log(2.0 * pi * std::exp(1.0) * spec.stds[i] * spec.stds[i]);
  }
  return h;
}

/// n samples of the mixture (weights normalised); truth gaussian_mixture_entropy_separated.
inline entropy_sample sample_gaussian_mixture(index_t n, const gaussian_mixture_spec& spec, std::uint64_t seed) {
  require(n >= 1, "synthetic::sample_gaussian_mixture", "n must be >= 1 (n=", n, ")");
  entropy_sample s;
  s.entropy = gaussian_mixture_entropy_separated(spec);
  double total = 0.0;
  for (double w : spec.weights) total += w;
  const index_t d = spec.means.cols();
  s.x.resize(n, d);
  random_engine rng(seed);
  for (index_t i = 0; i < n; ++i) {
    double u = rng.uniform() * total;
    std::size_t c = 0;
    while (c + 1 < spec.weights.size() && u >= spec.weights[c]) u -= spec.weights[c++];
    for (index_t j = 0; j < d; ++j) s.x(i, j) = spec.means(static_cast<index_t>(c), j) + spec.stds[c] * rng.normal();
  }
  return s;
}

}  // namespace infogeo::synthetic
