// End-to-end tests of `leopard-dse query | export | merge` on databases written through the
// library: every query in every format, export, merge of shards, and exit code 2 on bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "results/shard.hpp"
#include "results/store.hpp"
#include "tests/unit/results/fixtures.hpp"

namespace fs = std::filesystem;
using namespace leopard::results;
using namespace leopard::results::testing;

namespace {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

Result run_store_cli(const fs::path& dir, const std::string& args) {
  const fs::path out = dir / "stdout.txt";
  const fs::path err = dir / "stderr.txt";
  const std::string cmd = std::string("'") + LEOPARD_BINARY + "' " + args + " >'" + out.string() +
                          "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_bytes(out);
  r.err = read_bytes(err);
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::int64_t> full_front() {
  std::vector<DesignRecord> all;
  for (std::int64_t i = 0; i < space_size(); ++i) all.push_back(make_record(i));
  return brute_force_pareto(all);
}

}  // namespace

TEST_CASE("query runs, pareto, top, design and sql through the binary", "[cli][store]") {
  TempDir dir;
  const fs::path db = dir / "r.db";
  write_synthetic_run(db, Shard{});
  const std::string with_db = " --db '" + db.string() + "'";
  const std::size_t front = full_front().size();

  Result r = run_store_cli(dir.path(), "query runs" + with_db);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("synthetic") && Catch::Contains("complete"));
  r = run_store_cli(dir.path(), "query" + with_db + " --format json runs");
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)[0]["designs"] == 60);

  r = run_store_cli(dir.path(), "query pareto --format csv" + with_db);
  REQUIRE(r.code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == front + 1);
  CHECK_THAT(lines[0], Catch::StartsWith("design_id,design_index,tiles,qk.dpus,dram.type,"
                                         "latency_s,energy_j,") &&
                           Catch::Contains("area_mm2"));
  r = run_store_cli(dir.path(), "query pareto --run 1 --format json" + with_db);
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out).size() == front);
  r = run_store_cli(dir.path(), "query pareto" + with_db);
  REQUIRE(r.code == 0);
  CHECK(lines_of(r.out).size() == front + 2);

  r = run_store_cli(dir.path(),
                    "query top --by area -n 3 --where dram.type=ddr4 --format json" + with_db);
  REQUIRE(r.code == 0);
  const auto top = nlohmann::json::parse(r.out);
  REQUIRE(top.size() == 3);
  CHECK(top[0]["dram.type"] == "ddr4");
  CHECK(top[0]["area_mm2"].get<double>() == make_record(1).metrics.area_mm2);  // 1 tile, 2 dpus
  CHECK(top[0]["area_mm2"].get<double>() <= top[1]["area_mm2"].get<double>());

  r = run_store_cli(dir.path(), "query design 18 --format json" + with_db);
  REQUIRE(r.code == 0);
  const auto design = nlohmann::json::parse(r.out);
  CHECK(design["tasks"].size() == 2);
  CHECK(design["breakdown"].size() == 2);
  r = run_store_cli(dir.path(), "query design 18" + with_db);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("per-task metrics") && Catch::Contains("param qk.dpus"));
  r = run_store_cli(dir.path(), "query design 18 --format csv" + with_db);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("key,value"));

  r = run_store_cli(dir.path(),
                    "query sql 'SELECT count(*) AS n FROM pareto_designs' --format csv" + with_db);
  REQUIRE(r.code == 0);
  CHECK(r.out == "n\n" + std::to_string(front) + "\n");

  const std::string before = read_bytes(db);
  r = run_store_cli(dir.path(), "query sql 'DELETE FROM designs'" + with_db);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("read-only"));
  CHECK(read_bytes(db) == before);
}

