// Difference-of-entropies (DoE) mutual-information estimator (McAllester & Stratos 2020,
// "Formal limitations on the measurement of mutual information", AISTATS, Sec. 7), as used by
// "Geometric and information compression of representations in deep learning" (seed paper,
// Sec. 3.1, App. C.3-C.4) for stochastic (dropout) representations Z of inputs X:
//
//   I(X;Z) ~ H_q(Z) - H_q(Z|X),  H_q(Z) = E_p[-log q(z)],  H_q(Z|X) = E_p[-log q(z|x)],
//
// with a trained marginal density q(z) (doe_densities.hpp) and a trained conditional density
// q(z|x) whose parameters are an MLP of x (doe_mlp.hpp; a mixture density network for the
// mixture family). Both cross-entropies are measured on held-out data (and on the training data
// for comparison).
//
// Bias (seed paper App. C.3; McAllester & Stratos Sec. 7): each cross-entropy over-estimates its
// entropy, H_q(Z) = H(Z) + KL(p(z) || q(z)) and H_q(Z|X) = H(Z|X) + E_x KL(p(z|x) || q(z|x)), so
//   I_DoE = I(X;Z) - KL(p(z) || q(z)) + E_x KL(p(z|x) || q(z|x)).
// The difference is a lower bound on I when the conditional model is exact (its KL is 0), an
// upper bound when the marginal model is exact, and neither in general: it is an estimate, not a
// bound, but unlike contrastive bounds it is not capped at log N.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/cross_check.hpp"
#include "infogeo/core/errors.hpp"
#include "infogeo/core/negative_information.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/entropy/cross_check.hpp"
#include "infogeo/mi/cross_check.hpp"
#include "infogeo/stats/gaussian_shape.hpp"
#include "infogeo/mi/doe_densities.hpp"
#include "infogeo/mi/doe_mlp.hpp"
#include "infogeo/mi/variational_trainer.hpp"

