// Read-side queries: runs, Pareto designs, top-N by a metric, one design, read-only SQL.
#include "results/query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "results/schema.hpp"
#include "results/sqlite.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/text.hpp"

namespace leopard::results {

namespace {

// Metric columns shown in design listings, in order.
const std::vector<std::string> kListedMetrics = {"latency_s",
                                                 "energy_j",
                                                 "energy_onchip_j",
                                                 "energy_dram_j",
                                                 "area_mm2",
                                                 "power_w",
                                                 "edp_js",
                                                 "speedup_geomean",
                                                 "energy_reduction_geomean",
                                                 "feasible",
                                                 "bottleneck",
                                                 "latency_p50_s",
                                                 "latency_p95_s",
                                                 "latency_p99_s",
                                                 "energy_p50_j",
                                                 "energy_p99_j",
                                                 "vdd",
                                                 "infeasible_reason"};

// Objective-style aliases accepted by `top --by`.
const std::map<std::string, std::string> kAliases = {
    {"latency", "latency_s"},
    {"energy", "energy_j"},
    {"energy_onchip", "energy_onchip_j"},
    {"energy_dram", "energy_dram_j"},
    {"area", "area_mm2"},
    {"power", "power_w"},
    {"edp", "edp_js"},
    {"speedup", "speedup_geomean"},
    {"energy_reduction", "energy_reduction_geomean"},
    {"latency_p50", "latency_p50_s"},
    {"latency_p95", "latency_p95_s"},
    {"latency_p99", "latency_p99_s"},
    {"energy_p50", "energy_p50_j"},
    {"energy_p99", "energy_p99_j"}};

Cell cell_at(const Statement& s, int col) {
  switch (s.column_type(col)) {
    case SQLITE_INTEGER:
      return s.column_int(col);
    case SQLITE_FLOAT:
      return s.column_double(col);
    case SQLITE_NULL:
      return std::monostate{};
    default:
      return s.column_text(col);
  }
}

// Runs `s` and collects every row; column names from the statement.
Table collect(Statement& s) {
  Table table;
  for (int c = 0; c < s.column_count(); ++c) table.columns.push_back(s.column_name(c));
  while (s.step()) {
    std::vector<Cell> row;
    row.reserve(table.columns.size());
    for (int c = 0; c < s.column_count(); ++c) row.push_back(cell_at(s, c));
    table.add_row(std::move(row));
  }
  return table;
}

std::string metric_select() {
  std::string out;
  for (const std::string& m : kListedMetrics) out += ", m." + m;
  return out;
}

// ", json_extract(d.params, ?N) AS "axis"" for each axis, numbering parameters from `first`.
std::string axis_select(const std::vector<std::string>& axes, int first) {
  std::string out;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    out += fmt::format(", json_extract(d.params, ?{}) AS {}", first + static_cast<int>(i),
                       quote_identifier(axes[i]));
  }
  return out;
}

void bind_axes(Statement& s, const std::vector<std::string>& axes, int first) {
  for (std::size_t i = 0; i < axes.size(); ++i) {
    s.bind(first + static_cast<int>(i), axis_path(axes[i]));
  }
}

void bind_value(Statement& s, int index, const std::string& value) {
  if (auto i = parse_int(value)) {
    s.bind(index, *i);
  } else if (auto d = parse_double(value)) {
    s.bind(index, *d);
  } else {
    s.bind(index, value);
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

const std::vector<std::string>& metric_columns() { return kListedMetrics; }

const std::vector<std::string>& task_metric_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = {"cycles",           "latency_s",      "energy_j",
                                  "energy_onchip_j",  "energy_dram_j",  "speedup",
                                  "energy_reduction", "qk_utilization", "vpu_utilization",
                                  "dram_utilization", "latency_p50_s",  "latency_p95_s",
                                  "latency_p99_s",    "energy_p50_j",   "energy_p99_j"};
    for (const auto& d : task_decode_columns()) c.push_back(d);
    return c;
  }();
  return columns;
}

const std::vector<std::string>& task_decode_columns() {
  static const std::vector<std::string> columns = {
      "s_per_token",          "tokens_per_s",           "j_per_token",
      "dram_bytes_per_token", "dram_k_bytes_per_token", "dram_v_bytes_per_token",
      "s_per_token_p50",      "s_per_token_p99",        "j_per_token_p99"};
  return columns;
}

std::string axis_path(const std::string& axis) { return "$.\"" + axis + "\""; }

Table query_runs(Store& store) {
  Statement s(store.db(),
              "SELECT r.id AS run_id, r.name, r.status, r.strategy, r.seed, "
              "r.shard_index || '/' || r.shard_count AS shard, r.space_size, "
              "(SELECT count(*) FROM designs d WHERE d.run_id = r.id) AS designs, "
              "(SELECT count(*) FROM pareto p WHERE p.run_id = r.id) AS pareto, "
              "r.started_at, r.finished_at, r.tool_version, r.git_revision, r.uuid "
              "FROM runs r ORDER BY r.id");
  return collect(s);
}

Table query_pareto(Store& store, std::optional<std::int64_t> run_id) {
  const std::int64_t run = store.resolve_run(run_id);
  const std::vector<std::string> axes = store.run(run).info.axes;
  Statement s(store.db(), "SELECT d.design_id, d.design_index" + axis_select(axes, 2) +
                              metric_select() +
                              " FROM pareto p JOIN designs d ON d.design_id = p.design_id "
                              "JOIN metrics m ON m.design_id = d.design_id WHERE p.run_id = ?1 "
                              "ORDER BY m.latency_s, d.design_index");
  s.bind(1, run);
  bind_axes(s, axes, 2);
  return collect(s);
}

Filter parse_filter(const std::string& text) {
  static const std::vector<std::string> kOps = {"!=", "<=", ">=", "=", "<", ">"};
  for (const std::string& op : kOps) {
    const auto pos = text.find(op);
    if (pos == std::string::npos || pos == 0) continue;
    // Take the first operator occurrence ("a<=b" must not be read as "a<" "=b").
    const auto first = text.find_first_of("!<>=");
    if (first != pos) continue;
    Filter f{trim(text.substr(0, pos)), op, trim(text.substr(pos + op.size()))};
    if (f.key.empty() || f.value.empty()) break;
    return f;
  }
  throw InputError("", 0, "--where",
                   fmt::format("'{}': expected KEY=VALUE (or !=, <, <=, >, >=)", text));
}

Table query_top(Store& store, std::optional<std::int64_t> run_id, const TopOptions& options) {
  const std::int64_t run = store.resolve_run(run_id);
  const std::vector<std::string> axes = store.run(run).info.axes;
  std::string by = options.by;
  if (auto alias = kAliases.find(by); alias != kAliases.end()) by = alias->second;
  const bool by_task = !options.task.empty();
  std::string task_model, task_name;
  if (by_task) {
    const auto slash = options.task.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == options.task.size()) {
      throw InputError(
          "", 0, "--task",
          fmt::format("'{}': expected MODEL/TASK, e.g. llama3.1-8b/decode-4k", options.task));
    }
    task_model = options.task.substr(0, slash);
    task_name = options.task.substr(slash + 1);
    const auto& tc = task_metric_columns();
    if (std::find(tc.begin(), tc.end(), by) == tc.end()) {
      throw InputError("", 0, "--by",
                       fmt::format("unknown task metric '{}' (with --task, expected one of: {})",
                                   options.by, join(tc)));
    }
    Statement known(store.db(),
                    "SELECT count(*) FROM task_metrics t JOIN designs d ON d.design_id = "
                    "t.design_id WHERE d.run_id = ?1 AND t.model = ?2 AND t.task = ?3");
    known.bind(1, run).bind(2, task_model).bind(3, task_name).step();
    if (known.column_int(0) == 0) {
      throw InputError("", 0, "--task",
                       fmt::format("run {} has no per-task metrics for '{}' (sweep with "
                                   "--task-metrics pareto or all)",
                                   run, options.task));
    }
  } else if (std::find(kListedMetrics.begin(), kListedMetrics.end(), by) == kListedMetrics.end()) {
    throw InputError(
        "", 0, "--by",
        fmt::format("unknown metric '{}' (expected one of: {})", options.by, join(kListedMetrics)));
  }
  if (options.limit < 0) throw InputError("", 0, "-n", "must not be negative");
  const bool descending = options.descending.value_or(
      by == "speedup_geomean" || by == "energy_reduction_geomean" ||
      (by_task && (by == "speedup" || by == "energy_reduction" || by == "tokens_per_s")));
  // Parameters: ?1 run, ?2.. axis paths, then filter values, then the limit.
  int next = 2 + static_cast<int>(axes.size());
  std::string where = "d.run_id = ?1";
  if (options.feasible_only) where += " AND m.feasible = 1";
  struct Binding {
    int index;
    std::string value;
    bool is_path;  // an axis path (always text) rather than a user value
  };
  std::vector<Binding> bindings;
  for (const Filter& f : options.where) {
    static const std::vector<std::string> kOps = {"=", "!=", "<", "<=", ">", ">="};
    if (std::find(kOps.begin(), kOps.end(), f.op) == kOps.end()) {
      throw InputError("", 0, "--where", fmt::format("unknown operator '{}'", f.op));
    }
    std::string lhs;
    if (std::find(kListedMetrics.begin(), kListedMetrics.end(), f.key) != kListedMetrics.end()) {
      lhs = "m." + f.key;
    } else if (f.key == "design_index" || f.key == "design_id") {
      lhs = "d." + f.key;
    } else if (std::find(axes.begin(), axes.end(), f.key) != axes.end()) {
      lhs = fmt::format("json_extract(d.params, ?{})", next);
      bindings.push_back({next++, axis_path(f.key), true});
    } else {
      throw InputError("", 0, "--where",
                       fmt::format("unknown key '{}' (metrics: {}; axes of run {}: {})", f.key,
                                   join(kListedMetrics), run, join(axes)));
    }
    where += fmt::format(" AND {} {} ?{}", lhs, f.op, next);
    bindings.push_back({next++, f.value, false});
  }
  std::string task_join, task_column, order = "m." + by;
  if (by_task) {
    task_join = fmt::format(
        " JOIN task_metrics t ON t.design_id = d.design_id AND t.model = ?{} "
        "AND t.task = ?{}",
        next, next + 1);
    bindings.push_back({next++, task_model, true});
    bindings.push_back({next++, task_name, true});
    task_column = fmt::format(", t.{} AS {}", by, quote_identifier(options.task + " " + by));
    order = "t." + by;
  }
  const int limit_index = next;
  Statement s(store.db(),
              fmt::format("SELECT d.design_id, d.design_index{}{}{} FROM designs d JOIN metrics m "
                          "ON m.design_id = d.design_id{} WHERE {} ORDER BY {} {} NULLS LAST, "
                          "d.design_index LIMIT ?{}",
                          axis_select(axes, 2), metric_select(), task_column, task_join, where,
                          order, descending ? "DESC" : "ASC", limit_index));
  s.bind(1, run);
  bind_axes(s, axes, 2);
  for (const Binding& b : bindings) {
    if (b.is_path) {
      s.bind(b.index, b.value);
    } else {
      bind_value(s, b.index, b.value);
    }
  }
  s.bind(limit_index, options.limit);
  return collect(s);
}

