#include "agent/decode/decoder.hpp"

#include <algorithm>
#include <array>

namespace ww {
namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeArp = 0x0806, kEtherTypeIpv6 = 0x86dd;
constexpr std::uint16_t kEtherTypeVlan = 0x8100, kEtherTypeQinQ = 0x88a8, kEtherTypeQinQOld = 0x9100;
constexpr std::uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

void reset(PacketView& v, std::int64_t ts_us, std::uint32_t wire_len, std::size_t caplen) {
  v = PacketView{};
  v.ts_us = ts_us;
  v.wire_len = wire_len;
  v.snapped = caplen < wire_len;
}

DecodeError decode_icmpv6(ByteReader r, PacketView& v) {
  v.l4 = L4Kind::icmpv6;
  v.icmp_type = r.u8();
  v.icmp_code = r.u8();
  r.skip(2);  // checksum
  if (!r.ok()) return DecodeError::truncated_icmp;
  // RFC 4861 §4: NS (135) and NA (136) carry a target; RS 133, RA 134, NS, NA carry link-layer options.
  const std::uint8_t type = v.icmp_type;
  if (type < 133 || type > 136) {
    v.payload = r.rest();
    return DecodeError::none;
  }
  if (type == 133) r.skip(4);        // reserved
  else if (type == 134) r.skip(12);  // hop limit, flags, lifetime, reachable, retrans
  else {
    r.skip(4);  // flags/reserved
    Bytes target = r.bytes(16);
    if (!r.ok()) return DecodeError::truncated_icmp;
    v.nd_has_target = true;
    v.nd_target = IpAddr::v6_from_bytes(target.data());
  }
  if (!r.ok()) return DecodeError::truncated_icmp;
  v.payload = r.rest();
  while (r.remaining() >= 2) {
    const std::uint8_t opt_type = r.u8();
    const std::size_t opt_len = std::size_t{r.u8()} * 8;
    if (opt_len < 2) return DecodeError::bad_nd_option;  // RFC 4861 §4.6: zero length is invalid
    ByteReader body = r.sub(opt_len - 2);
    if (!r.ok()) return DecodeError::bad_nd_option;
    // 1 = source link-layer address, 2 = target link-layer address (Ethernet: 6 bytes).
    if ((opt_type == 1 || opt_type == 2) && body.remaining() >= 6) {
      v.nd_has_lladdr = true;
      v.nd_lladdr = MacAddr::from_bytes(body.bytes(6).data());
    }
  }
  return DecodeError::none;
}

// Big-endian fields at fixed offsets of a header whose length was checked once: the common headers are
// read without a bounds check per field (`h` must hold at least `off` + 2 or 4 bytes).
std::uint16_t be16_at(Bytes h, std::size_t off) { return static_cast<std::uint16_t>((h[off] << 8) | h[off + 1]); }
std::uint32_t be32_at(Bytes h, std::size_t off) {
  return (std::uint32_t{h[off]} << 24) | (std::uint32_t{h[off + 1]} << 16) | (std::uint32_t{h[off + 2]} << 8) |
         h[off + 3];
}

DecodeError decode_l4(ByteReader r, PacketView& v) {
  switch (v.ip_proto) {
    case kProtoTcp: {  // RFC 9293 §3.1
      const Bytes data = r.rest();
      if (data.size() < 20) return DecodeError::truncated_tcp_header;
      const Bytes h = data.first(20);
      v.src_port = be16_at(h, 0);
      v.dst_port = be16_at(h, 2);
      v.tcp_seq = be32_at(h, 4);
      v.tcp_ack = be32_at(h, 8);
      const std::size_t header_len = static_cast<std::size_t>(h[12] >> 4) * 4;
      v.tcp_flags = h[13];
      v.tcp_window = be16_at(h, 14);
      v.tcp_urgent = be16_at(h, 18);
      if (header_len < 20) return DecodeError::bad_tcp_data_offset;
      if (header_len > data.size()) return DecodeError::truncated_tcp_header;
      v.tcp_options = data.subspan(20, header_len - 20);
      v.l4 = L4Kind::tcp;
      v.payload = data.subspan(header_len);
      return DecodeError::none;
    }
    case kProtoUdp: {  // RFC 768
      const Bytes data = r.rest();
      if (data.size() < 8) return DecodeError::truncated_udp_header;
      v.src_port = be16_at(data, 0);
      v.dst_port = be16_at(data, 2);
      const std::uint16_t length = be16_at(data, 4);
      if (length < 8) return DecodeError::bad_udp_length;
      v.l4 = L4Kind::udp;
      // A UDP length beyond the captured bytes is snap-length truncation or a lie: keep what is there.
      v.payload = data.subspan(8, std::min<std::size_t>(data.size() - 8, length - 8u));
      return DecodeError::none;
    }
    case kProtoIcmp:
      v.l4 = L4Kind::icmp;
      v.icmp_type = r.u8();
      v.icmp_code = r.u8();
      if (!r.ok()) return DecodeError::truncated_icmp;
      v.payload = r.rest();
      return DecodeError::none;
    case kProtoIcmpv6:
      return decode_icmpv6(r, v);
    default:
      v.l4 = L4Kind::other;
      v.payload = r.rest();
      return DecodeError::none;
  }
}

DecodeError decode_ipv4(Bytes data, PacketView& v) {  // RFC 791 §3.1
  if (data.size() < 20) return DecodeError::truncated_ipv4_header;
  const Bytes h = data.first(20);
  const std::uint8_t ver_ihl = h[0];
  if ((ver_ihl >> 4) != 4) return DecodeError::bad_ipv4_version;
  const std::size_t header_len = std::size_t{ver_ihl & 0x0fu} * 4;
  if (header_len < 20) return DecodeError::bad_ipv4_header_length;
  v.ip_tos = h[1];
  const std::size_t total_len = be16_at(h, 2);
  v.ip_total_length = static_cast<std::uint16_t>(total_len);
  v.ip_options_length = static_cast<std::uint8_t>(header_len - 20);
  v.ip_id = be16_at(h, 4);
  const std::uint16_t flags_frag = be16_at(h, 6);
  v.ttl = h[8];
  v.ip_proto = h[9];
  v.src_ip = IpAddr::v4_from_bytes(&h[12]);
  v.dst_ip = IpAddr::v4_from_bytes(&h[16]);
  v.l3 = L3Kind::ipv4;
  v.ip_dont_fragment = (flags_frag & 0x4000) != 0;
  const std::uint16_t offset = flags_frag & 0x1fff;
  v.fragment = offset != 0 || (flags_frag & 0x2000) != 0;
  v.non_first_fragment = offset != 0;
  if (total_len < header_len) return DecodeError::bad_ipv4_header_length;
  if (data.size() < header_len) return DecodeError::truncated_ipv4_header;
  // Frames shorter than the IP length are an error unless the snap length cut them; longer ones are padding.
  if (total_len > data.size() && !v.snapped) return DecodeError::ipv4_total_length_exceeds_frame;
  Bytes ip_payload = data.subspan(header_len, std::min(total_len, data.size()) - header_len);
  if (v.non_first_fragment) return DecodeError::none;
  return decode_l4(ByteReader(ip_payload), v);
}

DecodeError decode_ipv6(Bytes data, PacketView& v) {
  ByteReader r(data);
  if (!r.has(40)) return DecodeError::truncated_ipv6_header;
  if ((r.peek_u8() >> 4) != 6) return DecodeError::bad_ipv6_version;
  const std::uint32_t first_word = r.u32be();
  v.ip_tos = static_cast<std::uint8_t>(first_word >> 20);
  v.ipv6_flow_label = first_word & 0xfffff;
  const std::size_t payload_len = r.u16be();
  v.ip_total_length = static_cast<std::uint16_t>(std::min<std::size_t>(payload_len + 40, 0xffff));
  std::uint8_t next = r.u8();
  v.ttl = r.u8();
  v.src_ip = IpAddr::v6_from_bytes(r.bytes(16).data());
  v.dst_ip = IpAddr::v6_from_bytes(r.bytes(16).data());
  v.l3 = L3Kind::ipv6;
  if (payload_len > r.remaining() && !v.snapped) return DecodeError::ipv6_payload_length_exceeds_frame;
  ByteReader body(r.bytes(std::min(payload_len, r.remaining())));
  // Walk extension headers (RFC 8200 §4): hop-by-hop 0, routing 43, fragment 44, destination options 60.
  for (int hops = 0; hops < 8; ++hops) {
    if (next == 0 || next == 43 || next == 60) {
      const std::uint8_t following = body.u8();
      const std::size_t len = (std::size_t{body.u8()} + 1) * 8;
      body.skip(len - 2);
      if (!body.ok()) return DecodeError::truncated_ipv6_extension;
      next = following;
    } else if (next == 44) {
      const std::uint8_t following = body.u8();
      body.skip(1);
      const std::uint16_t offset_flags = body.u16be();
      body.skip(4);
      if (!body.ok()) return DecodeError::truncated_ipv6_extension;
      v.fragment = true;
      v.non_first_fragment = (offset_flags & 0xfff8) != 0;
      next = following;
      if (v.non_first_fragment) {
        v.ip_proto = next;
        return DecodeError::none;
      }
    } else {
      break;
    }
  }
  v.ip_proto = next;
  return decode_l4(body, v);
}

DecodeError decode_arp(Bytes data, PacketView& v) {
  ByteReader r(data);
  const std::uint16_t htype = r.u16be();
  const std::uint16_t ptype = r.u16be();
  const std::uint8_t hlen = r.u8();
  const std::uint8_t plen = r.u8();
  v.arp_op = r.u16be();
  if (!r.ok()) return DecodeError::truncated_arp;
  v.l3 = L3Kind::arp;
  if (htype != 1 || ptype != kEtherTypeIpv4 || hlen != 6 || plen != 4) {
    v.arp_op = 0;  // not Ethernet/IPv4 ARP: nothing to learn
    return DecodeError::none;
  }
  Bytes sha = r.bytes(6), spa = r.bytes(4), tha = r.bytes(6), tpa = r.bytes(4);
  if (!r.ok()) return DecodeError::truncated_arp;
  v.arp_sender_mac = MacAddr::from_bytes(sha.data());
  v.arp_sender_ip = IpAddr::v4_from_bytes(spa.data());
  v.arp_target_mac = MacAddr::from_bytes(tha.data());
  v.arp_target_ip = IpAddr::v4_from_bytes(tpa.data());
  return DecodeError::none;
}

DecodeError decode_l3(std::uint16_t ethertype, Bytes data, PacketView& v) {
  v.l2_payload = data;
  switch (ethertype) {
    case kEtherTypeIpv4: return decode_ipv4(data, v);
    case kEtherTypeIpv6: return decode_ipv6(data, v);
    case kEtherTypeArp: return decode_arp(data, v);
    default: v.l3 = L3Kind::other; return DecodeError::none;
  }
}

// After the MAC addresses: VLAN tags, then an EtherType or an 802.3 length with LLC.
DecodeError decode_after_macs(ByteReader r, PacketView& v) {
  std::uint16_t type = r.u16be();
  if (!r.ok()) return DecodeError::truncated_link_header;
  while (type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQOld) {
    const std::uint16_t tci = r.u16be();
    type = r.u16be();
    if (!r.ok()) return DecodeError::truncated_vlan_tag;
    if (v.vlan_count < v.vlans.size()) v.vlans[v.vlan_count++] = tci & 0x0fff;
  }
  if (type <= 1500) {  // IEEE 802.3 length: 802.2 LLC follows
    v.llc = true;
    const std::uint8_t dsap = r.u8(), ssap = r.u8(), control = r.u8();
    if (!r.ok()) return DecodeError::truncated_llc;
    if (dsap == 0xaa && ssap == 0xaa && control == 0x03) {  // SNAP
      v.snap_oui = r.u24be();
      type = r.u16be();
      if (!r.ok()) return DecodeError::truncated_llc;
    } else {
      v.ethertype = 0;
      v.l2_payload = r.rest();
      v.l3 = L3Kind::other;
      return DecodeError::none;
    }
  }
  v.ethertype = type;
  return decode_l3(type, r.rest(), v);
}

DecodeError decode_ethernet(Bytes frame, PacketView& v) {
  ByteReader r(frame);
  Bytes dst = r.bytes(6), src = r.bytes(6);
  if (!r.ok()) return DecodeError::truncated_link_header;
  v.has_dst_mac = v.has_src_mac = true;
  v.dst_mac = MacAddr::from_bytes(dst.data());
  v.src_mac = MacAddr::from_bytes(src.data());
  return decode_after_macs(r, v);
}

DecodeError decode_by_family(std::uint32_t family, Bytes data, PacketView& v) {
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
  if (family == 2) return decode_l3(kEtherTypeIpv4, data, v);
  if (family == 10 || family == 24 || family == 28 || family == 30) return decode_l3(kEtherTypeIpv6, data, v);
  return DecodeError::unknown_null_family;
}

DecodeError decode_raw_ip(Bytes data, PacketView& v) {
  if (data.empty()) return DecodeError::truncated_link_header;
  return decode_l3((data[0] >> 4) == 6 ? kEtherTypeIpv6 : kEtherTypeIpv4, data, v);
}

void take_sll_address(std::uint16_t hatype, std::uint8_t addr_len, Bytes addr, PacketView& v) {
  if (hatype == 1 && addr_len == 6) {  // ARPHRD_ETHER
    v.has_src_mac = true;
    v.src_mac = MacAddr::from_bytes(addr.data());
  }
}

// Linux cooked capture v1 (LINKTYPE_LINUX_SLL): the address is the *source* for received and sent frames.
DecodeError decode_sll(Bytes frame, PacketView& v) {
  ByteReader r(frame);
  r.skip(2);  // packet type
  const std::uint16_t hatype = r.u16be();
  const std::uint16_t addr_len = r.u16be();
  Bytes addr = r.bytes(8);
  const std::uint16_t protocol = r.u16be();
  if (!r.ok()) return DecodeError::truncated_link_header;
  take_sll_address(hatype, static_cast<std::uint8_t>(addr_len), addr, v);
  v.ethertype = protocol;
  return decode_l3(protocol, r.rest(), v);
}

DecodeError decode_sll2(Bytes frame, PacketView& v) {
  ByteReader r(frame);
  const std::uint16_t protocol = r.u16be();
  r.skip(2 + 4);  // reserved, interface index
  const std::uint16_t hatype = r.u16be();
  r.skip(1);  // packet type
  const std::uint8_t addr_len = r.u8();
  Bytes addr = r.bytes(8);
  if (!r.ok()) return DecodeError::truncated_link_header;
  take_sll_address(hatype, addr_len, addr, v);
  v.ethertype = protocol;
  return decode_l3(protocol, r.rest(), v);
}

}  // namespace

