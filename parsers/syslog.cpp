// Syslog over UDP (RFC 5426), messages in RFC 5424 or BSD RFC 3164 format.
// Kept: the facility (from PRI), the HOSTNAME and the APP-NAME / TAG the sender gives itself. Never kept:
// the message text, structured data, PROCID or MSGID -- a clinical system's log line may carry patient data.
//   RFC 5424 §6: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG", "-" meaning nil.
//   RFC 3164 §4.1: "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG"; many devices omit TIMESTAMP and HOSTNAME
//   ("<PRI>TAG: MSG"), in which case only a TAG-shaped first token is taken.
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {514};
constexpr FactDecl kFacts[] = {
    {"syslog.facility", FactType::code, "", "PRI / 8 (RFC 5424 §6.2.1 table)", "`local7`, `daemon`, `auth`"},
    {"syslog.hostname", FactType::text, "", "RFC 5424 HOSTNAME; RFC 3164 HOSTNAME after a `Mmm dd hh:mm:ss` TIMESTAMP", "`pfSense.localdomain`, `nb6`"},
    {"syslog.app_name", FactType::text, "", "RFC 5424 APP-NAME; RFC 3164 TAG (letters, digits, `-_./`, ending at `[` or `:`)", "`suricata`, `snmpd`, `chillispot`"},
};
constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",  "uucp",   "cron",  "authpriv",
    "ftp",    "ntp",    "audit",  "alert",  "clock",  "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7"};
constexpr std::size_t kMaxTag = 48;     // RFC 3164 §4.1.3 says 32; real tags run a bit longer
constexpr std::size_t kMaxHost = 255;   // RFC 5424 §6.2.4

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "<PRI>" with PRI 0..191 and 1-3 digits (RFC 5424 §6.2.1); returns the PRI and the offset after '>'.
bool read_pri(std::string_view s, int& pri, std::size_t& after) {
  if (s.size() < 4 || s[0] != '<') return false;
  std::size_t i = 1;
  pri = 0;
  while (i < s.size() && i <= 3 && is_digit(s[i])) pri = pri * 10 + (s[i++] - '0');
  if (i == 1 || i >= s.size() || s[i] != '>' || pri > 191) return false;
  if (i > 2 && s[1] == '0') return false;  // no leading zeros
  after = i + 1;
  return after < s.size();
}

std::string_view next_token(std::string_view& s) {
  const std::size_t sp = s.find(' ');
  const std::string_view tok = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
  return tok;
}

// RFC 3164 §4.1.2 TIMESTAMP: "Mmm dd hh:mm:ss" (day space-padded), exactly 15 characters then a space.
bool bsd_timestamp(std::string_view s) {
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' || s[15] != ' ') return false;
  bool month = false;
  for (auto m : months) month = month || s.substr(0, 3) == m;
  return month && is_digit(s[5]) && is_digit(s[7]) && is_digit(s[8]);
}

// A TAG is alphanumeric (plus a few punctuation characters real daemons use), starts with a letter and
// ends at '[' or ':' (RFC 3164 §4.1.3).
std::string_view tag_of(std::string_view s) {
  std::size_t i = 0;
  if (s.empty() || !is_alpha(s[0])) return {};
  while (i < s.size() && i <= kMaxTag &&
         (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == '/')) {
    ++i;
  }
  if (i > kMaxTag || i >= s.size() || (s[i] != '[' && s[i] != ':')) return {};
  return s.substr(0, i);
}

bool plausible_host(std::string_view h) {
  if (h.empty() || h.size() > kMaxHost || h == "-") return false;
  for (char c : h) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

class SyslogParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  bool probe(const PacketMeta&, Bytes payload) const override {
    int pri = 0;
    std::size_t after = 0;
    return read_pri(as_text(payload), pri, after);
  }

  ParseStatus parse(const PacketMeta&, Bytes payload, ObservationSink& sink) const override {
    const std::string_view all = as_text(payload);
    int pri = 0;
    std::size_t after = 0;
    if (!read_pri(all, pri, after)) return ParseStatus::not_mine;
    sink.observe(Party::sender, "syslog.facility", kFacilities[static_cast<std::size_t>(pri / 8)]);
    std::string_view s = all.substr(after);
    if (s.size() > 2 && s[0] == '1' && s[1] == ' ') {
      // RFC 5424: VERSION 1, then space-separated header fields.
      s.remove_prefix(2);
      next_token(s);  // TIMESTAMP
      const std::string_view host = next_token(s);
      const std::string_view app = next_token(s);
      if (plausible_host(host)) sink.observe(Party::sender, "syslog.hostname", printable(host));
      if (plausible_host(app) && app.size() <= 48) sink.observe(Party::sender, "syslog.app_name", printable(app));
      return ParseStatus::ok;
    }
    if (bsd_timestamp(s)) {
      s.remove_prefix(16);
      const std::string_view host = next_token(s);
      // A TAG directly after the timestamp means the HOSTNAME was left out.
      // (An IPv6 HOSTNAME holds ':' too, but never ends in ':' nor holds '['.)
      const std::string_view host_tag = tag_of(host);
      if (!host_tag.empty() && (host.back() == ':' || host.find('[') != std::string_view::npos)) {
        sink.observe(Party::sender, "syslog.app_name", printable(host_tag));
        return ParseStatus::ok;
      }
      if (plausible_host(host)) sink.observe(Party::sender, "syslog.hostname", printable(host));
    }
    const std::string_view tag = tag_of(s);
    if (!tag.empty()) sink.observe(Party::sender, "syslog.app_name", printable(tag));
    return ParseStatus::ok;
  }

 private:
  ParserSpec spec_{"syslog", Transport::udp, kPorts, kFacts, {}};
};

}  // namespace

void register_parser_syslog(ParserRegistry& registry) { registry.add(std::make_unique<SyslogParser>()); }

}  // namespace ww
