// `infogeo info FILE.npy`: shape, dtype, finite / NaN / Inf counts and per-column mean and std.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "infogeo/io/npy.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

json run_info(const std::string& path) {
  const io::npy_file file = io::read_npy_file(path);
  const auto& h = file.header;
  json out;
  out["file"] = path;
  out["dtype"] = h.dtype_name();
  out["descr"] = h.descr;
  out["fortran_order"] = h.fortran_order;
  out["shape"] = h.shape;
  out["ndim"] = h.shape.size();
  out["size"] = h.element_count();
  const xt::xarray<double> a = io::to_xarray<double>(file);
  const std::size_t rows = h.shape.empty() ? 1 : h.shape[0];
  const std::size_t cols = rows == 0 ? 0 : a.size() / rows;
  std::size_t nan_count = 0, inf_count = 0;
  // Per-column mean / variance over the finite entries, stable at any scale: the values are
  // divided by the column's largest |value| (so none exceeds 1 and no square or sum overflows,
  // e.g. near 1e308) and accumulated by Welford's update in long double.
  std::vector<double> scale(cols, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = a.data()[i * cols + j];
      if (std::isnan(v)) ++nan_count;
      else if (std::isinf(v)) ++inf_count;
      else scale[j] = std::max(scale[j], std::fabs(v));
    }
  std::vector<long double> mean(cols, 0.0L), m2(cols, 0.0L);
  std::vector<std::size_t> count(cols, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = a.data()[i * cols + j];
      if (!std::isfinite(v)) continue;
      const long double u = scale[j] > 0.0 ? static_cast<long double>(v) / scale[j] : 0.0L;
      const long double delta = u - mean[j];
      mean[j] += delta / static_cast<long double>(++count[j]);
      m2[j] += delta * (u - mean[j]);
    }
  }
  // Back to the data's scale; a std beyond the double range (only for values near the largest
  // double of both signs) is printed as text, never as null.
  const auto scaled = [](long double unit_value, double s) -> json {
    const long double v = unit_value * static_cast<long double>(s);
    if (std::isfinite(static_cast<double>(v))) return json(static_cast<double>(v));
    char text[64];
    std::snprintf(text, sizeof text, "%.17Lg", v);
    return json(std::string(text));
  };
  out["finite"] = a.size() - nan_count - inf_count;
  out["nan"] = nan_count;
  out["inf"] = inf_count;
  json columns = json::array();
  for (std::size_t j = 0; j < cols; ++j) {
    json c;
    c["count"] = count[j];
    c["mean"] = count[j] > 0 ? scaled(mean[j], scale[j]) : json(nullptr);
    // Sample standard deviation (n - 1); null when fewer than 2 finite values.
    c["std"] = count[j] > 1 ? scaled(std::sqrt(m2[j] / static_cast<long double>(count[j] - 1)), scale[j])
                            : json(nullptr);
    columns.push_back(c);
  }
  out["columns"] = columns;
  return out;
}

const command_registrar info_command{command{
    "info", "describe a .npy file: shape, dtype, NaN/Inf counts, per-column mean and std",
    [](CLI::App& app) {
      auto path = std::make_shared<std::string>();
      app.add_option("file", *path, "FILE.npy")->required()->check(CLI::ExistingFile);
      return [path]() { return run_info(*path); };
    }}};

}  // namespace
}  // namespace infogeo::cli
