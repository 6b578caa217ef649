// The per-head formulas of the LeOPArd cost model, shared by the readable reference
// (models/leopard_cost_model.cpp, one head at a time) and the fast path (models/head_kernel.cpp, a
// layer's heads from struct-of-arrays statistics, memoised per run). One source of truth: both
// call these functions, so a head's times are the same bits on either path.
//
// A head's cost splits into what depends on the design and the layer's shape only (LayerTerms,
// computed once per layer and design by layer_terms() in leopard_cost_model.cpp) and what also
// depends on the head's statistics (its pruning rate and the moments of its termination steps):
// head_times() below.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace leopard::models::detail {

// std::floor and std::ceil, exact for the non-negative values the hot path rounds (counts of
// passes, steps, tokens, chunks, heads per tile). The portable x86-64 target has no SSE4.1
// `roundsd`, so GCC expands std::ceil into about 20 instructions. Here: below 2^52 a non-negative
// double converts to an integer and back exactly (truncation is then the floor), and from 2^52 on
// every double is an integer already (+inf and NaN pass through, as with std::ceil). Not for x < 0.
inline double floor_nonneg(double x) {
  if (!(x < 0x1p52)) return x;
  return static_cast<double>(static_cast<std::int64_t>(x));
}

inline double ceil_nonneg(double x) {
  if (!(x < 0x1p52)) return x;
  const double t = static_cast<double>(static_cast<std::int64_t>(x));
  return t < x ? t + 1 : t;
}

// ---------------------------------------------------------------------------------------------
// E[max(m, X)] for X ~ N(mu, sd^2) (Clark 1961 with one constant operand), tabulated.
//
// Clark's E[max(m, X)] = mu + sd h(a) with a = (m - mu) / sd and h(a) = a Phi(a) + phi(a) (the
// expected excess E[max(a, Z)] of a standard normal Z). h is tabulated on [-8.5, 8.5] with a step
// of 1/64 and interpolated by cubic Hermite splines with the exact slopes h'(a) = Phi(a). The
// interpolation error is at most max|h''''| step^4 / 384 = phi(0) (1/64)^4 / 384 = 6.2e-11
// (h'''' = (a^2 - 1) phi(a), largest in magnitude at a = 0); docs/fast-path.md, "Tabulated
// normal maximum"; tests/unit/models/head_kernel_test.cpp bounds it against the exact function.
// Beyond |a| = 8.5 the result is the larger operand (see max_with_normal).

constexpr double kExcessTableLo = -8.5;
constexpr int kExcessTablePerUnit = 64;
constexpr int kExcessTableIntervals = 17 * kExcessTablePerUnit;  // [-8.5, 8.5]

// The exact h(a) = a Phi(a) + phi(a) (erfc and exp); the table is built from it.
inline double normal_excess_exact(double a) {
  const double cdf = 0.5 * std::erfc(-a / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * a * a) / std::sqrt(2.0 * M_PI);
  return a * cdf + pdf;
}

struct ExcessTable {
  // Per grid point i (a_i = lo + i / 64): h(a_i) and the slope over one step, Phi(a_i) / 64.
  std::array<double, kExcessTableIntervals + 1> value{};
  std::array<double, kExcessTableIntervals + 1> slope{};
};

const ExcessTable& excess_table();  // built once (thread-safe static), leopard_cost_model.cpp
// The table, for inline use without the static's guard on every call.
extern const ExcessTable* const kExcessTable;

// h(a) from the table, for a in [-8.5, 8.5].
[[gnu::always_inline]] inline double normal_excess(double a) {
  const ExcessTable& t = *kExcessTable;
  const double x = (a - kExcessTableLo) * kExcessTablePerUnit;
  const int i = std::clamp(static_cast<int>(x), 0, kExcessTableIntervals - 1);
  const double u = x - i;  // in [0, 1]
  const double u2 = u * u, u3 = u2 * u;
  // Cubic Hermite basis on the unit interval.
  const double h00 = 2 * u3 - 3 * u2 + 1, h10 = u3 - 2 * u2 + u;
  const double h01 = -2 * u3 + 3 * u2, h11 = u3 - u2;
  return h00 * t.value[i] + h10 * t.slope[i] + h01 * t.value[i + 1] + h11 * t.slope[i + 1];
}

