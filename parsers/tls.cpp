// TLS handshake metadata (RFC 5246 for TLS 1.0-1.2, RFC 8446 for TLS 1.3): what a client offers in its
// ClientHello (SNI, ALPN, versions, JA3/JA4 fingerprints), what the server selects in its ServerHello, and
// for TLS <= 1.2 the server's certificate, which is still sent in clear (RFC 5246 §7.4.2). Everything after
// ChangeCipherSpec, and everything after a TLS 1.3 ServerHello, is encrypted: the direction is then done.
//
// Fingerprints: JA3 (Salesforce, github.com/salesforce/ja3) and JA4 (FoxIO, github.com/FoxIO-LLC/ja4,
// "JA4 TLS Client Fingerprinting" spec). Digests and X.509 decoding come from OpenSSL, never hand-written.
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <absl/container/inlined_vector.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <span>
#include <string>
#include <vector>

#include "wardwatch/parser.hpp"
#include "wardwatch/recent_memo.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {443, 2762, 8443, 636, 993, 995, 465, 5061, 3389};
constexpr FactDecl kFacts[] = {
    {"tls.sni", FactType::text, "receiver (the SNI names the server)", "ClientHello server_name extension (RFC 6066 §3)", "www.iit.cnr.it"},
    {"tls.client_version", FactType::code, "sender", "ClientHello legacy_version", "`TLS 1.2` (legacy_version)"},
    {"tls.supported_versions", FactType::list, "sender", "ClientHello supported_versions extension (RFC 8446 §4.2.1), GREASE removed", "`TLS 1.3,TLS 1.2,TLS 1.1,TLS 1.0` (GREASE removed)"},
    {"tls.alpn", FactType::list, "sender", "ClientHello application_layer_protocol_negotiation extension (RFC 7301)", "h2,http/1.1"},
    {"tls.ja3", FactType::hex, "sender", "MD5 of the JA3 string of the ClientHello", "`aa50c12a5dfa717d9d6ab34e97de79d5` (MD5 of the JA3 string; the string itself is not stored)"},
    {"tls.ja4", FactType::id, "sender", "JA4 of the ClientHello (FoxIO JA4 specification)", "t13d1516h2_8daaf6152771_e5627efa2ab1"},
    {"tls.server_version", FactType::code, "", "ServerHello, supported_versions extension if present", "TLS 1.3"},
    {"tls.cert.subject_cn", FactType::text, "", "first certificate (TLS ≤ 1.2 only)", "*.google.de"},
    {"tls.cert.subject_o", FactType::text, "", "first certificate (TLS ≤ 1.2 only)", "Google Inc"},
    {"tls.cert.issuer_cn", FactType::text, "", "first certificate (TLS ≤ 1.2 only)", "Google Internet Authority G2"},
    {"tls.cert.issuer_o", FactType::text, "", "first certificate (TLS ≤ 1.2 only)", "Google Inc"},
    {"tls.cert.not_before", FactType::text, "", "ISO 8601 UTC", "2014-04-09T12:07:45Z"},
    {"tls.cert.not_after", FactType::text, "", "ISO 8601 UTC", "2014-04-09T12:07:45Z"},
    {"tls.cert.self_signed", FactType::flag, "", "`X509_self_signed(cert, 0)`: names and key identifiers, signature not verified", "`true` / `false`"},
    {"tls.dicom", FactType::flag, "", "encrypted DICOM: a TLS session to a server IP and port on which a plaintext DICOM association was accepted earlier in the capture (the DICOM parser tags the endpoint, StreamMeta::server_service; the stream follower remembers up to 4,096 tagged endpoints). Port 2762 (dicom-tls, DICOM PS3.15 Annex B) alone does not decide", "true"},
    {"tls.hl7", FactType::flag, "", "HL7 v2 over TLS: a TLS session to a server IP and port on which plaintext HL7 messages were seen earlier in the capture (the HL7 parser tags the endpoint, as for `tls.dicom`). No port decides it", "true"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"tls.bad_record_header", "A record header (RFC 5246 §6.2.1) has a content type outside 20..24, a major version other than 3, or a length over 18432 (RFC 5246 §6.2.3); the direction is given up."},
    {"tls.handshake_too_large", "A handshake message (or the buffered handshake bytes) is over 64 KiB; the direction is given up."},
    {"tls.malformed_certificate", "A Certificate message (RFC 5246 §7.4.2) whose certificate list or first certificate runs past the message, or whose first certificate is empty; no certificate facts, the server direction is done."},
    {"tls.malformed_client_hello", "A ClientHello's lengths overrun; the SNI (if read) is kept, version/ALPN/fingerprints are not emitted, and the client direction is done."},
    {"tls.malformed_server_hello", "A ServerHello is cut short before its extensions (the direction is given up), or its extensions overrun (the version read so far is still reported)."},
    {"tls.undecodable_certificate", "OpenSSL refused the DER of the sender's first certificate; no certificate facts are reported and the server direction is done."},
};

