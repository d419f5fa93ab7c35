// Tests of geometry/: class_scatter.hpp, collapse.hpp, separation.hpp.
// References are slow dense implementations written here (D x D scatters, the trace through a thin SVD
// of M); seeds are fixed and printed in the test names / comments.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "infogeo/core/random.hpp"
#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/geometry/separation.hpp"

using namespace infogeo;
using namespace infogeo::geometry;

namespace {

struct dataset {
  row_matrix<double> x;
  std::vector<std::int64_t> y;
  std::int64_t c = 0;
};

// Imbalanced Gaussian classes: class c gets 2 + a random count in [0, max_extra); means ~ spread * N(0, I),
// within-class noise sd `sigma`, an optional common offset.
dataset make_data(std::uint64_t seed, std::int64_t c, index_t d, std::int64_t max_extra, double spread,
                  double sigma, double offset = 0.0) {
  random_engine rng(seed);
  row_matrix<double> mu(c, d);
  for (index_t i = 0; i < mu.size(); ++i) mu.data()[i] = offset + spread * rng.normal();
  std::vector<std::int64_t> labels;
  for (std::int64_t k = 0; k < c; ++k) {
    const auto n = 2 + static_cast<std::int64_t>(rng.uniform_index(static_cast<std::uint64_t>(max_extra)));
    for (std::int64_t i = 0; i < n; ++i) labels.push_back(k);
  }
  rng.shuffle(labels);
  dataset ds;
  ds.c = c;
  ds.y = labels;
  ds.x.resize(static_cast<index_t>(labels.size()), d);
  for (index_t i = 0; i < ds.x.rows(); ++i)
    for (index_t j = 0; j < d; ++j) ds.x(i, j) = mu(ds.y[static_cast<std::size_t>(i)], j) + sigma * rng.normal();
  return ds;
}

// Slow dense reference: means, Sigma_W, Sigma_B (count / class), Sigma_T, from the definitions.
struct reference {
  row_matrix<double> means;
  Eigen::VectorXd mu;
  Eigen::MatrixXd sw, sb_count, sb_class, st;
  Eigen::VectorXd var;  // tr(Sigma_c)
  Eigen::VectorXd fractions;
};

reference dense_reference(const row_matrix<double>& x, const std::vector<std::int64_t>& y, std::int64_t c,
                          const std::vector<double>& w = {}) {
  const index_t d = x.cols();
  reference r;
  r.means = row_matrix<double>::Zero(c, d);
  Eigen::VectorXd wc = Eigen::VectorXd::Zero(c);
  double wt = 0.0;
  for (index_t i = 0; i < x.rows(); ++i) {
    const double wi = w.empty() ? 1.0 : w[static_cast<std::size_t>(i)];
    r.means.row(y[static_cast<std::size_t>(i)]) += wi * x.row(i);
    wc(y[static_cast<std::size_t>(i)]) += wi;
    wt += wi;
  }
  for (index_t k = 0; k < c; ++k) r.means.row(k) /= wc(k);
  r.fractions = wc / wt;
  r.mu = (r.means.transpose() * r.fractions);
  r.sw = Eigen::MatrixXd::Zero(d, d);
  r.st = Eigen::MatrixXd::Zero(d, d);
  r.var = Eigen::VectorXd::Zero(c);
  for (index_t i = 0; i < x.rows(); ++i) {
    const double wi = w.empty() ? 1.0 : w[static_cast<std::size_t>(i)];
    const auto k = y[static_cast<std::size_t>(i)];
    const Eigen::VectorXd e = x.row(i).transpose() - r.means.row(k).transpose();
    const Eigen::VectorXd t = x.row(i).transpose() - r.mu;
    r.sw += wi * e * e.transpose();
    r.st += wi * t * t.transpose();
    r.var(k) += wi * e.squaredNorm();
  }
  r.sw /= wt;
  r.st /= wt;
  for (index_t k = 0; k < c; ++k) r.var(k) /= wc(k);
  r.sb_count = Eigen::MatrixXd::Zero(d, d);
  r.sb_class = Eigen::MatrixXd::Zero(d, d);
  const Eigen::VectorXd mbar = r.means.colwise().mean().transpose();
  for (index_t k = 0; k < c; ++k) {
    const Eigen::VectorXd a = r.means.row(k).transpose() - r.mu;
    const Eigen::VectorXd b = r.means.row(k).transpose() - mbar;
    r.sb_count += r.fractions(k) * a * a.transpose();
    r.sb_class += b * b.transpose() / static_cast<double>(c);
  }
  return r;
}

// tr(Sigma_W Sigma_B^+) through a thin SVD of M (D x C): Sigma_B^+ = U S^-2 U^T over kept s_k
// (s_k^2 > rtol s_max^2). A different route from the library's eigendecomposition of M^T M.
double reference_trace(const Eigen::MatrixXd& sw, const Eigen::MatrixXd& m, double rtol = 1e-10) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinU);
  const Eigen::VectorXd s = svd.singularValues();
  double t = 0.0;
  for (index_t k = 0; k < s.size(); ++k)
    if (s(k) * s(k) > rtol * s(0) * s(0))
      t += svd.matrixU().col(k).dot(sw * svd.matrixU().col(k)) / (s(k) * s(k));
  return t;
}

Eigen::MatrixXd count_m(const reference& r) {
  Eigen::MatrixXd m(r.means.cols(), r.means.rows());
  for (index_t k = 0; k < r.means.rows(); ++k)
    m.col(k) = std::sqrt(r.fractions(k)) * (r.means.row(k).transpose() - r.mu);
  return m;
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }
double rel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a - b).norm() / b.norm(); }

class_scatter run(const row_matrix<double>& x, const std::vector<std::int64_t>& y, std::int64_t c,
                  scatter_mode mode) {
  class_scatter_options o;
  o.mode = mode;
  class_scatter_accumulator acc(c, x.cols(), o);
  acc.update(x, y);
  if (acc.needs_second_pass()) {
    acc.begin_second_pass();
    acc.update(x, y);
  }
  return acc.finalize();
}

}  // namespace

