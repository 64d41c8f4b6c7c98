// The resolved inventory that every exporter consumes: one entry per device, plain data, stable order.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/findings.hpp"
#include "model/flood.hpp"

namespace ww {

struct AddressView {
  std::string ip;
  std::int64_t first_us = 0, last_us = 0;
  std::vector<std::string> sources;  // "arp", "ndp", "dhcp", "traffic"
};

struct ServiceView {
  std::string proto;  // "tcp" | "udp"
  std::uint16_t port = 0;
  std::int64_t first_us = 0, last_us = 0;
  std::uint64_t count = 0;
};

// One conversation of a device: the TCP/UDP traffic it exchanged with one peer address on one service
// (transport and server port), in one role, summed over its flows (docs/output.md, "conversations").
struct ConversationView {
  std::string peer;        // the peer's address
  std::string proto;       // "tcp" | "udp" ("" when carried over from a schema-4 database: peer only)
  std::uint16_t port = 0;  // the service: the server's port
  std::string role;        // this device's: "client" | "server" ("" as proto)
  std::string app;         // the application protocol a parser recognised ("dicom", "hl7", ...), "" none
  std::int64_t first_us = 0, last_us = 0;
  std::uint64_t packets_sent = 0, packets_received = 0, bytes_sent = 0, bytes_received = 0;
};

struct ObservationView {
  std::string key, value;
  std::int64_t first_us = 0, last_us = 0;
  std::uint64_t count = 0;
};

// One rule's contribution to a claim, with the observed facts that satisfied it.
struct RuleEvidence {
  std::string rule_id;
  double weight = 0;
  bool specific = false;
  std::string source;
  std::vector<std::string> facts;  // "key=value"
};

struct ClaimEvidence {
  std::string attribute, value;
  double score = 0;
  std::vector<RuleEvidence> rules;
};

struct Contradiction {
  std::string attribute;
  std::vector<std::string> values;
};

// What the fingerprint engine concluded about a device, and why (docs/fingerprints.md).
struct Classification {
  std::string category = "unknown";
  std::map<std::string, std::string> attributes;  // device_type, vendor, model, firmware, os, modality, role, software
  double confidence = 0;
  // What the category rests on (docs/fingerprints.md, "Confidence"): "none" (unknown), "weak" (one generic
  // rule, or one rule under 0.5: one weak fact), "contested" (another category was claimed too, or two strong
  // rules disagree), "strong" (several rules agree, or one specific rule of 0.5 or more, unopposed).
  std::string basis = "none";
  std::vector<ClaimEvidence> evidence;      // the winning value of each attribute
  std::vector<ClaimEvidence> alternatives;  // the values that lost
  std::vector<Contradiction> contradictions;
  // Set by the classifier: the device's raw signatures are listed with its classification, for writing
  // rules (raw_signatures_of, below). Derived when written rather than copied here: at 100,000 devices the
  // copies held 36 MiB at the peak of `read --db --json` (docs/performance.md).
  bool lists_raw_signatures = false;
};

struct CrownJewel {
  std::string kind;
  std::vector<std::string> reasons;
  std::vector<std::string> rules;
};

// An agent whose rows make a device (an inventory read from the central store, docs/central.md).
struct SeenBy {
  std::string agent_id, site;
  bool operator==(const SeenBy&) const = default;
};

struct AssetView {
  std::string id;                 // "mac:aa:bb:cc:dd:ee:ff" or "ip:10.0.0.5"
  std::optional<std::string> mac;
  std::vector<AddressView> addresses;
  std::optional<std::string> vendor;
  std::optional<std::string> oui_registry;  // MA-L, MA-M, MA-S, IAB
  bool locally_administered = false;
  bool beyond_router = false;  // an IP-keyed host seen only through a router's MAC
  bool router = false;         // a MAC carrying traffic of several foreign IPs
  std::int64_t first_us = 0, last_us = 0;
  std::uint64_t packets_sent = 0, packets_received = 0, bytes_sent = 0, bytes_received = 0;
  std::vector<std::uint16_t> vlans;
  std::vector<SeenBy> seen_by;  // the central store's agents that saw it (empty in an agent's own inventory)
  std::vector<ServiceView> offered, used;
  std::uint64_t peer_count = 0;               // distinct peer addresses among the conversations
  std::vector<ConversationView> conversations;  // by (peer, proto, port, role)
  std::vector<ObservationView> observations;
  Classification classification;
  std::optional<CrownJewel> crown_jewel;
};

// The observation keys a classification lists as raw signatures (docs/fingerprints.md), in sorted order: the
// order they are written in.
inline constexpr std::array<std::string_view, 8> kRawSignatureKeys = {"dhcp.parameter_request_list",
                                                                      "dhcp.vendor_class",
                                                                      "dhcpv6.option_request",
                                                                      "http.user_agent",
                                                                      "tcp.syn_signature",
                                                                      "tcp.synack_signature",
                                                                      "tls.ja3",
                                                                      "tls.ja4"};
static_assert(std::is_sorted(kRawSignatureKeys.begin(), kRawSignatureKeys.end()));

// A classified device's raw signatures: each key of kRawSignatureKeys it has observations of, with their
// values in the observations' order. Views into `a`; empty unless the classifier listed them.
using RawSignatures = std::vector<std::pair<std::string_view, std::vector<std::string_view>>>;
inline RawSignatures raw_signatures_of(const AssetView& a) {
  RawSignatures out;
  if (!a.classification.lists_raw_signatures) return out;
  for (const std::string_view key : kRawSignatureKeys) {
    std::vector<std::string_view> values;
    for (const ObservationView& o : a.observations) {
      if (o.key == key) values.emplace_back(o.value);
    }
    if (!values.empty()) out.emplace_back(key, std::move(values));
  }
  return out;
}

struct SourceView {
  std::string path, name, format, linktype;
  std::string agent_id, site;  // the agent that read it (an inventory read from the central store)
  std::uint64_t packets = 0, bytes = 0;
  std::int64_t first_us = 0, last_us = 0;
  bool truncated = false;
};

struct RulesInfo {
  std::string version;  // "sha256:..." of the rule files
  std::size_t count = 0;
};

// Categories of medical devices (docs/fingerprints.md): the devices a hospital's medical-device inventory lists.
inline bool is_medical_category(std::string_view category) {
  return category == "medical-imaging" || category == "patient-monitoring" || category == "infusion" ||
         category == "laboratory";
}

struct Inventory {
  std::vector<SourceView> sources;
  RulesInfo rules;
  std::map<std::string, std::uint64_t, std::less<>> stats;  // summed over runs, by name (model/counters.hpp)
  std::vector<FloodEpisode> floods;             // of every run, in order
  std::int64_t first_us = 0, last_us = 0;
  std::vector<AssetView> assets;  // sorted by id
  // Set by the findings engine where it ran (reports); empty otherwise.
  bool findings_evaluated = false;
  std::vector<Finding> findings;
  std::vector<ControlReference> controls;  // the mapping file's controls (for the gap-analysis view)
  std::string findings_version;            // "sha256:..." of the finding rules and the mapping file
};

}  // namespace ww
