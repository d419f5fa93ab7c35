// Neural-collapse metrics from a finalized class_scatter (geometry/class_scatter.hpp).
//
// Between-class scatter, two weightings (Z = rows mu_c - mu, C non-empty classes, pi_c = W_c / W):
//   count          : Sigma_B = M M^T, M = [sqrt(pi_c)(mu_c - mu)]  (D x C); Sigma_T = Sigma_W + Sigma_B
//   class_balanced : Sigma_B = (1/C) sum_c (mu_c - mu_bar)(mu_c - mu_bar)^T, mu_bar = (1/C) sum_c mu_c
//                    (Papyan, Han & Donoho 2020, PNAS, Sec. 3 / Fig. 6, for balanced classes)
// Sigma_W is always the pooled, sample-weighted within-class covariance (Papyan et al.'s Sigma_W);
// on balanced data both weightings coincide. Both M are linear in Z: M = Z^T A with a C x C matrix A.
//
// tr(Sigma_W Sigma_B^+) without a D x D pseudoinverse: with G = M^T M = V L V^T (C x C),
// Sigma_B^+ = M V L^-2 V^T M^T over the kept eigenpairs, hence
//   tr(Sigma_W Sigma_B^+) = sum_{k kept} (V^T K V)_kk / l_k^2,   K = M^T Sigma_W M = A^T P A,
// where P = Z Sigma_W Z^T is exactly what the projected accumulator stores. Cost O(C^3) after the
// scatter. (A D x D pinv of the rank-(C-1) Sigma_B keeps rounding-noise eigenvalues at default
// tolerances and can be off by 10 orders of magnitude at D = 2048, C = 100; see docs/geometry.md.)
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/geometry/class_scatter.hpp"

