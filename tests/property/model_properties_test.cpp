// Properties of the LeOPArd cost model over random designs and random workloads (fixed seed):
// the dense limit, monotonicity in DRAM bandwidth and QK units, energy = sum of its parts (and of
// actions x per-action energies), quadratic attention work in the sequence length, the
// termination-step mapping ceil(b1 / B) and the order statistics it uses.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost_model.hpp"
#include "random_models.hpp"
#include "workloads/workload.hpp"

namespace {

using namespace leopard::property;

double total_scores(const TaskWorkload& w) {
  double s = 0;
  for (const auto& l : w.layers) s += l.shape.heads * l.shape.scores_per_head();
  return s;
}

double ceil_div(double a, double b) { return std::ceil(a / b); }

// One layer, one head, 8 x 8 scores (64), `n_pruned` of them pruned, all after K bit `bit`.
TaskWorkload one_head(double n_pruned, int bit) {
  TaskWorkload w;
  LayerWorkload l;
  l.shape.heads = 1;
  l.shape.head_dim = 64;
  l.shape.q_len = 8;
  l.shape.k_len = 8;
  TerminationStats st;
  st.n_scores = 64;
  st.n_pruned = n_pruned;
  st.hist = std::vector<double>(12, 0.0);
  st.hist[bit - 1] = 1.0;
  l.heads = {st};
  w.layers = {l};
  return w;
}

}  // namespace

TEST_CASE("property: no pruning and no early termination gives the dense work",
          "[property][models]") {
  std::mt19937_64 rng(20240611);
  const Calibration cal = shipped();
  for (int trial = 0; trial < kTrials; ++trial) {
    const ArchSpec spec = random_spec(rng);
    const TaskWorkload w = random_task(rng);
    const TaskProfile p = precompute_task(w);
    ArchSpec dense = spec;
    dense.qk.pruning = false;
    const Cost c = run(dense, cal, p, true);
    // Closed forms of the dense computation, layer by layer.
    double scores = 0, dense_macs = 0, steps = 0, macs = 0;
    for (const auto& l : w.layers) {
      const double s = l.shape.heads * l.shape.scores_per_head();
      scores += s;
      dense_macs += 2 * s * l.shape.head_dim;  // QK^T + PV, d MACs each
      steps += s * ceil_div(spec.qk.bits, spec.qk.bits_per_cycle) *
               ceil_div(l.shape.head_dim, spec.qk.lanes);
      macs += s * ceil_div(l.shape.head_dim, spec.v.macs) * spec.v.macs;
    }
    INFO("trial " << trial);
    CHECK(c.actions.scores == Approx(scores).epsilon(1e-12));
    CHECK(c.actions.survivors == Approx(scores).epsilon(1e-12));
    CHECK(c.actions.dense_macs == Approx(dense_macs).epsilon(1e-12));
    CHECK(c.actions.qk_unit_steps == Approx(steps).epsilon(1e-12));
    CHECK(c.actions.macs == Approx(macs).epsilon(1e-12));

    // Pruning on but a workload that prunes nothing, without early termination: the same work.
    TaskWorkload zero = w;
    for (auto& l : zero.layers) {
      for (auto& h : l.heads) h.n_pruned = 0;
    }
    ArchSpec no_et = spec;
    no_et.qk.early_termination = false;
    const Cost z = run(no_et, cal, precompute_task(zero), true);
    CHECK(z.actions.survivors == Approx(c.actions.survivors).epsilon(1e-12));
    CHECK(z.actions.qk_unit_steps == Approx(c.actions.qk_unit_steps).epsilon(1e-12));
    CHECK(z.actions.k_bits_read == Approx(c.actions.k_bits_read).epsilon(1e-12));
    CHECK(z.actions.v_bits_read == Approx(c.actions.v_bits_read).epsilon(1e-12));
    CHECK(z.actions.macs == Approx(c.actions.macs).epsilon(1e-12));
    CHECK(z.front_cycles == Approx(c.front_cycles).epsilon(1e-12));
    // And a pruning design never does more front-end work than its dense self, whatever the
    // design's Q/K width vs the histograms' (pruned steps are capped at a full score's).
    INFO("qk.bits " << spec.qk.bits << " B " << spec.qk.bits_per_cycle);
    CHECK(run(spec, cal, p, true).actions.qk_unit_steps <= c.actions.qk_unit_steps * (1 + 1e-12));
  }
}

