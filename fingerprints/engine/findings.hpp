// Findings: what the inventory shows that a hospital's security team should act on, as data
// (fingerprints/findings/*.json, format: docs/findings.md), each with its evidence on the wire and the framework
// controls it is evidence for (fingerprints/findings/references/controls.json). A finding is evidence for an
// auditor, never a compliance verdict.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "fingerprints/engine/rules.hpp"
#include "model/findings.hpp"
#include "model/inventory.hpp"

namespace ww {

// A finding over several devices together: a small fixed set of kinds, implemented in code.
struct FindingAggregate {
  enum class Kind { devices_matching_at_least, same_value_on_several_devices, mixed_subnet } kind{};
  std::optional<Condition> when;  // devices_matching_at_least (required), same_value_on_several_devices (optional filter)
  std::size_t at_least = 2;       // devices_matching_at_least
  std::string fact;               // same_value_on_several_devices
  Condition a, b;                 // mixed_subnet: the two kinds of device that should not share a segment
  int prefix_v4 = 24;             // mixed_subnet: the IPv4 prefix length a segment is inferred with
  bool use_vlans = true;          // mixed_subnet: devices seen on the same 802.1Q VLAN id also share a segment
  std::string affected = "both";  // mixed_subnet: "both", "a" or "b": which devices the finding lists
};

struct FindingRule {
  std::string id, title, severity, description, remediation, source, file;
  std::vector<std::string> references;          // control ids of the mapping file
  std::optional<Condition> when;                // a per-device finding
  std::optional<FindingAggregate> aggregate;    // or an aggregate one
  std::vector<std::string> evidence_facts;      // facts whose every value is added to the evidence
  std::vector<FactSet> match_examples, no_match_examples;
};

class FindingRules {
 public:
  // Loads fingerprints/findings/*.json (sorted) and the mapping file fingerprints/findings/references/controls.json;
  // throws RuleError("file: finding 'id': problem") like the rule loader; with a vocabulary, unknown facts are errors.
  static FindingRules load_directory(const std::string& dir, const Vocabulary* vocabulary = nullptr);
  void load_text(const std::string& name, const std::string& text, const Vocabulary* vocabulary = nullptr);  // tests
  void load_controls_text(const std::string& name, const std::string& text);  // tests
  void check_examples() const;  // every finding's examples behave as declared
  [[nodiscard]] const std::vector<ControlReference>& controls() const { return controls_; }
  [[nodiscard]] const std::string& version() const { return version_; }  // "sha256:..." over the finding files and the mapping file
  [[nodiscard]] std::size_t size() const { return rules_.size(); }
  [[nodiscard]] const std::vector<FindingRule>& rules() const { return rules_; }
  [[nodiscard]] const std::string& controls_version() const { return controls_version_; }  // the mapping file's "version"

 private:
  void update_version();

  std::vector<FindingRule> rules_;
  std::vector<ControlReference> controls_;
  std::string controls_version_;
  std::string controls_digest_, rules_digest_;
  std::string version_;
};

// The facts a finding's condition is evaluated on: facts_of(asset) and the facts derived from its classification
// (asset.category, asset.vendor, ..., asset.medical, asset.clinical; docs/findings.md). `end_us`, the time of the
// inventory's last packet (0: unknown), dates asset.tls_cert_expired.
FactSet finding_facts(const AssetView& asset, std::int64_t end_us);

// Evaluates every finding on a classified inventory (classification and crown_jewel already set); sets
// inv.findings (only findings with at least one affected asset, in rule order; assets in inventory order),
// inv.controls, inv.findings_version and inv.findings_evaluated = true.
void evaluate_findings(Inventory& inv, const FindingRules& rules);

}  // namespace ww
