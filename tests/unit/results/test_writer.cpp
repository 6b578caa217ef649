// The batching writer: batches, flush, close, duplicates, backpressure and the store's run API.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "results/store.hpp"
#include "results/writer.hpp"
#include "tests/unit/results/fixtures.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::results;
using namespace leopard::results::testing;

namespace {

// Records visible to another connection (i.e. committed).
std::int64_t committed_on_disk(const std::filesystem::path& path) {
  Db reader(path, Db::Mode::kReadOnly);
  return reader.scalar_int("SELECT count(*) FROM designs");
}

}  // namespace

TEST_CASE("the writer commits in batches and flush() makes everything durable",
          "[results][writer]") {
  TempDir dir;
  const auto path = dir / "w.db";
  Store store = Store::open(path, Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info());
  WriterOptions options;
  options.background = GENERATE(true, false);  // a writer thread, or inline in push()
  INFO("background " << options.background);
  options.batch_size = 10;
  options.queue_capacity = 1000;
  options.max_delay = std::chrono::milliseconds(60000);  // only size, flush and close commit
  StoreWriter writer(store, run, options);
  for (std::int64_t i = 0; i < 95; ++i) writer.push(make_record(i));
  writer.flush();
  CHECK(writer.committed() == 95);
  CHECK(writer.inserted() == 95);
  CHECK(writer.transactions() >= 10);  // 95 records at most 10 per transaction
  CHECK(committed_on_disk(path) == 95);
  // Duplicates (a replayed design) are skipped, not stored twice.
  writer.push(make_record(3));
  writer.push(make_record(95));
  writer.close();
  CHECK(writer.committed() == 97);
  CHECK(writer.inserted() == 96);
  CHECK(committed_on_disk(path) == 96);
  CHECK(store.db().scalar_int("SELECT count(*) FROM metrics") == 96);
  CHECK(store.db().scalar_int("SELECT count(*) FROM task_metrics") == 2 * 96);
  CHECK(store.db().scalar_int("SELECT count(*) FROM breakdown") == 2 * 96);
  // Values round-trip exactly.
  const auto evals = store.stored_evaluations(run);
  REQUIRE(evals.size() == 96);
  const DesignRecord r = make_record(42);
  const StoredEvaluation& e = evals.at("h42");
  CHECK(e.design_index == 42);
  CHECK(e.metrics.latency_s == r.metrics.latency_s);
  CHECK(e.metrics.energy_dram_j == r.metrics.energy_dram_j);
  CHECK(e.metrics.feasible == r.metrics.feasible);
  CHECK(e.metrics.bottleneck == r.metrics.bottleneck);
  CHECK(e.objectives == r.objectives);
}

TEST_CASE("a started batch commits after max_delay without a flush", "[results][writer]") {
  TempDir dir;
  const auto path = dir / "delay.db";
  Store store = Store::open(path, Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info());
  WriterOptions options;
  options.batch_size = 100000;
  options.max_delay = std::chrono::milliseconds(20);
  StoreWriter writer(store, run, options);
  for (std::int64_t i = 0; i < 5; ++i) writer.push(make_record(i));
  // Poll (generously) until another connection sees them.
  std::int64_t seen = 0;
  for (int attempt = 0; attempt < 500 && seen < 5; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = committed_on_disk(path);
  }
  CHECK(seen == 5);
  writer.close();
}

