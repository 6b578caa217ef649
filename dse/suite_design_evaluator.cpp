// SuiteDesignEvaluator: builds the design, validates it, prices it over the suite, and converts the
// cost model's SuiteCost into the store's SuiteMetrics plus objectives and constraint feasibility.
#include "dse/suite_design_evaluator.hpp"

#include <algorithm>

#include "results/json_text.hpp"
#include "workloads/core/error.hpp"

namespace leopard::dse {

namespace {

// The violation of a design that is physically infeasible for a reason that has no natural
// magnitude (a buffer bank's access time beyond the cycle): small, but > 0.
constexpr double kPhysicalViolation = 1e-3;

results::SuiteMetrics to_metrics(const models::SuiteCost& c) {
  results::SuiteMetrics m;
  m.latency_s = c.latency_s;
  m.energy_j = c.energy_j;
  m.energy_onchip_j = c.energy_onchip_j;
  m.energy_dram_j = c.energy_dram_j;
  m.area_mm2 = c.area_mm2;
  m.power_w = c.power_w;
  m.edp_js = c.energy_j * c.latency_s;
  m.speedup_geomean = c.speedup_geomean;
  m.energy_reduction_geomean = c.energy_reduction_geomean;
  m.bottleneck = models::to_string(c.bottleneck);
  m.latency_p50_s = c.quantiles.latency_p50_s;
  m.latency_p95_s = c.quantiles.latency_p95_s;
  m.latency_p99_s = c.quantiles.latency_p99_s;
  m.energy_p50_j = c.quantiles.energy_p50_j;
  m.energy_p99_j = c.quantiles.energy_p99_j;
  m.infeasible_reason = c.infeasible_reason;
  m.vdd = c.vdd;
  return m;
}

}  // namespace

SuiteDesignEvaluator::SuiteDesignEvaluator(const DesignSpace& space,
                                           const models::SuiteEvaluator& evaluator,
                                           bool task_details)
    : space_(space), evaluator_(evaluator), task_details_(task_details) {
  for (const auto& task : evaluator.suite().tasks) {
    for (const auto& layer : task.layers)
      max_head_dim_ = std::max(max_head_dim_, layer.shape.head_dim);
  }
}

Outcome SuiteDesignEvaluator::evaluate(std::int64_t index) const {
  Outcome out;
  models::ArchSpec spec;
  space_.build(index, spec);
  models::SuiteCost cost;
  std::vector<results::TaskMetricsRecord> tasks;
  std::vector<results::BreakdownRecord> breakdown;
  try {
    models::validate_arch(spec, max_head_dim_);
    if (task_details_) {
      details(index, tasks, breakdown);
    }
    cost = evaluator_.evaluate(spec);
  } catch (const InputError&) {
    out.status = DesignStatus::kInvalid;
    return out;
  }
  auto& r = out.record;
  r.design_index = index;
  r.design_hash = space_.design_hash(index);
  r.params_json = space_.params_json(index);  // serialised here, on the evaluation threads
  r.metrics = to_metrics(cost);
  // Physics first: a clock above f_max adds its relative excess (clock / f_max - 1) to the
  // violation, as a constraint does; a design infeasible for another physical reason (a buffer
  // bank slower than the cycle) adds kPhysicalViolation, so that NSGA-II still ranks it below
  // every feasible design. Infeasible designs are priced and stored all the same.
  if (!cost.physically_feasible) {
    out.violation += cost.fmax_violation > 0 ? cost.fmax_violation : kPhysicalViolation;
  }
  for (const auto& c : space_.constraints()) out.violation += c.violation(r.metrics);
  r.metrics.feasible = out.violation == 0;
  out.status = r.metrics.feasible ? DesignStatus::kFeasible : DesignStatus::kInfeasible;
  r.objectives.reserve(space_.objectives().size());
  for (const auto& o : space_.objectives()) r.objectives.push_back(o.value(r.metrics));
  r.objectives_json = results::doubles_json(r.objectives);
  r.tasks = std::move(tasks);
  r.breakdown = std::move(breakdown);
  return out;
}

void SuiteDesignEvaluator::details(std::int64_t index,
                                   std::vector<results::TaskMetricsRecord>& tasks,
                                   std::vector<results::BreakdownRecord>& breakdown) const {
  models::ArchSpec spec;
  space_.build(index, spec);
  std::vector<models::TaskCost> costs;
  evaluator_.evaluate_detailed(spec, costs);
  tasks.clear();
  breakdown.clear();
  std::array<double, models::kNumComponents> energy{};
  for (const auto& t : costs) {
    results::TaskMetricsRecord r;
    r.model = t.model;
    r.task = t.task;
    r.cycles = t.cost.cycles;
    r.latency_s = t.cost.latency_s;
    r.energy_j = t.cost.energy_pj_total() * 1e-12;
    r.energy_onchip_j = t.cost.energy_onchip_pj() * 1e-12;
    r.energy_dram_j = t.cost.energy_dram_pj() * 1e-12;
    r.speedup = t.speedup;
    r.energy_reduction = t.energy_reduction;
    r.bottleneck = models::to_string(t.bottleneck);
    r.qk_utilization = t.qk_utilization;
    r.vpu_utilization = t.vpu_utilization;
    r.dram_utilization = t.dram_utilization;
    r.samples = t.quantiles.samples;
    r.latency_p50_s = t.quantiles.latency_p50_s;
    r.latency_p95_s = t.quantiles.latency_p95_s;
    r.latency_p99_s = t.quantiles.latency_p99_s;
    r.energy_p50_j = t.quantiles.energy_p50_j;
    r.energy_p99_j = t.quantiles.energy_p99_j;
    if (t.decode) {  // SI units, as the store's other columns
      r.s_per_token = t.ms_per_token * 1e-3;
      r.tokens_per_s = t.tokens_per_s;
      r.j_per_token = t.uj_per_token * 1e-6;
      r.dram_bytes_per_token = t.dram_bytes_per_token;
      r.dram_k_bytes_per_token = t.dram_k_bytes_per_token;
      r.dram_v_bytes_per_token = t.dram_v_bytes_per_token;
      r.s_per_token_p50 = t.ms_per_token_p50 * 1e-3;
      r.s_per_token_p99 = t.ms_per_token_p99 * 1e-3;
      r.j_per_token_p99 = t.uj_per_token_p99 * 1e-6;
    }
    tasks.push_back(std::move(r));
    for (int c = 0; c < models::kNumComponents; ++c)
      energy[static_cast<std::size_t>(c)] += t.cost.energy_pj[static_cast<std::size_t>(c)];
  }
  for (int c = 0; c < models::kNumComponents; ++c) {
    breakdown.push_back({models::to_string(static_cast<models::Component>(c)),
                         energy[static_cast<std::size_t>(c)] * 1e-12});
  }
}

}  // namespace leopard::dse
