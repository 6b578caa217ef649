// The cost-model seam: a CostModel prices one task on one design. It never searches; the search
// never knows hardware (docs/cost-model.md §1). LeopardCostModel covers LeOPArd-style designs and
// the bit-parallel baseline (a baseline is a LeOPArd spec with pruning off and B = qk.bits).
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost.hpp"
#include "workloads/workload.hpp"

namespace leopard::models {

constexpr int kMaxBitsPerCycle = 32;

// Design-independent moments of one head's statistics, precomputed once per sweep: for every B,
// the mean and variance of the steps ceil(b1 / B) taken by a pruned score.
struct HeadProfile {
  double prune_rate = 0;
  int hist_bits = 0;  // n of the histogram (0: nothing pruned)
  std::array<double, kMaxBitsPerCycle + 1> pruned_steps_mean{};  // index B
  std::array<double, kMaxBitsPerCycle + 1> pruned_steps_var{};
  std::vector<double> hist;         // the histogram itself, for designs with fewer bits than it has
  std::vector<double> plane_alive;  // measured share of K plane blocks alive per bit (optional)
};

// The heads of a layer with their own statistics, as struct-of-arrays for the head kernel
// (models/head_kernel.hpp): the same numbers as the layer's HeadProfiles.
struct HeadBlock {
  std::vector<double> rate;    // per head: prune_rate
  std::vector<int> hist_bits;  // per head: hist_bits
  std::vector<double> mean;    // [B x heads + h]: pruned_steps_mean[B] of head h, B = 0..32
  std::vector<double> var;     // the same for pruned_steps_var
  int max_hist_bits = 0;
  int min_hist_bits = 0;
};

struct LayerProfile {
  workloads::AttentionLayer shape;
  double scores_per_head = 0;
  std::vector<HeadProfile> heads;  // one per head, or a single entry shared by all heads
  HeadBlock block;                 // heads.size() > 1: the same statistics, struct-of-arrays
  int memo_slot = -1;              // this layer's entry in a HeadMemo (-1: not memoised)
  int repeat = 1;                  // identical consecutive layers merged into one profile
  // Decode (docs/cost-model.md, "Decode"): one step of one layer for `batch` sequences, each with
  // its own KV cache of shape.k_len keys (after any sliding window): shape.q_len = batch rows per
  // head, K/V streamed from DRAM once per step and KV group, shared by the group's query heads.
  bool decode = false;
  int batch = 1;
  int step = 0;  // decode: the generated step (0-based) this layer belongs to
};

struct TaskProfile {
  std::string model;
  std::string task;
  std::vector<LayerProfile> layers;
  // Decode tasks: `steps` generated tokens per sequence (k_len runs from context to
  // context + steps - 1) for `batch` sequences; the task's cost covers all steps.
  bool decode = false;
  int steps = 1;
  int batch = 1;
};

TaskProfile precompute_task(const workloads::TaskWorkload& task);

// Per-design constants derived once from the spec and calibration (energies at the design's node).
struct DesignConstants {
  double clock_hz = 0;
  double qk_pj_per_lane_step = 0;  // one lane, one step of B bits (incl. overhead)
  double qk_idle_pj = 0;           // one idle unit-cycle
  double kbuf_read_pj_per_bit = 0;
  double kbuf_write_pj_per_bit = 0;
  double vbuf_read_pj_per_bit = 0;
  double vbuf_write_pj_per_bit = 0;
  double softmax_pj = 0;
  double mac_pj = 0;
  double fifo_pj = 0;
  double leakage_w = 0;  // whole chip
  double area_mm2 = 0;
  std::array<double, 6> area_split{};  // qk, key buffer, value buffer, x V, softmax, other
  int value_banks = 1;
  int key_banks = 1;              // buffers.key_banks, or one per QK unit (auto)
  double key_bits_per_cycle = 0;  // key_banks x port_bits: what the Key buffer delivers per cycle
  // Operating point (models/tech.hpp): the supply used, f_max there, and why the design is
  // physically infeasible ("" when it is not). Infeasible designs are priced all the same.
  double vdd = 0;
  double fmax_mhz = 0;
  double fmax_violation = 0;
  std::string infeasible_reason;
};
DesignConstants derive_constants(const ArchSpec& spec, const Calibration& cal);

std::string area_component_name(int i);

class HeadMemo;  // models/head_kernel.hpp

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Cost of one task. `onchip_only` drops DRAM time and energy (the paper's methodology).
  virtual Cost evaluate(const ArchSpec& spec, const DesignConstants& constants,
                        const TaskProfile& task, bool onchip_only) const = 0;
  virtual std::string name() const = 0;
};

class LeopardCostModel : public CostModel {
 public:
  explicit LeopardCostModel(Calibration calibration) : cal_(calibration) {}
  Cost evaluate(const ArchSpec& spec, const DesignConstants& constants, const TaskProfile& task,
                bool onchip_only) const override;
  // The same cost with the action counts left zero (every other field has the same bits): for
  // sums over a suite, which read only time, energy and the bottleneck. It skips the counts'
  // bookkeeping per head, layer and task (13% of a suite evaluation's instructions).
  // The fast path: heads with their own statistics go through the head kernel, and with a
  // `memo` (per thread, models/head_kernel.hpp) a layer's per-head sums are reused when a design
  // repeats everything they depend on. Equal to evaluate_reference within 1e-9 (tested).
  Cost evaluate_without_actions(const ArchSpec& spec, const DesignConstants& constants,
                                const TaskProfile& task, bool onchip_only,
                                HeadMemo* memo = nullptr) const;
  Cost evaluate(const ArchSpec& spec, const DesignConstants& constants, const TaskProfile& task,
                bool onchip_only, HeadMemo* memo) const;
  // The readable reference: every head priced on its own (models/cost_model_detail.hpp holds the
  // formulas both paths share).
  Cost evaluate_reference(const ArchSpec& spec, const DesignConstants& constants,
                          const TaskProfile& task, bool onchip_only) const;
  // Decode: each generated step priced on its own. Writes the latency (s) and energy (pJ, on-chip
  // plus DRAM, on-chip only with onchip_only) of step t of `task` into latency_s[t], energy_pj[t]
  // (both task.steps long); their sums are evaluate()'s latency and energy.
  void evaluate_steps(const ArchSpec& spec, const DesignConstants& constants,
                      const TaskProfile& task, bool onchip_only, std::span<double> latency_s,
                      std::span<double> energy_pj) const;
  std::string name() const override { return "leopard"; }
  const Calibration& calibration() const { return cal_; }

 private:
  Calibration cal_;
};

// Expected maximum of n i.i.d. standard normals (Blom's approximation), n >= 1.
double expected_max_std_normal(int n);
// E[max(X, Y)] of independent normals (Clark 1961).
double expected_max_normals(double mean_x, double sd_x, double mean_y, double sd_y);

// What limits a task: the part with the most busy cycles on the critical path, i.e. the lowest of
// the three roofs of summarise() (DRAM never with `onchip_only`). The suite's hot path calls it.
inline Bottleneck bottleneck_of(const Cost& cost, bool onchip_only) {
  const double compute =
      cost.back_cycles > cost.front_cycles ? cost.back_cycles : cost.front_cycles;
  if (!onchip_only && cost.dram_cycles > compute) return Bottleneck::kDram;
  return cost.back_cycles > cost.front_cycles ? Bottleneck::kBackEnd : Bottleneck::kFrontEnd;
}

// Fills the TaskCost summary fields (bottleneck, utilisations, roofline) from a Cost.
TaskCost summarise(const std::string& model, const std::string& task, const Cost& cost,
                   const ArchSpec& spec, bool onchip_only);

}  // namespace leopard::models