TEST_CASE("many producers with a tiny queue: backpressure, nothing lost", "[results][writer]") {
  TempDir dir;
  Store store = Store::open(dir / "bp.db", Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info());
  WriterOptions options;
  options.queue_capacity = 4;
  options.batch_size = 7;
  StoreWriter writer(store, run, options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&writer, t] {
      for (std::int64_t i = t; i < 400; i += 4) writer.push(make_record(i));
    });
  }
  for (auto& th : threads) th.join();
  writer.close();
  CHECK(writer.committed() == 400);
  CHECK(store.design_count(run) == 400);
  const auto indices = store.stored_indices(run);
  REQUIRE(indices.size() == 400);
  for (std::int64_t i = 0; i < 400; ++i) CHECK(indices[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("destroying an unclosed writer commits and marks the run interrupted",
          "[results][writer]") {
  TempDir dir;
  Store store = Store::open(dir / "d.db", Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info());
  {
    StoreWriter writer(store, run);
    for (std::int64_t i = 0; i < 10; ++i) writer.push(make_record(i));
  }
  CHECK(store.design_count(run) == 10);
  CHECK(store.run(run).status == RunStatus::kInterrupted);
  CHECK_FALSE(store.run(run).finished_at.empty());
}

TEST_CASE("a writer error reaches the pushing thread", "[results][writer]") {
  TempDir dir;
  Store store = Store::open(dir / "e.db", Store::Access::kWrite);
  StoreWriter writer(store, 12345);  // no such run: the foreign key fails
  writer.push(make_record(0));
  CHECK_THROWS_AS(writer.flush(), leopard::RuntimeError);
  CHECK_THROWS_AS(writer.push(make_record(1)), leopard::RuntimeError);
  CHECK_THROWS(writer.close());
  CHECK(store.db().scalar_int("SELECT count(*) FROM designs") == 0);
}

TEST_CASE("inline writer: commits by size and age, errors roll the open batch back",
          "[results][writer]") {
  TempDir dir;
  const auto path = dir / "inline.db";
  Store store = Store::open(path, Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info());
  WriterOptions options;
  options.background = false;
  options.batch_size = 4;
  options.max_delay = std::chrono::milliseconds(60000);
  {
    StoreWriter writer(store, run, options);
    for (std::int64_t i = 0; i < 6; ++i) writer.push(make_record(i));
    // Inline: the first full batch is committed by the push that filled it, the rest is open.
    CHECK(writer.committed() == 4);
    CHECK(writer.transactions() == 1);
    CHECK(committed_on_disk(path) == 4);
    writer.close();
    CHECK(committed_on_disk(path) == 6);
    CHECK_THROWS_AS(writer.push(make_record(7)), leopard::RuntimeError);  // after close()
  }
  SECTION("max_delay: a push after the delay commits the batch") {
    options.batch_size = 1000;
    options.max_delay = std::chrono::milliseconds(1);
    StoreWriter writer(store, run, options);
    writer.push(make_record(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    writer.push(make_record(11));
    CHECK(committed_on_disk(path) == 8);
    writer.close();
  }
  SECTION("pre-serialised params and objectives are stored verbatim") {
    StoreWriter writer(store, run, options);
    DesignRecord r = make_record(20);
    r.params.clear();
    r.params_json = R"({"tiles":99})";
    r.objectives_json = "[1.5,2.5]";
    writer.push(std::move(r));
    writer.close();
    CHECK(store.db().scalar_int("SELECT json_extract(params, '$.tiles') FROM designs "
                                "WHERE design_index = 20") == 99);
    Statement o(store.db(),
                "SELECT m.objectives FROM metrics m JOIN designs d USING (design_id) "
                "WHERE d.design_index = 20");
    REQUIRE(o.step());
    CHECK(o.column_text(0) == "[1.5,2.5]");
  }
  SECTION("an insert error is thrown by push() and nothing of the open batch is kept") {
    StoreWriter writer(store, 12345, options);  // no such run: the foreign key fails
    CHECK_THROWS_AS(writer.push(make_record(30)), leopard::RuntimeError);
    CHECK_THROWS_AS(writer.push(make_record(31)), leopard::RuntimeError);
    CHECK_THROWS(writer.close());
    CHECK(store.db().scalar_int("SELECT count(*) FROM designs WHERE run_id = 12345") == 0);
    CHECK_FALSE(store.db().in_transaction());
  }
}

TEST_CASE("runs record provenance and status", "[results][store]") {
  TempDir dir;
  Store store = Store::open(dir / "r.db", Store::Access::kWrite);
  RunInfo info = make_run_info(1, 4);
  const std::int64_t id = store.begin_run(info);
  StoredRun r = store.run(id);
  CHECK(r.info.uuid.size() == 36);
  CHECK(r.info.uuid[14] == '4');
  CHECK(r.info.name == "synthetic");
  CHECK(r.info.space_hash == info.space_hash);
  CHECK(r.info.axes == info.axes);
  CHECK(r.info.objectives == info.objectives);
  CHECK(r.info.shard_index == 1);
  CHECK(r.info.shard_count == 4);
  CHECK(r.info.space_size == 60);
  CHECK(r.info.seed == 7);
  CHECK(r.status == RunStatus::kRunning);
  CHECK(r.finished_at.empty());
  CHECK(r.started_at.size() == 24);  // 2024-01-01T00:00:00.000Z
  store.finish_run(id, RunStatus::kComplete);
  CHECK(store.run(id).status == RunStatus::kComplete);
  CHECK_THROWS_AS(store.run(99), leopard::InputError);
  CHECK(store.latest_run_id() == id);
}

TEST_CASE("parameters and objectives are stored as valid JSON", "[results][store]") {
  const std::string params = params_json(
      {{"tiles", "4"}, {"clock_mhz", "812.5"}, {"dram.type", "hbm2"}, {"odd\"key", "a\\b\nc"}});
  const auto json = nlohmann::json::parse(params);
  CHECK(json["tiles"] == 4);
  CHECK(json["clock_mhz"] == 812.5);
  CHECK(json["dram.type"] == "hbm2");
  CHECK(json["odd\"key"] == "a\\b\nc");
  CHECK(params.find("\"tiles\":4,\"clock_mhz\":812.5") == 1);  // axis order kept
  const std::vector<double> values = {0.1, 1e-300, 12345678.901234567, -2.5};
  CHECK(parse_doubles_json(doubles_json(values)) == values);  // exact round trip
  // The same text as fmt's "{}" (what earlier versions stored).
  for (double v : {0.1, 1e-300, 5e-324, 1e22, 1e21, 123456.0, 1.0, -0.0, 0.3333333333333333,
                   6.02214076e23, 1.7976931348623157e308}) {
    INFO(v);
    CHECK(doubles_json({v}) == "[" + fmt::format("{}", v) + "]");
  }
  const auto with_nan = parse_doubles_json(doubles_json({1.0, std::nan(""), INFINITY, -INFINITY}));
  REQUIRE(with_nan.size() == 4);
  CHECK(std::isnan(with_nan[1]));
  CHECK(with_nan[2] == INFINITY);
  CHECK(with_nan[3] == -INFINITY);
  // Still valid JSON for SQLite (and Python): json_valid and json_extract read +-inf back.
  Db db(":memory:", Db::Mode::kReadWriteCreate);
  Statement valid(db, "SELECT json_valid(?1), json_extract(?1, '$[0]') > 1e308");
  valid.bind(1, doubles_json({INFINITY, -INFINITY}));
  REQUIRE(valid.step());
  CHECK(valid.column_int(0) == 1);
  CHECK(valid.column_int(1) == 1);
  CHECK(parse_doubles_json("[]").empty());
  CHECK(parse_doubles_json("[1, 2 ,3]") == std::vector<double>{1, 2, 3});
  CHECK(parse_doubles_json("{\"a\":1}").empty());
  CHECK(parse_doubles_json("[1,x]").empty());
}
