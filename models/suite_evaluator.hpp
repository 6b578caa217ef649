// Prices one architecture over a whole suite, with everything that does not depend on the design
// precomputed once (termination steps per B, per-layer sums, the baseline's costs). This is the
// per-design hot path of a sweep: thread-safe, no allocation in evaluate().
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost.hpp"
#include "workloads/workload.hpp"

namespace leopard::models {

struct EvalOptions {
  bool onchip_only = false;      // the paper's methodology: no DRAM time or energy
  bool geomean_latency = false;  // suite latency/energy as geometric mean instead of sum
  // Price every task with the readable reference (LeopardCostModel::evaluate_reference, one head
  // at a time, no memo) instead of the fast path: for the equality tests and the benchmarks.
  bool reference = false;
};

// Suite-level result of one design (sums over tasks unless geomean was asked).
struct SuiteCost {
  double latency_s = 0;
  double energy_j = 0;
  double energy_onchip_j = 0;
  double energy_dram_j = 0;
  double area_mm2 = 0;
  double power_w = 0;          // energy / latency over the suite
  double speedup_geomean = 0;  // vs the baseline on the same suite
  double energy_reduction_geomean = 0;
  Bottleneck bottleneck = Bottleneck::kFrontEnd;  // most common over tasks
  // Sums over tasks of each task's per-sample percentiles (geometric means with geomean_latency).
  // latency_p99_s is the suite's time when every task meets its p99 input at once: exact when the
  // tasks' tails coincide, and above the p99 of the suite's total for independent tasks with
  // ordinary tails (a conservative figure, though quantiles are not subadditive in general).
  // Without samples in the suite these equal latency_s and energy_j.
  SampleQuantiles quantiles;
  // Physical feasibility of the design itself (independent of any space's constraints): the clock
  // must not exceed f_max at the supply used, and every buffer bank must be accessible within a
  // cycle. Infeasible designs are still priced. `infeasible_reason` is empty when feasible, else
  // e.g. "clock 1000 MHz > f_max 800 MHz at 1.00 V, 65 nm".
  bool physically_feasible = true;
  std::string infeasible_reason;
  double vdd = 0;             // supply used (V): tech.vdd, or the one `tech.vdd: auto` picked
  double fmax_mhz = 0;        // f_max at that supply and node
  double fmax_violation = 0;  // max(0, clock / f_max - 1) (NSGA-II's violation magnitude)
};

class SuiteEvaluator {
 public:
  // `baseline` is the reference design (usually the `baseline` preset) for speedups.
  SuiteEvaluator(const workloads::Suite& suite, const ArchSpec& baseline, Calibration calibration,
                 EvalOptions options);
  ~SuiteEvaluator();
  SuiteEvaluator(SuiteEvaluator&&) noexcept;

  SuiteCost evaluate(const ArchSpec& spec) const;
  // Per-task costs as well (for storing Pareto designs and for `eval`).
  SuiteCost evaluate_detailed(const ArchSpec& spec, std::vector<TaskCost>& tasks) const;

  const workloads::Suite& suite() const;
  // True when at least one task has per-sample statistics (they are priced one by one).
  bool has_samples() const;
  const std::vector<TaskCost>& baseline_tasks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leopard::models
