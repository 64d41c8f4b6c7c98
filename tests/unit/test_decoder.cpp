// Decoder paths, cross-checked against frames crafted with libtins (an independent encoder).
#include <gtest/gtest.h>
#include <tins/tins.h>

#include "agent/decode/decoder.hpp"

namespace ww {
namespace {

using Tins::EthernetII;

std::vector<std::uint8_t> bytes_of(Tins::PDU& pdu) { return pdu.serialize(); }

DecodeError decode(int dlt, const std::vector<std::uint8_t>& frame, PacketView& v) {
  return decode_frame(dlt, frame, static_cast<std::uint32_t>(frame.size()), 42, v);
}

TEST(Decoder, EthernetIpv4Tcp) {
  EthernetII pkt = EthernetII("00:11:22:33:44:55", "44:4b:5d:00:00:01") /
                   Tins::IP("10.77.0.10", "10.77.0.21") / Tins::TCP(104, 40000) / Tins::RawPDU("hello");
  pkt.rfind_pdu<Tins::TCP>().flags(Tins::TCP::SYN | Tins::TCP::ACK);
  pkt.rfind_pdu<Tins::TCP>().seq(1000);
  PacketView v;
  ASSERT_EQ(decode(linktype::ethernet, bytes_of(pkt), v), DecodeError::none);
  EXPECT_EQ(v.src_mac.to_string(), "44:4b:5d:00:00:01");
  EXPECT_EQ(v.dst_mac.to_string(), "00:11:22:33:44:55");
  EXPECT_EQ(v.l3, L3Kind::ipv4);
  EXPECT_EQ(v.src_ip.to_string(), "10.77.0.21");
  EXPECT_EQ(v.dst_ip.to_string(), "10.77.0.10");
  EXPECT_EQ(v.l4, L4Kind::tcp);
  EXPECT_EQ(v.src_port, 40000);
  EXPECT_EQ(v.dst_port, 104);
  EXPECT_EQ(v.tcp_flags, tcp_flag::syn | tcp_flag::ack);
  EXPECT_EQ(v.tcp_seq, 1000u);
  EXPECT_EQ(std::string(as_text(v.payload)), "hello");
  EXPECT_EQ(v.ts_us, 42);
}

TEST(Decoder, VlanAndQinQTagsAreRecordedOuterFirst) {
  Tins::Dot1Q inner(20);
  Tins::Dot1Q outer(300);
  outer.payload_type(0x8100);
  EthernetII pkt = EthernetII("00:11:22:33:44:55", "00:0b:82:01:fc:42") / outer / inner /
                   Tins::IP("10.0.0.1", "10.0.0.2") / Tins::UDP(67, 68);
  auto frame = bytes_of(pkt);
  frame[12] = 0x88;  // outer tag as 802.1ad S-tag (0x88a8)
  frame[13] = 0xa8;
  PacketView v;
  ASSERT_EQ(decode(linktype::ethernet, frame, v), DecodeError::none);
  ASSERT_EQ(v.vlan_count, 2);
  EXPECT_EQ(v.vlans[0], 300);
  EXPECT_EQ(v.vlans[1], 20);
  EXPECT_EQ(v.l4, L4Kind::udp);
  EXPECT_EQ(v.dst_port, 67);
}

TEST(Decoder, ArpRequestFields) {
  EthernetII pkt = Tins::ARP::make_arp_request("10.77.0.1", "10.77.0.21", "02:77:00:00:00:15");
  pkt.src_addr("02:77:00:00:00:15");
  PacketView v;
  ASSERT_EQ(decode(linktype::ethernet, bytes_of(pkt), v), DecodeError::none);
  EXPECT_EQ(v.l3, L3Kind::arp);
  EXPECT_EQ(v.arp_op, 1);
  EXPECT_EQ(v.arp_sender_ip.to_string(), "10.77.0.21");
  EXPECT_EQ(v.arp_sender_mac.to_string(), "02:77:00:00:00:15");
  EXPECT_EQ(v.arp_target_ip.to_string(), "10.77.0.1");
}

TEST(Decoder, Ipv6NeighbourAdvertisementTiesTargetToLinkLayerAddress) {
  Tins::ICMPv6 na(Tins::ICMPv6::NEIGHBOUR_ADVERT);
  na.target_addr("fd77::15");
  na.target_link_layer_addr(Tins::ICMPv6::hwaddress_type("02:77:00:00:00:15"));
  EthernetII pkt = EthernetII("33:33:00:00:00:01", "02:77:00:00:00:15") / Tins::IPv6("ff02::1", "fd77::15") / na;
  PacketView v;
  ASSERT_EQ(decode(linktype::ethernet, bytes_of(pkt), v), DecodeError::none);
  EXPECT_EQ(v.l3, L3Kind::ipv6);
  EXPECT_EQ(v.l4, L4Kind::icmpv6);
  EXPECT_EQ(v.icmp_type, 136);
  ASSERT_TRUE(v.nd_has_target);
  EXPECT_EQ(v.nd_target.to_string(), "fd77::15");
  ASSERT_TRUE(v.nd_has_lladdr);
  EXPECT_EQ(v.nd_lladdr.to_string(), "02:77:00:00:00:15");
}

TEST(Decoder, Ipv6ExtensionHeadersAreWalkedToUdp) {
  Tins::IPv6 ip("fd77::1", "fd77::2");
  Tins::IPv6 pkt = ip / Tins::UDP(546, 547) / Tins::RawPDU("x");
  auto frame = pkt.serialize();
  // Insert a hop-by-hop header (RFC 8200 §4.3): next header UDP, length 0, PadN over 6 bytes.
  const std::uint8_t hop_by_hop[8] = {17, 0, 1, 4, 0, 0, 0, 0};
  frame.insert(frame.begin() + 40, hop_by_hop, hop_by_hop + 8);
  frame[6] = 0;  // IPv6 next header: hop-by-hop
  const std::size_t payload_len = frame.size() - 40;
  frame[4] = static_cast<std::uint8_t>(payload_len >> 8);
  frame[5] = static_cast<std::uint8_t>(payload_len);
  PacketView v;
  ASSERT_EQ(decode(linktype::raw, frame, v), DecodeError::none);
  EXPECT_EQ(v.l4, L4Kind::udp);
  EXPECT_EQ(v.dst_port, 546);
  frame.resize(44);  // cut inside the extension header
  frame[4] = 0;
  frame[5] = 4;
  EXPECT_EQ(decode(linktype::raw, frame, v), DecodeError::truncated_ipv6_extension);
}

TEST(Decoder, NonFirstIpv4FragmentIsMarkedAndHasNoL4) {
  Tins::IP ip("10.0.0.1", "10.0.0.2");
  ip.fragment_offset(100);
  EthernetII pkt = EthernetII() / ip / Tins::RawPDU(std::string(40, 'z'));
  auto frame = bytes_of(pkt);
  frame[23] = 17;  // protocol UDP, yet no UDP header is in a non-first fragment
  PacketView v;
  ASSERT_EQ(decode(linktype::ethernet, frame, v), DecodeError::none);
  EXPECT_TRUE(v.fragment);
  EXPECT_TRUE(v.non_first_fragment);
  EXPECT_EQ(v.l4, L4Kind::none);
}

TEST(Decoder, LinuxCookedV1CarriesSourceMacOnly) {
  Tins::SLL sll;
  sll.lladdr_type(1);  // ARPHRD_ETHER
  sll.lladdr_len(6);
  sll.address("58:46:e1:00:00:07");
  Tins::SLL pkt = sll / Tins::IP("10.1.1.1", "10.1.1.2") / Tins::UDP(123, 123);
  PacketView v;
  ASSERT_EQ(decode(linktype::linux_sll, bytes_of(pkt), v), DecodeError::none);
  EXPECT_TRUE(v.has_src_mac);
  EXPECT_FALSE(v.has_dst_mac);
  EXPECT_EQ(v.src_mac.to_string(), "58:46:e1:00:00:07");
  EXPECT_EQ(v.l4, L4Kind::udp);
}

TEST(Decoder, LinuxCookedV2) {
  // SLL2 header (20 bytes): protocol, reserved, ifindex, hatype, pkttype, addrlen, address[8].
  std::vector<std::uint8_t> frame{0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 0x58, 0x46, 0xe1, 0, 0, 7, 0, 0};
  Tins::IP ip("10.1.1.1", "10.1.1.2");
  Tins::IP pkt = ip / Tins::UDP(514, 514);
  for (auto b : pkt.serialize()) frame.push_back(b);
  PacketView v;
  ASSERT_EQ(decode(linktype::linux_sll2, frame, v), DecodeError::none);
  EXPECT_EQ(v.src_mac.to_string(), "58:46:e1:00:00:07");
  EXPECT_EQ(v.dst_port, 514);
}

TEST(Decoder, BsdNullAndLoopbackFamilies) {
  Tins::IP pkt = Tins::IP("127.0.0.1", "127.0.0.1") / Tins::TCP(104, 5000);
  auto ip = pkt.serialize();
  std::vector<std::uint8_t> null_frame{2, 0, 0, 0};  // AF_INET, host (little-endian) order
  for (auto b : ip) null_frame.push_back(b);
  PacketView v;
  ASSERT_EQ(decode(linktype::null, null_frame, v), DecodeError::none);
  EXPECT_FALSE(v.has_src_mac);
  EXPECT_EQ(v.dst_port, 104);  // libtins: TCP(destination, source)
  std::vector<std::uint8_t> loop_frame{0, 0, 0, 2};  // DLT_LOOP: network order
  for (auto b : ip) loop_frame.push_back(b);
  ASSERT_EQ(decode(linktype::loop, loop_frame, v), DecodeError::none);
  EXPECT_EQ(v.l4, L4Kind::tcp);
  std::vector<std::uint8_t> bad{99, 0, 0, 0, 0x45};
  EXPECT_EQ(decode(linktype::null, bad, v), DecodeError::unknown_null_family);
}

TEST(Decoder, RawIpLinkTypes) {
  Tins::IPv6 pkt = Tins::IPv6("fd00::1", "fd00::2") / Tins::UDP(5353, 5353);
  PacketView v;
  ASSERT_EQ(decode(linktype::raw, pkt.serialize(), v), DecodeError::none);
  EXPECT_EQ(v.l3, L3Kind::ipv6);
  ASSERT_EQ(decode(linktype::ipv6, pkt.serialize(), v), DecodeError::none);
  EXPECT_EQ(v.src_port, 5353);
}

TEST(Decoder, LlcSnapFrameExposesProtocolId) {
  // 802.3 length + LLC/SNAP (AA AA 03) + Cisco OUI 00000c + PID 0x2000 (CDP).
  std::vector<std::uint8_t> frame{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc, 0x00, 0x13, 0x7f, 0x4f, 0x8e, 0xf2, 0x00, 0x10,
                                  0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 0x02, 0xb4, 0x00, 0x00};
  PacketView v;
  ASSERT_EQ(decode(linktype::ethernet, frame, v), DecodeError::none);
  EXPECT_TRUE(v.llc);
  EXPECT_EQ(v.snap_oui, 0x00000cu);
  EXPECT_EQ(v.ethertype, 0x2000);
  EXPECT_EQ(v.l2_payload.size(), 4u);
}

// Every proper prefix of a valid frame must decode to an error or to a shorter view — never crash.
TEST(Decoder, EveryTruncationOfAFrameIsHandled) {
  EthernetII pkt = EthernetII("00:11:22:33:44:55", "44:4b:5d:00:00:01") / Tins::Dot1Q(5) /
                   Tins::IP("10.77.0.10", "10.77.0.21") / Tins::TCP(104, 40000) / Tins::RawPDU("payload");
  const auto frame = bytes_of(pkt);
  int errors = 0;
  for (std::size_t n = 0; n < frame.size(); ++n) {
    std::vector<std::uint8_t> cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
    PacketView v;
    // Claimed wire length is the full frame: the capture is short, as if the file was cut.
    if (decode_frame(linktype::ethernet, cut, static_cast<std::uint32_t>(cut.size()), 0, v) != DecodeError::none) ++errors;
  }
  EXPECT_GT(errors, 50);
}

TEST(Decoder, MalformedHeadersHaveNamedReasons) {
  EthernetII pkt = EthernetII() / Tins::IP("10.0.0.1", "10.0.0.2") / Tins::TCP(1, 2);
  auto frame = bytes_of(pkt);
  PacketView v;
  auto broken = frame;
  broken[14] = 0x65;  // version 6 in an IPv4 EtherType
  EXPECT_EQ(decode(linktype::ethernet, broken, v), DecodeError::bad_ipv4_version);
  broken = frame;
  broken[14] = 0x43;  // IHL 3 (< 5)
  EXPECT_EQ(decode(linktype::ethernet, broken, v), DecodeError::bad_ipv4_header_length);
  broken = frame;
  broken[16] = 0x05;  // total length 1300 > frame, and not snapped
  broken[17] = 0x14;
  EXPECT_EQ(decode(linktype::ethernet, broken, v), DecodeError::ipv4_total_length_exceeds_frame);
  // The same lie is accepted when the snap length cut the frame (wire length larger than caplen).
  EXPECT_EQ(decode_frame(linktype::ethernet, broken, 1400, 0, v), DecodeError::none);
  broken = frame;
  broken[14 + 20 + 12] = 0x20;  // TCP data offset 2 (< 5)
  EXPECT_EQ(decode(linktype::ethernet, broken, v), DecodeError::bad_tcp_data_offset);
  EXPECT_EQ(to_string(DecodeError::bad_tcp_data_offset), "bad_tcp_data_offset");
}

// The pipeline's view of a broken frame keeps the link layer (the sender's MAC sent it) and nothing above.
TEST(Decoder, ForThePipelineABrokenFrameKeepsOnlyItsLinkLayer) {
  EthernetII pkt = EthernetII("00:11:22:33:44:55", "44:4b:5d:00:00:01") / Tins::IP("10.0.0.1", "10.0.0.2") /
                   Tins::TCP(1, 2);
  auto frame = bytes_of(pkt);
  frame[14 + 20 + 12] = 0x20;  // TCP data offset 2 (< 5): IPv4 decoded, TCP not
  DecodedFrame d;
  decode_for_pipeline(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), 7, d);
  EXPECT_EQ(d.error, DecodeError::bad_tcp_data_offset);
  EXPECT_TRUE(d.view.has_src_mac);
  EXPECT_EQ(d.view.src_mac.to_string(), "44:4b:5d:00:00:01");
  EXPECT_EQ(d.view.l3, L3Kind::none);
  EXPECT_EQ(d.view.l4, L4Kind::none);
  EXPECT_FALSE(d.has_flow);
  EXPECT_EQ(d.view.ts_us, 7);

