// The central PostgreSQL store (central_store.hpp, docs/central.md), through libpq. Rows travel both ways
// in COPY's text format (PostgreSQL documentation, "COPY", File Formats / Text Format): a push streams the
// changed local rows into a temporary staging table and upserts them in one statement per table; a report
// reads each table with one COPY ... TO STDOUT.
#include "agent/store/central_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "agent/store/inventory_builder.hpp"
#include "agent/store/statement.hpp"

namespace ww {
namespace {

// The tables an agent pushes, with the local columns in the local order (the central table has agent_id and
// site first, then these). `key`: the local primary key. `tracked`: rows carry change_seq (only changed
// ones are sent); the run history is small and sent whole.
struct TableSpec {
  const char* name;
  std::vector<const char*> columns;
  std::vector<const char*> key;
  bool tracked;
};

const std::vector<TableSpec>& pushed_tables() {
  static const std::vector<TableSpec> tables = {
      {"runs", {"id", "generator", "started_at", "command", "state", "ended_at", "last_flush_at"}, {"id"}, false},
      {"sources",
       {"id", "run_id", "path", "format", "linktype", "linktype_name", "packets", "bytes", "first_us", "last_us",
        "truncated", "content_hash"},
       {"id"},
       false},
      {"run_stats", {"run_id", "name", "value"}, {"run_id", "name"}, false},
      {"floods",
       {"run_id", "seq", "kind", "start_us", "end_us", "sources", "admitted", "packets", "peak_per_s", "vlan", "sample"},
       {"run_id", "seq"},
       false},
      {"macs",
       {"mac", "first_us", "last_us", "packets_sent", "packets_received", "bytes_sent", "bytes_received"},
       {"mac"},
       true},
      {"mac_vlans", {"mac", "vlan"}, {"mac", "vlan"}, true},
      {"bindings",
       {"ip", "mac", "first_us", "last_us", "packets_sent", "packets_received", "bytes_sent", "bytes_received",
        "confirmed"},
       {"ip", "mac"},
       true},
      {"services", {"ip", "mac", "role", "proto", "port", "first_us", "last_us", "count"},
       {"ip", "mac", "role", "proto", "port"}, true},
      {"conversations",
       {"ip", "mac", "peer", "proto", "port", "role", "app", "first_us", "last_us", "packets_sent", "packets_received",
        "bytes_sent", "bytes_received"},
       {"ip", "mac", "peer", "proto", "port", "role"},
       true},
      {"observations", {"ip", "mac", "key", "value", "first_us", "last_us", "count"}, {"ip", "mac", "key", "value"},
       true},
  };
  return tables;
}

// Entry i brings the central schema from version i to i + 1 (as the SQLite store's migrations do).
const std::vector<const char*>& central_migrations() {
  static const std::vector<const char*> migrations = {
      R"sql(
      CREATE TABLE agents(agent_id text PRIMARY KEY, site text NOT NULL, store_id text NOT NULL DEFAULT '',
        pushed_clock bigint NOT NULL DEFAULT 0, pushes bigint NOT NULL DEFAULT 0, generator text NOT NULL DEFAULT '',
        first_push_at timestamptz NOT NULL DEFAULT now(), last_push_at timestamptz);
      CREATE TABLE runs(agent_id text NOT NULL, site text NOT NULL, id bigint NOT NULL, generator text NOT NULL,
        started_at text NOT NULL, command text NOT NULL, state text NOT NULL, ended_at text, last_flush_at text,
        PRIMARY KEY(agent_id, id));
      CREATE TABLE sources(agent_id text NOT NULL, site text NOT NULL, id bigint NOT NULL, run_id bigint NOT NULL,
        path text NOT NULL, format text NOT NULL, linktype bigint NOT NULL, linktype_name text NOT NULL,
        packets bigint NOT NULL, bytes bigint NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL,
        truncated bigint NOT NULL, content_hash text, PRIMARY KEY(agent_id, id));
      CREATE TABLE run_stats(agent_id text NOT NULL, site text NOT NULL, run_id bigint NOT NULL, name text NOT NULL,
        value bigint NOT NULL, PRIMARY KEY(agent_id, run_id, name));
      CREATE TABLE floods(agent_id text NOT NULL, site text NOT NULL, run_id bigint NOT NULL, seq bigint NOT NULL,
        kind text NOT NULL, start_us bigint NOT NULL, end_us bigint NOT NULL, sources bigint NOT NULL,
        admitted bigint NOT NULL, packets bigint NOT NULL, peak_per_s bigint NOT NULL, vlan bigint, sample text NOT NULL,
        PRIMARY KEY(agent_id, run_id, seq));
      CREATE TABLE macs(agent_id text NOT NULL, site text NOT NULL, mac text NOT NULL, first_us bigint NOT NULL,
        last_us bigint NOT NULL, packets_sent bigint NOT NULL, packets_received bigint NOT NULL,
        bytes_sent bigint NOT NULL, bytes_received bigint NOT NULL, PRIMARY KEY(agent_id, mac));
      CREATE INDEX macs_mac ON macs(mac);
      CREATE TABLE mac_vlans(agent_id text NOT NULL, site text NOT NULL, mac text NOT NULL, vlan bigint NOT NULL,
        PRIMARY KEY(agent_id, mac, vlan));
      CREATE TABLE bindings(agent_id text NOT NULL, site text NOT NULL, ip text NOT NULL, mac text NOT NULL,
        first_us bigint NOT NULL, last_us bigint NOT NULL, packets_sent bigint NOT NULL,
        packets_received bigint NOT NULL, bytes_sent bigint NOT NULL, bytes_received bigint NOT NULL,
        confirmed bigint NOT NULL, PRIMARY KEY(agent_id, ip, mac));
      CREATE INDEX bindings_mac ON bindings(mac);
      CREATE INDEX bindings_ip ON bindings(ip);
      CREATE TABLE services(agent_id text NOT NULL, site text NOT NULL, ip text NOT NULL, mac text NOT NULL,
        role text NOT NULL, proto text NOT NULL, port bigint NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL,
        count bigint NOT NULL, PRIMARY KEY(agent_id, ip, mac, role, proto, port));
      CREATE TABLE conversations(agent_id text NOT NULL, site text NOT NULL, ip text NOT NULL, mac text NOT NULL,
        peer text NOT NULL, proto text NOT NULL, port bigint NOT NULL, role text NOT NULL, app text NOT NULL,
        first_us bigint NOT NULL, last_us bigint NOT NULL, packets_sent bigint NOT NULL,
        packets_received bigint NOT NULL, bytes_sent bigint NOT NULL, bytes_received bigint NOT NULL,
        PRIMARY KEY(agent_id, ip, mac, peer, proto, port, role));
      CREATE INDEX conversations_peer ON conversations(peer);
      CREATE TABLE observations(agent_id text NOT NULL, site text NOT NULL, ip text NOT NULL, mac text NOT NULL,
        key text NOT NULL, value text NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL,
        count bigint NOT NULL, PRIMARY KEY(agent_id, ip, mac, key, value));
      CREATE INDEX observations_mac ON observations(mac);
      )sql",
  };
  return migrations;
}

// One line from libpq's (possibly multi-line) message.
std::string one_line(const char* message) {
  std::string out = message ? message : "unknown error";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

using Result = std::unique_ptr<PGresult, void (*)(PGresult*)>;

Result checked(PGconn* conn, PGresult* raw, const std::string& what) {
  Result r(raw, PQclear);
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_COPY_IN && status != PGRES_COPY_OUT) {
    throw StoreError("central store: " + what + ": " + one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn)));
  }
  return r;
}

