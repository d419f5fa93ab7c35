// Streaming per-class moments of labelled representations (class means, within-class scatter),
// the input of every neural-collapse metric in geometry/collapse.hpp.
//
// Conventions (all population moments, sample weights w_i >= 0, W_c = sum_{i in c} w_i, W = sum W_c;
// unweighted data: w_i = 1, so W_c = n_c and W = N):
//   mu_c    = (1/W_c) sum_{i in c} w_i x_i                          class means
//   mu      = (1/W)   sum_c W_c mu_c                                global (count-weighted) mean
//   Sigma_W = (1/W)   sum_i w_i (x_i - mu_{y_i})(x_i - mu_{y_i})^T   pooled within-class covariance
//   Z       = [mu_c - mu]_c  (C x D, one row per non-empty class)   centred class means
//   P       = Z Sigma_W Z^T  (C x C)                                 Sigma_W projected on span(Z)
// Every trace in collapse.hpp needs only the means, the per-class traces tr(Sigma_c) and P, so the
// accumulator has two memory modes:
//   full      : one pass; pooled D x D scatter, Chan et al. (1979) pairwise update per batch and class
//               (O(D^2) memory, O(N D^2) time);
//   projected : two passes; pass 1 class sums (Chan merge of batch means), pass 2 the residuals
//               r_i = x_i - mu_{y_i} projected on Z: P += w_i (Z r_i)(Z r_i)^T (O(C D) memory,
//               O(N C D) time). This is Alg. 1 of the 2025 Chalmers thesis "Explaining DNNs using
//               Information Theory and Geometry", re-derived for imbalanced classes: class means
//               divide by n_c (not N), Sigma_B = M M^T with M = [sqrt(n_c/N)(mu_c - mu)], and the
//               factor C of NC1 is kept apart (collapse.hpp reports both the raw trace and NC1).
// The one-pass "Gram" formula Sigma_W = G/N - mu mu^T - Sigma_B (thesis eq. 2.1, G = sum x x^T) is an
// option of the full mode only: it cancels catastrophically, losing about 2 log10(|mu| / sigma)
// digits (all of float32's when the offset is 1e4 sigma), which is why the default avoids it.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"

namespace infogeo::geometry {

/// How the within-class scatter is accumulated (see the file comment).
enum class scatter_mode {
  full,      ///< one pass, pooled D x D scatter, O(D^2) memory
  projected  ///< two passes, C x C projection of Sigma_W on the centred class means, O(C D) memory
};

/// Divisor of the within-class covariance.
enum class covariance_divisor {
  population,  ///< Sigma_W = S_W / W (maximum likelihood; Papyan et al. 2020; seed paper 003 eq. 7): default
  unbiased     ///< Sigma_W = S_W / (N - C), class variances tr(S_c) / (n_c - 1): Bessel's n-1 per class, as
               ///< numpy.cov / torch.cov by default (for balanced classes, the mean of the per-class covariances)
};

/// Options of class_scatter_accumulator.
struct class_scatter_options {
  scatter_mode mode = scatter_mode::full;
  /// Full mode only: accumulate the raw Gram G = sum w x x^T and per-class sum w ||x||^2 and finish
  /// with Sigma_W = G/W - sum_c (W_c/W) mu_c mu_c^T (thesis eq. 2.1). Loses ~2 log10(|mu|/sigma)
  /// digits; offered for comparison with published code and for GPU users who reduce raw moments.
  bool gram_one_pass = false;
  /// Applied at finalize() to Sigma_W, P, tr(Sigma_W), the per-class traces and within_sum. unbiased
  /// needs unweighted data (sample weights 1) and n_c >= 2 in every non-empty class.
  covariance_divisor divisor = covariance_divisor::population;
};

/// The finalized class scatter: what collapse.hpp works on. Only non-empty classes are kept;
/// `class_ids[k]` is the label of row k. Population normalisation throughout (divide by W, W_c).
struct class_scatter {
  scatter_mode mode = scatter_mode::full;
  bool gram_one_pass = false;
  index_t dim = 0;                        ///< D
  std::int64_t num_labels = 0;            ///< C declared to the accumulator (including empty classes)
  std::vector<std::int64_t> class_ids;    ///< label of each kept (non-empty) class
  std::vector<std::int64_t> counts;       ///< samples (with weight > 0) per kept class
  std::vector<double> weights;            ///< W_c per kept class (== counts without sample weights)
  std::int64_t n = 0;                     ///< total samples with weight > 0
  double total_weight = 0.0;              ///< W
  row_matrix<double> means;               ///< C x D class means mu_c
  Eigen::VectorXd global_mean;            ///< mu = sum_c (W_c/W) mu_c
  row_matrix<double> centred_means;       ///< Z: C x D rows mu_c - mu
  Eigen::MatrixXd projected_within;       ///< P = Z Sigma_W Z^T (C x C)
  double trace_within = 0.0;              ///< tr(Sigma_W)
  std::optional<Eigen::VectorXd> class_traces;  ///< tr(Sigma_c) per class (absent if not supplied)
  Eigen::MatrixXd within;                 ///< Sigma_W (D x D), full mode only; empty in projected mode
  /// 1^T Sigma_W 1, the sum of all D^2 entries of Sigma_W (both modes: projected mode accumulates the
  /// squared row sums of the residuals in pass 2). Absent when built from external pass-2 moments.
  /// Divided by D^2 it is the scalar reported as "Sigma_W" in Table 1 of seed paper 003.
  std::optional<double> within_sum;
  covariance_divisor divisor = covariance_divisor::population;  ///< the divisor applied
  std::optional<double> norm_mean;        ///< weighted mean of the raw sample norms ||x_i||
  std::optional<double> norm_std;         ///< weighted population std of ||x_i||
  std::vector<std::string> diagnostics;   ///< empty classes skipped, singleton classes, Gram option

