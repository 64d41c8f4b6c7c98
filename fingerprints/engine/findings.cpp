#include "fingerprints/engine/findings.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "fingerprints/engine/classifier.hpp"
#include "fingerprints/engine/condition_json.hpp"
#include "wardwatch/net_types.hpp"

namespace ww {
namespace {

using json = nlohmann::json;

const std::vector<std::string>& severities() {
  static const std::vector<std::string> s{"info", "low", "medium", "high", "critical"};
  return s;
}

// The asset.* facts derived for findings from the classification and the capture (docs/findings.md), beyond
// the ones fingerprint rules test.
const std::set<std::string, std::less<>>& finding_asset_facts() {
  static const std::set<std::string, std::less<>> f{
      "asset.category", "asset.device_type", "asset.vendor", "asset.model",   "asset.os",
      "asset.firmware", "asset.software",    "asset.modality", "asset.role", "asset.crown_jewel",
      "asset.medical",  "asset.clinical",    "asset.tls_cert_expired", "asset.public_peer"};
  return f;
}

// Facts an aggregate adds to the evidence: where the devices met.
constexpr const char* kSubnetFact = "asset.subnet_v4";
constexpr const char* kVlanFact = "asset.vlan";

bool is_clinical_category(std::string_view c) {
  return is_medical_category(c) || c == "clinical-workstation" || c == "clinical-system";
}

// "YYYY-MM-DDTHH:MM:SSZ" of a capture time (the format of tls.cert.not_after: ISO 8601 UTC).
std::string iso_utc(std::int64_t us) {
  const std::time_t t = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A finding's reader: the rule reader, naming "finding 'id'" in errors and allowing the finding-only asset.*
// facts; its required texts must not be empty.
RuleReader finding_reader(std::string file, std::string id, const Vocabulary* vocabulary) {
  return RuleReader(ConditionSource{std::move(file), "finding", std::move(id), vocabulary, &finding_asset_facts()});
}

std::string id_for_errors(const json& j) {
  return j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "?";
}

FindingAggregate read_aggregate(const RuleReader& l, const json& j) {
  if (!j.is_object()) l.fail("'aggregate' must be an object with a 'kind'");
  const std::string kind = l.nonempty_text(j, "kind");
  FindingAggregate a;
  if (kind == "devices_matching_at_least") {
    l.only_keys(j, {"kind", "when", "at_least"}, "aggregate");
    a.kind = FindingAggregate::Kind::devices_matching_at_least;
    if (!j.contains("when")) l.fail("aggregate devices_matching_at_least needs 'when'");
    a.when = l.condition(j["when"]);
    if (!j.contains("at_least") || !j["at_least"].is_number_unsigned() || j["at_least"].get<std::size_t>() < 2) {
      l.fail("aggregate devices_matching_at_least needs an integer 'at_least' of 2 or more");
    }
    a.at_least = j["at_least"].get<std::size_t>();
  } else if (kind == "same_value_on_several_devices") {
    l.only_keys(j, {"kind", "fact", "when"}, "aggregate");
    a.kind = FindingAggregate::Kind::same_value_on_several_devices;
    a.fact = l.nonempty_text(j, "fact");
    l.check_fact(a.fact);
    if (j.contains("when")) a.when = l.condition(j["when"]);
  } else if (kind == "mixed_subnet") {
    l.only_keys(j, {"kind", "a", "b", "prefix_v4", "vlans", "affected"}, "aggregate");
    a.kind = FindingAggregate::Kind::mixed_subnet;
    if (!j.contains("a") || !j.contains("b")) l.fail("aggregate mixed_subnet needs conditions 'a' and 'b'");
    a.a = l.condition(j["a"]);
    a.b = l.condition(j["b"]);
    if (j.contains("prefix_v4")) {
      if (!j["prefix_v4"].is_number_unsigned() || j["prefix_v4"].get<int>() < 8 || j["prefix_v4"].get<int>() > 32) {
        l.fail("'prefix_v4' must be an integer from 8 to 32");
      }
      a.prefix_v4 = j["prefix_v4"].get<int>();
    }
    if (j.contains("vlans")) {
      if (!j["vlans"].is_boolean()) l.fail("'vlans' must be true or false");
      a.use_vlans = j["vlans"].get<bool>();
    }
    if (j.contains("affected")) {
      a.affected = l.nonempty_text(j, "affected");
      if (a.affected != "both" && a.affected != "a" && a.affected != "b") l.fail("'affected' must be 'both', 'a' or 'b'");
    }
  } else {
    l.fail("unknown aggregate kind '" + kind +
           "' (devices_matching_at_least, same_value_on_several_devices, mixed_subnet)");
  }
  return a;
}

FindingRule read_finding(const RuleReader& l, const json& j, const std::string& file, std::set<std::string>& ids,
                         const std::vector<ControlReference>& controls) {
  if (!j.is_object()) l.fail("a finding must be an object");
  l.only_keys(j,
              {"id", "title", "severity", "description", "remediation", "references", "source", "when", "aggregate",
               "evidence", "examples"},
              "the finding");
  FindingRule r;
  r.file = file;
  r.id = l.nonempty_text(j, "id");
  static const RE2 id_re("[a-z0-9][a-z0-9_.-]*");
  if (!RE2::FullMatch(r.id, id_re)) l.fail("id must be lower-case letters, digits, '.', '-', '_'");
  if (!ids.insert(r.id).second) l.fail("duplicate id");
  r.title = l.nonempty_text(j, "title");
  r.severity = l.nonempty_text(j, "severity");
  if (std::find(severities().begin(), severities().end(), r.severity) == severities().end()) {
    l.fail("'severity' must be one of info, low, medium, high, critical");
  }
  r.description = l.nonempty_text(j, "description");
  r.remediation = l.nonempty_text(j, "remediation");
  r.source = l.nonempty_text(j, "source");
  if (r.source.size() < 3) l.fail("'source' must name the public document the finding's basis comes from");
  if (!j.contains("references") || !j["references"].is_array() || j["references"].empty()) {
    l.fail("'references' must be a non-empty list of control ids of the mapping file");
  }
  for (const auto& ref : j["references"]) {
    if (!ref.is_string()) l.fail("'references' must be strings");
    const std::string id = ref.get<std::string>();
    if (std::none_of(controls.begin(), controls.end(), [&](const ControlReference& c) { return c.id == id; })) {
      l.fail("unknown reference '" + id + "': not in the mapping file (references/controls.json)");
    }
    if (std::find(r.references.begin(), r.references.end(), id) != r.references.end()) l.fail("duplicate reference '" + id + "'");
    r.references.push_back(id);
  }
  if (j.contains("when") == j.contains("aggregate")) l.fail("a finding has either 'when' or 'aggregate'");
  if (j.contains("when")) {
    r.when = l.condition(j["when"]);
    if (!j.contains("examples") || !j["examples"].is_object()) l.fail("missing 'examples' {match, no_match}");
    l.only_keys(j["examples"], {"match", "no_match"}, "examples");
    r.match_examples = l.example_list(j["examples"], "match");
    r.no_match_examples = l.example_list(j["examples"], "no_match");
  } else {
    r.aggregate = read_aggregate(l, j["aggregate"]);
    if (j.contains("examples")) l.fail("'examples' are for per-device findings ('when'); aggregates are tested in code");
  }
  if (j.contains("evidence")) {
    if (!j["evidence"].is_array()) l.fail("'evidence' must be a list of facts");
    for (const auto& f : j["evidence"]) {
      if (!f.is_string()) l.fail("'evidence' must be a list of facts");
      l.check_fact(f.get<std::string>());
      r.evidence_facts.push_back(f.get<std::string>());
    }
  }
  return r;
}

// ---- evaluation -------------------------------------------------------------------------------------------

void add_unique(std::vector<std::string>& to, const std::string& v) {
  if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(v);
}

// Every value of the rule's evidence facts on the device.
void add_evidence_facts(const FindingRule& rule, const FactSet& facts, std::vector<std::string>& out) {
  for (const auto& key : rule.evidence_facts) {
    const auto it = facts.find(key);
    if (it == facts.end()) continue;
    for (const auto& v : it->second) add_unique(out, key + "=" + v);
  }
}

// The affected devices of one finding, as asset index -> facts, in inventory order.
using Affected = std::map<std::size_t, std::vector<std::string>>;

void affect(Affected& affected, std::size_t i, const std::vector<std::string>& facts) {
  auto& list = affected[i];
  for (const auto& f : facts) add_unique(list, f);
}

// The segments a device is on: its IPv4 subnets (inferred with the prefix length: wardwatch sees no netmask)
// and its VLAN ids. Routers (on many segments) and hosts seen only behind a router are on none.
std::vector<std::string> segments_of(const AssetView& a, int prefix, bool vlans) {
  std::vector<std::string> out;
  if (a.router || a.beyond_router) return out;
  for (const auto& addr : a.addresses) {
    unsigned o[4] = {0, 0, 0, 0};
    const char* p = addr.ip.data();
    const char* end = p + addr.ip.size();
    bool ok = true;
    for (int k = 0; k < 4 && ok; ++k) {
      auto [next, ec] = std::from_chars(p, end, o[k]);
      ok = ec == std::errc() && o[k] <= 255 && (k == 3 ? next == end : next < end && *next == '.');
      if (ok && k < 3) p = next + 1;
    }
    if (!ok || o[0] == 0 || o[0] == 127 || (o[0] == 169 && o[1] == 254) || o[0] >= 224) continue;
    std::uint32_t ip = (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3];
    const std::uint32_t mask = prefix == 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
    ip &= mask;
    add_unique(out, std::string(kSubnetFact) + "=" + std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) +
                        "." + std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255) + "/" +
                        std::to_string(prefix));
  }
  if (vlans) {
    for (const auto v : a.vlans) add_unique(out, std::string(kVlanFact) + "=" + std::to_string(v));
  }
  return out;
}

Affected evaluate_aggregate(const FindingRule& rule, const std::vector<FactSet>& facts) {
  const FindingAggregate& ag = *rule.aggregate;
  Affected affected;
  switch (ag.kind) {
    case FindingAggregate::Kind::devices_matching_at_least: {
      Affected matching;
      for (std::size_t i = 0; i < facts.size(); ++i) {
        if (!holds(*ag.when, facts[i])) continue;
        RuleMatch m = evaluate(*ag.when, facts[i]);
        add_evidence_facts(rule, facts[i], m.facts);
        affect(matching, i, m.facts);
      }
      if (matching.size() >= ag.at_least) affected = std::move(matching);
      break;
    }
    case FindingAggregate::Kind::same_value_on_several_devices: {
      std::map<std::string, std::vector<std::size_t>> holders;  // value -> devices
      std::map<std::size_t, std::vector<std::string>> filter_facts;
      for (std::size_t i = 0; i < facts.size(); ++i) {
        if (ag.when) {
          if (!holds(*ag.when, facts[i])) continue;
          RuleMatch m = evaluate(*ag.when, facts[i]);
          filter_facts[i] = std::move(m.facts);
        }
        const auto it = facts[i].find(ag.fact);
        if (it == facts[i].end()) continue;
        std::set<std::string> distinct(it->second.begin(), it->second.end());
        for (const auto& v : distinct) holders[v].push_back(i);
      }
      for (const auto& [value, devices] : holders) {
        if (devices.size() < 2) continue;
        for (const std::size_t i : devices) {
          std::vector<std::string> ev{ag.fact + "=" + value};
          if (const auto f = filter_facts.find(i); f != filter_facts.end()) ev.insert(ev.end(), f->second.begin(), f->second.end());
          add_evidence_facts(rule, facts[i], ev);
          affect(affected, i, ev);
        }
      }
      break;
    }
    case FindingAggregate::Kind::mixed_subnet:
      break;  // needs the devices' addresses: mixed_subnet()
  }
  return affected;
}

// mixed_subnet: devices of side a and side b on one segment.
Affected mixed_subnet(const FindingRule& rule, const Inventory& inv, const std::vector<FactSet>& facts) {
  const FindingAggregate& ag = *rule.aggregate;
  const std::size_t n = inv.assets.size();
  std::map<std::size_t, std::vector<std::string>> a_facts, b_facts;  // device -> facts of its side's condition
  std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> segments;  // -> (a, b)
  for (std::size_t i = 0; i < n; ++i) {
    if (!holds(ag.a, facts[i]) && !holds(ag.b, facts[i])) continue;
    RuleMatch ma = evaluate(ag.a, facts[i]);
    RuleMatch mb = evaluate(ag.b, facts[i]);
    for (const auto& seg : segments_of(inv.assets[i], ag.prefix_v4, ag.use_vlans)) {
      if (ma.matched) segments[seg].first.push_back(i);
      if (mb.matched) segments[seg].second.push_back(i);
    }
    if (ma.matched) a_facts[i] = std::move(ma.facts);
    if (mb.matched) b_facts[i] = std::move(mb.facts);
  }
  Affected affected;
  for (const auto& entry : segments) {
    // Named references, not structured bindings: clang before 16 cannot capture a binding in a lambda.
    const std::string& seg = entry.first;
    const auto& as = entry.second.first;
    const auto& bs = entry.second.second;
    // mixed: some a and some b that are not the same device
    const bool mixed = std::any_of(as.begin(), as.end(), [&](std::size_t x) {
      return std::any_of(bs.begin(), bs.end(), [&](std::size_t y) { return x != y; });
    });
    if (!mixed) continue;
    auto add_side = [&](const std::vector<std::size_t>& side, const std::map<std::size_t, std::vector<std::string>>& side_facts) {
      for (const std::size_t i : side) {
        std::vector<std::string> ev = side_facts.at(i);
        ev.push_back(seg);
        add_evidence_facts(rule, facts[i], ev);
        affect(affected, i, ev);
      }
    };
    if (ag.affected != "b") add_side(as, a_facts);
    if (ag.affected != "a") add_side(bs, b_facts);
  }
  return affected;
}

// The globally reachable addresses the device had conversations with (IpAddr::is_global_unicast), the first
// kMaxPublicPeers in address order: evidence, not a list of every Internet host a device reached.
void add_public_peers(const AssetView& a, FactSet& f) {
  static constexpr std::size_t kMaxPublicPeers = 16;
  std::set<std::string> peers;
  for (const ConversationView& c : a.conversations) {
    if (peers.size() >= kMaxPublicPeers) break;
    const auto ip = IpAddr::parse(c.peer);
    if (ip && ip->is_global_unicast()) peers.insert(c.peer);
  }
  for (const auto& p : peers) f["asset.public_peer"].push_back(p);
}

}  // namespace

