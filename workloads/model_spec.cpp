// Model-zoo entries: YAML loading with strict key checking, YAML writing, zoo lookup.
#include "workloads/model_spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"

namespace leopard::workloads {

std::string to_string(ModelFamily family) {
  switch (family) {
    case ModelFamily::kBert:
      return "bert";
    case ModelFamily::kAlbert:
      return "albert";
    case ModelFamily::kGpt2:
      return "gpt2";
    case ModelFamily::kVit:
      return "vit";
    case ModelFamily::kMemN2N:
      return "memn2n";
    case ModelFamily::kLlama:
      return "llama";
  }
  return "unknown";
}

ModelFamily parse_family(const std::string& text, const std::string& file,
                         const std::string& field) {
  if (text == "bert") return ModelFamily::kBert;
  if (text == "albert") return ModelFamily::kAlbert;
  if (text == "gpt2") return ModelFamily::kGpt2;
  if (text == "vit") return ModelFamily::kVit;
  if (text == "memn2n") return ModelFamily::kMemN2N;
  if (text == "llama") return ModelFamily::kLlama;
  throw InputError(
      file, 0, field,
      "unknown model family '" + text + "' (expected bert, albert, gpt2, vit, memn2n, llama)");
}

std::int64_t ModelSpec::window_of(int layer) const {
  if (sliding_window <= 0) return 0;
  if (sliding_window_layers.empty()) return sliding_window;
  return std::binary_search(sliding_window_layers.begin(), sliding_window_layers.end(), layer)
             ? sliding_window
             : 0;
}

std::int64_t vit_tokens(int image_size, int patch_size) {
  if (patch_size <= 0) return 0;
  const std::int64_t side = image_size / patch_size;
  return side * side + 1;  // patches plus the CLS token (docs/references.md §7, ViT)
}

namespace {

std::int64_t line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::int64_t read_int(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsScalar()) throw InputError(file, line_of(node), key, "expected an integer");
  std::int64_t value = 0;
  if (!YAML::convert<std::int64_t>::decode(node, value)) {
    throw InputError(file, line_of(node), key, "expected an integer, got '" + node.Scalar() + "'");
  }
  return value;
}

std::string read_string(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsScalar()) throw InputError(file, line_of(node), key, "expected a string");
  return node.Scalar();
}

bool read_bool(const YAML::Node& node, const std::string& file, const std::string& key) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    throw InputError(file, line_of(node), key, "expected true or false");
  }
  return value;
}

int to_int(std::int64_t value, std::int64_t line, const std::string& file, const std::string& key) {
  if (value < 0 || value > std::numeric_limits<int>::max()) {
    throw InputError(file, line, key,
                     "must be a non-negative integer, got " + std::to_string(value));
  }
  return static_cast<int>(value);
}

// One setter per key: the full schema of a zoo file.
using Setter = std::function<void(ModelSpec&, const YAML::Node&, const std::string&)>;

const std::map<std::string, Setter>& schema() {
  static const std::map<std::string, Setter> keys = [] {
    std::map<std::string, Setter> m;
    auto str = [](std::string ModelSpec::*member, const char* key) {
      return [member, key](ModelSpec& s, const YAML::Node& n, const std::string& file) {
        s.*member = read_string(n, file, key);
      };
    };
    auto i32 = [](int ModelSpec::*member, const char* key) {
      return [member, key](ModelSpec& s, const YAML::Node& n, const std::string& file) {
        s.*member = to_int(read_int(n, file, key), line_of(n), file, key);
      };
    };
    auto i64 = [](std::int64_t ModelSpec::*member, const char* key) {
      return [member, key](ModelSpec& s, const YAML::Node& n, const std::string& file) {
        const std::int64_t v = read_int(n, file, key);
        if (v < 0) throw InputError(file, line_of(n), key, "must not be negative");
        s.*member = v;
      };
    };
    m["name"] = str(&ModelSpec::name, "name");
    m["description"] = str(&ModelSpec::description, "description");
    m["source"] = str(&ModelSpec::source, "source");
    m["family"] = [](ModelSpec& s, const YAML::Node& n, const std::string& file) {
      try {
        s.family = parse_family(read_string(n, file, "family"), file, "family");
      } catch (const InputError& e) {
        throw InputError(file, line_of(n), "family", e.message());
      }
    };
    m["layers"] = i32(&ModelSpec::layers, "layers");
    m["hidden"] = i32(&ModelSpec::hidden, "hidden");
    m["heads"] = i32(&ModelSpec::heads, "heads");
    m["kv_heads"] = i32(&ModelSpec::kv_heads, "kv_heads");
    m["head_dim"] = i32(&ModelSpec::head_dim, "head_dim");
    m["ffn"] = i32(&ModelSpec::ffn, "ffn");
    m["embedding"] = i32(&ModelSpec::embedding, "embedding");
    m["vocab"] = i32(&ModelSpec::vocab, "vocab");
    m["max_positions"] = i64(&ModelSpec::max_positions, "max_positions");
    m["default_seq_len"] = i64(&ModelSpec::default_seq_len, "default_seq_len");
    m["causal"] = [](ModelSpec& s, const YAML::Node& n, const std::string& file) {
      s.causal = read_bool(n, file, "causal");
    };
    m["image_size"] = i32(&ModelSpec::image_size, "image_size");
    m["patch_size"] = i32(&ModelSpec::patch_size, "patch_size");
    m["memory_size"] = i32(&ModelSpec::memory_size, "memory_size");
    return m;
  }();
  return keys;
}

