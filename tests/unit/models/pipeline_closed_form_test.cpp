// Closed-form checks of the LeOPArd cost model's front end (bit-serial QK units), back end (V-PU on
// surviving scores), one-row-ahead pipelining and the spreading of heads over tiles, on hand-made
// one-layer workloads whose numbers are worked out in the comments.
#include <catch2/catch.hpp>
#include <cmath>

#include "model_fixtures.hpp"

namespace {

using namespace leopard::models;
using fixtures::evaluate;
using fixtures::hist_at;
using fixtures::one_tile;
using fixtures::plain_calibration;
using fixtures::task;

Approx exact(double v) { return Approx(v).epsilon(1e-9).margin(1e-9); }

}  // namespace

TEST_CASE("front end: keys split over the units, ceil(b1/B) steps, mean row time without sync",
          "[models][frontend]") {
  // 1 head, d = 64, q_len = k_len = 16 -> 256 scores, 16 keys per row. 4 units of 64 lanes, B = 2.
  // Half the scores are pruned after K bit 3: ceil(3 / 2) = 2 steps; survivors take ceil(12 / 2)
  // = 6 steps. Mean steps per score = 0.5 x 2 + 0.5 x 6 = 4.
  // Each unit holds 16 / 4 = 4 keys -> a row takes 4 x 4 = 16 cycles (sync factor 0: the mean);
  // 16 rows -> 256 front-end cycles.
  ArchSpec spec = one_tile();
  spec.qk.dpus = 4;
  const auto w = task(1, 64, 16, 16, 0.5, hist_at(3));
  const Cost c = evaluate(spec, plain_calibration(), w);
  CHECK(c.front_cycles == exact(256));
  CHECK(c.actions.scores == exact(256));
  CHECK(c.actions.qk_unit_steps == exact(256 * 4));         // 1024 busy unit-cycles
  CHECK(c.actions.k_bits_read == exact(256 * 4 * 2 * 64));  // steps x B bits x 64 lanes
  // Busy units: 1024 steps over 4 units x compute cycles.
  CHECK(c.actions.qk_idle_steps == exact(4 * c.compute_cycles - 1024));
}

TEST_CASE("front end: the step count is ceil(b1 / B) for every B", "[models][frontend]") {
  // One unit, so a row is the plain sum. d = 64, 8 x 8 = 64 scores, half pruned at bit 3.
  // steps per score = 0.5 ceil(3/B) + 0.5 ceil(12/B):
  //   B=1: 0.5x3 + 0.5x12 = 7.5;  B=2: 1 + 3 = 4;  B=3: 0.5 + 2 = 2.5;  B=4: 0.5 + 1.5 = 2;
  //   B=5: 0.5 + 1.5 = 2;  B=12: 0.5 + 0.5 = 1.
  const std::pair<int, double> cases[] = {{1, 7.5}, {2, 4}, {3, 2.5}, {4, 2}, {5, 2}, {12, 1}};
  for (const auto& [b, steps] : cases) {
    ArchSpec spec = one_tile();
    spec.qk.dpus = 1;
    spec.qk.bits_per_cycle = b;
    const Cost c = evaluate(spec, plain_calibration(), task(1, 64, 8, 8, 0.5, hist_at(3)));
    INFO("B = " << b);
    CHECK(c.front_cycles == exact(64 * steps));
    CHECK(c.actions.qk_unit_steps == exact(64 * steps));
  }
}

TEST_CASE("front end: passes when the head dim exceeds the lanes", "[models][frontend]") {
  // As the first case but 32 lanes for d = 64: 2 passes per score -> a row takes 4 x 4 x 2 = 32
  // cycles, 16 rows -> 512. K bits read per step cover both passes: 256 x 4 x 2 bits x 64 lanes.
  ArchSpec spec = one_tile();
  spec.qk.dpus = 4;
  spec.qk.lanes = 32;
  const Cost c = evaluate(spec, plain_calibration(), task(1, 64, 16, 16, 0.5, hist_at(3)));
  CHECK(c.front_cycles == exact(512));
  CHECK(c.actions.qk_unit_steps == exact(2048));
  CHECK(c.actions.k_bits_read == exact(256 * 4 * 2 * 64));
  // d = 80 with 64 lanes: ceil(80 / 64) = 2 passes over 128 lane slots.
  ArchSpec wide = one_tile();
  wide.qk.dpus = 4;
  const Cost c80 = evaluate(wide, plain_calibration(), task(1, 80, 16, 16, 0.5, hist_at(3)));
  CHECK(c80.front_cycles == exact(512));
  CHECK(c80.actions.k_bits_read == exact(256 * 4 * 2 * 128));
}

