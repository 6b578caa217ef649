// Batched evaluation: one task for many designs at once, with Eigen arrays (one lane per design).
// Same formulas as LeopardCostModel::evaluate, which stays the reference the batch is tested
// against (tests/unit/models/batch_evaluator_test.cpp). Layers whose heads carry their own
// statistics, and designs narrower than the statistics' histograms, go through the reference path.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "models/cost_model.hpp"

namespace leopard::models {

struct BatchCost {
  Eigen::ArrayXd latency_s;  // per design
  Eigen::ArrayXd energy_pj;  // on-chip + DRAM
  Eigen::ArrayXd energy_dram_pj;
};

BatchCost evaluate_batch(const std::vector<ArchSpec>& specs,
                         const std::vector<DesignConstants>& constants, const Calibration& cal,
                         const TaskProfile& task, bool onchip_only);

}  // namespace leopard::models
