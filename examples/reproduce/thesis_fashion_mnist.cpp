// Reproduction of "Explaining DNNs using information theory and geometry" (seed paper 001, thesis
// Sec. 2.3 and 3) on Fashion-MNIST (docs/reproduce/thesis_fashion_mnist.md).
//
// The CNNs f_plus and f_minus of Fig. 2.3 and the equations after it (Sec. 2.3):
//   f_plus:  T^l(h) = pool2 o bn o conv3x3(d_l) ( relu(h + bn o conv3x3(d_{l-1})(h)) ),  l = 1, 2, 3,
//            T^4 = fc(d_3, 10) o maxpool over the remaining 3 x 3,  (d_0..d_3) = (1, 64, 128, 256)
//   f_minus: T^l = pool3 o bn o conv5x5(d_l / 4),  T^4 = fc(d_3 / 4, 10)
//   h^l = relu(T^l(h^{l-1})) for l = 1..3; convolutions "same"-padded without bias; batch norm with
//   batch statistics in training AND evaluation (no running statistics), so that the networks
//   behave the same on train and test data (Sec. 2.3).
// Training (Sec. 2.3): cross-entropy, AdamW (PyTorch defaults, weight decay 0.01), constant lr 2e-3,
// until the epoch's training loss is <= 0.02 or max-epochs; the training set is cut to the test
// set's size (10,000).
// Per epoch, per layer l = 0..3 (h^0 = the image) and split: tr(Sigma_W Sigma_B^+) (thesis eq. 2.1,
// reduced on the device: infogeo/torch/class_scatter.hpp), the equi-separation fit over l = 1..3,
// accuracy and loss. Every vinfo-every epochs: sufficiency and minimality (thesis Sec. 1.3, Alg. 2)
// of the first vinfo-samples rows of h^l per split, with the decoder family chosen by --decoder:
//   rest (default): the thesis's V^l = { f^{L:l+1}_theta } (Sec. 1.3): a fresh copy of blocks
//     l+1..3 and the head of the same network (one definition, Cnn(plus, first_block = l + 1)) on h^l
//     flattened (not pooled) and reshaped back to its (C, H, W), trained "the same way as the main
//     network" (Sec. 2.3): AdamW, lr --lr, weight decay 0.01, minibatches of --batch, no feature
//     standardisation, at most --decoder-epochs epochs with early stopping after --decoder-patience
//     epochs without improvement (infogeo/torch/vinfo_decoder.hpp), on the program's device, one fit
//     after the other. l = 3: the head only (f_plus: max over the 3 x 3 map, then fc; f_minus: fc).
//   linear: infogeo/vinfo's CPU linear-softmax decoder on pooled features (h^0: 4 x 4 average
//     pooling, 49-D; h^l: global average pooling per channel), fits in parallel on --threads
//     threads: the earlier runs' decoder, not the thesis's.
// Besides sufficiency, sufficiency_fit_rows and minimality, vinfo_not_converged_fits counts the
// decoder fits (1 for sufficiency, up to 10 x N_D for minimality) that stopped at their epoch or
// iteration cap.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/geometry/separation.hpp"
#include "infogeo/torch/class_scatter.hpp"
#include "infogeo/torch/vinfo_decoder.hpp"
#include "infogeo/vinfo/linear_decoder.hpp"
#include "infogeo/vinfo/minimality.hpp"
#include "infogeo/vinfo/sufficiency.hpp"

namespace {

torch::nn::Conv2d conv(long long in, long long out, long long k) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).padding(k / 2).bias(false));
}
torch::nn::BatchNorm2d bn(long long c) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).track_running_stats(false));
}

struct forward_result {
  std::vector<torch::Tensor> h;  // h^first_block .. h^3
  torch::Tensor logits;
};

