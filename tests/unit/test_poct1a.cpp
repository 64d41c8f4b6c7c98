// POCT1-A (CLSI POCT1-A2) device and observation-manager conversations (parsers/poct1a.cpp). The messages
// follow the element names of vendors' public POCT1-A interface descriptions (HEL.R01 with HDR and DEV,
// values in the attribute V); identities are invented, and patient and operator data are planted in the
// observation and operator-list messages to prove they never reach a fact.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/stream_feeder.hpp"

namespace ww {
namespace {

using test::contains_ci;

constexpr std::string_view kHello =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<HEL.R01>"
    "<HDR><HDR.control_id V=\"1001\"/><HDR.version_id V=\"POCT1\"/>"
    "<HDR.creation_dttm V=\"2024-12-05T09:00:00+01:00\"/></HDR>"
    "<DEV><DEV.device_id V=\"02:99:05:00:00:10\"/><DEV.vendor_id V=\"ABBOTT\"/>"
    "<DEV.model_id V=\"i-STAT 1\"/><DEV.serial_id V=\"371234\"/>"
    "<DEV.manufacturer_name V=\"Abbott Point of Care &amp; Co\"/><DEV.hw_version V=\"3\"/>"
    "<DEV.sw_version V='JAMS 141a'/><DEV.device_name V=\"ED iSTAT 3\"/>"
    "<DCP><DCP.application_timeout V=\"30\"/></DCP>"
    "<DSC><DSC.connection_profile_cd V=\"SA\"/><DSC.topics_supported_cd V=\"OBS\"/></DSC></DEV>"
    "</HEL.R01>";

constexpr std::string_view kAck =
    "<ACK.R01><HDR><HDR.control_id V=\"5001\"/><HDR.version_id V=\"POCT1\"/></HDR>"
    "<ACK><ACK.type_cd V=\"AA\"/><ACK.ack_control_id V=\"1001\"/></ACK></ACK.R01>";

// Patient, operator and result values: planted, never to be read.
constexpr std::string_view kObservation =
    "<OBS.R01><HDR><HDR.control_id V=\"1002\"/><HDR.version_id V=\"POCT1\"/></HDR>"
    "<SVC><SVC.role_cd V=\"OBS\"/>"
    "<PT><PT.patient_id V=\"PLANTEDMRN0042\"/><PT.name V=\"ZZPOCTPATIENT^Anna\"/>"
    "<OBS><OBS.observation_id V=\"pH\"/><OBS.value V=\"7.12\"/></OBS></PT>"
    "<OPR><OPR.operator_id V=\"PLANTEDOPERATOR7\"/></OPR></SVC></OBS.R01>";

constexpr std::string_view kOperatorList =
    "<OPL.R01><HDR><HDR.control_id V=\"5002\"/></HDR>"
    "<OPR><OPR.operator_id V=\"PLANTEDOPERATOR7\"/><OPR.name V=\"ZZNURSENAME\"/></OPR></OPL.R01>";

constexpr std::string_view kPhi[] = {"PLANTEDMRN0042",   "ZZPOCTPATIENT", "Anna",
                                     "PLANTEDOPERATOR7", "ZZNURSENAME",   "7.12"};

class Poct1aTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parser = test::find_stream(registry, "poct1");
    ASSERT_NE(parser, nullptr);
    f.session = parser->open(StreamMeta{});
  }
  void expect_no_phi() const {
    for (const auto& fact : f.sink.facts) {
      for (auto s : kPhi) EXPECT_FALSE(contains_ci(fact.value, s)) << fact.key << "=" << fact.value;
    }
  }
  void conversation(test::StreamFeeder& g) const {
    g.feed(StreamDir::to_server, kHello);
    g.feed(StreamDir::to_client, kAck);
    g.feed(StreamDir::to_server, std::string(kObservation) + "\r\n<EOT.R01><HDR/></EOT.R01>");
    g.feed(StreamDir::to_client, std::string(kOperatorList) + "<END.R01/>");
  }
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = nullptr;
  test::StreamFeeder f;
};

