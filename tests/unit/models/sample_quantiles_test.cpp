// The per-sample tail: nearest-rank percentiles (closed cases) and the suite evaluator's per-task
// and suite percentiles, checked against the samples priced one by one as tasks of their own.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "models/quantiles.hpp"
#include "models/suite_evaluator.hpp"
#include "tests/unit/models/model_fixtures.hpp"

using namespace leopard::models;
namespace wl = leopard::workloads;

TEST_CASE("nearest rank: ceil(p n / 100), at least 1", "[models][quantiles]") {
  // n = 100: the p-th value.
  CHECK(nearest_rank(100, 50) == 50);
  CHECK(nearest_rank(100, 95) == 95);
  CHECK(nearest_rank(100, 99) == 99);
  // n = 10: p50 is the 5th, p95 and p99 the 10th (the maximum).
  CHECK(nearest_rank(10, 50) == 5);
  CHECK(nearest_rank(10, 95) == 10);
  CHECK(nearest_rank(10, 99) == 10);
  // n = 1: everything is the one value; n = 3: p50 is the 2nd (ceil 1.5).
  CHECK(nearest_rank(1, 50) == 1);
  CHECK(nearest_rank(1, 99) == 1);
  CHECK(nearest_rank(3, 50) == 2);
  // n = 200: p99 is the 198th; n = 20: p95 the 19th; n = 19: p95 the 19th (the maximum).
  CHECK(nearest_rank(200, 99) == 198);
  CHECK(nearest_rank(20, 95) == 19);
  CHECK(nearest_rank(19, 95) == 19);
  CHECK(nearest_rank(101, 99) == 100);  // ceil(99.99)
  // Exact in integers where p n / 100 is whole (a float 0.99 * 100 could round either way).
  CHECK(nearest_rank(300, 99) == 297);
}

TEST_CASE("p99 of fewer than 100 samples is the sample maximum", "[models][quantiles]") {
  for (std::size_t n = 1; n < 100; ++n) {
    INFO(n);
    CHECK(p99_is_sample_max(n));
  }
  CHECK_FALSE(p99_is_sample_max(100));
  CHECK_FALSE(p99_is_sample_max(1000));
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(nearest_rank_quantile(v, 50) == 5);
  CHECK(nearest_rank_quantile(v, 95) == 10);
  CHECK(nearest_rank_quantile(v, 99) == 10);
  std::vector<double> h(100);
  for (int i = 0; i < 100; ++i) h[static_cast<std::size_t>(i)] = i + 1;
  CHECK(nearest_rank_quantile(h, 50) == 50);
  CHECK(nearest_rank_quantile(h, 99) == 99);  // not the maximum (100)
}

namespace {

// One BERT-base-like layer (12 heads, d = 64, 256 tokens) at `rate`, termination histogram
// spread over bits 3..6 so that B matters.
std::vector<wl::LayerWorkload> layers_at(double rate) {
  std::vector<double> hist(12, 0.0);
  hist[2] = 0.4;
  hist[3] = 0.3;
  hist[4] = 0.2;
  hist[5] = 0.1;
  return fixtures::task(12, 64, 256, 256, rate, hist).layers;
}

// Sample j of 100: prune rates 50%..95% in a scrambled order (37 is coprime to 100, so j -> 37 j
// mod 100 visits every step once).
double rate_of(int j) { return 0.50 + 0.45 * static_cast<double>((37 * j) % 100) / 99.0; }

wl::TaskWorkload sampled_task(int n) {
  wl::TaskWorkload t = fixtures::task(12, 64, 256, 256, 0.7, std::vector<double>(12, 0.0));
  t.task = "sampled";
  double pooled_rate = 0;
  for (int j = 0; j < n; ++j) {
    t.samples.push_back(layers_at(rate_of(j)));
    pooled_rate += rate_of(j) / n;
  }
  t.layers = layers_at(pooled_rate);  // what build_task_workload's pooling gives here
  return t;
}

// The samples as tasks of their own (no sample column).
wl::Suite one_task_per_sample(int n) {
  wl::Suite s;
  s.name = "one-by-one";
  for (int j = 0; j < n; ++j) {
    wl::TaskWorkload t = fixtures::task(12, 64, 256, 256, 0.7, std::vector<double>(12, 0.0));
    t.task = "s" + std::to_string(j);
    t.layers = layers_at(rate_of(j));
    s.tasks.push_back(t);
  }
  return s;
}

double nearest(std::vector<double> v, int percent) {
  std::sort(v.begin(), v.end());
  // Independent of nearest_rank(): the smallest value with at least percent % of the values at or
  // below it.
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (100.0 * static_cast<double>(i + 1) >= percent * static_cast<double>(v.size()) - 1e-9)
      return v[i];
  }
  return v.back();
}

}  // namespace

