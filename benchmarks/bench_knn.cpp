// Benchmarks of the k-NN layer and estimators (docs/performance_knn.md). Every figure has its
// baseline in this binary:
//  * KL entropy vs the raw k-NN query loop it needs (overhead ratio, target <= 1.2x);
//  * KSG-1 5-D x 5-D at N = 100,000 and 1-D x 1-D at N = 300,000 (targets < 1 s and < 0.2 s),
//    next to the joint k-NN search alone and the two marginal range counts alone;
//  * kd-tree vs brute force per dimension (the crossover used by choose_backend);
//  * KSG-1 scaling in N (log-log slope);
//  * the Euclidean brute-force backend alone where it is chosen (BM_brute_l2).
// Run: build-bench/benchmarks/bench_knn --benchmark_filter=... (Release, NDEBUG).
#include <benchmark/benchmark.h>

#include <map>
#include <utility>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/neighbors/knn.hpp"

using namespace infogeo;

namespace {

// Correlated Gaussian pairs (rho = 0.6 per coordinate pair), cached per (n, d).
const std::pair<row_matrix<double>, row_matrix<double>>& pairs(index_t n, index_t d) {
  static std::map<std::pair<index_t, index_t>, std::pair<row_matrix<double>, row_matrix<double>>> cache;
  auto it = cache.find({n, d});
  if (it != cache.end()) return it->second;
  random_engine rng(12345);
  row_matrix<double> x(n, d);
  row_matrix<double> y(n, d);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) {
      const double a = rng.normal();
      x(i, j) = a;
      y(i, j) = 0.6 * a + 0.8 * rng.normal();
    }
  return cache.emplace(std::make_pair(n, d), std::make_pair(std::move(x), std::move(y))).first->second;
}

void BM_ksg1(benchmark::State& state) {
  const auto& [x, y] = pairs(state.range(0), state.range(1));
  double v = 0.0;
  for (auto _ : state) {
    v = mi::ksg(x, y).value;
    benchmark::DoNotOptimize(v);
  }
  state.counters["mi"] = v;
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ksg1)->Args({100000, 5})->Args({300000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ksg1)->Name("BM_ksg1_scaling")->Args({10000, 2})->Args({30000, 2})->Args({100000, 2})->Args({300000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// Baseline for BM_ksg1: the joint max-norm k-NN search alone.
void BM_ksg1_joint_knn_only(benchmark::State& state) {
  const auto& [x, y] = pairs(state.range(0), state.range(1));
  row_matrix<double> joint(x.rows(), 2 * x.cols());
  joint << x, y;
  for (auto _ : state) {
    auto r = neighbors::knn_self(joint, 3, norm_kind::chebyshev);
    benchmark::DoNotOptimize(r.distances.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ksg1_joint_knn_only)->Args({100000, 5})->Args({300000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

// Second part of BM_ksg1: the two marginal strict range counts alone (radii = joint k-th
// distances, computed once outside the timed loop), structure build included.
void BM_ksg1_marginal_counts_only(benchmark::State& state) {
  const auto& [x, y] = pairs(state.range(0), state.range(1));
  row_matrix<double> joint(x.rows(), 2 * x.cols());
  joint << x, y;
  const auto r = neighbors::knn_self(joint, 3, norm_kind::chebyshev);
  std::vector<double> radii(static_cast<std::size_t>(x.rows()));
  for (index_t i = 0; i < x.rows(); ++i) radii[static_cast<std::size_t>(i)] = r.kth_distance(i);
  for (auto _ : state) {
    const neighbors::range_counter cx(x, norm_kind::chebyshev);
    const neighbors::range_counter cy(y, norm_kind::chebyshev);
    auto nx = cx.count_others(radii, true);
    auto ny = cy.count_others(radii, true);
    benchmark::DoNotOptimize(nx.data());
    benchmark::DoNotOptimize(ny.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ksg1_marginal_counts_only)->Args({100000, 5})->Args({300000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

// KL entropy and its baseline, the raw k-NN loop on the same double matrix.
void BM_kl_entropy(benchmark::State& state) {
  const auto& x = pairs(state.range(0), state.range(1)).first;
  entropy::kl_options o;
  o.k = 3;
  for (auto _ : state) benchmark::DoNotOptimize(entropy::kozachenko_leonenko(x, o).value);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_raw_knn_loop(benchmark::State& state) {
  const auto& x = pairs(state.range(0), state.range(1)).first;
  for (auto _ : state) {
    auto r = neighbors::knn_self(x, 3, norm_kind::euclidean);
    benchmark::DoNotOptimize(r.distances.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_kl_entropy)->Args({100000, 3})->Args({20000, 8})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_raw_knn_loop)->Args({100000, 3})->Args({20000, 8})->Unit(benchmark::kMillisecond)->UseRealTime();

// Crossover: args (d, backend: 1 = kd-tree, 2 = brute force, norm: 0 = L2, 1 = max), n = 5000.
void BM_knn_backend(benchmark::State& state) {
  const index_t d = state.range(0);
  const auto b = state.range(1) == 1 ? neighbors::backend::kd_tree : neighbors::backend::brute_force;
  const auto norm = state.range(2) == 0 ? norm_kind::euclidean : norm_kind::chebyshev;
  const auto& x = pairs(5000, d).first;
  for (auto _ : state) {
    auto r = neighbors::knn_self(x, 5, norm, b);
    benchmark::DoNotOptimize(r.distances.data());
  }
  state.SetItemsProcessed(state.iterations() * 5000);
}
BENCHMARK(BM_knn_backend)
    ->ArgsProduct({{2, 4, 8, 16, 24, 32, 48, 64}, {1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The Euclidean brute-force backend (neighbors::detail::brute_l2_block) where choose_backend picks
// it: n <= 512 at any d, or d >= 12. Args (n, d), k = 3 (the estimators' default), self queries.
void BM_brute_l2(benchmark::State& state) {
  const index_t n = state.range(0);
  const auto& x = pairs(n, state.range(1)).first;
  for (auto _ : state) {
    auto r = neighbors::knn_self(x, 3, norm_kind::euclidean, neighbors::backend::brute_force);
    benchmark::DoNotOptimize(r.distances.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_brute_l2)
    ->Args({512, 4})
    ->Args({512, 16})
    ->Args({5000, 12})
    ->Args({5000, 128})
    ->Args({10000, 24})
    ->Args({2000, 512})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same search on data whose offset dwarfs its spread (1e6 +- 1e-3 per coordinate): the
// approximate distances are formed from centred coordinates, so the candidate bound stays at
// the spread's scale (without centring, 1500 x 64 took ~10 s: every reference stayed a candidate).
void BM_brute_l2_offset(benchmark::State& state) {
  const index_t n = state.range(0);
  const row_matrix<double> x = (pairs(n, state.range(1)).first.array() * 1e-3 + 1e6).matrix();
  for (auto _ : state) {
    auto r = neighbors::knn_self(x, 3, norm_kind::euclidean, neighbors::backend::brute_force);
    benchmark::DoNotOptimize(r.distances.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_brute_l2_offset)->Args({1500, 64})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