TEST_F(Poct1aTest, HelloNamesTheDeviceAndItsManager) {
  ASSERT_TRUE(parser->probe(StreamDir::to_server, as_bytes(kHello)));
  conversation(f);
  EXPECT_TRUE(f.has("client", "poct1.role", "device"));
  EXPECT_TRUE(f.has("server", "poct1.role", "observation-manager"));
  EXPECT_TRUE(f.has("client", "poct1.version", "POCT1"));
  EXPECT_TRUE(f.has("client", "poct1.device_id", "02:99:05:00:00:10"));
  EXPECT_TRUE(f.has("client", "poct1.vendor", "ABBOTT"));
  EXPECT_TRUE(f.has("client", "poct1.model", "i-STAT 1"));
  EXPECT_TRUE(f.has("client", "poct1.serial_number", "371234"));
  EXPECT_TRUE(f.has("client", "poct1.manufacturer", "Abbott Point of Care & Co"));  // &amp; decoded
  EXPECT_TRUE(f.has("client", "poct1.hardware_version", "3"));
  EXPECT_TRUE(f.has("client", "poct1.software_version", "JAMS 141a"));  // single-quoted value
  EXPECT_TRUE(f.has("client", "poct1.device_name", "ED iSTAT 3"));
  for (const char* m : {"HEL.R01", "OBS.R01", "EOT.R01"}) EXPECT_TRUE(f.has("client", "poct1.message", m)) << m;
  for (const char* m : {"ACK.R01", "OPL.R01", "END.R01"}) EXPECT_TRUE(f.has("server", "poct1.message", m)) << m;
  // ACK.R01 is sent by both sides: it makes no role; the device side never looks like a manager.
  EXPECT_TRUE(f.values("client", "poct1.role") == std::vector<std::string>{"device"});
  EXPECT_TRUE(f.sink.anomalies.empty());
  expect_no_phi();
}

