// Tests for include/infogeo/io/idx.hpp: IDX files (MNIST / Fashion-MNIST format), plain and gzip,
// round trips against bytes written here, and every malformed-file path (corrupt header, truncated
// header / data / gzip stream, trailing bytes, unsupported type) -> infogeo::invalid_argument.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "infogeo/io/idx.hpp"

using namespace infogeo;

namespace {

std::string temp_path(const std::string& name) { return std::string(INFOGEO_TEST_BINARY_DIR) + "/idx_" + name; }

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(f);
}

std::string be32(std::uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

/// A 3 x 2 x 2 unsigned-byte IDX file with values 0..11 (+ a header for ndim 3).
std::string small_images() {
  std::string s = std::string("\0\0\x08\x03", 4) + be32(3) + be32(2) + be32(2);
  for (int i = 0; i < 12; ++i) s += char(i * 20);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void check_small(const io::idx_array& a) {
  REQUIRE(a.shape.size() == 3);
  CHECK(a.shape[0] == 3);
  CHECK(a.shape[1] == 2);
  CHECK(a.shape[2] == 2);
  REQUIRE(a.data.size() == 12);
  CHECK(a.element_count() == 12);
  for (int i = 0; i < 12; ++i) CHECK(a.data[static_cast<std::size_t>(i)] == static_cast<std::uint8_t>(i * 20));
}

}  // namespace

TEST_CASE("idx: plain and gzip files give the same array") {
  write_bytes(temp_path("plain.idx"), small_images());
  write_gzip(temp_path("small.idx.gz"), small_images());
  check_small(io::load_idx(temp_path("plain.idx")));
  check_small(io::load_idx(temp_path("small.idx.gz"), 3));
  // 1-D labels
  std::string labels = std::string("\0\0\x08\x01", 4) + be32(5) + std::string("\x00\x01\x09\x03\x02", 5);
  write_gzip(temp_path("labels.gz"), labels);
  const auto l = io::load_idx(temp_path("labels.gz"), 1);
  REQUIRE(l.shape.size() == 1);
  CHECK(l.shape[0] == 5);
  CHECK(l.data[2] == 9);
}

TEST_CASE("idx: a larger gzip file (several zlib buffers) round-trips") {
  std::string s = std::string("\0\0\x08\x02", 4) + be32(1000) + be32(784);
  for (long i = 0; i < 1000L * 784; ++i) s += char((i * 7919) % 251);
  write_gzip(temp_path("large.gz"), s);
  const auto a = io::load_idx(temp_path("large.gz"), 2);
  REQUIRE(a.data.size() == 784000u);
  CHECK(a.data[123456] == static_cast<std::uint8_t>((123456L * 7919) % 251));
}

TEST_CASE("idx: corrupt header, truncated file, bad gzip -> invalid_argument naming the problem") {
  auto fails_with = [](const std::string& name, const std::string& bytes, const std::string& what, bool gz,
                       std::size_t ndim = 0) {
    const std::string p = temp_path(name);
    if (gz) write_gzip(p, bytes);
    else write_bytes(p, bytes);
    CHECK_THROWS_WITH_AS(io::load_idx(p, ndim), doctest::Contains(what.c_str()), infogeo::invalid_argument);
  };
  const std::string good = small_images();
  for (bool gz : {false, true}) {
    const std::string tag = gz ? ".gz" : "";
    fails_with("magic" + tag, std::string("\x01\0\x08\x03", 4) + good.substr(4), "bad IDX magic", gz);
    fails_with("type" + tag, std::string("\0\0\x0d\x03", 4) + good.substr(4), "type code 0xd", gz);
    fails_with("ndim0" + tag, std::string("\0\0\x08\x00", 4), "ndim=0", gz);
    fails_with("ndim9" + tag, std::string("\0\0\x08\x09", 4), "ndim=9", gz);
    fails_with("wrongndim" + tag, good, "ndim=3 (expected 1)", gz, 1);
    fails_with("zerodim" + tag, std::string("\0\0\x08\x01", 4) + be32(0), "dimension 0 of size 0", gz);
    fails_with("short" + tag, std::string("\0\0", 2), "shorter than the 4-byte IDX magic", gz);
    fails_with("header" + tag, good.substr(0, 10), "truncated in its header", gz);
    fails_with("data" + tag, good.substr(0, good.size() - 3), "declares 12 data bytes, the file has 9", gz);
    fails_with("trailing" + tag, good + "x", "trailing bytes", gz);
    // A header announcing 4e9 x 4e9 bytes: rejected as truncated without allocating it.
    fails_with("huge" + tag, std::string("\0\0\x08\x02", 4) + be32(4000000000u) + be32(4000000000u), "is truncated",
               gz);
  }
  // gzip stream cut in the middle, and a gzip stream with corrupt deflate data.
  write_gzip(temp_path("cut.gz"), good);
  const std::string z = read_file(temp_path("cut.gz"));
  write_bytes(temp_path("cut2.gz"), z.substr(0, z.size() / 2));
  CHECK_THROWS_AS(io::load_idx(temp_path("cut2.gz")), infogeo::invalid_argument);
  std::string bad = z;
  for (std::size_t i = 12; i < bad.size() - 8; ++i) bad[i] = char(0xff);
  write_bytes(temp_path("bad.gz"), bad);
  CHECK_THROWS_WITH_AS(io::load_idx(temp_path("bad.gz")), doctest::Contains("not a valid gzip stream"),
                       infogeo::invalid_argument);
  CHECK_THROWS_WITH_AS(io::load_idx(temp_path("does_not_exist.gz")), doctest::Contains("cannot be opened"),
                       infogeo::invalid_argument);
}
