// A binding belongs to its MAC's device, except behind a router: a MAC that carries traffic of several IPs it
// never proved to own (by ARP, NDP or DHCP) is a router, and those remote IPs become devices of their own,
// keyed by IP.
#include "agent/store/inventory_builder.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "agent/pipeline/tracker.hpp"
#include "agent/store/sqlite_store.hpp"

namespace ww {
namespace {

void widen(std::int64_t& first, std::int64_t& last, std::int64_t f, std::int64_t l) {
  if (first == 0 || (f != 0 && f < first)) first = f;
  last = std::max(last, l);
}
void widen(Seen& into, const Seen& s) {
  widen(into.first_us, into.last_us, s.first_us, s.last_us);
}

void add(Traffic& into, const Traffic& t) {
  into.packets_sent += t.packets_sent;
  into.packets_received += t.packets_received;
  into.bytes_sent += t.bytes_sent;
  into.bytes_received += t.bytes_received;
}

std::string owner_key(std::string_view ip, std::string_view mac) {
  std::string key;
  key.reserve(ip.size() + mac.size() + 1);
  key.append(ip).push_back('|');
  key.append(mac);
  return key;
}

std::vector<std::string> address_sources(int confirmed, bool sent_traffic) {
  std::vector<std::string> out;
  if (confirmed & confirmed_by::arp) out.emplace_back("arp");
  if (confirmed & confirmed_by::dhcp) out.emplace_back("dhcp");
  if (confirmed & confirmed_by::ndp) out.emplace_back("ndp");
  if (sent_traffic) out.emplace_back("traffic");
  return out;
}

template <typename Binding>
void merge_address(AssetView& a, const Binding& b) {
  auto it = std::find_if(a.addresses.begin(), a.addresses.end(), [&](const AddressView& x) { return x.ip == b.ip; });
  if (it == a.addresses.end()) {
    a.addresses.push_back(
        {b.ip, b.seen.first_us, b.seen.last_us, address_sources(b.confirmed, b.traffic.packets_sent > 0)});
    return;
  }
  widen(it->first_us, it->last_us, b.seen.first_us, b.seen.last_us);
  for (auto& s : address_sources(b.confirmed, b.traffic.packets_sent > 0)) {
    if (std::find(it->sources.begin(), it->sources.end(), s) == it->sources.end()) it->sources.push_back(s);
  }
}

}  // namespace

void InventoryBuilder::source(SourceView s) {
  if (s.packets > 0) widen(inv_.first_us, inv_.last_us, s.first_us, s.last_us);
  inv_.sources.push_back(std::move(s));
}

void InventoryBuilder::stat(std::string_view name, std::uint64_t value) {
  auto it = inv_.stats.find(std::string(name));
  if (it == inv_.stats.end()) it = inv_.stats.emplace(std::string(name), 0).first;
  it->second += value;
}

std::uint32_t InventoryBuilder::owner_id(std::string_view ip, std::string_view mac) {
  // Rows come grouped by owner (a drain and a load both walk one record after the other).
  if (!owners_.empty() && owners_[last_owner_].first == ip && owners_[last_owner_].second == mac) return last_owner_;
  auto [it, added] = owner_ids_.try_emplace(owner_key(ip, mac), static_cast<std::uint32_t>(owners_.size()));
  if (added) owners_.emplace_back(std::string(ip), std::string(mac));
  last_owner_ = it->second;
  return last_owner_;
}

void InventoryBuilder::mac(const MacRow& row) {
  MacEntry& e = macs_[std::string(row.mac)];
  widen(e.seen, row.seen);
  add(e.traffic, row.traffic);
}

void InventoryBuilder::vlan(std::string_view mac, std::uint16_t vlan) {
  auto& vlans = macs_[std::string(mac)].vlans;
  if (std::find(vlans.begin(), vlans.end(), vlan) == vlans.end()) vlans.push_back(vlan);
}

InventoryBuilder::BindingEntry& InventoryBuilder::binding_entry(std::string_view ip, std::string_view mac) {
  const std::uint32_t owner = owner_id(ip, mac);
  if (owner >= binding_of_owner_.size()) binding_of_owner_.resize(owner + 1, kNoBinding);
  std::size_t& at = binding_of_owner_[owner];
  if (at == kNoBinding) {
    at = bindings_.size();
    bindings_.push_back({owner, std::string(ip), std::string(mac), {}, {}, 0});
  }
  return bindings_[at];
}

void InventoryBuilder::binding(const BindingRow& row) {
  BindingEntry& e = binding_entry(row.ip, row.mac);
  widen(e.seen, row.seen);
  add(e.traffic, row.traffic);
  e.confirmed |= row.confirmed;
}

void InventoryBuilder::service(const ServiceRow& row) {
  services_.push_back(
      {owner_id(row.ip, row.mac), row.role == "offered", std::string(row.proto), row.port, row.seen, row.count});
}

void InventoryBuilder::peer(const PeerRow& row) {
  peers_.push_back({owner_id(row.ip, row.mac), std::string(row.peer)});
}

void InventoryBuilder::observation(const ObservationRow& row) {
  observations_.push_back(
      {owner_id(row.ip, row.mac), std::string(row.key), std::string(row.value), row.seen, row.count});
}

Inventory InventoryBuilder::build() {
  std::map<std::string, AssetView> assets;  // ordered by id: stable, diffable output
  for (auto& [mac, e] : macs_) {
    AssetView a;
    a.mac = mac;
    a.id = "mac:" + mac;
    a.first_us = e.seen.first_us;
    a.last_us = e.seen.last_us;
    a.packets_sent = e.traffic.packets_sent;
    a.packets_received = e.traffic.packets_received;
    a.bytes_sent = e.traffic.bytes_sent;
    a.bytes_received = e.traffic.bytes_received;
    if (auto m = MacAddr::parse(mac)) a.locally_administered = m->is_locally_administered();
    std::sort(e.vlans.begin(), e.vlans.end());
    a.vlans = std::move(e.vlans);
    assets.emplace(a.id, std::move(a));
  }

  // Owners are decided in (ip, mac) order: the first proof of ownership of an IP wins.
  std::sort(bindings_.begin(), bindings_.end(),
            [](const BindingEntry& a, const BindingEntry& b) { return std::tie(a.ip, a.mac) < std::tie(b.ip, b.mac); });
  // Who proved to own each IP, and how many IPs each MAC carries without such proof.
  std::unordered_map<std::string, std::string> proven_owner;
  std::unordered_map<std::string, std::size_t> foreign_ips;
  for (const auto& b : bindings_) {
    if (!b.mac.empty() && b.confirmed != 0) proven_owner.emplace(b.ip, b.mac);
  }
  for (const auto& b : bindings_) {
    if (b.mac.empty() || b.confirmed != 0) continue;
    auto ip = IpAddr::parse(b.ip);
    if (ip && ip->is_link_local()) continue;  // link-local never crosses a router
    ++foreign_ips[b.mac];
  }
  auto is_router = [&](const std::string& mac) {
    auto it = foreign_ips.find(mac);
    return it != foreign_ips.end() && it->second >= limits_.router_min_foreign_ips;
  };
  // IPs carried by a non-router MAC: the owner of a zero-MAC (no L2) binding with the same IP.
  std::unordered_map<std::string, std::string> l2_owner;
  for (const auto& b : bindings_) {
    if (!b.mac.empty() && (b.confirmed != 0 || !is_router(b.mac))) l2_owner.emplace(b.ip, b.mac);
  }

  std::vector<std::string> owner_asset(owners_.size());  // the asset id of each binding's owner
  for (const auto& b : bindings_) {
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
      widen(a.first_us, a.last_us, b.seen.first_us, b.seen.last_us);
      a.packets_sent += b.traffic.packets_sent;
      a.packets_received += b.traffic.packets_received;
      a.bytes_sent += b.traffic.bytes_sent;
      a.bytes_received += b.traffic.bytes_received;
    }
    merge_address(a, b);
    owner_asset[b.owner] = std::move(id);
  }
  for (auto& [mac, n] : foreign_ips) {
    if (is_router(mac)) {
      if (auto it = assets.find("mac:" + mac); it != assets.end()) it->second.router = true;
    }
  }

