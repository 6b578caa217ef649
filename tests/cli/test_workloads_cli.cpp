// End-to-end tests of `leopard-dse workloads ...` and `leopard-dse stats check` (exit codes,
// output).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/run_command.hpp"
#include "tests/unit/workloads/onnx_models.hpp"

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

Run run(const std::string& args) {
  const auto r =
      leopard::test::run_command(std::string("'") + LEOPARD_BINARY + "' " + args + " 2>&1");
  return Run{r.code, r.out};
}

std::string data(const std::string& relative) {
  return std::string(LEOPARD_SOURCE_DIR) + "/tests/data/workloads/" + relative;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("workloads list shows the zoo", "[cli][workloads]") {
  const Run r = run("workloads list");
  INFO(r.output);
  CHECK(r.code == 0);
  for (const char* name : {"bert-base", "bert-large", "albert-xxlarge", "gpt2-large", "vit-base",
                           "memn2n", "bert-tiny", "gpt2"}) {
    CHECK(has(r.output, name));
  }
  const Run csv = run("workloads list --format csv");
  CHECK(csv.code == 0);
  CHECK(csv.output.rfind("model,family,layers,heads,kv_heads,head_dim", 0) == 0);
  // The LLM entries: grouped-query attention and sliding windows.
  CHECK(has(csv.output, "llama3-8b,llama,32,32,8,128,4096,14336,8192,yes,-\n"));
  CHECK(has(csv.output, "mistral-7b,llama,32,32,8,128,4096,14336,8192,yes,4096\n"));
  CHECK(
      has(csv.output, "gemma2-9b,llama,42,16,8,256,3584,14336,8192,yes,4096 (21 of 42 layers)\n"));
  CHECK(has(csv.output, "bert-base,bert,12,12,12,64,768,3072,512,no,-\n"));
}

TEST_CASE("workloads show bert-base: 12 layers x 12 heads, head dim 64", "[cli][workloads]") {
  const Run r = run("workloads show bert-base --seq-len 128 --format csv");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(has(r.output,
            "layer,name,heads,kv_heads,head_dim,q_len,k_len,causal,window,scores_per_head,"
            "attention_macs\n"));
  // 2 x 12 heads x 128^2 x 64 = 25165824 attention MACs per layer.
  for (int l = 0; l < 12; ++l) {
    CHECK(has(r.output, std::to_string(l) + ",layer" + std::to_string(l) +
                            ".qk,12,12,64,128,128,no,0,16384,25165824\n"));
  }
  CHECK_FALSE(has(r.output, "layer12"));
  const Run table = run("workloads show bert-base");
  CHECK(table.code == 0);
  CHECK(has(table.output, "12 attention layers, heads 12, kv_heads 12, seq_len 512"));
  const Run json = run("workloads show gpt2-large --seq-len 1280 --format json");
  CHECK(json.code == 0);
  CHECK(has(json.output, "\"causal\": \"yes\""));
  CHECK(has(json.output, "\"scores_per_head\": 819840"));  // 1280 x 1281 / 2
}

TEST_CASE("workloads show --dot prints Graphviz; bad model and length exit 2", "[cli][workloads]") {
  const Run dot = run("workloads show bert-tiny --seq-len 8 --dot");
  CHECK(dot.code == 0);
  CHECK(dot.output.rfind("digraph", 0) == 0);
  CHECK(has(dot.output, "layer1.qk"));
  const Run bad = run("workloads show bert-enormous");
  CHECK(bad.code == 2);
  CHECK(has(bad.output, "bert-enormous"));
  const Run zero = run("workloads show memn2n --seq-len -3");
  CHECK(zero.code == 2);
}

TEST_CASE("workloads import writes a zoo entry", "[cli][workloads]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("leopard-cli-wl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream cfg(dir / "config.json");
    cfg << R"({"model_type": "vit", "hidden_size": 768, "num_hidden_layers": 12,
              "num_attention_heads": 12, "intermediate_size": 3072, "image_size": 224,
              "patch_size": 16, "num_channels": 3, "qkv_bias": true})";
  }
  const Run out = run("workloads import '" + (dir / "config.json").string() + "' --name my-vit");
  INFO(out.output);
  CHECK(out.code == 0);
  CHECK(has(out.output, "name: my-vit"));
  CHECK(has(out.output, "family: vit"));
  const std::string yaml = (dir / "my-vit.yaml").string();
  const Run file = run("workloads import '" + (dir / "config.json").string() +
                       "' --name my-vit -o '" + yaml + "'");
  CHECK(file.code == 0);
  const Run show = run("workloads show '" + yaml + "' --format csv");
  CHECK(show.code == 0);
  CHECK(has(show.output, "0,layer0.qk,12,12,64,197,197,no,0,38809,"));
  std::ofstream(dir / "broken.json") << "{\"model_type\": \"bert\"}";
  const Run missing = run("workloads import '" + (dir / "broken.json").string() + "'");
  CHECK(missing.code == 2);
  CHECK(has(missing.output, "num_hidden_layers"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("workloads import model.onnx: a zoo entry that show and eval accept",
          "[cli][workloads]") {
  namespace om = leopard::test::onnx_models;
  const auto dir =
      std::filesystem::temp_directory_path() / ("leopard-cli-onnx-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  om::Options o;  // 2 layers x 4 heads, head dim 8, 16 tokens
  o.mask = om::Mask::kPadding;
  const std::string model = om::save(om::attention_model(o), dir / "bert_like.onnx").string();
  // 2 x 4 heads x 16^2 x 8 = 16384 attention MACs per layer.
  const Run layers = run("workloads show '" + model + "' --format csv");
  INFO(layers.output);
  CHECK(layers.code == 0);
  CHECK(has(layers.output,
            "0,layer0.qk,4,4,8,16,16,no,0,256,16384\n1,layer1.qk,4,4,8,16,16,no,0,256,16384\n"));
  const std::string yaml = (dir / "onnx-bert.yaml").string();
  const Run imported = run("workloads import '" + model + "' --name onnx-bert -o '" + yaml + "'");
  INFO(imported.output);
  CHECK(imported.code == 0);
  CHECK(has(imported.output, "wrote"));
  const Run show = run("workloads show '" + yaml + "' --format csv");
  CHECK(show.code == 0);
  CHECK(has(show.output,
            "0,layer0.qk,4,4,8,16,16,no,0,256,16384\n1,layer1.qk,4,4,8,16,16,no,0,256,16384\n"));
  // eval on a suite that names the imported YAML, with layer-level statistics rows.
  std::ofstream(dir / "stats.csv") << "model,task,layer,head,seq_len,n_scores,n_pruned,t1,t2\n"
                                      "onnx-bert,toy,0,*,16,256,128,0.5,0.5\n"
                                      "onnx-bert,toy,1,*,16,256,64,0.25,0.75\n";
  std::ofstream(dir / "suite.yaml") << "name: onnx\ntasks:\n  - model: onnx-bert.yaml\n"
                                       "    task: toy\n    stats: stats.csv\n";
  const Run eval =
      run("eval --arch leopard-ae --suite '" + (dir / "suite.yaml").string() + "' --format csv");
  INFO(eval.output);
  CHECK(eval.code == 0);
  CHECK(has(eval.output, "\nonnx-bert,toy,"));
  CHECK(has(eval.output, ",32768,"));  // dense MACs: 2 layers x 16384

  // A causal decoder, written to stdout; a file not named *.onnx is recognised by its first byte.
  o.mask = om::Mask::kCausalAdd;
  const std::string gpt = om::save(om::attention_model(o), dir / "decoder.bin").string();
  const Run causal = run("workloads import '" + gpt + "'");
  INFO(causal.output);
  CHECK(causal.code == 0);
  CHECK(has(causal.output, "name: decoder\n"));
  CHECK(has(causal.output, "family: gpt2\n"));
  CHECK(has(causal.output, "causal: true\n"));
  CHECK(has(causal.output, "default_seq_len: 16\n"));
  CHECK(has(causal.output, "source: ONNX import of decoder.bin\n"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("workloads import rejects bad ONNX files with exit 2 naming the file",
          "[cli][workloads]") {
  namespace om = leopard::test::onnx_models;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("leopard-cli-onnx-bad-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = om::serialise(om::attention_model(om::Options{}));
  std::ofstream(dir / "truncated.onnx", std::ios::binary) << good.substr(0, good.size() / 3);
  std::ofstream(dir / "text.onnx") << "not protobuf at all";
  om::Options dynamic;
  dynamic.seq_param = "seq_len";
  om::save(om::attention_model(dynamic), dir / "dynamic.onnx");
  om::save(om::mlp_model(), dir / "mlp.onnx");
  const std::pair<const char*, const char*> cases[] = {
      {"truncated.onnx", "not a valid ONNX model"},
      {"text.onnx", "not a valid ONNX model"},
      {"dynamic.onnx", "is symbolic ('seq_len'); static shapes required"},
      {"mlp.onnx", "no attention found"},
  };
  for (const auto& [file, message] : cases) {
    const std::string path = (dir / file).string();
    const Run r = run("workloads import '" + path + "' -o '" + (dir / "out.yaml").string() + "'");
    INFO(file << ": " << r.output);
    CHECK(r.code == 2);
    CHECK(has(r.output, path + ": "));
    CHECK(has(r.output, message));
    CHECK_FALSE(std::filesystem::exists(dir / "out.yaml"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("stats check accepts a good file", "[cli][stats]") {
  const Run r = run("stats check '" + data("good_stats.csv") + "'");
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(has(r.output, "rows"));
  CHECK(has(r.output, "mean_prune_rate"));
  const Run csv =
      run("stats check '" + data("good_stats.csv") + "' --model bert-tiny --format csv");
  CHECK(csv.code == 0);
  CHECK(has(csv.output, ",5,1,2,6,no,"));
}

TEST_CASE("stats check rejects bad files with exit 2 naming line and field", "[cli][stats]") {
  struct Case {
    const char* file;
    const char* where;  // "file:line: field 'x'"
  };
  const Case cases[] = {
      {"rate_above_one.csv", "rate_above_one.csv:3: field 'prune_rate'"},
      {"negative_count.csv", "negative_count.csv:4: field 't2'"},
      {"histogram_sum.csv", "histogram_sum.csv:3: field 't1..t4'"},
      {"unknown_layer.csv", "unknown_layer.csv:4: field 'layer'"},
      {"unknown_head.csv", "unknown_head.csv:3: field 'head'"},
      {"duplicate_row.csv", "duplicate_row.csv:4: field 'head'"},
      {"truncated_line.csv", "truncated_line.csv:3: field 't1'"},
      {"non_numeric.csv", "non_numeric.csv:3: field 'n_scores'"},
      {"missing_column.csv", "missing_column.csv:2: field 'n_scores'"},
      {"gap_t_columns.csv", "gap_t_columns.csv:2: field 't3'"},
      {"header_only.csv", "header_only.csv:2: "},
      {"empty.csv", "empty.csv: empty file"},
  };
  for (const auto& c : cases) {
    const Run r = run("stats check '" + data(std::string("bad/") + c.file) + "'");
    INFO(c.file << ": " << r.output);
    CHECK(r.code == 2);
    CHECK(has(r.output, c.where));
  }
  const Run none = run("stats check /nonexistent/stats.csv");
  CHECK(none.code == 2);
}

TEST_CASE("LLM models: show prints kv_heads and windows, import writes kv_heads",
          "[cli][workloads][llm]") {
  const Run show = run("workloads show llama3-8b --seq-len 4096");
  INFO(show.output);
  REQUIRE(show.code == 0);
  CHECK(has(show.output,
            "llama3-8b (llama): 32 attention layers, heads 32, kv_heads 8, seq_len 4096"));
  const Run csv = run("workloads show gemma2-9b --seq-len 8192 --format csv");
  REQUIRE(csv.code == 0);
  // Even layers local (window 4096: 4096 x 4097 / 2 + 4096 x 4096 scores), odd layers global.
  CHECK(has(csv.output, "0,layer0.qk,16,8,256,8192,8192,yes,4096,25167872,"));
  CHECK(has(csv.output, "1,layer1.qk,16,8,256,8192,8192,yes,0,33558528,"));
  const Run beyond = run("workloads show llama3-8b --seq-len 16384");
  CHECK(beyond.code == 0);
  CHECK(has(beyond.output, "(beyond max_positions 8192)"));
  const Run imported = run("workloads import '" + data("hf/Mistral-7B-v0.1.json") + "'");
  INFO(imported.output);
  CHECK(imported.code == 0);
  CHECK(has(imported.output, "family: llama\n"));
  CHECK(has(imported.output, "kv_heads: 8\n"));
  CHECK(has(imported.output, "sliding_window: 4096\n"));
  const Run gemma = run("workloads import '" + data("hf/gemma-2-9b.json") + "'");
  CHECK(gemma.code == 0);
  CHECK(has(gemma.output, "sliding_window:\n  size: 4096\n  layers: even\n"));
}

TEST_CASE("eval prices the llm suite; a sequence beyond max_positions warns on stderr",
          "[cli][workloads][llm]") {
  const Run llm = run("eval --arch leopard-ae --suite llm --format csv");
  INFO(llm.output);
  CHECK(llm.code == 0);
  CHECK(has(llm.output, "\nllama3.1-8b,decode-128k,"));
  CHECK(has(llm.output, "\nmistral-7b,decode-32k,"));
  CHECK_FALSE(has(llm.output, "warning"));
  const auto dir = std::filesystem::temp_directory_path() /
                   ("leopard-cli-llm-warn-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string rows = "model,task,layer,head,seq_len,n_scores,prune_rate,t1\n";
  for (int l = 0; l < 32; ++l) {
    rows += "llama3-8b,long," + std::to_string(l) + ",*,16384,16384,0.5,1\n";
  }
  std::ofstream(dir / "stats.csv") << rows;
  std::ofstream(dir / "suite.yaml") << "name: w\ntasks:\n  - {model: llama3-8b, task: long, "
                                       "phase: decode, context: 16384, stats: stats.csv}\n";
  const auto r = leopard::test::run_command(
      std::string("'") + LEOPARD_BINARY + "' eval --arch leopard-ae --suite '" +
      (dir / "suite.yaml").string() + "' --format csv 2>&1 >/dev/null");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(has(r.out, "leopard-dse: warning: "));
  CHECK(
      has(r.out, "suite.yaml:3: task 'llama3-8b/long': context 16384 exceeds max_positions 8192"));
  std::filesystem::remove_all(dir);
}
