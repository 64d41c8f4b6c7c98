// LLDP, IEEE 802.1AB-2016 (EtherType 0x88cc), with the LLDP-MED inventory extension (ANSI/TIA-1057,
// organizationally specific TLVs under OUI 00-12-BB). A switch, phone or medical device that speaks LLDP
// announces its own name, model, firmware and serial number: all facts are about the frame's sender.
#include <array>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kEtherTypeLldp = 0x88cc;
constexpr FactDecl kFacts[] = {
    {"lldp.chassis_id", FactType::text, "", "TLV 1, shown `<subtype>:<value>`; MAC subtype formatted as a MAC, network-address subtype as an IP", "`mac:00:22:2d:81:db:10`, `network_address:192.168.1.2`"},
    {"lldp.port_id", FactType::text, "", "TLV 2, same form (`interface_alias`, `port_component`, `mac`, `network_address`, `interface_name`, `agent_circuit_id` (hex), `local`)", "`local:Fa0/13`, `interface_name:leaf0b-eth10`"},
    {"lldp.port_description", FactType::text, "", "TLV 4", "GigabitEthernet0/13"},
    {"lldp.system_name", FactType::text, "", "TLV 5", "S2.cisco.com"},
    {"lldp.system_description", FactType::text, "", "TLV 6; line breaks joined with `\"; \"`", "Cisco IOS Software, C3560 Software (...), Version 12.2(44)SE, RELEASE SOFTWARE (fc1); Copyright (c) ..."},
    {"lldp.capabilities", FactType::list, "", "TLV 7, supported capabilities (802.1AB §8.5.8.1 names)", "bridge,router"},
    {"lldp.capabilities_enabled", FactType::code, "", "TLV 7, enabled capabilities", "bridge"},
    {"lldp.management_address", FactType::address, "", "TLV 8 (IPv4, IPv6, MAC; others `af<N>:<hex>`), one observation per TLV", "192.168.2.10"},
    {"lldp.med.device_class", FactType::code, "", "LLDP-MED capabilities TLV (subtype 1) device type", "`endpoint_class_1`, `endpoint_class_2`, `endpoint_class_3`, `network_connectivity`, `not_defined`"},
    {"lldp.med.hardware_revision", FactType::text, "", "LLDP-MED inventory subtype 5", "HW 2.1"},
    {"lldp.med.firmware_revision", FactType::text, "", "subtype 6", "FW 4.0.3"},
    {"lldp.med.software_revision", FactType::text, "", "subtype 7", "SW 11.2"},
    {"lldp.med.serial_number", FactType::id, "", "subtype 8", "SN123456"},
    {"lldp.med.manufacturer", FactType::text, "", "subtype 9", "Acme Medical"},
    {"lldp.med.model", FactType::text, "", "subtype 10", "InfuseMax 3000"},
    {"lldp.med.asset_id", FactType::text, "", "subtype 11", "BIOMED-0042"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"lldp.mandatory_tlv_order", "The LLDPDU does not start with the chassis ID, port ID and TTL TLVs in that order (802.1AB §9.2); it is only noted, every TLV is still read and reported."},
    {"lldp.tlv_overrun", "A TLV runs past the frame (parsing stops there), or a chassis/port ID, capabilities, management-address or LLDP-MED TLV has an impossible length (that TLV is dropped); earlier TLVs are kept, status malformed."},
};

// 802.1AB §8.4 TLV type values.
enum : std::uint8_t {
  kEnd = 0, kChassisId = 1, kPortId = 2, kTtl = 3, kPortDesc = 4, kSysName = 5, kSysDesc = 6, kSysCaps = 7,
  kMgmtAddr = 8, kOrgSpecific = 127,
};
constexpr std::uint32_t kOuiMed = 0x0012bb;  // TIA-1057 §10.2

// 802.1AB §8.5.8.1 system capabilities bits (bit 0 first).
constexpr std::array<std::string_view, 11> kCapNames{
    "other", "repeater", "bridge", "wlan_ap", "router", "telephone", "docsis", "station", "c_vlan", "s_vlan",
    "tpmr"};

