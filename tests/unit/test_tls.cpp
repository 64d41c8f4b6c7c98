#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

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
void u16(Buf& b, unsigned v) {
  u8(b, v >> 8);
  u8(b, v);
}
void u24(Buf& b, std::size_t v) {
  u8(b, static_cast<unsigned>(v >> 16));
  u16(b, static_cast<unsigned>(v & 0xffff));
}
void append(Buf& b, const Buf& v) {
  for (std::uint8_t x : v) b.push_back(x);
}
void append(Buf& b, std::string_view s) {
  for (char c : s) b.push_back(static_cast<std::uint8_t>(c));
}
void ext(Buf& b, unsigned type, const Buf& body) {
  u16(b, type);
  u16(b, static_cast<unsigned>(body.size()));
  append(b, body);
}
Buf handshake(std::uint8_t type, const Buf& body) {
  Buf m;
  u8(m, type);
  u24(m, body.size());
  append(m, body);
  return m;
}
Buf record(std::uint8_t type, const Buf& fragment, unsigned version = 0x0301) {
  Buf r;
  u8(r, type);
  u16(r, version);
  u16(r, static_cast<unsigned>(fragment.size()));
  append(r, fragment);
  return r;
}

// A Chrome-like ClientHello with GREASE in ciphers, extensions, groups and supported_versions.
Buf client_hello_body(bool with_sni = true) {
  Buf b;
  u16(b, 0x0303);
  for (int i = 0; i < 32; ++i) u8(b, i);
  u8(b, 0);  // session id
  const unsigned ciphers[] = {0x2a2a, 0x1301, 0x1302, 0xc02b, 0x002f};
  u16(b, sizeof ciphers / sizeof ciphers[0] * 2);
  for (unsigned c : ciphers) u16(b, c);
  u8(b, 1);
  u8(b, 0);  // compression: null
  Buf exts;
  ext(exts, 0x3a3a, {});
  if (with_sni) {
    Buf sni;
    u16(sni, 3 + 14);
    u8(sni, 0);
    u16(sni, 14);
    append(sni, "pacs.hosp.test");
    ext(exts, 0x0000, sni);
  }
  ext(exts, 0x0017, {});                                  // extended_master_secret
  ext(exts, 0x000a, {0, 6, 0x4a, 0x4a, 0x00, 0x1d, 0x00, 0x17});  // groups: GREASE, x25519, secp256r1
  ext(exts, 0x000b, {1, 0});                              // point formats: uncompressed
  ext(exts, 0x000d, {0, 4, 0x04, 0x03, 0x08, 0x04});      // sig algs
  Buf alpn;
  u16(alpn, 3 + 9);
  u8(alpn, 2);
  append(alpn, "h2");
  u8(alpn, 8);
  append(alpn, "http/1.1");
  ext(exts, 0x0010, alpn);
  ext(exts, 0x002b, {6, 0x5a, 0x5a, 0x03, 0x04, 0x03, 0x03});  // supported_versions
  u16(b, static_cast<unsigned>(exts.size()));
  append(b, exts);
  return b;
}

std::string digest(std::string_view s, const EVP_MD* md, std::size_t chars) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string h;
  for (unsigned i = 0; i < n; ++i) {
    h += kHex[out[i] >> 4];
    h += kHex[out[i] & 0xf];
  }
  return h.substr(0, chars);
}

// TLS never asks to skip beyond what it was given; the session gets every delivery, even after done.
struct Feeder : test::StreamFeeder {
  Feeder() {
    allow_skip = false;
    stop_when_done = false;
  }
};

class TlsTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = test::find_stream(registry, "tls");
  StreamMeta meta;
  test::RecordingSink sink;
  Feeder feeder;
};

