// The validating loader and writer of per-head pruning statistics CSV files (README.md, "Input
// formats").
#include "workloads/stats.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/table.hpp"
#include "workloads/core/text.hpp"
#include "workloads/model_graph.hpp"

namespace leopard::workloads {

namespace {

// Longest histogram: t1..t32 (stats.hpp: N is 1..32).
constexpr int kMaxBits = 32;
// Fractions written by hand carry about three decimals; counts are exact up to float noise.
constexpr double kFractionTolerance = 1e-3;
constexpr double kCountRelativeTolerance = 1e-6;

struct Columns {
  std::map<std::string, std::size_t> index;  // name -> position
  std::vector<std::string> names;
  std::vector<std::size_t> t;  // position of t1..tN
  std::vector<std::size_t> a;  // position of a1..aN (optional, N as for t)
  std::optional<std::size_t> sample, n_pruned, prune_rate;
};

// Reads a histogram column name "t<b>" (or, with prefix 'a', a plane-block column "a<b>"), b >= 1;
// 0 when the name is something else.
int t_column_bit(const std::string& name, char prefix = 't') {
  if (name.size() < 2 || name[0] != prefix) return 0;
  const auto v = parse_int(std::string_view(name).substr(1));
  if (!v || *v < 1 || *v > 1000 || name[1] == '+' || name[1] == '0') return 0;
  return static_cast<int>(*v);
}

Columns parse_header(const std::vector<std::string>& fields, const std::string& file,
                     std::int64_t line) {
  static const std::set<std::string> known = {
      "model", "task", "layer", "head", "sample", "seq_len", "n_scores", "n_pruned", "prune_rate"};
  Columns c;
  c.names = fields;
  std::map<int, std::size_t> bits, alive;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string& name = fields[i];
    if (name.empty()) throw InputError(file, line, "column " + std::to_string(i + 1), "empty name");
    if (c.index.count(name)) throw InputError(file, line, name, "duplicate column");
    c.index[name] = i;
    if (const int b = t_column_bit(name); b > 0) {
      bits[b] = i;
    } else if (const int a = t_column_bit(name, 'a'); a > 0) {
      alive[a] = i;
    } else if (!known.count(name)) {
      throw InputError(file, line, name,
                       "unknown column (expected model, task, layer, head, "
                       "[sample], seq_len, n_scores, n_pruned or prune_rate, "
                       "t1..tN, [a1..aN])");
    }
  }
  for (const char* required : {"model", "task", "layer", "head", "seq_len", "n_scores"}) {
    if (!c.index.count(required)) throw InputError(file, line, required, "missing required column");
  }
  if (c.index.count("n_pruned")) c.n_pruned = c.index["n_pruned"];
  if (c.index.count("prune_rate")) c.prune_rate = c.index["prune_rate"];
  if (c.index.count("sample")) c.sample = c.index["sample"];
  if (!c.n_pruned && !c.prune_rate) {
    throw InputError(file, line, "n_pruned", "missing required column (n_pruned or prune_rate)");
  }
  if (bits.empty()) throw InputError(file, line, "t1", "missing histogram columns t1..tN");
  int expected = 1;
  for (const auto& [b, pos] : bits) {
    if (b != expected) {
      throw InputError(file, line, "t" + std::to_string(expected),
                       "histogram columns must be contiguous from t1 (found t" + std::to_string(b) +
                           " without t" + std::to_string(expected) + ")");
    }
    c.t.push_back(pos);
    ++expected;
  }
  if (static_cast<int>(c.t.size()) > kMaxBits) {
    throw InputError(file, line, "t" + std::to_string(kMaxBits + 1),
                     "at most " + std::to_string(kMaxBits) + " histogram columns");
  }
  // Optional plane-block columns: a1..aN, one per histogram bit.
  expected = 1;
  for (const auto& [b, pos] : alive) {
    if (b != expected || b > static_cast<int>(c.t.size())) {
      throw InputError(file, line, "a" + std::to_string(b),
                       "plane-block columns must be a1..a" + std::to_string(c.t.size()) +
                           ", one per histogram column");
    }
    c.a.push_back(pos);
    ++expected;
  }
  if (!c.a.empty() && c.a.size() != c.t.size()) {
    throw InputError(file, line, "a" + std::to_string(c.a.size() + 1),
                     "plane-block columns must be a1..a" + std::to_string(c.t.size()) +
                         ", one per histogram column");
  }
  return c;
}

class RowParser {
 public:
  RowParser(const Columns& c, const std::vector<std::string>& fields, std::string file,
            std::int64_t line)
      : c_(c), fields_(fields), file_(std::move(file)), line_(line) {}

