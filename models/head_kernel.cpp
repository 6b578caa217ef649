// The head kernel and the run memo (models/head_kernel.hpp).
#include "models/head_kernel.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

namespace leopard::models {

// Compiled twice, for x86-64-v3 (AVX2, FMA) and the baseline, chosen at load time (GCC
// target_clones). Two passes over the layer's heads: the rows (branch-free, vectorised), then the
// expected maximum (a table lookup), the tile times and the sums.
enum MomentsCase { kNoPruning, kNoEarlyTermination, kEarlyTermination };

struct RowArrays {
  double* __restrict mu_step;
  double* __restrict front_row;
  double* __restrict back_mean;
  double* __restrict back_sd;
};

template <MomentsCase kCase>
[[gnu::always_inline]] inline void head_rows(const detail::LayerTerms& terms, std::size_t n,
                                             const double* __restrict rate,
                                             const double* __restrict mean,
                                             const double* __restrict var, RowArrays out) {
  const detail::LayerTerms t = terms;  // a local copy: no aliasing with the stores
  double* __restrict mu_step = out.mu_step;
  double* __restrict front_row = out.front_row;
  double* __restrict back_mean = out.back_mean;
  double* __restrict back_sd = out.back_sd;
  for (std::size_t h = 0; h < n; ++h) {
    detail::HeadMoments m;
    if constexpr (kCase == kNoPruning) {
      m = {0.0, t.full_steps, 0.0};
    } else if constexpr (kCase == kNoEarlyTermination) {
      m = {rate[h], t.full_steps, 0.0};
    } else {
      m = {rate[h], mean[h], var[h]};
    }
    const detail::HeadRow r = detail::head_row<true>(t, m);
    mu_step[h] = r.mu_step;
    front_row[h] = r.front_row;
    back_mean[h] = r.back_mean;
    back_sd[h] = r.back_sd;
  }
}

[[gnu::always_inline]] inline void finish_rows(const detail::LayerTerms& terms, std::size_t n,
                                               RowArrays rows, double* __restrict cc,
                                               double* __restrict front, double* __restrict back,
                                               double* __restrict stall) {
  const detail::LayerTerms t = terms;  // a local copy: no aliasing with the stores
  const double* __restrict mu_step = rows.mu_step;
  const double* __restrict front_row = rows.front_row;
  const double* __restrict back_mean = rows.back_mean;
  const double* __restrict back_sd = rows.back_sd;
  for (std::size_t h = 0; h < n; ++h) {
    const detail::HeadTimes ht =
        detail::head_finish(t, {mu_step[h], front_row[h], back_mean[h], back_sd[h]});
    cc[h] = ht.compute_cycles;
    front[h] = ht.front;
    back[h] = ht.back;
    stall[h] = ht.stall;
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) LayerHeadSums evaluate_head_block(
    const detail::LayerTerms& terms, const LayerProfile& layer) {
  detail::LayerTerms t = terms;
  detail::set_gap_weights(t);  // here, not in layer_terms: only the kernel reads them
  const HeadBlock& blk = layer.block;
  const std::size_t n = blk.rate.size();
  thread_local std::vector<detail::HeadTimes> times;
  thread_local std::vector<double> scratch, cc_scratch;
  if (times.size() < n) times.resize(n);
  if (scratch.size() < 4 * n) scratch.resize(4 * n);
  const auto b = static_cast<std::size_t>(t.b);
  const double* __restrict rate = blk.rate.data();
  const int* __restrict hist_bits = blk.hist_bits.data();
  const double* __restrict mean = blk.mean.data() + b * n;
  const double* __restrict var = blk.var.data() + b * n;
  double* __restrict mu_step = scratch.data();
  double* __restrict front_row = mu_step + n;
  double* __restrict back_mean = front_row + n;
  double* __restrict back_sd = back_mean + n;
  // Statistics with more bits than the design: the capped moments from the histograms (slow).
  const bool capped = t.early != 0 && blk.max_hist_bits > t.bits;
  // The loop over heads, vectorised: detail::head_row on moments resolved outside the loop (the
  // three cases of detail::head_moments_uncapped where every head takes the same branch; its
  // selects on per-head loads would keep GCC from vectorising).
  const bool fixed_gap = t.gap_terms <= detail::LayerTerms::kMaxGapTerms;
  const RowArrays out{mu_step, front_row, back_mean, back_sd};
  if (fixed_gap && t.pruning == 0) {
    head_rows<kNoPruning>(t, n, rate, mean, var, out);
  } else if (fixed_gap && t.early == 0) {
    head_rows<kNoEarlyTermination>(t, n, rate, mean, var, out);
  } else if (fixed_gap && !capped && blk.min_hist_bits > 0) {
    head_rows<kEarlyTermination>(t, n, rate, mean, var, out);
  } else {
    for (std::size_t h = 0; h < n; ++h) {
      const detail::HeadRow r =
          detail::head_row(t, detail::head_moments(t, rate[h], hist_bits[h], mean[h], var[h],
                                                   layer.heads[h].hist.data()));
      mu_step[h] = r.mu_step;
      front_row[h] = r.front_row;
      back_mean[h] = r.back_mean;
      back_sd[h] = r.back_sd;
    }
  }
  // The rows' expected maximum and the head's times (vectorised: selects and table gathers),
  // then the sums in head order (as the reference adds them).
  if (cc_scratch.size() < 4 * n) cc_scratch.resize(4 * n);
  double* __restrict cc = cc_scratch.data();
  double* __restrict fr = cc + n;
  double* __restrict bk = fr + n;
  double* __restrict st = bk + n;
  finish_rows(t, n, RowArrays{mu_step, front_row, back_mean, back_sd}, cc, fr, bk, st);
  LayerHeadSums s;
  for (std::size_t h = 0; h < n; ++h) {
    detail::HeadTimes& out = times[h];
    out.compute_cycles = cc[h];
    out.front = fr[h];
    out.back = bk[h];
    out.stall = st[h];
    // The action counts the energies need, as evaluate_head counts them per head.
    const double p = t.pruning != 0 ? rate[h] : 0.0;
    const double unit_steps = t.scores * mu_step[h] * t.passes;
    s.survivors += t.scores * (1 - p);
    s.qk_unit_steps += unit_steps;
    s.qk_idle_steps += std::max(0.0, t.n_units * cc[h] - unit_steps);
    s.k_bits_read += t.scores * mu_step[h] * t.b * t.lanes_used;
  }
  const auto n_tiles = static_cast<std::size_t>(std::min(t.tiles, static_cast<double>(n)));
  thread_local std::vector<double> tiles_scratch;
  tiles_scratch.assign(4 * n_tiles, 0.0);
  double* ts = tiles_scratch.data();
  s.times = detail::lpt_schedule<detail::HeadTimes>(
      std::span<detail::HeadTimes>(times.data(), n), std::span<double>(ts, n_tiles),
      std::span<double>(ts + n_tiles, n_tiles), std::span<double>(ts + 2 * n_tiles, n_tiles),
      std::span<double>(ts + 3 * n_tiles, n_tiles));
  return s;
}

HeadMemo::HeadMemo(std::size_t slots)
    : slots_(std::min(slots, static_cast<std::size_t>(kMaxSlots))) {}

HeadMemo::~HeadMemo() = default;

const LayerHeadSums* HeadMemo::find(int slot, const detail::LayerTerms& t) const {
  if (slot < 0 || static_cast<std::size_t>(slot) >= slots_.size()) return nullptr;
  Slot* sl = slots_[static_cast<std::size_t>(slot)].get();
  if (sl == nullptr) {
    ++misses_;
    return nullptr;
  }
  const auto key = t.key();
  constexpr std::size_t kBytes = sizeof(double) * detail::LayerTerms::kKeyFields;
  // The last entry used first (a grid's innermost axis repeats it), then the others.
  if (std::memcmp(sl->entries[static_cast<std::size_t>(sl->last)].key.data(), key.data(), kBytes) ==
      0) {
    ++hits_;
    return &sl->entries[static_cast<std::size_t>(sl->last)].sums;
  }
  for (int i = 0; i < sl->used; ++i) {
    if (i == sl->last) continue;
    const Entry& e = sl->entries[static_cast<std::size_t>(i)];
    if (std::memcmp(e.key.data(), key.data(), kBytes) == 0) {
      sl->last = i;
      ++hits_;
      return &e.sums;
    }
  }
  ++misses_;
  return nullptr;
}

void HeadMemo::put(int slot, const detail::LayerTerms& t, const LayerHeadSums& sums) {
  if (slot < 0 || static_cast<std::size_t>(slot) >= slots_.size()) return;
  auto& sl = slots_[static_cast<std::size_t>(slot)];
  if (!sl) sl = std::make_unique<Slot>();
  const int i = sl->next;
  Entry& e = sl->entries[static_cast<std::size_t>(i)];
  const auto key = t.key();
  std::copy(key.begin(), key.end(), e.key.begin());
  e.sums = sums;
  sl->used = std::max(sl->used, i + 1);
  sl->next = (i + 1) % kWays;
  sl->last = i;
}

bool head_memo_enabled() {
  static const bool enabled = [] {
    const char* e = std::getenv("LEOPARD_HEAD_MEMO");
    return e == nullptr || std::string_view(e) != "0";
  }();
  return enabled;
}

}  // namespace leopard::models
