// The fingerprint engine: strict loader, operators, evidence combination, crown jewels, the shipped rules.
#include <gtest/gtest.h>

#include "fingerprints/engine/classifier.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

// One rule as JSON text with overridable parts.
std::string rule(const std::string& id, const std::string& when, const std::string& claims, double weight = 0.8,
                 const std::string& specificity = "specific", const std::string& extra = "") {
  return R"({"id": ")" + id + R"(", "when": )" + when + R"(, "claims": )" + claims +
         R"(, "weight": )" + std::to_string(weight) + R"(, "specificity": ")" + specificity +
         R"(", "source": "unit test", "examples": {"match": [{"x.y": ["m"]}], "no_match": [{"x.y": ["n"]}]})" + extra + "}";
}
const std::string kWhenM = R"({"fact": "x.y", "op": "equals", "value": "m"})";

RuleSet load(const std::string& rules_json, bool check = true) {
  RuleSet set;
  set.load_text("test.json", R"({"rules": [)" + rules_json + "]}");
  if (check) set.check_examples();
  return set;
}

std::string load_error(const std::string& rules_json) {
  try {
    load(rules_json);
  } catch (const RuleError& e) {
    return e.what();
  }
  return "";
}

TEST(FingerprintLoader, AcceptsAWellFormedRuleAndVersionsTheText) {
  const RuleSet set = load(rule("a.b", kWhenM, R"({"vendor": "V"})"));
  ASSERT_EQ(set.rules().size(), 1u);
  EXPECT_EQ(set.version().rfind("sha256:", 0), 0u);
  EXPECT_EQ(set.version().size(), 7u + 64u);
  EXPECT_NE(load(rule("a.b", kWhenM, R"({"vendor": "W"})")).version(), set.version());
}

