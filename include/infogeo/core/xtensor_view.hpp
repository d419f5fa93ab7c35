// make_view() for xtensor containers and strided views (1-D -> N x 1, 2-D -> N x D), zero-copy,
// through the view_adapter customisation point of core/sample_view.hpp (so the include order of
// this header and the estimators' does not matter).
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
template <class E>
struct view_adapter<E, std::enable_if_t<std::conjunction<std::is_base_of<xt::xexpression<E>, E>,
                                                         xt::has_data_interface<E>>::value>> {
  static sample_view<typename E::value_type> make(const E& e) {
    using T = typename E::value_type;
    const std::size_t dims = e.dimension();
    require(dims == 1 || dims == 2, "make_view", "xtensor input must be 1-D or 2-D (ndim=", dims, ")");
    const T* base = e.data() + e.data_offset();
    const auto rows = static_cast<index_t>(e.shape()[0]);
    if (dims == 1) return sample_view<T>(base, rows, 1, static_cast<index_t>(e.strides()[0]), 1);
    const auto cols = static_cast<index_t>(e.shape()[1]);
    return sample_view<T>(base, rows, cols, static_cast<index_t>(e.strides()[0]),
                          static_cast<index_t>(e.strides()[1]));
  }
};

}  // namespace infogeo
