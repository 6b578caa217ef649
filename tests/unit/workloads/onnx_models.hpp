// Small ONNX models built with the onnx protobuf API, laid out like PyTorch / HuggingFace exports
// (projections, Reshape, Transpose, QK^T MatMul, scale, mask, Softmax, PV MatMul, output
// projection, MLP). Shared by the ONNX import unit tests and the CLI tests
// (tests/cli/test_workloads_cli.cpp).
#pragma once

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace leopard::test::onnx_models {

// A tensor dimension: a fixed size, or a symbolic one (`param`, as exported with dynamic axes).
struct Dim {
  Dim(std::int64_t v) : value(v) {}  // NOLINT: implicit on purpose ({1, 16, "seq"})
  Dim(const char* p) : param(p) {}   // NOLINT
  std::int64_t value = -1;
  std::string param;
};

class Builder {
 public:
  explicit Builder(int opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("leopard-dse tests");
    auto* o = model_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  std::string input(const std::string& name, const std::vector<Dim>& dims,
                    int type = onnx::TensorProto::FLOAT) {
    auto* vi = graph().add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    auto* shape = tt->mutable_shape();
    for (const auto& d : dims) {
      auto* dim = shape->add_dim();
      if (d.param.empty()) {
        dim->set_dim_value(d.value);
      } else {
        dim->set_dim_param(d.param);
      }
    }
    return name;
  }

  void output(const std::string& name) { graph().add_output()->set_name(name); }

  // An initializer with raw little-endian bytes (x86).
  std::string initializer(const std::string& name, const std::vector<std::int64_t>& dims, int type,
                          const std::string& raw) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(raw);
    return name;
  }

  std::string floats(const std::string& name, const std::vector<std::int64_t>& dims,
                     const std::vector<float>& values) {
    std::string raw(values.size() * sizeof(float), '\0');
    std::memcpy(raw.data(), values.data(), raw.size());
    return initializer(name, dims, onnx::TensorProto::FLOAT, raw);
  }

  std::string int64s(const std::string& name, const std::vector<std::int64_t>& values) {
    std::string raw(values.size() * sizeof(std::int64_t), '\0');
    std::memcpy(raw.data(), values.data(), raw.size());
    return initializer(name, {static_cast<std::int64_t>(values.size())}, onnx::TensorProto::INT64,
                       raw);
  }

  // A weight matrix of zeros (the importer reads only its shape).
  std::string weight(const std::string& name, std::int64_t rows, std::int64_t cols) {
    return floats(name, {rows, cols}, std::vector<float>(static_cast<std::size_t>(rows * cols)));
  }

  // A scalar Constant node (how torch exports sqrt(d) and mask values).
  std::string scalar(const std::string& name, float value) {
    auto& n = node("Constant", {}, name);
    auto* a = n.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    a->mutable_t()->add_float_data(value);
    return n.output(0);
  }

  // Adds a node named `name` whose single output is also `name`.
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& name) {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(name);
    return *n;
  }

  std::string op(const std::string& op, const std::vector<std::string>& inputs,
                 const std::string& name) {
    return node(op, inputs, name).output(0);
  }

  std::string transpose(const std::string& in, const std::vector<std::int64_t>& perm,
                        const std::string& name) {
    auto& n = node("Transpose", {in}, name);
    ints(n, "perm", perm);
    return name;
  }

  static void ints(onnx::NodeProto& n, const std::string& attr,
                   const std::vector<std::int64_t>& values) {
    auto* a = n.add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto v : values) a->add_ints(v);
  }

  static void integer(onnx::NodeProto& n, const std::string& attr, std::int64_t value) {
    auto* a = n.add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }

 private:
  onnx::ModelProto model_;
};

enum class Mask {
  kNone,
  kPadding,      // Add of (graph input [1, 1, 1, k] x -10000): BERT's extended attention mask
  kZeroConst,    // Add of an all-zero constant [1, 1, q, k]: not triangular, not causal
  kCausalAdd,    // Add of a constant [1, 1, q, k]: 0 on and below the diagonal, -inf above
  kCausalWhere,  // Where(Slice(bool lower-triangular `bias` [1, 1, 32, 32]), S, -1e4): HF GPT-2
  kCausalTrilu,  // Where(Cast(Trilu(ones [q, k], upper = 0)), S, -1e4): torch's tril at export
};

struct Options {
  int layers = 2;
  std::vector<int> heads = {4};  // per layer; the last entry repeats
  int head_dim = 8;
  std::int64_t seq = 16;   // keys (and queries unless q_len is set)
  std::int64_t q_len = 0;  // 0: seq
  int rank = 4;            // 4: [1, heads, seq, d]; 3: [heads, seq, d] (batch 1)
  Mask mask = Mask::kNone;
  bool div_scale = true;  // S / sqrt(d); false: S * (1 / sqrt(d))
  int ffn = 0;            // > 0: an MLP with [hidden, ffn] and [ffn, hidden] weights per layer
  std::string seq_param;  // non-empty: the input's sequence dim is symbolic (dynamic axes)
  std::string qk_prefix = "layer";  // QK^T MatMul of layer l is named <prefix><l>.qk
};

