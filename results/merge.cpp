// Shard merge: validation, copy through ATTACH, Pareto recomputation, atomic rename.
#include "results/merge.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "results/sqlite.hpp"
#include "results/store.hpp"
#include "workloads/core/error.hpp"

namespace leopard::results {

namespace {

namespace fs = std::filesystem;

std::string fingerprint_text(const std::string& f) { return f.empty() ? "(none)" : f; }

struct Input {
  fs::path path;
  StoredRun run;
};

// The latest run of each input, validated to be shards of one run.
std::vector<Input> load_inputs(const std::vector<fs::path>& paths) {
  std::vector<Input> inputs;
  for (const fs::path& p : paths) {
    Store store = Store::open(p, Store::Access::kRead);
    const std::int64_t id = store.latest_run_id();
    inputs.push_back({p, store.run(id)});
  }
  const Input& first = inputs.front();
  const RunInfo& a = first.run.info;
  for (const Input& in : inputs) {
    const RunInfo& b = in.run.info;
    auto differ = [&](const std::string& what, const std::string& x, const std::string& y) {
      return InputError(in.path.string(), 0, what,
                        fmt::format("not a shard of the same run as {}: {} differs ('{}' vs "
                                    "'{}')",
                                    first.path.string(), what, y, x));
    };
    if (a.uuid != b.uuid) {
      // Shards started separately (one Slurm task each) have their own uuids: the space, suite,
      // strategy and seed must then agree.
      if (a.space_hash != b.space_hash) throw differ("space_hash", a.space_hash, b.space_hash);
      if (a.suite_hash != b.suite_hash) throw differ("suite_hash", a.suite_hash, b.suite_hash);
      if (a.strategy != b.strategy) throw differ("strategy", a.strategy, b.strategy);
      if (a.seed != b.seed) throw differ("seed", std::to_string(a.seed), std::to_string(b.seed));
      if (a.axes != b.axes) throw differ("axes", strings_json(a.axes), strings_json(b.axes));
      if (a.objectives != b.objectives) {
        throw differ("objectives", strings_json(a.objectives), strings_json(b.objectives));
      }
    }
    if (a.model_fingerprint != b.model_fingerprint) {
      // Designs priced by different cost models are not comparable, whatever else agrees.
      throw InputError(in.path.string(), 0, "model_fingerprint",
                       fmt::format("priced by a different cost model than {} (model fingerprint "
                                   "{} vs {}): rerun the shards with one build",
                                   first.path.string(), fingerprint_text(b.model_fingerprint),
                                   fingerprint_text(a.model_fingerprint)));
    }
    if (a.shard_count != b.shard_count) {
      throw differ("shard_count", std::to_string(a.shard_count), std::to_string(b.shard_count));
    }
    if (in.run.status != RunStatus::kComplete) {
      throw InputError(
          in.path.string(), 0, "status",
          fmt::format("shard {}/{} (run {}) is '{}', not complete: resume it before "
                      "merging",
                      b.shard_index, b.shard_count, in.run.id, to_string(in.run.status)));
    }
  }
  const std::int64_t n = a.shard_count;
  std::vector<std::string> seen(static_cast<std::size_t>(n));
  for (const Input& in : inputs) {
    const std::int64_t i = in.run.info.shard_index;
    if (i < 0 || i >= n) {
      throw InputError(in.path.string(), 0, "shard_index",
                       fmt::format("shard index {} is outside 0..{}", i, n - 1));
    }
    auto& slot = seen[static_cast<std::size_t>(i)];
    if (!slot.empty()) {
      throw InputError(in.path.string(), 0, "shard_index",
                       fmt::format("shard {}/{} is given twice (also {})", i, n, slot));
    }
    slot = in.path.string();
  }
  std::vector<std::string> missing;
  for (std::int64_t i = 0; i < n; ++i) {
    if (seen[static_cast<std::size_t>(i)].empty()) missing.push_back(std::to_string(i));
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw InputError("", 0, "merge",
                     fmt::format("incomplete set of shards: {} of {} given, missing shard(s) {}",
                                 inputs.size(), n, list));
  }
  std::sort(inputs.begin(), inputs.end(), [](const Input& x, const Input& y) {
    return x.run.info.shard_index < y.run.info.shard_index;
  });
  return inputs;
}

// Runs `body` with the input attached as "src" (ATTACH cannot run inside a transaction).
template <class Body>
void with_attached(Db& db, const Input& in, Body body) {
  Statement attach(db, "ATTACH DATABASE ?1 AS src");
  attach.bind(1, in.path.string()).run();
  try {
    Transaction tx(db);
    body();
    tx.commit();
  } catch (...) {
    db.exec("DETACH DATABASE src");
    throw;
  }
  db.exec("DETACH DATABASE src");
}

// Designs of all shards, inserted in design_index order so that design ids follow the index as in
// an unsharded grid run.
void copy_designs(Db& db, const std::vector<Input>& inputs, std::int64_t run_id) {
  db.exec(
      "CREATE TEMP TABLE staging (design_index INTEGER NOT NULL, design_hash TEXT NOT NULL, "
      "params TEXT NOT NULL)");
  for (const Input& in : inputs) {
    with_attached(db, in, [&] {
      Statement s(db,
                  "INSERT INTO temp.staging SELECT design_index, design_hash, params "
                  "FROM src.designs WHERE run_id = ?1");
      s.bind(1, in.run.id).run();
    });
  }
  Transaction tx(db);
  Statement s(db,
              "INSERT OR IGNORE INTO main.designs (run_id, design_index, design_hash, params) "
              "SELECT ?1, design_index, design_hash, params FROM temp.staging "
              "ORDER BY design_index");
  s.bind(1, run_id).run();
  tx.commit();
  db.exec("DROP TABLE temp.staging");
}

// Metrics, per-task metrics and breakdowns of one shard, matched to the output designs by index.
void copy_details(Db& db, const Input& in, std::int64_t run_id) {
  with_attached(db, in, [&] {
    auto run = [&](const std::string& sql) {
      Statement s(db, sql);
      s.bind(1, run_id).bind(2, in.run.id).run();
    };
    constexpr const char* kJoin =
        " FROM src.designs sd JOIN main.designs d ON d.run_id = ?1 AND "
        "d.design_index = sd.design_index";
    run(fmt::format(
        "INSERT OR IGNORE INTO main.metrics (design_id, latency_s, energy_j, energy_onchip_j, "
        "energy_dram_j, area_mm2, power_w, edp_js, speedup_geomean, energy_reduction_geomean, "
        "feasible, bottleneck, objectives, latency_p50_s, latency_p95_s, latency_p99_s, "
        "energy_p50_j, energy_p99_j, infeasible_reason, vdd) SELECT d.design_id, sm.latency_s, "
        "sm.energy_j, "
        "sm.energy_onchip_j, sm.energy_dram_j, sm.area_mm2, sm.power_w, sm.edp_js, "
        "sm.speedup_geomean, sm.energy_reduction_geomean, sm.feasible, sm.bottleneck, "
        "sm.objectives, sm.latency_p50_s, sm.latency_p95_s, sm.latency_p99_s, sm.energy_p50_j, "
        "sm.energy_p99_j, sm.infeasible_reason, sm.vdd{} JOIN src.metrics sm ON sm.design_id = "
        "sd.design_id "
        "WHERE sd.run_id = ?2",
        kJoin));
    run(fmt::format(
        "INSERT OR IGNORE INTO main.task_metrics (design_id, model, task, cycles, latency_s, "
        "energy_j, energy_onchip_j, energy_dram_j, speedup, energy_reduction, bottleneck, "
        "qk_utilization, vpu_utilization, dram_utilization, samples, latency_p50_s, "
        "latency_p95_s, latency_p99_s, energy_p50_j, energy_p99_j, s_per_token, tokens_per_s, "
        "j_per_token, dram_bytes_per_token, dram_k_bytes_per_token, dram_v_bytes_per_token, "
        "s_per_token_p50, s_per_token_p99, j_per_token_p99) SELECT d.design_id, st.model, "
        "st.task, st.cycles, st.latency_s, st.energy_j, st.energy_onchip_j, st.energy_dram_j, "
        "st.speedup, st.energy_reduction, st.bottleneck, st.qk_utilization, st.vpu_utilization, "
        "st.dram_utilization, st.samples, st.latency_p50_s, st.latency_p95_s, st.latency_p99_s, "
        "st.energy_p50_j, st.energy_p99_j, st.s_per_token, st.tokens_per_s, st.j_per_token, "
        "st.dram_bytes_per_token, st.dram_k_bytes_per_token, st.dram_v_bytes_per_token, "
        "st.s_per_token_p50, st.s_per_token_p99, st.j_per_token_p99{} JOIN src.task_metrics st "
        "ON st.design_id = sd.design_id WHERE sd.run_id = ?2",
        kJoin));
    run(fmt::format(
        "INSERT OR IGNORE INTO main.breakdown SELECT d.design_id, sb.component, sb.energy_j{} "
        "JOIN src.breakdown sb ON sb.design_id = sd.design_id WHERE sd.run_id = ?2",
        kJoin));
  });
}

void remove_db_files(const fs::path& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(path.string() + suffix, ec);
  }
}

}  // namespace

