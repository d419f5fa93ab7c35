// Tests of infogeo/torch/knn.hpp and infogeo/torch/knn_estimators.hpp: exact tiled k-NN distances
// and range counts on device tensors against the CPU searchers and a brute-force loop, and the KL /
// KSG device estimators against the CPU estimators (1e-9 relative). Tensors live on CUDA when it is
// available (GPU machine), else on the CPU (CI).
#include "infogeo/torch/knn_estimators.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/mi/mixed_ksg.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/regime.hpp"
#include "infogeo/stats/gaussian_shape.hpp"

using namespace infogeo;

namespace {

c10::Device test_device() {
  return at::hasCUDA() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
}

row_matrix<double> to_host(const at::Tensor& t) {
  const at::Tensor h = t.to(at::kCPU, at::kDouble).contiguous();
  row_matrix<double> m(h.size(0), h.size(1));
  std::memcpy(m.data(), h.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(m.size()));
  return m;
}

/// Gaussian rows with correlated columns (seeded through ATen's CPU generator), moved to `device`.
at::Tensor gaussian(std::int64_t n, std::int64_t d, std::uint64_t seed, c10::Device device, double offset = 0.0) {
  at::manual_seed(seed);
  const at::Tensor z = at::randn({n, d}, at::kDouble);
  const at::Tensor mix = at::eye(d, at::kDouble) + 0.3 * at::randn({d, d}, at::kDouble);
  return (z.matmul(mix) + offset).to(device);
}

/// Distinct points of the integer lattice {0..9}^d scaled by 0.5: many exactly tied distances.
at::Tensor lattice(std::int64_t n, std::int64_t d, std::uint64_t seed, c10::Device device) {
  at::manual_seed(seed);
  std::int64_t cells = 1;
  for (std::int64_t c = 0; c < d; ++c) cells *= 10;
  const at::Tensor code = at::randperm(cells, at::kLong).slice(0, 0, n);
  std::vector<at::Tensor> cols;
  at::Tensor rest = code;
  for (std::int64_t c = 0; c < d; ++c) {
    cols.push_back(rest.remainder(10).to(at::kDouble).unsqueeze(1) * 0.5);
    rest = rest.div(10, "floor");
  }
  return at::cat(cols, 1).to(device);
}

double rel_diff(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::max(std::abs(a), std::abs(b))); }

/// Device k-NN distances vs the CPU searcher: max norm bit-identical, L2 to 1e-14 relative (the
/// same formula summed in another order: a few ulps).
void check_knn_equal(const at::Tensor& x, std::int64_t k, norm_kind norm, const libtorch::device_knn_options& opt) {
  const auto dev = libtorch::knn_self_device(x, k, norm, opt);
  const auto cpu = neighbors::knn_self(to_host(x), k, norm, neighbors::backend::brute_force);
  const at::Tensor dist = dev.distances.to(at::kCPU).contiguous();
  const double* p = dist.data_ptr<double>();
  double worst = 0.0;
  for (index_t i = 0; i < cpu.n; ++i)
    for (index_t j = 0; j < k; ++j) worst = std::max(worst, rel_diff(p[i * k + j], cpu.distance(i, j)));
  CAPTURE(worst);
  if (norm == norm_kind::chebyshev) CHECK(worst == 0.0);
  else CHECK(worst < 1e-14);
  CHECK(dev.certified_float + dev.certified_double + dev.exhaustive + dev.fused == x.size(0));
}

/// Strict / non-strict counts by an obviously correct O(n^2) loop on the host (double).
std::vector<std::int64_t> brute_counts(const row_matrix<double>& m, const std::vector<double>& r, bool strict,
                                       norm_kind norm) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(m.rows()), 0);
  for (index_t i = 0; i < m.rows(); ++i)
    for (index_t j = 0; j < m.rows(); ++j) {
      if (i == j) continue;
      double acc = 0.0;
      for (index_t c = 0; c < m.cols(); ++c) {
        const double t = std::abs(m(i, c) - m(j, c));
        acc = norm == norm_kind::chebyshev ? std::max(acc, t) : acc + t * t;
      }
      const double dist = norm == norm_kind::chebyshev ? acc : std::sqrt(acc);
      const double ri = r[static_cast<std::size_t>(i)];
      out[static_cast<std::size_t>(i)] += strict ? dist < ri : dist <= ri;
    }
  return out;
}

}  // namespace

TEST_CASE("knn_self_device equals the CPU brute force (L2 and max norm, every selection path)") {
  const auto device = test_device();
  const at::Tensor x = gaussian(1500, 7, 11, device);
  libtorch::device_knn_options tiny;  // tiles far smaller than n: exercises the merges across tiles
  tiny.query_tile = 97;
  tiny.tile_elements = 97 * 211;
  libtorch::device_knn_options no_float;  // double selection only
  no_float.float_pass = false;
  libtorch::device_knn_options no_extra;  // no spare candidates: ties at the k-th force the fallbacks
  no_extra.extra_candidates = 0;
  for (auto norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    CAPTURE(static_cast<int>(norm));
    check_knn_equal(x, 5, norm, {});
    check_knn_equal(x, 5, norm, tiny);
    check_knn_equal(x, 1, norm, no_float);
    check_knn_equal(x, 3, norm, no_extra);
    check_knn_equal(x.to(at::kFloat), 4, norm, {});  // float input: the CPU sees the same float values
  }
  // Data far from the origin (offset 1e4, spread 1): centring keeps the float pass certifiable.
  check_knn_equal(gaussian(800, 3, 12, device, 1e4), 3, norm_kind::euclidean, {});
  check_knn_equal(gaussian(800, 3, 12, device, 1e4), 3, norm_kind::chebyshev, {});
}

