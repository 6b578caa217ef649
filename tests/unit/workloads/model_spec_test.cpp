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

TEST_CASE("zoo sizes follow references.md", "[zoo]") {
  struct Expect {
    const char* name;
    int hidden, layers, heads, ffn;
  };
  // references.md "Standard sizes (hidden / layers / heads / FFN)".
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
    CHECK(b.head_dim == a.head_dim);
    CHECK(b.ffn == a.ffn);
    CHECK(b.embedding == a.embedding);
    CHECK(b.max_positions == a.max_positions);
    CHECK(b.default_seq_len == a.default_seq_len);
    CHECK(b.causal == a.causal);
    CHECK(b.image_size == a.image_size);
    CHECK(b.patch_size == a.patch_size);
    CHECK(b.memory_size == a.memory_size);
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