// "# source: ..." on the first comment lines of the file, used when there is no `source` key.
std::string source_comment(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# source:", 0) == 0) {
      const auto start = line.find_first_not_of(' ', 9);
      return start == std::string::npos ? "" : line.substr(start);
    }
    if (!line.empty() && line[0] != '#') break;
  }
  return {};
}

// sliding_window: W, or a map {size: W, layers: all | even | odd | [i, j, ...]} (0-based layers).
// Read after the other keys: even/odd need `layers`.
void read_sliding_window(ModelSpec& spec, const YAML::Node& node, const std::string& file) {
  const std::string key = "sliding_window";
  if (node.IsScalar()) {
    const std::int64_t w = read_int(node, file, key);
    if (w <= 0) throw InputError(file, line_of(node), key, "must be a positive integer");
    spec.sliding_window = w;
    return;
  }
  if (!node.IsMap()) {
    throw InputError(file, line_of(node), key,
                     "expected an integer or a map {size: W, layers: all | even | odd | [i, ...]}");
  }
  for (const auto& item : node) {
    const std::string sub = item.first.Scalar();
    if (sub != "size" && sub != "layers") {
      throw InputError(file, line_of(item.first), key + "." + sub,
                       "unknown key (expected size, layers)");
    }
  }
  if (!node["size"]) throw InputError(file, line_of(node), key + ".size", "missing required key");
  const std::int64_t w = read_int(node["size"], file, key + ".size");
  if (w <= 0) {
    throw InputError(file, line_of(node["size"]), key + ".size", "must be a positive integer");
  }
  spec.sliding_window = w;
  const YAML::Node layers = node["layers"];
  if (!layers) return;  // every layer
  const std::string lkey = key + ".layers";
  std::vector<int> on;
  if (layers.IsScalar()) {
    const std::string mode = layers.Scalar();
    if (mode == "all") return;
    if (mode != "even" && mode != "odd") {
      throw InputError(
          file, line_of(layers), lkey,
          "expected all, even, odd or a list of 0-based layer indices, got '" + mode + "'");
    }
    for (int l = mode == "even" ? 0 : 1; l < spec.layers; l += 2) on.push_back(l);
    if (on.empty()) {
      throw InputError(file, line_of(layers), lkey, "no " + mode + " layer in the model");
    }
  } else if (layers.IsSequence()) {
    if (layers.size() == 0) throw InputError(file, line_of(layers), lkey, "empty list");
    for (const auto& item : layers) {
      const std::int64_t l = read_int(item, file, lkey);
      if (l < 0 || l >= spec.layers) {
        throw InputError(file, line_of(item), lkey,
                         "layer " + std::to_string(l) + " out of range (the model has layers 0.." +
                             std::to_string(spec.layers - 1) + ")");
      }
      if (std::find(on.begin(), on.end(), static_cast<int>(l)) != on.end()) {
        throw InputError(file, line_of(item), lkey,
                         "layer " + std::to_string(l) + " is listed twice");
      }
      on.push_back(static_cast<int>(l));
    }
  } else {
    throw InputError(file, line_of(layers), lkey,
                     "expected all, even, odd or a list of 0-based layer indices");
  }
  std::sort(on.begin(), on.end());
  spec.sliding_window_layers = std::move(on);
}

}  // namespace

