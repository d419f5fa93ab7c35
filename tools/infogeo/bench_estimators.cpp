// The estimators `infogeo bench` runs, registered into the harness registry
// (include/infogeo/harness/estimator.hpp, which already holds the Gaussian plug-in). Each entry
// uses the library's defaults unless a comment says why a setting differs; every estimator
// family adds itself here as it lands.
#include <string>

#include "infogeo/harness/estimator.hpp"
#include "infogeo/mi/doe.hpp"

namespace infogeo::cli {
namespace {

using harness::estimator;
using harness::estimator_registrar;

// Difference-of-entropies (McAllester & Stratos 2020) with Gaussian densities, library defaults
// (64-64 tanh MLP, 50 epochs max with early stopping, 20 % held out).
estimator doe_estimator(const std::string& name, mi::doe_family family, const std::string& description) {
  estimator e;
  e.name = name;
  e.description = description;
  e.slow = true;  // trains two networks per fit: seconds, not milliseconds
  e.mi = [family](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::doe_options o;
    o.family = family;
    return mi::doe_mutual_information(x, y, o).mi.value;
  };
  e.entropy = [family](const row_matrix<double>& x) {
    mi::doe_options o;
    o.family = family;
    return mi::doe_entropy(x, o).entropy.value;
  };
  return e;
}

const estimator_registrar doe_gauss{
    doe_estimator("doe-gauss", mi::doe_family::gaussian, "difference of entropies, Gaussian q(z), q(z|x)")};

}  // namespace
}  // namespace infogeo::cli
