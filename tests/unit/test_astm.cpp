// ASTM E1381/E1394 (CLSI LIS1-A/LIS2-A2). Frames are built here as E1381 defines them: <STX> FN text
// <ETB|ETX> C1 C2 <CR><LF>, the checksum being the byte sum mod 256 of FN through ETB/ETX in upper-case hex
// (the same computation as kxepal/python-astm astm/codec.py). Header lines are the instruments' own test
// messages in senaite/senaite.astm (src/senaite/astm/tests/data/), with planted patient data and passwords.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/stream_feeder.hpp"

namespace ww {
namespace {

using test::contains_ci;

constexpr char kStx = 0x02, kEtx = 0x03, kEot = 0x04, kEnq = 0x05, kEtb = 0x17;

// One E1381 frame: FN, the text, ETX (last frame of a message part) or ETB (intermediate), checksum, CR LF.
std::string frame(int number, std::string_view text, bool last = true) {
  std::string body = std::to_string(number % 8) + std::string(text) + (last ? kEtx : kEtb);
  unsigned sum = 0;
  for (unsigned char c : body) sum += c;
  char check[3];
  std::snprintf(check, sizeof check, "%02X", sum & 0xFFu);
  return std::string(1, kStx) + body + check + "\r\n";
}

// A whole E1381 transmission: ENQ, one frame per record (each ending in CR), EOT.
std::string transmission(const std::vector<std::string>& records) {
  std::string out(1, kEnq);
  int n = 1;
  for (const auto& r : records) out += frame(n++, r + "\r");
  return out + kEot;
}

const std::string kSysmexHeader = "H|\\^&||wwAstmS3cretPw|XN-550^00-24^22723^^^^BD634545|12 Lab Road||+32-555-0100|||||E1394-97";
const std::vector<std::string> kSysmexResult = {
    kSysmexHeader,
    "P|1|||PLANTED-PID-4711|^ZZPLANTED^ASTMPATIENT||19010203|F",
    "O|1||^^PLANTED-SPEC-77^B|^^^^WBC\\^^^^RBC|||||||N||||||||||||||F",
    "R|1|^^^^WBC^1|6.77|10*3/uL||N||||PLANTED-OPERATOR||20240315103000",
    "C|1||ZZPLANTED comment text|G",
    "L|1|N",
};
const std::vector<std::string_view> kPhi = {"ZZPLANTED", "PLANTED", "ASTMPATIENT", "19010203", "6.77",
                                            "wwAstmS3cretPw", "Lab Road", "555-0100"};

class AstmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parser = test::find_stream(registry, "astm");
    ASSERT_NE(parser, nullptr);
    StreamMeta meta;
    meta.client_port = 40112;
    meta.server_port = 5000;
    f.session = parser->open(meta);
  }
  void expect_no_phi() {
    for (const auto& fact : f.sink.facts) {
      for (auto s : kPhi) EXPECT_FALSE(contains_ci(fact.value, s)) << fact.key << "=" << fact.value;
    }
  }
  [[nodiscard]] bool has_anomaly(std::string_view name) const { return f.anomaly(name); }
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = nullptr;
  test::StreamFeeder f;
};

TEST_F(AstmTest, FramedSysmexResultMessage) {
  const std::string wire = transmission(kSysmexResult);
  ASSERT_TRUE(parser->probe(StreamDir::to_server, as_bytes(wire)));
  f.feed(StreamDir::to_server, wire);
  f.feed(StreamDir::to_client, "\x06\x06\x06\x06\x06\x06\x06");  // the LIS's ACKs
  EXPECT_TRUE(f.has("client", "astm.sender", "XN-550^00-24^22723^^^^BD634545"));
  EXPECT_TRUE(f.has("client", "astm.sender_name", "XN-550"));
  EXPECT_TRUE(f.has("client", "astm.name", "XN-550"));
  EXPECT_TRUE(f.has("client", "astm.layout", "sysmex-xn"));
  EXPECT_TRUE(f.has("client", "astm.software_version", "00-24"));
  EXPECT_TRUE(f.has("client", "astm.serial_number", "22723"));
  EXPECT_TRUE(f.has("client", "astm.version", "E1394-97"));
  EXPECT_TRUE(f.has("client", "astm.framing", "e1381"));
  for (const char* t : {"H", "P", "O", "R", "C", "L"}) {
    EXPECT_TRUE(f.has("client", "astm.record_type", t)) << t;
    EXPECT_TRUE(f.has("server", "astm.received_record_type", t)) << t;
  }
  EXPECT_TRUE(f.values("client", "astm.receiver_id").empty());  // H-10 is empty
  EXPECT_TRUE(f.values("client", "astm.manufacturer").empty());
  EXPECT_TRUE(f.sink.anomalies.empty());
  expect_no_phi();
}

