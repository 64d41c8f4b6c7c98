// NetBIOS Datagram Service (RFC 1002 §4.4), udp/138, carrying SMB Transaction mailslot writes to
// \MAILSLOT\BROWSE: the Common Internet File System Browser Protocol ([MS-BRWS] §2.2). Host and local-master
// announcements (opcodes 1 and 15, [MS-BRWS] §2.2.1 / §2.2.7) name the sender, its OS version and its server
// type bits ([MS-RAP] §2.5.5.2.1 SV_TYPE_*); a domain announcement (opcode 12) names the workgroup.
// Keys use the prefix "browser" (as Wireshark's dissector).
#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {138};
constexpr FactDecl kFacts[] = {
    {"browser.hostname", FactType::text, "", "ServerName of HostAnnouncement (1) / LocalMasterAnnouncement (15)", "`NVR9`, `MSEDGEWIN10`"},
    {"browser.workgroup", FactType::text, "", "ServerName field of a DomainAnnouncement (12)", "WORKGROUP"},
    {"browser.os_version", FactType::text, "", "OSVersionMajor.OSVersionMinor", "`6.1`, `10.0`"},
    {"browser.server_type", FactType::hex, "", "ServerType bits, hex", "0x00011007"},
    {"browser.role", FactType::code, "", "one value per set ServerType bit ([MS-RAP] §2.5.5.2.1 SV_TYPE_*)", "`workstation`, `server`, `sql_server`, `domain_controller`, `print_server`, `master_browser`, ..."},
    {"browser.comment", FactType::text, "", "Comment of host / local master announcements", "Radiology PACS"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"browser.truncated", "The SMB header of the mailslot datagram runs past the datagram ([MS-BRWS] over [MS-CIFS] §2.2.4.33); the datagram is skipped."},
    {"browser.bad_transaction", "The SMB_COM_TRANSACTION has fewer than 14 parameter words or its words run past the datagram; the datagram is skipped."},
    {"browser.data_overrun", "The transaction data offset and count point past the datagram; the datagram is skipped."},
    {"browser.truncated_announcement", "A host or domain announcement ([MS-BRWS] §2.2.1) ends before its fixed fields; nothing is kept."},
};

// [MS-RAP] §2.5.5.2.1 server type bits, in bit order.
constexpr std::array<std::string_view, 32> kServerTypeBits{
    "workstation",      "server",         "sql_server",       "domain_controller", "backup_domain_controller",
    "time_source",      "apple_server",   "novell_server",    "domain_member",     "print_server",
    "dialin_server",    "unix_server",    "nt_workstation",   "wfw",               "mfpn",
    "nt_server",        "potential_browser", "backup_browser", "master_browser",   "domain_master_browser",
    "osf_server",       "vms_server",     "windows",          "dfs_server",        "cluster_nt",
    "terminal_server",  "cluster_vs_nt",  "",                 "dce",               "alternate_xport",
    "local_list_only",  "domain_enum"};


// Skips an encoded NetBIOS name (RFC 1001 §14.1: 0x20 + 32 half-octet characters, then scope labels).
bool skip_nb_name(ByteReader& r) {
  if (r.u8() != 0x20) return false;
  const Bytes enc = r.bytes(32);
  if (!r.ok()) return false;
  for (std::uint8_t c : enc) {
    if (c < 'A' || c > 'P') return false;
  }
  std::size_t wire = 33;
  for (;;) {
    const std::uint8_t len = r.u8();
    if (!r.ok()) return false;
    if (len == 0) return true;
    if ((len & 0xc0) != 0 || (wire += 1u + len) > 255) return false;
    r.skip(len);
  }
}

