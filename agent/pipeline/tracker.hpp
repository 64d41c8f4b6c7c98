// The tracker turns decoded packets into device records: MACs, (IP, MAC) bindings, flows, services and
// peers. It holds only what was seen since the last flush plus the live tables, all bounded by Limits.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include "agent/decode/packet.hpp"
#include "agent/limits.hpp"
#include "agent/pipeline/records.hpp"
#include "agent/pipeline/stats.hpp"

namespace ww {

struct FlowKey {
  IpAddr lo_ip, hi_ip;
  std::uint16_t lo_port = 0, hi_port = 0;
  std::uint8_t proto = 0;
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};
struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept {
    std::uint64_t h = fnv1a(k.lo_ip.bytes.data(), 16);
    h = fnv1a(k.hi_ip.bytes.data(), 16, h);
    const std::uint64_t ports = (std::uint64_t{k.lo_port} << 24) | (std::uint64_t{k.hi_port} << 8) | k.proto;
    return fnv1a(&ports, sizeof ports, h);
  }
};

struct StreamState;  // defined by the stream follower
void destroy_stream_state(StreamState* s);
struct StreamStateDeleter {
  void operator()(StreamState* s) const { destroy_stream_state(s); }
};

struct FlowState {
  bool lo_is_client = true;
  bool handshake_seen = false;  // a SYN (TCP) or the first datagram (UDP) was seen
  bool service_recorded = false;
  std::int64_t last_us = 0;
  std::unique_ptr<StreamState, StreamStateDeleter> stream;  // present while application parsers follow this TCP stream
};

// The records a packet resolves to, for attaching parser observations.
struct PacketParties {
  MacRecord* sender_mac = nullptr;
  MacRecord* receiver_mac = nullptr;
  BindingRecord* sender = nullptr;
  BindingRecord* receiver = nullptr;
  FlowState* flow = nullptr;
  bool flow_from_client = true;
};

class Tracker {
 public:
  Tracker(const Limits& limits, Stats& stats);
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Called before records are evicted, so that nothing unflushed is lost.
  void set_flush_hook(std::function<void()> hook) { flush_hook_ = std::move(hook); }
  // Called when a flow is removed, so the stream follower can release what it holds.
  void set_flow_release_hook(std::function<void(FlowState&)> hook) { release_hook_ = std::move(hook); }

  PacketParties on_packet(const PacketView& p);

  MacRecord* mac_record(const MacAddr& mac, std::int64_t ts);
  BindingRecord* binding(const IpAddr& ip, const MacAddr& mac, std::int64_t ts);
  void confirm(const MacAddr& mac, const IpAddr& ip, std::uint8_t how, std::int64_t ts);
  void observe(ObservationSet& set, std::string_view key, std::string_view value, std::int64_t ts);

  [[nodiscard]] std::unordered_map<MacAddr, std::unique_ptr<MacRecord>>& macs() { return macs_; }
  [[nodiscard]] std::unordered_map<BindingKey, std::unique_ptr<BindingRecord>, BindingKeyHash>& bindings() {
    return bindings_;
  }
  [[nodiscard]] std::size_t flow_count() const { return flows_.size(); }
  [[nodiscard]] std::size_t asset_count() const { return macs_.size() + bindings_.size(); }
  // Evicts flows idle for longer than the limit at capture time `now_us` (called periodically).
  void expire_idle_flows(std::int64_t now_us);

 private:
  void on_ip(const PacketView& p, PacketParties& parties);
  void on_flow(const PacketView& p, PacketParties& parties);
  void record_service(BindingRecord* rec, ServiceRole role, std::uint8_t proto, std::uint16_t port,
                      std::int64_t ts);
  void add_peer(BindingRecord* rec, const IpAddr& peer);
  void add_vlans(MacRecord* rec, const PacketView& p);
  void make_room_for_asset(std::int64_t now_us);
  void make_room_for_flow(std::int64_t now_us);
  void erase_flow(std::unordered_map<FlowKey, FlowState, FlowKeyHash>::iterator it);

  const Limits& limits_;
  Stats& stats_;
  std::function<void()> flush_hook_;
  std::function<void(FlowState&)> release_hook_;
  std::unordered_map<MacAddr, std::unique_ptr<MacRecord>> macs_;
  std::unordered_map<BindingKey, std::unique_ptr<BindingRecord>, BindingKeyHash> bindings_;
  std::unordered_map<FlowKey, FlowState, FlowKeyHash> flows_;
};

}  // namespace ww
