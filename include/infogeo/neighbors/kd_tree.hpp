// Exact kd-tree neighbour search for the Euclidean and the max (Chebyshev) norm.
//
// Two trees live here:
//  * nanoflann_l2_index: nanoflann's kd-tree with a distance adaptor that sums squared coordinate
//    differences in a fixed order (the "canonical" squared distance, so every backend returns
//    bit-identical distances) and a result set that orders neighbours by (distance, index).
//    nanoflann's pruning is additive (it sums per-dimension terms), which is right for L2 but
//    not for the max norm.
//  * kd_tree: a compact kd-tree whose nodes keep tight bounding boxes. Pruning uses the exact
//    distance from the query to a node's box in the chosen norm, so it is valid for the max norm
//    (distance to a box = max over coordinates of the per-coordinate gap) as well as for L2. It
//    answers k-NN queries and range counts with strict (<) or non-strict (<=) radius.
//
// Exactness argument for the max norm: for p in a box [lo, hi], fl(p_d - q_d) >= fl(lo_d - q_d)
// when q_d <= lo_d because rounding is monotone, so the computed box distance never exceeds the
// computed distance of any point inside; a box is pruned only if that bound is > the current
// k-th distance (ties are visited), so results equal a brute-force scan exactly. For L2 the
// sum of squared gaps is compared with a relative margin (1e-9) that covers rounding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nanoflann.hpp>
#include <numeric>
#include <utility>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"

namespace infogeo::neighbors {

namespace detail {

/// Canonical squared Euclidean distance: sum_d (a_d - b_d)^2 accumulated in index order.
/// Every backend uses this, so distances agree bit for bit.
inline double squared_l2(const double* a, const double* b, index_t d) {
  double s = 0.0;
  for (index_t j = 0; j < d; ++j) {
    const double diff = a[j] - b[j];
    s += diff * diff;
  }
  return s;
}

/// Max-norm distance max_d |a_d - b_d| (exact up to the rounding of each subtraction).
inline double max_abs_diff(const double* a, const double* b, index_t d) {
  double m = 0.0;
  for (index_t j = 0; j < d; ++j) m = std::max(m, std::abs(a[j] - b[j]));
  return m;
}

/// The distance in the form the searches compare: squared for L2, plain for the max norm.
inline double comparable_distance(const double* a, const double* b, index_t d, norm_kind norm) {
  return norm == norm_kind::chebyshev ? max_abs_diff(a, b, d) : squared_l2(a, b, d);
}

/// Relative slack for L2 box bounds (rounding of a D-term sum is far below this).
inline constexpr double l2_bound_margin = 1e-9;

/// A sorted list of the k best (distance, index) pairs; ties broken by the smaller index, so
/// the neighbour set is a function of the data alone (not of the search order).
class top_k {
 public:
  top_k(index_t k, double* dist, index_t* idx) : k_(k), dist_(dist), idx_(idx) {}
  bool full() const { return count_ == k_; }
  index_t count() const { return count_; }
  /// Current k-th distance (+inf until k points were seen).
  double worst() const {
    return count_ < k_ ? std::numeric_limits<double>::infinity() : dist_[k_ - 1];
  }
  void add(double d, index_t i) {
    if (count_ == k_) {
      const double wd = dist_[k_ - 1];
      if (d > wd || (d == wd && i > idx_[k_ - 1])) return;
    }
    index_t pos = count_ < k_ ? count_++ : k_ - 1;
    while (pos > 0 && (dist_[pos - 1] > d || (dist_[pos - 1] == d && idx_[pos - 1] > i))) {
      dist_[pos] = dist_[pos - 1];
      idx_[pos] = idx_[pos - 1];
      --pos;
    }
    dist_[pos] = d;
    idx_[pos] = i;
  }

