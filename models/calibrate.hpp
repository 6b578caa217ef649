// `leopard-dse calibrate`: fits the calibratable global constants of the cost model to target
// speedups and energy reductions (per task, plus published suite geometric means) by
// Levenberg-Marquardt least squares on log ratios, with Eigen (central-difference Jacobian). The
// Fig. 11 baseline energy split is matched in closed form at every step (energy_scale_* constants).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "workloads/paper_suite.hpp"

namespace leopard::models {

struct CalibrationTarget {
  std::string model;
  std::string task;
  double ae_speedup = 0, hp_speedup = 0, ae_energy = 0, hp_energy = 0;
  std::string file;  // where it came from (for messages)
  std::int64_t line = 0;
};

// paper_calibration.csv format: model,task,ae_speedup,hp_speedup,ae_energy,hp_energy.
std::vector<CalibrationTarget> load_targets(const std::filesystem::path& csv);

// Published aggregates used as targets (docs/paper-facts.md §5.1).
struct AggregateTargets {
  double ae_speedup = 1.9, ae_energy = 3.9, hp_speedup = 2.4, hp_energy = 4.0;
  double weight = 3.0;  // residual weight of each aggregate
  // Fig. 11 baseline energy split: QK, Key buffer, softmax, x V, Value buffer (percent).
  std::array<double, 5> baseline_split = {16.7, 16.7, 14.4, 29.5, 22.0};
};

struct FitRow {
  std::string model, task, config, metric;
  double target = 0, fitted = 0;
  double error() const { return fitted / target - 1; }
};

struct FitReport {
  CalibrationFile result;
  std::vector<FitRow> rows;        // per task and config (calibration tasks)
  std::vector<FitRow> aggregates;  // overall geometric means
  std::vector<std::pair<std::string, double>> parameters;  // fitted values
  int iterations = 0;
  double cost = 0;  // the fit's objective: squared norm of the (robust, weighted) residuals
  double rms_log_error = 0;
};

struct CalibrateInputs {
  std::vector<workloads::PaperTask> suite;  // all tasks (aggregates are over all of them)
  std::vector<CalibrationTarget> targets;   // per-task targets (a subset of the suite)
  ArchSpec ae, hp, baseline;
  CalibrationFile start;
  AggregateTargets aggregate;
  double robust_scale = 0.05;  // soft-L1 scale on per-task log errors (0: plain)
  std::vector<workloads::TerminationCurve> curves;  // Fig. 8 (the suite's histograms)
  std::vector<std::string> fixed;  // calibratable constants kept at their start value
  int max_iterations = 400;
  // What the fitted constants' source says they were fitted on.
  std::string target_description = "the paper's calibration tasks and geometric means";
};

FitReport calibrate(const CalibrateInputs& inputs);

// Sets energy_scale_{qk,kbuf,softmax,v} so that the baseline's energy split on a reference head
// equals `split` (energy_scale_vbuf is the anchor and stays as it is).
void fit_baseline_split(Calibration& cal, const ArchSpec& baseline,
                        const std::array<double, 5>& split);

}  // namespace leopard::models
