#include "agent/store/sqlite_store.hpp"

#include "agent/store/row_batch.hpp"
#include "agent/store/rows.hpp"
#include "agent/store/statement.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

namespace ww {
namespace {

// UTC to the second, as the runs table and the classification tables write times.
std::string utc_text(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The schema version of the database file at `path` (0 when it is not one, or cannot be read).
int stored_schema_version(const std::string& path) {
  sqlite3* db = nullptr;
  int version = 0;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    try {
      Stmt q(db, "PRAGMA user_version");
      if (q.step()) version = static_cast<int>(q.i64(0));
    } catch (const StoreError&) {
      // not a database: the open that follows says so
    }
  }
  sqlite3_close(db);
  return version;
}

std::string now_utc_text() { return utc_text(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())); }

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
      // v1 -> v2: a run's state (running / complete / interrupted), what started it, when it ended and when
      // it last flushed. Runs of v1 databases were all finished ones.
      R"sql(
      ALTER TABLE runs ADD COLUMN command TEXT NOT NULL DEFAULT '';
      ALTER TABLE runs ADD COLUMN state TEXT NOT NULL DEFAULT 'complete';
      ALTER TABLE runs ADD COLUMN ended_at TEXT;
      ALTER TABLE runs ADD COLUMN last_flush_at TEXT;
      CREATE INDEX macs_last_seen ON macs(last_us);
      CREATE INDEX bindings_last_seen ON bindings(last_us);
      )sql",
      // v2 -> v3: floods and scans a run saw (agent/pipeline/admission.hpp), one row each; the sample of
      // sources is newline-separated text.
      R"sql(
      CREATE TABLE floods(run_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
        start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, sources INTEGER NOT NULL, admitted INTEGER NOT NULL,
        packets INTEGER NOT NULL, peak_per_s INTEGER NOT NULL, vlan INTEGER, sample TEXT NOT NULL,
        PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
      )sql",
      // v3 -> v4: a capture's content hash (a file read twice into one database is skipped, not counted twice),
      // and the fingerprint engine's conclusions, so that SQL can list the medical devices (docs/output.md).
      // The classification tables hold the last classification of every device (replaced whole each time a
      // run classifies), with the rule set's version and the rules behind each claim.
      R"sql(
      ALTER TABLE sources ADD COLUMN content_hash TEXT;
      CREATE INDEX sources_content_hash ON sources(content_hash) WHERE content_hash IS NOT NULL;
      CREATE TABLE classifications(asset_id TEXT PRIMARY KEY, mac TEXT, ips TEXT NOT NULL,
        category TEXT NOT NULL, device_type TEXT, vendor TEXT, model TEXT, firmware TEXT, os TEXT, modality TEXT,
        role TEXT, software TEXT, oui_vendor TEXT, crown_jewel TEXT, confidence REAL NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, rules_version TEXT NOT NULL,
        classified_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX classifications_category ON classifications(category);
      CREATE INDEX classifications_vendor_model ON classifications(vendor, model);
      CREATE INDEX classifications_crown_jewel ON classifications(crown_jewel) WHERE crown_jewel IS NOT NULL;
      CREATE TABLE classification_rules(asset_id TEXT NOT NULL, attribute TEXT NOT NULL, value TEXT NOT NULL,
        rule_id TEXT NOT NULL, weight REAL NOT NULL, facts TEXT NOT NULL,
        PRIMARY KEY(asset_id, attribute, rule_id)) WITHOUT ROWID;
      CREATE INDEX classification_rules_rule ON classification_rules(rule_id);
      )sql",
      // v4 -> v5: conversations replace peers — per device, per peer, per service (transport, server port) and
      // role: the application protocol a parser recognised, packets and bytes each way, first and last seen
      // (the communication map, docs/output.md). A v4 database's peers carry over with no service and no counts.
      R"sql(
      CREATE TABLE conversations(ip TEXT NOT NULL, mac TEXT NOT NULL, peer TEXT NOT NULL, proto TEXT NOT NULL,
        port INTEGER NOT NULL, role TEXT NOT NULL, app TEXT NOT NULL, first_us INTEGER NOT NULL,
        last_us INTEGER NOT NULL, packets_sent INTEGER NOT NULL, packets_received INTEGER NOT NULL,
        bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL,
        PRIMARY KEY(ip, mac, peer, proto, port, role)) WITHOUT ROWID;
      INSERT INTO conversations SELECT ip, mac, peer, '', 0, '', '', 0, 0, 0, 0, 0, 0 FROM peers;
      DROP TABLE peers;
      CREATE INDEX conversations_peer ON conversations(peer);
      )sql",
      // v5 -> v6: a change clock, for `wardwatch push` (docs/central.md). Every flush advances it by one and
      // stamps the device rows it writes with the new value; a push sends the rows stamped after the value it
      // last pushed. Rows of an older database count as changed at 1 (all of them go with the first push).
      // reported_findings, reported_conversations: the (finding, device) pairs and the conversations with crown
      // jewels the event feed has already reported (docs/events.md).
      // store_id: a random name of this database, so that the central store notices another database pushed
      // under the same agent id (its clock starts again) and takes it whole.
      R"sql(
      CREATE TABLE change_clock(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, store_id TEXT NOT NULL);
      INSERT INTO change_clock VALUES(1, 1, lower(hex(randomblob(16))));
      ALTER TABLE macs ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE mac_vlans ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE bindings ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE services ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE conversations ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE observations ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
      CREATE TABLE reported_findings(finding_id TEXT NOT NULL, asset_id TEXT NOT NULL, reported_at TEXT NOT NULL,
        PRIMARY KEY(finding_id, asset_id)) WITHOUT ROWID;
      CREATE TABLE reported_conversations(asset_id TEXT NOT NULL, conversation TEXT NOT NULL,
        reported_at TEXT NOT NULL, PRIMARY KEY(asset_id, conversation)) WITHOUT ROWID;
      )sql",
  };
  return migrations;
}

