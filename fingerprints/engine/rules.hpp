// Fingerprint rules: data files in fingerprints/rules/*.json (format: docs/fingerprints.md), loaded by a
// strict loader that names the file and rule on any error.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

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

struct Condition {
  enum class Kind { all, any, negate, test } kind = Kind::test;
  std::vector<Condition> children;
  std::string fact;
  Op op = Op::equals;
  std::string value;
  std::vector<std::string> values;
  std::optional<std::regex> re;
  bool case_insensitive = false;
  std::size_t min = 0;
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

class RuleSet {
 public:
  // Loads every *.json in `dir` (sorted by name). Throws RuleError("file: rule 'id': problem").
  static RuleSet load_directory(const std::string& dir);
  // Loads one file's text (tests); `name` is used in error messages.
  void load_text(const std::string& name, const std::string& text);
  // Runs every rule's examples; throws RuleError naming the first that does not behave as declared.
  void check_examples() const;

  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }
  [[nodiscard]] const std::string& version() const { return version_; }  // "sha256:<hex>"

 private:
  std::vector<Rule> rules_;
  std::map<std::string, std::string> conditions_;  // canonical `when` -> id of the first rule with it
  std::string version_;
  std::string digest_input_;
};

RuleMatch evaluate(const Condition& c, const FactSet& facts);
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
  static const std::vector<std::string> k{"pacs", "ris-worklist", "ehr", "lis", "hl7-interface-engine",
                                          "domain-controller", "dhcp-dns-server", "backup", "hypervisor", "database"};
  return k;
}

}  // namespace ww
