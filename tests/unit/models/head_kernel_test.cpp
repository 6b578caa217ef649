// Issue 16: the fast path (head kernel + run memo) equals the readable reference within 1e-9
// relative, on the merged paper suite and on the per-head suite of bench/perhead_suite.hpp, with
// and without DRAM, for prefill, causal and decode tasks; and the tabulated normal maximum stays
// within its derived error bound of the exact function.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bench/perhead_suite.hpp"
#include "model_fixtures.hpp"
#include "models/cost_model_detail.hpp"
#include "models/suite_evaluator.hpp"
#include "workloads/suite.hpp"

namespace {

using namespace leopard::models;

double rel(double a, double b) {
  const double s = std::max(std::abs(a), std::abs(b));
  return s > 0 ? std::abs(a - b) / s : 0.0;
}

constexpr double kTol = 1e-9;

void check_cost(const Cost& a, const Cost& b, const std::string& what) {
  INFO(what);
  CHECK(rel(a.latency_s, b.latency_s) <= kTol);
  CHECK(rel(a.cycles, b.cycles) <= kTol);
  CHECK(rel(a.front_cycles, b.front_cycles) <= kTol);
  CHECK(rel(a.back_cycles, b.back_cycles) <= kTol);
  CHECK(rel(a.stall_cycles, b.stall_cycles) <= kTol);
  CHECK(rel(a.dram_cycles, b.dram_cycles) <= kTol);
  for (int c = 0; c < kNumComponents; ++c) {
    INFO("energy component " << to_string(static_cast<Component>(c)));
    CHECK(rel(a.energy_pj[static_cast<std::size_t>(c)], b.energy_pj[static_cast<std::size_t>(c)]) <=
          kTol);
  }
  const Actions &x = a.actions, &y = b.actions;
  for (const auto& [name, u, v] :
       {std::tuple{"survivors", x.survivors, y.survivors},
        std::tuple{"qk_unit_steps", x.qk_unit_steps, y.qk_unit_steps},
        std::tuple{"qk_idle_steps", x.qk_idle_steps, y.qk_idle_steps},
        std::tuple{"k_bits_read", x.k_bits_read, y.k_bits_read},
        std::tuple{"v_bits_read", x.v_bits_read, y.v_bits_read},
        std::tuple{"dram_bytes", x.dram_bytes, y.dram_bytes},
        std::tuple{"sram_bits_written", x.sram_bits_written, y.sram_bits_written}}) {
    INFO(name);
    CHECK(rel(u, v) <= kTol);
  }
}

// The grid of dse/spaces/paper.yaml in its order (clock fastest, then the value buffer, the key
// buffer, MACs, B, units, tiles), every `stride`-th design from `first`, at most `limit`.
std::vector<ArchSpec> paper_grid(std::size_t first, std::size_t stride, std::size_t limit) {
  std::vector<ArchSpec> all;
  const ArchSpec ae = load_arch("leopard-ae");
  for (int tiles : {1, 2, 4}) {
    for (int dpus : {4, 6, 8, 12}) {
      for (int b : {1, 2, 3, 4}) {
        for (int macs : {32, 64, 128}) {
          for (int key : {32, 48, 64}) {
            for (int value : {48, 64, 96}) {
              for (double clock : {600.0, 800.0, 1000.0}) {
                ArchSpec s = ae;
                s.tiles = tiles;
                s.qk.dpus = dpus;
                s.qk.bits_per_cycle = b;
                s.v.macs = macs;
                s.buffers.key_kib = key;
                s.buffers.value_kib = value;
                s.buffers.key_banks = 0;  // auto, as the space's designs
                s.clock_mhz = clock;
                all.push_back(s);
              }
            }
          }
        }
      }
    }
  }
  std::vector<ArchSpec> out;
  for (std::size_t i = first; i < all.size() && out.size() < limit; i += stride) {
    out.push_back(all[i]);
  }
  return out;
}

// The fast SuiteEvaluator against the reference one on `designs` in order (so that the run memo
// hits and misses as in a grid sweep): summaries, and per-task costs of every 8th design.
void check_suite(const leopard::workloads::Suite& suite, const std::vector<ArchSpec>& designs,
                 bool onchip_only) {
  const Calibration cal = load_calibration(default_calibration_path()).values;
  const ArchSpec base = load_arch("baseline");
  EvalOptions fast_opt, ref_opt;
  fast_opt.onchip_only = ref_opt.onchip_only = onchip_only;
  ref_opt.reference = true;
  const SuiteEvaluator fast(suite, base, cal, fast_opt), ref(suite, base, cal, ref_opt);
  for (std::size_t n = 0; n < designs.size(); ++n) {
    const ArchSpec& s = designs[n];
    INFO("design " << n << (onchip_only ? " on chip" : " with DRAM"));
    const SuiteCost a = fast.evaluate(s), b = ref.evaluate(s);
    CHECK(rel(a.latency_s, b.latency_s) <= kTol);
    CHECK(rel(a.energy_j, b.energy_j) <= kTol);
    CHECK(rel(a.energy_onchip_j, b.energy_onchip_j) <= kTol);
    CHECK(rel(a.energy_dram_j, b.energy_dram_j) <= kTol);
    CHECK(rel(a.speedup_geomean, b.speedup_geomean) <= kTol);
    CHECK(rel(a.energy_reduction_geomean, b.energy_reduction_geomean) <= kTol);
    CHECK(a.bottleneck == b.bottleneck);
    if (n % 8 == 0) {
      std::vector<TaskCost> ta, tb;
      fast.evaluate_detailed(s, ta);
      ref.evaluate_detailed(s, tb);
      REQUIRE(ta.size() == tb.size());
      for (std::size_t t = 0; t < ta.size(); ++t) {
        check_cost(ta[t].cost, tb[t].cost, ta[t].model + "/" + ta[t].task);
        CHECK(ta[t].bottleneck == tb[t].bottleneck);
      }
    }
  }
  CHECK(!designs.empty());
}

}  // namespace

