// Prepared inserts of design records.
#include "results/inserter.hpp"

#include "results/store.hpp"

namespace leopard::results {

DesignInserter::DesignInserter(Db& db)
    : db_(db),
      design_(db,
              "INSERT OR IGNORE INTO designs (run_id, design_index, design_hash, params) "
              "VALUES (?1, ?2, ?3, ?4)"),
      metrics_(db,
               "INSERT INTO metrics (design_id, latency_s, energy_j, energy_onchip_j, "
               "energy_dram_j, area_mm2, power_w, edp_js, speedup_geomean, "
               "energy_reduction_geomean, feasible, bottleneck, objectives, latency_p50_s, "
               "latency_p95_s, latency_p99_s, energy_p50_j, energy_p99_j, infeasible_reason, vdd) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
               "?17, ?18, ?19, ?20)"),
      task_(db,
            "INSERT OR REPLACE INTO task_metrics (design_id, model, task, cycles, latency_s, "
            "energy_j, energy_onchip_j, energy_dram_j, speedup, energy_reduction, bottleneck, "
            "qk_utilization, vpu_utilization, dram_utilization, samples, latency_p50_s, "
            "latency_p95_s, latency_p99_s, energy_p50_j, energy_p99_j, s_per_token, tokens_per_s, "
            "j_per_token, dram_bytes_per_token, dram_k_bytes_per_token, dram_v_bytes_per_token, "
            "s_per_token_p50, s_per_token_p99, j_per_token_p99) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
            "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"),
      breakdown_(db,
                 "INSERT OR REPLACE INTO breakdown (design_id, component, energy_j) "
                 "VALUES (?1, ?2, ?3)") {}

bool DesignInserter::insert(std::int64_t run_id, const DesignRecord& r) {
  // Serialise here only what the producer did not (the strings must outlive the steps below).
  if (r.params_json.empty()) scratch_params_ = params_json(r.params);
  if (r.objectives_json.empty()) scratch_objectives_ = doubles_json(r.objectives);
  const std::string& params = r.params_json.empty() ? scratch_params_ : r.params_json;
  const std::string& objectives =
      r.objectives_json.empty() ? scratch_objectives_ : r.objectives_json;
  design_.reset();
  design_.bind(1, run_id).bind(2, r.design_index).bind_view(3, r.design_hash);
  design_.bind_view(4, params);
  design_.run();
  if (db_.changes() == 0) return false;
  const std::int64_t design_id = db_.last_insert_rowid();
  const SuiteMetrics& m = r.metrics;
  metrics_.reset();
  metrics_.bind(1, design_id)
      .bind(2, m.latency_s)
      .bind(3, m.energy_j)
      .bind(4, m.energy_onchip_j)
      .bind(5, m.energy_dram_j)
      .bind(6, m.area_mm2)
      .bind(7, m.power_w)
      .bind(8, m.edp_js)
      .bind(9, m.speedup_geomean)
      .bind(10, m.energy_reduction_geomean)
      .bind(11, std::int64_t{m.feasible ? 1 : 0})
      .bind_view(12, m.bottleneck)
      .bind_view(13, objectives)
      .bind(14, m.latency_p50_s)
      .bind(15, m.latency_p95_s)
      .bind(16, m.latency_p99_s)
      .bind(17, m.energy_p50_j)
      .bind(18, m.energy_p99_j)
      .bind_view(19, m.infeasible_reason)
      .bind(20, m.vdd);
  metrics_.run();
  if (!r.tasks.empty() || !r.breakdown.empty()) write_details(design_id, r.tasks, r.breakdown);
  return true;
}

void DesignInserter::write_details(std::int64_t design_id,
                                   const std::vector<TaskMetricsRecord>& tasks,
                                   const std::vector<BreakdownRecord>& breakdown) {
  for (const TaskMetricsRecord& t : tasks) {
    task_.reset();
    task_.bind(1, design_id)
        .bind(2, t.model)
        .bind(3, t.task)
        .bind(4, t.cycles)
        .bind(5, t.latency_s)
        .bind(6, t.energy_j)
        .bind(7, t.energy_onchip_j)
        .bind(8, t.energy_dram_j)
        .bind(9, t.speedup)
        .bind(10, t.energy_reduction)
        .bind(11, t.bottleneck)
        .bind(12, t.qk_utilization)
        .bind(13, t.vpu_utilization)
        .bind(14, t.dram_utilization)
        .bind(15, t.samples)
        .bind(16, t.latency_p50_s)
        .bind(17, t.latency_p95_s)
        .bind(18, t.latency_p99_s)
        .bind(19, t.energy_p50_j)
        .bind(20, t.energy_p99_j)
        .bind(21, t.s_per_token)  // NaN (prefill) binds as NULL
        .bind(22, t.tokens_per_s)
        .bind(23, t.j_per_token)
        .bind(24, t.dram_bytes_per_token)
        .bind(25, t.dram_k_bytes_per_token)
        .bind(26, t.dram_v_bytes_per_token)
        .bind(27, t.s_per_token_p50)
        .bind(28, t.s_per_token_p99)
        .bind(29, t.j_per_token_p99);
    task_.run();
  }
  for (const BreakdownRecord& b : breakdown) {
    breakdown_.reset();
    breakdown_.bind(1, design_id).bind(2, b.component).bind(3, b.energy_j);
    breakdown_.run();
  }
}

}  // namespace leopard::results
