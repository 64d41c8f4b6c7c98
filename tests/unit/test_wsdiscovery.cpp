// WS-Discovery (parsers/wsdiscovery.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

const std::string kEnvelope =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
    "xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" "
    "xmlns:wsdp=\"http://schemas.xmlsoap.org/ws/2006/02/devprof\" "
    "xmlns:pub=\"http://schemas.microsoft.com/windows/pub/2005/07\"><soap:Header>"
    "<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>";

// The Hello of ndpi_gnutella.pcap (`tshark -Y "udp.port==3702" -T fields -e udp.payload`, hex-decoded).
const std::string kHello =
    kEnvelope +
    "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action>"
    "<wsa:MessageID>urn:uuid:fa17cd90-8f39-4f5b-9e28-bff08fb5cd0e</wsa:MessageID></soap:Header><soap:Body>"
    "<wsd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358</wsa:Address>"
    "</wsa:EndpointReference><wsd:Types>wsdp:Device pub:Computer</wsd:Types>"
    "<wsd:XAddrs>http://10.0.2.15:5357/747f3d96-68a7-43f1-8cbe-e8d6dadd0358/</wsd:XAddrs>"
    "<wsd:MetadataVersion>2</wsd:MetadataVersion></wsd:Hello></soap:Body></soap:Envelope>";

class WsdTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "wsd");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(WsdTest, HelloDescribesTheTargetService) {
  ASSERT_NE(parser, nullptr);
  ASSERT_TRUE(parser->probe(meta, as_bytes(kHello)));
  EXPECT_EQ(parser->parse(meta, as_bytes(kHello), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("wsd.message"), "Hello");
  EXPECT_EQ(sink.values("wsd.types"), (std::vector<std::string>{"wsdp:Device", "pub:Computer"}));
  EXPECT_EQ(sink.value("wsd.xaddrs"), "http://10.0.2.15:5357/747f3d96-68a7-43f1-8cbe-e8d6dadd0358/");
  EXPECT_EQ(sink.value("wsd.endpoint"), "urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358");
}

TEST_F(WsdTest, OnvifProbeMatchScopesAndComputerElement) {
  const std::string msg =
      kEnvelope +
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></soap:Header>"
      "<soap:Body><wsd:ProbeMatches><wsd:ProbeMatch><wsd:Types>dn:NetworkVideoTransmitter</wsd:Types>"
      "<wsd:Scopes>\n onvif://www.onvif.org/hardware/P3245 onvif://www.onvif.org/name/AXIS\tonvif://x/location/ICU"
      "</wsd:Scopes><wsd:XAddrs>http://10.9.9.9/onvif/device_service</wsd:XAddrs>"
      "<pub:Computer>CAM-07/Workgroup:WORKGROUP</pub:Computer><wsd:Types/>"
      "</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>";
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("wsd.message"), "ProbeMatches");
  EXPECT_EQ(sink.values("wsd.scopes"),
            (std::vector<std::string>{"onvif://www.onvif.org/hardware/P3245", "onvif://www.onvif.org/name/AXIS",
                                      "onvif://x/location/ICU"}));
  EXPECT_EQ(sink.values("wsd.types"), std::vector<std::string>{"dn:NetworkVideoTransmitter"});
  EXPECT_EQ(sink.value("wsd.computer"), "CAM-07/Workgroup:WORKGROUP");
}

TEST_F(WsdTest, ProbeAndResolveOnlySayWhatTheyAre) {
  // ndpi_upnp.pcap frame 2: a Resolve for a Brother printer's endpoint (urn:uuid:...-001ba99ec956).
  const std::string resolve =
      kEnvelope +
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve</wsa:Action></soap:Header><soap:Body>"
      "<wsd:Resolve><wsa:EndpointReference><wsa:Address>urn:uuid:e3248000-80ce-11db-8000-001ba99ec956"
      "</wsa:Address></wsa:EndpointReference></wsd:Resolve></soap:Body></soap:Envelope>";
  EXPECT_EQ(parser->parse(meta, as_bytes(resolve), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("wsd.message"), "Resolve");
  EXPECT_EQ(sink.facts.size(), 1u);  // the endpoint asked about is someone else's
  const std::string probe = kEnvelope +
                            "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
                            "</soap:Header><soap:Body><wsd:Probe><wsd:Types>wsdp:Device</wsd:Types></wsd:Probe>"
                            "</soap:Body></soap:Envelope>";
  test::RecordingSink s2;
  EXPECT_EQ(parser->parse(meta, as_bytes(probe), s2), ParseStatus::ok);
  EXPECT_FALSE(s2.has("wsd.types"));
}

TEST_F(WsdTest, TruncatedAndHostileXml) {
  for (std::size_t cut = 0; cut < kHello.size(); cut += 7) {
    test::RecordingSink s;
    const Bytes part = as_bytes(std::string_view(kHello).substr(0, cut));
    if (!parser->probe(meta, part)) continue;
    const ParseStatus st = parser->parse(meta, part, s);
    EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << cut;
  }
  // No Action: malformed.
  const std::string no_action = kEnvelope + "</soap:Header><soap:Body/></soap:Envelope>";
  EXPECT_EQ(parser->parse(meta, as_bytes(no_action), sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "wsd.no_action");
  // Thousands of unclosed tags and list items stay bounded.
  std::string flood = kEnvelope + "<wsa:Action>x/Hello</wsa:Action><wsd:Types>";
  for (int i = 0; i < 2000; ++i) flood += "t" + std::to_string(i) + " ";
  flood += "</wsd:Types>";
  for (int i = 0; i < 2000; ++i) flood += "<wsd:Scopes>s</wsd:Scopes><";
  test::RecordingSink s3;
  EXPECT_EQ(parser->parse(meta, as_bytes(flood), s3), ParseStatus::ok);
  EXPECT_LE(s3.values("wsd.types").size(), 16u);
  EXPECT_LE(s3.values("wsd.scopes").size(), 8u * 16u);
}

TEST_F(WsdTest, ProbeRejectsOtherXmlAndText) {
  const std::string soap =
      "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">"
      "<soap:Body/></soap:Envelope>";
  EXPECT_FALSE(parser->probe(meta, as_bytes(soap)));
  const std::string ssdp = "NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n";
  EXPECT_FALSE(parser->probe(meta, as_bytes(ssdp)));
}

using test::values_at;

TEST(WsdCapture, SharedNdpiUpnpResolveClient) {
  const auto path = test::shared_pcap("ndpi_upnp.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  // tshark shows this capture as 'data' (no WS-Discovery dissector in 4.0): 14 Resolve messages.
  EXPECT_EQ(values_at(inv, "192.168.61.66", "wsd.message"), std::vector<std::string>{"Resolve"});
  EXPECT_TRUE(values_at(inv, "192.168.61.66", "wsd.endpoint").empty());
}


}  // namespace
}  // namespace ww
