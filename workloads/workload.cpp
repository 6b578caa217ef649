// Closed forms on workload shapes and statistics.
#include "workloads/workload.hpp"

#include <algorithm>

namespace leopard::workloads {

double AttentionLayer::scores_per_head() const {
  const double q = static_cast<double>(q_len);
  const double k = static_cast<double>(k_len);
  if (!causal) return q * k;
  // Query i (0-based) of q_len sees keys 0..(k_len - q_len + i): the last query row is aligned
  // with the last key (decoder self-attention when q_len == k_len).
  double total = 0;
  const double offset = k - q;
  // sum_{i=0}^{q-1} clamp(offset + i + 1, 0, k)
  for (std::int64_t i = 0; i < q_len; ++i) {
    total += std::clamp(offset + static_cast<double>(i) + 1.0, 0.0, k);
  }
  return total;
}

double AttentionLayer::attention_macs() const { return 2.0 * heads * scores_per_head() * head_dim; }

double TerminationStats::mean_pruned_bits() const {
  double mean = 0;
  for (std::size_t b = 0; b < hist.size(); ++b) mean += hist[b] * static_cast<double>(b + 1);
  return mean;
}

}  // namespace leopard::workloads