// RFC 8446 §5.1: content types; §4: handshake types.
enum : std::uint8_t { kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23, kHeartbeat = 24 };
enum : std::uint8_t { kClientHello = 1, kServerHello = 2, kCertificate = 11, kServerHelloDone = 14 };
constexpr std::size_t kMaxRecord = 16384 + 2048;  // RFC 5246 §6.2.3: TLSCiphertext.length limit
constexpr std::size_t kMaxHandshakeBytes = 64 * 1024;
// RFC 8701: GREASE values are 0x?a?a with both bytes equal; fingerprints ignore them.
bool is_grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

std::string version_name(std::uint16_t v) {
  switch (v) {
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%04x", v);
      return buf;
    }
  }
}

// Four lower-case hex digits (JA4's lists; snprintf here was a measurable share of the TLS parser).
void append_hex4(std::string& out, std::uint16_t v) {
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHexDigits[(v >> shift) & 0xf]);
}

// Given EVP_md5()/EVP_sha256(), OpenSSL 3 looks the implementation up in its provider tables on every
// EVP_Digest call; fetched once per parser, the digests cost only the hashing (that lookup was most of JA4's
// measured cost). A null digest (e.g. MD5 under a FIPS provider) leaves the fingerprint out.
class Digests {
 public:
  Digests() : md5_(EVP_MD_fetch(nullptr, "MD5", nullptr)), sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}
  ~Digests() {
    EVP_MD_free(md5_);
    EVP_MD_free(sha256_);
  }
  Digests(const Digests&) = delete;
  Digests& operator=(const Digests&) = delete;
  [[nodiscard]] const EVP_MD* md5() const { return md5_; }
  [[nodiscard]] const EVP_MD* sha256() const { return sha256_; }

 private:
  EVP_MD* md5_;
  EVP_MD* sha256_;
};

// Lower-case hex digest of `text` (MD5 for JA3, SHA-256 for JA4), or "" if OpenSSL fails.
std::string digest_hex(std::string_view text, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(text.data(), text.size(), out, &len, md, nullptr) != 1) return {};
  return hex(Bytes(out, len));
}

// A hello's lists live on the stack up to these sizes (browsers send ~16 ciphers and ~16 extensions; a
// longer list spills to the heap): parsing a hello allocated ten times, a third of the packet path's mallocs.
template <typename T, std::size_t N>
using HelloList = absl::InlinedVector<T, N>;
using U16List = HelloList<std::uint16_t, 64>;

// Appends the decimal values of `v`, '-'-joined (JA3's lists).
template <typename T>
void append_dec_list(std::string& out, std::span<const T> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += '-';
    char buf[8];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v[i]);
    out.append(buf, end);
  }
}
std::string join_hex(std::span<const std::uint16_t> v) {
  std::string out;
  out.reserve(v.size() * 5);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    append_hex4(out, v[i]);
  }
  return out;
}

struct ClientHello {
  std::uint16_t legacy_version = 0;
  U16List ciphers, extensions, groups, sig_algs, versions;  // GREASE removed
  HelloList<std::uint8_t, 8> point_formats;
  std::string sni;
  bool has_sni = false;
  HelloList<std::string, 4> alpn;  // raw protocol names
};