// What a failed statement was, for its message: its first words.
std::string statement_label(const std::string& sql) {
  const std::size_t start = sql.find_first_not_of(" \n");
  if (start == std::string::npos) return "statement";
  const std::size_t end = sql.find_first_of("(\n$", start);
  std::string label = sql.substr(start, std::min<std::size_t>(end == std::string::npos ? sql.size() : end, start + 60) - start);
  while (!label.empty() && label.back() == ' ') label.pop_back();
  return label;
}

Result query(PGconn* conn, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  return checked(conn,
                 PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                              nullptr, 0),
                 statement_label(sql));
}

std::string joined(const std::vector<const char*>& names, std::string_view prefix = {}) {
  std::string out;
  for (const char* n : names) {
    if (!out.empty()) out += ", ";
    out.append(prefix).append(n);
  }
  return out;
}

// COPY text format: backslash, tab, newline and carriage return escaped; NULL is \N.
void append_copy_text(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

// Splits one COPY text line into unescaped fields (a NULL becomes ""). The strings are reused from line to
// line (their capacity stays): a report reads millions of rows. Returns the number of fields.
std::size_t split_copy_line(std::string_view line, std::vector<std::string>& fields) {
  std::size_t n = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    const std::string_view raw = line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (n == fields.size()) fields.emplace_back();
    std::string& out = fields[n++];
    if (raw.find('\\') == std::string_view::npos) {
      out.assign(raw);
    } else {
      out.clear();
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\' || i + 1 == raw.size()) {
          out += raw[i];
          continue;
        }
        switch (const char e = raw[++i]) {
          case 't': out += '\t'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'v': out += '\v'; break;
          case 'N': break;  // NULL
          default: out += e;
        }
      }
    }
    if (tab == std::string_view::npos) return n;
    start = tab + 1;
  }
}

