// Tests of the model graph builders: shapes, MACs against closed forms, extraction, order, dot.
#include "workloads/model_graph.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "workloads/core/error.hpp"
#include "workloads/model_spec.hpp"

using namespace leopard::workloads;

namespace {

// Sums the MACs of the operators of one kind in one layer.
double layer_macs(const ModelGraph& g, int layer, OpKind kind) {
  double macs = 0;
  for (std::size_t v = 0; v < g.size(); ++v) {
    if (g.op(v).layer == layer && g.op(v).kind == kind) macs += g.op(v).macs;
  }
  return macs;
}

std::size_t count_kind(const ModelGraph& g, OpKind kind) {
  std::size_t n = 0;
  for (std::size_t v = 0; v < g.size(); ++v) n += g.op(v).kind == kind ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("bert-base: 12 layers x 12 heads, head dim 64", "[graph]") {
  const ModelSpec spec = find_model("bert-base");
  const ModelGraph g = build_graph(spec, 128);
  const auto layers = g.attention_layers();
  REQUIRE(layers.size() == 12);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    CHECK(layers[i].index == static_cast<int>(i));
    CHECK(layers[i].heads == 12);
    CHECK(layers[i].head_dim == 64);
    CHECK(layers[i].q_len == 128);
    CHECK(layers[i].k_len == 128);
    CHECK_FALSE(layers[i].causal);
    CHECK(layers[i].name == "layer" + std::to_string(i) + ".qk");
  }
}

TEST_CASE("attention MACs per layer match 2 x heads x S^2 x d", "[graph]") {
  const auto name = GENERATE(as<std::string>{}, "bert-base", "bert-large", "albert-xxlarge",
                             "vit-base", "bert-tiny");
  const std::int64_t s = GENERATE(as<std::int64_t>{}, 64, 197, 512);
  const ModelSpec spec = find_model(name);
  const ModelGraph g = build_graph(spec, s);
  const auto layers = g.attention_layers();
  REQUIRE(layers.size() == static_cast<std::size_t>(spec.layers));
  const double sd = static_cast<double>(s);
  const double closed = 2.0 * spec.heads * sd * sd * spec.head_dim;
  for (const auto& l : layers) {
    CHECK(l.attention_macs() == Approx(closed).epsilon(1e-12));
    // The graph's own operator MACs (QK^T + PV) agree with the closed form too.
    CHECK(layer_macs(g, l.index, OpKind::kScores) + layer_macs(g, l.index, OpKind::kContext) ==
          Approx(closed).epsilon(1e-12));
  }
}

TEST_CASE("causal GPT-2 computes S(S+1)/2 scores per head, also above max_positions", "[graph]") {
  const ModelSpec spec = find_model("gpt2-large");
  REQUIRE(spec.max_positions == 1024);
  const std::int64_t s = GENERATE(as<std::int64_t>{}, 1, 16, 1024, 1280);
  const ModelGraph g = build_graph(spec, s);
  const auto layers = g.attention_layers();
  REQUIRE(layers.size() == 36);
  const double sd = static_cast<double>(s);
  for (const auto& l : layers) {
    CHECK(l.causal);
    CHECK(l.heads == 20);
    CHECK(l.scores_per_head() == Approx(sd * (sd + 1) / 2));
    CHECK(l.attention_macs() == Approx(2.0 * 20 * sd * (sd + 1) / 2 * 64));
  }
}

TEST_CASE("projection and FFN MACs follow the dense closed forms", "[graph]") {
  const ModelSpec spec = find_model("bert-base");
  const std::int64_t s = 100;
  const ModelGraph g = build_graph(spec, s);
  const double sd = 100.0;
  CHECK(layer_macs(g, 3, OpKind::kQProj) == Approx(sd * 768 * 768));
  CHECK(layer_macs(g, 3, OpKind::kOutProj) == Approx(sd * 768 * 768));
  CHECK(layer_macs(g, 3, OpKind::kFfnUp) == Approx(sd * 768 * 3072));
  CHECK(layer_macs(g, 3, OpKind::kFfnDown) == Approx(sd * 3072 * 768));
  // 16-bit elements: the scores tensor written by QK^T is 2 bytes x heads x S x S.
  for (std::size_t v = 0; v < g.size(); ++v) {
    if (g.op(v).kind == OpKind::kScores && g.op(v).layer == 0) {
      CHECK(g.op(v).bytes_out == Approx(2.0 * 12 * sd * sd));
      CHECK(g.op(v).shape == std::vector<std::int64_t>{12, 100, 100});
    }
  }
}

TEST_CASE("every family builds its operators", "[graph]") {
  const ModelGraph bert = build_graph(find_model("bert-tiny"), 32);
  CHECK(count_kind(bert, OpKind::kQProj) == 2);
  CHECK(count_kind(bert, OpKind::kFfnUp) == 2);
  CHECK(count_kind(bert, OpKind::kActivation) == 2);
  CHECK(count_kind(bert, OpKind::kResidualAdd) == 4);
  CHECK(count_kind(bert, OpKind::kNorm) == 5);  // embedding norm + 2 per post-norm block
  CHECK(count_kind(bert, OpKind::kInput) == 1);
  CHECK(count_kind(bert, OpKind::kOutput) == 1);

  // ALBERT's factorised embedding: [S x 128] x [128 x 4096].
  const ModelGraph albert = build_graph(find_model("albert-xxlarge"), 10);
  double proj = 0;
  for (std::size_t v = 0; v < albert.size(); ++v) {
    if (albert.op(v).name == "embed_proj") proj = albert.op(v).macs;
  }
  CHECK(proj == Approx(10.0 * 128 * 4096));
  CHECK(albert.attention_layers().at(0).heads == 64);

  const ModelGraph mem = build_graph(find_model("memn2n"), 50);
  const auto hops = mem.attention_layers();
  REQUIRE(hops.size() == 3);
  for (const auto& h : hops) {
    CHECK(h.heads == 1);
    CHECK(h.head_dim == 20);
    CHECK(h.q_len == 50);
    CHECK(h.k_len == 50);
  }
  CHECK(count_kind(mem, OpKind::kMemoryHop) == 3);
}

TEST_CASE("ViT: seq_len 0 means (image/patch)^2 + 1 tokens", "[graph]") {
  const ModelSpec spec = find_model("vit-base");
  CHECK(spec.default_seq_len == (224 / 16) * (224 / 16) + 1);
  const auto layers = build_graph(spec, 0).attention_layers();
  REQUIRE(layers.size() == 12);
  CHECK(layers.front().q_len == 197);
  CHECK(layers.front().k_len == 197);
}

TEST_CASE("impossible sequence lengths are input errors", "[graph]") {
  const ModelSpec spec = find_model("bert-base");
  CHECK_THROWS_AS(build_graph(spec, 0), leopard::InputError);
  CHECK_THROWS_AS(build_graph(spec, -5), leopard::InputError);
  CHECK_THROWS_AS(build_graph(find_model("memn2n"), 0), leopard::InputError);
  // Above max_positions is allowed (the paper runs GPT-2 at 1280 > 1024 tokens).
  CHECK_NOTHROW(build_graph(spec, 2048));
}

TEST_CASE("topological order respects every edge", "[graph]") {
  const ModelGraph g = build_graph(find_model("gpt2"), 64);
  const auto order = g.topological_order();
  REQUIRE(order.size() == g.size());
  std::vector<std::size_t> pos(g.size());
  for (std::size_t i = 0; i < order.size(); ++i) pos[order[i]] = i;
  std::size_t edges = 0;
  for (std::size_t v = 0; v < g.size(); ++v) {
    for (std::size_t w : g.successors(v)) {
      CHECK(pos[v] < pos[w]);
      ++edges;
      const auto preds = g.predecessors(w);
      CHECK(std::find(preds.begin(), preds.end(), v) != preds.end());
    }
  }
  CHECK(edges > g.size() - 1);  // residual edges make it more than a chain
  CHECK(g.op(order.front()).kind == OpKind::kInput);
  CHECK(g.op(order.back()).kind == OpKind::kOutput);
}

TEST_CASE("non-attention operators exclude exactly the attention patterns", "[graph]") {
  const ModelGraph g = build_graph(find_model("bert-tiny"), 16);
  const auto other = g.non_attention_ops();
  CHECK(other.size() == g.size() - 3 * 2);
  for (std::size_t v : other) {
    const OpKind k = g.op(v).kind;
    CHECK((k != OpKind::kScores && k != OpKind::kSoftmax && k != OpKind::kContext));
  }
}

TEST_CASE("extraction needs the full QK^T -> softmax -> PV pattern; cycles are detected",
          "[graph]") {
  ModelGraph g;
  Operator scores;
  scores.name = "lonely.qk";
  scores.kind = OpKind::kScores;
  scores.shape = {2, 4, 4};
  scores.heads = 2;
  scores.head_dim = 8;
  const auto a = g.add(scores);
  Operator softmax = scores;
  softmax.name = "lonely.softmax";
  softmax.kind = OpKind::kSoftmax;
  const auto b = g.add(softmax);
  g.connect(a, b);
  CHECK(g.attention_layers().empty());  // no PV after the softmax
  Operator pv = scores;
  pv.name = "lonely.pv";
  pv.kind = OpKind::kContext;
  const auto c = g.add(pv);
  g.connect(b, c);
  const auto layers = g.attention_layers();
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].heads == 2);
  CHECK(layers[0].q_len == 4);
  g.connect(c, a);
  CHECK_THROWS_AS(g.topological_order(), leopard::RuntimeError);
}

TEST_CASE("Graphviz output names every operator and edge", "[graph]") {
  const ModelGraph g = build_graph(find_model("bert-tiny"), 8);
  const std::string dot = g.to_dot("bert-tiny");
  CHECK(dot.rfind("digraph", 0) == 0);
  CHECK(dot.find("layer0.qk") != std::string::npos);
  CHECK(dot.find("layer1.ffn_down") != std::string::npos);
  CHECK(dot.find("[2x8x8]") != std::string::npos);
  std::size_t arrows = 0, edges = 0;
  for (std::size_t pos = dot.find("->"); pos != std::string::npos; pos = dot.find("->", pos + 2)) {
    ++arrows;
  }
  for (std::size_t v = 0; v < g.size(); ++v) edges += g.successors(v).size();
  CHECK(arrows == edges);
}
