// The architecture parameter registry: every key with its type, unit, bounds and doc string, and
// the one YAML reader for architecture files and presets (unknown keys are errors).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "models/arch_spec.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/table.hpp"
#include "workloads/core/text.hpp"

namespace leopard::models {
namespace {

ParamInfo num(std::string key, std::string type, std::string unit, std::string doc, double lo,
              double hi, std::function<double(const ArchSpec&)> get,
              std::function<void(ArchSpec&, double)> set) {
  ParamInfo p;
  p.key = std::move(key);
  p.type = std::move(type);
  p.unit = std::move(unit);
  p.doc = std::move(doc);
  p.min = lo;
  p.max = hi;
  p.get = [get](const ArchSpec& s) { return ParamValue(get(s)); };
  p.set = [set](ArchSpec& s, const ParamValue& v) { set(s, std::get<double>(v)); };
  return p;
}

// A numeric key that also takes `auto` (stored as 0, read back as "auto").
ParamInfo with_auto(ParamInfo p) {
  p.allows_auto = true;
  auto get = p.get;
  auto set = p.set;
  p.get = [get](const ArchSpec& s) {
    const ParamValue v = get(s);
    return std::get<double>(v) == 0 ? ParamValue(std::string("auto")) : v;
  };
  p.set = [set](ArchSpec& s, const ParamValue& v) {
    set(s, std::holds_alternative<std::string>(v) ? ParamValue(0.0) : v);
  };
  return p;
}

ParamInfo flag(std::string key, std::string doc, std::function<bool&(ArchSpec&)> ref) {
  ParamInfo p;
  p.key = std::move(key);
  p.type = "bool";
  p.doc = std::move(doc);
  p.get = [ref](const ArchSpec& s) { return ParamValue(ref(const_cast<ArchSpec&>(s))); };
  p.set = [ref](ArchSpec& s, const ParamValue& v) { ref(s) = std::get<bool>(v); };
  return p;
}

#define LEOPARD_INT(key, unit, doc, lo, hi, field)                                      \
  num(                                                                                  \
      key, "int", unit, doc, lo, hi, [](const ArchSpec& s) { return double(s.field); }, \
      [](ArchSpec& s, double v) { s.field = static_cast<int>(std::llround(v)); })
#define LEOPARD_FLOAT(key, unit, doc, lo, hi, field)                              \
  num(                                                                            \
      key, "float", unit, doc, lo, hi, [](const ArchSpec& s) { return s.field; }, \
      [](ArchSpec& s, double v) { s.field = v; })

std::vector<ParamInfo> make_params() {
  std::vector<ParamInfo> ps;
  ps.push_back(
      LEOPARD_INT("tiles", "", "attention tiles; heads are spread over them", 1, 4096, tiles));
  ps.push_back(LEOPARD_FLOAT("clock_mhz", "MHz", "clock frequency", 1, 10000, clock_mhz));
  ps.push_back(LEOPARD_FLOAT("tech.node_nm", "nm", "technology node (7..130, Stillmaker-Baas)", 7,
                             130, tech.node_nm));
  ps.push_back(with_auto(LEOPARD_FLOAT("tech.vdd", "V",
                                       "supply voltage; auto: the lowest (10 mV steps, within the "
                                       "node's range) that meets the clock",
                                       0.3, 1.5, tech.vdd)));
  ps.push_back(with_auto(LEOPARD_FLOAT("tech.vt", "V",
                                       "threshold voltage (alpha-power law); auto: the node's "
                                       "(65 nm: 0.35, assumed)",
                                       0.05, 1.0, tech.vt)));
  ps.push_back(with_auto(LEOPARD_FLOAT(
      "tech.alpha", "", "alpha-power-law index; auto: the node's (65 nm: 1.3, assumed)", 1.0, 2.0,
      tech.alpha)));
  ps.push_back(with_auto(LEOPARD_FLOAT("tech.fmax_mhz", "MHz",
                                       "sign-off clock at the node's nominal supply; auto: 800 MHz "
                                       "at 65 nm (the paper's), scaled by the node's delay",
                                       1, 100000, tech.fmax_mhz)));
  ps.push_back(LEOPARD_INT("qk.dpus", "", "QK dot-product units per tile", 1, 1024, qk.dpus));
  ps.push_back(LEOPARD_INT("qk.lanes", "", "lanes (q elements) per QK unit", 1, 4096, qk.lanes));
  ps.push_back(LEOPARD_INT("qk.bits", "bit", "Q/K width, sign-magnitude", 2, 32, qk.bits));
  ps.push_back(LEOPARD_INT("qk.bits_per_cycle", "bit",
                           "K bits per cycle B; equal to qk.bits for a bit-parallel unit", 1, 32,
                           qk.bits_per_cycle));
  ps.push_back(flag("qk.pruning", "prune scores below the learned threshold",
                    [](ArchSpec& s) -> bool& { return s.qk.pruning; }));
  ps.push_back(flag("qk.early_termination", "stop a pruned score's dot product early (MSB first)",
                    [](ArchSpec& s) -> bool& { return s.qk.early_termination; }));
  ps.push_back(LEOPARD_INT("v.macs", "", "MACs of the x V array per tile", 1, 65536, v.macs));
  ps.push_back(LEOPARD_INT("v.bits", "bit", "V and probability width", 2, 32, v.bits));
  ps.push_back(LEOPARD_FLOAT("buffers.key_kib", "KiB", "Key buffer per tile", 0.125, 1048576,
                             buffers.key_kib));
  ps.push_back(LEOPARD_FLOAT("buffers.value_kib", "KiB", "Value buffer per tile", 0.125, 1048576,
                             buffers.value_kib));
  ps.push_back(LEOPARD_INT("buffers.port_bits", "bit", "port width of each buffer bank", 8, 4096,
                           buffers.port_bits));
  ps.push_back(with_auto(LEOPARD_INT(
      "buffers.key_banks", "",
      "Key-buffer banks per tile (each port_bits wide); auto: the fewest that feed dpus x lanes x "
      "bits_per_cycle bits per cycle",
      1, 4096, buffers.key_banks)));
  ps.push_back(LEOPARD_INT("fifo.depth", "", "score/index FIFO entries", 1, 1 << 20, fifo.depth));
  {
    ParamInfo p;
    p.key = "dram.type";
    p.type = "enum";
    p.doc = "DRAM preset (sets bandwidth, energy per bit and burst; docs/references.md §3)";
    p.choices = {"lpddr4", "lpddr5", "ddr4", "ddr5", "hbm2", "hbm3", "custom"};
    p.get = [](const ArchSpec& s) { return ParamValue(s.dram.type); };
    p.set = [](ArchSpec& s, const ParamValue& v) {
      apply_dram_preset(s, std::get<std::string>(v));
    };
    ps.push_back(std::move(p));
  }
  ps.push_back(LEOPARD_FLOAT("dram.bandwidth_gbps", "GB/s", "DRAM bandwidth shared by the tiles",
                             0.001, 100000, dram.bandwidth_gbps));
  ps.push_back(LEOPARD_FLOAT("dram.pj_per_bit", "pJ/bit", "DRAM energy per bit incl. I/O", 0, 10000,
                             dram.pj_per_bit));
  ps.push_back(LEOPARD_INT("dram.burst_bytes", "B",
                           "bytes per DRAM access (a bit-plane block of K is one burst)", 1, 4096,
                           dram.burst_bytes));
  {
    ParamInfo p;
    p.key = "kv.layout";
    p.type = "enum";
    p.doc =
        "K in DRAM for decode: row (whole K rows) or bitplane (planes in burst-sized blocks, "
        "fetched while a score in the block still needs them)";
    p.choices = {"row", "bitplane"};
    p.get = [](const ArchSpec& s) { return ParamValue(s.kv.layout); };
    p.set = [](ArchSpec& s, const ParamValue& v) { s.kv.layout = std::get<std::string>(v); };
    ps.push_back(std::move(p));
  }
  ps.push_back(flag("dram.double_buffer", "overlap the next head's K/V load with compute",
                    [](ArchSpec& s) -> bool& { return s.dram.double_buffer; }));
  return ps;
}

#undef LEOPARD_INT
#undef LEOPARD_FLOAT

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

const std::vector<ParamInfo>& arch_params() {
  static const std::vector<ParamInfo> params = make_params();
  return params;
}

const ParamInfo& find_param(const std::string& key, const std::string& file, std::int64_t line) {
  const auto& ps = arch_params();
  for (const auto& p : ps) {
    if (p.key == key) return p;
  }
  const ParamInfo* best = nullptr;
  std::size_t best_d = 1000;
  for (const auto& p : ps) {
    const std::size_t d = edit_distance(p.key, key);
    if (d < best_d) best_d = d, best = &p;
  }
  std::string msg = "unknown architecture key";
  if (best != nullptr && best_d <= 4) msg += " (did you mean '" + best->key + "'?)";
  throw InputError(file, line, key, msg);
}

ParamValue parse_param(const ParamInfo& info, const std::string& text, const std::string& file,
                       std::int64_t line) {
  const std::string t = trim(text);
  if (info.type == "bool") {
    if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "0" || t == "no" || t == "off") return false;
    throw InputError(file, line, info.key, "expected true or false, got '" + t + "'");
  }
  if (info.type == "enum") {
    if (std::find(info.choices.begin(), info.choices.end(), t) == info.choices.end()) {
      std::string all;
      for (const auto& c : info.choices) all += (all.empty() ? "" : ", ") + c;
      throw InputError(file, line, info.key,
                       "unknown value '" + t + "' (expected one of " + all + ")");
    }
    return t;
  }
  if (info.allows_auto && t == "auto") return std::string("auto");
  const auto v = parse_double(t);
  if (!v || !std::isfinite(*v)) {
    throw InputError(
        file, line, info.key,
        std::string(info.allows_auto ? "expected a number or auto" : "expected a number") +
            ", got '" + t + "'");
  }
  if (info.type == "int" && std::floor(*v) != *v) {
    throw InputError(file, line, info.key, "expected an integer, got '" + t + "'");
  }
  if (*v < info.min || *v > info.max) {
    throw InputError(file, line, info.key,
                     fmt::format("value {} out of range [{}, {}]", t, info.min, info.max));
  }
  return *v;
}

std::string param_to_string(const ParamValue& value) {
  if (std::holds_alternative<bool>(value)) return std::get<bool>(value) ? "true" : "false";
  if (std::holds_alternative<std::string>(value)) return std::get<std::string>(value);
  return format_double(std::get<double>(value), 12);
}

void apply_override(ArchSpec& spec, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos) {
    throw InputError("", 0, "--set", "expected key=value, got '" + assignment + "'");
  }
  const std::string key = trim(assignment.substr(0, eq));
  const ParamInfo& info = find_param(key, "--set");
  info.set(spec, parse_param(info, assignment.substr(eq + 1), "--set"));
}

