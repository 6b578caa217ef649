// ONNX model import: the attention layers of a static-shape ONNX graph, found by operator pattern,
// and the zoo entry derived from them (README.md, "Importing an ONNX model"). ONNX types stay
// inside workloads/onnx_import.cpp.
//
// Recognised pattern, per attention layer, in the main graph (not in If/Loop/Scan bodies nor in
// model-local functions):
//   S = MatMul(Q, KT)            Q [..., q_len, d], KT [..., d, k_len], both computed tensors (not
//                                weights); KT usually from a Transpose of K, read from its shape
//   S = Mul(S, c) | Div(S, c)    optional scale, c a one-element tensor (a scale applied to Q or K
//                                before the MatMul is upstream and needs no matching)
//   S = Add(S, M)                optional additive mask or bias, either operand order
//   S = Where(C, S, F) | Where(C, F, S)   optional mask select
//   S = Cast(S) | Identity(S)    pass-through, anywhere in the chain (at most 8 nodes in all)
//   P = Softmax(S)               over the last axis
//   P = Cast | Identity | Dropout(P)      optional, at most 4
//   O = MatMul(P, V)             V [..., k_len, d] (value head dim must equal d)
// Shapes (after ONNX shape inference) of rank 4 [batch, heads, seq, d] (rank >= 5: every dim
// between batch and the last two multiplies into heads); rank 3 [batch * heads, seq, d] is read
// with batch 1 (export with batch size 1); rank 2 is one head. Every dim must be a fixed number:
// graph inputs need static shapes, and shapes the graph computes from them (Shape -> Gather ->
// Concat -> Reshape, expand's ConstantOfShape / Equal / Where chains) are constant-folded
// (onnx_import_fold.hpp) before shape inference fixes them.
//
// Grouped-query attention (kv_heads): K and V may have fewer heads than Q, either broadcast in the
// MatMul (a size-1 head dim) or repeated between the K/V projection and the MatMuls: HF's
// repeat_kv (Unsqueeze -> Expand -> Reshape), PyTorch 1.13's static repeat_interleave (Split into
// H_kv slices, Unsqueeze / Expand / Reshape each, Concat) or Tile; kv_heads = K's heads / the
// repetition (see trace_kv in onnx_import.cpp). A dynamic repeat_interleave (a Loop) is refused.
// KV cache: a Concat of a graph input (the past keys or values) on the K or V path marks the layer
// causal (a decode step, q_len = 1, has no mask); q_len < k_len then.
//
// Causal: a layer is causal when its mask operands (the other input of an Add, the condition of a
// Where) are computed from a Trilu node or from a constant (initializer or Constant node) whose
// last two dims form a triangular matrix: one value strictly above the diagonal (aligned top-left
// or bottom-right), another on and below it (0 / -inf additive masks, boolean keep or drop masks,
// GPT-2's `bias` buffer through Slice). Anything else (padding masks from graph inputs, relative or
// ALiBi biases, sliding windows) is read as not causal.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "workloads/model_spec.hpp"
#include "workloads/workload.hpp"

namespace leopard::workloads {

struct OnnxModel {
  // In graph order, index 0..n-1; name = the QK^T MatMul node's name (its output tensor's name when
  // the node has none).
  std::vector<AttentionLayer> layers;
  // The zoo entry: layers, heads, kv_heads, head_dim, hidden = heads x head_dim, default_seq_len
  // = max_positions = k_len, causal (also when q_len != k_len: a KV-cache export), family llama
  // for grouped-query attention (gpt2 while ModelFamily has no llama), else gpt2 when causal, else
  // bert; ffn from the MLP weights (4 x hidden when not found).
  ModelSpec spec;
};

// True for a file named *.onnx (any case) or one whose first byte is 0x08, the tag of ModelProto's
// ir_version field that every ONNX exporter writes first (a JSON file cannot start with it).
bool looks_like_onnx(const std::filesystem::path& file);

// The attention layers of an ONNX file (they may differ in shape from layer to layer). Throws
// InputError naming the file (and node and tensor) when the file is not an ONNX model, a needed
// shape is symbolic or unknown, a matched pattern has inconsistent shapes, or no attention is
// found.
std::vector<AttentionLayer> read_onnx_attention(const std::filesystem::path& file);

// read_onnx_attention plus the zoo entry; `name` (may be empty: the file's stem) names it. Every
// layer must have the same heads, K/V heads, head dim, q_len, k_len and causality, else InputError
// naming the first layer that differs.
OnnxModel import_onnx(const std::filesystem::path& file, const std::string& name);

}  // namespace leopard::workloads