FactSet finding_facts(const AssetView& a, std::int64_t end_us) {
  FactSet f = facts_of(a);
  const Classification& c = a.classification;
  f["asset.category"].push_back(c.category);
  static const std::pair<const char*, const char*> attrs[] = {
      {"device_type", "asset.device_type"}, {"vendor", "asset.vendor"}, {"model", "asset.model"},
      {"os", "asset.os"},                   {"firmware", "asset.firmware"}, {"software", "asset.software"},
      {"modality", "asset.modality"},       {"role", "asset.role"}};
  for (const auto& [attr, fact] : attrs) {
    if (const auto it = c.attributes.find(attr); it != c.attributes.end() && !it->second.empty()) {
      f[fact].push_back(it->second);
    }
  }
  if (a.crown_jewel) f["asset.crown_jewel"].push_back(a.crown_jewel->kind);
  f["asset.medical"].push_back(is_medical_category(c.category) ? "true" : "false");
  f["asset.clinical"].push_back(is_clinical_category(c.category) ? "true" : "false");
  add_public_peers(a, f);
  if (end_us > 0) {
    if (const auto it = f.find("tls.cert.not_after"); it != f.end()) {
      const std::string end = iso_utc(end_us);
      // ISO 8601 UTC of one format: text order is time order.
      const bool expired = std::any_of(it->second.begin(), it->second.end(), [&](const std::string& v) {
        return v.size() == end.size() && v < end;
      });
      f["asset.tls_cert_expired"].push_back(expired ? "true" : "false");
    }
  }
  return f;
}

