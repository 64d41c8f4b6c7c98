#include <gtest/gtest.h>

#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

// A BOOTP/DHCP message: fixed header (RFC 2131 §2) + magic cookie + options.
std::vector<std::uint8_t> dhcp_message(std::uint8_t op, const std::vector<std::uint8_t>& options,
                                       std::array<std::uint8_t, 4> yiaddr = {}) {
  std::vector<std::uint8_t> m(236, 0);
  m[0] = op;
  m[1] = 1;  // Ethernet
  m[2] = 6;
  for (int i = 0; i < 4; ++i) m[16 + i] = yiaddr[static_cast<std::size_t>(i)];
  const std::uint8_t chaddr[6] = {0x58, 0x46, 0xe1, 0x00, 0x00, 0x07};
  std::copy(chaddr, chaddr + 6, m.begin() + 28);
  m.reserve(240 + options.size());
  for (std::uint8_t b : {0x63, 0x82, 0x53, 0x63}) m.push_back(b);  // magic cookie
  for (std::uint8_t b : options) m.push_back(b);
  return m;
}

class DhcpTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "dhcp");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(DhcpTest, ClientFactsAreKeyedOnChaddrAndKeepOption55Order) {
  ASSERT_NE(parser, nullptr);
  const auto msg = dhcp_message(1, {53, 1, 1, 12, 4, 'p', 'u', 'm', 'p', 55, 4, 1, 121, 3, 6, 60, 3, 'B', 'B', 'X', 255});
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("dhcp.hostname"), "pump");
  EXPECT_EQ(sink.value("dhcp.parameter_request_list"), "1,121,3,6");
  EXPECT_EQ(sink.value("dhcp.vendor_class"), "BBX");
  EXPECT_EQ(sink.value("dhcp.message_type"), "DISCOVER");
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "mac:58:46:e1:00:00:07") << f.key;
}

TEST_F(DhcpTest, AckBindsOfferedAddressToClient) {
  const auto msg = dhcp_message(2, {53, 1, 5, 54, 4, 10, 77, 0, 2, 51, 4, 0, 0, 0x0e, 0x10, 255}, {10, 77, 0, 143});
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  ASSERT_EQ(sink.bindings.size(), 1u);
  EXPECT_EQ(sink.bindings[0].first, "58:46:e1:00:00:07");
  EXPECT_EQ(sink.bindings[0].second, "10.77.0.143");
  EXPECT_EQ(sink.value("dhcp.server_id"), "10.77.0.2");
  EXPECT_EQ(sink.value("dhcp.lease_time"), "3600");
}

TEST_F(DhcpTest, OptionRunningPastTheEndIsAnAnomalyNotACrash) {
  const auto msg = dhcp_message(1, {53, 1, 3, 12, 200, 'x', 'y'});
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::malformed);
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "dhcp.option_overrun");
  EXPECT_FALSE(sink.has("dhcp.hostname"));
}

TEST_F(DhcpTest, ProbeRejectsTruncatedAndForeignPayloads) {
  auto msg = dhcp_message(1, {255});
  EXPECT_FALSE(parser->probe(meta, Bytes(msg).first(100)));
  msg[236] = 0;  // broken magic cookie
  EXPECT_FALSE(parser->probe(meta, msg));
  const std::vector<std::uint8_t> dns(40, 0);
  EXPECT_FALSE(parser->probe(meta, dns));
}

}  // namespace
}  // namespace ww
