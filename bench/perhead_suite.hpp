// The per-head paper suite (issue 16): the 43 tasks of the shipped paper suite with distinct
// statistics for every one of their 6,972 heads, generated deterministically.
//
// Generator. Tasks, layers and heads are visited in order (task, layer, head); each head draws two
// uniforms u1, u2 in [0, 1) from std::mt19937_64 seeded with kPerheadSeed (u = (x >> 11) x 2^-53,
// so the sequence is the same with every standard library) and gets
//   - pruning rate  clamp(rate + (2 u1 - 1) x 0.08, 0.05, 0.99)  (jittered by up to +-8 points);
//   - termination histogram shifted by s = (2 u2 - 1) x 1.5 bits: the mass of bit i moves to the
//     position x = clamp(i + s, 1, N) and is split between the neighbouring bits floor(x) and
//     floor(x) + 1 by linear interpolation (weights 1 - frac(x) and frac(x)), so a fractional shift
//     moves the mean termination bit by s except where the ends clamp it; the histogram still sums
//     to 1.
// n_scores is the head's own; n_pruned = rate x n_scores. With `head_factor` k, every layer gets k
// times its heads (and K/V heads), each drawn as above: the suite for the doubling-heads figure.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "workloads/stats.hpp"
#include "workloads/workload.hpp"

namespace leopard::bench {

constexpr std::uint64_t kPerheadSeed = 16;  // issue 16
constexpr double kRateJitter = 0.08;
constexpr double kRateMin = 0.05, kRateMax = 0.99;
constexpr double kShiftBits = 1.5;

// The histogram (fractions over bits 1..N) shifted by s bits with linear interpolation.
inline std::vector<double> shift_histogram(const std::vector<double>& hist, double s) {
  const int n = static_cast<int>(hist.size());
  std::vector<double> out(hist.size(), 0.0);
  for (int i = 1; i <= n; ++i) {
    const double x = std::clamp(i + s, 1.0, static_cast<double>(n));
    const int lo = static_cast<int>(std::floor(x));
    const double frac = x - lo;
    out[static_cast<std::size_t>(lo - 1)] += (1 - frac) * hist[static_cast<std::size_t>(i - 1)];
    if (frac > 0) out[static_cast<std::size_t>(lo)] += frac * hist[static_cast<std::size_t>(i - 1)];
  }
  return out;
}

inline workloads::Suite make_perhead_suite(const workloads::Suite& merged, int head_factor = 1) {
  std::mt19937_64 rng(kPerheadSeed);
  const auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1p-53; };
  workloads::Suite out = merged;
  out.name = merged.name + "-perhead";
  for (auto& task : out.tasks) {
    for (auto& layer : task.layers) {
      std::vector<workloads::TerminationStats> heads;
      for (int copy = 0; copy < head_factor; ++copy) {
        for (const auto& h : layer.heads) {
          workloads::TerminationStats st = h;
          const double u1 = uniform(), u2 = uniform();
          const double rate =
              std::clamp(h.prune_rate() + (2 * u1 - 1) * kRateJitter, kRateMin, kRateMax);
          st.n_pruned = rate * st.n_scores;
          if (!st.hist.empty()) st.hist = shift_histogram(st.hist, (2 * u2 - 1) * kShiftBits);
          st.plane_alive.clear();
          heads.push_back(std::move(st));
        }
      }
      layer.heads = std::move(heads);
      layer.shape.heads *= head_factor;
      if (layer.shape.kv_heads > 0) layer.shape.kv_heads *= head_factor;
    }
    task.samples.clear();
  }
  return out;
}

// The per-head suite as a user would bring it (head_factor 1 only): a statistics CSV with one row
// per (task, layer, head) and a suite YAML naming the same models, tasks and lengths.
inline void write_perhead_suite(const workloads::Suite& perhead, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  workloads::StatsTable table;
  for (const auto& task : perhead.tasks) {
    for (const auto& layer : task.layers) {
      for (std::size_t h = 0; h < layer.heads.size(); ++h) {
        workloads::StatsRow r;
        r.model = task.model;
        r.task = task.task;
        r.layer = layer.shape.index;
        r.head = static_cast<int>(h);
        r.seq_len = task.seq_len;
        r.stats = layer.heads[h];
        table.n_bits = std::max(table.n_bits, r.stats.n_bits());
        table.rows.push_back(std::move(r));
      }
    }
  }
  workloads::write_stats_csv(
      dir / "perhead_stats.csv",
      {"Per-head paper suite (bench/perhead_suite.hpp): seed 16, rates +-8 points clamped to "
       "[0.05, 0.99], histograms shifted +-1.5 bits"},
      table);
  std::ofstream yaml(dir / "perhead.yaml");
  yaml << "name: paper-perhead\ntasks:\n";
  for (const auto& task : perhead.tasks) {
    yaml << "  - {model: " << task.model << ", task: " << task.task << ", seq_len: " << task.seq_len
         << ", stats: perhead_stats.csv}\n";
  }
}

}  // namespace leopard::bench
