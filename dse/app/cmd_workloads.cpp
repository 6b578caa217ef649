// The `workloads` (list, show, import) and `stats` (check) subcommands.
#include <fstream>
#include <iostream>
#include <memory>

#include "dse/app/commands.hpp"
#include "workloads/core/error.hpp"
#include "workloads/hf_import.hpp"
#include "workloads/model_graph.hpp"
#include "workloads/model_spec.hpp"
#include "workloads/stats.hpp"

namespace leopard::app {

namespace wl = leopard::workloads;

namespace {

void workloads_list(const std::string& format) {
  Table table;
  table.columns = {"model",  "family", "layers",  "heads", "head_dim",
                   "hidden", "ffn",    "seq_len", "causal"};
  for (const auto& name : wl::list_zoo()) {
    const wl::ModelSpec s = wl::find_model(name);
    table.add_row({s.name, wl::to_string(s.family), std::int64_t{s.layers}, std::int64_t{s.heads},
                   std::int64_t{s.head_dim}, std::int64_t{s.hidden}, std::int64_t{s.ffn},
                   s.default_seq_len, std::string(s.causal ? "yes" : "no")});
  }
  render(std::cout, table, parse_output_format(format));
}

void workloads_show(const std::string& model, std::int64_t seq_len, bool dot,
                    const std::string& format) {
  const wl::ModelSpec spec = wl::find_model(model);
  const std::int64_t s = seq_len != 0 ? seq_len : spec.default_seq_len;
  const wl::ModelGraph graph = wl::build_graph(spec, s);
  if (dot) {
    std::cout << graph.to_dot(spec.name);
    return;
  }
  const OutputFormat fmt = parse_output_format(format);
  Table table;
  table.columns = {"layer", "name",   "heads",           "head_dim",      "q_len",
                   "k_len", "causal", "scores_per_head", "attention_macs"};
  table.precision = {0, 0, 0, 0, 0, 0, 0, 12, 12};
  double attention_macs = 0;
  const auto layers = graph.attention_layers();
  for (const auto& l : layers) {
    attention_macs += l.attention_macs();
    table.add_row({std::int64_t{l.index}, l.name, std::int64_t{l.heads}, std::int64_t{l.head_dim},
                   l.q_len, l.k_len, std::string(l.causal ? "yes" : "no"), l.scores_per_head(),
                   l.attention_macs()});
  }
  if (fmt == OutputFormat::kTable) {
    double other_macs = 0;
    for (std::size_t id : graph.non_attention_ops()) other_macs += graph.op(id).macs;
    std::cout << spec.name << " (" << wl::to_string(spec.family) << "): " << layers.size()
              << " attention layers, seq_len " << s << ", " << graph.size()
              << " operators; attention MACs " << format_double(attention_macs, 6)
              << ", other MACs " << format_double(other_macs, 6) << "\n";
  }
  render(std::cout, table, fmt);
}

void workloads_import(const std::string& file, const std::string& name, const std::string& out) {
  const wl::ModelSpec spec = wl::import_hf_config(file, name);
  const std::string yaml = wl::model_spec_to_yaml(spec);
  if (out.empty()) {
    std::cout << yaml;
    return;
  }
  std::ofstream f(out, std::ios::binary);
  if (!f) throw InputError(out, 0, "-o", "cannot open file for writing");
  f << yaml;
  if (!f) throw RuntimeError("write failed: " + out);
  std::cout << "wrote " << out << " (model '" << spec.name << "')\n";
}

void stats_check(const std::string& file, const std::string& model, const std::string& format) {
  const wl::StatsTable table = wl::load_stats_csv(file);
  wl::validate_stats_models(table, model);
  const wl::StatsSummary s = wl::summarize_stats(table);
  Table out;
  out.columns = {"file", "rows",    "models",          "tasks",
                 "bits", "samples", "mean_prune_rate", "mean_pruned_bits"};
  out.add_row({file, s.rows, s.models, s.tasks, std::int64_t{s.n_bits},
               std::string(s.has_samples ? "yes" : "no"), s.mean_prune_rate, s.mean_pruned_bits});
  render(std::cout, out, parse_output_format(format));
}

}  // namespace

void register_workloads(CLI::App& app) {
  auto* cmd = app.add_subcommand("workloads", "Model zoo: list, show and import models");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "List the model zoo");
  auto list_format = std::make_shared<std::string>();
  add_format_option(*list, *list_format);
  list->callback([list_format] { workloads_list(*list_format); });

  auto* show = cmd->add_subcommand("show", "Show a model's attention layers (or its graph)");
  struct ShowArgs {
    std::string model;
    std::int64_t seq_len = 0;
    bool dot = false;
    std::string format;
  };
  auto show_args = std::make_shared<ShowArgs>();
  show->add_option("MODEL", show_args->model, "Zoo name or model YAML file")->required();
  show->add_option("--seq-len", show_args->seq_len,
                   "Sequence length in tokens (default: the model's own)");
  show->add_flag("--dot", show_args->dot, "Print the operator graph as Graphviz");
  add_format_option(*show, show_args->format);
  show->callback([show_args] {
    if (show_args->seq_len < 0) throw InputError("", 0, "--seq-len", "must be positive");
    workloads_show(show_args->model, show_args->seq_len, show_args->dot, show_args->format);
  });

  auto* import = cmd->add_subcommand("import", "Turn a HuggingFace config.json into a zoo entry");
  struct ImportArgs {
    std::string file, name, out;
  };
  auto import_args = std::make_shared<ImportArgs>();
  import->add_option("FILE", import_args->file, "HuggingFace config.json")->required();
  import->add_option("--name", import_args->name, "Zoo name (default: derived from the config)");
  import->add_option("-o,--output", import_args->out, "Write the YAML here (default: stdout)");
  import->callback(
      [import_args] { workloads_import(import_args->file, import_args->name, import_args->out);
});
}  // namespace leopard::app

void register_stats(CLI::App& app) {
  auto* cmd = app.add_subcommand("stats", "Pruning statistics files");
  cmd->require_subcommand(1);
  auto* check = cmd->add_subcommand("check", "Validate a statistics CSV and summarise it");
  struct CheckArgs {
    std::string file, model, format;
  };
  auto args = std::make_shared<CheckArgs>();
  check->add_option("FILE", args->file, "Statistics CSV")->required();
  check->add_option("--model", args->model,
                    "Check only this model's rows (zoo name or YAML); default: every model in "
                    "the file against the zoo");
  add_format_option(*check, args->format);
  check->callback([args] { stats_check(args->file, args->model, args->format); });
}

}  // namespace leopard::app
