// Nsga2Optimizer: pagmo2's NSGA-II over the integer indices of the axes, driven in ask/tell form.
//
// pagmo's algorithms pull fitness values; the sweep pushes them. The bridge is a replay: the
// problem's batch_fitness answers from a cache of told values and, on the first uncached design,
// throws NeedEvaluations with every uncached design of the batch. ask() returns those; after
// tell() fills the cache, the same generation is re-run from a copy of the algorithm taken before
// it (same random state, so the same offspring), which now completes. Single-threaded and therefore
// deterministic for a seed whatever the sweep's thread count. Re-proposed designs are served from
// the cache and do not count against the budget. Memory: the cache holds at most `budget` entries.
#include <algorithm>
#include <cmath>
#include <optional>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/batch_evaluators/member_bfe.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/types.hpp>
#include <unordered_map>
#include <unordered_set>

#include "dse/optimizer.hpp"
#include "dse/permutation.hpp"
#include "workloads/core/error.hpp"

namespace leopard::dse {

namespace {

// Penalised objective values (all objectives alike) so that every feasible design dominates every
// infeasible one, less violation dominates more, and invalid designs are worst of all.
constexpr double kInfeasiblePenalty = 1e30;
constexpr double kInvalidPenalty = 1e36;
// Generations in a row that propose nothing new before the search is declared converged.
constexpr int kMaxStaleGenerations = 200;

struct NeedEvaluations {
  std::vector<std::int64_t> indices;
};

// Shared between the optimizer and the pagmo problem (which pagmo copies by value).
struct Context {
  SearchSpace space;
  std::vector<std::size_t> free_axes;  // axes with more than one value (the decision vector)
  std::unordered_map<std::int64_t, std::vector<double>> cache;  // index -> penalised fitness

  std::int64_t index_of(const double* x) const {
    std::vector<std::int64_t> digits(space.radices.size(), 0);
    for (std::size_t j = 0; j < free_axes.size(); ++j) {
      const std::size_t a = free_axes[j];
      const auto hi = static_cast<double>(space.radices[a] - 1);
      digits[a] = static_cast<std::int64_t>(std::clamp(std::round(x[j]), 0.0, hi));
    }
    return space.encode(digits);
  }
};

class IndexProblem {
 public:
  IndexProblem() = default;
  explicit IndexProblem(Context* ctx) : ctx_(ctx) {}

  pagmo::vector_double fitness(const pagmo::vector_double& x) const { return batch_fitness(x); }
  pagmo::vector_double batch_fitness(const pagmo::vector_double& dvs) const {
    const std::size_t dim = ctx_->free_axes.size();
    const std::size_t n = dim == 0 ? 0 : dvs.size() / dim;
    pagmo::vector_double out;
    out.reserve(n * static_cast<std::size_t>(ctx_->space.num_objectives));
    NeedEvaluations need;
    std::unordered_set<std::int64_t> seen;
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t index = ctx_->index_of(&dvs[i * dim]);
      auto it = ctx_->cache.find(index);
      if (it == ctx_->cache.end()) {
        if (seen.insert(index).second) need.indices.push_back(index);
        continue;
      }
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
    if (!need.indices.empty()) throw need;
    return out;
  }
  bool has_batch_fitness() const { return true; }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    pagmo::vector_double lo, hi;
    for (auto a : ctx_->free_axes) {
      lo.push_back(0);
      hi.push_back(static_cast<double>(ctx_->space.radices[a] - 1));
    }
    return {lo, hi};
  }
  pagmo::vector_double::size_type get_nobj() const {
    return static_cast<pagmo::vector_double::size_type>(ctx_->space.num_objectives);
  }
  pagmo::vector_double::size_type get_nix() const { return ctx_->free_axes.size(); }
  std::string get_name() const { return "leopard design-space indices"; }

 private:
  Context* ctx_ = nullptr;
};

std::size_t population_size(std::int64_t budget) {
  // About a quarter of the budget per generation (measured best on small budgets), a multiple of 4
  // (pagmo's NSGA-II needs it), 8..100.
  const std::int64_t p = std::clamp<std::int64_t>((budget / 4 + 3) / 4 * 4, 8, 100);
  return static_cast<std::size_t>(p);
}

class Nsga2Optimizer final : public Optimizer {
 public:
  Nsga2Optimizer(const SearchSpace& space, const OptimizerOptions& options)
      : ctx_(std::make_unique<Context>()), seed_(options.seed) {
    if (space.num_objectives < 2) {
      throw InputError("", 0, "objectives", "nsga2 needs at least two objectives");
    }
    ctx_->space = space;
    for (std::size_t a = 0; a < space.radices.size(); ++a) {
      if (space.radices[a] > 1) ctx_->free_axes.push_back(a);
    }
    const std::int64_t size = space.size();
    budget_ = options.budget > 0 ? options.budget : std::max<std::int64_t>(100, size / 10);
    budget_ = std::min(budget_, size);
    pop_size_ = population_size(budget_);
    const auto seed32 = static_cast<unsigned>(splitmix64(seed_) & 0xffffffffu);
    const double mutation =
        ctx_->free_axes.empty() ? 0.5 : 1.0 / static_cast<double>(ctx_->free_axes.size());
    algo_.emplace(1u, 0.95, 10., mutation, 50., seed32);
    algo_->set_bfe(pagmo::bfe{pagmo::member_bfe{}});
    if (!ctx_->free_axes.empty()) problem_.emplace(IndexProblem(ctx_.get()));
  }

