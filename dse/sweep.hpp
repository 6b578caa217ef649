// The sweep driver: asks a strategy for designs, evaluates them on a thread pool through a
// callback, reduces the results in ask order (identical output for any thread count), streams them
// to a store callback and to a Pareto archive. It knows nothing of hardware: designs are indices.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "dse/optimizer.hpp"
#include "dse/pareto_archive.hpp"
#include "results/records.hpp"

namespace leopard::dse {

// The result of evaluating one design.
struct Outcome {
  DesignStatus status = DesignStatus::kInvalid;
  double violation = 0;          // > 0 iff kInfeasible
  results::DesignRecord record;  // filled unless kInvalid (objectives in the space's order)
};

struct SweepProgress {
  std::int64_t done = 0;     // designs processed (evaluated + invalid)
  std::int64_t planned = 0;  // the strategy's plan
  std::int64_t invalid = 0;
  std::int64_t infeasible = 0;
  std::size_t pareto = 0;
  double seconds = 0;
};

struct SweepHooks {
  // Required; called concurrently from the pool.
  std::function<Outcome(std::int64_t index)> evaluate;
  // Optional; called from the driver thread, in ask order, for each evaluated (not invalid) design
  // that is not already stored. A batch's records are handed over while the pool evaluates the
  // next batch, so a synchronous store overlaps evaluation without using an extra thread.
  std::function<void(results::DesignRecord&& record)> store;
  // Optional (resume): designs already in the store are re-evaluated (cheap, deterministic) to
  // rebuild the archive and the strategy's state, but not stored again.
  std::function<bool(std::int64_t index)> already_stored;
  // Optional; called from the driver thread after each batch.
  std::function<void(const SweepProgress&)> progress;
  // Optional; when it becomes true the sweep stops after the current batch.
  const std::atomic<bool>* stop = nullptr;
};

struct SweepOptions {
  int threads = 0;                // 0: all hardware threads
  std::size_t batch_size = 4096;  // designs asked per round (memory bound: one batch of records)
  int num_objectives = 1;
  std::optional<std::vector<double>> reference;  // hypervolume reference; default from the front
};

struct SweepSummary {
  std::int64_t designs = 0;     // designs evaluated (feasible + infeasible)
  std::int64_t invalid = 0;     // skipped: invalid parameter combinations
  std::int64_t infeasible = 0;  // evaluated, physically infeasible or violating a constraint
  std::int64_t stored = 0;      // records handed to the store hook
  double seconds = 0;
  double designs_per_s = 0;  // (designs + invalid) / seconds
  std::size_t pareto = 0;
  double hypervolume = 0;
  std::vector<double> reference;
  bool interrupted = false;
  std::vector<ParetoPoint> front;  // feasible non-dominated designs (id = design index), by index
};

SweepSummary run_sweep(Optimizer& optimizer, const SweepOptions& options, const SweepHooks& hooks);

}  // namespace leopard::dse
