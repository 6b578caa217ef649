// resolve_operating_point (a template: the timing check is inlined into derive_constants).
// Formulas: docs/cost-model.md §11.2.
#pragma once

#include <cmath>

#include "models/tech.hpp"

namespace leopard::models {

template <class TimingCheck>
OperatingPoint resolve_operating_point(const TechSettings& t, double clock_mhz,
                                       TimingCheck&& timing_ok) {
  OperatingPoint op;
  const auto check = [&](double vdd, OperatingPoint& out) {
    out.vdd = vdd;
    out.fmax_mhz = fmax_mhz(t, vdd);
    out.fmax_violation = out.fmax_mhz > 0 ? std::max(0.0, clock_mhz / out.fmax_mhz - 1) : 1e9;
    if (clock_mhz > out.fmax_mhz) {
      out.infeasible_reason = format_fmax_reason(clock_mhz, out.fmax_mhz, vdd, t.node_nm);
    } else {
      out.infeasible_reason = timing_ok(vdd);
    }
    return out.infeasible_reason.empty();
  };
  if (t.vdd > 0) {
    check(t.vdd, op);
    return op;
  }
  const NodeParams n = node_params(t.node_nm);
  // 10 mV steps on an integer grid of millivolts, so that 1.00 V is exactly 1.0. A supply whose
  // f_max is below the clock is skipped without building its reason (a sweep's designs would
  // otherwise format a string per step); the first that meets the clock gets the full check.
  const long lo = std::lround(std::ceil(n.vdd_min * 100 - 1e-9));
  const long hi = std::lround(std::floor(n.vdd_max * 100 + 1e-9));
  for (long cv = lo; cv <= hi; ++cv) {
    const double vdd = static_cast<double>(cv) / 100.0;
    if (clock_mhz > fmax_mhz(t, vdd)) continue;
    if (check(vdd, op)) return op;
  }
  check(static_cast<double>(hi) / 100.0, op);  // nothing closes: the top of the range, infeasible
  return op;
}

}  // namespace leopard::models