void FindingRules::load_controls_text(const std::string& name, const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw RuleError(name + ": not valid JSON: " + e.what());
  }
  const RuleReader file = finding_reader(name, "", nullptr);
  if (!doc.is_object() || !doc.contains("controls") || !doc["controls"].is_array() || doc["controls"].empty()) {
    file.fail("a mapping file is an object {\"version\", \"source\": [...], \"controls\": [...]}");
  }
  file.only_keys(doc, {"version", "source", "description", "controls"}, "the mapping file");
  try {
    controls_version_ = file.nonempty_text(doc, "version");
    if (!doc.contains("source") || !doc["source"].is_array() || doc["source"].empty()) {
      file.fail("'source' must be a non-empty list naming the frameworks' public documents");
    }
    std::vector<ControlReference> controls;
    std::set<std::string> ids;
    for (const auto& c : doc["controls"]) {
      if (!c.is_object()) file.fail("a control must be an object");
      file.only_keys(c, {"id", "framework", "control", "title", "key_measure"}, "a control");
      ControlReference ref;
      ref.id = file.nonempty_text(c, "id");
      ref.framework = file.nonempty_text(c, "framework");
      ref.control = file.nonempty_text(c, "control");
      ref.title = file.nonempty_text(c, "title");
      if (c.contains("key_measure")) {
        if (!c["key_measure"].is_boolean()) file.fail("control '" + ref.id + "': 'key_measure' must be true or false");
        ref.key_measure = c["key_measure"].get<bool>();
      }
      if (!ref.id.ends_with(":" + ref.control)) file.fail("control '" + ref.id + "': the id must end with ':" + ref.control + "'");
      if (!ids.insert(ref.id).second) file.fail("duplicate control '" + ref.id + "'");
      controls.push_back(std::move(ref));
    }
    controls_ = std::move(controls);
  } catch (const json::exception& e) {
    file.fail(std::string("a value of the wrong type: ") + e.what());
  }
  controls_digest_ = name + '\n' + text + '\n';
  update_version();
}

