// DHCPv4 (RFC 2131, options RFC 2132). Facts are keyed on the client hardware address `chaddr`, never on
// the Ethernet source: a relay agent forwards other devices' requests (RFC 2131 §4.1).
#include <array>
#include <optional>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {67, 68};
constexpr FactDecl kFacts[] = {
    {"dhcp.message_type", FactType::code, "client (requests) / server (replies)", "53", "`DISCOVER`, `REQUEST`, `OFFER`, `ACK`, `NAK`, `INFORM`, `RELEASE`, `DECLINE`"},
    {"dhcp.hostname", FactType::text, "client", "12", "infusion-pump-07"},
    {"dhcp.requested_ip", FactType::address, "client", "50", "10.77.0.143"},
    {"dhcp.parameter_request_list", FactType::list, "client", "55, **in wire order** (an OS fingerprint)", "1,28,2,3,15,6,119,12,44,47,26,121,42"},
    {"dhcp.max_message_size", FactType::number, "client", "57", "1500"},
    {"dhcp.vendor_class", FactType::text, "sender", "60", "`MSFT 5.0`, `android-dhcp-9`, `udhcp 1.36.1`"},
    {"dhcp.client_id", FactType::hex, "client", "61, hex", "01000b8201fc42"},
    {"dhcp.user_class", FactType::text, "client", "77", "iPXE"},
    {"dhcp.client_fqdn", FactType::text, "client", "81 (RFC 4702), name part", "pump-07.icu.example"},
    {"dhcp.vendor_identifying_class", FactType::id, "sender", "124 (RFC 3925), enterprise number", "4491"},
    {"dhcp.vendor_specific_enterprise", FactType::id, "sender", "125 (RFC 3925), enterprise number", "3561"},
    {"dhcp.offered_ip", FactType::address, "client", "`yiaddr` of server replies", "10.77.0.143"},
    {"dhcp.relay_agent_ip", FactType::address, "client", "`giaddr`", "10.1.0.1"},
    {"dhcp.server_id", FactType::address, "server", "54", "10.77.0.2"},
    {"dhcp.router", FactType::address, "server", "3", "10.77.0.1"},
    {"dhcp.dns_server", FactType::address, "server", "6", "128.2.1.11,128.2.1.10"},
    {"dhcp.domain", FactType::text, "server", "15", "genhosp.local"},
    {"dhcp.lease_time", FactType::number, "server", "51, seconds", "43200"},
    {"dhcp.relayed_server_id", FactType::address, "relay agent: sender of a relayed reply on its last hop (`giaddr` set, to port 68), instead of the server facts above", "54", "31.130.229.6"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"dhcp.non_ethernet_chaddr", "The hardware type and length are not Ethernet (htype 1, hlen 6; RFC 1700), so chaddr names no MAC to key facts on; the message is skipped and nothing is reported."},
    {"dhcp.option_overrun", "An option's length runs past the end of the packet (RFC 2132 §2); parsing of the options stops, what was read is kept, status malformed."},
};
constexpr std::uint32_t kMagicCookie = 0x63825363;  // RFC 2131 §3

constexpr std::array<std::string_view, 19> kMessageTypes{
    "", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM", "FORCERENEW",
    "LEASEQUERY", "LEASEUNASSIGNED", "LEASEUNKNOWN", "LEASEACTIVE", "BULKLEASEQUERY", "LEASEQUERYDONE",
    "ACTIVELEASEQUERY", "LEASEQUERYSTATUS", "TLS"};

std::string ipv4_list(Bytes b) {
  std::string out;
  for (std::size_t i = 0; i + 4 <= b.size(); i += 4) {
    if (!out.empty()) out += ',';
    out += IpAddr::v4_from_bytes(b.data() + i).to_string();
  }
  return out;
}

// A BOOTP/DHCP message as read (RFC 2131 §2): the fixed fields used here, and the option area (RFC 2132)
// after the magic cookie, which is walked again when facts are emitted (no copy, no allocation).
struct DhcpMessage {
  std::uint8_t op = 0, htype = 0, hlen = 0;
  Bytes yiaddr, giaddr, chaddr;
  Bytes options;
  int message_type = 0;  // option 53, 0 if absent
  bool overrun = false;  // an option's length ran past the packet: the options after it are not read
};

