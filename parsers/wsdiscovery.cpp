// WS-Discovery (2005/04 draft and OASIS WS-DD 1.1, 2009), SOAP-over-UDP on udp/3702.
// Hello, ProbeMatches and ResolveMatches describe the sending target service: its Types (e.g.
// "wsdp:Device pub:Computer", "dn:NetworkVideoTransmitter" for ONVIF cameras, "wprt:PrintDeviceType"),
// Scopes, XAddrs (transport URLs) and endpoint address (urn:uuid). Probe and Resolve come from clients and
// only say that (wsd.message). Windows' Function Discovery may add <pub:Computer>NAME/Workgroup:WG</...>.
//
// IEEE 11073 SDC medical devices (IEEE 11073-20702 MDPWS, -20701 SDC architecture) announce themselves
// with the type mdpws:MedicalDevice and SDC scopes (-20701 §9.3-9.4): sdc.mds.pkp:<OID> (participant key
// purposes), sdc.cdc.type:<coded MDS type>, and context scopes sdc.ctxt.<type>:. Only the location context
// (sdc.ctxt.loc: facility, building, floor, point of care, room, bed) is kept, as location; the patient
// (sdc.ctxt.pat), operator, workflow, ensemble and means contexts identify people or their care and are
// dropped whole, never even shown as a scope.
//
// No XML library: a bounded scanner finds elements by local name (any namespace prefix) and takes their text
// up to the next '<'. No entity decoding, no DTDs, nothing is resolved or fetched -- the values are only
// shown, through printable().
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"
#include "wardwatch/xml_scan.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {3702};
constexpr FactDecl kFacts[] = {
    {"sdc.medical_device", FactType::code, "", "`Types` holds `MedicalDevice` in the IEEE 11073-20702 namespace (an SDC provider)", "`yes`"},
    {"sdc.pkp", FactType::id, "", "scope `sdc.mds.pkp:` (participant key purpose OID, -20701 §9.3)", "1.2.840.10004.20701.1.1"},
    {"sdc.mds_type", FactType::text, "", "scope `sdc.cdc.type:` (the coded MDS type, percent-decoded, without query)", "/urn:oid:1.2.840.10004.1.1.1.0.0.1//69837"},
    {"sdc.facility", FactType::text, "", "location scope `sdc.ctxt.loc:` query `fac` (or the fallback extension's 1st part)", "HOSP"},
    {"sdc.building", FactType::text, "", "location `bldng` (2nd part)", "B"},
    {"sdc.floor", FactType::text, "", "location `flr` (3rd part)", "3"},
    {"sdc.point_of_care", FactType::text, "", "location `poc` (4th part)", "ICU1"},
    {"sdc.room", FactType::text, "", "location `rm` (5th part)", "R12"},
    {"sdc.bed", FactType::text, "", "location `bed` (6th part)", "Bed 4"},
    {"wsd.message", FactType::code, "", "last path segment of `wsa:Action` (every message)", "`Hello`, `Bye`, `Probe`, `ProbeMatches`, `Resolve`, `ResolveMatches`"},
    {"wsd.types", FactType::list, "", "`Types`, one value per QName", "`wsdp:Device`, `pub:Computer`, `dn:NetworkVideoTransmitter`"},
    {"wsd.scopes", FactType::list, "", "`Scopes`, one value per URI", "onvif://www.onvif.org/hardware/P3245"},
    {"wsd.xaddrs", FactType::list, "", "`XAddrs`, one value per URL", "http://10.0.2.15:5357/747f3d96-.../"},
    {"wsd.endpoint", FactType::id, "", "`EndpointReference/Address`", "urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358"},
    {"wsd.computer", FactType::text, "", "text of a `pub:Computer` element, when present", "CAM-07/Workgroup:WORKGROUP"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"wsd.no_action", "A SOAP envelope declaring a WS-Discovery namespace has no Action element, or its Action has no '/'-separated message name at the end; nothing is reported, status malformed."},
};
constexpr std::size_t kMaxPerElement = 8;   // matches of one element name per message
constexpr std::size_t kMaxTokens = 16;      // list items per element
constexpr std::string_view kNs2005 = "schemas.xmlsoap.org/ws/2005/04/discovery";
constexpr std::string_view kNs2009 = "docs.oasis-open.org/ws-dd/ns/discovery/2009/01";
// IEEE 11073-20702-2016 (MDPWS) namespace, which defines the MedicalDevice type.
constexpr std::string_view kNsMdpws = "standards.ieee.org/downloads/11073/11073-20702-2016";
constexpr std::size_t kMaxLocationPart = 64;  // characters of one location part kept

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

