// Built against the installed infogeo package by .ci/run; exits non-zero on a wrong answer.
#include <cmath>
#include <cstdio>

#include <infogeo/infogeo.hpp>

int main() {
  // digamma(1) = -Euler-Mascheroni constant.
  const double psi1 = infogeo::digamma(1.0);
  if (std::abs(psi1 + 0.5772156649015329) > 1e-13) {
    std::printf("consumer: digamma(1) wrong: %.17g\n", psi1);
    return 1;
  }
  std::printf("consumer: infogeo %s found and working\n", infogeo::version_string);
  return 0;
}
