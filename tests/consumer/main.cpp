// Built against the installed infogeo package by .ci/run; exits non-zero on a wrong answer.
#include <cmath>
#include <cstdio>

#include <infogeo/infogeo.hpp>

double xtensor_gaussian_entropy();  // include_order.cpp

int main() {
  // digamma(1) = -Euler-Mascheroni constant.
  const double psi1 = infogeo::digamma(1.0);
  if (std::abs(psi1 + 0.5772156649015329) > 1e-13) {
    std::printf("consumer: digamma(1) wrong: %.17g\n", psi1);
    return 1;
  }
  const double h = xtensor_gaussian_entropy();
  if (std::abs(h - 0.5 * std::log(2.0 * infogeo::pi * std::exp(1.0))) > 0.05) {
    std::printf("consumer: Gaussian entropy of an xarray wrong: %.6g\n", h);
    return 1;
  }
  std::printf("consumer: infogeo %s found and working\n", infogeo::version_string);
  return 0;
}
