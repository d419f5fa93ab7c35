// Shared pieces of the seed-paper reproductions (examples/reproduce/*.cpp, docs/reproduce/):
// Fashion-MNIST loading (io/idx.hpp, gzip through zlib) into tensors, a tiny option parser, the
// metrics.csv writer (epoch, layer, split, metric, value[, network]), timing helpers, tensor -> host
// matrix conversion and the device neural-collapse metrics of one layer.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/io/idx.hpp"
#include "infogeo/torch/class_scatter.hpp"
#include "infogeo/torch/ncc.hpp"

namespace repro {

/// Command-line options as "--name value" pairs and "--flag" switches; unknown names are an error
/// (each program lists what it accepts, so a typo never silently runs the default).
class options {
 public:
  options(int argc, char** argv, const std::map<std::string, std::string>& defaults, const std::string& usage)
      : values_(defaults) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help") {
        std::printf("%s\noptions (defaults):\n", usage.c_str());
        for (const auto& [k, v] : defaults) std::printf("  --%s %s\n", k.c_str(), v.c_str());
        std::exit(0);
      }
      if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + a + "' (see --help)");
      a = a.substr(2);
      auto it = values_.find(a);
      if (it == values_.end()) throw std::invalid_argument("unknown option --" + a + " (see --help)");
      if (it->second == "false" || it->second == "true") {  // switch
        it->second = "true";
        continue;
      }
      if (i + 1 >= argc) throw std::invalid_argument("missing value after --" + a);
      it->second = argv[++i];
    }
  }
  std::string str(const std::string& k) const { return values_.at(k); }
  long long integer(const std::string& k) const { return std::stoll(values_.at(k)); }
  double real(const std::string& k) const { return std::stod(values_.at(k)); }
  bool flag(const std::string& k) const { return values_.at(k) == "true"; }
  /// Whether --smoke was given (the option must be declared, default "false").
  bool smoke() const { return flag("smoke"); }
  /// integer(k), or `smoke_value` under --smoke (the CI configuration's sizes).
  long long sized(const std::string& k, long long smoke_value) const { return smoke() ? smoke_value : integer(k); }
  std::vector<double> reals(const std::string& k) const {
    std::vector<double> out;
    std::string s = values_.at(k);
    std::size_t pos = 0;
    while (pos <= s.size()) {
      const std::size_t e = s.find(',', pos);
      out.push_back(std::stod(s.substr(pos, e == std::string::npos ? std::string::npos : e - pos)));
      if (e == std::string::npos) break;
      pos = e + 1;
    }
    return out;
  }
  /// The effective configuration, for the log and config.txt.
  std::string describe() const {
    std::string s;
    for (const auto& [k, v] : values_) s += "--" + k + " " + v + "\n";
    return s;
  }

 private:
  std::map<std::string, std::string> values_;
};

/// A program's main body: returns body()'s exit code; any exception is printed as
/// "<program>: error: <what>" and gives exit code 2 (bad options, bad data).
template <class Body>
int run_program(const char* program, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 2;
  }
}

/// Runs body(k) for k = 0..count-1 on up to `threads` threads pulling from one shared queue
/// (threads <= 0: one per hardware thread). body must be safe to call concurrently.
template <class Body>
void parallel_for(std::size_t count, long long threads, Body&& body) {
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::mutex mu;
  std::size_t next = 0;
  auto worker = [&]() {
    for (;;) {
      std::size_t k;
      {
        const std::lock_guard<std::mutex> lock(mu);
        if (next >= count) return;
        k = next++;
      }
      body(k);
    }
  };
  std::vector<std::thread> pool;
  for (long long t = 0; t < std::min<long long>(threads, static_cast<long long>(count)); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
}

/// The Fashion-MNIST directory: --data, else $INFOGEO_FASHION_MNIST, else Debian's
/// dataset-fashion-mnist location.
inline std::string data_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("INFOGEO_FASHION_MNIST")) return env;
  return "/usr/share/datasets/fashion-mnist";
}

struct dataset {
  torch::Tensor x_train, y_train, x_test, y_test;  // x: N x 1 x 28 x 28 float in [0, 1]; y: N int64
};

