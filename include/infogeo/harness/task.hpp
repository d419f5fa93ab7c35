// Benchmark tasks with known truth: a named generator (synthetic/) plus the exact value of the
// quantity it was built to have. make_task() is the one factory used by both `infogeo generate`
// and `infogeo bench`, so a file written by generate is exactly a bench task's data.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/synthetic/synthetic.hpp"

namespace infogeo::harness {

/// What a task's truth measures.
enum class quantity {
  entropy,         ///< h(X); data: x
  mi,              ///< I(X;Y); data: x, y
  conditional_mi,  ///< I(X;Y|labels); data: x, y, labels
};

inline const char* quantity_name(quantity q) {
  switch (q) {
    case quantity::entropy: return "entropy";
    case quantity::mi: return "mi";
    case quantity::conditional_mi: return "conditional_mi";
  }
  return "?";
}

/// One generated data set of a task.
struct task_data {
  row_matrix<double> x;
  row_matrix<double> y;                ///< empty for entropy tasks
  std::vector<std::int64_t> labels;    ///< only for conditional_mi tasks
  double truth = 0.0;                  ///< nats
  /// The noise-free representation f(x) of a noisy-layer task (dropout-toy: 2x + 0.5), for
  /// estimators that take the clean layer and the noise level (mi --method noisy); empty otherwise.
  row_matrix<double> clean;
};

/// A benchmark task: a seeded generator whose truth is known in closed form (or by quadrature).
struct task {
  std::string name;    ///< unique, e.g. "gaussian-mi 2x2 I=1 asinh"
  std::string family;  ///< generator name, e.g. "gaussian-mi"
  quantity kind = quantity::mi;
  double truth = 0.0;  ///< nats, independent of n and seed
  index_t dims = 0;    ///< dimension of the joint sample (x, y) seen by the estimators
  std::function<task_data(index_t n, std::uint64_t seed)> generate;
};

/// Parameters of make_task; a default (0 / NaN / "") means "the family's default".
struct task_params {
  index_t dx = 0;            ///< dims of X (entropy tasks: the dimension)
  index_t dy = 0;            ///< dims of Y
  double mi = std::numeric_limits<double>::quiet_NaN();  ///< prescribed MI (nats)
  std::string transform;     ///< MI-preserving map applied to X and Y (transforms.hpp names)
  double nu = std::numeric_limits<double>::quiet_NaN();  ///< Student-t degrees of freedom
  index_t classes = 0;       ///< class-toy classes
  double sigma_z = std::numeric_limits<double>::quiet_NaN();
  double sigma_n = std::numeric_limits<double>::quiet_NaN();
  double sigma = std::numeric_limits<double>::quiet_NaN();  ///< dropout-toy noise std
  index_t levels = 0;        ///< dropout-toy-levels input levels
  index_t size = 0;          ///< image side (16 or 32)
  std::string mapping;       ///< image tasks: infogeo (default) | authors (synthetic::image_mapping)
};

/// Description of a task family for `infogeo generate --list`.
struct family_info {
  std::string name;
  quantity kind;
  std::string truth;       ///< formula
  std::string source;      ///< paper / book
  std::string parameters;  ///< accepted parameters with defaults
};

inline const std::vector<family_info>& task_families() {
  static const std::vector<family_info> families{
      {"gaussian-mi", quantity::mi, "I = -1/2 sum log(1 - a^2), a = sqrt(1 - exp(-2 I / k)), k = min(dx, dy)",
       "Butakov et al., ICLR 2024 (lossy compression), Sec. 4, Statements 4-5", "dims=1,1 mi=1 transform=identity"},
      {"student-t-mi", quantity::mi, "I = I_gauss + c(nu, dx, dy) (dof term, synthetic/student_t.hpp)",
       "Czyz et al. 2023; Kotz & Nadarajah 2004", "dims=1,1 nu=3 mi=I_gauss 0.5 + c transform=identity"},
      {"gaussian-entropy", quantity::entropy, "h = 1/2 log det(2 pi e Sigma), Sigma_ij = 0.5^|i-j|",
       "Cover & Thomas Thm 8.4.1", "dims=2"},
      {"uniform-entropy", quantity::entropy, "h = sum_j log(b_j - a_j), sides 1 + j/2", "Cover & Thomas Ex 8.1.1",
       "dims=2"},
      {"exponential-entropy", quantity::entropy, "h = sum_j (1 - log lambda_j), lambda_j = 1 + j/2",
       "Cover & Thomas Table 17.1", "dims=1"},
      {"student-t-entropy", quantity::entropy,
       "h = d [(nu+1)/2 (psi((nu+1)/2) - psi(nu/2)) + log(sqrt(nu) B(nu/2, 1/2))]", "Kotz & Nadarajah 2004",
       "dims=1 nu=3"},
      {"mixture-entropy", quantity::entropy, "h ~ H(w) + sum_k w_k h_k (4 components 20 std apart; error < 1e-6)",
       "Huber et al. 2008", "dims=2"},
      {"class-toy", quantity::conditional_mi, "I(X;Z|Y) = d/2 log(1 + sigma_z^2 / sigma_n^2)",
       "Geometric and information compression..., App. D", "dims=2 classes=10 sigma-z=1 sigma-n=0.5"},
      {"dropout-toy", quantity::mi,
       "X ~ N(0, I_n), Z = (2X + 0.5) D, D ~ N(1, sigma^2): I = n [H(sign Z, log|Z|) + E log|D| - "
       "log(sigma sqrt(2 pi e))] by quadrature; also writes fx.npy = 2x + 0.5 (the clean layer)",
       "Adilova, Geiger & Fischer, ICLR 2023, Sec. 4 (toy), Figs. 2-4", "dims=1 sigma=0.5 (or variance)"},
      {"dropout-toy-levels", quantity::mi,
       "X uniform on `levels` points of [0, 1] per coordinate, Z = (2X + 0.5) D: I = d [h(Z_1) - h(Z_1|X_1)], "
       "h(Z_1) of the finite mixture by quadrature",
       "infogeo's finite-training-set variant of the Adilova et al. 2023 toy", "dims=1 levels=8 sigma=0.5"},
      {"image-gaussians", quantity::mi, "I = I(latents), injective rendering of 2-D Gaussian bumps",
       "Butakov et al., ICLR 2024 (lossy compression), Sec. 5, Fig. 3", "size=16 mi=1 mapping=infogeo|authors"},
      {"image-rectangles", quantity::mi, "I = I(latents), injective rendering of rectangles (4-D latent)",
       "Butakov et al., ICLR 2024 (lossy compression), Sec. 5, Fig. 4", "size=16 mi=1 mapping=infogeo|authors"},
  };
  return families;
}

namespace detail {
inline std::string fmt_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
inline index_t or_default(index_t v, index_t d) { return v > 0 ? v : d; }
inline double or_default(double v, double d) { return std::isnan(v) ? d : v; }
}  // namespace detail

/// Builds a task of `family` (see task_families()); throws invalid_argument for an unknown family
/// or out-of-range parameters (checked here, not at generation time).
template <class = void>
task make_task(const std::string& family, const task_params& p = {}) {
  using detail::fmt_number;
  using detail::or_default;
  namespace syn = infogeo::synthetic;
  task t;
  t.family = family;
  {
    // Parameters a family does not use are rejected, never silently ignored.
    const bool mi_family = family == "gaussian-mi" || family == "student-t-mi";
    const bool image = family == "image-gaussians" || family == "image-rectangles";
    auto reject = [&](bool given, bool allowed, const char* what) {
      require(!given || allowed, "harness::make_task", "task ", family, " does not take ", what);
    };
    reject(p.dx > 0, !image, "--dims");
    reject(p.dy > 0, mi_family, "a second dimension (use --dims D)");
    reject(!std::isnan(p.mi), mi_family || image, "--mi");
    reject(!p.transform.empty() && p.transform != "identity", mi_family, "--transform");
    reject(!std::isnan(p.nu), family == "student-t-mi" || family == "student-t-entropy", "--nu");
    reject(p.classes > 0 || !std::isnan(p.sigma_z) || !std::isnan(p.sigma_n), family == "class-toy",
           "--classes / --sigma-z / --sigma-n");
    reject(p.levels > 0, family == "dropout-toy-levels", "--levels");
    reject(!std::isnan(p.sigma), family == "dropout-toy" || family == "dropout-toy-levels", "--sigma / --variance");
    reject(p.size > 0, image, "--size");
    reject(!p.mapping.empty(), image, "--mapping");
  }
  const synthetic::transform_kind tr =
      synthetic::parse_transform(p.transform.empty() ? std::string("identity") : p.transform);
  const std::string tr_suffix = tr == synthetic::transform_kind::identity ? "" : " " + synthetic::transform_name(tr);
  auto check_dims = [&](index_t d, const char* what) {
    require(d >= 1 && d <= 4096, "harness::make_task", what, " must be in [1, 4096] (", what, "=", d, ")");
  };
  if (family == "gaussian-mi" || family == "student-t-mi") {
    const index_t dx = or_default(p.dx, 1), dy = or_default(p.dy, dx);
    check_dims(dx, "dx");
    check_dims(dy, "dy");
    t.kind = quantity::mi;
    t.dims = dx + dy;
    if (family == "gaussian-mi") {
      const double mi = or_default(p.mi, 1.0);
      synthetic::correlation_for_mi(mi, std::min(dx, dy));  // validates mi
      t.truth = mi;
      t.name = family + " " + std::to_string(dx) + "x" + std::to_string(dy) + " I=" + fmt_number(mi) + tr_suffix;
      t.generate = [=](index_t n, std::uint64_t seed) {
        auto s = syn::correlated_gaussian(n, dx, dy, mi, seed);
        syn::apply_transform(s.x, tr);
        syn::apply_transform(s.y, tr);
        return task_data{std::move(s.x), std::move(s.y), {}, s.mi, {}};
      };
    } else {
      const double nu = or_default(p.nu, 3.0);
      const double c = synthetic::student_t_mi_correction(nu, dx, dy);
      const double mi = or_default(p.mi, 0.5 + c);
      require(mi >= c, "harness::make_task", "student-t-mi needs mi >= c(nu, dx, dy) (mi=", mi, ", c=", c, ")");
      t.truth = mi;
      t.name = family + " " + std::to_string(dx) + "x" + std::to_string(dy) + " nu=" + fmt_number(nu) +
               " I=" + fmt_number(mi) + tr_suffix;
      t.generate = [=](index_t n, std::uint64_t seed) {
        auto s = syn::student_t_pairs(n, dx, dy, mi, nu, seed);
        syn::apply_transform(s.x, tr);
        syn::apply_transform(s.y, tr);
        return task_data{std::move(s.x), std::move(s.y), {}, s.mi, {}};
      };
    }
    return t;
  }
  if (family == "gaussian-entropy" || family == "uniform-entropy" || family == "exponential-entropy" ||
      family == "student-t-entropy" || family == "mixture-entropy") {
    const index_t d = or_default(p.dx, family == "exponential-entropy" || family == "student-t-entropy" ? 1 : 2);
    check_dims(d, "dims");
    t.kind = quantity::entropy;
    t.dims = d;
    t.name = family + " d=" + std::to_string(d);
    std::function<synthetic::entropy_sample(index_t, std::uint64_t)> gen;
    if (family == "gaussian-entropy") {
      Eigen::MatrixXd cov(d, d);
      for (index_t i = 0; i < d; ++i)
        for (index_t j = 0; j < d; ++j) cov(i, j) = std::pow(0.5, static_cast<double>(std::abs(i - j)));
      gen = [cov](index_t n, std::uint64_t seed) { return syn::sample_gaussian(n, cov, seed); };
    } else if (family == "uniform-entropy") {
      std::vector<double> lo(static_cast<std::size_t>(d), 0.0), hi(static_cast<std::size_t>(d));
      for (index_t j = 0; j < d; ++j) hi[static_cast<std::size_t>(j)] = 1.0 + 0.5 * static_cast<double>(j);
      gen = [lo, hi](index_t n, std::uint64_t seed) { return syn::sample_uniform_box(n, lo, hi, seed); };
    } else if (family == "exponential-entropy") {
      std::vector<double> rates(static_cast<std::size_t>(d));
      for (index_t j = 0; j < d; ++j) rates[static_cast<std::size_t>(j)] = 1.0 + 0.5 * static_cast<double>(j);
      gen = [rates](index_t n, std::uint64_t seed) { return syn::sample_exponential(n, rates, seed); };
    } else if (family == "student-t-entropy") {
      const double nu = or_default(p.nu, 3.0);
      synthetic::student_t_entropy(nu, 1);  // validates nu
      t.name += " nu=" + fmt_number(nu);
      gen = [d, nu](index_t n, std::uint64_t seed) { return syn::sample_student_t(n, d, nu, seed); };
    } else {
      synthetic::gaussian_mixture_spec spec;
      spec.weights = {0.4, 0.3, 0.2, 0.1};
      spec.stds = {1.0, 1.0, 0.5, 0.5};
      spec.means = Eigen::MatrixXd::Zero(4, d);
      for (index_t k = 0; k < 4; ++k) spec.means(k, 0) = 20.0 * static_cast<double>(k);
      gen = [spec](index_t n, std::uint64_t seed) { return syn::sample_gaussian_mixture(n, spec, seed); };
    }
    t.truth = gen(1, 0).entropy;
    t.generate = [gen](index_t n, std::uint64_t seed) {
      auto s = gen(n, seed);
      return task_data{std::move(s.x), row_matrix<double>(), {}, s.entropy, {}};
    };
    return t;
  }
  if (family == "class-toy") {
    synthetic::class_toy_options o;
    o.dims = or_default(p.dx, 2);
    check_dims(o.dims, "dims");
    o.classes = or_default(p.classes, 10);
    o.sigma_z = or_default(p.sigma_z, 1.0);
    o.sigma_n = or_default(p.sigma_n, 0.5);
    t.kind = quantity::conditional_mi;
    t.dims = 2 * o.dims;
    t.truth = synthetic::class_toy_conditional_mi(o.dims, o.sigma_z, o.sigma_n);
    require(o.classes >= 1, "harness::make_task", "classes must be >= 1 (classes=", o.classes, ")");
    t.name = family + " d=" + std::to_string(o.dims) + " C=" + std::to_string(o.classes) + " sz=" +
             fmt_number(o.sigma_z) + " sn=" + fmt_number(o.sigma_n);
    t.generate = [o](index_t n, std::uint64_t seed) {
      auto s = syn::class_toy(n, o, seed);
      return task_data{std::move(s.x), std::move(s.z), std::move(s.labels), s.conditional_mi, {}};
    };
    return t;
  }
  if (family == "dropout-toy") {
    synthetic::gaussian_dropout_toy_options o;
    o.dims = or_default(p.dx, 1);
    check_dims(o.dims, "dims");
    o.sigma = or_default(p.sigma, 0.5);
    t.kind = quantity::mi;
    t.dims = 2 * o.dims;
    t.truth = synthetic::gaussian_dropout_toy_mi(o);
    t.name = family + " n=" + std::to_string(o.dims) + " sigma=" + fmt_number(o.sigma);
    const double truth = t.truth;
    t.generate = [o, truth](index_t n, std::uint64_t seed) {
      syn::mi_sample s = syn::gaussian_dropout_toy_draw(n, o, seed);  // the truth is computed once, above
      task_data out;
      out.x = std::move(s.x);
      out.y = std::move(s.y);
      out.clean = syn::dropout_toy_clean(out.x, o.slope, o.intercept);
      out.truth = truth;
      return out;
    };
    return t;
  }
  if (family == "dropout-toy-levels") {
    synthetic::dropout_toy_options o;
    o.dims = or_default(p.dx, 1);
    check_dims(o.dims, "dims");
    o.levels = or_default(p.levels, 8);
    o.sigma = or_default(p.sigma, 0.5);
    t.kind = quantity::mi;
    t.dims = 2 * o.dims;
    t.truth = synthetic::dropout_toy_mi(o);
    t.name = family + " d=" + std::to_string(o.dims) + " levels=" + std::to_string(o.levels) + " sigma=" +
             fmt_number(o.sigma);
    t.generate = [o](index_t n, std::uint64_t seed) {
      auto s = syn::dropout_toy(n, o, seed);
      return task_data{std::move(s.x), std::move(s.y), {}, s.mi, {}};
    };
    return t;
  }
  if (family == "image-gaussians" || family == "image-rectangles") {
    const auto kind = family == "image-gaussians" ? synthetic::image_kind::gaussian_bump : synthetic::image_kind::rectangle;
    const index_t size = or_default(p.size, 16);
    require(size >= 4 && size <= 64, "harness::make_task", "size must be in [4, 64] (size=", size, ")");
    const double mi = or_default(p.mi, 1.0);
    synthetic::correlation_for_mi(mi, synthetic::image_latent_dims(kind));
    require(p.mapping.empty() || p.mapping == "infogeo" || p.mapping == "authors", "harness::make_task",
            "mapping must be infogeo or authors (mapping=", p.mapping, ")");
    const auto mapping = p.mapping == "authors" ? synthetic::image_mapping::authors : synthetic::image_mapping::infogeo;
    t.kind = quantity::mi;
    t.dims = 2 * size * size;
    t.truth = mi;
    t.name = family + " " + std::to_string(size) + "x" + std::to_string(size) + " I=" + fmt_number(mi) +
             (mapping == synthetic::image_mapping::authors ? " authors" : "");
    t.generate = [=](index_t n, std::uint64_t seed) {
      auto s = syn::image_pairs(n, kind, size, mi, seed, mapping);
      return task_data{std::move(s.x), std::move(s.y), {}, s.mi, {}};
    };
    return t;
  }
  std::string known;
  for (const auto& f : task_families()) known += (known.empty() ? "" : ", ") + f.name;
  throw_invalid_argument("harness::make_task", "unknown task (task=", family, "); known: ", known);
}

/// A named suite: its tasks and default n / reps.
struct suite {
  std::string name;
  index_t n = 1000;
  int reps = 3;
  std::vector<task> tasks;
};

/// Tasks for the regimes of real representations (issue 13), with closed-form truth:
///  * "embedded-mi": 1-D latents u, v with correlation rho (I = -1/2 log(1 - rho^2) = 0.916),
///    X = a u, Y = b v in `width` dims each (fixed random directions a, b; optionally through tanh,
///    which is injective on the line, so I is unchanged);
///  * "mixed-mi": X = (c, u), c uniform on 4 levels, u ~ N(0, 1); Y = 0.8 u + 0.6 e: I = -1/2 log 0.36;
///  * "scaled-mi": the 2x2 gaussian-mi pair (I = 1) with Y multiplied by 1e-4;
///  * "dense-mi": (X, Y) jointly Gaussian, d + d dims, every correlation rho:
///    I = 1/2 [2 log det S_d - log det S_2d], det S_m = (1 - rho)^(m-1) (1 + (m-1) rho).
inline task regime_task(const std::string& kind, index_t d, bool nonlinear = false) {
  task t;
  t.family = kind;
  t.kind = quantity::mi;
  if (kind == "embedded-mi") {
    const double rho = std::sqrt(1.0 - std::exp(-2.0 * 0.916));
    t.name = "embedded-mi 1+1 in " + std::to_string(d) + "+" + std::to_string(d) + (nonlinear ? " tanh" : " linear");
    t.truth = -0.5 * std::log(1.0 - rho * rho);
    t.dims = 2 * d;
    t.generate = [d, rho, nonlinear](index_t n, std::uint64_t seed) {
      random_engine rng(seed);
      Eigen::VectorXd a(d), b(d);
      random_engine dir(12345);  // the layer is fixed across reps
      for (index_t j = 0; j < d; ++j) a(j) = 0.5 * dir.normal();
      for (index_t j = 0; j < d; ++j) b(j) = 0.5 * dir.normal();
      task_data out;
      out.x.resize(n, d);
      out.y.resize(n, d);
      for (index_t i = 0; i < n; ++i) {
        const double u = rng.normal();
        const double v = rho * u + std::sqrt(1.0 - rho * rho) * rng.normal();
        for (index_t j = 0; j < d; ++j) {
          out.x(i, j) = nonlinear ? std::tanh(a(j) * u) : a(j) * u;
          out.y(i, j) = nonlinear ? std::tanh(b(j) * v) : b(j) * v;
        }
      }
      out.truth = -0.5 * std::log(1.0 - rho * rho);
      return out;
    };
    return t;
  }
  if (kind == "mixed-mi") {
    t.name = "mixed-mi (4 levels, continuous) x 1";
    t.truth = -0.5 * std::log(0.36);
    t.dims = 3;
    t.generate = [](index_t n, std::uint64_t seed) {
      random_engine rng(seed);
      task_data out;
      out.x.resize(n, 2);
      out.y.resize(n, 1);
      for (index_t i = 0; i < n; ++i) {
        out.x(i, 0) = static_cast<double>(rng.uniform_index(4));
        out.x(i, 1) = rng.normal();
        out.y(i, 0) = 0.8 * out.x(i, 1) + 0.6 * rng.normal();
      }
      out.truth = -0.5 * std::log(0.36);
      return out;
    };
    return t;
  }
  if (kind == "scaled-mi") {
    task_params p;
    p.dx = 2;
    p.dy = 2;
    p.mi = 1.0;
    task base = make_task("gaussian-mi", p);
    t.name = "scaled-mi 2x2 I=1 (Y x 1e-4)";
    t.truth = base.truth;
    t.dims = base.dims;
    t.generate = [base](index_t n, std::uint64_t seed) {
      task_data out = base.generate(n, seed);
      out.y *= 1e-4;
      return out;
    };
    return t;
  }
  require(kind == "dense-mi", "harness::regime_task", "unknown regime task (task=", kind, ")");
  const double rho = 0.5;
  auto log_det = [rho](index_t m) {
    return static_cast<double>(m - 1) * std::log(1.0 - rho) + std::log(1.0 + static_cast<double>(m - 1) * rho);
  };
  t.name = "dense-mi " + std::to_string(d) + "x" + std::to_string(d) + " rho=0.5";
  t.truth = 0.5 * (2.0 * log_det(d) - log_det(2 * d));
  t.dims = 2 * d;
  const double truth = t.truth;
  t.generate = [d, rho, truth](index_t n, std::uint64_t seed) {
    random_engine rng(seed);
    task_data out;
    out.x.resize(n, d);
    out.y.resize(n, d);
    for (index_t i = 0; i < n; ++i) {
      const double c = std::sqrt(rho) * rng.normal();
      for (index_t j = 0; j < d; ++j) out.x(i, j) = c + std::sqrt(1.0 - rho) * rng.normal();
      for (index_t j = 0; j < d; ++j) out.y(i, j) = c + std::sqrt(1.0 - rho) * rng.normal();
    }
    out.truth = truth;
    return out;
  };
  return t;
}

/// The built-in suites. quick: the main-job run (12 tasks, n = 1000, 5 reps: ~30 s on 2 cores
/// with every estimator registered today); standard: docs/results.md (24 tasks, n = 2000, 5 reps;
/// adds dropout-toy-levels); full: adds 20+20-D Gaussians, more transforms and 16x16 image embeddings
/// (n = 5000, 10 reps). Seed-paper sweeps: dropout-sweep (Adilova et al. 2023 toy, n in {1, 2, 5, 10} x
/// sigma in {0.1, 0.25, 0.5, 1}; n = 2000, 3 reps) and image-sweep (both image tasks x both mappings,
/// I = 0..10 nats, 16 x 16; n = 5000, 3 reps, as Butakov et al. 2024 Figs. 3-4).
inline suite make_suite(const std::string& name) {
  auto tp = [](index_t dx, index_t dy, double mi, const std::string& tr = "", double nu = std::numeric_limits<double>::quiet_NaN()) {
    task_params p;
    p.dx = dx;
    p.dy = dy;
    p.mi = mi;
    p.transform = tr;
    p.nu = nu;
    return p;
  };
  auto dims = [](index_t d) {
    task_params p;
    p.dx = d;
    return p;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  require(name == "quick" || name == "standard" || name == "full" || name == "dropout-sweep" ||
              name == "image-sweep",
          "harness::make_suite", "suite must be quick, standard, full, dropout-sweep or image-sweep (suite=", name,
          ")");
  suite s;
  s.name = name;
  if (name == "dropout-sweep") {
    // Adilova et al. (2023) Sec. 4, Figs. 2-4: the toy over the dimension n and the dropout std.
    s.n = 2000;
    s.reps = 3;
    for (index_t d : {1, 2, 5, 10})
      for (double sigma : {0.1, 0.25, 0.5, 1.0}) {
        task_params p;
        p.dx = d;
        p.sigma = sigma;
        s.tasks.push_back(make_task("dropout-toy", p));
      }
    return s;
  }
  if (name == "image-sweep") {
    // Butakov et al. (ICLR 2024) Sec. 5, Figs. 3-4: 16 x 16 images, I = 0..10 nats, 5000 samples;
    // both mappings, so that infogeo's renderers and the authors' can be overlaid.
    s.n = 5000;
    s.reps = 3;
    for (const char* family : {"image-gaussians", "image-rectangles"})
      for (const char* mapping : {"infogeo", "authors"})
        for (int mi = 0; mi <= 10; ++mi) {
          task_params p;
          p.mi = static_cast<double>(mi);
          p.size = 16;
          p.mapping = mapping;
          s.tasks.push_back(make_task(family, p));
        }
    return s;
  }
  s.n = name == "quick" ? 1000 : name == "standard" ? 2000 : 5000;
  s.reps = name == "quick" ? 5 : name == "standard" ? 5 : 10;
  auto& t = s.tasks;
  t.push_back(make_task("gaussian-mi", tp(1, 1, 0.5)));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0)));
  t.push_back(make_task("gaussian-mi", tp(5, 5, 2.0)));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "asinh")));
  t.push_back(make_task("student-t-mi", tp(1, 1, nan, "", 3.0)));
  t.push_back(make_task("dropout-toy"));
  t.push_back(make_task("class-toy"));
  t.push_back(make_task("gaussian-entropy", dims(2)));
  t.push_back(make_task("gaussian-entropy", dims(5)));
  t.push_back(make_task("uniform-entropy", dims(2)));
  t.push_back(make_task("exponential-entropy", dims(1)));
  t.push_back(make_task("student-t-entropy", dims(1)));
  t.push_back(regime_task("mixed-mi", 0));
  t.push_back(regime_task("scaled-mi", 0));
  if (name == "quick") return s;
  t.push_back(regime_task("embedded-mi", 16, false));
  t.push_back(regime_task("embedded-mi", 16, true));
  t.push_back(regime_task("dense-mi", 5));
  t.push_back(make_task("gaussian-mi", tp(10, 10, 2.0)));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "half-cube")));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "wiggly")));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "normal-cdf")));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "spiral")));
  t.push_back(make_task("student-t-mi", tp(2, 2, nan, "", 5.0)));
  t.push_back(make_task("student-t-mi", tp(5, 5, nan, "", 3.0)));
  t.push_back(make_task("dropout-toy-levels"));
  {
    task_params p;
    p.dx = 5;
    t.push_back(make_task("class-toy", p));
  }
  t.push_back(make_task("gaussian-entropy", dims(10)));
  t.push_back(make_task("uniform-entropy", dims(5)));
  t.push_back(make_task("exponential-entropy", dims(3)));
  t.push_back(make_task("mixture-entropy", dims(2)));
  if (name == "standard") return s;
  t.push_back(make_task("gaussian-mi", tp(20, 20, 4.0)));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "cube")));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "exp")));
  t.push_back(make_task("gaussian-mi", tp(2, 2, 1.0, "sigmoid")));
  t.push_back(make_task("student-t-mi", tp(2, 2, nan, "asinh", 3.0)));
  t.push_back(make_task("gaussian-entropy", dims(20)));
  t.push_back(regime_task("dense-mi", 15));
  t.push_back(regime_task("embedded-mi", 32, false));
  t.push_back(make_task("image-gaussians"));
  t.push_back(make_task("image-rectangles"));
  return s;
}

}  // namespace infogeo::harness
