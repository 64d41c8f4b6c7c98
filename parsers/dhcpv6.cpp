// DHCPv6 (RFC 8415), udp/546 (client) and udp/547 (server/relay).
// Client messages describe the client that sent them: its DUID (§11), vendor class (option 16, §21.16:
// enterprise number + opaque data), user class (option 15, §21.15), client FQDN (option 39, RFC 4704) and
// the Option Request list (option 6) -- the DHCPv6 counterpart of DHCPv4's parameter request list, a
// classic OS fingerprint. A DUID-LL or DUID-LLT with hardware type 1 (Ethernet) also names the client's MAC
// (§11.2, §11.4), which gets the DUID too (the DUID's link-layer address may be another interface's).
// Server messages only tell the server's own DUID.
#include <cstdio>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {547, 546};
constexpr FactDecl kFacts[] = {
    {"dhcpv6.message_type", FactType::code, "sender", "msg-type", "`SOLICIT`, `REPLY`, `RELAY-FORW`"},
    {"dhcpv6.duid", FactType::hex, "sender, and the MAC inside a DUID-LL/LLT with hardware type 1", "option 1 (Client Identifier), hex", "000100012422f1b3080027e6e559"},
    {"dhcpv6.duid_type", FactType::code, "sender", "DUID type (RFC 8415 §11, RFC 6355)", "`LLT`, `EN`, `LL`, `UUID`"},
    {"dhcpv6.enterprise", FactType::id, "sender", "option 16 (Vendor Class) enterprise number", "311"},
    {"dhcpv6.vendor_class", FactType::text, "sender", "option 16 vendor-class-data items, comma-joined", "MSFT 5.0"},
    {"dhcpv6.user_class", FactType::text, "sender", "option 15 items, comma-joined", "ward"},
    {"dhcpv6.fqdn", FactType::text, "sender", "option 39 (RFC 4704) domain name", "MSEDGEWIN10"},
    {"dhcpv6.option_request", FactType::list, "sender", "option 6 (ORO), in wire order: an OS fingerprint like DHCPv4 option 55", "17,23,24,39"},
    {"dhcpv6.server_duid", FactType::hex, "sender (server)", "option 2 (Server Identifier)", "000100011de4b858000c291fa755"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"dhcpv6.option_overrun", "An option's length runs past the end of the message (RFC 8415) or there are more than 64 options; parsing of the options stops, the options read before are kept, status malformed."},
};
constexpr std::string_view kMessageTypes[] = {
    "",      "SOLICIT", "ADVERTISE", "REQUEST",     "CONFIRM", "RENEW",      "REBIND",
    "REPLY", "RELEASE", "DECLINE",   "RECONFIGURE", "INFORMATION-REQUEST", "RELAY-FORW", "RELAY-REPL"};
constexpr std::size_t kMaxOptions = 64;

