// The shipped calibration is what `leopard-dse calibrate` finds (issue 13, ask 7):
//  - starting from the defaults of models/calibration.hpp (not from the shipped optimum), the fit
//    on the paper's targets recovers every shipped calibratable constant within 1%; the defaults
//    are far enough from the optimum that this is a real test (checked below), and a second
//    start beyond the optimum on every constant lands there too (the optimum is identifiable);
//  - the constants that are not fitted are the code's defaults, and the Fig. 11 energy scales are
//    the closed-form fit at the shipped constants;
//  - the shipped statistics of the paper suite (workloads/suites/paper_stats.csv) are the Fig. 8
//    histograms at the shipped termination_rate_sensitivity (1e-6 per fraction).
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

#include "models/arch_spec.hpp"
#include "models/calibrate.hpp"
#include "models/calibration.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/paper_suite.hpp"
#include "workloads/stats.hpp"

namespace {

using namespace leopard::models;

bool within_1pct(double fitted, double shipped) {
  return std::abs(fitted - shipped) <= 0.01 * std::abs(shipped) + 1e-9;
}

// What `leopard-dse calibrate` fits by default: the paper suite and its Fig. 8 curves, the
// calibration targets, AE, HP and the baseline, from the code's defaults.
CalibrateInputs paper_inputs() {
  CalibrateInputs in;
  in.suite = leopard::workloads::load_paper_tasks(leopard::workloads::paper_suite_csv());
  in.curves =
      leopard::workloads::load_termination_curves(leopard::workloads::termination_curves_csv());
  in.targets = load_targets(leopard::data_path("models/data/paper_calibration.csv"));
  in.ae = load_arch("leopard-ae");
  in.hp = load_arch("leopard-hp");
  in.baseline = load_arch("baseline");
  in.start = default_calibration();
  return in;
}

}  // namespace

TEST_CASE("calibration: calibrate from the defaults recovers the shipped constants within 1%",
          "[golden][calibration]") {
  CalibrateInputs in = paper_inputs();
  const CalibrationFile shipped = load_calibration(default_calibration_path());

  // The start is not the answer: at least two calibratable constants start more than 10% away.
  int far = 0;
  for (const auto& e : Calibration::entries()) {
    if (!e.calibratable) continue;
    const double s = in.start.values.*(e.field), v = shipped.values.*(e.field);
    if (std::abs(s - v) > 0.1 * std::max(std::abs(v), 1e-3)) ++far;
  }
  CHECK(far >= 2);

  const FitReport rep = calibrate(in);
  WARN("calibrate from the defaults: " << rep.iterations << " iterations, rms log error "
                                       << rep.rms_log_error);
  REQUIRE(rep.rows.size() == 4 * in.targets.size());
  for (const auto& e : Calibration::entries()) {
    const double v = shipped.values.*(e.field);
    const double fitted = rep.result.values.*(e.field);
    INFO(e.key << ": shipped " << v << ", fitted from the defaults " << fitted
               << (e.calibratable ? " (calibratable)" : ""));
    CHECK(within_1pct(fitted, v));
  }
  // Identifiable: from a start on the other side of the optimum for every constant, the fit lands
  // on the same constants within 1% (0.01 absolute for those at their bound of 0).
  CalibrationFile other = default_calibration();
  other.values.termination_rate_sensitivity = 2.5;
  other.values.backend_readdress_cycles = 1.0;
  other.values.frontend_sync_factor = 0.6;
  other.values.qk_lane_overhead_bits = 5;
  other.values.logic_leakage_mw_per_mm2 = 5;
  other.values.sram_leakage_factor = 0.3;
  in.start = other;
  const FitReport rep2 = calibrate(in);
  for (const auto& e : Calibration::entries()) {
    if (!e.calibratable) continue;
    const double v = shipped.values.*(e.field);
    const double fitted = rep2.result.values.*(e.field);
    INFO(e.key << ": shipped " << v << ", fitted from the other start " << fitted);
    CHECK(std::abs(fitted - v) <= std::max(0.01 * std::abs(v), v == 0 ? 0.01 : 0.0));
  }
  // The shipped file says where each fitted value comes from.
  for (const auto& [key, value] : rep.parameters) {
    INFO(key);
    bool has_source = false;
    for (const auto& [k, source] : shipped.sources) {
      if (k == key) has_source = source.rfind("calibrated on ", 0) == 0;
    }
    CHECK(has_source);
  }
}

TEST_CASE("calibration: --fix keeps a constant and rejects an unknown one",
          "[golden][calibration]") {
  CalibrateInputs in = paper_inputs();
  in.max_iterations = 2;
  in.fixed = {"frontend_sync_factor"};
  const FitReport rep = calibrate(in);
  CHECK(rep.result.values.frontend_sync_factor == in.start.values.frontend_sync_factor);
  for (const auto& [key, value] : rep.parameters) CHECK(key != "frontend_sync_factor");
  in.fixed = {"no_such_constant"};
  CHECK_THROWS_AS(calibrate(in), leopard::InputError);
}

TEST_CASE("calibration: the shipped paper_stats.csv is Fig. 8 at the shipped sensitivity",
          "[golden][calibration]") {
  const auto tasks = leopard::workloads::load_paper_tasks(leopard::workloads::paper_suite_csv());
  const auto curves =
      leopard::workloads::load_termination_curves(leopard::workloads::termination_curves_csv());
  const Calibration cal = load_calibration(default_calibration_path()).values;
  const auto hists =
      leopard::workloads::paper_histograms(tasks, curves, cal.termination_rate_sensitivity);
  REQUIRE(hists.size() == tasks.size());
  const auto table =
      leopard::workloads::load_stats_csv(leopard::data_path("workloads/suites/paper_stats.csv"));
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < tasks.size(); ++i) index[{tasks[i].model, tasks[i].task}] = i;
  std::map<std::pair<std::string, std::string>, int> layers_seen;
  for (const auto& row : table.rows) {
    INFO(table.file << ":" << row.line << " " << row.model << "/" << row.task << " layer "
                    << row.layer);
    const auto it = index.find({row.model, row.task});
    REQUIRE(it != index.end());
    const auto& t = tasks[it->second];
    const auto& h = hists[it->second];
    ++layers_seen[{row.model, row.task}];
    CHECK(row.head == -1);
    CHECK(row.seq_len == t.seq_len);
    CHECK(row.stats.prune_rate() == Approx(t.prune_rate).margin(1e-6));
    REQUIRE(row.stats.hist.size() == h.size());
    for (std::size_t b = 0; b < h.size(); ++b) {
      INFO("t" << b + 1);
      CHECK(row.stats.hist[b] == Approx(h[b]).margin(1e-6));
    }
  }
  // Every task, every layer.
  CHECK(layers_seen.size() == tasks.size());
  for (const auto& t : tasks) {
    INFO(t.model << "/" << t.task);
    CHECK(layers_seen[{t.model, t.task}] == t.layers);
  }
}
