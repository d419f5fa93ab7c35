// 2-process test of infogeo/torch/distributed.hpp through torch.distributed's gloo backend (CPU):
// every rank must get the single-process class-scatter metrics (to 1e-10 relative), NCC counts
// (exactly) and the same KL entropy of a gathered sample. CTest `test_torch_distributed`.
//   test_torch_distributed                          parent: starts 2 ranks of itself, waits for both
//   test_torch_distributed --rank R --world W --store FILE   one rank
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/torch/distributed.hpp"
#include "infogeo/torch/knn_estimators.hpp"
#include "infogeo/torch/tensor_view.hpp"

using namespace infogeo;

namespace {

int failures = 0;

void check_close(const char* what, double a, double b, double tol, int rank) {
  const double rel = std::abs(a - b) / std::max(1e-300, std::max(std::abs(a), std::abs(b)));
  if (!(rel <= tol)) {
    std::fprintf(stderr, "rank %d: %s differs: distributed %.17g vs single %.17g (rel %.3g > %.1g)\n", rank, what, a,
                 b, rel, tol);
    ++failures;
  }
}

/// Imbalanced Gaussian classes, generated identically on every rank (seeded).
void make_data(at::Tensor& x, at::Tensor& y, std::int64_t c, std::int64_t d) {
  at::manual_seed(2024);
  std::vector<at::Tensor> xs, ys;
  const at::Tensor means = 2.0 * at::randn({c, d}, at::kDouble);
  for (std::int64_t k = 0; k < c; ++k) {
    const std::int64_t n = 40 + 23 * k;
    xs.push_back(means[k].unsqueeze(0) + at::randn({n, d}, at::kDouble) * (0.5 + 0.1 * static_cast<double>(k)));
    ys.push_back(at::full({n}, k, at::kLong));
  }
  const at::Tensor perm = at::randperm(at::cat(ys).size(0), at::kLong);
  x = at::cat(xs).index_select(0, perm);
  y = at::cat(ys).index_select(0, perm);
}

geometry::collapse_metrics scatter_metrics(const std::vector<at::Tensor>& xs, const std::vector<at::Tensor>& ys,
                                           std::int64_t c, geometry::scatter_mode mode,
                                           c10d::ProcessGroupGloo* group, libtorch::ncc_counts* ncc) {
  libtorch::device_class_scatter acc(c, xs[0].size(1), mode, c10::Device(c10::kCPU));
  for (std::size_t b = 0; b < xs.size(); ++b) acc.update(xs[b], ys[b]);
  if (group) libtorch::allreduce_pass1(acc, *group);
  acc.begin_second_pass();
  for (std::size_t b = 0; b < xs.size(); ++b) acc.update(xs[b], ys[b]);
  if (group) libtorch::allreduce_pass2(acc, *group);
  libtorch::ncc_counts counts;
  for (std::size_t b = 0; b < xs.size(); ++b) counts.merge(libtorch::ncc_on_device(acc, xs[b], ys[b], ys[b]));
  *ncc = group ? libtorch::allreduce_counts(counts, *group, c10::Device(c10::kCPU)) : counts;
  return geometry::neural_collapse(acc.finalize());
}

int run_rank(int rank, int world, const std::string& store_path) {
  auto store = c10::make_intrusive<c10d::FileStore>(store_path, world);
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);

  const std::int64_t c = 6, d = 20;
  at::Tensor x, y;
  make_data(x, y, c, d);
  const std::int64_t n = x.size(0);
  // This rank's shard: rows rank, rank + world, ... (uneven class mix per rank), in two batches.
  const at::Tensor mine = at::arange(rank, n, world, at::kLong);
  const at::Tensor xs = x.index_select(0, mine), ys = y.index_select(0, mine);
  const std::int64_t half = xs.size(0) / 2;
  const std::vector<at::Tensor> shard_x{xs.slice(0, 0, half), xs.slice(0, half)};
  const std::vector<at::Tensor> shard_y{ys.slice(0, 0, half), ys.slice(0, half)};

