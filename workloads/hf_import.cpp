// HuggingFace config.json import: field names per family from docs/references.md §7 (BERT, ALBERT,
// GPT-2 with its aliases, ViT) and the LlamaConfig family (llama, mistral, qwen2, gemma, gemma2,
// phi3), dispatched on model_type.
#include "workloads/hf_import.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"

namespace leopard::workloads {

namespace {

using nlohmann::json;

class ConfigReader {
 public:
  ConfigReader(const json& root, std::string file) : root_(root), file_(std::move(file)) {}

  // The first of `keys` present (aliases); throws naming the first key when none is.
  int require(std::initializer_list<const char*> keys) const {
    for (const char* key : keys) {
      if (const auto v = optional(key)) return *v;
    }
    throw InputError(file_, 0, *keys.begin(), "missing required key" + alias_text(keys));
  }

  // An integer key: std::nullopt when absent or null.
  std::optional<int> optional(const char* key) const {
    const auto it = root_.find(key);
    if (it == root_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() && !(it->is_number_float() && is_whole(it->get<double>()))) {
      throw InputError(file_, 0, key, "expected a positive integer, got " + it->dump());
    }
    const auto value = it->is_number_integer() ? it->get<std::int64_t>()
                                               : static_cast<std::int64_t>(it->get<double>());
    if (value <= 0 || value > std::numeric_limits<int>::max()) {
      throw InputError(file_, 0, key, "expected a positive integer, got " + it->dump());
    }
    return static_cast<int>(value);
  }

  std::optional<int> optional(std::initializer_list<const char*> keys) const {
    for (const char* key : keys) {
      if (const auto v = optional(key)) return v;
    }
    return std::nullopt;
  }

  // A boolean key: std::nullopt when absent or null.
  std::optional<bool> boolean(const char* key) const {
    const auto it = root_.find(key);
    if (it == root_.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean())
      throw InputError(file_, 0, key, "expected true or false, got " + it->dump());
    return it->get<bool>();
  }

