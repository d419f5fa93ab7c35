// Tests for include/infogeo/neighbors/: exact k-NN (kd-tree, nanoflann, brute force) against a
// slow obvious reference, range counts, thread independence, preprocessing, bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "infogeo/core/random.hpp"
#include "infogeo/neighbors/brute_force.hpp"
#include "infogeo/neighbors/kd_tree.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"

using namespace infogeo;
using namespace infogeo::neighbors;

namespace {

row_matrix<double> gaussian(index_t n, index_t d, std::uint64_t seed, double offset = 0.0) {
  random_engine rng(seed);
  row_matrix<double> m(n, d);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) m(i, j) = offset + rng.normal() * (1.0 + 0.3 * static_cast<double>(j));
  return m;
}

// Small integers: many exactly tied distances, to exercise the (distance, index) order.
row_matrix<double> integer_grid(index_t n, index_t d, std::uint64_t seed) {
  random_engine rng(seed);
  row_matrix<double> m(n, d);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) m(i, j) = static_cast<double>(rng.uniform_index(7));
  return m;
}

// The obvious reference: all distances (same canonical formulas), sorted by (distance, index).
double ref_distance(const row_matrix<double>& a, index_t i, const row_matrix<double>& b, index_t j,
                    norm_kind norm) {
  double acc = 0.0;
  for (index_t c = 0; c < a.cols(); ++c) {
    const double diff = a(i, c) - b(j, c);
    acc = norm == norm_kind::chebyshev ? std::max(acc, std::abs(diff)) : acc + diff * diff;
  }
  return norm == norm_kind::chebyshev ? acc : std::sqrt(acc);
}

knn_result reference_knn(const row_matrix<double>& refs, const row_matrix<double>& queries,
                         bool self, index_t k, norm_kind norm) {
  knn_result r;
  r.n = queries.rows();
  r.k = k;
  r.norm = norm;
  for (index_t i = 0; i < queries.rows(); ++i) {
    std::vector<std::pair<double, index_t>> all;
    for (index_t j = 0; j < refs.rows(); ++j)
      if (!self || j != i) all.emplace_back(ref_distance(queries, i, refs, j, norm), j);
    std::sort(all.begin(), all.end());
    for (index_t j = 0; j < k; ++j) {
      r.distances.push_back(all[static_cast<std::size_t>(j)].first);
      r.indices.push_back(all[static_cast<std::size_t>(j)].second);
    }
  }
  return r;
}

void require_identical(const knn_result& a, const knn_result& b) {
  REQUIRE(a.n == b.n);
  REQUIRE(a.k == b.k);
  std::size_t bad_d = 0;
  std::size_t bad_i = 0;
  for (std::size_t t = 0; t < a.distances.size(); ++t) {
    bad_d += a.distances[t] != b.distances[t];
    bad_i += a.indices[t] != b.indices[t];
  }
  CHECK(bad_d == 0);
  CHECK(bad_i == 0);
}

}  // namespace

TEST_CASE("kd-tree, nanoflann and brute force give exactly the reference neighbours") {
  // Exact equality (tolerance 0): all backends use the same canonical distance formulas and the
  // same (distance, index) order, so any difference is a search bug (e.g. invalid pruning).
  for (const norm_kind norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    for (const index_t d : {1, 2, 3, 5, 10, 20}) {
      const std::uint64_t seed = 100 + static_cast<std::uint64_t>(d);
      const auto pts = gaussian(700, d, seed);
      for (const index_t k : {1, 4}) {
        CAPTURE(d);
        CAPTURE(k);
        CAPTURE(static_cast<int>(norm));
        const auto ref = reference_knn(pts, pts, true, k, norm);
        require_identical(knn_self(pts, k, norm, backend::kd_tree), ref);
        require_identical(knn_self(pts, k, norm, backend::brute_force), ref);
        require_identical(knn_self(pts, k, norm, backend::automatic), ref);
      }
    }
  }
}

TEST_CASE("brute force on data whose offset dwarfs its spread: exact, and the candidate bound at the spread's scale") {
  // Coordinates 1e6 +- 1e-3: before the approximate distances were centred, the rounding bound
  // (~ u |x|^2 ~ 1e-4) exceeded every distance (~1e-5), every reference stayed a candidate and
  // this search took ~10 s instead of ~0.03 s (BM_brute_l2_offset). The result must stay exact.
  auto pts = gaussian(1500, 64, 41);
  pts = (pts.array() * 1e-3 + 1e6).matrix();
  const auto ref = reference_knn(pts, pts, true, 3, norm_kind::euclidean);
  require_identical(knn_self(pts, 3, norm_kind::euclidean, backend::brute_force), ref);
  // Queries away from the references' mean (the centre is the references' mean).
  auto queries = gaussian(200, 64, 42);
  queries = (queries.array() * 1e-3 + 1e6 + 2e-3).matrix();
  require_identical(knn_query(pts, queries, 3, norm_kind::euclidean, backend::brute_force),
                    reference_knn(pts, queries, false, 3, norm_kind::euclidean));
}

