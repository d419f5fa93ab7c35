// Discrete class labels: conversion from any integer container and validation.
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

}  // namespace infogeo
