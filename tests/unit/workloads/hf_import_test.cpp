// Tests of the HuggingFace config.json importer against real hub config layouts.
#include "workloads/hf_import.hpp"

#include <catch2/catch.hpp>

#include "test_util.hpp"
#include "workloads/core/error.hpp"
#include "workloads/model_graph.hpp"

using namespace leopard::workloads;
using leopard::InputError;

namespace {

// Field layout of the hub's bert-base-uncased/config.json.
const char* kBertBase = R"({
  "architectures": ["BertForMaskedLM"],
  "attention_probs_dropout_prob": 0.1,
  "gradient_checkpointing": false,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": 768,
  "initializer_range": 0.02,
  "intermediate_size": 3072,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "bert",
  "num_attention_heads": 12,
  "num_hidden_layers": 12,
  "pad_token_id": 0,
  "position_embedding_type": "absolute",
  "transformers_version": "4.6.0.dev0",
  "type_vocab_size": 2,
  "use_cache": true,
  "vocab_size": 30522
}
)";

// Field layout of the hub's gpt2-large/config.json (no n_inner key: 4 x n_embd).
const char* kGpt2Large = R"({
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 1280,
  "n_head": 20,
  "n_layer": 36,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
  "vocab_size": 50257
}
)";

// GPT-2 small as written by recent transformers versions: n_inner null.
const char* kGpt2Small = R"({
  "_name_or_path": "openai-community/gpt2",
  "activation_function": "gelu_new",
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_inner": null,
  "n_layer": 12,
  "n_positions": 1024,
  "reorder_and_upcast_attn": false,
  "scale_attn_by_inverse_layer_idx": false,
  "vocab_size": 50257
}
)";

// GPT-2 with the generic aliases only.
const char* kGpt2Aliases = R"({
  "model_type": "gpt2",
  "num_hidden_layers": 12,
  "hidden_size": 768,
  "num_attention_heads": 12,
  "max_position_embeddings": 1024
}
)";

// Field layout of the hub's google/vit-base-patch16-224/config.json (labels shortened).
const char* kVitBase = R"({
  "architectures": ["ViTForImageClassification"],
  "attention_probs_dropout_prob": 0.0,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.0,
  "hidden_size": 768,
  "id2label": {"0": "tench, Tinca tinca", "1": "goldfish, Carassius auratus"},
  "image_size": 224,
  "initializer_range": 0.02,
  "intermediate_size": 3072,
  "label2id": {"tench, Tinca tinca": 0, "goldfish, Carassius auratus": 1},
  "layer_norm_eps": 1e-12,
  "model_type": "vit",
  "num_attention_heads": 12,
  "num_channels": 3,
  "num_hidden_layers": 12,
  "patch_size": 16,
  "qkv_bias": true,
  "transformers_version": "4.13.0.dev0"
}
)";

// Field layout of the hub's albert-xxlarge-v2/config.json.
const char* kAlbertXxlarge = R"({
  "architectures": ["AlbertForMaskedLM"],
  "attention_probs_dropout_prob": 0,
  "bos_token_id": 2,
  "classifier_dropout_prob": 0.1,
  "down_scale_factor": 1,
  "embedding_size": 128,
  "eos_token_id": 3,
  "gap_size": 0,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0,
  "hidden_size": 4096,
  "initializer_range": 0.02,
  "inner_group_num": 1,
  "intermediate_size": 16384,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "albert",
  "net_structure_type": 0,
  "num_attention_heads": 64,
  "num_hidden_groups": 1,
  "num_hidden_layers": 12,
  "num_memory_blocks": 0,
  "pad_token_id": 0,
  "type_vocab_size": 2,
  "vocab_size": 30000
}
)";

// The imported model has the zoo entry's attention shapes at the same sequence length.
void check_same_shapes(const ModelSpec& imported, const std::string& zoo_name, std::int64_t s) {
  const ModelSpec zoo = find_model(zoo_name);
  CHECK(imported.family == zoo.family);
  CHECK(imported.layers == zoo.layers);
  CHECK(imported.hidden == zoo.hidden);
  CHECK(imported.heads == zoo.heads);
  CHECK(imported.head_dim == zoo.head_dim);
  CHECK(imported.ffn == zoo.ffn);
  CHECK(imported.embedding == zoo.embedding);
  CHECK(imported.causal == zoo.causal);
  CHECK(imported.max_positions == zoo.max_positions);
  const auto a = build_graph(imported, s).attention_layers();
  const auto b = build_graph(zoo, s).attention_layers();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].heads == b[i].heads);
    CHECK(a[i].head_dim == b[i].head_dim);
    CHECK(a[i].q_len == b[i].q_len);
    CHECK(a[i].k_len == b[i].k_len);
    CHECK(a[i].causal == b[i].causal);
    CHECK(a[i].attention_macs() == Approx(b[i].attention_macs()));
  }
}