template <typename F>
void for_each_token(std::string_view list, F&& f) {
  std::size_t n = 0;
  while (!list.empty() && n < kMaxTokens) {
    while (!list.empty() && is_space(list.front())) list.remove_prefix(1);
    std::size_t end = 0;
    while (end < list.size() && !is_space(list[end])) ++end;
    if (end == 0) break;
    f(list.substr(0, end));
    list.remove_prefix(end);
    ++n;
  }
}

// %XX decoding (RFC 3986 §2.1) of a scope part; a malformed escape is kept as written.
std::string percent_decoded(std::string_view s) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_oid(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("0123456789.") == std::string_view::npos;
}

// The location context scope (IEEE 11073-20701 §9.4.1): sdc.ctxt.loc:/<root>/<extension>?fac=&bldng=&flr=
// &poc=&rm=&bed= (the query's parameters are optional and its `&` may arrive as `&amp;`: the scanner does not
// decode entities). Without a query, the fallback instance identifier (§9.4.1.1: root sdc.ctxt.loc.detail,
// extension fac/bldng/flr/poc/rm/bed, each part percent-encoded) gives the same six parts.
void location_scope(std::string_view rest, ObservationSink& sink) {
  static constexpr std::pair<std::string_view, std::string_view> kParts[] = {
      {"fac", "sdc.facility"}, {"bldng", "sdc.building"}, {"flr", "sdc.floor"},
      {"poc", "sdc.point_of_care"}, {"rm", "sdc.room"}, {"bed", "sdc.bed"}};
  auto emit = [&](std::string_view key, std::string_view raw) {
    const std::string value = percent_decoded(raw.substr(0, 3 * kMaxLocationPart));
    if (!value.empty()) sink.observe(Party::sender, key, printable(std::string_view(value).substr(0, kMaxLocationPart)));
  };
  const std::size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      std::size_t skip = amp == std::string_view::npos ? query.size() : amp + 1;
      if (amp != std::string_view::npos && query.substr(amp, 5) == "&amp;") skip = amp + 5;
      const std::size_t eq = param.find('=');
      if (eq != std::string_view::npos) {
        for (const auto& [name, key] : kParts) {
          if (param.substr(0, eq) == name) emit(key, param.substr(eq + 1));
        }
      }
      query.remove_prefix(skip);
    }
    return;
  }
  constexpr std::string_view kFallbackRoot = "/sdc.ctxt.loc.detail/";
  if (rest.substr(0, kFallbackRoot.size()) != kFallbackRoot) return;  // a site's own root: an opaque identifier
  std::string_view ext = rest.substr(kFallbackRoot.size());
  for (const auto& [name, key] : kParts) {
    const std::size_t slash = ext.find('/');
    emit(key, ext.substr(0, slash));
    if (slash == std::string_view::npos) break;
    ext.remove_prefix(slash + 1);
  }
}

