// BACnet/IP (ANSI/ASHRAE 135-2020): BVLC (Annex J.2) > NPDU (Clause 6.2) > APDU (Clause 20).
// Kept: I-Am (Clause 16.10.2: device instance and vendor identifier) and ReadProperty-ACK (Clause 15.5.1.3)
// on the Device object for object-name (77), model-name (70), firmware-revision (44),
// application-software-version (12), vendor-name (121) and vendor-identifier (120).
// Messages that arrived through a BACnet router (NPDU SNET present) or a BBMD (Forwarded-NPDU) describe a
// device that is not the IP sender, so they are not attributed to anyone.
// Vendor identifiers are ASHRAE-assigned; no Debian package ships that list as a data file (Wireshark
// compiles it into its dissector), so only the number is emitted.
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {47808};
constexpr FactDecl kFacts[] = {
    {"bacnet.device_instance", FactType::number, "", "I-Am (Clause 16.10.2) device identifier; object identifier of a Device ReadProperty-ACK", "`0`, `1234`"},
    {"bacnet.vendor_id", FactType::number, "", "I-Am vendorID; ReadProperty-ACK vendor-identifier (120)", "260"},
    {"bacnet.object_name", FactType::text, "", "ReadProperty-ACK object-name (77) of the Device object", "AHU-3 Controller"},
    {"bacnet.model_name", FactType::text, "", "model-name (70)", "PXC Modular"},
    {"bacnet.firmware_revision", FactType::text, "", "firmware-revision (44)", "FW 3.2.1"},
    {"bacnet.application_software_version", FactType::text, "", "application-software-version (12)", "APP 7.0"},
    {"bacnet.vendor_name", FactType::text, "", "vendor-name (121)", "Siemens"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"bacnet.truncated_npdu", "The BVLC/NPDU header or its optional network fields run past the datagram (ASHRAE 135 clause 6.2); the datagram is skipped."},
    {"bacnet.truncated_apdu", "The APDU header after the NPDU runs past the datagram (ASHRAE 135 clause 20.1); the datagram is skipped."},
    {"bacnet.truncated_i_am", "An I-Am request ends before its four application-tagged parameters (ASHRAE 135 clause 16.10.2); nothing is kept."},
    {"bacnet.bad_i_am", "An I-Am parameter has the wrong application tag or length (object identifier, max APDU, segmentation, vendor id); nothing is kept."},
    {"bacnet.bad_read_property_ack", "A ReadProperty-ACK whose context tags, opening/closing tag 3 or value lengths are wrong or run past the datagram (ASHRAE 135 clause 15.5); nothing is kept."},
};
constexpr std::uint8_t kBvlcType = 0x81;
constexpr std::uint32_t kDeviceObject = 8;

struct Tag {
  std::uint32_t number = 0;
  bool context = false, opening = false, closing = false;
  std::uint8_t lvt = 0;  // for application BOOLEAN the value itself
  Bytes data;
};

// Clause 20.2.1: tag number (15 = extended in the next octet), class bit, length/value/type with the
// extended forms 5 -> 1, 2 (254) or 4 (255) length octets, and 6/7 = opening/closing context tags.
bool read_tag(ByteReader& r, Tag& t) {
  const std::uint8_t b = r.u8();
  t = Tag{};
  t.number = b >> 4;
  if (t.number == 15) t.number = r.u8();
  t.context = (b & 0x08) != 0;
  t.lvt = b & 0x07;
  if (t.context && (t.lvt == 6 || t.lvt == 7)) {
    t.opening = t.lvt == 6;
    t.closing = t.lvt == 7;
    return r.ok();
  }
  if (!t.context && t.number == 1) return r.ok();  // BOOLEAN: no content octets
  std::uint32_t len = t.lvt;
  if (len == 5) {
    len = r.u8();
    if (len == 254) len = r.u16be();
    else if (len == 255) len = r.u32be();
  }
  t.data = r.bytes(len);
  return r.ok();
}

bool unsigned_value(Bytes b, std::uint32_t& out) {
  if (b.empty() || b.size() > 4) return false;
  out = 0;
  for (std::uint8_t x : b) out = (out << 8) | x;
  return true;
}

// Clause 20.2.9 CharacterString: first octet is the character set.
std::string character_string(Bytes b) {
  if (b.empty()) return {};
  const std::uint8_t charset = b[0];
  const Bytes s = b.subspan(1);
  if (charset == 0 || charset == 5) return printable(as_text(s));  // UTF-8 / ISO 8859-1
  if (charset == 4) {                                               // UCS-2, big-endian
    std::string narrow;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) narrow += s[i] == 0 ? static_cast<char>(s[i + 1]) : '?';
    return printable(narrow);
  }
  return hex(s);
}

class BacnetParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override {
    ByteReader r(payload);
    const std::uint8_t type = r.u8();
    const std::uint8_t function = r.u8();
    const std::uint16_t length = r.u16be();
    if (!r.ok() || type != kBvlcType || function > 0x0c || length != payload.size()) return false;
    if (function == 0x04) r.skip(6);  // Forwarded-NPDU: original B/IP address
    if (function == 0x04 || function == 0x09 || function == 0x0a || function == 0x0b) {
      return r.u8() == 0x01 && r.ok();  // NPDU protocol version 1
    }
    return true;
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    const std::uint8_t function = payload[1];
    if (function != 0x0a && function != 0x0b) return ParseStatus::ok;  // BBMD management, forwarded NPDUs
    ByteReader r(payload.subspan(4));
    r.skip(1);  // version
    const std::uint8_t control = r.u8();
    bool routed = false;
    if (control & 0x20) {  // DNET, DLEN, DADR
      r.skip(2);
      r.skip(r.u8());
    }
    if (control & 0x08) {  // SNET, SLEN, SADR: the APDU comes from a device behind a router
      routed = true;
      r.skip(2);
      r.skip(r.u8());
    }
    if (control & 0x20) r.skip(1);  // hop count
    if (!r.ok()) return bad(sink, "truncated_npdu");
    if (control & 0x80) return ParseStatus::ok;  // network layer message, no APDU
    if (routed) return ParseStatus::ok;
    const std::uint8_t pdu = r.u8();
    if (!r.ok()) return bad(sink, "truncated_apdu");
    switch (pdu >> 4) {
      case 1: {  // BACnet-Unconfirmed-Request-PDU (Clause 20.1.3)
        const std::uint8_t service = r.u8();
        if (r.ok() && service == 0) return parse_i_am(r, sink);
        return ParseStatus::ok;
      }
      case 3: {  // BACnet-ComplexACK-PDU (Clause 20.1.5)
        if (pdu & 0x08) return ParseStatus::ok;  // segmented: only the first segment would parse
        r.skip(1);                               // invoke id
        const std::uint8_t service = r.u8();
        if (r.ok() && service == 12) return parse_read_property_ack(r, sink);
        return ParseStatus::ok;
      }
      default: return ParseStatus::ok;
    }
  }

 private:
  static ParseStatus bad(ObservationSink& sink, std::string_view reason) {
    sink.anomaly("bacnet." + std::string(reason));
    return ParseStatus::malformed;
  }

  // I-Am-Request: iAmDeviceIdentifier, maxAPDULengthAccepted, segmentationSupported, vendorID.
  static ParseStatus parse_i_am(ByteReader& r, ObservationSink& sink) {
    Tag id, max_apdu, seg, vendor;
    if (!read_tag(r, id) || !read_tag(r, max_apdu) || !read_tag(r, seg) || !read_tag(r, vendor)) {
      return bad(sink, "truncated_i_am");
    }
    std::uint32_t oid = 0, vid = 0;
    if (id.context || id.number != 12 || !unsigned_value(id.data, oid) || id.data.size() != 4 ||
        (oid >> 22) != kDeviceObject || vendor.context || vendor.number != 2 || !unsigned_value(vendor.data, vid)) {
      return bad(sink, "bad_i_am");
    }
    sink.observe(Party::sender, "bacnet.device_instance", std::to_string(oid & 0x3fffff));
    sink.observe(Party::sender, "bacnet.vendor_id", std::to_string(vid));
    return ParseStatus::ok;
  }

  // ReadProperty-ACK: [0] objectIdentifier, [1] propertyIdentifier, [2] arrayIndex OPTIONAL,
  // [3] propertyValue (opening/closing tag 3 around application-tagged data).
  static ParseStatus parse_read_property_ack(ByteReader& r, ObservationSink& sink) {
    Tag obj, prop, t;
    std::uint32_t oid = 0, property = 0;
    if (!read_tag(r, obj) || !obj.context || obj.number != 0 || obj.data.size() != 4 ||
        !unsigned_value(obj.data, oid) || !read_tag(r, prop) || !prop.context || prop.number != 1 ||
        !unsigned_value(prop.data, property) || !read_tag(r, t)) {
      return bad(sink, "bad_read_property_ack");
    }
    if (t.context && t.number == 2 && !t.opening) {  // array index
      if (!read_tag(r, t)) return bad(sink, "bad_read_property_ack");
    }
    Tag value, close;
    if (!t.opening || t.number != 3 || !read_tag(r, value)) return bad(sink, "bad_read_property_ack");
    // A single value must be followed by closing tag [3]; lists (e.g. object-list) are not parsed.
    if (!read_tag(r, close)) return bad(sink, "bad_read_property_ack");
    if (!close.closing || close.number != 3) return ParseStatus::ok;
    if ((oid >> 22) != kDeviceObject || value.context) return ParseStatus::ok;
    sink.observe(Party::sender, "bacnet.device_instance", std::to_string(oid & 0x3fffff));
    std::string_view key;
    switch (property) {
      case 77: key = "bacnet.object_name"; break;
      case 70: key = "bacnet.model_name"; break;
      case 44: key = "bacnet.firmware_revision"; break;
      case 12: key = "bacnet.application_software_version"; break;
      case 121: key = "bacnet.vendor_name"; break;
      case 120: {
        std::uint32_t vid = 0;
        if (value.number == 2 && unsigned_value(value.data, vid)) {
          sink.observe(Party::sender, "bacnet.vendor_id", std::to_string(vid));
        }
        return ParseStatus::ok;
      }
      default: return ParseStatus::ok;
    }
    if (value.number != 7) return ParseStatus::ok;  // not a CharacterString
    const std::string text = character_string(value.data);
    if (!text.empty()) sink.observe(Party::sender, key, text);
    return ParseStatus::ok;
  }

  ParserSpec spec_{"bacnet", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_bacnet(ParserRegistry& registry) { registry.add(std::make_unique<BacnetParser>()); }

}  // namespace ww