namespace infogeo::geometry {

/// Weighting of the between-class scatter (see the file comment).
enum class between_weighting { count, class_balanced };

/// Which eigenpairs of the C x C Gram G = M^T M enter the pseudoinverse.
enum class rank_rule {
  relative_tolerance,  ///< keep l_k > rtol * l_max (default rtol 1e-10)
  keep_c_minus_1       ///< keep exactly the top C-1 (the generic rank); needs D >= C-1
};

/// Options of within_between_trace() / neural_collapse().
struct collapse_options {
  between_weighting weighting = between_weighting::count;
  rank_rule rule = rank_rule::relative_tolerance;
  /// Relative eigenvalue tolerance on G. Rounding puts the exact-zero eigenvalue of G near
  /// C * eps * l_max ~ 1e-14 l_max; 1e-10 leaves four decades of margin while kept eigenvalues
  /// still carry ~1e-6 relative accuracy (eps / rtol). Must lie in (0, 1).
  double rtol = 1e-10;
};

/// Result of within_between_trace().
struct trace_result {
  double trace = 0.0;              ///< tr(Sigma_W Sigma_B^+)
  double nc1 = 0.0;                ///< trace / C (Papyan et al. 2020, NC1)
  index_t rank = 0;                ///< eigenpairs of G kept (rank of Sigma_B used)
  index_t num_classes = 0;         ///< C (non-empty classes)
  double tr_between = 0.0;         ///< tr(Sigma_B) = tr(G)
  Eigen::VectorXd eigenvalues;     ///< eigenvalues of G, descending (= squared singular values of M)
  std::vector<std::string> diagnostics;
};

namespace detail {

template <class = void>
void require_two_classes(const class_scatter& s, const char* fn) {
  require(s.num_classes() >= 2, fn, "needs at least 2 non-empty classes (classes=", s.num_classes(), ")");
}

/// A with M = Z^T A (C x C).
template <class = void>
Eigen::MatrixXd between_coefficients(const class_scatter& s, between_weighting w) {
  const index_t c = s.num_classes();
  if (w == between_weighting::count) return s.fractions().cwiseSqrt().asDiagonal();
  const double cd = static_cast<double>(c);
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(c, c);
  a.array() -= 1.0 / cd;
  return a / std::sqrt(cd);
}

/// Rows mu_c - centre, centre = mu (count) or mu_bar (class_balanced): the class means used by NC2/NC3.
template <class = void>
row_matrix<double> centred_class_means(const class_scatter& s, between_weighting w) {
  if (w == between_weighting::count) return s.centred_means;
  const Eigen::RowVectorXd mean_row = s.centred_means.colwise().mean();
  return s.centred_means.rowwise() - mean_row;
}

}  // namespace detail

/// G = M^T M (C x C), whose nonzero eigenvalues are those of Sigma_B. O(C^2 D).
template <class = void>
Eigen::MatrixXd between_gram(const class_scatter& s, between_weighting w = between_weighting::count) {
  const Eigen::MatrixXd a = detail::between_coefficients(s, w);
  const Eigen::MatrixXd zz = s.centred_means * s.centred_means.transpose();
  return a.transpose() * zz * a;
}

/// Sigma_B (D x D) explicitly, O(D^2 C); for checks and small D only.
template <class = void>
Eigen::MatrixXd between_scatter(const class_scatter& s, between_weighting w = between_weighting::count) {
  const Eigen::MatrixXd m = s.centred_means.transpose() * detail::between_coefficients(s, w);  // D x C
  return m * m.transpose();
}

/// tr(Sigma_W Sigma_B^+) (Papyan, Han & Donoho 2020, PNAS, eq. in Sec. 3 "NC1": Tr(Sigma_W Sigma_B^+)/C),
/// through the eigendecomposition of the C x C Gram of M (see the file comment); never a D x D
/// pseudoinverse. Reports the rank used; a rank below C-1 (affinely dependent class means, D < C-1)
/// is kept with a diagnostic.
/// Errors: invalid_argument for C < 2, bad rtol, keep_c_minus_1 with D < C-1; numerical_error when
/// Sigma_B is zero (all class means coincide) or keep_c_minus_1 meets an eigenvalue at rounding level.
/// Units: squared feature units cancel; dimensionless. Bias: plug-in (population moments); with few
/// samples per class the noise in the class means inflates tr(Sigma_B) by ~tr(Sigma_W)/n_c per class.
template <class = void>
trace_result within_between_trace(const class_scatter& s, const collapse_options& options = {}) {
  const char* fn = "within_between_trace";
  detail::require_two_classes(s, fn);
  require(options.rtol > 0.0 && options.rtol < 1.0, fn, "rtol must be in (0, 1) (rtol=", options.rtol, ")");
  const index_t c = s.num_classes();
  if (options.rule == rank_rule::keep_c_minus_1)
    require(s.dim >= c - 1, fn, "keep_c_minus_1 needs dim >= C-1: Sigma_B has rank <= dim (dim=", s.dim,
            ", C=", c, ")");
  const Eigen::MatrixXd a = detail::between_coefficients(s, options.weighting);
  const Eigen::MatrixXd g = between_gram(s, options.weighting);
  const Eigen::MatrixXd k = a.transpose() * s.projected_within * a;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g);
  if (eig.info() != Eigen::Success) throw_numerical_error(fn, "eigendecomposition of the C x C Gram failed");
  trace_result r;
  r.num_classes = c;
  r.eigenvalues = eig.eigenvalues().reverse();
  const Eigen::MatrixXd v = eig.eigenvectors().rowwise().reverse();
  const double lmax = r.eigenvalues(0);
  r.tr_between = g.trace();
  if (!(lmax > 0.0) || !std::isfinite(lmax))
    throw_numerical_error(fn, "Sigma_B is zero: all class means coincide (largest Gram eigenvalue=", lmax, ")");
  index_t keep = 0;
  if (options.rule == rank_rule::relative_tolerance) {
    while (keep < c && r.eigenvalues(keep) > options.rtol * lmax) ++keep;
  } else {
    keep = c - 1;
    const double floor = 16.0 * static_cast<double>(c) * std::numeric_limits<double>::epsilon() * lmax;
    if (!(r.eigenvalues(keep - 1) > floor))
      throw_numerical_error(fn, "keep_c_minus_1: eigenvalue ", keep, " of the Gram is at rounding level (",
                            "ratio to largest=", r.eigenvalues(keep - 1) / lmax,
                            "): the class means are affinely dependent; use relative_tolerance");
  }
  r.rank = keep;
  double trace = 0.0;
  for (index_t j = 0; j < keep; ++j) {
    const double l = r.eigenvalues(j);
    trace += v.col(j).dot(k * v.col(j)) / (l * l);
  }
  r.trace = trace;
  r.nc1 = trace / static_cast<double>(c);
  if (keep < c - 1)
    r.diagnostics.push_back(infogeo::detail::concat("rank of Sigma_B used is ", keep, " < C-1 = ", c - 1,
                                           " (class means affinely dependent, or dim < C-1); smallest kept "
                                           "eigenvalue ratio=", r.eigenvalues(keep - 1) / lmax));
  if (keep < c && r.eigenvalues(keep) > 1e3 * options.rtol * lmax)
    r.diagnostics.push_back(infogeo::detail::concat("largest dropped Gram eigenvalue is close to rtol (ratio=",
                                           r.eigenvalues(keep) / lmax, ", rtol=", options.rtol, ")"));
  return r;
}