// Calls on_option(code, value) for each option before the end option; false if one runs past the area.
template <typename OnOption>
bool for_each_option(Bytes area, OnOption&& on_option) {
  ByteReader r(area);
  while (!r.empty()) {
    const std::uint8_t code = r.u8();
    if (code == 0) continue;  // pad
    if (code == 255) break;   // end
    const std::uint8_t len = r.u8();
    const Bytes value = r.bytes(len);
    if (!r.ok()) return false;
    on_option(code, value);
  }
  return true;
}

// The message, or nothing when the magic cookie is missing (not DHCP).
std::optional<DhcpMessage> read_message(Bytes payload) {
  DhcpMessage m;
  ByteReader r(payload);
  m.op = r.u8();
  m.htype = r.u8();
  m.hlen = r.u8();
  r.skip(1 + 4 + 2 + 2);  // hops, xid, secs, flags
  r.skip(4);              // ciaddr
  m.yiaddr = r.bytes(4);
  r.skip(4);  // siaddr
  m.giaddr = r.bytes(4);
  m.chaddr = r.bytes(16);
  r.skip(64 + 128);  // sname, file
  if (r.u32be() != kMagicCookie || !r.ok()) return std::nullopt;
  m.options = r.bytes(r.remaining());
  m.overrun = !for_each_option(m.options, [&m](std::uint8_t code, Bytes v) {
    if (code == 53 && v.size() == 1) m.message_type = v[0];
  });
  return m;
}

std::uint32_t u32_of(Bytes v) {
  return (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) | (std::uint32_t{v[2]} << 8) | v[3];
}

// Where each fact of one message goes: client facts to the client hardware address (chaddr), never to the
// Ethernet source (a relay forwards other devices' requests); server facts to the sender of a reply.
class DhcpFacts {
 public:
  DhcpFacts(ObservationSink& sink, const PacketMeta& meta, const DhcpMessage& m)
      : sink_(sink), client_(MacAddr::from_bytes(m.chaddr.data())), from_server_(m.op == 2),
        // A relayed reply on its last hop (relay agent -> client port 68, RFC 2131 §4.1) is sent by the
        // relay, not by the server: its server facts must not make the relay look like a DHCP server.
        relayed_last_hop_(from_server_ && !IpAddr::v4_from_bytes(m.giaddr.data()).is_unspecified() &&
                          meta.dst_port == 68) {}

  [[nodiscard]] bool from_server() const { return from_server_; }
  [[nodiscard]] const MacAddr& client() const { return client_; }
  void client_fact(std::string_view key, std::string_view value) const { sink_.observe_mac(client_, key, value); }
  void server_fact(std::string_view key, std::string_view value) const {
    if (!relayed_last_hop_) {
      sink_.observe(Party::sender, key, value);
    } else if (key == "dhcp.server_id") {
      sink_.observe(Party::sender, "dhcp.relayed_server_id", value);
    }
  }
  // Facts a message carries about whoever sent it: the server's for replies, the client's for requests.
  void sender_fact(std::string_view key, std::string_view value) const {
    if (from_server_) server_fact(key, value);
    else client_fact(key, value);
  }

 private:
  ObservationSink& sink_;
  MacAddr client_;
  bool from_server_;
  bool relayed_last_hop_;
};

