// A prepared SQLite statement (RAII) with positional binding and column helpers, for the store's writes
// and its loads.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/store/sqlite_store.hpp"

namespace ww {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("database error: ") + sqlite3_errmsg(db));
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, std::string_view v) { return bind_text(i, v, SQLITE_TRANSIENT); }
  // Text SQLite does not copy: `v` must stay valid until the statement's next run(). A flush's upserts bind
  // their rows' texts this way (a copy of each was a malloc per field, ~900,000 on the benchmark capture).
  Stmt& bind_view(int i, std::string_view v) { return bind_text(i, v, SQLITE_STATIC); }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // Runs a statement that returns no rows (and resets it for the next bindings).
  void run() {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw StoreError(std::string("database error: ") + sqlite3_errmsg(db_));
  }
  // Steps to the next row: true while there is one.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) throw StoreError(std::string("database error: ") + sqlite3_errmsg(db_));
    return false;
  }
  [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] std::uint64_t u64(int col) const { return static_cast<std::uint64_t>(i64(col)); }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // Valid until the next step: callers copy what they keep.
  [[nodiscard]] std::string_view text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }

 private:
  // `lifetime` is SQLITE_TRANSIENT (SQLite copies) or SQLITE_STATIC (the caller keeps `v` alive).
  Stmt& bind_text(int i, std::string_view v, sqlite3_destructor_type lifetime) {
    // An empty view may have no data pointer, which SQLite would store as NULL: text columns are NOT NULL.
    sqlite3_bind_text(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), lifetime);
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ww
