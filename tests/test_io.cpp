// Tests for include/infogeo/io/: .npy round trips, Fortran order, dtypes, and every corrupt-file
// error path (files crafted byte by byte here), plus CSV.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <xtensor/xarray.hpp>

#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/io.hpp"

using namespace infogeo;

namespace {

std::string temp_path(const std::string& name) {
  return std::string(INFOGEO_TEST_BINARY_DIR) + "/io_" + name;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A version-1.0 .npy file with the given header dict and raw data bytes.
std::string npy_bytes(const std::string& dict, const std::string& data, char major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + major + '\0';
  const auto len = header.size();
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (major != 1) out += std::string(2, '\0');
  return out + header + data;
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const infogeo::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE_TEMPLATE("npy round trip keeps values, shape and dtype", T, float, double,
                   std::int32_t, std::int64_t) {
  xt::xarray<T> a = {{T(1), T(2), T(3)}, {T(4), T(5), T(-6)}};
  const auto path = temp_path("roundtrip.npy");
  io::save_npy(path, a);
  const auto header = io::read_npy_header(path);
  CHECK(header.shape == std::vector<std::size_t>{2, 3});
  CHECK_FALSE(header.fortran_order);
  CHECK(header.item_size == sizeof(T));
  const auto back = io::to_xarray<T>(io::read_npy_file(path));
  CHECK(back == a);
  // 1-D arrays: shape "(N,)".
  xt::xarray<T> v = {T(7), T(8)};
  io::save_npy(path, v);
  CHECK(io::read_npy_header(path).shape == std::vector<std::size_t>{2});
  CHECK(io::load_npy_matrix(path).shape()[1] == 1);
}

TEST_CASE("npy: Fortran order is transposed into row-major") {
  // Logical [[1, 2, 3], [4, 5, 6]] stored column by column.
  const auto path = temp_path("fortran.npy");
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                              raw<double>({1, 4, 2, 5, 3, 6})));
  const auto m = io::load_npy_matrix(path);
  xt::xarray<double> expected = {{1, 2, 3}, {4, 5, 6}};
  CHECK(m == expected);
  auto view = make_view(m);
  CHECK(view(1, 0) == 4.0);
}

TEST_CASE("npy: version 2 headers, big-endian data, float32 to double") {
  const auto path = temp_path("v2.npy");
  write_bytes(path, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                              raw<float>({1.5f, -2.0f}), 2));
  const auto m = io::load_npy_matrix(path);
  CHECK(m(0, 0) == 1.5);
  CHECK(m(1, 0) == -2.0);
  std::string be = raw<double>({3.25});
  std::reverse(be.begin(), be.end());
  write_bytes(path, npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1, 1), }", be));
  CHECK(io::load_npy_matrix(path)(0, 0) == 3.25);
}

TEST_CASE("npy: labels from integer and integral float arrays") {
  const auto path = temp_path("labels.npy");
  write_bytes(path, npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
                              raw<std::int32_t>({0, 2, 1})));
  CHECK(io::load_npy_labels(path) == std::vector<std::int64_t>{0, 2, 1});
  CHECK(io::read_npy_header(path).is_integer());
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                              raw<double>({1.0, 0.5})));
  CHECK(error_of([&] { io::load_npy_labels(path); }).find("non-integer value") !=
        std::string::npos);
  write_bytes(path, npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                              raw<std::int64_t>({1, -3})));
  CHECK(error_of([&] { io::load_npy_labels(path); }).find("negative label (labels[1]=-3)") !=
        std::string::npos);
  write_bytes(path, npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }",
                              raw<std::int64_t>({1, 3})));
  CHECK(error_of([&] { io::load_npy_labels(path); }).find("1-D array") != std::string::npos);
}

