// Levenberg-Marquardt calibration of the global constants (see calibrate.hpp).
#include "models/calibrate.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <map>

#include "models/cost_model.hpp"
#include "models/suite_evaluator.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/text.hpp"

namespace leopard::models {

std::vector<CalibrationTarget> load_targets(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw InputError(csv.string(), 0, "", "cannot open the targets file");
  const std::string file = csv.string();
  std::string line;
  std::int64_t no = 0;
  bool header = false;
  std::vector<CalibrationTarget> out;
  const char* names[] = {"ae_speedup", "hp_speedup", "ae_energy", "hp_energy"};
  while (std::getline(in, line)) {
    ++no;
    if (trim(line).empty() || line[0] == '#') continue;
    const auto f = split_csv_line(line, file, no);
    if (!header) {
      header = true;
      if (f.size() != 6 || f[0] != "model" || f[1] != "task") {
        throw InputError(file, no, "",
                         "expected header model,task,ae_speedup,hp_speedup,ae_energy,hp_energy");
      }
      continue;
    }
    if (f.size() != 6) throw InputError(file, no, "", "expected 6 fields");
    CalibrationTarget t;
    t.model = f[0];
    t.task = f[1];
    t.file = file;
    t.line = no;
    double* dst[] = {&t.ae_speedup, &t.hp_speedup, &t.ae_energy, &t.hp_energy};
    for (int i = 0; i < 4; ++i) {
      *dst[i] = require_double(f[2 + i], file, no, names[i]);
      if (*dst[i] <= 0) throw InputError(file, no, names[i], "must be positive");
    }
    out.push_back(t);
  }
  if (out.empty()) throw InputError(file, 0, "", "no targets");
  return out;
}

void fit_baseline_split(Calibration& cal, const ArchSpec& baseline,
                        const std::array<double, 5>& split) {
  // Reference head: BERT-Base shape (d = 64, 512 tokens); the baseline does not prune, so the split
  // does not depend on statistics (leopard.md: "same for every workload").
  workloads::PaperTask ref{"ref", "ref", "ref", 512, 64, 1, 1, false, 0.0, 0.0};
  const auto w = workloads::make_paper_workload(ref, std::vector<double>(baseline.qk.bits, 0.0));
  const TaskProfile profile = precompute_task(w);
  Calibration unit = cal;
  unit.energy_scale_qk = unit.energy_scale_kbuf = unit.energy_scale_softmax = unit.energy_scale_v =
      1;
  const DesignConstants k = derive_constants(baseline, unit);
  const Cost c = LeopardCostModel(unit).evaluate(baseline, k, profile, true);
  const auto e = [&](Component comp) { return c.energy_pj[static_cast<int>(comp)]; };
  const double vbuf = e(Component::kValueBuffer);  // anchor: CACTI-based value-buffer reads
  cal.energy_scale_qk = split[0] / split[4] * vbuf / e(Component::kQkCompute);
  cal.energy_scale_kbuf = split[1] / split[4] * vbuf / e(Component::kKeyBuffer);
  cal.energy_scale_softmax = split[2] / split[4] * vbuf / e(Component::kSoftmax);
  cal.energy_scale_v = split[3] / split[4] * vbuf / e(Component::kVCompute);
}

namespace {

struct Param {
  double Calibration::*field;
  double lo, hi, step;
};

// The calibratable constants (Calibration::entries() marks them) with their search bounds.
const std::vector<std::pair<std::string, Param>>& fit_params() {
  using C = Calibration;
  static const std::vector<std::pair<std::string, Param>> ps = {
      {"termination_bit_offset", {&C::termination_bit_offset, -2.0, 5.0, 0.05}},
      {"synthesis_skew", {&C::synthesis_skew, 0.0, 8.0, 0.1}},
      {"backend_readdress_cycles", {&C::backend_readdress_cycles, 0.0, 8.0, 0.02}},
      {"frontend_sync_factor", {&C::frontend_sync_factor, 0.0, 1.0, 0.02}},
      {"qk_lane_overhead_bits", {&C::qk_lane_overhead_bits, 0.0, 48.0, 0.5}},
      {"logic_leakage_mw_per_mm2", {&C::logic_leakage_mw_per_mm2, 0.0, 400.0, 2.0}},
  };
  return ps;
}

class Problem {
 public:
  explicit Problem(const CalibrateInputs& in) : in_(in) {
    for (const auto& t : in.targets) {
      bool found = false;
      for (std::size_t i = 0; i < in.suite.size(); ++i) {
        if (in.suite[i].model == t.model && in.suite[i].task == t.task) {
          index_.push_back(i);
          found = true;
        }
      }
      if (!found) {
        throw InputError(t.file, t.line, "task",
                         "task " + t.model + "/" + t.task + " is not in the paper suite");
      }
    }
  }

