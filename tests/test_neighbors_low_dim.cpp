// Tests for the low-dimensional fast paths of include/infogeo/neighbors/: the 2-D max-norm grid
// (chebyshev_grid_2d, used by knn_self), the radix sort and the 1-D sorted range counts. Every
// result is compared with an O(n^2) reference with tolerance 0 (distances, indices, counts).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "infogeo/core/random.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/neighbors/grid_2d.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/radix_sort.hpp"

using namespace infogeo;
using namespace infogeo::neighbors;

namespace {

// ---- data ---------------------------------------------------------------------------------------

row_matrix<double> correlated_pairs(index_t n, std::uint64_t seed) {
  random_engine rng(seed);
  row_matrix<double> m(n, 2);
  for (index_t i = 0; i < n; ++i) {
    const double a = rng.normal();
    m(i, 0) = a;
    m(i, 1) = 0.6 * a + 0.8 * rng.normal();
  }
  return m;
}

// Small integers per column: exact ties in distance and duplicate points.
row_matrix<double> small_integers(index_t n, index_t d, std::uint64_t values, std::uint64_t seed) {
  random_engine rng(seed);
  row_matrix<double> m(n, d);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) m(i, j) = static_cast<double>(rng.uniform_index(values));
  return m;
}

// Awkward 2-D sets: one constant axis, a diagonal line, +-0.0, huge magnitudes (differences
// overflow to +inf), a tight cluster plus far outliers.
std::vector<std::pair<std::string, row_matrix<double>>> awkward_sets(index_t n) {
  std::vector<std::pair<std::string, row_matrix<double>>> sets;
  random_engine rng(77);
  row_matrix<double> constant_x(n, 2), line(n, 2), zeros(n, 2), huge(n, 2), cluster(n, 2);
  for (index_t i = 0; i < n; ++i) {
    const double u = rng.normal();
    constant_x(i, 0) = 1.5;
    constant_x(i, 1) = u;
    line(i, 0) = u;
    line(i, 1) = u;
    zeros(i, 0) = (i % 3 == 0) ? -0.0 : (i % 3 == 1 ? 0.0 : static_cast<double>(i % 5) - 2.0);
    zeros(i, 1) = (i % 2 == 0) ? -0.0 : static_cast<double>(i % 7) * 0.25;
    huge(i, 0) = (i % 2 == 0 ? 1.0 : -1.0) * 1e308 * rng.uniform();
    huge(i, 1) = (i % 3 == 0 ? 1e308 : -1e307) * rng.uniform();
    cluster(i, 0) = i % 50 == 0 ? 1e6 * u : 1e-9 * u;
    cluster(i, 1) = i % 50 == 0 ? -1e6 * rng.normal() : 1e-9 * rng.normal();
  }
  sets.emplace_back("constant x", std::move(constant_x));
  sets.emplace_back("diagonal line", std::move(line));
  sets.emplace_back("signed zeros and ties", std::move(zeros));
  sets.emplace_back("huge magnitudes", std::move(huge));
  sets.emplace_back("cluster with outliers", std::move(cluster));
  return sets;
}

// ---- references ---------------------------------------------------------------------------------

// O(n^2): every other point's max-norm distance (max_abs_diff), sorted by (distance, index).
void reference_knn_self(const row_matrix<double>& pts, index_t k, std::vector<double>& dist,
                        std::vector<index_t>& idx) {
  const index_t n = pts.rows();
  dist.assign(static_cast<std::size_t>(n * k), 0.0);
  idx.assign(static_cast<std::size_t>(n * k), 0);
  std::vector<std::pair<double, index_t>> all;
  for (index_t i = 0; i < n; ++i) {
    all.clear();
    for (index_t j = 0; j < n; ++j)
      if (j != i)
        all.emplace_back(neighbors::detail::max_abs_diff(pts.row(i).data(), pts.row(j).data(), pts.cols()), j);
    std::sort(all.begin(), all.end());
    for (index_t j = 0; j < k; ++j) {
      dist[static_cast<std::size_t>(i * k + j)] = all[static_cast<std::size_t>(j)].first;
      idx[static_cast<std::size_t>(i * k + j)] = all[static_cast<std::size_t>(j)].second;
    }
  }
}

