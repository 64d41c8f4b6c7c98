// NetBIOS Name Service (parsers/nbns.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using test::from_hex;

// `tshark -r ndpi_gnutella.pcap -Y "nbns.flags.opcode==5" -T fields -e nbns.name -e udp.payload`:
// registration of MSEDGEWIN10<00> (unique) and WORKGROUP<00> (group), NB address 10.0.2.15.
const char* kRegUnique =
    "9c292910000100000000000120454e464445464545454845464648454a454f44424441434143414341434141410000200001c00c0020"
    "0001000493e0000600000a00020f";
const char* kRegGroup =
    "9c2a2910000100000000000120464845504643454c4548464345504646464143414341434143414341434141410000200001c00c0020"
    "0001000493e0000680000a00020f";
// `tshark -r ndpi_netbios.pcap -Y "nbns.type==33 && nbns.flags.response==1" -T fields -e udp.payload`:
// NBSTAT response from 10.0.4.24: GUNNAR<00>, VIGILANT_GROUP<00> (group), GUNNAR<20>, VIGILANT_GROUP<1e>
// (group), unit id 00:1c:c4:10:79:0f.
const char* kNbstat =
    "20a88400000000010000000020434b41414141414141414141414141414141414141414141414141414141414100002100010000"
    "000000770447554e4e4152202020202020202020000400564947494c414e545f47524f55502000840047554e4e41522020202020"
    "20202020200400564947494c414e545f47524f5550201e8400001cc410790f000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000";
// `tshark -r ndpi_netbios.pcap -Y "nbns.type==32 && nbns.flags.response==1" -T fields -e ip.src -e udp.payload`:
// 10.0.5.1 answering GURU<00> with its own address 10.0.5.1.
const char* kPositiveAnswer =
    "9ed6850000000001000000002045484646464346464341434143414341434143414341434143414341434141410000200001000493e0"
    "000600000a000501";

class NbnsTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "nbns");
  PacketMeta meta;
  test::RecordingSink sink;
  void SetUp() override {
    meta.src_port = 137;
    meta.dst_port = 137;
    meta.has_ip = true;
  }
};

TEST_F(NbnsTest, RegistrationsNameTheRegistrant) {
  ASSERT_NE(parser, nullptr);
  meta.src_ip = *IpAddr::parse("10.0.2.15");
  const auto unique = from_hex(kRegUnique);
  ASSERT_TRUE(parser->probe(meta, unique));
  EXPECT_EQ(parser->parse(meta, unique, sink), ParseStatus::ok);
  EXPECT_EQ(sink.values("nbns.name"), std::vector<std::string>{"MSEDGEWIN10<00>"});
  const auto group = from_hex(kRegGroup);
  EXPECT_EQ(parser->parse(meta, group, sink), ParseStatus::ok);
  EXPECT_EQ(sink.values("nbns.workgroup"), std::vector<std::string>{"WORKGROUP"});
  EXPECT_EQ(sink.values("nbns.name").size(), 1u);  // a group name is not the host's name
}

TEST_F(NbnsTest, NbstatResponseListsNamesAndUnitId) {
  const auto msg = from_hex(kNbstat);
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.values("nbns.name"), (std::vector<std::string>{"GUNNAR<00>", "GUNNAR<20>"}));
  EXPECT_EQ(sink.value("nbns.workgroup"), "VIGILANT_GROUP");
  EXPECT_EQ(sink.value("nbns.unit_id"), "00:1c:c4:10:79:0f");
}

TEST_F(NbnsTest, PositiveAnswerOnlyCountsForTheOwnAddress) {
  const auto msg = from_hex(kPositiveAnswer);
  meta.src_ip = *IpAddr::parse("10.0.5.1");
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("nbns.name"), "GURU<00>");
  // The same answer sent by a WINS server at another address says nothing about that server.
  test::RecordingSink wins;
  meta.src_ip = *IpAddr::parse("10.0.0.2");
  EXPECT_EQ(parser->parse(meta, msg, wins), ParseStatus::ok);
  EXPECT_TRUE(wins.facts.empty());
}

TEST_F(NbnsTest, TruncatedAndHostileInput) {
  const auto msg = from_hex(kNbstat);
  for (std::size_t cut = 0; cut < msg.size(); ++cut) {
    test::RecordingSink s;
    const Bytes part = Bytes(msg).first(cut);
    const ParseStatus st = parser->parse(meta, part, s);
    // Header + encoded name incomplete: not NBNS at all; anything later: malformed.
    EXPECT_EQ(st, cut < 45 ? ParseStatus::not_mine : ParseStatus::malformed) << cut;
  }
  // NBSTAT claiming 255 names in 119 octets.
  auto lying = msg;
  lying[56] = 0xff;
  EXPECT_EQ(parser->parse(meta, lying, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "nbns.nbstat_overrun");
  // A compression pointer pointing at itself.
  auto reg = from_hex(kRegUnique);
  reg[50] = 0xc0;
  reg[51] = 50;
  EXPECT_EQ(parser->parse(meta, reg, sink), ParseStatus::malformed);
}

TEST_F(NbnsTest, ProbeNeedsPort137AndNetbiosNameEncoding) {
  const auto msg = from_hex(kNbstat);
  PacketMeta dns_port;
  dns_port.src_port = 53;
  dns_port.dst_port = 40000;
  EXPECT_FALSE(parser->probe(dns_port, msg));
  // A DNS query on 137 for an ordinary name is not NetBIOS.
  const std::vector<std::uint8_t> dns = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                         3,    'w',  'w',  'w',  0, 0, 1, 0, 1};
  EXPECT_FALSE(parser->probe(meta, dns));
}

}  // namespace
}  // namespace ww
