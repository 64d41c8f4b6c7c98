// NTP (parsers/ntp.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using test::from_hex;

// `tshark -r ndpi_android.pcap -Y "ntp.flags.mode==4" -T fields -e udp.payload`; tshark: version 3, mode 4,
// stratum 1, refid 474f4f47 ("GOOG"), from 216.239.35.8.
const char* kGoogleServer =
    "1c0100ec000000000000000c474f4f47e1fcd6d356f0a848e1fcd68ee3126ecce1fcd6d356f0a849e1fcd6d356f0a84b";

class NtpTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "ntp");
  PacketMeta meta;
  test::RecordingSink sink;
  void SetUp() override {
    meta.src_port = 123;
    meta.dst_port = 40000;
  }
};

TEST_F(NtpTest, Stratum1ServerWithReferenceClock) {
  ASSERT_NE(parser, nullptr);
  const auto msg = from_hex(kGoogleServer);
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("ntp.mode"), "server");
  EXPECT_EQ(sink.value("ntp.version"), "3");
  EXPECT_EQ(sink.value("ntp.stratum"), "1");
  EXPECT_EQ(sink.value("ntp.reference_id"), "GOOG");
}

TEST_F(NtpTest, ClientHasNoStratumAndStratum2HasNoAsciiRefid) {
  std::vector<std::uint8_t> client(48, 0);
  client[0] = 0x23;  // v4, mode 3
  meta.src_port = 40000;
  meta.dst_port = 123;
  ASSERT_TRUE(parser->probe(meta, client));
  EXPECT_EQ(parser->parse(meta, client, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("ntp.mode"), "client");
  EXPECT_EQ(sink.value("ntp.version"), "4");
  EXPECT_FALSE(sink.has("ntp.stratum"));
  test::RecordingSink s2;
  auto server = from_hex(kGoogleServer);
  server[1] = 2;  // stratum 2: the refid is the upstream's IPv4 address, not a clock name
  EXPECT_EQ(parser->parse(meta, server, s2), ParseStatus::ok);
  EXPECT_EQ(s2.value("ntp.stratum"), "2");
  EXPECT_FALSE(s2.has("ntp.reference_id"));
}

TEST_F(NtpTest, ProbeIsStrictAboutLengthModeAndPort) {
  const auto msg = from_hex(kGoogleServer);
  for (std::size_t cut = 0; cut < 48; ++cut) EXPECT_FALSE(parser->probe(meta, Bytes(msg).first(cut))) << cut;
  auto odd = msg;
  odd.push_back(0);
  EXPECT_FALSE(parser->probe(meta, odd));  // 49 octets: no valid trailer
  auto control = msg;
  control[0] = 0x1e;  // mode 6 (control): another layout
  EXPECT_FALSE(parser->probe(meta, control));
  PacketMeta elsewhere;
  elsewhere.src_port = 5000;
  elsewhere.dst_port = 6000;
  EXPECT_FALSE(parser->probe(elsewhere, msg));
  const std::string ssdp = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: ssdp:all\r\n\r\n";
  EXPECT_FALSE(parser->probe(meta, as_bytes(ssdp)));
}

}  // namespace
}  // namespace ww