std::string_view cstring(Bytes b) {
  std::string_view s = as_text(b);
  const std::size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

class NetbiosBrowserParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override {
    ByteReader r(payload);
    const std::uint8_t type = r.u8();
    // DIRECT_UNIQUE, DIRECT_GROUP, BROADCAST datagrams (RFC 1002 §4.4.1) carry names and user data.
    if (type < 0x10 || type > 0x12) return false;
    r.skip(1 + 2 + 4 + 2);  // flags, id, source ip, source port
    const std::uint16_t dgm_length = r.u16be();
    r.skip(2);  // packet offset
    if (!r.ok() || dgm_length > r.remaining()) return false;
    return skip_nb_name(r) && skip_nb_name(r);
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    ByteReader r(payload);
    r.skip(14);
    skip_nb_name(r);
    skip_nb_name(r);
    const Bytes smb = r.rest();
    // SMB header ([MS-CIFS] §2.2.3.1): "\xffSMB", command 0x25 = SMB_COM_TRANSACTION, 32 octets in all.
    ByteReader s(smb);
    const Bytes magic = s.bytes(4);
    const std::uint8_t command = s.u8();
    if (!s.ok()) return bad(sink, "truncated");
    if (magic[0] != 0xff || magic[1] != 'S' || magic[2] != 'M' || magic[3] != 'B' || command != 0x25) {
      return ParseStatus::ok;  // a datagram, but not a mailslot write: nothing to learn
    }
    s.skip(27);
    // SMB_COM_TRANSACTION request ([MS-CIFS] §2.2.4.33.1): WordCount 14 + SetupCount words.
    const std::uint8_t word_count = s.u8();
    const Bytes words = s.bytes(std::size_t{word_count} * 2);
    const std::uint16_t byte_count = s.u16le();
    const Bytes bytes = s.bytes(byte_count);
    if (!s.ok() || word_count < 14) return bad(sink, "bad_transaction");
    ByteReader w(words);
    w.skip(22);  // total counts, max counts, max setup, reserved, flags, timeout, reserved2, param count/offset
    const std::uint16_t data_count = w.u16le();
    const std::uint16_t data_offset = w.u16le();
    if (!w.ok()) return bad(sink, "bad_transaction");
    const std::string_view mailslot = cstring(bytes);
    if (!iequals(mailslot, "\\MAILSLOT\\BROWSE")) return ParseStatus::ok;
    if (std::size_t{data_offset} + data_count > smb.size()) return bad(sink, "data_overrun");
    return parse_browse(smb.subspan(data_offset, data_count), sink);
  }

 private:
  static ParseStatus bad(ObservationSink& sink, std::string_view reason) {
    sink.anomaly("browser." + std::string(reason));
    return ParseStatus::malformed;
  }

  // [MS-BRWS] §2.2.1 HostAnnouncement (and the same layout for opcodes 12 and 15): Opcode, UpdateCount,
  // Periodicity(4), ServerName[16], OSVersionMajor, OSVersionMinor, ServerType(4, LE), BrowserVersionMajor,
  // BrowserVersionMinor, Signature(2), Comment (NUL-terminated).
  static ParseStatus parse_browse(Bytes data, ObservationSink& sink) {
    ByteReader r(data);
    const std::uint8_t opcode = r.u8();
    if (opcode != 1 && opcode != 12 && opcode != 15) return ParseStatus::ok;  // elections, requests...
    r.skip(1 + 4);
    const Bytes name = r.bytes(16);
    const std::uint8_t major = r.u8();
    const std::uint8_t minor = r.u8();
    const std::uint32_t type = r.u32le();
    r.skip(4);
    if (!r.ok()) return bad(sink, "truncated_announcement");
    const Bytes comment = r.bytes(std::min<std::size_t>(r.remaining(), 256));
    const std::string host = printable(cstring(name));
    if (!host.empty()) sink.observe(Party::sender, opcode == 12 ? "browser.workgroup" : "browser.hostname", host);
    sink.observe(Party::sender, "browser.os_version", std::to_string(major) + "." + std::to_string(minor));
    char hexbuf[16];
    std::snprintf(hexbuf, sizeof hexbuf, "0x%08x", type);
    sink.observe(Party::sender, "browser.server_type", hexbuf);
    for (std::size_t bit = 0; bit < 32; ++bit) {
      if ((type >> bit) & 1u && !kServerTypeBits[bit].empty()) {
        sink.observe(Party::sender, "browser.role", kServerTypeBits[bit]);
      }
    }
    // In a domain announcement the comment field holds the master browser's name, not a description.
    const std::string text = printable(cstring(comment));
    if (opcode != 12 && !text.empty()) sink.observe(Party::sender, "browser.comment", text);
    return ParseStatus::ok;
  }

  ParserSpec spec_{"browser", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_netbios_browser(ParserRegistry& registry) {
  registry.add(std::make_unique<NetbiosBrowserParser>());
}

}  // namespace ww