void validate_model_spec(ModelSpec& spec, const std::string& file) {
  auto require_positive = [&](int value, const char* key) {
    if (value <= 0) throw InputError(file, 0, key, "must be a positive integer");
  };
  require_positive(spec.layers, "layers");
  require_positive(spec.hidden, "hidden");
  require_positive(spec.heads, "heads");
  if (spec.head_dim == 0) {
    if (spec.hidden % spec.heads != 0) {
      throw InputError(file, 0, "head_dim",
                       "hidden (" + std::to_string(spec.hidden) + ") is not divisible by heads (" +
                           std::to_string(spec.heads) + "); give head_dim explicitly");
    }
    spec.head_dim = spec.hidden / spec.heads;
  }
  if (spec.kv_heads == 0) spec.kv_heads = spec.heads;
  if (spec.kv_heads < 0 || spec.kv_heads > spec.heads || spec.heads % spec.kv_heads != 0) {
    throw InputError(file, 0, "kv_heads",
                     "must divide heads (" + std::to_string(spec.heads) + "), got " +
                         std::to_string(spec.kv_heads));
  }
  if (spec.family == ModelFamily::kLlama) spec.causal = true;  // decoder-only by definition
  if (spec.sliding_window < 0) {
    throw InputError(file, 0, "sliding_window", "must not be negative");
  }
  if (spec.sliding_window == 0 && !spec.sliding_window_layers.empty()) {
    throw InputError(file, 0, "sliding_window", "layers given without a window size");
  }
  if (spec.sliding_window > 0) {
    if (!spec.causal) {
      throw InputError(file, 0, "sliding_window",
                       "needs a causal model (a query sees the window of keys before it)");
    }
    auto& on = spec.sliding_window_layers;
    std::sort(on.begin(), on.end());
    if (std::adjacent_find(on.begin(), on.end()) != on.end()) {
      throw InputError(file, 0, "sliding_window", "a layer is listed twice");
    }
    if (!on.empty() && (on.front() < 0 || on.back() >= spec.layers)) {
      throw InputError(file, 0, "sliding_window",
                       "layer " + std::to_string(on.front() < 0 ? on.front() : on.back()) +
                           " out of range (the model has layers 0.." +
                           std::to_string(spec.layers - 1) + ")");
    }
    // Every layer listed: the plain form.
    if (static_cast<int>(on.size()) == spec.layers) on.clear();
  }
  switch (spec.family) {
    case ModelFamily::kMemN2N:
      require_positive(spec.memory_size, "memory_size");
      if (spec.default_seq_len == 0) spec.default_seq_len = spec.memory_size;
      break;
    case ModelFamily::kVit:
      require_positive(spec.ffn, "ffn");
      require_positive(spec.image_size, "image_size");
      require_positive(spec.patch_size, "patch_size");
      if (spec.image_size % spec.patch_size != 0) {
        throw InputError(file, 0, "patch_size", "image_size is not a multiple of patch_size");
      }
      if (spec.default_seq_len == 0) {
        spec.default_seq_len = vit_tokens(spec.image_size, spec.patch_size);
      }
      break;
    case ModelFamily::kBert:
    case ModelFamily::kAlbert:
    case ModelFamily::kGpt2:
    case ModelFamily::kLlama:
      require_positive(spec.ffn, "ffn");
      if (spec.default_seq_len == 0) spec.default_seq_len = spec.max_positions;
      if (spec.default_seq_len <= 0) {
        throw InputError(file, 0, "default_seq_len",
                         "missing (and no max_positions to default it to)");
      }
      break;
  }
}