std::int64_t to_i64(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
std::uint64_t to_u64(const std::string& s) { return static_cast<std::uint64_t>(to_i64(s)); }
Seen seen_at(const std::vector<std::string>& f, std::size_t i) { return {to_i64(f[i]), to_i64(f[i + 1])}; }
Traffic traffic_at(const std::vector<std::string>& f, std::size_t i) {
  return {to_u64(f[i]), to_u64(f[i + 1]), to_u64(f[i + 2]), to_u64(f[i + 3])};
}

// The URL's options as libpq reads them; a password among them is refused.
void refuse_password(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &err);
  if (options == nullptr) {
    const std::string reason = one_line(err);
    PQfreemem(err);
    throw StoreError("invalid central store URL: " + reason);
  }
  bool password = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0') password = true;
  }
  PQconninfoFree(options);
  if (password) {
    throw StoreError(
        "the central store URL carries a password: put it in ~/.pgpass, PGPASSFILE or a service file "
        "(docs/central.md), never on the command line");
  }
}

}  // namespace

// The URL without anything after '?' (options are not needed to name the store in a message).
std::string CentralStore::display_name(const std::string& url) { return url.substr(0, url.find('?')); }

bool is_central_store_url(std::string_view path) {
  return path.rfind("postgresql://", 0) == 0 || path.rfind("postgres://", 0) == 0;
}

std::uint64_t PushResult::total_rows() const {
  std::uint64_t n = 0;
  for (const auto& [table, count] : rows) n += count;
  return n;
}

CentralStore::CentralStore(const std::string& url) : url_(display_name(url)), conn_(nullptr, PQfinish) {
  refuse_password(url);
  // Earlier keywords are overridden by the expanded URL: its connect_timeout wins over this default.
  const char* timeout = std::getenv("PGCONNECT_TIMEOUT");
  const std::array<const char*, 4> keywords{"connect_timeout", "application_name", "dbname", nullptr};
  const std::array<const char*, 4> values{timeout ? timeout : "10", "wardwatch", url.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    throw StoreError("cannot connect to the central store " + url_ + ": " +
                     one_line(conn_ ? PQerrorMessage(conn_.get()) : "out of memory"));
  }
  // Messages in a known form whatever the server's locale; warnings (NOTICE) are not the user's business.
  exec("SET client_min_messages = warning");
}

CentralStore::~CentralStore() = default;

// Without parameters: several statements may go at once (a migration).
void CentralStore::exec(const std::string& sql) const {
  checked(conn_.get(), PQexec(conn_.get(), sql.c_str()), statement_label(sql));
}

int CentralStore::schema_version() const {
  const Result exists = query(conn_.get(), "SELECT to_regclass('wardwatch_schema') IS NOT NULL");
  if (std::string_view(PQgetvalue(exists.get(), 0, 0)) != "t") return 0;
  const Result v = query(conn_.get(), "SELECT coalesce(max(version), 0) FROM wardwatch_schema");
  return std::atoi(PQgetvalue(v.get(), 0, 0));
}

void CentralStore::migrate() {
  const auto& migrations = central_migrations();
  exec("BEGIN");
  try {
    // One migrating process at a time (two agents' first pushes at once would both create the tables).
    exec("SELECT pg_advisory_xact_lock(hashtext('wardwatch schema'))");
    exec("CREATE TABLE IF NOT EXISTS wardwatch_schema(version integer NOT NULL)");
    const int current = schema_version();
    if (current > static_cast<int>(migrations.size())) {
      throw StoreError("the central store " + url_ + " has schema version " + std::to_string(current) +
                       ", newer than this wardwatch supports (" + std::to_string(migrations.size()) + ")");
    }
    for (int v = current; v < static_cast<int>(migrations.size()); ++v) {
      exec(migrations[static_cast<std::size_t>(v)]);
      exec("DELETE FROM wardwatch_schema");
      exec("INSERT INTO wardwatch_schema VALUES(" + std::to_string(v + 1) + ")");
    }
    exec("COMMIT");
  } catch (...) {
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
    throw;
  }
}

