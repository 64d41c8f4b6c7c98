#include "agent/pipeline/tracker.hpp"

#include <absl/hash/hash.h>

#include <algorithm>

namespace ww {
namespace {

constexpr std::uint8_t kTcp = 6, kUdp = 17;  // FlowKey::proto

bool usable_unicast(const IpAddr& ip) { return !ip.is_unspecified() && !ip.is_multicast_or_broadcast(); }

// The eviction policy of every table: what a full table is brought down to, its limit less an eighth.
std::size_t eviction_target(std::size_t limit) { return limit - std::min(limit, std::max<std::size_t>(1, limit / 8)); }

// The last sighting at or before which the `excess` least recently seen of `ages` fall (reorders `ages`).
std::int64_t oldest_threshold(std::vector<std::int64_t>& ages, std::size_t excess) {
  std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(excess - 1), ages.end());
  return ages[excess - 1];
}

// Evicts from `table` every entry idle since before `cutoff_us`; if that frees less than an eighth of
// `limit`, evicts the least recently seen entries until it does. Returns how many were evicted.
template <typename Table, typename LastSeen, typename OnErase>
std::size_t evict_oldest(Table& table, std::size_t limit, std::int64_t cutoff_us, LastSeen last_seen,
                         OnErase on_erase) {
  const std::size_t target = eviction_target(limit);
  std::size_t evicted = 0;
  // (Abseil's erase returns nothing: step past an entry before erasing it.)
  for (auto it = table.begin(); it != table.end();) {
    auto victim = it++;
    if (last_seen(victim->second) < cutoff_us) {
      on_erase(victim->first, victim->second);
      table.erase(victim);
      ++evicted;
    }
  }
  if (table.size() <= target) return evicted;
  std::vector<std::int64_t> ages;
  ages.reserve(table.size());
  for (auto& [k, v] : table) ages.push_back(last_seen(v));
  const std::int64_t threshold = oldest_threshold(ages, table.size() - target);
  for (auto it = table.begin(); it != table.end() && table.size() > target;) {
    auto victim = it++;
    if (last_seen(victim->second) <= threshold) {
      on_erase(victim->first, victim->second);
      table.erase(victim);
      ++evicted;
    }
  }
  return evicted;
}

// The same choice as evict_oldest for device records, which are only marked (`evicting`): the flush before
// the eviction hands over their changes first. Returns how many were marked.
template <typename Table>
std::size_t mark_oldest(Table& table, std::size_t limit, std::int64_t cutoff_us) {
  const std::size_t target = eviction_target(limit);
  std::size_t marked = 0;
  for (auto& [key, rec] : table) {
    rec.evicting = rec.seen.last_us < cutoff_us;
    marked += rec.evicting ? 1 : 0;
  }
  if (table.size() - marked <= target) return marked;
  std::vector<std::int64_t> ages;
  ages.reserve(table.size() - marked);
  for (auto& [key, rec] : table) {
    if (!rec.evicting) ages.push_back(rec.seen.last_us);
  }
  const std::int64_t threshold = oldest_threshold(ages, table.size() - marked - target);
  for (auto& [key, rec] : table) {
    if (table.size() - marked <= target) break;
    if (!rec.evicting && rec.seen.last_us <= threshold) {
      rec.evicting = true;
      ++marked;
    }
  }
  return marked;
}

bool unflushed(const MacRecord& r) { return r.dirty; }
bool unflushed(const BindingRecord& r) { return r.dirty || r.confirmed_dirty; }

// Erases the marked records; counts in `lost` those whose last changes reached no store.
template <typename Table>
void erase_marked(Table& table, std::uint64_t& lost) {
  for (auto it = table.begin(); it != table.end();) {
    auto victim = it++;  // (Abseil's erase returns nothing: step past an entry before erasing it.)
    if (!victim->second.evicting) continue;
    lost += unflushed(victim->second) ? 1 : 0;
    table.erase(victim);
  }
}

// The VLAN a flow-cache entry is kept per (the outermost tag; 0 untagged).
std::uint16_t outer_vlan(const PacketView& p) { return p.vlan_count ? p.vlans[0] : 0; }

// The flow-cache entry for packets like `p` (direction, L2 or not, first VLAN, MAC pair) and their records.
PartyCache party_entry(const PacketView& p, bool src_is_lo, const PacketParties& parties) {
  PartyCache c;
  c.src_is_lo = src_is_lo;
  c.has_l2 = p.has_src_mac;
  c.vlan = outer_vlan(p);
  c.src_mac = p.src_mac;
  c.dst_mac = p.dst_mac;
  c.sender_mac = parties.sender_mac;
  c.receiver_mac = parties.receiver_mac;
  c.sender = parties.sender;
  c.receiver = parties.receiver;
  return c;
}

// Whether entry `c` is the one for packets of this direction, link layer, first VLAN and MAC pair.
bool covers(const PartyCache& c, bool src_is_lo, bool has_l2, std::uint16_t vlan, const MacAddr& src_mac,
            const MacAddr& dst_mac) {
  return c.src_is_lo == src_is_lo && c.has_l2 == has_l2 && c.vlan == vlan &&
         (!has_l2 || (c.src_mac == src_mac && c.dst_mac == dst_mac));
}

// The entry of the reply to such packets: the other direction, MACs and records swapped.
PartyCache reply_to(const PartyCache& c) {
  PartyCache r = c;
  r.src_is_lo = !c.src_is_lo;
  std::swap(r.src_mac, r.dst_mac);
  std::swap(r.sender_mac, r.receiver_mac);
  std::swap(r.sender, r.receiver);
  return r;
}

}  // namespace

