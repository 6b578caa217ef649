// The shipped calibration is reproducible (issue 3, item 9): re-running the least-squares fit of
// `leopard-dse calibrate` from the shipped file, with the paper's targets, lands on the shipped
// constants (2% relative or 0.02 absolute); and the shipped synthesised statistics of the paper
// suite (workloads/suites/paper_stats.csv) are what the synthesis gives with the shipped
// termination_bit_offset and synthesis_skew (1e-6 per fraction).
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

#include "models/arch_spec.hpp"
#include "models/calibrate.hpp"
#include "models/calibration.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/paper_suite.hpp"
#include "workloads/stats.hpp"

namespace {

using namespace leopard::models;

bool close(double fitted, double shipped) {
  return std::abs(fitted - shipped) <= std::max(0.02, 0.02 * std::abs(shipped));
}

}  // namespace

TEST_CASE("calibration: re-running calibrate reproduces the shipped constants",
          "[golden][calibration]") {
  CalibrateInputs in;
  in.suite = leopard::workloads::load_paper_tasks(leopard::workloads::paper_suite_csv());
  in.targets = load_targets(leopard::data_path("models/data/paper_calibration.csv"));
  in.ae = load_arch("leopard-ae");
  in.hp = load_arch("leopard-hp");
  in.baseline = load_arch("baseline");
  in.start = load_calibration(default_calibration_path());
  const FitReport rep = calibrate(in);
  WARN("calibrate from the shipped file: " << rep.iterations << " iterations, rms log error "
                                           << rep.rms_log_error);
  CHECK(rep.iterations >= 1);
  REQUIRE(rep.rows.size() == 4 * in.targets.size());
  for (const auto& e : Calibration::entries()) {
    const double shipped = in.start.values.*(e.field);
    const double fitted = rep.result.values.*(e.field);
    INFO(e.key << ": shipped " << shipped << ", re-fitted " << fitted
               << (e.calibratable ? " (calibratable)" : ""));
    CHECK(close(fitted, shipped));
  }
  // The report's fitted values are what the calibration file carries.
  for (const auto& [key, value] : rep.parameters) {
    for (const auto& e : Calibration::entries()) {
      if (e.key == key) CHECK(rep.result.values.*(e.field) == Approx(value));
    }
  }
}

TEST_CASE("calibration: the shipped paper_stats.csv is the synthesis at the shipped offset",
          "[golden][calibration]") {
  const auto tasks = leopard::workloads::load_paper_tasks(leopard::workloads::paper_suite_csv());
  const Calibration cal = load_calibration(default_calibration_path()).values;
  const auto hists = leopard::workloads::synthesise_paper_histograms(
      tasks, cal.termination_bit_offset, cal.synthesis_skew);
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
