// Queries (runs, pareto, top, design, read-only sql) in table, CSV and JSON, and export.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "results/export.hpp"
#include "results/query.hpp"
#include "results/store.hpp"
#include "tests/unit/results/fixtures.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/text.hpp"

using namespace leopard::results;
using namespace leopard::results::testing;
using leopard::InputError;
using leopard::OutputFormat;

namespace {

struct Fixture {
  TempDir dir;
  std::filesystem::path path = dir / "q.db";
  std::vector<DesignRecord> records;
  std::int64_t run = 0;

  Fixture() {
    Store store = Store::open(path, Store::Access::kWrite);
    run = store.begin_run(make_run_info());
    for (std::int64_t i = 0; i < space_size(); ++i) records.push_back(make_record(i));
    store.insert_designs(run, records);
    store.set_pareto(run, brute_force_pareto(records));
    store.finish_run(run, RunStatus::kComplete);
  }
};

std::string render_to_string(const leopard::Table& table, OutputFormat format) {
  std::ostringstream out;
  leopard::render(out, table, format);
  return out.str();
}

std::vector<std::string> csv_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::int64_t column_of(const leopard::Table& t, const std::string& name) {
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (t.columns[c] == name) return static_cast<std::int64_t>(c);
  }
  return -1;
}

}  // namespace

TEST_CASE("query runs lists runs with counts", "[results][query]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  const leopard::Table t = query_runs(store);
  REQUIRE(t.rows.size() == 1);
  const auto row = t.rows[0];
  CHECK(std::get<std::int64_t>(row[static_cast<std::size_t>(column_of(t, "designs"))]) == 60);
  CHECK(std::get<std::int64_t>(row[static_cast<std::size_t>(column_of(t, "pareto"))]) ==
        static_cast<std::int64_t>(brute_force_pareto(f.records).size()));
  CHECK(std::get<std::string>(row[static_cast<std::size_t>(column_of(t, "status"))]) == "complete");
  CHECK(std::get<std::string>(row[static_cast<std::size_t>(column_of(t, "shard"))]) == "0/1");
  const std::string json = render_to_string(t, OutputFormat::kJson);
  const auto parsed = nlohmann::json::parse(json);
  CHECK(parsed[0]["name"] == "synthetic");
  CHECK(parsed[0]["seed"] == 7);
}

TEST_CASE("query pareto has the axis columns and the metrics in all formats", "[results][query]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  const leopard::Table t = query_pareto(store, std::nullopt);
  const auto expected = brute_force_pareto(f.records);
  REQUIRE(!expected.empty());
  REQUIRE(expected.size() < f.records.size());  // a real filter, not everything
  REQUIRE(t.rows.size() == expected.size());

  const auto lines = csv_lines(render_to_string(t, OutputFormat::kCsv));
  REQUIRE(lines.size() == expected.size() + 1);
  const auto header = leopard::split_csv_line(lines[0], "csv", 1);
  for (const char* col :
       {"design_id", "tiles", "qk.dpus", "dram.type", "latency_s", "energy_j", "area_mm2"}) {
    INFO(col);
    CHECK(std::find(header.begin(), header.end(), col) != header.end());
  }
  // Each CSV row matches the record of its design index (closed form).
  std::vector<std::int64_t> seen;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = leopard::split_csv_line(lines[i], "csv", static_cast<std::int64_t>(i));
    auto cell = [&](const char* name) {
      const auto it = std::find(header.begin(), header.end(), name);
      return cells[static_cast<std::size_t>(it - header.begin())];
    };
    const std::int64_t index = *leopard::parse_int(cell("design_index"));
    seen.push_back(index);
    const DesignRecord r = make_record(index);
    CHECK(cell("tiles") == r.params[0].second);
    CHECK(cell("qk.dpus") == r.params[1].second);
    CHECK(cell("dram.type") == r.params[2].second);
    CHECK(*leopard::parse_double(cell("latency_s")) == Approx(r.metrics.latency_s).epsilon(1e-9));
    CHECK(*leopard::parse_double(cell("area_mm2")) == Approx(r.metrics.area_mm2).epsilon(1e-9));
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == expected);

  const auto json = nlohmann::json::parse(render_to_string(t, OutputFormat::kJson));
  REQUIRE(json.size() == expected.size());
  CHECK(json[0].contains("qk.dpus"));
  CHECK(json[0]["tiles"].is_number_integer());
  CHECK(json[0]["dram.type"].is_string());
  // Sorted by latency.
  for (std::size_t i = 1; i < json.size(); ++i) {
    CHECK(json[i - 1]["latency_s"].get<double>() <= json[i]["latency_s"].get<double>());
  }
  const std::string text = render_to_string(t, OutputFormat::kTable);
  CHECK(csv_lines(text).size() == expected.size() + 2);  // header, rule, rows
  CHECK_THAT(text, Catch::StartsWith("design_id"));
  CHECK_THROWS_AS(query_pareto(store, 42), InputError);
}

