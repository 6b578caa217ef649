// The paper suite's termination histograms from Fig. 8 (workloads/paper_suite.hpp): the curve's
// normalised shape at its own end point, the probit shift to a task's pruning rate against closed
// forms, the shipped curve assignment, and bad curve files.
#include "workloads/paper_suite.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "test_util.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::workloads;

namespace {

double mean_bit(const std::vector<double>& h) {
  double m = 0;
  for (std::size_t b = 0; b < h.size(); ++b) m += h[b] * static_cast<double>(b + 1);
  return m;
}

}  // namespace

TEST_CASE("paper suite: the normal quantile inverts the normal CDF", "[paper_suite]") {
  for (const double u : {1e-12, 1e-4, 0.025, 0.2, 0.5, 0.8, 0.975, 1 - 1e-9}) {
    INFO(u);
    CHECK(normal_cdf(normal_quantile(u)) == Approx(u).epsilon(1e-12));
  }
  CHECK(normal_quantile(0.975) == Approx(1.959963985).epsilon(1e-9));
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-15));
  CHECK(std::isinf(normal_quantile(0.0)));
}

TEST_CASE("paper suite: at the curve's own end point the histogram is its normalised increments",
          "[paper_suite]") {
  const TerminationCurve c{"x", {0.0, 0.1, 0.4, 0.7, 0.8, 0.8}};
  for (const double s : {0.0, 0.5, 1.0, 2.0}) {
    const auto h = curve_histogram(c, 0.8, s);
    REQUIRE(h.size() == 6);
    const double expect[] = {0, 0.125, 0.375, 0.375, 0.125, 0};
    for (int b = 0; b < 6; ++b) {
      INFO("s " << s << " bit " << b + 1);
      CHECK(h[b] == Approx(expect[b]).margin(1e-12));
    }
  }
}

TEST_CASE("paper suite: the probit shift to another rate, closed form", "[paper_suite]") {
  // F = (0.2, 0.5), end point 0.5, task rate 0.8, s = 1: G1 = Phi(Phi^-1(0.2) + Phi^-1(0.8) -
  // Phi^-1(0.5)) = Phi(0) = 0.5 (Phi^-1(0.2) = -Phi^-1(0.8)), G2 = 0.8 = the task's rate. Among the
  // pruned: 0.5 / 0.8 and 0.3 / 0.8.
  const TerminationCurve c{"x", {0.2, 0.5}};
  auto h = curve_histogram(c, 0.8, 1.0);
  CHECK(h[0] == Approx(0.625).epsilon(1e-12));
  CHECK(h[1] == Approx(0.375).epsilon(1e-12));
  // s = 2: G1 = Phi(-0.8416 + 2 x 0.8416) = 0.8, G2 = Phi(1.6832) = 0.9538.
  h = curve_histogram(c, 0.8, 2.0);
  const double z = normal_quantile(0.8);
  CHECK(h[0] == Approx(0.8 / normal_cdf(2 * z)).epsilon(1e-12));
  // s = 0: the rate does not move the shape.
  h = curve_histogram(c, 0.8, 0.0);
  CHECK(h[0] == Approx(0.4).epsilon(1e-12));
}

TEST_CASE("paper suite: a higher pruning rate terminates pruned scores earlier", "[paper_suite]") {
  const auto curves = load_termination_curves(termination_curves_csv());
  for (const auto& c : curves) {
    double prev = INFINITY;
    for (double p = 0.5; p < 0.99; p += 0.04) {
      const double m = mean_bit(curve_histogram(c, p, 1.6));
      INFO(c.name << " rate " << p);
      CHECK(m <= prev + 1e-12);
      prev = m;
    }
  }
}

TEST_CASE("paper suite: every task names a Fig. 8 curve; GPT-2 uses BERT-B SQuAD's",
          "[paper_suite]") {
  const auto curves = load_termination_curves(termination_curves_csv());
  REQUIRE(curves.size() == 7);
  std::map<std::string, const TerminationCurve*> by;
  for (const auto& c : curves) by[c.name] = &c;
  CHECK(by.at("albert-xxlarge-squad")->cumulative.back() == Approx(0.81));
  const auto tasks = load_paper_tasks(paper_suite_csv());
  REQUIRE(tasks.size() == 43);
  for (const auto& t : tasks) {
    INFO(t.model << "/" << t.task);
    CHECK(by.count(t.termination_curve) == 1);
    if (t.model == "gpt2-large") CHECK(t.termination_curve == "bert-base-squad");
    if (t.model == "memn2n") CHECK(t.termination_curve == "memn2n");
  }
  const auto hists = paper_histograms(tasks, curves, 1.0);
  for (const auto& h : hists) {
    double sum = 0;
    for (const double x : h) sum += x;
    CHECK(sum == Approx(1.0).epsilon(1e-12));
  }
  // BERT-L SQuAD (Fig. 8 mean about 4.7 bits) at its own rate 74.1%, end point 74%.
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].model == "bert-large" && tasks[i].task == "SQuAD") {
      CHECK(mean_bit(hists[i]) == Approx(4.74).margin(0.05));
    }
  }
}

TEST_CASE("paper suite: bad termination curves name the file, line and column", "[paper_suite]") {
  const auto dir = leopard::test::scratch_dir("curves");
  const auto check = [&](const std::string& text, const std::string& field, int line = 2) {
    const auto f = leopard::test::write_file(dir / "c.csv", text);
    try {
      load_termination_curves(f);
      FAIL("accepted: " << text);
    } catch (const leopard::InputError& e) {
      CHECK(e.line() == line);
      CHECK(e.field() == field);
    }
  };
  check("workload,b1,b2\nx,50,40\n", "b2");
  check("workload,b1,b2\nx,0,0\n", "b2");
  check("workload,b1,b2\nx,10,101\n", "b2");
  check("workload,b1,b2\nx,10,abc\n", "b2");
  check("workload,b1,b3\nx,10,20\n", "b3", 1);
}
