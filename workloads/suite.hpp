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
//     - model: llama3.1-8b           a decode task (causal models: families gpt2, llama)
//       task: chat-32k
//       phase: decode                prefill (default) | decode
//       context: 32768               decode: keys the first generated token attends to (its KV
//                                    cache plus itself); `seq_len` is accepted instead, not both
//       generate: 128                decode: tokens generated (default 1); k_len runs from
//                                    context to context + generate - 1
//       batch: 8                     decode: sequences decoded together, each with its own KV cache
//                                    (default 1)
//       stats: llm_stats.csv         rows of a decode task carry seq_len = context
// A sequence (prefill: seq_len; decode: context + generate - 1 positions) beyond the model's
// max_positions is priced, with a warning in Suite::warnings naming the limit.
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

// What a task runs: its phase and sizes (the suite keys of the same names).
struct TaskOptions {
  Phase phase = Phase::kPrefill;
  std::int64_t seq_len = 0;  // prefill: prompt tokens (<= 0: the model's default_seq_len)
  std::int64_t context = 0;  // decode: keys the first generated token attends to (>= 1)
  int generate = 1;          // decode: tokens generated (>= 1)
  int batch = 1;             // decode: sequences decoded together (>= 1)
};

// As above for either phase. Decode: phase kDecode, context N, generate M, batch B, seq_len N,
// every layer's shape q_len 1, k_len N, causal (build_decode_graph); the statistics rows must carry
// seq_len N. Throws InputError (field "phase" for a non-causal model in decode).
TaskWorkload build_task_workload(const ModelSpec& spec, const std::string& task,
                                 const TaskOptions& options, const StatsTable& stats);

// The positions a task needs (prefill: seq_len; decode: context + generate - 1) when they exceed
// the model's max_positions (> 0), a warning naming the limit; empty otherwise.
std::string position_warning(const ModelSpec& spec, const std::string& task,
                             const TaskOptions& options);

// Keeps the tasks whose "model/task" matches a glob ('*', '?'); an empty glob keeps all.
// Throws InputError when nothing matches.
Suite filter_suite(const Suite& suite, const std::string& glob);

bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace leopard::workloads
