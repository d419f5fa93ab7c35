// `infogeo separation LABELS.npy LAYER_1.npy ... LAYER_L.npy`: the law of equi-separation (He & Su
// 2023, PNAS 120(36); geometry/separation.hpp): the separation fuzziness D_l = tr(Sigma_W Sigma_B^+)
// of each layer's features (geometry/collapse.hpp, streamed in blocks like `infogeo nc`), and the
// least-squares fit log D_l = intercept + slope * l. "value" is the fitted decay ratio rho = exp(slope)
// (D_{l+1} / D_l; < 1 when separation improves with depth).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/geometry/collapse.hpp"
#include "infogeo/geometry/separation.hpp"
#include "inputs.hpp"
#include "registry.hpp"
#include "scatter_inputs.hpp"

namespace infogeo::cli {
namespace {

struct separation_args {
  std::vector<std::string> files;
  std::string layers;
  std::string value = "trace";
  std::string mode = "projected";
  std::string weighting = "count";
  std::string divisor = "n";
};

json run_separation(const separation_args& a) {
  using namespace infogeo::geometry;
  const char* fn = "separation";
  require(a.files.size() >= 3, fn, "needs LABELS.npy and at least two layer files (files=", a.files.size(), ")");
  require(a.value == "trace" || a.value == "nc1", fn, "--value must be trace or nc1 (value=", a.value, ")");
  require(a.mode == "full" || a.mode == "projected", fn, "--mode must be full or projected (mode=", a.mode, ")");
  require(a.weighting == "count" || a.weighting == "class", fn,
          "--weighting must be count or class (weighting=", a.weighting, ")");
  require(a.divisor == "n" || a.divisor == "n-1", fn, "--divisor must be n or n-1 (divisor=", a.divisor, ")");
  const std::size_t num_layers = a.files.size() - 1;
  std::vector<double> layer_index;
  if (!a.layers.empty()) {
    layer_index = parse_double_list(a.layers, "--layers");
    require(layer_index.size() == num_layers, fn, "--layers needs one index per layer file (layers=", a.layers,
            ", files=", num_layers, ")");
  } else {
    for (std::size_t l = 0; l < num_layers; ++l) layer_index.push_back(static_cast<double>(l));
  }
  const file_labels coded = load_labels(a.files[0], fn);
  const auto num_classes = static_cast<std::int64_t>(coded.values.size());
  class_scatter_options so;
  so.mode = a.mode == "full" ? scatter_mode::full : scatter_mode::projected;
  so.divisor = a.divisor == "n-1" ? covariance_divisor::unbiased : covariance_divisor::population;
  collapse_options co;
  co.weighting = a.weighting == "class" ? between_weighting::class_balanced : between_weighting::count;
  std::vector<double> values;
  json per_layer = json::array();
  for (std::size_t l = 0; l < num_layers; ++l) {
    const std::string& path = a.files[l + 1];
    feature_stream features(path);
    const double d = static_cast<double>(features.cols()), c = static_cast<double>(num_classes);
    memory_check(features.resident_bytes() + 8.0 * (3.0 * c * d + 2.0 * c * c) +
                     (a.mode == "full" ? array_bytes({2.0, d, d}) : 0.0),
                 fn, "layer '" + path + "' with --mode " + a.mode + " (C=" + std::to_string(num_classes) +
                         ", D=" + default_of(d) + ")");
    const class_scatter s = stream_class_scatter(features, coded.codes[0], num_classes, so);
    const collapse_metrics m = neural_collapse(s, co);
    const double v = a.value == "nc1" ? m.nc1 : m.tr_sw_sbpinv;
    values.push_back(v);
    per_layer.push_back({{"file", path},
                         {"layer", layer_index[l]},
                         {"value", v},
                         {"tr_sw_sbpinv", m.tr_sw_sbpinv},
                         {"nc1", m.nc1},
                         {"rank", m.rank},
                         {"n", m.n},
                         {"dim", m.dim}});
  }
  const equi_separation_fit f = fit_equi_separation(values, layer_index);
  json j;
  j["value"] = f.decay_ratio;
  j["value_kind"] = "decay_ratio";
  j["unit"] = "dimensionless";
  j["method"] = "equi_separation";
  j["quantity"] = a.value == "nc1" ? "NC1 = tr(Sigma_W Sigma_B^+) / C per layer" : "tr(Sigma_W Sigma_B^+) per layer";
  j["slope"] = f.slope;
  j["intercept"] = f.intercept;
  j["pearson_r"] = f.pearson_r ? json(*f.pearson_r) : json(nullptr);
  j["r_squared"] = f.r_squared;
  j["step_ratios"] = f.step_ratios;
  j["ratio_mean"] = f.ratio_mean;
  j["ratio_std"] = f.ratio_std;
  j["ratio_min"] = f.ratio_min;
  j["ratio_max"] = f.ratio_max;
  j["layers"] = per_layer;
  j["num_classes"] = num_classes;
  j["class_values"] = coded.values;
  j["settings"] = {{"mode", a.mode}, {"weighting", a.weighting}, {"divisor", a.divisor}, {"value", a.value}};
  j["diagnostics"] = f.diagnostics;
  return j;
}

const command_registrar separation_command{command{
    "separation", "equi-separation law (He & Su 2023): tr(Sigma_W Sigma_B^+) per layer and its geometric decay",
    [](CLI::App& app) {
      auto a = std::make_shared<separation_args>();
      app.add_option("files", a->files, "LABELS.npy (N labels) LAYER_1.npy ... LAYER_L.npy (N x D_l each, L >= 2)")
          ->required()
          ->expected(3, 1 << 20)
          ->check(CLI::ExistingFile);
      app.add_option("--layers", a->layers, "layer indices l of the files, increasing (default 0,1,2,...)");
      app.add_option("--value", a->value, "per-layer D_l: trace = tr(Sigma_W Sigma_B^+) (default, He & Su) | nc1 (/ C)");
      app.add_option("--mode", a->mode, "class scatter: projected (default, O(C D) memory) | full (D x D)");
      app.add_option("--weighting", a->weighting, "Sigma_B weighting: count (default) | class");
      app.add_option("--divisor", a->divisor, "within-class covariance divisor: n (default) | n-1");
      app.footer("Each layer file is streamed in blocks of rows (C-order .npy), so layers need not fit in memory.");
      return [a]() { return run_separation(*a); };
    }}};

}  // namespace
}  // namespace infogeo::cli