DesignReport query_design(Store& store, std::int64_t design_id) {
  DesignReport report;
  Statement d(store.db(),
              "SELECT d.run_id, d.design_index, d.design_hash, d.params, m.objectives, "
              "EXISTS(SELECT 1 FROM pareto p WHERE p.design_id = d.design_id)" +
                  metric_select() +
                  " FROM designs d LEFT JOIN metrics m ON m.design_id = d.design_id "
                  "WHERE d.design_id = ?1");
  d.bind(1, design_id);
  if (!d.step()) {
    throw InputError(store.path().string(), 0, "design",
                     fmt::format("no design with id {}", design_id));
  }
  const std::int64_t run_id = d.column_int(0);
  Table& sum = report.summary;
  sum.columns = {"key", "value"};
  sum.add_row({std::string("design_id"), design_id});
  sum.add_row({std::string("run_id"), run_id});
  sum.add_row({std::string("design_index"), d.column_int(1)});
  sum.add_row({std::string("design_hash"), d.column_text(2)});
  sum.add_row({std::string("pareto"), d.column_int(5)});
  const std::string params = d.column_text(3);
  const std::string objectives = d.column_text(4);
  for (std::size_t i = 0; i < kListedMetrics.size(); ++i) {
    sum.add_row({kListedMetrics[i], cell_at(d, 6 + static_cast<int>(i))});
  }
  // Parameters in axis order, via SQLite's json_each (keeps the stored order).
  Statement p(store.db(), "SELECT key, value FROM json_each(?1)");
  p.bind(1, params);
  while (p.step()) sum.add_row({"param " + p.column_text(0), cell_at(p, 1)});
  const std::vector<std::string> names = store.run(run_id).info.objectives;
  const std::vector<double> values = parse_doubles_json(objectives);
  for (std::size_t i = 0; i < values.size(); ++i) {
    sum.add_row({"objective " + (i < names.size() ? names[i] : std::to_string(i)), values[i]});
  }
  Statement t(store.db(),
              "SELECT model, task, cycles, latency_s, energy_j, energy_onchip_j, energy_dram_j, "
              "speedup, energy_reduction, bottleneck, qk_utilization, vpu_utilization, "
              "dram_utilization, samples, latency_p50_s, latency_p95_s, latency_p99_s, "
              "energy_p50_j, energy_p99_j, " +
                  join(task_decode_columns()) +
                  " FROM task_metrics WHERE design_id = ?1 "
                  "ORDER BY model, task");
  t.bind(1, design_id);
  report.tasks = collect(t);
  Statement b(store.db(),
              "SELECT component, energy_j FROM breakdown WHERE design_id = ?1 ORDER BY component");
  b.bind(1, design_id);
  report.breakdown = collect(b);
  return report;
}

