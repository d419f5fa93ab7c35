// The MLP decoder family of V-information (thesis ../shared/papers/001 Sec. 1.3: V^l is the set of
// all parametrisations of the network's remaining layers f^{L:l+1}; an MLP with softmax output is
// the framework-agnostic stand-in): q(y | h) = softmax(mlp(standardise(h))), trained on the mean
// cross-entropy with Adam (Kingma & Ba 2015) or AdamW (decoupled weight decay, Loshchilov & Hutter
// 2019) on minibatches, with early stopping. Non-convex: the result depends on the seed, and
// "converged" means the stopping rule fired, not that the family's infimum was reached.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/mi/doe_mlp.hpp"
#include "infogeo/vinfo/decoder.hpp"

namespace infogeo::vinfo {

/// Options of the MLP family. Defaults: two ReLU layers of 64, Adam lr 1e-3, batch 64, up to 300
/// epochs, early stopping with patience 10 epochs on a 10 % validation split (fit_purpose::
/// generalize) or on the training cross-entropy (fit_purpose::in_sample).
struct mlp_decoder_options {
  std::vector<index_t> hidden{64, 64};            ///< hidden widths (each >= 1; empty = linear)
  mi::mlp_activation activation = mi::mlp_activation::relu;
  double learning_rate = 1e-3;                    ///< Adam step size (> 0)
  double weight_decay = 0.0;                      ///< AdamW decoupled decay (>= 0; 0 = plain Adam)
  index_t batch_size = 64;                        ///< minibatch rows (>= 1; capped at N)
  std::int64_t max_epochs = 300;                  ///< epoch cap (>= 1)
  std::int64_t patience = 10;                     ///< epochs without improvement before stopping (>= 1)
  double min_improvement = 1e-4;                  ///< improvement in nats that resets the patience (>= 0)
  double validation_fraction = 0.1;               ///< generalize only: share held out for stopping, in (0, 1)
  double gradient_clip = 0.0;                     ///< global gradient-norm clip (0 = off)
};

/// A fitted MLP decoder (features standardised with the training mean and standard deviation).
class mlp_softmax_decoder {
 public:
  mlp_softmax_decoder() = default;

  index_t input_dim() const { return mean_.size(); }
  std::int64_t num_classes() const { return net_.output_dim(); }
  const mi::mlp& network() const { return net_; }
  const decoder_fit_report& report() const { return report_; }

  /// Natural-log class probabilities, N x C. Throws on a column mismatch.
  template <class = void>
  row_matrix<double> log_probabilities(const sample_view<double>& features) const {
    require(features.cols() == input_dim(), "vinfo::mlp_softmax_decoder::log_probabilities",
            "features must have the decoder's input dimension (features cols=", features.cols(),
            ", input_dim=", input_dim(), ")");
    row_matrix<double> x = features.map();
    standardise(x);
    row_matrix<double> z = net_.forward(x);
    log_softmax_rows(z);
    return z;
  }

 private:
  friend class mlp_decoder_family;
  template <class = void>
  void standardise(row_matrix<double>& x) const {
    x.rowwise() -= mean_.transpose();
    x.array().rowwise() *= inv_std_.transpose().array();
  }
  template <class = void>
  static void log_softmax_rows(row_matrix<double>& z) {
    for (index_t i = 0; i < z.rows(); ++i) {
      const double m = z.row(i).maxCoeff();
      z.row(i).array() -= m + std::log((z.row(i).array() - m).exp().sum());
    }
  }
  mi::mlp net_;
  Eigen::VectorXd mean_;
  Eigen::VectorXd inv_std_;
  decoder_fit_report report_;
};

/// The MLP decoder family (see the file comment). fit() is deterministic for a given
/// context.seed (initialisation, validation split, minibatch order). The warm start is ignored:
/// for a non-convex family it would make the result depend on the data the warm start saw (in
/// K-fold sufficiency, the held-out fold). Cost per epoch: ~3 passes of N x sum(in_l out_l) flops.
class mlp_decoder_family {
 public:
  using fitted_type = mlp_softmax_decoder;

