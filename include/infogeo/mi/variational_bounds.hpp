// Variational estimators of I(X;Y) trained with the shared loop of variational_trainer.hpp:
//   InfoNCE (van den Oord et al. 2018, "Representation learning with contrastive predictive
//     coding", eq. 4; Poole et al. 2019, "On variational bounds of mutual information", ICML,
//     eq. 12): a lower bound capped at log B (B = batch size);
//   NWJ (Nguyen, Wainwright & Jordan 2010, IEEE Trans. Inf. Theory, eq. 14 with the KL
//     f-divergence; Poole et al. eq. 9, "I_NWJ"): E_p[f] - e^-1 E_{p(x)p(y)}[e^f], a lower bound;
//   MINE (Belghazi et al. 2018, "Mutual information neural estimation", ICML, eq. 10 and
//     Sec. 3.2): the Donsker-Varadhan bound E_p[f] - log E_{p(x)p(y)}[e^f] trained with the
//     moving-average correction of its biased minibatch gradient;
//   SMILE (Song & Ermon 2020, "Understanding the limitations of variational mutual information
//     estimators", ICLR, eq. 17): DV with e^f clipped to [e^-tau, e^tau] in the partition term,
//     the critic trained with the Jensen-Shannon (f-GAN) objective;
//   CLUB (Cheng et al. 2020, "CLUB: a contrastive log-ratio upper bound of mutual information",
//     ICML, eqs. 4 and 8 (vCLUB)): E_p[log q(y|x)] - E_{p(x)p(y)}[log q(y|x)] with a Gaussian
//     q(y|x) fitted by likelihood, an upper bound when q is close to p(y|x).
// Critics (concat or separable) are in critics.hpp; CLUB's q(y|x) is the diagonal-Gaussian DoE
// conditional of doe.hpp.
//
// Pairs, not views: every row (x_i, y_i) is one draw of p(x, y). On a minibatch of B rows the
// score matrix S(i, j) = f(x_i, y_j) holds B joint pairs on its diagonal and B (B - 1) pairs of
// p(x) p(y) off the diagonal (Poole et al. Sec. 2). Every bound is evaluated on held-out
// batches of the training batch size; its value is the mean over held-out batches and its
// standard error the batch-to-batch standard deviation / sqrt(batches).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "infogeo/core/cross_check.hpp"
#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/mi/critics.hpp"
#include "infogeo/mi/cross_check.hpp"
#include "infogeo/mi/doe.hpp"
#include "infogeo/mi/variational_trainer.hpp"