TEST_CASE("property: the baseline preset takes one step per score", "[property][models]") {
  std::mt19937_64 rng(7);
  Calibration cal = shipped();
  cal.frontend_row_cycles = 0;  // the closed form below counts only the dot products
  const ArchSpec base = load_arch("baseline");
  for (int trial = 0; trial < kTrials; ++trial) {
    const TaskWorkload w = random_task(rng);
    const Cost c = run(base, cal, precompute_task(w), true);
    double steps = 0, front = 0;
    for (const auto& l : w.layers) {
      const double passes = ceil_div(l.shape.head_dim, base.qk.lanes);
      steps += l.shape.heads * l.shape.scores_per_head() * passes;
      // One unit per tile, heads spread over tiles: the busier tile does ceil(H / T) heads.
      front += ceil_div(l.shape.heads, base.tiles) * l.shape.scores_per_head() * passes;
    }
    INFO("trial " << trial);
    CHECK(c.actions.qk_unit_steps == Approx(steps).epsilon(1e-12));
    CHECK(c.front_cycles == Approx(front).epsilon(1e-9));
    CHECK(c.actions.survivors == Approx(total_scores(w)).epsilon(1e-12));
  }
}

TEST_CASE("property: more DRAM bandwidth never makes a design slower", "[property][models]") {
  std::mt19937_64 rng(11);
  const Calibration cal = shipped();
  for (int trial = 0; trial < kTrials; ++trial) {
    ArchSpec spec = random_spec(rng);
    const TaskProfile p = precompute_task(random_task(rng));
    double prev_cycles = INFINITY;
    for (const double bw : {0.5, 2.0, 8.0, 12.8, 25.6, 100.0, 256.0, 1000.0, 1e5}) {
      spec.dram.bandwidth_gbps = bw;
      const Cost c = run(spec, cal, p, false);
      INFO("trial " << trial << " bandwidth " << bw << " double buffer "
                    << spec.dram.double_buffer);
      CHECK(c.cycles <= prev_cycles * (1 + 1e-12));
      CHECK(c.cycles >= c.compute_cycles * (1 - 1e-12));  // never faster than the chip
      prev_cycles = c.cycles;
    }
  }
}

TEST_CASE("property: more QK units never slow a task down", "[property][models]") {
  std::mt19937_64 rng(13);
  Calibration cal = shipped();
  for (const double sync : {cal.frontend_sync_factor, 1.0}) {
    cal.frontend_sync_factor = sync;
    for (int trial = 0; trial < kTrials / 2; ++trial) {
      ArchSpec spec = random_spec(rng);
      const TaskProfile p = precompute_task(random_task(rng));
      double prev = INFINITY;
      for (int units = 1; units <= 24; ++units) {
        spec.qk.dpus = units;
        const Cost c = run(spec, cal, p, true);
        // (The critical tile's front-end cycles alone may rise: a faster head can move the
        // critical path to another tile; the task's time may not.)
        INFO("sync " << sync << " trial " << trial << " units " << units);
        CHECK(c.compute_cycles <= prev * (1 + 1e-9));
        prev = c.compute_cycles;
      }
    }
  }
}

TEST_CASE("property: energy total is the sum of its components, each actions x energy",
          "[property][models]") {
  std::mt19937_64 rng(17);
  const Calibration cal = shipped();
  for (int trial = 0; trial < kTrials; ++trial) {
    const ArchSpec spec = random_spec(rng);
    const TaskWorkload w = random_task(rng);
    const DesignConstants k = derive_constants(spec, cal);
    const Cost c = LeopardCostModel(cal).evaluate(spec, k, precompute_task(w), false);
    const auto e = [&](Component comp) { return c.energy_pj[static_cast<int>(comp)]; };
    double sum = 0;
    for (int i = 0; i < kNumComponents; ++i) {
      CHECK(c.energy_pj[static_cast<std::size_t>(i)] >= 0);
      sum += c.energy_pj[static_cast<std::size_t>(i)];
    }
    double fill = 0;
    for (const auto& l : w.layers) {
      fill += l.shape.heads * static_cast<double>(l.shape.k_len) * l.shape.head_dim *
              (spec.qk.bits * k.kbuf_write_pj_per_bit + spec.v.bits * k.vbuf_write_pj_per_bit);
    }
    const Actions& a = c.actions;
    INFO("trial " << trial);
    CHECK(c.energy_pj_total() == Approx(sum).epsilon(1e-12));
    CHECK(c.energy_onchip_pj() + c.energy_dram_pj() == Approx(sum).epsilon(1e-12));
    CHECK(e(Component::kQkCompute) ==
          Approx(a.qk_unit_steps * spec.qk.lanes * k.qk_pj_per_lane_step +
                 a.qk_idle_steps * k.qk_idle_pj)
              .epsilon(1e-9));
    CHECK(e(Component::kKeyBuffer) == Approx(a.k_bits_read * k.kbuf_read_pj_per_bit).epsilon(1e-9));
    CHECK(e(Component::kSoftmax) == Approx(a.softmax_ops * k.softmax_pj).epsilon(1e-9));
    CHECK(e(Component::kVCompute) == Approx(a.macs * k.mac_pj).epsilon(1e-9));
    CHECK(e(Component::kValueBuffer) ==
          Approx(a.v_bits_read * k.vbuf_read_pj_per_bit).epsilon(1e-9));
    CHECK(e(Component::kFifo) == Approx(a.fifo_ops * k.fifo_pj).epsilon(1e-9));
    CHECK(e(Component::kBufferFill) == Approx(fill).epsilon(1e-9));
    CHECK(e(Component::kLeakage) == Approx(k.leakage_w * c.latency_s * 1e12).epsilon(1e-9));
    CHECK(e(Component::kDram) == Approx(a.dram_bytes * 8 * spec.dram.pj_per_bit).epsilon(1e-9));
  }
}

