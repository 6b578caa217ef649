// The profile pipeline: loading, shape checks, quantisation, thresholds, calibration, emulation.
#include "workloads/profile/profiler.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "workloads/core/error.hpp"
#include "workloads/core/table.hpp"
#include "workloads/core/text.hpp"

namespace leopard::workloads::profile {

namespace {

// A tensor viewed as [L, H, S, d].
struct Dims {
  std::int64_t layers = 1, heads = 1, seq = 0, dim = 0;
};

Dims dims_of(const NpyArray& a) {
  const auto& s = a.shape;
  if (s.size() < 2 || s.size() > 4) {
    throw InputError(a.file, 0, "shape",
                     "expected shape [S, d], [H, S, d] or [L, H, S, d], got " + shape_string(s));
  }
  for (const std::int64_t v : s) {
    if (v <= 0) throw InputError(a.file, 0, "shape", "empty dimension in " + shape_string(s));
  }
  Dims d;
  const std::size_t r = s.size();
  d.dim = s[r - 1];
  d.seq = s[r - 2];
  if (r >= 3) d.heads = s[r - 3];
  if (r == 4) d.layers = s[0];
  if (d.dim > (1 << 20)) throw InputError(a.file, 0, "shape", "head dimension too large");
  return d;
}

std::string scale_text(double s) { return format_double(s, 10); }

// Integer tensor -> int32, checking that every value fits n-bit sign-magnitude.
// (With --scale, an integer tensor is taken to be in units of that scale; the integers are used
// as they are and only the threshold conversion changes.)
std::vector<std::int32_t> check_integers(const NpyArray& a, int n_bits) {
  const std::int64_t kmax = max_magnitude(n_bits);
  std::vector<std::int32_t> out(a.ints.size());
  for (std::size_t i = 0; i < a.ints.size(); ++i) {
    const std::int64_t v = a.ints[i];
    if (v > kmax || v < -kmax) {
      throw InputError(a.file, 0, "data",
                       "value " + std::to_string(v) + " at flat index " + std::to_string(i) +
                           " does not fit " + std::to_string(n_bits) +
                           "-bit sign-magnitude (|v| <= " + std::to_string(kmax) + ")");
    }
    out[i] = static_cast<std::int32_t>(v);
  }
  return out;
}

// Smallest integer t with "s < t" equivalent to "s < x" for every integer s: ceil(x), clamped.
std::int64_t integer_threshold(double x) {
  constexpr double kLimit = 9.0e18;
  if (std::isnan(x)) throw InputError("threshold is not a number");
  return static_cast<std::int64_t>(std::ceil(std::clamp(x, -kLimit, kLimit)));
}

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Calibration: the integer threshold of one layer for a target prune rate (see the header).
std::int64_t calibrate_layer(const std::vector<HeadJob>& heads, bool causal, double target_rate) {
  std::int64_t total = 0;
  for (const auto& h : heads) total += scores_per_head(h.q.rows, h.k.rows, causal);
  const std::int64_t stride =
      std::max<std::int64_t>(1, (total + kCalibrationSample - 1) / kCalibrationSample);
  std::vector<std::int64_t> scores;
  scores.reserve(static_cast<std::size_t>(std::min(total, kCalibrationSample + 1)));
  for (const auto& h : heads) {
    const int d = h.q.cols;
    MatD k(h.k.rows, d);
    for (std::int64_t j = 0; j < h.k.rows; ++j)
      for (int l = 0; l < d; ++l) k(j, l) = h.k.row(j)[l];
    Eigen::RowVectorXd q(d);
    // Exact while d x kmax^2 < 2^53: every partial sum is then an integer that double represents.
    for (std::int64_t i = 0; i < h.q.rows; i += stride) {
      for (int l = 0; l < d; ++l) q(l) = h.q.row(i)[l];
      const Eigen::RowVectorXd s = q * k.transpose();
      const std::int64_t end = causal ? causal_key_end(i, h.q.rows, h.k.rows) : h.k.rows;
      for (std::int64_t j = 0; j < end; ++j) scores.push_back(std::llround(s(j)));
    }
  }
  const auto n = static_cast<std::int64_t>(scores.size());
  const auto rank = static_cast<std::int64_t>(std::floor(target_rate * static_cast<double>(n)));
  if (rank >= n) return *std::max_element(scores.begin(), scores.end()) + 1;
  std::nth_element(scores.begin(), scores.begin() + rank, scores.end());
  return scores[static_cast<std::size_t>(rank)];
}

std::string stem_of(const std::filesystem::path& p) { return p.stem().string(); }

}  // namespace

std::vector<double> plane_block_alive(const std::vector<HeadJob>& group, int n_bits, bool causal,
                                      std::int64_t block) {
  std::vector<double> alive(static_cast<std::size_t>(n_bits), 0.0);
  if (group.empty() || block <= 0) return alive;
  const std::int64_t sq = group.front().q.rows, sk = group.front().k.rows;
  const int d = group.front().q.cols;
  std::vector<std::int64_t> needed(static_cast<std::size_t>(n_bits), 0);
  std::int64_t blocks = 0;
  for (std::int64_t i = 0; i < sq; ++i) {
    const std::int64_t end = causal ? causal_key_end(i, sq, sk) : sk;
    for (std::int64_t b0 = 0; b0 < end; b0 += block) {
      int deepest = 0;  // planes the block needs: the largest termination bit of its scores
      for (const HeadJob& h : group) {
        for (std::int64_t j = b0; j < std::min(b0 + block, end) && deepest < n_bits; ++j) {
          const Decision dec = emulate_score(h.q.row(i), h.k.row(j), d, h.threshold, n_bits);
          deepest = std::max(deepest, dec.pruned ? dec.b1 : n_bits);
        }
      }
      ++blocks;
      for (int b = 0; b < deepest; ++b) ++needed[static_cast<std::size_t>(b)];
    }
  }
  for (std::size_t b = 0; b < alive.size(); ++b) {
    alive[b] = blocks > 0 ? static_cast<double>(needed[b]) / static_cast<double>(blocks) : 0.0;
  }
  return alive;
}

std::vector<std::int32_t> quantise(const NpyArray& a, int n_bits, double& scale) {
  const auto kmax = static_cast<double>(max_magnitude(n_bits));
  double max_abs = 0;
  for (std::size_t i = 0; i < a.floats.size(); ++i) {
    const double v = a.floats[i];
    if (!std::isfinite(v)) {
      throw InputError(a.file, 0, "data", "non-finite value at flat index " + std::to_string(i));
    }
    max_abs = std::max(max_abs, std::fabs(v));
  }
  if (scale <= 0) scale = max_abs > 0 ? max_abs / kmax : 1.0;
  std::vector<std::int32_t> out(a.floats.size());
  for (std::size_t i = 0; i < a.floats.size(); ++i) {
    double v = std::round(a.floats[i] / scale);
    // Per-tensor scale: max|v| / scale == kmax up to rounding; never exceeds it by more than ulps.
    if (std::fabs(v) > kmax) {
      throw InputError(a.file, 0, "data",
                       "value " + format_double(a.floats[i], 10) + " at flat index " +
                           std::to_string(i) + " is out of the " + std::to_string(n_bits) +
                           "-bit range with scale " + scale_text(scale) +
                           " (|v / scale| <= " + format_double(kmax, 10) + ")");
    }
    out[i] = static_cast<std::int32_t>(v);
  }
  return out;
}

std::vector<std::pair<int, double>> load_thresholds_csv(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::ifstream in(file);
  if (!in) throw InputError(name, 0, "", "cannot open thresholds file");
  std::vector<std::pair<int, double>> out;
  std::string line;
  std::int64_t line_no = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto fields = split_csv_line(t, name, line_no);
    if (fields.size() != 2) {
      throw InputError(name, line_no, "", "expected two fields 'layer,threshold'");
    }
    if (first && !parse_int(fields[0])) {  // header line
      first = false;
      continue;
    }
    first = false;
    const std::int64_t layer = require_int(fields[0], name, line_no, "layer");
    const double th = require_double(fields[1], name, line_no, "threshold");
    if (layer < 0 || layer > 100000) {
      throw InputError(name, line_no, "layer", "layer index out of range");
    }
    if (!std::isfinite(th)) throw InputError(name, line_no, "threshold", "not a finite number");
    for (const auto& [l, unused] : out) {
      if (l == layer) throw InputError(name, line_no, "layer", "duplicate layer " + fields[0]);
    }
    out.emplace_back(static_cast<int>(layer), th);
  }
  if (out.empty()) throw InputError(name, 0, "", "no thresholds in file");
  return out;
}

