// The fingerprint rules' condition language read from JSON, for other rule files that reuse it (the finding
// rules, fingerprints/engine/findings.hpp): the same operators, checks and error texts as the rule loader.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fingerprints/engine/rules.hpp"

namespace ww {

// Where a condition is read: errors read "file: <what> 'id': problem".
struct ConditionSource {
  std::string file;
  std::string what = "rule";
  std::string id;
  const Vocabulary* vocabulary = nullptr;                          // with it, undeclared keys are errors
  const std::set<std::string, std::less<>>* more_asset_facts = nullptr;  // asset.* facts allowed beyond the rules'
};

// A "when" condition, checked as the rule loader checks one. Throws RuleError.
Condition read_condition(const nlohmann::json& j, const ConditionSource& src);
// An example's fact set {fact: [values]}, its facts checked. Throws RuleError.
FactSet read_example_facts(const nlohmann::json& j, const ConditionSource& src);
// Throws RuleError when a condition could not name `fact` (unknown asset.* fact, undeclared key).
void check_condition_fact(const std::string& fact, const ConditionSource& src);
// Lower-case hex SHA-256 of `data` (the rule versions).
std::string sha256_text_hex(const std::string& data);

}  // namespace ww
