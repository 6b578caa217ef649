// Shared set-up of the benchmarks: the paper suite, the shipped calibration, the baseline, and a
// fixed sample of valid designs from dse/spaces/wide.yaml (what a sweep prices).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "dse/space.hpp"
#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/suite.hpp"

namespace leopard::bench {

struct Fixture {
  workloads::Suite suite;
  models::Calibration cal;
  models::ArchSpec baseline;
  std::vector<models::ArchSpec> designs;  // valid designs of the wide space, fixed seed
};

inline int max_head_dim(const workloads::Suite& suite) {
  int d = 1;
  for (const auto& t : suite.tasks) {
    for (const auto& l : t.layers) d = std::max(d, l.shape.head_dim);
  }
  return d;
}

// Loaded once per process; `n_designs` valid designs drawn uniformly from the wide space.
inline const Fixture& fixture(std::size_t n_designs = 256) {
  static const Fixture f = [n_designs] {
    Fixture x;
    x.suite = workloads::load_suite("paper");
    x.cal = models::load_calibration(models::default_calibration_path()).values;
    x.baseline = models::load_arch("baseline");
    const auto space = dse::DesignSpace::load(leopard::data_path("dse/spaces/wide.yaml"));
    const int dmax = max_head_dim(x.suite);
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int64_t> pick(0, space.size() - 1);
    while (x.designs.size() < n_designs) {
      models::ArchSpec s;
      space.build(pick(rng), s);
      try {
        models::validate_arch(s, dmax);
      } catch (...) {
        continue;
      }
      x.designs.push_back(s);
    }
    return x;
  }();
  return f;
}

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "benchmark set-up failed: %s\n", what);
  std::abort();
}

}  // namespace leopard::bench
