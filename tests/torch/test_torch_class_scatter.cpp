// Tests of infogeo/torch/{tensor_view,class_scatter,ncc}.hpp (through the umbrella torch.hpp):
// part of test_torch (-DINFOGEO_WITH_TORCH=ON); CI runs them on CPU tensors (Debian's LibTorch),
// the GPU machine on CUDA tensors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/torch.hpp"

using namespace infogeo;

namespace {

torch::Device test_device() {
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

double rel_diff(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::max(std::abs(a), std::abs(b))); }

/// Imbalanced Gaussian classes: C classes, class c has 50 + 37 c samples, means ~ N(0, 4 I).
struct class_data {
  at::Tensor x;       // N x D on the device
  at::Tensor labels;  // N (int64) on the device
};

class_data make_data(std::int64_t c, std::int64_t d, torch::ScalarType dtype, torch::Device device, std::uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<at::Tensor> xs, ys;
  const at::Tensor means = 2.0 * torch::randn({c, d}, torch::kDouble);
  for (std::int64_t k = 0; k < c; ++k) {
    const std::int64_t n = 50 + 37 * k;
    xs.push_back(means[k].unsqueeze(0) + torch::randn({n, d}, torch::kDouble) * (0.5 + 0.1 * static_cast<double>(k)));
    ys.push_back(torch::full({n}, k, torch::kLong));
  }
  const at::Tensor perm = torch::randperm(torch::cat(ys).size(0), torch::kLong);
  return {torch::cat(xs).index_select(0, perm).to(dtype).to(device), torch::cat(ys).index_select(0, perm).to(device)};
}

geometry::class_scatter reduce_on_device(const class_data& data, std::int64_t c, geometry::scatter_mode mode,
                                         std::int64_t batch) {
  libtorch::device_class_scatter acc(c, data.x.size(1), mode, data.x.device());
  const std::int64_t n = data.x.size(0);
  for (int pass = 0; pass < 2; ++pass) {
    for (std::int64_t s = 0; s < n; s += batch) {
      const std::int64_t e = std::min(n, s + batch);
      acc.update(data.x.slice(0, s, e), data.labels.slice(0, s, e));
    }
    if (pass == 0) acc.begin_second_pass();
  }
  return acc.finalize();
}

void check_same_metrics(const geometry::collapse_metrics& gpu, const geometry::collapse_metrics& cpu) {
  // Both sides accumulate in double; they differ only by summation order, so 1e-10 relative.
  CHECK(rel_diff(gpu.tr_sw_sbpinv, cpu.tr_sw_sbpinv) < 1e-10);
  CHECK(rel_diff(gpu.nc1, cpu.nc1) < 1e-10);
  CHECK(rel_diff(gpu.tr_sw, cpu.tr_sw) < 1e-10);
  CHECK(rel_diff(gpu.tr_sb, cpu.tr_sb) < 1e-10);
  CHECK(gpu.rank == cpu.rank);
  REQUIRE(gpu.cdnv.has_value());
  REQUIRE(cpu.cdnv.has_value());
  CHECK(rel_diff(*gpu.cdnv, *cpu.cdnv) < 1e-10);
  CHECK(rel_diff(gpu.nc2_equinorm, cpu.nc2_equinorm) < 1e-10);
  REQUIRE(gpu.norm_cv.has_value());
  CHECK(rel_diff(*gpu.norm_cv, *cpu.norm_cv) < 1e-8);  // raw-sum CV: a few digits fewer (documented)
}

}  // namespace

TEST_CASE("device reduction equals the CPU accumulator to 1e-10 (both modes, float and double)") {
  const auto device = test_device();
  std::printf("test_torch: device %s\n", device.str().c_str());
  const std::int64_t c = 7, d = 48;
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    const class_data data = make_data(c, d, dtype, device, 1234);
    const at::Tensor x_cpu = data.x.to(torch::kCPU).to(torch::kDouble).contiguous();
    const at::Tensor y_cpu = data.labels.to(torch::kCPU).contiguous();
    const auto xv = libtorch::tensor_view<double>(x_cpu);
    std::vector<std::int64_t> labels(y_cpu.data_ptr<std::int64_t>(), y_cpu.data_ptr<std::int64_t>() + y_cpu.numel());
    geometry::class_scatter_options full;
    const auto cpu = geometry::neural_collapse(geometry::compute_class_scatter(xv, labels, full));
    for (auto mode : {geometry::scatter_mode::full, geometry::scatter_mode::projected}) {
      CAPTURE(static_cast<int>(mode));
      const auto gpu = geometry::neural_collapse(reduce_on_device(data, c, mode, 211));
      check_same_metrics(gpu, cpu);
    }
  }
}