TEST(FingerprintLoader, ErrorsNameFileRuleAndProblem) {
  EXPECT_EQ(load_error(rule("a.b", kWhenM, R"({"vendor": "V"})", 0.8, "specific", R"(, "colour": "red")")),
            "test.json: rule 'a.b': unknown key 'colour' in the rule");
  EXPECT_NE(load_error(rule("a.b", R"({"fact": "x.y", "op": "regex", "value": "(unclosed"})", R"({"vendor": "V"})"))
                .find("bad regex"),
            std::string::npos);
  EXPECT_NE(load_error(rule("a.b", kWhenM, R"({"vendor": "V"})") + "," + rule("a.b", kWhenM, R"({"vendor": "V"})"))
                .find("duplicate id"),
            std::string::npos);
  EXPECT_NE(load_error(rule("a.b", kWhenM, R"({"vendor": "V"})") + "," + rule("a.c", kWhenM, R"({"vendor": "W"})"))
                .find("same conditions as rule 'a.b'"),
            std::string::npos);
  EXPECT_NE(load_error(rule("a.b", kWhenM, R"({"category": "toaster"})")).find("unknown category"), std::string::npos);
  EXPECT_NE(load_error(rule("a.b", kWhenM, R"({"colour": "red"})")).find("unknown claim attribute"), std::string::npos);
  EXPECT_NE(load_error(rule("a.b", R"({"fact": "x.y", "op": "resembles", "value": "m"})", R"({"vendor": "V"})"))
                .find("unknown operator"),
            std::string::npos);
  EXPECT_NE(load_error(rule("a.b", R"({"fact": "asset.colour", "op": "equals", "value": "m"})", R"({"vendor": "V"})"))
                .find("unknown fact"),
            std::string::npos);
  EXPECT_NE(load_error(rule("a.b", kWhenM, R"({"vendor": "V"})", 1.5)).find("weight"), std::string::npos);
  EXPECT_NE(load_error(rule("a.b", kWhenM, R"({"vendor": "V"})", 0.5, "sometimes")).find("specificity"),
            std::string::npos);
  // An example that does not behave as declared is an error too.
  EXPECT_NE(load_error(rule("a.b", R"({"fact": "x.y", "op": "equals", "value": "n"})", R"({"vendor": "V"})"))
                .find("match example 1 does not match"),
            std::string::npos);
  std::string no_source = rule("a.b", kWhenM, R"({"vendor": "V"})");
  no_source.replace(no_source.find(R"("source": "unit test")"), 21, R"("source": "")");
  EXPECT_NE(load_error(no_source).find("source"), std::string::npos);
  EXPECT_NE(load_error("{").find("not valid JSON"), std::string::npos);
}

TEST(FingerprintOperators, EachOperator) {
  const FactSet f{{"dhcp.vendor_class", {"MSFT 5.0"}},
                  {"dhcp.parameter_request_list", {"1,3,6,15"}},
                  {"dicom.calling_ae", {"CT1", "MR1", "US1"}},
                  {"asset.offered", {"tcp/104", "udp/161"}}};
  auto test = [&](const std::string& json) {
    RuleSet set;
    set.load_text("t.json", R"({"rules": [)" + rule("t.t", json, R"({"vendor": "V"})") + "]}");
    return evaluate(set.rules()[0].when, f).matched;
  };
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "equals", "value": "MSFT 5.0"})"));
  EXPECT_FALSE(test(R"({"fact": "dhcp.vendor_class", "op": "equals", "value": "msft 5.0"})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "equals", "value": "msft 5.0", "ci": true})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "prefix", "value": "MSFT"})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "suffix", "value": "5.0"})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "contains", "value": "FT 5"})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "regex", "value": "MSFT [0-9.]+"})"));
  EXPECT_FALSE(test(R"({"fact": "dhcp.vendor_class", "op": "regex", "value": "MSFT"})"));  // whole value
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "regex-search", "value": "MSFT"})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "in", "values": ["a", "MSFT 5.0"]})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.parameter_request_list", "op": "list-equals", "value": "1, 3, 6, 15"})"));
  EXPECT_FALSE(test(R"({"fact": "dhcp.parameter_request_list", "op": "list-equals", "value": "1,3,6"})"));
  EXPECT_TRUE(test(R"({"fact": "dhcp.vendor_class", "op": "exists"})"));
  EXPECT_FALSE(test(R"({"fact": "dhcp.hostname", "op": "exists"})"));
  EXPECT_TRUE(test(R"({"fact": "dicom.calling_ae", "op": "count-at-least", "min": 3})"));
  EXPECT_FALSE(test(R"({"fact": "dicom.calling_ae", "op": "count-at-least", "min": 4})"));
  EXPECT_TRUE(test(R"({"fact": "asset.offered", "op": "port-offered", "value": "tcp/104"})"));
  EXPECT_TRUE(test(R"({"all": [{"fact": "asset.offered", "op": "equals", "value": "udp/161"}, {"not": {"fact": "dhcp.hostname", "op": "exists"}}]})"));
  EXPECT_TRUE(test(R"({"any": [{"fact": "dhcp.hostname", "op": "exists"}, {"fact": "dhcp.vendor_class", "op": "exists"}]})"));
}

AssetView asset_with(std::initializer_list<std::pair<const char*, const char*>> obs) {
  AssetView a;
  a.id = "mac:00:00:00:00:00:01";
  for (const auto& [k, v] : obs) a.observations.push_back({k, v, 1, 1, 1});
  return a;
}

TEST(FingerprintCombination, GenericOnlyWithoutSpecificAndNoisyOr) {
  const RuleSet set = load(rule("g.cat", kWhenM, R"({"category": "computer"})", 0.4, "generic") + "," +
                           rule("s.cat", R"({"fact": "x.z", "op": "exists"})", R"({"category": "printer"})", 0.6) + "," +
                           rule("s.cat2", R"({"fact": "x.w", "op": "exists"})", R"({"category": "printer"})", 0.5),
                           false);
  std::optional<CrownJewel> cj;
  Classification c = classify(asset_with({{"x.y", "m"}}), set, cj);
  EXPECT_EQ(c.category, "computer");  // only a generic claim: it counts
  EXPECT_DOUBLE_EQ(c.confidence, 0.4);
  c = classify(asset_with({{"x.y", "m"}, {"x.z", "1"}, {"x.w", "1"}}), set, cj);
  EXPECT_EQ(c.category, "printer");  // a specific claim silences the generic one
  EXPECT_DOUBLE_EQ(c.confidence, 0.8);  // 1 - (1 - 0.6) * (1 - 0.5)
  ASSERT_EQ(c.evidence.size(), 1u);
  EXPECT_EQ(c.evidence[0].rules.size(), 2u);
  EXPECT_TRUE(c.alternatives.empty());
}

