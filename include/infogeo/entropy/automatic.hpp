// entropy::automatic: picks a k-NN entropy estimator by the measured regime and says why.
#pragma once

#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/neighbors/preprocess.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/whitening.hpp"

namespace infogeo::entropy {

/// Options of automatic().
struct automatic_options {
  neighbors::backend search = neighbors::backend::automatic;
};

/// Differential entropy h(X) in nats with the estimator whose home ground the data are in
/// (docs/choosing.md has the decision table and the bench evidence):
///  * d <= 3: Kozachenko-Leonenko, k = 3 (BSY 2019: efficient for d <= 3; lowest RMSE in the bench);
///  * d >= 4: weighted Kozachenko-Leonenko (auto k) when its bias-cancelling weights are small at
///    this n (no "weight_variance" warning: wkl_weight_variance_warned(), 2 x 0.85 ||w||_2 / sqrt(n)
///    <= 0.1 d, and not refused: ||w||_2 <= sqrt(n)); otherwise plain KL with
///    k = 3, whose bias grows with d but whose variance does not explode; also plain KL when the
///    weighted estimate warns and plain KL's checks are silent.
/// Tie-free, non-collinear data are first whitened by the Cholesky factor L of their sample covariance,
/// and h(X) = h(W) + log |det L| (settings "whitening", detail "log_abs_det_whitening"), unless the
/// whitened points would coincide in double precision (then the data are used as given, and auto_reason
/// says so).
/// The choice and the reason are recorded in settings "auto_choice" and "auto_reason". The chosen
/// estimator's checks run as usual; a refusal (constant or discrete columns, intrinsic dimension
/// below d) propagates, and a value whose checks warn is never returned: it is refused with the
/// warnings as reasons (code of the first warning).
/// Errors: as kozachenko_leonenko().
template <class Input>
estimate automatic(const Input& x, const automatic_options& opt = {}) {
  constexpr const char* fn = "entropy::automatic";
  const auto view = make_view(x);
  check_shape(view, 2, fn, "x");
  const index_t n = view.rows();
  const index_t d = view.cols();
  estimate e;
  std::string reason;
  bool weighted = false;
  if (d >= 4) {
    const index_t k = wkl_default_k(d);
    if (k < n) {
      double norm = 0.0;
      for (double w : wkl_weights(k, d)) norm += w * w;
      norm = std::sqrt(norm);
      weighted = norm <= wkl_weight_norm_limit(n) && !wkl_weight_variance_warned(norm, n, d);
      reason = weighted ? infogeo::detail::concat("d = ", d, " >= 4 and the weighted-KL weights are small at n = ", n,
                                                  " (||w|| = ", norm, "): bias-cancelling weights")
                        : infogeo::detail::concat("d = ", d, " >= 4 but the weighted-KL weights would inflate the "
                                                  "variance at n = ", n, " (||w|| = ", norm, "): plain KL, k = 3");
    } else {
      reason = infogeo::detail::concat("n = ", n, " too small for the weighted estimator's k: plain KL, k = 3");
    }
  } else {
    reason = infogeo::detail::concat("d = ", d, " <= 3: plain Kozachenko-Leonenko, k = 3");
  }
  // Whitening (Cholesky, h(X) = h(W) + log |det L|): the k-NN estimators are not affine-equivariant,
  // and thin or strongly correlated directions bias them far beyond their checks (session 17's red
  // team: a 7-D Gaussian latent in 8-D plus noise of sd 1e-4, truth 7.38, read 15.01 with status ok;
  // whitened, within the tolerance on 22 of 24 such sets). Not for tied columns (whitening would mix
  // the ties away, and the estimators refuse them), nor collinear ones (no whitening exists: the
  // intrinsic-dimension check refuses them).
  // Nor where centring and rotating would make distinct points coincide in double precision (points
  // within 1e-16 of the spread of each other, e.g. a density pole at 0 sampled to 1e-21: the estimators
  // would then reject duplicates the data do not have).
  row_matrix<double> m = to_row_matrix<double>(view);
  double log_abs_det = 0.0;
  bool whitened = false;
  if (d >= 2 && neighbors::profile_columns(m).tied_columns().empty()) {
    row_matrix<double> w = m;
    if (stats::whiten_columns(w, stats::all_columns(d), &log_abs_det)) {
      if (neighbors::count_duplicate_rows(w) == 0) {
        m = std::move(w);
        whitened = true;
        reason += "; whitened first (Cholesky of the sample covariance; h(X) = h(W) + log |det L|: the k-NN "
                  "estimators are not affine-equivariant)";
      } else {
        reason += "; not whitened: centring and rotating would make distinct points coincide in double "
                  "precision (points closer than 1e-16 of the spread)";
      }
    }
  }
  kl_options plain;
  plain.search = opt.search;
  if (weighted) {
    wkl_options o;
    o.search = opt.search;
    e = weighted_kozachenko_leonenko(m, o);
    if (!e.reasons.empty()) {
      // The weighted estimate warns (e.g. it still moves with n): plain KL, whose bias grows with d but
      // whose variance does not, is taken when its own checks are silent (session 17: the bench's
      // 10-D Gaussian at n = 2000 read -0.82 weighted, with a -0.27 half-sample movement, and +0.14 plain).
      estimate p = kozachenko_leonenko(m, plain);
      if (p.reasons.empty()) {
        reason += infogeo::detail::concat("; but the weighted estimate warns (", e.reasons.front().code,
                                          ") and plain KL (k = 3) does not: plain KL");
        e = std::move(p);
      }
    }
  } else {
    e = kozachenko_leonenko(m, plain);
  }
  if (whitened) {
    e.value += log_abs_det;
    e.details["log_abs_det_whitening"] = log_abs_det;
    e.settings["whitening"] = "cholesky (h(X) = h(W) + log |det L|)";
  }
  return accept_automatic_choice(std::move(e), reason, fn);
}

}  // namespace infogeo::entropy
