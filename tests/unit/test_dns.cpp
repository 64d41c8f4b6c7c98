// DNS / mDNS / LLMNR (parsers/dns.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using test::from_hex;

// Wire-format name (no compression).
void put_name(std::vector<std::uint8_t>& m, std::string_view dotted) {
  while (!dotted.empty()) {
    const std::size_t dot = dotted.find('.');
    const std::string_view label = dotted.substr(0, dot);
    m.push_back(static_cast<std::uint8_t>(label.size()));
    for (char c : label) m.push_back(static_cast<std::uint8_t>(c));
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  m.push_back(0);
}
void put16(std::vector<std::uint8_t>& m, std::uint16_t v) {
  m.push_back(static_cast<std::uint8_t>(v >> 8));
  m.push_back(static_cast<std::uint8_t>(v));
}
std::vector<std::uint8_t> header(std::uint16_t flags, std::uint16_t qd, std::uint16_t an, std::uint16_t ns = 0,
                                 std::uint16_t ar = 0) {
  std::vector<std::uint8_t> m;
  for (std::uint16_t v : {std::uint16_t{0x1234}, flags, qd, an, ns, ar}) put16(m, v);
  return m;
}
void put_rr(std::vector<std::uint8_t>& m, std::string_view name, std::uint16_t type,
            const std::vector<std::uint8_t>& rdata) {
  put_name(m, name);
  put16(m, type);
  put16(m, 1);
  for (int i = 0; i < 4; ++i) m.push_back(0);
  put16(m, static_cast<std::uint16_t>(rdata.size()));
  for (std::uint8_t b : rdata) m.push_back(b);
}
std::vector<std::uint8_t> name_bytes(std::string_view dotted) {
  std::vector<std::uint8_t> v;
  put_name(v, dotted);
  return v;
}

// `tshark -r zeek_wikipedia.pcap -Y frame.number==3 -T fields -e udp.payload` (mDNS response from gemini).
const char* kGeminiResponse =
    "0000840000000001000000040667656d696e69095f736674702d737368045f746370056c6f63616c000021800100000078000f00"
    "00000000160667656d696e69c022c039001c8001000000780010fe800000000000000217f2fffed7cf65c039000180010000007800"
    "048d8edc32c00c002f8001000000780009c00c00050000800040c039002f8001000000780008c039000440000008";
// `tshark -r tapirxl_ct_to_pacs_scenario.pcap -Y llmnr -T fields -e udp.payload` (first LLMNR response).
const char* kLlmnrResponse =
    "7aa2840000010001000000000d4252494748545350454544303100000100010d425249474854535045454430310000010001000000"
    "1e00040a280214";

class DnsTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* dns = test::find_datagram(registry, "dns");
  const DatagramParser* mdns = test::find_datagram(registry, "mdns");
  const DatagramParser* llmnr = test::find_datagram(registry, "llmnr");
  test::RecordingSink sink;

  static PacketMeta ports(std::uint16_t src, std::uint16_t dst) {
    PacketMeta m;
    m.src_port = src;
    m.dst_port = dst;
    return m;
  }
};