TEST_CASE("query top orders by a whitelisted metric with bound filters", "[results][query]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  TopOptions options;
  options.by = "energy";
  options.limit = 5;
  leopard::Table t = query_top(store, std::nullopt, options);
  REQUIRE(t.rows.size() == 5);
  std::vector<double> energies;
  for (const auto& r : f.records) energies.push_back(r.metrics.energy_j);
  std::sort(energies.begin(), energies.end());
  const auto e = static_cast<std::size_t>(column_of(t, "energy_j"));
  for (std::size_t i = 0; i < 5; ++i) CHECK(std::get<double>(t.rows[i][e]) == energies[i]);

  options.by = "speedup_geomean";  // larger is better: descending by default
  options.limit = 1;
  t = query_top(store, std::nullopt, options);
  const auto s = static_cast<std::size_t>(column_of(t, "speedup_geomean"));
  double best = 0;
  for (const auto& r : f.records) best = std::max(best, r.metrics.speedup_geomean);
  CHECK(std::get<double>(t.rows[0][s]) == best);

  options.by = "latency_s";
  options.limit = 100;
  options.where = {parse_filter("dram.type=hbm2"), parse_filter("tiles>=4"),
                   parse_filter("area_mm2<30")};
  t = query_top(store, std::nullopt, options);
  std::int64_t expected = 0;
  for (const auto& r : f.records) {
    if (r.params[2].second == "hbm2" && std::stoi(r.params[0].second) >= 4 &&
        r.metrics.area_mm2 < 30) {
      ++expected;
    }
  }
  REQUIRE(expected > 0);
  CHECK(static_cast<std::int64_t>(t.rows.size()) == expected);

  // A value is a value: an injection attempt matches nothing and changes nothing.
  options.where = {parse_filter("dram.type=hbm2' OR '1'='1")};
  CHECK(query_top(store, std::nullopt, options).rows.empty());
  CHECK(store.design_count(f.run) == 60);

  options.where = {};
  options.by = "latency_s; DROP TABLE runs";
  CHECK_THROWS_WITH(query_top(store, std::nullopt, options), Catch::Contains("unknown metric"));
  options.by = "latency_s";
  options.where = {parse_filter("nonsense=1")};
  CHECK_THROWS_WITH(query_top(store, std::nullopt, options), Catch::Contains("unknown key"));
  CHECK_THROWS_AS(parse_filter("no operator"), InputError);
  CHECK(parse_filter("a<=3").op == "<=");
  CHECK(parse_filter("a!=b").op == "!=");
  CHECK(parse_filter("k=x<=y").value == "x<=y");
}

TEST_CASE("query top --task orders by one task's column, decode columns included",
          "[results][query]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  TopOptions o;
  o.task = "gpt2-large/wikitext";
  o.by = "s_per_token_p99";
  o.limit = 5;
  const leopard::Table t = query_top(store, f.run, o);
  REQUIRE(t.rows.size() == 5);
  const auto c = column_of(t, "gpt2-large/wikitext s_per_token_p99");
  REQUIRE(c >= 0);
  // Against a brute-force sort of the records' task values (ties by design index).
  std::vector<std::pair<double, std::int64_t>> all;
  for (const auto& r : f.records) all.push_back({r.tasks[1].s_per_token_p99, r.design_index});
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(std::get<double>(t.rows[i][static_cast<std::size_t>(c)]) == all[i].first);
    CHECK(std::get<std::int64_t>(t.rows[i][1]) == all[i].second);
  }
  o.by = "tokens_per_s";  // larger is better: descending by default
  const leopard::Table fastest = query_top(store, f.run, o);
  const auto fc = column_of(fastest, "gpt2-large/wikitext tokens_per_s");
  CHECK(std::get<double>(fastest.rows[0][static_cast<std::size_t>(fc)]) >=
        std::get<double>(fastest.rows[1][static_cast<std::size_t>(fc)]));
  o.by = "area_mm2";
  CHECK_THROWS_WITH(query_top(store, f.run, o), Catch::Contains("unknown task metric"));
  o.by = "latency_p99_s";
  o.task = "gpt2-large";
  CHECK_THROWS_WITH(query_top(store, f.run, o), Catch::Contains("MODEL/TASK"));
  o.task = "gpt2-large/nope";
  CHECK_THROWS_WITH(query_top(store, f.run, o), Catch::Contains("no per-task metrics"));
}