  index_t num_classes() const { return static_cast<index_t>(class_ids.size()); }
  /// Class fractions W_c / W.
  template <class = void>
  Eigen::VectorXd fractions() const {
    Eigen::VectorXd f(num_classes());
    for (index_t c = 0; c < num_classes(); ++c)
      f(c) = weights[static_cast<std::size_t>(c)] / total_weight;
    return f;
  }
};

/// Externally reduced moments (e.g. computed on a GPU, in double) to finish on the CPU with the
/// class_scatter_accumulator::from_* constructors. Shapes: C = number of classes, D = dimension.
struct class_moments {
  std::vector<double> weights;        ///< C: W_c = per-class sample count, or sum of sample weights
  std::vector<std::int64_t> counts;   ///< C: samples per class; may be left empty when `weights` are
                                      ///< plain counts (then they must be whole numbers)
  row_matrix<double> sums;            ///< C x D: sum_{i in c} w_i x_i
  /// Optional C: sum_{i in c} w_i ||x_i - mu_c||^2 (centred, e.g. from a second pass). Needed for
  /// per-class variances (CDNV) when a pooled scatter is given; empty = not available.
  std::vector<double> centred_sq_norms;
  /// Optional raw-norm statistics for the coefficient of variation of ||x_i||: sum w_i, sum w_i
  /// ||x_i||, sum w_i ||x_i||^2 (norm_weight = 0: not available). The CV from these raw sums loses
  /// digits when the CV is below ~1e-4 in double.
  double norm_weight = 0.0;
  double norm_sum = 0.0;
  double norm_sq_sum = 0.0;
};

namespace detail {

/// Labels of a batch: any integer range, each in [0, num_classes), one per row.
template <class Labels>
std::vector<std::int64_t> batch_labels(const Labels& labels, std::int64_t num_classes, index_t rows,
                                       const char* function) {
  class_labels y = make_labels(labels, num_classes, function, "labels");
  require(static_cast<index_t>(y.values.size()) == rows, function,
          "labels must have one entry per row of x (labels size=", y.values.size(), ", x rows=", rows,
          ")");
  return std::move(y.values);
}

/// Per-sample weights: any range of numbers, finite and >= 0, one per row.
template <class Weights>
std::vector<double> batch_weights(const Weights& weights, index_t rows, const char* function) {
  using std::begin;
  using std::end;
  using value_type = std::decay_t<decltype(*begin(weights))>;
  static_assert(std::is_arithmetic_v<value_type>, "infogeo: sample weights must be numbers");
  std::vector<double> w;
  for (auto it = begin(weights); it != end(weights); ++it) w.push_back(static_cast<double>(*it));
  require(static_cast<index_t>(w.size()) == rows, function,
          "weights must have one entry per row of x (weights size=", w.size(), ", x rows=", rows, ")");
  for (std::size_t i = 0; i < w.size(); ++i)
    require(std::isfinite(w[i]) && w[i] >= 0.0, function,
            "weights must be finite and >= 0 (weights[", i, "]=", w[i], ")");
  return w;
}

/// Weighted Chan et al. (1979) merge of (weight, mean, M2) for a scalar.
inline void chan_merge_scalar(double& wa, double& mean_a, double& m2_a, double wb, double mean_b,
                              double m2_b) {
  if (wb <= 0.0) return;
  const double w = wa + wb;
  const double delta = mean_b - mean_a;
  mean_a += delta * (wb / w);
  m2_a += m2_b + delta * delta * (wa * wb / w);
  wa = w;
}

}  // namespace detail

/// Streaming per-class moments: `update(x, labels[, weights])` with batches of any input accepted
/// by make_view() (float or double; accumulation in double), `merge(other)`, `finalize()`.
///
/// Full mode: one pass. Projected mode: pass 1 = update() over all data, then begin_second_pass(),
/// pass 2 = update() over the same data again (any batching/order), then finalize(). finalize()
/// checks that pass 2 saw the same per-class counts as pass 1.
///
/// Merge (Chan et al. 1979, pairwise): in pass 1 (and in full mode) two shards' per-class weights,
/// means and scatters combine exactly (up to rounding) into those of the union. In pass 2 both
/// accumulators must come from the same pass-1 state (copy the merged pass-1 accumulator to each
/// shard, call begin_second_pass() on each): their projected sums are added.
///
/// Cost per sample: pass 1 O(D); pass 2 O(C D) (one GEMM per 256-row chunk); full mode O(D^2).
/// Memory: projected O(C D + C^2); full O(D^2 + C D). Errors: invalid_argument for wrong shapes,
/// labels outside [0, C), non-finite features or weights, misuse of the two-pass protocol.
class class_scatter_accumulator {
 public:
  /// `num_classes` >= 1 labels 0..C-1 (a class may stay empty: it is skipped at finalize), `dim` >= 1.
  class_scatter_accumulator(std::int64_t num_classes, index_t dim, class_scatter_options options = {})
      : c_(num_classes), d_(dim), options_(options) {
    require(num_classes >= 1, "class_scatter_accumulator", "num_classes must be >= 1 (num_classes=",
            num_classes, ")");
    require(dim >= 1, "class_scatter_accumulator", "dim must be >= 1 (dim=", dim, ")");
    require(!(options.gram_one_pass && options.mode == scatter_mode::projected),
            "class_scatter_accumulator",
            "gram_one_pass is a full-mode option (mode=projected, gram_one_pass=true)");
    const auto cs = static_cast<std::size_t>(c_);
    counts_.assign(cs, 0);
    weights_.assign(cs, 0.0);
    means_ = row_matrix<double>::Zero(c_, d_);
    if (options_.mode == scatter_mode::full) {
      scatter_ = Eigen::MatrixXd::Zero(d_, d_);
      class_sq_.assign(cs, 0.0);
    }
  }