TEST_F(TlsTest, ClientHelloFieldsAndFingerprintsSplitAcrossSegments) {
  ASSERT_NE(parser, nullptr);
  const Buf rec = record(22, handshake(1, client_hello_body()));
  ASSERT_TRUE(parser->probe(StreamDir::to_server, rec));
  auto session = parser->open(meta);
  // Delivered in 7-byte segments: the record header itself is split.
  for (std::size_t off = 0; off < rec.size(); off += 7) {
    const std::size_t n = std::min<std::size_t>(7, rec.size() - off);
    EXPECT_NE(feeder.feed(*session, StreamDir::to_server, Bytes(rec).subspan(off, n), sink), ParseStatus::done);
  }
  EXPECT_EQ(sink.value("tls.sni"), "pacs.hosp.test");
  EXPECT_EQ(sink.facts[0].about, "receiver");  // the SNI names the server
  EXPECT_EQ(sink.value("tls.alpn"), "h2,http/1.1");
  EXPECT_EQ(sink.value("tls.client_version"), "TLS 1.2");
  EXPECT_EQ(sink.value("tls.supported_versions"), "TLS 1.3,TLS 1.2");
  // JA3 (salesforce/ja3): version, ciphers, extensions, groups, point formats; GREASE removed.
  EXPECT_EQ(sink.value("tls.ja3"), digest("771,4865-4866-49195-47,0-23-10-11-13-16-43,29-23,0", EVP_md5(), 32));
  // JA4 (FoxIO): t 13 d 04 ciphers 07 extensions "h2"; sorted ciphers; sorted extensions without SNI/ALPN,
  // then signature algorithms in wire order.
  EXPECT_EQ(sink.value("tls.ja4"), "t13d0407h2_" + digest("002f,1301,1302,c02b", EVP_sha256(), 12) + "_" +
                                       digest("000a,000b,000d,0017,002b_0403,0804", EVP_sha256(), 12));
  EXPECT_FALSE(sink.has("tls.dicom"));
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(TlsTest, HandshakeMessageSplitAcrossRecordsAndNoSni) {
  const Buf hs = handshake(1, client_hello_body(false));
  Buf stream = record(22, Buf(hs.begin(), hs.begin() + 10));
  append(stream, record(22, Buf(hs.begin() + 10, hs.end())));
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, stream, sink);
  EXPECT_FALSE(sink.has("tls.sni"));
  EXPECT_EQ(sink.value("tls.ja4").substr(0, 10), "t13i0406h2");
}

// The parser remembers the facts of recent hellos: a hello that differs only in what fingerprints ignore
// (random, SNI) gets the first one's facts; one cipher, the SNI's presence or a longer ALPN list more, and the
// facts are its own.
TEST_F(TlsTest, RememberedHelloFactsOnlyForTheSameFingerprintFields) {
  auto facts_of = [&](Buf body) {
    test::RecordingSink s;
    auto session = parser->open(meta);
    feeder.feed(*session, StreamDir::to_server, record(22, handshake(1, body)), s);
    return s;
  };
  const test::RecordingSink first = facts_of(client_hello_body());
  Buf other_random = client_hello_body();
  other_random[2] ^= 0xff;
  const std::string_view name = "pacs.hosp.test";
  const auto sni_name = std::search(other_random.begin(), other_random.end(), name.begin(), name.end());
  ASSERT_NE(sni_name, other_random.end());
  *sni_name = 'q';
  const test::RecordingSink same = facts_of(other_random);
  EXPECT_EQ(same.value("tls.sni"), "qacs.hosp.test");
  for (const char* key : {"tls.ja3", "tls.ja4", "tls.alpn", "tls.client_version", "tls.supported_versions"}) {
    EXPECT_EQ(same.value(key), first.value(key)) << key;
  }

  Buf other_cipher = client_hello_body();
  ASSERT_EQ(other_cipher[41], 0x13);
  ASSERT_EQ(other_cipher[42], 0x02);
  other_cipher[42] = 0x03;  // TLS_AES_256_GCM_SHA384 -> TLS_CHACHA20_POLY1305_SHA256
  const test::RecordingSink changed = facts_of(other_cipher);
  EXPECT_EQ(changed.value("tls.ja3"), digest("771,4865-4867-49195-47,0-23-10-11-13-16-43,29-23,0", EVP_md5(), 32));
  EXPECT_EQ(changed.value("tls.ja4"), "t13d0407h2_" + digest("002f,1301,1303,c02b", EVP_sha256(), 12) + "_" +
                                          digest("000a,000b,000d,0017,002b_0403,0804", EVP_sha256(), 12));
  EXPECT_EQ(facts_of(client_hello_body(false)).value("tls.ja4").substr(0, 10), "t13i0406h2");
  EXPECT_EQ(facts_of(client_hello_body()).value("tls.ja3"), first.value("tls.ja3"));
}