/// tr(Sigma_B) (= tr(G)).
template <class = void>
double between_trace(const class_scatter& s, between_weighting w = between_weighting::count) {
  return between_gram(s, w).trace();
}

/// Class-distance normalised variance (Galanti, Gyorgy & Hutter 2021, "On the role of neural collapse
/// in transfer learning", Def. 1; as written in "Geometric and information compression of
/// representations in deep learning", eq. 3):
///   V(i,j) = (Var_i + Var_j) / (2 ||mu_i - mu_j||^2),   Var_c = tr(Sigma_c) = E||x - mu_c||^2,
///   CDNV = 1/(C(C-1)) sum_{i<j} (Var_i + Var_j)/||mu_i - mu_j||^2 = mean_{i != j} V(i,j).
struct cdnv_result {
  double value = 0.0;         ///< CDNV; +infinity when two class means coincide (see diagnostics)
  Eigen::MatrixXd pairs;      ///< V(i,j), C x C symmetric, zero diagonal
  std::vector<std::string> diagnostics;
};

/// Errors: invalid_argument if C < 2 or the scatter carries no per-class variances. Cost O(C^2 D).
template <class = void>
cdnv_result class_distance_normalized_variance(const class_scatter& s) {
  const char* fn = "class_distance_normalized_variance";
  detail::require_two_classes(s, fn);
  require(s.class_traces.has_value(), fn, "the scatter has no per-class variances (built from a pooled "
          "scatter without centred_sq_norms)");
  const index_t c = s.num_classes();
  const Eigen::VectorXd& var = *s.class_traces;
  cdnv_result r;
  r.pairs = Eigen::MatrixXd::Zero(c, c);
  double sum = 0.0;
  index_t coincident = 0;
  for (index_t i = 0; i < c; ++i)
    for (index_t j = i + 1; j < c; ++j) {
      const double dist2 = (s.means.row(i) - s.means.row(j)).squaredNorm();
      double v;
      if (dist2 > 0.0) {
        v = (var(i) + var(j)) / (2.0 * dist2);
      } else {
        v = std::numeric_limits<double>::infinity();
        if (coincident++ < 5)
          r.diagnostics.push_back(infogeo::detail::concat("classes ", s.class_ids[static_cast<std::size_t>(i)], " and ",
                                                 s.class_ids[static_cast<std::size_t>(j)],
                                                 " have identical means: CDNV is infinite"));
      }
      r.pairs(i, j) = r.pairs(j, i) = v;
      sum += v;
    }
  r.value = sum * 2.0 / (static_cast<double>(c) * static_cast<double>(c - 1));
  return r;
}

/// NC2 (Papyan et al. 2020, Fig. 3-4): centred means m_c = mu_c - centre (centre by weighting).
///   equinorm        = std_c ||m_c|| / mean_c ||m_c||                 (-> 0 under collapse)
///   equiangularity  = std_{c != c'} cos(m_c, m_c')                    (-> 0)
///   max_angle       = mean_{c != c'} |cos(m_c, m_c') + 1/(C-1)|       (-> 0 for a simplex ETF)
/// Population std over classes / the C(C-1)/2 pairs. Angles need every ||m_c|| > 0: otherwise they
/// are absent, with a diagnostic. Errors: invalid_argument if C < 2; numerical_error if all m_c = 0.
struct nc2_result {
  double equinorm = 0.0;
  std::optional<double> equiangularity;
  std::optional<double> max_angle;
  Eigen::MatrixXd cosines;  ///< C x C (empty when an angle is undefined)
  std::vector<std::string> diagnostics;
};

