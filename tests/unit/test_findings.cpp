// The findings engine (fingerprints/engine/findings.hpp): the strict loader, examples, per-device and aggregate
// findings with their evidence, the shipped library, and the findings on the project's own captures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "fingerprints/engine/classifier.hpp"
#include "fingerprints/engine/findings.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

const char* kControls = R"J({"version": "t1", "source": ["test"], "controls": [
  {"id": "CyFun2023:PR.DS-2", "framework": "CyberFundamentals 2023", "control": "PR.DS-2", "title": "Data in transit", "key_measure": false},
  {"id": "CyFun2023:PR.AC-5", "framework": "CyberFundamentals 2023", "control": "PR.AC-5", "title": "Segregation", "key_measure": true},
  {"id": "NIS2:21(2)(h)", "framework": "NIS2", "control": "21(2)(h)", "title": "Cryptography"}]})J";

// One finding file with `finding` (a JSON object's members after the id).
std::string file_with(const std::string& members) { return R"({"findings": [{"id": "x.one", )" + members + "}]}"; }

const std::string kHead = R"("title": "T", "severity": "high", "description": "D", "remediation": "R",
  "references": ["CyFun2023:PR.DS-2"], "source": "DICOM PS3.15", )";
const std::string kDicom = R"("when": {"fact": "dicom.association", "op": "exists"},
  "examples": {"match": [{"dicom.association": ["A->B"]}], "no_match": [{"tls.dicom": ["true"]}]})";

std::string load_error(const std::string& text, const Vocabulary* vocabulary = nullptr) {
  FindingRules rules;
  rules.load_controls_text("controls.json", kControls);
  try {
    rules.load_text("f.json", text, vocabulary);
    rules.check_examples();
  } catch (const RuleError& e) {
    return e.what();
  }
  return "";
}

FindingRules rules_from(const std::string& text) {
  FindingRules rules;
  rules.load_controls_text("controls.json", kControls);
  rules.load_text("f.json", text);
  rules.check_examples();
  return rules;
}

AssetView asset(const std::string& id, const std::string& ip, const std::string& category,
                std::vector<std::pair<std::string, std::string>> obs = {}) {
  AssetView a;
  a.id = id;
  if (!ip.empty()) a.addresses.push_back({ip, 0, 0, {"traffic"}});
  a.classification.category = category;
  for (auto& [k, v] : obs) a.observations.push_back({k, v, 0, 0, 1});
  return a;
}

