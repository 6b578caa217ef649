// `leopard-dse query | export | merge`: reading, exporting and merging results databases.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dse/app/commands.hpp"
#include "dse/front_edge.hpp"
#include "results/export.hpp"
#include "results/merge.hpp"
#include "results/query.hpp"
#include "results/store.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/table.hpp"

namespace leopard::app {

namespace {

namespace res = leopard::results;

struct QueryArgs {
  std::string db = res::kDefaultDbPath;
  std::string format = "table";
  std::optional<std::int64_t> run;
  std::string by = "latency_s";
  std::int64_t limit = 10;
  std::vector<std::string> where;
  bool ascending = false;
  bool descending = false;
  bool feasible = false;
  std::string task;
  std::int64_t design_id = 0;
  std::string sql;
};

// The front_at_edge hints of a run's Pareto designs (rows of query_pareto: one column per axis).
std::string pareto_edge_hints(res::Store& store, std::int64_t run_id, const Table& pareto) {
  const auto axes = dse::numeric_axes_from_text(store.run(run_id).info.space_text);
  std::vector<std::size_t> column;  // axis -> column of `pareto`
  std::vector<dse::EdgeAxis> found;
  for (const auto& axis : axes) {
    const auto it = std::find(pareto.columns.begin(), pareto.columns.end(), axis.key);
    if (it == pareto.columns.end()) continue;
    column.push_back(static_cast<std::size_t>(it - pareto.columns.begin()));
    found.push_back(axis);
  }
  std::vector<std::vector<double>> front;
  for (const auto& row : pareto.rows) {
    std::vector<double> v;
    for (std::size_t c : column) {
      const Cell& cell = row[c];
      if (const auto* i = std::get_if<std::int64_t>(&cell)) {
        v.push_back(static_cast<double>(*i));
      } else if (const auto* d = std::get_if<double>(&cell)) {
        v.push_back(*d);
      } else {
        v.push_back(std::nan(""));
      }
    }
    front.push_back(std::move(v));
  }
  return dse::front_at_edge_hints(dse::front_at_edge(found, front));
}

void print_design(const res::DesignReport& report, OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      render_text(std::cout, report.summary);
      std::cout << "\nper-task metrics\n";
      render_text(std::cout, report.tasks);
      std::cout << "\nenergy breakdown\n";
      render_text(std::cout, report.breakdown);
      break;
    case OutputFormat::kCsv:  // three CSV tables separated by a blank line
      render_csv(std::cout, report.summary);
      std::cout << '\n';
      render_csv(std::cout, report.tasks);
      std::cout << '\n';
      render_csv(std::cout, report.breakdown);
      break;
    case OutputFormat::kJson: {
      // {"design": [...key/value...], "tasks": [...], "breakdown": [...]}
      std::cout << "{\n\"design\": ";
      render_json(std::cout, report.summary);
      std::cout << ",\n\"tasks\": ";
      render_json(std::cout, report.tasks);
      std::cout << ",\n\"breakdown\": ";
      render_json(std::cout, report.breakdown);
      std::cout << "}\n";
      break;
    }
  }
}

void register_query(CLI::App& app) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* query = app.add_subcommand("query", "Query a results database");
  query->add_option("--db", args->db, "Results database")->capture_default_str();
  add_format_option(*query, args->format);
  query->require_subcommand(1);

  auto sub = [&](const char* name, const char* help) {
    CLI::App* cmd = query->add_subcommand(name, help);
    cmd->fallthrough();  // --db and --format may follow the subcommand
    return cmd;
  };

  sub("runs", "List the runs: provenance, status and counts")->callback([args] {
    res::Store store = res::Store::open(args->db, res::Store::Access::kRead);
    render(std::cout, res::query_runs(store), parse_output_format(args->format));
  });

  CLI::App* pareto = sub("pareto", "The Pareto designs of a run (axis columns and metrics)");
  pareto->add_option("--run", args->run, "Run id (default: the latest)");
  pareto->callback([args] {
    res::Store store = res::Store::open(args->db, res::Store::Access::kRead);
    const OutputFormat format = parse_output_format(args->format);
    const Table table = res::query_pareto(store, args->run);
    render(std::cout, table, format);
    if (format == OutputFormat::kTable) {
      std::cout << pareto_edge_hints(store, store.resolve_run(args->run), table);
    }
  });

