// A binding belongs to its MAC's device, except behind a router: a MAC that carries traffic of several IPs it
// never proved to own (by ARP, NDP or DHCP) is a router, and those remote IPs become devices of their own,
// keyed by IP.
#include "agent/store/inventory_builder.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "agent/pipeline/tracker.hpp"
#include "agent/store/address_owners.hpp"
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

void InventoryBuilder::set_origin(std::string_view agent_id, std::string_view site) {
  const auto it = std::find_if(origins_.begin(), origins_.end(),
                               [&](const SeenBy& o) { return o.agent_id == agent_id && o.site == site; });
  if (it != origins_.end()) {
    origin_ = static_cast<std::uint16_t>(it - origins_.begin());
    return;
  }
  if (origins_.size() >= kNoOrigin) throw std::length_error("more than 65,534 agents in one inventory");
  origin_ = static_cast<std::uint16_t>(origins_.size());
  origins_.push_back({std::string(agent_id), std::string(site)});
}

void InventoryBuilder::note_origin(Origins& origins) const {
  if (origin_ != kNoOrigin && std::find(origins.begin(), origins.end(), origin_) == origins.end()) {
    origins.push_back(origin_);
  }
}

void InventoryBuilder::add_seen_by(AssetView& a, const Origins& origins) const {
  for (const std::uint16_t o : origins) {
    if (std::find(a.seen_by.begin(), a.seen_by.end(), origins_[o]) == a.seen_by.end()) a.seen_by.push_back(origins_[o]);
  }
}

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
  note_origin(e.origins);
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
    bindings_.push_back({owner, std::string(ip), std::string(mac), {}, {}, 0, {}});
  }
  return bindings_[at];
}

void InventoryBuilder::binding(const BindingRow& row) {
  BindingEntry& e = binding_entry(row.ip, row.mac);
  widen(e.seen, row.seen);
  add(e.traffic, row.traffic);
  e.confirmed |= row.confirmed;
  note_origin(e.origins);
}

void InventoryBuilder::service(const ServiceRow& row) {
  services_.push_back(
      {owner_id(row.ip, row.mac), row.role == "offered", std::string(row.proto), row.port, row.seen, row.count});
}

void InventoryBuilder::conversation(const ConversationRow& row) {
  conversations_.push_back({owner_id(row.ip, row.mac), std::string(row.peer), std::string(row.proto),
                            std::string(row.role), std::string(row.app), row.port, row.seen, row.traffic});
}

void InventoryBuilder::observation(const ObservationRow& row) {
  observations_.push_back(
      {owner_id(row.ip, row.mac), std::string(row.key), std::string(row.value), row.seen, row.count});
}

void InventoryBuilder::add_mac_devices(AssetMap& assets) {
  for (auto& [mac, e] : macs_) {
    // Filled in place (a moved temporary makes GCC 12 warn, wrongly, of an uninitialized optional).
    AssetView& a = assets.try_emplace("mac:" + mac).first->second;
    a.id = "mac:" + mac;
    a.mac = mac;
    a.first_us = e.seen.first_us;
    a.last_us = e.seen.last_us;
    a.packets_sent = e.traffic.packets_sent;
    a.packets_received = e.traffic.packets_received;
    a.bytes_sent = e.traffic.bytes_sent;
    a.bytes_received = e.traffic.bytes_received;
    if (auto m = MacAddr::parse(mac)) a.locally_administered = m->is_locally_administered();
    std::sort(e.vlans.begin(), e.vlans.end());
    a.vlans = std::move(e.vlans);
    add_seen_by(a, e.origins);
  }
}

