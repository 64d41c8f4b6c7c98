#include "fingerprints/engine/classifier.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cctype>
#include <cmath>
#include <exception>
#include <sstream>
#include <string_view>
#include <thread>

#include "wardwatch/thread_name.hpp"

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

// What a category rests on (Classification::basis), from its claims ranked by score.
const char* category_basis(const std::vector<ClaimEvidence>& ranked, bool contradicted) {
  if (ranked.size() > 1 || contradicted) return "contested";
  const std::vector<RuleEvidence>& rules = ranked.front().rules;
  if (rules.size() == 1 && (!rules.front().specific || rules.front().weight < 0.5)) return "weak";
  return "strong";
}

std::string_view basis_text(std::string_view basis) {
  if (basis == "weak") return "weak: rests on one generic or light rule";
  if (basis == "contested") return "contested: another category was claimed too";
  if (basis == "strong") return "strong";
  return "no category claimed";
}

// The first octet of each IPv4 address of the device whose last three octets are its MAC's last three, as
// text: some makers derive a factory address from the MAC (GE's Unity Network monitors: 126.x.x.x from the
// MAC's last three octets, GE Dash 3000/4000/5000 network disclosure 2000966-542D). Rules decide what a
// network number means (asset.ipv4_from_mac, docs/fingerprints.md).
std::vector<std::string> ipv4_from_mac_networks(const AssetView& a) {
  std::vector<std::string> out;
  if (!a.mac || a.mac->size() != 17) return out;
  std::array<unsigned, 3> tail{};
  for (std::size_t i = 0; i < 3; ++i) {
    const char* p = a.mac->data() + 9 + 3 * i;
    if (std::from_chars(p, p + 2, tail[i], 16).ptr != p + 2) return out;
  }
  for (const auto& address : a.addresses) {
    std::array<unsigned, 4> octet{};
    const char* p = address.ip.data();
    const char* end = p + address.ip.size();
    std::size_t n = 0;
    for (; n < 4 && p < end; ++n) {
      const auto r = std::from_chars(p, end, octet[n]);
      if (r.ec != std::errc() || octet[n] > 255 || (n < 3 && (r.ptr == end || *r.ptr != '.'))) break;
      p = n < 3 ? r.ptr + 1 : r.ptr;
    }
    if (n != 4 || p != end) continue;  // not IPv4
    if (octet[1] == tail[0] && octet[2] == tail[1] && octet[3] == tail[2]) out.push_back(std::to_string(octet[0]));
  }
  return out;
}

// The device facts that are not observations (docs/fingerprints.md), as text. `derived` holds the
// strings; reserved up front so that the views added to `facts` stay valid.
void add_asset_facts(const AssetView& a, std::vector<std::string>& derived, DeviceFacts& facts) {
  derived.clear();
  std::vector<std::string> from_mac = ipv4_from_mac_networks(a);
  derived.reserve(a.offered.size() + a.used.size() + from_mac.size() + 1);
  if (a.vendor) facts.add("asset.oui_vendor", *a.vendor);
  for (const auto& s : a.offered) facts.add("asset.offered", derived.emplace_back(s.proto + "/" + std::to_string(s.port)));
  for (const auto& s : a.used) facts.add("asset.used", derived.emplace_back(s.proto + "/" + std::to_string(s.port)));
  facts.add("asset.router", a.router ? "true" : "false");
  facts.add("asset.locally_administered", a.locally_administered ? "true" : "false");
  facts.add("asset.beyond_router", a.beyond_router ? "true" : "false");
  facts.add("asset.peer_count", derived.emplace_back(std::to_string(a.peer_count)));
  for (auto& network : from_mac) facts.add("asset.ipv4_from_mac", derived.emplace_back(std::move(network)));
}

// Scratch space reused from device to device.
struct Scratch {
  explicit Scratch(const RuleSet& rules) : facts(rules) {}
  DeviceFacts facts;
  std::vector<std::string> derived;  // asset.* fact values
  std::vector<char> candidates;      // rule index -> may match
};

