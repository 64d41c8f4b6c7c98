#include "agent/store/sqlite_store.hpp"

#include "agent/store/rows.hpp"
#include "agent/store/statement.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>

namespace ww {
namespace {

std::string now_utc_text() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

const std::vector<const char*>& schema_migrations() {
  static const std::vector<const char*> migrations{
      // v0 -> v1: the initial schema. Device rows are keyed by text addresses so that runs merge.
      R"sql(
      CREATE TABLE runs(id INTEGER PRIMARY KEY, generator TEXT NOT NULL, started_at TEXT NOT NULL);
      CREATE TABLE sources(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
        path TEXT NOT NULL, format TEXT NOT NULL, linktype INTEGER NOT NULL, linktype_name TEXT NOT NULL,
        packets INTEGER NOT NULL, bytes INTEGER NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
        truncated INTEGER NOT NULL);
      CREATE TABLE run_stats(run_id INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
        PRIMARY KEY(run_id, name)) WITHOUT ROWID;
      CREATE TABLE macs(mac TEXT PRIMARY KEY, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
        packets_sent INTEGER NOT NULL, packets_received INTEGER NOT NULL,
        bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE mac_vlans(mac TEXT NOT NULL, vlan INTEGER NOT NULL, PRIMARY KEY(mac, vlan)) WITHOUT ROWID;
      CREATE TABLE bindings(ip TEXT NOT NULL, mac TEXT NOT NULL, first_us INTEGER NOT NULL,
        last_us INTEGER NOT NULL, packets_sent INTEGER NOT NULL, packets_received INTEGER NOT NULL,
        bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL, confirmed INTEGER NOT NULL,
        PRIMARY KEY(ip, mac)) WITHOUT ROWID;
      CREATE TABLE services(ip TEXT NOT NULL, mac TEXT NOT NULL, role TEXT NOT NULL, proto TEXT NOT NULL,
        port INTEGER NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY(ip, mac, role, proto, port)) WITHOUT ROWID;
      CREATE TABLE peers(ip TEXT NOT NULL, mac TEXT NOT NULL, peer TEXT NOT NULL,
        PRIMARY KEY(ip, mac, peer)) WITHOUT ROWID;
      CREATE TABLE observations(ip TEXT NOT NULL, mac TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        first_us INTEGER NOT NULL, last_us INTEGER NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY(ip, mac, key, value)) WITHOUT ROWID;
      )sql",
  };
  return migrations;
}

SqliteStore::SqliteStore(const std::string& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open database '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // Touch the file header now so that "not a database" and unwritable paths fail here, not later.
    exec("SELECT count(*) FROM sqlite_master");
    if (!read_only) {
      if (path != ":memory:") exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=NORMAL");
      migrate();
    } else if (schema_version() > kSchemaVersion) {
      throw StoreError("database '" + path + "' has schema version " + std::to_string(schema_version()) +
                       ", newer than this wardwatch supports (" + std::to_string(kSchemaVersion) + ")");
    }
  } catch (const StoreError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    const std::string what = e.what();
    throw StoreError(what.find(path) == std::string::npos ? "cannot use database '" + path + "': " + what : what);
  }
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

void SqliteStore::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(msg);
  }
}

int SqliteStore::schema_version() const {
  Stmt q(db_, "PRAGMA user_version");
  return q.step() ? static_cast<int>(q.i64(0)) : 0;
}

