// DHCPv6 (parsers/dhcpv6.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using test::from_hex;

// `tshark -r ndpi_gnutella.pcap -Y dhcpv6 -T fields -e udp.payload` (Windows 10 SOLICIT). tshark fields:
// dhcpv6.duid.bytes 000100012422f1b3080027e6e559, duidllt.link_layer_addr 08:00:27:e6:e5:59,
// vendorclass.enterprise 311, vendorclass.data "MSFT 5.0", client_domain MSEDGEWIN10, ORO 17,23,24,39.
const char* kWindowsSolicit =
    "0113d1ed0008000200000001000e000100012422f1b3080027e6e5590003000c0508002700000000000000000027000d000b4d534544"
    "474557494e31300010000e0000013700084d53465420352e30000600080011001700180027";

class Dhcpv6Test : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "dhcpv6");
  PacketMeta meta;
  test::RecordingSink sink;
  void SetUp() override {
    meta.src_port = 546;
    meta.dst_port = 547;
  }
};

TEST_F(Dhcpv6Test, WindowsSolicitMatchesTshark) {
  ASSERT_NE(parser, nullptr);
  auto msg = from_hex(kWindowsSolicit);
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("dhcpv6.message_type"), "SOLICIT");
  EXPECT_EQ(sink.value("dhcpv6.duid"), "000100012422f1b3080027e6e559");
  EXPECT_EQ(sink.value("dhcpv6.duid_type"), "LLT");
  EXPECT_EQ(sink.value("dhcpv6.enterprise"), "311");
  EXPECT_EQ(sink.value("dhcpv6.vendor_class"), "MSFT 5.0");
  EXPECT_EQ(sink.value("dhcpv6.fqdn"), "MSEDGEWIN10");
  EXPECT_EQ(sink.value("dhcpv6.option_request"), "17,23,24,39");
  // The DUID-LLT's Ethernet address gets the DUID as well.
  bool on_mac = false;
  for (const auto& f : sink.facts) on_mac |= f.about == "mac:08:00:27:e6:e5:59" && f.key == "dhcpv6.duid";
  EXPECT_TRUE(on_mac);
}

TEST_F(Dhcpv6Test, ServerMessagesOnlyNameTheServer) {
  // ADVERTISE: client id (the client's DUID) + server id.
  const std::vector<std::uint8_t> adv = {2, 0xaa, 0xbb, 0xcc, 0, 1, 0, 10, 0, 3, 0, 1, 1, 2, 3, 4, 5, 6,
                                         0, 2, 0, 10, 0, 3, 0, 1, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf};
  meta.src_port = 547;
  meta.dst_port = 546;
  ASSERT_TRUE(parser->probe(meta, adv));
  EXPECT_EQ(parser->parse(meta, adv, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("dhcpv6.message_type"), "ADVERTISE");
  EXPECT_EQ(sink.value("dhcpv6.server_duid"), "000300010a0b0c0d0e0f");
  EXPECT_FALSE(sink.has("dhcpv6.duid"));
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender");
}

TEST_F(Dhcpv6Test, DuidEnAndUserClass) {
  const std::vector<std::uint8_t> msg = {11, 1, 2, 3,
                                         0, 1, 0, 8, 0, 2, 0, 0, 0x01, 0x37, 0xab, 0xcd,  // DUID-EN 311
                                         0, 15, 0, 6, 0, 4, 'w', 'a', 'r', 'd'};
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("dhcpv6.message_type"), "INFORMATION-REQUEST");
  EXPECT_EQ(sink.value("dhcpv6.duid_type"), "EN");
  EXPECT_EQ(sink.value("dhcpv6.user_class"), "ward");
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender");  // no MAC inside a DUID-EN
}

TEST_F(Dhcpv6Test, TruncatedOptionsAreMalformed) {
  const auto msg = from_hex(kWindowsSolicit);
  for (std::size_t cut = 5; cut < msg.size(); ++cut) {
    test::RecordingSink s;
    const Bytes part = Bytes(msg).first(cut);
    const ParseStatus st = parser->parse(meta, part, s);
    EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << cut;
  }
  // An option claiming 65535 octets.
  const std::vector<std::uint8_t> lying = {1, 0, 0, 1, 0, 1, 0xff, 0xff, 0, 1};
  EXPECT_FALSE(parser->probe(meta, lying));
  EXPECT_EQ(parser->parse(meta, lying, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "dhcpv6.option_overrun");
}

TEST_F(Dhcpv6Test, ProbeRejectsOtherPortsAndPayloads) {
  const auto msg = from_hex(kWindowsSolicit);
  PacketMeta other;
  other.src_port = 5353;
  other.dst_port = 5353;
  EXPECT_FALSE(parser->probe(other, msg));
  // A DHCPv4 BOOTREQUEST on 546 is not DHCPv6.
  std::vector<std::uint8_t> v4(240, 0);
  v4[0] = 1;
  v4[1] = 1;
  v4[2] = 6;
  EXPECT_FALSE(parser->probe(meta, v4));
}

}  // namespace
}  // namespace ww