TEST_CASE("property: costs add up over layers (a task = the sum of its layers)",
          "[property][models]") {
  std::mt19937_64 rng(19);
  const Calibration cal = shipped();
  for (int trial = 0; trial < kTrials / 4; ++trial) {
    const ArchSpec spec = random_spec(rng);
    const TaskWorkload w = random_task(rng);
    Cost sum;
    for (const auto& l : w.layers) {
      TaskWorkload single = w;
      single.layers = {l};
      sum += run(spec, cal, precompute_task(single), false);
    }
    const Cost all = run(spec, cal, precompute_task(w), false);
    INFO("trial " << trial);
    CHECK(all.cycles == Approx(sum.cycles).epsilon(1e-12));
    CHECK(all.latency_s == Approx(sum.latency_s).epsilon(1e-12));
    CHECK(all.energy_pj_total() == Approx(sum.energy_pj_total()).epsilon(1e-12));
    CHECK(all.actions.scores == Approx(sum.actions.scores).epsilon(1e-12));
  }
}

TEST_CASE("property: doubling the sequence length quadruples attention work (non-causal)",
          "[property][models]") {
  std::mt19937_64 rng(23);
  const Calibration cal = shipped();
  for (int trial = 0; trial < kTrials; ++trial) {
    const ArchSpec spec = random_spec(rng);
    const std::int64_t s = pick(rng, 2, 400);
    std::mt19937_64 shape_rng(rng());
    std::mt19937_64 shape_rng2 = shape_rng;  // same layers, heads, dims and rates
    const TaskWorkload w1 = random_task(shape_rng, s, 0);
    const TaskWorkload w2 = random_task(shape_rng2, 2 * s, 0);
    const Cost c1 = run(spec, cal, precompute_task(w1), true);
    const Cost c2 = run(spec, cal, precompute_task(w2), true);
    INFO("trial " << trial << " seq " << s);
    CHECK(c2.actions.scores == Approx(4 * c1.actions.scores).epsilon(1e-12));
    CHECK(c2.actions.dense_macs == Approx(4 * c1.actions.dense_macs).epsilon(1e-12));
    CHECK(c2.actions.survivors == Approx(4 * c1.actions.survivors).epsilon(1e-9));
    double dense = 0;
    for (const auto& l : w1.layers) {
      dense += 2.0 * l.shape.heads * static_cast<double>(s * s) * l.shape.head_dim;
    }
    CHECK(c1.actions.dense_macs == Approx(dense).epsilon(1e-12));
  }
}

