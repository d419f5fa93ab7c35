// Error types and the message convention used everywhere in infogeo:
//   "infogeo::<function>(): <argument> <problem> (<argument>=<value>, ...)"
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace infogeo {

/// Bad input: wrong shape, too few samples, NaN/Inf, out-of-range parameter, corrupt file.
/// Derives from std::invalid_argument so generic handlers still catch it.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Numerical trouble that depends on the data and leaves no honest number to return
/// (e.g. a singular covariance where the estimator needs its inverse).
class numerical_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream os;
  os.precision(17);
  (os << ... << std::forward<Parts>(parts));
  return os.str();
}

}  // namespace detail

/// Throws infogeo::invalid_argument with the message "infogeo::<function>(): <parts...>".
template <class... Parts>
[[noreturn]] void throw_invalid_argument(const char* function, Parts&&... parts) {
  throw invalid_argument(
      detail::concat("infogeo::", function, "(): ", std::forward<Parts>(parts)...));
}

/// Throws infogeo::numerical_error with the message "infogeo::<function>(): <parts...>".
template <class... Parts>
[[noreturn]] void throw_numerical_error(const char* function, Parts&&... parts) {
  throw numerical_error(
      detail::concat("infogeo::", function, "(): ", std::forward<Parts>(parts)...));
}

/// Throws invalid_argument unless `condition` holds.
template <class... Parts>
void require(bool condition, const char* function, Parts&&... parts) {
  if (!condition) throw_invalid_argument(function, std::forward<Parts>(parts)...);
}

}  // namespace infogeo