  std::int64_t num_classes() const { return c_; }
  index_t dim() const { return d_; }
  const class_scatter_options& options() const { return options_; }
  /// True in projected mode before begin_second_pass().
  bool needs_second_pass() const { return options_.mode == scatter_mode::projected && !second_; }
  bool in_second_pass() const { return second_; }
  /// Samples per class seen in pass 1 (or in the single pass of full mode).
  const std::vector<std::int64_t>& class_counts() const { return counts_; }
  /// Current class means (C x D; zero rows for classes not seen yet).
  const row_matrix<double>& class_means() const { return means_; }

  /// Adds a batch: x (N_b x D, any make_view() input), labels (N_b integers in [0, C)).
  template <class Input, class Labels>
  void update(const Input& x, const Labels& labels) {
    const auto view = make_view(x);
    const auto y = detail::batch_labels(labels, c_, view.rows(), "class_scatter_accumulator::update");
    update_view(view, y, nullptr);
  }

  /// Adds a batch with per-sample weights (finite, >= 0; weight 0 ignores the sample).
  template <class Input, class Labels, class Weights>
  void update(const Input& x, const Labels& labels, const Weights& weights) {
    const auto view = make_view(x);
    const auto y = detail::batch_labels(labels, c_, view.rows(), "class_scatter_accumulator::update");
    const auto w = detail::batch_weights(weights, view.rows(), "class_scatter_accumulator::update");
    update_view(view, y, &w);
  }

  /// Projected mode: freezes the pass-1 means and starts pass 2. Throws if no sample was seen.
  template <class = void>
  void begin_second_pass() {
    const char* fn = "class_scatter_accumulator::begin_second_pass";
    require(options_.mode == scatter_mode::projected, fn, "only the projected mode has a second pass");
    require(!second_, fn, "pass 2 has already begun");
    require(total_weight() > 0.0, fn, "pass 1 saw no sample with positive weight (total weight=",
            total_weight(), ")");
    basis_ = centred(means_, weights_);
    proj_ = Eigen::MatrixXd::Zero(c_, c_);
    res_sq_.assign(static_cast<std::size_t>(c_), 0.0);
    weights2_.assign(static_cast<std::size_t>(c_), 0.0);
    counts2_.assign(static_cast<std::size_t>(c_), 0);
    second_ = true;
  }

  /// Pass 2 projection basis (C x D, row c = mu_c - mu; zero rows for empty classes). GPU users
  /// accumulate sum_{i in c} w_i p_i p_i^T with p_i = B (x_i - mu_{y_i}) against exactly this B.
  const row_matrix<double>& projection_basis() const {
    require(second_, "class_scatter_accumulator::projection_basis",
            "call begin_second_pass() first");
    return basis_;
  }

  /// Pass 2 from external reductions: `weights` / `counts` (C) as in pass 1, `projected` (C x C,
  /// sum_i w_i p_i p_i^T with p_i = projection_basis() (x_i - mu_{y_i})), `residual_sq_norms` (C,
  /// sum_{i in c} w_i ||x_i - mu_c||^2). May be called several times (adds).
  template <class = void>
  void add_projected_moments(const std::vector<double>& weights, const std::vector<std::int64_t>& counts,
                             const Eigen::MatrixXd& projected, const std::vector<double>& residual_sq_norms) {
    const char* fn = "class_scatter_accumulator::add_projected_moments";
    require(second_, fn, "call begin_second_pass() first");
    require(projected.rows() == c_ && projected.cols() == c_, fn,
            "projected must be C x C (rows=", projected.rows(), ", cols=", projected.cols(), ", C=", c_, ")");
    require(projected.allFinite(), fn, "projected must be finite");
    check_vector(weights, "weights", fn);
    check_vector(residual_sq_norms, "residual_sq_norms", fn);
    const auto n = resolve_counts(weights, counts, fn);
    for (std::size_t c = 0; c < static_cast<std::size_t>(c_); ++c) {
      weights2_[c] += weights[c];
      counts2_[c] += n[c];
      res_sq_[c] += residual_sq_norms[c];
    }
    proj_ += projected;
    has_rowsum_ = false;  // the squared residual row sums are not among the external moments
  }

  /// Combines another accumulator (same C, D, options, phase). See the class comment.
  template <class = void>
  void merge(const class_scatter_accumulator& other) {
    const char* fn = "class_scatter_accumulator::merge";
    require(other.c_ == c_ && other.d_ == d_, fn, "shapes differ (C=", c_, ", D=", d_,
            ", other C=", other.c_, ", other D=", other.d_, ")");
    require(other.options_.mode == options_.mode && other.options_.gram_one_pass == options_.gram_one_pass,
            fn, "options differ (mode or gram_one_pass)");
    require(other.second_ == second_, fn, "one accumulator is in pass 2 and the other is not");
    if (second_) {
      require(other.counts_ == counts_ && other.weights_ == weights_ && other.means_ == means_, fn,
              "pass-2 accumulators must share the same pass-1 state (merge in pass 1, then copy)");
      proj_ += other.proj_;
      res_rowsum_sq_ += other.res_rowsum_sq_;
      has_rowsum_ = has_rowsum_ && other.has_rowsum_;
      detail::chan_merge_scalar(norm2_w_, norm2_mean_, norm2_m2_, other.norm2_w_, other.norm2_mean_,
                                other.norm2_m2_);
      for (std::size_t c = 0; c < static_cast<std::size_t>(c_); ++c) {
        res_sq_[c] += other.res_sq_[c];
        weights2_[c] += other.weights2_[c];
        counts2_[c] += other.counts2_[c];
      }
      return;
    }
    merge_norms(other.norm_w_, other.norm_mean_, other.norm_m2_);
    // Full: within-shard scatters add; the between-shard part (rank-1 per class) is added below.
    // Gram: raw second moments simply add.
    if (options_.mode == scatter_mode::full) scatter_ += other.scatter_;
    Eigen::MatrixXd deltas(d_, c_);
    index_t used = 0;
    for (index_t c = 0; c < c_; ++c) {
      const auto k = static_cast<std::size_t>(c);
      const double wb = other.weights_[k];
      if (wb <= 0.0) continue;
      const double wa = weights_[k];
      const double w = wa + wb;
      const Eigen::RowVectorXd delta = other.means_.row(c) - means_.row(c);
      const double factor = wa * wb / w;
      if (options_.mode == scatter_mode::full) {
        if (!options_.gram_one_pass) {
          class_sq_[k] += other.class_sq_[k] + factor * delta.squaredNorm();
          deltas.col(used++) = std::sqrt(factor) * delta.transpose();
        } else {
          class_sq_[k] += other.class_sq_[k];
        }
      }
      means_.row(c) += (wb / w) * delta;
      weights_[k] = w;
      counts_[k] += other.counts_[k];
    }
    if (used > 0) scatter_.selfadjointView<Eigen::Lower>().rankUpdate(deltas.leftCols(used));
    has_class_traces_ = has_class_traces_ && other.has_class_traces_;
  }