 private:
  index_t k_;
  index_t count_ = 0;
  double* dist_;
  index_t* idx_;
};

// ---- nanoflann (Euclidean) ---------------------------------------------------------------------

/// nanoflann dataset adaptor over a row-major double matrix.
struct matrix_dataset {
  const row_matrix<double>* points = nullptr;
  std::size_t kdtree_get_point_count() const { return static_cast<std::size_t>(points->rows()); }
  double kdtree_get_pt(std::size_t i, std::size_t d) const {
    return (*points)(static_cast<index_t>(i), static_cast<index_t>(d));
  }
  template <class BBox>
  bool kdtree_get_bbox(BBox&) const {
    return false;
  }
};

/// nanoflann distance adaptor computing the canonical squared L2 distance.
struct canonical_l2_adaptor {
  using ElementType = double;
  using DistanceType = double;
  const matrix_dataset& data_source;
  explicit canonical_l2_adaptor(const matrix_dataset& source) : data_source(source) {}
  double evalMetric(const double* a, std::size_t b_idx, std::size_t size) const {
    return squared_l2(a, data_source.points->row(static_cast<index_t>(b_idx)).data(),
                      static_cast<index_t>(size));
  }
  template <class U, class V>
  double accum_dist(const U a, const V b, std::size_t) const {
    return (a - b) * (a - b);
  }
};

/// nanoflann result set: exact (distance, index) order, optional excluded index. worstDist()
/// is inflated by a relative margin so that points tied with the k-th (and nodes whose
/// additive bound rounds just above it) are still offered to add(), which decides exactly.
class nanoflann_result_set {
 public:
  nanoflann_result_set(index_t k, index_t skip, double* dist, index_t* idx)
      : best_(k, dist, idx), skip_(skip) {}
  bool full() const { return best_.full(); }
  std::size_t size() const { return static_cast<std::size_t>(best_.count()); }
  bool addPoint(double d, std::size_t index) {
    const auto i = static_cast<index_t>(index);
    if (i != skip_) best_.add(d, i);
    return true;
  }
  double worstDist() const {
    const double w = best_.worst();
    return std::isinf(w) ? std::numeric_limits<double>::max() : w * (1.0 + l2_bound_margin) + 1e-300;
  }

 private:
  top_k best_;
  index_t skip_;
};

// ---- leaf scans ---------------------------------------------------------------------------------

// Distances (comparable units) from q to points [t0, t0 + c) of a leaf block of m points stored
// coordinate-major (coordinate j of point t at blk[j * m + t]); the same operations in the same
// order as max_abs_diff / squared_l2, so the values are bit-identical to the scalar formulas
// (IEEE subtraction, abs, max and sum do not depend on the vector width).
template <bool Cheb>
inline index_t leaf_scan_body(const double* blk, index_t m, index_t d, index_t t0, index_t c,
                              const double* q, double* out, double threshold, bool strict) {
  const double* col = blk + t0;
  const double q0 = q[0];
  for (index_t t = 0; t < c; ++t) {
    const double diff = q0 - col[t];
    out[t] = Cheb ? std::abs(diff) : diff * diff;
  }
  for (index_t j = 1; j < d; ++j) {
    col = blk + j * m + t0;
    const double qj = q[j];
    for (index_t t = 0; t < c; ++t) {
      const double diff = qj - col[t];
      if (Cheb) {
        const double a = std::abs(diff);
        out[t] = out[t] < a ? a : out[t];
      } else {
        out[t] = out[t] + diff * diff;
      }
    }
  }
  index_t inside = 0;
  if (strict)
    for (index_t t = 0; t < c; ++t) inside += out[t] < threshold ? 1 : 0;
  else
    for (index_t t = 0; t < c; ++t) inside += out[t] <= threshold ? 1 : 0;
  return inside;
}

// On x86-64 builds without -mavx2, GCC and Clang compile a second copy of the leaf scan for
// AVX2 and pick it at run time (FMA is not enabled, so the L2 sum is not contracted and stays
// identical to the scalar one).
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(__AVX2__) && \
    !defined(INFOGEO_NO_AVX2_DISPATCH)
#define INFOGEO_NEIGHBORS_AVX2_DISPATCH 1
template <bool Cheb>
__attribute__((target("avx2"), flatten, noinline)) index_t leaf_scan_avx2(
    const double* blk, index_t m, index_t d, index_t t0, index_t c, const double* q, double* out,
    double threshold, bool strict) {
  return leaf_scan_body<Cheb>(blk, m, d, t0, c, q, out, threshold, strict);
}
inline bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

/// Computes the distances (comparable units) from q to points [t0, t0 + c) of a leaf block into
/// out[0, c) and returns how many are < threshold (strict) or <= threshold.
template <bool Cheb>
inline index_t leaf_scan(const double* blk, index_t m, index_t d, index_t t0, index_t c,
                         const double* q, double* out, double threshold, bool strict) {
#ifdef INFOGEO_NEIGHBORS_AVX2_DISPATCH
  if (cpu_has_avx2()) return leaf_scan_avx2<Cheb>(blk, m, d, t0, c, q, out, threshold, strict);
#endif
  return leaf_scan_body<Cheb>(blk, m, d, t0, c, q, out, threshold, strict);
}

/// std::partition_point on a[0, n) (pred true, then false) by counting: first over every 16th
/// element (independent loads, no dependent chain as in a bisection), then inside the one
/// stretch of 15 that holds the boundary. Exact: the count of a true-then-false predicate over
/// a prefix-closed set is its partition point.
template <class Pred>
inline index_t fenced_partition_point(const double* a, index_t n, Pred pred) {
  constexpr index_t step = 16;
  index_t fences = 0;
  for (index_t t = 0; t < n; t += step) fences += pred(a[t]) ? 1 : 0;
  if (fences == 0) return 0;
  const index_t lo = (fences - 1) * step + 1;
  const index_t hi = std::min(n, fences * step);
  index_t at = lo;
  for (index_t t = lo; t < hi; ++t) at += pred(a[t]) ? 1 : 0;
  return at;
}

}  // namespace detail

/// Euclidean k-NN through nanoflann's kd-tree (canonical distances, (distance, index) order).
/// Keeps a pointer to `points`: the matrix must outlive the index.
class nanoflann_l2_index {
 public:
  using tree_type = nanoflann::KDTreeSingleIndexAdaptor<detail::canonical_l2_adaptor,
                                                        detail::matrix_dataset, -1, std::size_t>;