  const std::string& text(const std::string& column) const { return fields_[c_.index.at(column)]; }
  [[noreturn]] void fail(std::size_t pos, const std::string& message) const {
    throw InputError(file_, line_, c_.names[pos],
                     message + " (column " + std::to_string(pos + 1) + ")");
  }
  std::size_t pos(const std::string& column) const { return c_.index.at(column); }

  double number(std::size_t p) const {
    const auto v = parse_double(fields_[p]);
    if (!v || !std::isfinite(*v)) fail(p, "expected a number, got '" + fields_[p] + "'");
    return *v;
  }
  std::int64_t integer(std::size_t p) const {
    const auto v = parse_int(fields_[p]);
    if (!v) fail(p, "expected an integer, got '" + fields_[p] + "'");
    return *v;
  }
  double count(std::size_t p) const {
    const double v = number(p);
    if (v < 0) fail(p, "negative count " + fields_[p]);
    return v;
  }
  std::int64_t index(std::size_t p) const {
    const std::int64_t v = integer(p);
    if (v < 0 || v > 1'000'000) fail(p, "expected a non-negative index, got " + fields_[p]);
    return v;
  }

 private:
  const Columns& c_;
  const std::vector<std::string>& fields_;
  std::string file_;
  std::int64_t line_;
};

StatsRow parse_row(const Columns& c, const std::vector<std::string>& fields,
                   const std::string& file, std::int64_t line) {
  if (fields.size() < c.names.size()) {
    throw InputError(file, line, c.names[fields.size()],
                     "truncated line: " + std::to_string(fields.size()) +
                         " fields, the header has " + std::to_string(c.names.size()) + " (column " +
                         std::to_string(fields.size() + 1) + " missing)");
  }
  if (fields.size() > c.names.size()) {
    throw InputError(file, line, "column " + std::to_string(c.names.size() + 1),
                     "extra field: " + std::to_string(fields.size()) + " fields, the header has " +
                         std::to_string(c.names.size()));
  }
  const RowParser p(c, fields, file, line);
  StatsRow row;
  row.line = line;
  row.model = p.text("model");
  if (row.model.empty()) p.fail(p.pos("model"), "empty model name");
  row.task = p.text("task");
  if (row.task.empty()) p.fail(p.pos("task"), "empty task name");
  row.layer = static_cast<int>(p.index(p.pos("layer")));
  row.head = p.text("head") == "*" ? -1 : static_cast<int>(p.index(p.pos("head")));
  if (c.sample) row.sample = static_cast<int>(p.index(*c.sample));
  row.seq_len = p.integer(p.pos("seq_len"));
  if (row.seq_len <= 0) p.fail(p.pos("seq_len"), "must be a positive number of tokens");
  TerminationStats& s = row.stats;
  s.n_scores = p.count(p.pos("n_scores"));
  if (s.n_scores <= 0) p.fail(p.pos("n_scores"), "must be positive");
  if (c.n_pruned) {
    s.n_pruned = p.count(*c.n_pruned);
    if (s.n_pruned > s.n_scores) p.fail(*c.n_pruned, "larger than n_scores");
  }
  if (c.prune_rate) {
    const double rate = p.number(*c.prune_rate);
    if (rate < 0 || rate > 1)
      p.fail(*c.prune_rate, "rate " + fields[*c.prune_rate] + " outside [0, 1]");
    if (c.n_pruned && std::abs(rate * s.n_scores - s.n_pruned) > 0.5 + 1e-6 * s.n_scores) {
      p.fail(*c.prune_rate, "disagrees with n_pruned / n_scores");
    }
    if (!c.n_pruned) s.n_pruned = rate * s.n_scores;
  }
  double sum = 0;
  s.hist.resize(c.t.size());
  for (std::size_t b = 0; b < c.t.size(); ++b) {
    s.hist[b] = p.count(c.t[b]);
    sum += s.hist[b];
  }
  // Counts sum to n_pruned; fractions sum to 1 (stats.hpp). Nothing pruned: all zero (or
  // fractions).
  const bool as_counts = std::abs(sum - s.n_pruned) <=
                         std::max(kCountRelativeTolerance * s.n_pruned, kCountRelativeTolerance);
  const bool as_fractions = std::abs(sum - 1.0) <= kFractionTolerance;
  if (!as_counts && !as_fractions) {
    throw InputError(file, line, "t1..t" + std::to_string(c.t.size()),
                     "histogram sums to " + format_double(sum, 8) + ", expected the pruned count " +
                         format_double(s.n_pruned, 8) + " (counts) or 1 (fractions)");
  }
  if (s.n_pruned == 0 || sum == 0) {
    std::fill(s.hist.begin(), s.hist.end(), 0.0);
  } else {
    for (double& h : s.hist) h /= sum;
  }
  // Plane-block shares: fractions in [0, 1], never increasing from one bit to the next (a plane is
  // needed only while some score of the block is undecided, which holds for every earlier plane).
  for (std::size_t b = 0; b < c.a.size(); ++b) {
    const double a = p.number(c.a[b]);
    if (a < 0 || a > 1) p.fail(c.a[b], "share " + fields[c.a[b]] + " outside [0, 1]");
    if (b > 0 && a > s.plane_alive.back() + kCountRelativeTolerance) {
      p.fail(c.a[b], "share " + fields[c.a[b]] + " larger than the previous bit's (" +
                         fields[c.a[b - 1]] + "): planes are needed in order");
    }
    s.plane_alive.push_back(a);
  }
  return row;
}

}  // namespace

