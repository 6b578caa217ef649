// A design space: a base architecture, axes (architecture key -> values), metric constraints and
// objectives, parsed and validated once from YAML; designs are addressed by a mixed-radix index.
//
// Space YAML (see dse/spaces/*.yaml):
//   base: leopard-ae                 preset name, or an architecture file (relative to this file)
//   fixed: {tech.vdd: auto}          optional; keys set on the base for every design (not axes;
//                                    a key may not be both)
//   axes:                            dotted architecture key -> values, in this order
//     tiles: [1, 2, 4]               a list
//     buffers.key_kib: {from: 24, to: 96, step: 24}   an inclusive numeric range
//     dram.type: {values: [lpddr4, hbm2]}             a list, spelt out
//   constraints: ["area_mm2 <= 12"]  optional; metric <|<=|>|>= number
//   objectives: [latency, energy, area]   minimised; '-speedup' maximises
//   name: ..., description: ...      optional
//
// Index order: the first axis is the most significant digit, the last varies fastest (nested
// loops in file order). Axes are applied to the base in file order (so `dram.type`, which sets a
// bandwidth preset, should come before `dram.bandwidth_gbps` if both are axes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dse/objectives.hpp"
#include "models/arch_spec.hpp"

namespace leopard::dse {

struct Axis {
  std::string key;                          // "qk.dpus"
  const models::ParamInfo* info = nullptr;  // from models::arch_params() (static lifetime)
  std::vector<models::ParamValue> values;   // parsed once
  std::vector<std::string> texts;           // canonical text of each value (param_to_string)
  std::vector<std::string> json;            // "key":value member of the params JSON, per value
  std::int64_t line = 0;                    // 1-based line in the space file
};

// Largest space accepted (indices stay exact in a double and in SQLite).
inline constexpr std::int64_t kMaxSpaceSize = std::int64_t{1} << 53;

class DesignSpace {
 public:
  // Reads and validates a space file. Throws InputError naming the file, line and field.
  static DesignSpace load(const std::filesystem::path& file);
  // Same from text; `file` names it in messages, relative base files resolve against `dir`.
  static DesignSpace parse(const std::string& text, const std::string& file,
                           const std::filesystem::path& dir);

  const std::string& file() const { return file_; }
  const std::string& name() const { return name_; }
  const std::string& base_name() const { return base_name_; }
  const models::ArchSpec& base() const { return base_; }
  const std::vector<Axis>& axes() const { return axes_; }
  // The `fixed:` keys with their canonical value text, in file order (already applied to base()).
  const std::vector<std::pair<std::string, std::string>>& fixed() const { return fixed_; }
  const std::vector<Objective>& objectives() const { return objectives_; }
  const std::vector<Constraint>& constraints() const { return constraints_; }
  std::vector<std::int64_t> radices() const;
  std::vector<std::string> axis_keys() const;
  std::vector<std::string> objective_names() const;
  std::int64_t size() const { return size_; }

  // Mixed-radix conversion; digits.size() == axes().size().
  void decode(std::int64_t index, std::span<std::int64_t> digits) const;
  std::int64_t encode(std::span<const std::int64_t> digits) const;

  // Copies the base and sets each axis's value through ParamInfo::set (no string parsing). Does
  // not validate relations between keys (models::validate_arch does).
  void build(std::int64_t index, models::ArchSpec& out) const;
  // Axis key -> canonical value text, in axis order.
  std::vector<std::pair<std::string, std::string>> params(std::int64_t index) const;
  // The same as a JSON object, equal to results::params_json(params(index)) but built from
  // fragments serialised once per axis value (it runs once per stored design).
  std::string params_json(std::int64_t index) const;
  // Hex digest (FNV-1a 64) of the resolved parameters: base architecture plus axis values.
  std::string design_hash(std::int64_t index) const;

  // The space with everything resolved (base as full YAML, axes expanded), for provenance.
  const std::string& resolved_text() const { return resolved_; }

 private:
  std::string file_;
  std::string name_;
  std::string base_name_;
  models::ArchSpec base_;
  std::uint64_t base_hash_ = 0;
  std::vector<std::pair<std::string, std::string>> fixed_;
  std::vector<Axis> axes_;
  std::vector<std::int64_t> strides_;
  std::vector<Objective> objectives_;
  std::vector<Constraint> constraints_;
  std::int64_t size_ = 1;
  std::string resolved_;
};

// FNV-1a 64 of a byte string, as 16 hex digits.
std::uint64_t fnv1a64(std::string_view text, std::uint64_t seed = 14695981039346656037ull);
std::string hex64(std::uint64_t value);

}  // namespace leopard::dse