// The fact one option states (RFC 2132 unless said), if it is one wardwatch keeps.
void emit_option(std::uint8_t code, Bytes v, const DhcpFacts& f) {
  const std::string_view text = as_text(v);
  const bool server = f.from_server();
  switch (code) {
    case 12: f.client_fact("dhcp.hostname", printable(text)); break;
    case 50:
      if (v.size() == 4) f.client_fact("dhcp.requested_ip", ipv4_list(v));
      break;
    case 55: {
      std::string list;
      for (std::uint8_t o : v) {
        if (!list.empty()) list += ',';
        list += std::to_string(o);  // (not "," + to_string(o): GCC 12 -O3 warns -Wrestrict on it, wrongly)
      }
      f.client_fact("dhcp.parameter_request_list", list);
      break;
    }
    case 57:
      if (v.size() == 2) f.client_fact("dhcp.max_message_size", std::to_string((v[0] << 8) | v[1]));
      break;
    case 60: f.sender_fact("dhcp.vendor_class", printable(text)); break;
    case 61: f.client_fact("dhcp.client_id", hex(v)); break;
    case 77: f.client_fact("dhcp.user_class", printable(text)); break;
    case 81:
      // RFC 4702 §2: flags, rcode1, rcode2, then the name (wire or ASCII form; shown printable).
      if (v.size() > 3) f.client_fact("dhcp.client_fqdn", printable(as_text(v.subspan(3))));
      break;
    case 124:
    case 125:
      // RFC 3925: enterprise number first; the enterprise identifies the vendor.
      if (v.size() >= 4) {
        f.sender_fact(code == 124 ? "dhcp.vendor_identifying_class" : "dhcp.vendor_specific_enterprise",
                      std::to_string(u32_of(v)));
      }
      break;
    case 54:
      if (server && v.size() == 4) f.server_fact("dhcp.server_id", ipv4_list(v));
      break;
    case 3:
      if (server) f.server_fact("dhcp.router", ipv4_list(v));
      break;
    case 6:
      if (server) f.server_fact("dhcp.dns_server", ipv4_list(v));
      break;
    case 15:
      if (server) f.server_fact("dhcp.domain", printable(text));
      break;
    case 51:
      if (server && v.size() == 4) f.server_fact("dhcp.lease_time", std::to_string(u32_of(v)));
      break;
    default: break;
  }
}

class DhcpParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override {
    ByteReader r(payload);
    const std::uint8_t op = r.u8();
    const std::uint8_t htype = r.u8();
    const std::uint8_t hlen = r.u8();
    r.skip(233);
    return r.ok() && (op == 1 || op == 2) && hlen <= 16 && htype != 0xff && r.u32be() == kMagicCookie && r.ok();
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    const std::optional<DhcpMessage> m = read_message(payload);
    if (!m) return ParseStatus::not_mine;
    // Only Ethernet client addresses name a device we can key (htype 1, hlen 6; RFC 1700).
    if (m->htype != 1 || m->hlen != 6) {
      sink.anomaly("dhcp.non_ethernet_chaddr");
      return ParseStatus::ok;
    }
    const DhcpFacts facts(sink, meta, *m);
    for_each_option(m->options, [&facts](std::uint8_t code, Bytes v) { emit_option(code, v, facts); });
    emit_addresses(*m, facts, sink);
    if (m->overrun) {
      sink.anomaly("dhcp.option_overrun");
      return ParseStatus::malformed;
    }
    return ParseStatus::ok;
  }

 private:
  // The message type, and the addresses of the fixed fields: an ACK binds yiaddr to the client (RFC 2131 §3.1
  // step 5), an OFFER only proposes it; giaddr names the relay agent.
  static void emit_addresses(const DhcpMessage& m, const DhcpFacts& facts, ObservationSink& sink) {
    if (m.message_type > 0 && m.message_type < static_cast<int>(kMessageTypes.size())) {
      facts.sender_fact("dhcp.message_type", kMessageTypes[static_cast<std::size_t>(m.message_type)]);
    }
    const IpAddr offered = IpAddr::v4_from_bytes(m.yiaddr.data());
    if (facts.from_server() && !offered.is_unspecified()) {
      if (m.message_type == 5) sink.bind_ip(facts.client(), offered);
      facts.client_fact("dhcp.offered_ip", offered.to_string());
    }
    const IpAddr relay = IpAddr::v4_from_bytes(m.giaddr.data());
    if (!relay.is_unspecified()) facts.client_fact("dhcp.relay_agent_ip", relay.to_string());
  }

  ParserSpec spec_{"dhcp", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_dhcp(ParserRegistry& registry) { registry.add(std::make_unique<DhcpParser>()); }

}  // namespace ww
