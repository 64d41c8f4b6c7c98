#include "fingerprints/engine/classifier.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace ww {
namespace {

struct Vote {
  std::string value;
  RuleEvidence evidence;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// Signatures kept for every device so that a rule can be written for it (docs/fingerprints.md).
constexpr const char* kRawSignatureKeys[] = {"dhcp.parameter_request_list", "dhcp.vendor_class",
                                             "dhcpv6.option_request",       "tls.ja3",
                                             "tls.ja4",                     "tcp.syn_signature",
                                             "tcp.synack_signature",        "http.user_agent"};

}  // namespace

FactSet facts_of(const AssetView& a) {
  FactSet f;
  for (const auto& o : a.observations) f[o.key].push_back(o.value);
  if (a.vendor) f["asset.oui_vendor"].push_back(*a.vendor);
  for (const auto& s : a.offered) f["asset.offered"].push_back(s.proto + "/" + std::to_string(s.port));
  for (const auto& s : a.used) f["asset.used"].push_back(s.proto + "/" + std::to_string(s.port));
  f["asset.router"].push_back(a.router ? "true" : "false");
  f["asset.locally_administered"].push_back(a.locally_administered ? "true" : "false");
  f["asset.beyond_router"].push_back(a.beyond_router ? "true" : "false");
  f["asset.peer_count"].push_back(std::to_string(a.peer_count));
  return f;
}

Classification classify(const AssetView& asset, const RuleSet& rules, std::optional<CrownJewel>& crown_jewel) {
  const FactSet facts = facts_of(asset);
  std::map<std::string, std::vector<Vote>> votes;  // attribute -> votes
  std::map<std::string, std::pair<double, CrownJewel>> jewels;  // kind -> (score, reasons)
  for (const Rule& rule : rules.rules()) {
    const RuleMatch m = evaluate(rule.when, facts);
    if (!m.matched) continue;
    RuleEvidence ev{rule.id, rule.weight, rule.specific, rule.source, m.facts};
    for (const auto& [attr, tmpl] : rule.claims) {
      const std::string value = expand_template(tmpl, m);
      if (!value.empty()) votes[attr].push_back({value, ev});
    }
    if (rule.crown_jewel) {
      auto& [score, jewel] = jewels[rule.crown_jewel->first];
      score = 1 - (1 - score) * (1 - rule.weight);
      jewel.kind = rule.crown_jewel->first;
      jewel.reasons.push_back(expand_template(rule.crown_jewel->second, m));
      jewel.rules.push_back(rule.id);
    }
  }

  Classification c;
  for (auto& [attr, list] : votes) {
    // A generic claim counts only when no specific rule claims the attribute (p0f's convention).
    const bool any_specific = std::any_of(list.begin(), list.end(), [](const Vote& v) { return v.evidence.specific; });
    if (any_specific) {
      list.erase(std::remove_if(list.begin(), list.end(), [](const Vote& v) { return !v.evidence.specific; }), list.end());
    }
    std::map<std::string, ClaimEvidence> by_value;  // lower-cased value -> combined evidence
    for (const Vote& v : list) {
      ClaimEvidence& ce = by_value[lower(v.value)];
      if (ce.rules.empty()) {
        ce.attribute = attr;
        ce.value = v.value;
      }
      ce.score = 1 - (1 - ce.score) * (1 - v.evidence.weight);
      ce.rules.push_back(v.evidence);
    }
    std::vector<ClaimEvidence> ranked;
    for (auto& [k, ce] : by_value) {
      ce.score = round2(ce.score);
      ranked.push_back(std::move(ce));
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const ClaimEvidence& a, const ClaimEvidence& b) { return a.score > b.score; });
    // Two values each backed by a strong specific rule: a contradiction, shown, never hidden.
    Contradiction contradiction{attr, {}};
    for (const auto& ce : ranked) {
      const bool strong = std::any_of(ce.rules.begin(), ce.rules.end(),
                                      [](const RuleEvidence& r) { return r.specific && r.weight >= 0.5; });
      if (strong) contradiction.values.push_back(ce.value);
    }
    if (contradiction.values.size() > 1) c.contradictions.push_back(std::move(contradiction));
    if (attr == "category") {
      c.category = ranked.front().value;
      c.confidence = ranked.front().score;
    } else {
      c.attributes[attr] = ranked.front().value;
    }
    c.evidence.push_back(std::move(ranked.front()));
    for (std::size_t i = 1; i < ranked.size(); ++i) c.alternatives.push_back(std::move(ranked[i]));
  }
  for (const char* key : kRawSignatureKeys) {
    if (auto it = facts.find(key); it != facts.end()) c.raw_signatures[key] = it->second;
  }
  crown_jewel.reset();
  double best = 0;
  for (auto& [kind, entry] : jewels) {
    if (entry.first > best) {
      best = entry.first;
      crown_jewel = entry.second;
    }
  }
  return c;
}

void classify_inventory(Inventory& inv, const RuleSet& rules) {
  inv.rules = {rules.version(), rules.rules().size()};
  for (auto& a : inv.assets) a.classification = classify(a, rules, a.crown_jewel);
}

std::string explain(const AssetView& a) {
  std::ostringstream out;
  const Classification& c = a.classification;
  out << a.id << "  " << (a.vendor ? *a.vendor : "(no OUI vendor)") << "\n";
  out << "  category: " << c.category << " (confidence " << c.confidence << ")\n";
  auto print_claim = [&](const ClaimEvidence& ce, const char* prefix) {
    out << "  " << prefix << ce.attribute << " = " << ce.value << "  (score " << ce.score << ")\n";
    for (const auto& r : ce.rules) {
      out << "      rule " << r.rule_id << "  weight " << r.weight << (r.specific ? " specific" : " generic") << "\n";
      for (const auto& f : r.facts) out << "        fact  " << f << "\n";
      out << "        source " << r.source << "\n";
    }
  };
  for (const auto& ce : c.evidence) print_claim(ce, "");
  for (const auto& ce : c.alternatives) print_claim(ce, "alternative: ");
  for (const auto& k : c.contradictions) {
    out << "  CONTRADICTION on " << k.attribute << ":";
    for (const auto& v : k.values) out << " '" << v << "'";
    out << "\n";
  }
  if (a.crown_jewel) {
    out << "  crown jewel: " << a.crown_jewel->kind << "\n";
    for (std::size_t i = 0; i < a.crown_jewel->reasons.size(); ++i) {
      out << "      because " << a.crown_jewel->reasons[i] << "  (rule " << a.crown_jewel->rules[i] << ")\n";
    }
  }
  if (!c.raw_signatures.empty()) {
    out << "  raw signatures (for writing rules):\n";
    for (const auto& [k, vals] : c.raw_signatures) {
      for (const auto& v : vals) out << "      " << k << " = " << v << "\n";
    }
  }
  return out.str();
}

}  // namespace ww
