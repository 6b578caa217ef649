// Linked into every test binary: before any test runs, TMPDIR points at a folder of this build
// tree, so std::filesystem::temp_directory_path() (and the leopard-dse processes the CLI tests
// start) never share temporary folders with another build's tests running at the same time.
#include <cstdlib>
#include <filesystem>

namespace {

const bool kTmpdirSet = [] {
  std::filesystem::create_directories(LEOPARD_TEST_TMPDIR);
  return setenv("TMPDIR", LEOPARD_TEST_TMPDIR, 1) == 0;
}();

}  // namespace