  /// The finalized scatter (the accumulator is unchanged and can keep streaming).
  /// Throws invalid_argument if no sample was seen, or (projected mode) if pass 2 was not run or
  /// saw different per-class counts than pass 1.
  template <class = void>
  class_scatter finalize() const {
    const char* fn = "class_scatter_accumulator::finalize";
    const double wtot = total_weight();
    require(wtot > 0.0, fn, "no sample with positive weight was seen (total weight=", wtot, ")");
    class_scatter s;
    s.mode = options_.mode;
    s.gram_one_pass = options_.gram_one_pass;
    s.dim = d_;
    s.num_labels = c_;
    s.total_weight = wtot;
    if (options_.mode == scatter_mode::projected) {
      require(second_, fn, "projected mode needs a second pass: call begin_second_pass() and update() "
              "with the same data again");
      for (std::size_t c = 0; c < static_cast<std::size_t>(c_); ++c) {
        require(counts2_[c] == counts_[c] &&
                    std::abs(weights2_[c] - weights_[c]) <= 1e-9 * std::max(1.0, weights_[c]),
                fn, "pass 2 saw different data than pass 1 (class ", c, ": pass-1 count=", counts_[c],
                ", pass-2 count=", counts2_[c], ", pass-1 weight=", weights_[c], ", pass-2 weight=",
                weights2_[c], ")");
      }
    }
    std::vector<index_t> kept;
    std::vector<std::int64_t> empty;
    for (index_t c = 0; c < c_; ++c) {
      const auto k = static_cast<std::size_t>(c);
      if (weights_[k] > 0.0) {
        kept.push_back(c);
        s.class_ids.push_back(c);
        s.counts.push_back(counts_[k]);
        s.weights.push_back(weights_[k]);
        s.n += counts_[k];
        if (counts_[k] == 1)
          s.diagnostics.push_back(infogeo::detail::concat("class ", c, " has 1 sample: kept, with zero "
                                                 "within-class scatter (its variance is 0)"));
      } else {
        empty.push_back(c);
      }
    }
    if (!empty.empty()) {
      std::string list;
      for (std::size_t i = 0; i < empty.size() && i < 20; ++i)
        list += (i ? "," : "") + std::to_string(empty[i]);
      if (empty.size() > 20) list += ",...";
      s.diagnostics.push_back(infogeo::detail::concat(empty.size(), " empty class(es) skipped (labels ", list,
                                             "): metrics use the ", kept.size(), " non-empty classes"));
    }
    const auto ck = static_cast<index_t>(kept.size());
    s.means.resize(ck, d_);
    for (index_t k = 0; k < ck; ++k) s.means.row(k) = means_.row(kept[static_cast<std::size_t>(k)]);
    s.global_mean = Eigen::VectorXd::Zero(d_);
    for (index_t k = 0; k < ck; ++k)
      s.global_mean += (s.weights[static_cast<std::size_t>(k)] / wtot) * s.means.row(k).transpose();
    Eigen::VectorXd traces(ck);
    if (options_.mode == scatter_mode::projected) {
      s.centred_means.resize(ck, d_);
      s.projected_within.resize(ck, ck);
      Eigen::MatrixXd full_proj = proj_.selfadjointView<Eigen::Lower>();
      double sum_sq = 0.0;
      for (index_t a = 0; a < ck; ++a) {
        const auto ka = kept[static_cast<std::size_t>(a)];
        s.centred_means.row(a) = basis_.row(ka);
        for (index_t b = 0; b < ck; ++b)
          s.projected_within(a, b) = full_proj(ka, kept[static_cast<std::size_t>(b)]) / wtot;
        traces(a) = res_sq_[static_cast<std::size_t>(ka)] / s.weights[static_cast<std::size_t>(a)];
        sum_sq += res_sq_[static_cast<std::size_t>(ka)];
      }
      s.trace_within = sum_sq / wtot;
      s.class_traces = traces;
      if (has_rowsum_) s.within_sum = res_rowsum_sq_ / wtot;
    } else {
      s.centred_means = s.means.rowwise() - s.global_mean.transpose();
      Eigen::MatrixXd sw = scatter_.selfadjointView<Eigen::Lower>();
      sw /= wtot;
      if (options_.gram_one_pass) {
        // Thesis eq. 2.1: Sigma_W = G/N - sum_c (n_c/N) mu_c mu_c^T (= G/N - mu mu^T - Sigma_B).
        for (index_t k = 0; k < ck; ++k)
          sw.noalias() -= (s.weights[static_cast<std::size_t>(k)] / wtot) * s.means.row(k).transpose() *
                          s.means.row(k);
        index_t clamped = 0;
        for (index_t k = 0; k < ck; ++k) {
          traces(k) = class_sq_[static_cast<std::size_t>(kept[static_cast<std::size_t>(k)])] /
                          s.weights[static_cast<std::size_t>(k)] -
                      s.means.row(k).squaredNorm();
          if (traces(k) < 0.0) {  // cancellation: a variance cannot be negative
            traces(k) = 0.0;
            ++clamped;
          }
        }
        if (clamped > 0)
          s.diagnostics.push_back(infogeo::detail::concat("gram_one_pass: ", clamped,
                                                 " class variance(s) came out negative by cancellation and were "
                                                 "set to 0; use the default (centred) accumulation"));
        s.diagnostics.push_back(
            "gram_one_pass: Sigma_W = G/N - mu mu^T - Sigma_B loses about 2*log10(|mu|/sigma) digits");
      } else {
        for (index_t k = 0; k < ck; ++k)
          traces(k) = class_sq_[static_cast<std::size_t>(kept[static_cast<std::size_t>(k)])] /
                      s.weights[static_cast<std::size_t>(k)];
      }
      s.within = sw;
      s.trace_within = sw.trace();
      s.within_sum = sw.sum();
      const Eigen::MatrixXd zs = s.centred_means * sw;  // C x D
      s.projected_within = zs * s.centred_means.transpose();
      s.projected_within = 0.5 * (s.projected_within + s.projected_within.transpose()).eval();
      if (has_class_traces_) s.class_traces = traces;
    }
    if (!has_class_traces_)
      s.diagnostics.push_back("per-class variances not supplied: CDNV unavailable");
    if (options_.divisor == covariance_divisor::unbiased) apply_unbiased_divisor(s, fn);
    if (norm2_w_ > 0.0) {
      s.norm_mean = norm2_mean_;
      s.norm_std = std::sqrt(std::max(0.0, norm2_m2_ / norm2_w_));
    } else if (norm_w_ > 0.0) {
      s.norm_mean = norm_mean_;
      s.norm_std = std::sqrt(std::max(0.0, norm_m2_ / norm_w_));
    }
    return s;
  }

