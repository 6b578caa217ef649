// The `workloads` (list, show, import) and `stats` (check, merge) subcommands.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "dse/app/commands.hpp"
#include "workloads/core/error.hpp"
#include "workloads/hf_import.hpp"
#include "workloads/model_graph.hpp"
#include "workloads/model_spec.hpp"
#include "workloads/onnx_import.hpp"
#include "workloads/stats.hpp"

namespace leopard::app {

namespace wl = leopard::workloads;

namespace {

void workloads_list(const std::string& format) {
  Table table;
  table.columns = {"model",  "family", "layers",  "heads",  "kv_heads", "head_dim",
                   "hidden", "ffn",    "seq_len", "causal", "window"};
  for (const auto& name : wl::list_zoo()) {
    const wl::ModelSpec s = wl::find_model(name);
    // window: the sliding window, "W (even)" / "W (n layers)" when only some layers have it.
    std::string window = "-";
    if (s.sliding_window > 0) {
      window = std::to_string(s.sliding_window);
      if (!s.sliding_window_layers.empty()) {
        window += " (" + std::to_string(s.sliding_window_layers.size()) + " of " +
                  std::to_string(s.layers) + " layers)";
      }
    }
    table.add_row({s.name, wl::to_string(s.family), std::int64_t{s.layers}, std::int64_t{s.heads},
                   std::int64_t{s.kv_heads > 0 ? s.kv_heads : s.heads}, std::int64_t{s.head_dim},
                   std::int64_t{s.hidden}, std::int64_t{s.ffn}, s.default_seq_len,
                   std::string(s.causal ? "yes" : "no"), window});
  }
  render(std::cout, table, parse_output_format(format));
}

// One row per attention layer; adds up the layers' attention MACs.
Table attention_table(const std::vector<wl::AttentionLayer>& layers, double& attention_macs) {
  Table table;
  table.columns = {"layer", "name",   "heads",  "kv_heads",        "head_dim",      "q_len",
                   "k_len", "causal", "window", "scores_per_head", "attention_macs"};
  table.precision = {0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 12};
  attention_macs = 0;
  for (const auto& l : layers) {
    attention_macs += l.attention_macs();
    table.add_row({std::int64_t{l.index}, l.name, std::int64_t{l.heads},
                   std::int64_t{l.kv_heads_or_heads()}, std::int64_t{l.head_dim}, l.q_len, l.k_len,
                   std::string(l.causal ? "yes" : "no"), l.window, l.scores_per_head(),
                   l.attention_macs()});
  }
  return table;
}

// An ONNX file's attention layers as found in its graph (shapes fixed by the file; they may differ
// from layer to layer).
void workloads_show_onnx(const std::string& file, std::int64_t seq_len, bool dot,
                         const std::string& format) {
  if (seq_len != 0) {
    throw InputError(file, 0, "--seq-len",
                     "does not apply to an ONNX file (its shapes are fixed by the export)");
  }
  if (dot) {
    throw InputError(file, 0, "--dot",
                     "not available for an ONNX file: `workloads import` it, then show the YAML");
  }
  const OutputFormat fmt = parse_output_format(format);
  double attention_macs = 0;
  const auto layers = wl::read_onnx_attention(file);
  if (fmt == OutputFormat::kJson) {
    // One object per attention layer, typed for scripts (causal a boolean, kv_heads explicit).
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& l : layers) {
      out.push_back({{"layer", l.index},
                     {"name", l.name},
                     {"heads", l.heads},
                     {"kv_heads", l.kv_heads_or_heads()},
                     {"head_dim", l.head_dim},
                     {"q_len", l.q_len},
                     {"k_len", l.k_len},
                     {"causal", l.causal},
                     {"scores_per_head", l.scores_per_head()},
                     {"attention_macs", l.attention_macs()}});
    }
    std::cout << out.dump(2) << '\n';
    return;
  }
  const Table table = attention_table(layers, attention_macs);
  if (fmt == OutputFormat::kTable) {
    std::cout << file << " (ONNX): " << layers.size() << " attention layers; attention MACs "
              << format_double(attention_macs, 6) << "\n";
  }
  render(std::cout, table, fmt);
}

void workloads_show(const std::string& model, std::int64_t seq_len, bool dot,
                    const std::string& format) {
  if (wl::looks_like_onnx(model)) {
    workloads_show_onnx(model, seq_len, dot, format);
    return;
  }
  const wl::ModelSpec spec = wl::find_model(model);
  const std::int64_t s = seq_len != 0 ? seq_len : spec.default_seq_len;
  const wl::ModelGraph graph = wl::build_graph(spec, s);
  if (dot) {
    std::cout << graph.to_dot(spec.name);
    return;
  }
  const OutputFormat fmt = parse_output_format(format);
  double attention_macs = 0;
  const auto layers = graph.attention_layers();
  const Table table = attention_table(layers, attention_macs);
  if (fmt == OutputFormat::kTable) {
    double other_macs = 0;
    for (std::size_t id : graph.non_attention_ops()) other_macs += graph.op(id).macs;
    std::cout << spec.name << " (" << wl::to_string(spec.family) << "): " << layers.size()
              << " attention layers, heads " << spec.heads << ", kv_heads "
              << (spec.kv_heads > 0 ? spec.kv_heads : spec.heads) << ", seq_len " << s
              << (spec.max_positions > 0 && s > spec.max_positions
                      ? " (beyond max_positions " + std::to_string(spec.max_positions) + ")"
                      : std::string())
              << ", " << graph.size() << " operators; attention MACs "
              << format_double(attention_macs, 6) << ", other MACs " << format_double(other_macs, 6)
              << "\n";
  }
  render(std::cout, table, fmt);
}

// An ONNX file (by name or first byte, see looks_like_onnx) or a HuggingFace config.json.
void workloads_import(const std::string& file, const std::string& name, const std::string& out) {
  const wl::ModelSpec spec = wl::looks_like_onnx(file) ? wl::import_onnx(file, name).spec
                                                       : wl::import_hf_config(file, name);
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

// Concatenates statistics files (workloads::merge_stats_files) into OUT, written to a temporary
// file and renamed: a refused or failed merge leaves nothing behind.
void stats_merge(const std::string& output, const std::vector<std::string>& inputs, bool force,
                 const std::string& format) {
  namespace fs = std::filesystem;
  const OutputFormat fmt = parse_output_format(format);
  std::error_code ec;
  for (const auto& in : inputs) {
    if (fs::exists(output, ec) && fs::equivalent(in, output, ec)) {
      throw InputError(output, 0, "-o", "the output is also an input");
    }
  }
  if (fs::exists(output, ec) && !force) {
    throw InputError(output, 0, "-o", "already exists (use --force to replace it)");
  }
  std::vector<fs::path> files(inputs.begin(), inputs.end());
  const wl::MergedStats merged = wl::merge_stats_files(files);
  const fs::path out(output);
  if (out.has_parent_path() && !fs::is_directory(out.parent_path(), ec)) {
    throw InputError(output, 0, "-o",
                     "the folder " + out.parent_path().string() + " does not exist");
  }
  const std::string tmp = output + ".tmp-" + std::to_string(::getpid());
  try {
    wl::write_stats_csv(tmp, merged.comments, merged.table);
    fs::rename(tmp, output);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  const wl::StatsSummary s = wl::summarize_stats(merged.table);
  std::set<int> samples;
  for (const auto& row : merged.table.rows) samples.insert(row.sample);
  Table t;
  t.columns = {"output", "files", "rows", "tasks", "samples", "bits"};
  t.add_row({output, static_cast<std::int64_t>(inputs.size()), s.rows, s.tasks,
             s.has_samples ? Cell{static_cast<std::int64_t>(samples.size())} : Cell{},
             std::int64_t{s.n_bits}});
  render(std::cout, t, fmt);
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
  show->add_option("MODEL", show_args->model,
                   "Zoo name, model YAML file, or ONNX file (its attention layers as found)")
      ->required();
  show->add_option("--seq-len", show_args->seq_len,
                   "Sequence length in tokens (default: the model's own)");
  show->add_flag("--dot", show_args->dot, "Print the operator graph as Graphviz");
  add_format_option(*show, show_args->format);
  show->callback([show_args] {
    if (show_args->seq_len < 0) throw InputError("", 0, "--seq-len", "must be positive");
    workloads_show(show_args->model, show_args->seq_len, show_args->dot, show_args->format);
  });

  auto* import_cmd = cmd->add_subcommand(
      "import", "Turn a HuggingFace config.json or an ONNX model (static shapes) into a zoo entry");
  struct ImportArgs {
    std::string file, name, out;
  };
  auto import_args = std::make_shared<ImportArgs>();
  import_cmd
      ->add_option("FILE", import_args->file, "HuggingFace config.json, or an ONNX file (*.onnx)")
      ->required();
  import_cmd->add_option("--name", import_args->name,
                         "Zoo name (default: derived from the config, or the ONNX file's name)");
  import_cmd->add_option("-o,--output", import_args->out, "Write the YAML here (default: stdout)");
  import_cmd->callback(
      [import_args] { workloads_import(import_args->file, import_args->name, import_args->out); });
}

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

  auto* merge = cmd->add_subcommand(
      "merge",
      "Concatenate statistics files (e.g. one per profiled input, each with its sample) into one");
  struct MergeArgs {
    std::string output;
    std::vector<std::string> inputs;
    bool force = false;
    std::string format;
  };
  auto margs = std::make_shared<MergeArgs>();
  merge->add_option("-o,--output", margs->output, "Statistics CSV to write")->required();
  merge->add_option("INPUTS", margs->inputs, "Statistics CSVs, concatenated in this order")
      ->required();
  merge->add_flag("--force", margs->force, "Replace the output if it exists");
  add_format_option(*merge, margs->format);
  merge->footer(
      "Refused (exit 2, naming the file and line): a (model, task, layer, head, sample) row in "
      "two files; a layer given as '*' in one file and per head in another; different histogram "
      "widths (t1..tN); a sample column in some files only. Each file's '#' provenance lines are "
      "kept under a line naming it.");
  merge->callback(
      [margs] { stats_merge(margs->output, margs->inputs, margs->force, margs->format); });
}

}  // namespace leopard::app