TEST_CASE("ties: integer data gives identical distances AND indices in every backend") {
  for (const norm_kind norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    for (const index_t d : {1, 2, 4}) {
      const auto pts = integer_grid(600, d, 7);
      const auto ref = reference_knn(pts, pts, true, 6, norm);
      CAPTURE(d);
      require_identical(knn_self(pts, 6, norm, backend::kd_tree), ref);
      require_identical(knn_self(pts, 6, norm, backend::brute_force), ref);
    }
  }
}

TEST_CASE("knn_query into another set, and a large offset (GEMM cancellation) stays exact") {
  for (const norm_kind norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    // offset 1e4: |x|^2 ~ 1e8 while neighbour distances^2 ~ 1e-2, so the GEMM form loses ~10
    // digits; the candidate margin plus canonical re-ranking must still be exact.
    const auto refs = gaussian(900, 6, 11, 1e4);
    const auto queries = gaussian(300, 6, 12, 1e4);
    const auto ref = reference_knn(refs, queries, false, 5, norm);
    require_identical(knn_query(refs, queries, 5, norm, backend::kd_tree), ref);
    require_identical(knn_query(refs, queries, 5, norm, backend::brute_force), ref);
  }
}

TEST_CASE_TEMPLATE("knn() accepts float and double views; float data is widened exactly", T, float, double) {
  const auto pts = gaussian(300, 3, 5);
  row_matrix<T> typed = pts.cast<T>();
  const auto r = knn(typed, 3, norm_kind::chebyshev);
  const row_matrix<double> widened = typed.template cast<double>();
  require_identical(r, reference_knn(widened, widened, true, 3, norm_kind::chebyshev));
}

TEST_CASE("range counts: kd-tree, sorted 1-D and brute force equal a scan, at boundary radii") {
  for (const norm_kind norm : {norm_kind::euclidean, norm_kind::chebyshev}) {
    for (const index_t d : {1, 2, 5}) {
      const auto pts = gaussian(800, d, 21 + static_cast<std::uint64_t>(d));
      // Radii equal to actual neighbour distances: the boundary point decides strict vs <=.
      const auto r3 = reference_knn(pts, pts, true, 3, norm);
      std::vector<double> radii(static_cast<std::size_t>(pts.rows()));
      for (index_t i = 0; i < pts.rows(); ++i) radii[static_cast<std::size_t>(i)] = r3.kth_distance(i);
      const range_counter tree(pts, norm, backend::kd_tree);
      const range_counter brute(pts, norm, backend::brute_force);
      for (const bool strict : {true, false}) {
        const auto a = tree.count_others(radii, strict);
        const auto b = brute.count_others(radii, strict);
        std::size_t bad = 0;
        for (index_t i = 0; i < pts.rows(); ++i) {
          index_t scan = 0;
          for (index_t j = 0; j < pts.rows(); ++j) {
            if (j == i) continue;
            const double dist = ref_distance(pts, i, pts, j, norm);
            scan += strict ? dist < radii[static_cast<std::size_t>(i)] : dist <= radii[static_cast<std::size_t>(i)];
          }
          bad += a[static_cast<std::size_t>(i)] != scan || b[static_cast<std::size_t>(i)] != scan;
        }
        CAPTURE(d);
        CAPTURE(strict);
        CHECK(bad == 0);
        // Continuous data: strict count = k - 1, non-strict = k (the k-th neighbour itself).
        CHECK(a[0] == (strict ? 2 : 3));
      }
      if (d == 1) CHECK(std::string(tree.algorithm()) == "sorted_1d");
    }
  }
}

TEST_CASE("results do not depend on the number of threads") {
#ifdef _OPENMP
  const auto pts = gaussian(3000, 4, 31);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = knn_self(pts, 5, norm_kind::chebyshev, backend::kd_tree);
  const auto one_l2 = knn_self(pts, 5, norm_kind::euclidean, backend::brute_force);
  std::vector<double> radii(one.distances.begin(), one.distances.begin() + 3000);
  const auto c1 = range_counter(pts, norm_kind::chebyshev).count_others(radii, true);
  omp_set_num_threads(4);
  const auto many = knn_self(pts, 5, norm_kind::chebyshev, backend::kd_tree);
  const auto many_l2 = knn_self(pts, 5, norm_kind::euclidean, backend::brute_force);
  const auto c4 = range_counter(pts, norm_kind::chebyshev).count_others(radii, true);
  omp_set_num_threads(saved);
  require_identical(one, many);
  require_identical(one_l2, many_l2);
  CHECK(c1 == c4);
#else
  MESSAGE("built without OpenMP: thread independence is trivial");
#endif
}