template <class = void>
nc2_result nc2_simplex(const class_scatter& s, between_weighting w = between_weighting::count) {
  const char* fn = "nc2_simplex";
  detail::require_two_classes(s, fn);
  const row_matrix<double> m = detail::centred_class_means(s, w);
  const index_t c = m.rows();
  const Eigen::VectorXd norms = m.rowwise().norm();
  const double mean = norms.mean();
  if (!(mean > 0.0)) throw_numerical_error(fn, "all class means coincide (mean centred norm=", mean, ")");
  const double sd = std::sqrt((norms.array() - mean).square().mean());
  nc2_result r;
  r.equinorm = sd / mean;
  if (norms.minCoeff() <= 0.0) {
    r.diagnostics.push_back("a class mean equals the global centre: its angles are undefined, "
                            "equiangularity and max_angle omitted");
    return r;
  }
  const row_matrix<double> u = norms.cwiseInverse().asDiagonal() * m;
  r.cosines = u * u.transpose();
  std::vector<double> cosv;
  for (index_t i = 0; i < c; ++i)
    for (index_t j = i + 1; j < c; ++j) cosv.push_back(r.cosines(i, j));
  const double np = static_cast<double>(cosv.size());
  const double cmean = std::accumulate(cosv.begin(), cosv.end(), 0.0) / np;
  double var = 0.0, dev = 0.0;
  const double target = -1.0 / static_cast<double>(c - 1);
  for (double v : cosv) {
    var += (v - cmean) * (v - cmean);
    dev += std::abs(v - target);
  }
  r.equiangularity = std::sqrt(var / np);
  r.max_angle = dev / np;
  return r;
}

/// NC3 self-duality (Papyan et al. 2020, Fig. 5): || W^T/||W||_F - Mdot/||Mdot||_F ||_F^2, with W the
/// last-layer weights (C x D, PyTorch nn.Linear layout: one row per label, rows of empty classes are
/// ignored) and Mdot = [mu_c - centre] (centre by weighting). Range [0, 4]; -> 0 under collapse.
/// Errors: invalid_argument for a wrong shape, non-finite or all-zero W; numerical_error if all means coincide.
template <class Classifier>
double nc3_self_duality(const class_scatter& s, const Classifier& classifier,
                        between_weighting w = between_weighting::count) {
  const char* fn = "nc3_self_duality";
  detail::require_two_classes(s, fn);
  const auto view = make_view(classifier);
  require(view.rows() == s.num_labels && view.cols() == s.dim, fn,
          "classifier must be C x D (one row per label) (rows=", view.rows(), ", cols=", view.cols(),
          ", C=", s.num_labels, ", D=", s.dim, ")");
  check_finite(view, fn, "classifier");
  const index_t c = s.num_classes();
  row_matrix<double> wk(c, s.dim);
  for (index_t k = 0; k < c; ++k)
    wk.row(k) = view.map().row(s.class_ids[static_cast<std::size_t>(k)]).template cast<double>();
  const double wn = wk.norm();
  require(wn > 0.0, fn, "classifier weights are all zero (norm=", wn, ")");
  const row_matrix<double> m = detail::centred_class_means(s, w);
  const double mn = m.norm();
  if (!(mn > 0.0)) throw_numerical_error(fn, "all class means coincide");
  return (wk / wn - m / mn).squaredNorm();
}

/// Nearest-class-centre classification (Papyan et al. 2020, NC4): argmin_c ||x - mu_c|| over the
/// non-empty classes (ties: lowest label); returns labels. Cost O(N C D) (GEMM per chunk).
template <class Input>
std::vector<std::int64_t> nearest_class_centre(const class_scatter& s, const Input& x) {
  const char* fn = "nearest_class_centre";
  const auto view = make_view(x);
  require(view.cols() == s.dim, fn, "x must have dim columns (cols=", view.cols(), ", dim=", s.dim, ")");
  check_finite(view, fn, "x");
  require(s.num_classes() >= 1, fn, "the scatter has no class");
  const index_t n = view.rows();
  const Eigen::VectorXd zn = s.centred_means.rowwise().squaredNorm();
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  const index_t chunk = 512;
  for (index_t start = 0; start < n; start += chunk) {
    const index_t rows = std::min(chunk, n - start);
    const row_matrix<double> xc = view.middle_rows(start, rows).map().template cast<double>().rowwise() -
                                  s.global_mean.transpose();
    const Eigen::MatrixXd dots = xc * s.centred_means.transpose();  // rows x C
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (index_t i = 0; i < rows; ++i) {
      index_t best = 0;
      double best_score = std::numeric_limits<double>::infinity();
      for (index_t k = 0; k < dots.cols(); ++k) {
        const double score = zn(k) - 2.0 * dots(i, k);  // ||x - mu_k||^2 - ||x - mu||^2
        if (score < best_score) {
          best_score = score;
          best = k;
        }
      }
      out[static_cast<std::size_t>(start + i)] = s.class_ids[static_cast<std::size_t>(best)];
    }
  }
  return out;
}