TEST_CASE("a 100-sample task: percentiles equal the samples priced one by one",
          "[models][quantiles][suite]") {
  const ArchSpec spec = fixtures::one_tile();
  const Calibration cal = fixtures::plain_calibration();
  wl::Suite sampled;
  sampled.name = "sampled";
  sampled.tasks.push_back(sampled_task(100));
  const SuiteEvaluator ev(sampled, spec, cal, EvalOptions{});
  REQUIRE(ev.has_samples());
  std::vector<TaskCost> tasks;
  const SuiteCost suite = ev.evaluate_detailed(spec, tasks);
  REQUIRE(tasks.size() == 1);
  const SampleQuantiles& q = tasks[0].quantiles;
  CHECK(q.samples == 100);

  const SuiteEvaluator each(one_task_per_sample(100), spec, cal, EvalOptions{});
  CHECK_FALSE(each.has_samples());
  std::vector<TaskCost> singles;
  each.evaluate_detailed(spec, singles);
  REQUIRE(singles.size() == 100);
  std::vector<double> lat, energy;
  for (const auto& t : singles) {
    lat.push_back(t.cost.latency_s);
    energy.push_back(t.cost.energy_pj_total() * 1e-12);
    // Without samples every percentile is the task's own value.
    CHECK(t.quantiles.samples == 1);
    CHECK(t.quantiles.latency_p99_s == t.cost.latency_s);
    CHECK(t.quantiles.energy_p50_j == Approx(t.cost.energy_pj_total() * 1e-12).epsilon(1e-12));
  }
  // The workload spreads: the tail is not the pooled mean (else this test could not fail).
  const auto [lo, hi] = std::minmax_element(lat.begin(), lat.end());
  CHECK(*hi / *lo > 1.5);
  CHECK(q.latency_p99_s > tasks[0].cost.latency_s * 1.1);

  CHECK(q.latency_p50_s == Approx(nearest(lat, 50)).epsilon(0.01));
  CHECK(q.latency_p95_s == Approx(nearest(lat, 95)).epsilon(0.01));
  CHECK(q.latency_p99_s == Approx(nearest(lat, 99)).epsilon(0.01));
  CHECK(q.energy_p50_j == Approx(nearest(energy, 50)).epsilon(0.01));
  CHECK(q.energy_p99_j == Approx(nearest(energy, 99)).epsilon(0.01));
  // Nearest rank picks a sample: the p99 of 100 is the second largest, not the maximum.
  CHECK(q.latency_p99_s < *hi);
  CHECK(q.latency_p50_s <= q.latency_p95_s);
  CHECK(q.latency_p95_s <= q.latency_p99_s);

  // Suite level (one task): the task's percentiles; the hot path (evaluate) gives the same.
  CHECK(suite.quantiles.latency_p99_s == q.latency_p99_s);
  const SuiteCost fast = ev.evaluate(spec);
  CHECK(fast.quantiles.latency_p50_s == q.latency_p50_s);
  CHECK(fast.quantiles.latency_p99_s == q.latency_p99_s);
  CHECK(fast.quantiles.energy_p99_j == q.energy_p99_j);
  CHECK(fast.latency_s == suite.latency_s);
}

TEST_CASE("suite percentiles: sums of the tasks' (geometric means with geomean)",
          "[models][quantiles][suite]") {
  const ArchSpec spec = fixtures::one_tile();
  const Calibration cal = fixtures::plain_calibration();
  wl::Suite s;
  s.name = "mixed";
  s.tasks.push_back(sampled_task(10));
  wl::TaskWorkload plain = fixtures::task(12, 64, 256, 256, 0.8, layers_at(0.8)[0].heads[0].hist);
  plain.task = "plain";
  s.tasks.push_back(plain);
  for (bool geomean : {false, true}) {
    INFO("geomean " << geomean);
    EvalOptions opt;
    opt.geomean_latency = geomean;
    const SuiteEvaluator ev(s, spec, cal, opt);
    std::vector<TaskCost> t;
    const SuiteCost c = ev.evaluate_detailed(spec, t);
    REQUIRE(t.size() == 2);
    CHECK(t[0].quantiles.samples == 10);
    CHECK(t[1].quantiles.samples == 1);
    CHECK(t[1].quantiles.latency_p99_s == t[1].cost.latency_s);
    auto combine = [&](double a, double b) { return geomean ? std::sqrt(a * b) : a + b; };
    CHECK(c.quantiles.latency_p99_s ==
          Approx(combine(t[0].quantiles.latency_p99_s, t[1].cost.latency_s)).epsilon(1e-12));
    CHECK(c.quantiles.latency_p50_s ==
          Approx(combine(t[0].quantiles.latency_p50_s, t[1].cost.latency_s)).epsilon(1e-12));
    CHECK(c.quantiles.energy_p99_j ==
          Approx(combine(t[0].quantiles.energy_p99_j, t[1].quantiles.energy_p99_j)).epsilon(1e-12));
    // 10 samples: the p99 is the largest of the ten priced alone.
    const SuiteEvaluator each(one_task_per_sample(10), spec, cal, opt);
    std::vector<TaskCost> singles;
    each.evaluate_detailed(spec, singles);
    double worst = 0;
    for (const auto& x : singles) worst = std::max(worst, x.cost.latency_s);
    CHECK(t[0].quantiles.latency_p99_s == Approx(worst).epsilon(1e-12));
    CHECK(t[0].quantiles.latency_p95_s == Approx(worst).epsilon(1e-12));
  }
}

TEST_CASE("a suite without samples: percentiles are the suite's own values",
          "[models][quantiles][suite]") {
  const ArchSpec spec = fixtures::one_tile();
  const wl::Suite s = one_task_per_sample(3);
  for (bool geomean : {false, true}) {
    EvalOptions opt;
    opt.geomean_latency = geomean;
    const SuiteEvaluator ev(s, spec, fixtures::plain_calibration(), opt);
    CHECK_FALSE(ev.has_samples());
    const SuiteCost c = ev.evaluate(spec);
    CHECK(c.quantiles.samples == 1);
    CHECK(c.quantiles.latency_p50_s == c.latency_s);
    CHECK(c.quantiles.latency_p99_s == c.latency_s);
    CHECK(c.quantiles.energy_p99_j == c.energy_j);
  }
}
