// Tests of the model zoo: the shipped entries, strict YAML keys and the YAML round trip.
#include "workloads/model_spec.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "test_util.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::workloads;
using leopard::InputError;

TEST_CASE("the zoo lists the required models", "[zoo]") {
  const auto names = list_zoo();
  for (const char* n : {"albert-xxlarge", "bert-base", "bert-large", "bert-tiny", "gpt2",
                        "gpt2-large", "memn2n", "vit-base"}) {
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  }
  CHECK(std::is_sorted(names.begin(), names.end()));
}

TEST_CASE("zoo sizes follow docs/references.md section 7", "[zoo]") {
  struct Expect {
    const char* name;
    int hidden, layers, heads, ffn;
  };
  // docs/references.md §7, standard sizes (hidden / layers / heads / FFN).
  const Expect expect[] = {{"bert-base", 768, 12, 12, 3072},
                           {"bert-large", 1024, 24, 16, 4096},
                           {"albert-xxlarge", 4096, 12, 64, 16384},
                           {"gpt2-large", 1280, 36, 20, 5120},
                           {"vit-base", 768, 12, 12, 3072},
                           {"gpt2", 768, 12, 12, 3072},
                           {"bert-tiny", 128, 2, 2, 512}};
  for (const auto& e : expect) {
    INFO(e.name);
    const ModelSpec s = find_model(e.name);
    CHECK(s.name == e.name);
    CHECK(s.hidden == e.hidden);
    CHECK(s.layers == e.layers);
    CHECK(s.heads == e.heads);
    CHECK(s.ffn == e.ffn);
    CHECK(s.head_dim == 64);
    CHECK_FALSE(s.source.empty());
  }
  const ModelSpec albert = find_model("albert-xxlarge");
  CHECK(albert.embedding == 128);
  CHECK(find_model("gpt2-large").causal);
  CHECK_FALSE(find_model("bert-base").causal);
  const ModelSpec mem = find_model("memn2n");
  CHECK(mem.family == ModelFamily::kMemN2N);
  CHECK(mem.layers == 3);
  CHECK(mem.hidden == 20);
  CHECK(mem.heads == 1);
  CHECK(mem.head_dim == 20);
  CHECK(mem.memory_size == 50);
}

TEST_CASE("model YAML rejects unknown keys, missing keys and wrong types", "[zoo]") {
  const auto dir = leopard::test::scratch_dir("spec");
  const std::string good =
      "name: toy\nfamily: bert\nlayers: 2\nhidden: 64\nheads: 4\nffn: 128\nmax_positions: 64\n";
  SECTION("a good file loads and derives head_dim and default_seq_len") {
    const ModelSpec s = load_model_spec(leopard::test::write_file(dir / "ok.yaml", good));
    CHECK(s.head_dim == 16);
    CHECK(s.default_seq_len == 64);
  }
  SECTION("unknown key (bad fixture)") {
    const auto file = leopard::test::data_file("bad/unknown_key_model.yaml");
    try {
      load_model_spec(file);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.field() == "hiden");
      CHECK(e.line() == 6);
      CHECK(e.file() == file.string());
    }
  }
  SECTION("missing required key") {
    const auto file = leopard::test::write_file(dir / "missing.yaml",
                                                "name: toy\nfamily: bert\nlayers: 2\nhidden: 64\n"
                                                "ffn: 128\nmax_positions: 64\n");
    try {
      load_model_spec(file);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.field() == "heads");
      CHECK(std::string(e.what()).find("missing.yaml") != std::string::npos);
    }
  }
  SECTION("wrong type") {
    const auto file = leopard::test::write_file(dir / "type.yaml",
                                                "name: toy\nfamily: bert\nlayers: twelve\n"
                                                "hidden: 64\nheads: 4\nffn: 128\n");
    try {
      load_model_spec(file);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.field() == "layers");
      CHECK(e.line() == 3);
    }
  }
  SECTION("duplicate key") {
    const auto file = leopard::test::write_file(dir / "dup.yaml", good + "heads: 8\n");
    try {
      load_model_spec(file);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.field() == "heads");
      CHECK(e.line() == 8);
    }
  }
  SECTION("unknown family, bad head split, boolean type") {
    CHECK_THROWS_AS(
        load_model_spec(leopard::test::write_file(
            dir / "fam.yaml", "name: t\nfamily: lstm\nlayers: 1\nhidden: 8\nheads: 1\n")),
        InputError);
    CHECK_THROWS_AS(load_model_spec(leopard::test::write_file(
                        dir / "div.yaml",
                        "name: t\nfamily: bert\nlayers: 1\nhidden: 10\nheads: 3\n"
                        "ffn: 8\nmax_positions: 8\n")),
                    InputError);
    CHECK_THROWS_AS(
        load_model_spec(leopard::test::write_file(dir / "bool.yaml", good + "causal: maybe\n")),
        InputError);
  }
}

