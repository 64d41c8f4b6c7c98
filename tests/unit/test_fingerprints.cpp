// The fingerprint engine: strict loader, operators, evidence combination, crown jewels, the shipped rules.
#include <gtest/gtest.h>

#include <functional>
#include <regex>

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

TEST(FingerprintLoader, AValueOfTheWrongJsonTypeIsARuleErrorNamingTheRule) {
  const std::string err = load_error(rule("a.b", R"({"fact": "x.y", "op": "equals", "value": "m", "ci": "yes"})",
                                          R"({"vendor": "V"})"));
  EXPECT_EQ(err.rfind("test.json: rule 'a.b': ", 0), 0u) << err;
  EXPECT_NE(err.find("wrong type"), std::string::npos) << err;
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

// asset.ipv4_from_mac: the first octet of an IPv4 address whose last three octets are the MAC's last three.
TEST(FingerprintAssetFacts, Ipv4AddressDerivedFromTheMac) {
  AssetView a;
  a.mac = "00:00:0e:12:34:56";
  for (const char* ip : {"126.18.52.86", "10.18.52.86", "126.18.52.87", "fe80::212:34ff:fe56", "126.18.52",
                         "126.18.52.86.1", "126.018.052.086x"}) {
    a.addresses.push_back(AddressView{ip, 0, 0, {}});
  }
  const FactSet f = facts_of(a);
  ASSERT_TRUE(f.contains("asset.ipv4_from_mac"));
  EXPECT_EQ(f.at("asset.ipv4_from_mac"), (std::vector<std::string>{"126", "10"}));
  // The classifier sees the same fact: a rule on it matches.
  const RuleSet set = load(rule("ge.unity", R"({"fact": "asset.ipv4_from_mac", "op": "equals", "value": "126"})",
                                R"({"category": "patient-monitoring"})"),
                           false);
  std::optional<CrownJewel> cj;
  EXPECT_EQ(classify(a, set, cj).category, "patient-monitoring");
  a.addresses.erase(a.addresses.begin());
  EXPECT_EQ(classify(a, set, cj).category, "unknown");
  a.mac.reset();  // an IP-keyed device has no MAC to compare with
  EXPECT_FALSE(facts_of(a).contains("asset.ipv4_from_mac"));
}

TEST(FingerprintCombination, TheBasisSaysWhenACategoryRestsOnOneWeakFact) {
  const RuleSet set = load(rule("g.cat", kWhenM, R"({"category": "computer"})", 0.4, "generic") + "," +
                           rule("s.light", R"({"fact": "x.l", "op": "exists"})", R"({"category": "printer"})", 0.3) + "," +
                           rule("s.cat", R"({"fact": "x.z", "op": "exists"})", R"({"category": "printer"})", 0.6) + "," +
                           rule("s.cat2", R"({"fact": "x.w", "op": "exists"})", R"({"category": "printer"})", 0.5) + "," +
                           rule("s.other", R"({"fact": "x.o", "op": "exists"})", R"({"category": "computer"})", 0.2),
                           false);
  std::optional<CrownJewel> cj;
  EXPECT_EQ(classify(asset_with({{"x.q", "1"}}), set, cj).basis, "none");
  EXPECT_EQ(classify(asset_with({{"x.y", "m"}}), set, cj).basis, "weak");  // one generic rule
  EXPECT_EQ(classify(asset_with({{"x.l", "1"}}), set, cj).basis, "weak");  // one specific rule under 0.5
  EXPECT_EQ(classify(asset_with({{"x.z", "1"}}), set, cj).basis, "strong");  // one specific rule of 0.6
  const Classification two = classify(asset_with({{"x.l", "1"}, {"x.w", "1"}}), set, cj);
  EXPECT_EQ(two.basis, "strong");  // two rules agree
  const Classification contested = classify(asset_with({{"x.z", "1"}, {"x.o", "1"}}), set, cj);
  EXPECT_EQ(contested.category, "printer");
  EXPECT_EQ(contested.basis, "contested");  // a weak competitor still contests
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

TEST(FingerprintCombination, ACompetingCategoryLowersTheConfidence) {
  const RuleSet set = load(rule("s.printer", R"({"fact": "x.z", "op": "exists"})", R"({"category": "printer"})", 0.8) + "," +
                           rule("s.computer", R"({"fact": "x.w", "op": "exists"})", R"({"category": "computer"})", 0.5),
                           false);
  std::optional<CrownJewel> cj;
  Classification c = classify(asset_with({{"x.z", "1"}}), set, cj);
  EXPECT_DOUBLE_EQ(c.confidence, 0.8);  // uncontested
  c = classify(asset_with({{"x.z", "1"}, {"x.w", "1"}}), set, cj);
  EXPECT_EQ(c.category, "printer");
  EXPECT_DOUBLE_EQ(c.confidence, 0.4);  // 0.8 * (1 - 0.5)
  ASSERT_EQ(c.contradictions.size(), 1u);
  EXPECT_EQ(c.contradictions[0].attribute, "category");
  ASSERT_EQ(c.alternatives.size(), 1u);
  EXPECT_EQ(c.alternatives[0].value, "computer");
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
  AssetView a = asset_with({{"tls.ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1"},
                            {"dhcp.parameter_request_list", "1,3,6"},
                            {"dns.query", "x.example"},
                            {"dhcp.parameter_request_list", "1,3,6,15"}});
  EXPECT_TRUE(raw_signatures_of(a).empty());  // not classified: nothing listed
  a.classification = classify(a, set, cj);
  // Keys in sorted order, values in the observations' order, other keys left out.
  const RawSignatures expected = {{"dhcp.parameter_request_list", {"1,3,6", "1,3,6,15"}},
                                  {"tls.ja4", {"t13d1516h2_8daaf6152771_e5627efa2ab1"}}};
  EXPECT_EQ(raw_signatures_of(a), expected);
}

TEST(FingerprintRegex, GroupsOfWholeValueAndSearch) {
  auto groups = [](const std::string& op, const std::string& re, const std::string& value) {
    RuleSet set;
    set.load_text("t.json", R"({"rules": [)" + rule("t.t", R"({"fact": "x.y", "op": ")" + op + R"(", "value": ")" + re + R"("})",
                                                    R"({"vendor": "V"})") + "]}");
    const RuleMatch m = evaluate(set.rules()[0].when, FactSet{{"x.y", {value}}});
    return m.matched ? m.groups : std::vector<std::string>{"(no match)"};
  };
  EXPECT_EQ(groups("regex", "(a+)(b)?(c)", "aac"), (std::vector<std::string>{"aa", "", "c"}));
  EXPECT_EQ(groups("regex", "(a+)", "aab"), std::vector<std::string>{"(no match)"});  // whole value
  EXPECT_EQ(groups("regex-search", "(a+)", "baab"), std::vector<std::string>{"aa"});
  EXPECT_EQ(groups("regex-search", "(a+?)", "baab"), std::vector<std::string>{"a"});
  EXPECT_EQ(groups("regex", "(a|ab)(c|bcd)(d*)", "abcd"), (std::vector<std::string>{"a", "bcd", ""}));  // leftmost-first
  EXPECT_EQ(groups("regex-search", "x", "axb"), std::vector<std::string>{});
  // A negative lookahead (JSON text: the regex is "; (?!K\))([^;)]+)\)"): a rejected match resumes the search.
  EXPECT_EQ(groups("regex-search", R"J((a)?; (?!K\\))([^;)]+)\\))J", "a; K) b; M)"), (std::vector<std::string>{"", "M"}));
  EXPECT_EQ(groups("regex-search", R"J((a)?; (?!K\\))([^;)]+)\\))J", "a; K)"), std::vector<std::string>{"(no match)"});
  EXPECT_EQ(groups("regex", R"J((a)?; (?!K\\))([^;)]+)\\))J", "a; KK)"), (std::vector<std::string>{"a", "KK"}));
}

// The ECMAScript meanings the rules were written for are kept where RE2 differs (docs/fingerprints.md).
TEST(FingerprintRegex, KeepsTheEcmaScriptMeanings) {
  auto test = [](const std::string& op, const std::string& re, const std::string& value, bool ci = false) {
    RuleSet set;
    set.load_text("t.json", R"({"rules": [)" +
                                rule("t.t", R"({"fact": "x.y", "op": ")" + op + R"(", "value": ")" + re + R"(", "ci": )" +
                                                (ci ? "true" : "false") + "}",
                                     R"({"vendor": "V"})") +
                                "]}");
    return evaluate(set.rules()[0].when, FactSet{{"x.y", {value}}}).matched;
  };
  // Patterns are JSON text here: R"(a\\sb)" is the regex a\sb.
  EXPECT_FALSE(test("regex", "a.b", "a\rb"));  // `.` matches neither \r
  EXPECT_FALSE(test("regex", "a.b", "a\nb"));  // nor \n
  EXPECT_TRUE(test("regex", "a.b", "a\tb"));
  EXPECT_TRUE(test("regex", R"(a\\sb)", "a\vb"));  // \s includes \v
  EXPECT_FALSE(test("regex", R"(a\\Sb)", "a\vb"));
  EXPECT_TRUE(test("regex", R"(a[\\s]b)", "a\vb"));
  EXPECT_TRUE(test("regex", R"(a[^\\s]b)", "a-b"));
  // Bytes, not UTF-8 characters; case folding of ASCII letters only.
  EXPECT_FALSE(test("regex", "caf.", "caf\xc3\xa9"));
  EXPECT_TRUE(test("regex", "caf..", "caf\xc3\xa9"));
  EXPECT_TRUE(test("regex", "b\xc3\xa9", "B\xc3\xa9", true));
  EXPECT_FALSE(test("regex", "b\xc3\xa9", "b\xe3\xa9", true));  // 0xC3 and 0xE3 are Latin-1 letters of two cases
  EXPECT_FALSE(test("regex", R"(b\\xc3)", "b\xe3", true));
  EXPECT_TRUE(test("regex", R"(b\\x41)", "ba", true));
  EXPECT_TRUE(test("regex", "^ab$", "ab"));
  EXPECT_FALSE(test("regex-search", "^b", "ab"));
  EXPECT_FALSE(test("regex-search", "a$", "a\n"));
  EXPECT_TRUE(test("regex-search", R"(\\bb\\b)", "a b"));
  EXPECT_TRUE(test("regex", "[[:digit:].]+", "1.2"));
  // A leading negative lookahead of a whole-value regex.
  EXPECT_TRUE(test("regex", R"((?!ACK)[A-Z]{3}\\^.*)", "ORU^R01"));
  EXPECT_FALSE(test("regex", R"((?!ACK)[A-Z]{3}\\^.*)", "ACK^R01"));
  EXPECT_TRUE(test("regex", R"((?!ACK)[A-Z]{3}\\^.*)", "ACX^R01"));
  EXPECT_FALSE(test("regex", R"((?!a|b)\\w+)", "bc"));
}

TEST(FingerprintRegex, UnsupportedSyntaxIsALoadError) {
  auto error = [](const std::string& op, const std::string& re) {
    return load_error(rule("a.b", R"({"fact": "x.y", "op": ")" + op + R"(", "value": ")" + re + R"("})", R"({"vendor": "V"})"));
  };
  // JSON text: R"((m)\\1)" is the regex (m)\1.
  for (const char* re : {R"((m)\\1)", "(?=m)m", "(?<=a)m", "(m(?!a))", "(?!a)(?!b)m", "(?i)m", "(?P<n>m)", "[]m", "[^]", R"(\\Qm\\E)",
                         R"(m\\0)", "(?!a)m|n", R"([\\S])", "(?!(a))m", "(unclosed", "[m"}) {
    EXPECT_NE(error("regex", re).find("bad regex"), std::string::npos) << re;
  }
  EXPECT_EQ(error("regex-search", "(?!a)m"), "");
  EXPECT_EQ(error("regex", "(?!a)m"), "");
  EXPECT_EQ(error("regex", "m(?!a)"), "");
  EXPECT_EQ(error("regex", "(?:m)"), "");
}

// std::regex recursed once per character of the value: a long value from the wire overflowed the stack.
// RE2 is linear in time and constant in stack, also on patterns that backtrack exponentially.
TEST(FingerprintRegex, LongValuesNeitherCrashNorHang) {
  const RuleSet set = load(rule("a.b", R"J({"fact": "x.y", "op": "regex", "value": "x(.*)y"})J", R"({"model": "{1}"})") + "," +
                               rule("a.c", R"J({"fact": "x.y", "op": "regex-search", "value": "(a|aa)*c"})J", R"({"os": "O"})") +
                               "," + rule("a.d", R"J({"fact": "x.y", "op": "regex-search", "value": "(\\w+\\s?)*$z"})J",
                                          R"({"role": "R"})"),
                           false);
  const std::string body(1 << 20, 'a');
  AssetView a;
  a.id = "mac:00:00:00:00:00:01";
  a.observations.push_back({"x.y", "x" + body + "y", 1, 1, 1});
  a.observations.push_back({"x.y", body, 1, 1, 1});
  std::optional<CrownJewel> cj;
  const Classification c = classify(a, set, cj);
  EXPECT_EQ(c.attributes.at("model"), body);
  EXPECT_FALSE(c.attributes.contains("os"));
  EXPECT_FALSE(c.attributes.contains("role"));
}

void for_each_test(const Condition& c, const std::function<void(const Condition&)>& f) {
  if (c.kind == Condition::Kind::test) f(c);
  for (const auto& child : c.children) for_each_test(child, f);
}

// Every regex of the shipped rules answers as std::regex (ECMAScript) did — match and groups — on the
// values of every example for its fact and on variants that probe where the dialects differ.
TEST(FingerprintLibrary, RegexesAnswerAsEcmaScriptDid) {
  const RuleSet set = RuleSet::load_directory(test::repo_file("fingerprints/rules"));
  std::map<std::string, std::set<std::string>> samples;  // fact -> example values
  for (const auto& r : set.rules()) {
    for (const auto* list : {&r.match_examples, &r.no_match_examples}) {
      for (const auto& ex : *list) {
        for (const auto& [fact, values] : ex) samples[fact].insert(values.begin(), values.end());
      }
    }
  }
  auto variants = [](const std::string& v) {
    std::vector<std::string> out{v, v + "\r", v + "\n", "\r" + v, "x" + v, v + " x", "", " "};
    std::string up = v, low = v, latin = v, vt = v, cr = v;
    for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    for (char& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (char& ch : latin) {  // Latin-1 letters of the other case (what Unicode folding would equate)
      const auto b = static_cast<unsigned char>(ch);
      if (b >= 0xc0 && b <= 0xfe && b != 0xd7 && b != 0xf7) ch = static_cast<char>(b ^ 0x20);
    }
    std::replace(vt.begin(), vt.end(), ' ', '\v');
    std::replace(cr.begin(), cr.end(), ' ', '\r');
    out.insert(out.end(), {up, low, latin, vt, cr});
    return out;
  };
  std::size_t regexes = 0, probes = 0;
  for (const auto& r : set.rules()) {
    for_each_test(r.when, [&](const Condition& c) {
      if (c.op != Op::regex && c.op != Op::regex_search) return;
      ++regexes;
      const std::regex ecma(c.pattern, c.case_insensitive ? std::regex::ECMAScript | std::regex::icase : std::regex::ECMAScript);
      for (const auto& sample : samples[c.lookup]) {
        for (const auto& v : variants(sample)) {
          std::smatch sm;
          const bool expected = c.op == Op::regex ? std::regex_match(v, sm, ecma) : std::regex_search(v, sm, ecma);
          std::vector<std::string> expected_groups;
          for (std::size_t i = 1; expected && i < sm.size() && i < 10; ++i) expected_groups.push_back(sm[i].str());
          const RuleMatch m = evaluate(c, FactSet{{c.lookup, {v}}});
          EXPECT_EQ(m.matched, expected) << r.id << " /" << c.pattern << "/ on '" << v << "'";
          if (expected) {
            EXPECT_EQ(m.groups, expected_groups) << r.id << " /" << c.pattern << "/ on '" << v << "'";
          }
          ++probes;
        }
      }
    });
  }
  EXPECT_GE(regexes, 250u);
  EXPECT_GE(probes, 10000u);
}

// Devices are evaluated on their indexed facts (DeviceFacts), examples on a FactSet: the same answers;
// and the rules skipped for lack of a needed fact are rules that do not match.
TEST(FingerprintLibrary, IndexedFactsEvaluateAsFactSets) {
  const RuleSet set = RuleSet::load_directory(test::repo_file("fingerprints/rules"));
  std::vector<FactSet> examples;
  for (const auto& r : set.rules()) {
    examples.insert(examples.end(), r.match_examples.begin(), r.match_examples.end());
    examples.insert(examples.end(), r.no_match_examples.begin(), r.no_match_examples.end());
  }
  DeviceFacts indexed(set);
  std::size_t matches = 0;
  for (const auto& ex : examples) {
    indexed.clear();
    for (const auto& [fact, values] : ex) {
      for (const auto& v : values) indexed.add(fact, v);
    }
    indexed.finish();
    std::vector<char> candidates;
    set.candidates(indexed, candidates);
    for (std::size_t i = 0; i < set.rules().size(); ++i) {
      const Rule& r = set.rules()[i];
      const RuleMatch a = evaluate(r.when, ex), b = evaluate(r.when, indexed);
      ASSERT_EQ(a.matched, b.matched) << r.id;
      if (a.matched) {
        EXPECT_TRUE(candidates[i]) << r.id;  // the prefilter never drops a matching rule
      }
      ASSERT_EQ(holds(r.when, indexed), a.matched) << r.id;
      ASSERT_EQ(holds(r.when, ex), a.matched) << r.id;  // the findings' shortcut on a FactSet
      EXPECT_EQ(a.facts, b.facts) << r.id;
      EXPECT_EQ(a.first_value, b.first_value) << r.id;
      EXPECT_EQ(a.groups, b.groups) << r.id;
      EXPECT_EQ(a.count, b.count) << r.id;
      matches += a.matched;
    }
  }
  EXPECT_GE(matches, 400u);
}

// classify_inventory splits the devices between threads: the same result as classifying one by one.
TEST(FingerprintLibrary, InventoryClassificationEqualsOneByOne) {
  const RuleSet set = RuleSet::load_directory(test::repo_file("fingerprints/rules"));
  Inventory inv;
  std::size_t n = 0;
  for (const auto& r : set.rules()) {
    for (const auto& ex : r.match_examples) {
      AssetView a;
      a.id = "mac:00:00:00:00:" + std::to_string(n / 100) + ":" + std::to_string(n % 100);
      a.peer_count = n++ % 7;
      for (const auto& [fact, values] : ex) {
        for (const auto& v : values) {
          if (fact == "asset.oui_vendor") {
            a.vendor = v;
          } else if (!fact.starts_with("asset.")) {
            a.observations.push_back({fact, v, 1, 1, 1});
          }
        }
      }
      inv.assets.push_back(std::move(a));
    }
  }
  ASSERT_GE(inv.assets.size(), 500u);
  classify_inventory(inv, set);
  for (const auto& a : inv.assets) {
    AssetView alone = a;
    alone.classification = classify(alone, set, alone.crown_jewel);
    ASSERT_EQ(explain(a), explain(alone)) << a.id;
  }
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
