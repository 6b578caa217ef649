// Hand-made workloads, specs and calibrations for the cost-model unit tests: small enough that
// every number can be worked out by hand in the test's comments.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost_model.hpp"
#include "workloads/workload.hpp"

namespace leopard::models::fixtures {

// A histogram over 12 bits with all pruned scores terminating after K bit `bit` (B = 1).
inline std::vector<double> hist_at(int bit, int n_bits = 12) {
  std::vector<double> h(static_cast<std::size_t>(n_bits), 0.0);
  h[static_cast<std::size_t>(bit - 1)] = 1.0;
  return h;
}

// One layer of `heads` heads, every head with the same statistics.
inline workloads::TaskWorkload task(int heads, int head_dim, std::int64_t q_len, std::int64_t k_len,
                                    double prune_rate, const std::vector<double>& hist,
                                    bool causal = false) {
  workloads::TaskWorkload w;
  w.model = "hand";
  w.task = "made";
  w.seq_len = k_len;
  workloads::LayerWorkload layer;
  layer.shape.index = 0;
  layer.shape.name = "layer0.qk";
  layer.shape.heads = heads;
  layer.shape.head_dim = head_dim;
  layer.shape.q_len = q_len;
  layer.shape.k_len = k_len;
  layer.shape.causal = causal;
  workloads::TerminationStats s;
  s.n_scores = layer.shape.scores_per_head();
  s.n_pruned = s.n_scores * prune_rate;
  s.hist = hist;
  layer.heads.assign(static_cast<std::size_t>(heads), s);
  w.layers.push_back(layer);
  return w;
}

// A calibration with round numbers: 1.5 extra back-end cycles per survivor, no per-row front-end
// cycles, no slowest-unit penalty, no leakage.
inline Calibration plain_calibration() {
  Calibration c;
  c.backend_readdress_cycles = 1.8;
  c.frontend_row_cycles = 0.0;
  c.frontend_sync_factor = 0.0;
  c.logic_leakage_mw_per_mm2 = 0.0;
  c.sram_leakage_factor = 0.0;
  return c;
}

// One tile of the paper's AE design (6 units of 64 lanes, 12-bit Q/K, B = 2, 64 MACs, 16-bit V).
inline ArchSpec one_tile() {
  ArchSpec s;
  s.tiles = 1;
  return s;
}

// A dense one-unit design (B = 12, no pruning) with buffers of 8 tokens of d = 64:
// Key 0.75 KiB = 6144 bits / (64 x 12) = 8 tokens; Value 1 KiB = 8192 bits / (64 x 16) = 8 tokens.
inline ArchSpec small_buffers() {
  ArchSpec s = one_tile();
  s.qk.dpus = 1;
  s.qk.bits_per_cycle = 12;
  s.qk.pruning = false;
  s.qk.early_termination = false;
  s.buffers.key_kib = 0.75;
  s.buffers.value_kib = 1.0;
  return s;
}

inline Cost evaluate(const ArchSpec& spec, const Calibration& cal, const workloads::TaskWorkload& w,
                     bool onchip_only = true) {
  const LeopardCostModel model(cal);
  return model.evaluate(spec, derive_constants(spec, cal), precompute_task(w), onchip_only);
}

}  // namespace leopard::models::fixtures
