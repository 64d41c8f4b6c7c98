#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"
#include "support/stream_feeder.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

// The session gets every delivery, even after done.
struct Feeder : test::StreamFeeder {
  Feeder() { stop_when_done = false; }
};

const std::string kRequest =
    "GET /description.xml HTTP/1.1\r\nHost: 10.77.0.50:49152\r\nUser-Agent: Microsoft-Windows/10.0 UPnP/1.0\r\n"
    "Accept: */*\r\n\r\n";

const std::string kXml =
    "<?xml version=\"1.0\"?>\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\n<specVersion><major>1</major>"
    "</specVersion>\n<device>\n<deviceType>urn:schemas-upnp-org:device:Printer:1</deviceType>\n"
    "<friendlyName>Ward 3 Printer &amp; Scanner</friendlyName>\n<manufacturer>Brother</manufacturer>\n"
    "<modelName>MFC-L8900CDW</modelName>\n<modelNumber>L8900</modelNumber>\n<serialNumber>E78123A9N123456"
    "</serialNumber>\n<deviceList><device><friendlyName>embedded</friendlyName></device></deviceList>\n"
    "</device>\n</root>\n";

std::string response_with_length(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nServer: Linux/4.4 UPnP/1.0 Brother/1.0\r\nX-Powered-By: PHP/5.6\r\n"
         "Content-Type: text/xml; charset=\"utf-8\"\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string chunked(const std::string& body, std::size_t chunk) {
  std::string out;
  for (std::size_t off = 0; off < body.size(); off += chunk) {
    const std::string part = body.substr(off, chunk);
    char hexlen[16];
    std::snprintf(hexlen, sizeof hexlen, "%zx", part.size());
    out += std::string(hexlen) + "\r\n" + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

class HttpTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = test::find_stream(registry, "http");
  StreamMeta meta;
  test::RecordingSink sink;
  Feeder feeder;
  Bytes b(const std::string& s) { return as_bytes(s); }
};

TEST_F(HttpTest, RequestAndUpnpDescriptionWithContentLengthSplitEverywhere) {
  ASSERT_NE(parser, nullptr);
  ASSERT_TRUE(parser->probe(StreamDir::to_server, b(kRequest)));
  const std::string resp = response_with_length(kXml);
  ASSERT_TRUE(parser->probe(StreamDir::to_client, b(resp)));
  for (std::size_t step : {1u, 3u, 17u, 1000u}) {
    test::RecordingSink s;
    Feeder f;
    auto session = parser->open(meta);
    f.feed_split(*session, StreamDir::to_server, kRequest, step, s);
    f.feed_split(*session, StreamDir::to_client, resp, step, s);
    EXPECT_EQ(s.value("http.host"), "10.77.0.50:49152") << step;
    EXPECT_EQ(s.facts[0].about, "receiver");
    EXPECT_EQ(s.value("http.user_agent"), "Microsoft-Windows/10.0 UPnP/1.0");
    EXPECT_EQ(s.value("http.server"), "Linux/4.4 UPnP/1.0 Brother/1.0");
    EXPECT_EQ(s.value("http.powered_by"), "PHP/5.6");
    EXPECT_EQ(s.value("upnp.friendly_name"), "Ward 3 Printer & Scanner") << step;
    EXPECT_EQ(s.value("upnp.manufacturer"), "Brother");
    EXPECT_EQ(s.value("upnp.model_name"), "MFC-L8900CDW");
    EXPECT_EQ(s.value("upnp.model_number"), "L8900");
    EXPECT_EQ(s.value("upnp.serial_number"), "E78123A9N123456");
    EXPECT_EQ(s.values("upnp.friendly_name").size(), 1u);  // the embedded device's name is not the root's
    EXPECT_TRUE(s.anomalies.empty());
  }
}

TEST_F(HttpTest, ChunkedUpnpBodyAfter100ContinueAndSkippedBodies) {
  auto session = parser->open(meta);
  const std::string post = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'z');
  feeder.feed(*session, StreamDir::to_server, post, sink);
  feeder.feed(*session, StreamDir::to_server, kRequest, sink);
  const std::string resp = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" +
                           std::string(3000, 'q') +
                           "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n" +
                           chunked(kXml, 50);
  feeder.feed_split(*session, StreamDir::to_client, resp, 64, sink);
  EXPECT_EQ(sink.values("http.host"), (std::vector<std::string>{"a", "10.77.0.50:49152"}));
  EXPECT_EQ(sink.value("upnp.model_name"), "MFC-L8900CDW");
  EXPECT_EQ(sink.value("upnp.serial_number"), "E78123A9N123456");
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(HttpTest, HeadResponseHasNoBodyAndStreamEndsAfterFourExchanges) {
  auto session = parser->open(meta);
  std::string reqs, resps;
  for (int i = 0; i < 4; ++i) {
    reqs += "HEAD / HTTP/1.1\r\nHost: h" + std::to_string(i) + "\r\n\r\n";
    resps += "HTTP/1.1 200 OK\r\nServer: s" + std::to_string(i) + "\r\nContent-Length: 999999\r\n\r\n";
  }
  feeder.feed(*session, StreamDir::to_server, reqs, sink);
  EXPECT_EQ(feeder.feed(*session, StreamDir::to_client, resps, sink), ParseStatus::done);
  EXPECT_EQ(sink.values("http.server").size(), 4u);
  EXPECT_EQ(sink.values("http.host").size(), 4u);
}

TEST_F(HttpTest, ResponseWithoutFramingEndsTheDirection) {
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, "GET / HTTP/1.0\r\n\r\n", sink);
  feeder.feed(*session, StreamDir::to_client, "HTTP/1.0 200 OK\r\nServer: tiny\r\n\r\n<html>", sink);
  EXPECT_EQ(sink.value("http.server"), "tiny");
  feeder.feed(*session, StreamDir::to_client, "more html", sink);
  EXPECT_TRUE(feeder.buf[1].empty());  // nothing is kept buffered for the rest of the body
  EXPECT_EQ(sink.values("http.server").size(), 1u);
}

