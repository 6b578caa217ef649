// The versioned schema of the results database: migrations as code (PRAGMA user_version), the
// leopard-dse marker (PRAGMA application_id) and the checks run when a file is opened.
#pragma once

#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace leopard::results {

// "LEPD": written to the SQLite header so that other databases are recognised as not ours.
inline constexpr int kApplicationId = 0x4C455044;

// One migration: the SQL that takes the schema from version `to - 1` to version `to`.
struct Migration {
  int to;
  std::string sql;
};

// All migrations in order; the last one's `to` is the current schema version.
const std::vector<Migration>& migrations();
int current_schema_version();

// Applies the migrations above the database's user_version up to `target` (default: current),
// each in its own transaction. Stamps the marker with the first one.
void migrate(Db& db, int target = -1);

// What a file holds before we touch it.
enum class FileKind { kEmpty, kOurs, kForeign };

// Classifies an open database without writing to it. Throws InputError for a file that is not an
// SQLite database at all, or for one of ours whose schema is newer than this build understands.
FileKind inspect(Db& db);

}  // namespace leopard::results
