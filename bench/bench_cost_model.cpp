// The cost model on one layer, one task and the whole paper suite.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_common.hpp"
#include "models/cost_model.hpp"
#include "models/suite_evaluator.hpp"

namespace leopard::bench {
namespace {

constexpr double kTolerance = 1e-12;  // relative, every SuiteCost field

struct CostFixture {
  const Fixture& f = fixture();
  models::EvalOptions opt;
  models::SuiteEvaluator engine{f.suite, f.baseline, f.cal, opt};
  models::LeopardCostModel model{f.cal};
  std::vector<models::DesignConstants> constants;
  models::TaskProfile task;   // bert-base / CoLA (12 layers, S = 512)
  models::TaskProfile layer;  // its first layer alone
  std::size_t task_index = 0;
  double layers = 0, heads = 0;  // per suite evaluation

  CostFixture() {
    for (const auto& d : f.designs) constants.push_back(models::derive_constants(d, f.cal));
    for (std::size_t i = 0; i < f.suite.tasks.size(); ++i) {
      const auto& t = f.suite.tasks[i];
      if (t.model == "bert-base" && t.task == "CoLA") task_index = i;
      layers += static_cast<double>(t.layers.size());
      for (const auto& l : t.layers) heads += l.shape.heads;
    }
    task = models::precompute_task(f.suite.tasks[task_index]);
    layer = task;
    layer.layers.resize(1);
    layer.layers[0].repeat = 1;
  }
};

const CostFixture& cf() {
  static const CostFixture x;
  return x;
}

void BM_DeriveConstants(benchmark::State& state) {
  const auto& x = cf();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(models::derive_constants(x.f.designs[i], x.f.cal));
    i = (i + 1) % x.f.designs.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Layer(benchmark::State& state) {
  const auto& x = cf();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x.model.evaluate(x.f.designs[i], x.constants[i], x.layer, false));
    i = (i + 1) % x.f.designs.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Task(benchmark::State& state) {
  const auto& x = cf();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x.model.evaluate(x.f.designs[i], x.constants[i], x.task, false));
    i = (i + 1) % x.f.designs.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["layer_evals/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * x.f.suite.tasks[x.task_index].layers.size(),
      benchmark::Counter::kIsRate);
}

void BM_Suite(benchmark::State& state) {
  const auto& x = cf();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x.engine.evaluate(x.f.designs[i]));
    i = (i + 1) % x.f.designs.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["layer_evals/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * x.layers, benchmark::Counter::kIsRate);
}

void BM_SuiteDetailed(benchmark::State& state) {
  const auto& x = cf();
  std::size_t i = 0;
  std::vector<models::TaskCost> tasks;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x.engine.evaluate_detailed(x.f.designs[i], tasks));
    i = (i + 1) % x.f.designs.size();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_DeriveConstants);
BENCHMARK(BM_Layer);
BENCHMARK(BM_Task);
BENCHMARK(BM_Suite);
BENCHMARK(BM_Suite)->Threads(2)->UseRealTime();
BENCHMARK(BM_SuiteDetailed);

}  // namespace
}  // namespace leopard::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const auto& x = leopard::bench::cf();  // loads the suite
  std::fprintf(stderr,
               "paper suite: %zu tasks, %.0f layers, %.0f heads; bert-base/CoLA: %zu distinct "
               "layer profiles\n",
               x.f.suite.tasks.size(), x.layers, x.heads, x.task.layers.size());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
