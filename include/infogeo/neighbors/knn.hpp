// One interface to exact k-nearest-neighbour distances and range counts, Euclidean or max norm,
// with an automatic choice between the kd-tree and the brute-force backend.
//
// Conventions every backend follows (so that they agree bit for bit):
//  * distance(i, j) is the j-th nearest (j = 0..k-1) in the chosen norm; L2 distances are
//    sqrt(sum_d (a_d - b_d)^2) summed in coordinate order, max-norm distances max_d |a_d - b_d|;
//  * neighbours are ordered by (distance, index): among equidistant points the smaller index
//    comes first, so even the index lists agree across backends and thread counts;
//  * self queries (knn_self, range_counter::count_others) exclude the query's own index only;
//    an exact duplicate of the query is a neighbour at distance 0.
// Every query is independent; OpenMP splits queries over threads and writes each result to its
// own slot, so results do not depend on the number of threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/neighbors/brute_force.hpp"
#include "infogeo/neighbors/grid_2d.hpp"
#include "infogeo/neighbors/kd_tree.hpp"
#include "infogeo/neighbors/radix_sort.hpp"

namespace infogeo::neighbors {

/// Which search algorithm answers the queries.
enum class backend {
  automatic,   ///< choose_backend(n, d, norm)
  kd_tree,     ///< nanoflann (L2 k-NN) / infogeo::neighbors::kd_tree (max norm, range counts)
  brute_force  ///< blocked product kernel + exact re-ranking (L2) / direct scan (max norm)
};

template <class = void>
const char* to_string(backend b) {
  switch (b) {
    case backend::kd_tree: return "kd_tree";
    case backend::brute_force: return "brute_force";
    default: return "automatic";
  }
}

inline const char* to_string(norm_kind norm) {
  return norm == norm_kind::chebyshev ? "chebyshev" : "euclidean";
}

/// Measured crossover (docs/performance_knn.md, BM_knn_backend, n = 5000 Gaussian, k = 5): trees
/// win at low dimension, brute force at high dimension or small N. The max-norm kd-tree (group
/// and micro-block boxes, vectorised scans) beat the scan at every measured d <= 64 (by 7x at
/// d = 16, 1.9x at d = 64, ratio shrinking ~linearly): its threshold is that extrapolated crossover.
inline constexpr index_t brute_force_max_n = 512;      ///< below this brute force always wins
inline constexpr index_t l2_brute_force_min_d = 12;    ///< L2: GEMM beats the tree from here
inline constexpr index_t max_brute_force_min_d = 80;   ///< max norm: scan beats the tree from here
/// 2-D max-norm self queries (knn_self) with the tree backend (automatic or kd_tree) and at least
/// this many points run on chebyshev_grid_2d instead of the kd-tree (same results).
inline constexpr index_t grid_2d_min_n = 1024;

/// The backend `automatic` resolves to for n points in d dimensions.
template <class = void>
backend choose_backend(index_t n, index_t d, norm_kind norm) {
  if (n <= brute_force_max_n) return backend::brute_force;
  const index_t min_d = norm == norm_kind::euclidean ? l2_brute_force_min_d : max_brute_force_min_d;
  return d >= min_d ? backend::brute_force : backend::kd_tree;
}

/// k nearest neighbours of n queries: distances (plain, not squared) and indices, row-major
/// n x k, each row sorted by (distance, index).
struct knn_result {
  index_t n = 0;
  index_t k = 0;
  norm_kind norm = norm_kind::euclidean;
  backend used = backend::automatic;  ///< the backend that actually ran
  /// The algorithm that ran: "brute_force", "nanoflann", "kd_tree" or "grid_2d" (the 2-D
  /// max-norm self-query specialisation of the kd_tree backend).
  const char* algorithm = "";
  std::vector<double> distances;
  std::vector<index_t> indices;

