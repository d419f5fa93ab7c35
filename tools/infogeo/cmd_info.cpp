// `infogeo info FILE.npy`: shape, dtype, finite / NaN / Inf counts and per-column mean and std.
#include <cmath>
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
  // Per-column Welford mean / variance over the finite entries only.
  std::vector<double> mean(cols, 0.0), m2(cols, 0.0);
  std::vector<std::size_t> count(cols, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = a.data()[i * cols + j];
      if (std::isnan(v)) { ++nan_count; continue; }
      if (std::isinf(v)) { ++inf_count; continue; }
      const double delta = v - mean[j];
      mean[j] += delta / static_cast<double>(++count[j]);
      m2[j] += delta * (v - mean[j]);
    }
  }
  out["finite"] = a.size() - nan_count - inf_count;
  out["nan"] = nan_count;
  out["inf"] = inf_count;
  json columns = json::array();
  for (std::size_t j = 0; j < cols; ++j) {
    json c;
    c["count"] = count[j];
    c["mean"] = count[j] > 0 ? json(mean[j]) : json(nullptr);
    // Sample standard deviation (n - 1); null when fewer than 2 finite values.
    c["std"] = count[j] > 1 ? json(std::sqrt(m2[j] / static_cast<double>(count[j] - 1)))
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
