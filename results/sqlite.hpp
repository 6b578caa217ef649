// A thin RAII wrapper over SQLite's C API: Db (a connection), Statement (bind / step / column) and
// Transaction (commit or roll back). Errors become RuntimeError; "not a database" becomes
// InputError.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace leopard::results {

class Statement;

// One SQLite connection. Move-only; closes on destruction. Opened in SQLite's multi-thread mode:
// several threads may use it, but never two at the same time.
class Db {
 public:
  enum class Mode { kReadWriteCreate, kReadWrite, kReadOnly };

  Db() = default;
  // Opens `path`. kReadOnly uses SQLITE_OPEN_READONLY (every write statement fails).
  Db(const std::filesystem::path& path, Mode mode);
  ~Db();
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without results. Throws RuntimeError naming `what` on failure.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // Runs a query returning one integer (first column of the first row), or `fallback` if no row.
  std::int64_t scalar_int(std::string_view sql, std::int64_t fallback = 0);

  std::int64_t last_insert_rowid() const;
  int changes() const;
  bool in_transaction() const;
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }
  // Throws for a non-OK result code `rc` with the connection's message and `context`.
  [[noreturn]] void fail(int rc, std::string_view context) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// A prepared statement. Parameters are 1-based, columns 0-based (as in SQLite).
class Statement {
 public:
  Statement(Db& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  // Binds text without copying it (SQLITE_STATIC): `value` must stay alive until the statement has
  // been stepped and reset. For hot insert loops; bind() copies.
  Statement& bind_view(int index, std::string_view value);
  Statement& bind_null(int index);
  // Binds a named parameter (":name").
  template <class T>
  Statement& bind(const char* name, const T& value) {
    return bind(parameter_index(name), value);
  }
  int parameter_index(const char* name) const;

  // Advances; returns true when a row is available, false when done. Throws on error.
  bool step();
  // Steps to completion (for statements without rows).
  void run();
  void reset();  // resets and clears bindings

  int column_count() const;
  std::string column_name(int col) const;
  int column_type(int col) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, NULL
  bool is_null(int col) const;
  std::int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  bool readonly() const;
  sqlite3_stmt* handle() const { return stmt_; }

 private:
  Db* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

// Quotes an SQL identifier ("a""b").
std::string quote_identifier(std::string_view name);

}  // namespace leopard::results
