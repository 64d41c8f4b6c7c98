// HTTP/1.x message heads (RFC 9112) of the first few requests and responses of a connection: the
// client's User-Agent, the Host it asks for, the server's Server and X-Powered-By headers. Bodies are
// skipped by their framing (Content-Length or chunked, RFC 9112 §6-7), except an XML response body that
// is a UPnP device description (UPnP Device Architecture 2.0 §2.3, urn:schemas-upnp-org:device-1-0):
// printers, cameras, TVs and many networked medical peripherals describe themselves there.
// Clinical web APIs are recognised from the request line and the media types, never kept: an HL7 FHIR
// REST API (FHIR R4 http.html) and DICOMweb (DICOM PS3.18: QIDO-RS, WADO-RS, STOW-RS, WADO-URI). A request
// target carries patient identifiers (`/fhir/Patient?name=...`, `?PatientName=...`, study UIDs): it is
// classified into one of a few codes and dropped; no part of it is ever a fact.
#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"
#include "wardwatch/xml_scan.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {80, 8080, 8000, 8008, 631, 5000, 49152, 1900, 2869, 8042};
constexpr FactDecl kFacts[] = {
    {"http.user_agent", FactType::text, "sender (client)", "`User-Agent`", "CUPS/1.3.4"},
    {"http.host", FactType::text, "receiver (the server the Host names)", "`Host`", "10.10.10.251"},
    {"http.server", FactType::text, "sender (server)", "`Server`", "Virata-EmWeb/R6_2_1"},
    {"http.powered_by", FactType::text, "sender (server)", "`X-Powered-By`", "PHP/5.6"},
    {"http.api_used", FactType::code, "client (sender of the request)",
     "the request's API, classified from its target and media types (the target itself is never kept)",
     "`fhir`, `dicomweb-qido`, `dicomweb-wado`, `dicomweb-stow`, `dicom-wado-uri`, `dicomweb`"},
    {"http.api_served", FactType::code, "server (sender of the response)",
     "the same classification, when the server answered it with a 2xx status or a FHIR/DICOM media type",
     "`fhir`, `dicomweb-stow`"},
    {"http.fhir_version", FactType::code, "sender",
     "`fhirVersion` parameter of a FHIR media type in `Content-Type` (FHIR R4 http.html#mime-type)", "4.0"},
    {"dpws.manufacturer", FactType::text, "sender (server)", "DPWS metadata `ThisModel/Manufacturer`", "Draeger"},
    {"dpws.model_name", FactType::text, "sender", "`ThisModel/ModelName`", "Infinity Delta"},
    {"dpws.model_number", FactType::text, "sender", "`ThisModel/ModelNumber`", "MS18986"},
    {"dpws.friendly_name", FactType::text, "sender", "`ThisDevice/FriendlyName`", "ICU1 Bed 4 monitor"},
    {"dpws.firmware_version", FactType::text, "sender", "`ThisDevice/FirmwareVersion`", "VF10.2"},
    {"dpws.serial_number", FactType::id, "sender", "`ThisDevice/SerialNumber`", "5393018772"},
    {"upnp.friendly_name", FactType::text, "sender (server)", "UPnP description `<friendlyName>`", "Ward 3 Printer & Scanner"},
    {"upnp.manufacturer", FactType::text, "sender", "`<manufacturer>`", "Brother"},
    {"upnp.model_name", FactType::text, "sender", "`<modelName>`", "MFC-L8900CDW"},
    {"upnp.model_number", FactType::text, "sender", "`<modelNumber>`", "L8900"},
    {"upnp.serial_number", FactType::id, "sender", "`<serialNumber>`", "E78123A9N123456"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"http.bad_chunk", "A chunk-size line (RFC 9112 §7.1) does not start with a hex digit, has more than 12 hex digits, or has no line end within 1024 bytes; the direction is given up."},
    {"http.bad_content_length", "A Content-Length value is empty, not all digits or longer than 15 digits; the headers read before it are kept and the direction is given up."},
    {"http.bad_request_line", "The first line of a client message is not 'METHOD target HTTP/1.x' with a known method (RFC 9112 §3); the client direction is given up."},
    {"http.bad_status_line", "The first line of a server message is not 'HTTP/1.x' followed by a 3-digit status code (RFC 9112 §4); the server direction is given up."},
    {"http.head_too_large", "A message head (start line and headers) has no ending empty line within 16 KiB; the direction is given up."},
};
constexpr std::size_t kMaxHeadBytes = 16 * 1024;  // a message head larger than this is not worth waiting for
constexpr std::size_t kMaxXmlBytes = 16 * 1024;   // body bytes of a device description examined
constexpr int kMaxMessages = 4;                   // requests (and responses) examined per connection

