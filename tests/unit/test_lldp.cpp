#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "wardwatch/text.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

// One LLDP TLV (IEEE 802.1AB §8.4.1): 7-bit type, 9-bit length, value.
void tlv(Buf& out, std::uint8_t type, const Buf& value) {
  out.push_back(static_cast<std::uint8_t>((type << 1) | (value.size() >> 8)));
  out.push_back(static_cast<std::uint8_t>(value.size() & 0xff));
  for (std::uint8_t b : value) out.push_back(b);
}
Buf text(std::initializer_list<std::uint8_t> prefix, std::string_view s) {
  Buf v(prefix);
  for (char c : s) v.push_back(static_cast<std::uint8_t>(c));
  return v;
}
// A TIA-1057 LLDP-MED TLV: OUI 00-12-BB + subtype + string.
void med(Buf& out, std::uint8_t subtype, std::string_view s) { tlv(out, 127, text({0x00, 0x12, 0xbb, subtype}, s)); }

// An infusion pump announcing itself with LLDP-MED inventory TLVs.
Buf pump_lldpdu() {
  Buf f;
  tlv(f, 1, {4, 0x00, 0x40, 0x9d, 0x12, 0x34, 0x56});  // chassis: MAC
  tlv(f, 2, text({7}, "1"));                        // port: locally assigned
  tlv(f, 3, {0, 120});
  tlv(f, 4, text({}, "eth0"));
  tlv(f, 5, text({}, "PUMP-ICU-07"));
  tlv(f, 6, text({}, "Infusion system\r\nrev B"));
  tlv(f, 7, {0x00, 0x80, 0x00, 0x80});                              // station only
  tlv(f, 8, {5, 1, 10, 77, 0, 143, 2, 0, 0, 0, 1, 0});             // mgmt 10.77.0.143
  tlv(f, 127, {0x00, 0x12, 0xbb, 1, 0x00, 0x33, 1});               // MED caps, Endpoint Class I
  med(f, 5, "HW 2.1");
  med(f, 6, "FW 4.0.3");
  med(f, 7, "SW 11.2");
  med(f, 8, "SN123456");
  med(f, 9, "Acme Medical");
  med(f, 10, "InfuseMax 3000");
  med(f, 11, "BIOMED-0042");
  tlv(f, 127, {0x00, 0x80, 0xc2, 1, 0x00, 0x01});  // 802.1 port VLAN: ignored
  tlv(f, 0, {});
  for (int i = 0; i < 10; ++i) f.push_back(0);  // Ethernet padding after End
  return f;
}

