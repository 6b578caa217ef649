// Suite metrics by name, minimised objectives ("latency", "-speedup") and metric constraints
// ("area_mm2 <= 12"): how a design space turns a design's metrics into what the search sees.
#pragma once

#include <string>
#include <vector>

#include "results/records.hpp"

namespace leopard::dse {

enum class Metric {
  kLatency,          // latency_s
  kEnergy,           // energy_j (on-chip + DRAM)
  kEnergyOnchip,     // energy_onchip_j
  kEnergyDram,       // energy_dram_j
  kArea,             // area_mm2
  kPower,            // power_w
  kEdp,              // edp_js
  kSpeedup,          // speedup (geometric mean vs the baseline)
  kEnergyReduction,  // energy_reduction (geometric mean vs the baseline)
  // The per-sample tail (models/quantiles.hpp): sums over tasks of each task's nearest-rank
  // percentile over its samples (geometric means with --latency geomean); without samples in the
  // suite, the same as latency_s and energy_j.
  kLatencyP50,  // latency_p50_s
  kLatencyP95,  // latency_p95_s
  kLatencyP99,  // latency_p99_s
  kEnergyP50,   // energy_p50_j
  kEnergyP99,   // energy_p99_j
};

// Canonical metric names with units ("latency_s", ...), in enum order.
const std::vector<std::string>& metric_names();
// Accepts the canonical name or the short one ("latency", "area", "edp", ...). False if unknown.
bool parse_metric(const std::string& name, Metric& out);
double metric_value(const results::SuiteMetrics& metrics, Metric metric);

// A minimised objective: the metric, negated when written with a leading '-' (to maximise it).
struct Objective {
  std::string name;  // as written: "latency", "-speedup"
  Metric metric = Metric::kLatency;
  bool negate = false;
  double value(const results::SuiteMetrics& m) const {
    const double v = metric_value(m, metric);
    return negate ? -v : v;
  }
};

// "metric op bound" with op one of <, <=, >, >=.
struct Constraint {
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };
  std::string text;  // as written
  Metric metric = Metric::kArea;
  Op op = Op::kLessEqual;
  double bound = 0;
  bool holds(const results::SuiteMetrics& m) const;
  // 0 when it holds, else how far it is violated relative to |bound| (> 0).
  double violation(const results::SuiteMetrics& m) const;
};

// Parse or return false with a reason (the caller adds file, line and field).
bool parse_objective(const std::string& text, Objective& out, std::string& reason);
bool parse_constraint(const std::string& text, Constraint& out, std::string& reason);

}  // namespace leopard::dse
