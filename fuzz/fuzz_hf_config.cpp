// libFuzzer harness: the HuggingFace config.json importer, then the zoo YAML writer and reader
// (the round trip of an accepted config must load again). Bad input must end in InputError.
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "fuzz/fuzz_common.hpp"
#include "workloads/core/error.hpp"
#include "workloads/hf_import.hpp"
#include "workloads/model_spec.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  leopard::fuzz::set_home();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = leopard::fuzz::scratch_file(data, size, ".json");
  leopard::workloads::ModelSpec spec;
  try {
    spec = leopard::workloads::import_hf_config(path, "");
  } catch (const leopard::InputError&) {
    return 0;
  }
  // Accepted: the YAML we write must load back to the same shapes.
  const auto yaml_path = path.string() + ".yaml";
  std::ofstream(yaml_path, std::ios::binary | std::ios::trunc)
      << leopard::workloads::model_spec_to_yaml(spec);
  const auto back = leopard::workloads::load_model_spec(yaml_path);
  if (back.layers != spec.layers || back.heads != spec.heads || back.hidden != spec.hidden ||
      back.head_dim != spec.head_dim || back.causal != spec.causal) {
    std::abort();
  }
  return 0;
}
