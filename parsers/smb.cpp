// SMB session start (TCP 445 direct, TCP 139 over NetBIOS session service, RFC 1002 §4.3): the dialects a
// client offers and the server selects (MS-SMB2 §2.2.3/§2.2.4, MS-CIFS §2.2.4.52), and the NTLMSSP
// CHALLENGE the server returns in its SESSION_SETUP response (MS-NLMP §2.2.1.2): its target information
// names the server's NetBIOS and DNS computer and domain names, and its Version structure the Windows
// build. Client messages after NEGOTIATE (NTLM AUTHENTICATE carries user names) are never parsed.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {445, 139};
constexpr FactDecl kFacts[] = {
    {"smb.dialects", FactType::list, "client", "SMB2 NEGOTIATE request dialects, or SMB1 NEGOTIATE dialect strings", "`2.0.2,2.1,3.0`, `NT LM 0.12,SMB 2.002,SMB 2.???`"},
    {"smb.dialect", FactType::code, "server", "SMB2 NEGOTIATE response DialectRevision (0x02ff, \"use SMB2\", not stored) or the SMB1 dialect chosen", "`3.0`, `NT LM 0.12`"},
    {"smb.ntlm.netbios_computer", FactType::text, "server", "NTLM CHALLENGE target info MsvAvNbComputerName", "WIN-VGO56I95EAK"},
    {"smb.ntlm.netbios_domain", FactType::text, "server", "MsvAvNbDomainName", "ADHACKING"},
    {"smb.ntlm.dns_computer", FactType::text, "server", "MsvAvDnsComputerName", "WIN-VGO56I95EAK.ADHACKING.local"},
    {"smb.ntlm.dns_domain", FactType::text, "server", "MsvAvDnsDomainName", "ADHACKING.local"},
    {"smb.ntlm.dns_tree", FactType::text, "server", "MsvAvDnsTreeName", "ADHACKING.local"},
    {"smb.ntlm.os_version", FactType::text, "server", "CHALLENGE Version (major.minor.build)", "10.0.20348"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"smb.bad_nbss_type", "An NBSS message type other than 0x00 (session message) or 0x81..0x85 (RFC 1002 §4.3.1); the direction is given up."},
    {"smb.malformed_negotiate", "An SMB2 NEGOTIATE request with StructureSize not 36, over 64 dialects or a dialect list past the message, or a response with StructureSize not 65 or cut short (MS-SMB2 §2.2.3/§2.2.4); the message is skipped."},
    {"smb.malformed_ntlm_challenge", "An NTLMSSP CHALLENGE (MS-NLMP §2.2.1.2) in a SESSION_SETUP response is cut short, or its target information or an AV_PAIR runs past the message; what was read is kept and the session is done."},
    {"smb.malformed_session_setup", "An SMB2 SESSION_SETUP response has StructureSize not 9, is cut short, or its security buffer lies outside the message (MS-SMB2 §2.2.6); the message is skipped, later ones are still read."},
    {"smb.malformed_smb1", "An SMB1 NEGOTIATE or SESSION_SETUP_ANDX message's word count or byte count runs past the message (MS-CIFS §2.2.3.1); the message is skipped, later ones are still read."},
    {"smb.malformed_smb2", "An SMB2 NEGOTIATE or SESSION_SETUP message is shorter than its 64-byte header, or its response flag does not match its direction (MS-SMB2 §2.2.1); the message is skipped."},
    {"smb.message_too_large", "A NEGOTIATE or SESSION_SETUP message that would be parsed is over 64 KiB; it is skipped unread and later messages are still read."},
};
constexpr std::size_t kMaxParsedMessage = 64 * 1024;  // NEGOTIATE/SESSION_SETUP messages are far smaller
constexpr std::size_t kNtlmSearchBytes = 4096;        // where the NTLMSSP signature is looked for
constexpr int kMaxMessages = 32;                      // SMB messages examined per direction

constexpr std::uint8_t kSmb1NegotiateCmd = 0x72, kSmb1SessionSetupAndX = 0x73;
constexpr std::uint16_t kSmb2Negotiate = 0, kSmb2SessionSetup = 1;

