// The declared vocabulary: every observation key and every anomaly a parser may emit is an entry with its
// type, the party it is about, where on the wire it comes from and an example — as Wireshark registers its
// hf_/ei_ fields (epan/dissectors/packet-hl7.c) and Suricata declares its app-layer events
// (rust/src/dhcp/dhcp.rs). The sink of a strict build rejects anything undeclared, the rule loader rejects a
// rule that tests an unknown fact, and docs/observations.md is generated from these declarations.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ww {

// What a value holds. Values are always text on the wire of the sink; the type says how to read it.
enum class FactType : std::uint8_t {
  text,     // a name, a description, a banner
  number,   // a decimal integer
  address,  // an IPv4/IPv6 or MAC address
  list,     // comma-separated values, in the order the wire had them
  hex,      // bytes as lower-case hex, or a digest
  flag,     // true / false
  code,     // a name from a closed set (a message type, a role, a status)
  id,       // an identifier: an OID, a UID, a DUID, an enterprise number, a serial
};
std::string_view fact_type_name(FactType t);

struct FactDecl {
  std::string_view key;      // "<protocol>.<field>"; a key ending in ".*" declares every key with that prefix
  FactType type = FactType::text;
  std::string_view about;    // the party it is attached to ("" = the sender of the message)
  std::string_view from;     // the field of the protocol it is read from, with its specification
  std::string_view example;  // a value as stored
};

struct AnomalyDecl {
  std::string_view name;         // "<protocol>.<what>"
  std::string_view description;  // what in the input makes it, and what the parser then does
};

// Every declaration of a set of parsers (and of the pipeline itself), looked up by key. Holds views of the
// declarations, which are constants with static storage in each parser file.
class Vocabulary {
 public:
  // Adds `facts` and `anomalies` declared by the parser `owner` (a file or protocol name, for the docs).
  void declare(std::string_view owner, std::span<const FactDecl> facts, std::span<const AnomalyDecl> anomalies);

  // The declaration of `key` (exact, else the longest ".*" prefix that covers it), or nullptr.
  [[nodiscard]] const FactDecl* fact(std::string_view key) const;
  [[nodiscard]] bool declares_anomaly(std::string_view name) const;
  // The declared key nearest to `key` by edit distance (for "unknown fact 'dhcp.vendorclass', did you mean
  // 'dhcp.vendor_class'?").
  [[nodiscard]] std::string nearest_fact(std::string_view key) const;

  struct Owned {
    std::string_view owner;
    std::span<const FactDecl> facts;
    std::span<const AnomalyDecl> anomalies;
  };
  [[nodiscard]] const std::vector<Owned>& owners() const { return owners_; }

 private:
  std::vector<Owned> owners_;
  std::unordered_map<std::string_view, const FactDecl*> exact_;
  std::vector<const FactDecl*> prefixes_;
  std::unordered_map<std::string_view, const AnomalyDecl*> anomalies_;
};

// Whether this build rejects undeclared keys and anomalies at the sink (development, CI, fuzzing and test
// builds: CMake's WARDWATCH_STRICT_VOCABULARY): the process stops naming the key, so every test, golden
// capture and fuzz run checks the declarations. A user's build does not look keys up on the packet path.
#ifdef WARDWATCH_STRICT_VOCABULARY
inline constexpr bool kStrictVocabulary = true;
#else
inline constexpr bool kStrictVocabulary = false;
#endif

}  // namespace ww