// Bitwise comparison (distances compared as doubles with ==: tolerance 0; -0.0 never occurs).
void check_same(const std::vector<double>& dist, const std::vector<index_t>& idx,
                const std::vector<double>& ref_dist, const std::vector<index_t>& ref_idx) {
  REQUIRE(dist.size() == ref_dist.size());
  std::size_t distance_mismatches = 0;
  std::size_t index_mismatches = 0;
  for (std::size_t t = 0; t < dist.size(); ++t) {
    distance_mismatches += dist[t] == ref_dist[t] ? 0 : 1;
    index_mismatches += idx[t] == ref_idx[t] ? 0 : 1;
  }
  CHECK(distance_mismatches == 0);
  CHECK(index_mismatches == 0);
}

void check_grid_against_reference(const row_matrix<double>& pts, index_t k,
                                  double points_per_cell) {
  std::vector<double> ref_dist;
  std::vector<index_t> ref_idx;
  reference_knn_self(pts, k, ref_dist, ref_idx);
  const chebyshev_grid_2d grid(pts, points_per_cell);
  std::vector<double> dist(static_cast<std::size_t>(pts.rows() * k));
  std::vector<index_t> idx(static_cast<std::size_t>(pts.rows() * k));
  grid.knn_self(k, dist.data(), idx.data());
  check_same(dist, idx, ref_dist, ref_idx);
}

// O(n): |fl(x_j - x_i)| < r (strict) or <= r over the other points.
std::vector<index_t> reference_count_others(const row_matrix<double>& x,
                                            const std::vector<double>& radii, bool strict) {
  const index_t n = x.rows();
  std::vector<index_t> counts(static_cast<std::size_t>(n), 0);
  for (index_t i = 0; i < n; ++i) {
    const double r = radii[static_cast<std::size_t>(i)];
    for (index_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double gap = std::abs(x(j, 0) - x(i, 0));
      counts[static_cast<std::size_t>(i)] += (strict ? gap < r : gap <= r) ? 1 : 0;
    }
  }
  return counts;
}

// Radii equal to exact neighbour gaps (the boundary case of strict vs non-strict), some zeros,
// some random.
std::vector<double> boundary_radii(const row_matrix<double>& x, std::uint64_t seed) {
  random_engine rng(seed);
  const index_t n = x.rows();
  std::vector<double> r(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const auto j = static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(n)));
    const double kind = rng.uniform();
    r[static_cast<std::size_t>(i)] =
        kind < 0.6 ? std::abs(x(j, 0) - x(i, 0)) : kind < 0.7 ? 0.0 : 2.0 * rng.uniform();
  }
  return r;
}

void check_counts(const row_matrix<double>& x, const std::vector<double>& radii) {
  const range_counter sorted(x, norm_kind::chebyshev);
  REQUIRE(std::string(sorted.algorithm()) == "sorted_1d");
  for (bool strict : {true, false}) {
    CAPTURE(strict);
    const auto counts = sorted.count_others(radii, strict);
    const auto ref = reference_count_others(x, radii, strict);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) mismatches += counts[i] == ref[i] ? 0 : 1;
    CHECK(mismatches == 0);
    // Single queries (count includes a point equal to the query).
    for (index_t i = 0; i < x.rows(); i += std::max<index_t>(1, x.rows() / 37)) {
      const double r = radii[static_cast<std::size_t>(i)];
      const index_t self = (strict ? 0.0 < r : 0.0 <= r) ? 1 : 0;
      CHECK(sorted.count(x.row(i).data(), r, strict) == ref[static_cast<std::size_t>(i)] + self);
    }
  }
}

}  // namespace

// ---- 2-D max-norm grid ----------------------------------------------------------------------------

TEST_CASE("chebyshev_grid_2d equals the O(n^2) reference on random and tied data") {
  for (index_t n : {2, 3, 5, 17, 300, 1100}) {
    for (index_t k : {1, 3, 7}) {
      if (k >= n) continue;
      CAPTURE(n);
      CAPTURE(k);
      for (double per_cell : {0.5, 2.0, 16.0}) {
        CAPTURE(per_cell);
        check_grid_against_reference(correlated_pairs(n, 11 + static_cast<std::uint64_t>(n)), k,
                                     per_cell);
        check_grid_against_reference(small_integers(n, 2, 6, 5), k, per_cell);
        check_grid_against_reference(small_integers(n, 2, 2, 6), k, per_cell);
      }
    }
  }
  // k = n - 1: every other point is a neighbour.
  check_grid_against_reference(correlated_pairs(9, 3), 8, 2.0);
  check_grid_against_reference(small_integers(9, 2, 2, 3), 8, 1.0);
}

