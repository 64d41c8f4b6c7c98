// TCP/IP stack fingerprints of SYN and SYN+ACK segments, p0f v3 style (p0f 3.09b by Michal Zalewski).
// The signature (ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass) is built exactly as p0f's process.c and
// fp_tcp.c build it, and matched against the p0f.fp database Debian's p0f package installs, read once when
// the parser is constructed (never copied into this repository). Without the file only raw signatures are
// reported. Format and matching rules: p0f's README section 5 (/usr/share/doc/p0f/README.gz) and
// docs/protocols/tcp_fingerprint.md, which also lists where this differs from p0f.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "wardwatch/p0f.hpp"
#include "wardwatch/parser.hpp"
#include "wardwatch/recent_memo.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace p0f {
namespace {

// TCP header flags (RFC 9293 §3.1, RFC 3168 §6.1).
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPush = 0x08, kAck = 0x10, kUrg = 0x20, kEce = 0x40,
                       kCwr = 0x80;
// TCP option kinds p0f names (RFC 9293 §3.2, RFC 7323, RFC 2018).
constexpr std::uint8_t kOptEol = 0, kOptNop = 1, kOptMss = 2, kOptWs = 3, kOptSackOk = 4, kOptSack = 5, kOptTs = 8;
constexpr int kMinTcp4 = 40, kMinTcp6 = 60;  // IP + TCP headers without options

std::uint32_t be32(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// p0f's detect_win_multi: is the window a multiple of the MSS or of the MTU? Returns the multiplier or -1.
// The s16 result type of p0f is kept (a huge multiplier wraps negative and is then printed as a plain
// window), and a zero divisor, on which p0f would trap, is skipped.
int win_multiplier(const TcpSig& ts, bool& use_mtu, std::uint16_t syn_mss) {
  const int win = ts.win, mss = ts.mss;
  if (win == 0 || mss < 100 || ts.win_type != WinType::normal) return -1;
  int result = -1;
  auto divides = [&](int div, bool mtu) {
    if (div == 0 || win % div != 0) return false;
    use_mtu = mtu;
    result = static_cast<std::int16_t>(win / div);
    return true;
  };
  if (divides(mss, false)) return result;
  if (ts.ts1 != 0 && divides(mss - 12, false)) return result;  // some stacks subtract timestamp option room
  if (divides(1500 - kMinTcp4, false) || divides(1500 - kMinTcp4 - 12, false)) return result;
  if (ts.ip_ver == 6 && (divides(1500 - kMinTcp6, false) || divides(1500 - kMinTcp6 - 12, false))) return result;
  if (divides(mss + kMinTcp4, true) || divides(mss + ts.tot_hdr, true)) return result;
  if (ts.ip_ver == 6 && divides(mss + kMinTcp6, true)) return result;
  if (divides(1500, true)) return result;
  if (syn_mss != 0 && (divides(syn_mss, false) || divides(syn_mss - 12, false))) return result;
  return -1;
}

void append_layout(std::string& out, const std::array<std::uint8_t, kMaxTcpOptions>& layout, std::size_t count,
                   int eol_pad) {
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) out += ',';
    switch (layout[i]) {
      case kOptEol:
        out += "eol+" + std::to_string(eol_pad);
        break;
      case kOptNop:
        out += "nop";
        break;
      case kOptMss:
        out += "mss";
        break;
      case kOptWs:
        out += "ws";
        break;
      case kOptSackOk:
        out += "sok";
        break;
      case kOptSack:
        out += "sack";
        break;
      case kOptTs:
        out += "ts";
        break;
      default:
        out += '?' + std::to_string(layout[i]);
        break;
    }
  }
}

struct QuirkName {
  std::uint32_t bit;
  std::string_view name;
};
constexpr QuirkName kQuirkNames[] = {
    {quirk::df, "df"},         {quirk::nz_id, "id+"},    {quirk::zero_id, "id-"},     {quirk::ecn, "ecn"},
    {quirk::nz_mbz, "0+"},     {quirk::flow, "flow"},    {quirk::zero_seq, "seq-"},   {quirk::nz_ack, "ack+"},
    {quirk::zero_ack, "ack-"}, {quirk::nz_urg, "uptr+"}, {quirk::urg, "urgf+"},       {quirk::push, "pushf+"},
    {quirk::ts1_zero, "ts1-"}, {quirk::ts2_nz, "ts2+"},  {quirk::opt_eol_nz, "opt+"}, {quirk::exws, "exws"},
    {quirk::bad, "bad"},
};

}  // namespace