std::uint32_t ObservationSet::hash_of(std::string_view key, std::string_view value) {
  // libstdc++'s string hash (absl::HashOf takes it for std::string_view) reads 8 bytes a step (FNV-1a's byte
  // loop was a measurable share of the packet path).
  const std::uint64_t h = absl::HashOf(key, value);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

void ObservationSet::touch(std::uint32_t i, std::int64_t ts) {
  ObservationStat& item = items_[i];
  item.seen.touch(ts);
  ++item.count;
  item.dirty = true;
  next_hint_ = i + 1;
}

std::uint32_t ObservationSet::find(std::string_view key, std::string_view value, std::uint32_t hash) const {
  if (slots_.empty()) {  // few items, no index yet: they are read in turn
    for (std::uint32_t i = 0; i < items_.size(); ++i) {
      if (items_[i].is(key, value)) return i;
    }
    return kNoItem;
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    const std::uint64_t slot = slots_[at];
    if (slot == 0) return kNoItem;
    if (static_cast<std::uint32_t>(slot >> 32) != hash) continue;
    const auto i = static_cast<std::uint32_t>(slot) - 1;
    if (items_[i].is(key, value)) return i;
  }
}

void ObservationSet::index(std::uint32_t item, std::uint32_t hash) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = hash & mask;
  while (slots_[at] != 0) at = (at + 1) & mask;
  slots_[at] = (std::uint64_t{hash} << 32) | (std::uint64_t{item} + 1);
}

void ObservationSet::grow_index() {
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(std::max<std::size_t>(16, old.size() * 2), 0);
  if (old.empty()) {  // the first index: the items so far (kUnindexedItems + 1) are hashed once more
    for (std::uint32_t i = 0; i < items_.size(); ++i) index(i, hash_of(items_[i].key(), items_[i].value()));
    return;
  }
  for (std::uint64_t slot : old) {  // the slots hold the hashes: no item is read again
    if (slot != 0) index(static_cast<std::uint32_t>(slot) - 1, static_cast<std::uint32_t>(slot >> 32));
  }
}

ObservationSet::Added ObservationSet::add(std::string_view key, std::string_view value, std::int64_t ts,
                                          std::size_t max_total, std::size_t max_per_key) {
  // Parsers repeat a record's facts in the order they first reported them (a host's p0f facts on every SYN,
  // an HL7 sender's MSH fields on every message): try the item after the last one first.
  if (next_hint_ < items_.size() && items_[next_hint_].is(key, value)) {
    touch(next_hint_, ts);
    return Added::existing;
  }
  // Without an index (kUnindexedItems or fewer) no hash is needed: the first index hashes every item.
  const std::uint32_t hash = slots_.empty() ? 0 : hash_of(key, value);
  if (const std::uint32_t i = find(key, value, hash); i != kNoItem) {
    touch(i, ts);
    return Added::existing;
  }
  // A new fact (one in six): find its key's count. Comparing hashes first keeps the scan off the items, each
  // a cache line of its own.
  const auto key_hash = static_cast<std::uint32_t>(absl::HashOf(key));
  auto per_key = std::find_if(per_key_.begin(), per_key_.end(), [&](const KeyCount& k) {
    return k.key_hash == key_hash && items_[k.first_item].key() == key;
  });
  if (items_.size() >= max_total || (per_key != per_key_.end() && per_key->values >= max_per_key)) {
    return Added::dropped;
  }
  const auto n = static_cast<std::uint32_t>(items_.size());
  // No reserve: items grow 1-2-4 as facts come. Most records hold one or two (a reserve(4) at the first fact
  // held 18 MiB more at 100,000 devices and saved no time: docs/performance.md).
  ObservationStat& stat = items_.emplace_back(key, value);  // first: no slot may name a missing item
  next_hint_ = items_.size();
  stat.count = 1;
  stat.dirty = true;
  stat.seen.touch(ts);
  if (per_key == per_key_.end()) per_key = per_key_.insert(per_key_.end(), KeyCount{key_hash, n, 0});
  ++per_key->values;
  if (slots_.empty()) {
    if (items_.size() > kUnindexedItems) grow_index();  // the first index: this item too
    return Added::added;
  }
  if (2 * items_.size() > slots_.size()) grow_index();
  index(n, hash);
  return Added::added;
}

