// NetBIOS datagram / SMB mailslot browser announcements (parsers/netbios_browser.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using test::from_hex;

// `tshark -r ndpi_netbios.pcap -Y browser -T fields -e udp.payload` (first frame). tshark: Host Announcement
// NVR9, browser.os_major 6, os_minor 1, server_type 0x00011007 (Workstation, Server, SQL Server,
// NT Workstation, Potential Browser), empty comment.
const char* kHostAnnouncement =
    "110ec2f40a000509008a00bb000020454f46474643444a4341434143414341434143414341434143414341434143410020464745"
    "4a4548454a454d4542454f46454650454846434550464646414341424e00ff534d42250000000000000000000000000000000000"
    "0000000000000000000011000021000000000000000000e803000000000000000021005600030001000000020032005c4d41494c"
    "534c4f545c42524f57534500010080fc0a004e5652390000000000000000000000000601071001000f0155aa00";

class BrowserTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "browser");
  PacketMeta meta;
  test::RecordingSink sink;
  void SetUp() override {
    meta.src_port = 138;
    meta.dst_port = 138;
  }
};

TEST_F(BrowserTest, HostAnnouncementMatchesTshark) {
  ASSERT_NE(parser, nullptr);
  const auto msg = from_hex(kHostAnnouncement);
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("browser.hostname"), "NVR9");
  EXPECT_EQ(sink.value("browser.os_version"), "6.1");
  EXPECT_EQ(sink.value("browser.server_type"), "0x00011007");
  EXPECT_EQ(sink.values("browser.role"), (std::vector<std::string>{"workstation", "server", "sql_server",
                                                                   "nt_workstation", "potential_browser"}));
  EXPECT_FALSE(sink.has("browser.comment"));
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(BrowserTest, CommentAndDomainAnnouncement) {
  auto msg = from_hex(kHostAnnouncement);
  // Put a comment after the fixed announcement fields (it is the trailing NUL-terminated string).
  msg.pop_back();
  for (char c : std::string("Radiology PACS")) msg.push_back(static_cast<std::uint8_t>(c));
  msg.push_back(0);
  // DataCount (SMB words offset 22) grows with the comment; the datagram length field too.
  const std::size_t smb = 14 + 34 + 34;
  const std::size_t data_count_at = smb + 33 + 22;
  const std::uint16_t dc = static_cast<std::uint16_t>(msg[data_count_at] | (msg[data_count_at + 1] << 8)) + 14;
  msg[data_count_at] = static_cast<std::uint8_t>(dc);
  msg[data_count_at + 1] = static_cast<std::uint8_t>(dc >> 8);
  msg[11] = static_cast<std::uint8_t>(msg[11] + 14);
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("browser.comment"), "Radiology PACS");
  // Opcode 12 (DomainAnnouncement): the name field is the workgroup.
  test::RecordingSink s2;
  const std::size_t data_offset_at = smb + 33 + 24;
  const std::size_t data = smb + (msg[data_offset_at] | (msg[data_offset_at + 1] << 8));
  msg[data] = 12;
  EXPECT_EQ(parser->parse(meta, msg, s2), ParseStatus::ok);
  EXPECT_EQ(s2.value("browser.workgroup"), "NVR9");
  EXPECT_FALSE(s2.has("browser.hostname"));
  EXPECT_FALSE(s2.has("browser.comment"));
}

TEST_F(BrowserTest, TruncatedAndHostileOffsets) {
  const auto msg = from_hex(kHostAnnouncement);
  for (std::size_t cut = 0; cut < msg.size(); ++cut) {
    test::RecordingSink s;
    const Bytes part = Bytes(msg).first(cut);
    const ParseStatus st = parser->parse(meta, part, s);
    EXPECT_NE(st, ParseStatus::need_more) << cut;
    if (st == ParseStatus::ok) {
      EXPECT_FALSE(s.has("browser.hostname")) << cut;
    }
  }
  // DataOffset pointing far outside the datagram.
  auto evil = msg;
  const std::size_t data_offset_at = 14 + 34 + 34 + 33 + 24;
  evil[data_offset_at] = 0xff;
  evil[data_offset_at + 1] = 0xff;
  EXPECT_EQ(parser->parse(meta, evil, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "browser.data_overrun");
}

TEST_F(BrowserTest, ProbeRejectsOtherProtocols) {
  // NBNS (udp/137) shares the NetBIOS name encoding but not the datagram header.
  const auto nbns = from_hex(
      "9c292910000100000000000120454e464445464545454845464648454a454f44424441434143414341434141410000200001c00c00"
      "200001000493e0000600000a00020f");
  EXPECT_FALSE(parser->probe(meta, nbns));
  const std::string text = "<13>host app: hello";
  EXPECT_FALSE(parser->probe(meta, as_bytes(text)));
}

}  // namespace
}  // namespace ww
