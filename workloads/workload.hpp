// The workload the cost model prices: per task, the attention layers (shapes extracted from a model
// graph) and their measured or synthesised pruning statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leopard::workloads {

// Shape of one attention layer, as extracted from a model graph (never stored beside it).
struct AttentionLayer {
  int index = 0;     // 0-based layer (or MemN2N hop) index
  std::string name;  // graph node name of the QK^T operator, e.g. "layer3.qk"
  int heads = 0;
  int head_dim = 0;
  std::int64_t q_len = 0;  // query rows
  std::int64_t k_len = 0;  // keys per row (before causal masking)
  bool causal = false;
  // Grouped-query attention: K/V heads of the layer (heads / kv_heads query heads share one K/V
  // head, PyTorch's repeat_interleave order: query head h uses K/V head h / (heads / kv_heads)).
  // 0 means kv_heads == heads (multi-head attention).
  int kv_heads = 0;
  // Sliding-window attention: a query sees at most this many keys (itself included); 0 = none.
  std::int64_t window = 0;

  int kv_heads_or_heads() const { return kv_heads > 0 ? kv_heads : heads; }

  // Scores computed per head: q_len * k_len, or the lower triangle (with diagonal) when causal
  // (for q_len == k_len: S (S + 1) / 2).
  double scores_per_head() const;
  // MACs of QK^T plus PV for the whole layer: 2 x heads x scores x head_dim (dense).
  double attention_macs() const;
};

// Pruning statistics of one head (or of every head of a layer).
struct TerminationStats {
  double n_scores = 0;  // scores computed
  double n_pruned = 0;  // scores below the threshold
  // hist[b - 1] = fraction of the pruned scores that terminate after K bit b (b = 1..n_bits),
  // at one bit per step (B = 1). Sums to 1 when n_pruned > 0. For B bits per cycle a score
  // terminating at bit b takes ceil(b / B) steps (docs/paper-facts.md §2, derived;
  // docs/cost-model.md §3.1).
  std::vector<double> hist;
  // Optional (statistics CSV columns a1..aN, `profile --plane-block`): plane_alive[b - 1] =
  // measured share of K bit-plane blocks (keys stored in bit planes, a block = N keys) that are
  // still needed at bit b, because some score of the block's GQA group is undecided there. Empty =
  // not measured (a model then estimates it assuming independent scores).
  std::vector<double> plane_alive;

  double prune_rate() const { return n_scores > 0 ? n_pruned / n_scores : 0.0; }
  int n_bits() const { return static_cast<int>(hist.size()); }
  // Mean termination bit of pruned scores (0 when nothing is pruned).
  double mean_pruned_bits() const;
};

struct LayerWorkload {
  AttentionLayer shape;
  // One entry per head (size == shape.heads). A layer-level statistics row is copied to every head.
  std::vector<TerminationStats> heads;
};

// Prefill: the prompt's seq_len tokens at once (q_len = k_len = seq_len). Decode: one query row per
// sequence and step against a KV cache (q_len = 1, k_len = context at the first generated token).
enum class Phase { kPrefill, kDecode };

struct TaskWorkload {
  std::string model;  // zoo name
  std::string task;
  std::int64_t seq_len = 0;  // prefill: prompt tokens; decode: context (== the statistics' seq_len)
  Phase phase = Phase::kPrefill;
  std::int64_t context = 0;  // decode: keys the first generated token attends to (cache + itself)
  int generate = 1;  // decode: tokens generated; k_len runs from context to context+generate-1
  int batch = 1;     // decode: sequences decoded together, each with its own KV cache
  std::vector<LayerWorkload> layers;
  // Optional per-sample workloads (same shapes) when the statistics carry a sample column; empty
  // otherwise. `layers` then holds the pooled statistics over all samples.
  std::vector<std::vector<LayerWorkload>> samples;
};

struct Suite {
  std::string name;
  std::string source;  // file it came from
  std::vector<TaskWorkload> tasks;
  // Non-fatal findings of loading (e.g. a sequence beyond a model's max_positions), one message
  // each ("file:line: ..."); the library never prints them, the CLI does.
  std::vector<std::string> warnings;
};

}  // namespace leopard::workloads
