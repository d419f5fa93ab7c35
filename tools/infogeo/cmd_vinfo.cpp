// `infogeo vinfo FEATURES.npy LABELS.npy [--decoder linear|mlp] [--hidden 64,64] [--l2 L]
//  [--folds K | --test-fraction F] [--minimality] [--seed S]`: predictive V-information of one
// layer's representations (include/infogeo/vinfo/, docs/vinfo.md). One JSON object on stdout with
// "sufficiency" (held-out, nats), "sufficiency_train", "label_entropy", "decoder_cross_entropy"
// and, with --minimality, "minimality" with per-class / per-digit values; progress on stderr.
// V-information is not an estimate of Shannon MI, so there is no "value" field: "unit" is "nats".
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/vinfo/linear_decoder.hpp"
#include "infogeo/vinfo/minimality.hpp"
#include "infogeo/vinfo/mlp_decoder.hpp"
#include "infogeo/vinfo/sufficiency.hpp"
#include "infogeo/core/memory.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

struct vinfo_args {
  std::vector<std::string> files;
  std::string decoder = "linear";
  std::string hidden;
  std::string activation = "relu";
  double l2 = std::numeric_limits<double>::quiet_NaN();
  int folds = 0;
  double test_fraction = std::numeric_limits<double>::quiet_NaN();
  bool minimality = false;
  std::uint64_t seed = 0;
  std::int64_t max_iterations = 0;
  std::int64_t epochs = 0;
  double lr = std::numeric_limits<double>::quiet_NaN();
  double weight_decay = std::numeric_limits<double>::quiet_NaN();
  int batch = 0;
  bool folds_given = false, max_iterations_given = false, epochs_given = false, batch_given = false;
  bool l2_given = false, test_fraction_given = false, lr_given = false, weight_decay_given = false;
};

json fit_json(const vinfo::decoder_fit_report& f) {
  json j;
  j["converged"] = f.converged;
  j["stop_reason"] = f.stop_reason;
  j["iterations"] = f.iterations;
  j["evaluations"] = f.evaluations;
  j["train_cross_entropy"] = f.train_cross_entropy;
  if (f.gradient_norm > 0.0) j["gradient_max"] = f.gradient_norm;
  if (std::isfinite(f.validation_cross_entropy)) j["validation_cross_entropy"] = f.validation_cross_entropy;
  return j;
}

void finite_or_throw(double v, const char* what) {
  if (!std::isfinite(v)) throw_numerical_error("vinfo", what, " is not finite (", what, "=", v, ")");
}