/// Loads one split of Fashion-MNIST (first n samples; n <= 0 = all). Checks that images and labels
/// agree in count and that labels lie in 0..9.
inline void load_split(const std::string& dir, const std::string& prefix, long long n, torch::Tensor& x,
                       torch::Tensor& y) {
  const auto images = infogeo::io::load_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", 3);
  const auto labels = infogeo::io::load_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", 1);
  if (images.shape[0] != labels.shape[0])
    throw std::invalid_argument(prefix + ": " + std::to_string(images.shape[0]) + " images but " +
                                std::to_string(labels.shape[0]) + " labels");
  const long long total = static_cast<long long>(images.shape[0]);
  const long long m = n <= 0 ? total : std::min(n, total);
  const long long side = static_cast<long long>(images.shape[1]) * static_cast<long long>(images.shape[2]);
  x = torch::from_blob(const_cast<std::uint8_t*>(images.data.data()), {m, 1, (long long)images.shape[1],
                       (long long)images.shape[2]}, torch::kUInt8)
          .to(torch::kFloat32)
          .div_(255.0);
  y = torch::from_blob(const_cast<std::uint8_t*>(labels.data.data()), {m}, torch::kUInt8).to(torch::kInt64);
  if (y.max().item<std::int64_t>() > 9) throw std::invalid_argument(prefix + ": a label is > 9");
  (void)side;
}

/// Fashion-MNIST on `device`: the first n_train training and n_test test samples.
inline dataset load_fashion_mnist(const std::string& dir, long long n_train, long long n_test, torch::Device device) {
  dataset d;
  load_split(dir, "train", n_train, d.x_train, d.y_train);
  load_split(dir, "t10k", n_test, d.x_test, d.y_test);
  d.x_train = d.x_train.to(device);
  d.y_train = d.y_train.to(device);
  d.x_test = d.x_test.to(device);
  d.y_test = d.y_test.to(device);
  return d;
}

/// metrics.csv: epoch, layer, split, metric, value (and network, when given one). Remembers which
/// rows it wrote (has()), so that a program can check at the end that it measured what it should.
class csv_writer {
 public:
  csv_writer(const std::string& path, bool with_network) : out_(path), network_(with_network) {
    if (!out_) throw std::runtime_error("cannot write " + path);
    out_.precision(10);
    out_ << "epoch,layer,split,metric,value" << (network_ ? ",network" : "") << '\n';
  }
  void row(long long epoch, const std::string& layer, const std::string& split, const std::string& metric, double v,
           const std::string& network = "") {
    out_ << epoch << ',' << layer << ',' << split << ',' << metric << ',' << v;
    if (network_) out_ << ',' << network;
    out_ << '\n';
    out_.flush();
    written_.insert(key(epoch, layer, split, metric, network));
  }
  bool has(long long epoch, const std::string& layer, const std::string& split, const std::string& metric,
           const std::string& network = "") const {
    return written_.count(key(epoch, layer, split, metric, network)) > 0;
  }

 private:
  static std::string key(long long epoch, const std::string& layer, const std::string& split, const std::string& metric,
                         const std::string& network) {
    return std::to_string(epoch) + " " + network + " " + layer + " " + split + " " + metric;
  }
  std::ofstream out_;
  bool network_;
  std::set<std::string> written_;
};

/// One metrics.csv row a run must have written.
struct row_key {
  long long epoch;
  std::string layer, split, metric, network;
};

/// The run's exit code: 0 when every `wanted` row was written, else 1 with the missing rows on
/// stderr. The programs log a refused or failed estimate and go on, so without this check a smoke
/// test could not fail on a metric that stopped working.
inline int check_measured(const csv_writer& csv, const char* program, const std::vector<row_key>& wanted) {
  std::string missing;
  for (const auto& k : wanted)
    if (!csv.has(k.epoch, k.layer, k.split, k.metric, k.network))
      missing +=
          "\n  epoch " + std::to_string(k.epoch) + " " + k.network + " " + k.layer + " " + k.split + " " + k.metric;
  if (missing.empty()) return 0;
  std::fprintf(stderr, "%s: not measured (see the log above):%s\n", program, missing.c_str());
  return 1;
}