TEST_CASE("automatic backend choice follows the documented crossover") {
  CHECK(choose_backend(100, 3, norm_kind::euclidean) == backend::brute_force);
  CHECK(choose_backend(100000, 3, norm_kind::euclidean) == backend::kd_tree);
  CHECK(choose_backend(100000, l2_brute_force_min_d, norm_kind::euclidean) == backend::brute_force);
  CHECK(choose_backend(100000, 10, norm_kind::chebyshev) == backend::kd_tree);
  CHECK(choose_backend(100000, max_brute_force_min_d, norm_kind::chebyshev) == backend::brute_force);
}

TEST_CASE("bad input to the neighbour search") {
  const auto pts = gaussian(10, 2, 1);
  CHECK_THROWS_AS(knn_self(pts, 0), infogeo::invalid_argument);
  CHECK_THROWS_AS(knn_self(pts, 10), infogeo::invalid_argument);  // k >= n
  CHECK_THROWS_AS(knn_query(pts, gaussian(3, 2, 2), 11), infogeo::invalid_argument);
  CHECK_THROWS_AS(knn_query(pts, gaussian(3, 3, 2), 1), infogeo::invalid_argument);  // dims differ
  const row_matrix<double> empty_cols(5, 0);
  CHECK_THROWS_AS(knn_self(empty_cols, 1), infogeo::invalid_argument);
  CHECK_THROWS_AS(range_counter(empty_cols, norm_kind::chebyshev), infogeo::invalid_argument);
  try {
    knn_self(pts, 10);
  } catch (const infogeo::invalid_argument& e) {
    CHECK(std::string(e.what()).find("k=10") != std::string::npos);
  }
  // Non-finite coordinates are refused by every entry point (a box test on inf - inf would be
  // NaN and silently prune), with the argument, position and value named; so are NaN radii.
  for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto with_bad = pts;
    with_bad(3, 1) = bad;
    for (const auto b : {backend::kd_tree, backend::brute_force, backend::automatic})
      CHECK_THROWS_WITH_AS(knn_self(with_bad, 2, norm_kind::chebyshev, b),
                           doctest::Contains("points contains 1 non-finite value(s); first at row 3, column 1"),
                           infogeo::invalid_argument);
    CHECK_THROWS_WITH_AS(knn_query(pts, with_bad, 2), doctest::Contains("queries contains 1"),
                         infogeo::invalid_argument);
    CHECK_THROWS_WITH_AS(range_counter(with_bad, norm_kind::chebyshev), doctest::Contains("points contains 1"),
                         infogeo::invalid_argument);
    const double q[2] = {0.0, bad};
    CHECK_THROWS_WITH_AS(range_counter(pts, norm_kind::chebyshev).count(q, 1.0, true),
                         doctest::Contains("query coordinates must be finite"), infogeo::invalid_argument);
  }
  const double q[2] = {0.0, 0.0};
  CHECK_THROWS_WITH_AS(range_counter(pts, norm_kind::chebyshev).count(q, std::nan(""), true),
                       doctest::Contains("radius must not be NaN"), infogeo::invalid_argument);
  std::vector<double> radii(10, 1.0);
  radii[4] = std::nan("");
  for (const index_t d : {1, 2})
    CHECK_THROWS_WITH_AS(range_counter(gaussian(10, d, 5), norm_kind::chebyshev).count_others(radii, true),
                         doctest::Contains("radii must not be NaN (radii[4]"), infogeo::invalid_argument);
  const kd_tree tree(pts);
  CHECK_THROWS_WITH_AS(tree.count_within(q, std::nan(""), true, norm_kind::chebyshev),
                       doctest::Contains("radius must not be NaN"), infogeo::invalid_argument);
}