  /// Distance from query i to its (j+1)-th nearest neighbour, j = 0..k-1.
  double distance(index_t i, index_t j) const { return distances[static_cast<std::size_t>(i * k + j)]; }
  index_t index(index_t i, index_t j) const { return indices[static_cast<std::size_t>(i * k + j)]; }
  /// Distance to the k-th nearest neighbour.
  double kth_distance(index_t i) const { return distance(i, k - 1); }
};

namespace detail {

template <class = void>
void check_knn_args(index_t n_refs, index_t d, index_t k, bool self, const char* function) {
  require(d >= 1, function, "points must have at least one column (dims=", d, ")");
  require(k >= 1, function, "k must be >= 1 (k=", k, ")");
  if (self)
    require(k <= n_refs - 1, function, "k must be < n, the number of points (k=", k, ", n=", n_refs,
            ")");
  else
    require(k <= n_refs, function, "k must be <= the number of reference points (k=", k,
            ", n=", n_refs, ")");
}

/// Calls f(p0, p1) for the consecutive blocks [p0, p1) of `block` indices covering [0, n), in
/// parallel over blocks (OpenMP, one block at a time per thread). Each block runs on one thread
/// and f writes only its own slots, so results do not depend on the number of threads. f must
/// not throw.
template <class F>
inline void for_each_block(index_t n, index_t block, F&& f) {
  const index_t blocks = (n + block - 1) / block;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
  for (index_t b = 0; b < blocks; ++b) f(b * block, std::min(n, (b + 1) * block));
}

/// Shared driver: refs/queries double row-major; self => queries is refs.
template <class = void>
knn_result run_knn(const row_matrix<double>& refs, const row_matrix<double>& queries,
                   bool self, index_t k, norm_kind norm, backend requested,
                   const char* function) {
  check_knn_args(refs.rows(), refs.cols(), k, self, function);
  require(queries.cols() == refs.cols(), function,
          "queries and points must have the same number of columns (query dims=", queries.cols(),
          ", point dims=", refs.cols(), ")");
  // Every search below assumes finite coordinates (inf - inf in a box test would be NaN).
  check_finite(make_view(refs), function, "points");
  if (!self) check_finite(make_view(queries), function, "queries");
  knn_result out;
  out.n = queries.rows();
  out.k = k;
  out.norm = norm;
  out.used = requested == backend::automatic ? choose_backend(refs.rows(), refs.cols(), norm)
                                             : requested;
  out.distances.resize(static_cast<std::size_t>(out.n * k));
  out.indices.resize(static_cast<std::size_t>(out.n * k));
  const index_t nq = out.n;
  double* dist = out.distances.data();
  index_t* idx = out.indices.data();
  const bool l2 = norm == norm_kind::euclidean;

  if (self && !l2 && refs.cols() == 2 && out.used == backend::kd_tree &&
      refs.rows() >= grid_2d_min_n) {
    out.algorithm = "grid_2d";
    chebyshev_grid_2d(refs).knn_self(k, dist, idx);
  } else if (out.used == backend::brute_force) {
    out.algorithm = "brute_force";
    // L2 only: the references' mean as the centre of the approximate distances, |r - centre|^2
    // per reference and their maximum (detail::brute_l2_block).
    std::vector<double> centre, ref_norms;
    double max_norm = 0.0;
    if (l2) {
      const index_t d = refs.cols();
      centre.assign(static_cast<std::size_t>(d), 0.0);
      for (index_t j = 0; j < refs.rows(); ++j)
        for (index_t t = 0; t < d; ++t) centre[static_cast<std::size_t>(t)] += refs(j, t);
      for (double& c : centre) c /= static_cast<double>(refs.rows());
      ref_norms.resize(static_cast<std::size_t>(refs.rows()));
      for (index_t j = 0; j < refs.rows(); ++j) {
        const double* r = refs.row(j).data();
        double s = 0.0;
        for (index_t t = 0; t < d; ++t) {
          const double c = r[t] - centre[static_cast<std::size_t>(t)];
          s += c * c;
        }
        ref_norms[static_cast<std::size_t>(j)] = s;
        max_norm = std::max(max_norm, s);
      }
    }
    for_each_block(nq, brute_query_block, [&](index_t q0, index_t q1) {
      if (l2)
        brute_l2_block(refs, centre.data(), ref_norms.data(), max_norm, queries, self, q0, q1, k,
                       dist + q0 * k, idx + q0 * k);
      else
        brute_max_block(refs, queries, self, q0, q1, k, dist + q0 * k, idx + q0 * k);
    });
  } else if (l2) {
    out.algorithm = "nanoflann";
    const nanoflann_l2_index index(refs);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 256)
#endif
    for (index_t i = 0; i < nq; ++i)
      index.knn_squared(queries.row(i).data(), k, self ? i : -1, dist + i * k, idx + i * k);
  } else {  // the max norm (L2 took nanoflann above)
    out.algorithm = "kd_tree";
    const kd_tree tree(refs);
    const auto& perm = tree.perm();
    // Self queries run in tree order (cache locality) and read their coordinates from the tree;
    // others in input order. Blocks of 256 queries, one result slot per query.
    for_each_block(nq, 256, [&](index_t p0, index_t p1) {
      std::vector<double> q(static_cast<std::size_t>(refs.cols()));
      for (index_t p = p0; p < p1; ++p) {
        if (self) {
          const index_t i = perm[static_cast<std::size_t>(p)];
          tree.point_at(p, q.data());  // same values as queries.row(i)
          tree.knn_chebyshev(q.data(), k, i, dist + i * k, idx + i * k);
        } else {
          tree.knn_chebyshev(queries.row(p).data(), k, -1, dist + p * k, idx + p * k);
        }
      }
    });
  }
  if (l2)
    for (auto& v : out.distances) v = std::sqrt(v);
  return out;
}

}  // namespace detail