  // ---- construction from externally reduced moments (GPU users) --------------------------------

  /// Projected mode, pass-1 state from class weights/counts and sums (C x D). Continue with
  /// begin_second_pass(), projection_basis(), add_projected_moments() (or update()), finalize().
  template <class = void>
  static class_scatter_accumulator from_class_sums(const class_moments& m) {
    class_scatter_options o;
    o.mode = scatter_mode::projected;
    auto acc = from_sums(m, o, "class_scatter_accumulator::from_class_sums");
    return acc;
  }

  /// Full mode from the pooled centred within-class scatter S = sum_i w_i (x_i - mu_{y_i})(...)^T
  /// (D x D, NOT divided by W). Per-class variances come from m.centred_sq_norms if given.
  template <class = void>
  static class_scatter_accumulator from_within_scatter(const class_moments& m,
                                                       const Eigen::MatrixXd& within_scatter) {
    const char* fn = "class_scatter_accumulator::from_within_scatter";
    auto acc = from_sums(m, class_scatter_options{}, fn);
    check_square(within_scatter, acc.d_, "within_scatter", fn);
    acc.scatter_ = within_scatter;
    if (m.centred_sq_norms.empty()) {
      acc.has_class_traces_ = false;
    } else {
      acc.check_vector(m.centred_sq_norms, "centred_sq_norms", fn);  // size, finite, >= 0
      acc.class_sq_ = m.centred_sq_norms;
    }
    return acc;
  }

  /// Full mode from per-class centred scatters S_c = sum_{i in c} w_i (x_i - mu_c)(...)^T (C of D x D).
  template <class = void>
  static class_scatter_accumulator from_class_scatters(const class_moments& m,
                                                       const std::vector<Eigen::MatrixXd>& class_scatters) {
    const char* fn = "class_scatter_accumulator::from_class_scatters";
    auto acc = from_sums(m, class_scatter_options{}, fn);
    require(static_cast<std::int64_t>(class_scatters.size()) == acc.c_, fn,
            "class_scatters must hold one D x D matrix per class (size=", class_scatters.size(), ", C=",
            acc.c_, ")");
    for (std::size_t c = 0; c < class_scatters.size(); ++c) {
      check_square(class_scatters[c], acc.d_, "class_scatters[c]", fn);
      acc.scatter_ += class_scatters[c];
      acc.class_sq_[c] = class_scatters[c].trace();
    }
    return acc;
  }

  /// Full mode, Gram option, from raw (uncentred) second moments: `raw_second_moment` = sum_i w_i
  /// x_i x_i^T (D x D) and optionally `class_sq_norms` (C) = sum_{i in c} w_i ||x_i||^2. Finishes
  /// with thesis eq. 2.1 and inherits its loss of digits (see the file comment).
  template <class = void>
  static class_scatter_accumulator from_raw_moments(const class_moments& m,
                                                    const Eigen::MatrixXd& raw_second_moment,
                                                    const std::vector<double>& class_sq_norms = {}) {
    const char* fn = "class_scatter_accumulator::from_raw_moments";
    class_scatter_options o;
    o.gram_one_pass = true;
    auto acc = from_sums(m, o, fn);
    check_square(raw_second_moment, acc.d_, "raw_second_moment", fn);
    acc.scatter_ = raw_second_moment;
    if (class_sq_norms.empty()) {
      acc.has_class_traces_ = false;
    } else {
      acc.check_vector(class_sq_norms, "class_sq_norms", fn);  // size, finite, >= 0
      acc.class_sq_ = class_sq_norms;
    }
    return acc;
  }

 private:
  // Rescales a population-divisor scatter to Bessel's n-1 per class (see covariance_divisor).
  template <class = void>
  void apply_unbiased_divisor(class_scatter& s, const char* fn) const {
    const auto ck = s.num_classes();
    double n = 0.0;
    for (index_t k = 0; k < ck; ++k) {
      const auto kk = static_cast<std::size_t>(k);
      require(s.weights[kk] == static_cast<double>(s.counts[kk]), fn,
              "the unbiased (n-1) divisor is defined for unweighted samples only (class ", s.class_ids[kk],
              ": weight=", s.weights[kk], ", count=", s.counts[kk], ")");
      require(s.counts[kk] >= 2, fn, "the unbiased (n-1) divisor needs >= 2 samples in every class (class ",
              s.class_ids[kk], " has ", s.counts[kk], ")");
      n += s.weights[kk];
    }
    const double factor = n / (n - static_cast<double>(ck));
    s.divisor = covariance_divisor::unbiased;
    s.trace_within *= factor;
    s.projected_within *= factor;
    if (s.within.size() > 0) s.within *= factor;
    if (s.within_sum) *s.within_sum *= factor;
    if (s.class_traces)
      for (index_t k = 0; k < ck; ++k) {
        const double nc = s.weights[static_cast<std::size_t>(k)];
        (*s.class_traces)(k) *= nc / (nc - 1.0);
      }
  }