/// f_plus or f_minus from block `first_block` on: blocks first_block..3 (T^l, l = first_block..3)
/// and the head T^4 with `num_classes` outputs. first_block = 1 is the network; first_block = l + 1
/// is the thesis's decoder f^{L:l+1} of layer l (first_block = 4: the head only). Parameter names
/// carry the global block number (conv2, bn2, ...).
/// Batch norm always sees at least 9 values per channel, also on a minibatch of one row (the
/// decoder's last minibatch can have one): every bn comes before its block's pooling, at 28 x 28,
/// 14 x 14 or 7 x 7 (f_plus) and 28 x 28, 9 x 9 or 3 x 3 (f_minus); the 1 x 1 map of f_minus's h^3
/// only meets fc.
struct CnnImpl : torch::nn::Module {
  CnnImpl(bool plus_, int first_block_ = 1, long long num_classes = 10) : plus(plus_), first_block(first_block_) {
    if (first_block < 1 || first_block > 4) throw std::invalid_argument("Cnn: first_block must be in 1..4");
    const long long d[4] = {1, 64, 128, 256};
    for (int l = first_block; l <= 3; ++l) {
      const std::string s = std::to_string(l);
      if (plus) {
        res_conv.push_back(register_module("res_conv" + s, conv(d[l - 1], d[l - 1], 3)));
        res_bn.push_back(register_module("res_bn" + s, bn(d[l - 1])));
        main_conv.push_back(register_module("conv" + s, conv(d[l - 1], d[l], 3)));
        main_bn.push_back(register_module("bn" + s, bn(d[l])));
      } else {
        main_conv.push_back(register_module("conv" + s, conv(l == 1 ? 1 : d[l - 1] / 4, d[l] / 4, 5)));
        main_bn.push_back(register_module("bn" + s, bn(d[l] / 4)));
      }
    }
    fc = register_module("fc", torch::nn::Linear(plus ? 256 : 64, num_classes));
  }
  /// x: h^{first_block - 1}, N x C x H x W.
  forward_result forward(torch::Tensor x) {
    forward_result r;
    for (std::size_t b = 0; b < main_conv.size(); ++b) {
      if (plus) {
        const auto inner = torch::relu(x + res_bn[b]->forward(res_conv[b]->forward(x)));
        x = torch::relu(torch::max_pool2d(main_bn[b]->forward(main_conv[b]->forward(inner)), 2, 2));
      } else {
        x = torch::relu(torch::max_pool2d(main_bn[b]->forward(main_conv[b]->forward(x)), 3, 3));
      }
      r.h.push_back(x);
    }
    // f_plus: pool(sqrt(D_3/d_3)) = the whole remaining 3 x 3 map; f_minus: h^3 is already 1 x 1.
    const auto pooled = plus ? torch::amax(x, {2, 3}) : x.flatten(1);
    r.logits = fc->forward(pooled);
    return r;
  }
  bool plus;
  int first_block;
  std::vector<torch::nn::Conv2d> res_conv, main_conv;
  std::vector<torch::nn::BatchNorm2d> res_bn, main_bn;
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Cnn);

/// The decoder f^{L:l+1} of layer l on flat features (torch_decoder_family's input): N x (C H W)
/// viewed as h^l's N x C x H x W, then Cnn(plus, l + 1, num_classes); returns the logits.
struct RestDecoderImpl : torch::nn::Module {
  RestDecoderImpl(bool plus, int layer, std::vector<std::int64_t> shape_, long long num_classes)
      : shape(std::move(shape_)), rest(register_module("rest", Cnn(plus, layer + 1, num_classes))) {}
  torch::Tensor forward(torch::Tensor x) {
    std::vector<std::int64_t> s{x.size(0)};
    s.insert(s.end(), shape.begin(), shape.end());
    return rest->forward(x.view(s)).logits;
  }
  std::vector<std::int64_t> shape;  // C, H, W of h^l
  Cnn rest;
};
TORCH_MODULE(RestDecoder);

