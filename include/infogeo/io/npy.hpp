// Reading and writing NumPy .npy files (format versions 1.0, 2.0, 3.0) through xtensor.
// Supported dtypes: float32, float64, int8/16/32/64, uint8/16/32/64, bool; either byte order;
// C or Fortran order (Fortran data is transposed into row-major on load).
// Every malformed file gives infogeo::invalid_argument naming the file and what is wrong:
// bad magic, unsupported version or dtype, unparsable header, truncated or over-long data,
// wrong dimensionality, non-integer labels, NaN/Inf where finite data is required.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "infogeo/core/errors.hpp"

namespace infogeo::io {

/// Element kinds a .npy file may hold.
enum class npy_kind { floating, signed_integer, unsigned_integer, boolean };

/// The parsed header of a .npy file.
struct npy_header {
  std::string descr;                ///< e.g. "<f8"
  npy_kind kind = npy_kind::floating;
  std::size_t item_size = 0;        ///< bytes per element
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<std::size_t> shape;   ///< empty for a 0-d array
  std::size_t data_offset = 0;      ///< bytes before the data
  std::size_t element_count() const {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  /// numpy's dtype name: "float32", "int64", ...
  std::string dtype_name() const {
    switch (kind) {
      case npy_kind::floating: return "float" + std::to_string(8 * item_size);
      case npy_kind::signed_integer: return "int" + std::to_string(8 * item_size);
      case npy_kind::unsigned_integer: return "uint" + std::to_string(8 * item_size);
      case npy_kind::boolean: return "bool";
    }
    return "?";
  }
  bool is_integer() const {
    return kind == npy_kind::signed_integer || kind == npy_kind::unsigned_integer ||
           kind == npy_kind::boolean;
  }
};

namespace detail {

[[noreturn]] inline void npy_fail(const std::string& path, const std::string& what) {
  throw_invalid_argument("io::load_npy", "file '", path, "' ", what);
}

inline void skip_spaces(const std::string& s, std::size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n')) ++pos;
}

/// Finds `'key':` in the header dict and returns the position just after the colon.
inline std::size_t find_key(const std::string& header, const std::string& key,
                            const std::string& path) {
  for (const char quote : {'\'', '"'}) {
    const std::string needle = std::string(1, quote) + key + std::string(1, quote);
    std::size_t pos = header.find(needle);
    if (pos == std::string::npos) continue;
    pos += needle.size();
    skip_spaces(header, pos);
    if (pos >= header.size() || header[pos] != ':') break;
    ++pos;
    skip_spaces(header, pos);
    return pos;
  }
  npy_fail(path, "has a header without the key '" + key + "' (header: " + header + ")");
}

inline void parse_descr(npy_header& h, const std::string& path) {
  const std::string& d = h.descr;
  if (d.size() < 3) npy_fail(path, "has an unsupported dtype '" + d + "'");
  const char order = d[0];
  const char type = d[1];
  std::size_t size = 0;
  try {
    size = static_cast<std::size_t>(std::stoul(d.substr(2)));
  } catch (const std::exception&) {
    npy_fail(path, "has an unsupported dtype '" + d + "'");
  }
  if (order != '<' && order != '>' && order != '|' && order != '=')
    npy_fail(path, "has an unsupported byte order in dtype '" + d + "'");
  h.big_endian = order == '>';
  h.item_size = size;
  bool ok = false;
  if (type == 'f' && (size == 4 || size == 8)) {
    h.kind = npy_kind::floating;
    ok = true;
  } else if (type == 'i' && (size == 1 || size == 2 || size == 4 || size == 8)) {
    h.kind = npy_kind::signed_integer;
    ok = true;
  } else if (type == 'u' && (size == 1 || size == 2 || size == 4 || size == 8)) {
    h.kind = npy_kind::unsigned_integer;
    ok = true;
  } else if (type == 'b' && size == 1) {
    h.kind = npy_kind::boolean;
    ok = true;
  }
  if (!ok)
    npy_fail(path, "has dtype '" + d +
                       "', which infogeo does not read (float32/64, [u]int8-64, bool only)");
}

inline std::uint64_t read_le(const unsigned char* bytes, int count) {
  std::uint64_t v = 0;
  for (int i = count - 1; i >= 0; --i) v = (v << 8) | bytes[i];
  return v;
}

/// Decodes element `i` of the raw data as double or int64 (byte-swapping if needed).
template <class Out>
Out decode(const npy_header& h, const char* raw, std::size_t i) {
  unsigned char buf[8];
  std::memcpy(buf, raw + i * h.item_size, h.item_size);
  const bool host_little = [] {
    const std::uint16_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    return first == 1;
  }();
  if (h.big_endian == host_little && h.item_size > 1) std::reverse(buf, buf + h.item_size);
  switch (h.kind) {
    case npy_kind::floating:
      if (h.item_size == 4) {
        float f;
        std::memcpy(&f, buf, 4);
        return static_cast<Out>(f);
      } else {
        double f;
        std::memcpy(&f, buf, 8);
        return static_cast<Out>(f);
      }
    case npy_kind::signed_integer: {
      std::int64_t v = 0;
      if (h.item_size == 1) { std::int8_t x; std::memcpy(&x, buf, 1); v = x; }
      if (h.item_size == 2) { std::int16_t x; std::memcpy(&x, buf, 2); v = x; }
      if (h.item_size == 4) { std::int32_t x; std::memcpy(&x, buf, 4); v = x; }
      if (h.item_size == 8) { std::memcpy(&v, buf, 8); }
      return static_cast<Out>(v);
    }
    case npy_kind::unsigned_integer: {
      std::uint64_t v = 0;
      if (h.item_size == 1) { std::uint8_t x; std::memcpy(&x, buf, 1); v = x; }
      if (h.item_size == 2) { std::uint16_t x; std::memcpy(&x, buf, 2); v = x; }
      if (h.item_size == 4) { std::uint32_t x; std::memcpy(&x, buf, 4); v = x; }
      if (h.item_size == 8) { std::memcpy(&v, buf, 8); }
      return static_cast<Out>(v);
    }
    case npy_kind::boolean:
      return static_cast<Out>(buf[0] != 0);
  }
  return Out{};
}

/// Row-major (C-order) position of element `c` when the file stores Fortran order.
inline std::size_t fortran_to_c(std::size_t c, const std::vector<std::size_t>& shape) {
  // Unravel c in C order, ravel in Fortran order.
  std::size_t f = 0;
  std::size_t stride = 1;
  std::size_t rem = c;
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = rem % shape[d];
    rem /= shape[d];
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    f += idx[d] * stride;
    stride *= shape[d];
  }
  return f;
}

}  // namespace detail

/// Parses the header of a .npy file from a buffer holding (at least) the start of the file.
inline npy_header parse_npy_header(const std::string& bytes, const std::string& path) {
  using detail::npy_fail;
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0)
    npy_fail(path, "is not a .npy file (bad magic bytes)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t prefix = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  if (major == 1) {
    header_len = static_cast<std::size_t>(detail::read_le(u + 8, 2));
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) npy_fail(path, "is truncated inside its header");
    header_len = static_cast<std::size_t>(detail::read_le(u + 8, 4));
    prefix = 12;
  } else {
    npy_fail(path, "has unsupported .npy format version " + std::to_string(major));
  }
  if (bytes.size() < prefix + header_len)
    npy_fail(path, "is truncated inside its header (header length " + std::to_string(header_len) +
                       ", file has " + std::to_string(bytes.size()) + " bytes)");
  npy_header h;
  h.data_offset = prefix + header_len;
  const std::string header = bytes.substr(prefix, header_len);
  // The header is a Python literal of ASCII text for every dtype infogeo reads (only structured
  // dtypes' field names may use UTF-8 in version 3.0); any other byte means a corrupt or foreign
  // file, and it must not reach an error message or a JSON output undecoded.
  for (std::size_t i = 0; i < header.size(); ++i) {
    const auto c = static_cast<unsigned char>(header[i]);
    if ((c < 0x20 || c > 0x7e) && c != '\n' && c != '\t' && c != '\r') {
      static const char hex[] = "0123456789abcdef";
      npy_fail(path, std::string("has a header that is not ASCII text (byte 0x") + hex[c >> 4] + hex[c & 15] +
                         " at header offset " + std::to_string(i) + "; a corrupt or non-.npy file?)");
    }
  }
  if (header.find('{') == std::string::npos || header.find('}') == std::string::npos)
    npy_fail(path, "has a header that is not a dict: " + header);

  // 'descr': '<f8'
  std::size_t pos = detail::find_key(header, "descr", path);
  if (pos >= header.size() || (header[pos] != '\'' && header[pos] != '"'))
    npy_fail(path, "has a structured or unreadable dtype in header: " + header);
  const char q = header[pos];
  const std::size_t end = header.find(q, pos + 1);
  if (end == std::string::npos) npy_fail(path, "has an unterminated dtype string: " + header);
  h.descr = header.substr(pos + 1, end - pos - 1);
  detail::parse_descr(h, path);

  // 'fortran_order': False
  pos = detail::find_key(header, "fortran_order", path);
  if (header.compare(pos, 4, "True") == 0) {
    h.fortran_order = true;
  } else if (header.compare(pos, 5, "False") == 0) {
    h.fortran_order = false;
  } else {
    npy_fail(path, "has a fortran_order that is neither True nor False: " + header);
  }

  // 'shape': (3, 4)
  pos = detail::find_key(header, "shape", path);
  if (pos >= header.size() || header[pos] != '(') npy_fail(path, "has an unreadable shape: " + header);
  const std::size_t close = header.find(')', pos);
  if (close == std::string::npos) npy_fail(path, "has an unterminated shape: " + header);
  std::string item;
  for (std::size_t i = pos + 1; i <= close; ++i) {
    const char c = header[i];
    if (c == ',' || c == ')') {
      if (!item.empty()) {
        if (item.find_first_not_of("0123456789") != std::string::npos)
          npy_fail(path, "has a non-integer dimension '" + item + "' in its shape");
        unsigned long long dim = 0;
        try {
          dim = std::stoull(item);
        } catch (const std::exception&) {
          npy_fail(path, "has a dimension '" + item + "' too large for this platform");
        }
        h.shape.push_back(static_cast<std::size_t>(dim));
      }
      item.clear();
    } else if (c != ' ' && c != 'L') {
      item += c;
    }
  }
  // element_count() * item_size must not wrap around (a wrapped product could match a short file).
  if (std::find(h.shape.begin(), h.shape.end(), std::size_t(0)) == h.shape.end()) {
    std::size_t bytes_needed = h.item_size;
    for (const std::size_t dim : h.shape) {
      if (bytes_needed > std::numeric_limits<std::size_t>::max() / dim)
        npy_fail(path, "has a shape whose byte size overflows (header: " + header + ")");
      bytes_needed *= dim;
    }
  }
  return h;
}

