// The training loop shared by every variational estimator of infogeo: the difference-of-entropies
// densities (doe.hpp) and the critic bounds InfoNCE, NWJ, MINE, SMILE and CLUB
// (variational_bounds.hpp). One place for each concern:
//   - inputs and their views (make_input_groups): rows of z that are stochastic views of the same
//     input share a group; the split, the minibatches and the standard errors keep them together;
//   - the train / held-out split by input (split_inputs), seeded;
//   - minibatches of whole inputs (batch_ranges), reshuffled every epoch with a seeded engine;
//   - Adam (Kingma & Ba 2015, Alg. 1) and AdamW with decoupled weight decay (Loshchilov & Hutter
//     2019, "Decoupled weight decay regularization", ICLR, Alg. 2);
//   - global gradient-norm clipping (clip_gradient_norm);
//   - early stopping on a held-out objective with the best parameters restored (stopper);
//   - a per-epoch trace (trainer_epoch) and determinism (Eigen single-threaded during training).
// Models are plugged in as trainer_model callbacks (loss and gradient on the current minibatch);
// the loop knows nothing about densities or critics.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/sample_view.hpp"

namespace infogeo::mi {

/// Scales `grad` so that its L2 norm is at most max_norm (no-op when max_norm <= 0 or the norm
/// is already below it). Returns the norm before clipping.
template <class = void>
double clip_gradient_norm(Eigen::VectorXd& grad, double max_norm) {
  const double norm = grad.norm();
  if (max_norm > 0.0 && norm > max_norm) grad *= max_norm / norm;
  return norm;
}

/// Adam (Kingma & Ba 2015, Alg. 1) with bias-corrected moments:
///   m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, p -= lr mhat / (sqrt(vhat) + eps),
/// and, when weight_decay > 0, AdamW's decoupled weight decay (Loshchilov & Hutter 2019, Alg. 2,
/// line 12, with schedule multiplier 1, as torch.optim.AdamW): p -= lr * weight_decay * p,
/// applied before the Adam step and independent of the gradient (not an L2 term in g).
class adam {
 public:
  adam() = default;

  /// Throws invalid_argument unless lr > 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0.
  adam(index_t size, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
       double weight_decay = 0.0)
      : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay),
        m_(Eigen::VectorXd::Zero(size)), v_(Eigen::VectorXd::Zero(size)) {
    require(std::isfinite(lr) && lr > 0.0, "adam", "lr must be > 0 (lr=", lr, ")");
    require(beta1 >= 0.0 && beta1 < 1.0, "adam", "beta1 must be in [0, 1) (beta1=", beta1, ")");
    require(beta2 >= 0.0 && beta2 < 1.0, "adam", "beta2 must be in [0, 1) (beta2=", beta2, ")");
    require(eps > 0.0, "adam", "eps must be > 0 (eps=", eps, ")");
    require(std::isfinite(weight_decay) && weight_decay >= 0.0, "adam",
            "weight_decay must be >= 0 (weight_decay=", weight_decay, ")");
  }

  /// One update of `params` with gradient `grad` (same size as at construction).
  template <class = void>
  void step(Eigen::VectorXd& params, const Eigen::VectorXd& grad) {
    require(params.size() == m_.size() && grad.size() == m_.size(), "adam::step",
            "params and grad must have the optimiser's size (size=", m_.size(),
            ", params=", params.size(), ", grad=", grad.size(), ")");
    ++t_;
    if (weight_decay_ > 0.0) params *= 1.0 - lr_ * weight_decay_;
    m_ = beta1_ * m_ + (1.0 - beta1_) * grad;
    v_ = beta2_ * v_ + (1.0 - beta2_) * grad.cwiseAbs2();
    const double c1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
    params.array() -= lr_ * (m_.array() / c1) / ((v_.array() / c2).sqrt() + eps_);
  }

  std::int64_t steps() const { return t_; }
  double weight_decay() const { return weight_decay_; }

 private:
  double lr_ = 1e-3;
  double beta1_ = 0.9;
  double beta2_ = 0.999;
  double eps_ = 1e-8;
  double weight_decay_ = 0.0;
  Eigen::VectorXd m_;
  Eigen::VectorXd v_;
  std::int64_t t_ = 0;
};

