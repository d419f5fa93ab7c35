// Area under the ROC curve with ties (Mann-Whitney U / (n_pos n_neg)).
#pragma once

#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/stats/rank_correlation.hpp"

namespace infogeo::stats {

/// AUROC = P(S_pos > S_neg) + 1/2 P(S_pos = S_neg) (Hanley & McNeil 1982), computed from the
/// average ranks of the pooled scores: (R_pos - n_pos (n_pos + 1)/2) / (n_pos n_neg). Higher
/// scores mean "positive". 1 = perfect separation, 0.5 = chance (or all tied), 0 = reversed.
/// O(n log n). Throws invalid_argument if either class is empty or a score is not finite.
inline double auroc(const std::vector<double>& positive_scores, const std::vector<double>& negative_scores) {
  const char* fn = "stats::auroc";
  require(!positive_scores.empty() && !negative_scores.empty(), fn,
          "both classes must be non-empty (positives=", positive_scores.size(), ", negatives=",
          negative_scores.size(), ")");
  std::vector<double> all(positive_scores);
  all.insert(all.end(), negative_scores.begin(), negative_scores.end());
  detail::check_finite_values(all, fn, "scores");
  const std::vector<double> ranks = average_ranks(all);
  double rank_sum = 0.0;
  for (std::size_t i = 0; i < positive_scores.size(); ++i) rank_sum += ranks[i];
  const double np = static_cast<double>(positive_scores.size());
  const double nn = static_cast<double>(negative_scores.size());
  return (rank_sum - 0.5 * np * (np + 1.0)) / (np * nn);
}

/// AUROC from scores and 0/1 labels (label 1 = positive). Other label values are rejected.
/// (A separate name, so that a std::vector<double> of labels can never be mistaken for scores.)
template <class Label>
double auroc_from_labels(const std::vector<double>& scores, const std::vector<Label>& labels) {
  const char* fn = "stats::auroc";
  require(scores.size() == labels.size(), fn, "scores and labels must have the same length (scores=", scores.size(),
          ", labels=", labels.size(), ")");
  std::vector<double> pos, neg;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    require(labels[i] == Label(0) || labels[i] == Label(1), fn, "labels must be 0 or 1 (labels[", i,
            "]=", static_cast<double>(labels[i]), ")");
    (labels[i] == Label(1) ? pos : neg).push_back(scores[i]);
  }
  return auroc(pos, neg);
}

}  // namespace infogeo::stats
