// Tests of the ONNX importer on small graphs laid out like PyTorch / HuggingFace exports: extracted
// attention layers, causal-mask recognition, the derived zoo entry, and the errors.
#include "workloads/onnx_import.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "onnx_models.hpp"
#include "test_util.hpp"
#include "workloads/core/error.hpp"
#include "workloads/model_graph.hpp"

using namespace leopard::workloads;
namespace om = leopard::test::onnx_models;
using leopard::InputError;

namespace {

std::filesystem::path save(const onnx::ModelProto& model, const std::string& file) {
  static const auto dir = leopard::test::scratch_dir("onnx");
  return om::save(model, dir / file);
}

std::vector<AttentionLayer> layers_of(const om::Options& o, const std::string& file) {
  return read_onnx_attention(save(om::attention_model(o), file));
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A graph exported by PyTorch 1.13 (Debian's python3-torch) with scripts/gen_onnx_fixtures.py.
std::filesystem::path torch_export(const std::string& name) {
  return std::filesystem::path(LEOPARD_SOURCE_DIR) / "tests/data/onnx" / name;
}

}  // namespace

TEST_CASE("BERT-like ONNX: 2 layers x 4 heads, head dim 8, 16 tokens, padding mask", "[onnx]") {
  om::Options o;
  o.mask = om::Mask::kPadding;
  const auto file = save(om::attention_model(o), "bert_like.onnx");
  const OnnxModel m = import_onnx(file, "");
  REQUIRE(m.layers.size() == 2);
  for (int l = 0; l < 2; ++l) {
    const AttentionLayer& a = m.layers[static_cast<std::size_t>(l)];
    CHECK(a.index == l);
    CHECK(a.name == "layer" + std::to_string(l) + ".qk");
    CHECK(a.heads == 4);
    CHECK(a.head_dim == 8);
    CHECK(a.q_len == 16);
    CHECK(a.k_len == 16);
    CHECK_FALSE(a.causal);                               // a padding mask from a graph input
    CHECK(a.attention_macs() == 2.0 * 4 * 16 * 16 * 8);  // 2 x heads x S^2 x d
  }
  const ModelSpec& s = m.spec;
  CHECK(s.name == "bert_like");  // the file's stem
  CHECK(s.family == ModelFamily::kBert);
  CHECK(s.layers == 2);
  CHECK(s.heads == 4);
  CHECK(s.head_dim == 8);
  CHECK(s.hidden == 32);
  CHECK(s.ffn == 4 * 32);  // no MLP weights in this graph: the 4 x hidden default
  CHECK(s.default_seq_len == 16);
  CHECK_FALSE(s.causal);
  CHECK(s.source == "ONNX import of bert_like.onnx");
  // The zoo entry rebuilds the same attention layers.
  const auto rebuilt = build_graph(s, 16).attention_layers();
  REQUIRE(rebuilt.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(rebuilt[i].heads == m.layers[i].heads);
    CHECK(rebuilt[i].head_dim == m.layers[i].head_dim);
    CHECK(rebuilt[i].q_len == m.layers[i].q_len);
    CHECK(rebuilt[i].causal == m.layers[i].causal);
  }
}

TEST_CASE("ONNX: the FFN width is read from the MLP's [hidden, n] / [n, hidden] weights",
          "[onnx]") {
  om::Options o;
  o.ffn = 96;  // not 4 x hidden, so the default cannot pass by accident
  const OnnxModel m = import_onnx(save(om::attention_model(o), "mlp.onnx"), "with-mlp");
  CHECK(m.spec.name == "with-mlp");
  CHECK(m.spec.ffn == 96);
  CHECK(has(m.spec.description, "from the MLP weights"));
}

TEST_CASE("GPT-2-like ONNX: causal masks are recognised in each exported form", "[onnx]") {
  const std::pair<om::Mask, const char*> masks[] = {
      {om::Mask::kCausalAdd, "additive 0 / -inf constant"},
      {om::Mask::kCausalWhere, "Where over a Slice of GPT-2's bool bias buffer"},
      {om::Mask::kCausalTrilu, "Where over Trilu"},
  };
  for (const auto& [mask, what] : masks) {
    INFO(what);
    om::Options o;
    o.mask = mask;
    o.layers = 3;
    const OnnxModel m = import_onnx(save(om::attention_model(o), "gpt_like.onnx"), "g");
    REQUIRE(m.layers.size() == 3);
    for (const auto& l : m.layers) {
      CHECK(l.causal);
      CHECK(l.scores_per_head() == 16.0 * 17 / 2);  // S (S + 1) / 2
    }
    CHECK(m.spec.family == ModelFamily::kGpt2);
    CHECK(m.spec.causal);
    CHECK(m.spec.layers == 3);
  }
}

TEST_CASE("ONNX: masks that are not triangular and a Mul scale leave layers non-causal", "[onnx]") {
  for (const auto mask : {om::Mask::kNone, om::Mask::kZeroConst, om::Mask::kPadding}) {
    om::Options o;
    o.mask = mask;
    o.div_scale = false;  // scores * (1 / sqrt(d)), constant first
    const auto layers = layers_of(o, "plain.onnx");
    REQUIRE(layers.size() == 2);
    CHECK_FALSE(layers[0].causal);
    CHECK_FALSE(layers[1].causal);
  }
}

TEST_CASE("ONNX rank 3 [batch * heads, seq, d] is read with batch 1", "[onnx]") {
  om::Options o;
  o.rank = 3;
  o.heads = {6};
  o.head_dim = 4;
  o.seq = 10;
  o.mask = om::Mask::kCausalWhere;
  const OnnxModel m = import_onnx(save(om::attention_model(o), "rank3.onnx"), "");
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[0].heads == 6);
  CHECK(m.layers[0].head_dim == 4);
  CHECK(m.layers[0].q_len == 10);
  CHECK(m.layers[0].k_len == 10);
  CHECK(m.layers[0].causal);
  CHECK(m.spec.hidden == 24);
}

TEST_CASE("ONNX: fewer queries than keys, bottom-right causal mask", "[onnx]") {
  om::Options o;
  o.layers = 1;
  o.q_len = 4;
  o.mask = om::Mask::kCausalWhere;  // Slice rows 12..16 of the triangular buffer
  const auto file = save(om::attention_model(o), "decode.onnx");
  const auto layers = read_onnx_attention(file);
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].q_len == 4);
  CHECK(layers[0].k_len == 16);
  CHECK(layers[0].causal);
  // q_len != k_len is a KV-cache export: a causal decoder entry over the k_len tokens.
  const OnnxModel m = import_onnx(file, "");
  CHECK(m.spec.causal);
  CHECK(m.spec.family == ModelFamily::kGpt2);  // multi-head: no K/V sharing
  CHECK(m.spec.kv_heads == m.spec.heads);  // importers always write kv_heads
  CHECK(m.spec.default_seq_len == 16);
  CHECK(m.spec.max_positions == 16);
  CHECK(has(m.spec.description, "KV-cache export (q_len 4, k_len 16)"));
}

