// The estimators the benchmark harness runs: a name plus an entropy and/or an MI function on
// double row-major samples. The registry starts with the Gaussian plug-in (entropy::gaussian_entropy); the
// tool (tools/infogeo/bench_estimators.cpp) registers the library's estimators next to it.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/entropy/gaussian.hpp"
#include "infogeo/mi/gaussian.hpp"

namespace infogeo::harness {

/// An estimator as the harness sees it. Either function may be empty (not supported).
struct estimator {
  std::string name;
  std::string description;
  std::function<double(const row_matrix<double>& x)> entropy;  ///< h(X) in nats
  std::function<double(const row_matrix<double>& x, const row_matrix<double>& y)> mi;  ///< I(X;Y), nats
  /// Preferred over `entropy` / `mi` when set: the full estimate, whose verdict (ok / warning with
  /// reasons; a refusal is thrown) becomes the bench cell's status.
  std::function<estimate(const row_matrix<double>& x)> entropy_estimate;
  std::function<estimate(const row_matrix<double>& x, const row_matrix<double>& y)> mi_estimate;
  index_t max_dims = 0;  ///< tasks whose joint dimension exceeds this are skipped (0 = no limit)
  bool slow = false;     ///< seconds per fit (trained models): left out of the quick suite unless named
};

/// Gaussian plug-in entropy 1/2 log det(2 pi e S), S the unbiased sample covariance: the library's
/// entropy::gaussian_entropy (Cover & Thomas Thm 8.4.1 with S for Sigma). Exact in the limit for
/// Gaussian data, a maximum-entropy upper bound otherwise; finite-N bias O(d^2 / N). O(N D^2).
/// numerical_error when S is singular, invalid_argument when N <= D.
template <class = void>
double gaussian_plugin_entropy(const row_matrix<double>& x) { return entropy::gaussian_entropy(x).value; }

/// Gaussian plug-in MI h(X) + h(Y) - h(X,Y) with the plug-in entropies above, i.e.
/// 1/2 (log det S_x + log det S_y - log det S_xy) = -1/2 sum log(1 - r_i^2) over the sample
/// canonical correlations r_i: exact in the limit for jointly Gaussian data; for other data it
/// measures only linear dependence.
template <class = void>
double gaussian_plugin_mi(const row_matrix<double>& x, const row_matrix<double>& y) {
  return mi::gaussian_mutual_information(x, y).value;
}

/// gaussian_plugin_mi as an estimate with a verdict: mi::gaussian_mutual_information (mi/gaussian.hpp),
/// warned `non_gaussian` when a column of x or y, or (x, y) jointly (Mardia), is measurably non-Gaussian.
template <class = void>
estimate gaussian_plugin_mi_estimate(const row_matrix<double>& x, const row_matrix<double>& y) {
  estimate e = mi::gaussian_mutual_information(x, y);
  e.method = "gaussian-plugin";
  return e;
}

/// The built-in Gaussian plug-in estimator entry. (This and the registry below are templates so
/// that a TU including this header without registering or running estimators does not instantiate
/// the Gaussian entropy's decompositions: docs/performance_compile.md.)
template <class = void>
estimator gaussian_plugin_estimator() {
  estimator e;
  e.name = "gaussian-plugin";
  e.description = "1/2 log det(2 pi e S) of the sample covariance; MI from log-det differences";
  e.entropy = gaussian_plugin_entropy<>;
  e.mi = gaussian_plugin_mi<>;
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::gaussian_entropy(x); };
  e.mi_estimate = gaussian_plugin_mi_estimate<>;
  return e;
}

/// The global registry, starting with the Gaussian plug-in (one object program-wide: the static of
/// the single instantiation estimator_registry<void>).
template <class = void>
std::vector<estimator>& estimator_registry() {
  static std::vector<estimator> registry{gaussian_plugin_estimator()};
  return registry;
}

/// Registers an estimator at static-initialisation time (one per estimator in the tool).
struct estimator_registrar {
  template <class Estimator = estimator>
  explicit estimator_registrar(Estimator e) {
    estimator_registry().push_back(std::move(e));
  }
};

}  // namespace infogeo::harness
