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
#include <cstring>
#include <limits>
#include <nanoflann.hpp>
// SSE2 only (_mm_movemask_pd): GCC's <immintrin.h> alone costs ~1 s of every TU that includes it
// (every AVX-512 intrinsic behind a target pragma). The AVX form uses the compiler builtin the
// intrinsic wraps; the AVX-512 form is only compiled where AVX-512 is on, and Eigen then includes
// <immintrin.h> anyway.
#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#endif
#include <numeric>
#include <type_traits>
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

// ---- micro-blocks: the unit of every vectorised distance computation -------------------------

/// Points per micro-block. The kd_tree stores its points in blocks of this many (coordinate-
/// major inside a block) and keeps a bounding box per block; 8 doubles are one AVX-512 register,
/// two AVX2 or four SSE2 ones. Lane sets are passed around as 8-bit masks.
inline constexpr index_t micro_block = 8;
inline constexpr unsigned all_lanes = (1u << micro_block) - 1;

/// Bits of the lanes t < n.
inline unsigned first_lanes(index_t n) {
  return n >= micro_block ? all_lanes : (1u << static_cast<unsigned>(n)) - 1u;
}

/// One value per lane of a micro-block (a plain array: no vector type crosses a function
/// boundary, so there is no ABI dependence on the instruction set).
struct lanes {
  double v[micro_block];
};

/// A group of micro_block micro-boxes against a max-norm query region: the boxes wholly inside
/// and the boxes crossing the boundary (to be scanned), one bit per box.
struct group_relation {
  unsigned contained = 0;
  unsigned crossing = 0;
};

/// Index of the lowest set bit of a non-zero mask.
inline int lowest_bit(unsigned bits) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctz(bits);
#else
  int t = 0;
  while ((bits & 1u) == 0) {
    bits >>= 1;
    ++t;
  }
  return t;
#endif
}

/// Number of set bits.
inline index_t bit_count(unsigned bits) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_popcount(bits);
#else
  index_t c = 0;
  for (; bits != 0; bits &= bits - 1) ++c;
  return c;
#endif
}

// With GCC and Clang the lane loops are written with vector extensions in the target's native
// width (Bytes: 16 for SSE2/NEON, 32 for AVX2, 64 for AVX-512), a micro-block being
// micro_block / (Bytes / 8) vectors ("parts", unrolled at compile time). This compiles to SIMD
// at any optimisation level (compilers otherwise unroll the 8-lane loops and fail to vectorise
// them, and GCC lowers vectors wider than the target poorly). Other compilers get scalar
// loops. Both perform the same IEEE operations lane by lane, so the results are identical.
#if defined(__AVX512F__)
inline constexpr int native_vector_bytes = 64;
#elif defined(__AVX__)
inline constexpr int native_vector_bytes = 32;
#else
inline constexpr int native_vector_bytes = 16;
#endif

// The search kernels and traversals are forced inline so that they are compiled inside the
// AVX2 entry points below (GCC's `flatten` inlines recursively, Clang's does not: without this,
// Clang compiled them for the baseline ISA, emulating 32-byte vectors with SSE pairs and calling
// the AVX movemask out of line -- the counts ran 2.3x slower than with GCC).
#if defined(__GNUC__) || defined(__clang__)
#define INFOGEO_NEIGHBORS_INLINE __attribute__((always_inline)) inline
#define INFOGEO_NEIGHBORS_INLINE_LAMBDA __attribute__((always_inline))
#else
#define INFOGEO_NEIGHBORS_INLINE inline
#define INFOGEO_NEIGHBORS_INLINE_LAMBDA
#endif

/// Calls f(std::integral_constant<index_t, h>) for h = 0, ..., N - 1 (unrolled).
template <class F, index_t... H>
INFOGEO_NEIGHBORS_INLINE void for_each_part(F&& f, std::integer_sequence<index_t, H...>) {
  (f(std::integral_constant<index_t, H>{}), ...);
}

#if defined(__GNUC__) || defined(__clang__)
#define INFOGEO_NEIGHBORS_VECTOR_EXT 1
template <int Bytes>
struct simd_types;
#define INFOGEO_NEIGHBORS_SIMD_TYPES(B)                        \
  template <>                                                  \
  struct simd_types<B> {                                       \
    typedef double vec __attribute__((vector_size(B)));        \
    typedef std::int64_t mask __attribute__((vector_size(B))); \
  };
INFOGEO_NEIGHBORS_SIMD_TYPES(16)
INFOGEO_NEIGHBORS_SIMD_TYPES(32)
INFOGEO_NEIGHBORS_SIMD_TYPES(64)
#undef INFOGEO_NEIGHBORS_SIMD_TYPES

// Lane mask -> bits: one instruction on x86 (movmskpd / vtestmq), a lane loop elsewhere. The
// 32- and 64-byte forms carry their target so that they compile in any translation unit; they
// are only called from code built for that target.
#if defined(__x86_64__) || defined(__i386__)
inline unsigned mask_bits(const simd_types<16>::mask& m) {
  return static_cast<unsigned>(_mm_movemask_pd(reinterpret_cast<__m128d>(m)));
}
// (__builtin_ia32_movmskpd256 is what _mm256_movemask_pd calls, in GCC and Clang alike.)
__attribute__((target("avx"))) inline unsigned mask_bits(const simd_types<32>::mask& m) {
  return static_cast<unsigned>(__builtin_ia32_movmskpd256(reinterpret_cast<simd_types<32>::vec>(m)));
}
#if defined(__AVX512F__)
__attribute__((target("avx512f"))) inline unsigned mask_bits(const simd_types<64>::mask& m) {
  const __m512i v = reinterpret_cast<__m512i>(m);
  return static_cast<unsigned>(_mm512_test_epi64_mask(v, v));
}
#endif
#else
template <class Mask>
inline unsigned mask_bits(const Mask& m) {
  unsigned out = 0;
  for (index_t t = 0; t < static_cast<index_t>(sizeof(Mask) / sizeof(std::int64_t)); ++t)
    out |= (m[t] != 0 ? 1u : 0u) << t;
  return out;
}
#endif

/// A micro-block's lanes as `parts` vectors of `width` doubles. Helpers take vectors by
/// reference: a vector passed by value would make the ABI depend on the instruction set.
template <int Bytes>
struct simd {
  using vec = typename simd_types<Bytes>::vec;
  using mask = typename simd_types<Bytes>::mask;
  static constexpr index_t width = Bytes / static_cast<int>(sizeof(double));
  static constexpr index_t parts = micro_block / width;
  using part_indices = std::make_integer_sequence<index_t, parts>;

