// Value types for link and network addresses, trivially copyable and hashable, used on the packet path.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ww {

struct MacAddr {
  std::array<std::uint8_t, 6> octets{};

  [[nodiscard]] bool is_group() const { return (octets[0] & 0x01) != 0; }  // multicast or broadcast (IEEE 802)
  [[nodiscard]] bool is_locally_administered() const { return (octets[0] & 0x02) != 0; }
  [[nodiscard]] bool is_zero() const { return octets == std::array<std::uint8_t, 6>{}; }
  [[nodiscard]] std::uint64_t as_u64() const {
    std::uint64_t v = 0;
    for (auto o : octets) v = (v << 8) | o;
    return v;
  }
  [[nodiscard]] std::string to_string() const;  // lower-case, colon separated
  static std::optional<MacAddr> parse(std::string_view text);
  static MacAddr from_bytes(const std::uint8_t* p) {
    MacAddr m;
    std::memcpy(m.octets.data(), p, 6);
    return m;
  }
  // Hand-written: the defaulted array comparison compiles to a memcmp call, which dominated the profile.
  friend bool operator==(const MacAddr& a, const MacAddr& b) {
    std::uint32_t a4, b4;
    std::uint16_t a2, b2;
    std::memcpy(&a4, a.octets.data(), 4);
    std::memcpy(&b4, b.octets.data(), 4);
    std::memcpy(&a2, a.octets.data() + 4, 2);
    std::memcpy(&b2, b.octets.data() + 4, 2);
    return a4 == b4 && a2 == b2;
  }
  friend auto operator<=>(const MacAddr&, const MacAddr&) = default;
};

// IPv4 is stored as an IPv4-mapped IPv6 address so that one 16-byte key covers both families.
struct IpAddr {
  std::array<std::uint8_t, 16> bytes{};

  static IpAddr v4(std::uint32_t host_order) {
    IpAddr a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    a.bytes[12] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes[13] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes[14] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes[15] = static_cast<std::uint8_t>(host_order);
    return a;
  }
  static IpAddr v4_from_bytes(const std::uint8_t* p) {
    return v4((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3]);
  }
  static IpAddr v6_from_bytes(const std::uint8_t* p) {
    IpAddr a;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  [[nodiscard]] bool is_v4() const {
    static constexpr std::array<std::uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes.data(), prefix.data(), 12) == 0;
  }
  [[nodiscard]] std::uint32_t v4_host_order() const {
    return (std::uint32_t{bytes[12]} << 24) | (std::uint32_t{bytes[13]} << 16) | (std::uint32_t{bytes[14]} << 8) |
           bytes[15];
  }
  [[nodiscard]] bool is_unspecified() const;
  [[nodiscard]] bool is_multicast_or_broadcast() const;
  [[nodiscard]] bool is_link_local() const;  // 169.254/16, fe80::/10
  [[nodiscard]] bool is_loopback() const;
  // Globally reachable unicast: none of the special-purpose blocks that IANA's IPv4 and IPv6 Special-Purpose
  // Address Registries (RFC 6890) mark not globally reachable — private (RFC 1918), shared (RFC 6598),
  // unique-local (RFC 4193), link-local, loopback, documentation, benchmarking, reserved — nor multicast.
  [[nodiscard]] bool is_global_unicast() const;
  [[nodiscard]] std::string to_string() const;
  static std::optional<IpAddr> parse(std::string_view text);
  [[nodiscard]] std::uint64_t high64() const {
    std::uint64_t v;
    std::memcpy(&v, bytes.data(), 8);
    return v;
  }
  [[nodiscard]] std::uint64_t low64() const {
    std::uint64_t v;
    std::memcpy(&v, bytes.data() + 8, 8);
    return v;
  }
  friend bool operator==(const IpAddr& a, const IpAddr& b) { return a.high64() == b.high64() && a.low64() == b.low64(); }
  // A cheap total order for canonical flow keys (not numeric address order; see operator<=> for that).
  [[nodiscard]] static bool fast_less(const IpAddr& a, const IpAddr& b) {
    return a.high64() != b.high64() ? a.high64() < b.high64() : a.low64() < b.low64();
  }
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

// Murmur3's 64-bit finaliser: a strong, cheap mix for hash-table keys built from fixed-size words.
inline std::uint64_t mix64(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
inline std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t v) { return mix64(seed ^ (v + 0x9e3779b97f4a7c15ULL)); }
inline std::uint64_t hash_ip(const IpAddr& a, std::uint64_t seed = 0) {
  return hash_combine(hash_combine(seed, a.high64()), a.low64());
}

}  // namespace ww

template <>
struct std::hash<ww::MacAddr> {
  std::size_t operator()(const ww::MacAddr& m) const noexcept { return ww::mix64(m.as_u64()); }
};
template <>
struct std::hash<ww::IpAddr> {
  std::size_t operator()(const ww::IpAddr& a) const noexcept { return ww::hash_ip(a); }
};
