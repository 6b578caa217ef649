// Streaming exact Pareto archive (2-D staircase, k-D list) and hypervolume through pagmo2. Written
// here rather than using pagmo's non-dominated sorting, which needs all points in memory at once.
#include "dse/pareto_archive.hpp"

#include <algorithm>
#include <cmath>
#include <pagmo/utils/hypervolume.hpp>
#include <stdexcept>
#include <string>

namespace leopard::dse {

bool dominates(std::span<const double> a, std::span<const double> b) {
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

ParetoArchive::ParetoArchive(int num_objectives) : k_(num_objectives) {
  if (k_ < 1) throw std::invalid_argument("ParetoArchive: at least one objective is needed");
}

std::size_t ParetoArchive::size() const { return k_ == 2 ? stair_.size() : list_ids_.size(); }

void ParetoArchive::clear() {
  stair_.clear();
  flat_.clear();
  list_ids_.clear();
}

bool ParetoArchive::insert(std::int64_t id, std::span<const double> objectives) {
  if (static_cast<int>(objectives.size()) != k_) {
    throw std::invalid_argument("ParetoArchive: expected " + std::to_string(k_) +
                                " objectives, got " + std::to_string(objectives.size()));
  }
  for (double v : objectives) {
    if (std::isnan(v)) return false;
  }
  if (k_ == 2) return insert_2d(id, objectives[0], objectives[1]);
  return insert_kd(id, objectives);
}

bool ParetoArchive::insert_2d(std::int64_t id, double f0, double f1) {
  // The archived point with the largest f0 <= the new f0 has the smallest f1 among those: it alone
  // decides whether the new point is weakly dominated.
  auto it = stair_.upper_bound(f0);
  if (it != stair_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.first <= f1) {
      if (prev->first == f0 && prev->second.first == f1) {  // exact duplicate: smallest id wins
        if (id < prev->second.second) {
          prev->second.second = id;
          return true;
        }
      }
      return false;
    }
  }
  // Evict the points the new one dominates: f0' >= f0 and f1' >= f1 (a contiguous run).
  auto first = stair_.lower_bound(f0);
  auto last = first;
  while (last != stair_.end() && last->second.first >= f1) ++last;
  stair_.erase(first, last);
  stair_.emplace(f0, std::make_pair(f1, id));
  return true;
}

bool ParetoArchive::insert_kd(std::int64_t id, std::span<const double> f) {
  const std::size_t k = static_cast<std::size_t>(k_);
  const std::size_t n = list_ids_.size();
  // Pass 1: is the new point weakly dominated by (or equal to) an archived point?
  for (std::size_t i = 0; i < n; ++i) {
    const double* q = &flat_[i * k];
    std::size_t j = 0;
    bool equal = true;
    for (; j < k; ++j) {
      if (q[j] > f[j]) break;
      if (q[j] < f[j]) equal = false;
    }
    if (j < k) continue;  // q is worse somewhere: it does not dominate
    if (equal && id < list_ids_[i]) {
      list_ids_[i] = id;  // duplicate with a smaller id replaces the archived one
      return true;
    }
    return false;
  }
  // Pass 2: the new point is not weakly dominated, so it enters; evict what it dominates
  // (no archived point equals it, so weak dominance by it is strict dominance).
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* q = &flat_[i * k];
    bool dominated = true;
    for (std::size_t j = 0; j < k; ++j) {
      if (f[j] > q[j]) {
        dominated = false;
        break;
      }
    }
    if (dominated) continue;
    if (out != i) {
      std::copy(q, q + k, &flat_[out * k]);
      list_ids_[out] = list_ids_[i];
    }
    ++out;
  }
  flat_.resize(out * k);
  list_ids_.resize(out);
  flat_.insert(flat_.end(), f.begin(), f.end());
  list_ids_.push_back(id);
  return true;
}

std::vector<ParetoPoint> ParetoArchive::points() const {
  std::vector<ParetoPoint> out;
  if (k_ == 2) {
    for (const auto& [f0, rest] : stair_) out.push_back({rest.second, {f0, rest.first}});
  } else {
    const std::size_t k = static_cast<std::size_t>(k_);
    for (std::size_t i = 0; i < list_ids_.size(); ++i) {
      out.push_back(
          {list_ids_[i], std::vector<double>(flat_.begin() + static_cast<long>(i * k),
                                             flat_.begin() + static_cast<long>(i * k + k))});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<std::int64_t> ParetoArchive::ids() const {
  std::vector<std::int64_t> out;
  if (k_ == 2) {
    for (const auto& entry : stair_) out.push_back(entry.second.second);
  } else {
    out = list_ids_;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<double> default_reference_point(const std::vector<std::vector<double>>& front) {
  if (front.empty()) return {};
  const std::size_t k = front.front().size();
  std::vector<double> ideal(front.front()), nadir(front.front());
  for (const auto& p : front) {
    for (std::size_t j = 0; j < k; ++j) {
      ideal[j] = std::min(ideal[j], p[j]);
      nadir[j] = std::max(nadir[j], p[j]);
    }
  }
  std::vector<double> ref(k);
  for (std::size_t j = 0; j < k; ++j) {
    double margin = 0.1 * std::max(std::abs(nadir[j]), nadir[j] - ideal[j]);
    if (!(margin > 0) || !std::isfinite(margin)) margin = 1.0;
    ref[j] = nadir[j] + margin;
  }
  return ref;
}

double hypervolume(const std::vector<std::vector<double>>& front,
                   const std::vector<double>& reference) {
  std::vector<std::vector<double>> inside;
  for (const auto& p : front) {
    if (p.size() != reference.size()) {
      throw std::invalid_argument("hypervolume: point and reference point sizes differ");
    }
    bool ok = true;
    for (std::size_t j = 0; j < p.size(); ++j)
      ok = ok && std::isfinite(p[j]) && p[j] < reference[j];
    if (ok) inside.push_back(p);
  }
  if (inside.empty()) return 0.0;
  if (reference.size() == 1) {
    double best = inside.front()[0];
    for (const auto& p : inside) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  pagmo::hypervolume hv(inside, true);
  return hv.compute(reference);
}

}  // namespace leopard::dse