TEST_CASE("front end: the row waits for the slowest unit (expected maximum)",
          "[models][frontend]") {
  // Steps per score: 2 with probability 0.5, 6 with probability 0.5 -> mean 4, variance 4.
  // A unit sums 4 scores: sd = sqrt(4 x 4) = 4. Sync factor 1: row = 16 + 4 x E[max of 4 N(0,1)]
  // with Blom's approximation Phi^-1((4 - 0.375) / 4.25) = 1.0491314 -> 20.1965256 per row.
  ArchSpec spec = one_tile();
  spec.qk.dpus = 4;
  Calibration cal = plain_calibration();
  cal.frontend_sync_factor = 1.0;
  const auto w = task(1, 64, 16, 16, 0.5, hist_at(3));
  const Cost c = evaluate(spec, cal, w);
  CHECK(c.front_cycles == Approx(16 * (16 + 4 * 1.0491314)).epsilon(1e-6));
  // Half the weight, half the penalty.
  cal.frontend_sync_factor = 0.5;
  CHECK(evaluate(spec, cal, w).front_cycles == Approx(16 * (16 + 2 * 1.0491314)).epsilon(1e-6));

  SECTION("one unit: no maximum penalty") {
    // One unit holds all 16 keys: 16 x 4 = 64 cycles per row whatever the sync factor.
    spec.qk.dpus = 1;
    cal.frontend_sync_factor = 1.0;
    CHECK(evaluate(spec, cal, w).front_cycles == exact(16 * 64));
  }
  SECTION("no variance (nothing pruned): no maximum penalty") {
    // Every score takes 6 steps: 4 x 6 = 24 per row.
    cal.frontend_sync_factor = 1.0;
    CHECK(evaluate(spec, cal, task(1, 64, 16, 16, 0.0, hist_at(3))).front_cycles == exact(16 * 24));
  }
}

TEST_CASE("back end: survivors x cycles per surviving V row + row work", "[models][backend]") {
  // d = 64 over 32 MACs: ceil(64 / 32) = 2 MAC passes per V row. The value buffer has
  // ceil(32 x 16 / 128) = 4 banks of 128-bit ports = 512 bits per cycle, so a 64 x 16-bit V row
  // streams in 1024 / 512 = 2 cycles. A survivor after a pruned key re-addresses (1.8 V-row read
  // times: c = 1.8 x 2 = 3.6 cycles) or streams through the gap, whichever is cheaper:
  // E[min(c, 2G)] = sum_g p^g clamp(c - 2(g-1), 0, 2) = 0.75 x 2 + 0.75^2 x 1.6 = 2.4 at
  // p = 0.75 -> 4.4 cycles per survivor.
  // 16 keys per row, 75% pruned -> 4 survivors: 4 x 4.4 + 2 (row normalisation, one MAC pass per
  // output row) = 19.6 per row; 16 rows -> 313.6. Work: 64 survivors x 64 MACs, 16-bit V rows.
  ArchSpec spec = one_tile();
  spec.v.macs = 32;
  const Cost c = evaluate(spec, plain_calibration(), task(1, 64, 16, 16, 0.75, hist_at(3)));
  CHECK(c.back_cycles == exact(313.6));
  CHECK(c.actions.survivors == exact(64));
  CHECK(c.actions.macs == exact(64 * 64));
  CHECK(c.actions.v_bits_read == exact(64 * 64 * 16));
  CHECK(c.actions.softmax_ops == exact(64));
  CHECK(c.actions.fifo_ops == exact(4 * 64));
  CHECK(c.actions.dense_macs == exact(2 * 256 * 64));

  SECTION("the paper's V-PU: 64 MACs, 8 banks, one V row per cycle when streamed") {
    // 64 MACs: 8 banks x 128 bits = 1024 bits per cycle = one row per cycle. Extra per survivor:
    // 0.75 x min(1, 1.8) + 0.75^2 x min(1, 0.8) = 0.75 + 0.45 = 1.2 -> 2.2 cycles per survivor
    // (docs/paper-facts.md §6: about 2.4; docs/cost-model.md §4.2). 4 x 2.2 + 1 = 9.8 per row ->
    // 156.8.
    spec.v.macs = 64;
    const Cost d = evaluate(spec, plain_calibration(), task(1, 64, 16, 16, 0.75, hist_at(3)));
    CHECK(d.back_cycles == exact(156.8));
  }
  SECTION("a re-address costlier than any gap: the back end streams, as if nothing were pruned") {
    // c = 100: E[min(c, G)] = sum_g p^g = p / (1 - p) = 3 at p = 0.75, so 4 survivors x 4 + 1 =
    // 17 per row, exactly the dense 16 x 1 + 1.
    spec.v.macs = 64;
    Calibration cal = plain_calibration();
    cal.backend_readdress_cycles = 100;
    const Cost d = evaluate(spec, cal, task(1, 64, 16, 16, 0.75, hist_at(3)));
    CHECK(d.back_cycles == Approx(16 * 17).epsilon(1e-9));
  }
  SECTION("no pruning: every score survives, rows streamed at the port bandwidth") {
    // max(2 MAC passes, 2 streaming cycles) = 2 per score: 16 x 2 + 2 = 34 per row -> 544.
    spec.qk.pruning = false;
    const Cost d = evaluate(spec, plain_calibration(), task(1, 64, 16, 16, 0.75, hist_at(3)));
    CHECK(d.back_cycles == exact(544));
    CHECK(d.actions.survivors == exact(256));
  }
}

