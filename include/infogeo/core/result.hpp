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

/// The last step of entropy::automatic / mi::automatic: the chosen estimator's result is returned
/// only when none of its checks fired (`--method auto` never returns a flagged value); otherwise it
/// refuses with the chosen estimator's reasons, the first prefixed by what was chosen and why.
inline estimate accept_automatic_choice(estimate e, const std::string& reason, const char* fn) {
  if (!e.reasons.empty()) {
    std::vector<verdict_reason> reasons = e.reasons;
    reasons.front().message = "auto chose " + e.method + " (" + reason + ") but its checks warn: " +
                              reasons.front().message;
    refuse(fn, std::move(reasons));
  }
  e.settings["auto_choice"] = e.method;
  e.settings["auto_reason"] = reason;
  return e;
}

}  // namespace infogeo