Tracker::Tracker(const Limits& limits, Stats& stats) : limits_(limits), stats_(stats), admission_(limits, stats) {
  flows_.reserve(std::min<std::size_t>(limits.max_flows, 1 << 16));
  macs_.reserve(std::min<std::size_t>(limits.max_assets, 1 << 14));
  bindings_.reserve(std::min<std::size_t>(limits.max_assets, 1 << 14));
}

Tracker::~Tracker() = default;

namespace {
// A record that a packet or a fact touched: its last sighting moves, and the next flush hands it over.
template <typename Record>
Record* touched(Record& rec, std::int64_t ts) {
  rec.seen.touch(ts);
  rec.dirty = true;
  return &rec;
}
}  // namespace

MacRecord* Tracker::mac_record(const MacAddr& mac, std::int64_t ts, bool* added) {
  auto [it, is_new] = macs_.try_emplace(mac);
  if (is_new) it->second.mac = mac;
  if (added) *added = is_new;
  return touched(it->second, ts);
}

BindingRecord* Tracker::binding(const IpAddr& ip, const MacAddr& mac, std::int64_t ts, bool* added) {
  const BindingKey key{ip, mac};
  auto [it, is_new] = bindings_.try_emplace(key);
  if (is_new) {
    it->second.key = key;
    note_bound(mac);
  }
  if (added) *added = is_new;
  return touched(it->second, ts);
}

void Tracker::confirm(const MacAddr& mac, const IpAddr& ip, std::uint8_t how, std::int64_t ts) {
  if (mac.is_group() || mac.is_zero() || !usable_unicast(ip)) return;
  mac_record(mac, ts);
  BindingRecord* rec = binding(ip, mac, ts);
  if ((rec->confirmed & how) != how) {
    rec->confirmed |= how;
    rec->confirmed_dirty = true;
  }
}

void Tracker::note_bound(const MacAddr& mac) {
  if (mac.is_zero()) return;
  if (auto m = macs_.find(mac); m != macs_.end()) m->second.has_binding = true;
}

void Tracker::note_new_record(std::int64_t ts_us) {
  if (admission_.note_new_record(ts_us)) purge_pending_ = true;
}

MacRecord* Tracker::packet_mac(const MacAddr& mac, const PacketView& p, bool as_sender) {
  if (!admission_.probation()) {
    bool added = false;
    MacRecord* rec = mac_record(mac, p.ts_us, &added);
    if (added) note_new_record(p.ts_us);
    return rec;
  }
  if (auto it = macs_.find(mac); it != macs_.end()) return touched(it->second, p.ts_us);
  if (!admission_.sighting(Admission::hash_of_mac(mac), p, as_sender)) return nullptr;
  return mac_record(mac, p.ts_us);
}

BindingRecord* Tracker::packet_binding(const IpAddr& ip, const MacAddr& mac, const PacketView& p, bool as_sender) {
  if (!admission_.probation()) {
    bool added = false;
    BindingRecord* rec = binding(ip, mac, p.ts_us, &added);
    if (added) note_new_record(p.ts_us);
    return rec;
  }
  if (auto it = bindings_.find(BindingKey{ip, mac}); it != bindings_.end()) return touched(it->second, p.ts_us);
  // The first address of an admitted MAC is that device's own: no probation. Further new ones wait (a router
  // forwarding a flood from random addresses, a host spoofing them).
  if (!mac.is_zero()) {
    const auto m = macs_.find(mac);
    if (m != macs_.end() && !m->second.has_binding) return binding(ip, mac, p.ts_us);
  }
  if (!admission_.sighting(Admission::hash_of_binding(ip, mac), p, as_sender)) return nullptr;
  return binding(ip, mac, p.ts_us);
}

void Tracker::confirm_from_packet(const MacAddr& mac, const IpAddr& ip, std::uint8_t how, const PacketView& p,
                                  bool as_sender) {
  if (mac.is_group() || mac.is_zero() || !usable_unicast(ip)) return;
  if (admission_.probation() && !macs_.contains(mac) &&
      !admission_.sighting(Admission::hash_of_mac(mac), p, as_sender)) {
    return;
  }
  confirm(mac, ip, how, p.ts_us);
}