TEST_CASE("ONNX: layers with different heads are listed but are not one zoo entry", "[onnx]") {
  om::Options o;
  o.layers = 3;
  o.heads = {4, 4, 2};
  const auto file = save(om::attention_model(o), "mixed.onnx");
  const auto layers = read_onnx_attention(file);
  REQUIRE(layers.size() == 3);
  CHECK(layers[2].heads == 2);
  const std::string e = error_of([&] { import_onnx(file, ""); });
  CHECK(has(e, "mixed.onnx: field 'heads'"));
  CHECK(has(e, "layer 2 (node 'layer2.qk') has 2 heads of dim 8"));
  CHECK(has(e, "layer 0 (node 'layer0.qk') has 4 of dim 8"));
}

TEST_CASE("ONNX: symbolic dims are an error naming the file, node and tensor", "[onnx]") {
  om::Options o;
  o.seq_param = "sequence";
  const auto file = save(om::attention_model(o), "dynamic.onnx");
  const std::string e = error_of([&] { read_onnx_attention(file); });
  CHECK(has(e, "dynamic.onnx: field 'layer0.q.heads'"));
  CHECK(has(e, "node 'layer0.qk' (MatMul)"));
  CHECK(has(e, "is symbolic ('sequence')"));
  CHECK(has(e, "static shapes required"));

  const auto direct = save(om::qkv_model({{{1, 2, "seq", 8}, {1, 2, "seq", 8}}}), "qkv.onnx");
  CHECK(has(error_of([&] { read_onnx_attention(direct); }),
            "dimension 2 of tensor 'attn0.q' is symbolic ('seq')"));
}

