// Benchmarks of geometry/ with their baselines in the same binary:
//  * streaming update throughput (projected pass 1, pass 2, full mode) vs a plain streaming sum over
//    the same float array (memory-bandwidth baseline): report the ratio of items (floats) per second;
//  * the exact NC trace at N = 50k, D = 512, C = 100 (full and projected) vs a naive "store all, D x D
//    scatters, SVD pseudoinverse" Eigen implementation;
//  * peak RSS of a streamed run: `bench_geometry --rss=projected|full|none [D] [N]` (a separate process
//    per mode; prints one line and exits without running the benchmarks).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <Eigen/Dense>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"

using namespace infogeo;
using namespace infogeo::geometry;

namespace {

struct data {
  row_matrix<float> x;
  std::vector<std::int64_t> y;
};

// Gaussian classes with means ~ N(0, I), unit noise; balanced labels in random order. Seed 2024.
const data& dataset(index_t n, index_t d, std::int64_t c) {
  static std::vector<std::pair<std::vector<index_t>, data>> cache;
  for (auto& e : cache)
    if (e.first == std::vector<index_t>{n, d, static_cast<index_t>(c)}) return e.second;
  random_engine rng(2024);
  row_matrix<float> mu(c, d);
  for (index_t i = 0; i < mu.size(); ++i) mu.data()[i] = static_cast<float>(rng.normal());
  data out;
  out.x.resize(n, d);
  for (index_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::int64_t>(rng.uniform_index(static_cast<std::uint64_t>(c)));
    out.y.push_back(k);
    for (index_t j = 0; j < d; ++j) out.x(i, j) = mu(k, j) + static_cast<float>(rng.normal());
  }
  cache.emplace_back(std::vector<index_t>{n, d, static_cast<index_t>(c)}, std::move(out));
  return cache.back().second;
}

constexpr index_t stream_n = 65536;  // 65536 x 256 floats = 64 MiB: larger than the caches
constexpr index_t batch = 1024;

// Baseline: a plain streaming sum over the same float array, column sums in double (what any update
// must at least do: read every float once).
void BM_baseline_streaming_sum(benchmark::State& state) {
  const index_t d = state.range(0);
  const data& ds = dataset(stream_n, d, state.range(1));
  Eigen::RowVectorXd acc = Eigen::RowVectorXd::Zero(d);
  for (auto _ : state) {
    for (index_t i = 0; i < ds.x.rows(); ++i) acc += ds.x.row(i).cast<double>();
    benchmark::DoNotOptimize(acc.data());
  }
  state.SetItemsProcessed(state.iterations() * ds.x.size());
  state.SetBytesProcessed(state.iterations() * ds.x.size() * static_cast<std::int64_t>(sizeof(float)));
}

void feed(class_scatter_accumulator& acc, const data& ds) {
  for (index_t s = 0; s < ds.x.rows(); s += batch) {
    const index_t len = std::min(batch, ds.x.rows() - s);
    const std::vector<std::int64_t> yb(ds.y.begin() + s, ds.y.begin() + s + len);
    acc.update(ds.x.middleRows(s, len), yb);
  }
}

void BM_projected_pass1_update(benchmark::State& state) {
  const index_t d = state.range(0);
  const std::int64_t c = state.range(1);
  const data& ds = dataset(stream_n, d, c);
  class_scatter_options o;
  o.mode = scatter_mode::projected;
  for (auto _ : state) {
    class_scatter_accumulator acc(c, d, o);
    feed(acc, ds);
    benchmark::DoNotOptimize(acc.class_means().data());
  }
  state.SetItemsProcessed(state.iterations() * ds.x.size());
  state.SetBytesProcessed(state.iterations() * ds.x.size() * static_cast<std::int64_t>(sizeof(float)));
}

void BM_projected_pass2_update(benchmark::State& state) {
  const index_t d = state.range(0);
  const std::int64_t c = state.range(1);
  const data& ds = dataset(stream_n, d, c);
  class_scatter_options o;
  o.mode = scatter_mode::projected;
  class_scatter_accumulator first(c, d, o);
  feed(first, ds);
  first.begin_second_pass();
  for (auto _ : state) {
    class_scatter_accumulator acc = first;
    feed(acc, ds);
    benchmark::DoNotOptimize(acc.class_means().data());
  }
  state.SetItemsProcessed(state.iterations() * ds.x.size());
}

void BM_full_update(benchmark::State& state) {
  const index_t d = state.range(0);
  const std::int64_t c = state.range(1);
  const data& ds = dataset(stream_n, d, c);
  for (auto _ : state) {
    class_scatter_accumulator acc(c, d);
    feed(acc, ds);
    benchmark::DoNotOptimize(acc.class_means().data());
  }
  state.SetItemsProcessed(state.iterations() * ds.x.size());
}

constexpr index_t trace_n = 50000, trace_d = 512;
constexpr std::int64_t trace_c = 100;

void BM_nc_trace_full(benchmark::State& state) {
  const data& ds = dataset(trace_n, trace_d, trace_c);
  for (auto _ : state) {
    class_scatter_accumulator acc(trace_c, trace_d);
    feed(acc, ds);
    const double t = within_between_trace(acc.finalize()).trace;
    benchmark::DoNotOptimize(t);
    state.counters["trace"] = t;
  }
}

void BM_nc_trace_projected(benchmark::State& state) {
  const data& ds = dataset(trace_n, trace_d, trace_c);
  class_scatter_options o;
  o.mode = scatter_mode::projected;
  for (auto _ : state) {
    class_scatter_accumulator acc(trace_c, trace_d, o);
    feed(acc, ds);
    acc.begin_second_pass();
    feed(acc, ds);
    const double t = within_between_trace(acc.finalize()).trace;
    benchmark::DoNotOptimize(t);
    state.counters["trace"] = t;
  }
}

// Naive baseline: keep all samples (double copy), per-class means, Sigma_W = R^T R / N and Sigma_B as
// D x D matrices, Sigma_B^+ by BDCSVD with the D * eps * s_max cutoff, trace(Sigma_W Sigma_B^+).
void BM_nc_trace_naive_dense_pinv(benchmark::State& state) {
  const data& ds = dataset(trace_n, trace_d, trace_c);
  for (auto _ : state) {
    const Eigen::MatrixXd x = ds.x.cast<double>();
    Eigen::MatrixXd means = Eigen::MatrixXd::Zero(trace_c, trace_d);
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(trace_c);
    for (index_t i = 0; i < trace_n; ++i) {
      means.row(ds.y[static_cast<std::size_t>(i)]) += x.row(i);
      counts(ds.y[static_cast<std::size_t>(i)]) += 1.0;
    }
    means = counts.cwiseInverse().asDiagonal() * means;
    const Eigen::RowVectorXd mu = (counts.transpose() * means) / static_cast<double>(trace_n);
    Eigen::MatrixXd r = x;
    for (index_t i = 0; i < trace_n; ++i) r.row(i) -= means.row(ds.y[static_cast<std::size_t>(i)]);
    const Eigen::MatrixXd sw = r.transpose() * r / static_cast<double>(trace_n);
    Eigen::MatrixXd sb = Eigen::MatrixXd::Zero(trace_d, trace_d);
    for (index_t k = 0; k < trace_c; ++k) {
      const Eigen::RowVectorXd dlt = means.row(k) - mu;
      sb += (counts(k) / static_cast<double>(trace_n)) * dlt.transpose() * dlt;
    }
    Eigen::BDCSVD<Eigen::MatrixXd> svd(sb, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXd s = svd.singularValues();
    const double cut = static_cast<double>(trace_d) * std::numeric_limits<double>::epsilon() * s(0);
    Eigen::VectorXd inv = Eigen::VectorXd::Zero(s.size());
    for (index_t k = 0; k < s.size(); ++k)
      if (s(k) > cut) inv(k) = 1.0 / s(k);
    const Eigen::MatrixXd pinv = svd.matrixV() * inv.asDiagonal() * svd.matrixU().transpose();
    const double t = (sw * pinv).trace();
    benchmark::DoNotOptimize(t);
    state.counters["trace"] = t;
  }
}

BENCHMARK(BM_baseline_streaming_sum)->Args({256, 100})->Args({512, 100})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_projected_pass1_update)->Args({256, 100})->Args({512, 100})->Args({256, 10})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_projected_pass2_update)->Args({256, 100})->Args({256, 10})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_full_update)->Args({256, 100})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_nc_trace_full)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_nc_trace_projected)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_nc_trace_naive_dense_pinv)->Iterations(1)->Unit(benchmark::kMillisecond);

