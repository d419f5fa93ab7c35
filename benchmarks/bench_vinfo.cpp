// V-information speed (issue 15):
//   BM_linear_fit       the linear softmax decoder on N = 30,000, D = 256, C = 10 (one fit, solved
//                       to the default gradient tolerance 1e-6), with l2 = 1 / N_train matched to
//                       scikit-learn's LogisticRegression(C=1); counters: iterations, held-out CE.
//                       The outside baseline is benchmarks/vinfo_sklearn_reference.py on the same
//                       matrices: run it first, then point INFOGEO_VINFO_DATA at its directory
//                       (without it, the same distribution is drawn here with infogeo's RNG).
//   BM_linear_fit_unpreconditioned  the same fit without the preconditioner (identity H0), the
//                       in-binary baseline of the preconditioning, capped at 500 iterations.
//   BM_minimality       thesis workload: C = 10, N = 10,000, D = 256 (30 digit fits of 1,000 rows),
//                       with and without warm starts (arg 1 / 0).
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/io/npy.hpp"
#include "infogeo/vinfo.hpp"

namespace {

using infogeo::index_t;
using infogeo::random_engine;
using infogeo::row_matrix;
namespace vinfo = infogeo::vinfo;

struct data_set {
  row_matrix<double> x_train, x_test;
  std::vector<std::int64_t> y_train, y_test;
  std::string source;
};

/// The reference script's distribution: 10 Gaussian classes in 256-D, shared covariance with
/// singular values 3 .. 0.03 (random rotation), class means 0.1 * mix * N(0, I), offset 2.
data_set synthesize(index_t n_train, index_t n_test, index_t d, int c, std::uint64_t seed) {
  random_engine rng(seed);
  Eigen::MatrixXd g(d, d);
  for (index_t i = 0; i < g.size(); ++i) g.data()[i] = rng.normal();
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
  Eigen::VectorXd sv(d);
  for (index_t j = 0; j < d; ++j) sv(j) = 3.0 * std::pow(0.01, static_cast<double>(j) / static_cast<double>(d - 1));
  const Eigen::MatrixXd mix = q * sv.asDiagonal();
  Eigen::MatrixXd z0(c, d);
  for (index_t i = 0; i < z0.size(); ++i) z0.data()[i] = rng.normal();
  const Eigen::MatrixXd means = 0.1 * z0 * mix.transpose();
  auto draw = [&](index_t n, row_matrix<double>& x, std::vector<std::int64_t>& y) {
    Eigen::MatrixXd z(n, d);
    for (index_t i = 0; i < z.size(); ++i) z.data()[i] = rng.normal();
    x = z * mix.transpose();
    y.resize(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) {
      const auto k = static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(c)));
      y[static_cast<std::size_t>(i)] = k;
      x.row(i) += means.row(k);
      x.row(i).array() += 2.0;
    }
  };
  data_set s;
  draw(n_train, s.x_train, s.y_train);
  draw(n_test, s.x_test, s.y_test);
  s.source = "synthesized";
  return s;
}

row_matrix<double> load_matrix(const std::string& path) {
  const auto a = infogeo::io::load_npy_matrix(path);
  row_matrix<double> m(static_cast<index_t>(a.shape()[0]), static_cast<index_t>(a.shape()[1]));
  std::copy(a.data(), a.data() + m.size(), m.data());
  return m;
}

const data_set& benchmark_data() {
  static const data_set s = [] {
    if (const char* dir = std::getenv("INFOGEO_VINFO_DATA")) {
      const std::string base(dir);
      data_set d;
      d.x_train = load_matrix(base + "/x_train.npy");
      d.x_test = load_matrix(base + "/x_test.npy");
      d.y_train = infogeo::io::load_npy_labels(base + "/y_train.npy");
      d.y_test = infogeo::io::load_npy_labels(base + "/y_test.npy");
      d.source = base;
      return d;
    }
    return synthesize(30000, 10000, 256, 10, 2024);
  }();
  return s;
}

void run_linear_fit(benchmark::State& state, bool preconditioned) {
  const data_set& s = benchmark_data();
  vinfo::linear_softmax_options o;
  o.l2 = 1.0 / static_cast<double>(s.x_train.rows());  // sklearn C = 1
  // The unpreconditioned baseline is capped at 500 iterations (it needs thousands on these
  // features, like scikit-learn's lbfgs); its counters say how far it got.
  o.max_iterations = preconditioned ? 10000 : 500;
  o.precondition = preconditioned;
  vinfo::linear_softmax_decoder fitted;
  for (auto _ : state) {
    fitted = vinfo::linear_softmax_family(o).fit(vinfo::view_of(s.x_train), s.y_train, 10);
    benchmark::DoNotOptimize(fitted.coefficients().data());
  }
  state.counters["iterations"] = static_cast<double>(fitted.report().iterations);
  state.counters["evaluations"] = static_cast<double>(fitted.report().evaluations);
  state.counters["converged"] = fitted.report().converged ? 1.0 : 0.0;
  state.counters["heldout_ce"] = vinfo::mean_cross_entropy(fitted, vinfo::view_of(s.x_test), s.y_test);
  state.counters["train_ce"] = fitted.report().train_cross_entropy;
  state.counters["gradient_max"] = fitted.report().gradient_norm;
  state.SetLabel(s.source + " " + fitted.report().stop_reason);
}

void BM_linear_fit(benchmark::State& state) { run_linear_fit(state, true); }
void BM_linear_fit_unpreconditioned(benchmark::State& state) { run_linear_fit(state, false); }

void BM_minimality(benchmark::State& state) {
  // Balanced classes of exactly 1,000 (the thesis's downsampled sets): N_D = 3 digits, 30 fits.
  static const data_set s = [] {
    data_set d = synthesize(10000, 2, 256, 10, 7);
    for (std::size_t i = 0; i < d.y_train.size(); ++i) d.y_train[i] = static_cast<std::int64_t>(i % 10);
    return d;
  }();
  vinfo::minimality_options mo;
  mo.warm_start = state.range(0) != 0;
  vinfo::minimality_result r;
  for (auto _ : state) {
    r = vinfo::minimality(vinfo::view_of(s.x_train), s.y_train, vinfo::linear_softmax_family(), mo);
    // Not DoNotOptimize(r.value): Google Benchmark 1.7.1's "+m,r" constraint lets GCC pass a
    // double through a general register and write garbage back (seen here: 6.9e-310).
    benchmark::ClobberMemory();
  }
  std::int64_t iterations = 0;
  for (const auto& cell : r.cells) iterations += cell.fit.iterations;
  state.counters["minimality_nats"] = r.value;
  state.counters["fits"] = static_cast<double>(r.cells.size());
  state.counters["lbfgs_iterations"] = static_cast<double>(iterations);
  state.counters["ok"] = r.ok() ? 1.0 : 0.0;
  std::fprintf(stderr, "minimality (warm start %d): %.6f nats over %zu cells, %lld L-BFGS iterations\n",
               static_cast<int>(mo.warm_start), r.value, r.cells.size(), static_cast<long long>(iterations));
}

}  // namespace

BENCHMARK(BM_linear_fit)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_linear_fit_unpreconditioned)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_minimality)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

BENCHMARK_MAIN();