void apply_dram_preset(ArchSpec& spec, const std::string& type) {
  // Peak bandwidth of the example configuration, energy per bit including I/O, and the bytes of one
  // access (burst length x channel width). Sources and assumptions: docs/cost-model.md §7.1 and
  // docs/references.md §3.
  spec.dram.type = type;
  if (type == "lpddr4") {
    spec.dram.bandwidth_gbps = 12.8;  // x32 LPDDR4-3200 (Accelergy default)
    spec.dram.pj_per_bit = 8.0;       // Accelergy CACTI plug-in default
    spec.dram.burst_bytes = 32;       // BL16 x 16-bit channel
  } else if (type == "lpddr5") {
    spec.dram.bandwidth_gbps = 51.2;  // LPDDR5-6400, 4 x16 channels (JEDEC speed grade)
    spec.dram.pj_per_bit = 6.0;       // assumed: between LPDDR4 (8) and HBM2 (3.9)
    spec.dram.burst_bytes = 32;       // BL16 x 16-bit channel
  } else if (type == "ddr4") {
    spec.dram.bandwidth_gbps = 25.6;  // one 64-bit DDR4-3200 channel
    spec.dram.pj_per_bit = 17.5;      // docs/references.md §3: about 15-20 (assumed midpoint)
    spec.dram.burst_bytes = 64;       // BL8 x 64-bit channel
  } else if (type == "ddr5") {
    spec.dram.bandwidth_gbps = 38.4;  // DDR5-4800, one DIMM of 2 x 32-bit subchannels (JEDEC)
    spec.dram.pj_per_bit = 15.0;      // assumed: the low end of DDR4's 15-20 (lower I/O voltage)
    spec.dram.burst_bytes = 64;       // BL16 x 32-bit subchannel
  } else if (type == "hbm2") {
    spec.dram.bandwidth_gbps = 256;  // one stack (O'Connor et al., MICRO 2017)
    spec.dram.pj_per_bit = 3.9;      // O'Connor et al., MICRO 2017
    spec.dram.burst_bytes = 32;      // 32 B per pseudo-channel access
  } else if (type == "hbm3") {
    spec.dram.bandwidth_gbps = 819.2;  // one stack, 1024 bits at 6.4 Gb/s (JEDEC JESD238)
    spec.dram.pj_per_bit = 3.9;        // assumed: HBM2's (no primary source for HBM3 found)
    spec.dram.burst_bytes = 32;        // 32 B per pseudo-channel access
  }
  // "custom" keeps the current bandwidth, energy and burst.
}