/// The thesis's decoder family V^l of layer l (Sec. 1.3), trained as the network (Sec. 2.3).
infogeo::libtorch::torch_decoder_family rest_family(bool plus, int layer, const std::vector<std::int64_t>& shape,
                                                    const infogeo::libtorch::torch_decoder_options& options) {
  auto factory = [plus, layer, shape](std::int64_t input_dim, std::int64_t num_classes) {
    std::int64_t size = 1;
    for (auto v : shape) size *= v;
    if (input_dim != size)
      throw std::invalid_argument("rest decoder of layer " + std::to_string(layer) + ": " + std::to_string(input_dim) +
                                  " features, h^l has " + std::to_string(size));
    torch::nn::Sequential seq;
    seq->push_back(RestDecoder(plus, layer, shape, num_classes));
    return seq;
  };
  return infogeo::libtorch::torch_decoder_family(factory, options,
                                                 std::string(plus ? "f_plus" : "f_minus") + "^{4:" +
                                                     std::to_string(layer + 1) + "}");
}

/// Pooled features for the CPU linear decoder (--decoder linear, see the file comment).
torch::Tensor pooled(const torch::Tensor& h, int layer) {
  if (layer == 0) return torch::avg_pool2d(h, 4, 4).flatten(1);
  return h.mean({2, 3});
}

/// Saves the default generators' states (CPU, and the device's) and restores them when it goes out
/// of scope: the torch decoder fits call torch::manual_seed, and the main network's training (its
/// minibatch order) must not depend on --decoder.
class rng_state_guard {
 public:
  explicit rng_state_guard(torch::Device device) {
    gens_.push_back(at::globalContext().defaultGenerator(torch::Device(torch::kCPU)));
    if (device.is_cuda()) gens_.push_back(at::globalContext().defaultGenerator(device));
    for (auto& g : gens_) {
      std::lock_guard<std::mutex> lock(g.mutex());
      states_.push_back(g.get_state());
    }
  }
  ~rng_state_guard() {
    for (std::size_t i = 0; i < gens_.size(); ++i) {
      std::lock_guard<std::mutex> lock(gens_[i].mutex());
      gens_[i].set_state(states_[i]);
    }
  }
  rng_state_guard(const rng_state_guard&) = delete;
  rng_state_guard& operator=(const rng_state_guard&) = delete;

 private:
  std::vector<at::Generator> gens_;
  std::vector<torch::Tensor> states_;
};

struct vinfo_job {
  int epoch, layer;
  std::string split;
  infogeo::row_matrix<double> features;
  std::vector<std::int64_t> labels;
  std::vector<std::int64_t> shape;  // C, H, W of h^l (rest decoder)
  double sufficiency = 0.0, sufficiency_train = 0.0, minimality = 0.0;
  int fits = 0, not_converged = 0;
  double seconds = 0.0;
  bool ok = true;
  std::string error;
};

