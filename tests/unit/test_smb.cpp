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

void u8(Buf& b, unsigned v) { b.push_back(static_cast<std::uint8_t>(v)); }
void u16le(Buf& b, unsigned v) {
  u8(b, v);
  u8(b, v >> 8);
}
void u32le(Buf& b, std::uint32_t v) {
  u16le(b, v & 0xffff);
  u16le(b, v >> 16);
}
void append(Buf& b, const Buf& v) {
  for (std::uint8_t x : v) b.push_back(x);
}
Buf utf16(std::string_view s) {
  Buf out;
  for (char c : s) u16le(out, static_cast<unsigned char>(c));
  return out;
}

// NBSS session message around an SMB2 header (MS-SMB2 §2.2.1) + body.
Buf smb2(std::uint16_t cmd, bool response, const Buf& body) {
  Buf h = {0xfe, 'S', 'M', 'B'};
  u16le(h, 64);
  u16le(h, 0);
  u32le(h, response && cmd == 1 ? 0xc0000016 : 0);
  u16le(h, cmd);
  u16le(h, 1);
  u32le(h, response ? 1 : 0);
  while (h.size() < 64) u8(h, 0);
  append(h, body);
  Buf m = {0, static_cast<std::uint8_t>(h.size() >> 16), static_cast<std::uint8_t>(h.size() >> 8),
           static_cast<std::uint8_t>(h.size())};
  append(m, h);
  return m;
}

Buf negotiate_request() {
  Buf b;
  u16le(b, 36);
  u16le(b, 4);
  u16le(b, 1);
  u16le(b, 0);
  u32le(b, 0);
  for (int i = 0; i < 16 + 8; ++i) u8(b, 0);
  for (unsigned d : {0x0202u, 0x0210u, 0x0300u, 0x0311u}) u16le(b, d);
  return smb2(0, false, b);
}
Buf negotiate_response(std::uint16_t dialect) {
  Buf b;
  u16le(b, 65);
  u16le(b, 1);
  u16le(b, dialect);
  for (int i = 0; i < 58; ++i) u8(b, 0);
  return smb2(0, true, b);
}

// MS-NLMP CHALLENGE_MESSAGE with target info and a Version structure.
Buf ntlm_challenge() {
  Buf info;
  auto av = [&](unsigned id, std::string_view s) {
    u16le(info, id);
    const Buf v = utf16(s);
    u16le(info, static_cast<unsigned>(v.size()));
    append(info, v);
  };
  av(2, "RADIOLOGY");
  av(1, "PACS-SRV01");
  av(4, "radiology.hosp.local");
  av(3, "pacs-srv01.radiology.hosp.local");
  av(5, "hosp.local");
  u16le(info, 7);  // timestamp: ignored
  u16le(info, 8);
  for (int i = 0; i < 8; ++i) u8(info, 0);
  u16le(info, 0);
  u16le(info, 0);
  Buf m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  u32le(m, 2);
  u16le(m, 0);
  u16le(m, 0);
  u32le(m, 56);
  u32le(m, 0xe2898235);  // includes NTLMSSP_NEGOTIATE_VERSION
  for (int i = 0; i < 16; ++i) u8(m, 0x11);
  u16le(m, static_cast<unsigned>(info.size()));
  u16le(m, static_cast<unsigned>(info.size()));
  u32le(m, 56);
  u8(m, 10);
  u8(m, 0);
  u16le(m, 17763);
  u8(m, 0);
  u8(m, 0);
  u8(m, 0);
  u8(m, 15);
  append(m, info);
  return m;
}
Buf session_setup_response(const Buf& ntlm) {
  // A minimal SPNEGO-looking prefix before the NTLMSSP message (negTokenResp, responseToken).
  Buf blob = {0xa1, 0x82, 0x01, 0x00, 0x30, 0x81, 0xfc, 0xa0, 0x03, 0x0a, 0x01, 0x01, 0xa2, 0x81, 0xf0, 0x04, 0x81, 0xed};
  append(blob, ntlm);
  Buf b;
  u16le(b, 9);
  u16le(b, 0);
  u16le(b, 64 + 8);
  u16le(b, static_cast<unsigned>(blob.size()));
  append(b, blob);
  return smb2(1, true, b);
}

// The session gets every delivery, even after done.
struct Feeder : test::StreamFeeder {
  Feeder() { stop_when_done = false; }
};

class SmbTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = test::find_stream(registry, "smb");
  StreamMeta meta;
  test::RecordingSink sink;
  Feeder feeder;
};

