// WS-Discovery (2005/04 draft and OASIS WS-DD 1.1, 2009), SOAP-over-UDP on udp/3702.
// Hello, ProbeMatches and ResolveMatches describe the sending target service: its Types (e.g.
// "wsdp:Device pub:Computer", "dn:NetworkVideoTransmitter" for ONVIF cameras, "wprt:PrintDeviceType"),
// Scopes, XAddrs (transport URLs) and endpoint address (urn:uuid). Probe and Resolve come from clients and
// only say that (wsd.message). Windows' Function Discovery may add <pub:Computer>NAME/Workgroup:WG</...>.
//
// No XML library: a bounded scanner finds elements by local name (any namespace prefix) and takes their text
// up to the next '<'. No entity decoding, no DTDs, nothing is resolved or fetched -- the values are only
// shown, through printable().
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {3702};
constexpr FactDecl kFacts[] = {
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

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Calls f(text) for the character content of each element whose local name is `local` (at most `max`).
template <typename F>
void for_each_element(std::string_view xml, std::string_view local, std::size_t max, F&& f) {
  std::size_t pos = 0, found = 0;
  while (found < max) {
    const std::size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos || lt + 1 >= xml.size()) return;
    pos = lt + 1;
    const char first = xml[pos];
    if (first == '/' || first == '?' || first == '!') continue;
    std::size_t end = pos;
    while (end < xml.size() && !is_space(xml[end]) && xml[end] != '>' && xml[end] != '/') ++end;
    std::string_view qname = xml.substr(pos, end - pos);
    const std::size_t colon = qname.find(':');
    if (colon != std::string_view::npos) qname.remove_prefix(colon + 1);
    if (qname != local) continue;
    const std::size_t gt = xml.find('>', end);
    if (gt == std::string_view::npos) return;
    if (xml[gt - 1] == '/') continue;  // empty element
    const std::size_t close = xml.find('<', gt + 1);
    if (close == std::string_view::npos) return;
    ++found;
    f(trim(xml.substr(gt + 1, close - gt - 1)));
    pos = close;
  }
}

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
    list("Scopes", "wsd.scopes");
    list("XAddrs", "wsd.xaddrs");
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