TEST_CASE("query design shows params, metrics, tasks and breakdown", "[results][query]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  const std::int64_t id =
      store.db().scalar_int("SELECT design_id FROM designs WHERE design_index = 17");
  const DesignReport report = query_design(store, id);
  std::map<std::string, leopard::Cell> kv;
  for (const auto& row : report.summary.rows) kv[std::get<std::string>(row[0])] = row[1];
  const DesignRecord r = make_record(17);
  CHECK(std::get<std::int64_t>(kv.at("design_index")) == 17);
  CHECK(std::get<std::int64_t>(kv.at("param tiles")) == std::stoi(r.params[0].second));
  CHECK(std::get<std::string>(kv.at("param dram.type")) == r.params[2].second);
  CHECK(std::get<double>(kv.at("latency_s")) == r.metrics.latency_s);
  CHECK(std::get<double>(kv.at("objective area")) == r.metrics.area_mm2);
  CHECK(report.tasks.rows.size() == 2);
  CHECK(report.breakdown.rows.size() == 2);
  const auto json = nlohmann::json::parse(render_to_string(report.tasks, OutputFormat::kJson));
  CHECK(json[0]["model"] == "bert-base");
  CHECK(json[1]["cycles"].get<double>() == 2000.0 * 2);  // tiles = 2 at index 17
  // The decode task's per-token columns (SI units), null for the prefill task.
  CHECK(json[1]["s_per_token"].get<double>() == r.tasks[1].s_per_token);
  CHECK(json[1]["dram_k_bytes_per_token"].get<double>() == r.tasks[1].dram_k_bytes_per_token);
  CHECK(json[1]["j_per_token_p99"].get<double>() == r.tasks[1].j_per_token_p99);
  CHECK(json[0]["s_per_token"].is_null());
  CHECK(std::get<double>(kv.at("vdd")) == r.metrics.vdd);
  CHECK_THROWS_WITH(query_design(store, 100000), Catch::Contains("no design with id 100000"));
}

TEST_CASE("query sql is read-only and leaves the file unchanged", "[results][query][sql]") {
  Fixture f;
  const std::string before = read_bytes(f.path);
  const leopard::Table t =
      query_sql(f.path, "SELECT count(*) AS n, max(area_mm2) AS a FROM design_metrics");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.columns == std::vector<std::string>{"n", "a"});
  CHECK(std::get<std::int64_t>(t.rows[0][0]) == 60);
  for (const char* sql :
       {"INSERT INTO runs (uuid, name, started_at, status) VALUES ('x','y','z','running')",
        "DELETE FROM designs", "DROP TABLE metrics", "UPDATE metrics SET latency_s = 0",
        "CREATE TABLE t (x)", "PRAGMA user_version = 5", "ATTACH DATABASE 'x.db' AS x",
        "SELECT 1; DELETE FROM designs"}) {
    INFO(sql);
    CHECK_THROWS_AS(query_sql(f.path, sql), InputError);
  }
  CHECK_THROWS_WITH(query_sql(f.path, "DELETE FROM designs"), Catch::Contains("read-only"));
  CHECK_THROWS_WITH(query_sql(f.path, "SELEC nonsense"), Catch::Contains("invalid SQL"));
  CHECK_THROWS_WITH(query_sql(f.dir / "none.db", "SELECT 1"), Catch::Contains("no such database"));
  CHECK(read_bytes(f.path) == before);
  Store store = Store::open(f.path, Store::Access::kRead);
  CHECK(store.design_count(f.run) == 60);
}