  explicit mlp_decoder_family(mlp_decoder_options options = {}) : options_(std::move(options)) {
    const char* fn = "vinfo::mlp_decoder_family";
    for (std::size_t l = 0; l < options_.hidden.size(); ++l)
      require(options_.hidden[l] >= 1, fn, "hidden widths must be >= 1 (hidden[", l, "]=", options_.hidden[l], ")");
    require(std::isfinite(options_.learning_rate) && options_.learning_rate > 0.0, fn,
            "learning_rate must be > 0 (learning_rate=", options_.learning_rate, ")");
    require(std::isfinite(options_.weight_decay) && options_.weight_decay >= 0.0, fn,
            "weight_decay must be >= 0 (weight_decay=", options_.weight_decay, ")");
    require(options_.batch_size >= 1, fn, "batch_size must be >= 1 (batch_size=", options_.batch_size, ")");
    require(options_.max_epochs >= 1, fn, "max_epochs must be >= 1 (max_epochs=", options_.max_epochs, ")");
    require(options_.patience >= 1, fn, "patience must be >= 1 (patience=", options_.patience, ")");
    require(std::isfinite(options_.min_improvement) && options_.min_improvement >= 0.0, fn,
            "min_improvement must be >= 0 (min_improvement=", options_.min_improvement, ")");
    require(std::isfinite(options_.validation_fraction) && options_.validation_fraction > 0.0 &&
                options_.validation_fraction < 1.0,
            fn, "validation_fraction must be in (0, 1) (validation_fraction=", options_.validation_fraction, ")");
    require(std::isfinite(options_.gradient_clip) && options_.gradient_clip >= 0.0, fn,
            "gradient_clip must be >= 0 (gradient_clip=", options_.gradient_clip, ")");
  }

  std::string name() const { return "mlp"; }
  const mlp_decoder_options& options() const { return options_; }

  /// Trains on (features, labels). fit_purpose::generalize holds out validation_fraction of the
  /// rows (seeded; at least 1, and none when N < 10) and keeps the parameters of the epoch with the
  /// lowest validation cross-entropy; fit_purpose::in_sample monitors the training cross-entropy.
  /// report(): converged = stopped by patience; train_cross_entropy on the rows trained on.
  template <class = void>
  mlp_softmax_decoder fit(const sample_view<double>& features, const std::vector<std::int64_t>& labels,
                          std::int64_t num_classes, const decoder_fit_context& context = {},
                          const mlp_softmax_decoder* warm_start = nullptr) const {
    (void)warm_start;
    const char* fn = "vinfo::mlp_decoder_family::fit";
    check_fit_inputs(fn, features, labels, num_classes);
    const index_t n = features.rows();
    const index_t d = features.cols();
    random_engine rng(context.seed);

    // Rows used for training and for the stopping rule.
    std::vector<std::int64_t> order = rng.permutation(n);
    std::vector<std::int64_t> train_rows, monitor_rows;
    const bool holdout = context.purpose == fit_purpose::generalize && n >= 10;
    if (holdout) {
      const auto nv = std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::llround(options_.validation_fraction * static_cast<double>(n))));
      monitor_rows.assign(order.begin(), order.begin() + nv);
      train_rows.assign(order.begin() + nv, order.end());
      std::sort(monitor_rows.begin(), monitor_rows.end());
      std::sort(train_rows.begin(), train_rows.end());
    } else {
      train_rows.resize(static_cast<std::size_t>(n));
      for (index_t i = 0; i < n; ++i) train_rows[static_cast<std::size_t>(i)] = i;
      monitor_rows = train_rows;
    }

    mlp_softmax_decoder out;
    row_matrix<double> xtr = gather_rows(features, train_rows);
    out.mean_ = xtr.colwise().mean().transpose();
    out.inv_std_.resize(d);
    for (index_t j = 0; j < d; ++j) {
      const double sd = std::sqrt((xtr.col(j).array() - out.mean_(j)).square().mean());
      out.inv_std_(j) = sd > 0.0 ? 1.0 / sd : 1.0;
    }
    out.standardise(xtr);
    row_matrix<double> xmon;
    if (holdout) {
      xmon = gather_rows(features, monitor_rows);
      out.standardise(xmon);
    }
    const row_matrix<double>& xm = holdout ? xmon : xtr;
    std::vector<std::int64_t> ytr(train_rows.size()), ymon(monitor_rows.size());
    for (std::size_t k = 0; k < train_rows.size(); ++k) ytr[k] = labels[static_cast<std::size_t>(train_rows[k])];
    for (std::size_t k = 0; k < monitor_rows.size(); ++k) ymon[k] = labels[static_cast<std::size_t>(monitor_rows[k])];