/// Reads only the header of a .npy file.
inline npy_header read_npy_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid_argument("io::read_npy_header", "cannot open file '", path, "'");
  std::string start(65536 + 12, '\0');
  in.read(&start[0], static_cast<std::streamsize>(start.size()));
  start.resize(static_cast<std::size_t>(in.gcount()));
  return parse_npy_header(start, path);
}

namespace detail {
/// The data after the header must be exactly element_count() * item_size bytes of a file of
/// `file_size` bytes: fewer is a truncated file, more a corrupt one.
inline void check_data_size(const npy_header& h, std::size_t file_size, const std::string& path) {
  const std::size_t expected = h.element_count() * h.item_size;
  const std::size_t available = file_size - std::min(file_size, h.data_offset);
  if (available < expected)
    npy_fail(path, "is truncated: shape needs " + std::to_string(expected) + " data bytes but the file has " +
                       std::to_string(available));
  if (available > expected)
    npy_fail(path, "has " + std::to_string(available - expected) + " unexpected bytes after the data (corrupt file?)");
}
}  // namespace detail

/// A whole .npy file in memory: header and raw data bytes (no conversion yet).
struct npy_file {
  npy_header header;
  std::string raw;  ///< exactly element_count() * item_size bytes
  std::string path;
};

/// Reads a .npy file and checks that the data size matches the header exactly.
inline npy_file read_npy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid_argument("io::load_npy", "cannot open file '", path, "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  npy_file f;
  f.path = path;
  f.header = parse_npy_header(bytes, path);
  detail::check_data_size(f.header, bytes.size(), path);
  f.raw = bytes.substr(f.header.data_offset);
  return f;
}