namespace infogeo::mi {

// ---------------------------------------------------------------------------------------------
// The contrastive objective with several views per input (seed paper eq. 9).
// ---------------------------------------------------------------------------------------------

/// Value and gradient of the contrastive objective for one minibatch.
struct contrastive_terms {
  double loss = 0.0;           ///< mean of row_loss (minus the per-view eq.-9 objective)
  Eigen::VectorXd row_loss;    ///< per view r: -log q(z_r|x_pos(r)) + logsumexp_r' log q(z_r'|x_pos(r))
  row_matrix<double> d_log_q;  ///< d loss / d log_q (R x C)
};

/// The contrastive objective of the seed paper's eq. 9 ("Geometric and information compression
/// of representations in deep learning", App. C.4, eqs. 7-9), as a loss to minimise.
/// A minibatch holds C DISTINCT inputs x_1..x_C (the columns) and R views z_r (the rows), view r
/// being a stochastic representation (e.g. a dropout sample) of input positive[r];
/// log_q(r, c) = log q(z_r | x_c). For every view r of input i = positive[r]:
///   term(r) = log q(z_r | x_i) - log sum_{z in N_i u {z_i^(1..K_i)}} q(z | x_i)
///           = log_q(r, i) - logsumexp_{r'} log_q(r', i),
/// the normaliser running over ALL views of the batch: the views N_i of the other inputs (the
/// negatives, eq. 8) and the K_i views of x_i itself, each counted once. Own views are in the
/// numerator and the normaliser but never negatives: the objective is maximal (= -log K_i per
/// view, by Jensen) when q(.|x_i) spreads its batch mass equally over x_i's own views, and the
/// gradient then vanishes, so own views are never pushed apart. loss = -(1/R) sum_r term(r)
/// (eq. 9 is the sum; we average per view so the learning rate does not scale with the batch).
/// Gradient: d loss / d log_q(r', c) = (K_c softmax_c(r') - [positive[r'] == c]) / R, softmax_c
/// over the rows of column c. Throws invalid_argument if positive has a wrong size or an index
/// outside [0, C). Cost O(R C).
template <class = void>
contrastive_terms contrastive_objective(const row_matrix<double>& log_q,
                                        const std::vector<index_t>& positive) {
  const char* fn = "contrastive_objective";
  const index_t R = log_q.rows();
  const index_t C = log_q.cols();
  require(R >= 1 && C >= 1, fn, "log_q must be non-empty (rows=", R, ", cols=", C, ")");
  require(static_cast<index_t>(positive.size()) == R, fn,
          "positive must have one entry per row of log_q (positive size=", positive.size(),
          ", rows=", R, ")");
  std::vector<index_t> views(static_cast<std::size_t>(C), 0);
  for (index_t r = 0; r < R; ++r) {
    const index_t p = positive[static_cast<std::size_t>(r)];
    require(p >= 0 && p < C, fn, "positive entries must be in [0, C) (positive[", r, "]=", p,
            ", C=", C, ")");
    ++views[static_cast<std::size_t>(p)];
  }
  contrastive_terms out;
  out.row_loss.resize(R);
  out.d_log_q.resize(R, C);
  const double inv_r = 1.0 / static_cast<double>(R);
  Eigen::VectorXd lse(C);
  for (index_t c = 0; c < C; ++c) {
    lse(c) = logsumexp(log_q.col(c));  // core/special_functions.hpp
    const double k = static_cast<double>(views[static_cast<std::size_t>(c)]);
    out.d_log_q.col(c) = ((log_q.col(c).array() - lse(c)).exp() * (k * inv_r)).matrix();
  }
  for (index_t r = 0; r < R; ++r) {
    const index_t p = positive[static_cast<std::size_t>(r)];
    out.row_loss(r) = lse(p) - log_q(r, p);
    out.d_log_q(r, p) -= inv_r;
  }
  out.loss = out.row_loss.mean();
  return out;
}

/// The single-view InfoNCE bound over inputs (van den Oord et al. 2018; Poole et al. 2019,
/// eq. 12) on a minibatch of C distinct inputs and R views, for each view r normalised over the
/// inputs (columns): mean_r [log q(z_r|x_pos(r)) - logsumexp_c log q(z_r|x_c)] + log C. The
/// other inputs are independent of z_r, so it is a lower bound on I(X;Z) in expectation, capped
/// at log C; another view of the same input shares its input's column, so it is never a
/// negative. Returns the per-view values (bound = their mean). Cost O(R C).
template <class = void>
Eigen::VectorXd infonce_over_inputs(const row_matrix<double>& log_q,
                                    const std::vector<index_t>& positive) {
  const index_t R = log_q.rows();
  Eigen::VectorXd out(R);
  const double log_c = std::log(static_cast<double>(log_q.cols()));
  for (index_t r = 0; r < R; ++r)
    out(r) = log_q(r, positive[static_cast<std::size_t>(r)]) - logsumexp(log_q.row(r)) + log_c;
  return out;
}

/// The columns of a contrastive minibatch: the distinct inputs among `row_inputs` (the input
/// index of every view, e.g. its group) in order of first appearance, and for every row the
/// column of its own input.
struct contrastive_columns {
  std::vector<index_t> inputs;    ///< distinct input indices, one per column
  std::vector<index_t> positive;  ///< column of each row's input
};

/// Builds the columns of a contrastive minibatch from the input index of every row; views that
/// share an input share a column, so they are never each other's negatives. O(R log R).
inline contrastive_columns make_contrastive_columns(const std::vector<index_t>& row_inputs) {
  contrastive_columns out;
  std::vector<std::pair<index_t, index_t>> seen;  // (input, column), sorted by input
  out.positive.reserve(row_inputs.size());
  for (const index_t g : row_inputs) {
    auto it = std::lower_bound(seen.begin(), seen.end(), std::make_pair(g, index_t(-1)));
    if (it == seen.end() || it->first != g) {
      it = seen.insert(it, {g, static_cast<index_t>(out.inputs.size())});
      out.inputs.push_back(g);
    }
    out.positive.push_back(it->second);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conditional density q(z|x): parameters produced by an MLP of x.
// ---------------------------------------------------------------------------------------------

/// Conditional density q(z|x) of a DoE family whose parameter row theta(x) (layout in
/// doe_densities.hpp: means, log-scales and, for the mixture, logits) is the output of an mlp.
/// With no hidden layers theta is affine in x, so the gaussian family is then exactly the
/// linear-Gaussian conditional (exact for jointly Gaussian data with independent coordinates of
/// the noise). Cost of a forward/backward pass: O(rows * sum of layer products + rows * P).
class doe_conditional {
 public:
  doe_conditional() = default;

  /// Throws invalid_argument for dims < 1, components < 1 or a hidden width < 1.
  doe_conditional(doe_family family, index_t x_dim, index_t z_dim, index_t components,
                  const std::vector<index_t>& hidden, mlp_activation activation,
                  std::uint64_t seed)
      : family_(family),
        z_dim_(z_dim),
        components_(is_mixture(family) ? components : 1),
        net_(x_dim, hidden, doe_parameter_count(family, z_dim, components), activation, seed) {}

  doe_family family() const { return family_; }
  index_t x_dim() const { return net_.input_dim(); }
  index_t z_dim() const { return z_dim_; }
  index_t components() const { return components_; }
  template <class = void>
  mlp& network() { return net_; }
  const mlp& network() const { return net_; }
  template <class = void>
  Eigen::VectorXd& parameters() { return net_.parameters(); }
  const Eigen::VectorXd& parameters() const { return net_.parameters(); }

  /// theta(x) for every row of x (rows x P).
  template <class = void>
  row_matrix<double> density_parameters(const row_matrix<double>& x) const {
    return net_.forward(x);
  }

  /// log q(z_r | x_r) for every row (x and z with the same number of rows), nats.
  template <class = void>
  Eigen::VectorXd log_density(const row_matrix<double>& x, const row_matrix<double>& z) const {
    const char* fn = "doe_conditional::log_density";
    check_same_rows(x.rows(), z.rows(), fn, "x", "z");
    check_z(z, fn);
    Eigen::VectorXd nll;
    doe_negative_log_density(family_, components_, net_.forward(x), z, nll);
    return -nll;
  }

  /// Mean over the rows of z of -log q(z_r | inputs[input_of_row[r]]) (a cross-entropy), and its
  /// gradient with respect to parameters(). The network runs once per distinct input.
  template <class = void>
  double mean_nll_and_gradient(const row_matrix<double>& inputs,
                               const std::vector<index_t>& input_of_row,
                               const row_matrix<double>& z, Eigen::VectorXd& grad) const {
    const char* fn = "doe_conditional::mean_nll_and_gradient";
    check_z(z, fn);
    check_rows(inputs, input_of_row, z, fn);
    mlp_cache cache;
    const row_matrix<double> theta_inputs = net_.forward(inputs, cache);
    const row_matrix<double> theta = gather(theta_inputs, input_of_row);
    Eigen::VectorXd nll;
    row_matrix<double> d_theta;
    doe_negative_log_density(family_, components_, theta, z, nll, &d_theta);
    row_matrix<double> d_inputs = row_matrix<double>::Zero(inputs.rows(), theta.cols());
    const double inv_rows = 1.0 / static_cast<double>(z.rows());
    for (index_t r = 0; r < z.rows(); ++r)
      d_inputs.row(input_of_row[detail::uz(r)]) += inv_rows * d_theta.row(r);
    net_.backward(cache, d_inputs, grad);
    return nll.mean();
  }

  /// The R x C matrix log q(z_r | inputs_c) for all views r and all inputs c (the scores of the
  /// contrastive objective). Cost O(R C P).
  template <class = void>
  row_matrix<double> log_density_matrix(const row_matrix<double>& inputs,
                                        const row_matrix<double>& z) const {
    check_z(z, "doe_conditional::log_density_matrix");
    const row_matrix<double> theta = net_.forward(inputs);
    return scores(theta, z);
  }

  /// Contrastive loss of eq. 9 (see contrastive_objective) over a minibatch of C distinct
  /// `inputs` and R views z with positive[r] the column of view r's input, and its gradient
  /// with respect to parameters(). Cost O(R C P) plus the network passes.
  template <class = void>
  double contrastive_loss_and_gradient(const row_matrix<double>& inputs,
                                       const std::vector<index_t>& positive,
                                       const row_matrix<double>& z,
                                       Eigen::VectorXd& grad) const {
    const char* fn = "doe_conditional::contrastive_loss_and_gradient";
    check_z(z, fn);
    check_rows(inputs, positive, z, fn);
    mlp_cache cache;
    const row_matrix<double> theta = net_.forward(inputs, cache);
    const contrastive_terms terms = contrastive_objective(scores(theta, z), positive);
    // d loss / d theta_c = sum_r d_log_q(r, c) * d log q(z_r | theta_c) / d theta_c.
    row_matrix<double> d_theta_inputs(theta.rows(), theta.cols());
    Eigen::VectorXd nll;
    row_matrix<double> d_nll;
    Eigen::VectorXd d_theta_c;
    for (index_t c = 0; c < theta.rows(); ++c) {
      doe_negative_log_density(family_, components_, theta.row(c).replicate(z.rows(), 1), z, nll,
                               &d_nll);
      d_theta_c.noalias() = d_nll.transpose() * terms.d_log_q.col(c);
      d_theta_inputs.row(c) = -d_theta_c.transpose();
    }
    net_.backward(cache, d_theta_inputs, grad);
    return terms.loss;
  }

  /// One sample z ~ q(.|x_r) per row of x.
  template <class = void>
  row_matrix<double> sample(const row_matrix<double>& x, random_engine& rng) const {
    return doe_sample(family_, z_dim_, components_, net_.forward(x), rng);
  }

 private:
  template <class = void>
  row_matrix<double> scores(const row_matrix<double>& theta, const row_matrix<double>& z) const {
    row_matrix<double> log_q(z.rows(), theta.rows());
    Eigen::VectorXd nll;
    for (index_t c = 0; c < theta.rows(); ++c) {
      doe_negative_log_density(family_, components_, theta.row(c).replicate(z.rows(), 1), z, nll);
      log_q.col(c) = -nll;
    }
    return log_q;
  }
  template <class = void>
  static row_matrix<double> gather(const row_matrix<double>& m, const std::vector<index_t>& idx) {
    row_matrix<double> out(static_cast<index_t>(idx.size()), m.cols());
    for (std::size_t r = 0; r < idx.size(); ++r) out.row(static_cast<index_t>(r)) = m.row(idx[r]);
    return out;
  }
  template <class = void>
  void check_z(const row_matrix<double>& z, const char* fn) const {
    require(z.cols() == z_dim_, fn, "z must have z_dim columns (z cols=", z.cols(),
            ", z_dim=", z_dim_, ")");
  }
  template <class = void>
  static void check_rows(const row_matrix<double>& inputs, const std::vector<index_t>& index,
                         const row_matrix<double>& z, const char* fn) {
    require(static_cast<index_t>(index.size()) == z.rows(), fn,
            "the input index must have one entry per row of z (index size=", index.size(),
            ", z rows=", z.rows(), ")");
    for (std::size_t r = 0; r < index.size(); ++r)
      require(index[r] >= 0 && index[r] < inputs.rows(), fn,
              "input indices must be in [0, inputs rows) (index[", r, "]=", index[r],
              ", inputs rows=", inputs.rows(), ")");
  }

  doe_family family_ = doe_family::gaussian;
  index_t z_dim_ = 1;
  index_t components_ = 1;
  mlp net_;
};

// ---------------------------------------------------------------------------------------------
// Training and estimation.
// ---------------------------------------------------------------------------------------------

/// How the conditional model q(z|x) is trained.
enum class doe_objective {
  likelihood,   ///< maximum likelihood: minimise the cross-entropy H_q(Z|X) (McAllester & Stratos)
  contrastive,  ///< the contrastive objective of seed paper eq. 9 (contrastive_objective)
};

/// One epoch of the training trace. Cross-entropies are in nats in the ORIGINAL units of z
/// (the standardisation's log-Jacobian is added back).
struct doe_epoch {
  index_t epoch = 0;                     ///< 1-based
  double train_marginal_ce = 0.0;        ///< mean minibatch -log q(z) during the epoch (carried
                                         ///< forward once the model has stopped early)
  double train_conditional_loss = 0.0;   ///< mean minibatch objective of q(z|x) (CE or eq. 9)
  double heldout_marginal_ce = 0.0;      ///< H_q(Z) on held-out rows after the epoch
  double heldout_conditional_ce = 0.0;   ///< H_q(Z|X) on held-out rows after the epoch
  double heldout_mi = 0.0;               ///< their difference
  double marginal_grad_norm = 0.0;       ///< mean gradient norm before clipping
  double conditional_grad_norm = 0.0;    ///< mean gradient norm before clipping
  double heldout_contrastive_bound = 0.0;      ///< InfoNCE bound over inputs, held out (contrastive only)
  double heldout_contrastive_objective = 0.0;  ///< eq.-9 objective per view, held out (contrastive only)
};

/// Settings of a DoE fit; the defaults are those of the CLI.
struct doe_options {
  doe_family family = doe_family::gaussian;        ///< density family of q(z) and q(z|x)
  std::vector<index_t> hidden{64, 64};             ///< hidden widths of the q(z|x) network
  mlp_activation activation = mlp_activation::tanh;
  index_t components = 3;          ///< components K (mixture and logistic_mixture only), >= 1
  index_t epochs = 50;             ///< maximum number of epochs, >= 1
  index_t batch = 256;             ///< minibatch size in rows (whole groups are kept together)
  double lr = 1e-3;                ///< Adam learning rate, > 0
  double weight_decay = 0.0;       ///< AdamW decoupled weight decay (0 = plain Adam), >= 0
  double clip_norm = 1.0;          ///< global gradient-norm clipping per model (0 = off)
  double holdout_fraction = 0.2;   ///< fraction of inputs (groups) held out, in (0, 1)
  index_t patience = 5;            ///< early stopping: epochs without held-out improvement (0 = off)
  double min_delta = 1e-4;         ///< improvement (nats) that resets the patience counter
  doe_objective conditional_objective = doe_objective::likelihood;
  bool standardize = true;         ///< standardise x and z with training statistics (I unchanged)
  std::uint64_t seed = 0;          ///< initialisation, split and shuffling
  std::function<void(const doe_epoch&)> on_epoch;  ///< optional progress callback
  /// Cross-check of the result against mixed KSG and the Gaussian plug-in (MI, ungrouped only), or
  /// Kozachenko-Leonenko and the Gaussian formula (entropy): "estimators_disagree", core/cross_check.hpp.
  cross_check_options cross_check;
};

/// Result of doe_mutual_information().
struct doe_result {
  estimate mi;                       ///< held-out I = H_q(Z) - H_q(Z|X); std_error over held-out inputs
  double entropy_z = 0.0;            ///< held-out H_q(Z) (upper bound on H(Z) in expectation)
  double conditional_entropy = 0.0;  ///< held-out H_q(Z|X) (upper bound on H(Z|X) in expectation)
  double mi_train = 0.0;             ///< the same difference on the training rows
  double entropy_z_train = 0.0;
  double conditional_entropy_train = 0.0;
  double contrastive_bound = 0.0;    ///< held-out single-view InfoNCE bound over C inputs (infonce_over_inputs), <= log C
  double contrastive_objective = 0.0;  ///< held-out eq.-9 objective per view (<= -log K for K views per input)
  double contrastive_mean_inputs = 0.0;  ///< mean number C of distinct inputs per held-out batch
  std::vector<doe_epoch> trace;      ///< one entry per epoch run
  bool converged = false;            ///< both models stopped early or changed < min_delta at the end
  index_t epochs_run = 0;
  index_t best_epoch_marginal = 0;   ///< epoch whose parameters were kept (best held-out CE)
  index_t best_epoch_conditional = 0;
  doe_marginal marginal;             ///< fitted q(z), in standardised coordinates
  doe_conditional conditional;       ///< fitted q(z|x), in standardised coordinates
  Eigen::VectorXd x_mean, x_scale, z_mean, z_scale;  ///< the standardisation used
};

/// Result of doe_entropy(): a cross-entropy (upper bound in expectation) estimate of H(Z).
struct doe_entropy_result {
  estimate entropy;                  ///< held-out H_q(Z); std_error over held-out rows
  double entropy_train = 0.0;
  std::vector<doe_epoch> trace;      ///< conditional fields are 0 (no conditional model)
  bool converged = false;
  index_t epochs_run = 0;
  index_t best_epoch = 0;
  doe_marginal marginal;             ///< fitted q(z), standardised coordinates
  Eigen::VectorXd z_mean, z_scale;
};

namespace detail {

struct doe_data {
  row_matrix<double> z;                        // n x dz (standardised)
  row_matrix<double> inputs;                   // m x dx (standardised), one row per input/group
  input_groups g;                              // input of each row, rows of each input
  std::vector<index_t> train_inputs, heldout_inputs;
  Eigen::VectorXd x_mean, x_scale, z_mean, z_scale;
  double log_jacobian = 0.0;                   // sum log z_scale
};

inline trainer_options trainer_settings(const doe_options& o) { return trainer_settings_from(o); }

inline void check_doe_options(const doe_options& o, const char* fn) {
  infogeo::detail::check_cross_check_options(o.cross_check, fn);
  require(o.components >= 1, fn, "components must be >= 1 (components=", o.components, ")");
  check_trainer_options(trainer_settings(o), fn);
  for (std::size_t l = 0; l < o.hidden.size(); ++l)
    require(o.hidden[l] >= 1, fn, "hidden widths must be >= 1 (hidden[", l, "]=", o.hidden[l],
            ")");
}

// Column means and scales over the given rows; constant columns get scale 1 (x) or throw (z).
template <class = void>
void column_stats(const row_matrix<double>& m, const std::vector<index_t>& rows,
                  Eigen::VectorXd& mean, Eigen::VectorXd& scale, bool throw_on_constant,
                  const char* fn, const char* arg) {
  mean = Eigen::VectorXd::Zero(m.cols());
  for (const index_t r : rows) mean += m.row(r).transpose();
  mean /= static_cast<double>(rows.size());
  Eigen::VectorXd var = Eigen::VectorXd::Zero(m.cols());
  for (const index_t r : rows) var += (m.row(r).transpose() - mean).cwiseAbs2();
  var /= static_cast<double>(rows.size());
  scale.resize(m.cols());
  for (index_t j = 0; j < m.cols(); ++j) {
    const double sd = std::sqrt(var(j));
    const bool constant = !(sd > 1e-12 * std::max(1.0, std::abs(mean(j))));
    if (constant && throw_on_constant)
      throw_invalid_argument(fn, arg, " column ", j,
                             " is constant on the training rows: its differential entropy is "
                             "-infinity (sd=", sd, ")");
    scale(j) = constant ? 1.0 : sd;
  }
}

// Validates and prepares the data: inputs per group, the held-out split by group, the
// standardisation. `groups` empty means every row is its own input.
template <class TX, class TZ>
doe_data prepare_doe_data(const sample_view<TX>& xv, const sample_view<TZ>& zv,
                          const std::vector<index_t>* groups, const doe_options& o,
                          bool need_x, const char* fn) {
  doe_data d;
  check_samples(zv, 4, fn, "z");
  const index_t n = zv.rows();
  if (need_x) check_samples(xv, 1, fn, "x");
  d.z = to_row_matrix<double>(zv);
  d.g = make_input_groups(groups, n, fn);
  const index_t m = d.g.inputs();

  if (need_x) {
    const row_matrix<double> x = to_row_matrix<double>(xv);
    if (x.rows() == n) {
      // With one row per group and ids not in row order, "one x row per z row" and "one x row per
      // group" pair x and z differently: refuse rather than guess.
      require(!(groups && m == n && !std::is_sorted(groups->begin(), groups->end())), fn,
              "x has as many rows as z and as groups, and the group ids are not in row order: it is "
              "ambiguous whether x is per row or per group; pass x per row with groups in row order");
      d.inputs.resize(m, x.cols());
      for (index_t g = 0; g < m; ++g) {
        const auto& rows = d.g.rows_of[uz(g)];
        d.inputs.row(g) = x.row(rows.front());
        for (const index_t r : rows)
          require(x.row(r) == x.row(rows.front()), fn,
                  "rows of x in the same group must be identical (they are the same input); "
                  "pass one x row per group otherwise (group=", g, ", row=", r, ")");
      }
    } else {
      require(groups != nullptr && x.rows() == m, fn,
              "x must have one row per row of z, or one row per group (x rows=", x.rows(),
              ", z rows=", n, ", groups=", (groups ? m : index_t(0)), ")");
      d.inputs = x;
    }
  }

  // Held-out split by input (views of one input never straddle it).
  split_inputs(m, o.holdout_fraction, o.seed, d.train_inputs, d.heldout_inputs);

  // Standardise with training statistics.
  std::vector<index_t> train_rows;
  for (const index_t g : d.train_inputs)
    train_rows.insert(train_rows.end(), d.g.rows_of[uz(g)].begin(), d.g.rows_of[uz(g)].end());
  if (o.standardize) {
    column_stats(d.z, train_rows, d.z_mean, d.z_scale, true, fn, "z");
    d.z = ((d.z.rowwise() - d.z_mean.transpose()).array().rowwise() /
           d.z_scale.transpose().array()).matrix();
    if (need_x) {
      column_stats(d.inputs, d.train_inputs, d.x_mean, d.x_scale, false, fn, "x");
      d.inputs = ((d.inputs.rowwise() - d.x_mean.transpose()).array().rowwise() /
                  d.x_scale.transpose().array()).matrix();
    }
  } else {
    d.z_mean = Eigen::VectorXd::Zero(d.z.cols());
    d.z_scale = Eigen::VectorXd::Ones(d.z.cols());
    if (need_x) {
      d.x_mean = Eigen::VectorXd::Zero(d.inputs.cols());
      d.x_scale = Eigen::VectorXd::Ones(d.inputs.cols());
    }
  }
  d.log_jacobian = d.z_scale.array().log().sum();
  return d;
}

// A minibatch: the rows of a run of whole inputs, with the inputs as contrastive columns.
struct doe_batch {
  row_matrix<double> z;
  row_matrix<double> inputs;
  std::vector<index_t> positive;  // local column of each row
};

inline doe_batch make_batch(const doe_data& d, const std::vector<index_t>& input_ids,
                            std::size_t first, std::size_t last, bool need_x) {
  doe_batch b;
  index_t rows = 0;
  for (std::size_t i = first; i < last; ++i)
    rows += static_cast<index_t>(d.g.rows_of[uz(input_ids[i])].size());
  b.z.resize(rows, d.z.cols());
  if (need_x) b.inputs.resize(static_cast<index_t>(last - first), d.inputs.cols());
  b.positive.reserve(uz(rows));
  index_t r = 0;
  for (std::size_t i = first; i < last; ++i) {
    const index_t g = input_ids[i];
    if (need_x) b.inputs.row(static_cast<index_t>(i - first)) = d.inputs.row(g);
    for (const index_t row : d.g.rows_of[uz(g)]) {
      b.z.row(r++) = d.z.row(row);
      b.positive.push_back(static_cast<index_t>(i - first));
    }
  }
  return b;
}

// Per-row -log q(z) and -log q(z|x) (standardised units) over the rows of the given inputs,
// evaluated in chunks of ~4096 rows; rows are listed input by input.
struct doe_eval {
  Eigen::VectorXd marginal_nll, conditional_nll;
  std::vector<index_t> input_of;  // input of each evaluated row
};

template <class = void>
doe_eval evaluate(const doe_data& d, const std::vector<index_t>& input_ids,
                  const doe_marginal* marginal, const doe_conditional* conditional) {
  doe_eval out;
  index_t total = 0;
  for (const index_t g : input_ids) total += static_cast<index_t>(d.g.rows_of[uz(g)].size());
  if (marginal) out.marginal_nll.resize(total);
  if (conditional) out.conditional_nll.resize(total);
  index_t offset = 0;
  for (const auto& [first, last] : batch_ranges(d.g, input_ids, 4096)) {
    const doe_batch b = make_batch(d, input_ids, first, last, conditional != nullptr);
    if (marginal) out.marginal_nll.segment(offset, b.z.rows()) = -marginal->log_density(b.z);
    if (conditional) {
      Eigen::VectorXd nll;
      const row_matrix<double> theta_in = conditional->density_parameters(b.inputs);
      row_matrix<double> theta(b.z.rows(), theta_in.cols());
      for (index_t r = 0; r < b.z.rows(); ++r) theta.row(r) = theta_in.row(b.positive[uz(r)]);
      doe_negative_log_density(conditional->family(), conditional->components(), theta, b.z,
                               nll);
      out.conditional_nll.segment(offset, b.z.rows()) = nll;
    }
    for (index_t r = 0; r < b.z.rows(); ++r)
      out.input_of.push_back(input_ids[first + uz(b.positive[uz(r)])]);
    offset += b.z.rows();
  }
  return out;
}

// Mixture marginal: start the components on random training rows.
template <class = void>
void initialize_marginal(const doe_data& d, doe_marginal& marginal, random_engine rng) {
  if (!is_mixture(marginal.family())) return;
  std::vector<index_t> rows;
  for (const index_t g : d.train_inputs)
    rows.insert(rows.end(), d.g.rows_of[uz(g)].begin(), d.g.rows_of[uz(g)].end());
  row_matrix<double> train(static_cast<index_t>(rows.size()), d.z.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) train.row(static_cast<index_t>(i)) = d.z.row(rows[i]);
  marginal.initialize_from_samples(train, rng);
}

// Held-out contrastive figures of the fitted q(z|x) over batches of whole held-out inputs (the
// training batch size): the single-view InfoNCE bound over inputs and the eq.-9 objective, both
// means per view.
template <class = void>
void contrastive_heldout(const doe_data& d, const doe_options& o,
                         const doe_conditional& conditional, double& bound,
                         double& objective, double& mean_inputs) {
  double sum_b = 0.0, sum_o = 0.0, sum_c = 0.0;
  index_t rows = 0, batches = 0;
  for (const auto& [first, last] : batch_ranges(d.g, d.heldout_inputs, o.batch)) {
    const doe_batch b = make_batch(d, d.heldout_inputs, first, last, true);
    const row_matrix<double> log_q = conditional.log_density_matrix(b.inputs, b.z);
    sum_b += infonce_over_inputs(log_q, b.positive).sum();
    sum_o -= contrastive_objective(log_q, b.positive).row_loss.sum();
    rows += b.z.rows();
    sum_c += static_cast<double>(last - first);
    ++batches;
  }
  bound = sum_b / static_cast<double>(rows);
  objective = sum_o / static_cast<double>(rows);
  mean_inputs = sum_c / static_cast<double>(batches);
}

// DoE on the shared trainer (variational_trainer.hpp): model 0 is q(z), model 1 (when present)
// q(z|x); both step on the same minibatches of whole inputs. Early stopping: q(z) on its held-out
// cross-entropy, q(z|x) on the objective it is trained with (held-out cross-entropy, or minus the
// held-out eq.-9 objective).
template <class = void>
trainer_result train_doe(const doe_data& d, const doe_options& o, doe_marginal& marginal,
                         doe_conditional* conditional, std::vector<doe_epoch>& trace,
                         const char* fn) {
  doe_batch b;
  std::vector<trainer_model> models;
  models.push_back({&marginal.parameters(),
                    [&](Eigen::VectorXd& grad) { return marginal.mean_nll_and_gradient(b.z, grad); },
                    "the marginal cross-entropy"});
  if (conditional)
    models.push_back({&conditional->parameters(),
                      [&, conditional](Eigen::VectorXd& grad) {
                        return o.conditional_objective == doe_objective::likelihood
                                   ? conditional->mean_nll_and_gradient(b.inputs, b.positive, b.z, grad)
                                   : conditional->contrastive_loss_and_gradient(b.inputs, b.positive,
                                                                                b.z, grad);
                      },
                      "the conditional objective"});
  doe_epoch e;
  auto prepare = [&](const std::vector<index_t>& order, std::size_t first, std::size_t last) {
    b = make_batch(d, order, first, last, conditional != nullptr);
    return b.z.rows();
  };
  auto heldout = [&](index_t epoch) {
    e = doe_epoch{};
    e.epoch = epoch;
    const doe_eval ev = evaluate(d, d.heldout_inputs, &marginal, conditional);
    e.heldout_marginal_ce = ev.marginal_nll.mean() + d.log_jacobian;
    std::vector<double> objective{e.heldout_marginal_ce};
    if (conditional) {
      e.heldout_conditional_ce = ev.conditional_nll.mean() + d.log_jacobian;
      e.heldout_mi = e.heldout_marginal_ce - e.heldout_conditional_ce;
      if (o.conditional_objective == doe_objective::contrastive) {
        // Early stopping on the objective actually trained: the held-out eq.-9 objective.
        double mean_inputs = 0.0;
        contrastive_heldout(d, o, *conditional, e.heldout_contrastive_bound,
                            e.heldout_contrastive_objective, mean_inputs);
        objective.push_back(-e.heldout_contrastive_objective);
      } else {
        objective.push_back(e.heldout_conditional_ce);
      }
    }
    return objective;
  };
  auto on_epoch = [&](const trainer_epoch& t) {
    e.train_marginal_ce = t.train_loss[0] + d.log_jacobian;
    e.marginal_grad_norm = t.grad_norm[0];
    if (conditional) {
      e.train_conditional_loss =
          t.train_loss[1] + (o.conditional_objective == doe_objective::likelihood ? d.log_jacobian : 0.0);
      e.conditional_grad_norm = t.grad_norm[1];
    }
    trace.push_back(e);
    if (o.on_epoch) o.on_epoch(e);
  };
  return train(trainer_settings(o), d.g, d.train_inputs, models, prepare, heldout, on_epoch, fn);
}

inline void fill_common(estimate& e, const doe_options& o, const doe_data& d) {
  e.parameters["epochs"] = static_cast<double>(o.epochs);
  e.parameters["batch"] = static_cast<double>(o.batch);
  e.parameters["lr"] = o.lr;
  e.parameters["weight_decay"] = o.weight_decay;
  e.parameters["clip_norm"] = o.clip_norm;
  e.parameters["holdout_fraction"] = o.holdout_fraction;
  e.parameters["patience"] = static_cast<double>(o.patience);
  e.parameters["seed"] = static_cast<double>(o.seed);
  if (is_mixture(o.family)) e.parameters["components"] = static_cast<double>(o.components);
  e.settings["family"] = to_string(o.family);
  e.settings["standardize"] = o.standardize ? "true" : "false";
  e.details["train_inputs"] = static_cast<double>(d.train_inputs.size());
  e.details["heldout_inputs"] = static_cast<double>(d.heldout_inputs.size());
}


/// Fewest held-out / training inputs a DoE fit must have: below, the held-out cross-entropies
/// (and their standard error) rest on a handful of points and early stopping triggers on noise
/// ("converged" on 8 samples meant nothing): refused with code "doe_too_few_samples".
inline constexpr index_t doe_min_heldout_inputs = 20;
inline constexpr index_t doe_min_train_inputs = 50;

/// Margin (nats) by which the closed-form diagonal Gaussian's held-out cross-entropy of z may
/// exceed the full-covariance Gaussian's before a diagonal family is flagged ("diagonal_family").
/// The gap estimates the total correlation the diagonal marginal cannot represent; it enters
/// H_q(Z) (and so the MI) one-for-one.
inline constexpr double doe_diagonal_margin = 0.05;

template <class = void>
void doe_sample_count_check(const doe_data& d, const char* fn) {
  const auto held = static_cast<index_t>(d.heldout_inputs.size());
  const auto train = static_cast<index_t>(d.train_inputs.size());
  if (held < doe_min_heldout_inputs || train < doe_min_train_inputs)
    refuse(fn, "doe_too_few_samples",
           infogeo::detail::concat("DoE trains neural densities on ", train, " inputs and measures them on ", held,
                                   " held-out inputs (needs >= ", doe_min_train_inputs, " and >= ",
                                   doe_min_heldout_inputs, "): the held-out cross-entropies and early stopping "
                                   "rest on too few points; use a k-NN estimator (KSG) at this sample size"),
           static_cast<double>(held + train));
}

/// Held-out cross-entropies (nats, standardised coordinates) of the closed-form maximum-likelihood
/// Gaussian fitted on the training rows of d.z: diagonal and full covariance. O(n dz^2 + dz^3).
template <class = void>
void doe_gaussian_reference(const doe_data& d, double& diag_ce, double& full_ce) {
  const index_t dz = d.z.cols();
  std::vector<index_t> train_rows;
  std::vector<index_t> held_rows;
  for (const index_t g : d.train_inputs)
    for (const index_t r : d.g.rows_of[uz(g)]) train_rows.push_back(r);
  for (const index_t g : d.heldout_inputs)
    for (const index_t r : d.g.rows_of[uz(g)]) held_rows.push_back(r);
  Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(dz);
  for (const index_t r : train_rows) mean += d.z.row(r);
  mean /= static_cast<double>(train_rows.size());
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(dz, dz);
  for (const index_t r : train_rows) {
    const Eigen::RowVectorXd c = d.z.row(r) - mean;
    cov.noalias() += c.transpose() * c;
  }
  cov /= static_cast<double>(train_rows.size());
  cov.diagonal().array() += 1e-9;  // a constant standardised column has variance ~0
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  double log_det_full = 0.0;
  for (index_t j = 0; j < dz; ++j) log_det_full += 2.0 * std::log(llt.matrixL()(j, j));
  const double log_det_diag = cov.diagonal().array().log().sum();
  double q_full = 0.0;
  double q_diag = 0.0;
  for (const index_t r : held_rows) {
    const Eigen::VectorXd c = (d.z.row(r) - mean).transpose();
    q_full += llt.matrixL().solve(c).squaredNorm();
    q_diag += (c.array().square() / cov.diagonal().array()).sum();
  }
  const auto h = static_cast<double>(held_rows.size());
  const double base = static_cast<double>(dz) * half_log_two_pi;
  full_ce = base + 0.5 * log_det_full + 0.5 * q_full / h + d.log_jacobian;
  diag_ce = base + 0.5 * log_det_diag + 0.5 * q_diag / h + d.log_jacobian;
}

/// The DoE verdicts on a fitted estimate: "not_converged" (held-out cross-entropy still improving
/// when the epochs ran out), for the diagonal families "diagonal_family", and for the two Gaussian
/// families "non_gaussian" when a column of z is measurably non-Gaussian (a Gaussian q(z) then
/// over-estimates H(Z) by its misfit).
template <class = void>
void doe_verdicts(estimate& e, const doe_data& d, const doe_options& o, bool converged) {
  if (o.family == doe_family::gaussian || o.family == doe_family::gaussian_full)
    stats::check_gaussian_shape(e, d.z, "z",
                                          "use --method doe-mixture or doe-logistic-mixture, whose q(z) can fit it");
  if (!converged)
    e.warn("not_converged",
           "the held-out cross-entropy was still improving when the epochs ran out (converged means it stopped "
           "improving for `patience` epochs, or moved < min_delta in the last one): increase epochs or lr",
           static_cast<double>(o.epochs));
  double diag_ce = 0.0;
  double full_ce = 0.0;
  doe_gaussian_reference(d, diag_ce, full_ce);
  e.details["reference_gaussian_diag_ce"] = diag_ce;
  e.details["reference_gaussian_full_ce"] = full_ce;
  const double gap = diag_ce - full_ce;
  if ((o.family == doe_family::gaussian || o.family == doe_family::logistic) && gap > doe_diagonal_margin)
    e.warn("diagonal_family",
           infogeo::detail::concat("a full-covariance Gaussian fits z better than a diagonal one by ", gap,
                                   " nats of held-out cross-entropy (margin ", doe_diagonal_margin,
                                   "): the diagonal ", to_string(o.family), " family cannot represent the "
                                   "correlations between coordinates and over-estimates H(Z) (and the MI) by "
                                   "about that much; use family gaussian_full (doe-gauss)"),
           gap);
}

inline constexpr const char* doe_cross_check_advice =
    "the fitted densities' misfit (family too simple, training not converged) is the usual cause: try "
    "family gaussian_full or a mixture, more epochs, or the reference";

template <class TX, class TZ>
doe_result doe_mi_impl(const sample_view<TX>& xv, const sample_view<TZ>& zv,
                       const std::vector<index_t>* groups, const doe_options& options) {
  const char* fn = "doe_mutual_information";
  check_doe_options(options, fn);
  const doe_data d = prepare_doe_data(xv, zv, groups, options, true, fn);
  doe_sample_count_check(d, fn);
  const index_t dz = d.z.cols();
  const index_t dx = d.inputs.cols();
  random_engine master(options.seed);
  doe_result out;
  out.marginal = doe_marginal(options.family, dz, options.components, master.split(1)());
  initialize_marginal(d, out.marginal, master.split(5));
  out.conditional = doe_conditional(options.family, dx, dz, options.components, options.hidden,
                                    options.activation, master.split(2)());
  const trainer_result tr = train_doe(d, options, out.marginal, &out.conditional, out.trace, fn);
  out.epochs_run = tr.epochs_run;
  out.best_epoch_marginal = tr.best_epoch[0];
  out.best_epoch_conditional = tr.best_epoch[1];
  out.converged = tr.converged[0] && tr.converged[1];

  const doe_eval held = evaluate(d, d.heldout_inputs, &out.marginal, &out.conditional);
  const doe_eval train = evaluate(d, d.train_inputs, &out.marginal, &out.conditional);
  out.entropy_z = held.marginal_nll.mean() + d.log_jacobian;
  out.conditional_entropy = held.conditional_nll.mean() + d.log_jacobian;
  out.entropy_z_train = train.marginal_nll.mean() + d.log_jacobian;
  out.conditional_entropy_train = train.conditional_nll.mean() + d.log_jacobian;
  out.mi_train = out.entropy_z_train - out.conditional_entropy_train;
  contrastive_heldout(d, options, out.conditional, out.contrastive_bound,
                      out.contrastive_objective, out.contrastive_mean_inputs);
  out.x_mean = d.x_mean;
  out.x_scale = d.x_scale;
  out.z_mean = d.z_mean;
  out.z_scale = d.z_scale;

  estimate& e = out.mi;
  e.value = out.entropy_z - out.conditional_entropy;
  const Eigen::VectorXd diff = held.marginal_nll - held.conditional_nll;
  const double se = grouped_std_error(diff, held.input_of);
  if (std::isfinite(se)) e.std_error = se;
  e.n = zv.rows();
  e.dims = dx + dz;
  e.method = "doe_" + to_string(options.family);
  fill_common(e, options, d);
  e.parameters["hidden_layers"] = static_cast<double>(options.hidden.size());
  for (std::size_t l = 0; l < options.hidden.size(); ++l)
    e.parameters["hidden_" + std::to_string(l)] = static_cast<double>(options.hidden[l]);
  e.settings["activation"] = options.activation == mlp_activation::tanh ? "tanh" : "relu";
  e.settings["conditional_objective"] =
      options.conditional_objective == doe_objective::likelihood ? "likelihood" : "contrastive";
  e.settings["grouped"] = groups ? "true" : "false";
  e.details["entropy_z"] = out.entropy_z;
  e.details["conditional_entropy"] = out.conditional_entropy;
  e.details["mi_train"] = out.mi_train;
  e.details["entropy_z_train"] = out.entropy_z_train;
  e.details["conditional_entropy_train"] = out.conditional_entropy_train;
  e.details["contrastive_bound"] = out.contrastive_bound;
  e.details["contrastive_objective"] = out.contrastive_objective;
  e.details["contrastive_mean_inputs"] = out.contrastive_mean_inputs;
  e.details["epochs_run"] = static_cast<double>(out.epochs_run);
  e.details["best_epoch_marginal"] = static_cast<double>(out.best_epoch_marginal);
  e.details["best_epoch_conditional"] = static_cast<double>(out.best_epoch_conditional);
  e.details["converged"] = out.converged ? 1.0 : 0.0;
  doe_verdicts(e, d, options, out.converged);
  // The contrastive bound over inputs (infonce_over_inputs) cannot exceed log C (C distinct inputs
  // per bound batch): near it, it measures C.
  if (options.conditional_objective == doe_objective::contrastive && out.contrastive_mean_inputs > 1.0 &&
      out.contrastive_bound > 0.9 * std::log(out.contrastive_mean_inputs))
    e.warn("log_batch_ceiling",
           infogeo::detail::concat("the contrastive bound ", out.contrastive_bound, " nats is within 10% of its "
                                   "ceiling log C = ", std::log(out.contrastive_mean_inputs),
                                   " (C = inputs per batch): it measures the batch size, not I; use larger "
                                   "batches"),
           out.contrastive_bound / std::log(out.contrastive_mean_inputs));
  if (options.conditional_objective == doe_objective::contrastive)
    e.diagnostics.push_back(
        "q(z|x) was trained with the contrastive objective (eq. 9), not by likelihood: its "
        "cross-entropy over-estimates H(Z|X) by more, so the DoE value can be far below I; "
        "details.contrastive_objective is the held-out eq.-9 figure it maximises and "
        "details.contrastive_bound a lower bound on I capped at log C");
  if (e.value < 0.0)
    e.diagnostics.push_back(
        "negative estimate: H_q(Z|X) exceeds H_q(Z) on held-out data (conditional model "
        "under-fitted or little information)");
  check_nonnegative_information(e, doe_cross_check_advice);
  if (out.mi_train - e.value > 3.0 * e.std_error.value_or(0.0) + 0.05)
    e.diagnostics.push_back("training estimate exceeds held-out estimate: over-fitting");
  if (groups)  // several views per input: x repeats within a group and is usually high-dimensional
    e.settings["cross_check"] = "not run with groups (views of one input)";
  else
    cross_check_mi(e, to_row_matrix<double>(xv), to_row_matrix<double>(zv), options.cross_check,
                   cross_check_rule::estimate_confirmation, doe_cross_check_advice);
  return out;
}

}  // namespace detail

/// Difference-of-entropies estimate of I(X;Z) in nats (McAllester & Stratos 2020, Sec. 7; seed
/// paper Sec. 3.1 and App. C.3-C.4): trains q(z) and q(z|x) (options.family) by minibatch Adam
/// on a training split and returns I = H_q(Z) - H_q(Z|X) on the held-out split (value,
/// std_error over held-out inputs) and on the training split (mi_train, for comparison), a
/// per-epoch trace of the cross-entropies and a converged flag.
///
/// `groups` (optional, one entry per row of z): the input index of every row, for several
/// stochastic views (e.g. dropout samples) of each input. Groups are ids 0..M-1, each with at
/// least one row; x then has one row per row of z (identical within a group) or one row per
/// group. The split, the minibatches and the standard error keep the views of an input
/// together; with options.conditional_objective == contrastive, q(z|x) is trained with the
/// eq.-9 objective (contrastive_objective: the K own views of an input are in its normaliser,
/// never negatives) and stops early on its held-out value. Always reported on held-out batches
/// of options.batch rows: the eq.-9 objective per view (contrastive_objective, <= -log K) and the
/// single-view InfoNCE bound over inputs (contrastive_bound, a lower bound on I in expectation,
/// <= log C). The paper's settings (App. C.4): objective contrastive, weight_decay 0.01 (AdamW),
/// lr 1e-4, batch 1024 rows = 256 inputs x 4 views, clip_norm 1, family logistic.
///
/// Bias: see the top of this header; each entropy is over-estimated, the difference is neither
/// bound in general. Choosing the epoch by held-out cross-entropy makes the held-out figures
/// slightly optimistic (negligible for thousands of held-out rows). z and x are standardised
/// with training statistics (I is invariant; entropies are reported in the original units).
/// Training runs Eigen single-threaded (Eigen::setNbThreads(1), restored afterwards): do not
/// change Eigen's thread count from another thread during a fit.
/// Cost: O(epochs * N * (network + P)) for likelihood training; the contrastive objective and
/// the bound add O(N * batch_inputs * P) per epoch.
/// Verdict: the DoE verdicts (not_converged, diagonal_family, non_gaussian for the Gaussian
/// families, doe_too_few_samples), "log_batch_ceiling" (contrastive objective),
/// "negative_information" below -0.1 nats, and without groups the cross-check against mixed KSG
/// and the Gaussian plug-in (options.cross_check, rule estimate_confirmation): ok only when one of
/// them, its own checks silent, agrees within max(0.1, 10 %); "estimators_disagree" when one
/// disagrees, "bound_unconfirmed" when none is usable or the check is skipped (n < min_n, joint
/// dimension > max_dims): DoE has no check of its densities' misfit, which puts it far from I on
/// either side (session 19: 33 x 33 Gaussians, I = 3.3, read -1.5 to -2.1 past max_dims).
/// Errors: invalid_argument for mismatched rows, fewer than 4 rows or 2 inputs, NaN/Inf,
/// constant z columns, bad groups, components < 1, lr <= 0, epochs < 1, batch < 1,
/// holdout_fraction outside (0, 1); numerical_error if training diverges.
template <class InputX, class InputZ>
doe_result doe_mutual_information(const InputX& x, const InputZ& z,
                                  const std::vector<index_t>& groups,
                                  const doe_options& options = {}) {
  return detail::doe_mi_impl(make_view(x), make_view(z), &groups, options);
}

/// doe_mutual_information without groups: every row of x is the input of the same row of z.
template <class InputX, class InputZ>
doe_result doe_mutual_information(const InputX& x, const InputZ& z,
                                  const doe_options& options = {}) {
  return detail::doe_mi_impl(make_view(x), make_view(z), nullptr, options);
}

/// Cross-entropy estimate of the differential entropy H(Z) in nats: fits the marginal density
/// q(z) of options.family (any doe_family) by minibatch Adam on a
/// training split, with early stopping on the held-out cross-entropy, and returns
/// H_q(Z) = mean -log q(z) on the held-out rows. Bias: H_q(Z) = H(Z) + KL(p || q) >= H(Z) in
/// expectation (an over-estimate by the model misfit). Units: nats, original units of z.
/// Verdict: the DoE verdicts, and "estimators_disagree" against Kozachenko-Leonenko and the
/// Gaussian formula (options.cross_check).
/// Cost O(epochs * N * P). Errors as doe_mutual_information (x-related ones excepted).
template <class InputZ>
doe_entropy_result doe_entropy(const InputZ& z, const doe_options& options = {}) {
  const char* fn = "doe_entropy";
  const auto zv = make_view(z);
  detail::check_doe_options(options, fn);
  const detail::doe_data d = detail::prepare_doe_data(zv, zv, nullptr, options, false, fn);
  detail::doe_sample_count_check(d, fn);
  random_engine master(options.seed);
  doe_entropy_result out;
  out.marginal = doe_marginal(options.family, d.z.cols(), options.components, master.split(1)());
  detail::initialize_marginal(d, out.marginal, master.split(5));
  const trainer_result tr = detail::train_doe(d, options, out.marginal, nullptr, out.trace, fn);
  out.epochs_run = tr.epochs_run;
  out.best_epoch = tr.best_epoch[0];
  out.converged = tr.converged[0];
  const detail::doe_eval held = detail::evaluate(d, d.heldout_inputs, &out.marginal, nullptr);
  const detail::doe_eval train = detail::evaluate(d, d.train_inputs, &out.marginal, nullptr);
  out.entropy_train = train.marginal_nll.mean() + d.log_jacobian;
  out.z_mean = d.z_mean;
  out.z_scale = d.z_scale;
  estimate& e = out.entropy;
  e.value = held.marginal_nll.mean() + d.log_jacobian;
  const double se = grouped_std_error(held.marginal_nll, held.input_of);
  if (std::isfinite(se)) e.std_error = se;
  e.n = zv.rows();
  e.dims = zv.cols();
  e.method = "doe_entropy_" + to_string(options.family);
  detail::fill_common(e, options, d);
  e.details["entropy_train"] = out.entropy_train;
  e.details["epochs_run"] = static_cast<double>(out.epochs_run);
  e.details["best_epoch"] = static_cast<double>(out.best_epoch);
  e.details["converged"] = out.converged ? 1.0 : 0.0;
  detail::doe_verdicts(e, d, options, out.converged);
  entropy::detail::cross_check_entropy(e, to_row_matrix<double>(zv), options.cross_check, cross_check_rule::disagreement,
                              detail::doe_cross_check_advice);
  return out;
}

}  // namespace infogeo::mi
