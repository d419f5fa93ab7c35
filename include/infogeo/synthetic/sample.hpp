// Result types shared by the synthetic generators: samples together with their exact truth.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infogeo/core/sample_view.hpp"

namespace infogeo::synthetic {

/// A pair sample (X, Y), rows are samples, with the exact I(X;Y) in nats.
struct mi_sample {
  row_matrix<double> x;  ///< N x dx
  row_matrix<double> y;  ///< N x dy
  double mi = 0.0;       ///< true I(X;Y), nats
};

/// A sample X with its exact (or, where documented, approximate) differential entropy in nats.
struct entropy_sample {
  row_matrix<double> x;  ///< N x d
  double entropy = 0.0;  ///< true h(X), nats
};

}  // namespace infogeo::synthetic