TEST_CASE("knn_self_device on a lattice (exact ties) falls back to the exhaustive search and stays exact") {
  const auto device = test_device();
  const at::Tensor x = lattice(600, 3, 5, device);
  for (auto norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    libtorch::device_knn_options opt;
    opt.extra_candidates = 0;
    opt.fused_maxnorm = false;  // the tiled path's certification (the fused kernel has no fallback)
    const auto r = libtorch::knn_self_device(x, 4, norm, opt);
    CHECK(r.exhaustive > 0);  // lattice distances tie: the certification must refuse those queries
    check_knn_equal(x, 4, norm, opt);
  }
  // Home ground: continuous data with the default options decide every query in float32.
  const auto r = libtorch::knn_self_device(gaussian(1000, 4, 3, device), 3, norm_kind::euclidean);
  CHECK(r.certified_float == 1000);
}

TEST_CASE("count_within_device equals a brute-force loop, strict and not, at radii that hit points exactly") {
  const auto device = test_device();
  for (auto norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    for (const at::Tensor& x : {gaussian(700, 4, 21, device), lattice(500, 2, 22, device)}) {
      // Radii equal to exact neighbour distances: every boundary pair sits exactly on the sphere.
      const auto knn = libtorch::knn_self_device(x, 3, norm);
      const at::Tensor radius = knn.distances.select(1, 2).contiguous();
      const at::Tensor rh = radius.to(at::kCPU).contiguous();
      const std::vector<double> r(rh.data_ptr<double>(), rh.data_ptr<double>() + rh.numel());
      for (bool strict : {true, false}) {
        CAPTURE(strict);
        libtorch::device_knn_options tiny;
        tiny.query_tile = 64;
        tiny.tile_elements = 64 * 150;
        tiny.fused_maxnorm = false;
        for (const auto& opt : {libtorch::device_knn_options{}, tiny}) {
          const auto dev = libtorch::count_within_device(x, radius, strict, norm, opt);
          const at::Tensor c = dev.counts.to(at::kCPU).contiguous();
          const std::vector<std::int64_t> got(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
          CHECK(got == brute_counts(to_host(x), r, strict, norm));
          // The tiled path decided the boundary pairs in exact double; the fused kernel has no band.
          CHECK((dev.fused || dev.rechecked_pairs > 0));
          CHECK(dev.fused == (opt.fused_maxnorm && norm == norm_kind::chebyshev && x.is_cuda() &&
                              libtorch::fused_maxnorm_compiled()));
        }
      }
    }
  }
}

TEST_CASE("the fused max-norm kernel equals the tiled path bit for bit, ties included (CUDA builds)") {
  const auto device = test_device();
  libtorch::device_knn_options tiled;
  tiled.fused_maxnorm = false;
  for (const at::Tensor& x : {gaussian(2000, 10, 31, device), lattice(900, 3, 32, device),
                              gaussian(300, 32, 33, device).to(at::kFloat)}) {
    for (std::int64_t k : {1, 3, 20}) {
      CAPTURE(x.size(1));
      CAPTURE(k);
      const auto a = libtorch::knn_self_device(x, k, norm_kind::chebyshev);
      const auto b = libtorch::knn_self_device(x, k, norm_kind::chebyshev, tiled);
      const bool fused = x.is_cuda() && libtorch::fused_maxnorm_compiled();
      CHECK(a.fused == (fused ? x.size(0) : 0));
      CHECK(b.fused == 0);
      CHECK(at::equal(a.distances, b.distances));  // bit-identical doubles
      // Tied neighbours may be listed in another order; each index must be another row at exactly
      // the reported distance, and distinct within its row.
      const at::Tensor xd = x.to(at::kDouble);
      const at::Tensor dist = (xd.index_select(0, a.indices.reshape({-1})).view({x.size(0), k, x.size(1)}) -
                               xd.unsqueeze(1)).abs().amax(2);
      CHECK(at::equal(dist, a.distances));
      const at::Tensor self = at::arange(x.size(0), a.indices.options()).unsqueeze(1);
      CHECK(!(a.indices == self).any().item<bool>());
      const at::Tensor sorted_idx = std::get<0>(a.indices.sort(1));
      CHECK(!(sorted_idx.slice(1, 1) == sorted_idx.slice(1, 0, k - 1)).any().item<bool>());
      const at::Tensor radius = a.distances.select(1, k - 1).contiguous();
      for (bool strict : {true, false}) {
        const auto ca = libtorch::count_within_device(x, radius, strict, norm_kind::chebyshev);
        const auto cb = libtorch::count_within_device(x, radius, strict, norm_kind::chebyshev, tiled);
        CHECK(ca.fused == fused);
        CHECK(at::equal(ca.counts, cb.counts));
      }
    }
  }
  // Outside the kernel's limits (d > 32, k > 32) the tiled path answers.
  const at::Tensor wide = gaussian(200, 33, 34, device);
  CHECK(libtorch::knn_self_device(wide, 3, norm_kind::chebyshev).fused == 0);
  CHECK(libtorch::knn_self_device(gaussian(200, 4, 35, device), 33, norm_kind::chebyshev).fused == 0);
  CHECK(!libtorch::count_within_device(wide, at::ones({200}, wide.options()), true, norm_kind::chebyshev).fused);
}

TEST_CASE("the fused L2 re-check kernel equals the ATen re-check bit for bit, ties included (CUDA builds)") {
  const auto device = test_device();
  libtorch::device_knn_options aten;
  aten.fused_l2_recheck = false;
  // Wide float32 rows (the per-epoch case), offset rows (large norms) and lattice rows (exact ties:
  // boundary bands and exhaustive searches). Smaller on the CPU, where both sides take the ATen path.
  const std::int64_t n = device.is_cuda() ? 1500 : 300;
  for (const at::Tensor& x : {gaussian(n, 512, 41, device).to(at::kFloat), gaussian(n, 6, 42, device, 1e4),
                              lattice(n, 3, 43, device)}) {
    for (std::int64_t k : {1, 3, 12}) {
      CAPTURE(x.size(1));
      CAPTURE(k);
      const auto a = libtorch::knn_self_device(x, k, norm_kind::euclidean);
      const auto b = libtorch::knn_self_device(x, k, norm_kind::euclidean, aten);
      const bool fused = x.is_cuda() && libtorch::nvrtc_kernels_compiled();
      CHECK(a.fused_l2_recheck == fused);
      CHECK(!b.fused_l2_recheck);
      CHECK(a.certified_float == b.certified_float);
      CHECK(a.exhaustive == b.exhaustive);
      CHECK(at::equal(a.distances, b.distances));  // bit-identical doubles
      const at::Tensor radius = a.distances.select(1, k - 1).contiguous();
      for (bool strict : {true, false}) {
        const auto ca = libtorch::count_within_device(x, radius, strict, norm_kind::euclidean);
        const auto cb = libtorch::count_within_device(x, radius, strict, norm_kind::euclidean, aten);
        CHECK(ca.fused_l2_recheck == fused);
        CHECK(ca.rechecked_pairs == cb.rechecked_pairs);
        CHECK(at::equal(ca.counts, cb.counts));
      }
    }
  }
  // The max norm never takes the L2 kernel.
  CHECK(!libtorch::knn_self_device(gaussian(300, 40, 44, device), 3, norm_kind::chebyshev).fused_l2_recheck);
}

TEST_CASE("Kozachenko-Leonenko on device tensors equals the CPU estimator to 1e-9 relative") {
  const auto device = test_device();
  // 1e-9: both sides use exact neighbour distances; they differ by summation order (~1e-15).
  for (auto norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    for (std::int64_t d : {1, 3, 24}) {
      const at::Tensor x = gaussian(1200, d, 30 + static_cast<std::uint64_t>(d), device);
      entropy::kl_options opt;
      opt.k = 4;
      opt.norm = norm;
      const auto dev = libtorch::kozachenko_leonenko_device(x, opt);
      const auto cpu = entropy::kozachenko_leonenko(to_host(x), opt);
      CAPTURE(d);
      CHECK(rel_diff(dev.value, cpu.value) < 1e-9);
      CHECK(dev.n == cpu.n);
      CHECK(dev.dims == cpu.dims);
      CHECK(dev.method == cpu.method);
      CHECK(dev.settings.at("norm") == cpu.settings.at("norm"));
      CHECK(dev.status == cpu.status);
    }
  }
}

TEST_CASE("KSG-1 and KSG-2 on device tensors equal the CPU estimator to 1e-9 relative") {
  const auto device = test_device();
  // Correlated Gaussian pair (I = -0.5 log(1 - rho^2) per pair of columns), float and double.
  for (auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor z = gaussian(1500, 4, 41, device);
    const at::Tensor x = z.slice(1, 0, 2).to(dtype);
    const at::Tensor y = (z.slice(1, 0, 2) * 0.8 + 0.6 * z.slice(1, 2, 4)).to(dtype);
    for (auto variant : {mi::ksg_variant::ksg1, mi::ksg_variant::ksg2}) {
      mi::ksg_options opt = libtorch::device_ksg_defaults();  // no standardisation on the device
      opt.k = 3;
      opt.variant = variant;
      libtorch::device_knn_options tiny;
      tiny.query_tile = 128;
      tiny.tile_elements = 128 * 300;
      for (const auto& dopt : {libtorch::device_knn_options{}, tiny}) {
        const auto dev = libtorch::ksg_device(x, y, opt, dopt);
        const auto cpu = mi::ksg(to_host(x), to_host(y), opt);
        CAPTURE(static_cast<int>(variant));
        // Counts are exact integers and the terms are summed on the host in the CPU's order, so the
        // two agree to the last bits; 1e-9 is the contract.
        CHECK(rel_diff(dev.value, cpu.value) < 1e-9);
        CHECK(rel_diff(dev.details.at("per_point_sd"), cpu.details.at("per_point_sd")) < 1e-9);
        CHECK(dev.method == cpu.method);
        CHECK(dev.settings.at("marginal_counts") == cpu.settings.at("marginal_counts"));
      }
    }
  }
  // One-dimensional marginals (1-D sorted counts on the CPU side).
  const at::Tensor z = gaussian(2000, 2, 43, device);
  const auto dev = libtorch::ksg_device(z.slice(1, 0, 1), z.slice(1, 1, 2));
  const auto cpu = mi::ksg(to_host(z.slice(1, 0, 1)), to_host(z.slice(1, 1, 2)), libtorch::device_ksg_defaults());
  CHECK(rel_diff(dev.value, cpu.value) < 1e-9);
}

namespace {
/// Same verdict: status, and every reason's code, message and value (value to 1e-9 relative).
void check_same_verdict(const estimate& dev, const estimate& cpu) {
  CHECK(dev.status == cpu.status);
  REQUIRE(dev.reasons.size() == cpu.reasons.size());
  for (std::size_t i = 0; i < dev.reasons.size(); ++i) {
    CHECK(dev.reasons[i].code == cpu.reasons[i].code);
    CHECK(dev.reasons[i].message == cpu.reasons[i].message);
    REQUIRE(dev.reasons[i].value.has_value() == cpu.reasons[i].value.has_value());
    if (dev.reasons[i].value) CHECK(rel_diff(*dev.reasons[i].value, *cpu.reasons[i].value) < 1e-9);
  }
}

/// The refusal code of f (refused_error), or "" when f returns.
template <class F>
std::string refusal_code(F&& f) {
  try {
    f();
  } catch (const refused_error& e) {
    return e.reasons().empty() ? std::string("?") : e.reasons().front().code;
  }
  return "";
}
}  // namespace

TEST_CASE("mixed KSG on device tensors equals the CPU estimator to 1e-9 relative (continuous, discrete, mixed)") {
  const auto device = test_device();
  const at::Tensor z = gaussian(800, 3, 51, device);
  // (a) continuous: mixed KSG is KSG-1 here.
  const at::Tensor x = z.slice(1, 0, 2);
  const at::Tensor y = z.slice(1, 1, 3);
  // (b) discrete X (4 classes from the first column) with continuous Y.
  const at::Tensor labels = at::floor(z.slice(1, 0, 1).clamp(-1.99, 1.99)).to(at::kDouble);
  // (c) mixed: ReLU of a noisy copy (about half the rows exactly 0) against Y.
  const at::Tensor relu = at::relu(z.slice(1, 0, 1) + 0.3 * z.slice(1, 2, 3));
  // (d) purely discrete pair: rounded values.
  const at::Tensor rx = at::round(2.0 * z.slice(1, 0, 1));
  const at::Tensor ry = at::round(2.0 * (z.slice(1, 0, 1) + 0.5 * z.slice(1, 1, 2)));
  const std::vector<std::pair<at::Tensor, at::Tensor>> cases = {{x, y}, {labels, y}, {relu, y}, {rx, ry}};
  libtorch::device_knn_options tiny;
  tiny.query_tile = 64;
  tiny.tile_elements = 64 * 200;
  int which = 0;
  for (const auto& [a, b] : cases) {
    CAPTURE(which);
    mi::mixed_ksg_options opt = libtorch::device_mixed_ksg_defaults();
    opt.k = 3;
    const auto cpu = mi::mixed_ksg(to_host(a), to_host(b), opt);
    for (const auto& dopt : {libtorch::device_knn_options{}, tiny}) {
      const auto dev = libtorch::mixed_ksg_device(a, b, opt, dopt);
      CHECK(rel_diff(dev.value, cpu.value) < 1e-9);
      CHECK(dev.details.at("points_on_atoms") == cpu.details.at("points_on_atoms"));
      CHECK(rel_diff(dev.details.at("per_point_sd"), cpu.details.at("per_point_sd")) < 1e-9);
      check_same_verdict(dev, cpu);
      CHECK(dev.settings.at("categorical_columns") == cpu.settings.at("categorical_columns"));
    }
    if (which == 1) CHECK(cpu.settings.at("categorical_columns") == "x0");  // 4 levels of ~200 rows
    if (which == 0) CHECK(rel_diff(cpu.value, mi::ksg(to_host(a), to_host(b), libtorch::device_ksg_defaults()).value) < 1e-12);
    if (which == 3) CHECK(cpu.details.at("points_on_atoms") > 0);  // joint atoms need both sides discrete
    ++which;
  }
  // Y as class labels (Ross 2014): categorical whatever the rows per class, as the CPU.
  {
    mi::mixed_ksg_options opt = libtorch::device_mixed_ksg_defaults();
    opt.y_labels = true;
    const auto cpu = mi::mixed_ksg(to_host(y), to_host(labels), opt);
    const auto dev = libtorch::mixed_ksg_device(y, labels, opt);
    CHECK(rel_diff(dev.value, cpu.value) < 1e-9);
    CHECK(dev.settings.at("categorical_columns") == "y0");
  }
  // Bad input as the CPU: jitter / standardize requests, rows, devices' agreement.
  mi::mixed_ksg_options jit = libtorch::device_mixed_ksg_defaults();
  jit.preprocess.jitter = 1e-6;
  CHECK_THROWS_WITH_AS(libtorch::mixed_ksg_device(x, y, jit), doctest::Contains("not available on the device"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::mixed_ksg_device(x, y.slice(0, 0, 799)), doctest::Contains("same number of rows"),
                       invalid_argument);
  mi::mixed_ksg_options big_k = libtorch::device_mixed_ksg_defaults();
  big_k.k = 800;
  CHECK_THROWS_WITH_AS(libtorch::mixed_ksg_device(x, y, big_k), doctest::Contains("k must be < n"), invalid_argument);
}

TEST_CASE("device k-NN estimators give the CPU estimators' verdicts (status, reasons, refusals)") {
  const auto device = test_device();
  const at::Tensor z = gaussian(600, 3, 61, device);
  // Home ground: full-dimensional Gaussian data: ok, no reasons, on both.
  {
    const auto dev = libtorch::ksg_device(z.slice(1, 0, 1), z.slice(1, 1, 3));
    const auto cpu = mi::ksg(to_host(z.slice(1, 0, 1)), to_host(z.slice(1, 1, 3)), libtorch::device_ksg_defaults());
    CHECK(dev.status == verdict_status::ok);
    check_same_verdict(dev, cpu);
    CHECK(rel_diff(dev.details.at("intrinsic_dimension"), cpu.details.at("intrinsic_dimension")) < 1e-9);
    const auto dkl = libtorch::kozachenko_leonenko_device(z);
    const auto ckl = entropy::kozachenko_leonenko(to_host(z));
    CHECK(dkl.status == verdict_status::ok);
    check_same_verdict(dkl, ckl);
    CHECK(rel_diff(dkl.value, ckl.value) < 1e-9);
    // Mardia's z near 0 here: compare it absolutely (the device and Eigen sum in different orders).
    CHECK(std::abs(dkl.details.at("smoothness_z") - ckl.details.at("smoothness_z")) < 1e-9);
    // No pole in a column or an independent-component direction: the smooth rate on both.
    CHECK(dkl.settings.at("neighbour_order_rate") == "smooth");
    CHECK(ckl.settings.at("neighbour_order_rate") == "smooth");
  }
  // A 1-D curve in 4-D (x = t, y = (sin t, cos t, t^2)): KSG warns "intrinsic_dimension", KL refuses it.
  {
    const at::Tensor t = z.slice(1, 0, 1);
    const at::Tensor curve_y = at::cat({at::sin(t), at::cos(t), t * t}, 1);
    const auto dev = libtorch::ksg_device(t, curve_y);
    const auto cpu = mi::ksg(to_host(t), to_host(curve_y), libtorch::device_ksg_defaults());
    CHECK(dev.status == verdict_status::warning);
    check_same_verdict(dev, cpu);
    CHECK(cpu.reasons.at(0).code == "intrinsic_dimension");
    const at::Tensor curve = at::cat({t, curve_y}, 1);
    CHECK(refusal_code([&] { libtorch::kozachenko_leonenko_device(curve); }) == "intrinsic_dimension");
    CHECK(refusal_code([&] { entropy::kozachenko_leonenko(to_host(curve)); }) == "intrinsic_dimension");
  }
  // A 5 x 5 correlated Gaussian pair: the k-th neighbours lie ~1 sd away, both warn "neighbourhood_scale"
  // with the same measured scale (KSG and mixed KSG).
  {
    const at::Tensor w = gaussian(1500, 10, 62, device);
    const at::Tensor wx = w.slice(1, 0, 5);
    const at::Tensor wy = 0.6 * w.slice(1, 0, 5) + 0.8 * w.slice(1, 5, 10);
    const auto dev = libtorch::ksg_device(wx, wy);
    const auto cpu = mi::ksg(to_host(wx), to_host(wy), libtorch::device_ksg_defaults());
    CHECK(cpu.has_reason("neighbourhood_scale"));
    check_same_verdict(dev, cpu);
    CHECK(rel_diff(dev.details.at("neighbourhood_scale"), cpu.details.at("neighbourhood_scale")) < 1e-9);
    auto mixed_opt = libtorch::device_mixed_ksg_defaults();
    const auto dmixed = libtorch::mixed_ksg_device(wx, wy, mixed_opt);
    const auto cmixed = mi::mixed_ksg(to_host(wx), to_host(wy), mixed_opt);
    CHECK(cmixed.has_reason("neighbourhood_scale"));
    check_same_verdict(dmixed, cmixed);
  }
  // tanh-squashed columns and linearly mixed ones: the readings on normal scores and on whitened
  // columns run on host copies and rerun on the device, with the CPU's numbers and verdict.
  {
    const at::Tensor w = gaussian(1500, 4, 64, device);
    const at::Tensor sx = at::tanh(2.0 * w.slice(1, 0, 2));
    const at::Tensor sy = at::tanh(2.0 * (0.8 * w.slice(1, 0, 2) + 0.6 * w.slice(1, 2, 4)));
    const auto dev = libtorch::ksg_device(sx, sy);
    const auto cpu = mi::ksg(to_host(sx), to_host(sy), libtorch::device_ksg_defaults());
    CHECK(cpu.details.count("value_normal_scores") == 1);
    check_same_verdict(dev, cpu);
    CHECK(rel_diff(dev.details.at("value_normal_scores"), cpu.details.at("value_normal_scores")) < 1e-9);
    const at::Tensor mixed_x =
        at::cat({w.slice(1, 0, 1) + 10.0 * w.slice(1, 1, 2), w.slice(1, 0, 1) - 10.0 * w.slice(1, 1, 2)}, 1);
    const auto dmixed = libtorch::mixed_ksg_device(mixed_x, sy);
    const auto cmixed = mi::mixed_ksg(to_host(mixed_x), to_host(sy), libtorch::device_mixed_ksg_defaults());
    CHECK(cmixed.details.count("value_whitened") == 1);
    check_same_verdict(dmixed, cmixed);
    CHECK(rel_diff(dmixed.details.at("value_whitened"), cmixed.details.at("value_whitened")) < 1e-9);
  }
  // Uniform [0, 1]^8: KL's bias extrapolated in k is large, both warn "neighbour_order_bias" alike.
  {
    at::manual_seed(63);
    const at::Tensor u = at::rand({1500, 8}, at::kDouble).to(device);
    const auto dev = libtorch::kozachenko_leonenko_device(u);
    const auto cpu = entropy::kozachenko_leonenko(to_host(u));
    CHECK(cpu.has_reason("neighbour_order_bias"));
    check_same_verdict(dev, cpu);
    CHECK(rel_diff(dev.details.at("bias_extrapolated"), cpu.details.at("bias_extrapolated")) < 1e-9);
  }
  // A rotated product of exponentials, d = 8: a support boundary no column shows. Mardia's kurtosis
  // (measured on the device there) is far from a Gaussian's on both, so both take the boundary rate
  // 1/d and warn "neighbour_order_bias" alike (the CPU estimator's calibration: tests/test_verdicts.cpp).
  {
    at::manual_seed(64);
    const at::Tensor e = -at::log(at::rand({2000, 8}, at::kDouble));
    const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({8, 8}, at::kDouble)));
    const at::Tensor rotated = at::matmul(e, q).to(device);
    const auto dev = libtorch::kozachenko_leonenko_device(rotated);
    const auto cpu = entropy::kozachenko_leonenko(to_host(rotated));
    CHECK(cpu.has_reason("neighbour_order_bias"));
    check_same_verdict(dev, cpu);
    CHECK(cpu.details.at("smoothness_z") > 9.0);
    CHECK(rel_diff(dev.details.at("smoothness_z"), cpu.details.at("smoothness_z")) < 1e-9);
    CHECK(rel_diff(dev.details.at("bias_extrapolated"), cpu.details.at("bias_extrapolated")) < 1e-9);
    CHECK(dev.settings.at("neighbour_order_rate") == "not_gaussian_shaped");
    CHECK(cpu.settings.at("neighbour_order_rate") == "not_gaussian_shaped");
  }
  // Tied (discrete) columns: KSG warns "discrete_columns", KL refuses; a constant column: both refuse.
  {
    const at::Tensor tied = at::cat({at::round(z.slice(1, 0, 1)), z.slice(1, 1, 2)}, 1);
    const auto dev = libtorch::ksg_device(tied + 1e-3 * z.slice(1, 2, 3), z.slice(1, 2, 3));
    const auto cpu = mi::ksg(to_host(tied + 1e-3 * z.slice(1, 2, 3)), to_host(z.slice(1, 2, 3)),
                             libtorch::device_ksg_defaults());
    check_same_verdict(dev, cpu);  // home ground after the tie-breaking noise
    at::Tensor tied_y = z.slice(1, 1, 3).clone();
    tied_y.select(1, 0).copy_(at::round(3.0 * tied_y.select(1, 0)));
    const auto dev2 = libtorch::ksg_device(z.slice(1, 0, 1), tied_y);
    const auto cpu2 = mi::ksg(to_host(z.slice(1, 0, 1)), to_host(tied_y), libtorch::device_ksg_defaults());
    CHECK(dev2.status == verdict_status::warning);
    check_same_verdict(dev2, cpu2);
    bool has_discrete = false;
    for (const auto& r : cpu2.reasons) has_discrete = has_discrete || r.code == "discrete_columns";
    CHECK(has_discrete);
    CHECK(refusal_code([&] { libtorch::kozachenko_leonenko_device(tied); }) == "discrete_columns");
    CHECK(refusal_code([&] { entropy::kozachenko_leonenko(to_host(tied)); }) == "discrete_columns");
    at::Tensor constant = z.clone();
    constant.select(1, 2).fill_(1.5);
    CHECK(refusal_code([&] { libtorch::kozachenko_leonenko_device(constant); }) == "constant_column");
    CHECK(refusal_code([&] { libtorch::ksg_device(z.slice(1, 0, 1), constant); }) == "constant_column");
    CHECK(refusal_code([&] { libtorch::mixed_ksg_device(z.slice(1, 0, 1), constant); }) == "constant_column");
    CHECK(refusal_code([&] { mi::ksg(to_host(z.slice(1, 0, 1)), to_host(constant), libtorch::device_ksg_defaults()); }) ==
          "constant_column");
  }
}

