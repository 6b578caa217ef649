// Prepared insert statements for one design record (design, metrics, tasks, breakdown); shared by
// Store::insert_designs and the writer thread. The caller owns the transaction.
#pragma once

#include <cstdint>
#include <string>

#include "results/records.hpp"
#include "results/sqlite.hpp"

namespace leopard::results {

class DesignInserter {
 public:
  explicit DesignInserter(Db& db);
  // Inserts `record` into run `run_id`. Returns false (and writes nothing) when the run already
  // holds this design_index, so replays and resumes never duplicate a design.
  bool insert(std::int64_t run_id, const DesignRecord& record);
  // Replaces the per-task metrics and breakdown of the stored design `design_id`.
  void write_details(std::int64_t design_id, const std::vector<TaskMetricsRecord>& tasks,
                     const std::vector<BreakdownRecord>& breakdown);

 private:
  Db& db_;
  Statement design_;
  Statement metrics_;
  Statement task_;
  Statement breakdown_;
  std::string scratch_params_;  // serialisations of records that came without them
  std::string scratch_objectives_;
};

}  // namespace leopard::results
