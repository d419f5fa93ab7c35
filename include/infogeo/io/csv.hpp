// Reading and writing numeric CSV matrices (samples are rows). An optional first header row
// of column names is detected (any non-numeric field) or forced by the options.
#pragma once

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

#include "infogeo/core/errors.hpp"

namespace infogeo::io {

/// Options for load_csv().
struct csv_options {
  char delimiter = ',';
  enum class header_mode { detect, present, absent } header = header_mode::detect;
  bool require_finite = true;  ///< NaN/Inf (or "nan"/"inf" fields) are an error
};

namespace detail {
inline std::vector<std::string> split_csv_line(const std::string& line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, delimiter)) {
    const auto b = field.find_first_not_of(" \t\r");
    const auto e = field.find_last_not_of(" \t\r");
    fields.push_back(b == std::string::npos ? "" : field.substr(b, e - b + 1));
  }
  if (!line.empty() && line.back() == delimiter) fields.emplace_back();
  return fields;
}

inline bool parse_double(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}
}  // namespace detail

/// Loads a numeric CSV file as an N x D xt::xarray<double>. Errors (infogeo::invalid_argument)
/// name the file, line and column: ragged rows, empty or non-numeric fields, NaN/Inf (unless
/// allowed), an empty file.
inline xt::xarray<double> load_csv(const std::string& path, const csv_options& options = {}) {
  std::ifstream in(path);
  if (!in) throw_invalid_argument("io::load_csv", "cannot open file '", path, "'");
  std::vector<double> values;
  std::size_t cols = 0;
  std::size_t rows = 0;
  std::string line;
  std::size_t line_number = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const auto fields = detail::split_csv_line(line, options.delimiter);
    if (first) {
      first = false;
      bool numeric = true;
      double dummy;
      for (const auto& f : fields) numeric = numeric && detail::parse_double(f, dummy);
      const bool is_header = options.header == csv_options::header_mode::present ||
                             (options.header == csv_options::header_mode::detect && !numeric);
      cols = fields.size();
      if (is_header) continue;
    }
    if (fields.size() != cols)
      throw_invalid_argument("io::load_csv", "file '", path, "' line ", line_number, " has ",
                             fields.size(), " fields, expected ", cols);
    for (std::size_t j = 0; j < fields.size(); ++j) {
      double v = 0.0;
      if (!detail::parse_double(fields[j], v))
        throw_invalid_argument("io::load_csv", "file '", path, "' line ", line_number,
                               " column ", j, " is not a number ('", fields[j], "')");
      if (options.require_finite && !std::isfinite(v))
        throw_invalid_argument("io::load_csv", "file '", path, "' line ", line_number,
                               " column ", j, " is not finite (value=", fields[j], ")");
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw_invalid_argument("io::load_csv", "file '", path, "' has no data rows");
  xt::xarray<double> out = xt::xarray<double>::from_shape({rows, cols});
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

/// Writes an N x D (or length-N) array as CSV with full double precision; optional header.
template <class E>
void save_csv(const std::string& path, const xt::xexpression<E>& expression,
              const std::vector<std::string>& column_names = {}, char delimiter = ',') {
  xt::xarray<double> a = expression.derived_cast();
  require(a.dimension() == 1 || a.dimension() == 2, "io::save_csv",
          "array must be 1-D or 2-D (ndim=", a.dimension(), ")");
  const std::size_t rows = a.shape()[0];
  const std::size_t cols = a.dimension() == 2 ? a.shape()[1] : 1;
  require(column_names.empty() || column_names.size() == cols, "io::save_csv",
          "column_names must have one name per column (names=", column_names.size(),
          ", cols=", cols, ")");
  std::ofstream out(path);
  if (!out) throw_invalid_argument("io::save_csv", "cannot open '", path, "' for writing");
  out.precision(17);
  for (std::size_t j = 0; j < column_names.size(); ++j)
    out << (j ? std::string(1, delimiter) : "") << column_names[j];
  if (!column_names.empty()) out << '\n';
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j)
      out << (j ? std::string(1, delimiter) : "") << a.data()[i * cols + j];
    out << '\n';
  }
}

}  // namespace infogeo::io
