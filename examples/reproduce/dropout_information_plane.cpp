// Reproduction (partial) of "Information plane analysis for dropout neural networks" (seed paper 002;
// docs/reproduce/dropout_information_plane.md) on Fashion-MNIST.
//
// Their fully connected network 784-512-128-32-10 with softplus activations (Sec. 5) and Gaussian
// dropout Z = f(X) o D, D ~ N(1, sigma^2 I), on the last hidden layer (their "penultimate" layer),
// sigma^2 in {0.2, 0.4} (Sec. 5, App. Fig. 14/15), one network each. Per epoch and split:
//   I(X;Z)  noisy-representation estimator (Sec. 4: Gaussian mixture with MC h(Z|X);
//           infogeo::mi::noisy_mutual_information, dropout noise) on mi-samples inputs: never above its
//           log N ceiling, reported next to it;
//   I(Z;Y)  EDGE (Noshad, Zeng & Hero 2019; infogeo::mi::edge_labels), the paper's estimator (Sec. 5),
//           on one noisy draw of Z with the class labels, next to the variational lower bound
//           H(Y) - l_CE with the network's own classifier head as q(y|z) (noise on, as trained);
//   binning plane of the same layer (Shwartz-Ziv & Tishby style, 30 bins per coordinate of one noisy
//           draw): I(X;Z)_bin = H(bin(Z)), I(Z;Y)_bin = plug-in MI of bin(Z) and Y.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/edge.hpp"

