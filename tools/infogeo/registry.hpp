// The infogeo tool's plumbing: subcommands and estimator methods register themselves from their
// own .cpp files (static registrars), so each estimator family owns its CLI code.
//
// Output contract: every subcommand prints exactly one JSON object on stdout; estimates carry
// "value" in nats and "unit": "nats"; errors go to stderr with exit code 2 for bad input
// (infogeo::invalid_argument, CLI parse errors) and 1 for internal failures. Progress on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <utility>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/result.hpp"

namespace infogeo::harness {
struct estimator;  // infogeo/harness/estimator.hpp
}  // namespace infogeo::harness

namespace infogeo::cli {

using json = nlohmann::ordered_json;

/// A subcommand: `setup` adds its options to `app` and returns the function that runs it.
struct command {
  std::string name;
  std::string description;
  std::function<std::function<json()>(CLI::App& app)> setup;
};

inline std::vector<command>& commands() {
  static std::vector<command> registered;
  return registered;
}

struct command_registrar {
  explicit command_registrar(command c) { commands().push_back(std::move(c)); }
};

/// Options shared by `infogeo entropy` and `infogeo mi` (declared once in cmd_estimate.cpp).
/// A value of 0 / NaN / "" means "the method's own default".
struct estimator_args {
  std::vector<std::string> files;  ///< positional: FILE.npy, or X.npy Y.npy
  std::string method;
  int k = 0;
  std::string metric;      ///< euclidean | chebyshev
  std::string weights;     ///< all | restricted (weighted KL support)
  bool discrete_y = false; ///< treat Y as class labels even if float-typed
  bool standardize = false;     ///< entropy: standardise columns (MI always does unless no_standardize)
  bool no_standardize = false;  ///< MI: skip the default per-column standardisation
  bool no_cross_check = false;  ///< skip the cross-check against reference estimators (core/cross_check.hpp)
  bool miller_madow = false;    ///< binning: Miller-Madow bias correction
  double jitter = std::numeric_limits<double>::quiet_NaN();  ///< relative jitter scale for ties
  std::string bandwidth;   ///< rule | ml | lscv
  int bins = 0;
  double bin_width = std::numeric_limits<double>::quiet_NaN();
  std::string noise;       ///< dropout | additive
  double sigma = std::numeric_limits<double>::quiet_NaN();
  double variance = std::numeric_limits<double>::quiet_NaN();  ///< noise variance (= sigma^2; papers quote variances)
  int draws = 0;
  int centres = 0;
  std::string zeros;       ///< noisy dropout: exact zeros of f are an error | deterministic
  int pca = 0;             ///< project X (and Y) to this many principal components first
  bool normal_scores = false;  ///< replace every continuous column of X and Y by its normal scores first
  std::string pca_fit;     ///< --pca-fit FIT.npy: fit X's projection on this sample, apply it to X
  std::string hidden;      ///< e.g. "64,64"
  int epochs = 0;
  int batch = 0;
  double lr = std::numeric_limits<double>::quiet_NaN();
  int components = 0;
  std::string groups;      ///< G.npy: input index per row
  std::string objective;   ///< DoE q(z|x) training: likelihood | contrastive (seed paper eq. 9)
  std::string critic;      ///< variational bounds: concat | separable
  double weight_decay = std::numeric_limits<double>::quiet_NaN();  ///< AdamW decoupled decay (0 = Adam)
  std::uint64_t seed = 0;
  int bootstrap = 0;       ///< number of bootstrap resamples for a percentile interval (0 = off)
  int subset = 0;          ///< evaluate on a random subset of this many points (where supported)
  std::string compress;    ///< "ae:N": autoencoder codes of N dimensions first (infogeo-torch only)
  std::string ae_arch;     ///< --compress: mlp | conv
  int ae_epochs = 0;       ///< --compress: training epochs (0 = the autoencoder's default)
  std::string range;       ///< binning: fixed range "MIN,MAX" for every coordinate (e.g. -1,1 for tanh)
  bool bits = false;       ///< report the result in bits (express_in_bits)
};

/// One option a method uses, with its default as shown by `infogeo mi --method M --help`.
/// `name` is the long option without dashes, as declared in cmd_estimate.cpp.
struct method_option {
  std::string name;
  std::string default_value;
};

/// An estimator selectable by `--method NAME` under `infogeo entropy` or `infogeo mi`.
/// `options` declares every option the method reads: any other option given on the command line
/// is refused (exit 2) before `run` is called, so no option is ever silently ignored. `why_not`
/// gives the reason printed when a specific undeclared option is given (e.g. why --bootstrap is
/// not valid for a method).
struct method {
  std::string family;  ///< "entropy" or "mi"
  std::string name;    ///< e.g. "kl", "ksg1"
  std::string summary;
  std::vector<method_option> options;
  std::function<json(const estimator_args&)> run;
  std::vector<std::pair<std::string, std::string>> why_not = {};
};

/// Reasons shared by several methods' `why_not` entries.
namespace reasons {
inline const char* const bootstrap_knn =
    "a bootstrap resample repeats rows, and a repeated row is its own nearest neighbour at distance 0, "
    "so k-NN estimates of resamples are biased";
inline const char* const bootstrap_trained =
    "each resample would retrain the networks; repeat the run with several --seed values instead";
}  // namespace reasons

/// The default shown for an option whose value is "0 = the method's own choice".
inline std::string default_of(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

inline std::vector<method>& methods() {
  static std::vector<method> registered;
  return registered;
}

struct method_registrar {
  explicit method_registrar(method m) { methods().push_back(std::move(m)); }
};

/// Registers an estimator that `infogeo bench` runs (harness::estimator_registry) at
/// static-initialisation time. Each estimator family registers its bench entries in its own
/// methods_*.cpp, next to its `--method` registrations, so that the estimator templates are
/// instantiated in one TU of the tool (docs/performance_compile.md). Defined in
/// bench_estimators.cpp, which keeps the registry in bench's fixed order whatever order the files'
/// registrars run in.
struct bench_registrar {
  explicit bench_registrar(harness::estimator e);
};

inline std::vector<std::string> method_names(const std::string& family) {
  std::vector<std::string> names;
  for (const auto& m : methods())
    if (m.family == family) names.push_back(m.name);
  std::sort(names.begin(), names.end());
  return names;
}

/// The JSON form of verdict reasons: [{"code", "message", "value"?}, ...].
inline json to_json(const std::vector<infogeo::verdict_reason>& reasons) {
  json list = json::array();
  for (const auto& r : reasons) {
    json item;
    item["code"] = r.code;
    item["message"] = r.message;
    if (r.value && std::isfinite(*r.value)) item["value"] = *r.value;
    list.push_back(item);
  }
  return list;
}

/// The JSON form of an estimate (the output contract's "value"/"unit" plus everything else).
/// A non-finite value or standard error is never printed (JSON would show null, a silent NaN):
/// it raises infogeo::numerical_error naming the method.
inline json to_json(const infogeo::estimate& e) {
  if (!std::isfinite(e.value) || (e.std_error && !std::isfinite(*e.std_error)))
    throw_numerical_error("cli", "the estimator ", e.method, " returned a non-finite value (value=", e.value,
                          e.std_error ? ", std_error=" + std::to_string(*e.std_error) : std::string(), ")");
  json j;
  j["value"] = e.value;
  j["unit"] = "nats";
  j["bits"] = e.bits();
  if (e.std_error) j["std_error"] = *e.std_error;
  j["n"] = e.n;
  j["dims"] = e.dims;
  j["method"] = e.method;
  j["parameters"] = json::object();
  for (const auto& [key, value] : e.parameters) j["parameters"][key] = value;
  j["settings"] = json::object();
  for (const auto& [key, value] : e.settings) j["settings"][key] = value;
  j["details"] = json::object();
  for (const auto& [key, value] : e.details)
    j["details"][key] = std::isfinite(value) ? json(value) : json(std::to_string(value));
  j["diagnostics"] = e.diagnostics;
  j["status"] = to_string(e.status);
  j["reasons"] = to_json(e.reasons);
  return j;
}

/// The shared `--bits` output option: re-expresses an information result (unit "nats") in bits.
/// "value" (and "std_error", the bootstrap interval "details.bootstrap_lower/upper/std_error") are
/// divided by ln 2, "unit" becomes "bits", and "value_nats" keeps the nats value. (The 2025 thesis
/// reports its information planes in bits.) A result whose unit is not nats is refused (exit 2):
/// converting a dimensionless number to bits would be meaningless.
inline void express_in_bits(json& j, const char* command) {
  require(j.contains("unit") && j["unit"] == "nats" && j.contains("value") && j["value"].is_number(), command,
          "--bits converts a result in nats; this result has no value in nats (unit=",
          j.contains("unit") ? j["unit"].dump() : std::string("none"), ")");
  const double ln2 = std::log(2.0);
  j["value_nats"] = j["value"];
  j["value"] = j["value"].get<double>() / ln2;
  j["unit"] = "bits";
  if (j.contains("bits")) j.erase("bits");
  if (j.contains("std_error") && j["std_error"].is_number()) j["std_error"] = j["std_error"].get<double>() / ln2;
  if (j.contains("details") && j["details"].is_object())
    for (const char* key : {"bootstrap_lower", "bootstrap_upper", "bootstrap_std_error"})
      if (j["details"].contains(key) && j["details"][key].is_number())
        j["details"][key] = j["details"][key].get<double>() / ln2;
}

/// A noise level given as a standard deviation (--sigma) or a variance (--variance, sigma = sqrt):
/// exactly one may be given; NaN when neither was. Refuses both, NaN/Inf, and negative values.
inline double resolve_sigma(double sigma, double variance, const char* command) {
  const bool has_sigma = !std::isnan(sigma), has_variance = !std::isnan(variance);
  // NaN given explicitly would read as "not given" here; refuse_non_finite_options (main) and the
  // options' checks refuse it before this runs.
  require(!(has_sigma && has_variance), command, "give either --sigma or --variance, not both (sigma=", sigma,
          ", variance=", variance, ")");
  if (has_variance) {
    require(std::isfinite(variance) && variance >= 0.0, command, "--variance must be finite and >= 0 (variance=",
            variance, ")");
    return std::sqrt(variance);
  }
  if (has_sigma)
    require(std::isfinite(sigma) && sigma >= 0.0, command, "--sigma must be finite and >= 0 (sigma=", sigma, ")");
  return sigma;
}

/// Parses "A,B" (two finite numbers, A < B) for a range option such as --range -1,1.
inline std::pair<double, double> parse_range(const std::string& text, const char* option) {
  const auto comma = text.find(',');
  double a = 0.0, b = 0.0;
  bool ok = comma != std::string::npos;
  if (ok) {
    try {
      std::size_t ua = 0, ub = 0;
      const std::string sa = text.substr(0, comma), sb = text.substr(comma + 1);
      a = std::stod(sa, &ua);
      b = std::stod(sb, &ub);
      ok = ua == sa.size() && ub == sb.size();
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok || !std::isfinite(a) || !std::isfinite(b) || !(a < b))
    throw_invalid_argument("cli", option, " takes two finite numbers MIN,MAX with MIN < MAX (", option, "=", text,
                           ")");
  return {a, b};
}

/// Splits "64,64" into integers; throws invalid_argument naming the option.
inline std::vector<int> parse_int_list(const std::string& text, const char* option) {
  std::vector<int> values;
  std::string item;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (item.empty()) throw_invalid_argument("cli", option, " has an empty item (", option, "=", text, ")");
      std::size_t used = 0;
      int v = 0;
      try {
        v = std::stoi(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != item.size())
        throw_invalid_argument("cli", option, " must be integers separated by commas (", option,
                               "=", text, ")");
      values.push_back(v);
      item.clear();
    } else {
      item += text[i];
    }
  }
  return values;
}

/// `--hidden 64,64` (or a single 0 for no hidden layer) as a list of widths; throws
/// invalid_argument naming the option when a width is < 1.
inline std::vector<int> parse_hidden_widths(const std::string& text, const char* fn) {
  const std::vector<int> widths = parse_int_list(text, "--hidden");
  if (widths.size() == 1 && widths[0] == 0) return {};
  for (const int w : widths)
    require(w >= 1, fn, "--hidden widths must be >= 1, or a single 0 for no hidden layer (hidden=", text, ")");
  return widths;
}

/// The options of a trained estimator (DoE, variational bounds), defaults read from its options
/// struct `o` (hidden, epochs, batch, lr, weight_decay, seed).
template <class TrainedOptions>
std::vector<method_option> training_options_of(const TrainedOptions& o) {
  std::string hidden;
  for (const auto w : o.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(w);
  return {{"hidden", hidden.empty() ? "0 (no hidden layer)" : hidden},
          {"epochs", std::to_string(o.epochs) + " (maximum; early stopping on held-out data)"},
          {"batch", std::to_string(o.batch)},
          {"lr", default_of(o.lr)},
          {"weight-decay", default_of(o.weight_decay) + " (0 = Adam)"},
          {"seed", std::to_string(o.seed)}};
}

/// Splits "-1,1" into finite doubles; throws invalid_argument naming the option (NaN / Inf refused).
inline std::vector<double> parse_double_list(const std::string& text, const char* option) {
  std::vector<double> values;
  std::string item;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      std::size_t used = 0;
      double v = 0.0;
      try {
        v = std::stod(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (item.empty() || used != item.size())
        throw_invalid_argument("cli", option, " must be numbers separated by commas (", option, "=", text, ")");
      if (!std::isfinite(v))
        throw_invalid_argument("cli", option, " must be finite numbers (", option, "=", text, ")");
      values.push_back(v);
      item.clear();
    } else {
      item += text[i];
    }
  }
  return values;
}

/// CLI11 validators with our own messages (CLI11's range checks print the type's whole range,
/// e.g. a 309-digit number for `--k 0`). CLI11 prefixes the message with the option name.
namespace checks {
inline bool read_number(const std::string& text, long double& v) {
  try {
    std::size_t used = 0;
    v = std::stold(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}
/// An integer >= `lowest` (counts: 1; "0 = off" options: 0).
inline CLI::Validator integer_at_least(long long lowest) {
  return CLI::Validator(
      [lowest](std::string& text) -> std::string {
        long double v = 0;
        if (!read_number(text, v) || v != std::floor(v))
          return "must be an integer (value=" + text + ")";
        if (v < static_cast<long double>(lowest))
          return "must be an integer >= " + std::to_string(lowest) + " (value=" + text + ")";
        return {};
      },
      lowest == 1 ? "POSITIVE INTEGER" : "INTEGER >= " + std::to_string(lowest));
}
inline CLI::Validator positive_count() { return integer_at_least(1); }
/// A finite number; `positive`: > 0, `nonnegative`: >= 0.
inline CLI::Validator finite_number(const std::string& sign = "") {
  return CLI::Validator(
      [sign](std::string& text) -> std::string {
        long double v = 0;
        if (!read_number(text, v)) return "must be a number (value=" + text + ")";
        if (!std::isfinite(static_cast<double>(v))) return "must be a finite number (value=" + text + ")";
        if (sign == "positive" && !(v > 0)) return "must be > 0 (value=" + text + ")";
        if (sign == "nonnegative" && !(v >= 0)) return "must be >= 0 (value=" + text + ")";
        return {};
      },
      sign.empty() ? "FINITE" : sign == "positive" ? "POSITIVE" : "NONNEGATIVE");
}
}  // namespace checks

/// NaN / Inf given to ANY option of a parsed subcommand is refused (exit 2, naming option and
/// value): a non-finite number would otherwise read as "not given" (the sentinel of most double
/// options) and silently mean the default. Called once by main after parsing, so options added
/// later are covered without their own check.
inline void refuse_non_finite_options(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    for (const CLI::Option* opt : sub->get_options()) {
      for (const std::string& text : opt->results()) {
        const char* begin = text.c_str();
        char* end = nullptr;
        const double v = std::strtod(begin, &end);
        if (end != begin && *end == '\0' && !std::isfinite(v))
          throw_invalid_argument(sub->get_name().c_str(), opt->get_name(), " must be a finite number (",
                                 opt->get_name(), "=", text, ")");
      }
    }
    refuse_non_finite_options(*sub);
  }
}

/// Progress and log lines: stderr only.
inline void log(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

}  // namespace infogeo::cli
