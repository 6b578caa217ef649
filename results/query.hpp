// Read-side queries of the results store, each returning a leopard::Table for render() (table, CSV
// or JSON). Metric and column names are checked against a whitelist; filter values are bound
// parameters, never pasted into SQL. Default run: the latest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "results/store.hpp"
#include "workloads/core/table.hpp"

namespace leopard::results {

// The metric columns of a design (the whitelist for `top --by` and `--where`).
const std::vector<std::string>& metric_columns();
// The per-task decode columns (SI units; NULL for prefill tasks), in store order.
const std::vector<std::string>& task_decode_columns();

// One row per run: id, name, status, strategy, seed, shard, designs, pareto, times, uuid.
Table query_runs(Store& store);

// The Pareto designs of a run: design_id, design_index, one column per axis, then the metrics.
Table query_pareto(Store& store, std::optional<std::int64_t> run_id);

// A filter "key=value" (also !=, <, <=, >, >=) on a metric column or an axis of the run.
struct Filter {
  std::string key;
  std::string op;  // "=", "!=", "<", "<=", ">", ">="
  std::string value;
};
Filter parse_filter(const std::string& text);  // throws InputError

struct TopOptions {
  std::string by = "latency_s";  // a metric column (or an objective alias: latency, ...)
  std::int64_t limit = 10;
  std::optional<bool> descending;  // default: descending for speedup / energy reduction
  std::vector<Filter> where;
  bool feasible_only = false;
  // "MODEL/TASK": order by that task's column (`by` is then a task_metrics column: latency_p99_s,
  // s_per_token_p99, ...); only designs with per-task metrics stored for it are listed (the Pareto
  // designs by default, all with --task-metrics all). The value is added as the last column.
  std::string task;
};
// The task_metrics columns `top --by` accepts with a task.
const std::vector<std::string>& task_metric_columns();
Table query_top(Store& store, std::optional<std::int64_t> run_id, const TopOptions& options);

// One design: a summary (key, value) table, its per-task metrics and its energy breakdown.
struct DesignReport {
  Table summary;
  Table tasks;
  Table breakdown;
};
DesignReport query_design(Store& store, std::int64_t design_id);

// Runs one SELECT on a read-only connection (SQLITE_OPEN_READONLY plus query_only). A statement
// that would write, or more than one statement, fails with InputError and changes nothing.
Table query_sql(const std::filesystem::path& db_path, const std::string& sql);

// Every design of a run with parameters expanded (one column per axis) and its metrics.
Table designs_table(Store& store, std::int64_t run_id);
// The same rows streamed, in design_index order: `header` once with the column names, then `row`
// per design (the vector is reused between calls). Memory does not grow with the run's size.
void for_each_design(Store& store, std::int64_t run_id,
                     const std::function<void(const std::vector<std::string>&)>& header,
                     const std::function<void(const std::vector<Cell>&)>& row);

// SQL expression for one axis value (json_extract with a quoted path) and the axis column list.
std::string axis_path(const std::string& axis);

}  // namespace leopard::results
