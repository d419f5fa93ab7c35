// Multivariate Student-t pairs with closed-form mutual information, and the Student-t entropy.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/synthetic/gaussian_mi.hpp"
#include "infogeo/synthetic/sample.hpp"

namespace infogeo::synthetic {

/// Differential entropy (nats) of a d-dimensional Student-t with nu degrees of freedom and scale
/// matrix S (log det S = `log_det_scale`):
///   h = 1/2 log det S + d/2 log(nu pi) + log G(nu/2) - log G((nu+d)/2)
///       + (nu+d)/2 [psi((nu+d)/2) - psi(nu/2)]
/// (Kotz & Nadarajah 2004, Multivariate t Distributions, eq. 1.9 / Arellano-Valle et al. 2013).
inline double student_t_entropy(double nu, index_t d = 1, double log_det_scale = 0.0) {
  require(std::isfinite(nu) && nu > 0.0, "synthetic::student_t_entropy", "nu must be > 0 (nu=", nu, ")");
  require(d >= 1, "synthetic::student_t_entropy", "d must be >= 1 (d=", d, ")");
  const double dd = static_cast<double>(d);
  const double a = 0.5 * (nu + dd);
  return 0.5 * log_det_scale + 0.5 * dd * std::log(nu * pi) + lgamma_positive(0.5 * nu) -
         lgamma_positive(a) + a * (digamma(a) - digamma(0.5 * nu));
}

/// The degrees-of-freedom term of the MI of a (dx + dy)-dimensional Student-t pair:
/// I(X;Y) = I_gauss + c(nu, dx, dy) with I_gauss = -1/2 sum log(1 - rho_i^2) computed from the
/// scale matrix, and (marginals of a t are t with the same nu; the log det and log(nu pi) parts
/// of h_x + h_y - h_xy reduce to I_gauss and 0):
///   c = log G(nu/2) + log G((nu+d)/2) - log G((nu+dx)/2) - log G((nu+dy)/2)
///       + (nu+dx)/2 psi((nu+dx)/2) + (nu+dy)/2 psi((nu+dy)/2)
///       - (nu+d)/2 psi((nu+d)/2) - nu/2 psi(nu/2),       d = dx + dy.
/// c > 0 (the shared chi-square scale makes X and Y dependent even when uncorrelated) and
/// c -> 0 as nu -> inf. Checked against 2-D numerical integration in tests/test_synthetic.cpp.
inline double student_t_mi_correction(double nu, index_t dx, index_t dy) {
  require(std::isfinite(nu) && nu > 0.0, "synthetic::student_t_mi_correction", "nu must be > 0 (nu=", nu, ")");
  require(dx >= 1 && dy >= 1, "synthetic::student_t_mi_correction", "dims must be >= 1 (dx=", dx, ", dy=", dy, ")");
  return student_t_entropy(nu, dx) + student_t_entropy(nu, dy) - student_t_entropy(nu, dx + dy);
}

/// n samples of a Student-t pair: (xi, eta) correlated Gaussian as in correlated_gaussian_spectrum
/// (scale matrix with canonical correlations rho), divided jointly by sqrt(W / nu), W ~ chi2(nu).
/// Truth: I = -1/2 sum log(1 - rho_i^2) + student_t_mi_correction(nu, dx, dy).
inline mi_sample student_t_pairs_spectrum(index_t n, index_t dx, index_t dy, const std::vector<double>& rho,
                                          double nu, std::uint64_t seed) {
  require(std::isfinite(nu) && nu > 0.0, "synthetic::student_t_pairs", "nu must be > 0 (nu=", nu, ")");
  mi_sample s = correlated_gaussian_spectrum(n, dx, dy, rho, seed);
  random_engine rng(seed ^ 0x5EED57ULL);
  for (index_t i = 0; i < n; ++i) {
    const double scale = std::sqrt(nu / rng.chi_square(nu));
    s.x.row(i) *= scale;
    s.y.row(i) *= scale;
  }
  s.mi = gaussian_mi_from_correlations(rho) + student_t_mi_correction(nu, dx, dy);
  return s;
}

/// Student-t pair with total I(X;Y) = mi nats: the Gaussian part mi - c(nu, dx, dy) is spread
/// over k = min(dx, dy) equal correlations (Butakov et al. 2024, Statement 5). Requires
/// mi >= c(nu, dx, dy) (no t pair with these dims and nu has less dependence).
inline mi_sample student_t_pairs(index_t n, index_t dx, index_t dy, double mi, double nu, std::uint64_t seed) {
  const double c = student_t_mi_correction(nu, dx, dy);
  require(std::isfinite(mi) && mi >= c, "synthetic::student_t_pairs",
          "mi must be >= the degrees-of-freedom term c(nu, dx, dy) (mi=", mi, ", c=", c, ", nu=", nu, ")");
  const index_t k = std::min(dx, dy);
  const double a = correlation_for_mi(mi - c, k);
  mi_sample s = student_t_pairs_spectrum(n, dx, dy, std::vector<double>(static_cast<std::size_t>(k), a), nu, seed);
  s.mi = mi;
  return s;
}

}  // namespace infogeo::synthetic
