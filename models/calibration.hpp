// Every constant of the cost model, each with its source, in one place. Loaded from
// models/data/calibration_65nm.yaml (the shipped 65 nm calibration, the output of
// `leopard-dse calibrate` on the paper's calibration tasks). Energies are per action at the
// reference node (65 nm, 1.0 V) and are scaled to the design's node by models/tech.hpp.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace leopard::models {

struct Calibration {
  // --- performance ---
  // Cycles to re-address the value banks for a surviving score whose V row does not directly
  // follow the previous survivor's (the V-PU re-addresses or streams through the pruned rows,
  // whichever is cheaper; docs/cost-model.md, "Back end"). Calibrated: the paper's back-end-bound
  // tasks spend about 2.4 baseline cycles per survivor at d = 64, pruning 64-93%.
  double backend_readdress_cycles = 1.8;
  // QK-PU cycles per query row outside the dot products. 0: the next q is loaded while the
  // current row computes (the calibration data shows HP/AE = 8/6 exactly on front-end-bound tasks).
  double frontend_row_cycles = 0.0;
  // Weight of the slowest-unit penalty per row (0: units never wait for each other, 1: every row
  // waits for the expected maximum of the units' sums). Calibrated: the one-row run-ahead lets
  // units absorb part of the imbalance.
  double frontend_sync_factor = 1.0;
  // How far a task's pruning rate moves its Fig. 8 termination curve, in probit units per probit
  // unit of rate (workloads/paper_suite.hpp). 1: a Gaussian score population whose threshold moves
  // to the task's rate. Only affects the paper suite's histograms (paper_stats.csv).
  double termination_rate_sensitivity = 1.0;

  // --- energy per action, 65 nm, 1.0 V (pJ) ---
  double qk_pj_per_lane_bit = 0.0049;  // one q-bit x k-bit partial product incl. adder share
  // Per lane per step, in partial-product equivalents. Calibrated; the fit may take it below 0
  // (down to -12): it then says the bit-serial step costs less than its q-bits x B partial
  // products at the baseline's per-product energy (the Fig. 11 fit prices the baseline's 12 x 12
  // products), a residue of the fit rather than a physical overhead. A step's energy is clamped
  // at 0 (models/leopard_cost_model.cpp).
  double qk_lane_overhead_bits = 0.0;
  double qk_idle_pj_per_unit_cycle = 0;  // clock/registers of a waiting QK unit
  double softmax_pj_per_score = 45;      // LUT exponent, 24-bit accumulate, normalise share
  double mac_pj = 1.26;                  // one 16x16-bit MAC
  double fifo_pj_per_op = 0.3;           // one 24-bit FIFO write or read
  double sram_energy_factor = 1.0;       // memory compiler vs CACTI, energy
  double energy_scale_qk = 1.0;          // Fig. 11 baseline split fits (published aggregate)
  double energy_scale_kbuf = 1.0;
  double energy_scale_softmax = 1.0;
  double energy_scale_v = 1.0;
  double energy_scale_vbuf = 1.0;
  double logic_leakage_mw_per_mm2 = 0;  // static power of logic
  // x CACTI ITRS-HP leakage (a GP memory compiler leaks less). Calibrated: the paper's energies
  // (Fig. 10, Fig. 11) carry no visible leakage; the start is an assumption.
  double sram_leakage_factor = 0.1;

  // --- area, 65 nm (mm2) ---
  double qk_mm2_per_lane_bit = 8.1e-5;  // one q-bit x k-bit lane slice (paper area split)
  double qk_mm2_per_unit = 0.0;         // fixed per QK unit (margin, compare, index counter)
  double qk_shared_mm2 = 0.47;          // QK-PU shared logic per tile (q broadcast, FIFOs, control)
  double mac_mm2 = 0.00755;             // one 16x16 MAC (x V logic share)
  double softmax_mm2 = 0.419;           // softmax unit per tile (LUT, exponent, divider)
  double sram_area_factor = 1.43;       // memory compiler vs CACTI, area (docs/references.md ~1.5)

  struct Entry {
    std::string key;
    double Calibration::*field;
    std::string unit;
    bool calibratable;
    std::string source;  // where the default comes from (calibrate writes its own for fitted ones)
  };
  static const std::vector<Entry>& entries();
};

struct CalibrationFile {
  Calibration values;
  std::vector<std::pair<std::string, std::string>> sources;  // key -> source text
};

// The defaults above, each with its Entry::source: where `calibrate` starts.
CalibrationFile default_calibration();
// The shipped calibration: data_path("models/data/calibration_65nm.yaml").
std::filesystem::path default_calibration_path();
// Loads a calibration YAML: `key: {value: V, source: "..."}` per constant; unknown keys are errors;
// missing keys keep the defaults above.
CalibrationFile load_calibration(const std::filesystem::path& file);
std::string calibration_to_yaml(const CalibrationFile& file, const std::string& header);

}  // namespace leopard::models