// Double data scaled to the input type; tolerances: double input 1e-10 (a few hundred roundings of
// O(1) terms), float input compared with the reference built from the same float-rounded values.
TEST_CASE_TEMPLATE("class scatter (full and projected) matches the dense reference, imbalanced, seed 11",
                   T, float, double) {
  const dataset ds = make_data(11, 7, 12, 40, 2.0, 0.7, 3.0);
  const row_matrix<T> xt = ds.x.cast<T>();
  const row_matrix<double> xd = xt.template cast<double>();  // the values actually fed
  const reference ref = dense_reference(xd, ds.y, ds.c);
  for (auto mode : {scatter_mode::full, scatter_mode::projected}) {
    CAPTURE(static_cast<int>(mode));
    class_scatter_options o;
    o.mode = mode;
    class_scatter_accumulator acc(ds.c, 12, o);
    acc.update(xt, ds.y);
    if (acc.needs_second_pass()) {
      acc.begin_second_pass();
      acc.update(xt, ds.y);
    }
    const class_scatter s = acc.finalize();
    CHECK(s.n == static_cast<std::int64_t>(ds.y.size()));
    CHECK(rel(Eigen::MatrixXd(s.means), Eigen::MatrixXd(ref.means)) < 1e-12);
    CHECK(rel(s.trace_within, ref.sw.trace()) < 1e-11);
    CHECK(rel(Eigen::VectorXd(*s.class_traces), ref.var) < 1e-11);
    if (mode == scatter_mode::full) {
      CHECK(rel(s.within, ref.sw) < 1e-11);
      // Sigma_T = Sigma_W + Sigma_B (count-weighted) — the decomposition the count weighting keeps.
      CHECK(rel(s.within + between_scatter(s, between_weighting::count), ref.st) < 1e-11);
      CHECK(rel(ref.sw + ref.sb_count, ref.st) < 1e-11);
    }
    CHECK(rel(between_scatter(s, between_weighting::count), ref.sb_count) < 1e-11);
    CHECK(rel(between_scatter(s, between_weighting::class_balanced), ref.sb_class) < 1e-11);
    // Trace through the library's C x C eigendecomposition vs the reference's thin SVD of M.
    const trace_result tc = within_between_trace(s);
    CHECK(tc.rank == 6);
    CHECK(rel(tc.trace, reference_trace(ref.sw, count_m(ref))) < 1e-9);
    CHECK(rel(tc.nc1, tc.trace / 7.0) < 1e-15);
    collapse_options ob;
    ob.weighting = between_weighting::class_balanced;
    Eigen::MatrixXd mb(12, 7);
    const Eigen::VectorXd mbar = ref.means.colwise().mean().transpose();
    for (index_t k = 0; k < 7; ++k) mb.col(k) = (ref.means.row(k).transpose() - mbar) / std::sqrt(7.0);
    CHECK(rel(within_between_trace(s, ob).trace, reference_trace(ref.sw, mb)) < 1e-9);
    ob.rule = rank_rule::keep_c_minus_1;
    CHECK(rel(within_between_trace(s, ob).trace, reference_trace(ref.sw, mb)) < 1e-9);
    // CDNV by brute force over pairs.
    double cd = 0.0;
    for (index_t i = 0; i < 7; ++i)
      for (index_t j = i + 1; j < 7; ++j)
        cd += (ref.var(i) + ref.var(j)) / (ref.means.row(i) - ref.means.row(j)).squaredNorm();
    cd /= 7.0 * 6.0;
    const collapse_metrics m = neural_collapse(s);
    REQUIRE(m.cdnv.has_value());
    CHECK(rel(*m.cdnv, cd) < 1e-11);
    CHECK(m.cdnv_pairs(2, 5) == doctest::Approx(m.cdnv_pairs(5, 2)));
    CHECK(rel(m.trace_ratio, ref.sw.trace() / ref.sb_count.trace()) < 1e-11);
    // Norm CV by brute force.
    const Eigen::VectorXd norms = xd.rowwise().norm();
    const double nm = norms.mean();
    const double nsd = std::sqrt((norms.array() - nm).square().mean());
    REQUIRE(m.norm_cv.has_value());
    CHECK(rel(*m.norm_cv, nsd / nm) < 1e-9);
  }
}

TEST_CASE("streaming == one shot, shards merged == whole, weights == duplicates (seed 23)") {
  const dataset ds = make_data(23, 5, 9, 60, 1.5, 1.0, -2.0);
  const index_t n = ds.x.rows();
  for (auto mode : {scatter_mode::full, scatter_mode::projected}) {
    CAPTURE(static_cast<int>(mode));
    const class_scatter whole = run(ds.x, ds.y, ds.c, mode);
    // Random split points.
    random_engine rng(99);
    std::vector<index_t> cuts{0};
    while (cuts.back() < n) cuts.push_back(std::min(n, cuts.back() + 1 + static_cast<index_t>(rng.uniform_index(40))));
    class_scatter_options o;
    o.mode = mode;
    class_scatter_accumulator acc(ds.c, 9, o);
    auto feed = [&](class_scatter_accumulator& a, std::size_t from, std::size_t to) {
      for (std::size_t b = from; b + 1 < to; ++b) {
        const index_t s0 = cuts[b], len = cuts[b + 1] - cuts[b];
        std::vector<std::int64_t> yb(ds.y.begin() + s0, ds.y.begin() + s0 + len);
        a.update(ds.x.middleRows(s0, len), yb);
      }
    };
    feed(acc, 0, cuts.size());
    if (acc.needs_second_pass()) {
      acc.begin_second_pass();
      feed(acc, 0, cuts.size());
    }
    const class_scatter streamed = acc.finalize();
    CHECK(rel(streamed.projected_within, whole.projected_within) < 1e-12);
    CHECK(rel(within_between_trace(streamed).trace, within_between_trace(whole).trace) < 1e-12);
    CHECK(rel(*streamed.norm_std, *whole.norm_std) < 1e-10);
    // Two shards, merged.
    const std::size_t half = cuts.size() / 2;
    class_scatter_accumulator a1(ds.c, 9, o), a2(ds.c, 9, o);
    feed(a1, 0, half + 1);
    feed(a2, half, cuts.size());
    a1.merge(a2);
    if (a1.needs_second_pass()) {
      a1.begin_second_pass();
      class_scatter_accumulator b2 = a1;  // same pass-1 state on both shards
      feed(a1, 0, half + 1);
      feed(b2, half, cuts.size());
      a1.merge(b2);
    }
    const class_scatter merged = a1.finalize();
    CHECK(rel(merged.projected_within, whole.projected_within) < 1e-12);
    CHECK(rel(merged.trace_within, whole.trace_within) < 1e-12);
    if (mode == scatter_mode::full) CHECK(rel(merged.within, whole.within) < 1e-12);
  }
  // Integer weights == duplicated rows; the weighted dense reference agrees too.
  std::vector<double> w(static_cast<std::size_t>(n));
  random_engine rng(5);
  for (auto& v : w) v = static_cast<double>(rng.uniform_index(3));  // 0, 1 or 2
  w[0] = 1.0;
  row_matrix<double> dup(0, 9);
  std::vector<std::int64_t> ydup;
  for (index_t i = 0; i < n; ++i)
    for (int r = 0; r < static_cast<int>(w[static_cast<std::size_t>(i)]); ++r) {
      dup.conservativeResize(dup.rows() + 1, 9);
      dup.row(dup.rows() - 1) = ds.x.row(i);
      ydup.push_back(ds.y[static_cast<std::size_t>(i)]);
    }
  for (auto mode : {scatter_mode::full, scatter_mode::projected}) {
    class_scatter_options o;
    o.mode = mode;
    class_scatter_accumulator acc(ds.c, 9, o);
    acc.update(ds.x, ds.y, w);
    if (acc.needs_second_pass()) {
      acc.begin_second_pass();
      acc.update(ds.x, ds.y, w);
    }
    const class_scatter sw = acc.finalize();
    const class_scatter sd = run(dup, ydup, ds.c, mode);
    CHECK(rel(sw.projected_within, sd.projected_within) < 1e-11);
    CHECK(rel(within_between_trace(sw).trace, within_between_trace(sd).trace) < 1e-10);
    CHECK(rel(*sw.norm_std, *sd.norm_std) < 1e-10);
  }
}

