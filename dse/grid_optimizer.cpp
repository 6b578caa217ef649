// GridOptimizer: every design in index order (of this shard: index % N == I), up to the budget.
#include <algorithm>

#include "dse/optimizer.hpp"

namespace leopard::dse {

namespace {

class GridOptimizer final : public Optimizer {
 public:
  GridOptimizer(const SearchSpace& space, const OptimizerOptions& options)
      : size_(space.size()), next_(options.shard_index), step_(options.shard_count) {
    const std::int64_t in_shard =
        size_ > options.shard_index ? (size_ - options.shard_index + step_ - 1) / step_ : 0;
    planned_ = options.budget > 0 ? std::min(options.budget, in_shard) : in_shard;
  }

  std::vector<std::int64_t> ask(std::size_t max_count) override {
    std::vector<std::int64_t> out;
    while (out.size() < max_count && asked_ < planned_) {
      out.push_back(next_);
      next_ += step_;
      ++asked_;
    }
    return out;
  }
  void tell(const std::vector<Evaluation>&) override {}
  bool done() const override { return asked_ >= planned_; }
  std::int64_t planned() const override { return planned_; }

 private:
  std::int64_t size_;
  std::int64_t next_;
  std::int64_t step_;
  std::int64_t planned_ = 0;
  std::int64_t asked_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> make_grid_optimizer(const SearchSpace& space,
                                               const OptimizerOptions& options) {
  return std::make_unique<GridOptimizer>(space, options);
}

}  // namespace leopard::dse
