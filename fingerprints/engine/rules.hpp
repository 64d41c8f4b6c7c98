// Fingerprint rules: data files in fingerprints/rules/*.json (format: docs/fingerprints.md), loaded by a
// strict loader that names the file and rule on any error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wardwatch/text.hpp"
#include "wardwatch/vocabulary.hpp"

namespace ww {

class RuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device's facts: observation keys and asset.* facts, each with its distinct values.
using FactSet = std::map<std::string, std::vector<std::string>, std::less<>>;

enum class Op {
  equals, prefix, suffix, contains, regex, regex_search, in, list_equals, exists, count_at_least, port_offered
};

// A rule regex compiled for RE2 (rules.cpp): linear-time matching of values that come off the wire.
struct RuleRegex;

struct Condition {
  enum class Kind { all, any, negate, test } kind = Kind::test;
  std::vector<Condition> children;
  std::string fact;
  Op op = Op::equals;
  std::string value;                     // lower-cased when case-insensitive
  std::vector<std::string> values;       // `in`; lower-cased when case-insensitive
  std::string pattern;                   // regex / regex-search: the expression as written in the rule
  std::shared_ptr<const RuleRegex> re;   // regex / regex-search: the compiled expression
  bool case_insensitive = false;
  std::size_t min = 0;
  // Derived at load so that evaluation does no string work of its own:
  std::string lookup;                    // the fact looked up (`fact`; `asset.offered` for port-offered)
  std::uint32_t fact_id = 0;             // `lookup` in the fact table of the RuleSet that loaded the rule
  std::string list_value;                // list-equals: `value` without spaces
};

struct Rule {
  std::string id, description, file;
  Condition when;
  std::vector<std::pair<std::string, std::string>> claims;  // attribute -> value template
  std::optional<std::pair<std::string, std::string>> crown_jewel;  // kind, reason template
  double weight = 0;
  bool specific = true;
  std::string source;
  std::vector<FactSet> match_examples, no_match_examples;
};

// The outcome of matching one rule on one device.
struct RuleMatch {
  bool matched = false;
  std::vector<std::string> facts;  // "key=value" that satisfied the tests
  std::string first_value;         // value satisfying the first test on an observation
  std::vector<std::string> groups;  // groups of the last matching regex ({1}..{9})
  std::size_t count = 0;            // distinct values counted by the last count-at-least
};

class DeviceFacts;

class RuleSet {
 public:
  static constexpr std::uint32_t kNoFact = UINT32_MAX;

  // Loads every *.json in `dir` (sorted by name). Throws RuleError("file: rule 'id': problem"). With a
  // `vocabulary`, a rule or example that names a fact no parser declares is an error.
  static RuleSet load_directory(const std::string& dir, const Vocabulary* vocabulary = nullptr);
  // Loads one file's text (tests); `name` is used in error messages.
  void load_text(const std::string& name, const std::string& text, const Vocabulary* vocabulary = nullptr);
  // Runs every rule's examples; throws RuleError naming the first that does not behave as declared.
  void check_examples() const;

  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }
  [[nodiscard]] const std::string& version() const { return version_; }  // "sha256:<hex>"

  // The facts the rules test, numbered: a device's facts are grouped by these ids once per device
  // (DeviceFacts) instead of being searched by name in every test.
  [[nodiscard]] std::uint32_t fact_id(std::string_view name) const;  // kNoFact if no rule tests it
  [[nodiscard]] std::size_t fact_count() const { return fact_names_.size(); }
  // Whether some case-insensitive text test reads the fact (its values are then lower-cased once).
  [[nodiscard]] bool fact_needs_lower(std::uint32_t id) const { return fact_needs_lower_[id] != 0; }
  // Marks (candidates[i] = 1) the rules that can match a device with these facts: every rule needs some
  // fact to be present — all but a few; most devices have few of them — or is always a candidate.
  void candidates(const DeviceFacts& facts, std::vector<char>& candidates) const;

 private:
  void number_facts(Condition& c);
  [[nodiscard]] std::uint32_t required_fact(const Condition& c) const;
  // The rule loaded first with these conditions (`when` as canonical JSON), or nullptr.
  [[nodiscard]] const Rule* rule_with_conditions(const std::string& canonical_when) const;
  // Appends a checked rule and indexes it by its conditions and by the fact it requires.
  void add(Rule rule, std::string canonical_when);

