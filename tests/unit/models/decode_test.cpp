// Decode over a KV cache: DRAM traffic per token against closed forms (GQA sharing, row vs
// bit-plane K, V gathered by the group), linearity in the context when DRAM-bound, and the
// per-token outputs.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "model_fixtures.hpp"
#include "models/suite_evaluator.hpp"

namespace {

using namespace leopard::models;
using leopard::workloads::Phase;
using leopard::workloads::TaskWorkload;

// A decode task: `layers` layers of `heads` query heads over `kv_heads` K/V heads, d = 128, one
// query row per sequence against a cache of `context` keys, every score pruned with `rate`, the
// pruned ones terminating after K bit `bit`.
TaskWorkload decode_task(int heads, int kv_heads, std::int64_t context, double rate, int bit,
                         int generate = 1, int batch = 1) {
  TaskWorkload w = fixtures::task(heads, 128, 1, context, rate, fixtures::hist_at(bit), true);
  w.layers[0].shape.kv_heads = kv_heads;
  w.phase = Phase::kDecode;
  w.context = context;
  w.seq_len = context;
  w.generate = generate;
  w.batch = batch;
  return w;
}

ArchSpec dram_bound() {
  ArchSpec s = fixtures::one_tile();
  s.dram.bandwidth_gbps = 12.8;
  s.dram.burst_bytes = 32;
  return s;
}

double bytes(const ArchSpec& s, const TaskWorkload& w) {
  return fixtures::evaluate(s, fixtures::plain_calibration(), w, false).actions.dram_bytes;
}

}  // namespace

TEST_CASE("decode: K and V once per KV group and step, shared by the group's heads",
          "[models][decode]") {
  // Pruning off, row layout: per group 4096 keys x 128 x (12 + 16) bits = 1835008 B; Q and
  // outputs per head 128 x 28 / 8 = 448 B. 8 groups + 32 heads: 14680064 + 14336 B.
  ArchSpec s = dram_bound();
  s.qk.pruning = false;
  s.qk.early_termination = false;
  const double gqa = bytes(s, decode_task(32, 8, 4096, 0.7, 4));
  CHECK(gqa == Approx(8 * 1835008.0 + 32 * 448.0).epsilon(1e-12));
  // The MHA twin moves heads / kv_heads = 4 times the K/V (acceptance: within 5%).
  const double mha = bytes(s, decode_task(32, 32, 4096, 0.7, 4));
  CHECK(mha / gqa == Approx(4.0).epsilon(0.05));
  // Batch: every sequence has its own cache.
  CHECK(bytes(s, decode_task(32, 8, 4096, 0.7, 4, 1, 8)) == Approx(8 * gqa).epsilon(1e-12));
}

TEST_CASE("decode: V rows fetched when any head of the group keeps the score", "[models][decode]") {
  // Rate 0.75, G = 4: a V row (128 x 16 bits = 256 B, 8 bursts) is needed with 1 - 0.75^4.
  ArchSpec s = dram_bound();
  const double k = 4096 * 128 * 12 / 8.0;
  const double v = 4096 * 256.0 * (1 - std::pow(0.75, 4));
  CHECK(bytes(s, decode_task(4, 1, 4096, 0.75, 4)) == Approx(k + v + 4 * 448.0).epsilon(1e-12));
}

TEST_CASE("decode: bit planes never cost more than rows, and less at high pruning",
          "[models][decode]") {
  ArchSpec row = dram_bound();
  ArchSpec plane = row;
  plane.kv.layout = "bitplane";
  // Rate 0: every plane of every block is needed: the same K bytes (within 2%).
  const auto w0 = decode_task(32, 8, 4096, 0.0, 4);
  CHECK(bytes(plane, w0) == Approx(bytes(row, w0)).epsilon(0.02));
  CHECK(bytes(plane, w0) <= bytes(row, w0) * 1.02);
  // 99% pruned after bit 3, MHA (G = 1), B = 1: a block holds 32 B x 8 / 128 = 2 keys; plane j > 3
  // is needed only if one of the 2 scores survives: 1 - 0.99^2. K bytes per key:
  // 3 planes x 16 B + 9 x 16 B x (1 - 0.99^2).
  ArchSpec b1 = plane;
  b1.qk.bits_per_cycle = 1;
  const auto w = decode_task(1, 1, 4096, 0.99, 3);
  const double k_planes = 4096 * (3 * 16.0 + 9 * 16.0 * (1 - 0.99 * 0.99));
  const double v = 4096 * 256.0 * (1 - 0.99);
  CHECK(bytes(b1, w) == Approx(k_planes + v + 448.0).epsilon(1e-12));
  CHECK(bytes(b1, w) < 0.4 * bytes(row, w));
  // B = 2: a score ended at bit 3 consumes planes up to 4.
  const double k_b2 = 4096 * (4 * 16.0 + 8 * 16.0 * (1 - 0.99 * 0.99));
  CHECK(bytes(plane, w) == Approx(k_b2 + v + 448.0).epsilon(1e-12));
  // Without early termination every plane is needed.
  ArchSpec no_et = plane;
  no_et.qk.early_termination = false;
  CHECK(bytes(no_et, w) == Approx(bytes(row, w)).epsilon(1e-12));
}

