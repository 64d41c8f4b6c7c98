// SQLite persistence: a versioned schema with migrations, WAL mode, one transaction per flush, and upserts
// so that runs accumulate into one database (first_seen = min, last_seen = max, counters add). A reader in
// another process sees each flush whole or not at all.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/inventory.hpp"
#include "agent/pipeline/pipeline.hpp"
#include "agent/store/rows.hpp"

namespace ww {

class InventoryBuilder;
class RowBatch;

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
  std::string content_hash{};  // of the file's bytes (agent/capture/file_digest.hpp); empty for stdin and interfaces
};

// A capture already read into the database (the same content hash): which file, by which run, when.
struct EarlierSource {
  std::string path;
  std::int64_t run_id = 0;
  std::string run_started_at;
};

// What `wardwatch status` shows: the newest run of a database and its figures.
struct RunStatus {
  std::int64_t id = 0;
  std::string generator, command, state, started_at, ended_at, last_flush_at;
  std::vector<std::pair<std::string, std::uint64_t>> stats;  // run_stats of that run, by name
  std::vector<SourceInfo> sources;
  std::int64_t interrupted_runs = 0;  // in the whole database
};

// A device as the last classification stored it (the table classifications): the event feed's previous state.
struct StoredClassification {
  std::string asset_id;
  std::optional<std::string> mac;
  std::string ips, category;  // ips space-separated
  std::optional<std::string> vendor, model, firmware, os, crown_jewel;
  std::string first_seen, last_seen;
};

// A source as the inventory shows it (its name is the path's last component).
SourceView source_view(const SourceInfo& s);

// Holds an exclusive lock on "<database>.lock" (flock) for as long as it lives: one writing wardwatch per
// database at a time. A second one waits, saying so on stderr, until the first ends.
class WriterLock {
 public:
  explicit WriterLock(const std::string& db_path);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

class SqliteStore final : public FlushTarget {
 public:
  static constexpr int kSchemaVersion = 6;
  // Process-wide SQLite settings, once, before any database is opened (main()): SQLite's allocation
  // statistics take a global mutex on every malloc and free, and nothing here reads them.
  static void configure_library();

  // Opens (creating if needed) and migrates the database; ":memory:" for a private in-memory one.
  // Throws StoreError with a one-line message on failure (unwritable path, newer schema, not a DB).
  // A writable database file is locked for this store's life (WriterLock); runs that a killed process left
  // "running" are then marked "interrupted".
  explicit SqliteStore(const std::string& path, bool read_only = false);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Starts a run (one invocation of read/capture, `command`), in state "running"; its stats are written by
  // every flush.
  void begin_run(const std::string& generator_version, const std::string& command = {});
  // A source (capture file or interface) of this run, written by the next flush in the same transaction as
  // the rows read from it: a source is never recorded as read unless its data landed.
  void record_source(const SourceInfo& source);
  void flush(Tracker& tracker, Stats& stats, DrainScope scope) override;
  // Bounds the device records that flushes may add (a store in memory: a run without a database file).
  void set_record_budget(std::size_t records) { budget_.emplace(records); }
  [[nodiscard]] RecordBudget* record_budget() { return budget_ ? &*budget_ : nullptr; }
  // The same transaction from rows drained earlier (the writer thread's way).
  void write_batch(const RowBatch& batch, const Stats& stats, const std::vector<SourceInfo>& sources);
  // Writes what is pending (sources) without rows: the end of a run without a database file.
  void commit_pending();
  // The sources recorded since the last flush, handed over (to go with a batch written by write_batch).
  [[nodiscard]] std::vector<SourceInfo> take_pending_sources();
  // Marks the run "complete", or "failed" (it stopped on an error, after its last flush). A run that never
  // gets here stays "running" until the next writer opens the database and marks it "interrupted".
  void complete_run(bool failed = false);

