// Merging the shard databases of one run into a single database: checks that the inputs belong
// together (same space, suite, strategy and seed; shard indices 0..N-1 each exactly once; all
// complete), copies designs, metrics, per-task metrics and breakdowns, recomputes the Pareto set
// and marks the merged run complete. The output is built under a temporary name and renamed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace leopard::results {

struct MergeOptions {
  bool overwrite = false;    // replace an existing output file
  std::string command_line;  // recorded on the merged run
};

struct MergeReport {
  std::int64_t run_id = 0;  // in the output
  std::int64_t shards = 0;
  std::int64_t designs = 0;
  std::int64_t pareto = 0;
};

// Throws InputError (nothing written) when the inputs do not form one complete sharded run.
MergeReport merge_shards(const std::vector<std::filesystem::path>& inputs,
                         const std::filesystem::path& output, const MergeOptions& options = {});

}  // namespace leopard::results
