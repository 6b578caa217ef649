// The results store: open/create/migrate, runs and provenance, resume, designs and Pareto sets.
#include "results/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "results/inserter.hpp"
#include "results/pareto.hpp"
#include "results/schema.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/text.hpp"

namespace leopard::results {

namespace {

constexpr const char* kRunColumns =
    "id, uuid, name, command_line, space_text, suite_text, space_hash, suite_hash, seed, "
    "strategy, tool_version, git_revision, axes, objectives, shard_index, shard_count, space_size, "
    "started_at, coalesce(finished_at, ''), status, model_fingerprint";

StoredRun read_run(const Statement& s) {
  StoredRun r;
  r.id = s.column_int(0);
  r.info.uuid = s.column_text(1);
  r.info.name = s.column_text(2);
  r.info.command_line = s.column_text(3);
  r.info.space_text = s.column_text(4);
  r.info.suite_text = s.column_text(5);
  r.info.space_hash = s.column_text(6);
  r.info.suite_hash = s.column_text(7);
  r.info.seed = static_cast<std::uint64_t>(s.column_int(8));
  r.info.strategy = s.column_text(9);
  r.info.tool_version = s.column_text(10);
  r.info.git_revision = s.column_text(11);
  r.info.axes = parse_strings_json(s.column_text(12));
  r.info.objectives = parse_strings_json(s.column_text(13));
  r.info.shard_index = s.column_int(14);
  r.info.shard_count = s.column_int(15);
  r.info.space_size = s.column_int(16);
  r.started_at = s.column_text(17);
  r.finished_at = s.column_text(18);
  r.status = parse_run_status(s.column_text(19));
  r.info.model_fingerprint = s.column_text(20);
  return r;
}

std::string short_hash(const std::string& hash) {
  return hash.size() > 12 ? hash.substr(0, 12) : (hash.empty() ? "(none)" : hash);
}

}  // namespace

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kInterrupted:
      return "interrupted";
    case RunStatus::kComplete:
      return "complete";
    case RunStatus::kFailed:
      return "failed";
  }
  return "failed";
}

RunStatus parse_run_status(const std::string& text) {
  if (text == "running") return RunStatus::kRunning;
  if (text == "interrupted") return RunStatus::kInterrupted;
  if (text == "complete") return RunStatus::kComplete;
  return RunStatus::kFailed;
}

bool ResumeState::done(std::int64_t design_index) const {
  return std::binary_search(done_indices.begin(), done_indices.end(), design_index);
}

Store Store::open(const std::filesystem::path& path, Access access) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (access == Access::kRead && !fs::exists(path, ec)) {
    throw InputError(path.string(), 0, "", "no such database");
  }
  if (fs::is_directory(path, ec)) {
    throw InputError(path.string(), 0, "", "is a directory, not a database file");
  }
  if (access == Access::kWrite && path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw InputError(path.string(), 0, "",
                       "cannot create folder " + path.parent_path().string() + ": " + ec.message());
    }
  }
  Db db(path, access == Access::kWrite ? Db::Mode::kReadWriteCreate : Db::Mode::kReadWrite);
  const FileKind kind = inspect(db);
  if (kind == FileKind::kForeign) {
    throw InputError(path.string(), 0, "",
                     "not a leopard-dse database (an SQLite database without the leopard-dse "
                     "marker); refusing to touch it");
  }
  if (kind == FileKind::kEmpty && access == Access::kRead) {
    throw InputError(path.string(), 0, "", "not a leopard-dse database (empty file)");
  }
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = NORMAL");
  if (access == Access::kWrite) {
    db.exec("PRAGMA journal_mode = WAL");
    // Bulk-insert settings (sweeps write ~1e6 designs): a 32 MiB page cache keeps the B-tree pages
    // that inserts touch out of the OS read path, and checkpoints every 8192 pages (32 MiB) instead
    // of SQLite's 1000 rewrite each hot page less often. Memory stays bounded by these sizes.
    db.exec("PRAGMA cache_size = -32768");
    db.exec("PRAGMA wal_autocheckpoint = 8192");
  }
  migrate(db);
  return Store(std::move(db));
}

int Store::schema_version() { return static_cast<int>(db_.scalar_int("PRAGMA user_version")); }

