// Data-root lookup, version, git revision and whole-file reading.
#include "workloads/core/paths.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "workloads/core/error.hpp"

namespace leopard {

std::filesystem::path data_home() {
  if (const char* env = std::getenv("LEOPARD_HOME"); env != nullptr && *env != '\0') {
    return std::filesystem::path(env);
  }
  return std::filesystem::path(LEOPARD_DEFAULT_HOME);
}

std::filesystem::path data_path(const std::string& relative) { return data_home() / relative; }

std::string tool_version() { return LEOPARD_VERSION; }

std::string git_revision() {
  static std::once_flag once;
  static std::string revision = "unknown";
  std::call_once(once, [] {
    // Read .git/HEAD directly: no subprocess, works without git installed.
    const auto git = data_home() / ".git";
    std::ifstream head(git / "HEAD");
    std::string line;
    if (!std::getline(head, line)) return;
    if (line.rfind("ref: ", 0) == 0) {
      const std::string ref = line.substr(5);
      std::ifstream ref_file(git / ref);
      if (std::getline(ref_file, line)) {
        revision = line;
        return;
      }
      std::ifstream packed(git / "packed-refs");
      while (std::getline(packed, line)) {
        if (line.size() > 41 && line.substr(41) == ref) {
          revision = line.substr(0, 40);
          return;
        }
      }
      return;
    }
    revision = line;
  });
  return revision;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path.string(), 0, "", "is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), 0, "", "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace leopard
