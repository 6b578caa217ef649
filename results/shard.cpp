// Shard parsing (flag and Slurm environment) and membership.
#include "results/shard.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "workloads/core/error.hpp"
#include "workloads/core/text.hpp"

namespace leopard::results {

std::int64_t Shard::size_of(std::int64_t space_size) const {
  if (space_size <= index) return 0;
  return (space_size - index + count - 1) / count;
}

std::string Shard::to_string() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& text, const std::string& field) {
  const auto slash = text.find('/');
  const auto bad = [&](const std::string& why) {
    return InputError("", 0, field, fmt::format("'{}': {}", text, why));
  };
  if (slash == std::string::npos) throw bad("expected I/N, e.g. 0/4");
  const auto index = parse_int(text.substr(0, slash));
  const auto count = parse_int(text.substr(slash + 1));
  if (!index || !count) throw bad("expected two integers I/N, e.g. 0/4");
  if (*count < 1) throw bad("the shard count N must be at least 1");
  if (*index < 0 || *index >= *count) throw bad("the shard index I must be in 0..N-1");
  return Shard{*index, *count};
}

std::optional<Shard> shard_from_env() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id == nullptr || count == nullptr || *id == '\0' || *count == '\0') return std::nullopt;
  const auto task = parse_int(id);
  const auto n = parse_int(count);
  std::int64_t min = 0;
  if (const char* min_text = std::getenv("SLURM_ARRAY_TASK_MIN"); min_text && *min_text) {
    const auto m = parse_int(min_text);
    if (!m) {
      throw InputError("", 0, "SLURM_ARRAY_TASK_MIN",
                       fmt::format("'{}' is not an integer", min_text));
    }
    min = *m;
  }
  if (!task || !n) {
    throw InputError("", 0, "SLURM_ARRAY_TASK_ID",
                     fmt::format("SLURM_ARRAY_TASK_ID='{}', SLURM_ARRAY_TASK_COUNT='{}' are not "
                                 "integers",
                                 id, count));
  }
  return parse_shard(fmt::format("{}/{}", *task - min, *n), "SLURM_ARRAY_TASK_ID");
}

Shard resolve_shard(const std::optional<std::string>& flag) {
  if (flag) return parse_shard(*flag);
  if (auto env = shard_from_env()) return *env;
  return Shard{};
}

}  // namespace leopard::results
