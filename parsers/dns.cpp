// DNS (RFC 1035), Multicast DNS (RFC 6762) with DNS-SD (RFC 6763), and LLMNR (RFC 4795).
// The three share one wire format, so one walker decodes them; each is registered as its own parser (its own
// key prefix) and they are told apart by port, which for mDNS (5353) and LLMNR (5355) *is* the protocol
// definition (RFC 6762 §3, RFC 4795 §2). NetBIOS-NS (udp/137, RFC 1002 §4.2) also reuses the DNS header and
// is left to nbns.cpp.
//
// Safety: names are decoded with compression pointers (RFC 1035 §4.1.4) that must point strictly before the
// previous jump target (so every chain terminates), at most kMaxPointerJumps of them, and a decoded name may
// not exceed 255 octets of wire form (RFC 1035 §3.1). Every record must fit the datagram.
#include <array>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::size_t kMaxNameWire = 255;    // RFC 1035 §3.1
constexpr int kMaxPointerJumps = 64;         // far more than any real message needs
constexpr std::size_t kMaxRecords = 512;     // qd+an+ns+ar; more is not a real DNS datagram
constexpr std::size_t kMaxLabels = 128;      // 255 octets hold at most 127 labels

constexpr std::uint16_t kTypeA = 1, kTypePtr = 12, kTypeTxt = 16, kTypeAaaa = 28, kTypeSrv = 33;

// A decoded domain name: label views into the datagram (no allocation on the packet path).
struct Name {
  std::array<std::string_view, kMaxLabels> labels{};
  std::size_t count = 0;

  [[nodiscard]] std::string join(std::size_t from = 0, std::size_t to = SIZE_MAX) const {
    std::string out;
    for (std::size_t i = from; i < count && i < to; ++i) {
      if (i != from) out += '.';
      out.append(labels[i]);
    }
    return out;
  }
};


enum class NameResult : std::uint8_t { ok, truncated, bad };

// Decodes the name at `pos`. On success `next` is the offset just after the name where it started.
NameResult decode_name(Bytes msg, std::size_t pos, Name& name, std::size_t& next) {
  name.count = 0;
  std::size_t wire = 0;
  std::size_t limit = pos;  // a pointer must point strictly below this (decreasing => no loops)
  bool jumped = false;
  int jumps = 0;
  std::size_t p = pos;
  for (;;) {
    if (p >= msg.size()) return NameResult::truncated;
    const std::uint8_t len = msg[p];
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= msg.size()) return NameResult::truncated;
      const std::size_t target = (static_cast<std::size_t>(len & 0x3f) << 8) | msg[p + 1];
      if (!jumped) next = p + 2;
      if (target >= limit || target >= p || ++jumps > kMaxPointerJumps) return NameResult::bad;
      limit = target;
      jumped = true;
      p = target;
      continue;
    }
    if ((len & 0xc0) != 0) return NameResult::bad;  // 0x40/0x80 label types: obsolete/unassigned (RFC 6891 §5)
    wire += 1u + len;
    if (wire > kMaxNameWire) return NameResult::bad;
    if (len == 0) {
      if (!jumped) next = p + 1;
      return NameResult::ok;
    }
    if (p + 1 + len > msg.size()) return NameResult::truncated;
    if (name.count >= kMaxLabels) return NameResult::bad;
    name.labels[name.count++] = std::string_view(reinterpret_cast<const char*>(msg.data() + p + 1), len);
    p += 1u + len;
  }
}

bool read_name(Bytes msg, std::size_t pos, Name& name, std::size_t& next) {
  return decode_name(msg, pos, name, next) == NameResult::ok;
}

struct Header {
  std::uint16_t flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
  [[nodiscard]] bool response() const { return (flags & 0x8000) != 0; }
  [[nodiscard]] int opcode() const { return (flags >> 11) & 0x0f; }
  [[nodiscard]] int rcode() const { return flags & 0x0f; }
  [[nodiscard]] std::size_t records() const { return std::size_t{qd} + an + ns + ar; }
};

bool read_header(Bytes payload, Header& h) {
  ByteReader r(payload);
  r.skip(2);  // id
  h.flags = r.u16be();
  h.qd = r.u16be();
  h.an = r.u16be();
  h.ns = r.u16be();
  h.ar = r.u16be();
  return r.ok();
}

struct Record {
  Name name;
  std::uint16_t type = 0;
  Bytes rdata;
  std::size_t rdata_offset = 0;
};

enum class Walk : std::uint8_t { ok, truncated, bad_name, bad_header };

