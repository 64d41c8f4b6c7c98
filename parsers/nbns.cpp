// NetBIOS Name Service (RFC 1001 §15, RFC 1002 §4.2), udp/137. The header and RR layout are DNS's, so the
// probe insists on udp/137 *and* on the NetBIOS first-level name encoding (RFC 1001 §14.1: a 32-octet label of
// 'A'..'P' half-octets), which DNS names never look like in practice.
//
// Kept: names a node registers/refreshes for itself (opcode 5/8/9 requests), names in positive query
// responses when the answered address is the responder's own (a WINS server answering for others is not the
// owner), and the node name table plus unit id (MAC) of NBSTAT responses (RFC 1002 §4.2.18).
// Names are shown as Wireshark does: "NAME<xx>" with the 16th octet (the service suffix) in hex.
#include <array>
#include <cstdio>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {137};
constexpr FactDecl kFacts[] = {
    {"nbns.name", FactType::text, "", "unique names: registrations/refreshes (opcode 5, 8, 9 requests), positive query responses whose NB address is the sender's own IP, NBSTAT node name tables", "`MSEDGEWIN10<00>`, `GUNNAR<20>`"},
    {"nbns.workgroup", FactType::text, "", "group names (G bit) from the same sources, and unique `<1d>` (local master browser) / `<1b>` (domain master browser) names", "`WORKGROUP`, `VIGILANT_GROUP`"},
    {"nbns.unit_id", FactType::address, "", "NBSTAT response statistics: UNIT_ID (adapter MAC)", "00:1c:c4:10:79:0f"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"nbns.truncated", "A question or record name or its fixed fields run past the datagram (RFC 1002 §4.2.1); parsing stops, what was read is kept."},
    {"nbns.rdata_overrun", "A resource record whose RDLENGTH runs past the datagram (RFC 1002 §4.2.1.3); parsing stops, what was read is kept."},
    {"nbns.nbstat_overrun", "A node status response whose name count or statistics run past its RDATA (RFC 1002 §4.2.18); its names are not kept."},
};
constexpr std::uint16_t kTypeNb = 0x20, kTypeNbstat = 0x21;
constexpr std::size_t kMaxCount = 16;  // real NBNS messages carry one or two records

struct NbName {
  std::array<char, 15> text{};  // space-padded NetBIOS name
  std::uint8_t suffix = 0;

  [[nodiscard]] std::string_view base() const {
    std::string_view s(text.data(), text.size());
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
    return s;
  }
  [[nodiscard]] std::string display() const {
    char sfx[8];
    std::snprintf(sfx, sizeof sfx, "<%02x>", suffix);
    return printable(base()) + sfx;
  }
};

bool is_half_octet_label(Bytes msg, std::size_t p) {
  if (p + 33 > msg.size() || msg[p] != 0x20) return false;
  for (std::size_t i = 1; i <= 32; ++i) {
    if (msg[p + i] < 'A' || msg[p + i] > 'P') return false;
  }
  return true;
}

// Reads an encoded NetBIOS name (first-level label + optional scope labels, RFC 1001 §14), allowing one
// backward compression pointer (RFC 1002 §4.1: RRs point at the question name). `next` follows the name.
bool read_nb_name(Bytes msg, std::size_t pos, NbName& out, std::size_t& next) {
  std::size_t p = pos;
  bool jumped = false;
  if (p + 1 < msg.size() && (msg[p] & 0xc0) == 0xc0) {
    const std::size_t target = (std::size_t{msg[p] & 0x3fu} << 8) | msg[p + 1];
    if (target >= p) return false;
    next = p + 2;
    jumped = true;
    p = target;
  }
  if (!is_half_octet_label(msg, p)) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    const auto c = static_cast<std::uint8_t>(((msg[p + 1 + 2 * i] - 'A') << 4) | (msg[p + 2 + 2 * i] - 'A'));
    if (i < 15) out.text[i] = static_cast<char>(c);
    else out.suffix = c;
  }
  p += 33;
  // Scope labels (rare), bounded by the 255-octet name limit; the last one is the zero label.
  std::size_t wire = 33;
  for (;;) {
    if (p >= msg.size()) return false;
    const std::uint8_t len = msg[p];
    if (len == 0) {
      if (!jumped) next = p + 1;
      return true;
    }
    if ((len & 0xc0) != 0) return false;
    wire += 1u + len;
    if (wire > 255 || p + 1 + len > msg.size()) return false;
    p += 1u + len;
  }
}

class NbnsParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta& meta, Bytes payload) const override {
    if (meta.src_port != 137 && meta.dst_port != 137) return false;  // RFC 1002 §4: the NS port
    ByteReader r(payload);
    r.skip(2);
    const std::uint16_t flags = r.u16be();
    const std::uint16_t qd = r.u16be(), an = r.u16be(), ns = r.u16be(), ar = r.u16be();
    if (!r.ok()) return false;
    const int opcode = (flags >> 11) & 0x0f;
    // Query, registration, release, WACK, refresh (RFC 1002 §4.2.1.1; 9 is the common refresh variant).
    if (opcode != 0 && (opcode < 5 || opcode > 9)) return false;
    if (qd > kMaxCount || an > kMaxCount || ns > kMaxCount || ar > kMaxCount || qd + an + ns + ar == 0) return false;
    return is_half_octet_label(payload, 12);
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    const std::uint16_t flags = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
    const std::uint16_t qd = static_cast<std::uint16_t>((payload[4] << 8) | payload[5]);
    const std::size_t rrs = std::size_t{static_cast<std::uint16_t>((payload[6] << 8) | payload[7])} +
                            static_cast<std::uint16_t>((payload[8] << 8) | payload[9]) +
                            static_cast<std::uint16_t>((payload[10] << 8) | payload[11]);
    const bool response = (flags & 0x8000) != 0;
    const int opcode = (flags >> 11) & 0x0f;
    const int rcode = flags & 0x0f;
    const bool registration = !response && (opcode == 5 || opcode == 8 || opcode == 9);
    const bool positive_answer = response && opcode == 0 && rcode == 0;

    std::size_t pos = 12;
    NbName name;
    for (std::size_t i = 0; i < qd; ++i) {
      std::size_t next = 0;
      if (!read_nb_name(payload, pos, name, next) || next + 4 > payload.size()) return bad(sink, "truncated");
      pos = next + 4;
    }
    for (std::size_t i = 0; i < rrs; ++i) {
      std::size_t next = 0;
      if (!read_nb_name(payload, pos, name, next) || next + 10 > payload.size()) return bad(sink, "truncated");
      const auto type = static_cast<std::uint16_t>((payload[next] << 8) | payload[next + 1]);
      const std::size_t rdlen = (std::size_t{payload[next + 8]} << 8) | payload[next + 9];
      if (next + 10 + rdlen > payload.size()) return bad(sink, "rdata_overrun");
      const Bytes rdata = payload.subspan(next + 10, rdlen);
      pos = next + 10 + rdlen;
      if (type == kTypeNb && (registration || positive_answer)) {
        // NB_FLAGS(2) + NB_ADDRESS(4) entries (RFC 1002 §4.2.2 / §4.2.13); G bit 0x8000 = group name.
        for (std::size_t off = 0; off + 6 <= rdata.size(); off += 6) {
          const bool group = (rdata[off] & 0x80) != 0;
          const IpAddr addr = IpAddr::v4_from_bytes(rdata.data() + off + 2);
          // Responses may come from a WINS server answering for another node: only keep self-answers.
          if (positive_answer && !(meta.has_ip && addr == meta.src_ip)) continue;
          emit_name(name, group, sink);
        }
      } else if (type == kTypeNbstat && response && rcode == 0) {
        if (!parse_nbstat(rdata, sink)) return bad(sink, "nbstat_overrun");
      }
    }
    return ParseStatus::ok;
  }

 private:
  static ParseStatus bad(ObservationSink& sink, std::string_view reason) {
    sink.anomaly("nbns." + std::string(reason));
    return ParseStatus::malformed;
  }

  static void emit_name(const NbName& n, bool group, ObservationSink& sink) {
    const std::string_view base = n.base();
    if (base.empty() || base[0] == '\x01' || base[0] == '*') return;  // "\x01\x02__MSBROWSE__\x02<01>", "*"
    if (group) {
      // Group names are shared (workgroup/domain <00>, <1c>, <1e>): the bare name is the workgroup.
      sink.observe(Party::sender, "nbns.workgroup", printable(base));
      return;
    }
    sink.observe(Party::sender, "nbns.name", n.display());
    // <1d> local master browser, <1b> domain master browser: unique names that are workgroup names.
    if (n.suffix == 0x1d || n.suffix == 0x1b) sink.observe(Party::sender, "nbns.workgroup", printable(base));
  }

  // RFC 1002 §4.2.18: NUM_NAMES(1), NODE_NAME entries (15+1 name octets, NAME_FLAGS(2)), STATISTICS whose
  // first 6 octets are the UNIT_ID (the adapter's MAC address in every implementation seen).
  static bool parse_nbstat(Bytes rdata, ObservationSink& sink) {
    ByteReader r(rdata);
    const std::uint8_t count = r.u8();
    for (std::uint8_t i = 0; i < count && r.ok(); ++i) {
      const Bytes raw = r.bytes(16);
      const std::uint16_t nflags = r.u16be();
      if (!r.ok()) break;
      NbName n;
      for (std::size_t k = 0; k < 15; ++k) n.text[k] = static_cast<char>(raw[k]);
      n.suffix = raw[15];
      emit_name(n, (nflags & 0x8000) != 0, sink);
    }
    const Bytes unit = r.bytes(6);
    if (!r.ok()) return false;
    const MacAddr mac = MacAddr::from_bytes(unit.data());
    if (!mac.is_zero()) sink.observe(Party::sender, "nbns.unit_id", mac.to_string());
    return true;
  }

  ParserSpec spec_{"nbns", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_nbns(ParserRegistry& registry) { registry.add(std::make_unique<NbnsParser>()); }

}  // namespace ww