  double total_weight() const {
    double w = 0.0;
    for (double v : weights_) w += v;
    return w;
  }

  // Rows mu_c - mu for classes with weight > 0, zero rows otherwise.
  template <class = void>
  static row_matrix<double> centred(const row_matrix<double>& means, const std::vector<double>& weights) {
    double wtot = 0.0;
    for (double v : weights) wtot += v;
    Eigen::RowVectorXd mu = Eigen::RowVectorXd::Zero(means.cols());
    for (index_t c = 0; c < means.rows(); ++c)
      if (weights[static_cast<std::size_t>(c)] > 0.0)
        mu += (weights[static_cast<std::size_t>(c)] / wtot) * means.row(c);
    row_matrix<double> z = row_matrix<double>::Zero(means.rows(), means.cols());
    for (index_t c = 0; c < means.rows(); ++c)
      if (weights[static_cast<std::size_t>(c)] > 0.0) z.row(c) = means.row(c) - mu;
    return z;
  }

  void check_vector(const std::vector<double>& v, const char* name, const char* fn) const {
    check_vector_size(v, c_, name, fn);
    for (std::size_t i = 0; i < v.size(); ++i)
      require(std::isfinite(v[i]) && v[i] >= 0.0, fn, name, " must be finite and >= 0 (", name, "[", i,
              "]=", v[i], ")");
  }
  static void check_vector_size(const std::vector<double>& v, std::int64_t c, const char* name,
                                const char* fn) {
    require(static_cast<std::int64_t>(v.size()) == c, fn, name, " must have one entry per class (size=",
            v.size(), ", C=", c, ")");
  }
  template <class = void>
  static void check_square(const Eigen::MatrixXd& m, index_t d, const char* name, const char* fn) {
    require(m.rows() == d && m.cols() == d, fn, name, " must be D x D (rows=", m.rows(), ", cols=",
            m.cols(), ", D=", d, ")");
    require(m.allFinite(), fn, name, " must be finite");
  }
  std::vector<std::int64_t> resolve_counts(const std::vector<double>& weights,
                                           const std::vector<std::int64_t>& counts, const char* fn) const {
    std::vector<std::int64_t> n(static_cast<std::size_t>(c_));
    if (counts.empty()) {
      for (std::size_t c = 0; c < n.size(); ++c) {
        require(weights[c] == std::floor(weights[c]), fn,
                "counts are empty, so weights must be whole sample counts (weights[", c, "]=", weights[c], ")");
        n[c] = static_cast<std::int64_t>(weights[c]);
      }
    } else {
      require(static_cast<std::int64_t>(counts.size()) == c_, fn,
              "counts must have one entry per class (size=", counts.size(), ", C=", c_, ")");
      for (std::size_t c = 0; c < n.size(); ++c) {
        require(counts[c] >= 0 && ((counts[c] > 0) == (weights[c] > 0.0)), fn,
                "counts must be >= 0 and positive exactly where weights are (counts[", c, "]=", counts[c],
                ", weights[", c, "]=", weights[c], ")");
        n[c] = counts[c];
      }
    }
    return n;
  }

  template <class = void>
  static class_scatter_accumulator from_sums(const class_moments& m, class_scatter_options o,
                                             const char* fn) {
    require(m.sums.rows() >= 1 && m.sums.cols() >= 1, fn, "sums must be C x D with C, D >= 1 (rows=",
            m.sums.rows(), ", cols=", m.sums.cols(), ")");
    require(m.sums.allFinite(), fn, "sums must be finite");
    class_scatter_accumulator acc(m.sums.rows(), m.sums.cols(), o);
    acc.check_vector(m.weights, "weights", fn);
    acc.counts_ = acc.resolve_counts(m.weights, m.counts, fn);
    acc.weights_ = m.weights;
    for (index_t c = 0; c < acc.c_; ++c) {
      const double w = m.weights[static_cast<std::size_t>(c)];
      if (w > 0.0) acc.means_.row(c) = m.sums.row(c) / w;
      else
        require(m.sums.row(c).isZero(0.0), fn, "sums of an empty class must be zero (class ", c, ")");
    }
    if (m.norm_weight > 0.0) {
      require(std::isfinite(m.norm_sum) && std::isfinite(m.norm_sq_sum) && std::isfinite(m.norm_weight),
              fn, "norm statistics must be finite");
      acc.norm_w_ = m.norm_weight;
      acc.norm_mean_ = m.norm_sum / m.norm_weight;
      acc.norm_m2_ = std::max(0.0, m.norm_sq_sum - m.norm_weight * acc.norm_mean_ * acc.norm_mean_);
    }
    return acc;
  }

  void merge_norms(double wb, double mean_b, double m2_b) {
    detail::chan_merge_scalar(norm_w_, norm_mean_, norm_m2_, wb, mean_b, m2_b);
  }

  // Weighted mean / M2 of a batch's sample norms, Chan-merged into (nw, nmean, nm2).
  static void merge_batch_norms(const std::vector<double>& norms, const std::vector<double>* w, double& nw,
                                double& nmean, double& nm2) {
    double bw = 0.0, bsum = 0.0;
    for (std::size_t i = 0; i < norms.size(); ++i) {
      const double wi = w ? (*w)[i] : 1.0;
      bw += wi;
      bsum += wi * norms[i];
    }
    if (!(bw > 0.0)) return;
    const double bmean = bsum / bw;
    double bm2 = 0.0;
    for (std::size_t i = 0; i < norms.size(); ++i) {
      const double wi = w ? (*w)[i] : 1.0;
      bm2 += wi * (norms[i] - bmean) * (norms[i] - bmean);
    }
    detail::chan_merge_scalar(nw, nmean, nm2, bw, bmean, bm2);
  }

