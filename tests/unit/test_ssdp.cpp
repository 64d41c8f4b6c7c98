// SSDP (parsers/ssdp.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

class SsdpTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "ssdp");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(SsdpTest, NotifyDescribesTheDevice) {
  ASSERT_NE(parser, nullptr);
  const std::string msg =
      "NOTIFY * HTTP/1.1\r\n"
      "HOST: 239.255.255.250:1900\r\n"
      "CACHE-CONTROL: max-age=1800\r\n"
      "location: http://10.1.2.3:49152/rootDesc.xml\r\n"
      "Nt: urn:schemas-upnp-org:device:MediaServer:1\r\n"
      "NTS: ssdp:alive\r\n"
      "SERVER: Linux/3.10 UPnP/1.0 GE-Vivid/2.1\r\n"
      "USN: uuid:4d696e69-444c-164e-9d41-b827eb000001::urn:schemas-upnp-org:device:MediaServer:1\r\n"
      "\r\n";
  ASSERT_TRUE(parser->probe(meta, as_bytes(msg)));
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("ssdp.location"), "http://10.1.2.3:49152/rootDesc.xml");
  EXPECT_EQ(sink.value("ssdp.nt"), "urn:schemas-upnp-org:device:MediaServer:1");
  EXPECT_EQ(sink.value("ssdp.server"), "Linux/3.10 UPnP/1.0 GE-Vivid/2.1");
  EXPECT_EQ(sink.value("ssdp.usn"),
            "uuid:4d696e69-444c-164e-9d41-b827eb000001::urn:schemas-upnp-org:device:MediaServer:1");
  EXPECT_FALSE(sink.has("ssdp.st"));
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender");
}

TEST_F(SsdpTest, SearchResponseWithBareLineFeeds) {
  const std::string msg =
      "HTTP/1.1 200 OK\n"
      "CACHE-CONTROL: max-age=120\n"
      "ST: upnp:rootdevice\n"
      "USN: uuid:abc::upnp:rootdevice\n"
      "EXT:\n"
      "SERVER: Printer/1.0 UPnP/1.0\n"
      "LOCATION: http://10.0.0.9/desc.xml\n"
      "\n";
  ASSERT_TRUE(parser->probe(meta, as_bytes(msg)));
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("ssdp.st"), "upnp:rootdevice");
  EXPECT_EQ(sink.value("ssdp.usn"), "uuid:abc::upnp:rootdevice");
  EXPECT_EQ(sink.value("ssdp.server"), "Printer/1.0 UPnP/1.0");
  EXPECT_EQ(sink.value("ssdp.location"), "http://10.0.0.9/desc.xml");
}

TEST_F(SsdpTest, MSearchNamesTheControlPointOnly) {
  // `tshark -r ndpi_ssdp-m-search-ua.pcap -T fields -e udp.payload` (first frame, hex-decoded).
  const std::string msg =
      "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
      "ST: urn:dial-multiscreen-org:service:dial:1\r\nUSER-AGENT: Google Chrome/99.0.4844.74 Mac OS X\r\n\r\n";
  ASSERT_TRUE(parser->probe(meta, as_bytes(msg)));
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("ssdp.user_agent"), "Google Chrome/99.0.4844.74 Mac OS X");
  EXPECT_EQ(sink.value("ssdp.search_target"), "urn:dial-multiscreen-org:service:dial:1");
  EXPECT_FALSE(sink.has("ssdp.st"));  // what it looks for is not what it is
}

TEST_F(SsdpTest, HostileAndTruncatedInput) {
  const std::string msg = "NOTIFY * HTTP/1.1\r\nSERVER: x\r\nUSN: uuid:1\r\n\r\n";
  for (std::size_t cut = 0; cut < msg.size(); ++cut) {
    test::RecordingSink s;
    const Bytes part = as_bytes(std::string_view(msg).substr(0, cut));
    if (parser->probe(meta, part)) {
      const ParseStatus st = parser->parse(meta, part, s);
      EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << cut;
    }
  }
  // Control bytes in a header value come out escaped.
  const std::string evil = std::string("NOTIFY * HTTP/1.1\r\nSERVER: a\x01\x1b[31mb\r\n\r\n");
  EXPECT_EQ(parser->parse(meta, as_bytes(evil), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("ssdp.server").find('\x1b'), std::string::npos);
  // A start line and nothing else is malformed.
  const std::string bare = "NOTIFY * HTTP/1.1\r\n\r\n";
  EXPECT_EQ(parser->parse(meta, as_bytes(bare), sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "ssdp.no_headers");
}

TEST_F(SsdpTest, ProbeRejectsPlainHttpAndBinary) {
  const std::string http = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n";
  EXPECT_FALSE(parser->probe(meta, as_bytes(http)));
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_FALSE(parser->probe(meta, as_bytes(get)));
  const std::vector<std::uint8_t> dns = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(parser->probe(meta, dns));
}

using test::values_at;

TEST(SsdpCapture, SharedMSearchUserAgentMatchesTshark) {
  const auto path = test::shared_pcap("ndpi_ssdp-m-search-ua.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  // `tshark -r ndpi_ssdp-m-search-ua.pcap -T fields -e ip.src -e http.user_agent`
  EXPECT_EQ(values_at(inv, "192.168.242.50", "ssdp.user_agent"),
            std::vector<std::string>{"Google Chrome/99.0.4844.74 Mac OS X"});
}


}  // namespace
}  // namespace ww
