// An exact Pareto filter (all objectives minimised) used by the store to recompute Pareto sets,
// e.g. after merging shards. Kept here so results/ does not depend on dse/.
#pragma once

#include <cstddef>
#include <vector>

namespace leopard::results {

// True when a is no worse than b everywhere and strictly better somewhere.
bool dominates(const std::vector<double>& a, const std::vector<double>& b);

// Indices (into `points`) of the non-dominated points, ascending. Of points with exactly equal
// objective vectors only the first (smallest index) is kept, the tie rule of dse::ParetoArchive,
// so a recomputed front equals the sweep's. Sorts once (lexicographic) and checks each point
// against the front found so far: O(n log n + n * front).
std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points);

}  // namespace leopard::results