TEST_CASE("npy: every corrupt file gives a clear error") {
  const auto path = temp_path("corrupt.npy");
  const std::string good_dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  const std::string good_data = raw<double>({1, 2, 3, 4});

  write_bytes(path, "not a numpy file at all");
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("bad magic") != std::string::npos);

  write_bytes(path, npy_bytes(good_dict, good_data.substr(0, 20)));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("truncated") != std::string::npos);

  write_bytes(path, npy_bytes(good_dict, good_data + "xx"));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("unexpected bytes") !=
        std::string::npos);

  write_bytes(path, npy_bytes(good_dict, good_data).substr(0, 40));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("truncated inside its header") !=
        std::string::npos);

  write_bytes(path, npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
                              std::string(16, '\0')));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("does not read") != std::string::npos);

  write_bytes(path, npy_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                              std::string(8, '\0')));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("structured") != std::string::npos);

  write_bytes(path, npy_bytes("{'descr': '<f8', 'shape': (1,), }", std::string(8, '\0')));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("fortran_order") != std::string::npos);

  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }",
                              good_data));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("non-integer dimension") !=
        std::string::npos);

  std::string bad_version = npy_bytes(good_dict, good_data);
  bad_version[6] = 9;
  write_bytes(path, bad_version);
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("version 9") != std::string::npos);

  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 2), }",
                              good_data));
  CHECK(error_of([&] { io::load_npy_matrix(path); }).find("2-D array") != std::string::npos);

  write_bytes(path, npy_bytes(good_dict, raw<double>({1, std::nan(""), 3,
                                                      std::numeric_limits<double>::infinity()})));
  const auto msg = error_of([&] { io::load_npy_matrix(path); });
  CHECK(msg.find("2 non-finite value(s); first at row 0, column 1") != std::string::npos);
  io::matrix_load_options allow;
  allow.require_finite = false;
  CHECK(std::isnan(io::load_npy_matrix(path, allow)(0, 1)));

  CHECK(error_of([&] { io::load_npy_matrix(temp_path("missing.npy")); }).find("cannot open") !=
        std::string::npos);
}

TEST_CASE("npy: shapes that overflow and floats outside the integer range are errors") {
  const auto path = temp_path("overflow.npy");
  // 2^62 x 4 float64: the byte count 2^67 wraps to 0 in 64 bits and would match an empty file.
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                              ""));
  CHECK(error_of([&] { io::read_npy_file(path); }).find("overflows") != std::string::npos);
  // A dimension beyond 64 bits (std::stoull would throw std::out_of_range, not invalid_argument).
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
                              ""));
  CHECK(error_of([&] { io::read_npy_file(path); }).find("too large") != std::string::npos);
  // Zero-sized arrays stay fine whatever the other dimensions.
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4611686018427387904), }",
                              ""));
  CHECK(io::read_npy_file(path).header.element_count() == 0);
  // Integral floats outside the target integer type: the cast would be undefined behaviour.
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                              raw<double>({1.0, 1e19})));
  CHECK(error_of([&] { io::load_npy_labels(path); }).find("outside the integer range") !=
        std::string::npos);
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                              raw<double>({3e9})));
  CHECK(error_of([&] { io::to_xarray<std::int32_t>(io::read_npy_file(path)); })
            .find("outside the integer range") != std::string::npos);
  CHECK(io::to_xarray<std::int64_t>(io::read_npy_file(path))(0) == 3000000000LL);
}