// E[max(m, X)], X ~ N(mu, sd^2), sd >= 0. Means 8.5 sd or more apart, both non-negative: exactly
// the larger (the other's weight Phi(-8.5) < 1e-17 and sd phi(8.5) < 1e-17 x the larger are below
// half an ulp); no spread: the larger. Written as selects of values all computed (the table at a
// clamped into its range), so that the head kernel's loop vectorises; the value selected is the
// one the same case would return.
[[gnu::always_inline]] inline double max_with_normal(double m, double mu, double sd) {
  const double a = (m - mu) / sd;  // +-inf or NaN without spread: clamped, then not selected
  const double in_range =
      a > kExcessTableLo ? (a < -kExcessTableLo ? a : -kExcessTableLo) : kExcessTableLo;
  const double tabulated = mu + sd * normal_excess(in_range);
  const double upper = a >= 8.5 && mu >= 0 ? m : tabulated;
  const double r = a <= -8.5 && m >= 0 ? mu : upper;
  return sd < 1e-12 ? std::max(m, mu) : r;
}

// ---------------------------------------------------------------------------------------------
// Per layer and design. Every field is a double, the first kKeyFields being everything
// head_times() and the per-head action sums read: a layer's per-head results are a function of
// them and of the layer's (fixed) statistics, which is what the run memo keys on.
struct LayerTerms {
  // --- key (head_times and the sums) ---
  double full_steps = 0;  // ceil(bits / B)
  double passes = 0;      // ceil(d / lanes)
  double keys_per_unit = 0;
  double keys_per_row = 0;
  double sync_blom = 0;      // frontend_sync_factor x E[max of busy_units standard normals]
  double port_per_step = 0;  // d x B / (Key-buffer bits per cycle)
  double frontend_row_cycles = 0;
  double stream = 0;     // cycles per V row
  double readdress = 0;  // cycles of a re-address
  double row_pass = 0;   // MAC passes per V row
  double rows = 0;       // (row, chunk) passes: q_len x chunks, fewer when causal
  double merge = 0;      // back-end cycles merging the chunks' partial results
  double scores = 0;     // per head
  double n_units = 0;    // QK units per tile
  double lanes_used = 0;
  double tiles = 0;
  double b = 1;        // K bits per cycle (1..32)
  double bits = 0;     // K bits
  double pruning = 0;  // 1: the design prunes
  double early = 0;    // 1: the design terminates early (pruning and early_termination)
  // --- not key (layer-level quantities applied after the per-head sums) ---
  double d = 0, k_len = 0, q_len = 0, chunks = 0, v_width = 0;
  double rows_seen = 0;  // rows that see a key (causal: fewer than q_len); `rows` counts passes
  // The re-address gap's terms (from stream and readdress; set_gap_weights, which the head kernel
  // calls): weight j = min(stream, readdress - j stream) while j stream < readdress, 0 after;
  // gap_terms of them (more than kMaxGapTerms: head_row loops instead).
  static constexpr int kMaxGapTerms = 8;
  std::array<double, kMaxGapTerms> gap_weight{};
  double gap_terms = 0;

  static constexpr int kKeyFields = 20;
  std::span<const double, kKeyFields> key() const {
    return std::span<const double, kKeyFields>(&full_steps, kKeyFields);
  }
};
static_assert(sizeof(LayerTerms) ==
              (LayerTerms::kKeyFields + 7 + LayerTerms::kMaxGapTerms) * sizeof(double));

// The gap weights of `t` (its stream and readdress set): the same `done` sums as a loop adding
// stream while done < readdress.
inline void set_gap_weights(LayerTerms& t) {
  t.gap_weight.fill(0.0);
  int j = 0;
  for (double done = 0; done < t.readdress; done += t.stream, ++j) {
    if (j < LayerTerms::kMaxGapTerms) {
      t.gap_weight[static_cast<std::size_t>(j)] = std::min(t.stream, t.readdress - done);
    }
  }
  t.gap_terms = j;
}

// A head's statistics as a design sees them: its pruning rate p and the mean and variance of the
// steps ceil(b1 / B) (at most ceil(bits / B)) a pruned score takes.
struct HeadMoments {
  double p = 0, mu_pruned = 0, var_pruned = 0;
};

