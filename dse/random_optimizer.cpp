// Random strategy: designs in a seeded random order without repetition (a Feistel permutation of
// the indices, O(1) memory); with shards, position p of the permutation goes to shard p % N.
#include "dse/optimizer.hpp"
#include "dse/permutation.hpp"
#include "dse/sequence_optimizer.hpp"

namespace leopard::dse {

std::unique_ptr<Optimizer> make_random_optimizer(const SearchSpace& space,
                                                 const OptimizerOptions& options) {
  return std::make_unique<SequenceOptimizer<RandomPermutation>>(
      space.size(), options, RandomPermutation(space.size(), options.seed));
}

}  // namespace leopard::dse
