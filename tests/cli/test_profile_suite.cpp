// Issue 7 acceptance: a suite built from `profile` output runs through `eval` and `sweep`.
// Q/K of a bert-tiny-shaped model ([L=2, H=2, S=32, d=64], float32 .npy) are profiled with a
// calibrated threshold; the statistics CSV goes into a suite YAML that eval and sweep then price.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/cli/npy_writer.hpp"
#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;

namespace {}  // namespace

TEST_CASE("profile output as a suite runs through eval and sweep", "[cli][profile][suite]") {
  const fs::path dir = fs::temp_directory_path() / "leopard_profile_suite";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(2 * 2 * 32 * 64), k(q.size());
  for (auto& x : q) x = normal(rng);
  for (auto& x : k) x = normal(rng);
  leopard::test::write_npy_f32(dir / "q.npy", {2, 2, 32, 64}, q);
  leopard::test::write_npy_f32(dir / "k.npy", {2, 2, 32, 64}, k);

  const std::string bin = std::string("'") + LEOPARD_BINARY + "'";
  auto r = leopard::test::run_command(bin + " profile --q " + (dir / "q.npy").string() + " --k " +
                                      (dir / "k.npy").string() +
                                      " --calibrate --target-rate 0.8 --model bert-tiny --task mine"
                                      " -o " +
                                      (dir / "stats.csv").string() + " 2>&1");
  INFO(r.out);
  REQUIRE(r.code == 0);
  r = leopard::test::run_command(bin + " stats check " + (dir / "stats.csv").string() +
                                 " --model bert-tiny 2>&1");
  INFO(r.out);
  REQUIRE(r.code == 0);

  std::ofstream(dir / "suite.yaml") << "name: mine\ntasks:\n"
                                       "  - {model: bert-tiny, task: mine, seq_len: 32, stats: "
                                       "stats.csv}\n";
  r = leopard::test::run_command(bin + " eval --arch leopard-hp --suite " +
                                 (dir / "suite.yaml").string() + " --onchip-only --format json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto rows = nlohmann::json::parse(r.out);
  REQUIRE(rows.size() == 2);  // the task and the suite summary
  CHECK(rows[0]["model"] == "bert-tiny");
  CHECK(rows[0]["task"] == "mine");
  // About 80% of the scores are pruned, so on chip HP must beat the bit-parallel baseline (with
  // DRAM, this tiny model is memory-bound and both designs wait on the same traffic).
  CHECK(rows[0]["speedup"].get<double>() > 1.0);

  std::ofstream(dir / "space.yaml") << "base: leopard-ae\naxes:\n  qk.dpus: [2, 6, 8]\n"
                                       "  qk.bits_per_cycle: [1, 2, 4]\n"
                                       "objectives: [latency, energy, area]\n";
  r = leopard::test::run_command(bin + " sweep --space " + (dir / "space.yaml").string() +
                                 " --suite " + (dir / "suite.yaml").string() + " --db " +
                                 (dir / "out.db").string() + " --format json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto summary = nlohmann::json::parse(r.out);
  CHECK(summary["designs"].get<int>() == 9);
  CHECK(summary["pareto"].get<int>() >= 1);
  fs::remove_all(dir);
}