TEST_CASE("decode: DRAM-bound ms per token is linear in the context", "[models][decode]") {
  const ArchSpec s = dram_bound();
  const Calibration cal = fixtures::plain_calibration();
  const double t4 = fixtures::evaluate(s, cal, decode_task(32, 8, 4096, 0.7, 4), false).latency_s;
  const double t8 = fixtures::evaluate(s, cal, decode_task(32, 8, 8192, 0.7, 4), false).latency_s;
  const double t16 = fixtures::evaluate(s, cal, decode_task(32, 8, 16384, 0.7, 4), false).latency_s;
  CHECK((t16 - t8) / (t8 - t4) == Approx(2.0).epsilon(0.01));
  CHECK(t8 / t4 == Approx(2.0).epsilon(0.02));
}

TEST_CASE("decode: generated steps priced at their own k_len, and the per-token outputs",
          "[models][decode]") {
  const ArchSpec s = dram_bound();
  const Calibration cal = fixtures::plain_calibration();
  // Three steps from a context of 100: k_len 100, 101, 102 -> the sum of three one-step tasks.
  const auto three = fixtures::evaluate(s, cal, decode_task(8, 2, 100, 0.5, 4, 3), false);
  double sum = 0;
  for (int n = 100; n <= 102; ++n) {
    sum += fixtures::evaluate(s, cal, decode_task(8, 2, n, 0.5, 4), false).latency_s;
  }
  CHECK(three.latency_s == Approx(sum).epsilon(1e-12));

  leopard::workloads::Suite suite;
  suite.tasks.push_back(decode_task(8, 2, 1000, 0.5, 4, 4, 3));
  const SuiteEvaluator ev(suite, load_arch("baseline"), cal, EvalOptions{});
  std::vector<TaskCost> tasks;
  ev.evaluate_detailed(s, tasks);
  REQUIRE(tasks.size() == 1);
  const TaskCost& t = tasks[0];
  CHECK(t.decode);
  CHECK(t.ms_per_token == Approx(t.cost.latency_s / 4 * 1e3));
  CHECK(t.tokens_per_s == Approx(3 * 4 / t.cost.latency_s));
  CHECK(t.uj_per_token == Approx(t.cost.energy_pj_total() * 1e-6 / 12));
  CHECK(t.dram_bytes_per_token == Approx(t.cost.actions.dram_bytes / 12));
}

TEST_CASE("decode: a sliding window caps the keys a step reads", "[models][decode]") {
  ArchSpec s = dram_bound();
  s.qk.pruning = false;
  auto windowed = decode_task(8, 2, 32768, 0.5, 4);
  windowed.layers[0].shape.window = 4096;
  CHECK(bytes(s, windowed) == Approx(bytes(s, decode_task(8, 2, 4096, 0.5, 4))).epsilon(1e-12));
}

