// Schema creation, migration from version 1, and refusal of files that are not ours.
#include <catch2/catch.hpp>
#include <cmath>

#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/unit/results/fixtures.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::results;
using leopard::InputError;
using leopard::results::testing::TempDir;

TEST_CASE("a new database gets the current schema, the marker and WAL", "[results][schema]") {
  TempDir dir;
  const auto path = dir / "sub/folder/new.db";  // the parent folders are created
  Store store = Store::open(path, Store::Access::kWrite);
  CHECK(std::filesystem::exists(path));
  CHECK(store.schema_version() == current_schema_version());
  CHECK(current_schema_version() == 5);
  CHECK(store.db().scalar_int("PRAGMA application_id") == kApplicationId);
  CHECK(store.db().scalar_int("PRAGMA foreign_keys") == 1);
  Statement mode(store.db(), "PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.column_text(0) == "wal");
  for (const char* table : {"runs", "designs", "metrics", "task_metrics", "breakdown", "pareto",
                            "pareto_designs", "design_metrics", "run_summary"}) {
    Statement s(store.db(), "SELECT count(*) FROM sqlite_schema WHERE name = ?1");
    s.bind(1, table).step();
    INFO(table);
    CHECK(s.column_int(0) == 1);
  }
}

TEST_CASE("a version-1 database is migrated in place, keeping its data", "[results][schema]") {
  TempDir dir;
  const auto path = dir / "v1.db";
  {
    Db db(path, Db::Mode::kReadWriteCreate);
    migrate(db, 1);
    REQUIRE(db.scalar_int("PRAGMA user_version") == 1);
    // No space_size column and no views in version 1.
    CHECK_THROWS(db.exec("SELECT space_size FROM runs"));
    CHECK_THROWS(db.exec("SELECT * FROM pareto_designs"));
    db.exec(
        "INSERT INTO runs (uuid, name, started_at, status) VALUES ('u1', 'old', '2024', "
        "'complete');"
        "INSERT INTO designs (run_id, design_index, design_hash, params) VALUES "
        "(1, 0, 'h0', '{\"tiles\":4}');"
        "INSERT INTO metrics (design_id, latency_s, energy_j, area_mm2, feasible, objectives) "
        "VALUES (1, 0.5, 2.0, 3.0, 1, '[0.5,2.0,3.0]');"
        "INSERT INTO pareto (run_id, design_id) VALUES (1, 1);");
  }
  Store store = Store::open(path, Store::Access::kRead);
  CHECK(store.schema_version() == current_schema_version());
  const StoredRun run = store.run(1);
  CHECK(run.info.name == "old");
  CHECK(run.info.space_size == 0);  // the new column's default
  CHECK(store.db().scalar_int("SELECT count(*) FROM pareto_designs") == 1);
  CHECK(store.db().scalar_int("SELECT design_index FROM pareto_designs") == 0);
  // Migrating again is a no-op.
  migrate(store.db());
  CHECK(store.schema_version() == current_schema_version());
}

TEST_CASE("version 3 drops the design-hash index of version 2", "[results][schema]") {
  TempDir dir;
  const auto path = dir / "v2.db";
  const char* count_index = "SELECT count(*) FROM sqlite_schema WHERE name = 'designs_by_hash'";
  {
    Db db(path, Db::Mode::kReadWriteCreate);
    migrate(db, 2);
    REQUIRE(db.scalar_int(count_index) == 1);
  }
  Store store = Store::open(path, Store::Access::kWrite);
  CHECK(store.schema_version() == current_schema_version());
  CHECK(store.db().scalar_int(count_index) == 0);
}

TEST_CASE("version 4 adds the per-sample tail to an old database, keeping its rows",
          "[results][schema]") {
  TempDir dir;
  const auto path = dir / "v3.db";
  {
    Db db(path, Db::Mode::kReadWriteCreate);
    migrate(db, 3);
    REQUIRE(db.scalar_int("PRAGMA user_version") == 3);
    CHECK_THROWS(db.exec("SELECT latency_p99_s FROM metrics"));
    CHECK_THROWS(db.exec("SELECT samples FROM task_metrics"));
    db.exec(
        "INSERT INTO runs (uuid, name, started_at, status) VALUES ('u1', 'old', '2024', "
        "'complete');"
        "INSERT INTO designs (run_id, design_index, design_hash, params) VALUES "
        "(1, 0, 'h0', '{\"tiles\":4}');"
        "INSERT INTO metrics (design_id, latency_s, energy_j, area_mm2, feasible, objectives) "
        "VALUES (1, 0.5, 2.0, 3.0, 1, '[0.5]');"
        "INSERT INTO task_metrics (design_id, model, task, latency_s) VALUES "
        "(1, 'bert-base', 'SST-2', 0.25);");
  }
  {
    Store store = Store::open(path, Store::Access::kWrite);
    CHECK(store.schema_version() == current_schema_version());
    Db& db = store.db();
    // The old rows are kept; their tail columns are NULL (never computed), not a made-up value.
    CHECK(db.scalar_int("SELECT count(*) FROM metrics WHERE latency_s = 0.5 AND "
                        "latency_p99_s IS NULL AND energy_p99_j IS NULL") == 1);
    CHECK(db.scalar_int("SELECT count(*) FROM task_metrics WHERE latency_s = 0.25 AND "
                        "samples IS NULL AND latency_p50_s IS NULL") == 1);
    // The view shows the new columns.
    CHECK(db.scalar_int("SELECT count(*) FROM design_metrics WHERE latency_p99_s IS NULL") == 1);
    CHECK(db.scalar_int("SELECT count(*) FROM pareto_designs") == 0);
    // A design written now stores them, per design and per task.
    DesignRecord r;
    r.design_index = 1;
    r.design_hash = "h1";
    r.params = {{"tiles", "2"}};
    r.metrics.latency_s = 1.0;
    r.metrics.latency_p50_s = 0.9;
    r.metrics.latency_p95_s = 1.4;
    r.metrics.latency_p99_s = 1.5;
    r.metrics.energy_p50_j = 2.0;
    r.metrics.energy_p99_j = 2.5;
    TaskMetricsRecord t;
    t.model = "bert-base";
    t.task = "tail";
    t.samples = 100;
    t.latency_p99_s = 0.75;
    r.tasks.push_back(t);
    store.insert_designs(1, {r});
    Statement s(db,
                "SELECT m.latency_p50_s, m.latency_p95_s, m.latency_p99_s, m.energy_p50_j, "
                "m.energy_p99_j, t.samples, t.latency_p99_s FROM designs d JOIN metrics m ON "
                "m.design_id = d.design_id JOIN task_metrics t ON t.design_id = d.design_id "
                "WHERE d.design_hash = 'h1'");
    REQUIRE(s.step());
    CHECK(s.column_double(0) == 0.9);
    CHECK(s.column_double(1) == 1.4);
    CHECK(s.column_double(2) == 1.5);
    CHECK(s.column_double(3) == 2.0);
    CHECK(s.column_double(4) == 2.5);
    CHECK(s.column_int(5) == 100);
    CHECK(s.column_double(6) == 0.75);
    // nsga2 resume reads them back.
    const auto stored = store.stored_evaluations(1);
    REQUIRE(stored.count("h1") == 1);
    CHECK(stored.at("h1").metrics.latency_p99_s == 1.5);
    CHECK(stored.at("h1").metrics.energy_p50_j == 2.0);
  }
}

TEST_CASE("version 5 adds feasibility, the model fingerprint and decode columns, keeping old rows",
          "[results][schema]") {
  TempDir dir;
  const auto path = dir / "v4.db";
  {
    Db db(path, Db::Mode::kReadWriteCreate);
    migrate(db, 4);
    REQUIRE(db.scalar_int("PRAGMA user_version") == 4);
    CHECK_THROWS(db.exec("SELECT vdd FROM metrics"));
    CHECK_THROWS(db.exec("SELECT model_fingerprint FROM runs"));
    CHECK_THROWS(db.exec("SELECT s_per_token FROM task_metrics"));
    db.exec(
        "INSERT INTO runs (uuid, name, git_revision, started_at, status) VALUES ('u1', 'old', "
        "'abc', '2024', 'complete');"
        "INSERT INTO designs (run_id, design_index, design_hash, params) VALUES "
        "(1, 0, 'h0', '{\"tiles\":4}');"
        "INSERT INTO metrics (design_id, latency_s, energy_j, area_mm2, feasible, objectives, "
        "latency_p99_s) VALUES (1, 0.5, 2.0, 3.0, 1, '[0.5]', 0.7);"
        "INSERT INTO task_metrics (design_id, model, task, latency_s, samples) VALUES "
        "(1, 'llama3-8b', 'decode', 0.25, 1);");
  }
  Store store = Store::open(path, Store::Access::kWrite);
  CHECK(store.schema_version() == 5);
  Db& db = store.db();
  // Old rows kept; what they never computed is NULL (or '' for the run's fingerprint).
  CHECK(store.run(1).info.model_fingerprint.empty());
  CHECK(store.run(1).info.git_revision == "abc");
  CHECK(db.scalar_int("SELECT count(*) FROM metrics WHERE latency_p99_s = 0.7 AND vdd IS NULL "
                      "AND infeasible_reason IS NULL") == 1);
  CHECK(db.scalar_int("SELECT count(*) FROM task_metrics WHERE latency_s = 0.25 AND "
                      "s_per_token IS NULL AND j_per_token_p99 IS NULL") == 1);
  CHECK(db.scalar_int("SELECT count(*) FROM design_metrics WHERE vdd IS NULL") == 1);
  // Written now: the run's fingerprint, the design's supply and reason, the decode task's
  // columns; the prefill task's decode columns are NULL (not 0).
  RunInfo info = testing::make_run_info();
  const std::int64_t run = store.begin_run(info);
  CHECK(store.run(run).info.model_fingerprint == info.model_fingerprint);
  DesignRecord r = testing::make_record(7);
  r.metrics.feasible = false;
  r.metrics.infeasible_reason = "clock 1000 MHz > f_max 945 MHz at 1.20 V, 65 nm";
  r.metrics.vdd = 1.2;
  store.insert_designs(run, {r});
  Statement s(db,
              "SELECT m.feasible, m.infeasible_reason, m.vdd FROM metrics m JOIN designs d ON "
              "d.design_id = m.design_id WHERE d.run_id = ?1");
  s.bind(1, run);
  REQUIRE(s.step());
  CHECK(s.column_int(0) == 0);
  CHECK(s.column_text(1) == r.metrics.infeasible_reason);
  CHECK(s.column_double(2) == 1.2);
  const TaskMetricsRecord& decode = r.tasks[1];
  REQUIRE(std::isfinite(decode.s_per_token));
  Statement t(db,
              "SELECT t.task, t.s_per_token, t.tokens_per_s, t.j_per_token, "
              "t.dram_bytes_per_token, t.dram_k_bytes_per_token, t.dram_v_bytes_per_token, "
              "t.s_per_token_p50, t.s_per_token_p99, t.j_per_token_p99 FROM task_metrics t "
              "JOIN designs d ON d.design_id = t.design_id WHERE d.run_id = ?1 ORDER BY t.task");
  t.bind(1, run);
  REQUIRE(t.step());
  CHECK(t.column_text(0) == "squad");  // prefill
  for (int c = 1; c <= 9; ++c) CHECK(t.is_null(c));
  REQUIRE(t.step());
  CHECK(t.column_text(0) == "wikitext");  // decode
  const double expected[] = {
      decode.s_per_token,          decode.tokens_per_s,           decode.j_per_token,
      decode.dram_bytes_per_token, decode.dram_k_bytes_per_token, decode.dram_v_bytes_per_token,
      decode.s_per_token_p50,      decode.s_per_token_p99,        decode.j_per_token_p99};
  for (int c = 1; c <= 9; ++c) {
    INFO(c);
    CHECK(t.column_double(c) == expected[c - 1]);
  }
}

TEST_CASE("files that are not leopard-dse databases are refused untouched", "[results][schema]") {
  TempDir dir;
  SECTION("another SQLite database") {
    const auto path = dir / "other.db";
    {
      Db db(path, Db::Mode::kReadWriteCreate);
      db.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
    }
    const std::string before = testing::read_bytes(path);
    for (auto access : {Store::Access::kRead, Store::Access::kWrite}) {
      try {
        Store::open(path, access);
        FAIL("opened a foreign database");
      } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("not a leopard-dse database"));
        CHECK_THAT(e.what(), Catch::Contains("other.db"));
      }
    }
    CHECK(testing::read_bytes(path) == before);
    CHECK_FALSE(std::filesystem::exists(dir / "other.db-wal"));
  }
  SECTION("a text file") {
    const auto path = dir / "notes.db";
    std::ofstream(path) << "this is not a database, just some text that is long enough to be a "
                           "header of a file. It has more than one hundred bytes in total, so "
                           "SQLite reads a full header.\n";
    const std::string before = testing::read_bytes(path);
    CHECK_THROWS_WITH(Store::open(path, Store::Access::kWrite),
                      Catch::Contains("not a leopard-dse database"));
    CHECK_THROWS_AS(Store::open(path, Store::Access::kRead), InputError);
    CHECK(testing::read_bytes(path) == before);
  }
  SECTION("a missing file is not created when reading") {
    CHECK_THROWS_WITH(Store::open(dir / "missing.db", Store::Access::kRead),
                      Catch::Contains("no such database"));
    CHECK_FALSE(std::filesystem::exists(dir / "missing.db"));
  }
  SECTION("an empty file cannot be read") {
    std::ofstream(dir / "empty.db").flush();
    CHECK_THROWS_WITH(Store::open(dir / "empty.db", Store::Access::kRead),
                      Catch::Contains("not a leopard-dse database"));
  }
}

TEST_CASE("a newer schema version is refused with a message", "[results][schema]") {
  TempDir dir;
  const auto path = dir / "future.db";
  {
    Store store = Store::open(path, Store::Access::kWrite);
    store.db().exec("PRAGMA user_version = 99");
  }
  try {
    Store::open(path, Store::Access::kWrite);
    FAIL("opened a newer database");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("schema version 99 is newer"));
  }
}