std::vector<std::string> list_presets() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_path("models/presets"), ec)) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

void apply_yaml(ArchSpec& spec, const YAML::Node& node, const std::string& prefix,
                const std::string& file,
                std::vector<std::pair<const ParamInfo*, ParamValue>>& out) {
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::int64_t line = kv.first.Mark().line + 1;
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (prefix.empty() && (key == "base" || key == "name" || key == "description")) continue;
    if (kv.second.IsMap()) {
      apply_yaml(spec, kv.second, path, file, out);
      continue;
    }
    if (!kv.second.IsScalar()) {
      throw InputError(file, line, path, "expected a scalar value");
    }
    const ParamInfo& info = find_param(path, file, line);
    for (const auto& seen : out) {
      if (seen.first == &info) throw InputError(file, line, path, "duplicate key (given twice)");
    }
    out.emplace_back(&info, parse_param(info, kv.second.Scalar(), file, kv.second.Mark().line + 1));
  }
}

ArchSpec load_arch_impl(const std::string& name_or_path, int depth) {
  if (depth > 8) throw InputError(name_or_path, 0, "base", "preset chain too deep (a cycle?)");
  std::filesystem::path file = name_or_path;
  const bool is_file = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.ends_with(".yaml"));
  if (!is_file) {
    file = data_path("models/presets") / (name_or_path + ".yaml");
    std::error_code ec;  // a name too long for the file system is an unknown preset, not a throw
    if (!std::filesystem::exists(file, ec)) {
      std::string all;
      for (const auto& p : list_presets()) all += (all.empty() ? "" : ", ") + p;
      throw InputError("", 0, "--arch",
                       "unknown preset '" + name_or_path + "' (presets: " + all +
                           "; or give a path to a YAML file)");
    }
  }
  const std::string text = read_text_file(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file.string(), e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap())
    throw InputError(file.string(), 1, "", "expected a mapping of architecture keys");
  ArchSpec spec;
  if (root["base"]) {
    const YAML::Node base = root["base"];
    try {
      spec = load_arch_impl(base.as<std::string>(), depth + 1);
    } catch (const InputError& e) {
      if (!e.file().empty()) throw;  // the error is inside the base file: it names it already
      throw InputError(file.string(), base.Mark().line + 1, "base", e.message());
    }
  }
  std::vector<std::pair<const ParamInfo*, ParamValue>> values;
  apply_yaml(spec, root, "", file.string(), values);
  // dram.type first: it sets bandwidth and energy that explicit keys may then override.
  std::stable_sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
    return (a.first->key == "dram.type") > (b.first->key == "dram.type");
  });
  for (const auto& [info, value] : values) info->set(spec, value);
  spec.name = root["name"] ? root["name"].as<std::string>() : file.stem().string();
  return spec;
}

}  // namespace