/// Exact k nearest neighbours of every point among the other points (leave-one-out), in the
/// L2 or max norm. points: n x d, double. Errors: d = 0, k < 1, k >= n.
/// Cost: kd-tree ~O(n log n) at low d; brute force O(n^2 d).
template <class = void>
knn_result knn_self(const row_matrix<double>& points, index_t k,
                    norm_kind norm = norm_kind::euclidean, backend b = backend::automatic) {
  return detail::run_knn(points, points, true, k, norm, b, "neighbors::knn_self");
}

/// Exact k nearest reference points of every query (no exclusion). Errors: dims differ,
/// d = 0, k < 1, k > number of references.
template <class = void>
knn_result knn_query(const row_matrix<double>& refs, const row_matrix<double>& queries,
                     index_t k, norm_kind norm = norm_kind::euclidean,
                     backend b = backend::automatic) {
  return detail::run_knn(refs, queries, false, k, norm, b, "neighbors::knn_query");
}

/// knn_self for anything make_view() accepts (converted to double once).
template <class Input>
knn_result knn(const Input& points, index_t k, norm_kind norm = norm_kind::euclidean,
               backend b = backend::automatic) {
  const auto view = make_view(points);
  return knn_self(to_row_matrix<double>(view), k, norm, b);
}

namespace detail {

/// std::partition_point over a[0, n) (pred true, then false) by galloping outward from `hint`
/// and bisecting the last bracket: O(log |answer - hint|) probes, all near the hint.
template <class Pred>
std::size_t partition_point_near(const double* a, std::size_t n, std::size_t hint, Pred pred) {
  hint = std::min(hint, n);
  if (hint < n && pred(a[hint])) {  // answer in (hint, n]
    std::size_t lo = hint + 1;       // pred holds below lo
    std::size_t step = 1;
    for (;;) {
      const std::size_t probe = lo + step - 1;
      if (probe >= n) return static_cast<std::size_t>(std::partition_point(a + lo, a + n, pred) - a);
      if (!pred(a[probe]))
        return static_cast<std::size_t>(std::partition_point(a + lo, a + probe, pred) - a);
      lo = probe + 1;
      step *= 2;
    }
  }
  std::size_t hi = hint;  // answer in [0, hi]: pred fails at hi (or hi == n)
  std::size_t step = 1;
  for (;;) {
    if (hi < step) return static_cast<std::size_t>(std::partition_point(a, a + hi, pred) - a);
    const std::size_t probe = hi - step;
    if (pred(a[probe]))
      return static_cast<std::size_t>(std::partition_point(a + probe + 1, a + hi, pred) - a);
    hi = probe;
    step *= 2;
  }
}

/// partition_point_near, first trying the 64 elements around `hint`: the predicate is counted
/// over that window (a fixed-length loop the compiler vectorises, no dependent branches); a
/// count strictly between 0 and 64 (or touching the array's end) is the partition point,
/// otherwise the search gallops on from the window's edge.
template <class Pred>
std::size_t partition_point_window(const double* a, std::size_t n, std::size_t hint, Pred pred) {
  constexpr std::size_t width = 64;
  if (n >= width) {
    const std::size_t w0 = std::min(hint > width / 2 ? hint - width / 2 : 0, n - width);
    std::size_t inside = 0;
    for (std::size_t t = 0; t < width; ++t) inside += pred(a[w0 + t]) ? 1 : 0;
    if ((inside > 0 || w0 == 0) && (inside < width || w0 + width == n)) return w0 + inside;
    hint = inside == 0 ? w0 : w0 + width;
  }
  return partition_point_near(a, n, hint, pred);
}

}  // namespace detail