// Every split of the same bytes gives the same facts; a hello split anywhere is read whole.
TEST_F(Poct1aTest, ByteByByteDeliveryGivesTheSameFacts) {
  conversation(f);
  test::StreamFeeder g;
  g.session = parser->open(StreamMeta{});
  g.feed_bytewise(StreamDir::to_server, as_bytes(kHello));
  g.feed_bytewise(StreamDir::to_client, as_bytes(kAck));
  g.feed_bytewise(StreamDir::to_server, as_bytes(std::string(kObservation) + "\r\n<EOT.R01><HDR/></EOT.R01>"));
  g.feed_bytewise(StreamDir::to_client, as_bytes(std::string(kOperatorList) + "<END.R01/>"));
  auto lines = [](const test::StreamFeeder& x) {
    std::vector<std::string> out;
    for (const auto& r : x.sink.facts) out.push_back(r.about + " " + r.key + "=" + r.value);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(lines(f), lines(g));
  EXPECT_GE(lines(f).size(), 16u);
  EXPECT_TRUE(g.sink.anomalies.empty());
  // Only the hello is ever buffered whole; the observation is passed over as it comes.
  EXPECT_LT(g.max_buffered, kHello.size() + 16);
}

TEST_F(Poct1aTest, ObservationsAreNeverBuffered) {
  // A large observation message delivered in 1 KiB pieces: the buffer never holds much more than a piece.
  std::string big = "<OBS.R01>";
  while (big.size() < 200 * 1024) big += "<PT><PT.name V=\"ZZPOCTPATIENT^Anna\"/></PT>";
  big += "</OBS.R01>";
  f.feed_split(*f.session, StreamDir::to_server, big, 1024, f.sink);
  EXPECT_LT(f.max_buffered, 1024u + 16u);
  EXPECT_TRUE(f.sink.anomalies.empty());
  f.feed(StreamDir::to_server, kHello);  // the stream goes on after it
  EXPECT_TRUE(f.has("client", "poct1.model", "i-STAT 1"));
  expect_no_phi();
}

TEST_F(Poct1aTest, OversizedHelloIsPassedOverUnread) {
  std::string hello = "<HEL.R01><DEV><DEV.model_id V=\"BIGMODEL\"/>";
  while (hello.size() < 20 * 1024) hello += "<DCP.vendor_specific V=\"x\"/>";
  hello += "</DEV></HEL.R01>";
  f.feed(StreamDir::to_server, hello);
  EXPECT_TRUE(f.anomaly("poct1.hello_too_long"));
  EXPECT_TRUE(f.values("client", "poct1.model").empty());
  EXPECT_TRUE(f.has("client", "poct1.message", "HEL.R01"));
  EXPECT_LE(f.max_buffered, 20u * 1024u + 64u);
  f.feed(StreamDir::to_server, kAck);  // back in step after its closing tag
  EXPECT_TRUE(f.has("client", "poct1.message", "ACK.R01"));
}

TEST_F(Poct1aTest, StrayBytesAreSkippedOnce) {
  f.feed(StreamDir::to_server, "garbage < not a tag <ABC.X01>\x01\x02");
  f.feed(StreamDir::to_server, kHello);
  EXPECT_EQ(std::count(f.sink.anomalies.begin(), f.sink.anomalies.end(), "poct1.resync"), 1);
  EXPECT_TRUE(f.has("client", "poct1.serial_number", "371234"));
}

// Hostile or unlucky framing never makes the parser skip the messages that follow.
TEST_F(Poct1aTest, SplitEmptyRootAndCommentsKeepTheStreamInStep) {
  // A self-closing root whose "/>" arrives in the next segment, then a hello, one byte at a time.
  f.feed_bytewise(StreamDir::to_server, as_bytes(std::string("<END.R01/>") + std::string(kHello)));
  EXPECT_TRUE(f.has("client", "poct1.model", "i-STAT 1"));
  // A comment with a '>' and a message name inside ends at "-->".
  test::StreamFeeder g;
  g.session = parser->open(StreamMeta{});
  g.feed(StreamDir::to_server, std::string("<!-- a > <OBS.R01> -->") + std::string(kHello));
  EXPECT_TRUE(g.has("client", "poct1.model", "i-STAT 1"));
  EXPECT_TRUE(g.values("client", "poct1.message") == std::vector<std::string>{"HEL.R01"});
  EXPECT_TRUE(g.sink.anomalies.empty());
}

TEST_F(Poct1aTest, AClosingTagWithoutItsBracketIsNotAClose) {
  // "</OBS.R01" followed by anything but blanks and '>' is not its end; the buffer stays small.
  std::string obs = "<OBS.R01><PT.name V=\"ZZPOCTPATIENT\"/></OBS.R01";
  for (int i = 0; i < 2000; ++i) obs += " junk";
  obs += "</OBS.R01 >";
  f.feed_bytewise(StreamDir::to_server, as_bytes(obs + std::string(kHello)));
  EXPECT_LT(f.max_buffered, 64u + kHello.size());
  EXPECT_TRUE(f.has("client", "poct1.serial_number", "371234"));
  expect_no_phi();
}

TEST_F(Poct1aTest, AnUnclosedMessageEndsAtTheNextMessage) {
  // A hello that never closes, an observation, then a complete hello: the first hello is read only up to the
  // observation's start tag, and the observation's own elements never count as the hello's.
  f.feed(StreamDir::to_server,
         "<HEL.R01><DEV><DEV.model_id V=\"FIRST\"/></DEV>"
         "<OBS.R01><DEV.serial_id V=\"NOT-THE-HELLO\"/><PT.name V=\"ZZPOCTPATIENT\"/></OBS.R01>");
  f.feed(StreamDir::to_server, kHello);
  EXPECT_TRUE(f.anomaly("poct1.unterminated_message"));
  EXPECT_TRUE(f.has("client", "poct1.model", "FIRST"));
  EXPECT_TRUE(f.has("client", "poct1.model", "i-STAT 1"));
  EXPECT_FALSE(f.has("client", "poct1.serial_number", "NOT-THE-HELLO"));
  EXPECT_TRUE(f.has("client", "poct1.message", "OBS.R01"));
  expect_no_phi();
}

TEST_F(Poct1aTest, ControlCharactersInValuesAreEscaped) {
  f.feed(StreamDir::to_server, "<HEL.R01><DEV><DEV.model_id V=\"evil\x1b[31mred\"/></DEV></HEL.R01>");
  const auto v = f.values("client", "poct1.model");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].find('\x1b'), std::string::npos);
}

TEST_F(Poct1aTest, ProbeWantsAPoctRootElement) {
  EXPECT_TRUE(parser->probe(StreamDir::to_server, as_bytes(std::string_view("<HEL.R01><HDR>"))));
  EXPECT_TRUE(parser->probe(StreamDir::to_client, as_bytes(std::string_view("\r\n<!-- c --><ACK.R01 >"))));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(std::string_view("<?xml version=\"1.0\"?><html>"))));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(std::string_view("<HEL.R1><HDR>"))));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(std::string_view("<hel.r01>"))));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(std::string_view("GET / HTTP/1.1\r\n"))));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(std::string_view("<HEL.R01"))));  // too short to tell
}

}  // namespace
}  // namespace ww