  explicit nanoflann_l2_index(const row_matrix<double>& points, std::size_t leaf_size = 16)
      : data_{&points},
        tree_(static_cast<tree_type::Dimension>(points.cols()), data_,
              nanoflann::KDTreeSingleIndexAdaptorParams(leaf_size)) {}

  index_t size() const { return data_.points->rows(); }
  index_t dims() const { return data_.points->cols(); }

  /// The k nearest points to `query` other than index `skip` (-1: none), sorted by (squared
  /// distance, index); writes squared distances.
  void knn_squared(const double* query, index_t k, index_t skip, double* dist2,
                   index_t* idx) const {
    detail::nanoflann_result_set result(k, skip, dist2, idx);
    tree_.findNeighbors(result, query, nanoflann::SearchParams());
  }

 private:
  detail::matrix_dataset data_;
  tree_type tree_;
};

/// kd-tree with tight per-node bounding boxes; exact k-NN and range counts in the L2 or the
/// max norm. Stores its own copy of the points in tree order, leaf by leaf and coordinate-major
/// inside a leaf (a leaf of m points is m values of coordinate 0, then m of coordinate 1, ...),
/// so a leaf scan is a few dense loops the compiler vectorises. Each per-point distance is
/// computed with the same operations in the same order as the scalar formulas (|a_d - b_d|
/// and max, or the canonical sum of squares), so results stay bit-identical to brute force.
/// Build O(N log N D); memory O(N D).
class kd_tree {
 public:
  explicit kd_tree(const row_matrix<double>& points, index_t leaf_size = 0)
      : n_(points.rows()),
        d_(points.cols()),
        leaf_size_(leaf_size > 0 ? leaf_size : default_leaf_size(points.cols())) {
    require(d_ >= 1, "kd_tree", "points must have at least one column (dims=", d_, ")");
    perm_.resize(static_cast<std::size_t>(n_));
    std::iota(perm_.begin(), perm_.end(), index_t{0});
    // The shape depends on n and the leaf size only (every node of more than leaf_size points is
    // split at its median position), so preorder ids are known in advance and subtrees are
    // built in parallel into their own slots (the result does not depend on the threads).
    nodes_.resize(static_cast<std::size_t>(subtree_nodes(n_)));
    boxes_.resize(nodes_.size() * static_cast<std::size_t>(2 * d_));
    soa_.resize(static_cast<std::size_t>(n_ * d_));
    if (n_ > 0) {
      row_matrix<double> work = points;
#ifdef _OPENMP
#pragma omp parallel if (n_ >= 20000)
#pragma omp single
#endif
      build(work, 0, n_, 0, 0);
    }
  }

