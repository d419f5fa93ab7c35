// Exact max-norm (Chebyshev) k nearest neighbours of every point of a 2-D set among the others,
// on a grid of cells with quantile boundaries.
//
// Idea: the classic cell (bucket) method for fixed-radius / nearest-neighbour search (Bentley,
// Weide & Yao 1980, "Optimal expected-time algorithms for closest point problems"), with the
// cell boundaries of each axis at sample quantiles so that every column / row holds about the
// same number of points whatever the marginal distributions. Points are stored sorted by cell
// (row-major), so the cells of one grid row are one contiguous stretch. A query scans its own
// cell, then rings of cells at growing Chebyshev cell distance, skipping cells whose gap exceeds
// the current k-th distance, and stops when the gap to the next ring does.
//
// Exactness: a point p in a column left of the query's lies below that column's upper boundary
// b <= q_x, so fl(q_x - p_x) >= fl(q_x - b) (rounding is monotone); likewise on every side. The
// computed gap of a cell or ring therefore never exceeds the computed distance
// max(|fl(q_x - p_x)|, |fl(q_y - p_y)|) (neighbors::detail::max_abs_diff) of any point in it.
// Cells and rings are skipped only when that gap is > the current k-th distance (equal gaps are
// visited) and candidates go through detail::top_k, so distances and (distance, index) order
// equal a brute-force scan bit for bit, for any boundaries (they only change the speed).
//
// Cost: O(n) build (a strided sample of s = 32 cells per axis values sorted, a bucket table for
// the cell lookup, a counting sort by cell); about (2r+1)^2 cells of points_per_cell points per
// query, r = 1 for smooth densities (k-th distance below a cell width), so O(n k) in total. Bad
// cases (heavy ties on one axis, very uneven joint density) are slower, never wrong.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/neighbors/kd_tree.hpp"

namespace infogeo::neighbors {

namespace detail {

/// The cells of one axis: cell c holds the values v with bounds[c] <= v < bounds[c + 1], where
/// bounds[0] = -inf, bounds[cells] = +inf and the interior bounds are strictly increasing
/// quantiles of a strided sample. cell_of() starts from a bucket table (uniform buckets between
/// the first and last interior bound) and steps up to the exact cell.
class quantile_axis {
 public:
  /// values[i * stride], i = 0..n-1, all finite; about `cells_wanted` cells (fewer with ties).
  quantile_axis(const double* values, index_t stride, index_t n, index_t cells_wanted) {
    const index_t samples = std::min(n, 32 * cells_wanted);
    std::vector<double> sample(static_cast<std::size_t>(samples));
    for (index_t s = 0; s < samples; ++s)
      sample[static_cast<std::size_t>(s)] = values[(s * n / samples) * stride];
    std::sort(sample.begin(), sample.end());
    const double inf = std::numeric_limits<double>::infinity();
    bounds_.push_back(-inf);
    for (index_t c = 1; c < cells_wanted; ++c) {
      const double b = sample[static_cast<std::size_t>(c * samples / cells_wanted)];
      if (b > bounds_.back()) bounds_.push_back(b);
    }
    bounds_.push_back(inf);
    cells_ = static_cast<index_t>(bounds_.size()) - 1;

    // Bucket u of v is monotone in v, so v >= every interior bound whose bucket is < u:
    // first_cell_[u] (the number of such bounds) is a lower bound on cell_of(v).
    const index_t buckets = 4 * cells_;
    const double lo = bounds_[1];
    const double half_range = 0.5 * bounds_[static_cast<std::size_t>(cells_ - 1)] - 0.5 * lo;
    half_lo_ = 0.5 * lo;
    scale_ = cells_ > 1 && half_range > 0.0 ? static_cast<double>(buckets) / half_range : 0.0;
    if (!std::isfinite(scale_)) scale_ = 0.0;
    last_bucket_ = buckets - 1;
    first_cell_.assign(static_cast<std::size_t>(buckets), 0);
    index_t below = 0;  // interior bounds (indices 1..below) with bucket < u
    for (index_t u = 0; u < buckets; ++u) {
      while (below + 1 < cells_ && bucket(bounds_[static_cast<std::size_t>(below + 1)]) < u)
        ++below;
      first_cell_[static_cast<std::size_t>(u)] = below;
    }
  }

