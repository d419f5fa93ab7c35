// The MI references of the cross-check (core/cross_check.hpp): mixed KSG (Gao et al. 2017; KSG-1
// on tie-free data, standardised, with its half-sample check) and the Gaussian plug-in (with its
// per-column and joint Gaussian-shape checks). Each is used only where its own verdict is ok.
#pragma once

#include <vector>

#include "infogeo/core/cross_check.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/mi/gaussian.hpp"
#include "infogeo/mi/mixed_ksg.hpp"

namespace infogeo::mi::detail {

/// Cross-checks the MI estimate e of (x, y) against mixed KSG and the Gaussian plug-in by `rule`.
template <class = void>
void cross_check_mi(estimate& e, const row_matrix<double>& x, const row_matrix<double>& y,
                    const cross_check_options& o, cross_check_rule rule, const char* advice) {
  infogeo::detail::cross_check(e, o, rule, tolerance_kind::scale_invariant, advice, x.rows(), x.cols() + y.cols(),
                               [&](const std::vector<std::int64_t>& rows) {
    const row_matrix<double> sx = infogeo::detail::subset_rows(x, rows);
    const row_matrix<double> sy = infogeo::detail::subset_rows(y, rows);
    std::vector<infogeo::detail::reference_estimate> refs;
    refs.push_back(infogeo::detail::run_reference("mixed_ksg", [&] { return mixed_ksg(sx, sy); }));
    refs.push_back(infogeo::detail::run_reference("gaussian", [&] { return gaussian_mutual_information(sx, sy); }));
    return refs;
  });
}

}  // namespace infogeo::mi::detail