TEST_CASE("ONNX: a graph without attention, a non-last-axis Softmax, a tensor scale", "[onnx]") {
  const std::string e = error_of([&] { read_onnx_attention(save(om::mlp_model(), "mlp.onnx")); });
  CHECK(has(e, "mlp.onnx: no attention found"));
  CHECK(has(e, "among the graph's 4 nodes"));

  // Softmax over the heads axis is not attention over keys.
  auto model = om::qkv_model({{{1, 2, 16, 8}, {1, 2, 16, 8}}});
  for (auto& node : *model.mutable_graph()->mutable_node()) {
    if (node.op_type() == "Softmax") om::Builder::integer(node, "axis", 1);
  }
  CHECK(
      has(error_of([&] { read_onnx_attention(save(model, "axis.onnx")); }), "no attention found"));

  // A scale by a per-head tensor [1, 2, 1, 1] is not a scalar scale.
  om::Builder b;
  const auto q = b.input("q", {1, 2, 16, 8});
  const auto kt = b.input("kt", {1, 2, 8, 16});
  const auto v = b.input("v", {1, 2, 16, 8});
  const auto s =
      b.op("Mul", {b.op("MatMul", {q, kt}, "qk"), b.floats("c", {1, 2, 1, 1}, {1, 2})}, "scale");
  b.output(b.op("MatMul", {b.op("Softmax", {s}, "softmax"), v}, "pv"));
  CHECK(has(error_of([&] { read_onnx_attention(save(b.model(), "tensor_scale.onnx")); }),
            "no attention found"));
}

TEST_CASE("ONNX: Where(drop mask, fill, S) and Cast / Dropout pass-throughs", "[onnx]") {
  // Scores as Where's third input with a bool drop mask (true strictly above the diagonal), a
  // Cast before the Softmax and a Dropout after it: one causal layer of 3 heads.
  om::Builder b;
  const auto q = b.input("q", {1, 3, 5, 4});
  const auto kt = b.input("kt", {1, 3, 4, 5});
  const auto v = b.input("v", {1, 3, 5, 4});
  std::string drop(25, '\0');
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) drop[static_cast<std::size_t>(i * 5 + j)] = 1;
  }
  const auto mask = b.initializer("drop", {5, 5}, onnx::TensorProto::BOOL, drop);
  auto s = b.op("MatMul", {q, kt}, "qk");
  s = b.op("Where", {mask, b.scalar("fill", -1e9f), s}, "masked");
  auto& cast = b.node("Cast", {s}, "to_float");
  om::Builder::integer(cast, "to", onnx::TensorProto::FLOAT);
  const auto p = b.op("Dropout", {b.op("Softmax", {cast.output(0)}, "softmax")}, "dropout");
  b.output(b.op("MatMul", {p, v}, "pv"));
  const auto layers = read_onnx_attention(save(b.model(), "where_drop.onnx"));
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].name == "qk");
  CHECK(layers[0].heads == 3);
  CHECK(layers[0].head_dim == 4);
  CHECK(layers[0].q_len == 5);
  CHECK(layers[0].causal);
}