/// Settings of the shared training loop (each estimator has its own defaults).
struct trainer_options {
  index_t epochs = 50;            ///< maximum number of epochs, >= 1
  index_t batch = 256;            ///< minibatch size in rows (whole inputs are kept together), >= 1
  double lr = 1e-3;               ///< learning rate, > 0
  double weight_decay = 0.0;      ///< AdamW decoupled weight decay (0 = plain Adam), >= 0
  double clip_norm = 1.0;         ///< global gradient-norm clipping per model (0 = off), >= 0
  double holdout_fraction = 0.2;  ///< fraction of inputs held out, in (0, 1)
  index_t patience = 5;           ///< epochs without held-out improvement before stopping (0 = off)
  double min_delta = 1e-4;        ///< improvement (nats) that resets the patience counter, >= 0
  std::uint64_t seed = 0;         ///< split (stream 3) and shuffling (stream 4)
  bool drop_last = false;         ///< skip an epoch's last minibatch when it is smaller than batch
                                  ///< (critic bounds: every batch has the same B); kept if it is the only one
};

/// The trainer settings of an estimator's options struct (DoE, the variational bounds): every
/// struct that trains on the shared loop names these fields the same way.
template <class Options>
trainer_options trainer_settings_from(const Options& o) {
  trainer_options t;
  t.epochs = o.epochs;
  t.batch = o.batch;
  t.lr = o.lr;
  t.weight_decay = o.weight_decay;
  t.clip_norm = o.clip_norm;
  t.holdout_fraction = o.holdout_fraction;
  t.patience = o.patience;
  t.min_delta = o.min_delta;
  t.seed = o.seed;
  return t;
}

/// One epoch of the shared loop, per model (same order as the models passed to train()).
struct trainer_epoch {
  index_t epoch = 0;               ///< 1-based
  std::vector<double> train_loss;  ///< row-weighted mean minibatch loss (carried forward once stopped)
  std::vector<double> grad_norm;   ///< mean gradient norm before clipping (carried forward once stopped)
  std::vector<double> heldout;     ///< held-out objective after the epoch (lower is better)
  std::vector<bool> stopped;       ///< early-stopped at or before this epoch
};

/// A model trained by the loop. `loss_and_gradient` returns the mean loss on the current
/// minibatch (set up by the loop's `prepare_batch` callback) and writes its gradient with
/// respect to *parameters into grad.
struct trainer_model {
  Eigen::VectorXd* parameters = nullptr;
  std::function<double(Eigen::VectorXd& grad)> loss_and_gradient;
  const char* what = "the training objective";  ///< named in the divergence error
};

/// Summary of a training run, per model.
struct trainer_result {
  index_t epochs_run = 0;
  std::vector<index_t> best_epoch;  ///< epoch whose parameters were restored
  std::vector<bool> converged;      ///< stopped early, or held-out change < min_delta at the end
};

/// Inputs and their rows: input_of_row[r] is the input (group) of row r, rows_of[g] the rows of
/// input g in row order.
struct input_groups {
  std::vector<index_t> input_of_row;
  std::vector<std::vector<index_t>> rows_of;
  index_t inputs() const { return static_cast<index_t>(rows_of.size()); }
};

namespace detail {
inline std::size_t uz(index_t i) { return static_cast<std::size_t>(i); }

inline void check_finite_loss(double value, const char* fn, const char* what, index_t epoch) {
  if (!std::isfinite(value))
    throw_numerical_error(fn, what, " became non-finite during training (epoch=", epoch,
                          ", value=", value, "); lower lr or enable clip_norm");
}

// Early-stopping bookkeeping of one model: keeps the best parameters (lowest held-out objective).
struct stopper {
  double best = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_params;
  index_t best_epoch = 0;
  index_t since = 0;
  bool stopped = false;
  double last_change = std::numeric_limits<double>::infinity();
  double previous = std::numeric_limits<double>::infinity();

