// Loading the files an estimator subcommand is given (npy), with the validation every method
// needs, so that method files only pick options and call the library.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>
#include <xtensor/xarray.hpp>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/io/npy.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/stats/heavy_tails.hpp"
#include "registry.hpp"

namespace infogeo::cli {

/// N x D double samples from a .npy file (1-D files become N x 1); NaN/Inf rejected.
inline xt::xarray<double> load_samples(const std::string& path) {
  return io::load_npy_matrix(path);
}

/// Rows and columns of the N x D sample a .npy file holds, from its header alone (a 1-D array is
/// N x 1), for memory estimates made before loading anything.
inline std::pair<double, double> npy_rows_cols(const std::string& path) {
  const io::npy_header h = io::read_npy_header(path);
  const double rows = h.shape.empty() ? 1.0 : static_cast<double>(h.shape[0]);
  double cols = 1.0;
  for (std::size_t i = 1; i < h.shape.size(); ++i) cols *= static_cast<double>(h.shape[i]);
  return {rows, cols};
}

/// True when the .npy file holds an integer (or bool) dtype, i.e. discrete labels.
inline bool has_integer_dtype(const std::string& path) {
  return io::read_npy_header(path).is_integer();
}

/// Class labels read from one or more .npy files (e.g. LABELS.npy and PREDICTIONS.npy), encoded
/// together as 0..C-1 through their sorted distinct values (encode_labels): any integers are
/// accepted (negative, sparse, huge), a label value never sets an allocation size, and more than
/// default_max_classes distinct values is refused naming the count. `codes[f]` holds the codes of
/// file f; `values[c]` the original label of class c, for outputs that name classes.
struct file_labels {
  std::vector<std::vector<std::int64_t>> codes;
  std::vector<std::int64_t> values;
};
inline file_labels load_labels(const std::vector<std::string>& paths, const char* command) {
  std::vector<std::int64_t> all;
  std::vector<std::size_t> sizes;
  std::string names;
  for (const auto& path : paths) {
    const std::vector<std::int64_t> part = io::load_npy_integers(path);
    sizes.push_back(part.size());
    all.insert(all.end(), part.begin(), part.end());
    names += (names.empty() ? "" : " + ") + path;
  }
  const std::string argument = "the labels of " + names;
  label_encoding e = encode_labels(all, default_max_classes, command, argument.c_str());
  file_labels out;
  out.values = std::move(e.values);
  std::size_t start = 0;
  for (const std::size_t size : sizes) {
    out.codes.emplace_back(e.codes.begin() + static_cast<std::ptrdiff_t>(start),
                           e.codes.begin() + static_cast<std::ptrdiff_t>(start + size));
    start += size;
  }
  return out;
}
inline file_labels load_labels(const std::string& path, const char* command) {
  return load_labels(std::vector<std::string>{path}, command);
}

/// The inputs of a two-file MI method: X, and Y either continuous or discrete labels
/// (integer dtype, or --discrete-y).
struct xy_inputs {
  xt::xarray<double> x;
  xt::xarray<double> y;                 ///< continuous Y (empty when discrete)
  std::vector<std::int64_t> y_labels;   ///< discrete Y coded 0..C-1 (empty when continuous)
  std::vector<std::int64_t> y_class_values;  ///< the original label of each code (load_labels)
  bool y_discrete = false;
  json preprocessing = json::object();  ///< what was done to the data before estimation
};

/// A discrete Y as one column of its original label values (empty when Y is continuous), for the
/// estimators that take an integer Y as a data column (mixed KSG, --method auto).
inline row_matrix<double> discrete_y_column(const xy_inputs& in) {
  row_matrix<double> y;
  if (!in.y_discrete) return y;
  y.resize(static_cast<index_t>(in.y_labels.size()), 1);
  for (std::size_t i = 0; i < in.y_labels.size(); ++i)
    y(static_cast<index_t>(i), 0) = static_cast<double>(in.y_class_values[static_cast<std::size_t>(in.y_labels[i])]);
  return y;
}

/// `--pca N'`: replaces `m` by its scores on its N' leading principal components (mi::pca_projector
/// fitted on `fit` when given, the `--pca-fit` sample, else on m itself) and returns what was done,
/// for xy_inputs::preprocessing. With a noise level `sigma` (> 0; NaN = none) it adds Corollary 6 of
/// Butakov et al. 2024 (seed paper 004): the information lost by the projection of X + Z,
/// Z ~ N(0, sigma^2 I), is at most (n - n')/2 log(1 + lambda_{n'+1}/sigma^2) nats
/// (mi::compression_loss_bound, with the eigenvalues of the fitted sample: conservative when that
/// sample is already noisy).
inline json project_pca(xt::xarray<double>& m, int components, const xt::xarray<double>* fit, double sigma,
                        const xt::xarray<double>* other, const std::vector<std::int64_t>* codes) {
  if (fit != nullptr)
    require(fit->shape()[1] == m.shape()[1], "mi", "--pca-fit needs the columns of the data it projects (fit cols=",
            fit->shape()[1], ", data cols=", m.shape()[1], ")");
  auto matrix = [](const xt::xarray<double>& a) {
    row_matrix<double> r(static_cast<index_t>(a.shape()[0]), static_cast<index_t>(a.shape()[1]));
    std::copy(a.data(), a.data() + a.size(), r.data());
    return r;
  };
  const row_matrix<double> data = matrix(m);
  const row_matrix<double> fitted_on = fit != nullptr ? matrix(*fit) : data;
  const mi::pca_projector pca(fitted_on, components);
  // Components beyond the numerical rank are rounding noise: not passed on (as the library's
  // mi::compressed_mutual_information).
  const index_t rank = mi::numerical_rank(pca);
  const index_t used = std::max<index_t>(1, std::min<index_t>(components, rank));
  const row_matrix<double> scores = pca.transform(data).leftCols(used);
  json j;
  j["input_dims"] = pca.input_dims();
  j["components"] = pca.components();
  j["components_used"] = used;
  j["numerical_rank"] = rank;
  j["fitted_on"] = fit != nullptr ? "the --pca-fit sample" : "the data itself";
  j["retained_variance_ratio"] = pca.retained_variance_ratio();
  j["largest_discarded_variance"] = pca.largest_discarded_variance();
  if (!std::isnan(sigma)) {
    j["noise_sigma"] = sigma;
    j["compression_loss_bound"] = mi::compression_loss_bound(pca.explained_variances(), components, sigma);
  }
  // The projection's verdict (pca_rank, compression_loss), merged into the result's by the command.
  verdict checks;
  std::map<std::string, double> details;
  const row_matrix<double> paired = other != nullptr ? matrix(*other) : row_matrix<double>();
  mi::check_pca_compression(checks, details, pca, data, rank, std::isnan(sigma) ? 0.0 : sigma,
                            other != nullptr ? &paired : nullptr, codes);
  for (const auto& [key, value] : details) j[key] = value;
  j["reasons"] = to_json(checks.reasons);
  xt::xarray<double> out = xt::zeros<double>({static_cast<std::size_t>(scores.rows()),
                                              static_cast<std::size_t>(scores.cols())});
  std::copy(scores.data(), scores.data() + scores.size(), out.data());
  m = std::move(out);
  return j;
}

/// `--normal-scores`: every column of the N x D sample `m` replaced by its normal scores
/// (stats::to_normal_scores).
inline void to_normal_scores(xt::xarray<double>& m) {
  const auto rows = static_cast<index_t>(m.shape()[0]);
  const auto cols = static_cast<index_t>(m.shape()[1]);
  row_matrix<double> copy(rows, cols);
  std::copy(m.data(), m.data() + m.size(), copy.data());
  stats::to_normal_scores(copy);
  std::copy(copy.data(), copy.data() + copy.size(), m.data());
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
    file_labels labels = load_labels(args.files[1], "mi");
    in.y_labels = std::move(labels.codes[0]);
    in.y_class_values = std::move(labels.values);
    y_rows = in.y_labels.size();
  } else {
    in.y = load_samples(args.files[1]);
    y_rows = in.y.shape()[0];
  }
  require(in.x.shape()[0] == y_rows, "mi", "X and Y must have the same number of rows (X rows=",
          in.x.shape()[0], ", Y rows=", y_rows, ")");
  if (args.normal_scores) {
    // Before any projection: the monotone map acts on the coordinates the user gave.
    in.preprocessing["normal_scores"] = in.y_discrete ? "x" : "x and y";
    to_normal_scores(in.x);
    if (!in.y_discrete) to_normal_scores(in.y);
  }
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
  require(args.pca_fit.empty() || args.pca != 0, "mi", "--pca-fit needs --pca N' (pca-fit=", args.pca_fit, ")");
  if (args.pca != 0) {
    require(args.pca > 0, "mi", "--pca must be a positive number of components (pca=", args.pca, ")");
    // A noise level with --pca (--sigma or --variance) asks for the Corollary 6 bound.
    const double sigma = resolve_sigma(args.sigma, args.variance, "mi");
    if (!std::isnan(sigma))
      require(sigma > 0.0, "mi", "--pca with a noise level needs sigma > 0 for Corollary 6 (sigma=", sigma, ")");
    xt::xarray<double> fit;
    if (!args.pca_fit.empty()) fit = load_samples(args.pca_fit);
    // Each side's discarded directions are checked against the other side as given.
    const xt::xarray<double> x_given = in.x;
    in.preprocessing["pca_x"] = project_pca(in.x, args.pca, args.pca_fit.empty() ? nullptr : &fit, sigma,
                                            in.y_discrete ? nullptr : &in.y, in.y_discrete ? &in.y_labels : nullptr);
    if (!in.y_discrete && in.y.shape()[1] > static_cast<std::size_t>(args.pca))
      in.preprocessing["pca_y"] = project_pca(in.y, args.pca, nullptr, sigma, &x_given, nullptr);
  }
  return in;
}

}  // namespace infogeo::cli
