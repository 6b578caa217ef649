// Calibration constants: the key table and the YAML reader/writer.
#include "models/calibration.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <sstream>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/table.hpp"

namespace leopard::models {

const std::vector<Calibration::Entry>& Calibration::entries() {
  using C = Calibration;
  static const std::vector<Entry> table = {
      {"backend_readdress_cycles", &C::backend_readdress_cycles, "V-row reads", true},
      {"frontend_row_cycles", &C::frontend_row_cycles, "cycles", false},
      {"frontend_sync_factor", &C::frontend_sync_factor, "", true},
      {"termination_bit_offset", &C::termination_bit_offset, "bits", true},
      {"synthesis_skew", &C::synthesis_skew, "", true},
      {"qk_pj_per_lane_bit", &C::qk_pj_per_lane_bit, "pJ", false},
      {"qk_lane_overhead_bits", &C::qk_lane_overhead_bits, "bits", true},
      {"qk_idle_pj_per_unit_cycle", &C::qk_idle_pj_per_unit_cycle, "pJ", true},
      {"softmax_pj_per_score", &C::softmax_pj_per_score, "pJ", false},
      {"mac_pj", &C::mac_pj, "pJ", false},
      {"fifo_pj_per_op", &C::fifo_pj_per_op, "pJ", false},
      {"sram_energy_factor", &C::sram_energy_factor, "", false},
      {"energy_scale_qk", &C::energy_scale_qk, "", false},
      {"energy_scale_kbuf", &C::energy_scale_kbuf, "", false},
      {"energy_scale_softmax", &C::energy_scale_softmax, "", false},
      {"energy_scale_v", &C::energy_scale_v, "", false},
      {"energy_scale_vbuf", &C::energy_scale_vbuf, "", false},
      {"logic_leakage_mw_per_mm2", &C::logic_leakage_mw_per_mm2, "mW/mm2", true},
      {"sram_leakage_factor", &C::sram_leakage_factor, "", false},
      {"qk_mm2_per_lane_bit", &C::qk_mm2_per_lane_bit, "mm2", false},
      {"qk_mm2_per_unit", &C::qk_mm2_per_unit, "mm2", false},
      {"qk_shared_mm2", &C::qk_shared_mm2, "mm2", false},
      {"mac_mm2", &C::mac_mm2, "mm2", false},
      {"softmax_mm2", &C::softmax_mm2, "mm2", false},
      {"sram_area_factor", &C::sram_area_factor, "", false},
  };
  return table;
}

std::filesystem::path default_calibration_path() {
  return data_path("models/data/calibration_65nm.yaml");
}

CalibrationFile load_calibration(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file.string(), e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) throw InputError(file.string(), 1, "", "expected a mapping of constants");
  CalibrationFile out;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const std::int64_t line = kv.first.Mark().line + 1;
    const Calibration::Entry* entry = nullptr;
    for (const auto& e : Calibration::entries()) {
      if (e.key == key) entry = &e;
    }
    if (entry == nullptr)
      throw InputError(file.string(), line, key, "unknown calibration constant");
    if (!kv.second.IsMap() || !kv.second["value"]) {
      throw InputError(file.string(), line, key, "expected {value: NUMBER, source: TEXT}");
    }
    double value = 0;
    try {
      value = kv.second["value"].as<double>();
    } catch (const YAML::Exception&) {
      throw InputError(file.string(), line, key + ".value", "expected a number");
    }
    // Energies, areas, cycles and factors are all finite and non-negative; only the bit offset of
    // the synthesis may be negative.
    if (!std::isfinite(value)) {
      throw InputError(file.string(), line, key, "expected a finite number");
    }
    if (value < 0 && key != "termination_bit_offset") {
      throw InputError(file.string(), line, key, "must not be negative");
    }
    out.values.*(entry->field) = value;
    const YAML::Node source = kv.second["source"];
    if (source && !source.IsScalar()) {
      throw InputError(file.string(), source.Mark().line + 1, key + ".source", "expected text");
    }
    out.sources.emplace_back(key, source ? source.Scalar() : "");
  }
  return out;
}

std::string calibration_to_yaml(const CalibrationFile& file, const std::string& header) {
  std::ostringstream out;
  out << header;
  for (const auto& e : Calibration::entries()) {
    std::string source;
    for (const auto& [k, s] : file.sources) {
      if (k == e.key) source = s;
    }
    YAML::Emitter em;
    em << YAML::DoubleQuoted << source;
    out << e.key << ": {value: " << format_double(file.values.*(e.field), 8)
        << ", source: " << em.c_str() << "}\n";
  }
  return out.str();
}

}  // namespace leopard::models