std::string dialect_name(std::uint16_t d) {
  switch (d) {
    case 0x0202: return "2.0.2";
    case 0x0210: return "2.1";
    case 0x0300: return "3.0";
    case 0x0302: return "3.0.2";
    case 0x0311: return "3.1.1";
    case 0x02ff: return "2.???";
    default: return "0x" + hex(Bytes(std::array<std::uint8_t, 2>{static_cast<std::uint8_t>(d >> 8),
                                                                static_cast<std::uint8_t>(d)}));
  }
}

// UTF-16LE (NTLM strings, MS-NLMP §2.2.2.1) to UTF-8; unpaired surrogates become U+FFFD.
std::string utf16le(Bytes b) {
  std::string out;
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
    std::uint32_t c = b[i] | (b[i + 1] << 8);
    if (c >= 0xd800 && c <= 0xdbff && i + 3 < b.size()) {
      const std::uint32_t lo = b[i + 2] | (b[i + 3] << 8);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i += 2;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xe0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return printable(out);
}

// MS-NLMP §2.2.1.2 CHALLENGE_MESSAGE, `m` starting at the "NTLMSSP\0" signature. Returns false if it is
// not a well-formed challenge.
bool ntlm_challenge(Bytes m, ObservationSink& sink) {
  ByteReader r(m);
  r.skip(8);
  if (r.u32le() != 2) return false;  // only CHALLENGE; NEGOTIATE and AUTHENTICATE are not parsed
  r.skip(8);                         // TargetNameFields
  const std::uint32_t flags = r.u32le();
  r.skip(8 + 8);  // ServerChallenge, Reserved
  const std::uint16_t info_len = r.u16le();
  r.skip(2);
  const std::uint32_t info_off = r.u32le();
  if (!r.ok()) return false;
  // Version (§2.2.2.10) is present when NTLMSSP_NEGOTIATE_VERSION (0x02000000) is set.
  if ((flags & 0x02000000) != 0 && r.has(8)) {
    const std::uint8_t major = r.u8(), minor = r.u8();
    const std::uint16_t build = r.u16le();
    sink.observe(Party::sender, "smb.ntlm.os_version",
                 std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build));
  }
  if (info_len == 0) return true;
  if (info_off > m.size() || m.size() - info_off < info_len) return false;
  // AV_PAIRs (§2.2.2.1): AvId, AvLen, value; MsvAvEOL ends the list.
  ByteReader av(m.subspan(info_off, info_len));
  static constexpr std::string_view names[] = {"", "smb.ntlm.netbios_computer", "smb.ntlm.netbios_domain",
                                               "smb.ntlm.dns_computer", "smb.ntlm.dns_domain", "smb.ntlm.dns_tree"};
  while (av.remaining() >= 4) {
    const std::uint16_t id = av.u16le();
    const std::uint16_t len = av.u16le();
    const Bytes v = av.bytes(len);
    if (!av.ok()) return false;
    if (id == 0) break;
    if (id < std::size(names)) {
      const std::string s = utf16le(v);
      if (!s.empty()) sink.observe(Party::sender, names[id], s);
    }
  }
  return true;
}