TEST_F(TlsTest, ServerHelloTls13SelectedVersionEndsTheStream) {
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, record(22, handshake(1, client_hello_body())), sink);
  Buf sh;
  u16(sh, 0x0303);
  for (int i = 0; i < 32; ++i) u8(sh, 0);
  u8(sh, 0);
  u16(sh, 0x1301);
  u8(sh, 0);
  Buf exts;
  ext(exts, 0x002b, {0x03, 0x04});
  u16(sh, static_cast<unsigned>(exts.size()));
  append(sh, exts);
  const Buf rec = record(22, handshake(2, sh), 0x0303);
  ASSERT_TRUE(parser->probe(StreamDir::to_client, rec));
  EXPECT_EQ(feeder.feed(*session, StreamDir::to_client, rec, sink), ParseStatus::done);
  EXPECT_EQ(sink.value("tls.server_version"), "TLS 1.3");
}

// A freshly made self-signed certificate (OpenSSL), carried in a TLS 1.2 Certificate message.
Buf self_signed_der() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  ASN1_TIME_set_string(X509_getm_notBefore(x), "20240101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(x), "20340101000000Z");
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pacs01"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Radiology"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_sign(x, key, EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  Buf out(der, der + len);
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

Buf server_flight(const Buf& cert_der) {
  Buf sh;
  u16(sh, 0x0303);
  for (int i = 0; i < 32; ++i) u8(sh, 0);
  u8(sh, 0);
  u16(sh, 0xc02b);
  u8(sh, 0);
  Buf certs;
  u24(certs, cert_der.size() + 3);
  u24(certs, cert_der.size());
  append(certs, cert_der);
  Buf msgs = handshake(2, sh);
  append(msgs, handshake(11, certs));
  append(msgs, handshake(14, {}));
  // The Certificate message is spread over records of at most 100 bytes.
  Buf out;
  for (std::size_t off = 0; off < msgs.size(); off += 100) {
    const std::size_t n = std::min<std::size_t>(100, msgs.size() - off);
    append(out, record(22, Buf(msgs.begin() + static_cast<std::ptrdiff_t>(off),
                               msgs.begin() + static_cast<std::ptrdiff_t>(off + n)),
                       0x0303));
  }
  return out;
}

TEST_F(TlsTest, TlsToAKnownDicomScpIsEncryptedDicom) {
  meta.server_port = 11112;  // not the dicom-tls port, but a DICOM association was accepted here before
  meta.server_service = "dicom";
  auto session = parser->open(meta);
  const Buf flight = server_flight(self_signed_der());
  feeder.feed(*session, StreamDir::to_client, flight, sink);
  EXPECT_EQ(sink.value("tls.dicom"), "true");
  test::RecordingSink plain;
  meta.server_service.clear();
  auto https = parser->open(meta);
  feeder.feed(*https, StreamDir::to_client, flight, plain);
  EXPECT_FALSE(plain.has("tls.dicom"));
}

TEST_F(TlsTest, TlsToAKnownHl7InterfaceIsHl7OverTls) {
  meta.server_port = 2575;  // HL7 messages were seen on this endpoint before (the HL7 parser tagged it)
  meta.server_service = "hl7";
  auto session = parser->open(meta);
  const Buf flight = server_flight(self_signed_der());
  feeder.feed(*session, StreamDir::to_client, flight, sink);
  EXPECT_EQ(sink.value("tls.hl7"), "true");
  EXPECT_FALSE(sink.has("tls.dicom"));
  EXPECT_EQ(sink.value("tls.cert.subject_cn"), "pacs01");  // the certificate's facts land on the same server
  // The client's hello on the same session does not repeat it.
  feeder.feed(*session, StreamDir::to_server, record(22, handshake(1, client_hello_body())), sink);
  EXPECT_EQ(sink.values("tls.hl7").size(), 1u);
}

TEST_F(TlsTest, CertificateOfDicomTlsServer) {
  meta.server_port = 2762;
  auto session = parser->open(meta);
  const Buf der = self_signed_der();
  ASSERT_GT(der.size(), 100u);
  const Buf flight = server_flight(der);
  // Deliver in 50-byte segments.
  const ParseStatus st = feeder.feed_split(*session, StreamDir::to_client, flight, 50, sink);
  EXPECT_NE(st, ParseStatus::done);  // the client direction has not been seen yet
  EXPECT_EQ(sink.value("tls.server_version"), "TLS 1.2");
  EXPECT_EQ(sink.value("tls.cert.subject_cn"), "pacs01");
  EXPECT_EQ(sink.value("tls.cert.subject_o"), "Radiology");
  EXPECT_EQ(sink.value("tls.cert.issuer_cn"), "pacs01");
  EXPECT_EQ(sink.value("tls.cert.not_before"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(sink.value("tls.cert.not_after"), "2034-01-01T00:00:00Z");
  EXPECT_EQ(sink.value("tls.cert.self_signed"), "true");
  EXPECT_FALSE(sink.has("tls.dicom"));  // port 2762 alone does not make it DICOM (a port orders, never decides)
  for (const auto& f : sink.facts) EXPECT_EQ(f.about, "sender") << f.key;
  EXPECT_TRUE(sink.anomalies.empty());
  EXPECT_EQ(feeder.feed(*session, StreamDir::to_server, record(22, handshake(1, client_hello_body())), sink),
            ParseStatus::done);
}

TEST_F(TlsTest, GarbageCertificateIsAnAnomaly) {
  auto session = parser->open(meta);
  Buf junk(300, 0x30);
  feeder.feed(*session, StreamDir::to_client, server_flight(junk), sink);
  EXPECT_FALSE(sink.has("tls.cert.subject_cn"));
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "tls.undecodable_certificate");
}

TEST_F(TlsTest, TruncatedAndHostileClientHellos) {
  const Buf body = client_hello_body();
  // Every truncation of the hello body, wrapped in a consistent handshake header and record.
  for (std::size_t n = 0; n < body.size(); ++n) {
    if (n == 2 + 32 + 1 + 2 + 10 + 2) continue;  // ends after compression methods: a valid extension-less hello
    test::RecordingSink s;
    Feeder f;
    auto session = parser->open(meta);
    f.feed(*session, StreamDir::to_server, record(22, handshake(1, Buf(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n)))), s);
    EXPECT_FALSE(s.has("tls.ja3")) << n;
  }
  // An extensions block claiming more bytes than the hello holds.
  Buf bad = body;
  const std::size_t ext_len_at = 2 + 32 + 1 + 2 + 10 + 2;
  bad[ext_len_at] = 0xff;
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, record(22, handshake(1, bad)), sink);
  EXPECT_FALSE(sink.has("tls.ja3"));
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "tls.malformed_client_hello");
}