/// Converts a loaded file to a row-major xt::xarray<T> (T floating or integer). Converting
/// floating data to an integer type requires every value to be an exact integer.
template <class T>
xt::xarray<T> to_xarray(const npy_file& f) {
  static_assert(std::is_arithmetic_v<T>, "infogeo::io::to_xarray: arithmetic types only");
  const auto& h = f.header;
  const std::size_t n = h.element_count();
  std::vector<std::size_t> shape = h.shape;
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  for (std::size_t c = 0; c < n; ++c) {
    const std::size_t src = h.fortran_order ? detail::fortran_to_c(c, shape) : c;
    if constexpr (std::is_floating_point_v<T>) {
      // decode<double> converts each kind directly (a uint64 >= 2^63 stays positive).
      out.data()[c] = static_cast<T>(detail::decode<double>(h, f.raw.data(), src));
    } else {
      if (h.kind == npy_kind::floating) {
        const double v = detail::decode<double>(h, f.raw.data(), src);
        if (!(std::isfinite(v) && v == std::floor(v)))
          throw_invalid_argument("io::load_npy", "file '", f.path, "' holds ", h.dtype_name(),
                                 " data with a non-integer value where integers are required "
                                 "(element ", c, " = ", v, ")");
        // The cast below is undefined outside T's range: [-2^digits, 2^digits) or [0, 2^digits).
        const double hi = std::ldexp(1.0, std::numeric_limits<T>::digits);
        const double lo = std::is_signed_v<T> ? -hi : 0.0;
        if (!(v >= lo && v < hi))
          throw_invalid_argument("io::load_npy", "file '", f.path, "' holds ", h.dtype_name(),
                                 " data with a value outside the integer range required "
                                 "(element ", c, " = ", v, ")");
        out.data()[c] = static_cast<T>(v);
      } else {
        // Integers are converted only when T holds them: a uint64 >= 2^63 read as int64 would wrap
        // negative, an int64 read as int32 would be truncated.
        bool fits = false;
        std::string shown;
        if (h.kind == npy_kind::unsigned_integer) {
          const auto v = detail::decode<std::uint64_t>(h, f.raw.data(), src);
          fits = v <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
          shown = std::to_string(v);
          if (fits) out.data()[c] = static_cast<T>(v);
        } else {
          const auto v = detail::decode<std::int64_t>(h, f.raw.data(), src);
          fits = (std::is_signed_v<T> ? v >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) : v >= 0) &&
                 (v < 0 || static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()));
          shown = std::to_string(v);
          if (fits) out.data()[c] = static_cast<T>(v);
        }
        if (!fits)
          throw_invalid_argument("io::load_npy", "file '", f.path, "' holds ", h.dtype_name(),
                                 " data with a value outside the integer range required "
                                 "(element ", c, " = ", shown, ")");
      }
    }
  }
  return out;
}

