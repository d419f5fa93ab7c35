// Critic training throughput (samples/s) at D_x = D_y = 10, hidden 64x64 tanh, batch B = 128,
// InfoNCE objective (mi/variational_bounds.hpp):
//   BM_critic_step_batched<kind>     whole-minibatch forward/backward (what the library does):
//                                    kind 0 = separable g(x)^T h(y), 1 = concat f([x, y])
//   BM_critic_step_per_sample<kind>  baseline: the same gradient with one network pass per
//                                    sample (separable: per row of x and of y; concat: per pair)
//   BM_variational_fit<bound>        a whole default fit (separable critic, at most 50 epochs,
//                                    early stopping) on N = 10,000 pairs, seconds per fit;
//                                    bound 0 = InfoNCE, 3 = SMILE, 4 = CLUB
// Each step includes the Adam update, as in training. Items are samples (rows of the batch).
#include <benchmark/benchmark.h>

#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/mi/variational_bounds.hpp"

namespace {

using infogeo::index_t;
using infogeo::random_engine;
using infogeo::row_matrix;
namespace mi = infogeo::mi;

constexpr index_t kDim = 10, kBatch = 128, kEmbed = 32;

struct problem {
  row_matrix<double> x, y;
};

problem make_problem(index_t n, std::uint64_t seed) {
  random_engine rng(seed);
  problem p{row_matrix<double>(n, kDim), row_matrix<double>(n, kDim)};
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < kDim; ++j) {
      p.x(i, j) = rng.normal();
      p.y(i, j) = 0.6 * p.x(i, j) + 0.8 * rng.normal();
    }
  return p;
}

mi::critic_kind kind_of(int64_t k) { return k == 0 ? mi::critic_kind::separable : mi::critic_kind::concat; }

void BM_critic_step_batched(benchmark::State& state) {
  Eigen::setNbThreads(1);
  const problem p = make_problem(kBatch, 1);
  mi::critic f(kind_of(state.range(0)), kDim, kDim, {64, 64}, kEmbed, mi::mlp_activation::tanh, 2);
  mi::adam opt(f.parameters().size(), 1e-3);
  mi::critic_cache cache;
  Eigen::VectorXd g;
  for (auto _ : state) {
    const row_matrix<double> s = f.scores(p.x, p.y, cache);
    const mi::bound_terms t = mi::infonce_terms(s);
    f.backward(cache, t.d_loss, g);
    mi::clip_gradient_norm(g, 10.0);
    opt.step(f.parameters(), g);
    benchmark::DoNotOptimize(t.value);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// The same InfoNCE gradient, one network pass per sample.
void BM_critic_step_per_sample(benchmark::State& state) {
  Eigen::setNbThreads(1);
  const problem p = make_problem(kBatch, 1);
  const bool separable = state.range(0) == 0;
  // Separable: the two networks directly (per-row passes); concat: one network over [x, y].
  mi::mlp g(kDim, {64, 64}, kEmbed, mi::mlp_activation::tanh, 2);
  mi::mlp h(kDim, {64, 64}, kEmbed, mi::mlp_activation::tanh, 3);
  mi::mlp f(2 * kDim, {64, 64}, 1, mi::mlp_activation::tanh, 2);
  const index_t pg = g.parameter_count();
  Eigen::VectorXd params(separable ? pg + h.parameter_count() : f.parameter_count());
  if (separable)
    params << g.parameters(), h.parameters();
  else
    params = f.parameters();
  mi::adam opt(params.size(), 1e-3);
  std::vector<mi::mlp_cache> cg(kBatch), ch(kBatch);
  std::vector<mi::mlp_cache> cf(separable ? 0 : kBatch * kBatch);
  row_matrix<double> ge(kBatch, kEmbed), he(kBatch, kEmbed), s(kBatch, kBatch), pair(1, 2 * kDim);
  Eigen::VectorXd grad(params.size()), gi;
  for (auto _ : state) {
    if (separable) {
      g.parameters() = params.head(pg);
      h.parameters() = params.tail(h.parameter_count());
      for (index_t i = 0; i < kBatch; ++i) {
        ge.row(i) = g.forward(p.x.row(i), cg[static_cast<std::size_t>(i)]);
        he.row(i) = h.forward(p.y.row(i), ch[static_cast<std::size_t>(i)]);
      }
      s = ge * he.transpose();
    } else {
      f.parameters() = params;
      for (index_t i = 0; i < kBatch; ++i)
        for (index_t j = 0; j < kBatch; ++j) {
          pair << p.x.row(i), p.y.row(j);
          s(i, j) = f.forward(pair, cf[static_cast<std::size_t>(i * kBatch + j)])(0, 0);
        }
    }
    const mi::bound_terms t = mi::infonce_terms(s);
    grad.setZero();
    if (separable) {
      const row_matrix<double> dg = t.d_loss * he, dh = t.d_loss.transpose() * ge;
      for (index_t i = 0; i < kBatch; ++i) {
        g.backward(cg[static_cast<std::size_t>(i)], dg.row(i), gi);
        grad.head(pg) += gi;
        h.backward(ch[static_cast<std::size_t>(i)], dh.row(i), gi);
        grad.tail(h.parameter_count()) += gi;
      }
    } else {
      row_matrix<double> d(1, 1);
      for (index_t i = 0; i < kBatch; ++i)
        for (index_t j = 0; j < kBatch; ++j) {
          d(0, 0) = t.d_loss(i, j);
          f.backward(cf[static_cast<std::size_t>(i * kBatch + j)], d, gi);
          grad += gi;
        }
    }
    mi::clip_gradient_norm(grad, 10.0);
    opt.step(params, grad);
    benchmark::DoNotOptimize(t.value);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_variational_fit(benchmark::State& state) {
  const problem p = make_problem(10000, 5);
  mi::variational_options o;
  o.bound = static_cast<mi::variational_bound>(state.range(0));
  double value = 0.0, epochs = 0.0;
  for (auto _ : state) {
    const mi::variational_result r = mi::variational_mutual_information(p.x, p.y, o);
    value = r.mi.value;
    epochs = static_cast<double>(r.epochs_run);
  }
  state.counters["mi"] = value;  // truth: -10/2 log(1 - 0.36) = 2.231 nats
  state.counters["epochs"] = epochs;
}

}  // namespace

BENCHMARK(BM_critic_step_batched)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_critic_step_per_sample)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_variational_fit)->Arg(0)->Arg(3)->Arg(4)->Iterations(1)->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
