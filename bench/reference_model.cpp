// The plain reference cost model (see reference_model.hpp): formulas of leopard.md sections 2-5 as
// written in models/leopard_cost_model.cpp, without any of the engine's precomputation.
#include "bench/reference_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/sram.hpp"
#include "models/tech.hpp"

namespace leopard::bench {
namespace {

using models::ArchSpec;
using models::Calibration;
using models::Component;
using models::Cost;

constexpr int kMaxB = 32;

struct Constants {
  double clock_hz, qk_pj_per_lane_step, qk_idle_pj, kbuf_read, kbuf_write, vbuf_read, vbuf_write;
  double softmax_pj, mac_pj, fifo_pj, leakage_w, area_mm2;
  int value_banks;
};

Constants constants(const ArchSpec& s, const Calibration& cal) {
  Constants k{};
  const double e = models::energy_scale_from_65(s.tech.node_nm, s.tech.vdd);
  const double a = models::area_scale_from_65(s.tech.node_nm);
  k.clock_hz = s.clock_mhz * 1e6;
  k.qk_pj_per_lane_step = cal.qk_pj_per_lane_bit * cal.energy_scale_qk *
                          (s.qk.bits * s.qk.bits_per_cycle + cal.qk_lane_overhead_bits) * e;
  k.qk_idle_pj = cal.qk_idle_pj_per_unit_cycle * e;
  const int banks = std::max(1, (s.v.macs * s.v.bits + s.buffers.port_bits - 1) / s.buffers.port_bits);
  k.value_banks = banks;
  const auto& sram = models::SramTable::shipped();
  const models::SramBank kb = sram.bank_65nm(s.buffers.key_kib * 1024.0 / s.qk.dpus, s.buffers.port_bits);
  const models::SramBank vb = sram.bank_65nm(s.buffers.value_kib * 1024.0 / banks, s.buffers.port_bits);
  k.kbuf_read = kb.read_pj_per_bit * cal.sram_energy_factor * cal.energy_scale_kbuf * e;
  k.kbuf_write = kb.write_pj_per_bit * cal.sram_energy_factor * e;
  k.vbuf_read = vb.read_pj_per_bit * cal.sram_energy_factor * cal.energy_scale_vbuf * e;
  k.vbuf_write = vb.write_pj_per_bit * cal.sram_energy_factor * e;
  const double wscale = (s.v.bits / 16.0) * (s.v.bits / 16.0);
  k.mac_pj = cal.mac_pj * cal.energy_scale_v * wscale * e;
  k.softmax_pj = cal.softmax_pj_per_score * cal.energy_scale_softmax * e;
  k.fifo_pj = cal.fifo_pj_per_op * e;
  const double qk_unit = s.qk.lanes * s.qk.bits * s.qk.bits_per_cycle * cal.qk_mm2_per_lane_bit +
                         cal.qk_mm2_per_unit;
  const double qk = s.qk.dpus * qk_unit + cal.qk_shared_mm2;
  const double key_buf = s.qk.dpus * kb.area_mm2 * cal.sram_area_factor;
  const double value_buf = banks * vb.area_mm2 * cal.sram_area_factor;
  const double v_logic = s.v.macs * cal.mac_mm2 * wscale;
  const double parts[6] = {qk, key_buf, value_buf, v_logic, cal.softmax_mm2, 0.0};
  for (double p : parts) k.area_mm2 += p * a * s.tiles;
  const double logic_mm2 = (qk + v_logic + cal.softmax_mm2) * a * s.tiles;
  const double sram_leak_mw = s.qk.dpus * kb.leakage_mw + banks * vb.leakage_mw;
  k.leakage_w = (logic_mm2 * cal.logic_leakage_mw_per_mm2 +
                 sram_leak_mw * cal.sram_leakage_factor * s.tiles * e) * 1e-3;
  return k;
}

// Blom (1958) by Newton on erfc, every call.
double blom(int n) {
  if (n <= 1) return 0.0;
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

double clark_max(double mx, double sx, double my, double sy) {
  const double theta = std::sqrt(sx * sx + sy * sy);
  if (theta < 1e-12) return std::max(mx, my);
  const double a = (mx - my) / theta;
  const double cdf = 0.5 * std::erfc(-a / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * a * a) / std::sqrt(2.0 * M_PI);
  return mx * cdf + my * (1 - cdf) + theta * pdf;
}

struct Head {
  double cycles = 0, front = 0, back = 0, stall = 0;
  Cost cost;  // actions and energies of the head
};

Head head_cost(const ArchSpec& s, const Constants& k, const Calibration& cal,
               const workloads::AttentionLayer& shape, const workloads::TerminationStats& st) {
  Head r;
  const double d = shape.head_dim;
  const int bits = s.qk.bits;
  const int b = std::clamp(s.qk.bits_per_cycle, 1, kMaxB);
  const double passes = std::ceil(d / s.qk.lanes);
  const double full = std::ceil(static_cast<double>(bits) / b);
  // Steps of the pruned scores at this B, from the B = 1 histogram.
  double mean = 0, sq = 0;
  for (int bit = 1; bit <= st.n_bits(); ++bit) {
    // A score never takes more steps than a full one (statistics wider than the design).
    const double steps = std::min(std::ceil(static_cast<double>(bit) / b),
                                  std::ceil(static_cast<double>(bits) / b));
    mean += st.hist[bit - 1] * steps;
    sq += st.hist[bit - 1] * steps * steps;
  }
  const double var = std::max(0.0, sq - mean * mean);
  const double p = s.qk.pruning ? st.prune_rate() : 0.0;
  const bool early = s.qk.pruning && s.qk.early_termination && st.n_bits() > 0;
  const double mu_pr = early ? mean : full;
  const double var_pr = early ? var : 0.0;
  const double mu = p * mu_pr + (1 - p) * full;
  const double sq_step = p * (var_pr + mu_pr * mu_pr) + (1 - p) * full * full;
  const double var_step = std::max(0.0, sq_step - mu * mu);

  const double key_tokens = std::floor(s.buffers.key_kib * 8192.0 / (d * bits));
  const double value_tokens = std::floor(s.buffers.value_kib * 8192.0 / (d * s.v.bits));
  const double chunk = std::max(1.0, std::min(key_tokens, value_tokens));
  const double k_len = static_cast<double>(shape.k_len);
  const double q_len = static_cast<double>(shape.q_len);
  const double chunks = std::ceil(k_len / chunk);
  const double scores = shape.scores_per_head();
  const double keys_row = scores / q_len / chunks;
  const double rows = q_len * chunks;

  const double busy = std::max(1.0, std::min(static_cast<double>(s.qk.dpus), keys_row));
  const double per_unit = keys_row / busy;
  const double front_mean = per_unit * mu * passes + cal.frontend_row_cycles;
  const double front_sd = std::sqrt(per_unit * var_step) * passes;
  const double front_row =
      front_mean + cal.frontend_sync_factor * front_sd * blom(static_cast<int>(busy));
  const double row_pass = std::ceil(d / s.v.macs);
  // A surviving V row: streamed at the value banks' bandwidth, or gathered by index at
  // 1 / (1 + backend_sparse_cycles) of it when pruning; at least one MAC pass.
  const double v_row_read = d * s.v.bits / (k.value_banks * s.buffers.port_bits);
  const double per_surv = std::max(
      row_pass, s.qk.pruning ? v_row_read * (1 + cal.backend_sparse_cycles) : std::ceil(v_row_read));
  const double back_mean = keys_row * (1 - p) * per_surv + row_pass;
  const double back_sd = std::sqrt(keys_row * p * (1 - p)) * per_surv;
  const double row_time = clark_max(front_row, 0.0, back_mean, back_sd);
  const double merge = (chunks - 1) * q_len * row_pass;
  r.cycles = rows * row_time + front_row + back_mean + merge;
  r.front = rows * front_row;
  r.back = rows * back_mean + merge;
  r.stall = rows * std::max(0.0, row_time - front_row);

  auto& a = r.cost.actions;
  a.scores = scores;
  a.survivors = scores * (1 - p);
  a.qk_unit_steps = scores * mu * passes;
  a.qk_idle_steps = std::max(0.0, s.qk.dpus * r.cycles - a.qk_unit_steps);
  const double v_width = row_pass * s.v.macs;
  a.k_bits_read = scores * mu * b * (passes * s.qk.lanes);
  a.v_bits_read = a.survivors * v_width * s.v.bits;
  a.macs = a.survivors * v_width;
  a.softmax_ops = a.survivors;
  a.fifo_ops = 4 * a.survivors;
  a.sram_bits_written = k_len * d * (bits + s.v.bits);
  a.dense_macs = 2 * scores * d;
  a.dram_bytes = k_len * d * (bits + s.v.bits) / 8.0 + q_len * d * bits / 8.0 * chunks +
                 q_len * d * s.v.bits / 8.0 + (chunks - 1) * q_len * d * 4.0 * 2;
  auto& e = r.cost.energy_pj;
  e[static_cast<int>(Component::kQkCompute)] =
      a.qk_unit_steps * s.qk.lanes * k.qk_pj_per_lane_step + a.qk_idle_steps * k.qk_idle_pj;
  e[static_cast<int>(Component::kKeyBuffer)] = a.k_bits_read * k.kbuf_read;
  e[static_cast<int>(Component::kSoftmax)] = a.softmax_ops * k.softmax_pj;
  e[static_cast<int>(Component::kVCompute)] = a.macs * k.mac_pj;
  e[static_cast<int>(Component::kValueBuffer)] = a.v_bits_read * k.vbuf_read;
  e[static_cast<int>(Component::kFifo)] = a.fifo_ops * k.fifo_pj;
  e[static_cast<int>(Component::kBufferFill)] =
      k_len * d * (bits * k.kbuf_write + s.v.bits * k.vbuf_write);
  return r;
}

Cost task_cost(const ArchSpec& s, const Calibration& cal, const workloads::TaskWorkload& task,
               bool onchip_only) {
  const Constants k = constants(s, cal);  // rebuilt for every task
  Cost total;
  const double bytes_per_cycle = s.dram.bandwidth_gbps * 1e9 / k.clock_hz;
  for (const auto& layer : task.layers) {
    const int tiles = s.tiles;
    std::vector<double> cyc(tiles, 0.0), front(tiles, 0.0), back(tiles, 0.0), stall(tiles, 0.0);
    Cost lc;
    for (int h = 0; h < layer.shape.heads; ++h) {
      const Head r = head_cost(s, k, cal, layer.shape, layer.heads[h]);
      cyc[h % tiles] += r.cycles;
      front[h % tiles] += r.front;
      back[h % tiles] += r.back;
      stall[h % tiles] += r.stall;
      lc += r.cost;
    }
    const auto t = static_cast<std::size_t>(std::max_element(cyc.begin(), cyc.end()) - cyc.begin());
    const double tile_max = cyc[t];
    lc.front_cycles = front[t];
    lc.back_cycles = back[t];
    lc.stall_cycles = stall[t];
    lc.compute_cycles = tile_max;
    const double dram_bytes = lc.actions.dram_bytes;
    if (onchip_only) {
      lc.cycles = tile_max;
      lc.actions.dram_bytes = 0;
    } else {
      lc.dram_cycles = dram_bytes / bytes_per_cycle;
      const double first = layer.shape.k_len * layer.shape.head_dim * (s.qk.bits + s.v.bits) / 8.0;
      const double first_load = std::min(lc.dram_cycles, first / bytes_per_cycle);
      lc.cycles = s.dram.double_buffer ? std::max(tile_max, lc.dram_cycles) + first_load
                                       : tile_max + lc.dram_cycles;
      lc.energy_pj[static_cast<int>(Component::kDram)] = dram_bytes * 8 * s.dram.pj_per_bit;
    }
    lc.latency_s = lc.cycles / k.clock_hz;
    lc.energy_pj[static_cast<int>(Component::kLeakage)] = k.leakage_w * lc.latency_s * 1e12;
    total += lc;
  }
  return total;
}

}  // namespace

ReferenceSuiteModel::ReferenceSuiteModel(const workloads::Suite& suite,
                                         const models::ArchSpec& baseline,
                                         const models::Calibration& cal,
                                         models::EvalOptions options)
    : suite_(suite), cal_(cal), options_(options) {
  std::vector<Cost> base;
  run(baseline, &base);
  baseline_ = std::move(base);
}

models::Cost ReferenceSuiteModel::evaluate_task(const ArchSpec& spec,
                                                const workloads::TaskWorkload& t) const {
  return task_cost(spec, cal_, t, options_.onchip_only);
}

models::SuiteCost ReferenceSuiteModel::run(const ArchSpec& spec, std::vector<Cost>* costs) const {
  models::SuiteCost out;
  out.area_mm2 = constants(spec, cal_).area_mm2;
  double log_speed = 0, log_energy = 0, log_lat = 0, log_e = 0;
  int votes[3] = {0, 0, 0};
  const double n = static_cast<double>(suite_.tasks.size());
  auto energy = [&](const Cost& c) {
    return options_.onchip_only ? c.energy_onchip_pj() : c.energy_pj_total();
  };
  for (std::size_t i = 0; i < suite_.tasks.size(); ++i) {
    const Cost c = task_cost(spec, cal_, suite_.tasks[i], options_.onchip_only);
    const double e_pj = energy(c);
    out.latency_s += c.latency_s;
    out.energy_j += e_pj * 1e-12;
    out.energy_onchip_j += c.energy_onchip_pj() * 1e-12;
    out.energy_dram_j += c.energy_dram_pj() * 1e-12;
    log_lat += std::log(c.latency_s);
    log_e += std::log(e_pj * 1e-12);
    if (!baseline_.empty()) {
      log_speed += std::log(baseline_[i].latency_s / c.latency_s);
      log_energy += std::log(energy(baseline_[i]) / e_pj);
    }
    int vote = c.back_cycles > c.front_cycles ? 1 : 0;
    if (!options_.onchip_only && c.dram_cycles > c.compute_cycles) vote = 2;
    ++votes[vote];
    if (costs != nullptr) costs->push_back(c);
  }
  out.power_w = out.latency_s > 0 ? out.energy_j / out.latency_s : 0;
  if (options_.geomean_latency && n > 0) {
    out.latency_s = std::exp(log_lat / n);
    out.energy_j = std::exp(log_e / n);
  }
  if (n > 0) {
    out.speedup_geomean = std::exp(log_speed / n);
    out.energy_reduction_geomean = std::exp(log_energy / n);
  }
  int best = 0;
  for (int v = 1; v < 3; ++v) {
    if (votes[v] > votes[best]) best = v;
  }
  out.bottleneck = static_cast<models::Bottleneck>(best);
  return out;
}

models::SuiteCost ReferenceSuiteModel::evaluate(const ArchSpec& spec) const {
  return run(spec, nullptr);
}

double max_rel_diff(const models::SuiteCost& a, const models::SuiteCost& b) {
  if (a.bottleneck != b.bottleneck) return std::numeric_limits<double>::infinity();
  const double xs[] = {a.latency_s, a.energy_j, a.energy_onchip_j, a.energy_dram_j,
                       a.area_mm2,  a.power_w,  a.speedup_geomean, a.energy_reduction_geomean};
  const double ys[] = {b.latency_s, b.energy_j, b.energy_onchip_j, b.energy_dram_j,
                       b.area_mm2,  b.power_w,  b.speedup_geomean, b.energy_reduction_geomean};
  double worst = 0;
  for (int i = 0; i < 8; ++i) {
    const double scale = std::max(std::abs(xs[i]), std::abs(ys[i]));
    if (scale == 0) continue;
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, std::abs(xs[i] - ys[i]) / scale);
  }
  return worst;
}

}  // namespace leopard::bench
