// The shipped LLM studies end to end: `eval` of workloads/suites/llm.yaml (decode columns against
// closed forms of the KV-cache traffic, prefill quadratic in the prompt, decode linear in the
// context, bit-plane K never above rows) and a sweep of dse/spaces/llm-decode.yaml on the decode
// suite (every design stored, bit planes never worse than rows).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string bin() { return std::string("'") + LEOPARD_BINARY + "' "; }
std::string src(const std::string& rel) { return std::string(LEOPARD_SOURCE_DIR) + "/" + rel; }

// `eval` of the LLM suite as JSON, tasks keyed "model/task".
std::map<std::string, json> eval_llm(const std::string& extra = "") {
  const auto r =
      leopard::test::run_command(bin() + "eval --suite '" + src("workloads/suites/llm.yaml") +
                                 "' " + extra + " --format json 2>/dev/null");
  REQUIRE(r.code == 0);
  std::map<std::string, json> out;
  for (const auto& t : json::parse(r.out)) {
    out[t["model"].get<std::string>() + "/" + t["task"].get<std::string>()] = t;
  }
  return out;
}

// Mean k_len over `generate` steps from `context`: the cache grows by one key per step.
double mean_k_len(double context, int generate) { return context + (generate - 1) / 2.0; }

// Row-layout K bytes per generated token: layers x kv_heads x k_len x d x 12 bits (a K row of
// d = 128 is 192 B, whole bursts of every preset).
double k_row_bytes(int layers, int kv_heads, double k_len) {
  return layers * kv_heads * k_len * 128 * 12 / 8.0;
}

}  // namespace

TEST_CASE("llm suite: eval prices prefill and decode with the per-token columns", "[cli][llm]") {
  const auto t = eval_llm();
  // The study: Llama-3.1-8B prefill at 4k and 32k, decode at 4k, 32k and 128k; Mistral-7B
  // and Qwen2-7B.
  for (const char* name :
       {"llama3.1-8b/prefill-4k", "llama3.1-8b/prefill-32k", "llama3.1-8b/decode-4k",
        "llama3.1-8b/decode-32k", "llama3.1-8b/decode-128k", "mistral-7b/decode-4k",
        "qwen2-7b/decode-4k", "qwen2-7b/decode-32k"}) {
    INFO(name);
    REQUIRE(t.count(name) == 1);
  }
  for (const auto& [name, row] : t) {
    if (name.rfind("all/", 0) == 0) continue;
    INFO(name);
    if (name.find("prefill") != std::string::npos) {
      CHECK(row["ms_per_token"].is_null());
      continue;
    }
    for (const char* col : {"ms_per_token", "tokens_per_s", "uj_per_token", "dram_bytes_per_token",
                            "dram_k_bytes_per_token", "dram_v_bytes_per_token", "ms_per_token_p50",
                            "ms_per_token_p99", "uj_per_token_p99"}) {
      INFO(col);
      REQUIRE(row[col].is_number());
      CHECK(row[col].get<double>() > 0);
    }
    CHECK(row["ms_per_token_p99"].get<double>() >= row["ms_per_token_p50"].get<double>());
    // On top of K and V, per layer and query head one Q row in and one output row out:
    // d x (12 + 16) / 8 = 448 B (Llama and Mistral 32 layers x 32 heads, Qwen2 28 x 28).
    const double qo = name.rfind("qwen2", 0) == 0 ? 28 * 28 * 448.0 : 32 * 32 * 448.0;
    CHECK(row["dram_bytes_per_token"].get<double>() ==
          Approx(row["dram_k_bytes_per_token"].get<double>() +
                 row["dram_v_bytes_per_token"].get<double>() + qo)
              .epsilon(1e-9));
  }
  // Batch 8: eight sequences advance per step, so tokens/s = 8 / step time.
  const json& b8 = t.at("llama3.1-8b/decode-4k-b8");
  CHECK(b8["tokens_per_s"].get<double>() ==
        Approx(8 * 1e3 / b8["ms_per_token"].get<double>()).epsilon(1e-9));
  // 128 generated tokens: the task's latency is 128 step times.
  const json& d4 = t.at("llama3.1-8b/decode-4k");
  CHECK(d4["latency_ms"].get<double>() ==
        Approx(128 * d4["ms_per_token"].get<double>()).epsilon(1e-9));

  // Closed forms of the K traffic (row layout, the preset's default): Llama 32 layers x 8 KV
  // heads, Qwen2 28 x 4; Mistral's 4096-key window caps a 32k cache.
  CHECK(d4["dram_k_bytes_per_token"].get<double>() ==
        Approx(k_row_bytes(32, 8, mean_k_len(4096, 128))).epsilon(1e-9));
  CHECK(t.at("llama3.1-8b/decode-128k")["dram_k_bytes_per_token"].get<double>() ==
        Approx(k_row_bytes(32, 8, 131072)).epsilon(1e-9));
  CHECK(t.at("qwen2-7b/decode-32k")["dram_k_bytes_per_token"].get<double>() ==
        Approx(k_row_bytes(28, 4, mean_k_len(32768, 128))).epsilon(1e-9));
  CHECK(t.at("mistral-7b/decode-32k")["dram_k_bytes_per_token"].get<double>() ==
        Approx(k_row_bytes(32, 8, 4096)).epsilon(1e-9));

  // DRAM-bound decode: ms per token in proportion to the mean k_len (linear in the context).
  const double ms4 = d4["ms_per_token"].get<double>();
  const double ms32 = t.at("llama3.1-8b/decode-32k")["ms_per_token"].get<double>();
  const double ms128 = t.at("llama3.1-8b/decode-128k")["ms_per_token"].get<double>();
  REQUIRE(t.at("llama3.1-8b/decode-128k")["bottleneck"] == "dram");
  CHECK(ms32 / ms4 == Approx(mean_k_len(32768, 128) / mean_k_len(4096, 128)).epsilon(0.02));
  CHECK(ms128 / ms32 == Approx(131072 / mean_k_len(32768, 128)).epsilon(0.02));

  // Prefill: 8 x the prompt, 64 x the time (quadratic; causal halves both alike).
  CHECK(t.at("llama3.1-8b/prefill-32k")["latency_ms"].get<double>() /
            t.at("llama3.1-8b/prefill-4k")["latency_ms"].get<double>() ==
        Approx(64).epsilon(0.03));
}