template <class Family>
json run_with(const vinfo_args& a, const Family& family, const sample_view<double>& x,
              const std::vector<std::int64_t>& y, const std::vector<std::int64_t>& class_values) {
  vinfo::sufficiency_options so;
  so.seed = a.seed;
  if (a.folds_given) {
    require(a.folds >= 2, "vinfo", "--folds must be >= 2 (folds=", a.folds, ")");
    so.folds = a.folds;
  }
  if (a.test_fraction_given) so.test_fraction = a.test_fraction;
  log("vinfo: sufficiency with decoder " + family.name() + (so.folds ? " (" + std::to_string(so.folds) + "-fold)" : " (hold-out)"));
  const vinfo::sufficiency_result s = vinfo::sufficiency(x, y, family, so);
  finite_or_throw(s.value, "sufficiency");
  finite_or_throw(s.value_train, "sufficiency_train");
  json j;
  j["sufficiency"] = s.value;
  j["sufficiency_train"] = s.value_train;
  j["sufficiency_bits"] = s.bits();
  j["label_entropy"] = s.label_entropy;
  j["decoder_cross_entropy"] = s.decoder_cross_entropy;
  j["decoder_cross_entropy_train"] = s.decoder_cross_entropy_train;
  j["unit"] = "nats";
  j["method"] = "vinfo";
  j["decoder"] = s.decoder;
  j["protocol"] = s.protocol;
  j["folds"] = s.folds;
  j["test_fraction"] = s.test_fraction;
  j["n"] = s.n;
  j["dims"] = s.dims;
  j["num_classes"] = s.num_classes;
  j["seed"] = s.seed;
  json fits = json::array();
  for (const auto& f : s.fits) fits.push_back(fit_json(f));
  j["fits"] = fits;
  verdict_status status = s.status;
  std::vector<verdict_reason> reasons = s.reasons;
  j["sufficiency_status"] = to_string(s.status);
  if (a.minimality) {
    vinfo::minimality_options mo;
    mo.seed = a.seed;
    mo.progress = [](const std::string& line) { log(line); };
    const vinfo::minimality_result m = vinfo::minimality(x, y, family, mo);
    finite_or_throw(m.value, "minimality");
    j["minimality"] = m.value;
    j["minimality_bits"] = m.bits();
    j["digits"] = m.digits;
    json per_class = json::array();
    for (std::size_t c = 0; c < m.per_class.size(); ++c)
      per_class.push_back({{"label", class_values[static_cast<std::size_t>(m.labels[c])]}, {"minimality", m.per_class[c]}});
    j["minimality_per_class"] = per_class;
    j["minimality_per_digit"] = m.per_digit;
    json cells = json::array();
    for (const auto& cell : m.cells) {
      json cj;
      cj["label"] = class_values[static_cast<std::size_t>(cell.label)];  // the original label value
      cj["digit"] = cell.digit;
      cj["n"] = cell.n;
      cj["distinct"] = cell.distinct;
      cj["digit_entropy"] = cell.digit_entropy;
      cj["cross_entropy"] = cell.cross_entropy;
      cj["minimality"] = cell.value;
      cj["fitted"] = cell.fitted;
      if (cell.fitted) cj["fit"] = fit_json(cell.fit);
      cells.push_back(cj);
    }
    j["minimality_cells"] = cells;
    j["minimality_status"] = to_string(m.status);
    if (m.status != verdict_status::ok) status = m.status;
    for (const auto& r : m.reasons) reasons.push_back(r);
  }
  j["status"] = to_string(status);
  j["reasons"] = to_json(reasons);
  return j;
}

json run_vinfo(const vinfo_args& a) {
  const char* fn = "vinfo";
  require(a.decoder == "linear" || a.decoder == "mlp", fn, "--decoder must be linear or mlp (decoder=", a.decoder, ")");
  require(a.activation == "relu" || a.activation == "tanh", fn, "--activation must be relu or tanh (activation=",
          a.activation, ")");
  const xt::xarray<double> x = load_samples(a.files[0]);
  const file_labels coded = load_labels(a.files[1], fn);
  const std::vector<std::int64_t>& y = coded.codes[0];
  const auto n = static_cast<index_t>(x.shape()[0]);
  const auto d = static_cast<index_t>(x.shape()[1]);
  require(static_cast<index_t>(y.size()) == n, fn, "FEATURES and LABELS must have the same number of rows (features rows=",
          n, ", labels=", y.size(), ")");
  const sample_view<double> view(x.data(), n, d);
  if (a.decoder == "linear") {
    require(a.hidden.empty() && !a.lr_given && !a.weight_decay_given && !a.epochs_given && !a.batch_given,
            fn, "--hidden, --lr, --weight-decay, --epochs and --batch apply to --decoder mlp only (decoder=linear)");
    vinfo::linear_softmax_options o;
    if (a.l2_given) o.l2 = a.l2;
    if (a.max_iterations_given) o.max_iterations = a.max_iterations;
    return run_with(a, vinfo::linear_softmax_family(o), view, y, coded.values);
  }
  require(!a.l2_given && !a.max_iterations_given, fn,
          "--l2 and --max-iterations apply to --decoder linear only; use --weight-decay for the MLP (decoder=mlp)");
  vinfo::mlp_decoder_options o;
  if (!a.hidden.empty()) {
    const std::vector<int> widths = parse_hidden_widths(a.hidden, fn);
    o.hidden.assign(widths.begin(), widths.end());
  }
  {
    // The decoder network D -> hidden -> C must fit (core/memory.hpp), checked before training.
    std::vector<double> widths(o.hidden.begin(), o.hidden.end());
    const double batch = static_cast<double>(a.batch_given ? a.batch : o.batch_size);
    memory_check(mlp_training_bytes(static_cast<double>(d), widths, static_cast<double>(coded.values.size()),
                                    std::max(batch, std::min(static_cast<double>(n), 4096.0))),
                 fn, "--hidden " + (a.hidden.empty() ? std::string("(default)") : a.hidden) + " (D=" +
                         std::to_string(d) + ", C=" + std::to_string(coded.values.size()) + ")");
  }
  o.activation = a.activation == "tanh" ? mi::mlp_activation::tanh : mi::mlp_activation::relu;
  if (a.lr_given) o.learning_rate = a.lr;
  if (a.weight_decay_given) o.weight_decay = a.weight_decay;
  if (a.epochs_given) o.max_epochs = a.epochs;
  if (a.batch_given) o.batch_size = a.batch;
  return run_with(a, vinfo::mlp_decoder_family(o), view, y, coded.values);
}