TcpSig observe(const PacketMeta& m, Bytes opts) {
  TcpSig s;
  std::uint32_t q = 0;
  const std::uint8_t flags = m.tcp_flags;
  const std::uint8_t type = flags & (kSyn | kAck | kFin | kRst);
  s.syn_ack = type == (kSyn | kAck);
  s.ttl = m.ttl;
  if (m.ip_version == 6) {
    s.ip_ver = 6;
    s.ip_opt_len = 0;  // p0f never looks at IPv6 extension headers
    if (m.ipv6_flow_label != 0) q |= quirk::flow;
    s.tot_hdr = 40;
  } else {
    s.ip_ver = 4;
    s.ip_opt_len = m.ip_options_length;
    if (m.ip_dont_fragment) {
      q |= quirk::df;
      if (m.ip_id != 0) q |= quirk::nz_id;
    } else if (m.ip_id == 0) {
      q |= quirk::zero_id;
    }
    s.tot_hdr = 20 + m.ip_options_length;
  }
  if ((m.ip_tos & 0x03) != 0) q |= quirk::ecn;  // ECT or CE codepoint (RFC 3168 §5)
  s.tot_hdr += 20 + static_cast<int>(opts.size());
  s.win = m.tcp_window;
  if ((flags & (kEce | kCwr)) != 0) q |= quirk::ecn;
  if (m.tcp_seq == 0) q |= quirk::zero_seq;
  if ((flags & kAck) != 0) {
    if (m.tcp_ack == 0) q |= quirk::zero_ack;
  } else if ((flags & kRst) == 0 && ((m.tcp_ack >> 24) & 1u) != 0) {
    // p0f 3.09b tests `RD32(tcp->ack) & 1` on the raw network-order word: on the little-endian hosts its
    // database was written on that is the lowest bit of the ack number's first byte. Reproduced so that
    // raw signatures, and the "ack+" database lines, agree with p0f.
    q |= quirk::nz_ack;
  }
  if ((flags & kUrg) != 0)
    q |= quirk::urg;
  else if (m.tcp_urgent != 0)
    q |= quirk::nz_urg;
  if ((flags & kPush) != 0) q |= quirk::push;
  s.pay_class = m.tcp_payload_length != 0 ? 1 : 0;

  // TCP options, walked as p0f's process.c walks them: fixed-size options are skipped by their nominal
  // size whatever their length byte says (a wrong length byte is the "bad" quirk), and anything that would
  // run past the end stops the walk (also "bad").
  const std::size_t n = opts.size();
  std::size_t i = 0;
  bool aborted = false;
  auto length_byte_is = [&](std::uint8_t want) { return i < n && opts[i] == want; };
  while (i < n && s.opt_cnt < kMaxTcpOptions && !aborted) {
    const std::uint8_t kind = opts[i++];
    s.olayout[s.opt_cnt++] = kind;
    switch (kind) {
      case kOptEol: {
        // Everything after EOL is padding: note its length, and "opt+" if any of it is non-zero. (p0f's
        // scan steps past the first non-zero byte before testing, so a non-zero last byte goes unnoticed.)
        s.eol_pad = static_cast<int>(n - i);
        while (i < n) {
          if (opts[i++] != 0) break;
        }
        if (i != n) {
          q |= quirk::opt_eol_nz;
          i = n;
        }
        break;
      }
      case kOptNop:
        break;
      case kOptMss:
        if (!length_byte_is(4)) q |= quirk::bad;
        if (i + 3 > n) {
          aborted = true;
          break;
        }
        s.mss = (opts[i + 1] << 8) | opts[i + 2];
        i += 3;
        break;
      case kOptWs:
        if (!length_byte_is(3)) q |= quirk::bad;
        if (i + 2 > n) {
          aborted = true;
          break;
        }
        s.wscale = opts[i + 1];
        if (s.wscale > 14) q |= quirk::exws;
        i += 2;
        break;
      case kOptSackOk:
        if (!length_byte_is(2)) q |= quirk::bad;
        if (i + 1 > n) {
          aborted = true;
          break;
        }
        i += 1;
        break;
      case kOptTs:
        if (!length_byte_is(10)) q |= quirk::bad;
        if (i + 9 > n) {
          aborted = true;
          break;
        }
        s.ts1 = be32(opts, i + 1);
        if (s.ts1 == 0) q |= quirk::ts1_zero;
        if (type == kSyn && be32(opts, i + 5) != 0) q |= quirk::ts2_nz;
        i += 9;
        break;
      case kOptSack:  // 10 to 34 bytes
      default: {      // unknown: 2 to 40 bytes
        const std::size_t len = i < n ? opts[i] : 0;
        const std::size_t lo = kind == kOptSack ? 10 : 2, hi = kind == kOptSack ? 34 : 40;
        if (len < lo || len > hi || i - 1 + len > n) {
          aborted = true;
          break;
        }
        i += len - 1;
        break;
      }
    }
  }
  if (aborted || i != n) q |= quirk::bad;
  s.quirks = q;
  return s;
}

int guess_distance(int ttl) {
  if (ttl <= 32) return 32 - ttl;
  if (ttl <= 64) return 64 - ttl;
  if (ttl <= 128) return 128 - ttl;
  return 255 - ttl;
}