ArchSpec load_arch(const std::string& name_or_path) {
  try {
    return load_arch_impl(name_or_path, 0);
  } catch (const YAML::Exception& e) {
    throw InputError(name_or_path, e.mark.line + 1, "", e.msg);
  }
}

void validate_arch(const ArchSpec& spec, int max_head_dim, const std::string& file) {
  if (spec.qk.bits_per_cycle > spec.qk.bits) {
    throw InputError(file, 0, "qk.bits_per_cycle",
                     fmt::format("{} bits per cycle exceeds qk.bits = {}", spec.qk.bits_per_cycle,
                                 spec.qk.bits));
  }
  // One token of K (head_dim x qk.bits) and of V (head_dim x v.bits) must fit.
  const double key_token_bits = static_cast<double>(max_head_dim) * spec.qk.bits;
  const double value_token_bits = static_cast<double>(max_head_dim) * spec.v.bits;
  if (spec.buffers.key_kib * 8192.0 < key_token_bits) {
    throw InputError(
        "", 0, "buffers.key_kib",
        fmt::format("{} KiB holds no {}-dim key token", spec.buffers.key_kib, max_head_dim));
  }
  if (spec.buffers.value_kib * 8192.0 < value_token_bits) {
    throw InputError(
        "", 0, "buffers.value_kib",
        fmt::format("{} KiB holds no {}-dim value token", spec.buffers.value_kib, max_head_dim));
  }
}

std::string arch_to_yaml(const ArchSpec& spec) {
  std::ostringstream out;
  out << "name: " << spec.name << '\n';
  for (const auto& p : arch_params()) {
    out << p.key << ": " << param_to_string(p.get(spec));
    if (!p.unit.empty()) out << "   # " << p.unit;
    out << '\n';
  }
  return out.str();
}

}  // namespace leopard::models