ProfileResult run_profile(const ProfileOptions& opt) {
  if (opt.n_bits < kMinBits || opt.n_bits > kMaxBits) {
    throw InputError("--qk-bits must be in " + std::to_string(kMinBits) + ".." +
                     std::to_string(kMaxBits) + ", got " + std::to_string(opt.n_bits));
  }
  const int n_modes =
      (opt.threshold ? 1 : 0) + (opt.thresholds_file ? 1 : 0) + (opt.calibrate ? 1 : 0);
  if (n_modes != 1) {
    throw InputError("give exactly one of --threshold, --thresholds or --calibrate");
  }
  if (opt.calibrate && !(opt.target_rate >= 0 && opt.target_rate <= 1)) {
    throw InputError("--calibrate needs --target-rate in [0, 1]");
  }
  if (opt.scale.size() > 2) throw InputError("--scale takes one value or two (Q, K)");
  for (const double s : opt.scale) {
    if (!(s > 0) || !std::isfinite(s)) throw InputError("--scale must be positive and finite");
  }
  if (opt.first_layer < 0) throw InputError("--layer must be >= 0");

  const NpyArray qa = read_npy(opt.q_file);
  const NpyArray ka = read_npy(opt.k_file);
  const Dims qd = dims_of(qa);
  const Dims kd = dims_of(ka);
  if (qa.shape.size() != ka.shape.size() || qd.layers != kd.layers || qd.dim != kd.dim ||
      kd.heads > qd.heads || qd.heads % kd.heads != 0) {
    throw InputError(ka.file, 0, "shape",
                     "K shape " + shape_string(ka.shape) + " does not match Q shape " +
                         shape_string(qa.shape) +
                         " (same rank, layers and head dimension required; K's heads must divide "
                         "Q's: grouped-query attention)");
  }
  if (opt.sample < -1) throw InputError("--sample must be >= 0");
  if (opt.plane_block < 0) throw InputError("--plane-block must be a positive number of keys");
  ProfileResult res;
  res.model = opt.model;
  res.task = opt.task.empty() ? stem_of(opt.q_file) : opt.task;
  res.n_bits = opt.n_bits;
  res.q_shape = qa.shape;
  res.k_shape = ka.shape;

  // Quantisation (floats) or range check (integers); scales in real units per integer unit.
  double sq = opt.scale.empty() ? 0.0 : opt.scale.front();
  double sk = opt.scale.empty() ? 0.0 : opt.scale.back();
  std::vector<std::int32_t> q_int, k_int;
  if (qa.is_integer) {
    if (sq <= 0) sq = 1;
    q_int = check_integers(qa, opt.n_bits);
  } else {
    q_int = quantise(qa, opt.n_bits, sq);
  }
  if (ka.is_integer) {
    if (sk <= 0) sk = 1;
    k_int = check_integers(ka, opt.n_bits);
  } else {
    k_int = quantise(ka, opt.n_bits, sk);
  }
  res.scale_q = sq;
  res.scale_k = sk;

  // Query heads, layer-major. Grouped-query attention: query head h reads K head h / G, G = H_q /
  // H_kv (PyTorch's repeat_interleave order, as in HF transformers' repeat_kv).
  std::vector<HeadJob> jobs;
  const int d = static_cast<int>(qd.dim);
  const std::int64_t group = qd.heads / kd.heads;
  for (std::int64_t l = 0; l < qd.layers; ++l) {
    for (std::int64_t h = 0; h < qd.heads; ++h) {
      const std::int64_t head = l * qd.heads + h;
      const std::int64_t kv_head = l * kd.heads + h / group;
      jobs.push_back(HeadJob{{q_int.data() + head * qd.seq * qd.dim, qd.seq, d},
                             {k_int.data() + kv_head * kd.seq * kd.dim, kd.seq, d},
                             0});
    }
  }

  // Thresholds per layer.
  std::vector<std::pair<int, double>> from_file;
  if (opt.thresholds_file) from_file = load_thresholds_csv(*opt.thresholds_file);
  for (std::int64_t l = 0; l < qd.layers; ++l) {
    LayerThreshold t;
    t.layer = opt.first_layer + static_cast<int>(l);
    if (opt.threshold) {
      t.threshold = *opt.threshold;
      t.threshold_int = integer_threshold(t.threshold / (sq * sk));
    } else if (opt.thresholds_file) {
      const auto it = std::find_if(from_file.begin(), from_file.end(),
                                   [&](const auto& p) { return p.first == t.layer; });
      if (it == from_file.end()) {
        throw InputError(opt.thresholds_file->string(), 0, "layer",
                         "no threshold for layer " + std::to_string(t.layer));
      }
      t.threshold = it->second;
      t.threshold_int = integer_threshold(t.threshold / (sq * sk));
    } else {
      const std::vector<HeadJob> layer_jobs(jobs.begin() + l * qd.heads,
                                            jobs.begin() + (l + 1) * qd.heads);
      t.threshold_int = calibrate_layer(layer_jobs, opt.causal, opt.target_rate);
      t.threshold = static_cast<double>(t.threshold_int) * sq * sk;
    }
    for (std::int64_t h = 0; h < qd.heads; ++h) {
      jobs[static_cast<std::size_t>(l * qd.heads + h)].threshold = t.threshold_int;
    }
    res.thresholds.push_back(t);
  }

  EmulationOptions eo;
  eo.n_bits = opt.n_bits;
  eo.causal = opt.causal;
  eo.threads = opt.threads;
  eo.progress = opt.progress;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<HeadCounts> counts = emulate_heads(jobs, eo);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> group_alive;
  for (std::int64_t l = 0; l < qd.layers; ++l) {
    for (std::int64_t h = 0; h < qd.heads; ++h) {
      ProfileRow row;
      row.layer = opt.first_layer + static_cast<int>(l);
      row.head = static_cast<int>(h);
      row.sample = opt.sample;
      row.seq_len = std::max(qd.seq, kd.seq);
      row.counts = counts[static_cast<std::size_t>(l * qd.heads + h)];
      if (opt.plane_block > 0) {
        if (h % group == 0) {  // first query head of its group: measure the group
          const auto first = jobs.begin() + l * qd.heads + h;
          group_alive = plane_block_alive(std::vector<HeadJob>(first, first + group), opt.n_bits,
                                          opt.causal, opt.plane_block);
        }
        row.plane_alive = group_alive;
      }
      res.rows.push_back(std::move(row));
    }
  }

  // Provenance.
  auto& c = res.comments;
  c.push_back(
      "leopard-dse profile: bit-exact LeOPArd QK emulation (sign-magnitude, K MSB first, "
      "B = 1); t1..tN are counts of pruned scores by termination bit");
  c.push_back("q: " + qa.file + " dtype " + qa.dtype + " shape " + shape_string(qa.shape) +
              (qa.is_integer ? " (integers)" : " (float, quantised)"));
  c.push_back("k: " + ka.file + " dtype " + ka.dtype + " shape " + shape_string(ka.shape) +
              (ka.is_integer ? " (integers)" : " (float, quantised)"));
  c.push_back("qk_bits: " + std::to_string(opt.n_bits) + "; causal: " +
              (opt.causal ? "yes (bottom-right: query i sees keys j <= i + S_k - S_q)" : "no") +
              "; seq_len = max(S_q, S_k)");
  if (opt.plane_block > 0) {
    c.push_back("a1..aN: share of K bit-plane blocks of " + std::to_string(opt.plane_block) +
                " keys still needed at bit b, per GQA group (the " + std::to_string(group) +
                " query heads sharing a K head), over every (query row, block)");
  }
  if (kd.heads != qd.heads) {
    c.push_back("grouped-query attention: " + std::to_string(qd.heads) + " query heads, " +
                std::to_string(kd.heads) + " K heads; query head h uses K head h / " +
                std::to_string(group) + " (repeat_interleave order)");
  }
  c.push_back("scale_q: " + scale_text(sq) + "; scale_k: " + scale_text(sk) +
              (opt.scale.empty() ? " (per-tensor max-abs / (2^(n-1)-1) for floats, 1 for integers)"
                                 : " (--scale)"));
  std::string mode = opt.threshold ? "--threshold " + format_double(*opt.threshold, 10)
                     : opt.thresholds_file
                         ? "--thresholds " + opt.thresholds_file->string()
                         : "--calibrate --target-rate " + format_double(opt.target_rate, 10);
  c.push_back("thresholds: " + mode + "; Th_int = ceil(T / (scale_q x scale_k))");
  for (const auto& t : res.thresholds) {
    c.push_back("layer " + std::to_string(t.layer) + ": threshold " +
                format_double(t.threshold, 10) + " = " + std::to_string(t.threshold_int) +
                " integer units");
  }
  return res;
}