  // A list of strings (e.g. layer_types): std::nullopt when absent or null.
  std::optional<std::vector<std::string>> strings(const char* key) const {
    const auto it = root_.find(key);
    if (it == root_.end() || it->is_null()) return std::nullopt;
    if (!it->is_array()) throw InputError(file_, 0, key, "expected a list of strings");
    std::vector<std::string> out;
    for (const auto& item : *it) {
      if (!item.is_string()) {
        throw InputError(file_, 0, key, "expected a list of strings, got " + item.dump());
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::string string(const char* key) const {
    const auto it = root_.find(key);
    return it != root_.end() && it->is_string() ? it->get<std::string>() : std::string();
  }

 private:
  // Range-checked first: converting a double outside int64 (1e30, inf, nan) is undefined.
  static bool is_whole(double v) {
    return std::isfinite(v) && std::abs(v) < 9.0e18 && v == std::trunc(v);
  }

  static std::string alias_text(std::initializer_list<const char*> keys) {
    if (keys.size() < 2) return "";
    std::string out = " (or its alias";
    for (auto it = keys.begin() + 1; it != keys.end(); ++it) out += std::string(" ") + *it;
    return out + ")";
  }

  const json& root_;
  std::string file_;
};

std::int64_t line_at(const std::string& text, std::size_t byte) {
  byte = std::min(byte, text.size());
  return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n');
}

// BERT-style encoder fields (BERT, ALBERT, ViT): docs/references.md §7.
void read_encoder(const ConfigReader& r, ModelSpec& spec) {
  spec.layers = r.require({"num_hidden_layers"});
  spec.hidden = r.require({"hidden_size"});
  spec.heads = r.require({"num_attention_heads"});
  spec.ffn = r.require({"intermediate_size"});
  spec.vocab = r.optional("vocab_size").value_or(0);
}

// Decoder-only LLMs with grouped-query attention and a gated FFN (llama, mistral, qwen2, gemma,
// gemma2, phi3): the HF config.json fields of transformers' LlamaConfig and its siblings
// (README "LLM models" lists them with the zoo entries they produce).
//   num_key_value_heads absent: = num_attention_heads (multi-head attention);
//   head_dim absent or null: hidden_size / num_attention_heads (Gemma gives it: 256);
//   sliding_window null or absent: none. Which layers use it:
//     layer_types given (newer transformers): the layers marked "sliding_attention";
//     gemma2: the even layers (HF Gemma2DecoderLayer: is_sliding = not bool(layer_idx % 2));
//     qwen2: none when use_sliding_window is false (Qwen2-7B's config), else the layers
//            layer_idx >= max_window_layers (HF Qwen2Attention);
//     mistral, phi3, others: every layer.
void read_llama(const ConfigReader& r, const std::string& model_type, const std::string& path,
                ModelSpec& spec) {
  spec.family = ModelFamily::kLlama;
  spec.layers = r.require({"num_hidden_layers"});
  spec.hidden = r.require({"hidden_size"});
  spec.heads = r.require({"num_attention_heads"});
  spec.kv_heads = r.optional("num_key_value_heads").value_or(spec.heads);
  spec.head_dim = r.optional("head_dim").value_or(0);  // 0: hidden / heads (validate_model_spec)
  spec.ffn = r.require({"intermediate_size"});
  spec.max_positions = r.require({"max_position_embeddings"});
  spec.vocab = r.optional("vocab_size").value_or(0);
  spec.causal = true;
  if (spec.heads % spec.kv_heads != 0) {
    throw InputError(path, 0, "num_key_value_heads",
                     "must divide num_attention_heads (" + std::to_string(spec.heads) + "), got " +
                         std::to_string(spec.kv_heads));
  }
  const auto window = r.optional("sliding_window");
  if (!window) return;
  if (model_type == "qwen2" && !r.boolean("use_sliding_window").value_or(false)) return;
  std::vector<int> on;
  if (const auto types = r.strings("layer_types")) {
    if (static_cast<int>(types->size()) != spec.layers) {
      throw InputError(path, 0, "layer_types",
                       "has " + std::to_string(types->size()) +
                           " entries but num_hidden_layers is " + std::to_string(spec.layers));
    }
    for (int l = 0; l < spec.layers; ++l) {
      const std::string& t = (*types)[static_cast<std::size_t>(l)];
      if (t == "sliding_attention") {
        on.push_back(l);
      } else if (t != "full_attention") {
        throw InputError(
            path, 0, "layer_types",
            "unknown layer type '" + t + "' (expected sliding_attention or full_attention)");
      }
    }
    if (on.empty()) return;  // every layer global: the window is unused
  } else if (model_type == "gemma2") {
    for (int l = 0; l < spec.layers; l += 2) on.push_back(l);
  } else if (model_type == "qwen2") {
    const int first = r.optional("max_window_layers").value_or(0);
    if (first >= spec.layers) return;  // no layer at or above max_window_layers
    for (int l = first; l < spec.layers; ++l) on.push_back(l);
  }
  spec.sliding_window = *window;
  spec.sliding_window_layers = std::move(on);  // empty: every layer
}

std::string derive_name(const ConfigReader& r, const std::filesystem::path& file,
                        const std::string& model_type) {
  std::string name = r.string("_name_or_path");
  if (!name.empty()) {
    const auto slash = name.find_last_of('/');
    if (slash != std::string::npos) name = name.substr(slash + 1);
    if (!name.empty()) return name;
  }
  const std::string stem = file.stem().string();
  if (!stem.empty() && stem != "config") return stem;
  const std::string parent = file.parent_path().filename().string();
  if (!parent.empty() && parent != "." && parent != "..") return parent;
  return model_type;
}

}  // namespace

ModelSpec import_hf_config(const std::filesystem::path& file, const std::string& name) {
  const std::string path = file.string();
  const std::string text = read_text_file(file);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(path, line_at(text, e.byte > 0 ? e.byte - 1 : 0), "",
                     std::string("malformed JSON: ") + e.what());
  } catch (const json::exception& e) {  // e.g. out_of_range 406: a number like 1e400
    throw InputError(path, 0, "", std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_object()) throw InputError(path, 0, "", "expected a JSON object");
  const ConfigReader r(root, path);
  const std::string model_type = r.string("model_type");
  if (model_type.empty()) throw InputError(path, 0, "model_type", "missing required key");

  ModelSpec spec;
  if (model_type == "bert" || model_type == "albert") {
    spec.family = model_type == "bert" ? ModelFamily::kBert : ModelFamily::kAlbert;
    read_encoder(r, spec);
    spec.max_positions = r.require({"max_position_embeddings"});
    if (spec.family == ModelFamily::kAlbert) {
      // num_hidden_groups / inner_group_num share weights; the compute per layer is unchanged.
      spec.embedding = r.require({"embedding_size"});
    }
  } else if (model_type == "gpt2") {
    spec.family = ModelFamily::kGpt2;
    spec.layers = r.require({"n_layer", "num_hidden_layers"});
    spec.hidden = r.require({"n_embd", "hidden_size"});
    spec.heads = r.require({"n_head", "num_attention_heads"});
    // n_inner null (or absent) means 4 x n_embd (docs/references.md §7; HF GPT2Config).
    if (spec.hidden > std::numeric_limits<int>::max() / 4) {
      throw InputError(path, 0, "n_embd", "too large: 4 x n_embd overflows the FFN width");
    }
    spec.ffn = r.optional({"n_inner", "intermediate_size"}).value_or(4 * spec.hidden);
    spec.max_positions = r.require({"n_positions", "max_position_embeddings"});
    spec.vocab = r.optional("vocab_size").value_or(0);
    spec.causal = true;
  } else if (model_type == "vit") {
    spec.family = ModelFamily::kVit;
    read_encoder(r, spec);
    spec.image_size = r.require({"image_size"});
    spec.patch_size = r.require({"patch_size"});
    spec.vocab = 0;
  } else if (model_type == "llama" || model_type == "mistral" || model_type == "qwen2" ||
             model_type == "gemma" || model_type == "gemma2" || model_type == "phi3") {
    read_llama(r, model_type, path, spec);
  } else {
    throw InputError(path, 0, "model_type",
                     "unsupported model_type '" + model_type +
                         "' (expected bert, albert, gpt2, vit, llama, mistral, qwen2, gemma, "
                         "gemma2, phi3)");
  }
  spec.name = name.empty() ? derive_name(r, file, model_type) : name;
  spec.description = "imported from a HuggingFace " + model_type + " config.json";
  spec.source = "HuggingFace config.json: " + file.filename().string();
  if (const std::string hub = r.string("_name_or_path"); !hub.empty())
    spec.source += " (" + hub + ")";
  validate_model_spec(spec, path);
  return spec;
}

}  // namespace leopard::workloads