  /// Leaf size used when none is given: leaves are scanned with vectorised loops over a sorted
  /// window, so large leaves pay off; measured best (docs/performance_knn.md): 64 points in
  /// 1-2 dimensions, 256 above.
  static index_t default_leaf_size(index_t d) { return d <= 2 ? 64 : 256; }

  index_t size() const { return n_; }
  index_t dims() const { return d_; }
  /// perm()[p] is the original index of the p-th point in tree order (a cache-friendly query
  /// order: consecutive queries then touch the same leaves).
  const std::vector<index_t>& perm() const { return perm_; }

  /// The k nearest points to `query` other than original index `skip` (-1: none), sorted by
  /// (distance, index). Writes comparable distances (squared for L2) and original indices.
  /// Returns how many were found (< k only if the tree holds fewer eligible points).
  index_t knn(const double* query, index_t k, index_t skip, norm_kind norm, double* dist,
              index_t* idx) const {
    detail::top_k best(k, dist, idx);
    if (n_ == 0 || k <= 0) return 0;
    if (norm == norm_kind::chebyshev)
      search<true>(query, skip, best);
    else
      search<false>(query, skip, best);
    return best.count();
  }

  /// Copies the coordinates of the point at tree position p (0 <= p < size()) into out[0, dims()).
  /// Self queries in tree order read their point here: sequential, cache-resident memory.
  void point_at(index_t p, double* out) const {
    index_t lo_pos = 0;
    index_t id = 0;
    // Descend to the leaf holding position p (the leaf blocks start at their begin * d).
    for (;;) {
      const node& nd = nodes_[static_cast<std::size_t>(id)];
      if (nd.right < 0) {
        lo_pos = nd.begin;
        const index_t m = nd.end - nd.begin;
        const double* blk = &soa_[static_cast<std::size_t>(lo_pos * d_)];
        for (index_t j = 0; j < d_; ++j) out[j] = blk[j * m + (p - lo_pos)];
        return;
      }
      id = p < nodes_[static_cast<std::size_t>(id + 1)].end ? id + 1 : nd.right;
    }
  }

  /// Number of points p (all of them, the query's own point included if it is in the tree)
  /// with dist(query, p) < radius (strict) or <= radius. `radius` is a plain distance (not
  /// squared) in either norm; L2 points are compared as sqrt(canonical squared distance).
  /// A node whose box lies inside the query region adds its size without a scan; a node whose
  /// box misses it is skipped; so the cost is O(nodes crossing the boundary).
  index_t count_within(const double* query, double radius, bool strict, norm_kind norm) const {
    if (n_ == 0 || radius < 0.0 || (strict && radius == 0.0 && norm == norm_kind::euclidean))
      return 0;
    return norm == norm_kind::chebyshev ? count_cheb(query, radius, strict)
                                        : count_l2(query, radius, strict);
  }

 private:
  /// Leaf scans run over chunks of this many points (stack buffer of distances).
  static constexpr index_t chunk = 64;

  struct node {
    index_t begin = 0;
    index_t end = 0;
    index_t right = -1;  ///< right child (the left child is id + 1); -1 for a leaf
    index_t axis = 0;    ///< leaf: the coordinate its points are sorted by
  };

  const double* lo(index_t id) const { return &boxes_[static_cast<std::size_t>(2 * id * d_)]; }
  const double* hi(index_t id) const { return lo(id) + d_; }