TEST_CASE("projected == full to 1e-9 relative on all metrics (seed 31)") {
  const dataset ds = make_data(31, 10, 40, 30, 1.0, 1.3);
  const class_scatter f = run(ds.x, ds.y, ds.c, scatter_mode::full);
  const class_scatter p = run(ds.x, ds.y, ds.c, scatter_mode::projected);
  for (auto w : {between_weighting::count, between_weighting::class_balanced}) {
    collapse_options o;
    o.weighting = w;
    const collapse_metrics a = neural_collapse(f, o), b = neural_collapse(p, o);
    CHECK(rel(a.tr_sw_sbpinv, b.tr_sw_sbpinv) < 1e-9);
    CHECK(rel(a.tr_sw, b.tr_sw) < 1e-9);
    CHECK(rel(*a.cdnv, *b.cdnv) < 1e-9);
    CHECK(rel(a.nc2_equinorm, b.nc2_equinorm) < 1e-9);
    CHECK(a.rank == b.rank);
  }
  // The one-shot helper equals the accumulator.
  const collapse_metrics one = neural_collapse(ds.x, ds.y);
  CHECK(rel(one.tr_sw_sbpinv, neural_collapse(p).tr_sw_sbpinv) < 1e-12);
  REQUIRE(one.ncc_accuracy.has_value());
  CHECK(*one.ncc_accuracy > 0.5);
}

