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
        {std::string(b.ip), b.seen.first_us, b.seen.last_us, address_sources(b.confirmed, b.traffic.packets_sent > 0)});
    return;
  }
  widen(it->first_us, it->last_us, b.seen.first_us, b.seen.last_us);
  for (auto& s : address_sources(b.confirmed, b.traffic.packets_sent > 0)) {
    if (std::find(it->sources.begin(), it->sources.end(), s) == it->sources.end()) it->sources.push_back(s);
  }
}

// Reserves, at the first row of each device, room for all of that device's rows (rows are sorted by device,
// so this is an upper bound on its merged entries): a vector that doubles as it grows holds up to twice its
// entries, which at 100,000 devices is tens of megabytes.
template <typename Rows, typename Rank, typename Field>
void reserve_at_device_start(const Rows& rows, std::size_t i, const Rank& rank, AssetView* a, Field field) {
  if (a == nullptr || (i > 0 && rank(rows[i - 1]) == rank(rows[i]))) return;
  std::size_t n = i + 1;
  while (n < rows.size() && rank(rows[n]) == rank(rows[i])) ++n;
  (a->*field).reserve(n - i);
}

// Frees the merged rows at the front of `rows` (a deque gives its blocks back as its front goes) once there
// are many, so that the rows and the views they become do not all exist at once; `i` is then 0.
template <typename Rows>
void drop_merged(Rows& rows, std::size_t& i) {
  constexpr std::size_t kBatch = 1 << 16;
  if (i < kBatch) return;
  rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(i));
  i = 0;
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
  if (const auto it = owner_ids_.find(std::pair{ip, mac}); it != owner_ids_.end()) {
    last_owner_ = it->second;
    return last_owner_;
  }
  last_owner_ = static_cast<std::uint32_t>(owners_.size());
  owners_.emplace_back(text_.intern(ip), text_.intern(mac));
  owner_ids_.emplace(owners_.back(), last_owner_);
  return last_owner_;
}

void InventoryBuilder::mac(const MacRow& row) {
  MacEntry& e = macs_[text_.intern(row.mac)];
  widen(e.seen, row.seen);
  add(e.traffic, row.traffic);
  note_origin(e.origins);
}

void InventoryBuilder::vlan(std::string_view mac, std::uint16_t vlan) {
  auto& vlans = macs_[text_.intern(mac)].vlans;
  if (std::find(vlans.begin(), vlans.end(), vlan) == vlans.end()) vlans.push_back(vlan);
}

InventoryBuilder::BindingEntry& InventoryBuilder::binding_entry(std::string_view ip, std::string_view mac) {
  const std::uint32_t owner = owner_id(ip, mac);
  if (owner >= binding_of_owner_.size()) binding_of_owner_.resize(owner + 1, kNoBinding);
  std::size_t& at = binding_of_owner_[owner];
  if (at == kNoBinding) {
    at = bindings_.size();
    bindings_.push_back({owner, owners_[owner].first, owners_[owner].second, {}, {}, 0, {}});
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
      {owner_id(row.ip, row.mac), row.role == "offered", text_.intern(row.proto), row.port, row.seen, row.count});
}

void InventoryBuilder::conversation(const ConversationRow& row) {
  conversations_.push_back({owner_id(row.ip, row.mac), text_.intern(row.peer), text_.intern(row.proto),
                            text_.intern(row.role), text_.intern(row.app), row.port, row.seen, row.traffic});
}

void InventoryBuilder::observation(const ObservationRow& row) {
  observations_.push_back(
      {owner_id(row.ip, row.mac), text_.intern(row.key), text_.intern(row.value), row.seen, row.count});
}