TEST_CASE("preprocessing: duplicate rows, standardisation, seeded jitter") {
  row_matrix<double> m(6, 2);
  m << 1, 2, 3, 4, 1, 2, 5, 6, 1, 2, 3, 4;
  CHECK(count_duplicate_rows(m) == 3);  // two repeats of (1,2), one of (3,4)
  const auto r = knn_self(m, 1, norm_kind::euclidean);
  CHECK(count_zero_nn(r) == 5);  // every row but (5,6) coincides with another
  try {
    check_no_duplicates(r, "test", "x", preprocess_options{});
    FAIL("expected an error");
  } catch (const infogeo::invalid_argument& e) {
    CHECK(std::string(e.what()).find("5 point(s)") != std::string::npos);
  }

  preprocess_options opt;
  opt.standardize = true;
  row_matrix<double> s = gaussian(500, 3, 4, 10.0);
  const auto rep = preprocess(s, opt, "test", "x");
  for (index_t j = 0; j < 3; ++j) {
    CHECK(std::abs(s.col(j).mean()) < 1e-12);
    CHECK(std::abs(std::sqrt(s.col(j).squaredNorm() / 500.0) - 1.0) < 1e-12);
  }
  CHECK(rep.standardized);
  row_matrix<double> constant = row_matrix<double>::Ones(5, 1);
  CHECK_THROWS_AS(preprocess(constant, opt, "test", "x"), infogeo::invalid_argument);

  preprocess_options jit;
  jit.jitter = 1e-6;
  jit.seed = 42;
  row_matrix<double> a = m;
  row_matrix<double> b = m;
  const auto ra = preprocess(a, jit, "test", "x");
  preprocess(b, jit, "test", "x");
  CHECK(a == b);  // same seed, same noise
  CHECK(ra.duplicate_rows == 3);
  CHECK(count_duplicate_rows(a) == 0);
  CHECK((a - m).cwiseAbs().maxCoeff() < 1e-4);  // ~ 1e-6 * sd (sd ~ 1.5) * |N(0,1)|
  jit.seed = 43;
  row_matrix<double> c = m;
  preprocess(c, jit, "test", "x");
  CHECK(!(a == c));
  jit.jitter = -1.0;
  CHECK_THROWS_AS(preprocess(c, jit, "test", "x"), infogeo::invalid_argument);
}

// ---- kd_tree internals: bucket sizes, micro-blocks, boundary radii, ties (tolerance 0 throughout) --

namespace {

// Brute-force count with the canonical distance formulas (the reference for count_within).
index_t scan_count(const row_matrix<double>& pts, const double* q, double r, bool strict, norm_kind norm) {
  index_t c = 0;
  for (index_t j = 0; j < pts.rows(); ++j) {
    double acc = 0.0;
    for (index_t t = 0; t < pts.cols(); ++t) {
      const double diff = q[t] - pts(j, t);
      acc = norm == norm_kind::chebyshev ? std::max(acc, std::abs(diff)) : acc + diff * diff;
    }
    const double dist = norm == norm_kind::chebyshev ? acc : std::sqrt(acc);
    c += strict ? dist < r : dist <= r;
  }
  return c;
}

}  // namespace

TEST_CASE("kd_tree with any leaf size equals brute force: k-NN, boundary counts, ties") {
  // Bucket sizes from 1 (raised to the minimum, 64 points: the deepest tree) to larger than n
  // (one bucket, only the group and micro-boxes prune); n = 900 leaves the last group and
  // micro-block partial.
  // Integer data puts many points exactly on the k-th distance and on the count radius, where
  // strict and non-strict differ.
  for (const bool ties : {false, true}) {
    for (const index_t d : {1, 2, 3, 6, 10}) {
      const auto pts = ties ? integer_grid(900, d, 40 + static_cast<std::uint64_t>(d))
                            : gaussian(900, d, 50 + static_cast<std::uint64_t>(d));
      for (const norm_kind norm : {norm_kind::chebyshev, norm_kind::euclidean}) {
        const auto ref = reference_knn(pts, pts, true, 5, norm);
        for (const index_t leaf : {1, 3, 16, 64, 256, 2000}) {
          CAPTURE(ties);
          CAPTURE(d);
          CAPTURE(leaf);
          CAPTURE(static_cast<int>(norm));
          const kd_tree tree(pts, leaf);
          std::size_t bad_knn = 0;
          std::size_t bad_count = 0;
          std::size_t bad_point = 0;
          std::vector<double> dist(5);
          std::vector<index_t> idx(5);
          std::vector<double> q(static_cast<std::size_t>(d));
          for (index_t p = 0; p < pts.rows(); p += 3) {
            const index_t i = tree.perm()[static_cast<std::size_t>(p)];
            tree.point_at(p, q.data());
            for (index_t t = 0; t < d; ++t) bad_point += q[static_cast<std::size_t>(t)] != pts(i, t);
            tree.knn(pts.row(i).data(), 5, i, norm, dist.data(), idx.data());
            for (index_t j = 0; j < 5; ++j) {
              const double got = norm == norm_kind::chebyshev ? dist[static_cast<std::size_t>(j)]
                                                              : std::sqrt(dist[static_cast<std::size_t>(j)]);
              bad_knn += got != ref.distance(i, j) || idx[static_cast<std::size_t>(j)] != ref.index(i, j);
            }
            // Radii exactly at the 1st and 5th neighbour distance, and 0.
            for (const double r : {ref.distance(i, 0), ref.kth_distance(i), 0.0})
              for (const bool strict : {true, false})
                bad_count += tree.count_within(pts.row(i).data(), r, strict, norm) !=
                             scan_count(pts, pts.row(i).data(), r, strict, norm);
          }
          CHECK(bad_point == 0);
          CHECK(bad_knn == 0);
          CHECK(bad_count == 0);
        }
      }
    }
  }
}

