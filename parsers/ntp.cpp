// NTP (RFC 5905 §7.3; v1-v3 share the 48-octet header, RFC 1305 / RFC 958). Kept: the mode (who is client
// or server), the version, and for servers the stratum and -- for stratum 1, where it is a 4-character
// ASCII reference clock code such as "GPS" or "GOOG" (RFC 5905 §7.3 "Reference ID") -- the reference id.
// A 48-octet header has little structure, so besides checking it the probe requires udp/123 on one side
// (the port NTP is defined on); otherwise any 48-byte datagram would look like NTP.
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {123};
constexpr FactDecl kFacts[] = {
    {"ntp.mode", FactType::code, "", "LI/VN/Mode octet", "`client`, `server`, `broadcast`, `symmetric_active`, `symmetric_passive`"},
    {"ntp.version", FactType::number, "", "VN", "3"},
    {"ntp.stratum", FactType::number, "", "only for modes 2, 4, 5 (time sources) with stratum 1–15", "1"},
    {"ntp.reference_id", FactType::text, "", "only for stratum 1, where it is an ASCII reference clock code", "`GOOG`, `GPS`, `PPS`"},
};
constexpr std::string_view kModes[] = {"reserved",  "symmetric_active", "symmetric_passive", "client",
                                       "server",    "broadcast",        "control",           "private"};

class NtpParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta& meta, Bytes payload) const override {
    if (meta.src_port != 123 && meta.dst_port != 123) return false;
    if (payload.size() < 48) return false;
    const int version = (payload[0] >> 3) & 0x07;
    const int mode = payload[0] & 0x07;
    // Modes 6 (control) and 7 (private) use other layouts (RFC 1305 App. B, ntpd's mode 7): not parsed.
    if (version < 1 || version > 4 || mode < 1 || mode > 5) return false;
    if (payload[1] > 16) return false;  // stratum 0..15, 16 = unsynchronized
    // After the header only a MAC (4+16 or 4+20 octets), the 4-octet crypto-NAK or v4 extension fields
    // (multiples of 4, RFC 7822) may follow.
    const std::size_t extra = payload.size() - 48;
    return extra % 4 == 0 && extra <= 1024;
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    const int version = (payload[0] >> 3) & 0x07;
    const int mode = payload[0] & 0x07;
    const int stratum = payload[1];
    sink.observe(Party::sender, "ntp.mode", kModes[mode]);
    sink.observe(Party::sender, "ntp.version", std::to_string(version));
    // Stratum describes the sender's own clock only when it answers or broadcasts time (modes 2, 4, 5);
    // a client's stratum field is usually 0 (RFC 5905 §7.3, §9.2).
    const bool time_source = mode == 2 || mode == 4 || mode == 5;
    if (time_source && stratum >= 1 && stratum <= 15) {
      sink.observe(Party::sender, "ntp.stratum", std::to_string(stratum));
      if (stratum == 1) {
        const std::string refid = printable(as_text(payload.subspan(12, 4)));
        if (!refid.empty()) sink.observe(Party::sender, "ntp.reference_id", refid);
      }
    }
    return ParseStatus::ok;
  }

 private:
  ParserSpec spec_{"ntp", Transport::udp, kPorts, kFacts, {}};
};

}  // namespace

void register_parser_ntp(ParserRegistry& registry) { registry.add(std::make_unique<NtpParser>()); }

}  // namespace ww