TEST_CASE("export writes every design in CSV and JSON at full precision", "[results][export]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  const auto csv_path = f.dir / "out.csv";
  CHECK(export_run(store, std::nullopt, ExportFormat::kCsv, csv_path) == 60);
  const auto lines = csv_lines(read_bytes(csv_path));
  REQUIRE(lines.size() == 61);
  const auto header = leopard::split_csv_line(lines[0], "csv", 1);
  const auto col = [&](const char* name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = leopard::split_csv_line(lines[i], "csv", 0);
    const DesignRecord r = make_record(static_cast<std::int64_t>(i - 1));
    CHECK(cells[col("design_index")] == std::to_string(i - 1));
    CHECK(cells[col("qk.dpus")] == r.params[1].second);
    CHECK(*leopard::parse_double(cells[col("energy_j")]) == r.metrics.energy_j);  // exact
  }
  const auto json_path = f.dir / "out.json";
  CHECK(export_run(store, f.run, ExportFormat::kJson, json_path) == 60);
  const auto doc = nlohmann::json::parse(read_bytes(json_path));
  CHECK(doc["run"]["name"] == "synthetic");
  CHECK(doc["run"]["axes"].size() == 3);
  REQUIRE(doc["designs"].size() == 60);
  CHECK(doc["designs"][59]["latency_s"].get<double>() == make_record(59).metrics.latency_s);
  CHECK(doc["designs"][59]["objectives"].size() == 3);
  // Streamed piecewise, the file keeps the layout of one whole-document dump(2).
  const auto ordered = nlohmann::ordered_json::parse(read_bytes(json_path));
  CHECK(read_bytes(json_path) == ordered.dump(2) + "\n");
  CHECK_THROWS_AS(export_run(store, f.run, ExportFormat::kCsv, f.dir / "no/such/dir/x.csv"),
                  InputError);
  CHECK_THROWS_AS(parse_export_format("xml"), InputError);
  for (const auto& entry : std::filesystem::directory_iterator(f.dir.path())) {
    CHECK(entry.path().string().find(".tmp-") == std::string::npos);  // no leftovers
  }
}

TEST_CASE("export --tasks writes one row per design and task with the decode columns",
          "[results][export]") {
  Fixture f;
  Store store = Store::open(f.path, Store::Access::kRead);
  const auto csv_path = f.dir / "tasks.csv";
  CHECK(export_run(store, f.run, ExportFormat::kCsv, csv_path, true) == 120);
  const auto lines = csv_lines(read_bytes(csv_path));
  REQUIRE(lines.size() == 121);
  const auto header = leopard::split_csv_line(lines[0], "csv", 1);
  const auto col = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  };
  for (const std::string& c : task_decode_columns()) CHECK(col(c.c_str()) < header.size());
  // Rows in (design_index, model, task) order: design 5's prefill then decode task.
  const DesignRecord r = make_record(5);
  const auto prefill = leopard::split_csv_line(lines[11], "csv", 0);
  const auto decode = leopard::split_csv_line(lines[12], "csv", 0);
  CHECK(prefill[col("design_index")] == "5");
  CHECK(prefill[col("task")] == "squad");
  CHECK(prefill[col("s_per_token")].empty());
  CHECK(decode[col("task")] == "wikitext");
  CHECK(decode[col("qk.dpus")] == r.params[1].second);
  CHECK(*leopard::parse_double(decode[col("s_per_token")]) == r.tasks[1].s_per_token);
  CHECK(*leopard::parse_double(decode[col("tokens_per_s")]) == r.tasks[1].tokens_per_s);
  CHECK(*leopard::parse_double(decode[col("latency_p99_s")]) == r.tasks[1].latency_p99_s);
  const auto json_path = f.dir / "tasks.json";
  CHECK(export_run(store, f.run, ExportFormat::kJson, json_path, true) == 120);
  const auto doc = nlohmann::json::parse(read_bytes(json_path));
  CHECK(doc["run"]["model_fingerprint"] == make_run_info().model_fingerprint);
  REQUIRE(doc["tasks"].size() == 120);
  CHECK(doc["tasks"][11]["s_per_token_p99"].get<double>() == r.tasks[1].s_per_token_p99);
  CHECK(doc["tasks"][10]["s_per_token_p99"].is_null());
}

TEST_CASE("export of a run without designs is valid CSV and JSON", "[results][export]") {
  TempDir dir;
  Store store = Store::open(dir / "empty.db", Store::Access::kWrite);
  const std::int64_t run = store.begin_run(make_run_info());
  CHECK(export_run(store, run, ExportFormat::kJson, dir / "e.json") == 0);
  const std::string text = read_bytes(dir / "e.json");
  CHECK(text == nlohmann::ordered_json::parse(text).dump(2) + "\n");
  CHECK(nlohmann::json::parse(text)["designs"].empty());
  CHECK(export_run(store, run, ExportFormat::kCsv, dir / "e.csv") == 0);
  CHECK(csv_lines(read_bytes(dir / "e.csv")).size() == 1);  // the header only
}
