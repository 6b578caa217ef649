// Issue 9, item 2 (the part without a database): the grid sweep over dse/spaces/wide.yaml driven by
// dse::run_sweep with no store hook, on 1 and 2 threads, and where a design's time goes: the cost
// model alone (SuiteEvaluator::evaluate) vs the whole per-design adapter (SuiteDesignEvaluator:
// build, validate, price, metrics, params, hash). The database figures come from scripts/bench.sh.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench/bench_common.hpp"
#include "dse/optimizer.hpp"
#include "dse/suite_design_evaluator.hpp"
#include "dse/sweep.hpp"
#include "models/suite_evaluator.hpp"

namespace leopard::bench {
namespace {

// Designs per sweep run (the first N of the grid); LEOPARD_BENCH_SWEEP_BUDGET overrides, 0 = all.
std::int64_t budget() {
  const char* e = std::getenv("LEOPARD_BENCH_SWEEP_BUDGET");
  return e != nullptr ? std::atoll(e) : 200000;
}

struct SweepFixture {
  const Fixture& f = fixture();
  dse::DesignSpace space = dse::DesignSpace::load(leopard::data_path("dse/spaces/wide.yaml"));
  models::SuiteEvaluator model{f.suite, f.baseline, f.cal, models::EvalOptions{}};
  dse::SuiteDesignEvaluator adapter{space, model, false};
  std::vector<std::int64_t> valid;  // a sample of valid design indices
  SweepFixture() {
    for (std::int64_t i = 0; i < space.size() && valid.size() < 4096; i += 241) {
      if (adapter.evaluate(i).status != dse::DesignStatus::kInvalid) valid.push_back(i);
    }
  }
};

const SweepFixture& sf() {
  static const SweepFixture x;
  return x;
}

void BM_SweepNoDb(benchmark::State& state) {
  const auto& x = sf();
  dse::SweepSummary s;
  for (auto _ : state) {
    dse::SearchSpace search{x.space.radices(), static_cast<int>(x.space.objectives().size())};
    dse::OptimizerOptions oo;
    oo.budget = budget();
    auto opt = dse::make_optimizer("grid", search, oo);
    dse::SweepHooks hooks;
    hooks.evaluate = [&](std::int64_t i) { return x.adapter.evaluate(i); };
    dse::SweepOptions so;
    so.threads = static_cast<int>(state.range(0));
    so.num_objectives = search.num_objectives;
    s = dse::run_sweep(*opt, so, hooks);
  }
  const double n = static_cast<double>(s.designs + s.invalid);
  state.counters["designs"] = n;
  state.counters["designs/s"] =
      benchmark::Counter(n * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["pareto"] = static_cast<double>(s.pareto);
}

// One design through the adapter (what each sweep worker does per design).
void BM_AdapterEvaluate(benchmark::State& state) {
  const auto& x = sf();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x.adapter.evaluate(x.valid[i]));
    i = (i + 1) % x.valid.size();
  }
  state.SetItemsProcessed(state.iterations());
}

// The cost model alone on the same designs (spec built outside the timing).
void BM_ModelEvaluate(benchmark::State& state) {
  const auto& x = sf();
  std::vector<models::ArchSpec> specs(x.valid.size());
  for (std::size_t j = 0; j < specs.size(); ++j) x.space.build(x.valid[j], specs[j]);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x.model.evaluate(specs[i]));
    i = (i + 1) % specs.size();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AdapterEvaluate);
BENCHMARK(BM_ModelEvaluate);
BENCHMARK(BM_SweepNoDb)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace leopard::bench

BENCHMARK_MAIN();
