// Helpers shared by the workload tests: scratch files and error inspection.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace leopard::test {

// A fresh scratch directory per call (removed at the end of the test run by the OS temp cleaner).
inline std::filesystem::path scratch_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("leopard-wl-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::filesystem::path write_file(const std::filesystem::path& path,
                                        const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path;
}

inline std::filesystem::path data_file(const std::string& relative) {
  return std::filesystem::path(LEOPARD_SOURCE_DIR) / "tests/data/workloads" / relative;
}

}  // namespace leopard::test