  CLI::App* top = sub("top", "The best designs of a run by one metric");
  top->add_option("--by", args->by,
                  "Metric: latency_s, energy_j, area_mm2, power_w, edp_js, "
                  "speedup_geomean, ... (or latency, energy, area, ...)")
      ->required();
  top->add_option("-n", args->limit, "Number of designs")->capture_default_str();
  top->add_option("--where", args->where,
                  "Filter KEY=VALUE (also !=, <, <=, >, >=) on a metric or an axis; repeatable");
  top->add_option("--run", args->run, "Run id (default: the latest)");
  top->add_flag("--asc", args->ascending, "Smallest first (default for costs)");
  top->add_flag("--desc", args->descending, "Largest first (default for speedup, reduction)");
  top->add_flag("--feasible", args->feasible,
                "Only feasible designs (physically, and meeting the constraints)");
  top->add_option("--task", args->task,
                  "MODEL/TASK: order by that task's column (--by latency_p99_s, s_per_token_p99, "
                  "tokens_per_s, ...); designs with per-task metrics only");
  top->callback([args] {
    res::TopOptions options;
    options.by = args->by;
    options.limit = args->limit;
    if (args->ascending && args->descending)
      throw InputError("", 0, "--asc", "conflicts with --desc");
    if (args->ascending) options.descending = false;
    if (args->descending) options.descending = true;
    options.feasible_only = args->feasible;
    options.task = args->task;
    for (const std::string& w : args->where) options.where.push_back(res::parse_filter(w));
    res::Store store = res::Store::open(args->db, res::Store::Access::kRead);
    render(std::cout, res::query_top(store, args->run, options), parse_output_format(args->format));
  });

  CLI::App* design = sub("design", "One design: parameters, metrics, per-task metrics, breakdown");
  design->add_option("ID", args->design_id, "design_id")->required();
  design->callback([args] {
    res::Store store = res::Store::open(args->db, res::Store::Access::kRead);
    print_design(res::query_design(store, args->design_id), parse_output_format(args->format));
  });

  CLI::App* sql = sub("sql", "Run one read-only SQL statement (the database is opened read-only)");
  sql->add_option("SQL", args->sql, "SELECT ...")->required();
  sql->callback([args] {
    render(std::cout, res::query_sql(args->db, args->sql), parse_output_format(args->format));
  });
}

void register_export(CLI::App& app) {
  struct ExportArgs {
    std::string db = res::kDefaultDbPath;
    std::optional<std::int64_t> run;
    std::string format;
    std::string output;
    bool tasks = false;
  };
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Export a run's designs and metrics to CSV or JSON");
  cmd->add_option("--db", args->db, "Results database")->capture_default_str();
  cmd->add_option("--run", args->run, "Run id (default: the latest)");
  cmd->add_option("--format", args->format, "csv or json")
      ->required()
      ->check(CLI::IsMember({"csv", "json"}));
  cmd->add_option("-o,--output", args->output, "Output file")->required();
  cmd->add_flag("--tasks", args->tasks,
                "One row per design and task (per-task metrics, tail and decode columns) instead "
                "of one per design");
  cmd->callback([args] {
    res::Store store = res::Store::open(args->db, res::Store::Access::kRead);
    const std::int64_t n = res::export_run(store, args->run, res::parse_export_format(args->format),
                                           args->output, args->tasks);
    std::cout << "exported " << n << (args->tasks ? " task rows" : " designs") << " to "
              << args->output << '\n';
  });
}

void register_merge(CLI::App& app) {
  struct MergeArgs {
    std::string output;
    std::vector<std::string> inputs;
    bool force = false;
    std::string format = "table";
  };
  auto args = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Merge the shard databases of one run (e.g. a Slurm array) and recompute Pareto");
  cmd->add_option("-o,--output", args->output, "Merged database to write")->required();
  cmd->add_option("INPUTS", args->inputs, "Shard databases")->required();
  cmd->add_flag("--force", args->force, "Replace the output if it exists");
  add_format_option(*cmd, args->format);
  cmd->callback([args] {
    std::vector<std::filesystem::path> inputs(args->inputs.begin(), args->inputs.end());
    res::MergeOptions options;
    options.overwrite = args->force;
    options.command_line = "leopard-dse merge -o " + args->output;
    for (const auto& in : args->inputs) options.command_line += " " + in;
    const res::MergeReport r = res::merge_shards(inputs, args->output, options);
    Table table;
    table.columns = {"output", "run_id", "shards", "designs", "pareto"};
    table.add_row({args->output, r.run_id, r.shards, r.designs, r.pareto});
    const OutputFormat format = parse_output_format(args->format);
    render(std::cout, table, format);
    if (format == OutputFormat::kTable) {
      res::Store store = res::Store::open(args->output, res::Store::Access::kRead);
      std::cout << pareto_edge_hints(store, r.run_id, res::query_pareto(store, r.run_id));
    }
  });
}

}  // namespace

void register_store(CLI::App& app) {
  register_query(app);
  register_export(app);
  register_merge(app);
}

}  // namespace leopard::app