/// The reason codes of a warned estimate, "code1, code2" (empty when ok), for the program logs.
inline std::string reason_codes(const infogeo::estimate& e) {
  std::string codes;
  for (const auto& r : e.reasons) codes += (codes.empty() ? "" : ", ") + r.code;
  return codes;
}

inline torch::Device pick_device() {
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

inline void sync(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

using clock = std::chrono::steady_clock;
inline double seconds_since(clock::time_point t0) {
  return std::chrono::duration<double>(clock::now() - t0).count();
}

/// Seconds since t0 once the device's queued work is done (sync first: CUDA runs asynchronously).
inline double synced_seconds_since(torch::Device device, clock::time_point t0) {
  sync(device);
  return seconds_since(t0);
}

/// One optimiser step on `loss`: zero the gradients, backpropagate, step.
inline void optimizer_step(torch::optim::Optimizer& opt, const torch::Tensor& loss) {
  opt.zero_grad();
  loss.backward();
  opt.step();
}

/// Tensor (any device, any float dtype) -> contiguous CPU double tensor.
inline torch::Tensor to_host_double(const torch::Tensor& t) {
  return t.detach().to(torch::kCPU, torch::kDouble).contiguous();
}

inline std::vector<std::int64_t> to_labels(const torch::Tensor& y) {
  const torch::Tensor c = y.detach().to(torch::kCPU, torch::kInt64).contiguous();
  return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
}

/// One training epoch: the n training rows in a fresh random order (torch::randperm on `device`),
/// step(idx) once per minibatch of at most `batch` row indices (an int64 tensor on `device`).
template <class Step>
void for_each_minibatch(long long n, long long batch, torch::Device device, Step&& step) {
  const auto perm = torch::randperm(n, torch::TensorOptions().device(device).dtype(torch::kLong));
  for (long long s = 0; s < n; s += batch) step(perm.slice(0, s, std::min(n, s + batch)));
}

/// Tensor (N x D, any device, any float dtype) -> host row-major double matrix (the CPU estimators' input).
inline infogeo::row_matrix<double> to_matrix(const torch::Tensor& t) {
  const auto c = to_host_double(t);
  infogeo::row_matrix<double> m(c.size(0), c.size(1));
  std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), m.data());
  return m;
}

/// Host row-major double matrix -> N x D double tensor on `device` (a copy).
inline torch::Tensor to_tensor(const infogeo::row_matrix<double>& m, torch::Device device) {
  return torch::from_blob(const_cast<double*>(m.data()), {m.rows(), m.cols()}, torch::kDouble).clone().to(device);
}

/// Neural-collapse metrics of one layer (h: N x D on the device, labels y, the classifier's
/// predictions): the two-pass class scatter reduced on the device (infogeo/torch/class_scatter.hpp,
/// `mode`), geometry::neural_collapse on it (NC1, NC2, traces, CDNV, Sigma_W mean entry in full
/// mode), and NC4 / NCC accuracy on the device (infogeo/torch/ncc.hpp) stored in the metrics.
struct layer_collapse {
  infogeo::geometry::class_scatter scatter;
  infogeo::geometry::collapse_metrics metrics;
};
inline layer_collapse collapse_on_device(
    const torch::Tensor& h, const torch::Tensor& y, const torch::Tensor& predictions, std::int64_t classes,
    infogeo::geometry::scatter_mode mode = infogeo::geometry::scatter_mode::projected) {
  infogeo::libtorch::device_class_scatter acc(classes, h.size(1), mode, h.device());
  acc.update(h, y);
  acc.begin_second_pass();
  acc.update(h, y);
  layer_collapse r;
  r.scatter = acc.finalize();
  r.metrics = infogeo::geometry::neural_collapse(r.scatter);
  const auto ncc = infogeo::libtorch::ncc_on_device(acc, h, y, predictions);
  r.metrics.nc4 = ncc.nc4();
  r.metrics.ncc_accuracy = ncc.ncc_accuracy();
  return r;
}

}  // namespace repro
