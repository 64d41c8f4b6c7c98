#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

struct Feeder {
  Buf buf[2];
  ParseStatus last = ParseStatus::ok;
  ParseStatus feed(StreamSession& s, StreamDir dir, std::string_view chunk, test::RecordingSink& sink) {
    Buf& b = buf[static_cast<int>(dir)];
    for (char c : chunk) b.push_back(static_cast<std::uint8_t>(c));
    std::size_t consumed = 0;
    last = s.on_data(dir, b, consumed, sink);
    if (consumed >= b.size()) b.clear();
    else b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(consumed));
    return last;
  }
  ParseStatus feed_split(StreamSession& s, StreamDir dir, std::string_view text, std::size_t step,
                         test::RecordingSink& sink) {
    for (std::size_t off = 0; off < text.size(); off += step) feed(s, dir, text.substr(off, step), sink);
    return last;
  }
};

class BannerTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = test::find_stream(registry, "banner");
  StreamMeta meta;
  test::RecordingSink sink;
  Feeder feeder;
  static Bytes b(std::string_view s) { return as_bytes(s); }
};

TEST_F(BannerTest, SshBothSidesSplitAcrossSegments) {
  ASSERT_NE(parser, nullptr);
  const std::string server = "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1\r\n";
  const std::string client = "SSH-2.0-PuTTY_Release_0.76\r\n";
  ASSERT_TRUE(parser->probe(StreamDir::to_client, b(server)));
  ASSERT_TRUE(parser->probe(StreamDir::to_server, b(client)));
  meta.server_port = 22;
  auto session = parser->open(meta);
  EXPECT_EQ(feeder.feed_split(*session, StreamDir::to_client, server + std::string("\0\0\x01\x2c", 4), 3, sink),
            ParseStatus::need_more);
  EXPECT_EQ(feeder.feed_split(*session, StreamDir::to_server, client, 5, sink), ParseStatus::done);
  ASSERT_EQ(sink.facts.size(), 2u);
  EXPECT_EQ(sink.facts[0].key, "ssh.banner");
  EXPECT_EQ(sink.facts[0].value, "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1");
  EXPECT_EQ(sink.facts[1].value, "SSH-2.0-PuTTY_Release_0.76");
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender");
}

TEST_F(BannerTest, FtpAndSmtpGreetingsByTextAndPort) {
  struct Case {
    std::uint16_t port;
    std::string line, key, value;
  };
  const std::vector<Case> cases = {
      {21, "220 (vsFTPd 3.0.3)\r\n", "ftp.banner", "(vsFTPd 3.0.3)"},
      {2121, "220 ProFTPD Server (Debian) [10.77.0.9]\r\n", "ftp.banner", "ProFTPD Server (Debian) [10.77.0.9]"},
      {25, "220 mail.hosp.test ESMTP Postfix (Debian/GNU)\r\n", "smtp.banner", "mail.hosp.test ESMTP Postfix (Debian/GNU)"},
      {587, "220-mx.hosp.test ready\r\n220 more\r\n", "smtp.banner", "mx.hosp.test ready"},
  };
  for (const auto& c : cases) {
    meta.server_port = c.port;
    test::RecordingSink s;
    Feeder f;
    ASSERT_TRUE(parser->probe(StreamDir::to_client, b(c.line)));
    auto session = parser->open(meta);
    EXPECT_EQ(f.feed(*session, StreamDir::to_client, c.line, s), ParseStatus::done) << c.line;
    EXPECT_EQ(s.value(c.key), c.value) << c.line;
    EXPECT_EQ(s.facts.size(), 1u);
  }
  // A 220 greeting on an unknown port saying neither FTP nor SMTP is not guessed.
  meta.server_port = 4000;
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_client, "220 ready\r\n", sink);
  EXPECT_TRUE(sink.facts.empty());
}

TEST_F(BannerTest, TelnetSkipsNegotiationAndIgnoresClientKeystrokes) {
  meta.server_port = 23;
  const std::string neg = "\xff\xfd\x18\xff\xfd\x20\xff\xfa\x18\x01\xff\xf0\xff\xfb\x01";
  ASSERT_TRUE(parser->probe(StreamDir::to_client, b(neg)));
  auto session = parser->open(meta);
  feeder.feed_split(*session, StreamDir::to_client, neg, 2, sink);
  feeder.feed(*session, StreamDir::to_server, "\xff\xfc\x18root\r\nsecret\r\n", sink);
  EXPECT_EQ(feeder.feed_split(*session, StreamDir::to_client, "\r\n\r\nPhilips IntelliVue Gateway\r\nlogin: ", 4, sink),
            ParseStatus::done);
  ASSERT_EQ(sink.facts.size(), 1u);
  EXPECT_EQ(sink.value("telnet.banner"), "Philips IntelliVue Gateway");
}

TEST_F(BannerTest, HostileAndTruncatedInput) {
  {  // no end of line within the bound
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_client, "SSH-2.0-" + std::string(600, 'A'), s);
    ASSERT_EQ(s.anomalies.size(), 1u);
    EXPECT_EQ(s.anomalies[0], "banner.line_too_long");
    EXPECT_TRUE(s.facts.empty());
  }
  {  // every truncation of a line emits nothing
    const std::string line = "SSH-2.0-OpenSSH_9.2\r\n";
    for (std::size_t n = 0; n + 1 < line.size(); ++n) {
      auto session = parser->open(meta);
      test::RecordingSink s;
      Feeder f;
      f.feed(*session, StreamDir::to_client, line.substr(0, n), s);
      EXPECT_TRUE(s.facts.empty()) << n;
    }
  }
  {  // control characters are escaped
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_client, std::string("SSH-2.0-x\x1b[2Jy\r\n"), s);
    EXPECT_EQ(s.value("ssh.banner"), "SSH-2.0-x\\x1b[2Jy");
  }
  {  // endless Telnet negotiation
    meta.server_port = 23;
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    std::string neg;
    for (int i = 0; i < 1000; ++i) neg += "\xff\xfb\x01";
    EXPECT_EQ(f.feed(*session, StreamDir::to_client, neg, s), ParseStatus::done);
    EXPECT_TRUE(s.facts.empty());
  }
}

TEST_F(BannerTest, ProbeRejectsOtherProtocols) {
  EXPECT_FALSE(parser->probe(StreamDir::to_server, b("GET / HTTP/1.1\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, b("HTTP/1.1 200 OK\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, b("220 client cannot greet\r\n")));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, b("SSH-x")));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, b("2200 \r\n")));
  const Buf tls = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, tls));
  const Buf iac_data = {0xff, 0x41, 0x42};
  EXPECT_FALSE(parser->probe(StreamDir::to_client, iac_data));
}


}  // namespace
}  // namespace ww