TEST_CASE("decode: per-token percentiles over samples x steps equal the steps priced one by one",
          "[models][decode][quantiles]") {
  // 3 samples (pruning 0.3, 0.6, 0.9) x 40 steps from a context of 2000: 120 step values. Each
  // one priced independently as a one-step task at context 2000 + t with that sample's rate;
  // nearest-rank p50 = 60th, p99 = 119th of the 120 sorted values.
  const ArchSpec s = dram_bound();
  const Calibration cal = fixtures::plain_calibration();
  const double rates[] = {0.3, 0.6, 0.9};
  const int steps = 40, batch = 2;
  TaskWorkload w = decode_task(8, 2, 2000, 0.6, 4, steps, batch);
  for (double r : rates) w.samples.push_back(decode_task(8, 2, 2000, r, 4).layers);
  std::vector<double> ms, uj;
  for (double r : rates) {
    for (int t = 0; t < steps; ++t) {
      const Cost c = fixtures::evaluate(s, cal, decode_task(8, 2, 2000 + t, r, 4, 1, batch), false);
      ms.push_back(c.latency_s * 1e3);
      uj.push_back(c.energy_pj_total() * 1e-6 / batch);
    }
  }
  std::sort(ms.begin(), ms.end());
  std::sort(uj.begin(), uj.end());
  // The values spread (the rates differ): a test that a pooled mean would fail.
  REQUIRE(ms.back() > 1.2 * ms.front());

  leopard::workloads::Suite suite;
  suite.tasks.push_back(w);
  const SuiteEvaluator ev(suite, load_arch("baseline"), cal, EvalOptions{});
  std::vector<TaskCost> tasks;
  ev.evaluate_detailed(s, tasks);
  REQUIRE(tasks.size() == 1);
  const TaskCost& t = tasks[0];
  CHECK(t.token_values == 120);
  CHECK(t.ms_per_token_p50 == Approx(ms[59]).epsilon(1e-9));
  CHECK(t.ms_per_token_p99 == Approx(ms[118]).epsilon(1e-9));
  CHECK(t.uj_per_token_p99 == Approx(uj[118]).epsilon(1e-9));

  // Without samples: the steps of the pooled statistics; the p50 of increasing k_len lies
  // between the first and last step, and the mean step is ms_per_token.
  suite.tasks[0].samples.clear();
  const SuiteEvaluator one(suite, load_arch("baseline"), cal, EvalOptions{});
  one.evaluate_detailed(s, tasks);
  CHECK(tasks[0].token_values == steps);
  const double first =
      fixtures::evaluate(s, cal, decode_task(8, 2, 2000, 0.6, 4, 1, batch), false).latency_s * 1e3;
  const double last =
      fixtures::evaluate(s, cal, decode_task(8, 2, 2000 + steps - 1, 0.6, 4, 1, batch), false)
          .latency_s *
      1e3;
  CHECK(tasks[0].ms_per_token_p50 > first);
  CHECK(tasks[0].ms_per_token_p50 < last);
  CHECK(tasks[0].ms_per_token_p99 == Approx(last).epsilon(1e-9));  // rank 40 of 40: the last step
}

TEST_CASE("decode: bit planes never cost more than rows over rates, B, GQA groups and bursts",
          "[models][decode]") {
  // Acceptance: bit-plane K never costs more DRAM bytes nor time than whole rows (within 2% at
  // rate 0, where every plane of every block is fetched), and costs less at high pruning with
  // early termination (rate 0.99, scores ending by bit 6 of 12, any B up to 4: planes past 8 are
  // skipped by a block unless one of its G x keys-per-block scores survives): fewer K bytes, less
  // DRAM energy, and less time when the DRAM binds.
  const Calibration cal = fixtures::plain_calibration();
  const int groups[][2] = {{8, 8}, {8, 2}, {8, 1}};
  for (const int burst : {32, 64}) {
    for (const int b : {1, 2, 3, 4}) {
      for (const auto& g : groups) {
        for (const double rate : {0.0, 0.3, 0.739, 0.9, 0.99}) {
          for (const int bit : {2, 4, 6, 9}) {
            ArchSpec row = dram_bound();
            row.dram.burst_bytes = burst;
            row.qk.bits_per_cycle = b;
            ArchSpec plane = row;
            plane.kv.layout = "bitplane";
            const auto w = decode_task(g[0], g[1], 2048, rate, bit);
            CAPTURE(burst, b, g[0], g[1], rate, bit);
            const Cost r = fixtures::evaluate(row, cal, w, false);
            const Cost p = fixtures::evaluate(plane, cal, w, false);
            CHECK(p.actions.dram_bytes <= r.actions.dram_bytes * 1.02);
            CHECK(p.latency_s <= r.latency_s * 1.02);
            CHECK(p.actions.dram_v_bytes == Approx(r.actions.dram_v_bytes).epsilon(1e-12));
            if (rate == 0.0) {
              CHECK(p.actions.dram_bytes == Approx(r.actions.dram_bytes).epsilon(0.02));
            }
            if (rate == 0.99 && bit <= 6) {
              CHECK(p.actions.dram_k_bytes < 0.95 * r.actions.dram_k_bytes);
              CHECK(p.energy_dram_pj() < r.energy_dram_pj());
              // Faster only where the DRAM binds (MQA at B = 1 is front-end bound here).
              if (r.dram_cycles > r.compute_cycles) CHECK(p.latency_s < r.latency_s);
            }
          }
        }
      }
    }
  }
}
