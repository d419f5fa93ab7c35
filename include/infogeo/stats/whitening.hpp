// The sample covariance's Cholesky factor, Cholesky whitening and variance inflation factors, in
// plain loops over Eigen/Core matrices (no Eigen decomposition is instantiated: the k-NN MI
// estimators include this in every TU that estimates an MI; docs/performance_compile.md).
//   covariance_cholesky(x, columns): S = L L^T over the chosen columns (maximum-likelihood S);
//   whiten_columns(x, columns): those columns replaced by L^-1 (x_i - m), identity sample covariance;
//   max_variance_inflation(x, columns): max_j VIF_j = S_jj (S^-1)_jj = 1 / (1 - R^2 of column j on
//   the others), the classical collinearity diagnostic (Marquardt 1970, Technometrics 12, p. 610).
// MI is invariant under an invertible linear map of X (and one of Y), so whitening each side
// changes I(X;Y) not at all, while it can change a k-NN estimate a lot (docs/verdicts.md,
// "correlated_columns").
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::stats {

/// Mean and lower Cholesky factor of the maximum-likelihood covariance of some columns of a sample.
struct covariance_factor {
  std::vector<index_t> columns;  ///< the sample's columns, in the factor's order
  std::vector<double> mean;      ///< per factor column
  std::vector<double> lower;     ///< d x d row-major; row a holds L_a0 .. L_aa
  bool positive_definite = true; ///< false: a pivot within the tolerance (collinear columns); L unusable
  index_t dims() const { return static_cast<index_t>(columns.size()); }
};

/// Relative rank tolerance of covariance_cholesky() for n rows in d dimensions: a Cholesky pivot at or
/// below this times S_aa counts as zero. Its parts: the covariance is summed in blocks of ~sqrt(n)
/// rows, so each entry's rounding error is at most ~2 sqrt(n) u sqrt(S_aa S_bb) (recursive
/// summation's bound, (m - 1) u sum |terms|, at each of the two levels; Higham 2002, eq. 4.4); the
/// Cholesky recurrence adds O(d u S_aa); a pivot combines up to d entries of each row (taken as a
/// factor d); and 16 is the margin. Hence 16 u d (d + 2 sqrt(n)). Measured (as Mardia's kurtosis'
/// tolerance, session 15): exactly collinear columns (d = 3, 10; n = 500 to 1e6; 8 seeds) are all
/// caught, where a tolerance without the n term (16 u d) missed 6 of the 32 sets at n >= 2e5; a
/// column with 1 - R^2 = 1e-8 is not.
inline double cholesky_pivot_tolerance(index_t n, index_t d) {
  const auto dd = static_cast<double>(d);
  return 16.0 * std::numeric_limits<double>::epsilon() * dd * (dd + 2.0 * std::sqrt(static_cast<double>(n)));
}

/// All columns of a d-column sample, 0 .. d - 1.
inline std::vector<index_t> all_columns(index_t d) {
  std::vector<index_t> c(static_cast<std::size_t>(d));
  std::iota(c.begin(), c.end(), index_t{0});
  return c;
}

/// S = L L^T over `columns` of x: S from centred rows (lower triangle, summed in blocks of ~sqrt(N)
/// rows), L by the Cholesky-Banachiewicz recurrence. O(N d^2) time, O(d^2) memory. A pivot within
/// cholesky_pivot_tolerance() sets positive_definite = false (the columns are collinear).
template <class = void>
covariance_factor covariance_cholesky(const row_matrix<double>& x, const std::vector<index_t>& columns) {
  covariance_factor f;
  f.columns = columns;
  const index_t n_rows = x.rows();
  const index_t d = f.dims();
  const auto n = static_cast<double>(n_rows);
  f.mean.assign(static_cast<std::size_t>(d), 0.0);
  for (index_t i = 0; i < n_rows; ++i)
    for (index_t a = 0; a < d; ++a) f.mean[a] += x(i, columns[a]);
  for (double& m : f.mean) m /= n;
  f.lower.assign(static_cast<std::size_t>(d * d), 0.0);
  std::vector<double> block(f.lower.size(), 0.0);
  std::vector<double> centred(static_cast<std::size_t>(d));
  const auto block_rows = static_cast<index_t>(std::ceil(std::sqrt(n)));
  for (index_t i = 0; i < n_rows; ++i) {
    for (index_t a = 0; a < d; ++a) centred[a] = x(i, columns[a]) - f.mean[a];
    for (index_t a = 0; a < d; ++a) {
      double* row = block.data() + a * d;
      const double ca = centred[a];
      for (index_t b = 0; b <= a; ++b) row[b] += ca * centred[b];
    }
    if ((i + 1) % block_rows == 0 || i + 1 == n_rows) {
      for (std::size_t j = 0; j < f.lower.size(); ++j) f.lower[j] += block[j];
      std::fill(block.begin(), block.end(), 0.0);
    }
  }
  for (double& s : f.lower) s /= n;
  const double pivot_tolerance = cholesky_pivot_tolerance(n_rows, d);
  for (index_t a = 0; a < d; ++a) {
    double* row_a = f.lower.data() + a * d;
    for (index_t b = 0; b <= a; ++b) {
      const double* row_b = f.lower.data() + b * d;
      double s = row_a[b];
      for (index_t k = 0; k < b; ++k) s -= row_a[k] * row_b[k];
      if (a == b) {
        // Pivot = S_aa (1 - R^2 of column a on the columns before it). Within the rounding error of
        // S it is not variance: the columns are collinear and S is singular in all but name.
        if (!(s > pivot_tolerance * row_a[a])) {
          f.positive_definite = false;
          return f;
        }
        row_a[a] = std::sqrt(s);
      } else {
        row_a[b] = s / row_b[b];
      }
    }
  }
  return f;
}

/// w = L^-1 (x_i - m) for row i, by forward substitution (w has f.dims() entries).
template <class = void>
void whiten_row(const covariance_factor& f, const row_matrix<double>& x, index_t i, std::vector<double>& w) {
  const index_t d = f.dims();
  w.resize(static_cast<std::size_t>(d));
  for (index_t a = 0; a < d; ++a) {
    const double* row = f.lower.data() + a * d;
    double s = x(i, f.columns[a]) - f.mean[a];
    for (index_t k = 0; k < a; ++k) s -= row[k] * w[k];
    w[a] = s / row[a];
  }
}

/// max_j VIF_j over the factor's columns, VIF_j = S_jj (S^-1)_jj = 1 / (1 - R_j^2), R_j^2 that of
/// column j regressed on the others (1 for independent columns and for d = 1). (S^-1)_jj is the
/// squared norm of column j of L^-1 (forward substitution of L v = e_j): O(d^3 / 3) in all. Infinity when the factor is not positive definite.
template <class = void>
double max_variance_inflation(const covariance_factor& f) {
  if (!f.positive_definite) return std::numeric_limits<double>::infinity();
  const index_t d = f.dims();
  // inverse_col holds column j of L^-1 (entries j..d-1; the rest are 0); (S^-1)_jj = |L^-1 e_j|^2.
  std::vector<double> inverse_col(static_cast<std::size_t>(d));
  double worst = 1.0;
  for (index_t j = 0; j < d; ++j) {
    double norm2 = 0.0;
    for (index_t a = j; a < d; ++a) {
      const double* row = f.lower.data() + a * d;
      double s = a == j ? 1.0 : 0.0;
      for (index_t k = j; k < a; ++k) s -= row[k] * inverse_col[k];
      inverse_col[a] = s / row[a];
      norm2 += inverse_col[a] * inverse_col[a];
    }
    double s_jj = 0.0;  // S_jj = |row j of L|^2
    const double* row_j = f.lower.data() + j * d;
    for (index_t k = 0; k <= j; ++k) s_jj += row_j[k] * row_j[k];
    worst = std::max(worst, s_jj * norm2);
  }
  return worst;
}

/// Replaces f.columns of x by L^-1 (x_i - m) with an already computed, positive definite factor f of x
/// (whiten_columns() without computing the factor again).
template <class = void>
void whiten_with(const covariance_factor& f, row_matrix<double>& x) {
  std::vector<double> w;
  for (index_t i = 0; i < x.rows(); ++i) {
    whiten_row(f, x, i, w);
    for (index_t a = 0; a < f.dims(); ++a) x(i, f.columns[a]) = w[a];
  }
}

/// Replaces `columns` of x by their Cholesky whitening L^-1 (x_i - m) (sample covariance = I over
/// those columns; the other columns are left as they are). Returns false and leaves x unchanged
/// when the columns are collinear (no invertible whitening exists). `log_abs_det`, when given, receives
/// log |det L| = 1/2 log det S, the entropy the map removes: h(X) = h(W) + log |det L|.
template <class = void>
bool whiten_columns(row_matrix<double>& x, const std::vector<index_t>& columns, double* log_abs_det = nullptr) {
  const covariance_factor f = covariance_cholesky(x, columns);
  if (!f.positive_definite) return false;
  if (log_abs_det) {
    *log_abs_det = 0.0;
    for (index_t a = 0; a < f.dims(); ++a) *log_abs_det += std::log(f.lower[static_cast<std::size_t>(a * f.dims() + a)]);
  }
  whiten_with(f, x);
  return true;
}

}  // namespace infogeo::stats