/// Sufficiency and minimality of one job under `family` (seed 7, as the earlier runs), with the
/// fit counts.
template <class Family>
void run_vinfo(vinfo_job& j, const Family& family) {
  const auto t0 = repro::clock::now();
  infogeo::vinfo::sufficiency_options so;
  so.seed = 7;
  const auto view = infogeo::make_view(j.features);
  const auto s = infogeo::vinfo::sufficiency(view, j.labels, family, so);
  j.sufficiency = s.value;
  j.sufficiency_train = s.value_train;
  for (const auto& f : s.fits) {
    ++j.fits;
    if (!f.converged) ++j.not_converged;
  }
  infogeo::vinfo::minimality_options mo;
  mo.seed = 7;
  const auto m = infogeo::vinfo::minimality(view, j.labels, family, mo);
  j.minimality = m.value;
  for (const auto& c : m.cells)
    if (c.fitted) {
      ++j.fits;
      if (!c.fit.converged) ++j.not_converged;
    }
  j.seconds = repro::seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const repro::options o(
        argc, argv,
        {{"out", "out_thesis_fashion_mnist"}, {"data", ""}, {"smoke", "false"}, {"networks", "plus,minus"},
         {"max-epochs", "20"}, {"target-loss", "0.02"}, {"n-train", "10000"}, {"n-test", "10000"},
         {"batch", "128"}, {"lr", "2e-3"}, {"vinfo-every", "5"}, {"vinfo-samples", "1000"}, {"no-vinfo", "false"},
         {"decoder", "rest"}, {"decoder-epochs", "30"}, {"decoder-patience", "5"}, {"threads", "0"}, {"seed", "1"}},
        "thesis_fashion_mnist: seed paper 001, CNNs f_plus / f_minus on Fashion-MNIST, NC trace and V-information");
    const bool smoke = o.flag("smoke");
    auto I = [&](const char* k, long long smoke_value) { return smoke ? smoke_value : o.integer(k); };
    const long long max_epochs = I("max-epochs", 1), batch = o.integer("batch");
    const long long vinfo_every = I("vinfo-every", 1), vinfo_samples = I("vinfo-samples", 100);
    const std::string decoder = o.str("decoder");
    if (decoder != "rest" && decoder != "linear")
      throw std::invalid_argument("--decoder: rest or linear (got '" + decoder + "')");
    const bool rest = decoder == "rest";
    const std::string out = o.str("out");
    std::filesystem::create_directories(out);
    const torch::Device device = repro::pick_device();
    std::fprintf(stderr, "thesis_fashion_mnist: device %s%s\n", device.str().c_str(), smoke ? " (smoke)" : "");
    // The rest-of-the-network decoder, trained as the network (thesis Sec. 2.3).
    infogeo::libtorch::torch_decoder_options dopt;
    dopt.learning_rate = o.real("lr");
    dopt.weight_decay = 0.01;  // AdamW, PyTorch's default decay, as the main network
    dopt.batch_size = batch;
    dopt.max_epochs = I("decoder-epochs", 2);
    dopt.patience = o.integer("decoder-patience");
    dopt.standardize = false;  // the rest of the network sees h^l as it is
    dopt.dtype = torch::kFloat;
    dopt.device = device;
    if (rest)
      std::fprintf(stderr,
                   "thesis_fashion_mnist: V-information decoder rest (f^{L:l+1}, AdamW lr %g weight decay %g, "
                   "batch %lld, <= %lld epochs, patience %lld, %s, one fit at a time)\n",
                   dopt.learning_rate, dopt.weight_decay, static_cast<long long>(dopt.batch_size),
                   static_cast<long long>(dopt.max_epochs), static_cast<long long>(dopt.patience),
                   device.str().c_str());
    else
      std::fprintf(stderr, "thesis_fashion_mnist: V-information decoder linear (CPU linear softmax on pooled features; "
                           "not the thesis's decoder)\n");
    const auto data = repro::load_fashion_mnist(repro::data_dir(o.str("data")), I("n-train", 300), I("n-test", 300),
                                                device);
    repro::csv_writer csv(out + "/metrics.csv", true);
    std::ofstream timing(out + "/timing.csv");
    timing << "network,epoch,train_seconds,geometry_seconds,vinfo_seconds,train_loss\n";
    std::vector<std::string> nets;
    {
      std::string s = o.str("networks");
      for (std::size_t p = 0; p <= s.size();) {
        const std::size_t e = std::min(s.find(',', p), s.size());
        nets.push_back(s.substr(p, e - p));
        p = e + 1;
      }
    }
    const auto t_all = repro::clock::now();
    for (const auto& netname : nets) {
      if (netname != "plus" && netname != "minus") throw std::invalid_argument("--networks: plus and/or minus");
      const std::string name = "f_" + netname;
      const bool plus = netname == "plus";
      torch::manual_seed(o.integer("seed"));
      Cnn net(plus);
      net->to(device);
      torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.real("lr")));  // wd 0.01 default
      const long long n = data.x_train.size(0);
      for (long long epoch = 1; epoch <= max_epochs; ++epoch) {
        repro::sync(device);
        const auto t0 = repro::clock::now();
        net->train();
        const auto perm = torch::randperm(n, torch::TensorOptions().device(device).dtype(torch::kLong));
        auto loss_sum = torch::zeros({}, torch::TensorOptions().device(device).dtype(torch::kDouble));
        for (long long s = 0; s < n; s += batch) {
          const auto idx = perm.slice(0, s, std::min(n, s + batch));
          const auto r = net->forward(data.x_train.index_select(0, idx));
          auto loss = torch::nn::functional::cross_entropy(r.logits, data.y_train.index_select(0, idx));
          opt.zero_grad();
          loss.backward();
          opt.step();
          loss_sum += loss.detach().to(torch::kDouble) * static_cast<double>(idx.size(0));
        }
        const double train_loss = loss_sum.item<double>() / static_cast<double>(n);
        repro::sync(device);
        const double train_seconds = repro::seconds_since(t0);
        csv.row(epoch, "output", "train", "train_loss_running", train_loss, name);

        // Measurements: the network as trained (batch statistics over batches of the training size).
        const auto t1 = repro::clock::now();
        std::vector<vinfo_job> jobs;
        const bool do_vinfo = !o.flag("no-vinfo") && (epoch % vinfo_every == 0 || epoch == max_epochs);
        bool stop = false;
        {
          torch::NoGradGuard no_grad;  // not over the rest decoder's fits below: they train
          for (const std::string split : {"train", "test"}) {
            const auto& x = split == "train" ? data.x_train : data.x_test;
            const auto& y = split == "train" ? data.y_train : data.y_test;
            const long long m = x.size(0);
            std::vector<std::vector<torch::Tensor>> layers(4);
            std::vector<torch::Tensor> logits;
            for (long long s = 0; s < m; s += batch) {
              const auto xb = x.slice(0, s, std::min(m, s + batch));
              const auto r = net->forward(xb);
              layers[0].push_back(xb);
              for (int l = 1; l <= 3; ++l)
                layers[static_cast<std::size_t>(l)].push_back(r.h[static_cast<std::size_t>(l - 1)]);
              logits.push_back(r.logits);
            }
            const auto lg = torch::cat(logits);
            const double loss = torch::nn::functional::cross_entropy(lg, y).item<double>();
            const double acc = (lg.argmax(1) == y).to(torch::kDouble).mean().item<double>();
            csv.row(epoch, "output", split, "loss", loss, name);
            csv.row(epoch, "output", split, "accuracy", acc, name);
            if (split == "train" && loss <= o.real("target-loss")) stop = true;
            std::vector<double> trace;
            for (int l = 0; l <= 3; ++l) {
              const auto hl = torch::cat(layers[static_cast<std::size_t>(l)]);
              const auto h = hl.flatten(1);
              infogeo::libtorch::device_class_scatter acc_s(10, h.size(1), infogeo::geometry::scatter_mode::projected,
                                                            h.device());
              acc_s.update(h, y);
              acc_s.begin_second_pass();
              acc_s.update(h, y);
              const auto sc = acc_s.finalize();
              const auto nc = infogeo::geometry::neural_collapse(sc);
              csv.row(epoch, std::to_string(l), split, "tr_sw_sbpinv", nc.tr_sw_sbpinv, name);
              if (nc.cdnv) csv.row(epoch, std::to_string(l), split, "cdnv", *nc.cdnv, name);
              if (l >= 1) trace.push_back(nc.tr_sw_sbpinv);
              if (do_vinfo) {
                const long long k = std::min(vinfo_samples, m);
                vinfo_job j;
                j.epoch = static_cast<int>(epoch);
                j.layer = l;
                j.split = split;
                const auto sub = hl.slice(0, 0, k);
                j.features = repro::to_matrix(rest ? sub.flatten(1) : pooled(sub, l));
                j.labels = repro::to_labels(y.slice(0, 0, k));
                j.shape.assign(hl.sizes().begin() + 1, hl.sizes().end());
                jobs.push_back(std::move(j));
              }
            }
            const auto fit = infogeo::geometry::fit_equi_separation(trace, {1.0, 2.0, 3.0});
            csv.row(epoch, "all", split, "equi_separation_slope", fit.slope, name);
            if (fit.pearson_r) csv.row(epoch, "all", split, "equi_separation_pearson_r", *fit.pearson_r, name);
          }
        }
        repro::sync(device);
        const double geometry_seconds = repro::seconds_since(t1);
        const auto t2 = repro::clock::now();
        if (rest) {
          // The rest-of-the-network decoders: on the device, one fit after the other.
          const rng_state_guard keep_rng(device);
          for (auto& j : jobs) {
            try {
              run_vinfo(j, rest_family(plus, j.layer, j.shape, dopt));
            } catch (const std::exception& e) {
              j.ok = false;
              j.error = e.what();
            }
          }
        } else {
          // The CPU linear decoder, in parallel over (layer, split).
          repro::parallel_for(jobs.size(), o.integer("threads"), [&](std::size_t k) {
            auto& j = jobs[k];
            try {
              run_vinfo(j, infogeo::vinfo::linear_softmax_family());
            } catch (const std::exception& e) {
              j.ok = false;
              j.error = e.what();
            }
          });
        }
        int fits = 0, not_converged = 0;
        for (const auto& j : jobs) {
          if (!j.ok) {
            std::fprintf(stderr, "%s epoch %d layer %d %s: V-information failed: %s\n", name.c_str(), j.epoch, j.layer,
                         j.split.c_str(), j.error.c_str());
            continue;
          }
          csv.row(j.epoch, std::to_string(j.layer), j.split, "sufficiency", j.sufficiency, name);
          csv.row(j.epoch, std::to_string(j.layer), j.split, "sufficiency_fit_rows", j.sufficiency_train, name);
          csv.row(j.epoch, std::to_string(j.layer), j.split, "minimality", j.minimality, name);
          csv.row(j.epoch, std::to_string(j.layer), j.split, "vinfo_not_converged_fits", j.not_converged, name);
          std::fprintf(stderr,
                       "%s epoch %d layer %d %s: sufficiency %.4f (fit rows %.4f), minimality %.4f; %d fits, "
                       "%d not converged, %.2f s\n",
                       name.c_str(), j.epoch, j.layer, j.split.c_str(), j.sufficiency, j.sufficiency_train,
                       j.minimality, j.fits, j.not_converged, j.seconds);
          fits += j.fits;
          not_converged += j.not_converged;
        }
        const double vinfo_seconds = repro::synced_seconds_since(device, t2);
        timing << name << ',' << epoch << ',' << train_seconds << ',' << geometry_seconds << ',' << vinfo_seconds << ','
               << train_loss << '\n';
        std::fprintf(stderr,
                     "%s epoch %lld: running loss %.4f, train %.2f s, geometry %.2f s, V-info %.2f s (%s decoder, %d "
                     "fits, %d not converged)\n",
                     name.c_str(), epoch, train_loss, train_seconds, geometry_seconds, vinfo_seconds, decoder.c_str(),
                     fits, not_converged);
        if (stop) {
          std::fprintf(stderr, "%s: training loss <= %g after epoch %lld: stop (thesis Sec. 2.3)\n", name.c_str(),
                       o.real("target-loss"), epoch);
          break;
        }
      }
    }
    std::fprintf(stderr, "total %.1f s\n", repro::seconds_since(t_all));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "thesis_fashion_mnist: error: %s\n", e.what());
    return 2;
  }
}
