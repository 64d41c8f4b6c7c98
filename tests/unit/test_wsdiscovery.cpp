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

// An SDC provider's Hello (IEEE 11073-20702 MDPWS, -20701 §9.3-9.4 scopes), WS-DD 1.1 namespaces, with a
// patient, operator, workflow and ensemble context besides the location, as SDC stacks announce them.
std::string sdc_hello(const std::string& scopes) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><s12:Envelope xmlns:s12=\"http://www.w3.org/2003/05/soap-envelope\" "
         "xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" "
         "xmlns:wsd=\"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01\" "
         "xmlns:dpws=\"http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01\" "
         "xmlns:mdpws=\"http://standards.ieee.org/downloads/11073/11073-20702-2016\"><s12:Header>"
         "<wsa:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Hello</wsa:Action></s12:Header>"
         "<s12:Body><wsd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:0b6a2d5e-1c1f-4f5e-9a53-2d3c1e7f4a11"
         "</wsa:Address></wsa:EndpointReference><wsd:Types>dpws:Device mdpws:MedicalDevice</wsd:Types>"
         "<wsd:Scopes>" + scopes + "</wsd:Scopes><wsd:XAddrs>https://10.44.0.7:6464/sdc</wsd:XAddrs>"
         "<wsd:MetadataVersion>1</wsd:MetadataVersion></wsd:Hello></s12:Body></s12:Envelope>";
}

TEST_F(WsdTest, SdcProviderLocationKeptPatientAndOperatorContextsDropped) {
  const std::string msg = sdc_hello(
      "sdc.mds.pkp:1.2.840.10004.20701.1.1 "
      "sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP%2FA/B1/3/ICU1/R12/Bed%204?fac=HOSP%2FA&amp;bldng=B1&amp;flr=3"
      "&amp;poc=ICU1&amp;rm=R12&amp;bed=Bed%204 "
      "sdc.ctxt.pat:/http%3A%2F%2Fhospital.example%2Fmrn/PLANTED-MRN-99321 "
      "sdc.ctxt.opr:/http%3A%2F%2Fhospital.example%2Fstaff/PLANTED%5ENURSE "
      "sdc.ctxt.wfl:/http%3A%2F%2Fhospital.example%2Forders/PLANTED-ORDER-7 "
      "sdc.ctxt.ens:/x/y sdc.cdc.type:/urn%3Aoid%3A1.2.840.10004.1.1.1.0.0.1//69837 "
      "http://other.example/scope");
  ASSERT_TRUE(parser->probe(meta, as_bytes(msg)));
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("sdc.medical_device"), "yes");
  EXPECT_EQ(sink.value("sdc.pkp"), "1.2.840.10004.20701.1.1");
  EXPECT_EQ(sink.value("sdc.mds_type"), "/urn:oid:1.2.840.10004.1.1.1.0.0.1//69837");
  EXPECT_EQ(sink.value("sdc.facility"), "HOSP/A");
  EXPECT_EQ(sink.value("sdc.building"), "B1");
  EXPECT_EQ(sink.value("sdc.floor"), "3");
  EXPECT_EQ(sink.value("sdc.point_of_care"), "ICU1");
  EXPECT_EQ(sink.value("sdc.room"), "R12");
  EXPECT_EQ(sink.value("sdc.bed"), "Bed 4");
  EXPECT_EQ(sink.values("wsd.scopes"), std::vector<std::string>{"http://other.example/scope"});
  for (const auto& f : sink.facts) {
    EXPECT_EQ(f.value.find("PLANTED"), std::string::npos) << f.key << "=" << f.value;
    EXPECT_EQ(f.value.find("sdc.ctxt"), std::string::npos) << f.key << "=" << f.value;
  }
}

TEST_F(WsdTest, SdcLocationFromTheFallbackIdentifierAndBoundedParts) {
  const std::string msg = sdc_hello("sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP//2/CCU//7 sdc.mds.pkp:1.2.x");
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("sdc.facility"), "HOSP");
  EXPECT_FALSE(sink.has("sdc.building"));  // empty parts are not facts
  EXPECT_EQ(sink.value("sdc.floor"), "2");
  EXPECT_EQ(sink.value("sdc.point_of_care"), "CCU");
  EXPECT_EQ(sink.value("sdc.bed"), "7");
  EXPECT_FALSE(sink.has("sdc.pkp"));  // not an OID
  test::RecordingSink other;
  // A site's own location root is an opaque identifier: no parts; a long or escaped part is bounded.
  const std::string msg2 = sdc_hello("sdc.ctxt.loc:/urn%3Aoid%3A1.2.3/ward-7 sdc.ctxt.loc:/x/y?bed=" +
                                     std::string(500, 'B') + "&amp;rm=%1b%5B31m%zz");
  EXPECT_EQ(parser->parse(meta, as_bytes(msg2), other), ParseStatus::ok);
  EXPECT_EQ(other.value("sdc.bed").size(), 64u);
  EXPECT_EQ(other.value("sdc.room").find('\x1b'), std::string::npos);
  EXPECT_FALSE(other.has("sdc.facility"));
}

TEST_F(WsdTest, MedicalDeviceTypeNeedsTheMdpwsNamespace) {
  std::string msg = sdc_hello("");
  const std::string ns = "standards.ieee.org/downloads/11073/11073-20702-2016";
  msg.replace(msg.find(ns), ns.size(), "example.com/not-mdpws");
  EXPECT_EQ(parser->parse(meta, as_bytes(msg), sink), ParseStatus::ok);
  EXPECT_FALSE(sink.has("sdc.medical_device"));
  EXPECT_EQ(sink.values("wsd.types"), (std::vector<std::string>{"dpws:Device", "mdpws:MedicalDevice"}));
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