WriterLock::WriterLock(const std::string& db_path) : path_(db_path + ".lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) throw StoreError("cannot open database '" + db_path + "': lock file " + path_ + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw StoreError("cannot lock '" + path_ + "': " + why);
    }
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
    holder.erase(std::remove_if(holder.begin(), holder.end(), [](char c) { return c < '0' || c > '9'; }), holder.end());
    std::cerr << "wardwatch: database '" << db_path << "' is being written by another wardwatch"
              << (holder.empty() ? "" : " (pid " + holder + ")") << "; waiting for it to finish\n";
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        throw StoreError("cannot lock '" + path_ + "': " + why);
      }
    }
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // The pid is only a courtesy for the message above; the lock itself holds.
  }
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

SqliteStore::SqliteStore(const std::string& path, bool read_only) {
  if (read_only && path != ":memory:") {
    // A reader (report, export, diff) of a database an older wardwatch wrote migrates it first, as a writer
    // would: the queries name the current tables.
    const int version = stored_schema_version(path);
    if (version > 0 && version < kSchemaVersion) {
      std::cerr << "wardwatch: upgrading database '" << path << "' from schema version " << version << " to "
                << kSchemaVersion << "\n";
      SqliteStore upgrade(path, false);
    }
  }
  if (!read_only && path != ":memory:") {
    lock_ = std::make_unique<WriterLock>(path);
    // A new database is created 0640 (SQLite would use 0644, and gives its -wal and -shm files the database's
    // mode): a hospital's device inventory is not for every local user.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd >= 0) ::close(fd);
  }
  // NOMUTEX: a connection is used by one thread at a time — the database writer thread, then the thread
  // that waited for it (a future or the BackgroundWriter's queue hands it over) — so SQLite's own lock on
  // every call (serialized mode, Debian's default) bought nothing and cost ~6 % of a 100,000-device run.
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX;
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
      // This process holds the writer lock: a run still "running" belongs to a process that died.
      exec("UPDATE runs SET state='interrupted' WHERE state='running'");
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

template <typename Body>
void SqliteStore::transaction(Body body) {
  exec("BEGIN IMMEDIATE");
  try {
    body();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void SqliteStore::migrate() {
  const auto& migrations = schema_migrations();
  // The version is read inside the write transaction: two processes creating one database at once would
  // otherwise both see version 0 and the second would fail on "table runs already exists".
  transaction([&] {
    const int current = schema_version();
    if (current > static_cast<int>(migrations.size())) {
      throw StoreError("schema version " + std::to_string(current) + " is newer than this wardwatch supports (" +
                       std::to_string(migrations.size()) + ")");
    }
    for (int v = current; v < static_cast<int>(migrations.size()); ++v) {
      exec(migrations[static_cast<std::size_t>(v)]);
      exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
    }
  });
}

void SqliteStore::begin_run(const std::string& generator_version, const std::string& command) {
  Stmt ins(db_, "INSERT INTO runs(generator, started_at, command, state) VALUES(?, ?, ?, 'running')");
  ins.bind(1, "wardwatch " + generator_version).bind(2, now_utc_text()).bind(3, command).run();
  run_id_ = sqlite3_last_insert_rowid(db_);
}

void SqliteStore::configure_library() { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

void SqliteStore::record_source(const SourceInfo& s) { pending_sources_.push_back(s); }

std::vector<SourceInfo> SqliteStore::take_pending_sources() { return std::exchange(pending_sources_, {}); }

void SqliteStore::begin_read() const {
  exec("BEGIN");
  // The snapshot is taken at the first read (SQLite "Isolation"): take it now.
  Stmt q(db_, "SELECT count(*) FROM sqlite_master");
  q.step();
}

void SqliteStore::end_read() const { exec("COMMIT"); }

void SqliteStore::write_sources(const std::vector<SourceInfo>& sources) {
  if (sources.empty()) return;
  Stmt ins(db_,
           "INSERT INTO sources(run_id, path, format, linktype, linktype_name, packets, bytes, first_us, last_us, "
           "truncated, content_hash) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  for (const SourceInfo& s : sources) {
    ins.bind(1, run_id_).bind(2, s.path).bind(3, s.format).bind(4, s.linktype).bind(5, s.linktype_name);
    ins.bind(6, s.packets).bind(7, s.bytes).bind(8, s.first_us).bind(9, s.last_us);
    ins.bind(10, s.truncated ? 1 : 0);
    if (s.content_hash.empty()) ins.bind_null(11);
    else ins.bind(11, s.content_hash);
    ins.run();
  }
}

std::optional<EarlierSource> SqliteStore::find_source(const std::string& content_hash) const {
  if (content_hash.empty()) return std::nullopt;
  Stmt q(db_,
         "SELECT s.path, s.run_id, r.started_at FROM sources s JOIN runs r ON r.id = s.run_id "
         "WHERE s.content_hash = ? ORDER BY s.id LIMIT 1");
  q.bind(1, content_hash);
  if (!q.step()) return std::nullopt;
  return EarlierSource{std::string(q.text(0)), q.i64(1), std::string(q.text(2))};
}

bool SqliteStore::has_hashed_source() const {
  Stmt q(db_, "SELECT 1 FROM sources WHERE content_hash IS NOT NULL LIMIT 1");
  return q.step();
}

namespace {

std::string joined(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(1, sep)) + item;
  return out;
}

std::string iso_time(std::int64_t us) { return utc_text(static_cast<std::time_t>(us / 1000000)); }

}  // namespace

void SqliteStore::save_classifications(const Inventory& inv) {
  const std::string now = now_utc_text();
  transaction([&] {
    exec("DELETE FROM classifications; DELETE FROM classification_rules;");
    Stmt ins(db_,
             "INSERT INTO classifications(asset_id, mac, ips, category, device_type, vendor, model, firmware, os, "
             "modality, role, software, oui_vendor, crown_jewel, confidence, first_seen, last_seen, rules_version, "
             "classified_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Stmt rule(db_,
              "INSERT OR IGNORE INTO classification_rules(asset_id, attribute, value, rule_id, weight, facts) "
              "VALUES(?,?,?,?,?,?)");
    for (const AssetView& a : inv.assets) {
      const auto& c = a.classification;
      const auto attribute = [&](int column, const char* name) {
        if (const auto it = c.attributes.find(name); it != c.attributes.end()) ins.bind(column, it->second);
        else ins.bind_null(column);
      };
      std::vector<std::string> ips;
      for (const auto& addr : a.addresses) ips.push_back(addr.ip);
      ins.bind(1, a.id);
      if (a.mac) ins.bind(2, *a.mac);
      else ins.bind_null(2);
      ins.bind(3, joined(ips, ' ')).bind(4, c.category);
      attribute(5, "device_type");
      attribute(6, "vendor");
      attribute(7, "model");
      attribute(8, "firmware");
      attribute(9, "os");
      attribute(10, "modality");
      attribute(11, "role");
      attribute(12, "software");
      if (a.vendor) ins.bind(13, *a.vendor);
      else ins.bind_null(13);
      if (a.crown_jewel) ins.bind(14, a.crown_jewel->kind);
      else ins.bind_null(14);
      ins.bind(15, c.confidence).bind(16, iso_time(a.first_us)).bind(17, iso_time(a.last_us));
      ins.bind(18, inv.rules.version).bind(19, now).run();
      for (const ClaimEvidence& claim : c.evidence) {
        for (const RuleEvidence& r : claim.rules) {
          rule.bind(1, a.id).bind(2, claim.attribute).bind(3, claim.value).bind(4, r.rule_id).bind(5, r.weight);
          rule.bind(6, joined(r.facts, '\n')).run();
        }
      }
    }
  });
}

void SqliteStore::mark_flushed() {
  if (run_id_ == 0) return;
  Stmt up(db_, "UPDATE runs SET last_flush_at=? WHERE id=?");
  up.bind(1, now_utc_text()).bind(2, run_id_).run();
}

void SqliteStore::commit_pending() {
  transaction([&] { write_sources(pending_sources_); });
  pending_sources_.clear();
}

void SqliteStore::complete_run(bool failed) {
  if (run_id_ == 0) return;
  Stmt up(db_, "UPDATE runs SET state=?, ended_at=? WHERE id=?");
  up.bind(1, std::string_view(failed ? "failed" : "complete")).bind(2, now_utc_text()).bind(3, run_id_).run();
}

std::uint64_t SqliteStore::age_out(std::int64_t cutoff_us) {
  std::uint64_t devices = 0;
  transaction([&] {
    // Facts, services and conversations belong to a binding (ip, mac) or, with ip '', to a MAC.
    exec("CREATE TEMP TABLE IF NOT EXISTS aged(ip TEXT NOT NULL, mac TEXT NOT NULL)");
    exec("DELETE FROM temp.aged");
    Stmt pick_bindings(db_, "INSERT INTO temp.aged SELECT ip, mac FROM bindings WHERE last_us < ?");
    pick_bindings.bind(1, cutoff_us).run();
    Stmt pick_macs(db_, "INSERT INTO temp.aged SELECT '', mac FROM macs WHERE last_us < ?");
    pick_macs.bind(1, cutoff_us).run();
    Stmt count(db_, "SELECT count(*) FROM temp.aged");
    devices = count.step() ? count.u64(0) : 0;
    for (const char* table : {"observations", "services", "conversations"}) {
      exec((std::string("DELETE FROM ") + table +
            " WHERE EXISTS (SELECT 1 FROM temp.aged a WHERE a.ip = " + table + ".ip AND a.mac = " + table + ".mac)")
               .c_str());
    }
    exec("DELETE FROM mac_vlans WHERE mac IN (SELECT mac FROM temp.aged WHERE ip = '')");
    exec("DELETE FROM bindings WHERE EXISTS (SELECT 1 FROM temp.aged a WHERE a.ip = bindings.ip AND a.mac = bindings.mac)");
    exec("DELETE FROM macs WHERE mac IN (SELECT mac FROM temp.aged WHERE ip = '')");
    exec("DELETE FROM temp.aged");
    // Statistics of old runs go too (their run rows stay: a few bytes each, the history of the sensor).
    Stmt old_stats(db_, "DELETE FROM run_stats WHERE run_id IN (SELECT id FROM runs WHERE started_at < ? AND id <> ?)");
    const std::string cutoff = iso_time(cutoff_us);
    old_stats.bind(1, std::string_view(cutoff)).bind(2, run_id_).run();
    Stmt old_floods(db_, "DELETE FROM floods WHERE run_id IN (SELECT id FROM runs WHERE started_at < ? AND id <> ?)");
    old_floods.bind(1, std::string_view(cutoff)).bind(2, run_id_).run();
  });
  return devices;
}

RunStatus SqliteStore::last_run() const {
  RunStatus st;
  Stmt run(db_,
           "SELECT id, generator, command, state, started_at, coalesce(ended_at, ''), coalesce(last_flush_at, '') "
           "FROM runs ORDER BY id DESC LIMIT 1");
  if (!run.step()) return st;
  st.id = run.i64(0);
  st.generator = run.text(1);
  st.command = run.text(2);
  st.state = run.text(3);
  st.started_at = run.text(4);
  st.ended_at = run.text(5);
  st.last_flush_at = run.text(6);
  Stmt stats(db_, "SELECT name, value FROM run_stats WHERE run_id=? ORDER BY name");
  stats.bind(1, st.id);
  while (stats.step()) st.stats.emplace_back(std::string(stats.text(0)), stats.u64(1));
  Stmt src(db_,
           "SELECT path, format, linktype_name, packets, bytes, first_us, last_us, truncated FROM sources "
           "WHERE run_id=? ORDER BY id");
  src.bind(1, st.id);
  while (src.step()) {
    SourceInfo s;
    s.path = src.text(0);
    s.format = src.text(1);
    s.linktype_name = src.text(2);
    s.packets = src.u64(3);
    s.bytes = src.u64(4);
    s.first_us = src.i64(5);
    s.last_us = src.i64(6);
    s.truncated = src.i64(7) != 0;
    st.sources.push_back(std::move(s));
  }
  Stmt interrupted(db_, "SELECT count(*) FROM runs WHERE state='interrupted'");
  st.interrupted_runs = interrupted.step() ? interrupted.i64(0) : 0;
  return st;
}

namespace {

// Writes drained rows with upserts, so that runs accumulate (first_seen = min, last_seen = max, counters add).
class SqlRowWriter final : public RowSink {
 public:
  // `seq`: the change clock's value for this flush (stamped on every row written).
  SqlRowWriter(sqlite3* db, std::int64_t seq)
      : seq_(seq),
        up_mac_(db,
                "INSERT INTO macs VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(mac) DO UPDATE SET change_seq=excluded.change_seq, "
                "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                "packets_sent=packets_sent+excluded.packets_sent, "
                "packets_received=packets_received+excluded.packets_received, "
                "bytes_sent=bytes_sent+excluded.bytes_sent, bytes_received=bytes_received+excluded.bytes_received"),
        ins_vlan_(db, "INSERT OR IGNORE INTO mac_vlans VALUES(?,?,?)"),
        up_binding_(db,
                    "INSERT INTO bindings VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac) DO UPDATE SET "
                    "change_seq=excluded.change_seq, "
                    "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                    "packets_sent=packets_sent+excluded.packets_sent, "
                    "packets_received=packets_received+excluded.packets_received, "
                    "bytes_sent=bytes_sent+excluded.bytes_sent, bytes_received=bytes_received+excluded.bytes_received, "
                    "confirmed=confirmed | excluded.confirmed"),
        up_service_(db,
                    "INSERT INTO services VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac, role, proto, port) DO UPDATE SET "
                    "change_seq=excluded.change_seq, "
                    "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                    "count=count+excluded.count"),
        up_conversation_(db,
                         "INSERT INTO conversations VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                         "ON CONFLICT(ip, mac, peer, proto, port, role) DO UPDATE SET change_seq=excluded.change_seq, "
                         "app=CASE WHEN excluded.app <> '' THEN excluded.app ELSE app END, "
                         "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                         "packets_sent=packets_sent+excluded.packets_sent, "
                         "packets_received=packets_received+excluded.packets_received, "
                         "bytes_sent=bytes_sent+excluded.bytes_sent, "
                         "bytes_received=bytes_received+excluded.bytes_received"),
        up_obs_(db,
                "INSERT INTO observations VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(ip, mac, key, value) DO UPDATE SET "
                "change_seq=excluded.change_seq, "
                "first_us=min(first_us, excluded.first_us), last_us=max(last_us, excluded.last_us), "
                "count=count+excluded.count") {}

  void mac(const MacRow& r) override {
    const Traffic& t = r.traffic;
    up_mac_.bind_view(1, r.mac).bind(2, r.seen.first_us).bind(3, r.seen.last_us).bind(4, t.packets_sent);
    up_mac_.bind(5, t.packets_received).bind(6, t.bytes_sent).bind(7, t.bytes_received).bind(8, seq_).run();
  }
  void vlan(std::string_view mac, std::uint16_t vlan) override {
    ins_vlan_.bind_view(1, mac).bind(2, int{vlan}).bind(3, seq_).run();
  }
  void binding(const BindingRow& r) override {
    const Traffic& t = r.traffic;
    up_binding_.bind_view(1, r.ip).bind_view(2, r.mac).bind(3, r.seen.first_us).bind(4, r.seen.last_us);
    up_binding_.bind(5, t.packets_sent).bind(6, t.packets_received).bind(7, t.bytes_sent);
    up_binding_.bind(8, t.bytes_received).bind(9, r.confirmed).bind(10, seq_).run();
  }
  void service(const ServiceRow& r) override {
    up_service_.bind_view(1, r.ip).bind_view(2, r.mac).bind_view(3, r.role).bind_view(4, r.proto).bind(5, int{r.port});
    up_service_.bind(6, r.seen.first_us).bind(7, r.seen.last_us).bind(8, r.count).bind(9, seq_).run();
  }
  void conversation(const ConversationRow& r) override {
    const Traffic& t = r.traffic;
    up_conversation_.bind_view(1, r.ip).bind_view(2, r.mac).bind_view(3, r.peer).bind_view(4, r.proto);
    up_conversation_.bind(5, int{r.port}).bind_view(6, r.role).bind_view(7, r.app);
    up_conversation_.bind(8, r.seen.first_us).bind(9, r.seen.last_us);
    up_conversation_.bind(10, t.packets_sent).bind(11, t.packets_received).bind(12, t.bytes_sent);
    up_conversation_.bind(13, t.bytes_received).bind(14, seq_).run();
  }
  void observation(const ObservationRow& r) override {
    up_obs_.bind_view(1, r.ip).bind_view(2, r.mac).bind_view(3, r.key).bind_view(4, r.value).bind(5, r.seen.first_us);
    up_obs_.bind(6, r.seen.last_us).bind(7, r.count).bind(8, seq_).run();
  }

 private:
  std::int64_t seq_;
  Stmt up_mac_, ins_vlan_, up_binding_, up_service_, up_conversation_, up_obs_;
};

}  // namespace

void SqliteStore::write_run_stats(const Stats& stats) {
  if (run_id_ == 0) return;
  Stmt put_stat(db_, "INSERT OR REPLACE INTO run_stats VALUES(?,?,?)");
  for (const auto& [name, v] : stat_rows(stats)) put_stat.bind(1, run_id_).bind(2, name).bind(3, v).run();
  if (stats.floods.empty()) return;
  Stmt put_flood(db_, "INSERT OR REPLACE INTO floods VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  std::int64_t seq = 0;
  for (const FloodEpisode& f : stats.floods) {
    std::string sample;
    for (const std::string& s : f.sample) sample += (sample.empty() ? "" : "\n") + s;
    put_flood.bind(1, run_id_).bind(2, seq++).bind(3, std::string_view(f.kind)).bind(4, f.start_us).bind(5, f.end_us);
    put_flood.bind(6, f.sources).bind(7, f.admitted).bind(8, f.packets).bind(9, f.peak_per_s);
    if (f.vlan >= 0) {
      put_flood.bind(10, static_cast<std::int64_t>(f.vlan));
    } else {
      put_flood.bind_null(10);
    }
    put_flood.bind(11, std::string_view(sample)).run();
  }
}

std::int64_t SqliteStore::advance_change_clock() {
  Stmt tick(db_, "UPDATE change_clock SET seq = seq + 1 RETURNING seq");
  if (!tick.step()) throw StoreError("the change clock is missing");
  return tick.i64(0);
}

std::int64_t SqliteStore::change_clock() const {
  Stmt q(db_, "SELECT seq FROM change_clock");
  return q.step() ? q.i64(0) : 0;
}

std::string SqliteStore::store_id() const {
  Stmt q(db_, "SELECT store_id FROM change_clock");
  return q.step() ? std::string(q.text(0)) : std::string();
}

std::vector<StoredClassification> SqliteStore::stored_classifications() const {
  Stmt q(db_,
         "SELECT asset_id, mac, ips, category, vendor, model, firmware, os, crown_jewel, first_seen, last_seen "
         "FROM classifications ORDER BY asset_id");
  const auto optional_text = [&](int c) { return q.is_null(c) ? std::nullopt : std::optional<std::string>(q.text(c)); };
  std::vector<StoredClassification> out;
  while (q.step()) {
    out.push_back({std::string(q.text(0)), optional_text(1), std::string(q.text(2)), std::string(q.text(3)),
                   optional_text(4), optional_text(5), optional_text(6), optional_text(7), optional_text(8),
                   std::string(q.text(9)), std::string(q.text(10))});
  }
  return out;
}

namespace {

const char* reported_table(SqliteStore::Reported kind) {
  return kind == SqliteStore::Reported::findings ? "reported_findings" : "reported_conversations";
}

}  // namespace

std::set<std::pair<std::string, std::string>> SqliteStore::reported(Reported kind) const {
  Stmt q(db_, (std::string("SELECT * FROM ") + reported_table(kind)).c_str());
  std::set<std::pair<std::string, std::string>> out;
  while (q.step()) out.emplace(q.text(0), q.text(1));
  return out;
}

void SqliteStore::remember(Reported kind, const std::vector<std::pair<std::string, std::string>>& reported) {
  if (reported.empty()) return;
  const std::string now = now_utc_text();
  transaction([&] {
    Stmt ins(db_, (std::string("INSERT OR IGNORE INTO ") + reported_table(kind) + " VALUES(?,?,?)").c_str());
    for (const auto& [first, second] : reported) ins.bind(1, first).bind(2, second).bind(3, now).run();
  });
}

void SqliteStore::check_integrity() const {
  Stmt q(db_, "PRAGMA quick_check");
  std::string problems;
  while (q.step()) {
    std::string line(q.text(0));
    if (line == "ok") continue;
    std::replace(line.begin(), line.end(), '\n', ' ');
    problems += problems.empty() ? line : "; " + line;
    if (problems.size() > 200) break;
  }
  if (!problems.empty()) throw StoreError("database is damaged: " + problems.substr(0, 200));
}

void SqliteStore::flush(Tracker& tracker, Stats& stats, DrainScope scope) {
  const bool whole = scope == DrainScope::all;
  transaction([&] {
    SqlRowWriter writer(db_, advance_change_clock());
    drain_deltas(tracker, writer, false, scope, record_budget());
    write_run_stats(stats);
    if (whole) write_sources(pending_sources_);
    mark_flushed();
  });
  if (whole) pending_sources_.clear();
}

void SqliteStore::write_batch(const RowBatch& batch, const Stats& stats, const std::vector<SourceInfo>& sources) {
  transaction([&] {
    SqlRowWriter writer(db_, advance_change_clock());
    batch.replay(writer);
    write_run_stats(stats);
    write_sources(sources);
    mark_flushed();
  });
}

}  // namespace ww
