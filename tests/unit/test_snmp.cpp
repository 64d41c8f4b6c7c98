// SNMP v1/v2c/v3 (parsers/snmp.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

Buf from_hex(std::string_view h) {
  Buf out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}
// BER TLV with a definite length (short or 1-octet long form).
Buf tlv(std::uint8_t tag, const Buf& content) {
  Buf out{tag};
  if (content.size() < 0x80) {
    out.push_back(static_cast<std::uint8_t>(content.size()));
  } else {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(content.size()));
  }
  for (std::uint8_t b : content) out.push_back(b);
  return out;
}
Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const auto& p : parts) {
    for (std::uint8_t b : p) out.push_back(b);
  }
  return out;
}
Buf str(std::string_view s) {
  Buf b;
  for (char c : s) b.push_back(static_cast<std::uint8_t>(c));
  return b;
}
// 1.3.6.1.2.1.1.<leaf>.0
Buf sys_oid(std::uint8_t leaf) { return tlv(0x06, {0x2b, 6, 1, 2, 1, 1, leaf, 0}); }
Buf varbind(const Buf& name, const Buf& value) { return tlv(0x30, cat({name, value})); }
Buf v2c(std::string_view community, std::uint8_t pdu_tag, const Buf& varbinds) {
  const Buf pdu = tlv(pdu_tag, cat({tlv(0x02, {0x11}), tlv(0x02, {0}), tlv(0x02, {0}), tlv(0x30, varbinds)}));
  return tlv(0x30, cat({tlv(0x02, {1}), tlv(0x04, str(community)), pdu}));
}

// `tshark -r zeek_snmpv1_trap.pcap -T fields -e udp.payload`; tshark -V: enterprise 1.3.6.1.4.1.31337.0,
// agent-addr 127.0.0.1, community public, coldStart.
const char* kV1Trap =
    "303b02010004067075626c6963a42e06092b0601040181f4690040047f000001020100020100430400000000300f300d06082b060102"
    "01020100020121";

bool have_enterprises() { return std::filesystem::exists("/usr/share/wireshark/enterprises.tsv"); }

class SnmpTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "snmp");
  PacketMeta meta;
  test::RecordingSink sink;
  void SetUp() override {
    meta.src_port = 161;
    meta.dst_port = 40000;
  }
};

TEST_F(SnmpTest, GetResponseSystemGroup) {
  ASSERT_NE(parser, nullptr);
  const Buf msg = v2c("public", 0xa2,
                      cat({varbind(sys_oid(1), tlv(0x04, str("Philips IntelliVue MX800"))),
                           varbind(sys_oid(2), tlv(0x06, {0x2b, 6, 1, 4, 1, 0x81, 0x3f, 1})),  // .4.1.191.1
                           varbind(sys_oid(4), tlv(0x04, str("biomed@hospital"))),
                           varbind(sys_oid(5), tlv(0x04, str("ICU-MON-07"))),
                           varbind(sys_oid(6), tlv(0x04, str("ICU bed 7"))),
                           varbind(sys_oid(3), tlv(0x43, {1, 2}))}));
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("snmp.sys_descr"), "Philips IntelliVue MX800");
  EXPECT_EQ(sink.value("snmp.sys_object_id"), "1.3.6.1.4.1.191.1");
  EXPECT_EQ(sink.value("snmp.enterprise"), "191");
  EXPECT_EQ(sink.value("snmp.sys_contact"), "biomed@hospital");
  EXPECT_EQ(sink.value("snmp.sys_name"), "ICU-MON-07");
  EXPECT_EQ(sink.value("snmp.sys_location"), "ICU bed 7");
  EXPECT_EQ(sink.value("snmp.default_community"), "public");
  EXPECT_EQ(sink.value("snmp.version"), "2c");
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender") << f.key;
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(SnmpTest, CommunityIsNeverStoredOnlyDefaultsAreReported) {
  const Buf msg = v2c("s3cr3t-Community", 0xa2, varbind(sys_oid(5), tlv(0x04, str("sw1"))));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("snmp.sys_name"), "sw1");
  EXPECT_FALSE(sink.has("snmp.default_community"));
  for (const auto& f : sink.facts) EXPECT_EQ(f.value.find("s3cr3t"), std::string::npos) << f.key;
  // "private" is reported as such.
  test::RecordingSink s2;
  EXPECT_EQ(parser->parse(meta, v2c("private", 0xa2, varbind(sys_oid(5), tlv(0x04, str("sw1")))), s2),
            ParseStatus::ok);
  EXPECT_EQ(s2.value("snmp.default_community"), "private");
}

TEST_F(SnmpTest, RequestsDescribeNobody) {
  const Buf get = v2c("public", 0xa0, varbind(sys_oid(1), tlv(0x05, {})));
  meta.src_port = 40000;
  meta.dst_port = 161;
  ASSERT_TRUE(parser->probe(meta, get));
  EXPECT_EQ(parser->parse(meta, get, sink), ParseStatus::ok);
  EXPECT_TRUE(sink.facts.empty());
  // A Set request carries values for the receiver: not attributed either.
  const Buf set = v2c("private", 0xa3, varbind(sys_oid(5), tlv(0x04, str("renamed"))));
  EXPECT_EQ(parser->parse(meta, set, sink), ParseStatus::ok);
  EXPECT_TRUE(sink.facts.empty());
}