  // The leaf's points t in [0, m) whose sorted coordinate c[t] (ascending) can satisfy
  // fl(|q - c[t]|) <= r (or < r when strict): [first, last). fl(q - c) is non-increasing and
  // fl(c - q) non-decreasing in c (monotone rounding), so both predicates below are true-then-
  // false along c and the number of points satisfying one is exactly its partition point; the
  // counts are branch-free vector loops (no chain of dependent loads as in a bisection). The
  // same predicate as the distance test decides, so points outside cannot qualify.
  static void window(const double* c, index_t m, double q, double r, bool strict,
                     index_t& first, index_t& last) {
    auto out_below = [&](double v) {  // v < q and too far below
      const double gap = q - v;
      return v < q && (strict ? gap >= r : gap > r);
    };
    auto within_or_below = [&](double v) {  // v <= q or close enough above
      const double gap = v - q;
      return v <= q || (strict ? gap < r : gap <= r);
    };
    first = detail::fenced_partition_point(c, m, out_below);
    last = first + detail::fenced_partition_point(c + first, m - first, within_or_below);
  }

  // Distance from the query to a node's box (comparable units: squared for L2).
  template <bool Cheb>
  double box_lower(index_t id, const double* q) const {
    const double* l = lo(id);
    const double* h = hi(id);
    double acc = 0.0;
    for (index_t j = 0; j < d_; ++j) {
      // At most one of below/above is > 0 (lo <= hi): the gap, or 0 inside the slab.
      const double below = l[j] - q[j];
      const double above = q[j] - h[j];
      double gap = below < above ? above : below;
      gap = gap < 0.0 ? 0.0 : gap;
      if (Cheb)
        acc = acc < gap ? gap : acc;
      else
        acc += gap * gap;
    }
    return acc;
  }

  // search / count_cheb: the traversal compiled twice (default ISA and AVX2, picked at run time);
  // both copies perform the same IEEE operations, so they return identical results.
  template <bool Cheb>
  void search(const double* query, index_t skip, detail::top_k& best) const {
#ifdef INFOGEO_NEIGHBORS_AVX2_DISPATCH
    if (detail::cpu_has_avx2()) {
      search_avx2<Cheb>(query, skip, best);
      return;
    }
#endif
    search_body<Cheb>(query, skip, best);
  }
  index_t count_cheb(const double* query, double radius, bool strict) const {
#ifdef INFOGEO_NEIGHBORS_AVX2_DISPATCH
    if (detail::cpu_has_avx2()) return count_cheb_avx2(query, radius, strict);
#endif
    return count_cheb_body(query, radius, strict);
  }
#ifdef INFOGEO_NEIGHBORS_AVX2_DISPATCH
  template <bool Cheb>
  __attribute__((target("avx2"), flatten, noinline)) void search_avx2(
      const double* query, index_t skip, detail::top_k& best) const {
    search_body<Cheb>(query, skip, best);
  }
  __attribute__((target("avx2"), flatten, noinline)) index_t count_cheb_avx2(
      const double* query, double radius, bool strict) const {
    return count_cheb_body(query, radius, strict);
  }
#endif

  template <bool Cheb>
  void search_body(const double* query, index_t skip, detail::top_k& best) const {
    // L2 boxes are compared with a relative margin (rounding of the sum); leaves decide exactly.
    const double margin = Cheb ? 1.0 : 1.0 + detail::l2_bound_margin;
    struct item {
      index_t node;
      double bound;
    };
    item stack[160];
    int top = 0;
    stack[top++] = item{0, 0.0};
    double buf[chunk];
    while (top > 0) {
      const item it = stack[--top];
      double worst = best.worst();
      if (it.bound > worst * margin) continue;
      const node& nd = nodes_[static_cast<std::size_t>(it.node)];
      if (nd.right < 0) {
        const index_t m = nd.end - nd.begin;
        const double* blk = &soa_[static_cast<std::size_t>(nd.begin * d_)];
        index_t first = 0;
        index_t last = m;
        if (Cheb) window(blk + nd.axis * m, m, query[nd.axis], worst, false, first, last);
        for (index_t t0 = first; t0 < last; t0 += chunk) {
          const index_t c = std::min(chunk, last - t0);
          if (detail::leaf_scan_body<Cheb>(blk, m, d_, t0, c, query, buf, worst, false) == 0) continue;
          for (index_t t = 0; t < c; ++t) {
            if (buf[t] > worst) continue;
            const index_t original = perm_[static_cast<std::size_t>(nd.begin + t0 + t)];
            if (original == skip) continue;
            best.add(buf[t], original);
            worst = best.worst();
          }
        }
        continue;
      }
      const index_t l = it.node + 1;
      const index_t r = nd.right;
      const double bl = box_lower<Cheb>(l, query);
      const double br = box_lower<Cheb>(r, query);
      const double limit = worst * margin;
      // Push the farther child first so that the nearer one is searched first.
      if (bl <= br) {
        if (br <= limit) stack[top++] = item{r, br};
        if (bl <= limit) stack[top++] = item{l, bl};
      } else {
        if (bl <= limit) stack[top++] = item{l, bl};
        if (br <= limit) stack[top++] = item{r, br};
      }
    }
  }