std::string raw_signature(const TcpSig& s, std::uint16_t peer_mss) {
  std::string out;
  out.reserve(96);
  const int dist = guess_distance(s.ttl);
  out += std::to_string(s.ip_ver);
  out += ':';
  out += std::to_string(s.ttl);
  out += dist > kMaxDist ? std::string("+?") : "+" + std::to_string(dist);
  out += ':';
  out += std::to_string(s.ip_opt_len);
  out += ':';
  // A SYN+ACK echoing p0f-sendsyn's MSS: p0f suggests the wildcard.
  if (s.syn_ack && s.mss == kSendsynMss)
    out += '*';
  else
    out += std::to_string(s.mss);
  out += ':';
  bool use_mtu = false;
  const int multi = win_multiplier(s, use_mtu, peer_mss);
  if (multi > 0)
    out += (use_mtu ? "mtu*" : "mss*") + std::to_string(multi);
  else
    out += std::to_string(s.win);
  out += ',';
  out += std::to_string(s.wscale);
  out += ':';
  append_layout(out, s.olayout, s.opt_cnt, s.eol_pad);
  out += ':';
  bool first = true;
  for (const auto& qn : kQuirkNames) {
    if ((s.quirks & qn.bit) == 0) continue;
    if (!first) out += ',';
    out += qn.name;
    first = false;
  }
  out += s.pay_class != 0 ? ":+" : ":0";
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// p0f.fp reader. The grammar and the checks follow p0f's readfp.c and tcp_register_sig(); where p0f exits
// (FATAL), this reader records "line N: why", skips the line and carries on.

namespace {

struct LineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr std::string_view kNameChars = " ./-_!?()";  // p0f config.h NAME_CHARS

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_name_char(char c) {
  return is_alnum(c) || kNameChars.find(c) != std::string_view::npos;
}


// A cursor over one signature value; every failure throws LineError with p0f's wording.
class Cursor {
 public:
  explicit Cursor(std::string_view v) : v_(v) {}
  [[nodiscard]] char peek(std::size_t k = 0) const { return pos_ + k < v_.size() ? v_[pos_ + k] : '\0'; }
  [[nodiscard]] bool at_end() const { return pos_ >= v_.size(); }
  void advance(std::size_t k = 1) { pos_ = std::min(v_.size(), pos_ + k); }
  bool take(std::string_view s) {
    if (v_.substr(pos_).substr(0, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  void expect(char c, const char* what) {
    if (peek() != c) throw LineError(what);
    advance();
  }
  // Decimal digits (possibly none: p0f's atol then reads 0), bounded to avoid overflow.
  long number() {
    long v = 0;
    while (is_digit(peek())) {
      if (v < 100000) v = v * 10 + (peek() - '0');
      advance();
    }
    return v;
  }
  // A decimal field that must be present and within [lo, hi]; `malformed` / `bogus` name the failure.
  int bounded(long lo, long hi, const char* malformed, const char* bogus) {
    if (!is_digit(peek())) throw LineError(malformed);
    const long v = number();
    if (v < lo || v > hi) throw LineError(bogus);
    return static_cast<int>(v);
  }
  [[nodiscard]] std::string_view rest() const { return v_.substr(std::min(pos_, v_.size())); }
  [[nodiscard]] std::size_t consumed() const { return pos_; }

 private:
  std::string_view v_;
  std::size_t pos_ = 0;
};

// The fields of a `sig = ...` value, ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass, are described in
// p0f's README section 5 ("TCP signatures"); the range checks and the wording of each error are p0f's
// tcp_register_sig (fp_tcp.c). Each field's parser reads the field and the ':' (',' after wsize) ending it,
// and throws LineError at the first problem, where p0f stops.

// ver (README §5, "ver"): '4', '6', or '*' for both.
int parse_ip_version(Cursor& c) {
  int ip_ver = 0;
  switch (c.peek()) {
    case '4':
      ip_ver = 4;
      break;
    case '6':
      ip_ver = 6;
      break;
    case '*':
      ip_ver = -1;
      break;
    default:
      throw LineError("unrecognized IP version");
  }
  c.advance();
  c.expect(':', "malformed signature");
  return ip_ver;
}

// ittl (README §5, "ittl"): the initial TTL, written N, observed+distance (N+D, summed here) or N- for a
// tool that randomises its TTLs (N then being the highest it uses).
void parse_ttl(Cursor& c, TcpSig& s) {
  long ittl = c.bounded(1, 255, "malformed signature (initial TTL)", "bogus initial TTL");
  if (c.take("-")) {
    s.bad_ttl = true;
  } else if (c.take("+")) {
    if (!is_digit(c.peek())) throw LineError("malformed signature (TTL distance)");
    const long add = c.number();
    if (ittl + add > 255) throw LineError("bogus initial TTL");
    ittl += add;
  }
  s.ttl = static_cast<int>(ittl);
  c.expect(':', "malformed signature (initial TTL)");
}

// olen (README §5, "olen"): the length of the IPv4 options or IPv6 extension headers.
int parse_ip_option_length(Cursor& c) {
  const int olen = c.bounded(0, 255, "malformed signature (IP option length)", "bogus IP option length");
  c.expect(':', "malformed signature (IP option length)");
  return olen;
}

// mss (README §5, "mss"): the MSS option's value, or '*' (-1) where it depends on the sender's link.
int parse_mss(Cursor& c) {
  const int mss = c.take("*") ? -1 : c.bounded(0, 65535, "malformed signature (MSS)", "bogus MSS");
  c.expect(':', "malformed signature (MSS)");
  return mss;
}

// wsize (README §5, "wsize"): a fixed window, '*', '%N' (any multiple of N), or 'mss*N' / 'mtu*N'.
void parse_window(Cursor& c, TcpSig& s) {
  if (c.peek() == '*' && c.peek(1) == ',') {
    s.win_type = WinType::any;
    c.advance();
  } else if (c.take("%")) {
    s.win_type = WinType::mod;
    s.win = c.bounded(2, 65535, "malformed signature (window)", "bogus '%' value");
  } else if (const bool of_mss = c.take("mss*"); of_mss || c.take("mtu*")) {
    s.win_type = of_mss ? WinType::mss : WinType::mtu;
    s.win = c.bounded(1, 1000, "malformed signature (window)", "bogus MSS/MTU multiplier");
  } else {
    s.win = c.bounded(0, 65535, "malformed signature (window)", "bogus window size");
  }
  c.expect(',', "malformed signature (window)");
}

// scale (README §5, "scale"): the window scale option's value, or '*' (-1).
int parse_window_scale(Cursor& c) {
  const int scale = c.take("*") ? -1 : c.bounded(0, 255, "malformed signature (window scale)", "bogus window scale");
  c.expect(':', "malformed signature (window scale)");
  return scale;
}

struct OptionName {
  std::string_view name;
  std::uint8_t kind;
};
// The olayout names other than eol+n and ?n, tried in this order (README §5, "olayout").
constexpr OptionName kOptionNames[] = {{"nop", kOptNop},    {"mss", kOptMss},   {"ws", kOptWs},
                                       {"sok", kOptSackOk}, {"sack", kOptSack}, {"ts", kOptTs}};

// "eol+n", after "eol": n bytes of padding follow the end of options, so it must be the last option.
std::uint8_t parse_eol_option(Cursor& c, TcpSig& s) {
  if (!c.take("+")) throw LineError("malformed EOL option");
  if (!is_digit(c.peek())) throw LineError("malformed EOL option");
  const long pad = c.number();
  if (c.at_end()) throw LineError("truncated options");
  if (c.peek() != ':') throw LineError("EOL must be the last option");
  if (pad > 255) throw LineError("bogus EOL padding");
  s.eol_pad = static_cast<int>(pad);
  return kOptEol;
}

// "?n", after '?': an option kind p0f has no name for.
std::uint8_t parse_unknown_option(Cursor& c) {
  if (!is_digit(c.peek())) throw LineError("malformed '?' option");
  const long kind = c.number();
  if (c.peek() != ':' && c.peek() != ',') throw LineError("malformed '?' option");
  if (kind > 255) throw LineError("bogus '?' option");
  return static_cast<std::uint8_t>(kind);
}

// One olayout entry: its option kind.
std::uint8_t parse_option(Cursor& c, TcpSig& s) {
  if (c.take("eol")) return parse_eol_option(c, s);
  for (const auto& option : kOptionNames) {
    if (c.take(option.name)) return option.kind;
  }
  if (c.take("?")) return parse_unknown_option(c);
  throw LineError("unrecognized TCP option");
}

// olayout (README §5, "olayout"): the TCP options in wire order, comma separated; possibly none.
void parse_option_layout(Cursor& c, TcpSig& s) {
  while (c.peek() != ':') {
    if (c.at_end()) throw LineError("truncated options");
    if (s.opt_cnt >= kMaxTcpOptions) throw LineError("too many TCP options");
    s.olayout[s.opt_cnt] = parse_option(c, s);
    ++s.opt_cnt;
    if (c.peek() == ':') break;
    c.expect(',', "malformed TCP options");
  }
  c.expect(':', "truncated options");
}

// One quirk name, which must make sense for the signature's IP version: df, id+, id- and 0+ are IPv4
// header fields, flow an IPv6 one (README §5, "quirks"; p0f refuses the mismatch in a 4 or 6 signature).
std::uint32_t parse_quirk(Cursor& c, int ip_ver) {
  for (const auto& qn : kQuirkNames) {
    if (!c.take(qn.name)) continue;
    const bool v4_only =
        qn.bit == quirk::df || qn.bit == quirk::nz_id || qn.bit == quirk::zero_id || qn.bit == quirk::nz_mbz;
    if (v4_only && ip_ver == 6) throw LineError("'" + std::string(qn.name) + "' is not valid for IPv6");
    if (qn.bit == quirk::flow && ip_ver == 4) throw LineError("'flow' is not valid for IPv4");
    return qn.bit;
  }
  throw LineError("unrecognized quirk");
}

// quirks (README §5, "quirks"): comma separated; possibly none.
std::uint32_t parse_quirks(Cursor& c, int ip_ver) {
  std::uint32_t quirks = 0;
  while (c.peek() != ':') {
    if (c.at_end()) throw LineError("truncated quirks");
    quirks |= parse_quirk(c, ip_ver);
    if (c.peek() == ':') break;
    c.expect(',', "malformed quirks");
  }
  c.expect(':', "truncated quirks");
  return quirks;
}

// pclass (README §5, "pclass"): '0' no payload, '+' some, '*' either (-1); the rest of the value.
int parse_payload_class(std::string_view pclass) {
  if (pclass == "*") return -1;
  if (pclass == "0") return 0;
  if (pclass == "+") return 1;
  throw LineError("malformed payload class");
}

// One `sig = ...` value of a [tcp:*] section (p0f's tcp_register_sig).
TcpSig parse_tcp_sig(std::string_view value) {
  TcpSig s;
  Cursor c(value);
  s.ip_ver = parse_ip_version(c);
  parse_ttl(c, s);
  s.ip_opt_len = parse_ip_option_length(c);
  s.mss = parse_mss(c);
  parse_window(c, s);
  s.wscale = parse_window_scale(c);
  parse_option_layout(c, s);
  s.quirks = parse_quirks(c, s.ip_ver);
  s.pay_class = parse_payload_class(c.rest());
  return s;
}

}  // namespace

class Database::Loader {
 public:
  explicit Loader(Database& db) : db_(db) {}

  void run(std::string_view text) {
    std::size_t line_no = 0;
    while (!text.empty() || line_no == 0) {
      ++line_no;
      const std::size_t eol = text.find('\n');
      const std::string_view raw = text.substr(0, eol);
      text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
      const std::string_view line = trim(raw);
      if (line.empty() || line.front() == ';') continue;
      try {
        parse_line(line, static_cast<std::uint32_t>(line_no));
      } catch (const std::exception& e) {  // LineError, or bad_alloc on an absurd file
        db_.errors_.push_back("line " + std::to_string(line_no) + ": " + e.what());
      }
    }
  }

 private:
  enum class Section : std::uint8_t { none, tcp_request, tcp_response, skipped, unknown };
  enum class State : std::uint8_t { need_section, need_label, need_sys, need_sig };

  void parse_line(std::string_view line, std::uint32_t line_no) {
    if (line.front() == '[') {
      section_line(line);
      return;
    }
    if (section_ == Section::skipped || section_ == Section::unknown) return;  // [mtu], [http:*], errors

    // name = value
    std::size_t i = 0;
    while (i < line.size() && (std::isalpha(static_cast<unsigned char>(line[i])) != 0 || line[i] == '_')) ++i;
    const std::string_view name = line.substr(0, i);
    while (i < line.size() && is_blank(line[i])) ++i;
    if (name.empty() || i >= line.size() || line[i] != '=') throw LineError("unexpected statement");
    ++i;
    while (i < line.size() && is_blank(line[i])) ++i;
    const std::string_view value = line.substr(i);

    if (name == "classes") {
      if (state_ != State::need_section) throw LineError("misplaced 'classes'");
      parse_classes(value);
    } else if (name == "label") {
      if (state_ != State::need_label && state_ != State::need_sig) throw LineError("misplaced 'label'");
      label_ok_ = false;
      state_ = State::need_sig;  // a broken label still opens a group: its sigs are reported, not misplaced
      label_line_ = line_no;
      parse_label(value);
      label_ok_ = true;
      if (db_.labels_.back().class_id < 0) state_ = State::need_sys;
    } else if (name == "sys") {
      if (state_ != State::need_sys) throw LineError("misplaced 'sys'");
      parse_sys(value);
      state_ = State::need_sig;
    } else if (name == "sig") {
      if (state_ != State::need_sig) throw LineError("misplaced 'sig'");
      if (!label_ok_) throw LineError("signature under the malformed label in line " + std::to_string(label_line_));
      add_sig(value, line_no);
    } else if (name == "ua_os") {
      throw LineError("misplaced 'ua_os'");  // only valid in [http:request], which is skipped
    } else {
      throw LineError("unrecognized field '" + std::string(name) + "'");
    }
  }

  void section_line(std::string_view line) {
    state_ = State::need_label;
    label_ok_ = false;
    if (line == "[mtu]" || line == "[http:request]" || line == "[http:response]") {
      section_ = Section::skipped;
    } else if (line == "[tcp:request]") {
      section_ = Section::tcp_request;
    } else if (line == "[tcp:response]") {
      section_ = Section::tcp_response;
    } else {
      section_ = Section::unknown;
      throw LineError("unrecognized section " + std::string(line) + " (its lines are skipped)");
    }
  }

  void parse_classes(std::string_view v) {
    std::size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (is_blank(v[i]) || v[i] == ',')) ++i;
      if (i >= v.size()) break;
      const std::size_t start = i;
      while (i < v.size() && is_alnum(v[i])) ++i;
      if (i == start || (i < v.size() && v[i] != ',' && !is_blank(v[i]))) throw LineError("malformed class entry");
      db_.classes_.emplace_back(v.substr(start, i - start));
    }
  }

  int class_id(std::string_view name) const {
    for (std::size_t k = 0; k < db_.classes_.size(); ++k) {
      if (iequals(db_.classes_[k], name)) return static_cast<int>(k);
    }
    return -2;
  }

  void parse_label(std::string_view v) {
    Label l;
    if (v.size() < 2 || (v[0] != 'g' && v[0] != 's') || v[1] != ':') throw LineError("malformed label type");
    l.generic = v[0] == 'g';
    v.remove_prefix(2);
    std::size_t i = 0;
    while (i < v.size() && (is_alnum(v[i]) || v[i] == '!')) ++i;
    if (i == 0 || i >= v.size() || v[i] != ':') throw LineError("malformed class entry");
    const std::string_view cls = v.substr(0, i);
    if (cls == "!") {
      l.class_id = -1;
    } else {
      l.class_id = class_id(cls);
      if (l.class_id < 0) throw LineError("unknown class '" + std::string(cls) + "'");
    }
    v.remove_prefix(i + 1);
    i = 0;
    while (i < v.size() && is_name_char(v[i])) ++i;
    if (i == 0 || i >= v.size() || v[i] != ':') throw LineError("malformed name");
    l.name = printable(v.substr(0, i));
    l.flavor = printable(v.substr(i + 1));
    db_.labels_.push_back(std::move(l));
  }

  void parse_sys(std::string_view v) {
    std::size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (is_blank(v[i]) || v[i] == ',')) ++i;
      if (i >= v.size()) break;
      const bool is_class = v[i] == '@';
      if (is_class) ++i;
      const std::size_t start = i;
      while (i < v.size() && is_name_char(v[i])) ++i;
      if (i == start || (i < v.size() && v[i] != ',')) throw LineError("malformed sys entry");
      if (is_class && class_id(v.substr(start, i - start)) < 0) {
        throw LineError("unknown class '" + std::string(v.substr(start, i - start)) + "'");
      }
    }
  }

  void add_sig(std::string_view value, std::uint32_t line_no) {
    DbSig d;
    d.sig = parse_tcp_sig(value);
    d.label = static_cast<std::uint32_t>(db_.labels_.size() - 1);
    d.line = line_no;
    const bool to_server = section_ == Section::tcp_request;
    const Match dupe = db_.find(d.sig, to_server, true, 0);
    if (dupe.sig != nullptr) {
      throw LineError("signature already covered by line " + std::to_string(dupe.sig->line));
    }
    auto& buckets = db_.buckets_[to_server ? 1 : 0];
    auto it = std::find_if(buckets.begin(), buckets.end(), [&](const Bucket& b) {
      return b.opt_cnt == d.sig.opt_cnt &&
             std::equal(b.olayout.begin(), b.olayout.begin() + b.opt_cnt, d.sig.olayout.begin());
    });
    if (it == buckets.end()) {
      buckets.push_back(Bucket{d.sig.olayout, d.sig.opt_cnt, {}});
      it = buckets.end() - 1;
    }
    it->sigs.push_back(static_cast<std::uint32_t>(db_.sigs_.size()));
    db_.sigs_.push_back(d);
  }

  Database& db_;
  Section section_ = Section::none;
  State state_ = State::need_section;
  bool label_ok_ = false;
  std::uint32_t label_line_ = 0;
};

