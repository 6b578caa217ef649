// Schema migrations and the "is this one of our databases" checks.
#include "results/schema.hpp"

#include <fmt/format.h>

#include "workloads/core/error.hpp"

namespace leopard::results {

namespace {

// Version 1: the tables. Never edit a shipped migration: add a new one.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE leopard_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO leopard_meta (key, value) VALUES ('format', 'leopard-dse results');
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  name TEXT NOT NULL,
  command_line TEXT NOT NULL DEFAULT '',
  space_text TEXT NOT NULL DEFAULT '',
  suite_text TEXT NOT NULL DEFAULT '',
  space_hash TEXT NOT NULL DEFAULT '',
  suite_hash TEXT NOT NULL DEFAULT '',
  seed INTEGER NOT NULL DEFAULT 0,
  strategy TEXT NOT NULL DEFAULT '',
  tool_version TEXT NOT NULL DEFAULT '',
  git_revision TEXT NOT NULL DEFAULT '',
  axes TEXT NOT NULL DEFAULT '[]',
  objectives TEXT NOT NULL DEFAULT '[]',
  shard_index INTEGER NOT NULL DEFAULT 0,
  shard_count INTEGER NOT NULL DEFAULT 1,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete', 'failed'))
);
CREATE TABLE designs (
  design_id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  design_index INTEGER NOT NULL,
  design_hash TEXT NOT NULL,
  params TEXT NOT NULL,
  UNIQUE (run_id, design_index)
);
CREATE TABLE metrics (
  design_id INTEGER PRIMARY KEY REFERENCES designs(design_id) ON DELETE CASCADE,
  latency_s REAL,
  energy_j REAL,
  energy_onchip_j REAL,
  energy_dram_j REAL,
  area_mm2 REAL,
  power_w REAL,
  edp_js REAL,
  speedup_geomean REAL,
  energy_reduction_geomean REAL,
  feasible INTEGER NOT NULL,
  bottleneck TEXT NOT NULL DEFAULT '',
  objectives TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE task_metrics (
  design_id INTEGER NOT NULL REFERENCES designs(design_id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  task TEXT NOT NULL,
  cycles REAL,
  latency_s REAL,
  energy_j REAL,
  energy_onchip_j REAL,
  energy_dram_j REAL,
  speedup REAL,
  energy_reduction REAL,
  bottleneck TEXT NOT NULL DEFAULT '',
  qk_utilization REAL,
  vpu_utilization REAL,
  dram_utilization REAL,
  PRIMARY KEY (design_id, model, task)
);
CREATE TABLE breakdown (
  design_id INTEGER NOT NULL REFERENCES designs(design_id) ON DELETE CASCADE,
  component TEXT NOT NULL,
  energy_j REAL,
  PRIMARY KEY (design_id, component)
);
CREATE TABLE pareto (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  design_id INTEGER NOT NULL REFERENCES designs(design_id) ON DELETE CASCADE,
  PRIMARY KEY (run_id, design_id)
);
)sql";

// Version 2: the size of the space on runs, a lookup index by design hash (nsga2 resume) and the
// views that make common questions one short query.
constexpr const char* kVersion2 = R"sql(
ALTER TABLE runs ADD COLUMN space_size INTEGER NOT NULL DEFAULT 0;
CREATE INDEX designs_by_hash ON designs (run_id, design_hash);
CREATE VIEW design_metrics AS
  SELECT d.design_id, d.run_id, d.design_index, d.design_hash, d.params,
         m.latency_s, m.energy_j, m.energy_onchip_j, m.energy_dram_j, m.area_mm2, m.power_w,
         m.edp_js, m.speedup_geomean, m.energy_reduction_geomean, m.feasible, m.bottleneck,
         m.objectives
  FROM designs d JOIN metrics m ON m.design_id = d.design_id;
CREATE VIEW pareto_designs AS
  SELECT dm.* FROM pareto p JOIN design_metrics dm ON dm.design_id = p.design_id
  WHERE dm.run_id = p.run_id;
CREATE VIEW run_summary AS
  SELECT r.id AS run_id, r.name, r.status, r.strategy, r.seed, r.shard_index, r.shard_count,
         (SELECT count(*) FROM designs d WHERE d.run_id = r.id) AS designs,
         (SELECT count(*) FROM pareto p WHERE p.run_id = r.id) AS pareto,
         r.started_at, r.finished_at
  FROM runs r;
)sql";

// Version 3: no index by design hash. Nothing in leopard-dse looks designs up by hash (resume reads
// the whole run), and keeping a randomly ordered index current cost a third of a sweep's insert
// time. Users who want one can CREATE INDEX it themselves.
constexpr const char* kVersion3 = R"sql(
DROP INDEX IF EXISTS designs_by_hash;
)sql";

