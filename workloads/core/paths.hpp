// Where leopard-dse finds its data files (zoo, presets, suites, calibration) and its version.
#pragma once

#include <filesystem>
#include <string>

namespace leopard {

// The data root: $LEOPARD_HOME if set, else the source tree the binary was built from.
std::filesystem::path data_home();

// data_home() / relative, for example data_path("workloads/zoo").
std::filesystem::path data_path(const std::string& relative);

// Tool version (CMake project version).
std::string tool_version();

// Git revision of the data home ("unknown" when it is not a git checkout). Cached after first call.
std::string git_revision();

// Reads a whole file; throws InputError naming the file when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace leopard