Database Database::from_text(std::string_view text) {
  Database db;
  db.loaded_ = true;
  Loader(db).run(text);
  return db;
}

Database Database::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Database{};
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Database{};
  return from_text(content.str());
}

std::string_view Database::class_name(int class_id) const {
  if (class_id < 0) return "!";
  const auto k = static_cast<std::size_t>(class_id);
  return k < classes_.size() ? std::string_view(classes_[k]) : std::string_view();
}

const Database::Bucket* Database::bucket(const TcpSig& ts, bool to_server) const {
  for (const Bucket& b : buckets_[to_server ? 1 : 0]) {
    if (b.opt_cnt == ts.opt_cnt && std::equal(b.olayout.begin(), b.olayout.begin() + b.opt_cnt, ts.olayout.begin())) {
      return &b;
    }
  }
  return nullptr;
}

Match Database::match(const TcpSig& observed, std::uint16_t peer_mss) const {
  return find(observed, !observed.syn_ack, false, observed.syn_ack ? peer_mss : 0);
}

// p0f's tcp_find_match. Signatures with the same option layout are tried in file order: the first exact
// specific one wins; otherwise the first exact generic one; otherwise the first fuzzy one (quirks differing
// only by df/id+ disappearing or id-/ecn appearing, or a TTL out of range). Userland tools ('!') never
// match fuzzily.
Match Database::find(const TcpSig& ts, bool to_server, bool dupe_check, std::uint16_t peer_mss) const {
  const Bucket* b = bucket(ts, to_server);
  if (b == nullptr) {
    Match none;
    if (!dupe_check) none.distance = guess_distance(ts.ttl);
    return none;
  }
  bool use_mtu = false;
  const int win_multi = win_multiplier(ts, use_mtu, peer_mss);
  const DbSig* fmatch = nullptr;
  const DbSig* gmatch = nullptr;
  for (const std::uint32_t index : b->sigs) {
    const DbSig& ref = sigs_[index];
    const TcpSig& rs = ref.sig;
    bool fuzzy = false;
    std::uint32_t ref_quirks = rs.quirks;
    // A '*' signature ignores the quirks that cannot exist in the observed packet's IP version. (When two
    // database lines are compared and the new one is '*' too, p0f masks as if it were IPv6, so its duplicate
    // check misses '*' lines carrying df/id+. Kept as is: the shipped file has two such duplicates in
    // [tcp:response], lines 440 and 465, which p0f accepts; the first one wins, here as in p0f.)
    if (rs.ip_ver == -1) {
      ref_quirks &= ts.ip_ver == 4 ? ~quirk::flow : ~(quirk::df | quirk::nz_id | quirk::zero_id);
    }
    if (ref_quirks != ts.quirks) {
      const std::uint32_t deleted = (ref_quirks ^ ts.quirks) & ref_quirks;
      const std::uint32_t added = (ref_quirks ^ ts.quirks) & ts.quirks;
      if (fmatch != nullptr || (deleted & ~(quirk::df | quirk::nz_id)) != 0 ||
          (added & ~(quirk::zero_id | quirk::ecn)) != 0) {
        continue;
      }
      fuzzy = true;
    }
    if (rs.eol_pad != ts.eol_pad || rs.ip_opt_len != ts.ip_opt_len) continue;
    if (rs.bad_ttl) {
      if (rs.ttl < ts.ttl) continue;
    } else if (rs.ttl < ts.ttl || rs.ttl - ts.ttl > kMaxDist) {
      fuzzy = true;
    }
    if (rs.mss != -1 && rs.mss != ts.mss) continue;
    if (rs.wscale != -1 && rs.wscale != ts.wscale) continue;
    if (rs.pay_class != -1 && rs.pay_class != ts.pay_class) continue;
    if (ts.win_type != WinType::normal) {
      if (rs.win_type != ts.win_type || rs.win != ts.win) continue;  // comparing two database lines
    } else {
      bool win_ok = true;
      switch (rs.win_type) {
        case WinType::normal:
          win_ok = rs.win == ts.win;
          break;
        case WinType::mod:
          win_ok = rs.win != 0 && ts.win % rs.win == 0;
          break;
        case WinType::mss:
          win_ok = !use_mtu && rs.win == win_multi;
          break;
        case WinType::mtu:
          win_ok = use_mtu && rs.win == win_multi;
          break;
        case WinType::any:
          break;
      }
      if (!win_ok) continue;
    }
    if (!fuzzy) {
      if (!labels_[ref.label].generic) {
        return Match{&labels_[ref.label], &ref, false, static_cast<std::uint8_t>(rs.ttl - ts.ttl)};
      }
      if (gmatch == nullptr) gmatch = &ref;
    } else if (fmatch == nullptr) {
      fmatch = &ref;
    }
  }
  if (dupe_check) return Match{};
  if (gmatch != nullptr) {
    return Match{&labels_[gmatch->label], gmatch, false, static_cast<std::uint8_t>(gmatch->sig.ttl - ts.ttl)};
  }
  // p0f reports no fuzzy matches for userland tools, and leaves the distance at 0 in that case.
  if (fmatch != nullptr && labels_[fmatch->label].class_id == -1) return Match{};
  Match m;
  if (fmatch == nullptr || fmatch->sig.ttl < ts.ttl || (!fmatch->sig.bad_ttl && fmatch->sig.ttl - ts.ttl > kMaxDist)) {
    m.distance = guess_distance(ts.ttl);
  } else {
    m.distance = static_cast<std::uint8_t>(fmatch->sig.ttl - ts.ttl);
  }
  if (fmatch != nullptr) {
    m.label = &labels_[fmatch->label];
    m.sig = fmatch;
    m.fuzzy = true;
  }
  return m;
}

}  // namespace p0f

