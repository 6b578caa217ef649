// Shards: a deterministic 1/N of a design space for one process (a Slurm array task). Design index
// i belongs to shard I of N when i % N == I, so the N shards cover the space with no overlap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace leopard::results {

struct Shard {
  std::int64_t index = 0;  // 0-based
  std::int64_t count = 1;

  bool contains(std::int64_t design_index) const { return design_index % count == index; }
  // Designs of a space of `space_size` that belong to this shard.
  std::int64_t size_of(std::int64_t space_size) const;
  std::string to_string() const;  // "I/N"
};

// Parses "I/N" (0 <= I < N). Throws InputError naming `field` otherwise.
Shard parse_shard(const std::string& text, const std::string& field = "--shard");

// From SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (both set, or nullopt). The task id is taken
// relative to SLURM_ARRAY_TASK_MIN when that is set, so "--array=1-4" works too. Throws InputError
// for values that are not a valid shard.
std::optional<Shard> shard_from_env();

// The shard to use: --shard text when given, else the Slurm variables, else 0/1.
Shard resolve_shard(const std::optional<std::string>& flag);

}  // namespace leopard::results
