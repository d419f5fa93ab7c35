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
struct estimate {
  double value = 0.0;                ///< the estimate, in nats
  std::optional<double> std_error;   ///< standard error in nats, only where one is known
  std::int64_t n = 0;                ///< number of samples used
  std::int64_t dims = 0;             ///< dimension of the (joint) sample the estimate is about
  std::string method;                ///< e.g. "kozachenko_leonenko"
  std::map<std::string, double> parameters;     ///< numeric parameters actually used (k, bandwidth, ...)
  std::map<std::string, std::string> settings;  ///< categorical choices actually used (norm, ...)
  std::map<std::string, double> details;        ///< named diagnostics (rank used, ties jittered, ...)
  std::vector<std::string> diagnostics;         ///< human-readable notes on anything unusual
  verdict_status status = verdict_status::ok;   ///< ok / warning (see reasons); refused never returns
  std::vector<verdict_reason> reasons;          ///< why the status is not ok (docs/verdicts.md)

  /// Records a warning: the value is kept, status becomes warning (a refusal is thrown, never stored).
  void warn(std::string code, std::string message, std::optional<double> measured = std::nullopt) {
    if (status == verdict_status::ok) status = verdict_status::warning;
    reasons.push_back({std::move(code), std::move(message), measured});
  }
  bool ok() const { return status == verdict_status::ok; }
  /// True when a reason with this code was recorded.
  bool has_reason(const std::string& code) const {
    for (const auto& r : reasons)
      if (r.code == code) return true;
    return false;
  }

  double bits() const { return to_bits(value); }
  std::optional<double> std_error_bits() const {
    if (!std_error) return std::nullopt;
    return to_bits(*std_error);
  }
};

}  // namespace infogeo