TEST_F(TlsTest, HostileRecordAndHandshakeLengths) {
  // A handshake message claiming 16 MiB: rejected before buffering it.
  Buf huge = {1, 0xff, 0xff, 0xff, 0x03, 0x03};
  auto s1 = parser->open(meta);
  EXPECT_NE(feeder.feed(*s1, StreamDir::to_server, record(22, huge), sink), ParseStatus::malformed);
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "tls.handshake_too_large");
  // A record header that is not TLS (mid-stream junk after a valid start).
  test::RecordingSink s;
  Feeder f;
  auto s2 = parser->open(meta);
  const Buf junk = {0x47, 0x45, 0x54, 0x20, 0x2f, 0x20};
  f.feed(*s2, StreamDir::to_server, junk, s);
  ASSERT_EQ(s.anomalies.size(), 1u);
  EXPECT_EQ(s.anomalies[0], "tls.bad_record_header");
}

TEST_F(TlsTest, ProbeRejectsOtherProtocols) {
  const std::string http = "GET / HTTP/1.1\r\n";
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(http)));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, as_bytes(std::string_view("SSH-2.0-OpenSSH_9.2\r\n"))));
  const Buf app = record(23, Buf(40, 0));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, app));
  const Buf cert_first = record(22, handshake(11, Buf(40, 0)));
  EXPECT_FALSE(parser->probe(StreamDir::to_client, cert_first));
  const Buf sslv2 = {0x80, 0x2e, 0x01, 0x00, 0x02, 0x00};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, sslv2));
  const Buf ch = record(22, handshake(1, client_hello_body()));
  EXPECT_FALSE(parser->probe(StreamDir::to_server, Bytes(ch).first(5)));
}

// Random byte flips in a valid client and server flight, delivered in random segment sizes: parsing must
// stay in bounds (run under -DWARDWATCH_SANITIZE=ON) and never emit an over-long value.
TEST_F(TlsTest, MutatedFlightsStayInBounds) {
  const Buf ch = record(22, handshake(1, client_hello_body()));
  const Buf sf = server_flight(self_signed_der());
  std::uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (int round = 0; round < 300; ++round) {
    Buf a = ch, b2 = sf;
    for (int k = 0; k < 4; ++k) {
      a[rnd() % a.size()] = static_cast<std::uint8_t>(rnd());
      b2[rnd() % b2.size()] = static_cast<std::uint8_t>(rnd());
    }
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    for (std::size_t off = 0; off < a.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rnd() % 200, a.size() - off);
      f.feed(*session, StreamDir::to_server, Bytes(a).subspan(off, n), s);
      off += n;
    }
    for (std::size_t off = 0; off < b2.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rnd() % 200, b2.size() - off);
      f.feed(*session, StreamDir::to_client, Bytes(b2).subspan(off, n), s);
      off += n;
    }
    for (const auto& fact : s.facts) EXPECT_LE(fact.value.size(), 256u) << fact.key;
  }
}

