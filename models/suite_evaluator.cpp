// SuiteEvaluator: precomputes the suite's task profiles and the baseline once, then prices
// designs over the whole suite.
#include "models/suite_evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "models/cost_model.hpp"
#include "models/head_kernel.hpp"

namespace leopard::models {
namespace {

// The log of a product of positive factors, with one std::log per 2^±600 of range instead of one
// per factor: the running product is folded into the log sum before it could overflow or
// underflow. Equal to the sum of the factors' logs within a few ulps.
class LogProduct {
 public:
  void add(double factor) {
    product_ *= factor;
    if (!(product_ < 0x1p600 && product_ > 0x1p-600)) fold();
  }
  double log() const { return log_sum_ + std::log(product_); }

 private:
  void fold() {
    log_sum_ += std::log(product_);
    product_ = 1.0;
  }
  double product_ = 1.0;
  double log_sum_ = 0.0;
};

}  // namespace

struct SuiteEvaluator::Impl {
  workloads::Suite suite;
  std::vector<TaskProfile> profiles;
  // Per task, one profile per sample (empty: no sample column). Priced one by one for the tail.
  std::vector<std::vector<TaskProfile>> sample_profiles;
  std::size_t max_samples = 0;  // largest sample count of a task (0: no samples in the suite)
  LeopardCostModel model;
  EvalOptions options;
  std::vector<TaskCost> baseline;
  std::vector<double> baseline_energy;  // task_energy(baseline[i].cost), computed once

  // The run memo (models/head_kernel.hpp): one per thread and evaluator, over `memo_slots` layers
  // whose heads differ. `id` tells this evaluator's memo from another's on the same thread.
  std::uint64_t id = 0;
  int memo_slots = 0;

  Impl(const workloads::Suite& s, Calibration cal, EvalOptions opt)
      : suite(s), model(cal), options(opt) {
    static std::atomic<std::uint64_t> next_id{1};
    id = next_id.fetch_add(1);
  }

  // Gives every layer with per-head statistics (of the tasks and their samples) a memo slot.
  void assign_memo_slots() {
    const auto assign = [&](TaskProfile& p) {
      for (LayerProfile& l : p.layers) {
        if (l.heads.size() > 1 && memo_slots < HeadMemo::kMaxSlots) l.memo_slot = memo_slots++;
      }
    };
    for (TaskProfile& p : profiles) assign(p);
    for (auto& samples : sample_profiles) {
      for (TaskProfile& p : samples) assign(p);
    }
  }

  // This thread's memo for this evaluator (nullptr: off, or nothing to memoise).
  HeadMemo* memo() const {
    if (memo_slots == 0 || options.reference || !head_memo_enabled()) return nullptr;
    struct Local {
      std::uint64_t owner = 0;
      std::unique_ptr<HeadMemo> memo;
    };
    thread_local Local local;
    if (local.owner != id) {
      local.memo = std::make_unique<HeadMemo>(static_cast<std::size_t>(memo_slots));
      local.owner = id;
    }
    return local.memo.get();
  }

  Cost price(const ArchSpec& spec, const DesignConstants& k, const TaskProfile& p, bool actions,
             HeadMemo* memo) const {
    if (options.reference) return model.evaluate_reference(spec, k, p, options.onchip_only);
    return actions ? model.evaluate(spec, k, p, options.onchip_only, memo)
                   : model.evaluate_without_actions(spec, k, p, options.onchip_only, memo);
  }

  double task_energy(const Cost& c) const {
    return options.onchip_only ? c.energy_onchip_pj() : c.energy_pj_total();
  }

  // Each sample of task i priced on its own, then nearest-rank percentiles (models/quantiles.hpp).
  // The scratch buffer is per thread and grows once: no allocation in the steady state.
  SampleQuantiles sample_quantiles(const ArchSpec& spec, const DesignConstants& k,
                                   std::size_t i) const {
    const std::vector<TaskProfile>& samples = sample_profiles[i];
    thread_local std::vector<double> scratch;
    if (scratch.size() < 2 * max_samples) scratch.resize(2 * max_samples);
    const std::size_t n = samples.size();
    const std::span<double> lat(scratch.data(), n);
    const std::span<double> energy(scratch.data() + n, n);
    HeadMemo* const m = memo();
    for (std::size_t j = 0; j < n; ++j) {
      const Cost c = price(spec, k, samples[j], false, m);
      lat[j] = c.latency_s;
      energy[j] = c.energy_pj_total() * 1e-12;
    }
    std::sort(lat.begin(), lat.end());
    std::sort(energy.begin(), energy.end());
    SampleQuantiles q;
    q.samples = static_cast<int>(n);
    q.latency_p50_s = nearest_rank_quantile(lat, 50);
    q.latency_p95_s = nearest_rank_quantile(lat, 95);
    q.latency_p99_s = nearest_rank_quantile(lat, 99);
    q.energy_p50_j = nearest_rank_quantile(energy, 50);
    q.energy_p99_j = nearest_rank_quantile(energy, 99);
    return q;
  }

