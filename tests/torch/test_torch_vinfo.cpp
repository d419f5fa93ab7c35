// Tests of infogeo/torch/vinfo_decoder.hpp: a LibTorch module factory as a V-information decoder
// family, against the CPU linear family on a linear-Gaussian case (sufficiency and minimality), a
// CNN decoder on images, determinism, bad input. CPU tensors in CI (the device is an option).
#include "infogeo/torch/vinfo_decoder.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/synthetic/image_embeddings.hpp"
#include "infogeo/vinfo/linear_decoder.hpp"
#include "infogeo/vinfo/minimality.hpp"
#include "infogeo/vinfo/sufficiency.hpp"

using namespace infogeo;

namespace {

c10::Device test_device() { return at::hasCUDA() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU); }

/// Gaussian classes with shared identity covariance (class c shifts coordinate c by `scale`): the
/// Bayes posterior is a softmax of an affine map, so the linear family contains it.
void gaussian_classes(index_t n, index_t d, int c, double scale, std::uint64_t seed, row_matrix<double>& x,
                      std::vector<std::int64_t>& y) {
  random_engine rng(seed);
  x.resize(n, d);
  y.resize(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::int64_t>(rng.uniform_index(static_cast<std::uint64_t>(c)));
    y[static_cast<std::size_t>(i)] = label;
    for (index_t j = 0; j < d; ++j) x(i, j) = rng.normal() + (j == label ? scale : 0.0);
  }
}

libtorch::torch_decoder_options linear_options() {
  libtorch::torch_decoder_options o;
  o.dtype = at::kDouble;
  o.learning_rate = 0.02;
  o.batch_size = 256;
  o.max_epochs = 400;
  o.patience = 20;
  o.min_improvement = 1e-5;
  o.device = test_device();
  return o;
}

}  // namespace

TEST_CASE("torch linear decoder family: sufficiency and minimality match the CPU linear family") {
  // Sufficiency, hold-out (same split for both: the split derives from options.seed). Both families
  // contain the Bayes posterior; the CPU one is solved to optimality (l2 = 1e-4), the torch one by
  // Adam with early stopping on 10 % of the training rows. The held-out CE of two decoders near the
  // same optimum differs by O(|theta - theta*|^2): tolerance 0.01 nats (measured 0.0013; the
  // estimator's own standard error here is ~0.015).
  row_matrix<double> x;
  std::vector<std::int64_t> y;
  gaussian_classes(3000, 3, 3, 1.8, 5, x, y);
  vinfo::sufficiency_options so;
  so.seed = 7;
  const auto cpu = vinfo::sufficiency(vinfo::view_of(x), y, vinfo::linear_softmax_family(), so);
  const libtorch::torch_decoder_family fam(libtorch::linear_factory(), linear_options(), "torch_linear");
  const auto dev = vinfo::sufficiency(vinfo::view_of(x), y, fam, so);
  MESSAGE("sufficiency: CPU linear ", cpu.value, " (train ", cpu.value_train, "), torch linear ", dev.value,
          " (train ", dev.value_train, "), epochs ", dev.fits.at(0).iterations);
  CHECK(std::abs(dev.value - cpu.value) < 0.01);
  CHECK(std::abs(dev.value_train - cpu.value_train) < 0.01);
  CHECK(dev.decoder == "torch_linear");
  CHECK(dev.ok());  // converged (patience), no overfitting

  // Minimality (in-sample fits of the digits of the within-class index), C = 3, classes of 27:
  // h_digits one-hot-encodes the 3 digits (the linear family reads each: value -> log 3 as the
  // weights grow), h_class is the class plus 1-D noise (value ~ (C-1)/(2 n_c) ~ 0.04). Adam
  // approaches the unpenalised optimum more slowly than L-BFGS: tolerance 0.01 nats (measured:
  // 1.09717 vs 1.09731 and 0.02522 vs 0.02520).
  const int c = 3, per = 27;
  std::vector<std::int64_t> yl;
  for (int i = 0; i < per; ++i)
    for (int k = 0; k < c; ++k) yl.push_back(k);
  const index_t n = static_cast<index_t>(yl.size());
  row_matrix<double> h_digits = row_matrix<double>::Zero(n, 9), h_class = row_matrix<double>::Zero(n, 4);
  random_engine rng(41);
  for (index_t r = 0; r < n; ++r) {
    int rest = static_cast<int>(r) / c;
    for (int d = 0; d < 3; ++d, rest /= 3) h_digits(r, 3 * d + rest % 3) = 1.0;
    h_class(r, yl[static_cast<std::size_t>(r)]) = 1.0;
    h_class(r, 3) = rng.normal();
  }
  libtorch::torch_decoder_options mo = linear_options();
  mo.learning_rate = 0.1;
  mo.max_epochs = 500;
  const libtorch::torch_decoder_family mfam(libtorch::linear_factory(), mo);
  for (const row_matrix<double>* h : {&h_digits, &h_class}) {
    const auto mc = vinfo::minimality(vinfo::view_of(*h), yl, vinfo::linear_softmax_family());
    const auto md = vinfo::minimality(vinfo::view_of(*h), yl, mfam);
    MESSAGE("minimality: CPU linear ", mc.value, ", torch linear ", md.value);
    CHECK(std::abs(md.value - mc.value) < 0.01);
    CHECK(md.value >= -1e-9);
    CHECK(md.value <= std::log(3.0) + 1e-9);
  }
}

