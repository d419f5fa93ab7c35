// The accuracy infogeo's verdicts and its bench hold an estimate to (docs/verdicts.md, "The
// tolerance"). One definition, used by the bench's "within tolerance" (harness/report.hpp), the
// cross-check (core/cross_check.hpp), the half-sample check (core/sample_size_trend.hpp), KL's
// neighbour-order check and the Gaussian formulas' plug-in bias checks.
//
// Two kinds, by how the quantity responds to the units of the data:
//  * scale-invariant quantities (mutual information, conditional MI, discrete entropies):
//    max(0.1 nats, 10 % of |value|);
//  * differential entropies of d-dimensional data: 0.1 nats per dimension. h(cX) = h(X) + d log c
//    (Cover & Thomas 2006, Thm 8.6.4), so a tolerance relative to |h| changes with the units: the same
//    0.65-nat error of KL on a 6-D uniform sample was beyond 10 % of |h| = 0.44 and within 10 % of
//    |h| = 6.0 once the data were multiplied by 1e4. An error of 0.1 d nats is the entropy of a
//    volume off by e^(0.1 d), i.e. each coordinate's scale off by e^0.1 - 1 = 10.5 %: the entropy
//    counterpart of MI's 10 %. Estimation errors do not depend on the units, so the verdicts do not.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace infogeo {

/// Which tolerance an estimate takes (top of this header).
enum class tolerance_kind {
  scale_invariant,      ///< MI, conditional MI, discrete entropies: max(0.1 nats, 10 % of |value|)
  differential_entropy  ///< 0.1 nats per dimension of the sample
};

inline constexpr double tolerance_floor_nats = 0.1;          ///< scale-invariant: the floor
inline constexpr double tolerance_relative = 0.1;            ///< scale-invariant: the fraction of |value|
inline constexpr double tolerance_nats_per_dimension = 0.1;  ///< differential entropy: per dimension

/// The tolerance of an estimate `value` of a quantity of kind `kind` on `dims`-dimensional data
/// (dims is used only for differential entropies; at least one dimension is counted).
inline double accuracy_tolerance(tolerance_kind kind, double value, std::ptrdiff_t dims) {
  if (kind == tolerance_kind::differential_entropy)
    return tolerance_nats_per_dimension * static_cast<double>(std::max<std::ptrdiff_t>(dims, 1));
  return std::max(tolerance_floor_nats, tolerance_relative * std::abs(value));
}

}  // namespace infogeo