namespace {

constexpr FactDecl kFacts[] = {
    {"tcp.syn_signature", FactType::text, "", "raw p0f signature of a SYN, always reported (matched or not): it is what a new `sig` line is written from", "4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0"},
    {"tcp.synack_signature", FactType::text, "", "raw p0f signature of a SYN+ACK", "4:47+17:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0"},
    {"tcp.os", FactType::text, "", "the matched label, p0f's \"name flavor\" (`[tcp:request]` for SYNs, `[tcp:response]` for SYN+ACKs)", "Linux 3.11 and newer"},
    {"tcp.os_class", FactType::code, "", "the label's class; `app` for p0f's `!` class (userland tools such as NMap, which p0f reports as `app =` instead of `os =`)", "`unix`, `win`, `other`, `app`"},
    {"tcp.os_match", FactType::list, "", "how the label was reached (see below)", "`specific`, `generic`, `fuzzy`, `generic,fuzzy`"},
    {"tcp.distance", FactType::number, "", "hops: the matched signature's initial TTL minus the observed TTL, or p0f's guess (next of 32/64/128/255) without a match; not reported for random-TTL tools (`64-`), where p0f prints `<= N`", "17"},
};
constexpr const char* kDatabasePath = "/etc/p0f/p0f.fp";  // Debian package p0f
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04;

p0f::Database load_database() {
  try {
    p0f::Database db = p0f::Database::from_file(kDatabasePath);
    if (db.error_count() != 0) {
      // Once per process: a damaged database is an operator problem, not a per-packet one.
      static std::once_flag warned;
      std::call_once(warned, [&] {
        std::fprintf(stderr, "wardwatch: %s: %zu line(s) skipped, first: %s\n", kDatabasePath, db.error_count(),
                     db.errors().front().c_str());
      });
    }
    return db;
  } catch (const std::exception&) {
    return p0f::Database{};  // unreadable: raw signatures only
  }
}

class TcpFingerprintParser final : public DatagramParser {
 public:
  TcpFingerprintParser() : db_(load_database()) {}

