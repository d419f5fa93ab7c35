// Input checks, dense class labels and seeded stratified splits (hold-out and K-fold) shared by
// sufficiency and minimality.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::vinfo {

/// Labels remapped to the classes present: dense[i] in 0..C-1, original[c] the label value of
/// class c (increasing), counts[c] its size.
struct dense_labels {
  std::vector<std::int64_t> dense;
  std::vector<std::int64_t> original;
  std::vector<std::int64_t> counts;
  std::int64_t num_classes() const { return static_cast<std::int64_t>(original.size()); }
};

/// Validates (features, labels) for a V-information computation and returns the dense labels:
/// features N x D finite with N >= 2, D >= 1; labels non-negative integers, one per row, at least
/// 2 distinct classes. Throws invalid_argument naming `fn` and the offending value.
template <class T, class Range>
dense_labels check_vinfo_inputs(const sample_view<T>& features, const Range& labels, const char* fn) {
  check_shape(features, 2, fn, "features");
  const class_labels cl = make_labels(labels, 0, fn, "labels");
  check_same_rows(features.rows(), static_cast<index_t>(cl.values.size()), fn, "features", "labels");
  check_finite(features, fn, "features");
  dense_labels out;
  std::vector<std::int64_t> map(static_cast<std::size_t>(cl.num_classes), -1);
  for (std::int64_t c = 0; c < cl.num_classes; ++c) {
    if (cl.counts[static_cast<std::size_t>(c)] == 0) continue;
    map[static_cast<std::size_t>(c)] = static_cast<std::int64_t>(out.original.size());
    out.original.push_back(c);
    out.counts.push_back(cl.counts[static_cast<std::size_t>(c)]);
  }
  require(out.original.size() >= 2, fn, "labels must contain at least 2 classes (classes present=",
          out.original.size(), ")");
  out.dense.resize(cl.values.size());
  for (std::size_t i = 0; i < cl.values.size(); ++i) out.dense[i] = map[static_cast<std::size_t>(cl.values[i])];
  return out;
}

/// Empirical entropy -sum_c (n_c/N) log(n_c/N) of dense labels, nats.
inline double label_entropy(const std::vector<std::int64_t>& counts) {
  std::int64_t total = 0;
  for (auto c : counts) total += c;
  double h = 0.0;
  for (auto c : counts)
    if (c > 0) {
      const double p = static_cast<double>(c) / static_cast<double>(total);
      h -= p * std::log(p);
    }
  return h;
}

/// Stratified K-fold assignment: within each class the samples are shuffled (seeded) and dealt
/// round-robin to folds 0..K-1, continuing where the previous class stopped, so that every fold
/// holds floor or ceil of n_c / K samples of class c and the fold sizes differ by at most C.
/// Requires every class to have >= K samples (otherwise a fold would miss a class).
inline std::vector<int> stratified_folds(const dense_labels& y, int folds, std::uint64_t seed, const char* fn) {
  require(folds >= 2, fn, "folds must be >= 2 (folds=", folds, ")");
  for (std::size_t c = 0; c < y.counts.size(); ++c)
    require(y.counts[c] >= folds, fn, "every class needs at least `folds` samples (label ", y.original[c],
            " has ", y.counts[c], ", folds=", folds, ")");
  std::vector<std::vector<std::int64_t>> members(y.counts.size());
  for (std::size_t i = 0; i < y.dense.size(); ++i) members[static_cast<std::size_t>(y.dense[i])].push_back(static_cast<std::int64_t>(i));
  random_engine rng(seed);
  std::vector<int> fold(y.dense.size(), 0);
  std::int64_t next = 0;
  for (auto& m : members) {
    rng.shuffle(m);
    for (auto i : m) fold[static_cast<std::size_t>(i)] = static_cast<int>(next++ % folds);
  }
  return fold;
}

/// Stratified hold-out: within each class round(test_fraction * n_c) samples (at least 1, at most
/// n_c - 1), chosen by a seeded shuffle, get 1 (test); the others 0 (train). Requires n_c >= 2.
inline std::vector<int> stratified_holdout(const dense_labels& y, double test_fraction, std::uint64_t seed,
                                           const char* fn) {
  require(std::isfinite(test_fraction) && test_fraction > 0.0 && test_fraction < 1.0, fn,
          "test_fraction must be in (0, 1) (test_fraction=", test_fraction, ")");
  for (std::size_t c = 0; c < y.counts.size(); ++c)
    require(y.counts[c] >= 2, fn, "every class needs at least 2 samples for a hold-out split (label ",
            y.original[c], " has ", y.counts[c], ")");
  std::vector<std::vector<std::int64_t>> members(y.counts.size());
  for (std::size_t i = 0; i < y.dense.size(); ++i) members[static_cast<std::size_t>(y.dense[i])].push_back(static_cast<std::int64_t>(i));
  random_engine rng(seed);
  std::vector<int> part(y.dense.size(), 0);
  for (auto& m : members) {
    rng.shuffle(m);
    const auto nc = static_cast<std::int64_t>(m.size());
    std::int64_t test = static_cast<std::int64_t>(std::llround(test_fraction * static_cast<double>(nc)));
    test = std::max<std::int64_t>(1, std::min<std::int64_t>(nc - 1, test));
    for (std::int64_t k = 0; k < test; ++k) part[static_cast<std::size_t>(m[static_cast<std::size_t>(k)])] = 1;
  }
  return part;
}

}  // namespace infogeo::vinfo