TEST_CASE("from_* moment constructors reproduce the streamed scatter (seed 41)") {
  const dataset ds = make_data(41, 4, 6, 30, 2.0, 1.0, 1.0);
  const reference ref = dense_reference(ds.x, ds.y, ds.c);
  const class_scatter full = run(ds.x, ds.y, ds.c, scatter_mode::full);
  class_moments m;
  m.weights.assign(4, 0.0);
  m.sums = row_matrix<double>::Zero(4, 6);
  std::vector<Eigen::MatrixXd> sc(4, Eigen::MatrixXd::Zero(6, 6));
  Eigen::MatrixXd raw = Eigen::MatrixXd::Zero(6, 6);
  std::vector<double> sq(4, 0.0), rawsq(4, 0.0);
  for (index_t i = 0; i < ds.x.rows(); ++i) {
    const auto k = static_cast<std::size_t>(ds.y[static_cast<std::size_t>(i)]);
    m.weights[k] += 1.0;
    m.sums.row(static_cast<index_t>(k)) += ds.x.row(i);
    const Eigen::VectorXd e = ds.x.row(i).transpose() - ref.means.row(static_cast<index_t>(k)).transpose();
    sc[k] += e * e.transpose();
    sq[k] += e.squaredNorm();
    raw += ds.x.row(i).transpose() * ds.x.row(i);
    rawsq[k] += ds.x.row(i).squaredNorm();
  }
  const double t = within_between_trace(full).trace;
  CHECK(rel(within_between_trace(class_scatter_accumulator::from_class_scatters(m, sc).finalize()).trace, t) < 1e-10);
  Eigen::MatrixXd pooled = sc[0] + sc[1] + sc[2] + sc[3];
  m.centred_sq_norms = sq;
  const class_scatter fw = class_scatter_accumulator::from_within_scatter(m, pooled).finalize();
  CHECK(rel(within_between_trace(fw).trace, t) < 1e-10);
  CHECK(rel(Eigen::VectorXd(*fw.class_traces), ref.var) < 1e-10);
  m.centred_sq_norms.clear();
  CHECK_FALSE(class_scatter_accumulator::from_within_scatter(m, pooled).finalize().class_traces.has_value());
  // Raw moments (Gram option): small offset, so few digits are lost here.
  const class_scatter gr = class_scatter_accumulator::from_raw_moments(m, raw, rawsq).finalize();
  CHECK(rel(within_between_trace(gr).trace, t) < 1e-8);
  // Projected: pass 1 from sums, pass 2 from the residual projections against projection_basis().
  auto acc = class_scatter_accumulator::from_class_sums(m);
  acc.begin_second_pass();
  const row_matrix<double>& b = acc.projection_basis();
  Eigen::MatrixXd proj = Eigen::MatrixXd::Zero(4, 4);
  std::vector<double> res(4, 0.0);
  for (index_t i = 0; i < ds.x.rows(); ++i) {
    const auto k = ds.y[static_cast<std::size_t>(i)];
    const Eigen::VectorXd r = ds.x.row(i).transpose() - ref.means.row(k).transpose();
    const Eigen::VectorXd p = b * r;
    proj += p * p.transpose();
    res[static_cast<std::size_t>(k)] += r.squaredNorm();
  }
  acc.add_projected_moments(m.weights, {}, proj, res);
  const class_scatter ps = acc.finalize();
  CHECK(rel(within_between_trace(ps).trace, t) < 1e-10);
  CHECK(rel(ps.trace_within, full.trace_within) < 1e-10);
  // Bad moments.
  class_moments bad = m;
  bad.weights[1] = 2.5;  // not a whole count and no counts given
  CHECK_THROWS_AS(class_scatter_accumulator::from_class_sums(bad), infogeo::invalid_argument);
  bad = m;
  bad.sums(0, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(class_scatter_accumulator::from_class_sums(bad), infogeo::invalid_argument);
  CHECK_THROWS_AS(class_scatter_accumulator::from_within_scatter(m, Eigen::MatrixXd::Zero(5, 5)),
                  infogeo::invalid_argument);
  // External per-class variances must be finite and >= 0 (else a silent NaN / negative CDNV).
  bad = m;
  bad.centred_sq_norms = sq;
  bad.centred_sq_norms[2] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(class_scatter_accumulator::from_within_scatter(bad, pooled), infogeo::invalid_argument);
  bad.centred_sq_norms[2] = -1.0;
  CHECK_THROWS_AS(class_scatter_accumulator::from_within_scatter(bad, pooled), infogeo::invalid_argument);
  std::vector<double> bad_sq = rawsq;
  bad_sq[0] = -rawsq[0];
  CHECK_THROWS_AS(class_scatter_accumulator::from_raw_moments(m, raw, bad_sq), infogeo::invalid_argument);
  // Gram formula with cancellation: class_sq slightly below n_c ||mu_c||^2 would give a negative
  // variance; it is clamped to 0 and reported.
  std::vector<double> tight(4);
  for (std::size_t k = 0; k < 4; ++k)
    tight[k] = m.weights[k] * ref.means.row(static_cast<index_t>(k)).squaredNorm() * (1.0 - 1e-12);
  const class_scatter clamped = class_scatter_accumulator::from_raw_moments(m, raw, tight).finalize();
  REQUIRE(clamped.class_traces.has_value());
  CHECK((*clamped.class_traces).minCoeff() == 0.0);
  bool reported = false;
  for (const auto& note : clamped.diagnostics) reported = reported || note.find("came out negative") != std::string::npos;
  CHECK(reported);
}

// The one-pass Gram formula Sigma_W = G/N - mu mu^T - Sigma_B cancels: with a common offset of 1e4 and
// unit spread, 2*log10(1e4) = 8 digits go, all float32 has; in double ~1e-8 relative error remains,
// while the default (Chan-merged centred scatter) stays at rounding level. Seed 53.
TEST_CASE("gram_one_pass loses digits under a large offset; the default does not (seed 53)") {
  dataset ds = make_data(53, 3, 4, 200, 1.0, 1.0);
  const reference ref0 = dense_reference(ds.x, ds.y, ds.c);
  ds.x.array() += 1e4;  // same scatter, large offset
  class_scatter_options g;
  g.gram_one_pass = true;
  class_scatter_accumulator ag(ds.c, 4, g), ad(ds.c, 4);
  for (index_t s = 0; s < ds.x.rows(); s += 50) {
    const index_t len = std::min<index_t>(50, ds.x.rows() - s);
    std::vector<std::int64_t> yb(ds.y.begin() + s, ds.y.begin() + s + len);
    ag.update(ds.x.middleRows(s, len), yb);
    ad.update(ds.x.middleRows(s, len), yb);
  }
  const double err_gram = rel(ag.finalize().within, ref0.sw);
  const double err_default = rel(ad.finalize().within, ref0.sw);
  MESSAGE("Sigma_W relative error at offset 1e4: gram=", err_gram, " default=", err_default);
  CHECK(err_default < 1e-11);
  CHECK(err_gram > 1e-11);   // digits are really lost ...
  CHECK(err_gram > 1e3 * err_default);
  CHECK(err_gram < 1e-5);    // ... about 8 of them (eps * 1e8 ~ 2e-8, with headroom)
  // The same formula accumulated in float32 (as a float GPU kernel would) has no digit left.
  Eigen::MatrixXf gf = Eigen::MatrixXf::Zero(4, 4);
  Eigen::RowVectorXf sf = Eigen::RowVectorXf::Zero(4);
  for (index_t i = 0; i < ds.x.rows(); ++i) {
    const Eigen::RowVectorXf xi = ds.x.row(i).cast<float>();
    gf += xi.transpose() * xi;
    sf += xi;
  }
  const float nf = static_cast<float>(ds.x.rows());
  const Eigen::MatrixXf st_f = gf / nf - (sf / nf).transpose() * (sf / nf);
  const double err_float = rel(st_f.cast<double>(), ref0.st);
  MESSAGE("total covariance from float32 raw moments: relative error ", err_float);
  CHECK(err_float > 0.1);
}

// D = 2048 > N = 600, C = 100 (6 samples per class, D > N as well). The naive D x D pseudoinverse of
// Sigma_B with the usual tolerance (D * eps * l_max, numpy's hermitian pinv) keeps rounding-noise
// eigenvalues ~1e-16 l_max of the rank-99 Sigma_B and blows the trace up by many orders of magnitude;
// the C x C route agrees with the thin-SVD reference. Seed 67.
TEST_CASE("D = 2048, C = 100: C x C route is right where a naive D x D pinv is wrong (seed 67)") {
  const index_t d = 2048;
  const std::int64_t c = 100;
  random_engine rng(67);
  row_matrix<double> mu(c, d);
  for (index_t i = 0; i < mu.size(); ++i) mu.data()[i] = rng.normal();
  std::vector<std::int64_t> y;
  for (std::int64_t k = 0; k < c; ++k)
    for (int r = 0; r < 6; ++r) y.push_back(k);
  row_matrix<float> x(static_cast<index_t>(y.size()), d);
  for (index_t i = 0; i < x.rows(); ++i)
    for (index_t j = 0; j < d; ++j)
      x(i, j) = static_cast<float>(mu(y[static_cast<std::size_t>(i)], j) + 0.3 * rng.normal());
  class_scatter_options o;
  o.mode = scatter_mode::projected;
  class_scatter_accumulator acc(c, d, o);
  acc.update(x, y);
  acc.begin_second_pass();
  acc.update(x, y);
  const class_scatter s = acc.finalize();
  const trace_result t = within_between_trace(s);
  CHECK(t.rank == 99);
  // Reference: thin SVD of M and Sigma_W applied as (1/N) R^T (R u) without forming it.
  const row_matrix<double> xd = x.cast<double>();
  row_matrix<double> means = row_matrix<double>::Zero(c, d);
  for (index_t i = 0; i < xd.rows(); ++i) means.row(y[static_cast<std::size_t>(i)]) += xd.row(i) / 6.0;
  const Eigen::RowVectorXd gm = means.colwise().mean();
  Eigen::MatrixXd m(d, c);
  for (index_t k = 0; k < c; ++k) m.col(k) = std::sqrt(0.01) * (means.row(k) - gm).transpose();
  row_matrix<double> r(xd.rows(), d);
  for (index_t i = 0; i < xd.rows(); ++i) r.row(i) = xd.row(i) - means.row(y[static_cast<std::size_t>(i)]);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinU);  // BDCSVD costs ~20 s more to compile
  const Eigen::VectorXd sv = svd.singularValues();
  double ref = 0.0;
  for (index_t k = 0; k < 99; ++k) {
    const Eigen::VectorXd ru = r * svd.matrixU().col(k);
    ref += ru.squaredNorm() / static_cast<double>(xd.rows()) / (sv(k) * sv(k));
  }
  CHECK(sv(99) < 1e-12 * sv(0));  // the 100th direction is the exact null vector sqrt(pi)
  CHECK(rel(t.trace, ref) < 1e-8);
  // Closed form in expectation: Sigma_W ~ 0.09 (5/6) I, eigenvalues of Sigma_B ~ D/C  =>  trace ~ 0.075*99*100/2048 ~ 0.36.
  CHECK(t.trace > 0.1);
  CHECK(t.trace < 1.0);
  // The naive route: D x D Sigma_B, eigen-pinv. Its 1949 "zero" eigenvalues are rounding noise at
  // ~1e-15 l_max, right at numpy's legacy pinv default rcond = 1e-15, so whether the naive number is
  // right depends on luck: a tolerance just below the noise (1e-16) keeps noise directions and the
  // trace explodes; D * eps (numpy >= 2 / torch default) happens to drop them here.
  const Eigen::MatrixXd sb = m * m.transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(sb);
  const Eigen::VectorXd l = eig.eigenvalues();  // ascending
  const Eigen::MatrixXd rv = r * eig.eigenvectors();  // N x D
  auto naive_pinv_trace = [&](double rcond, index_t& rank) {
    double tr = 0.0;
    rank = 0;
    for (index_t k = 0; k < d; ++k)
      if (l(k) > rcond * l(d - 1)) {
        tr += rv.col(k).squaredNorm() / static_cast<double>(xd.rows()) / l(k);
        ++rank;
      }
    return tr;
  };
  const double noise = std::max(std::abs(l(d - 100)), std::abs(l(0))) / l(d - 1);
  index_t rank_lo = 0, rank_hi = 0;
  const double naive_lo = naive_pinv_trace(1e-16, rank_lo);
  const double naive_hi = naive_pinv_trace(static_cast<double>(d) * std::numeric_limits<double>::epsilon(), rank_hi);
  MESSAGE("trace: C x C route=", t.trace, " reference=", ref, "; naive D x D pinv: rcond 1e-16 -> ", naive_lo,
          " (rank ", rank_lo, "), rcond D*eps -> ", naive_hi, " (rank ", rank_hi, "); noise eigenvalue ratio ", noise);
  CHECK(noise > 1e-17);             // the null space of the D x D Sigma_B is not numerically zero
  CHECK(noise < 1e-13);
  CHECK(rank_lo > 99);
  CHECK(naive_lo > 1e3 * ref);      // keeping noise eigenvalues: wrong by orders of magnitude
  CHECK(rel(naive_hi, ref) < 1e-6); // the window of tolerances that works is narrow and data-dependent
  // The C x C Gram's null eigenvalue is separated from the kept ones by > 10 decades.
  CHECK(t.eigenvalues(99) < 1e-13 * t.eigenvalues(0));
  CHECK(t.eigenvalues(98) > 1e-3 * t.eigenvalues(0));
}

