// `leopard-dse sweep` end to end: a tiny sweep into a temporary database with a JSON summary, and a
// bad space file that exits 2, names the file and field, and creates no database.
#include <sqlite3.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int code = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (and stderr when `merge_stderr`).
Result run(const std::string& cmd, bool merge_stderr = false) {
  const auto c = leopard::test::run_command(cmd + (merge_stderr ? " 2>&1" : " 2>/dev/null"));
  return Result{c.code, c.out};
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("leopard_sweep_cli_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

}  // namespace

TEST_CASE("sweep: a tiny grid sweep writes the database and a JSON summary", "[cli][sweep]") {
  const fs::path dir = temp_dir("ok");
  write(dir / "space.yaml",
        "base: leopard-ae\naxes:\n  qk.dpus: [4, 8]\n  qk.bits_per_cycle: [1, 2, 12]\n"
        "objectives: [latency, energy, area]\n");
  const fs::path db = dir / "out.db";
  const Result r =
      run(std::string(LEOPARD_BINARY) + " sweep --space " + (dir / "space.yaml").string() +
          " --suite paper --db " + db.string() + " --threads 2 --format json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"designs", "invalid", "infeasible", "seconds", "designs_per_s", "pareto", "hypervolume"}) {
    REQUIRE(j.contains(key));
  }
  REQUIRE(j["designs"].get<int>() + j["invalid"].get<int>() == 6);
  REQUIRE(j["pareto"].get<int>() >= 1);
  REQUIRE(j["hypervolume"].get<double>() > 0);
  REQUIRE(fs::exists(db));
  // The same sweep at 1 thread gives the same front.
  const Result r1 =
      run(std::string(LEOPARD_BINARY) + " sweep --space " + (dir / "space.yaml").string() +
          " --suite paper --db " + (dir / "one.db").string() + " --threads 1 --format json");
  REQUIRE(r1.code == 0);
  const auto j1 = nlohmann::json::parse(r1.out);
  REQUIRE(j1["pareto"] == j["pareto"]);
  REQUIRE(j1["hypervolume"] == j["hypervolume"]);
  fs::remove_all(dir);
}

TEST_CASE("sweep --resume refuses a run priced differently (options, statistics)",
          "[cli][sweep][resume]") {
  const fs::path dir = temp_dir("resume_settings");
  write(dir / "space.yaml",
        "base: leopard-ae\naxes:\n  qk.dpus: [4, 8]\n  qk.bits_per_cycle: [1, 2, 12]\n"
        "objectives: [latency, energy, area]\n");
  const fs::path db = dir / "out.db";
  const std::string base = std::string(LEOPARD_BINARY) + " sweep --space " +
                           (dir / "space.yaml").string() + " --db " + db.string() +
                           " --name r --format json";
  REQUIRE(run(base + " --suite paper --budget 3").code == 0);
  // Make the run resumable, as an interrupted one would be.
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.string().c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "UPDATE runs SET status = 'interrupted'", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(h);
  }
  // Evaluation options that change every design's numbers are part of what --resume compares.
  for (const std::string& change : {std::string(" --suite paper --onchip-only"),
                                    std::string(" --suite paper --latency geomean")}) {
    const Result r = run(base + change + " --resume", true);
    INFO(change << ": " << r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("the suite differs, or what prices it") != std::string::npos);
  }
  const Result ok = run(base + " --suite paper --resume");
  INFO(ok.out);
  CHECK(ok.code == 0);
  fs::remove_all(dir);
}

TEST_CASE("sweep: a bad space file exits 2, names file and field, writes no database",
          "[cli][sweep]") {
  const fs::path dir = temp_dir("bad");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"base: leopard-ae\naxes:\n  qk.dpu: [2]\nobjectives: [latency]\n", "qk.dpu"},
      {"base: leopard-ae\naxes:\n  tiles: []\nobjectives: [latency]\n", "axes.tiles"},
      {"base: leopard-ae\naxes:\n  tiles: {from: 4, to: 1, step: 1}\nobjectives: [latency]\n",
       "axes.tiles.to"},
      {"base: leopard-ae\naxes:\n  tiles: [1]\nobjectives: [speed]\n", "objectives[0]"},
      {"base: leopard-ae\naxes:\n  tiles: [1]\nconstraints: [\"area_mm2 = 3\"]\nobjectives: "
       "[latency]\n",
       "constraints[0]"},
  };
  for (const auto& [text, field] : cases) {
    write(dir / "bad.yaml", text);
    const fs::path db = dir / "never.db";
    const Result r = run(std::string(LEOPARD_BINARY) + " sweep --space " +
                             (dir / "bad.yaml").string() + " --suite paper --db " + db.string(),
                         true);
    INFO(text << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("bad.yaml"));
    CHECK_THAT(r.out, Catch::Contains("'" + field + "'"));
    CHECK_FALSE(fs::exists(db));
  }
  // An unknown strategy and an nsga2 shard are usage errors too, before the database.
  write(dir / "ok.yaml", "base: leopard-ae\naxes:\n  tiles: [1, 2]\nobjectives: [latency, area]\n");
  const Result r =
      run(std::string(LEOPARD_BINARY) + " sweep --space " + (dir / "ok.yaml").string() +
              " --strategy nsga2 --shard 0/2 --db " + (dir / "never.db").string(),
          true);
  CHECK(r.code == 2);
  CHECK_FALSE(fs::exists(dir / "never.db"));
  fs::remove_all(dir);
}

TEST_CASE("sweep --help lists the strategies", "[cli][sweep]") {
  const Result r = run(std::string(LEOPARD_BINARY) + " sweep --help");
  REQUIRE(r.code == 0);
  for (const char* s : {"grid", "random", "nsga2"}) REQUIRE_THAT(r.out, Catch::Contains(s));
}