TEST_F(DnsTest, RealMdnsResponseNamesTheResponderAndItsService) {
  ASSERT_NE(mdns, nullptr);
  const auto msg = from_hex(kGeminiResponse);
  const PacketMeta meta = ports(5353, 5353);
  ASSERT_TRUE(mdns->probe(meta, msg));
  EXPECT_FALSE(dns->probe(meta, msg));  // one flavour per port
  EXPECT_EQ(mdns->parse(meta, msg, sink), ParseStatus::ok);
  // tshark: dns.resp.name gemini.local (A 141.142.220.50, AAAA fe80::217:f2ff:fed7:cf65), SRV/TXT owner
  // gemini._sftp-ssh._tcp.local.
  EXPECT_EQ(sink.value("mdns.hostname"), "gemini");
  EXPECT_EQ(sink.value("mdns.service_type"), "_sftp-ssh._tcp");
  EXPECT_EQ(sink.value("mdns.service_instance"), "gemini");
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender") << f.key;
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(DnsTest, DnsSdPtrAndAllowListedTxtKeys) {
  auto m = header(0x8400, 0, 4);
  put_rr(m, "_services._dns-sd._udp.local", 12, name_bytes("_ipp._tcp.local"));
  put_rr(m, "_ipp._tcp.local", 12, name_bytes("Infusion Printer._ipp._tcp.local"));
  std::vector<std::uint8_t> txt;
  for (std::string_view s : {"ty=HP LaserJet 400", "usb_MFG=HP", "adminurl=http://x/", "note=Ward 3", "secret=1"}) {
    txt.push_back(static_cast<std::uint8_t>(s.size()));
    for (char c : s) txt.push_back(static_cast<std::uint8_t>(c));
  }
  put_rr(m, "Infusion Printer._ipp._tcp.local", 16, txt);
  put_rr(m, "printer7.local", 1, {10, 0, 0, 7});
  const PacketMeta meta = ports(5353, 5353);
  ASSERT_TRUE(mdns->probe(meta, m));
  EXPECT_EQ(mdns->parse(meta, m, sink), ParseStatus::ok);
  EXPECT_EQ(sink.values("mdns.service_type"), (std::vector<std::string>{"_ipp._tcp", "_ipp._tcp", "_ipp._tcp"}));
  EXPECT_EQ(sink.value("mdns.service_instance"), "Infusion Printer");
  EXPECT_EQ(sink.value("mdns.txt.ty"), "HP LaserJet 400");
  EXPECT_EQ(sink.value("mdns.txt.usb_MFG"), "HP");
  EXPECT_EQ(sink.value("mdns.txt.note"), "Ward 3");
  EXPECT_EQ(sink.value("mdns.hostname"), "printer7");
  for (const auto& f : sink.facts) {
    EXPECT_NE(f.key, "mdns.txt.adminurl");
    EXPECT_NE(f.key, "mdns.txt.secret");
  }
}

TEST_F(DnsTest, MdnsQueriesDescribeNobody) {
  auto m = header(0x0000, 1, 1);  // a query with a known answer about another host
  put_name(m, "_ipp._tcp.local");
  put16(m, 12);
  put16(m, 1);
  put_rr(m, "other.local", 1, {10, 0, 0, 9});
  const PacketMeta meta = ports(5353, 5353);
  ASSERT_TRUE(mdns->probe(meta, m));
  EXPECT_EQ(mdns->parse(meta, m, sink), ParseStatus::ok);
  EXPECT_TRUE(sink.facts.empty());
}

TEST_F(DnsTest, UnicastQueryResponseAndReversePtr) {
  auto q = header(0x0100, 1, 0);
  put_name(q, "pacs.hospital.example");
  put16(q, 1);
  put16(q, 1);
  ASSERT_TRUE(dns->probe(ports(40000, 53), q));
  EXPECT_EQ(dns->parse(ports(40000, 53), q, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("dns.query"), "pacs.hospital.example");

  test::RecordingSink s2;
  auto r = header(0x8180, 1, 1);
  put_name(r, "7.0.0.10.in-addr.arpa");
  put16(r, 12);
  put16(r, 1);
  put_rr(r, "7.0.0.10.in-addr.arpa", 12, name_bytes("pump-7.icu.example"));
  ASSERT_TRUE(dns->probe(ports(53, 40000), r));
  EXPECT_EQ(dns->parse(ports(53, 40000), r, s2), ParseStatus::ok);
  EXPECT_EQ(s2.value("dns.answered_query"), "7.0.0.10.in-addr.arpa");
  EXPECT_EQ(s2.value("dns.ptr_answer"), "10.0.0.7=pump-7.icu.example");
  EXPECT_FALSE(s2.has("dns.query"));
}

TEST_F(DnsTest, LlmnrResponseNamesResponderQueryNamesLookup) {
  const auto resp = from_hex(kLlmnrResponse);
  ASSERT_TRUE(llmnr->probe(ports(5355, 50000), resp));
  EXPECT_FALSE(dns->probe(ports(5355, 50000), resp));
  EXPECT_EQ(llmnr->parse(ports(5355, 50000), resp, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("llmnr.name"), "BRIGHTSPEED01");
  EXPECT_FALSE(sink.has("llmnr.query"));

  test::RecordingSink s2;
  auto q = header(0x0000, 1, 0);
  put_name(q, "PACS-CENTRICITY-001");
  put16(q, 1);
  put16(q, 1);
  EXPECT_EQ(llmnr->parse(ports(50000, 5355), q, s2), ParseStatus::ok);
  EXPECT_EQ(s2.value("llmnr.query"), "PACS-CENTRICITY-001");
  EXPECT_FALSE(s2.has("llmnr.name"));
}

TEST_F(DnsTest, TruncationAtEveryPointIsRejectedOrMalformedNeverACrash) {
  const auto msg = from_hex(kGeminiResponse);
  const PacketMeta meta = ports(5353, 5353);
  for (std::size_t cut = 0; cut < msg.size(); ++cut) {
    const Bytes part = Bytes(msg).first(cut);
    EXPECT_FALSE(mdns->probe(meta, part)) << cut;
    test::RecordingSink s;
    const ParseStatus st = mdns->parse(meta, part, s);
    if (cut < 12) {
      EXPECT_EQ(st, ParseStatus::not_mine) << cut;
    } else {
      EXPECT_EQ(st, ParseStatus::malformed) << cut;
      ASSERT_EQ(s.anomalies.size(), 1u) << cut;
    }
  }
}

TEST_F(DnsTest, CompressionPointerLoopsAndOverlongNamesAreBadNames) {
  const PacketMeta meta = ports(40000, 53);
  // A question whose name is a pointer to itself.
  auto self = header(0x0100, 1, 0);
  for (std::uint8_t b : {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01}) self.push_back(b);
  EXPECT_FALSE(dns->probe(meta, self));
  EXPECT_EQ(dns->parse(meta, self, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "dns.bad_name");
  // Two names pointing at each other: "a" -> ptr to the second, "b" -> ptr back to the first. The forward
  // pointer is refused outright (pointers must point before themselves).
  auto pair = header(0x8100, 0, 2);
  for (int b : {1, int{'a'}, 0xc0, 26}) pair.push_back(static_cast<std::uint8_t>(b));  // rr 1 name at 12, points forward to 26
  for (int i = 0; i < 10; ++i) pair.push_back(0);
  for (int b : {1, int{'b'}, 0xc0, 12}) pair.push_back(static_cast<std::uint8_t>(b));  // rr 2 name at 26
  for (int i = 0; i < 10; ++i) pair.push_back(0);
  EXPECT_FALSE(dns->probe(meta, pair));
  EXPECT_EQ(dns->parse(meta, pair, sink), ParseStatus::malformed);
  // A chain of backward pointers that revisits a label run: 12:"x"+ptr->12 is caught by the decreasing rule.
  auto back = header(0x0100, 2, 0);
  put_name(back, "x");
  put16(back, 1);
  put16(back, 1);
  for (int b : {1, int{'y'}, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01}) back.push_back(static_cast<std::uint8_t>(b));
  EXPECT_TRUE(dns->probe(meta, back));  // legal: y.x
  // 300 octets of labels: over the 255 limit.
  auto longname = header(0x0100, 1, 0);
  for (int i = 0; i < 5; ++i) {
    longname.push_back(60);
    for (int j = 0; j < 60; ++j) longname.push_back('a');
  }
  longname.push_back(0);
  put16(longname, 1);
  put16(longname, 1);
  EXPECT_FALSE(dns->probe(meta, longname));
  test::RecordingSink s3;
  EXPECT_EQ(dns->parse(meta, longname, s3), ParseStatus::malformed);
  EXPECT_EQ(s3.anomalies.back(), "dns.bad_name");
}

TEST_F(DnsTest, HostileCountsAndForeignPayloadsAreRejected) {
  auto m = header(0x8400, 0xffff, 0xffff);
  EXPECT_FALSE(mdns->probe(ports(5353, 5353), m));
  EXPECT_EQ(mdns->parse(ports(5353, 5353), m, sink), ParseStatus::malformed);
  // NetBIOS-NS shares the header: never claimed on udp/137.
  // `tshark -r ndpi_netbios.pcap -Y "nbns.type==33" -T fields -e udp.payload` (an NBSTAT response)
  const auto nbstat = from_hex(
      "20a88400000000010000000020434b41414141414141414141414141414141414141414141414141414141414100002100010000"
      "000000770447554e4e4152202020202020202020000400564947494c414e545f47524f55502000840047554e4e41522020202020"
      "20202020200400564947494c414e545f47524f5550201e8400001cc410790f000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000");
  EXPECT_FALSE(dns->probe(ports(137, 137), nbstat));
  const std::string ssdp = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: ssdp:all\r\n\r\n";
  EXPECT_FALSE(dns->probe(ports(40000, 53), as_bytes(ssdp)));
  EXPECT_FALSE(mdns->probe(ports(5353, 5353), as_bytes(ssdp)));
  const std::vector<std::uint8_t> zeros(64, 0);
  EXPECT_FALSE(dns->probe(ports(40000, 53), zeros));
}

// Values below are from `tshark -r <file> -Y mdns|dns|llmnr -T fields -e ip.src -e dns.flags.response
// -e dns.qry.name -e dns.resp.name -e dns.resp.type -e dns.txt`.
using test::values_at;
bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(DnsCapture, SharedIphoneMdnsDeviceInfoModel) {
  const auto path = test::shared_pcap("ndpi_iphone.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  // tshark frame 5: TXT "model=iMac11,3" on Luca’s iMac._device-info._tcp.local, A Lucas-iMac.local.
  EXPECT_TRUE(contains(values_at(inv, "169.254.225.216", "mdns.txt.model"), "iMac11,3"));
  EXPECT_TRUE(contains(values_at(inv, "169.254.225.216", "mdns.hostname"), "Lucas-iMac"));
  EXPECT_TRUE(contains(values_at(inv, "169.254.225.216", "mdns.service_type"), "_smb._tcp"));
}


}  // namespace
}  // namespace ww
