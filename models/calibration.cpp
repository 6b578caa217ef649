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
      {"backend_readdress_cycles", &C::backend_readdress_cycles, "V-row reads", true,
       "assumed start: a re-address costs about two V-row reads"},
      {"frontend_row_cycles", &C::frontend_row_cycles, "cycles", false,
       "assumed: the next q is loaded while the current row computes; paper_calibration.csv shows "
       "HP/AE = 8/6 on front-end-bound tasks"},
      {"frontend_sync_factor", &C::frontend_sync_factor, "", true,
       "assumed start: every row waits for the expected maximum of the units' sums"},
      {"termination_rate_sensitivity", &C::termination_rate_sensitivity, "", true,
       "assumed 1: a Gaussian score population whose threshold moves to the task's pruning rate "
       "(workloads/paper_suite.hpp)"},
      {"qk_pj_per_lane_bit", &C::qk_pj_per_lane_bit, "pJ", false,
       "docs/references.md: 12x12 int mult 0.45 pJ at 45 nm / 144 partial products, x1.58 to 65 nm "
       "1.0 "
       "V (Stillmaker-Baas)"},
      {"qk_lane_overhead_bits", &C::qk_lane_overhead_bits, "bits", true,
       "assumed start: no per-lane overhead beyond the partial products"},
      {"qk_idle_pj_per_unit_cycle", &C::qk_idle_pj_per_unit_cycle, "pJ", true,
       "assumed 0: idle QK units are clock-gated (not identifiable from the calibration data)"},
      {"softmax_pj_per_score", &C::softmax_pj_per_score, "pJ", false,
       "first-order: 1 KB LUT read + 24-bit accumulate at 65 nm; rescaled by energy_scale_softmax "
       "to Fig. 11"},
      {"mac_pj", &C::mac_pj, "pJ", false,
       "docs/references.md: int16 x int16 about 0.8 pJ at 45 nm, x1.58 to 65 nm"},
      {"fifo_pj_per_op", &C::fifo_pj_per_op, "pJ", false,
       "first-order: 24-bit register-file FIFO access at 65 nm (assumed)"},
      {"sram_energy_factor", &C::sram_energy_factor, "", false,
       "CACTI 7.0 energies used as they are (docs/references.md)"},
      {"energy_scale_qk", &C::energy_scale_qk, "", false,
       "fitted in closed form to the baseline energy split of Fig. 11 (16.7/16.7/14.4/29.5/22.0%) "
       "by calibrate"},
      {"energy_scale_kbuf", &C::energy_scale_kbuf, "", false,
       "fitted in closed form to the baseline energy split of Fig. 11 (16.7/16.7/14.4/29.5/22.0%) "
       "by calibrate"},
      {"energy_scale_softmax", &C::energy_scale_softmax, "", false,
       "fitted in closed form to the baseline energy split of Fig. 11 (16.7/16.7/14.4/29.5/22.0%) "
       "by calibrate"},
      {"energy_scale_v", &C::energy_scale_v, "", false,
       "fitted in closed form to the baseline energy split of Fig. 11 (16.7/16.7/14.4/29.5/22.0%) "
       "by calibrate"},
      {"energy_scale_vbuf", &C::energy_scale_vbuf, "", false,
       "anchor of the Fig. 11 fit: CACTI 7.0 value-buffer reads"},
      {"logic_leakage_mw_per_mm2", &C::logic_leakage_mw_per_mm2, "mW/mm2", true,
       "assumed start: no logic leakage"},
      {"sram_leakage_factor", &C::sram_leakage_factor, "", true,
       "assumed: GP memory-compiler leakage vs CACTI ITRS-HP cells (docs/references.md: HP is "
       "pessimistic)"},
      {"qk_mm2_per_lane_bit", &C::qk_mm2_per_lane_bit, "mm2", false,
       "paper area: iso-area AE (6 x 64 x 12 x 2) and baseline (64 x 12 x 12) QK logic, QK share "
       "38% of 6.44 mm2; HP tile 3.47 mm2"},
      {"qk_mm2_per_unit", &C::qk_mm2_per_unit, "mm2", false,
       "paper area: the AE/HP difference is explained by the lane slices alone"},
      {"qk_shared_mm2", &C::qk_shared_mm2, "mm2", false,
       "paper area: QK logic 38% of a 3.22 mm2 AE tile minus 6 units"},
      {"mac_mm2", &C::mac_mm2, "mm2", false,
       "paper area: x V logic 15% of a 3.22 mm2 AE tile / 64 MACs"},
      {"softmax_mm2", &C::softmax_mm2, "mm2", false,
       "paper area: softmax 13% of a 3.22 mm2 AE tile"},
      {"sram_area_factor", &C::sram_area_factor, "", false,
       "paper area: Key + Value buffer 34% of the AE tile vs CACTI 7.0 (docs/references.md: about "
       "1.5)"},
  };
  return table;
}

CalibrationFile default_calibration() {
  CalibrationFile out;
  for (const auto& e : Calibration::entries()) out.sources.emplace_back(e.key, e.source);
  return out;
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
    // Energies, areas, cycles and factors are all finite and non-negative, except the per-lane
    // overhead of the QK step, a fit residue that may be down to -12 partial products (the cost
    // model clamps each step's energy at 0; models/calibrate.cpp).
    if (!std::isfinite(value)) {
      throw InputError(file.string(), line, key, "expected a finite number");
    }
    if (key == "qk_lane_overhead_bits" ? value < -12 : value < 0) {
      throw InputError(
          file.string(), line, key,
          key == "qk_lane_overhead_bits" ? "must not be below -12" : "must not be negative");
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
    std::string source = e.source;
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