  index_t cells() const { return cells_; }

  /// The cell holding v: the largest c with bounds[c] <= v.
  index_t cell_of(double v) const {
    index_t c = first_cell_[static_cast<std::size_t>(bucket(v))];
    while (v >= bounds_[static_cast<std::size_t>(c + 1)]) ++c;
    return c;
  }

  /// Lower bound on |fl(q - v)| for every value v in cells < c (+inf when there are none).
  double gap_below(double q, index_t c) const {
    return q - bounds_[static_cast<std::size_t>(std::max<index_t>(c, 0))];
  }
  /// Lower bound on |fl(q - v)| for every value v in cells > c (+inf when there are none).
  double gap_above(double q, index_t c) const {
    return bounds_[static_cast<std::size_t>(std::min(c + 1, cells_))] - q;
  }
  /// Lower bound on |fl(q - v)| for v in cell c, q in cell qc.
  double gap(double q, index_t qc, index_t c) const {
    return c < qc ? gap_below(q, c + 1) : c > qc ? gap_above(q, c - 1) : 0.0;
  }

 private:
  index_t bucket(double v) const {
    const double t = (0.5 * v - half_lo_) * scale_;  // monotone in v
    if (!(t > 0.0)) return 0;
    return t >= static_cast<double>(last_bucket_) ? last_bucket_ : static_cast<index_t>(t);
  }

  std::vector<double> bounds_;
  index_t cells_ = 1;
  double half_lo_ = 0.0;
  double scale_ = 0.0;
  index_t last_bucket_ = 0;
  std::vector<index_t> first_cell_;
};

}  // namespace detail

/// Grid index of a 2-D point set for exact max-norm self k-NN (see the file comment). Copies
/// the points (sorted by cell); the input may be discarded after construction.
class chebyshev_grid_2d {
 public:
  /// Average points per cell the grid aims for (measured, n = 300,000 correlated Gaussian
  /// pairs, k = 3: 2 beat 3, 4 and 6 by 10-30%).
  static constexpr double default_points_per_cell = 2.0;