void Tracker::admit_held(const PacketView& p, PacketParties& parties, bool sender_side) {
  bool& held = sender_side ? parties.sender_held : parties.receiver_held;
  if (!held) return;
  held = false;
  const bool has_mac = sender_side ? p.has_src_mac : p.has_dst_mac;
  const MacAddr mac = has_mac ? (sender_side ? p.src_mac : p.dst_mac) : MacAddr{};
  const IpAddr& ip = sender_side ? p.src_ip : p.dst_ip;
  MacRecord*& mac_rec = sender_side ? parties.sender_mac : parties.receiver_mac;
  BindingRecord*& bind_rec = sender_side ? parties.sender : parties.receiver;
  if (has_mac && !mac.is_group() && !mac.is_zero()) {
    if (!mac_rec) mac_rec = mac_record(mac, p.ts_us);
    admission_.admitted(Admission::hash_of_mac(mac));
  }
  const bool ip_packet = p.l3 == L3Kind::ipv4 || p.l3 == L3Kind::ipv6;
  if (ip_packet && usable_unicast(ip) && (!has_mac || mac_rec) && !bind_rec) {
    bind_rec = binding(ip, mac, p.ts_us);
    admission_.admitted(Admission::hash_of_binding(ip, mac));
  }
}

void Tracker::purge_one_packet_records(std::int64_t since_us) {
  settle();
  // One packet sent or received, and no fact but the TCP/IP stack fingerprint (which every SYN of a flood
  // carries: parser "tcp", parsers/tcp_fingerprint.cpp).
  auto one_packet = [since_us](const auto& r) {
    if (r.stored || r.seen.first_us < since_us || r.traffic.packets_sent + r.traffic.packets_received > 1) return false;
    return std::all_of(r.observations.items().begin(), r.observations.items().end(),
                       [](const ObservationStat& o) { return o.key().starts_with("tcp."); });
  };
  // A binding goes with its MAC, or when it is one of many new one-packet addresses behind one MAC (a router
  // forwarding a flood from random addresses, a host spoofing them). The new address of a device whose MAC
  // was already known stays: purging it would make that device's connections mid-stream joins.
  constexpr int kManyAddresses = 16;
  absl::flat_hash_set<MacAddr, std::hash<MacAddr>> lonely_macs;
  for (auto& [mac, r] : macs_) {
    if (one_packet(r)) lonely_macs.insert(mac);
  }
  absl::flat_hash_map<MacAddr, int, std::hash<MacAddr>> candidates_per_mac;
  auto candidate = [&](const BindingRecord& r) {
    // An ARP or NDP confirmation is the packet itself (an ARP storm is nothing else); DHCP's is a parser's.
    return one_packet(r) && (r.confirmed & confirmed_by::dhcp) == 0 && r.services.empty();
  };
  for (auto& [key, r] : bindings_) {
    if (candidate(r)) ++candidates_per_mac[key.mac];
  }
  absl::flat_hash_set<const void*> doomed;
  absl::flat_hash_set<MacAddr, std::hash<MacAddr>> bound;  // MACs that keep a binding
  for (auto& [key, r] : bindings_) {
    const bool goes = candidate(r) && (key.mac.is_zero() || lonely_macs.contains(key.mac) ||
                                       candidates_per_mac[key.mac] >= kManyAddresses);
    if (goes) {
      doomed.insert(&r);
    } else {
      bound.insert(key.mac);
    }
  }
  for (auto& [mac, r] : macs_) {
    if (lonely_macs.contains(mac) && !bound.contains(mac)) doomed.insert(&r);
  }
  if (doomed.empty()) return;
  // The flows of those records go with them (their stream state too).
  for (auto it = flows_.begin(); it != flows_.end();) {
    auto victim = it++;
    const bool gone = std::any_of(victim->second.cache.begin(), victim->second.cache.end(), [&](const PartyCache& c) {
      return c.epoch == epoch_ && (doomed.contains(c.sender) || doomed.contains(c.receiver) ||
                                   doomed.contains(c.sender_mac) || doomed.contains(c.receiver_mac));
    });
    if (gone) erase_flow(victim);
  }
  ++epoch_;  // no flow cache may point at what goes
  absl::erase_if(bindings_, [&](const auto& kv) { return doomed.contains(&kv.second); });
  absl::erase_if(macs_, [&](const auto& kv) { return doomed.contains(&kv.second); });
  admission_.note_purged(doomed.size());
}