TEST_CASE("property: a pruned score terminating after 2 bits costs 2 steps at B=1, 1 at B=2",
          "[property][models]") {
  TaskWorkload w = one_head(32, 2);  // half pruned, every pruned score stops after K bit 2
  const HeadProfile h = precompute_task(w).layers.at(0).heads.at(0);
  CHECK(h.pruned_steps_mean[1] == Approx(2.0));
  CHECK(h.pruned_steps_mean[2] == Approx(1.0));
  CHECK(h.pruned_steps_mean[3] == Approx(1.0));
  CHECK(h.pruned_steps_var[1] == Approx(0.0).margin(1e-12));
  CHECK(h.prune_rate == Approx(0.5));

  // A mixed histogram: bits 1 / 3 / 12 with 0.25 / 0.5 / 0.25. B = 2: steps 1 / 2 / 6 -> mean
  // 0.25 + 1 + 1.5 = 2.75, E[s^2] = 0.25 + 2 + 9 = 11.25, variance 11.25 - 7.5625 = 3.6875.
  // B = 4: steps 1 / 1 / 3 -> mean 1.5.
  w.layers[0].heads[0].hist = std::vector<double>(12, 0.0);
  w.layers[0].heads[0].hist[0] = 0.25;
  w.layers[0].heads[0].hist[2] = 0.5;
  w.layers[0].heads[0].hist[11] = 0.25;
  const HeadProfile m = precompute_task(w).layers.at(0).heads.at(0);
  CHECK(m.pruned_steps_mean[1] == Approx(0.25 + 1.5 + 3));
  CHECK(m.pruned_steps_mean[2] == Approx(2.75));
  CHECK(m.pruned_steps_var[2] == Approx(3.6875));
  CHECK(m.pruned_steps_mean[4] == Approx(1.5));
  CHECK(m.pruned_steps_mean[12] == Approx(1.0));

  // The whole model agrees: one unit, B = 1 vs B = 2, every score pruned after 2 bits.
  w = one_head(64, 2);
  Calibration cal;
  cal.frontend_row_cycles = 0;
  ArchSpec spec;
  spec.tiles = 1;
  spec.qk.dpus = 1;
  spec.qk.bits_per_cycle = 1;
  const TaskProfile p = precompute_task(w);
  CHECK(run(spec, cal, p, true).actions.qk_unit_steps == Approx(64 * 2));
  spec.qk.bits_per_cycle = 2;
  CHECK(run(spec, cal, p, true).actions.qk_unit_steps == Approx(64 * 1));
}

TEST_CASE("property: order statistics of normals", "[property][models]") {
  CHECK(expected_max_std_normal(1) == 0.0);
  // Exact E[max of n N(0,1)]: n = 2: 1/sqrt(pi) = 0.5642, n = 4: 1.0294, n = 10: 1.5388; Blom's
  // approximation is within 0.03 of these.
  CHECK(expected_max_std_normal(2) == Approx(0.5642).margin(0.03));
  CHECK(expected_max_std_normal(4) == Approx(1.0294).margin(0.03));
  CHECK(expected_max_std_normal(10) == Approx(1.5388).margin(0.03));
  double prev = expected_max_std_normal(1);
  for (int n = 2; n <= 256; ++n) {
    const double v = expected_max_std_normal(n);
    INFO("n = " << n);
    CHECK(v > prev);
    prev = v;
  }
  // Clark (exact for two normals): E[max(X, Y)], X, Y ~ N(0, 1) i.i.d. = 1 / sqrt(pi).
  CHECK(expected_max_normals(0, 1, 0, 1) == Approx(1 / std::sqrt(M_PI)).epsilon(1e-9));
  // Degenerate: no spread -> the larger mean.
  CHECK(expected_max_normals(3, 0, 5, 0) == Approx(5));
  std::mt19937_64 rng(29);
  for (int trial = 0; trial < 1000; ++trial) {
    const double mx = uniform(rng, -50, 50), my = uniform(rng, -50, 50);
    const double sx = uniform(rng, 0, 10), sy = uniform(rng, 0, 10);
    const double m = expected_max_normals(mx, sx, my, sy);
    INFO(mx << " " << sx << " " << my << " " << sy);
    CHECK(m >= mx - 1e-9);
    CHECK(m >= my - 1e-9);
    // And at most the larger mean plus E[max] of the spreads: max(X,Y) <= max(mx,my) + |dX|+|dY|.
    CHECK(m <= std::max(mx, my) + (sx + sy) * std::sqrt(2 / M_PI) + 1e-9);
  }
}

// A design narrower than the statistics (qk.bits = 8 with 12-bit histograms) must not pay more
// steps for a pruned score than for a full one: min(ceil(b1 / B), ceil(bits / B)).
TEST_CASE("property: a pruned score never takes more steps than a full one", "[property][models]") {
  // Every score pruned after K bit 12 (the last bit of a 12-bit K).
  const TaskWorkload w = one_head(64, 12);
  Calibration cal;
  cal.frontend_row_cycles = 0;
  ArchSpec spec;
  spec.tiles = 1;
  spec.qk.dpus = 1;
  spec.qk.bits = 8;
  for (const int b : {1, 2, 3}) {
    spec.qk.bits_per_cycle = b;
    // 64 scores x ceil(8 / B) steps at most: B = 1: 512, B = 2: 256, B = 3: 192.
    INFO("B = " << b);
    CHECK(run(spec, cal, precompute_task(w), true).actions.qk_unit_steps <=
          64 * ceil_div(8, b) + 1e-9);
  }
}