    out.net_ = mi::mlp(d, options_.hidden, num_classes, options_.activation, rng());
    mi::adam opt(out.net_.parameter_count(), options_.learning_rate);
    auto mean_ce = [&](const row_matrix<double>& x, const std::vector<std::int64_t>& y) {
      row_matrix<double> z = out.net_.forward(x);
      mlp_softmax_decoder::log_softmax_rows(z);
      double s = 0.0;
      for (index_t i = 0; i < z.rows(); ++i) s -= z(i, static_cast<index_t>(y[static_cast<std::size_t>(i)]));
      return s / static_cast<double>(z.rows());
    };

    const index_t ntr = xtr.rows();
    const index_t batch = std::min(options_.batch_size, ntr);
    std::vector<std::int64_t> perm(static_cast<std::size_t>(ntr));
    for (index_t i = 0; i < ntr; ++i) perm[static_cast<std::size_t>(i)] = i;
    Eigen::VectorXd best = out.net_.parameters();
    double best_ce = mean_ce(xm, ymon);
    std::int64_t since_best = 0;
    decoder_fit_report& rep = out.report_;
    rep.stop_reason = "max_epochs";
    row_matrix<double> xb, d_out;
    Eigen::VectorXd grad;
    mi::mlp_cache cache;
    std::int64_t epoch = 0;
    for (; epoch < options_.max_epochs; ++epoch) {
      rng.shuffle(perm);
      for (index_t start = 0; start < ntr; start += batch) {
        const index_t rows = std::min(batch, ntr - start);
        xb.resize(rows, d);
        for (index_t r = 0; r < rows; ++r) xb.row(r) = xtr.row(perm[static_cast<std::size_t>(start + r)]);
        d_out = out.net_.forward(xb, cache);
        for (index_t r = 0; r < rows; ++r) {
          const double m = d_out.row(r).maxCoeff();
          d_out.row(r).array() = (d_out.row(r).array() - m).exp();
          d_out.row(r) /= d_out.row(r).sum();
          d_out(r, static_cast<index_t>(ytr[static_cast<std::size_t>(perm[static_cast<std::size_t>(start + r)])])) -= 1.0;
        }
        d_out /= static_cast<double>(rows);
        out.net_.backward(cache, d_out, grad);
        if (options_.gradient_clip > 0.0) mi::clip_gradient_norm(grad, options_.gradient_clip);
        if (options_.weight_decay > 0.0)  // AdamW: decoupled decay p <- p - lr * wd * p
          out.net_.parameters() *= 1.0 - options_.learning_rate * options_.weight_decay;
        opt.step(out.net_.parameters(), grad);
        ++rep.evaluations;
      }
      const double ce = mean_ce(xm, ymon);
      if (!std::isfinite(ce)) {
        rep.stop_reason = "non-finite loss";
        break;
      }
      if (ce < best_ce - options_.min_improvement) {
        best_ce = ce;
        best = out.net_.parameters();
        since_best = 0;
      } else if (ce < best_ce) {
        best_ce = ce;  // small gains still pick the parameters, without resetting the patience
        best = out.net_.parameters();
        ++since_best;
      } else {
        ++since_best;
      }
      if (since_best >= options_.patience) {
        rep.converged = true;
        rep.stop_reason = "patience";
        ++epoch;
        break;
      }
    }
    out.net_.parameters() = best;
    rep.iterations = epoch;
    rep.train_cross_entropy = mean_ce(xtr, ytr);
    rep.objective = rep.train_cross_entropy;
    if (holdout) rep.validation_cross_entropy = best_ce;
    return out;
  }

 private:
  mlp_decoder_options options_;
};

}  // namespace infogeo::vinfo
