// libFuzzer harness: the ONNX importer (protobuf parsing, ONNX shape inference, the attention
// pattern matcher, the causal-mask classifier), then the zoo YAML writer and reader (an accepted
// model must load again). Bad input must end in InputError.
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "fuzz/fuzz_common.hpp"
#include "workloads/core/error.hpp"
#include "workloads/model_spec.hpp"
#include "workloads/onnx_import.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  leopard::fuzz::set_home();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = leopard::fuzz::scratch_file(data, size, ".onnx");
  leopard::workloads::OnnxModel model;
  try {
    model = leopard::workloads::import_onnx(path, "fuzz");
  } catch (const leopard::InputError&) {
    return 0;
  }
  const auto& spec = model.spec;
  if (model.layers.empty() || static_cast<int>(model.layers.size()) != spec.layers) std::abort();
  const auto yaml_path = path.string() + ".yaml";
  std::ofstream(yaml_path, std::ios::binary | std::ios::trunc)
      << leopard::workloads::model_spec_to_yaml(spec);
  const auto back = leopard::workloads::load_model_spec(yaml_path);
  if (back.layers != spec.layers || back.heads != spec.heads || back.hidden != spec.hidden ||
      back.head_dim != spec.head_dim || back.causal != spec.causal ||
      back.default_seq_len != spec.default_seq_len) {
    std::abort();
  }
  return 0;
}
