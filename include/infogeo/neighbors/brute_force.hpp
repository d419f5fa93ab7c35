// Exact brute-force neighbour search.
//  * Euclidean: a blocked product kernel (plain loops over packed tiles, no Eigen) gives
//    approximate squared distances |q|^2 + |r|^2 - 2 q.r for a block of queries against a
//    panel of references; every point
//    whose approximate distance is within a proven rounding bound of the current k-th best is
//    kept as a candidate, and candidates are re-ranked with the canonical squared distance
//    (detail::squared_l2). The result is therefore exactly the brute-force answer in canonical
//    distances, at matrix-product speed.
//  * Max norm: a blocked direct scan (no product form exists for the max norm).
// Cost O(N_q N_r D); good at high dimension and small N where trees degrade.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/neighbors/kd_tree.hpp"

namespace infogeo::neighbors {

namespace detail {

inline constexpr index_t brute_query_block = 128;

#if defined(__GNUC__) || defined(__clang__)
#define INFOGEO_BRUTE_VECTOR 1
#endif
// The L2 kernel's tile layout depends on the instruction set the TU is compiled for, so its
// names do too (an inline namespace per variant): TUs built with different flags and linked into
// one program never share an inline definition of another layout.
#if defined(INFOGEO_BRUTE_VECTOR) && defined(__AVX__)
inline namespace brute_vec256 {
#elif defined(INFOGEO_BRUTE_VECTOR)
inline namespace brute_vec128 {
#else
inline namespace brute_scalar {
#endif

/// Register tile of the L2 product kernel: brute_tile_rows queries x brute_tile_cols references,
/// 12 vector accumulators (GCC/Clang vector extensions: 4-double vectors under AVX, else 2-double
/// ones, SSE2 / NEON); other compilers run the same tile as plain scalar loops.
inline constexpr index_t brute_tile_rows = 4;
#ifdef INFOGEO_BRUTE_VECTOR
#if defined(__AVX__)
typedef double brute_vec __attribute__((vector_size(32)));
#else
typedef double brute_vec __attribute__((vector_size(16)));
#endif
inline constexpr index_t brute_tile_cols = 3 * static_cast<index_t>(sizeof(brute_vec) / sizeof(double));
#else
inline constexpr index_t brute_tile_cols = 6;
#endif
/// Coordinates per pass of the kernel (depth blocking): a query tile and a reference tile of this
/// depth (32 KiB under AVX) stay in L1 while the tile is accumulated.
inline constexpr index_t brute_depth_block = 256;
/// References per packed panel: about this many doubles of one depth block (128 KiB, L2-resident),
/// at most 2048.
inline constexpr index_t brute_panel_doubles = 16384;
inline constexpr index_t brute_ref_block = 2048;

/// One tile of dot products over coordinates t = 0..len-1 (qt, rt: a packed query tile and
/// reference tile): s[a * brute_tile_cols + c] = init[a * brute_tile_cols + c] (0 if init is null)
/// + sum_t qt[t * brute_tile_rows + a] * rt[t * brute_tile_cols + c]. Writes s to out, or with
/// squared norms qn, rn given, the approximate squared distances (qn[a] + rn[c]) - 2 s.
inline void brute_tile_l2(const double* qt, const double* rt, index_t len, const double* init,
                          double* out, const double* qn, const double* rn) {
  constexpr index_t tr = brute_tile_rows;
  constexpr index_t tc = brute_tile_cols;
#ifdef INFOGEO_BRUTE_VECTOR
  constexpr index_t w = tc / 3;
  brute_vec a00{}, a01{}, a02{}, a10{}, a11{}, a12{}, a20{}, a21{}, a22{}, a30{}, a31{}, a32{};
  brute_vec* const acc[3 * tr] = {&a00, &a01, &a02, &a10, &a11, &a12, &a20, &a21, &a22, &a30, &a31, &a32};
  if (init)
    for (index_t x = 0; x < 3 * tr; ++x) std::memcpy(acc[x], init + x * w, sizeof(brute_vec));
  for (index_t t = 0; t < len; ++t, qt += tr, rt += tc) {
    brute_vec r0, r1, r2;
    std::memcpy(&r0, rt, sizeof r0);
    std::memcpy(&r1, rt + w, sizeof r1);
    std::memcpy(&r2, rt + 2 * w, sizeof r2);
    const double q0 = qt[0], q1 = qt[1], q2 = qt[2], q3 = qt[3];
    a00 += q0 * r0;
    a01 += q0 * r1;
    a02 += q0 * r2;
    a10 += q1 * r0;
    a11 += q1 * r1;
    a12 += q1 * r2;
    a20 += q2 * r0;
    a21 += q2 * r1;
    a22 += q2 * r2;
    a30 += q3 * r0;
    a31 += q3 * r1;
    a32 += q3 * r2;
  }
  if (!qn) {
    for (index_t x = 0; x < 3 * tr; ++x) std::memcpy(out + x * w, acc[x], sizeof(brute_vec));
    return;
  }
  brute_vec n0, n1, n2;
  std::memcpy(&n0, rn, sizeof n0);
  std::memcpy(&n1, rn + w, sizeof n1);
  std::memcpy(&n2, rn + 2 * w, sizeof n2);
  const brute_vec v[3 * tr] = {(qn[0] + n0) - 2.0 * a00, (qn[0] + n1) - 2.0 * a01, (qn[0] + n2) - 2.0 * a02,
                               (qn[1] + n0) - 2.0 * a10, (qn[1] + n1) - 2.0 * a11, (qn[1] + n2) - 2.0 * a12,
                               (qn[2] + n0) - 2.0 * a20, (qn[2] + n1) - 2.0 * a21, (qn[2] + n2) - 2.0 * a22,
                               (qn[3] + n0) - 2.0 * a30, (qn[3] + n1) - 2.0 * a31, (qn[3] + n2) - 2.0 * a32};
  std::memcpy(out, v, sizeof v);
#else
  double acc[tr * tc];
  for (index_t x = 0; x < tr * tc; ++x) acc[x] = init ? init[x] : 0.0;
  for (index_t t = 0; t < len; ++t, qt += tr, rt += tc)
    for (index_t a = 0; a < tr; ++a)
      for (index_t c = 0; c < tc; ++c) acc[a * tc + c] += qt[a] * rt[c];
  for (index_t a = 0; a < tr; ++a)
    for (index_t c = 0; c < tc; ++c)
      out[a * tc + c] = qn ? (qn[a] + rn[c]) - 2.0 * acc[a * tc + c] : acc[a * tc + c];
#endif
}

/// Euclidean k-NN of queries [q_begin, q_end) of `queries` into `refs` by a blocked product
/// kernel + exact re-ranking. `self` means queries == refs and query i excludes reference i.
/// The approximate distances are formed from centred coordinates x - centre (centre: any
/// d-vector, usually the references' mean); ref_norms[j] = |fl(refs.row(j) - centre)|^2 (any
/// summation order), max_ref_norm their maximum. Writes canonical squared distances (of the
/// original coordinates) and indices, k per query, in (distance, index) order.
///
/// The approximate squared distance |q|^2 + |r|^2 - 2 q.r comes from a plain loop kernel:
/// queries and a panel of references are packed coordinate-major in tiles of brute_tile_rows x
/// brute_tile_cols, and each tile's dot products are accumulated in registers (one vector FMA /
/// multiply-add per coordinate and tile column group). No Eigen product: the GEMM it replaced
/// instantiated Eigen's GEMM, GEMV and small-size paths in every TU that reaches the k-NN core.
/// The candidates are re-ranked with the canonical squared distance (squared_l2), and the
/// candidate bound below holds for any summation order of the dot products and norms, so the
/// result is the exact brute-force answer whatever order this kernel (or the compiler) uses.
template <class = void>
void brute_l2_block(const row_matrix<double>& refs, const double* centre, const double* ref_norms,
                    double max_ref_norm, const row_matrix<double>& queries, bool self,
                    index_t q_begin, index_t q_end, index_t k, double* dist2,
                    index_t* idx) {
  constexpr index_t tr = brute_tile_rows;
  constexpr index_t tc = brute_tile_cols;
  const index_t d = refs.cols();
  const index_t nr = refs.rows();
  const index_t nq = q_end - q_begin;
  const double u = std::numeric_limits<double>::epsilon();
  std::vector<std::vector<std::pair<double, index_t>>> cand(static_cast<std::size_t>(nq));
  std::vector<double> thr(static_cast<std::size_t>(nq), std::numeric_limits<double>::infinity());
  std::vector<double> err(static_cast<std::size_t>(nq));
  // Queries packed in tiles of tr rows, coordinate-major inside a tile (zero rows pad the last).
  const index_t q_tiles = (nq + tr - 1) / tr;
  std::vector<double> qp(static_cast<std::size_t>(q_tiles * d * tr), 0.0);
  std::vector<double> qn(static_cast<std::size_t>(q_tiles * tr), 0.0);  // |q - centre|^2 per query
  for (index_t i = 0; i < nq; ++i) {
    const double* q = queries.row(q_begin + i).data();
    double* dst = qp.data() + (i / tr) * d * tr + i % tr;
    double s = 0.0;
    for (index_t t = 0; t < d; ++t) {
      const double c = q[t] - centre[t];
      s += c * c;
      dst[t * tr] = c;
    }
    qn[static_cast<std::size_t>(i)] = s;
  }
  // |approx - canonical| <= err, with q', r' the rounded centred vectors: the product form's
  // error ~ (2D+3) u (|q'|^2 + |r'|^2) against the exact distance of q', r'; centring moves each
  // coordinate difference by at most u (|q'_t| + |r'_t|), so the distance by at most
  // 4 u (|q'|^2 + |r'|^2); the canonical sum's error (D+2) u |q - r|^2 <= 2 (D+2) u (|q'|^2 +
  // |r'|^2). 8 (D+4) u covers the (4D+11) u of the three. All are bounds of the form
  // gamma_D * (sum of |terms|), which hold for any order of summation (and with or without fused
  // multiply-adds). Centring keeps the bound at the scale of the data's spread: with raw
  // coordinates an offset far above the spread (1e6 +- 1e-3) put every reference within the
  // bound, every one stayed a candidate and the search became ~O(n^3).
  for (index_t i = 0; i < nq; ++i)
    err[static_cast<std::size_t>(i)] =
        8.0 * static_cast<double>(d + 4) * u * (qn[static_cast<std::size_t>(i)] + max_ref_norm) +
        1e-300;
  const std::size_t cap = static_cast<std::size_t>(std::max<index_t>(2 * k, k + 32));
  auto shrink = [&](std::size_t i) {
    auto& c = cand[i];
    if (static_cast<index_t>(c.size()) < k) return;
    std::nth_element(c.begin(), c.begin() + (k - 1), c.end());
    thr[i] = c[static_cast<std::size_t>(k - 1)].first + 2.0 * err[i];
    c.erase(std::remove_if(c.begin(), c.end(), [&](const auto& p) { return p.first > thr[i]; }),
            c.end());
  };
  // References per panel: a multiple of tc, at least one tile. Coordinates in depth blocks of kc:
  // every block but the last accumulates each tile's partial sums in `partial`; the last one
  // finishes the tile and tests its distances.
  const index_t kc = brute_depth_block;
  const index_t panel =
      std::max(tc, std::min(brute_ref_block, brute_panel_doubles / std::min(d, kc)) / tc * tc);
  const index_t last_t0 = (d - 1) / kc * kc;
  std::vector<double> rp(static_cast<std::size_t>(panel * d));
  std::vector<double> rpn(static_cast<std::size_t>(panel));  // the panel's |r|^2, +inf padding
  std::vector<double> partial(
      last_t0 > 0 ? static_cast<std::size_t>(q_tiles * tr * panel) : std::size_t{0});
  for (index_t r0 = 0; r0 < nr; r0 += panel) {
    const index_t nb = std::min(panel, nr - r0);
    const index_t r_tiles = (nb + tc - 1) / tc;
    // The panel's references packed like the queries, in tiles of tc (zero columns pad).
    for (index_t j = 0; j < r_tiles * tc; ++j) {
      double* dst = rp.data() + (j / tc) * d * tc + j % tc;
      if (j < nb) {
        const double* r = refs.row(r0 + j).data();
        for (index_t t = 0; t < d; ++t) dst[t * tc] = r[t] - centre[t];
        rpn[static_cast<std::size_t>(j)] = ref_norms[r0 + j];
      } else {
        for (index_t t = 0; t < d; ++t) dst[t * tc] = 0.0;
        rpn[static_cast<std::size_t>(j)] = std::numeric_limits<double>::infinity();
      }
    }
    for (index_t t0 = 0; t0 < last_t0; t0 += kc)
      for (index_t it = 0; it < q_tiles; ++it)
        for (index_t jt = 0; jt < r_tiles; ++jt) {
          double* s = partial.data() + (it * r_tiles + jt) * tr * tc;
          brute_tile_l2(qp.data() + (it * d + t0) * tr, rp.data() + (jt * d + t0) * tc, kc,
                        t0 > 0 ? s : nullptr, s, nullptr, nullptr);
        }
    for (index_t it = 0; it < q_tiles; ++it) {
      const double* qt = qp.data() + (it * d + last_t0) * tr;
      const index_t rows = std::min(tr, nq - it * tr);
      for (index_t jt = 0; jt < r_tiles; ++jt) {
        const double* rt = rp.data() + (jt * d + last_t0) * tc;
        const double* s =
            last_t0 > 0 ? partial.data() + (it * r_tiles + jt) * tr * tc : nullptr;
        double v[tr][tc];
        brute_tile_l2(qt, rt, d - last_t0, s, &v[0][0], qn.data() + it * tr, rpn.data() + jt * tc);
        for (index_t a = 0; a < rows; ++a) {
          const index_t i = it * tr + a;
          const auto si = static_cast<std::size_t>(i);
          // Most rows of most tiles hold no candidate: one branch-free test first.
          bool hit = false;
          for (index_t c = 0; c < tc; ++c) hit |= v[a][c] <= thr[si];
          if (!hit) continue;
          const index_t qi = q_begin + i;
          const index_t cols = std::min(tc, nb - jt * tc);
          for (index_t c = 0; c < cols; ++c) {
            const index_t rj = r0 + jt * tc + c;
            if (v[a][c] <= thr[si] && !(self && rj == qi)) {
              cand[si].emplace_back(v[a][c], rj);
              if (cand[si].size() >= cap) shrink(si);
            }
          }
        }
      }
    }
  }
  for (index_t i = 0; i < nq; ++i) {
    const auto si = static_cast<std::size_t>(i);
    shrink(si);
    top_k best(k, dist2 + i * k, idx + i * k);
    const double* q = queries.row(q_begin + i).data();
    for (const auto& c : cand[si]) best.add(squared_l2(q, refs.row(c.second).data(), d), c.second);
  }
}

}  // inline namespace brute_vec256 / brute_vec128 / brute_scalar

/// Max-norm k-NN of queries [q_begin, q_end) by a direct scan with early exit per pair.
template <class = void>
void brute_max_block(const row_matrix<double>& refs, const row_matrix<double>& queries,
                     bool self, index_t q_begin, index_t q_end, index_t k, double* dist,
                     index_t* idx) {
  const index_t d = refs.cols();
  const index_t nr = refs.rows();
  for (index_t qi = q_begin; qi < q_end; ++qi) {
    top_k best(k, dist + (qi - q_begin) * k, idx + (qi - q_begin) * k);
    const double* q = queries.row(qi).data();
    for (index_t rj = 0; rj < nr; ++rj) {
      if (self && rj == qi) continue;
      const double* r = refs.row(rj).data();
      const double worst = best.worst();
      double m = 0.0;
      index_t j = 0;
      for (; j < d && m <= worst; ++j) m = std::max(m, std::abs(q[j] - r[j]));
      if (j == d && m <= worst) best.add(m, rj);
    }
  }
}

}  // namespace detail

/// Brute-force strict / non-strict range count: number of refs p with dist(query, p) < r
/// (strict) or <= r, in plain distance units for either norm. O(N_r D).
template <class = void>
index_t brute_count_within(const row_matrix<double>& refs, const double* query,
                           double radius, bool strict, norm_kind norm) {
  index_t count = 0;
  const index_t d = refs.cols();
  for (index_t j = 0; j < refs.rows(); ++j) {
    const double* r = refs.row(j).data();
    const double dist = norm == norm_kind::chebyshev ? detail::max_abs_diff(query, r, d)
                                                     : std::sqrt(detail::squared_l2(query, r, d));
    count += strict ? (dist < radius) : (dist <= radius);
  }
  return count;
}

}  // namespace infogeo::neighbors
