// Long-context prefill: a chunked causal head makes one (row, chunk) pass per chunk that a row's
// keys touch (counted here by brute force, with and without a sliding window, square and
// bottom-right), 128k-token prompts price without overflow, causal masking halves the cost and
// doubling the prompt quadruples it.
#include <catch2/catch.hpp>
#include <cstdint>

#include "model_fixtures.hpp"

namespace {

using namespace leopard::models;
using fixtures::evaluate;
using fixtures::hist_at;
using fixtures::plain_calibration;
using fixtures::task;

Approx exact(double v) { return Approx(v).epsilon(1e-9).margin(1e-9); }

// A dense one-unit design (B = 12, no pruning), d = 64: every score takes one front-end step and
// one back-end cycle, a row pass one more (row_pass = ceil(64 / 64)). Buffers of 8 tokens
// (Key 0.75 KiB = 6144 bits / (64 x 12); Value 1 KiB = 8192 bits / (64 x 16)), single-buffered.
ArchSpec small_buffers() {
  ArchSpec s = fixtures::small_buffers();
  s.dram.double_buffer = false;
  return s;
}
constexpr std::int64_t kChunk = 8;

struct Passes {
  double scores = 0;  // (row, key) pairs
  double pairs = 0;   // (row, chunk) pairs with at least one key
  double rows = 0;    // rows with at least one key
};

// Brute force: every key each query row sees (bottom-right causal: row i sees keys up to
// k_len - q_len + i, the last `window` of them), and the distinct chunks those keys fall in.
Passes brute_force(std::int64_t q_len, std::int64_t k_len, std::int64_t window) {
  Passes p;
  for (std::int64_t i = 0; i < q_len; ++i) {
    std::int64_t last_chunk = -1, seen = 0;
    for (std::int64_t key = 0; key <= k_len - q_len + i; ++key) {
      if (window > 0 && key < k_len - q_len + i + 1 - window) continue;
      ++seen;
      if (key / kChunk != last_chunk) {
        last_chunk = key / kChunk;
        ++p.pairs;
      }
    }
    p.scores += static_cast<double>(seen);
    p.rows += seen > 0 ? 1 : 0;
  }
  return p;
}

leopard::workloads::TaskWorkload causal(std::int64_t q_len, std::int64_t k_len,
                                        std::int64_t window) {
  auto w = task(1, 64, q_len, k_len, 0.0, hist_at(3), true);
  w.layers[0].shape.window = window;
  return w;
}

}  // namespace

TEST_CASE("long prefill: a causal 20-token head over 8-token chunks makes 36 row passes, not 60",
          "[models][chunking][prefill]") {
  // Rows see 1..20 keys: ceil(h / 8) chunks each = 8 x 1 + 8 x 2 + 4 x 3 = 36 passes (non-causal:
  // 20 x 3 = 60). 210 scores. Back end: 210 survivors + 36 row passes + 16 merges = 262.
  // Compute: 36 x (210 / 36 + 1) + 210 / 36 + (210 / 36 + 1) + 16 = 274.667.
  // DRAM: K + V 20 x 64 x 28 / 8 = 4480 B, Q 36 x 96 B = 3456 B, outputs 20 x 128 B = 2560 B,
  // partials 16 x 64 x 4 x 2 = 8192 B: 18688 B.
  const Cost c = evaluate(small_buffers(), plain_calibration(), causal(20, 20, 0), false);
  CHECK(c.actions.scores == exact(210));
  CHECK(c.front_cycles == exact(210));
  CHECK(c.back_cycles == exact(262));
  CHECK(c.compute_cycles == exact(36 + 210 + 2 * 210.0 / 36 + 1 + 16));
  CHECK(c.actions.dram_bytes == exact(18688));
}

TEST_CASE("long prefill: (row, chunk) passes of causal, windowed and bottom-right heads",
          "[models][chunking][prefill]") {
  // Per head: front = scores, back = scores + passes + (passes - rows) merges, DRAM = K + V once,
  // Q per pass, outputs once, 32-bit partials per pass beyond a row's first.
  const std::int64_t shapes[][3] = {{20, 20, 0},  {20, 20, 8}, {12, 20, 0}, {12, 20, 5},
                                    {1, 37, 0},   {37, 37, 3}, {37, 37, 9}, {40, 23, 0},
                                    {40, 23, 11}, {64, 64, 16}};
  for (const auto& sh : shapes) {
    const std::int64_t q = sh[0], k = sh[1], window = sh[2];
    const Passes p = brute_force(q, k, window);
    CAPTURE(q, k, window, p.pairs);
    const Cost c = evaluate(small_buffers(), plain_calibration(), causal(q, k, window), false);
    CHECK(c.actions.scores == exact(p.scores));
    CHECK(c.front_cycles == exact(p.scores));
    CHECK(c.back_cycles == exact(p.scores + p.pairs + (p.pairs - p.rows)));
    const double row = p.scores / p.pairs;
    CHECK(c.compute_cycles == exact(p.pairs * (row + 1) + row + (row + 1) + (p.pairs - p.rows)));
    CHECK(c.actions.dram_bytes ==
          exact(k * 224.0 + p.pairs * 96 + q * 128.0 + (p.pairs - p.rows) * 512));
  }
}

TEST_CASE("long prefill: 128k tokens without overflow; causal halves the cost, which is quadratic",
          "[models][chunking][prefill]") {
  // The paper's AE design (2 tiles, 48 KiB Key / 64 KiB Value buffers: chunks of 256 tokens of
  // d = 128 on chip, 128 with DRAM double buffering) and the shipped calibration, one layer of 32
  // heads, 73.9% pruned after bit 5 (the LLM suite's pruning rate).
  const ArchSpec ae = load_arch("leopard-ae");
  const Calibration cal = load_calibration(default_calibration_path()).values;
  const auto prefill = [&](std::int64_t s, bool is_causal, bool onchip) {
    return evaluate(ae, cal, task(32, 128, s, s, 0.739, hist_at(5), is_causal), onchip);
  };
  for (const bool onchip : {true, false}) {
    CAPTURE(onchip);
    const std::int64_t s = 131072;
    const Cost full = prefill(s, false, onchip);
    const Cost half = prefill(s, true, onchip);
    // 32 x 131072 x 131073 / 2 = 2.7e11 scores, exact (no 32-bit count wraps).
    CHECK(half.actions.scores == exact(32 * 131072.0 * 131073.0 / 2));
    CHECK(full.actions.scores == exact(32 * 131072.0 * 131072.0));
    CHECK(half.latency_s > 0);
    CHECK(half.latency_s / full.latency_s == Approx(0.5).margin(0.01));
    CHECK(half.energy_pj_total() / full.energy_pj_total() == Approx(0.5).margin(0.01));
    if (!onchip) {
      CHECK(half.actions.dram_bytes / full.actions.dram_bytes == Approx(0.5).margin(0.01));
    }
    // Doubling the prompt: four times the work (the linear terms, K/V loads and per-row
    // overheads, are a few tenths of a percent at 64k).
    for (const bool is_causal : {false, true}) {
      CAPTURE(is_causal);
      const Cost s64 = prefill(65536, is_causal, onchip);
      const Cost s128 = prefill(s, is_causal, onchip);
      CHECK(s128.latency_s / s64.latency_s == Approx(4).epsilon(0.01));
      CHECK(s128.energy_pj_total() / s64.energy_pj_total() == Approx(4).epsilon(0.01));
    }
  }
}
