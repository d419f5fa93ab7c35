// Mutual information and conditional MI are never negative. An estimate below -0.1 nats is
// therefore beyond the tolerance of every possible truth, and the estimators that can produce one
// (entropy differences, KDE, the k-NN MI estimators) warn about it.
#pragma once

#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/tolerance.hpp"

namespace infogeo {

/// Warns "negative_information" when an MI (or conditional MI) estimate is below
/// -tolerance_floor_nats. For any truth T >= 0 the error T - v = T + |v| then exceeds both 0.1 nats
/// and 10 % of T, i.e. the scale-invariant tolerance (core/tolerance.hpp) of T: the value cannot be
/// right, whatever the truth. Estimates in (-0.1, 0) stay silent: sampling noise puts unbiased MI
/// estimates of independent variables there half the time. Found by a red-team run (session 15):
/// the KL entropy difference on independent 10 x 10 Gaussians at n = 300 read -1.2 to -1.3 with
/// status ok (each entropy's bias grows with its dimension, and h(X, Y) has twice those of h(X),
/// h(Y)). `advice` says what to do instead.
inline void check_nonnegative_information(estimate& e, const std::string& advice) {
  if (!(e.value < -tolerance_floor_nats)) return;
  e.warn("negative_information",
         infogeo::detail::concat("the estimate ", e.value, " is below -", tolerance_floor_nats,
                                 " nats, but mutual information is never negative: whatever the truth, the "
                                 "value is off by more than the tolerance (its biases do not cancel); ",
                                 advice),
         e.value);
}

}  // namespace infogeo