std::int64_t Store::begin_run(const RunInfo& in) {
  RunInfo info = in;
  if (info.uuid.empty()) info.uuid = make_uuid();
  if (info.name.empty()) info.name = "run-" + info.uuid.substr(0, 8);
  Statement s(db_,
              "INSERT INTO runs (uuid, name, command_line, space_text, suite_text, space_hash, "
              "suite_hash, seed, strategy, tool_version, git_revision, axes, objectives, "
              "shard_index, shard_count, space_size, model_fingerprint, started_at, status) VALUES "
              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
              "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running')");
  s.bind(1, info.uuid)
      .bind(2, info.name)
      .bind(3, info.command_line)
      .bind(4, info.space_text)
      .bind(5, info.suite_text)
      .bind(6, info.space_hash)
      .bind(7, info.suite_hash)
      .bind(8, static_cast<std::int64_t>(info.seed))
      .bind(9, info.strategy)
      .bind(10, info.tool_version)
      .bind(11, info.git_revision)
      .bind(12, strings_json(info.axes))
      .bind(13, strings_json(info.objectives))
      .bind(14, info.shard_index)
      .bind(15, info.shard_count)
      .bind(16, info.space_size)
      .bind(17, info.model_fingerprint);
  s.run();
  return db_.last_insert_rowid();
}

std::optional<std::int64_t> Store::find_resumable_run(const std::string& name) {
  Statement s(db_, name.empty()
                       ? "SELECT max(id) FROM runs WHERE status != 'complete'"
                       : "SELECT max(id) FROM runs WHERE status != 'complete' AND name = ?1");
  if (!name.empty()) s.bind(1, name);
  if (!s.step() || s.is_null(0)) return std::nullopt;
  return s.column_int(0);
}

ResumeState Store::resume_run(std::int64_t run_id, const RunInfo& info) {
  const StoredRun stored = run(run_id);
  const RunInfo& old = stored.info;
  const std::string where = fmt::format("cannot resume run {} ('{}'): ", run_id, old.name);
  const std::string file = path().string();
  // First: a run priced by another cost model is never continued (its designs would not be
  // comparable with the new ones), whatever else agrees. Documentation changes do not count: the
  // fingerprint covers only the model's sources and data (dse/provenance.hpp).
  if (old.model_fingerprint != info.model_fingerprint) {
    throw InputError(
        file, 0, "model_fingerprint",
        where + fmt::format("the cost model changed since the run began (model fingerprint: "
                            "stored {}, this build {}); start a new run without --resume, or "
                            "resume with the build that began it",
                            old.model_fingerprint.empty() ? "(none)" : old.model_fingerprint,
                            info.model_fingerprint.empty() ? "(none)" : info.model_fingerprint));
  }
  if (old.space_hash != info.space_hash) {
    throw InputError(file, 0, "space",
                     where + fmt::format("the design space differs (stored {}, now {})",
                                         short_hash(old.space_hash), short_hash(info.space_hash)));
  }
  if (old.suite_hash != info.suite_hash) {
    throw InputError(file, 0, "suite",
                     where + fmt::format("the suite differs, or what prices it (statistics, "
                                         "baseline, calibration, --onchip-only, --latency, tool "
                                         "version) (stored {}, now {})",
                                         short_hash(old.suite_hash), short_hash(info.suite_hash)));
  }
  if (old.strategy != info.strategy) {
    throw InputError(file, 0, "strategy",
                     where + fmt::format("the strategy differs (stored '{}', now '{}')",
                                         old.strategy, info.strategy));
  }
  if (old.seed != info.seed) {
    throw InputError(
        file, 0, "seed",
        where + fmt::format("the seed differs (stored {}, now {})", old.seed, info.seed));
  }
  if (old.shard_index != info.shard_index || old.shard_count != info.shard_count) {
    throw InputError(
        file, 0, "shard",
        where + fmt::format("the shard differs (stored {}/{}, now {}/{})", old.shard_index,
                            old.shard_count, info.shard_index, info.shard_count));
  }
  Statement s(db_,
              "UPDATE runs SET status = 'running', finished_at = NULL, command_line = ?2 "
              "WHERE id = ?1");
  s.bind(1, run_id).bind(2, info.command_line.empty() ? old.command_line : info.command_line);
  s.run();
  ResumeState state;
  state.run_id = run_id;
  state.resumed = true;
  state.done_indices = stored_indices(run_id);
  return state;
}

