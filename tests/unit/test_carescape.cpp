// GE CARESCAPE / Unity time synchronization broadcast (parsers/carescape.cpp). GE publishes no protocol
// description and no capture is public; the messages here follow the one public description of the layout,
// Vocera's CARESCAPE Adapter reference ("VCA", see the parser): 64 octets, octets 7-10 the sender's IPv4
// address, 25-37 "<unit>|<room>" NUL-padded, 61-64 seconds since 1900. The other octets are not described,
// so the tests fill them with bytes the parser must ignore.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

constexpr std::int64_t kCaptureSeconds = 1733389200;  // 2024-12-05 09:00:00 UTC
constexpr std::uint32_t kNtpToUnix = 2208988800U;     // RFC 5905 §6

const std::array<std::uint8_t, 4> kCentral = {198, 51, 100, 10};

Buf time_message(const std::array<std::uint8_t, 4>& sender, std::string_view location, std::int64_t announced) {
  Buf b(64, 0xA5);  // undescribed octets: anything
  for (std::size_t i = 0; i < 4; ++i) b[6 + i] = sender[i];
  for (std::size_t i = 0; i < 13; ++i) b[24 + i] = i < location.size() ? static_cast<std::uint8_t>(location[i]) : 0;
  const auto t = static_cast<std::uint32_t>(announced + kNtpToUnix);
  for (std::size_t i = 0; i < 4; ++i) b[60 + i] = static_cast<std::uint8_t>(t >> (24 - 8 * i));
  return b;
}

class CarescapeTest : public ::testing::Test {
 protected:
  CarescapeTest() {
    meta.has_ip = true;
    meta.src_ip = IpAddr::v4_from_bytes(kCentral.data());
    meta.dst_ip = IpAddr::v4(0xC63364FF);  // 198.51.100.255
    meta.src_port = 2000;
    meta.dst_port = 2000;
    meta.ts_us = kCaptureSeconds * 1'000'000;
  }
  ParseStatus feed(const Buf& msg) {
    if (!parser->probe(meta, msg)) return ParseStatus::not_mine;
    return parser->parse(meta, msg, sink);
  }
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "carescape");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(CarescapeTest, TimeMessageNamesTheMasterAndItsLocation) {
  ASSERT_NE(parser, nullptr);
  EXPECT_EQ(feed(time_message(kCentral, "ICU3|CNTRL", kCaptureSeconds + 2)), ParseStatus::ok);
  EXPECT_EQ(sink.value("carescape.role"), "time-master");
  EXPECT_EQ(sink.value("carescape.location"), "ICU3|CNTRL");
  EXPECT_EQ(sink.value("carescape.unit"), "ICU3");
  EXPECT_EQ(sink.value("carescape.room"), "CNTRL");
  EXPECT_EQ(sink.value("carescape.clock_skew"), "in-step");
  EXPECT_TRUE(sink.anomalies.empty());
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender") << f.key;
}

TEST_F(CarescapeTest, FullLengthLocationAndSkewedClock) {
  // The longest unit (7) the 13-octet block holds with a 5-character room, no NUL at all.
  EXPECT_EQ(feed(time_message(kCentral, "CARDIO7|ROOM5", kCaptureSeconds + 3600)), ParseStatus::ok);
  EXPECT_EQ(sink.value("carescape.unit"), "CARDIO7");
  EXPECT_EQ(sink.value("carescape.room"), "ROOM5");
  EXPECT_EQ(sink.value("carescape.clock_skew"), "ahead");
  sink = {};
  EXPECT_EQ(feed(time_message(kCentral, "NICU", kCaptureSeconds - 86400)), ParseStatus::ok);
  EXPECT_EQ(sink.value("carescape.unit"), "NICU");  // a unit without a room
  EXPECT_FALSE(sink.has("carescape.room"));
  EXPECT_EQ(sink.value("carescape.clock_skew"), "behind");
}

TEST_F(CarescapeTest, TheClockReadsRightAfterTheNtpEraRollover) {
  // 2040-01-01: past 2036-02-07, when seconds since 1900 wrap around 32 bits (RFC 4330 §3).
  constexpr std::int64_t k2040 = 2208988800;
  meta.ts_us = k2040 * 1'000'000;
  EXPECT_EQ(feed(time_message(kCentral, "ICU3|CNTRL", k2040 + 30)), ParseStatus::ok);
  EXPECT_EQ(sink.value("carescape.clock_skew"), "in-step");
}

TEST_F(CarescapeTest, EmptyLocationKeepsTheRole) {
  EXPECT_EQ(feed(time_message(kCentral, "", kCaptureSeconds)), ParseStatus::ok);
  EXPECT_EQ(sink.value("carescape.role"), "time-master");
  EXPECT_FALSE(sink.has("carescape.location"));
  EXPECT_FALSE(sink.has("carescape.unit"));
}

TEST_F(CarescapeTest, BadLocationIsAnAnomalyNotAFact) {
  EXPECT_EQ(feed(time_message(kCentral, "ICU\x1b[2J|X", kCaptureSeconds)), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies, std::vector<std::string>{"carescape.bad_location"});
  EXPECT_EQ(sink.value("carescape.role"), "time-master");
  EXPECT_FALSE(sink.has("carescape.location"));
  sink = {};
  // A unit longer than the VCA's 7 characters is not a CARESCAPE location.
  EXPECT_EQ(feed(time_message(kCentral, "EMERGENCY|A", kCaptureSeconds)), ParseStatus::malformed);
  EXPECT_FALSE(sink.has("carescape.unit"));
  sink = {};
  EXPECT_EQ(feed(time_message(kCentral, "A|B|C", kCaptureSeconds)), ParseStatus::malformed);
  EXPECT_FALSE(sink.has("carescape.location"));
}

TEST_F(CarescapeTest, RecognisedOnlyWhenTheAddressInsideIsTheSender) {
  // Octets 7-10 naming another host: not a CARESCAPE message from this sender.
  EXPECT_EQ(feed(time_message({198, 51, 100, 11}, "ICU3|CNTRL", kCaptureSeconds)), ParseStatus::not_mine);
  // The right address but not 64 octets.
  Buf shorter = time_message(kCentral, "ICU3|CNTRL", kCaptureSeconds);
  shorter.pop_back();
  EXPECT_EQ(feed(shorter), ParseStatus::not_mine);
  Buf longer = time_message(kCentral, "ICU3|CNTRL", kCaptureSeconds);
  longer.push_back(0);
  EXPECT_EQ(feed(longer), ParseStatus::not_mine);
  // Another port.
  meta.dst_port = 2001;
  EXPECT_EQ(feed(time_message(kCentral, "ICU3|CNTRL", kCaptureSeconds)), ParseStatus::not_mine);
  // No IPv4 sender (an IPv6 packet cannot carry its address in four octets).
  meta.dst_port = 2000;
  meta.src_ip = IpAddr{};
  EXPECT_EQ(feed(time_message({0, 0, 0, 0}, "ICU3|CNTRL", kCaptureSeconds)), ParseStatus::not_mine);
  EXPECT_TRUE(sink.facts.empty());
  // parse() checks again what probe() checks.
  EXPECT_EQ(parser->parse(meta, time_message(kCentral, "ICU3", kCaptureSeconds), sink), ParseStatus::not_mine);
}

}  // namespace
}  // namespace ww
