// Reading IDX files (the MNIST / Fashion-MNIST format of LeCun et al.), plain or gzip-compressed,
// through zlib. Link zlib (CMake: find_package(ZLIB) + ZLIB::ZLIB; LibTorch programs already link
// it); this header is therefore not part of the io.hpp umbrella.
//
// Format (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"): a 4-byte magic number
// [0x00, 0x00, type, ndim], then ndim dimension sizes as big-endian uint32, then the data in
// row-major (C) order. Type 0x08 = unsigned byte (the only type the MNIST family uses; other type
// codes are rejected with their code in the message).
//
// Every malformed file gives infogeo::invalid_argument naming the file and what is wrong: missing
// file, bad magic, unsupported type, no or too many dimensions, zero-sized dimension, truncated
// header, truncated data, trailing bytes after the data, corrupt gzip stream.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo::io {

/// An IDX array of unsigned bytes: shape (ndim sizes) and the row-major data.
struct idx_array {
  std::vector<std::size_t> shape;
  std::vector<std::uint8_t> data;
  /// Product of the dimension sizes (= data.size()).
  std::size_t element_count() const {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
};

namespace detail {

[[noreturn]] inline void idx_fail(const char* fn, const std::string& path, const std::string& what) {
  throw_invalid_argument(fn, "file '", path, "' ", what);
}

/// gzFile owner (gzopen reads gzip and plain files alike: a file without the gzip magic is read
/// as is, "transparent" mode).
struct gz_reader {
  gzFile f = nullptr;
  const char* fn;
  const std::string& path;
  gz_reader(const std::string& p, const char* function) : fn(function), path(p) {
    f = gzopen(p.c_str(), "rb");
    if (f == nullptr) idx_fail(fn, path, "cannot be opened");
  }
  ~gz_reader() {
    if (f != nullptr) gzclose(f);
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;

  /// Reads up to `n` bytes into `dst`; returns how many were read. A zlib error (corrupt or
  /// truncated gzip stream) throws with zlib's message.
  std::size_t read(unsigned char* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const std::size_t chunk = std::min<std::size_t>(n - got, 1u << 26);
      const int r = gzread(f, dst + got, static_cast<unsigned>(chunk));
      if (r < 0) stream_error();
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    // A truncated gzip stream ends with a short read and Z_BUF_ERROR ("unexpected end of file").
    int code = Z_OK;
    const char* msg = gzerror(f, &code);
    if (code != Z_OK && code != Z_STREAM_END)
      idx_fail(fn, path, std::string("is not a valid gzip stream (zlib: ") + (msg ? msg : "?") + ")");
    return got;
  }
  [[noreturn]] void stream_error() {
    int code = Z_OK;
    const char* msg = gzerror(f, &code);
    idx_fail(fn, path, std::string("is not a valid gzip stream (zlib: ") + (msg ? msg : "?") + ")");
  }
};

}  // namespace detail

/// Loads an IDX file of unsigned bytes (type 0x08), plain or gzip-compressed (detected from the
/// content, not the name). `expected_ndim` (0 = any) checks the number of dimensions.
/// Cost: one pass over the file; memory grows with the data actually read, so a corrupt header
/// announcing a huge array fails with "truncated" instead of a huge allocation.
/// Errors: invalid_argument for a missing file, bad magic, unsupported type code, ndim outside
/// 1..8 or different from expected_ndim, a zero dimension, truncated header or data, trailing
/// bytes after the data, and a corrupt or truncated gzip stream.
inline idx_array load_idx(const std::string& path, std::size_t expected_ndim = 0) {
  const char* fn = "io::load_idx";
  detail::gz_reader in(path, fn);
  unsigned char magic[4];
  if (in.read(magic, 4) != 4) detail::idx_fail(fn, path, "is truncated: shorter than the 4-byte IDX magic");
  if (magic[0] != 0 || magic[1] != 0)
    detail::idx_fail(fn, path, infogeo::detail::concat("has a bad IDX magic (first two bytes must be 0, got ",
                                              int(magic[0]), ", ", int(magic[1]), ")"));
  if (magic[2] != 0x08)
    detail::idx_fail(fn, path, infogeo::detail::concat("has IDX type code 0x", std::hex, int(magic[2]), std::dec,
                                              ": only 0x08 (unsigned byte) is supported"));
  const std::size_t ndim = magic[3];
  if (ndim < 1 || ndim > 8)
    detail::idx_fail(fn, path, infogeo::detail::concat("declares ndim=", ndim, " (must be 1..8)"));
  if (expected_ndim != 0 && ndim != expected_ndim)
    detail::idx_fail(fn, path, infogeo::detail::concat("has ndim=", ndim, " (expected ", expected_ndim, ")"));
  idx_array a;
  a.shape.resize(ndim);
  std::size_t total = 1;
  for (std::size_t k = 0; k < ndim; ++k) {
    unsigned char b[4];
    if (in.read(b, 4) != 4)
      detail::idx_fail(fn, path, infogeo::detail::concat("is truncated in its header (dimension ", k, " of ", ndim, ")"));
    const std::uint32_t s = (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
                            std::uint32_t(b[3]);
    if (s == 0) detail::idx_fail(fn, path, infogeo::detail::concat("has dimension ", k, " of size 0"));
    if (total > std::numeric_limits<std::size_t>::max() / s)
      detail::idx_fail(fn, path, "declares more elements than fit in memory");
    a.shape[k] = s;
    total *= s;
  }
  // Read in chunks, growing the buffer only with data actually present.
  const std::size_t chunk = std::size_t(1) << 24;
  while (a.data.size() < total) {
    const std::size_t want = std::min(chunk, total - a.data.size());
    const std::size_t old = a.data.size();
    a.data.resize(old + want);
    const std::size_t got = in.read(a.data.data() + old, want);
    if (got < want)
      detail::idx_fail(fn, path, infogeo::detail::concat("is truncated: the header declares ", total, " data bytes, the file has ",
                                                old + got));
  }
  unsigned char extra;
  if (in.read(&extra, 1) != 0)
    detail::idx_fail(fn, path, infogeo::detail::concat("has trailing bytes after the ", total, " data bytes the header declares"));
  return a;
}

}  // namespace infogeo::io