// Walks the whole message, calling on_question(Name&, qtype) and on_rr(section, Record&). Returns how it ended.
// section: 1 answer, 2 authority, 3 additional.
template <typename OnQuestion, typename OnRecord>
Walk walk(Bytes msg, const Header& h, std::size_t& end, OnQuestion&& on_question, OnRecord&& on_rr) {
  if (h.records() == 0 || h.records() > kMaxRecords) return Walk::bad_header;
  // Smallest question is 5 octets, smallest RR 11: reject counts the datagram cannot hold before walking.
  if (std::size_t{h.qd} * 5 + (std::size_t{h.an} + h.ns + h.ar) * 11 > msg.size() - 12) return Walk::bad_header;
  std::size_t pos = 12;
  Record rec;
  for (std::size_t i = 0; i < h.qd; ++i) {
    std::size_t next = 0;
    if (const NameResult nr = decode_name(msg, pos, rec.name, next); nr != NameResult::ok) {
      return nr == NameResult::truncated ? Walk::truncated : Walk::bad_name;
    }
    if (next + 4 > msg.size()) return Walk::truncated;
    const auto qtype = static_cast<std::uint16_t>((msg[next] << 8) | msg[next + 1]);
    on_question(rec.name, qtype);
    pos = next + 4;
  }
  const std::size_t rrs = std::size_t{h.an} + h.ns + h.ar;
  for (std::size_t i = 0; i < rrs; ++i) {
    std::size_t next = 0;
    if (const NameResult nr = decode_name(msg, pos, rec.name, next); nr != NameResult::ok) {
      return nr == NameResult::truncated ? Walk::truncated : Walk::bad_name;
    }
    if (next + 10 > msg.size()) return Walk::truncated;
    rec.type = static_cast<std::uint16_t>((msg[next] << 8) | msg[next + 1]);
    const std::size_t rdlen = (std::size_t{msg[next + 8]} << 8) | msg[next + 9];
    rec.rdata_offset = next + 10;
    if (rec.rdata_offset + rdlen > msg.size()) return Walk::truncated;
    rec.rdata = msg.subspan(rec.rdata_offset, rdlen);
    const int section = i < h.an ? 1 : (i < std::size_t{h.an} + h.ns ? 2 : 3);
    on_rr(section, rec);
    pos = rec.rdata_offset + rdlen;
  }
  end = pos;
  return Walk::ok;
}

enum class Flavor : std::uint8_t { dns, mdns, llmnr };

bool on_port(const PacketMeta& m, std::uint16_t port) { return m.src_port == port || m.dst_port == port; }

// The last label is "local" (RFC 6762 §3).
bool is_local(const Name& n) { return n.count >= 2 && iequals(n.labels[n.count - 1], "local"); }

// `_service._tcp.local` / `_service._udp.local` starting at label `i` and ending the name (RFC 6763 §7).
bool is_service_type_at(const Name& n, std::size_t i) {
  return n.count == i + 3 && !n.labels[i].empty() && n.labels[i][0] == '_' &&
         (iequals(n.labels[i + 1], "_tcp") || iequals(n.labels[i + 1], "_udp")) && is_local(n);
}

// TXT keys worth keeping (RFC 6763 §6; printer keys from the Bonjour Printing Specification v1.2.1 §9;
// `aet` as used by DICOM DNS-SD announcements). Everything else in TXT is dropped: it may be private.
constexpr std::string_view kTxtKeys[] = {"ty",      "model",   "md",      "manufacturer", "mfg",
                                         "usb_MFG", "usb_MDL", "product", "note",         "aet"};