/// Streaming NC4 / NCC accuracy over batches: update(x, labels, predictions); either labels or
/// predictions may be an empty range (not given). NC4 = fraction of samples whose NCC label differs
/// from the classifier's prediction; ncc_accuracy = fraction whose NCC label equals the true label.
class ncc_accumulator {
 public:
  explicit ncc_accumulator(const class_scatter& s) : s_(&s) {}

  template <class Input, class Labels, class Predictions>
  void update(const Input& x, const Labels& labels, const Predictions& predictions) {
    const char* fn = "ncc_accumulator::update";
    const auto view = make_view(x);
    const auto ncc = nearest_class_centre(*s_, view);
    const auto count = [](const auto& range) {
      using std::begin;
      using std::end;
      return static_cast<index_t>(std::distance(begin(range), end(range)));
    };
    if (count(labels) > 0) {
      const auto y = detail::batch_labels(labels, s_->num_labels, view.rows(), fn);
      for (std::size_t i = 0; i < y.size(); ++i) correct_ += (y[i] == ncc[i]) ? 1 : 0;
      labelled_ += view.rows();
    }
    if (count(predictions) > 0) {
      const class_labels p = make_labels(predictions, s_->num_labels, fn, "predictions");
      require(static_cast<index_t>(p.values.size()) == view.rows(), fn,
              "predictions must have one entry per row of x (size=", p.values.size(), ", rows=", view.rows(), ")");
      for (std::size_t i = 0; i < p.values.size(); ++i) agree_ += (p.values[i] == ncc[i]) ? 1 : 0;
      predicted_ += view.rows();
    }
  }
  void merge(const ncc_accumulator& other) {
    correct_ += other.correct_;
    labelled_ += other.labelled_;
    agree_ += other.agree_;
    predicted_ += other.predicted_;
  }
  /// NCC accuracy vs labels (absent if no labels were given).
  std::optional<double> ncc_accuracy() const {
    if (labelled_ == 0) return std::nullopt;
    return static_cast<double>(correct_) / static_cast<double>(labelled_);
  }
  /// NC4 disagreement with the predictions (absent if none were given).
  std::optional<double> nc4() const {
    if (predicted_ == 0) return std::nullopt;
    return 1.0 - static_cast<double>(agree_) / static_cast<double>(predicted_);
  }

 private:
  const class_scatter* s_;
  std::int64_t correct_ = 0, labelled_ = 0, agree_ = 0, predicted_ = 0;
};

/// Regulariser value lambda * tanh(alpha * nc), as used to penalise (lambda > 0) or encourage
/// (lambda < 0) collapse during training. For nc >= 0 it lies in [0, lambda) when lambda > 0 and in
/// (lambda, 0] when lambda < 0 (0 when lambda = 0). Errors: nc < 0 or NaN, non-finite lambda/alpha.
inline double collapse_regulariser(double nc, double lambda, double alpha) {
  const char* fn = "collapse_regulariser";
  require(nc >= 0.0, fn, "nc must be >= 0 (nc=", nc, ")");
  require(std::isfinite(lambda) && std::isfinite(alpha) && alpha > 0.0, fn,
          "lambda must be finite and alpha finite and > 0 (lambda=", lambda, ", alpha=", alpha, ")");
  return lambda * std::tanh(alpha * nc);
}