  // out = scale * (x_i - offset) in double, without a temporary.
  template <class T, class Out, class Offset>
  static void load_row(const sample_view<T>& x, index_t i, double scale, const Offset& offset, Out&& out) {
    if (x.rows_contiguous())
      out = scale * (Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(x.row_data(i), x.cols())
                         .template cast<double>() - offset);
    else
      out = scale * (x.map().row(i).template cast<double>() - offset);
  }

  template <class T>
  [[noreturn]] static void non_finite(const sample_view<T>& x, const char* fn) {
    check_finite(x, fn, "x");
    throw_invalid_argument(fn, "x has values so large that their sums or squared norms overflow double");
  }

  template <class T>
  void update_view(const sample_view<T>& x, const std::vector<std::int64_t>& y, const std::vector<double>* w) {
    const char* fn = "class_scatter_accumulator::update";
    if (x.rows() == 0) return;
    require(x.cols() == d_, fn, "x must have dim columns (x cols=", x.cols(), ", dim=", d_, ")");
    if (second_)
      second_pass_update(x, y, w);
    else
      first_pass_update(x, y, w);
  }

  static constexpr index_t chunk_rows = 256;

  template <class T>
  void first_pass_update(const sample_view<T>& x, const std::vector<std::int64_t>& y,
                         const std::vector<double>* w) {
    const char* fn = "class_scatter_accumulator::update";
    const index_t n = x.rows();
    const auto cs = static_cast<std::size_t>(c_);
    if (batch_sums_.rows() != c_ || batch_sums_.cols() != d_) batch_sums_.resize(c_, d_);
    std::vector<char> touched(cs, 0);
    std::vector<index_t> touched_list;
    std::vector<double> bw(cs, 0.0);
    std::vector<std::int64_t> bn(cs, 0);
    std::vector<double> norms(static_cast<std::size_t>(n));
    double total_sq = 0.0;
    for (index_t i = 0; i < n; ++i) {
      const auto c = static_cast<std::size_t>(y[static_cast<std::size_t>(i)]);
      const double wi = w ? (*w)[static_cast<std::size_t>(i)] : 1.0;
      if (!touched[c]) {
        touched[c] = 1;
        touched_list.push_back(static_cast<index_t>(c));
        batch_sums_.row(static_cast<index_t>(c)).setZero();
      }
      auto out = batch_sums_.row(static_cast<index_t>(c));
      // Projected pass 1 only sums (the hot, bandwidth-bound loop); norms come in pass 2 there.
      const bool need_norm = options_.mode == scatter_mode::full;
      if (x.rows_contiguous()) {
        const Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> r(x.row_data(i), d_);
        if (wi == 1.0)
          out += r.template cast<double>();
        else if (wi > 0.0)
          out += wi * r.template cast<double>();
        if (need_norm) norms[static_cast<std::size_t>(i)] = r.template cast<double>().squaredNorm();
      } else {
        const Eigen::RowVectorXd r = x.map().row(i).template cast<double>();
        if (wi > 0.0) out += wi * r;
        if (need_norm) norms[static_cast<std::size_t>(i)] = r.squaredNorm();
      }
      bw[c] += wi;
      if (wi > 0.0) ++bn[c];
    }
    // Finiteness: NaN/Inf anywhere in x makes a sum or squared norm non-finite (weight-0 rows are
    // checked through their norms in full mode, and by check_finite below in projected mode).
    if (options_.mode == scatter_mode::full) {
      for (double v : norms) total_sq += v;
    } else {
      for (index_t c : touched_list) total_sq += batch_sums_.row(c).sum();
      if (w) check_finite(x, fn, "x");
    }
    if (!std::isfinite(total_sq)) non_finite(x, fn);
    for (auto& v : norms) v = std::sqrt(v);

    // Batch means; full mode: centred batch scatter and per-class squared deviations.
    for (index_t c : touched_list)
      if (bw[static_cast<std::size_t>(c)] > 0.0) batch_sums_.row(c) /= bw[static_cast<std::size_t>(c)];
    std::vector<double> bsq(cs, 0.0);
    if (options_.mode == scatter_mode::full) {
      row_matrix<double> r(std::min(chunk_rows, n), d_);
      for (index_t start = 0; start < n; start += chunk_rows) {
        const index_t rows = std::min(chunk_rows, n - start);
        for (index_t i = 0; i < rows; ++i) {
          const auto k = static_cast<std::size_t>(start + i);
          const auto c = static_cast<std::size_t>(y[k]);
          const double wi = w ? (*w)[k] : 1.0;
          const double sw = std::sqrt(wi);
          if (options_.gram_one_pass) {
            load_row(x, start + i, sw, Eigen::RowVectorXd::Zero(d_), r.row(i));
            bsq[c] += wi * norms[k] * norms[k];
          } else {
            load_row(x, start + i, sw, batch_sums_.row(static_cast<index_t>(c)), r.row(i));
            bsq[c] += r.row(i).squaredNorm();
          }
        }
        scatter_.selfadjointView<Eigen::Lower>().rankUpdate(r.topRows(rows).transpose());
      }
    }
    if (options_.mode == scatter_mode::full) merge_batch_norms(norms, w, norm_w_, norm_mean_, norm_m2_);
    // Chan merge of the batch's class means (and the between-batch part of the scatter).
    Eigen::MatrixXd deltas(d_, static_cast<index_t>(touched_list.size()));
    index_t used = 0;
    for (index_t c : touched_list) {
      const auto k = static_cast<std::size_t>(c);
      const double wb = bw[k];
      if (wb <= 0.0) continue;
      const double wa = weights_[k];
      const double wsum = wa + wb;
      const Eigen::RowVectorXd delta = batch_sums_.row(c) - means_.row(c);
      const double factor = wa * wb / wsum;
      if (options_.mode == scatter_mode::full) {
        if (options_.gram_one_pass) {
          class_sq_[k] += bsq[k];
        } else {
          class_sq_[k] += bsq[k] + factor * delta.squaredNorm();
          if (wa > 0.0) deltas.col(used++) = std::sqrt(factor) * delta.transpose();
        }
      }
      means_.row(c) += (wb / wsum) * delta;
      weights_[k] = wsum;
      counts_[k] += bn[k];
    }
    if (used > 0) scatter_.selfadjointView<Eigen::Lower>().rankUpdate(deltas.leftCols(used));
  }

