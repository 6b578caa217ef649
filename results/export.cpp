// CSV / JSON export of a run, written atomically.
#include "results/export.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "results/query.hpp"
#include "results/sqlite.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/table.hpp"

namespace leopard::results {

namespace {

std::string exact_text(const Cell& cell) {
  if (std::holds_alternative<std::int64_t>(cell))
    return std::to_string(std::get<std::int64_t>(cell));
  if (std::holds_alternative<double>(cell)) {
    const double v = std::get<double>(cell);
    return std::isfinite(v) ? fmt::format("{}", v) : "";
  }
  if (std::holds_alternative<std::string>(cell)) return std::get<std::string>(cell);
  return "";
}

nlohmann::ordered_json json_cell(const Cell& cell) {
  if (std::holds_alternative<std::int64_t>(cell)) return std::get<std::int64_t>(cell);
  if (std::holds_alternative<double>(cell)) {
    const double v = std::get<double>(cell);
    return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
  }
  if (std::holds_alternative<std::string>(cell)) return std::get<std::string>(cell);
  return nullptr;
}

}  // namespace

ExportFormat parse_export_format(const std::string& text) {
  if (text == "csv") return ExportFormat::kCsv;
  if (text == "json") return ExportFormat::kJson;
  throw InputError("", 0, "--format",
                   "unknown export format '" + text + "' (expected csv or json)");
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  write_file_atomically(path, [&](std::ostream& out) { out << content; });
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    throw InputError(path.string(), 0, "", "the folder " + parent.string() + " does not exist");
  }
  if (fs::is_directory(path, ec)) throw InputError(path.string(), 0, "", "is a directory");
  const fs::path tmp = path.string() + fmt::format(".tmp-{}", ::getpid());
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw RuntimeError("cannot create " + tmp.string());
    write(out);
    out.flush();
    if (!out) throw RuntimeError("cannot write " + tmp.string() + " (disk full?)");
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw RuntimeError("cannot rename " + tmp.string() + " to " + path.string());
  }
}

void for_each_task(Store& store, std::int64_t run_id,
                   const std::function<void(const std::vector<std::string>&)>& header,
                   const std::function<void(const std::vector<Cell>&)>& row) {
  const std::vector<std::string> axes = store.run(run_id).info.axes;
  std::string axis_columns;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    axis_columns += fmt::format(", json_extract(d.params, ?{}) AS {}", 2 + static_cast<int>(i),
                                quote_identifier(axes[i]));
  }
  std::string decode;
  for (const std::string& c : task_decode_columns()) decode += ", t." + c;
  Statement s(store.db(),
              "SELECT d.design_id, d.design_index" + axis_columns +
                  ", EXISTS(SELECT 1 FROM pareto p WHERE p.design_id = d.design_id) AS pareto, "
                  "t.model, t.task, t.cycles, t.latency_s, t.energy_j, t.energy_onchip_j, "
                  "t.energy_dram_j, t.speedup, t.energy_reduction, t.bottleneck, "
                  "t.qk_utilization, t.vpu_utilization, t.dram_utilization, t.samples, "
                  "t.latency_p50_s, t.latency_p95_s, t.latency_p99_s, t.energy_p50_j, "
                  "t.energy_p99_j" +
                  decode +
                  " FROM designs d JOIN task_metrics t ON t.design_id = d.design_id "
                  "WHERE d.run_id = ?1 ORDER BY d.design_index, t.model, t.task");
  s.bind(1, run_id);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    s.bind(2 + static_cast<int>(i), axis_path(axes[i]));
  }
  std::vector<std::string> columns;
  for (int c = 0; c < s.column_count(); ++c) columns.push_back(s.column_name(c));
  header(columns);
  std::vector<Cell> cells(columns.size());
  while (s.step()) {
    for (int c = 0; c < s.column_count(); ++c) {
      switch (s.column_type(c)) {
        case SQLITE_INTEGER:
          cells[static_cast<std::size_t>(c)] = s.column_int(c);
          break;
        case SQLITE_FLOAT:
          cells[static_cast<std::size_t>(c)] = s.column_double(c);
          break;
        case SQLITE_NULL:
          cells[static_cast<std::size_t>(c)] = std::monostate{};
          break;
        default:
          cells[static_cast<std::size_t>(c)] = s.column_text(c);
      }
    }
    row(cells);
  }
}

