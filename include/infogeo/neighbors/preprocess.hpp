// Preprocessing shared by the k-NN estimators: optional per-column standardisation, optional
// seeded jitter for ties, and detection of duplicate points (zero neighbour distances, which
// make log-distances -inf). Whatever was done is recorded in the result.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/neighbors/knn.hpp"

namespace infogeo::neighbors {

/// What to do to the samples before the neighbour search (defaults: nothing).
struct preprocess_options {
  /// Per column z-score (x - mean) / sd with the population sd (ddof = 0), as scikit-learn's
  /// scale() and JIDT's normalisation. Off by default. MI is invariant to it; the k-NN entropy
  /// estimators search the standardised data Z and report h(X) = h(Z) + sum_j log sd_j (details
  /// "sum_log_sd"; until session 15 they reported h(Z), which a red team read as a wrong h(X)).
  bool standardize = false;
  /// Relative jitter scale (0 = off): adds jitter * s_j * N(0, 1) to every entry of column j,
  /// s_j = the column's sd (after standardisation, if on); s_j = |mean_j| or 1 for a constant
  /// column. Breaks ties from discretised data; changes the estimate by O(jitter).
  double jitter = 0.0;
  std::uint64_t seed = 0;  ///< seed of the jitter noise (infogeo::random_engine)
};

/// What preprocess() did (copied into the estimate by record()).
struct preprocess_report {
  bool standardized = false;
  double sum_log_sd = 0.0;        ///< sum_j log sd_j over standardised columns
  double jitter = 0.0;
  std::uint64_t seed = 0;
  index_t duplicate_rows = -1;    ///< rows equal to an earlier row before jitter (-1: not checked)
};

/// Number of rows equal to an earlier row (exact comparison); O(N log N D).
template <class = void>
index_t count_duplicate_rows(const row_matrix<double>& m) {
  const index_t n = m.rows();
  const index_t d = m.cols();
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index_t{0});
  auto less = [&](index_t a, index_t b) {
    for (index_t j = 0; j < d; ++j) {
      if (m(a, j) < m(b, j)) return true;
      if (m(b, j) < m(a, j)) return false;
    }
    return false;
  };
  std::sort(order.begin(), order.end(), less);
  index_t dups = 0;
  for (std::size_t i = 1; i < order.size(); ++i) dups += !less(order[i - 1], order[i]);
  return dups;
}

/// Checks the options (jitter finite and >= 0).
inline void check_preprocess_options(const preprocess_options& opt, const char* function) {
  require(std::isfinite(opt.jitter) && opt.jitter >= 0.0, function,
          "jitter must be finite and >= 0 (jitter=", opt.jitter, ")");
}

/// Standardises (if asked) and jitters (if asked) `m` in place. `stream` selects an
/// independent noise stream (X, Y, Z of one estimate use 0, 1, 2). Throws for a constant column
/// when standardising.
template <class = void>
preprocess_report preprocess(row_matrix<double>& m, const preprocess_options& opt,
                             const char* function, const char* argument,
                             std::uint64_t stream = 0) {
  check_preprocess_options(opt, function);
  preprocess_report rep;
  rep.jitter = opt.jitter;
  rep.seed = opt.seed;
  const index_t n = m.rows();
  const index_t d = m.cols();
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  std::vector<double> sd(static_cast<std::size_t>(d), 0.0);
  auto moments = [&]() {
    for (index_t j = 0; j < d; ++j) {
      double mu = 0.0;
      for (index_t i = 0; i < n; ++i) mu += m(i, j);
      mu /= static_cast<double>(n);
      double ss = 0.0;
      for (index_t i = 0; i < n; ++i) ss += (m(i, j) - mu) * (m(i, j) - mu);
      mean[static_cast<std::size_t>(j)] = mu;
      sd[static_cast<std::size_t>(j)] = std::sqrt(ss / static_cast<double>(n));
    }
  };
  if (opt.standardize || opt.jitter > 0.0) moments();
  if (opt.standardize) {
    for (index_t j = 0; j < d; ++j) {
      const double s = sd[static_cast<std::size_t>(j)];
      if (!(s > 0.0))
        throw_invalid_argument(function, argument, " column ", j,
                               " is constant and cannot be standardised (sd=", s, ")");
      const double mu = mean[static_cast<std::size_t>(j)];
      for (index_t i = 0; i < n; ++i) m(i, j) = (m(i, j) - mu) / s;
      rep.sum_log_sd += std::log(s);
      mean[static_cast<std::size_t>(j)] = 0.0;
      sd[static_cast<std::size_t>(j)] = 1.0;
    }
    rep.standardized = true;
  }
  if (opt.jitter > 0.0) {
    rep.duplicate_rows = count_duplicate_rows(m);
    random_engine rng = random_engine(opt.seed).split(stream);
    std::vector<double> scale(static_cast<std::size_t>(d));
    for (index_t j = 0; j < d; ++j) {
      const auto sj = static_cast<std::size_t>(j);
      scale[sj] = opt.jitter * (sd[sj] > 0.0 ? sd[sj] : (mean[sj] != 0.0 ? std::abs(mean[sj]) : 1.0));
    }
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < d; ++j) m(i, j) += scale[static_cast<std::size_t>(j)] * rng.normal();
  }
  return rep;
}