TEST_CASE("device mixed KSG warns lattice_ties as the CPU: the (k + 1)-th neighbour and the CPU's jittered rerun") {
  const auto device = test_device();
  // 2 x 2 Gaussian pair (rho = 0.8 per pair, unit sd), rounded to steps of 0.25 sd: session 18's red team
  // (I(QX;QY) = 1.00, mixed KSG reads ~1.3). float32 input (the rounded values are exact in float) and
  // double: the device converts to double as the CPU does, so both read the same numbers.
  at::manual_seed(71);
  const at::Tensor z = at::randn({1500, 4}, at::kDouble);
  const at::Tensor cx = z.slice(1, 0, 2);
  const at::Tensor cy = 0.8 * z.slice(1, 0, 2) + 0.6 * z.slice(1, 2, 4);
  const at::Tensor qx = at::round(cx / 0.25) * 0.25;
  const at::Tensor qy = at::round(cy / 0.25) * 0.25;
  const mi::mixed_ksg_options opt = libtorch::device_mixed_ksg_defaults();
  const auto cpu = mi::mixed_ksg(to_host(qx), to_host(qy), opt);
  REQUIRE(cpu.has_reason("lattice_ties"));
  CHECK(cpu.details.at("distance_tied_fraction") > mi::lattice_tied_fraction);
  for (auto dtype : {at::kFloat, at::kDouble}) {
    CAPTURE(static_cast<int>(dtype));
    const auto dev = libtorch::mixed_ksg_device(qx.to(dtype).to(device), qy.to(dtype).to(device), opt);
    check_same_verdict(dev, cpu);
    // The tie counts are exact (max-norm distances bit for bit); the reruns sum in another order.
    CHECK(dev.details.at("distance_tied_fraction") == cpu.details.at("distance_tied_fraction"));
    CHECK(rel_diff(dev.details.at("value_ties_broken"), cpu.details.at("value_ties_broken")) < 1e-9);
    CHECK(rel_diff(dev.value, cpu.value) < 1e-9);
  }
  // Home ground: the same pair unrounded: no tied distance, no rerun, no warning, on both.
  const auto cpu_home = mi::mixed_ksg(to_host(cx), to_host(cy), opt);
  const auto dev_home = libtorch::mixed_ksg_device(cx.to(device), cy.to(device), opt);
  CHECK(cpu_home.details.at("distance_tied_fraction") == 0.0);
  CHECK(dev_home.details.at("distance_tied_fraction") == 0.0);
  CHECK(dev_home.details.count("value_ties_broken") == 0);
  CHECK(!dev_home.has_reason("lattice_ties"));
  check_same_verdict(dev_home, cpu_home);
}