// RFC 9110 §9 methods plus WebDAV (RFC 4918) and UPnP GENA (UDA 2.0 §4) methods seen on TCP.
constexpr std::string_view kMethods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "PROPFIND", "PROPPATCH",
    "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH", "SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY"};

// "METHOD SP target SP HTTP/1.x" (RFC 9112 §3).
bool is_request_line(std::string_view line, std::string_view& method) {
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  method = line.substr(0, sp);
  if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) return false;
  const std::size_t last = line.rfind(' ');
  return last > sp && line.substr(last + 1).substr(0, 7) == "HTTP/1.";
}
// "HTTP/1.x SP 3DIGIT" (RFC 9112 §4).
bool is_status_line(std::string_view line, int& status) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  status = 0;
  for (int i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[static_cast<std::size_t>(i)]))) return false;
    status = status * 10 + (line[static_cast<std::size_t>(i)] - '0');
  }
  return true;
}

// The request-target of a request line already checked by is_request_line: between the two spaces.
std::string_view request_target(std::string_view line) {
  const std::size_t sp = line.find(' ');
  const std::size_t last = line.rfind(' ');
  return last > sp + 1 ? line.substr(sp + 1, last - sp - 1) : std::string_view{};
}

// End of the message head (the empty line), counted from the start of `s`; npos if not yet seen.
std::size_t head_end(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

// The clinical web APIs a request can be classified as (header comment). `none`: not recognised.
enum class Api : std::uint8_t { none, fhir, dicomweb, qido, wado, stow, wado_uri };

std::string_view api_code(Api api) {
  switch (api) {
    case Api::fhir: return "fhir";
    case Api::dicomweb: return "dicomweb";
    case Api::qido: return "dicomweb-qido";
    case Api::wado: return "dicomweb-wado";
    case Api::stow: return "dicomweb-stow";
    case Api::wado_uri: return "dicom-wado-uri";
    case Api::none: break;
  }
  return "";
}

// FHIR's media types: application/fhir+json and +xml (R4 http.html#mime-type), and DSTU2's json+fhir/xml+fhir.
bool is_fhir_media(std::string_view v) {
  return icontains(v, "application/fhir+") || icontains(v, "+fhir");
}
// DICOM's media types (PS3.18 §8.7): application/dicom, application/dicom+json, application/dicom+xml, and
// multipart/related; type="application/dicom..." which carries them.
bool is_dicom_media(std::string_view v) { return icontains(v, "application/dicom"); }

// A DICOM UID as it appears in a DICOMweb path (PS3.5 §9.1: digits and dots, at most 64 characters).
bool is_uid(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s.find('.') != std::string_view::npos &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// The request-target's path segments (origin-form or absolute-form, RFC 9112 §3.2), without the query,
// and the query. Up to 16 segments: enough for the deepest DICOMweb resource (PS3.18 §10.4, frames).
struct Target {
  std::array<std::string_view, 16> segments{};
  std::size_t count = 0;
  std::string_view query;
};
Target split_target(std::string_view target) {
  Target t;
  if (const std::size_t scheme = target.find("://"); scheme != std::string_view::npos && scheme < 8) {
    const std::size_t path = target.find('/', scheme + 3);
    target = path == std::string_view::npos ? std::string_view{} : target.substr(path);
  }
  if (const std::size_t q = target.find('?'); q != std::string_view::npos) {
    t.query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  while (!target.empty() && t.count < t.segments.size()) {
    const std::size_t slash = target.find('/');
    const std::string_view seg = target.substr(0, slash);
    if (!seg.empty()) t.segments[t.count++] = seg;
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  return t;
}

// DICOMweb's RESTful resources (PS3.18 §10): a studies/series/instances segment, in a path that says it is
// DICOMweb — a DICOM media type, a conventional service root, or a UID after the resource. A path like
// /api/studies alone is not enough: too many web applications have one.
Api classify_dicomweb(std::string_view method, const Target& t, bool dicom_media) {
  static constexpr std::string_view kRoots[] = {"dicom-web", "dicomweb", "dicom-web-rs", "qido-rs",
                                                "wado-rs",   "stow-rs",  "qido",         "wado"};
  bool root = false;
  for (std::size_t i = 0; i < t.count; ++i) {
    const std::string_view seg = t.segments[i];
    for (std::string_view r : kRoots) root = root || iequals(seg, r);
    if (!iequals(seg, "studies") && !iequals(seg, "series") && !iequals(seg, "instances")) continue;
    const bool uid_follows = i + 1 < t.count && is_uid(t.segments[i + 1]);
    if (!dicom_media && !root && !uid_follows) return Api::none;
    const std::string_view last = t.segments[t.count - 1];
    if (method == "POST" || method == "PUT") return Api::stow;  // PS3.18 §10.5 (PUT: 2023 STOW-RS update)
    if (method != "GET" && method != "HEAD") return Api::dicomweb;
    // A search ends at a resource collection (§10.6); a retrieve names an instance, its metadata,
    // rendering, frames or bulk data (§10.4).
    return iequals(last, "studies") || iequals(last, "series") || iequals(last, "instances") ? Api::qido : Api::wado;
  }
  return Api::none;
}

// What a request is, from its method, target and the Accept/Content-Type values.
Api classify_request(std::string_view method, std::string_view target, bool fhir_media, bool dicom_media) {
  const Target t = split_target(target);
  // WADO-URI (PS3.18 §9): the query parameter requestType=WADO, on any path.
  if (icontains(t.query, "requesttype=wado")) return Api::wado_uri;
  if (const Api d = classify_dicomweb(method, t, dicom_media); d != Api::none) return d;
  if (fhir_media) return Api::fhir;
  for (std::size_t i = 0; i < t.count; ++i) {
    if (iequals(t.segments[i], "fhir")) return Api::fhir;  // the conventional service base, e.g. /fhir/R4
  }
  return dicom_media ? Api::dicomweb : Api::none;
}

// The fhirVersion parameter of a FHIR media type (R4 http.html#version-parameter): "4.0", "3.0", ...
std::string_view fhir_version_param(std::string_view content_type) {
  constexpr std::string_view kParam = "fhirversion=";
  const std::size_t at = ifind(content_type, kParam);
  if (at == std::string_view::npos) return {};
  std::string_view v = content_type.substr(at + kParam.size());
  if (!v.empty() && v.front() == '"') v.remove_prefix(1);
  std::size_t n = 0;
  while (n < v.size() && n < 8 && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.')) ++n;
  return v.substr(0, n);
}

class HttpSession final : public StreamSession {
 public:
  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Dir& d = dirs_[static_cast<int>(dir)];
    consumed = 0;
    while (!d.done && consumed < data.size()) {
      const Bytes rest = data.subspan(consumed);
      std::size_t used = 0;
      const bool progressed = d.phase == Phase::head ? head(dir, d, rest, used, sink) : body(d, rest, used, sink);
      consumed += used;
      if (!progressed) break;
    }
    if (d.done) consumed = std::max(consumed, data.size());
    if (dirs_[0].done && dirs_[1].done) return ParseStatus::done;
    return ParseStatus::need_more;
  }

 private:
  enum class Phase : std::uint8_t { head, length, chunk_size, chunk_data, chunk_end, trailer, until_close };
  struct Dir {
    Phase phase = Phase::head;
    int messages = 0;
    std::uint64_t remaining = 0;  // body bytes left (length/chunk_data phases)
    bool collect_xml = false;
    std::string xml;
    bool done = false;
  };

  // Parses one message head. Returns false when more bytes are needed.
  bool head(StreamDir dir, Dir& d, Bytes data, std::size_t& used, ObservationSink& sink) {
    const std::string_view text = as_text(data);
    const std::size_t end = head_end(text);
    if (end == std::string_view::npos) {
      if (data.size() >= kMaxHeadBytes) {
        sink.anomaly("http.head_too_large");
        d.done = true;
      }
      return false;
    }
    if (end > kMaxHeadBytes) {
      sink.anomaly("http.head_too_large");
      d.done = true;
      return false;
    }
    used = end;
    const std::string_view msg = text.substr(0, end);
    const std::size_t eol = msg.find('\n');
    const std::string_view first = trim(msg.substr(0, eol));
    std::string_view method;
    int status = 0;
    const bool request = dir == StreamDir::to_server;
    if (request ? !is_request_line(first, method) : !is_status_line(first, status)) {
      sink.anomaly(request ? "http.bad_request_line" : "http.bad_status_line");
      d.done = true;
      return false;
    }
    bool chunked = false;
    bool has_length = false;
    std::uint64_t length = 0;
    bool xml = false;
    bool fhir_media = false;
    bool dicom_media = false;
    std::size_t pos = eol + 1;
    while (pos < msg.size()) {
      std::size_t nl = msg.find('\n', pos);
      if (nl == std::string_view::npos) nl = msg.size();
      const std::string_view line = msg.substr(pos, nl - pos);
      pos = nl + 1;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (request && iequals(name, "User-Agent")) {
        sink.observe(Party::sender, "http.user_agent", printable(value));
      } else if (request && iequals(name, "Host")) {
        sink.observe(Party::receiver, "http.host", printable(value));  // the Host names the server
      } else if (!request && iequals(name, "Server")) {
        sink.observe(Party::sender, "http.server", printable(value));
      } else if (!request && iequals(name, "X-Powered-By")) {
        sink.observe(Party::sender, "http.powered_by", printable(value));
      } else if (iequals(name, "Transfer-Encoding")) {
        chunked = icontains(value, "chunked");
      } else if (iequals(name, "Content-Length")) {
        std::uint64_t v = 0;
        bool ok = !value.empty() && value.size() <= 15;
        for (char c : value) {
          if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (!ok) {
          sink.anomaly("http.bad_content_length");
          d.done = true;
          return true;
        }
        has_length = true;
        length = v;
      } else if (iequals(name, "Content-Type") || (request && iequals(name, "Accept"))) {
        if (!request && iequals(name, "Content-Type")) xml = icontains(value, "xml");
        fhir_media = fhir_media || is_fhir_media(value);
        dicom_media = dicom_media || is_dicom_media(value);
        if (iequals(name, "Content-Type") && is_fhir_media(value)) {
          if (const std::string_view v = fhir_version_param(value); !v.empty()) {
            sink.observe(Party::sender, "http.fhir_version", v);
          }
        }
      }
    }
    ++d.messages;
    // Body framing, RFC 9112 §6.3.
    bool no_body = false;
    if (request) {
      const Api api = classify_request(method, request_target(first), fhir_media, dicom_media);
      if (api != Api::none) sink.observe(Party::sender, "http.api_used", api_code(api));
      pending_.push_back(Pending{method == "HEAD", api});
      if (pending_.size() > 8) pending_.pop_front();
      no_body = !chunked && !has_length;
    } else {
      const bool informational = status >= 100 && status < 200;
      Pending asked;
      if (!informational && !pending_.empty()) {
        asked = pending_.front();
        pending_.pop_front();
      }
      if (!informational) answered(asked.api, status, fhir_media, dicom_media, sink);
      no_body = informational || status == 204 || status == 304 || asked.head;
      if (informational) --d.messages;  // 100 Continue precedes the real response
    }
    d.collect_xml = !request && xml && !no_body;
    d.xml.clear();
    if (no_body) {
      d.phase = Phase::head;
    } else if (chunked) {
      d.phase = Phase::chunk_size;
    } else if (has_length) {
      d.phase = Phase::length;
      d.remaining = length;
    } else {
      d.phase = Phase::until_close;  // a response without framing runs to the end of the connection
    }
    after_message(d, sink);
    return true;
  }

  // A response to a request classified as `asked`: a 2xx answer means the server offers that API; a FHIR or
  // DICOM media type says so whatever the path was (e.g. a FHIR base without "fhir" in it).
  static void answered(Api asked, int status, bool fhir_media, bool dicom_media, ObservationSink& sink) {
    Api served = status >= 200 && status < 300 ? asked : Api::none;
    if (served == Api::none && fhir_media) served = Api::fhir;
    if (served == Api::none && dicom_media) served = asked != Api::none && asked != Api::fhir ? asked : Api::dicomweb;
    if (served == Api::none) return;
    sink.observe(Party::sender, "http.api_served", api_code(served));
    if (asked == Api::none) sink.observe(Party::receiver, "http.api_used", api_code(served));
  }

  // Called when a head was read or a body ended: decide whether this direction has more to offer.
  void after_message(Dir& d, ObservationSink& sink) {
    if (d.phase == Phase::head) {
      if (!d.xml.empty()) described(d, sink);
      if (d.messages >= kMaxMessages) d.done = true;
    } else if (d.phase == Phase::until_close && !d.collect_xml) {
      d.done = true;
    }
  }

  void take_xml(Dir& d, Bytes b) {
    if (!d.collect_xml || d.xml.size() >= kMaxXmlBytes) return;
    const std::size_t n = std::min(b.size(), kMaxXmlBytes - d.xml.size());
    d.xml.append(reinterpret_cast<const char*>(b.data()), n);
  }

  // Walks body bytes by their framing. Returns false when more bytes are needed.
  bool body(Dir& d, Bytes data, std::size_t& used, ObservationSink& sink) {
    switch (d.phase) {
      case Phase::length:
      case Phase::chunk_data: {
        const std::uint64_t avail = data.size();
        if (d.collect_xml && d.xml.size() < kMaxXmlBytes) {
          const std::size_t n = static_cast<std::size_t>(std::min(avail, d.remaining));
          take_xml(d, data.first(n));
          used = n;
        } else {
          // Not examined: ask the follower to skip the rest of the body without buffering it.
          used = static_cast<std::size_t>(std::min<std::uint64_t>(d.remaining, 1ull << 40));
        }
        d.remaining -= std::min<std::uint64_t>(d.remaining, used);
        if (d.remaining > 0) return used > 0;  // wait for more body bytes
        d.phase = d.phase == Phase::length ? Phase::head : Phase::chunk_end;
        if (d.phase == Phase::head) after_message(d, sink);
        return true;
      }
      case Phase::chunk_size: {
        // RFC 9112 §7.1: chunk-size in hex, optional extensions, CRLF.
        const std::string_view text = as_text(data);
        const std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) {
          if (data.size() > 1024) {
            sink.anomaly("http.bad_chunk");
            d.done = true;
          }
          return false;
        }
        std::uint64_t size = 0;
        std::size_t digits = 0;
        for (char c : text.substr(0, nl)) {
          const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                        : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                    : -1;
          if (v < 0) break;
          size = size * 16 + static_cast<std::uint64_t>(v);
          if (++digits > 12) break;
        }
        if (digits == 0 || digits > 12) {
          sink.anomaly("http.bad_chunk");
          d.done = true;
          return false;
        }
        used = nl + 1;
        d.remaining = size;
        d.phase = size == 0 ? Phase::trailer : Phase::chunk_data;
        return true;
      }
      case Phase::chunk_end: {  // the CRLF after chunk data
        const std::string_view text = as_text(data);
        const std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) return false;
        used = nl + 1;
        d.phase = Phase::chunk_size;
        return true;
      }
      case Phase::trailer: {  // trailer fields, then an empty line
        const std::string_view text = as_text(data);
        if (text.substr(0, 2) == "\r\n" || text.substr(0, 1) == "\n") {
          used = text[0] == '\r' ? 2 : 1;
        } else {
          const std::size_t end = head_end(text);
          if (end == std::string_view::npos) return false;
          used = end;
        }
        d.phase = Phase::head;
        after_message(d, sink);
        return true;
      }
      case Phase::until_close: {
        take_xml(d, data);
        used = data.size();
        if (d.xml.size() >= kMaxXmlBytes || d.xml.find("</root>") != std::string::npos) {
          described(d, sink);
          d.done = true;
        }
        return true;
      }
      case Phase::head: break;
    }
    return false;
  }

  // An XML body that describes its sender: a UPnP device description or DPWS metadata.
  static void described(Dir& d, ObservationSink& sink) {
    const std::string xml = std::move(d.xml);
    d.xml.clear();
    if (xml.find("urn:schemas-upnp-org:device-1-0") != std::string::npos) upnp(xml, sink);
    if (xml.find("docs.oasis-open.org/ws-dd/ns/dpws/2009/01") != std::string::npos ||
        xml.find("schemas.xmlsoap.org/ws/2006/02/devprof") != std::string::npos) {
      dpws(xml, sink);
    }
  }

  // The text of the first non-empty element whose local name is `local`, entities decoded; empty if none.
  static std::string element_text(std::string_view xml, std::string_view local) {
    std::string text;
    for_each_element(xml, local, 1, [&](std::string_view t) { text = xml_unescape(t); });
    return text;
  }

  // DPWS metadata (OASIS DPWS 1.1 §5.1-5.2, and the 2006/02 draft Windows and printers use): the
  // ThisModel and ThisDevice sections of a WS-Transfer GetResponse. SDC providers (IEEE 11073-20702)
  // describe themselves here; they should use TLS, and the facts only come when it crosses in clear.
  static void dpws(std::string_view xml, ObservationSink& sink) {
    static constexpr std::pair<std::string_view, std::string_view> fields[] = {
        {"Manufacturer", "dpws.manufacturer"},     {"ModelName", "dpws.model_name"},
        {"ModelNumber", "dpws.model_number"},      {"FriendlyName", "dpws.friendly_name"},
        {"FirmwareVersion", "dpws.firmware_version"}, {"SerialNumber", "dpws.serial_number"}};
    for (const auto& [tag, key] : fields) {
      const std::string value = element_text(xml, tag);
      if (!value.empty()) sink.observe(Party::sender, key, printable(value));
    }
  }

  // A UPnP device description: the root device's identity elements (UDA 2.0 §2.3). The first occurrence
  // of each element belongs to the root device (embedded devices follow in <deviceList>).
  static void upnp(const std::string& xml, ObservationSink& sink) {
    static constexpr std::pair<std::string_view, std::string_view> fields[] = {
        {"friendlyName", "upnp.friendly_name"}, {"manufacturer", "upnp.manufacturer"},
        {"modelName", "upnp.model_name"},       {"modelNumber", "upnp.model_number"},
        {"serialNumber", "upnp.serial_number"}};
    for (const auto& [tag, key] : fields) {
      const std::string open = "<" + std::string(tag) + ">";
      const std::string close = "</" + std::string(tag) + ">";
      const std::size_t a = xml.find(open);
      if (a == std::string::npos) continue;
      const std::size_t b = xml.find(close, a + open.size());
      if (b == std::string::npos) continue;
      const std::string value = xml_unescape(trim(std::string_view(xml).substr(a + open.size(), b - a - open.size())));
      if (!value.empty()) sink.observe(Party::sender, key, printable(value));
    }
  }

  struct Pending {
    bool head = false;      // a HEAD request: its response has no body
    Api api = Api::none;    // what the request was classified as
  };
  std::array<Dir, 2> dirs_{};
  std::deque<Pending> pending_;  // per outstanding request, oldest first (HTTP/1.1 answers in order)
};

class HttpParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // A request line with a known method and an HTTP/1.x version, or a status line.
  bool probe(StreamDir dir, Bytes first) const override {
    const std::string_view text = as_text(first.first(std::min<std::size_t>(first.size(), 2048)));
    const std::size_t eol = text.find('\n');
    if (dir == StreamDir::to_client) {
      int status = 0;
      return is_status_line(trim(text.substr(0, eol == std::string_view::npos ? text.size() : eol)), status);
    }
    if (eol == std::string_view::npos) return false;
    std::string_view method;
    return is_request_line(trim(text.substr(0, eol)), method);
  }

  std::unique_ptr<StreamSession> open(const StreamMeta&) const override { return std::make_unique<HttpSession>(); }

 private:
  ParserSpec spec_{"http", Transport::tcp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_http(ParserRegistry& registry) { registry.add(std::make_unique<HttpParser>()); }

}  // namespace ww
