// Discrete class labels: conversion from any integer container and validation (make_labels), and
// the encoding of arbitrary integer labels as 0..C-1 (encode_labels).
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo {

/// Validated class labels 0..num_classes-1 with per-class counts.
struct class_labels {
  std::vector<std::int64_t> values;  ///< one label per sample
  std::int64_t num_classes = 0;      ///< max label + 1 (or the number the caller asked for)
  std::vector<std::int64_t> counts;  ///< samples per class; a class may have count 0
};

/// Converts any range of integers (std::vector<int>, Eigen::VectorXi, a span of int64, ...)
/// to class_labels. Throws if a label is negative or >= num_classes (when num_classes > 0 is
/// given); with num_classes = 0 the number of classes is max label + 1.
template <class Range>
class_labels make_labels(const Range& range, std::int64_t num_classes = 0,
                         const char* function = "make_labels", const char* argument = "labels") {
  using std::begin;
  using std::end;
  using value_type = std::decay_t<decltype(*begin(range))>;
  static_assert(std::is_integral_v<value_type>,
                "infogeo::make_labels: labels must be integers (convert and check floats first)");
  class_labels out;
  std::int64_t index = 0;
  std::int64_t max_label = -1;
  for (auto it = begin(range); it != end(range); ++it, ++index) {
    const auto label = static_cast<std::int64_t>(*it);
    require(label >= 0, function, argument, " must be non-negative (", argument, "[", index,
            "]=", label, ")");
    require(num_classes <= 0 || label < num_classes, function, argument, " must be < ",
            "num_classes (", argument, "[", index, "]=", label, ", num_classes=", num_classes,
            ")");
    max_label = std::max(max_label, label);
    out.values.push_back(label);
  }
  out.num_classes = num_classes > 0 ? num_classes : max_label + 1;
  out.counts.assign(static_cast<std::size_t>(out.num_classes), 0);
  for (const auto label : out.values) ++out.counts[static_cast<std::size_t>(label)];
  return out;
}

/// Default cap on the number of distinct classes encode_labels() accepts: more distinct values
/// than this in a labels file is almost always a wrong file (continuous values, corrupt bytes),
/// and the per-class statistics downstream cost O(C D) memory or more.
inline constexpr std::int64_t default_max_classes = 100000;

/// Arbitrary integer labels mapped to codes 0..C-1 through their sorted distinct values.
struct label_encoding {
  std::vector<std::int64_t> codes;   ///< one code in [0, C) per sample
  std::vector<std::int64_t> values;  ///< values[c] = the original label of class c (ascending)
  std::int64_t num_classes() const { return static_cast<std::int64_t>(values.size()); }
};

/// Encodes any range of integer labels (negative, sparse, huge: 7, -3, 5e7) as 0..C-1 by rank of
/// their sorted distinct values, so that a label value never sets an allocation size: a label
/// 5e7 is one class, not 5e7 empty ones. `values` keeps the original label of every code, for
/// outputs that name classes. Cost O(N log N) time, O(N) memory. Throws invalid_argument when
/// there are more than `max_classes` distinct values (naming the count), or max_classes < 1.
template <class Range>
label_encoding encode_labels(const Range& range, std::int64_t max_classes = default_max_classes,
                             const char* function = "encode_labels", const char* argument = "labels") {
  using std::begin;
  using std::end;
  using value_type = std::decay_t<decltype(*begin(range))>;
  static_assert(std::is_integral_v<value_type>,
                "infogeo::encode_labels: labels must be integers (convert and check floats first)");
  require(max_classes >= 1, function, "max_classes must be >= 1 (max_classes=", max_classes, ")");
  label_encoding out;
  for (auto it = begin(range); it != end(range); ++it) out.codes.push_back(static_cast<std::int64_t>(*it));
  out.values = out.codes;
  std::sort(out.values.begin(), out.values.end());
  out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
  require(out.num_classes() <= max_classes, function, argument, " has ", out.num_classes(),
          " distinct values, more than the ", max_classes,
          " classes accepted (a continuous or corrupt labels file?) (classes=", out.num_classes(), ")");
  for (auto& c : out.codes)
    c = static_cast<std::int64_t>(std::lower_bound(out.values.begin(), out.values.end(), c) - out.values.begin());
  return out;
}

}  // namespace infogeo
