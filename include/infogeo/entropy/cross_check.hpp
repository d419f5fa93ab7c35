// The entropy references of the cross-check (core/cross_check.hpp): Kozachenko-Leonenko (k = 3,
// with its half-sample check) and the Gaussian formula (with its per-column and joint
// Gaussian-shape checks). Each is used only where its own verdict is ok.
#pragma once

#include <vector>

#include "infogeo/core/cross_check.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/entropy/gaussian.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"

namespace infogeo::entropy::detail {

/// Cross-checks the entropy estimate e of x against Kozachenko-Leonenko and the Gaussian formula.
template <class = void>
void cross_check_entropy(estimate& e, const row_matrix<double>& x, const cross_check_options& o,
                         cross_check_rule rule, const char* advice) {
  infogeo::detail::cross_check(e, o, rule, tolerance_kind::differential_entropy, advice, x.rows(), x.cols(),
                               [&](const std::vector<std::int64_t>& rows) {
    const row_matrix<double> sx = infogeo::detail::subset_rows(x, rows);
    std::vector<infogeo::detail::reference_estimate> refs;
    refs.push_back(infogeo::detail::run_reference("kozachenko_leonenko", [&] { return kozachenko_leonenko(sx); }));
    refs.push_back(infogeo::detail::run_reference("gaussian", [&] { return gaussian_entropy(sx); }));
    return refs;
  });
}

}  // namespace infogeo::entropy::detail
