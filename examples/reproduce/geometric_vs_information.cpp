// Reproduction of "Geometric and information compression of representations in deep learning"
// (seed paper 000; docs/reproduce/geometric_vs_information.md).
//
// Part 1 (CPU, no network): the toy model of App. D / Fig. 1. Class centroids mu_y ~ N(0, I_2),
// encoder means mu(x) ~ N(mu_y, sigma_z^2 I), representation Z = mu(x) + N(0, sigma_n^2 I). Over a
// sigma_z^2 x sigma_n^2 grid, NC of eq. 3 (the CDNV) averaged over `trials` draws, against the
// closed form I(X;Z|Y) = log(1 + sigma_z^2 / sigma_n^2) (eq. 10). -> toy_grid.csv
//
// Part 2 (LibTorch): an MLP on Fashion-MNIST with a Gaussian-dropout layer Z = f(X) o D,
// D ~ N(1, sigma^2 I) (Sec. 3), optionally with the NC regulariser -lambda tanh(alpha NC) of
// Sec. 3.3 (one network per lambda). Per epoch and split: NC (eq. 3) of Z, accuracy, and I(X;Z) by
// the difference-of-entropies estimator (Sec. 3.1) trained with the contrastive objective of
// eq. 9 on K dropout views per input (infogeo::mi::doe_mutual_information with groups). After
// training: the pooled rank correlation of App. C.1 between I(X;Z) and NC (experiments = networks,
// points = epochs). -> metrics.csv (epoch, layer, split, metric, value, network), timing.csv
//
// Since Z depends on X only through f(X), I(X;Z) = I(f(X);Z): the DoE conditional density is fitted
// on the clean layer output f(x) (32-D) instead of the 784-D image (a cheaper, equally valid input).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "common.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/mi/doe.hpp"
#include "infogeo/stats/rank_correlation.hpp"
#include "infogeo/synthetic/class_toy.hpp"

