// The explicit registry of search strategies: adding one is one file plus one line here.
#include <fmt/format.h>

#include "dse/optimizer.hpp"
#include "workloads/core/error.hpp"

namespace leopard::dse {

const std::vector<OptimizerEntry>& optimizer_registry() {
  static const std::vector<OptimizerEntry> entries = {
      {"grid", "every design in index order (exhaustive; --budget takes the first N)", true,
       make_grid_optimizer},
      {"random", "seeded random order without repetition (--budget designs, default all)", true,
       make_random_optimizer},
      {"nsga2", "pagmo2 NSGA-II over the axis indices (--budget distinct designs, --seed)", false,
       make_nsga2_optimizer},
  };
  return entries;
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const auto& e : optimizer_registry()) names.push_back(e.name);
  return names;
}

std::int64_t SearchSpace::size() const {
  std::int64_t n = 1;
  for (auto r : radices) n *= r;
  return n;
}

std::vector<std::int64_t> SearchSpace::decode(std::int64_t index) const {
  std::vector<std::int64_t> digits(radices.size());
  for (std::size_t i = radices.size(); i-- > 0;) {
    digits[i] = index % radices[i];
    index /= radices[i];
  }
  return digits;
}

std::int64_t SearchSpace::encode(const std::vector<std::int64_t>& digits) const {
  std::int64_t index = 0;
  for (std::size_t i = 0; i < radices.size(); ++i) index = index * radices[i] + digits[i];
  return index;
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const SearchSpace& space,
                                          const OptimizerOptions& options) {
  for (const auto& e : optimizer_registry()) {
    if (e.name != name) continue;
    if (options.shard_count > 1 && !e.supports_shards) {
      throw InputError("", 0, "--shard",
                       fmt::format("strategy '{}' cannot be sharded (grid and random can)", name));
    }
    return e.make(space, options);
  }
  throw InputError(
      "", 0, "--strategy",
      fmt::format("unknown strategy '{}' (known: {})", name, fmt::join(optimizer_names(), ", ")));
}

}  // namespace leopard::dse
