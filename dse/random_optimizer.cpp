// RandomOptimizer: designs in a seeded random order without repetition (a Feistel permutation of
// the indices, O(1) memory); with shards, position p of the permutation goes to shard p % N.
#include <algorithm>

#include "dse/optimizer.hpp"
#include "dse/permutation.hpp"

namespace leopard::dse {

namespace {

class RandomOptimizer final : public Optimizer {
 public:
  RandomOptimizer(const SearchSpace& space, const OptimizerOptions& options)
      : perm_(space.size(), options.seed),
        position_(options.shard_index),
        step_(options.shard_count) {
    const std::int64_t size = space.size();
    const std::int64_t in_shard =
        size > options.shard_index ? (size - options.shard_index + step_ - 1) / step_ : 0;
    planned_ = options.budget > 0 ? std::min(options.budget, in_shard) : in_shard;
  }

  std::vector<std::int64_t> ask(std::size_t max_count) override {
    std::vector<std::int64_t> out;
    while (out.size() < max_count && asked_ < planned_) {
      out.push_back(perm_(position_));
      position_ += step_;
      ++asked_;
    }
    return out;
  }
  void tell(const std::vector<Evaluation>&) override {}
  bool done() const override { return asked_ >= planned_; }
  std::int64_t planned() const override { return planned_; }

 private:
  RandomPermutation perm_;
  std::int64_t position_;
  std::int64_t step_;
  std::int64_t planned_ = 0;
  std::int64_t asked_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> make_random_optimizer(const SearchSpace& space,
                                                 const OptimizerOptions& options) {
  return std::make_unique<RandomOptimizer>(space, options);
}

}  // namespace leopard::dse
