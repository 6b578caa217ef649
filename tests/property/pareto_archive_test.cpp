// Property tests of the streaming Pareto archive against a brute-force O(n^2) filter, and of the
// hypervolume wrapper against closed forms.
#include "dse/pareto_archive.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace {

using leopard::dse::ParetoArchive;

struct Pt {
  std::int64_t id;
  std::vector<double> f;
};

// Kept iff no other vector dominates it and no equal vector has a smaller id.
std::vector<std::int64_t> brute_force(const std::vector<Pt>& pts) {
  std::vector<std::int64_t> kept;
  for (const auto& p : pts) {
    bool keep = true;
    for (const auto& q : pts) {
      if (&p == &q) continue;
      if (q.f == p.f) {
        if (q.id < p.id) keep = false;
      } else if (leopard::dse::dominates(q.f, p.f)) {
        keep = false;
      }
      if (!keep) break;
    }
    if (keep) kept.push_back(p.id);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

std::vector<Pt> random_points(int n, int k, int levels, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> level(0, levels - 1);
  std::vector<Pt> pts;
  for (int i = 0; i < n; ++i) {
    Pt p{i, std::vector<double>(static_cast<std::size_t>(k))};
    // Anti-correlated first two objectives make larger fronts; small integer levels make ties.
    const int a = level(rng);
    for (int j = 0; j < k; ++j) p.f[static_cast<std::size_t>(j)] = level(rng);
    p.f[1 % static_cast<std::size_t>(k)] = (levels - 1 - a) + (k > 1 ? level(rng) % 3 : 0);
    p.f[0] = a;
    pts.push_back(p);
  }
  // Exact duplicates with other ids.
  for (int i = 0; i < n / 5; ++i) {
    Pt dup = pts[static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(n))];
    dup.id = n + i;
    pts.push_back(dup);
  }
  std::shuffle(pts.begin(), pts.end(), rng);  // insertion order unrelated to ids
  return pts;
}

}  // namespace

TEST_CASE("Pareto archive equals a brute-force filter (ties, duplicates, any order)",
          "[pareto][property]") {
  std::mt19937_64 rng(12345);
  for (int k : {1, 2, 3, 4}) {
    for (int levels : {3, 8, 50, 1000}) {
      for (int rep = 0; rep < 8; ++rep) {
        const int n = 50 + static_cast<int>(rng() % 400);
        auto pts = random_points(n, k, levels, rng);
        ParetoArchive archive(k);
        for (const auto& p : pts) archive.insert(p.id, p.f);
        INFO("k=" << k << " levels=" << levels << " n=" << pts.size());
        const auto expected = brute_force(pts);
        REQUIRE(archive.ids() == expected);
        REQUIRE(archive.size() == expected.size());
        // The archived vectors are the inserted ones.
        for (const auto& ap : archive.points()) {
          auto it =
              std::find_if(pts.begin(), pts.end(), [&](const Pt& p) { return p.id == ap.id; });
          REQUIRE(it != pts.end());
          REQUIRE(it->f == ap.objectives);
        }
      }
    }
  }
}

TEST_CASE("Pareto archive: continuous random points in 2-4 objectives", "[pareto][property]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int k : {2, 3, 4}) {
    std::vector<Pt> pts;
    for (int i = 0; i < 2000; ++i) {
      Pt p{i, {}};
      for (int j = 0; j < k; ++j) p.f.push_back(u(rng));
      pts.push_back(p);
    }
    ParetoArchive archive(k);
    for (const auto& p : pts) archive.insert(p.id, p.f);
    REQUIRE(archive.ids() == brute_force(pts));
    REQUIRE(archive.size() > 5);
  }
}

TEST_CASE("Pareto archive: duplicate policy keeps the smallest id", "[pareto]") {
  for (int k : {2, 3}) {
    ParetoArchive archive(k);
    std::vector<double> f(static_cast<std::size_t>(k), 1.0);
    REQUIRE(archive.insert(9, f));
    REQUIRE_FALSE(archive.insert(12, f));
    REQUIRE(archive.insert(3, f));
    REQUIRE(archive.ids() == std::vector<std::int64_t>{3});
    // Weakly dominated (equal in all but one, worse there): rejected.
    auto worse = f;
    worse.back() = 2.0;
    REQUIRE_FALSE(archive.insert(1, worse));
    // A dominating point evicts the duplicate.
    auto better = f;
    better.front() = 0.5;
    REQUIRE(archive.insert(20, better));
    REQUIRE(archive.ids() == std::vector<std::int64_t>{20});
  }
}

TEST_CASE("Pareto archive rejects NaN and checks the objective count", "[pareto]") {
  ParetoArchive archive(2);
  std::vector<double> nan_point{std::nan(""), 1.0};
  REQUIRE_FALSE(archive.insert(1, nan_point));
  REQUIRE(archive.size() == 0);
  std::vector<double> three{1, 2, 3};
  REQUIRE_THROWS(archive.insert(2, three));
}

TEST_CASE("Hypervolume matches closed forms", "[pareto][hypervolume]") {
  using leopard::dse::hypervolume;
  // 2-D staircase: (1,3), (2,2), (3,1) with reference (4,4): 3 + 2 + 1 = 6.
  REQUIRE(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}) == Approx(6.0));
  // 3-D single box.
  REQUIRE(hypervolume({{1, 1, 1}}, {2, 3, 4}) == Approx(6.0));
  // Two 3-D boxes overlapping: [0,2]x[0,1]x[0,1] and [0,1]x[0,2]x[0,1], union = 3.
  REQUIRE(hypervolume({{0, 1, 1}, {1, 0, 1}}, {2, 2, 2}) == Approx(3.0));
  // Points outside the reference box contribute nothing.
  REQUIRE(hypervolume({{5, 5}, {1, 1}}, {2, 2}) == Approx(1.0));
  REQUIRE(hypervolume({}, {1, 1}) == 0.0);
  // Default reference: nadir + 10% of max(|nadir|, range).
  const auto ref = leopard::dse::default_reference_point({{1, 4}, {2, 2}});
  REQUIRE(ref[0] == Approx(2.2));
  REQUIRE(ref[1] == Approx(4.4));
  const auto neg = leopard::dse::default_reference_point({{-10, 1}, {-5, 1}});
  REQUIRE(neg[0] == Approx(-4.5));  // -5 + 0.1 * max(5, 5)
  REQUIRE(neg[1] == Approx(1.1));
}
