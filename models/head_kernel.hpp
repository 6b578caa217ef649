// The fast path for layers whose heads carry their own statistics (per-head `profile` output):
// every head of a layer from its struct-of-arrays statistics (HeadBlock), with the formulas of
// models/cost_model_detail.hpp that the readable reference uses too, and a per-thread run memo.
//
// The run memo: a layer's per-head sums (LayerHeadSums) are a function of its fixed statistics and
// of the design through detail::LayerTerms' key fields only (not of the clock, the buffers' bank
// sizes, the energies or DRAM). A grid sweep changes one axis at a time, so the same key recurs:
// the memo keeps the last kWays results of each layer, keyed by exactly those fields, and a hit
// skips the layer's heads. Energies, DRAM and time are always computed from the sums afresh.
// LEOPARD_HEAD_MEMO=0 in the environment turns it off (head_memo_enabled()). docs/fast-path.md.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "models/cost_model.hpp"
#include "models/cost_model_detail.hpp"

namespace leopard::models {

// One layer's heads on one design: the busiest tile's times after LPT scheduling and the sums over
// heads of the design-dependent action counts (in head order, as the reference adds them).
struct LayerHeadSums {
  detail::LayerTimes times;
  double survivors = 0;
  double qk_unit_steps = 0;
  double qk_idle_steps = 0;
  double k_bits_read = 0;
};

// Every head of `layer` (layer.block, layer.heads for the histograms' slow path) for the design
// behind `t`. No allocation in the steady state (per-thread scratch).
LayerHeadSums evaluate_head_block(const detail::LayerTerms& t, const LayerProfile& layer);

// Per-thread memo of LayerHeadSums per layer slot (LayerProfile::memo_slot). Not thread-safe: one
// per thread.
class HeadMemo {
 public:
  static constexpr int kWays = 8;
  static constexpr int kMaxSlots = 8192;  // bounds the memory: ~2 KB per slot in use
  explicit HeadMemo(std::size_t slots);
  ~HeadMemo();
  // The sums stored for `slot` under exactly these key fields, or nullptr (also for slot < 0).
  const LayerHeadSums* find(int slot, const detail::LayerTerms& t) const;
  void put(int slot, const detail::LayerTerms& t, const LayerHeadSums& sums);
  std::size_t hits() const { return hits_; }
  std::size_t misses() const { return misses_; }

 private:
  struct Entry {
    std::array<double, detail::LayerTerms::kKeyFields> key{};
    LayerHeadSums sums;
  };
  struct Slot {
    std::array<Entry, kWays> entries;
    int used = 0;  // entries filled
    int next = 0;  // the entry replaced next (round robin)
    int last = 0;  // the entry hit or written last (looked at first)
  };
  std::vector<std::unique_ptr<Slot>> slots_;  // allocated on first use
  mutable std::size_t hits_ = 0, misses_ = 0;
};

// False when LEOPARD_HEAD_MEMO is "0" (read once).
bool head_memo_enabled();

}  // namespace leopard::models
