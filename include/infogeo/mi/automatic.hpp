// mi::automatic: picks a mutual-information estimator by the measured regime and says why.
#pragma once

#include <string>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/tolerance.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/gaussian.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/mi/mixed_ksg.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/heavy_tails.hpp"

namespace infogeo::mi {

/// Options of automatic().
struct automatic_options {
  index_t k = 3;
  neighbors::backend search = neighbors::backend::automatic;
  bool y_labels = false;  ///< Y is one column of class labels: mixed KSG with Y categorical (Ross 2014)
};

/// I(X;Y) in nats with the estimator whose home ground the data are in (docs/choosing.md):
///  * a constant column: refused ("constant_column");
///  * any column of X or Y with tied values (discrete, mixed, labels), or duplicate (x, y) rows: mixed
///    KSG (Gao et al. 2017),
///    exact on ties, equal to KSG-1 elsewhere; discrete columns with enough rows per level, and Y
///    given as labels (y_labels), are categorical there (discrete_distance);
///  * otherwise KSG-1 (k = 3, standardised): the lowest-RMSE k-NN MI estimator on the bench's
///    continuous tasks; the entropy differences do not cancel their biases.
///  * if the joint intrinsic dimension is low and X or Y is rank-deficient (a linear embedding),
///    each side is projected on its numerical rank by PCA (MI is invariant under the injective
///    linear map back) and the estimator rerun; settings "compression" records it.
///  * continuous columns far from Gaussian in shape whose normal scores change the estimate
///    ("normal_scores_disagree"): every continuous column replaced by its normal scores and the
///    estimator rerun (session 17's red team: tanh of a Gaussian pair, 2 x 2, I = 1.02, read 0.80);
///  * strongly correlated continuous columns whose whitening changes the estimate
///    ("correlated_columns"): each side's continuous columns are Cholesky-whitened
///    (stats::whiten_columns; MI is invariant under the invertible linear maps) and the estimator
///    rerun; settings "whitening" (session 17: X = (a + 10 b, a - 10 b), I = 1.02, KSG read 0.80);
///  * tie-free columns with heavy tails (stats::heavy_tail_ratio) are first replaced by their normal
///    scores (stats::to_normal_scores): MI is invariant under a monotone map of each column, and KSG
///    read a Cauchy-marginal Gaussian copula (2 x 2, I = 1.02) at 0.68-0.75; settings
///    "marginal_transform";
///  * if KSG's neighbourhoods span the data ("neighbourhood_scale": biased toward 0) and (X, Y) pass
///    the Gaussian shape checks (per column and Mardia's joint kurtosis, gaussian_mutual_information's
///    verdict) with n > dx + dy, and KSG (biased toward 0 there) does not exceed it by more than
///    twice KSG's standard error or the tolerance, whichever is smaller (else the data carry dependence the covariance does not: session 15's red team found
///    Y_i = +-rho X_i with random signs, Gaussian marginals, p = 5 pairs, I = 3.3, where the Gaussian
///    formula read 0.01 with status ok, Mardia's kurtosis 139.7 just inside its 120 +- 20): the Gaussian
///    formula, exact for jointly Gaussian data; where the raw columns fail the shape checks and their
///    normal scores pass them, the formula on the normal scores (exact for a Gaussian copula).
/// The choice and the reason are recorded in settings "auto_choice" and "auto_reason". A value
/// whose checks still warn is never returned: it is refused with those reasons.
template <class InputX, class InputY>
estimate automatic(const InputX& x, const InputY& y, const automatic_options& opt = {}) {
  constexpr const char* fn = "mi::automatic";
  const auto vx = make_view(x);
  const auto vy = make_view(y);
  check_paired_samples(vx, vy, 2, fn);
  row_matrix<double> mx = to_row_matrix<double>(vx);
  row_matrix<double> my = to_row_matrix<double>(vy);
  const auto px = detail::mi_column_checks(mx, fn, "x");
  const auto py = detail::mi_column_checks(my, fn, "y");
  // Heavy tails: normal scores of those columns first (MI is invariant under the monotone map).
  const index_t heavy = stats::normal_scores_of_heavy_columns(mx) + stats::normal_scores_of_heavy_columns(my);
  // Duplicate (x, y) rows below the columns' tie threshold (one repeated row, or a few saturated
  // activations) make KSG-1 throw (it needs distinct points); mixed KSG takes them as exact atoms.
  const index_t duplicates = neighbors::count_duplicate_rows(detail::hstack({&mx, &my}));
  const bool tied = opt.y_labels || !px.tied_columns().empty() || !py.tied_columns().empty() || duplicates > 0;
  auto run = [&](const row_matrix<double>& a, const row_matrix<double>& b) {
    if (tied) {
      mixed_ksg_options o;
      o.k = opt.k;
      o.search = opt.search;
      o.y_labels = opt.y_labels;
      return mixed_ksg(a, b, o);
    }
    ksg_options o;
    o.k = opt.k;
    o.search = opt.search;
    return ksg(a, b, o);
  };
  std::string reason = tied ? infogeo::detail::concat("columns with tied values (up to ",
                                                      100.0 * std::max(px.max_tied_fraction(), py.max_tied_fraction()),
                                                      "% of rows; ", duplicates,
                                                      " duplicate rows): mixed KSG handles ties exactly")
                            : std::string("continuous columns: KSG-1, k = ") + std::to_string(opt.k) + ", standardised";
  if (heavy > 0)
    reason += infogeo::detail::concat("; ", heavy, " heavy-tailed column(s) (tail ratio > ", stats::heavy_tail_ratio,
                                      ") replaced by their normal scores first (MI is invariant under the monotone "
                                      "map)");
  estimate e = run(mx, my);
  index_t scored = 0;
  if (e.has_reason("normal_scores_disagree")) {
    // Non-Gaussian marginals changed the estimate: every continuous column by its normal scores (a
    // monotone map of each: the MI is unchanged), then on as before (whitening may follow).
    const std::vector<index_t> cx = detail::continuous_columns(px, mx.cols());
    const std::vector<index_t> cy = detail::continuous_columns(py, my.cols());
    stats::normal_scores_of_columns(mx, cx);
    stats::normal_scores_of_columns(my, cy);
    scored = static_cast<index_t>(cx.size() + cy.size());
    // as the reading that warned
    const bool whitened = detail::whiten_if_correlated(mx, detail::whitenable_columns(mx, px), my,
                                                       detail::whitenable_columns(my, py));
    e = run(mx, my);
    if (whitened) e.settings["whitening"] = "cholesky, continuous columns of x and of y (after the normal scores)";
    reason += infogeo::detail::concat(
        "; columns far from Gaussian in shape changed the estimate: every continuous column replaced by its normal "
        "scores first", whitened ? ", then whitened" : "", " (MI is invariant under the monotone and linear maps)");
  }
  if (e.has_reason("correlated_columns")) {
    // Collinear columns stretch the k-NN boxes: whiten each side's continuous columns (an invertible
    // linear map of X and one of Y: the MI is unchanged) and go on with the whitened sample.
    const double vif = std::max(e.details.at("max_vif_x"), e.details.at("max_vif_y"));
    detail::whiten_if_correlated(mx, detail::whitenable_columns(mx, px), my, detail::whitenable_columns(my, py));
    e = run(mx, my);
    e.settings["whitening"] = "cholesky, continuous columns of x and of y";
    reason += infogeo::detail::concat("; strongly correlated columns (largest variance inflation factor ", vif,
                                      ") changed the estimate: x and y whitened first (MI is invariant under the "
                                      "invertible linear maps)");
  }
  if (e.has_reason("intrinsic_dimension")) {
    // A linear embedding: project each side on its numerical rank and retry.
    const pca_projector fx(mx, mx.cols());
    const pca_projector fy(my, my.cols());  // labels: one column, rank 1, never projected
    const index_t rx = std::max<index_t>(numerical_rank(fx), 1);
    const index_t ry = std::max<index_t>(numerical_rank(fy), 1);
    if (rx < mx.cols() || ry < my.cols()) {
      const row_matrix<double> cx = pca_projector(mx, rx).transform(mx);
      const row_matrix<double> cy = pca_projector(my, ry).transform(my);
      estimate c = run(cx, cy);
      if (c.reasons.empty()) {
        e = c;
        e.settings["compression"] = infogeo::detail::concat("pca to the numerical ranks (", rx, ", ", ry, ")");
        reason += infogeo::detail::concat("; X and Y lie in linear subspaces of rank ", rx, " and ", ry,
                                          ": projected on them first (MI is invariant under the injective map)");
      }
    }
  }
  if (e.has_reason("neighbourhood_scale") && !tied && mx.rows() > mx.cols() + my.cols()) {
    try {
      estimate g = gaussian_mutual_information(mx, my);
      // Non-Gaussian marginals: the formula on the columns' normal scores, exact for a Gaussian copula
      // (MI is invariant under the monotone maps), where the scores pass the same shape checks.
      bool copula = false;
      if (!g.reasons.empty() && scored == 0) {
        row_matrix<double> sx = mx;
        row_matrix<double> sy = my;
        stats::normal_scores_of_columns(sx, detail::continuous_columns(px, mx.cols()));
        stats::normal_scores_of_columns(sy, detail::continuous_columns(py, my.cols()));
        estimate on_scores = gaussian_mutual_information(sx, sy);
        if (on_scores.reasons.empty()) {
          g = std::move(on_scores);
          copula = true;
        }
      }
      // KSG is biased toward 0 here, so a KSG value above the Gaussian one by more than the tolerance
      // is dependence that the covariance does not carry (non-linear, behind Gaussian marginals, which
      // Mardia's kurtosis can miss in many dimensions): the Gaussian formula would understate it.
      const double ksg_excess = e.value - g.value;
      e.details["auto_ksg_minus_gaussian"] = ksg_excess;
      g.details["auto_ksg_minus_gaussian"] = ksg_excess;
      // KSG's own sd (its std_error) bounds what noise can explain: above 2 sd, or above the tolerance,
      // the excess is dependence (session 16's red team: a 4 x 4 Gaussian mixture passed Mardia's test,
      // KSG read 0.09 above the Gaussian 0.19, inside the tolerance, and the Gaussian was taken for I = 0.34).
      const double noise = e.std_error ? 2.0 * *e.std_error : 0.0;
      if (ksg_excess > std::min(noise, accuracy_tolerance(tolerance_kind::scale_invariant, g.value,
                                                           mx.cols() + my.cols()))) {
        reason += infogeo::detail::concat("; the Gaussian formula was not taken: KSG, biased toward 0 here, reads ",
                                          ksg_excess, " nats more than it (dependence the covariance does not carry)");
      } else if (g.reasons.empty()) {
        reason += infogeo::detail::concat(
            "; KSG's k-th neighbours lie a median ", e.details.at("neighbourhood_scale"),
            " robust sd away (biased toward 0) and (x, y)", copula ? "'s normal scores" : "",
            " pass the Gaussian shape checks (per column and Mardia's joint kurtosis): the Gaussian formula",
            copula ? " on the normal scores, exact for a Gaussian copula" : ", exact for jointly Gaussian data");
        if (copula) scored = static_cast<index_t>(detail::continuous_columns(px, mx.cols()).size() +
                                                  detail::continuous_columns(py, my.cols()).size());
        e = std::move(g);
      }
    } catch (const numerical_error&) {
      // a singular covariance: no Gaussian formula; KSG's warning stands
    }
  }
  if (scored > 0)
    e.settings["marginal_transform"] = infogeo::detail::concat("normal scores of all ", scored, " continuous column(s)");
  else if (heavy > 0)
    e.settings["marginal_transform"] = infogeo::detail::concat("normal scores of ", heavy, " heavy-tailed column(s)");
  return accept_automatic_choice(std::move(e), reason, fn);
}

}  // namespace infogeo::mi
