// Streaming a features file through the class-scatter accumulator (geometry/class_scatter.hpp) for
// `infogeo nc` and `infogeo separation`: the file is read in blocks of rows (io::npy_row_reader),
// once per pass, so the features never need to fit in memory (projected mode: O(C D) memory plus
// one block). Fortran-order files, whose rows are not contiguous on disk, are loaded whole instead.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infogeo/core/memory.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/io/npy.hpp"
#include "registry.hpp"

namespace infogeo::cli {

/// Rows per block when streaming a features file.
inline constexpr std::size_t stream_block_rows = 4096;

/// The rows of one features .npy file, pass after pass, in blocks.
class feature_stream {
 public:
  explicit feature_stream(const std::string& path) : path_(path) {
    const io::npy_header h = io::read_npy_header(path);
    const bool strided = h.fortran_order && h.shape.size() == 2 && h.shape[0] > 1 && h.shape[1] > 1;
    if (strided) {
      whole_ = io::load_npy_matrix(path);
      rows_ = whole_.shape()[0];
      cols_ = whole_.shape()[1];
    } else {
      reader_ = std::make_unique<io::npy_row_reader>(path);
      rows_ = reader_->rows();
      cols_ = reader_->cols();
    }
  }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  /// True when the file is read in blocks (C order); false when it was loaded whole (Fortran order).
  bool streamed() const { return reader_ != nullptr; }
  /// Bytes the stream holds at once: one block of rows (decoded and raw), or the whole file.
  double resident_bytes() const {
    return streamed() ? array_bytes({static_cast<double>(std::min(rows_, stream_block_rows)), static_cast<double>(cols_)}, 16.0)
                      : array_bytes({static_cast<double>(rows_), static_cast<double>(cols_)});
  }

  /// One pass: calls f(block, first_row) for consecutive blocks covering every row.
  void for_each_block(const std::function<void(const sample_view<double>&, std::size_t)>& f) {
    if (!streamed()) {
      f(sample_view<double>(whole_.data(), static_cast<index_t>(rows_), static_cast<index_t>(cols_)), 0);
      return;
    }
    reader_->rewind();
    std::size_t first = 0;
    while (const std::size_t got = reader_->read(stream_block_rows, buffer_)) {
      f(sample_view<double>(buffer_.data(), static_cast<index_t>(got), static_cast<index_t>(cols_)), first);
      first += got;
    }
  }

 private:
  std::string path_;
  std::unique_ptr<io::npy_row_reader> reader_;
  xt::xarray<double> whole_;
  std::vector<double> buffer_;
  std::size_t rows_ = 0, cols_ = 0;
};

/// The rows [first, first + count) of per-row codes (labels, predictions) of a block.
inline std::vector<std::int64_t> block_slice(const std::vector<std::int64_t>& codes, std::size_t first,
                                             std::size_t count) {
  return std::vector<std::int64_t>(codes.begin() + static_cast<std::ptrdiff_t>(first),
                                   codes.begin() + static_cast<std::ptrdiff_t>(first + count));
}

/// The class scatter of a streamed features file with per-row class codes 0..C-1 (both passes of
/// the projected mode, or the one of the full mode).
inline geometry::class_scatter stream_class_scatter(feature_stream& features, const std::vector<std::int64_t>& codes,
                                                    std::int64_t num_classes,
                                                    const geometry::class_scatter_options& options) {
  require(codes.size() == features.rows(), "stream_class_scatter",
          "labels must have one entry per row of the features (labels=", codes.size(), ", rows=", features.rows(),
          ")");
  require(features.rows() >= 1, "stream_class_scatter", "the features file has no rows (n=0)");
  geometry::class_scatter_accumulator acc(num_classes, static_cast<index_t>(features.cols()), options);
  const auto pass = [&] {
    features.for_each_block([&](const sample_view<double>& block, std::size_t first) {
      acc.update(block, block_slice(codes, first, static_cast<std::size_t>(block.rows())));
    });
  };
  pass();
  if (acc.needs_second_pass()) {
    acc.begin_second_pass();
    pass();
  }
  return acc.finalize();
}

}  // namespace infogeo::cli