// Peak RSS of one streamed run: batches are generated on the fly (seeded per batch, regenerated
// identically in pass 2), so nothing but the accumulator holds O(N) or O(D^2) memory.
int rss_run(const std::string& mode, index_t d, index_t n) {
  const std::int64_t c = 100;
  const index_t b = 256;
  random_engine mrng(7);
  row_matrix<float> mu(c, d);
  for (index_t i = 0; i < mu.size(); ++i) mu.data()[i] = static_cast<float>(mrng.normal());
  row_matrix<float> xb(b, d);
  std::vector<std::int64_t> yb(static_cast<std::size_t>(b));
  auto make_batch = [&](index_t k) {
    random_engine rng = random_engine(11).split(static_cast<std::uint64_t>(k));
    for (index_t i = 0; i < b; ++i) {
      yb[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(rng.uniform_index(static_cast<std::uint64_t>(c)));
      for (index_t j = 0; j < d; ++j)
        xb(i, j) = mu(yb[static_cast<std::size_t>(i)], j) + static_cast<float>(rng.normal());
    }
  };
  double trace = 0.0;
  if (mode != "none") {
    class_scatter_options o;
    o.mode = mode == "full" ? scatter_mode::full : scatter_mode::projected;
    class_scatter_accumulator acc(c, d, o);
    for (index_t k = 0; k < n / b; ++k) {
      make_batch(k);
      acc.update(xb, yb);
    }
    if (acc.needs_second_pass()) {
      acc.begin_second_pass();
      for (index_t k = 0; k < n / b; ++k) {
        make_batch(k);
        acc.update(xb, yb);
      }
    }
    trace = within_between_trace(acc.finalize()).trace;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("mode=%s D=%ld N=%ld C=%ld peak_rss_kib=%ld trace=%.6g\n", mode.c_str(), static_cast<long>(d),
              static_cast<long>(n), static_cast<long>(c), static_cast<long>(ru.ru_maxrss), trace);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strncmp(argv[1], "--rss=", 6) == 0) {
    const index_t d = argc >= 3 ? std::stol(argv[2]) : 2048;
    const index_t n = argc >= 4 ? std::stol(argv[3]) : 8192;
    return rss_run(argv[1] + 6, d, n);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