/// Range counts over a fixed point set: how many points lie strictly within (or within) a
/// radius of a query. One dimension: a sorted copy (detail::sorted_order, a radix sort) and two
/// partition-point searches with the exact predicate |x_j - q| < r (monotone in sorted x_j, so
/// the count equals a brute-force scan); count_others() predicts each interval from the local
/// density and checks the 64 values around each predicted end (galloping when that misses).
/// More dimensions: infogeo::neighbors::kd_tree with box containment shortcuts, or a brute
/// scan (backend::brute_force, or automatic with n <= brute_force_max_n).
class range_counter {
 public:
  range_counter(const row_matrix<double>& points, norm_kind norm, backend b = backend::automatic)
      : points_(&points), norm_(norm) {
    require(points.cols() >= 1, "neighbors::range_counter",
            "points must have at least one column (dims=", points.cols(), ")");
    check_finite(make_view(points), "neighbors::range_counter", "points");
    if (points.cols() == 1 && b != backend::brute_force) {
      mode_ = mode::sorted;
      const index_t n = points.rows();
      // Sorted by (value, index): a unique order.
      order_ = detail::sorted_order(points.data(), 1, n);
      sorted_.resize(static_cast<std::size_t>(n));
      for (index_t p = 0; p < n; ++p)
        sorted_[static_cast<std::size_t>(p)] = points(order_[static_cast<std::size_t>(p)], 0);
    } else if (b == backend::kd_tree || (b == backend::automatic && points.rows() > brute_force_max_n)) {
      mode_ = mode::tree;
      tree_ = std::make_unique<kd_tree>(points);
    } else {
      mode_ = mode::brute;
    }
  }

  /// Which algorithm is used: "sorted_1d", "kd_tree" or "brute_force".
  const char* algorithm() const {
    return mode_ == mode::sorted ? "sorted_1d" : mode_ == mode::tree ? "kd_tree" : "brute_force";
  }

  /// Number of points p with dist(q, p) < radius (strict) or <= radius; includes a point equal
  /// to the query. In one dimension both norms are |x - q|.
  template <class = void>
  index_t count(const double* q, double radius, bool strict) const {
    constexpr const char* fn = "neighbors::range_counter::count";
    require(!std::isnan(radius), fn, "radius must not be NaN (radius=", radius, ")");
    for (index_t j = 0; j < points_->cols(); ++j)
      require(std::isfinite(q[j]), fn, "query coordinates must be finite (q[", j, "]=", q[j], ")");
    if (mode_ == mode::sorted) {
      std::size_t lo_hint = sorted_.size() / 2;
      std::size_t hi_hint = lo_hint;
      return strict ? count_sorted<true>(q[0], radius, lo_hint, hi_hint)
                    : count_sorted<false>(q[0], radius, lo_hint, hi_hint);
    }
    if (mode_ == mode::tree) return tree_->count_within(q, radius, strict, norm_);
    return brute_count_within(*points_, q, radius, strict, norm_);
  }

  /// For every point i of the set: the number of OTHER points within radii[i] of it (strict or
  /// not). Parallel over points; independent of the thread count.
  template <class = void>
  std::vector<index_t> count_others(const std::vector<double>& radii, bool strict) const {
    const index_t n = points_->rows();
    require(static_cast<index_t>(radii.size()) == n, "neighbors::range_counter::count_others",
            "radii must have one entry per point (radii=", radii.size(), ", n=", n, ")");
    for (std::size_t i = 0; i < radii.size(); ++i)
      require(!std::isnan(radii[i]), "neighbors::range_counter::count_others",
              "radii must not be NaN (radii[", i, "]=", radii[i], ")");
    if (mode_ == mode::sorted)
      return strict ? count_others_sorted<true>(radii) : count_others_sorted<false>(radii);
    std::vector<index_t> counts(static_cast<std::size_t>(n));
    // Queries in tree order (neighbouring queries touch the same memory), in blocks of 256.
    const std::vector<index_t>* order = mode_ == mode::tree ? &tree_->perm() : nullptr;
    detail::for_each_block(n, query_block, [&](index_t p0, index_t p1) {
      std::vector<double> q(static_cast<std::size_t>(points_->cols()));
      double rb[query_block];
      gather_radii(radii, order, p0, p1, rb);
      if (mode_ == mode::tree && norm_ == norm_kind::chebyshev) {
        // Batches of consecutive tree positions share one traversal (kd_tree::count_within_batch).
        index_t cb[query_block];
        for (index_t s = p0; s < p1; s += kd_tree::batch_size) {
          const index_t e = std::min(p1, s + kd_tree::batch_size);
          tree_->count_within_batch(s, e, rb + (s - p0), strict, cb + (s - p0));
        }
        for (index_t p = p0; p < p1; ++p) {
          const double r = rb[p - p0];
          const bool self_inside = strict ? 0.0 < r : 0.0 <= r;
          counts[static_cast<std::size_t>((*order)[static_cast<std::size_t>(p)])] =
              cb[p - p0] - (self_inside ? 1 : 0);
        }
        return;
      }
      for (index_t p = p0; p < p1; ++p) {
        const index_t i = order ? (*order)[static_cast<std::size_t>(p)] : p;
        const double r = rb[p - p0];
        const bool self_inside = strict ? 0.0 < r : 0.0 <= r;
        index_t c = 0;
        if (mode_ == mode::tree) {
          tree_->point_at(p, q.data());  // the query's coordinates, read from the tree
          c = tree_->count_within(q.data(), r, strict, norm_);
        } else {
          c = brute_count_within(*points_, points_->row(i).data(), r, strict, norm_);
        }
        counts[static_cast<std::size_t>(i)] = c - (self_inside ? 1 : 0);
      }
    });
    return counts;
  }