TEST_CASE("kd_tree batched self counts equal the scan: any batch, ties, boundary radii") {
  for (const bool ties : {false, true}) {
    for (const index_t d : {1, 3, 6}) {
      const auto pts = ties ? integer_grid(700, d, 140 + static_cast<std::uint64_t>(d))
                            : gaussian(700, d, 150 + static_cast<std::uint64_t>(d));
      const auto ref = reference_knn(pts, pts, true, 4, norm_kind::chebyshev);
      for (const index_t leaf : {1, 16, 256}) {
        const kd_tree tree(pts, leaf);
        for (const bool strict : {true, false}) {
          CAPTURE(ties);
          CAPTURE(d);
          CAPTURE(leaf);
          CAPTURE(strict);
          std::size_t bad = 0;
          index_t width = 1;  // batch widths 1, 2, ..., 8, 1, ...
          for (index_t p0 = 0; p0 < pts.rows(); p0 += width, width = width % kd_tree::batch_size + 1) {
            const index_t p1 = std::min(pts.rows(), p0 + width);
            double radii[kd_tree::batch_size];
            index_t counts[kd_tree::batch_size];
            for (index_t p = p0; p < p1; ++p) {
              const index_t i = tree.perm()[static_cast<std::size_t>(p)];
              // Radii at the 1st and 4th neighbour distance, 0 and negative, in turn.
              const index_t kind = (p * 7 + width) % 4;
              radii[p - p0] = kind == 0 ? ref.distance(i, 0) : kind == 1 ? ref.kth_distance(i) : kind == 2 ? 0.0 : -1.0;
            }
            tree.count_within_batch(p0, p1, radii, strict, counts);
            for (index_t p = p0; p < p1; ++p) {
              const index_t i = tree.perm()[static_cast<std::size_t>(p)];
              const double r = radii[p - p0];
              const index_t want = r < 0.0 ? 0 : scan_count(pts, pts.row(i).data(), r, strict, norm_kind::chebyshev);
              bad += counts[p - p0] != want;
            }
          }
          CHECK(bad == 0);
        }
      }
    }
  }
  const auto pts = gaussian(50, 2, 160);
  const kd_tree tree(pts, 1);
  double radii[2] = {0.5, std::nan("")};
  index_t counts[2];
  CHECK_THROWS_WITH_AS(tree.count_within_batch(0, 2, radii, true, counts),
                       doctest::Contains("radii must not be NaN"), infogeo::invalid_argument);
  CHECK_THROWS_AS(tree.count_within_batch(0, 9, radii, true, counts), infogeo::invalid_argument);
}

TEST_CASE("kd_tree on fewer points than a micro-block, and just over one") {
  for (const index_t n : {1, 2, 7, 8, 9, 17}) {
    const auto pts = gaussian(n, 3, 90 + static_cast<std::uint64_t>(n));
    const kd_tree tree(pts, 1);
    const index_t k = std::min<index_t>(3, n - 1);
    const auto ref = k > 0 ? reference_knn(pts, pts, true, k, norm_kind::chebyshev) : knn_result{};
    std::vector<double> dist(3);
    std::vector<index_t> idx(3);
    for (index_t i = 0; i < n; ++i) {
      CAPTURE(n);
      CAPTURE(i);
      if (k > 0) {
        CHECK(tree.knn(pts.row(i).data(), k, i, norm_kind::chebyshev, dist.data(), idx.data()) == k);
        for (index_t j = 0; j < k; ++j) CHECK(idx[static_cast<std::size_t>(j)] == ref.index(i, j));
      }
      CHECK(tree.count_within(pts.row(i).data(), 1.0, true, norm_kind::chebyshev) ==
            scan_count(pts, pts.row(i).data(), 1.0, true, norm_kind::chebyshev));
    }
  }
}