TEST_F(SmbTest, NegotiateAndNtlmChallengeSplitAcrossSegments) {
  ASSERT_NE(parser, nullptr);
  const Buf req = negotiate_request();
  ASSERT_TRUE(parser->probe(StreamDir::to_server, req));
  for (std::size_t step : {1u, 7u, 64u, 4096u}) {
    test::RecordingSink s;
    Feeder f;
    auto session = parser->open(meta);
    f.feed_split(*session, StreamDir::to_server, req, step, s);
    f.feed_split(*session, StreamDir::to_client, negotiate_response(0x0311), step, s);
    const ParseStatus st = f.feed_split(*session, StreamDir::to_client, session_setup_response(ntlm_challenge()), step, s);
    EXPECT_EQ(st, ParseStatus::done) << step;
    EXPECT_EQ(s.value("smb.dialects"), "2.0.2,2.1,3.0,3.1.1");
    EXPECT_EQ(s.value("smb.dialect"), "3.1.1");
    EXPECT_EQ(s.value("smb.ntlm.netbios_computer"), "PACS-SRV01") << step;
    EXPECT_EQ(s.value("smb.ntlm.netbios_domain"), "RADIOLOGY");
    EXPECT_EQ(s.value("smb.ntlm.dns_computer"), "pacs-srv01.radiology.hosp.local");
    EXPECT_EQ(s.value("smb.ntlm.dns_domain"), "radiology.hosp.local");
    EXPECT_EQ(s.value("smb.ntlm.dns_tree"), "hosp.local");
    EXPECT_EQ(s.value("smb.ntlm.os_version"), "10.0.17763");
    for (const auto& fact : s.facts) EXPECT_EQ(fact.about, "sender");
    EXPECT_TRUE(s.anomalies.empty());
  }
}

TEST_F(SmbTest, AuthenticateMessagesAreNeverParsed) {
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, negotiate_request(), sink);
  // A client SESSION_SETUP request carrying NTLMSSP AUTHENTICATE with a user name.
  Buf ntlm = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  u32le(ntlm, 3);
  append(ntlm, utf16("dr.house"));
  Buf b;
  u16le(b, 25);
  for (int i = 0; i < 10; ++i) u8(b, 0);
  append(b, ntlm);
  feeder.feed(*session, StreamDir::to_server, smb2(1, false, b), sink);
  for (const auto& f : sink.facts) EXPECT_EQ(f.value.find("house"), std::string::npos) << f.key;
  EXPECT_EQ(sink.facts.size(), 1u);  // only smb.dialects
}

TEST_F(SmbTest, LargeUninterestingMessagesAreSkippedUnbuffered) {
  auto session = parser->open(meta);
  // An SMB2 READ response (command 8) claiming 1 MiB: only its header is needed to skip it.
  Buf read = smb2(8, true, Buf(16, 0));
  const std::size_t claimed = 1 << 20;
  read[1] = static_cast<std::uint8_t>(claimed >> 16);
  read[2] = static_cast<std::uint8_t>(claimed >> 8);
  read[3] = static_cast<std::uint8_t>(claimed);
  feeder.feed(*session, StreamDir::to_client, read, sink);
  EXPECT_TRUE(feeder.buf[1].empty());
  EXPECT_EQ(feeder.skip[1], claimed + 4 - read.size());
}

TEST_F(SmbTest, TruncatedAndHostileChallenges) {
  const Buf good = ntlm_challenge();
  for (std::size_t n = 8; n < good.size(); ++n) {
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed(*session, StreamDir::to_client, session_setup_response(Buf(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))), s);
    for (const auto& fact : s.facts) EXPECT_LE(fact.value.size(), 256u);
  }
  // Target info offset pointing past the message.
  Buf bad = good;
  bad[44] = 0xff;
  bad[45] = 0xff;
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_client, session_setup_response(bad), sink);
  EXPECT_FALSE(sink.has("smb.ntlm.netbios_computer"));
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "smb.malformed_ntlm_challenge");
  // A security buffer offset beyond the message.
  Buf ss = session_setup_response(good);
  ss[4 + 64 + 4] = 0xff;
  ss[4 + 64 + 5] = 0xff;
  auto s2 = parser->open(meta);
  test::RecordingSink sink2;
  Feeder f2;
  f2.feed(*s2, StreamDir::to_client, ss, sink2);
  ASSERT_EQ(sink2.anomalies.size(), 1u);
  EXPECT_EQ(sink2.anomalies[0], "smb.malformed_session_setup");
  // A negotiate request claiming more dialects than it carries.
  Buf neg = negotiate_request();
  neg[4 + 64 + 2] = 60;
  auto s3 = parser->open(meta);
  test::RecordingSink sink3;
  Feeder f3;
  f3.feed(*s3, StreamDir::to_server, neg, sink3);
  ASSERT_EQ(sink3.anomalies.size(), 1u);
  EXPECT_EQ(sink3.anomalies[0], "smb.malformed_negotiate");
}