  Calibration apply(const Eigen::VectorXd& x) const {
    Calibration cal = in_.start.values;
    const auto& ps = fit_params();
    for (std::size_t i = 0; i < ps.size(); ++i)
      cal.*(ps[i].second.field) = x[static_cast<Eigen::Index>(i)];
    fit_baseline_split(cal, in_.baseline, in_.aggregate.baseline_split);
    return cal;
  }

  // Per-task costs of AE and HP over the whole suite for parameters x.
  void evaluate(const Eigen::VectorXd& x, std::vector<TaskCost>& ae, std::vector<TaskCost>& hp,
                SuiteCost& sa, SuiteCost& sh) const {
    const Calibration cal = apply(x);
    const auto& hists = histograms(cal.termination_bit_offset, cal.synthesis_skew);
    workloads::Suite suite;
    for (std::size_t i = 0; i < in_.suite.size(); ++i) {
      suite.tasks.push_back(workloads::make_paper_workload(in_.suite[i], hists[i]));
    }
    EvalOptions opt;
    opt.onchip_only = true;  // the paper's methodology
    const SuiteEvaluator ev(suite, in_.baseline, cal, opt);
    sa = ev.evaluate_detailed(in_.ae, ae);
    sh = ev.evaluate_detailed(in_.hp, hp);
  }

  Eigen::VectorXd residuals(const Eigen::VectorXd& x) const {
    std::vector<TaskCost> ae, hp;
    SuiteCost sa, sh;
    evaluate(x, ae, hp, sa, sh);
    const std::size_t n = in_.targets.size();
    Eigen::VectorXd r(static_cast<Eigen::Index>(4 * n + 4));
    for (std::size_t t = 0; t < n; ++t) {
      const auto i = index_[t];
      const auto& tg = in_.targets[t];
      const auto k = static_cast<Eigen::Index>(4 * t);
      r[k + 0] = std::log(ae[i].speedup / tg.ae_speedup);
      r[k + 1] = std::log(hp[i].speedup / tg.hp_speedup);
      r[k + 2] = std::log(ae[i].energy_reduction / tg.ae_energy);
      r[k + 3] = std::log(hp[i].energy_reduction / tg.hp_energy);
    }
    // Robust (soft-L1) loss on the per-task residuals: rho(r) = 2 s^2 (sqrt(1 + (r/s)^2) - 1),
    // fed to least squares as sign(r) sqrt(rho(r)). Tasks the inputs cannot explain (same pruning
    // rate, different paper speedups; BERT-Base SST-2) then pull the global constants less than
    // the many tasks the model does explain. The aggregates stay quadratic.
    const double s = in_.robust_scale;
    if (s > 0) {
      for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(4 * n); ++i) {
        const double rho = 2 * s * s * (std::sqrt(1 + (r[i] / s) * (r[i] / s)) - 1);
        r[i] = std::copysign(std::sqrt(rho), r[i]);
      }
    }
    const auto& ag = in_.aggregate;
    const auto k = static_cast<Eigen::Index>(4 * n);
    r[k + 0] = ag.weight * std::log(sa.speedup_geomean / ag.ae_speedup);
    r[k + 1] = ag.weight * std::log(sh.speedup_geomean / ag.hp_speedup);
    r[k + 2] = ag.weight * std::log(sa.energy_reduction_geomean / ag.ae_energy);
    r[k + 3] = ag.weight * std::log(sh.energy_reduction_geomean / ag.hp_energy);
    return r;
  }

  const std::vector<std::size_t>& index() const { return index_; }

 private:
  // Synthesis depends only on the bit offset and skew: cache it (the Jacobian perturbs the others).
  const std::vector<std::vector<double>>& histograms(double offset, double skew) const {
    const auto key = std::make_pair(offset, skew);
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      it = cache_.emplace(key, workloads::synthesise_paper_histograms(in_.suite, offset, skew))
               .first;
    }
    return it->second;
  }