Classification classify_with(const AssetView& asset, const RuleSet& rules, Scratch& scratch,
                             std::optional<CrownJewel>& crown_jewel) {
  auto& [facts, derived, candidates] = scratch;
  // The facts in the order facts_of lists them: observations, then the asset.* facts.
  facts.clear();
  for (const auto& o : asset.observations) facts.add(o.key, o.value);
  add_asset_facts(asset, derived, facts);
  facts.finish();

  std::map<std::string, std::vector<Vote>> votes;  // attribute -> votes
  std::map<std::string, std::pair<double, CrownJewel>> jewels;  // kind -> (score, reasons)
  rules.candidates(facts, candidates);
  for (std::size_t i = 0; i < rules.rules().size(); ++i) {
    const Rule& rule = rules.rules()[i];
    if (!candidates[i] || !holds(rule.when, facts)) continue;  // evidence is built for matching rules only
    RuleMatch m = evaluate(rule.when, facts);
    RuleEvidence ev{rule.id, rule.weight, rule.specific, rule.source, std::move(m.facts)};
    for (const auto& [attr, tmpl] : rule.claims) {
      std::string value = expand_template(tmpl, m);
      if (!value.empty()) votes[attr].push_back({std::move(value), ev});
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
    for (Vote& v : list) {
      ClaimEvidence& ce = by_value[lower(v.value)];
      if (ce.rules.empty()) {
        ce.attribute = attr;
        ce.value = v.value;
      }
      ce.score = 1 - (1 - ce.score) * (1 - v.evidence.weight);
      ce.rules.push_back(std::move(v.evidence));  // the votes are not read again
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
      // A competing category (same specificity: generic votes are gone when a specific one exists) lowers
      // the confidence: the winner's score times the chance that the runner-up is wrong.
      const double runner_up = ranked.size() > 1 ? ranked[1].score : 0.0;
      c.confidence = round2(ranked.front().score * (1 - runner_up));
      c.basis = category_basis(ranked, contradiction.values.size() > 1);
    } else {
      c.attributes[attr] = ranked.front().value;
    }
    c.evidence.push_back(std::move(ranked.front()));
    for (std::size_t i = 1; i < ranked.size(); ++i) c.alternatives.push_back(std::move(ranked[i]));
  }
  c.lists_raw_signatures = true;  // what facts_of lists for kRawSignatureKeys: raw_signatures_of(asset)
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
  for (auto& network : ipv4_from_mac_networks(a)) f["asset.ipv4_from_mac"].push_back(std::move(network));
  return f;
}

Classification classify(const AssetView& asset, const RuleSet& rules, std::optional<CrownJewel>& crown_jewel) {
  Scratch scratch(rules);
  return classify_with(asset, rules, scratch, crown_jewel);
}

void classify_inventory(Inventory& inv, const RuleSet& rules) {
  inv.rules = {rules.version(), rules.rules().size()};
  // Devices are classified independently — a device's result depends on nothing but the device and the
  // rules (read-only; RE2 matching is thread-safe) — so two threads take chunks of devices in turn and the
  // output is the same, byte for byte, whatever the interleaving. Two: the cores the agent is sized for.
  constexpr std::size_t kChunk = 64;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    Scratch scratch(rules);
    for (std::size_t begin; (begin = next.fetch_add(kChunk)) < inv.assets.size();) {
      for (std::size_t i = begin; i < std::min(begin + kChunk, inv.assets.size()); ++i) {
        AssetView& a = inv.assets[i];
        a.classification = classify_with(a, rules, scratch, a.crown_jewel);
      }
    }
  };
  if (inv.assets.size() <= kChunk || std::thread::hardware_concurrency() < 2) {
    work();
    return;
  }
  std::exception_ptr helper_failed;
  {
    std::jthread helper([&] {
      name_this_thread("ww-classify");
      try {
        work();
      } catch (...) {
        helper_failed = std::current_exception();
      }
    });
    work();  // if this throws, the helper is joined on the way out
  }
  if (helper_failed) std::rethrow_exception(helper_failed);
}

std::string explain(const AssetView& a) {
  std::ostringstream out;
  const Classification& c = a.classification;
  out << a.id << "  " << (a.vendor ? *a.vendor : "(no OUI vendor)") << "\n";
  out << "  category: " << c.category << " (confidence " << c.confidence << ", " << basis_text(c.basis) << ")\n";
  if (!a.seen_by.empty()) {  // the central store: the agents whose rows this explanation rests on
    out << "  seen by:";
    for (const SeenBy& s : a.seen_by) out << ' ' << s.agent_id << " (site " << s.site << ')';
    out << "\n";
  }
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
  if (const RawSignatures raw = raw_signatures_of(a); !raw.empty()) {
    out << "  raw signatures (for writing rules):\n";
    for (const auto& [k, vals] : raw) {
      for (const auto& v : vals) out << "      " << k << " = " << v << "\n";
    }
  }
  return out.str();
}

}  // namespace ww