constexpr FactDecl kMdnsFacts[] = {
    {"mdns.hostname", FactType::text, "sender", "owner of A/AAAA records ending in `.local`, without `.local`", "Lucas-iMac"},
    {"mdns.service_type", FactType::text, "sender", "PTR `_services._dns-sd._udp.local` targets, PTR `<type>` owners, SRV/TXT owners", "_ipp._tcp"},
    {"mdns.service_instance", FactType::text, "sender", "instance label of `<Instance>.<type>.local` (printable(): non-ASCII escaped)", "Luca\\xe2\\x80\\x99s iMac"},
    {"mdns.txt.ty", FactType::text, "sender", "TXT string `ty=` of a service instance (allow-listed)", ""},
    {"mdns.txt.model", FactType::text, "sender", "TXT string `model=` of a service instance (allow-listed)", ""},
    {"mdns.txt.md", FactType::text, "sender", "TXT string `md=` of a service instance (allow-listed)", ""},
    {"mdns.txt.manufacturer", FactType::text, "sender", "TXT string `manufacturer=` of a service instance (allow-listed)", ""},
    {"mdns.txt.mfg", FactType::text, "sender", "TXT string `mfg=` of a service instance (allow-listed)", ""},
    {"mdns.txt.usb_MFG", FactType::text, "sender", "TXT string `usb_MFG=` of a service instance (allow-listed)", ""},
    {"mdns.txt.usb_MDL", FactType::text, "sender", "TXT string `usb_MDL=` of a service instance (allow-listed)", ""},
    {"mdns.txt.product", FactType::text, "sender", "TXT string `product=` of a service instance (allow-listed)", ""},
    {"mdns.txt.note", FactType::text, "sender", "TXT string `note=` of a service instance (allow-listed)", ""},
    {"mdns.txt.aet", FactType::text, "sender", "TXT string `aet=` of a service instance (allow-listed)", ""},
};
constexpr AnomalyDecl kMdnsAnomalies[] = {
    {"mdns.truncated", "A question, record header, name or RDATA of a mDNS message runs past the end of the datagram; the walk stops, records read before it are kept, status malformed."},
    {"mdns.bad_name", "A mDNS name has a compression pointer not strictly before the previous one (RFC 1035 §4.1.4), over 64 jumps, a 0x40/0x80 label type or over 255 octets (RFC 1035 §3.1); the walk stops, earlier records kept."},
    {"mdns.bad_counts", "The mDNS header's four record counts add up to 0, to over 512, or to more than the datagram can hold (5 bytes a question, 11 a record); the message is skipped, nothing is reported."},
};
constexpr FactDecl kLlmnrFacts[] = {
    {"llmnr.query", FactType::text, "sender (querier)", "question names of queries", "BRWC0CB383D1F42"},
    {"llmnr.name", FactType::text, "sender (responder)", "owner names of A/AAAA answers (a responder only answers for its own names, RFC 4795 §2.1)", "BRIGHTSPEED01"},
};
constexpr AnomalyDecl kLlmnrAnomalies[] = {
    {"llmnr.truncated", "A question, record header, name or RDATA of a LLMNR message runs past the end of the datagram; the walk stops, records read before it are kept, status malformed."},
    {"llmnr.bad_name", "A LLMNR name has a compression pointer not strictly before the previous one (RFC 1035 §4.1.4), over 64 jumps, a 0x40/0x80 label type or over 255 octets (RFC 1035 §3.1); the walk stops, earlier records kept."},
    {"llmnr.bad_counts", "The LLMNR header's four record counts add up to 0, to over 512, or to more than the datagram can hold (5 bytes a question, 11 a record); the message is skipped, nothing is reported."},
};
constexpr FactDecl kDnsFacts[] = {
    {"dns.query", FactType::text, "sender (client)", "question names of QUERY requests", "upload.wikimedia.org"},
    {"dns.answered_query", FactType::text, "sender (responder)", "question of a NOERROR response with answers: the sender serves DNS", "meta.wikimedia.org"},
    {"dns.ptr_answer", FactType::text, "sender (responder)", "PTR answers for in-addr.arpa / ip6.arpa, owner turned back into an address", "10.0.0.7=pump-7.icu.example"},
};
constexpr AnomalyDecl kDnsAnomalies[] = {
    {"dns.truncated", "A question, record header, name or RDATA of a DNS message runs past the end of the datagram; the walk stops, records read before it are kept, status malformed."},
    {"dns.bad_name", "A DNS name has a compression pointer not strictly before the previous one (RFC 1035 §4.1.4), over 64 jumps, a 0x40/0x80 label type or over 255 octets (RFC 1035 §3.1); the walk stops, earlier records kept."},
    {"dns.bad_counts", "The DNS header's four record counts add up to 0, to over 512, or to more than the datagram can hold (5 bytes a question, 11 a record); the message is skipped, nothing is reported."},
};
constexpr std::uint16_t kDnsPorts[] = {53};
constexpr std::uint16_t kMdnsPorts[] = {5353};
constexpr std::uint16_t kLlmnrPorts[] = {5355};

