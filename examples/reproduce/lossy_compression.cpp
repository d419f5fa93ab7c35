// Reproduction of "Information bottleneck analysis of deep neural networks via lossy compression"
// (Butakov et al., ICLR 2024; seed paper 004; docs/reproduce/lossy_compression.md).
//
// Part 1, synthetic image tests (Sec. 5, Algorithm 1, Figs. 3-4, Fig. 6; App. E Table 2): pairs of
// 16 x 16 and 32 x 32 images of 2-D Gaussian bumps (n' = 2) and rectangles (n' = 4) rendered from
// correlated Gaussian latents with known I(X;Y) (synthetic::image_pairs, their renderers with
// --mapping authors), N = 5000, I swept over --mi-grid. Each side is compressed to n' dimensions by
// PCA (mi::pca_projector) and by a convolutional autoencoder (libtorch::autoencoder, ae_arch::conv,
// MAE loss, full batch: their App. F, fewer epochs), then I(E(X); E(Y)) is estimated by the weighted
// Kozachenko-Leonenko entropy difference (mi::entropy_difference, knn_entropy::weighted_kl, k auto)
// and by KSG (mi::ksg, k = 3). Per point: synthetic.csv; the MSE over the grid per (kind, size,
// compression, estimator) goes to metrics.csv (network "synthetic", epoch 0), against their Table 2
// ("WKL, PCA-compressed", 16 x 16 bumps: 0.67).
// Part 2, information plane (Sec. 6, Algorithm 2, App. F Table 4): their CNN classifier L1..L5
// (conv 8/16/32 with 3 x 3 kernels and LeakyReLU(0.01), dense 32-32-10) on 24 x 24 centre crops of
// Fashion-MNIST (MNIST in the paper), a 2 x 2 max pool after each convolution (which makes L3 32 x 1
// x 1, as their Dense(32, 32) needs), Gaussian dropout with noise-to-signal ratio 1e-3 after every
// layer (Z = L(x) (1 + 1e-3 eps)); the input compressed by an autoencoder fit once (latent 4,
// libtorch::autoencoder on the crops zero-padded to 32 x 32), each layer's noisy output by PCA to 4
// components (fit per epoch and layer on that sample); I(E_X(X); E_L(L)) and I(E_L(L); Y) by weighted
// KL with k = 5 (mi::entropy_difference; mi::mi_discrete_labels with entropy::weighted_kozachenko_leonenko).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <utility>

#include "common.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/synthetic/image_embeddings.hpp"
#include "infogeo/torch/compression.hpp"

namespace {

/// Their CNN classifier (Table 4), returning every layer's noisy output.
struct ClassifierImpl : torch::nn::Module {
  explicit ClassifierImpl(double noise) : sigma(noise) {
    c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 3)));
    c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3)));
    c3 = register_module("c3", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3)));
    d4 = register_module("d4", torch::nn::Linear(32, 32));
    d5 = register_module("d5", torch::nn::Linear(32, 10));
  }
  torch::Tensor noisy(const torch::Tensor& h) { return h * (1.0 + sigma * torch::randn_like(h)); }
  /// Layers L1..L5 (L5: log-probabilities), each with its multiplicative Gaussian noise.
  std::vector<torch::Tensor> forward(const torch::Tensor& x) {
    auto act = [](const torch::Tensor& t) { return torch::leaky_relu(t, 0.01); };
    std::vector<torch::Tensor> l;
    l.push_back(noisy(act(torch::max_pool2d(c1->forward(x), 2))));
    l.push_back(noisy(act(torch::max_pool2d(c2->forward(l.back()), 2))));
    l.push_back(noisy(act(torch::max_pool2d(c3->forward(l.back()), 2))));
    l.push_back(noisy(act(d4->forward(l.back().flatten(1)))));
    l.push_back(noisy(torch::log_softmax(d5->forward(l.back()), 1)));
    return l;
  }
  torch::nn::Conv2d c1{nullptr}, c2{nullptr}, c3{nullptr};
  torch::nn::Linear d4{nullptr}, d5{nullptr};
  double sigma;
};
TORCH_MODULE(Classifier);

