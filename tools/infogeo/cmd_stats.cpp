// `infogeo stats STATISTIC ...`: the statistics utilities of include/infogeo/stats/ (docs/stats.md):
//   spearman | kendall | rank-correlation    A.npy B.npy [--groups G.npy]   (stats/rank_correlation.hpp)
//   auroc        SCORES.npy LABELS.npy [--predictions P.npy]                 (stats/auroc.hpp, confidence.hpp)
//   mahalanobis  TRAIN.npy TRAIN_LABELS.npy TEST.npy [...]                   (stats/confidence.hpp)
//   odin         LOGITS.npy [--temperature T] [--labels L.npy]               (stats/confidence.hpp)
//   binarity     FEATURES.npy [--raw]                                        (stats/binarity.hpp)
// Each prints one JSON object whose "value" is the headline statistic ("unit": "dimensionless").
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/memory.hpp"
#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/stats/auroc.hpp"
#include "infogeo/stats/binarity.hpp"
#include "infogeo/stats/confidence.hpp"
#include "infogeo/stats/rank_correlation.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

struct stats_args {
  std::vector<std::string> files;
  std::string groups, predictions, labels, train_predictions, test_predictions, test_labels, covariance,
      scores_out;
  double ridge = 0.0;
  double temperature = 1000.0;
  bool raw = false;
};

/// One column of numbers (a 1-D or N x 1 .npy file).
std::vector<double> load_vector(const std::string& path, const char* fn) {
  const xt::xarray<double> a = load_samples(path);
  require(a.shape()[1] == 1, fn, "expected one value per row (1-D or N x 1) in '", path, "' (cols=", a.shape()[1],
          ")");
  return std::vector<double>(a.begin(), a.end());
}

json headline(const char* statistic, double value, std::size_t n) {
  json j;
  j["value"] = value;
  j["unit"] = "dimensionless";
  j["statistic"] = statistic;
  j["n"] = n;
  return j;
}

void save_scores(const std::string& path, const std::vector<double>& scores) {
  if (!path.empty()) io::save_npy(path, scores.data(), {scores.size()});
}

/// The per-class summary printed by the score commands.
json score_summary(const std::vector<double>& scores) {
  const double mean = std::accumulate(scores.begin(), scores.end(), 0.0) / static_cast<double>(scores.size());
  return {{"mean", mean},
          {"min", *std::min_element(scores.begin(), scores.end())},
          {"max", *std::max_element(scores.begin(), scores.end())}};
}

json run_pair(const stats_args& a, const std::string& which) {
  const char* fn = "stats";
  const std::vector<double> x = load_vector(a.files[0], fn), y = load_vector(a.files[1], fn);
  require(x.size() == y.size(), fn, "A and B must have the same length (A=", x.size(), ", B=", y.size(), ")");
  if (which == "spearman") return headline("spearman", stats::spearman(x, y), x.size());
  if (which == "kendall") return headline("kendall_tau_b", stats::kendall_tau_b(x, y), x.size());
  // rank-correlation: the pooled normalised-rank correlation of seed paper 000, App. C.1; one
  // experiment per distinct value of --groups (one experiment without it).
  std::vector<std::int64_t> group(x.size(), 0);
  std::vector<std::int64_t> group_values{0};
  if (!a.groups.empty()) {
    file_labels g = load_labels(a.groups, fn);
    require(g.codes[0].size() == x.size(), fn, "--groups needs one experiment id per row (groups=",
            g.codes[0].size(), ", rows=", x.size(), ")");
    group = std::move(g.codes[0]);
    group_values = std::move(g.values);
  }
  std::vector<stats::paired_series> experiments(group_values.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    experiments[static_cast<std::size_t>(group[i])].a.push_back(x[i]);
    experiments[static_cast<std::size_t>(group[i])].b.push_back(y[i]);
  }
  json j = headline("pooled_rank_correlation", stats::pooled_rank_correlation(experiments), x.size());
  json per = json::array();
  for (std::size_t e = 0; e < experiments.size(); ++e)
    per.push_back({{"group", group_values[e]}, {"n", experiments[e].a.size()}});
  j["experiments"] = per;
  j["convention"] = "ranks min-max normalised within each experiment, pooled, Pearson (seed paper 000, App. C.1)";
  return j;
}