// Version 4: the per-sample tail (statistics with a sample column). Per task: the samples priced
// and the nearest-rank p50/p95/p99 latency and p50/p99 energy over them; per design: the sums of
// those over the suite's tasks (geometric means with --latency geomean). Rows written before have
// NULL there. The design_metrics view is rebuilt with the new columns (pareto_designs reads dm.*).
constexpr const char* kVersion4 = R"sql(
ALTER TABLE task_metrics ADD COLUMN samples INTEGER;
ALTER TABLE task_metrics ADD COLUMN latency_p50_s REAL;
ALTER TABLE task_metrics ADD COLUMN latency_p95_s REAL;
ALTER TABLE task_metrics ADD COLUMN latency_p99_s REAL;
ALTER TABLE task_metrics ADD COLUMN energy_p50_j REAL;
ALTER TABLE task_metrics ADD COLUMN energy_p99_j REAL;
ALTER TABLE metrics ADD COLUMN latency_p50_s REAL;
ALTER TABLE metrics ADD COLUMN latency_p95_s REAL;
ALTER TABLE metrics ADD COLUMN latency_p99_s REAL;
ALTER TABLE metrics ADD COLUMN energy_p50_j REAL;
ALTER TABLE metrics ADD COLUMN energy_p99_j REAL;
DROP VIEW design_metrics;
CREATE VIEW design_metrics AS
  SELECT d.design_id, d.run_id, d.design_index, d.design_hash, d.params,
         m.latency_s, m.energy_j, m.energy_onchip_j, m.energy_dram_j, m.area_mm2, m.power_w,
         m.edp_js, m.speedup_geomean, m.energy_reduction_geomean, m.feasible, m.bottleneck,
         m.objectives, m.latency_p50_s, m.latency_p95_s, m.latency_p99_s, m.energy_p50_j,
         m.energy_p99_j
  FROM designs d JOIN metrics m ON m.design_id = d.design_id;
)sql";

// Version 5: feasibility, provenance and decode. Per design: why it is physically infeasible (""
// when it is not; NULL in rows written before) and the supply it runs at (V). Per run: the
// fingerprint of the cost model that priced it (SHA-256 of the model's sources and data at build
// time; '' for runs written before, which therefore never resume under a fingerprinted build). Per
// task, for decode tasks (NULL for prefill tasks and rows written before), in SI units: seconds,
// joules and bytes per generated token, tokens per second, and the per-token tail over samples x
// steps.
constexpr const char* kVersion5 = R"sql(
ALTER TABLE metrics ADD COLUMN infeasible_reason TEXT;
ALTER TABLE metrics ADD COLUMN vdd REAL;
ALTER TABLE runs ADD COLUMN model_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE task_metrics ADD COLUMN s_per_token REAL;
ALTER TABLE task_metrics ADD COLUMN tokens_per_s REAL;
ALTER TABLE task_metrics ADD COLUMN j_per_token REAL;
ALTER TABLE task_metrics ADD COLUMN dram_bytes_per_token REAL;
ALTER TABLE task_metrics ADD COLUMN dram_k_bytes_per_token REAL;
ALTER TABLE task_metrics ADD COLUMN dram_v_bytes_per_token REAL;
ALTER TABLE task_metrics ADD COLUMN s_per_token_p50 REAL;
ALTER TABLE task_metrics ADD COLUMN s_per_token_p99 REAL;
ALTER TABLE task_metrics ADD COLUMN j_per_token_p99 REAL;
DROP VIEW design_metrics;
CREATE VIEW design_metrics AS
  SELECT d.design_id, d.run_id, d.design_index, d.design_hash, d.params,
         m.latency_s, m.energy_j, m.energy_onchip_j, m.energy_dram_j, m.area_mm2, m.power_w,
         m.edp_js, m.speedup_geomean, m.energy_reduction_geomean, m.feasible, m.bottleneck,
         m.objectives, m.latency_p50_s, m.latency_p95_s, m.latency_p99_s, m.energy_p50_j,
         m.energy_p99_j, m.infeasible_reason, m.vdd
  FROM designs d JOIN metrics m ON m.design_id = d.design_id;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, kVersion1}, {2, kVersion2}, {3, kVersion3}, {4, kVersion4}, {5, kVersion5}};
  return list;
}

int current_schema_version() { return migrations().back().to; }

void migrate(Db& db, int target) {
  if (target < 0) target = current_schema_version();
  int version = static_cast<int>(db.scalar_int("PRAGMA user_version"));
  for (const Migration& step : migrations()) {
    if (step.to <= version || step.to > target) continue;
    Transaction tx(db);
    db.exec(step.sql);
    if (step.to == 1) db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
    db.exec(fmt::format("PRAGMA user_version = {}", step.to));
    tx.commit();
    version = step.to;
  }
}

FileKind inspect(Db& db) {
  const std::string file = db.path().string();
  // The first read of the header: a file that is not SQLite fails here with SQLITE_NOTADB.
  const std::int64_t app_id = db.scalar_int("PRAGMA application_id");
  const std::int64_t version = db.scalar_int("PRAGMA user_version");
  const std::int64_t objects = db.scalar_int("SELECT count(*) FROM sqlite_schema");
  if (app_id == 0 && version == 0 && objects == 0) return FileKind::kEmpty;
  if (app_id != kApplicationId) return FileKind::kForeign;
  if (version > current_schema_version()) {
    throw InputError(file, 0, "",
                     fmt::format("database schema version {} is newer than this leopard-dse "
                                 "understands (version {}); use a newer leopard-dse",
                                 version, current_schema_version()));
  }
  return FileKind::kOurs;
}

}  // namespace leopard::results