TEST_F(SnmpTest, RealV1TrapEnterpriseAndAgentAddress) {
  const Buf msg = from_hex(kV1Trap);
  meta.src_port = 57150;
  meta.dst_port = 162;
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  EXPECT_EQ(sink.value("snmp.trap_enterprise"), "1.3.6.1.4.1.31337.0");
  EXPECT_EQ(sink.value("snmp.enterprise"), "31337");
  EXPECT_EQ(sink.value("snmp.agent_address"), "127.0.0.1");
  EXPECT_EQ(sink.value("snmp.default_community"), "public");
  EXPECT_EQ(sink.value("snmp.version"), "1");
  if (have_enterprises()) {
    EXPECT_EQ(sink.value("snmp.enterprise_vendor"), "Union & Comstar");
  }
}

TEST_F(SnmpTest, V3EngineIdEnterpriseGoesToTheAgent) {
  // msgVersion 3, msgGlobalData, USM { engineID 80 00 1f 88 80 ... (net-snmp 8072, RFC 3411 new format) },
  // encrypted msgData (OCTET STRING): only the port says who the agent is.
  const Buf engine = {0x80, 0x00, 0x1f, 0x88, 0x80, 0x12, 0x34, 0x56, 0x78};
  const Buf usm = tlv(0x30, cat({tlv(0x04, engine), tlv(0x02, {1}), tlv(0x02, {2}), tlv(0x04, str("user")),
                                 tlv(0x04, {}), tlv(0x04, {})}));
  const Buf msg = tlv(0x30, cat({tlv(0x02, {3}),
                                 tlv(0x30, cat({tlv(0x02, {1}), tlv(0x02, {0x05, 0xdc}), tlv(0x04, {0x07}),
                                                tlv(0x02, {3})})),
                                 tlv(0x04, usm), tlv(0x04, {0xde, 0xad, 0xbe, 0xef})}));
  meta.src_port = 40000;
  meta.dst_port = 161;  // a request: the authoritative engine is the receiver (the agent)
  ASSERT_TRUE(parser->probe(meta, msg));
  EXPECT_EQ(parser->parse(meta, msg, sink), ParseStatus::ok);
  ASSERT_TRUE(sink.has("snmp.engine_enterprise"));
  EXPECT_EQ(sink.value("snmp.engine_enterprise"), "8072");
  EXPECT_EQ(sink.value("snmp.engine_id"), "80001f888012345678");
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "receiver") << f.key;
  if (have_enterprises()) {
    EXPECT_EQ(sink.value("snmp.enterprise_vendor"), "net-snmp");
  }
}

TEST_F(SnmpTest, HostileBerIsRejectedOrMalformed) {
  const Buf good = v2c("public", 0xa2, varbind(sys_oid(5), tlv(0x04, str("sw1"))));
  // Truncated anywhere: the outer SEQUENCE no longer fills the datagram.
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(parser->probe(meta, Bytes(good).first(cut))) << cut;
    test::RecordingSink s;
    const ParseStatus st = parser->parse(meta, Bytes(good).first(cut), s);
    EXPECT_NE(st, ParseStatus::ok) << cut;
    EXPECT_FALSE(s.has("snmp.sys_name")) << cut;
  }
  // Indefinite length (0x80) is forbidden in SNMP.
  Buf indefinite = good;
  indefinite[1] = 0x80;
  EXPECT_FALSE(parser->probe(meta, indefinite));
  // A 5-octet long-form length.
  const Buf huge = {0x30, 0x85, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01};
  EXPECT_FALSE(parser->probe(meta, huge));
  EXPECT_EQ(parser->parse(meta, huge, sink), ParseStatus::not_mine);
  // A varbind whose inner length overruns its SEQUENCE: the outer shape is fine, the inside is malformed.
  Buf broken = v2c("public", 0xa2, Buf{0x30, 0x05, 0x06, 0x09, 0x2b, 0x06, 0x01});
  ASSERT_TRUE(parser->probe(meta, broken));
  EXPECT_EQ(parser->parse(meta, broken, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "snmp.bad_varbind");
  // An OID sub-identifier longer than 32 bits is dropped, not wrapped.
  test::RecordingSink s2;
  const Buf oid_overflow = v2c("x", 0xa2, varbind(sys_oid(2), tlv(0x06, {0x2b, 0x8f, 0xff, 0xff, 0xff, 0xff, 0x7f})));
  EXPECT_EQ(parser->parse(meta, oid_overflow, s2), ParseStatus::ok);
  EXPECT_FALSE(s2.has("snmp.sys_object_id"));
}

TEST_F(SnmpTest, ProbeRejectsOtherProtocols) {
  const std::string ssdp = "NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n";
  EXPECT_FALSE(parser->probe(meta, as_bytes(ssdp)));
  const Buf dns = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1};
  EXPECT_FALSE(parser->probe(meta, dns));
  // A LDAP message is BER too, but its first element is a message id, then an application tag.
  const Buf ldap = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00};
  EXPECT_FALSE(parser->probe(meta, ldap));
}

}  // namespace
}  // namespace ww