TEST_CASE("llm suite: bit-plane K never moves more DRAM bytes than rows", "[cli][llm]") {
  const auto row = eval_llm("--set kv.layout=row");
  const auto plane = eval_llm("--set kv.layout=bitplane");
  int decode = 0;
  for (const auto& [name, r] : row) {
    if (!r["dram_k_bytes_per_token"].is_number()) continue;
    INFO(name);
    ++decode;
    const json& p = plane.at(name);
    CHECK(p["dram_k_bytes_per_token"].get<double>() <= r["dram_k_bytes_per_token"].get<double>());
    CHECK(p["dram_v_bytes_per_token"].get<double>() ==
          Approx(r["dram_v_bytes_per_token"].get<double>()).epsilon(1e-12));
    CHECK(p["ms_per_token"].get<double>() <= r["ms_per_token"].get<double>() * (1 + 1e-9));
  }
  CHECK(decode == 8);
}

TEST_CASE("llm-decode space: a sweep stores every design; bit planes never lose to rows",
          "[cli][llm][sweep]") {
  const fs::path dir = fs::temp_directory_path() / ("leopard_llm_cli_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "llm.db").string();
  const std::string csv = (dir / "designs.csv").string();
  const auto sweep =
      leopard::test::run_command(bin() + "sweep --space '" + src("dse/spaces/llm-decode.yaml") +
                                 "' --suite '" + src("workloads/suites/llm-decode.yaml") +
                                 "' --db '" + db + "' --strategy grid --threads 2 2>/dev/null");
  REQUIRE(sweep.code == 0);
  REQUIRE(leopard::test::run_command(bin() + "export --db '" + db + "' --format csv -o '" + csv +
                                     "' 2>/dev/null")
              .code == 0);
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> cols;
  {
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
  }
  const auto col = [&](const std::string& name) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (cols[i] == name) return i;
    }
    FAIL("no column " << name);
    return std::size_t{0};
  };
  const std::size_t layout = col("kv.layout"), dram = col("dram.type"), tiles = col("tiles"),
                    dpus = col("qk.dpus"), b = col("qk.bits_per_cycle"), latency = col("latency_s"),
                    energy_dram = col("energy_dram_j");
  // (dram, tiles, units, B) -> (row, bitplane) of (latency, DRAM energy)
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::map<std::string, std::pair<double, double>>>
      pairs;
  int designs = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    REQUIRE(f.size() >= cols.size());
    ++designs;
    pairs[{f[dram], f[tiles], f[dpus], f[b]}][f[layout]] = {std::stod(f[latency]),
                                                            std::stod(f[energy_dram])};
  }
  // 2 layouts x 3 DRAM presets x 4 tile counts x 4 unit counts x 4 B.
  CHECK(designs == 384);
  CHECK(pairs.size() == 192);
  for (const auto& [key, by_layout] : pairs) {
    INFO(std::get<0>(key) << " tiles " << std::get<1>(key) << " dpus " << std::get<2>(key) << " B "
                          << std::get<3>(key));
    REQUIRE(by_layout.size() == 2);
    const auto& r = by_layout.at("row");
    const auto& p = by_layout.at("bitplane");
    CHECK(p.first <= r.first * (1 + 1e-9));
    CHECK(p.second < r.second);  // 73.9% pruned: some plane blocks are skipped
  }
  fs::remove_all(dir);
}

