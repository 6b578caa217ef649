// Closed forms on workload shapes and statistics.
#include "workloads/workload.hpp"

#include <algorithm>

namespace leopard::workloads {

namespace {

// sum_{j=1}^{n} min(j, cap) for n >= 0 (0 for n <= 0): the keys seen by queries whose causal
// horizon is 1..n, each capped at `cap` keys. Exact in double below 2^53 (a 131072-token prompt
// gives 8.6e9).
double capped_triangle(double n, double cap) {
  if (n <= 0) return 0;
  if (n <= cap) return n * (n + 1) / 2;
  return cap * (cap + 1) / 2 + (n - cap) * cap;
}

}  // namespace

double AttentionLayer::scores_per_head() const {
  const double q = static_cast<double>(std::max<std::int64_t>(q_len, 0));
  const double k = static_cast<double>(std::max<std::int64_t>(k_len, 0));
  // A query sees at most min(window, k_len) keys (no window: all k_len).
  const double cap = window > 0 ? std::min(static_cast<double>(window), k) : k;
  if (!causal) return q * cap;
  // Causal, bottom-right aligned (the last query row sees the last key): query i (0-based) of q_len
  // sees keys 0..(k_len - q_len + i), i.e. h_i = k_len - q_len + i + 1 keys (none when h_i <= 0),
  // at most `cap` of them. The horizons run over k_len - q_len + 1 .. k_len, so the sum is
  // T(k_len) - T(k_len - q_len) with T the capped triangle. q_len == k_len = S: S (S + 1) / 2;
  // q_len = 1 (decode): min(k_len, window).
  return capped_triangle(k, cap) - capped_triangle(k - q, cap);
}

double AttentionLayer::attention_macs() const { return 2.0 * heads * scores_per_head() * head_dim; }

double TerminationStats::mean_pruned_bits() const {
  double mean = 0;
  for (std::size_t b = 0; b < hist.size(); ++b) mean += hist[b] * static_cast<double>(b + 1);
  return mean;
}

}  // namespace leopard::workloads
