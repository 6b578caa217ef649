// Shared helpers of the libFuzzer harnesses: a per-process scratch file (the loaders read paths)
// and LEOPARD_HOME pointing at the source tree (presets, zoo).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace leopard::fuzz {

// Writes the fuzz input to a scratch file ending in `ext` and returns its path.
inline std::filesystem::path scratch_file(const std::uint8_t* data, std::size_t size,
                                          const std::string& ext) {
  const std::filesystem::path dir =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const auto path = dir / ("leopard_fuzz_" + std::to_string(getpid()) + ext);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

inline void set_home() { setenv("LEOPARD_HOME", LEOPARD_SOURCE_DIR, 0); }

}  // namespace leopard::fuzz