TEST_CASE("ONNX: a shape inference failure is quoted when a needed shape is missing", "[onnx]") {
  // A first node whose declared output shape contradicts its input: ONNX shape inference throws
  // there, before it reaches the attention, so K^T (a Transpose output) gets no shape.
  auto model = om::qkv_model({{{1, 2, 4, 8}, {1, 2, 4, 8}}});
  auto& g = *model.mutable_graph();
  auto* z = g.add_input();
  z->set_name("z");
  auto* zt = z->mutable_type()->mutable_tensor_type();
  zt->set_elem_type(onnx::TensorProto::FLOAT);
  zt->mutable_shape()->add_dim()->set_dim_value(3);
  auto* zz = g.add_value_info();
  *zz = *z;
  zz->set_name("zz");
  zz->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(4);
  auto* id = g.add_node();
  id->set_op_type("Identity");
  id->add_input("z");
  id->add_output("zz");
  for (int i = g.node_size() - 1; i > 0; --i) g.mutable_node()->SwapElements(i, i - 1);
  const std::string e = error_of([&] { read_onnx_attention(save(model, "conflict.onnx")); });
  CHECK(has(e, "conflict.onnx: field 'attn0.kt'"));
  CHECK(has(e, "the shape of tensor 'attn0.kt' is unknown (ONNX shape inference failed: "));
  CHECK(has(e, "differ in dimension 0"));
}

TEST_CASE("ONNX: a value head dim unlike the query's is an error naming the node", "[onnx]") {
  om::Builder b;
  const auto q = b.input("q", {1, 2, 4, 8});
  const auto kt = b.input("kt", {1, 2, 8, 4});
  const auto v = b.input("v", {1, 2, 4, 16});
  const auto p = b.op("Softmax", {b.op("MatMul", {q, kt}, "scores")}, "softmax");
  b.output(b.op("MatMul", {p, v}, "context"));
  const std::string e = error_of([&] { read_onnx_attention(save(b.model(), "wide_v.onnx")); });
  CHECK(has(e, "wide_v.onnx: field 'scores': attention at node 'scores' (MatMul)"));
  CHECK(has(e,
            "V's head dim differs from Q's (not supported) (Q [1, 2, 4, 8], K^T [1, 2, 8, 4], "
            "V [1, 2, 4, 16])"));
}

TEST_CASE("ONNX: fused attention operators are named in the error", "[onnx]") {
  om::Builder b;
  const auto x = b.input("x", {1, 16, 32});
  auto& n = b.node("Attention", {x, b.weight("w", 32, 96)}, "fused");
  n.set_domain("com.microsoft");
  b.output(n.output(0));
  const std::string e = error_of([&] { read_onnx_attention(save(b.model(), "fused.onnx")); });
  CHECK(has(e, "no attention found"));
  CHECK(has(e, "node 'fused' (Attention)"));
}

TEST_CASE("ONNX: truncated, empty and non-protobuf files are errors naming the file", "[onnx]") {
  const auto dir = leopard::test::scratch_dir("onnx-bad");
  const std::string bytes = om::serialise(om::attention_model(om::Options{}));
  const auto truncated =
      leopard::test::write_file(dir / "truncated.onnx", bytes.substr(0, bytes.size() / 2));
  CHECK(has(error_of([&] { read_onnx_attention(truncated); }),
            "truncated.onnx: not a valid ONNX model"));
  const auto empty = leopard::test::write_file(dir / "empty.onnx", "");
  CHECK(has(error_of([&] { read_onnx_attention(empty); }), "empty.onnx: empty file"));
  const auto text = leopard::test::write_file(dir / "text.onnx", "this is not an ONNX model\n");
  CHECK(has(error_of([&] { read_onnx_attention(text); }), "text.onnx: not "));
  CHECK(has(error_of([&] { read_onnx_attention(dir / "missing.onnx"); }), "missing.onnx"));
}

TEST_CASE("ONNX: the zoo YAML round-trips through load_model_spec", "[onnx]") {
  om::Options o;
  o.mask = om::Mask::kCausalAdd;
  o.ffn = 64;
  const ModelSpec s = import_onnx(save(om::attention_model(o), "rt.onnx"), "rt").spec;
  const auto dir = leopard::test::scratch_dir("onnx-yaml");
  const ModelSpec back =
      load_model_spec(leopard::test::write_file(dir / "rt.yaml", model_spec_to_yaml(s)));
  CHECK(back.name == "rt");
  CHECK(back.family == ModelFamily::kGpt2);
  CHECK(back.layers == 2);
  CHECK(back.heads == 4);
  CHECK(back.head_dim == 8);
  CHECK(back.hidden == 32);
  CHECK(back.ffn == 64);
  CHECK(back.default_seq_len == 16);
  CHECK(back.max_positions == 16);
  CHECK(back.causal);
  CHECK(back.source == s.source);
}