  index_t count_cheb_body(const double* query, double radius, bool strict) const {
    index_t count = 0;
    index_t stack[160];
    int top = 0;
    stack[top++] = 0;
    double buf[chunk];
    while (top > 0) {
      const index_t id = stack[--top];
      const node& nd = nodes_[static_cast<std::size_t>(id)];
      // One pass over the box: disjoint (some coordinate gap outside the radius) or contained
      // (every coordinate's farthest extent inside). Exact by monotone rounding: for p_j in
      // [lo_j, hi_j], fl(q_j - lo_j) >= fl(q_j - p_j) when p_j <= q_j, and so on.
      const double* l = lo(id);
      const double* h = hi(id);
      bool disjoint = false;
      bool contained = true;
      for (index_t j = 0; j < d_; ++j) {
        const double below = query[j] - l[j];  // >= |p_j - q_j| for p_j <= q_j
        const double above = h[j] - query[j];  // >= |p_j - q_j| for p_j >= q_j
        if (strict ? (-above >= radius || -below >= radius) : (-above > radius || -below > radius)) {
          disjoint = true;
          break;
        }
        if (strict ? (below >= radius || above >= radius) : (below > radius || above > radius))
          contained = false;
      }
      if (disjoint) continue;
      if (contained) {
        count += nd.end - nd.begin;
        continue;
      }
      if (nd.right < 0) {
        const index_t m = nd.end - nd.begin;
        const double* blk = &soa_[static_cast<std::size_t>(nd.begin * d_)];
        index_t first = 0;
        index_t last = m;
        window(blk + nd.axis * m, m, query[nd.axis], radius, strict, first, last);
        for (index_t t0 = first; t0 < last; t0 += chunk) {
          const index_t c = std::min(chunk, last - t0);
          count += detail::leaf_scan_body<true>(blk, m, d_, t0, c, query, buf, radius, strict);
        }
        continue;
      }
      stack[top++] = nd.right;
      stack[top++] = id + 1;
    }
    return count;
  }

  index_t count_l2(const double* query, double radius, bool strict) const {
    const double r2 = radius * radius;
    // Box tests in squared units with a relative margin; leaves decide exactly.
    const double prune_above = r2 * (1.0 + detail::l2_bound_margin);
    const double accept_below = r2 * (1.0 - detail::l2_bound_margin);
    index_t count = 0;
    index_t stack[160];
    int top = 0;
    stack[top++] = 0;
    double buf[chunk];
    while (top > 0) {
      const index_t id = stack[--top];
      const node& nd = nodes_[static_cast<std::size_t>(id)];
      if (box_lower<false>(id, query) > prune_above) continue;
      // Largest squared distance from the query to a point of the box.
      const double* l = lo(id);
      const double* h = hi(id);
      double upper = 0.0;
      for (index_t j = 0; j < d_; ++j) {
        const double far = std::max(std::abs(query[j] - l[j]), std::abs(h[j] - query[j]));
        upper += far * far;
      }
      if (upper < accept_below) {
        count += nd.end - nd.begin;
        continue;
      }
      if (nd.right < 0) {
        const index_t m = nd.end - nd.begin;
        const double* blk = &soa_[static_cast<std::size_t>(nd.begin * d_)];
        for (index_t t0 = 0; t0 < m; t0 += chunk) {
          const index_t c = std::min(chunk, m - t0);
          detail::leaf_scan<false>(blk, m, d_, t0, c, query, buf, 0.0, false);
          for (index_t t = 0; t < c; ++t) {
            const double dist = std::sqrt(buf[t]);
            count += strict ? (dist < radius) : (dist <= radius);
          }
        }
        continue;
      }
      stack[top++] = nd.right;
      stack[top++] = id + 1;
    }
    return count;
  }

