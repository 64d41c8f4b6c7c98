// GE CARESCAPE / Unity Network (GE patient monitors, CIC Pro and CARESCAPE Central Stations, ApexPro
// telemetry): the time synchronization broadcast on UDP 2000. GE publishes no protocol description; the
// one public description of its layout is Vocera's, for the Vocera CARESCAPE Adapter that listens to it:
// "Understanding GE Carescape Networks" (pubs.vocera.com/adapters/carescape/1.3.0, "Time Synchronization
// (UDP port 2000)"; "VCA" below). What it says, and all this parser relies on:
// - the master node of the network (the central station) broadcasts it at least once a day and whenever
//   the time is changed anywhere on the network;
// - the data is 64 octets (a 106-octet Ethernet frame);
// - octets 7-10 (1-based) are the sending device's IPv4 address, "used to uniquely identify each device";
// - octets 25-37 are the master node's location identifier "<unit>|<room>", unit at most 7 characters,
//   room at most 6, trailing octets NUL (the stated maxima add up to 14 octets, one more than the block:
//   the block is read as stated, 13 octets, up to its first NUL);
// - octets 61-64 are the time in seconds since 1 January 1900.
// Nothing else of the message is known, so nothing else is read. The VCA also names "Discovery" messages on
// UDP 7000, sent by every node as a heartbeat, without their layout: they are not parsed (docs/protocols/
// carescape.md says so). GE's own manuals (e.g. the ApexPro service manual, "Unity Network Device
// Communication") describe RWHAT broadcasts carrying names and services, also without a layout.
//
// Recognition: UDP to port 2000, exactly 64 octets, and octets 7-10 equal to the IPv4 source address of the
// packet. Port 2000 alone is not proof (Cisco SCCP uses TCP 2000; anything may use UDP 2000); the address
// inside the payload matching the sender is what makes a datagram a CARESCAPE time message.
//
// PHI policy: the message carries no patient data in the layout above; the unit and room are the central
// station's location (as a bed label is location), kept as printable text of at most 13 characters.
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kTimePort = 2000;  // VCA "Time Synchronization (UDP port 2000)"
constexpr std::uint16_t kPorts[] = {kTimePort};

// VCA byte table, 0-based offsets into the 64-octet data.
constexpr std::size_t kMessageLength = 64;   // "106 byte packet / 64 bytes data"
constexpr std::size_t kAddressOffset = 6;    // octets 7-10: the sender's IPv4 address
constexpr std::size_t kLocationOffset = 24;  // octets 25-37: "<unit>|<room>", NUL-padded
constexpr std::size_t kLocationLength = 13;
constexpr std::size_t kTimeOffset = 60;  // octets 61-64: seconds since 1900-01-01
constexpr std::size_t kMaxUnit = 7, kMaxRoom = 6;

// clang-format off
constexpr FactDecl kFacts[] = {
    {"carescape.role", FactType::code, "sender", "a time synchronization broadcast (VCA: sent by the master node, the central station)", "`time-master`"},
    {"carescape.location", FactType::text, "sender", "location: octets 25-37, the master node's location identifier as sent", "ICU3|CNTRL"},
    {"carescape.unit", FactType::text, "sender", "location: the `<unit>` part of octets 25-37 (at most 7 characters)", "ICU3"},
    {"carescape.room", FactType::text, "sender", "location: the `<room>` part of octets 25-37 (at most 6 characters)", "CNTRL"},
    {"carescape.clock_skew", FactType::code, "sender", "octets 61-64 (seconds since 1900) against the capture time: `in-step` within 5 minutes, else `ahead` or `behind` (a master node announcing a wrong time moves every monitor's clock)", "`in-step`"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"carescape.bad_location", "The location block (octets 25-37) holds a byte that is not printable ASCII before its first NUL, or a unit or room longer than the VCA allows (7 and 6); the location is not kept, the rest of the message is."},
};
// clang-format on

constexpr std::int64_t kNtpToUnixSeconds = 2208988800;  // 1900-01-01 to 1970-01-01 (RFC 5905 §6)
constexpr std::int64_t kInStepSeconds = 300;

bool sender_address_matches(const PacketMeta& meta, Bytes payload) {
  if (!meta.has_ip || !meta.src_ip.is_v4() || payload.size() != kMessageLength) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (payload[kAddressOffset + i] != meta.src_ip.bytes[12 + i]) return false;
  }
  return true;
}

struct Location {
  std::string_view whole, unit, room;
};

// The block up to its first NUL, printable ASCII, split at '|' within the VCA's limits; false if not.
bool read_location(Bytes payload, Location& out) {
  const auto* p = reinterpret_cast<const char*>(payload.data() + kLocationOffset);
  std::string_view block(p, kLocationLength);
  block = block.substr(0, block.find('\0'));
  for (const char c : block) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  const std::size_t bar = block.find('|');
  const std::string_view unit = trim(block.substr(0, bar));
  const std::string_view room = bar == std::string_view::npos ? std::string_view{} : trim(block.substr(bar + 1));
  if (unit.size() > kMaxUnit || room.size() > kMaxRoom || room.find('|') != std::string_view::npos) return false;
  out = {trim(block), unit, room};
  return true;
}

class CarescapeParser final : public DatagramParser {
 public:
  [[nodiscard]] const ParserSpec& spec() const override { return spec_; }

  [[nodiscard]] bool probe(const PacketMeta& meta, Bytes payload) const override {
    return meta.dst_port == kTimePort && sender_address_matches(meta, payload);
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    sink.observe(Party::sender, "carescape.role", "time-master");
    ParseStatus status = ParseStatus::ok;
    Location location;
    if (!read_location(payload, location)) {
      sink.anomaly("carescape.bad_location");
      status = ParseStatus::malformed;
    } else if (!location.whole.empty()) {
      sink.observe(Party::sender, "carescape.location", printable(location.whole));
      if (!location.unit.empty()) sink.observe(Party::sender, "carescape.unit", printable(location.unit));
      if (!location.room.empty()) sink.observe(Party::sender, "carescape.room", printable(location.room));
    }
    ByteReader time(payload.subspan(kTimeOffset));
    // RFC 4330 §3: a value with its top bit clear is in the era that starts in 2036.
    const std::uint32_t raw = time.u32be();
    const std::int64_t era_offset = (raw & 0x80000000U) != 0 ? 0 : std::int64_t{1} << 32;
    const std::int64_t announced = std::int64_t{raw} + era_offset - kNtpToUnixSeconds;
    const std::int64_t captured = meta.ts_us / 1'000'000;
    const std::int64_t skew = announced - captured;
    sink.observe(Party::sender, "carescape.clock_skew",
                 skew > kInStepSeconds ? "ahead" : (skew < -kInStepSeconds ? "behind" : "in-step"));
    return status;
  }

 private:
  ParserSpec spec_{"carescape", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_carescape(ParserRegistry& registry) {
  registry.add(std::make_unique<CarescapeParser>());
}

}  // namespace ww