  /// points: n x 2, finite. Errors: other column counts, non-finite coordinates.
  explicit chebyshev_grid_2d(const row_matrix<double>& points,
                             double points_per_cell = default_points_per_cell)
      : n_(checked_rows(points)),
        x_axis_(points.data(), 2, points.rows(), cells_per_axis(points.rows(), points_per_cell)),
        y_axis_(points.data() + 1, 2, points.rows(), cells_per_axis(points.rows(), points_per_cell)) {
    const index_t cells = x_axis_.cells() * y_axis_.cells();
    std::vector<index_t> cell(static_cast<std::size_t>(n_));
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (index_t i = 0; i < n_; ++i)
      cell[static_cast<std::size_t>(i)] =
          y_axis_.cell_of(points(i, 1)) * x_axis_.cells() + x_axis_.cell_of(points(i, 0));
    // Counting sort by cell, stable (index order inside a cell).
    cell_start_.assign(static_cast<std::size_t>(cells + 1), 0);
    for (index_t c : cell) ++cell_start_[static_cast<std::size_t>(c + 1)];
    for (index_t c = 0; c < cells; ++c)
      cell_start_[static_cast<std::size_t>(c + 1)] += cell_start_[static_cast<std::size_t>(c)];
    xs_.assign(static_cast<std::size_t>(n_ + lanes), 0.0);
    ys_.assign(static_cast<std::size_t>(n_ + lanes), 0.0);
    ids_.resize(static_cast<std::size_t>(n_));
    std::vector<index_t> fill(cell_start_.begin(), cell_start_.end() - 1);
    for (index_t i = 0; i < n_; ++i) {
      const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(cell[static_cast<std::size_t>(i)])]++);
      xs_[slot] = points(i, 0);
      ys_[slot] = points(i, 1);
      ids_[slot] = i;
    }
  }

  index_t size() const { return n_; }

  /// k nearest OTHER points of every point: row i of the n x k outputs (dist, idx) holds point
  /// i's neighbours in (distance, index) order. Parallel over grid rows; thread-independent.
  /// Errors: k < 1, k >= n.
  template <class = void>
  void knn_self(index_t k, double* dist, index_t* idx) const {
    constexpr const char* fn = "neighbors::chebyshev_grid_2d::knn_self";
    require(k >= 1, fn, "k must be >= 1 (k=", k, ")");
    require(k < n_, fn, "k must be < n, the number of points (k=", k, ", n=", n_, ")");
    const index_t gx = x_axis_.cells();
    const index_t gy = y_axis_.cells();
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (index_t cy = 0; cy < gy; ++cy) {
      // The search works on a local list (hot in cache) and copies it out: the output rows are
      // scattered (input order), and top_k reads back what it writes.
      std::vector<double> local_dist(static_cast<std::size_t>(k));
      std::vector<index_t> local_idx(static_cast<std::size_t>(k));
      for (index_t cx = 0; cx < gx; ++cx)
        for (index_t p = start(cx, cy); p < start(cx + 1, cy); ++p) {
          const index_t i = ids_[static_cast<std::size_t>(p)];
          detail::top_k best(k, local_dist.data(), local_idx.data());
          search(xs_[static_cast<std::size_t>(p)], ys_[static_cast<std::size_t>(p)], cx, cy, i,
                 best);
          std::copy(local_dist.begin(), local_dist.end(), dist + i * k);
          std::copy(local_idx.begin(), local_idx.end(), idx + i * k);
        }
    }
  }

 private:
  static constexpr index_t lanes = 4;  ///< distance chunk; xs_, ys_ carry this much padding

  template <class = void>
  static index_t checked_rows(const row_matrix<double>& points) {
    constexpr const char* fn = "neighbors::chebyshev_grid_2d";
    require(points.cols() == 2, fn, "points must have 2 columns (dims=", points.cols(), ")");
    require(points.rows() >= 1, fn, "points must not be empty");
    check_finite(make_view(points), fn, "points");
    return points.rows();
  }

  static index_t cells_per_axis(index_t n, double points_per_cell) {
    const double cells = std::sqrt(static_cast<double>(n) / std::max(points_per_cell, 1.0));
    return std::max<index_t>(1, static_cast<index_t>(cells));
  }

  /// First sorted position of cell (cx, cy); start(gx, cy) == start(0, cy + 1).
  index_t start(index_t cx, index_t cy) const {
    return cell_start_[static_cast<std::size_t>(cy * x_axis_.cells() + cx)];
  }

  /// Offers the points at sorted positions [begin, end) (except `self`) to `best`. Distances
  /// are computed 4 at a time (SSE2 where available) and only the points within the current
  /// k-th distance reach top_k, so the common "too far" case costs one branch per 4 points.
  /// The coordinate arrays carry `lanes` padding values, so the last group may read past end.
  void scan(index_t begin, index_t end, double qx, double qy, index_t self,
            detail::top_k& best) const {
    const double* xs = xs_.data();
    const double* ys = ys_.data();
    for (index_t t0 = begin; t0 < end; t0 += lanes) {
      double d[lanes];
      unsigned near = distances(xs + t0, ys + t0, qx, qy, best.worst(), d);
      if (end - t0 < lanes) near &= (1u << (end - t0)) - 1u;
      for (index_t l = 0; near != 0; ++l, near >>= 1u) {
        const index_t id = ids_[static_cast<std::size_t>(t0 + l)];
        if ((near & 1u) != 0 && id != self) best.add(d[l], id);
      }
    }
  }

  /// d[l] = max-norm distance from (qx, qy) to (xs[l], ys[l]), l < lanes; bit l of the result
  /// is d[l] <= worst. The value is max_abs_diff's max(max(0, |qx - px|), |qy - py|): with
  /// finite coordinates a difference may overflow to +inf but is never NaN, max(0, |a|) is |a|,
  /// and maxpd / the ternary return the larger of two non-NaN values (equal ones are identical).
  static unsigned distances(const double* xs, const double* ys, double qx, double qy,
                            double worst, double* d) {
#ifdef __SSE2__
    const __m128d sign = _mm_set1_pd(-0.0);
    const __m128d vqx = _mm_set1_pd(qx);
    const __m128d vqy = _mm_set1_pd(qy);
    const __m128d vworst = _mm_set1_pd(worst);
    unsigned near = 0;
    for (index_t l = 0; l < lanes; l += 2) {
      const __m128d ax = _mm_andnot_pd(sign, _mm_sub_pd(vqx, _mm_loadu_pd(xs + l)));
      const __m128d ay = _mm_andnot_pd(sign, _mm_sub_pd(vqy, _mm_loadu_pd(ys + l)));
      const __m128d dist = _mm_max_pd(ax, ay);
      _mm_storeu_pd(d + l, dist);
      near |= static_cast<unsigned>(_mm_movemask_pd(_mm_cmple_pd(dist, vworst))) << l;
    }
    return near;
#else
    unsigned near = 0;
    for (index_t l = 0; l < lanes; ++l) {
      const double ax = std::abs(qx - xs[l]);
      const double ay = std::abs(qy - ys[l]);
      d[l] = ax < ay ? ay : ax;
      near |= (d[l] <= worst ? 1u : 0u) << l;
    }
    return near;
#endif
  }

  /// Scans the cells [c0, c1] of grid row `row` that may hold a point within the current k-th
  /// distance (their x gap, and the row's y gap, not above it).
  void scan_row(index_t row, index_t c0, index_t c1, double qx, double qy, index_t cx,
                index_t cy, index_t self, detail::top_k& best) const {
    if (y_axis_.gap(qy, cy, row) > best.worst()) return;
    while (c0 <= c1 && x_axis_.gap(qx, cx, c0) > best.worst()) ++c0;
    while (c1 >= c0 && x_axis_.gap(qx, cx, c1) > best.worst()) --c1;
    if (c0 <= c1) scan(start(c0, row), start(c1 + 1, row), qx, qy, self, best);
  }

  void search(double qx, double qy, index_t cx, index_t cy, index_t self,
              detail::top_k& best) const {
    const index_t gx = x_axis_.cells();
    const index_t gy = y_axis_.cells();
    // The 3 x 3 cells around the query's, its own grid row first (one contiguous stretch),
    // then the nearer adjacent row: the k-th distance shrinks early and prunes more.
    const index_t c0 = std::max<index_t>(cx - 1, 0);
    const index_t c1 = std::min(cx + 1, gx - 1);
    scan_row(cy, c0, c1, qx, qy, cx, cy, self, best);
    const bool below_first = y_axis_.gap_below(qy, cy) <= y_axis_.gap_above(qy, cy);
    const index_t near_row = below_first ? cy - 1 : cy + 1;
    const index_t far_row = below_first ? cy + 1 : cy - 1;
    if (near_row >= 0 && near_row < gy) scan_row(near_row, c0, c1, qx, qy, cx, cy, self, best);
    if (far_row >= 0 && far_row < gy) scan_row(far_row, c0, c1, qx, qy, cx, cy, self, best);
    for (index_t r = 2;; ++r) {
      if (cx - r < 0 && cx + r >= gx && cy - r < 0 && cy + r >= gy) return;
      const double ring_gap =
          std::min(std::min(x_axis_.gap_below(qx, cx - r + 1), x_axis_.gap_above(qx, cx + r - 1)),
                   std::min(y_axis_.gap_below(qy, cy - r + 1), y_axis_.gap_above(qy, cy + r - 1)));
      if (ring_gap > best.worst()) return;
      const index_t ring_c0 = std::max<index_t>(cx - r, 0);
      const index_t ring_c1 = std::min(cx + r, gx - 1);
      if (cy - r >= 0) scan_row(cy - r, ring_c0, ring_c1, qx, qy, cx, cy, self, best);
      if (cy + r < gy) scan_row(cy + r, ring_c0, ring_c1, qx, qy, cx, cy, self, best);
      for (index_t row = std::max<index_t>(cy - r + 1, 0); row <= std::min(cy + r - 1, gy - 1);
           ++row) {
        if (cx - r >= 0) scan_row(row, cx - r, cx - r, qx, qy, cx, cy, self, best);
        if (cx + r < gx) scan_row(row, cx + r, cx + r, qx, qy, cx, cy, self, best);
      }
    }
  }

  index_t n_;
  detail::quantile_axis x_axis_;
  detail::quantile_axis y_axis_;
  std::vector<index_t> cell_start_;  ///< points of cell c at sorted positions [start[c], start[c+1])
  std::vector<double> xs_;
  std::vector<double> ys_;
  std::vector<index_t> ids_;  ///< original index of each sorted position
};

}  // namespace infogeo::neighbors
