// First-line banners of line-oriented protocols: the SSH identification string (RFC 4253 §4.2,
// "SSH-protoversion-softwareversion SP comments CR LF", sent by both sides), the FTP (RFC 959 §4.2) and
// SMTP (RFC 5321 §4.2, §3.1) "220" greeting of the server, and the first printable line a Telnet server
// (RFC 854) sends on port 23 after option negotiation. Each names the software (and often the device
// model or OS) of the side that sent it. Only the first line of each side is read.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {22, 21, 25, 587, 23, 2222};
// Keys carry the protocol they describe rather than this parser's name.
constexpr FactDecl kFacts[] = {
    {"ssh.banner", FactType::text, "whichever side sent it", "RFC 4253 §4.2 identification string (first line)", "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1"},
    {"ftp.banner", FactType::text, "server", "`220` greeting text when it says FTP, or the server port is 21", "(vsFTPd 3.0.3)"},
    {"smtp.banner", FactType::text, "server", "`220` greeting text when it says SMTP/ESMTP, or port 25/587/2525", "mail.hosp.test ESMTP Postfix (Debian/GNU)"},
    {"telnet.banner", FactType::text, "server", "first non-empty printable line after option negotiation, server port 23 only", "Philips IntelliVue Gateway"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"banner.line_too_long", "The first line of a direction (SSH identification string or FTP/SMTP greeting) has no newline within 512 bytes; that direction is given up and no banner is reported for it."},
    {"banner.telnet_subnegotiation_too_long", "A Telnet subnegotiation (IAC SB, RFC 854) from the server runs over 256 bytes without its closing IAC SE; the server direction is given up and no Telnet banner is reported."},
    {"banner.unexpected_first_line", "The first line of a direction is neither an 'SSH-' identification string nor, from the server, a '220' greeting; that direction is given up and no banner is reported for it."},
};
constexpr std::size_t kMaxLine = 512;          // RFC 4253 §4.2 allows 255; RFC 5321 §4.5.3.1.5 allows 512
constexpr std::size_t kMaxTelnetBytes = 2048;  // server bytes searched for a Telnet banner line

enum : std::uint8_t { kIac = 0xff, kSb = 0xfa, kSe = 0xf0, kWill = 0xfb, kDont = 0xfe };


bool is_greeting(std::string_view s) { return s.size() >= 4 && s.substr(0, 3) == "220" && (s[3] == ' ' || s[3] == '-'); }

