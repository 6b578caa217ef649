// libFuzzer harness: the architecture YAML reader (load_arch) and the design-space YAML parser
// (DesignSpace::parse) on the same input. Bad input must end in leopard::InputError; any other
// exception, crash, leak or UB is a finding.
#include <cstdint>
#include <string>

#include "dse/space.hpp"
#include "fuzz/fuzz_common.hpp"
#include "models/arch_spec.hpp"
#include "workloads/core/error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  leopard::fuzz::set_home();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto path = leopard::fuzz::scratch_file(data, size, ".yaml");
  try {
    const leopard::models::ArchSpec spec = leopard::models::load_arch(path.string());
    leopard::models::validate_arch(spec, 64);
  } catch (const leopard::InputError&) {
  }
  try {
    const auto space = leopard::dse::DesignSpace::parse(text, "fuzz.yaml", LEOPARD_SOURCE_DIR);
    // Decode and build the first and the last design: indexing must stay in range.
    leopard::models::ArchSpec out;
    space.build(0, out);
    space.build(space.size() - 1, out);
    (void)space.design_hash(space.size() - 1);
  } catch (const leopard::InputError&) {
  }
  return 0;
}