namespace infogeo::mi {

/// The variational estimators.
enum class variational_bound { infonce, nwj, mine, smile, club };

/// "infonce", "nwj", "mine", "smile" or "club".
inline std::string to_string(variational_bound b) {
  switch (b) {
    case variational_bound::infonce: return "infonce";
    case variational_bound::nwj: return "nwj";
    case variational_bound::mine: return "mine";
    case variational_bound::smile: return "smile";
    case variational_bound::club: return "club";
  }
  return "unknown";
}

/// A bound on one score matrix: its value (nats) and the training surrogate `loss` whose
/// gradient with respect to the scores is d_loss (B x B). For InfoNCE and NWJ loss = -value;
/// for MINE and SMILE the surrogate differs (see each function).
struct bound_terms {
  double value = 0.0;
  double loss = 0.0;
  row_matrix<double> d_loss;
};

namespace detail {
template <class = void>
void check_scores(const row_matrix<double>& s, const char* fn) {
  require(s.rows() >= 2 && s.rows() == s.cols(), fn,
          "scores must be a square B x B matrix with B >= 2 (rows=", s.rows(), ", cols=", s.cols(),
          ")");
}
// log of the mean of exp over the off-diagonal entries of s (after `transform`).
template <class F>
double log_mean_exp_off_diagonal(const row_matrix<double>& s, F transform) {
  const index_t b = s.rows();
  double mx = -std::numeric_limits<double>::infinity();
  for (index_t i = 0; i < b; ++i)
    for (index_t j = 0; j < b; ++j)
      if (i != j) mx = std::max(mx, transform(s(i, j)));
  double sum = 0.0;
  for (index_t i = 0; i < b; ++i)
    for (index_t j = 0; j < b; ++j)
      if (i != j) sum += std::exp(transform(s(i, j)) - mx);
  return mx + std::log(sum / static_cast<double>(b * (b - 1)));
}
}  // namespace detail

/// InfoNCE (Poole et al. 2019, eq. 12; van den Oord et al. 2018, eq. 4), each x_i against the
/// B candidates y_j of the batch:
///   value = (1/B) sum_i [S(i,i) - log sum_j exp S(i,j)] + log B  <=  log B,
/// a lower bound on I in expectation. loss = -value, d_loss(i,j) = (softmax_i(j) - [i == j]) / B.
/// Throws invalid_argument unless s is B x B with B >= 2. Cost O(B^2).
template <class = void>
bound_terms infonce_terms(const row_matrix<double>& s) {
  detail::check_scores(s, "infonce_terms");
  const index_t b = s.rows();
  const double inv_b = 1.0 / static_cast<double>(b);
  bound_terms t;
  t.d_loss.resize(b, b);
  double sum = 0.0;
  for (index_t i = 0; i < b; ++i) {
    const double lse = logsumexp(s.row(i));
    sum += s(i, i) - lse;
    t.d_loss.row(i) = ((s.row(i).array() - lse).exp() * inv_b).matrix();
    t.d_loss(i, i) -= inv_b;
  }
  t.value = sum * inv_b + std::log(static_cast<double>(b));
  t.loss = -t.value;
  return t;
}

/// NWJ (Nguyen, Wainwright & Jordan 2010; Poole et al. 2019, eq. 9):
///   value = (1/B) sum_i S(i,i) - e^-1 mean_{i != j} exp S(i,j),
/// a lower bound on I for every critic (tight at f = 1 + log p(x,y)/(p(x)p(y))); unbiased
/// minibatch estimates, variance growing like e^I. loss = -value. Cost O(B^2).
template <class = void>
bound_terms nwj_terms(const row_matrix<double>& s) {
  detail::check_scores(s, "nwj_terms");
  const index_t b = s.rows();
  const double n_off = static_cast<double>(b * (b - 1));
  bound_terms t;
  t.d_loss.resize(b, b);
  double diag = 0.0, off = 0.0;
  for (index_t i = 0; i < b; ++i)
    for (index_t j = 0; j < b; ++j) {
      if (i == j) {
        diag += s(i, i);
        t.d_loss(i, i) = -1.0 / static_cast<double>(b);
      } else {
        const double e = std::exp(s(i, j) - 1.0);
        off += e;
        t.d_loss(i, j) = e / n_off;
      }
    }
  t.value = diag / static_cast<double>(b) - off / n_off;
  t.loss = -t.value;
  return t;
}

/// Donsker-Varadhan / MINE (Belghazi et al. 2018, eq. 10):
///   value = (1/B) sum_i S(i,i) - log mean_{i != j} exp S(i,j).
/// Training surrogate (Sec. 3.2, bias correction): the gradient of log E[e^f] is replaced by
/// grad E[e^f] / m with m a moving average of the minibatch E[e^f], passed as log_m:
///   loss = -(1/B) sum_i S(i,i) + mean_{i != j} exp(S(i,j) - log_m).
/// With log_m equal to the batch's own log mean, d_loss is the DV gradient. Cost O(B^2).
template <class = void>
bound_terms mine_terms(const row_matrix<double>& s, double log_m) {
  detail::check_scores(s, "mine_terms");
  require(std::isfinite(log_m), "mine_terms", "log_m must be finite (log_m=", log_m, ")");
  const index_t b = s.rows();
  const double n_off = static_cast<double>(b * (b - 1));
  bound_terms t;
  t.d_loss.resize(b, b);
  double diag = 0.0, corrected = 0.0;
  for (index_t i = 0; i < b; ++i)
    for (index_t j = 0; j < b; ++j) {
      if (i == j) {
        diag += s(i, i);
        t.d_loss(i, i) = -1.0 / static_cast<double>(b);
      } else {
        const double e = std::exp(s(i, j) - log_m) / n_off;
        corrected += e;
        t.d_loss(i, j) = e;
      }
    }
  diag /= static_cast<double>(b);
  t.value = diag - detail::log_mean_exp_off_diagonal(s, [](double v) { return v; });
  t.loss = -diag + corrected;
  return t;
}

/// SMILE (Song & Ermon 2020, eq. 17) with clipping tau > 0:
///   value = (1/B) sum_i S(i,i) - log mean_{i != j} exp(clip(S(i,j), -tau, tau)),
/// whose clipped partition term has variance bounded by (e^tau - e^-tau)^2 / 4 per sample at
/// the price of a bias (vanishing as tau grows; tau = infinity is DV / MINE). The critic is
/// trained with the Jensen-Shannon f-GAN objective (Song & Ermon Sec. 5, Poole et al. Sec. 2.3),
/// whose optimum is f = log p(x,y) / (p(x)p(y)) as DV needs:
///   loss = (1/B) sum_i softplus(-S(i,i)) + mean_{i != j} softplus(S(i,j)). Cost O(B^2).
template <class = void>
bound_terms smile_terms(const row_matrix<double>& s, double tau) {
  detail::check_scores(s, "smile_terms");
  require(tau > 0.0, "smile_terms", "tau must be > 0 (tau=", tau, ")");
  const index_t b = s.rows();
  const double n_off = static_cast<double>(b * (b - 1));
  bound_terms t;
  t.d_loss.resize(b, b);
  double diag = 0.0, loss = 0.0;
  for (index_t i = 0; i < b; ++i)
    for (index_t j = 0; j < b; ++j) {
      if (i == j) {
        diag += s(i, i);
        loss += softplus(-s(i, i)) / static_cast<double>(b);
        t.d_loss(i, i) = -sigmoid(-s(i, i)) / static_cast<double>(b);
      } else {
        loss += softplus(s(i, j)) / n_off;
        t.d_loss(i, j) = sigmoid(s(i, j)) / n_off;
      }
    }
  t.value = diag / static_cast<double>(b) -
            detail::log_mean_exp_off_diagonal(s, [tau](double v) { return std::clamp(v, -tau, tau); });
  t.loss = loss;
  return t;
}

/// vCLUB (Cheng et al. 2020, eq. 8) from L(i, j) = log q(y_i | x_j) (rows y, columns x):
///   value = (1/B) sum_i L(i,i) - (1/B^2) sum_{i,j} L(i,j),
/// an upper bound on I when q(y|x) = p(y|x) (and approximately one when KL(p(x,y)||q(x,y)) <=
/// KL(p(x)p(y)||q(x,y)), Cheng et al. Thm 3.2). Not a training objective (q is fitted by
/// likelihood). Cost O(B^2).
template <class = void>
double club_value(const row_matrix<double>& log_q) {
  require(log_q.rows() >= 2 && log_q.rows() == log_q.cols(), "club_value",
          "log_q must be a square B x B matrix with B >= 2 (rows=", log_q.rows(), ", cols=",
          log_q.cols(), ")");
  const double b = static_cast<double>(log_q.rows());
  return log_q.diagonal().sum() / b - log_q.sum() / (b * b);
}

/// One epoch of a variational fit.
struct variational_epoch {
  index_t epoch = 0;            ///< 1-based
  double train_loss = 0.0;      ///< mean minibatch training loss (CLUB: -log q(y|x) in standardised units)
  double grad_norm = 0.0;       ///< mean gradient norm before clipping
  double heldout_value = 0.0;   ///< the bound on held-out batches after the epoch (nats)
  double heldout_loss = 0.0;    ///< the early-stopping objective (lower is better)
};

/// Settings of a variational fit; the defaults are those of the CLI.
struct variational_options {
  variational_bound bound = variational_bound::infonce;
  critic_kind critic = critic_kind::separable;  ///< ignored by CLUB
  std::vector<index_t> hidden{64, 64};          ///< hidden widths (critic nets, CLUB's q(y|x) net)
  index_t embed = 32;                           ///< separable critic: output width of g and h
  mlp_activation activation = mlp_activation::tanh;  ///< tanh: bounded features (ReLU made MINE's
                                                     ///< separable critic diverge, docs/variational.md)
  index_t epochs = 50;             ///< maximum number of epochs, >= 1
  index_t batch = 128;             ///< minibatch size B (InfoNCE is capped at log B), >= 2
  double lr = 1e-3;                ///< Adam learning rate, > 0
  double weight_decay = 0.0;       ///< AdamW decoupled weight decay (0 = Adam), >= 0
  double clip_norm = 10.0;         ///< global gradient-norm clipping (0 = off)
  double holdout_fraction = 0.2;   ///< fraction of rows held out for the estimate, in (0, 1)
  index_t patience = 5;            ///< early stopping on the held-out objective (0 = off)
  double min_delta = 1e-3;         ///< improvement (nats) that resets the patience counter
  double smile_tau = 5.0;          ///< SMILE clipping tau, > 0
  double mine_ema = 0.01;          ///< MINE moving-average rate alpha, in (0, 1]
  bool standardize = true;         ///< standardise x and y with training statistics (I unchanged)
  std::uint64_t seed = 0;          ///< initialisation, split, shuffling, held-out batches
  std::function<void(const variational_epoch&)> on_epoch;  ///< optional progress callback
  /// Gap check of the bound against mixed KSG and the Gaussian plug-in, rule `confirmation`
  /// (core/cross_check.hpp): ok only when a reference without warnings agrees; else "bound_gap" or
  /// "bound_unconfirmed".
  cross_check_options cross_check;
};

/// Result of variational_mutual_information().
struct variational_result {
  estimate mi;                      ///< held-out bound; std_error over held-out batches
  double train_value = 0.0;         ///< the bound on training batches (same batch size), for comparison
  double log_batch = 0.0;           ///< log of the evaluation batch size: InfoNCE's ceiling
  std::vector<variational_epoch> trace;
  bool converged = false;
  index_t epochs_run = 0;
  index_t best_epoch = 0;
};

namespace detail {

struct variational_data {
  row_matrix<double> x, y;  // standardised
  input_groups g;           // every row its own input
  std::vector<index_t> train, heldout;
};

template <class TX, class TY>
variational_data prepare_variational(const sample_view<TX>& xv, const sample_view<TY>& yv,
                                     const variational_options& o, const char* fn) {
  check_paired_samples(xv, yv, 8, fn);
  variational_data d;
  d.x = to_row_matrix<double>(xv);
  d.y = to_row_matrix<double>(yv);
  d.g = make_input_groups(nullptr, d.x.rows(), fn);
  split_inputs(d.x.rows(), o.holdout_fraction, o.seed, d.train, d.heldout);
  if (o.standardize) {
    Eigen::VectorXd mean, scale;
    column_stats(d.x, d.train, mean, scale, false, fn, "x");
    d.x = ((d.x.rowwise() - mean.transpose()).array().rowwise() / scale.transpose().array()).matrix();
    column_stats(d.y, d.train, mean, scale, false, fn, "y");
    d.y = ((d.y.rowwise() - mean.transpose()).array().rowwise() / scale.transpose().array()).matrix();
  }
  return d;
}

template <class = void>
row_matrix<double> gather_rows(const row_matrix<double>& m, const std::vector<index_t>& ids,
                                      std::size_t first, std::size_t last) {
  row_matrix<double> out(static_cast<index_t>(last - first), m.cols());
  for (std::size_t i = first; i < last; ++i) out.row(static_cast<index_t>(i - first)) = m.row(ids[i]);
  return out;
}

inline void check_variational_options(const variational_options& o, const char* fn) {
  infogeo::detail::check_cross_check_options(o.cross_check, fn);
  require(o.batch >= 2, fn, "batch must be >= 2: a bound needs pairs off the diagonal (batch=",
          o.batch, ")");
  require(o.embed >= 1, fn, "embed must be >= 1 (embed=", o.embed, ")");
  for (std::size_t l = 0; l < o.hidden.size(); ++l)
    require(o.hidden[l] >= 1, fn, "hidden widths must be >= 1 (hidden[", l, "]=", o.hidden[l], ")");
  require(std::isfinite(o.smile_tau) && o.smile_tau > 0.0, fn, "smile_tau must be > 0 (smile_tau=",
          o.smile_tau, ")");
  require(o.mine_ema > 0.0 && o.mine_ema <= 1.0, fn, "mine_ema must be in (0, 1] (mine_ema=",
          o.mine_ema, ")");
}

inline trainer_options trainer_settings(const variational_options& o) {
  trainer_options t = trainer_settings_from(o);
  t.drop_last = true;  // every critic batch has the same B (the log B ceiling, the batch objectives)
  return t;
}

// The critic bounds' value on a score matrix (evaluation: MINE without its moving average).
template <class = void>
double bound_value(variational_bound b, const row_matrix<double>& s, double tau) {
  switch (b) {
    case variational_bound::infonce: return infonce_terms(s).value;
    case variational_bound::nwj: return nwj_terms(s).value;
    case variational_bound::mine: return mine_terms(s, 0.0).value;
    case variational_bound::smile: return smile_terms(s, tau).value;
    default: return 0.0;
  }
}

// Full batches of `batch` rows over a seeded shuffle of `ids` (the remainder is dropped when at
// least one full batch exists, so every batch has the same size and InfoNCE the same ceiling).
template <class = void>
std::vector<std::vector<index_t>> eval_batches(std::vector<index_t> ids, index_t batch,
                                                      std::uint64_t seed) {
  random_engine(seed).split(6).shuffle(ids);
  const std::size_t b = static_cast<std::size_t>(batch);
  std::vector<std::vector<index_t>> out;
  if (ids.size() < b) {
    out.push_back(ids);
    return out;
  }
  for (std::size_t first = 0; first + b <= ids.size(); first += b)
    out.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(first),
                     ids.begin() + static_cast<std::ptrdiff_t>(first + b));
  return out;
}

// variational_mutual_information after its input checks, on the prepared data: training,
// held-out evaluation and the estimate. Independent of the input types, so that it is compiled
// once per TU whatever inputs the callers pass (docs/performance_compile.md).
template <class = void>
variational_result variational_fit(const variational_data& d, const variational_options& options, const char* fn) {
  const index_t dx = d.x.cols(), dy = d.y.cols();
  const bool club = options.bound == variational_bound::club;
  random_engine master(options.seed);
  critic f;
  doe_conditional q;
  if (club)
    q = doe_conditional(doe_family::gaussian, dx, dy, 1, options.hidden, options.activation,
                        master.split(2)());
  else
    f = critic(options.critic, dx, dy, options.hidden, options.embed, options.activation,
               master.split(2)());

  // Minibatch state and the model's loss.
  row_matrix<double> bx, by;
  std::vector<index_t> diagonal;
  double log_m = std::numeric_limits<double>::quiet_NaN();  // MINE's moving average, log domain
  critic_cache cache;
  trainer_model model;
  model.what = club ? "the CLUB likelihood" : "the critic objective";
  model.parameters = club ? &q.parameters() : &f.parameters();
  model.loss_and_gradient = [&](Eigen::VectorXd& grad) {
    if (club) return q.mean_nll_and_gradient(bx, diagonal, by, grad);
    const row_matrix<double> s = f.scores(bx, by, cache);
    bound_terms t;
    switch (options.bound) {
      case variational_bound::infonce: t = infonce_terms(s); break;
      case variational_bound::nwj: t = nwj_terms(s); break;
      case variational_bound::smile: t = smile_terms(s, options.smile_tau); break;
      default: {  // MINE: update the moving average with this batch, then the corrected step
        const double batch_log_mean =
            detail::log_mean_exp_off_diagonal(s, [](double v) { return v; });
        log_m = std::isnan(log_m) ? batch_log_mean
                                  : logsumexp(std::vector<double>{std::log1p(-options.mine_ema) + log_m,
                                                                  std::log(options.mine_ema) + batch_log_mean});
        t = mine_terms(s, log_m);
      }
    }
    f.backward(cache, t.d_loss, grad);
    return t.loss;
  };
  auto prepare = [&](const std::vector<index_t>& order, std::size_t first, std::size_t last) {
    bx = detail::gather_rows(d.x, order, first, last);
    by = detail::gather_rows(d.y, order, first, last);
    diagonal.resize(last - first);
    for (std::size_t i = 0; i < diagonal.size(); ++i) diagonal[i] = static_cast<index_t>(i);
    return static_cast<index_t>(last - first);
  };
  // The bound (and CLUB's held-out NLL) on fixed batches of the given rows.
  const std::vector<std::vector<index_t>> held_batches =
      detail::eval_batches(d.heldout, options.batch, options.seed);
  auto evaluate = [&](const std::vector<std::vector<index_t>>& batches, double* nll) {
    std::vector<double> values;
    double nll_sum = 0.0;
    index_t rows = 0;
    for (const auto& ids : batches) {
      const row_matrix<double> ex = detail::gather_rows(d.x, ids, 0, ids.size());
      const row_matrix<double> ey = detail::gather_rows(d.y, ids, 0, ids.size());
      if (club) {
        const row_matrix<double> log_q = q.log_density_matrix(ex, ey);  // (y_i, x_j)
        values.push_back(club_value(log_q));
        nll_sum -= log_q.diagonal().sum();
        rows += log_q.rows();
      } else {
        values.push_back(detail::bound_value(options.bound, f.scores(ex, ey), options.smile_tau));
      }
    }
    if (nll) *nll = rows > 0 ? nll_sum / static_cast<double>(rows) : 0.0;
    return values;
  };
  auto mean_of = [](const std::vector<double>& v) {
    double s = 0.0;
    for (const double a : v) s += a;
    return s / static_cast<double>(v.size());
  };
  variational_result out;
  variational_epoch epoch_record;
  auto heldout = [&](index_t epoch) {
    epoch_record = variational_epoch{};
    epoch_record.epoch = epoch;
    double nll = 0.0;
    epoch_record.heldout_value = mean_of(evaluate(held_batches, &nll));
    epoch_record.heldout_loss = club ? nll : -epoch_record.heldout_value;
    return std::vector<double>{epoch_record.heldout_loss};
  };
  auto on_epoch = [&](const trainer_epoch& t) {
    epoch_record.train_loss = t.train_loss[0];
    epoch_record.grad_norm = t.grad_norm[0];
    out.trace.push_back(epoch_record);
    if (options.on_epoch) options.on_epoch(epoch_record);
  };
  std::vector<trainer_model> models{model};
  const trainer_result tr = train(detail::trainer_settings(options), d.g, d.train, models, prepare,
                                  heldout, on_epoch, fn);
  out.epochs_run = tr.epochs_run;
  out.best_epoch = tr.best_epoch[0];
  out.converged = tr.converged[0];

  const std::vector<double> values = evaluate(held_batches, nullptr);
  out.train_value = mean_of(evaluate(detail::eval_batches(d.train, options.batch, options.seed + 1), nullptr));
  const index_t eval_batch = static_cast<index_t>(held_batches.front().size());
  out.log_batch = std::log(static_cast<double>(eval_batch));

  estimate& e = out.mi;
  e.value = mean_of(values);
  if (values.size() >= 2) {
    double ss = 0.0;
    for (const double v : values) ss += (v - e.value) * (v - e.value);
    const double k = static_cast<double>(values.size());
    e.std_error = std::sqrt(ss / (k - 1.0) / k);
  }
  if (!std::isfinite(e.value))
    throw_numerical_error(fn, "the held-out ", to_string(options.bound),
                          " value is not finite (value=", e.value, "); lower lr or use smile/infonce");
  e.n = d.x.rows();
  e.dims = dx + dy;
  e.method = to_string(options.bound);
  e.parameters["epochs"] = static_cast<double>(options.epochs);
  e.parameters["batch"] = static_cast<double>(options.batch);
  e.parameters["lr"] = options.lr;
  e.parameters["weight_decay"] = options.weight_decay;
  e.parameters["clip_norm"] = options.clip_norm;
  e.parameters["holdout_fraction"] = options.holdout_fraction;
  e.parameters["patience"] = static_cast<double>(options.patience);
  e.parameters["seed"] = static_cast<double>(options.seed);
  e.parameters["hidden_layers"] = static_cast<double>(options.hidden.size());
  for (std::size_t l = 0; l < options.hidden.size(); ++l)
    e.parameters["hidden_" + std::to_string(l)] = static_cast<double>(options.hidden[l]);
  if (options.bound == variational_bound::smile) e.parameters["smile_tau"] = options.smile_tau;
  if (options.bound == variational_bound::mine) e.parameters["mine_ema"] = options.mine_ema;
  if (!club) {
    e.settings["critic"] = to_string(options.critic);
    if (options.critic == critic_kind::separable) e.parameters["embed"] = static_cast<double>(options.embed);
  }
  e.settings["activation"] = options.activation == mlp_activation::tanh ? "tanh" : "relu";
  e.settings["optimizer"] = options.weight_decay > 0.0 ? "adamw" : "adam";
  e.details["train_value"] = out.train_value;
  e.details["heldout_batches"] = static_cast<double>(values.size());
  e.details["eval_batch"] = static_cast<double>(eval_batch);
  e.details["log_batch"] = out.log_batch;
  e.details["epochs_run"] = static_cast<double>(out.epochs_run);
  e.details["best_epoch"] = static_cast<double>(out.best_epoch);
  e.details["converged"] = out.converged ? 1.0 : 0.0;
  if (!out.converged)
    e.diagnostics.push_back(
        "not converged: the held-out objective was still changing after the last epoch; "
        "increase epochs or lr");
  if (options.bound == variational_bound::infonce && e.value >= 0.75 * out.log_batch)
    e.warn("log_batch_ceiling",
           "InfoNCE is bounded by log(batch) = " + std::to_string(out.log_batch) +
               " nats and the estimate reached " + std::to_string(e.value) +
               ": near the ceiling it under-estimates, and the true I may be much larger; "
               "increase --batch (the ceiling grows as log B) or use nwj, smile or doe",
           e.value / out.log_batch);
  if (out.train_value - e.value > 3.0 * e.std_error.value_or(0.0) + 0.05)
    e.diagnostics.push_back("training value exceeds held-out value: over-fitting");
  return out;
}
}  // namespace detail