  template <class = void>
  void update(double objective, const Eigen::VectorXd& params, index_t epoch, index_t patience,
              double min_delta) {
    last_change = std::abs(previous - objective);
    previous = objective;
    const bool enough = objective < best - min_delta;
    if (objective < best) {  // keep the best parameters even for a tiny improvement
      best = objective;
      best_params = params;
      best_epoch = epoch;
    }
    since = enough ? 0 : since + 1;
    if (patience > 0 && since >= patience) stopped = true;
  }
  bool converged(double min_delta) const { return stopped || last_change < min_delta; }
};

// Minibatch GEMMs are small (batch x 64): Eigen's OpenMP GEMM threading only adds overhead there
// (ten times slower on a loaded 2-core machine), so training runs Eigen single-threaded and
// restores the caller's setting afterwards (also keeps results independent of threads). Writes
// Eigen's global thread count only when it is not 1 already, so that concurrent fits under a caller
// that set it to 1 beforehand (harness::run_bench with parallel_cells) never write it at all.
struct eigen_single_thread {
  int saved = Eigen::nbThreads();
  eigen_single_thread() {
    if (saved != 1) Eigen::setNbThreads(1);
  }
  ~eigen_single_thread() {
    if (saved != 1) Eigen::setNbThreads(saved);
  }
  eigen_single_thread(const eigen_single_thread&) = delete;
  eigen_single_thread& operator=(const eigen_single_thread&) = delete;
};
}  // namespace detail

/// Validates trainer_options; `fn` names the caller in the error. Throws invalid_argument for
/// epochs < 1, batch < 1, lr <= 0 or non-finite, weight_decay < 0, clip_norm < 0,
/// holdout_fraction outside (0, 1), patience < 0, min_delta < 0.
inline void check_trainer_options(const trainer_options& o, const char* fn) {
  require(o.epochs >= 1, fn, "epochs must be >= 1 (epochs=", o.epochs, ")");
  require(o.batch >= 1, fn, "batch must be >= 1 (batch=", o.batch, ")");
  require(std::isfinite(o.lr) && o.lr > 0.0, fn, "lr must be > 0 (lr=", o.lr, ")");
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0, fn,
          "weight_decay must be >= 0 (weight_decay=", o.weight_decay, ")");
  require(std::isfinite(o.clip_norm) && o.clip_norm >= 0.0, fn,
          "clip_norm must be >= 0 (clip_norm=", o.clip_norm, ")");
  require(o.holdout_fraction > 0.0 && o.holdout_fraction < 1.0, fn,
          "holdout_fraction must be in (0, 1) (holdout_fraction=", o.holdout_fraction, ")");
  require(o.patience >= 0, fn, "patience must be >= 0 (patience=", o.patience, ")");
  require(std::isfinite(o.min_delta) && o.min_delta >= 0.0, fn,
          "min_delta must be >= 0 (min_delta=", o.min_delta, ")");
}

/// Builds the inputs of n rows: with `groups` null every row is its own input; otherwise
/// groups[r] is the input id of row r (ids 0..M-1, each with at least one row). Throws
/// invalid_argument for an empty or mis-sized groups vector, negative ids, ids >= n, an id in
/// [0, max] without rows, or fewer than 2 inputs (no held-out split possible). O(n).
inline input_groups make_input_groups(const std::vector<index_t>* groups, index_t n,
                                      const char* fn) {
  input_groups out;
  index_t m = n;
  if (groups) {
    require(!groups->empty(), fn, "groups must not be empty (groups size=0)");
    require(static_cast<index_t>(groups->size()) == n, fn,
            "groups must have one entry per row of z (groups size=", groups->size(),
            ", z rows=", n, ")");
    index_t max_g = -1;
    for (std::size_t r = 0; r < groups->size(); ++r) {
      require((*groups)[r] >= 0, fn, "groups must be >= 0 (groups[", r, "]=", (*groups)[r], ")");
      max_g = std::max(max_g, (*groups)[r]);
    }
    // Every id in [0, max] needs a row, so max < n; checking first avoids allocating for a huge id.
    require(max_g < n, fn, "group ids must be < the number of rows (max group=", max_g,
            ", z rows=", n, ")");
    m = max_g + 1;
    out.input_of_row = *groups;
  } else {
    out.input_of_row.resize(detail::uz(n));
    for (index_t r = 0; r < n; ++r) out.input_of_row[detail::uz(r)] = r;
  }
  out.rows_of.assign(detail::uz(m), {});
  for (index_t r = 0; r < n; ++r) out.rows_of[detail::uz(out.input_of_row[detail::uz(r)])].push_back(r);
  for (index_t g = 0; g < m; ++g)
    require(!out.rows_of[detail::uz(g)].empty(), fn, "every group id in [0, max] must have rows; group ",
            g, " is empty (groups max=", m - 1, ")");
  require(m >= 2, fn, "needs at least 2 distinct inputs (groups) for a held-out split (inputs=",
          m, ")");
  return out;
}