inline int heads_of(const Options& o, int layer) {
  return o.heads[std::min<std::size_t>(static_cast<std::size_t>(layer), o.heads.size() - 1)];
}

// Upper-triangular (strict, top-left aligned) -inf above 0: the additive causal mask.
inline std::vector<float> causal_additive(std::int64_t q, std::int64_t k) {
  std::vector<float> m(static_cast<std::size_t>(q * k), 0.0f);
  for (std::int64_t i = 0; i < q; ++i) {
    for (std::int64_t j = i + 1; j < k; ++j) {
      m[static_cast<std::size_t>(i * k + j)] = -std::numeric_limits<float>::infinity();
    }
  }
  return m;
}

// Per-layer heads projection [1, s, hidden] -> [1, H, s, d] (rank 4) or [H, s, d] (rank 3), with
// `key` giving K^T ([1, H, d, s] / [H, d, s]) as HF's permute + transpose(-1, -2) exports it.
inline std::string split_heads(Builder& b, const Options& o, const std::string& x, int hidden,
                               int heads, const std::string& p, bool key) {
  const std::string proj = b.op("MatMul", {x, b.weight(p + ".w", hidden, heads * o.head_dim)}, p);
  if (o.rank == 4) {
    // 0 copies the input dim (symbolic ones stay symbolic), as torch's export of view() does.
    const auto shape = b.int64s(p + ".shape", {0, 0, heads, o.head_dim});
    const auto r = b.op("Reshape", {proj, shape}, p + ".reshape");
    return b.transpose(
        r, key ? std::vector<std::int64_t>{0, 2, 3, 1} : std::vector<std::int64_t>{0, 2, 1, 3},
        p + ".heads");
  }
  const auto shape = b.int64s(p + ".shape", {-1, heads, o.head_dim});  // [1 * s, H, d]
  const auto r = b.op("Reshape", {proj, shape}, p + ".reshape");
  return b.transpose(r,
                     key ? std::vector<std::int64_t>{1, 2, 0} : std::vector<std::int64_t>{1, 0, 2},
                     p + ".heads");
}

// The mask step after the scale (returns the masked scores).
inline std::string apply_mask(Builder& b, const Options& o, const std::string& s,
                              const std::string& p, std::int64_t q, std::int64_t k) {
  const std::vector<std::int64_t> qk_dims =
      o.rank == 4 ? std::vector<std::int64_t>{1, 1, q, k} : std::vector<std::int64_t>{1, q, k};
  switch (o.mask) {
    case Mask::kNone:
      return s;
    case Mask::kPadding: {
      const std::string in = "padding_mask";
      if (b.graph().input_size() < 2) {
        if (o.rank == 4) {
          b.input(in, {1, 1, 1, k});
        } else {
          b.input(in, {1, 1, k});
        }
      }
      const auto bias = b.op("Mul", {in, b.scalar(p + ".neg", -10000.0f)}, p + ".mask_bias");
      return b.op("Add", {s, bias}, p + ".mask");
    }
    case Mask::kZeroConst:
      return b.op(
          "Add",
          {s, b.floats(p + ".zeros", qk_dims, std::vector<float>(static_cast<std::size_t>(q * k)))},
          p + ".mask");
    case Mask::kCausalAdd:
      return b.op("Add", {b.floats(p + ".causal", qk_dims, causal_additive(q, k)), s}, p + ".mask");
    case Mask::kCausalWhere: {
      constexpr std::int64_t kPositions = 32;  // the `bias` buffer's max positions
      std::string bias = "bias";
      const auto& inits = b.graph().initializer();
      if (std::none_of(inits.begin(), inits.end(),
                       [](const auto& t) { return t.name() == "bias"; })) {
        std::string raw(static_cast<std::size_t>(kPositions * kPositions), '\0');
        for (std::int64_t i = 0; i < kPositions; ++i) {
          for (std::int64_t j = 0; j <= i; ++j)
            raw[static_cast<std::size_t>(i * kPositions + j)] = 1;
        }
        b.initializer(bias, {1, 1, kPositions, kPositions}, onnx::TensorProto::BOOL, raw);
      }
      const int axis = o.rank == 4 ? 2 : 1;
      if (o.rank == 3) {
        bias = b.op("Squeeze", {bias, b.int64s(p + ".sq", {0})}, p + ".bias3");
      }
      const auto sliced =
          b.op("Slice",
               {bias, b.int64s(p + ".starts", {k - q, 0}), b.int64s(p + ".ends", {k, k}),
                b.int64s(p + ".axes", {axis, axis + 1})},
               p + ".causal");
      return b.op("Where", {sliced, s, b.scalar(p + ".fill", -10000.0f)}, p + ".mask");
    }
    case Mask::kCausalTrilu: {
      const auto ones =
          b.floats(p + ".ones", {q, k}, std::vector<float>(static_cast<std::size_t>(q * k), 1.0f));
      auto& tril = b.node("Trilu", {ones}, p + ".tril");
      Builder::integer(tril, "upper", 0);
      auto& cast = b.node("Cast", {tril.output(0)}, p + ".causal");
      Builder::integer(cast, "to", onnx::TensorProto::BOOL);
      return b.op("Where", {cast.output(0), s, b.scalar(p + ".fill", -10000.0f)}, p + ".mask");
    }
  }
  return s;
}

