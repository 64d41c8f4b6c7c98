#include "wardwatch/net_types.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {

std::string MacAddr::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1], octets[2], octets[3],
                octets[4], octets[5]);
  return buf;
}

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  // Accepts aa:bb:cc:dd:ee:ff and aa-bb-cc-dd-ee-ff, either case.
  if (text.size() != 17) return std::nullopt;
  MacAddr m;
  for (std::size_t i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (std::size_t j = 0; j < 2; ++j) {
      const char c = text[i * 3 + j];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return std::nullopt;
    }
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return std::nullopt;
    m.octets[i] = static_cast<std::uint8_t>(v);
  }
  return m;
}

bool IpAddr::is_unspecified() const {
  if (is_v4()) return v4_host_order() == 0;
  return *this == IpAddr{};
}

bool IpAddr::is_multicast_or_broadcast() const {
  if (is_v4()) {
    const std::uint32_t v = v4_host_order();
    return (v >> 28) == 0xe || v == 0xffffffffU;
  }
  return bytes[0] == 0xff;
}

bool IpAddr::is_link_local() const {
  if (is_v4()) return (v4_host_order() >> 16) == 0xa9fe;
  return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

bool IpAddr::is_loopback() const {
  if (is_v4()) return (v4_host_order() >> 24) == 127;
  IpAddr one;
  one.bytes[15] = 1;
  return *this == one;
}

bool IpAddr::is_global_unicast() const {
  if (is_unspecified() || is_loopback() || is_link_local() || is_multicast_or_broadcast()) return false;
  if (is_v4()) {
    const std::uint32_t v = v4_host_order();
    struct Block {
      std::uint32_t base;
      int bits;
    };
    // IANA IPv4 Special-Purpose Address Registry, the blocks whose "Globally Reachable" is False.
    static constexpr Block kNotGlobal[] = {
        {0x00000000, 8},  {0x0a000000, 8},  {0x64400000, 10}, {0xac100000, 12}, {0xc0000000, 24},
        {0xc0000200, 24}, {0xc0a80000, 16}, {0xc6120000, 15}, {0xc6336400, 24}, {0xcb007100, 24},
        {0xf0000000, 4}};
    for (const Block& b : kNotGlobal) {
      if ((v >> (32 - b.bits)) == (b.base >> (32 - b.bits))) return false;
    }
    return true;
  }
  // IANA IPv6 Special-Purpose Address Registry: unique-local fc00::/7, documentation 2001:db8::/32, the
  // IETF protocol block 2001::/23 (its globally reachable sub-blocks are anycast services, not devices),
  // discard 100::/64; global unicast is 2000::/3.
  if ((bytes[0] & 0xfe) == 0xfc) return false;
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) return false;
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] < 0x02) return false;
  return (bytes[0] & 0xe0) == 0x20;
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  const std::string s(text);
  IpAddr a;
  std::uint8_t v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) return IpAddr::v4_from_bytes(v4);
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

std::string printable(std::string_view raw) {
  while (!raw.empty() && (raw.back() == '\0' || raw.back() == ' ')) raw.remove_suffix(1);
  // Nearly every value is short plain ASCII already: one scan, one copy.
  auto plain = [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7f && c != '\\';
  };
  if (raw.size() <= kMaxValueLength && std::all_of(raw.begin(), raw.end(), plain)) return std::string(raw);
  std::string out;
  out.reserve(std::min(raw.size(), kMaxValueLength));
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (out.size() >= kMaxValueLength) {
      out.resize(kMaxValueLength - 3);
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0xf]);
    }
  }
  return out;
}

namespace {
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::size_t ifind(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

bool icontains(std::string_view hay, std::string_view needle) { return ifind(hay, needle) != std::string_view::npos; }

std::string_view nth_piece(std::string_view s, std::size_t index, char separator) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    const std::size_t next = s.find(separator, start);
    if (next == std::string_view::npos) return {};
    start = next + 1;
  }
  const std::size_t end = s.find(separator, start);
  return s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

std::string hex(Bytes raw) {
  std::string out;
  for (std::uint8_t b : raw) {
    if (out.size() + 2 > kMaxValueLength) break;
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

Vocabulary ParserRegistry::vocabulary() const {
  Vocabulary v;
  for (const auto& p : datagram_) v.declare(p->spec().name, p->spec().facts, p->spec().anomalies);
  for (const auto& p : stream_) v.declare(p->spec().name, p->spec().facts, p->spec().anomalies);
  return v;
}

}  // namespace ww