TEST_CASE("NCC on the device agrees with the CPU nearest_class_centre") {
  const auto device = test_device();
  const std::int64_t c = 5, d = 16;
  const class_data data = make_data(c, d, torch::kDouble, device, 99);
  libtorch::device_class_scatter acc(c, d, geometry::scatter_mode::projected, device);
  acc.update(data.x, data.labels);
  acc.begin_second_pass();
  acc.update(data.x, data.labels);
  const auto s = acc.finalize();
  const at::Tensor predictions = data.labels.clone();
  const auto counts = libtorch::ncc_on_device(acc, data.x, data.labels, predictions);
  const at::Tensor x_cpu = data.x.to(torch::kCPU).contiguous();
  const auto ncc = geometry::nearest_class_centre(s, libtorch::tensor_view<double>(x_cpu));
  const at::Tensor y_cpu = data.labels.to(torch::kCPU).contiguous();
  std::int64_t agree = 0;
  for (std::size_t i = 0; i < ncc.size(); ++i) agree += ncc[i] == y_cpu.data_ptr<std::int64_t>()[i] ? 1 : 0;
  CHECK(counts.agree_with_labels == agree);
  CHECK(counts.agree_with_predictions == agree);  // predictions == labels here
  CHECK(counts.n == data.x.size(0));
}

TEST_CASE("tensor_view is zero-copy and rejects bad tensors with clear errors") {
  const at::Tensor t = torch::arange(12, torch::kDouble).reshape({4, 3});
  const libtorch::tensor_view<double> v(t);
  CHECK(v.view().data() == t.data_ptr<double>());
  CHECK(v.view().rows() == 4);
  CHECK(v.view()(2, 1) == 7.0);
  // Estimators take the view directly (make_view found by ADL).
  const at::Tensor g = torch::randn({500, 2}, torch::kDouble);
  const auto h = entropy::kozachenko_leonenko(libtorch::tensor_view<double>(g));
  CHECK(std::abs(h.value - std::log(2.0 * pi * std::exp(1.0))) < 0.25);  // N(0, I_2): h = log(2 pi e)

  CHECK_THROWS_WITH_AS(libtorch::tensor_view<double>{t.t()}, doctest::Contains("must be contiguous"),
                       infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::tensor_view<float>{t}, doctest::Contains("dtype must be Float"),
                       infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::tensor_view<double>{torch::zeros({2, 2, 2}, torch::kDouble)},
                       doctest::Contains("1-D or 2-D"), infogeo::invalid_argument);
  CHECK_THROWS_AS(libtorch::tensor_view<double>{at::Tensor()}, infogeo::invalid_argument);
  if (torch::cuda::is_available()) {
    CHECK_THROWS_WITH_AS(libtorch::tensor_view<double>{t.to(torch::kCUDA)}, doctest::Contains("must live on the CPU"),
                         infogeo::invalid_argument);
  }
}

TEST_CASE("device_class_scatter rejects bad input") {
  const auto device = test_device();
  libtorch::device_class_scatter acc(3, 4, geometry::scatter_mode::projected, device);
  const auto opts = torch::TensorOptions().device(device);
  CHECK_THROWS_WITH_AS(acc.update(torch::zeros({5, 3}, opts), torch::zeros({5}, opts.dtype(torch::kLong))),
                       doctest::Contains("N x D with D=4"), infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(acc.update(torch::zeros({5, 4}, opts), torch::zeros({4}, opts.dtype(torch::kLong))),
                       doctest::Contains("one entry per row"), infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(acc.update(torch::zeros({2, 4}, opts), torch::tensor({0, 3}, opts.dtype(torch::kLong))),
                       doctest::Contains("labels must lie in [0, num_classes)"), infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(acc.update(torch::zeros({2, 4}, opts), torch::zeros({2}, opts)),
                       doctest::Contains("labels must be integers"), infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(acc.finalize(), doctest::Contains("begin_second_pass"), infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(acc.begin_second_pass(), doctest::Contains("no sample"), infogeo::invalid_argument);
  // Pass 2 with a different number of samples than pass 1.
  const at::Tensor x = torch::randn({6, 4}, opts.dtype(torch::kDouble));
  const at::Tensor y = torch::tensor({0, 1, 2, 0, 1, 2}, opts.dtype(torch::kLong));
  acc.update(x, y);
  acc.begin_second_pass();
  acc.update(x.slice(0, 0, 3), y.slice(0, 0, 3));
  CHECK_THROWS_WITH_AS(acc.finalize(), doctest::Contains("different number of samples"), infogeo::invalid_argument);
}
