// Sorting permutation of doubles by a stable LSD radix sort (ties in index order), as used by
// the 1-D range counts.
//
// Idea: the standard order-preserving map of IEEE-754 doubles to unsigned 64-bit integers (flip
// all bits of negatives, set the sign bit of the rest; e.g. Terdiman, "Radix sort revisited",
// 2000, and Herf, "Radix tricks", 2001), then a least-significant-digit radix sort with 8-bit
// digits. Every pass is stable and the input starts in index order, so equal values keep index
// order: the result equals std::sort of (value, index) pairs. -0.0 is mapped like +0.0 (they
// compare equal). Cost: one histogram pass plus at most 8 scatter passes over n (key, index)
// pairs (passes whose digit is the same for every key are skipped): O(n), against
// O(n log n) comparisons with unpredictable branches for std::sort.
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "infogeo/core/sample_view.hpp"

namespace infogeo::neighbors::detail {

/// Unsigned key with the order of the doubles (-0.0 mapped like +0.0). NaNs sort after +inf
/// (positive sign bit) or before -inf (negative sign bit).
inline std::uint64_t sortable_bits(double v) {
  if (v == 0.0) v = 0.0;  // -0.0 -> +0.0
  std::uint64_t u = 0;
  std::memcpy(&u, &v, sizeof u);
  constexpr std::uint64_t sign = std::uint64_t{1} << 63;
  return (u & sign) != 0 ? ~u : (u | sign);
}

/// The permutation that sorts values[i * stride], i = 0..n-1, ascending, equal values in index
/// order: order[p] is the index of the p-th smallest.
inline std::vector<index_t> sorted_order(const double* values, index_t stride, index_t n) {
  // 8-bit digits: 256 destination streams per pass stay within the caches and the TLB (11-bit
  // digits, 2048 streams, measured 4x slower at n = 300,000).
  constexpr int digit_bits = 8;
  constexpr int passes = 64 / digit_bits;
  constexpr std::size_t radix = std::size_t{1} << digit_bits;
  constexpr std::uint64_t mask = radix - 1;
  struct item {
    std::uint64_t key;
    index_t index;
  };
  const auto count = static_cast<std::size_t>(n);
  std::vector<item> items(count);
  std::vector<item> next(count);
  std::vector<std::size_t> histogram(passes * radix, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t key = sortable_bits(values[static_cast<index_t>(i) * stride]);
    items[i] = {key, static_cast<index_t>(i)};
    for (int pass = 0; pass < passes; ++pass)
      ++histogram[static_cast<std::size_t>(pass) * radix + ((key >> (pass * digit_bits)) & mask)];
  }
  for (int pass = 0; pass < passes; ++pass) {
    std::size_t* offset = histogram.data() + static_cast<std::size_t>(pass) * radix;
    const std::uint64_t first_digit = count > 0 ? (items[0].key >> (pass * digit_bits)) & mask : 0;
    if (offset[first_digit] == count) continue;  // one digit value: the pass keeps the order
    std::size_t sum = 0;
    for (std::size_t d = 0; d < radix; ++d) {
      const std::size_t c = offset[d];
      offset[d] = sum;
      sum += c;
    }
    for (std::size_t i = 0; i < count; ++i)
      next[offset[(items[i].key >> (pass * digit_bits)) & mask]++] = items[i];
    items.swap(next);
  }
  std::vector<index_t> order(count);
  for (std::size_t p = 0; p < count; ++p) order[p] = items[p].index;
  return order;
}

}  // namespace infogeo::neighbors::detail