  frame[14 + 20 + 12] = 0x50;  // repaired: everything decodes and stays
  decode_for_pipeline(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), 7, d);
  EXPECT_EQ(d.error, DecodeError::none);
  EXPECT_EQ(d.view.l3, L3Kind::ipv4);
  EXPECT_EQ(d.view.l4, L4Kind::tcp);
}

// Both directions of a TCP or UDP flow come with the hash of the same key (the low address first); other
// packets and non-first fragments have no flow.
TEST(Decoder, ForThePipelineEachDirectionOfAFlowHasTheSameKeyHash) {
  auto decoded = [](Tins::PDU&& pdu) {
    EthernetII frame_pdu = EthernetII("00:11:22:33:44:55", "44:4b:5d:00:00:01") / pdu;
    const auto frame = bytes_of(frame_pdu);
    DecodedFrame d;
    decode_for_pipeline(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), 7, d);
    return d;
  };
  const DecodedFrame out = decoded(Tins::IP("10.0.0.9", "10.0.0.2") / Tins::TCP(104, 50000));
  const DecodedFrame back = decoded(Tins::IP("10.0.0.2", "10.0.0.9") / Tins::TCP(50000, 104));
  ASSERT_TRUE(out.has_flow);
  ASSERT_TRUE(back.has_flow);
  EXPECT_EQ(out.flow_hash, back.flow_hash);
  FlowKey key, back_key;
  bool src_is_lo = false, back_src_is_lo = false;
  ASSERT_TRUE(flow_key_of(out.view, key, src_is_lo));
  ASSERT_TRUE(flow_key_of(back.view, back_key, back_src_is_lo));
  EXPECT_TRUE(key == back_key);
  EXPECT_NE(src_is_lo, back_src_is_lo);
  // (libtins takes the destination first: `out` goes from 10.0.0.2:50000 to 10.0.0.9:104.)
  EXPECT_EQ((src_is_lo ? key.lo_ip : key.hi_ip).to_string(), "10.0.0.2");
  EXPECT_EQ(src_is_lo ? key.lo_port : key.hi_port, 50000);
  EXPECT_EQ(key.proto, 6);
  EXPECT_EQ(out.flow_hash, FlowKeyHash{}(key));

  const DecodedFrame udp = decoded(Tins::IP("10.0.0.9", "10.0.0.2") / Tins::UDP(104, 50000));
  ASSERT_TRUE(udp.has_flow);
  EXPECT_NE(udp.flow_hash, out.flow_hash);  // the protocol is part of the key
  const DecodedFrame other_port = decoded(Tins::IP("10.0.0.9", "10.0.0.2") / Tins::TCP(105, 50000));
  EXPECT_NE(other_port.flow_hash, out.flow_hash);
  EXPECT_FALSE(decoded(Tins::IP("10.0.0.9", "10.0.0.2") / Tins::ICMP()).has_flow);
  Tins::IP fragment("10.0.0.9", "10.0.0.2");
  fragment.fragment_offset(100);
  EXPECT_FALSE(decoded(fragment / Tins::RawPDU("x")).has_flow);
}

TEST(Decoder, SupportedLinkTypes) {
  for (int dlt : {0, 1, 101, 108, 113, 228, 229, 276}) EXPECT_TRUE(is_supported_linktype(dlt)) << dlt;
  EXPECT_FALSE(is_supported_linktype(127));  // 802.11 radiotap
}

}  // namespace
}  // namespace ww