PushResult CentralStore::push(const SqliteStore& local, const AgentIdentity& agent,
                              const std::function<void(std::string_view)>& progress) {
  migrate();
  PushResult result;
  PGconn* conn = conn_.get();
  local.begin_read();  // one snapshot of the local database for the whole push
  struct EndRead {
    const SqliteStore& store;
    ~EndRead() {
      try {
        store.end_read();
      } catch (const StoreError&) {  // a read transaction has nothing to lose
      }
    }
  } end_read{local};
  result.to_clock = local.change_clock();
  const std::string store_id = local.store_id();
  exec("BEGIN");
  try {
    query(conn, "INSERT INTO agents(agent_id, site) VALUES($1, $2) ON CONFLICT (agent_id) DO NOTHING",
          {agent.agent_id, agent.site});
    // Locks the agent's row: two pushes of one agent run one after the other.
    const Result prior = query(conn, "SELECT pushed_clock, store_id, site FROM agents WHERE agent_id = $1 FOR UPDATE",
                               {agent.agent_id});
    result.from_clock = std::atoll(PQgetvalue(prior.get(), 0, 0));
    // Another local database under this agent id (recreated, restored): its clock means nothing here.
    if (std::string_view(PQgetvalue(prior.get(), 0, 1)) != store_id || result.from_clock > result.to_clock) {
      result.from_clock = 0;
    }
    result.full = result.from_clock == 0;
    const bool moved = std::string_view(PQgetvalue(prior.get(), 0, 2)) != agent.site;
    for (const TableSpec& table : pushed_tables()) {
      if (progress) progress(table.name);
      if (moved) {  // the agent's site changed: its rows say so
        query(conn, std::string("UPDATE ") + table.name + " SET site = $2 WHERE agent_id = $1 AND site <> $2",
              {agent.agent_id, agent.site});
      }
      exec(std::string("CREATE TEMP TABLE stage_") + table.name + " (LIKE " + table.name + ") ON COMMIT DROP");
      checked(conn,
              PQexec(conn, (std::string("COPY stage_") + table.name + " (agent_id, site, " + joined(table.columns) +
                            ") FROM STDIN").c_str()),
              std::string("COPY ") + table.name);
      std::string select = "SELECT " + joined(table.columns) + " FROM " + table.name;
      if (table.tracked) select += " WHERE change_seq > ?1";
      Stmt rows(local.handle(), select.c_str());
      if (table.tracked) rows.bind(1, result.from_clock);
      std::string prefix;
      append_copy_text(prefix, agent.agent_id);
      prefix += '\t';
      append_copy_text(prefix, agent.site);
      std::string buffer;
      std::uint64_t count = 0;
      const int columns = static_cast<int>(table.columns.size());
      const auto send = [&] {
        if (PQputCopyData(conn, buffer.data(), static_cast<int>(buffer.size())) != 1) {
          throw StoreError("central store: sending " + std::string(table.name) + ": " + one_line(PQerrorMessage(conn)));
        }
        buffer.clear();
      };
      while (rows.step()) {
        buffer += prefix;
        for (int c = 0; c < columns; ++c) {
          buffer += '\t';
          if (rows.is_null(c)) buffer += "\\N";
          else append_copy_text(buffer, rows.text(c));
        }
        buffer += '\n';
        ++count;
        if (buffer.size() >= (256u << 10)) send();
      }
      if (!buffer.empty()) send();
      if (PQputCopyEnd(conn, nullptr) != 1) {
        throw StoreError("central store: sending " + std::string(table.name) + ": " + one_line(PQerrorMessage(conn)));
      }
      checked(conn, PQgetResult(conn), std::string("COPY ") + table.name);
      while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
      // Absolute values replace the agent's earlier ones: the same row pushed twice changes nothing.
      std::string updates = "site = excluded.site";
      for (const char* c : table.columns) {
        if (std::find_if(table.key.begin(), table.key.end(), [&](const char* k) { return std::strcmp(k, c) == 0; }) ==
            table.key.end()) {
          updates += std::string(", ") + c + " = excluded." + c;
        }
      }
      exec(std::string("INSERT INTO ") + table.name + " SELECT * FROM stage_" + table.name + " ON CONFLICT (agent_id, " +
           joined(table.key) + ") DO UPDATE SET " + updates);
      result.rows.emplace_back(table.name, count);
    }
    query(conn,
          "UPDATE agents SET site = $2, pushed_clock = $3, store_id = $4, pushes = pushes + 1, generator = $5, "
          "last_push_at = now() WHERE agent_id = $1",
          {agent.agent_id, agent.site, std::to_string(result.to_clock), store_id, local.last_run().generator});
    exec("COMMIT");
  } catch (...) {
    PQclear(PQexec(conn, "ROLLBACK"));
    throw;
  }
  return result;
}