/// Variational estimate of I(X;Y) in nats with options.bound (InfoNCE, NWJ, MINE, SMILE: a
/// critic of options.critic form; CLUB: a diagonal-Gaussian q(y|x) whose mean and log-scale are
/// an mlp of x). Rows are i.i.d. pairs (x_i, y_i). A seeded 1 - holdout_fraction of the rows
/// trains the model on the shared loop (variational_trainer.hpp: minibatches of options.batch,
/// Adam or AdamW, clipping, early stopping on the held-out objective, best epoch restored); the
/// estimate is the bound on the held-out rows in batches of options.batch (value: mean over
/// batches; std_error: their sd / sqrt(batches), unset with one batch).
///
/// Bias and variance (Poole et al. 2019; Song & Ermon 2020): InfoNCE has low variance but is
/// capped at log B (details.log_batch; warning "log_batch_ceiling" when the value reaches
/// 0.75 log B, where it under-estimates large I); NWJ and MINE are not capped but their variance
/// grows like e^I (MINE's DV value is also biased on finite batches); SMILE trades a bias set by
/// tau for bounded variance; CLUB is an upper bound when q(y|x) fits, and under-estimates when
/// it does not (a Gaussian q for a non-Gaussian p(y|x)). All lower bounds are also limited by
/// the critic's capacity and by training: a held-out bound is a conservative figure, not a
/// consistent estimate. x and y are standardised with training statistics (I is invariant).
/// Verdict: "log_batch_ceiling" (InfoNCE); and, since nothing in a bound measures its own gap to
/// I, ok only when mixed KSG or the Gaussian plug-in (where their own checks are silent) confirms
/// the value within max(0.1, 10 %): else "bound_gap" (a usable reference disagrees) or
/// "bound_unconfirmed" (none usable, n < 300 or > 64 dimensions); options.cross_check.
/// Runs Eigen single-threaded during training. Not thread-safe on one critic.
/// Cost per epoch: separable O(N (network + B embed)), concat O(N B network) (B^2 network passes
/// per batch of B), CLUB O(N (network + B dy)).
/// Errors: invalid_argument for fewer than 8 rows, mismatched rows, NaN/Inf, batch < 2,
/// bad trainer settings (variational_trainer.hpp), smile_tau <= 0, mine_ema outside (0, 1];
/// numerical_error if training diverges.
template <class InputX, class InputY>
variational_result variational_mutual_information(const InputX& x, const InputY& y,
                                                  const variational_options& options = {}) {
  const char* fn = "variational_mutual_information";
  const auto xv = make_view(x);
  const auto yv = make_view(y);
  detail::check_variational_options(options, fn);
  check_trainer_options(detail::trainer_settings(options), fn);
  variational_result r = detail::variational_fit(detail::prepare_variational(xv, yv, options, fn), options, fn);
  detail::cross_check_mi(r.mi, to_row_matrix<double>(xv), to_row_matrix<double>(yv), options.cross_check,
                         cross_check_rule::confirmation,
                         options.bound == variational_bound::club
                             ? "CLUB exceeds I by E_x KL(p(y) || q(y|x)) even with the exact q (about 2 I for "
                               "Gaussians): read it as an upper bound, or use the reference"
                             : "a lower bound is only as tight as its critic (and InfoNCE is capped at log batch): "
                               "read it as a lower bound, train longer or wider, or use the reference");
  return r;
}