  INFOGEO_NEIGHBORS_INLINE static void load(vec& v, const double* p) { std::memcpy(&v, p, sizeof v); }
  // Calls f(h, l, u, q_j) for every coordinate j and part h, l and u being part h of row j of
  // two box arrays (layout of micro_box_lower).
  template <class F>
  INFOGEO_NEIGHBORS_INLINE static void for_each_box_part(const double* lo, const double* hi, index_t stride, index_t d,
                                const double* q, F&& f) {
    for (index_t j = 0; j < d; ++j) {
      const double qj = q[j];
      for_each_part([&](auto h) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
        vec l;
        vec u;
        load(l, lo + j * stride + h * width);
        load(u, hi + j * stride + h * width);
        f(h, l, u, qj);
      }, part_indices{});
    }
  }
  // |x| by clearing the sign bit (exactly std::abs, -0 included).
  INFOGEO_NEIGHBORS_INLINE static void make_abs(vec& x) {
    x = reinterpret_cast<vec>(reinterpret_cast<mask>(x) & std::numeric_limits<std::int64_t>::max());
  }
  // Bits (h * width + t) for the true lanes t of part h.
  INFOGEO_NEIGHBORS_INLINE static unsigned bits(const mask& m, index_t h) {
    return mask_bits(m) << static_cast<unsigned>(h * width);
  }
};
#endif

/// Distances (comparable units: plain for the max norm, squared for L2) from q to the points of
/// a micro-block stored coordinate-major (coordinate j of lane t at blk[j * micro_block + t]).
/// The operations and their order are those of max_abs_diff / squared_l2 (IEEE subtraction,
/// abs, max and sum do not depend on the vector width), so the values are bit-identical to the
/// scalar formulas.
template <bool Cheb, int Bytes>
INFOGEO_NEIGHBORS_INLINE lanes micro_distances(const double* blk, index_t d, const double* q) {
  lanes out;
#ifdef INFOGEO_NEIGHBORS_VECTOR_EXT
  using S = simd<Bytes>;
  typename S::vec acc[S::parts];
  for_each_part([&](auto h) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
    typename S::vec x;
    S::load(x, blk + h * S::width);
    typename S::vec diff = q[0] - x;
    if (Cheb)
      S::make_abs(diff);
    else
      diff = diff * diff;
    acc[h] = diff;
  }, typename S::part_indices{});
  for (index_t j = 1; j < d; ++j) {
    const double qj = q[j];
    const double* col = blk + j * micro_block;
    for_each_part([&](auto h) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
      typename S::vec x;
      S::load(x, col + h * S::width);
      typename S::vec diff = qj - x;
      if (Cheb) {
        S::make_abs(diff);
        acc[h] = acc[h] < diff ? diff : acc[h];
      } else {
        acc[h] = acc[h] + diff * diff;
      }
    }, typename S::part_indices{});
  }
  std::memcpy(out.v, acc, sizeof acc);
#else
  for (index_t t = 0; t < micro_block; ++t) {
    const double diff = q[0] - blk[t];
    out.v[t] = Cheb ? std::abs(diff) : diff * diff;
  }
  for (index_t j = 1; j < d; ++j)
    for (index_t t = 0; t < micro_block; ++t) {
      const double diff = q[j] - blk[j * micro_block + t];
      out.v[t] = Cheb ? (out.v[t] < std::abs(diff) ? std::abs(diff) : out.v[t]) : out.v[t] + diff * diff;
    }
#endif
  return out;
}

/// Distances (comparable units) from q to micro_block consecutive boxes stored coordinate-major
/// with row stride `stride` (lo of box u in coordinate j at lo[j * stride + u]): max (or sum of
/// squares) over coordinates of the gap outside [lo, hi], 0 inside. A lower bound of the
/// distance to every point of the box (monotone rounding for the max norm; L2 callers compare
/// with a relative margin). An empty box (lo = +inf, hi = -inf) is at +inf.
template <bool Cheb, int Bytes>
INFOGEO_NEIGHBORS_INLINE lanes micro_box_lower(const double* lo, const double* hi, index_t stride, index_t d,
                             const double* q) {
  lanes out;
#ifdef INFOGEO_NEIGHBORS_VECTOR_EXT
  using S = simd<Bytes>;
  typename S::vec acc[S::parts] = {};
  S::for_each_box_part(lo, hi, stride, d, q, [&](auto h, const auto& l, const auto& u, double qj) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
    const typename S::vec below = l - qj;
    const typename S::vec above = qj - u;
    const typename S::vec zero = {};
    typename S::vec gap = below < above ? above : below;
    gap = gap < zero ? zero : gap;
    if (Cheb)
      acc[h] = acc[h] < gap ? gap : acc[h];
    else
      acc[h] = acc[h] + gap * gap;
  });
  std::memcpy(out.v, acc, sizeof acc);
#else
  for (index_t t = 0; t < micro_block; ++t) out.v[t] = 0.0;
  for (index_t j = 0; j < d; ++j)
    for (index_t t = 0; t < micro_block; ++t) {
      const double below = lo[j * stride + t] - q[j];
      const double above = q[j] - hi[j * stride + t];
      double gap = below < above ? above : below;
      gap = gap < 0.0 ? 0.0 : gap;
      out.v[t] = Cheb ? (out.v[t] < gap ? gap : out.v[t]) : out.v[t] + gap * gap;
    }
#endif
  return out;
}

/// Max-norm lower bounds from single-precision copies of micro_block consecutive boxes
/// (layout of micro_box_lower with stride micro_block; values relative to a centre c) for a
/// query q (relative to c, rounded to float): max over coordinates of the gap outside
/// [lo, hi], 0 inside. Half the bytes of the double boxes and twice the lanes per vector: the
/// searches' box tests are memory-bound. Not exact by itself: the boxes are rounded outward and
/// kd_tree adds an absolute slack that covers the rounding of q and of the gaps (see
/// kd_tree::filter_slack), so a box is pruned only if every point in it is farther than the
/// current k-th distance; the points are then compared in double. Empty boxes are at +inf.
template <int Bytes>
INFOGEO_NEIGHBORS_INLINE lanes micro_box_lower_float(const float* lo, const float* hi, index_t d, const float* q) {
  lanes out;
#ifdef INFOGEO_NEIGHBORS_VECTOR_EXT
  constexpr int vb = Bytes > 32 ? 32 : Bytes;  // 8 floats at most: one chunk of boxes
  typedef float vec __attribute__((vector_size(vb)));
  constexpr index_t width = vb / static_cast<int>(sizeof(float));
  constexpr index_t parts = micro_block / width;
  vec acc[parts] = {};
  for (index_t j = 0; j < d; ++j) {
    const float qj = q[j];
    for_each_part([&](auto h) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
      vec l;
      vec u;
      std::memcpy(&l, lo + j * micro_block + h * width, sizeof l);
      std::memcpy(&u, hi + j * micro_block + h * width, sizeof u);
      const vec below = l - qj;
      const vec above = qj - u;
      const vec gap = below < above ? above : below;
      acc[h] = acc[h] < gap ? gap : acc[h];  // acc starts at 0: negative gaps count as 0
    }, std::make_integer_sequence<index_t, parts>{});
  }
  float v[micro_block];
  std::memcpy(v, acc, sizeof v);
  for (index_t t = 0; t < micro_block; ++t) out.v[t] = v[t];