// rate, hist_bits and the precomputed moments at B (mean_b, var_b), for designs with at least
// as many bits as the statistics. Branch-free (selects).
[[gnu::always_inline]] inline HeadMoments head_moments_uncapped(const LayerTerms& t, double rate,
                                                                int hist_bits, double mean_b,
                                                                double var_b) {
  HeadMoments m;
  m.p = t.pruning != 0 ? rate : 0.0;
  const bool early = (t.early != 0) & (hist_bits > 0);
  m.mu_pruned = early ? mean_b : t.full_steps;
  m.var_pruned = early ? var_b : 0.0;
  return m;
}

// The same for any design: with fewer bits than the statistics (a score never takes more steps
// than a full one) the moments come from the histogram `hist`.
[[gnu::always_inline]] inline HeadMoments head_moments(const LayerTerms& t, double rate,
                                                       int hist_bits, double mean_b, double var_b,
                                                       const double* hist) {
  HeadMoments m = head_moments_uncapped(t, rate, hist_bits, mean_b, var_b);
  if (t.early != 0 && hist_bits > 0 && hist_bits > t.bits) {
    // min(ceil(b1 / B), ceil(bits / B)). Slow path, not taken by matching widths.
    double mean = 0, sq = 0;
    for (int bit = 1; bit <= hist_bits; ++bit) {
      const double steps = std::min(std::ceil(bit / t.b), t.full_steps);
      mean += hist[bit - 1] * steps;
      sq += hist[bit - 1] * steps * steps;
    }
    m.mu_pruned = mean;
    m.var_pruned = std::max(0.0, sq - mean * mean);
  }
  return m;
}

struct HeadTimes {
  double compute_cycles = 0;  // this head on one tile
  double front = 0, back = 0, stall = 0;
  double mu_step = 0;  // mean steps per score
};

// A head's row: mean steps per score, the front end's row time and the back end's mean and
// standard deviation (the comments of layer_terms in leopard_cost_model.cpp explain each term;
// docs/fast-path.md). Branch-free, so that the head kernel's loop over a
// layer's heads vectorises.
struct HeadRow {
  double mu_step = 0, front_row = 0, back_mean = 0, back_sd = 0;
};

// kFixedGap: the gap from t.gap_weight (t.gap_terms <= kMaxGapTerms; a fixed trip count, so the
// loop over heads vectorises); otherwise the loop itself. The same terms in the same order: equal.
template <bool kFixedGap = false>
[[gnu::always_inline]] inline HeadRow head_row(const LayerTerms& t, const HeadMoments& m) {
  const double p = m.p;
  const double mu_step = p * m.mu_pruned + (1 - p) * t.full_steps;
  const double sq_step =
      p * (m.var_pruned + m.mu_pruned * m.mu_pruned) + (1 - p) * t.full_steps * t.full_steps;
  const double var_step = std::max(0.0, sq_step - mu_step * mu_step);

  // Front end, one row: the slower of the units (slowest-unit wait) and the Key-buffer port.
  const double front_mean = t.keys_per_unit * mu_step * t.passes + t.frontend_row_cycles;
  const double front_sd = std::sqrt(t.keys_per_unit * var_step) * t.passes;
  const double front_units = front_mean + front_sd * t.sync_blom;
  const double front_port = t.keys_per_row * mu_step * t.port_per_step + t.frontend_row_cycles;

  // Back end, one row: survivors x (V row + expected re-address after a pruned gap): the gap G
  // before a survivor has P(G >= g) = p^g, terms below 1e-17 dropped (none when p = 0).
  double gap = 0, p_g = p;
  if constexpr (kFixedGap) {
    // Unrolled by hand (GCC does not vectorise the loop over heads around an inner loop).
    const auto term = [&](std::size_t j) {
      gap += p_g * t.gap_weight[j] * static_cast<double>(p_g > 1e-17);
      p_g *= p;
    };
    static_assert(LayerTerms::kMaxGapTerms == 8);
    term(0), term(1), term(2), term(3), term(4), term(5), term(6), term(7);
  } else {
    for (double done = 0; done < t.readdress; done += t.stream) {
      gap += p_g > 1e-17 ? p_g * std::min(t.stream, t.readdress - done) : 0.0;
      p_g *= p;
    }
  }
  const double per_survivor = t.stream + gap;
  const double survivors_row = t.keys_per_row * (1 - p);
  HeadRow r;
  r.mu_step = mu_step;
  r.front_row = std::max(front_units, front_port);
  r.back_mean = survivors_row * per_survivor + t.row_pass;
  r.back_sd = std::sqrt(t.keys_per_row * p * (1 - p)) * per_survivor;
  return r;
}

