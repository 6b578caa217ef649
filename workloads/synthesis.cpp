// Termination-histogram synthesis by exact bit-serial emulation on synthetic Q/K (see header).
#include "workloads/synthesis.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <tuple>

namespace leopard::workloads {

void bound_sequence(const std::int32_t* q, const std::int32_t* k, int d, int n_bits,
                    std::int64_t* bounds) {
  // Sign-magnitude, MSB first (leopard.md section 2 and the profile issue's rules): bit 1 is the
  // sign bit (P = 0, M = C (2^(n-1) - 1), C = sum of |q_i| over lanes whose signs agree; a zero k
  // counts as positive); magnitude bit m adds q_i sgn(k_i) (bit m of |k_i|) 2^(n-1-m) to P and
  // leaves M = C (2^(n-1-m) - 1).
  const int mag_bits = n_bits - 1;
  std::int64_t c = 0;
  for (int i = 0; i < d; ++i) {
    const bool q_neg = q[i] < 0;
    const bool k_neg = k[i] < 0;
    if (q_neg == k_neg) c += std::abs(static_cast<std::int64_t>(q[i]));
  }
  bounds[0] = c * ((std::int64_t{1} << mag_bits) - 1);
  std::int64_t p = 0;
  for (int m = 1; m <= mag_bits; ++m) {
    const int weight_shift = mag_bits - m;
    for (int i = 0; i < d; ++i) {
      const std::int64_t mag = std::abs(static_cast<std::int64_t>(k[i]));
      if ((mag >> weight_shift) & 1) {
        const std::int64_t term = static_cast<std::int64_t>(q[i]) << weight_shift;
        p += k[i] < 0 ? -term : term;
      }
    }
    bounds[m] = p + c * ((std::int64_t{1} << weight_shift) - 1);
  }
}

namespace {

// SplitMix64 (Steele et al. 2014): portable, so synthesis gives identical results everywhere.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
};

// Box-Muller with our own uniform source (std::normal_distribution differs between libraries).
std::vector<double> normals(std::size_t count, std::uint64_t seed) {
  SplitMix64 rng{seed};
  std::vector<double> out(count);
  for (std::size_t i = 0; i < count; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(rng.uniform()));
    const double t = 2.0 * M_PI * rng.uniform();
    out[i] = r * std::cos(t);
    if (i + 1 < count) out[i + 1] = r * std::sin(t);
  }
  return out;
}

std::int32_t quantise(double x, double clip, int n_bits) {
  const double max_mag = std::ldexp(1.0, n_bits - 1) - 1;
  const double v = std::nearbyint(x / clip * max_mag);
  return static_cast<std::int32_t>(std::clamp(v, -max_mag, max_mag));
}

}  // namespace

SyntheticPopulation::SyntheticPopulation(int head_dim, int n_bits, double clip, double skew,
                                         int pairs, std::uint64_t seed)
    : n_bits_(n_bits) {
  const auto d = static_cast<std::size_t>(head_dim);
  const std::vector<double> z = normals(2 * d * static_cast<std::size_t>(pairs), seed + head_dim);
  SplitMix64 relevance{seed ^ 0x5EEDULL};
  std::vector<std::int32_t> q(d), k(d);
  std::vector<std::pair<std::int64_t, std::size_t>> order(pairs);
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(pairs) * n_bits);
  for (int p = 0; p < pairs; ++p) {
    const double* zq = &z[2 * d * p];
    const double* zk = zq + d;
    double q_norm = 0;
    for (std::size_t i = 0; i < d; ++i) q_norm += zq[i] * zq[i];
    q_norm = std::sqrt(q_norm);
    const double e = -std::log(relevance.uniform()) * skew;  // Exp(1) x skew
    for (std::size_t i = 0; i < d; ++i) {
      q[i] = quantise(zq[i], clip, n_bits);
      k[i] = quantise(zk[i] + e * zq[i] / q_norm, clip, n_bits);
    }
    bound_sequence(q.data(), k.data(), head_dim, n_bits,
                   &bounds[static_cast<std::size_t>(p) * n_bits]);
    order[p] = {bounds[static_cast<std::size_t>(p) * n_bits + n_bits - 1],
                static_cast<std::size_t>(p)};
  }
  // Keep pairs sorted by exact score so a pruning rate maps to a prefix.
  std::sort(order.begin(), order.end());
  scores_sorted_.resize(pairs);
  bounds_.resize(bounds.size());
  for (int r = 0; r < pairs; ++r) {
    scores_sorted_[r] = order[r].first;
    std::copy_n(&bounds[order[r].second * n_bits], n_bits,
                &bounds_[static_cast<std::size_t>(r) * n_bits]);
  }
}

