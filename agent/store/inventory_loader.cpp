// Resolves stored MAC records and (IP, MAC) bindings into devices. A binding belongs to its MAC's device,
// except behind a router: a MAC that carries traffic of several IPs it never proved to own (by ARP, NDP or
// DHCP) is a router, and those remote IPs become devices of their own, keyed by IP.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "agent/store/sqlite_store.hpp"

namespace ww {
namespace {

struct BindingRow {
  std::string ip, mac;
  std::int64_t first_us, last_us;
  std::uint64_t packets_sent, packets_received, bytes_sent, bytes_received;
  int confirmed;
};

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
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

void widen(std::int64_t& first, std::int64_t& last, std::int64_t f, std::int64_t l) {
  if (first == 0 || (f != 0 && f < first)) first = f;
  last = std::max(last, l);
}

std::vector<std::string> address_sources(int confirmed, bool sent_traffic) {
  std::vector<std::string> out;
  if (confirmed & confirmed_by::arp) out.emplace_back("arp");
  if (confirmed & confirmed_by::dhcp) out.emplace_back("dhcp");
  if (confirmed & confirmed_by::ndp) out.emplace_back("ndp");
  if (sent_traffic) out.emplace_back("traffic");
  return out;
}

void merge_address(AssetView& a, const BindingRow& b) {
  auto it = std::find_if(a.addresses.begin(), a.addresses.end(), [&](const AddressView& x) { return x.ip == b.ip; });
  if (it == a.addresses.end()) {
    a.addresses.push_back({b.ip, b.first_us, b.last_us, address_sources(b.confirmed, b.packets_sent > 0)});
    return;
  }
  widen(it->first_us, it->last_us, b.first_us, b.last_us);
  for (auto& s : address_sources(b.confirmed, b.packets_sent > 0)) {
    if (std::find(it->sources.begin(), it->sources.end(), s) == it->sources.end()) it->sources.push_back(s);
  }
}

std::string binding_id(const std::string& ip, const std::string& mac) { return ip + "|" + mac; }

}  // namespace

Inventory SqliteStore::load(const Limits& limits) const {
  Inventory inv;
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
      if (s.packets > 0) widen(inv.first_us, inv.last_us, s.first_us, s.last_us);
      inv.sources.push_back(std::move(s));
    }
  }
  {
    Query q(db_, "SELECT name, sum(value) FROM run_stats GROUP BY name ORDER BY name");
    while (q.next()) inv.stats[q.text(0)] = q.u64(1);
  }

  std::map<std::string, AssetView> assets;  // ordered by id: stable, diffable output
  {
    Query q(db_, "SELECT mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received FROM macs");
    while (q.next()) {
      AssetView a;
      a.mac = q.text(0);
      a.id = "mac:" + *a.mac;
      a.first_us = q.i64(1);
      a.last_us = q.i64(2);
      a.packets_sent = q.u64(3);
      a.packets_received = q.u64(4);
      a.bytes_sent = q.u64(5);
      a.bytes_received = q.u64(6);
      if (auto m = MacAddr::parse(*a.mac)) a.locally_administered = m->is_locally_administered();
      assets.emplace(a.id, std::move(a));
    }
  }
  {
    Query q(db_, "SELECT mac, vlan FROM mac_vlans ORDER BY mac, vlan");
    while (q.next()) {
      if (auto it = assets.find("mac:" + q.text(0)); it != assets.end()) {
        it->second.vlans.push_back(static_cast<std::uint16_t>(q.i64(1)));
      }
    }
  }

  std::vector<BindingRow> rows;
  {
    Query q(db_, "SELECT ip, mac, first_us, last_us, packets_sent, packets_received, bytes_sent, bytes_received, "
                 "confirmed FROM bindings ORDER BY ip, mac");
    while (q.next()) {
      rows.push_back({q.text(0), q.text(1), q.i64(2), q.i64(3), q.u64(4), q.u64(5), q.u64(6), q.u64(7),
                      static_cast<int>(q.i64(8))});
    }
  }
  // Who proved to own each IP, and how many IPs each MAC carries without such proof.
  std::unordered_map<std::string, std::string> proven_owner;
  std::unordered_map<std::string, std::size_t> foreign_ips;
  for (const auto& b : rows) {
    if (b.mac.empty()) continue;
    if (b.confirmed != 0) {
      proven_owner.emplace(b.ip, b.mac);
    }
  }
  for (const auto& b : rows) {
    if (b.mac.empty() || b.confirmed != 0) continue;
    auto ip = IpAddr::parse(b.ip);
    if (ip && ip->is_link_local()) continue;  // link-local never crosses a router
    ++foreign_ips[b.mac];
  }
  auto is_router = [&](const std::string& mac) {
    auto it = foreign_ips.find(mac);
    return it != foreign_ips.end() && it->second >= limits.router_min_foreign_ips;
  };
  // IPs carried by a non-router MAC: the owner of a zero-MAC (no L2) binding with the same IP.
  std::unordered_map<std::string, std::string> l2_owner;
  for (const auto& b : rows) {
    if (!b.mac.empty() && (b.confirmed != 0 || !is_router(b.mac))) l2_owner.emplace(b.ip, b.mac);
  }

  std::unordered_map<std::string, std::string> binding_asset;  // binding id -> asset id
  for (const auto& b : rows) {
    std::string owner_mac;
    bool via_router = false;
    if (b.mac.empty()) {
      if (auto it = l2_owner.find(b.ip); it != l2_owner.end()) owner_mac = it->second;
    } else if (b.confirmed != 0 || !is_router(b.mac)) {
      owner_mac = b.mac;
    } else if (auto it = proven_owner.find(b.ip); it != proven_owner.end()) {
      owner_mac = it->second;
    } else {
      via_router = true;
    }
    std::string id = owner_mac.empty() ? "ip:" + b.ip : "mac:" + owner_mac;
    auto [it, created] = assets.try_emplace(id);
    AssetView& a = it->second;
    if (created) {
      a.id = id;
      if (!owner_mac.empty()) a.mac = owner_mac;
    }
    if (!a.mac) {  // IP-keyed: its own counters
      a.beyond_router = a.beyond_router || via_router;
      widen(a.first_us, a.last_us, b.first_us, b.last_us);
      a.packets_sent += b.packets_sent;
      a.packets_received += b.packets_received;
      a.bytes_sent += b.bytes_sent;
      a.bytes_received += b.bytes_received;
    }
    merge_address(a, b);
    binding_asset[binding_id(b.ip, b.mac)] = id;
  }
  for (auto& [mac, n] : foreign_ips) {
    if (is_router(mac)) {
      if (auto it = assets.find("mac:" + mac); it != assets.end()) it->second.router = true;
    }
  }
  auto asset_of = [&](const std::string& ip, const std::string& mac) -> AssetView* {
    const std::string id = ip.empty() ? "mac:" + mac : binding_asset[binding_id(ip, mac)];
    auto it = assets.find(id);
    return it == assets.end() ? nullptr : &it->second;
  };
  {
    Query q(db_, "SELECT ip, mac, role, proto, port, first_us, last_us, count FROM services");
    std::map<std::tuple<std::string, std::string, std::string, int>, ServiceView> merged;
    while (q.next()) {
      AssetView* a = asset_of(q.text(0), q.text(1));
      if (!a) continue;
      auto& s = merged[{a->id, q.text(2), q.text(3), static_cast<int>(q.i64(4))}];
      s.proto = q.text(3);
      s.port = static_cast<std::uint16_t>(q.i64(4));
      widen(s.first_us, s.last_us, q.i64(5), q.i64(6));
      s.count += q.u64(7);
    }
    for (auto& [k, s] : merged) {
      AssetView& a = assets[std::get<0>(k)];
      (std::get<1>(k) == "offered" ? a.offered : a.used).push_back(s);
    }
  }
  {
    Query q(db_, "SELECT ip, mac, peer FROM peers");
    std::map<std::string, std::set<std::string>> peers;
    while (q.next()) {
      if (AssetView* a = asset_of(q.text(0), q.text(1))) peers[a->id].insert(q.text(2));
    }
    for (auto& [id, set] : peers) assets[id].peer_count = set.size();
  }
  {
    Query q(db_, "SELECT ip, mac, key, value, first_us, last_us, count FROM observations");
    std::map<std::tuple<std::string, std::string, std::string>, ObservationView> merged;
    while (q.next()) {
      AssetView* a = asset_of(q.text(0), q.text(1));
      if (!a) continue;
      auto& o = merged[{a->id, q.text(2), q.text(3)}];
      o.key = q.text(2);
      o.value = q.text(3);
      widen(o.first_us, o.last_us, q.i64(4), q.i64(5));
      o.count += q.u64(6);
    }
    for (auto& [k, o] : merged) assets[std::get<0>(k)].observations.push_back(std::move(o));
  }

  inv.assets.reserve(assets.size());
  for (auto& [id, a] : assets) {
    std::sort(a.addresses.begin(), a.addresses.end(), [](const AddressView& x, const AddressView& y) {
      const auto px = IpAddr::parse(x.ip), py = IpAddr::parse(y.ip);
      return px && py ? *px < *py : x.ip < y.ip;
    });
    inv.assets.push_back(std::move(a));
  }
  return inv;
}

}  // namespace ww
