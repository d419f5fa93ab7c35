// Special functions used by the estimators' constants: digamma, lgamma, log unit-ball volume,
// logsumexp and softplus. All are written to stay finite and accurate for large arguments and
// large dimension d (everything is computed on the log scale).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>

#include "infogeo/core/errors.hpp"

namespace infogeo {

inline constexpr double pi = 3.14159265358979323846264338327950288;

/// Digamma psi(x) = d/dx log Gamma(x) for real x (not a non-positive integer, where it has poles).
/// Method: reflection psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0.5, upward recurrence
/// psi(x) = psi(x + 1) - 1/x to x >= 10, then the asymptotic series
/// psi(x) ~ log x - 1/(2x) - sum_k B_{2k} / (2k x^{2k}) (Abramowitz & Stegun 6.3.18), truncated
/// after x^-16. Absolute error < 1e-14 for |x| in [1e-3, 1e15] (tested against tabulated values).
inline double digamma(double x) {
  if (std::isnan(x)) throw_invalid_argument("digamma", "x is NaN");
  if (x <= 0.0 && x == std::floor(x))
    throw_invalid_argument("digamma", "x is a pole (non-positive integer) (x=", x, ")");
  if (std::isinf(x)) return x;  // psi(+inf) = +inf; -inf excluded by the pole test above
  double result = 0.0;
  if (x < 0.5) {
    // Reflection: psi(1 - x) - psi(x) = pi cot(pi x).
    result -= pi / std::tan(pi * x);
    x = 1.0 - x;
  }
  while (x < 10.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  const double inv = 1.0 / x;
  const double inv2 = inv * inv;
  // Bernoulli terms B_{2k}/(2k): 1/12, -1/120, 1/252, -1/240, 1/132, -691/32760, 1/12.
  const double series =
      inv2 * (1.0 / 12 -
              inv2 * (1.0 / 120 -
                      inv2 * (1.0 / 252 -
                              inv2 * (1.0 / 240 -
                                      inv2 * (1.0 / 132 -
                                              inv2 * (691.0 / 32760 - inv2 * (1.0 / 12)))))));
  return result + std::log(x) - 0.5 * inv - series;
}

/// log Gamma(x) for x > 0 (std::lgamma, wrapped so that every caller validates the domain).
inline double lgamma_positive(double x) {
  if (!(x > 0.0)) throw_invalid_argument("lgamma_positive", "x must be > 0 (x=", x, ")");
  return std::lgamma(x);
}

/// The norm a k-NN estimator measures distances in.
enum class norm_kind {
  euclidean,  ///< L2: unit ball volume pi^{d/2} / Gamma(d/2 + 1)
  chebyshev,  ///< L-infinity (max-norm): unit ball is the cube [-1, 1]^d, volume 2^d
};

/// log of the volume of the unit ball of radius 1 in d dimensions for the given norm.
/// Computed on the log scale so that it stays finite for d in the thousands.
inline double log_unit_ball_volume(std::ptrdiff_t d, norm_kind norm) {
  if (d < 1) throw_invalid_argument("log_unit_ball_volume", "d must be >= 1 (d=", d, ")");
  const double dd = static_cast<double>(d);
  if (norm == norm_kind::chebyshev) return dd * std::log(2.0);
  return 0.5 * dd * std::log(pi) - std::lgamma(0.5 * dd + 1.0);
}

/// log(sum_i exp(v_i)) over [first, last), stable: the maximum is factored out.
/// Returns -inf for an empty range or when every term is -inf; +inf if any term is +inf.
template <class Iterator>
double logsumexp(Iterator first, Iterator last) {
  double max_value = -std::numeric_limits<double>::infinity();
  for (Iterator it = first; it != last; ++it) max_value = std::max(max_value, double(*it));
  if (!std::isfinite(max_value)) return max_value;
  double sum = 0.0;
  for (Iterator it = first; it != last; ++it) sum += std::exp(double(*it) - max_value);
  return max_value + std::log(sum);
}

/// logsumexp of any container with begin()/end().
template <class Range>
double logsumexp(const Range& values) {
  using std::begin;
  using std::end;
  return logsumexp(begin(values), end(values));
}

/// Running log-sum-exp: add terms one at a time without overflow (used in streaming mixtures).
class log_sum_exp_accumulator {
 public:
  void add(double log_term) {
    if (log_term == -std::numeric_limits<double>::infinity()) return;
    if (log_term <= max_) {
      sum_ += std::exp(log_term - max_);
    } else {
      sum_ = sum_ * std::exp(max_ - log_term) + 1.0;
      max_ = log_term;
    }
  }
  double value() const {
    return sum_ == 0.0 ? -std::numeric_limits<double>::infinity() : max_ + std::log(sum_);
  }

 private:
  double max_ = -std::numeric_limits<double>::infinity();
  double sum_ = 0.0;
};

/// softplus(x) = log(1 + e^x), exact to rounding for all x (no overflow for large x,
/// no loss of digits for very negative x).
inline double softplus(double x) {
  if (x > 0.0) return x + std::log1p(std::exp(-x));
  return std::log1p(std::exp(x));
}

/// Logistic sigmoid 1 / (1 + e^-x), the derivative of softplus, without overflow.
inline double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

/// Nats to bits.
inline double to_bits(double nats) { return nats / std::log(2.0); }

}  // namespace infogeo
