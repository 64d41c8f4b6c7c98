// SNMP v1 (RFC 1157), v2c (RFC 1901/3416) and the v3 header (RFC 3412 §6, USM RFC 3414 §2.4).
// BER (X.690) is decoded by a fixed, non-recursive walk of the SNMP message shape: single-octet tags only,
// definite lengths only (the indefinite form is forbidden in SNMP, RFC 3417 §8), lengths of at most 4 octets,
// every element inside its parent. Nesting is therefore bounded by the message structure itself
// (message > PDU > varbind list > varbind), never by the input.
//
// What is kept: the MIB-2 system group (RFC 3418) values an agent returns or sends in a trap, the v1 trap's
// enterprise and agent-addr, the v3 authoritative engine's enterprise (RFC 3411 §5 SnmpEngineID).
// The community string is a credential: it is never stored. Only the fact that an agent accepts (answers)
// or uses the factory defaults "public"/"private" is reported, as snmp.default_community.
#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {161, 162};
constexpr FactDecl kFacts[] = {
    {"snmp.version", FactType::code, "", "message version", "`1`, `2c`, `3`"},
    {"snmp.sys_descr", FactType::text, "", "varbind 1.3.6.1.2.1.1.1.0", "Linux ubuntu-512mb-sfo2-01 4.4.0-31-generic ..."},
    {"snmp.sys_object_id", FactType::id, "", "varbind 1.3.6.1.2.1.1.2.0 (dotted OID)", "1.3.6.1.4.1.8072.3.2.10"},
    {"snmp.enterprise", FactType::id, "", "arc after 1.3.6.1.4.1 of sysObjectID or of the v1 trap enterprise", "8072"},
    {"snmp.enterprise_vendor", FactType::text, "", "enterprise / engine enterprise looked up in IANA PEN", "net-snmp"},
    {"snmp.sys_contact", FactType::text, "", "1.3.6.1.2.1.1.4.0", "Me <me@example.org>"},
    {"snmp.sys_name", FactType::text, "", "1.3.6.1.2.1.1.5.0", "ubuntu-512mb-sfo2-01"},
    {"snmp.sys_location", FactType::text, "", "1.3.6.1.2.1.1.6.0", "Sitting on the Dock of the Bay"},
    {"snmp.trap_enterprise", FactType::id, "", "v1 Trap-PDU enterprise", "1.3.6.1.4.1.31337.0"},
    {"snmp.agent_address", FactType::address, "", "v1 Trap-PDU agent-addr (may differ from the IP source behind NAT)", "127.0.0.1"},
    {"snmp.default_community", FactType::code, "", "**finding**: the agent answered (or trapped) with a factory-default community", "`public` / `private`"},
    {"snmp.engine_id", FactType::hex, "", "v3 msgAuthoritativeEngineID (hex)", "800000090300aabbcc000100"},
    {"snmp.engine_enterprise", FactType::id, "", "first four octets of the engine id, top bit cleared (RFC 3411 §5)", "9"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"snmp.truncated", "The outer message is well formed but its community string and PDU (v1/v2c) or msgGlobalData, msgSecurityParameters and msgData (v3, RFC 3412 §6) are missing or bad BER; nothing is reported."},
    {"snmp.bad_pdu", "A v1/v2c PDU tag is outside 0xA0..0xA8 (GetRequest..Report), or an agent's PDU lacks its request-id, error-status and error-index INTEGERs; parsing stops, what was read is kept."},
    {"snmp.bad_trap", "A v1 Trap-PDU's enterprise, agent-addr, generic-trap, specific-trap or time-stamp is missing or of the wrong type (RFC 1157 §4.1.6); parsing stops, what was read is kept."},
    {"snmp.bad_varbinds", "An agent's PDU (Response, Trap, Report) has no variable-bindings SEQUENCE after its header fields; parsing stops, what was read (version, trap enterprise and agent address) is kept."},
    {"snmp.bad_varbind", "The outer message was well formed but a variable binding is not a SEQUENCE of an OID and a value; parsing stops, the varbinds before it are kept."},
};
constexpr std::string_view kEnterprisesFile = "/usr/share/wireshark/enterprises.tsv";
constexpr std::size_t kMaxSubIds = 128;

// BER tags used by SNMP (RFC 3416 §3, RFC 2578 §7.1).
constexpr std::uint8_t kInteger = 0x02, kOctetString = 0x04, kNull = 0x05, kOid = 0x06, kSequence = 0x30,
                       kIpAddress = 0x40;
// PDU tags we act on (GetNext 0xa1, Set 0xa3, GetBulk 0xa5 and Inform 0xa6 carry nothing we keep).
constexpr std::uint8_t kGet = 0xa0, kResponse = 0xa2, kTrapV1 = 0xa4, kTrapV2 = 0xa7, kReport = 0xa8;

