// Critics f(x, y) of the variational MI bounds (variational_bounds.hpp), built on the mlp of
// doe_mlp.hpp. Following Poole et al. 2019 ("On variational bounds of mutual information",
// ICML, Sec. 2-3) a critic is evaluated on a minibatch of B pairs (x_i, y_i) as the B x B score
// matrix S(i, j) = f(x_i, y_j): the diagonal holds the pairs drawn from p(x, y), the off-diagonal
// entries pairs from p(x) p(y).
//   concat:    f(x, y) = mlp([x, y]) (one scalar output); B^2 network passes per batch, the most
//              flexible form (Belghazi et al. 2018 use it for MINE).
//   separable: f(x, y) = g(x)^T h(y) with two mlps of `embed` outputs (van den Oord et al. 2018,
//              the bilinear/separable critic of Poole et al. Sec. 3); 2B network passes plus a
//              B x B x embed product per batch: far cheaper, less expressive.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/mi/doe_mlp.hpp"

namespace infogeo::mi {

/// The form of a critic.
enum class critic_kind {
  concat,     ///< f(x, y) = mlp([x, y])
  separable,  ///< f(x, y) = g(x)^T h(y)
};

/// "concat" or "separable".
inline std::string to_string(critic_kind kind) {
  return kind == critic_kind::concat ? "concat" : "separable";
}

/// Intermediate values of critic::scores(), kept for critic::backward().
struct critic_cache {
  mlp_cache a, b;              ///< separable: a = g, b = h
  std::vector<mlp_cache> chunks;  ///< concat: one cache per chunk of pairs
  row_matrix<double> gx, hy;   ///< separable embeddings g(X) (B x E), h(Y) (B x E)
  index_t rows_x = 0, rows_y = 0;
};

/// A trainable critic f(x, y). All parameters live in one flat vector (separable: g's, then
/// h's), so the shared trainer's optimiser and clipping see a single vector.
class critic {
 public:
  critic() = default;

  /// Throws invalid_argument for dims < 1, a hidden width < 1 or embed < 1 (separable).
  critic(critic_kind kind, index_t x_dim, index_t y_dim, const std::vector<index_t>& hidden,
         index_t embed, mlp_activation activation, std::uint64_t seed)
      : kind_(kind), x_dim_(x_dim), y_dim_(y_dim) {
    const char* fn = "critic";
    require(x_dim >= 1 && y_dim >= 1, fn, "x_dim and y_dim must be >= 1 (x_dim=", x_dim,
            ", y_dim=", y_dim, ")");
    if (kind == critic_kind::concat) {
      f_ = mlp(x_dim + y_dim, hidden, 1, activation, seed);
      params_ = f_.parameters();
    } else {
      require(embed >= 1, fn, "embed must be >= 1 (embed=", embed, ")");
      f_ = mlp(x_dim, hidden, embed, activation, seed);
      h_ = mlp(y_dim, hidden, embed, activation, seed + 0x9E3779B97F4A7C15ULL);
      params_.resize(f_.parameter_count() + h_.parameter_count());
      params_ << f_.parameters(), h_.parameters();
    }
  }

  critic_kind kind() const { return kind_; }
  index_t x_dim() const { return x_dim_; }
  index_t y_dim() const { return y_dim_; }
  Eigen::VectorXd& parameters() { return params_; }
  const Eigen::VectorXd& parameters() const { return params_; }

  /// S(i, j) = f(x_i, y_j) for all rows of x (B_x x x_dim) and y (B_y x y_dim). Cost: concat
  /// B_x B_y network passes; separable (B_x + B_y) passes plus O(B_x B_y embed).
  template <class = void>
  row_matrix<double> scores(const row_matrix<double>& x, const row_matrix<double>& y) const {
    critic_cache cache;
    return scores(x, y, cache);
  }