void CentralStore::prepare_reader() const {
  const int version = schema_version();
  if (version == 0) throw StoreError("the central store " + url_ + " holds no inventory (nothing was pushed to it)");
  if (version > kSchemaVersion) {
    throw StoreError("the central store " + url_ + " has schema version " + std::to_string(version) +
                     ", newer than this wardwatch supports (" + std::to_string(kSchemaVersion) + ")");
  }
  if (version < kSchemaVersion) const_cast<CentralStore*>(this)->migrate();
}

void CentralStore::copy_out(const std::string& select, std::size_t columns,
                            const std::function<void(const std::vector<std::string>&)>& row) const {
  PGconn* conn = conn_.get();
  checked(conn, PQexec(conn, ("COPY (" + select + ") TO STDOUT").c_str()), "COPY TO");
  std::vector<std::string> fields;
  for (;;) {
    char* line = nullptr;
    const int n = PQgetCopyData(conn, &line, 0);
    if (n == -1) break;  // done
    if (n < 0) throw StoreError("central store: reading: " + one_line(PQerrorMessage(conn)));
    std::string_view text(line, static_cast<std::size_t>(n));
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    const std::size_t got = split_copy_line(text, fields);
    PQfreemem(line);
    if (got != columns) {
      throw StoreError("central store: a row of " + std::to_string(got) + " fields where " + std::to_string(columns) +
                       " were asked for");
    }
    row(fields);
  }
  checked(conn, PQgetResult(conn), "COPY TO");
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
}

void CentralStore::load_rows(InventoryBuilder& builder, const std::string& where_device,
                             const std::string& where_binding, const std::string& where_site) const {
  // Each agent's rows under its origin: the devices they make list the agents that saw them.
  std::string agent, site;
  const auto origin = [&](const std::vector<std::string>& f) {
    if (f[0] != agent || f[1] != site) {
      agent = f[0];
      site = f[1];
      builder.set_origin(agent, site);
    }
  };
  const auto where = [&](const std::string& filter) {
    std::string w;
    for (const std::string* part : {&filter, &where_site}) {
      if (part->empty()) continue;
      w += w.empty() ? " WHERE " : " AND ";
      w += "(" + *part + ")";
    }
    return w;
  };
  copy_out("SELECT agent_id, site, mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received "
           "FROM macs" + where(where_device), 9,
           [&](const auto& f) {
             origin(f);
             builder.mac({f[2], seen_at(f, 3), traffic_at(f, 5)});
           });
  copy_out("SELECT agent_id, site, mac, vlan FROM mac_vlans" + where(where_device), 4, [&](const auto& f) {
    builder.vlan(f[2], static_cast<std::uint16_t>(to_i64(f[3])));
  });
  copy_out("SELECT agent_id, site, ip, mac, first_us, last_us, packets_sent, packets_received, bytes_sent, "
           "bytes_received, confirmed FROM bindings" + where(where_binding), 11,
           [&](const auto& f) {
             origin(f);
             builder.binding({f[2], f[3], seen_at(f, 4), traffic_at(f, 6), static_cast<int>(to_i64(f[10]))});
           });
  copy_out("SELECT agent_id, site, ip, mac, role, proto, port, first_us, last_us, count FROM services" +
               where(where_device), 10,
           [&](const auto& f) {
             builder.service({f[2], f[3], f[4], f[5], static_cast<std::uint16_t>(to_i64(f[6])), seen_at(f, 7),
                              to_u64(f[9])});
           });
  copy_out("SELECT agent_id, site, ip, mac, peer, role, proto, port, app, first_us, last_us, packets_sent, "
           "packets_received, bytes_sent, bytes_received FROM conversations" + where(where_device), 15,
           [&](const auto& f) {
             builder.conversation({f[2], f[3], f[4], f[5], f[6], static_cast<std::uint16_t>(to_i64(f[7])), f[8],
                                   seen_at(f, 9), traffic_at(f, 11)});
           });
  copy_out("SELECT agent_id, site, ip, mac, key, value, first_us, last_us, count FROM observations" +
               where(where_device), 9,
           [&](const auto& f) { builder.observation({f[2], f[3], f[4], f[5], seen_at(f, 6), to_u64(f[8])}); });
}