TEST_CASE("llm: a 128k-token causal prefill of Llama-3.1-8B prices end to end without overflow",
          "[cli][llm][prefill]") {
  // 131072 x 131073 / 2 = 8.6e9 scores per head (past 32-bit counts), in the statistics file
  // too; dense MACs = layers x heads x 2 x scores x d. Doubling the prompt quadruples the time.
  const fs::path dir =
      fs::temp_directory_path() / ("leopard_llm_prefill_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream stats(dir / "stats.csv");
    stats << "model,task,layer,head,seq_len,n_scores,prune_rate,t1,t2,t3,t4,t5,t6,t7,t8,t9,t10,"
             "t11,t12\n";
    for (const std::int64_t s : {65536, 131072}) {
      for (int layer = 0; layer < 32; ++layer) {
        stats << "llama3.1-8b,prefill-" << s / 1024 << "k," << layer << ",*," << s << ","
              << s * (s + 1) / 2 << ",0.739,0,0,0,0.2,0.4,0.2,0.1,0.05,0.05,0,0,0\n";
      }
    }
    std::ofstream(dir / "suite.yaml")
        << "name: long\ntasks:\n"
        << "  - {model: llama3.1-8b, task: prefill-64k, seq_len: 65536, stats: stats.csv}\n"
        << "  - {model: llama3.1-8b, task: prefill-128k, seq_len: 131072, stats: stats.csv}\n";
  }
  const auto r = leopard::test::run_command(
      bin() + "eval --suite '" + (dir / "suite.yaml").string() + "' --format json 2>/dev/null");
  fs::remove_all(dir);
  REQUIRE(r.code == 0);
  const json t = json::parse(r.out);
  REQUIRE(t.size() == 3);
  const double s = 131072;
  CHECK(t[1]["dense_macs"].get<double>() == Approx(32 * 32 * 2 * (s * (s + 1) / 2) * 128));
  CHECK(t[1]["latency_ms"].get<double>() > 0);
  CHECK(t[1]["latency_ms"].get<double>() / t[0]["latency_ms"].get<double>() ==
        Approx(4).epsilon(0.01));
  CHECK(t[1]["energy_onchip_uj"].get<double>() / t[0]["energy_onchip_uj"].get<double>() ==
        Approx(4).epsilon(0.01));
}

TEST_CASE("llm-decode: eval notes when a decode task ranks too few values for its p99",
          "[cli][llm]") {
  // decode-4k generates 128 tokens (128 values, p99 is rank 127 < 128: no note for it alone);
  // decode-128k generates 1: its p99 is its only value, and the note says so.
  const std::string suite = src("workloads/suites/llm-decode.yaml");
  const auto few = leopard::test::run_command(bin() + "eval --suite '" + suite +
                                              "' --task 'llama3.1-8b/decode-128k' 2>/dev/null");
  REQUIRE(few.code == 0);
  CHECK(few.out.find("ranks only 1 (sample x step) values") != std::string::npos);
  const auto many = leopard::test::run_command(bin() + "eval --suite '" + suite +
                                               "' --task 'llama3.1-8b/decode-4k' 2>/dev/null");
  REQUIRE(many.code == 0);
  CHECK(many.out.find("nearest-rank percentiles over every (sample x generated step)") !=
        std::string::npos);
  CHECK(many.out.find("ranks only") == std::string::npos);
}
