// The verdict every estimate carries: ok, warning (value kept, reasons given) or refused (no value).
// See docs/verdicts.md for the list of reason codes and ../DESIGN "Every number carries its verdict".
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo {

/// How far an estimate can be believed on the data it was computed from.
enum class verdict_status {
  ok,       ///< the data are in the estimator's home ground as far as its checks can tell
  warning,  ///< a value is returned, but a check fired: read the reasons before using it
  refused   ///< no honest number exists; the library throws refused_error instead of returning
};

inline const char* to_string(verdict_status s) {
  switch (s) {
    case verdict_status::ok: return "ok";
    case verdict_status::warning: return "warning";
    case verdict_status::refused: return "refused";
  }
  return "unknown";
}

/// One machine-readable reason behind a warning or a refusal.
struct verdict_reason {
  std::string code;             ///< stable identifier, e.g. "intrinsic_dimension" (docs/verdicts.md)
  std::string message;          ///< one sentence: what was measured, why it matters, what to do instead
  std::optional<double> value;  ///< the measured quantity the check compared against its threshold
};

/// The verdict fields every result carries (infogeo::estimate, the V-information results, ...).
struct verdict {
  verdict_status status = verdict_status::ok;  ///< ok / warning (see reasons); refused never returns
  std::vector<verdict_reason> reasons;         ///< why the status is not ok (docs/verdicts.md)

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
};

/// Thrown when an estimator refuses (verdict_status::refused). It is a numerical_error, so existing
/// handlers still catch it; reasons() carries the machine-readable codes.
class refused_error : public numerical_error {
 public:
  refused_error(const std::string& what, std::vector<verdict_reason> reasons)
      : numerical_error(what), reasons_(std::move(reasons)) {}
  const std::vector<verdict_reason>& reasons() const noexcept { return reasons_; }

 private:
  std::vector<verdict_reason> reasons_;
};

/// Throws refused_error with the message "infogeo::<function>(): refused: <first reason's message>"
/// (further reasons are appended, separated by "; ").
[[noreturn]] inline void refuse(const char* function, std::vector<verdict_reason> reasons) {
  std::string text = detail::concat("infogeo::", function, "(): refused: ");
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (i > 0) text += "; ";
    text += reasons[i].message + " [" + reasons[i].code + "]";
  }
  throw refused_error(text, std::move(reasons));
}

/// Convenience for a single reason.
[[noreturn]] inline void refuse(const char* function, std::string code, std::string message,
                                std::optional<double> value = std::nullopt) {
  refuse(function, std::vector<verdict_reason>{{std::move(code), std::move(message), value}});
}

}  // namespace infogeo
