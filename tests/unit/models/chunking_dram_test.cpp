// Closed-form checks of buffer chunking (sequences longer than the buffers), DRAM traffic per head,
// DRAM cycles against bandwidth with and without double buffering, and the roofline summary.
#include <catch2/catch.hpp>

#include "model_fixtures.hpp"

namespace {

using namespace leopard::models;
using fixtures::evaluate;
using fixtures::hist_at;
using fixtures::one_tile;
using fixtures::plain_calibration;
using fixtures::small_buffers;
using fixtures::task;

Approx exact(double v) { return Approx(v).epsilon(1e-9).margin(1e-9); }

// q_len = 4, k_len = 20, d = 64: chunks = ceil(20 / 8) = 3.
leopard::workloads::TaskWorkload chunked_task() { return task(1, 64, 4, 20, 0.0, hist_at(3)); }

}  // namespace

TEST_CASE("chunking: ceil(k_len / tokens) chunks, Q re-streamed, partials merged",
          "[models][chunking]") {
  // 80 scores, 3 chunks: 12 rows of 80 / 4 / 3 = 6.667 keys. Front row = 6.667 steps (B = 12:
  // one step per score) -> front 80. Back row = 6.667 + 1 = 7.667 -> 12 rows = 92, plus merging
  // (3 - 1) chunks x 4 rows x ceil(64 / 64) = 8 -> back 100.
  // Compute = 12 x max(6.667, 7.667) + 6.667 + 7.667 + 8 = 114.333.
  const ArchSpec spec = small_buffers();
  const Cost c = evaluate(spec, plain_calibration(), chunked_task());
  CHECK(c.front_cycles == exact(80));
  CHECK(c.back_cycles == exact(100));
  CHECK(c.compute_cycles == exact(92 + 20.0 / 3 + 23.0 / 3 + 8));
  CHECK(c.actions.scores == exact(80));
  CHECK(c.actions.qk_unit_steps == exact(80));

  SECTION("the same head with buffers for all 20 tokens: one chunk, no merge") {
    // 4 rows of 20 keys: front 20, back 21 per row -> 4 x 21 + 20 + 21 = 125.
    ArchSpec big = spec;
    big.buffers.key_kib = 48;
    big.buffers.value_kib = 64;
    const Cost u = evaluate(big, plain_calibration(), chunked_task());
    CHECK(u.compute_cycles == exact(125));
    CHECK(u.back_cycles == exact(84));
  }
  SECTION("the smaller buffer sets the chunk") {
    // Value buffer 0.5 KiB = 4 tokens -> 5 chunks: merge (5 - 1) x 4 = 16; rows of 4 keys:
    // back 20 rows x 5 + 16 = 116.
    ArchSpec v = spec;
    v.buffers.value_kib = 0.5;
    CHECK(evaluate(v, plain_calibration(), chunked_task()).back_cycles == exact(116));
  }
}

TEST_CASE("DRAM traffic: K and V once, Q per chunk, outputs once, partials per extra chunk",
          "[models][dram]") {
  // Single-buffered: K + V: 20 x 64 x (12 + 16) / 8 = 4480 B; Q: 4 x 64 x 12 / 8 = 384 B x 3
  // chunks = 1152 B; outputs 4 x 64 x 16 / 8 = 512 B; 32-bit partials written and read for 2 extra
  // chunks: 2 x 4 x 64 x 4 x 2 = 4096 B. Total 10240 B.
  ArchSpec spec = small_buffers();
  spec.dram.double_buffer = false;
  const Cost c = evaluate(spec, plain_calibration(), chunked_task(), false);
  CHECK(c.actions.dram_bytes == exact(10240));
  // Double-buffered: a chunk may use half of each buffer, 4 tokens -> 5 chunks: Q 5 x 384 = 1920 B,
  // partials 4 x 2048 = 8192 B: 4480 + 1920 + 512 + 8192 = 15104 B.
  ArchSpec db = spec;
  db.dram.double_buffer = true;
  CHECK(evaluate(db, plain_calibration(), chunked_task(), false).actions.dram_bytes ==
        exact(15104));
  // On chip only (nothing is loaded, the paper's methodology) the whole buffer holds a chunk.
  CHECK(evaluate(db, plain_calibration(), chunked_task(), true).compute_cycles ==
        exact(evaluate(spec, plain_calibration(), chunked_task(), true).compute_cycles));
  // Unchunked: 4480 + 384 + 512 = 5376 B.
  ArchSpec big = spec;
  big.buffers.key_kib = 48;
  big.buffers.value_kib = 64;
  CHECK(evaluate(big, plain_calibration(), chunked_task(), false).actions.dram_bytes ==
        exact(5376));
  // SRAM fills: every K and V bit once = 20 x 64 x 28 = 35840 bits.
  CHECK(c.actions.sram_bits_written == exact(35840));
  // Energy: 10240 B x 8 bits x 8 pJ/bit (LPDDR4) = 655360 pJ.
  CHECK(c.energy_dram_pj() == exact(655360));
  // On-chip only drops the traffic, its time and its energy.
  const Cost on = evaluate(spec, plain_calibration(), chunked_task(), true);
  CHECK(on.actions.dram_bytes == exact(0));
  CHECK(on.energy_dram_pj() == exact(0));
  CHECK(on.dram_cycles == exact(0));
  CHECK(on.cycles == exact(on.compute_cycles));
}

