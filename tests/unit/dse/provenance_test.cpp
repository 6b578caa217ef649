// Build-time provenance: the model fingerprint covers the cost model's sources and data and
// nothing else, and physical infeasibility reaches the sweep's feasibility with its magnitude.
#include "dse/provenance.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <regex>

#include "dse/space.hpp"
#include "dse/suite_design_evaluator.hpp"
#include "models/calibration.hpp"
#include "models/suite_evaluator.hpp"
#include "workloads/suite.hpp"

using namespace leopard;

TEST_CASE("the model fingerprint is a SHA-256 over the model's files only", "[dse][provenance]") {
  CHECK(std::regex_match(dse::model_fingerprint(), std::regex("[0-9a-f]{64}")));
  const auto& files = dse::model_fingerprint_files();
  const auto has = [&](const char* f) {
    return std::find(files.begin(), files.end(), f) != files.end();
  };
  CHECK(has("models/cost.hpp"));
  CHECK(has("models/leopard_cost_model.cpp"));
  CHECK(has("models/data/calibration_65nm.yaml"));
  CHECK(has("models/presets/leopard-ae.yaml"));
  CHECK(has("workloads/workload.hpp"));
  for (const auto& f : files) {
    INFO(f);
    const bool model = f.rfind("models/", 0) == 0 || f.rfind("workloads/workload.", 0) == 0 ||
                       f.rfind("workloads/data/", 0) == 0;
    CHECK(model);
    CHECK(f.find("README") == std::string::npos);
    CHECK(f.find(".md") == std::string::npos);
  }
  CHECK(std::is_sorted(files.begin(), files.end()));
  CHECK_FALSE(dse::build_git_revision().empty());  // a revision or "unknown"
  CHECK_THAT(dse::version_text(), Catch::Contains(dse::model_fingerprint()) &&
                                      Catch::Contains(dse::build_git_revision()));
}

TEST_CASE("a clock above f_max makes a design infeasible with the f_max violation",
          "[dse][feasibility]") {
  // Clock 800 MHz meets f_max at 1.0 V (the node's sign-off); 1000 MHz does not; with vdd auto
  // 1000 MHz is still beyond f_max at the top of the range (65 nm), 600 MHz needs less supply.
  const dse::DesignSpace space = dse::DesignSpace::parse(
      "base: leopard-ae\nfixed: {tech.vdd: auto}\naxes:\n  clock_mhz: [600, 800, 1000]\n"
      "constraints: [\"area_mm2 <= 1000\"]\nobjectives: [latency, energy]\n",
      "space.yaml", ".");
  const workloads::Suite suite = workloads::load_suite("paper");
  const models::SuiteEvaluator model(
      suite, models::load_arch("baseline"),
      models::load_calibration(models::default_calibration_path()).values, {});
  const dse::SuiteDesignEvaluator evaluator(space, model, true);
  for (std::int64_t i = 0; i < space.size(); ++i) {
    models::ArchSpec spec;
    space.build(i, spec);
    const models::SuiteCost cost = model.evaluate(spec);
    const dse::Outcome out = evaluator.evaluate(i);
    INFO(spec.clock_mhz);
    CHECK(out.record.metrics.vdd == cost.vdd);
    CHECK(out.record.metrics.infeasible_reason == cost.infeasible_reason);
    CHECK(out.record.metrics.feasible == cost.physically_feasible);
    if (cost.physically_feasible) {
      CHECK(out.status == dse::DesignStatus::kFeasible);
      CHECK(out.violation == 0);
    } else {
      CHECK(out.status == dse::DesignStatus::kInfeasible);
      // The magnitude NSGA-II sees: clock / f_max - 1, as the model computes f_max.
      CHECK(out.violation == Approx(spec.clock_mhz / cost.fmax_mhz - 1));
      CHECK_THAT(out.record.metrics.infeasible_reason, Catch::Contains("f_max"));
      CHECK(out.record.objectives.size() == 2);  // still priced
      CHECK(out.record.metrics.latency_s > 0);
    }
  }
  models::ArchSpec fast, slow;
  space.build(2, fast);
  space.build(0, slow);
  CHECK_FALSE(evaluator.evaluate(2).record.metrics.feasible);  // 1000 MHz at 65 nm
  CHECK(evaluator.evaluate(0).record.metrics.feasible);        // 600 MHz
  CHECK(evaluator.evaluate(0).record.metrics.vdd < evaluator.evaluate(1).record.metrics.vdd);
  // A design that is physically feasible but violates a constraint is infeasible with no reason.
  const dse::DesignSpace tight = dse::DesignSpace::parse(
      "base: leopard-ae\naxes:\n  clock_mhz: [800]\nconstraints: [\"area_mm2 <= 1\"]\n"
      "objectives: [latency]\n",
      "space.yaml", ".");
  const dse::SuiteDesignEvaluator tight_eval(tight, model, false);
  const dse::Outcome t = tight_eval.evaluate(0);
  CHECK(t.status == dse::DesignStatus::kInfeasible);
  CHECK(t.record.metrics.infeasible_reason.empty());
  CHECK_FALSE(t.record.metrics.feasible);
  // Decode columns are absent for the paper suite's prefill tasks.
  for (const auto& task : evaluator.evaluate(1).record.tasks) CHECK(std::isnan(task.s_per_token));
}

TEST_CASE("decode tasks reach the store's per-task columns in SI units", "[dse][decode]") {
  const dse::DesignSpace space = dse::DesignSpace::parse(
      "base: leopard-ae\naxes:\n  qk.dpus: [6]\nobjectives: [latency]\n", "space.yaml", ".");
  const workloads::Suite suite = workloads::load_suite("llm");
  const models::SuiteEvaluator model(
      suite, models::load_arch("baseline"),
      models::load_calibration(models::default_calibration_path()).values, {});
  const dse::SuiteDesignEvaluator evaluator(space, model, true);
  models::ArchSpec spec;
  space.build(0, spec);
  std::vector<models::TaskCost> costs;
  model.evaluate_detailed(spec, costs);
  const dse::Outcome out = evaluator.evaluate(0);
  REQUIRE(out.record.tasks.size() == costs.size());
  int decode = 0;
  for (std::size_t i = 0; i < costs.size(); ++i) {
    const auto& c = costs[i];
    const auto& r = out.record.tasks[i];
    INFO(c.model << "/" << c.task);
    if (!c.decode) {
      CHECK(std::isnan(r.s_per_token));
      CHECK(std::isnan(r.j_per_token_p99));
      continue;
    }
    ++decode;
    CHECK(r.s_per_token == Approx(c.ms_per_token / 1e3));
    CHECK(r.tokens_per_s == Approx(c.tokens_per_s));
    CHECK(r.j_per_token == Approx(c.uj_per_token / 1e6));
    CHECK(r.dram_bytes_per_token == Approx(c.dram_bytes_per_token));
    CHECK(r.dram_k_bytes_per_token == Approx(c.dram_k_bytes_per_token));
    CHECK(r.dram_v_bytes_per_token == Approx(c.dram_v_bytes_per_token));
    CHECK(r.s_per_token_p50 == Approx(c.ms_per_token_p50 / 1e3));
    CHECK(r.s_per_token_p99 == Approx(c.ms_per_token_p99 / 1e3));
    CHECK(r.j_per_token_p99 == Approx(c.uj_per_token_p99 / 1e6));
    CHECK(r.s_per_token > 0);
  }
  CHECK(decode >= 1);
}
