// The .npy reader: header validation, byte-order conversion and Fortran-to-C reordering.
#include "workloads/profile/npy.hpp"

#include <bit>
#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>
#include <system_error>

#include "workloads/core/error.hpp"

namespace leopard::workloads::profile {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kMaxHeaderLen = std::size_t{1} << 20;  // numpy itself caps headers far lower
constexpr std::size_t kMaxRank = 32;                         // numpy's NPY_MAXDIMS

[[noreturn]] void fail(const std::string& file, const std::string& field, const std::string& msg) {
  throw InputError(file, 0, field, msg);
}

// Minimal parser of the header: a Python dict literal with the keys 'descr' (a string),
// 'fortran_order' (True/False) and 'shape' (a tuple of non-negative integers).
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (peek() != '\'' && peek() != '"') {
          fail(file_, "descr", "unsupported dtype (structured or non-string descr)");
        }
        descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        shape = parse_shape();
        have_shape = true;
      } else {
        fail(file_, "header", "unexpected key '" + key + "' in the header dictionary");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail(file_, "header", "malformed header dictionary near offset " + std::to_string(pos_));
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail(file_, "header", "unexpected text after the header dictionary");
    if (!have_descr || !have_order || !have_shape) {
      fail(file_, "header", "header must contain 'descr', 'fortran_order' and 'shape'");
    }
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) {
      fail(file_, "header",
           std::string("malformed header dictionary: expected '") + c + "' at offset " +
               std::to_string(pos_));
    }
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') {
      fail(file_, "header",
           "malformed header dictionary: expected a quoted string at offset " +
               std::to_string(pos_));
    }
    ++pos_;
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail(file_, "header", "unterminated string in the header");
    std::string out(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail(file_, "fortran_order", "expected True or False");
  }
  std::vector<std::int64_t> parse_shape() {
    expect('(');
    std::vector<std::int64_t> shape;
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) {
        fail(file_, "shape",
             "expected a non-negative integer dimension at offset " + std::to_string(pos_));
      }
      std::int64_t dim = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const int digit = peek() - '0';
        if (dim > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
          fail(file_, "shape", "dimension too large");
        }
        dim = dim * 10 + digit;
        ++pos_;
      }
      // Python 2 era files may write long integers as "12L".
      if (peek() == 'L') ++pos_;
      shape.push_back(dim);
      if (shape.size() > kMaxRank) fail(file_, "shape", "more than 32 dimensions");
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail(file_, "shape", "malformed shape tuple at offset " + std::to_string(pos_));
      }
    }
  }

  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
};

struct Dtype {
  bool big_endian = false;
  bool is_integer = false;
  int itemsize = 0;
};

Dtype parse_descr(const std::string& descr, const std::string& file) {
  Dtype out;
  if (descr.size() < 2) fail(file, "descr", "unsupported dtype '" + descr + "'");
  std::size_t pos = 0;
  char order = '=';
  if (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=') {
    order = descr[0];
    pos = 1;
  }
  const std::string code = descr.substr(pos);
  if (code == "i1") {
    out = {false, true, 1};
  } else if (code == "i2") {
    out = {false, true, 2};
  } else if (code == "i4") {
    out = {false, true, 4};
  } else if (code == "i8") {
    out = {false, true, 8};
  } else if (code == "f4") {
    out = {false, false, 4};
  } else if (code == "f8") {
    out = {false, false, 8};
  } else {
    fail(file, "descr",
         "unsupported dtype '" + descr + "' (supported: int8, int16, int32, int64, float32, " +
             "float64)");
  }
  out.big_endian = order == '>' || (order == '=' && std::endian::native == std::endian::big);
  return out;
}

// Decodes element `i` of raw data into a host value.
template <typename T>
T load(const char* data, std::size_t i, bool swap) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, data + i * sizeof(T), sizeof(T));
  if (swap) {
    for (std::size_t a = 0, b = sizeof(T) - 1; a < b; ++a, --b) std::swap(bytes[a], bytes[b]);
  }
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// Index in the file of the element at C-order position c (for Fortran-order data).
class FortranWalker {
 public:
  explicit FortranWalker(const std::vector<std::int64_t>& shape) : shape_(shape) {
    stride_.assign(shape.size(), 1);
    for (std::size_t j = 1; j < shape.size(); ++j) stride_[j] = stride_[j - 1] * shape[j - 1];
    index_.assign(shape.size(), 0);
  }
  std::int64_t offset() const { return offset_; }
  // Advances to the next element in C order (last index fastest).
  void next() {
    for (std::size_t j = shape_.size(); j-- > 0;) {
      if (++index_[j] < shape_[j]) {
        offset_ += stride_[j];
        return;
      }
      offset_ -= (index_[j] - 1) * stride_[j];
      index_[j] = 0;
    }
  }

 private:
  const std::vector<std::int64_t>& shape_;
  std::vector<std::int64_t> stride_;
  std::vector<std::int64_t> index_;
  std::int64_t offset_ = 0;
};