  // Decode tail of task i (docs/cost-model.md, "Decode"): every step of every sample priced at its
  // own k_len, then nearest-rank percentiles over the samples x steps values. A step's time is the
  // time per token (all `batch` sequences advance one token); its energy is shared by the batch.
  void decode_quantiles(const ArchSpec& spec, const DesignConstants& k, std::size_t i,
                        TaskCost& t) const {
    const std::vector<TaskProfile>& samples = sample_profiles[i];
    const std::span<const TaskProfile> inputs = samples.empty()
                                                    ? std::span<const TaskProfile>(&profiles[i], 1)
                                                    : std::span<const TaskProfile>(samples);
    const auto steps = static_cast<std::size_t>(profiles[i].steps);
    const double batch = profiles[i].batch;
    std::vector<double> ms, uj, step_s(steps), step_pj(steps);
    ms.reserve(inputs.size() * steps);
    uj.reserve(inputs.size() * steps);
    for (const TaskProfile& p : inputs) {
      model.evaluate_steps(spec, k, p, options.onchip_only, step_s, step_pj);
      for (std::size_t j = 0; j < steps; ++j) {
        ms.push_back(step_s[j] * 1e3);
        uj.push_back(step_pj[j] * 1e-6 / batch);
      }
    }
    std::sort(ms.begin(), ms.end());
    std::sort(uj.begin(), uj.end());
    t.token_values = static_cast<int>(ms.size());
    t.ms_per_token_p50 = nearest_rank_quantile(ms, 50);
    t.ms_per_token_p99 = nearest_rank_quantile(ms, 99);
    t.uj_per_token_p99 = nearest_rank_quantile(uj, 99);
  }

