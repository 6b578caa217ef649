// Test fixtures for the results store: temporary folders and a synthetic design space whose metrics
// are closed-form functions of the design index.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "results/records.hpp"
#include "results/shard.hpp"
#include "results/sqlite.hpp"
#include "results/store.hpp"

namespace leopard::results::testing {

// A fresh folder under /tmp, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("leopard-results-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The synthetic space: tiles x dpus x dram, 4 * 5 * 3 = 60 designs, index = ((t * 5) + d) * 3 + m.
inline const std::vector<int> kTiles = {1, 2, 4, 8};
inline const std::vector<int> kDpus = {2, 4, 6, 8, 12};
inline const std::vector<std::string> kDram = {"lpddr4", "ddr4", "hbm2"};
inline std::int64_t space_size() {
  return static_cast<std::int64_t>(kTiles.size() * kDpus.size() * kDram.size());
}

inline RunInfo make_run_info(std::int64_t shard_index = 0, std::int64_t shard_count = 1,
                             std::int64_t size = space_size()) {
  RunInfo info;
  info.name = "synthetic";
  info.command_line = "leopard-dse sweep --space synthetic.yaml";
  info.space_text = "axes: {tiles: [1,2,4,8], qk.dpus: [2,4,6,8,12], dram.type: [...]}";
  info.suite_text = "suite: synthetic";
  info.space_hash = "5ace0000aaaa1111";
  info.suite_hash = "5a1e0000bbbb2222";
  info.seed = 7;
  info.strategy = "grid";
  info.tool_version = "0.1.0";
  info.git_revision = "deadbeef";
  info.model_fingerprint = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
  info.axes = {"tiles", "qk.dpus", "dram.type"};
  info.objectives = {"latency", "energy", "area"};
  info.shard_index = shard_index;
  info.shard_count = shard_count;
  info.space_size = size;
  return info;
}

// Closed-form metrics: latency falls with parallel units and DRAM speed, energy and area grow.
// Indices beyond the 60-point grid wrap around the grid (for long resume tests) with a distinct
// hash, so every index has its own deterministic record.
inline DesignRecord make_record(std::int64_t index) {
  const std::int64_t g = index % space_size();
  const int m = static_cast<int>(g % 3);
  const int d = static_cast<int>((g / 3) % 5);
  const int t = static_cast<int>(g / 15);
  const double tiles = kTiles[static_cast<std::size_t>(t)];
  const double dpus = kDpus[static_cast<std::size_t>(d)];
  const double dram_speed = 1.0 + m;  // lpddr4 1, ddr4 2, hbm2 3
  DesignRecord r;
  r.design_index = index;
  r.design_hash = "h" + std::to_string(index);
  r.params = {{"tiles", std::to_string(static_cast<int>(tiles))},
              {"qk.dpus", std::to_string(static_cast<int>(dpus))},
              {"dram.type", kDram[static_cast<std::size_t>(m)]}};
  SuiteMetrics& s = r.metrics;
  s.latency_s = 1.0 / (tiles * dpus) + 0.05 / dram_speed + 1e-9 * static_cast<double>(index / 60);
  s.energy_onchip_j = 0.01 * tiles * dpus + 0.001;
  s.energy_dram_j = 0.02 * dram_speed;
  s.energy_j = s.energy_onchip_j + s.energy_dram_j;
  s.area_mm2 = 0.5 * tiles * dpus + 2.0 * dram_speed;
  s.power_w = s.energy_j / s.latency_s;
  s.edp_js = s.energy_j * s.latency_s;
  s.speedup_geomean = 1.0 / s.latency_s;
  s.energy_reduction_geomean = 1.0 / s.energy_j;
  s.feasible = s.area_mm2 <= 40.0;
  s.bottleneck = m == 0 ? "dram" : "front_end";
  r.objectives = {s.latency_s, s.energy_j, s.area_mm2};
  // The per-sample tail: p50 below, p95 and p99 above the pooled latency; 10 samples on one task.
  s.latency_p50_s = 0.9 * s.latency_s;
  s.latency_p95_s = 1.3 * s.latency_s;
  s.latency_p99_s = 1.5 * s.latency_s;
  s.energy_p50_j = 0.95 * s.energy_j;
  s.energy_p99_j = 1.2 * s.energy_j;
  r.tasks = {
      {"bert-base", "squad", 1000.0 * tiles, s.latency_s / 2, s.energy_j / 2, s.energy_onchip_j / 2,
       s.energy_dram_j / 2, 2.0, 1.5, "front_end", 0.5, 0.25, 0.1, 10, s.latency_p50_s / 2,
       s.latency_p95_s / 2, s.latency_p99_s / 2, s.energy_p50_j / 2, s.energy_p99_j / 2},
      {"gpt2-large", "wikitext", 2000.0 * tiles, s.latency_s / 2, s.energy_j / 2,
       s.energy_onchip_j / 2, s.energy_dram_j / 2, 3.0, 1.7, s.bottleneck, 0.6, 0.3, 0.2, 1,
       s.latency_s / 2, s.latency_s / 2, s.latency_s / 2, s.energy_j / 2, s.energy_j / 2}};
  // The second task is a decode task (100 generated tokens); the first, prefill, has none.
  TaskMetricsRecord& decode = r.tasks[1];
  decode.s_per_token = decode.latency_s / 100;
  decode.tokens_per_s = 100 / decode.latency_s;
  decode.j_per_token = decode.energy_j / 100;
  decode.dram_bytes_per_token = 4096.0 * tiles;
  decode.dram_k_bytes_per_token = 1024.0 * tiles;
  decode.dram_v_bytes_per_token = 2048.0 * tiles;
  decode.s_per_token_p50 = 0.9 * decode.s_per_token;
  decode.s_per_token_p99 = 1.4 * decode.s_per_token;
  decode.j_per_token_p99 = 1.3 * decode.j_per_token;
  r.breakdown = {{"qk_compute", s.energy_onchip_j * 0.6}, {"key_buffer", s.energy_onchip_j * 0.4}};
  // The supply and, for the designs that fail, a reason (the store keeps whatever it is told).
  s.vdd = 0.8 + 0.1 * m;
  if (!s.feasible) s.infeasible_reason = "synthetic: area above 40 mm2";
  return r;
}

// Brute-force O(n^2) Pareto oracle over the synthetic records (feasible ones only; of equal
// objective vectors the smallest design index is kept).
inline std::vector<std::int64_t> brute_force_pareto(const std::vector<DesignRecord>& records) {
  std::vector<std::int64_t> out;
  for (const auto& a : records) {
    if (!a.metrics.feasible) continue;
    bool dominated = false;
    for (const auto& b : records) {
      if (!b.metrics.feasible) continue;
      if (b.objectives == a.objectives && b.design_index < a.design_index) dominated = true;
      bool no_worse = true, better = false;
      for (std::size_t k = 0; k < a.objectives.size(); ++k) {
        if (b.objectives[k] > a.objectives[k]) no_worse = false;
        if (b.objectives[k] < a.objectives[k]) better = true;
      }
      if (no_worse && better) dominated = true;
    }
    if (!dominated) out.push_back(a.design_index);
  }
  return out;
}

// Writes the synthetic space (or one shard of it) as a complete run into `path`.
inline void write_synthetic_run(const std::filesystem::path& path, Shard shard) {
  Store store = Store::open(path, Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info(shard.index, shard.count));
  std::vector<DesignRecord> records;
  for (std::int64_t i = 0; i < space_size(); ++i) {
    if (shard.contains(i)) records.push_back(make_record(i));
  }
  store.insert_designs(run, records);
  store.set_pareto(run, brute_force_pareto(records));
  store.finish_run(run, RunStatus::kComplete);
}

// Every row of a query as text, for whole-table comparisons.
inline std::vector<std::string> dump_rows(Db& db, const std::string& sql) {
  std::vector<std::string> rows;
  Statement s(db, sql);
  while (s.step()) {
    std::string row;
    for (int c = 0; c < s.column_count(); ++c) {
      std::string cell = s.is_null(c) ? std::string("NULL") : s.column_text(c);
      if (s.column_type(c) == SQLITE_FLOAT) {  // exact: hexadecimal floating point
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%a", s.column_double(c));
        cell = buffer;
      }
      row += (c ? "|" : "") + cell;
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace leopard::results::testing
