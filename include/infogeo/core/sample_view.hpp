// A read-only, zero-copy view of an N x D sample matrix (samples are rows), and adapters from
// Eigen, raw pointer + shape + strides (what torch / numpy buffers give) and std::vector.
// xtensor adapters live in core/xtensor_view.hpp so that Eigen-only users need not include it.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo {

using index_t = std::ptrdiff_t;

/// Row-major dynamic Eigen matrix; the storage order estimators work in.
template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// An N x D sample matrix: element (i, j) is data[i * row_stride + j * col_stride].
/// Strides are in elements (not bytes) and must be >= 0. The view never owns the data:
/// keep the underlying buffer alive while the view (or anything built from it) is used.
template <class T>
class sample_view {
  static_assert(std::is_floating_point_v<T>,
                "infogeo::sample_view: samples must be float or double; convert integer data "
                "explicitly (labels have their own type)");

 public:
  using scalar_type = T;
  using strided_map = Eigen::Map<const row_matrix<T>, Eigen::Unaligned,
                                 Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

  sample_view() = default;

  /// Row-major contiguous N x D buffer.
  sample_view(const T* data, index_t rows, index_t cols)
      : sample_view(data, rows, cols, cols, 1) {}

  /// General strided buffer (strides in elements).
  sample_view(const T* data, index_t rows, index_t cols, index_t row_stride, index_t col_stride)
      : data_(data), rows_(rows), cols_(cols), row_stride_(row_stride), col_stride_(col_stride) {
    require(rows >= 0 && cols >= 0, "sample_view", "shape must be non-negative (rows=", rows,
            ", cols=", cols, ")");
    require(row_stride >= 0 && col_stride >= 0, "sample_view",
            "strides must be non-negative; copy flipped arrays first (row_stride=", row_stride,
            ", col_stride=", col_stride, ")");
    require(data != nullptr || rows == 0 || cols == 0, "sample_view",
            "data is null for a non-empty shape (rows=", rows, ", cols=", cols, ")");
  }

  index_t rows() const { return rows_; }
  index_t cols() const { return cols_; }
  index_t size() const { return rows_ * cols_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }
  const T* data() const { return data_; }
  index_t row_stride() const { return row_stride_; }
  index_t col_stride() const { return col_stride_; }

  /// True when every row is a contiguous run of D values.
  bool rows_contiguous() const { return col_stride_ == 1 || cols_ <= 1; }
  /// True when the whole matrix is one row-major contiguous block.
  bool contiguous() const { return rows_contiguous() && (row_stride_ == cols_ || rows_ <= 1); }

  const T& operator()(index_t i, index_t j) const {
    return data_[i * row_stride_ + j * col_stride_];
  }

  /// Pointer to row i; only meaningful when rows_contiguous().
  const T* row_data(index_t i) const { return data_ + i * row_stride_; }

  /// Zero-copy Eigen map with the view's strides (works for any layout).
  strided_map map() const {
    return strided_map(data_, rows_, cols_,
                       Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(row_stride_, col_stride_));
  }

  /// Rows [first, first + count) as a view.
  sample_view middle_rows(index_t first, index_t count) const {
    require(first >= 0 && count >= 0 && first + count <= rows_, "sample_view::middle_rows",
            "range out of bounds (first=", first, ", count=", count, ", rows=", rows_, ")");
    return sample_view(count == 0 ? data_ : data_ + first * row_stride_, count, cols_,
                       row_stride_, col_stride_);
  }

  /// Columns [first, first + count) as a view (zero-copy: same strides, offset pointer).
  sample_view middle_cols(index_t first, index_t count) const {
    require(first >= 0 && count >= 0 && first + count <= cols_, "sample_view::middle_cols",
            "range out of bounds (first=", first, ", count=", count, ", cols=", cols_, ")");
    return sample_view(count == 0 ? data_ : data_ + first * col_stride_, rows_, count,
                       row_stride_, col_stride_);
  }

 private:
  const T* data_ = nullptr;
  index_t rows_ = 0;
  index_t cols_ = 0;
  index_t row_stride_ = 0;
  index_t col_stride_ = 1;
};

/// Identity adapter, so that estimators can call make_view() on whatever they are given.
template <class T>
sample_view<T> make_view(const sample_view<T>& view) {
  return view;
}

/// Eigen dense matrices, vectors, maps and blocks with direct storage access, row- or
/// column-major. A vector becomes an N x 1 sample. Expressions (products, sums) must be
/// evaluated first: `make_view(expr.eval())` would dangle, so store the result in a variable.
template <class Derived>
sample_view<typename Derived::Scalar> make_view(const Eigen::DenseBase<Derived>& matrix) {
  static_assert(bool(Derived::Flags & Eigen::DirectAccessBit),
                "infogeo::make_view: this Eigen expression has no storage; evaluate it into a "
                "matrix variable first");
  const Derived& m = matrix.derived();
  index_t row_stride;
  index_t col_stride;
  if (Derived::IsVectorAtCompileTime && Derived::ColsAtCompileTime == 1) {
    row_stride = m.innerStride();
    col_stride = 1;
  } else if (Derived::IsRowMajor) {
    row_stride = m.outerStride();
    col_stride = m.innerStride();
  } else {
    row_stride = m.innerStride();
    col_stride = m.outerStride();
  }
  return sample_view<typename Derived::Scalar>(m.data(), m.rows(), m.cols(), row_stride,
                                               col_stride);
}

/// A std::vector as an N x 1 sample (one scalar per sample).
template <class T>
sample_view<T> make_view(const std::vector<T>& values) {
  return sample_view<T>(values.data(), static_cast<index_t>(values.size()), 1, 1, 1);
}

/// A flat std::vector holding a row-major rows x cols matrix.
template <class T>
sample_view<T> make_view(const std::vector<T>& values, index_t rows, index_t cols) {
  require(rows >= 0 && cols >= 0 && static_cast<std::size_t>(rows * cols) == values.size(),
          "make_view", "rows * cols must equal the vector size (rows=", rows, ", cols=", cols,
          ", size=", values.size(), ")");
  return sample_view<T>(values.data(), rows, cols);
}

/// Raw pointer + shape + strides in elements (torch: tensor.strides(); numpy: strides / itemsize).
template <class T>
sample_view<T> make_view(const T* data, index_t rows, index_t cols, index_t row_stride,
                         index_t col_stride) {
  return sample_view<T>(data, rows, cols, row_stride, col_stride);
}

/// Customisation point for containers from namespaces argument-dependent lookup does not search
/// for infogeo (xtensor's: core/xtensor_view.hpp). A specialisation with a static make(const C&)
/// makes make_view(c) work whatever the include order: the estimators call make_view() from
/// templates, and a class template specialisation is looked up when they are instantiated,
/// whereas a make_view() overload declared after an estimator's header would not be found
/// (two-phase lookup).
template <class C, class = void>
struct view_adapter {};

/// Anything with a view_adapter specialisation.
template <class C>
auto make_view(const C& container) -> decltype(view_adapter<C>::make(container)) {
  return view_adapter<C>::make(container);
}

/// The scalar type of whatever make_view() accepts.
template <class Input>
using view_scalar_t = typename decltype(make_view(std::declval<const Input&>()))::scalar_type;

/// Copies a view into a row-major matrix of another scalar type (usually double for
/// accumulation). One O(N D) pass; contiguous same-type input is still copied.
template <class Out, class T>
row_matrix<Out> to_row_matrix(const sample_view<T>& view) {
  return view.map().template cast<Out>();
}

}  // namespace infogeo
