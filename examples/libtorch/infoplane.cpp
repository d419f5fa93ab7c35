// Train an MLP with a Gaussian-dropout bottleneck on a synthetic 64-D Gaussian-class dataset and
// record, per epoch, per hidden layer and per split, neural-collapse metrics (reduced on the GPU
// through infogeo/torch.hpp) and the information plane of the dropout layer:
//   I(X;Z)  noisy-representation estimator (Gaussian mixture, Adilova et al. 2023)
//   I(Z;Y)  discrete-label estimator h(Z) - sum_y p(y) h(Z|y) (Butakov et al. eq. 5) with weighted
//           Kozachenko-Leonenko on the PCA-compressed Z (Butakov et al. 2024)
// Writes DIR/metrics.csv (epoch,layer,split,metric,value), DIR/infoplane.svg, DIR/nc_layers.svg
// and DIR/timing.csv. Usage: infoplane [--epochs E] [--no-metrics] [--out DIR] ... (--help).
// --distributed: data-parallel over the ranks of a torch.distributed process group (one process per
// GPU with NCCL, gloo on CPUs; torchrun-style RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR /
// MASTER_PORT or flags; launcher: run_distributed.sh). Each rank trains on its share of every
// global batch (gradients all-reduced, so all ranks keep the same weights) and measures its share of
// the metric samples; the metrics are reduced through infogeo/torch/distributed.hpp so every rank
// gets the same numbers as one process on all the data; rank 0 writes the files (docs/distributed.md).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/geometry/separation.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/torch.hpp"
#if defined(INFOGEO_WITH_C10D)
#include "infogeo/torch/distributed.hpp"
#include "process_group.hpp"
#endif

namespace {

struct config {
  int epochs = 10;
  std::int64_t n_train = 400000, n_test = 20000, dim = 64, classes = 10;
  std::int64_t hidden = 1024, bottleneck = 64, penultimate = 32, batch = 256;
  double lr = 3e-4, sigma = 0.3, class_spread = 1.0, noise_std = 4.0;
  double gamma = 0.0;               // IB-layer loss gamma * ||z_penultimate||^2 (Latent point collapse eq. 3)
  double nc_lambda = 0.0, nc_alpha = 1.0;  // NC regulariser -lambda * tanh(alpha * NC) (seed paper Sec. 3.3)
  std::int64_t nc_samples = 10000;  // samples per split for the NC metrics (GPU reduction)
  std::int64_t mi_samples = 1000;   // samples per split for the MI estimators (CPU)
  std::int64_t pca = 4;             // PCA components of Z before weighted KL
  int draws = 5;                    // noise draws per centre for I(X;Z)
  bool metrics = true;
  std::uint64_t seed = 1;
  std::string out = "infoplane_out";
  std::string dtype = "float";      // network and data dtype: float (default) or double
  // --distributed: flags override the torchrun-style environment (-1 / empty: not given).
  bool distributed = false;
  int rank = -1, world_size = -1, local_rank = -1, master_port = -1;
  std::string master_addr, backend = "auto";
};

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
      return argv[++i];
    };
    if (a == "--epochs") c.epochs = std::stoi(next());
    else if (a == "--n-train") c.n_train = std::stoll(next());
    else if (a == "--n-test") c.n_test = std::stoll(next());
    else if (a == "--hidden") c.hidden = std::stoll(next());
    else if (a == "--batch") c.batch = std::stoll(next());
    else if (a == "--lr") c.lr = std::stod(next());
    else if (a == "--sigma") c.sigma = std::stod(next());
    else if (a == "--gamma") c.gamma = std::stod(next());
    else if (a == "--nc-lambda") c.nc_lambda = std::stod(next());
    else if (a == "--nc-alpha") c.nc_alpha = std::stod(next());
    else if (a == "--nc-samples") c.nc_samples = std::stoll(next());
    else if (a == "--mi-samples") c.mi_samples = std::stoll(next());
    else if (a == "--pca") c.pca = std::stoll(next());
    else if (a == "--draws") c.draws = std::stoi(next());
    else if (a == "--seed") c.seed = std::stoull(next());
    else if (a == "--out") c.out = next();
    else if (a == "--no-metrics") c.metrics = false;
    else if (a == "--dtype") c.dtype = next();
    else if (a == "--distributed") c.distributed = true;
    else if (a == "--rank") c.rank = std::stoi(next());
    else if (a == "--world-size") c.world_size = std::stoi(next());
    else if (a == "--local-rank") c.local_rank = std::stoi(next());
    else if (a == "--master-addr") c.master_addr = next();
    else if (a == "--master-port") c.master_port = std::stoi(next());
    else if (a == "--backend") c.backend = next();
    else if (a == "--help") {
      std::printf("infoplane [--epochs E] [--n-train N] [--n-test N] [--hidden H] [--batch B] [--lr LR]\n"
                  "          [--sigma S] [--gamma G] [--nc-lambda L] [--nc-alpha A] [--nc-samples N]\n"
                  "          [--mi-samples N] [--pca K] [--draws K] [--seed S] [--out DIR] [--no-metrics]\n"
                  "          [--dtype float|double]\n"
                  "          [--distributed [--rank R] [--world-size W] [--local-rank L] [--master-addr A]\n"
                  "                         [--master-port P] [--backend auto|gloo|nccl]]\n"
                  "--distributed reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (torchrun style;\n"
                  "flags override); --batch and --mi-samples must be multiples of the world size.\n");
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (c.dtype != "float" && c.dtype != "double")
    throw std::invalid_argument("--dtype must be float or double (got " + c.dtype + ")");
  const bool launch_flags = c.rank >= 0 || c.world_size >= 0 || c.local_rank >= 0 || c.master_port >= 0 ||
                            !c.master_addr.empty() || c.backend != "auto";
  if (launch_flags && !c.distributed)
    throw std::invalid_argument("--rank/--world-size/--local-rank/--master-addr/--master-port/--backend need --distributed");
  return c;
}