// "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; nibble-form ip6.arpa -> compressed IPv6 text. Empty if not reverse.
std::string reverse_name_to_ip(const Name& n) {
  if (n.count == 6 && iequals(n.labels[4], "in-addr") && iequals(n.labels[5], "arpa")) {
    std::uint8_t b[4];
    for (std::size_t i = 0; i < 4; ++i) {
      const auto l = n.labels[3 - i];
      if (l.empty() || l.size() > 3) return {};
      unsigned v = 0;
      for (char c : l) {
        if (c < '0' || c > '9') return {};
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      if (v > 255) return {};
      b[i] = static_cast<std::uint8_t>(v);
    }
    return IpAddr::v4_from_bytes(b).to_string();
  }
  if (n.count == 34 && iequals(n.labels[32], "ip6") && iequals(n.labels[33], "arpa")) {
    std::uint8_t b[16] = {};
    for (std::size_t i = 0; i < 32; ++i) {
      const auto l = n.labels[31 - i];
      if (l.size() != 1) return {};
      const char c = l[0];
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      if (v < 0) return {};
      b[i / 2] = static_cast<std::uint8_t>(b[i / 2] | (i % 2 == 0 ? v << 4 : v));
    }
    return IpAddr::v6_from_bytes(b).to_string();
  }
  return {};
}

class DnsFamilyParser final : public DatagramParser {
 public:
  explicit DnsFamilyParser(Flavor f) : flavor_(f) {
    switch (f) {
      case Flavor::dns: spec_ = {"dns", Transport::udp, kDnsPorts, kDnsFacts, kDnsAnomalies}; break;
      case Flavor::mdns: spec_ = {"mdns", Transport::udp, kMdnsPorts, kMdnsFacts, kMdnsAnomalies}; break;
      case Flavor::llmnr: spec_ = {"llmnr", Transport::udp, kLlmnrPorts, kLlmnrFacts, kLlmnrAnomalies}; break;
    }
  }
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta& meta, Bytes payload) const override {
    if (!mine_by_port(meta)) return false;
    Header h;
    if (payload.size() < 12 || !read_header(payload, h)) return false;
    const int op = h.opcode();
    // QUERY, STATUS, NOTIFY, UPDATE (RFC 1035, 1996, 2136); IQUERY is obsolete (RFC 3425).
    if (op != 0 && op != 2 && op != 4 && op != 5) return false;
    if (flavor_ != Flavor::dns && op != 0) return false;  // mDNS/LLMNR only use QUERY
    std::size_t end = 0;
    const Walk w = walk(payload, h, end, [](const Name&, std::uint16_t) {}, [](int, const Record&) {});
    if (w != Walk::ok) return false;
    // Off the well-known ports the whole datagram must be exactly one message.
    return end == payload.size() || on_port(meta, spec_.port_hints[0]);
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    Header h;
    if (!mine_by_port(meta) || payload.size() < 12 || !read_header(payload, h)) return ParseStatus::not_mine;
    std::size_t end = 0;
    Walk w = Walk::ok;
    switch (flavor_) {
      case Flavor::dns: w = parse_dns(payload, h, end, sink); break;
      case Flavor::mdns: w = parse_mdns(payload, h, end, sink); break;
      case Flavor::llmnr: w = parse_llmnr(payload, h, end, sink); break;
    }
    if (w == Walk::ok) return ParseStatus::ok;
    const std::string prefix(spec_.name);  // only malformed input pays for this
    switch (w) {
      case Walk::ok: break;
      case Walk::truncated: sink.anomaly(prefix + ".truncated"); break;
      case Walk::bad_name: sink.anomaly(prefix + ".bad_name"); break;
      case Walk::bad_header: sink.anomaly(prefix + ".bad_counts"); break;
    }
    return ParseStatus::malformed;
  }

 private:
  bool mine_by_port(const PacketMeta& m) const {
    // udp/137 and udp/138 are NetBIOS (RFC 1002), which copies the DNS header: never ours.
    if (on_port(m, 137) || on_port(m, 138)) return false;
    switch (flavor_) {
      case Flavor::mdns: return on_port(m, 5353);
      case Flavor::llmnr: return on_port(m, 5355) && !on_port(m, 5353);
      case Flavor::dns: return !on_port(m, 5353) && !on_port(m, 5355);
    }
    return false;
  }

  // Unicast DNS: a client's queries say what it looks up; a responder answering says it serves DNS.
  static Walk parse_dns(Bytes msg, const Header& h, std::size_t& end, ObservationSink& sink) {
    const bool answered = h.response() && h.rcode() == 0 && h.an > 0;
    return walk(
        msg, h, end,
        [&](const Name& n, std::uint16_t) {
          if (h.opcode() != 0 || n.count == 0) return;
          if (!h.response()) sink.observe(Party::sender, "dns.query", printable(n.join()));
          else if (answered) sink.observe(Party::sender, "dns.answered_query", printable(n.join()));
        },
        [&](int section, const Record& rr) {
          if (!answered || section != 1 || rr.type != kTypePtr) return;
          const std::string ip = reverse_name_to_ip(rr.name);
          Name target;
          std::size_t next = 0;
          if (ip.empty() || !read_name(msg, rr.rdata_offset, target, next) || target.count == 0) return;
          sink.observe(Party::sender, "dns.ptr_answer", printable(ip + "=" + target.join()));
        });
  }

  // mDNS: only responses describe the responder (RFC 6762 §6); queries' known answers are about others.
  static Walk parse_mdns(Bytes msg, const Header& h, std::size_t& end, ObservationSink& sink) {
    const bool response = h.response();
    return walk(
        msg, h, end, [](const Name&, std::uint16_t) {},
        [&](int, const Record& rr) {
          if (!response) return;
          const Name& n = rr.name;
          switch (rr.type) {
            case kTypeA:
            case kTypeAaaa:
              if (is_local(n) && n.count >= 2) {
                sink.observe(Party::sender, "mdns.hostname", printable(n.join(0, n.count - 1)));
              }
              break;
            case kTypePtr: {
              Name target;
              std::size_t next = 0;
              if (!read_name(msg, rr.rdata_offset, target, next)) break;
              // RFC 6763 §9: PTR _services._dns-sd._udp.local -> a service type offered here.
              if (n.count == 4 && iequals(n.labels[0], "_services") && iequals(n.labels[1], "_dns-sd") &&
                  iequals(n.labels[2], "_udp") && is_service_type_at(target, 0)) {
                sink.observe(Party::sender, "mdns.service_type", printable(target.join(0, 2)));
              } else if (is_service_type_at(n, 0) && target.count == 4 && is_service_type_at(target, 1) &&
                         iequals(target.labels[1], n.labels[0]) && iequals(target.labels[2], n.labels[1])) {
                // RFC 6763 §4.1: PTR <type> -> <Instance>.<type>.
                sink.observe(Party::sender, "mdns.service_type", printable(n.join(0, 2)));
                sink.observe(Party::sender, "mdns.service_instance", printable(target.labels[0]));
              }
              break;
            }
            case kTypeSrv:
            case kTypeTxt:
              if (n.count == 4 && is_service_type_at(n, 1)) {
                sink.observe(Party::sender, "mdns.service_type", printable(n.join(1, 3)));
                sink.observe(Party::sender, "mdns.service_instance", printable(n.labels[0]));
                if (rr.type == kTypeTxt) emit_txt(rr.rdata, sink);
              }
              break;
            default: break;
          }
        });
  }

  // RFC 6763 §6: TXT is a sequence of <len><key=value> strings; keys compare case-insensitively.
  static void emit_txt(Bytes rdata, ObservationSink& sink) {
    ByteReader r(rdata);
    while (!r.empty()) {
      const std::uint8_t len = r.u8();
      const std::string_view s = r.text(len);
      if (!r.ok()) return;  // the walker already bounded rdata; a bad inner length just stops here
      const std::size_t eq = s.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      const std::string_view key = s.substr(0, eq);
      for (std::string_view k : kTxtKeys) {
        if (!iequals(k, key)) continue;
        const std::string_view value = s.substr(eq + 1);
        if (!value.empty()) sink.observe(Party::sender, "mdns.txt." + std::string(k), printable(value));
        break;
      }
    }
  }

  // LLMNR: queries name what the querier looks up (kept apart from its own name); answers (A/AAAA) name the
  // responder, which only answers for its own names (RFC 4795 §2.1).
  static Walk parse_llmnr(Bytes msg, const Header& h, std::size_t& end, ObservationSink& sink) {
    const bool response = h.response();
    return walk(
        msg, h, end,
        [&](const Name& n, std::uint16_t) {
          if (!response && n.count > 0) sink.observe(Party::sender, "llmnr.query", printable(n.join()));
        },
        [&](int section, const Record& rr) {
          if (response && h.rcode() == 0 && section == 1 && (rr.type == kTypeA || rr.type == kTypeAaaa) &&
              rr.name.count > 0) {
            sink.observe(Party::sender, "llmnr.name", printable(rr.name.join()));
          }
        });
  }

  Flavor flavor_;
  ParserSpec spec_;
};

}  // namespace

void register_parser_dns(ParserRegistry& registry) {
  registry.add(std::make_unique<DnsFamilyParser>(Flavor::mdns));
  registry.add(std::make_unique<DnsFamilyParser>(Flavor::llmnr));
  registry.add(std::make_unique<DnsFamilyParser>(Flavor::dns));
}

}  // namespace ww
