// `eval`, `reproduce` and `calibrate`: price designs on a suite, rerun the paper's experiment, and
// fit the model's global constants.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>

#include "dse/app/commands.hpp"
#include "models/calibrate.hpp"
#include "models/cost_model.hpp"
#include "models/suite_evaluator.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/paper_suite.hpp"
#include "workloads/suite.hpp"

namespace leopard::app {
namespace {

models::ArchSpec resolve_arch(const std::string& arch, const std::vector<std::string>& sets) {
  models::ArchSpec spec = models::load_arch(arch);
  for (const auto& s : sets) models::apply_override(spec, s);
  // Name the architecture file in relation errors (unless --set overrides are involved).
  const bool is_file = arch.find('/') != std::string::npos || arch.ends_with(".yaml");
  models::validate_arch(spec, 64, is_file && sets.empty() ? arch : "");
  return spec;
}

models::Calibration resolve_calibration(const std::string& path) {
  return models::load_calibration(path.empty() ? models::default_calibration_path()
                                               : std::filesystem::path(path))
      .values;
}

struct EvalArgs {
  std::string arch = "leopard-ae";
  std::vector<std::string> sets;
  std::string baseline = "baseline";
  std::string suite = "paper";
  std::string task;
  std::string calibration;
  bool onchip_only = false;
  std::string latency = "sum";
  std::string format;
};

void run_eval(const EvalArgs& a) {
  const OutputFormat format = parse_output_format(a.format);
  const models::ArchSpec spec = resolve_arch(a.arch, a.sets);
  const models::ArchSpec base = resolve_arch(a.baseline, {});
  const workloads::Suite suite = workloads::filter_suite(workloads::load_suite(a.suite), a.task);
  print_warnings(suite.warnings);
  models::EvalOptions opt;
  opt.onchip_only = a.onchip_only;
  opt.geomean_latency = a.latency == "geomean";
  const models::SuiteEvaluator ev(suite, base, resolve_calibration(a.calibration), opt);
  std::vector<models::TaskCost> tasks;
  const models::SuiteCost s = ev.evaluate_detailed(spec, tasks);
  Table t;
  t.columns = {"model",
               "task",
               "cycles",
               "latency_ms",
               "energy_onchip_uj",
               "energy_dram_uj",
               "power_w",
               "speedup",
               "energy_reduction",
               "bottleneck",
               "qk_util",
               "vpu_util",
               "dram_bytes",
               "dense_macs",
               "op_intensity",
               "roof_front_gops",
               "roof_back_gops",
               "roof_dram_gops",
               "attainable_gops",
               "achieved_gops",
               "samples",
               "latency_p50_ms",
               "latency_p95_ms",
               "latency_p99_ms",
               "energy_p50_uj",
               "energy_p99_uj",
               "ms_per_token",
               "tokens_per_s",
               "uj_per_token",
               "dram_bytes_per_token",
               "dram_k_bytes_per_token",
               "dram_v_bytes_per_token",
               "ms_per_token_p50",
               "ms_per_token_p99",
               "uj_per_token_p99",
               "feasible",
               "infeasible_reason",
               "vdd"};
  t.precision = {0, 0, 6, 4, 4, 4, 3, 3, 3, 0, 3, 3, 4, 4, 4, 4, 4, 4, 4,
                 4, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 3};
  // Physical feasibility is the design's (the same on every row): the clock within f_max at the
  // supply used and every buffer bank accessible within a cycle. Infeasible designs are priced.
  const Cell feasible = std::string(s.physically_feasible ? "true" : "false");
  const Cell reason = s.infeasible_reason;
  int fewest = 0;  // fewest samples of a task with samples (for the note on the p99)
  for (const auto& x : tasks) {
    const models::SampleQuantiles& q = x.quantiles;
    const double e = x.cost.energy_pj_total() * 1e-12;
    t.add_row({x.model,
               x.task,
               x.cost.cycles,
               x.cost.latency_s * 1e3,
               x.cost.energy_onchip_pj() * 1e-6,
               x.cost.energy_dram_pj() * 1e-6,
               e / x.cost.latency_s,
               x.speedup,
               x.energy_reduction,
               models::to_string(x.bottleneck),
               x.qk_utilization,
               x.vpu_utilization,
               x.cost.actions.dram_bytes,
               x.cost.actions.dense_macs,
               x.op_intensity,
               x.roof_front_gops,
               x.roof_back_gops,
               a.onchip_only ? Cell{} : Cell{x.roof_dram_gops},
               x.attainable_gops,
               x.achieved_gops,
               std::int64_t{q.samples},
               q.latency_p50_s * 1e3,
               q.latency_p95_s * 1e3,
               q.latency_p99_s * 1e3,
               q.energy_p50_j * 1e6,
               q.energy_p99_j * 1e6,
               x.decode ? Cell{x.ms_per_token} : Cell{},
               x.decode ? Cell{x.tokens_per_s} : Cell{},
               x.decode ? Cell{x.uj_per_token} : Cell{},
               x.decode ? Cell{x.dram_bytes_per_token} : Cell{},
               x.decode ? Cell{x.dram_k_bytes_per_token} : Cell{},
               x.decode ? Cell{x.dram_v_bytes_per_token} : Cell{},
               x.decode ? Cell{x.ms_per_token_p50} : Cell{},
               x.decode ? Cell{x.ms_per_token_p99} : Cell{},
               x.decode ? Cell{x.uj_per_token_p99} : Cell{},
               feasible,
               reason,
               s.vdd});
    if (q.samples > 1 && (fewest == 0 || q.samples < fewest)) fewest = q.samples;
  }
  t.add_row({std::string("all"),
             std::string(opt.geomean_latency ? "geomean" : "total"),
             Cell{},
             s.latency_s * 1e3,
             s.energy_onchip_j * 1e6,
             s.energy_dram_j * 1e6,
             s.power_w,
             s.speedup_geomean,
             s.energy_reduction_geomean,
             models::to_string(s.bottleneck),
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             s.quantiles.latency_p50_s * 1e3,
             s.quantiles.latency_p95_s * 1e3,
             s.quantiles.latency_p99_s * 1e3,
             s.quantiles.energy_p50_j * 1e6,
             s.quantiles.energy_p99_j * 1e6,
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             Cell{},
             feasible,
             reason,
             s.vdd});
  // A text table leaves out the columns that apply to no row (the decode columns of a prefill
  // suite, the reason of a feasible design); CSV and JSON keep every column.
  render(std::cout, format == OutputFormat::kTable ? without_empty_columns(t) : t, format);
  // The p99 of fewer than 100 samples is their maximum (nearest rank n): say so, on stdout under
  // a table, on stderr beside CSV or JSON (whose stdout stays machine-readable).
  std::string notes;
  if (ev.has_samples()) {
    notes = fmt::format(
        "latency_p*/energy_p*: nearest-rank percentiles over each task's samples, each sample "
        "priced on its own (latency_ms and the energies: the pooled samples priced once); the "
        "'{}' row {} the tasks' percentiles.\n",
        opt.geomean_latency ? "geomean" : "total",
        opt.geomean_latency ? "is the geometric mean of" : "sums");
    if (models::p99_is_sample_max(static_cast<std::size_t>(fewest))) {
      notes += fmt::format(
          "note: a task has only {} samples: with fewer than 100, its p99 is the sample maximum "
          "(and with fewer than 20, so is its p95).\n",
          fewest);
    }
  }
  if (std::any_of(tasks.begin(), tasks.end(), [](const auto& x) { return x.decode; })) {
    notes +=
        "ms_per_token_p50/p99, uj_per_token_p99: nearest-rank percentiles over every (sample x "
        "generated step), each step priced at its own k_len.\n";
    int fewest_tokens = 0;  // fewest ranked (sample x step) values of a decode task
    for (const auto& x : tasks) {
      if (x.decode && (fewest_tokens == 0 || x.token_values < fewest_tokens)) {
        fewest_tokens = x.token_values;
      }
    }
    if (models::p99_is_sample_max(static_cast<std::size_t>(fewest_tokens))) {
      notes += fmt::format(
          "note: a decode task ranks only {} (sample x step) values: with fewer than 100, its "
          "ms_per_token_p99 and uj_per_token_p99 are the maxima.\n",
          fewest_tokens);
    }
  }
  if (!notes.empty()) (format == OutputFormat::kTable ? std::cout << '\n' : std::cerr) << notes;
  if (format == OutputFormat::kTable) {
    std::cout << fmt::format(
        "\n{}: {} tiles, {} QK units x {} lanes, B = {}, {} MHz at {:.2f} V (f_max {:.0f} MHz), "
        "{} nm; area {:.3f} mm2; speedup and energy reduction are geometric means vs '{}'{}\n",
        spec.name, spec.tiles, spec.qk.dpus, spec.qk.lanes, spec.qk.bits_per_cycle, spec.clock_mhz,
        s.vdd, s.fmax_mhz, spec.tech.node_nm, s.area_mm2, a.baseline,
        a.onchip_only ? " (on-chip only)" : "");
    if (!s.physically_feasible) {
      std::cout << "INFEASIBLE: " << s.infeasible_reason << " (priced all the same)\n";
    }
    const models::DesignConstants k =
        models::derive_constants(spec, resolve_calibration(a.calibration));
    std::cout << "area split:";
    for (int i = 0; i < static_cast<int>(k.area_split.size()); ++i) {
      if (k.area_split[i] > 0) {
        std::cout << fmt::format(" {} {:.3f} mm2 ({:.1f}%)", models::area_component_name(i),
                                 k.area_split[i], 100 * k.area_split[i] / k.area_mm2);
      }
    }
    std::cout << '\n';
  }
}

double geomean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return v.empty() ? 0 : std::exp(s / static_cast<double>(v.size()));
}

struct ReproduceArgs {
  std::string format;
  std::string calibration;
};

void run_reproduce(const ReproduceArgs& a) {
  const OutputFormat format = parse_output_format(a.format);
  const workloads::Suite suite = workloads::load_suite("paper");
  print_warnings(suite.warnings);
  models::EvalOptions opt;
  opt.onchip_only = true;  // the paper's methodology: compute + on-chip memory, no DRAM
  const models::SuiteEvaluator ev(suite, resolve_arch("baseline", {}),
                                  resolve_calibration(a.calibration), opt);
  std::vector<models::TaskCost> ae, hp;
  const auto sa = ev.evaluate_detailed(resolve_arch("leopard-ae", {}), ae);
  const auto sh = ev.evaluate_detailed(resolve_arch("leopard-hp", {}), hp);
  std::map<std::string, models::CalibrationTarget> paper;
  for (const auto& t : models::load_targets(data_path("models/data/paper_calibration.csv"))) {
    paper[t.model + "/" + t.task] = t;
  }
  auto pct = [](double ours, double theirs) -> Cell {
    if (theirs <= 0) return Cell{};
    return 100.0 * (ours / theirs - 1.0);
  };
  Table t;
  if (format == OutputFormat::kTable) {
    t.columns = {"model",      "task",          "ae_speedup", "paper",         "err_%",
                 "hp_speedup", "paper",         "err_%",      "ae_energy_red", "paper",
                 "err_%",      "hp_energy_red", "paper",      "err_%",         "bottleneck_ae"};
    t.precision = {0, 0, 3, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2, 0};
    for (std::size_t i = 0; i < ae.size(); ++i) {
      const auto it = paper.find(ae[i].model + "/" + ae[i].task);
      const bool has = it != paper.end();
      const models::CalibrationTarget p = has ? it->second : models::CalibrationTarget{};
      auto pv = [&](double v) -> Cell { return has ? Cell{v} : Cell{}; };
      t.add_row({ae[i].model, ae[i].task, ae[i].speedup, pv(p.ae_speedup),
                 pct(ae[i].speedup, p.ae_speedup), hp[i].speedup, pv(p.hp_speedup),
                 pct(hp[i].speedup, p.hp_speedup), ae[i].energy_reduction, pv(p.ae_energy),
                 pct(ae[i].energy_reduction, p.ae_energy), hp[i].energy_reduction, pv(p.hp_energy),
                 pct(hp[i].energy_reduction, p.hp_energy), models::to_string(ae[i].bottleneck)});
    }
    // Per-model geometric means, then the overall ones with the paper's published values.
    std::vector<std::string> order;
    std::map<std::string, std::array<std::vector<double>, 4>> by_model;
    for (std::size_t i = 0; i < ae.size(); ++i) {
      if (!by_model.count(ae[i].model)) order.push_back(ae[i].model);
      auto& m = by_model[ae[i].model];
      m[0].push_back(ae[i].speedup);
      m[1].push_back(hp[i].speedup);
      m[2].push_back(ae[i].energy_reduction);
      m[3].push_back(hp[i].energy_reduction);
    }
    for (const auto& name : order) {
      const auto& m = by_model[name];
      t.add_row({name, std::string("geomean"), geomean(m[0]), Cell{}, Cell{}, geomean(m[1]), Cell{},
                 Cell{}, geomean(m[2]), Cell{}, Cell{}, geomean(m[3]), Cell{}, Cell{}, Cell{}});
    }
    const models::AggregateTargets pub;
    t.add_row({std::string("all"), std::string("geomean"), sa.speedup_geomean, pub.ae_speedup,
               pct(sa.speedup_geomean, pub.ae_speedup), sh.speedup_geomean, pub.hp_speedup,
               pct(sh.speedup_geomean, pub.hp_speedup), sa.energy_reduction_geomean, pub.ae_energy,
               pct(sa.energy_reduction_geomean, pub.ae_energy), sh.energy_reduction_geomean,
               pub.hp_energy, pct(sh.energy_reduction_geomean, pub.hp_energy), Cell{}});
    render(std::cout, t, format);
    std::cout << fmt::format(
        "\nAE-LeOPArd and HP-LeOPArd vs the bit-parallel baseline on the paper's {} tasks, on-chip "
        "energy only (the paper's methodology).\nArea: AE {:.2f} mm2 (paper 6.44), HP {:.2f} mm2. "
        "Termination histograms of the paper suite: Fig. 8's curves at Fig. 7's rates (see "
        "README).\n",
        ae.size(), sa.area_mm2, sh.area_mm2);
    return;
  }
  t.columns = {"model",
               "task",
               "config",
               "speedup",
               "energy_reduction",
               "paper_speedup",
               "paper_energy_reduction",
               "bottleneck",
               "latency_s",
               "energy_j"};
  for (std::size_t i = 0; i < ae.size(); ++i) {
    const auto it = paper.find(ae[i].model + "/" + ae[i].task);
    for (int c = 0; c < 2; ++c) {
      const auto& x = c == 0 ? ae[i] : hp[i];
      Cell ps, pe;
      if (it != paper.end()) {
        ps = c == 0 ? it->second.ae_speedup : it->second.hp_speedup;
        pe = c == 0 ? it->second.ae_energy : it->second.hp_energy;
      }
      t.add_row({x.model, x.task, std::string(c == 0 ? "ae" : "hp"), x.speedup, x.energy_reduction,
                 ps, pe, models::to_string(x.bottleneck), x.cost.latency_s,
                 x.cost.energy_onchip_pj() * 1e-12});
    }
  }
  render(std::cout, t, format);
}

struct CalibrateArgs {
  std::string targets;
  std::string ae = "leopard-ae", hp = "leopard-hp", baseline = "baseline";
  std::string start;
  std::string output;
  std::string stats_output;
  std::string format;
  double robust_scale = 0.05;
  std::vector<std::string> fixed;
};

void run_calibrate(const CalibrateArgs& a) {
  const OutputFormat format = parse_output_format(a.format);
  models::CalibrateInputs in;
  in.suite = workloads::load_paper_tasks(workloads::paper_suite_csv());
  in.curves = workloads::load_termination_curves(workloads::termination_curves_csv());
  in.targets =
      models::load_targets(a.targets.empty() ? data_path("models/data/paper_calibration.csv")
                                             : std::filesystem::path(a.targets));
  in.ae = resolve_arch(a.ae, {});
  in.hp = resolve_arch(a.hp, {});
  in.baseline = resolve_arch(a.baseline, {});
  // From the defaults of models/calibration.hpp unless told otherwise: the shipped file is the
  // fit's output, not its input.
  in.start = a.start.empty() ? models::default_calibration()
                             : models::load_calibration(std::filesystem::path(a.start));
  in.robust_scale = a.robust_scale;
  in.fixed = a.fixed;
  const std::string targets_name =
      std::filesystem::path(a.targets.empty() ? "models/data/paper_calibration.csv" : a.targets)
          .filename()
          .string();
  in.target_description =
      targets_name + " (" + std::to_string(in.targets.size()) +
      " tasks: speedup and energy reduction of " + a.ae + " and " + a.hp + " vs " + a.baseline +
      ") and the published geometric means over all " + std::to_string(in.suite.size()) +
      " tasks (AE 1.9x / 3.9x, HP 2.4x / 4.0x), soft-L1 scale " + format_double(a.robust_scale, 4) +
      (a.start.empty() ? ", from the defaults" : ", from " + a.start);
  const models::FitReport rep = models::calibrate(in);
  Table t;
  t.columns = {"model", "task", "config", "metric", "target", "fitted", "error_%"};
  t.precision = {0, 0, 0, 0, 4, 4, 3};
  for (const auto& rows : {rep.rows, rep.aggregates}) {
    for (const auto& r : rows) {
      t.add_row({r.model, r.task, r.config, r.metric, r.target, r.fitted, 100 * r.error()});
    }
  }
  render(std::cout, t, format);
  if (format == OutputFormat::kTable) {
    std::cout << "\nfitted constants (" << rep.iterations
              << " Levenberg-Marquardt iterations, rms log error "
              << format_double(rep.rms_log_error, 4) << "):\n";
    for (const auto& [k, v] : rep.parameters)
      std::cout << "  " << k << " = " << format_double(v, 6) << '\n';
  }
  if (!a.output.empty()) {
    std::string header =
        "# leopard-dse calibration constants at 65 nm, 1.0 V. Written by `leopard-dse calibrate` "
        "(targets: " +
        targets_name +
        " and the published geometric means).\n# Each constant: value and source. Calibrated "
        "ones say what they were fitted on.";
    if (!a.fixed.empty()) {
      header += " Kept at their start value (--fix):";
      for (const auto& f : a.fixed) header += " " + f;
    }
    header += "\n";
    const std::string tmp = a.output + ".tmp";
    {
      std::ofstream out(tmp);
      out << models::calibration_to_yaml(rep.result, header);
      if (!out) throw RuntimeError("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, a.output);
  }
  if (!a.stats_output.empty()) {
    const double sens = rep.result.values.termination_rate_sensitivity;
    const auto hists = workloads::paper_histograms(in.suite, in.curves, sens);
    const auto table = workloads::paper_stats_table(in.suite, hists);
    workloads::write_stats_csv(
        a.stats_output,
        {"Layer-level statistics of the paper suite, DERIVED (not measured): per task, the "
         "termination histogram of its Fig. 8 curve moved to its Fig. 7 pruning rate "
         "(workloads/paper_suite.hpp)",
         "inputs: workloads/data/paper_suite.csv (prune_pct, termination_curve), "
         "workloads/data/termination_cdf.csv (Fig. 8) and termination_rate_sensitivity = " +
             format_double(sens, 8) + " from models/data/calibration_65nm.yaml",
         "written by: leopard-dse calibrate -o models/data/calibration_65nm.yaml --write-stats "
         "workloads/suites/paper_stats.csv"},
        table);
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  {
    auto a = std::make_shared<EvalArgs>();
    auto* cmd =
        app.add_subcommand("eval", "Price one design on a suite, task by task, vs the baseline");
    cmd->add_option("--arch", a->arch, "Preset name or architecture YAML file")
        ->capture_default_str();
    cmd->add_option("--set", a->sets,
                    "Override an architecture key, e.g. --set qk.dpus=8 (repeatable)");
    cmd->add_option("--baseline", a->baseline, "Reference design for speedups")
        ->capture_default_str();
    cmd->add_option("--suite", a->suite, "Suite name (paper) or suite YAML file")
        ->capture_default_str();
    cmd->add_option("--task", a->task, "Keep tasks whose model/task matches this glob");
    cmd->add_option("--calibration", a->calibration,
                    "Calibration YAML (default: the shipped 65 nm one)");
    cmd->add_flag("--onchip-only", a->onchip_only,
                  "No DRAM time or energy (the paper's methodology)");
    cmd->add_option("--latency", a->latency,
                    "The 'all' row's latency, energy and percentiles: sum or geomean over tasks")
        ->check(CLI::IsMember({"sum", "geomean"}))
        ->capture_default_str();
    add_format_option(*cmd, a->format);
    cmd->callback([a] { run_eval(*a); });
  }
  {
    auto a = std::make_shared<ReproduceArgs>();
    auto* cmd = app.add_subcommand("reproduce",
                                   "The paper's experiment: AE and HP vs baseline on its 43 tasks");
    cmd->add_option("--calibration", a->calibration,
                    "Calibration YAML (default: the shipped 65 nm one)");
    add_format_option(*cmd, a->format);
    cmd->callback([a] { run_reproduce(*a); });
  }
  {
    auto a = std::make_shared<CalibrateArgs>();
    auto* cmd = app.add_subcommand(
        "calibrate", "Fit the model's calibratable global constants to target results");
    cmd->add_option(
        "--targets", a->targets,
        "CSV model,task,ae_speedup,hp_speedup,ae_energy,hp_energy (default: the paper's)");
    cmd->add_option("--arch", a->ae, "First design (the targets' ae columns)")
        ->capture_default_str();
    cmd->add_option("--arch2", a->hp, "Second design (the targets' hp columns)")
        ->capture_default_str();
    cmd->add_option("--baseline", a->baseline, "Reference design")->capture_default_str();
    cmd->add_option("--start", a->start,
                    "Calibration YAML to start from (default: the defaults of the code)");
    cmd->add_option("--fix", a->fixed,
                    "Keep this calibratable constant at its start value (repeatable)");
    cmd->add_option("-o,--output", a->output, "Write the fitted calibration YAML here");
    cmd->add_option("--write-stats", a->stats_output,
                    "Also write the paper suite's statistics CSV (Fig. 8 histograms)");
    cmd->add_option("--robust-scale", a->robust_scale,
                    "Soft-L1 scale on per-task log errors (0: plain least squares)")
        ->check(CLI::Range(0.0, 10.0))
        ->capture_default_str();
    add_format_option(*cmd, a->format);
    cmd->callback([a] { run_calibrate(*a); });
  }
}

}  // namespace leopard::app
