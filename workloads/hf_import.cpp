// HuggingFace config.json import: field names per family from references.md (BERT, ALBERT, GPT-2
// with its aliases, ViT), dispatched on model_type.
#include "workloads/hf_import.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

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

// BERT-style encoder fields (BERT, ALBERT, ViT): references.md "HuggingFace config.json".
void read_encoder(const ConfigReader& r, ModelSpec& spec) {
  spec.layers = r.require({"num_hidden_layers"});
  spec.hidden = r.require({"hidden_size"});
  spec.heads = r.require({"num_attention_heads"});
  spec.ffn = r.require({"intermediate_size"});
  spec.vocab = r.optional("vocab_size").value_or(0);
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
    // n_inner null (or absent) means 4 x n_embd (references.md; HF GPT2Config).
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
  } else {
    throw InputError(
        path, 0, "model_type",
        "unsupported model_type '" + model_type + "' (expected bert, albert, gpt2, vit)");
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
