// Shards (parsing, Slurm variables, coverage), the Pareto filter, and merging shards into a run
// equal to the unsharded one.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <random>
#include <set>

#include "results/merge.hpp"
#include "results/pareto.hpp"
#include "results/shard.hpp"
#include "results/store.hpp"
#include "tests/unit/results/fixtures.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::results;
using namespace leopard::results::testing;
using leopard::InputError;

namespace {

struct EnvGuard {
  ~EnvGuard() {
    ::unsetenv("SLURM_ARRAY_TASK_ID");
    ::unsetenv("SLURM_ARRAY_TASK_COUNT");
    ::unsetenv("SLURM_ARRAY_TASK_MIN");
  }
};

}  // namespace

TEST_CASE("shards parse and validate", "[results][shard]") {
  CHECK(parse_shard("0/1").count == 1);
  const Shard s = parse_shard("2/4");
  CHECK(s.index == 2);
  CHECK(s.count == 4);
  CHECK(s.to_string() == "2/4");
  for (const char* bad : {"4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", "", "1/ 2x"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_shard(bad), InputError);
  }
  CHECK_THROWS_WITH(parse_shard("5/4"), Catch::Contains("--shard"));
}

TEST_CASE("shards come from the Slurm array variables", "[results][shard]") {
  EnvGuard guard;
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  CHECK_FALSE(shard_from_env().has_value());
  CHECK(resolve_shard(std::nullopt).count == 1);
  ::setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  REQUIRE(shard_from_env().has_value());
  CHECK(shard_from_env()->index == 3);
  CHECK(resolve_shard(std::nullopt).to_string() == "3/4");
  CHECK(resolve_shard(std::string("1/2")).to_string() == "1/2");  // the flag wins
  ::setenv("SLURM_ARRAY_TASK_MIN", "1", 1);                       // --array=1-4
  CHECK(shard_from_env()->index == 2);
  ::setenv("SLURM_ARRAY_TASK_ID", "9", 1);
  CHECK_THROWS_AS(shard_from_env(), InputError);
  ::setenv("SLURM_ARRAY_TASK_ID", "x", 1);
  CHECK_THROWS_AS(shard_from_env(), InputError);
}

TEST_CASE("the union of N shards is the whole space with no overlap", "[results][shard]") {
  for (std::int64_t n : {1, 2, 3, 4, 7, 60, 61}) {
    for (std::int64_t size : {0, 1, 59, 60, 1000}) {
      std::vector<int> owners(static_cast<std::size_t>(size), 0);
      std::int64_t total = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const Shard shard{i, n};
        std::int64_t mine = 0;
        for (std::int64_t d = 0; d < size; ++d) {
          if (shard.contains(d)) {
            ++owners[static_cast<std::size_t>(d)];
            ++mine;
          }
        }
        CHECK(mine == shard.size_of(size));
        total += mine;
      }
      CHECK(total == size);
      CHECK(std::all_of(owners.begin(), owners.end(), [](int o) { return o == 1; }));
    }
  }
}

TEST_CASE("the Pareto filter equals a brute-force O(n^2) filter", "[results][pareto]") {
  std::mt19937 rng(12345);
  for (int dims : {1, 2, 3, 4}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::uniform_int_distribution<int> value(0, 6);  // few values: many ties and duplicates
      std::vector<std::vector<double>> points(static_cast<std::size_t>(20 + trial * 7));
      for (auto& p : points) {
        for (int k = 0; k < dims; ++k) p.push_back(value(rng));
      }
      std::vector<std::size_t> expected;
      for (std::size_t i = 0; i < points.size(); ++i) {
        // Dominated, or equal to a point with a smaller index (the tie rule).
        bool dominated = false;
        for (std::size_t j = 0; j < points.size(); ++j) {
          if (j < i && points[j] == points[i]) dominated = true;
          bool no_worse = true, better = false;
          for (int k = 0; k < dims; ++k) {
            no_worse = no_worse && points[j][static_cast<std::size_t>(k)] <=
                                       points[i][static_cast<std::size_t>(k)];
            better = better || points[j][static_cast<std::size_t>(k)] <
                                   points[i][static_cast<std::size_t>(k)];
          }
          dominated = dominated || (no_worse && better);
        }
        if (!dominated) expected.push_back(i);
      }
      CHECK(pareto_front(points) == expected);
    }
  }
  // A worked example: (1,3) (2,2) (3,1) are the front; (2,3) and (3,3) are dominated; of the two
  // (2,2) the first is kept; -inf and +inf are ordinary values.
  const std::vector<std::vector<double>> example = {{2, 3}, {1, 3}, {2, 2}, {3, 3}, {3, 1}, {2, 2}};
  CHECK(pareto_front(example) == std::vector<std::size_t>{1, 2, 4});
  const std::vector<std::vector<double>> infinite = {{INFINITY, 0}, {0, INFINITY}, {-INFINITY, 5}};
  CHECK(pareto_front(infinite) == std::vector<std::size_t>{0, 2});
}