void FindingRules::load_text(const std::string& name, const std::string& text, const Vocabulary* vocabulary) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw RuleError(name + ": not valid JSON: " + e.what());
  }
  const RuleReader file = finding_reader(name, "", vocabulary);
  if (!doc.is_object() || !doc.contains("findings") || !doc["findings"].is_array()) {
    file.fail("a finding file is an object {\"findings\": [...]}");
  }
  file.only_keys(doc, {"findings", "description"}, "the file");
  if (controls_.empty()) file.fail("no mapping file loaded: load the controls before the findings");
  std::set<std::string> ids;
  for (const auto& r : rules_) ids.insert(r.id);
  for (const json& j : doc["findings"]) {
    const RuleReader l = finding_reader(name, id_for_errors(j), vocabulary);
    try {
      rules_.push_back(read_finding(l, j, name, ids, controls_));
    } catch (const json::exception& e) {
      l.fail(std::string("a value of the wrong type: ") + e.what());
    }
  }
  rules_digest_ += name + '\n' + text + '\n';
  update_version();
}

void FindingRules::update_version() { version_ = "sha256:" + sha256_text_hex(rules_digest_ + controls_digest_); }

void FindingRules::check_examples() const {
  for (const auto& r : rules_) {
    if (!r.when) continue;
    for (std::size_t i = 0; i < r.match_examples.size(); ++i) {
      if (!evaluate(*r.when, r.match_examples[i]).matched) {
        throw RuleError(r.file + ": finding '" + r.id + "': match example " + std::to_string(i + 1) + " does not match");
      }
    }
    for (std::size_t i = 0; i < r.no_match_examples.size(); ++i) {
      if (evaluate(*r.when, r.no_match_examples[i]).matched) {
        throw RuleError(r.file + ": finding '" + r.id + "': no_match example " + std::to_string(i + 1) + " matches");
      }
    }
  }
}

