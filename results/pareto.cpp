// Exact Pareto filter: lexicographic sort, then each point is checked against the current front.
#include "results/pareto.hpp"

#include <algorithm>
#include <numeric>

namespace leopard::results {

namespace {

// No worse everywhere (dominates or equals).
bool weakly_dominates(const std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
  }
  return true;
}

}  // namespace

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // A dominator is lexicographically smaller than what it dominates, so after this sort every point
  // can only be dominated by one before it; if one before it dominates it, so does a front member.
  // The sort is stable: of equal vectors the smallest index comes first and is the one kept.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return points[a] < points[b]; });
  std::vector<std::size_t> front;
  for (std::size_t i : order) {
    const auto hit = std::find_if(front.begin(), front.end(), [&](std::size_t f) {
      // Equal to an earlier (smaller-index) front point: a duplicate.
      return weakly_dominates(points[f], points[i]);
    });
    if (hit == front.end()) {
      front.push_back(i);
    } else if (hit != front.begin()) {
      // Move the dominator halfway to the start: neighbours in the sort order tend to be
      // dominated by the same point, so later checks find it sooner (the order is irrelevant).
      std::iter_swap(hit, front.begin() + (hit - front.begin()) / 2);
    }
  }
  std::sort(front.begin(), front.end());
  return front;
}

}  // namespace leopard::results
