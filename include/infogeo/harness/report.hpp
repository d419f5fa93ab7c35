// Writers for benchmark results: a markdown table (people), CSV (machines, fixed schema) and an
// SVG plot of mean estimate vs truth with +-1 std error bars (written by hand, no dependency).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "infogeo/core/tolerance.hpp"
#include "infogeo/harness/runner.hpp"

namespace infogeo::harness {

namespace detail {
inline std::string fixed(double v, int digits = 4) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
inline std::string seconds_text(double s) {
  if (std::isnan(s)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", s);
  return buf;
}
inline std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}
inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}
inline std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else out += c == '\n' ? ' ' : c;
  }
  return out;
}
}  // namespace detail

/// The CSV header; one line per (estimator, task) follows. Values in nats, times in seconds;
/// mean/bias/std/rmse are empty unless status is ok.
inline const char* csv_header() {
  return "estimator,task,family,quantity,n,reps,truth,mean,bias,std,rmse,median_seconds,status,message";
}

inline std::string to_csv(const std::vector<bench_row>& rows) {
  std::ostringstream os;
  os << csv_header() << "\n";
  auto num = [](double v) {
    if (std::isnan(v)) return std::string();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return std::string(buf);
  };
  for (const auto& r : rows)
    os << detail::csv_quote(r.estimator) << ',' << detail::csv_quote(r.task) << ',' << r.family << ','
       << quantity_name(r.kind) << ',' << r.n << ',' << r.reps << ',' << num(r.truth) << ',' << num(r.mean) << ','
       << num(r.bias) << ',' << num(r.stddev) << ',' << num(r.rmse) << ',' << num(r.median_seconds) << ','
       << status_name(r.status) << ',' << detail::csv_quote(r.message) << "\n";
  return os.str();
}

/// A markdown table, one row per (task, estimator), tasks in suite order. Skipped cells are left
/// out; failed and refused cells show their status and the message in a footnote list.
inline std::string to_markdown(const std::vector<bench_row>& rows) {
  std::ostringstream os;
  os << "| task | quantity | truth (nats) | estimator | mean | bias | std | RMSE | median s | status |\n"
     << "|---|---|---:|---|---:|---:|---:|---:|---:|---|\n";
  std::vector<std::string> notes;
  for (const auto& r : rows) {
    if (r.status == cell_status::skipped) continue;
    std::string status = status_name(r.status);
    if (r.status != cell_status::ok) {
      notes.push_back(r.estimator + " on " + r.task + " (" + status + "): " + r.message);
      status += " [" + std::to_string(notes.size()) + "]";
    }
    os << "| " << detail::md_cell(r.task) << " | " << quantity_name(r.kind) << " | " << detail::fixed(r.truth) << " | "
       << detail::md_cell(r.estimator) << " | " << detail::fixed(r.mean) << " | " << detail::fixed(r.bias) << " | "
       << detail::fixed(r.stddev) << " | " << detail::fixed(r.rmse) << " | " << detail::seconds_text(r.median_seconds)
       << " | " << status << " |\n";
  }
  if (!notes.empty()) {
    os << "\n";
    for (std::size_t i = 0; i < notes.size(); ++i) os << "[" << i + 1 << "] " << detail::md_cell(notes[i]) << "\n";
  }
  return os.str();
}

/// The bench's tolerance for "within the truth", accuracy_tolerance() (core/tolerance.hpp) at the
/// truth: entropies 0.1 nats per dimension, MI and conditional MI max(0.1 nats, 10 % of |truth|).
inline double bench_tolerance(const bench_row& r) {
  return accuracy_tolerance(r.kind == quantity::entropy ? tolerance_kind::differential_entropy
                                                        : tolerance_kind::scale_invariant,
                            r.truth, r.dims);
}

/// Per-estimator summary (markdown): cells run (not skipped), how many ok / warning / refused /
/// failed, the fraction of cells with a value whose |bias| is within bench_tolerance(), mean |bias|
/// over cells with a value, and the number of "ok" cells beyond the tolerance (a check that missed).
inline std::string summary_markdown(const std::vector<bench_row>& rows) {
  struct acc {
    int run = 0, ok = 0, warning = 0, refused = 0, failed = 0, valued = 0, within = 0, ok_beyond = 0;
    double abs_bias = 0.0;
  };
  std::vector<std::string> order;
  std::map<std::string, acc> by;
  for (const auto& r : rows) {
    if (r.status == cell_status::skipped) continue;
    if (!by.count(r.estimator)) order.push_back(r.estimator);
    acc& a = by[r.estimator];
    ++a.run;
    a.ok += r.status == cell_status::ok;
    a.warning += r.status == cell_status::warning;
    a.refused += r.status == cell_status::refused;
    a.failed += r.status == cell_status::failed;
    if (std::isfinite(r.bias)) {
      ++a.valued;
      a.abs_bias += std::abs(r.bias);
      const bool within = std::abs(r.bias) <= bench_tolerance(r);
      a.within += within;
      a.ok_beyond += r.status == cell_status::ok && !within;
    }
  }
  std::ostringstream os;
  os << "| estimator | cells | ok | warning | refused | failed | within tolerance | mean abs bias | ok beyond tolerance |\n"
     << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& name : order) {
    const acc& a = by[name];
    os << "| " << detail::md_cell(name) << " | " << a.run << " | " << a.ok << " | " << a.warning << " | " << a.refused
       << " | " << a.failed << " | "
       << (a.valued ? std::to_string(a.within) + "/" + std::to_string(a.valued) : std::string("-")) << " | "
       << (a.valued ? detail::fixed(a.abs_bias / a.valued) : std::string("-")) << " | " << a.ok_beyond << " |\n";
  }
  os << "\nTolerance (docs/verdicts.md, \"The tolerance\"): |bias| <= max(0.1 nats, 10% of |truth|) for MI, "
        "0.1 nats per dimension for differential entropies (their truth moves by d log c when the data are "
        "multiplied by c). \"within tolerance\" counts cells with a value (ok or warning); refused cells have "
        "none.\n";
  return os.str();
}

