// Relabelling by the digits of the within-class index (thesis Alg. 2), used to probe
// V-information minimality: a representation that kept only the class information cannot
// predict these labels better than chance, one that memorised individual samples can.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"

namespace infogeo::stats {

/// The number of base-C digits needed to write every within-class index 0..max_count-1
/// (at least 1).
inline int relabel_digit_count(const class_labels& labels) {
  // Base-C digits: with C < 2 the loop below would never end.
  require(labels.num_classes >= 2, "stats::relabel_digit_count", "needs at least 2 classes (num_classes=",
          labels.num_classes, ")");
  std::int64_t max_count = 0;
  for (auto c : labels.counts) max_count = std::max(max_count, c);
  int digits = 1;
  std::int64_t reach = labels.num_classes;
  while (reach < max_count) {
    reach *= labels.num_classes;
    ++digits;
  }
  return digits;
}

/// Relabelling of thesis Alg. 2: sample i of class y is the j-th sample of that class (in input
/// order, j = 0, 1, ...); its new label is digit `digit` of j in base C = number of classes:
/// (j / C^digit) mod C. Labels stay in 0..C-1; digit 0 cycles fastest. Requires C >= 2 and
/// 0 <= digit < relabel_digit_count (higher digits are all 0 and carry no information). O(N).
template <class Range>
std::vector<std::int64_t> relabel_by_index_digit(const Range& labels, int digit, std::int64_t num_classes = 0) {
  const char* fn = "stats::relabel_by_index_digit";
  const class_labels cl = make_labels(labels, num_classes, fn, "labels");
  require(cl.num_classes >= 2, fn, "needs at least 2 classes (num_classes=", cl.num_classes, ")");
  const int max_digit = relabel_digit_count(cl);
  require(digit >= 0 && digit < max_digit, fn, "digit must be in [0, ", max_digit, ") (digit=", digit, ")");
  std::int64_t divisor = 1;
  for (int k = 0; k < digit; ++k) divisor *= cl.num_classes;
  std::vector<std::int64_t> seen(static_cast<std::size_t>(cl.num_classes), 0);
  std::vector<std::int64_t> out(cl.values.size());
  for (std::size_t i = 0; i < cl.values.size(); ++i) {
    const std::int64_t j = seen[static_cast<std::size_t>(cl.values[i])]++;
    out[i] = (j / divisor) % cl.num_classes;
  }
  return out;
}

}  // namespace infogeo::stats