/// InfoNCE estimate (variational_mutual_information with bound = infonce).
template <class InputX, class InputY>
variational_result infonce(const InputX& x, const InputY& y, variational_options o = {}) {
  o.bound = variational_bound::infonce;
  return variational_mutual_information(x, y, o);
}
/// NWJ estimate (variational_mutual_information with bound = nwj).
template <class InputX, class InputY>
variational_result nwj(const InputX& x, const InputY& y, variational_options o = {}) {
  o.bound = variational_bound::nwj;
  return variational_mutual_information(x, y, o);
}
/// MINE estimate (variational_mutual_information with bound = mine).
template <class InputX, class InputY>
variational_result mine(const InputX& x, const InputY& y, variational_options o = {}) {
  o.bound = variational_bound::mine;
  return variational_mutual_information(x, y, o);
}
/// SMILE estimate (variational_mutual_information with bound = smile).
template <class InputX, class InputY>
variational_result smile(const InputX& x, const InputY& y, variational_options o = {}) {
  o.bound = variational_bound::smile;
  return variational_mutual_information(x, y, o);
}
/// CLUB upper-bound estimate (variational_mutual_information with bound = club).
template <class InputX, class InputY>
variational_result club(const InputX& x, const InputY& y, variational_options o = {}) {
  o.bound = variational_bound::club;
  return variational_mutual_information(x, y, o);
}

}  // namespace infogeo::mi