TEST_CASE("merging 3 shards equals the unsharded run", "[results][merge]") {
  TempDir dir;
  write_synthetic_run(dir / "full.db", Shard{0, 1});
  std::vector<std::filesystem::path> shards;
  for (std::int64_t i : {2, 0, 1}) {  // any order
    shards.push_back(dir / ("shard" + std::to_string(i) + ".db"));
    write_synthetic_run(shards.back(), Shard{i, 3});
  }
  const MergeReport report = merge_shards(shards, dir / "merged.db", {false, "leopard-dse merge"});
  CHECK(report.shards == 3);
  CHECK(report.designs == 60);

  Store full = Store::open(dir / "full.db", Store::Access::kRead);
  Store merged = Store::open(dir / "merged.db", Store::Access::kRead);
  const std::int64_t run = merged.latest_run_id();
  const StoredRun m = merged.run(run);
  CHECK(m.status == RunStatus::kComplete);
  CHECK(m.info.shard_count == 1);
  CHECK(m.info.space_hash == make_run_info().space_hash);
  CHECK(m.info.command_line == "leopard-dse merge");
  CHECK(m.info.model_fingerprint == make_run_info().model_fingerprint);  // carried over
  // The decode and feasibility columns were copied, not left NULL.
  CHECK(merged.db().scalar_int("SELECT count(*) FROM task_metrics WHERE s_per_token > 0") == 60);
  CHECK(merged.db().scalar_int("SELECT count(*) FROM metrics WHERE vdd > 0") == 60);
  for (const char* sql :
       {"SELECT d.design_id, d.design_index, d.design_hash, d.params, m.latency_s, m.energy_j, "
        "m.energy_onchip_j, m.energy_dram_j, m.area_mm2, m.power_w, m.edp_js, "
        "m.speedup_geomean, m.energy_reduction_geomean, m.feasible, m.bottleneck, m.objectives, "
        "m.latency_p50_s, m.latency_p95_s, m.latency_p99_s, m.energy_p50_j, m.energy_p99_j, "
        "m.infeasible_reason, m.vdd FROM designs d JOIN metrics m ON m.design_id = d.design_id "
        "ORDER BY d.design_index",
        "SELECT d.design_index, t.model, t.task, t.cycles, t.latency_s, t.energy_j, "
        "t.energy_onchip_j, t.energy_dram_j, t.speedup, t.energy_reduction, t.bottleneck, "
        "t.qk_utilization, t.vpu_utilization, t.dram_utilization, t.samples, t.latency_p50_s, "
        "t.latency_p95_s, t.latency_p99_s, t.energy_p50_j, t.energy_p99_j, t.s_per_token, "
        "t.tokens_per_s, t.j_per_token, t.dram_bytes_per_token, t.dram_k_bytes_per_token, "
        "t.dram_v_bytes_per_token, t.s_per_token_p50, t.s_per_token_p99, t.j_per_token_p99 "
        "FROM task_metrics t JOIN "
        "designs d ON d.design_id = t.design_id ORDER BY 1, 2, 3",
        "SELECT d.design_index, b.component, b.energy_j FROM breakdown b JOIN designs d ON "
        "d.design_id = b.design_id ORDER BY 1, 2",
        "SELECT d.design_index FROM pareto p JOIN designs d ON d.design_id = p.design_id "
        "ORDER BY 1"}) {
    INFO(sql);
    const auto a = dump_rows(full.db(), sql);
    CHECK(!a.empty());
    CHECK(a == dump_rows(merged.db(), sql));
  }
  // The merged Pareto set was recomputed (the shards' own fronts are local, and larger overall).
  std::int64_t shard_front_total = 0;
  for (const auto& p : shards) {
    Store s = Store::open(p, Store::Access::kRead);
    shard_front_total += s.db().scalar_int("SELECT count(*) FROM pareto");
  }
  CHECK(shard_front_total > report.pareto);
  CHECK(report.pareto == static_cast<std::int64_t>(brute_force_pareto([] {
                                                     std::vector<DesignRecord> all;
                                                     for (std::int64_t i = 0; i < space_size();
                                                          ++i) {
                                                       all.push_back(make_record(i));
                                                     }
                                                     return all;
                                                   }())
                                                       .size()));
}