/// Seeded split of inputs 0..m-1 into training and held-out inputs (both sorted), about
/// holdout_fraction * m held out, at least one of each; the views of an input are never split.
/// Uses stream 3 of random_engine(seed).
template <class = void>
void split_inputs(index_t m, double holdout_fraction, std::uint64_t seed,
                  std::vector<index_t>& train, std::vector<index_t>& heldout) {
  random_engine split_rng = random_engine(seed).split(3);
  const std::vector<std::int64_t> perm = split_rng.permutation(static_cast<std::int64_t>(m));
  index_t n_held = static_cast<index_t>(std::llround(holdout_fraction * static_cast<double>(m)));
  n_held = std::clamp<index_t>(n_held, 1, m - 1);
  heldout.assign(perm.begin(), perm.begin() + n_held);
  train.assign(perm.begin() + n_held, perm.end());
  std::sort(heldout.begin(), heldout.end());
  std::sort(train.begin(), train.end());
}

/// Splits a list of inputs into consecutive runs [first, last) of whole inputs holding about
/// `batch` rows each (a run closes once it reaches `batch` rows; the last run may be smaller).
inline std::vector<std::pair<std::size_t, std::size_t>> batch_ranges(
    const input_groups& g, const std::vector<index_t>& input_ids, index_t batch) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  std::size_t first = 0;
  index_t rows = 0;
  for (std::size_t i = 0; i < input_ids.size(); ++i) {
    rows += static_cast<index_t>(g.rows_of[detail::uz(input_ids[i])].size());
    if (rows >= batch || i + 1 == input_ids.size()) {
      ranges.emplace_back(first, i + 1);
      first = i + 1;
      rows = 0;
    }
  }
  return ranges;
}

/// Standard error of the mean of per-row values grouped by unit (views of one input are
/// dependent, so the unit is the input): sd of the unit means / sqrt(units). Infinity with
/// fewer than 2 units.
template <class = void>
double grouped_std_error(const Eigen::VectorXd& values, const std::vector<index_t>& unit_of) {
  std::vector<std::pair<index_t, double>> pairs;
  pairs.reserve(unit_of.size());
  for (std::size_t r = 0; r < unit_of.size(); ++r)
    pairs.emplace_back(unit_of[r], values(static_cast<index_t>(r)));
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> means;
  for (std::size_t i = 0; i < pairs.size();) {
    std::size_t j = i;
    double s = 0.0;
    while (j < pairs.size() && pairs[j].first == pairs[i].first) s += pairs[j++].second;
    means.push_back(s / static_cast<double>(j - i));
    i = j;
  }
  if (means.size() < 2) return std::numeric_limits<double>::infinity();
  double mean = 0.0;
  for (const double v : means) mean += v;
  mean /= static_cast<double>(means.size());
  double ss = 0.0;
  for (const double v : means) ss += (v - mean) * (v - mean);
  const double k = static_cast<double>(means.size());
  return std::sqrt(ss / (k - 1.0) / k);
}

