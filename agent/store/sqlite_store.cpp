#include "agent/store/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>

namespace ww {
namespace {

// RAII prepared statement with positional binding helpers.
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
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  void run() {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw StoreError(std::string("database error: ") + sqlite3_errmsg(db_));
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) throw StoreError(std::string("database error: ") + sqlite3_errmsg(db_));
    return false;
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::string now_utc_text() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string mac_text(const MacAddr& m) { return m.is_zero() ? std::string() : m.to_string(); }

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

void SqliteStore::flush(Tracker& tracker, Stats& stats) {
  exec("BEGIN IMMEDIATE");
  try {
    Stmt up_mac(db_,
                "INSERT INTO macs VALUES(?,?,?,?,?,?,?) ON CONFLICT(mac) DO UPDATE SET "
                "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                "packets_sent=packets_sent+excluded.packets_sent, "
                "packets_received=packets_received+excluded.packets_received, "
                "bytes_sent=bytes_sent+excluded.bytes_sent, bytes_received=bytes_received+excluded.bytes_received");
    Stmt ins_vlan(db_, "INSERT OR IGNORE INTO mac_vlans VALUES(?,?)");
    Stmt up_binding(db_,
                    "INSERT INTO bindings VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac) DO UPDATE SET "
                    "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                    "packets_sent=packets_sent+excluded.packets_sent, "
                    "packets_received=packets_received+excluded.packets_received, "
                    "bytes_sent=bytes_sent+excluded.bytes_sent, bytes_received=bytes_received+excluded.bytes_received, "
                    "confirmed=confirmed | excluded.confirmed");
    Stmt up_service(db_,
                    "INSERT INTO services VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac, role, proto, port) DO UPDATE SET "
                    "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                    "count=count+excluded.count");
    Stmt ins_peer(db_, "INSERT OR IGNORE INTO peers VALUES(?,?,?)");
    Stmt up_obs(db_,
                "INSERT INTO observations VALUES(?,?,?,?,?,?,?) ON CONFLICT(ip, mac, key, value) DO UPDATE SET "
                "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                "count=count+excluded.count");

    // Rows are written in primary-key order: B-tree inserts that follow each other land on the same pages,
    // which makes the flush of a large batch several times cheaper than hash-table order.
    std::vector<ObservationStat*> dirty_obs;
    auto flush_observations = [&](ObservationSet& set, const std::string& ip, const std::string& mac) {
      dirty_obs.clear();
      for (auto& o : set.items()) {
        if (o.dirty) dirty_obs.push_back(&o);
      }
      std::sort(dirty_obs.begin(), dirty_obs.end(), [](const ObservationStat* a, const ObservationStat* b) {
        return std::tie(a->key, a->value) < std::tie(b->key, b->value);
      });
      for (ObservationStat* op : dirty_obs) {
        ObservationStat& o = *op;
        up_obs.bind(1, ip).bind(2, mac).bind(3, o.key).bind(4, o.value).bind(5, o.seen.first_us);
        up_obs.bind(6, o.seen.last_us).bind(7, o.count).run();
        o.count = 0;
        o.dirty = false;
      }
    };

    std::vector<std::pair<std::string, MacRecord*>> macs;
    for (auto& [mac, rec] : tracker.macs()) {
      if (rec->dirty) macs.emplace_back(mac.to_string(), rec.get());
    }
    std::sort(macs.begin(), macs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [m, rec] : macs) {
      const Traffic& t = rec->traffic;
      up_mac.bind(1, m).bind(2, rec->seen.first_us).bind(3, rec->seen.last_us).bind(4, t.packets_sent);
      up_mac.bind(5, t.packets_received).bind(6, t.bytes_sent).bind(7, t.bytes_received).run();
      for (std::size_t i = rec->vlans_flushed; i < rec->vlans.size(); ++i) ins_vlan.bind(1, m).bind(2, int{rec->vlans[i]}).run();
      rec->vlans_flushed = rec->vlans.size();
      flush_observations(rec->observations, std::string(), m);
      rec->traffic = {};
      rec->dirty = false;
    }
    struct DirtyBinding {
      std::string ip, mac;
      BindingRecord* rec;
    };
    std::vector<DirtyBinding> bindings;
    for (auto& [key, rec] : tracker.bindings()) {
      if (rec->dirty || rec->confirmed_dirty) bindings.push_back({key.ip.to_string(), mac_text(key.mac), rec.get()});
    }
    std::sort(bindings.begin(), bindings.end(),
              [](const DirtyBinding& a, const DirtyBinding& b) { return std::tie(a.ip, a.mac) < std::tie(b.ip, b.mac); });
    std::vector<std::string> peers;
    for (auto& [ip, m, rec] : bindings) {
      const Traffic& t = rec->traffic;
      up_binding.bind(1, ip).bind(2, m).bind(3, rec->seen.first_us).bind(4, rec->seen.last_us);
      up_binding.bind(5, t.packets_sent).bind(6, t.packets_received).bind(7, t.bytes_sent);
      up_binding.bind(8, t.bytes_received).bind(9, int{rec->confirmed}).run();
      for (auto& s : rec->services) {
        if (!s.dirty) continue;
        up_service.bind(1, ip).bind(2, m).bind(3, s.role == ServiceRole::offered ? "offered" : "used");
        up_service.bind(4, s.proto == 6 ? "tcp" : "udp").bind(5, int{s.port}).bind(6, s.seen.first_us);
        up_service.bind(7, s.seen.last_us).bind(8, s.count).run();
        s.count = 0;
        s.dirty = false;
      }
      peers.clear();
      for (const IpAddr& peer : rec->new_peers) peers.push_back(peer.to_string());
      std::sort(peers.begin(), peers.end());
      for (const std::string& peer : peers) ins_peer.bind(1, ip).bind(2, m).bind(3, peer).run();
      rec->new_peers.clear();
      flush_observations(rec->observations, ip, m);
      rec->traffic = {};
      rec->dirty = rec->confirmed_dirty = false;
    }

    if (run_id_ != 0) {
      Stmt put_stat(db_, "INSERT OR REPLACE INTO run_stats VALUES(?,?,?)");
      auto put = [&](std::string_view name, std::uint64_t v) { put_stat.bind(1, run_id_).bind(2, name).bind(3, v).run(); };
      put("packets", stats.packets);
      put("bytes", stats.bytes);
      put("malformed", stats.malformed);
      for (std::size_t i = 1; i < stats.malformed_by_reason.size(); ++i) {
        if (stats.malformed_by_reason[i]) {
          put("malformed." + std::string(to_string(static_cast<DecodeError>(i))), stats.malformed_by_reason[i]);
        }
      }
      put("non_first_fragments", stats.non_first_fragments);
      put("pcap_received", stats.pcap_received);
      put("dropped", stats.pcap_dropped);
      put("if_dropped", stats.pcap_if_dropped);
      put("flows_evicted", stats.flows_evicted);
      put("assets_evicted", stats.assets_evicted);
      put("streams_evicted", stats.streams_evicted);
      put("stream_bytes_skipped", stats.stream_bytes_skipped);
      put("observations_dropped", stats.observations_dropped);
      put("peers_dropped", stats.peers_dropped);
      put("services_dropped", stats.services_dropped);
      put("vlans_dropped", stats.vlans_dropped);
      for (const auto& [name, v] : stats.anomalies) put("anomaly." + name, v);
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace ww