void SqliteStore::migrate() {
  const int current = schema_version();
  const auto& migrations = schema_migrations();
  if (current > static_cast<int>(migrations.size())) {
    throw StoreError("schema version " + std::to_string(current) + " is newer than this wardwatch supports (" +
                     std::to_string(migrations.size()) + ")");
  }
  for (int v = current; v < static_cast<int>(migrations.size()); ++v) {
    exec("BEGIN IMMEDIATE");
    try {
      exec(migrations[static_cast<std::size_t>(v)]);
      exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
      exec("COMMIT");
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }
}

void SqliteStore::begin_run(const std::string& generator_version) {
  Stmt ins(db_, "INSERT INTO runs(generator, started_at) VALUES(?, ?)");
  ins.bind(1, "wardwatch " + generator_version).bind(2, now_utc_text()).run();
  run_id_ = sqlite3_last_insert_rowid(db_);
}

void SqliteStore::record_source(const SourceInfo& s) {
  Stmt ins(db_,
           "INSERT INTO sources(run_id, path, format, linktype, linktype_name, packets, bytes, first_us, last_us, "
           "truncated) VALUES(?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, run_id_).bind(2, s.path).bind(3, s.format).bind(4, s.linktype).bind(5, s.linktype_name);
  ins.bind(6, s.packets).bind(7, s.bytes).bind(8, s.first_us).bind(9, s.last_us).bind(10, s.truncated ? 1 : 0).run();
}

namespace {

// Writes drained rows with upserts, so that runs accumulate (first_seen = min, last_seen = max, counters add).
class SqlRowWriter final : public RowSink {
 public:
  explicit SqlRowWriter(sqlite3* db)
      : up_mac_(db,
                "INSERT INTO macs VALUES(?,?,?,?,?,?,?) ON CONFLICT(mac) DO UPDATE SET "
                "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                "packets_sent=packets_sent+excluded.packets_sent, "
                "packets_received=packets_received+excluded.packets_received, "
                "bytes_sent=bytes_sent+excluded.bytes_sent, bytes_received=bytes_received+excluded.bytes_received"),
        ins_vlan_(db, "INSERT OR IGNORE INTO mac_vlans VALUES(?,?)"),
        up_binding_(db,
                    "INSERT INTO bindings VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac) DO UPDATE SET "
                    "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                    "packets_sent=packets_sent+excluded.packets_sent, "
                    "packets_received=packets_received+excluded.packets_received, "
                    "bytes_sent=bytes_sent+excluded.bytes_sent, bytes_received=bytes_received+excluded.bytes_received, "
                    "confirmed=confirmed | excluded.confirmed"),
        up_service_(db,
                    "INSERT INTO services VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac, role, proto, port) DO UPDATE SET "
                    "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                    "count=count+excluded.count"),
        ins_peer_(db, "INSERT OR IGNORE INTO peers VALUES(?,?,?)"),
        up_obs_(db,
                "INSERT INTO observations VALUES(?,?,?,?,?,?,?) ON CONFLICT(ip, mac, key, value) DO UPDATE SET "
                "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                "count=count+excluded.count") {}

  void mac(const MacRow& r) override {
    const Traffic& t = r.traffic;
    up_mac_.bind(1, r.mac).bind(2, r.seen.first_us).bind(3, r.seen.last_us).bind(4, t.packets_sent);
    up_mac_.bind(5, t.packets_received).bind(6, t.bytes_sent).bind(7, t.bytes_received).run();
  }
  void vlan(std::string_view mac, std::uint16_t vlan) override { ins_vlan_.bind(1, mac).bind(2, int{vlan}).run(); }
  void binding(const BindingRow& r) override {
    const Traffic& t = r.traffic;
    up_binding_.bind(1, r.ip).bind(2, r.mac).bind(3, r.seen.first_us).bind(4, r.seen.last_us);
    up_binding_.bind(5, t.packets_sent).bind(6, t.packets_received).bind(7, t.bytes_sent);
    up_binding_.bind(8, t.bytes_received).bind(9, r.confirmed).run();
  }
  void service(const ServiceRow& r) override {
    up_service_.bind(1, r.ip).bind(2, r.mac).bind(3, r.role).bind(4, r.proto).bind(5, int{r.port});
    up_service_.bind(6, r.seen.first_us).bind(7, r.seen.last_us).bind(8, r.count).run();
  }
  void peer(const PeerRow& r) override { ins_peer_.bind(1, r.ip).bind(2, r.mac).bind(3, r.peer).run(); }
  void observation(const ObservationRow& r) override {
    up_obs_.bind(1, r.ip).bind(2, r.mac).bind(3, r.key).bind(4, r.value).bind(5, r.seen.first_us);
    up_obs_.bind(6, r.seen.last_us).bind(7, r.count).run();
  }

 private:
  Stmt up_mac_, ins_vlan_, up_binding_, up_service_, ins_peer_, up_obs_;
};

}  // namespace

void SqliteStore::write_run_stats(const Stats& stats) {
  if (run_id_ == 0) return;
  Stmt put_stat(db_, "INSERT OR REPLACE INTO run_stats VALUES(?,?,?)");
  for (const auto& [name, v] : stat_rows(stats)) put_stat.bind(1, run_id_).bind(2, name).bind(3, v).run();
}

void SqliteStore::flush(Tracker& tracker, Stats& stats) {
  exec("BEGIN IMMEDIATE");
  try {
    SqlRowWriter writer(db_);
    drain_deltas(tracker, writer);
    write_run_stats(stats);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace ww