ResumeState Store::begin_or_resume(const RunInfo& info, bool resume) {
  if (resume) {
    if (auto id = find_resumable_run(info.name)) return resume_run(*id, info);
    // Nothing unfinished: refuse to redo a run that already completed, else start afresh.
    Statement s(db_, info.name.empty() ? "SELECT max(id) FROM runs"
                                       : "SELECT max(id) FROM runs WHERE name = ?1");
    if (!info.name.empty()) s.bind(1, info.name);
    if (s.step() && !s.is_null(0)) {
      const StoredRun last = run(s.column_int(0));
      if (last.status == RunStatus::kComplete && last.info.space_hash == info.space_hash &&
          last.info.suite_hash == info.suite_hash) {
        throw InputError(path().string(), 0, "",
                         fmt::format("nothing to resume: run {} ('{}') is already complete",
                                     last.id, last.info.name));
      }
    }
  }
  ResumeState state;
  state.run_id = begin_run(info);
  return state;
}

void Store::finish_run(std::int64_t run_id, RunStatus status) {
  Statement s(db_,
              "UPDATE runs SET status = ?2, finished_at = CASE WHEN ?2 = 'running' THEN NULL "
              "ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE id = ?1");
  s.bind(1, run_id).bind(2, to_string(status));
  s.run();
  if (db_.changes() == 0) throw RuntimeError(fmt::format("finish_run: no run {}", run_id));
}