TEST_CASE("pipelining: each row costs the larger of front and back end", "[models][pipeline]") {
  // Nothing pruned (pruning on, rate 0): no variance anywhere, no gaps. d = 64, 64 MACs, 16 x 16
  // scores. Back end per row: 16 x 1 + 1 = 17. Front end per row with 4 units: 4 keys x 6 steps
  // = 24. Row time = max(24, 17) = 24; plus pipeline fill (one front row, one back row):
  // 16 x 24 + 24 + 17 = 425 cycles, no stalls.
  ArchSpec spec = one_tile();
  spec.qk.dpus = 4;
  const auto w = task(1, 64, 16, 16, 0.0, hist_at(3));
  const Cost c = evaluate(spec, plain_calibration(), w);
  CHECK(c.compute_cycles == exact(425));
  CHECK(c.cycles == exact(425));
  CHECK(c.stall_cycles == exact(0));
  CHECK(c.latency_s == exact(425 / 800e6));
  CHECK(summarise("m", "t", c, spec, true).bottleneck == Bottleneck::kFrontEnd);
  // Pruning on at rate 0 costs exactly what pruning off does.
  ArchSpec off = spec;
  off.qk.pruning = false;
  off.qk.early_termination = false;
  CHECK(evaluate(off, plain_calibration(), w).compute_cycles == exact(425));

  SECTION("back-end bound with 8 units") {
    // Front row 2 x 6 = 12 < 17: 16 x 17 + 12 + 17 = 301, stalls 16 x (17 - 12) = 80.
    spec.qk.dpus = 8;
    const Cost b = evaluate(spec, plain_calibration(), w);
    CHECK(b.compute_cycles == exact(301));
    CHECK(b.stall_cycles == exact(80));
    CHECK(summarise("m", "t", b, spec, true).bottleneck == Bottleneck::kBackEnd);
  }
  SECTION("front-end bound with one unit") {
    // Front row 16 x 6 = 96 > 17: 16 x 96 + 96 + 17 = 1649, no stalls.
    spec.qk.dpus = 1;
    const Cost f = evaluate(spec, plain_calibration(), w);
    CHECK(f.compute_cycles == exact(1649));
    CHECK(f.stall_cycles == exact(0));
    CHECK(summarise("m", "t", f, spec, true).bottleneck == Bottleneck::kFrontEnd);
  }
  SECTION("random survivors: E[max(front, back)] with a normal back end") {
    // Half pruned at bit 3 (2 steps). Front row (4 units) = 4 x (0.5 x 2 + 0.5 x 6) = 16.
    // Extra per survivor 0.5 x 1 + 0.25 x 0.8 = 0.7, so 1.7 cycles per survivor.
    // Back row mean = 8 x 1.7 + 1 = 14.6, sd = sqrt(16 x 0.25) x 1.7 = 3.4.
    // E[max(16, X)] = 16 + 3.4 phi(z) - 1.4 (1 - Phi(z)), z = 1.4 / 3.4: 16.7697954303.
    // Total = 16 x 16.7697954303 + 16 + 14.6 = 298.916726885.
    const Cost r = evaluate(spec, plain_calibration(), task(1, 64, 16, 16, 0.5, hist_at(3)));
    CHECK(r.compute_cycles == Approx(298.916726885).epsilon(1e-9));
    CHECK(r.front_cycles == exact(256));
    CHECK(r.back_cycles == exact(16 * 14.6));
  }
}

