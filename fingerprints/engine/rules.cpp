#include "fingerprints/engine/rules.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace ww {
namespace {

using json = nlohmann::json;

const std::map<std::string, Op, std::less<>>& operators() {
  static const std::map<std::string, Op, std::less<>> ops{
      {"equals", Op::equals},       {"prefix", Op::prefix},           {"suffix", Op::suffix},
      {"contains", Op::contains},   {"regex", Op::regex},             {"regex-search", Op::regex_search},
      {"in", Op::in},               {"list-equals", Op::list_equals}, {"exists", Op::exists},
      {"count-at-least", Op::count_at_least}, {"port-offered", Op::port_offered}};
  return ops;
}

const std::set<std::string, std::less<>>& asset_facts() {
  static const std::set<std::string, std::less<>> facts{"asset.oui_vendor", "asset.offered", "asset.used",
                                                       "asset.router", "asset.locally_administered",
                                                       "asset.beyond_router", "asset.peer_count"};
  return facts;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Loader {
 public:
  Loader(std::string file, std::string rule_id) : file_(std::move(file)), rule_(std::move(rule_id)) {}
  [[noreturn]] void fail(const std::string& problem) const {
    throw RuleError(file_ + (rule_.empty() ? "" : ": rule '" + rule_ + "'") + ": " + problem);
  }
  void only_keys(const json& obj, std::initializer_list<std::string_view> allowed, std::string_view where) const {
    for (const auto& [k, v] : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        fail("unknown key '" + k + "' in " + std::string(where));
      }
    }
  }
  std::string text(const json& obj, const char* key, bool required = true) const {
    if (!obj.contains(key)) {
      if (required) fail(std::string("missing '") + key + "'");
      return {};
    }
    if (!obj[key].is_string()) fail(std::string("'") + key + "' must be a string");
    return obj[key].get<std::string>();
  }

  Condition condition(const json& j) const {
    if (!j.is_object()) fail("a condition must be an object");
    Condition c;
    if (j.contains("all") || j.contains("any")) {
      only_keys(j, {"all", "any"}, "a condition");
      if (j.size() != 1) fail("a condition has either 'all' or 'any'");
      const bool all = j.contains("all");
      const json& list = all ? j["all"] : j["any"];
      if (!list.is_array() || list.empty()) fail("'all'/'any' needs a non-empty list");
      c.kind = all ? Condition::Kind::all : Condition::Kind::any;
      for (const auto& child : list) c.children.push_back(condition(child));
      return c;
    }
    if (j.contains("not")) {
      only_keys(j, {"not"}, "a condition");
      c.kind = Condition::Kind::negate;
      c.children.push_back(condition(j["not"]));
      return c;
    }
    only_keys(j, {"fact", "op", "value", "values", "ci", "min"}, "a test");
    c.kind = Condition::Kind::test;
    c.fact = text(j, "fact");
    if (c.fact.rfind("asset.", 0) == 0) {
      if (!asset_facts().contains(c.fact)) fail("unknown fact '" + c.fact + "'");
    } else if (static const std::regex key_re("^[a-z0-9_]+\\.[A-Za-z0-9_.-]+$"); !std::regex_match(c.fact, key_re)) {
      fail("fact '" + c.fact + "' is not an observation key (<protocol>.<field>) nor an asset.* fact");
    }
    const std::string op = text(j, "op");
    auto it = operators().find(op);
    if (it == operators().end()) fail("unknown operator '" + op + "'");
    c.op = it->second;
    c.case_insensitive = j.value("ci", false);
    switch (c.op) {
      case Op::exists:
        if (j.contains("value") || j.contains("values")) fail("'exists' takes no value");
        break;
      case Op::in:
        if (!j.contains("values") || !j["values"].is_array() || j["values"].empty()) fail("'in' needs 'values'");
        for (const auto& v : j["values"]) {
          if (!v.is_string()) fail("'values' must be strings");
          c.values.push_back(c.case_insensitive ? lower(v.get<std::string>()) : v.get<std::string>());
        }
        break;
      case Op::count_at_least:
        if (!j.contains("min") || !j["min"].is_number_unsigned() || j["min"].get<std::size_t>() == 0) {
          fail("'count-at-least' needs a positive integer 'min'");
        }
        c.min = j["min"].get<std::size_t>();
        break;
      default:
        c.value = text(j, "value");
        if (c.case_insensitive) c.value = lower(c.value);
        if (c.op == Op::regex || c.op == Op::regex_search) {
          try {
            auto flags = std::regex::ECMAScript | (c.case_insensitive ? std::regex::icase : std::regex::ECMAScript);
            c.re.emplace(text(j, "value"), flags);
          } catch (const std::regex_error& e) {
            fail("bad regex '" + c.value + "': " + e.what());
          }
        }
        if (c.op == Op::port_offered) {
          static const std::regex port_re("^(tcp|udp)/[0-9]{1,5}$");
          if (!std::regex_match(c.value, port_re)) fail("'port-offered' value must be tcp/N or udp/N");
        }
        break;
    }
    if (c.op != Op::count_at_least && j.contains("min")) fail("'min' only goes with count-at-least");
    return c;
  }

  FactSet facts(const json& j) const {
    if (!j.is_object()) fail("an example must be an object of fact -> [values]");
    FactSet f;
    for (const auto& [k, v] : j.items()) {
      if (!v.is_array()) fail("example fact '" + k + "' must be a list of strings");
      for (const auto& x : v) {
        if (!x.is_string()) fail("example fact '" + k + "' must be a list of strings");
        f[k].push_back(x.get<std::string>());
      }
    }
    return f;
  }

 private:
  std::string file_, rule_;
};

bool test_value(const Condition& c, const std::string& raw, RuleMatch& m) {
  const std::string v = c.case_insensitive ? lower(raw) : raw;
  switch (c.op) {
    case Op::equals: case Op::port_offered: return v == c.value;
    case Op::prefix: return v.rfind(c.value, 0) == 0;
    case Op::suffix: return v.size() >= c.value.size() && v.compare(v.size() - c.value.size(), c.value.size(), c.value) == 0;
    case Op::contains: return v.find(c.value) != std::string::npos;
    case Op::in: return std::find(c.values.begin(), c.values.end(), v) != c.values.end();
    case Op::list_equals: {
      auto strip = [](std::string s) {
        s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
        return s;
      };
      return strip(v) == strip(c.value);
    }
    case Op::regex: case Op::regex_search: {
      std::smatch sm;
      const bool ok = c.op == Op::regex ? std::regex_match(raw, sm, *c.re) : std::regex_search(raw, sm, *c.re);
      if (ok) {
        m.groups.clear();
        for (std::size_t i = 1; i < sm.size() && i < 10; ++i) m.groups.push_back(sm[i].str());
      }
      return ok;
    }
    default: return false;
  }
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

// A short text form of a condition, for the evidence of negations ("not(tcp.os prefix Windows)").
std::string describe(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::all:
    case Condition::Kind::any: {
      std::string out = c.kind == Condition::Kind::all ? "all(" : "any(";
      for (std::size_t i = 0; i < c.children.size(); ++i) out += (i ? ", " : "") + describe(c.children[i]);
      return out + ")";
    }
    case Condition::Kind::negate:
      return "not(" + describe(c.children.front()) + ")";
    case Condition::Kind::test:
      break;
  }
  std::string op;
  for (const auto& [name, value] : operators()) {
    if (value == c.op) op = name;
  }
  std::string out = c.fact + " " + op;
  if (!c.value.empty()) out += " " + c.value;
  for (const auto& v : c.values) out += " " + v;
  if (c.min) out += " " + std::to_string(c.min);
  return out;
}

}  // namespace