// IANA Private Enterprise Numbers, from Wireshark's copy of the registry (Debian libwireshark-data). Read
// once per process, at the first lookup (never before a run sees SNMP), never again; absent file = no names.
// The ~62k names live in one string indexed by a sorted vector: two allocations instead of two per entry
// (building and freeing a hash map of strings was 3 % of a benchmark run, most of it for runs without SNMP).
class EnterpriseNames {
 public:
  static const EnterpriseNames& instance() {
    static const EnterpriseNames names(kEnterprisesFile);
    return names;
  }

  [[nodiscard]] std::optional<std::string_view> find(std::uint32_t number) const {
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), number,
                                     [](const Entry& e, std::uint32_t n) { return e.number < n; });
    if (it == entries_.end() || it->number != number) return std::nullopt;
    return std::string_view(names_).substr(it->offset, it->length);
  }

 private:
  struct Entry {
    std::uint32_t number, offset, length;
  };

  explicit EnterpriseNames(std::string_view path) {
    std::ifstream in{std::string(path)};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] < '0' || line[0] > '9') continue;  // comments, blank lines
      std::size_t i = 0;
      std::uint64_t num = 0;
      while (i < line.size() && line[i] >= '0' && line[i] <= '9' && num <= 0xffffffffULL) {
        num = num * 10 + static_cast<unsigned>(line[i++] - '0');
      }
      if (num > 0xffffffffULL) continue;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i >= line.size()) continue;
      const std::string name = printable(std::string_view(line).substr(i));
      entries_.push_back({static_cast<std::uint32_t>(num), static_cast<std::uint32_t>(names_.size()),
                          static_cast<std::uint32_t>(name.size())});
      names_ += name;
    }
    // The file is in number order; sort anyway (stable: the first line of a repeated number wins, as before).
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.number < b.number; });
    entries_.erase(std::unique(entries_.begin(), entries_.end(),
                               [](const Entry& a, const Entry& b) { return a.number == b.number; }),
                   entries_.end());
  }

  std::vector<Entry> entries_;
  std::string names_;
};

struct Tlv {
  std::uint8_t tag = 0;
  Bytes value;
};

// One BER element. Fails (and latches r) on high-tag-number form, indefinite or over-long lengths.
bool read_tlv(ByteReader& r, Tlv& t) {
  t.tag = r.u8();
  if (!r.ok() || (t.tag & 0x1f) == 0x1f) return false;
  std::size_t len = r.u8();
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 4) return false;  // 0x80 = indefinite form
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | r.u8();
  }
  t.value = r.bytes(len);
  return r.ok();
}

bool read_expect(ByteReader& r, std::uint8_t tag, Tlv& t) { return read_tlv(r, t) && t.tag == tag; }

bool integer_value(Bytes v, std::int64_t& out) {
  if (v.empty() || v.size() > 8) return false;
  std::int64_t x = (v[0] & 0x80) ? -1 : 0;
  for (std::uint8_t b : v) x = static_cast<std::int64_t>((static_cast<std::uint64_t>(x) << 8) | b);
  out = x;
  return true;
}

// X.690 §8.19: dotted text of an OBJECT IDENTIFIER; empty if malformed.
std::string oid_text(Bytes v, std::vector<std::uint32_t>* arcs_out = nullptr) {
  std::vector<std::uint32_t> arcs;
  std::uint64_t acc = 0;
  std::size_t bytes_in_arc = 0;
  for (std::uint8_t b : v) {
    if (bytes_in_arc == 0 && b == 0x80) return {};  // non-minimal encoding
    acc = (acc << 7) | (b & 0x7f);
    if (++bytes_in_arc > 5 || acc > 0xffffffffULL) return {};
    if (b & 0x80) continue;
    if (arcs.empty()) {
      const std::uint32_t first = acc < 40 ? 0 : (acc < 80 ? 1 : 2);
      arcs.push_back(first);
      arcs.push_back(static_cast<std::uint32_t>(acc - first * 40));
    } else {
      arcs.push_back(static_cast<std::uint32_t>(acc));
    }
    if (arcs.size() > kMaxSubIds) return {};
    acc = 0;
    bytes_in_arc = 0;
  }
  if (bytes_in_arc != 0 || arcs.empty()) return {};
  std::string out;
  for (std::uint32_t a : arcs) {
    if (!out.empty()) out += '.';
    out += std::to_string(a);
  }
  if (arcs_out) *arcs_out = std::move(arcs);
  return out;
}

// The enterprise number of an OID under 1.3.6.1.4.1 (iso.org.dod.internet.private.enterprise), or -1.
std::int64_t enterprise_of(const std::vector<std::uint32_t>& arcs) {
  static constexpr std::uint32_t prefix[] = {1, 3, 6, 1, 4, 1};
  if (arcs.size() < 7) return -1;
  for (std::size_t i = 0; i < 6; ++i) {
    if (arcs[i] != prefix[i]) return -1;
  }
  return arcs[6];
}