/// Everything at once, for the CLI and the LibTorch example. Optional fields are absent when their
/// inputs are (classifier, predictions, per-class variances, norms) or undefined (see diagnostics).
struct collapse_metrics {
  std::int64_t n = 0;
  index_t dim = 0;
  index_t num_classes = 0;                 ///< non-empty classes C
  between_weighting weighting = between_weighting::count;
  double tr_sw_sbpinv = 0.0;               ///< tr(Sigma_W Sigma_B^+)
  double nc1 = 0.0;                        ///< tr(Sigma_W Sigma_B^+) / C
  /// NC1 / D = Tr(Sigma_W Sigma_B^+ / K / P): "renormalized ... based on the number of nodes in the
  /// penultimate layer" (seed paper 003, App. E, after eq. 28 and Fig. 3), for layers of different width.
  double nc1_per_dim = 0.0;
  /// Mean of all D^2 entries of Sigma_W, 1^T Sigma_W 1 / D^2: the scalar seed paper 003 reports as
  /// "Sigma_W" (eq. 7) in Table 1 (absent when the scatter carries no within_sum).
  std::optional<double> sigma_w_mean_entry;
  index_t rank = 0;                        ///< rank of Sigma_B used
  Eigen::VectorXd gram_eigenvalues;        ///< eigenvalues of G, descending
  double tr_sw = 0.0;                      ///< tr(Sigma_W)
  double tr_sb = 0.0;                      ///< tr(Sigma_B)
  double trace_ratio = 0.0;                ///< tr(Sigma_W) / tr(Sigma_B)
  std::optional<double> cdnv;              ///< Galanti et al. CDNV (may be +inf)
  Eigen::MatrixXd cdnv_pairs;              ///< V(i,j)
  double nc2_equinorm = 0.0;
  std::optional<double> nc2_equiangularity;
  std::optional<double> nc2_max_angle;
  std::optional<double> nc3;               ///< set by the caller via nc3_self_duality()
  std::optional<double> nc4;               ///< set by the caller via ncc_accumulator
  std::optional<double> ncc_accuracy;      ///< set by the caller via ncc_accumulator
  std::optional<double> norm_cv;           ///< CV of the raw sample norms ||x_i||
  std::vector<std::string> diagnostics;
};

/// All scatter-only metrics of `s` (NC1 trace, traces, CDNV, NC2, norm CV). Errors as
/// within_between_trace(). Cost O(C^3 + C^2 D).
template <class = void>
collapse_metrics neural_collapse(const class_scatter& s, const collapse_options& options = {}) {
  collapse_metrics m;
  m.n = s.n;
  m.dim = s.dim;
  m.num_classes = s.num_classes();
  m.weighting = options.weighting;
  m.diagnostics = s.diagnostics;
  const trace_result t = within_between_trace(s, options);
  m.tr_sw_sbpinv = t.trace;
  m.nc1 = t.nc1;
  m.nc1_per_dim = t.nc1 / static_cast<double>(s.dim);
  if (s.within_sum) m.sigma_w_mean_entry = *s.within_sum / (static_cast<double>(s.dim) * static_cast<double>(s.dim));
  m.rank = t.rank;
  m.gram_eigenvalues = t.eigenvalues;
  m.tr_sw = s.trace_within;
  m.tr_sb = t.tr_between;
  m.trace_ratio = m.tr_sw / m.tr_sb;
  m.diagnostics.insert(m.diagnostics.end(), t.diagnostics.begin(), t.diagnostics.end());
  if (s.class_traces) {
    cdnv_result c = class_distance_normalized_variance(s);
    m.cdnv = c.value;
    m.cdnv_pairs = std::move(c.pairs);
    m.diagnostics.insert(m.diagnostics.end(), c.diagnostics.begin(), c.diagnostics.end());
  }
  nc2_result n2 = nc2_simplex(s, options.weighting);
  m.nc2_equinorm = n2.equinorm;
  m.nc2_equiangularity = n2.equiangularity;
  m.nc2_max_angle = n2.max_angle;
  m.diagnostics.insert(m.diagnostics.end(), n2.diagnostics.begin(), n2.diagnostics.end());
  if (s.norm_mean && s.norm_std && *s.norm_mean > 0.0) m.norm_cv = *s.norm_std / *s.norm_mean;
  return m;
}

/// One-shot: scatter of in-memory x (N x D) with labels (projected mode by default: O(C D) memory,
/// two passes), its metrics and the NCC accuracy (a third pass).
template <class Input, class Labels>
collapse_metrics neural_collapse(const Input& x, const Labels& labels, const collapse_options& options = {},
                                 scatter_mode mode = scatter_mode::projected) {
  class_scatter_options so;
  so.mode = mode;
  const class_scatter s = compute_class_scatter(x, labels, so);
  collapse_metrics m = neural_collapse(s, options);
  ncc_accumulator ncc(s);
  ncc.update(x, labels, std::vector<std::int64_t>{});
  m.ncc_accuracy = ncc.ncc_accuracy();
  return m;
}

}  // namespace infogeo::geometry
