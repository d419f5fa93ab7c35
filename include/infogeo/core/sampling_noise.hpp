// The "sampling_noise" verdict: an estimate whose sampling standard deviation is large next to its
// accuracy tolerance misses that tolerance often even when unbiased (docs/verdicts.md).
#pragma once

#include <cmath>

#include "infogeo/core/result.hpp"
#include "infogeo/core/tolerance.hpp"

namespace infogeo {

/// Records `sd` (the estimate's sampling standard deviation, in nats) as e.std_error and warns
/// "sampling_noise" when 2 sd exceeds accuracy_tolerance(kind, value, dims): the value, even
/// unbiased, then misses the tolerance about one time in twenty or more. `advice` ends the message.
inline void check_sampling_noise(estimate& e, double sd, tolerance_kind kind, std::ptrdiff_t dims,
                                 const char* advice) {
  e.std_error = sd;
  const double tolerance = accuracy_tolerance(kind, e.value, dims);
  if (!(2.0 * sd > tolerance)) return;
  e.warn("sampling_noise",
         detail::concat("the estimate's sampling sd is ", sd, " nats (from the per-point terms): twice it exceeds the "
                        "tolerance ", tolerance, ", so even an unbiased value misses it often; ", advice),
         sd);
}

}  // namespace infogeo
