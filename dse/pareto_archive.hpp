// A streaming, exact Pareto archive (all objectives minimised) and the hypervolume of a front.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

namespace leopard::dse {

struct ParetoPoint {
  std::int64_t id = 0;
  std::vector<double> objectives;
};

// True when `a` is no worse than `b` in every objective and strictly better in at least one.
bool dominates(std::span<const double> a, std::span<const double> b);

// Contract:
//  - insert(id, f) keeps exactly the non-dominated points seen so far (exact comparisons, no
//    epsilon). Weak dominance by a different vector rejects a point (or evicts archived points).
//  - Tie policy: points whose objective vectors are exactly equal are duplicates; the archive keeps
//    one of them, the one with the smallest id, whatever the insertion order. The final content is
//    therefore a function of the set of (id, vector) pairs offered, not of their order.
//  - Vectors containing NaN are rejected (never archived); +-inf are ordinary values.
//  - Two objectives: a staircase in a std::map sorted by f0 (f1 strictly decreasing), O(log n) per
//    insert. Any other count: a flat list with early-exit dominance checks, O(front) per insert
//    (fronts of random or correlated objectives in 3-4 dimensions stay in the hundreds).
//  - Memory is O(front size); not thread-safe (the sweep inserts from its single reducing thread).
class ParetoArchive {
 public:
  explicit ParetoArchive(int num_objectives);

  // Offers a point. Returns true when it is in the archive afterwards.
  bool insert(std::int64_t id, std::span<const double> objectives);

  int num_objectives() const { return k_; }
  std::size_t size() const;
  // Archived points sorted by id.
  std::vector<ParetoPoint> points() const;
  std::vector<std::int64_t> ids() const;  // ascending
  void clear();

 private:
  bool insert_2d(std::int64_t id, double f0, double f1);
  bool insert_kd(std::int64_t id, std::span<const double> f);

  int k_;
  // 2-D staircase: f0 -> (f1, id), f1 strictly decreasing with f0.
  std::map<double, std::pair<double, std::int64_t>> stair_;
  // k-D list: objectives flattened (k_ values per point), ids beside them.
  std::vector<double> flat_;
  std::vector<std::int64_t> list_ids_;
};

// The reference point used when none is given: for each objective, the nadir of `front` plus 10%
// of max(|nadir|, nadir - ideal) (that is 1.1 x nadir for positive objectives with ideal >= 0);
// +1 when that margin is 0. To compare two fronts (nsga2 vs grid), compute one reference point
// (from the exhaustive front or the union) and pass it to both hypervolume() calls.
std::vector<double> default_reference_point(const std::vector<std::vector<double>>& front);

// Hypervolume dominated by `front` and bounded by `reference` (minimisation), via
// pagmo::hypervolume for two or more objectives (exact algorithms: hv2d, hv3d, hvwfg). Points that
// do not strictly dominate the reference contribute nothing and are left out (pagmo refuses them).
// 0 for an empty front.
double hypervolume(const std::vector<std::vector<double>>& front,
                   const std::vector<double>& reference);

}  // namespace leopard::dse