TEST_CASE("DRAM cycles against bandwidth, with and without double buffering", "[models][dram]") {
  // 0.8 GB/s at 800 MHz = 1 B per cycle. Double-buffered: 5 chunks of 4 tokens (half buffers):
  // 15104 DRAM cycles (memory-bound); compute = 20 rows x max(4, 4 + 1) + 4 + 5 + merge 4 x 4 =
  // 125; cycles = max(compute, DRAM) + the first head's K/V load (4480 B) = 19584.
  // Single-buffered: 3 chunks, 10240 B, compute + DRAM = 114.333 + 10240.
  const double compute = 92 + 20.0 / 3 + 23.0 / 3 + 8;
  const double compute_db = 125;
  ArchSpec spec = small_buffers();
  spec.dram.bandwidth_gbps = 0.8;
  spec.dram.double_buffer = true;
  const Cost db = evaluate(spec, plain_calibration(), chunked_task(), false);
  CHECK(db.dram_cycles == exact(15104));
  CHECK(db.compute_cycles == exact(compute_db));
  CHECK(db.cycles == exact(19584));
  CHECK(db.latency_s == exact(19584 / 800e6));
  const TaskCost s = summarise("m", "t", db, spec, false);
  CHECK(s.bottleneck == Bottleneck::kDram);
  // Roofline: 2 x dense MACs (2 x 80 x 64) = 20480 ops / 15104 B; the DRAM roof is the intensity
  // x 0.8 GB/s and binds; the front end alone would do 20480 ops in 80 cycles at 800 MHz.
  CHECK(s.op_intensity == exact(20480.0 / 15104));
  CHECK(s.roof_dram_gops == exact(20480.0 / 15104 * 0.8));
  CHECK(s.attainable_gops == exact(20480.0 / 15104 * 0.8));
  CHECK(s.roof_front_gops == exact(20480.0 * 0.8 / 80));
  CHECK(s.roof_back_gops == exact(20480.0 * 0.8 / 116));
  CHECK(s.achieved_gops <= s.attainable_gops);
  CHECK(s.dram_utilization == exact(15104.0 / 19584));

  spec.dram.double_buffer = false;
  const Cost nb = evaluate(spec, plain_calibration(), chunked_task(), false);
  CHECK(nb.cycles == exact(compute + 10240));

  SECTION("compute-bound: 800 GB/s = 1000 B per cycle") {
    // DRAM 15.104 cycles; double buffering hides all but the first load (4.48 cycles).
    spec.dram.bandwidth_gbps = 800;
    spec.dram.double_buffer = true;
    const Cost fast = evaluate(spec, plain_calibration(), chunked_task(), false);
    CHECK(fast.dram_cycles == exact(15.104));
    CHECK(fast.cycles == exact(compute_db + 4.48));
    CHECK(summarise("m", "t", fast, spec, false).bottleneck != Bottleneck::kDram);
    spec.dram.double_buffer = false;
    CHECK(evaluate(spec, plain_calibration(), chunked_task(), false).cycles ==
          exact(compute + 10.24));
  }
}

TEST_CASE("leakage energy is static power times latency", "[models][energy]") {
  Calibration cal = plain_calibration();
  cal.logic_leakage_mw_per_mm2 = 10;
  cal.sram_leakage_factor = 0.1;
  const ArchSpec spec = small_buffers();
  const DesignConstants k = derive_constants(spec, cal);
  REQUIRE(k.leakage_w > 0);
  const Cost c = evaluate(spec, cal, chunked_task(), false);
  CHECK(c.energy_pj[static_cast<int>(Component::kLeakage)] ==
        Approx(k.leakage_w * c.latency_s * 1e12).epsilon(1e-12));
}