namespace {

struct NetImpl : torch::nn::Module {
  explicit NetImpl(double noise_sd)
      : fc1(register_module("fc1", torch::nn::Linear(784, 512))),
        fc2(register_module("fc2", torch::nn::Linear(512, 128))),
        fc3(register_module("fc3", torch::nn::Linear(128, 32))),
        head(register_module("head", torch::nn::Linear(32, 10))),
        sigma(noise_sd) {}
  /// Clean dropout-layer input f(x): softplus > 0, so Gaussian dropout has a density everywhere.
  torch::Tensor f(const torch::Tensor& x) {
    const auto h = torch::nn::functional::softplus(fc2->forward(torch::nn::functional::softplus(fc1->forward(x.flatten(1)))));
    return torch::nn::functional::softplus(fc3->forward(h));
  }
  torch::Tensor noisy(const torch::Tensor& fx) { return fx * (1.0 + sigma * torch::randn_like(fx)); }
  torch::nn::Linear fc1, fc2, fc3, head;
  double sigma;
};
TORCH_MODULE(Net);

double label_entropy(const std::vector<std::int64_t>& y) {
  std::vector<double> c(10, 0.0);
  for (auto v : y) c[static_cast<std::size_t>(v)] += 1.0;
  double h = 0.0;
  for (double v : c)
    if (v > 0) h -= v / static_cast<double>(y.size()) * std::log(v / static_cast<double>(y.size()));
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const repro::options o(argc, argv,
                           {{"out", "out_dropout_information_plane"}, {"data", ""}, {"smoke", "false"},
                            {"sigma2", "0.2,0.4"}, {"epochs", "10"}, {"n-train", "60000"}, {"n-test", "10000"},
                            {"batch", "128"}, {"lr", "1e-3"}, {"mi-samples", "2000"}, {"draws", "10"},
                            {"bins", "30"}, {"seed", "1"}},
                           "dropout_information_plane: seed paper 002, Gaussian-dropout FC network on Fashion-MNIST");
    const bool smoke = o.flag("smoke");
    auto I = [&](const char* k, long long smoke_value) { return smoke ? smoke_value : o.integer(k); };
    const std::string out = o.str("out");
    std::filesystem::create_directories(out);
    const torch::Device device = repro::pick_device();
    std::fprintf(stderr, "dropout_information_plane: device %s%s\n", device.str().c_str(), smoke ? " (smoke)" : "");
    const auto data = repro::load_fashion_mnist(repro::data_dir(o.str("data")), I("n-train", 400), I("n-test", 200),
                                                device);
    const long long epochs = I("epochs", 1), batch = o.integer("batch"), mi_samples = I("mi-samples", 200);
    repro::csv_writer csv(out + "/metrics.csv", true);
    std::ofstream timing(out + "/timing.csv");
    timing << "network,epoch,train_seconds,metric_seconds\n";
    for (double s2 : o.reals("sigma2")) {
      char name[64];
      std::snprintf(name, sizeof name, "sigma2_%g", s2);
      torch::manual_seed(o.integer("seed"));
      Net net(std::sqrt(s2));
      net->to(device);
      torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.real("lr")));
      const long long n = data.x_train.size(0);
      for (long long epoch = 1; epoch <= epochs; ++epoch) {
        repro::sync(device);
        const auto t0 = repro::clock::now();
        net->train();
        const auto perm = torch::randperm(n, torch::TensorOptions().device(device).dtype(torch::kLong));
        for (long long s = 0; s < n; s += batch) {
          const auto idx = perm.slice(0, s, std::min(n, s + batch));
          const auto logits = net->head->forward(net->noisy(net->f(data.x_train.index_select(0, idx))));
          auto loss = torch::nn::functional::cross_entropy(logits, data.y_train.index_select(0, idx));
          opt.zero_grad();
          loss.backward();
          opt.step();
        }
        repro::sync(device);
        const double train_seconds = repro::seconds_since(t0);
        const auto t1 = repro::clock::now();
        torch::NoGradGuard no_grad;
        for (const std::string split : {"train", "test"}) {
          const auto& x = split == "train" ? data.x_train : data.x_test;
          const auto& y = split == "train" ? data.y_train : data.y_test;
          const long long m = std::min<long long>(mi_samples, x.size(0));
          const auto fx = net->f(x.slice(0, 0, m));
          const auto z = net->noisy(fx);
          const auto logits = net->head->forward(z);
          const auto labels = repro::to_labels(y.slice(0, 0, m));
          const double ce = torch::nn::functional::cross_entropy(logits, y.slice(0, 0, m)).item<double>();
          const double hy = label_entropy(labels);
          csv.row(epoch, "output", split, "accuracy", (logits.argmax(1) == y.slice(0, 0, m)).to(torch::kDouble).mean().item<double>(), name);
          csv.row(epoch, "dropout", split, "I(Z;Y)_bound_HY_minus_CE", hy - ce, name);
          csv.row(epoch, "dropout", split, "H(Y)", hy, name);
          // I(X;Z): the Gaussian-dropout mixture (Sec. 4), on the clean f(x) of the m inputs.
          infogeo::entropy::noisy_options no;
          no.noise = infogeo::entropy::noise_kind::dropout;
          no.sigma = std::sqrt(s2);
          no.draws = o.integer("draws");
          no.seed = static_cast<std::uint64_t>(epoch);
          const auto ixz = infogeo::mi::noisy_mutual_information(repro::to_matrix(fx), no);
          csv.row(epoch, "dropout", split, "I(X;Z)_noisy_mixture", ixz.value, name);
          csv.row(epoch, "dropout", split, "I(X;Z)_noisy_mixture_se", ixz.std_error.value_or(0.0), name);
          csv.row(epoch, "dropout", split, "log_N_ceiling", std::log(static_cast<double>(m)), name);
          csv.row(epoch, "dropout", split, "noisy_mixture_status_ok", ixz.status == infogeo::verdict_status::ok ? 1.0 : 0.0,
                  name);
          const infogeo::row_matrix<double> zm = repro::to_matrix(z);
          // EDGE with the library defaults: the 32 coordinates are hashed through 4 p-stable projections
          // (its edge_dimension verdict then fires: recorded as edge_status_ok = 0).
          infogeo::mi::edge_options eo;
          eo.seed = static_cast<std::uint64_t>(epoch);
          const auto izy = infogeo::mi::edge_labels(zm, labels, eo);
          csv.row(epoch, "dropout", split, "I(Z;Y)_edge", izy.value, name);
          csv.row(epoch, "dropout", split, "edge_status_ok", izy.status == infogeo::verdict_status::ok ? 1.0 : 0.0, name);
          // Binning plane of one noisy draw.
          infogeo::mi::binning_options bo;
          bo.bins = o.integer("bins");
          csv.row(epoch, "dropout", split, "I(X;Z)_binning", infogeo::mi::binned_entropy(zm, bo).value, name);
          csv.row(epoch, "dropout", split, "I(Z;Y)_binning",
                  infogeo::mi::binned_mutual_information_labels(zm, labels, bo).value, name);
        }
        const double metric_seconds = repro::seconds_since(t1);
        timing << name << ',' << epoch << ',' << train_seconds << ',' << metric_seconds << '\n';
        std::fprintf(stderr, "%s epoch %lld: train %.2f s, metrics %.2f s\n", name, epoch, train_seconds, metric_seconds);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropout_information_plane: error: %s\n", e.what());
    return 2;
  }
}