TEST_CASE("toy model: trace = (sigma_z^2 + sigma_n^2) tr(Sigma_B^+) (seed 71)") {
  const index_t d = 30;
  const std::int64_t c = 5;
  random_engine rng(71);
  row_matrix<double> mu(c, d);
  for (index_t i = 0; i < mu.size(); ++i) mu.data()[i] = rng.normal();
  const Eigen::RowVectorXd mbar = mu.colwise().mean();
  Eigen::MatrixXd mb(d, c);
  for (index_t k = 0; k < c; ++k) mb.col(k) = (mu.row(k) - mbar).transpose() / std::sqrt(5.0);
  const double tr_sbpinv = reference_trace(Eigen::MatrixXd::Identity(d, d), mb);
  for (const double sz : {0.3, 1.0}) {
    const double sn = 0.4, s2 = sz * sz + sn * sn;
    row_matrix<double> x(c * 2000, d);
    std::vector<std::int64_t> y;
    for (index_t i = 0; i < x.rows(); ++i) {
      const std::int64_t k = i % c;
      y.push_back(k);
      for (index_t j = 0; j < d; ++j) x(i, j) = mu(k, j) + sz * rng.normal() + sn * rng.normal();
    }
    collapse_options o;
    o.weighting = between_weighting::class_balanced;
    const collapse_metrics m = neural_collapse(x, y, o);
    CAPTURE(sz);
    CHECK(rel(m.tr_sw_sbpinv, s2 * tr_sbpinv) < 0.06);
    CHECK(rel(m.tr_sw, s2 * static_cast<double>(d)) < 0.03);
    CHECK(m.rank == 4);
  }
}