TEST_CASE("1-D range counts search from the query's rank: ties, radius 0, strict and not") {
  for (const bool ties : {false, true}) {
    const auto pts = ties ? integer_grid(1500, 1, 61) : gaussian(1500, 1, 62);
    const range_counter sorted(pts, norm_kind::chebyshev);
    const range_counter brute(pts, norm_kind::chebyshev, backend::brute_force);
    REQUIRE(std::string(sorted.algorithm()) == "sorted_1d");
    random_engine rng(63);
    for (const bool strict : {true, false}) {
      std::vector<double> radii(1500);
      for (std::size_t i = 0; i < radii.size(); ++i)
        radii[i] = i % 5 == 0 ? 0.0 : ties ? static_cast<double>(rng.uniform_index(4)) : 0.5 * rng.uniform();
      CAPTURE(ties);
      CAPTURE(strict);
      CHECK(sorted.count_others(radii, strict) == brute.count_others(radii, strict));
    }
  }
}

TEST_CASE("partition_point_near equals std::partition_point from every hint") {
  const std::vector<double> a = {-3, -1, -1, 0, 0, 0, 2, 2, 5, 7, 7, 7, 9};
  const auto n = a.size();
  for (const double x : {-4.0, -1.0, 0.0, 1.0, 2.0, 7.0, 9.0, 10.0}) {
    auto pred = [x](double v) { return v < x; };
    const auto want = static_cast<std::size_t>(std::partition_point(a.begin(), a.end(), pred) - a.begin());
    for (std::size_t hint = 0; hint <= n + 2; ++hint) {
      CAPTURE(x);
      CAPTURE(hint);
      CHECK(neighbors::detail::partition_point_near(a.data(), n, hint, pred) == want);
    }
  }
}

TEST_CASE("micro-block kernels (vector extensions or not) are bit-identical to the scalar formulas") {
  // One micro-block of 8 points (coordinate-major) and 8 boxes around random points; d = 7.
  const index_t d = 7;
  const index_t lanes = neighbors::detail::micro_block;
  const auto pts = gaussian(lanes, d, 71, 3.0);
  std::vector<double> blk(static_cast<std::size_t>(lanes * d));
  std::vector<double> lo(blk.size());
  std::vector<double> hi(blk.size());
  for (index_t t = 0; t < lanes; ++t)
    for (index_t j = 0; j < d; ++j) {
      const auto at = static_cast<std::size_t>(j * lanes + t);
      blk[at] = pts(t, j);
      lo[at] = pts(t, j) - 0.5 * static_cast<double>(t % 3);
      hi[at] = pts(t, j) + 0.25 * static_cast<double>(t % 4);
    }
  const auto qm = gaussian(1, d, 72, 3.0);
  const double* q = qm.row(0).data();
  const auto cheb = neighbors::detail::micro_distances<true, neighbors::detail::native_vector_bytes>(blk.data(), d, q);
  const auto l2 = neighbors::detail::micro_distances<false, neighbors::detail::native_vector_bytes>(blk.data(), d, q);
  const auto lower_cheb = neighbors::detail::micro_box_lower<true, neighbors::detail::native_vector_bytes>(lo.data(), hi.data(), lanes, d, q);
  const auto lower_l2 = neighbors::detail::micro_box_lower<false, neighbors::detail::native_vector_bytes>(lo.data(), hi.data(), lanes, d, q);
  std::size_t bad = 0;
  for (index_t t = 0; t < lanes; ++t) {
    bad += cheb.v[t] != neighbors::detail::max_abs_diff(q, pts.row(t).data(), d);
    bad += l2.v[t] != neighbors::detail::squared_l2(q, pts.row(t).data(), d);
    double gmax = 0.0;
    double gsum = 0.0;
    for (index_t j = 0; j < d; ++j) {
      const auto at = static_cast<std::size_t>(j * lanes + t);
      const double gap = std::max({lo[at] - q[j], q[j] - hi[at], 0.0});
      gmax = std::max(gmax, gap);
      gsum += gap * gap;
    }
    bad += lower_cheb.v[t] != gmax;
    bad += lower_l2.v[t] != gsum;
  }
  CHECK(bad == 0);
  // Range relation and lane masks against per-lane scalar logic, radii at box extents.
  using neighbors::detail::native_vector_bytes;
  for (const double r : {0.0, 1.0, cheb.v[2], cheb.v[5], 4.0, 50.0}) {
    CAPTURE(r);
    for (const bool strict : {true, false}) {
      const auto rel = strict ? neighbors::detail::micro_box_relation<true, native_vector_bytes>(lo.data(), hi.data(), lanes, d, q, r)
                              : neighbors::detail::micro_box_relation<false, native_vector_bytes>(lo.data(), hi.data(), lanes, d, q, r);
      const unsigned within = strict ? neighbors::detail::lanes_within<true, native_vector_bytes>(cheb, r)
                                     : neighbors::detail::lanes_within<false, native_vector_bytes>(cheb, r);
      unsigned want_contained = 0;
      unsigned want_crossing = 0;
      unsigned want_within = 0;
      for (index_t t = 0; t < lanes; ++t) {
        bool outside = false;
        bool crossing = false;
        for (index_t j = 0; j < d; ++j) {
          const auto at = static_cast<std::size_t>(j * lanes + t);
          const double below = q[j] - lo[at];
          const double above = hi[at] - q[j];
          outside = outside || (strict ? (-below >= r || -above >= r) : (-below > r || -above > r));
          crossing = crossing || (strict ? (below >= r || above >= r) : (below > r || above > r));
        }
        if (!outside && !crossing) want_contained |= 1u << t;
        if (!outside && crossing) want_crossing |= 1u << t;
        if (strict ? cheb.v[t] < r : cheb.v[t] <= r) want_within |= 1u << t;
      }
      CHECK(rel.contained == want_contained);
      CHECK(rel.crossing == want_crossing);
      CHECK(within == want_within);
    }
  }
  CHECK(neighbors::detail::first_lanes(0) == 0u);
  CHECK(neighbors::detail::first_lanes(3) == 7u);
  CHECK(neighbors::detail::first_lanes(lanes) == 255u);
}