TEST_CASE("chebyshev_grid_2d equals the reference on awkward point sets") {
  for (const auto& [name, pts] : awkward_sets(700)) {
    const auto& set_name = name;  // C++17 lambdas (CAPTURE) cannot capture a structured binding
    CAPTURE(set_name);
    for (index_t k : {1, 4}) {
      CAPTURE(k);
      check_grid_against_reference(pts, k, 2.0);
    }
  }
}

TEST_CASE("chebyshev_grid_2d refuses bad input") {
  CHECK_THROWS_AS(chebyshev_grid_2d(row_matrix<double>(10, 3)), infogeo::invalid_argument);
  CHECK_THROWS_AS(chebyshev_grid_2d(row_matrix<double>(0, 2)), infogeo::invalid_argument);
  row_matrix<double> bad = correlated_pairs(10, 1);
  bad(4, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(chebyshev_grid_2d{bad}, infogeo::invalid_argument);
  const chebyshev_grid_2d grid(correlated_pairs(10, 1));
  std::vector<double> d(100);
  std::vector<index_t> i(100);
  CHECK_THROWS_AS(grid.knn_self(0, d.data(), i.data()), infogeo::invalid_argument);
  CHECK_THROWS_AS(grid.knn_self(10, d.data(), i.data()), infogeo::invalid_argument);
}

TEST_CASE("knn_self dispatches 2-D max-norm self queries to the grid, with identical results") {
  for (index_t n : {grid_2d_min_n - 1, grid_2d_min_n, grid_2d_min_n + 1, index_t{5000}}) {
    CAPTURE(n);
    for (const auto& pts : {correlated_pairs(n, 21), small_integers(n, 2, 9, 22)}) {
      const auto fast = knn_self(pts, 4, norm_kind::chebyshev);
      const auto tree_requested = knn_self(pts, 4, norm_kind::chebyshev, backend::kd_tree);
      const auto brute = knn_self(pts, 4, norm_kind::chebyshev, backend::brute_force);
      const std::string expected = n >= grid_2d_min_n ? "grid_2d" : "kd_tree";
      CHECK(std::string(fast.algorithm) == expected);
      CHECK(std::string(tree_requested.algorithm) == expected);
      CHECK(std::string(brute.algorithm) == "brute_force");
      check_same(fast.distances, fast.indices, brute.distances, brute.indices);
      check_same(tree_requested.distances, tree_requested.indices, brute.distances,
                 brute.indices);
    }
  }
  // Non-finite coordinates never reach the grid (knn_self refuses them for every backend);
  // Euclidean and knn_query never use the grid.
  row_matrix<double> with_inf = correlated_pairs(2000, 23);
  with_inf(7, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(knn_self(with_inf, 3, norm_kind::chebyshev),
                       doctest::Contains("first at row 7, column 0 (value=inf)"), infogeo::invalid_argument);
  const row_matrix<double> pts = correlated_pairs(2000, 24);
  CHECK(std::string(knn_self(pts, 3, norm_kind::euclidean).algorithm) == "nanoflann");
  CHECK(std::string(knn_query(pts, pts, 3, norm_kind::chebyshev).algorithm) == "kd_tree");
}

TEST_CASE("grid k-NN and sorted range counts do not depend on the thread count") {
#ifdef _OPENMP
  const int threads = omp_get_max_threads();
  const row_matrix<double> pts = correlated_pairs(20000, 31);
  const row_matrix<double> x = pts.leftCols(1);
  std::vector<double> radii(static_cast<std::size_t>(pts.rows()));
  omp_set_num_threads(1);
  const auto one = knn_self(pts, 3, norm_kind::chebyshev);
  for (index_t i = 0; i < pts.rows(); ++i) radii[static_cast<std::size_t>(i)] = one.kth_distance(i);
  const auto counts_one = range_counter(x, norm_kind::chebyshev).count_others(radii, true);
  for (int t : {2, 3}) {
    CAPTURE(t);
    omp_set_num_threads(t);
    const auto many = knn_self(pts, 3, norm_kind::chebyshev);
    CHECK(many.distances == one.distances);
    CHECK(many.indices == one.indices);
    CHECK(range_counter(x, norm_kind::chebyshev).count_others(radii, true) == counts_one);
  }
  omp_set_num_threads(threads);
#else
  MESSAGE("built without OpenMP: thread independence not exercised");
#endif
}

// ---- radix sort and 1-D range counts --------------------------------------------------------------

TEST_CASE("sorted_order equals std::sort of (value, index) pairs") {
  for (index_t n : {0, 1, 2, 3, 100, 5000}) {
    CAPTURE(n);
    random_engine rng(41);
    std::vector<double> v(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) {
      const double kind = rng.uniform();
      v[static_cast<std::size_t>(i)] =
          kind < 0.2   ? -0.0
          : kind < 0.3 ? 0.0
          : kind < 0.5 ? static_cast<double>(rng.uniform_index(5)) - 2.0
          : kind < 0.6 ? (rng.uniform() < 0.5 ? -1.0 : 1.0) * std::numeric_limits<double>::infinity()
          : kind < 0.7 ? std::numeric_limits<double>::denorm_min() * static_cast<double>(rng.uniform_index(4))
                       : rng.normal() * 1e10;
    }
    std::vector<std::pair<double, index_t>> keyed;
    for (index_t i = 0; i < n; ++i) keyed.emplace_back(v[static_cast<std::size_t>(i)], i);
    std::sort(keyed.begin(), keyed.end());
    const auto order = neighbors::detail::sorted_order(v.data(), 1, n);
    REQUIRE(order.size() == keyed.size());
    std::size_t mismatches = 0;
    for (std::size_t p = 0; p < order.size(); ++p) mismatches += order[p] == keyed[p].second ? 0 : 1;
    CHECK(mismatches == 0);
  }
}

TEST_CASE("1-D sorted range counts equal the O(n^2) reference (strict and non-strict)") {
  // Sizes around the 64-value search window and the 256-query block.
  for (index_t n : {1, 2, 3, 63, 64, 65, 255, 256, 257, 3000}) {
    CAPTURE(n);
    const row_matrix<double> gauss = correlated_pairs(n, 51 + static_cast<std::uint64_t>(n)).leftCols(1);
    check_counts(gauss, boundary_radii(gauss, 52));
    const row_matrix<double> ties = small_integers(n, 1, 8, 53);
    check_counts(ties, boundary_radii(ties, 54));
    const row_matrix<double> two_values = small_integers(n, 1, 2, 55);
    check_counts(two_values, boundary_radii(two_values, 56));
  }
  // Radii from a joint k-NN (the KSG use) and radii far beyond the data's spread.
  const row_matrix<double> pts = correlated_pairs(4000, 57);
  const auto r = knn_self(pts, 3, norm_kind::chebyshev);
  std::vector<double> radii(static_cast<std::size_t>(pts.rows()));
  for (index_t i = 0; i < pts.rows(); ++i) radii[static_cast<std::size_t>(i)] = r.kth_distance(i);
  const row_matrix<double> x = pts.leftCols(1);
  const row_matrix<double> y = pts.rightCols(1);
  check_counts(x, radii);
  check_counts(y, radii);
  std::vector<double> wide(radii.size(), 1e300);
  wide[3] = std::numeric_limits<double>::infinity();
  check_counts(x, wide);
}

// ---- estimator value --------------------------------------------------------------------------------

TEST_CASE("KSG values on a fixed sample are unchanged by the fast paths") {
  // Pinned with the code before the grid / radix paths (kd-tree joint search, std::sort).
  for (const auto& [n, ksg1, ksg2] : {std::tuple<index_t, double, double>{3000, 0.23982501992610672, 0.25204123851052235},
                                      std::tuple<index_t, double, double>{20000, 0.21346972013220444, 0.21421827185858672}}) {
    const index_t sample_size = n;  // C++17 lambdas (CAPTURE) cannot capture a structured binding
    CAPTURE(sample_size);
    random_engine rng(2024);
    row_matrix<double> x(n, 1);
    row_matrix<double> y(n, 1);
    for (index_t i = 0; i < n; ++i) {
      const double a = rng.normal();
      x(i, 0) = a;
      y(i, 0) = 0.6 * a + 0.8 * rng.normal();
    }
    mi::ksg_options o;
    o.preprocess.standardize = false;  // pinned on the raw data (MI standardises by default)
    CHECK(mi::ksg(x, y, o).value == ksg1);
    o.variant = mi::ksg_variant::ksg2;
    CHECK(mi::ksg(x, y, o).value == ksg2);
  }
}