TEST_CASE("export and merge through the binary", "[cli][store]") {
  TempDir dir;
  const fs::path full = dir / "full.db";
  write_synthetic_run(full, Shard{});
  std::string inputs;
  for (std::int64_t i = 0; i < 3; ++i) {
    const fs::path shard = dir / ("shard" + std::to_string(i) + ".db");
    write_synthetic_run(shard, Shard{i, 3});
    inputs += " '" + shard.string() + "'";
  }
  const fs::path merged = dir / "merged.db";
  Result r = run_store_cli(dir.path(), "merge --format json -o '" + merged.string() + "'" + inputs);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(r.out);
  CHECK(report[0]["designs"] == 60);
  CHECK(report[0]["pareto"] == static_cast<std::int64_t>(full_front().size()));

  // Exports of the merged and the unsharded run are identical (design ids follow the index in
  // both).
  for (const char* format : {"csv", "json"}) {
    const fs::path a = dir / (std::string("a.") + format);
    const fs::path b = dir / (std::string("b.") + format);
    r = run_store_cli(dir.path(), std::string("export --db '") + full.string() + "' --format " +
                                      format + " -o '" + a.string() + "'");
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("exported 60 designs"));
    r = run_store_cli(dir.path(), std::string("export --db '") + merged.string() +
                                      "' --run 1 --format " + format + " -o '" + b.string() + "'");
    REQUIRE(r.code == 0);
    if (std::string(format) == "csv") {
      const auto la = lines_of(read_bytes(a));
      const auto lb = lines_of(read_bytes(b));
      REQUIRE(la.size() == 61);
      CHECK(la == lb);
    } else {
      auto ja = nlohmann::json::parse(read_bytes(a))["designs"];
      auto jb = nlohmann::json::parse(read_bytes(b))["designs"];
      REQUIRE(ja.size() == 60);
      CHECK(ja == jb);
    }
  }
  // A missing shard: exit 2, nothing written.
  const fs::path partial = dir / "partial.db";
  r = run_store_cli(dir.path(),
                    "merge -o '" + partial.string() + "' '" + (dir / "shard0.db").string() + "'");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("missing shard(s) 1, 2"));
  CHECK_FALSE(fs::exists(partial));
}

TEST_CASE("bad input to the store commands exits 2 with a message", "[cli][store]") {
  TempDir dir;
  const fs::path db = dir / "r.db";
  write_synthetic_run(db, Shard{});
  const fs::path text = dir / "notes.txt";
  std::ofstream(text) << "plain text, not a database; long enough to fill an SQLite header of one "
                         "hundred bytes, which it is now, surely, with this much text in it.\n";
  const std::string with_db = " --db '" + db.string() + "'";
  struct Case {
    std::string args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"query runs --db '" + text.string() + "'", "not a leopard-dse database"},
      {"query runs --db '" + (dir / "none.db").string() + "'", "no such database"},
      {"query pareto --run 7" + with_db, "no run with id 7"},
      {"query top --by nonsense" + with_db, "unknown metric 'nonsense'"},
      {"query top --by latency --where 'bogus=1'" + with_db, "unknown key 'bogus'"},
      {"query top --by latency --where 'nooperator'" + with_db, "expected KEY=VALUE"},
      {"query design 9999" + with_db, "no design with id 9999"},
      {"query sql 'DROP TABLE runs'" + with_db, "read-only"},
      {"query sql 'SELEKT 1'" + with_db, "invalid SQL"},
      {"query" + with_db, ""},  // a subcommand is required
      {"export --db '" + db.string() + "' --format xml -o x.xml", ""},
      {"export --db '" + text.string() + "' --format csv -o '" + (dir / "x.csv").string() + "'",
       "not a leopard-dse database"},
      {"merge -o '" + (dir / "m.db").string() + "' '" + text.string() + "'",
       "not a leopard-dse database"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const Result r = run_store_cli(dir.path(), c.args);
    CHECK(r.code == 2);
    if (!c.message.empty()) CHECK_THAT(r.err, Catch::Contains(c.message));
  }
  CHECK_FALSE(fs::exists(dir / "x.csv"));
  CHECK_FALSE(fs::exists(dir / "m.db"));
  // The database is still fine after all of that.
  const Result ok = run_store_cli(dir.path(), "query runs --format csv" + with_db);
  CHECK(ok.code == 0);
}