namespace {

/// NC of eq. 3 (CDNV) of rows `z` with `labels`.
double nc_eq3(const infogeo::row_matrix<double>& z, const std::vector<std::int64_t>& labels) {
  const auto s = infogeo::geometry::compute_class_scatter(z, labels);
  return infogeo::geometry::class_distance_normalized_variance(s).value;
}

void toy_grid(const repro::options& o, const std::string& out, std::ofstream& timing) {
  const auto t0 = repro::clock::now();
  const std::vector<double> grid = o.reals("toy-grid");
  const int trials = static_cast<int>(o.integer("toy-trials"));
  const long long n = o.integer("toy-n");
  std::ofstream csv(out + "/toy_grid.csv");
  csv.precision(10);
  csv << "sigma_z2,sigma_n2,conditional_mi,nc_mean,nc_sd,nc_median,trials,n,classes\n";
  // grid cell (i = sigma_z^2 index, j = sigma_n^2 index) -> (I, mean NC, median NC)
  const std::size_t g = grid.size();
  std::vector<double> mi_cell(g * g), nc_cell(g * g), med_cell(g * g);
  for (std::size_t i = 0; i < g; ++i)
    for (std::size_t j = 0; j < g; ++j) {
      const double sz2 = grid[i], sn2 = grid[j];
      infogeo::synthetic::class_toy_options t;
      t.classes = 10;
      t.dims = 2;
      t.sigma_z = std::sqrt(sz2);
      t.sigma_n = std::sqrt(sn2);
      std::vector<double> ncs;
      for (int k = 0; k < trials; ++k) {
        // a fresh draw of the centroids per trial (App. D: "we repeat this procedure 50 times")
        const auto s = infogeo::synthetic::class_toy(n, t, 1000 + static_cast<std::uint64_t>(k));
        ncs.push_back(nc_eq3(s.z, s.labels));
      }
      double sum = 0.0, sum2 = 0.0;
      for (double v : ncs) sum += v;
      const double mean = sum / trials;
      for (double v : ncs) sum2 += (v - mean) * (v - mean);
      const double sd = trials > 1 ? std::sqrt(sum2 / (trials - 1)) : 0.0;
      std::vector<double> sorted = ncs;
      std::sort(sorted.begin(), sorted.end());
      const double median = trials % 2 ? sorted[trials / 2] : 0.5 * (sorted[trials / 2 - 1] + sorted[trials / 2]);
      const double mi = infogeo::synthetic::class_toy_conditional_mi(2, t.sigma_z, t.sigma_n);
      csv << sz2 << ',' << sn2 << ',' << mi << ',' << mean << ',' << sd << ',' << median << ',' << trials << ',' << n
          << ",10\n";
      mi_cell[i * g + j] = mi;
      nc_cell[i * g + j] = mean;
      med_cell[i * g + j] = median;
    }
  const double rho = infogeo::stats::spearman(mi_cell, nc_cell);
  const double rho_med = infogeo::stats::spearman(mi_cell, med_cell);
  // The two directions of App. D: more noise (sigma_n^2 up at fixed sigma_z^2) lowers I and raises NC;
  // a wider encoder (sigma_z^2 up at fixed sigma_n^2) raises both. Mean Spearman per direction (median NC).
  double along_noise = 0.0, along_spread = 0.0;
  if (g >= 2) {
    for (std::size_t i = 0; i < g; ++i) {
      std::vector<double> a, b, c, d;
      for (std::size_t j = 0; j < g; ++j) {
        a.push_back(mi_cell[i * g + j]);
        b.push_back(med_cell[i * g + j]);
        c.push_back(mi_cell[j * g + i]);
        d.push_back(med_cell[j * g + i]);
      }
      along_noise += infogeo::stats::spearman(a, b) / static_cast<double>(g);
      along_spread += infogeo::stats::spearman(c, d) / static_cast<double>(g);
    }
  }
  std::fprintf(stderr,
               "toy grid: %zu cells x %d trials; Spearman(I(X;Z|Y), NC) over the grid: mean NC %.3f, median NC %.3f; "
               "along sigma_n^2 %.3f, along sigma_z^2 %.3f (%.2f s)\n",
               g * g, trials, rho, rho_med, along_noise, along_spread, repro::seconds_since(t0));
  std::ofstream(out + "/toy_summary.csv") << "metric,value\nspearman_mi_nc_mean_over_grid," << rho
                                          << "\nspearman_mi_nc_median_over_grid," << rho_med
                                          << "\nmean_spearman_along_sigma_n2," << along_noise
                                          << "\nmean_spearman_along_sigma_z2," << along_spread << "\n";
  timing << "toy_grid," << repro::seconds_since(t0) << '\n';
}

struct NetImpl : torch::nn::Module {
  NetImpl(long long hidden1, long long hidden2, long long width, double noise_sd)
      : fc1(register_module("fc1", torch::nn::Linear(784, hidden1))),
        fc2(register_module("fc2", torch::nn::Linear(hidden1, hidden2))),
        fc3(register_module("fc3", torch::nn::Linear(hidden2, width))),
        head(register_module("head", torch::nn::Linear(width, 10))),
        sigma(noise_sd) {}
  /// Clean dropout-layer input f(x) (tanh keeps it away from exact zeros, where Gaussian dropout
  /// has no density).
  torch::Tensor f(const torch::Tensor& x) {
    const auto h = torch::relu(fc2->forward(torch::relu(fc1->forward(x.flatten(1)))));
    return torch::tanh(fc3->forward(h));
  }
  /// Z = f(X) o D, D ~ N(1, sigma^2 I): on in training and when measuring (Z is the representation).
  torch::Tensor noisy(const torch::Tensor& fx) { return fx * (1.0 + sigma * torch::randn_like(fx)); }
  torch::nn::Linear fc1, fc2, fc3, head;
  double sigma;
};
TORCH_MODULE(Net);

/// Differentiable batch NC (eq. 3) over the classes present, for the Sec. 3.3 regulariser.
torch::Tensor batch_nc(const torch::Tensor& z, const torch::Tensor& y) {
  const auto onehot = torch::one_hot(y, 10).to(z.dtype());
  const auto counts = onehot.sum(0);
  const auto present = (counts > 0).to(z.dtype());
  const auto safe = counts.clamp_min(1.0);
  const auto means = onehot.t().matmul(z) / safe.unsqueeze(1);
  const auto sq = onehot.t().matmul(z.pow(2).sum(1, true)).squeeze(1) / safe;
  const auto var = (sq - means.pow(2).sum(1)).clamp_min(0.0);
  const auto dist = (means.unsqueeze(0) - means.unsqueeze(1)).pow(2).sum(2);
  const auto mask = torch::outer(present, present).triu(1);
  const auto ratio = (var.unsqueeze(0) + var.unsqueeze(1)) / (dist + 1e-12);
  const auto c = present.sum();
  return (ratio * mask).sum() / (c * (c - 1.0)).clamp_min(1.0);
}

/// Representations kept for the DoE fits (run after training, in parallel).
struct snapshot {
  std::string network, split;
  int epoch;
  infogeo::row_matrix<double> inputs;  // M x width: f(x), one row per input
  infogeo::row_matrix<double> views;   // M K x width: K dropout views per input
  std::vector<infogeo::index_t> groups;
  double nc = 0.0;
  double mi = 0.0, mi_se = 0.0, mi_train_rows = 0.0, contrastive = 0.0;
  bool converged = false;
  std::string status;
};

infogeo::row_matrix<double> to_matrix(const torch::Tensor& t) {
  const auto c = repro::to_host_double(t);
  infogeo::row_matrix<double> m(c.size(0), c.size(1));
  std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), m.data());
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const repro::options o(
        argc, argv,
        {{"out", "out_geometric_vs_information"}, {"data", ""}, {"smoke", "false"}, {"skip-toy", "false"},
         {"skip-network", "false"}, {"toy-grid", "0.01,0.03,0.1,0.3,1,3"}, {"toy-trials", "50"},
         {"toy-n", "1000"}, {"epochs", "6"}, {"n-train", "60000"}, {"n-test", "10000"}, {"batch", "128"},
         {"lr", "1e-3"}, {"sigma2", "0.2"}, {"width", "32"}, {"lambdas", "0,0.3"}, {"alpha", "1"},
         {"nc-samples", "10000"}, {"mi-inputs", "1000"}, {"views", "4"}, {"doe-epochs", "15"},
         {"doe-lr", "1e-3"}, {"doe-objective", "contrastive"}, {"doe-family", "logistic"}, {"doe-components", "3"}, {"threads", "0"}, {"seed", "1"}},
        "geometric_vs_information: seed paper 000, toy grid of App. D and DoE I(X;Z) vs NC on Fashion-MNIST");
    const bool smoke = o.flag("smoke");
    // Checked before any work (a bad value must not cost a training run).
    if (o.str("doe-objective") != "contrastive" && o.str("doe-objective") != "likelihood")
      throw std::invalid_argument("--doe-objective must be contrastive or likelihood (got " + o.str("doe-objective") + ")");
    if (o.str("doe-family") != "logistic" && o.str("doe-family") != "logistic_mixture")
      throw std::invalid_argument("--doe-family must be logistic or logistic_mixture (got " + o.str("doe-family") + ")");
    // --smoke: seconds on a CPU (CI); every code path, no measurement.
    auto I = [&](const char* k, long long smoke_value) { return smoke ? smoke_value : o.integer(k); };
    const std::string out = o.str("out");
    std::filesystem::create_directories(out);
    std::ofstream timing(out + "/timing.csv");
    timing << "stage,seconds\n";
    const auto t_start = repro::clock::now();
    if (!o.flag("skip-toy")) {
      if (smoke) {
        const char* args[] = {"x", "--toy-grid", "0.1,1", "--toy-trials", "3", "--toy-n", "300"};
        toy_grid(repro::options(7, const_cast<char**>(args), {{"toy-grid", ""}, {"toy-trials", ""}, {"toy-n", ""}}, ""),
                 out, timing);
      } else {
        toy_grid(o, out, timing);
      }
    }
    if (o.flag("skip-network")) return 0;

    const torch::Device device = repro::pick_device();
    const long long epochs = I("epochs", 2), n_train = I("n-train", 400), n_test = I("n-test", 200);
    const long long nc_samples = I("nc-samples", 200), mi_inputs = I("mi-inputs", 100), views = o.integer("views");
    const long long doe_epochs = I("doe-epochs", 2), batch = o.integer("batch"), width = o.integer("width");
    const double sigma = std::sqrt(o.real("sigma2"));
    const std::vector<double> lambdas = smoke ? std::vector<double>{0.0, 1.0} : o.reals("lambdas");
    std::fprintf(stderr, "geometric_vs_information: device %s%s\n", device.str().c_str(), smoke ? " (smoke)" : "");
    const auto data = repro::load_fashion_mnist(repro::data_dir(o.str("data")), n_train, n_test, device);
    repro::csv_writer csv(out + "/metrics.csv", true);
    std::vector<snapshot> snaps;
    double train_seconds = 0.0;
    for (std::size_t net_id = 0; net_id < lambdas.size(); ++net_id) {
      const double lambda = lambdas[net_id];
      char name[64];
      std::snprintf(name, sizeof name, "lambda_%g", lambda);
      torch::manual_seed(o.integer("seed") + static_cast<long long>(net_id));
      Net net(512, 256, width, sigma);
      net->to(device);
      torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.real("lr")));
      const long long n = data.x_train.size(0);
      for (long long epoch = 1; epoch <= epochs; ++epoch) {
        repro::sync(device);
        const auto t0 = repro::clock::now();
        net->train();
        const auto perm = torch::randperm(n, torch::TensorOptions().device(device).dtype(torch::kLong));
        auto loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
        long long steps = 0;
        for (long long s = 0; s < n; s += batch, ++steps) {
          const auto idx = perm.slice(0, s, std::min(n, s + batch));
          const auto xb = data.x_train.index_select(0, idx), yb = data.y_train.index_select(0, idx);
          const auto z = net->noisy(net->f(xb));
          auto loss = torch::nn::functional::cross_entropy(net->head->forward(z), yb);
          if (lambda != 0.0) loss = loss - lambda * torch::tanh(o.real("alpha") * batch_nc(z, yb));
          opt.zero_grad();
          loss.backward();
          opt.step();
          loss_sum += loss.detach();
        }
        repro::sync(device);
        const double tsec = repro::seconds_since(t0);
        train_seconds += tsec;
        csv.row(epoch, "output", "train", "train_loss", loss_sum.item<double>() / static_cast<double>(steps), name);
        torch::NoGradGuard no_grad;
        net->eval();
        for (const std::string split : {"train", "test"}) {
          const auto& x = split == "train" ? data.x_train : data.x_test;
          const auto& y = split == "train" ? data.y_train : data.y_test;
          const long long m = std::min<long long>(nc_samples, x.size(0));
          const auto fx = net->f(x.slice(0, 0, m));
          const auto z = net->noisy(fx);
          const auto pred = net->head->forward(z).argmax(1);
          csv.row(epoch, "output", split, "accuracy", (pred == y.slice(0, 0, m)).to(torch::kDouble).mean().item<double>(),
                  name);
          const double nc = nc_eq3(to_matrix(z), repro::to_labels(y.slice(0, 0, m)));
          csv.row(epoch, "dropout", split, "nc", nc, name);
          // K dropout views of the first mi_inputs inputs, grouped by input.
          const long long mi = std::min<long long>(mi_inputs, m);
          const auto f_in = fx.slice(0, 0, mi);
          const auto rep = f_in.repeat_interleave(views, 0);
          snapshot sn;
          sn.network = name;
          sn.split = split;
          sn.epoch = static_cast<int>(epoch);
          sn.inputs = to_matrix(f_in);
          sn.views = to_matrix(net->noisy(rep));
          sn.groups.resize(static_cast<std::size_t>(mi * views));
          for (long long r = 0; r < mi * views; ++r) sn.groups[static_cast<std::size_t>(r)] = r / views;
          sn.nc = nc;
          snaps.push_back(std::move(sn));
        }
        std::fprintf(stderr, "%s epoch %lld: loss %.4f (%.2f s)\n", name, epoch, loss_sum.item<double>() / static_cast<double>(steps), tsec);
      }
    }
    timing << "training," << train_seconds << '\n';

    // DoE fits (CPU, single-threaded each), in parallel over snapshots.
    const auto t_doe = repro::clock::now();
    infogeo::mi::doe_options d;
    // Sec. 3.1 names a logistic marginal, App. C.3 a factorised logistic mixture: both available.
    if (o.str("doe-family") == "logistic") {
      d.family = infogeo::mi::doe_family::logistic;
    } else if (o.str("doe-family") == "logistic_mixture") {
      d.family = infogeo::mi::doe_family::logistic_mixture;
      d.components = o.integer("doe-components");
    } else {
      throw std::invalid_argument("--doe-family must be logistic or logistic_mixture (got " + o.str("doe-family") + ")");
    }
    d.conditional_objective = o.str("doe-objective") == "likelihood" ? infogeo::mi::doe_objective::likelihood
                                                                     : infogeo::mi::doe_objective::contrastive;
    d.epochs = doe_epochs;
    d.lr = o.real("doe-lr");
    d.weight_decay = 0.01;  // AdamW (App. C.4)
    d.batch = 256 * views;  // 256 inputs x K views (App. C.4: "batch size 256 * 4")
    d.seed = static_cast<std::uint64_t>(o.integer("seed"));
    if (smoke) d.batch = 32 * views;
    long long threads = o.integer("threads");
    if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
    std::mutex csv_mu;
    repro::parallel_for(snaps.size(), threads, [&](std::size_t k) {
      auto& s = snaps[k];
      const auto r = infogeo::mi::doe_mutual_information(s.inputs, s.views, s.groups, d);
      s.mi = r.mi.value;
      s.mi_se = r.mi.std_error.value_or(0.0);
      s.mi_train_rows = r.mi_train;
      s.contrastive = r.contrastive_objective;
      s.converged = r.converged;
      s.status = infogeo::to_string(r.mi.status);
      // Written as each fit completes: a run stopped by a time limit keeps the fits it finished.
      const std::lock_guard<std::mutex> lock(csv_mu);
      csv.row(s.epoch, "dropout", s.split, "I(X;Z)_doe", s.mi, s.network);
      csv.row(s.epoch, "dropout", s.split, "I(X;Z)_doe_se", s.mi_se, s.network);
      csv.row(s.epoch, "dropout", s.split, "I(X;Z)_doe_fit_rows", s.mi_train_rows, s.network);
      csv.row(s.epoch, "dropout", s.split, "doe_eq9_objective", s.contrastive, s.network);
      csv.row(s.epoch, "dropout", s.split, "doe_converged", s.converged ? 1.0 : 0.0, s.network);
      csv.row(s.epoch, "dropout", s.split, "doe_status_ok", s.status == "ok" ? 1.0 : 0.0, s.network);
    });
    const double doe_seconds = repro::seconds_since(t_doe);
    timing << "doe_fits," << doe_seconds << '\n';
    // App. C.1: ranks within each experiment (network), min-max normalised, pooled, Pearson.
    for (const std::string split : {"train", "test"}) {
      std::vector<infogeo::stats::paired_series> ex;
      for (std::size_t net_id = 0; net_id < lambdas.size(); ++net_id) {
        infogeo::stats::paired_series p;
        for (const auto& s : snaps)
          if (s.split == split && s.network == snaps[2 * epochs * net_id].network) {
            p.a.push_back(s.mi);
            p.b.push_back(s.nc);
          }
        if (p.a.size() >= 2) {
          csv.row(epochs, "dropout", split, "spearman_mi_nc", infogeo::stats::spearman(p.a, p.b),
                  snaps[2 * epochs * net_id].network);
          ex.push_back(std::move(p));
        }
      }
      try {
        const double r = infogeo::stats::pooled_rank_correlation(ex);
        csv.row(epochs, "dropout", split, "pooled_rank_correlation_mi_nc", r, "pooled");
        std::fprintf(stderr, "pooled rank correlation (App. C.1) I(X;Z) vs NC, %s: %.3f\n", split.c_str(), r);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "pooled rank correlation, %s: not computed (%s)\n", split.c_str(), e.what());
      }
    }
    timing << "total," << repro::seconds_since(t_start) << '\n';
    std::fprintf(stderr, "training %.1f s, DoE fits %.1f s (%zu fits, %lld threads), total %.1f s\n", train_seconds,
                 doe_seconds, snaps.size(), threads, repro::seconds_since(t_start));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "geometric_vs_information: error: %s\n", e.what());
    return 2;
  }
}
