// SuiteEvaluator: precomputes the suite's task profiles and the baseline once, then prices
// designs over the whole suite.
#include "models/suite_evaluator.hpp"

#include <cmath>

#include "models/cost_model.hpp"

namespace leopard::models {

struct SuiteEvaluator::Impl {
  workloads::Suite suite;
  std::vector<TaskProfile> profiles;
  LeopardCostModel model;
  EvalOptions options;
  std::vector<TaskCost> baseline;
  std::vector<double> baseline_energy;  // task_energy(baseline[i].cost), computed once

  Impl(const workloads::Suite& s, Calibration cal, EvalOptions opt)
      : suite(s), model(cal), options(opt) {}

  double task_energy(const Cost& c) const {
    return options.onchip_only ? c.energy_onchip_pj() : c.energy_pj_total();
  }

  SuiteCost run(const ArchSpec& spec, std::vector<TaskCost>* detail) const {
    const DesignConstants k = derive_constants(spec, model.calibration());
    SuiteCost out;
    out.area_mm2 = k.area_mm2;
    out.physically_feasible = k.infeasible_reason.empty();
    out.infeasible_reason = k.infeasible_reason;
    out.vdd = k.vdd;
    out.fmax_mhz = k.fmax_mhz;
    out.fmax_violation = k.fmax_violation;
    double log_speed = 0, log_energy = 0, log_lat = 0, log_e = 0;
    int votes[3] = {0, 0, 0};
    const double n = static_cast<double>(profiles.size());
    for (std::size_t i = 0; i < profiles.size(); ++i) {
      // Hot path: no action counts (SuiteCost reads none), each energy sum once
      // (energy_onchip_pj() is total - dram), the per-task logs of the geometric means only when
      // asked, and no TaskCost (strings) unless details are.
      const Cost c = detail != nullptr ? model.evaluate(spec, k, profiles[i], options.onchip_only)
                                       : model.evaluate_without_actions(spec, k, profiles[i],
                                                                        options.onchip_only);
      const double total_pj = c.energy_pj_total();
      const double onchip_pj = total_pj - c.energy_dram_pj();
      const double e_pj = options.onchip_only ? onchip_pj : total_pj;
      out.latency_s += c.latency_s;
      out.energy_j += e_pj * 1e-12;
      out.energy_onchip_j += onchip_pj * 1e-12;
      out.energy_dram_j += c.energy_dram_pj() * 1e-12;
      if (options.geomean_latency) {
        log_lat += std::log(c.latency_s);
        log_e += std::log(e_pj * 1e-12);
      }
      if (!baseline.empty()) {
        log_speed += std::log(baseline[i].cost.latency_s / c.latency_s);
        log_energy += std::log(baseline_energy[i] / e_pj);
      }
      if (detail == nullptr) {
        ++votes[static_cast<int>(bottleneck_of(c, options.onchip_only))];
        continue;
      }
      TaskCost t = summarise(profiles[i].model, profiles[i].task, c, spec, options.onchip_only);
      ++votes[static_cast<int>(t.bottleneck)];
      if (!baseline.empty()) {
        t.speedup = baseline[i].cost.latency_s / c.latency_s;
        t.energy_reduction = baseline_energy[i] / e_pj;
      }
      detail->push_back(std::move(t));
    }
    out.power_w = out.latency_s > 0 ? out.energy_j / out.latency_s : 0;
    if (options.geomean_latency && n > 0) {
      out.latency_s = std::exp(log_lat / n);
      out.energy_j = std::exp(log_e / n);
    }
    if (n > 0) {
      out.speedup_geomean = std::exp(log_speed / n);
      out.energy_reduction_geomean = std::exp(log_energy / n);
    }
    int best = 0;
    for (int b = 1; b < 3; ++b) {
      if (votes[b] > votes[best]) best = b;
    }
    out.bottleneck = static_cast<Bottleneck>(best);
    return out;
  }
};

SuiteEvaluator::SuiteEvaluator(const workloads::Suite& suite, const ArchSpec& baseline,
                               Calibration calibration, EvalOptions options)
    : impl_(std::make_unique<Impl>(suite, calibration, options)) {
  for (const auto& t : suite.tasks) impl_->profiles.push_back(precompute_task(t));
  std::vector<TaskCost> base;
  impl_->run(baseline, &base);
  for (auto& t : base) {
    t.speedup = 1;
    t.energy_reduction = 1;
  }
  impl_->baseline = std::move(base);
  for (const auto& t : impl_->baseline)
    impl_->baseline_energy.push_back(impl_->task_energy(t.cost));
}

SuiteEvaluator::~SuiteEvaluator() = default;
SuiteEvaluator::SuiteEvaluator(SuiteEvaluator&&) noexcept = default;

SuiteCost SuiteEvaluator::evaluate(const ArchSpec& spec) const { return impl_->run(spec, nullptr); }

SuiteCost SuiteEvaluator::evaluate_detailed(const ArchSpec& spec,
                                            std::vector<TaskCost>& tasks) const {
  tasks.clear();
  return impl_->run(spec, &tasks);
}

const workloads::Suite& SuiteEvaluator::suite() const { return impl_->suite; }
const std::vector<TaskCost>& SuiteEvaluator::baseline_tasks() const { return impl_->baseline; }

}  // namespace leopard::models
