// Mutual information through lossy compression (Butakov et al. 2024, ICLR, "Information
// bottleneck analysis of deep neural networks via lossy compression"): project the
// (high-dimensional) representation onto its n' leading principal components, then run any
// entropy / MI estimator on the projection. A PCA projector is fit on one sample and can be
// applied to another (e.g. fit on training activations, evaluate on test activations).
// Corollary 6 (noisy X + Z, Z ~ N(0, sigma^2 I) independent, E the PCA projection):
//   0 <= I(X+Z; Y) - I(E(X+Z); Y) <= (n - n')/2 log(1 + lambda_{n'+1} / sigma^2),
// lambda_{n'+1} the largest discarded eigenvalue of Cov(X).
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/entropy/gaussian.hpp"

namespace infogeo::mi {

/// A PCA projection x -> (x - mean) V_{n'} fitted on one sample (self-adjoint eigensolver on
/// the N - 1 covariance; cost O(N D^2 + D^3) to fit, O(N D n') to apply). The projection is
/// orthonormal, so distances within the retained subspace are preserved exactly: when the data
/// lie in an n'-dimensional affine subspace, projecting loses nothing (I is unchanged).
class pca_projector {
 public:
  pca_projector() = default;

  /// Fits on x (N x D, N >= 2). Errors: components < 1 or > D (n' > D), non-finite x.
  template <class Input>
  pca_projector(const Input& x, index_t components) {
    const char* fn = "mi::pca_projector";
    const auto view = make_view(x);
    check_samples(view, 2, fn, "x");
    require(components >= 1 && components <= view.cols(), fn,
            "components (n') must be in [1, D] (components=", components, ", D=", view.cols(), ")");
    const auto m = entropy::detail::sample_moments(to_row_matrix<double>(view), true);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(m.covariance);
    if (solver.info() != Eigen::Success) throw_numerical_error(fn, "eigen-decomposition failed");
    const index_t d = view.cols();
    variances_.resize(d);
    Eigen::MatrixXd vectors(d, d);
    for (index_t i = 0; i < d; ++i) {  // descending order; clamp rounding negatives to 0
      variances_(i) = std::max(0.0, solver.eigenvalues()(d - 1 - i));
      vectors.col(i) = solver.eigenvectors().col(d - 1 - i);
    }
    basis_ = vectors.leftCols(components);
    directions_ = std::move(vectors);
    mean_ = m.mean;
  }

  /// Projects any sample with the fitted D columns to its n' component scores (N x n').
  template <class Input>
  row_matrix<double> transform(const Input& x) const {
    const char* fn = "mi::pca_projector::transform";
    require(basis_.size() > 0, fn, "the projector is not fitted");
    const auto view = make_view(x);
    check_samples(view, 1, fn, "x");
    require(view.cols() == input_dims(), fn, "x must have the fitted number of columns (cols=",
            view.cols(), ", fitted=", input_dims(), ")");
    const row_matrix<double> centred = view.map().template cast<double>().rowwise() - mean_;
    return centred * basis_;
  }

  /// Scores of any sample on the principal directions first .. first + count - 1 (0-based, in
  /// descending variance; kept or not): what a projection to fewer components discards.
  template <class Input>
  row_matrix<double> transform_directions(const Input& x, index_t first, index_t count) const {
    const char* fn = "mi::pca_projector::transform_directions";
    require(first >= 0 && count >= 0 && first + count <= directions_.cols(), fn,
            "directions must lie in [0, D) (first=", first, ", count=", count, ", D=", directions_.cols(), ")");
    const auto view = make_view(x);
    require(view.cols() == input_dims(), fn, "x must have the fitted number of columns (cols=", view.cols(),
            ", fitted=", input_dims(), ")");
    const row_matrix<double> centred = view.map().template cast<double>().rowwise() - mean_;
    return centred * directions_.middleCols(first, count);
  }

  index_t components() const { return basis_.cols(); }
  index_t input_dims() const { return basis_.rows(); }
  /// All D eigenvalues of the fitted covariance, descending (explained variances).
  const Eigen::VectorXd& explained_variances() const { return variances_; }
  const Eigen::RowVectorXd& mean() const { return mean_; }
  /// D x n' orthonormal basis (columns = principal directions).
  const Eigen::MatrixXd& basis() const { return basis_; }
  /// Fraction of the total variance kept (1 when nothing varies).
  template <class = void>
  double retained_variance_ratio() const {
    const double total = variances_.sum();
    return total > 0.0 ? variances_.head(components()).sum() / total : 1.0;
  }
  /// lambda_{n'+1}, the largest discarded eigenvalue (0 when n' = D).
  double largest_discarded_variance() const {
    return components() < variances_.size() ? variances_(components()) : 0.0;
  }