std::uint16_t be16(Bytes b, std::size_t at) { return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]); }
std::uint32_t be32(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// Walks the option TLVs of `opts`; false if one runs past the end or there are too many.
template <typename F>
bool for_each_option(Bytes opts, F&& f) {
  ByteReader r(opts);
  std::size_t n = 0;
  while (!r.empty()) {
    const std::uint16_t code = r.u16be();
    const std::uint16_t len = r.u16be();
    const Bytes v = r.bytes(len);
    if (!r.ok() || ++n > kMaxOptions) return false;
    f(code, v);
  }
  return true;
}

// "a, b" from a list of (2-octet length, data) items (options 15 and 16).
std::string length_prefixed_list(Bytes data) {
  std::string out;
  ByteReader r(data);
  while (!r.empty()) {
    const std::uint16_t len = r.u16be();
    const std::string_view item = r.text(len);
    if (!r.ok()) break;
    if (!out.empty()) out += ',';
    out += printable(item);
  }
  return out;
}

// RFC 4704 §4.2: the domain name in DNS wire format without compression (possibly without the final root).
std::string wire_domain(Bytes data) {
  std::string out;
  ByteReader r(data);
  while (!r.empty()) {
    const std::uint8_t len = r.u8();
    if (len == 0 || len > 63) break;
    const std::string_view label = r.text(len);
    if (!r.ok()) break;
    if (!out.empty()) out += '.';
    out.append(label);
  }
  return printable(out);
}

class Dhcpv6Parser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta& meta, Bytes payload) const override {
    // A 4-octet header plus TLVs is too generic to claim on structure alone: DHCPv6 is only defined on
    // udp/546-547 (RFC 8415 §7.2), so the port is required as well.
    const auto dhcp_port = [](std::uint16_t p) { return p == 546 || p == 547; };
    if (!dhcp_port(meta.src_port) && !dhcp_port(meta.dst_port)) return false;
    if (payload.size() < 4) return false;
    const std::uint8_t type = payload[0];
    if (type == 0 || type > 13) return false;
    const std::size_t header = type >= 12 ? 34 : 4;  // relay: hop-count, link-address, peer-address (§9)
    if (payload.size() <= header) return false;
    // Every option must fit exactly, and real messages always start with a known option code.
    bool first_known = false, first = true;
    const bool fits = for_each_option(payload.subspan(header), [&](std::uint16_t code, Bytes) {
      if (first) first_known = code >= 1 && code <= 150;
      first = false;
    });
    return fits && first_known;
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    const bool port = meta.src_port == 546 || meta.src_port == 547 || meta.dst_port == 546 || meta.dst_port == 547;
    if (!port || payload.size() < 4 || payload[0] == 0 || payload[0] > 13) return ParseStatus::not_mine;
    const std::uint8_t type = payload[0];
    sink.observe(Party::sender, "dhcpv6.message_type", kMessageTypes[type]);
    if (type >= 12) return ParseStatus::ok;  // relay wrappers: the inner message is another device's
    const bool from_server = type == 2 || type == 7 || type == 10;
    const bool ok = for_each_option(payload.subspan(4), [&](std::uint16_t code, Bytes v) {
      if (from_server) {
        if (code == 2) sink.observe(Party::sender, "dhcpv6.server_duid", hex(v));
        return;
      }
      switch (code) {
        case 1: emit_client_duid(v, sink); break;
        case 6: {
          std::string list;
          for (std::size_t i = 0; i + 2 <= v.size(); i += 2) {
            if (!list.empty()) list += ',';
            list += std::to_string(be16(v, i));
          }
          if (!list.empty()) sink.observe(Party::sender, "dhcpv6.option_request", list);
          break;
        }
        case 15: {
          const std::string uc = length_prefixed_list(v);
          if (!uc.empty()) sink.observe(Party::sender, "dhcpv6.user_class", uc);
          break;
        }
        case 16:
          if (v.size() >= 4) {
            sink.observe(Party::sender, "dhcpv6.enterprise", std::to_string(be32(v, 0)));
            const std::string vc = length_prefixed_list(v.subspan(4));
            if (!vc.empty()) sink.observe(Party::sender, "dhcpv6.vendor_class", vc);
          }
          break;
        case 39:
          if (v.size() > 1) {
            const std::string fqdn = wire_domain(v.subspan(1));  // after the flags octet
            if (!fqdn.empty()) sink.observe(Party::sender, "dhcpv6.fqdn", fqdn);
          }
          break;
        default: break;
      }
    });
    if (!ok) {
      sink.anomaly("dhcpv6.option_overrun");
      return ParseStatus::malformed;
    }
    return ParseStatus::ok;
  }

 private:
  // RFC 8415 §11: DUID-LLT (1), DUID-EN (2), DUID-LL (3), DUID-UUID (4, RFC 6355).
  static void emit_client_duid(Bytes duid, ObservationSink& sink) {
    if (duid.size() < 2) return;
    const std::string duid_hex = hex(duid);
    sink.observe(Party::sender, "dhcpv6.duid", duid_hex);
    const std::uint16_t dtype = be16(duid, 0);
    static constexpr std::string_view names[] = {"", "LLT", "EN", "LL", "UUID"};
    sink.observe(Party::sender, "dhcpv6.duid_type", dtype >= 1 && dtype <= 4 ? std::string(names[dtype]) : std::to_string(dtype));
    std::size_t ll_at = 0;
    if (dtype == 1 && duid.size() == 14) ll_at = 8;      // type, hwtype, time(4), MAC
    else if (dtype == 3 && duid.size() == 10) ll_at = 4;  // type, hwtype, MAC
    if (ll_at != 0 && be16(duid, 2) == 1) {
      sink.observe_mac(MacAddr::from_bytes(duid.data() + ll_at), "dhcpv6.duid", duid_hex);
    }
  }

  ParserSpec spec_{"dhcpv6", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_dhcpv6(ParserRegistry& registry) { registry.add(std::make_unique<Dhcpv6Parser>()); }

}  // namespace ww