StatsTable load_stats_csv(const std::filesystem::path& file) {
  const std::string path = file.string();
  const std::string text = read_text_file(file);
  std::istringstream in(text);
  StatsTable table;
  table.file = path;
  std::optional<Columns> columns;
  std::int64_t header_line = 0;
  std::map<std::tuple<std::string, std::string, int, int, int>, std::int64_t> seen;
  std::string line;
  for (std::int64_t line_no = 1; std::getline(in, line); ++line_no) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto fields = split_csv_line(line, path, line_no);
    if (!columns) {
      columns = parse_header(fields, path, line_no);
      header_line = line_no;
      table.n_bits = static_cast<int>(columns->t.size());
      table.has_samples = columns->sample.has_value();
      continue;
    }
    StatsRow row = parse_row(*columns, fields, path, line_no);
    const auto key = std::make_tuple(row.model, row.task, row.layer, row.head, row.sample);
    if (const auto it = seen.find(key); it != seen.end()) {
      throw InputError(path, line_no, table.has_samples ? "sample" : "head",
                       "duplicate row for (" + row.model + ", " + row.task + ", layer " +
                           std::to_string(row.layer) + ", head " +
                           (row.head < 0 ? std::string("*") : std::to_string(row.head)) +
                           (table.has_samples ? ", sample " + std::to_string(row.sample) : "") +
                           "), first on line " + std::to_string(it->second));
    }
    seen.emplace(key, line_no);
    table.rows.push_back(std::move(row));
  }
  if (!columns) throw InputError(path, 0, "", "empty file: no header and no rows");
  if (table.rows.empty()) throw InputError(path, header_line, "", "header but no data rows");
  return table;
}

void validate_stats_against_model(const StatsTable& table, const ModelSpec& spec) {
  std::map<std::int64_t, std::vector<AttentionLayer>> by_len;
  bool any = false;
  for (const auto& row : table.rows) {
    if (row.model != spec.name) continue;
    any = true;
    auto it = by_len.find(row.seq_len);
    if (it == by_len.end()) {
      it = by_len.emplace(row.seq_len, build_graph(spec, row.seq_len).attention_layers()).first;
    }
    const auto& layers = it->second;
    if (row.layer >= static_cast<int>(layers.size())) {
      throw InputError(table.file, row.line, "layer",
                       "unknown layer " + std::to_string(row.layer) + ": model '" + spec.name +
                           "' has " + std::to_string(layers.size()) + " attention layers (0.." +
                           std::to_string(layers.size() - 1) + ")");
    }
    const AttentionLayer& shape = layers[static_cast<std::size_t>(row.layer)];
    if (row.head >= shape.heads) {
      throw InputError(table.file, row.line, "head",
                       "unknown head " + std::to_string(row.head) + ": layer " +
                           std::to_string(row.layer) + " of '" + spec.name + "' has " +
                           std::to_string(shape.heads) + " heads");
    }
    const double limit = shape.scores_per_head();
    if (row.stats.n_scores > limit * (1 + 1e-9)) {
      throw InputError(table.file, row.line, "n_scores",
                       format_double(row.stats.n_scores, 12) + " scores but a head of '" +
                           spec.name + "' computes " + format_double(limit, 12) + " at seq_len " +
                           std::to_string(row.seq_len));
    }
  }
  if (!any) {
    throw InputError(table.file, 0, "model", "no rows for model '" + spec.name + "'");
  }
}