// An encoder / decoder stack of `layers` attention blocks on input x [1, seq, hidden].
inline onnx::ModelProto attention_model(const Options& o) {
  Builder b(o.mask == Mask::kCausalTrilu ? 14 : 13);  // Trilu is opset 14
  const int hidden = heads_of(o, 0) * o.head_dim;
  const std::int64_t q_len = o.q_len > 0 ? o.q_len : o.seq;
  std::string x = o.seq_param.empty() ? b.input("x", {1, o.seq, hidden})
                                      : b.input("x", {1, o.seq_param.c_str(), hidden});
  const std::string xq = q_len == o.seq ? x : b.input("x_query", {1, q_len, hidden});
  for (int l = 0; l < o.layers; ++l) {
    const int h = heads_of(o, l);
    const std::string p = o.qk_prefix + std::to_string(l);
    const auto q = split_heads(b, o, l == 0 ? xq : x, hidden, h, p + ".q", false);
    const auto kt = split_heads(b, o, x, hidden, h, p + ".k", true);
    const auto v = split_heads(b, o, x, hidden, h, p + ".v", false);
    auto s = b.op("MatMul", {q, kt}, p + ".qk");
    const float sqrt_d = std::sqrt(static_cast<float>(o.head_dim));
    s = o.div_scale ? b.op("Div", {s, b.scalar(p + ".sqrt_d", sqrt_d)}, p + ".scale")
                    : b.op("Mul", {b.scalar(p + ".inv_sqrt_d", 1.0f / sqrt_d), s}, p + ".scale");
    s = apply_mask(b, o, s, p, l == 0 ? q_len : o.seq, o.seq);
    auto& softmax = b.node("Softmax", {s}, p + ".softmax");
    Builder::integer(softmax, "axis", -1);
    const auto ctx = b.op("MatMul", {softmax.output(0), v}, p + ".pv");
    // merge heads back to [1, s, hidden], output projection, residual
    const auto merged = o.rank == 4 ? b.transpose(ctx, {0, 2, 1, 3}, p + ".merge_t")
                                    : b.transpose(ctx, {1, 0, 2}, p + ".merge_t");
    const auto flat =
        b.op("Reshape", {merged, b.int64s(p + ".flat", {1, -1, h * o.head_dim})}, p + ".merge");
    x = b.op("MatMul", {flat, b.weight(p + ".o.w", h * o.head_dim, hidden)}, p + ".o");
    if (o.ffn > 0) {
      const auto up = b.op("MatMul", {x, b.weight(p + ".up.w", hidden, o.ffn)}, p + ".up");
      const auto act = b.op("Relu", {up}, p + ".act");
      x = b.op("MatMul", {act, b.weight(p + ".down.w", o.ffn, hidden)}, p + ".down");
    }
  }
  b.output(x);
  return b.model();
}

// A classifier with a Softmax but no attention: MatMul -> Relu -> MatMul -> Softmax.
inline onnx::ModelProto mlp_model() {
  Builder b;
  const auto x = b.input("x", {1, 16});
  const auto h = b.op("Relu", {b.op("MatMul", {x, b.weight("w1", 16, 32)}, "fc1")}, "relu");
  const auto logits = b.op("MatMul", {h, b.weight("w2", 32, 4)}, "fc2");
  b.output(b.op("Softmax", {logits}, "probs"));
  return b.model();
}

// The smallest attention graph: per layer, graph inputs Q [1, H, q, d], K [1, H, k, d] and
// V [1, H, k, d] -> Transpose(K) -> MatMul -> Div -> Softmax -> MatMul (small corpus files).
struct QkvLayer {
  std::vector<Dim> q, k;  // V has K's shape
};

inline onnx::ModelProto qkv_model(const std::vector<QkvLayer>& layers) {
  Builder b;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::string p = "attn" + std::to_string(l);
    const auto q = b.input(p + ".q", layers[l].q);
    const auto k = b.input(p + ".k", layers[l].k);
    const auto v = b.input(p + ".v", layers[l].k);
    const auto kt = b.transpose(k, {0, 1, 3, 2}, p + ".kt");
    const auto s =
        b.op("Div", {b.op("MatMul", {q, kt}, p + ".qk"), b.scalar(p + ".c", 2.0f)}, p + ".scale");
    const auto prob = b.op("Softmax", {s}, p + ".softmax");
    b.output(b.op("MatMul", {prob, v}, p + ".pv"));
  }
  return b.model();
}

inline std::string serialise(const onnx::ModelProto& model) {
  std::string bytes;
  model.SerializeToString(&bytes);
  return bytes;
}

inline std::filesystem::path save(const onnx::ModelProto& model,
                                  const std::filesystem::path& path) {
  std::ofstream(path, std::ios::binary) << serialise(model);
  return path;
}

}  // namespace leopard::test::onnx_models
