// Not a benchmark: prints the engine's results for the benchmark designs with 17 significant digits
// (suite costs in both methodologies, and every per-task field of the detailed path), so that an
// optimisation of the hot path can be checked bit for bit: diff the output before and after.
#include <cstdio>

#include "bench/bench_common.hpp"
#include "models/cost_model.hpp"
#include "models/suite_evaluator.hpp"

int main() {
  using namespace leopard;
  const auto& f = bench::fixture();
  std::vector<models::ArchSpec> specs = f.designs;
  for (const char* p : {"baseline", "leopard-ae", "leopard-hp"}) specs.push_back(models::load_arch(p));
  for (bool onchip : {false, true}) {
    for (bool geo : {false, true}) {
      models::EvalOptions o;
      o.onchip_only = onchip;
      o.geomean_latency = geo;
      const models::SuiteEvaluator e(f.suite, f.baseline, f.cal, o);
      std::vector<models::TaskCost> tasks;
      for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto c = e.evaluate(specs[i]);
        std::printf("%d%d %zu %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d\n", onchip, geo, i,
                    c.latency_s, c.energy_j, c.energy_onchip_j, c.energy_dram_j, c.area_mm2,
                    c.power_w, c.speedup_geomean, c.energy_reduction_geomean,
                    static_cast<int>(c.bottleneck));
        const auto d = e.evaluate_detailed(specs[i], tasks);
        if (d.latency_s != c.latency_s || d.energy_j != c.energy_j) std::printf("DETAIL MISMATCH\n");
        for (const auto& t : tasks) {
          std::printf(" %s/%s %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d", t.model.c_str(),
                      t.task.c_str(), t.cost.cycles, t.cost.compute_cycles, t.cost.front_cycles,
                      t.cost.back_cycles, t.cost.stall_cycles, t.cost.dram_cycles, t.speedup,
                      t.energy_reduction, t.qk_utilization, t.achieved_gops, static_cast<int>(t.bottleneck));
          for (double x : t.cost.energy_pj) std::printf(" %.17g", x);
          const auto& a = t.cost.actions;
          for (double x : {a.scores, a.survivors, a.qk_unit_steps, a.qk_idle_steps, a.k_bits_read,
                           a.v_bits_read, a.macs, a.softmax_ops, a.fifo_ops, a.sram_bits_written,
                           a.dram_bytes, a.dense_macs}) {
            std::printf(" %.17g", x);
          }
          std::printf("\n");
        }
      }
    }
  }
  return 0;
}