/// An SVG scatter of mean estimate (y) vs truth (x), one colour per estimator, +-1 std error
/// bars, the diagonal y = x; circles for MI tasks, squares for entropy tasks.
template <class = void>
std::string to_svg(const std::vector<bench_row>& rows, const std::string& title = "infogeo bench") {
  const double width = 720, height = 560, left = 70, right = 200, top = 40, bottom = 60;
  // Axis range from the truths (plus a margin), so that one wild estimate does not squash the
  // plot; estimates outside it are drawn clamped to the edge as hollow triangles.
  double lo = INFINITY, hi = -INFINITY;
  std::vector<std::string> names;
  for (const auto& r : rows) {
    if (r.status != cell_status::ok) continue;
    lo = std::min(lo, r.truth);
    hi = std::max(hi, r.truth);
    if (std::find(names.begin(), names.end(), r.estimator) == names.end()) names.push_back(r.estimator);
  }
  if (!(hi >= lo)) {
    lo = 0.0;
    hi = 1.0;
  }
  const double pad = std::max(1.0, 0.25 * (hi - lo));
  lo -= pad;
  hi += pad;
  const double pw = width - left - right, ph = height - top - bottom;
  auto sx = [&](double v) { return left + (v - lo) / (hi - lo) * pw; };
  auto sy = [&](double v) { return top + ph - (v - lo) / (hi - lo) * ph; };
  static const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"};
  auto colour = [&](const std::string& name) {
    const auto i = static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
    return colours[i % (sizeof colours / sizeof colours[0])];
  };
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
     << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << left << "\" y=\"24\" font-size=\"15\">" << detail::xml_escape(title) << "</text>\n"
     << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
     << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int k = 0; k <= 5; ++k) {  // ticks
    const double v = lo + (hi - lo) * k / 5.0;
    os << "<line x1=\"" << sx(v) << "\" y1=\"" << top + ph << "\" x2=\"" << sx(v) << "\" y2=\"" << top + ph + 5
       << "\" stroke=\"black\"/><text x=\"" << sx(v) << "\" y=\"" << top + ph + 18 << "\" text-anchor=\"middle\">"
       << detail::fixed(v, 2) << "</text>\n"
       << "<line x1=\"" << left - 5 << "\" y1=\"" << sy(v) << "\" x2=\"" << left << "\" y2=\"" << sy(v)
       << "\" stroke=\"black\"/><text x=\"" << left - 8 << "\" y=\"" << sy(v) + 4 << "\" text-anchor=\"end\">"
       << detail::fixed(v, 2) << "</text>\n";
  }
  os << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 15 << "\" text-anchor=\"middle\">truth (nats)</text>\n"
     << "<text x=\"18\" y=\"" << top + ph / 2 << "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " << top + ph / 2
     << ")\">mean estimate (nats)</text>\n"
     << "<line x1=\"" << sx(lo) << "\" y1=\"" << sy(lo) << "\" x2=\"" << sx(hi) << "\" y2=\"" << sy(hi)
     << "\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n";
  for (const auto& r : rows) {
    if (r.status != cell_status::ok) continue;
    const char* c = colour(r.estimator);
    const bool outside = r.mean < lo || r.mean > hi;
    const double x = sx(r.truth), y = sy(std::min(hi, std::max(lo, r.mean)));
    os << "<g><title>" << detail::xml_escape(r.estimator + " on " + r.task + ": " + detail::fixed(r.mean) +
                                             " (truth " + detail::fixed(r.truth) + ")")
       << "</title>";
    if (r.stddev > 0 && !outside)
      os << "<line x1=\"" << x << "\" y1=\"" << sy(std::max(lo, r.mean - r.stddev)) << "\" x2=\"" << x
         << "\" y2=\"" << sy(std::min(hi, r.mean + r.stddev)) << "\" stroke=\"" << c << "\"/>";
    if (outside)
      os << "<path d=\"M" << x - 5 << " " << (r.mean > hi ? y + 8 : y - 8) << " L" << x + 5 << " "
         << (r.mean > hi ? y + 8 : y - 8) << " L" << x << " " << y << " Z\" fill=\"none\" stroke=\"" << c << "\"/>";
    else if (r.kind == quantity::entropy)
      os << "<rect x=\"" << x - 4 << "\" y=\"" << y - 4 << "\" width=\"8\" height=\"8\" fill=\"" << c << "\"/>";
    else
      os << "<circle cx=\"" << x << "\" cy=\"" << y << "\" r=\"4\" fill=\"" << c << "\"/>";
    os << "</g>\n";
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double y = top + 10 + 18.0 * static_cast<double>(i);
    os << "<rect x=\"" << width - right + 15 << "\" y=\"" << y - 8 << "\" width=\"10\" height=\"10\" fill=\""
       << colour(names[i]) << "\"/><text x=\"" << width - right + 30 << "\" y=\"" << y + 1 << "\">"
       << detail::xml_escape(names[i]) << "</text>\n";
  }
  const double ly = top + 20 + 18.0 * static_cast<double>(names.size());
  os << "<text x=\"" << width - right + 15 << "\" y=\"" << ly << "\">circle: MI, square: entropy</text>\n"
     << "<text x=\"" << width - right + 15 << "\" y=\"" << ly + 16 << "\">triangle: off the axis range</text>\n</svg>\n";
  return os.str();
}

}  // namespace infogeo::harness
