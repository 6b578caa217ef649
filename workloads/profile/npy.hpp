// A small reader of NumPy .npy files (format versions 1.0, 2.0 and 3.0) for the profile command.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace leopard::workloads::profile {

// A loaded array, always in C (row-major) order. Integer dtypes (int8/16/32/64) land in `ints`,
// floating dtypes (float32/64) in `floats`; the other vector is empty.
struct NpyArray {
  std::string file;                 // path as given, for messages
  std::string dtype;                // descr as written in the header, e.g. "<i2", ">f8"
  std::vector<std::int64_t> shape;  // empty = a scalar (one element)
  bool fortran_order = false;       // order in the file (the data here is C order)
  bool is_integer = false;
  std::vector<std::int64_t> ints;
  std::vector<double> floats;

  std::int64_t size() const;
};

// Reads a .npy file. Supported: magic "\x93NUMPY", versions 1.0 (2-byte header length), 2.0 and
// 3.0 (4-byte header length; 3.0 allows UTF-8), descr '<', '>', '|' or '=' byte order with i1, i2,
// i4, i8, f4, f8, fortran_order True/False, any shape. The data size implied by the header is
// checked against the file size before anything is allocated, so a lying header cannot cause a
// huge allocation. Throws InputError(file, 0, field, message) on a missing or unreadable file, bad
// magic, unknown version, truncated header or data, trailing bytes, malformed header dictionary,
// unsupported dtype or an impossible shape.
NpyArray read_npy(const std::filesystem::path& file);

// Shape as text, "[12, 512, 64]".
std::string shape_string(const std::vector<std::int64_t>& shape);

}  // namespace leopard::workloads::profile
