// The per-sample tail's cost: the paper suite (43 tasks) priced with and without 10 samples per
// task. Samples are priced one by one at the per-task speed, so a suite evaluation with S samples
// per task costs about 1 + S pooled ones; this reports designs/s for both.
//
// Sample generator (deterministic): sample s of task t copies the task's statistics (the paper
// suite's Fig. 8 histograms, unchanged) with the prune rate of every head moved by one offset
// per (task, sample) drawn uniformly from [-0.1, +0.1] by std::mt19937_64 seeded 2026 (tasks and
// samples in suite order), clamped to [0, 0.99]. One offset per sample models an input that prunes
// more or less everywhere (the "pruning rate changes from input to input").
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "bench/bench_common.hpp"
#include "models/suite_evaluator.hpp"

namespace leopard::bench {
namespace {

constexpr int kSamples = 10;
constexpr std::uint64_t kSeed = 2026;
constexpr double kJitter = 0.1;

workloads::Suite with_samples(const workloads::Suite& suite, int samples) {
  workloads::Suite out = suite;
  std::mt19937_64 rng(kSeed);
  std::uniform_real_distribution<double> offset(-kJitter, kJitter);
  for (auto& t : out.tasks) {
    for (int s = 0; s < samples; ++s) {
      const double d = offset(rng);
      std::vector<workloads::LayerWorkload> layers = t.layers;
      for (auto& l : layers) {
        for (auto& h : l.heads) h.n_pruned = h.n_scores * std::clamp(h.prune_rate() + d, 0.0, 0.99);
      }
      t.samples.push_back(std::move(layers));
    }
  }
  return out;
}

struct TailFixture {
  const Fixture& f = fixture();
  models::EvalOptions opt;
  workloads::Suite sampled = with_samples(f.suite, kSamples);
  models::SuiteEvaluator pooled{f.suite, f.baseline, f.cal, opt};
  models::SuiteEvaluator tail{sampled, f.baseline, f.cal, opt};
};

const TailFixture& tf() {
  static const TailFixture x;
  return x;
}

void run(benchmark::State& state, const models::SuiteEvaluator& ev) {
  const auto& designs = tf().f.designs;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ev.evaluate(designs[i]));
    i = (i + 1) % designs.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["designs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_SuiteNoSamples(benchmark::State& state) { run(state, tf().pooled); }
void BM_SuiteSamples10(benchmark::State& state) { run(state, tf().tail); }

BENCHMARK(BM_SuiteNoSamples);
BENCHMARK(BM_SuiteSamples10);

}  // namespace
}  // namespace leopard::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const auto& x = leopard::bench::tf();
  const auto c = x.tail.evaluate(x.f.designs[0]);
  std::fprintf(stderr,
               "paper suite: %zu tasks x %d samples (seed %llu); design 0: latency %.4g s, "
               "p50 %.4g s, p99 %.4g s\n",
               x.sampled.tasks.size(), leopard::bench::kSamples,
               static_cast<unsigned long long>(leopard::bench::kSeed), c.latency_s,
               c.quantiles.latency_p50_s, c.quantiles.latency_p99_s);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
