// Syslog (parsers/syslog.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

class SyslogTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "syslog");
  PacketMeta meta;
  test::RecordingSink sink;

  void parse(std::string_view text) {
    ASSERT_TRUE(parser->probe(meta, as_bytes(text))) << text;
    EXPECT_EQ(parser->parse(meta, as_bytes(text), sink), ParseStatus::ok) << text;
  }
};

TEST_F(SyslogTest, Rfc5424HeaderButNeverTheMessage) {
  ASSERT_NE(parser, nullptr);
  // From ndpi_syslog.pcap (tshark: syslog.hostname pfSense.localdomain, syslog.appname suricata).
  parse("<45>1 2022-03-02T12:39:47.689392-01:00 pfSense.localdomain suricata 37046 - - {\"patient\": \"DOE^JOHN\"}");
  EXPECT_EQ(sink.value("syslog.hostname"), "pfSense.localdomain");
  EXPECT_EQ(sink.value("syslog.app_name"), "suricata");
  EXPECT_EQ(sink.value("syslog.facility"), "syslog");  // 45 = 5*8+5
  for (const auto& f : sink.facts) {
    EXPECT_EQ(f.value.find("DOE"), std::string::npos) << f.key;
    EXPECT_EQ(f.value.find("37046"), std::string::npos) << f.key;
  }
}

TEST_F(SyslogTest, Rfc5424NilFields) {
  parse("<165>1 2003-10-11T22:14:15.003Z - - - - -");
  EXPECT_EQ(sink.value("syslog.facility"), "local4");
  EXPECT_FALSE(sink.has("syslog.hostname"));
  EXPECT_FALSE(sink.has("syslog.app_name"));
}

TEST_F(SyslogTest, Rfc3164WithAndWithoutHostname) {
  parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
  EXPECT_EQ(sink.value("syslog.hostname"), "mymachine");
  EXPECT_EQ(sink.value("syslog.app_name"), "su");
  EXPECT_EQ(sink.value("syslog.facility"), "auth");
  sink.facts.clear();
  parse("<30>snmpd[6956]: Connection from UDP: [127.0.0.1]:21311");
  EXPECT_EQ(sink.value("syslog.app_name"), "snmpd");
  EXPECT_FALSE(sink.has("syslog.hostname"));
  sink.facts.clear();
  parse("<13>Jan  1 00:01:53 sshd[77]: no hostname here");
  EXPECT_EQ(sink.value("syslog.app_name"), "sshd");
  EXPECT_FALSE(sink.has("syslog.hostname"));
  sink.facts.clear();
  // Cisco IOS: a sequence number, not a tag.
  parse("<189>34: *Sep 22 13:36:16.091: %SYS-5-CONFIG_I: Configured from console by console");
  EXPECT_EQ(sink.value("syslog.facility"), "local7");
  EXPECT_FALSE(sink.has("syslog.app_name"));
}

TEST_F(SyslogTest, ProbeRejectsNonSyslog) {
  for (std::string_view s : {"<", "<1", "<192>x", "<1234>x", "<01>x", "<a>x", "<13>", "<?xml version=\"1.0\"?>",
                             "NOTIFY * HTTP/1.1\r\n"}) {
    EXPECT_FALSE(parser->probe(meta, as_bytes(s))) << s;
  }
  // Control characters in fields are escaped, never passed through.
  parse("<13>1 - host\x1b[2J app - - msg");
  EXPECT_EQ(sink.value("syslog.hostname").find('\x1b'), std::string::npos);
}

using test::values_at;

TEST(SyslogCapture, SharedNdpiSyslogHostnamesAndTags) {
  const auto path = test::shared_pcap("ndpi_syslog.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  // `tshark -Y syslog -T fields -e ip.src -e syslog.hostname -e syslog.msg`: 172.26.229.190 sends
  // "snmpd[6956]: ..." (no hostname); 10.251.23.139 sends "Jan 01 ... nb6 chillispot[...]".
  EXPECT_EQ(values_at(inv, "172.26.229.190", "syslog.app_name"), std::vector<std::string>{"snmpd"});
  const auto hosts = values_at(inv, "10.251.23.139", "syslog.hostname");
  EXPECT_NE(std::find(hosts.begin(), hosts.end(), "nb6"), hosts.end());
  // No message text anywhere.
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) EXPECT_EQ(o.value.find("Connection from"), std::string::npos);
  }
}


}  // namespace
}  // namespace ww
