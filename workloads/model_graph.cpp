// The operator DAG of a model on Boost.Graph, its per-family builders and attention extraction.
#include "workloads/model_graph.hpp"

#include <algorithm>
#include <array>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/graph/topological_sort.hpp>
#include <iterator>
#include <set>
#include <sstream>

#include "workloads/core/error.hpp"

namespace leopard::workloads {

std::string to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kInput:
      return "input";
    case OpKind::kEmbedding:
      return "embedding";
    case OpKind::kQProj:
      return "q_proj";
    case OpKind::kKProj:
      return "k_proj";
    case OpKind::kVProj:
      return "v_proj";
    case OpKind::kScores:
      return "scores";
    case OpKind::kSoftmax:
      return "softmax";
    case OpKind::kContext:
      return "context";
    case OpKind::kOutProj:
      return "out_proj";
    case OpKind::kFfnUp:
      return "ffn_up";
    case OpKind::kFfnDown:
      return "ffn_down";
    case OpKind::kActivation:
      return "activation";
    case OpKind::kNorm:
      return "norm";
    case OpKind::kResidualAdd:
      return "residual_add";
    case OpKind::kMemoryHop:
      return "memory_hop";
    case OpKind::kOutput:
      return "output";
  }
  return "unknown";
}

struct ModelGraph::Impl {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Operator>;
  Graph graph;
};

ModelGraph::ModelGraph() : impl_(std::make_unique<Impl>()) {}
ModelGraph::~ModelGraph() = default;
ModelGraph::ModelGraph(ModelGraph&&) noexcept = default;
ModelGraph& ModelGraph::operator=(ModelGraph&&) noexcept = default;

std::size_t ModelGraph::add(Operator op) { return boost::add_vertex(std::move(op), impl_->graph); }

void ModelGraph::connect(std::size_t from, std::size_t to) {
  if (from >= size() || to >= size()) throw RuntimeError("ModelGraph::connect: no such operator");
  boost::add_edge(from, to, impl_->graph);
}

std::size_t ModelGraph::size() const { return boost::num_vertices(impl_->graph); }

const Operator& ModelGraph::op(std::size_t id) const {
  if (id >= size()) throw RuntimeError("ModelGraph::op: no such operator");
  return impl_->graph[id];
}

std::vector<std::size_t> ModelGraph::successors(std::size_t id) const {
  std::vector<std::size_t> out;
  for (auto [it, end] = boost::adjacent_vertices(id, impl_->graph); it != end; ++it) {
    out.push_back(*it);
  }
  return out;
}

std::vector<std::size_t> ModelGraph::predecessors(std::size_t id) const {
  std::vector<std::size_t> out;
  for (auto [it, end] = boost::in_edges(id, impl_->graph); it != end; ++it) {
    out.push_back(boost::source(*it, impl_->graph));
  }
  return out;
}