/// The shared training loop. Every epoch: the training inputs are shuffled (stream 4 of
/// random_engine(o.seed), advanced once per epoch); for each minibatch of whole inputs
/// (batch_ranges), prepare_batch(ids, first, last) sets up the batch and returns its row count
/// (the weight of its losses in the epoch means); then every model not yet stopped computes its
/// loss and gradient, the gradient is clipped to o.clip_norm and one Adam/AdamW step is taken
/// (one optimiser per model). After the epoch, heldout(epoch) returns each model's held-out
/// objective (lower is better); a model whose objective has not improved by o.min_delta for
/// o.patience epochs stops training; the loop ends when all have stopped. Each model's best
/// held-out parameters are restored at the end. on_epoch (optional) receives the epoch record.
/// Runs Eigen single-threaded (restored afterwards): results do not depend on thread counts.
/// Throws numerical_error (naming fn and model.what) when a loss or held-out objective becomes
/// non-finite. Cost: epochs x (training passes + one held-out evaluation).
template <class PrepareBatch, class Heldout, class OnEpoch>
trainer_result train(const trainer_options& o, const input_groups& groups,
                     const std::vector<index_t>& train_inputs, std::vector<trainer_model>& models,
                     PrepareBatch&& prepare_batch, Heldout&& heldout, OnEpoch&& on_epoch,
                     const char* fn) {
  check_trainer_options(o, fn);
  const detail::eigen_single_thread single_thread;
  const std::size_t k = models.size();
  std::vector<adam> opts;
  std::vector<detail::stopper> stops(k);
  for (const auto& m : models) opts.emplace_back(m.parameters->size(), o.lr, 0.9, 0.999, 1e-8, o.weight_decay);
  random_engine shuffle_rng = random_engine(o.seed).split(4);
  std::vector<index_t> order = train_inputs;
  Eigen::VectorXd grad;
  trainer_result out;
  trainer_epoch prev;
  for (index_t epoch = 1; epoch <= o.epochs; ++epoch) {
    shuffle_rng.shuffle(order);
    std::vector<double> sum(k, 0.0), norm(k, 0.0);
    index_t rows = 0, steps = 0;
    auto ranges = batch_ranges(groups, order, o.batch);
    if (o.drop_last && ranges.size() > 1) {
      index_t tail_rows = 0;
      for (std::size_t i = ranges.back().first; i < ranges.back().second; ++i)
        tail_rows += static_cast<index_t>(groups.rows_of[detail::uz(order[i])].size());
      if (tail_rows < o.batch) ranges.pop_back();
    }
    for (const auto& [first, last] : ranges) {
      const index_t w = prepare_batch(order, first, last);
      for (std::size_t i = 0; i < k; ++i) {
        if (stops[i].stopped) continue;
        const double loss = models[i].loss_and_gradient(grad);
        detail::check_finite_loss(loss, fn, models[i].what, epoch);
        norm[i] += clip_gradient_norm(grad, o.clip_norm);
        opts[i].step(*models[i].parameters, grad);
        sum[i] += static_cast<double>(w) * loss;
      }
      rows += w;
      ++steps;
    }
    trainer_epoch e;
    e.epoch = epoch;
    e.heldout = heldout(epoch);
    require(e.heldout.size() == k, fn, "the held-out callback must return one value per model (values=",
            e.heldout.size(), ", models=", k, ")");
    for (std::size_t i = 0; i < k; ++i) {
      // A model stopped early is no longer trained: its training figures are carried forward.
      const bool carried = stops[i].stopped && !prev.train_loss.empty();
      e.train_loss.push_back(carried ? prev.train_loss[i] : sum[i] / static_cast<double>(rows));
      e.grad_norm.push_back(carried ? prev.grad_norm[i] : norm[i] / static_cast<double>(steps));
      detail::check_finite_loss(e.heldout[i], fn, models[i].what, epoch);
      if (!stops[i].stopped)
        stops[i].update(e.heldout[i], *models[i].parameters, epoch, o.patience, o.min_delta);
      e.stopped.push_back(stops[i].stopped);
    }
    on_epoch(e);
    out.epochs_run = epoch;
    prev = std::move(e);
    if (std::all_of(stops.begin(), stops.end(), [](const detail::stopper& s) { return s.stopped; }))
      break;
  }
  for (std::size_t i = 0; i < k; ++i) {
    *models[i].parameters = stops[i].best_params;
    out.best_epoch.push_back(stops[i].best_epoch);
    out.converged.push_back(stops[i].converged(o.min_delta));
  }
  return out;
}

}  // namespace infogeo::mi