void write_profile_csv(const std::filesystem::path& file, const ProfileResult& r) {
  std::ostringstream out;
  for (const auto& c : r.comments) out << "# " << c << '\n';
  const bool samples = !r.rows.empty() && r.rows.front().sample >= 0;
  out << "model,task,layer,head" << (samples ? ",sample" : "") << ",seq_len,n_scores,n_pruned";
  for (int b = 1; b <= r.n_bits; ++b) out << ",t" << b;
  const bool alive = !r.rows.empty() && !r.rows.front().plane_alive.empty();
  if (alive) {
    for (int b = 1; b <= r.n_bits; ++b) out << ",a" << b;
  }
  out << '\n';
  for (const auto& row : r.rows) {
    out << csv_escape(r.model) << ',' << csv_escape(r.task) << ',' << row.layer << ',' << row.head;
    if (samples) out << ',' << row.sample;
    out << ',' << row.seq_len << ',' << row.counts.n_scores << ',' << row.counts.n_pruned;
    for (const std::int64_t h : row.counts.hist) out << ',' << h;
    if (alive) {
      for (const double a : row.plane_alive) out << ',' << format_double(a, 15);
    }
    out << '\n';
  }
  std::ofstream f(file, std::ios::binary);
  if (!f) throw InputError(file.string(), 0, "", "cannot open file for writing");
  f << out.str();
  f.close();
  if (!f) throw RuntimeError("write failed: " + file.string());
}

}  // namespace leopard::workloads::profile