std::int64_t export_run(Store& store, std::optional<std::int64_t> run_id, ExportFormat format,
                        const std::filesystem::path& out, bool tasks) {
  const std::int64_t run = store.resolve_run(run_id);
  const auto for_each_row = [&](const std::function<void(const std::vector<std::string>&)>& header,
                                const std::function<void(const std::vector<Cell>&)>& row) {
    if (tasks) {
      for_each_task(store, run, header, row);
    } else {
      for_each_design(store, run, header, row);
    }
  };
  std::int64_t rows = 0;
  write_file_atomically(out, [&](std::ostream& text) {
    // Streamed row by row: a million-design run never sits in memory (issue 8's leftover).
    std::vector<std::string> columns;
    const auto header = [&](const std::vector<std::string>& names) { columns = names; };
    if (format == ExportFormat::kCsv) {
      for_each_row(
          [&](const std::vector<std::string>& names) {
            header(names);
            for (std::size_t c = 0; c < names.size(); ++c) {
              text << (c ? "," : "") << csv_escape(names[c]);
            }
            text << '\n';
          },
          [&](const std::vector<Cell>& row) {
            for (std::size_t c = 0; c < row.size(); ++c) {
              text << (c ? "," : "") << csv_escape(exact_text(row[c]));
            }
            text << '\n';
            ++rows;
          });
      return;
    }
    const StoredRun r = store.run(run);
    nlohmann::ordered_json provenance = {{"run_id", r.id},
                                         {"uuid", r.info.uuid},
                                         {"name", r.info.name},
                                         {"status", to_string(r.status)},
                                         {"strategy", r.info.strategy},
                                         {"seed", r.info.seed},
                                         {"space_hash", r.info.space_hash},
                                         {"suite_hash", r.info.suite_hash},
                                         {"axes", r.info.axes},
                                         {"objectives", r.info.objectives},
                                         {"tool_version", r.info.tool_version},
                                         {"git_revision", r.info.git_revision},
                                         {"model_fingerprint", r.info.model_fingerprint},
                                         {"command_line", r.info.command_line},
                                         {"started_at", r.started_at},
                                         {"finished_at", r.finished_at}};
    // The layout of nlohmann's dump(2) of {"run": ..., "designs": [...]}, written piecewise:
    // each member is dumped on its own and indented to its depth (JSON strings hold no raw
    // newlines, so every newline of a dump is layout).
    const auto indented = [](const nlohmann::ordered_json& value, const std::string& pad) {
      std::string dumped = value.dump(2);
      std::string out = pad;
      for (char c : dumped) {
        out += c;
        if (c == '\n') out += pad;
      }
      return out;
    };
    std::string run_text = indented(provenance, "  ");
    text << "{\n  \"run\": " << run_text.substr(2) << ",\n  \"" << (tasks ? "tasks" : "designs")
         << "\": [";
    for_each_row(header, [&](const std::vector<Cell>& row) {
      nlohmann::ordered_json obj = nlohmann::ordered_json::object();
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (columns[c] == "objectives") {
          // Non-finite values become null (JSON has no infinity).
          nlohmann::ordered_json values = nlohmann::ordered_json::array();
          for (double v : parse_doubles_json(exact_text(row[c]))) {
            values.push_back(std::isfinite(v) ? nlohmann::ordered_json(v)
                                              : nlohmann::ordered_json(nullptr));
          }
          obj["objectives"] = std::move(values);
        } else {
          obj[columns[c]] = json_cell(row[c]);
        }
      }
      text << (rows++ > 0 ? ",\n" : "\n") << indented(obj, "    ");
    });
    text << (rows > 0 ? "\n  ]\n}\n" : "]\n}\n");
  });
  return rows;
}

}  // namespace leopard::results
