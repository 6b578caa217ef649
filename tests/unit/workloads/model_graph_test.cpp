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

// --- LLM shapes: causal bottom-right alignment, sliding windows, GQA, decode ---------------------

namespace {

// Brute force: query i of q_len sees key j when j <= k_len - q_len + i (causal, bottom-right) and
// j > k_len - q_len + i - window (sliding window, itself included); every key when not causal.
double brute_scores(std::int64_t q_len, std::int64_t k_len, bool causal, std::int64_t window) {
  double n = 0;
  for (std::int64_t i = 0; i < q_len; ++i) {
    const std::int64_t pos = k_len - q_len + i;  // the query's own position among the keys
    std::int64_t seen = 0;
    for (std::int64_t j = 0; j < k_len; ++j) {
      if (causal && j > pos) continue;
      if (window > 0 && causal && j <= pos - window) continue;
      seen += 1;
    }
    if (window > 0 && !causal) seen = std::min(seen, window);
    n += static_cast<double>(seen);
  }
  return n;
}

AttentionLayer shape_of(std::int64_t q, std::int64_t k, bool causal, std::int64_t window) {
  AttentionLayer a;
  a.heads = 1;
  a.head_dim = 1;
  a.q_len = q;
  a.k_len = k;
  a.causal = causal;
  a.window = window;
  return a;
}

}  // namespace

TEST_CASE("scores_per_head matches a brute-force count (causal bottom-right, windows)",
          "[graph][llm]") {
  for (std::int64_t q = 1; q <= 9; ++q) {
    for (std::int64_t k = 1; k <= 11; ++k) {
      for (std::int64_t w : {0, 1, 2, 3, 5, 20}) {
        for (bool causal : {false, true}) {
          INFO("q " << q << " k " << k << " window " << w << " causal " << causal);
          CHECK(shape_of(q, k, causal, w).scores_per_head() == brute_scores(q, k, causal, w));
        }
      }
    }
  }
}

TEST_CASE("scores_per_head closed forms: prefill, decode, q_len < k_len, window", "[graph][llm]") {
  // Prefill S x S causal: S (S + 1) / 2.
  CHECK(shape_of(4096, 4096, true, 0).scores_per_head() == 4096.0 * 4097 / 2);
  // Decode: the single query sees the whole cache (k_len keys), or at most W of them.
  CHECK(shape_of(1, 32768, true, 0).scores_per_head() == 32768);
  CHECK(shape_of(1, 32768, true, 4096).scores_per_head() == 4096);
  CHECK(shape_of(1, 100, true, 4096).scores_per_head() == 100);
  // q_len < k_len (a chunk after a cache): query i sees k - q + i + 1 keys,
  // sum = q (k - q) + q (q + 1) / 2.
  CHECK(shape_of(3, 10, true, 0).scores_per_head() == 3 * 7 + 6);
  CHECK(shape_of(128, 4096, true, 0).scores_per_head() == 128.0 * 3968 + 128.0 * 129 / 2);
  // Prefill with a window W < S: W (W + 1) / 2 + (S - W) W.
  CHECK(shape_of(32768, 32768, true, 4096).scores_per_head() ==
        4096.0 * 4097 / 2 + (32768.0 - 4096) * 4096);
  // 128k-token prefill: 131072 x 131073 / 2 = 8,590,000,128 (about 8.6e9), exact in double.
  CHECK(shape_of(131072, 131072, true, 0).scores_per_head() == 8590000128.0);
}

TEST_CASE("llama family: GQA projections, gated FFN of three matrices, RMSNorm pre-norm",
          "[graph][llm]") {
  const ModelSpec spec = find_model("llama3-8b");
  REQUIRE(spec.family == ModelFamily::kLlama);
  const std::int64_t s = 256;
  const double sd = static_cast<double>(s);
  const ModelGraph g = build_graph(spec, s);
  // Dense closed forms (Llama-3-8B: hidden 4096, 32 heads x 128, 8 K/V heads, FFN 14336).
  CHECK(layer_macs(g, 5, OpKind::kQProj) == sd * 4096 * (32 * 128));
  CHECK(layer_macs(g, 5, OpKind::kKProj) == sd * 4096 * (8 * 128));
  CHECK(layer_macs(g, 5, OpKind::kVProj) == sd * 4096 * (8 * 128));
  CHECK(layer_macs(g, 5, OpKind::kOutProj) == sd * (32 * 128) * 4096);
  CHECK(layer_macs(g, 5, OpKind::kFfnUp) == 2 * sd * 4096 * 14336);  // gate and up
  CHECK(layer_macs(g, 5, OpKind::kFfnDown) == sd * 14336 * 4096);
  CHECK(count_kind(g, OpKind::kFfnUp) == 2 * 32);
  CHECK(count_kind(g, OpKind::kFfnDown) == 32);
  CHECK(count_kind(g, OpKind::kActivation) == 2 * 32);  // act(gate) and act(gate) * up
  CHECK(count_kind(g, OpKind::kNorm) == 2 * 32 + 1);    // two per block plus the final norm
  const auto layers = g.attention_layers();
  REQUIRE(layers.size() == 32);
  for (const auto& l : layers) {
    CHECK(l.heads == 32);
    CHECK(l.kv_heads == 8);
    CHECK(l.head_dim == 128);
    CHECK(l.causal);
    CHECK(l.window == 0);
    CHECK(l.q_len == s);
    CHECK(l.k_len == s);
  }
  // K is read once per K/V head: 8 x S x 128 elements (GQA), Q once per query head.
  for (std::size_t v = 0; v < g.size(); ++v) {
    if (g.op(v).kind == OpKind::kScores && g.op(v).layer == 0) {
      CHECK(g.op(v).bytes_in == 2.0 * (32 * sd * 128 + 8 * sd * 128));
    }
  }
}