TEST_CASE("ONNX: a causal mask kept as external data is read from beside the model", "[onnx]") {
  om::Options o;
  o.layers = 1;
  o.mask = om::Mask::kCausalAdd;
  auto model = om::attention_model(o);
  const auto dir = leopard::test::scratch_dir("onnx-ext");
  for (auto& t : *model.mutable_graph()->mutable_initializer()) {
    if (t.name() != "layer0.causal") continue;
    leopard::test::write_file(dir / "weights.bin", "1234" + t.raw_data());
    const auto size = t.raw_data().size();
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", "weights.bin"},
                                     {"offset", "4"},
                                     {"length", std::to_string(size)}}) {
      auto* kv = t.add_external_data();
      kv->set_key(key);
      kv->set_value(value);
    }
  }
  const auto layers = read_onnx_attention(om::save(model, dir / "ext.onnx"));
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].causal);
  std::filesystem::remove(dir / "weights.bin");  // unreadable mask: not causal, not an error
  CHECK_FALSE(read_onnx_attention(dir / "ext.onnx")[0].causal);
}

namespace {

// GQA by HF's repeat_kv with every shape computed from K's shape, as exporters write it:
//   e = Expand(Unsqueeze(k, 2), Concat(Slice(Shape(k), 0, 2), [g], Slice(Shape(k), 2, 4)))
//   r = Reshape(e, Concat(Unsqueeze(Gather(Shape(k), 0)), [-1], Slice(Shape(k), 2, 4)))
// K [1, kv, s, d] becomes [1, kv x g, s, d]; only folding the shape arithmetic fixes r's shape.
onnx::ModelProto computed_repeat_kv(std::int64_t kv, std::int64_t g, std::int64_t s, std::int64_t d,
                                    bool tile) {
  om::Builder b;
  const auto q = b.input("q", {1, kv * g, s, d});
  auto repeat = [&](const std::string& x, const std::string& p) {
    const auto shape = b.op("Shape", {x}, p + ".shape");
    if (tile) {  // Tile along heads: the factor as a computed [1, g, 1, 1]
      const auto reps =
          b.op("Div", {b.op("Mul", {shape, b.int64s(p + ".g", {1, g, 1, 1})}, p + ".mul"), shape},
               p + ".reps");
      return b.op("Tile", {x, reps}, p + ".tile");
    }
    const auto head =
        b.op("Slice", {shape, b.int64s(p + ".s0", {0}), b.int64s(p + ".e2", {2})}, p + ".head");
    const auto tail =
        b.op("Slice", {shape, b.int64s(p + ".s2", {2}), b.int64s(p + ".e4", {4})}, p + ".tail");
    auto& concat = b.node("Concat", {head, b.int64s(p + ".gv", {g}), tail}, p + ".target");
    om::Builder::integer(concat, "axis", 0);
    const std::string target = concat.output(0);
    const auto unsq = b.op("Unsqueeze", {x, b.int64s(p + ".ax2", {2})}, p + ".unsq");
    const auto expanded = b.op("Expand", {unsq, target}, p + ".expand");
    const auto batch = b.op(
        "Unsqueeze",
        {b.op("Gather", {shape, b.int64s(p + ".i0", {0})}, p + ".b"), b.int64s(p + ".ax0", {0})},
        p + ".b1");
    const auto squeezed = b.op("Squeeze", {batch, b.int64s(p + ".sq", {0})}, p + ".bs");
    auto& flat_node = b.node("Concat", {squeezed, b.int64s(p + ".m1", {-1}), tail}, p + ".flat");
    om::Builder::integer(flat_node, "axis", 0);
    const std::string flat = flat_node.output(0);
    return b.op("Reshape", {expanded, flat}, p + ".reshape");
  };
  const auto k = repeat(b.input("k", {1, kv, s, d}), "k");
  const auto v = repeat(b.input("v", {1, kv, s, d}), "v");
  const auto kt = b.transpose(k, {0, 1, 3, 2}, "kt");
  const auto prob = b.op("Softmax", {b.op("MatMul", {q, kt}, "qk")}, "softmax");
  b.output(b.op("MatMul", {prob, v}, "pv"));
  return b.model();
}

}  // namespace