  const CalibrateInputs& in_;
  std::vector<std::size_t> index_;
  mutable std::map<std::pair<double, double>, std::vector<std::vector<double>>> cache_;
};

}  // namespace

FitReport calibrate(const CalibrateInputs& inputs) {
  const Problem problem(inputs);
  const auto& ps = fit_params();
  const auto np = static_cast<Eigen::Index>(ps.size());
  Eigen::VectorXd x(np);
  for (Eigen::Index i = 0; i < np; ++i) {
    const auto& p = ps[static_cast<std::size_t>(i)].second;
    x[i] = std::clamp(inputs.start.values.*(p.field), p.lo, p.hi);
  }
  Eigen::VectorXd r = problem.residuals(x);
  double cost = r.squaredNorm();
  double lambda = 1e-2;
  FitReport report;
  for (int it = 0; it < 30; ++it) {
    report.iterations = it + 1;
    // Forward-difference Jacobian, stepping inwards at the bounds.
    Eigen::MatrixXd jac(r.size(), np);
    for (Eigen::Index i = 0; i < np; ++i) {
      const auto& p = ps[static_cast<std::size_t>(i)].second;
      Eigen::VectorXd xs = x;
      const double h = x[i] + p.step <= p.hi ? p.step : -p.step;
      xs[i] += h;
      jac.col(i) = (problem.residuals(xs) - r) / h;
    }
    const Eigen::MatrixXd jtj = jac.transpose() * jac;
    const Eigen::VectorXd jtr = jac.transpose() * r;
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      Eigen::MatrixXd a = jtj;
      for (Eigen::Index i = 0; i < np; ++i) a(i, i) += lambda * (jtj(i, i) + 1e-9);
      Eigen::VectorXd xn = x - a.ldlt().solve(jtr);
      for (Eigen::Index i = 0; i < np; ++i) {
        const auto& p = ps[static_cast<std::size_t>(i)].second;
        xn[i] = std::clamp(xn[i], p.lo, p.hi);
      }
      const Eigen::VectorXd rn = problem.residuals(xn);
      if (rn.squaredNorm() < cost) {
        improved = (cost - rn.squaredNorm()) > 1e-10 * cost;
        x = xn;
        r = rn;
        cost = rn.squaredNorm();
        lambda = std::max(lambda / 3, 1e-7);
        if (!improved) break;
        improved = true;
      } else {
        lambda *= 4;
      }
    }
    if (!improved) break;
  }

  const Calibration cal = problem.apply(x);
  report.result = inputs.start;
  report.result.values = cal;
  for (Eigen::Index i = 0; i < np; ++i) {
    report.parameters.emplace_back(ps[static_cast<std::size_t>(i)].first, x[i]);
  }
  std::vector<TaskCost> ae, hp;
  SuiteCost sa, sh;
  problem.evaluate(x, ae, hp, sa, sh);
  double sq = 0;
  for (std::size_t t = 0; t < inputs.targets.size(); ++t) {
    const auto i = problem.index()[t];
    const auto& tg = inputs.targets[t];
    report.rows.push_back({tg.model, tg.task, "ae", "speedup", tg.ae_speedup, ae[i].speedup});
    report.rows.push_back({tg.model, tg.task, "hp", "speedup", tg.hp_speedup, hp[i].speedup});
    report.rows.push_back(
        {tg.model, tg.task, "ae", "energy_reduction", tg.ae_energy, ae[i].energy_reduction});
    report.rows.push_back(
        {tg.model, tg.task, "hp", "energy_reduction", tg.hp_energy, hp[i].energy_reduction});
  }
  for (const auto& row : report.rows) sq += std::pow(std::log(row.fitted / row.target), 2);
  report.rms_log_error = std::sqrt(sq / static_cast<double>(report.rows.size()));
  const auto& ag = inputs.aggregate;
  report.aggregates = {
      {"all", "geomean", "ae", "speedup", ag.ae_speedup, sa.speedup_geomean},
      {"all", "geomean", "ae", "energy_reduction", ag.ae_energy, sa.energy_reduction_geomean},
      {"all", "geomean", "hp", "speedup", ag.hp_speedup, sh.speedup_geomean},
      {"all", "geomean", "hp", "energy_reduction", ag.hp_energy, sh.energy_reduction_geomean}};
  return report;
}

}  // namespace leopard::models
