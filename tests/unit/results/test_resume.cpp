// Resume: a child process writing a run is killed with SIGKILL at several points; the database
// stays valid and resuming finishes the run with no duplicate and no gap. Mismatches are refused.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "results/store.hpp"
#include "results/writer.hpp"
#include "tests/unit/results/fixtures.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::results;
using namespace leopard::results::testing;

namespace {

constexpr std::int64_t kDesigns = 2400;

// The body of the child: resume (or begin) the run and write every design not yet stored, slowly
// enough that the parent can kill it part-way.
[[noreturn]] void child_sweep(const std::filesystem::path& path, bool slow) {
  int code = 0;
  try {
    Store store = Store::open(path, Store::Access::kWrite);
    const ResumeState state = store.begin_or_resume(make_run_info(), true);
    WriterOptions options;
    options.batch_size = 25;
    options.max_delay = std::chrono::milliseconds(5);
    StoreWriter writer(store, state.run_id, options);
    for (std::int64_t i = 0; i < kDesigns; ++i) {
      if (state.done(i)) continue;
      writer.push(make_record(i));
      if (slow && i % 10 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    writer.close();
    store.finish_run(state.run_id, RunStatus::kComplete);
  } catch (...) {
    code = 3;
  }
  ::_exit(code);
}

std::int64_t count_designs(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return 0;
  try {
    Db reader(path, Db::Mode::kReadOnly);
    return reader.scalar_int("SELECT count(*) FROM designs");
  } catch (const std::exception&) {
    return 0;  // not created yet
  }
}

// Runs the child; kills it once `kill_at` designs are committed (or lets it finish: kill_at < 0).
// Returns true when the child was killed before finishing.
bool run_child(const std::filesystem::path& path, std::int64_t kill_at) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) child_sweep(path, kill_at >= 0);
  int status = 0;
  bool killed = false;
  if (kill_at >= 0) {
    for (int attempt = 0; attempt < 20000; ++attempt) {
      if (::waitpid(pid, &status, WNOHANG) == pid) return false;  // finished first
      if (count_designs(path) >= kill_at) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::kill(pid, SIGKILL);
    killed = true;
  }
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (!killed) {
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  return killed && WIFSIGNALED(status);
}

void check_consistent(const std::filesystem::path& path) {
  Store store = Store::open(path, Store::Access::kRead);
  Statement check(store.db(), "PRAGMA integrity_check");
  REQUIRE(check.step());
  CHECK(check.column_text(0) == "ok");
  CHECK(store.db().scalar_int("SELECT count(*) FROM runs") == 1);
  const std::int64_t run = store.latest_run_id();
  const auto indices = store.stored_indices(run);
  // One writer committing in push order: the stored designs are exactly a prefix 0..k-1.
  for (std::size_t i = 0; i < indices.size(); ++i) {
    REQUIRE(indices[i] == static_cast<std::int64_t>(i));
  }
  // Whole designs only: every design has its metrics, tasks and breakdown.
  CHECK(store.db().scalar_int("SELECT count(*) FROM metrics") ==
        static_cast<std::int64_t>(indices.size()));
  CHECK(store.db().scalar_int("SELECT count(*) FROM task_metrics") ==
        2 * static_cast<std::int64_t>(indices.size()));
  CHECK(store.db().scalar_int("SELECT count(*) FROM breakdown") ==
        2 * static_cast<std::int64_t>(indices.size()));
}

}  // namespace

TEST_CASE("SIGKILL at several points, then resume: valid, no duplicate, no gap",
          "[results][resume]") {
  TempDir dir;
  const auto path = dir / "killed.db";
  std::int64_t kills = 0;
  std::int64_t previous = 0;
  for (std::int64_t kill_at : {50, 600, 1500}) {
    INFO("kill at " << kill_at);
    if (run_child(path, kill_at)) ++kills;
    check_consistent(path);
    const std::int64_t now = count_designs(path);
    CHECK(now >= previous);
    previous = now;
    Store store = Store::open(path, Store::Access::kRead);
    const StoredRun run = store.run(store.latest_run_id());
    if (now < kDesigns) CHECK(run.status == RunStatus::kRunning);  // killed: never marked
  }
  CHECK(kills >= 2);  // the child was really killed part-way (at least twice out of three)
  // Resume to the end.
  run_child(path, -1);
  check_consistent(path);
  Store killed = Store::open(path, Store::Access::kRead);
  const std::int64_t run = killed.latest_run_id();
  CHECK(killed.design_count(run) == kDesigns);
  CHECK(killed.run(run).status == RunStatus::kComplete);

  // The same as an uninterrupted run (apart from ids and timestamps).
  const auto clean_path = dir / "clean.db";
  run_child(clean_path, -1);
  Store clean = Store::open(clean_path, Store::Access::kRead);
  const std::string designs =
      "SELECT d.design_index, d.design_hash, d.params, m.latency_s, m.energy_j, "
      "m.energy_onchip_j, m.energy_dram_j, m.area_mm2, m.power_w, m.edp_js, m.speedup_geomean, "
      "m.energy_reduction_geomean, m.feasible, m.bottleneck, m.objectives FROM designs d JOIN "
      "metrics m ON m.design_id = d.design_id ORDER BY d.design_index";
  CHECK(dump_rows(killed.db(), designs) == dump_rows(clean.db(), designs));
  const std::string tasks =
      "SELECT d.design_index, t.model, t.task, t.cycles, t.latency_s, t.energy_j, t.bottleneck "
      "FROM task_metrics t JOIN designs d ON d.design_id = t.design_id ORDER BY 1, 2, 3";
  CHECK(dump_rows(killed.db(), tasks) == dump_rows(clean.db(), tasks));
  CHECK(killed.recompute_pareto(run) == clean.recompute_pareto(clean.latest_run_id()));
  const std::string pareto =
      "SELECT d.design_index FROM pareto p JOIN designs d ON d.design_id = p.design_id "
      "ORDER BY 1";
  CHECK(dump_rows(killed.db(), pareto) == dump_rows(clean.db(), pareto));
}

TEST_CASE("resume finds the run and refuses a different space, suite, strategy, seed or shard",
          "[results][resume]") {
  TempDir dir;
  Store store = Store::open(dir / "r.db", Store::Access::kWrite);
  const RunInfo info = make_run_info();
  const std::int64_t id = store.begin_run(info);
  store.insert_designs(id, {make_record(0), make_record(2), make_record(1)});
  store.finish_run(id, RunStatus::kInterrupted);

  CHECK(store.find_resumable_run("synthetic") == id);
  CHECK(store.find_resumable_run("") == id);
  CHECK_FALSE(store.find_resumable_run("other").has_value());

  auto refused = [&](RunInfo changed, const char* what) {
    try {
      store.begin_or_resume(changed, true);
      FAIL("resumed with a different " << what);
    } catch (const leopard::InputError& e) {
      CHECK_THAT(e.what(), Catch::Contains(what));
      CHECK_THAT(e.what(), Catch::Contains("cannot resume run"));
    }
  };
  RunInfo other = info;
  other.space_hash = "0123456789abcdef";
  refused(other, "design space differs");
  other = info;
  other.suite_hash = "ffff";
  refused(other, "suite differs");
  other = info;
  other.strategy = "random";
  refused(other, "strategy differs");
  other = info;
  other.seed = 8;
  refused(other, "seed differs");
  other = info;
  other.shard_count = 2;
  refused(other, "shard differs");
  // Another cost model: refused, naming both fingerprints, even when everything else agrees.
  other = info;
  other.model_fingerprint = std::string(64, 'b');
  refused(other, "the cost model changed");
  refused(other, std::string(64, 'b').c_str());
  refused(other, info.model_fingerprint.c_str());
  // A run stored before fingerprints existed (schema 4) is not resumed by a fingerprinted build.
  store.db().exec("UPDATE runs SET model_fingerprint = ''");
  refused(info, "stored (none)");
  store.db().exec("UPDATE runs SET model_fingerprint = '" + info.model_fingerprint + "'");
  // Provenance that does not price designs (a git revision: a README commit) does not block.
  other = info;
  other.git_revision = "cafef00d";
  CHECK(store.begin_or_resume(other, true).resumed);
  store.finish_run(id, RunStatus::kInterrupted);
  CHECK(store.run(id).status == RunStatus::kInterrupted);  // untouched by the refusals

  const ResumeState state = store.begin_or_resume(info, true);
  CHECK(state.resumed);
  CHECK(state.run_id == id);
  CHECK(state.done_indices == std::vector<std::int64_t>{0, 1, 2});
  CHECK(state.done(2));
  CHECK_FALSE(state.done(3));
  CHECK(store.run(id).status == RunStatus::kRunning);
  store.finish_run(id, RunStatus::kComplete);
  CHECK_THROWS_WITH(store.begin_or_resume(info, true), Catch::Contains("already complete"));
  // A different name with nothing to resume starts a new run.
  RunInfo fresh = info;
  fresh.name = "second";
  const ResumeState second = store.begin_or_resume(fresh, true);
  CHECK_FALSE(second.resumed);
  CHECK(second.run_id != id);
  CHECK(second.done_indices.empty());
}