TEST_CASE("device KL takes the density-pole rate as the CPU: rotated Beta(0.3, 1)^4 (FastICA on a host copy)") {
  const auto device = test_device();
  // Beta(0.3, 1) = U^(1/0.3): a pole at 0 in every source; a random rotation hides it from every column
  // (session 18: entropy::direction_edge_density_ratio finds it on 84/84 such sets).
  at::manual_seed(72);
  const at::Tensor sources = at::pow(at::rand({2000, 4}, at::kDouble), 1.0 / 0.3);
  const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({4, 4}, at::kDouble)));
  const at::Tensor rotated = at::matmul(sources, q);
  REQUIRE(!neighbors::has_density_pole(to_host(rotated)));  // no column shows it
  const auto cpu = entropy::kozachenko_leonenko(to_host(rotated));
  CHECK(cpu.settings.at("neighbour_order_rate") == "density_pole");
  const auto dev = libtorch::kozachenko_leonenko_device(rotated.to(device));
  CHECK(dev.settings.at("neighbour_order_rate") == "density_pole");
  CHECK(dev.settings.at("neighbour_order_check") == cpu.settings.at("neighbour_order_check"));
  check_same_verdict(dev, cpu);
  CHECK(rel_diff(dev.details.at("bias_extrapolated"), cpu.details.at("bias_extrapolated")) < 1e-9);
  // Home ground: the rotated product of Beta(1, 1) (a rotated cube: hard faces, no pole) keeps the
  // boundary rate on both.
  const at::Tensor cube = at::matmul(at::rand({2000, 4}, at::kDouble), q);
  const auto cpu_cube = entropy::kozachenko_leonenko(to_host(cube));
  const auto dev_cube = libtorch::kozachenko_leonenko_device(cube.to(device));
  CHECK(cpu_cube.settings.at("neighbour_order_rate") != "density_pole");
  CHECK(dev_cube.settings.at("neighbour_order_rate") == cpu_cube.settings.at("neighbour_order_rate"));
  check_same_verdict(dev_cube, cpu_cube);
}