TEST_CASE("model_spec_to_yaml round-trips", "[zoo]") {
  const auto dir = leopard::test::scratch_dir("roundtrip");
  for (const auto& name : list_zoo()) {
    INFO(name);
    const ModelSpec a = find_model(name);
    const ModelSpec b =
        load_model_spec(leopard::test::write_file(dir / (name + ".yaml"), model_spec_to_yaml(a)));
    CHECK(b.name == a.name);
    CHECK(b.family == a.family);
    CHECK(b.source == a.source);
    CHECK(b.layers == a.layers);
    CHECK(b.hidden == a.hidden);
    CHECK(b.heads == a.heads);
    CHECK(b.kv_heads == a.kv_heads);
    CHECK(b.head_dim == a.head_dim);
    CHECK(b.ffn == a.ffn);
    CHECK(b.embedding == a.embedding);
    CHECK(b.max_positions == a.max_positions);
    CHECK(b.default_seq_len == a.default_seq_len);
    CHECK(b.causal == a.causal);
    CHECK(b.image_size == a.image_size);
    CHECK(b.patch_size == a.patch_size);
    CHECK(b.memory_size == a.memory_size);
    CHECK(b.sliding_window == a.sliding_window);
    CHECK(b.sliding_window_layers == a.sliding_window_layers);
  }
}

TEST_CASE("find_model accepts a path and rejects unknown names", "[zoo]") {
  CHECK(find_model(leopard::test::data_file("mini.yaml").string()).name == "mini");
  try {
    find_model("bert-gigantic");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("bert-gigantic") != std::string::npos);
  }
}

// --- LLM entries: kv_heads, sliding_window ------------------------------------------------------

TEST_CASE("LLM zoo entries carry the published HF configs", "[zoo][llm]") {
  struct Expect {
    const char* name;
    int layers, hidden, heads, kv_heads, head_dim, ffn;
    std::int64_t max_positions, window;
  };
  // HF hub config.json values (each file's `# source:` line; README "LLM models").
  const Expect expect[] = {{"llama3-8b", 32, 4096, 32, 8, 128, 14336, 8192, 0},
                           {"llama3.1-8b", 32, 4096, 32, 8, 128, 14336, 131072, 0},
                           {"llama3-70b", 80, 8192, 64, 8, 128, 28672, 8192, 0},
                           {"mistral-7b", 32, 4096, 32, 8, 128, 14336, 32768, 4096},
                           {"qwen2-7b", 28, 3584, 28, 4, 128, 18944, 131072, 0},
                           {"gemma2-9b", 42, 3584, 16, 8, 256, 14336, 8192, 4096}};
  for (const auto& e : expect) {
    INFO(e.name);
    const ModelSpec s = find_model(e.name);
    CHECK(s.family == ModelFamily::kLlama);
    CHECK(s.causal);
    CHECK(s.layers == e.layers);
    CHECK(s.hidden == e.hidden);
    CHECK(s.heads == e.heads);
    CHECK(s.kv_heads == e.kv_heads);
    CHECK(s.head_dim == e.head_dim);
    CHECK(s.ffn == e.ffn);
    CHECK(s.max_positions == e.max_positions);
    CHECK(s.sliding_window == e.window);
    CHECK(s.source.find("HF hub") == 0);
  }
  // Gemma-2 alternates: even layers local (window 4096), odd layers global.
  const ModelSpec gemma = find_model("gemma2-9b");
  CHECK(gemma.sliding_window_layers.size() == 21);
  CHECK(gemma.window_of(0) == 4096);
  CHECK(gemma.window_of(1) == 0);
  CHECK(gemma.window_of(40) == 4096);
  CHECK(gemma.window_of(41) == 0);
  CHECK(find_model("mistral-7b").window_of(31) == 4096);
  // kv_heads defaults to heads for the older entries.
  CHECK(find_model("bert-base").kv_heads == 12);
}

