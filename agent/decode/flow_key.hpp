// The transport flow a packet belongs to: its 5-tuple with the lower address first, so that both
// directions give the same key. decode_for_pipeline hashes it (for a capture file, on the reader thread,
// which has spare time); the tracker rebuilds the cheap key and looks the flow up with that hash.
#pragma once

#include <absl/hash/hash.h>

#include <cstdint>

#include "agent/decode/packet.hpp"

namespace ww {

struct FlowKey {
  IpAddr lo_ip, hi_ip;
  std::uint16_t lo_port = 0, hi_port = 0;
  std::uint8_t proto = 0;  // 6 tcp, 17 udp
  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return a.lo_ip == b.lo_ip && a.hi_ip == b.hi_ip && a.lo_port == b.lo_port && a.hi_port == b.hi_port &&
           a.proto == b.proto;
  }
};

// A key with its hash already computed (by the reader thread), for lookups that should not hash again.
struct HashedFlowKey {
  const FlowKey& key;
  std::size_t hash;
};

// Abseil's hash over the five fields; transparent, so that a HashedFlowKey is looked up with its own hash.
struct FlowKeyHash {
  using is_transparent = void;
  std::size_t operator()(const FlowKey& k) const noexcept {
    const std::uint32_t ports = (std::uint32_t{k.lo_port} << 16) | k.hi_port;
    return absl::HashOf(k.lo_ip.high64(), k.lo_ip.low64(), k.hi_ip.high64(), k.hi_ip.low64(), ports, k.proto);
  }
  std::size_t operator()(const HashedFlowKey& k) const noexcept { return k.hash; }
};
struct FlowKeyEq {
  using is_transparent = void;
  static const FlowKey& key_of(const FlowKey& k) { return k; }
  static const FlowKey& key_of(const HashedFlowKey& k) { return k.key; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return key_of(a) == key_of(b);
  }
};

// The flow of a TCP or UDP packet (not a non-first fragment); false for other packets. `src_is_lo` tells
// whether the packet's source is the key's low end.
inline bool flow_key_of(const PacketView& p, FlowKey& key, bool& src_is_lo) {
  const bool ip = p.l3 == L3Kind::ipv4 || p.l3 == L3Kind::ipv6;
  if (!ip || (p.l4 != L4Kind::tcp && p.l4 != L4Kind::udp) || p.non_first_fragment) return false;
  src_is_lo = p.src_ip == p.dst_ip ? p.src_port < p.dst_port : IpAddr::fast_less(p.src_ip, p.dst_ip);
  key = FlowKey{src_is_lo ? p.src_ip : p.dst_ip, src_is_lo ? p.dst_ip : p.src_ip,
                src_is_lo ? p.src_port : p.dst_port, src_is_lo ? p.dst_port : p.src_port,
                static_cast<std::uint8_t>(p.l4 == L4Kind::tcp ? 6 : 17)};
  return true;
}

}  // namespace ww
