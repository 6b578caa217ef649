// Issue 16: per-head statistics at full speed. Sweeps dse/spaces/paper.yaml (3,888 designs, every
// design fully priced, feasible or not) over the merged paper suite or the per-head suite of
// bench/perhead_suite.hpp with dse::run_sweep on one thread, and reports designs per second
// (median of --runs runs, each on a fresh SuiteEvaluator so that no run memo carries over).
// scripts/bench-perhead.sh runs every case, including the CLI sweep with --store pareto.
//
//   bench_perhead [--suite merged|perhead|perhead2|FILE.yaml] [--strategy grid|random] [--runs N]
//                 [--threads N] [--reference]
//   bench_perhead --write DIR      writes DIR/perhead_stats.csv and DIR/perhead.yaml, then exits
//
// perhead2 doubles every layer's heads (each with its own draw). The memo follows the environment
// (LEOPARD_HEAD_MEMO=0 turns it off). Before timing, the fast path is checked against the
// reference on 64 designs of the space (every SuiteCost field within 1e-9 relative).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/perhead_suite.hpp"
#include "dse/optimizer.hpp"
#include "dse/suite_design_evaluator.hpp"
#include "dse/sweep.hpp"
#include "models/head_kernel.hpp"
#include "models/suite_evaluator.hpp"

namespace leopard::bench {
namespace {

// CPU time of the whole process (all threads): on a loaded machine, designs per CPU second is
// the per-core rate that wall time understates.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double rel(double a, double b) {
  const double s = std::max(std::abs(a), std::abs(b));
  return s > 0 ? std::abs(a - b) / s : 0.0;
}

// The fast path against the reference on `n` designs spread over the space; aborts on a mismatch.
double check_equal(const workloads::Suite& suite, const Fixture& f, const dse::DesignSpace& space,
                   int n) {
  models::EvalOptions ref_opt;
  ref_opt.reference = true;
  const models::SuiteEvaluator fast(suite, f.baseline, f.cal, {});
  const models::SuiteEvaluator ref(suite, f.baseline, f.cal, ref_opt);
  double worst = 0;
  for (int j = 0; j < n; ++j) {
    models::ArchSpec s;
    space.build(space.size() * j / n, s);
    const models::SuiteCost a = fast.evaluate(s), b = ref.evaluate(s);
    for (const double e : {rel(a.latency_s, b.latency_s), rel(a.energy_j, b.energy_j),
                           rel(a.speedup_geomean, b.speedup_geomean),
                           rel(a.energy_reduction_geomean, b.energy_reduction_geomean)}) {
      worst = std::max(worst, e);
    }
    if (a.bottleneck != b.bottleneck) die("bottleneck differs between fast path and reference");
  }
  if (worst > 1e-9) die("fast path differs from the reference by more than 1e-9");
  return worst;
}

int run(int argc, char** argv) {
  std::string which = "perhead", strategy = "grid", write_dir;
  int runs = 5, threads = 1;
  bool reference = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&] {
      if (i + 1 >= argc) die("missing value after an option");
      return std::string(argv[++i]);
    };
    if (a == "--suite") {
      which = next();
    } else if (a == "--strategy") {
      strategy = next();
    } else if (a == "--runs") {
      runs = std::atoi(next().c_str());
    } else if (a == "--threads") {
      threads = std::atoi(next().c_str());
    } else if (a == "--reference") {
      reference = true;
    } else if (a == "--write") {
      write_dir = next();
    } else {
      die(("unknown option " + a).c_str());
    }
  }
  const Fixture& f = fixture(1);
  if (!write_dir.empty()) {
    write_perhead_suite(make_perhead_suite(f.suite), write_dir);
    return 0;
  }
  workloads::Suite suite;
  if (which == "merged") {
    suite = f.suite;
  } else if (which == "perhead") {
    suite = make_perhead_suite(f.suite);
  } else if (which == "perhead2") {
    suite = make_perhead_suite(f.suite, 2);
  } else if (which.find(".yaml") != std::string::npos) {
    suite = workloads::load_suite(which);  // e.g. the files of --write
  } else {
    die("--suite must be merged, perhead or perhead2");
  }
  std::size_t heads = 0;
  for (const auto& t : suite.tasks) {
    for (const auto& l : t.layers) heads += l.heads.size();
  }
  const auto space = dse::DesignSpace::load(leopard::data_path("dse/spaces/paper.yaml"));
  const double worst = check_equal(suite, f, space, 64);

  models::EvalOptions opt;
  opt.reference = reference;
  std::vector<double> rates, cpu_rates;  // designs per wall second, per CPU second
  dse::SweepSummary s;
  for (int r = 0; r < runs; ++r) {
    const models::SuiteEvaluator model(suite, f.baseline, f.cal, opt);
    const dse::SuiteDesignEvaluator adapter(space, model, false);
    dse::SearchSpace search{space.radices(), static_cast<int>(space.objectives().size())};
    dse::OptimizerOptions oo;
    oo.budget = space.size();
    auto optimizer = dse::make_optimizer(strategy, search, oo);
    dse::SweepHooks hooks;
    hooks.evaluate = [&](std::int64_t i) { return adapter.evaluate(i); };
    dse::SweepOptions so;
    so.threads = threads;
    so.num_objectives = search.num_objectives;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    s = dse::run_sweep(*optimizer, so, hooks);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double n = static_cast<double>(s.designs + s.invalid);
    rates.push_back(n / secs);
    cpu_rates.push_back(n / (cpu_seconds() - c0));
  }
  std::sort(rates.begin(), rates.end());
  std::sort(cpu_rates.begin(), cpu_rates.end());
  std::printf(
      "suite=%s heads=%zu strategy=%s threads=%d memo=%s reference=%d designs=%lld "
      "invalid=%lld pareto=%zu runs=%d median_designs_per_s=%.0f min=%.0f max=%.0f "
      "us_per_design=%.2f median_designs_per_cpu_s=%.0f max_rel_diff_vs_reference=%.2g\n",
      which.c_str(), heads, strategy.c_str(), threads, models::head_memo_enabled() ? "on" : "off",
      reference ? 1 : 0, static_cast<long long>(s.designs), static_cast<long long>(s.invalid),
      s.pareto, runs, rates[rates.size() / 2], rates.front(), rates.back(),
      1e6 / rates[rates.size() / 2], cpu_rates[cpu_rates.size() / 2], worst);
  return 0;
}

}  // namespace
}  // namespace leopard::bench

int main(int argc, char** argv) { return leopard::bench::run(argc, argv); }
