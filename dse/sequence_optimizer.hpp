// SequenceOptimizer: walks the positions I, I + N, I + 2N, ... of a fixed order of the space (this
// shard's share, I of N), maps each position to a design index, and stops at the budget. Grid
// (identity order) and random (a seeded permutation) differ only in that mapping.
#pragma once

#include <algorithm>
#include <utility>

#include "dse/optimizer.hpp"

namespace leopard::dse {

template <class Order>  // Order: std::int64_t operator()(std::int64_t position) const
class SequenceOptimizer final : public Optimizer {
 public:
  SequenceOptimizer(std::int64_t size, const OptimizerOptions& options, Order order)
      : order_(std::move(order)), position_(options.shard_index), step_(options.shard_count) {
    const std::int64_t in_shard =
        size > options.shard_index ? (size - options.shard_index + step_ - 1) / step_ : 0;
    planned_ = options.budget > 0 ? std::min(options.budget, in_shard) : in_shard;
  }

  std::vector<std::int64_t> ask(std::size_t max_count) override {
    std::vector<std::int64_t> out;
    while (out.size() < max_count && asked_ < planned_) {
      out.push_back(order_(position_));
      position_ += step_;
      ++asked_;
    }
    return out;
  }
  void tell(const std::vector<Evaluation>&) override {}
  bool done() const override { return asked_ >= planned_; }
  std::int64_t planned() const override { return planned_; }

 private:
  Order order_;
  std::int64_t position_;
  std::int64_t step_;
  std::int64_t planned_ = 0;
  std::int64_t asked_ = 0;
};

}  // namespace leopard::dse