  const ParserSpec& spec() const override { return spec_; }

  // p0f fingerprints only a plain SYN or SYN+ACK (PSH, URG, ECE, CWR allowed; never with FIN or RST).
  bool probe(const PacketMeta& meta, Bytes) const override {
    const std::uint8_t type = meta.tcp_flags & (kSyn | kAck | kFin | kRst);
    return (meta.ip_version == 4 || meta.ip_version == 6) && (type == kSyn || type == (kSyn | kAck));
  }

  ParseStatus parse(const PacketMeta& meta, Bytes options, ObservationSink& sink) const override {
    if (!probe(meta, options)) return ParseStatus::not_mine;
    const p0f::TcpSig sig = p0f::observe(meta, options);
    const std::lock_guard<std::mutex> lock(mu_);
    std::uint16_t peer_mss = 0;
    if (sig.syn_ack)
      peer_mss = recall_syn_mss(meta);
    else
      remember_syn_mss(meta, sig.mss);
    // A host sends the same signature on every connection: its facts are derived (and matched against the
    // database's few hundred signatures) once per distinct signature.
    const SignatureKey key = signature_key(sig, peer_mss);
    if (const FactList* known = memo_.find(key)) {
      for (const auto& [name, value] : *known) sink.observe(Party::sender, name, value);
      return ParseStatus::ok;
    }
    FactList facts = signature_facts(sig, peer_mss);
    for (const auto& [name, value] : facts) sink.observe(Party::sender, name, value);
    memo_.insert(key, std::move(facts));
    return ParseStatus::ok;
  }

