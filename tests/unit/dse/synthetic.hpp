// A synthetic analytic design problem for strategy and driver tests: four axes, three conflicting
// objectives (latency-, energy- and area-like), some invalid combinations and a constraint.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "dse/optimizer.hpp"
#include "dse/sweep.hpp"

namespace leopard::dse::testing {

// 8 x 8 x 5 x 2 = 640 designs.
inline SearchSpace synthetic_space() { return SearchSpace{{8, 8, 5, 2}, 3}; }

inline Outcome synthetic_evaluate(std::int64_t index) {
  const SearchSpace s = synthetic_space();
  const auto d = s.decode(index);
  const double a = static_cast<double>(d[0]), b = static_cast<double>(d[1]);
  const double c = static_cast<double>(d[2]), e = static_cast<double>(d[3]);
  Outcome out;
  if (a + b > 12) return out;  // invalid combination (kInvalid)
  results::DesignRecord& r = out.record;
  r.design_index = index;
  r.design_hash = std::to_string(index);
  r.params = {{"a", std::to_string(d[0])}, {"b", std::to_string(d[1])}};
  // Shaped like the accelerator: a = compute units, b = bits per cycle, c = buffer size, e = fast
  // DRAM. Latency falls with compute and buffers, area grows with them, energy = dynamic (wider
  // steps waste work, small buffers refetch) + leakage x area x latency.
  const double area = 1.0 + 0.8 * (a + 1) * (1 + 0.15 * b) + 0.6 * c + 2.0 * e;
  const double latency = 40.0 / ((a + 1) * std::sqrt(b + 1)) + 3.0 / (c + 1) + (e > 0 ? 0.5 : 2.0);
  const double energy = 2.0 + 0.12 * b + 1.5 / (c + 1) - 0.3 * e + 0.02 * area * latency;
  r.metrics.latency_s = latency;
  r.metrics.energy_j = energy;
  r.metrics.area_mm2 = area;
  r.objectives = {latency, energy, area};
  out.violation = area > 14 ? (area - 14) / 14 : 0.0;
  r.metrics.feasible = out.violation == 0;
  out.status = r.metrics.feasible ? DesignStatus::kFeasible : DesignStatus::kInfeasible;
  return out;
}

}  // namespace leopard::dse::testing