void Tracker::observe(ObservationSet& set, std::string_view key, std::string_view value, std::int64_t ts) {
  if (set.add(key, value, ts, limits_.max_observations_per_asset, limits_.max_values_per_key) ==
      ObservationSet::Added::dropped) {
    ++stats_[Counter::observations_dropped];
  }
}

void Tracker::add_vlans(MacRecord* rec, const PacketView& p) {
  for (std::uint8_t i = 0; i < p.vlan_count; ++i) {
    const std::uint16_t vlan = p.vlans[i];
    if (std::find(rec->vlans.begin(), rec->vlans.end(), vlan) != rec->vlans.end()) continue;
    if (rec->vlans.size() >= limits_.max_vlans_per_asset) {
      ++stats_[Counter::vlans_dropped];
      continue;
    }
    rec->vlans.push_back(vlan);
  }
}

void Tracker::make_room_for_asset(std::int64_t now_us) {
  if (asset_count() + 4 < limits_.max_assets) return;
  // Victims are chosen first and only their changes are flushed (a flush of the whole tracker per eviction
  // cost more than the packets between two evictions); the packet counts held in flow caches come first.
  settle();
  const std::int64_t cutoff = now_us - limits_.asset_idle_timeout_s * 1'000'000;
  const std::size_t half = std::max<std::size_t>(2, limits_.max_assets / 2);
  const std::size_t marked = mark_oldest(macs_, half, cutoff) + mark_oldest(bindings_, half, cutoff);
  if (flush_hook_) flush_hook_();
  ++epoch_;  // invalidates every flow's cached record pointers
  erase_marked(macs_, stats_[Counter::assets_dropped]);
  erase_marked(bindings_, stats_[Counter::assets_dropped]);
  stats_[Counter::assets_evicted] += marked;
}

void Tracker::erase_flow(FlowTable::iterator it) {
  settle(it->first, it->second);
  if (release_hook_) release_hook_(it->second);
  flows_.erase(it);
}

void Tracker::make_room_for_flow(std::int64_t now_us) {
  if (flows_.size() < limits_.max_flows) return;
  const std::int64_t cutoff = now_us - limits_.flow_idle_timeout_s * 1'000'000;
  stats_[Counter::flows_evicted] += evict_oldest(
      flows_, limits_.max_flows, cutoff, [](const FlowState& f) { return f.last_us; },
      [this](const FlowKey& key, FlowState& f) {
        settle(key, f);
        if (release_hook_) release_hook_(f);
      });
}

void Tracker::expire_idle_flows(std::int64_t now_us) {
  const std::int64_t cutoff = now_us - limits_.flow_idle_timeout_s * 1'000'000;
  // A stream idle this long (a connection whose end was not captured) gives its parser state back sooner
  // than its flow; if the connection resumes, it is followed again from there, as a mid-stream join.
  const std::int64_t stream_cutoff = now_us - limits_.stream_idle_timeout_s * 1'000'000;
  for (auto it = flows_.begin(); it != flows_.end();) {
    FlowState& f = it->second;
    if (f.last_us < cutoff) {
      auto next = std::next(it);
      erase_flow(it);
      it = next;
      continue;
    }
    if (f.stream && f.last_us < stream_cutoff && release_hook_) release_hook_(f);
    ++it;
  }
}

void Tracker::prefetch(const DecodedFrame& frame) const {
  // Prefetching reads only the hash (it fetches the first group the probe will read): no key is built.
  static constexpr FlowKey kUnread{};
  if (frame.has_flow) flows_.prefetch(HashedFlowKey{kUnread, frame.flow_hash});
}

