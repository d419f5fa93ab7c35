// mi::automatic: picks a mutual-information estimator by the measured regime and says why.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

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

namespace detail {
/// Removes the reasons with `code` from e (status ok when none is left): for a check that auto
/// replaces by its own measurement or settles in settings.
inline void drop_reason(estimate& e, const std::string& code) {
  e.reasons.erase(std::remove_if(e.reasons.begin(), e.reasons.end(),
                                 [&](const verdict_reason& r) { return r.code == code; }),
                  e.reasons.end());
  if (e.reasons.empty()) e.status = verdict_status::ok;
}

/// m with each value of every tied column spread uniformly over its cell: half-way to the nearer
/// neighbouring distinct value of the column on either side (the local lattice step; an end value
/// takes its one gap), seeded. Only for measuring the intrinsic dimension of a lattice above its step:
/// never an estimate's input (uniform dequantisation read the MI 0.07-0.4 nats low at steps of 0.5-1
/// sd, session 18).
template <class = void>
row_matrix<double> dequantised(row_matrix<double> m, const neighbors::column_profile& p, std::uint64_t stream) {
  random_engine rng = random_engine(0).split(stream);
  std::vector<double> levels;
  for (index_t j : p.tied_columns()) {
    levels.assign(m.col(j).begin(), m.col(j).end());
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    if (levels.size() < 2) continue;
    for (index_t i = 0; i < m.rows(); ++i) {
      const auto at = static_cast<std::size_t>(std::lower_bound(levels.begin(), levels.end(), m(i, j)) - levels.begin());
      const double below = at > 0 ? levels[at] - levels[at - 1] : levels[at + 1] - levels[at];
      const double above = at + 1 < levels.size() ? levels[at + 1] - levels[at] : below;
      m(i, j) += std::min(below, above) * (rng.uniform() - 0.5);
    }
  }
  return m;
}

/// The TwoNN intrinsic dimension of a lattice sample (Facco et al. 2017) measured above the lattice's
/// step: on the dequantised() sample (every column but class labels, `y_labels`), standardised, in the
/// max norm, against the number of those columns. On the ties-broken sample TwoNN sees the jitter's
/// clusters (two points of a cell 1e-3 sd apart, the next cell a step away: 2 x 2 pairs at 0.25 sd
/// read 1.0-1.7 for 4); spread over their cells the points fill the space where the lattice is
/// populated (rounded Gaussian pairs: 3.7-4.2 for 4) and keep a manifold's dimension where the
/// lattice resolves it (X = (a, sin 2a), Y likewise, rounded to 0.02-0.05: refused). Blind where
/// the cells are as wide as the spacing on the manifold (that curve at 0.1-0.25, n = 5000: 3.3-3.6
/// for 2). Discrete columns that mixed KSG reads as categorical are spread too. Records details
/// "intrinsic_dimension_dequantised" and its threshold on `e` (none for fewer than two columns),
/// and warns "intrinsic_dimension" when low.
template <class = void>
void check_lattice_dimension(estimate& e, const row_matrix<double>& mx, const neighbors::column_profile& px,
                             const row_matrix<double>& my, const neighbors::column_profile& py, bool y_labels,
                             neighbors::backend search) {
  row_matrix<double> cx = dequantised(mx, px, 0);
  row_matrix<double> cy = dequantised(my, py, 1);
  const neighbors::preprocess_options standardise = mi_preprocess_default();
  neighbors::preprocess(cx, standardise, "mi::automatic", "x", 0);
  neighbors::preprocess(cy, standardise, "mi::automatic", "y", 1);
  const row_matrix<double> joint = y_labels ? cx : hstack({&cx, &cy});
  const auto r = neighbors::knn_self(joint, std::min<index_t>(2, joint.rows() - 1), norm_kind::chebyshev, search);
  neighbors::check_intrinsic_dimension(e, r, joint.cols(), "mi::automatic", "(x, y) (lattice spread over its cells)",
                                       false, "_dequantised");
}
}  // namespace detail

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
///  * values on a lattice (rounded or quantised; mixed KSG warns "lattice_ties"): mixed KSG on the values
///    with the ties broken (detail::ties_broken, lattice_jitter of each non-categorical column's sd),
///    where its checks pass with the intrinsic dimension measured on the lattice spread over its cells
///    (detail::check_lattice_dimension) and, with categorical columns, the reading with them ordered
///    agrees ("discrete_distance" otherwise); settings "lattice" (session 19: on rounded Gaussian pairs,
///    1-3 pairs at 0.02-1 sd, 135 sets, refusals 85 -> 41, no silent miss);
///  * y_labels with classes of <= k rows: mixed KSG leaves them out where rare_class_bound() is within
///    half the tolerance (else it refuses); auto returns that value when no other check fires, settings
///    "rare_classes".
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
  if (e.has_reason("lattice_ties")) {
    // A lattice (rounded, quantised or low-precision values): mixed KSG's strict counts read it high.
    // The reading with the ties broken (lattice_jitter of each non-categorical column's sd) is returned
    // where its checks pass, its intrinsic dimension measured above the lattice's step
    // (check_lattice_dimension: on the jittered sample TwoNN sees the jitter's clusters).
    mixed_ksg_options levels;
    levels.k = opt.k;
    const std::vector<bool> cat_x = detail::categorical_columns(mx, px, levels, false, fn, "x");
    const std::vector<bool> cat_y = detail::categorical_columns(my, py, levels, opt.y_labels, fn, "y");
    estimate b = run(detail::ties_broken(mx, cat_x, 0), detail::ties_broken(my, cat_y, 1));
    const double jittered_id = b.details.count("intrinsic_dimension") ? b.details.at("intrinsic_dimension") : std::nan("");
    detail::drop_reason(b, "intrinsic_dimension");
    detail::check_lattice_dimension(b, mx, px, my, py, opt.y_labels, opt.search);
    // Discrete columns that mixed KSG reads as categorical (>= 10 rows per level) may be a coarse
    // lattice too: the value is returned only where it does not depend on reading their levels as
    // unordered (a rounded curve X = (a, sin 2a) at 0.1: categorical 0.33, ordered 0.49, I = 0.51).
    const bool any_categorical = std::count(cat_x.begin(), cat_x.end(), true) +
                                     std::count(cat_y.begin(), cat_y.end(), true) > (opt.y_labels ? 1 : 0);
    if (any_categorical) {
      mixed_ksg_options numeric = levels;
      numeric.y_labels = opt.y_labels;
      numeric.sample_size_check.enabled = false;
      const std::vector<bool> none_x(cat_x.size(), false);
      const std::vector<bool> labels_y(cat_y.size(), opt.y_labels);
      const double ordered =
          mixed_ksg(detail::ties_broken(mx, none_x, 0), detail::ties_broken(my, labels_y, 1), numeric).value;
      b.details["value_ties_broken_ordered"] = ordered;
      if (!detail::reading_agrees(b, ordered))
        b.warn("discrete_distance",
               infogeo::detail::concat("with the ties broken, the discrete columns read as categorical (",
                                       detail::categorical_names(cat_x, cat_y), ") give ", b.value,
                                       " and read as ordered numbers ", ordered,
                                       ": the data cannot say which is right on this lattice"),
               ordered - b.value);
    }
    const double tied = e.details.at("distance_tied_fraction");
    std::string codes;
    for (const auto& r : b.reasons)
      if (r.code != "rare_classes") codes += (codes.empty() ? "" : ", ") + r.code;
    if (codes.empty()) {
      b.settings["lattice"] = infogeo::detail::concat(
          "ties broken by a jitter of ", lattice_jitter, " sd of each non-categorical column: ", 100.0 * tied,
          "% of the points off the atoms had tied k-th neighbour distances (a lattice), where mixed KSG's strict "
          "counts read ", e.value,
          b.details.count("intrinsic_dimension_dequantised")
              ? infogeo::detail::concat("; intrinsic dimension ", b.details.at("intrinsic_dimension_dequantised"),
                                        " measured on the lattice spread over its cells (", jittered_id,
                                        " on the jittered sample: the jitter's clusters)")
              : std::string());
      reason += infogeo::detail::concat("; the values lie on a lattice (", 100.0 * tied,
                                        "% tied neighbour distances): the reading with the ties broken");
      e = std::move(b);
    } else {
      reason += infogeo::detail::concat("; the values lie on a lattice, and the reading with the ties broken (", b.value,
                                        ") was not taken: its checks warn (", codes, ")");
    }
  }
  if (opt.y_labels && e.has_reason("rare_classes") && e.reasons.size() == 1) {
    // Classes of <= k rows were left out by mixed KSG, which keeps the value only where the chain rule
    // bounds the change within half the tolerance (rare_class_bound()); every other check passed.
    e.settings["rare_classes"] = infogeo::detail::concat(
        "left out ", e.details.at("rows_dropped_rare_classes"), " rows of classes with <= k=", opt.k,
        " rows (no k-th neighbour inside them): the value is I(X;Y | Y in the other classes), within ",
        e.details.at("rare_class_bound"), " nats of I(X;Y) (chain-rule bound, <= half the tolerance)");
    reason += "; classes of <= k rows left out (the chain rule bounds the change within half the tolerance)";
    detail::drop_reason(e, "rare_classes");
  }
  if (scored > 0)
    e.settings["marginal_transform"] = infogeo::detail::concat("normal scores of all ", scored, " continuous column(s)");
  else if (heavy > 0)
    e.settings["marginal_transform"] = infogeo::detail::concat("normal scores of ", heavy, " heavy-tailed column(s)");
  return accept_automatic_choice(std::move(e), reason, fn);
}

}  // namespace infogeo::mi