  // Number of nodes of the subtree over m points.
  index_t subtree_nodes(index_t m) const {
    if (m <= leaf_size_) return 1;
    return 1 + subtree_nodes(m / 2) + subtree_nodes(m - m / 2);
  }

  // Builds the subtree over tree positions [begin, end) as node `id` (preorder: left child
  // id + 1, right child id + 1 + size of the left subtree). `work` holds the points of
  // [begin, end) in tree order (row-major), so every pass is sequential. The top levels run as
  // OpenMP tasks on disjoint ranges and node slots.
  void build(row_matrix<double>& work, index_t begin, index_t end, index_t id, int depth) {
    const index_t m = end - begin;
    nodes_[static_cast<std::size_t>(id)] = node{begin, end, -1, 0};
    double* l = &boxes_[static_cast<std::size_t>(2 * id * d_)];
    double* h = l + d_;
    for (index_t j = 0; j < d_; ++j) {
      l[j] = std::numeric_limits<double>::infinity();
      h[j] = -std::numeric_limits<double>::infinity();
    }
    for (index_t p = begin; p < end; ++p) {
      const double* row = work.row(p).data();
      for (index_t j = 0; j < d_; ++j) {
        l[j] = std::min(l[j], row[j]);
        h[j] = std::max(h[j], row[j]);
      }
    }
    index_t split = 0;
    double spread = -1.0;
    for (index_t j = 0; j < d_; ++j) {
      if (h[j] - l[j] > spread) {
        spread = h[j] - l[j];
        split = j;
      }
    }
    const bool leaf = m <= leaf_size_;
    const index_t mid = begin + m / 2;
    // Reorder [begin, end) by the split coordinate: fully sorted in a leaf (scans then cover a
    // window of it), median-partitioned otherwise. Keys (value, original index) have no ties.
    struct key {
      double value;
      index_t original;
      index_t at;  // position inside [begin, end)
    };
    std::vector<key> keys(static_cast<std::size_t>(m));
    for (index_t t = 0; t < m; ++t)
      keys[static_cast<std::size_t>(t)] = key{work(begin + t, split), perm_[static_cast<std::size_t>(begin + t)], t};
    auto less = [](const key& x, const key& y) {
      return x.value < y.value || (x.value == y.value && x.original < y.original);
    };
    if (leaf)
      std::sort(keys.begin(), keys.end(), less);
    else
      std::nth_element(keys.begin(), keys.begin() + (mid - begin), keys.end(), less);
    {
      std::vector<double> rows(static_cast<std::size_t>(m * d_));
      for (index_t t = 0; t < m; ++t) {
        const key& kt = keys[static_cast<std::size_t>(t)];
        std::copy_n(work.row(begin + kt.at).data(), d_, &rows[static_cast<std::size_t>(t * d_)]);
        perm_[static_cast<std::size_t>(begin + t)] = kt.original;
      }
      std::copy(rows.begin(), rows.end(), work.row(begin).data());
    }
    if (leaf) {
      nodes_[static_cast<std::size_t>(id)].axis = split;
      double* blk = &soa_[static_cast<std::size_t>(begin * d_)];
      for (index_t t = 0; t < m; ++t)
        for (index_t j = 0; j < d_; ++j) blk[j * m + t] = work(begin + t, j);
      return;
    }
    const index_t right = id + 1 + subtree_nodes(mid - begin);
    nodes_[static_cast<std::size_t>(id)].right = right;
#ifdef _OPENMP
#pragma omp task if (depth < 6 && m >= 8192) default(shared)
#endif
    build(work, begin, mid, id + 1, depth + 1);
    build(work, mid, end, right, depth + 1);
#ifdef _OPENMP
#pragma omp taskwait
#endif
  }

  index_t n_;
  index_t d_;
  index_t leaf_size_;
  std::vector<node> nodes_;
  std::vector<double> boxes_;  ///< per node: lo[0..d), hi[0..d)
  std::vector<index_t> perm_;
  std::vector<double> soa_;    ///< points in tree order, leaf blocks coordinate-major
};

}  // namespace infogeo::neighbors