// RFC 8446 §4.1.2 (same layout as RFC 5246 §7.4.1.2). Returns false if the message is malformed.
bool parse_client_hello(Bytes body, ClientHello& ch) {
  ByteReader r(body);
  ch.legacy_version = r.u16be();
  r.skip(32);                 // random
  r.skip(r.u8());             // legacy_session_id
  ByteReader cs = r.sub(r.u16be());
  while (cs.ok() && cs.remaining() >= 2) {
    const std::uint16_t c = cs.u16be();
    if (!is_grease(c)) ch.ciphers.push_back(c);
  }
  r.skip(r.u8());  // legacy_compression_methods
  if (!r.ok()) return false;
  if (r.empty()) return true;  // no extensions (SSL 3.0-style hello)
  ByteReader exts = r.sub(r.u16be());
  if (!r.ok()) return false;
  while (exts.remaining() >= 4) {
    const std::uint16_t type = exts.u16be();
    ByteReader e = exts.sub(exts.u16be());
    if (!exts.ok()) return false;
    if (!is_grease(type)) ch.extensions.push_back(type);
    switch (type) {
      case 0: {  // server_name, RFC 6066 §3
        ch.has_sni = true;
        ByteReader list = e.sub(e.u16be());
        while (list.ok() && list.remaining() >= 3) {
          const std::uint8_t name_type = list.u8();
          const std::string_view name = list.text(list.u16be());
          if (list.ok() && name_type == 0 && ch.sni.empty()) ch.sni = std::string(name);
        }
        break;
      }
      case 10: {  // supported_groups, RFC 8422 §5.1.1
        ByteReader l = e.sub(e.u16be());
        while (l.ok() && l.remaining() >= 2) {
          const std::uint16_t g = l.u16be();
          if (!is_grease(g)) ch.groups.push_back(g);
        }
        break;
      }
      case 11: {  // ec_point_formats, RFC 8422 §5.1.2
        ByteReader l = e.sub(e.u8());
        while (l.ok() && !l.empty()) ch.point_formats.push_back(l.u8());
        break;
      }
      case 13: {  // signature_algorithms, RFC 8446 §4.2.3
        ByteReader l = e.sub(e.u16be());
        while (l.ok() && l.remaining() >= 2) {
          const std::uint16_t s = l.u16be();
          if (!is_grease(s)) ch.sig_algs.push_back(s);
        }
        break;
      }
      case 16: {  // application_layer_protocol_negotiation, RFC 7301 §3.1
        ByteReader l = e.sub(e.u16be());
        while (l.ok() && !l.empty() && ch.alpn.size() < 16) {
          const std::string_view p = l.text(l.u8());
          if (l.ok()) ch.alpn.emplace_back(p);
        }
        break;
      }
      case 43: {  // supported_versions, RFC 8446 §4.2.1
        ByteReader l = e.sub(e.u8());
        while (l.ok() && l.remaining() >= 2) {
          const std::uint16_t v = l.u16be();
          if (!is_grease(v)) ch.versions.push_back(v);
        }
        break;
      }
      default: break;
    }
  }
  return true;
}

// JA3: "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats", decimal, '-'-joined,
// GREASE removed (salesforce/ja3 README).
std::string ja3_string(const ClientHello& ch) {
  std::string out;
  out.reserve(16 + 6 * (ch.ciphers.size() + ch.extensions.size() + ch.groups.size() + ch.point_formats.size()));
  append_dec_list(out, std::span<const std::uint16_t>(&ch.legacy_version, 1));
  for (std::span<const std::uint16_t> list : {std::span<const std::uint16_t>(ch.ciphers),
                                              std::span<const std::uint16_t>(ch.extensions),
                                              std::span<const std::uint16_t>(ch.groups)}) {
    out += ',';
    append_dec_list(out, list);
  }
  out += ',';
  append_dec_list(out, std::span<const std::uint8_t>(ch.point_formats));
  return out;
}

