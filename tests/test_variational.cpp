// Tests of the shared variational trainer (mi/variational_trainer.hpp).
#include <doctest/doctest.h>

#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/mi/variational_trainer.hpp"

using namespace infogeo;

TEST_CASE("trainer: AdamW decays weights decoupled from the gradient") {
  // With a zero gradient Adam does not move; AdamW shrinks p by (1 - lr * wd) per step.
  Eigen::VectorXd p(2), zero = Eigen::VectorXd::Zero(2);
  p << 2.0, -1.0;
  mi::adam plain(2, 0.1);
  plain.step(p, zero);
  CHECK(p(0) == 2.0);
  mi::adam w(2, 0.1, 0.9, 0.999, 1e-8, 0.5);
  w.step(p, zero);
  CHECK(p(0) == doctest::Approx(2.0 * 0.95).epsilon(1e-15));
  CHECK(p(1) == doctest::Approx(-0.95).epsilon(1e-15));
  // The decay does not enter the moments: the first step with a gradient is
  // p (1 - lr wd) - lr sign(g), exactly as torch.optim.AdamW.
  Eigen::VectorXd q(1), g(1);
  q << 1.0;
  g << 3.0;
  mi::adam w2(1, 0.1, 0.9, 0.999, 1e-8, 0.5);
  w2.step(q, g);
  CHECK(q(0) == doctest::Approx(0.95 - 0.1).epsilon(1e-7));
  CHECK_THROWS_AS(mi::adam(1, 0.1, 0.9, 0.999, 1e-8, -1.0), invalid_argument);
}

TEST_CASE("trainer: groups, split and batches keep an input's views together") {
  const std::vector<index_t> groups{0, 1, 0, 2, 1, 2, 3, 3, 0};
  const mi::input_groups g = mi::make_input_groups(&groups, 9, "t");
  REQUIRE(g.inputs() == 4);
  CHECK(g.rows_of[0] == std::vector<index_t>{0, 2, 8});
  std::vector<index_t> train, held;
  mi::split_inputs(4, 0.5, 7, train, held);
  CHECK(train.size() == 2);
  CHECK(held.size() == 2);
  std::vector<index_t> all = train;
  all.insert(all.end(), held.begin(), held.end());
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<index_t>{0, 1, 2, 3});
  // Inputs 0 (3 rows), 1 (2), 2 (2), 3 (2) with batch 4: [0, 1] (5 rows), [2, 3] (4 rows).
  const auto r = mi::batch_ranges(g, {0, 1, 2, 3}, 4);
  REQUIRE(r.size() == 2);
  CHECK(r[0] == std::make_pair(std::size_t{0}, std::size_t{2}));
  CHECK(r[1] == std::make_pair(std::size_t{2}, std::size_t{4}));
  const mi::input_groups single = mi::make_input_groups(nullptr, 3, "t");
  CHECK(single.inputs() == 3);
  // Bad groups.
  const std::vector<index_t> gap{0, 2, 2}, neg{0, -1, 1}, big{0, 5, 1};
  CHECK_THROWS_AS(mi::make_input_groups(&gap, 3, "t"), invalid_argument);
  CHECK_THROWS_AS(mi::make_input_groups(&neg, 3, "t"), invalid_argument);
  CHECK_THROWS_AS(mi::make_input_groups(&big, 3, "t"), invalid_argument);
  CHECK_THROWS_AS(mi::make_input_groups(&groups, 8, "t"), invalid_argument);
  const std::vector<index_t> one{0, 0, 0};
  CHECK_THROWS_AS(mi::make_input_groups(&one, 3, "t"), invalid_argument);
}

