// Cisco Discovery Protocol (802.2 LLC/SNAP, OUI 00-00-0C, protocol id 0x2000). There is no published RFC;
// the TLV layout follows Cisco's "CDP" developer notes as implemented by Wireshark's packet-cdp.c and
// tcpdump's print-cdp.c. Cisco switches, IP phones and some medical devices (via embedded Cisco radios)
// announce their own name, platform and software: every fact is about the frame's sender.
#include <string>
#include <vector>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint32_t kOuiCisco = 0x00000c;
constexpr std::uint16_t kPidCdp = 0x2000;
constexpr FactDecl kFacts[] = {
    {"cdp.version", FactType::number, "", "header", "2"},
    {"cdp.device_id", FactType::text, "", "0x0001", "`S1`, `SEP001122334455`"},
    {"cdp.address", FactType::address, "", "0x0002, one observation per IPv4/IPv6 address; `0.0.0.0`/`::` dropped", "192.168.10.1"},
    {"cdp.port_id", FactType::text, "", "0x0003", "FastEthernet0/13"},
    {"cdp.capabilities", FactType::list, "", "0x0004, names: router, transparent_bridge, source_route_bridge, switch, host, igmp, repeater, phone, remote_managed, cvta, mac_relay", "switch,igmp"},
    {"cdp.software_version", FactType::text, "", "0x0005, first line", "Cisco IOS Software, C3560 Software (C3560-ADVIPSERVICESK9-M), Version 12.2(44)SE, RELEASE SOFTWARE (fc1)"},
    {"cdp.software_version_full", FactType::text, "", "0x0005, all lines joined with `\"; \"`, capped at 256 characters", "Cisco Internetwork Operating System Software ; IOS (tm) 1600 Software (C1600-NY-L), Version 11.2(12)P, ..."},
    {"cdp.platform", FactType::text, "", "0x0006", "cisco WS-C3560-24TS"},
    {"cdp.vtp_domain", FactType::text, "", "0x0009", "HOSPITAL"},
    {"cdp.native_vlan", FactType::number, "", "0x000a", "1"},
    {"cdp.system_name", FactType::text, "", "0x0014", ""},
    {"cdp.management_address", FactType::address, "", "0x0016", ""},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"cdp.tlv_overrun", "A TLV length below 4 or past the frame (parsing stops there), a native-VLAN or capabilities TLV of the wrong size, or an address list overrunning its TLV; earlier TLVs are kept, status malformed."},
};

enum : std::uint16_t {
  kDeviceId = 0x0001, kAddresses = 0x0002, kPortId = 0x0003, kCapabilities = 0x0004, kSoftware = 0x0005,
  kPlatform = 0x0006, kVtpDomain = 0x0009, kNativeVlan = 0x000a, kSystemName = 0x0014, kMgmtAddresses = 0x0016,
};

// Capability bits, in the order Wireshark names them.
constexpr std::string_view kCapNames[] = {"router", "transparent_bridge", "source_route_bridge", "switch", "host",
                                          "igmp", "repeater", "phone", "remote_managed", "cvta", "mac_relay"};

std::string first_line(std::string_view s) {
  const std::size_t end = s.find_first_of("\r\n");
  return printable(s.substr(0, end));
}

// All lines joined with "; " (the version text is multi-line; observation values are single-line).
std::string joined_lines(std::string_view s) {
  std::string out;
  bool pending = false;
  for (char c : s) {
    if (c == '\r' || c == '\n') {
      pending = !out.empty();
      continue;
    }
    if (pending) out += "; ";
    pending = false;
    out += c;
    if (out.size() > 2 * kMaxValueLength) break;  // printable() caps it anyway
  }
  return printable(out);
}