bool is_supported_linktype(int dlt) {
  switch (dlt) {
    case linktype::null: case linktype::ethernet: case linktype::raw: case linktype::loop:
    case linktype::linux_sll: case linktype::ipv4: case linktype::ipv6: case linktype::linux_sll2:
    case linktype::raw_openbsd: case linktype::raw_bsd:
      return true;
    default:
      return false;
  }
}

DecodeError decode_frame(int dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_us, PacketView& out) {
  reset(out, ts_us, wire_len, frame.size());
  switch (dlt) {
    case linktype::ethernet: return decode_ethernet(frame, out);
    case linktype::linux_sll: return decode_sll(frame, out);
    case linktype::linux_sll2: return decode_sll2(frame, out);
    case linktype::null: {
      ByteReader r(frame);
      const std::uint32_t family = r.u32le();  // host byte order of the capturing machine; almost always LE
      if (!r.ok()) return DecodeError::truncated_link_header;
      const std::uint32_t swapped = __builtin_bswap32(family);
      return decode_by_family(family < 256 ? family : swapped, r.rest(), out);
    }
    case linktype::loop: {
      ByteReader r(frame);
      const std::uint32_t family = r.u32be();
      if (!r.ok()) return DecodeError::truncated_link_header;
      return decode_by_family(family, r.rest(), out);
    }
    case linktype::ipv4: return decode_l3(kEtherTypeIpv4, frame, out);
    case linktype::ipv6: return decode_l3(kEtherTypeIpv6, frame, out);
    default: return decode_raw_ip(frame, out);  // raw, raw_openbsd, raw_bsd
  }
}

