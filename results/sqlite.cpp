// The SQLite RAII wrapper: connection, prepared statement and transaction.
#include "results/sqlite.hpp"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <utility>

#include "workloads/core/error.hpp"

namespace leopard::results {

Db::Db(const std::filesystem::path& path, Mode mode) : path_(path) {
  // Multi-thread mode: a connection is never used by two threads at once (the StoreWriter contract
  // hands it to one thread at a time), so SQLite's per-call mutex is pure cost (4% of a sweep).
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case Mode::kReadWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case Mode::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Mode::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  const int rc = sqlite3_open_v2(path.string().c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path.string(), 0, "", "cannot open database: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 10000);
}

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

namespace {

// Why writes to `path` (or its -wal/-journal file) fail, when the file system says so: the
// process's file-size limit is reached, or the disk (for this user) is nearly full. Empty if not.
std::string write_failure_cause(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  rlimit lim{};
  if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    for (const char* suffix : {"", "-wal", "-journal"}) {
      std::error_code ec;
      const auto size = fs::file_size(path.string() + suffix, ec);
      if (!ec && size + (1u << 20) >= lim.rlim_cur) return "file size limit reached";
    }
  }
  struct statvfs st {};
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (statvfs(dir.c_str(), &st) == 0 &&
      static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize) < 16.0 * (1 << 20)) {
    return "disk full";
  }
  return "";
}

}  // namespace

void Db::fail(int rc, std::string_view context) const {
  const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_NOTADB) {
    throw InputError(path_.string(), 0, "", "not a leopard-dse database (not an SQLite file)");
  }
  if ((rc & 0xff) == SQLITE_CORRUPT) {
    throw InputError(
        path_.string(), 0, "",
        "the database file is corrupt (" + message + "); restore it or start a new one");
  }
  // A full disk or a file-size limit reaches SQLite as SQLITE_FULL or as a write I/O error (its
  // errno is often lost by then); name the cause rather than SQLite's generic "disk I/O error".
  const int primary = rc & 0xff;
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
    const std::string cause = write_failure_cause(path_);
    if (primary == SQLITE_FULL || !cause.empty()) {
      throw RuntimeError(
          path_.string() + ": cannot write the database: " +
          (cause.empty() ? std::string("disk full") : cause) + " (SQLite: " + message +
          "); the committed designs are kept: make room and rerun " + "with --resume");
    }
  }
  throw RuntimeError(path_.string() + ": SQLite error: " + message + " (in " +
                     std::string(context.substr(0, 120)) + ")");
}

void Db::exec(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    sqlite3_free(error);
    fail(rc, sql);
  }
}

Statement Db::prepare(std::string_view sql) { return Statement(*this, sql); }

std::int64_t Db::scalar_int(std::string_view sql, std::int64_t fallback) {
  Statement stmt(*this, sql);
  if (!stmt.step() || stmt.is_null(0)) return fallback;
  return stmt.column_int(0);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }
bool Db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Statement::Statement(Db& db, std::string_view sql) : db_(&db) {
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, &tail);
  if (rc != SQLITE_OK) db.fail(rc, sql);
  if (stmt_ == nullptr) throw RuntimeError("empty SQL statement");
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_view(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

int Statement::parameter_index(const char* name) const {
  const int index = sqlite3_bind_parameter_index(stmt_, name);
  if (index == 0) throw RuntimeError(std::string("no SQL parameter named ") + name);
  return index;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(stmt_);
  sqlite3_reset(stmt_);
  db_->fail(rc, sql);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int col) const {
  const char* name = sqlite3_column_name(stmt_, col);
  return name != nullptr ? name : "";
}
int Statement::column_type(int col) const { return sqlite3_column_type(stmt_, col); }
bool Statement::is_null(int col) const { return column_type(col) == SQLITE_NULL; }
std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::column_text(int col) const {
  const auto* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}
bool Statement::readonly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_ && db_.in_transaction()) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace leopard::results