// The address list of TLVs 0x0002/0x0016: a 32-bit count, then (protocol type, protocol length, protocol,
// address length, address) tuples. NLPID 0xcc is IPv4; 802.2 SNAP with EtherType 0x86dd is IPv6.
// Returns false when the list overruns its TLV.
bool addresses(Bytes v, std::vector<std::string>& out) {
  ByteReader r(v);
  std::uint32_t count = r.u32be();
  if (!r.ok()) return false;
  for (std::uint32_t i = 0; i < count && i < 16; ++i) {
    const std::uint8_t ptype = r.u8();
    const std::uint8_t plen = r.u8();
    Bytes proto = r.bytes(plen);
    const std::uint16_t alen = r.u16be();
    Bytes addr = r.bytes(alen);
    if (!r.ok()) return false;
    IpAddr ip;
    if (ptype == 1 && plen == 1 && proto[0] == 0xcc && alen == 4) {
      ip = IpAddr::v4_from_bytes(addr.data());
    } else if (ptype == 2 && plen == 8 && proto[6] == 0x86 && proto[7] == 0xdd && alen == 16) {
      ip = IpAddr::v6_from_bytes(addr.data());
    } else {
      continue;
    }
    // 0.0.0.0 is what a switch without a management interface announces: not an address of it.
    if (!ip.is_unspecified()) out.push_back(ip.to_string());
  }
  return true;
}

class CdpParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // SNAP OUI + protocol id identify CDP; the header's version is 1 or 2.
  bool probe(const PacketMeta& meta, Bytes payload) const override {
    return meta.snap_oui == kOuiCisco && meta.ethertype == kPidCdp && payload.size() >= 4 &&
           (payload[0] == 1 || payload[0] == 2);
  }

  ParseStatus parse(const PacketMeta&, Bytes payload, ObservationSink& sink) const override {
    ByteReader r(payload);
    const std::uint8_t version = r.u8();
    r.skip(1 + 2);  // TTL, checksum (not verified: a bad checksum does not make the text less true)
    if (!r.ok()) return ParseStatus::not_mine;
    auto fact = [&](std::string_view key, std::string_view value) {
      if (!value.empty()) sink.observe(Party::sender, key, value);
    };
    fact("cdp.version", std::to_string(version));
    bool malformed = false;
    // TLVs: type (2), length (2, including these 4 bytes), value. 802.3 frames may carry Ethernet padding
    // after the last TLV, so fewer than 4 remaining bytes end the list.
    while (r.remaining() >= 4) {
      const std::uint16_t type = r.u16be();
      const std::uint16_t len = r.u16be();
      if (len < 4) {
        if (type == 0 && len == 0) break;  // zero padding
        malformed = true;
        break;
      }
      Bytes v = r.bytes(len - 4u);
      if (!r.ok()) {
        malformed = true;
        break;
      }
      const std::string_view text = as_text(v);
      switch (type) {
        case kDeviceId: fact("cdp.device_id", printable(text)); break;
        case kPortId: fact("cdp.port_id", printable(text)); break;
        case kPlatform: fact("cdp.platform", printable(text)); break;
        case kSoftware:
          fact("cdp.software_version", first_line(text));
          fact("cdp.software_version_full", joined_lines(text));
          break;
        case kVtpDomain: fact("cdp.vtp_domain", printable(text)); break;
        case kSystemName: fact("cdp.system_name", printable(text)); break;
        case kNativeVlan:
          if (v.size() == 2) fact("cdp.native_vlan", std::to_string((v[0] << 8) | v[1]));
          else malformed = true;
          break;
        case kCapabilities: {
          if (v.size() != 4) {
            malformed = true;
            break;
          }
          const std::uint32_t bits = (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) |
                                     (std::uint32_t{v[2]} << 8) | v[3];
          std::string caps;
          for (std::size_t i = 0; i < 32; ++i) {
            if (!(bits & (1u << i))) continue;
            if (!caps.empty()) caps += ',';
            caps += i < std::size(kCapNames) ? std::string(kCapNames[i]) : "bit" + std::to_string(i);
          }
          fact("cdp.capabilities", caps);
          break;
        }
        case kAddresses:
        case kMgmtAddresses: {
          std::vector<std::string> list;
          if (!addresses(v, list)) malformed = true;
          for (const auto& a : list) fact(type == kAddresses ? "cdp.address" : "cdp.management_address", a);
          break;
        }
        default: break;  // duplex, power, prefixes, VoIP VLAN...: not identity
      }
    }
    if (malformed) {
      sink.anomaly("cdp.tlv_overrun");
      return ParseStatus::malformed;
    }
    return ParseStatus::ok;
  }

 private:
  ParserSpec spec_{"cdp", Transport::ethernet, {}, kFacts, kAnomalies};
};

}  // namespace

void register_parser_cdp(ParserRegistry& registry) { registry.add(std::make_unique<CdpParser>()); }

}  // namespace ww