Table query_sql(const std::filesystem::path& db_path, const std::string& sql) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    throw InputError(db_path.string(), 0, "", "no such database");
  }
  Db db(db_path, Db::Mode::kReadOnly);
  const FileKind kind = inspect(db);
  if (kind != FileKind::kOurs) {
    throw InputError(db_path.string(), 0, "", "not a leopard-dse database");
  }
  db.exec("PRAGMA query_only = ON");
  // ATTACH counts as read-only for SQLite (it writes no file of this database); refuse it anyway.
  sqlite3_set_authorizer(
      db.handle(),
      [](void*, int action, const char*, const char*, const char*, const char*) {
        return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
      },
      nullptr);
  // Check the statement before running it: one statement, read-only.
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  if (rc != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db.handle());
    sqlite3_finalize(raw);
    throw InputError("", 0, "sql", "invalid SQL: " + message);
  }
  const bool readonly = raw == nullptr || sqlite3_stmt_readonly(raw) != 0;
  sqlite3_finalize(raw);
  if (raw == nullptr) throw InputError("", 0, "sql", "empty SQL statement");
  if (tail != nullptr && !trim(tail).empty() && trim(tail) != ";") {
    throw InputError("", 0, "sql", "only one statement is allowed");
  }
  if (!readonly) {
    throw InputError("", 0, "sql",
                     "query sql is read-only: this statement would modify the database "
                     "(use SELECT, WITH or a read-only PRAGMA)");
  }
  try {
    Statement s(db, sql);
    return collect(s);
  } catch (const RuntimeError& e) {
    throw InputError("", 0, "sql", e.what());
  }
}