/// Activations the forward pass returns (LibTorch modules have no forward hooks).
struct activations {
  std::vector<torch::Tensor> hidden;  // h1, h2, f (clean bottleneck), z (noisy), penultimate
  torch::Tensor logits;
};

const std::vector<std::string> layer_names = {"h1", "h2", "bottleneck_clean", "bottleneck_noisy", "penultimate"};

struct NetImpl : torch::nn::Module {
  NetImpl(const config& c)
      : fc1(register_module("fc1", torch::nn::Linear(c.dim, c.hidden))),
        fc2(register_module("fc2", torch::nn::Linear(c.hidden, c.hidden))),
        fc3(register_module("fc3", torch::nn::Linear(c.hidden, c.bottleneck))),
        pen(register_module("pen", torch::nn::Linear(c.bottleneck, c.penultimate))),
        head(register_module("head", torch::nn::Linear(c.penultimate, c.classes))),
        sigma(c.sigma) {}

  /// `noise`: standard normal draws of the bottleneck's shape (rows x bottleneck), drawn by the
  /// caller for the whole global batch so that a sample gets the same dropout noise whichever rank
  /// holds it (draw_noise).
  activations forward(const torch::Tensor& x, const torch::Tensor& noise) {
    activations a;
    const auto h1 = torch::relu(fc1->forward(x));
    const auto h2 = torch::relu(fc2->forward(h1));
    // tanh keeps the bottleneck away from exact zeros, where Gaussian dropout has no density.
    const auto f = torch::tanh(fc3->forward(h2));
    // Gaussian dropout Z = f(X) * D, D ~ N(1, sigma^2 I): in training AND when measuring.
    const auto z = f * (1.0 + sigma * noise);
    const auto p = pen->forward(z);  // linear penultimate layer (IB-layer loss acts here)
    a.hidden = {h1, h2, f, z, p};
    a.logits = head->forward(p);
    return a;
  }

  torch::nn::Linear fc1, fc2, fc3, pen, head;
  double sigma;
};
TORCH_MODULE(Net);

