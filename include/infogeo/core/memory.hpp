// Memory estimates checked before a large allocation: a size given by a user (a hidden width of
// 1e8, 1e5 mixture components, a huge label) is refused with a message naming it and the estimated
// bytes, instead of allocating gigabytes, thrashing or being killed.
//
// The limit: the environment variable INFOGEO_MEMORY_LIMIT_BYTES (a positive integer number of
// bytes) when set; otherwise 80 % of the physical memory (POSIX sysconf); otherwise (no sysconf)
// 8 GiB. Estimates are of the dominant arrays only (documented where they are computed), so they
// are meant to catch sizes that are wrong by orders of magnitude, not to budget to the byte.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace infogeo {

/// The number of bytes memory_check() accepts (see the header comment). Throws invalid_argument
/// when INFOGEO_MEMORY_LIMIT_BYTES is set but is not a positive integer.
inline double memory_limit_bytes() {
  if (const char* env = std::getenv("INFOGEO_MEMORY_LIMIT_BYTES")) {
    const std::string text(env);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    require(!text.empty() && end == text.c_str() + text.size() && std::isfinite(v) && v >= 1 && v == std::floor(v),
            "memory_limit_bytes", "INFOGEO_MEMORY_LIMIT_BYTES must be a positive integer number of bytes (",
            "INFOGEO_MEMORY_LIMIT_BYTES=", text, ")");
    return v;
  }
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return 0.8 * static_cast<double>(pages) * static_cast<double>(page);
#endif
  return 8.0 * 1024 * 1024 * 1024;
}

/// Bytes of an array of `element_bytes`-sized elements with the product of `sizes` elements,
/// computed in double so that it never wraps (1e8 x 1e8 is 8e16, not a small wrapped number).
inline double array_bytes(std::initializer_list<double> sizes, double element_bytes = 8.0) {
  double bytes = element_bytes;
  for (const double s : sizes) bytes *= s;
  return bytes;
}

/// Estimated bytes to train a fully connected network `inputs` -> `hidden`... -> `outputs` by
/// minibatch gradient descent on `rows` rows at a time: parameters, gradient and two Adam moments
/// (4 P doubles, P = sum (a + 1) b over the layers a -> b) plus the forward and backward
/// activations (3 rows (sum hidden + outputs) doubles). Used to refuse absurd widths before the
/// network is allocated (DoE q(z|x), variational critics, V-information MLP decoders).
inline double mlp_training_bytes(double inputs, const std::vector<double>& hidden, double outputs, double rows) {
  double params = 0.0, units = outputs, previous = inputs;
  for (const double w : hidden) {
    params += (previous + 1.0) * w;
    units += w;
    previous = w;
  }
  params += (previous + 1.0) * outputs;
  return 8.0 * (4.0 * params + 3.0 * rows * units);
}

/// "11.4 GB": a byte count for messages (decimal units).
inline std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 6) {
    bytes /= 1000.0;
    ++u;
  }
  char text[64];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return text;
}

/// Refuses (invalid_argument from `function`) when `estimated_bytes` exceeds memory_limit_bytes(),
/// naming `what` (an option and its value, e.g. "--hidden 100000000") and both byte counts; a
/// non-finite estimate (an overflowing size) is refused too.
inline void memory_check(double estimated_bytes, const char* function, const std::string& what) {
  const double limit = memory_limit_bytes();
  if (!(estimated_bytes <= limit)) {
    char exact[64];
    std::snprintf(exact, sizeof exact, "%.0f", estimated_bytes);
    throw_invalid_argument(function, what, " needs an estimated ", format_bytes(estimated_bytes), " (",
                           exact, " bytes), more than the memory limit of ", format_bytes(limit),
                           std::getenv("INFOGEO_MEMORY_LIMIT_BYTES") != nullptr
                               ? " (INFOGEO_MEMORY_LIMIT_BYTES)"
                               : " (80 % of physical memory; INFOGEO_MEMORY_LIMIT_BYTES sets another)");
  }
}

}  // namespace infogeo
