// DoE training throughput (samples/s) for D_x = 32, D_z = 16, hidden 64x64, tanh:
//   BM_doe_step_batched<family>     minibatch forward/backward as GEMMs (what doe.hpp does)
//   BM_doe_step_per_sample<family>  baseline: the same gradient accumulated one sample at a time
//   BM_doe_contrastive_step         eq.-9 objective on a batch of 64 inputs x 4 views
//   BM_doe_full_fit                 a whole default fit (50 epochs max, early stopping) on
//                                   N = 20,000 rows, wall time per fit
// Each step also updates the marginal q(z) and takes an Adam step, as in training.
#include <benchmark/benchmark.h>

#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/mi/doe.hpp"

namespace {

using infogeo::index_t;
using infogeo::random_engine;
using infogeo::row_matrix;
namespace mi = infogeo::mi;

constexpr index_t kDx = 32, kDz = 16, kBatch = 256;

struct problem {
  row_matrix<double> x, z;
};

problem make_problem(index_t n, std::uint64_t seed) {
  random_engine rng(seed);
  problem p{row_matrix<double>(n, kDx), row_matrix<double>(n, kDz)};
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < kDx; ++j) p.x(i, j) = rng.normal();
    for (index_t j = 0; j < kDz; ++j) p.z(i, j) = 0.6 * p.x(i, j) + 0.8 * rng.normal();
  }
  return p;
}

mi::doe_family family_of(int64_t k) {
  return k == 0 ? mi::doe_family::gaussian
                : (k == 1 ? mi::doe_family::mixture : mi::doe_family::logistic);
}

void BM_doe_step_batched(benchmark::State& state) {
  Eigen::setNbThreads(1);
  const auto family = family_of(state.range(0));
  const problem p = make_problem(kBatch, 1);
  mi::doe_conditional cond(family, kDx, kDz, 3, {64, 64}, mi::mlp_activation::tanh, 2);
  mi::doe_marginal marg(family, kDz, 3, 3);
  mi::adam opt_c(cond.parameters().size(), 1e-4), opt_m(marg.parameter_count(), 1e-4);
  std::vector<index_t> idx(kBatch);
  for (index_t i = 0; i < kBatch; ++i) idx[static_cast<std::size_t>(i)] = i;
  Eigen::VectorXd g;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cond.mean_nll_and_gradient(p.x, idx, p.z, g));
    mi::clip_gradient_norm(g, 1.0);
    opt_c.step(cond.parameters(), g);
    benchmark::DoNotOptimize(marg.mean_nll_and_gradient(p.z, g));
    opt_m.step(marg.parameters(), g);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(mi::to_string(family));
}

// Baseline: per-sample forward/backward (1-row matrices), gradients summed, one Adam step.
void BM_doe_step_per_sample(benchmark::State& state) {
  Eigen::setNbThreads(1);
  const auto family = family_of(state.range(0));
  const problem p = make_problem(kBatch, 1);
  mi::doe_conditional cond(family, kDx, kDz, 3, {64, 64}, mi::mlp_activation::tanh, 2);
  mi::doe_marginal marg(family, kDz, 3, 3);
  mi::adam opt_c(cond.parameters().size(), 1e-4), opt_m(marg.parameter_count(), 1e-4);
  const std::vector<index_t> zero{0};
  Eigen::VectorXd g, sum_c, sum_m;
  for (auto _ : state) {
    sum_c.setZero(cond.parameters().size());
    sum_m.setZero(marg.parameter_count());
    for (index_t i = 0; i < kBatch; ++i) {
      const row_matrix<double> xi = p.x.row(i), zi = p.z.row(i);
      cond.mean_nll_and_gradient(xi, zero, zi, g);
      sum_c += g;
      marg.mean_nll_and_gradient(zi, g);
      sum_m += g;
    }
    sum_c /= static_cast<double>(kBatch);
    sum_m /= static_cast<double>(kBatch);
    mi::clip_gradient_norm(sum_c, 1.0);
    opt_c.step(cond.parameters(), sum_c);
    opt_m.step(marg.parameters(), sum_m);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(mi::to_string(family));
}

void BM_doe_contrastive_step(benchmark::State& state) {
  Eigen::setNbThreads(1);
  const index_t inputs = 64, views = 4;
  const problem p = make_problem(inputs * views, 4);
  const row_matrix<double> x_in = p.x.topRows(inputs);
  std::vector<index_t> pos(static_cast<std::size_t>(inputs * views));
  for (std::size_t r = 0; r < pos.size(); ++r) pos[r] = static_cast<index_t>(r) / views;
  mi::doe_conditional cond(mi::doe_family::gaussian, kDx, kDz, 1, {64, 64},
                           mi::mlp_activation::tanh, 2);
  Eigen::VectorXd g;
  for (auto _ : state) benchmark::DoNotOptimize(cond.contrastive_loss_and_gradient(x_in, pos, p.z, g));
  state.SetItemsProcessed(state.iterations() * inputs * views);
}

void BM_doe_full_fit(benchmark::State& state) {
  const problem p = make_problem(20000, 5);
  mi::doe_options o;  // defaults: gaussian, 64x64, 50 epochs max, batch 256, lr 1e-3
  o.family = family_of(state.range(0));
  double value = 0.0;
  index_t epochs = 0;
  for (auto _ : state) {
    const mi::doe_result r = mi::doe_mutual_information(p.x, p.z, o);
    value = r.mi.value;
    epochs = r.epochs_run;
  }
  state.counters["mi_nats"] = value;
  state.counters["epochs"] = static_cast<double>(epochs);
  state.SetItemsProcessed(state.iterations() * 16000 * epochs);  // training rows x epochs
  state.SetLabel(mi::to_string(o.family));
}

BENCHMARK(BM_doe_step_batched)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_doe_step_per_sample)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_doe_contrastive_step)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_doe_full_fit)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