Table designs_table(Store& store, std::int64_t run_id) {
  Table table;
  for_each_design(
      store, run_id, [&](const std::vector<std::string>& columns) { table.columns = columns; },
      [&](const std::vector<Cell>& row) { table.add_row(row); });
  return table;
}

void for_each_design(Store& store, std::int64_t run_id,
                     const std::function<void(const std::vector<std::string>&)>& header,
                     const std::function<void(const std::vector<Cell>&)>& row) {
  const std::vector<std::string> axes = store.run(run_id).info.axes;
  Statement s(store.db(),
              "SELECT d.design_id, d.design_index, d.design_hash" + axis_select(axes, 2) +
                  metric_select() +
                  ", EXISTS(SELECT 1 FROM pareto p WHERE p.design_id = d.design_id) AS pareto, "
                  "m.objectives FROM designs d JOIN metrics m ON m.design_id = d.design_id "
                  "WHERE d.run_id = ?1 ORDER BY d.design_index");
  s.bind(1, run_id);
  bind_axes(s, axes, 2);
  std::vector<std::string> columns;
  for (int c = 0; c < s.column_count(); ++c) columns.push_back(s.column_name(c));
  header(columns);
  std::vector<Cell> cells(columns.size());
  while (s.step()) {
    for (int c = 0; c < s.column_count(); ++c) cells[static_cast<std::size_t>(c)] = cell_at(s, c);
    row(cells);
  }
}

}  // namespace leopard::results
