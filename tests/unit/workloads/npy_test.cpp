// Tests of the .npy reader: every supported variant written byte by byte, files written by numpy
// (tests/data/npy/), and malformed files that must raise InputError with a useful message.
#include "workloads/profile/npy.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "workloads/core/error.hpp"

namespace fs = std::filesystem;
namespace prof = leopard::workloads::profile;

namespace {

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / "leopard_npy_test";
  fs::create_directories(dir);
  return dir;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A .npy file: magic, version, header length (2 bytes for 1.0, 4 for 2.0/3.0, little-endian),
// the header dict padded with spaces and a newline to a multiple of 64 bytes, then `data`.
std::string make_npy(int major, const std::string& dict, const std::string& data) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((out.size() + len_bytes + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  for (std::size_t i = 0; i < len_bytes; ++i) {
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  }
  return out + header + data;
}

// Raw bytes of a value in the given byte order.
template <typename T>
std::string bytes_of(T value, bool big_endian) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));
  if (big_endian) std::reverse(out.begin(), out.end());  // the test host is little-endian
  return out;
}

// Values v(i, j) = 10 i + j - 7 of a [2, 3] array, in C or Fortran order.
template <typename T>
std::string data_2x3(bool big_endian, bool fortran) {
  std::string out;
  if (fortran) {
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) out += bytes_of<T>(static_cast<T>(10 * i + j - 7), big_endian);
  } else {
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) out += bytes_of<T>(static_cast<T>(10 * i + j - 7), big_endian);
  }
  return out;
}

std::string dict(const std::string& descr, bool fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

template <typename T>
void check_variant(const std::string& code, bool is_integer) {
  for (int major : {1, 2, 3}) {
    for (bool big : {false, true}) {
      for (bool fortran : {false, true}) {
        const std::string descr = (sizeof(T) == 1 ? "|" : big ? ">" : "<") + code;
        const fs::path path =
            temp_dir() / ("v" + std::to_string(major) + "_" + code + (big ? "_be" : "_le") +
                          (fortran ? "_f" : "_c") + ".npy");
        write_bytes(path,
                    make_npy(major, dict(descr, fortran, "(2, 3)"), data_2x3<T>(big, fortran)));
        INFO(path.string());
        const prof::NpyArray a = prof::read_npy(path);
        CHECK(a.dtype == descr);
        CHECK(a.shape == std::vector<std::int64_t>{2, 3});
        CHECK(a.is_integer == is_integer);
        CHECK(a.fortran_order == fortran);
        REQUIRE(a.size() == 6);
        for (int i = 0; i < 2; ++i) {
          for (int j = 0; j < 3; ++j) {
            const auto idx = static_cast<std::size_t>(3 * i + j);
            if (is_integer) {
              REQUIRE(a.ints.size() == 6);
              CHECK(a.ints[idx] == 10 * i + j - 7);
            } else {
              REQUIRE(a.floats.size() == 6);
              CHECK(a.floats[idx] == static_cast<double>(10 * i + j - 7));
            }
          }
        }
      }
    }
  }
}

// Expects InputError whose message contains `needle`.
void check_bad(const std::string& name, const std::string& bytes, const std::string& needle) {
  const fs::path path = temp_dir() / name;
  write_bytes(path, bytes);
  INFO(name);
  try {
    prof::read_npy(path);
    FAIL("no InputError for " << name);
  } catch (const leopard::InputError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains(name));
    CHECK_THAT(what, Catch::Contains(needle));
  }
}

}  // namespace

TEST_CASE("npy: every dtype, byte order, memory order and version", "[npy]") {
  check_variant<std::int8_t>("i1", true);
  check_variant<std::int16_t>("i2", true);
  check_variant<std::int32_t>("i4", true);
  check_variant<std::int64_t>("i8", true);
  check_variant<float>("f4", false);
  check_variant<double>("f8", false);
}

TEST_CASE("npy: shapes of rank 0, 1, 3 and 4 and Fortran order in 3-D", "[npy]") {
  const fs::path dir = temp_dir();
  write_bytes(dir / "scalar.npy", make_npy(1, dict("<i4", false, "()"), bytes_of<int>(42, false)));
  const auto s = prof::read_npy(dir / "scalar.npy");
  CHECK(s.shape.empty());
  CHECK(s.ints == std::vector<std::int64_t>{42});

  write_bytes(dir / "vec.npy",
              make_npy(1, dict("<i2", false, "(3,)"),
                       bytes_of<std::int16_t>(1, false) + bytes_of<std::int16_t>(-2, false) +
                           bytes_of<std::int16_t>(3, false)));
  CHECK(prof::read_npy(dir / "vec.npy").ints == std::vector<std::int64_t>{1, -2, 3});

  // [2, 2, 2] in Fortran order: element (i, j, l) at file position i + 2 j + 4 l.
  std::string data;
  for (int l = 0; l < 2; ++l)
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < 2; ++i) data += bytes_of<std::int32_t>(100 * i + 10 * j + l, false);
  write_bytes(dir / "f3.npy", make_npy(1, dict("<i4", true, "(2, 2, 2)"), data));
  CHECK(prof::read_npy(dir / "f3.npy").ints ==
        std::vector<std::int64_t>{0, 1, 10, 11, 100, 101, 110, 111});

  write_bytes(dir / "r4.npy",
              make_npy(1, dict("<i1", false, "(1, 2, 1, 2)"), std::string("\x01\xff\x02\xfe", 4)));
  const auto r4 = prof::read_npy(dir / "r4.npy");
  CHECK(r4.shape == std::vector<std::int64_t>{1, 2, 1, 2});
  CHECK(r4.ints == std::vector<std::int64_t>{1, -1, 2, -2});

  // Key order and double quotes are free in a Python dict literal.
  write_bytes(dir / "order.npy",
              make_npy(1, "{\"shape\": (1,), \"fortran_order\": False, \"descr\": \"<f8\"}",
                       bytes_of<double>(-0.5, false)));
  CHECK(prof::read_npy(dir / "order.npy").floats == std::vector<double>{-0.5});
}

