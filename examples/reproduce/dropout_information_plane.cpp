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
// --noise selects the dropout layers trained (comma list; default all three):
//   gaussian     the above, one network per --sigma2;
//   bernoulli    binary dropout Z = f(X) o B / p, B_i ~ Bernoulli(p) (keep probability --keep-p), where
//                I(X;Z) = +inf (Thm 3.1 / 3.2): the library refuses noise=bernoulli (recorded), and the
//                two ways of misusing the noisy-mixture estimator are recorded with their verdicts: as
//                Gaussian dropout of matched variance (1 - p)/p on f(x), and on the masked samples as
//                centres (tiny Gaussian sigma, zeros as point masses); with X uniform over the N inputs
//                I(X;Z) = log N - E_B H(X | f_B(X)) (Monte Carlo over masks), (1 - (1 - p)^D) log N when
//                no two inputs share a value of f_i (Z then names its input unless every unit is
//                dropped): unbounded as N grows; at the last epoch the masked misuse is repeated at
//                N/8, N/4, N/2 to show it tracks log N;
//   information  information dropout (Achille & Soatto 2018; Sec. 3.2, App. A.1 eqs. 5-7): the 32-unit
//                layer is infogeo::libtorch::InformationDropout (softplus, log-normal noise with learned
//                alpha(x) <= sqrt(0.7), log-normal prior), trained with l_CE + beta KL (one network per
//                --beta); I(X;Z) by the KL estimate (ixz_kl, a variational upper bound) as the paper
//                tracks it, I(Z;Y) by H(Y) - l_CE (their variational estimate) beside EDGE and binning.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/edge.hpp"
#include "infogeo/torch/information_dropout.hpp"