class SnmpParser final : public DatagramParser {
 public:
  SnmpParser() = default;
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override {
    ByteReader r(payload);
    Tlv msg, version, next;
    if (!read_expect(r, kSequence, msg) || !r.empty()) return false;  // one message fills the datagram
    ByteReader m(msg.value);
    std::int64_t v = -1;
    if (!read_expect(m, kInteger, version) || !integer_value(version.value, v)) return false;
    if (v == 0 || v == 1) {
      if (!read_expect(m, kOctetString, next) || !read_tlv(m, next)) return false;
      return next.tag >= kGet && next.tag <= kReport;
    }
    return v == 3 && read_expect(m, kSequence, next);  // msgGlobalData
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    ByteReader r(payload);
    Tlv msg, version;
    if (!read_expect(r, kSequence, msg)) return ParseStatus::not_mine;
    ByteReader m(msg.value);
    std::int64_t v = -1;
    if (!read_expect(m, kInteger, version) || !integer_value(version.value, v)) return ParseStatus::not_mine;
    if (v == 0 || v == 1) return parse_community(meta, m, v == 0 ? "1" : "2c", sink);
    if (v == 3) return parse_v3(meta, m, sink);
    return ParseStatus::not_mine;
  }

 private:
  ParseStatus malformed(ObservationSink& sink, std::string_view reason) const {
    sink.anomaly(std::string("snmp.") + std::string(reason));
    return ParseStatus::malformed;
  }

  // Agent-originated PDUs describe their sender; requests name nothing about anyone.
  static bool from_agent(std::uint8_t pdu) {
    return pdu == kResponse || pdu == kTrapV1 || pdu == kTrapV2 || pdu == kReport;
  }

  ParseStatus parse_community(const PacketMeta&, ByteReader& m, std::string_view version,
                              ObservationSink& sink) const {
    Tlv community, pdu;
    if (!read_expect(m, kOctetString, community) || !read_tlv(m, pdu)) return malformed(sink, "truncated");
    if (pdu.tag < kGet || pdu.tag > kReport) return malformed(sink, "bad_pdu");
    if (!from_agent(pdu.tag)) return ParseStatus::ok;
    sink.observe(Party::sender, "snmp.version", version);
    // The community is compared, never kept: a credential does not belong in an inventory.
    const std::string_view c = as_text(community.value);
    if (c == "public" || c == "private") sink.observe(Party::sender, "snmp.default_community", c);
    return parse_pdu(pdu, sink);
  }

  ParseStatus parse_v3(const PacketMeta& meta, ByteReader& m, ObservationSink& sink) const {
    Tlv global, secparams, data;
    if (!read_expect(m, kSequence, global) || !read_expect(m, kOctetString, secparams) || !read_tlv(m, data)) {
      return malformed(sink, "truncated");
    }
    // msgSecurityParameters holds the USM SEQUENCE (RFC 3414 §2.4): engine id first.
    ByteReader s(secparams.value);
    Tlv usm, engine;
    const bool have_engine = read_expect(s, kSequence, usm) && [&] {
      ByteReader u(usm.value);
      return read_expect(u, kOctetString, engine);
    }();
    // A plaintext ScopedPDU (RFC 3412 §6: contextEngineID, contextName, PDU) tells who is the agent;
    // an encrypted one (OCTET STRING) leaves only the ports to go by.
    std::uint8_t pdu_tag = 0;
    Tlv pdu;
    if (data.tag == kSequence) {
      ByteReader sp(data.value);
      Tlv ctx_engine, ctx_name;
      if (read_expect(sp, kOctetString, ctx_engine) && read_expect(sp, kOctetString, ctx_name) &&
          read_tlv(sp, pdu) && pdu.tag >= kGet && pdu.tag <= kReport) {
        pdu_tag = pdu.tag;
      }
    }
    bool agent_sends = false, known = true;
    if (pdu_tag != 0) {
      // The authoritative engine is the agent for Get/Set/Response/Report and the sender of a Trap;
      // for an Inform it is the receiver (RFC 3412 §6.4).
      agent_sends = from_agent(pdu_tag);
    } else if (meta.src_port == 161 || meta.dst_port == 162) {
      agent_sends = true;
    } else if (meta.dst_port == 161) {
      agent_sends = false;
    } else {
      known = false;
    }
    if (known && have_engine && !engine.value.empty()) {
      const Party agent = agent_sends ? Party::sender : Party::receiver;
      sink.observe(agent, "snmp.version", "3");
      sink.observe(agent, "snmp.engine_id", hex(engine.value));
      // RFC 3411 §5: the first four octets are the enterprise number, the top bit marking the new format.
      if (engine.value.size() >= 5) {
        const Bytes e = engine.value;
        const std::uint32_t ent = ((std::uint32_t{e[0]} & 0x7f) << 24) | (std::uint32_t{e[1]} << 16) |
                                  (std::uint32_t{e[2]} << 8) | e[3];
        sink.observe(agent, "snmp.engine_enterprise", std::to_string(ent));
        emit_vendor(agent, ent, sink);
      }
    }
    if (pdu_tag != 0 && from_agent(pdu_tag)) return parse_pdu(pdu, sink);
    return ParseStatus::ok;
  }

