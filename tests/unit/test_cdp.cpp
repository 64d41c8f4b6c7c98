#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

// One CDP TLV: type (2), length including the 4-byte header (2), value.
void tlv(Buf& out, std::uint16_t type, const Buf& value) {
  const std::size_t len = value.size() + 4;
  out.push_back(static_cast<std::uint8_t>(type >> 8));
  out.push_back(static_cast<std::uint8_t>(type));
  out.push_back(static_cast<std::uint8_t>(len >> 8));
  out.push_back(static_cast<std::uint8_t>(len));
  for (std::uint8_t b : value) out.push_back(b);
}
Buf str(std::string_view s) { return Buf(s.begin(), s.end()); }

Buf phone_cdp() {
  Buf f = {2, 180, 0x12, 0x34};  // version 2, TTL, checksum
  tlv(f, 0x0001, str("SEP001122334455"));
  // Addresses: count 2; IPv4 10.77.1.20 (NLPID 0xcc) and 0.0.0.0 (skipped).
  tlv(f, 0x0002, {0, 0, 0, 2, 1, 1, 0xcc, 0, 4, 10, 77, 1, 20, 1, 1, 0xcc, 0, 4, 0, 0, 0, 0});
  tlv(f, 0x0003, str("Port 1"));
  tlv(f, 0x0004, {0x00, 0x00, 0x01, 0x90});  // host, phone, remote_managed
  tlv(f, 0x0005, str("SCCP75.9-4-2SR1S\nline two"));
  tlv(f, 0x0006, str("Cisco IP Phone 7975"));
  tlv(f, 0x0009, str("HOSPITAL"));
  tlv(f, 0x000a, {0x00, 0x64});
  for (int i = 0; i < 6; ++i) f.push_back(0);  // Ethernet padding
  return f;
}

class CdpTest : public ::testing::Test {
 protected:
  CdpTest() {
    meta.snap_oui = 0x00000c;
    meta.ethertype = 0x2000;
  }
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "cdp");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(CdpTest, ExtractsIdentityTlvs) {
  ASSERT_NE(parser, nullptr);
  const Buf f = phone_cdp();
  ASSERT_TRUE(parser->probe(meta, f));
  EXPECT_EQ(parser->parse(meta, f, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("cdp.version"), "2");
  EXPECT_EQ(sink.value("cdp.device_id"), "SEP001122334455");
  EXPECT_EQ(sink.values("cdp.address"), std::vector<std::string>{"10.77.1.20"});
  EXPECT_EQ(sink.value("cdp.port_id"), "Port 1");
  EXPECT_EQ(sink.value("cdp.capabilities"), "host,phone,remote_managed");
  EXPECT_EQ(sink.value("cdp.software_version"), "SCCP75.9-4-2SR1S");
  EXPECT_EQ(sink.value("cdp.software_version_full"), "SCCP75.9-4-2SR1S; line two");
  EXPECT_EQ(sink.value("cdp.platform"), "Cisco IP Phone 7975");
  EXPECT_EQ(sink.value("cdp.vtp_domain"), "HOSPITAL");
  EXPECT_EQ(sink.value("cdp.native_vlan"), "100");
  EXPECT_TRUE(sink.anomalies.empty());
  for (const auto& fct : sink.facts) EXPECT_EQ(fct.about, "sender") << fct.key;
}

TEST_F(CdpTest, TruncationAndHostileLengths) {
  const Buf f = phone_cdp();
  for (std::size_t n = 4; n < f.size() - 6; ++n) {
    test::RecordingSink s;
    const ParseStatus st = parser->parse(meta, Bytes(f).first(n), s);
    EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << n;
  }
  // Cut in the middle of the device-ID TLV.
  EXPECT_EQ(parser->parse(meta, Bytes(f).first(10), sink), ParseStatus::malformed);
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "cdp.tlv_overrun");
  EXPECT_FALSE(sink.has("cdp.device_id"));

  // A TLV length below its own header, and an address count far beyond the TLV.
  Buf g = {2, 180, 0, 0, 0x00, 0x01, 0x00, 0x02};
  test::RecordingSink s2;
  EXPECT_EQ(parser->parse(meta, g, s2), ParseStatus::malformed);
  Buf h = {2, 180, 0, 0};
  tlv(h, 0x0002, {0xff, 0xff, 0xff, 0xff, 1, 1, 0xcc, 0, 4, 10, 0, 0, 1, 1, 200});
  test::RecordingSink s3;
  EXPECT_EQ(parser->parse(meta, h, s3), ParseStatus::malformed);
  EXPECT_EQ(s3.values("cdp.address"), std::vector<std::string>{"10.0.0.1"});
}

TEST_F(CdpTest, ProbeRejectsOtherSnapProtocols) {
  const Buf f = phone_cdp();
  PacketMeta vtp = meta;
  vtp.ethertype = 0x2003;  // Cisco VTP
  EXPECT_FALSE(parser->probe(vtp, f));
  PacketMeta other = meta;
  other.snap_oui = 0;
  EXPECT_FALSE(parser->probe(other, f));
  Buf bad_version = f;
  bad_version[0] = 7;
  EXPECT_FALSE(parser->probe(meta, bad_version));
}

// tshark -r zeek_cdp-v1.pcap -T fields -e cdp.version -e cdp.deviceid -e cdp.platform -e cdp.portid
//        -e cdp.capabilities -e cdp.nrgyz.ip_address      (GROUND_TRUTH.md)
//   1  R1  cisco 1601  Ethernet0  0x00000001  192.168.10.1
TEST(CdpCapture, SharedZeekCdpV1Router) {
  const auto path = test::shared_pcap("zeek_cdp-v1.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  const AssetView* r1 = test::find_asset(inv, "mac:00:e0:1e:d5:d5:15");
  ASSERT_NE(r1, nullptr);
  std::map<std::string, std::string> kv;
  for (const auto& o : r1->observations) kv[o.key] = o.value;
  EXPECT_EQ(kv["cdp.version"], "1");
  EXPECT_EQ(kv["cdp.device_id"], "R1");
  EXPECT_EQ(kv["cdp.platform"], "cisco 1601");
  EXPECT_EQ(kv["cdp.port_id"], "Ethernet0");
  EXPECT_EQ(kv["cdp.capabilities"], "router");
  EXPECT_EQ(kv["cdp.address"], "192.168.10.1");
  EXPECT_EQ(kv["cdp.software_version"], "Cisco Internetwork Operating System Software");
  EXPECT_EQ(kv["cdp.software_version_full"].rfind(
                "Cisco Internetwork Operating System Software ; IOS (tm) 1600 Software (C1600-NY-L), Version "
                "11.2(12)P",
                0),
            0u);
}


}  // namespace
}  // namespace ww
