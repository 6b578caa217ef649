// The results store: opens (and creates or migrates) a leopard-dse database, records runs and their
// provenance, inserts designs, supports resume, and sets the Pareto set of a run.
//
// Typical use by the sweep (see also writer.hpp):
//   Store store = Store::open(db_path, Store::Access::kWrite);
//   ResumeState state = store.begin_or_resume(info, resume);   // run id + indices already done
//   StoreWriter writer(store, state.run_id);                    // evaluation threads: push()
//   ... writer.push(record) ...
//   writer.close();                                             // commits everything
//   store.set_pareto(state.run_id, pareto_design_indices);      // or store.recompute_pareto(id)
//   store.finish_run(state.run_id, RunStatus::kComplete);       // kInterrupted on SIGINT/SIGTERM
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "results/json_text.hpp"
#include "results/records.hpp"
#include "results/sqlite.hpp"

namespace leopard::results {

enum class RunStatus { kRunning, kInterrupted, kComplete, kFailed };
std::string to_string(RunStatus status);
RunStatus parse_run_status(const std::string& text);

// The default database path (relative to the working directory).
inline constexpr const char* kDefaultDbPath = "results/db/leopard.db";

// A run as stored (RunInfo plus what the store adds).
struct StoredRun {
  std::int64_t id = 0;
  RunInfo info;
  std::string started_at;
  std::string finished_at;
  RunStatus status = RunStatus::kRunning;
};

// A stored evaluation, for nsga2 resume (replay the algorithm, reuse what was computed).
struct StoredEvaluation {
  std::int64_t design_index = 0;
  SuiteMetrics metrics;
  std::vector<double> objectives;  // NaN where the stored value was not finite
};

// What begin_or_resume() hands back to the sweep.
struct ResumeState {
  std::int64_t run_id = 0;
  bool resumed = false;
  std::vector<std::int64_t> done_indices;  // sorted, unique: design indices already stored
  bool done(std::int64_t design_index) const;
};

class Store {
 public:
  enum class Access {
    kRead,   // the file must exist and be ours (an older schema is migrated in place)
    kWrite,  // created (with its parent folder) when missing
  };

  // Opens `path`. Throws InputError for a missing file (kRead), a file that is not a leopard-dse
  // database, or a newer schema version. Sets WAL, synchronous=NORMAL and foreign keys.
  static Store open(const std::filesystem::path& path, Access access);

  Db& db() { return db_; }
  const std::filesystem::path& path() const { return db_.path(); }
  int schema_version();

  // --- runs ---
  // Inserts a run with status running; an empty uuid is generated. Returns its id.
  std::int64_t begin_run(const RunInfo& info);
  // The run to resume: by name when `name` is not empty, else the latest run not complete.
  std::optional<std::int64_t> find_resumable_run(const std::string& name);
  // Checks that `info` describes the same run as `run_id` (space, suite, strategy, seed, shard),
  // throwing InputError naming the first difference; marks it running and returns what is done.
  ResumeState resume_run(std::int64_t run_id, const RunInfo& info);
  // resume == false: begin_run. resume == true: find_resumable_run(info.name) then resume_run;
  // when nothing is unfinished: InputError if the latest run of that name (or the latest run) is
  // complete with the same space and suite, else a new run (resumed == false).
  ResumeState begin_or_resume(const RunInfo& info, bool resume);
  void finish_run(std::int64_t run_id, RunStatus status);
  StoredRun run(std::int64_t run_id);  // throws InputError for an unknown id
  std::vector<StoredRun> runs();
  // The latest run (highest id); throws InputError when the database has none.
  std::int64_t latest_run_id();
  // `run_id` if given (checked), else the latest run.
  std::int64_t resolve_run(std::optional<std::int64_t> run_id);

  // --- designs ---
  // Inserts designs in one transaction (the writer uses its own batching; this is for small writes
  // and tests). A design_index already stored for the run is skipped (no duplicates).
  void insert_designs(std::int64_t run_id, const std::vector<DesignRecord>& records);
  // Adds or replaces the per-task metrics and breakdown of a stored design (e.g. for Pareto designs
  // only, after the sweep). Throws InputError when the design is not stored.
  void write_details(std::int64_t run_id, std::int64_t design_index,
                     const std::vector<TaskMetricsRecord>& tasks,
                     const std::vector<BreakdownRecord>& breakdown);
  // The same for many designs in one transaction with the statements prepared once (a sweep's
  // Pareto designs). Nothing is written if any design is missing.
  struct DesignDetails {
    std::int64_t design_index = 0;
    std::vector<TaskMetricsRecord> tasks;
    std::vector<BreakdownRecord> breakdown;
  };
  void write_details(std::int64_t run_id, const std::vector<DesignDetails>& designs);
  std::vector<std::int64_t> stored_indices(std::int64_t run_id);
  std::int64_t design_count(std::int64_t run_id);
  // design_hash -> stored evaluation, for every design of the run.
  std::unordered_map<std::string, StoredEvaluation> stored_evaluations(std::int64_t run_id);

  // --- Pareto ---
  // Replaces the run's Pareto set with the designs at these indices (each must be stored).
  void set_pareto(std::int64_t run_id, const std::vector<std::int64_t>& design_indices);
  // Recomputes the run's Pareto set from stored objectives: feasible designs without NaN
  // objectives, exact non-dominance (minimised); of designs with equal objective vectors only the
  // smallest design_index is kept (as dse::ParetoArchive does). Returns its size.
  std::int64_t recompute_pareto(std::int64_t run_id);

 private:
  explicit Store(Db db) : db_(std::move(db)) {}
  Db db_;
};

std::string strings_json(const std::vector<std::string>& values);
std::vector<std::string> parse_strings_json(const std::string& text);
// A random RFC 4122 version 4 uuid.
std::string make_uuid();

}  // namespace leopard::results