void validate_stats_models(const StatsTable& table, const std::string& model) {
  if (!model.empty()) {
    validate_stats_against_model(table, find_model(model));
    return;
  }
  std::map<std::string, std::int64_t> first_line;
  for (const auto& row : table.rows) first_line.emplace(row.model, row.line);
  for (const auto& [name, line] : first_line) {
    ModelSpec spec;
    try {
      spec = find_model(name);
    } catch (const InputError& e) {
      throw InputError(table.file, line, "model", e.message());
    }
    validate_stats_against_model(table, spec);
  }
}

StatsSummary summarize_stats(const StatsTable& table) {
  StatsSummary s;
  s.rows = static_cast<std::int64_t>(table.rows.size());
  s.n_bits = table.n_bits;
  s.has_samples = table.has_samples;
  std::set<std::string> models, tasks;
  double rate = 0, bits = 0;
  std::int64_t with_pruning = 0;
  for (const auto& row : table.rows) {
    models.insert(row.model);
    tasks.insert(row.model + "/" + row.task);
    rate += row.stats.prune_rate();
    if (row.stats.n_pruned > 0) {
      bits += row.stats.mean_pruned_bits();
      ++with_pruning;
    }
  }
  s.models = static_cast<std::int64_t>(models.size());
  s.tasks = static_cast<std::int64_t>(tasks.size());
  s.mean_prune_rate = s.rows > 0 ? rate / static_cast<double>(s.rows) : 0;
  s.mean_pruned_bits = with_pruning > 0 ? bits / static_cast<double>(with_pruning) : 0;
  return s;
}

namespace {

// The '#' comment lines of a statistics file (text after '#', one leading space dropped) and the
// line number of its header (the first other non-blank line).
std::vector<std::string> comment_lines(const std::filesystem::path& file, std::int64_t& header) {
  std::istringstream in(read_text_file(file));
  std::vector<std::string> out;
  std::string line;
  header = 0;
  for (std::int64_t line_no = 1; std::getline(in, line); ++line_no) {
    const std::string t = trim(line);
    if (t.empty()) continue;
    if (t[0] != '#') {
      if (header == 0) header = line_no;
      continue;
    }
    std::string text = t.substr(1);
    if (!text.empty() && text[0] == ' ') text.erase(0, 1);
    out.push_back(text);
  }
  return out;
}

std::string sample_text(const StatsRow& row) {
  return row.sample < 0 ? std::string() : ", sample " + std::to_string(row.sample);
}

}  // namespace