  std::vector<Rule> rules_;
  std::vector<std::string> fact_names_;
  std::unordered_map<std::string, std::uint32_t, StringViewHash, std::equal_to<>> fact_ids_;
  std::vector<char> fact_needs_lower_;
  std::vector<std::vector<std::uint32_t>> rules_requiring_;  // fact id -> rules that match only with it
  std::vector<std::uint32_t> rules_requiring_nothing_;
  std::map<std::string, std::string> conditions_;  // canonical `when` -> id of the first rule with it
  std::string version_;
  std::string digest_input_;
};

// A device's facts grouped by the fact ids of one RuleSet, with the lower-cased copies that
// case-insensitive tests compare, built once per device: a test is then an index lookup, not a search of
// the device's observations, and no test allocates. Holds views: the strings added must outlive it.
// Reusable (clear) so that classifying many devices does not allocate per device.
class DeviceFacts {
 public:
  explicit DeviceFacts(const RuleSet& rules) : rules_(&rules) {}
  void clear();
  // Adds one value of a fact (in the order a FactSet would list it); facts no rule tests are ignored.
  void add(std::string_view key, std::string_view value);
  // Groups the values by fact; call after the last add, before evaluating.
  void finish();

  // A fact id this device knows nothing of (not finished, or from another RuleSet) has no values.
  [[nodiscard]] bool known(std::uint32_t id) const { return static_cast<std::size_t>(id) + 1 < begin_.size(); }
  [[nodiscard]] std::span<const std::string_view> values(std::uint32_t id) const {
    if (!known(id)) return {};
    return {raw_.data() + begin_[id], raw_.data() + begin_[id + 1]};
  }
  [[nodiscard]] bool has(std::uint32_t id) const { return known(id) && begin_[id] != begin_[id + 1]; }
  // The values lower-cased (only for facts with fact_needs_lower; the raw values otherwise).
  [[nodiscard]] std::span<const std::string_view> lowered(std::uint32_t id) const {
    if (!known(id)) return {};
    return {lower_.data() + begin_[id], lower_.data() + begin_[id + 1]};
  }

 private:
  const RuleSet* rules_;
  std::vector<std::pair<std::uint32_t, std::string_view>> added_;
  std::string_view last_key_;         // consecutive values of one key cost one hash lookup
  std::uint32_t last_id_ = RuleSet::kNoFact;
  std::vector<std::uint32_t> begin_;  // fact id -> first index in raw_/lower_ (fact_count() + 1 entries)
  std::vector<std::string_view> raw_, lower_;
  std::string lower_text_;            // storage of the lower-cased values
};

RuleMatch evaluate(const Condition& c, const FactSet& facts);
// The same evaluation on a device's indexed facts (built from the RuleSet that loaded `c`).
RuleMatch evaluate(const Condition& c, const DeviceFacts& facts);
// Only whether `c` holds — the same answer as evaluate(c, facts).matched, without building the evidence
// (most rules do not match most devices).
bool holds(const Condition& c, const DeviceFacts& facts);
// The same for a FactSet: whether it matches, without building the evidence (the findings test every device
// against every rule; most do not match).
bool holds(const Condition& c, const FactSet& facts);
// Expands {value}, {count} and {1}..{9} in a claim template.
std::string expand_template(const std::string& tmpl, const RuleMatch& m);

inline const std::vector<std::string>& claim_attributes() {
  static const std::vector<std::string> attrs{"category", "device_type", "vendor", "model", "firmware",
                                              "os",       "modality",    "role",   "software"};
  return attrs;
}
inline const std::vector<std::string>& categories() {
  static const std::vector<std::string> c{"medical-imaging", "patient-monitoring", "infusion", "laboratory",
                                          "clinical-workstation", "clinical-system", "network-infrastructure",
                                          "printer", "voip", "building-automation", "iot-consumer", "computer",
                                          "mobile", "unknown"};
  return c;
}
inline const std::vector<std::string>& crown_jewel_kinds() {
  static const std::vector<std::string> k{"pacs", "ris-worklist", "ehr", "fhir-server", "lis", "hl7-interface-engine",
                                          "domain-controller", "dhcp-dns-server", "backup", "hypervisor", "database"};
  return k;
}

}  // namespace ww