TEST_F(SmbTest, Smb1NegotiateDialectStrings) {
  // MS-CIFS SMB_COM_NEGOTIATE request: header (32), WordCount 0, ByteCount, dialects.
  Buf h = {0xff, 'S', 'M', 'B', 0x72};
  while (h.size() < 32) u8(h, 0);
  u8(h, 0);
  const std::string dialects = std::string("\x02NT LM 0.12\0\x02SMB 2.002\0", 24);
  u16le(h, static_cast<unsigned>(dialects.size()));
  for (char c : dialects) u8(h, static_cast<unsigned char>(c));
  Buf m = {0, 0, 0, static_cast<std::uint8_t>(h.size())};
  append(m, h);
  ASSERT_TRUE(parser->probe(StreamDir::to_server, m));
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, m, sink);
  EXPECT_EQ(sink.value("smb.dialects"), "NT LM 0.12,SMB 2.002");
  // Response: WordCount 17, DialectIndex 0.
  Buf r = {0xff, 'S', 'M', 'B', 0x72};
  while (r.size() < 32) u8(r, 0);
  r[9] = 0x80;
  u8(r, 17);
  for (int i = 0; i < 34; ++i) u8(r, 0);
  u16le(r, 0);
  Buf rm = {0, 0, 0, static_cast<std::uint8_t>(r.size())};
  append(rm, r);
  feeder.feed(*session, StreamDir::to_client, rm, sink);
  EXPECT_EQ(sink.value("smb.dialect"), "NT LM 0.12");
}

TEST_F(SmbTest, ProbeRejectsOtherProtocols) {
  const Buf tls = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, tls));
  const std::string http = "GET / HTTP/1.1\r\n";
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(http)));
  const Buf netbios_not_smb = {0, 0, 0, 8, 'X', 'S', 'M', 'B'};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, netbios_not_smb));
  const Buf short_buf = {0, 0, 0, 8, 0xfe, 'S'};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, short_buf));
  const Buf modbus = {0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, modbus));
}

TEST_F(SmbTest, MutatedMessagesStayInBounds) {
  Buf all = negotiate_request();
  const Buf srv1 = negotiate_response(0x0300);
  const Buf srv2 = session_setup_response(ntlm_challenge());
  std::uint32_t seed = 99;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (int round = 0; round < 500; ++round) {
    Buf c = all, s1 = srv1;
    append(s1, srv2);
    for (int k = 0; k < 3; ++k) {
      c[4 + rnd() % (c.size() - 4)] = static_cast<std::uint8_t>(rnd());
      s1[4 + rnd() % (s1.size() - 4)] = static_cast<std::uint8_t>(rnd());
    }
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    f.feed_split(*session, StreamDir::to_server, c, 1 + rnd() % 50, s);
    f.feed_split(*session, StreamDir::to_client, s1, 1 + rnd() % 50, s);
    for (const auto& fact : s.facts) EXPECT_LE(fact.value.size(), 256u) << fact.key;
  }
}

// tshark -r zeek_aduser1.pcap -Y ntlmssp.messagetype==2 -V: NetBIOS domain ADHACKING, computer
// WIN-VGO56I95EAK, DNS domain ADHACKING.local, DNS computer WIN-VGO56I95EAK.ADHACKING.local, tree
// ADHACKING.local; -e ntlmssp.version.major/minor/build_number: 10 0 20348. smb2.dialect 0x0300.
TEST(SmbCapture, SharedZeekAdUser1ServerIdentity) {
  const auto path = test::shared_pcap("zeek_aduser1.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  auto one = [&](std::string_view k) {
    auto v = test::all_values(inv, k);
    return v.size() == 1 ? v[0] : std::string("<") + std::to_string(v.size()) + " values>";
  };
  EXPECT_EQ(one("smb.ntlm.netbios_computer"), "WIN-VGO56I95EAK");
  EXPECT_EQ(one("smb.ntlm.netbios_domain"), "ADHACKING");
  EXPECT_EQ(one("smb.ntlm.dns_computer"), "WIN-VGO56I95EAK.ADHACKING.local");
  EXPECT_EQ(one("smb.ntlm.dns_domain"), "ADHACKING.local");
  EXPECT_EQ(one("smb.ntlm.dns_tree"), "ADHACKING.local");
  EXPECT_EQ(one("smb.ntlm.os_version"), "10.0.20348");
  EXPECT_EQ(one("smb.dialect"), "3.0");
  auto dialects = test::all_values(inv, "smb.dialects");
  std::sort(dialects.begin(), dialects.end());
  EXPECT_EQ(dialects, (std::vector<std::string>{"2.0.2,2.1,3.0", "NT LM 0.12,SMB 2.002,SMB 2.???"}));
}


}  // namespace
}  // namespace ww
