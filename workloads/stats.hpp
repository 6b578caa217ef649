// Per-head pruning statistics: the CSV format (README.md, "Input formats") and its validating
// loader.
//
// Columns (header required, any order; names case-sensitive):
//   model, task, layer, head      head is an integer or '*' (the row applies to every head)
//   [sample]                      optional integer: one input of many
//   seq_len                       tokens (positive integer)
//   n_scores                      scores computed (> 0)
//   n_pruned | prune_rate         pruned scores (0..n_scores) or their fraction (0..1); one
//   required t1..tN                        termination histogram of the pruned scores over K bits
//   processed
//                                 (bit resolution, B = 1): counts summing to n_pruned, or
//                                 fractions summing to 1. N is 1..32 and contiguous from t1.
//   [a1..aN]                      optional (`profile --plane-block`): measured share of K
//                                 bit-plane blocks still needed at bit b (fractions in [0, 1],
//                                 never increasing), one per t column: stats.plane_alive.
// Lines starting with '#' are comments (provenance); blank lines are skipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "workloads/model_spec.hpp"
#include "workloads/workload.hpp"

namespace leopard::workloads {

struct StatsRow {
  std::string model;
  std::string task;
  int layer = 0;
  int head = -1;    // -1 = every head of the layer ('*')
  int sample = -1;  // -1 = no sample column
  std::int64_t seq_len = 0;
  TerminationStats stats;  // hist normalised to fractions
  std::int64_t line = 0;   // 1-based line in the file
};

struct StatsTable {
  std::string file;
  int n_bits = 0;  // N of t1..tN
  bool has_samples = false;
  std::vector<StatsRow> rows;
};

// Loads and validates the syntax and internal consistency of a statistics CSV (rates in [0, 1],
// non-negative counts, histogram consistent with the pruned count, no duplicate (model, task,
// layer, head, sample) key, no truncated line, no empty file). Throws InputError(file, line,
// column).
StatsTable load_stats_csv(const std::filesystem::path& file);

// Checks the rows of one model against its shapes: layers and heads that exist, and n_scores not
// larger than the scores a head computes at the row's seq_len. Throws InputError(file, line,
// field).
void validate_stats_against_model(const StatsTable& table, const ModelSpec& spec);

// Validates every model named in the table against its zoo entry (find_model); with `model` set
// (zoo name or YAML path), only that model's rows. An unknown model is InputError(file, line,
// "model").
void validate_stats_models(const StatsTable& table, const std::string& model);

// A short summary for `stats check`.
struct StatsSummary {
  std::int64_t rows = 0;
  std::int64_t models = 0;
  std::int64_t tasks = 0;  // distinct (model, task)
  int n_bits = 0;
  bool has_samples = false;
  double mean_prune_rate = 0;   // mean over rows
  double mean_pruned_bits = 0;  // mean over rows with pruned scores
};
StatsSummary summarize_stats(const StatsTable& table);

// `stats merge`: the rows of several statistics files, concatenated in input order, and their
// provenance comments (each file's '#' lines under a line naming the file). Refused with
// InputError(file, line, field) naming the later file: a (model, task, layer, head, sample) key
// present in two files; a layer (model, task, layer, sample) given as a layer row '*' in one file
// and as per-head rows in another (within one file head rows win over '*', see suite.hpp, but
// across files that would silently drop one file's data); histograms of different widths (t1..tN);
// a sample column in some files and not in others.
struct MergedStats {
  StatsTable table;
  std::vector<std::string> comments;
};
MergedStats merge_stats_files(const std::vector<std::filesystem::path>& files);

// Writes a statistics table (fractions, t1..tN) with the given comment lines at the top.
void write_stats_csv(const std::filesystem::path& file, const std::vector<std::string>& comments,
                     const StatsTable& table);

}  // namespace leopard::workloads
