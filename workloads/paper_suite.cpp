// Paper-suite rows and their synthesised statistics.
#include "workloads/paper_suite.hpp"

#include <fstream>
#include <map>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/text.hpp"

namespace leopard::workloads {

std::filesystem::path paper_suite_csv() { return data_path("workloads/data/paper_suite.csv"); }

std::vector<PaperTask> load_paper_tasks(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw InputError(csv.string(), 0, "", "cannot open the paper suite");
  const std::string file = csv.string();
  std::string line;
  std::int64_t no = 0;
  std::vector<std::string> header;
  std::vector<PaperTask> out;
  while (std::getline(in, line)) {
    ++no;
    if (trim(line).empty() || line[0] == '#') continue;
    auto f = split_csv_line(line, file, no);
    if (header.empty()) {
      header = f;
      continue;
    }
    if (f.size() != header.size()) throw InputError(file, no, "", "wrong number of fields");
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < f.size(); ++i) row[header[i]] = f[i];
    auto need = [&](const std::string& key) -> const std::string& {
      auto it = row.find(key);
      if (it == row.end()) throw InputError(file, no, key, "missing column");
      return it->second;
    };
    PaperTask t;
    t.model = need("model");
    t.task = need("task");
    t.dataset = need("dataset");
    t.seq_len = require_int(need("seq_len"), file, no, "seq_len");
    t.head_dim = static_cast<int>(require_int(need("head_dim"), file, no, "head_dim"));
    t.layers = static_cast<int>(require_int(need("layers"), file, no, "layers"));
    t.heads = static_cast<int>(require_int(need("heads"), file, no, "heads"));
    t.causal = require_int(need("causal"), file, no, "causal") != 0;
    t.prune_rate = require_double(need("prune_pct"), file, no, "prune_pct") / 100.0;
    t.pruned_bits_avg = require_double(need("pruned_bits_avg"), file, no, "pruned_bits_avg");
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::vector<double>> synthesise_paper_histograms(const std::vector<PaperTask>& tasks,
                                                             double bit_offset, double skew) {
  std::vector<SynthesisTask> st;
  for (const auto& t : tasks) {
    st.push_back({t.model + "/" + t.dataset, t.prune_rate, t.pruned_bits_avg, t.head_dim});
  }
  SynthesisOptions opt;
  opt.bit_offset = bit_offset;
  opt.skew = skew;
  return synthesise_histograms(st, opt).histograms;
}

TaskWorkload make_paper_workload(const PaperTask& t, const std::vector<double>& hist) {
  TaskWorkload w;
  w.model = t.model;
  w.task = t.task;
  w.seq_len = t.seq_len;
  for (int l = 0; l < t.layers; ++l) {
    LayerWorkload lw;
    lw.shape.index = l;
    lw.shape.name = "layer" + std::to_string(l) + ".qk";
    lw.shape.heads = t.heads;
    lw.shape.head_dim = t.head_dim;
    lw.shape.q_len = t.seq_len;
    lw.shape.k_len = t.seq_len;
    lw.shape.causal = t.causal;
    TerminationStats s;
    s.n_scores = lw.shape.scores_per_head();
    s.n_pruned = s.n_scores * t.prune_rate;
    s.hist = hist;
    lw.heads.assign(t.heads, s);
    w.layers.push_back(std::move(lw));
  }
  return w;
}

StatsTable paper_stats_table(const std::vector<PaperTask>& tasks,
                             const std::vector<std::vector<double>>& hists) {
  StatsTable table;
  table.file = "paper_stats.csv";
  table.n_bits = hists.empty() ? 12 : static_cast<int>(hists.front().size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TaskWorkload w = make_paper_workload(tasks[i], hists[i]);
    for (const auto& layer : w.layers) {
      StatsRow row;
      row.model = tasks[i].model;
      row.task = tasks[i].task;
      row.layer = layer.shape.index;
      row.head = -1;
      row.seq_len = tasks[i].seq_len;
      row.stats = layer.heads.front();
      table.rows.push_back(std::move(row));
    }
  }
  return table;
}

}  // namespace leopard::workloads