TEST_CASE("float box bounds: bit-identical to the scalar float formula, and within the slack of the exact bound") {
  // micro_box_lower_float performs, lane by lane, the float operations of the scalar loop below
  // (so every vector width gives the same bits); its value may exceed the exact double bound
  // only by the rounding that kd_tree's slack (2^-21 (extent + offset)) covers.
  constexpr index_t lanes = neighbors::detail::micro_block;
  for (const index_t d : {1, 3, 7, 10}) {
    const auto corner = gaussian(lanes, d, 90 + static_cast<std::uint64_t>(d), 2.0);
    const auto qm = gaussian(1, d, 91, 2.5);
    std::vector<double> lo(static_cast<std::size_t>(lanes * d));
    std::vector<double> hi(lo.size());
    std::vector<float> lo_f(lo.size());
    std::vector<float> hi_f(lo.size());
    double extent = 0.0;
    for (index_t t = 0; t < lanes; ++t)
      for (index_t j = 0; j < d; ++j) {
        const auto at = static_cast<std::size_t>(j * lanes + t);
        lo[at] = corner(t, j) + 1e-3 / 3.0;
        hi[at] = lo[at] + 0.1 * static_cast<double>(t % 3) + 1.0 / 7.0;
        // Outward rounding, as kd_tree stores them.
        lo_f[at] = std::nextafter(static_cast<float>(lo[at]), -std::numeric_limits<float>::infinity());
        hi_f[at] = std::nextafter(static_cast<float>(hi[at]), std::numeric_limits<float>::infinity());
        extent = std::max({extent, std::abs(lo[at]), std::abs(hi[at])});
      }
    std::vector<float> qf(static_cast<std::size_t>(d));
    double offset = 0.0;
    for (index_t j = 0; j < d; ++j) {
      qf[static_cast<std::size_t>(j)] = static_cast<float>(qm(0, j));
      offset = std::max(offset, std::abs(qm(0, j)));
    }
    const auto got = neighbors::detail::micro_box_lower_float<neighbors::detail::native_vector_bytes>(
        lo_f.data(), hi_f.data(), d, qf.data());
    const auto exact = neighbors::detail::micro_box_lower<true, neighbors::detail::native_vector_bytes>(
        lo.data(), hi.data(), lanes, d, qm.row(0).data());
    const double slack = std::ldexp(extent + offset, -21);
    std::size_t bad_bits = 0;
    std::size_t bad_bound = 0;
    for (index_t t = 0; t < lanes; ++t) {
      float want = 0.0f;
      for (index_t j = 0; j < d; ++j) {
        const auto at = static_cast<std::size_t>(j * lanes + t);
        const float below = lo_f[at] - qf[static_cast<std::size_t>(j)];
        const float above = qf[static_cast<std::size_t>(j)] - hi_f[at];
        const float gap = below < above ? above : below;
        want = want < gap ? gap : want;
      }
      bad_bits += got.v[t] != static_cast<double>(want);
      bad_bound += !(got.v[t] <= exact.v[t] + slack);
    }
    CAPTURE(d);
    CHECK(bad_bits == 0);
    CHECK(bad_bound == 0);
  }
}