// One row ahead: each row costs the larger of the two (expected maximum), plus the pipeline fill
// and the merge of the chunks' partial results.
[[gnu::always_inline]] inline HeadTimes head_finish(const LayerTerms& t, const HeadRow& r) {
  const double row_time = max_with_normal(r.front_row, r.back_mean, r.back_sd);
  HeadTimes h;
  h.compute_cycles = t.rows * row_time + r.front_row + r.back_mean + t.merge;
  h.front = t.rows * r.front_row;
  h.back = t.rows * r.back_mean + t.merge;
  h.stall = t.rows * std::max(0.0, row_time - r.front_row);
  h.mu_step = r.mu_step;
  return h;
}

// One head's pipeline times.
[[gnu::always_inline]] inline HeadTimes head_times(const LayerTerms& t, const HeadMoments& m) {
  return head_finish(t, head_row(t, m));
}

// The layer's heads on its tiles (LPT, Graham 1969): longest first onto the least-loaded tile.
// `tile_*` hold min(tiles, heads) zeroed entries each. Returns the busiest tile's times.
struct LayerTimes {
  double tile_max = 0, front = 0, back = 0, stall = 0;
};

template <class H>
[[gnu::always_inline]] inline LayerTimes lpt_schedule(std::span<H> heads,
                                                      std::span<double> tile_cycles,
                                                      std::span<double> tile_front,
                                                      std::span<double> tile_back,
                                                      std::span<double> tile_stall) {
  if (tile_cycles.size() == 1) {  // one tile: every head on it, no order needed (head order)
    LayerTimes one;
    for (const H& h : heads) {
      one.tile_max += h.compute_cycles;
      one.front += h.front;
      one.back += h.back;
      one.stall += h.stall;
    }
    return one;
  }
  // Longest first, ties in head order: up to 64 heads by counting each head's rank (branch-free,
  // no mispredicted comparisons), more by std::sort on (cycles, index), the same order.
  struct Key {
    double cycles;
    std::uint32_t index;
  };
  constexpr std::size_t kRanked = 64, kSmall = 64;
  const std::size_t n = heads.size();
  std::array<Key, kSmall> small;
  std::vector<Key> large;
  std::span<Key> keys;
  if (n <= kSmall) {
    keys = std::span<Key>(small.data(), n);
  } else {
    large.resize(n);
    keys = large;
  }
  bool ordered = true;  // no NaN (ranks would collide)
  for (const H& h : heads) ordered = ordered && h.compute_cycles == h.compute_cycles;
  if (n <= kRanked && ordered) {
    std::array<double, kRanked> cc;
    for (std::size_t i = 0; i < n; ++i) cc[i] = heads[i].compute_cycles;
    for (std::size_t i = 0; i < n; ++i) {
      // Heads before i rank ahead when at least as long, heads after it when longer (two
      // reductions without branches, which GCC vectorises).
      const double c = cc[i];
      std::int64_t rank = 0;
      for (std::size_t j = 0; j < i; ++j) rank += cc[j] >= c ? 1 : 0;
      for (std::size_t j = i + 1; j < n; ++j) rank += cc[j] > c ? 1 : 0;
      keys[static_cast<std::size_t>(rank)] = {c, static_cast<std::uint32_t>(i)};
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      keys[i] = {heads[i].compute_cycles, static_cast<std::uint32_t>(i)};
    }
    std::sort(keys.begin(), keys.end(), [](const Key& x, const Key& y) {
      return x.cycles > y.cycles || (!(y.cycles > x.cycles) && x.index < y.index);
    });
  }
  for (const Key& k : keys) {
    const H& h = heads[k.index];
    const auto t = static_cast<std::size_t>(
        std::min_element(tile_cycles.begin(), tile_cycles.end()) - tile_cycles.begin());
    tile_cycles[t] += h.compute_cycles;
    tile_front[t] += h.front;
    tile_back[t] += h.back;
    tile_stall[t] += h.stall;
  }
  const auto it = std::max_element(tile_cycles.begin(), tile_cycles.end());
  const auto t = static_cast<std::size_t>(it - tile_cycles.begin());
  return {*it, tile_front[t], tile_back[t], tile_stall[t]};
}

}  // namespace leopard::models::detail
