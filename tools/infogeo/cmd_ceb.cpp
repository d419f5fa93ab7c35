// `infogeo ceb MEANS.npy SCALES.npy LABELS.npy`: the CEB variational upper bound on the residual
// information I(X;Z|Y) (mi/ceb.hpp; Fischer 2020; seed paper 000, eq. 2) from a trained encoder's
// per-sample means mu_i and scales (standard deviations, variances or log-variances, --scale) of
// e(z|x_i) = N(mu_i, diag sigma_i^2) and the class labels y_i. The backward encoders b(z|y) are
// the moment-matched diagonal Gaussians (the tightest of the family) unless given.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/mi/ceb.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

struct ceb_args {
  std::vector<std::string> files;
  std::string scale = "sd";
  std::string backward_means;
  std::string backward_sds;
  bool bits = false;
};

row_matrix<double> to_matrix(const xt::xarray<double>& a) {
  row_matrix<double> m(static_cast<index_t>(a.shape()[0]), static_cast<index_t>(a.shape()[1]));
  std::copy(a.data(), a.data() + a.size(), m.data());
  return m;
}

json run_ceb(const ceb_args& a) {
  const char* fn = "ceb";
  require(a.scale == "sd" || a.scale == "variance" || a.scale == "log-variance", fn,
          "--scale must be sd, variance or log-variance (scale=", a.scale, ")");
  require(a.backward_means.empty() == a.backward_sds.empty(), fn,
          "--backward-means and --backward-sds go together (backward-means=", a.backward_means,
          ", backward-sds=", a.backward_sds, ")");
  const row_matrix<double> mu = to_matrix(load_samples(a.files[0]));
  row_matrix<double> sigma = to_matrix(load_samples(a.files[1]));
  // The scales as standard deviations (> 0 is checked by the library, naming the smallest).
  if (a.scale == "variance") {
    require((sigma.array() >= 0.0).all(), fn, "variances must be >= 0 (min variance=", sigma.minCoeff(), ")");
    sigma = sigma.array().sqrt().matrix();
  } else if (a.scale == "log-variance") {
    sigma = (0.5 * sigma.array()).exp().matrix();
  }
  const file_labels coded = load_labels(a.files[2], fn);
  const std::vector<std::int64_t>& y = coded.codes[0];
  estimate e;
  if (a.backward_means.empty()) {
    e = mi::ceb_residual_information(mu, sigma, y);
  } else {
    mi::ceb_backward_encoders b;
    b.mean = to_matrix(load_samples(a.backward_means));
    b.sd = to_matrix(load_samples(a.backward_sds));
    require(b.mean.rows() == static_cast<index_t>(coded.values.size()), fn,
            "--backward-means needs one row per class, in ascending label order (rows=", b.mean.rows(),
            ", classes=", coded.values.size(), ")");
    e = mi::ceb_residual_information(mu, sigma, y, b);
    e.settings["backward"] = "given";
  }
  e.settings["scale"] = a.scale;
  json j = to_json(e);
  j["quantity"] = "I(X;Z|Y) upper bound";
  j["class_values"] = coded.values;
  if (a.bits) express_in_bits(j, fn);
  return j;
}

const command_registrar ceb_command{command{
    "ceb", "CEB upper bound on I(X;Z|Y) (nats) from encoder MEANS.npy, SCALES.npy and LABELS.npy",
    [](CLI::App& app) {
      auto a = std::make_shared<ceb_args>();
      app.add_option("files", a->files,
                     "MEANS.npy (N x D encoder means mu_i) SCALES.npy (N x D, see --scale) LABELS.npy (N integers)")
          ->required()
          ->expected(3)
          ->check(CLI::ExistingFile);
      app.add_option("--scale", a->scale,
                     "what SCALES.npy holds: sd (default, sigma_i) | variance (sigma_i^2) | log-variance (log sigma_i^2)");
      app.add_option("--backward-means", a->backward_means,
                     "C x D means m_y of given backward encoders b(z|y), one row per class in ascending label order "
                     "(default: moment-matched from the data, the tightest diagonal-Gaussian bound)")
          ->check(CLI::ExistingFile);
      app.add_option("--backward-sds", a->backward_sds, "C x D standard deviations s_y of the given backward encoders")
          ->check(CLI::ExistingFile);
      app.add_flag("--bits", a->bits, "report \"value\" in bits (\"value_nats\" keeps nats)");
      app.footer(
          "The bound (seed paper 000, eq. 2): I(X;Z|Y) <= (1/N) sum_i KL(N(mu_i, sigma_i^2) || N(m_{y_i}, s_{y_i}^2)),\n"
          "closed form per sample; std_error = sd of the per-sample KLs / sqrt(N). Labels are any integers.");
      return [a]() { return run_ceb(*a); };
    }}};

}  // namespace
}  // namespace infogeo::cli