TEST_CASE("npy: files written by numpy", "[npy]") {
  const fs::path dir = fs::path(LEOPARD_SOURCE_DIR) / "tests" / "data" / "npy";
  // All hold np.arange(24).reshape(2, 3, 4) - 11 (x 0.5 for arange_f4_le_v2).
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("arange_", 0) != 0) continue;
    INFO(name);
    const auto a = prof::read_npy(entry.path());
    CHECK(a.shape == std::vector<std::int64_t>{2, 3, 4});
    CHECK(a.fortran_order == (name.find("_f.npy") != std::string::npos));
    const double factor = name == "arange_f4_le_v2.npy" ? 0.5 : 1.0;
    for (std::int64_t i = 0; i < 24; ++i) {
      const double expected = static_cast<double>(i - 11) * factor;
      const auto idx = static_cast<std::size_t>(i);
      CHECK((a.is_integer ? static_cast<double>(a.ints[idx]) : a.floats[idx]) == expected);
    }
    ++checked;
  }
  CHECK(checked == 24);
  const auto s = prof::read_npy(dir / "scalar_f8.npy");
  CHECK(s.shape.empty());
  CHECK(s.floats == std::vector<double>{2.5});
}

TEST_CASE("npy: malformed files raise InputError naming the file and the problem", "[npy]") {
  const std::string ok_dict = dict("<i4", false, "(2, 3)");
  const std::string ok_data = data_2x3<std::int32_t>(false, false);
  const std::string good = make_npy(1, ok_dict, ok_data);

  check_bad("empty.npy", "", "bad magic");
  check_bad("magic.npy", "\x93NUMPZ" + good.substr(6), "bad magic");
  check_bad("text.npy", "hello world, not numpy", "bad magic");
  check_bad("preamble.npy", good.substr(0, 8), "truncated header");
  check_bad("version.npy", good.substr(0, 6) + "\x04" + good.substr(7), "version 4.0");
  check_bad("header_short.npy", good.substr(0, 40), "truncated header");
  check_bad("data_short.npy", good.substr(0, good.size() - 3), "truncated data");
  check_bad("data_long.npy", good + "xx", "unexpected bytes");
  check_bad("dtype_u4.npy", make_npy(1, dict("<u4", false, "(2, 3)"), ok_data),
            "unsupported dtype '<u4'");
  check_bad("dtype_c8.npy", make_npy(1, dict("<c8", false, "(3,)"), ok_data), "unsupported dtype");
  check_bad("dtype_bool.npy", make_npy(1, dict("|b1", false, "(6,)"), std::string(6, '\1')),
            "unsupported dtype");
  check_bad(
      "structured.npy",
      make_npy(1, "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (6,), }", ok_data),
      "structured");
  check_bad("huge_shape.npy",
            make_npy(1, dict("<f8", false, "(1000000000, 1000000000, 1000000000)"), ok_data),
            "shape");
  check_bad("overflow_dim.npy",
            make_npy(1, dict("<f8", false, "(99999999999999999999999,)"), ok_data), "too large");
  check_bad("negative.npy", make_npy(1, dict("<i4", false, "(-2, 3)"), ok_data), "shape");
  check_bad("no_shape.npy", make_npy(1, "{'descr': '<i4', 'fortran_order': False}", ok_data),
            "must contain");
  check_bad("bad_bool.npy",
            make_npy(1, "{'descr': '<i4', 'fortran_order': Nope, 'shape': (2, 3), }", ok_data),
            "True or False");
  check_bad("unterminated.npy", make_npy(1, "{'descr': '<i4, 'shape': (6,)}", ok_data), "header");
  check_bad("not_a_dict.npy", make_npy(1, "[1, 2, 3]", ok_data), "expected '{'");
  // A v2 header that claims 4 GiB: rejected before any allocation.
  std::string lying = good.substr(0, 6) + std::string("\x02\x00\xff\xff\xff\xff", 6) + "{}";
  check_bad("lying_header.npy", lying, "header length");

  CHECK_THROWS_AS(prof::read_npy(temp_dir() / "does_not_exist.npy"), leopard::InputError);
  CHECK_THROWS_AS(prof::read_npy(temp_dir()), leopard::InputError);
}
