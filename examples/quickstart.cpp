// README quickstart: entropy and mutual information of samples with known truth.
#include <cmath>
#include <cstdio>
#include <infogeo/entropy/kozachenko_leonenko.hpp>
#include <infogeo/mi/ksg.hpp>

int main() {
  infogeo::random_engine rng(42);
  const double rho = 0.8;  // corr(x, y): I(X;Y) = -1/2 log(1 - rho^2)
  infogeo::row_matrix<double> x(5000, 1), y(5000, 1);
  for (int i = 0; i < 5000; ++i) {
    x(i, 0) = rng.normal();
    y(i, 0) = rho * x(i, 0) + std::sqrt(1 - rho * rho) * rng.normal();
  }
  const auto h = infogeo::entropy::kozachenko_leonenko(x);  // nats; k = 3, Euclidean
  const auto mi = infogeo::mi::ksg(x, y);                    // KSG variant 1, k = 3
  std::printf("h(X):   %.4f nats (truth %.4f)\n", h.value, 0.5 * std::log(2 * infogeo::pi * std::exp(1.0)));
  std::printf("I(X;Y): %.4f nats (truth %.4f)\n", mi.value, -0.5 * std::log(1 - rho * rho));
  return std::abs(h.value - 1.4189) < 0.05 && std::abs(mi.value - 0.5108) < 0.05 ? 0 : 1;
}
