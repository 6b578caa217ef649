// Not a benchmark: a fixed number of suite evaluations for instruction counts under callgrind
// (stable on a loaded machine), e.g.
//   valgrind --tool=callgrind --toggle-collect='*evaluation_loop*' bench/bench_loop 2000 [detailed]
// Instructions per design = collected Ir / N.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_common.hpp"
#include "models/suite_evaluator.hpp"

namespace {

[[gnu::noinline]] double evaluation_loop(const leopard::models::SuiteEvaluator& e,
                                         const std::vector<leopard::models::ArchSpec>& designs,
                                         long n, bool detailed) {
  double sink = 0;
  std::vector<leopard::models::TaskCost> tasks;
  for (long i = 0; i < n; ++i) {
    const auto& d = designs[static_cast<std::size_t>(i) % designs.size()];
    sink += detailed ? e.evaluate_detailed(d, tasks).latency_s : e.evaluate(d).latency_s;
  }
  return sink;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1000;
  const bool detailed = argc > 2 && std::string(argv[2]) == "detailed";
  const auto& f = leopard::bench::fixture();
  const leopard::models::SuiteEvaluator e(f.suite, f.baseline, f.cal, {});
  (void)e.evaluate(f.designs[0]);  // one-off initialisations (order-statistics table) not counted
  std::printf("%ld evaluations, sum of latencies %.17g\n", n, evaluation_loop(e, f.designs, n, detailed));
  return 0;
}