TEST_CASE("perfect collapse on a simplex ETF: NC2 = 0, NC3 = 0 for W = M^T, NC4 = 0, NCC accuracy 1") {
  const std::int64_t c = 4;
  const index_t d = 6;
  // Simplex ETF: e_k - (1/C) 1 in the first C coordinates, scaled; tiny within-class noise.
  row_matrix<double> mu = row_matrix<double>::Zero(c, d);
  for (index_t k = 0; k < c; ++k)
    for (index_t j = 0; j < c; ++j) mu(k, j) = 3.0 * ((k == j ? 1.0 : 0.0) - 0.25);
  random_engine rng(7);
  row_matrix<double> x(40, d);
  std::vector<std::int64_t> y;
  for (index_t i = 0; i < 40; ++i) {
    y.push_back(i % c);
    x.row(i) = mu.row(i % c);
  }
  // Symmetric noise: +e and -e pairs keep the class means exact.
  for (index_t i = 0; i < 40; i += 8)
    for (index_t j = 0; j < d; ++j) {
      const double e = 1e-3 * rng.normal();
      x(i, j) += e;
      x(i + 4, j) -= e;
    }
  const class_scatter s = run(x, y, c, scatter_mode::full);
  const nc2_result n2 = nc2_simplex(s);
  CHECK(n2.equinorm < 1e-12);
  CHECK(*n2.equiangularity < 1e-12);
  CHECK(*n2.max_angle < 1e-12);
  CHECK(nc3_self_duality(s, mu) < 1e-20);  // W rows = class means (already centred)
  const row_matrix<double> wrot = -mu;     // anti-aligned classifier: ||-a - a||^2 = 4
  CHECK(nc3_self_duality(s, wrot) == doctest::Approx(4.0));
  ncc_accumulator ncc(s);
  std::vector<std::int64_t> pred = y;
  pred[0] = 1;  // one disagreement out of 40
  ncc.update(x, y, pred);
  CHECK(*ncc.ncc_accuracy() == 1.0);
  CHECK(*ncc.nc4() == doctest::Approx(1.0 / 40.0));
  CHECK(nearest_class_centre(s, x) == y);
  // Non-collapsed random means: NC2 by brute force.
  const dataset ds = make_data(3, 5, 7, 20, 1.0, 0.5);
  const class_scatter s2 = run(ds.x, ds.y, ds.c, scatter_mode::projected);
  const reference ref = dense_reference(ds.x, ds.y, ds.c);
  std::vector<double> norms, cosv;
  for (index_t k = 0; k < 5; ++k) norms.push_back((ref.means.row(k).transpose() - ref.mu).norm());
  for (index_t i = 0; i < 5; ++i)
    for (index_t j = i + 1; j < 5; ++j)
      cosv.push_back((ref.means.row(i).transpose() - ref.mu).dot(ref.means.row(j).transpose() - ref.mu) /
                     (norms[static_cast<std::size_t>(i)] * norms[static_cast<std::size_t>(j)]));
  auto mean_sd = [](const std::vector<double>& v) {
    double m = 0, q = 0;
    for (double a : v) m += a;
    m /= static_cast<double>(v.size());
    for (double a : v) q += (a - m) * (a - m);
    return std::pair<double, double>(m, std::sqrt(q / static_cast<double>(v.size())));
  };
  const auto [nm, nsd] = mean_sd(norms);
  const auto [cm, csd] = mean_sd(cosv);
  double ma = 0;
  for (double v : cosv) ma += std::abs(v + 0.25);
  ma /= static_cast<double>(cosv.size());
  const nc2_result r2 = nc2_simplex(s2);
  CHECK(rel(r2.equinorm, nsd / nm) < 1e-10);
  CHECK(rel(*r2.equiangularity, csd) < 1e-10);
  CHECK(rel(*r2.max_angle, ma) < 1e-10);
  (void)cm;
}

TEST_CASE("edge cases: empty and singleton classes, D = 1, D < C-1, identical means, C = 1") {
  // Empty class 2 (labels declared C = 4), singleton class 3.
  row_matrix<double> x(8, 3);
  x << 0, 0, 1, 1, 0, 0, 5, 5, 5, 6, 5, 4, -3, 2, 2, -4, 2, 1, -3, 3, 2, 9, 9, 9;
  const std::vector<std::int64_t> y{0, 0, 1, 1, 0, 0, 0, 3};
  class_scatter_accumulator acc(4, 3);
  acc.update(x, std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 0, 3});
  const class_scatter s = acc.finalize();
  CHECK(s.num_classes() == 3);
  CHECK(s.class_ids == std::vector<std::int64_t>{0, 1, 3});
  CHECK(s.diagnostics.size() == 2);  // singleton + empty
  CHECK((*s.class_traces)(2) == 0.0);
  const collapse_metrics m = neural_collapse(s);
  CHECK(std::isfinite(m.tr_sw_sbpinv));
  CHECK(m.rank == 2);
  // NC3 needs C = 4 rows (row of the empty class ignored).
  const row_matrix<double> w3 = row_matrix<double>::Ones(3, 3), w4 = row_matrix<double>::Ones(4, 3);
  CHECK_THROWS_AS(nc3_self_duality(s, w3), infogeo::invalid_argument);
  CHECK(std::isfinite(nc3_self_duality(s, w4)));
  // D = 1: Sigma_B has rank 1 <= C-1; trace by hand: Sigma_W / Sigma_B.
  row_matrix<double> x1(6, 1);
  x1 << 0, 1, 4, 5, 10, 12;
  const std::vector<std::int64_t> y1{0, 0, 1, 1, 2, 2};
  const class_scatter s1 = run(x1, y1, 3, scatter_mode::projected);
  const double sw1 = (0.25 * 4 + 1.0 * 2) / 6.0;
  const double mu1 = 32.0 / 6.0;
  const double sb1 = ((0.5 - mu1) * (0.5 - mu1) + (4.5 - mu1) * (4.5 - mu1) + (11 - mu1) * (11 - mu1)) / 3.0;
  const trace_result t1 = within_between_trace(s1);
  CHECK(t1.rank == 1);
  CHECK(rel(t1.trace, sw1 / sb1) < 1e-12);
  CHECK_FALSE(t1.diagnostics.empty());  // rank drop reported
  collapse_options keep;
  keep.rule = rank_rule::keep_c_minus_1;
  CHECK_THROWS_AS(within_between_trace(s1, keep), infogeo::invalid_argument);  // D = 1 < C-1 = 2
  // Collinear means in D = 3 (rank drop): numerical_error with keep_c_minus_1, rank 1 otherwise.
  row_matrix<double> xc(6, 3);
  xc << 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3;
  const class_scatter sc = run(xc, y1, 3, scatter_mode::full);
  CHECK(within_between_trace(sc).rank == 1);
  CHECK_THROWS_AS(within_between_trace(sc, keep), infogeo::numerical_error);
  // Identical class means: Sigma_B = 0.
  row_matrix<double> xi(4, 2);
  xi << 1, 1, -1, -1, 2, 2, -2, -2;
  const class_scatter si = run(xi, std::vector<std::int64_t>{0, 0, 1, 1}, 2, scatter_mode::projected);
  CHECK_THROWS_AS(within_between_trace(si), infogeo::numerical_error);
  const cdnv_result ci = class_distance_normalized_variance(si);
  CHECK(std::isinf(ci.value));
  CHECK_FALSE(ci.diagnostics.empty());
  // C = 1: metrics need two classes.
  const class_scatter s_one = run(xi, std::vector<std::int64_t>{0, 0, 0, 0}, 1, scatter_mode::full);
  CHECK_THROWS_AS(within_between_trace(s_one), infogeo::invalid_argument);
  CHECK_THROWS_AS(class_distance_normalized_variance(s_one), infogeo::invalid_argument);
  CHECK_THROWS_AS(nc2_simplex(s_one), infogeo::invalid_argument);
}