TEST_CASE("device Mardia kurtosis: the CPU's value, and NaN on collinear columns with the CPU's rank tolerance") {
  const auto device = test_device();
  // Column 2 = 0.1 x0 + 0.7 x1: the covariance is singular, but the rounded Cholesky pivot may come
  // out positive (on the CPU it did for seed 7). Both sides must call it rank-deficient, for every seed.
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    at::manual_seed(seed);
    const at::Tensor base = at::randn({500, 2}, at::kDouble);
    const at::Tensor collinear = at::cat({base, 0.1 * base.slice(1, 0, 1) + 0.7 * base.slice(1, 1, 2)}, 1);
    CHECK(std::isnan(libtorch::detail::mardia_kurtosis_device(collinear.to(device))));
    CHECK(std::isnan(stats::mardia_kurtosis(to_host(collinear))));
    // With real variance left in column 2 (1 - R^2 ~ 2e-8) both give the same finite number.
    const at::Tensor noisy = collinear + at::cat({at::zeros({500, 2}, at::kDouble), 1e-4 * at::randn({500, 1}, at::kDouble)}, 1);
    const double dev = libtorch::detail::mardia_kurtosis_device(noisy.to(device));
    CHECK(std::isfinite(dev));
    CHECK(rel_diff(dev, stats::mardia_kurtosis(to_host(noisy))) < 1e-6);
  }
  const at::Tensor g = gaussian(2000, 6, 65, device);
  CHECK(rel_diff(libtorch::detail::mardia_kurtosis_device(g), stats::mardia_kurtosis(to_host(g))) < 1e-9);
}