bool alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// JA4 (FoxIO spec, "JA4: TLS Client Fingerprint"): a_b_c with
//   a = protocol 't' + version + 'd'/'i' (SNI present) + 2-digit cipher count + 2-digit extension count +
//       first and last character of the first ALPN value;
//   b = first 12 hex of SHA-256 over the sorted cipher list ("%04x", comma-joined);
//   c = first 12 hex of SHA-256 over the sorted extensions without SNI and ALPN, '_', signature algorithms in
//       the order sent. GREASE is ignored throughout.
std::string ja4(const ClientHello& ch, const EVP_MD* sha256) {
  std::uint16_t version = ch.legacy_version;
  if (!ch.versions.empty()) version = *std::max_element(ch.versions.begin(), ch.versions.end());
  std::string v;
  switch (version) {
    case 0x0304: v = "13"; break;
    case 0x0303: v = "12"; break;
    case 0x0302: v = "11"; break;
    case 0x0301: v = "10"; break;
    case 0x0300: v = "s3"; break;
    case 0x0002: v = "s2"; break;
    case 0xfeff: v = "d1"; break;
    case 0xfefd: v = "d2"; break;
    case 0xfefc: v = "d3"; break;
    default: v = "00"; break;
  }
  char counts[8];
  std::snprintf(counts, sizeof counts, "%02zu%02zu", std::min<std::size_t>(ch.ciphers.size(), 99),
                std::min<std::size_t>(ch.extensions.size(), 99));
  std::string alpn = "00";
  if (!ch.alpn.empty() && !ch.alpn[0].empty()) {
    const std::string& first = ch.alpn[0];
    const auto f = static_cast<unsigned char>(first.front());
    const auto l = static_cast<unsigned char>(first.back());
    if (alnum(f) && alnum(l)) {
      alpn = {static_cast<char>(f), static_cast<char>(l)};
    } else {
      alpn = {kHexDigits[f >> 4], kHexDigits[l & 0xf]};
    }
  }
  const std::string a = "t" + v + (ch.has_sni ? "d" : "i") + counts + alpn;

  auto trunc_sha = [sha256](const std::string& s) {
    const std::string d = digest_hex(s, sha256);
    return d.size() >= 12 ? d.substr(0, 12) : std::string("000000000000");
  };
  U16List ciphers = ch.ciphers;
  std::sort(ciphers.begin(), ciphers.end());
  const std::string b = ciphers.empty() ? "000000000000" : trunc_sha(join_hex(ciphers));

  U16List exts;
  for (std::uint16_t e : ch.extensions) {
    if (e != 0x0000 && e != 0x0010) exts.push_back(e);
  }
  std::sort(exts.begin(), exts.end());
  std::string c_in = join_hex(exts);
  if (!ch.sig_algs.empty()) c_in += "_" + join_hex(ch.sig_algs);
  const std::string c = exts.empty() && ch.sig_algs.empty() ? "000000000000" : trunc_sha(c_in);
  return a + "_" + b + "_" + c;
}

// An X509_NAME entry as printable UTF-8 ("" if absent).
std::string name_entry(const X509_NAME* name, int nid) {
  if (name == nullptr) return {};
  const int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  if (data == nullptr) return {};
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0 || utf8 == nullptr) return {};
  std::string out = printable(std::string_view(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len)));
  OPENSSL_free(utf8);
  return out;
}

std::string asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Decoding X.509 with OpenSSL 3 costs tens of microseconds (it decodes the public key too) and hashing a
// ClientHello into JA3/JA4 a few: the same server certificate and the same client library come back on every
// connection, so the facts of the last few distinct inputs are remembered, matched on their exact bytes.
struct TlsMemos {
  RecentMemo<FactList> certificates;  // keyed by the certificate's DER
  RecentMemo<FactList> hellos;        // keyed by hello_key()
};