TEST_F(HttpTest, UpnpBodyRunningToConnectionClose) {
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, kRequest, sink);
  const std::string resp = "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n" + kXml;
  feeder.feed_split(*session, StreamDir::to_client, resp, 100, sink);
  EXPECT_EQ(sink.value("upnp.manufacturer"), "Brother");
}

// One exchange: the request, then its response; the facts of both.
test::RecordingSink exchange(const StreamParser& parser, const std::string& request, const std::string& response) {
  test::RecordingSink s;
  Feeder f;
  auto session = parser.open(StreamMeta{});
  f.feed(*session, StreamDir::to_server, request, s);
  f.feed(*session, StreamDir::to_client, response, s);
  return s;
}
// The party a fact was observed about ("sender"/"receiver") for its first value.
std::string about(const test::RecordingSink& s, std::string_view key) {
  for (const auto& f : s.facts) {
    if (f.key == key) return f.about;
  }
  return "";
}

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

TEST_F(HttpTest, DicomWebServicesAreClassifiedFromTheRequestLine) {
  // DICOM PS3.18 §10.6 QIDO-RS, §10.4 WADO-RS, §10.5 STOW-RS, §9 WADO-URI; Orthanc's root /dicom-web/.
  struct Case {
    std::string request;
    std::string api;
  } cases[] = {
      {"GET /dicom-web/studies?PatientName=PLANTED%5ENAME HTTP/1.1\r\nAccept: application/dicom+json\r\n\r\n",
       "dicomweb-qido"},
      {"GET /dicom-web/studies/1.2.3.4/series HTTP/1.1\r\n\r\n", "dicomweb-qido"},
      {"GET /dicom-web/studies/1.2.3.4/metadata HTTP/1.1\r\nAccept: application/dicom+json\r\n\r\n",
       "dicomweb-wado"},
      {"GET http://pacs:8042/rs/studies/1.2.3/series/1.2.3.5/instances/1.2.3.6/frames/1 HTTP/1.1\r\n\r\n",
       "dicomweb-wado"},
      {"POST /dicom-web/studies HTTP/1.1\r\nContent-Type: multipart/related; type=\"application/dicom\"; "
       "boundary=x\r\nContent-Length: 0\r\n\r\n",
       "dicomweb-stow"},
      {"GET /wado?requestType=WADO&studyUID=1.2&seriesUID=1.3&objectUID=1.4 HTTP/1.1\r\n\r\n", "dicom-wado-uri"},
      // A UID after the resource is DICOMweb without any other marker.
      {"GET /api/studies/1.2.840.113619.2.55 HTTP/1.1\r\n\r\n", "dicomweb-wado"},
  };
  for (const Case& c : cases) {
    const test::RecordingSink s = exchange(*parser, c.request, kOk);
    EXPECT_EQ(s.values("http.api_used"), std::vector<std::string>{c.api}) << c.request;
    EXPECT_EQ(about(s, "http.api_used"), "sender") << c.request;
    EXPECT_EQ(s.values("http.api_served"), std::vector<std::string>{c.api}) << c.request;
    EXPECT_EQ(about(s, "http.api_served"), "sender") << c.request;  // the sender of the response
    EXPECT_TRUE(s.anomalies.empty());
  }
}