TEST_CASE("ONNX GQA: computed repeat_kv shapes are folded; Tile; broadcast K heads", "[onnx]") {
  for (const bool tile : {false, true}) {
    INFO("tile " << tile);
    const auto layers = read_onnx_attention(
        save(computed_repeat_kv(2, 3, 8, 4, tile), tile ? "gqa_tile.onnx" : "gqa_expand.onnx"));
    REQUIRE(layers.size() == 1);
    CHECK(layers[0].heads == 6);
    CHECK(layers[0].kv_heads == 2);
    CHECK(layers[0].head_dim == 4);
    CHECK(layers[0].q_len == 8);
    CHECK(layers[0].k_len == 8);
    CHECK_FALSE(layers[0].causal);
  }
  // MQA by broadcasting: K and V [1, 1, s, d] against Q [1, 4, s, d], no repetition node.
  const auto mqa = read_onnx_attention(
      save(om::qkv_model({{{1, 4, 8, 4}, {1, 1, 8, 4}}}), "mqa_broadcast.onnx"));
  REQUIRE(mqa.size() == 1);
  CHECK(mqa[0].heads == 4);
  CHECK(mqa[0].kv_heads == 1);
  // A symbolic graph input still fails, even with shape arithmetic downstream.
  auto dynamic = computed_repeat_kv(2, 3, 8, 4, false);
  dynamic.mutable_graph()
      ->mutable_input(1)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(2)
      ->set_dim_param("seq");
  CHECK(has(error_of([&] { read_onnx_attention(save(dynamic, "gqa_dynamic.onnx")); }),
            "static shapes required"));
}

TEST_CASE("ONNX KV cache: past keys stacked in one graph input (GPT-2 layer_past)", "[onnx]") {
  om::Builder b;
  const auto q = b.input("q", {1, 2, 1, 8});
  const auto past = b.input("past", {2, 1, 2, 7, 8});  // [K/V, batch, heads, past tokens, d]
  auto scalar_index = [&](const std::string& name, std::int64_t v) {
    std::string raw(sizeof v, '\0');
    std::memcpy(raw.data(), &v, sizeof v);
    return b.initializer(name, {}, onnx::TensorProto::INT64, raw);
  };
  auto cached = [&](const std::string& p, std::int64_t which) {
    const auto old = b.op("Gather", {past, scalar_index(p + ".i", which)}, p + ".past");
    const auto fresh = b.transpose(b.input(p + ".new", {1, 1, 2, 8}), {0, 2, 1, 3}, p + ".t");
    auto& cat = b.node("Concat", {old, fresh}, p + ".cat");
    om::Builder::integer(cat, "axis", 2);
    return cat.output(0);
  };
  const auto k = cached("k", 0);
  const auto v = cached("v", 1);
  const auto prob =
      b.op("Softmax", {b.op("MatMul", {q, b.transpose(k, {0, 1, 3, 2}, "kt")}, "qk")}, "softmax");
  b.output(b.op("MatMul", {prob, v}, "pv"));
  const auto layers = read_onnx_attention(save(b.model(), "gpt2_layer_past.onnx"));
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].q_len == 1);
  CHECK(layers[0].k_len == 8);
  CHECK(layers[0].causal);  // no mask: the KV-cache Concat marks the decoder
  CHECK(layers[0].kv_heads == 0);
  // Without a cache (K and V plain inputs of another length: cross-attention), no causal mark.
  const auto cross =
      read_onnx_attention(save(om::qkv_model({{{1, 2, 1, 8}, {1, 2, 9, 8}}}), "cross.onnx"));
  CHECK_FALSE(cross[0].causal);
}