  /// scores() keeping what backward() needs.
  template <class = void>
  row_matrix<double> scores(const row_matrix<double>& x, const row_matrix<double>& y,
                            critic_cache& cache) const {
    const char* fn = "critic::scores";
    require(x.cols() == x_dim_ && y.cols() == y_dim_, fn,
            "x and y must have x_dim and y_dim columns (x cols=", x.cols(), ", y cols=", y.cols(),
            ", x_dim=", x_dim_, ", y_dim=", y_dim_, ")");
    sync();
    cache.rows_x = x.rows();
    cache.rows_y = y.rows();
    if (kind_ == critic_kind::separable) {
      cache.gx = f_.forward(x, cache.a);
      cache.hy = h_.forward(y, cache.b);
      return cache.gx * cache.hy.transpose();
    }
    // Pairs go through the network in chunks of whole rows i of about kChunk pairs, so each
    // chunk's activations stay in cache (one B^2-row pass was 2x slower than a per-pair loop).
    const index_t bx = x.rows(), by = y.rows();
    const index_t rows_per_chunk = std::max<index_t>(1, kChunk / std::max<index_t>(1, by));
    row_matrix<double> s(bx, by);
    cache.chunks.clear();
    row_matrix<double> pairs;
    for (index_t i0 = 0; i0 < bx; i0 += rows_per_chunk) {
      const index_t n_i = std::min(rows_per_chunk, bx - i0);
      pairs.resize(n_i * by, x_dim_ + y_dim_);
      for (index_t i = 0; i < n_i; ++i) {
        pairs.block(i * by, 0, by, x_dim_).rowwise() = x.row(i0 + i);
        pairs.block(i * by, x_dim_, by, y_dim_) = y;
      }
      cache.chunks.emplace_back();
      const row_matrix<double> out = f_.forward(pairs, cache.chunks.back());
      s.middleRows(i0, n_i) = Eigen::Map<const row_matrix<double>>(out.data(), n_i, by);
    }
    return s;
  }

  /// Given d_scores = dLoss/dS (B_x x B_y) for the scores() call in `cache`, writes
  /// dLoss/d(parameters) into grad.
  template <class = void>
  void backward(const critic_cache& cache, const row_matrix<double>& d_scores,
                Eigen::VectorXd& grad) const {
    require(d_scores.rows() == cache.rows_x && d_scores.cols() == cache.rows_y, "critic::backward",
            "d_scores must match the cached score matrix (d_scores ", d_scores.rows(), " x ",
            d_scores.cols(), ", scores ", cache.rows_x, " x ", cache.rows_y, ")");
    grad.resize(params_.size());
    if (kind_ == critic_kind::separable) {
      Eigen::VectorXd gg, gh;
      f_.backward(cache.a, d_scores * cache.hy, gg);
      h_.backward(cache.b, d_scores.transpose() * cache.gx, gh);
      grad << gg, gh;
      return;
    }
    grad.setZero();
    Eigen::VectorXd part;
    const index_t by = cache.rows_y;
    index_t i0 = 0;
    for (const mlp_cache& chunk : cache.chunks) {
      const index_t n_i = chunk.activations.front().rows() / by;
      const row_matrix<double> block = d_scores.middleRows(i0, n_i);
      const row_matrix<double> d_out = Eigen::Map<const row_matrix<double>>(block.data(), n_i * by, 1);
      f_.backward(chunk, d_out, part);
      grad += part;
      i0 += n_i;
    }
  }

 private:
  static constexpr index_t kChunk = 1024;  // pairs per concat network pass

  // The networks read their weights from params_ (the vector the optimiser updates).
  template <class = void>
  void sync() const {
    if (kind_ == critic_kind::concat) {
      f_.parameters() = params_;
    } else {
      f_.parameters() = params_.head(f_.parameter_count());
      h_.parameters() = params_.tail(h_.parameter_count());
    }
  }

  critic_kind kind_ = critic_kind::separable;
  index_t x_dim_ = 1, y_dim_ = 1;
  mutable mlp f_, h_;  // concat: f_ only; separable: f_ = g, h_ = h
  Eigen::VectorXd params_;
};

}  // namespace infogeo::mi