/// Differentiable class-distance normalised variance of a batch (Galanti et al. 2021 as in the
/// seed paper eq. 3): 1/(c(c-1)) sum_{i<j} (Var_i + Var_j) / ||mu_i - mu_j||^2 over the classes
/// present in the batch; Var_c = mean squared distance to the class mean.
torch::Tensor batch_cdnv(const torch::Tensor& z, const torch::Tensor& y, std::int64_t classes) {
  const auto onehot = torch::one_hot(y, classes).to(z.dtype());          // B x C
  const auto counts = onehot.sum(0);                                     // C
  const auto present = counts > 0;
  const auto safe = counts.clamp_min(1.0);
  const auto means = onehot.t().matmul(z) / safe.unsqueeze(1);           // C x D
  const auto sq = onehot.t().matmul(z.pow(2).sum(1, true)).squeeze(1) / safe;
  const auto var = (sq - means.pow(2).sum(1)).clamp_min(0.0);            // C
  const auto dist = torch::cdist(means, means).pow(2);                   // C x C
  const auto mask = torch::outer(present.to(z.dtype()), present.to(z.dtype())).triu(1);
  const auto ratio = (var.unsqueeze(0) + var.unsqueeze(1)) / (dist + 1e-12);
  const auto c = present.sum().to(z.dtype());
  return (ratio * mask).sum() / (c * (c - 1.0)).clamp_min(1.0);
}

struct dataset {
  torch::Tensor x_train, y_train, x_test, y_test;
};

/// Gaussian classes in 64-D: mu_y ~ N(0, spread^2 I), x = mu_y + noise_std * N(0, I), drawn in
/// float32 and stored in `dtype`. Every rank draws the same (seeded) data and touches only its rows.
dataset make_dataset(const config& c, torch::Device device, torch::Dtype dtype) {
  torch::manual_seed(c.seed);
  const auto opts = torch::TensorOptions().device(device);
  const auto means = c.class_spread * torch::randn({c.classes, c.dim}, opts);
  auto draw = [&](std::int64_t n, torch::Tensor& x, torch::Tensor& y) {
    y = torch::randint(c.classes, {n}, opts.dtype(torch::kLong));
    x = means.index_select(0, y) + c.noise_std * torch::randn({n, c.dim}, opts);
  };
  dataset d;
  draw(c.n_train, d.x_train, d.y_train);
  draw(c.n_test, d.x_test, d.y_test);
  d.x_train = d.x_train.to(dtype);
  d.x_test = d.x_test.to(dtype);
  return d;
}

/// Dropout noise for `rows` global rows (every rank draws the same; each uses its block of rows).
torch::Tensor draw_noise(std::int64_t rows, const config& c, const torch::Tensor& like) {
  return torch::randn({rows, c.bottleneck}, like.options());
}

/// This process's place in a --distributed run (a single process: rank 0 of 1, no group). Rows
/// of a global set of n are split into contiguous blocks in rank order (sizes differ by at most
/// one), so gathering in rank order restores the single-process order.
struct rank_info {
  int rank = 0, world = 1;
  std::string backend = "none";
#if defined(INFOGEO_WITH_C10D)
  c10::intrusive_ptr<example_dist::group_base> group;
#endif
  torch::Device device = torch::Device(torch::kCPU);
  double comm_seconds = 0.0;  // time spent in the metric reductions (reset per epoch)

  bool distributed() const {
#if defined(INFOGEO_WITH_C10D)
    return static_cast<bool>(group);
#else
    return false;
#endif
  }
  std::pair<std::int64_t, std::int64_t> block(std::int64_t n) const {
    const std::int64_t q = n / world, r = n % world;
    const std::int64_t begin = rank * q + std::min<std::int64_t>(rank, r);
    return {begin, begin + q + (rank < r ? 1 : 0)};
  }
  /// Runs `collective` and adds its wall time (device synchronised) to comm_seconds.
  template <class F>
  void timed(F&& collective) {
    if (!distributed()) {
      collective();
      return;
    }
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
    const auto t0 = std::chrono::steady_clock::now();
    collective();
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
    comm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
};

/// In-place sum of `t` over the ranks (nothing in a single process).
void sum_over_ranks(rank_info& r, const torch::Tensor& t) {
#if defined(INFOGEO_WITH_C10D)
  if (r.distributed()) infogeo::libtorch::allreduce_sum(*r.group, t);
#else
  (void)r, (void)t;
#endif
}

/// Rows of every rank gathered in rank order (the rank's own rows in a single process).
torch::Tensor gather_rows(rank_info& r, const torch::Tensor& rows) {
#if defined(INFOGEO_WITH_C10D)
  if (r.distributed()) return infogeo::libtorch::allgather_rows(rows, *r.group);
#else
  (void)r;
#endif
  return rows;
}

/// All parameters (or their gradients) as one flat tensor, and back.
torch::Tensor flatten(const std::vector<torch::Tensor>& ts) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : ts) flat.push_back(t.reshape({-1}));
  return torch::cat(flat);
}
void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& ts) {
  std::int64_t offset = 0;
  for (const auto& t : ts) {
    t.copy_(flat.slice(0, offset, offset + t.numel()).view_as(t));
    offset += t.numel();
  }
}

