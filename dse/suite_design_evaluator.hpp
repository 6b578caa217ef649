// The thin adapter between a design space and the cost model: index -> ArchSpec -> SuiteCost ->
// suite metrics, objectives and feasibility. The sweep driver only sees its evaluate() callback.
#pragma once

#include <cstdint>
#include <vector>

#include "dse/space.hpp"
#include "dse/sweep.hpp"
#include "models/suite_evaluator.hpp"

namespace leopard::dse {

class SuiteDesignEvaluator {
 public:
  // `task_details`: also fill each record's per-task metrics and energy breakdown (slower).
  SuiteDesignEvaluator(const DesignSpace& space, const models::SuiteEvaluator& evaluator,
                       bool task_details);

  // Thread-safe. Invalid parameter combinations (models::validate_arch) give kInvalid.
  Outcome evaluate(std::int64_t index) const;
  // Per-task metrics and the suite's energy breakdown of one design (for Pareto designs).
  void details(std::int64_t index, std::vector<results::TaskMetricsRecord>& tasks,
               std::vector<results::BreakdownRecord>& breakdown) const;

  const DesignSpace& space() const { return space_; }

 private:
  const DesignSpace& space_;
  const models::SuiteEvaluator& evaluator_;
  bool task_details_;
  int max_head_dim_ = 1;
};

}  // namespace leopard::dse