std::vector<std::string> InventoryBuilder::assign_addresses(AssetMap& assets) {
  // Owners are decided in (ip, mac) order: the first proof of ownership of an IP wins.
  std::sort(bindings_.begin(), bindings_.end(),
            [](const BindingEntry& a, const BindingEntry& b) { return std::tie(a.ip, a.mac) < std::tie(b.ip, b.mac); });
  std::vector<AddressOwners::Binding> seen;
  seen.reserve(bindings_.size());
  for (const auto& b : bindings_) seen.push_back({b.ip, b.mac, b.confirmed != 0});
  const AddressOwners owners(seen, limits_.router_min_foreign_ips);

  std::vector<std::string> owner_asset(owners_.size());  // the asset id of each binding's owner
  for (std::size_t i = 0; i < bindings_.size(); ++i) {
    const BindingEntry& b = bindings_[i];
    const AddressOwners::Owner owner = owners.owner_of(seen[i]);
    std::string id = owner.mac.empty() ? "ip:" + b.ip : "mac:" + owner.mac;
    auto [it, created] = assets.try_emplace(id);
    AssetView& a = it->second;
    if (created) {
      a.id = id;
      if (!owner.mac.empty()) a.mac = owner.mac;
    }
    if (!a.mac) {  // IP-keyed: its own counters
      a.beyond_router = a.beyond_router || owner.via_router;
      widen(a.first_us, a.last_us, b.seen.first_us, b.seen.last_us);
      a.packets_sent += b.traffic.packets_sent;
      a.packets_received += b.traffic.packets_received;
      a.bytes_sent += b.traffic.bytes_sent;
      a.bytes_received += b.traffic.bytes_received;
    }
    merge_address(a, b);
    add_seen_by(a, b.origins);
    owner_asset[b.owner] = std::move(id);
  }
  for (const std::string& mac : owners.routers()) {
    if (auto it = assets.find("mac:" + mac); it != assets.end()) it->second.router = true;
  }
  return owner_asset;
}

InventoryBuilder::Ranks InventoryBuilder::rank_owners(AssetMap& assets, const std::vector<std::string>& owner_asset) const {
  // Sorting rows by their device's rank groups them by device.
  Ranks ranks;
  std::unordered_map<std::string_view, std::uint32_t> rank_of;
  for (auto& [id, a] : assets) {
    rank_of.emplace(id, static_cast<std::uint32_t>(ranks.devices.size()));
    ranks.devices.push_back(&a);
  }
  ranks.of_owner.assign(owners_.size(), kNoDevice);
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    const auto& [ip, mac] = owners_[i];
    const std::string id = ip.empty() ? "mac:" + mac : owner_asset[i];
    if (auto it = rank_of.find(id); it != rank_of.end()) ranks.of_owner[i] = it->second;
  }
  return ranks;
}

void InventoryBuilder::merge_services(const Ranks& ranks) {
  // Services of one device, merged per (role, proto, port), in that order.
  const auto& rank = ranks.of_owner;
  std::sort(services_.begin(), services_.end(), [&](const ServiceEntry& a, const ServiceEntry& b) {
    return std::make_tuple(rank[a.owner], !a.offered, std::cref(a.proto), a.port) <
           std::make_tuple(rank[b.owner], !b.offered, std::cref(b.proto), b.port);
  });
  for (std::size_t i = 0; i < services_.size();) {
    const ServiceEntry& first = services_[i];
    ServiceView s{first.proto, first.port, 0, 0, 0};
    std::size_t j = i;
    for (; j < services_.size() && rank[services_[j].owner] == rank[first.owner] &&
           services_[j].offered == first.offered && services_[j].proto == first.proto && services_[j].port == first.port;
         ++j) {
      widen(s.first_us, s.last_us, services_[j].seen.first_us, services_[j].seen.last_us);
      s.count += services_[j].count;
    }
    if (AssetView* a = ranks.device(first.owner)) (first.offered ? a->offered : a->used).push_back(std::move(s));
    i = j;
  }
}

