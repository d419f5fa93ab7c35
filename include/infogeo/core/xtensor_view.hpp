// make_view() for xtensor containers and strided views (1-D -> N x 1, 2-D -> N x D), zero-copy.
#pragma once

#include <cstddef>
#include <type_traits>
#include <xtensor/xcontainer.hpp>
#include <xtensor/xexpression.hpp>

#include "infogeo/core/sample_view.hpp"

namespace infogeo {

/// Any xtensor expression with a data interface (xarray, xtensor, xstrided_view of those).
/// Strides are taken from the expression; a dimension of length 1 may carry stride 0 in
/// xtensor, which is harmless here because only index 0 is ever used along it.
template <class E, std::enable_if_t<xt::has_data_interface<E>::value, int> = 0>
sample_view<typename E::value_type> make_view(const xt::xexpression<E>& expression) {
  const E& e = expression.derived_cast();
  using T = typename E::value_type;
  const std::size_t dims = e.dimension();
  require(dims == 1 || dims == 2, "make_view", "xtensor input must be 1-D or 2-D (ndim=", dims,
          ")");
  const T* base = e.data() + e.data_offset();
  const auto rows = static_cast<index_t>(e.shape()[0]);
  if (dims == 1) {
    return sample_view<T>(base, rows, 1, static_cast<index_t>(e.strides()[0]), 1);
  }
  const auto cols = static_cast<index_t>(e.shape()[1]);
  return sample_view<T>(base, rows, cols, static_cast<index_t>(e.strides()[0]),
                        static_cast<index_t>(e.strides()[1]));
}

}  // namespace infogeo