MergeReport merge_shards(const std::vector<fs::path>& paths, const fs::path& output,
                         const MergeOptions& options) {
  if (paths.empty()) throw InputError("", 0, "merge", "no input databases given");
  std::error_code ec;
  for (const fs::path& p : paths) {
    if (fs::exists(output, ec) && fs::equivalent(p, output, ec)) {
      throw InputError(output.string(), 0, "-o", "the output is also an input");
    }
  }
  if (fs::exists(output, ec) && !options.overwrite) {
    throw InputError(output.string(), 0, "-o", "already exists (use --force to replace it)");
  }
  const std::vector<Input> inputs = load_inputs(paths);

  if (output.has_parent_path()) fs::create_directories(output.parent_path(), ec);
  const fs::path tmp = output.string() + fmt::format(".merge-tmp-{}", ::getpid());
  remove_db_files(tmp);
  MergeReport report;
  try {
    {
      Store store = Store::open(tmp, Store::Access::kWrite);
      RunInfo info = inputs.front().run.info;
      const bool same_uuid = std::all_of(inputs.begin(), inputs.end(), [&](const Input& in) {
        return in.run.info.uuid == info.uuid;
      });
      if (!same_uuid) info.uuid.clear();  // a new one
      info.shard_index = 0;
      info.shard_count = 1;
      if (!options.command_line.empty()) info.command_line = options.command_line;
      report.run_id = store.begin_run(info);
      copy_designs(store.db(), inputs, report.run_id);
      for (const Input& in : inputs) copy_details(store.db(), in, report.run_id);
      report.shards = static_cast<std::int64_t>(inputs.size());
      report.designs = store.design_count(report.run_id);
      report.pareto = store.recompute_pareto(report.run_id);
      store.finish_run(report.run_id, RunStatus::kComplete);
      store.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    if (options.overwrite) remove_db_files(output);
    fs::rename(tmp, output);
    remove_db_files(tmp);  // leftovers of the WAL, if any
  } catch (...) {
    remove_db_files(tmp);
    throw;
  }
  return report;
}

}  // namespace leopard::results
