// HuggingFace config.json -> zoo entry (BERT, ALBERT, GPT-2 with its aliases, ViT; the decoder LLMs
// llama, mistral, qwen2, gemma, gemma2 and phi3 as family llama).
#pragma once

#include <filesystem>
#include <string>

#include "workloads/model_spec.hpp"

namespace leopard::workloads {

// Dispatches on model_type; unknown keys are ignored; a missing required key is an InputError
// naming the file and key. `name` (may be empty) overrides the derived name.
ModelSpec import_hf_config(const std::filesystem::path& file, const std::string& name);

}  // namespace leopard::workloads
