// Sufficiency I_V(h -> y) = H_V(y | empty) - H_V(y | h) (thesis ../shared/papers/001 Sec. 1.3,
// the equation after (1.4); Xu et al. 2020, Def. 2), estimated with held-out data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/vinfo/decoder.hpp"
#include "infogeo/vinfo/result.hpp"
#include "infogeo/vinfo/splits.hpp"

namespace infogeo::vinfo {

/// How sufficiency holds data out. folds >= 2 selects stratified K-fold cross-fitting (every
/// sample is held out once; K fits); folds = 0 a single stratified hold-out split with
/// `test_fraction` of each class held out (one fit). Default: hold-out 25 %.
struct sufficiency_options {
  int folds = 0;               ///< 0 (hold-out) or K >= 2
  double test_fraction = 0.25; ///< hold-out only, in (0, 1)
  std::uint64_t seed = 0;      ///< split and fit seeds derive from it
  /// Thresholds of the "decoder_overfit" warning: held-out CE - train CE above both.
  double overfit_gap_nats = 0.05;
  double overfit_gap_fraction = 0.1;  ///< ... and above this fraction of the label entropy
};

/// Sufficiency of `features` (N x D) for `labels` (N integers) under the decoder family `family`.
///
/// H_V(y | empty) is the cross-entropy of the best constant predictor, i.e. the empirical label
/// entropy of all N labels (not log C: imbalanced labels have less). H_V(y | h) is estimated by
/// the held-out mean cross-entropy of decoders fitted on the other samples (fit_purpose::
/// generalize); `value` = H(y) - held-out CE. `value_train` uses the fits' cross-entropy on their
/// own training rows instead: that in-sample protocol is what the thesis reports (Sec. 2.3, Fig.
/// 3.5: decoders trained on the train or test set and evaluated on the same set), and it is biased
/// upwards by overfitting (roughly (D+1)(C-1) / (2 N_train) nats for the linear family).
/// Held-out sufficiency is biased downwards by the same order and is consistent for the family's
/// V-information as N grows; it can be slightly negative when h carries nothing the family uses.
///
/// Labels: any non-negative integers; classes are the values present (absent values are ignored).
/// Errors (invalid_argument): row mismatch, N < 2, D < 0, NaN/Inf, one class, a class smaller
/// than the folds (or than 2 for hold-out), bad options. Verdicts: "decoder_not_converged" (a fit
/// hit its iteration cap), "decoder_overfit" (held-out CE exceeds train CE by more than
/// max(overfit_gap_nats, overfit_gap_fraction * H(y))). Cost: K (or 1) fits on (K-1)/K of the data.
template <class Family, class Range>
sufficiency_result sufficiency(const sample_view<double>& features, const Range& labels, const Family& family,
                               const sufficiency_options& options = {}) {
  static_assert(is_decoder_family_v<Family>,
                "infogeo::vinfo::sufficiency: Family must satisfy the decoder-family concept (decoder.hpp)");
  const char* fn = "vinfo::sufficiency";
  require(options.folds == 0 || options.folds >= 2, fn, "folds must be 0 (hold-out) or >= 2 (folds=", options.folds, ")");
  require(std::isfinite(options.overfit_gap_nats) && options.overfit_gap_nats >= 0.0, fn,
          "overfit_gap_nats must be >= 0 (overfit_gap_nats=", options.overfit_gap_nats, ")");
  require(std::isfinite(options.overfit_gap_fraction) && options.overfit_gap_fraction >= 0.0, fn,
          "overfit_gap_fraction must be >= 0 (overfit_gap_fraction=", options.overfit_gap_fraction, ")");
  const dense_labels y = check_vinfo_inputs(features, labels, fn);
  const bool kfold = options.folds >= 2;
  const std::vector<int> part = kfold ? stratified_folds(y, options.folds, options.seed, fn)
                                      : stratified_holdout(y, options.test_fraction, options.seed, fn);
  const int rounds = kfold ? options.folds : 1;
  const std::int64_t c = y.num_classes();

  sufficiency_result r;
  r.n = features.rows();
  r.dims = features.cols();
  r.num_classes = c;
  r.decoder = family.name();
  r.protocol = kfold ? "kfold" : "holdout";
  r.folds = rounds;
  r.test_fraction = kfold ? 1.0 / options.folds : options.test_fraction;
  r.seed = options.seed;
  r.label_entropy = label_entropy(y.counts);

  double heldout_sum = 0.0;
  std::int64_t heldout_count = 0;
  double train_sum = 0.0;
  typename Family::fitted_type previous;
  bool have_previous = false;
  for (int k = 0; k < rounds; ++k) {
    const int test_part = kfold ? k : 1;
    std::vector<std::int64_t> train_rows, test_rows, train_y, test_y;
    for (std::size_t i = 0; i < y.dense.size(); ++i) {
      if (part[i] == test_part) {
        test_rows.push_back(static_cast<std::int64_t>(i));
        test_y.push_back(y.dense[i]);
      } else {
        train_rows.push_back(static_cast<std::int64_t>(i));
        train_y.push_back(y.dense[i]);
      }
    }
    const row_matrix<double> xtr = gather_rows(features, train_rows);
    const row_matrix<double> xte = gather_rows(features, test_rows);
    decoder_fit_context ctx;
    ctx.purpose = fit_purpose::generalize;
    ctx.seed = options.seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(k + 1);
    typename Family::fitted_type fitted =
        family.fit(view_of(xtr), train_y, c, ctx, have_previous ? &previous : nullptr);
    const double ce_test = mean_cross_entropy(fitted, view_of(xte), test_y);
    const double ce_train = mean_cross_entropy(fitted, view_of(xtr), train_y);
    if (!std::isfinite(ce_test) || !std::isfinite(ce_train))
      throw_numerical_error(fn, "the decoder family ", r.decoder, " returned non-finite log-probabilities (fold ", k,
                            ", held-out CE=", ce_test, ", train CE=", ce_train, ")");
    heldout_sum += ce_test * static_cast<double>(test_rows.size());
    heldout_count += static_cast<std::int64_t>(test_rows.size());
    train_sum += ce_train;
    r.fits.push_back(fitted.report());
    previous = std::move(fitted);
    have_previous = true;
  }
  r.decoder_cross_entropy = heldout_sum / static_cast<double>(heldout_count);
  r.decoder_cross_entropy_train = train_sum / static_cast<double>(rounds);
  r.value = r.label_entropy - r.decoder_cross_entropy;
  r.value_train = r.label_entropy - r.decoder_cross_entropy_train;

  int not_converged = 0;
  for (const auto& f : r.fits)
    if (!f.converged) ++not_converged;
  if (not_converged > 0)
    r.warn("decoder_not_converged",
           infogeo::detail::concat(not_converged, " of ", r.fits.size(), " decoder fits stopped at their iteration cap (",
                          r.fits.front().stop_reason,
                          "): the cross-entropy is above the family's infimum, so sufficiency is underestimated; "
                          "raise max_iterations / max_epochs or standardise the features"),
           static_cast<double>(not_converged));
  const double gap = r.decoder_cross_entropy - r.decoder_cross_entropy_train;
  if (gap > options.overfit_gap_nats && gap > options.overfit_gap_fraction * r.label_entropy)
    r.warn("decoder_overfit",
           infogeo::detail::concat("held-out cross-entropy exceeds the training cross-entropy by ", gap,
                          " nats: the decoder overfits (too few samples for D=", r.dims,
                          " and this family), so train and held-out sufficiency disagree; use more samples, a "
                          "larger l2 / weight decay, or report both numbers"),
           gap);
  return r;
}

}  // namespace infogeo::vinfo
