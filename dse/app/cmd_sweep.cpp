// `sweep`: validates the space, suite and flags, then runs a strategy over the design space on all
// cores, streaming every design to the result store and reporting the Pareto front.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "dse/app/commands.hpp"
#include "dse/front_edge.hpp"
#include "dse/optimizer.hpp"
#include "dse/provenance.hpp"
#include "dse/space.hpp"
#include "dse/suite_design_evaluator.hpp"
#include "dse/sweep.hpp"
#include "models/calibration.hpp"
#include "models/suite_evaluator.hpp"
#include "results/schema.hpp"
#include "results/shard.hpp"
#include "results/store.hpp"
#include "results/writer.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/suite.hpp"

namespace leopard::app {
namespace {

// Set by SIGINT/SIGTERM; the sweep stops after the current batch and commits what is done. A
// signal handler can only reach a global.
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

struct SweepArgs {
  std::string space;
  std::string suite = "paper";
  std::string db = results::kDefaultDbPath;
  std::string name;
  std::string strategy = "grid";
  std::int64_t budget = 0;
  std::uint64_t seed = 1;
  int threads = 0;
  std::optional<std::string> shard;
  bool resume = false;
  std::string store = "all";
  std::string task_metrics = "pareto";
  std::string latency = "sum";
  std::string baseline = "baseline";
  bool onchip_only = false;
  std::string format;
  bool progress = false;
};

// The suite and everything else that decides a design's numbers, as text: its hash is what
// --resume compares, so a run never mixes designs priced with different statistics, baseline,
// calibration, evaluation options or model code.
std::string suite_text(const workloads::Suite& suite, const models::ArchSpec& baseline,
                       const models::CalibrationFile& calibration, const SweepArgs& a) {
  std::string out = fmt::format("name: {}\nsource: {}\ntasks:\n", suite.name, suite.source);
  std::string stats;  // every layer shape and head statistic, digested below
  for (const auto& t : suite.tasks) {
    out += fmt::format("  - {{model: {}, task: {}, seq_len: {}, layers: {}}}\n", t.model, t.task,
                       t.seq_len, t.layers.size());
    auto digest = [&stats](const std::vector<workloads::LayerWorkload>& layers) {
      for (const auto& l : layers) {
        stats += fmt::format("{}/{}/{}/{}/{}/{};", l.shape.heads, l.shape.head_dim, l.shape.q_len,
                             l.shape.k_len, l.shape.causal, l.heads.size());
        for (const auto& h : l.heads)
          stats += fmt::format("{},{},{};", h.n_scores, h.n_pruned, fmt::join(h.hist, ","));
      }
    };
    digest(t.layers);
    // Each sample's statistics too: they decide the tail metrics (latency_p99_s, ...).
    for (std::size_t s = 0; s < t.samples.size(); ++s) {
      stats += fmt::format("sample {}:", s);
      digest(t.samples[s]);
    }
  }
  // `metrics` names what each stored design carries (and the store's schema version): a run
  // begun by a build that stored no tail metrics is not resumed silently by one that does.
  out += fmt::format(
      "evaluation: {{stats: {}, baseline: {}, calibration: {}, onchip_only: {}, latency: {}, "
      "tool_version: {}, model_fingerprint: {}, metrics: {{schema: {}, tail: nearest-rank p50 "
      "p95 p99 per task over samples}}}}\n",
      dse::hex64(dse::fnv1a64(stats)), dse::hex64(dse::fnv1a64(models::arch_to_yaml(baseline))),
      dse::hex64(dse::fnv1a64(models::calibration_to_yaml(calibration, ""))), a.onchip_only,
      a.latency, tool_version(), dse::model_fingerprint(), results::current_schema_version());
  return out;
}

std::string command_line(const SweepArgs& a, const results::Shard& shard) {
  std::string s = fmt::format("leopard-dse sweep --space {} --suite {} --db {} --strategy {}",
                              a.space, a.suite, a.db, a.strategy);
  if (!a.name.empty()) s += " --name " + a.name;
  if (a.budget > 0) s += fmt::format(" --budget {}", a.budget);
  s += fmt::format(" --seed {} --shard {} --store {} --task-metrics {} --latency {}", a.seed,
                   shard.to_string(), a.store, a.task_metrics, a.latency);
  if (a.onchip_only) s += " --onchip-only";
  if (a.resume) s += " --resume";
  return s;
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(const dse::SweepProgress& p) {
    if (!enabled_) return;
    const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0.0;
    const double frac =
        p.planned > 0 ? std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.planned))
                      : 0.0;
    const double eta = rate > 0 ? static_cast<double>(p.planned - p.done) / rate : 0.0;
    const int width = 24;
    const int filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%s%s] %3.0f%% %lld/%lld designs  %.0f/s  ETA %.0fs  front %zu   ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), frac * 100,
                 static_cast<long long>(p.done), static_cast<long long>(p.planned), rate,
                 std::max(0.0, eta), p.pareto);
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