std::string mac_text(Bytes b) {
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i) out += ':';
    out += kHexDigits[b[i] >> 4];
    out += kHexDigits[b[i] & 0xf];
  }
  return out;
}

// A network address as carried by LLDP (IANA address family number first, RFC 3232 / IANA registry).
std::string network_address(Bytes b) {
  if (b.size() == 5 && b[0] == 1) return IpAddr::v4_from_bytes(b.data() + 1).to_string();
  if (b.size() == 17 && b[0] == 2) return IpAddr::v6_from_bytes(b.data() + 1).to_string();
  if (b.size() == 7 && b[0] == 6) return mac_text(b.subspan(1));  // family 6: IEEE 802 MAC
  return "af" + std::to_string(b.empty() ? 0 : b[0]) + ":" + hex(b.empty() ? b : b.subspan(1));
}

// Multi-line strings (Cisco system descriptions) become one line: CR/LF runs are joined with "; ".
std::string one_line(std::string_view s) {
  std::string out;
  bool pending_break = false;
  for (char c : s) {
    if (c == '\r' || c == '\n') {
      pending_break = !out.empty();
      continue;
    }
    if (pending_break) out += "; ";
    pending_break = false;
    out += c;
  }
  return printable(out);
}

// Chassis ID (§8.5.2) and port ID (§8.5.3): the subtype says how to read the value. Shown as
// "<subtype>:<value>" so that a MAC chassis ID cannot be confused with an interface name.
std::string id_value(bool chassis, std::uint8_t subtype, Bytes v) {
  // Subtypes that differ between the two TLVs: chassis 4 = MAC, 5 = network address, 6 = interface name;
  // port 3 = MAC, 4 = network address, 5 = interface name, 6 = agent circuit ID.
  std::string_view kind;
  if (chassis) {
    static constexpr std::string_view names[] = {"", "chassis_component", "interface_alias", "port_component",
                                                 "mac", "network_address", "interface_name", "local"};
    kind = subtype < std::size(names) ? names[subtype] : "";
  } else {
    static constexpr std::string_view names[] = {"", "interface_alias", "port_component", "mac",
                                                 "network_address", "interface_name", "agent_circuit_id",
                                                 "local"};
    kind = subtype < std::size(names) ? names[subtype] : "";
  }
  std::string value;
  if (kind == "mac" && v.size() == 6) {
    value = mac_text(v);
  } else if (kind == "network_address") {
    value = network_address(v);
  } else if (kind == "agent_circuit_id") {
    value = hex(v);
  } else {
    value = printable(as_text(v));
  }
  if (kind.empty()) return "subtype" + std::to_string(subtype) + ":" + value;
  return std::string(kind) + ":" + value;
}

std::string capability_list(std::uint16_t bits) {
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    if (!(bits & (1u << i))) continue;
    if (!out.empty()) out += ',';
    out += i < kCapNames.size() ? std::string(kCapNames[i]) : "bit" + std::to_string(i);
  }
  return out;
}

class LldpParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // The EtherType is the protocol's registration (IEEE 802.1AB §9.3); the first TLV must be a chassis ID.
  bool probe(const PacketMeta& meta, Bytes payload) const override {
    return meta.ethertype == kEtherTypeLldp && meta.snap_oui == 0 && payload.size() >= 2 &&
           (payload[0] >> 1) == kChassisId;
  }

  ParseStatus parse(const PacketMeta&, Bytes payload, ObservationSink& sink) const override {
    ByteReader r(payload);
    auto fact = [&](std::string_view key, std::string_view value) {
      if (!value.empty()) sink.observe(Party::sender, key, value);
    };
    // §9.2: an LLDPDU starts with chassis ID, port ID and TTL, in this order.
    int index = 0;
    bool order_ok = true;
    bool malformed = false;
    while (!r.empty()) {
      const std::uint16_t header = r.u16be();
      const std::uint8_t type = static_cast<std::uint8_t>(header >> 9);
      const std::uint16_t len = header & 0x01ff;
      if (!r.ok()) {
        malformed = true;
        break;
      }
      if (type == kEnd) break;  // §8.5.1; anything after it is Ethernet padding
      Bytes v = r.bytes(len);
      if (!r.ok()) {
        malformed = true;
        break;
      }
      if (index < 3 && type != static_cast<std::uint8_t>(kChassisId + index)) order_ok = false;
      ++index;
      switch (type) {
        case kChassisId:
        case kPortId:
          if (len < 2) {
            malformed = true;
            break;
          }
          fact(type == kChassisId ? "lldp.chassis_id" : "lldp.port_id", id_value(type == kChassisId, v[0], v.subspan(1)));
          break;
        case kPortDesc: fact("lldp.port_description", one_line(as_text(v))); break;
        case kSysName: fact("lldp.system_name", one_line(as_text(v))); break;
        case kSysDesc: fact("lldp.system_description", one_line(as_text(v))); break;
        case kSysCaps:
          if (len != 4) {
            malformed = true;
            break;
          }
          fact("lldp.capabilities", capability_list(static_cast<std::uint16_t>((v[0] << 8) | v[1])));
          fact("lldp.capabilities_enabled", capability_list(static_cast<std::uint16_t>((v[2] << 8) | v[3])));
          break;
        case kMgmtAddr: {
          // §8.5.9: address string length (covers the subtype byte), subtype, address, interface, OID.
          ByteReader m(v);
          const std::uint8_t alen = m.u8();
          Bytes addr = m.bytes(alen);
          if (!m.ok() || alen < 2) {
            malformed = true;
            break;
          }
          fact("lldp.management_address", network_address(addr));
          break;
        }
        case kOrgSpecific: org_specific(v, fact, malformed); break;
        default: break;  // TTL and reserved types carry nothing about the device's identity
      }
    }
    if (!order_ok) sink.anomaly("lldp.mandatory_tlv_order");
    if (malformed) {
      sink.anomaly("lldp.tlv_overrun");
      return ParseStatus::malformed;
    }
    return ParseStatus::ok;
  }

 private:
  template <typename Fact>
  static void org_specific(Bytes v, Fact& fact, bool& malformed) {
    ByteReader o(v);
    const std::uint32_t oui = o.u24be();
    const std::uint8_t subtype = o.u8();
    if (!o.ok()) {
      malformed = true;
      return;
    }
    if (oui != kOuiMed) return;  // IEEE 802.1/802.3 TLVs (VLANs, PoE, ...) are not identity
    const Bytes rest = o.rest();
    const std::string_view text = as_text(rest);
    switch (subtype) {
      case 1: {
        // TIA-1057 §10.2.2: LLDP-MED capabilities (2 bytes), then the device type.
        if (rest.size() != 3) {
          malformed = true;
          return;
        }
        static constexpr std::string_view classes[] = {"not_defined", "endpoint_class_1", "endpoint_class_2",
                                                       "endpoint_class_3", "network_connectivity"};
        const std::uint8_t t = rest[2];
        fact("lldp.med.device_class", t < std::size(classes) ? std::string(classes[t]) : "reserved" + std::to_string(t));
        break;
      }
      // §10.2.6: inventory management TLVs, each a plain string of at most 32 bytes.
      case 5: fact("lldp.med.hardware_revision", printable(text)); break;
      case 6: fact("lldp.med.firmware_revision", printable(text)); break;
      case 7: fact("lldp.med.software_revision", printable(text)); break;
      case 8: fact("lldp.med.serial_number", printable(text)); break;
      case 9: fact("lldp.med.manufacturer", printable(text)); break;
      case 10: fact("lldp.med.model", printable(text)); break;
      case 11: fact("lldp.med.asset_id", printable(text)); break;
      default: break;  // network policy, location, power: not identity
    }
  }

  ParserSpec spec_{"lldp", Transport::ethernet, {}, kFacts, kAnomalies};
};

}  // namespace

void register_parser_lldp(ParserRegistry& registry) { registry.add(std::make_unique<LldpParser>()); }

}  // namespace ww