 private:
  // The raw signature and what the database says of it.
  FactList signature_facts(const p0f::TcpSig& sig, std::uint16_t peer_mss) const {
    FactList facts;
    facts.emplace_back(sig.syn_ack ? "tcp.synack_signature" : "tcp.syn_signature", p0f::raw_signature(sig, peer_mss));
    if (!db_.loaded()) return facts;
    const p0f::Match m = db_.match(sig, peer_mss);
    if (m.label != nullptr) {
      facts.emplace_back("tcp.os", m.label->display());
      facts.emplace_back("tcp.os_class", m.label->class_id < 0 ? "app" : db_.class_name(m.label->class_id));
      const bool generic = m.label->generic;
      facts.emplace_back("tcp.os_match",
                         m.fuzzy ? (generic ? "generic,fuzzy" : "fuzzy") : (generic ? "generic" : "specific"));
    }
    // A random-TTL tool (p0f's "64-") says nothing about hops.
    if (!m.bad_ttl()) facts.emplace_back("tcp.distance", std::to_string(m.distance));
    return facts;
  }

  // Every signature field the facts depend on, with the peer MSS; not the timestamp's value (only whether
  // it is zero: a window of "MSS minus the timestamp option" is recognised with one).
  using SignatureKey = std::array<std::uint8_t, 32 + p0f::kMaxTcpOptions>;
  static SignatureKey signature_key(const p0f::TcpSig& s, std::uint16_t peer_mss) {
    SignatureKey key{};
    std::size_t at = 0;
    auto put = [&](std::uint32_t v, int bytes) {
      for (int i = bytes - 1; i >= 0; --i) key[at++] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    put(static_cast<std::uint32_t>(s.ip_ver), 1);
    put(static_cast<std::uint32_t>(s.ttl), 1);
    put(s.bad_ttl ? 1 : 0, 1);
    put(static_cast<std::uint32_t>(s.ip_opt_len), 1);
    put(static_cast<std::uint32_t>(s.mss), 2);
    put(static_cast<std::uint32_t>(s.win_type), 1);
    put(static_cast<std::uint32_t>(s.win), 4);
    put(static_cast<std::uint32_t>(s.wscale), 2);
    put(s.opt_cnt, 1);
    put(static_cast<std::uint32_t>(s.eol_pad), 2);
    put(s.quirks, 4);
    put(static_cast<std::uint32_t>(s.pay_class), 1);
    put(s.syn_ack ? 1 : 0, 1);
    put(s.ts1 != 0 ? 1 : 0, 1);
    put(static_cast<std::uint32_t>(s.tot_hdr), 2);
    put(peer_mss, 2);
    for (std::size_t i = 0; i < s.opt_cnt && i < s.olayout.size(); ++i) key[at++] = s.olayout[i];
    return key;
  }

  // p0f judges a SYN+ACK's window against the MSS of the SYN it answers too ("peer MSS"). The parser keeps
  // that one number per recent SYN in a small direct-mapped table (fixed size, no allocation; a collision
  // only loses the hint).
  struct SynSlot {
    std::uint64_t key = 0;
    std::uint32_t seq = 0;
    std::uint16_t mss = 0;
  };
  static constexpr std::size_t kSlots = 4096;

  static std::uint64_t flow_key(const IpAddr& client, std::uint16_t client_port, const IpAddr& server,
                                std::uint16_t server_port) {
    const std::uint64_t h =
        hash_combine(hash_ip(client, hash_ip(server)), (std::uint64_t{client_port} << 16) | server_port);
    return h | 1;  // 0 marks an empty slot
  }

  // (Both with mu_ held.)
  void remember_syn_mss(const PacketMeta& m, int mss) const {
    const std::uint64_t key = flow_key(m.src_ip, m.src_port, m.dst_ip, m.dst_port);
    syns_[key % kSlots] = SynSlot{key, m.tcp_seq, static_cast<std::uint16_t>(mss)};
  }

  std::uint16_t recall_syn_mss(const PacketMeta& m) const {
    const std::uint64_t key = flow_key(m.dst_ip, m.dst_port, m.src_ip, m.src_port);
    const SynSlot& slot = syns_[key % kSlots];
    return slot.key == key && slot.seq + 1 == m.tcp_ack ? slot.mss : 0;
  }

  ParserSpec spec_{"tcp", Transport::tcp_handshake, {}, kFacts, {}};
  p0f::Database db_;
  mutable std::mutex mu_;
  mutable std::array<SynSlot, kSlots> syns_{};
  mutable RecentMemo<FactList> memo_;
};

}  // namespace

void register_parser_tcp_fingerprint(ParserRegistry& registry) {
  registry.add(std::make_unique<TcpFingerprintParser>());
}

}  // namespace ww
