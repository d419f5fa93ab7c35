// `infogeo nc FEATURES.npy LABELS.npy`: neural-collapse metrics of one layer's representations
// (geometry/collapse.hpp). One JSON object on stdout; "value" is the quantity named by --value
// (default nc1 = tr(Sigma_W Sigma_B^+)/C; trace = the raw tr(Sigma_W Sigma_B^+) the 2025 thesis plots;
// nc1-dim = NC1 / D of seed paper 003 App. E; cdnv; sigma-w = mean of all entries of Sigma_W, seed
// paper 003 Table 1). All are dimensionless or in squared feature units, so "unit" is never nats.
// FEATURES is streamed in blocks of rows (O(C D) memory in projected mode, plus one block).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/memory.hpp"
#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "inputs.hpp"
#include "registry.hpp"
#include "scatter_inputs.hpp"

namespace infogeo::cli {
namespace {

struct nc_args {
  std::vector<std::string> files;
  std::string classifier;
  std::string predictions;
  std::string mode = "projected";
  std::string weighting = "count";
  std::string rank = "rtol";
  double rtol = 1e-10;
  std::string value = "nc1";
  std::string group_by = "labels";
  std::string divisor = "n";
};

json number(double v) { return std::isfinite(v) ? json(v) : json(std::to_string(v)); }
template <class T>
json optional_number(const std::optional<T>& v) {
  return v ? number(static_cast<double>(*v)) : json(nullptr);
}

json run_nc(const nc_args& a) {
  using namespace infogeo::geometry;
  const char* fn = "nc";
  require(a.mode == "full" || a.mode == "projected", fn, "--mode must be full or projected (mode=", a.mode, ")");
  require(a.weighting == "count" || a.weighting == "class", fn,
          "--weighting must be count or class (weighting=", a.weighting, ")");
  require(a.rank == "rtol" || a.rank == "c-1", fn, "--rank must be rtol or c-1 (rank=", a.rank, ")");
  require(a.value == "nc1" || a.value == "trace" || a.value == "nc1-dim" || a.value == "cdnv" || a.value == "sigma-w",
          fn, "--value must be nc1, trace, nc1-dim, cdnv or sigma-w (value=", a.value, ")");
  require(a.group_by == "labels" || a.group_by == "predictions", fn,
          "--group-by must be labels or predictions (group-by=", a.group_by, ")");
  require(a.group_by == "labels" || !a.predictions.empty(), fn,
          "--group-by predictions needs --predictions P.npy (group-by=", a.group_by, ")");
  require(a.divisor == "n" || a.divisor == "n-1", fn, "--divisor must be n or n-1 (divisor=", a.divisor, ")");
  require(std::isfinite(a.rtol) && a.rtol > 0.0 && a.rtol < 1.0, fn, "--rtol must be in (0, 1) (rtol=", a.rtol, ")");
  // Labels and predictions are coded together (0..C-1 through their distinct values), so that a
  // prediction names the same class as the label of equal value.
  std::vector<std::string> label_files{a.files[1]};
  if (!a.predictions.empty()) label_files.push_back(a.predictions);
  const file_labels coded = load_labels(label_files, fn);
  const std::vector<std::int64_t>& y = coded.codes[0];
  // FEATURES is streamed in blocks of rows (scatter_inputs.hpp): pass 1 class sums, pass 2 the
  // projected residuals (projected mode), then one pass for NCC / NC4; never loaded whole (except a
  // Fortran-order file, whose rows are not contiguous).
  feature_stream features(a.files[0]);
  const auto n = static_cast<index_t>(features.rows());
  const auto d = static_cast<index_t>(features.cols());
  require(static_cast<index_t>(y.size()) == n, fn, "FEATURES and LABELS must have the same number of rows (",
          "features rows=", n, ", labels=", y.size(), ")");
  require(n >= 1, fn, "FEATURES has no rows (n=0)");
  {
    // One block of features, the C x D class statistics and C x C projections; the D x D scatter of
    // the full mode: refused before allocating when above the memory limit (core/memory.hpp).
    const double c = static_cast<double>(coded.values.size()), cols = static_cast<double>(d);
    const double bytes = features.resident_bytes() + 8.0 * (3.0 * c * cols + 2.0 * c * c) +
                         (a.mode == "full" ? array_bytes({2.0, cols, cols}) : 0.0);
    memory_check(bytes, fn, "--mode " + a.mode + " with C=" + std::to_string(coded.values.size()) +
                                " classes, D=" + std::to_string(d) + " columns, N=" + std::to_string(n) + " rows");
  }
  std::vector<std::int64_t> predictions;
  if (!a.predictions.empty()) {
    predictions = coded.codes[1];
    require(static_cast<index_t>(predictions.size()) == n, fn,
            "PREDICTIONS must have one entry per row (predictions=", predictions.size(), ", rows=", n, ")");
  }
  // --group-by predictions: classes are the network's predicted labels instead of the true ones.
  const std::vector<std::int64_t>& groups = a.group_by == "predictions" ? predictions : y;

  class_scatter_options so;
  so.mode = a.mode == "full" ? scatter_mode::full : scatter_mode::projected;
  so.divisor = a.divisor == "n-1" ? covariance_divisor::unbiased : covariance_divisor::population;
  const class_scatter s =
      stream_class_scatter(features, groups, static_cast<std::int64_t>(coded.values.size()), so);

  collapse_options co;
  co.weighting = a.weighting == "class" ? between_weighting::class_balanced : between_weighting::count;
  co.rule = a.rank == "c-1" ? rank_rule::keep_c_minus_1 : rank_rule::relative_tolerance;
  co.rtol = a.rtol;
  collapse_metrics m = neural_collapse(s, co);

  if (!a.classifier.empty()) {
    const xt::xarray<double> w = load_samples(a.classifier);
    const sample_view<double> wv(w.data(), static_cast<index_t>(w.shape()[0]), static_cast<index_t>(w.shape()[1]));
    m.nc3 = nc3_self_duality(s, wv, co.weighting);
  }
  ncc_accumulator ncc(s);
  features.for_each_block([&](const sample_view<double>& block, std::size_t first) {
    const auto rows = static_cast<std::size_t>(block.rows());
    ncc.update(block, block_slice(groups, first, rows),
               predictions.empty() ? predictions : block_slice(predictions, first, rows));
  });
  m.ncc_accuracy = ncc.ncc_accuracy();
  m.nc4 = ncc.nc4();

  json j;
  if (a.value == "cdnv")
    require(m.cdnv.has_value(), fn, "--value cdnv: the CDNV is unavailable for this scatter");
  if (a.value == "sigma-w")
    require(m.sigma_w_mean_entry.has_value(), fn, "--value sigma-w: the mean entry of Sigma_W is unavailable");
  const double headline = a.value == "trace"     ? m.tr_sw_sbpinv
                          : a.value == "nc1-dim" ? m.nc1_per_dim
                          : a.value == "cdnv"    ? *m.cdnv
                          : a.value == "sigma-w" ? *m.sigma_w_mean_entry
                                                 : m.nc1;
  j["value"] = number(headline);
  j["value_kind"] = a.value;
  j["unit"] = a.value == "sigma-w" ? "squared feature units" : "dimensionless";
  j["method"] = "neural_collapse";
  j["tr_sw_sbpinv"] = number(m.tr_sw_sbpinv);
  j["nc1"] = number(m.nc1);
  j["nc1_per_dim"] = number(m.nc1_per_dim);
  j["sigma_w_mean_entry"] = optional_number(m.sigma_w_mean_entry);
  j["trace_ratio"] = number(m.trace_ratio);
  j["tr_sw"] = number(m.tr_sw);
  j["tr_sb"] = number(m.tr_sb);
  j["cdnv"] = optional_number(m.cdnv);
  j["rank"] = m.rank;
  j["num_classes"] = m.num_classes;
  j["num_labels"] = s.num_labels;
  j["class_values"] = coded.values;  // the original label of class 0, 1, ... (labels are coded by value)
  j["n"] = m.n;
  j["dim"] = m.dim;
  j["streamed"] = features.streamed();  // FEATURES read in blocks of rows, never whole
  j["nc2_equinorm"] = number(m.nc2_equinorm);
  j["nc2_equiangularity"] = optional_number(m.nc2_equiangularity);
  j["nc2_max_angle"] = optional_number(m.nc2_max_angle);
  j["nc3"] = optional_number(m.nc3);
  j["nc4"] = optional_number(m.nc4);
  j["ncc_accuracy"] = optional_number(m.ncc_accuracy);
  j["norm_cv"] = optional_number(m.norm_cv);
  j["settings"] = {{"mode", a.mode}, {"weighting", a.weighting}, {"rank", a.rank}, {"value", a.value},
                   {"group_by", a.group_by}, {"divisor", a.divisor}};
  j["parameters"] = {{"rtol", a.rtol}};
  json eig = json::array();
  for (index_t k = 0; k < m.gram_eigenvalues.size(); ++k) eig.push_back(m.gram_eigenvalues(k));
  j["gram_eigenvalues"] = eig;
  j["diagnostics"] = m.diagnostics;
  return j;
}

const command_registrar nc_command{command{
    "nc", "neural-collapse metrics (NC1 trace, CDNV, NC2-4) of FEATURES.npy with LABELS.npy",
    [](CLI::App& app) {
      auto a = std::make_shared<nc_args>();
      app.add_option("files", a->files, "FEATURES.npy (N x D) LABELS.npy (N integers)")
          ->required()
          ->expected(2)
          ->check(CLI::ExistingFile);
      app.add_option("--classifier", a->classifier, "W.npy: last-layer weights, C x D (for NC3)")
          ->check(CLI::ExistingFile);
      app.add_option("--predictions", a->predictions, "P.npy: classifier predictions, N labels (for NC4)")
          ->check(CLI::ExistingFile);
      app.add_option("--mode", a->mode, "full (one pass, D x D) | projected (two passes, O(C D); default)");
      app.add_option("--weighting", a->weighting, "Sigma_B weighting: count (default) | class");
      app.add_option("--rank", a->rank, "pseudoinverse rank rule: rtol (default) | c-1");
      app.add_option("--rtol", a->rtol, "relative eigenvalue tolerance on the C x C Gram (default 1e-10)");
      app.add_option("--value", a->value,
                     "headline \"value\": nc1 = tr(Sigma_W Sigma_B^+)/C (default, Papyan et al.) | trace = "
                     "tr(Sigma_W Sigma_B^+) (the 2025 thesis) | nc1-dim = NC1/D (seed paper 003 App. E) | cdnv | "
                     "sigma-w = mean of all entries of Sigma_W (seed paper 003 Table 1)");
      app.add_option("--group-by", a->group_by,
                     "classes from: labels (default) | predictions (the --predictions file; NC of the predicted classes)");
      app.add_option("--divisor", a->divisor,
                     "within-class covariance divisor: n (population, default) | n-1 (S_W/(N-C), class variances /(n_c-1))");
      return [a]() { return run_nc(*a); };
    }}};

}  // namespace
}  // namespace infogeo::cli