/// Options for load_npy_matrix().
struct matrix_load_options {
  bool require_finite = true;  ///< NaN/Inf is an error (the estimators' requirement)
  bool allow_1d = true;        ///< a 1-D array of length N is read as N x 1
};

/// Loads an N x D sample matrix (1-D arrays become N x 1) as double.
inline xt::xarray<double> load_npy_matrix(const std::string& path,
                                          const matrix_load_options& options = {}) {
  npy_file f = read_npy_file(path);
  const std::size_t ndim = f.header.shape.size();
  if (!(ndim == 2 || (ndim == 1 && options.allow_1d)))
    throw_invalid_argument("io::load_npy_matrix", "file '", path,
                           "' must hold a 2-D array (samples x dims) (ndim=", ndim, ")");
  xt::xarray<double> x = to_xarray<double>(f);
  if (ndim == 1) x.reshape({f.header.shape[0], std::size_t(1)});
  if (options.require_finite) {
    std::size_t bad = 0;
    std::size_t first = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!std::isfinite(x.data()[i]) && bad++ == 0) first = i;
    if (bad > 0) {
      const std::size_t cols = x.shape()[1];
      throw_invalid_argument("io::load_npy_matrix", "file '", path, "' contains ", bad,
                             " non-finite value(s); first at row ", first / cols, ", column ",
                             first % cols, " (value=", x.data()[first], ")");
    }
  }
  return x;
}

/// Loads a 1-D (or N x 1) array of integers (or of floats that are all exact integers) as int64,
/// any sign; a value outside int64 (a uint64 >= 2^63) is an error. For labels of any integer
/// values, encode the result with encode_labels() (core/labels.hpp).
inline std::vector<std::int64_t> load_npy_integers(const std::string& path) {
  npy_file f = read_npy_file(path);
  const auto& shape = f.header.shape;
  if (!(shape.size() == 1 || (shape.size() == 2 && shape[1] == 1)))
    throw_invalid_argument("io::load_npy_labels", "file '", path,
                           "' must hold a 1-D array of labels (ndim=", shape.size(), ")");
  xt::xarray<std::int64_t> y = to_xarray<std::int64_t>(f);
  return std::vector<std::int64_t>(y.begin(), y.end());
}

