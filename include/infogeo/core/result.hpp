// The result type every estimator returns.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/verdict.hpp"

namespace infogeo {

/// An entropy / mutual-information / divergence estimate.
/// Units: natural log (nats) everywhere; use bits() or to_bits() to convert.
struct estimate : verdict {  // status, reasons, warn(), ok(), has_reason()
  double value = 0.0;                ///< the estimate, in nats
  std::optional<double> std_error;   ///< standard error in nats, only where one is known
  std::int64_t n = 0;                ///< number of samples used
  std::int64_t dims = 0;             ///< dimension of the (joint) sample the estimate is about
  std::string method;                ///< e.g. "kozachenko_leonenko"
  std::map<std::string, double> parameters;     ///< numeric parameters actually used (k, bandwidth, ...)
  std::map<std::string, std::string> settings;  ///< categorical choices actually used (norm, ...)
  std::map<std::string, double> details;        ///< named diagnostics (rank used, ties jittered, ...)
  std::vector<std::string> diagnostics;         ///< human-readable notes on anything unusual

  double bits() const { return to_bits(value); }
  std::optional<double> std_error_bits() const {
    if (!std_error) return std::nullopt;
    return to_bits(*std_error);
  }
};

}  // namespace infogeo