void InventoryBuilder::merge_conversations(const Ranks& ranks) {
  // Conversations of one device (its bindings' alike), merged per (peer, proto, port, role), in that order;
  // the device's peer count is the number of distinct peers among them.
  const auto& rank = ranks.of_owner;
  const auto key = [&](const ConversationEntry& c) {
    return std::make_tuple(rank[c.owner], std::cref(c.peer), std::cref(c.proto), c.port, std::cref(c.role));
  };
  std::sort(conversations_.begin(), conversations_.end(),
            [&](const ConversationEntry& a, const ConversationEntry& b) { return key(a) < key(b); });
  for (std::size_t i = 0; i < conversations_.size();) {
    std::size_t j = i + 1;
    while (j < conversations_.size() && key(conversations_[j]) == key(conversations_[i])) ++j;
    ConversationView c;
    for (std::size_t k = i; k < j; ++k) {
      const ConversationEntry& e = conversations_[k];
      if (e.seen.last_us != 0) widen(c.first_us, c.last_us, e.seen.first_us, e.seen.last_us);
      c.packets_sent += e.traffic.packets_sent;
      c.packets_received += e.traffic.packets_received;
      c.bytes_sent += e.traffic.bytes_sent;
      c.bytes_received += e.traffic.bytes_received;
      if (!e.app.empty()) c.app = e.app;
    }
    ConversationEntry& first = conversations_[i];
    if (AssetView* a = ranks.device(first.owner)) {
      if (a->conversations.empty() || a->conversations.back().peer != first.peer) ++a->peer_count;
      c.peer = std::move(first.peer);
      c.proto = std::move(first.proto);
      c.port = first.port;
      c.role = std::move(first.role);
      a->conversations.push_back(std::move(c));
    }
    i = j;
  }
}

void InventoryBuilder::merge_observations(const Ranks& ranks) {
  // Observations of one device, merged per (key, value), in that order.
  const auto& rank = ranks.of_owner;
  std::sort(observations_.begin(), observations_.end(), [&](const ObservationEntry& a, const ObservationEntry& b) {
    return std::make_tuple(rank[a.owner], std::cref(a.key), std::cref(a.value)) <
           std::make_tuple(rank[b.owner], std::cref(b.key), std::cref(b.value));
  });
  for (std::size_t i = 0; i < observations_.size();) {
    ObservationEntry& first = observations_[i];
    ObservationView o{std::move(first.key), std::move(first.value), first.seen.first_us, first.seen.last_us,
                      first.count};
    std::size_t j = i + 1;
    for (; j < observations_.size() && rank[observations_[j].owner] == rank[first.owner] &&
           observations_[j].key == o.key && observations_[j].value == o.value;
         ++j) {
      widen(o.first_us, o.last_us, observations_[j].seen.first_us, observations_[j].seen.last_us);
      o.count += observations_[j].count;
    }
    if (AssetView* a = ranks.device(first.owner)) a->observations.push_back(std::move(o));
    i = j;
  }
}

Inventory InventoryBuilder::build() {
  // Each table of rows is freed as soon as it is merged: the rows and the devices they become never all
  // exist at once (100,000 devices: most of an export's memory, and of its time in page faults).
  const auto release = [](auto& table) { std::remove_reference_t<decltype(table)>().swap(table); };
  AssetMap assets;
  add_mac_devices(assets);
  release(macs_);
  const std::vector<std::string> owner_asset = assign_addresses(assets);
  const Ranks ranks = rank_owners(assets, owner_asset);
  release(bindings_);
  release(binding_of_owner_);
  release(owner_ids_);
  release(owners_);
  merge_services(ranks);
  release(services_);
  merge_conversations(ranks);
  release(conversations_);
  merge_observations(ranks);
  release(observations_);
  inv_.assets.reserve(assets.size());
  for (auto& [id, a] : assets) {
    std::sort(a.addresses.begin(), a.addresses.end(), [](const AddressView& x, const AddressView& y) {
      const auto px = IpAddr::parse(x.ip), py = IpAddr::parse(y.ip);
      return px && py ? *px < *py : x.ip < y.ip;
    });
    std::sort(a.seen_by.begin(), a.seen_by.end(),
              [](const SeenBy& x, const SeenBy& y) { return std::tie(x.agent_id, x.site) < std::tie(y.agent_id, y.site); });
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
