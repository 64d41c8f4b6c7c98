// The tracker turns decoded packets into device records: MACs, (IP, MAC) bindings, flows, services and
// peers. It holds only what was seen since the last flush plus the live tables, all bounded by Limits.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/node_hash_map.h>

#include <array>
#include <functional>
#include <memory>

#include "agent/decode/decoder.hpp"
#include "agent/decode/packet.hpp"
#include "agent/limits.hpp"
#include "agent/pipeline/admission.hpp"
#include "agent/pipeline/records.hpp"
#include "agent/pipeline/stats.hpp"

namespace ww {

struct StreamState;  // defined by the stream follower
void destroy_stream_state(StreamState* s);
struct StreamStateDeleter {
  void operator()(StreamState* s) const { destroy_stream_state(s); }
};

struct MacRecord;
struct BindingRecord;

// The records one direction of a flow resolved to, for one pair of MACs. A routed flow seen on a SPAN
// port crosses the capture twice (host → router, router → host), hence several entries per flow.
// Packets that hit the cache are only counted here; `Tracker::settle` moves the counts into the records
// before anything reads them (flush, eviction), so the hot path touches no record at all.
struct PartyCache {
  std::uint64_t epoch = 0;  // valid while equal to the tracker's (it changes whenever records are evicted)
  bool src_is_lo = false;
  bool has_l2 = false;
  std::uint16_t vlan = 0;
  MacAddr src_mac, dst_mac;
  std::uint64_t pending_packets = 0, pending_bytes = 0;
  std::int64_t pending_last_us = 0;
  MacRecord* sender_mac = nullptr;
  MacRecord* receiver_mac = nullptr;
  BindingRecord* sender = nullptr;
  BindingRecord* receiver = nullptr;
};

struct FlowState {
  // The fields every packet touches come first, on the cache line of the flow's key; the party caches after.
  std::int64_t last_us = 0;
  std::unique_ptr<StreamState, StreamStateDeleter> stream;  // present while application parsers follow this TCP stream
  std::uint8_t next_cache_slot = 0;
  bool lo_is_client = true;
  bool handshake_seen = false;  // a SYN (TCP) or the first datagram (UDP) was seen
  bool service_recorded = false;
  bool stream_over = false;  // its TCP connection was followed to the end, or given up: not followed again
  bool app_pending = false;  // `app` was set since the flow's conversations last took it
  std::uint8_t app = 0;      // the application protocol a parser recognised in it (Tracker::app_name), 0 none
  // A SYN costs no stream: its sequence number waits here until data flows (bit 0: to the server, 1: back).
  std::uint8_t syn_dirs = 0;
  std::array<std::uint32_t, 2> syn_seq{};
  // Lets the common packet cost one hash lookup instead of five.
  std::array<PartyCache, 4> cache{};
};

// The records a packet resolves to, for attaching parser observations.
struct PacketParties {
  MacRecord* sender_mac = nullptr;
  MacRecord* receiver_mac = nullptr;
  BindingRecord* sender = nullptr;
  BindingRecord* receiver = nullptr;
  FlowState* flow = nullptr;
  bool flow_from_client = true;
  // A party with no record because it is on probation (Admission): a parser's identity fact admits it.
  bool sender_held = false;
  bool receiver_held = false;
};

// Open-addressing (Swiss) tables from Abseil: a lookup probes a few control bytes held together instead of
// chasing a bucket's chain of nodes, which was most of std::unordered_map's cost on the packet path. Records
// and flows are nodes, so that the flow caches' pointers to them stay valid; a record's node holds its key
// next to its first fields, so that finding a record and touching it is one cache miss, not two.
using MacTable = absl::node_hash_map<MacAddr, MacRecord, std::hash<MacAddr>>;
using BindingTable = absl::node_hash_map<BindingKey, BindingRecord, BindingKeyHash>;
using FlowTable = absl::node_hash_map<FlowKey, FlowState, FlowKeyHash, FlowKeyEq>;

class Tracker {
 public:
  Tracker(const Limits& limits, Stats& stats);
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Called before records are evicted, with them marked (`evicting`) and the flow caches settled: the hook
  // hands their changes to the store (DrainScope::evicting), so that nothing unflushed is lost.
  void set_flush_hook(std::function<void()> hook) { flush_hook_ = std::move(hook); }
  // Called when a flow is removed, so the stream follower can release what it holds.
  void set_flow_release_hook(std::function<void(FlowState&)> hook) { release_hook_ = std::move(hook); }

  // `frame` decoded without error, or reduced to its link layer (decode_for_pipeline).
  PacketParties on_packet(const DecodedFrame& frame);
  // Asks the CPU for the flow-table memory a coming packet will need (a few packets ahead of on_packet).
  void prefetch(const DecodedFrame& frame) const;

