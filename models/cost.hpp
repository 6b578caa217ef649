// The cost of running a workload on a design: a value that adds up (head -> layer -> task -> suite)
// and carries the energy breakdown, action counts, utilisations and the bottleneck
// (docs/cost-model.md §5.3 for the sums, §9 for the roofline, §10 for the energy).
#pragma once

#include <array>
#include <string>

#include "models/quantiles.hpp"

namespace leopard::models {

enum class Bottleneck { kFrontEnd, kBackEnd, kDram };
std::string to_string(Bottleneck b);

// Energy components (paper Fig. 11 names plus what the paper leaves out).
enum class Component : int {
  kQkCompute = 0,  // bit-serial (or bit-parallel) QK datapath, margin, compare
  kKeyBuffer,      // Key-buffer reads (K bit slices)
  kSoftmax,        // softmax LUT, accumulate, normalise
  kVCompute,       // x V MAC array
  kValueBuffer,    // Value-buffer reads of surviving rows
  kFifo,           // score and index FIFO traffic
  kBufferFill,     // SRAM writes when K/V/Q are loaded
  kLeakage,        // static power x time (logic and SRAM)
  kDram,           // off-chip traffic
  kCount
};
constexpr int kNumComponents = static_cast<int>(Component::kCount);
std::string to_string(Component c);

// Counted actions (what the energy table multiplies; docs/cost-model.md §10.1).
struct Actions {
  double scores = 0;             // scores computed
  double survivors = 0;          // scores that reach the back end
  double qk_unit_steps = 0;      // busy QK-unit cycles (one unit, one step of B bits)
  double qk_idle_steps = 0;      // QK-unit cycles spent waiting (slowest unit, stalls)
  double k_bits_read = 0;        // bits read from the Key buffer
  double v_bits_read = 0;        // bits read from the Value buffer
  double macs = 0;               // x V multiply-accumulates
  double softmax_ops = 0;        // exponent lookups + accumulations
  double fifo_ops = 0;           // FIFO writes + reads
  double sram_bits_written = 0;  // buffer fills
  double dram_bytes = 0;         // off-chip bytes
  double dense_macs = 0;         // attention MACs of the dense computation (QK^T + PV)
  double dram_k_bytes = 0;       // decode: the K part of dram_bytes
  double dram_v_bytes = 0;       // decode: the V part of dram_bytes

  Actions& operator+=(const Actions& o);
  Actions& operator*=(double n);
};

struct Cost {
  double cycles = 0;          // wall-clock cycles (after overlap with DRAM)
  double compute_cycles = 0;  // on-chip pipeline cycles
  double front_cycles = 0;    // QK-PU busy cycles on the critical path
  double back_cycles = 0;     // V-PU busy cycles
  double stall_cycles = 0;    // front-end cycles lost waiting on the back end
  double dram_cycles = 0;     // cycles to move the DRAM traffic at the design's bandwidth
  double latency_s = 0;
  std::array<double, kNumComponents> energy_pj{};
  Actions actions;

  double energy_pj_total() const;
  double energy_dram_pj() const { return energy_pj[static_cast<int>(Component::kDram)]; }
  double energy_onchip_pj() const { return energy_pj_total() - energy_dram_pj(); }
  // Sequential composition: latencies and energies add.
  Cost& operator+=(const Cost& o);
  // n identical copies run one after the other.
  Cost& operator*=(double n);
  // The same two without the action counts (left as they are), for the suite's hot path, which
  // reads none of them (LeopardCostModel::evaluate_without_actions).
  Cost& add_time_energy(const Cost& o);
  Cost& scale_time_energy(double n);
};

// Cost of one task with its comparison to the baseline.
struct TaskCost {
  std::string model;
  std::string task;
  Cost cost;
  double speedup = 0;           // baseline latency / this latency
  double energy_reduction = 0;  // baseline energy / this energy (on-chip only with onchip_only)
  Bottleneck bottleneck = Bottleneck::kFrontEnd;
  double qk_utilization = 0;    // busy QK-unit cycles / available
  double vpu_utilization = 0;   // V-PU busy cycles / compute cycles
  double dram_utilization = 0;  // DRAM cycles / total cycles
  double op_intensity = 0;      // dense attention ops per DRAM byte
  // Roofline (docs/cost-model.md §9) in dense-equivalent ops/s (a pruning design's roofs may exceed
  // the dense peak): the rate each part alone would sustain on this task (dense ops / its busy time
  // on the critical path); DRAM: bandwidth x operational intensity (0 with onchip_only: no roof).
  double roof_front_gops = 0;
  double roof_back_gops = 0;
  double roof_dram_gops = 0;
  double attainable_gops = 0;  // the lowest roof; `bottleneck` names it
  double achieved_gops = 0;    // dense ops / latency (<= attainable_gops)
  // Decode tasks (0 for prefill): per generated token of all `batch` sequences (a step), and per
  // token: ms_per_token is the mean step time, tokens_per_s = batch / step time.
  bool decode = false;
  double ms_per_token = 0;
  double tokens_per_s = 0;
  double uj_per_token = 0;            // energy (on-chip + DRAM) per generated token
  double dram_bytes_per_token = 0;    // DRAM bytes per generated token
  double dram_k_bytes_per_token = 0;  // its K part (the rest: V, then Q and outputs)
  double dram_v_bytes_per_token = 0;
  // Decode tail: nearest-rank percentiles over every (sample x generated step), each step priced
  // at its own k_len (steps x 1 values without samples). token_values = how many were ranked.
  int token_values = 0;
  double ms_per_token_p50 = 0;
  double ms_per_token_p99 = 0;
  double uj_per_token_p99 = 0;
  // Per-sample tail (statistics with a sample column): each sample priced on its own. `cost` is
  // the pooled samples priced once. Without samples, every quantile is `cost`'s own value.
  SampleQuantiles quantiles;
};

}  // namespace leopard::models