std::vector<std::size_t> ModelGraph::topological_order() const {
  std::vector<std::size_t> reversed;
  try {
    boost::topological_sort(impl_->graph, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    throw RuntimeError("model graph has a cycle");
  }
  return {reversed.rbegin(), reversed.rend()};
}

namespace {

// (scores, softmax, context) vertex triples matching QK^T -> softmax -> PV.
std::vector<std::array<std::size_t, 3>> attention_patterns(const ModelGraph& g) {
  std::vector<std::array<std::size_t, 3>> found;
  for (std::size_t v = 0; v < g.size(); ++v) {
    if (g.op(v).kind != OpKind::kScores) continue;
    for (std::size_t s : g.successors(v)) {
      if (g.op(s).kind != OpKind::kSoftmax) continue;
      for (std::size_t c : g.successors(s)) {
        if (g.op(c).kind == OpKind::kContext) {
          found.push_back({v, s, c});
          break;
        }
      }
      break;
    }
  }
  return found;
}

}  // namespace

std::vector<AttentionLayer> ModelGraph::attention_layers() const {
  std::vector<AttentionLayer> layers;
  for (const auto& match : attention_patterns(*this)) {
    const Operator& scores = op(match[0]);
    if (scores.shape.size() != 3) {
      throw RuntimeError("attention operator '" + scores.name + "' has no {heads, q, k} shape");
    }
    AttentionLayer layer;
    layer.index = scores.layer;
    layer.name = scores.name;
    layer.heads = scores.heads;
    layer.kv_heads = scores.kv_heads > 0 ? scores.kv_heads : scores.heads;
    layer.head_dim = scores.head_dim;
    layer.q_len = scores.shape[1];
    layer.k_len = scores.shape[2];
    layer.causal = scores.causal;
    layer.window = scores.window;
    layers.push_back(std::move(layer));
  }
  std::stable_sort(layers.begin(), layers.end(),
                   [](const auto& a, const auto& b) { return a.index < b.index; });
  return layers;
}

std::vector<std::size_t> ModelGraph::non_attention_ops() const {
  std::set<std::size_t> in_pattern;
  for (const auto& match : attention_patterns(*this)) in_pattern.insert(match.begin(), match.end());
  std::vector<std::size_t> out;
  for (std::size_t v = 0; v < size(); ++v) {
    if (!in_pattern.count(v)) out.push_back(v);
  }
  return out;
}

namespace {

std::string dot_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

std::string ModelGraph::to_dot(const std::string& graph_name) const {
  const auto& graph = impl_->graph;
  std::ostringstream out;
  auto vertex_writer = [&graph](std::ostream& os, std::size_t v) {
    const Operator& o = graph[v];
    const bool attention =
        o.kind == OpKind::kScores || o.kind == OpKind::kSoftmax || o.kind == OpKind::kContext;
    os << "[label=\"" << dot_escape(o.name) << "\\n"
       << to_string(o.kind) << " " << shape_text(o.shape) << "\""
       << (attention ? ", style=filled, fillcolor=lightblue" : "") << "]";
  };
  auto graph_writer = [&graph_name](std::ostream& os) {
    os << "label=\"" << dot_escape(graph_name) << "\";\nnode [shape=box];\n";
  };
  boost::write_graphviz(out, graph, vertex_writer, boost::default_writer(), graph_writer);
  return out.str();
}

// --- builders
// -------------------------------------------------------------------------------------

namespace {

// Activations and weights are costed at 16 bits per element (brief of issue 2: roofline estimate).
constexpr double kBytesPerElement = 2.0;

double elems(std::initializer_list<std::int64_t> dims) {
  double n = 1;
  for (auto d : dims) n *= static_cast<double>(d);
  return n;
}

class Builder {
 public:
  explicit Builder(ModelGraph& g) : g_(g) {}

  // Adds an operator reading `in_elems` elements and writing its shape; connects its inputs.
  std::size_t add(std::string name, OpKind kind, int layer, std::vector<std::int64_t> shape,
                  double macs, double in_elems, const std::vector<std::size_t>& inputs) {
    return insert(make(std::move(name), kind, layer, std::move(shape), macs, in_elems), inputs);
  }

  // QK^T -> softmax -> PV for one layer; returns the context (PV) operator. `kv_heads` K/V heads
  // serve the `heads` query heads (GQA; K and V are read once per K/V head); `window` caps the keys
  // per query (0: none); `batch` independent sequences of this shape (decode), each with its own
  // K/V: the operator's shape is one sequence's, its MACs and bytes the whole batch's.
  std::size_t attention(const std::string& prefix, int layer, int heads, int kv_heads, int head_dim,
                        std::int64_t q_len, std::int64_t k_len, bool causal, std::int64_t window,
                        std::int64_t batch, std::size_t q, std::size_t k, std::size_t v) {
    AttentionLayer shape;
    shape.index = layer;
    shape.heads = heads;
    shape.head_dim = head_dim;
    shape.q_len = q_len;
    shape.k_len = k_len;
    shape.causal = causal;
    shape.kv_heads = kv_heads;
    shape.window = window;
    // Scores per head: S_q x S_k, the causal band, capped by the window (workload.cpp closed form).
    const double scores = shape.scores_per_head();
    const double b = static_cast<double>(batch);
    auto tag = [&](Operator op) {
      op.heads = heads;
      op.kv_heads = kv_heads;
      op.head_dim = head_dim;
      op.causal = causal;
      op.window = window;
      return op;
    };
    // QK^T: one head_dim-long dot product per score; reads Q and K.
    const std::size_t qk = insert(
        tag(make(prefix + ".qk", OpKind::kScores, layer, {heads, q_len, k_len},
                 b * heads * scores * head_dim,
                 b * (elems({heads, q_len, head_dim}) + elems({kv_heads, k_len, head_dim})))),
        {q, k});
    const std::size_t sm = insert(tag(make(prefix + ".softmax", OpKind::kSoftmax, layer,
                                           {heads, q_len, k_len}, 0, b * heads * scores)),
                                  {qk});
    // PV: each surviving score scales one head_dim-long V row; reads P and V.
    return insert(tag(make(prefix + ".pv", OpKind::kContext, layer, {heads, q_len, head_dim},
                           b * heads * scores * head_dim,
                           b * (heads * scores + elems({kv_heads, k_len, head_dim})))),
                  {sm, v});
  }

  // A dense projection [rows x in] x [in x out] reading activations and weights.
  std::size_t linear(std::string name, OpKind kind, int layer, std::int64_t rows, std::int64_t in,
                     std::int64_t out, const std::vector<std::size_t>& inputs) {
    return add(std::move(name), kind, layer, {rows, out}, elems({rows, in, out}),
               elems({rows, in}) + elems({in, out}), inputs);
  }

  // An element-wise operator over [rows x width] with `arity` inputs of that size.
  std::size_t elementwise(std::string name, OpKind kind, int layer, std::int64_t rows,
                          std::int64_t width, double arity,
                          const std::vector<std::size_t>& inputs) {
    return add(std::move(name), kind, layer, {rows, width}, 0, arity * elems({rows, width}),
               inputs);
  }

 private:
  static Operator make(std::string name, OpKind kind, int layer, std::vector<std::int64_t> shape,
                       double macs, double in_elems) {
    Operator op;
    op.name = std::move(name);
    op.kind = kind;
    op.layer = layer;
    double out_elems = 1;
    for (auto d : shape) out_elems *= static_cast<double>(d);
    op.shape = std::move(shape);
    op.macs = macs;
    op.bytes_in = in_elems * kBytesPerElement;
    op.bytes_out = out_elems * kBytesPerElement;
    return op;
  }

  std::size_t insert(Operator op, const std::vector<std::size_t>& inputs) {
    const std::size_t id = g_.add(std::move(op));
    for (std::size_t from : inputs) g_.connect(from, id);
    return id;
  }

  ModelGraph& g_;
};

// Embedding front end of a transformer; returns the operator producing [S x hidden].
std::size_t build_embedding(Builder& b, const ModelSpec& spec, std::int64_t s) {
  const std::int64_t hidden = spec.hidden;
  if (spec.family == ModelFamily::kVit) {
    const std::int64_t channels = 3;  // RGB input images (ViT, Dosovitskiy et al. 2021)
    const std::int64_t patch = spec.patch_size;
    const std::size_t in =
        b.add("input", OpKind::kInput, -1, {channels, spec.image_size, spec.image_size}, 0, 0, {});
    // Patch embedding: a stride-p convolution = one [(S-1) x 3p^2] x [3p^2 x hidden] product; the
    // CLS token and position embeddings are added to it.
    const std::size_t patches = b.linear("patch_embed", OpKind::kEmbedding, -1, s - 1,
                                         channels * patch * patch, hidden, {in});
    return b.elementwise("pos_embed", OpKind::kEmbedding, -1, s, hidden, 2, {patches});
  }
  const std::int64_t width = spec.embedding > 0 ? spec.embedding : hidden;
  const std::size_t in = b.add("input", OpKind::kInput, -1, {s}, 0, 0, {});
  // Token + position (+ segment) lookups: gathered rows, no MACs.
  std::size_t x = b.add("embed", OpKind::kEmbedding, -1, {s, width}, 0, elems({s}), {in});
  if (width != hidden) {
    // ALBERT's factorised embedding: an [S x E] x [E x hidden] projection.
    x = b.linear("embed_proj", OpKind::kEmbedding, -1, s, width, hidden, {x});
  }
  if (spec.family == ModelFamily::kBert || spec.family == ModelFamily::kAlbert) {
    x = b.elementwise("embed_norm", OpKind::kNorm, -1, s, hidden, 1, {x});
  }
  return x;
}

// The token rows a pass processes and its attention shape. Prefill: rows = q_len = k_len = S,
// batch 1. Decode step: rows = batch (one new token per sequence), q_len 1, k_len = context.
struct Pass {
  std::int64_t rows = 0;
  std::int64_t q_len = 0;
  std::int64_t k_len = 0;
  std::int64_t batch = 1;
};

int kv_heads_of(const ModelSpec& spec) { return spec.kv_heads > 0 ? spec.kv_heads : spec.heads; }

// One transformer block. Post-norm (BERT, ALBERT) or pre-norm (GPT-2, ViT).
std::size_t build_block(Builder& b, const ModelSpec& spec, int l, const Pass& pass, std::size_t x) {
  const std::string p = "layer" + std::to_string(l);
  const std::int64_t s = pass.rows;
  const std::int64_t hidden = spec.hidden;
  const int kv_heads = kv_heads_of(spec);
  const std::int64_t inner = static_cast<std::int64_t>(spec.heads) * spec.head_dim;
  const std::int64_t kv_inner = static_cast<std::int64_t>(kv_heads) * spec.head_dim;
  const bool pre_norm = spec.family == ModelFamily::kGpt2 || spec.family == ModelFamily::kVit;
  const std::size_t a_in =
      pre_norm ? b.elementwise(p + ".norm1", OpKind::kNorm, l, s, hidden, 1, {x}) : x;
  const std::size_t q = b.linear(p + ".q_proj", OpKind::kQProj, l, s, hidden, inner, {a_in});
  const std::size_t k = b.linear(p + ".k_proj", OpKind::kKProj, l, s, hidden, kv_inner, {a_in});
  const std::size_t v = b.linear(p + ".v_proj", OpKind::kVProj, l, s, hidden, kv_inner, {a_in});
  const std::size_t ctx =
      b.attention(p, l, spec.heads, kv_heads, spec.head_dim, pass.q_len, pass.k_len, spec.causal,
                  spec.window_of(l), pass.batch, q, k, v);
  const std::size_t o = b.linear(p + ".out_proj", OpKind::kOutProj, l, s, inner, hidden, {ctx});
  std::size_t h = b.elementwise(p + ".add1", OpKind::kResidualAdd, l, s, hidden, 2, {x, o});
  if (!pre_norm) h = b.elementwise(p + ".norm1", OpKind::kNorm, l, s, hidden, 1, {h});
  const std::size_t f_in =
      pre_norm ? b.elementwise(p + ".norm2", OpKind::kNorm, l, s, hidden, 1, {h}) : h;
  const std::int64_t ffn = spec.ffn;
  const std::size_t up = b.linear(p + ".ffn_up", OpKind::kFfnUp, l, s, hidden, ffn, {f_in});
  const std::size_t act = b.elementwise(p + ".gelu", OpKind::kActivation, l, s, ffn, 1, {up});
  const std::size_t down = b.linear(p + ".ffn_down", OpKind::kFfnDown, l, s, ffn, hidden, {act});
  std::size_t out = b.elementwise(p + ".add2", OpKind::kResidualAdd, l, s, hidden, 2, {h, down});
  if (!pre_norm) out = b.elementwise(p + ".norm2", OpKind::kNorm, l, s, hidden, 1, {out});
  return out;
}

// One Llama-style block (Touvron et al. 2023; HF LlamaDecoderLayer): RMSNorm pre-norm, causal
// grouped-query attention (q_proj to heads x head_dim, k_proj and v_proj to kv_heads x head_dim,
// o_proj back to hidden) with an optional sliding window, then the gated FFN of three matrices:
// down(act(gate(x)) * up(x)) (SiLU for Llama, Mistral, Qwen2, Phi-3; GELU for Gemma: same shapes).
std::size_t build_llama_block(Builder& b, const ModelSpec& spec, int l, const Pass& pass,
                              std::size_t x) {
  const std::string p = "layer" + std::to_string(l);
  const std::int64_t s = pass.rows;
  const std::int64_t hidden = spec.hidden;
  const int kv_heads = kv_heads_of(spec);
  const std::int64_t inner = static_cast<std::int64_t>(spec.heads) * spec.head_dim;
  const std::int64_t kv_inner = static_cast<std::int64_t>(kv_heads) * spec.head_dim;
  const std::size_t a_in = b.elementwise(p + ".input_norm", OpKind::kNorm, l, s, hidden, 1, {x});
  const std::size_t q = b.linear(p + ".q_proj", OpKind::kQProj, l, s, hidden, inner, {a_in});
  const std::size_t k = b.linear(p + ".k_proj", OpKind::kKProj, l, s, hidden, kv_inner, {a_in});
  const std::size_t v = b.linear(p + ".v_proj", OpKind::kVProj, l, s, hidden, kv_inner, {a_in});
  const std::size_t ctx = b.attention(p, l, spec.heads, kv_heads, spec.head_dim, pass.q_len,
                                      pass.k_len, true, spec.window_of(l), pass.batch, q, k, v);
  const std::size_t o = b.linear(p + ".o_proj", OpKind::kOutProj, l, s, inner, hidden, {ctx});
  const std::size_t h = b.elementwise(p + ".add1", OpKind::kResidualAdd, l, s, hidden, 2, {x, o});
  const std::size_t f_in =
      b.elementwise(p + ".post_attention_norm", OpKind::kNorm, l, s, hidden, 1, {h});
  const std::int64_t ffn = spec.ffn;
  const std::size_t gate = b.linear(p + ".gate_proj", OpKind::kFfnUp, l, s, hidden, ffn, {f_in});
  const std::size_t up = b.linear(p + ".up_proj", OpKind::kFfnUp, l, s, hidden, ffn, {f_in});
  const std::size_t act = b.elementwise(p + ".act", OpKind::kActivation, l, s, ffn, 1, {gate});
  const std::size_t gated =
      b.elementwise(p + ".gate_mul", OpKind::kActivation, l, s, ffn, 2, {act, up});
  const std::size_t down = b.linear(p + ".down_proj", OpKind::kFfnDown, l, s, ffn, hidden, {gated});
  return b.elementwise(p + ".add2", OpKind::kResidualAdd, l, s, hidden, 2, {h, down});
}

void build_transformer(Builder& b, const ModelSpec& spec, const Pass& pass) {
  const std::int64_t s = pass.rows;
  std::size_t x = build_embedding(b, spec, s);
  for (int l = 0; l < spec.layers; ++l) {
    x = spec.family == ModelFamily::kLlama ? build_llama_block(b, spec, l, pass, x)
                                           : build_block(b, spec, l, pass, x);
  }
  if (spec.family == ModelFamily::kGpt2 || spec.family == ModelFamily::kVit ||
      spec.family == ModelFamily::kLlama) {
    x = b.elementwise("final_norm", OpKind::kNorm, -1, s, spec.hidden, 1, {x});
  }
  b.add("output", OpKind::kOutput, -1, {s, spec.hidden}, 0, elems({s, spec.hidden}), {x});
}

// MemN2N (Sukhbaatar et al., NeurIPS 2015), one attention per hop over the memory.
//
// ASSUMPTION: each hop is an attention layer with q_len = k_len = S (S = memory size, default 50),
// heads 1, head_dim = embedding. The original model asks one question (one query row per hop), but
// the paper reports a single length (50) and an HP/AE speedup ratio of exactly 8/6 on MemN2N, which
// implies many pipelined query rows, not one question row.
void build_memn2n(Builder& b, const ModelSpec& spec, std::int64_t s) {
  const std::int64_t e = spec.hidden;
  const std::size_t in = b.add("input", OpKind::kInput, -1, {s}, 0, 0, {});
  // Query state u_0: the embedded questions (one row per query, see the assumption above).
  std::size_t u = b.add("query_embed", OpKind::kEmbedding, -1, {s, e}, 0, elems({s}), {in});
  for (int hop = 0; hop < spec.layers; ++hop) {
    const std::string p = "hop" + std::to_string(hop);
    // Memory embeddings A_k (keys) and C_k (values): gathered sentence vectors, no MACs.
    const std::size_t keys =
        b.add(p + ".memory_a", OpKind::kEmbedding, hop, {s, e}, 0, elems({s}), {in});
    const std::size_t values =
        b.add(p + ".memory_c", OpKind::kEmbedding, hop, {s, e}, 0, elems({s}), {in});
    const std::size_t o =
        b.attention(p, hop, 1, 1, spec.head_dim, s, s, false, 0, 1, u, keys, values);
    // u_{k+1} = u_k + o_k: the memory hop's state update.
    u = b.elementwise(p + ".update", OpKind::kMemoryHop, hop, s, e, 2, {u, o});
  }
  b.add("output", OpKind::kOutput, -1, {s, e}, 0, elems({s, e}), {u});
}

}  // namespace

namespace {

void check_model(const ModelSpec& spec) {
  if (spec.layers <= 0 || spec.heads <= 0 || spec.head_dim <= 0 || spec.hidden <= 0) {
    throw InputError("", 0, "model", "model '" + spec.name + "' has no layers, heads or width");
  }
}

}  // namespace

ModelGraph build_graph(const ModelSpec& spec, std::int64_t seq_len) {
  if (spec.family == ModelFamily::kVit && seq_len == 0) {
    seq_len = vit_tokens(spec.image_size, spec.patch_size);
  }
  if (seq_len <= 0) {
    throw InputError("", 0, "seq_len",
                     "sequence length of model '" + spec.name + "' must be positive, got " +
                         std::to_string(seq_len));
  }
  if (spec.family == ModelFamily::kVit && seq_len < 2) {
    throw InputError("", 0, "seq_len", "ViT needs at least one patch plus the CLS token");
  }
  check_model(spec);
  // Lengths above max_positions are allowed: the paper runs GPT-2 at 1280 tokens (> 1024).
  ModelGraph graph;
  Builder builder(graph);
  if (spec.family == ModelFamily::kMemN2N) {
    build_memn2n(builder, spec, seq_len);
  } else {
    build_transformer(builder, spec, Pass{seq_len, seq_len, seq_len, 1});
  }
  return graph;
}

ModelGraph build_decode_graph(const ModelSpec& spec, std::int64_t context, std::int64_t batch) {
  if (!spec.causal || (spec.family != ModelFamily::kGpt2 && spec.family != ModelFamily::kLlama)) {
    throw InputError("", 0, "phase",
                     "decode needs a causal decoder (family gpt2 or llama); model '" + spec.name +
                         "' is " + to_string(spec.family));
  }
  if (context <= 0) {
    throw InputError(
        "", 0, "context",
        "context of model '" + spec.name + "' must be positive, got " + std::to_string(context));
  }
  if (batch <= 0) {
    throw InputError("", 0, "batch", "batch must be positive, got " + std::to_string(batch));
  }
  check_model(spec);
  ModelGraph graph;
  Builder builder(graph);
  build_transformer(builder, spec, Pass{batch, 1, context, batch});
  return graph;
}

}  // namespace leopard::workloads
