// The model graph: a DAG of operators with tensor shapes, on Boost.Graph (kept inside workloads/).
// Attention layers are extracted from the graph by pattern (QK^T -> softmax -> PV).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "workloads/model_spec.hpp"
#include "workloads/workload.hpp"

namespace leopard::workloads {

enum class OpKind {
  kInput,
  kEmbedding,
  kQProj,
  kKProj,
  kVProj,
  kScores /* QK^T */,
  kSoftmax,
  kContext /* PV */,
  kOutProj,
  kFfnUp,
  kFfnDown,
  kActivation,
  kNorm,
  kResidualAdd,
  kMemoryHop,
  kOutput
};
std::string to_string(OpKind kind);

struct Operator {
  std::string name;  // unique, e.g. "layer3.qk"
  OpKind kind = OpKind::kInput;
  int layer = -1;                   // -1 outside the blocks
  std::vector<std::int64_t> shape;  // output tensor shape, e.g. {heads, q_len, k_len}
  double macs = 0;                  // multiply-accumulates (dense)
  double bytes_in = 0;              // operand bytes read at 16 bits per element (roofline use)
  double bytes_out = 0;
  // attention operators only
  int heads = 0;
  int kv_heads = 0;  // K/V heads (GQA); equals heads for multi-head attention
  int head_dim = 0;
  bool causal = false;
  std::int64_t window = 0;  // sliding window (keys per query), 0 = none
};

class ModelGraph {
 public:
  ModelGraph();
  ~ModelGraph();
  ModelGraph(ModelGraph&&) noexcept;
  ModelGraph& operator=(ModelGraph&&) noexcept;

  // Adds an operator; returns its vertex id.
  std::size_t add(Operator op);
  // Adds a data edge (producer -> consumer).
  void connect(std::size_t from, std::size_t to);

  std::size_t size() const;
  const Operator& op(std::size_t id) const;
  std::vector<std::size_t> successors(std::size_t id) const;
  std::vector<std::size_t> predecessors(std::size_t id) const;
  // Topological order (throws RuntimeError on a cycle).
  std::vector<std::size_t> topological_order() const;
  // Attention layers found by pattern: a kScores operator whose successor is a kSoftmax feeding a
  // kContext operator. Sorted by layer index.
  std::vector<AttentionLayer> attention_layers() const;
  // Operators that are not part of an attention pattern (projections, FFN, norms, ...).
  std::vector<std::size_t> non_attention_ops() const;
  // Graphviz text.
  std::string to_dot(const std::string& graph_name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds the operator graph of a model at a sequence length (tokens; for ViT, 0 means the model's
// own token count; for MemN2N, the memory size): the prefill of a decoder. Lengths above
// max_positions are built (the caller warns). Throws InputError for an impossible length.
ModelGraph build_graph(const ModelSpec& spec, std::int64_t seq_len);

// One decode step of a causal model (gpt2, llama): `batch` sequences each add one token that
// attends to `context` keys (its KV cache plus itself), so every attention operator has q_len 1,
// k_len context (one sequence's shape; its MACs and bytes count the batch). Projections and FFN
// run on `batch` rows. Throws InputError for a non-causal model or a non-positive size.
ModelGraph build_decode_graph(const ModelSpec& spec, std::int64_t context, std::int64_t batch);

}  // namespace leopard::workloads
