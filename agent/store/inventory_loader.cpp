// Reads the stored rows back into an InventoryBuilder, which resolves them into devices.
#include "agent/store/inventory_builder.hpp"
#include "agent/store/sqlite_store.hpp"

namespace ww {
namespace {

class Query {
 public:
  Query(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("database error: ") + sqlite3_errmsg(db));
    }
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  bool next() { return sqlite3_step(stmt_) == SQLITE_ROW; }
  std::int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
  std::uint64_t u64(int c) const { return static_cast<std::uint64_t>(i64(c)); }
  // Valid until the next step: the builder copies what it keeps.
  std::string_view text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string_view();
  }
  Seen seen(int c) const { return {i64(c), i64(c + 1)}; }
  Traffic traffic(int c) const { return {u64(c), u64(c + 1), u64(c + 2), u64(c + 3)}; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

void SqliteStore::load_into(InventoryBuilder& builder) const {
  {
    Query q(db_, "SELECT path, format, linktype_name, packets, bytes, first_us, last_us, truncated FROM sources ORDER BY id");
    while (q.next()) {
      SourceView s;
      s.path = q.text(0);
      s.name = s.path.substr(s.path.find_last_of('/') == std::string::npos ? 0 : s.path.find_last_of('/') + 1);
      s.format = q.text(1);
      s.linktype = q.text(2);
      s.packets = q.u64(3);
      s.bytes = q.u64(4);
      s.first_us = q.i64(5);
      s.last_us = q.i64(6);
      s.truncated = q.i64(7) != 0;
      builder.source(std::move(s));
    }
  }
  {
    Query q(db_, "SELECT name, sum(value) FROM run_stats GROUP BY name ORDER BY name");
    while (q.next()) builder.stat(q.text(0), q.u64(1));
  }
  {
    Query q(db_, "SELECT mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received FROM macs");
    while (q.next()) builder.mac({q.text(0), q.seen(1), q.traffic(3)});
  }
  {
    Query q(db_, "SELECT mac, vlan FROM mac_vlans");
    while (q.next()) builder.vlan(q.text(0), static_cast<std::uint16_t>(q.i64(1)));
  }
  {
    Query q(db_, "SELECT ip, mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received, "
                 "confirmed FROM bindings");
    while (q.next()) builder.binding({q.text(0), q.text(1), q.seen(2), q.traffic(4), static_cast<int>(q.i64(8))});
  }
  {
    Query q(db_, "SELECT ip, mac, role, proto, port, first_us, last_us, count FROM services");
    while (q.next()) {
      builder.service({q.text(0), q.text(1), q.text(2), q.text(3), static_cast<std::uint16_t>(q.i64(4)), q.seen(5),
                       q.u64(7)});
    }
  }
  {
    Query q(db_, "SELECT ip, mac, peer FROM peers");
    while (q.next()) builder.peer({q.text(0), q.text(1), q.text(2)});
  }
  {
    Query q(db_, "SELECT ip, mac, key, value, first_us, last_us, count FROM observations");
    while (q.next()) builder.observation({q.text(0), q.text(1), q.text(2), q.text(3), q.seen(4), q.u64(6)});
  }
}

Inventory SqliteStore::load(const Limits& limits) const {
  InventoryBuilder builder(limits);
  load_into(builder);
  return builder.build();
}

}  // namespace ww
