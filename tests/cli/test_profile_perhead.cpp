// Issue 16, ask 4: `profile` output flows straight in. Q/K of a bert-base-shaped model (12 layers x
// 12 heads, S = 32, d = 64, float32 .npy) are profiled with one calibrated threshold; every head's
// queries have their own scale, so every (layer, head) gets its own statistics. The statistics CSV
// becomes a suite that `sweep` prices (one thread, --store pareto) over a small space.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/npy_writer.hpp"
#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;

namespace {}  // namespace

TEST_CASE("profile of 12 layers x 12 heads as a per-head suite runs through sweep",
          "[cli][profile][perhead]") {
  const fs::path dir = fs::temp_directory_path() / "leopard_profile_perhead";
  fs::remove_all(dir);
  fs::create_directories(dir);
  constexpr int kLayers = 12, kHeads = 12, kSeq = 32, kDim = 64;
  std::mt19937 rng(16);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(static_cast<std::size_t>(kLayers) * kHeads * kSeq * kDim), k(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const auto head = static_cast<int>(i / (kSeq * kDim));  // layer * kHeads + head
    const float scale = 0.5f + static_cast<float>(head) / (kLayers * kHeads);
    q[i] = scale * normal(rng);
    k[i] = normal(rng);
  }
  leopard::test::write_npy_f32(dir / "q.npy", {kLayers, kHeads, kSeq, kDim}, q);
  leopard::test::write_npy_f32(dir / "k.npy", {kLayers, kHeads, kSeq, kDim}, k);

  const std::string bin = std::string("'") + LEOPARD_BINARY + "'";
  auto r = leopard::test::run_command(bin + " profile --q " + (dir / "q.npy").string() + " --k " +
                                      (dir / "k.npy").string() +
                                      " --calibrate --target-rate 0.8 --model bert-base --task mine"
                                      " -o " +
                                      (dir / "stats.csv").string() + " 2>&1");
  INFO(r.out);
  REQUIRE(r.code == 0);

  // One row per (layer, head), and the heads' statistics differ.
  std::ifstream csv(dir / "stats.csv");
  std::string line, header;
  while (std::getline(csv, line) && (line.empty() || line[0] == '#')) {
  }
  header = line;
  REQUIRE(header.rfind("model,task,layer,head", 0) == 0);
  int rows = 0;
  std::set<std::string> stats;  // distinct statistics (n_pruned and the histogram)
  while (std::getline(csv, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    REQUIRE(f.size() > 6);
    CHECK(f[3] != "*");
    std::string tail;  // n_pruned and t1..tN
    for (std::size_t c = 6; c < f.size(); ++c) tail += f[c] + ",";
    stats.insert(tail);
    ++rows;
  }
  CHECK(rows == kLayers * kHeads);
  CHECK(stats.size() > 100);

  std::ofstream(dir / "suite.yaml") << "name: mine\ntasks:\n"
                                       "  - {model: bert-base, task: mine, seq_len: 32, stats: "
                                       "stats.csv}\n";
  std::ofstream(dir / "space.yaml") << "base: leopard-ae\naxes:\n  tiles: [1, 2, 4]\n"
                                       "  qk.dpus: [4, 8]\n  qk.bits_per_cycle: [1, 2, 4]\n"
                                       "  clock_mhz: [600, 800]\n"
                                       "objectives: [latency, energy, area]\n";
  r = leopard::test::run_command(bin + " sweep --space " + (dir / "space.yaml").string() +
                                 " --suite " + (dir / "suite.yaml").string() + " --db " +
                                 (dir / "out.db").string() +
                                 " --threads 1 --store pareto --format json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto summary = nlohmann::json::parse(r.out);
  CHECK(summary["designs"].get<int>() + summary["invalid"].get<int>() == 36);
  CHECK(summary["designs"].get<int>() > 0);
  CHECK(summary["pareto"].get<int>() >= 1);
  fs::remove_all(dir);
}
