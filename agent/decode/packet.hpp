// The decoded view of one captured frame. Plain data, filled in place by the decoder without allocation;
// every span points into the capture buffer and is valid only while the frame is being processed.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "wardwatch/byte_reader.hpp"
#include "wardwatch/net_types.hpp"

namespace ww {

enum class L3Kind : std::uint8_t { none, arp, ipv4, ipv6, other };
enum class L4Kind : std::uint8_t { none, tcp, udp, icmp, icmpv6, other };

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

struct PacketView {
  std::int64_t ts_us = 0;
  std::uint32_t wire_len = 0;
  bool snapped = false;  // caplen < wire length: payload may be cut by the snap length, not malformed

  // Layer 2 (absent for loopback/raw-IP link types; SLL carries only a source address).
  bool has_src_mac = false, has_dst_mac = false;
  MacAddr src_mac, dst_mac;
  std::uint8_t vlan_count = 0;
  std::array<std::uint16_t, 2> vlans{};  // outermost first (QinQ)
  std::uint16_t ethertype = 0;           // after VLAN tags; SNAP protocol id for LLC/SNAP frames
  std::uint32_t snap_oui = 0;
  bool llc = false;                      // 802.3 length field + 802.2 LLC
  Bytes l2_payload;

  L3Kind l3 = L3Kind::none;
  // ARP (Ethernet/IPv4 only)
  std::uint16_t arp_op = 0;
  MacAddr arp_sender_mac, arp_target_mac;
  IpAddr arp_sender_ip, arp_target_ip;
  // IP
  IpAddr src_ip, dst_ip;
  std::uint8_t ttl = 0;  // hop limit for IPv6
  std::uint8_t ip_proto = 0;
  bool ip_dont_fragment = false;
  std::uint16_t ip_id = 0;
  std::uint8_t ip_tos = 0;
  std::uint32_t ipv6_flow_label = 0;
  std::uint16_t ip_total_length = 0;
  std::uint8_t ip_options_length = 0;
  std::uint16_t tcp_urgent = 0;
  bool fragment = false;            // part of a fragmented datagram
  bool non_first_fragment = false;  // no L4 header inside: skipped above L3

  L4Kind l4 = L4Kind::none;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint8_t tcp_flags = 0;
  std::uint32_t tcp_seq = 0, tcp_ack = 0;
  std::uint16_t tcp_window = 0;
  Bytes tcp_options;
  std::uint8_t icmp_type = 0, icmp_code = 0;
  // ICMPv6 neighbour discovery (RFC 4861): target address and link-layer address option.
  bool nd_has_target = false;
  IpAddr nd_target;
  bool nd_has_lladdr = false;
  MacAddr nd_lladdr;
  Bytes payload;  // L4 payload (or ICMP body)
};

// Why a frame could not be decoded. Each has a stable name used in stats ("malformed": {name: count}).
enum class DecodeError : std::uint8_t {
  none,
  truncated_link_header,
  truncated_vlan_tag,
  truncated_llc,
  truncated_arp,
  truncated_ipv4_header,
  bad_ipv4_version,
  bad_ipv4_header_length,
  ipv4_total_length_exceeds_frame,
  truncated_ipv6_header,
  bad_ipv6_version,
  ipv6_payload_length_exceeds_frame,
  truncated_ipv6_extension,
  truncated_tcp_header,
  bad_tcp_data_offset,
  truncated_udp_header,
  bad_udp_length,
  truncated_icmp,
  bad_nd_option,
  unknown_null_family,
  count_  // sentinel
};

std::string_view to_string(DecodeError e);

}  // namespace ww