TEST_CASE("device Mardia kurtosis at large n: the tolerance 16 u d (d + 2 sqrt(n)) covers the device's sums") {
  // The device sums the covariance with its own GEMM (blocked differently from the CPU's sqrt(n)-row
  // blocks); the pivot tolerance assumes its rounding stays within the 16x margin. Exactly collinear
  // columns at n = 2e5 (d = 3 and 10) must give NaN on the device as on the CPU, and 1 - R^2 ~ 1e-8
  // must stay finite and equal the CPU's value up to the conditioning: kappa(S) ~ 1e8 times the sums'
  // rounding ~ sqrt(n) u ~ 5e-14 allows ~5e-6 relative (measured: < 1e-6 on an H100, 1.7e-6 on CPU LibTorch).
  const auto device = test_device();
  for (std::int64_t d : {3, 10}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      CAPTURE(d);
      CAPTURE(seed);
      at::manual_seed(seed);
      const at::Tensor base = at::randn({200000, d - 1}, at::kDouble);
      const at::Tensor mix = at::randn({d - 1, 1}, at::kDouble);
      const at::Tensor collinear = at::cat({base, at::matmul(base, mix)}, 1);
      CHECK(std::isnan(libtorch::detail::mardia_kurtosis_device(collinear.to(device))));
      CHECK(std::isnan(stats::mardia_kurtosis(to_host(collinear))));
      const double scale = std::sqrt(mix.pow(2).sum().item<double>());
      const at::Tensor noise = 1e-4 * scale * at::randn({200000, 1}, at::kDouble);
      const at::Tensor noisy = collinear + at::cat({at::zeros({200000, d - 1}, at::kDouble), noise}, 1);
      const double dev = libtorch::detail::mardia_kurtosis_device(noisy.to(device));
      CHECK(std::isfinite(dev));
      CHECK(rel_diff(dev, stats::mardia_kurtosis(to_host(noisy))) < 1e-5);
    }
  }
}

