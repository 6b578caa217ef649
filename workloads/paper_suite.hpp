// The paper's 43-task suite (workloads/data/paper_suite.csv, from LeOPArd ISCA 2022 Fig. 7 and
// Sec. 5.2) and the synthesis of its layer-level statistics (workloads/synthesis.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "workloads/stats.hpp"
#include "workloads/synthesis.hpp"
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
  double prune_rate = 0;  // 0..1 (prune_pct / 100)
  double pruned_bits_avg = 0;
};

// data_path("workloads/data/paper_suite.csv").
std::filesystem::path paper_suite_csv();
std::vector<PaperTask> load_paper_tasks(const std::filesystem::path& csv);

// Synthesises a histogram per task (groups = model/dataset) with the given bit offset.
std::vector<std::vector<double>> synthesise_paper_histograms(const std::vector<PaperTask>& tasks,
                                                             double bit_offset, double skew);

// A TaskWorkload with every layer and head carrying (prune rate, histogram). Shapes from the row:
// q_len = k_len = seq_len; scores per head from the shape.
TaskWorkload make_paper_workload(const PaperTask& task, const std::vector<double>& hist);

// Layer-level statistics rows (head '*') for all tasks: the shipped paper_stats.csv.
StatsTable paper_stats_table(const std::vector<PaperTask>& tasks,
                             const std::vector<std::vector<double>>& hists);

}  // namespace leopard::workloads
