// Seeded, platform-independent random numbers. Every random choice in infogeo takes a seed and
// goes through this engine, so the same seed gives the same bits on every compiler and library
// (std::normal_distribution and friends are implementation-defined; these are not).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo {

namespace detail {
__extension__ typedef unsigned __int128 uint128;  // GCC/Clang extension; silences -Wpedantic
}  // namespace detail

/// xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64. Satisfies
/// UniformRandomBitGenerator, so it also works with <random> and <algorithm>.
class random_engine {
 public:
  using result_type = std::uint64_t;

  explicit random_engine(std::uint64_t seed = 0) { reseed(seed); }

  void reseed(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (auto& word : state_) word = splitmix64(s);
    has_spare_normal_ = false;
  }

  /// An independent engine for stream `stream` (e.g. one per thread or per block), derived
  /// deterministically from this engine's seed state without advancing it.
  random_engine split(std::uint64_t stream) const {
    std::uint64_t s = state_[0] ^ (0x9E3779B97F4A7C15ULL * (stream + 1)) ^ rotl(state_[3], 17);
    return random_engine(splitmix64(s));
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Uniform on (0, 1): never returns 0, safe to take the log of.
  double uniform_open() {
    double u;
    do u = uniform();
    while (u == 0.0);
    return u;
  }

  /// Uniform on [a, b).
  double uniform(double a, double b) { return a + (b - a) * uniform(); }

  /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject).
  std::uint64_t uniform_index(std::uint64_t n) {
    if (n == 0) throw_invalid_argument("random_engine::uniform_index", "n must be > 0 (n=0)");
    detail::uint128 m = static_cast<detail::uint128>((*this)()) * n;
    std::uint64_t low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<detail::uint128>((*this)()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Standard normal N(0, 1) by the Marsaglia polar method.
  double normal() {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_normal_ = v * factor;
    has_spare_normal_ = true;
    return u * factor;
  }

  /// N(mean, sd^2).
  double normal(double mean, double sd) { return mean + sd * normal(); }

  /// Exponential with rate lambda.
  double exponential(double rate) { return -std::log(uniform_open()) / rate; }

  /// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape > 0.
  double gamma(double shape) {
    if (!(shape > 0.0))
      throw_invalid_argument("random_engine::gamma", "shape must be > 0 (shape=", shape, ")");
    if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_open(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = uniform_open();
      if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
  }

  /// Chi-square with nu degrees of freedom.
  double chi_square(double nu) { return 2.0 * gamma(0.5 * nu); }

  /// Fisher-Yates shuffle (portable, unlike std::shuffle whose algorithm is unspecified).
  template <class T>
  void shuffle(std::vector<T>& values) {
    for (std::size_t i = values.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(uniform_index(i));
      std::swap(values[i - 1], values[j]);
    }
  }

  /// A random permutation of 0..n-1.
  std::vector<std::int64_t> permutation(std::int64_t n) {
    std::vector<std::int64_t> p(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
    shuffle(p);
    return p;
  }

  /// m distinct indices out of 0..n-1 (a prefix of a random permutation), m <= n.
  std::vector<std::int64_t> sample_without_replacement(std::int64_t n, std::int64_t m) {
    if (m < 0 || m > n)
      throw_invalid_argument("random_engine::sample_without_replacement",
                             "m must be in [0, n] (m=", m, ", n=", n, ")");
    auto p = permutation(n);
    p.resize(static_cast<std::size_t>(m));
    return p;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_[4]{};
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace infogeo
