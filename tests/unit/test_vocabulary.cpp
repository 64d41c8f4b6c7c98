// The declared vocabulary (wardwatch/vocabulary.hpp): lookups, the parsers' declarations, the strict sink and
// the rule loader's check.
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <regex>
#include <set>

#include "agent/pipeline/pipeline.hpp"
#include "fingerprints/engine/rules.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

constexpr FactDecl kFacts[] = {
    {"demo.name", FactType::text, "", "field 1", "x"},
    {"demo.txt.*", FactType::text, "", "any TXT key", ""},
    {"demo.vendor_class", FactType::text, "", "option 60", "MSFT 5.0"},
};
constexpr AnomalyDecl kAnomalies[] = {{"demo.truncated", "the message ends early."}};

TEST(Vocabulary, FindsExactKeysPrefixesAndAnomalies) {
  Vocabulary v;
  v.declare("demo", kFacts, kAnomalies);
  ASSERT_NE(v.fact("demo.name"), nullptr);
  EXPECT_EQ(v.fact("demo.name")->from, "field 1");
  EXPECT_EQ(v.fact("demo.txt.model"), &kFacts[1]);
  EXPECT_EQ(v.fact("demo.txt."), nullptr);  // the prefix alone is no key
  EXPECT_EQ(v.fact("demo.nam"), nullptr);
  EXPECT_EQ(v.fact("other.name"), nullptr);
  EXPECT_TRUE(v.declares_anomaly("demo.truncated"));
  EXPECT_FALSE(v.declares_anomaly("demo.name"));
  EXPECT_EQ(v.nearest_fact("demo.vendorclass"), "demo.vendor_class");
  EXPECT_EQ(v.nearest_fact("demo.nmae"), "demo.name");
}

// Every parser declares each key and anomaly once, named "<protocol>.<field>", with where it comes from.
TEST(Vocabulary, EveryParserDeclaresWellFormedUniqueEntries) {
  const ParserRegistry registry = make_default_registry();
  const Vocabulary v = declared_vocabulary(registry);
  const std::regex key_re("[a-z0-9_]+(\\.[A-Za-z0-9_]+)+(\\.\\*)?");
  std::set<std::string_view> keys, anomalies;
  std::size_t owners = 0;
  for (const auto& o : v.owners()) {
    ++owners;
    for (const FactDecl& f : o.facts) {
      EXPECT_TRUE(std::regex_match(std::string(f.key), key_re)) << f.key;
      EXPECT_TRUE(keys.insert(f.key).second) << "declared twice: " << f.key;
      EXPECT_FALSE(f.from.empty() && f.about.empty()) << f.key << " says neither where it comes from nor whom it is about";
    }
    for (const AnomalyDecl& a : o.anomalies) {
      EXPECT_TRUE(std::regex_match(std::string(a.name), key_re)) << a.name;
      EXPECT_TRUE(anomalies.insert(a.name).second) << "declared twice: " << a.name;
      EXPECT_GT(a.description.size(), 20u) << a.name;
    }
  }
  EXPECT_EQ(owners, registry.datagram().size() + registry.stream().size() + 1);  // + the pipeline
  EXPECT_GT(keys.size(), 200u);
  EXPECT_GT(anomalies.size(), 70u);
  EXPECT_NE(v.fact("dhcp.vendor_class"), nullptr);
  EXPECT_NE(v.fact("mdns.txt.usb_MDL"), nullptr);
  EXPECT_TRUE(v.declares_anomaly("stream.memory_budget_reached"));
  EXPECT_TRUE(v.declares_anomaly("flood.syn_flood"));
}

// A parser that emits a key it did not declare.
class SloppyParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }
  bool probe(const PacketMeta& meta, Bytes) const override { return meta.dst_port == 9999; }
  ParseStatus parse(const PacketMeta&, Bytes, ObservationSink& sink) const override {
    sink.observe(Party::sender, "sloppy.undeclared", "x");
    return ParseStatus::ok;
  }

 private:
  ParserSpec spec_{"sloppy", Transport::udp, {}, {}, {}};
};

TEST(VocabularyDeathTest, AStrictBuildStopsAtAnUndeclaredKey) {
  if (!kStrictVocabulary) GTEST_SKIP() << "not a strict build (WARDWATCH_STRICT_VOCABULARY: Debug, WERROR or fuzz builds)";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ParserRegistry registry;
        registry.add(std::make_unique<SloppyParser>());
        Limits limits;
        Pipeline pipeline(limits, registry, nullptr);
        Tins::EthernetII pkt = Tins::EthernetII("00:00:5e:00:00:02", "00:00:5e:00:00:01") /
                               Tins::IP("10.0.0.2", "10.0.0.1") / Tins::UDP(9999, 1000) / Tins::RawPDU("hello");
        const auto f = pkt.serialize();
        pipeline.process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), 1);
      },
      "undeclared observation key 'sloppy.undeclared'");
}

std::string rule_with_fact(const std::string& fact) {
  return R"({"rules": [{"id": "t.typo", "when": {"fact": ")" + fact +
         R"(", "op": "equals", "value": "MSFT 5.0"}, "claims": {"os": "Windows"}, "weight": 0.7, "specificity": "specific",
          "source": "unit test", "examples": {"match": [{")" + fact + R"(": ["MSFT 5.0"]}], "no_match": [{")" + fact +
         R"(": ["x"]}]}}]})";
}

TEST(Vocabulary, TheRuleLoaderRejectsAnUndeclaredFactNamingTheRuleAndTheNearestKey) {
  const Vocabulary v = declared_vocabulary(make_default_registry());
  RuleSet ok;
  EXPECT_NO_THROW(ok.load_text("t.json", rule_with_fact("dhcp.vendor_class"), &v));
  RuleSet typo;
  try {
    typo.load_text("t.json", rule_with_fact("dhcp.vendorclass"), &v);
    FAIL() << "a rule on an undeclared fact loaded";
  } catch (const RuleError& e) {
    EXPECT_STREQ(e.what(),
                 "t.json: rule 't.typo': unknown fact 'dhcp.vendorclass': no parser declares it (nearest declared key: "
                 "'dhcp.vendor_class'; docs/observations.md)");
  }
}

TEST(Vocabulary, TheShippedRulesTestOnlyDeclaredFacts) {
  const Vocabulary v = declared_vocabulary(make_default_registry());
  EXPECT_NO_THROW(RuleSet::load_directory(test::repo_file("fingerprints/rules"), &v));
}

}  // namespace
}  // namespace ww