PacketParties Tracker::on_packet(const DecodedFrame& frame) {
  const PacketView& p = frame.view;
  PacketParties parties;
  if (purge_pending_) {
    purge_pending_ = false;
    purge_one_packet_records(admission_.window_start_us());
  }
  admission_.tick(p.ts_us);
  make_room_for_asset(p.ts_us);
  const bool ip = p.l3 == L3Kind::ipv4 || p.l3 == L3Kind::ipv6;
  FlowState* flow = nullptr;
  FlowKey key;
  bool src_is_lo = false;
  const bool flowable = frame.has_flow && flow_key_of(p, key, src_is_lo);
  if (flowable) {
    if (auto it = flows_.find(HashedFlowKey{key, frame.flow_hash}); it != flows_.end()) flow = &it->second;
  }
  const bool cached = flow && use_flow_cache(p, *flow, src_is_lo, parties);
  if (!cached) {
    resolve_l2(p, parties);
    if (p.l3 == L3Kind::arp && p.arp_op != 0 && !parties.sender_held) learn_from_arp_and_nd(p);
    if (ip) resolve_ip(p, parties);
    account(p, parties);
  }
  // A UDP datagram to a group (mDNS, SSDP, syslog broadcast) has no receiver record but repeats its flow:
  // it gets a flow too, so that its next datagrams skip the lookups.
  const bool to_group = p.l4 == L4Kind::udp && p.dst_ip.is_multicast_or_broadcast();
  if (flowable && parties.sender && (parties.receiver || to_group)) {
    const bool created = flow == nullptr;
    if (created) flow = &create_flow(key, p, src_is_lo, parties);
    if (!cached) {
      const PartyCache entry = party_entry(p, src_is_lo, parties);
      remember(key, *flow, entry);
      // The answer will most likely come back between the same two MACs: resolve it now, from this packet's
      // records, instead of looking four records up again on the first reply (a quarter of the lookups). So
      // for a routed flow's second leg (router to server), first seen after the flow was made.
      const PartyCache reply = reply_to(entry);
      if (parties.receiver && p.has_src_mac == p.has_dst_mac && !has_entry(*flow, reply)) remember(key, *flow, reply);
    }
    update_flow(p, *flow, src_is_lo, parties);
    // A packet the flow cache did not take was counted in the records directly (account): so in conversations.
    if (!cached && parties.receiver) {
      count_conversations(key, *flow, src_is_lo, parties.sender, parties.receiver, 1, p.wire_len, p.ts_us);
    }
  }
  return parties;
}

bool Tracker::has_entry(const FlowState& f, const PartyCache& like) const {
  return std::any_of(f.cache.begin(), f.cache.end(), [&](const PartyCache& c) {
    return c.epoch == epoch_ && covers(c, like.src_is_lo, like.has_l2, like.vlan, like.src_mac, like.dst_mac);
  });
}

bool Tracker::use_flow_cache(const PacketView& p, FlowState& f, bool src_is_lo, PacketParties& parties) {
  const std::uint16_t vlan = outer_vlan(p);
  for (PartyCache& c : f.cache) {
    if (c.epoch != epoch_ || !covers(c, src_is_lo, p.has_src_mac, vlan, p.src_mac, p.dst_mac)) continue;
    ++c.pending_packets;
    c.pending_bytes += p.wire_len;
    c.pending_last_us = p.ts_us;
    parties.sender_mac = c.sender_mac;
    parties.receiver_mac = c.receiver_mac;
    parties.sender = c.sender;
    parties.receiver = c.receiver;
    return true;
  }
  return false;
}

void Tracker::remember(const FlowKey& key, FlowState& f, const PartyCache& entry) {
  PartyCache& c = f.cache[f.next_cache_slot];
  f.next_cache_slot = static_cast<std::uint8_t>((f.next_cache_slot + 1) % f.cache.size());
  settle(key, f);  // the slot being replaced may hold counts
  c = entry;
  c.epoch = epoch_;
}

void Tracker::settle(const FlowKey& key, FlowState& f) {
  for (PartyCache& c : f.cache) {
    if (c.epoch != epoch_ || (c.pending_packets == 0 && !f.app_pending)) continue;
    if (c.receiver) {
      count_conversations(key, f, c.src_is_lo, c.sender, c.receiver, c.pending_packets, c.pending_bytes,
                          c.pending_last_us);
    }
    if (c.pending_packets == 0) continue;
    const std::uint64_t n = c.pending_packets, bytes = c.pending_bytes;
    const std::int64_t ts = c.pending_last_us;
    if (c.sender_mac) {
      c.sender_mac->traffic.packets_sent += n;
      c.sender_mac->traffic.bytes_sent += bytes;
    }
    if (c.receiver_mac) {
      c.receiver_mac->traffic.packets_received += n;
      c.receiver_mac->traffic.bytes_received += bytes;
    }
    c.sender->traffic.packets_sent += n;
    c.sender->traffic.bytes_sent += bytes;
    if (c.receiver) {  // none for a datagram to a group
      c.receiver->traffic.packets_received += n;
      c.receiver->traffic.bytes_received += bytes;
    }
    for (MacRecord* m : {c.sender_mac, c.receiver_mac}) {
      if (!m) continue;
      m->seen.touch(ts);
      m->dirty = true;
    }
    for (BindingRecord* b : {c.sender, c.receiver}) {
      if (!b) continue;
      b->seen.touch(ts);
      b->dirty = true;
    }
    c.pending_packets = c.pending_bytes = 0;
  }
  f.app_pending = false;
}

void Tracker::settle() {
  for (auto& [key, f] : flows_) settle(key, f);
}

void Tracker::release_flows() {
  for (auto& [key, f] : flows_) {
    settle(key, f);
    if (release_hook_) release_hook_(f);
  }
  decltype(flows_)().swap(flows_);
}

