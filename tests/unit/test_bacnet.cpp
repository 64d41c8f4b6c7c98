// BACnet/IP (parsers/bacnet.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

Buf from_hex(std::string_view h) {
  Buf out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// `tshark -r ndpi_bacnet.pcap -Y frame.number==11 -T fields -e udp.payload`: I-Am device,0 vendor 260 with a
// DNET (broadcast) in the NPDU. tshark: bacapp.instance_number 0, bacapp.vendor_identifier 260.
const char* kIAm = "810b00190120ffff00ff1000c4020000002205c49103220104";

// BVLC Original-Unicast-NPDU around `apdu` (NPDU version 1, control 0).
Buf bvlc(const Buf& apdu) {
  Buf m = {0x81, 0x0a, 0, 0, 0x01, 0x00};
  for (std::uint8_t b : apdu) m.push_back(b);
  m[2] = static_cast<std::uint8_t>(m.size() >> 8);
  m[3] = static_cast<std::uint8_t>(m.size());
  return m;
}
// ReadProperty-ACK for device,1234 property `prop` with a CharacterString (UTF-8) value.
Buf read_property_ack(std::uint8_t prop, std::string_view text) {
  Buf a = {0x30, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x04, 0xd2, 0x19, prop, 0x3e, 0x75,
           static_cast<std::uint8_t>(text.size() + 1), 0x00};
  for (char c : text) a.push_back(static_cast<std::uint8_t>(c));
  a.push_back(0x3f);
  return bvlc(a);
}

class BacnetTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "bacnet");
  PacketMeta meta;
  test::RecordingSink sink;
  void SetUp() override {
    meta.src_port = 47808;
    meta.dst_port = 47808;
  }
};

TEST_F(BacnetTest, IAmFromTheCapture) {
  ASSERT_NE(parser, nullptr);
  const Buf msg = from_hex(kIAm);
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("bacnet.device_instance"), "0");
  EXPECT_EQ(sink.value("bacnet.vendor_id"), "260");
}

TEST_F(BacnetTest, ReadPropertyAckDeviceStrings) {
  const std::pair<std::uint8_t, std::string_view> cases[] = {
      {77, "AHU-3 Controller"}, {70, "PXC Modular"}, {44, "FW 3.2.1"}, {12, "APP 7.0"}, {121, "Siemens"}};
  const std::string_view keys[] = {"bacnet.object_name", "bacnet.model_name", "bacnet.firmware_revision",
                                   "bacnet.application_software_version", "bacnet.vendor_name"};
  for (std::size_t i = 0; i < 5; ++i) {
    test::RecordingSink s;
    const Buf msg = read_property_ack(cases[i].first, cases[i].second);
    ASSERT_TRUE(parser->probe(meta, msg));
    EXPECT_EQ(parser->parse(meta, msg, s), ParseStatus::ok);
    EXPECT_EQ(s.value(keys[i]), cases[i].second);
    EXPECT_EQ(s.value("bacnet.device_instance"), "1234");
  }
}

TEST_F(BacnetTest, NonDeviceObjectsAndRoutedMessagesAreNotAttributed) {
  Buf ai = read_property_ack(77, "Zone Temp");
  ai[10] = 0x00;  // object type 0 (analog-input) instead of 8 (device): 02 00 04 d2 -> 00 00 04 d2
  EXPECT_EQ(parser->parse(meta, ai, sink), ParseStatus::ok);
  EXPECT_FALSE(sink.has("bacnet.object_name"));
  // The same I-Am relayed by a router (SNET 5, SADR 1 octet): the device is not the IP sender.
  const Buf routed = {0x81, 0x0b, 0x00, 0x16, 0x01, 0x08, 0x00, 0x05, 0x01, 0x07, 0x10, 0x00,
                      0xc4, 0x02, 0x00, 0x00, 0x09, 0x22, 0x05, 0xc4, 0x91, 0x03};
  Buf r = routed;
  r.push_back(0x21);
  r.push_back(0x05);
  r[3] = static_cast<std::uint8_t>(r.size());
  ASSERT_TRUE(parser->probe(meta, r));
  EXPECT_EQ(parser->parse(meta, r, sink), ParseStatus::ok);
  EXPECT_FALSE(sink.has("bacnet.device_instance"));
}

TEST_F(BacnetTest, TruncatedAndHostileLengths) {
  const Buf msg = read_property_ack(77, "AHU-3");
  for (std::size_t cut = 0; cut < msg.size(); ++cut) {
    Buf part(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(cut));
    if (part.size() >= 4) {  // keep the BVLC length consistent so the inner layers are reached
      part[2] = static_cast<std::uint8_t>(part.size() >> 8);
      part[3] = static_cast<std::uint8_t>(part.size());
    }
    test::RecordingSink s;
    if (!parser->probe(meta, part)) continue;
    const ParseStatus st = parser->parse(meta, part, s);
    EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << cut;
    EXPECT_FALSE(s.has("bacnet.object_name")) << cut;
  }
  // A CharacterString claiming a 4-octet length of 0xffffffff.
  Buf evil = bvlc({0x30, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x04, 0xd2, 0x19, 77, 0x3e, 0x75, 0xff, 0xff, 0xff, 0xff,
                   0xff, 0x00, 'x'});
  EXPECT_EQ(parser->parse(meta, evil, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "bacnet.bad_read_property_ack");
}

TEST_F(BacnetTest, ProbeChecksBvlcLengthAndNpduVersion) {
  Buf msg = from_hex(kIAm);
  msg[3] = static_cast<std::uint8_t>(msg[3] + 1);
  EXPECT_FALSE(parser->probe(meta, msg));
  msg = from_hex(kIAm);
  msg[4] = 0x02;  // NPDU version
  EXPECT_FALSE(parser->probe(meta, msg));
  const std::string syslog = "<13>Oct 11 22:14:15 host app: x";
  EXPECT_FALSE(parser->probe(meta, as_bytes(syslog)));
}

std::vector<std::string> values_of(const Inventory& inv, std::string_view key) { return test::all_values(inv, key); }

TEST(BacnetCapture, SharedNdpiBacnetIAm) {
  const auto path = test::shared_pcap("ndpi_bacnet.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  // `tshark -r ndpi_bacnet.pcap -T fields -e bacapp.instance_number -e bacapp.vendor_identifier
  //  -Y bacapp.unconfirmed_service==0`: device 0 and 4194303, vendor 260. Only I-Am is attributed
  // (the readProperty requests from internet scanners describe nobody).
  auto inst = values_of(inv, "bacnet.device_instance");
  std::sort(inst.begin(), inst.end());
  EXPECT_EQ(inst, (std::vector<std::string>{"0", "4194303"}));
  EXPECT_EQ(values_of(inv, "bacnet.vendor_id"), std::vector<std::string>{"260"});
}


}  // namespace
}  // namespace ww