TEST_CASE("prefill attention MACs are quadratic in the prompt (causal closed form)",
          "[graph][llm]") {
  const ModelSpec spec = find_model("llama3.1-8b");
  for (std::int64_t s : {512, 4096, 32768}) {
    const double sd = static_cast<double>(s);
    const ModelGraph g = build_graph(spec, s);
    // Per layer: QK^T and PV each heads x S (S + 1) / 2 x head_dim MACs.
    const double expect = 2.0 * 32 * (sd * (sd + 1) / 2) * 128;
    CHECK(layer_macs(g, 0, OpKind::kScores) + layer_macs(g, 0, OpKind::kContext) == expect);
    double total = 0;
    for (const auto& l : g.attention_layers()) total += l.attention_macs();
    CHECK(total == 32 * expect);
  }
}

TEST_CASE("a 128k-token prefill builds without overflow", "[graph][llm]") {
  const ModelSpec spec = find_model("llama3.1-8b");
  const std::int64_t s = 131072;
  const auto layers = build_graph(spec, s).attention_layers();
  REQUIRE(layers.size() == 32);
  CHECK(layers[0].q_len == s);
  CHECK(layers[0].scores_per_head() == 8590000128.0);
  CHECK(layers[0].attention_macs() == 2.0 * 32 * 8590000128.0 * 128);
}

TEST_CASE("sliding windows reach every layer's shape (Mistral all, Gemma-2 even layers)",
          "[graph][llm]") {
  const auto mistral = build_graph(find_model("mistral-7b"), 8192).attention_layers();
  REQUIRE(mistral.size() == 32);
  for (const auto& l : mistral) {
    CHECK(l.window == 4096);
    CHECK(l.scores_per_head() == 4096.0 * 4097 / 2 + 4096.0 * 4096);
  }
  const auto gemma = build_graph(find_model("gemma2-9b"), 8192).attention_layers();
  REQUIRE(gemma.size() == 42);
  for (const auto& l : gemma) {
    INFO("layer " << l.index);
    CHECK(l.window == (l.index % 2 == 0 ? 4096 : 0));
    CHECK(l.head_dim == 256);
    CHECK(l.kv_heads == 8);
  }
  CHECK(gemma[0].scores_per_head() < gemma[1].scores_per_head());
  CHECK(gemma[1].scores_per_head() == 8192.0 * 8193 / 2);
}

TEST_CASE("decode graph: one query row per sequence against the whole cache", "[graph][llm]") {
  const ModelSpec spec = find_model("llama3-8b");
  const std::int64_t n = 4096, batch = 4;
  const ModelGraph g = build_decode_graph(spec, n, batch);
  const auto layers = g.attention_layers();
  REQUIRE(layers.size() == 32);
  for (const auto& l : layers) {
    CHECK(l.q_len == 1);
    CHECK(l.k_len == n);
    CHECK(l.causal);
    CHECK(l.heads == 32);
    CHECK(l.kv_heads == 8);
    CHECK(l.scores_per_head() == n);
  }
  // Projections run on one row per sequence; attention MACs count every sequence of the batch.
  CHECK(layer_macs(g, 0, OpKind::kQProj) == batch * 4096.0 * 4096);
  CHECK(layer_macs(g, 0, OpKind::kKProj) == batch * 4096.0 * 1024);
  CHECK(layer_macs(g, 0, OpKind::kScores) == batch * 32.0 * n * 128);
  // The K cache is read once per K/V head per sequence: 8 x N x 128 elements at 2 bytes.
  for (std::size_t v = 0; v < g.size(); ++v) {
    if (g.op(v).kind == OpKind::kScores && g.op(v).layer == 0) {
      CHECK(g.op(v).bytes_in == 2.0 * batch * (32 * 128 + 8.0 * n * 128));
    }
  }
  // Mistral's window caps the keys of the one query.
  const auto m = build_decode_graph(find_model("mistral-7b"), 32768, 1).attention_layers();
  CHECK(m[0].k_len == 32768);
  CHECK(m[0].scores_per_head() == 4096);
  // Decode needs a causal decoder and positive sizes.
  CHECK_THROWS_AS(build_decode_graph(find_model("bert-base"), 128, 1), leopard::InputError);
  CHECK_THROWS_AS(build_decode_graph(spec, 0, 1), leopard::InputError);
  CHECK_THROWS_AS(build_decode_graph(spec, 16, 0), leopard::InputError);
  CHECK_NOTHROW(build_decode_graph(find_model("gpt2"), 2048, 1));
}
