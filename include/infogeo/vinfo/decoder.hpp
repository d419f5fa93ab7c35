// The decoder-family interface of predictive V-information (Xu et al. 2020, "A Theory of Usable
// Information under Computational Constraints", Def. 1-2; Dubois et al. 2020, the decodable
// information bottleneck; thesis ../shared/papers/001 Sec. 1.3): a family V is a set of
// functions h -> distribution over labels, and H_V(y | h) is the infimum over V of the expected
// cross-entropy. A family is "fitted" to find (an approximation of) that infimum.
//
// The interface is a compile-time concept (no virtual functions, so that including a family costs
// nothing until it is used). A decoder family is any copyable type F with
//
//   using fitted_type = ...;                        // the fitted decoder, see below
//   std::string name() const;                       // e.g. "linear_softmax"
//   fitted_type fit(const sample_view<double>& features,      // N x D, finite
//                   const std::vector<std::int64_t>& labels,  // N labels in 0..num_classes-1
//                   std::int64_t num_classes,
//                   const decoder_fit_context& context,       // purpose, seed, warm start hints
//                   const fitted_type* warm_start) const;     // may be null
//
// and a fitted_type with
//
//   row_matrix<double> log_probabilities(const sample_view<double>& features) const;  // N x C,
//                                                      // natural-log probabilities, rows sum to 1
//   const decoder_fit_report& report() const;          // how the fit went (converged, iterations)
//
// Families in infogeo: linear_softmax_family (linear_decoder.hpp, convex, solved to optimality)
// and mlp_decoder_family (mlp_decoder.hpp, Adam/AdamW with early stopping). To add one (e.g. a
// LibTorch module factory), write a type with the members above and pass it to sufficiency(),
// minimality() or vinfo_layers(); docs/vinfo.md "Adding a decoder family" lists the rules
// (determinism with context.seed, honour context.purpose, never return non-finite log-probs).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::vinfo {

/// What a decoder is being fitted for.
enum class fit_purpose {
  /// Sufficiency on held-out data: the family may hold out part of `features` for early stopping
  /// or model selection (the caller evaluates it on other data).
  generalize,
  /// Minimality, or the thesis's in-sample protocol: the quantity of interest is the training
  /// cross-entropy itself (how well the family can fit these labels), so every sample is used for
  /// fitting and stopping rules look at the training loss only.
  in_sample
};

/// Per-fit information passed from sufficiency()/minimality() to a family.
struct decoder_fit_context {
  fit_purpose purpose = fit_purpose::generalize;
  std::uint64_t seed = 0;  ///< every random choice of the fit derives from this
};

/// How one fit went. Families fill what applies; the verdicts read `converged`.
struct decoder_fit_report {
  bool converged = false;              ///< the family's stopping rule was met (not an iteration cap)
  std::int64_t iterations = 0;         ///< optimiser iterations (L-BFGS) or epochs (MLP)
  std::int64_t evaluations = 0;        ///< objective/gradient evaluations (or minibatch steps)
  double objective = 0.0;              ///< final training objective (mean CE + penalty), nats
  double train_cross_entropy = 0.0;    ///< mean CE on the data the fit used for training, nats
  double gradient_norm = 0.0;          ///< final max-abs gradient (linear) / 0 if not applicable
  double validation_cross_entropy = std::nan("");  ///< early-stopping CE where one was used
  std::string stop_reason;             ///< e.g. "gradient tolerance", "patience", "max_iterations"
};

/// Mean cross-entropy -1/N sum_i log q(y_i | h_i) of a fitted decoder on (features, labels), in
/// nats. Labels are checked against the decoder's number of classes. O(cost of log_probabilities).
template <class Fitted>
double mean_cross_entropy(const Fitted& decoder, const sample_view<double>& features,
                          const std::vector<std::int64_t>& labels) {
  const char* fn = "vinfo::mean_cross_entropy";
  require(static_cast<index_t>(labels.size()) == features.rows(), fn,
          "features and labels must have the same number of rows (features rows=", features.rows(),
          ", labels=", labels.size(), ")");
  require(features.rows() >= 1, fn, "needs at least one sample (n=0)");
  const row_matrix<double> logp = decoder.log_probabilities(features);
  double sum = 0.0;
  for (index_t i = 0; i < logp.rows(); ++i) {
    const std::int64_t y = labels[static_cast<std::size_t>(i)];
    require(y >= 0 && y < logp.cols(), fn, "labels must be in [0, ", logp.cols(), ") (labels[", i,
            "]=", y, ")");
    sum -= logp(i, static_cast<index_t>(y));
  }
  return sum / static_cast<double>(logp.rows());
}

/// The rows `rows` of `features` as a contiguous row-major matrix (one copy, O(|rows| D)).
template <class T>
row_matrix<double> gather_rows(const sample_view<T>& features, const std::vector<std::int64_t>& rows) {
  row_matrix<double> out(static_cast<index_t>(rows.size()), features.cols());
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (index_t j = 0; j < features.cols(); ++j)
      out(static_cast<index_t>(r), j) = static_cast<double>(features(static_cast<index_t>(rows[r]), j));
  return out;
}

/// A row-major view of a row-major Eigen matrix.
template <class = void>
sample_view<double> view_of(const row_matrix<double>& m) {
  return sample_view<double>(m.data(), m.rows(), m.cols());
}

/// The input checks every decoder family's fit() makes (function name `fn` in the messages):
/// non-empty features, one label per row, at least 2 classes, labels in [0, num_classes).
inline void check_fit_inputs(const char* fn, const sample_view<double>& features,
                             const std::vector<std::int64_t>& labels, std::int64_t num_classes) {
  require(features.rows() >= 1 && features.cols() >= 1, fn, "features must be non-empty (rows=", features.rows(),
          ", cols=", features.cols(), ")");
  require(static_cast<index_t>(labels.size()) == features.rows(), fn,
          "features and labels must have the same number of rows (features rows=", features.rows(),
          ", labels=", labels.size(), ")");
  require(num_classes >= 2, fn, "num_classes must be >= 2 (num_classes=", num_classes, ")");
  for (std::size_t i = 0; i < labels.size(); ++i)
    require(labels[i] >= 0 && labels[i] < num_classes, fn, "labels must be in [0, num_classes) (labels[", i,
            "]=", labels[i], ", num_classes=", num_classes, ")");
}

namespace detail {
template <class F, class = void>
struct is_decoder_family : std::false_type {};
template <class F>
struct is_decoder_family<
    F, std::void_t<typename F::fitted_type,
                   decltype(std::declval<const F&>().fit(
                       std::declval<const sample_view<double>&>(),
                       std::declval<const std::vector<std::int64_t>&>(), std::int64_t{},
                       std::declval<const decoder_fit_context&>(),
                       std::declval<const typename F::fitted_type*>())),
                   decltype(std::declval<const typename F::fitted_type&>().log_probabilities(
                       std::declval<const sample_view<double>&>())),
                   decltype(std::declval<const typename F::fitted_type&>().report()),
                   decltype(std::declval<const F&>().name())>> : std::true_type {};
}  // namespace detail

/// True when F satisfies the decoder-family concept above (used in static_asserts with a message).
template <class F>
inline constexpr bool is_decoder_family_v = detail::is_decoder_family<F>::value;

}  // namespace infogeo::vinfo
