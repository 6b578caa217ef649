// libFuzzer harness: the .npy reader. Bad input must end in InputError; an accepted array must have
// as many decoded elements as its shape says.
#include <cstdint>
#include <cstdlib>

#include "fuzz/fuzz_common.hpp"
#include "workloads/core/error.hpp"
#include "workloads/profile/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = leopard::fuzz::scratch_file(data, size, ".npy");
  try {
    const auto a = leopard::workloads::profile::read_npy(path);
    const auto n = static_cast<std::size_t>(a.size());
    if ((a.is_integer ? a.ints.size() : a.floats.size()) != n) std::abort();
  } catch (const leopard::InputError&) {
  }
  return 0;
}
