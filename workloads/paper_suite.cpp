// Paper-suite rows and their termination histograms from Fig. 8 (see the header).
#include "workloads/paper_suite.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/text.hpp"

namespace leopard::workloads {

std::filesystem::path paper_suite_csv() { return data_path("workloads/data/paper_suite.csv"); }
std::filesystem::path termination_curves_csv() {
  return data_path("workloads/data/termination_cdf.csv");
}

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
    if (!(t.prune_rate >= 0 && t.prune_rate <= 1)) {
      throw InputError(file, no, "prune_pct", "expected 0..100");
    }
    t.termination_curve = need("termination_curve");
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TerminationCurve> load_termination_curves(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw InputError(csv.string(), 0, "", "cannot open the termination curves");
  const std::string file = csv.string();
  std::string line;
  std::int64_t no = 0;
  std::vector<std::string> header;
  std::vector<TerminationCurve> out;
  while (std::getline(in, line)) {
    ++no;
    if (trim(line).empty() || line[0] == '#') continue;
    const auto f = split_csv_line(line, file, no);
    if (header.empty()) {
      header = f;
      if (f.size() < 2 || f[0] != "workload") {
        throw InputError(file, no, "", "expected header workload,b1,b2,...");
      }
      for (std::size_t i = 1; i < f.size(); ++i) {
        if (f[i] != "b" + std::to_string(i)) {
          throw InputError(file, no, f[i], "expected column b" + std::to_string(i));
        }
      }
      continue;
    }
    if (f.size() != header.size()) throw InputError(file, no, "", "wrong number of fields");
    TerminationCurve c;
    c.name = f[0];
    for (const auto& other : out) {
      if (other.name == c.name) throw InputError(file, no, "workload", "duplicate curve");
    }
    double prev = 0;
    for (std::size_t i = 1; i < f.size(); ++i) {
      const double v = require_double(f[i], file, no, header[i]);
      if (!(v >= 0 && v <= 100)) throw InputError(file, no, header[i], "expected 0..100 percent");
      if (v < prev) throw InputError(file, no, header[i], "the curve must not decrease");
      prev = v;
      c.cumulative.push_back(v / 100.0);
    }
    if (c.cumulative.back() <= 0) throw InputError(file, no, header.back(), "the curve ends at 0");
    out.push_back(std::move(c));
  }
  if (out.empty()) throw InputError(file, 0, "", "no curves");
  return out;
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normal_quantile(double u) {
  if (!(u > 0)) return -HUGE_VAL;
  if (!(u < 1)) return HUGE_VAL;
  // Newton on Phi(z) = u from a logistic start, safeguarded by the bracket [lo, hi].
  double lo = -40, hi = 40;
  double z = std::clamp(std::log(u / (1 - u)) / 1.702, lo, hi);
  for (int it = 0; it < 100; ++it) {
    const double f = normal_cdf(z) - u;
    if (f == 0) break;
    (f < 0 ? lo : hi) = z;
    const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
    double next = pdf > 0 ? z - f / pdf : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - z) <= 1e-15 * std::max(1.0, std::abs(z))) {
      z = next;
      break;
    }
    z = next;
  }
  return z;
}

std::vector<double> curve_histogram(const TerminationCurve& curve, double prune_rate,
                                    double sensitivity) {
  const std::size_t n = curve.cumulative.size();
  const double end = curve.cumulative.back();
  // Rates of exactly 0 or 1 have no probit: such a task keeps the curve's own shape (at rate 0 no
  // score is pruned and the histogram is never used).
  const double shift = prune_rate > 0 && prune_rate < 1
                           ? sensitivity * (normal_quantile(prune_rate) - normal_quantile(end))
                           : 0.0;
  std::vector<double> g(n);
  for (std::size_t b = 0; b < n; ++b) {
    g[b] = normal_cdf(normal_quantile(curve.cumulative[b]) + shift);
  }
  if (!(g.back() > 0)) g = curve.cumulative;  // shifted beyond double range: keep the shape
  std::vector<double> hist(n);
  double prev = 0;
  for (std::size_t b = 0; b < n; ++b) {
    hist[b] = std::max(0.0, g[b] - prev) / g.back();
    prev = g[b];
  }
  return hist;
}

std::vector<std::vector<double>> paper_histograms(const std::vector<PaperTask>& tasks,
                                                  const std::vector<TerminationCurve>& curves,
                                                  double sensitivity) {
  std::vector<std::vector<double>> out;
  out.reserve(tasks.size());
  for (const auto& t : tasks) {
    const TerminationCurve* curve = nullptr;
    for (const auto& c : curves) {
      if (c.name == t.termination_curve) curve = &c;
    }
    if (curve == nullptr) {
      throw InputError(paper_suite_csv().string(), 0, "termination_curve",
                       "task " + t.model + "/" + t.task + " names curve '" + t.termination_curve +
                           "', which termination_cdf.csv does not have");
    }
    out.push_back(curve_histogram(*curve, t.prune_rate, sensitivity));
  }
  return out;
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
