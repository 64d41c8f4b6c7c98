// The reader of rule files in JSON: the fingerprint rules' and the finding rules' (fingerprints/engine/findings.hpp)
// one condition language, operators, checks and error texts.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Reads the parts of one entry of a rule file (a fingerprint rule, a finding, a mapping file's control) with
// the same checks and error texts everywhere: every problem is a RuleError "file: <what> 'id': problem".
class RuleReader {
 public:
  explicit RuleReader(ConditionSource src) : src_(std::move(src)) {}
  [[noreturn]] void fail(const std::string& problem) const;
  // Every key of `obj` is one of `allowed` (a typo is an error, not an ignored key).
  void only_keys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed, std::string_view where) const;
  // The string at `key`; missing is an error when `required` (else ""), and so is a value that is not a string.
  std::string text(const nlohmann::json& obj, const char* key, bool required = true) const;
  // As text, required, and not empty.
  std::string nonempty_text(const nlohmann::json& obj, const char* key) const;
  // A condition ("all"/"any"/"not"/a test), recursively.
  Condition condition(const nlohmann::json& j) const;
  // An example's facts {fact: [values]}.
  FactSet facts(const nlohmann::json& j) const;
  // The examples' list `which` ("match", "no_match"): present, non-empty, each a fact set.
  std::vector<FactSet> example_list(const nlohmann::json& examples, const char* which) const;
  // A fact a condition names must be an asset.* fact or a key some parser declares: a typo would make a rule
  // that loads and silently never matches.
  void check_fact(const std::string& fact) const;

 private:
  ConditionSource src_;
};

// Lower-case hex SHA-256 of `data` (the rule versions).
std::string sha256_text_hex(const std::string& data);

}  // namespace ww