 private:
  Eigen::RowVectorXd mean_;
  Eigen::MatrixXd basis_;
  Eigen::MatrixXd directions_;  ///< all D eigenvectors, descending (basis_ is the first n')
  Eigen::VectorXd variances_;
};

/// Corollary 6 of Butakov et al. 2024: the information lost by keeping n' of n principal
/// components of X + Z, Z ~ N(0, sigma^2 I), is at most (n - n')/2 log(1 + lambda_{n'+1}/sigma^2)
/// nats, lambda_{n'+1} the largest discarded eigenvalue of Cov(X) (variances descending, e.g.
/// pca_projector::explained_variances()). Eigenvalues of the noisy Cov(X + Z) are lambda + sigma^2,
/// so passing those gives a larger, still valid bound. Errors: sigma <= 0, components outside
/// [1, n], a negative eigenvalue.
template <class = void>
double compression_loss_bound(const Eigen::VectorXd& variances_descending, index_t components,
                              double sigma) {
  const char* fn = "mi::compression_loss_bound";
  check_positive(sigma, fn, "sigma");
  const index_t n = variances_descending.size();
  require(components >= 1 && components <= n, fn, "components (n') must be in [1, n] (components=",
          components, ", n=", n, ")");
  if (components == n) return 0.0;
  const double lambda = variances_descending(components);
  require(lambda >= 0.0 && std::isfinite(lambda), fn,
          "eigenvalues must be finite and >= 0 (lambda_{n'+1}=", lambda, ")");
  return 0.5 * static_cast<double>(n - components) * std::log1p(lambda / (sigma * sigma));
}

/// Eigenvalues at or below this fraction of the largest count as zero (numerical rank).
inline constexpr double pca_rank_tolerance = 1e-10;

/// "compression_loss" fires without a noise level when the discarded components carry more than
/// this fraction of the variance (1 %), and with one when Corollary 6's bound exceeds
/// compression_loss_tolerance nats (half the bench's 0.1-nat tolerance floor).
inline constexpr double compression_discarded_variance_tolerance = 0.01;
inline constexpr double compression_loss_tolerance = 0.05;

namespace detail {
/// The strongest dependence between a discarded direction s (a column of `scores`) and Y seen by a
/// linear and a quadratic feature (s and s^2: Y may depend on |s| or s^2 only; session 16's red team:
/// Y = 1[|v| > 0.67] and Y = v^2 + noise with v a dropped direction of sd 0.05 were missed by the
/// linear test), as the information of a Gaussian channel with that correlation, -1/2 log(1 - r^2)
/// nats: r^2 the squared correlation with a column of a continuous y, or the correlation ratio eta^2
/// (between-class share of the variance) over the classes of `codes` (0 .. C-1). Values below the
/// multiple-comparison floor of independent data are reported as 0: for m feature-column pairs, n r^2 ~ chi2_1 and
/// n eta^2 ~ chi2_{C-1} under independence; the floor is the Laurent-Massart bound df + 2 sqrt(df L) +
/// 2 L with L = log(20 m), exceeded by all m pairs together with probability < 5 %. `direction`
/// receives the column (-1 for none).
template <class = void>
double strongest_discarded_dependence(const row_matrix<double>& scores, const row_matrix<double>* y,
                                      const std::vector<std::int64_t>* codes, index_t& direction) {
  const index_t n = scores.rows();
  direction = -1;
  if (n < 3 || scores.cols() == 0) return 0.0;
  auto centred = [](Eigen::VectorXd v) { return (v.array() - v.mean()).matrix().eval(); };
  index_t classes = 0;
  if (codes != nullptr) classes = *std::max_element(codes->begin(), codes->end()) + 1;
  const double df = y != nullptr ? 1.0 : static_cast<double>(std::max<index_t>(classes - 1, 1));
  const double pairs =
      2.0 * static_cast<double>(scores.cols()) * (y != nullptr ? static_cast<double>(y->cols()) : 1.0);
  const double log_term = std::log(20.0 * pairs);
  const double floor = (df + 2.0 * std::sqrt(df * log_term) + 2.0 * log_term) / static_cast<double>(n);
  double best = 0.0;
  for (index_t feature = 0; feature < 2 * scores.cols(); ++feature) {
    const index_t j = feature / 2;
    const Eigen::VectorXd linear = centred(scores.col(j));
    const Eigen::VectorXd s = feature % 2 == 0 ? linear : centred(linear.array().square().matrix());
    const double ss = s.squaredNorm();
    if (!(ss > 0.0)) continue;
    double share = 0.0;
    if (y != nullptr) {
      for (index_t c = 0; c < y->cols(); ++c) {
        const Eigen::VectorXd t = centred(y->col(c));
        const double tt = t.squaredNorm();
        if (tt > 0.0) share = std::max(share, s.dot(t) * s.dot(t) / (ss * tt));
      }
    } else {
      std::vector<double> sum(static_cast<std::size_t>(classes), 0.0);
      std::vector<double> count(static_cast<std::size_t>(classes), 0.0);
      for (index_t i = 0; i < n; ++i) {
        sum[static_cast<std::size_t>((*codes)[static_cast<std::size_t>(i)])] += s(i);
        count[static_cast<std::size_t>((*codes)[static_cast<std::size_t>(i)])] += 1.0;
      }
      double between = 0.0;  // the scores are centred: sum_c n_c mean_c^2
      for (std::size_t c = 0; c < sum.size(); ++c)
        if (count[c] > 0.0) between += sum[c] * sum[c] / count[c];
      share = between / ss;
    }
    if (share > floor && share > best) {
      best = std::min(share, 1.0 - 1e-12);
      direction = j;
    }
  }
  return direction < 0 ? 0.0 : -0.5 * std::log1p(-best);
}
}  // namespace detail

/// The verdict on a PCA compression to n' = `components` of a sample with numerical rank `rank`
/// (projector fitted on any sample, applied to `x`, the rows paired with Y): "pca_rank" when n' > rank;
/// "compression_loss" when components with variance are discarded and the loss I(X;Y) - I(E(X);Y)
/// is not shown small (without a noise level: they carry > 1 % of the variance; with one:
/// Corollary 6's bound > 0.05 nats), or when a discarded direction carries information about Y
/// that a Gaussian channel would put above 0.05 nats (detail::strongest_discarded_dependence; y or
/// codes, one of them non-null, else not checked; session 16's red team: a latent of sd 0.01 in a
/// 10-D layer, dropped by --pca 2 at 0.005 % of the variance, read I = 0 of 0.83 with status ok).
/// Writes details "pca_discarded_dependence" (nats) and "pca_discarded_direction" (1-based index of
/// the principal direction) when checked. Cost: the scores on the rank - n' discarded directions,
/// O(N D (rank - n')), and their correlations with Y.
template <class = void>
void check_pca_compression(verdict& v, std::map<std::string, double>& details, const pca_projector& projector,
                           const row_matrix<double>& x, index_t rank,
                           double noise_sigma, const row_matrix<double>* y, const std::vector<std::int64_t>* codes) {
  const index_t components = projector.components();
  const double discarded = 1.0 - projector.retained_variance_ratio();
  if (components < rank) {
    if (noise_sigma > 0.0) {
      const double bound = compression_loss_bound(projector.explained_variances(), components, noise_sigma);
      if (bound > compression_loss_tolerance)
        v.warn("compression_loss",
               infogeo::detail::concat("the value is I(E(X); Y) <= I(X; Y); by Corollary 6 (noise sigma = ", noise_sigma,
                                       ") keeping ", components, " of ", rank,
                                       " components may lose up to ", bound, " nats: keep more components"),
               bound);
    } else if (discarded > compression_discarded_variance_tolerance) {
      v.warn("compression_loss",
             infogeo::detail::concat("the value is I(E(X); Y) <= I(X; Y) (data processing): the ", rank - components,
                                     " discarded components carry ", 100.0 * discarded,
                                     " % of the variance and the information lost is unbounded without a noise "
                                     "level (Corollary 6 needs X + Z); keep more components (up to the rank ",
                                     rank, ") or give the noise level"),
             discarded);
    }
    if (y != nullptr || codes != nullptr) {
      index_t direction = -1;
      const double lost =
          detail::strongest_discarded_dependence(projector.transform_directions(x, components, rank - components), y,
                                                 codes, direction);
      details["pca_discarded_dependence"] = lost;
      details["pca_discarded_direction"] = static_cast<double>(direction < 0 ? 0 : components + direction + 1);
      if (lost > compression_loss_tolerance && !v.has_reason("compression_loss"))
        v.warn("compression_loss",
               infogeo::detail::concat("discarded principal direction ", components + direction + 1, " (variance ",
                                       projector.explained_variances()(components + direction),
                                       ") depends on Y: a Gaussian channel with its correlation carries ", lost,
                                       " nats, which the projection to ", components,
                                       " components loses (variance is not information); keep at least ",
                                       components + direction + 1, " components"),
               lost);
    }
  }
  if (components > rank)
    v.warn("pca_rank",
           infogeo::detail::concat("asked for ", components, " principal components but X has numerical rank ", rank,
                                   " (eigenvalues <= ", pca_rank_tolerance,
                                   " x the largest): the estimate used only the ", std::max<index_t>(rank, 1),
                                   " with variance (the others are rounding noise); X lies in a ", rank,
                                   "-dimensional subspace, use --pca ", rank),
           static_cast<double>(rank));
}

/// The numerical rank of a fitted projector's sample: eigenvalues above pca_rank_tolerance x the
/// largest.
inline index_t numerical_rank(const pca_projector& projector) {
  const auto& ev = projector.explained_variances();
  const double top = ev.size() > 0 ? ev(0) : 0.0;
  index_t rank = 0;
  for (index_t j = 0; j < ev.size(); ++j) rank += ev(j) > pca_rank_tolerance * top;
  return rank;
}

/// I(E(X); Y) with E the n'-component PCA projection of X fitted on X itself, estimated by any
/// MI estimator: `estimator(const row_matrix<double>& projected_x, const Y& y)` returning an
/// estimate (e.g. a lambda calling kde_mutual_information or a kNN estimator). Adds
/// "pca_components", "pca_components_used", "pca_numerical_rank", "pca_input_dims",
/// "pca_retained_variance_ratio", "pca_largest_discarded_variance" to details and, when
/// noise_sigma > 0 (X already noisy with that std), "compression_loss_bound" (Corollary 6, computed
/// with the eigenvalues of the noisy sample: conservative). Components beyond the numerical rank of X
/// (eigenvalues <= pca_rank_tolerance of the largest) are not passed to the estimator: their scores
/// are rounding noise, which carries no information about Y, but a k-NN estimator standardises them
/// to unit scale and counts them as dimensions (session 14: on a rank-1 X kept at n' = 4, KSG read
/// 0.95, 0.90 or 0.90 depending on the thread count, because the summation order changed the
/// noise). The estimator therefore sees min(n', rank) >= 1 components, and the verdict warns
/// ("pca_rank") that n' exceeded the rank. It warns ("compression_loss") when components with
/// variance are discarded and the loss I(X;Y) - I(E(X);Y) is not shown small: without noise_sigma
/// when they carry > 1 % of the variance, with it when Corollary 6's bound exceeds 0.05 nats. The
/// k-NN MI estimators standardise the projected coordinates by default. Errors: those of
/// pca_projector and the estimator.
template <class X, class Y, class Estimator>
estimate compressed_mutual_information(const X& x, const Y& y, index_t components,
                                       Estimator&& estimator, double noise_sigma = 0.0) {
  const pca_projector projector(x, components);
  const index_t rank = numerical_rank(projector);
  const index_t used = std::max<index_t>(1, std::min(components, rank));
  const row_matrix<double> projected = projector.transform(x).leftCols(used);
  estimate e = estimator(projected, y);
  e.details["pca_components"] = static_cast<double>(components);
  e.details["pca_components_used"] = static_cast<double>(used);
  e.details["pca_numerical_rank"] = static_cast<double>(rank);
  e.details["pca_input_dims"] = static_cast<double>(projector.input_dims());
  e.details["pca_retained_variance_ratio"] = projector.retained_variance_ratio();
  e.details["pca_largest_discarded_variance"] = projector.largest_discarded_variance();
  if (noise_sigma > 0.0)
    e.details["compression_loss_bound"] =
        compression_loss_bound(projector.explained_variances(), components, noise_sigma);
  e.settings["compression"] = "pca";
  // Discarded components that carry variance: the value is I(E(X); Y) <= I(X; Y) (data processing),
  // and the loss is bounded only for a noisy X (Corollary 6); a discarded direction that Y depends
  // on is measured where Y is a sample matrix or a label vector.
  const row_matrix<double> mx = to_row_matrix<double>(make_view(x));
  if constexpr (std::is_same_v<Y, row_matrix<double>>) {
    check_pca_compression(e, e.details, projector, mx, rank, noise_sigma, &y, nullptr);
  } else if constexpr (std::is_same_v<Y, std::vector<std::int64_t>>) {
    const label_encoding coded = encode_labels(y, default_max_classes, "mi::compressed_mutual_information", "y");
    check_pca_compression(e, e.details, projector, mx, rank, noise_sigma, nullptr, &coded.codes);
  } else {
    check_pca_compression(e, e.details, projector, mx, rank, noise_sigma, nullptr, nullptr);
  }
  return e;
}

}  // namespace infogeo::mi