std::vector<std::string> values_with_key(const Inventory& inv, std::string_view key) { return test::all_values(inv, key); }

// tshark -r zeek_chrome-34-google.pcap -Y tls.handshake.type==1 -T fields
//        -e tls.handshake.extensions_server_name -e tls.handshake.ja3   ->  google.de  a607f3a5c94c2ee592af1456f36c8367
// tshark ... -Y tls.handshake.type==11 -e x509sat.printableString: CN *.google.de, O Google Inc,
//        issuer Google Internet Authority G2 (2014-04-09 12:07:45 .. 2014-07-08 00:00:00 UTC)
TEST(TlsCapture, SharedZeekChrome34GoogleTls12WithCertificate) {
  const auto path = test::shared_pcap("zeek_chrome-34-google.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  EXPECT_EQ(values_with_key(inv, "tls.sni"), std::vector<std::string>{"google.de"});
  EXPECT_EQ(values_with_key(inv, "tls.ja3"), std::vector<std::string>{"a607f3a5c94c2ee592af1456f36c8367"});
  EXPECT_EQ(values_with_key(inv, "tls.alpn"), std::vector<std::string>{"spdy/3,spdy/3.1,http/1.1"});
  EXPECT_EQ(values_with_key(inv, "tls.server_version"), std::vector<std::string>{"TLS 1.2"});
  EXPECT_EQ(values_with_key(inv, "tls.cert.subject_cn"), std::vector<std::string>{"*.google.de"});
  EXPECT_EQ(values_with_key(inv, "tls.cert.subject_o"), std::vector<std::string>{"Google Inc"});
  EXPECT_EQ(values_with_key(inv, "tls.cert.issuer_cn"), std::vector<std::string>{"Google Internet Authority G2"});
  EXPECT_EQ(values_with_key(inv, "tls.cert.not_before"), std::vector<std::string>{"2014-04-09T12:07:45Z"});
  EXPECT_EQ(values_with_key(inv, "tls.cert.not_after"), std::vector<std::string>{"2014-07-08T00:00:00Z"});
  EXPECT_EQ(values_with_key(inv, "tls.cert.self_signed"), std::vector<std::string>{"false"});
}

// nDPI's expected output ndpi_results/ndpi_chrome.pcap.out: JA3C aa50c12a5dfa717d9d6ab34e97de79d5 /
// JA4 t13d1516h2_8daaf6152771_e5627efa2ab1 and JA3C 1b73862eae8f1711440a446b1ef357fd /
// JA4 t13d1516h2_8daaf6152771_9b887d9acb53; SNI www.iit.cnr.it; TLSv1.3.
TEST(TlsCapture, SharedNdpiChromeJa3AndJa4MatchNdpi) {
  const auto path = test::shared_pcap("ndpi_chrome.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(values_with_key(inv, "tls.ja3")),
            (std::vector<std::string>{"1b73862eae8f1711440a446b1ef357fd", "aa50c12a5dfa717d9d6ab34e97de79d5"}));
  EXPECT_EQ(sorted(values_with_key(inv, "tls.ja4")),
            (std::vector<std::string>{"t13d1516h2_8daaf6152771_9b887d9acb53", "t13d1516h2_8daaf6152771_e5627efa2ab1"}));
  EXPECT_EQ(values_with_key(inv, "tls.sni"), std::vector<std::string>{"www.iit.cnr.it"});
  EXPECT_EQ(values_with_key(inv, "tls.server_version"), std::vector<std::string>{"TLS 1.3"});
  EXPECT_EQ(values_with_key(inv, "tls.supported_versions"), std::vector<std::string>{"TLS 1.3,TLS 1.2,TLS 1.1,TLS 1.0"});
}

// One mid-stream encrypted server packet (nDPI: "No client to server traffic"): no handshake, no facts.
TEST(TlsCapture, SharedNdpiMidStreamApplicationDataYieldsNothing) {
  const auto path = test::shared_pcap("ndpi_443-chrome.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) EXPECT_NE(o.key.rfind("tls.", 0), 0u) << o.key;
  }
}


}  // namespace
}  // namespace ww