TEST_CASE("PyTorch exports: heads, kv_heads, head dim, lengths and causality", "[onnx][torch]") {
  // The shapes each model of scripts/gen_onnx_fixtures.py was built with (EXPECTED there).
  struct Expected {
    const char* file;
    int heads, kv_heads, head_dim;
    std::int64_t q_len, k_len;
    bool causal;
  };
  const Expected cases[] = {
      {"encoder.onnx", 4, 4, 4, 8, 8, false},
      {"gpt2_causal.onnx", 4, 4, 4, 8, 8, true},
      {"mha.onnx", 4, 4, 4, 8, 8, false},  // nn.MultiheadAttention: [batch * heads, S, d]
      {"llama_gqa_prefill.onnx", 8, 2, 4, 8, 8, true},      // repeat_interleave: Split ... Concat
      {"llama_gqa_hf_prefill.onnx", 8, 2, 4, 8, 8, true},   // repeat_kv: Expand + Reshape
      {"llama_gqa_decode.onnx", 8, 2, 4, 1, 16, true},      // past K/V Concat, repeat_interleave
      {"llama_gqa_hf_decode.onnx", 8, 2, 4, 1, 16, true}};  // past K/V Concat, repeat_kv
  for (const Expected& c : cases) {
    INFO(c.file);
    const auto layers = read_onnx_attention(torch_export(c.file));
    REQUIRE(layers.size() == 1);
    const AttentionLayer& l = layers[0];
    CHECK(l.heads == c.heads);
    CHECK(l.kv_heads_or_heads() == c.kv_heads);
    CHECK(l.kv_heads == (c.kv_heads == c.heads ? 0 : c.kv_heads));
    CHECK(l.head_dim == c.head_dim);
    CHECK(l.q_len == c.q_len);
    CHECK(l.k_len == c.k_len);
    CHECK(l.causal == c.causal);
  }
}

TEST_CASE("PyTorch exports: zoo entries of GQA prefill and KV-cache decode graphs",
          "[onnx][torch]") {
  const OnnxModel enc = import_onnx(torch_export("encoder.onnx"), "");
  CHECK(enc.spec.family == ModelFamily::kBert);
  CHECK(enc.spec.ffn == 32);  // the MLP's 16 -> 32 -> 16 weights
  CHECK(enc.spec.kv_heads == enc.spec.heads);  // multi-head: filled in on validation

  const OnnxModel pre = import_onnx(torch_export("llama_gqa_prefill.onnx"), "");
  CHECK(pre.spec.heads == 8);
  CHECK(pre.spec.kv_heads == 2);
  CHECK(pre.spec.head_dim == 4);
  CHECK(pre.spec.hidden == 32);
  CHECK(pre.spec.causal);
  CHECK(pre.spec.default_seq_len == 8);
  CHECK(to_string(pre.spec.family) != "bert");  // llama where ModelFamily has it, else gpt2

  // A decode step (q_len 1 against 15 cached + 1 new keys) is not refused: a causal decoder over
  // k_len tokens.
  for (const char* f : {"llama_gqa_decode.onnx", "llama_gqa_hf_decode.onnx"}) {
    INFO(f);
    const OnnxModel dec = import_onnx(torch_export(f), "step");
    CHECK(dec.spec.name == "step");
    CHECK(dec.spec.kv_heads == 2);
    CHECK(dec.spec.heads == 8);
    CHECK(dec.spec.causal);
    CHECK(dec.spec.default_seq_len == 16);
    CHECK(dec.spec.max_positions == 16);
    CHECK(has(dec.spec.description, "grouped-query attention (2 K/V heads)"));
  }
}

TEST_CASE("PyTorch exports: a dynamic repeat_interleave (Loop) is refused", "[onnx][torch]") {
  const std::string e =
      error_of([] { read_onnx_attention(torch_export("gqa_dynamic_repeat.onnx")); });
  CHECK(has(e, "gqa_dynamic_repeat.onnx"));
  CHECK(has(e, "(Loop)"));
  CHECK(has(e, "dynamic repeat_interleave"));
  CHECK(has(e, "static repeat count"));
}