RuleMatch evaluate(const Condition& c, const FactSet& facts) {
  RuleMatch m;
  switch (c.kind) {
    case Condition::Kind::all:
      for (const auto& child : c.children) {
        RuleMatch sub = evaluate(child, facts);
        if (!sub.matched) return RuleMatch{};
        m.facts.insert(m.facts.end(), sub.facts.begin(), sub.facts.end());
        if (m.first_value.empty()) m.first_value = sub.first_value;
        if (!sub.groups.empty()) m.groups = sub.groups;
        if (sub.count) m.count = sub.count;
      }
      m.matched = true;
      return m;
    case Condition::Kind::any:
      for (const auto& child : c.children) {
        RuleMatch sub = evaluate(child, facts);
        if (sub.matched) return sub;
      }
      return RuleMatch{};
    case Condition::Kind::negate:
      m.matched = !evaluate(c.children.front(), facts).matched;
      if (m.matched) m.facts.push_back(describe(c));
      return m;
    case Condition::Kind::test:
      break;
  }
  const std::string fact = c.op == Op::port_offered ? "asset.offered" : c.fact;
  auto it = facts.find(fact);
  if (it == facts.end() || it->second.empty()) return m;
  if (c.op == Op::exists) {
    m.matched = true;
    m.first_value = it->second.front();
    m.facts.push_back(fact + "=" + it->second.front());
    return m;
  }
  if (c.op == Op::count_at_least) {
    m.count = it->second.size();
    m.matched = m.count >= c.min;
    if (m.matched) m.facts.push_back(fact + " has " + std::to_string(m.count) + " values");
    return m;
  }
  for (const auto& v : it->second) {
    if (test_value(c, v, m)) {
      m.matched = true;
      m.first_value = v;
      m.facts.push_back(fact + "=" + v);
      return m;
    }
  }
  return m;
}