#else
  for (index_t t = 0; t < micro_block; ++t) {
    float acc = 0.0f;
    for (index_t j = 0; j < d; ++j) {
      const float below = lo[j * micro_block + t] - q[j];
      const float above = q[j] - hi[j * micro_block + t];
      const float gap = below < above ? above : below;
      acc = acc < gap ? gap : acc;
    }
    out.v[t] = acc;
  }
#endif
  return out;
}

/// Max-norm range test of micro_block consecutive boxes (layout as micro_box_lower) against
/// the query region {p : max_j |p_j - q_j| < r} (Strict) or <= r. Exact by monotone rounding:
/// for p_j in [lo_j, hi_j], fl(q_j - lo_j) >= fl(q_j - p_j) when p_j <= q_j and
/// fl(hi_j - q_j) >= fl(p_j - q_j) when p_j >= q_j. An empty box is outside. Branch-free.
template <bool Strict, int Bytes>
INFOGEO_NEIGHBORS_INLINE group_relation micro_box_relation(const double* lo, const double* hi, index_t stride,
                                         index_t d, const double* q, double r) {
  group_relation rel;
#ifdef INFOGEO_NEIGHBORS_VECTOR_EXT
  using S = simd<Bytes>;
  typename S::mask outside[S::parts] = {};
  typename S::mask crossing[S::parts] = {};
  S::for_each_box_part(lo, hi, stride, d, q, [&](auto h, const auto& l, const auto& u, double qj) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
    const typename S::vec below = qj - l;  // >= |p_j - q_j| for p_j <= q_j
    const typename S::vec above = u - qj;  // >= |p_j - q_j| for p_j >= q_j
    const typename S::vec near = below < above ? below : above;  // minus the gap if outside
    const typename S::vec far = below < above ? above : below;
    if (Strict) {
      outside[h] |= -near >= r;
      crossing[h] |= far >= r;
    } else {
      outside[h] |= -near > r;
      crossing[h] |= far > r;
    }
  });
  for_each_part([&](auto h) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
    rel.contained |= S::bits(~outside[h] & ~crossing[h], h);
    rel.crossing |= S::bits(~outside[h] & crossing[h], h);
  }, typename S::part_indices{});
#else
  for (index_t t = 0; t < micro_block; ++t) {
    bool outside = false;
    bool crossing = false;
    for (index_t j = 0; j < d; ++j) {
      const double below = q[j] - lo[j * stride + t];
      const double above = hi[j * stride + t] - q[j];
      const double near = below < above ? below : above;
      const double far = below < above ? above : below;
      outside = outside || (Strict ? -near >= r : -near > r);
      crossing = crossing || (Strict ? far >= r : far > r);
    }
    if (!outside) (crossing ? rel.crossing : rel.contained) |= 1u << t;
  }
#endif
  return rel;
}

/// Bit t set for every lane t with dist < r (Strict) or dist <= r.
template <bool Strict, int Bytes>
INFOGEO_NEIGHBORS_INLINE unsigned lanes_within(const lanes& dist, double r) {
#ifdef INFOGEO_NEIGHBORS_VECTOR_EXT
  using S = simd<Bytes>;
  unsigned out = 0;
  for_each_part([&](auto h) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
    typename S::vec v;
    S::load(v, dist.v + h * S::width);
    out |= S::bits(Strict ? v < r : v <= r, h);
  }, typename S::part_indices{});
  return out;
#else
  unsigned bits = 0;
  for (index_t t = 0; t < micro_block; ++t)
    bits |= ((Strict ? dist.v[t] < r : dist.v[t] <= r) ? 1u : 0u) << t;
  return bits;
#endif
}

// On x86-64 builds without -mavx2, GCC and Clang compile a second copy of the searches for AVX2
// and pick it at run time (FMA is not enabled, so the L2 sum is not contracted and stays
// identical to the scalar one). -DINFOGEO_NO_AVX2_DISPATCH turns this off.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(__AVX2__) && \
    !defined(INFOGEO_NO_AVX2_DISPATCH)
#define INFOGEO_NEIGHBORS_AVX2_DISPATCH 1
inline bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

}  // namespace detail

/// Euclidean k-NN through nanoflann's kd-tree (canonical distances, (distance, index) order).
/// Keeps a pointer to `points`: the matrix must outlive the index.
class nanoflann_l2_index {
 public:
  using tree_type = nanoflann::KDTreeSingleIndexAdaptor<detail::canonical_l2_adaptor,
                                                        detail::matrix_dataset, -1, std::size_t>;

  // A template (of nothing) so that nanoflann's index build is compiled only in TUs that construct
  // one, not in every TU that includes this header (0.8 s of the umbrella TU).
  template <class = void>
  explicit nanoflann_l2_index(const row_matrix<double>& points, std::size_t leaf_size = 16)
      : data_{&points},
        tree_(static_cast<tree_type::Dimension>(points.cols()), data_,
              nanoflann::KDTreeSingleIndexAdaptorParams(leaf_size)) {}

  index_t size() const { return data_.points->rows(); }
  index_t dims() const { return data_.points->cols(); }

  /// The k nearest points to `query` other than index `skip` (-1: none), sorted by (squared
  /// distance, index); writes squared distances.
  template <class = void>
  void knn_squared(const double* query, index_t k, index_t skip, double* dist2,
                   index_t* idx) const {
    detail::nanoflann_result_set result(k, skip, dist2, idx);
    tree_.findNeighbors(result, query, nanoflann::SearchParams());
  }

 private:
  detail::matrix_dataset data_;
  tree_type tree_;
};

/// kd-tree with tight bounding boxes at three levels; exact k-NN and range counts in the L2 or
/// the max norm.
///  * Nodes split the widest coordinate near the median (at a multiple of 64 tree positions)
///    until a node holds at most the bucket size (leaf_size, at least 64); every node keeps its
///    bounding box, and pruning uses the exact distance from the query to a box in the chosen
///    norm.
///  * Inside a bucket the points are split further, the same way, into groups of 64 and those
///    into micro-blocks of detail::micro_block points (8), each with its own box. Every split
///    falls on a multiple of 8 tree positions, so every micro-block but the last is full and
///    position p lives in block p / 8. A bucket reached by a search tests its group boxes, then the
///    micro-boxes of the groups that can contribute, 8 boxes per vector operation, and scans
///    (vectorised) only the micro-blocks that can contribute: the pruning of a tree with leaves
///    of 8 at the traversal cost of a tree with large leaves.
/// Points are stored in tree order, each micro-block coordinate-major (8 values of coordinate 0,
/// then 8 of coordinate 1, ...), padded with +inf. Each per-point distance is computed with the
/// same operations in the same order as the scalar formulas (|a_d - b_d| and max, or the
/// canonical sum of squares), so results are bit-identical to brute force.
/// Build O(N log N D); memory O(N D).
class kd_tree {
 public:
  static constexpr index_t block = detail::micro_block;
  /// Points per group: a bucket's micro-blocks come in groups of micro_block, each with its own
  /// box, tested (vectorised) before the micro-boxes inside it.
  static constexpr index_t group_points = block * block;
  /// Most queries per count_within_batch() call (one micro-block).
  static constexpr index_t batch_size = detail::micro_block;
  static constexpr index_t stack_dims = 64;  ///< batch points up to this dimension live on the stack