MergedStats merge_stats_files(const std::vector<std::filesystem::path>& files) {
  if (files.empty()) throw InputError("", 0, "IN", "no statistics files to merge");
  MergedStats out;
  out.comments.push_back("merged by `leopard-dse stats merge` from " +
                         std::to_string(files.size()) + " files, rows in this order:");
  struct Origin {
    std::string file;
    std::int64_t line;
  };
  using Key = std::tuple<std::string, std::string, int, int, int>;
  std::map<Key, Origin> rows;    // (model, task, layer, head, sample) -> first occurrence
  std::map<Key, Origin> layers;  // (model, task, layer, kind, sample): kind 0 = '*', 1 = per head
  std::string first_file;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& path = files[i];
    const std::string file = path.string();
    for (std::size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (std::filesystem::equivalent(files[j], path, ec)) {
        throw InputError(file, 0, "IN", "given twice (also as " + files[j].string() + ")");
      }
    }
    const StatsTable table = load_stats_csv(path);
    std::int64_t header = 0;
    const std::vector<std::string> comments = comment_lines(path, header);
    if (first_file.empty()) {
      first_file = file;
      out.table.file = file;
      out.table.n_bits = table.n_bits;
      out.table.has_samples = table.has_samples;
    } else if (table.n_bits != out.table.n_bits) {
      throw InputError(file, header, "t" + std::to_string(std::max(table.n_bits, 1)),
                       "histogram of " + std::to_string(table.n_bits) + " bits (t1..t" +
                           std::to_string(table.n_bits) + ") but " + first_file + " has " +
                           std::to_string(out.table.n_bits) +
                           ": files of different histogram widths cannot be merged");
    } else if (table.has_samples != out.table.has_samples) {
      throw InputError(file, header, "sample",
                       std::string(table.has_samples ? "has a sample column but "
                                                     : "has no sample column but ") +
                           first_file + (table.has_samples ? " has none" : " has one") +
                           ": give every file a sample column (one input each)");
    }
    for (const StatsRow& row : table.rows) {
      const Key key{row.model, row.task, row.layer, row.head, row.sample};
      if (const auto it = rows.find(key); it != rows.end()) {
        throw InputError(file, row.line, table.has_samples ? "sample" : "head",
                         "row (" + row.model + ", " + row.task + ", layer " +
                             std::to_string(row.layer) + ", head " +
                             (row.head < 0 ? std::string("*") : std::to_string(row.head)) +
                             sample_text(row) + ") is also in " + it->second.file + " line " +
                             std::to_string(it->second.line) + ": overlapping files");
      }
      rows.emplace(key, Origin{file, row.line});
      const int kind = row.head < 0 ? 0 : 1;
      const Key other{row.model, row.task, row.layer, 1 - kind, row.sample};
      if (const auto it = layers.find(other); it != layers.end() && it->second.file != file) {
        throw InputError(file, row.line, "head",
                         "layer " + std::to_string(row.layer) + " of (" + row.model + ", " +
                             row.task + sample_text(row) + ") is a " +
                             (kind == 0 ? "layer row '*'" : "per-head row") + " here but has " +
                             (kind == 0 ? "per-head rows" : "a layer row '*'") + " in " +
                             it->second.file + " line " + std::to_string(it->second.line) +
                             ": mixed '*' and per-head rows for one layer");
      }
      layers.emplace(Key{row.model, row.task, row.layer, kind, row.sample}, Origin{file, row.line});
      out.table.rows.push_back(row);
    }
    out.comments.push_back("from " + file + " (" + std::to_string(table.rows.size()) + " rows)" +
                           (comments.empty() ? "" : ":"));
    for (const auto& c : comments) out.comments.push_back("  " + c);
  }
  return out;
}

void write_stats_csv(const std::filesystem::path& file, const std::vector<std::string>& comments,
                     const StatsTable& table) {
  std::ostringstream out;
  for (const auto& c : comments) {
    std::istringstream lines(c);
    std::string l;
    while (std::getline(lines, l)) out << "# " << l << '\n';
  }
  int n_bits = table.n_bits;
  for (const auto& row : table.rows) n_bits = std::max(n_bits, row.stats.n_bits());
  if (n_bits <= 0) throw InputError(file.string(), 0, "", "no histogram bits to write");
  out << "model,task,layer,head" << (table.has_samples ? ",sample" : "")
      << ",seq_len,n_scores,n_pruned";
  for (int b = 1; b <= n_bits; ++b) out << ",t" << b;
  // Plane-block shares only when every row has them.
  const bool alive = !table.rows.empty() &&
                     std::all_of(table.rows.begin(), table.rows.end(), [&](const StatsRow& r) {
                       return static_cast<int>(r.stats.plane_alive.size()) == n_bits;
                     });
  if (alive) {
    for (int b = 1; b <= n_bits; ++b) out << ",a" << b;
  }
  out << '\n';
  // 15 significant digits: fractions and counts reload within the loader's tolerances.
  constexpr int kDigits = 15;
  for (const auto& row : table.rows) {
    out << csv_escape(row.model) << ',' << csv_escape(row.task) << ',' << row.layer << ','
        << (row.head < 0 ? std::string("*") : std::to_string(row.head));
    if (table.has_samples) out << ',' << row.sample;
    out << ',' << row.seq_len << ',' << format_double(row.stats.n_scores, kDigits) << ','
        << format_double(row.stats.n_pruned, kDigits);
    for (int b = 0; b < n_bits; ++b) {
      const double h = b < row.stats.n_bits() && row.stats.n_pruned > 0
                           ? row.stats.hist[static_cast<std::size_t>(b)]
                           : 0.0;
      out << ',' << format_double(h, kDigits);
    }
    if (alive) {
      for (const double a : row.stats.plane_alive) out << ',' << format_double(a, kDigits);
    }
    out << '\n';
  }
  std::ofstream f(file, std::ios::binary);
  if (!f) throw InputError(file.string(), 0, "", "cannot open file for writing");
  f << out.str();
  if (!f) throw RuntimeError("write failed: " + file.string());
}

}  // namespace leopard::workloads