namespace {
// Least squares y = w x on 200 rows with the shared loop; returns the trace and the fit.
struct ls_fit {
  std::vector<mi::trainer_epoch> trace;
  mi::trainer_result result;
  Eigen::VectorXd w;
};
ls_fit fit_least_squares(const mi::trainer_options& o) {
  random_engine rng(3);
  const index_t n = 200;
  Eigen::VectorXd x(n), y(n);
  for (index_t i = 0; i < n; ++i) {
    x(i) = rng.normal();
    y(i) = 1.5 * x(i) + 0.1 * rng.normal();
  }
  const mi::input_groups g = mi::make_input_groups(nullptr, n, "t");
  std::vector<index_t> train, held;
  mi::split_inputs(n, o.holdout_fraction, o.seed, train, held);
  ls_fit out;
  out.w = Eigen::VectorXd::Zero(1);
  std::vector<index_t> batch;
  std::vector<mi::trainer_model> models{{&out.w,
                                         [&](Eigen::VectorXd& grad) {
                                           grad = Eigen::VectorXd::Zero(1);
                                           double loss = 0.0;
                                           for (const index_t i : batch) {
                                             const double r = out.w(0) * x(i) - y(i);
                                             loss += 0.5 * r * r;
                                             grad(0) += r * x(i);
                                           }
                                           grad /= static_cast<double>(batch.size());
                                           return loss / static_cast<double>(batch.size());
                                         },
                                         "least squares"}};
  auto prepare = [&](const std::vector<index_t>& order, std::size_t first, std::size_t last) {
    batch.assign(order.begin() + static_cast<std::ptrdiff_t>(first),
                 order.begin() + static_cast<std::ptrdiff_t>(last));
    return static_cast<index_t>(batch.size());
  };
  auto heldout = [&](index_t) {
    double loss = 0.0;
    for (const index_t i : held) loss += 0.5 * std::pow(out.w(0) * x(i) - y(i), 2);
    return std::vector<double>{loss / static_cast<double>(held.size())};
  };
  out.result = mi::train(o, g, train, models, prepare, heldout,
                         [&](const mi::trainer_epoch& e) { out.trace.push_back(e); }, "t");
  return out;
}
}  // namespace

TEST_CASE("trainer: the shared loop fits, stops early, restores the best epoch, is deterministic") {
  mi::trainer_options o;
  o.epochs = 200;
  o.batch = 16;
  o.lr = 0.05;
  o.patience = 3;
  o.seed = 11;
  const ls_fit a = fit_least_squares(o);
  CHECK(a.w(0) == doctest::Approx(1.5).epsilon(0.02));
  CHECK(a.result.epochs_run < 200);  // stopped early
  CHECK(a.result.converged[0]);
  CHECK(a.trace.size() == static_cast<std::size_t>(a.result.epochs_run));
  // The restored parameters are those of the best held-out epoch.
  double best = 1e300;
  for (const auto& e : a.trace) best = std::min(best, e.heldout[0]);
  CHECK(a.trace[static_cast<std::size_t>(a.result.best_epoch[0] - 1)].heldout[0] == best);
  const ls_fit b = fit_least_squares(o);
  CHECK(b.w(0) == a.w(0));
  o.seed = 12;
  CHECK(fit_least_squares(o).w(0) != a.w(0));
  // Bad options name the argument.
  mi::trainer_options bad = o;
  bad.weight_decay = -1.0;
  CHECK_THROWS_WITH_AS(fit_least_squares(bad), doctest::Contains("weight_decay"), invalid_argument);
  bad = o;
  bad.holdout_fraction = 1.0;
  CHECK_THROWS_AS(fit_least_squares(bad), invalid_argument);
  bad = o;
  bad.epochs = 0;
  CHECK_THROWS_AS(fit_least_squares(bad), invalid_argument);
  bad = o;
  bad.lr = std::nan("");
  CHECK_THROWS_AS(fit_least_squares(bad), invalid_argument);
  // Divergence is a numerical_error, not a silent NaN.
  bad = o;
  bad.lr = 1e300;
  bad.clip_norm = 0.0;
  CHECK_THROWS_AS(fit_least_squares(bad), numerical_error);
}
