#include "agent/pipeline/pipeline.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ww {
namespace {

// A strict build (wardwatch/vocabulary.hpp) stops at the first key or anomaly no parser declares: a typo in
// a parser would otherwise make a fact that no rule, report or document knows.
void require_declared(bool declared, const char* what, std::string_view name) {
  if (declared) return;
  std::fprintf(stderr, "wardwatch: undeclared %s '%.*s': declare it in its parser's kFacts/kAnomalies\n", what,
               static_cast<int>(name.size()), name.data());
  std::abort();
}

// Resolves a parser's Party to the records of the current packet and records observations there.
class PacketSink final : public ObservationSink {
 public:
  // `admits`: a fact about a party on probation makes it a record (identity facts do; a TCP/IP stack
  // fingerprint, which every packet of a SYN flood carries, does not).
  PacketSink(Tracker& tracker, Stats& stats, const Vocabulary& vocabulary, PacketParties& parties,
             const PacketView& packet, bool reversed, bool admits = true)
      : tracker_(tracker), stats_(stats), vocabulary_(vocabulary), parties_(parties), packet_(packet),
        ts_(packet.ts_us), reversed_(reversed), admits_(admits) {}

  void observe(Party party, std::string_view key, std::string_view value) override {
    if constexpr (kStrictVocabulary) require_declared(vocabulary_.fact(key) != nullptr, "observation key", key);
    const bool sender = (party == Party::sender) != reversed_;
    if (admits_ && (sender ? parties_.sender_held : parties_.receiver_held)) tracker_.admit_held(packet_, parties_, sender);
    BindingRecord* b = sender ? parties_.sender : parties_.receiver;
    MacRecord* m = sender ? parties_.sender_mac : parties_.receiver_mac;
    if (parties_.flow && parties_.flow->app == 0) tracker_.note_app(*parties_.flow, key);
    if (b) {
      tracker_.observe(b->observations, key, value, ts_);
    } else if (m) {
      tracker_.observe(m->observations, key, value, ts_);
    }
  }
  void observe_mac(const MacAddr& mac, std::string_view key, std::string_view value) override {
    if constexpr (kStrictVocabulary) require_declared(vocabulary_.fact(key) != nullptr, "observation key", key);
    if (mac.is_group() || mac.is_zero()) return;
    tracker_.observe(tracker_.mac_record(mac, ts_)->observations, key, value, ts_);
  }
  void bind_ip(const MacAddr& mac, const IpAddr& ip) override {
    tracker_.confirm(mac, ip, confirmed_by::dhcp, ts_);
  }
  void anomaly(std::string_view name) override {
    if constexpr (kStrictVocabulary) require_declared(vocabulary_.declares_anomaly(name), "anomaly", name);
    stats_.count_anomaly(name);
  }

