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
/// max norm. Stores its own copy of the points in tree order (leaves are contiguous).
/// Build O(N log N D); memory O(N D).
class kd_tree {
 public:
  explicit kd_tree(const row_matrix<double>& points, index_t leaf_size = 12)
      : n_(points.rows()), d_(points.cols()), leaf_size_(std::max<index_t>(leaf_size, 1)) {
    require(d_ >= 1, "kd_tree", "points must have at least one column (dims=", d_, ")");
    perm_.resize(static_cast<std::size_t>(n_));
    std::iota(perm_.begin(), perm_.end(), index_t{0});
    nodes_.reserve(static_cast<std::size_t>(2 * (n_ / leaf_size_ + 1)));
    if (n_ > 0) build(points, 0, n_);
    pts_.resize(n_, d_);
    for (index_t i = 0; i < n_; ++i) pts_.row(i) = points.row(perm_[static_cast<std::size_t>(i)]);
  }

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
    const bool cheb = norm == norm_kind::chebyshev;
    const double margin = cheb ? 1.0 : 1.0 + detail::l2_bound_margin;
    struct item {
      index_t node;
      double bound;
    };
    item stack[128];
    int top = 0;
    stack[top++] = item{0, 0.0};
    while (top > 0) {
      const item it = stack[--top];
      if (it.bound > best.worst() * margin) continue;
      const node& nd = nodes_[static_cast<std::size_t>(it.node)];
      if (nd.left < 0) {
        for (index_t p = nd.begin; p < nd.end; ++p) {
          const double* row = pts_.row(p).data();
          double dd;
          if (cheb) {
            // Early exit: once one coordinate exceeds the k-th distance the point cannot enter.
            const double worst = best.worst();
            dd = 0.0;
            index_t j = 0;
            for (; j < d_ && dd <= worst; ++j) dd = std::max(dd, std::abs(query[j] - row[j]));
            if (dd > worst) continue;
          } else {
            dd = detail::squared_l2(query, row, d_);
          }
          const index_t original = perm_[static_cast<std::size_t>(p)];
          if (original != skip) best.add(dd, original);
        }
        continue;
      }
      const double bl = box_lower(nd.left, query, cheb);
      const double br = box_lower(nd.right, query, cheb);
      // Push the farther child first so that the nearer one is searched first.
      if (bl <= br) {
        stack[top++] = item{nd.right, br};
        stack[top++] = item{nd.left, bl};
      } else {
        stack[top++] = item{nd.left, bl};
        stack[top++] = item{nd.right, br};
      }
    }
    return best.count();
  }

  /// Number of points p (all of them, the query's own point included if it is in the tree)
  /// with dist(query, p) < radius (strict) or <= radius. `radius` is a plain distance (not
  /// squared) in either norm; L2 points are compared as sqrt(canonical squared distance).
  index_t count_within(const double* query, double radius, bool strict, norm_kind norm) const {
    if (n_ == 0 || radius < 0.0 || (strict && radius == 0.0 && norm == norm_kind::euclidean))
      return 0;
    const bool cheb = norm == norm_kind::chebyshev;
    const double r2 = radius * radius;
    // Box tests in comparable units; L2 uses a relative margin and decides leaves exactly.
    const double prune_above = cheb ? radius : r2 * (1.0 + detail::l2_bound_margin);
    const double accept_below = cheb ? radius : r2 * (1.0 - detail::l2_bound_margin);
    index_t count = 0;
    index_t stack[128];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const index_t id = stack[--top];
      const node& nd = nodes_[static_cast<std::size_t>(id)];
      if (cheb) {
        // One pass over the box: disjoint (some coordinate gap outside the radius) or
        // contained (every coordinate's farthest extent inside). Exact by monotone rounding.
        const double* lo = &lo_[static_cast<std::size_t>(id * d_)];
        const double* hi = &hi_[static_cast<std::size_t>(id * d_)];
        bool disjoint = false;
        bool contained = true;
        for (index_t j = 0; j < d_; ++j) {
          const double below = query[j] - lo[j];  // >= |p_j - q_j| for p_j <= q_j
          const double above = hi[j] - query[j];  // >= |p_j - q_j| for p_j >= q_j
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
        if (nd.left < 0) {
          for (index_t p = nd.begin; p < nd.end; ++p) {
            const double* row = pts_.row(p).data();
            index_t j = 0;
            if (strict) {
              while (j < d_ && std::abs(query[j] - row[j]) < radius) ++j;
            } else {
              while (j < d_ && std::abs(query[j] - row[j]) <= radius) ++j;
            }
            count += j == d_;
          }
          continue;
        }
      } else {
        const double lower = box_lower(id, query, false);
        if (lower > prune_above) continue;
        const double upper = box_upper(id, query, false);
        if (upper < accept_below) {
          count += nd.end - nd.begin;
          continue;
        }
        if (nd.left < 0) {
          for (index_t p = nd.begin; p < nd.end; ++p) {
            const double dist = std::sqrt(detail::squared_l2(query, pts_.row(p).data(), d_));
            count += strict ? (dist < radius) : (dist <= radius);
          }
          continue;
        }
      }
      stack[top++] = nd.right;
      stack[top++] = nd.left;
    }
    return count;
  }

 private:
  struct node {
    index_t begin = 0;
    index_t end = 0;
    index_t left = -1;  ///< -1 for a leaf
    index_t right = -1;
  };

  // Distance from the query to a node's box (comparable units).
  double box_lower(index_t id, const double* q, bool cheb) const {
    const double* lo = &lo_[static_cast<std::size_t>(id * d_)];
    const double* hi = &hi_[static_cast<std::size_t>(id * d_)];
    double acc = 0.0;
    for (index_t j = 0; j < d_; ++j) {
      double gap = 0.0;
      if (q[j] < lo[j])
        gap = lo[j] - q[j];
      else if (q[j] > hi[j])
        gap = q[j] - hi[j];
      acc = cheb ? std::max(acc, gap) : acc + gap * gap;
    }
    return acc;
  }
  // Largest distance from the query to a point of the box (comparable units).
  double box_upper(index_t id, const double* q, bool cheb) const {
    const double* lo = &lo_[static_cast<std::size_t>(id * d_)];
    const double* hi = &hi_[static_cast<std::size_t>(id * d_)];
    double acc = 0.0;
    for (index_t j = 0; j < d_; ++j) {
      const double far = std::max(std::abs(q[j] - lo[j]), std::abs(hi[j] - q[j]));
      acc = cheb ? std::max(acc, far) : acc + far * far;
    }
    return acc;
  }

  index_t build(const row_matrix<double>& points, index_t begin, index_t end) {
    const index_t id = static_cast<index_t>(nodes_.size());
    nodes_.push_back(node{begin, end, -1, -1});
    lo_.resize(static_cast<std::size_t>((id + 1) * d_));
    hi_.resize(static_cast<std::size_t>((id + 1) * d_));
    double* lo = &lo_[static_cast<std::size_t>(id * d_)];
    double* hi = &hi_[static_cast<std::size_t>(id * d_)];
    for (index_t j = 0; j < d_; ++j) {
      lo[j] = std::numeric_limits<double>::infinity();
      hi[j] = -std::numeric_limits<double>::infinity();
    }
    for (index_t p = begin; p < end; ++p) {
      const double* row = points.row(perm_[static_cast<std::size_t>(p)]).data();
      for (index_t j = 0; j < d_; ++j) {
        lo[j] = std::min(lo[j], row[j]);
        hi[j] = std::max(hi[j], row[j]);
      }
    }
    if (end - begin <= leaf_size_) return id;
    index_t split = 0;
    double spread = -1.0;
    for (index_t j = 0; j < d_; ++j) {
      if (hi[j] - lo[j] > spread) {
        spread = hi[j] - lo[j];
        split = j;
      }
    }
    if (!(spread > 0.0)) return id;  // all points identical: keep as one leaf
    const index_t mid = begin + (end - begin) / 2;
    auto first = perm_.begin() + begin;
    std::nth_element(first, perm_.begin() + mid, perm_.begin() + end,
                     [&](index_t a, index_t b) { return points(a, split) < points(b, split); });
    const index_t left = build(points, begin, mid);
    const index_t right = build(points, mid, end);
    nodes_[static_cast<std::size_t>(id)].left = left;
    nodes_[static_cast<std::size_t>(id)].right = right;
    return id;
  }

  index_t n_;
  index_t d_;
  index_t leaf_size_;
  std::vector<node> nodes_;
  std::vector<double> lo_;
  std::vector<double> hi_;
  std::vector<index_t> perm_;
  row_matrix<double> pts_;
};

}  // namespace infogeo::neighbors
