// The search side of the ask/tell seam: a strategy proposes design indices and is told their
// objectives. It knows only the shape of the space (axis sizes), never the hardware.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace leopard::dse {

// What a strategy knows about the space: the number of values on each axis (mixed radix, first axis
// most significant) and how many objectives it is told.
struct SearchSpace {
  std::vector<std::int64_t> radices;
  int num_objectives = 1;
  std::int64_t size() const;
  std::vector<std::int64_t> decode(std::int64_t index) const;
  std::int64_t encode(const std::vector<std::int64_t>& digits) const;
};

struct OptimizerOptions {
  std::uint64_t seed = 1;
  std::int64_t budget = 0;       // distinct designs to evaluate; 0 = the strategy's default
  std::int64_t shard_index = 0;  // grid and random: this process evaluates index positions
  std::int64_t shard_count = 1;  // p with p % shard_count == shard_index
};

enum class DesignStatus {
  kFeasible,    // evaluated, physically feasible and all constraints hold
  kInfeasible,  // evaluated, physically infeasible or a constraint fails (violation > 0)
  kInvalid,     // could not be evaluated (an invalid combination of parameters)
};

// One told result. Objectives are minimised; empty for kInvalid.
struct Evaluation {
  std::int64_t index = 0;
  DesignStatus status = DesignStatus::kFeasible;
  std::vector<double> objectives;
  double violation = 0;  // relative violation (f_max and constraints), > 0 iff kInfeasible
};

// Contract:
//  - ask(n) returns at most n design indices in [0, size) never returned before; an empty answer
//    means nothing more to propose right now (the driver then stops when done()).
//  - tell() receives the evaluations of the last ask(), in the same order, before the next ask().
//  - Deterministic: the same options and the same told values give the same asks.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::vector<std::int64_t> ask(std::size_t max_count) = 0;
  virtual void tell(const std::vector<Evaluation>& evaluations) = 0;
  virtual bool done() const = 0;
  // Designs this strategy expects to propose in total (for progress and ETA).
  virtual std::int64_t planned() const = 0;
};

using OptimizerFactory =
    std::function<std::unique_ptr<Optimizer>(const SearchSpace&, const OptimizerOptions&)>;

struct OptimizerEntry {
  std::string name;
  std::string doc;
  bool supports_shards = false;
  OptimizerFactory make;
};

// The explicit registry (registry.cpp): one line per strategy.
const std::vector<OptimizerEntry>& optimizer_registry();
std::vector<std::string> optimizer_names();
// Throws InputError for an unknown name or a shard given to a strategy that cannot shard.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const SearchSpace& space,
                                          const OptimizerOptions& options);

// Factories (one per strategy file).
std::unique_ptr<Optimizer> make_grid_optimizer(const SearchSpace&, const OptimizerOptions&);
std::unique_ptr<Optimizer> make_random_optimizer(const SearchSpace&, const OptimizerOptions&);
std::unique_ptr<Optimizer> make_nsga2_optimizer(const SearchSpace&, const OptimizerOptions&);

}  // namespace leopard::dse