// Every split of the same bytes gives the same facts (state carried across deliveries, no buffering).
TEST_F(AstmTest, ByteByByteDeliveryGivesTheSameFacts) {
  const std::string wire = transmission(kSysmexResult);
  f.feed(StreamDir::to_server, wire);
  test::StreamFeeder g;
  StreamMeta meta;
  meta.server_port = 5000;
  g.session = parser->open(meta);
  for (char c : wire) g.feed(StreamDir::to_server, std::string_view(&c, 1));
  auto lines = [](const test::StreamFeeder& x) {
    std::vector<std::string> out;
    for (const auto& r : x.sink.facts) out.push_back(r.about + " " + r.key + "=" + r.value);
    return out;
  };
  EXPECT_EQ(lines(f), lines(g));
  EXPECT_GE(lines(f).size(), 15u);
  EXPECT_TRUE(g.sink.anomalies.empty());
}

TEST_F(AstmTest, RawRocheHeaderWithManufacturerAndReceiver) {
  // cobas c111 (senaite.astm tests/data/cobas_c111.txt), sent without E1381 frames, CR LF record ends.
  const std::string wire =
      "H|\\^&|||c111SENAITE^Roche^c111^4.2.2.1730^1^13147|||||host|RSUPL^REAL|P|1|20230720152638\r\n"
      "P|1||PLANTED-PID-4711||ZZPLANTED^ASTMPATIENT\r\nL|1|N\r\n";
  ASSERT_TRUE(parser->probe(StreamDir::to_client, as_bytes(wire)));
  f.feed(StreamDir::to_client, wire);
  EXPECT_TRUE(f.has("server", "astm.framing", "raw"));
  EXPECT_TRUE(f.has("server", "astm.layout", "roche"));
  EXPECT_TRUE(f.has("server", "astm.sender_name", "c111SENAITE"));
  EXPECT_TRUE(f.has("server", "astm.manufacturer", "Roche"));
  EXPECT_TRUE(f.has("server", "astm.instrument_type", "c111"));
  EXPECT_TRUE(f.has("server", "astm.software_version", "4.2.2.1730"));
  EXPECT_TRUE(f.has("server", "astm.serial_number", "13147"));
  EXPECT_TRUE(f.has("server", "astm.receiver_id", "host"));
  EXPECT_TRUE(f.has("client", "astm.name", "host"));  // H-10 names the other end
  EXPECT_TRUE(f.has("server", "astm.processing_id", "P"));
  EXPECT_TRUE(f.has("server", "astm.version", "1"));
  EXPECT_TRUE(f.has("server", "astm.link", "c111SENAITE -> host port 5000"));
  EXPECT_TRUE(f.sink.anomalies.empty());
  expect_no_phi();
}

TEST_F(AstmTest, OtherDelimitersAndAnIdComponentBeforeTheName) {
  // GeneXpert (senaite.astm genexpert.py): delimiters "|@^\", the first sender component a site-given id.
  f.feed(StreamDir::to_server, transmission({"H|@^\\|URM-8lT4abZA-06||GeneXpert PC^Xpert^6.1|||||LIS||P|1394-97|20190521100245", "L|1|N"}));
  EXPECT_TRUE(f.has("client", "astm.layout", "genexpert"));
  EXPECT_TRUE(f.has("client", "astm.sender_name", "Xpert"));
  EXPECT_TRUE(f.has("client", "astm.software_version", "6.1"));
  EXPECT_TRUE(f.has("client", "astm.receiver_id", "LIS"));
  EXPECT_TRUE(f.has("client", "astm.version", "1394-97"));
  EXPECT_FALSE(f.has("client", "astm.sender_name", "GeneXpert PC"));
}

TEST_F(AstmTest, UnknownLayoutKeepsTheFirstComponentAsName) {
  f.feed(StreamDir::to_server, transmission({"H|\\^&|||LABMATIC 9000^7.2^SN-1|||||LIS01||P|LIS2-A2", "L|1"}));
  EXPECT_TRUE(f.has("client", "astm.sender_name", "LABMATIC 9000"));
  EXPECT_TRUE(f.has("client", "astm.sender", "LABMATIC 9000^7.2^SN-1"));
  EXPECT_TRUE(f.values("client", "astm.layout").empty());
  EXPECT_TRUE(f.values("client", "astm.serial_number").empty());  // no layout, no guess
}

