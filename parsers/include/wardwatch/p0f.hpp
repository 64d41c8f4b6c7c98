// p0f v3 TCP/IP stack fingerprints: the signature of a SYN or SYN+ACK (p0f 3.09b's raw_sig format), the
// p0f.fp database reader and p0f's matching rules (fp_tcp.c tcp_find_match). Private to the "tcp" parser
// (parsers/tcp_fingerprint.cpp); declared here so tests can drive signature building, the database reader
// and the matcher on their own. See docs/protocols/tcp_fingerprint.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wardwatch/parser.hpp"

namespace ww::p0f {

inline constexpr int kMaxDist = 35;                 // p0f config.h MAX_DIST: farthest non-fuzzy TTL distance
inline constexpr std::size_t kMaxTcpOptions = 24;   // p0f config.h MAX_TCP_OPT
inline constexpr std::uint16_t kSendsynMss = 1331;  // p0f config.h SPECIAL_MSS (p0f-sendsyn probes)

// Quirk bits, in the order p0f prints them.
namespace quirk {
inline constexpr std::uint32_t df = 1u << 0;           // IPv4 DF set
inline constexpr std::uint32_t nz_id = 1u << 1;        // id+: DF set but IP ID non-zero
inline constexpr std::uint32_t zero_id = 1u << 2;      // id-: DF not set but IP ID zero
inline constexpr std::uint32_t ecn = 1u << 3;          // ECN in IP TOS/traffic class or TCP ECE/CWR
inline constexpr std::uint32_t nz_mbz = 1u << 4;       // 0+: IPv4 "must be zero" flag set
inline constexpr std::uint32_t flow = 1u << 5;         // non-zero IPv6 flow label
inline constexpr std::uint32_t zero_seq = 1u << 6;     // seq-
inline constexpr std::uint32_t nz_ack = 1u << 7;       // ack+
inline constexpr std::uint32_t zero_ack = 1u << 8;     // ack-
inline constexpr std::uint32_t nz_urg = 1u << 9;       // uptr+
inline constexpr std::uint32_t urg = 1u << 10;         // urgf+
inline constexpr std::uint32_t push = 1u << 11;        // pushf+
inline constexpr std::uint32_t ts1_zero = 1u << 12;    // ts1-
inline constexpr std::uint32_t ts2_nz = 1u << 13;      // ts2+
inline constexpr std::uint32_t opt_eol_nz = 1u << 14;  // opt+
inline constexpr std::uint32_t exws = 1u << 15;        // window scale > 14
inline constexpr std::uint32_t bad = 1u << 16;         // malformed TCP options
}  // namespace quirk

enum class WinType : std::uint8_t { normal, any, mod, mss, mtu };

// One TCP signature: an observed packet's (ip_ver 4/6, ttl = observed TTL) or a database line's (ip_ver may
// be -1 for '*', ttl = initial TTL; -1 in mss/wscale/pay_class is the '*' wildcard).
struct TcpSig {
  int ip_ver = 4;
  int ttl = 0;
  bool bad_ttl = false;  // database "64-": the tool randomises TTLs
  int ip_opt_len = 0;
  int mss = 0;
  WinType win_type = WinType::normal;
  int win = 0;
  int wscale = 0;
  std::array<std::uint8_t, kMaxTcpOptions> olayout{};  // option kinds in wire order
  std::uint8_t opt_cnt = 0;
  int eol_pad = 0;
  std::uint32_t quirks = 0;
  int pay_class = 0;
  // Observed packets only.
  bool syn_ack = false;
  std::uint32_t ts1 = 0;  // own timestamp
  int tot_hdr = 0;        // IP header + TCP header bytes
};

// The signature of a Transport::tcp_handshake packet (`options` = the raw TCP option bytes), computed as
// p0f 3.09b's process.c does. Never throws.
TcpSig observe(const PacketMeta& meta, Bytes options);

// p0f's guess of the hop distance from an observed TTL (initial TTL 32, 64, 128 or 255).
int guess_distance(int ttl);

// The raw signature, byte-for-byte p0f 3.09b's raw_sig (fp_tcp.c dump_sig): ver:ittl:olen:mss:wsize,scale:
// olayout:quirks:pclass. `peer_mss` is the MSS of the SYN a SYN+ACK answers (0 when unknown).
std::string raw_signature(const TcpSig& s, std::uint16_t peer_mss = 0);

struct Label {
  bool generic = false;  // "g:" — considered only when no specific signature matches
  int class_id = -1;     // index into Database::classes(); -1 for '!' (a userland tool, not an OS)
  std::string name, flavor;
  [[nodiscard]] std::string display() const { return flavor.empty() ? name : name + " " + flavor; }
};

struct DbSig {
  TcpSig sig;
  std::uint32_t label = 0;  // index into Database::labels()
  std::uint32_t line = 0;   // line number in the file
};

struct Match {
  const Label* label = nullptr;  // nullptr: no match
  const DbSig* sig = nullptr;
  bool fuzzy = false;
  int distance = 0;  // hops (meaningless when the matched signature has bad_ttl)
  [[nodiscard]] bool bad_ttl() const { return sig != nullptr && sig->sig.bad_ttl; }
};

// An immutable, parsed p0f.fp. Only [tcp:request] and [tcp:response] are kept; [mtu] and [http:*] sections
// are skipped. A malformed line is skipped and recorded as an error naming the line; it never aborts the
// load. Building may allocate and use exceptions internally; match() neither throws nor allocates.
class Database {
 public:
  Database() = default;
  static Database from_text(std::string_view text);
  // A missing or unreadable file yields an empty database with loaded() == false.
  static Database from_file(const std::string& path);

  [[nodiscard]] bool loaded() const { return loaded_; }
  [[nodiscard]] std::size_t signature_count() const { return sigs_.size(); }
  [[nodiscard]] std::size_t error_count() const { return errors_.size(); }
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }  // "line N: why"
  [[nodiscard]] const std::vector<std::string>& classes() const { return classes_; }
  [[nodiscard]] const std::vector<Label>& labels() const { return labels_; }
  [[nodiscard]] std::string_view class_name(int class_id) const;

  // p0f's tcp_find_match for an observed SYN (request signatures) or SYN+ACK (response signatures).
  [[nodiscard]] Match match(const TcpSig& observed, std::uint16_t peer_mss = 0) const;

 private:
  struct Bucket {
    std::array<std::uint8_t, kMaxTcpOptions> olayout{};
    std::uint8_t opt_cnt = 0;
    std::vector<std::uint32_t> sigs;  // indices into sigs_, in file order
  };
  class Loader;
  // dupe_check: p0f's check that a new line is not already covered by an earlier one.
  Match find(const TcpSig& ts, bool to_server, bool dupe_check, std::uint16_t peer_mss) const;
  const Bucket* bucket(const TcpSig& ts, bool to_server) const;

  bool loaded_ = false;
  std::vector<std::string> classes_;
  std::vector<Label> labels_;
  std::vector<DbSig> sigs_;
  std::vector<Bucket> buckets_[2];  // [0] response (SYN+ACK), [1] request (SYN)
  std::vector<std::string> errors_;
};

}  // namespace ww::p0f