template <typename T, typename Out>
void decode(const std::vector<char>& raw, std::int64_t count, bool swap, bool fortran,
            const std::vector<std::int64_t>& shape, std::vector<Out>& out) {
  out.resize(static_cast<std::size_t>(count));
  if (!fortran || shape.size() < 2) {
    for (std::int64_t i = 0; i < count; ++i) {
      out[static_cast<std::size_t>(i)] =
          static_cast<Out>(load<T>(raw.data(), static_cast<std::size_t>(i), swap));
    }
    return;
  }
  FortranWalker walker(shape);
  for (std::int64_t i = 0; i < count; ++i, walker.next()) {
    out[static_cast<std::size_t>(i)] =
        static_cast<Out>(load<T>(raw.data(), static_cast<std::size_t>(walker.offset()), swap));
  }
}

}  // namespace

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

NpyArray read_npy(const std::filesystem::path& path) {
  NpyArray out;
  out.file = path.string();
  const std::string& file = out.file;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(file, "", "is a directory, not a .npy file");
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) fail(file, "", "cannot read file: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(file, "", "cannot open file");

  // Preamble: magic, version, header length.
  char pre[12] = {};
  const std::size_t pre_read = std::min<std::uintmax_t>(file_size, 10);
  in.read(pre, static_cast<std::streamsize>(pre_read));
  if (pre_read < kMagicLen || std::memcmp(pre, kMagic, kMagicLen) != 0) {
    fail(file, "magic", "not a .npy file (bad magic; expected \\x93NUMPY)");
  }
  if (pre_read < 10) fail(file, "header", "truncated header (file ends in the preamble)");
  const int major = static_cast<unsigned char>(pre[6]);
  const int minor = static_cast<unsigned char>(pre[7]);
  if (major < 1 || major > 3 || minor != 0) {
    fail(file, "version",
         "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  std::size_t header_len = 0;
  std::size_t header_start = 10;
  if (major == 1) {
    header_len = static_cast<unsigned char>(pre[8]) |
                 (static_cast<std::size_t>(static_cast<unsigned char>(pre[9])) << 8);
  } else {
    if (file_size < 12) fail(file, "header", "truncated header (file ends in the preamble)");
    in.read(pre + 10, 2);
    header_start = 12;
    for (int i = 3; i >= 0; --i)
      header_len = (header_len << 8) | static_cast<unsigned char>(pre[8 + i]);
  }
  if (header_len > kMaxHeaderLen) {
    fail(file, "header", "header length " + std::to_string(header_len) + " is implausible");
  }
  if (header_start + header_len > file_size) {
    fail(file, "header",
         "truncated header: declares " + std::to_string(header_len) + " bytes, file has " +
             std::to_string(file_size - header_start) + " after the preamble");
  }
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) fail(file, "header", "cannot read the header");

  HeaderParser(header, file).parse(out.dtype, out.fortran_order, out.shape);
  const Dtype dtype = parse_descr(out.dtype, file);
  out.is_integer = dtype.is_integer;

  // Element count and data size, with overflow checks, against the bytes actually in the file.
  const std::uintmax_t data_avail = file_size - header_start - header_len;
  std::uintmax_t count = 1;
  for (const std::int64_t d : out.shape) {
    const auto ud = static_cast<std::uintmax_t>(d);
    if (ud != 0 && count > data_avail / ud + 1) {
      fail(file, "shape",
           "shape " + shape_string(out.shape) + " needs more data than the file holds (" +
               std::to_string(data_avail) + " bytes)");
    }
    count *= ud;
  }
  const std::uintmax_t need = count * static_cast<std::uintmax_t>(dtype.itemsize);
  if (count != 0 && need / count != static_cast<std::uintmax_t>(dtype.itemsize)) {
    fail(file, "shape", "shape " + shape_string(out.shape) + " overflows");
  }
  if (need > data_avail) {
    fail(file, "data",
         "truncated data: shape " + shape_string(out.shape) + " of " + out.dtype + " needs " +
             std::to_string(need) + " bytes, file has " + std::to_string(data_avail));
  }
  if (need < data_avail) {
    fail(file, "data",
         std::to_string(data_avail - need) + " unexpected bytes after the data of shape " +
             shape_string(out.shape));
  }

  std::vector<char> raw(static_cast<std::size_t>(need));
  in.read(raw.data(), static_cast<std::streamsize>(need));
  if (!in) fail(file, "data", "cannot read the data");
  const bool swap = dtype.big_endian != (std::endian::native == std::endian::big);
  const auto n = static_cast<std::int64_t>(count);
  switch (dtype.itemsize * (dtype.is_integer ? 1 : -1)) {
    case 1:
      decode<std::int8_t>(raw, n, swap, out.fortran_order, out.shape, out.ints);
      break;
    case 2:
      decode<std::int16_t>(raw, n, swap, out.fortran_order, out.shape, out.ints);
      break;
    case 4:
      decode<std::int32_t>(raw, n, swap, out.fortran_order, out.shape, out.ints);
      break;
    case 8:
      decode<std::int64_t>(raw, n, swap, out.fortran_order, out.shape, out.ints);
      break;
    case -4:
      decode<float>(raw, n, swap, out.fortran_order, out.shape, out.floats);
      break;
    default:
      decode<double>(raw, n, swap, out.fortran_order, out.shape, out.floats);
      break;
  }
  return out;
}

}  // namespace leopard::workloads::profile
