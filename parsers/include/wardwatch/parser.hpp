// The one interface every protocol parser implements. Parsers are pure: bytes in, observations out through
// an ObservationSink. They never throw, never allocate per packet unless they emit, and never decide what a
// device *is* (that is the fingerprint engine's job) — they report what it *said*.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wardwatch/byte_reader.hpp"
#include "wardwatch/net_types.hpp"
#include "wardwatch/vocabulary.hpp"

namespace ww {

// ethernet: L2 payloads (LLDP, CDP); udp: datagrams; tcp: reassembled streams; tcp_handshake: the SYN and
// SYN+ACK segments themselves (IP and TCP header fields in PacketMeta, the TCP options as the payload),
// for TCP/IP stack fingerprints (p0f).
enum class Transport : std::uint8_t { ethernet, udp, tcp, tcp_handshake };

struct ParserSpec {
  std::string_view name;                             // protocol name, the prefix of every key it emits
  Transport transport = Transport::udp;
  std::span<const std::uint16_t> port_hints;         // only orders probes; never proof of a protocol
  std::span<const FactDecl> facts;                   // every observation key it may emit (wardwatch/vocabulary.hpp)
  std::span<const AnomalyDecl> anomalies;            // every anomaly it may report
};

// What a datagram parser knows about the packet besides its payload.
struct PacketMeta {
  std::int64_t ts_us = 0;
  bool has_mac = false;
  MacAddr src_mac, dst_mac;
  bool has_ip = false;
  IpAddr src_ip, dst_ip;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint16_t ethertype = 0;  // for Transport::ethernet; SNAP frames carry their protocol id here
  std::uint32_t snap_oui = 0;   // 0 unless the frame was 802.2 LLC/SNAP
  std::uint8_t ttl = 0;
  // Transport::tcp_handshake only: header fields a stack fingerprint needs (p0f v3 signature fields).
  std::uint8_t ip_version = 0;
  std::uint16_t ip_total_length = 0;   // IPv4 total length / IPv6 payload length + 40
  std::uint8_t ip_options_length = 0;  // IPv4 header bytes beyond 20
  bool ip_dont_fragment = false;
  std::uint16_t ip_id = 0;
  std::uint8_t ip_tos = 0;             // IPv4 TOS / IPv6 traffic class (ECN bits)
  std::uint32_t ipv6_flow_label = 0;
  std::uint8_t tcp_flags = 0;
  std::uint16_t tcp_window = 0;
  std::uint32_t tcp_seq = 0, tcp_ack = 0;
  std::uint16_t tcp_urgent = 0;
  std::size_t tcp_payload_length = 0;
};

// The party of the current packet (or stream direction) an observation is about.
enum class Party : std::uint8_t { sender, receiver };

class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  // A fact `key` (full name, "<protocol>.<field>") = `value` about one party of the current packet.
  virtual void observe(Party party, std::string_view key, std::string_view value) = 0;
  // A fact about a device named inside the payload rather than by the packet's addresses (DHCP chaddr).
  virtual void observe_mac(const MacAddr& mac, std::string_view key, std::string_view value) = 0;
  // The payload proves that `mac` holds `ip` on the local segment (DHCP ACK yiaddr, NDP target).
  virtual void bind_ip(const MacAddr& mac, const IpAddr& ip) = 0;
  // A named oddity in the input ("dhcp.option_overrun"): counted, never fatal.
  virtual void anomaly(std::string_view name) = 0;
  // (streams) The server endpoint of the current stream is a service of this kind (e.g. "dicom" once an
  // association was accepted): later streams to the same IP and port learn it through
  // StreamMeta::server_service, whatever their parser (a TLS session to a known DICOM endpoint is DICOM).
  virtual void tag_server(std::string_view /*service*/) {}
};

enum class ParseStatus : std::uint8_t {
  ok,         // parsed, observations emitted
  not_mine,   // the bytes are not this protocol
  malformed,  // it is this protocol but broken; an anomaly has been reported
  need_more,  // (streams) keep buffering and call again
  done,       // (streams) everything useful has been read: stop buffering this stream
};

class DatagramParser {
 public:
  virtual ~DatagramParser() = default;
  [[nodiscard]] virtual const ParserSpec& spec() const = 0;
  // Cheap structural check, no side effects.
  [[nodiscard]] virtual bool probe(const PacketMeta& meta, Bytes payload) const = 0;
  virtual ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const = 0;
};

enum class StreamDir : std::uint8_t { to_server, to_client };

struct StreamMeta {
  IpAddr client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
  bool saw_handshake = false;  // false when the capture joined the stream mid-way
  // The service a parser tagged this server endpoint (IP, port) with earlier in the capture
  // (ObservationSink::tag_server, e.g. "dicom" once an association was accepted there); "" if none.
  std::string server_service;
};

// State for one TCP connection; both directions are fed to the same session.
class StreamSession {
 public:
  virtual ~StreamSession() = default;
  // `data` holds the in-order, not yet consumed bytes of one direction. Set `consumed` to what may be
  // dropped from the buffer; a value beyond data.size() asks the follower to skip that many bytes of the
  // direction without buffering them (bulk data such as DICOM pixel data). Observations through `sink`
  // are resolved against this direction's sender.
  virtual ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) = 0;
};

class StreamParser {
 public:
  virtual ~StreamParser() = default;
  [[nodiscard]] virtual const ParserSpec& spec() const = 0;
  // Cheap check on the first buffered bytes of a direction (possibly mid-stream).
  [[nodiscard]] virtual bool probe(StreamDir dir, Bytes first_bytes) const = 0;
  [[nodiscard]] virtual std::unique_ptr<StreamSession> open(const StreamMeta& meta) const = 0;
};

class ParserRegistry {
 public:
  void add(std::unique_ptr<DatagramParser> p) { datagram_.push_back(std::move(p)); }
  void add(std::unique_ptr<StreamParser> p) { stream_.push_back(std::move(p)); }
  [[nodiscard]] const std::vector<std::unique_ptr<DatagramParser>>& datagram() const { return datagram_; }
  [[nodiscard]] const std::vector<std::unique_ptr<StreamParser>>& stream() const { return stream_; }
  // The declarations of every parser (see wardwatch/vocabulary.hpp).
  [[nodiscard]] Vocabulary vocabulary() const;

 private:
  std::vector<std::unique_ptr<DatagramParser>> datagram_;
  std::vector<std::unique_ptr<StreamParser>> stream_;
};

// Generated at configure time from the files in parsers/: each `parsers/<name>.cpp` defines
// `void register_parser_<name>(ParserRegistry&)`. See cmake/parser_registry.cmake.
ParserRegistry make_default_registry();
// Only the parsers that `parsers/<file>.cpp` registers (fuzz targets, tests).
ParserRegistry make_registry_for_file(std::string_view file);

}  // namespace ww