std::vector<double> SyntheticPopulation::histogram(double prune_rate) const {
  std::vector<double> hist(n_bits_, 0.0);
  const std::size_t pairs = scores_sorted_.size();
  const auto cut = static_cast<std::size_t>(std::clamp(
      std::llround(prune_rate * static_cast<double>(pairs)), 0LL, static_cast<long long>(pairs)));
  if (cut == 0) return hist;
  // Threshold at the p-quantile: the `cut` lowest scores are pruned (U_n = s < Th) and the rest
  // survive. Th sits just above the highest pruned score.
  const std::int64_t th = scores_sorted_[cut - 1] + 1;
  for (std::size_t r = 0; r < cut; ++r) {
    const std::int64_t* u = &bounds_[r * n_bits_];
    int b = 0;
    while (b < n_bits_ - 1 && u[b] >= th) ++b;
    hist[b] += 1.0;
  }
  for (double& h : hist) h /= static_cast<double>(cut);
  return hist;
}

namespace {

double mean_bits(const std::vector<double>& hist) {
  double m = 0;
  for (std::size_t b = 0; b < hist.size(); ++b) m += hist[b] * static_cast<double>(b + 1);
  return m;
}

}  // namespace

namespace {

// Populations on a grid of clipping ranges, log2(clip) from kLogMin to kLogMax in steps of
// 1/kPerOctave, built lazily and kept for the process (synthesis is called many times by
// `calibrate`). Between two grid points the histograms are interpolated linearly, which makes the
// result a continuous function of the target bits (and of the calibrated offset).
constexpr double kLogMin = -4, kLogMax = 8;
constexpr int kPerOctave = 8;
constexpr int kGridPoints = static_cast<int>((kLogMax - kLogMin) * kPerOctave) + 1;

class PopulationGrid {
 public:
  const SyntheticPopulation& at(int head_dim, int n_bits, double skew, int pairs,
                                std::uint64_t seed, int g) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = grid_[{head_dim, n_bits, skew, pairs, seed}];
    if (slot.empty()) slot.resize(kGridPoints);
    if (!slot[g]) {
      slot[g] = std::make_unique<SyntheticPopulation>(head_dim, n_bits, clip(g), skew, pairs, seed);
    }
    return *slot[g];
  }
  static double clip(int g) { return std::exp2(kLogMin + static_cast<double>(g) / kPerOctave); }

 private:
  std::mutex mutex_;
  std::map<std::tuple<int, int, double, int, std::uint64_t>,
           std::vector<std::unique_ptr<SyntheticPopulation>>>
      grid_;
};

PopulationGrid& population_grid() {
  static PopulationGrid grid;
  return grid;
}

}  // namespace

SynthesisResult synthesise_histograms(const std::vector<SynthesisTask>& tasks,
                                      const SynthesisOptions& options) {
  SynthesisResult result;
  result.histograms.resize(tasks.size());
  result.clip.resize(tasks.size());
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < tasks.size(); ++i) groups[tasks[i].group].push_back(i);
  auto& grid = population_grid();

  for (const auto& [name, members] : groups) {
    const int d = tasks[members.front()].head_dim;
    const double target = tasks[members.front()].target_bits - options.bit_offset;
    auto hists_at = [&](int g) {
      const auto& pop = grid.at(d, options.n_bits, options.skew, options.pairs, options.seed, g);
      std::vector<std::vector<double>> hs;
      for (auto m : members) hs.push_back(pop.histogram(tasks[m].prune_rate));
      return hs;
    };
    auto group_mean = [&](const std::vector<std::vector<double>>& hs) {
      double total = 0;
      for (const auto& h : hs) total += mean_bits(h);
      return total / static_cast<double>(hs.size());
    };
    // A wider clipping range leaves the top magnitude bits empty, so terminations come later: the
    // group mean grows with clip. Find the bracketing grid points by bisection, then interpolate.
    int lo = 0, hi = kGridPoints - 1;
    auto h_lo = hists_at(lo), h_hi = hists_at(hi);
    double m_lo = group_mean(h_lo), m_hi = group_mean(h_hi);
    std::vector<std::vector<double>> out;
    double t = 0;
    if (target <= m_lo) {
      out = h_lo;
    } else if (target >= m_hi) {
      out = h_hi;
      t = 1;
      lo = hi;
    } else {
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        auto h_mid = hists_at(mid);
        const double m_mid = group_mean(h_mid);
        if (m_mid < target) {
          lo = mid, h_lo = std::move(h_mid), m_lo = m_mid;
        } else {
          hi = mid, h_hi = std::move(h_mid), m_hi = m_mid;
        }
      }
      t = m_hi > m_lo ? (target - m_lo) / (m_hi - m_lo) : 0.0;
      out = h_lo;
      for (std::size_t j = 0; j < out.size(); ++j) {
        for (std::size_t b = 0; b < out[j].size(); ++b) {
          out[j][b] = (1 - t) * h_lo[j][b] + t * h_hi[j][b];
        }
      }
    }
    const double log_clip =
        std::log2(PopulationGrid::clip(lo)) +
        (hi > lo ? t * (std::log2(PopulationGrid::clip(hi)) - std::log2(PopulationGrid::clip(lo)))
                 : 0.0);
    for (std::size_t j = 0; j < members.size(); ++j) {
      result.histograms[members[j]] = std::move(out[j]);
      result.clip[members[j]] = std::exp2(log_clip);
    }
  }
  return result;
}

}  // namespace leopard::workloads