TEST_CASE("max-norm kd_tree stays exact where its float box filter is weak or switched off") {
  // Float boxes are relative to the centre of the data, rounded outward, with an absolute
  // slack of 2^-21 times the extent. (a) Two tight clusters 1000 apart: inside a cluster the
  // neighbour gaps (~1e-5) are of the order of a float ulp at the extent (2^-15), so boxes and
  // queries straddle float rounding boundaries and only the outward rounding and the slack keep
  // the pruning valid (without them this case fails). (b) Data beyond 1e30 and (c) queries
  // beyond 1e30 from the centre switch the float boxes off. Every case must equal the scan.
  row_matrix<double> clusters = gaussian(600, 3, 95);
  for (index_t i = 0; i < clusters.rows(); ++i)
    for (index_t j = 0; j < clusters.cols(); ++j)
      clusters(i, j) = (i % 2 == 0 ? 0.0 : 1000.0) + 3e-5 * clusters(i, j);
  // (d) Clusters at 0 and 1e-39 with a spread of 2e-45: every value relative to the centre is
  // a float subnormal, whose absolute resolution (1.4e-45, the spread) is far above the slack
  // (2^-21 x 5e-40), so the filter must switch itself off for such tiny data too.
  std::vector<row_matrix<double>> tiny_sets;
  for (const std::uint64_t seed : {1u, 3u, 6u, 11u}) {
    row_matrix<double> tiny = gaussian(600, 3, seed);
    for (index_t i = 0; i < tiny.rows(); ++i)
      for (index_t j = 0; j < tiny.cols(); ++j)
        tiny(i, j) = (i % 2 == 0 ? 0.0 : 1e-39) + 2e-45 * tiny(i, j);
    tiny_sets.push_back(tiny);
  }
  const row_matrix<double> huge = gaussian(500, 3, 96) * 1e31;
  const auto ref_clusters = reference_knn(clusters, clusters, true, 4, norm_kind::chebyshev);
  const auto ref_huge = reference_knn(huge, huge, true, 4, norm_kind::chebyshev);
  require_identical(knn_self(clusters, 4, norm_kind::chebyshev, backend::kd_tree), ref_clusters);
  require_identical(knn_self(huge, 4, norm_kind::chebyshev, backend::kd_tree), ref_huge);
  for (const auto& tiny : tiny_sets)
    require_identical(knn_self(tiny, 4, norm_kind::chebyshev, backend::kd_tree),
                      reference_knn(tiny, tiny, true, 4, norm_kind::chebyshev));
  const auto refs = gaussian(400, 3, 97);
  const row_matrix<double> far = (gaussian(50, 3, 98).array() + 2e30).matrix();
  require_identical(knn_query(refs, far, 3, norm_kind::chebyshev, backend::kd_tree),
                    reference_knn(refs, far, false, 3, norm_kind::chebyshev));
}

TEST_CASE("large trees (parallel build) equal brute force and do not depend on the threads") {
  // n = 30000 >= the size from which kd_tree builds its top levels as OpenMP tasks; integer
  // data (ties) in 3-D and Gaussian data in 6-D; 300 queries checked against the scan.
  for (const index_t d : {3, 6}) {
    const auto pts = d == 3 ? integer_grid(30000, d, 81) : gaussian(30000, d, 82);
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    const auto one = knn_self(pts, 4, norm_kind::chebyshev, backend::kd_tree);
    const range_counter c1(pts, norm_kind::chebyshev, backend::kd_tree);
    std::vector<double> radii(one.distances.begin(), one.distances.begin() + 30000);
    const auto n1 = c1.count_others(radii, true);
#ifdef _OPENMP
    omp_set_num_threads(4);
#endif
    const auto many = knn_self(pts, 4, norm_kind::chebyshev, backend::kd_tree);
    const auto n4 = range_counter(pts, norm_kind::chebyshev, backend::kd_tree).count_others(radii, true);
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
    CAPTURE(d);
    require_identical(one, many);
    CHECK(n1 == n4);
    std::size_t bad = 0;
    for (index_t i = 0; i < 30000; i += 100) {
      std::vector<std::pair<double, index_t>> all;
      for (index_t j = 0; j < 30000; ++j)
        if (j != i) all.emplace_back(ref_distance(pts, i, pts, j, norm_kind::chebyshev), j);
      std::partial_sort(all.begin(), all.begin() + 4, all.end());
      for (index_t j = 0; j < 4; ++j)
        bad += all[static_cast<std::size_t>(j)].first != one.distance(i, j) ||
               all[static_cast<std::size_t>(j)].second != one.index(i, j);
      index_t strict_count = 0;
      for (const auto& a : all) strict_count += a.first < radii[static_cast<std::size_t>(i)];
      bad += strict_count != n1[static_cast<std::size_t>(i)];
    }
    CHECK(bad == 0);
  }
}