  std::vector<std::int64_t> ask(std::size_t max_count) override {
    if (!pending_.empty() || done()) return {};
    std::vector<std::int64_t> out;
    if (!initialised_) {
      // Initial population: distinct designs from a seeded permutation of the space.
      RandomPermutation perm(ctx_->space.size(), seed_);
      const auto n = std::min<std::int64_t>({static_cast<std::int64_t>(pop_size_), remaining(),
                                             static_cast<std::int64_t>(max_count)});
      for (std::int64_t p = 0; p < n; ++p) out.push_back(perm(p));
      initial_ = out;
    } else {
      out = next_generation();
    }
    if (out.size() > max_count) out.resize(max_count);
    pending_ = out;
    return out;
  }

  void tell(const std::vector<Evaluation>& evaluations) override {
    for (const auto& e : evaluations) {
      std::vector<double> f;
      switch (e.status) {
        case DesignStatus::kFeasible:
          f = e.objectives;
          break;
        case DesignStatus::kInfeasible:
          f.assign(static_cast<std::size_t>(ctx_->space.num_objectives),
                   kInfeasiblePenalty * (1.0 + std::min(e.violation, 1e5)));
          break;
        case DesignStatus::kInvalid:
          f.assign(static_cast<std::size_t>(ctx_->space.num_objectives), kInvalidPenalty);
          break;
      }
      for (auto& v : f) {
        if (!std::isfinite(v)) v = kInvalidPenalty;
      }
      if (ctx_->cache.emplace(e.index, std::move(f)).second) ++evaluated_;
    }
    pending_.clear();
    if (!initialised_ && problem_ && !initial_.empty() &&
        std::all_of(initial_.begin(), initial_.end(),
                    [&](std::int64_t i) { return ctx_->cache.count(i) > 0; })) {
      build_population();
    }
  }

  bool done() const override {
    if (evaluated_ >= budget_) return true;
    if (initialised_ && (stale_ >= kMaxStaleGenerations || !problem_)) return true;
    return false;
  }
  std::int64_t planned() const override { return budget_; }

 private:
  std::int64_t remaining() const { return budget_ - evaluated_; }

  void build_population() {
    pop_.emplace(*problem_, 0u, static_cast<unsigned>(seed_ & 0xffffffffu));
    const auto digits_of = [&](std::int64_t index) {
      const auto digits = ctx_->space.decode(index);
      pagmo::vector_double x;
      for (auto a : ctx_->free_axes) x.push_back(static_cast<double>(digits[a]));
      return x;
    };
    for (auto index : initial_) pop_->push_back(digits_of(index), ctx_->cache.at(index));
    // NSGA-II needs a population that is a multiple of 4 and >= 8: pad with repeats when the space
    // or the budget was smaller than the population.
    for (std::size_t i = 0; pop_->size() < pop_size_; ++i) {
      const auto index = initial_[i % initial_.size()];
      pop_->push_back(digits_of(index), ctx_->cache.at(index));
    }
    initialised_ = true;
  }

  // Runs generations until one needs designs not evaluated yet; returns those (within budget).
  std::vector<std::int64_t> next_generation() {
    if (!pop_) return {};
    while (stale_ < kMaxStaleGenerations) {
      pagmo::nsga2 attempt = *algo_;  // same random state on every replay of this generation
      try {
        pagmo::population next = attempt.evolve(*pop_);
        pop_.emplace(std::move(next));
        algo_.emplace(std::move(attempt));
        ++stale_;
      } catch (const NeedEvaluations& need) {
        stale_ = 0;
        std::vector<std::int64_t> out = need.indices;
        if (static_cast<std::int64_t>(out.size()) > remaining()) {
          out.resize(static_cast<std::size_t>(remaining()));
        }
        return out;
      }
    }
    return {};
  }

  std::unique_ptr<Context> ctx_;  // stable address: the pagmo problem points to it
  std::uint64_t seed_;
  std::int64_t budget_ = 0;
  std::size_t pop_size_ = 8;
  std::optional<pagmo::nsga2> algo_;
  std::optional<pagmo::problem> problem_;
  std::optional<pagmo::population> pop_;
  std::vector<std::int64_t> initial_;
  std::vector<std::int64_t> pending_;
  std::int64_t evaluated_ = 0;
  int stale_ = 0;
  bool initialised_ = false;
};

}  // namespace

std::unique_ptr<Optimizer> make_nsga2_optimizer(const SearchSpace& space,
                                                const OptimizerOptions& options) {
  return std::make_unique<Nsga2Optimizer>(space, options);
}

}  // namespace leopard::dse
