// The batched (Eigen array) evaluation equals the single-design reference path.
#include "models/batch_evaluator.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "models/calibration.hpp"
#include "workloads/suite.hpp"

using namespace leopard;
using namespace leopard::models;

TEST_CASE("batched evaluation equals the single-design path on the paper suite",
          "[models][batch]") {
  const Calibration cal = load_calibration(default_calibration_path()).values;
  const workloads::Suite suite = workloads::load_suite("paper");
  std::mt19937_64 rng(11);
  auto pick = [&](std::initializer_list<int> v) {
    std::vector<int> xs(v);
    return xs[std::uniform_int_distribution<std::size_t>(0, xs.size() - 1)(rng)];
  };
  std::vector<ArchSpec> specs;
  std::vector<DesignConstants> constants;
  for (int i = 0; i < 64; ++i) {
    ArchSpec s = load_arch(i % 3 == 0 ? "baseline" : "leopard-ae");
    if (i % 3 != 0) {
      s.tiles = pick({1, 2, 4});
      s.qk.dpus = pick({2, 6, 8, 16});
      s.qk.lanes = pick({16, 32, 64});
      s.qk.bits = pick({8, 12});  // 8 < the histograms' 12 bits: the reference fallback
      s.qk.bits_per_cycle = pick({1, 2, 4});
      s.v.macs = pick({16, 64, 128});
      s.buffers.key_kib = pick({8, 48, 96});
      s.dram.double_buffer = i % 2 == 0;
      s.qk.early_termination = i % 5 != 0;
    }
    specs.push_back(s);
    constants.push_back(derive_constants(s, cal));
  }
  const LeopardCostModel model(cal);
  for (const bool onchip : {true, false}) {
    for (const auto& task : suite.tasks) {
      const TaskProfile profile = precompute_task(task);
      const BatchCost batch = evaluate_batch(specs, constants, cal, profile, onchip);
      for (std::size_t i = 0; i < specs.size(); ++i) {
        const Cost c = model.evaluate(specs[i], constants[i], profile, onchip);
        INFO(task.model << "/" << task.task << " design " << i << " onchip " << onchip);
        CHECK(batch.latency_s[static_cast<Eigen::Index>(i)] == Approx(c.latency_s).epsilon(1e-9));
        CHECK(batch.energy_pj[static_cast<Eigen::Index>(i)] ==
              Approx(c.energy_pj_total()).epsilon(1e-9));
        CHECK(batch.energy_dram_pj[static_cast<Eigen::Index>(i)] ==
              Approx(c.energy_dram_pj()).epsilon(1e-9).margin(1e-9));
      }
    }
  }
}