  for (auto mode : {geometry::scatter_mode::projected, geometry::scatter_mode::full}) {
    libtorch::ncc_counts ncc_d, ncc_s;
    const auto dist = scatter_metrics(shard_x, shard_y, c, mode, group.get(), &ncc_d);
    const auto single = scatter_metrics({x}, {y}, c, mode, nullptr, &ncc_s);
    // Both sides sum the same values in double in another order: 1e-10 relative (the bar).
    check_close("tr_sw_sbpinv", dist.tr_sw_sbpinv, single.tr_sw_sbpinv, 1e-10, rank);
    check_close("nc1", dist.nc1, single.nc1, 1e-10, rank);
    check_close("tr_sw", dist.tr_sw, single.tr_sw, 1e-10, rank);
    check_close("tr_sb", dist.tr_sb, single.tr_sb, 1e-10, rank);
    check_close("cdnv", dist.cdnv.value_or(-1.0), single.cdnv.value_or(-2.0), 1e-10, rank);
    check_close("nc2_equinorm", dist.nc2_equinorm, single.nc2_equinorm, 1e-10, rank);
    if (dist.rank != single.rank) ++failures;
    if (ncc_d.n != ncc_s.n || ncc_d.agree_with_labels != ncc_s.agree_with_labels ||
        ncc_d.agree_with_predictions != ncc_s.agree_with_predictions) {
      std::fprintf(stderr, "rank %d: NCC counts differ (%lld/%lld vs %lld/%lld)\n", rank,
                   static_cast<long long>(ncc_d.agree_with_labels), static_cast<long long>(ncc_d.n),
                   static_cast<long long>(ncc_s.agree_with_labels), static_cast<long long>(ncc_s.n));
      ++failures;
    }
    if (ncc_d.n != n) ++failures;
  }

  // k-NN: the first m rows of every shard, gathered in rank order, vs the same rows in one process.
  const std::int64_t m = 120;
  const at::Tensor gathered = libtorch::allgather_rows(xs.slice(0, 0, m), *group);
  std::vector<at::Tensor> parts;
  for (int r = 0; r < world; ++r) parts.push_back(x.index_select(0, at::arange(r, n, world, at::kLong)).slice(0, 0, m));
  const at::Tensor same_rows = at::cat(parts, 0);
  if (!at::equal(gathered, same_rows)) {
    std::fprintf(stderr, "rank %d: gathered rows differ from the single-process sample\n", rank);
    ++failures;
  }
  const double h_dist = libtorch::kozachenko_leonenko_device(gathered).value;
  const double h_single = entropy::kozachenko_leonenko(libtorch::tensor_view<double>(same_rows.contiguous())).value;
  check_close("KL entropy of the gathered sample", h_dist, h_single, 1e-10, rank);
  std::printf("rank %d/%d: %s\n", rank, world, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rank = -1, world = 2;
  std::string store;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rank") rank = std::atoi(argv[i + 1]);
    else if (a == "--world") world = std::atoi(argv[i + 1]);
    else if (a == "--store") store = argv[i + 1];
  }
  if (rank >= 0) {
    try {
      return run_rank(rank, world, store);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
      return 1;
    }
  }
  // Parent: a fresh store file, then `world` ranks of this same program.
  char path[] = "/tmp/infogeo_gloo_store_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);
  std::remove(path);
  std::vector<pid_t> children;
  for (int r = 0; r < world; ++r) {
    const pid_t pid = fork();
    if (pid == 0) {
      const std::string rs = std::to_string(r), ws = std::to_string(world);
      execl("/proc/self/exe", argv[0], "--rank", rs.c_str(), "--world", ws.c_str(), "--store", path,
            static_cast<char*>(nullptr));
      _exit(127);
    }
    children.push_back(pid);
  }
  int bad = 0;
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++bad;
  }
  std::remove(path);
  std::printf("test_torch_distributed: %d of %d ranks failed\n", bad, world);
  return bad ? 1 : 0;
}