/// Data parallelism by hand (LibTorch has no C++ DistributedDataParallel): the gradients of the
/// local mean loss, summed over the ranks in one all-reduce and divided by the world size, are the
/// gradients of the global batch's mean loss (equal shares), so every rank takes the same step.
void average_gradients(rank_info& r, Net& net) {
  if (!r.distributed()) return;
  std::vector<torch::Tensor> grads;
  for (const auto& p : net->parameters()) grads.push_back(p.grad());
  const torch::Tensor flat = flatten(grads);
  sum_over_ranks(r, flat);
  flat.div_(static_cast<double>(r.world));
  unflatten(flat, grads);
}

/// Rank 0's initial weights on every rank (they are equal already when all ranks seed alike; this
/// is what DistributedDataParallel does at construction, and it makes sure).
void broadcast_parameters(rank_info& r, Net& net) {
#if defined(INFOGEO_WITH_C10D)
  if (!r.distributed()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params;
  for (const auto& p : net->parameters()) params.push_back(p);
  std::vector<torch::Tensor> flat{flatten(params)};
  r.group->broadcast(flat)->wait();
  unflatten(flat[0], params);
#else
  (void)r, (void)net;
#endif
}

/// metrics.csv rows (written by rank 0 only; values with 17 significant digits, enough to
/// round-trip a double) and, per epoch, a digest of every row (FNV-1a of the text): ranks that
/// print the same digest hold bit-identical metrics.
struct metric_log {
  std::ofstream out;
  std::uint64_t digest = 0;
  std::int64_t rows = 0;
  explicit metric_log(const std::string& path) {
    if (!path.empty()) {
      out.open(path);
      out << "epoch,layer,split,metric,value\n";
    }
    start_epoch();
  }
  void start_epoch() {
    digest = 14695981039346656037ull;
    rows = 0;
  }
  void row(int epoch, const std::string& layer, const std::string& split, const std::string& metric, double v) {
    char value[40];
    std::snprintf(value, sizeof value, "%.17g", v);
    const std::string line = std::to_string(epoch) + ',' + layer + ',' + split + ',' + metric + ',' + value + '\n';
    if (out.is_open()) out << line;
    for (const unsigned char ch : line) digest = (digest ^ ch) * 1099511628211ull;
    ++rows;
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void sync(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

/// Per-epoch, per-split record kept for the plots.
struct plane_point {
  int epoch;
  std::string split;
  double i_xz, i_zy;
};

/// NC metrics of every hidden layer on the first n rows of `x`, `y` (the GPU does the reductions).
/// Distributed: each rank forwards its block of those rows; the class-scatter sums of both passes,
/// the NCC counts and the correct-prediction count are summed over the ranks (distributed.hpp), so
/// every rank finishes with the statistics of all n rows.
std::map<std::string, double> record_geometry(Net& net, const torch::Tensor& x, const torch::Tensor& y,
                                              std::int64_t n, const config& c, int epoch, const std::string& split,
                                              metric_log& csv, rank_info& r) {
  torch::NoGradGuard no_grad;
  const torch::Tensor noise = draw_noise(n, c, x);
  const auto [lo, hi] = r.block(n);
  const torch::Tensor ys = y.slice(0, lo, hi);
  const activations a = net->forward(x.slice(0, lo, hi), noise.slice(0, lo, hi));
  const auto predictions = a.logits.argmax(1);
  std::map<std::string, double> nc1_by_layer;
  std::vector<double> layer_nc;
  for (std::size_t l = 0; l < a.hidden.size(); ++l) {
    const auto& h = a.hidden[l];
    infogeo::libtorch::device_class_scatter acc(c.classes, h.size(1), infogeo::geometry::scatter_mode::projected,
                                                h.device());
    acc.update(h, ys);
#if defined(INFOGEO_WITH_C10D)
    if (r.distributed()) r.timed([&] { infogeo::libtorch::allreduce_pass1(acc, *r.group); });
#endif
    acc.begin_second_pass();
    acc.update(h, ys);
#if defined(INFOGEO_WITH_C10D)
    if (r.distributed()) r.timed([&] { infogeo::libtorch::allreduce_pass2(acc, *r.group); });
#endif
    const auto s = acc.finalize();
    auto m = infogeo::geometry::neural_collapse(s);
    auto ncc = infogeo::libtorch::ncc_on_device(acc, h, ys, predictions);
#if defined(INFOGEO_WITH_C10D)
    if (r.distributed()) r.timed([&] { ncc = infogeo::libtorch::allreduce_counts(ncc, *r.group, h.device()); });
#endif
    const std::string& name = layer_names[l];
    csv.row(epoch, name, split, "tr_sw_sbpinv", m.tr_sw_sbpinv);
    csv.row(epoch, name, split, "nc1", m.nc1);
    csv.row(epoch, name, split, "trace_ratio", m.trace_ratio);
    if (m.cdnv) csv.row(epoch, name, split, "cdnv", *m.cdnv);
    csv.row(epoch, name, split, "nc2_equinorm", m.nc2_equinorm);
    if (m.nc2_equiangularity) csv.row(epoch, name, split, "nc2_equiangularity", *m.nc2_equiangularity);
    if (m.nc2_max_angle) csv.row(epoch, name, split, "nc2_max_angle", *m.nc2_max_angle);
    csv.row(epoch, name, split, "nc4", ncc.nc4());
    csv.row(epoch, name, split, "ncc_accuracy", ncc.ncc_accuracy());
    if (name == "penultimate") {
      const at::Tensor w = net->head->weight.detach().to(torch::kCPU, torch::kDouble).contiguous();
      csv.row(epoch, name, split, "nc3", infogeo::geometry::nc3_self_duality(s, infogeo::libtorch::tensor_view<double>(w)));
    }
    nc1_by_layer[name] = m.nc1;
    if (name != "bottleneck_noisy") layer_nc.push_back(m.tr_sw_sbpinv);
  }
  const auto fit = infogeo::geometry::fit_equi_separation(layer_nc);
  csv.row(epoch, "all", split, "equi_separation_slope", fit.slope);
  if (fit.pearson_r) csv.row(epoch, "all", split, "equi_separation_pearson_r", *fit.pearson_r);
  const torch::Tensor correct = (predictions == ys).sum().to(torch::kLong);
  r.timed([&] { sum_over_ranks(r, correct); });
  csv.row(epoch, "all", split, "accuracy", static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(n));
  return nc1_by_layer;
}

/// Information plane of the dropout layer on the first mi_samples rows of `x`, `y` (CPU estimators).
/// Distributed: each rank forwards its block of those rows and the activations and labels are
/// gathered to every rank in rank order (allgather_rows), i.e. the single-process sample: a k-NN or
/// mixture estimate is not a sum over samples (a point's neighbours may sit on any rank), so it
/// runs, identically on every rank, on the gathered sample.
plane_point record_information(Net& net, const torch::Tensor& x, const torch::Tensor& y, const config& c, int epoch,
                               const std::string& split, metric_log& csv, rank_info& r) {
  torch::NoGradGuard no_grad;
  const torch::Tensor noise = draw_noise(c.mi_samples, c, x);
  const auto [lo, hi] = r.block(c.mi_samples);
  const activations a = net->forward(x.slice(0, lo, hi), noise.slice(0, lo, hi));
  at::Tensor f = a.hidden[2].to(torch::kDouble), z = a.hidden[3].to(torch::kDouble);
  at::Tensor yg = y.slice(0, lo, hi).unsqueeze(1).contiguous();
  r.timed([&] {
    f = gather_rows(r, f);
    z = gather_rows(r, z);
    yg = gather_rows(r, yg);
  });
  f = f.to(torch::kCPU).contiguous();
  z = z.to(torch::kCPU).contiguous();
  const at::Tensor ycpu = yg.squeeze(1).to(torch::kCPU).contiguous();
  std::vector<std::int64_t> labels(ycpu.data_ptr<std::int64_t>(), ycpu.data_ptr<std::int64_t>() + ycpu.numel());

  infogeo::entropy::noisy_options noisy;
  noisy.noise = infogeo::entropy::noise_kind::dropout;
  noisy.sigma = c.sigma;
  noisy.draws = c.draws;
  noisy.seed = c.seed + static_cast<std::uint64_t>(epoch);
  noisy.zeros = infogeo::entropy::zero_policy::deterministic;  // tanh is exactly 0 only by accident
  const auto i_xz = infogeo::mi::noisy_mutual_information(infogeo::libtorch::tensor_view<double>(f), noisy);

  const infogeo::mi::pca_projector pca(infogeo::libtorch::tensor_view<double>(z), c.pca);
  const auto zc = pca.transform(infogeo::libtorch::tensor_view<double>(z));
  infogeo::entropy::wkl_options wkl;
  const auto i_zy = infogeo::mi::mi_discrete_labels(
      zc, labels, [&](const infogeo::row_matrix<double>& m) { return infogeo::entropy::weighted_kozachenko_leonenko(m, wkl); });
  csv.row(epoch, "bottleneck_noisy", split, "I(X;Z)_noisy_mixture", i_xz.value);
  csv.row(epoch, "bottleneck_noisy", split, "I(Z;Y)_pca_wkl", i_zy.value);
  csv.row(epoch, "bottleneck_noisy", split, "pca_retained_variance", pca.retained_variance_ratio());
  return {epoch, split, i_xz.value, i_zy.value};
}

std::string svg_header(int w, int h) {
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  return s.str();
}

/// A minimal scatter/line plot writer: series of (x, y) points in data coordinates.
void write_plot(const std::string& path, const std::string& title, const std::string& xlabel, const std::string& ylabel,
                const std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>>& series, bool lines) {
  const int w = 640, h = 440, left = 70, right = 150, top = 40, bottom = 50;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series)
    for (const auto& [x, y] : s.second) {
      x0 = std::min(x0, x); x1 = std::max(x1, x); y0 = std::min(y0, y); y1 = std::max(y1, y);
    }
  if (!(x1 > x0)) { x0 -= 0.5; x1 += 0.5; }
  if (!(y1 > y0)) { y0 -= 0.5; y1 += 0.5; }
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); };
  std::ofstream out(path);
  out << svg_header(w, h);
  out << "<text x=\"" << w / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">" << title << "</text>\n";
  out << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w - right << "\" y2=\"" << h - bottom
      << "\" stroke=\"black\"/>\n<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\""
      << h - bottom << "\" stroke=\"black\"/>\n";
  for (int t = 0; t <= 4; ++t) {
    const double xv = x0 + (x1 - x0) * t / 4, yv = y0 + (y1 - y0) * t / 4;
    out << "<text x=\"" << px(xv) << "\" y=\"" << h - bottom + 16 << "\" text-anchor=\"middle\">" << std::setprecision(3)
        << xv << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << py(yv) + 4 << "\" text-anchor=\"end\">" << yv
        << "</text>\n";
  }
  out << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 12 << "\" text-anchor=\"middle\">" << xlabel
      << "</text>\n<text transform=\"translate(16," << (top + h - bottom) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << ylabel << "</text>\n";
  const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                           "#bcbd22", "#17becf"};
  for (std::size_t k = 0; k < series.size(); ++k) {
    const char* colour = palette[k % 10];
    const auto& pts = series[k].second;
    if (lines && pts.size() > 1) {
      out << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.5\" points=\"";
      for (const auto& [x, y] : pts) out << px(x) << ',' << py(y) << ' ';
      out << "\"/>\n";
    }
    for (const auto& [x, y] : pts)
      out << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y) << "\" r=\"3\" fill=\"" << colour << "\"/>\n";
    out << "<text x=\"" << w - right + 10 << "\" y=\"" << top + 16 * (k + 1) << "\" fill=\"" << colour << "\">"
        << series[k].first << "</text>\n";
  }
  out << "</svg>\n";
}

