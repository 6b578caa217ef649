// Search strategies: grid and random enumerate without repetition and cover the space, shards
// partition it, the registry lists every strategy, nsga2 is deterministic and finds a good front.
#include "dse/optimizer.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "dse/permutation.hpp"
#include "synthetic.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::dse;

namespace {

std::vector<std::int64_t> drain(Optimizer& opt, std::size_t batch = 37) {
  std::vector<std::int64_t> all;
  while (!opt.done()) {
    auto b = opt.ask(batch);
    if (b.empty()) break;
    std::vector<Evaluation> told;
    for (auto i : b) {
      const Outcome o = testing::synthetic_evaluate(i);
      told.push_back({i, o.status, o.record.objectives, o.violation});
    }
    opt.tell(told);
    all.insert(all.end(), b.begin(), b.end());
  }
  return all;
}

}  // namespace

TEST_CASE("RandomPermutation is a bijection of [0, n) for many n and seeds", "[dse][optimizer]") {
  for (std::int64_t n : {1, 2, 3, 5, 16, 17, 100, 1000, 4097}) {
    for (std::uint64_t seed : {0ull, 1ull, 99ull}) {
      RandomPermutation p(n, seed);
      std::vector<char> seen(static_cast<std::size_t>(n), 0);
      for (std::int64_t i = 0; i < n; ++i) {
        const auto v = p(i);
        REQUIRE(v >= 0);
        REQUIRE(v < n);
        REQUIRE_FALSE(seen[static_cast<std::size_t>(v)]);
        seen[static_cast<std::size_t>(v)] = 1;
      }
    }
  }
  // Different seeds give different orders; the order is not the identity.
  RandomPermutation a(1000, 1), b(1000, 2);
  int same = 0, fixed = 0;
  for (int i = 0; i < 1000; ++i) {
    same += a(i) == b(i);
    fixed += a(i) == i;
  }
  REQUIRE(same < 50);
  REQUIRE(fixed < 50);
}

TEST_CASE("grid and random cover the space once each; budgets truncate", "[dse][optimizer]") {
  const SearchSpace space = testing::synthetic_space();
  for (const char* name : {"grid", "random"}) {
    INFO(name);
    auto opt = make_optimizer(name, space, {7, 0, 0, 1});
    REQUIRE(opt->planned() == 640);
    auto all = drain(*opt);
    REQUIRE(all.size() == 640);
    std::set<std::int64_t> unique(all.begin(), all.end());
    REQUIRE(unique.size() == 640);
    REQUIRE(*unique.begin() == 0);
    REQUIRE(*unique.rbegin() == 639);
    if (std::string(name) == "grid") REQUIRE(std::is_sorted(all.begin(), all.end()));
    if (std::string(name) == "random") REQUIRE_FALSE(std::is_sorted(all.begin(), all.end()));
    auto limited = make_optimizer(name, space, {7, 50, 0, 1});
    REQUIRE(drain(*limited).size() == 50);
  }
  // Same seed, same random order; another seed, another order.
  auto r1 = make_optimizer("random", space, {3, 0, 0, 1});
  auto r2 = make_optimizer("random", space, {3, 0, 0, 1});
  auto r3 = make_optimizer("random", space, {4, 0, 0, 1});
  const auto o1 = drain(*r1), o2 = drain(*r2), o3 = drain(*r3);
  REQUIRE(o1 == o2);
  REQUIRE(o1 != o3);
}

TEST_CASE("Shards partition the space (grid: index % N == I)", "[dse][optimizer]") {
  const SearchSpace space = testing::synthetic_space();
  for (const char* name : {"grid", "random"}) {
    for (std::int64_t n : {1, 3, 4, 7}) {
      INFO(name << " N=" << n);
      std::vector<int> count(640, 0);
      std::int64_t planned = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        auto opt = make_optimizer(name, space, {11, 0, i, n});
        planned += opt->planned();
        for (auto idx : drain(*opt)) {
          ++count[static_cast<std::size_t>(idx)];
          if (std::string(name) == "grid") REQUIRE(idx % n == i);
        }
      }
      REQUIRE(planned == 640);
      REQUIRE(std::all_of(count.begin(), count.end(), [](int c) { return c == 1; }));
    }
  }
}

TEST_CASE("The registry lists every strategy and refuses unknown names and nsga2 shards",
          "[dse][optimizer]") {
  REQUIRE(optimizer_names() == std::vector<std::string>{"grid", "random", "nsga2"});
  const SearchSpace space = testing::synthetic_space();
  REQUIRE_THROWS_AS(make_optimizer("anneal", space, {}), leopard::InputError);
  REQUIRE_THROWS_AS(make_optimizer("nsga2", space, {1, 0, 0, 2}), leopard::InputError);
  REQUIRE_THROWS_AS(make_optimizer("nsga2", SearchSpace{{4, 4}, 1}, {}), leopard::InputError);
}

TEST_CASE("nsga2 asks distinct designs within its budget, deterministically per seed",
          "[dse][optimizer][nsga2]") {
  const SearchSpace space = testing::synthetic_space();
  auto a = make_optimizer("nsga2", space, {5, 64, 0, 1});
  auto b = make_optimizer("nsga2", space, {5, 64, 0, 1});
  auto c = make_optimizer("nsga2", space, {6, 64, 0, 1});
  const auto ra = drain(*a, 1000), rb = drain(*b, 1000), rc = drain(*c, 1000);
  REQUIRE(ra == rb);
  REQUIRE(ra != rc);
  REQUIRE(ra.size() == 64);
  REQUIRE(std::set<std::int64_t>(ra.begin(), ra.end()).size() == ra.size());
  for (auto i : ra) REQUIRE((i >= 0 && i < 640));
}