InventoryBuilder::AddressPlan InventoryBuilder::assign_owners() {
  // Owners are decided in (ip, mac) order: the first proof of ownership of an IP wins.
  std::sort(bindings_.begin(), bindings_.end(),
            [](const BindingEntry& a, const BindingEntry& b) { return std::tie(a.ip, a.mac) < std::tie(b.ip, b.mac); });
  std::vector<AddressOwners::Binding> seen;
  seen.reserve(bindings_.size());
  for (const auto& b : bindings_) seen.push_back({b.ip, b.mac, b.confirmed != 0});
  const AddressOwners owners(seen, limits_.router_min_foreign_ips);
  AddressPlan plan;
  plan.owner_asset.resize(owners_.size());
  plan.via_router.resize(bindings_.size());
  for (std::size_t i = 0; i < bindings_.size(); ++i) {
    const AddressOwners::Owner owner = owners.owner_of(seen[i]);
    plan.owner_asset[bindings_[i].owner] =
        owner.mac.empty() ? "ip:" + std::string(bindings_[i].ip) : "mac:" + std::string(owner.mac);
    plan.via_router[i] = owner.via_router;
  }
  plan.routers = owners.routers();
  return plan;
}

InventoryBuilder::Assets InventoryBuilder::make_assets(const AddressPlan& plan) const {
  std::vector<std::string> ids;
  ids.reserve(macs_.size() + bindings_.size());
  for (const auto& [mac, e] : macs_) ids.push_back("mac:" + std::string(mac));
  for (const BindingEntry& b : bindings_) ids.push_back(plan.owner_asset[b.owner]);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  Assets assets;
  assets.list.resize(ids.size());
  assets.index.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    AssetView& a = assets.list[i];
    a.id = std::move(ids[i]);
    if (a.id.starts_with("mac:")) a.mac = a.id.substr(4);
    assets.index.emplace(a.id, static_cast<std::uint32_t>(i));
  }
  return assets;
}

void InventoryBuilder::add_mac_devices(Assets& assets) {
  for (auto& [mac, e] : macs_) {
    AssetView& a = *assets.find("mac:" + std::string(mac));
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

void InventoryBuilder::add_addresses(Assets& assets, const AddressPlan& plan) {
  for (std::size_t i = 0; i < bindings_.size(); ++i) {
    const BindingEntry& b = bindings_[i];
    AssetView& a = *assets.find(plan.owner_asset[b.owner]);
    if (!a.mac) {  // IP-keyed: its own counters
      a.beyond_router = a.beyond_router || plan.via_router[i];
      widen(a.first_us, a.last_us, b.seen.first_us, b.seen.last_us);
      a.packets_sent += b.traffic.packets_sent;
      a.packets_received += b.traffic.packets_received;
      a.bytes_sent += b.traffic.bytes_sent;
      a.bytes_received += b.traffic.bytes_received;
    }
    merge_address(a, b);
    add_seen_by(a, b.origins);
  }
  for (const std::string& mac : plan.routers) {
    if (AssetView* a = assets.find("mac:" + mac)) a->router = true;
  }
}

InventoryBuilder::Ranks InventoryBuilder::rank_owners(Assets& assets, const AddressPlan& plan) const {
  // Sorting rows by their device's position groups them by device, in id order.
  Ranks ranks;
  ranks.devices = &assets.list;
  ranks.of_owner.assign(owners_.size(), kNoDevice);
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    const auto& [ip, mac] = owners_[i];
    const auto it = assets.index.find(ip.empty() ? "mac:" + std::string(mac) : plan.owner_asset[i]);
    if (it != assets.index.end()) ranks.of_owner[i] = it->second;
  }
  return ranks;
}

void InventoryBuilder::merge_services(const Ranks& ranks) {
  // Services of one device, merged per (role, proto, port), in that order.
  const auto& rank = ranks.of_owner;
  std::sort(services_.begin(), services_.end(), [&](const ServiceEntry& a, const ServiceEntry& b) {
    return std::make_tuple(rank[a.owner], !a.offered, a.proto, a.port) <
           std::make_tuple(rank[b.owner], !b.offered, b.proto, b.port);
  });
  for (std::size_t i = 0; i < services_.size();) {
    const ServiceEntry& first = services_[i];
    ServiceView s{std::string(first.proto), first.port, 0, 0, 0};
    std::size_t j = i;
    for (;
         j < services_.size() && rank[services_[j].owner] == rank[first.owner] &&
         services_[j].offered == first.offered && services_[j].proto == first.proto && services_[j].port == first.port;
         ++j) {
      widen(s.first_us, s.last_us, services_[j].seen.first_us, services_[j].seen.last_us);
      s.count += services_[j].count;
    }
    if (AssetView* a = ranks.device(first.owner)) (first.offered ? a->offered : a->used).push_back(std::move(s));
    i = j;
    drop_merged(services_, i);
  }
}

void InventoryBuilder::merge_conversations(const Ranks& ranks) {
  // Conversations of one device (its bindings' alike), merged per (peer, proto, port, role), in that order;
  // the device's peer count is the number of distinct peers among them.
  const auto& rank = ranks.of_owner;
  const auto by_device = [&](const ConversationEntry& c) { return rank[c.owner]; };
  const auto key = [&](const ConversationEntry& c) {
    return std::make_tuple(rank[c.owner], c.peer, c.proto, c.port, c.role);
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
      reserve_at_device_start(conversations_, i, by_device, a, &AssetView::conversations);
      if (a->conversations.empty() || a->conversations.back().peer != first.peer) ++a->peer_count;
      c.peer = first.peer;
      c.proto = first.proto;
      c.port = first.port;
      c.role = first.role;
      a->conversations.push_back(std::move(c));
    }
    i = j;
    drop_merged(conversations_, i);
  }
}

