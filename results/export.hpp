// Export of a run's designs (parameters expanded, metrics, Pareto flag) to CSV or JSON. The file is
// written next to its destination under a temporary name and renamed, so it is never half-written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "results/store.hpp"
#include "workloads/core/table.hpp"

namespace leopard::results {

enum class ExportFormat { kCsv, kJson };
ExportFormat parse_export_format(const std::string& text);  // throws InputError

// Writes every design of the run (default: latest) to `out`. CSV: a header row, then one row per
// design with doubles at full (round-trip) precision. JSON: {"run": {...provenance...},
// "designs": [{...}, ...]}. Returns the number of designs written.
// With `tasks`: one row per (design, task) that has per-task metrics stored (the Pareto designs by
// default, every design with --task-metrics all): design_id, design_index, the axes, model, task
// and every task_metrics column (tail and decode columns in SI units, empty/null where they do not
// apply); JSON: "tasks" instead of "designs". Returns the number of rows written.
std::int64_t export_run(Store& store, std::optional<std::int64_t> run_id, ExportFormat format,
                        const std::filesystem::path& out, bool tasks = false);

// The per-task rows of a run, streamed in (design_index, model, task) order (see export_run).
void for_each_task(Store& store, std::int64_t run_id,
                   const std::function<void(const std::vector<std::string>&)>& header,
                   const std::function<void(const std::vector<Cell>&)>& row);

// Writes `content` to `path` atomically (temporary file in the same folder, then rename).
void write_file_atomically(const std::filesystem::path& path, const std::string& content);
// The same, streaming: `write` fills the temporary file's stream; if it throws or the stream
// fails, the temporary file is removed and `path` is untouched.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace leopard::results