std::string error_of(const std::filesystem::path& file) {
  try {
    import_hf_config(file, "");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("BERT config.json reproduces bert-base", "[import]") {
  const auto dir = leopard::test::scratch_dir("hf");
  const auto file = leopard::test::write_file(dir / "config.json", kBertBase);
  const ModelSpec s = import_hf_config(file, "bert-base-imported");
  CHECK(s.name == "bert-base-imported");
  check_same_shapes(s, "bert-base", 384);
}

TEST_CASE("GPT-2 config.json reproduces gpt2-large and gpt2 (names and aliases)", "[import]") {
  const auto dir = leopard::test::scratch_dir("hf");
  const ModelSpec large =
      import_hf_config(leopard::test::write_file(dir / "gpt2-large.json", kGpt2Large), "");
  CHECK(large.name == "gpt2-large");  // derived from the file name
  CHECK(large.ffn == 4 * 1280);
  check_same_shapes(large, "gpt2-large", 1280);
  const ModelSpec small =
      import_hf_config(leopard::test::write_file(dir / "config.json", kGpt2Small), "");
  CHECK(small.name == "gpt2");  // derived from _name_or_path
  check_same_shapes(small, "gpt2", 256);
  const ModelSpec alias =
      import_hf_config(leopard::test::write_file(dir / "alias.json", kGpt2Aliases), "g");
  check_same_shapes(alias, "gpt2", 100);
}

TEST_CASE("ViT config.json reproduces vit-base with (224/16)^2 + 1 tokens", "[import]") {
  const auto dir = leopard::test::scratch_dir("hf");
  const ModelSpec s =
      import_hf_config(leopard::test::write_file(dir / "config.json", kVitBase), "v");
  CHECK(s.default_seq_len == (224 / 16) * (224 / 16) + 1);
  CHECK(s.default_seq_len == 197);
  check_same_shapes(s, "vit-base", 0);
  CHECK(build_graph(s, 0).attention_layers().front().q_len == 197);
}

TEST_CASE("ALBERT config.json reproduces albert-xxlarge", "[import]") {
  const auto dir = leopard::test::scratch_dir("hf");
  const ModelSpec s =
      import_hf_config(leopard::test::write_file(dir / "config.json", kAlbertXxlarge), "a");
  CHECK(s.embedding == 128);
  check_same_shapes(s, "albert-xxlarge", 64);
}

TEST_CASE("imported YAML loads back as a zoo entry", "[import]") {
  const auto dir = leopard::test::scratch_dir("hf");
  const ModelSpec s =
      import_hf_config(leopard::test::write_file(dir / "config.json", kBertBase), "x");
  const auto yaml = leopard::test::write_file(dir / "x.yaml", model_spec_to_yaml(s));
  const ModelSpec back = load_model_spec(yaml);
  CHECK(back.name == "x");
  check_same_shapes(back, "bert-base", 128);
}

TEST_CASE("importer errors name the file and the key or line", "[import]") {
  const auto dir = leopard::test::scratch_dir("hf");
  std::string missing = kBertBase;
  missing.replace(missing.find("\"num_attention_heads\": 12,"), 26, "");
  const auto f1 = leopard::test::write_file(dir / "missing.json", missing);
  const std::string e1 = error_of(f1);
  CHECK(e1.find("missing.json") != std::string::npos);
  CHECK(e1.find("num_attention_heads") != std::string::npos);

  const auto f2 = leopard::test::write_file(dir / "broken.json",
                                            "{\n  \"model_type\": \"bert\",\n"
                                            "  \"hidden_size\": 768,,\n}\n");
  const std::string e2 = error_of(f2);
  CHECK(e2.find("broken.json:3") != std::string::npos);

  const auto f3 = leopard::test::write_file(dir / "gpt.json",
                                            "{\"model_type\": \"gpt2\", "
                                            "\"n_embd\": 64, \"n_head\": 2, "
                                            "\"n_positions\": 32}");
  CHECK(error_of(f3).find("n_layer") != std::string::npos);

  const auto f4 = leopard::test::write_file(dir / "t5.json", "{\"model_type\": \"t5\"}");
  CHECK(error_of(f4).find("model_type") != std::string::npos);

  std::string wrong = kBertBase;
  wrong.replace(wrong.find("\"hidden_size\": 768"), 18, "\"hidden_size\": \"768\"");
  CHECK(error_of(leopard::test::write_file(dir / "type.json", wrong)).find("hidden_size") !=
        std::string::npos);
}

// --- Decoder LLMs (family llama): published HF hub configs in tests/data/workloads/hf -----------

TEST_CASE("LLM config.json files import with their layers, heads, kv_heads and head_dim",
          "[import][llm]") {
  struct Expect {
    const char* file;
    int layers, hidden, heads, kv_heads, head_dim, ffn;
    std::int64_t max_positions, window;
    int windowed_layers;  // layers with the window (0 when none)
  };
  // The published values (HF hub config.json of each model; README "LLM models").
  const Expect expect[] = {
      {"Meta-Llama-3-8B.json", 32, 4096, 32, 8, 128, 14336, 8192, 0, 0},
      {"Llama-3.1-8B.json", 32, 4096, 32, 8, 128, 14336, 131072, 0, 0},
      {"Meta-Llama-3-70B.json", 80, 8192, 64, 8, 128, 28672, 8192, 0, 0},
      {"Mistral-7B-v0.1.json", 32, 4096, 32, 8, 128, 14336, 32768, 4096, 32},
      // use_sliding_window false: Qwen2's sliding_window 131072 is not used.
      {"Qwen2-7B.json", 28, 3584, 28, 4, 128, 18944, 131072, 0, 0},
      // Explicit head_dim 256 (16 x 256 = 4096 != hidden 3584); local layers alternate.
      {"gemma-2-9b.json", 42, 3584, 16, 8, 256, 14336, 8192, 4096, 21},
      {"gemma-7b.json", 28, 3072, 16, 16, 256, 24576, 8192, 0, 0},
      {"Phi-3-mini-4k-instruct.json", 32, 3072, 32, 32, 96, 8192, 4096, 2047, 32},
  };
  for (const auto& e : expect) {
    INFO(e.file);
    const ModelSpec s = import_hf_config(leopard::test::data_file(std::string("hf/") + e.file), "");
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
    int windowed = 0;
    for (int l = 0; l < s.layers; ++l) windowed += s.window_of(l) > 0 ? 1 : 0;
    CHECK(windowed == e.windowed_layers);
    // The graph's attention layers carry the same heads, kv_heads, head_dim and windows.
    const auto layers = build_graph(s, 1024).attention_layers();
    REQUIRE(static_cast<int>(layers.size()) == e.layers);
    for (const auto& l : layers) {
      CHECK(l.heads == e.heads);
      CHECK(l.kv_heads == e.kv_heads);
      CHECK(l.head_dim == e.head_dim);
      CHECK(l.window == s.window_of(l.index));
    }
  }
  // Gemma-2: even layers local (HF Gemma2DecoderLayer: is_sliding = not bool(layer_idx % 2)).
  const ModelSpec gemma = import_hf_config(leopard::test::data_file("hf/gemma-2-9b.json"), "");
  CHECK(gemma.window_of(0) == 4096);
  CHECK(gemma.window_of(1) == 0);
  CHECK(gemma.name == "gemma-2-9b");  // derived from the file name
}

TEST_CASE("imported LLM configs match the zoo entries and round-trip through YAML",
          "[import][llm]") {
  const std::pair<const char*, const char*> pairs[] = {
      {"Meta-Llama-3-8B.json", "llama3-8b"},   {"Llama-3.1-8B.json", "llama3.1-8b"},
      {"Meta-Llama-3-70B.json", "llama3-70b"}, {"Mistral-7B-v0.1.json", "mistral-7b"},
      {"Qwen2-7B.json", "qwen2-7b"},           {"gemma-2-9b.json", "gemma2-9b"}};
  const auto dir = leopard::test::scratch_dir("hfllm");
  for (const auto& [file, zoo_name] : pairs) {
    INFO(file);
    const ModelSpec s = import_hf_config(leopard::test::data_file(std::string("hf/") + file), "");
    const ModelSpec zoo = find_model(zoo_name);
    CHECK(s.kv_heads == zoo.kv_heads);
    CHECK(s.sliding_window == zoo.sliding_window);
    CHECK(s.sliding_window_layers == zoo.sliding_window_layers);
    CHECK(s.vocab == zoo.vocab);
    check_same_shapes(s, zoo_name, 2048);
    const std::string yaml = model_spec_to_yaml(s);
    CHECK(yaml.find("kv_heads: " + std::to_string(zoo.kv_heads)) != std::string::npos);
    const ModelSpec back =
        load_model_spec(leopard::test::write_file(dir / (std::string(zoo_name) + ".yaml"), yaml));
    CHECK(back.kv_heads == s.kv_heads);
    CHECK(back.sliding_window_layers == s.sliding_window_layers);
    check_same_shapes(back, zoo_name, 512);
  }
  // An MHA import writes kv_heads too (the default, heads).
  const ModelSpec bert =
      import_hf_config(leopard::test::write_file(dir / "config.json", kBertBase), "bert-imported");
  CHECK(model_spec_to_yaml(bert).find("kv_heads: 12") != std::string::npos);
}

TEST_CASE("LLM sliding-window rules: Qwen2 use_sliding_window, layer_types, null window",
          "[import][llm]") {
  const auto dir = leopard::test::scratch_dir("hfwin");
  const std::string common =
      R"("num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 128, "max_position_embeddings": 256)";
  auto load_cfg = [&](const std::string& extra) {
    return import_hf_config(
        leopard::test::write_file(dir / "config.json", "{" + common + ", " + extra + "}"), "t");
  };
  auto windowed = [](const ModelSpec& s) {
    std::vector<int> on;
    for (int l = 0; l < s.layers; ++l) {
      if (s.window_of(l) > 0) on.push_back(l);
    }
    return on;
  };
  // Qwen2 with the window switched on: the layers at or above max_window_layers.
  CHECK(windowed(load_cfg(R"("model_type": "qwen2", "sliding_window": 32,
                           "use_sliding_window": true, "max_window_layers": 2)")) ==
        std::vector<int>{2, 3});
  CHECK(windowed(load_cfg(R"("model_type": "qwen2", "sliding_window": 32,
                           "use_sliding_window": false, "max_window_layers": 2)"))
            .empty());
  CHECK(windowed(load_cfg(R"("model_type": "qwen2", "sliding_window": 32)")).empty());
  // Mistral v0.2+ writes sliding_window null: no window.
  CHECK(windowed(load_cfg(R"("model_type": "mistral", "sliding_window": null)")).empty());
  // layer_types (newer transformers) wins over the per-family rule.
  CHECK(windowed(load_cfg(R"("model_type": "gemma2", "sliding_window": 32,
      "layer_types": ["full_attention", "sliding_attention", "sliding_attention",
                      "full_attention"])")) == std::vector<int>{1, 2});
  // head_dim absent: hidden / heads; num_key_value_heads absent: heads.
  const ModelSpec plain = load_cfg(R"("model_type": "llama", "num_key_value_heads": null)");
  CHECK(plain.head_dim == 16);
  CHECK(plain.kv_heads == 4);
  // Errors name the file and the key.
  CHECK(error_of(leopard::test::write_file(
                     dir / "kv.json",
                     R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64,
                         "num_attention_heads": 4, "num_key_value_heads": 3,
                         "intermediate_size": 8, "max_position_embeddings": 8})"))
            .find("num_key_value_heads") != std::string::npos);
  CHECK(error_of(leopard::test::write_file(
                     dir / "types.json",
                     "{" + common + R"(, "model_type": "mistral", "sliding_window": 8,
                         "layer_types": ["sliding_attention"]})"))
            .find("layer_types") != std::string::npos);
  CHECK(error_of(
            leopard::test::write_file(
                dir / "flag.json", "{" + common + R"(, "model_type": "qwen2", "sliding_window": 8,
                         "use_sliding_window": "yes"})"))
            .find("use_sliding_window") != std::string::npos);
  CHECK(error_of(leopard::test::write_file(dir / "noffn.json",
                                           R"({"model_type": "phi3", "num_hidden_layers": 2,
                                               "hidden_size": 64, "num_attention_heads": 4,
                                               "max_position_embeddings": 8})"))
            .find("intermediate_size") != std::string::npos);
}