class SmbSession final : public StreamSession {
 public:
  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Dir& d = dirs_[static_cast<int>(dir)];
    consumed = 0;
    while (!d.done && consumed + 4 <= data.size()) {  // consumed may pass the end (a skipped body)
      ByteReader r(data.subspan(consumed));
      const std::uint8_t type = r.u8();
      // RFC 1002 §4.3.1: 17-bit length; direct TCP (MS-SMB2 §2.1) uses the full 24 bits.
      const std::uint32_t raw = r.u24be();
      const std::size_t len = type == 0 ? raw : raw & 0x1ffffu;
      if (type != 0) {  // session request/response, keep-alive: no SMB inside
        if (type != 0x81 && type != 0x82 && type != 0x83 && type != 0x84 && type != 0x85) {
          sink.anomaly("smb.bad_nbss_type");
          d.done = true;
          break;
        }
        if (r.remaining() < len) break;
        consumed += 4 + len;
        continue;
      }
      const Bytes head = r.rest().first(std::min<std::size_t>(r.remaining(), 64));
      if (head.size() < std::min<std::size_t>(len, 64)) break;  // wait for the SMB header
      const bool wanted = wants(dir, head);
      if (!wanted) {
        consumed += 4 + len;  // may run past the buffer: the follower skips the rest unbuffered
        count(d);
        continue;
      }
      if (len > kMaxParsedMessage) {
        sink.anomaly("smb.message_too_large");
        consumed += 4 + len;
        count(d);
        continue;
      }
      if (r.remaining() < len) break;  // wait for the whole message
      message(dir, r.bytes(len), sink);
      consumed += 4 + len;
      count(d);
    }
    if (d.done) consumed = std::max(consumed, data.size());
    if (server_done_ || (dirs_[0].done && dirs_[1].done)) return ParseStatus::done;
    return ParseStatus::need_more;
  }

 private:
  struct Dir {
    int messages = 0;
    bool done = false;
  };
  void count(Dir& d) {
    if (++d.messages >= kMaxMessages) d.done = true;
  }

  // Which messages are worth buffering whole: NEGOTIATE both ways, SESSION_SETUP responses.
  static bool wants(StreamDir dir, Bytes h) {
    if (h.size() < 5 || h[1] != 'S' || h[2] != 'M' || h[3] != 'B') return false;
    if (h[0] == 0xff) return h[4] == kSmb1NegotiateCmd || (dir == StreamDir::to_client && h[4] == kSmb1SessionSetupAndX);
    if (h[0] == 0xfe && h.size() >= 14) {
      const std::uint16_t cmd = static_cast<std::uint16_t>(h[12] | (h[13] << 8));
      return cmd == kSmb2Negotiate || (dir == StreamDir::to_client && cmd == kSmb2SessionSetup);
    }
    return false;  // 0xfd: encrypted transform header
  }

  void message(StreamDir dir, Bytes m, ObservationSink& sink) {
    if (m[0] == 0xff) smb1(dir, m, sink);
    else smb2(dir, m, sink);
  }

  // MS-CIFS §2.2.3.1 header (32 bytes), then WordCount, words, ByteCount, bytes.
  void smb1(StreamDir dir, Bytes m, ObservationSink& sink) {
    ByteReader r(m);
    r.skip(4);
    const std::uint8_t cmd = r.u8();
    r.skip(27);
    const std::uint8_t wc = r.u8();
    ByteReader words = r.sub(std::size_t{wc} * 2);
    const std::uint16_t bc = r.u16le();
    const Bytes bytes = r.bytes(bc);
    if (!r.ok()) {
      sink.anomaly("smb.malformed_smb1");
      return;
    }
    if (cmd == kSmb1NegotiateCmd && dir == StreamDir::to_server) {
      // §2.2.4.52.1: dialect strings, each 0x02 followed by a NUL-terminated OEM string.
      std::string list;
      ByteReader b(bytes);
      smb1_dialects_.clear();
      while (b.remaining() >= 2 && b.u8() == 0x02 && smb1_dialects_.size() < 32) {
        const std::string_view rest = as_text(b.rest());
        const std::size_t nul = rest.find('\0');
        const std::string name = printable(rest.substr(0, nul));
        b.skip(nul == std::string_view::npos ? rest.size() : nul + 1);
        smb1_dialects_.push_back(name);
        list += (list.empty() ? "" : ",") + name;
      }
      if (!list.empty()) sink.observe(Party::sender, "smb.dialects", printable(list));
    } else if (cmd == kSmb1NegotiateCmd) {
      // §2.2.4.52.2: the first word is the index of the chosen dialect (0xffff: none).
      const std::uint16_t index = words.u16le();
      if (words.ok() && index < smb1_dialects_.size()) sink.observe(Party::sender, "smb.dialect", smb1_dialects_[index]);
    } else if (cmd == kSmb1SessionSetupAndX) {
      find_ntlm(bytes, sink);
    }
  }

  // MS-SMB2 §2.2.1 header (64 bytes): Flags bit 0 marks a response.
  void smb2(StreamDir dir, Bytes m, ObservationSink& sink) {
    ByteReader h(m);
    h.skip(12);
    const std::uint16_t cmd = h.u16le();
    h.skip(2);
    const std::uint32_t flags = h.u32le();
    h.skip(64 - 20);
    ByteReader body(h.rest());
    const bool response = (flags & 1) != 0;
    if (!h.ok() || response != (dir == StreamDir::to_client)) {
      sink.anomaly("smb.malformed_smb2");
      return;
    }
    if (cmd == kSmb2Negotiate && !response) {
      // §2.2.3: StructureSize 36, DialectCount, SecurityMode, Reserved, Capabilities, ClientGuid,
      // NegotiateContextOffset/Count (8), then the dialects.
      const std::uint16_t size = body.u16le();
      const std::uint16_t count = body.u16le();
      body.skip(2 + 2 + 4 + 16 + 8);
      if (!body.ok() || size != 36 || count > 64) {
        sink.anomaly("smb.malformed_negotiate");
        return;
      }
      std::string list;
      for (std::uint16_t i = 0; i < count; ++i) {
        const std::uint16_t dialect = body.u16le();
        if (!body.ok()) {
          sink.anomaly("smb.malformed_negotiate");
          break;
        }
        list += (list.empty() ? "" : ",") + dialect_name(dialect);
      }
      if (!list.empty()) sink.observe(Party::sender, "smb.dialects", list);
    } else if (cmd == kSmb2Negotiate) {
      // §2.2.4: StructureSize 65, SecurityMode, DialectRevision. 0x02ff only asks for an SMB2 NEGOTIATE.
      const std::uint16_t size = body.u16le();
      body.skip(2);
      const std::uint16_t dialect = body.u16le();
      if (!body.ok() || size != 65) {
        sink.anomaly("smb.malformed_negotiate");
        return;
      }
      if (dialect != 0x02ff) sink.observe(Party::sender, "smb.dialect", dialect_name(dialect));
    } else if (cmd == kSmb2SessionSetup && response) {
      // §2.2.6: StructureSize 9, SessionFlags, SecurityBufferOffset (from the header), SecurityBufferLength.
      const std::uint16_t size = body.u16le();
      body.skip(2);
      const std::uint16_t off = body.u16le();
      const std::uint16_t len = body.u16le();
      if (!body.ok() || size != 9 || off > m.size() || m.size() - off < len) {
        sink.anomaly("smb.malformed_session_setup");
        return;
      }
      find_ntlm(m.subspan(off, len), sink);
    }
  }

  // The security blob is SPNEGO (RFC 4178) around NTLMSSP; instead of decoding the DER wrapper the raw
  // NTLMSSP signature is looked for (as Zeek and nDPI do), within a bounded prefix.
  void find_ntlm(Bytes blob, ObservationSink& sink) {
    static constexpr std::string_view kSig("NTLMSSP\0", 8);
    const std::string_view text = as_text(blob);
    const std::size_t at = text.substr(0, kNtlmSearchBytes).find(kSig);
    if (at == std::string_view::npos) return;
    ByteReader r(blob.subspan(at + 8));
    if (r.u32le() != 2) return;  // a server only ever sends CHALLENGE
    if (!ntlm_challenge(blob.subspan(at), sink)) sink.anomaly("smb.malformed_ntlm_challenge");
    server_done_ = true;  // nothing later in the session is identity
  }

  std::array<Dir, 2> dirs_{};
  std::vector<std::string> smb1_dialects_;
  bool server_done_ = false;
};

class SmbParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // An NBSS session message holding an SMB1/SMB2/SMB3 header (0xFF/0xFE/0xFD "SMB"), or an NBSS session
  // request (type 0x81) with its two 34-byte encoded NetBIOS names (RFC 1002 §4.3.2).
  bool probe(StreamDir, Bytes b) const override {
    if (b.size() < 8) return false;
    if (b[0] == 0x81) return b[1] == 0 && b[2] == 0 && b[3] == 68 && b[4] == 0x20;
    return b[0] == 0 && (b[4] == 0xff || b[4] == 0xfe || b[4] == 0xfd) && b[5] == 'S' && b[6] == 'M' &&
           b[7] == 'B';
  }

  std::unique_ptr<StreamSession> open(const StreamMeta&) const override { return std::make_unique<SmbSession>(); }

 private:
  ParserSpec spec_{"smb", Transport::tcp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_smb(ParserRegistry& registry) { registry.add(std::make_unique<SmbParser>()); }

}  // namespace ww
