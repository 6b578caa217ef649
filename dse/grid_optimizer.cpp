// Grid strategy: every design in index order (of this shard: index % N == I), up to the budget.
#include "dse/optimizer.hpp"
#include "dse/sequence_optimizer.hpp"

namespace leopard::dse {

namespace {
struct IndexOrder {
  std::int64_t operator()(std::int64_t position) const { return position; }
};
}  // namespace

std::unique_ptr<Optimizer> make_grid_optimizer(const SearchSpace& space,
                                               const OptimizerOptions& options) {
  return std::make_unique<SequenceOptimizer<IndexOrder>>(space.size(), options, IndexOrder{});
}

}  // namespace leopard::dse