TEST_F(HttpTest, OrdinaryPathsAreNotClinicalApis) {
  for (const std::string target : {"/api/studies", "/studies", "/index.html", "/metadata", "/latest/meta-data/",
                                    "/wado", "/series/12", "/fhirst/x"}) {
    const test::RecordingSink s = exchange(*parser, "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n", kOk);
    EXPECT_FALSE(s.has("http.api_used")) << target;
    EXPECT_FALSE(s.has("http.api_served")) << target;
  }
}

TEST_F(HttpTest, FhirFromThePathTheMediaTypesAndItsVersionParameter) {
  const std::string fhir_ok =
      "HTTP/1.1 200 OK\r\nServer: wardwatch-fixture-fhir/0.1\r\nContent-Type: application/fhir+json; "
      "fhirVersion=4.0\r\nContent-Length: 2\r\n\r\n{}";
  {  // FHIR R4 http.html#capabilities: GET [base]/metadata
    const auto s = exchange(*parser, "GET /fhir/metadata HTTP/1.1\r\nAccept: application/fhir+json\r\n\r\n", fhir_ok);
    EXPECT_EQ(s.values("http.api_used"), std::vector<std::string>{"fhir"});
    EXPECT_EQ(s.values("http.api_served"), std::vector<std::string>{"fhir"});
    EXPECT_EQ(s.values("http.fhir_version"), std::vector<std::string>{"4.0"});
  }
  {  // a base without "fhir" in it: the Accept header says FHIR
    const auto s = exchange(*parser, "GET /baseR4/Patient?name=PLANTED HTTP/1.1\r\nAccept: application/fhir+xml\r\n\r\n",
                            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(s.values("http.api_used"), std::vector<std::string>{"fhir"});
    EXPECT_FALSE(s.has("http.api_served"));  // a 404 with no FHIR body type proves nothing of the server
  }
  {  // an unclassified request answered with a FHIR resource: both ends learn it (DSTU2's json+fhir)
    const auto s = exchange(*parser, "GET /r/Patient HTTP/1.1\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json+fhir\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(s.values("http.api_served"), std::vector<std::string>{"fhir"});
    EXPECT_EQ(s.values("http.api_used"), std::vector<std::string>{"fhir"});
    EXPECT_EQ(about(s, "http.api_used"), "receiver");  // the client, seen from the response
  }
  {  // hostile version parameters are cut to digits and dots, eight at most
    const auto s = exchange(*parser, "GET /fhir/metadata HTTP/1.1\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json; fhirVersion=\"4.0.1.2.3.4.5\x1b[31m\"\r\n"
                            "Content-Length: 0\r\n\r\n");
    EXPECT_EQ(s.values("http.fhir_version"), std::vector<std::string>{"4.0.1.2."});
  }
}

TEST_F(HttpTest, ApiClassificationNeverKeepsTheTarget) {
  const std::string planted = "PLANTED^PATIENT";
  const auto s = exchange(*parser,
                          "GET /dicom-web/studies?PatientName=" + planted + "&PatientID=PLANTED-ID-4411 HTTP/1.1\r\n"
                          "Host: pacs\r\nAccept: application/dicom+json\r\n\r\n",
                          kOk);
  ASSERT_TRUE(s.has("http.api_used"));
  for (const auto& f : s.facts) {
    EXPECT_EQ(f.value.find("PLANTED"), std::string::npos) << f.key;
    EXPECT_EQ(f.value.find("studies"), std::string::npos) << f.key;
  }
}

TEST_F(HttpTest, DpwsMetadataOfAnSdcProviderInClear) {
  // A WS-Transfer GetResponse with DPWS 1.1 ThisModel/ThisDevice (OASIS DPWS 1.1 §5.1-5.2), as an IEEE
  // 11073-20702 provider answers it; elements carry xml:lang and namespace prefixes.
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><s12:Envelope xmlns:s12=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:dpws=\"http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01\" xmlns:mex=\"http://schemas.xmlsoap.org/ws/2004/09/mex\">"
      "<s12:Body><mex:Metadata><mex:MetadataSection Dialect=\"http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01/ThisModel\">"
      "<dpws:ThisModel><dpws:Manufacturer xml:lang=\"en\">Example Medical &amp; Co</dpws:Manufacturer>"
      "<dpws:ModelName xml:lang=\"en\">VitalView 7</dpws:ModelName><dpws:ModelNumber>VV7-200</dpws:ModelNumber>"
      "</dpws:ThisModel></mex:MetadataSection><mex:MetadataSection "
      "Dialect=\"http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01/ThisDevice\"><dpws:ThisDevice>"
      "<dpws:FriendlyName xml:lang=\"en\">ICU1 Bed 4</dpws:FriendlyName><dpws:FirmwareVersion>3.1.4"
      "</dpws:FirmwareVersion><dpws:SerialNumber>SN-0042</dpws:SerialNumber></dpws:ThisDevice>"
      "</mex:MetadataSection></mex:Metadata></s12:Body></s12:Envelope>";
  const auto s = exchange(*parser,
                          "POST /sdc HTTP/1.1\r\nContent-Type: application/soap+xml\r\nContent-Length: 0\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(s.value("dpws.manufacturer"), "Example Medical & Co");
  EXPECT_EQ(s.value("dpws.model_name"), "VitalView 7");
  EXPECT_EQ(s.value("dpws.model_number"), "VV7-200");
  EXPECT_EQ(s.value("dpws.friendly_name"), "ICU1 Bed 4");
  EXPECT_EQ(s.value("dpws.firmware_version"), "3.1.4");
  EXPECT_EQ(s.value("dpws.serial_number"), "SN-0042");
  EXPECT_EQ(about(s, "dpws.serial_number"), "sender");
  EXPECT_FALSE(s.has("upnp.manufacturer"));
}

TEST_F(HttpTest, HostileInputIsBoundedAndCounted) {
  {  // a head that never ends
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_server, "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a'), s);
    ASSERT_EQ(s.anomalies.size(), 1u);
    EXPECT_EQ(s.anomalies[0], "http.head_too_large");
    EXPECT_TRUE(f.buf[0].empty());
  }
  {  // a non-numeric Content-Length
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_server, "POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", s);
    ASSERT_EQ(s.anomalies.size(), 1u);
    EXPECT_EQ(s.anomalies[0], "http.bad_content_length");
  }
  {  // an absurd chunk size line
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_client, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", s);
    ASSERT_EQ(s.anomalies.size(), 1u);
    EXPECT_EQ(s.anomalies[0], "http.bad_chunk");
  }
  {  // garbage after a valid first message
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_server, "GET / HTTP/1.1\r\n\r\n\x16\x03\x01 junk\r\n\r\n", s);
    ASSERT_EQ(s.anomalies.size(), 1u);
    EXPECT_EQ(s.anomalies[0], "http.bad_request_line");
  }
  {  // truncated heads at every length: no crash, nothing emitted before the head is complete
    for (std::size_t n = 0; n < kRequest.size() - 2; ++n) {
      auto session = parser->open(meta);
      test::RecordingSink s;
      Feeder f;
      f.feed(*session, StreamDir::to_server, kRequest.substr(0, n), s);
      EXPECT_TRUE(s.facts.empty()) << n;
    }
  }
  {  // control bytes in a header are escaped
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_server, std::string("GET / HTTP/1.1\r\nUser-Agent: a\x1b[31mb\r\n\r\n"), s);
    EXPECT_EQ(s.value("http.user_agent"), "a\\x1b[31mb");
  }
}