void print_summary(const dse::SweepSummary& s, const std::vector<dse::FrontEdge>& edges,
                   std::int64_t run_id, const std::string& status, const std::string& db,
                   OutputFormat format) {
  if (format == OutputFormat::kJson) {
    nlohmann::json j = {{"designs", s.designs},
                        {"invalid", s.invalid},
                        {"infeasible", s.infeasible},
                        {"seconds", s.seconds},
                        {"designs_per_s", s.designs_per_s},
                        {"pareto", s.pareto},
                        {"hypervolume", s.hypervolume},
                        {"hypervolume_reference", s.reference},
                        {"front_at_edge", dse::front_at_edge_json(edges)},
                        {"run_id", run_id},
                        {"status", status},
                        {"db", db}};
    std::cout << j.dump() << '\n';
    return;
  }
  Table t;
  t.columns = {"designs", "invalid",     "infeasible", "seconds", "designs_per_s",
               "pareto",  "hypervolume", "run_id",     "status"};
  t.precision = {0, 0, 0, 3, 4, 0, 4, 0, 0};
  t.add_row({s.designs, s.invalid, s.infeasible, s.seconds, s.designs_per_s,
             static_cast<std::int64_t>(s.pareto), s.hypervolume, run_id, status});
  render(std::cout, t, format);
  if (format == OutputFormat::kTable) {
    std::cout << dse::front_at_edge_hints(edges);
    std::cout << fmt::format(
        "results in {} (run {}); `leopard-dse query --db {} pareto --run {}`\n", db, run_id, db,
        run_id);
  }
}