class LldpTest : public ::testing::Test {
 protected:
  LldpTest() { meta.ethertype = 0x88cc; }
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "lldp");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(LldpTest, ExtractsBasicAndMedInventoryTlvs) {
  ASSERT_NE(parser, nullptr);
  const Buf f = pump_lldpdu();
  ASSERT_TRUE(parser->probe(meta, f));
  EXPECT_EQ(parser->parse(meta, f, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("lldp.chassis_id"), "mac:00:40:9d:12:34:56");
  EXPECT_EQ(sink.value("lldp.port_id"), "local:1");
  EXPECT_EQ(sink.value("lldp.port_description"), "eth0");
  EXPECT_EQ(sink.value("lldp.system_name"), "PUMP-ICU-07");
  EXPECT_EQ(sink.value("lldp.system_description"), "Infusion system; rev B");
  EXPECT_EQ(sink.value("lldp.capabilities"), "station");
  EXPECT_EQ(sink.value("lldp.management_address"), "10.77.0.143");
  EXPECT_EQ(sink.value("lldp.med.device_class"), "endpoint_class_1");
  EXPECT_EQ(sink.value("lldp.med.hardware_revision"), "HW 2.1");
  EXPECT_EQ(sink.value("lldp.med.firmware_revision"), "FW 4.0.3");
  EXPECT_EQ(sink.value("lldp.med.software_revision"), "SW 11.2");
  EXPECT_EQ(sink.value("lldp.med.serial_number"), "SN123456");
  EXPECT_EQ(sink.value("lldp.med.manufacturer"), "Acme Medical");
  EXPECT_EQ(sink.value("lldp.med.model"), "InfuseMax 3000");
  EXPECT_EQ(sink.value("lldp.med.asset_id"), "BIOMED-0042");
  EXPECT_TRUE(sink.anomalies.empty());
  for (const auto& fct : sink.facts) EXPECT_EQ(fct.about, "sender") << fct.key;
}

TEST_F(LldpTest, TruncatedAtEveryLengthNeverOverreads) {
  const Buf f = pump_lldpdu();
  for (std::size_t n = 2; n < f.size() - 12; ++n) {
    test::RecordingSink s;
    const Bytes cut = Bytes(f).first(n);
    if (!parser->probe(meta, cut)) continue;
    const ParseStatus st = parser->parse(meta, cut, s);
    EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << n;
    for (const auto& fct : s.facts) EXPECT_LE(fct.value.size(), kMaxValueLength);
  }
  // Cut inside the system-name TLV: earlier TLVs are kept, the overrun is counted.
  const Bytes cut = Bytes(f).first(40);
  EXPECT_EQ(parser->parse(meta, cut, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.value("lldp.chassis_id"), "mac:00:40:9d:12:34:56");
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "lldp.tlv_overrun");
}

TEST_F(LldpTest, HostileLengthsAreAnomalies) {
  Buf f;
  tlv(f, 1, {4, 1, 2, 3, 4, 5, 6});
  tlv(f, 2, {7, '1'});
  tlv(f, 3, {0, 120});
  f.push_back(0x0b);  // system name TLV claiming 511 bytes
  f.push_back(0xff);
  f.push_back('x');
  EXPECT_EQ(parser->parse(meta, f, sink), ParseStatus::malformed);
  EXPECT_FALSE(sink.has("lldp.system_name"));
  // A management address whose string length runs past its TLV.
  Buf g;
  tlv(g, 1, {4, 1, 2, 3, 4, 5, 6});
  tlv(g, 8, {200, 1, 10, 0, 0, 1});
  test::RecordingSink s2;
  EXPECT_EQ(parser->parse(meta, g, s2), ParseStatus::malformed);
  EXPECT_FALSE(s2.has("lldp.management_address"));
  // Mandatory TLVs out of order (§9.2) are counted.
  Buf h;
  tlv(h, 1, {4, 1, 2, 3, 4, 5, 6});
  tlv(h, 5, text({}, "x"));
  test::RecordingSink s3;
  EXPECT_EQ(parser->parse(meta, h, s3), ParseStatus::ok);
  ASSERT_EQ(s3.anomalies.size(), 1u);
  EXPECT_EQ(s3.anomalies[0], "lldp.mandatory_tlv_order");
}

TEST_F(LldpTest, ProbeRejectsOtherEtherTypesAndNonChassisStart) {
  const Buf f = pump_lldpdu();
  PacketMeta other;
  other.ethertype = 0x88cd;
  EXPECT_FALSE(parser->probe(other, f));
  PacketMeta snap;
  snap.ethertype = 0x88cc;
  snap.snap_oui = 0x00000c;
  EXPECT_FALSE(parser->probe(snap, f));
  const Buf starts_with_ttl = {0x06, 0x02, 0x00, 0x78};
  EXPECT_FALSE(parser->probe(meta, starts_with_ttl));
  EXPECT_FALSE(parser->probe(meta, Bytes(f).first(1)));
}

TEST_F(LldpTest, NetworkAddressChassisAndIpv6Management) {
  Buf f;
  tlv(f, 1, {5, 1, 192, 168, 1, 2});  // chassis: network address, IPv4
  tlv(f, 2, text({3}, "abc"));    // port id, MAC subtype with a wrong-sized MAC: printed as text
  Buf m = {17, 2};
  for (int i = 0; i < 15; ++i) m.push_back(0);
  m.push_back(1);  // ::1
  m.push_back(1);
  for (int i = 0; i < 5; ++i) m.push_back(0);
  tlv(f, 8, m);
  EXPECT_EQ(parser->parse(meta, f, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("lldp.chassis_id"), "network_address:192.168.1.2");
  EXPECT_EQ(sink.value("lldp.port_id"), "mac:abc");
  EXPECT_EQ(sink.value("lldp.management_address"), "::1");
}

// Expected values from tshark 4.0:
//   tshark -r zeek_lldp.pcap -T fields -e lldp.chassis.id.mac -e lldp.port.id -e lldp.port.desc
//          -e lldp.tlv.system.name -e lldp.tlv.system.desc -e lldp.tlv.system_cap -e lldp.mgn.addr.ip4
//   00:22:2d:81:db:10  1  Port #1  SMCGS8P-Smart  SMCGS8P-Smart - SMCGS8P-Smart v3.20  0x0004  192.168.2.10
TEST(LldpCapture, SharedZeekSampleSmcSwitch) {
  const auto path = test::shared_pcap("zeek_lldp.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  const AssetView* sw = test::find_asset(inv, "mac:00:22:2d:81:db:10");
  ASSERT_NE(sw, nullptr);
  auto has = [&](std::string_view k, std::string_view v) {
    for (const auto& o : sw->observations) {
      if (o.key == k && o.value == v) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("lldp.chassis_id", "mac:00:22:2d:81:db:10"));
  EXPECT_TRUE(has("lldp.port_id", "local:1"));
  EXPECT_TRUE(has("lldp.port_description", "Port #1"));
  EXPECT_TRUE(has("lldp.system_name", "SMCGS8P-Smart"));
  EXPECT_TRUE(has("lldp.system_description", "SMCGS8P-Smart - SMCGS8P-Smart v3.20"));
  EXPECT_TRUE(has("lldp.capabilities", "bridge"));
  EXPECT_TRUE(has("lldp.management_address", "192.168.2.10"));
}

// tshark: chassis 00:00:00:02:00:02 (4), port leaf0b-eth10 (5), desc "Big Cloud Fabric Switch Port
// leaf0b-eth10", name leaf0b, sysdesc 5c:16:c7:00:00:01.
TEST(LldpCapture, SharedTcpdumpAppPriorityFromZeroSourceMac) {
  const auto path = test::shared_pcap("tcpdump_lldp-app-priority.pcap");
  WW_REQUIRE_FILE(path);
  // The frame's source MAC is all zeros, so the pipeline keeps no record for it: the parser is run directly
  // on the frame's LLDPDU (after the 14-byte Ethernet header).
  PcapSource src = PcapSource::open_file(path);
  CapturedPacket pkt;
  ASSERT_EQ(src.next(pkt), PcapSource::Next::packet);
  ASSERT_GT(pkt.data.size(), 14u);
  const ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "lldp");
  PacketMeta meta;
  meta.ethertype = 0x88cc;
  test::RecordingSink sink;
  const Bytes payload = pkt.data.subspan(14);
  ASSERT_TRUE(parser->probe(meta, payload));
  EXPECT_EQ(parser->parse(meta, payload, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("lldp.chassis_id"), "mac:00:00:00:02:00:02");
  EXPECT_EQ(sink.value("lldp.port_id"), "interface_name:leaf0b-eth10");
  EXPECT_EQ(sink.value("lldp.port_description"), "Big Cloud Fabric Switch Port leaf0b-eth10");
  EXPECT_EQ(sink.value("lldp.system_name"), "leaf0b");
  EXPECT_EQ(sink.value("lldp.system_description"), "5c:16:c7:00:00:01");
  EXPECT_TRUE(sink.anomalies.empty());
}


}  // namespace
}  // namespace ww
