// The head kernel and the run memo (models/head_kernel.hpp).
#include "models/head_kernel.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

namespace leopard::models {

LayerHeadSums evaluate_head_block(const detail::LayerTerms& t, const LayerProfile& layer) {
  const HeadBlock& blk = layer.block;
  const std::size_t n = blk.rate.size();
  thread_local std::vector<detail::HeadTimes> times;
  thread_local std::vector<double> tiles_scratch;
  if (times.size() < n) times.resize(n);
  const auto b = static_cast<std::size_t>(t.b);
  const double* rate = blk.rate.data();
  const int* hist_bits = blk.hist_bits.data();
  const double* mean = blk.mean.data() + b * n;
  const double* var = blk.var.data() + b * n;
  // Statistics with more bits than the design: the capped moments from the histograms (slow).
  const bool capped = t.early != 0 && blk.max_hist_bits > t.bits;
  LayerHeadSums s;
  for (std::size_t h = 0; h < n; ++h) {
    const detail::HeadMoments m = detail::head_moments(
        t, rate[h], hist_bits[h], mean[h], var[h], capped ? layer.heads[h].hist.data() : nullptr);
    const detail::HeadTimes ht = detail::head_times(t, m);
    // Field by field: a whole-struct copy makes GCC pair the stores and reload them as one
    // 16-byte load, which stalls on store forwarding (13% of the kernel's time).
    detail::HeadTimes& out = times[h];
    out.compute_cycles = ht.compute_cycles;
    out.front = ht.front;
    out.back = ht.back;
    out.stall = ht.stall;
    // The action counts the energies need, as evaluate_head counts them per head.
    const double unit_steps = t.scores * ht.mu_step * t.passes;
    s.survivors += t.scores * (1 - m.p);
    s.qk_unit_steps += unit_steps;
    s.qk_idle_steps += std::max(0.0, t.n_units * ht.compute_cycles - unit_steps);
    s.k_bits_read += t.scores * ht.mu_step * t.b * t.lanes_used;
  }
  const auto n_tiles = static_cast<std::size_t>(std::min(t.tiles, static_cast<double>(n)));
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