TEST_CASE("torch decoder family: a CNN decoder on images, determinism, bad input") {
  // 8 x 8 Gaussian-bump images; the class is the quadrant of the bump centre (4 classes). "The
  // decoder is the rest of the network": a small CNN reads the flat features through a reshape.
  const index_t n = 600;
  random_engine rng(3);
  row_matrix<double> lat(n, 2);
  std::vector<std::int64_t> y(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    lat(i, 0) = 0.02 + 0.96 * rng.uniform();
    lat(i, 1) = 0.02 + 0.96 * rng.uniform();
    y[static_cast<std::size_t>(i)] = (lat(i, 0) > 0.5 ? 1 : 0) + (lat(i, 1) > 0.5 ? 2 : 0);
  }
  const row_matrix<double> img = synthetic::render_gaussian_bumps(lat, 8);
  const libtorch::module_factory cnn = [](std::int64_t, std::int64_t c) {
    namespace nn = torch::nn;
    nn::Sequential s;
    s->push_back(nn::Functional([](const at::Tensor& t) { return t.view({t.size(0), 1, 8, 8}); }));
    s->push_back(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)));
    s->push_back(nn::ReLU());
    s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    s->push_back(nn::Flatten());
    s->push_back(nn::Linear(4 * 4 * 4, c));
    return s;
  };
  libtorch::torch_decoder_options o;
  o.learning_rate = 1e-2;
  o.max_epochs = 60;
  o.device = test_device();
  const libtorch::torch_decoder_family fam(cnn, o, "cnn");
  vinfo::sufficiency_options so;
  so.seed = 2;
  const auto r = vinfo::sufficiency(vinfo::view_of(img), y, fam, so);
  MESSAGE("CNN sufficiency ", r.value, " of H(y) = ", r.label_entropy);
  // The quadrant is a deterministic function of the image except near the borders (bump width 1
  // pixel of 8): most of H(y) ~ log 4 = 1.39 is usable; ask for more than half.
  CHECK(r.value > 0.5 * r.label_entropy);
  CHECK(r.value <= r.label_entropy);
  const auto again = vinfo::sufficiency(vinfo::view_of(img), y, fam, so);
  if (!at::hasCUDA()) CHECK(again.value == r.value);  // bit-identical on the CPU for a seed
  // Bad input: options, an empty factory, a module with the wrong output width.
  libtorch::torch_decoder_options bad;
  bad.learning_rate = -1.0;
  CHECK_THROWS_WITH_AS(libtorch::torch_decoder_family(libtorch::linear_factory(), bad),
                       doctest::Contains("learning_rate must be > 0"), invalid_argument);
  bad = {};
  bad.validation_fraction = 1.0;
  CHECK_THROWS_WITH_AS(libtorch::torch_decoder_family(libtorch::linear_factory(), bad),
                       doctest::Contains("validation_fraction"), invalid_argument);
  bad = {};
  bad.dtype = at::kInt;
  CHECK_THROWS_WITH_AS(libtorch::torch_decoder_family(libtorch::linear_factory(), bad), doctest::Contains("dtype"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(libtorch::torch_decoder_family(libtorch::module_factory{}), doctest::Contains("callable"),
                       invalid_argument);
  const libtorch::torch_decoder_family wide(
      [](std::int64_t d, std::int64_t c) { return torch::nn::Sequential(torch::nn::Linear(d, c + 1)); });
  CHECK_THROWS_WITH_AS(wide.fit(vinfo::view_of(img), y, 4), doctest::Contains("N x num_classes"), invalid_argument);
  std::vector<std::int64_t> out_of_range = y;
  out_of_range[5] = 7;
  CHECK_THROWS_AS(fam.fit(vinfo::view_of(img), out_of_range, 4), invalid_argument);
}
