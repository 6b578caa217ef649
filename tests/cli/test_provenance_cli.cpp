// End to end: eval's feasibility columns, the sweep's front_at_edge (JSON and hint) and its hint
// under `query pareto`, --version, a refused resume after a model change, `export --tasks`, and bad
// `fixed:` keys exiting 2 with file, line and field.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int code = -1;
  std::string out;
};

Result run(const std::string& args, bool merge_stderr = false) {
  const auto c = leopard::test::run_command(std::string(LEOPARD_BINARY) + " " + args +
                                            (merge_stderr ? " 2>&1" : " 2>/dev/null"));
  return Result{c.code, c.out};
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("leopard_provenance_cli_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

}  // namespace

TEST_CASE("eval rows carry feasible, infeasible_reason and the supply used", "[cli][feasibility]") {
  // The first row: 10 GHz at 0.5 V at 65 nm is infeasible, with the reason.
  const Result bad =
      run("eval --set clock_mhz=10000 --set tech.vdd=0.5 --task 'bert-base/*' "
          "--format csv");
  REQUIRE(bad.code == 0);  // priced all the same
  std::istringstream in(bad.out);
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  const auto col = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  };
  int rows = 0;
  while (std::getline(in, line)) {
    const auto cells = split(line);
    CHECK(cells[col("feasible")] == "false");
    CHECK(cells[col("infeasible_reason")].find("clock 10000 MHz > f_max") != std::string::npos);
    CHECK(cells[col("infeasible_reason")].find("0.50 V, 65 nm") != std::string::npos);
    CHECK(std::stod(cells[col("vdd")]) == 0.5);
    CHECK(std::stod(cells[col("latency_ms")]) > 0);
    ++rows;
  }
  CHECK(rows >= 2);  // the tasks and the 'all' row
  // AE at its sign-off point is feasible; with vdd auto the supply is reported.
  const Result ok = run("eval --set tech.vdd=auto --task 'bert-base/*' --format json");
  REQUIRE(ok.code == 0);
  const auto j = nlohmann::json::parse(ok.out);
  REQUIRE(!j.empty());
  for (const auto& row : j) {
    CHECK(row["feasible"] == "true");
    CHECK(row["infeasible_reason"] == "");
    CHECK(row["vdd"].get<double>() == Approx(1.0));
  }
  const Result table = run("eval --set clock_mhz=1000 --task 'bert-base/*'");
  CHECK(table.out.find("INFEASIBLE: clock 1000 MHz > f_max") != std::string::npos);
}

TEST_CASE("sweep reports front_at_edge, hints in tables, and stores feasibility", "[cli][edge]") {
  const fs::path dir = temp_dir("edge");
  // Latency only: the fastest design has the most tiles, so the whole front sits at the top.
  write(dir / "space.yaml",
        "base: leopard-ae\nfixed: {tech.vdd: auto}\naxes:\n  tiles: [1, 2, 4]\n  clock_mhz: "
        "[600, 800, 1000]\nobjectives: [latency]\n");
  const std::string common = "sweep --space " + (dir / "space.yaml").string() +
                             " --suite paper --threads 1 --db " + (dir / "s.db").string();
  const Result json = run(common + " --name a --format json");
  INFO(json.out);
  REQUIRE(json.code == 0);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["infeasible"].get<int>() == 3);  // the 1000 MHz designs (beyond f_max at 65 nm)
  REQUIRE(j.contains("front_at_edge"));
  CHECK(j["front_at_edge"]["tiles"]["edge"] == "max");
  CHECK(j["front_at_edge"]["tiles"]["value"].get<double>() == 4);
  CHECK(j["front_at_edge"]["tiles"]["share"].get<double>() == 1.0);
  // The fastest feasible clock is 800 MHz, the middle of the axis: no edge holds the front.
  CHECK(j["front_at_edge"]["clock_mhz"]["share"].get<double>() == 0.0);
  const Result table = run(common + " --name b");
  REQUIRE(table.code == 0);
  CHECK(table.out.find("100% of the front sits at tiles = 4, the axis's top: widen the axis") !=
        std::string::npos);
  CHECK(table.out.find("clock_mhz =") == std::string::npos);
  const Result pareto = run("query --db " + (dir / "s.db").string() + " pareto");
  REQUIRE(pareto.code == 0);
  CHECK(pareto.out.find("100% of the front sits at tiles = 4") != std::string::npos);
  // Shards merged: the merged front gets the same hint.
  for (const char* shard : {"0/2", "1/2"}) {
    const std::string db = (dir / (std::string("shard") + shard[0] + ".db")).string();
    REQUIRE(run("sweep --space " + (dir / "space.yaml").string() +
                " --suite paper --threads 1 --shard " + shard + " --db " + db)
                .code == 0);
  }
  const Result merged = run("merge -o " + (dir / "merged.db").string() + " " +
                            (dir / "shard0.db").string() + " " + (dir / "shard1.db").string());
  REQUIRE(merged.code == 0);
  CHECK(merged.out.find("100% of the front sits at tiles = 4, the axis's top") !=
        std::string::npos);
  // Infeasible designs are stored with their reason and supply.
  const Result stored =
      run("query --db " + (dir / "s.db").string() +
          " sql \"SELECT count(*) AS n FROM design_metrics WHERE feasible = 0 AND "
          "infeasible_reason LIKE 'clock 1000 MHz > f_max%' AND vdd > 1.1 AND "
          "run_id = 2\" --format csv");
  CHECK(stored.out == "n\n3\n");
}