// Every ClientHello field its facts are derived from (not the random, session id, key shares or SNI), each
// list preceded by its length: equal keys give equal version, ALPN, JA3 and JA4 facts.
std::vector<std::uint8_t> hello_key(const ClientHello& ch) {
  std::vector<std::uint8_t> key;
  key.reserve(64 + 2 * (ch.ciphers.size() + ch.extensions.size() + ch.groups.size() + ch.sig_algs.size()));
  auto u16 = [&key](std::size_t v) {
    key.push_back(static_cast<std::uint8_t>(v >> 8));
    key.push_back(static_cast<std::uint8_t>(v));
  };
  auto list = [&](const auto& values) {
    u16(values.size());
    for (auto v : values) u16(v);
  };
  u16(ch.legacy_version);
  key.push_back(ch.has_sni ? 1 : 0);
  list(ch.ciphers);
  list(ch.extensions);
  list(ch.groups);
  list(ch.sig_algs);
  list(ch.versions);
  list(ch.point_formats);
  u16(ch.alpn.size());
  for (const std::string& p : ch.alpn) {
    u16(p.size());
    key.insert(key.end(), p.begin(), p.end());
  }
  return key;
}

class TlsSession final : public StreamSession {
 public:
  TlsSession(const StreamMeta& meta, TlsMemos& memos, const Digests& digests)
      : meta_(meta), memos_(memos), digests_(digests) {}

  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Dir& d = dirs_[static_cast<int>(dir)];
    if (!d.done) consumed = read_records(dir, d, data, sink);
    if (d.done) consumed = data.size();  // nothing more to learn from this direction: drop it
    if (dirs_[0].done && dirs_[1].done) return ParseStatus::done;
    return ParseStatus::need_more;
  }

 private:
  struct Dir {
    std::vector<std::uint8_t> hs;  // handshake bytes not yet forming a whole message
    bool done = false;
  };

  // Walks whole TLS records (RFC 5246 §6.2.1: type, version, 16-bit length). Returns the bytes consumed;
  // a record split over TCP segments stays in the follower's buffer until it is complete.
  std::size_t read_records(StreamDir dir, Dir& d, Bytes data, ObservationSink& sink) {
    ByteReader r(data);
    while (!d.done && r.remaining() >= 5) {
      const std::uint8_t type = r.peek_u8(0);
      const std::uint8_t major = r.peek_u8(1);
      const std::size_t len = (std::size_t{r.peek_u8(3)} << 8) | r.peek_u8(4);
      if (type < kChangeCipherSpec || type > kHeartbeat || major != 3 || len > kMaxRecord) {
        sink.anomaly("tls.bad_record_header");
        d.done = true;
        break;
      }
      if (r.remaining() < 5 + len) break;  // wait for the rest of the record
      r.skip(5);
      const Bytes fragment = r.bytes(len);
      switch (type) {
        case kHandshake:
          if (d.hs.size() + fragment.size() > kMaxHandshakeBytes) {
            sink.anomaly("tls.handshake_too_large");
            d.done = true;
            break;
          }
          d.hs.insert(d.hs.end(), fragment.begin(), fragment.end());
          read_handshakes(dir, d, sink);
          break;
        case kChangeCipherSpec:
        case kApplicationData: d.done = true; break;  // encrypted from here on (RFC 5246 §7.1)
        default: break;                               // alerts, heartbeats
      }
    }
    return r.position();
  }

  // Handshake messages (RFC 8446 §4: type, 24-bit length, body) may span records and records may hold
  // several messages.
  void read_handshakes(StreamDir dir, Dir& d, ObservationSink& sink) {
    std::size_t pos = 0;
    while (!d.done && d.hs.size() - pos >= 4) {
      const std::uint8_t type = d.hs[pos];
      const std::size_t len = (std::size_t{d.hs[pos + 1]} << 16) | (std::size_t{d.hs[pos + 2]} << 8) | d.hs[pos + 3];
      if (len > kMaxHandshakeBytes) {
        sink.anomaly("tls.handshake_too_large");
        d.done = true;
        break;
      }
      if (d.hs.size() - pos - 4 < len) break;
      const Bytes body = Bytes(d.hs).subspan(pos + 4, len);
      pos += 4 + len;
      handshake(dir, d, type, body, sink);
    }
    d.hs.erase(d.hs.begin(), d.hs.begin() + static_cast<std::ptrdiff_t>(std::min(pos, d.hs.size())));
  }

  void handshake(StreamDir dir, Dir& d, std::uint8_t type, Bytes body, ObservationSink& sink) {
    if (dir == StreamDir::to_server) {
      if (type != kClientHello) return;
      ClientHello ch;
      const bool whole = parse_client_hello(body, ch);
      if (!whole) sink.anomaly("tls.malformed_client_hello");
      emit_client_hello(ch, whole, sink);
      // Later client messages (Finished, TLS 1.2 client certificates) are not needed: stop buffering.
      d.done = true;
      return;
    }
    switch (type) {
      case kServerHello: server_hello(d, body, sink); break;
      case kCertificate:
        certificate(body, sink);
        d.done = true;
        break;
      case kServerHelloDone: d.done = true; break;  // no certificate was sent (anonymous or PSK suites)
      default: break;
    }
  }

  void emit_service(Party server, ObservationSink& sink) {
    // DICOM or HL7 over TLS: a server endpoint on which a DICOM association was accepted, or HL7 messages
    // seen, earlier (the DICOM or HL7 parser tagged it). The dicom-tls port 2762 alone decides nothing: a port orders probes, never proves a
    // protocol; a rule weighs it as port evidence (fingerprints/rules/generic.json).
    if (service_emitted_) return;
    if (meta_.server_service == "dicom") {
      sink.observe(server, "tls.dicom", "true");
      service_emitted_ = true;
    } else if (meta_.server_service == "hl7") {
      sink.observe(server, "tls.hl7", "true");
      service_emitted_ = true;
    }
  }

  // A hello that overran its own lengths still names its server, but its fingerprints would describe
  // whatever was read before the overrun: they are only computed over a well-formed hello.
  void emit_client_hello(const ClientHello& ch, bool whole, ObservationSink& sink) {
    // The SNI names the server being asked for: a fact about the receiver.
    if (!ch.sni.empty()) sink.observe(Party::receiver, "tls.sni", printable(ch.sni));
    emit_service(Party::receiver, sink);
    if (!whole) return;
    const std::vector<std::uint8_t> key = hello_key(ch);
    if (const FactList* known = memos_.hellos.find(key)) {
      for (const auto& [name, value] : *known) sink.observe(Party::sender, name, value);
      return;
    }
    FactList facts = client_hello_facts(ch);
    for (const auto& [name, value] : facts) sink.observe(Party::sender, name, value);
    memos_.hellos.insert(key, std::move(facts));
  }

  // The client's facts a hello gives (its SNI aside): versions, ALPN, JA3 and JA4.
  FactList client_hello_facts(const ClientHello& ch) const {
    FactList facts;
    facts.emplace_back("tls.client_version", version_name(ch.legacy_version));
    if (!ch.versions.empty()) {
      std::string list;
      for (std::uint16_t v : ch.versions) list += (list.empty() ? "" : ",") + version_name(v);
      facts.emplace_back("tls.supported_versions", std::move(list));
    }
    if (!ch.alpn.empty()) {
      std::string list;
      for (const auto& p : ch.alpn) list += (list.empty() ? "" : ",") + p;
      facts.emplace_back("tls.alpn", printable(list));
    }
    std::string ja3 = digest_hex(ja3_string(ch), digests_.md5());
    if (!ja3.empty()) facts.emplace_back("tls.ja3", std::move(ja3));
    facts.emplace_back("tls.ja4", ja4(ch, digests_.sha256()));
    return facts;
  }

  // RFC 8446 §4.1.3: the selected version is legacy_version unless supported_versions (43) says otherwise.
  void server_hello(Dir& d, Bytes body, ObservationSink& sink) {
    ByteReader r(body);
    std::uint16_t version = r.u16be();
    r.skip(32);
    r.skip(r.u8());
    r.skip(2 + 1);  // cipher_suite, legacy_compression_method
    if (!r.ok()) {
      sink.anomaly("tls.malformed_server_hello");
      d.done = true;
      return;
    }
    if (r.remaining() >= 2) {
      ByteReader exts = r.sub(r.u16be());
      while (exts.ok() && exts.remaining() >= 4) {
        const std::uint16_t type = exts.u16be();
        ByteReader e = exts.sub(exts.u16be());
        if (type == 43 && e.remaining() == 2) version = e.u16be();
      }
      if (!r.ok() || !exts.ok()) sink.anomaly("tls.malformed_server_hello");
    }
    sink.observe(Party::sender, "tls.server_version", version_name(version));
    emit_service(Party::sender, sink);
    if (version == 0x0304) d.done = true;  // TLS 1.3: the rest of the handshake is encrypted
  }

  // RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>; the sender's own certificate
  // comes first.
  void certificate(Bytes body, ObservationSink& sink) {
    ByteReader r(body);
    ByteReader list = r.sub(r.u24be());
    const std::uint32_t len = list.u24be();
    const Bytes der = list.bytes(len);
    if (!list.ok() || len == 0) {
      sink.anomaly("tls.malformed_certificate");
      return;
    }
    if (const FactList* known = memos_.certificates.find(der)) {
      for (const auto& [key, value] : *known) sink.observe(Party::sender, key, value);
      return;
    }
    FactList facts;
    if (!decode_certificate(der, facts)) {
      sink.anomaly("tls.undecodable_certificate");
      return;
    }
    for (const auto& [key, value] : facts) sink.observe(Party::sender, key, value);
    memos_.certificates.insert(der, std::move(facts));
  }

  static bool decode_certificate(Bytes der, FactList& facts) {
    const unsigned char* p = der.data();
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (cert == nullptr) return false;
    const X509_NAME* subject = X509_get_subject_name(cert);
    const X509_NAME* issuer = X509_get_issuer_name(cert);
    auto fact = [&](std::string_view key, std::string value) {
      if (!value.empty()) facts.emplace_back(key, std::move(value));
    };
    fact("tls.cert.subject_cn", name_entry(subject, NID_commonName));
    fact("tls.cert.subject_o", name_entry(subject, NID_organizationName));
    fact("tls.cert.issuer_cn", name_entry(issuer, NID_commonName));
    fact("tls.cert.issuer_o", name_entry(issuer, NID_organizationName));
    fact("tls.cert.not_before", asn1_time(X509_get0_notBefore(cert)));
    fact("tls.cert.not_after", asn1_time(X509_get0_notAfter(cert)));
    // Issuer equals subject (and the key identifiers agree); the signature is not verified, which would
    // cost a public-key operation per stream for little identification value.
    fact("tls.cert.self_signed", X509_self_signed(cert, 0) == 1 ? "true" : "false");
    X509_free(cert);
    return true;
  }

  StreamMeta meta_;
  TlsMemos& memos_;
  const Digests& digests_;
  std::array<Dir, 2> dirs_{};
  bool service_emitted_ = false;
};

class TlsParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // A handshake record (type 22, version 3.x, sane length) whose first message is a ClientHello or a
  // ServerHello (RFC 8446 §5.1, §4).
  bool probe(StreamDir, Bytes b) const override {
    if (b.size() < 6) return false;
    const std::size_t len = (std::size_t{b[3]} << 8) | b[4];
    return b[0] == kHandshake && b[1] == 3 && b[2] <= 4 && len >= 4 && len <= kMaxRecord &&
           (b[5] == kClientHello || b[5] == kServerHello);
  }

  std::unique_ptr<StreamSession> open(const StreamMeta& meta) const override {
    return std::make_unique<TlsSession>(meta, memos_, digests_);
  }

 private:
  ParserSpec spec_{"tls", Transport::tcp, kPorts, kFacts, kAnomalies};
  mutable TlsMemos memos_;  // per registry, single-threaded like the pipeline that owns it
  Digests digests_;
};

}  // namespace

void register_parser_tls(ParserRegistry& registry) { registry.add(std::make_unique<TlsParser>()); }

}  // namespace ww