  // Deletes devices (MACs and address bindings, with their services, conversations and facts) last seen before
  // `cutoff_us`, and the statistics of runs started before it. Returns the number of devices deleted.
  std::uint64_t age_out(std::int64_t cutoff_us);

  // The newest run (id 0 when the database holds none).
  [[nodiscard]] RunStatus last_run() const;

  // The first source with this content hash, if any run read it (its rows then are in the database).
  [[nodiscard]] std::optional<EarlierSource> find_source(const std::string& content_hash) const;
  // Whether any source of the database has a content hash (else no capture can be one read before).
  [[nodiscard]] bool has_hashed_source() const;
  // Replaces the stored classification (tables classifications and classification_rules) with the
  // inventory's: one row per device, and one per rule behind each winning claim.
  void save_classifications(const Inventory& inv);

  // Writes the run's statistics (a flush does this too).
  void write_run_stats(const Stats& stats);

  // Loads the resolved inventory: bindings folded into MAC assets, routers split from remote hosts.
  [[nodiscard]] Inventory load(const Limits& limits) const;
  // Hands every stored row to `builder` (to be merged with rows from elsewhere before it builds); with
  // `except_run`, without that run's statistics and floods (the caller hands over newer ones). With
  // `read_ahead`, the rows are read on a second thread while the builder takes those already read (an export:
  // a tenth faster at 100,000 devices); without, on this thread (a run whose database writer is busy on the
  // other core).
  enum class ReadAhead : bool { off, on };
  void load_into(InventoryBuilder& builder, std::int64_t except_run = 0, ReadAhead read_ahead = ReadAhead::on) const;
  // Hands `builder` the rows of one MAC's device (and every binding of its addresses): what explaining one
  // device needs, without reading the whole database.
  void load_device_into(InventoryBuilder& builder, const std::string& mac) const;
  // The run begin_run started (0 before).
  [[nodiscard]] std::int64_t run_id() const { return run_id_; }
  // A read transaction: from begin_read() until end_read() this connection sees the database as it was at
  // begin_read (WAL snapshot isolation), whatever another connection commits meanwhile.
  void begin_read() const;
  void end_read() const;
  [[nodiscard]] int schema_version() const;
  // The change clock (schema 6): every flush advances it and stamps the device rows it writes with the new
  // value, so that `push` can send what changed since the value it last sent.
  [[nodiscard]] std::int64_t change_clock() const;
  // A random name given to the database when it was created (or reached schema 6).
  [[nodiscard]] std::string store_id() const;
  // The classification stored by the last run that classified (empty before any).
  [[nodiscard]] std::vector<StoredClassification> stored_classifications() const;
  // What the event feed has reported, and recording more: findings as (finding id, asset id), conversations
  // with crown jewels as (client asset id, "server-ip proto/port").
  enum class Reported { findings, conversations };
  [[nodiscard]] std::set<std::pair<std::string, std::string>> reported(Reported kind) const;
  void remember(Reported kind, const std::vector<std::pair<std::string, std::string>>& reported);
  // SQLite's quick_check: throws StoreError naming the first problems of a damaged file.
  void check_integrity() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  void exec(const char* sql) const;
  void migrate();
  // Runs `body` in one BEGIN IMMEDIATE ... COMMIT (rolled back if it throws).
  template <typename Body>
  void transaction(Body body);
  void write_sources(const std::vector<SourceInfo>& sources);
  void mark_flushed();
  std::int64_t advance_change_clock();
  void load_device_rows(RowSink& sink, const std::string* mac) const;

  std::unique_ptr<WriterLock> lock_;
  sqlite3* db_ = nullptr;
  std::int64_t run_id_ = 0;
  std::vector<SourceInfo> pending_sources_;
  std::optional<RecordBudget> budget_;
};

// The ordered list of migrations: entry i brings the schema from version i to i + 1.
const std::vector<const char*>& schema_migrations();

}  // namespace ww