  SuiteCost run(const ArchSpec& spec, std::vector<TaskCost>* detail) const {
    const DesignConstants k = derive_constants(spec, model.calibration());
    SuiteCost out;
    out.area_mm2 = k.area_mm2;
    out.physically_feasible = k.infeasible_reason.empty();
    out.infeasible_reason = k.infeasible_reason;
    out.vdd = k.vdd;
    out.fmax_mhz = k.fmax_mhz;
    out.fmax_violation = k.fmax_violation;
    double log_lat = 0, log_e = 0;
    // The geometric means' log sums as running products (one std::log per suite, not two per
    // task: they were 7% of a merged-suite design's time).
    LogProduct ratio_speed, ratio_energy;
    // Sums (or log sums) of the tasks' percentiles; only touched when the suite has samples.
    SampleQuantiles tail{0, 0, 0, 0, 0, 0};
    int votes[3] = {0, 0, 0};
    const double n = static_cast<double>(profiles.size());
    HeadMemo* const m = memo();
    for (std::size_t i = 0; i < profiles.size(); ++i) {
      // Hot path: no action counts (SuiteCost reads none), each energy sum once
      // (energy_onchip_pj() is total - dram), the per-task logs of the geometric means only when
      // asked, and no TaskCost (strings) unless details are.
      const Cost c = price(spec, k, profiles[i], detail != nullptr, m);
      const double total_pj = c.energy_pj_total();
      const double onchip_pj = total_pj - c.energy_dram_pj();
      const double e_pj = options.onchip_only ? onchip_pj : total_pj;
      out.latency_s += c.latency_s;
      out.energy_j += e_pj * 1e-12;
      out.energy_onchip_j += onchip_pj * 1e-12;
      out.energy_dram_j += c.energy_dram_pj() * 1e-12;
      if (options.geomean_latency) {
        log_lat += std::log(c.latency_s);
        log_e += std::log(e_pj * 1e-12);
      }
      if (!baseline.empty()) {
        ratio_speed.add(baseline[i].cost.latency_s / c.latency_s);
        ratio_energy.add(baseline_energy[i] / e_pj);
      }
      // The tail: per-sample pricing only for tasks with samples, and nothing at all (not even
      // the sums) when the suite has none (their quantiles are then latency_s and energy_j).
      SampleQuantiles q;
      if (max_samples > 0 || detail != nullptr) {
        q = sample_profiles[i].empty() ? SampleQuantiles::single(c.latency_s, total_pj * 1e-12)
                                       : sample_quantiles(spec, k, i);
      }
      if (max_samples > 0) {
        auto add = [&](double& sum, double v) { sum += options.geomean_latency ? std::log(v) : v; };
        add(tail.latency_p50_s, q.latency_p50_s);
        add(tail.latency_p95_s, q.latency_p95_s);
        add(tail.latency_p99_s, q.latency_p99_s);
        add(tail.energy_p50_j, q.energy_p50_j);
        add(tail.energy_p99_j, q.energy_p99_j);
        tail.samples = std::max(tail.samples, q.samples);
      }
      if (detail == nullptr) {
        ++votes[static_cast<int>(bottleneck_of(c, options.onchip_only))];
        continue;
      }
      TaskCost t = summarise(profiles[i].model, profiles[i].task, c, spec, options.onchip_only);
      ++votes[static_cast<int>(t.bottleneck)];
      if (!baseline.empty()) {
        t.speedup = baseline[i].cost.latency_s / c.latency_s;
        t.energy_reduction = baseline_energy[i] / e_pj;
      }
      t.quantiles = q;
      if (profiles[i].decode) {
        // Per generated token of all sequences (one step) and per token (docs/cost-model.md).
        const double steps = profiles[i].steps;
        const double tokens = steps * profiles[i].batch;
        t.decode = true;
        t.ms_per_token = c.latency_s / steps * 1e3;
        t.tokens_per_s = c.latency_s > 0 ? tokens / c.latency_s : 0;
        t.uj_per_token = c.energy_pj_total() * 1e-6 / tokens;
        t.dram_bytes_per_token = c.actions.dram_bytes / tokens;
        t.dram_k_bytes_per_token = c.actions.dram_k_bytes / tokens;
        t.dram_v_bytes_per_token = c.actions.dram_v_bytes / tokens;
        decode_quantiles(spec, k, i, t);
      }
      detail->push_back(std::move(t));
    }
    out.power_w = out.latency_s > 0 ? out.energy_j / out.latency_s : 0;
    if (options.geomean_latency && n > 0) {
      out.latency_s = std::exp(log_lat / n);
      out.energy_j = std::exp(log_e / n);
    }
    if (max_samples == 0) {
      out.quantiles = SampleQuantiles::single(out.latency_s, out.energy_j);
    } else {
      if (options.geomean_latency && n > 0) {
        for (double* v : {&tail.latency_p50_s, &tail.latency_p95_s, &tail.latency_p99_s,
                          &tail.energy_p50_j, &tail.energy_p99_j}) {
          *v = std::exp(*v / n);
        }
      }
      out.quantiles = tail;
    }
    if (n > 0) {
      out.speedup_geomean = std::exp(ratio_speed.log() / n);
      out.energy_reduction_geomean = std::exp(ratio_energy.log() / n);
    }
    int best = 0;
    for (int b = 1; b < 3; ++b) {
      if (votes[b] > votes[best]) best = b;
    }
    out.bottleneck = static_cast<Bottleneck>(best);
    return out;
  }
};

SuiteEvaluator::SuiteEvaluator(const workloads::Suite& suite, const ArchSpec& baseline,
                               Calibration calibration, EvalOptions options)
    : impl_(std::make_unique<Impl>(suite, calibration, options)) {
  for (const auto& t : suite.tasks) {
    impl_->profiles.push_back(precompute_task(t));
    std::vector<TaskProfile> samples;
    if (!t.samples.empty()) {
      workloads::TaskWorkload one = t;  // the task's shapes and fields, one sample's statistics
      one.samples.clear();
      for (const auto& layers : t.samples) {
        one.layers = layers;
        samples.push_back(precompute_task(one));
      }
    }
    impl_->max_samples = std::max(impl_->max_samples, samples.size());
    impl_->sample_profiles.push_back(std::move(samples));
  }
  impl_->assign_memo_slots();
  std::vector<TaskCost> base;
  impl_->run(baseline, &base);
  for (auto& t : base) {
    t.speedup = 1;
    t.energy_reduction = 1;
  }
  impl_->baseline = std::move(base);
  for (const auto& t : impl_->baseline)
    impl_->baseline_energy.push_back(impl_->task_energy(t.cost));
}

SuiteEvaluator::~SuiteEvaluator() = default;
SuiteEvaluator::SuiteEvaluator(SuiteEvaluator&&) noexcept = default;

SuiteCost SuiteEvaluator::evaluate(const ArchSpec& spec) const { return impl_->run(spec, nullptr); }

SuiteCost SuiteEvaluator::evaluate_detailed(const ArchSpec& spec,
                                            std::vector<TaskCost>& tasks) const {
  tasks.clear();
  return impl_->run(spec, &tasks);
}

const workloads::Suite& SuiteEvaluator::suite() const { return impl_->suite; }
bool SuiteEvaluator::has_samples() const { return impl_->max_samples > 0; }
const std::vector<TaskCost>& SuiteEvaluator::baseline_tasks() const { return impl_->baseline; }

}  // namespace leopard::models
