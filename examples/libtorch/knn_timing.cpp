// Timing of the exact k-NN estimators on device tensors (infogeo/torch/knn_estimators.hpp): the
// sizes of the LibTorch issue's speed targets, on CUDA when available (else the CPU; then use small
// sizes). Prints one line per measurement: what, best and median wall time over the repeats (after
// one warm-up run), the estimate, and how the queries were certified.
//   knn_timing [--repeats R] [--kl-n N] [--kl-d D] [--ksg-n N] [--small]
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "infogeo/torch/knn_estimators.hpp"

namespace {

struct timing {
  double best = 0.0, median = 0.0;
};

timing time_it(int repeats, const std::function<void()>& f) {
  f();  // warm-up (cuBLAS handles, allocator)
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();  // every estimator ends with a host read (.item()), so the device work is finished here
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace infogeo;
  int repeats = 5;
  std::int64_t kl_n = 50000, kl_d = 512, ksg_n = 100000, epoch_n = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string("0"); };
    if (a == "--repeats") repeats = std::stoi(next());
    else if (a == "--kl-n") kl_n = std::stoll(next());
    else if (a == "--kl-d") kl_d = std::stoll(next());
    else if (a == "--ksg-n") ksg_n = std::stoll(next());
    else if (a == "--small") kl_n = 3000, kl_d = 64, ksg_n = 5000, epoch_n = 2000, repeats = 2;
    else {
      std::fprintf(stderr, "usage: knn_timing [--repeats R] [--kl-n N] [--kl-d D] [--ksg-n N] [--small]\n");
      return 2;
    }
  }
  const c10::Device device = at::hasCUDA() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  std::printf("device %s, repeats %d\n", device.str().c_str(), repeats);
  at::manual_seed(7);
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);

  auto report = [&](const char* what, const timing& t, const estimate& e) {
    std::printf(
        "%-44s best %8.4f s  median %8.4f s  value %.6f  fused %g  float32-certified %g  double %g  exhaustive %g\n",
        what, t.best, t.median, e.value, e.details.at("queries_fused_kernel"), e.details.at("queries_certified_float32"),
        e.details.at("queries_certified_double"), e.details.at("queries_exhaustive"));
    std::fflush(stdout);
  };

  // KL entropy, n x d float32 Gaussian (truth: d/2 log(2 pi e)), at the target size and at the
  // per-epoch size of a 10,000 x 512 layer; the exact L2 re-check by the fused kernel (where
  // compiled in and on CUDA) and by ATen elementwise ops (the A/B baseline, same run).
  for (const std::int64_t n : {kl_n, epoch_n}) {
    const at::Tensor x = at::randn({n, kl_d}, f32);
    for (bool fused : {true, false}) {
      libtorch::device_knn_options o;
      o.fused_l2_recheck = fused;
      estimate e;
      const auto t = time_it(repeats, [&] { e = libtorch::kozachenko_leonenko_device(x, {}, o); });
      const std::string what = "KL entropy " + std::to_string(n) + " x " + std::to_string(kl_d) + " (k=3, L2), " +
                               (fused ? "L2 kernel" : "ATen re-check");
      report(what.c_str(), t, e);
      libtorch::device_knn_result r;
      const auto ts = time_it(repeats, [&] {
        r = libtorch::knn_self_device(x, 12, norm_kind::euclidean, o);
        (void)r.distances.sum().item<double>();
      });
      std::printf("  part: L2 12-NN search (order check), %-13s best %8.4f s  median %8.4f s  (kernel re-check %d)\n",
                  fused ? "L2 kernel" : "ATen re-check", ts.best, ts.median, r.fused_l2_recheck ? 1 : 0);
    }
  }
  {  // KSG-1 / KSG-2, 5 x 5 correlated Gaussian (rho = 0.8 per column pair: I = -2.5 log(0.36) = 2.554)
    const at::Tensor x = at::randn({ksg_n, 5}, f32);
    const at::Tensor y = 0.8 * x + 0.6 * at::randn({ksg_n, 5}, f32);
    for (auto variant : {mi::ksg_variant::ksg1, mi::ksg_variant::ksg2}) {
      mi::ksg_options opt = libtorch::device_ksg_defaults();
      opt.variant = variant;
      estimate e;
      const auto t = time_it(repeats, [&] { e = libtorch::ksg_device(x, y, opt); });
      const std::string what = std::string(variant == mi::ksg_variant::ksg1 ? "KSG-1" : "KSG-2") + " 5x5 N=" +
                               std::to_string(ksg_n) + " (k=3)";
      report(what.c_str(), t, e);
    }
    // Parts of KSG-1: the joint 10-D max-norm search and one 5-D marginal count, by the fused
    // kernel (where compiled in and on CUDA) and by the tiled path (the A/B baseline, same run).
    const at::Tensor joint = at::cat({x, y}, 1).to(at::kDouble);
    const at::Tensor xd = x.to(at::kDouble);
    for (bool fused : {true, false}) {
      libtorch::device_knn_options o;
      o.fused_maxnorm = fused;
      libtorch::device_knn_result r;
      const auto tk = time_it(repeats, [&] { r = libtorch::knn_self_device(joint, 3, norm_kind::chebyshev, o); });
      std::printf("  part: joint max-norm 3-NN (10-D), %-7s    best %8.4f s  median %8.4f s  (fused queries %lld)\n",
                  fused ? "fused" : "tiled", tk.best, tk.median, static_cast<long long>(r.fused));
      const at::Tensor eps = r.distances.select(1, 2).contiguous();
      std::int64_t total = 0;
      const auto tc = time_it(repeats, [&] {
        total = libtorch::count_within_device(xd, eps, true, norm_kind::chebyshev, o).counts.sum().item<std::int64_t>();
      });
      std::printf("  part: strict max-norm count (5-D), %-7s   best %8.4f s  median %8.4f s  (sum %lld)\n",
                  fused ? "fused" : "tiled", tc.best, tc.median, static_cast<long long>(total));
    }
  }
  return 0;
}
