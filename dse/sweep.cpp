// The sweep driver: ask -> parallel evaluate (TBB, fixed arena) -> ordered reduce -> tell.
#include "dse/sweep.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace leopard::dse {

SweepSummary run_sweep(Optimizer& optimizer, const SweepOptions& options, const SweepHooks& hooks) {
  if (!hooks.evaluate) throw std::invalid_argument("run_sweep: no evaluator");
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tbb::task_arena arena(threads, 1);
  ParetoArchive archive(options.num_objectives);
  SweepSummary summary;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  // Pipelined: while the pool evaluates batch n, the driver thread hands batch n-1's records to the
  // store hook, then joins the pool. The arena reserves one of its `threads` slots for the driver,
  // so the sweep never runs more than `threads` busy threads (with 1 thread: store, then evaluate).
  std::vector<Outcome> outcomes;
  std::vector<Evaluation> told;
  std::vector<results::DesignRecord> to_store;  // the previous batch's records, in ask order
  tbb::task_group group;
  const auto store_pending = [&] {
    for (auto& r : to_store) hooks.store(std::move(r));
    summary.stored += static_cast<std::int64_t>(to_store.size());
    to_store.clear();
  };
  while (!optimizer.done()) {
    if (hooks.stop != nullptr && hooks.stop->load()) {
      summary.interrupted = true;
      break;
    }
    const std::vector<std::int64_t> batch = optimizer.ask(options.batch_size);
    if (batch.empty()) break;
    outcomes.assign(batch.size(), Outcome{});
    arena.execute([&] {
      group.run([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch.size(), 16),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                            for (std::size_t i = r.begin(); i != r.end(); ++i) {
                              outcomes[i] = hooks.evaluate(batch[i]);
                            }
                          });
      });
    });
    try {
      store_pending();
    } catch (...) {
      try {
        arena.execute([&] { group.wait(); });  // the pool still references this frame
      } catch (...) {
        // The store's error is the one to report.
      }
      throw;
    }
    arena.execute([&] { group.wait(); });
    // Ordered reduce: archive, store and tell see the batch in ask order.
    told.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Outcome& o = outcomes[i];
      Evaluation& e = told[i];
      e.index = batch[i];
      e.status = o.status;
      e.violation = o.violation;
      e.objectives.clear();
      if (o.status == DesignStatus::kInvalid) {
        ++summary.invalid;
        continue;
      }
      ++summary.designs;
      e.objectives = o.record.objectives;
      if (o.status == DesignStatus::kInfeasible) {
        ++summary.infeasible;
      } else {
        archive.insert(batch[i], e.objectives);
      }
      if (hooks.store && !(hooks.already_stored && hooks.already_stored(batch[i]))) {
        to_store.push_back(std::move(o.record));
      }
    }
    optimizer.tell(told);
    if (hooks.progress) {
      hooks.progress({summary.designs + summary.invalid, optimizer.planned(), summary.invalid,
                      summary.infeasible, archive.size(), elapsed()});
    }
  }
  store_pending();
  if (!summary.interrupted && hooks.stop != nullptr && hooks.stop->load() && !optimizer.done()) {
    summary.interrupted = true;
  }

  summary.seconds = elapsed();
  const auto processed = static_cast<double>(summary.designs + summary.invalid);
  summary.designs_per_s = summary.seconds > 0 ? processed / summary.seconds : 0.0;
  summary.front = archive.points();
  summary.pareto = summary.front.size();
  std::vector<std::vector<double>> front;
  for (const auto& p : summary.front) front.push_back(p.objectives);
  summary.reference = options.reference ? *options.reference : default_reference_point(front);
  summary.hypervolume = front.empty() ? 0.0 : hypervolume(front, summary.reference);
  return summary;
}

}  // namespace leopard::dse
