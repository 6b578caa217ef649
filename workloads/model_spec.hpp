// A model-zoo entry: the hyper-parameters of a transformer (or MemN2N) family member, loaded from
// workloads/zoo/<name>.yaml or imported from a HuggingFace config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace leopard::workloads {

// kLlama: decoder-only, causal, grouped-query attention, gated FFN of three matrices (gate, up,
// down), RMSNorm pre-norm; also Mistral, Qwen2, Gemma/Gemma-2 and Phi-3 (same block structure).
enum class ModelFamily { kBert, kAlbert, kGpt2, kVit, kMemN2N, kLlama };

std::string to_string(ModelFamily family);
// Parses "bert", "albert", "gpt2", "vit", "memn2n", "llama"; throws InputError(file, 0, field)
// otherwise.
ModelFamily parse_family(const std::string& text, const std::string& file,
                         const std::string& field);

struct ModelSpec {
  std::string name;  // zoo name, e.g. "bert-base"
  ModelFamily family = ModelFamily::kBert;
  std::string description;
  std::string source;              // provenance line (paper, HF hub id, docs/references.md §7)
  int layers = 0;                  // transformer blocks (MemN2N: hops)
  int hidden = 0;                  // model width (MemN2N: embedding size)
  int heads = 0;                   // attention heads per layer (MemN2N: 1)
  int kv_heads = 0;                // K/V heads (grouped-query attention); 0 = heads
                                   // (validate_model_spec fills it in: after it, 1..heads)
  int head_dim = 0;                // hidden / heads unless given
  int ffn = 0;                     // FFN inner size (0 for MemN2N)
  int embedding = 0;               // ALBERT factorised embedding size (0 = hidden)
  int vocab = 0;                   // vocabulary size (0 = unknown; only for the embedding operator)
  std::int64_t max_positions = 0;  // longest supported sequence (0 = unbounded)
  std::int64_t default_seq_len = 0;  // tokens used when a task does not say
  bool causal = false;               // decoder self-attention (GPT-2)
  int image_size = 0;                // ViT: tokens = (image_size / patch_size)^2 + 1
  int patch_size = 0;
  int memory_size = 0;  // MemN2N: sentences in memory (keys per hop)
  // Sliding-window attention (causal models only): a query of a windowed layer sees at most this
  // many keys, itself included; 0 = none.
  std::int64_t sliding_window = 0;
  // 0-based layers with the window, sorted and unique; empty = every layer (when sliding_window >
  // 0). Gemma-2 alternates: the even layers (0, 2, ...) are local, the odd ones global.
  std::vector<int> sliding_window_layers;

  // The window of layer `layer` (0 when it has none).
  std::int64_t window_of(int layer) const;
};

// ViT tokens: (image_size / patch_size)^2 patches plus the CLS token (docs/references.md §7); 0
// when patch_size is not positive.
std::int64_t vit_tokens(int image_size, int patch_size);

// Checks a spec's sizes and fills derived defaults (head_dim = hidden / heads, default_seq_len:
// ViT tokens, MemN2N memory_size, else max_positions). Throws InputError(file, 0, key).
void validate_model_spec(ModelSpec& spec, const std::string& file);

// Loads and validates a zoo YAML file. Unknown keys and missing required keys are InputErrors
// naming the file and key.
ModelSpec load_model_spec(const std::filesystem::path& file);
// Writes a zoo YAML file (round-trips through load_model_spec).
std::string model_spec_to_yaml(const ModelSpec& spec);

// Zoo directory: data_path("workloads/zoo").
std::filesystem::path zoo_dir();
// Names of the zoo entries, sorted.
std::vector<std::string> list_zoo();
// A zoo name, or a path to a YAML file. Throws InputError when neither exists.
ModelSpec find_model(const std::string& name_or_path);

}  // namespace leopard::workloads