 private:
  // 1-D count: [lo, hi) = the sorted values v with |fl(v - x)| inside the radius. Both
  // predicates are monotone along the sorted array (rounding of v - x is monotone), so the
  // partition points are exact; they are searched around the hints (any hints give the same
  // answer), and the hints are updated to the answer. The predicates use & and | (no
  // short-circuit branch), so the window counts vectorise.
  template <bool Strict>
  index_t count_sorted(double x, double radius, std::size_t& lo_hint, std::size_t& hi_hint) const {
    auto within = [radius](double gap) { return Strict ? gap < radius : gap <= radius; };
    const double* a = sorted_.data();
    const std::size_t hi = detail::partition_point_window(
        a, sorted_.size(), hi_hint, [&](double v) { return (v < x) | within(v - x); });
    const std::size_t lo = detail::partition_point_window(
        a, hi, std::min(lo_hint, hi), [&](double v) { return (v < x) & !within(x - v); });
    lo_hint = lo;
    hi_hint = hi;
    return static_cast<index_t>(hi - lo);
  }

  // count_others() in 1-D: queries in sorted order, in blocks of 256. Each interval's ends are
  // predicted as p -/+ density * radius, the density (points per unit of radius, one side) being
  // a running ratio of the block's earlier counts to radii; hints change the cost, never the
  // result.
  template <bool Strict>
  std::vector<index_t> count_others_sorted(const std::vector<double>& radii) const {
    const index_t n = points_->rows();
    std::vector<index_t> counts(static_cast<std::size_t>(n));
    detail::for_each_block(n, query_block, [&](index_t p0, index_t p1) {
      double rb[query_block];
      gather_radii(radii, &order_, p0, p1, rb);
      double half_counts = 0.0;  // decaying sums of (hi - lo) / 2 and of the radius
      double radius_sum = 0.0;
      for (index_t p = p0; p < p1; ++p) {
        const double r = rb[p - p0];
        const bool usable = r > 0.0 && r < std::numeric_limits<double>::infinity();
        const double reach = usable && radius_sum > 0.0
                                 ? std::min(half_counts / radius_sum * r, static_cast<double>(n))
                                 : 0.0;
        const auto span = static_cast<index_t>(reach);
        auto hi_hint = static_cast<std::size_t>(std::min(n, p + span));
        auto lo_hint = static_cast<std::size_t>(std::max<index_t>(0, p - span));
        const index_t c = count_sorted<Strict>(sorted_[static_cast<std::size_t>(p)], r, lo_hint,
                                               hi_hint);
        if (usable) {
          half_counts = 0.875 * half_counts + 0.5 * static_cast<double>(c);
          radius_sum = 0.875 * radius_sum + r;
        }
        const bool self_inside = Strict ? 0.0 < r : 0.0 <= r;
        counts[static_cast<std::size_t>(order_[static_cast<std::size_t>(p)])] =
            c - (self_inside ? 1 : 0);
      }
    });
    return counts;
  }

  // Queries per parallel block (consecutive in sorted / tree order).
  static constexpr index_t query_block = 256;

  // radii of the points at positions [p0, p1) (order[p] = the point's index; null: p itself),
  // gathered first: the independent loads overlap instead of one cache miss per search.
  static void gather_radii(const std::vector<double>& radii, const std::vector<index_t>* order,
                           index_t p0, index_t p1, double* out) {
    for (index_t p = p0; p < p1; ++p)
      out[p - p0] = radii[static_cast<std::size_t>(order ? (*order)[static_cast<std::size_t>(p)] : p)];
  }

  enum class mode { sorted, tree, brute };
  const row_matrix<double>* points_;
  norm_kind norm_;
  mode mode_ = mode::brute;
  std::vector<double> sorted_;
  std::vector<index_t> order_;  ///< sorted_[p] = point order_[p] (1-D mode)
  std::unique_ptr<kd_tree> tree_;
};

}  // namespace infogeo::neighbors