TEST_CASE("merge refuses shards that do not belong together, writing nothing", "[results][merge]") {
  TempDir dir;
  std::vector<std::filesystem::path> shards;
  for (std::int64_t i = 0; i < 3; ++i) {
    shards.push_back(dir / ("s" + std::to_string(i) + ".db"));
    write_synthetic_run(shards.back(), Shard{i, 3});
  }
  const auto out = dir / "out.db";
  auto refused = [&](const std::vector<std::filesystem::path>& inputs, const char* message) {
    try {
      merge_shards(inputs, out);
      FAIL("merged: " << message);
    } catch (const InputError& e) {
      CHECK_THAT(e.what(), Catch::Contains(message));
    }
    CHECK_FALSE(std::filesystem::exists(out));
  };
  refused({shards[0], shards[1]}, "missing shard(s) 2");
  refused({shards[0], shards[1], shards[1]}, "given twice");
  refused({}, "no input");
  {
    const auto odd = dir / "odd.db";
    Store store = Store::open(odd, Store::Access::kWrite);
    RunInfo info = make_run_info(2, 3);
    info.space_hash = "another-space";
    store.finish_run(store.begin_run(info), RunStatus::kComplete);
    refused({shards[0], shards[1], odd}, "space_hash differs");
  }
  {
    // Same space, suite, strategy and seed, but priced by another cost model: never merged.
    const auto other_model = dir / "other-model.db";
    Store store = Store::open(other_model, Store::Access::kWrite);
    RunInfo info = make_run_info(2, 3);
    info.model_fingerprint = std::string(64, 'a');
    store.finish_run(store.begin_run(info), RunStatus::kComplete);
    refused({shards[0], shards[1], other_model}, "priced by a different cost model");
    refused({shards[0], shards[1], other_model}, std::string(64, 'a').c_str());
    refused({shards[0], shards[1], other_model}, make_run_info().model_fingerprint.c_str());
  }
  {
    const auto four = dir / "four.db";
    write_synthetic_run(four, Shard{3, 4});
    refused({shards[0], shards[1], shards[2], four}, "shard_count differs");
  }
  {
    const auto partial = dir / "partial.db";
    write_synthetic_run(partial, Shard{2, 3});
    Store store = Store::open(partial, Store::Access::kWrite);
    store.finish_run(store.latest_run_id(), RunStatus::kInterrupted);
    refused({shards[0], shards[1], partial}, "resume it before merging");
  }
  refused({shards[0], shards[1], dir / "missing.db"}, "no such database");
  // An existing output is kept unless replaced on purpose.
  merge_shards(shards, out);
  const std::string before = read_bytes(out);
  CHECK_THROWS_WITH(merge_shards(shards, out), Catch::Contains("already exists"));
  CHECK(read_bytes(out) == before);
  const MergeReport again = merge_shards(shards, out, {true, ""});
  CHECK(again.designs == 60);
}