  /// Builds the tree over a copy of `points`. leaf_size is the bucket size (0: default_leaf_size;
  /// raised to group_points = 64). Same tree for any number of threads.
  explicit kd_tree(const row_matrix<double>& points, index_t leaf_size = 0)
      : n_(points.rows()),
        d_(points.cols()),
        bucket_(std::max(group_points, leaf_size > 0 ? leaf_size : default_leaf_size(points.cols()))) {
    require(d_ >= 1, "kd_tree", "points must have at least one column (dims=", d_, ")");
    const index_t blocks = (n_ + block - 1) / block;
    chunks_ = (blocks + block - 1) / block + 1;  // one spare chunk of empty boxes
    perm_.resize(static_cast<std::size_t>(n_));
    std::iota(perm_.begin(), perm_.end(), index_t{0});
    // The shape depends on n and the bucket size only, so preorder ids are known in advance
    // and subtrees are built in parallel into their own slots (the result does not depend on
    // the threads).
    nodes_.resize(static_cast<std::size_t>(subtree_nodes(n_)));
    boxes_.resize(nodes_.size() * static_cast<std::size_t>(2 * d_));
    soa_.assign(static_cast<std::size_t>(blocks * block * d_), std::numeric_limits<double>::infinity());
    block_boxes_ = empty_chunks();
    group_boxes_ = empty_chunks();
    block_size_.assign(static_cast<std::size_t>(chunks_ * block), 0);
    if (n_ > 0) {
      row_matrix<double> work = points;
#ifdef _OPENMP
#pragma omp parallel if (n_ >= 20000)
#pragma omp single
#endif
      build(work, 0, n_, 0, 0);
    }
    build_float_boxes();
  }

  /// Bucket size used when none is given (measured best, docs/performance_knn.md).
  static index_t default_leaf_size(index_t d) { return d <= 2 ? 64 : 1024; }

  index_t size() const { return n_; }
  index_t dims() const { return d_; }
  /// perm()[p] is the original index of the p-th point in tree order (a cache-friendly query
  /// order: consecutive queries then touch the same buckets).
  const std::vector<index_t>& perm() const { return perm_; }

  /// The k nearest points to `query` other than original index `skip` (-1: none), sorted by
  /// (distance, index). Writes comparable distances (squared for L2) and original indices.
  /// Returns how many were found (< k only if the tree holds fewer eligible points).
  index_t knn(const double* query, index_t k, index_t skip, norm_kind norm, double* dist,
              index_t* idx) const {
    return norm == norm_kind::chebyshev ? knn_in<true>(query, k, skip, dist, idx)
                                        : knn_in<false>(query, k, skip, dist, idx);
  }
  /// knn() in the max norm: callers that only search in the max norm (neighbors::knn_self's tree
  /// backend) compile only the max-norm search (each search is two large copies, default ISA and AVX2).
  index_t knn_chebyshev(const double* query, index_t k, index_t skip, double* dist, index_t* idx) const {
    return knn_in<true>(query, k, skip, dist, idx);
  }

  /// Copies the coordinates of the point at tree position p (0 <= p < size()) into out[0, dims()).
  /// Self queries in tree order read their point here: sequential, cache-resident memory.
  void point_at(index_t p, double* out) const {
    const double* blk = block_points(p / block);
    for (index_t j = 0; j < d_; ++j) out[j] = blk[j * block + p % block];
  }

  /// Number of points p (all of them, the query's own point included if it is in the tree)
  /// with dist(query, p) < radius (strict) or <= radius. `radius` is a plain distance (not
  /// squared) in either norm; L2 points are compared as sqrt(canonical squared distance).
  /// A box (node or micro-block) inside the query region adds its size without a scan; a box
  /// that misses it is skipped; so the cost is O(boxes crossing the boundary).
  template <class = void>
  index_t count_within(const double* query, double radius, bool strict, norm_kind norm) const {
    require(!std::isnan(radius), "kd_tree::count_within", "radius must not be NaN (radius=", radius, ")");
    if (n_ == 0 || radius < 0.0 || (strict && radius == 0.0 && norm == norm_kind::euclidean))
      return 0;
    if (norm == norm_kind::euclidean) return count_l2(query, radius, strict);
    index_t count = 0;
    count_cheb(query, 1, &radius, strict, &count);
    return count;
  }

  /// Max-norm counts for the tree's own points at positions [p0, p1) (at most batch_size of
  /// them, ideally consecutive: they are then close together): counts[t] = number of points p
  /// with dist(point at p0 + t, p) < radii[t] (strict) or <= radii[t], the point itself
  /// included. Equal to count_within() per point. The batch shares one traversal (a node
  /// outside every query's region, or inside all of them, is settled once for all), and each
  /// bucket is processed for all its queries in turn while its boxes and points are in cache.
  template <class = void>
  void count_within_batch(index_t p0, index_t p1, const double* radii, bool strict,
                          index_t* counts) const {
    require(p0 >= 0 && p1 <= n_ && p1 - p0 >= 0 && p1 - p0 <= batch_size,
            "kd_tree::count_within_batch", "positions must be a range of at most ", batch_size,
            " tree positions (p0=", p0, ", p1=", p1, ", n=", n_, ")");
    for (index_t t = 0; t < p1 - p0; ++t)
      require(!std::isnan(radii[t]), "kd_tree::count_within_batch", "radii must not be NaN (radii[", t, "]=", radii[t], ")");
    double q[batch_size * stack_dims];
    std::vector<double> heap;
    double* points = q;
    if (d_ > stack_dims) {
      heap.resize(static_cast<std::size_t>(batch_size * d_));
      points = heap.data();
    }
    for (index_t t = 0; t < p1 - p0; ++t) point_at(p0 + t, points + t * d_);
    count_cheb(points, p1 - p0, radii, strict, counts);
  }

 private:
  template <bool Cheb>
  index_t knn_in(const double* query, index_t k, index_t skip, double* dist, index_t* idx) const {
    detail::top_k best(k, dist, idx);
    if (n_ == 0 || k <= 0) return 0;
    search<Cheb>(query, skip, best);
    return best.count();
  }

  struct node {
    index_t begin = 0;
    index_t end = 0;
    index_t right = -1;  ///< right child (the left child is id + 1); -1 for a bucket
  };