ModelSpec load_model_spec(const std::filesystem::path& file) {
  const std::string path = file.string();
  const std::string text = read_text_file(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw InputError(path, 0, "", "expected a YAML mapping of model keys");
  ModelSpec spec;
  std::set<std::string> seen;
  for (const auto& item : root) {
    const std::string key = item.first.Scalar();
    if (!seen.insert(key).second) throw InputError(path, line_of(item.first), key, "duplicate key");
    if (key == "sliding_window") continue;  // read below, once `layers` is known
    const auto it = schema().find(key);
    if (it == schema().end()) {
      throw InputError(path, line_of(item.first), key, "unknown key");
    }
    it->second(spec, item.second, path);
  }
  for (const char* key : {"name", "family", "layers", "hidden", "heads"}) {
    if (!root[key]) throw InputError(path, 0, key, "missing required key");
  }
  if (spec.family != ModelFamily::kMemN2N && spec.family != ModelFamily::kVit && !root["ffn"]) {
    throw InputError(path, 0, "ffn", "missing required key");
  }
  if (spec.family == ModelFamily::kLlama && root["causal"] && !spec.causal) {
    throw InputError(path, line_of(root["causal"]), "causal",
                     "the llama family is a causal decoder (omit the key or say true)");
  }
  if (const YAML::Node window = root["sliding_window"]) {
    read_sliding_window(spec, window, path);
    if (!spec.causal && spec.family != ModelFamily::kLlama) {
      throw InputError(path, line_of(window), "sliding_window",
                       "needs a causal model (a query sees the window of keys before it)");
    }
  }
  if (root["kv_heads"] && spec.kv_heads == 0) {
    throw InputError(path, line_of(root["kv_heads"]), "kv_heads", "must be a positive integer");
  }
  if (spec.source.empty()) spec.source = source_comment(text);
  try {
    validate_model_spec(spec, path);
  } catch (const InputError& e) {
    // Name the line of the offending key when the file has it.
    if (e.line() > 0 || !root[e.field()]) throw;
    throw InputError(path, line_of(root[e.field()]), e.field(), e.message());
  }
  return spec;
}

std::string model_spec_to_yaml(const ModelSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.name;
  out << YAML::Key << "family" << YAML::Value << to_string(spec.family);
  if (!spec.description.empty())
    out << YAML::Key << "description" << YAML::Value << spec.description;
  if (!spec.source.empty()) out << YAML::Key << "source" << YAML::Value << spec.source;
  auto put = [&](const char* key, std::int64_t value) {
    if (value != 0) out << YAML::Key << key << YAML::Value << value;
  };
  put("layers", spec.layers);
  put("hidden", spec.hidden);
  put("heads", spec.heads);
  // Always written (the default, heads, included) so that a reader sees the attention kind.
  put("kv_heads", spec.kv_heads > 0 ? spec.kv_heads : spec.heads);
  put("head_dim", spec.head_dim);
  put("ffn", spec.ffn);
  put("embedding", spec.embedding);
  put("vocab", spec.vocab);
  put("max_positions", spec.max_positions);
  put("default_seq_len", spec.default_seq_len);
  if (spec.causal) out << YAML::Key << "causal" << YAML::Value << true;
  put("image_size", spec.image_size);
  put("patch_size", spec.patch_size);
  put("memory_size", spec.memory_size);
  if (spec.sliding_window > 0) {
    out << YAML::Key << "sliding_window";
    if (spec.sliding_window_layers.empty()) {
      out << YAML::Value << spec.sliding_window;
    } else {
      out << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "size" << YAML::Value << spec.sliding_window;
      out << YAML::Key << "layers" << YAML::Value;
      auto every_other = [&](int first) {
        std::vector<int> want;
        for (int l = first; l < spec.layers; l += 2) want.push_back(l);
        return want == spec.sliding_window_layers;
      };
      if (every_other(0)) {
        out << "even";
      } else if (every_other(1)) {
        out << "odd";
      } else {
        out << YAML::Flow << YAML::BeginSeq;
        for (int l : spec.sliding_window_layers) out << l;
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
  }
  out << YAML::EndMap;
  std::string text;
  if (!spec.source.empty()) text += "# source: " + spec.source + "\n";
  text += out.c_str();
  text += "\n";
  return text;
}

std::filesystem::path zoo_dir() { return data_path("workloads/zoo"); }

std::vector<std::string> list_zoo() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(zoo_dir(), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelSpec find_model(const std::string& name_or_path) {
  std::error_code ec;
  const auto zoo_file = zoo_dir() / (name_or_path + ".yaml");
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml");
  if (!looks_like_path && std::filesystem::is_regular_file(zoo_file, ec)) {
    return load_model_spec(zoo_file);
  }
  if (std::filesystem::is_regular_file(name_or_path, ec)) return load_model_spec(name_or_path);
  std::string known;
  for (const auto& n : list_zoo()) known += (known.empty() ? "" : ", ") + n;
  throw InputError(
      "", 0, "model",
      "unknown model '" + name_or_path + "': not a zoo entry (" + known + ") nor a YAML file");
}

}  // namespace leopard::workloads
