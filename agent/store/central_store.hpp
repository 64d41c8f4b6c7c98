// The central store of a hospital group: one PostgreSQL database into which many agents push their SQLite
// inventories (docs/central.md). Every row carries the agent id and site that pushed it; one device seen by
// two agents is merged when the inventory is built (InventoryBuilder), never overwritten in the store.
//
// A push sends the device rows stamped by the local change clock after the value the agent last pushed
// (SqliteStore::change_clock), and the run history whole, in one PostgreSQL transaction that also records
// the new value: a push cut short by a network failure or a server restart rolls back and the next one sends
// the same rows again. Rows are absolute values (the local totals), upserted per (agent, key): sending a row
// twice changes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/sqlite_store.hpp"

struct pg_conn;

namespace ww {

class InventoryBuilder;

// "postgresql://..." or "postgres://...": a central store, not an SQLite file.
bool is_central_store_url(std::string_view path);

// Who pushes: the agent's id and its site (docs/central.md for the defaults).
struct AgentIdentity {
  std::string agent_id, site;
};

struct PushResult {
  std::int64_t from_clock = 0, to_clock = 0;  // rows stamped in (from, to] were sent
  bool full = false;                          // everything (a first push, or a new local database)
  std::vector<std::pair<std::string, std::uint64_t>> rows;  // per table, in push order
  [[nodiscard]] std::uint64_t total_rows() const;
};

class CentralStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Connects (libpq: the URL, then PG* environment variables, a service file, ~/.pgpass). A URL that
  // carries a password is refused before any connection: passwords belong in ~/.pgpass, PGPASSFILE or a
  // service file, never on a command line. Throws StoreError with one line that names no password.
  explicit CentralStore(const std::string& url);
  ~CentralStore();
  CentralStore(const CentralStore&) = delete;
  CentralStore& operator=(const CentralStore&) = delete;

  // Creates or upgrades the schema (one migrating process at a time: an advisory lock). Refuses a schema
  // newer than this wardwatch's.
  void migrate();
  // The schema version the server holds (0: none yet).
  [[nodiscard]] int schema_version() const;

  // Sends what changed in `local` since this agent's last push. `progress` hears each table's name as it
  // starts. Throws StoreError (the transaction is rolled back: nothing of this push is kept).
  PushResult push(const SqliteStore& local, const AgentIdentity& agent,
                  const std::function<void(std::string_view)>& progress = {});

  // Hands every stored row (of one site, given `site`) to `builder`, each agent's rows under its origin.
  // Refuses an empty store or one with a newer schema (an older one is migrated first).
  void load_into(InventoryBuilder& builder, const std::optional<std::string>& site) const;
  // The rows of one MAC's device, from every agent (and every binding of its addresses).
  void load_device_into(InventoryBuilder& builder, const std::string& mac, const std::optional<std::string>& site) const;

  // Agents known to the store: id, site, change clock pushed, pushes, last push time (ISO 8601).
  struct AgentRow {
    std::string agent_id, site, last_push_at;
    std::int64_t pushed_clock = 0, pushes = 0;
  };
  [[nodiscard]] std::vector<AgentRow> agents() const;

  [[nodiscard]] const std::string& url() const { return url_; }
  // The URL as messages show it: without its query options.
  static std::string display_name(const std::string& url);

 private:
  void exec(const std::string& sql) const;
  void prepare_reader() const;
  // Streams the rows of `select` (each of exactly `columns` fields) to `row`.
  void copy_out(const std::string& select, std::size_t columns,
                const std::function<void(const std::vector<std::string>&)>& row) const;
  void load_rows(InventoryBuilder& builder, const std::string& where_device, const std::string& where_binding,
                 const std::string& where_site) const;

  std::string url_;
  std::unique_ptr<pg_conn, void (*)(pg_conn*)> conn_;
};

}  // namespace ww