  // The device each owner's rows belong to, as its rank in id order (kNone: a row without a known binding or
  // MAC, skipped). Sorting rows by rank groups them by device.
  constexpr std::uint32_t kNone = UINT32_MAX;
  std::vector<AssetView*> by_rank;
  std::unordered_map<std::string_view, std::uint32_t> rank_of;
  for (auto& [id, a] : assets) {
    rank_of.emplace(id, static_cast<std::uint32_t>(by_rank.size()));
    by_rank.push_back(&a);
  }
  std::vector<std::uint32_t> owner_rank(owners_.size(), kNone);
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    const auto& [ip, mac] = owners_[i];
    const std::string id = ip.empty() ? "mac:" + mac : owner_asset[i];
    if (auto it = rank_of.find(id); it != rank_of.end()) owner_rank[i] = it->second;
  }
  auto asset_at = [&](std::uint32_t rank) { return rank == kNone ? nullptr : by_rank[rank]; };

  // Services of one device, merged per (role, proto, port), in that order.
  std::sort(services_.begin(), services_.end(), [&](const ServiceEntry& a, const ServiceEntry& b) {
    return std::make_tuple(owner_rank[a.owner], !a.offered, std::cref(a.proto), a.port) <
           std::make_tuple(owner_rank[b.owner], !b.offered, std::cref(b.proto), b.port);
  });
  for (std::size_t i = 0; i < services_.size();) {
    const ServiceEntry& first = services_[i];
    const std::uint32_t rank = owner_rank[first.owner];
    ServiceView s{first.proto, first.port, 0, 0, 0};
    std::size_t j = i;
    for (; j < services_.size() && owner_rank[services_[j].owner] == rank && services_[j].offered == first.offered &&
           services_[j].proto == first.proto && services_[j].port == first.port;
         ++j) {
      widen(s.first_us, s.last_us, services_[j].seen.first_us, services_[j].seen.last_us);
      s.count += services_[j].count;
    }
    if (AssetView* a = asset_at(rank)) (first.offered ? a->offered : a->used).push_back(std::move(s));
    i = j;
  }

  // Distinct peers of each device.
  std::sort(peers_.begin(), peers_.end(), [&](const PeerEntry& a, const PeerEntry& b) {
    return std::make_tuple(owner_rank[a.owner], std::cref(a.peer)) <
           std::make_tuple(owner_rank[b.owner], std::cref(b.peer));
  });
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const std::uint32_t rank = owner_rank[peers_[i].owner];
    const bool repeat = i > 0 && owner_rank[peers_[i - 1].owner] == rank && peers_[i - 1].peer == peers_[i].peer;
    if (AssetView* a = asset_at(rank); a && !repeat) ++a->peer_count;
  }

  // Observations of one device, merged per (key, value), in that order.
  std::sort(observations_.begin(), observations_.end(), [&](const ObservationEntry& a, const ObservationEntry& b) {
    return std::make_tuple(owner_rank[a.owner], std::cref(a.key), std::cref(a.value)) <
           std::make_tuple(owner_rank[b.owner], std::cref(b.key), std::cref(b.value));
  });
  for (std::size_t i = 0; i < observations_.size();) {
    ObservationEntry& first = observations_[i];
    const std::uint32_t rank = owner_rank[first.owner];
    ObservationView o{std::move(first.key), std::move(first.value), first.seen.first_us, first.seen.last_us,
                      first.count};
    std::size_t j = i + 1;
    for (; j < observations_.size() && owner_rank[observations_[j].owner] == rank && observations_[j].key == o.key &&
           observations_[j].value == o.value;
         ++j) {
      widen(o.first_us, o.last_us, observations_[j].seen.first_us, observations_[j].seen.last_us);
      o.count += observations_[j].count;
    }
    if (AssetView* a = asset_at(rank)) a->observations.push_back(std::move(o));
    i = j;
  }

  inv_.assets.reserve(assets.size());
  for (auto& [id, a] : assets) {
    std::sort(a.addresses.begin(), a.addresses.end(), [](const AddressView& x, const AddressView& y) {
      const auto px = IpAddr::parse(x.ip), py = IpAddr::parse(y.ip);
      return px && py ? *px < *py : x.ip < y.ip;
    });
    inv_.assets.push_back(std::move(a));
  }
  return std::move(inv_);
}

Inventory take_inventory(const SqliteStore& store, Tracker& tracker, const Limits& limits, MemorySpill* spill) {
  std::optional<InventoryBuilder> own;
  InventoryBuilder& builder = spill ? spill->builder() : own.emplace(limits);
  store.load_into(builder);
  tracker.release_flows();  // settles their pending counts into the records, and frees them
  drain_deltas(tracker, builder, /*release=*/true);
  return builder.build();
}

}  // namespace ww