TEST_CASE("bad input raises invalid_argument") {
  row_matrix<double> x = row_matrix<double>::Ones(4, 2);
  x(0, 0) = 0;
  class_scatter_accumulator acc(2, 2);
  CHECK_THROWS_AS(acc.update(x, std::vector<int>{0, 1, 0}), infogeo::invalid_argument);      // count
  CHECK_THROWS_AS(acc.update(x, std::vector<int>{0, 1, 0, -1}), infogeo::invalid_argument);  // negative
  CHECK_THROWS_AS(acc.update(x, std::vector<int>{0, 1, 0, 2}), infogeo::invalid_argument);   // >= C
  const row_matrix<double> x3 = row_matrix<double>::Ones(4, 3);
  CHECK_THROWS_AS(acc.update(x3, std::vector<int>{0, 1, 0, 1}),
                  infogeo::invalid_argument);  // wrong D
  row_matrix<double> bad = x;
  bad(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(acc.update(bad, std::vector<int>{0, 1, 0, 1}), infogeo::invalid_argument);
  bad(2, 1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(acc.update(bad, std::vector<int>{0, 1, 0, 1}), infogeo::invalid_argument);
  CHECK_THROWS_AS(acc.update(x, std::vector<int>{0, 1, 0, 1}, std::vector<double>{1, 1, -1, 1}),
                  infogeo::invalid_argument);
  CHECK_THROWS_AS(acc.update(x, std::vector<int>{0, 1, 0, 1}, std::vector<double>{1, 1}),
                  infogeo::invalid_argument);
  CHECK_THROWS_AS(acc.finalize(), infogeo::invalid_argument);  // failed updates left it empty
  CHECK_THROWS_AS(class_scatter_accumulator(0, 2), infogeo::invalid_argument);
  CHECK_THROWS_AS(class_scatter_accumulator(2, 0), infogeo::invalid_argument);
  class_scatter_options po;
  po.mode = scatter_mode::projected;
  po.gram_one_pass = true;
  CHECK_THROWS_AS(class_scatter_accumulator(2, 2, po), infogeo::invalid_argument);
  // Two-pass protocol misuse.
  po.gram_one_pass = false;
  class_scatter_accumulator p(2, 2, po);
  CHECK_THROWS_AS(p.begin_second_pass(), infogeo::invalid_argument);  // nothing seen
  p.update(x, std::vector<int>{0, 1, 0, 1});
  CHECK_THROWS_AS(p.finalize(), infogeo::invalid_argument);           // no pass 2
  CHECK_THROWS_AS(p.projection_basis(), infogeo::invalid_argument);
  class_scatter_accumulator q = p;
  p.begin_second_pass();
  CHECK_THROWS_AS(p.merge(q), infogeo::invalid_argument);             // phases differ
  p.update(x.topRows(2), std::vector<int>{0, 1});
  CHECK_THROWS_AS(p.finalize(), infogeo::invalid_argument);           // pass 2 saw less data
  class_scatter_accumulator p1(3, 2, po);
  p1.update(x, std::vector<int>{0, 1, 0, 1});
  p1.begin_second_pass();
  CHECK_THROWS_AS(p1.update(x, std::vector<int>{0, 1, 2, 1}), infogeo::invalid_argument);  // unseen class
  CHECK_THROWS_AS(class_scatter_accumulator(2, 3).merge(class_scatter_accumulator(2, 2)),
                  infogeo::invalid_argument);
  // Metric options.
  const class_scatter s = run(x, std::vector<std::int64_t>{0, 1, 0, 1}, 2, scatter_mode::full);
  collapse_options o;
  o.rtol = 0.0;
  CHECK_THROWS_AS(within_between_trace(s, o), infogeo::invalid_argument);
  CHECK_THROWS_AS(nearest_class_centre(s, x3), infogeo::invalid_argument);
  CHECK_THROWS_AS(collapse_regulariser(-1.0, 1.0, 1.0), infogeo::invalid_argument);
  CHECK_THROWS_AS(collapse_regulariser(std::nan(""), 1.0, 1.0), infogeo::invalid_argument);
}

TEST_CASE("regulariser and equi-separation fit") {
  CHECK(collapse_regulariser(0.0, 2.0, 3.0) == 0.0);
  CHECK(collapse_regulariser(0.5, 2.0, 3.0) == doctest::Approx(2.0 * std::tanh(1.5)).epsilon(1e-15));
  CHECK(collapse_regulariser(std::numeric_limits<double>::infinity(), 2.0, 3.0) == 2.0);
  // Exact geometric decay D_l = 5 * 0.6^l: slope log 0.6, ratios all 0.6, Pearson r = -1.
  std::vector<double> nc;
  for (int l = 0; l < 8; ++l) nc.push_back(5.0 * std::pow(0.6, l));
  const equi_separation_fit f = fit_equi_separation(nc);
  CHECK(f.slope == doctest::Approx(std::log(0.6)).epsilon(1e-12));
  CHECK(f.intercept == doctest::Approx(std::log(5.0)).epsilon(1e-12));
  CHECK(f.decay_ratio == doctest::Approx(0.6).epsilon(1e-12));
  CHECK(f.ratio_std < 1e-12);
  CHECK(*f.pearson_r == doctest::Approx(-1.0).epsilon(1e-12));
  CHECK(f.r_squared == doctest::Approx(1.0).epsilon(1e-12));
  // Non-uniform layer indices: per-step ratios are per unit layer.
  const equi_separation_fit g = fit_equi_separation(std::vector<double>{1.0, 0.25, 0.0625}, {0.0, 2.0, 4.0});
  CHECK(g.ratio_mean == doctest::Approx(0.5));
  // Noisy law: r between -1 and 0, spread > 0; checked against hand-computed regression.
  const std::vector<double> v{4.0, 2.0, 1.5, 0.5};
  const equi_separation_fit h = fit_equi_separation(v);
  const double ys[4] = {std::log(4.0), std::log(2.0), std::log(1.5), std::log(0.5)};
  const double ym = (ys[0] + ys[1] + ys[2] + ys[3]) / 4.0;
  const double sxy = -1.5 * (ys[0] - ym) - 0.5 * (ys[1] - ym) + 0.5 * (ys[2] - ym) + 1.5 * (ys[3] - ym);
  CHECK(h.slope == doctest::Approx(sxy / 5.0).epsilon(1e-12));
  CHECK(*h.pearson_r < -0.9);
  CHECK(h.ratio_std > 0.1);
  CHECK(fit_equi_separation(std::vector<double>{2.0, 2.0, 2.0}).pearson_r.has_value() == false);
  CHECK_THROWS_AS(fit_equi_separation(std::vector<double>{1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_equi_separation(std::vector<double>{1.0, 0.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_equi_separation(std::vector<double>{1.0, 2.0}, {1.0, 1.0}), infogeo::invalid_argument);
  CHECK_THROWS_AS(fit_equi_separation(std::vector<double>{1.0, 2.0}, {1.0}), infogeo::invalid_argument);
}

TEST_CASE("seed paper 003 conventions: Sigma_W mean entry (Table 1), NC1 / D, n-1 divisor, by hand") {
  // Class 0: (0,0), (2,0) -> mean (1,0), residuals (-1,0), (1,0). Class 1: (4,6), (6,8) -> mean (5,7),
  // residuals (-1,-1), (1,1). S_W = [[2,0],[0,0]] + [[2,2],[2,2]] = [[4,2],[2,2]], N = 4, C = 2:
  // population Sigma_W = [[1,.5],[.5,.5]] (sum of entries 2.5, mean entry 2.5 / 4 = 0.625);
  // unbiased Sigma_W = S_W / (N - C) = [[2,1],[1,1]] (mean entry 1.25); class variances 1, 2 -> 2, 4.
  row_matrix<double> x(4, 2);
  x << 0, 0, 2, 0, 4, 6, 6, 8;
  const std::vector<std::int64_t> y{0, 0, 1, 1};
  for (const auto mode : {scatter_mode::full, scatter_mode::projected}) {
    class_scatter_options o;
    o.mode = mode;
    const class_scatter pop = compute_class_scatter(x, y, o);
    REQUIRE(pop.within_sum.has_value());
    CHECK(*pop.within_sum == doctest::Approx(2.5).epsilon(1e-14));
    const collapse_metrics mp = neural_collapse(pop);
    REQUIRE(mp.sigma_w_mean_entry.has_value());
    CHECK(*mp.sigma_w_mean_entry == doctest::Approx(0.625).epsilon(1e-14));
    CHECK(mp.nc1_per_dim == doctest::Approx(mp.nc1 / 2.0).epsilon(1e-15));
    o.divisor = covariance_divisor::unbiased;
    const class_scatter unb = compute_class_scatter(x, y, o);
    CHECK(unb.divisor == covariance_divisor::unbiased);
    CHECK(*unb.within_sum == doctest::Approx(5.0).epsilon(1e-14));
    CHECK(unb.trace_within == doctest::Approx(3.0).epsilon(1e-14));
    REQUIRE(unb.class_traces.has_value());
    CHECK((*unb.class_traces)(0) == doctest::Approx(2.0).epsilon(1e-14));
    CHECK((*unb.class_traces)(1) == doctest::Approx(4.0).epsilon(1e-14));
    const collapse_metrics mu = neural_collapse(unb);
    CHECK(*mu.sigma_w_mean_entry == doctest::Approx(1.25).epsilon(1e-14));
    // Sigma_B is unchanged, so the trace doubles (N / (N - C) = 2).
    CHECK(mu.tr_sw_sbpinv == doctest::Approx(2.0 * mp.tr_sw_sbpinv).epsilon(1e-12));
    if (mode == scatter_mode::full) CHECK((unb.within - 2.0 * pop.within).norm() < 1e-14);
  }
  // Streaming in shards (projected pass 2 merged) keeps within_sum; external pass-2 moments drop it.
  class_scatter_options po;
  po.mode = scatter_mode::projected;
  class_scatter_accumulator a(2, 2, po);
  a.update(x, y);
  a.begin_second_pass();
  class_scatter_accumulator b = a;
  a.update(x.topRows(2), std::vector<std::int64_t>{0, 0});
  b.update(x.bottomRows(2), std::vector<std::int64_t>{1, 1});
  a.merge(b);
  CHECK(*a.finalize().within_sum == doctest::Approx(2.5).epsilon(1e-14));
  // The n-1 divisor is refused for a singleton class and for weighted samples.
  class_scatter_options bad;
  bad.divisor = covariance_divisor::unbiased;
  CHECK_THROWS_AS(compute_class_scatter(x.topRows(3), std::vector<std::int64_t>{0, 0, 1}, bad),
                  infogeo::invalid_argument);
  class_scatter_accumulator w(2, 2, bad);
  w.update(x, y, std::vector<double>{1.0, 0.5, 1.0, 1.0});
  CHECK_THROWS_AS(w.finalize(), infogeo::invalid_argument);
}

TEST_CASE("regulariser sign: [0, lambda) for lambda > 0, (lambda, 0] for lambda < 0") {
  CHECK(collapse_regulariser(0.0, -2.0, 1.0) == 0.0);
  const double v = collapse_regulariser(3.0, -2.0, 1.0);
  CHECK(v == doctest::Approx(-2.0 * std::tanh(3.0)));
  CHECK((v < 0.0 && v > -2.0));
}
