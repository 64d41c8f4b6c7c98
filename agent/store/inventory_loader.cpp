// Reads the stored rows back into an InventoryBuilder, which resolves them into devices.
#include <algorithm>

#include "agent/store/inventory_builder.hpp"
#include "agent/store/row_pipe.hpp"
#include "agent/store/sqlite_store.hpp"
#include "agent/store/statement.hpp"

namespace ww {
namespace {

// Row readers over Stmt: first/last seen and the four traffic counters are stored side by side.
Seen seen_at(const Stmt& q, int c) { return {q.i64(c), q.i64(c + 1)}; }
Traffic traffic_at(const Stmt& q, int c) { return {q.u64(c), q.u64(c + 1), q.u64(c + 2), q.u64(c + 3)}; }

FloodEpisode flood_at(const Stmt& q) {
  FloodEpisode f;
  f.kind = q.text(0);
  f.start_us = q.i64(1);
  f.end_us = q.i64(2);
  f.sources = q.u64(3);
  f.admitted = q.u64(4);
  f.packets = q.u64(5);
  f.peak_per_s = q.u64(6);
  f.vlan = q.is_null(7) ? -1 : static_cast<int>(q.i64(7));
  const std::string_view sample = q.text(8);
  for (std::size_t at = 0; at < sample.size();) {
    const std::size_t end = std::min(sample.find('\n', at), sample.size());
    f.sample.emplace_back(sample.substr(at, end - at));
    at = end + 1;
  }
  return f;
}

}  // namespace

SourceView source_view(const SourceInfo& info) {
  SourceView s;
  s.path = info.path;
  s.name = s.path.substr(s.path.find_last_of('/') == std::string::npos ? 0 : s.path.find_last_of('/') + 1);
  s.format = info.format;
  s.linktype = info.linktype_name;
  s.packets = info.packets;
  s.bytes = info.bytes;
  s.first_us = info.first_us;
  s.last_us = info.last_us;
  s.truncated = info.truncated;
  return s;
}

void SqliteStore::load_into(InventoryBuilder& builder, std::int64_t except_run, ReadAhead read_ahead) const {
  {
    Stmt q(db_, "SELECT path, format, linktype_name, packets, bytes, first_us, last_us, truncated FROM sources ORDER BY id");
    while (q.step()) {
      SourceInfo s;
      s.path = q.text(0);
      s.format = q.text(1);
      s.linktype_name = q.text(2);
      s.packets = q.u64(3);
      s.bytes = q.u64(4);
      s.first_us = q.i64(5);
      s.last_us = q.i64(6);
      s.truncated = q.i64(7) != 0;
      builder.source(source_view(s));
    }
  }
  {
    Stmt q(db_, "SELECT name, sum(value) FROM run_stats WHERE run_id <> ? GROUP BY name ORDER BY name");
    q.bind(1, except_run);
    while (q.step()) builder.stat(q.text(0), q.u64(1));
  }
  {
    Stmt q(db_, "SELECT kind, start_us, end_us, sources, admitted, packets, peak_per_s, vlan, sample FROM floods "
                 "WHERE run_id <> ? ORDER BY run_id, seq");
    q.bind(1, except_run);
    while (q.step()) builder.flood(flood_at(q));
  }
  if (read_ahead == ReadAhead::off) {
    load_device_rows(builder, nullptr);
    return;
  }
  // SQLite reads the device tables on a second thread (the connection is used by one thread at a time: this
  // one waits in run()) while this one hands the rows read so far to the builder.
  RowPipe::run([this](RowSink& rows) { load_device_rows(rows, nullptr); }, builder);
}

void SqliteStore::load_device_into(InventoryBuilder& builder, const std::string& mac) const {
  load_device_rows(builder, &mac);
}

// The device tables, whole or (`mac`) for one MAC: its own rows, and every binding of its addresses (another
// device claiming one of them, or the hosts a router carries, are resolved as in the whole inventory).
void SqliteStore::load_device_rows(RowSink& builder, const std::string* mac) const {
  const auto each_row = [&](const std::string& sql, const char* filter, const auto& row) {
    Stmt q(db_, (mac ? sql + filter : sql).c_str());
    if (mac) q.bind(1, std::string_view(*mac));
    while (q.step()) row(q);
  };
  constexpr const char* kOwn = " WHERE mac = ?1";
  constexpr const char* kItsAddresses = " WHERE ip IN (SELECT ip FROM bindings WHERE mac = ?1) OR mac = ?1";
  each_row("SELECT mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received FROM macs", kOwn,
           [&](const Stmt& q) { builder.mac({q.text(0), seen_at(q, 1), traffic_at(q, 3)}); });
  each_row("SELECT mac, vlan FROM mac_vlans", kOwn,
           [&](const Stmt& q) { builder.vlan(q.text(0), static_cast<std::uint16_t>(q.i64(1))); });
  each_row("SELECT ip, mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received, "
           "confirmed FROM bindings", kItsAddresses, [&](const Stmt& q) {
             builder.binding({q.text(0), q.text(1), seen_at(q, 2), traffic_at(q, 4), static_cast<int>(q.i64(8))});
           });
  each_row("SELECT ip, mac, role, proto, port, first_us, last_us, count FROM services", kOwn, [&](const Stmt& q) {
    builder.service({q.text(0), q.text(1), q.text(2), q.text(3), static_cast<std::uint16_t>(q.i64(4)), seen_at(q, 5),
                     q.u64(7)});
  });
  each_row("SELECT ip, mac, peer, role, proto, port, app, first_us, last_us, packets_sent, packets_received, "
           "bytes_sent, bytes_received FROM conversations", kOwn, [&](const Stmt& q) {
             builder.conversation({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4),
                                   static_cast<std::uint16_t>(q.i64(5)), q.text(6), seen_at(q, 7), traffic_at(q, 9)});
           });
  each_row("SELECT ip, mac, key, value, first_us, last_us, count FROM observations", kOwn, [&](const Stmt& q) {
    builder.observation({q.text(0), q.text(1), q.text(2), q.text(3), seen_at(q, 4), q.u64(6)});
  });
}

Inventory SqliteStore::load(const Limits& limits) const {
  InventoryBuilder builder(limits);
  load_into(builder);
  return builder.build();
}

}  // namespace ww
