// The records a sweep hands to the result store. Plain values: the store knows nothing of hardware.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace leopard::results {

// A metric that does not apply (stored as NULL).
inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// Provenance of one sweep run: a row of the `runs` table (README.md, "Provenance").
struct RunInfo {
  std::string uuid;
  std::string name;
  std::string command_line;
  std::string space_text;  // resolved design space, as text (YAML)
  std::string suite_text;  // resolved suite description, as text
  std::string space_hash;  // hex digest of space_text
  std::string suite_hash;  // hex digest of suite_text
  std::uint64_t seed = 0;
  std::string strategy;  // grid | random | nsga2 | ...
  std::string tool_version;
  std::string git_revision;
  // SHA-256 of the cost model's sources and data at build time (dse/provenance.hpp): a run is
  // resumed and merged only by a build with the same model.
  std::string model_fingerprint;
  std::vector<std::string> axes;        // axis keys in order ("qk.dpus", ...)
  std::vector<std::string> objectives;  // objective names in order ("latency", ...)
  std::int64_t shard_index = 0;         // this shard, 0-based
  std::int64_t shard_count = 1;
  std::int64_t space_size = 0;  // designs in the full space
};

// Suite-level metrics of one design (sums or geometric means over the suite's tasks).
struct SuiteMetrics {
  double latency_s = 0;
  double energy_j = 0;  // on-chip + DRAM
  double energy_onchip_j = 0;
  double energy_dram_j = 0;
  double area_mm2 = 0;
  double power_w = 0;
  double edp_js = 0;
  double speedup_geomean = 0;  // vs the baseline on the same suite
  double energy_reduction_geomean = 0;
  // Physically feasible (clock within f_max at the supply used, buffers accessible within a cycle)
  // and every constraint of the space holds.
  bool feasible = true;
  std::string infeasible_reason;  // why the design is physically infeasible; "" when it is not
  double vdd = 0;                 // supply the design runs at (V): tech.vdd, or what auto picked
  std::string bottleneck;         // most common bottleneck over tasks
  // Sums over tasks of the per-task nearest-rank percentiles over samples (geometric means with
  // `--latency geomean`); equal to latency_s / energy_j when the suite has no samples.
  double latency_p50_s = 0;
  double latency_p95_s = 0;
  double latency_p99_s = 0;
  double energy_p50_j = 0;
  double energy_p99_j = 0;
};

struct TaskMetricsRecord {
  std::string model;
  std::string task;
  double cycles = 0;
  double latency_s = 0;
  double energy_j = 0;
  double energy_onchip_j = 0;
  double energy_dram_j = 0;
  double speedup = 0;
  double energy_reduction = 0;
  std::string bottleneck;  // front_end | back_end | dram
  double qk_utilization = 0;
  double vpu_utilization = 0;
  double dram_utilization = 0;
  // Per-sample tail: each sample priced on its own, nearest-rank percentiles; samples = 1 and the
  // percentiles equal latency_s / energy_j when the statistics have no sample column.
  std::int64_t samples = 1;
  double latency_p50_s = 0;
  double latency_p95_s = 0;
  double latency_p99_s = 0;
  double energy_p50_j = 0;  // on-chip plus DRAM
  double energy_p99_j = 0;
  // Decode tasks only (NaN, stored as NULL, for prefill tasks), SI units: a step advances every
  // sequence of the batch by one token; the tail is over samples x generated steps.
  double s_per_token = kNoValue;
  double tokens_per_s = kNoValue;
  double j_per_token = kNoValue;
  double dram_bytes_per_token = kNoValue;
  double dram_k_bytes_per_token = kNoValue;
  double dram_v_bytes_per_token = kNoValue;
  double s_per_token_p50 = kNoValue;
  double s_per_token_p99 = kNoValue;
  double j_per_token_p99 = kNoValue;
};

struct BreakdownRecord {
  std::string component;  // "qk_compute", "key_buffer", ...
  double energy_j = 0;
};

struct DesignRecord {
  std::int64_t design_index = 0;  // position in the space's enumeration (grid index)
  std::string design_hash;        // hex digest of the resolved parameters
  std::vector<std::pair<std::string, std::string>> params;  // axis key -> value text, axis order
  SuiteMetrics metrics;
  std::vector<double> objectives;  // minimised objective values, RunInfo::objectives order
  // Optional pre-serialised forms of `params` (params_json()) and `objectives` (doubles_json()),
  // stored verbatim when not empty. A sweep fills them on its evaluation threads so that the single
  // writer only binds values; `params` may then be left empty.
  std::string params_json;
  std::string objectives_json;
  std::vector<TaskMetricsRecord> tasks;    // may be empty (--task-metrics)
  std::vector<BreakdownRecord> breakdown;  // may be empty
};

}  // namespace leopard::results