json run_auroc(const stats_args& a) {
  const char* fn = "stats auroc";
  const std::vector<double> scores = load_vector(a.files[0], fn);
  if (a.predictions.empty()) {
    const file_labels l = load_labels(a.files[1], fn);
    require(l.values.size() <= 2 && std::all_of(l.values.begin(), l.values.end(), [](std::int64_t v) { return v == 0 || v == 1; }),
            fn, "LABELS must be 0 (negative) or 1 (positive) without --predictions (values: ", l.values.size(),
            " distinct, first ", l.values.empty() ? 0 : l.values.front(), ", last ", l.values.empty() ? 0 : l.values.back(), ")");
    std::vector<std::int64_t> binary(l.codes[0].size());
    for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = l.values[static_cast<std::size_t>(l.codes[0][i])];
    json j = headline("auroc", stats::auroc_from_labels(scores, binary), scores.size());
    j["positives"] = std::count(binary.begin(), binary.end(), 1);
    return j;
  }
  // Misclassification detection (seed paper 003, Table 2): correct rows are the positives.
  const file_labels l = load_labels(std::vector<std::string>{a.files[1], a.predictions}, fn);
  json j = headline("misclassification_auroc", stats::misclassification_auroc(scores, l.codes[0], l.codes[1]),
                    scores.size());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < l.codes[0].size(); ++i) correct += l.codes[0][i] == l.codes[1][i];
  j["correct"] = correct;
  j["positives"] = "correctly classified rows (labels == predictions)";
  return j;
}

json run_mahalanobis(const stats_args& a) {
  const char* fn = "stats mahalanobis";
  require(a.covariance.empty() || a.covariance == "tied" || a.covariance == "per-class", fn,
          "--covariance must be tied or per-class (covariance=", a.covariance, ")");
  require(a.test_labels.empty() || !a.test_predictions.empty(), fn,
          "--test-labels needs --test-predictions: the AUROC separates correct from misclassified test rows "
          "(test-labels=", a.test_labels, ")");
  require(std::isfinite(a.ridge) && a.ridge >= 0.0, fn, "--ridge must be finite and >= 0 (ridge=", a.ridge, ")");
  // Every label file is coded together, so that class k means the same label value in all of them.
  std::vector<std::string> files{a.files[1]};
  for (const std::string* f : {&a.train_predictions, &a.test_predictions, &a.test_labels})
    if (!f->empty()) files.push_back(*f);
  const file_labels coded = load_labels(files, fn);
  std::vector<bool> trained(coded.values.size(), false);
  for (const auto c : coded.codes[0]) trained[static_cast<std::size_t>(c)] = true;
  for (std::size_t c = 0; c < trained.size(); ++c)
    require(trained[c], fn, "label ", coded.values[c],
            " appears in the predictions or test labels but never in TRAIN_LABELS: no Gaussian for it");
  std::size_t next = 1;
  const std::vector<std::int64_t>* train_pred = a.train_predictions.empty() ? nullptr : &coded.codes[next++];
  const std::vector<std::int64_t>* test_pred = a.test_predictions.empty() ? nullptr : &coded.codes[next++];
  const std::vector<std::int64_t>* test_lab = a.test_labels.empty() ? nullptr : &coded.codes[next++];
  {
    const auto [n, d] = npy_rows_cols(a.files[0]);
    const double c = static_cast<double>(coded.values.size());
    memory_check(8.0 * (n * d + c * d + (a.covariance == "tied" ? 2.0 : 2.0 * c) * d * d), fn,
                 "Mahalanobis with C=" + std::to_string(coded.values.size()) + " classes and D=" + default_of(d) +
                     " (covariances C x D x D)");
  }
  const xt::xarray<double> train = load_samples(a.files[0]);
  const xt::xarray<double> test = load_samples(a.files[2]);
  stats::mahalanobis_options o;
  o.relative_ridge = a.ridge;
  // Protocol of seed paper 003 (Sec. 3.2) with --train-predictions: per-class Gaussians on the
  // correctly classified training rows. Otherwise Lee et al. 2018: tied covariance, all rows.
  const bool protocol_003 = train_pred != nullptr;
  o.covariance = a.covariance.empty() ? (protocol_003 ? stats::covariance_kind::per_class : stats::covariance_kind::tied)
                 : a.covariance == "tied" ? stats::covariance_kind::tied
                                          : stats::covariance_kind::per_class;
  const stats::mahalanobis_model model = protocol_003
                                             ? stats::fit_mahalanobis_on_correct(train, coded.codes[0], *train_pred, o)
                                             : stats::fit_mahalanobis(train, coded.codes[0], o);
  const std::vector<double> scores = test_pred ? stats::mahalanobis_scores_to_class(model, test, *test_pred)
                                               : stats::mahalanobis_scores(model, test);
  save_scores(a.scores_out, scores);
  json j;
  if (test_lab) {
    j = headline("misclassification_auroc", stats::misclassification_auroc(scores, *test_lab, *test_pred), scores.size());
  } else {
    j = headline("mean_mahalanobis_score", score_summary(scores)["mean"].get<double>(), scores.size());
  }
  j["scores"] = score_summary(scores);
  j["score"] = test_pred ? "-(x - mu_k)^T Sigma_k^-1 (x - mu_k), k = the predicted class (seed paper 003)"
                         : "-min_c (x - mu_c)^T Sigma_c^-1 (x - mu_c) (Lee et al. 2018, eq. 2)";
  j["covariance"] = o.covariance == stats::covariance_kind::tied ? "tied" : "per-class";
  j["fitted_on"] = protocol_003 ? "correctly classified training rows" : "all training rows";
  j["training_rows_used"] = model.samples;
  j["class_values"] = coded.values;
  if (!a.scores_out.empty()) j["scores_file"] = a.scores_out;
  return j;
}