void Tracker::resolve_l2(const PacketView& p, PacketParties& parties) {
  if (p.has_src_mac && !p.src_mac.is_group() && !p.src_mac.is_zero()) {
    parties.sender_mac = packet_mac(p.src_mac, p, true);
    if (parties.sender_mac) {
      add_vlans(parties.sender_mac, p);
    } else {
      parties.sender_held = true;
    }
  }
  if (p.has_dst_mac && !p.dst_mac.is_group() && !p.dst_mac.is_zero()) {
    parties.receiver_mac = packet_mac(p.dst_mac, p, false);
    if (parties.receiver_mac) {
      add_vlans(parties.receiver_mac, p);
    } else {
      parties.receiver_held = true;
    }
  }
}

void Tracker::account(const PacketView& p, PacketParties& parties) {
  if (parties.sender_mac) {
    parties.sender_mac->traffic.packets_sent += 1;
    parties.sender_mac->traffic.bytes_sent += p.wire_len;
  }
  if (parties.receiver_mac) {
    parties.receiver_mac->traffic.packets_received += 1;
    parties.receiver_mac->traffic.bytes_received += p.wire_len;
  }
  if (parties.sender) {
    parties.sender->traffic.packets_sent += 1;
    parties.sender->traffic.bytes_sent += p.wire_len;
  }
  if (parties.receiver) {
    parties.receiver->traffic.packets_received += 1;
    parties.receiver->traffic.bytes_received += p.wire_len;
  }
}

void Tracker::learn_from_arp_and_nd(const PacketView& p) {
  if (p.l3 == L3Kind::arp) {
    // RFC 826: the sender fields of requests and replies are the sender's own binding (gratuitous too).
    confirm_from_packet(p.arp_sender_mac, p.arp_sender_ip, confirmed_by::arp, p, true);
    if (p.arp_op == 2) confirm_from_packet(p.arp_target_mac, p.arp_target_ip, confirmed_by::arp, p, false);
    return;
  }
  // RFC 4861: NS, RS and RA carry the sender's own link-layer address; NA the target's, which is the sender.
  if (p.icmp_type == 136) {
    if (p.nd_has_target) confirm_from_packet(p.nd_lladdr, p.nd_target, confirmed_by::ndp, p, true);
  } else if (!p.src_ip.is_unspecified()) {
    confirm_from_packet(p.nd_lladdr, p.src_ip, confirmed_by::ndp, p, true);
  }
}

void Tracker::resolve_ip(const PacketView& p, PacketParties& parties) {
  const MacAddr none{};
  // A binding needs a unicast source MAC when the link has MACs; without L2 (loopback, raw IP) the IP
  // alone identifies the host.
  const bool has_l2 = p.has_src_mac;
  if (usable_unicast(p.src_ip) && (!has_l2 || parties.sender_mac)) {
    parties.sender = packet_binding(p.src_ip, has_l2 ? p.src_mac : none, p, true);
    if (!parties.sender) parties.sender_held = true;
  }
  const bool dst_l2_ok = p.has_dst_mac ? parties.receiver_mac != nullptr : true;
  if (usable_unicast(p.dst_ip) && dst_l2_ok) {
    parties.receiver = packet_binding(p.dst_ip, p.has_dst_mac ? p.dst_mac : none, p, false);
    if (!parties.receiver) parties.receiver_held = true;
  }
  if (p.l4 == L4Kind::icmpv6 && p.nd_has_lladdr && p.icmp_type >= 133 && p.icmp_type <= 136 && !parties.sender_held) {
    learn_from_arp_and_nd(p);
  }
}

FlowState& Tracker::create_flow(const FlowKey& key, const PacketView& p, bool src_is_lo, PacketParties& parties) {
  make_room_for_flow(p.ts_us);
  FlowState& f = flows_.emplace(key, FlowState{}).first->second;
  // Who started it: the SYN sender for TCP (the SYN+ACK's receiver), else the first packet's sender — unless
  // that packet comes from a well-known port (below 1024, IANA's system ports, RFC 6335 §6) to a higher one,
  // or for UDP to a higher well-known one (DHCP 67 -> 68): a reply whose request was not captured, as Zeek's
  // likely-server-ports guess.
  const bool syn = (p.tcp_flags & tcp_flag::syn) != 0;
  const bool syn_ack = syn && (p.tcp_flags & tcp_flag::ack) != 0;
  const bool from_well_known = p.src_port < 1024 && p.src_port < p.dst_port &&
                               (p.dst_port >= 1024 || p.l4 == L4Kind::udp);
  f.lo_is_client = (p.l4 == L4Kind::tcp ? syn_ack || (!syn && from_well_known) : from_well_known) ? !src_is_lo : src_is_lo;
  f.handshake_seen = p.l4 == L4Kind::udp || (p.tcp_flags & tcp_flag::syn) != 0;
  if (parties.receiver) {  // a group is nobody's peer: a datagram to it is no conversation
    conversation(parties.sender, key, f, src_is_lo, true);
    conversation(parties.receiver, key, f, !src_is_lo, true);
  }
  return f;
}

