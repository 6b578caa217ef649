// Issue 9, item 3: the streaming Pareto archive over 1e6 random points with 2, 3 and 4 objectives
// (uniform in the unit cube, and an anti-correlated set whose front is much larger).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "dse/pareto_archive.hpp"

namespace {

std::vector<double> points(int k, std::size_t n, bool anti) {
  std::mt19937_64 rng(7 + k + (anti ? 100 : 0));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> v(n * k);
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += (v[i * k + j] = u(rng));
    if (anti) {  // near the simplex sum = 1 (a thin band: many mutually non-dominated points)
      for (int j = 0; j < k; ++j) v[i * k + j] = v[i * k + j] / sum * (1 + 0.05 * u(rng));
    }
  }
  return v;
}

void run(benchmark::State& state, bool anti) {
  const int k = static_cast<int>(state.range(0));
  const std::size_t n = static_cast<std::size_t>(state.range(1));
  const std::vector<double> v = points(k, n, anti);
  std::size_t front = 0;
  for (auto _ : state) {
    leopard::dse::ParetoArchive archive(k);
    for (std::size_t i = 0; i < n; ++i) {
      archive.insert(static_cast<std::int64_t>(i), std::span<const double>(&v[i * k], k));
    }
    front = archive.size();
    benchmark::DoNotOptimize(front);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["front"] = static_cast<double>(front);
}

void BM_ParetoUniform(benchmark::State& state) { run(state, false); }
void BM_ParetoAntiCorrelated(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_ParetoUniform)->Args({2, 1000000})->Args({3, 1000000})->Args({4, 1000000})
    ->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_ParetoAntiCorrelated)->Args({2, 1000000})->Args({3, 50000})->Args({4, 20000})
    ->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