// One scope URI: SDC scopes are taken apart (or dropped, for the contexts that concern people); any
// other is kept whole as wsd.scopes.
void scope(std::string_view uri, ObservationSink& sink) {
  constexpr std::string_view kLocation = "sdc.ctxt.loc:", kPkp = "sdc.mds.pkp:", kType = "sdc.cdc.type:";
  if (uri.substr(0, 4) != "sdc.") {
    sink.observe(Party::sender, "wsd.scopes", printable(uri));
  } else if (uri.substr(0, kLocation.size()) == kLocation) {
    location_scope(uri.substr(kLocation.size()), sink);
  } else if (uri.substr(0, kPkp.size()) == kPkp) {
    if (is_oid(uri.substr(kPkp.size()))) sink.observe(Party::sender, "sdc.pkp", uri.substr(kPkp.size()));
  } else if (uri.substr(0, kType.size()) == kType) {
    const std::string_view type = uri.substr(kType.size()).substr(0, uri.substr(kType.size()).find('?'));
    const std::string value = percent_decoded(type.substr(0, 256));
    if (!value.empty()) sink.observe(Party::sender, "sdc.mds_type", printable(std::string_view(value).substr(0, 128)));
  }
  // sdc.ctxt.pat, .opr, .wfl, .ens, .mns and any other sdc. scope: never kept.
}

class WsDiscoveryParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override {
    std::string_view xml = as_text(payload);
    if (xml.substr(0, 3) == "\xef\xbb\xbf") xml.remove_prefix(3);  // UTF-8 BOM
    while (!xml.empty() && is_space(xml.front())) xml.remove_prefix(1);
    if (xml.empty() || xml[0] != '<') return false;
    // A SOAP envelope that declares a WS-Discovery namespace.
    return xml.find("Envelope") != std::string_view::npos &&
           (xml.find(kNs2005) != std::string_view::npos || xml.find(kNs2009) != std::string_view::npos);
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    const std::string_view xml = as_text(payload);
    std::string_view action;
    for_each_element(xml, "Action", 1, [&](std::string_view text) { action = text; });
    const std::size_t slash = action.rfind('/');
    const std::string_view message = slash == std::string_view::npos ? std::string_view{} : action.substr(slash + 1);
    if (message.empty()) {
      sink.anomaly("wsd.no_action");
      return ParseStatus::malformed;
    }
    sink.observe(Party::sender, "wsd.message", printable(message));
    const bool describes_sender = message == "Hello" || message == "ProbeMatches" ||
                                  message == "ResolveMatches" || message == "Bye";
    if (!describes_sender) return ParseStatus::ok;
    auto list = [&](std::string_view element, std::string_view key) {
      for_each_element(xml, element, kMaxPerElement, [&](std::string_view text) {
        for_each_token(text, [&](std::string_view tok) { sink.observe(Party::sender, key, printable(tok)); });
      });
    };
    list("Types", "wsd.types");
    list("XAddrs", "wsd.xaddrs");
    for_each_element(xml, "Scopes", kMaxPerElement, [&](std::string_view text) {
      for_each_token(text, [&](std::string_view tok) { scope(tok, sink); });
    });
    // An SDC provider: the MedicalDevice type from the MDPWS namespace (IEEE 11073-20702 §5.2 / Annex).
    bool medical = false;
    for_each_element(xml, "Types", kMaxPerElement, [&](std::string_view text) {
      for_each_token(text, [&](std::string_view tok) {
        const std::size_t colon = tok.find(':');
        medical = medical || (colon == std::string_view::npos ? tok : tok.substr(colon + 1)) == "MedicalDevice";
      });
    });
    if (medical && xml.find(kNsMdpws) != std::string_view::npos) sink.observe(Party::sender, "sdc.medical_device", "yes");
    // The EndpointReference/Address of the target service (a stable urn:uuid).
    for_each_element(xml, "Address", kMaxPerElement, [&](std::string_view text) {
      if (!text.empty()) sink.observe(Party::sender, "wsd.endpoint", printable(text));
    });
    for_each_element(xml, "Computer", 1, [&](std::string_view text) {
      if (!text.empty()) sink.observe(Party::sender, "wsd.computer", printable(text));
    });
    return ParseStatus::ok;
  }

 private:
  ParserSpec spec_{"wsd", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_wsdiscovery(ParserRegistry& registry) { registry.add(std::make_unique<WsDiscoveryParser>()); }

}  // namespace ww
