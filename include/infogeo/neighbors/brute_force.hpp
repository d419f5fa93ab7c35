// Exact brute-force neighbour search.
//  * Euclidean: blocked Eigen matrix products give approximate squared distances
//    |q|^2 + |r|^2 - 2 q.r for a block of queries against a block of references; every point
//    whose approximate distance is within a proven rounding bound of the current k-th best is
//    kept as a candidate, and candidates are re-ranked with the canonical squared distance
//    (detail::squared_l2). The result is therefore exactly the brute-force answer in canonical
//    distances, at GEMM speed.
//  * Max norm: a blocked direct scan (no product form exists for the max norm).
// Cost O(N_q N_r D); good at high dimension and small N where trees degrade.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/neighbors/kd_tree.hpp"

namespace infogeo::neighbors {

namespace detail {

inline constexpr index_t brute_query_block = 128;
inline constexpr index_t brute_ref_block = 2048;

/// Euclidean k-NN of queries [q_begin, q_end) of `queries` into `refs` by GEMM + exact
/// re-ranking. `self` means queries == refs and query i excludes reference i. Writes
/// canonical squared distances and indices, k per query, in (distance, index) order.
template <class = void>
void brute_l2_block(const row_matrix<double>& refs, const Eigen::VectorXd& ref_norms,
                    double max_ref_norm, const row_matrix<double>& queries, bool self,
                    index_t q_begin, index_t q_end, index_t k, double* dist2,
                    index_t* idx) {
  const index_t d = refs.cols();
  const index_t nr = refs.rows();
  const index_t nq = q_end - q_begin;
  const double u = std::numeric_limits<double>::epsilon();
  std::vector<std::vector<std::pair<double, index_t>>> cand(static_cast<std::size_t>(nq));
  std::vector<double> thr(static_cast<std::size_t>(nq), std::numeric_limits<double>::infinity());
  std::vector<double> err(static_cast<std::size_t>(nq));
  const auto qblock = queries.middleRows(q_begin, nq);
  const Eigen::VectorXd qn = qblock.rowwise().squaredNorm();
  // |approx - canonical| <= err: GEMM form error ~ (D+2) u (|q|^2 + |r|^2) plus canonical-sum
  // error (D+2) u |q - r|^2 <= 2 (D+2) u (|q|^2 + |r|^2); 8 (D+4) u is a generous cover.
  for (index_t i = 0; i < nq; ++i)
    err[static_cast<std::size_t>(i)] =
        8.0 * static_cast<double>(d + 4) * u * (qn(i) + max_ref_norm) + 1e-300;
  const std::size_t cap = static_cast<std::size_t>(std::max<index_t>(2 * k, k + 32));
  auto shrink = [&](std::size_t i) {
    auto& c = cand[i];
    if (static_cast<index_t>(c.size()) < k) return;
    std::nth_element(c.begin(), c.begin() + (k - 1), c.end());
    thr[i] = c[static_cast<std::size_t>(k - 1)].first + 2.0 * err[i];
    c.erase(std::remove_if(c.begin(), c.end(), [&](const auto& p) { return p.first > thr[i]; }),
            c.end());
  };
  Eigen::MatrixXd gram;
  for (index_t r0 = 0; r0 < nr; r0 += brute_ref_block) {
    const index_t nb = std::min(brute_ref_block, nr - r0);
    gram.noalias() = qblock * refs.middleRows(r0, nb).transpose();
    for (index_t i = 0; i < nq; ++i) {
      const auto si = static_cast<std::size_t>(i);
      const index_t qi = q_begin + i;
      for (index_t j = 0; j < nb; ++j) {
        const index_t rj = r0 + j;
        if (self && rj == qi) continue;
        const double a = qn(i) + ref_norms(rj) - 2.0 * gram(i, j);
        if (a <= thr[si]) {
          cand[si].emplace_back(a, rj);
          if (cand[si].size() >= cap) shrink(si);
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
