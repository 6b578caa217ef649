// Suites: named lists of tasks (model, task, sequence length, statistics file) turned into
// TaskWorkloads. `paper` is shipped (workloads/suites/paper.yaml).
//
// Suite YAML:
//   name: my-suite
//   description: ...                 (optional)
//   tasks:
//     - model: bert-base             zoo name or path to a model YAML (relative to the suite file)
//       task: SST-2
//       seq_len: 128                 optional, default: the model's default_seq_len
//       stats: stats.csv             statistics CSV, relative to the suite file
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "workloads/model_spec.hpp"
#include "workloads/stats.hpp"
#include "workloads/workload.hpp"

namespace leopard::workloads {

// Shipped suite names (files in data_path("workloads/suites")), sorted.
std::vector<std::string> list_suites();

// A shipped suite name or a path to a suite YAML. Builds each task's graph, extracts its attention
// layers and attaches the statistics (validated against the model). Throws InputError naming the
// file, line and field.
Suite load_suite(const std::string& name_or_path);

// One task: builds the model's graph at seq_len (<= 0: the model's default), extracts its attention
// layers and attaches the (model, task) rows of `stats`: a head row wins over a layer row ('*');
// every (layer, head) must be covered, else InputError naming the stats file and the missing
// layer/head. With a sample column, `samples` holds one workload per sample and `layers` the pooled
// statistics (mean counts per sample, histogram weighted by pruned counts).
TaskWorkload build_task_workload(const ModelSpec& spec, const std::string& task,
                                 std::int64_t seq_len, const StatsTable& stats);

// Keeps the tasks whose "model/task" matches a glob ('*', '?'); an empty glob keeps all.
// Throws InputError when nothing matches.
Suite filter_suite(const Suite& suite, const std::string& glob);

bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace leopard::workloads