const Finding* find(const Inventory& inv, const std::string& id) {
  for (const auto& f : inv.findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

TEST(FindingRules, LoadsAValidFindingAndVersionsIt) {
  const FindingRules rules = rules_from(file_with(kHead + kDicom));
  EXPECT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules.controls().size(), 3u);
  EXPECT_TRUE(rules.controls()[1].key_measure);
  EXPECT_TRUE(rules.version().starts_with("sha256:"));
  EXPECT_EQ(rules.version().size(), 7u + 64u);
}

TEST(FindingRules, StrictLoaderNamesFileAndFinding) {
  EXPECT_EQ(load_error(file_with(kHead + kDicom + R"(, "weight": 1)")), "f.json: finding 'x.one': unknown key 'weight' in the finding");
  std::string bad_ref = kHead;
  bad_ref.replace(bad_ref.find("CyFun2023:PR.DS-2"), 17, "CyFun2023:PR.XX-9");
  EXPECT_EQ(load_error(file_with(bad_ref + kDicom)),
            "f.json: finding 'x.one': unknown reference 'CyFun2023:PR.XX-9': not in the mapping file (references/controls.json)");
  std::string no_source = kHead;
  no_source.replace(no_source.find(R"("source": "DICOM PS3.15", )"), 26, "");
  EXPECT_EQ(load_error(file_with(no_source + kDicom)), "f.json: finding 'x.one': missing 'source'");
  EXPECT_EQ(load_error(file_with(kHead + R"("when": {"fact": "dicom.association", "op": "exists"})")),
            "f.json: finding 'x.one': missing 'examples' {match, no_match}");
  std::string bad_sev = kHead;
  bad_sev.replace(bad_sev.find("high"), 4, "urgent");
  EXPECT_EQ(load_error(file_with(bad_sev + kDicom)),
            "f.json: finding 'x.one': 'severity' must be one of info, low, medium, high, critical");
  EXPECT_EQ(load_error(file_with(kHead + R"("when": {"fact": "asset.colour", "op": "exists"}, "examples": {"match": [{}], "no_match": [{}]})")),
            "f.json: finding 'x.one': unknown fact 'asset.colour'");
  EXPECT_NE(load_error(R"({"findings": [], "extra": 1})").find("unknown key 'extra' in the file"), std::string::npos);
  EXPECT_NE(load_error(file_with(kHead + kDicom + R"(, "aggregate": {"kind": "mixed_subnet"})")).find("either 'when' or 'aggregate'"),
            std::string::npos);
  EXPECT_NE(load_error(file_with(kHead + R"("aggregate": {"kind": "rainbow"})")).find("unknown aggregate kind 'rainbow'"), std::string::npos);
  EXPECT_NE(load_error(file_with(kHead + R"("aggregate": {"kind": "devices_matching_at_least", "when": {"fact": "dhcp.server_id", "op": "exists"}, "at_least": 1})"))
                .find("'at_least' of 2 or more"),
            std::string::npos);
  // Duplicate ids across files.
  FindingRules rules;
  rules.load_controls_text("controls.json", kControls);
  rules.load_text("a.json", file_with(kHead + kDicom));
  try {
    rules.load_text("b.json", file_with(kHead + kDicom));
    FAIL() << "duplicate id accepted";
  } catch (const RuleError& e) {
    EXPECT_STREQ(e.what(), "b.json: finding 'x.one': duplicate id");
  }
}

TEST(FindingRules, UnknownFactWithTheVocabularyIsAnError) {
  const Vocabulary v = declared_vocabulary(make_default_registry());
  const std::string err = load_error(
      file_with(kHead + R"("when": {"fact": "dicom.ae_titel", "op": "exists"}, "examples": {"match": [{"dicom.ae_titel": ["A"]}], "no_match": [{}]})"),
      &v);
  EXPECT_TRUE(err.starts_with("f.json: finding 'x.one': unknown fact 'dicom.ae_titel': no parser declares it")) << err;
  EXPECT_NE(err.find("'dicom.ae_title'"), std::string::npos) << err;
  // Evidence facts and aggregate facts are checked too.
  EXPECT_NE(load_error(file_with(kHead + kDicom + R"(, "evidence": ["hl7.mesage_type"])"), &v).find("unknown fact 'hl7.mesage_type'"),
            std::string::npos);
  EXPECT_NE(load_error(file_with(kHead + R"("aggregate": {"kind": "same_value_on_several_devices", "fact": "dicom.aetitle"})"), &v)
                .find("unknown fact 'dicom.aetitle'"),
            std::string::npos);
}

TEST(FindingRules, MappingFileIsStrict) {
  FindingRules rules;
  EXPECT_THROW(rules.load_controls_text("c.json", R"({"version": "1", "source": ["s"], "controls": [{"id": "A:X", "framework": "F", "control": "Y", "title": "t"}]})"),
               RuleError);
  EXPECT_THROW(rules.load_controls_text("c.json", R"({"version": "1", "controls": [{"id": "A:X", "framework": "F", "control": "X", "title": "t"}]})"),
               RuleError);
  EXPECT_THROW(rules.load_controls_text("c.json", R"({"version": "1", "source": ["s"], "controls": [{"id": "A:X", "framework": "F", "control": "X", "title": "t", "level": 2}]})"),
               RuleError);
  // Findings need the mapping first.
  FindingRules empty;
  EXPECT_THROW(empty.load_text("f.json", file_with(kHead + kDicom)), RuleError);
}

TEST(FindingRules, ExamplesAreSelfTested) {
  EXPECT_EQ(load_error(file_with(kHead + R"("when": {"fact": "dicom.association", "op": "exists"},
    "examples": {"match": [{"tls.dicom": ["true"]}], "no_match": [{"hl7.message_type": ["ADT^A01"]}]})")),
            "f.json: finding 'x.one': match example 1 does not match");
  EXPECT_EQ(load_error(file_with(kHead + R"("when": {"fact": "dicom.association", "op": "exists"},
    "examples": {"match": [{"dicom.association": ["A->B"]}], "no_match": [{"dicom.association": ["C->D"]}]})")),
            "f.json: finding 'x.one': no_match example 1 matches");
}

TEST(FindingEngine, PerDeviceFindingWithEvidenceAndDerivedFacts) {
  const FindingRules rules = rules_from(file_with(kHead + R"("when": {"all": [{"fact": "hl7.message_type", "op": "exists"},
      {"fact": "asset.clinical", "op": "equals", "value": "true"}]}, "evidence": ["hl7.message_type"],
    "examples": {"match": [{"hl7.message_type": ["ADT^A01"], "asset.clinical": ["true"]}], "no_match": [{"hl7.message_type": ["ADT^A01"], "asset.clinical": ["false"]}]})"));
  Inventory inv;
  inv.assets.push_back(asset("mac:02:00:00:00:00:01", "10.0.0.1", "clinical-system", {{"hl7.message_type", "ADT^A01"}, {"hl7.message_type", "ORU^R01"}}));
  inv.assets.push_back(asset("mac:02:00:00:00:00:02", "10.0.0.2", "computer", {{"hl7.message_type", "ACK"}}));
  inv.assets.push_back(asset("mac:02:00:00:00:00:03", "10.0.0.3", "clinical-system"));
  evaluate_findings(inv, rules);
  EXPECT_TRUE(inv.findings_evaluated);
  EXPECT_EQ(inv.findings_version, rules.version());
  EXPECT_EQ(inv.controls.size(), 3u);
  ASSERT_EQ(inv.findings.size(), 1u);
  const Finding& f = inv.findings[0];
  EXPECT_EQ(f.id, "x.one");
  EXPECT_EQ(f.severity, "high");
  EXPECT_EQ(f.source, "DICOM PS3.15");
  EXPECT_EQ(f.references, std::vector<std::string>{"CyFun2023:PR.DS-2"});
  EXPECT_EQ(f.assets, std::vector<std::string>{"mac:02:00:00:00:00:01"});
  ASSERT_EQ(f.evidence.size(), 1u);
  EXPECT_EQ(f.evidence[0].asset_id, "mac:02:00:00:00:00:01");
  EXPECT_EQ(f.evidence[0].facts,
            (std::vector<std::string>{"hl7.message_type=ADT^A01", "asset.clinical=true", "hl7.message_type=ORU^R01"}));
}

TEST(FindingEngine, DerivedFactsFromTheClassification) {
  AssetView a = asset("mac:02:00:00:00:00:01", "10.0.0.1", "infusion", {{"tls.cert.not_after", "2020-01-01T00:00:00Z"}});
  a.classification.attributes["vendor"] = "B. Braun";
  a.crown_jewel = CrownJewel{"pacs", {}, {}};
  const std::int64_t y2024 = 1704067200LL * 1000000;  // 2024-01-01T00:00:00Z
  const FactSet f = finding_facts(a, y2024);
  EXPECT_EQ(f.at("asset.category"), std::vector<std::string>{"infusion"});
  EXPECT_EQ(f.at("asset.vendor"), std::vector<std::string>{"B. Braun"});
  EXPECT_EQ(f.at("asset.crown_jewel"), std::vector<std::string>{"pacs"});
  EXPECT_EQ(f.at("asset.medical"), std::vector<std::string>{"true"});
  EXPECT_EQ(f.at("asset.clinical"), std::vector<std::string>{"true"});
  EXPECT_EQ(f.at("asset.tls_cert_expired"), std::vector<std::string>{"true"});
  EXPECT_FALSE(f.contains("asset.model"));
  EXPECT_EQ(finding_facts(a, 1'500'000'000LL * 1000000).at("asset.tls_cert_expired"), std::vector<std::string>{"false"});  // 2017
  EXPECT_FALSE(finding_facts(a, 0).contains("asset.tls_cert_expired"));  // no capture time: not dated
  const FactSet w = finding_facts(asset("mac:02:00:00:00:00:02", "", "clinical-workstation"), 0);
  EXPECT_EQ(w.at("asset.medical"), std::vector<std::string>{"false"});
  EXPECT_EQ(w.at("asset.clinical"), std::vector<std::string>{"true"});
}

TEST(FindingEngine, DevicesMatchingAtLeast) {
  const FindingRules rules = rules_from(file_with(kHead + R"("evidence": ["dhcp.server_id"], "aggregate": {"kind": "devices_matching_at_least",
    "when": {"fact": "dhcp.message_type", "op": "in", "values": ["OFFER", "ACK"]}, "at_least": 2})"));
  Inventory inv;
  inv.assets.push_back(asset("mac:a", "10.0.0.1", "network-infrastructure", {{"dhcp.message_type", "OFFER"}, {"dhcp.server_id", "10.0.0.1"}}));
  inv.assets.push_back(asset("mac:b", "10.0.0.2", "computer", {{"dhcp.message_type", "REQUEST"}}));
  evaluate_findings(inv, rules);
  EXPECT_TRUE(inv.findings.empty());  // one server: fine
  inv.assets.push_back(asset("mac:c", "10.0.0.3", "unknown", {{"dhcp.message_type", "ACK"}, {"dhcp.server_id", "10.0.0.3"}}));
  evaluate_findings(inv, rules);
  ASSERT_EQ(inv.findings.size(), 1u);
  EXPECT_EQ(inv.findings[0].assets, (std::vector<std::string>{"mac:a", "mac:c"}));
  EXPECT_EQ(inv.findings[0].evidence[0].facts, (std::vector<std::string>{"dhcp.message_type=OFFER", "dhcp.server_id=10.0.0.1"}));
  EXPECT_EQ(inv.findings[0].evidence[1].facts, (std::vector<std::string>{"dhcp.message_type=ACK", "dhcp.server_id=10.0.0.3"}));
}

TEST(FindingEngine, SameValueOnSeveralDevices) {
  const FindingRules rules = rules_from(file_with(kHead + R"("aggregate": {"kind": "same_value_on_several_devices", "fact": "dicom.ae_title"})"));
  Inventory inv;
  inv.assets.push_back(asset("mac:a", "10.0.0.1", "medical-imaging", {{"dicom.ae_title", "CT1"}, {"dicom.ae_title", "CT1"}}));
  inv.assets.push_back(asset("mac:b", "10.0.0.2", "medical-imaging", {{"dicom.ae_title", "MR1"}}));
  evaluate_findings(inv, rules);
  EXPECT_TRUE(inv.findings.empty());  // a title repeated on one device is no duplicate
  inv.assets.push_back(asset("mac:c", "10.0.0.3", "medical-imaging", {{"dicom.ae_title", "CT1"}}));
  evaluate_findings(inv, rules);
  ASSERT_EQ(inv.findings.size(), 1u);
  EXPECT_EQ(inv.findings[0].assets, (std::vector<std::string>{"mac:a", "mac:c"}));
  EXPECT_EQ(inv.findings[0].evidence[1].facts, std::vector<std::string>{"dicom.ae_title=CT1"});
}

TEST(FindingEngine, MixedSubnetByAddressAndByVlan) {
  const FindingRules rules = rules_from(file_with(kHead + R"("aggregate": {"kind": "mixed_subnet",
    "a": {"fact": "asset.medical", "op": "equals", "value": "true"},
    "b": {"fact": "asset.category", "op": "in", "values": ["computer", "mobile"]}, "prefix_v4": 24})"));
  Inventory inv;
  inv.assets.push_back(asset("mac:a", "10.1.1.5", "infusion"));
  inv.assets.push_back(asset("mac:b", "10.1.2.6", "computer"));  // another /24
  inv.assets.push_back(asset("mac:c", "10.1.1.7", "printer"));   // neither side
  evaluate_findings(inv, rules);
  EXPECT_TRUE(inv.findings.empty());
  inv.assets.push_back(asset("mac:d", "10.1.1.200", "mobile"));
  AssetView behind = asset("ip:10.1.1.9", "10.1.1.9", "computer");
  behind.beyond_router = true;  // not on the segment
  inv.assets.push_back(behind);
  evaluate_findings(inv, rules);
  ASSERT_EQ(inv.findings.size(), 1u);
  EXPECT_EQ(inv.findings[0].assets, (std::vector<std::string>{"mac:a", "mac:d"}));
  EXPECT_EQ(inv.findings[0].evidence[0].facts, (std::vector<std::string>{"asset.medical=true", "asset.subnet_v4=10.1.1.0/24"}));
  EXPECT_EQ(inv.findings[0].evidence[1].facts, (std::vector<std::string>{"asset.category=mobile", "asset.subnet_v4=10.1.1.0/24"}));

  // The same VLAN id joins devices whose addresses differ.
  Inventory v;
  v.assets.push_back(asset("mac:a", "10.1.1.5", "patient-monitoring"));
  v.assets.push_back(asset("mac:b", "10.9.9.9", "computer"));
  v.assets[0].vlans = {30};
  v.assets[1].vlans = {30};
  evaluate_findings(v, rules);
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_TRUE(has(v.findings[0].evidence[1].facts, "asset.vlan=30"));

  // "affected": "b" lists only the b side.
  const FindingRules only_b = rules_from(file_with(kHead + R"("aggregate": {"kind": "mixed_subnet",
    "a": {"fact": "asset.clinical", "op": "equals", "value": "true"},
    "b": {"fact": "asset.category", "op": "equals", "value": "unknown"}, "affected": "b"})"));
  Inventory u;
  u.assets.push_back(asset("mac:a", "10.1.1.5", "clinical-system"));
  u.assets.push_back(asset("mac:b", "10.1.1.6", "unknown"));
  evaluate_findings(u, only_b);
  ASSERT_EQ(u.findings.size(), 1u);
  EXPECT_EQ(u.findings[0].assets, std::vector<std::string>{"mac:b"});
}

// ---- the shipped library ----------------------------------------------------------------------------------

const FindingRules& shipped() {
  static const Vocabulary v = declared_vocabulary(make_default_registry());
  static const FindingRules rules = FindingRules::load_directory(test::repo_file("fingerprints/findings"), &v);
  return rules;
}

// A medical device's conversations with globally reachable addresses raise exposure.medical-public-peer;
// private, shared, link-local and documentation peers, or a non-medical device, do not.
TEST(FindingEngine, MedicalDeviceTalkingToPublicAddresses) {
  const auto talks_to = [](AssetView a, std::vector<std::string> peers) {
    for (auto& p : peers) {
      ConversationView c;
      c.peer = p;
      c.proto = "tcp";
      c.port = 443;
      c.role = "client";
      a.conversations.push_back(c);
    }
    return a;
  };
  Inventory inv;
  inv.assets.push_back(talks_to(asset("mac:02:00:00:00:00:01", "10.0.0.1", "infusion"),
                                {"10.0.0.9", "100.64.1.1", "192.0.2.7", "2001:db8::1", "93.184.216.34", "2a00:1450::5"}));
  inv.assets.push_back(talks_to(asset("mac:02:00:00:00:00:02", "10.0.0.2", "patient-monitoring"),
                                {"10.0.0.9", "172.16.5.5", "fd00::1", "169.254.1.1", "198.18.0.1"}));
  inv.assets.push_back(talks_to(asset("mac:02:00:00:00:00:03", "10.0.0.3", "computer"), {"93.184.216.34"}));
  const FactSet f = finding_facts(inv.assets[0], 0);
  EXPECT_EQ(f.at("asset.public_peer"), (std::vector<std::string>{"2a00:1450::5", "93.184.216.34"}));
  EXPECT_FALSE(finding_facts(inv.assets[1], 0).contains("asset.public_peer"));
  evaluate_findings(inv, shipped());
  const Finding* public_peer = find(inv, "exposure.medical-public-peer");
  ASSERT_NE(public_peer, nullptr);
  EXPECT_EQ(public_peer->assets, std::vector<std::string>{"mac:02:00:00:00:00:01"});
  EXPECT_NE(std::find(public_peer->references.begin(), public_peer->references.end(), "CyFun2023:ID.AM-4"),
            public_peer->references.end());
}

TEST(IpAddrGlobal, SpecialPurposeBlocksAreNotGloballyReachable) {
  for (const char* ip : {"8.8.8.8", "93.184.216.34", "2a00:1450::5", "2606:4700::1111"}) {
    EXPECT_TRUE(IpAddr::parse(ip)->is_global_unicast()) << ip;
  }
  for (const char* ip : {"0.1.2.3", "10.1.1.1", "100.64.0.1", "100.127.255.255", "127.0.0.1", "169.254.3.4",
                         "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1", "198.18.0.1",
                         "198.51.100.1", "203.0.113.1", "224.0.0.251", "240.0.0.1", "255.255.255.255", "::", "::1",
                         "fe80::1", "fc00::1", "fd12::1", "ff02::1", "2001:db8::1", "2001::1", "100::1"}) {
    EXPECT_FALSE(IpAddr::parse(ip)->is_global_unicast()) << ip;
  }
  EXPECT_TRUE(IpAddr::parse("172.32.0.1")->is_global_unicast());  // just past 172.16/12
  EXPECT_TRUE(IpAddr::parse("100.128.0.1")->is_global_unicast());  // just past 100.64/10
}

TEST(FindingLibrary, LoadsStrictlyWithTheVocabularyAndItsExamplesPass) {
  const FindingRules& rules = shipped();
  EXPECT_GE(rules.size(), 25u);
  EXPECT_NO_THROW(rules.check_examples());
  std::set<std::string> files;
  for (const auto& r : rules.rules()) {
    files.insert(r.file);
    EXPECT_FALSE(r.source.empty()) << r.id;
    EXPECT_FALSE(r.references.empty()) << r.id;
  }
  EXPECT_EQ(files, (std::set<std::string>{"cleartext.json", "exposure.json", "hygiene.json", "obsolete.json", "segmentation.json"}));
  // Every control of the issue is in the mapping, with its key-measure flag.
  std::set<std::string> ids;
  for (const auto& c : rules.controls()) ids.insert(c.id);
  for (const char* id : {"CyFun2023:ID.AM-1", "CyFun2023:ID.AM-2", "CyFun2023:ID.AM-3", "CyFun2023:ID.AM-4", "CyFun2023:PR.AC-5",
                         "CyFun2023:PR.DS-2", "CyFun2023:PR.IP-1", "CyFun2023:DE.CM-1.2", "CyFun2023:DE.AE-1.1", "CyFun2023:DE.CM-7",
                         "CyFun2023:DE.CM-8", "NIS2:21(2)(d)", "NIS2:21(2)(e)", "NIS2:21(2)(h)", "NIS2:21(2)(i)"}) {
    EXPECT_TRUE(ids.contains(id)) << id;
  }
  for (const auto& c : rules.controls()) {
    const bool key = c.control == "PR.AC-5" || c.control == "PR.IP-1" || c.control == "DE.CM-1.2" || c.control == "DE.AE-1.1";
    EXPECT_EQ(c.key_measure, key) << c.id;
  }
}

// The derived facts come from the classification; every finding must also show a fact seen on the wire.
bool wire_fact(const std::string& fact) {
  static const std::set<std::string> derived{"asset.category", "asset.device_type", "asset.vendor", "asset.model", "asset.os",
                                             "asset.firmware", "asset.software", "asset.modality", "asset.role",
                                             "asset.crown_jewel", "asset.medical", "asset.clinical", "asset.router",
                                             "asset.beyond_router", "asset.locally_administered"};
  if (fact.starts_with("not(")) return false;
  return !derived.contains(fact.substr(0, fact.find('=')));
}

void expect_every_finding_has_wire_evidence(const Inventory& inv) {
  for (const auto& f : inv.findings) {
    ASSERT_EQ(f.assets.size(), f.evidence.size()) << f.id;
    for (std::size_t i = 0; i < f.evidence.size(); ++i) {
      EXPECT_EQ(f.evidence[i].asset_id, f.assets[i]) << f.id;
      EXPECT_TRUE(std::any_of(f.evidence[i].facts.begin(), f.evidence[i].facts.end(), wire_fact))
          << f.id << " on " << f.assets[i] << " has no evidence from the wire";
    }
  }
}

Inventory classified(const std::string& pcap) {
  Inventory inv = test::run_capture(pcap);
  static const RuleSet fingerprint_rules = RuleSet::load_directory(test::repo_file("fingerprints/rules"));
  classify_inventory(inv, fingerprint_rules);
  evaluate_findings(inv, shipped());
  for (const auto& f : inv.findings) {  // what fired, for whoever reads the test log
    std::string assets;
    for (const auto& a : f.assets) assets += " " + a;
    std::printf("[ findings ] %s: %s\n", f.id.c_str(), assets.c_str());
  }
  return inv;
}

std::vector<std::string> assets_of(const Inventory& inv, const std::string& id) {
  const Finding* f = find(inv, id);
  return f ? f->assets : std::vector<std::string>{};
}

TEST(FindingCaptures, HospitalLabCleartextDicomAndHl7) {
  const Inventory inv = classified(test::hospital_lab_pcap());
  ASSERT_TRUE(inv.findings_evaluated);
  const auto dicom = assets_of(inv, "cleartext.dicom");
  for (const char* id : {"mac:02:77:00:00:00:10", "mac:44:4b:5d:77:00:21", "mac:88:4b:39:77:00:22"}) {
    EXPECT_TRUE(has(dicom, id)) << id;  // PACS, CT, MR
  }
  EXPECT_FALSE(has(dicom, "mac:02:77:00:00:00:40"));  // the EHR speaks no DICOM
  const auto hl7 = assets_of(inv, "cleartext.hl7");
  EXPECT_TRUE(has(hl7, "mac:02:77:00:00:00:40"));  // EHR
  EXPECT_FALSE(has(hl7, "mac:02:77:00:00:00:10"));
  // The HL7 evidence counts message types, and nothing of the content.
  const Finding* f = find(inv, "cleartext.hl7");
  ASSERT_NE(f, nullptr);
  for (const auto& ev : f->evidence) {
    for (const auto& fact : ev.facts) {
      EXPECT_TRUE(fact.starts_with("hl7.message_type=") || fact.starts_with("hl7.framing=")) << fact;
    }
  }
  // Every AE title is on one device in the lab.
  EXPECT_EQ(find(inv, "hygiene.duplicate-dicom-ae-title"), nullptr);
  // No Windows, SMB or TLS in the lab.
  for (const char* id : {"obsolete.windows-xp-2003", "obsolete.windows-7-2008", "obsolete.smbv1-server", "obsolete.tls-legacy",
                         "exposure.tls-self-signed", "exposure.snmp-default-community"}) {
    EXPECT_EQ(find(inv, id), nullptr) << id;
  }
  expect_every_finding_has_wire_evidence(inv);
}

TEST(FindingCaptures, IdentityLab) {
  const Inventory inv = classified(test::identity_lab_pcap());
  EXPECT_TRUE(has(assets_of(inv, "exposure.snmp-default-community"), "mac:02:88:00:00:00:11"));
  EXPECT_TRUE(has(assets_of(inv, "cleartext.snmp-v1v2c"), "mac:02:88:00:00:00:11"));
  const auto self_signed_low = assets_of(inv, "exposure.tls-self-signed");
  const auto self_signed_clinical = assets_of(inv, "exposure.tls-self-signed-clinical");
  EXPECT_TRUE(has(self_signed_low, "mac:02:88:00:00:00:20") || has(self_signed_clinical, "mac:02:88:00:00:00:20"));
  EXPECT_EQ(find(inv, "obsolete.tls-legacy"), nullptr);  // TLS 1.2
  // The workstation's browser announcement says 6.1, but it is Samba's nmbd (role unix_server): not Windows 7.
  EXPECT_FALSE(has(assets_of(inv, "obsolete.windows-7-2008"), "mac:02:88:00:00:00:30"));
  EXPECT_TRUE(has(assets_of(inv, "segmentation.name-poisoning-on-clinical"), "mac:02:88:00:00:00:30"));  // NBNS beside the pump
  expect_every_finding_has_wire_evidence(inv);
}

}  // namespace
}  // namespace ww