  void emit_vendor(Party party, std::uint32_t ent, ObservationSink& sink) const {
    if (const auto name = EnterpriseNames::instance().find(ent)) sink.observe(party, "snmp.enterprise_vendor", *name);
  }

  void emit_enterprise_oid(const std::vector<std::uint32_t>& arcs, ObservationSink& sink) const {
    const std::int64_t ent = enterprise_of(arcs);
    if (ent < 0) return;
    sink.observe(Party::sender, "snmp.enterprise", std::to_string(ent));
    emit_vendor(Party::sender, static_cast<std::uint32_t>(ent), sink);
  }

  ParseStatus parse_pdu(const Tlv& pdu, ObservationSink& sink) const {
    ByteReader p(pdu.value);
    Tlv a, b, c, varbinds;
    if (pdu.tag == kTrapV1) {
      // RFC 1157 §4.1.6 Trap-PDU: enterprise, agent-addr, generic-trap, specific-trap, time-stamp, varbinds.
      Tlv generic, specific, ts;
      if (!read_expect(p, kOid, a) || !read_expect(p, kIpAddress, b) || !read_expect(p, kInteger, generic) ||
          !read_expect(p, kInteger, specific) || !read_tlv(p, ts)) {
        return malformed(sink, "bad_trap");
      }
      std::vector<std::uint32_t> arcs;
      const std::string oid = oid_text(a.value, &arcs);
      if (!oid.empty()) {
        sink.observe(Party::sender, "snmp.trap_enterprise", oid);
        emit_enterprise_oid(arcs, sink);
      }
      if (b.value.size() == 4) {
        sink.observe(Party::sender, "snmp.agent_address", IpAddr::v4_from_bytes(b.value.data()).to_string());
      }
    } else if (!read_expect(p, kInteger, a) || !read_expect(p, kInteger, b) || !read_expect(p, kInteger, c)) {
      return malformed(sink, "bad_pdu");  // request-id, error-status, error-index
    }
    if (!read_expect(p, kSequence, varbinds)) return malformed(sink, "bad_varbinds");
    ByteReader vl(varbinds.value);
    while (!vl.empty()) {
      Tlv vb, name, value;
      if (!read_expect(vl, kSequence, vb)) return malformed(sink, "bad_varbind");
      ByteReader vr(vb.value);
      if (!read_expect(vr, kOid, name) || !read_tlv(vr, value)) return malformed(sink, "bad_varbind");
      emit_varbind(name.value, value, sink);
    }
    return ParseStatus::ok;
  }

  // MIB-2 system group, RFC 3418 §2: 1.3.6.1.2.1.1.{1 sysDescr, 2 sysObjectID, 4 sysContact, 5 sysName,
  // 6 sysLocation}.0, compared on the encoded OID (2b 06 01 02 01 01 NN 00).
  void emit_varbind(Bytes name, const Tlv& value, ObservationSink& sink) const {
    static constexpr std::uint8_t sys[] = {0x2b, 0x06, 0x01, 0x02, 0x01, 0x01};
    if (name.size() != 8 || !std::equal(sys, sys + 6, name.begin()) || name[7] != 0) return;
    if (value.tag == kNull) return;  // noSuchObject etc. are context tags; NULL is an unset value
    const std::uint8_t leaf = name[6];
    if (leaf == 2) {
      if (value.tag != kOid) return;
      std::vector<std::uint32_t> arcs;
      const std::string oid = oid_text(value.value, &arcs);
      if (oid.empty()) return;
      sink.observe(Party::sender, "snmp.sys_object_id", oid);
      emit_enterprise_oid(arcs, sink);
      return;
    }
    if (value.tag != kOctetString || value.value.empty()) return;
    const std::string text = printable(as_text(value.value));
    switch (leaf) {
      case 1: sink.observe(Party::sender, "snmp.sys_descr", text); break;
      case 4: sink.observe(Party::sender, "snmp.sys_contact", text); break;
      case 5: sink.observe(Party::sender, "snmp.sys_name", text); break;
      case 6: sink.observe(Party::sender, "snmp.sys_location", text); break;
      default: break;
    }
  }

  ParserSpec spec_{"snmp", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_snmp(ParserRegistry& registry) { registry.add(std::make_unique<SnmpParser>()); }

}  // namespace ww