  // The record, made if new (`added` tells which, when given).
  MacRecord* mac_record(const MacAddr& mac, std::int64_t ts, bool* added = nullptr);
  BindingRecord* binding(const IpAddr& ip, const MacAddr& mac, std::int64_t ts, bool* added = nullptr);
  void confirm(const MacAddr& mac, const IpAddr& ip, std::uint8_t how, std::int64_t ts);
  void observe(ObservationSet& set, std::string_view key, std::string_view value, std::int64_t ts);
  // An identity fact from a parser about a party of `p` that is on probation: it becomes a record now.
  void admit_held(const PacketView& p, PacketParties& parties, bool sender_side);
  // Ends an open probation episode (end of run): judged and, if a flood, reported in the statistics.
  void close_admission() { admission_.close(); }

  [[nodiscard]] MacTable& macs() { return macs_; }
  [[nodiscard]] BindingTable& bindings() { return bindings_; }
  [[nodiscard]] std::size_t flow_count() const { return flows_.size(); }
  [[nodiscard]] std::size_t asset_count() const { return macs_.size() + bindings_.size(); }
  // Evicts flows idle for longer than the limit at capture time `now_us`, and frees the streams of flows
  // idle for longer than the stream limit (called periodically).
  void expire_idle_flows(std::int64_t now_us);
  // Moves the packet counts held in flow caches into the records; call before reading records.
  void settle();
  // Notes that a parser recognised the application protocol of `f` from the fact `key` it emitted ("dicom."
  // for DICOM); the flow's conversations take it at the next settle. Transport-level facts ("tcp.") do not count.
  void note_app(FlowState& f, std::string_view key);
  // The name of an application protocol id ("" for 0).
  [[nodiscard]] std::string_view app_name(std::uint8_t id) const {
    return id == 0 || id > app_names_.size() ? std::string_view{} : std::string_view{app_names_[id - 1]};
  }
  // Settles and forgets every flow (and what the stream follower holds for it): at the end of a run, so that
  // their memory is free before the inventory is built.
  void release_flows();

 private:
  void resolve_l2(const PacketView& p, PacketParties& parties);
  void resolve_ip(const PacketView& p, PacketParties& parties);
  void learn_from_arp_and_nd(const PacketView& p);
  // The record of a party of packet `p`, made if new — or, on probation, nullptr while the source is held.
  MacRecord* packet_mac(const MacAddr& mac, const PacketView& p, bool as_sender);
  BindingRecord* packet_binding(const IpAddr& ip, const MacAddr& mac, const PacketView& p, bool as_sender);
  // A binding learnt from ARP/NDP: on probation, an unknown target is only a sighting.
  void confirm_from_packet(const MacAddr& mac, const IpAddr& ip, std::uint8_t how, const PacketView& p,
                           bool as_sender);
  void note_new_record(std::int64_t ts_us);
  void note_bound(const MacAddr& mac);  // marks the MAC's record as having a binding
  // Removes the records made since `since_us` that were never stored and hold one packet and no fact: the
  // first second of a flood, before probation began.
  void purge_one_packet_records(std::int64_t since_us);
  bool use_flow_cache(const PacketView& p, FlowState& f, bool src_is_lo, PacketParties& parties);
  void remember(const FlowKey& key, FlowState& f, const PartyCache& entry);  // into the next slot, settling what it held
  [[nodiscard]] bool has_entry(const FlowState& f, const PartyCache& like) const;  // same direction and MACs
  void settle(const FlowKey& key, FlowState& f);
  // Adds a flow's packets (from the end at `sender_is_lo`) to the conversations of both ends' records.
  void count_conversations(const FlowKey& key, FlowState& f, bool sender_is_lo, BindingRecord* sender,
                           BindingRecord* receiver, std::uint64_t packets, std::uint64_t bytes, std::int64_t ts);
  // The conversation of `rec` (the flow's end at `self_is_lo`) for flow `key`, made if new and within
  // --max-peers; nullptr when over (counted in peers_dropped when `count_drop`).
  Conversation* conversation(BindingRecord* rec, const FlowKey& key, const FlowState& f, bool self_is_lo,
                             bool count_drop);
  void account(const PacketView& p, PacketParties& parties);
  FlowState& create_flow(const FlowKey& key, const PacketView& p, bool src_is_lo, PacketParties& parties);
  void update_flow(const PacketView& p, FlowState& f, bool src_is_lo, PacketParties& parties);
  void record_service(BindingRecord* rec, ServiceRole role, std::uint8_t proto, std::uint16_t port,
                      std::int64_t ts);
  void add_vlans(MacRecord* rec, const PacketView& p);
  void make_room_for_asset(std::int64_t now_us);
  void make_room_for_flow(std::int64_t now_us);
  void erase_flow(FlowTable::iterator it);

  const Limits& limits_;
  Stats& stats_;
  std::function<void()> flush_hook_;
  std::function<void(FlowState&)> release_hook_;
  MacTable macs_;
  BindingTable bindings_;
  FlowTable flows_;
  std::uint64_t epoch_ = 1;
  Admission admission_;
  bool purge_pending_ = false;  // probation began during the last packet: purge before the next
  std::vector<std::string> app_names_;  // application protocol ids - 1 (few: one per parser prefix)
};

}  // namespace ww
