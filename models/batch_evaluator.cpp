// Batched (Eigen array) version of the LeOPArd cost model for one task and many designs.
#include "models/batch_evaluator.hpp"

#include <cmath>

namespace leopard::models {
namespace {

using Arr = Eigen::ArrayXd;

Arr normal_cdf(const Arr& x) {
  return 0.5 * (-x / std::sqrt(2.0)).unaryExpr([](double v) { return std::erfc(v); });
}
Arr normal_pdf(const Arr& x) { return (-0.5 * x * x).exp() / std::sqrt(2.0 * M_PI); }

}  // namespace

BatchCost evaluate_batch(const std::vector<ArchSpec>& specs,
                         const std::vector<DesignConstants>& constants, const Calibration& cal,
                         const TaskProfile& task, bool onchip_only) {
  const auto n = static_cast<Eigen::Index>(specs.size());
  BatchCost out{Arr::Zero(n), Arr::Zero(n), Arr::Zero(n)};
  // Per-design parameters as columns.
  Arr units(n), lanes(n), bits(n), bpc(n), macs(n), vbits(n), key_bits(n), value_bits(n), banks(n),
      port(n), pruning(n), early(n), tiles(n), clock(n), bw(n), dram_pj(n), dbuf(n), e_step(n),
      e_idle(n), e_kr(n), e_kw(n), e_vr(n), e_vw(n), e_soft(n), e_mac(n), e_fifo(n), leak(n),
      emax(n);
  std::vector<bool> reference(specs.size(), false);
  for (Eigen::Index i = 0; i < n; ++i) {
    const ArchSpec& s = specs[static_cast<std::size_t>(i)];
    const DesignConstants& k = constants[static_cast<std::size_t>(i)];
    units[i] = s.qk.dpus;
    lanes[i] = s.qk.lanes;
    bits[i] = s.qk.bits;
    bpc[i] = std::clamp(s.qk.bits_per_cycle, 1, kMaxBitsPerCycle);
    macs[i] = s.v.macs;
    vbits[i] = s.v.bits;
    key_bits[i] = s.buffers.key_kib * 8192.0;
    value_bits[i] = s.buffers.value_kib * 8192.0;
    banks[i] = k.value_banks;
    port[i] = s.buffers.port_bits;
    pruning[i] = s.qk.pruning ? 1 : 0;
    early[i] = s.qk.pruning && s.qk.early_termination ? 1 : 0;
    tiles[i] = s.tiles;
    clock[i] = k.clock_hz;
    bw[i] = s.dram.bandwidth_gbps * 1e9 / k.clock_hz;
    dram_pj[i] = s.dram.pj_per_bit;
    dbuf[i] = s.dram.double_buffer ? 1 : 0;
    e_step[i] = k.qk_pj_per_lane_step;
    e_idle[i] = k.qk_idle_pj;
    e_kr[i] = k.kbuf_read_pj_per_bit;
    e_kw[i] = k.kbuf_write_pj_per_bit;
    e_vr[i] = k.vbuf_read_pj_per_bit;
    e_vw[i] = k.vbuf_write_pj_per_bit;
    e_soft[i] = k.softmax_pj;
    e_mac[i] = k.mac_pj;
    e_fifo[i] = k.fifo_pj;
    leak[i] = k.leakage_w;
  }

  for (const auto& layer : task.layers) {
    if (layer.heads.size() != 1) {
      std::fill(reference.begin(), reference.end(), true);
      break;
    }
    const HeadProfile& head = layer.heads.front();
    const auto& shape = layer.shape;
    const double d = shape.head_dim;
    const double k_len = static_cast<double>(shape.k_len);
    const double q_len = static_cast<double>(shape.q_len);
    const double scores = layer.scores_per_head;
    const double heads = shape.heads;

    const Arr passes = (d / lanes).ceil();
    const Arr full_steps = (bits / bpc).ceil();
    Arr mu_pruned(n), var_pruned(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool has = early[i] > 0 && head.hist_bits > 0;
      if (has && head.hist_bits > bits[i]) reference[static_cast<std::size_t>(i)] = true;
      const int b = static_cast<int>(bpc[i]);
      mu_pruned[i] = has ? head.pruned_steps_mean[b] : full_steps[i];
      var_pruned[i] = has ? head.pruned_steps_var[b] : 0.0;
    }
    const Arr p = pruning * head.prune_rate;
    const Arr mu_step = p * mu_pruned + (1 - p) * full_steps;
    const Arr var_step =
        (p * (var_pruned + mu_pruned.square()) + (1 - p) * full_steps.square() - mu_step.square())
            .max(0.0);

    const Arr key_tokens = (key_bits / (d * bits)).floor();
    const Arr value_tokens = (value_bits / (d * vbits)).floor();
    const Arr chunk_tokens = key_tokens.min(value_tokens).max(1.0);
    const Arr chunks = (k_len / chunk_tokens).ceil();
    const Arr keys_per_row = scores / q_len / chunks;
    const Arr rows = q_len * chunks;

    const Arr busy = units.min(keys_per_row).max(1.0);
    for (Eigen::Index i = 0; i < n; ++i)
      emax[i] = expected_max_std_normal(static_cast<int>(busy[i]));
    const Arr keys_per_unit = keys_per_row / busy;
    const Arr front_row =
        keys_per_unit * mu_step * passes + cal.frontend_row_cycles +
        cal.frontend_sync_factor * (keys_per_unit * var_step).sqrt() * passes * emax;

    const Arr row_pass = (d / macs).ceil();
    const Arr v_row_read = d * vbits / (banks * port);
    const Arr per_survivor = row_pass.max(
        (pruning > 0).select(v_row_read * (1 + cal.backend_sparse_cycles), v_row_read.ceil()));
    const Arr back_mean = keys_per_row * (1 - p) * per_survivor + row_pass;
    const Arr back_sd = (keys_per_row * p * (1 - p)).sqrt() * per_survivor;

    // E[max(front, back)] (Clark), front deterministic per row.
    const Arr theta = back_sd;
    const Arr alpha = (front_row - back_mean) / theta.max(1e-300);
    const Arr cdf = normal_cdf(alpha);
    const Arr clark = front_row * cdf + back_mean * (1 - cdf) + theta * normal_pdf(alpha);
    const Arr row_time = (theta < 1e-12).select(front_row.max(back_mean), clark);
    const Arr merge = (chunks - 1) * q_len * row_pass;
    const Arr head_cycles = rows * row_time + front_row + back_mean + merge;

    const Arr survivors = scores * (1 - p);
    const Arr unit_steps = scores * mu_step * passes;
    const Arr idle = (units * head_cycles - unit_steps).max(0.0);
    const Arr v_width = row_pass * macs;
    const Arr head_pj = unit_steps * lanes * e_step + idle * e_idle +
                        scores * mu_step * bpc * passes * lanes * e_kr + survivors * e_soft +
                        survivors * v_width * e_mac + survivors * v_width * vbits * e_vr +
                        4 * survivors * e_fifo + k_len * d * (bits * e_kw + vbits * e_vw);
    const Arr dram_bytes =
        heads * (k_len * d * (bits + vbits) / 8.0 + q_len * d * bits / 8.0 * chunks +
                 q_len * d * vbits / 8.0 + (chunks - 1) * q_len * d * 8.0);

    const Arr tile_cycles = (heads / tiles).ceil() * head_cycles;
    Arr cycles = tile_cycles;
    Arr e_dram = Arr::Zero(n);
    if (!onchip_only) {
      const Arr dram_cycles = dram_bytes / bw;
      const Arr first_load = dram_cycles.min(k_len * d * (bits + vbits) / 8.0 / bw);
      cycles =
          (dbuf > 0).select(tile_cycles.max(dram_cycles) + first_load, tile_cycles + dram_cycles);
      e_dram = dram_bytes * 8 * dram_pj;
    }
    const Arr latency = cycles / clock;
    const double rep = layer.repeat;
    out.latency_s += rep * latency;
    out.energy_dram_pj += rep * e_dram;
    out.energy_pj += rep * (heads * head_pj + e_dram + leak * latency * 1e12);
  }

  // Designs the arrays do not cover: the reference path.
  const LeopardCostModel reference_model(cal);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!reference[i]) continue;
    const Cost c = reference_model.evaluate(specs[i], constants[i], task, onchip_only);
    const auto j = static_cast<Eigen::Index>(i);
    out.latency_s[j] = c.latency_s;
    out.energy_pj[j] = c.energy_pj_total();
    out.energy_dram_pj[j] = c.energy_dram_pj();
  }
  return out;
}

}  // namespace leopard::models