TEST_CASE("ONNX files are recognised by name or by their first byte", "[onnx]") {
  const auto dir = leopard::test::scratch_dir("onnx-sniff");
  const auto bytes = om::serialise(om::qkv_model({{{1, 2, 4, 8}, {1, 2, 4, 8}}}));
  CHECK(looks_like_onnx(leopard::test::write_file(dir / "model.bin", bytes)));
  CHECK(looks_like_onnx(dir / "absent.ONNX"));
  CHECK_FALSE(looks_like_onnx(leopard::test::write_file(dir / "config.json", "{}")));
  CHECK_FALSE(looks_like_onnx(dir / "absent.json"));
  CHECK(read_onnx_attention(dir / "model.bin").size() == 1);
}

// Regenerates the ONNX entries of the bad-input corpus (tests/bad_inputs/onnx_*.onnx) and the
// ONNX fuzz seeds (fuzz/seeds/onnx/). Hidden: run `test_workloads "[.regen-onnx-corpus]"` after
// changing the builders; the files are committed so neither the corpus test nor the fuzzer needs
// a generator.
TEST_CASE("regenerate the ONNX bad-input corpus and fuzz seeds", "[.regen-onnx-corpus]") {
  const auto seeds = std::filesystem::path(LEOPARD_SOURCE_DIR) / "fuzz/seeds/onnx";
  std::filesystem::create_directories(seeds);
  const std::pair<const char*, om::Mask> seed_masks[] = {
      {"encoder_padding.onnx", om::Mask::kPadding},
      {"decoder_causal_add.onnx", om::Mask::kCausalAdd},
      {"decoder_bias_where.onnx", om::Mask::kCausalWhere},
      {"decoder_trilu.onnx", om::Mask::kCausalTrilu},
  };
  for (const auto& [file, mask] : seed_masks) {
    om::Options o;
    o.heads = {2};
    o.head_dim = 4;
    o.seq = 8;
    o.mask = mask;
    o.ffn = mask == om::Mask::kPadding ? 16 : 0;
    o.rank = mask == om::Mask::kCausalWhere ? 3 : 4;
    om::save(om::attention_model(o), seeds / file);
    CHECK(std::filesystem::file_size(seeds / file) < 16384);
  }

  const auto corpus = std::filesystem::path(LEOPARD_SOURCE_DIR) / "tests/bad_inputs";
  const auto good = om::serialise(om::qkv_model({{{1, 2, 4, 8}, {1, 2, 4, 8}}}));
  leopard::test::write_file(corpus / "onnx_truncated.onnx", good.substr(0, good.size() * 2 / 3));
  leopard::test::write_file(corpus / "onnx_not_protobuf.onnx", "this is not an ONNX model\n");
  om::save(om::qkv_model({{{1, 2, "seq", 8}, {1, 2, "seq", 8}}}),
           corpus / "onnx_symbolic_seq.onnx");
  om::save(om::mlp_model(), corpus / "onnx_no_attention.onnx");
  om::save(om::qkv_model({{{1, 4, 8, 8}, {1, 4, 8, 8}}, {{1, 2, 8, 8}, {1, 2, 8, 8}}}),
           corpus / "onnx_mixed_heads.onnx");
  // A PyTorch 1.13 export (scripts/gen_onnx_fixtures.py): K/V repeated by a Loop.
  std::filesystem::copy_file(torch_export("gqa_dynamic_repeat.onnx"), corpus / "onnx_gqa_loop.onnx",
                             std::filesystem::copy_options::overwrite_existing);
  for (const char* f : {"onnx_truncated.onnx", "onnx_not_protobuf.onnx", "onnx_symbolic_seq.onnx",
                        "onnx_no_attention.onnx", "onnx_mixed_heads.onnx"}) {
    CHECK(std::filesystem::file_size(corpus / f) < 4096);
  }
}