TEST_CASE("heads are spread over tiles, energy and work count every head", "[models][tiles]") {
  ArchSpec spec = one_tile();
  spec.qk.dpus = 4;
  const Calibration cal = plain_calibration();
  const Cost one = evaluate(spec, cal, task(1, 64, 16, 16, 0.5, hist_at(3)));
  // 3 heads on 2 tiles: the busier tile runs ceil(3 / 2) = 2 heads back to back.
  ArchSpec two = spec;
  two.tiles = 2;
  const Cost three = evaluate(two, cal, task(3, 64, 16, 16, 0.5, hist_at(3)));
  CHECK(three.compute_cycles == exact(2 * one.compute_cycles));
  CHECK(three.actions.scores == exact(3 * 256));
  CHECK(three.energy_pj[static_cast<int>(Component::kQkCompute)] ==
        exact(3 * one.energy_pj[static_cast<int>(Component::kQkCompute)]));
  // 4 heads on 4 tiles: one head each.
  ArchSpec four = spec;
  four.tiles = 4;
  CHECK(evaluate(four, cal, task(4, 64, 16, 16, 0.5, hist_at(3))).compute_cycles ==
        exact(one.compute_cycles));

  SECTION("heads with their own statistics: head h on tile h mod T") {
    // Head 0 prunes nothing (rows of 4 x 6 = 24 front, 16 x 1 + 1 = 17 back -> 16 x 24 + 41 =
    // 425); head 1 as `one`. One tile: the sum; two tiles: the larger.
    auto w = task(2, 64, 16, 16, 0.5, hist_at(3));
    w.layers[0].heads[0].n_pruned = 0;
    const Cost h0 = evaluate(spec, cal, task(1, 64, 16, 16, 0.0, hist_at(3)));
    CHECK(h0.compute_cycles == exact(425));
    CHECK(evaluate(spec, cal, w).compute_cycles == exact(425 + one.compute_cycles));
    CHECK(evaluate(two, cal, w).compute_cycles == exact(425));
  }
}

TEST_CASE("per-action energies follow the calibration and the spec", "[models][energy]") {
  // QK energy per lane per step = pJ per partial product x (q bits x B + overhead) at 65 nm 1.0 V:
  // 0.005 x (12 x 2 + 4) = 0.14 pJ. MAC: 1.2 pJ x (16/16)^2. Softmax 40 pJ, FIFO 0.25 pJ.
  Calibration cal = plain_calibration();
  cal.qk_pj_per_lane_bit = 0.005;
  cal.qk_lane_overhead_bits = 4;
  cal.energy_scale_qk = 1;
  cal.mac_pj = 1.2;
  cal.energy_scale_v = 1;
  cal.softmax_pj_per_score = 40;
  cal.energy_scale_softmax = 1;
  cal.fifo_pj_per_op = 0.25;
  ArchSpec spec = one_tile();
  spec.qk.dpus = 4;
  const DesignConstants k = derive_constants(spec, cal);
  CHECK(k.qk_pj_per_lane_step == exact(0.14));
  CHECK(k.mac_pj == exact(1.2));
  CHECK(k.softmax_pj == exact(40));
  CHECK(k.fifo_pj == exact(0.25));
  CHECK(k.value_banks == 8);  // 64 MACs x 16 bits / 128-bit ports (paper: 8 x 8 KB)
  // 8-bit V: MAC energy scales with width squared -> 1.2 / 4 = 0.3 pJ.
  ArchSpec narrow = spec;
  narrow.v.bits = 8;
  CHECK(derive_constants(narrow, cal).mac_pj == exact(0.3));

  // The first front-end case: 1024 unit steps x 64 lanes x 0.14 pJ = 9175.04 pJ of QK compute;
  // 128 survivors x 64 MACs x 1.2 pJ = 9830.4 pJ; softmax 128 x 40 = 5120 pJ; FIFO 512 x 0.25.
  const Cost c = LeopardCostModel(cal).evaluate(
      spec, k, precompute_task(task(1, 64, 16, 16, 0.5, hist_at(3))), true);
  const auto e = [&](Component comp) { return c.energy_pj[static_cast<int>(comp)]; };
  CHECK(e(Component::kQkCompute) == exact(9175.04));
  CHECK(e(Component::kVCompute) == exact(9830.4));
  CHECK(e(Component::kSoftmax) == exact(5120));
  CHECK(e(Component::kFifo) == exact(128));
  CHECK(e(Component::kKeyBuffer) == exact(131072 * k.kbuf_read_pj_per_bit));
  CHECK(e(Component::kValueBuffer) == exact(128 * 64 * 16 * k.vbuf_read_pj_per_bit));
  CHECK(e(Component::kDram) == exact(0));
}
