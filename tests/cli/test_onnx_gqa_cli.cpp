// End-to-end tests of the LLM-inference cases users reported: `workloads show --format json` and
// `workloads import` on PyTorch-exported GQA / KV-cache graphs (tests/data/onnx/, made by
// scripts/gen_onnx_fixtures.py), and `profile` of one decode step with GQA (Q [8, 1, 64] against
// K [2, 4096, 64]).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_command.hpp"
#include "workloads/model_spec.hpp"
#include "workloads/stats.hpp"

namespace fs = std::filesystem;

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

std::string fixture(const std::string& name) {
  return std::string(LEOPARD_SOURCE_DIR) + "/tests/data/onnx/" + name;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path work_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("leopard-cli-onnx-gqa-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// A little-endian int16 .npy (version 1.0, C order).
void write_npy_i2(const fs::path& path, const std::vector<std::int64_t>& shape,
                  const std::vector<std::int16_t>& values) {
  std::string dims = "(";
  for (const auto s : shape) dims += std::to_string(s) + ", ";
  dims += ")";
  std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': " + dims + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  std::string data(values.size() * sizeof(std::int16_t), '\0');
  std::memcpy(data.data(), values.data(), data.size());
  std::ofstream(path, std::ios::binary) << out << data;
}

}  // namespace

TEST_CASE("workloads show FILE --format json: one typed object per attention layer",
          "[cli][onnx-gqa]") {
  const Run r = run("workloads show '" + fixture("llama_gqa_decode.onnx") + "' --format json");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.output);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  const auto& l = j[0];
  CHECK(l["name"] == "/MatMul");
  CHECK(l["heads"] == 8);
  CHECK(l["kv_heads"] == 2);
  CHECK(l["head_dim"] == 4);
  CHECK(l["q_len"] == 1);
  CHECK(l["k_len"] == 16);
  REQUIRE(l["causal"].is_boolean());
  CHECK(l["causal"] == true);

  const Run enc = run("workloads show '" + fixture("encoder.onnx") + "' --format json");
  REQUIRE(enc.code == 0);
  const auto e = nlohmann::json::parse(enc.output);
  CHECK(e[0]["kv_heads"] == 4);
  CHECK(e[0]["causal"] == false);
}

TEST_CASE("workloads import of a KV-cache decode export writes a causal decoder entry",
          "[cli][onnx-gqa]") {
  const fs::path yaml = work_dir() / "llama-step.yaml";
  const Run r = run("workloads import '" + fixture("llama_gqa_hf_decode.onnx") +
                    "' --name llama-step -o '" + yaml.string() + "'");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto spec = leopard::workloads::load_model_spec(yaml);
  CHECK(spec.heads == 8);
  CHECK(spec.head_dim == 4);
  CHECK(spec.causal);
  CHECK(spec.default_seq_len == 16);

  const Run loop = run("workloads show '" + fixture("gqa_dynamic_repeat.onnx") + "'");
  CHECK(loop.code == 2);
  CHECK(has(loop.output, "gqa_dynamic_repeat.onnx"));
  CHECK(has(loop.output, "dynamic repeat_interleave"));
}

TEST_CASE("profile: one decode step, Q [8, 1, 64] against K [2, 4096, 64]", "[cli][onnx-gqa]") {
  const fs::path dir = work_dir();
  // Q all +1; K head 0 all +1, head 1 all -1. Query heads 0..3 read K head 0 (q.k = 64 >= Th = 1:
  // kept), heads 4..7 read K head 1: every sign disagrees, so after bit 1 C = 0, P + M = 0 < 1 and
  // all 4096 scores are pruned at bit 1. A wrong head mapping (h % 2) would mix the groups.
  std::vector<std::int16_t> q(8 * 64, 1);
  std::vector<std::int16_t> k(2 * 4096 * 64, 1);
  std::fill(k.begin() + 4096 * 64, k.end(), static_cast<std::int16_t>(-1));
  write_npy_i2(dir / "q.npy", {8, 1, 64}, q);
  write_npy_i2(dir / "k.npy", {2, 4096, 64}, k);
  const fs::path out = dir / "decode.csv";
  const Run r =
      run("profile --q '" + (dir / "q.npy").string() + "' --k '" + (dir / "k.npy").string() +
          "' --threshold 1 --causal --sample 0 -o '" + out.string() + "'");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto table = leopard::workloads::load_stats_csv(out);
  REQUIRE(table.rows.size() == 8);  // per query head
  for (const auto& row : table.rows) {
    INFO("head " << row.head);
    CHECK(row.seq_len == 4096);
    CHECK(row.sample == 0);
    CHECK(row.stats.n_scores == 4096);  // causal bottom-right: the one query sees every key
    CHECK(row.stats.n_pruned == (row.head >= 4 ? 4096 : 0));
    if (row.head >= 4) CHECK(row.stats.hist[0] == 1.0);  // all pruned after the sign bit
  }
}
