// Loading the files an estimator subcommand is given (npy), with the validation every method
// needs, so that method files only pick options and call the library.
#pragma once

#include <functional>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/io/npy.hpp"
#include "infogeo/mi/compressed.hpp"
#include "registry.hpp"

namespace infogeo::cli {

/// N x D double samples from a .npy file (1-D files become N x 1); NaN/Inf rejected.
inline xt::xarray<double> load_samples(const std::string& path) {
  return io::load_npy_matrix(path);
}

/// True when the .npy file holds an integer (or bool) dtype, i.e. discrete labels.
inline bool has_integer_dtype(const std::string& path) {
  return io::read_npy_header(path).is_integer();
}

/// The inputs of a two-file MI method: X, and Y either continuous or discrete labels
/// (integer dtype, or --discrete-y).
struct xy_inputs {
  xt::xarray<double> x;
  xt::xarray<double> y;                 ///< continuous Y (empty when discrete)
  std::vector<std::int64_t> y_labels;   ///< discrete Y (empty when continuous)
  bool y_discrete = false;
  json preprocessing = json::object();  ///< what was done to the data before estimation
};

/// `--pca N'`: replaces `m` by its scores on its N' leading principal components
/// (mi::pca_projector fitted on m itself) and returns what was done, for xy_inputs::preprocessing.
inline json project_pca(xt::xarray<double>& m, int components) {
  const mi::pca_projector pca(m, components);
  const row_matrix<double> scores = pca.transform(m);
  json j;
  j["input_dims"] = pca.input_dims();
  j["components"] = pca.components();
  j["retained_variance_ratio"] = pca.retained_variance_ratio();
  j["largest_discarded_variance"] = pca.largest_discarded_variance();
  xt::xarray<double> out = xt::zeros<double>({static_cast<std::size_t>(scores.rows()),
                                              static_cast<std::size_t>(scores.cols())});
  std::copy(scores.data(), scores.data() + scores.size(), out.data());
  m = std::move(out);
  return j;
}

/// `--compress SPEC`: replaces the N x D sample `m` (named by `which`: "x" or "y") by its codes and
/// returns what was done (reconstruction error included), for xy_inputs::preprocessing. Registered
/// by infogeo-torch (tools/infogeo/torch/, autoencoders of infogeo/torch/compression.hpp); empty in
/// the plain tool, which then refuses --compress.
using input_compressor = std::function<json(xt::xarray<double>& m, const estimator_args& args, const char* which)>;
inline input_compressor& registered_compressor() {
  static input_compressor compressor;
  return compressor;
}

/// Loads X.npy and Y.npy for `infogeo mi`, checking that the row counts agree; with --pca N',
/// X (and a continuous Y with more than N' columns) is projected to N' principal components; with
/// --compress ae:N (infogeo-torch), the same samples are replaced by their autoencoder codes.
inline xy_inputs load_xy(const estimator_args& args) {
  require(args.files.size() == 2, "mi", "this method needs two files X.npy Y.npy (files=",
          args.files.size(), ")");
  xy_inputs in;
  in.x = load_samples(args.files[0]);
  in.y_discrete = args.discrete_y || has_integer_dtype(args.files[1]);
  std::size_t y_rows = 0;
  if (in.y_discrete) {
    in.y_labels = io::load_npy_labels(args.files[1]);
    y_rows = in.y_labels.size();
  } else {
    in.y = load_samples(args.files[1]);
    y_rows = in.y.shape()[0];
  }
  require(in.x.shape()[0] == y_rows, "mi", "X and Y must have the same number of rows (X rows=",
          in.x.shape()[0], ", Y rows=", y_rows, ")");
  if (!args.compress.empty()) {
    require(args.pca == 0, "mi", "--compress and --pca are alternatives; give one (pca=", args.pca,
            ", compress=", args.compress, ")");
    require(static_cast<bool>(registered_compressor()), "mi",
            "--compress needs infogeo-torch, the tool built with LibTorch (INFOGEO_WITH_TORCH; compress=",
            args.compress, ")");
    in.preprocessing["compress_x"] = registered_compressor()(in.x, args, "x");
    const json& cx = in.preprocessing["compress_x"];
    if (!in.y_discrete && in.y.shape()[1] > cx["latent"].get<std::size_t>())
      in.preprocessing["compress_y"] = registered_compressor()(in.y, args, "y");
  }
  if (args.pca != 0) {
    require(args.pca > 0, "mi", "--pca must be a positive number of components (pca=", args.pca, ")");
    in.preprocessing["pca_x"] = project_pca(in.x, args.pca);
    if (!in.y_discrete && in.y.shape()[1] > static_cast<std::size_t>(args.pca))
      in.preprocessing["pca_y"] = project_pca(in.y, args.pca);
  }
  return in;
}

}  // namespace infogeo::cli