const command_registrar vinfo_command{command{
    "vinfo", "predictive V-information (sufficiency, --minimality) of FEATURES.npy for LABELS.npy",
    [](CLI::App& app) {
      auto a = std::make_shared<vinfo_args>();
      app.add_option("files", a->files, "FEATURES.npy (N x D) LABELS.npy (N integers)")
          ->required()
          ->expected(2)
          ->check(CLI::ExistingFile);
      app.add_option("--decoder", a->decoder, "decoder family: linear (default; softmax regression) | mlp");
      app.add_option("--hidden", a->hidden, "MLP hidden widths, e.g. 64,64 (default; 0 = none)");
      app.add_option("--activation", a->activation, "MLP activation: relu (default) | tanh");
      app.add_option("--l2", a->l2, "linear: L2 penalty on W in mean-CE units (default 1e-4; sklearn C <-> 1/(C N))")
          ->each([a](const std::string&) { a->l2_given = true; });
      app.add_option("--max-iterations", a->max_iterations, "linear: L-BFGS iteration cap (default 1000)")
          ->each([a](const std::string&) { a->max_iterations_given = true; });
      auto* folds = app.add_option("--folds", a->folds, "stratified K-fold cross-fitting with K >= 2 folds")
                        ->each([a](const std::string&) { a->folds_given = true; });
      auto* tf = app.add_option("--test-fraction", a->test_fraction, "hold-out share of each class (default 0.25)")
                 ->each([a](const std::string&) { a->test_fraction_given = true; });
      folds->excludes(tf);
      app.add_flag("--minimality", a->minimality, "also compute minimality (C x N_D in-sample fits; progress on stderr)");
      app.add_option("--seed", a->seed, "seed of the splits and the MLP (default 0)");
      app.add_option("--epochs", a->epochs, "MLP: maximum epochs (default 300)")
          ->each([a](const std::string&) { a->epochs_given = true; });
      app.add_option("--lr", a->lr, "MLP: Adam learning rate (default 1e-3)")
          ->each([a](const std::string&) { a->lr_given = true; });
      app.add_option("--weight-decay", a->weight_decay, "MLP: AdamW decoupled weight decay (default 0 = Adam)")
          ->each([a](const std::string&) { a->weight_decay_given = true; });
      app.add_option("--batch", a->batch, "MLP: minibatch size (default 64)")
          ->each([a](const std::string&) { a->batch_given = true; });
      return [a]() { return run_vinfo(*a); };
    }}};

}  // namespace
}  // namespace infogeo::cli
