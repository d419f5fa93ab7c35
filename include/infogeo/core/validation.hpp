// Input checks shared by all estimators; each throws infogeo::invalid_argument with the function
// name, the argument name and the offending value.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo {

/// Throws if any entry of `view` is NaN or +-Inf, naming how many and where the first one is.
template <class T>
void check_finite(const sample_view<T>& view, const char* function, const char* argument) {
  std::int64_t bad = 0;
  index_t first_row = -1;
  index_t first_col = -1;
  double first_value = 0.0;
  for (index_t i = 0; i < view.rows(); ++i) {
    for (index_t j = 0; j < view.cols(); ++j) {
      const T v = view(i, j);
      if (!std::isfinite(v)) {
        if (bad == 0) {
          first_row = i;
          first_col = j;
          first_value = static_cast<double>(v);
        }
        ++bad;
      }
    }
  }
  if (bad > 0)
    throw_invalid_argument(function, argument, " contains ", bad,
                           " non-finite value(s); first at row ", first_row, ", column ",
                           first_col, " (value=", first_value, ")");
}

/// Throws unless the view has at least `min_rows` rows and at least one column.
template <class T>
void check_shape(const sample_view<T>& view, index_t min_rows, const char* function,
                 const char* argument) {
  require(view.cols() >= 1, function, argument, " must have at least one column (dims=",
          view.cols(), ")");
  require(view.rows() >= min_rows, function, argument, " needs at least ", min_rows,
          " samples (n=", view.rows(), ")");
}

/// The usual entry check: shape, then finiteness.
template <class T>
void check_samples(const sample_view<T>& view, index_t min_rows, const char* function,
                   const char* argument) {
  check_shape(view, min_rows, function, argument);
  check_finite(view, function, argument);
}

/// Throws unless two samples have the same number of rows.
inline void check_same_rows(index_t rows_a, index_t rows_b, const char* function,
                            const char* name_a, const char* name_b) {
  require(rows_a == rows_b, function, name_a, " and ", name_b,
          " must have the same number of rows (", name_a, " rows=", rows_a, ", ", name_b,
          " rows=", rows_b, ")");
}

/// The usual entry check of a two-sample (X, Y) estimator: both have >= min_rows rows and >= 1
/// column, the same number of rows, and only finite values.
template <class T, class U>
void check_paired_samples(const sample_view<T>& x, const sample_view<U>& y, index_t min_rows,
                          const char* function) {
  check_shape(x, min_rows, function, "x");
  check_shape(y, min_rows, function, "y");
  check_same_rows(x.rows(), y.rows(), function, "x", "y");
  check_finite(x, function, "x");
  check_finite(y, function, "y");
}

/// Throws unless value > 0 and finite.
inline void check_positive(double value, const char* function, const char* argument) {
  require(std::isfinite(value) && value > 0.0, function, argument,
          " must be positive and finite (", argument, "=", value, ")");
}

}  // namespace infogeo