TEST_CASE(
    "the version line names the git revision and the model fingerprint; a changed model is never "
    "resumed",
    "[cli][provenance]") {
  const Result version = run("--version");
  REQUIRE(version.code == 0);
  CHECK(version.out.rfind("leopard-dse ", 0) == 0);
  CHECK(version.out.find("(git ") != std::string::npos);
  const auto model = version.out.find("model ");
  REQUIRE(model != std::string::npos);
  const std::string fingerprint = version.out.substr(model + 6, 64);

  const fs::path dir = temp_dir("resume");
  write(dir / "space.yaml",
        "base: leopard-ae\naxes:\n  qk.dpus: [4, 6]\nobjectives: [latency, energy]\n");
  const std::string db = (dir / "r.db").string();
  const std::string sweep =
      "sweep --space " + (dir / "space.yaml").string() + " --suite paper --threads 1 --db " + db;
  REQUIRE(run(sweep + " --name r").code == 0);
  const Result runs = run("query --db " + db +
                          " sql \"SELECT model_fingerprint, git_revision "
                          "FROM runs\" --format csv");
  CHECK(runs.out.find(fingerprint) != std::string::npos);
  // Pretend the run was interrupted and begun by a build with another model.
  const std::string other(64, 'c');
  {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    const std::string sql =
        "UPDATE runs SET status = 'interrupted', model_fingerprint = '" + other + "'";
    CHECK(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);
  }
  const Result refused = run(sweep + " --name r --resume", true);
  CHECK(refused.code == 2);
  CHECK(refused.out.find("the cost model changed") != std::string::npos);
  CHECK(refused.out.find(other) != std::string::npos);
  CHECK(refused.out.find(fingerprint) != std::string::npos);
}

TEST_CASE("export --tasks writes per-task rows with the tail and decode columns", "[cli][export]") {
  const fs::path dir = temp_dir("export");
  write(dir / "space.yaml", "base: leopard-ae\naxes:\n  qk.dpus: [4, 6]\nobjectives: [latency]\n");
  const std::string db = (dir / "e.db").string();
  REQUIRE(run("sweep --space " + (dir / "space.yaml").string() + " --suite llm --threads 1 " +
              "--task-metrics all --db " + db)
              .code == 0);
  const fs::path out = dir / "tasks.csv";
  const Result e = run("export --db " + db + " --format csv --tasks -o " + out.string());
  REQUIRE(e.code == 0);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  for (const char* c :
       {"model", "task", "latency_p99_s", "s_per_token", "tokens_per_s", "j_per_token",
        "dram_bytes_per_token", "dram_k_bytes_per_token", "dram_v_bytes_per_token",
        "s_per_token_p50", "s_per_token_p99", "j_per_token_p99"}) {
    INFO(c);
    CHECK(std::find(header.begin(), header.end(), c) != header.end());
  }
  const auto col = static_cast<std::size_t>(std::find(header.begin(), header.end(), "s_per_token") -
                                            header.begin());
  const auto task_col =
      static_cast<std::size_t>(std::find(header.begin(), header.end(), "task") - header.begin());
  int decode = 0, prefill = 0;
  while (std::getline(in, line)) {
    const auto cells = split(line);
    if (cells[task_col].rfind("decode", 0) == 0) {
      CHECK(std::stod(cells[col]) > 0);
      ++decode;
    } else {
      CHECK(cells[col].empty());
      ++prefill;
    }
  }
  CHECK(decode > 0);
  CHECK(prefill > 0);
}

TEST_CASE("bad fixed: keys exit 2 naming the file, line and field", "[cli][space][bad]") {
  const fs::path dir = temp_dir("fixed");
  struct Case {
    const char* text;
    const char* expect;
  };
  for (const Case& c : {
           Case{"base: leopard-ae\nfixed: {tech.vdd: auto}\naxes:\n  tech.vdd: [0.9, 1.0]\n"
                "objectives: [latency]\n",
                "space.yaml:4: field 'axes.tech.vdd'"},
           Case{"base: leopard-ae\nfixed:\n  tech.vddd: auto\naxes:\n  tiles: [1]\n"
                "objectives: [latency]\n",
                "space.yaml:3: field 'fixed.tech.vddd'"},
           Case{"base: leopard-ae\nfixed:\n  tech.vdd: 9\naxes:\n  tiles: [1]\n"
                "objectives: [latency]\n",
                "space.yaml:3: field 'fixed.tech.vdd'"},
       }) {
    write(dir / "space.yaml", c.text);
    const Result r =
        run("sweep --space " + (dir / "space.yaml").string() + " --db " + (dir / "x.db").string(),
            true);
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find(c.expect) != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "x.db"));
  }
}