/// Reads the rows of an N x D (or 1-D, N x 1) C-order .npy file in blocks, converted to double,
/// so that a file need not fit in memory (e.g. `infogeo nc`, which streams its features: O(block
/// D) memory for the data). The header and the exact data size are checked on opening, as by
/// read_npy_file(); with `require_finite` (the estimators' rule) a NaN/Inf is an error naming its
/// row and column, as in load_npy_matrix(). Fortran-order files are refused (their rows are not
/// contiguous on disk: load them whole with load_npy_matrix()). rewind() starts another pass.
class npy_row_reader {
 public:
  explicit npy_row_reader(const std::string& path, bool require_finite = true)
      : path_(path), require_finite_(require_finite), header_(read_npy_header(path)) {
    const char* fn = "io::npy_row_reader";
    in_.open(path, std::ios::binary);
    if (!in_) throw_invalid_argument(fn, "cannot open file '", path, "'");
    const std::size_t ndim = header_.shape.size();
    if (!(ndim == 1 || ndim == 2))
      throw_invalid_argument(fn, "file '", path, "' must hold a 2-D array (samples x dims) (ndim=", ndim, ")");
    if (header_.fortran_order && ndim == 2 && header_.shape[0] > 1 && header_.shape[1] > 1)
      throw_invalid_argument(fn, "file '", path,
                             "' is in Fortran order, whose rows are not contiguous; load it whole or save it in C "
                             "order (fortran_order=True)");
    rows_ = header_.shape[0];
    cols_ = ndim == 2 ? header_.shape[1] : 1;
    in_.seekg(0, std::ios::end);
    detail::check_data_size(header_, static_cast<std::size_t>(in_.tellg()), path);
    rewind();
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  const npy_header& header() const { return header_; }
  /// Rows read since the last rewind().
  std::size_t position() const { return next_; }

  /// Starts again at row 0.
  void rewind() {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(header_.data_offset));
    next_ = 0;
  }

  /// Reads up to `max_rows` (>= 1) next rows into `out` (row-major, resized to rows read x cols)
  /// and returns the number of rows read: 0 at the end of the file.
  std::size_t read(std::size_t max_rows, std::vector<double>& out) {
    const char* fn = "io::npy_row_reader::read";
    require(max_rows >= 1, fn, "max_rows must be >= 1 (max_rows=", max_rows, ")");
    const std::size_t count = std::min(max_rows, rows_ - next_);
    out.resize(count * cols_);
    if (count == 0) return 0;
    raw_.resize(count * cols_ * header_.item_size);
    in_.read(&raw_[0], static_cast<std::streamsize>(raw_.size()));
    if (static_cast<std::size_t>(in_.gcount()) != raw_.size())
      throw_invalid_argument(fn, "file '", path_, "' could not be read at row ", next_, " (changed while reading?)");
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = detail::decode<double>(header_, raw_.data(), i);
      if (require_finite_ && !std::isfinite(out[i]))
        throw_invalid_argument("io::load_npy_matrix", "file '", path_, "' contains non-finite value(s); first at row ",
                               next_ + i / cols_, ", column ", i % cols_, " (value=", out[i], ")");
    }
    next_ += count;
    return count;
  }

 private:
  std::string path_;
  bool require_finite_ = true;
  npy_header header_;
  std::ifstream in_;
  std::size_t rows_ = 0, cols_ = 0, next_ = 0;
  std::string raw_;
};

/// Loads class labels: load_npy_integers(), each >= 0.
inline std::vector<std::int64_t> load_npy_labels(const std::string& path) {
  std::vector<std::int64_t> labels = load_npy_integers(path);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0)
      throw_invalid_argument("io::load_npy_labels", "file '", path,
                             "' has a negative label (labels[", i, "]=", labels[i], ")");
  return labels;
}

namespace detail {
template <class T>
std::string npy_descr() {
  if constexpr (std::is_same_v<T, float>) return "<f4";
  else if constexpr (std::is_same_v<T, double>) return "<f8";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "<i4";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "<i8";
  else if constexpr (std::is_same_v<T, std::uint8_t>) return "|u1";
  else static_assert(sizeof(T) == 0, "infogeo::io::save_npy: float, double, int32, int64, uint8");
}
}  // namespace detail

/// Writes a row-major array as a version 1.0 .npy file (little-endian, C order).
template <class T>
void save_npy(const std::string& path, const T* data, const std::vector<std::size_t>& shape) {
  using value_type = std::remove_cv_t<T>;
  std::string header = "{'descr': '" + detail::npy_descr<value_type>() +
                       "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i)
    header += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  if (shape.size() == 1) header.pop_back();
  header += "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw_invalid_argument("io::save_npy", "cannot open '", path, "' for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::size_t n = 1;
  for (auto s : shape) n *= s;
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
  if (!out) throw_invalid_argument("io::save_npy", "failed writing '", path, "'");
}

/// Writes an xtensor expression (evaluated row-major) as .npy.
template <class E>
void save_npy(const std::string& path, const xt::xexpression<E>& expression) {
  using value_type = typename E::value_type;
  xt::xarray<value_type> a = expression.derived_cast();
  std::vector<std::size_t> shape(a.shape().begin(), a.shape().end());
  save_npy(path, a.data(), shape);
}

}  // namespace infogeo::io
