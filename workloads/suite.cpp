// Suite loading: YAML task lists -> TaskWorkloads (model graph shapes plus attached statistics).
#include "workloads/suite.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/model_graph.hpp"
#include "workloads/model_spec.hpp"
#include "workloads/stats.hpp"

namespace leopard::workloads {

std::vector<std::string> list_suites() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("workloads/suites"), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool glob_match(const std::string& pattern, const std::string& text) {
  // Iterative wildcard matching with backtracking to the last '*'.
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Suite filter_suite(const Suite& suite, const std::string& glob) {
  if (glob.empty()) return suite;
  Suite out;
  out.name = suite.name;
  out.source = suite.source;
  for (const auto& task : suite.tasks) {
    if (glob_match(glob, task.model + "/" + task.task)) out.tasks.push_back(task);
  }
  // The warnings of the kept tasks (each names its task as 'model/task').
  for (const auto& warning : suite.warnings) {
    for (const auto& task : out.tasks) {
      if (warning.find("task '" + task.model + "/" + task.task + "'") != std::string::npos) {
        out.warnings.push_back(warning);
        break;
      }
    }
  }
  if (out.tasks.empty()) {
    throw InputError("", 0, "--task",
                     "no task of suite '" + suite.name + "' matches '" + glob +
                         "' (tasks are named model/task, e.g. bert-base/SST-2)");
  }
  return out;
}

namespace {

std::int64_t line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

// Per-(layer, head) statistics of one task (or one sample): head rows win over layer rows ('*').
std::vector<LayerWorkload> attach(const std::vector<AttentionLayer>& shapes,
                                  const std::vector<const StatsRow*>& rows,
                                  const std::string& stats_file, const std::string& what) {
  std::vector<LayerWorkload> layers;
  std::vector<std::vector<bool>> have;
  for (const auto& shape : shapes) {
    layers.push_back({shape, std::vector<TerminationStats>(static_cast<std::size_t>(shape.heads))});
    have.emplace_back(static_cast<std::size_t>(shape.heads), false);
  }
  for (int pass = 0; pass < 2; ++pass) {  // pass 0: layer rows, pass 1: head rows (they win)
    for (const StatsRow* row : rows) {
      if ((row->head < 0) != (pass == 0)) continue;
      const auto l = static_cast<std::size_t>(row->layer);
      if (l >= layers.size()) {
        throw InputError(stats_file, row->line, "layer",
                         "unknown layer " + std::to_string(row->layer) + " for " + what);
      }
      auto& heads = layers[l].heads;
      if (row->head >= static_cast<int>(heads.size())) {
        throw InputError(stats_file, row->line, "head",
                         "unknown head " + std::to_string(row->head) + " for " + what);
      }
      const std::size_t first = row->head < 0 ? 0 : static_cast<std::size_t>(row->head);
      const std::size_t last = row->head < 0 ? heads.size() : first + 1;
      for (std::size_t h = first; h < last; ++h) {
        heads[h] = row->stats;
        have[l][h] = true;
      }
    }
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (std::size_t h = 0; h < have[l].size(); ++h) {
      if (!have[l][h]) {
        throw InputError(stats_file, 0,
                         "layer " + std::to_string(l) + ", head " + std::to_string(h),
                         "no statistics for " + what + " layer " + std::to_string(l) + " head " +
                             std::to_string(h) + " (neither a head row nor a layer row '*')");
      }
    }
  }
  return layers;
}

// Pools per-sample statistics: the mean scores and pruned scores per sample, and the histogram
// weighted by each sample's pruned count (so the pooled rate is total pruned / total scores).
std::vector<LayerWorkload> pool(const std::vector<std::vector<LayerWorkload>>& samples) {
  std::vector<LayerWorkload> pooled = samples.front();
  const double n = static_cast<double>(samples.size());
  for (std::size_t l = 0; l < pooled.size(); ++l) {
    for (std::size_t h = 0; h < pooled[l].heads.size(); ++h) {
      TerminationStats sum;
      std::size_t bits = 0;
      for (const auto& s : samples) bits = std::max(bits, s[l].heads[h].hist.size());
      sum.hist.assign(bits, 0.0);
      for (const auto& s : samples) {
        const TerminationStats& t = s[l].heads[h];
        sum.n_scores += t.n_scores;
        sum.n_pruned += t.n_pruned;
        for (std::size_t b = 0; b < t.hist.size(); ++b) sum.hist[b] += t.hist[b] * t.n_pruned;
      }
      if (sum.n_pruned > 0) {
        for (double& x : sum.hist) x /= sum.n_pruned;
      }
      sum.n_scores /= n;
      sum.n_pruned /= n;
      pooled[l].heads[h] = std::move(sum);
    }
  }
  return pooled;
}

struct TaskEntry {
  std::string model;
  std::string task;
  TaskOptions options;
  std::string stats;
  std::int64_t line = 0;
};

// A positive integer key of a task (at most `max`).
std::int64_t read_positive(const YAML::Node& node, const std::string& path, const char* key,
                           std::int64_t max) {
  std::int64_t value = 0;
  if (!YAML::convert<std::int64_t>::decode(node, value) || value <= 0 || value > max) {
    throw InputError(
        path, line_of(node), key,
        "expected a positive integer" +
            (max < std::numeric_limits<std::int64_t>::max() ? " up to " + std::to_string(max)
                                                            : std::string()) +
            ", got '" + node.Scalar() + "'");
  }
  return value;
}

std::vector<TaskEntry> parse_tasks(const YAML::Node& tasks, const std::string& path) {
  static const std::set<std::string> known = {"model", "task",    "seq_len",  "stats",
                                              "phase", "context", "generate", "batch"};
  constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
  std::vector<TaskEntry> out;
  for (const auto& node : tasks) {
    if (!node.IsMap()) throw InputError(path, line_of(node), "tasks", "each task must be a map");
    TaskEntry e;
    e.line = line_of(node);
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      if (!known.count(key)) throw InputError(path, line_of(item.first), key, "unknown key");
      if (!item.second.IsScalar())
        throw InputError(path, line_of(item.second), key, "expected a value");
    }
    for (const char* key : {"model", "task", "stats"}) {
      if (!node[key]) throw InputError(path, e.line, key, "missing required key in task");
    }
    e.model = node["model"].Scalar();
    e.task = node["task"].Scalar();
    e.stats = node["stats"].Scalar();
    TaskOptions& o = e.options;
    if (const YAML::Node phase = node["phase"]) {
      const std::string text = phase.Scalar();
      if (text == "decode") {
        o.phase = Phase::kDecode;
      } else if (text != "prefill") {
        throw InputError(path, line_of(phase), "phase",
                         "expected prefill or decode, got '" + text + "'");
      }
    }
    const bool decode = o.phase == Phase::kDecode;
    for (const char* key : {"context", "generate", "batch"}) {
      if (node[key] && !decode) {
        throw InputError(path, line_of(node[key]), key,
                         "applies to phase decode only (this task is prefill; add phase: decode)");
      }
    }
    if (node["seq_len"] && node["context"]) {
      throw InputError(path, line_of(node["context"]), "context",
                       "give seq_len or context, not both (a decode task's context is its "
                       "seq_len)");
    }
    if (node["seq_len"]) o.seq_len = read_positive(node["seq_len"], path, "seq_len", kInt64Max);
    if (decode) {
      if (node["context"]) {
        o.context = read_positive(node["context"], path, "context", kInt64Max);
      } else if (node["seq_len"]) {
        o.context = o.seq_len;
      } else {
        throw InputError(path, e.line, "context",
                         "missing required key in a decode task (keys the first generated token "
                         "attends to: its KV cache plus itself)");
      }
      o.seq_len = o.context;
      if (node["generate"]) {
        o.generate = static_cast<int>(read_positive(node["generate"], path, "generate", kIntMax));
      }
      if (node["batch"]) {
        o.batch = static_cast<int>(read_positive(node["batch"], path, "batch", kIntMax));
      }
      if (o.context > kInt64Max - o.generate) {
        throw InputError(path, line_of(node["generate"] ? node["generate"] : node), "generate",
                         "context + generate overflows");
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TaskWorkload build_task_workload(const ModelSpec& spec, const std::string& task,
                                 std::int64_t seq_len, const StatsTable& stats) {
  TaskOptions options;
  options.seq_len = seq_len;
  return build_task_workload(spec, task, options, stats);
}

TaskWorkload build_task_workload(const ModelSpec& spec, const std::string& task,
                                 const TaskOptions& options, const StatsTable& stats) {
  const bool decode = options.phase == Phase::kDecode;
  std::int64_t seq_len = decode ? options.context : options.seq_len;
  if (!decode && seq_len <= 0) seq_len = spec.default_seq_len;
  if (decode && (options.generate < 1 || options.batch < 1)) {
    throw InputError("", 0, options.generate < 1 ? "generate" : "batch", "must be at least 1");
  }
  const auto shapes =
      decode ? build_decode_graph(spec, options.context, options.batch).attention_layers()
             : build_graph(spec, seq_len).attention_layers();
  const std::string what = "model '" + spec.name + "' task '" + task + "'";
  std::map<int, std::vector<const StatsRow*>> by_sample;
  for (const auto& row : stats.rows) {
    if (row.model != spec.name || row.task != task) continue;
    if (row.seq_len != seq_len) {
      throw InputError(stats.file, row.line, "seq_len",
                       "row has seq_len " + std::to_string(row.seq_len) + " but " + what +
                           (decode ? " decodes at context " : " runs at ") +
                           std::to_string(seq_len));
    }
    by_sample[row.sample].push_back(&row);
  }
  if (by_sample.empty()) {
    throw InputError(stats.file, 0, "layer 0, head 0",
                     "no statistics for " + what + " (no row with this model and task)");
  }
  TaskWorkload w;
  w.model = spec.name;
  w.task = task;
  w.seq_len = seq_len;
  w.phase = options.phase;
  if (decode) {
    w.context = options.context;
    w.generate = options.generate;
    w.batch = options.batch;
  }
  if (!stats.has_samples) {
    w.layers = attach(shapes, by_sample.begin()->second, stats.file, what);
    return w;
  }
  for (const auto& [sample, rows] : by_sample) {
    w.samples.push_back(
        attach(shapes, rows, stats.file, what + " sample " + std::to_string(sample)));
  }
  w.layers = pool(w.samples);
  return w;
}

std::string position_warning(const ModelSpec& spec, const std::string& task,
                             const TaskOptions& options) {
  if (spec.max_positions <= 0) return {};
  const bool decode = options.phase == Phase::kDecode;
  const std::int64_t seq_len =
      decode ? options.context : (options.seq_len > 0 ? options.seq_len : spec.default_seq_len);
  const std::int64_t needed = decode ? seq_len + options.generate - 1 : seq_len;
  if (needed <= spec.max_positions) return {};
  const std::string what =
      decode ? "context " + std::to_string(seq_len) +
                   (options.generate > 1
                        ? " + " + std::to_string(options.generate - 1) +
                              " further generated tokens = " + std::to_string(needed) + " positions"
                        : std::string())
             : "seq_len " + std::to_string(seq_len);
  return "task '" + spec.name + "/" + task + "': " + what + " exceeds max_positions " +
         std::to_string(spec.max_positions) + " of model '" + spec.name +
         "'; priced anyway (the model was not trained for positions beyond it)";
}

Suite load_suite(const std::string& name_or_path) {
  std::filesystem::path file = name_or_path;
  std::error_code ec;
  const auto shipped = data_path("workloads/suites") / (name_or_path + ".yaml");
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml");
  if (!looks_like_path && std::filesystem::is_regular_file(shipped, ec)) {
    file = shipped;
  } else if (!std::filesystem::is_regular_file(file, ec)) {
    std::string known;
    for (const auto& n : list_suites()) known += (known.empty() ? "" : ", ") + n;
    throw InputError("", 0, "suite",
                     "unknown suite '" + name_or_path + "': not a shipped suite (" + known +
                         ") nor a YAML file");
  }
  const std::string path = file.string();
  YAML::Node root;
  try {
    root = YAML::Load(read_text_file(file));
  } catch (const YAML::Exception& e) {
    throw InputError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw InputError(path, 0, "", "expected a YAML mapping (name, tasks)");
  for (const auto& item : root) {
    const std::string key = item.first.Scalar();
    if (key != "name" && key != "description" && key != "tasks") {
      throw InputError(path, line_of(item.first), key, "unknown key");
    }
  }
  if (!root["name"] || !root["name"].IsScalar())
    throw InputError(path, 0, "name", "missing required key");
  if (!root["tasks"] || !root["tasks"].IsSequence() || root["tasks"].size() == 0) {
    throw InputError(path, root["tasks"] ? line_of(root["tasks"]) : 0, "tasks",
                     "missing or empty list of tasks");
  }
  const auto base = file.parent_path();
  auto resolve = [&base](const std::string& p) {
    const std::filesystem::path fp(p);
    return fp.is_absolute() ? fp : base / fp;
  };

  Suite suite;
  suite.name = root["name"].Scalar();
  suite.source = path;
  std::map<std::string, ModelSpec> models;
  std::map<std::string, StatsTable> tables;
  std::set<std::pair<std::string, std::string>> validated;
  for (const auto& e : parse_tasks(root["tasks"], path)) {
    const bool model_is_path = e.model.find('/') != std::string::npos ||
                               e.model.ends_with(".yaml") || e.model.ends_with(".yml");
    const std::string model_ref = model_is_path ? resolve(e.model).string() : e.model;
    auto m = models.find(model_ref);
    if (m == models.end()) {
      try {
        m = models.emplace(model_ref, find_model(model_ref)).first;
      } catch (const InputError& err) {
        if (!err.file().empty()) throw;
        throw InputError(path, e.line, "model", err.message());
      }
    }
    const std::string stats_path = resolve(e.stats).string();
    auto t = tables.find(stats_path);
    if (t == tables.end()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(stats_path, ec)) {
        throw InputError(path, e.line, "stats", "statistics file '" + stats_path + "' not found");
      }
      t = tables.emplace(stats_path, load_stats_csv(stats_path)).first;
    }
    if (validated.insert({stats_path, model_ref}).second) {
      validate_stats_against_model(t->second, m->second);
    }
    if (std::string warning = position_warning(m->second, e.task, e.options); !warning.empty()) {
      suite.warnings.push_back(path + ":" + std::to_string(e.line) + ": " + warning);
    }
    try {
      suite.tasks.push_back(build_task_workload(m->second, e.task, e.options, t->second));
    } catch (const InputError& err) {
      // An error on a line of the statistics file names that line. One without a line (a task,
      // layer or head with no row at all) is about the suite entry: name it, then the statistics.
      if (err.line() > 0) throw;
      if (err.file().empty()) {  // about the task's own keys (phase, context, batch, ...)
        throw InputError(path, e.line, err.field(), "task '" + e.task + "': " + err.message());
      }
      throw InputError(path, e.line, "task", "task '" + e.task + "': " + err.what());
    }
  }
  return suite;
}

}  // namespace leopard::workloads