/// Joins the process group of a --distributed run (or returns rank 0 of 1 for a single process).
rank_info join(const config& c) {
  rank_info r;
  if (!c.distributed) {
    r.device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    return r;
  }
#if defined(INFOGEO_WITH_C10D)
  example_dist::launch_config l;
  example_dist::from_environment(l);
  if (c.rank >= 0) l.rank = c.rank;
  if (c.world_size >= 0) l.world = c.world_size;
  if (c.local_rank >= 0) l.local_rank = c.local_rank;
  if (!c.master_addr.empty()) l.master_addr = c.master_addr;
  if (c.master_port >= 0) l.master_port = c.master_port;
  l.backend = c.backend;
  example_dist::check(l);
  if (c.batch % l.world != 0 || c.mi_samples % l.world != 0)
    throw std::invalid_argument("--batch (" + std::to_string(c.batch) + ") and --mi-samples (" +
                                std::to_string(c.mi_samples) + ") must be multiples of the world size (" +
                                std::to_string(l.world) + ")");
  r.rank = l.rank;
  r.world = l.world;
  r.device = example_dist::rank_device(l);
  auto pg = example_dist::connect(l, r.device);
  r.group = pg.group;
  r.backend = pg.backend;
  return r;
#else
  throw std::invalid_argument("--distributed: this infoplane was built without torch.distributed (gloo's headers "
                              "were not found: Debian libgloo-dev)");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // Before anything can initialise CUDA or NCCL (harmless on a CPU).
#if defined(INFOGEO_WITH_C10D)
    example_dist::disable_multicast();
#endif
    const config c = parse(argc, argv);
    rank_info r = join(c);
    const torch::Device device = r.device;
    const torch::Dtype dtype = c.dtype == "double" ? torch::kDouble : torch::kFloat;
    const bool writer = r.rank == 0;  // rank 0 writes the files
    if (writer)
      std::fprintf(stderr, "infoplane: device %s, %lld train / %lld test samples, metrics %s, %d rank(s)%s%s\n",
                   device.str().c_str(), static_cast<long long>(c.n_train), static_cast<long long>(c.n_test),
                   c.metrics ? "on" : "off", r.world, r.distributed() ? ", backend " : "",
                   r.distributed() ? r.backend.c_str() : "");
    if (writer) std::filesystem::create_directories(c.out);
    const dataset data = make_dataset(c, device, dtype);
    Net net(c);
    net->to(device, dtype);
    broadcast_parameters(r, net);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(c.lr));
    metric_log csv(writer ? c.out + "/metrics.csv" : std::string());
    std::ofstream timing;
    if (writer) {
      timing.open(c.out + "/timing.csv");
      timing << "epoch,train_seconds,metric_seconds,geometry_seconds,information_seconds,metric_comm_seconds,"
                "train_loss\n";
      timing.precision(12);  // train_loss: enough digits for the 1e-10 comparison of docs/distributed.md
    }
    std::vector<plane_point> plane;
    std::map<std::string, std::vector<std::pair<double, double>>> nc_series;  // epoch -> (layer, log10 nc1)
    double total_train = 0.0, total_metric = 0.0;
    const std::int64_t local_batch = c.batch / r.world;
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
      sync(device);
      const auto t0 = std::chrono::steady_clock::now();
      net->train();
      // The same permutation and noise on every rank (same seed, same draws); a rank takes its share
      // [rank * B/W, (rank + 1) * B/W) of each global batch of B rows.
      const auto perm = torch::randperm(c.n_train, torch::TensorOptions().device(device).dtype(torch::kLong));
      torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device).dtype(dtype));
      std::int64_t steps = 0;
      for (std::int64_t s = 0; s + c.batch <= c.n_train; s += c.batch, ++steps) {
        const std::int64_t lo = s + r.rank * local_batch, hi = lo + local_batch;
        const auto idx = perm.slice(0, lo, hi);
        const auto xb = data.x_train.index_select(0, idx);
        const auto yb = data.y_train.index_select(0, idx);
        const torch::Tensor noise = draw_noise(c.batch, c, xb).slice(0, lo - s, hi - s);
        const activations a = net->forward(xb, noise);
        auto loss = torch::nn::functional::cross_entropy(a.logits, yb);
        if (c.gamma > 0.0) loss = loss + c.gamma * a.hidden[4].pow(2).sum(1).mean();
        // Distributed: the CDNV of the rank's share of the batch (as DistributedDataParallel would).
        if (c.nc_lambda != 0.0) loss = loss - c.nc_lambda * torch::tanh(c.nc_alpha * batch_cdnv(a.hidden[4], yb, c.classes));
        opt.zero_grad();
        loss.backward();
        average_gradients(r, net);
        opt.step();
        loss_sum += loss.detach();
      }
      sum_over_ranks(r, loss_sum);
      const double train_loss = loss_sum.item<double>() / static_cast<double>(steps * r.world);
      sync(device);
      const double train_seconds = seconds_since(t0);
      total_train += train_seconds;
      double geometry_seconds = 0.0, information_seconds = 0.0;
      r.comm_seconds = 0.0;
      csv.start_epoch();
      if (c.metrics) {
        net->eval();  // no BatchNorm / nn::Dropout here; the Gaussian dropout stays on by design
        const auto t1 = std::chrono::steady_clock::now();
        const auto nc_train = record_geometry(net, data.x_train, data.y_train, c.nc_samples, c, epoch, "train", csv, r);
        record_geometry(net, data.x_test, data.y_test, c.nc_samples, c, epoch, "test", csv, r);
        sync(device);
        geometry_seconds = seconds_since(t1);
        const auto t2 = std::chrono::steady_clock::now();
        plane.push_back(record_information(net, data.x_train, data.y_train, c, epoch, "train", csv, r));
        plane.push_back(record_information(net, data.x_test, data.y_test, c, epoch, "test", csv, r));
        information_seconds = seconds_since(t2);
        auto& series = nc_series["epoch " + std::to_string(epoch)];
        for (std::size_t l = 0; l < layer_names.size(); ++l)
          series.emplace_back(static_cast<double>(l), std::log10(nc_train.at(layer_names[l])));
      }
      const double metric_seconds = geometry_seconds + information_seconds;
      total_metric += metric_seconds;
      if (writer) {
        timing << epoch << ',' << train_seconds << ',' << metric_seconds << ',' << geometry_seconds << ','
               << information_seconds << ',' << r.comm_seconds << ',' << train_loss << '\n';
        std::fprintf(stderr,
                     "epoch %d: loss %.4f, train %.2f s, metrics %.3f s (geometry %.3f, information %.3f, "
                     "reductions %.3f)\n",
                     epoch, train_loss, train_seconds, metric_seconds, geometry_seconds, information_seconds,
                     r.comm_seconds);
      }
      // Every rank: the numbers it holds (the same on all ranks: same digest of all metric rows).
      if (r.distributed())
        std::printf("rank %d/%d epoch %d: loss %.17g, metric rows %lld, digest %016llx\n", r.rank, r.world, epoch,
                    train_loss, static_cast<long long>(csv.rows), static_cast<unsigned long long>(csv.digest));
    }
    if (!writer) return 0;
    if (c.metrics) {
      std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> ip;
      for (const std::string split : {"train", "test"}) {
        std::vector<std::pair<double, double>> pts;
        for (const auto& p : plane)
          if (p.split == split) pts.emplace_back(p.i_xz, p.i_zy);
        ip.emplace_back(split, pts);
      }
      write_plot(c.out + "/infoplane.svg", "Information plane of the Gaussian-dropout layer", "I(X;Z) [nats]",
                 "I(Z;Y) [nats]", ip, true);
      std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> nc;
      for (int epoch = 1; epoch <= c.epochs; epoch = epoch < c.epochs ? std::min(c.epochs, epoch + std::max(1, c.epochs / 5)) : epoch + 1)
        nc.emplace_back("epoch " + std::to_string(epoch), nc_series["epoch " + std::to_string(epoch)]);
      write_plot(c.out + "/nc_layers.svg", "NC1 per layer (train; 0=h1 ... 4=penultimate)", "layer", "log10 NC1", nc,
                 true);
    }
    std::printf("{\"device\": \"%s\", \"ranks\": %d, \"backend\": \"%s\", \"epochs\": %d, "
                "\"train_seconds\": %.4f, \"metric_seconds\": %.4f, \"overhead_fraction\": %.5f}\n",
                device.str().c_str(), r.world, r.backend.c_str(), c.epochs, total_train, total_metric,
                total_metric / total_train);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infoplane: error: %s\n", e.what());
    return 2;
  }
}