double mse(const std::vector<double>& est, const std::vector<double>& truth) {
  double s = 0.0;
  for (std::size_t i = 0; i < est.size(); ++i) s += (est[i] - truth[i]) * (est[i] - truth[i]);
  return s / static_cast<double>(est.size());
}

infogeo::mi::entropy_difference_options wkl_difference(infogeo::index_t k) {
  infogeo::mi::entropy_difference_options eo;
  eo.estimator = infogeo::mi::knn_entropy::weighted_kl;
  eo.k = k;
  return eo;
}

}  // namespace

int main(int argc, char** argv) {
  return repro::run_program("lossy_compression", [&] {
    const repro::options o(
        argc, argv,
        {{"out", "out_lossy_compression"}, {"data", ""}, {"smoke", "false"}, {"parts", "synthetic,plane"},
         {"kinds", "gaussian_bump,rectangle"}, {"sizes", "16,32"}, {"mi-grid", "0,2,4,6,8,10"}, {"n", "5000"},
         {"mapping", "authors"}, {"ae-epochs", "300"}, {"ksg-k", "3"}, {"epochs", "20"}, {"n-train", "60000"},
         {"n-test", "10000"}, {"batch", "1024"}, {"lr", "1e-3"}, {"noise", "1e-3"}, {"mi-samples", "5000"},
         {"plane-ae-epochs", "50"}, {"wkl-k", "5"}, {"seed", "1"}},
        "lossy_compression: seed paper 004, synthetic image tests and the Sec. 6 information plane");
    const bool smoke = o.smoke();
    const std::string parts = o.str("parts");
    const bool do_synthetic = parts.find("synthetic") != std::string::npos;
    const bool do_plane = parts.find("plane") != std::string::npos;
    if (!do_synthetic && !do_plane)
      throw std::invalid_argument("--parts must name synthetic and/or plane (parts=" + parts + ")");
    const std::string mapping = o.str("mapping");
    if (mapping != "authors" && mapping != "infogeo")
      throw std::invalid_argument("--mapping must be authors or infogeo (mapping=" + mapping + ")");
    const std::string out = o.str("out");
    std::filesystem::create_directories(out);
    std::ofstream(out + "/config.txt") << o.describe();
    const torch::Device device = repro::pick_device();
    std::fprintf(stderr, "lossy_compression: device %s%s\n", device.str().c_str(), smoke ? " (smoke)" : "");
    repro::csv_writer csv(out + "/metrics.csv", true);
    std::ofstream timing(out + "/timing.csv");
    timing << "part,item,seconds\n";
    std::vector<std::pair<std::string, std::string>> synthetic_rows;  // (layer, metric) the sweep must write
    long long plane_epochs = 0;

    if (do_synthetic) {
      std::ofstream syn(out + "/synthetic.csv");
      syn.precision(10);
      syn << "kind,size,mi_true,compression,estimator,estimate,status_ok,reconstruction_mae\n";
      const long long n = o.sized("n", 300);
      std::vector<std::string> kinds;
      for (std::string s = o.str("kinds") + ","; !s.empty(); s.erase(0, s.find(',') + 1)) {
        const std::string k = s.substr(0, s.find(','));
        if (k != "gaussian_bump" && k != "rectangle")
          throw std::invalid_argument("--kinds: unknown kind '" + k + "' (gaussian_bump, rectangle)");
        kinds.push_back(k);
      }
      const std::vector<double> sizes = smoke ? std::vector<double>{16} : o.reals("sizes");
      const std::vector<double> grid = smoke ? std::vector<double>{0, 4} : o.reals("mi-grid");
      for (const auto& kind_name : kinds) {
        const auto kind = kind_name == "gaussian_bump" ? infogeo::synthetic::image_kind::gaussian_bump
                                                       : infogeo::synthetic::image_kind::rectangle;
        const infogeo::index_t dims = infogeo::synthetic::image_latent_dims(kind);
        for (double size_d : sizes) {
          const auto size = static_cast<infogeo::index_t>(size_d);
          if (size != 16 && size != 32)
            throw std::invalid_argument("--sizes: 16 or 32 (the conv autoencoder's sides), got " +
                                        std::to_string(size));
          std::map<std::string, std::vector<double>> est;
          std::vector<double> truth;
          const auto t0 = repro::clock::now();
          for (std::size_t g = 0; g < grid.size(); ++g) {
            const auto sample = infogeo::synthetic::image_pairs(
                n, kind, size, grid[g], static_cast<std::uint64_t>(o.integer("seed")) * 1000 + g,
                mapping == "authors" ? infogeo::synthetic::image_mapping::authors
                                     : infogeo::synthetic::image_mapping::infogeo);
            truth.push_back(sample.mi);
            // The two compressions of each side.
            std::map<std::string, std::pair<infogeo::row_matrix<double>, infogeo::row_matrix<double>>> compressed;
            std::map<std::string, double> recon;
            const auto tp = repro::clock::now();
            compressed["pca"] = {infogeo::mi::pca_projector(sample.x, dims).transform(sample.x),
                                 infogeo::mi::pca_projector(sample.y, dims).transform(sample.y)};
            const double pca_seconds = repro::seconds_since(tp);
            const auto ta = repro::clock::now();
            infogeo::libtorch::autoencoder_options ao;
            ao.latent = dims;
            ao.arch = infogeo::libtorch::ae_arch::conv;
            ao.epochs = o.sized("ae-epochs", 5);
            ao.batch = n;  // full batch (App. F)
            ao.seed = static_cast<std::uint64_t>(o.integer("seed")) + g;
            auto encode = [&](const infogeo::row_matrix<double>& m) {
              const auto t = repro::to_tensor(m, device);
              infogeo::libtorch::autoencoder ae(m.cols(), ao, device);
              ae.fit(t);
              const auto c = ae.encode(t);
              recon["ae"] += 0.5 * c.reconstruction_mae;
              return repro::to_matrix(c.latents);
            };
            compressed["ae"] = {encode(sample.x), encode(sample.y)};
            const double ae_seconds = repro::synced_seconds_since(device, ta);
            const auto te = repro::clock::now();
            for (const auto& [comp, xy] : compressed) {
              auto record = [&](const std::string& estimator, const std::function<infogeo::estimate()>& f) {
                double v = std::nan("");
                bool ok = false;
                try {
                  const auto e = f();
                  v = e.value;
                  ok = e.status == infogeo::verdict_status::ok;
                  if (!ok)
                    std::fprintf(stderr, "%s %lld %s I=%g %s: warning [%s]\n", kind_name.c_str(), (long long)size,
                                 comp.c_str(), grid[g], estimator.c_str(), repro::reason_codes(e).c_str());
                } catch (const std::exception& ex) {  // refused estimate: NaN in synthetic.csv, left out of the MSE
                  std::fprintf(stderr, "%s %lld %s I=%g %s: %s\n", kind_name.c_str(), (long long)size, comp.c_str(),
                               grid[g], estimator.c_str(), ex.what());
                }
                est[comp + "_" + estimator].push_back(v);
                syn << kind_name << ',' << size << ',' << sample.mi << ',' << comp << ',' << estimator << ','
                    << v << ',' << (ok ? 1 : 0) << ',' << (comp == "ae" ? recon["ae"] : std::nan("")) << '\n';
              };
              record("wkl", [&] { return infogeo::mi::entropy_difference(xy.first, xy.second, wkl_difference(0)); });
              record("ksg", [&] {
                infogeo::mi::ksg_options ko;
                ko.k = o.integer("ksg-k");
                return infogeo::mi::ksg(xy.first, xy.second, ko);
              });
            }
            const double estimator_seconds = repro::seconds_since(te);
            const std::string point = kind_name + "_" + std::to_string(size) + "_I" + std::to_string(grid[g]);
            timing << "synthetic_pca," << point << ',' << pca_seconds << "\nsynthetic_autoencoders," << point << ','
                   << ae_seconds << "\nsynthetic_estimators," << point << ',' << estimator_seconds << '\n';
            std::fprintf(stderr, "%s %lld I=%g: pca %.1f s, autoencoders %.1f s, estimators %.1f s\n",
                         kind_name.c_str(), static_cast<long long>(size), grid[g], pca_seconds, ae_seconds,
                         estimator_seconds);
          }
          const std::string layer = kind_name + "_" + std::to_string(size);
          for (const std::string key : {"pca_wkl", "pca_ksg", "ae_wkl", "ae_ksg"})
            synthetic_rows.push_back({layer, "mse_" + key});
          for (const auto& [key, values] : est) {
            std::vector<double> e, t;
            for (std::size_t i = 0; i < values.size(); ++i)
              if (std::isfinite(values[i])) {
                e.push_back(values[i]);
                t.push_back(truth[i]);
              }
            if (!e.empty()) csv.row(0, layer, "synthetic", "mse_" + key, mse(e, t), "synthetic");
            csv.row(0, layer, "synthetic", "points_" + key, static_cast<double>(e.size()), "synthetic");
          }
          const double s = repro::seconds_since(t0);
          timing << "synthetic," << layer << ',' << s << '\n';
          std::fprintf(stderr, "synthetic %s: %.1f s\n", layer.c_str(), s);
        }
      }
    }

    if (do_plane) {
      auto data = repro::load_fashion_mnist(repro::data_dir(o.str("data")), o.sized("n-train", 400),
                                            o.sized("n-test", 400), device);
      // 24 x 24 centre crops (their MNIST input size).
      data.x_train = data.x_train.slice(2, 2, 26).slice(3, 2, 26).contiguous();
      data.x_test = data.x_test.slice(2, 2, 26).slice(3, 2, 26).contiguous();
      // Smoke: 400 MI samples, the fewest at which WKL with k = 5 accepts the 8-D joint (E_X, E_L): its
      // weight-norm check refuses ||w|| = 16.2 > sqrt(n) below n = 263.
      const long long m = std::min<long long>(o.sized("mi-samples", 400), data.x_test.size(0));
      const long long n_train = data.x_train.size(0);
      const auto t0 = repro::clock::now();
      // Input compression E_X, fit once on the training images (crops zero-padded to 32 x 32).
      auto padded = [](const torch::Tensor& x) {
        return torch::constant_pad_nd(x, {4, 4, 4, 4}, 0.0).flatten(1).to(torch::kDouble);
      };
      infogeo::libtorch::autoencoder_options ao;
      ao.latent = 4;
      ao.arch = infogeo::libtorch::ae_arch::conv;
      ao.epochs = o.sized("plane-ae-epochs", 2);
      ao.batch = 1024;
      ao.seed = static_cast<std::uint64_t>(o.integer("seed"));
      infogeo::libtorch::autoencoder input_ae(32 * 32, ao, device);
      input_ae.fit(padded(data.x_train));
      const auto cx = input_ae.encode(padded(data.x_test.slice(0, 0, m)));
      const infogeo::row_matrix<double> input_latents = repro::to_matrix(cx.latents);
      csv.row(0, "input", "test", "autoencoder_reconstruction_mae", cx.reconstruction_mae, "cnn");
      csv.row(0, "input", "test", "autoencoder_baseline_mae", cx.baseline_mae, "cnn");
      timing << "plane,input_autoencoder," << repro::seconds_since(t0) << '\n';
      const auto labels = repro::to_labels(data.y_test.slice(0, 0, m));
      const infogeo::index_t wk = o.integer("wkl-k");
      torch::manual_seed(o.integer("seed"));
      Classifier net(o.real("noise"));
      net->to(device);
      torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.real("lr")));
      const long long epochs = o.sized("epochs", 1), batch = o.sized("batch", 32);
      plane_epochs = epochs;
      // Algorithm 2: the plane before each epoch's training step (epoch 0 = at initialisation) and after the last.
      for (long long epoch = 0; epoch <= epochs; ++epoch) {
        const auto t1 = repro::clock::now();
        {
          torch::NoGradGuard no_grad;
          const auto layers = net->forward(data.x_test.slice(0, 0, m));
          const auto y = data.y_test.slice(0, 0, m);
          const double accuracy = (layers.back().argmax(1) == y).to(torch::kDouble).mean().item<double>();
          csv.row(epoch, "L5", "test", "accuracy", accuracy, "cnn");
          csv.row(epoch, "L5", "test", "loss", torch::nll_loss(layers.back(), y).item<double>(), "cnn");
          for (std::size_t l = 0; l < layers.size(); ++l) {
            const std::string name = "L" + std::to_string(l + 1);
            const auto h = repro::to_matrix(layers[l].flatten(1));
            const infogeo::mi::pca_projector pca(h, std::min<infogeo::index_t>(4, h.cols()));
            const infogeo::row_matrix<double> el = pca.transform(h);
            csv.row(epoch, name, "test", "pca_retained_variance_ratio", pca.retained_variance_ratio(), "cnn");
            auto guarded = [&](const std::string& metric, const std::function<infogeo::estimate()>& f) {
              try {
                const auto e = f();
                csv.row(epoch, name, "test", metric, e.value, "cnn");
                csv.row(epoch, name, "test", metric + "_status_ok", e.status == infogeo::verdict_status::ok ? 1.0 : 0.0,
                        "cnn");
                if (!e.reasons.empty())  // warned: the codes go to the log (metrics.csv keeps numbers only)
                  std::fprintf(stderr, "epoch %lld %s %s: warning [%s]\n", epoch, name.c_str(), metric.c_str(),
                               repro::reason_codes(e).c_str());
              } catch (const std::exception& ex) {  // refused: logged, row absent
                std::fprintf(stderr, "epoch %lld %s %s: %s\n", epoch, name.c_str(), metric.c_str(), ex.what());
              }
            };
            guarded("I(X;L)_wkl",
                    [&] { return infogeo::mi::entropy_difference(input_latents, el, wkl_difference(wk)); });
            guarded("I(L;Y)_wkl", [&] {
              return infogeo::mi::mi_discrete_labels(el, labels, [&](const infogeo::row_matrix<double>& part) {
                infogeo::entropy::wkl_options w;
                w.k = std::min<infogeo::index_t>(wk, part.rows() - 1);
                return infogeo::entropy::weighted_kozachenko_leonenko(part, w);
              }, infogeo::mi::mi_preprocess_default());
            });
          }
        }
        const double metric_seconds = repro::seconds_since(t1);
        if (epoch == epochs) {
          timing << "plane,metrics_epoch_" << epoch << ',' << metric_seconds << '\n';
          break;
        }
        repro::sync(device);
        const auto t2 = repro::clock::now();
        net->train();
        double total = 0.0;
        repro::for_each_minibatch(n_train, batch, device, [&](const torch::Tensor& idx) {
          auto loss = torch::nll_loss(net->forward(data.x_train.index_select(0, idx)).back(),
                                      data.y_train.index_select(0, idx));
          repro::optimizer_step(opt, loss);
          total += loss.item<double>() * static_cast<double>(idx.size(0));
        });
        csv.row(epoch + 1, "L5", "train", "loss", total / static_cast<double>(n_train), "cnn");
        const double train_seconds = repro::synced_seconds_since(device, t2);
        timing << "plane,epoch_" << epoch + 1 << ',' << train_seconds + metric_seconds << '\n';
        std::fprintf(stderr, "plane epoch %lld: metrics %.2f s, train %.2f s\n", epoch + 1, metric_seconds,
                     train_seconds);
      }
    }
    // Every quantity measured (a refused estimate is only logged above).
    std::vector<repro::row_key> wanted;
    for (const auto& [layer, metric] : synthetic_rows) wanted.push_back({0, layer, "synthetic", metric, "synthetic"});
    if (do_plane)
      for (int l = 1; l <= 5; ++l)
        for (const std::string metric : {"I(X;L)_wkl", "I(L;Y)_wkl"})
          wanted.push_back({plane_epochs, "L" + std::to_string(l), "test", metric, "cnn"});
    return repro::check_measured(csv, "lossy_compression", wanted);
  });
}