StoredRun Store::run(std::int64_t run_id) {
  Statement s(db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1");
  s.bind(1, run_id);
  if (!s.step()) {
    throw InputError(path().string(), 0, "run", fmt::format("no run with id {}", run_id));
  }
  return read_run(s);
}

std::vector<StoredRun> Store::runs() {
  std::vector<StoredRun> out;
  Statement s(db_, std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id");
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::int64_t Store::latest_run_id() {
  const std::int64_t id = db_.scalar_int("SELECT max(id) FROM runs", -1);
  if (id < 0) throw InputError(path().string(), 0, "run", "the database holds no runs");
  return id;
}

std::int64_t Store::resolve_run(std::optional<std::int64_t> run_id) {
  if (!run_id) return latest_run_id();
  return run(*run_id).id;
}

void Store::insert_designs(std::int64_t run_id, const std::vector<DesignRecord>& records) {
  Transaction tx(db_);
  DesignInserter inserter(db_);
  for (const DesignRecord& r : records) inserter.insert(run_id, r);
  tx.commit();
}

void Store::write_details(std::int64_t run_id, std::int64_t design_index,
                          const std::vector<TaskMetricsRecord>& tasks,
                          const std::vector<BreakdownRecord>& breakdown) {
  write_details(run_id, {DesignDetails{design_index, tasks, breakdown}});
}

void Store::write_details(std::int64_t run_id, const std::vector<DesignDetails>& designs) {
  Transaction tx(db_);
  Statement find(db_, "SELECT design_id FROM designs WHERE run_id = ?1 AND design_index = ?2");
  Statement del_tasks(db_, "DELETE FROM task_metrics WHERE design_id = ?1");
  Statement del_breakdown(db_, "DELETE FROM breakdown WHERE design_id = ?1");
  DesignInserter inserter(db_);
  for (const DesignDetails& d : designs) {
    find.reset();
    find.bind(1, run_id).bind(2, d.design_index);
    if (!find.step()) {
      throw InputError(path().string(), 0, "design",
                       fmt::format("run {} has no design with index {}", run_id, d.design_index));
    }
    const std::int64_t design_id = find.column_int(0);
    del_tasks.reset();
    del_tasks.bind(1, design_id).run();
    del_breakdown.reset();
    del_breakdown.bind(1, design_id).run();
    inserter.write_details(design_id, d.tasks, d.breakdown);
  }
  tx.commit();
}

std::vector<std::int64_t> Store::stored_indices(std::int64_t run_id) {
  std::vector<std::int64_t> out;
  Statement s(db_, "SELECT design_index FROM designs WHERE run_id = ?1 ORDER BY design_index");
  s.bind(1, run_id);
  while (s.step()) out.push_back(s.column_int(0));
  return out;
}

std::int64_t Store::design_count(std::int64_t run_id) {
  Statement s(db_, "SELECT count(*) FROM designs WHERE run_id = ?1");
  s.bind(1, run_id);
  s.step();
  return s.column_int(0);
}

std::unordered_map<std::string, StoredEvaluation> Store::stored_evaluations(std::int64_t run_id) {
  std::unordered_map<std::string, StoredEvaluation> out;
  Statement s(db_,
              "SELECT d.design_hash, d.design_index, m.latency_s, m.energy_j, m.energy_onchip_j, "
              "m.energy_dram_j, m.area_mm2, m.power_w, m.edp_js, m.speedup_geomean, "
              "m.energy_reduction_geomean, m.feasible, m.bottleneck, m.objectives, "
              "m.latency_p50_s, m.latency_p95_s, m.latency_p99_s, m.energy_p50_j, m.energy_p99_j, "
              "coalesce(m.infeasible_reason, ''), m.vdd "
              "FROM designs d JOIN metrics m ON m.design_id = d.design_id WHERE d.run_id = ?1");
  s.bind(1, run_id);
  auto real = [&](int col) { return s.is_null(col) ? std::nan("") : s.column_double(col); };
  while (s.step()) {
    StoredEvaluation e;
    e.design_index = s.column_int(1);
    e.metrics.latency_s = real(2);
    e.metrics.energy_j = real(3);
    e.metrics.energy_onchip_j = real(4);
    e.metrics.energy_dram_j = real(5);
    e.metrics.area_mm2 = real(6);
    e.metrics.power_w = real(7);
    e.metrics.edp_js = real(8);
    e.metrics.speedup_geomean = real(9);
    e.metrics.energy_reduction_geomean = real(10);
    e.metrics.feasible = s.column_int(11) != 0;
    e.metrics.bottleneck = s.column_text(12);
    e.objectives = parse_doubles_json(s.column_text(13));
    e.metrics.latency_p50_s = real(14);
    e.metrics.latency_p95_s = real(15);
    e.metrics.latency_p99_s = real(16);
    e.metrics.energy_p50_j = real(17);
    e.metrics.energy_p99_j = real(18);
    e.metrics.infeasible_reason = s.column_text(19);
    e.metrics.vdd = real(20);
    out.emplace(s.column_text(0), std::move(e));
  }
  return out;
}

void Store::set_pareto(std::int64_t run_id, const std::vector<std::int64_t>& design_indices) {
  Transaction tx(db_);
  Statement del(db_, "DELETE FROM pareto WHERE run_id = ?1");
  del.bind(1, run_id).run();
  Statement ins(db_,
                "INSERT OR IGNORE INTO pareto (run_id, design_id) SELECT run_id, design_id "
                "FROM designs WHERE run_id = ?1 AND design_index = ?2");
  for (std::int64_t index : design_indices) {
    ins.reset();
    ins.bind(1, run_id).bind(2, index).run();
    Statement check(db_, "SELECT 1 FROM designs WHERE run_id = ?1 AND design_index = ?2");
    if (!check.bind(1, run_id).bind(2, index).step()) {
      throw RuntimeError(
          fmt::format("set_pareto: run {} has no stored design with index {}", run_id, index));
    }
  }
  tx.commit();
}

std::int64_t Store::recompute_pareto(std::int64_t run_id) {
  const std::size_t n_objectives = run(run_id).info.objectives.size();
  std::vector<std::int64_t> ids;
  std::vector<std::vector<double>> points;
  Statement s(db_,
              "SELECT d.design_id, m.objectives FROM designs d JOIN metrics m "
              "ON m.design_id = d.design_id WHERE d.run_id = ?1 AND m.feasible = 1 "
              "ORDER BY d.design_index");
  s.bind(1, run_id);
  while (s.step()) {
    std::vector<double> objectives = parse_doubles_json(s.column_text(1));
    if (objectives.empty() || (n_objectives > 0 && objectives.size() != n_objectives)) continue;
    if (std::any_of(objectives.begin(), objectives.end(), [](double v) { return std::isnan(v); })) {
      continue;
    }
    ids.push_back(s.column_int(0));
    points.push_back(std::move(objectives));
  }
  const std::vector<std::size_t> front = pareto_front(points);
  Transaction tx(db_);
  Statement del(db_, "DELETE FROM pareto WHERE run_id = ?1");
  del.bind(1, run_id).run();
  Statement ins(db_, "INSERT INTO pareto (run_id, design_id) VALUES (?1, ?2)");
  for (std::size_t i : front) {
    ins.reset();
    ins.bind(1, run_id).bind(2, ids[i]).run();
  }
  tx.commit();
  return static_cast<std::int64_t>(front.size());
}

std::string strings_json(const std::vector<std::string>& values) {
  return nlohmann::json(values).dump();
}

std::vector<std::string> parse_strings_json(const std::string& text) {
  std::vector<std::string> out;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) return out;
  for (const auto& v : json) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

std::string make_uuid() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<std::uint64_t>(device()) << 32) ^ device());
  const std::uint64_t hi = (rng() & ~0xF000ULL) | 0x4000ULL;                         // version 4
  const std::uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace leopard::results