void InventoryBuilder::merge_observations(const Ranks& ranks) {
  // Observations of one device, merged per (key, value), in that order.
  const auto& rank = ranks.of_owner;
  const auto by_device = [&](const ObservationEntry& o) { return rank[o.owner]; };
  std::sort(observations_.begin(), observations_.end(), [&](const ObservationEntry& a, const ObservationEntry& b) {
    return std::make_tuple(rank[a.owner], a.key, a.value) < std::make_tuple(rank[b.owner], b.key, b.value);
  });
  for (std::size_t i = 0; i < observations_.size();) {
    ObservationEntry& first = observations_[i];
    ObservationView o{std::string(first.key), std::string(first.value), first.seen.first_us, first.seen.last_us,
                      first.count};
    std::size_t j = i + 1;
    for (; j < observations_.size() && rank[observations_[j].owner] == rank[first.owner] &&
           observations_[j].key == o.key && observations_[j].value == o.value;
         ++j) {
      widen(o.first_us, o.last_us, observations_[j].seen.first_us, observations_[j].seen.last_us);
      o.count += observations_[j].count;
    }
    if (AssetView* a = ranks.device(first.owner)) {
      reserve_at_device_start(observations_, i, by_device, a, &AssetView::observations);
      a->observations.push_back(std::move(o));
    }
    i = j;
    drop_merged(observations_, i);
  }
}

Inventory InventoryBuilder::build() {
  // Each table of rows is freed as soon as it is merged: the rows and the devices they become never all
  // exist at once (100,000 devices: most of an export's memory, and of its time in page faults).
  const auto release = [](auto& table) { std::remove_reference_t<decltype(table)>().swap(table); };
  const AddressPlan plan = assign_owners();
  Assets assets = make_assets(plan);
  add_mac_devices(assets);
  release(macs_);
  add_addresses(assets, plan);
  const Ranks ranks = rank_owners(assets, plan);
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
  release(assets.index);
  text_ = StringPool();  // after every view of it is gone
  for (AssetView& a : assets.list) {
    std::sort(a.addresses.begin(), a.addresses.end(), [](const AddressView& x, const AddressView& y) {
      const auto px = IpAddr::parse(x.ip), py = IpAddr::parse(y.ip);
      return px && py ? *px < *py : x.ip < y.ip;
    });
    std::sort(a.seen_by.begin(), a.seen_by.end(), [](const SeenBy& x, const SeenBy& y) {
      return std::tie(x.agent_id, x.site) < std::tie(y.agent_id, y.site);
    });
  }
  inv_.assets = std::move(assets.list);
  return std::move(inv_);
}

Inventory take_inventory(const SqliteStore& store, Tracker& tracker, const Limits& limits, MemorySpill* spill) {
  std::optional<InventoryBuilder> own;
  InventoryBuilder& builder = spill ? spill->builder() : own.emplace(limits);
  store.load_into(builder, 0, SqliteStore::ReadAhead::off);  // a memory store: few rows, if any
  tracker.release_flows();  // settles their pending counts into the records, and frees them
  drain_deltas(tracker, builder, /*release=*/true);
  return builder.build();
}

}  // namespace ww
