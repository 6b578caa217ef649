// Runs a shell command line for the end-to-end tests and captures its standard output and exit
// code (callers add their own stderr redirection). Shared by tests/cli and tests/golden.
#pragma once

#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace leopard::test {

struct CommandResult {
  int code = -1;    // exit code, -1 when killed by a signal
  std::string out;  // standard output
};

inline CommandResult run_command(const std::string& command_line) {
  // The binary finds its data through LEOPARD_HOME; default to this source tree.
  if (std::getenv("LEOPARD_HOME") == nullptr) setenv("LEOPARD_HOME", LEOPARD_SOURCE_DIR, 1);
  CommandResult r;
  FILE* pipe = popen(command_line.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) r.out += buf.data();
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs a command with stderr discarded; appends its stdout to `out` when given. Returns the exit
// code.
inline int run_quiet(const std::string& command_line, std::string* out = nullptr) {
  const CommandResult r = run_command(command_line + " 2>/dev/null");
  if (out != nullptr) *out += r.out;
  return r.code;
}

}  // namespace leopard::test