namespace {

enum class noise_mode { gaussian, bernoulli, information };

struct NetImpl : torch::nn::Module {
  /// param: the Gaussian noise sd (gaussian), the keep probability p (bernoulli); unused (information).
  NetImpl(noise_mode kind, double param)
      : fc1(register_module("fc1", torch::nn::Linear(784, 512))),
        fc2(register_module("fc2", torch::nn::Linear(512, 128))),
        head(register_module("head", torch::nn::Linear(32, 10))),
        mode(kind),
        sigma(kind == noise_mode::gaussian ? param : 0.0),
        keep(kind == noise_mode::bernoulli ? param : 1.0) {
    if (kind == noise_mode::information)
      info = register_module("info", infogeo::libtorch::InformationDropout(128, 32));
    else
      fc3 = register_module("fc3", torch::nn::Linear(128, 32));
  }
  torch::Tensor hidden(const torch::Tensor& x) {
    return torch::nn::functional::softplus(fc2->forward(torch::nn::functional::softplus(fc1->forward(x.flatten(1)))));
  }
  /// Clean dropout-layer input f(x): softplus > 0, so Gaussian dropout has a density everywhere.
  torch::Tensor f(const torch::Tensor& x) {
    const auto h = hidden(x);
    return mode == noise_mode::information ? info->clean(h) : torch::nn::functional::softplus(fc3->forward(h));
  }
  /// Gaussian or Bernoulli (inverted: E Z = f) dropout of f(x).
  torch::Tensor noisy(const torch::Tensor& fx) {
    if (mode == noise_mode::bernoulli) return fx * torch::bernoulli(torch::full_like(fx, keep)) / keep;
    return fx * (1.0 + sigma * torch::randn_like(fx));
  }
  torch::nn::Linear fc1, fc2, fc3{nullptr}, head;
  infogeo::libtorch::InformationDropout info{nullptr};
  noise_mode mode;
  double sigma, keep;
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

/// I(X;Z) of Bernoulli dropout for X uniform over the N rows of f (D units, keep p, f > 0 so that Z
/// shows the mask): I = log N - E_B H(X | f_B(X)), where f_B keeps the columns with B_i = 1 and
/// H(X | f_B(X)) = sum_g (|g| / N) log |g| over the groups g of rows equal on the kept columns. Without
/// ties in any column every group is a single row unless all units are dropped, so the value is
/// (1 - (1 - p)^D) log N: it grows without bound with N (Thm 3.1's I(X;Z) = +inf for continuous X).
/// The expectation over the 2^D masks is taken by Monte Carlo over `masks` draws (seeded); SEM in `se`.
double bernoulli_uniform_mi(const infogeo::row_matrix<double>& f, double p, int masks, std::uint64_t seed, double& se) {
  const auto n = static_cast<std::size_t>(f.rows());
  const auto d = static_cast<std::size_t>(f.cols());
  infogeo::random_engine rng(seed);
  std::vector<double> h(static_cast<std::size_t>(masks));
  std::vector<std::size_t> order(n);
  std::vector<char> keep(d);
  for (std::size_t t = 0; t < h.size(); ++t) {
    for (auto& k : keep) k = rng.uniform() < p ? 1 : 0;
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    const auto less = [&](std::size_t a, std::size_t b) {
      for (std::size_t j = 0; j < d; ++j)
        if (keep[j] && f(static_cast<infogeo::index_t>(a), static_cast<infogeo::index_t>(j)) !=
                           f(static_cast<infogeo::index_t>(b), static_cast<infogeo::index_t>(j)))
          return f(static_cast<infogeo::index_t>(a), static_cast<infogeo::index_t>(j)) <
                 f(static_cast<infogeo::index_t>(b), static_cast<infogeo::index_t>(j));
      return false;
    };
    std::sort(order.begin(), order.end(), less);
    double acc = 0.0;
    for (std::size_t i = 0; i < n;) {
      std::size_t e = i + 1;
      while (e < n && !less(order[i], order[e])) ++e;
      const double g = static_cast<double>(e - i);
      acc += g * std::log(g);
      i = e;
    }
    h[t] = acc / static_cast<double>(n);
  }
  double mean = 0.0, var = 0.0;
  for (double v : h) mean += v / static_cast<double>(h.size());
  for (double v : h) var += (v - mean) * (v - mean) / static_cast<double>(h.size() > 1 ? h.size() - 1 : 1);
  se = std::sqrt(var / static_cast<double>(h.size()));
  return std::log(static_cast<double>(n)) - mean;
}

struct network_spec {
  noise_mode mode;
  double param;  // sigma^2 (gaussian), keep p (bernoulli), beta (information)
  std::string name;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const repro::options o(argc, argv,
                           {{"out", "out_dropout_information_plane"}, {"data", ""}, {"smoke", "false"},
                            {"noise", "gaussian,bernoulli,information"}, {"sigma2", "0.2,0.4"}, {"keep-p", "0.5"},
                            {"beta", "0.01,0.1"}, {"epochs", "10"}, {"n-train", "60000"}, {"n-test", "10000"},
                            {"batch", "128"}, {"lr", "1e-3"}, {"mi-samples", "2000"}, {"draws", "10"},
                            {"bins", "30"}, {"seed", "1"}},
                           "dropout_information_plane: seed paper 002, Gaussian / Bernoulli / information dropout "
                           "FC networks on Fashion-MNIST");
    const bool smoke = o.flag("smoke");
    auto I = [&](const char* k, long long smoke_value) { return smoke ? smoke_value : o.integer(k); };
    const std::string out = o.str("out");
    std::filesystem::create_directories(out);
    // The networks to train, in order: every --noise mode times its parameter list.
    std::vector<network_spec> specs;
    {
      std::string modes = o.str("noise") + ",";
      for (std::size_t pos = 0, e; (e = modes.find(',', pos)) != std::string::npos; pos = e + 1) {
        const std::string m = modes.substr(pos, e - pos);
        char name[64];
        if (m == "gaussian") {
          for (double s2 : o.reals("sigma2")) {
            std::snprintf(name, sizeof name, "sigma2_%g", s2);
            specs.push_back({noise_mode::gaussian, s2, name});
          }
        } else if (m == "bernoulli") {
          const double p = o.real("keep-p");
          if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("--keep-p must lie in (0, 1) (keep-p=" + o.str("keep-p") + ")");
          std::snprintf(name, sizeof name, "bernoulli_p_%g", p);
          specs.push_back({noise_mode::bernoulli, p, name});
        } else if (m == "information") {
          for (double b : o.reals("beta")) {
            if (!(b >= 0.0)) throw std::invalid_argument("--beta must be >= 0 (beta=" + o.str("beta") + ")");
            std::snprintf(name, sizeof name, "information_beta_%g", b);
            specs.push_back({noise_mode::information, b, name});
          }
        } else {
          throw std::invalid_argument("--noise takes gaussian|bernoulli|information, comma-separated (noise=" +
                                      o.str("noise") + ")");
        }
      }
    }
    const torch::Device device = repro::pick_device();
    std::fprintf(stderr, "dropout_information_plane: device %s%s\n", device.str().c_str(), smoke ? " (smoke)" : "");
    const auto data = repro::load_fashion_mnist(repro::data_dir(o.str("data")), I("n-train", 400), I("n-test", 200),
                                                device);
    const long long epochs = I("epochs", 1), batch = o.integer("batch"), mi_samples = I("mi-samples", 200);
    repro::csv_writer csv(out + "/metrics.csv", true);
    std::ofstream timing(out + "/timing.csv");
    timing << "network,epoch,train_seconds,metric_seconds\n";
    for (const network_spec& spec : specs) {
      const char* name = spec.name.c_str();
      torch::manual_seed(o.integer("seed"));
      Net net(spec.mode, spec.mode == noise_mode::gaussian ? std::sqrt(spec.param) : spec.param);
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
          const auto xb = data.x_train.index_select(0, idx);
          torch::Tensor loss;
          if (spec.mode == noise_mode::information) {
            // Achille & Soatto's objective: l_CE + beta KL(p(z|x) || prior) (paper 002 Sec. 4, App. A.1).
            const auto io = net->info->forward(net->hidden(xb));
            loss = torch::nn::functional::cross_entropy(net->head->forward(io.z), data.y_train.index_select(0, idx)) +
                   spec.param * io.kl.mean();
          } else {
            loss = torch::nn::functional::cross_entropy(net->head->forward(net->noisy(net->f(xb))),
                                                        data.y_train.index_select(0, idx));
          }
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
          torch::Tensor fx, z;
          if (spec.mode == noise_mode::information) {
            const auto h = net->hidden(x.slice(0, 0, m));
            const auto io = net->info->forward(h);
            z = io.z;
            fx = net->info->clean(h);
            // I(X;Z) as the paper tracks it for information dropout: the mean KL (eq. 7) over the m inputs.
            const auto ixz = infogeo::libtorch::information_dropout_ixz(io.kl);
            csv.row(epoch, "dropout", split, "ixz_kl", ixz.value, name);
            csv.row(epoch, "dropout", split, "ixz_kl_se", ixz.std_error.value_or(0.0), name);
            csv.row(epoch, "dropout", split, "alpha_mean", io.alpha.mean().item<double>(), name);
            csv.row(epoch, "dropout", split, "beta", spec.param, name);
          } else {
            fx = net->f(x.slice(0, 0, m));
            z = net->noisy(fx);
          }
          const auto logits = net->head->forward(z);
          const auto labels = repro::to_labels(y.slice(0, 0, m));
          const double ce = torch::nn::functional::cross_entropy(logits, y.slice(0, 0, m)).item<double>();
          const double hy = label_entropy(labels);
          csv.row(epoch, "output", split, "accuracy", (logits.argmax(1) == y.slice(0, 0, m)).to(torch::kDouble).mean().item<double>(), name);
          csv.row(epoch, "dropout", split, "I(Z;Y)_bound_HY_minus_CE", hy - ce, name);
          csv.row(epoch, "dropout", split, "H(Y)", hy, name);
          csv.row(epoch, "dropout", split, "log_N_ceiling", std::log(static_cast<double>(m)), name);
          const infogeo::row_matrix<double> fm = repro::to_matrix(fx);
          if (spec.mode == noise_mode::gaussian) {
            // I(X;Z): the Gaussian-dropout mixture (Sec. 4), on the clean f(x) of the m inputs.
            infogeo::entropy::noisy_options no;
            no.noise = infogeo::entropy::noise_kind::dropout;
            no.sigma = std::sqrt(spec.param);
            no.draws = o.integer("draws");
            no.seed = static_cast<std::uint64_t>(epoch);
            const auto ixz = infogeo::mi::noisy_mutual_information(fm, no);
            csv.row(epoch, "dropout", split, "I(X;Z)_noisy_mixture", ixz.value, name);
            csv.row(epoch, "dropout", split, "I(X;Z)_noisy_mixture_se", ixz.std_error.value_or(0.0), name);
            csv.row(epoch, "dropout", split, "noisy_mixture_status_ok", ixz.status == infogeo::verdict_status::ok ? 1.0 : 0.0,
                    name);
          } else if (spec.mode == noise_mode::bernoulli) {
            const double p = spec.param;
            // The library refuses binary dropout (no density: Thm 3.1 / 3.2).
            infogeo::entropy::noisy_options no;
            no.noise = infogeo::entropy::noise_kind::bernoulli;
            double refused = 0.0;
            try {
              (void)infogeo::mi::noisy_mutual_information(fm, no);
            } catch (const infogeo::invalid_argument& e) {
              refused = 1.0;
              if (epoch == 1 && split == "train") std::fprintf(stderr, "%s: %s\n", name, e.what());
            }
            csv.row(epoch, "dropout", split, "noisy_mixture_refused_bernoulli", refused, name);
            // I(X;Z) for X uniform over the m inputs (Monte Carlo over 256 masks): ~log N, unbounded in N.
            double se = 0.0;
            const double iu = bernoulli_uniform_mi(fm, p, 256, static_cast<std::uint64_t>(epoch), se);
            csv.row(epoch, "dropout", split, "I(X;Z)_bernoulli_uniform_inputs", iu, name);
            csv.row(epoch, "dropout", split, "I(X;Z)_bernoulli_uniform_inputs_se", se, name);
            // Misuse 1: Gaussian dropout of matched variance (1 - p) / p on f(x): a finite number about
            // another network.
            no.noise = infogeo::entropy::noise_kind::dropout;
            no.sigma = std::sqrt((1.0 - p) / p);
            no.draws = o.integer("draws");
            no.seed = static_cast<std::uint64_t>(epoch);
            const auto sur = infogeo::mi::noisy_mutual_information(fm, no);
            csv.row(epoch, "dropout", split, "I(X;Z)_misuse_gaussian_surrogate", sur.value, name);
            csv.row(epoch, "dropout", split, "misuse_gaussian_surrogate_status_ok",
                    sur.status == infogeo::verdict_status::ok ? 1.0 : 0.0, name);
            // Misuse 2: the masked samples z = f b / p as centres, tiny Gaussian noise on the kept units,
            // dropped units as point masses: every sample its own mask pattern -> log N.
            const infogeo::row_matrix<double> zm = repro::to_matrix(z);
            infogeo::entropy::noisy_options mo;
            mo.noise = infogeo::entropy::noise_kind::dropout;
            mo.sigma = 1e-3;
            mo.zeros = infogeo::entropy::zero_policy::deterministic;
            mo.draws = o.integer("draws");
            mo.seed = static_cast<std::uint64_t>(epoch);
            const bool last = epoch == epochs;
            for (long long k : {8LL, 4LL, 2LL, 1LL}) {
              if (k > 1 && !last) continue;  // the sample-size sweep only at the last epoch
              const long long mk = m / k;
              if (mk < 2) continue;
              const auto mis = infogeo::mi::noisy_mutual_information(zm.topRows(mk), mo);
              const std::string suffix = k == 1 ? "" : "_N" + std::to_string(mk);
              csv.row(epoch, "dropout", split, "I(X;Z)_misuse_masked" + suffix, mis.value, name);
              csv.row(epoch, "dropout", split, "misuse_masked_status_ok" + suffix,
                      mis.status == infogeo::verdict_status::ok ? 1.0 : 0.0, name);
              if (k > 1)
                csv.row(epoch, "dropout", split, "log_N_ceiling" + suffix, std::log(static_cast<double>(mk)), name);
            }
          }
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