FindingRules FindingRules::load_directory(const std::string& dir, const Vocabulary* vocabulary) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw RuleError(dir + ": findings directory not found");
  auto read = [](const fs::path& p) {
    std::ifstream in(p);
    if (!in) throw RuleError(p.string() + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  FindingRules set;
  const fs::path mapping = fs::path(dir) / "references" / "controls.json";
  if (!fs::is_regular_file(mapping, ec)) throw RuleError(mapping.string() + ": mapping file not found");
  set.load_controls_text("references/controls.json", read(mapping));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw RuleError(dir + ": no *.json finding files");
  for (const auto& f : files) set.load_text(f.filename().string(), read(f), vocabulary);
  set.check_examples();
  return set;
}

void evaluate_findings(Inventory& inv, const FindingRules& rules) {
  std::vector<FactSet> facts;
  facts.reserve(inv.assets.size());
  for (const auto& a : inv.assets) facts.push_back(finding_facts(a, inv.last_us));
  inv.findings.clear();
  for (const FindingRule& rule : rules.rules()) {
    Affected affected;
    if (rule.when) {
      for (std::size_t i = 0; i < facts.size(); ++i) {
        if (!holds(*rule.when, facts[i])) continue;
        RuleMatch m = evaluate(*rule.when, facts[i]);
        add_evidence_facts(rule, facts[i], m.facts);
        affect(affected, i, m.facts);
      }
    } else if (rule.aggregate->kind == FindingAggregate::Kind::mixed_subnet) {
      affected = mixed_subnet(rule, inv, facts);
    } else {
      affected = evaluate_aggregate(rule, facts);
    }
    if (affected.empty()) continue;
    Finding f{rule.id, rule.title, rule.severity, rule.description, rule.remediation, rule.references, {}, {}, rule.source};
    for (auto& [i, ev] : affected) {
      f.assets.push_back(inv.assets[i].id);
      f.evidence.push_back({inv.assets[i].id, std::move(ev)});
    }
    inv.findings.push_back(std::move(f));
  }
  inv.controls = rules.controls();
  inv.findings_version = rules.version();
  inv.findings_evaluated = true;
}

}  // namespace ww
