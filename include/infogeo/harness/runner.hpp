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

#include <Eigen/Core>
#include <exception>

#include "infogeo/core/errors.hpp"
#include "infogeo/harness/estimator.hpp"
#include "infogeo/harness/task.hpp"
#include "infogeo/mi/class_conditional.hpp"

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
  index_t dims = 0;         ///< the task's joint dimension (an entropy's tolerance grows with it)
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
  /// Evaluate the (estimator, rep) cells of each task concurrently on the OpenMP threads (the
  /// estimators' own parallel loops then run single-threaded under OpenMP's default of one active
  /// level; OMP_MAX_ACTIVE_LEVELS > 1 would oversubscribe the cores). Eigen's global thread count
  /// is set to 1 for the duration (the trained estimators' own setting is then never written
  /// concurrently). Same values and verdicts as the serial run (every evaluation is deterministic
  /// given its data; tested); the median times include the contention of the other cells.
  /// Useful for the trained estimators, which are single-threaded. All reps' data sets of a task
  /// are held at once (reps x n x d doubles).
  bool parallel_cells = false;
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

/// I(X;Y|L) = sum_l p(l) I(X;Y|L=l) with a plug-in p(l) and the estimator applied within each class
/// (mi::class_conditional_mi: its verdict, the classes' reasons and the total's sampling noise, goes
/// to `reasons` as codes).
template <class = void>
double conditional_mi(const estimator& e, const task_data& d, std::vector<std::string>& reasons) {
  const mi::class_conditional_result r =
      mi::class_conditional_mi(d.x, d.y, d.labels, [&](const row_matrix<double>& x, const row_matrix<double>& y) {
        if (e.mi_estimate) return e.mi_estimate(x, y);
        estimate plain;
        plain.value = e.mi(x, y);
        return plain;
      });
  for (const auto& reason : r.total.reasons) reasons.push_back(reason.code);
  return r.total.value;
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

/// The outcome of one estimator on one data set (one rep of a cell).
struct cell_evaluation {
  cell_status status = cell_status::ok;  ///< ok (a finite value), refused or failed
  double value = 0.0;
  bool non_finite = false;               ///< failed because the value was NaN / Inf
  std::vector<std::string> reasons;      ///< the verdict's reason codes
  std::string message;                   ///< the exception's text for refused / failed
  double seconds = 0.0;
};

/// Runs estimator e on one data set of task t; exceptions never escape (numerical_error: refused,
/// anything else: failed).
inline cell_evaluation evaluate_cell(const estimator& e, const task& t, const task_data& data) {
  cell_evaluation ev;
  const auto start = std::chrono::steady_clock::now();
  try {
    if (t.kind == quantity::entropy) ev.value = entropy_value(e, data.x, ev.reasons);
    else if (t.kind == quantity::mi) ev.value = mi_value(e, data.x, data.y, ev.reasons);
    else ev.value = conditional_mi(e, data, ev.reasons);
    if (!std::isfinite(ev.value)) {
      ev.status = cell_status::failed;
      ev.non_finite = true;
    }
  } catch (const infogeo::numerical_error& ex) {
    ev.status = cell_status::refused;
    ev.message = ex.what();
  } catch (const std::exception& ex) {
    ev.status = cell_status::failed;
    ev.message = ex.what();
  } catch (...) {
    ev.status = cell_status::failed;
  }
  ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ev;
}

/// Runs every estimator on every task: reps data sets per task (seed task_seed), the same data
/// for every estimator; per cell the statistics over reps. Exceptions of the estimators never
/// escape: they become failed / refused rows (an estimator's first error on a task ends its cell:
/// serially its later reps are not run, with parallel_cells they are run and ignored).
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
      r.dims = t.dims;
      r.n = options.n;
      r.truth = t.truth;
      r.message = skip_reason(e, t);
      if (!r.message.empty()) r.status = cell_status::skipped;
      rows.push_back(r);
    }
    // Every rep's data set, generated once and shared by the estimators (only if some estimator runs).
    const std::size_t reps = static_cast<std::size_t>(options.reps);
    std::vector<task_data> data(reps);
    bool any = false;
    for (std::size_t k = 0; k < estimators.size(); ++k) any = any || rows[first + k].status == cell_status::ok;
    if (any)
      for (std::size_t rep = 0; rep < reps; ++rep)
        data[rep] = t.generate(options.n, task_seed(options.seed, t.name, static_cast<int>(rep)));
    // One evaluation per (estimator, rep), gathered in rep order below: an estimator's first error
    // ends its cell. A serial run skips the reps after it; a parallel one evaluates and ignores them.
    std::vector<cell_evaluation> evals(estimators.size() * reps);
    std::vector<char> stopped(estimators.size(), 0);
    std::exception_ptr progress_error;
    const auto n_evals = static_cast<std::int64_t>(evals.size());
    const auto evaluate_one = [&](std::int64_t i) {
      const std::size_t k = static_cast<std::size_t>(i) / reps;
      const std::size_t rep = static_cast<std::size_t>(i) % reps;
      if (rows[first + k].status == cell_status::ok && !stopped[k]) {
        cell_evaluation& ev = evals[static_cast<std::size_t>(i)];
        ev = evaluate_cell(estimators[k], t, data[rep]);
        if (!options.parallel_cells && ev.status != cell_status::ok) stopped[k] = 1;
      }
#pragma omp critical(infogeo_bench_progress)
      {
        ++done;
        // A throwing progress callback must not unwind through an OpenMP region: kept, rethrown after.
        try {
          if (options.progress && !progress_error) options.progress(done, total, t.name + " / " + estimators[k].name);
        } catch (...) {
          progress_error = std::current_exception();
        }
      }
    };
    if (options.parallel_cells) {
      const int eigen_threads = Eigen::nbThreads();
      Eigen::setNbThreads(1);
#pragma omp parallel for schedule(dynamic, 1)
      for (std::int64_t i = 0; i < n_evals; ++i) evaluate_one(i);
      Eigen::setNbThreads(eigen_threads);
      if (progress_error) std::rethrow_exception(progress_error);
    } else {
      for (std::size_t rep = 0; rep < reps; ++rep)  // rep-major, as the progress reports it
        for (std::size_t k = 0; k < estimators.size(); ++k) evaluate_one(static_cast<std::int64_t>(k * reps + rep));
      if (progress_error) std::rethrow_exception(progress_error);
    }
    for (std::size_t k = 0; k < estimators.size(); ++k) {
      bench_row& r = rows[first + k];
      for (std::size_t rep = 0; rep < reps; ++rep) {
        if (r.status != cell_status::ok && r.status != cell_status::warning) break;  // skipped, or ended by an error
        const cell_evaluation& ev = evals[k * reps + rep];
        seconds[k].push_back(ev.seconds);
        if (ev.status == cell_status::ok) {
          for (const auto& code : ev.reasons) {
            r.status = cell_status::warning;
            if (r.message.find(code) == std::string::npos) r.message += (r.message.empty() ? "" : ", ") + code;
          }
          r.values.push_back(ev.value);
        } else {
          r.status = ev.status;
          r.message = ev.status == cell_status::failed && ev.message.empty() ? "unknown exception" : ev.message;
          if (ev.non_finite) r.message = "returned a non-finite value (" + std::to_string(ev.value) + ") at rep " + std::to_string(rep);
        }
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
