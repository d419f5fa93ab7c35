// Benchmarks for entropy/kde.hpp and entropy/noisy_mixture.hpp, each with its baseline in this
// binary so that the figure is a ratio (docs/performance_kde_noisy.md):
//   KDE LOO entropy, N = 20,000, D = 4, one bandwidth: blocked + OpenMP vs a naive double loop.
//   Noisy-mixture h(Z), N = 5,000 centres, 10 draws each, D = 128: samples/s, blocked + OpenMP
//   vs a naive per-sample loop over all centres.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "infogeo/core.hpp"
#include "infogeo/entropy/kde.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"

using namespace infogeo;

namespace {

row_matrix<double> gaussian_sample(index_t n, index_t d, std::uint64_t seed) {
  random_engine rng(seed);
  row_matrix<double> x(n, d);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) x(i, j) = rng.normal();
  return x;
}

constexpr index_t kKdeN = 20000;
constexpr index_t kKdeD = 4;
constexpr double kBandwidth = 0.3;

// Naive LOO KDE entropy: for every point, a plain loop over all others with std::exp
// (the max-shift is needed for correctness at small b, so the baseline does it too: 2 passes).
double naive_kde(const row_matrix<double>& x, double b) {
  const index_t n = x.rows(), d = x.cols();
  const double s = 0.5 / (b * b);
  double h = 0.0;
  for (index_t i = 0; i < n; ++i) {
    double dmin = INFINITY;
    for (index_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double d2 = 0.0;
      for (index_t t = 0; t < d; ++t) d2 += (x(i, t) - x(j, t)) * (x(i, t) - x(j, t));
      dmin = std::min(dmin, d2);
    }
    double sum = 0.0;
    for (index_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double d2 = 0.0;
      for (index_t t = 0; t < d; ++t) d2 += (x(i, t) - x(j, t)) * (x(i, t) - x(j, t));
      sum += std::exp(-s * (d2 - dmin));
    }
    h -= -s * dmin + std::log(sum) - std::log(static_cast<double>(n - 1)) -
         0.5 * static_cast<double>(d) * std::log(2.0 * pi * b * b);
  }
  return h / static_cast<double>(n);
}

void BM_kde_naive(benchmark::State& state) {
  const auto x = gaussian_sample(kKdeN, kKdeD, 1);
  for (auto _ : state) benchmark::DoNotOptimize(naive_kde(x, kBandwidth));
  state.SetItemsProcessed(state.iterations() * kKdeN * (kKdeN - 1));  // kernel pairs
}

void kde_blocked(benchmark::State& state, int threads) {
  const auto x = gaussian_sample(kKdeN, kKdeD, 1);
  entropy::kde_options o;
  o.whiten = false;  // same work as the baseline (whitening is O(N D^2))
  o.bandwidth = entropy::kde_bandwidth::fixed;
  o.fixed_bandwidth = kBandwidth;
#ifdef _OPENMP
  const int before = omp_get_max_threads();
  if (threads > 0) omp_set_num_threads(threads);
  state.counters["threads"] = omp_get_max_threads();
#else
  (void)threads;
  state.counters["threads"] = 1;
#endif
  for (auto _ : state) benchmark::DoNotOptimize(entropy::kde_entropy(x, o).value);
#ifdef _OPENMP
  omp_set_num_threads(before);
#endif
  state.SetItemsProcessed(state.iterations() * kKdeN * (kKdeN - 1));
}
void BM_kde_blocked_1thread(benchmark::State& state) { kde_blocked(state, 1); }
void BM_kde_blocked_all_threads(benchmark::State& state) { kde_blocked(state, 0); }

// Full entropy with the ML bandwidth search (whitened), for the cost of a search.
void BM_kde_ml_search(benchmark::State& state) {
  const auto x = gaussian_sample(kKdeN, kKdeD, 1);
  entropy::kde_options o;
  o.bandwidth = entropy::kde_bandwidth::ml;
  o.cross_check.enabled = false;  // the search's cost, not the references'
  double evals = 0.0;
  for (auto _ : state) {
    const auto e = entropy::kde_entropy(x, o);
    evals = e.details.at("search_evaluations");
  }
  state.counters["evaluations"] = evals;
}

constexpr index_t kMixN = 5000;
constexpr index_t kMixD = 128;
constexpr index_t kDraws = 10;

row_matrix<double> relu_like(index_t n, index_t d, std::uint64_t seed) {
  auto f = gaussian_sample(n, d, seed);
  return f.array().abs() + 0.1;  // positive, no exact zeros (dropout needs |f| > 0)
}

void BM_noisy_mixture(benchmark::State& state) {
  const auto f = relu_like(kMixN, kMixD, 2);
  entropy::noisy_options o;
  o.noise = state.range(0) == 0 ? entropy::noise_kind::additive : entropy::noise_kind::dropout;
  o.sigma = 0.5;
  o.draws = kDraws;
  for (auto _ : state) benchmark::DoNotOptimize(entropy::noisy_entropy(f, o).value);
  state.SetItemsProcessed(state.iterations() * kMixN * kDraws);  // Monte-Carlo samples
  state.counters["pairs_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kMixN * kDraws * kMixN, benchmark::Counter::kIsRate);
}

// Naive: per sample, a plain loop over all centres with std::exp-based log-sum-exp (two passes),
// single thread. Run on the draws of the first 100 centres (1,000 samples) against all 5,000
// centres; samples/s is directly comparable with BM_noisy_mixture.
void BM_noisy_naive(benchmark::State& state) {
  const auto f = relu_like(kMixN, kMixD, 2);
  const double sigma = 0.5;
  const bool dropout = state.range(0) == 1;
  const index_t centres_drawn = 100;
  for (auto _ : state) {
    random_engine rng(7);
    double acc = 0.0;
    std::vector<double> z(kMixD), logs(kMixN);
    for (index_t j = 0; j < centres_drawn; ++j)
      for (index_t k = 0; k < kDraws; ++k) {
        for (index_t i = 0; i < kMixD; ++i)
          z[static_cast<std::size_t>(i)] = dropout ? f(j, i) * (1.0 + sigma * rng.normal()) : f(j, i) + sigma * rng.normal();
        double mx = -INFINITY;
        for (index_t l = 0; l < kMixN; ++l) {
          double q = 0.0;
          for (index_t i = 0; i < kMixD; ++i) {
            const double sd = dropout ? sigma * std::abs(f(l, i)) : sigma;
            const double u = (z[static_cast<std::size_t>(i)] - f(l, i)) / sd;
            q += -0.5 * u * u - std::log(sd) - 0.5 * std::log(2.0 * pi);
          }
          logs[static_cast<std::size_t>(l)] = q;
          mx = std::max(mx, q);
        }
        double s = 0.0;
        for (double v : logs) s += std::exp(v - mx);
        acc -= mx + std::log(s) - std::log(static_cast<double>(kMixN));
      }
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * centres_drawn * kDraws);
}

}  // namespace

BENCHMARK(BM_kde_naive)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_kde_blocked_1thread)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_kde_blocked_all_threads)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();
BENCHMARK(BM_kde_ml_search)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_noisy_naive)->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_noisy_mixture)->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

BENCHMARK_MAIN();