namespace {

std::string literal(PGconn* conn, const std::string& text) {
  char* quoted = PQescapeLiteral(conn, text.data(), text.size());
  if (quoted == nullptr) throw StoreError("central store: " + one_line(PQerrorMessage(conn)));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace

void CentralStore::load_into(InventoryBuilder& builder, const std::optional<std::string>& site) const {
  prepare_reader();
  const std::string where_site = site ? "site = " + literal(conn_.get(), *site) : "";
  const std::string filter = where_site.empty() ? "" : " WHERE " + where_site;
  exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");  // one snapshot: no push half seen
  try {
    copy_out("SELECT agent_id, site, path, format, linktype_name, packets, bytes, first_us, last_us, truncated "
             "FROM sources" + filter + " ORDER BY agent_id, id", 10,
             [&](const auto& f) {
               SourceInfo s;
               s.path = f[2];
               s.format = f[3];
               s.linktype_name = f[4];
               s.packets = to_u64(f[5]);
               s.bytes = to_u64(f[6]);
               s.first_us = to_i64(f[7]);
               s.last_us = to_i64(f[8]);
               s.truncated = to_i64(f[9]) != 0;
               SourceView view = source_view(s);
               view.agent_id = f[0];
               view.site = f[1];
               builder.source(std::move(view));
             });
    copy_out("SELECT '', '', name, sum(value) FROM run_stats" + filter + " GROUP BY name ORDER BY name", 4,
             [&](const auto& f) { builder.stat(f[2], to_u64(f[3])); });
    copy_out("SELECT agent_id, site, kind, start_us, end_us, sources, admitted, packets, peak_per_s, vlan, sample "
             "FROM floods" + filter + " ORDER BY agent_id, run_id, seq", 11,
             [&](const auto& f) {
               FloodEpisode e;
               e.kind = f[2];
               e.start_us = to_i64(f[3]);
               e.end_us = to_i64(f[4]);
               e.sources = to_u64(f[5]);
               e.admitted = to_u64(f[6]);
               e.packets = to_u64(f[7]);
               e.peak_per_s = to_u64(f[8]);
               e.vlan = f[9].empty() ? -1 : static_cast<int>(to_i64(f[9]));
               for (std::size_t at = 0; at < f[10].size();) {
                 const std::size_t end = std::min(f[10].find('\n', at), f[10].size());
                 e.sample.emplace_back(f[10].substr(at, end - at));
                 at = end + 1;
               }
               builder.flood(std::move(e));
             });
    load_rows(builder, "", "", where_site);
    exec("COMMIT");
  } catch (...) {
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
    throw;
  }
}

void CentralStore::load_device_into(InventoryBuilder& builder, const std::string& mac,
                                    const std::optional<std::string>& site) const {
  prepare_reader();
  const std::string m = literal(conn_.get(), mac);
  const std::string where_site = site ? "site = " + literal(conn_.get(), *site) : "";
  exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    load_rows(builder, "mac = " + m, "ip IN (SELECT ip FROM bindings WHERE mac = " + m + ") OR mac = " + m, where_site);
    exec("COMMIT");
  } catch (...) {
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
    throw;
  }
}

std::vector<CentralStore::AgentRow> CentralStore::agents() const {
  prepare_reader();
  const Result r = query(conn_.get(),
                         "SELECT agent_id, site, coalesce(to_char(last_push_at AT TIME ZONE 'UTC', "
                         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), pushed_clock, pushes FROM agents ORDER BY agent_id");
  std::vector<AgentRow> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2),
                   std::atoll(PQgetvalue(r.get(), i, 3)), std::atoll(PQgetvalue(r.get(), i, 4))});
  }
  return out;
}

}  // namespace ww
