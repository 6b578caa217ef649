// Metric names, objective and constraint parsing, and their evaluation on suite metrics.
#include "dse/objectives.hpp"

#include <algorithm>
#include <cmath>

#include "workloads/core/text.hpp"

namespace leopard::dse {

namespace {

struct MetricName {
  const char* canonical;
  const char* short_name;
  Metric metric;
};

constexpr MetricName kMetrics[] = {
    {"latency_s", "latency", Metric::kLatency},
    {"energy_j", "energy", Metric::kEnergy},
    {"energy_onchip_j", "energy_onchip", Metric::kEnergyOnchip},
    {"energy_dram_j", "energy_dram", Metric::kEnergyDram},
    {"area_mm2", "area", Metric::kArea},
    {"power_w", "power", Metric::kPower},
    {"edp_js", "edp", Metric::kEdp},
    {"speedup", "speedup", Metric::kSpeedup},
    {"energy_reduction", "energy_reduction", Metric::kEnergyReduction},
    {"latency_p50_s", "latency_p50", Metric::kLatencyP50},
    {"latency_p95_s", "latency_p95", Metric::kLatencyP95},
    {"latency_p99_s", "latency_p99", Metric::kLatencyP99},
    {"energy_p50_j", "energy_p50", Metric::kEnergyP50},
    {"energy_p99_j", "energy_p99", Metric::kEnergyP99},
};

std::string known_names() {
  std::string out;
  for (const auto& m : kMetrics) out += (out.empty() ? "" : ", ") + std::string(m.short_name);
  return out;
}

}  // namespace

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& m : kMetrics) v.emplace_back(m.canonical);
    return v;
  }();
  return names;
}

bool parse_metric(const std::string& name, Metric& out) {
  for (const auto& m : kMetrics) {
    if (name == m.canonical || name == m.short_name) {
      out = m.metric;
      return true;
    }
  }
  return false;
}

double metric_value(const results::SuiteMetrics& m, Metric metric) {
  switch (metric) {
    case Metric::kLatency:
      return m.latency_s;
    case Metric::kEnergy:
      return m.energy_j;
    case Metric::kEnergyOnchip:
      return m.energy_onchip_j;
    case Metric::kEnergyDram:
      return m.energy_dram_j;
    case Metric::kArea:
      return m.area_mm2;
    case Metric::kPower:
      return m.power_w;
    case Metric::kEdp:
      return m.edp_js;
    case Metric::kSpeedup:
      return m.speedup_geomean;
    case Metric::kEnergyReduction:
      return m.energy_reduction_geomean;
    case Metric::kLatencyP50:
      return m.latency_p50_s;
    case Metric::kLatencyP95:
      return m.latency_p95_s;
    case Metric::kLatencyP99:
      return m.latency_p99_s;
    case Metric::kEnergyP50:
      return m.energy_p50_j;
    case Metric::kEnergyP99:
      return m.energy_p99_j;
  }
  return 0.0;
}

bool Constraint::holds(const results::SuiteMetrics& m) const {
  const double v = metric_value(m, metric);
  switch (op) {
    case Op::kLess:
      return v < bound;
    case Op::kLessEqual:
      return v <= bound;
    case Op::kGreater:
      return v > bound;
    case Op::kGreaterEqual:
      return v >= bound;
  }
  return false;
}

double Constraint::violation(const results::SuiteMetrics& m) const {
  if (holds(m)) return 0.0;
  const double v = metric_value(m, metric);
  const double scale = std::max(std::abs(bound), 1e-300);
  const double gap = (op == Op::kLess || op == Op::kLessEqual) ? v - bound : bound - v;
  if (!std::isfinite(gap)) return 1e6;
  return std::max(gap / scale, 1e-12);  // a strict bound met with equality still counts
}

bool parse_objective(const std::string& text, Objective& out, std::string& reason) {
  std::string t = trim(text);
  out = Objective{};
  out.name = t;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    out.negate = t[0] == '-';
    t = trim(t.substr(1));
  }
  if (!parse_metric(t, out.metric)) {
    reason = "unknown objective '" + trim(text) + "' (expected one of " + known_names() +
             ", each optionally prefixed with '-' to maximise)";
    return false;
  }
  return true;
}

bool parse_constraint(const std::string& text, Constraint& out, std::string& reason) {
  out = Constraint{};
  out.text = trim(text);
  const auto pos = out.text.find_first_of("<>");
  if (pos == std::string::npos || pos == 0) {
    reason = "malformed constraint '" + out.text + "' (expected 'metric <|<=|>|>= number', e.g. " +
             "'area_mm2 <= 12')";
    return false;
  }
  std::size_t op_len = 1;
  const bool less = out.text[pos] == '<';
  if (pos + 1 < out.text.size() && out.text[pos + 1] == '=') op_len = 2;
  out.op = less ? (op_len == 2 ? Constraint::Op::kLessEqual : Constraint::Op::kLess)
                : (op_len == 2 ? Constraint::Op::kGreaterEqual : Constraint::Op::kGreater);
  const std::string name = trim(out.text.substr(0, pos));
  const std::string rhs = trim(out.text.substr(pos + op_len));
  if (!parse_metric(name, out.metric)) {
    reason = "constraint '" + out.text + "': unknown metric '" + name + "' (expected one of " +
             known_names() + ")";
    return false;
  }
  const auto bound = parse_double(rhs);
  if (!bound || !std::isfinite(*bound)) {
    reason = "malformed constraint '" + out.text + "': '" + rhs + "' is not a number";
    return false;
  }
  out.bound = *bound;
  return true;
}

}  // namespace leopard::dse