void run_sweep_command(const SweepArgs& a) {
  // 1. Validate every input before the database is opened for writing.
  const OutputFormat format = parse_output_format(a.format);
  const dse::DesignSpace space = dse::DesignSpace::load(a.space);
  const results::Shard shard = results::resolve_shard(a.shard);
  dse::SearchSpace search{space.radices(), static_cast<int>(space.objectives().size())};
  dse::OptimizerOptions oo{a.seed, a.budget, shard.index, shard.count};
  if (a.budget < 0) throw InputError("", 0, "--budget", "must be >= 0");
  std::unique_ptr<dse::Optimizer> optimizer = dse::make_optimizer(a.strategy, search, oo);
  const workloads::Suite suite = workloads::load_suite(a.suite);
  print_warnings(suite.warnings);
  models::ArchSpec baseline = models::load_arch(a.baseline);
  models::EvalOptions eo;
  eo.onchip_only = a.onchip_only;
  eo.geomean_latency = a.latency == "geomean";
  const models::CalibrationFile calibration =
      models::load_calibration(models::default_calibration_path());
  const models::SuiteEvaluator model(suite, baseline, calibration.values, eo);
  const dse::SuiteDesignEvaluator evaluator(space, model, a.task_metrics == "all");

  results::RunInfo info;
  info.name = !a.name.empty()
                  ? a.name
                  : fmt::format("{}-{}", space.name().empty() ? "space" : space.name(), a.strategy);
  info.command_line = command_line(a, shard);
  info.space_text = space.resolved_text();
  info.suite_text = suite_text(suite, baseline, calibration, a);
  info.space_hash = dse::hex64(dse::fnv1a64(info.space_text));
  info.suite_hash = dse::hex64(dse::fnv1a64(info.suite_text));
  info.seed = a.seed;
  info.strategy = a.strategy;
  info.tool_version = tool_version();
  info.git_revision = dse::build_git_revision();
  info.model_fingerprint = dse::model_fingerprint();
  info.axes = space.axis_keys();
  info.objectives = space.objective_names();
  info.shard_index = shard.index;
  info.shard_count = shard.count;
  info.space_size = space.size();

  // 2. The store: a new run, or the one to resume.
  results::Store store = results::Store::open(a.db, results::Store::Access::kWrite);
  const results::ResumeState state = store.begin_or_resume(info, a.resume);
  // No writer thread: run_sweep hands each batch's records over on its driver thread while the
  // pool evaluates the next batch, so `--threads N` means N busy threads in all (issue 9).
  results::WriterOptions wo;
  wo.background = false;
  wo.batch_size = 8192;
  results::StoreWriter writer(store, state.run_id, wo);

  g_stop.store(false);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  ProgressBar bar(a.progress || isatty(fileno(stderr)) != 0);

  dse::SweepHooks hooks;
  hooks.evaluate = [&](std::int64_t index) { return evaluator.evaluate(index); };
  if (a.store == "all") {
    hooks.store = [&](results::DesignRecord&& r) { writer.push(std::move(r)); };
  }
  if (state.resumed) hooks.already_stored = [&](std::int64_t i) { return state.done(i); };
  hooks.progress = [&](const dse::SweepProgress& p) { bar.update(p); };
  hooks.stop = &g_stop;
  dse::SweepOptions so;
  so.threads = a.threads;
  so.num_objectives = search.num_objectives;
  const dse::SweepSummary summary = dse::run_sweep(*optimizer, so, hooks);
  bar.finish();

  // 3. The Pareto designs: stored (when only the front is kept), with per-task details.
  std::vector<std::int64_t> front;
  for (const auto& p : summary.front) front.push_back(p.id);
  if (a.store == "pareto") {
    for (auto id : front) {
      if (!state.done(id)) writer.push(std::move(evaluator.evaluate(id).record));
    }
  }
  writer.close();
  if (a.task_metrics == "pareto") {
    std::vector<results::Store::DesignDetails> details(front.size());
    for (std::size_t i = 0; i < front.size(); ++i) {
      details[i].design_index = front[i];
      evaluator.details(front[i], details[i].tasks, details[i].breakdown);
    }
    store.write_details(state.run_id, details);  // one transaction
  }
  store.set_pareto(state.run_id, front);
  const auto status =
      summary.interrupted ? results::RunStatus::kInterrupted : results::RunStatus::kComplete;
  store.finish_run(state.run_id, status);
  // The handlers stay until the run is finished: a signal during the final commit, Pareto and
  // details phase (short) is deferred rather than killing the process half-way through it.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  // Where the front sits on each numeric axis (the values of each Pareto design, axis by axis).
  const std::vector<dse::EdgeAxis> numeric = dse::numeric_axes(space);
  std::vector<std::vector<double>> front_values;
  std::vector<std::int64_t> digits(space.axes().size());
  for (auto id : front) {
    space.decode(id, digits);
    std::vector<double> v;
    for (const auto& axis : numeric) {
      for (std::size_t i = 0; i < space.axes().size(); ++i) {
        if (space.axes()[i].key == axis.key) {
          v.push_back(axis.values[static_cast<std::size_t>(digits[i])]);
        }
      }
    }
    front_values.push_back(std::move(v));
  }
  const auto edges = dse::front_at_edge(numeric, front_values);
  print_summary(summary, edges, state.run_id, results::to_string(status), a.db, format);
  if (summary.interrupted) {
    throw RuntimeError(fmt::format(
        "sweep interrupted; what was done is committed: rerun the same command with --resume"));
  }
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  std::string strategies;
  for (const auto& e : dse::optimizer_registry()) {
    strategies += fmt::format("\n  {:<8} {}", e.name, e.doc);
  }
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Explore a design space against a suite; results go to the SQLite store");
  cmd->footer("Strategies:" + strategies);
  cmd->add_option("--space", args->space, "Design-space YAML (see dse/spaces/)")->required();
  cmd->add_option("--suite", args->suite, "Suite name (paper) or suite YAML")
      ->capture_default_str();
  cmd->add_option("--db", args->db, "Results database")->capture_default_str();
  cmd->add_option("--name", args->name, "Run name (default: <space name>-<strategy>)");
  cmd->add_option("--strategy", args->strategy, "Search strategy (see below)")
      ->check(CLI::IsMember(dse::optimizer_names()))
      ->capture_default_str();
  cmd->add_option("--budget", args->budget,
                  "Designs to evaluate (grid: the first N; random: default all; nsga2: default "
                  "max(100, 10% of the space))");
  cmd->add_option("--seed", args->seed, "Seed of random and nsga2")->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "Busy threads in all, evaluation and storage (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option(
      "--shard", args->shard,
      "This process's share I/N (grid, random; default from SLURM_ARRAY_TASK_ID/COUNT)");
  cmd->add_flag("--resume", args->resume, "Finish the interrupted run of the same name");
  cmd->add_option("--store", args->store, "Designs stored: all, or only the Pareto front")
      ->check(CLI::IsMember({"all", "pareto"}))
      ->capture_default_str();
  cmd->add_option("--task-metrics", args->task_metrics, "Per-task metrics stored for")
      ->check(CLI::IsMember({"all", "pareto", "none"}))
      ->capture_default_str();
  cmd->add_option("--latency", args->latency, "Suite latency and energy: sum or geomean over tasks")
      ->check(CLI::IsMember({"sum", "geomean"}))
      ->capture_default_str();
  cmd->add_option("--baseline", args->baseline, "Reference design for speedups")
      ->capture_default_str();
  cmd->add_flag("--onchip-only", args->onchip_only, "The paper's methodology: no DRAM");
  add_format_option(*cmd, args->format);
  cmd->add_flag("--progress", args->progress, "Progress bar on stderr even when not a terminal");
  cmd->callback([args] { run_sweep_command(*args); });
}

}  // namespace leopard::app