 private:
  Tracker& tracker_;
  Stats& stats_;
  const Vocabulary& vocabulary_;
  PacketParties& parties_;
  const PacketView& packet_;
  std::int64_t ts_;
  bool reversed_;
  bool admits_;
};

// Reported by agent/pipeline/stream_follower.cpp and agent/pipeline/admission.cpp.
constexpr AnomalyDecl kPipelineAnomalies[] = {
    {"stream.buffer_limit_reached", "A parser leaves 256 KiB (--max-stream-buffer default) unconsumed in one stream direction, waiting for a message to complete; the stream is abandoned, its connection not parsed further."},
    {"stream.memory_budget_reached", "All stream buffers together reach the 64 MiB budget (--max-stream-memory default) and this stream needs more; it is given up and freed at once, its connection not followed again."},
    {"flood.scan", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, new receivers over twice the new senders (a host sweeping addresses); reported once."},
    {"flood.mac_flood", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, new receivers at least half the new senders (random MACs), or commonest new-sender frame non-IP non-ARP; reported once."},
    {"flood.syn_flood", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, commonest new-sender packet a TCP SYN without ACK; reported once."},
    {"flood.arp_storm", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, commonest new-sender packet ARP; reported once."},
    {"flood.udp_flood", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, commonest new-sender packet UDP; reported once."},
    {"flood.icmp_flood", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, commonest new-sender packet ICMP or ICMPv6; reported once."},
    {"flood.tcp_flood", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, commonest new-sender packet TCP other than a bare SYN; reported once."},
    {"flood.new_sources", "A probation episode (over --flood-threshold new sources a second, default 2000) ended with 100+ sources held, at most a tenth back, commonest new-sender packet IP but not TCP, UDP or ICMP; reported once."},
};

}  // namespace

std::span<const AnomalyDecl> pipeline_anomalies() { return kPipelineAnomalies; }

Vocabulary declared_vocabulary(const ParserRegistry& registry) {
  Vocabulary v = registry.vocabulary();
  v.declare("pipeline", {}, pipeline_anomalies());
  return v;
}

Pipeline::Pipeline(const Limits& limits, const ParserRegistry& registry, FlushTarget* target)
    : limits_(limits), registry_(registry), vocabulary_(declared_vocabulary(registry)), target_(target),
      tracker_(limits, stats_), follower_(limits, stats_, registry) {
  tracker_.set_flush_hook([this] { flush_evicting(); });
  tracker_.set_flow_release_hook([this](FlowState& f) { follower_.release(f); });
  const auto& parsers = registry_.datagram();
  for (std::size_t i = 0; i < parsers.size() && i < 256; ++i) {
    const auto& spec = parsers[i]->spec();
    const auto index = static_cast<std::uint8_t>(i);
    if (spec.transport == Transport::ethernet) {
      ethernet_parsers_.push_back(index);
    } else if (spec.transport == Transport::tcp_handshake) {
      handshake_parsers_.push_back(index);
    } else if (spec.transport == Transport::udp) {
      udp_parsers_.push_back(index);
      for (std::uint16_t port : spec.port_hints) udp_by_port_[port].push_back(index);
    }
  }
}

void Pipeline::process_frame(int dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_us) {
  decode_for_pipeline(dlt, frame, wire_len, ts_us, frame_);
  process_decoded(frame_);
}

void Pipeline::process_decoded(const DecodedFrame& frame) {
  if (frame.error == DecodeError::none) {
    process(frame);
    return;
  }
  ++stats_.packets;
  stats_.bytes += frame.view.wire_len;
  ++stats_.malformed;
  ++stats_.malformed_by_reason[static_cast<std::size_t>(frame.error)];
  tracker_.on_packet(frame);  // its link layer only (decode_for_pipeline)
  periodic(frame.view.ts_us);
}

void Pipeline::process(const DecodedFrame& frame) {
  const PacketView& p = frame.view;
  ++stats_.packets;
  stats_.bytes += p.wire_len;
  if (p.non_first_fragment) ++stats_[Counter::non_first_fragments];
  PacketParties parties = tracker_.on_packet(frame);
  if (p.l4 == L4Kind::udp || (p.l3 == L3Kind::other && !ethernet_parsers_.empty())) {
    dispatch_datagram(p, parties);
  } else if (p.l4 == L4Kind::tcp && parties.flow) {
    if ((p.tcp_flags & tcp_flag::syn) != 0 && !handshake_parsers_.empty()) dispatch_handshake(p, parties);
    PacketSink sink(tracker_, stats_, vocabulary_, parties, p, false);
    PacketSink reverse(tracker_, stats_, vocabulary_, parties, p, true);
    follower_.on_segment(p, *parties.flow, parties.flow_from_client, sink, reverse);
  }
  periodic(p.ts_us);
}

void Pipeline::dispatch_datagram(const PacketView& p, PacketParties& parties) {
  PacketMeta meta;
  meta.ts_us = p.ts_us;
  meta.has_mac = p.has_src_mac;
  meta.src_mac = p.src_mac;
  meta.dst_mac = p.dst_mac;
  meta.has_ip = p.l3 == L3Kind::ipv4 || p.l3 == L3Kind::ipv6;
  meta.src_ip = p.src_ip;
  meta.dst_ip = p.dst_ip;
  meta.src_port = p.src_port;
  meta.dst_port = p.dst_port;
  meta.ethertype = p.ethertype;
  meta.snap_oui = p.snap_oui;
  meta.ttl = p.ttl;
  const Bytes payload = p.l4 == L4Kind::udp ? p.payload : p.l2_payload;
  const auto& parsers = registry_.datagram();
  PacketSink sink(tracker_, stats_, vocabulary_, parties, p, false);

  auto try_parser = [&](std::uint8_t i) {
    const DatagramParser& parser = *parsers[i];
    if (!parser.probe(meta, payload)) return false;
    const ParseStatus st = parser.parse(meta, payload, sink);
    return st == ParseStatus::ok || st == ParseStatus::malformed;
  };
  if (p.l4 != L4Kind::udp) {
    for (std::uint8_t i : ethernet_parsers_) {
      if (try_parser(i)) return;
    }
    return;
  }
  // Port hints order the probes; every UDP parser still gets its probe (a port is never proof).
  const auto& by_src = udp_by_port_[p.src_port];
  const auto& by_dst = udp_by_port_[p.dst_port];
  for (std::uint8_t i : by_dst) {
    if (try_parser(i)) return;
  }
  for (std::uint8_t i : by_src) {
    if (try_parser(i)) return;
  }
  for (std::uint8_t i : udp_parsers_) {
    if (std::find(by_dst.begin(), by_dst.end(), i) != by_dst.end()) continue;
    if (std::find(by_src.begin(), by_src.end(), i) != by_src.end()) continue;
    if (try_parser(i)) return;
  }
}

void Pipeline::dispatch_handshake(const PacketView& p, PacketParties& parties) {
  PacketMeta meta;
  meta.ts_us = p.ts_us;
  meta.has_mac = p.has_src_mac;
  meta.src_mac = p.src_mac;
  meta.dst_mac = p.dst_mac;
  meta.has_ip = true;
  meta.src_ip = p.src_ip;
  meta.dst_ip = p.dst_ip;
  meta.src_port = p.src_port;
  meta.dst_port = p.dst_port;
  meta.ttl = p.ttl;
  meta.ip_version = p.l3 == L3Kind::ipv4 ? 4 : 6;
  meta.ip_total_length = p.ip_total_length;
  meta.ip_options_length = p.ip_options_length;
  meta.ip_dont_fragment = p.ip_dont_fragment;
  meta.ip_id = p.ip_id;
  meta.ip_tos = p.ip_tos;
  meta.ipv6_flow_label = p.ipv6_flow_label;
  meta.tcp_flags = p.tcp_flags;
  meta.tcp_window = p.tcp_window;
  meta.tcp_seq = p.tcp_seq;
  meta.tcp_ack = p.tcp_ack;
  meta.tcp_urgent = p.tcp_urgent;
  meta.tcp_payload_length = p.payload.size();
  PacketSink sink(tracker_, stats_, vocabulary_, parties, p, false, /*admits=*/false);
  for (std::uint8_t i : handshake_parsers_) {
    const DatagramParser& parser = *registry_.datagram()[i];
    if (parser.probe(meta, p.tcp_options)) parser.parse(meta, p.tcp_options, sink);
  }
}

void Pipeline::periodic(std::int64_t ts_us) {
  if (++since_periodic_ < 4096) return;
  since_periodic_ = 0;
  if (ts_us - last_expiry_us_ > 30'000'000) {  // idle timeouts are minutes: a sweep every 30 s is enough
    tracker_.expire_idle_flows(ts_us);
    last_expiry_us_ = ts_us;
  }
  const auto now = std::chrono::steady_clock::now();
  if (periodic_flush_ && now - last_flush_ >= std::chrono::seconds(limits_.flush_interval_s)) flush();
}

void Pipeline::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  tracker_.settle();
  if (target_) target_->flush(tracker_, stats_, DrainScope::all);
}

void Pipeline::flush_evicting() {
  if (target_) target_->flush(tracker_, stats_, DrainScope::evicting);
}

}  // namespace ww
