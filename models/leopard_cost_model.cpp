// LeOPArd cost model (docs/cost-model.md §3-§10; paper facts: docs/paper-facts.md §2-§3):
// bit-serial QK front end with early termination, V-PU back end on surviving scores, pipelined one
// row ahead, heads over tiles, chunking when a head does not fit the buffers, DRAM traffic against
// bandwidth.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "models/cost_model.hpp"
#include "models/cost_model_detail.hpp"
#include "models/head_kernel.hpp"
#include "models/sram.hpp"
#include "models/tech.hpp"

namespace leopard::models {

std::string to_string(Bottleneck b) {
  switch (b) {
    case Bottleneck::kFrontEnd:
      return "front_end";
    case Bottleneck::kBackEnd:
      return "back_end";
    case Bottleneck::kDram:
      return "dram";
  }
  return "?";
}

std::string to_string(Component c) {
  static const char* names[] = {"qk_compute", "key_buffer",  "softmax", "v_compute", "value_buffer",
                                "fifo",       "buffer_fill", "leakage", "dram"};
  return names[static_cast<int>(c)];
}

Actions& Actions::operator+=(const Actions& o) {
  scores += o.scores;
  survivors += o.survivors;
  qk_unit_steps += o.qk_unit_steps;
  qk_idle_steps += o.qk_idle_steps;
  k_bits_read += o.k_bits_read;
  v_bits_read += o.v_bits_read;
  macs += o.macs;
  softmax_ops += o.softmax_ops;
  fifo_ops += o.fifo_ops;
  sram_bits_written += o.sram_bits_written;
  dram_bytes += o.dram_bytes;
  dense_macs += o.dense_macs;
  dram_k_bytes += o.dram_k_bytes;
  dram_v_bytes += o.dram_v_bytes;
  return *this;
}

Actions& Actions::operator*=(double n) {
  scores *= n;
  survivors *= n;
  qk_unit_steps *= n;
  qk_idle_steps *= n;
  k_bits_read *= n;
  v_bits_read *= n;
  macs *= n;
  softmax_ops *= n;
  fifo_ops *= n;
  sram_bits_written *= n;
  dram_bytes *= n;
  dense_macs *= n;
  dram_k_bytes *= n;
  dram_v_bytes *= n;
  return *this;
}

Cost& Cost::scale_time_energy(double n) {
  cycles *= n;
  compute_cycles *= n;
  front_cycles *= n;
  back_cycles *= n;
  stall_cycles *= n;
  dram_cycles *= n;
  latency_s *= n;
  for (double& e : energy_pj) e *= n;
  return *this;
}

Cost& Cost::operator*=(double n) {
  scale_time_energy(n);
  actions *= n;
  return *this;
}

double Cost::energy_pj_total() const {
  double t = 0;
  for (double e : energy_pj) t += e;
  return t;
}

Cost& Cost::add_time_energy(const Cost& o) {
  cycles += o.cycles;
  compute_cycles += o.compute_cycles;
  front_cycles += o.front_cycles;
  back_cycles += o.back_cycles;
  stall_cycles += o.stall_cycles;
  dram_cycles += o.dram_cycles;
  latency_s += o.latency_s;
  for (int i = 0; i < kNumComponents; ++i) energy_pj[i] += o.energy_pj[i];
  return *this;
}

Cost& Cost::operator+=(const Cost& o) {
  add_time_energy(o);
  actions += o.actions;
  return *this;
}

// ---------------------------------------------------------------------------------------------
// Precomputation (design-independent)

namespace {

bool same_heads(const HeadProfile& a, const HeadProfile& b) {
  return a.prune_rate == b.prune_rate && a.hist_bits == b.hist_bits && a.hist == b.hist &&
         a.pruned_steps_mean == b.pruned_steps_mean && a.pruned_steps_var == b.pruned_steps_var &&
         a.plane_alive == b.plane_alive;
}

bool same_layer(const LayerProfile& a, const LayerProfile& b) {
  if (a.shape.heads != b.shape.heads || a.shape.head_dim != b.shape.head_dim ||
      a.shape.q_len != b.shape.q_len || a.shape.k_len != b.shape.k_len ||
      a.shape.causal != b.shape.causal || a.heads.size() != b.heads.size() ||
      a.shape.kv_heads_or_heads() != b.shape.kv_heads_or_heads() ||
      a.shape.window != b.shape.window || a.decode != b.decode || a.batch != b.batch ||
      a.step != b.step) {
    return false;
  }
  for (std::size_t i = 0; i < a.heads.size(); ++i) {
    if (!same_heads(a.heads[i], b.heads[i])) return false;
  }
  return true;
}

}  // namespace

namespace {

HeadProfile head_profile(const workloads::TerminationStats& st) {
  HeadProfile hp;
  hp.prune_rate = st.prune_rate();
  hp.hist_bits = st.n_bits();
  hp.hist = st.hist;
  hp.plane_alive = st.plane_alive;
  for (int b = 1; b <= kMaxBitsPerCycle; ++b) {
    double mean = 0, sq = 0;
    for (int bit = 1; bit <= st.n_bits(); ++bit) {
      const double steps = std::ceil(static_cast<double>(bit) / b);  // docs/cost-model.md §3.1
      mean += st.hist[bit - 1] * steps;
      sq += st.hist[bit - 1] * steps * steps;
    }
    hp.pruned_steps_mean[b] = mean;
    hp.pruned_steps_var[b] = std::max(0.0, sq - mean * mean);
  }
  return hp;
}

std::vector<HeadProfile> head_profiles(const workloads::LayerWorkload& layer) {
  bool all_same = !layer.heads.empty();
  for (const auto& h : layer.heads) {
    all_same = all_same && h.n_pruned == layer.heads.front().n_pruned &&
               h.n_scores == layer.heads.front().n_scores && h.hist == layer.heads.front().hist &&
               h.plane_alive == layer.heads.front().plane_alive;
  }
  const std::size_t n = all_same ? 1 : layer.heads.size();
  std::vector<HeadProfile> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(head_profile(layer.heads[i]));
  return out;
}

// Identical consecutive layers (same shape and statistics, e.g. layer-level statistics of a uniform
// model) are priced once and counted `repeat` times: the hot path then does one layer's work per
// distinct layer.
void append_layer(TaskProfile& out, LayerProfile lp) {
  if (!out.layers.empty() && same_layer(out.layers.back(), lp)) {
    ++out.layers.back().repeat;
  } else {
    out.layers.push_back(std::move(lp));
  }
}

// The struct-of-arrays copy of the statistics of every layer whose heads differ.
void add_head_blocks(TaskProfile& task) {
  for (LayerProfile& lp : task.layers) {
    const std::size_t n = lp.heads.size();
    if (n <= 1) continue;
    HeadBlock& b = lp.block;
    b.rate.resize(n);
    b.hist_bits.resize(n);
    b.mean.assign((kMaxBitsPerCycle + 1) * n, 0.0);
    b.var.assign((kMaxBitsPerCycle + 1) * n, 0.0);
    for (std::size_t h = 0; h < n; ++h) {
      const HeadProfile& hp = lp.heads[h];
      b.rate[h] = hp.prune_rate;
      b.hist_bits[h] = hp.hist_bits;
      b.max_hist_bits = std::max(b.max_hist_bits, hp.hist_bits);
      b.min_hist_bits = h == 0 ? hp.hist_bits : std::min(b.min_hist_bits, hp.hist_bits);
      for (std::size_t bb = 0; bb <= kMaxBitsPerCycle; ++bb) {
        b.mean[bb * n + h] = hp.pruned_steps_mean[bb];
        b.var[bb * n + h] = hp.pruned_steps_var[bb];
      }
    }
  }
}

}  // namespace

TaskProfile precompute_task(const workloads::TaskWorkload& task) {
  TaskProfile out;
  out.model = task.model;
  out.task = task.task;
  if (task.phase == workloads::Phase::kDecode) {
    // Decode: step t (0-based) of every sequence attends to context + t keys (at most the window),
    // one query row per sequence and head; the statistics (measured at the context) apply to every
    // step. Steps are priced one by one, so the task's cost is exact over k_len.
    out.decode = true;
    out.steps = std::max(1, task.generate);
    out.batch = std::max(1, task.batch);
    std::vector<std::vector<HeadProfile>> heads;
    for (const auto& layer : task.layers) heads.push_back(head_profiles(layer));
    const std::int64_t context = task.context > 0 ? task.context : task.seq_len;
    for (int t = 0; t < out.steps; ++t) {
      for (std::size_t l = 0; l < task.layers.size(); ++l) {
        LayerProfile lp;
        lp.shape = task.layers[l].shape;
        const std::int64_t keys = context + t;
        lp.shape.k_len = lp.shape.window > 0 ? std::min(keys, lp.shape.window) : keys;
        lp.shape.q_len = out.batch;  // one row per sequence, each against its own cache
        lp.shape.causal = false;     // a decode row sees its whole (windowed) cache
        lp.shape.window = 0;
        lp.scores_per_head = lp.shape.scores_per_head();
        lp.heads = heads[l];
        lp.decode = true;
        lp.batch = out.batch;
        lp.step = t;  // layers merge within a step only, so that steps can be priced apart
        append_layer(out, std::move(lp));
      }
    }
    add_head_blocks(out);
    return out;
  }
  for (const auto& layer : task.layers) {
    LayerProfile lp;
    lp.shape = layer.shape;
    lp.scores_per_head = layer.shape.scores_per_head();
    lp.heads = head_profiles(layer);
    append_layer(out, std::move(lp));
  }
  add_head_blocks(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-design constants

std::string area_component_name(int i) {
  static const char* names[] = {"qk_logic", "key_buffer", "value_buffer",
                                "v_logic",  "softmax",    "other"};
  return names[i];
}

DesignConstants derive_constants(const ArchSpec& spec, const Calibration& cal) {
  DesignConstants k;
  const double a_scale = area_scale_from_65(spec.tech.node_nm);
  k.clock_hz = spec.clock_mhz * 1e6;
  // Key buffer: key_banks banks of port_bits (paper: 6 x 8 KB for 6 units, 8 x 6 KB for 8); auto:
  // the fewest banks that feed every unit's lanes x B bits per cycle (6, 8 and 6 for the paper's
  // AE, HP and baseline). Value buffer: enough banks of port_bits to feed the MAC array one V row
  // per cycle (paper: 8 x 8 KB, 128-bit ports).
  k.key_banks = spec.buffers.key_banks > 0
                    ? spec.buffers.key_banks
                    : std::max(1, (spec.qk.dpus * spec.qk.lanes * spec.qk.bits_per_cycle +
                                   spec.buffers.port_bits - 1) /
                                      spec.buffers.port_bits);
  k.key_bits_per_cycle = static_cast<double>(k.key_banks) * spec.buffers.port_bits;
  k.value_banks = std::max(
      1, (spec.v.macs * spec.v.bits + spec.buffers.port_bits - 1) / spec.buffers.port_bits);
  const auto& sram = SramTable::shipped();
  const double key_bank_bytes = spec.buffers.key_kib * 1024.0 / k.key_banks;
  const double value_bank_bytes = spec.buffers.value_kib * 1024.0 / k.value_banks;
  const SramBank kb = sram.bank_65nm(key_bank_bytes, spec.buffers.port_bits);
  const SramBank vb = sram.bank_65nm(value_bank_bytes, spec.buffers.port_bits);

  // Operating point (docs/cost-model.md, "Clock and supply"): f_max from the alpha-power law, and
  // every bank must be read within one cycle (CACTI access time, scaled to the node and supply;
  // a slower bank makes the design infeasible rather than costing extra cycles).
  const TechSettings ts{spec.tech.node_nm, spec.tech.vdd, spec.tech.vt, spec.tech.alpha,
                        spec.tech.fmax_mhz};
  const double cycle_ns = 1e3 / spec.clock_mhz;
  const OperatingPoint op =
      resolve_operating_point(ts, spec.clock_mhz, [&](double vdd) -> std::string {
        const double scale = delay_scale_from_65(ts, vdd);
        const auto slow = [&](const char* what, const SramBank& bank, double bytes) {
          return fmt::format(
              "{} bank access {:.2f} ns > cycle {:.2f} ns ({:g} KiB, {}-bit port) "
              "at {:.2f} V",
              what, bank.access_ns * scale, cycle_ns, bytes / 1024, spec.buffers.port_bits, vdd);
        };
        if (kb.access_ns * scale > cycle_ns) return slow("key", kb, key_bank_bytes);
        if (vb.access_ns * scale > cycle_ns) return slow("value", vb, value_bank_bytes);
        return {};
      });
  k.vdd = op.vdd;
  k.fmax_mhz = op.fmax_mhz;
  k.fmax_violation = op.fmax_violation;
  k.infeasible_reason = op.infeasible_reason;
  const double e_scale = energy_scale_from_65(spec.tech.node_nm, op.vdd);

  // QK datapath per lane per step: q-bits x B partial products plus a fixed per-lane overhead
  // (accumulate, margin, compare), docs/references.md §1 (Horowitz) and the calibrated overhead.
  // The calibrated overhead may be negative (a fit residue, docs in models/calibration.hpp):
  // a step never costs less than nothing.
  k.qk_pj_per_lane_step =
      cal.qk_pj_per_lane_bit * cal.energy_scale_qk *
      std::max(0.0, spec.qk.bits * spec.qk.bits_per_cycle + cal.qk_lane_overhead_bits) * e_scale;
  k.qk_idle_pj = cal.qk_idle_pj_per_unit_cycle * e_scale;
  k.kbuf_read_pj_per_bit =
      kb.read_pj_per_bit * cal.sram_energy_factor * cal.energy_scale_kbuf * e_scale;
  k.kbuf_write_pj_per_bit = kb.write_pj_per_bit * cal.sram_energy_factor * e_scale;
  k.vbuf_read_pj_per_bit =
      vb.read_pj_per_bit * cal.sram_energy_factor * cal.energy_scale_vbuf * e_scale;
  k.vbuf_write_pj_per_bit = vb.write_pj_per_bit * cal.sram_energy_factor * e_scale;
  const double mac_width_scale = (spec.v.bits / 16.0) * (spec.v.bits / 16.0);  // mult ~ width^2
  k.mac_pj = cal.mac_pj * cal.energy_scale_v * mac_width_scale * e_scale;
  k.softmax_pj = cal.softmax_pj_per_score * cal.energy_scale_softmax * e_scale;
  k.fifo_pj = cal.fifo_pj_per_op * e_scale;

  // Area per tile (65 nm), then node scaling.
  const double qk_unit =
      spec.qk.lanes * spec.qk.bits * spec.qk.bits_per_cycle * cal.qk_mm2_per_lane_bit +
      cal.qk_mm2_per_unit;
  const double qk = spec.qk.dpus * qk_unit + cal.qk_shared_mm2;
  const double key_buf = k.key_banks * kb.area_mm2 * cal.sram_area_factor;
  const double value_buf = k.value_banks * vb.area_mm2 * cal.sram_area_factor;
  const double v_logic = spec.v.macs * cal.mac_mm2 * mac_width_scale;
  const double softmax = cal.softmax_mm2;
  k.area_split = {qk, key_buf, value_buf, v_logic, softmax, 0.0};
  double tile = 0;
  for (double& a : k.area_split) {
    a *= a_scale * spec.tiles;
    tile += a;
  }
  k.area_mm2 = tile;
  const double logic_mm2 = (qk + v_logic + softmax) * a_scale * spec.tiles;
  const double sram_leak_mw = k.key_banks * kb.leakage_mw + k.value_banks * vb.leakage_mw;
  // Leakage scales with the node and supply like the dynamic energy (assumed; docs/cost-model.md).
  k.leakage_w = (logic_mm2 * cal.logic_leakage_mw_per_mm2 +
                 sram_leak_mw * cal.sram_leakage_factor * spec.tiles) *
                e_scale * 1e-3;
  return k;
}

// ---------------------------------------------------------------------------------------------
// Order statistics

namespace {

double blom_expected_max(int n) {
  // Blom (1958): E[X_(n:n)] ~ Phi^-1((n - 0.375) / (n + 0.25)), Phi^-1 by Newton on erfc.
  const double target = (n - 0.375) / (n + 0.25);
  double x = 0;
  for (int it = 0; it < 60; ++it) {
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    const double step = (cdf - target) / pdf;
    x -= step;
    if (std::abs(step) < 1e-13) break;
  }
  return x;
}

constexpr int kMaxTabulatedUnits = 4096;

// expected_max_std_normal, inlined into the hot path (GCC keeps the call otherwise; the call and
// its stack frame cost more than the lookup).
[[gnu::always_inline]] inline double blom_lookup(int n) {
  if (n <= 1) return 0.0;
  // Tabulated once (thread-safe static initialisation): the hot path only indexes.
  static const std::vector<double> table = [] {
    std::vector<double> t(kMaxTabulatedUnits + 1, 0.0);
    for (int i = 2; i <= kMaxTabulatedUnits; ++i) t[i] = blom_expected_max(i);
    return t;
  }();
  return n <= kMaxTabulatedUnits ? table[n] : blom_expected_max(n);
}

}  // namespace

double expected_max_std_normal(int n) { return blom_lookup(n); }

namespace {

// expected_max_normals, exact (erfc and exp). The model prices a row with the tabulated
// detail::max_with_normal (one operand constant), whose error against this is bounded by a test.
inline double clark_max(double mx, double sx, double my, double sy) {
  const double theta = std::sqrt(sx * sx + sy * sy);
  if (theta < 1e-12) return std::max(mx, my);
  const double a = (mx - my) / theta;
  // Means 8.5 sd or more apart, both non-negative (a third of the heads priced for the benchmark
  // designs over the paper suite): the formula below rounds to exactly the larger mean, so erfc
  // and exp are skipped. The smaller mean's weight is Phi(-8.5) < 1e-17 and theta * pdf(8.5) <
  // 1e-17 x the larger mean, both under half an ulp (2^-54 relative); erfc(x <= -6) is exactly 2
  // in glibc (correctly rounded), so cdf is exactly 1 on the upper side, and on the lower side
  // 1 - cdf rounds to exactly 1.
  if (a >= 8.5 && my >= 0) return mx;
  if (a <= -8.5 && mx >= 0) return my;
  const double cdf = 0.5 * std::erfc(-a / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * a * a) / std::sqrt(2.0 * M_PI);
  return mx * cdf + my * (1 - cdf) + theta * pdf;
}

}  // namespace

double expected_max_normals(double mx, double sx, double my, double sy) {
  return clark_max(mx, sx, my, sy);
}

const detail::ExcessTable& detail::excess_table() {
  static const ExcessTable table = [] {
    ExcessTable t;
    for (int i = 0; i <= kExcessTableIntervals; ++i) {
      const double a = kExcessTableLo + static_cast<double>(i) / kExcessTablePerUnit;
      t.value[static_cast<std::size_t>(i)] = normal_excess_exact(a);
      // h'(a) = Phi(a), times the step (the Hermite basis is on the unit interval).
      t.slope[static_cast<std::size_t>(i)] =
          0.5 * std::erfc(-a / std::sqrt(2.0)) / kExcessTablePerUnit;
    }
    return t;
  }();
  return table;
}

// Initialised with the library (before any model call can use it).
const detail::ExcessTable* const detail::kExcessTable = &detail::excess_table();

// ---------------------------------------------------------------------------------------------
// Evaluation

namespace {

using detail::ceil_nonneg;
using detail::floor_nonneg;

// acc += x, n times: the same additions in the same order as n successive `acc += x` (so the
// same bits), with the running sums (twelve for Actions, one for a double) kept in registers (a
// hot loop over a layer's heads).
template <class T>
void add_repeated(T& acc, const T& x, int n) {
  constexpr std::size_t kFields = sizeof(T) / sizeof(double);
  static_assert(sizeof(T) == kFields * sizeof(double), "T holds only doubles");
  double a[kFields], v[kFields];
  std::memcpy(a, &acc, sizeof a);
  std::memcpy(v, &x, sizeof v);
  for (int i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < kFields; ++j) a[j] += v[j];
  }
  std::memcpy(&acc, a, sizeof a);
}

// add_repeated for a byte count, in one multiplication when that gives the same bits: when acc and
// x are non-negative whole numbers of eighths (as bytes are: integer sizes times bit widths, over
// 8) and acc + n x < 2^50, every partial sum is a multiple of 2^-3 below 2^50, exact in 53 bits;
// then no addition rounds, nor do n * x and acc + n * x.
void add_repeated_bytes(double& acc, double x, int n) {
  const double acc8 = acc * 8, x8 = x * 8;
  if (n >= 0 && acc >= 0 && x >= 0 && acc + x * n < 0x1p50 && acc8 == floor_nonneg(acc8) &&
      x8 == floor_nonneg(x8)) {
    acc += x * n;
  } else {
    add_repeated(acc, x, n);
  }
}

// sum over x = 1..n of floor(x / c), 0 for n <= 0 (n, c whole numbers, c >= 1). With n = m c + r
// (0 <= r < c): c (0 + 1 + ... + (m - 1)) + (r + 1) m.
inline double sum_floor_div(double n, double c) {
  if (n <= 0) return 0.0;
  const double m = floor_nonneg(n / c);
  const double r = n - m * c;
  return c * m * (m - 1) / 2 + (r + 1) * m;
}

// The (row, chunk) pairs of one head: one pass of a row over a chunk of K/V, each with its own
// row time, Q re-stream and partial result to merge. Non-causal: every row meets all `chunks`.
// Causal, bottom-right aligned (AttentionLayer::scores_per_head): row i sees keys
// [max(0, h - W), h) with h = k_len - q_len + i + 1 (no window: from key 0), i.e. the chunks
// floor(max(0, h - W) / C) .. floor((h - 1) / C); summed over h = h0..k_len (h0 = max(1, k_len -
// q_len + 1), rows with h <= 0 see nothing) in closed form. `rows`: the rows that see a key.
struct RowChunks {
  double pairs = 0;
  double rows = 0;
};

RowChunks row_chunk_pairs(const workloads::AttentionLayer& shape, double chunk_tokens,
                          double chunks) {
  const double q = static_cast<double>(shape.q_len);
  if (!shape.causal) return {q * chunks, q};
  const double k = static_cast<double>(shape.k_len);
  const double c = chunk_tokens;
  const double h0 = std::max(1.0, k - q + 1);
  if (k < h0) return {0.0, 0.0};
  const double rows = k - h0 + 1;
  // sum of floor((h - 1) / C) + 1 over h0..k, minus the first chunk index of each row's window.
  double pairs = rows + sum_floor_div(k - 1, c) - sum_floor_div(h0 - 2, c);
  if (shape.window > 0) {
    const double w = static_cast<double>(shape.window);
    pairs -= sum_floor_div(k - w, c) - sum_floor_div(h0 - 1 - w, c);
  }
  return {pairs, rows};
}

struct HeadResult {
  double compute_cycles = 0;  // this head on one tile
  double front = 0, back = 0, stall = 0;
  Actions actions;
  std::array<double, kNumComponents> energy{};
};

// What a head's cost depends on besides its statistics (detail::LayerTerms): the design and the
// layer's shape.
detail::LayerTerms layer_terms(const ArchSpec& spec, const DesignConstants& k,
                               const Calibration& cal, const LayerProfile& layer,
                               bool onchip_only) {
  detail::LayerTerms t;
  const auto& shape = layer.shape;
  const double d = shape.head_dim;
  const double n_units = spec.qk.dpus;
  const int bits = spec.qk.bits;
  const int b = std::clamp(spec.qk.bits_per_cycle, 1, kMaxBitsPerCycle);
  const double passes = ceil_nonneg(d / spec.qk.lanes);
  const double full_steps = ceil_nonneg(static_cast<double>(bits) / b);

  // Buffers: tokens of this head dim per chunk (docs/cost-model.md §6). Double buffering keeps the
  // next chunk's K/V loading into one half while the other half computes, so a chunk may use half
  // of each buffer. Without DRAM (the paper's methodology, onchip_only) there is nothing to load.
  const double share = spec.dram.double_buffer && !onchip_only ? 0.5 : 1.0;
  const double key_tokens = floor_nonneg(spec.buffers.key_kib * 8192.0 * share / (d * bits));
  const double value_tokens =
      floor_nonneg(spec.buffers.value_kib * 8192.0 * share / (d * spec.v.bits));
  const double chunk_tokens = std::max(1.0, std::min(key_tokens, value_tokens));
  const double k_len = static_cast<double>(shape.k_len);
  const double q_len = static_cast<double>(shape.q_len);
  const double chunks = ceil_nonneg(k_len / chunk_tokens);
  const double scores = layer.scores_per_head;
  // (row, chunk) passes: q_len x chunks, fewer when causal (a row skips the chunks past its last
  // key)
  const RowChunks rc = row_chunk_pairs(shape, chunk_tokens, chunks);
  const double keys_per_row =  // average keys per row and chunk
      shape.causal ? (rc.pairs > 0 ? scores / rc.pairs : 0.0) : scores / q_len / chunks;
  const double rows = rc.pairs;

  // Front end, one row: keys split over the units, each score ceil(b1/B) steps x passes, the row
  // waits for the slowest unit (expected maximum of the units' sums, Blom + normal sums).
  // Key-buffer bandwidth (docs/cost-model.md, "Key-buffer bandwidth"): each step of a busy unit
  // reads (lanes in use) x B bits of K, the lanes in use being d / passes on average (at most the
  // head dim per pass), and the Key buffer delivers key_banks x port_bits per cycle to the tile's
  // units. Units arbitrate for the bank ports cycle by cycle, so a row takes at least its K bits
  // over the bits delivered per cycle: the row is the slower of the units' own time (with the
  // slowest-unit wait) and that port time. (The lockstep ceiling per step, ceil(needed /
  // delivered), would make an added unit slower than leaving it idle; with the port binding, the
  // units' imbalance is absorbed by the shared bandwidth.)
  const double busy_units = std::max(1.0, std::min(n_units, keys_per_row));
  const double keys_per_unit = keys_per_row / busy_units;
  t.sync_blom = cal.frontend_sync_factor * blom_lookup(static_cast<int>(busy_units));
  t.port_per_step = d * b / k.key_bits_per_cycle;
  t.frontend_row_cycles = cal.frontend_row_cycles;

  // Back end, one row: surviving scores x cycles per surviving score, plus the row's
  // normalisation. A V row (d x v.bits) streams from the value banks in `stream` cycles (at least
  // one MAC pass). A survivor whose V row does not directly follow the previous survivor's (its
  // predecessor key was pruned) either re-addresses the banks (backend_readdress_cycles V-row
  // read times, calibrated) or streams through the pruned rows between them, whichever is cheaper.
  // With survivors independent, the gap G before a survivor has P(G >= g) = p^g, so the expected
  // extra is E[min(c, G x stream)] = sum_g p^g x clamp(c - (g - 1) stream, 0, stream): about p x c
  // at moderate p, zero when nothing is pruned, and never more than streaming every pruned row, so
  // pruning never slows the back end (docs/cost-model.md, "Back end").
  const double row_pass = ceil_nonneg(d / spec.v.macs);
  const double v_row_read = d * spec.v.bits / (k.value_banks * spec.buffers.port_bits);
  const double stream = std::max(row_pass, v_row_read);
  // A re-address restarts the V-row fetch: it costs backend_readdress_cycles V-row read times,
  // so it scales with the row's width (MemN2N's 20-wide rows vs BERT's 64-wide ones).
  const double readdress = cal.backend_readdress_cycles * v_row_read;

  // One row ahead: each row costs the larger of the two (expected max of normals), plus the
  // pipeline fill; partial results of extra chunks are merged on the back end.
  const double merge = (rc.pairs - rc.rows) * row_pass;

  t.full_steps = full_steps;
  t.passes = passes;
  t.keys_per_unit = keys_per_unit;
  t.keys_per_row = keys_per_row;
  t.stream = stream;
  t.readdress = readdress;
  t.row_pass = row_pass;
  t.rows = rows;
  t.merge = merge;
  t.scores = scores;
  t.n_units = n_units;
  // The datapaths are fixed-width and not gated per lane: a step drives all lanes and reads a
  // B-bit slice of a whole lane-width K row; a surviving score reads whole V rows of the MAC
  // array's width. This is why the paper's baseline energy split is "the same for every
  // workload" (Fig. 11) whatever the head dim.
  t.lanes_used = passes * spec.qk.lanes;
  t.v_width = row_pass * spec.v.macs;
  t.tiles = spec.tiles;
  t.b = b;
  t.bits = bits;
  t.pruning = spec.qk.pruning ? 1 : 0;
  t.early = spec.qk.pruning && spec.qk.early_termination ? 1 : 0;
  t.d = d;
  t.k_len = k_len;
  t.q_len = q_len;
  t.chunks = chunks;
  t.rows_seen = rc.rows;
  return t;
}

// DRAM bytes of one head: K and V once, a Q row per (row, chunk) pass, outputs once, 32-bit
// partials written and read for each pass beyond a row's first.
inline double head_dram_bytes(const ArchSpec& spec, const detail::LayerTerms& t) {
  const double d = t.d, k_len = t.k_len, q_len = t.q_len;
  const double pairs = t.rows, rows_seen = t.rows_seen;  // (row, chunk) passes; rows seeing a key
  const int bits = spec.qk.bits;
  return k_len * d * (bits + spec.v.bits) / 8.0 + pairs * d * bits / 8.0 +
         q_len * d * spec.v.bits / 8.0 + (pairs - rows_seen) * d * 4.0 * 2;
}

// The statistics of one head as the design sees them (detail::head_moments).
[[gnu::always_inline]] inline detail::HeadMoments moments_of(const detail::LayerTerms& t,
                                                             const HeadProfile& head) {
  const auto b = static_cast<std::size_t>(t.b);
  return detail::head_moments(t, head.prune_rate, head.hist_bits, head.pruned_steps_mean[b],
                              head.pruned_steps_var[b], head.hist.data());
}

// Inlined into evaluate_task (GCC does not by itself): without the action counts, the counts that
// no energy needs are then never computed nor stored, and the result stays in registers.
[[gnu::always_inline]] inline HeadResult evaluate_head(const ArchSpec& spec,
                                                       const DesignConstants& k,
                                                       const detail::LayerTerms& t,
                                                       const HeadProfile& head) {
  HeadResult r;
  const detail::HeadMoments m = moments_of(t, head);
  const detail::HeadTimes h = detail::head_times(t, m);
  const double p = m.p;
  const double mu_step = h.mu_step;
  r.compute_cycles = h.compute_cycles;
  r.front = h.front;
  r.back = h.back;
  r.stall = h.stall;

  const double d = t.d, k_len = t.k_len, scores = t.scores;
  const double n_units = t.n_units, passes = t.passes, b = t.b;
  const int bits = spec.qk.bits;

  // Actions.
  Actions& a = r.actions;
  a.scores = scores;
  a.survivors = scores * (1 - p);
  a.qk_unit_steps = scores * mu_step * passes;
  a.qk_idle_steps = std::max(0.0, n_units * r.compute_cycles - a.qk_unit_steps);
  const double lanes_used = t.lanes_used;
  const double v_width = t.v_width;
  a.k_bits_read = scores * mu_step * b * lanes_used;
  a.v_bits_read = a.survivors * v_width * spec.v.bits;
  a.macs = a.survivors * v_width;
  a.softmax_ops = a.survivors;
  a.fifo_ops = 4 * a.survivors;  // score and index FIFOs, write + read
  a.sram_bits_written = k_len * d * (bits + spec.v.bits);
  a.dense_macs = 2 * scores * d;
  a.dram_bytes = head_dram_bytes(spec, t);

  const double lanes_per_step = spec.qk.lanes;
  r.energy[static_cast<int>(Component::kQkCompute)] =
      a.qk_unit_steps * lanes_per_step * k.qk_pj_per_lane_step + a.qk_idle_steps * k.qk_idle_pj;
  r.energy[static_cast<int>(Component::kKeyBuffer)] = a.k_bits_read * k.kbuf_read_pj_per_bit;
  r.energy[static_cast<int>(Component::kSoftmax)] = a.softmax_ops * k.softmax_pj;
  r.energy[static_cast<int>(Component::kVCompute)] = a.macs * k.mac_pj;
  r.energy[static_cast<int>(Component::kValueBuffer)] = a.v_bits_read * k.vbuf_read_pj_per_bit;
  r.energy[static_cast<int>(Component::kFifo)] = a.fifo_ops * k.fifo_pj;
  r.energy[static_cast<int>(Component::kBufferFill)] =
      k_len * d * (bits * k.kbuf_write_pj_per_bit + spec.v.bits * k.vbuf_write_pj_per_bit);
  return r;
}

// A layer's action counts += a head's, n times. Without kActions only the DRAM bytes, which the
// layer's time needs; the other counts stay zero.
template <bool kActions>
void add_head_actions(Actions& layer, const Actions& head, int n) {
  if constexpr (kActions) {
    add_repeated(layer, head, n);
  } else {
    add_repeated_bytes(layer.dram_bytes, head.dram_bytes, n);
  }
}

// Decode traffic of one layer step (docs/cost-model.md, "Decode"): per sequence, each KV group's
// K and V come from DRAM once and serve the group's G = heads / kv_heads query heads (a group runs
// on one tile or is broadcast to the tiles of its heads; either way it crosses the DRAM interface
// once). K rows stream whole (kv.layout row), or plane by plane in blocks of one burst (bitplane):
// a block's plane j is fetched only if some score of the G heads in that block still needs it. A
// score pruned at bit b1 with B bits per step consumes planes up to B ceil(b1 / B), so under the
// independence assumption plane j is alive for a score with probability (1 - p) + p P(b1 >
// B floor((j - 1) / B)) and needed by a block of k keys with 1 - prod_h (1 - alive_h)^k; a measured
// share (statistics a1..aN from `profile --plane-block`) replaces that estimate. Planes are
// requested in order, many blocks in flight, so the exposed time is the bandwidth time. A V row is
// fetched when any of the G heads keeps its score, at burst granularity, in both layouts.
struct DecodeTraffic {
  double bytes = 0;     // whole layer step: K, V, Q and outputs, all sequences
  double kv_bytes = 0;  // the K and V part (what is written into the buffers)
  double k_bytes = 0, v_bytes = 0;
  double first_load_bytes = 0;  // one chunk of one group: what double buffering cannot hide
};

DecodeTraffic decode_traffic(const ArchSpec& spec, const LayerProfile& layer, bool onchip_only) {
  DecodeTraffic t;
  const auto& shape = layer.shape;
  const double d = shape.head_dim;
  const double k_len = static_cast<double>(shape.k_len);
  const int bits = spec.qk.bits;
  const int b = std::clamp(spec.qk.bits_per_cycle, 1, kMaxBitsPerCycle);
  const double burst = std::max(1, spec.dram.burst_bytes);
  const int heads = shape.heads;
  const int groups = std::max(1, shape.kv_heads_or_heads());
  const int g_size = std::max(1, heads / groups);
  const bool bitplane = spec.kv.layout == "bitplane";
  const auto head_of = [&](int h) -> const HeadProfile& {
    return layer.heads.size() == 1 ? layer.heads.front() : layer.heads[static_cast<std::size_t>(h)];
  };
  // Whole K rows, contiguous: every bit of every key.
  const double k_row_bytes = ceil_nonneg(k_len * d * bits / 8.0 / burst) * burst;
  const double key_plane_bytes = d / 8.0;
  const double keys_per_block = std::max(1.0, floor_nonneg(burst / key_plane_bytes));
  const double blocks = ceil_nonneg(k_len / keys_per_block);
  const double block_bytes = ceil_nonneg(keys_per_block * key_plane_bytes / burst) * burst;
  const double v_row = d * spec.v.bits / 8.0;
  const double v_rows_per_burst = std::max(1.0, floor_nonneg(burst / v_row));
  const double v_unit_bytes = ceil_nonneg(v_rows_per_burst * v_row / burst) * burst;
  const double v_units = ceil_nonneg(k_len / v_rows_per_burst);
  for (int g = 0; g < groups; ++g) {
    double k_bytes = k_row_bytes;
    if (bitplane) {
      k_bytes = 0;
      for (int j = 1; j <= bits; ++j) {
        // The first bit of j's step: a score is still undecided there if b1 >= that bit.
        const int first = b * ((j - 1) / b) + 1;
        double none = 1;  // P(no score of the block needs plane j)
        double measured = -1;
        for (int h = g * g_size; h < (g + 1) * g_size; ++h) {
          const HeadProfile& hp = head_of(h);
          if (!hp.plane_alive.empty() && first <= static_cast<int>(hp.plane_alive.size())) {
            measured = std::max(measured, hp.plane_alive[static_cast<std::size_t>(first - 1)]);
            continue;
          }
          const bool early = spec.qk.pruning && spec.qk.early_termination && hp.hist_bits > 0;
          double done = 0;  // P(a pruned score ended before `first`)
          if (early) {
            for (int bit = 1; bit < first && bit <= hp.hist_bits; ++bit) done += hp.hist[bit - 1];
          }
          const double alive = early ? 1 - hp.prune_rate * done : 1.0;
          none *= std::pow(1 - alive, keys_per_block);
        }
        const double need = measured >= 0 ? std::max(measured, 1 - none) : 1 - none;
        k_bytes += need * blocks * block_bytes;
      }
    }
    double all_pruned = 1;  // P(every head of the group prunes a given score)
    for (int h = g * g_size; h < (g + 1) * g_size; ++h) {
      all_pruned *= spec.qk.pruning ? head_of(h).prune_rate : 0.0;
    }
    const double v_need = 1 - std::pow(all_pruned, v_rows_per_burst);
    const double v_bytes = v_need * v_units * v_unit_bytes;
    t.k_bytes += k_bytes;
    t.v_bytes += v_bytes;
  }
  t.k_bytes *= layer.batch;
  t.v_bytes *= layer.batch;
  t.kv_bytes = t.k_bytes + t.v_bytes;
  const double qo_bytes = heads * d * (bits + spec.v.bits) / 8.0;
  t.bytes = t.kv_bytes + layer.batch * qo_bytes;
  const double share = spec.dram.double_buffer && !onchip_only ? 0.5 : 1.0;
  const double chunk_tokens = std::max(
      1.0, std::min(floor_nonneg(spec.buffers.key_kib * 8192.0 * share / (d * bits)),
                    floor_nonneg(spec.buffers.value_kib * 8192.0 * share / (d * spec.v.bits))));
  t.first_load_bytes = std::min(k_len, chunk_tokens) * d * (bits + spec.v.bits) / 8.0;
  return t;
}

// The fast path's layer of heads with their own statistics (models/head_kernel.hpp): the per-head
// sums from the run memo or the kernel, then the layer's actions and energies from them. The same
// formulas as the reference branch of evaluate_task, summed in another order.
template <bool kActions>
void fast_head_layer(const ArchSpec& spec, const DesignConstants& k, const LayerProfile& layer,
                     const detail::LayerTerms& t, HeadMemo* memo, Cost& lc, double& tile_max) {
  const LayerHeadSums* cached = memo != nullptr ? memo->find(layer.memo_slot, t) : nullptr;
  LayerHeadSums fresh;
  if (cached == nullptr) {
    fresh = evaluate_head_block(t, layer);
    if (memo != nullptr) memo->put(layer.memo_slot, t, fresh);
    cached = &fresh;
  }
  const LayerHeadSums& s = *cached;
  const int heads = layer.shape.heads;
  tile_max = s.times.tile_max;
  lc.front_cycles = s.times.front;
  lc.back_cycles = s.times.back;
  lc.stall_cycles = s.times.stall;
  const int bits = spec.qk.bits;
  const double fill_bits = t.k_len * t.d * (bits + spec.v.bits);
  Actions& a = lc.actions;
  if constexpr (kActions) {
    Actions same;  // what every head of the layer counts alike
    same.scores = t.scores;
    same.sram_bits_written = fill_bits;
    same.dense_macs = 2 * t.scores * t.d;
    same.dram_bytes = head_dram_bytes(spec, t);
    add_repeated(a, same, heads);
    a.survivors = s.survivors;
    a.qk_unit_steps = s.qk_unit_steps;
    a.qk_idle_steps = s.qk_idle_steps;
    a.k_bits_read = s.k_bits_read;
    a.v_bits_read = s.survivors * t.v_width * spec.v.bits;
    a.macs = s.survivors * t.v_width;
    a.softmax_ops = s.survivors;
    a.fifo_ops = 4 * s.survivors;
  } else {
    add_repeated_bytes(a.dram_bytes, head_dram_bytes(spec, t), heads);
  }
  const double lanes_per_step = spec.qk.lanes;
  lc.energy_pj[static_cast<int>(Component::kQkCompute)] =
      s.qk_unit_steps * lanes_per_step * k.qk_pj_per_lane_step + s.qk_idle_steps * k.qk_idle_pj;
  lc.energy_pj[static_cast<int>(Component::kKeyBuffer)] = s.k_bits_read * k.kbuf_read_pj_per_bit;
  lc.energy_pj[static_cast<int>(Component::kSoftmax)] = s.survivors * k.softmax_pj;
  lc.energy_pj[static_cast<int>(Component::kVCompute)] = s.survivors * t.v_width * k.mac_pj;
  lc.energy_pj[static_cast<int>(Component::kValueBuffer)] =
      s.survivors * t.v_width * spec.v.bits * k.vbuf_read_pj_per_bit;
  lc.energy_pj[static_cast<int>(Component::kFifo)] = 4 * s.survivors * k.fifo_pj;
  lc.energy_pj[static_cast<int>(Component::kBufferFill)] =
      heads *
      (t.k_len * t.d * (bits * k.kbuf_write_pj_per_bit + spec.v.bits * k.vbuf_write_pj_per_bit));
}

// LeopardCostModel::evaluate (kActions) and evaluate_without_actions (the action counts zero).
// kFast: heads with their own statistics through the head kernel and the run memo (`memo`, or
// none); otherwise the readable reference, one head at a time. `step_latency_s` /
// `step_energy_pj` (decode only, task.steps long, or empty): each layer's latency and energy also
// added to its step's entry.
template <bool kActions, bool kFast>
Cost evaluate_task(const ArchSpec& spec, const DesignConstants& k, const Calibration& cal,
                   const TaskProfile& task, bool onchip_only, HeadMemo* memo = nullptr,
                   std::span<double> step_latency_s = {}, std::span<double> step_energy_pj = {}) {
  Cost total;
  const double bytes_per_cycle = spec.dram.bandwidth_gbps * 1e9 / k.clock_hz;
  const LayerProfile* terms_of = nullptr;  // the layer `terms` were derived for
  detail::LayerTerms terms;
  for (const auto& layer : task.layers) {
    const int heads = layer.shape.heads;
    const int tiles = spec.tiles;
    // The terms depend on the layer's head dim, q_len, k_len and scores only: consecutive layers
    // of one shape (the layers of a model) share them.
    if (terms_of == nullptr || terms_of->shape.head_dim != layer.shape.head_dim ||
        terms_of->shape.q_len != layer.shape.q_len || terms_of->shape.k_len != layer.shape.k_len ||
        terms_of->scores_per_head != layer.scores_per_head) {
      terms = layer_terms(spec, k, cal, layer, onchip_only);
      terms_of = &layer;
    }
    Cost lc;
    double tile_max = 0, dram_bytes = 0, first_load_bytes = 0;
    if (layer.heads.size() == 1) {
      const HeadResult h = evaluate_head(spec, k, terms, layer.heads.front());
      const double per_tile = ceil_nonneg(static_cast<double>(heads) / tiles);
      tile_max = per_tile * h.compute_cycles;
      lc.front_cycles = per_tile * h.front;
      lc.back_cycles = per_tile * h.back;
      lc.stall_cycles = per_tile * h.stall;
      add_head_actions<kActions>(lc.actions, h.actions, heads);
      for (int c = 0; c < kNumComponents; ++c) lc.energy_pj[c] = h.energy[c] * heads;
      // Idle QK units of tiles with fewer heads than the busiest are not counted: they are
      // clock-gated at the end of a layer.
      first_load_bytes =
          layer.shape.k_len * layer.shape.head_dim * (spec.qk.bits + spec.v.bits) / 8.0;
    } else if (kFast) {
      fast_head_layer<kActions>(spec, k, layer, terms, memo, lc, tile_max);
      first_load_bytes =
          layer.shape.k_len * layer.shape.head_dim * (spec.qk.bits + spec.v.bits) / 8.0;
    } else {
      // Heads with their own statistics, scheduled longest first onto the least-loaded tile (LPT,
      // Graham 1969): with at least as many tiles as heads every head has a tile of its own, and
      // an added tile never lengthens the layer (tested in tests/property).
      std::vector<HeadResult> hs;
      hs.reserve(static_cast<std::size_t>(heads));
      for (int hd = 0; hd < heads; ++hd) {
        hs.push_back(evaluate_head(spec, k, terms, layer.heads[hd]));
        add_head_actions<kActions>(lc.actions, hs.back().actions, 1);
        for (int c = 0; c < kNumComponents; ++c) lc.energy_pj[c] += hs.back().energy[c];
      }
      const std::size_t n_tiles = static_cast<std::size_t>(std::min(tiles, heads));
      std::vector<double> tile_cycles(n_tiles, 0.0), tile_front(n_tiles, 0.0),
          tile_back(n_tiles, 0.0), tile_stall(n_tiles, 0.0);
      const detail::LayerTimes lt =
          detail::lpt_schedule<HeadResult>(hs, tile_cycles, tile_front, tile_back, tile_stall);
      tile_max = lt.tile_max;
      lc.front_cycles = lt.front;
      lc.back_cycles = lt.back;
      lc.stall_cycles = lt.stall;
      first_load_bytes =
          layer.shape.k_len * layer.shape.head_dim * (spec.qk.bits + spec.v.bits) / 8.0;
    }
    if (layer.decode) {
      const DecodeTraffic dt = decode_traffic(spec, layer, onchip_only);
      lc.actions.dram_bytes = dt.bytes;
      first_load_bytes = dt.first_load_bytes;
      // The buffers are filled with what was fetched, not with every head's whole K/V.
      const double per_head_fill = static_cast<double>(heads) * layer.shape.k_len *
                                   layer.shape.head_dim * (spec.qk.bits + spec.v.bits) / 8.0;
      const double fill_scale = per_head_fill > 0 ? dt.kv_bytes / per_head_fill : 0.0;
      lc.energy_pj[static_cast<int>(Component::kBufferFill)] *= fill_scale;
      if constexpr (kActions) {
        lc.actions.sram_bits_written *= fill_scale;
        lc.actions.dram_k_bytes = dt.k_bytes;
        lc.actions.dram_v_bytes = dt.v_bytes;
      }
    }
    dram_bytes = lc.actions.dram_bytes;
    lc.compute_cycles = tile_max;
    if (onchip_only) {
      lc.cycles = tile_max;
      lc.actions.dram_bytes = 0;
    } else {
      lc.dram_cycles = dram_bytes / bytes_per_cycle;
      const double first_load = std::min(lc.dram_cycles, first_load_bytes / bytes_per_cycle);
      lc.cycles = spec.dram.double_buffer ? std::max(tile_max, lc.dram_cycles) + first_load
                                          : tile_max + lc.dram_cycles;
      lc.energy_pj[static_cast<int>(Component::kDram)] = dram_bytes * 8 * spec.dram.pj_per_bit;
    }
    lc.latency_s = lc.cycles / k.clock_hz;
    lc.energy_pj[static_cast<int>(Component::kLeakage)] = k.leakage_w * lc.latency_s * 1e12;
    if (layer.repeat != 1) {
      lc.scale_time_energy(layer.repeat);
      if constexpr (kActions) lc.actions *= layer.repeat;
    }
    if (!step_latency_s.empty()) {
      const auto t = static_cast<std::size_t>(layer.step);
      step_latency_s[t] += lc.latency_s;
      step_energy_pj[t] += lc.energy_pj_total() - (onchip_only ? lc.energy_dram_pj() : 0.0);
    }
    total.add_time_energy(lc);
    if constexpr (kActions) total.actions += lc.actions;
  }
  return total;
}

}  // namespace

Cost LeopardCostModel::evaluate(const ArchSpec& spec, const DesignConstants& k,
                                const TaskProfile& task, bool onchip_only, HeadMemo* memo) const {
  return evaluate_task<true, true>(spec, k, cal_, task, onchip_only, memo);
}

Cost LeopardCostModel::evaluate(const ArchSpec& spec, const DesignConstants& k,
                                const TaskProfile& task, bool onchip_only) const {
  return evaluate_task<true, true>(spec, k, cal_, task, onchip_only);
}

Cost LeopardCostModel::evaluate_without_actions(const ArchSpec& spec, const DesignConstants& k,
                                                const TaskProfile& task, bool onchip_only,
                                                HeadMemo* memo) const {
  return evaluate_task<false, true>(spec, k, cal_, task, onchip_only, memo);
}

Cost LeopardCostModel::evaluate_reference(const ArchSpec& spec, const DesignConstants& k,
                                          const TaskProfile& task, bool onchip_only) const {
  return evaluate_task<true, false>(spec, k, cal_, task, onchip_only);
}

void LeopardCostModel::evaluate_steps(const ArchSpec& spec, const DesignConstants& k,
                                      const TaskProfile& task, bool onchip_only,
                                      std::span<double> latency_s,
                                      std::span<double> energy_pj) const {
  const auto steps = static_cast<std::size_t>(task.decode ? task.steps : 1);
  if (latency_s.size() != steps || energy_pj.size() != steps) {
    throw std::invalid_argument("evaluate_steps: spans must hold one entry per step");
  }
  std::fill(latency_s.begin(), latency_s.end(), 0.0);
  std::fill(energy_pj.begin(), energy_pj.end(), 0.0);
  evaluate_task<false, true>(spec, k, cal_, task, onchip_only, nullptr, latency_s, energy_pj);
}

TaskCost summarise(const std::string& model, const std::string& task, const Cost& cost,
                   const ArchSpec& spec, bool onchip_only) {
  TaskCost t;
  t.model = model;
  t.task = task;
  t.cost = cost;
  const double cycles = std::max(cost.cycles, 1e-12);
  t.bottleneck = bottleneck_of(cost, onchip_only);
  const double unit_cycles = static_cast<double>(spec.qk.dpus) * spec.tiles * cost.compute_cycles;
  t.qk_utilization = unit_cycles > 0 ? cost.actions.qk_unit_steps / unit_cycles : 0;
  t.vpu_utilization = cost.compute_cycles > 0 ? cost.back_cycles / cost.compute_cycles : 0;
  t.dram_utilization = onchip_only ? 0 : cost.dram_cycles / cycles;
  const double dense_ops = 2 * cost.actions.dense_macs;
  const double bytes = cost.actions.dram_bytes;
  t.op_intensity = bytes > 0 ? dense_ops / bytes : 0;
  // Roofs (dense-equivalent): dense ops over each part's busy time on the critical path. The
  // front end's busy cycles come from the units, lanes in use, B, bits, the port and the task's
  // steps per score; the back end's from its cycles per survivor and the survivors.
  const double clock_hz = spec.clock_mhz * 1e6;
  const auto roof = [&](double busy_cycles) {
    return busy_cycles > 0 ? dense_ops * clock_hz / busy_cycles * 1e-9 : 0.0;
  };
  t.roof_front_gops = roof(cost.front_cycles);
  t.roof_back_gops = roof(cost.back_cycles);
  t.roof_dram_gops = onchip_only ? 0 : t.op_intensity * spec.dram.bandwidth_gbps;
  switch (t.bottleneck) {
    case Bottleneck::kFrontEnd:
      t.attainable_gops = t.roof_front_gops;
      break;
    case Bottleneck::kBackEnd:
      t.attainable_gops = t.roof_back_gops;
      break;
    case Bottleneck::kDram:
      t.attainable_gops = t.roof_dram_gops;
      break;
  }
  t.achieved_gops = cost.latency_s > 0 ? dense_ops / cost.latency_s * 1e-9 : 0;
  return t;
}

}  // namespace leopard::models