TEST_F(HttpTest, ProbeRejectsOtherProtocols) {
  EXPECT_FALSE(parser->probe(StreamDir::to_server, b("DESCRIBE rtsp://cam/ RTSP/1.0\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, b("GETX / HTTP/1.1\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, b("GET / HTTP/1.1")));  // line not complete yet
  EXPECT_FALSE(parser->probe(StreamDir::to_server, b("SSH-2.0-OpenSSH_9.2\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, b("220 ftp.example ready\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, b("RTSP/1.0 200 OK\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, b("HTTP/1.1 2x0 OK\r\n")));
  const Buf tls = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, tls));
}

TEST_F(HttpTest, MutatedExchangesStayInBounds) {
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(kXml, 40);
  std::uint32_t seed = 7;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (int round = 0; round < 300; ++round) {
    std::string q = kRequest, r = resp;
    for (int k = 0; k < 3; ++k) {
      q[rnd() % q.size()] = static_cast<char>(rnd());
      r[rnd() % r.size()] = static_cast<char>(rnd());
    }
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed_split(*session, StreamDir::to_server, q, 1 + rnd() % 64, s);
    f.feed_split(*session, StreamDir::to_client, r, 1 + rnd() % 64, s);
    for (const auto& fact : s.facts) EXPECT_LE(fact.value.size(), 256u) << fact.key;
  }
}

std::vector<std::string> sorted_values(const Inventory& inv, std::string_view key) {
  auto v = test::all_values(inv, key);
  std::sort(v.begin(), v.end());
  return v;
}

// tshark -r F -Y http -T fields -e http.host -e http.user_agent -e http.server
TEST(HttpCapture, SharedPacketsHttpGoogleFirefox) {
  const auto path = test::shared_pcap("packets_http_google.pcapng");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  EXPECT_EQ(sorted_values(inv, "http.host"), std::vector<std::string>{"www.google.com"});
  EXPECT_EQ(sorted_values(inv, "http.user_agent"),
            std::vector<std::string>{
                "Mozilla/5.0 (Windows; U; Windows NT 6.1; en-US; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7"});
  EXPECT_EQ(sorted_values(inv, "http.server"), std::vector<std::string>{"gws"});
}

// Also in nDPI's ndpi_results/ndpi_http.pcapng.out: Hostname google.com, UA curl/7.68.0.
TEST(HttpCapture, SharedNdpiHttpCurl) {
  const auto path = test::shared_pcap("ndpi_http.pcapng");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  EXPECT_EQ(sorted_values(inv, "http.host"), std::vector<std::string>{"google.com"});
  EXPECT_EQ(sorted_values(inv, "http.user_agent"), std::vector<std::string>{"curl/7.68.0"});
  EXPECT_EQ(sorted_values(inv, "http.server"), std::vector<std::string>{"gws"});
}

// IPP over HTTP: "Expect: 100-continue", chunked responses; the printer's embedded server is Virata-EmWeb.
TEST(HttpCapture, SharedNdpiIppPrinterServer) {
  const auto path = test::shared_pcap("ndpi_ipp.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  EXPECT_EQ(sorted_values(inv, "http.server"), std::vector<std::string>{"Virata-EmWeb/R6_2_1"});
  EXPECT_EQ(sorted_values(inv, "http.user_agent"), std::vector<std::string>{"CUPS/1.3.4"});
  EXPECT_EQ(sorted_values(inv, "http.host"), std::vector<std::string>{"10.10.10.251"});
}


}  // namespace
}  // namespace ww
