// `infogeo cmi --method ksg X.npy Y.npy Z.npy`: conditional mutual information I(X;Y|Z) in nats.
// Continuous Z: the KSG-1 construction of Frenzel & Pompe 2007 (mi::ksg_conditional, eq. 2 of their
// PRL). Integer-typed Z (or --discrete-z): Z is class labels and I(X;Y|Z) = sum_z p(z) I(X;Y|Z=z)
// with KSG-1 within each class (mi::class_conditional_mi), e.g. I(X;Z|Y) of the class toy:
// `infogeo generate class-toy --out D` then `infogeo cmi --method ksg D/x.npy D/z.npy D/labels.npy`.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/memory.hpp"
#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/mi/class_conditional.hpp"
#include "infogeo/mi/ksg_conditional.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

struct cmi_args {
  std::vector<std::string> files;
  std::string method;
  int k = 0;
  double jitter = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t seed = 0;
  bool no_standardize = false;
  bool discrete_z = false;
  bool no_cross_check = false;
  bool bits = false;
};

json run_cmi(const cmi_args& a, bool seed_given) {
  const char* fn = "cmi";
  require(!seed_given || !std::isnan(a.jitter), fn, "--seed seeds the jitter; give --jitter too (seed=", a.seed, ")");
  require(a.method == "ksg", fn, "unknown --method (method=", a.method,
          "); known: ksg (Frenzel-Pompe KSG-1; class-stratified KSG-1 for integer Z)");
  mi::ksg_options o;
  if (a.k != 0) o.k = a.k;
  o.preprocess.standardize = !a.no_standardize;
  o.preprocess.jitter = std::isnan(a.jitter) ? 0.0 : a.jitter;
  o.preprocess.seed = a.seed;
  {
    // The k-NN distances and indices of the joint sample (16 N k bytes; core/memory.hpp).
    const double n = npy_rows_cols(a.files[0]).first;
    memory_check(array_bytes({n, static_cast<double>(o.k)}, 16.0), fn,
                 "--k " + std::to_string(o.k) + " (N=" + default_of(n) + ")");
  }
  const xt::xarray<double> x = load_samples(a.files[0]);
  const xt::xarray<double> y = load_samples(a.files[1]);
  require(x.shape()[0] == y.shape()[0], fn, "X and Y must have the same number of rows (X rows=", x.shape()[0],
          ", Y rows=", y.shape()[0], ")");
  const bool discrete = a.discrete_z || has_integer_dtype(a.files[2]);
  json j;
  if (discrete) {
    require(!a.no_cross_check, fn,
            "--no-cross-check applies to a continuous Z only (the class-stratified KSG has no cross-check; Z file=",
            a.files[2], ")");
    const file_labels z = load_labels(a.files[2], fn);
    require(z.codes[0].size() == x.shape()[0], fn, "X and Z must have the same number of rows (X rows=",
            x.shape()[0], ", Z rows=", z.codes[0].size(), ")");
    const mi::class_conditional_result r = mi::class_conditional_mi(
        x, y, z.codes[0], [&](const row_matrix<double>& xc, const row_matrix<double>& yc) { return mi::ksg(xc, yc, o); });
    j = to_json(r.total);
    json per_class = json::array();
    for (std::size_t c = 0; c < r.per_class.size(); ++c)
      per_class.push_back({{"class", z.values[c]},
                           {"n", r.per_class[c].n},
                           {"value", r.per_class[c].value},
                           {"status", to_string(r.per_class[c].status)}});
    j["per_class"] = per_class;
    j["z"] = "discrete";
  } else {
    const xt::xarray<double> z = load_samples(a.files[2]);
    require(z.shape()[0] == x.shape()[0], fn, "X and Z must have the same number of rows (X rows=", x.shape()[0],
            ", Z rows=", z.shape()[0], ")");
    cross_check_options cross_check;
    cross_check.enabled = !a.no_cross_check;
    j = to_json(mi::ksg_conditional(x, y, z, o, cross_check));
    j["z"] = "continuous";
  }
  if (j["parameters"].contains("seed") && j["parameters"]["seed"].get<double>() == static_cast<double>(a.seed))
    j["parameters"]["seed"] = a.seed;  // exact (the library's parameters are doubles)
  j["quantity"] = "I(X;Y|Z)";
  if (a.bits) express_in_bits(j, fn);
  return j;
}

const command_registrar cmi_command{command{
    "cmi", "conditional mutual information I(X;Y|Z) of X.npy, Y.npy given Z.npy (nats; Z may be class labels)",
    [](CLI::App& app) {
      auto a = std::make_shared<cmi_args>();
      app.add_option("files", a->files, "X.npy Y.npy Z.npy (N rows each; integer-typed Z = class labels)")
          ->required()
          ->expected(3)
          ->check(CLI::ExistingFile);
      app.add_option("--method", a->method, "ksg (the only one: Frenzel-Pompe KSG-1)")->required();
      app.add_option("--k", a->k, "neighbours in the joint space (default 3)")->check(checks::positive_count());
      app.add_option("--jitter", a->jitter, "relative jitter scale for tied points (default off)")
          ->check(checks::finite_number("nonnegative"));
      CLI::Option* seed = app.add_option("--seed", a->seed, "seed of the jitter (default 0; needs --jitter)");
      app.add_flag("--no-standardize", a->no_standardize, "do not z-score the columns (default: z-scored)");
      app.add_flag("--discrete-z", a->discrete_z, "treat Z as class labels even if float-typed");
      app.add_flag("--no-cross-check", a->no_cross_check,
                   "continuous Z: skip the cross-check against the Gaussian conditional MI (estimators_disagree)");
      app.add_flag("--bits", a->bits, "report \"value\" in bits (\"value_nats\" keeps nats)");
      app.footer(
          "Continuous Z: I = psi(k) - <psi(n_xz+1) + psi(n_yz+1) - psi(n_z+1)> (Frenzel & Pompe 2007, eq. 2), max norm.\n"
          "Discrete Z (labels, any integers): sum_z p(z) I(X;Y|Z=z), KSG-1 within each class (each class needs > k + 1 rows).");
      return [a, seed]() { return run_cmi(*a, seed->count() > 0); };
    }}};

}  // namespace
}  // namespace infogeo::cli