  const double* lo(index_t id) const { return &boxes_[static_cast<std::size_t>(2 * id * d_)]; }
  const double* hi(index_t id) const { return lo(id) + d_; }
  const double* block_points(index_t g) const { return &soa_[static_cast<std::size_t>(g * block * d_)]; }
  // Boxes are stored in chunks of micro_block consecutive slots (slot = micro-block index, or
  // g0 + i for group i of the bucket whose first block is g0; buckets start at multiples of
  // group_points, so g0 is a multiple of micro_block): one chunk is lo[j][u] for every
  // coordinate j and lane u, then hi[j][u] -- contiguous memory, lane stride 1, row stride 8.
  static constexpr index_t box_stride = detail::micro_block;
  std::size_t chunk_size() const { return static_cast<std::size_t>(2 * d_ * block); }
  std::vector<double> empty_chunks() const {
    std::vector<double> v(static_cast<std::size_t>(chunks_) * chunk_size());
    for (index_t c = 0; c < chunks_; ++c) {
      double* lo_c = &v[static_cast<std::size_t>(c) * chunk_size()];
      std::fill(lo_c, lo_c + d_ * block, std::numeric_limits<double>::infinity());
      std::fill(lo_c + d_ * block, lo_c + 2 * d_ * block, -std::numeric_limits<double>::infinity());
    }
    return v;
  }
  // Lower corners of the chunk starting at `slot` (a multiple of micro_block); upper corners
  // follow at + d * micro_block.
  template <class T>
  const T* chunk_lo(const std::vector<T>& boxes, index_t slot) const {
    return &boxes[static_cast<std::size_t>(slot / block) * chunk_size()];
  }
  double& box_at(std::vector<double>& boxes, index_t slot, index_t j, bool upper) {
    return boxes[static_cast<std::size_t>(slot / block) * chunk_size() +
                 static_cast<std::size_t>(((upper ? d_ : 0) + j) * block + slot % block)];
  }

  // Distance from the query to a node's box (comparable units: squared for L2).
  template <bool Cheb>
  INFOGEO_NEIGHBORS_INLINE double box_lower(index_t id, const double* q) const {
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
    search_body<Cheb, detail::native_vector_bytes>(query, skip, best);
  }
  // Max-norm counts of m queries (rows of d in q) with radii[0, m) (not NaN) into counts.
  void count_cheb(const double* q, index_t m, const double* radii, bool strict, index_t* counts) const {
#ifdef INFOGEO_NEIGHBORS_AVX2_DISPATCH
    if (detail::cpu_has_avx2()) {
      count_cheb_avx2(q, m, radii, strict, counts);
      return;
    }
#endif
    count_cheb_body<detail::native_vector_bytes>(q, m, radii, strict, counts);
  }
#ifdef INFOGEO_NEIGHBORS_AVX2_DISPATCH
  template <bool Cheb>
  __attribute__((target("avx2"), flatten, noinline)) void search_avx2(
      const double* query, index_t skip, detail::top_k& best) const {
    search_body<Cheb, 32>(query, skip, best);
  }
  __attribute__((target("avx2"), flatten, noinline)) void count_cheb_avx2(
      const double* q, index_t m, const double* radii, bool strict, index_t* counts) const {
    count_cheb_body<32>(q, m, radii, strict, counts);
  }
#endif

  // k-NN inside one bucket: the groups, then the micro-boxes of each group, within the
  // current bound are visited nearest first (bounds re-checked as the k-th distance shrinks).
  struct candidate {
    double bound;
    index_t at;
  };
  // The lanes of `bits` with their bounds, sorted by (bound, lane): at most micro_block.
  INFOGEO_NEIGHBORS_INLINE static index_t sorted_candidates(unsigned bits, const detail::lanes& bounds, index_t base,
                                   candidate* out) {
    index_t nc = 0;
    for (; bits != 0; bits &= bits - 1) {
      const int u = detail::lowest_bit(bits);
      index_t pos = nc++;
      while (pos > 0 && out[pos - 1].bound > bounds.v[u]) {
        out[pos] = out[pos - 1];
        --pos;
      }
      out[pos] = candidate{bounds.v[u], base + u};
    }
    return nc;
  }

  // A box is pruned when its lower bound exceeds limit(current k-th distance): worst * scale +
  // slack. scale covers the rounding of L2 sums (1 + l2_bound_margin), slack that of the float
  // boxes (filter_slack); the max norm with double boxes uses worst itself.
  struct prune_rule {
    double scale = 1.0;
    double slack = 0.0;
    double limit(double worst) const { return worst * scale + slack; }
  };

  // Lower bounds of the 8 boxes of the chunk at `slot` of a box level (groups or micro-blocks):
  // from the float copy when the query has one (qf != nullptr, max norm only), else exact.
  template <bool Cheb, int Bytes>
  INFOGEO_NEIGHBORS_INLINE detail::lanes chunk_bounds(const std::vector<double>& boxes, const std::vector<float>& boxes_float,
                             index_t slot, const double* query, const float* qf) const {
    if (Cheb && qf != nullptr) {
      const float* l = chunk_lo(boxes_float, slot);
      return detail::micro_box_lower_float<Bytes>(l, l + d_ * block, d_, qf);
    }
    const double* l = chunk_lo(boxes, slot);
    return detail::micro_box_lower<Cheb, Bytes>(l, l + d_ * block, box_stride, d_, query);
  }

  template <bool Cheb, int Bytes>
  INFOGEO_NEIGHBORS_INLINE void search_bucket(const node& nd, const double* query, const float* qf, index_t skip,
                     const prune_rule& rule, detail::top_k& best) const {
    const index_t g0 = nd.begin / block;
    const index_t g1 = (nd.end + block - 1) / block;
    const index_t groups = (g1 - g0 + block - 1) / block;
    for (index_t c0 = 0; c0 < groups; c0 += block) {
      const detail::lanes glb = chunk_bounds<Cheb, Bytes>(group_boxes_, group_boxes_float_, g0 + c0, query, qf);
      candidate gc[detail::micro_block];
      const index_t ng = sorted_candidates(
          detail::lanes_within<false, Bytes>(glb, rule.limit(best.worst())) & detail::first_lanes(groups - c0),
          glb, c0, gc);
      for (index_t a = 0; a < ng; ++a) {
        if (gc[a].bound > rule.limit(best.worst())) break;  // sorted: the rest are farther
        const index_t first = g0 + gc[a].at * block;       // the group's micro-blocks
        const detail::lanes lb = chunk_bounds<Cheb, Bytes>(block_boxes_, block_boxes_float_, first, query, qf);
        candidate mc[detail::micro_block];
        const index_t nm = sorted_candidates(
            detail::lanes_within<false, Bytes>(lb, rule.limit(best.worst())) & detail::first_lanes(g1 - first),
            lb, first, mc);
        for (index_t c = 0; c < nm; ++c) {
          double worst = best.worst();
          if (mc[c].bound > rule.limit(worst)) break;
          const index_t g = mc[c].at;
          const detail::lanes dist = detail::micro_distances<Cheb, Bytes>(block_points(g), d_, query);
          const index_t size = block_size_[static_cast<std::size_t>(g)];
          for (unsigned bits = detail::lanes_within<false, Bytes>(dist, worst) & detail::first_lanes(size);
               bits != 0; bits &= bits - 1) {
            const int t = detail::lowest_bit(bits);
            if (dist.v[t] > worst) continue;  // the k-th distance shrank meanwhile
            const index_t original = perm_[static_cast<std::size_t>(g * block + t)];
            if (original == skip) continue;
            best.add(dist.v[t], original);
            worst = best.worst();
          }
        }
      }
    }
  }