class BannerSession final : public StreamSession {
 public:
  explicit BannerSession(const StreamMeta& meta) : meta_(meta) {}

  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Dir& d = dirs_[static_cast<int>(dir)];
    consumed = 0;
    if (!d.done) {
      if (dir == StreamDir::to_client && (d.telnet || (meta_.server_port == 23 && !data.empty() && data[0] == kIac))) {
        d.telnet = true;
        consumed = telnet(d, data, sink);
      } else if (dir == StreamDir::to_server && !client_may_be_ssh(data)) {
        // Only an SSH client identifies itself; FTP/SMTP commands and Telnet keystrokes (which may hold
        // credentials) are never read.
        d.done = true;
      } else {
        consumed = first_line(dir, d, data, sink);
      }
    }
    if (d.done) consumed = std::max(consumed, data.size());
    const Dir& server = dirs_[static_cast<int>(StreamDir::to_client)];
    // Only SSH has a banner from the client too; FTP, SMTP and Telnet are done once the server spoke.
    if ((dirs_[0].done && dirs_[1].done) || (server.done && !server.ssh)) return ParseStatus::done;
    return ParseStatus::need_more;
  }

 private:
  struct Dir {
    bool done = false;
    bool ssh = false;
    bool telnet = false;
    std::string text;      // Telnet: printable bytes of the current line
    std::size_t seen = 0;  // Telnet: bytes examined so far
  };

  static bool client_may_be_ssh(Bytes data) {
    const std::string_view s = as_text(data.first(std::min<std::size_t>(data.size(), 4)));
    return std::string_view("SSH-").substr(0, s.size()) == s;
  }

  std::size_t first_line(StreamDir dir, Dir& d, Bytes data, ObservationSink& sink) {
    const std::string_view text = as_text(data.first(std::min(data.size(), kMaxLine)));
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      if (data.size() >= kMaxLine) {
        sink.anomaly("banner.line_too_long");
        d.done = true;
      }
      return 0;
    }
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    d.done = true;
    if (line.substr(0, 4) == "SSH-") {
      d.ssh = true;
      sink.observe(Party::sender, "ssh.banner", printable(line));
    } else if (dir == StreamDir::to_client && is_greeting(line)) {
      // The reply code is shared; the text or the port tells FTP from SMTP.
      const std::string_view msg = line.substr(4);
      const std::uint16_t port = meta_.server_port;
      const bool smtp = icontains(msg, "SMTP") || ((port == 25 || port == 587 || port == 2525) && !icontains(msg, "FTP"));
      const bool ftp = !smtp && (icontains(msg, "FTP") || port == 21);
      if (smtp) sink.observe(Party::sender, "smtp.banner", printable(msg));
      else if (ftp) sink.observe(Party::sender, "ftp.banner", printable(msg));
    } else {
      sink.anomaly("banner.unexpected_first_line");
    }
    return nl + 1;
  }

  // RFC 854 commands: IAC IAC is a data 0xff, IAC WILL/WONT/DO/DONT option is three bytes, IAC SB ... IAC SE
  // a subnegotiation, other IAC commands two bytes. Returns the bytes consumed.
  std::size_t telnet(Dir& d, Bytes data, ObservationSink& sink) {
    std::size_t i = 0;
    while (i < data.size() && !d.done) {
      if (d.seen + i >= kMaxTelnetBytes) {
        d.done = true;  // negotiation only, or binary: no banner
        break;
      }
      const std::uint8_t c = data[i];
      if (c == kIac) {
        if (i + 1 >= data.size()) break;
        const std::uint8_t cmd = data[i + 1];
        if (cmd == kIac) {
          i += 2;
          continue;
        }
        if (cmd >= kWill && cmd <= kDont) {
          if (i + 2 >= data.size()) break;
          i += 3;
          continue;
        }
        if (cmd == kSb) {
          std::size_t j = i + 2;
          while (j + 1 < data.size() && !(data[j] == kIac && data[j + 1] == kSe)) ++j;
          if (j + 1 >= data.size()) {
            if (data.size() - i > 256) {
              sink.anomaly("banner.telnet_subnegotiation_too_long");
              d.done = true;
            }
            break;
          }
          i = j + 2;
          continue;
        }
        i += 2;
        continue;
      }
      ++i;
      if (c == '\n' || c == '\r' || c == 0) {
        const auto first = d.text.find_first_not_of(" \t");
        if (first != std::string::npos) {
          sink.observe(Party::sender, "telnet.banner", printable(std::string_view(d.text).substr(first)));
          d.done = true;
        }
        d.text.clear();
      } else if (d.text.size() < kMaxLine) {
        d.text += static_cast<char>(c);
      }
    }
    d.seen += i;
    return i;
  }

  StreamMeta meta_;
  std::array<Dir, 2> dirs_{};
};

class BannerParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // "SSH-<digits>." from either side; a "220 " / "220-" greeting or a Telnet IAC negotiation from the server.
  bool probe(StreamDir dir, Bytes b) const override {
    const std::string_view s = as_text(b);
    if (s.size() >= 6 && s.substr(0, 4) == "SSH-" && std::isdigit(static_cast<unsigned char>(s[4])) && s[5] == '.')
      return true;
    if (dir != StreamDir::to_client) return false;
    if (is_greeting(s)) return true;
    return b.size() >= 3 && b[0] == kIac && b[1] >= kWill && b[1] <= kDont;
  }

  std::unique_ptr<StreamSession> open(const StreamMeta& meta) const override {
    return std::make_unique<BannerSession>(meta);
  }

 private:
  ParserSpec spec_{"banner", Transport::tcp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_banner(ParserRegistry& registry) { registry.add(std::make_unique<BannerParser>()); }

}  // namespace ww
