// The paper's 43-task suite (workloads/data/paper_suite.csv, from LeOPArd ISCA 2022 Fig. 7 and
// Sec. 5.2) and its termination histograms from the paper's Fig. 8
// (workloads/data/termination_cdf.csv).
//
// Fig. 8 plots, per model and dataset, the cumulative share F(b) of all scores already pruned once
// b K bits have been processed. Each task names its curve (column termination_curve). The task's
// histogram of termination bits among its pruned scores is the curve's shape, moved to the task's
// Fig. 7 pruning rate p:
//   G(b) = Phi(Phi^-1(F(b)) + s (Phi^-1(p) - Phi^-1(F(n)))),  hist(b) = (G(b) - G(b-1)) / G(n),
// with F(n) the curve's own end point and s = termination_rate_sensitivity (a calibrated constant,
// models/calibration.hpp). Derivation (s = 1): with scores ~ N(mu, sigma) and the threshold at the
// p-quantile, a score is pruned by bit b when it lies more than the remaining margin M_b below the
// threshold, so F(b) = Phi(Phi^-1(p) - M_b / sigma): moving the threshold to another rate shifts
// every point of the curve by the same amount in probit space, and G(n) = p. s != 1 lets a higher
// pruning rate also narrow the score distribution relative to the margins (tasks differ in more
// than the threshold). At p = F(n) the histogram is the curve's normalised increments
// (F(b) - F(b-1)) / F(n) whatever s is: the normalisation removes the mismatch between the curve's
// end point and Fig. 7 (ALBERT's curve ends near 81% where Fig. 7 gives 72.6%).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "workloads/stats.hpp"
#include "workloads/workload.hpp"

namespace leopard::workloads {

struct PaperTask {
  std::string model;  // zoo name
  std::string task;
  std::string dataset;
  std::int64_t seq_len = 0;
  int head_dim = 0;
  int layers = 0;
  int heads = 0;
  bool causal = false;
  double prune_rate = 0;          // 0..1 (prune_pct / 100)
  std::string termination_curve;  // a curve of termination_cdf.csv
};

// One Fig. 8 curve: cumulative share (0..1) of all scores pruned once bits 1..n are processed.
struct TerminationCurve {
  std::string name;
  std::vector<double> cumulative;
};

// data_path("workloads/data/paper_suite.csv") and data_path("workloads/data/termination_cdf.csv").
std::filesystem::path paper_suite_csv();
std::filesystem::path termination_curves_csv();
std::vector<PaperTask> load_paper_tasks(const std::filesystem::path& csv);
// Format: workload,b1..bN in percent, non-decreasing, ending above 0.
std::vector<TerminationCurve> load_termination_curves(const std::filesystem::path& csv);

// Standard normal CDF and its inverse (|error| < 1e-14 on (1e-300, 1 - 1e-16)).
double normal_cdf(double z);
double normal_quantile(double u);

// The histogram (fractions over bits 1..n) of termination bits among pruned scores of a task
// pruning `prune_rate` on `curve`, at rate sensitivity `sensitivity` (see above).
std::vector<double> curve_histogram(const TerminationCurve& curve, double prune_rate,
                                    double sensitivity);

// Histograms for all tasks, each from its termination_curve (an unknown curve name is an
// InputError naming paper_suite.csv's column).
std::vector<std::vector<double>> paper_histograms(const std::vector<PaperTask>& tasks,
                                                  const std::vector<TerminationCurve>& curves,
                                                  double sensitivity);

// A TaskWorkload with every layer and head carrying (prune rate, histogram). Shapes from the row:
// q_len = k_len = seq_len; scores per head from the shape.
TaskWorkload make_paper_workload(const PaperTask& task, const std::vector<double>& hist);

// Layer-level statistics rows (head '*') for all tasks: the shipped paper_stats.csv.
StatsTable paper_stats_table(const std::vector<PaperTask>& tasks,
                             const std::vector<std::vector<double>>& hists);

}  // namespace leopard::workloads