std::string expand_template(const std::string& tmpl, const RuleMatch& m) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      const auto close = tmpl.find('}', i);
      if (close != std::string::npos) {
        const std::string name = tmpl.substr(i + 1, close - i - 1);
        if (name == "value") {
          out += m.first_value;
          i = close;
          continue;
        }
        if (name == "count") {
          out += std::to_string(m.count);
          i = close;
          continue;
        }
        if (name.size() == 1 && name[0] >= '1' && name[0] <= '9') {
          const std::size_t g = static_cast<std::size_t>(name[0] - '1');
          if (g < m.groups.size()) out += m.groups[g];
          i = close;
          continue;
        }
      }
    }
    out.push_back(tmpl[i]);
  }
  return out;
}

void RuleSet::load_text(const std::string& name, const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw RuleError(name + ": not valid JSON: " + e.what());
  }
  Loader file_loader(name, "");
  if (!doc.is_object() || !doc.contains("rules") || !doc["rules"].is_array()) {
    file_loader.fail("a rule file is an object {\"rules\": [...]}");
  }
  file_loader.only_keys(doc, {"rules", "description"}, "the file");
  std::set<std::string> ids;
  for (const auto& r : rules_) ids.insert(r.id);
  for (const auto& j : doc["rules"]) {
    const std::string id = j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "?";
    Loader l(name, id);
    if (!j.is_object()) l.fail("a rule must be an object");
    l.only_keys(j, {"id", "description", "when", "claims", "crown_jewel", "weight", "specificity", "source", "examples"},
                "the rule");
    Rule rule;
    rule.file = name;
    rule.id = l.text(j, "id");
    static const std::regex id_re("^[a-z0-9][a-z0-9_.-]*$");
    if (!std::regex_match(rule.id, id_re)) l.fail("id must be lower-case letters, digits, '.', '-', '_'");
    if (!ids.insert(rule.id).second) l.fail("duplicate id");
    rule.description = l.text(j, "description", false);
    if (!j.contains("when")) l.fail("missing 'when'");
    rule.when = l.condition(j["when"]);
    if (j.contains("claims")) {
      if (!j["claims"].is_object() || j["claims"].empty()) l.fail("'claims' must be a non-empty object");
      for (const auto& [attr, v] : j["claims"].items()) {
        if (std::find(claim_attributes().begin(), claim_attributes().end(), attr) == claim_attributes().end()) {
          l.fail("unknown claim attribute '" + attr + "'");
        }
        if (!v.is_string() || v.get<std::string>().empty()) l.fail("claim '" + attr + "' must be a non-empty string");
        if (attr == "category" &&
            std::find(categories().begin(), categories().end(), v.get<std::string>()) == categories().end()) {
          l.fail("unknown category '" + v.get<std::string>() + "'");
        }
        rule.claims.emplace_back(attr, v.get<std::string>());
      }
    }
    if (j.contains("crown_jewel")) {
      const json& cj = j["crown_jewel"];
      if (!cj.is_object()) l.fail("'crown_jewel' must be an object {kind, reason}");
      l.only_keys(cj, {"kind", "reason"}, "crown_jewel");
      const std::string kind = l.text(cj, "kind");
      if (std::find(crown_jewel_kinds().begin(), crown_jewel_kinds().end(), kind) == crown_jewel_kinds().end()) {
        l.fail("unknown crown_jewel kind '" + kind + "'");
      }
      rule.crown_jewel.emplace(kind, l.text(cj, "reason"));
    }
    if (rule.claims.empty() && !rule.crown_jewel) l.fail("a rule needs 'claims' or 'crown_jewel'");
    if (!j.contains("weight") || !j["weight"].is_number()) l.fail("missing numeric 'weight'");
    rule.weight = j["weight"].get<double>();
    if (!(rule.weight > 0 && rule.weight <= 1)) l.fail("'weight' must be in (0, 1]");
    const std::string spec = l.text(j, "specificity");
    if (spec != "specific" && spec != "generic") l.fail("'specificity' must be 'specific' or 'generic'");
    rule.specific = spec == "specific";
    rule.source = l.text(j, "source");
    if (rule.source.size() < 3) l.fail("'source' must say where the fact comes from");
    if (!j.contains("examples") || !j["examples"].is_object()) l.fail("missing 'examples' {match, no_match}");
    l.only_keys(j["examples"], {"match", "no_match"}, "examples");
    for (const char* which : {"match", "no_match"}) {
      if (!j["examples"].contains(which) || !j["examples"][which].is_array() || j["examples"][which].empty()) {
        l.fail(std::string("examples need a non-empty '") + which + "' list");
      }
      for (const auto& ex : j["examples"][which]) {
        (std::string(which) == "match" ? rule.match_examples : rule.no_match_examples).push_back(l.facts(ex));
      }
    }
    // Two rules with the same conditions must not claim different values for the same attribute.
    const std::string canonical = j["when"].dump();
    if (auto prev = conditions_.find(canonical); prev != conditions_.end()) {
      const Rule& other = *std::find_if(rules_.begin(), rules_.end(), [&](const Rule& r) { return r.id == prev->second; });
      for (const auto& [attr, value] : rule.claims) {
        for (const auto& [oattr, ovalue] : other.claims) {
          if (attr == oattr && value != ovalue) {
            l.fail("same conditions as rule '" + other.id + "' but claims " + attr + " '" + value + "' instead of '" +
                   ovalue + "'");
          }
        }
      }
    } else {
      conditions_.emplace(canonical, rule.id);
    }
    rules_.push_back(std::move(rule));
  }
  digest_input_ += name + '\n' + text + '\n';
  version_ = "sha256:" + sha256_hex(digest_input_);
}

RuleSet RuleSet::load_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw RuleError(dir + ": rules directory not found");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw RuleError(dir + ": no *.json rule files");
  RuleSet set;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) throw RuleError(f.string() + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    set.load_text(f.filename().string(), ss.str());
  }
  set.check_examples();
  return set;
}

void RuleSet::check_examples() const {
  for (const auto& r : rules_) {
    for (std::size_t i = 0; i < r.match_examples.size(); ++i) {
      if (!evaluate(r.when, r.match_examples[i]).matched) {
        throw RuleError(r.file + ": rule '" + r.id + "': match example " + std::to_string(i + 1) + " does not match");
      }
    }
    for (std::size_t i = 0; i < r.no_match_examples.size(); ++i) {
      if (evaluate(r.when, r.no_match_examples[i]).matched) {
        throw RuleError(r.file + ": rule '" + r.id + "': no_match example " + std::to_string(i + 1) + " matches");
      }
    }
  }
}

}  // namespace ww
