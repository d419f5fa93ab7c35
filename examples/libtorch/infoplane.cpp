// Train an MLP with a Gaussian-dropout bottleneck on a synthetic 64-D Gaussian-class dataset and
// record, per epoch, per hidden layer and per split, neural-collapse metrics (reduced on the GPU
// through infogeo/torch.hpp) and the information plane of the dropout layer:
//   I(X;Z)  noisy-representation estimator (Gaussian mixture, Adilova et al. 2023)
//   I(Z;Y)  discrete-label estimator h(Z) - sum_y p(y) h(Z|y) (Butakov et al. eq. 5) with weighted
//           Kozachenko-Leonenko on the PCA-compressed Z (Butakov et al. 2024)
// Writes DIR/metrics.csv (epoch,layer,split,metric,value), DIR/infoplane.svg, DIR/nc_layers.svg
// and DIR/timing.csv. Usage: infoplane [--epochs E] [--no-metrics] [--out DIR] ... (--help).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
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
    else if (a == "--help") {
      std::printf("infoplane [--epochs E] [--n-train N] [--n-test N] [--hidden H] [--batch B] [--lr LR]\n"
                  "          [--sigma S] [--gamma G] [--nc-lambda L] [--nc-alpha A] [--nc-samples N]\n"
                  "          [--mi-samples N] [--pca K] [--draws K] [--seed S] [--out DIR] [--no-metrics]\n");
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
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

  activations forward(const torch::Tensor& x) {
    activations a;
    const auto h1 = torch::relu(fc1->forward(x));
    const auto h2 = torch::relu(fc2->forward(h1));
    // tanh keeps the bottleneck away from exact zeros, where Gaussian dropout has no density.
    const auto f = torch::tanh(fc3->forward(h2));
    // Gaussian dropout Z = f(X) * D, D ~ N(1, sigma^2 I): in training AND when measuring.
    const auto z = f * (1.0 + sigma * torch::randn_like(f));
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

/// Gaussian classes in 64-D: mu_y ~ N(0, spread^2 I), x = mu_y + noise_std * N(0, I).
dataset make_dataset(const config& c, torch::Device device) {
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
  return d;
}

struct csv_writer {
  std::ofstream out;
  explicit csv_writer(const std::string& path) : out(path) {
    out.precision(10);
    out << "epoch,layer,split,metric,value\n";
  }
  void row(int epoch, const std::string& layer, const std::string& split, const std::string& metric, double v) {
    out << epoch << ',' << layer << ',' << split << ',' << metric << ',' << v << '\n';
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

/// NC metrics of every hidden layer on `x`, `y` (the GPU does the reductions).
std::map<std::string, double> record_geometry(Net& net, const torch::Tensor& x, const torch::Tensor& y,
                                              const config& c, int epoch, const std::string& split, csv_writer& csv) {
  torch::NoGradGuard no_grad;
  const activations a = net->forward(x);
  const auto predictions = a.logits.argmax(1);
  std::map<std::string, double> nc1_by_layer;
  std::vector<double> layer_nc;
  for (std::size_t l = 0; l < a.hidden.size(); ++l) {
    const auto& h = a.hidden[l];
    infogeo::libtorch::device_class_scatter acc(c.classes, h.size(1), infogeo::geometry::scatter_mode::projected,
                                                h.device());
    acc.update(h, y);
    acc.begin_second_pass();
    acc.update(h, y);
    const auto s = acc.finalize();
    auto m = infogeo::geometry::neural_collapse(s);
    const auto ncc = infogeo::libtorch::ncc_on_device(acc, h, y, predictions);
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
  csv.row(epoch, "all", split, "accuracy", (predictions == y).to(torch::kDouble).mean().item<double>());
  return nc1_by_layer;
}

/// Information plane of the dropout layer on the first mi_samples rows of `x`, `y` (CPU estimators).
plane_point record_information(Net& net, const torch::Tensor& x, const torch::Tensor& y, const config& c, int epoch,
                               const std::string& split, csv_writer& csv) {
  torch::NoGradGuard no_grad;
  const auto xs = x.slice(0, 0, c.mi_samples);
  const activations a = net->forward(xs);
  const at::Tensor f = a.hidden[2].to(torch::kCPU, torch::kDouble).contiguous();
  const at::Tensor z = a.hidden[3].to(torch::kCPU, torch::kDouble).contiguous();
  const at::Tensor ycpu = y.slice(0, 0, c.mi_samples).to(torch::kCPU).contiguous();
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

}  // namespace

int main(int argc, char** argv) {
  try {
    const config c = parse(argc, argv);
    const torch::Device device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    std::fprintf(stderr, "infoplane: device %s, %lld train / %lld test samples, metrics %s\n", device.str().c_str(),
                 static_cast<long long>(c.n_train), static_cast<long long>(c.n_test), c.metrics ? "on" : "off");
    std::filesystem::create_directories(c.out);
    const dataset data = make_dataset(c, device);
    Net net(c);
    net->to(device);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(c.lr));
    csv_writer csv(c.out + "/metrics.csv");
    std::ofstream timing(c.out + "/timing.csv");
    timing << "epoch,train_seconds,metric_seconds,geometry_seconds,information_seconds,train_loss\n";
    std::vector<plane_point> plane;
    std::map<std::string, std::vector<std::pair<double, double>>> nc_series;  // epoch -> (layer, log10 nc1)
    double total_train = 0.0, total_metric = 0.0;
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
      sync(device);
      const auto t0 = std::chrono::steady_clock::now();
      net->train();
      const auto perm = torch::randperm(c.n_train, torch::TensorOptions().device(device).dtype(torch::kLong));
      torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
      std::int64_t steps = 0;
      for (std::int64_t s = 0; s + c.batch <= c.n_train; s += c.batch, ++steps) {
        const auto idx = perm.slice(0, s, s + c.batch);
        const auto xb = data.x_train.index_select(0, idx);
        const auto yb = data.y_train.index_select(0, idx);
        const activations a = net->forward(xb);
        auto loss = torch::nn::functional::cross_entropy(a.logits, yb);
        if (c.gamma > 0.0) loss = loss + c.gamma * a.hidden[4].pow(2).sum(1).mean();
        if (c.nc_lambda != 0.0) loss = loss - c.nc_lambda * torch::tanh(c.nc_alpha * batch_cdnv(a.hidden[4], yb, c.classes));
        opt.zero_grad();
        loss.backward();
        opt.step();
        loss_sum += loss.detach();
      }
      const double train_loss = loss_sum.item<double>() / static_cast<double>(steps);
      sync(device);
      const double train_seconds = seconds_since(t0);
      total_train += train_seconds;
      double geometry_seconds = 0.0, information_seconds = 0.0;
      if (c.metrics) {
        net->eval();  // no BatchNorm / nn::Dropout here; the Gaussian dropout stays on by design
        const auto t1 = std::chrono::steady_clock::now();
        const auto nc_train = record_geometry(net, data.x_train.slice(0, 0, c.nc_samples),
                                              data.y_train.slice(0, 0, c.nc_samples), c, epoch, "train", csv);
        record_geometry(net, data.x_test.slice(0, 0, c.nc_samples), data.y_test.slice(0, 0, c.nc_samples), c, epoch,
                        "test", csv);
        sync(device);
        geometry_seconds = seconds_since(t1);
        const auto t2 = std::chrono::steady_clock::now();
        plane.push_back(record_information(net, data.x_train, data.y_train, c, epoch, "train", csv));
        plane.push_back(record_information(net, data.x_test, data.y_test, c, epoch, "test", csv));
        information_seconds = seconds_since(t2);
        auto& series = nc_series["epoch " + std::to_string(epoch)];
        for (std::size_t l = 0; l < layer_names.size(); ++l)
          series.emplace_back(static_cast<double>(l), std::log10(nc_train.at(layer_names[l])));
      }
      const double metric_seconds = geometry_seconds + information_seconds;
      total_metric += metric_seconds;
      timing << epoch << ',' << train_seconds << ',' << metric_seconds << ',' << geometry_seconds << ','
             << information_seconds << ',' << train_loss << '\n';
      std::fprintf(stderr, "epoch %d: loss %.4f, train %.2f s, metrics %.3f s (geometry %.3f, information %.3f)\n",
                   epoch, train_loss, train_seconds, metric_seconds, geometry_seconds, information_seconds);
    }
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
    std::printf("{\"device\": \"%s\", \"epochs\": %d, \"train_seconds\": %.4f, \"metric_seconds\": %.4f, "
                "\"overhead_fraction\": %.5f}\n",
                device.str().c_str(), c.epochs, total_train, total_metric, total_metric / total_train);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infoplane: error: %s\n", e.what());
    return 2;
  }
}