json run_odin(const stats_args& a) {
  const char* fn = "stats odin";
  const xt::xarray<double> logits = load_samples(a.files[0]);
  const std::vector<double> conf = stats::odin_confidence(logits, a.temperature);
  save_scores(a.scores_out, conf);
  json j;
  if (!a.labels.empty()) {
    // Labels index the logits' columns here (class k = column k), so they are not re-coded.
    const std::vector<std::int64_t> labels = io::load_npy_integers(a.labels);
    const std::size_t classes = logits.shape()[1];
    require(labels.size() == logits.shape()[0], fn, "--labels needs one label per row of LOGITS (labels=",
            labels.size(), ", rows=", logits.shape()[0], ")");
    for (std::size_t i = 0; i < labels.size(); ++i)
      require(labels[i] >= 0 && static_cast<std::size_t>(labels[i]) < classes, fn,
              "--labels must be column indices of LOGITS in [0, ", classes, ") (labels[", i, "]=", labels[i], ")");
    std::vector<std::int64_t> predictions(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const double* row = logits.data() + i * classes;
      predictions[i] = std::max_element(row, row + classes) - row;
    }
    j = headline("misclassification_auroc", stats::misclassification_auroc(conf, labels, predictions), conf.size());
    std::size_t correct = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) correct += labels[i] == predictions[i];
    j["accuracy"] = static_cast<double>(correct) / static_cast<double>(labels.size());
  } else {
    j = headline("mean_odin_confidence", score_summary(conf)["mean"].get<double>(), conf.size());
  }
  j["scores"] = score_summary(conf);
  j["temperature"] = a.temperature;
  j["score"] = "max_c softmax(logits / T)_c (Liang et al. 2018, eq. 1; no input perturbation)";
  if (!a.scores_out.empty()) j["scores_file"] = a.scores_out;
  return j;
}

json stats_json(const stats::binarity_stats& s) {
  return {{"mean_log_likelihood", s.mean_log_likelihood},
          {"mean_std", s.mean_std},
          {"peak_distance_over_std", s.peak_distance_over_std}};
}

json run_binarity(const stats_args& a) {
  const xt::xarray<double> x = load_samples(a.files[0]);
  stats::binarity_options o;
  o.standardize = !a.raw;
  const stats::binarity_report r = stats::binarity(x, o);
  json j = headline("binarity_peak_distance_over_std", r.average.peak_distance_over_std, x.shape()[0]);
  j["average"] = stats_json(r.average);
  json per = json::array();
  for (std::size_t c = 0; c < r.per_dimension.size(); ++c) {
    json p = stats_json(r.per_dimension[c]);
    p["converged"] = r.fits[c].converged;
    per.push_back(p);
  }
  j["per_dimension"] = per;
  j["standardized"] = r.standardized;
  j["convention"] = "seed paper 003, App. D, eqs. 25-27: two-component GMM per coordinate, averaged over coordinates";
  return j;
}