TEST_CASE("npy_row_reader: blocks equal the whole file, rewind, refusals") {
  const std::string path = temp_path("blocks.npy");
  xt::xarray<float> a = xt::xarray<float>::from_shape({5, 3});
  for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = 0.5f * static_cast<float>(i) - 2.0f;
  io::save_npy(path, a);
  io::npy_row_reader reader(path);
  CHECK(reader.rows() == 5);
  CHECK(reader.cols() == 3);
  std::vector<double> block, all;
  for (int pass = 0; pass < 2; ++pass) {  // the second pass after rewind() reads the same rows
    all.clear();
    std::vector<std::size_t> sizes;
    while (const std::size_t got = reader.read(2, block)) {
      sizes.push_back(got);
      all.insert(all.end(), block.begin(), block.end());
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
    CHECK(reader.position() == 5);
    const xt::xarray<double> whole = io::load_npy_matrix(path);
    CHECK(std::vector<double>(whole.begin(), whole.end()) == all);
    reader.rewind();
  }
  CHECK_THROWS_AS(reader.read(0, block), infogeo::invalid_argument);
  // NaN named by row and column; Fortran order and truncation refused.
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                              raw<double>({1.0, 2.0, 3.0, std::nan("")})));
  io::npy_row_reader bad(path);
  CHECK(error_of([&] { bad.read(8, block); }).find("first at row 1, column 1") != std::string::npos);
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                              raw<double>({1.0, 2.0, 3.0, 4.0})));
  CHECK(error_of([&] { io::npy_row_reader r(path); }).find("Fortran order") != std::string::npos);
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                              raw<double>({1.0, 2.0, 3.0})));
  CHECK(error_of([&] { io::npy_row_reader r(path); }).find("truncated") != std::string::npos);
}

TEST_CASE("npy: uint64 values >= 2^63, any-sign integers, non-ASCII headers") {
  const std::string path = temp_path("hygiene.npy");
  // uint64 >= 2^63 decodes as the positive number (it used to wrap negative through int64).
  const std::uint64_t big = (std::uint64_t(1) << 63) + 4096;
  write_bytes(path, npy_bytes("{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }",
                              raw<std::uint64_t>({big, 7})));
  const xt::xarray<double> a = io::load_npy_matrix(path);
  CHECK(a(0, 0) == static_cast<double>(big));
  CHECK(a(0, 0) > 9.2e18);
  CHECK(a(1, 0) == 7.0);
  // ... and as an integer it is refused rather than wrapped.
  CHECK(error_of([&] { io::load_npy_integers(path); }).find("outside the integer range required (element 0 = 9223372036854779904)") !=
        std::string::npos);
  // Integers of any sign load (encode_labels then maps them to 0..C-1); labels stay >= 0.
  write_bytes(path, npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                              raw<std::int64_t>({-5, 50000000, 2})));
  CHECK(io::load_npy_integers(path) == std::vector<std::int64_t>{-5, 50000000, 2});
  CHECK(error_of([&] { io::load_npy_labels(path); }).find("negative label") != std::string::npos);
  // A header byte outside ASCII (a corrupt file) is a clear error naming the byte and offset.
  std::string bytes = npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", raw<double>({1.0}));
  bytes[10 + 3] = static_cast<char>(0xff);
  write_bytes(path, bytes);
  CHECK(error_of([&] { io::read_npy_file(path); }).find("not ASCII text (byte 0xff at header offset 3") !=
        std::string::npos);
}

TEST_CASE("csv: round trip, header detection and errors") {
  const auto path = temp_path("data.csv");
  xt::xarray<double> a = {{1.0, 0.1}, {-2.5, 1e-300}};
  io::save_csv(path, a, {"a", "b"});
  CHECK(io::load_csv(path) == a);
  io::save_csv(path, a);
  CHECK(io::load_csv(path) == a);
  {
    std::ofstream out(path);
    out << "1,2\n3\n";
  }
  CHECK(error_of([&] { io::load_csv(path); }).find("line 2 has 1 fields, expected 2") !=
        std::string::npos);
  {
    std::ofstream out(path);
    out << "1,2\n3,abc\n";
  }
  CHECK(error_of([&] { io::load_csv(path); }).find("line 2 column 1 is not a number") !=
        std::string::npos);
  {
    std::ofstream out(path);
    out << "1,nan\n";
  }
  CHECK(error_of([&] { io::load_csv(path); }).find("not finite") != std::string::npos);
  {
    std::ofstream out(path);
    out << "x,y\n";
  }
  CHECK(error_of([&] { io::load_csv(path); }).find("no data rows") != std::string::npos);
}