/// Copies a sample into double and applies `opt` (the usual estimator entry).
template <class T>
row_matrix<double> prepared_copy(const sample_view<T>& view, const preprocess_options& opt,
                                 const char* function, const char* argument,
                                 preprocess_report& report, std::uint64_t stream = 0) {
  row_matrix<double> m = to_row_matrix<double>(view);
  report = preprocess(m, opt, function, argument, stream);
  return m;
}

/// Records the preprocessing in an estimate: settings "standardize", "ties"; parameters
/// "jitter", "seed"; details "sum_log_sd<suffix>", "duplicate_rows<suffix>".
inline void record(estimate& e, const preprocess_options& opt, const preprocess_report& rep,
                   const std::string& suffix = "") {
  e.settings["standardize"] = opt.standardize ? "per-column z-score (ddof=0)" : "off";
  e.settings["ties"] = opt.jitter > 0.0 ? "jitter" : "error";
  if (opt.jitter > 0.0) {
    e.parameters["jitter"] = opt.jitter;
    e.parameters["seed"] = static_cast<double>(opt.seed);
    e.details["duplicate_rows" + suffix] = static_cast<double>(rep.duplicate_rows);
    if (rep.duplicate_rows > 0)
      e.diagnostics.push_back(std::to_string(rep.duplicate_rows) + " duplicate row(s)" +
                              (suffix.empty() ? "" : " in " + suffix.substr(1)) +
                              " broken by jitter");
  }
  if (opt.standardize) e.details["sum_log_sd" + suffix] = rep.sum_log_sd;
}

/// Number of points whose nearest neighbour is at distance 0 (they coincide with another).
template <class = void>
index_t count_zero_nn(const knn_result& r) {
  index_t zeros = 0;
  for (index_t i = 0; i < r.n; ++i) zeros += r.distance(i, 0) == 0.0;
  return zeros;
}

/// Throws invalid_argument when some point has a neighbour at distance 0: duplicates make the
/// log-distance -inf (entropy) or the neighbour radius 0 (KSG). Names how many points.
template <class = void>
void check_no_duplicates(const knn_result& r, const char* function, const char* argument,
                         const preprocess_options& opt) {
  const index_t zeros = count_zero_nn(r);
  if (zeros == 0) return;
  if (opt.jitter > 0.0)
    throw_invalid_argument(function, argument, " still has ", zeros,
                           " point(s) at distance 0 from another point after jitter; increase "
                           "jitter (jitter=", opt.jitter, ")");
  throw_invalid_argument(function, argument, " has ", zeros,
                         " point(s) that coincide with another point (duplicates / ties give "
                         "zero neighbour distances); remove them or set jitter > 0. k-NN "
                         "estimators assume a density: on discrete or rounded data a jittered "
                         "estimate depends on the jitter scale (about d log(jitter) per entropy), "
                         "so report it with the jitter used (duplicates=", zeros, ")");
}

}  // namespace infogeo::neighbors
