// Architecture specification of a LeOPArd-style accelerator (or the bit-parallel baseline): a plain
// struct parsed and validated once (arch_params.cpp), then priced by a CostModel. Defaults are the
// paper's AE design (docs/paper-facts.md §3); how each key enters the cost: docs/cost-model.md.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace leopard::models {

struct ArchSpec {
  std::string name = "custom";
  int tiles = 2;           // paper: 2 tiles
  double clock_mhz = 800;  // paper: 800 MHz
  struct Tech {
    double node_nm = 65;  // paper: TSMC 65 nm GP
    double vdd = 1.0;     // 65 nm GP nominal supply (assumed; paper silent); 0 = auto
    double vt = 0;        // threshold voltage (V); 0 = auto: the node's (models/tech.cpp)
    double alpha = 0;     // alpha-power-law index; 0 = auto: the node's
    double fmax_mhz =
        0;  // sign-off clock at the node's nominal supply; 0 = auto (800 MHz at 65 nm)
  } tech;
  struct Qk {
    int dpus = 6;                   // QK-DPUs per tile (AE 6, HP 8)
    int lanes = 64;                 // lanes per unit (paper: 64)
    int bits = 12;                  // Q/K bits, sign-magnitude (paper: 12)
    int bits_per_cycle = 2;         // K bits per cycle B (paper: 2); == bits means bit-parallel
    bool pruning = true;            // threshold pruning of scores
    bool early_termination = true;  // MSB-first early termination
  } qk;
  struct V {
    int macs = 64;  // MACs of the x V array (paper: 64)
    int bits = 16;  // V and probability bits (paper: 16)
  } v;
  struct Buffers {
    double key_kib = 48;    // Key buffer per tile (paper: 48 KB)
    double value_kib = 64;  // Value buffer per tile (paper: 64 KB)
    int port_bits = 128;    // port width per bank (paper: 128)
    int key_banks = 0;      // Key-buffer banks per tile; 0 = auto: enough to feed the units
  } buffers;
  struct Fifo {
    int depth = 512;  // score/index FIFO entries (paper: 24-bit x 512)
  } fifo;
  struct Kv {
    // How K sits in DRAM for decode: "row" (whole K rows) or "bitplane" (plane by plane in blocks
    // of one DRAM burst, so a block's plane is fetched only while a score in it still needs it).
    std::string layout = "row";
  } kv;
  struct Dram {
    // Defaults: the lpddr4 preset (docs/cost-model.md §7.1, docs/references.md §3).
    std::string type = "lpddr4";   // lpddr4 | lpddr5 | ddr4 | ddr5 | hbm2 | hbm3 | custom
    double bandwidth_gbps = 12.8;  // GB/s shared by the tiles (LPDDR4 x32-3200)
    double pj_per_bit = 8.0;       // energy per bit incl. I/O (LPDDR4)
    int burst_bytes = 32;          // bytes per access (LPDDR4 x16 BL16 = 32 B)
    bool double_buffer = true;     // next chunk's K/V load overlaps compute (half a buffer, §6)
  } dram;
};

using ParamValue = std::variant<double, std::string, bool>;

// Self-documenting description of one architecture key (dotted path).
struct ParamInfo {
  std::string key;   // "qk.dpus"
  std::string type;  // "int", "float", "bool", "enum"
  std::string unit;  // "", "MHz", "KiB", ...
  std::string doc;
  bool allows_auto = false;  // numeric keys: the value `auto` is accepted (stored as 0)
  double min = 0;            // numeric bounds (inclusive)
  double max = 0;
  std::vector<std::string> choices;  // enum values
  std::function<ParamValue(const ArchSpec&)> get;
  std::function<void(ArchSpec&, const ParamValue&)> set;
};

// All keys, in documentation order.
const std::vector<ParamInfo>& arch_params();
// The key's description; throws InputError(file, line, key, "unknown architecture key") with the
// closest known key suggested.
const ParamInfo& find_param(const std::string& key, const std::string& file = "",
                            std::int64_t line = 0);
// Parses a value for a key (type and range checked); throws InputError naming the key.
ParamValue parse_param(const ParamInfo& info, const std::string& text, const std::string& file = "",
                       std::int64_t line = 0);
std::string param_to_string(const ParamValue& value);

// Applies "key=value" (as given to --set); throws InputError naming the key.
void apply_override(ArchSpec& spec, const std::string& assignment);

// Preset names in models/presets/, sorted.
std::vector<std::string> list_presets();
// A preset name or a YAML file; the file may say `base: PRESET` and override keys (nested maps
// or dotted keys). Unknown keys are InputErrors naming the file, line and dotted path.
ArchSpec load_arch(const std::string& name_or_path);
// Checks relations between keys (a buffer that holds at least one token of the given head dim,
// ...). Throws InputError naming the key (and `file`, the architecture file, when given).
void validate_arch(const ArchSpec& spec, int max_head_dim = 64, const std::string& file = "");
// Resolved spec as YAML (every key).
std::string arch_to_yaml(const ArchSpec& spec);

// DRAM presets by type (docs/cost-model.md §7.1, docs/references.md §3): sets bandwidth, energy per
// bit and burst.
void apply_dram_preset(ArchSpec& spec, const std::string& type);

}  // namespace leopard::models