TEST(FingerprintCombination, ContradictionsAreFlaggedAndLosersKept) {
  const RuleSet set = load(rule("oui.a", R"({"fact": "asset.oui_vendor", "op": "exists"})", R"({"vendor": "{value}"})", 0.7) +
                           "," + rule("uid.b", R"({"fact": "dicom.implementation_class_uid", "op": "prefix", "value": "1.2.840.113619"})",
                                      R"({"vendor": "GE HealthCare"})", 0.8),
                           false);
  AssetView a = asset_with({{"dicom.implementation_class_uid", "1.2.840.113619.6.374"}});
  a.vendor = "Siemens AG";
  std::optional<CrownJewel> cj;
  const Classification c = classify(a, set, cj);
  EXPECT_EQ(c.attributes.at("vendor"), "GE HealthCare");
  ASSERT_EQ(c.alternatives.size(), 1u);
  EXPECT_EQ(c.alternatives[0].value, "Siemens AG");
  ASSERT_EQ(c.contradictions.size(), 1u);
  EXPECT_EQ(c.contradictions[0].values, (std::vector<std::string>{"GE HealthCare", "Siemens AG"}));
  EXPECT_EQ(c.category, "unknown");
}

TEST(FingerprintCombination, TemplatesAndCrownJewels) {
  const std::string cj_rule =
      R"({"id": "cj.pacs", "when": {"all": [{"fact": "dicom.role", "op": "equals", "value": "scp"},
            {"fact": "dicom.calling_ae", "op": "count-at-least", "min": 2}]},
          "crown_jewel": {"kind": "pacs", "reason": "DICOM SCP called by {count} AEs"}, "weight": 0.9,
          "specificity": "specific", "source": "unit test",
          "examples": {"match": [{"dicom.role": ["scp"], "dicom.calling_ae": ["A", "B"]}], "no_match": [{"dicom.role": ["scp"]}]}})";
  const RuleSet set = load(rule("m.r", R"J({"fact": "dicom.model_name", "op": "regex", "value": "(\\w+) (CT)"})J",
                                R"({"model": "{value}", "modality": "{2}", "device_type": "{1} scanner"})", 0.8, "specific") +
                               "," + cj_rule,
                           false);
  std::optional<CrownJewel> cj;
  Classification c = classify(asset_with({{"dicom.model_name", "Revolution CT"}}), set, cj);
  EXPECT_EQ(c.attributes.at("model"), "Revolution CT");
  EXPECT_EQ(c.attributes.at("modality"), "CT");
  EXPECT_EQ(c.attributes.at("device_type"), "Revolution scanner");
  EXPECT_FALSE(cj.has_value());
  classify(asset_with({{"dicom.role", "scp"}, {"dicom.calling_ae", "CT1"}, {"dicom.calling_ae", "MR1"}}), set, cj);
  ASSERT_TRUE(cj.has_value());
  EXPECT_EQ(cj->kind, "pacs");
  EXPECT_EQ(cj->reasons, std::vector<std::string>{"DICOM SCP called by 2 AEs"});
}

TEST(FingerprintCombination, RawSignaturesAreKept) {
  const RuleSet set = load(rule("a.b", kWhenM, R"({"vendor": "V"})"), false);
  std::optional<CrownJewel> cj;
  const Classification c =
      classify(asset_with({{"dhcp.parameter_request_list", "1,3,6"}, {"tls.ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1"}}), set, cj);
  EXPECT_EQ(c.raw_signatures.at("dhcp.parameter_request_list"), std::vector<std::string>{"1,3,6"});
  EXPECT_EQ(c.raw_signatures.at("tls.ja4").size(), 1u);
}

// The shipped library: loads strictly, every example behaves, the size the issue asks for.
TEST(FingerprintLibrary, ShippedRulesLoadAndEveryExamplePasses) {
  const RuleSet set = RuleSet::load_directory(test::repo_file("fingerprints/rules"));
  EXPECT_GE(set.rules().size(), 200u);
  std::size_t examples = 0;
  for (const auto& r : set.rules()) {
    EXPECT_FALSE(r.source.empty()) << r.id;
    EXPECT_FALSE(r.match_examples.empty()) << r.id;
    EXPECT_FALSE(r.no_match_examples.empty()) << r.id;
    examples += r.match_examples.size() + r.no_match_examples.size();
  }
  EXPECT_GE(examples, 400u);
}

}  // namespace
}  // namespace ww
