// Random designs and workloads (fixed seeds) shared by the property tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost_model.hpp"
#include "workloads/workload.hpp"

namespace leopard::property {

using namespace leopard::models;
using leopard::workloads::LayerWorkload;
using leopard::workloads::TaskWorkload;
using leopard::workloads::TerminationStats;

inline constexpr int kTrials = 200;

inline int pick(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
template <typename T, std::size_t N>
T one_of(std::mt19937_64& rng, const T (&values)[N]) {
  return values[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(N) - 1))];
}

inline ArchSpec random_spec(std::mt19937_64& rng) {
  ArchSpec s;
  s.tiles = pick(rng, 1, 4);
  s.clock_mhz = uniform(rng, 200, 1500);
  s.qk.dpus = pick(rng, 1, 16);
  s.qk.lanes = one_of(rng, {16, 32, 64, 128});
  s.qk.bits = pick(rng, 8, 16);
  s.qk.bits_per_cycle = pick(rng, 1, s.qk.bits);
  s.qk.pruning = true;
  s.qk.early_termination = pick(rng, 0, 1) == 1;
  s.v.macs = one_of(rng, {16, 32, 64, 128});
  s.v.bits = one_of(rng, {8, 12, 16});
  s.buffers.key_kib = one_of(rng, {4.0, 12.0, 48.0, 96.0});
  s.buffers.value_kib = one_of(rng, {4.0, 16.0, 64.0, 128.0});
  s.dram.bandwidth_gbps = uniform(rng, 1, 300);
  s.dram.pj_per_bit = uniform(rng, 2, 20);
  s.dram.double_buffer = pick(rng, 0, 1) == 1;
  return s;
}

inline TerminationStats random_stats(std::mt19937_64& rng, double n_scores, int n_bits) {
  TerminationStats st;
  st.n_scores = n_scores;
  st.n_pruned = n_scores * uniform(rng, 0.0, 0.98);
  st.hist.assign(static_cast<std::size_t>(n_bits), 0.0);
  double sum = 0;
  for (auto& h : st.hist) {
    h = uniform(rng, 0, 1) < 0.4 ? 0.0 : uniform(rng, 0, 1);
    sum += h;
  }
  if (sum == 0) {
    st.hist[0] = 1;
    sum = 1;
  }
  for (auto& h : st.hist) h /= sum;
  return st;
}

// seq_len < 0: random. `causal` < 0: random.
inline TaskWorkload random_task(std::mt19937_64& rng, std::int64_t seq_len = -1, int causal = -1) {
  TaskWorkload w;
  w.model = "random";
  w.task = "t";
  const int layers = pick(rng, 1, 3);
  const std::int64_t s = seq_len > 0 ? seq_len : pick(rng, 4, 700);
  w.seq_len = s;
  for (int l = 0; l < layers; ++l) {
    LayerWorkload lw;
    lw.shape.index = l;
    lw.shape.heads = pick(rng, 1, 8);
    lw.shape.head_dim = one_of(rng, {16, 20, 32, 64, 96, 128});
    lw.shape.q_len = s;
    lw.shape.k_len = s;
    lw.shape.causal = causal < 0 ? pick(rng, 0, 1) == 1 : causal == 1;
    const int n_bits = 12;
    if (pick(rng, 0, 1) == 0) {
      lw.heads.assign(static_cast<std::size_t>(lw.shape.heads),
                      random_stats(rng, lw.shape.scores_per_head(), n_bits));
    } else {
      for (int h = 0; h < lw.shape.heads; ++h) {
        lw.heads.push_back(random_stats(rng, lw.shape.scores_per_head(), n_bits));
      }
    }
    w.layers.push_back(std::move(lw));
  }
  return w;
}

inline Calibration shipped() { return load_calibration(default_calibration_path()).values; }

inline Cost run(const ArchSpec& spec, const Calibration& cal, const TaskProfile& p, bool onchip) {
  return LeopardCostModel(cal).evaluate(spec, derive_constants(spec, cal), p, onchip);
}

}  // namespace leopard::property
