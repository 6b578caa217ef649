// Issue 9, item 4: `profile`'s bit-serial emulation (emulate_heads fast path) on a [12, 512, 64]
// Q/K pair at 12 bits: scores emulated per second, on 1 and 2 threads and on each kernel; the
// scalar reference beside it.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "workloads/profile/bitserial.hpp"

namespace {

namespace prof = leopard::workloads::profile;

constexpr int kHeads = 12, kSeq = 512, kDim = 64, kBits = 12;

struct Data {
  std::vector<std::int32_t> q, k;  // [heads][seq][dim]
  std::vector<prof::HeadJob> jobs;
  Data() {
    std::mt19937_64 rng(3);
    const std::int32_t m = static_cast<std::int32_t>(prof::max_magnitude(kBits));
    std::uniform_int_distribution<std::int32_t> u(-m, m);
    const std::size_t n = static_cast<std::size_t>(kHeads) * kSeq * kDim;
    q.resize(n);
    k.resize(n);
    for (auto& x : q) x = u(rng);
    for (auto& x : k) x = u(rng);
    // Threshold at one standard deviation of q.k: about 84% of the scores are pruned, as in the
    // paper's workloads (sd = sqrt(d) x E[x^2] with E[x^2] = m (m + 1) / 3).
    const double sd = std::sqrt(static_cast<double>(kDim)) * m * (m + 1.0) / 3.0;
    for (int h = 0; h < kHeads; ++h) {
      const std::size_t off = static_cast<std::size_t>(h) * kSeq * kDim;
      jobs.push_back({{q.data() + off, kSeq, kDim},
                      {k.data() + off, kSeq, kDim},
                      static_cast<std::int64_t>(sd)});
    }
  }
};

const Data& data() {
  static const Data d;
  return d;
}

void BM_EmulateHeads(benchmark::State& state) {
  const auto& d = data();
  prof::EmulationOptions o;
  o.n_bits = kBits;
  o.threads = static_cast<int>(state.range(0));
  std::int64_t pruned = 0, scores = 0;
  for (auto _ : state) {
    const auto counts = prof::emulate_heads(d.jobs, o);
    pruned = scores = 0;
    for (const auto& c : counts) {
      pruned += c.n_pruned;
      scores += c.n_scores;
    }
  }
  state.SetItemsProcessed(state.iterations() * scores);
  state.counters["scores/s/thread"] = benchmark::Counter(
      static_cast<double>(state.iterations() * scores) / static_cast<double>(o.threads),
      benchmark::Counter::kIsRate);
  state.counters["prune_rate"] = static_cast<double>(pruned) / static_cast<double>(scores);
}

// One thread on each kernel of the fast path (arg: 1 generic, 2 SSE2, 3 AVX2, as in
// prof::EmulationKernel); BM_EmulateHeads/1 runs the one emulate_heads() picks for this CPU.
void BM_EmulateKernel(benchmark::State& state) {
  const auto& d = data();
  prof::EmulationOptions o;
  o.n_bits = kBits;
  o.threads = 1;
  o.kernel = static_cast<prof::EmulationKernel>(state.range(0));
  if (!prof::emulation_kernel_available(o.kernel)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  std::int64_t scores = 0;
  for (auto _ : state) {
    scores = 0;
    for (const auto& c : prof::emulate_heads(d.jobs, o)) scores += c.n_scores;
  }
  state.SetItemsProcessed(state.iterations() * scores);
}

// The scalar reference on one head (first 64 query rows), for comparison; also checks that the
// fast path gives the same counts.
void BM_EmulateReference(benchmark::State& state) {
  const auto& d = data();
  prof::HeadJob job = d.jobs[0];
  job.q.rows = 64;
  prof::EmulationOptions o;
  o.n_bits = kBits;
  o.threads = 1;
  if (!(prof::emulate_heads({job}, o)[0] == prof::emulate_head_reference(job, kBits, false))) {
    std::fprintf(stderr, "fast path and reference disagree\n");
    std::abort();
  }
  std::int64_t scores = 0;
  for (auto _ : state) {
    const auto c = prof::emulate_head_reference(job, kBits, false);
    scores = c.n_scores;
  }
  state.SetItemsProcessed(state.iterations() * scores);
}

BENCHMARK(BM_EmulateHeads)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EmulateKernel)->DenseRange(1, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EmulateReference)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