TEST_CASE("sliding_window YAML forms: integer, all, even, odd, list", "[zoo][llm]") {
  const auto dir = leopard::test::scratch_dir("window");
  const std::string base =
      "name: t\nfamily: llama\nlayers: 6\nhidden: 64\nheads: 4\nkv_heads: 2\nffn: 128\n"
      "max_positions: 64\n";
  auto load = [&](const std::string& tail) {
    return load_model_spec(leopard::test::write_file(dir / "w.yaml", base + tail));
  };
  auto layers_with_window = [](const ModelSpec& s) {
    std::vector<int> on;
    for (int l = 0; l < s.layers; ++l) {
      if (s.window_of(l) > 0) on.push_back(l);
    }
    return on;
  };
  const std::vector<int> all = {0, 1, 2, 3, 4, 5};
  CHECK(layers_with_window(load("")).empty());
  CHECK(layers_with_window(load("sliding_window: 16\n")) == all);
  CHECK(layers_with_window(load("sliding_window: {size: 16, layers: all}\n")) == all);
  CHECK(layers_with_window(load("sliding_window: {size: 16}\n")) == all);
  CHECK(layers_with_window(load("sliding_window:\n  size: 16\n  layers: even\n")) ==
        std::vector<int>{0, 2, 4});
  CHECK(layers_with_window(load("sliding_window: {size: 16, layers: odd}\n")) ==
        std::vector<int>{1, 3, 5});
  CHECK(layers_with_window(load("sliding_window: {size: 16, layers: [5, 0, 3]}\n")) ==
        std::vector<int>{0, 3, 5});
  // Every layer listed is the plain form.
  CHECK(load("sliding_window: {size: 16, layers: [0, 1, 2, 3, 4, 5]}\n")
            .sliding_window_layers.empty());
  const ModelSpec spec = load("sliding_window: {size: 16, layers: [1, 2]}\n");
  CHECK(spec.window_of(1) == 16);
  CHECK(spec.window_of(0) == 0);
  CHECK(spec.causal);  // the llama family is causal

  // The writer picks the shortest form, and it loads back to the same layers.
  for (const char* tail : {"sliding_window: 16\n", "sliding_window: {size: 16, layers: even}\n",
                           "sliding_window: {size: 16, layers: odd}\n",
                           "sliding_window: {size: 16, layers: [1, 2]}\n"}) {
    INFO(tail);
    const ModelSpec a = load(tail);
    const std::string yaml = model_spec_to_yaml(a);
    CHECK(yaml.find("kv_heads: 2") != std::string::npos);
    const ModelSpec b = load_model_spec(leopard::test::write_file(dir / "back.yaml", yaml));
    CHECK(b.sliding_window == 16);
    CHECK(b.sliding_window_layers == a.sliding_window_layers);
  }
  CHECK(
      model_spec_to_yaml(load("sliding_window: {size: 16, layers: even}\n")).find("layers: even") !=
      std::string::npos);
}

TEST_CASE("kv_heads and sliding_window errors name the line and field", "[zoo][llm]") {
  const auto dir = leopard::test::scratch_dir("llmerr");
  const std::string base =
      "name: t\nfamily: llama\nlayers: 6\nhidden: 64\nheads: 4\nffn: 128\n"
      "max_positions: 64\n";
  struct Case {
    const char* tail;
    const char* field;
    std::int64_t line;
  };
  const Case cases[] = {
      {"kv_heads: 3\n", "kv_heads", 8},  // does not divide heads
      {"kv_heads: 8\n", "kv_heads", 8},  // more K/V heads than query heads
      {"kv_heads: 0\n", "kv_heads", 8},
      {"sliding_window: 0\n", "sliding_window", 8},
      {"sliding_window: -4\n", "sliding_window", 8},
      {"sliding_window: wide\n", "sliding_window", 8},
      {"sliding_window: [1, 2]\n", "sliding_window", 8},
      {"sliding_window: {layers: even}\n", "sliding_window.size", 8},
      {"sliding_window: {size: 16, layers: every}\n", "sliding_window.layers", 8},
      {"sliding_window: {size: 16, layers: [0, 6]}\n", "sliding_window.layers", 8},
      {"sliding_window: {size: 16, layers: [1, 1]}\n", "sliding_window.layers", 8},
      {"sliding_window: {size: 16, layers: []}\n", "sliding_window.layers", 8},
      {"sliding_window: {size: 16, every: 2}\n", "sliding_window.every", 8},
      {"causal: false\n", "causal", 8},
  };
  for (const auto& c : cases) {
    INFO(c.tail);
    const auto file = leopard::test::write_file(dir / "bad.yaml", base + c.tail);
    try {
      load_model_spec(file);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.file() == file.string());
      CHECK(e.field() == c.field);
      CHECK(e.line() == c.line);
    }
  }
  // A window needs a causal model.
  const auto enc = leopard::test::write_file(
      dir / "enc.yaml",
      "name: t\nfamily: bert\nlayers: 2\nhidden: 64\nheads: 4\nffn: 128\nmax_positions: 64\n"
      "sliding_window: 8\n");
  try {
    load_model_spec(enc);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "sliding_window");
    CHECK(e.line() == 8);
  }
}