  template <class T>
  void second_pass_update(const sample_view<T>& x, const std::vector<std::int64_t>& y,
                          const std::vector<double>* w) {
    const char* fn = "class_scatter_accumulator::update";
    const index_t n = x.rows();
    for (index_t i = 0; i < n; ++i) {
      const auto c = static_cast<std::size_t>(y[static_cast<std::size_t>(i)]);
      const double wi = w ? (*w)[static_cast<std::size_t>(i)] : 1.0;
      require(wi == 0.0 || weights_[c] > 0.0, fn, "pass 2 saw class ", c,
              " which pass 1 never saw (labels[", i, "]=", c, ")");
    }
    const auto cs = static_cast<std::size_t>(c_);
    std::vector<double> bsq(cs, 0.0), bw(cs, 0.0);
    std::vector<std::int64_t> bn(cs, 0);
    Eigen::MatrixXd bproj = Eigen::MatrixXd::Zero(c_, c_);
    row_matrix<double> r(std::min(chunk_rows, n), d_);
    Eigen::MatrixXd p;
    double total_sq = 0.0, rowsum_sq = 0.0;
    std::vector<double> norms(static_cast<std::size_t>(n));
    for (index_t start = 0; start < n; start += chunk_rows) {
      const index_t rows = std::min(chunk_rows, n - start);
      for (index_t i = 0; i < rows; ++i) {
        const auto k = static_cast<std::size_t>(start + i);
        const auto c = static_cast<std::size_t>(y[k]);
        const double wi = w ? (*w)[k] : 1.0;
        load_row(x, start + i, 1.0, means_.row(static_cast<index_t>(c)), r.row(i));
        norms[k] = (r.row(i) + means_.row(static_cast<index_t>(c))).norm();  // ||x_i|| (for norm CV)
        const double sq = r.row(i).squaredNorm();
        const double row_sum = r.row(i).sum();
        rowsum_sq += wi * row_sum * row_sum;
        total_sq += sq;
        r.row(i) *= std::sqrt(wi);
        bsq[c] += wi * sq;
        bw[c] += wi;
        if (wi > 0.0) ++bn[c];
      }
      if (!std::isfinite(total_sq)) non_finite(x, fn);
      p.noalias() = basis_ * r.topRows(rows).transpose();  // C x rows
      bproj.selfadjointView<Eigen::Lower>().rankUpdate(p);
    }
    proj_ += bproj;
    res_rowsum_sq_ += rowsum_sq;
    merge_batch_norms(norms, w, norm2_w_, norm2_mean_, norm2_m2_);
    for (std::size_t c = 0; c < cs; ++c) {
      res_sq_[c] += bsq[c];
      weights2_[c] += bw[c];
      counts2_[c] += bn[c];
    }
  }

  std::int64_t c_;
  index_t d_;
  class_scatter_options options_;
  bool second_ = false;
  bool has_class_traces_ = true;
  std::vector<std::int64_t> counts_;
  std::vector<double> weights_;
  row_matrix<double> means_;
  Eigen::MatrixXd scatter_;         // full: pooled centred scatter (lower); gram: raw sum w x x^T
  std::vector<double> class_sq_;    // full: sum w ||x - mu_c||^2; gram: sum w ||x||^2
  row_matrix<double> basis_;        // pass 2: rows mu_c - mu
  Eigen::MatrixXd proj_;            // pass 2: sum w p p^T (lower)
  std::vector<double> res_sq_, weights2_;
  double res_rowsum_sq_ = 0.0;      // pass 2: sum w (1^T (x - mu_y))^2
  bool has_rowsum_ = true;
  std::vector<std::int64_t> counts2_;
  double norm_w_ = 0.0, norm_mean_ = 0.0, norm_m2_ = 0.0;     // full mode, or from class_moments
  double norm2_w_ = 0.0, norm2_mean_ = 0.0, norm2_m2_ = 0.0;  // projected mode: from pass 2
  row_matrix<double> batch_sums_;   // scratch (rows zeroed on first touch in each batch)
};

/// One-shot convenience: the class scatter of in-memory features x (N x D) with labels (C = max
/// label + 1 unless num_classes > 0). Runs both passes of the projected mode, or the full mode.
template <class Input, class Labels>
class_scatter compute_class_scatter(const Input& x, const Labels& labels,
                                    class_scatter_options options = {}, std::int64_t num_classes = 0) {
  const auto view = make_view(x);
  const class_labels y = make_labels(labels, num_classes, "compute_class_scatter", "labels");
  require(static_cast<index_t>(y.values.size()) == view.rows(), "compute_class_scatter",
          "labels must have one entry per row of x (labels size=", y.values.size(), ", x rows=",
          view.rows(), ")");
  require(y.num_classes >= 1, "compute_class_scatter", "x has no samples (n=", view.rows(), ")");
  class_scatter_accumulator acc(y.num_classes, view.cols(), options);
  acc.update(view, y.values);
  if (acc.needs_second_pass()) {
    acc.begin_second_pass();
    acc.update(view, y.values);
  }
  return acc.finalize();
}

}  // namespace infogeo::geometry
