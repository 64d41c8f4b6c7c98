// SSDP (UPnP Device Architecture 2.0 §1): HTTP-formatted messages over UDP, usually 239.255.255.250:1900.
// NOTIFY (ssdp:alive/byebye, §1.2) and unicast M-SEARCH responses (HTTP/1.1 200, §1.3.3) describe the
// sending device; an M-SEARCH request (§1.3.2) describes the searching control point (its USER-AGENT).
// Header names are case-insensitive (RFC 7230 §3.2); lines end in CRLF, bare LF is tolerated.
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {1900};
constexpr FactDecl kFacts[] = {
    {"ssdp.server", FactType::text, "NOTIFY, search response", "", "Linux/3.10 UPnP/1.0 GE-Vivid/2.1"},
    {"ssdp.usn", FactType::id, "NOTIFY, search response", "", "uuid:4d69...::urn:schemas-upnp-org:device:MediaServer:1"},
    {"ssdp.nt", FactType::text, "NOTIFY", "", "urn:schemas-upnp-org:device:MediaServer:1"},
    {"ssdp.st", FactType::text, "search response", "", "upnp:rootdevice"},
    {"ssdp.location", FactType::text, "NOTIFY, search response", "", "http://10.1.2.3:49152/rootDesc.xml"},
    {"ssdp.user_agent", FactType::text, "M-SEARCH", "", "Google Chrome/99.0.4844.74 Mac OS X"},
    {"ssdp.search_target", FactType::text, "M-SEARCH", "", "urn:dial-multiscreen-org:service:dial:1"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"ssdp.no_headers", "A valid NOTIFY or M-SEARCH start line is followed by no 'name: value' header line before the blank line (64 lines looked at); nothing is reported, status malformed."},
};
constexpr std::size_t kMaxLines = 64;


bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

enum class Kind : std::uint8_t { none, notify, search, response };

// Splits off the next line (without its CR/LF); false at the end of the text.
bool next_line(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  const std::size_t nl = text.find('\n');
  line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

// Calls f(name, value) for each header line until the blank line; returns the number of headers.
template <typename F>
std::size_t for_each_header(std::string_view text, F&& f) {
  std::string_view line;
  next_line(text, line);  // start line
  std::size_t n = 0;
  for (std::size_t i = 0; i < kMaxLines && next_line(text, line); ++i) {
    if (line.empty()) break;  // end of headers
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    ++n;
    f(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return n;
}

Kind classify(std::string_view text) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos || nl > 128) return Kind::none;
  const std::string_view start = trim(text.substr(0, nl));
  if (starts_with(start, "NOTIFY * HTTP/1.")) return Kind::notify;
  if (starts_with(start, "M-SEARCH * HTTP/1.")) return Kind::search;
  if (starts_with(start, "HTTP/1.1 200") || starts_with(start, "HTTP/1.0 200")) {
    // A plain HTTP response is only SSDP when it carries the search-response headers (§1.3.3).
    bool ssdp = false;
    for_each_header(text, [&](std::string_view name, std::string_view) {
      ssdp = ssdp || iequals(name, "ST") || iequals(name, "USN");
    });
    return ssdp ? Kind::response : Kind::none;
  }
  return Kind::none;
}

class SsdpParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override { return classify(as_text(payload)) != Kind::none; }

  ParseStatus parse(const PacketMeta&, Bytes payload, ObservationSink& sink) const override {
    const std::string_view text = as_text(payload);
    const Kind kind = classify(text);
    if (kind == Kind::none) return ParseStatus::not_mine;
    const std::size_t headers = for_each_header(text, [&](std::string_view name, std::string_view value) {
      if (value.empty()) return;
      if (kind == Kind::search) {
        if (iequals(name, "USER-AGENT")) sink.observe(Party::sender, "ssdp.user_agent", printable(value));
        else if (iequals(name, "ST")) sink.observe(Party::sender, "ssdp.search_target", printable(value));
        return;
      }
      if (iequals(name, "SERVER")) sink.observe(Party::sender, "ssdp.server", printable(value));
      else if (iequals(name, "USN")) sink.observe(Party::sender, "ssdp.usn", printable(value));
      else if (iequals(name, "LOCATION")) sink.observe(Party::sender, "ssdp.location", printable(value));
      else if (kind == Kind::notify && iequals(name, "NT")) sink.observe(Party::sender, "ssdp.nt", printable(value));
      else if (kind == Kind::response && iequals(name, "ST")) sink.observe(Party::sender, "ssdp.st", printable(value));
    });
    if (headers == 0) {
      sink.anomaly("ssdp.no_headers");
      return ParseStatus::malformed;
    }
    return ParseStatus::ok;
  }

 private:
  ParserSpec spec_{"ssdp", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_ssdp(ParserRegistry& registry) { registry.add(std::make_unique<SsdpParser>()); }

}  // namespace ww