void Tracker::update_flow(const PacketView& p, FlowState& f, bool src_is_lo, PacketParties& parties) {
  f.last_us = p.ts_us;
  const bool from_client = src_is_lo == f.lo_is_client;
  parties.flow = &f;
  parties.flow_from_client = from_client;
  if (f.service_recorded) return;
  const std::uint8_t proto = p.l4 == L4Kind::tcp ? kTcp : kUdp;
  bool answered = false;
  if (p.l4 == L4Kind::tcp) {
    // The port a host answered a SYN from is a service it offers (RFC 9293 §3.5 handshake).
    answered = (p.tcp_flags & (tcp_flag::syn | tcp_flag::ack | tcp_flag::rst)) == (tcp_flag::syn | tcp_flag::ack);
    if (answered && from_client) {  // the flow's first packets were mid-stream: the SYN+ACK sender serves
      f.lo_is_client = !f.lo_is_client;
      parties.flow_from_client = false;
    }
  } else {
    answered = !from_client && f.handshake_seen;
  }
  if (!answered || !parties.receiver) return;
  f.service_recorded = true;
  record_service(parties.sender, ServiceRole::offered, proto, p.src_port, p.ts_us);
  record_service(parties.receiver, ServiceRole::used, proto, p.src_port, p.ts_us);
}

void Tracker::record_service(BindingRecord* rec, ServiceRole role, std::uint8_t proto, std::uint16_t port,
                             std::int64_t ts) {
  for (auto& s : rec->services) {
    if (s.role == role && s.proto == proto && s.port == port) {
      s.seen.touch(ts);
      ++s.count;
      s.dirty = true;
      return;
    }
  }
  if (rec->services.size() >= limits_.max_services_per_asset) {
    ++stats_[Counter::services_dropped];
    return;
  }
  ServiceStat s{role, proto, port, {}, 1, true};
  s.seen.touch(ts);
  rec->services.push_back(s);
}

Conversation* Tracker::conversation(BindingRecord* rec, const FlowKey& key, const FlowState& f, bool self_is_lo,
                                   bool count_drop) {
  // The service is the server's port; the role is this end's (a SYN+ACK or the first datagram told who serves).
  const bool self_is_client = self_is_lo == f.lo_is_client;
  const ConversationKey ck{self_is_lo ? key.hi_ip : key.lo_ip, f.lo_is_client ? key.hi_port : key.lo_port, key.proto,
                           self_is_client ? ServiceRole::used : ServiceRole::offered};
  if (Conversation* c = rec->conversations.find(ck)) return c;
  if (rec->conversations.size() >= limits_.max_peers_per_asset) {
    if (count_drop) ++stats_[Counter::peers_dropped];
    return nullptr;
  }
  return &rec->conversations.add(ck);
}

void Tracker::count_conversations(const FlowKey& key, FlowState& f, bool sender_is_lo, BindingRecord* sender,
                                  BindingRecord* receiver, std::uint64_t packets, std::uint64_t bytes,
                                  std::int64_t ts) {
  for (const bool is_sender : {true, false}) {
    Conversation* c = conversation(is_sender ? sender : receiver, key, f, is_sender == sender_is_lo, false);
    if (!c) continue;
    if (f.app != 0 && c->app != f.app) {
      c->app = f.app;
      c->dirty = c->dirty || c->seen.last_us != 0;  // a conversation with no packet yet waits for its first
    }
    if (packets == 0) continue;
    Traffic& t = c->traffic;
    (is_sender ? t.packets_sent : t.packets_received) += packets;
    (is_sender ? t.bytes_sent : t.bytes_received) += bytes;
    c->seen.touch(ts);
    c->dirty = true;
  }
}

void Tracker::note_app(FlowState& f, std::string_view key) {
  if (f.app != 0) return;
  const std::string_view name = key.substr(0, key.find('.'));
  if (name.empty() || name == "tcp") return;  // the TCP/IP stack fingerprint is about the host, not the flow
  auto it = std::find(app_names_.begin(), app_names_.end(), name);
  if (it == app_names_.end()) {
    if (app_names_.size() >= 255) return;
    app_names_.emplace_back(name);
    it = std::prev(app_names_.end());
  }
  f.app = static_cast<std::uint8_t>(it - app_names_.begin() + 1);
  f.app_pending = true;
}

}  // namespace ww