const command_registrar stats_command{command{
    "stats", "statistics: spearman, kendall, rank-correlation, auroc, mahalanobis, odin, binarity",
    [](CLI::App& app) {
      app.require_subcommand(1);
      auto a = std::make_shared<stats_args>();
      std::map<CLI::App*, std::function<json()>> run;
      const auto add_files = [&](CLI::App* s, const char* text, int count) {
        s->add_option("files", a->files, text)->required()->expected(count)->check(CLI::ExistingFile);
      };
      for (const char* name : {"spearman", "kendall", "rank-correlation"}) {
        const std::string which = name;
        CLI::App* s = app.add_subcommand(
            name, which == "spearman" ? "Spearman's rho of A.npy and B.npy (mid-ranks for ties)"
                  : which == "kendall" ? "Kendall's tau-b of A.npy and B.npy (exact, O(n^2))"
                                       : "pooled rank correlation of seed paper 000, App. C.1 (--groups: one "
                                         "experiment per group)");
        add_files(s, "A.npy B.npy (N numbers each)", 2);
        if (which == "rank-correlation")
          s->add_option("--groups", a->groups, "G.npy: experiment id of every row (any integers; default: one experiment)")
              ->check(CLI::ExistingFile);
        run[s] = [a, which] { return run_pair(*a, which); };
      }
      CLI::App* auroc = app.add_subcommand(
          "auroc", "AUROC of SCORES.npy for 0/1 LABELS.npy, or misclassification AUROC with --predictions");
      add_files(auroc, "SCORES.npy (N numbers, higher = positive) LABELS.npy (N labels)", 2);
      auroc->add_option("--predictions", a->predictions,
                        "P.npy: the classifier's predictions; positives = rows with LABELS == P (seed paper 003, Table 2)")
          ->check(CLI::ExistingFile);
      run[auroc] = [a] { return run_auroc(*a); };

      CLI::App* maha = app.add_subcommand(
          "mahalanobis", "Mahalanobis confidence of TEST.npy under Gaussians fitted on TRAIN.npy, TRAIN_LABELS.npy");
      add_files(maha, "TRAIN.npy (N x D) TRAIN_LABELS.npy (N labels) TEST.npy (M x D)", 3);
      maha->add_option("--train-predictions", a->train_predictions,
                       "fit on the correctly classified training rows only (seed paper 003's protocol; default "
                       "covariance per-class)")
          ->check(CLI::ExistingFile);
      maha->add_option("--test-predictions", a->test_predictions,
                       "score each test row by its distance to the predicted class (seed paper 003) instead of the "
                       "nearest class")
          ->check(CLI::ExistingFile);
      maha->add_option("--test-labels", a->test_labels,
                       "with --test-predictions: \"value\" = AUROC of correct vs misclassified test rows")
          ->check(CLI::ExistingFile);
      maha->add_option("--covariance", a->covariance,
                       "tied (Lee et al. 2018; default without --train-predictions) | per-class (default with it)");
      maha->add_option("--ridge", a->ridge, "covariance ridge relative to its mean diagonal (default 0)")
          ->check(checks::finite_number("nonnegative"));
      maha->add_option("--scores-out", a->scores_out, "write the M test scores to this .npy file");
      run[maha] = [a] { return run_mahalanobis(*a); };

      CLI::App* odin = app.add_subcommand("odin", "ODIN confidence max softmax(logits / T) of LOGITS.npy");
      add_files(odin, "LOGITS.npy (N x C)", 1);
      odin->add_option("--temperature", a->temperature,
                       "T > 0 (default 1000, Liang et al.; seed paper 003 uses 100; 1 = max softmax probability)")
          ->check(checks::finite_number("positive"));
      odin->add_option("--labels", a->labels,
                       "L.npy: true classes as column indices; \"value\" = AUROC of correct (argmax == label) vs "
                       "misclassified rows")
          ->check(CLI::ExistingFile);
      odin->add_option("--scores-out", a->scores_out, "write the N confidences to this .npy file");
      run[odin] = [a] { return run_odin(*a); };

      CLI::App* bin = app.add_subcommand(
          "binarity", "binarity of each coordinate of FEATURES.npy (two-component GMM, seed paper 003 App. D)");
      add_files(bin, "FEATURES.npy (N x D)", 1);
      bin->add_flag("--raw", a->raw, "fit the raw values (default: each column standardised, as the authors' code)");
      run[bin] = [a] { return run_binarity(*a); };

      return [run]() -> json {
        for (const auto& [sub, f] : run)
          if (sub->parsed()) return f();
        throw_invalid_argument("stats", "a statistic is required (spearman, kendall, rank-correlation, auroc, "
                                        "mahalanobis, odin, binarity)");
      };
    }}};

}  // namespace
}  // namespace infogeo::cli
