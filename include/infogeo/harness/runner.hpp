// The benchmark runner: every estimator on every task, reps independent data sets each, with
// truth, mean, bias, std, RMSE and median wall time per (estimator, task).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/harness/estimator.hpp"
#include "infogeo/harness/task.hpp"

namespace infogeo::harness {

/// Outcome of one (estimator, task) cell.
enum class cell_status {
  ok,       ///< every rep returned a finite number with verdict ok
  warning,  ///< every rep returned a finite number, some with a warning verdict (see message)
  failed,   ///< an exception other than numerical_error, or a non-finite value: a bug to fix
  refused,  ///< the estimator threw infogeo::numerical_error (no honest number for this data)
  skipped,  ///< not applicable (no function for the quantity, or too many dimensions)
};

inline const char* status_name(cell_status s) {
  switch (s) {
    case cell_status::ok: return "ok";
    case cell_status::warning: return "warning";
    case cell_status::failed: return "failed";
    case cell_status::refused: return "refused";
    case cell_status::skipped: return "skipped";
  }
  return "?";
}

/// One row of the results table.
struct bench_row {
  std::string estimator;
  std::string task;
  std::string family;
  quantity kind = quantity::mi;
  index_t n = 0;
  int reps = 0;             ///< reps that produced a value
  double truth = 0.0;
  double mean = std::nan("");
  double bias = std::nan("");
  double stddev = std::nan("");  ///< sample std over reps (0 for one rep)
  double rmse = std::nan("");
  double median_seconds = std::nan("");
  cell_status status = cell_status::ok;
  std::string message;      ///< error text for failed / refused, reason for skipped
  std::vector<double> values;  ///< the per-rep estimates
};

/// Runner options.
struct bench_options {
  index_t n = 1000;
  int reps = 3;
  std::uint64_t seed = 20240601;
  /// Called after each (task, rep, estimator) evaluation: done, total, description.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

/// The seed of rep `rep` of a task: depends only on the base seed, the task name and rep, so the
/// same task gets the same data whatever else is selected, and every estimator sees it.
inline std::uint64_t task_seed(std::uint64_t base, const std::string& task_name, int rep) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const char c : task_name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  std::uint64_t z = base ^ h ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(rep + 1));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// The estimator's MI on (x, y): through mi_estimate when set (its warnings are appended to
/// `reasons` as codes), else through mi.
inline double mi_value(const estimator& e, const row_matrix<double>& x, const row_matrix<double>& y,
                       std::vector<std::string>& reasons) {
  if (!e.mi_estimate) return e.mi(x, y);
  const estimate r = e.mi_estimate(x, y);
  for (const auto& reason : r.reasons) reasons.push_back(reason.code);
  return r.value;
}

/// The estimator's entropy of x (entropy_estimate when set, its warnings appended to `reasons`).
inline double entropy_value(const estimator& e, const row_matrix<double>& x, std::vector<std::string>& reasons) {
  if (!e.entropy_estimate) return e.entropy(x);
  const estimate r = e.entropy_estimate(x);
  for (const auto& reason : r.reasons) reasons.push_back(reason.code);
  return r.value;
}

/// I(X;Y|L) = sum_l p(l) I(X;Y|L=l) with a plug-in p(l) and `mi` applied within each class.
template <class = void>
double conditional_mi(const estimator& e, const task_data& d, std::vector<std::string>& reasons) {
  const char* fn = "harness::conditional_mi";
  require(static_cast<index_t>(d.labels.size()) == d.x.rows(), fn, "labels must match rows (labels=",
          d.labels.size(), ", rows=", d.x.rows(), ")");
  std::map<std::int64_t, std::vector<index_t>> rows;
  for (std::size_t i = 0; i < d.labels.size(); ++i) rows[d.labels[i]].push_back(static_cast<index_t>(i));
  double total = 0.0;
  for (const auto& [label, idx] : rows) {
    row_matrix<double> x(static_cast<index_t>(idx.size()), d.x.cols()), y(static_cast<index_t>(idx.size()), d.y.cols());
    for (std::size_t k = 0; k < idx.size(); ++k) {
      x.row(static_cast<index_t>(k)) = d.x.row(idx[k]);
      y.row(static_cast<index_t>(k)) = d.y.row(idx[k]);
    }
    total += static_cast<double>(idx.size()) / static_cast<double>(d.x.rows()) * mi_value(e, x, y, reasons);
  }
  return total;
}

/// conditional_mi() without collecting the verdict reasons.
inline double conditional_mi(const estimator& e, const task_data& d) {
  std::vector<std::string> ignored;
  return conditional_mi(e, d, ignored);
}

/// Why an estimator does not apply to a task ("" if it does).
inline std::string skip_reason(const estimator& e, const task& t) {
  if (t.kind == quantity::entropy && !e.entropy && !e.entropy_estimate) return "no entropy function";
  if (t.kind != quantity::entropy && !e.mi && !e.mi_estimate) return "no MI function";
  if (e.max_dims > 0 && t.dims > e.max_dims)
    return "task dims " + std::to_string(t.dims) + " > max_dims " + std::to_string(e.max_dims);
  return "";
}

/// Runs every estimator on every task: reps data sets per task (seed task_seed), the same data
/// for every estimator; per cell the statistics over reps. Exceptions never escape: they become
/// failed / refused rows (an estimator stops being run on a task after its first error).
template <class = void>
std::vector<bench_row> run_bench(const std::vector<task>& tasks, const std::vector<estimator>& estimators,
                                 const bench_options& options) {
  const char* fn = "harness::run_bench";
  require(options.n >= 2, fn, "n must be >= 2 (n=", options.n, ")");
  require(options.reps >= 1, fn, "reps must be >= 1 (reps=", options.reps, ")");
  std::vector<bench_row> rows;
  const std::size_t total = tasks.size() * estimators.size() * static_cast<std::size_t>(options.reps);
  std::size_t done = 0;
  for (const auto& t : tasks) {
    const std::size_t first = rows.size();
    std::vector<std::vector<double>> seconds(estimators.size());
    for (const auto& e : estimators) {
      bench_row r;
      r.estimator = e.name;
      r.task = t.name;
      r.family = t.family;
      r.kind = t.kind;
      r.n = options.n;
      r.truth = t.truth;
      r.message = skip_reason(e, t);
      if (!r.message.empty()) r.status = cell_status::skipped;
      rows.push_back(r);
    }
    for (int rep = 0; rep < options.reps; ++rep) {
      task_data data;
      bool generated = false;
      for (std::size_t k = 0; k < estimators.size(); ++k) {
        bench_row& r = rows[first + k];
        ++done;
        if (r.status != cell_status::ok && r.status != cell_status::warning) {
          if (options.progress) options.progress(done, total, t.name + " / " + estimators[k].name);
          continue;
        }
        if (!generated) {
          data = t.generate(options.n, task_seed(options.seed, t.name, rep));
          generated = true;
        }
        const auto& e = estimators[k];
        const auto start = std::chrono::steady_clock::now();
        try {
          double v;
          std::vector<std::string> reasons;
          if (t.kind == quantity::entropy) v = entropy_value(e, data.x, reasons);
          else if (t.kind == quantity::mi) v = mi_value(e, data.x, data.y, reasons);
          else v = conditional_mi(e, data, reasons);
          for (const auto& code : reasons) {
            r.status = cell_status::warning;
            if (r.message.find(code) == std::string::npos) r.message += (r.message.empty() ? "" : ", ") + code;
          }
          if (!std::isfinite(v)) {
            r.status = cell_status::failed;
            r.message = "returned a non-finite value (" + std::to_string(v) + ") at rep " + std::to_string(rep);
          } else {
            r.values.push_back(v);
          }
        } catch (const infogeo::numerical_error& ex) {
          r.status = cell_status::refused;
          r.message = ex.what();
        } catch (const std::exception& ex) {
          r.status = cell_status::failed;
          r.message = ex.what();
        } catch (...) {
          r.status = cell_status::failed;
          r.message = "unknown exception";
        }
        seconds[k].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (options.progress) options.progress(done, total, t.name + " / " + e.name);
      }
    }
    for (std::size_t k = 0; k < estimators.size(); ++k) {
      bench_row& r = rows[first + k];
      r.reps = static_cast<int>(r.values.size());
      if (!seconds[k].empty()) {
        auto s = seconds[k];
        std::sort(s.begin(), s.end());
        const std::size_t m = s.size();
        r.median_seconds = m % 2 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
      }
      if ((r.status != cell_status::ok && r.status != cell_status::warning) || r.values.empty()) continue;
      const double cnt = static_cast<double>(r.values.size());
      double sum = 0.0, sq = 0.0;
      for (double v : r.values) {
        sum += v;
        sq += (v - r.truth) * (v - r.truth);
      }
      r.mean = sum / cnt;
      r.bias = r.mean - r.truth;
      double var = 0.0;
      for (double v : r.values) var += (v - r.mean) * (v - r.mean);
      r.stddev = r.values.size() > 1 ? std::sqrt(var / (cnt - 1.0)) : 0.0;
      r.rmse = std::sqrt(sq / cnt);
    }
  }
  return rows;
}

/// "estimator on task: message" for every failed cell (empty when the run is clean). A bench run
/// with any entry must exit non-zero.
inline std::vector<std::string> failures(const std::vector<bench_row>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    if (r.status == cell_status::failed) out.push_back(r.estimator + " on " + r.task + ": " + r.message);
  return out;
}

/// Selects estimators by name (comma list; empty = all); throws invalid_argument naming an unknown one.
inline std::vector<estimator> select_estimators(const std::vector<estimator>& all, const std::vector<std::string>& names) {
  if (names.empty()) return all;
  std::vector<estimator> out;
  for (const auto& n : names) {
    bool found = false;
    for (const auto& e : all)
      if (e.name == n) {
        out.push_back(e);
        found = true;
      }
    if (!found) {
      std::string known;
      for (const auto& e : all) known += (known.empty() ? "" : ", ") + e.name;
      throw_invalid_argument("harness::select_estimators", "unknown estimator (name=", n, "); known: ", known);
    }
  }
  return out;
}

/// Selects tasks whose family or full name is in `names` (empty = all); throws if a name matches nothing.
inline std::vector<task> select_tasks(const std::vector<task>& all, const std::vector<std::string>& names) {
  if (names.empty()) return all;
  std::vector<task> out;
  for (const auto& t : all) {
    for (const auto& n : names)
      if (t.family == n || t.name == n) {
        out.push_back(t);
        break;
      }
  }
  for (const auto& n : names) {
    bool found = false;
    for (const auto& t : all) found = found || t.family == n || t.name == n;
    require(found, "harness::select_tasks", "no task in the suite matches (name=", n, ")");
  }
  return out;
}

}  // namespace infogeo::harness