std::string_view to_string(DecodeError e) {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(DecodeError::count_)> names{
      "none",
      "truncated_link_header",
      "truncated_vlan_tag",
      "truncated_llc",
      "truncated_arp",
      "truncated_ipv4_header",
      "bad_ipv4_version",
      "bad_ipv4_header_length",
      "ipv4_total_length_exceeds_frame",
      "truncated_ipv6_header",
      "bad_ipv6_version",
      "ipv6_payload_length_exceeds_frame",
      "truncated_ipv6_extension",
      "truncated_tcp_header",
      "bad_tcp_data_offset",
      "truncated_udp_header",
      "bad_udp_length",
      "truncated_icmp",
      "bad_nd_option",
      "unknown_null_family",
  };
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : "unknown";
}

void decode_for_pipeline(int dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_us, DecodedFrame& out) {
  out.error = decode_frame(dlt, frame, wire_len, ts_us, out.view);
  if (out.error == DecodeError::none) {
    FlowKey key;
    bool src_is_lo = false;
    out.has_flow = flow_key_of(out.view, key, src_is_lo);
    out.flow_hash = out.has_flow ? FlowKeyHash{}(key) : 0;  // frames are reused: no stale hash
    return;
  }
  out.view.l3 = L3Kind::none;
  out.view.l4 = L4Kind::none;
  out.has_flow = false;
  out.flow_hash = 0;
}

}  // namespace ww