TEST_CASE("device k-NN functions reject bad input with clear errors") {
  const auto device = test_device();
  const auto opts = at::TensorOptions().dtype(at::kDouble).device(device);
  const at::Tensor x = at::randn({50, 3}, opts);
  CHECK_THROWS_WITH_AS(libtorch::knn_self_device(x, 50), doctest::Contains("k must be < n"), invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::knn_self_device(x, 0), doctest::Contains("k must be >= 1"), invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::knn_self_device(at::randn({4, 3, 2}, opts), 1), doctest::Contains("2-D"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::knn_self_device(at::ones({5, 2}, opts.dtype(at::kLong)), 1),
                       doctest::Contains("floating point"), invalid_argument);
  at::Tensor bad = x.clone();
  bad[7][1] = std::nan("");
  CHECK_THROWS_WITH_AS(libtorch::knn_self_device(bad, 2), doctest::Contains("first row=7"), invalid_argument);
  libtorch::device_knn_options o;
  o.query_tile = 0;
  CHECK_THROWS_WITH_AS(libtorch::knn_self_device(x, 2, norm_kind::euclidean, o), doctest::Contains("query_tile"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::count_within_device(x, at::ones({49}, opts), true),
                       doctest::Contains("one entry per row"), invalid_argument);
  at::Tensor r = at::ones({50}, opts);
  r[3] = -1.0;
  CHECK_THROWS_WITH_AS(libtorch::count_within_device(x, r, true), doctest::Contains("radius must be finite and >= 0"),
                       invalid_argument);
  // Estimators: duplicates, mismatched rows, preprocessing requests.
  at::Tensor dup = at::randn({200, 3}, opts);  // one duplicate in 200 rows: 0.5 % ties, under the tied-column threshold
  dup[1] = dup[0];
  CHECK_THROWS_WITH_AS(libtorch::kozachenko_leonenko_device(dup), doctest::Contains("coincide"), invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::ksg_device(x, at::randn({49, 1}, opts)), doctest::Contains("same number of rows"),
                       invalid_argument);
  entropy::kl_options std_opt;
  std_opt.preprocess.standardize = true;
  CHECK_THROWS_WITH_AS(libtorch::kozachenko_leonenko_device(x, std_opt), doctest::Contains("not available on the device"),
                       invalid_argument);
  mi::ksg_options jit;
  jit.preprocess.jitter = 1e-10;
  CHECK_THROWS_WITH_AS(libtorch::ksg_device(x, x, jit), doctest::Contains("not available on the device"),
                       invalid_argument);
}
