// A plain reference implementation of the LeOPArd cost model (issue 9, item 6): the same formulas as
// models/leopard_cost_model.cpp and models/suite_evaluator.cpp written the obvious way, to show what
// the engine's design buys. Per evaluation it rebuilds the design's constants for every task, walks
// every head of every layer (no shared-head or repeated-layer shortcut), recomputes the termination
// steps from the histograms, solves Blom's order statistic by Newton's method, and allocates freely.
// Only the baseline's per-task costs are kept (as any tool would). It must give the engine's numbers:
// the benchmarks check this in their setup and abort otherwise. Keep it in step with the model.
#pragma once

#include <vector>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost.hpp"
#include "models/suite_evaluator.hpp"
#include "workloads/workload.hpp"

namespace leopard::bench {

class ReferenceSuiteModel {
 public:
  ReferenceSuiteModel(const workloads::Suite& suite, const models::ArchSpec& baseline,
                      const models::Calibration& cal, models::EvalOptions options);
  models::SuiteCost evaluate(const models::ArchSpec& spec) const;
  // One task (constants rebuilt).
  models::Cost evaluate_task(const models::ArchSpec& spec, const workloads::TaskWorkload& t) const;

 private:
  models::SuiteCost run(const models::ArchSpec& spec, std::vector<models::Cost>* costs) const;
  workloads::Suite suite_;
  models::Calibration cal_;
  models::EvalOptions options_;
  std::vector<models::Cost> baseline_;
};

// Largest relative difference between two suite costs over every numeric field; +inf when the
// bottlenecks differ.
double max_rel_diff(const models::SuiteCost& a, const models::SuiteCost& b);

}  // namespace leopard::bench