TEST_CASE("head kernel: the tabulated normal maximum is within its error bound",
          "[models][head_kernel]") {
  // Cubic Hermite with exact slopes, step 1/64: |error| <= max|h''''| step^4 / 384 with
  // max|h''''| = phi(0) (cost_model_detail.hpp); a little above it for rounding.
  const double bound = 1.0 / std::sqrt(2 * M_PI) * std::pow(1.0 / 64, 4) / 384 * 1.01;
  double worst = 0;
  for (int i = 0; i <= 1700 * 37; ++i) {
    const double a = -8.5 + i / (100.0 * 37);
    worst = std::max(worst, std::abs(detail::normal_excess(a) - detail::normal_excess_exact(a)));
  }
  INFO("worst absolute error " << worst << ", bound " << bound);
  CHECK(worst <= bound);
  CHECK(worst > 0);  // a table, not the exact function

  // E[max(m, N(mu, sd^2))] against Clark's exact formula (expected_max_normals): relative error
  // at most bound x sd / result.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mean(0.0, 100.0), sd(0.0, 30.0);
  for (int k = 0; k < 20000; ++k) {
    const double m = mean(rng), mu = mean(rng), s = sd(rng);
    const double exact = expected_max_normals(m, 0.0, mu, s);
    const double table = detail::max_with_normal(m, mu, s);
    INFO(m << " " << mu << " " << s);
    CHECK(std::abs(table - exact) <= bound * s + 4e-16 * exact);
  }
}

TEST_CASE("head kernel: fast path equals the reference on the merged paper suite",
          "[models][head_kernel]") {
  const auto suite = leopard::workloads::load_suite("paper");
  check_suite(suite, paper_grid(0, 97, 40), false);
  check_suite(suite, paper_grid(5, 89, 40), true);
}

TEST_CASE("head kernel: fast path equals the reference on the per-head suite",
          "[models][head_kernel]") {
  const auto suite = leopard::bench::make_perhead_suite(leopard::workloads::load_suite("paper"));
  std::size_t distinct_layers = 0;
  for (const auto& t : suite.tasks) {
    for (const auto& l : t.layers) distinct_layers += l.heads.size() > 1 ? 1 : 0;
  }
  CHECK(distinct_layers > 400);  // the generator made the heads differ
  // Consecutive designs (clock, then value buffer, ... change: memo hits and misses).
  check_suite(suite, paper_grid(1000, 1, 30), false);
  check_suite(suite, paper_grid(0, 131, 30), false);
  check_suite(suite, paper_grid(7, 127, 30), true);
}

TEST_CASE("head kernel: fast path equals the reference on causal, decode and narrower designs",
          "[models][head_kernel]") {
  using namespace leopard::models::fixtures;
  const Calibration cal = load_calibration(default_calibration_path()).values;
  const LeopardCostModel model(cal);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto jitter = [&](leopard::workloads::TaskWorkload w) {
    for (auto& l : w.layers) {
      for (auto& h : l.heads) {
        h.n_pruned = h.n_scores * (0.05 + 0.9 * u(rng));
        h.hist = leopard::bench::shift_histogram(h.hist, 3 * u(rng) - 1.5);
      }
    }
    return w;
  };
  std::vector<leopard::workloads::TaskWorkload> tasks;
  tasks.push_back(jitter(task(12, 64, 384, 384, 0.7, hist_at(5), true)));     // causal prefill
  tasks.push_back(jitter(task(16, 64, 1024, 1024, 0.8, hist_at(4), false)));  // several chunks
  auto dec = jitter(task(32, 128, 1, 2048, 0.8, hist_at(6), true));
  dec.layers[0].shape.kv_heads = 8;
  dec.phase = leopard::workloads::Phase::kDecode;
  dec.context = 2048;
  dec.seq_len = 2048;
  dec.generate = 5;
  dec.batch = 2;
  tasks.push_back(dec);
  std::vector<ArchSpec> specs(4, one_tile());
  specs[1].tiles = 3;
  specs[2].qk.bits = 8;  // fewer bits than the statistics: the capped moments
  specs[2].qk.bits_per_cycle = 3;
  specs[3].qk.early_termination = false;
  specs[3].tiles = 32;
  for (const auto& w : tasks) {
    const TaskProfile p = precompute_task(w);
    for (std::size_t j = 0; j < specs.size(); ++j) {
      const DesignConstants k = derive_constants(specs[j], cal);
      for (const bool onchip : {true, false}) {
        check_cost(model.evaluate(specs[j], k, p, onchip),
                   model.evaluate_reference(specs[j], k, p, onchip),
                   "design " + std::to_string(j) + (onchip ? " on chip" : " with DRAM"));
      }
    }
  }
}