  template <bool Cheb, int Bytes>
  INFOGEO_NEIGHBORS_INLINE void search_body(const double* query, index_t skip, detail::top_k& best) const {
    // L2 boxes are compared with a relative margin (rounding of the sum); max-norm bucket boxes
    // in float with an absolute slack; points decide exactly.
    prune_rule rule;
    float qf_stack[stack_dims];
    std::vector<float> qf_heap;
    float* qf = qf_stack;
    if (d_ > stack_dims) {
      qf_heap.resize(static_cast<std::size_t>(d_));
      qf = qf_heap.data();
    }
    if (!Cheb)
      rule.scale = 1.0 + detail::l2_bound_margin;
    else if (!float_query(query, qf, rule.slack))
      qf = nullptr;
    struct item {
      index_t node;
      double bound;
    };
    item stack[160];
    int top = 0;
    stack[top++] = item{0, 0.0};
    while (top > 0) {
      const item it = stack[--top];
      const double worst = best.worst();
      if (it.bound > rule.limit(worst)) continue;
      const node& nd = nodes_[static_cast<std::size_t>(it.node)];
      if (nd.right < 0) {
        search_bucket<Cheb, Bytes>(nd, query, qf, skip, rule, best);
        continue;
      }
      const index_t l = it.node + 1;
      const index_t r = nd.right;
      const double bl = box_lower<Cheb>(l, query);
      const double br = box_lower<Cheb>(r, query);
      const double limit = rule.limit(worst);
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

  // The query relative to the float boxes' centre, rounded to float, and the slack that makes
  // float box bounds safe (see filter_slack). False (use the double boxes) when the offsets
  // are too large for float.
  INFOGEO_NEIGHBORS_INLINE bool float_query(const double* query, float* qf, double& slack) const {
    if (block_boxes_float_.empty()) return false;
    double offset = 0.0;
    for (index_t j = 0; j < d_; ++j)
      offset = std::max(offset, std::abs(query[j] - centre_[static_cast<std::size_t>(j)]));
    if (!(extent_ + offset < float_limit)) return false;  // (a double beyond FLT_MAX has no float)
    for (index_t j = 0; j < d_; ++j)
      qf[j] = static_cast<float>(query[j] - centre_[static_cast<std::size_t>(j)]);
    slack = filter_slack(offset);
    return true;
  }

  // The float boxes are used when float_floor <= extent_ and extent_ + |q - c| < float_limit:
  // far below FLT_MAX, and far enough above the subnormal floats, whose absolute rounding
  // error (up to 2^-150) the relative slack would not cover.
  static constexpr double float_limit = 1e30;
  static constexpr double float_floor = 1e-30;

  // Absolute error bound of a float box bound relative to the exact gap, for a query whose
  // coordinates are within `offset` of the centre (tree points within extent_): with
  // u = 2^-24 and E = extent_ + offset, rounding q - c to float moves the gap by <= u E, the
  // float subtraction by <= u (2E), the double rounding of box - c and of the points' own
  // distances by far less (2^-53 E); 2^-21 E = 8 u E covers the sum with room to spare, and
  // with E >= float_floor it also covers the absolute error of subnormal results (<= 2^-150
  // each). So bound > worst + slack implies every point of the box is farther than worst.
  double filter_slack(double offset) const { return std::ldexp(extent_ + offset, -21); }

  // Single-precision copies of the group and micro-block boxes relative to the centre of the
  // root box, rounded outward (lower corners down, upper corners up): the max-norm searches
  // test these first. Not built when the data's extent is outside [float_floor, float_limit).
  void build_float_boxes() {
    if (n_ == 0) return;
    centre_.resize(static_cast<std::size_t>(d_));
    extent_ = 0.0;
    for (index_t j = 0; j < d_; ++j) {
      const double c = lo(0)[j] + (hi(0)[j] - lo(0)[j]) / 2.0;
      centre_[static_cast<std::size_t>(j)] = c;
      extent_ = std::max({extent_, hi(0)[j] - c, c - lo(0)[j]});
    }
    if (!(extent_ < float_limit) || extent_ < float_floor) return;
    const auto convert = [&](const std::vector<double>& boxes, std::vector<float>& out) {
      out.resize(boxes.size());
      for (std::size_t at = 0; at < boxes.size(); ++at) {
        const auto within = static_cast<index_t>(at % chunk_size());  // (upper, j, lane) in the chunk
        const bool upper = within >= d_ * block;
        const index_t j = (within / block) % d_;
        const double v = boxes[at] - centre_[static_cast<std::size_t>(j)];
        float f = static_cast<float>(v);
        if (!upper && static_cast<double>(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
        if (upper && static_cast<double>(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
        out[at] = f;
      }
    };
    convert(block_boxes_, block_boxes_float_);
    convert(group_boxes_, group_boxes_float_);
  }

  // Max-norm count inside one bucket: contained groups and micro-blocks add their size,
  // crossing groups are split into micro-blocks, crossing micro-blocks are scanned.
  template <bool Strict, int Bytes>
  INFOGEO_NEIGHBORS_INLINE index_t count_bucket_cheb(const node& nd, const double* query, double radius) const {
    const index_t g0 = nd.begin / block;
    const index_t g1 = (nd.end + block - 1) / block;
    const index_t groups = (g1 - g0 + block - 1) / block;
    index_t count = 0;
    for (index_t c0 = 0; c0 < groups; c0 += block) {
      const detail::group_relation grel = detail::micro_box_relation<Strict, Bytes>(
          chunk_lo(group_boxes_, g0 + c0), chunk_lo(group_boxes_, g0 + c0) + d_ * block, box_stride, d_,
          query, radius);
      const unsigned gvalid = detail::first_lanes(groups - c0);
      for (unsigned gbits = grel.contained & gvalid; gbits != 0; gbits &= gbits - 1) {
        const index_t first = nd.begin + (c0 + detail::lowest_bit(gbits)) * group_points;
        count += std::min(nd.end, first + group_points) - first;
      }
      for (unsigned gbits = grel.crossing & gvalid; gbits != 0; gbits &= gbits - 1) {
        const index_t g = g0 + (c0 + detail::lowest_bit(gbits)) * block;  // the group's blocks
        const detail::group_relation rel = detail::micro_box_relation<Strict, Bytes>(
            chunk_lo(block_boxes_, g), chunk_lo(block_boxes_, g) + d_ * block, box_stride, d_, query,
            radius);
        const unsigned valid = detail::first_lanes(g1 - g);
        for (unsigned bits = rel.contained & valid; bits != 0; bits &= bits - 1)
          count += block_size_[static_cast<std::size_t>(g + detail::lowest_bit(bits))];
        for (unsigned bits = rel.crossing & valid; bits != 0; bits &= bits - 1) {
          const index_t u = g + detail::lowest_bit(bits);
          const detail::lanes dist = detail::micro_distances<true, Bytes>(block_points(u), d_, query);
          // Padding lanes (+inf coordinates) are masked by the block's size as well.
          count += detail::bit_count(detail::lanes_within<Strict, Bytes>(dist, radius) &
                                     detail::first_lanes(block_size_[static_cast<std::size_t>(u)]));
        }
      }
    }
    return count;
  }

  // Max-norm relation of node `id` to the region within `radius` of every point of the box
  // [qlo, qhi] (a single query: qlo = qhi = q), for radii between rmin and rmax: -1 = outside
  // for every query, 1 = inside for every query, 0 = undecided. Exact by monotone rounding:
  // for q_j in [qlo_j, qhi_j] and p_j in [lo_j, hi_j], fl(lo_j - qhi_j) <= fl(p_j - q_j) and
  // fl(hi_j - qlo_j) >= fl(p_j - q_j) (and symmetrically), so `gap` never exceeds a point's
  // distance and `far` is never below it. Branch-free over the coordinates.
  INFOGEO_NEIGHBORS_INLINE int node_relation(index_t id, const double* qlo, const double* qhi, double rmin, double rmax,
                    bool strict) const {
    const double* l = lo(id);
    const double* h = hi(id);
    double gap = -std::numeric_limits<double>::infinity();  // max_j of the separation
    double far = 0.0;                                        // max_j of the farthest extent
    for (index_t j = 0; j < d_; ++j) {
      const double below = l[j] - qhi[j];  // > 0: the node lies above every query
      const double above = qlo[j] - h[j];  // > 0: the node lies below every query
      const double up = h[j] - qlo[j];
      const double down = qhi[j] - l[j];
      const double sep = below < above ? above : below;
      const double ext = up < down ? down : up;
      gap = gap < sep ? sep : gap;
      far = far < ext ? ext : far;
    }
    if (strict ? gap >= rmax : gap > rmax) return -1;
    if (strict ? far < rmin : far <= rmin) return 1;
    return 0;
  }

  // The counts of m queries share one traversal: a node outside every query's region (or
  // inside all of them) is settled once, and each remaining bucket is processed for the queries
  // in turn while its boxes and points are in cache.
  template <int Bytes>
  INFOGEO_NEIGHBORS_INLINE void count_cheb_body(const double* q, index_t m, const double* radii, bool strict,
                       index_t* counts) const {
    if (m == 0) return;
    double box_stack[2 * stack_dims];
    std::vector<double> box_heap;
    double* qlo = box_stack;
    if (d_ > stack_dims) {
      box_heap.resize(static_cast<std::size_t>(2 * d_));
      qlo = box_heap.data();
    }
    double* qhi = qlo + d_;
    for (index_t j = 0; j < d_; ++j) {
      qlo[j] = std::numeric_limits<double>::infinity();
      qhi[j] = -std::numeric_limits<double>::infinity();
    }
    for (index_t t = 0; t < m; ++t)
      for (index_t j = 0; j < d_; ++j) {
        qlo[j] = std::min(qlo[j], q[t * d_ + j]);
        qhi[j] = std::max(qhi[j], q[t * d_ + j]);
      }
    double rmin = std::numeric_limits<double>::infinity();
    double rmax = -std::numeric_limits<double>::infinity();
    for (index_t t = 0; t < m; ++t) {
      rmin = std::min(rmin, radii[t]);
      rmax = std::max(rmax, radii[t]);
      counts[t] = 0;
    }
    if (rmax < 0.0) return;  // no radius admits a point (count_within() returns 0)
    walk_counts([&](index_t id) INFOGEO_NEIGHBORS_INLINE_LAMBDA { return node_relation(id, qlo, qhi, rmin, rmax, strict); },
                [&](const node& nd) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
                  for (index_t t = 0; t < m; ++t) counts[t] += radii[t] < 0.0 ? 0 : nd.end - nd.begin;
                },
                [&](index_t id, const node& nd) INFOGEO_NEIGHBORS_INLINE_LAMBDA {
                  // Each query in turn (the bucket's boxes and points stay in cache).
                  for (index_t t = 0; t < m; ++t) {
                    const double* qt = q + t * d_;
                    const double r = radii[t];
                    if (r < 0.0) continue;
                    const int one = node_relation(id, qt, qt, r, r, strict);
                    if (one < 0) continue;
                    if (one > 0)
                      counts[t] += nd.end - nd.begin;
                    else
                      counts[t] += strict ? count_bucket_cheb<true, Bytes>(nd, qt, r)
                                          : count_bucket_cheb<false, Bytes>(nd, qt, r);
                  }
                });
  }

  // Depth-first walk of the range counts: relation(id) < 0 skips node id's subtree, > 0 hands
  // the whole node to whole(node), 0 descends; a bucket reached so goes to bucket(id, node).
  template <class Relation, class Whole, class Bucket>
  INFOGEO_NEIGHBORS_INLINE void walk_counts(Relation&& relation, Whole&& whole, Bucket&& bucket) const {
    index_t stack[160];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const index_t id = stack[--top];
      const node& nd = nodes_[static_cast<std::size_t>(id)];
      const int rel = relation(id);
      if (rel < 0) continue;
      if (rel > 0) {
        whole(nd);
        continue;
      }
      if (nd.right >= 0) {
        stack[top++] = nd.right;
        stack[top++] = id + 1;
        continue;
      }
      bucket(id, nd);
    }
  }

  // L2 counts (not on a hot path of the estimators): node boxes, then every micro-block of a
  // crossing bucket is scanned.
  index_t count_l2(const double* query, double radius, bool strict) const {
    const double r2 = radius * radius;
    // Box tests in squared units with a relative margin; points decide exactly.
    const double prune_above = r2 * (1.0 + detail::l2_bound_margin);
    const double accept_below = r2 * (1.0 - detail::l2_bound_margin);
    index_t count = 0;
    walk_counts(
        [&](index_t id) {
          if (box_lower<false>(id, query) > prune_above) return -1;
          // Largest squared distance from the query to a point of the box.
          const double* l = lo(id);
          const double* h = hi(id);
          double upper = 0.0;
          for (index_t j = 0; j < d_; ++j) {
            const double far = std::max(std::abs(query[j] - l[j]), std::abs(h[j] - query[j]));
            upper += far * far;
          }
          return upper < accept_below ? 1 : 0;
        },
        [&](const node& nd) { count += nd.end - nd.begin; },
        [&](index_t, const node& nd) {
          for (index_t g = nd.begin / block; g * block < nd.end; ++g) {
            const detail::lanes dist2 = detail::micro_distances<false, detail::native_vector_bytes>(
                block_points(g), d_, query);
            const index_t size = block_size_[static_cast<std::size_t>(g)];
            for (index_t t = 0; t < size; ++t) {
              const double dist = std::sqrt(dist2.v[t]);
              count += strict ? (dist < radius) : (dist <= radius);
            }
          }
        });
    return count;
  }

  // Points of the left part when a node of m points is split: half of its groups of 64 (rounded
  // down), so every bucket starts at a multiple of group_points and only the last group and
  // block of the whole tree are partial.
  static index_t left_part(index_t m) {
    return group_points * (((m + group_points - 1) / group_points) / 2);
  }

  // Number of nodes of the subtree over m points.
  index_t subtree_nodes(index_t m) const {
    if (m <= bucket_) return 1;
    return 1 + subtree_nodes(left_part(m)) + subtree_nodes(m - left_part(m));
  }

  // Bounding box of rows [begin, end) of `work` into l[0, d), h[0, d); returns the widest
  // coordinate.
  template <class = void>
  index_t bounding_box(const row_matrix<double>& work, index_t begin, index_t end, double* l,
                       double* h) const {
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
    index_t widest = 0;
    double spread = -1.0;
    for (index_t j = 0; j < d_; ++j) {
      if (h[j] - l[j] > spread) {
        spread = h[j] - l[j];
        widest = j;
      }
    }
    return widest;
  }

  // Reorders rows [begin, end) of `work` (and perm_) so that the first `left` of them hold the
  // smallest values of coordinate `axis`. Keys (value, original index) have no ties, so the
  // result is unique.
  template <class = void>
  void partition_rows(row_matrix<double>& work, index_t begin, index_t end, index_t axis,
                      index_t left) {
    const index_t m = end - begin;
    struct key {
      double value;
      index_t original;
      index_t at;  // position inside [begin, end)
    };
    std::vector<key> keys(static_cast<std::size_t>(m));
    for (index_t t = 0; t < m; ++t)
      keys[static_cast<std::size_t>(t)] = key{work(begin + t, axis), perm_[static_cast<std::size_t>(begin + t)], t};
    std::nth_element(keys.begin(), keys.begin() + left, keys.end(), [](const key& x, const key& y) {
      return x.value < y.value || (x.value == y.value && x.original < y.original);
    });
    std::vector<double> rows(static_cast<std::size_t>(m * d_));
    for (index_t t = 0; t < m; ++t) {
      const key& kt = keys[static_cast<std::size_t>(t)];
      std::copy_n(work.row(begin + kt.at).data(), d_, &rows[static_cast<std::size_t>(t * d_)]);
      perm_[static_cast<std::size_t>(begin + t)] = kt.original;
    }
    std::copy(rows.begin(), rows.end(), work.row(begin).data());
  }

  // Splits rows [begin, end) of a bucket into groups of up to group_points points (split at
  // multiples of group_points from the bucket's start) and those into micro-blocks (split at
  // multiples of block), the same median rule as the nodes; stores each block's points
  // (coordinate-major) and box.
  template <class = void>
  void build_blocks(row_matrix<double>& work, index_t begin, index_t end) {
    const index_t m = end - begin;
    std::vector<double> l(static_cast<std::size_t>(d_));
    std::vector<double> h(static_cast<std::size_t>(d_));
    const index_t axis = bounding_box(work, begin, end, l.data(), h.data());
    if (m > block) {
      const index_t unit = m > group_points ? group_points : block;
      const index_t left = unit * (((m + unit - 1) / unit) / 2);
      partition_rows(work, begin, end, axis, left);
      build_blocks(work, begin, begin + left);
      build_blocks(work, begin + left, end);
      return;
    }
    const index_t g = begin / block;
    double* pts = &soa_[static_cast<std::size_t>(g * block * d_)];
    for (index_t t = 0; t < m; ++t)
      for (index_t j = 0; j < d_; ++j) pts[j * block + t] = work(begin + t, j);
    for (index_t j = 0; j < d_; ++j) {
      box_at(block_boxes_, g, j, false) = l[static_cast<std::size_t>(j)];
      box_at(block_boxes_, g, j, true) = h[static_cast<std::size_t>(j)];
    }
    block_size_[static_cast<std::size_t>(g)] = m;
  }

  // Boxes of the groups of a bucket (the union of their micro-boxes), at slots g0 + i.
  void build_group_boxes(index_t begin, index_t end) {
    const index_t g0 = begin / block;
    const index_t g1 = (end + block - 1) / block;
    for (index_t i = 0; g0 + i * block < g1; ++i) {
      const index_t first = g0 + i * block;
      const index_t last = std::min(g1, first + block);
      for (index_t j = 0; j < d_; ++j) {
        double lo_j = std::numeric_limits<double>::infinity();
        double hi_j = -std::numeric_limits<double>::infinity();
        for (index_t g = first; g < last; ++g) {
          lo_j = std::min(lo_j, box_at(block_boxes_, g, j, false));
          hi_j = std::max(hi_j, box_at(block_boxes_, g, j, true));
        }
        box_at(group_boxes_, g0 + i, j, false) = lo_j;
        box_at(group_boxes_, g0 + i, j, true) = hi_j;
      }
    }
  }

  // Builds the subtree over tree positions [begin, end) as node `id` (preorder: left child
  // id + 1, right child id + 1 + size of the left subtree). `work` holds the points of
  // [begin, end) in tree order (row-major), so every pass is sequential. The top levels run as
  // OpenMP tasks on disjoint ranges and node slots.
  template <class = void>
  void build(row_matrix<double>& work, index_t begin, index_t end, index_t id, int depth) {
    const index_t m = end - begin;
    nodes_[static_cast<std::size_t>(id)] = node{begin, end, -1};
    double* l = &boxes_[static_cast<std::size_t>(2 * id * d_)];
    const index_t axis = bounding_box(work, begin, end, l, l + d_);
    if (m <= bucket_) {
      build_blocks(work, begin, end);
      build_group_boxes(begin, end);
      return;
    }
    const index_t mid = begin + left_part(m);
    partition_rows(work, begin, end, axis, mid - begin);
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
  index_t bucket_;
  index_t chunks_ = 0;               ///< box chunks (micro_block slots each, one spare)
  std::vector<node> nodes_;
  std::vector<double> boxes_;        ///< per node: lo[0..d), hi[0..d)
  std::vector<index_t> perm_;
  std::vector<double> soa_;          ///< points in tree order, micro-blocks coordinate-major
  std::vector<double> block_boxes_;  ///< micro-boxes in chunks (see chunk_lo)
  std::vector<index_t> block_size_;  ///< points in each micro-block (0 for the spare group)
  std::vector<double> group_boxes_;  ///< group i of the bucket starting at block g0: slot g0 + i
  std::vector<float> block_boxes_float_;  ///< micro-boxes - centre_, float, rounded outward
  std::vector<float> group_boxes_float_;  ///< group boxes - centre_, float, rounded outward
  std::vector<double> centre_;            ///< centre of the root box
  double extent_ = 0.0;                   ///< max_j |coordinate - centre_j| over the points
};

}  // namespace infogeo::neighbors
