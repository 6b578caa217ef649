// Nearest-rank quantiles of per-sample costs, and the tail summary of one task (or suite) that
// `eval`, the store and the sweep's objectives report.
//
// Method (docs/cost-model.md §13; Hyndman and Fan 1996, definition 1, the "nearest-rank" method,
// docs/references.md §6): for n values sorted ascending x_1 <= ... <= x_n, the p-th percentile is
// x_r with r = ceil(p n / 100), at least 1. It is always one of the values (never interpolated).
// For n < 100 the p99 rank is n: the p99 is the sample maximum; likewise the p95 for n < 20 and the
// p50 of n = 1 is the one value.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>

namespace leopard::models {

// 1-based nearest rank of the `percent`-th percentile of n values (n >= 1, percent in 1..100),
// computed in integers (no floating-point rounding of p n).
constexpr std::size_t nearest_rank(std::size_t n, int percent) {
  const std::size_t r = (n * static_cast<std::size_t>(percent) + 99) / 100;
  return std::max<std::size_t>(r, 1);
}

// The `percent`-th nearest-rank percentile of `values`, which must be sorted ascending, not empty.
inline double nearest_rank_quantile(std::span<const double> sorted, int percent) {
  return sorted[nearest_rank(sorted.size(), percent) - 1];
}

// True when the p99 of n samples is their maximum (nearest rank n), i.e. n < 100.
constexpr bool p99_is_sample_max(std::size_t n) { return nearest_rank(n, 99) == n; }

// Per-sample tail of a task: each sample priced on its own, nearest-rank percentiles over them.
// Without samples (samples == 1), every field is the task's single value. At suite level: sums of
// the tasks' percentiles (a conservative bound on the suite's own percentile), or their geometric
// means with `latency: geomean`.
struct SampleQuantiles {
  int samples = 1;  // inputs priced (1: the statistics carry no sample column)
  double latency_p50_s = 0;
  double latency_p95_s = 0;
  double latency_p99_s = 0;
  double energy_p50_j = 0;  // on-chip plus DRAM (on-chip only with onchip_only)
  double energy_p99_j = 0;

  static SampleQuantiles single(double latency_s, double energy_j) {
    return {1, latency_s, latency_s, latency_s, energy_j, energy_j};
  }
};

}  // namespace leopard::models
