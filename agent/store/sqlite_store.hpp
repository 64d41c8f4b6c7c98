// SQLite persistence: a versioned schema with migrations, WAL mode, one transaction per flush, and upserts
// so that runs accumulate into one database (first_seen = min, last_seen = max, counters add). A reader in
// another process sees each flush whole or not at all.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/model/inventory.hpp"
#include "agent/pipeline/pipeline.hpp"

namespace ww {

class InventoryBuilder;

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SourceInfo {
  std::string path;
  std::string format;  // "pcap", "pcapng", "live"
  int linktype = 0;
  std::string linktype_name;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::int64_t first_us = 0, last_us = 0;
  bool truncated = false;
};

class SqliteStore final : public FlushTarget {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (creating if needed) and migrates the database; ":memory:" for a private in-memory one.
  // Throws StoreError with a one-line message on failure (unwritable path, newer schema, not a DB).
  explicit SqliteStore(const std::string& path, bool read_only = false);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Starts a run (one invocation of read/capture); its stats are written by every flush.
  void begin_run(const std::string& generator_version);
  void record_source(const SourceInfo& source);
  void flush(Tracker& tracker, Stats& stats) override;

  // Writes the run's statistics (a flush does this too).
  void write_run_stats(const Stats& stats);

  // Loads the resolved inventory: bindings folded into MAC assets, routers split from remote hosts.
  [[nodiscard]] Inventory load(const Limits& limits) const;
  // Hands every stored row to `builder` (to be merged with rows from elsewhere before it builds).
  void load_into(InventoryBuilder& builder) const;
  [[nodiscard]] int schema_version() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  void exec(const char* sql) const;
  void migrate();

  sqlite3* db_ = nullptr;
  std::int64_t run_id_ = 0;
};

// The ordered list of migrations: entry i brings the schema from version i to i + 1.
const std::vector<const char*>& schema_migrations();

}  // namespace ww