TEST_F(AstmTest, HeaderSplitOverAnIntermediateFrame) {
  const std::string h = kSysmexHeader + "\r";
  const std::string wire = std::string(1, kEnq) + frame(1, h.substr(0, 20), false) + frame(2, h.substr(20)) +
                           frame(3, "L|1|N\r") + kEot;
  f.feed(StreamDir::to_server, wire);
  EXPECT_TRUE(f.has("client", "astm.serial_number", "22723"));
  EXPECT_TRUE(f.sink.anomalies.empty());
}

TEST_F(AstmTest, BadChecksumDropsTheHeader) {
  std::string bad = frame(1, kSysmexHeader + "\r");
  bad[bad.size() - 3] = bad[bad.size() - 3] == '0' ? '1' : '0';  // C2
  f.feed(StreamDir::to_server, std::string(1, kEnq) + bad + kEot);
  EXPECT_TRUE(has_anomaly("astm.bad_checksum"));
  EXPECT_TRUE(f.values("client", "astm.sender").empty());
  // The sender repeats the frame after the NAK: then it counts.
  f.feed(StreamDir::to_server, std::string(1, kEnq) + frame(1, kSysmexHeader + "\r") + kEot);
  EXPECT_TRUE(f.has("client", "astm.sender_name", "XN-550"));
}

TEST_F(AstmTest, BrokenFramesAreNamedAndSkipped) {
  f.feed(StreamDir::to_server, std::string("\x05\x02" "9H|\\^&|||X") + "\x02" + "1H|\\^&|||AB" + "\x02" +
                                   frame(1, "H|\\^&|||OK-1|||||LIS\r").substr(1));
  EXPECT_TRUE(has_anomaly("astm.bad_frame_number"));
  EXPECT_TRUE(has_anomaly("astm.unterminated_frame"));
  EXPECT_TRUE(f.has("client", "astm.sender_name", "OK-1"));
  EXPECT_FALSE(f.has("client", "astm.sender_name", "AB"));
}

TEST_F(AstmTest, LimitsOnFramesAndHeaders) {
  f.feed(StreamDir::to_server, std::string(1, kStx) + "1" + std::string(70 * 1024, 'x'));
  EXPECT_TRUE(has_anomaly("astm.frame_too_long"));
  EXPECT_FALSE(has_anomaly("astm.resync"));
  f.feed(StreamDir::to_server, "more of it");  // what follows a given-up frame is skipped, once named
  EXPECT_TRUE(has_anomaly("astm.resync"));
  f.feed(StreamDir::to_server, frame(1, "H|\\^&|||AFTER-1\r"));
  EXPECT_TRUE(f.has("client", "astm.sender_name", "AFTER-1"));
  test::StreamFeeder g;
  g.session = parser->open(StreamMeta{});
  g.feed(StreamDir::to_server, "H|\\^&|||" + std::string(5000, 'y') + "\rL|1\r");
  EXPECT_TRUE(g.values("client", "astm.sender").empty());
  EXPECT_TRUE(g.anomaly("astm.header_too_long"));
  EXPECT_TRUE(g.buf[0].empty());  // nothing of a record is left for the follower to buffer
}

TEST_F(AstmTest, ProbeWantsAFrameOrAHeader) {
  auto probe = [&](std::string_view b) { return parser->probe(StreamDir::to_server, as_bytes(b)); };
  EXPECT_TRUE(probe(transmission({kSysmexHeader})));
  EXPECT_TRUE(probe("\x06\x02" "3R|1|^^^^WBC|6.1\r\x03" "00\r\n"));  // joined mid-message
  EXPECT_TRUE(probe("H|\\^&|||cobas^1\r"));
  EXPECT_FALSE(probe("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(probe(std::string("\x05\x01\x00", 3)));  // SOCKS5 greeting
  EXPECT_FALSE(probe("H|^^^|x\r"));                      // delimiters not distinct
  EXPECT_FALSE(probe("\x02" "8H|\\^&|\r"));             // frame numbers are 0..7
  EXPECT_FALSE(probe("MSH|^~\\&|EPIC|GENHOSP\r"));
}

}  // namespace
}  // namespace ww
