#include "fingerprints/engine/rules.hpp"

#include "fingerprints/engine/condition_json.hpp"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
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
                                                       "asset.beyond_router", "asset.peer_count", "asset.ipv4_from_mac"};
  return facts;
}

// ASCII lower-casing, as std::tolower in the "C" locale the program runs in (it never calls setlocale):
// case-insensitive tests fold A-Z only, byte for byte.
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Rule regexes run on untrusted strings from the wire, so they are matched by RE2, which takes time
// linear in the input and constant stack. std::regex (libstdc++) recursed once per input character —
// a long value overflowed the stack — and backtracked exponentially on patterns such as (a|a)*b.
//
// The rules were written for ECMAScript. The patterns are given to RE2 rewritten so that each keeps the
// meaning it had (docs/fingerprints.md, "Regular expressions"):
//  - bytes, not UTF-8: RE2 runs in Latin-1 mode, one character per byte, as std::regex<char> did;
//  - `.` matches neither \n nor \r (RE2's `.` matches \r), `\s` includes \v (RE2's does not);
//  - case-insensitive matching folds ASCII letters only: RE2 would also fold Latin-1 letters (0xC3 with
//    0xE3), so a non-ASCII byte of a case-insensitive pattern is matched case-sensitively;
//  - one negative lookahead at the top level is kept (RuleRegex below);
//  - what only one of the two dialects has, or where they differ, is refused at load with a message:
//    backreferences (and octal escapes), any other lookaround, flag and named groups, \Q..\E,
//    `[]`/`[^]`, \S or \b inside a class.
class RegexTranslator {
 public:
  RegexTranslator(std::string_view pattern, bool case_insensitive) : in_(pattern), ci_(case_insensitive) {}

  // The RE2 form of the pattern; sets top_level_alternation and captures. Throws std::invalid_argument.
  std::string translate() {
    std::string out;
    int depth = 0;
    for (std::size_t i = 0; i < in_.size(); ++i) {
      const char c = in_[i];
      if (c == '\\') {
        i = escape(i, out, false);
      } else if (c == '[') {
        i = bracket(i, out);
      } else if (c == '.') {
        out += "[^\\n\\r]";
      } else if (c == '(') {
        if (i + 1 < in_.size() && in_[i + 1] == '?' && !(i + 2 < in_.size() && in_[i + 2] == ':')) {
          throw std::invalid_argument(
              "only (...) and (?:...) groups are supported: no lookaround (except one (?!...) outside any group), "
              "flags (use \"ci\": true) or named groups");
        }
        if (i + 1 >= in_.size() || in_[i + 1] != '?') ++captures;
        ++depth;
        out += c;
      } else if (c == ')') {
        --depth;
        out += c;
      } else if (c == '|') {
        if (depth == 0) top_level_alternation = true;
        out += c;
      } else if (ci_ && static_cast<unsigned char>(c) >= 0x80) {
        out += "(?-i:" + hex_byte(c) + ")";
      } else {
        out += c;
      }
    }
    return out;
  }

  // Walks the pattern from `from`, passing over escapes and bracket expressions, and calls
  // `stop(i, depth)` at every '(' (with the depth outside it) and ')' (with the depth it returns to);
  // returns the first index where `stop` says so, or npos.
  template <typename Stop>
  std::size_t scan_parens(std::size_t from, Stop stop) const {
    int depth = 0;
    for (std::size_t i = from; i < in_.size(); ++i) {
      if (in_[i] == '\\') {
        ++i;
      } else if (in_[i] == '[') {
        i = bracket_end(i);
        if (i == std::string_view::npos) return i;
      } else if (in_[i] == '(') {
        if (stop(i, depth)) return i;
        ++depth;
      } else if (in_[i] == ')') {
        --depth;
        if (stop(i, depth)) return i;
      }
    }
    return std::string_view::npos;
  }

  // The index of the first "(?!" outside any group, or npos.
  std::size_t top_level_lookahead() const {
    return scan_parens(0, [&](std::size_t i, int depth) { return depth == 0 && in_.substr(i, 3) == "(?!"; });
  }

  // The index of the ')' closing the group opened at `open`, or npos.
  std::size_t group_end(std::size_t open) const {
    return scan_parens(open, [&](std::size_t i, int depth) { return in_[i] == ')' && depth == 0; });
  }

  bool top_level_alternation = false;
  int captures = 0;  // capturing groups seen by translate()

 private:
  static std::string hex_byte(char c) {
    const auto b = static_cast<unsigned char>(c);
    return std::string("\\x") + kHexDigits[b >> 4] + kHexDigits[b & 0xf];
  }

  // Copies (or rewrites) the escape at in_[i] == '\\'; returns the index of its last character.
  std::size_t escape(std::size_t i, std::string& out, bool in_bracket) const {
    if (i + 1 >= in_.size()) {
      out += '\\';  // RE2 reports the trailing backslash
      return i;
    }
    const char e = in_[i + 1];
    if (e == 's') {
      out += in_bracket ? "\\t\\n\\v\\f\\r " : "[\\t\\n\\v\\f\\r ]";
    } else if (e == 'S' && !in_bracket) {
      out += "[^\\t\\n\\v\\f\\r ]";
    } else if (e >= '0' && e <= '9') {
      throw std::invalid_argument("backreferences and octal escapes are not supported (use \\xHH for a byte)");
    } else if (e == 'Q' || e == 'E') {
      throw std::invalid_argument("\\Q...\\E is not supported");
    } else if (in_bracket && (e == 'S' || e == 'b' || e == 'B' || e == 'W' || e == 'D')) {
      throw std::invalid_argument(std::string("\\") + e + " inside [...] is not supported");
    } else if (e == 'x' && ci_) {
      // A non-ASCII byte written as \xHH is matched case-sensitively, as a literal one is.
      const std::size_t end = in_.size() > i + 4 ? i + 4 : in_.size();
      const std::string_view digits = in_.substr(i + 2, end - (i + 2));
      if (digits.size() != 2 || !std::isxdigit(static_cast<unsigned char>(digits[0])) ||
          !std::isxdigit(static_cast<unsigned char>(digits[1]))) {
        throw std::invalid_argument("\\x needs two hex digits");
      }
      const std::string esc(in_.substr(i, 4));
      if (std::stoi(std::string(digits), nullptr, 16) < 0x80) {
        out += esc;
      } else if (in_bracket) {
        throw std::invalid_argument("a non-ASCII byte in [...] of a case-insensitive regex is not supported");
      } else {
        out += "(?-i:" + esc + ")";
      }
      return i + 3;
    } else {
      out += '\\';
      out += e;
    }
    return i + 1;
  }

  // The index of the ']' closing the bracket expression opened at `open`, or npos.
  std::size_t bracket_end(std::size_t open) const {
    std::size_t i = open + 1;
    if (i < in_.size() && in_[i] == '^') ++i;
    for (; i < in_.size(); ++i) {
      if (in_[i] == '\\') {
        ++i;
      } else if (in_.substr(i, 2) == "[:") {
        const auto close = in_.find(":]", i + 2);
        if (close == std::string_view::npos) return close;
        i = close + 1;
      } else if (in_[i] == ']') {
        return i;
      }
    }
    return std::string_view::npos;
  }

  // Copies the bracket expression opened at in_[i] == '['; returns the index of its ']'.
  std::size_t bracket(std::size_t i, std::string& out) const {
    out += '[';
    ++i;
    if (i < in_.size() && in_[i] == '^') out += in_[i++];
    // ECMAScript's [] matches nothing and [^] anything; in RE2 a leading ']' is a member.
    if (i < in_.size() && in_[i] == ']') throw std::invalid_argument("[] and [^] are not supported");
    for (; i < in_.size(); ++i) {
      const char c = in_[i];
      if (c == '\\') {
        i = escape(i, out, true);
      } else if (in_.substr(i, 2) == "[:") {
        const auto close = in_.find(":]", i + 2);
        if (close == std::string_view::npos) {
          out += in_.substr(i);  // RE2 reports the unterminated class
          return in_.size();
        }
        out += in_.substr(i, close + 2 - i);
        i = close + 1;
      } else if (c == ']') {
        out += c;
        return i;
      } else if (ci_ && static_cast<unsigned char>(c) >= 0x80) {
        throw std::invalid_argument("a non-ASCII byte in [...] of a case-insensitive regex is not supported");
      } else {
        out += c;
      }
    }
    return in_.size();  // RE2 reports the missing ']'
  }

  std::string_view in_;
  bool ci_;
};

RE2::Options regex_options(bool case_insensitive) {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_case_sensitive(!case_insensitive);
  o.set_log_errors(false);  // the loader reports errors itself, naming the file and rule
  return o;
}

}  // namespace

// regex: the whole value matches; regex-search: some part of it does (docs/fingerprints.md).
//
// RE2 has no lookaround. One negative lookahead at the top level of a pattern, P(?!X)S, is kept: RE2
// matches P()S, the empty group marking where the lookahead stands; a match where X matches at the mark is
// rejected, and a search resumes one byte after the start of the rejected match. That is ECMAScript's
// answer whenever P can end at only one place for a given start (a leading lookahead, P empty, always
// can): ECMAScript then has no other way to try at that start either. The shipped rules use it so
// (`(?!ACK)...` in hl7.json, `...; (?!K\))(...)` in http_tls.json); the unit test
// FingerprintLibrary.RegexesAnswerAsEcmaScriptDid compares every shipped regex with std::regex.
struct RuleRegex {
  std::unique_ptr<const RE2> re;
  std::unique_ptr<const RE2> lookahead;  // X of P(?!X)S, matched at the mark
  int mark = 0;                          // the group of `re` that marks the lookahead's place; 0: none
  RE2::Anchor anchor = RE2::UNANCHORED;
  int groups = 0;                        // the rule's groups, captured for {1}..{9}
  int submatches = 1;                    // groups of `re` to extract: 0 .. max(the rule's {9}, mark)

  // Throws std::invalid_argument with RE2's or the translator's message.
  RuleRegex(std::string_view pattern, bool whole_value, bool case_insensitive) {
    anchor = whole_value ? RE2::ANCHOR_BOTH : RE2::UNANCHORED;
    const std::size_t open = RegexTranslator(pattern, case_insensitive).top_level_lookahead();
    if (open == std::string_view::npos) {
      RegexTranslator t(pattern, case_insensitive);
      re = compile(t.translate(), case_insensitive);
      groups = std::min(re->NumberOfCapturingGroups(), 9);
      submatches = groups + 1;
      return;
    }
    const std::size_t close = RegexTranslator(pattern, case_insensitive).group_end(open);
    if (close == std::string_view::npos) throw std::invalid_argument("missing ) of (?!...)");
    RegexTranslator before(pattern.substr(0, open), case_insensitive);
    RegexTranslator x(pattern.substr(open + 3, close - open - 3), case_insensitive);
    RegexTranslator after(pattern.substr(close + 1), case_insensitive);
    const std::string p = before.translate(), s = after.translate();  // a second (?!...) is refused here
    if (before.top_level_alternation || after.top_level_alternation) {
      throw std::invalid_argument("(?!...) is not supported in a pattern with a top-level '|': group the alternatives");
    }
    lookahead = compile(x.translate(), case_insensitive);
    if (lookahead->NumberOfCapturingGroups() != 0) throw std::invalid_argument("groups inside (?!...) are not supported");
    re = compile(p + "()" + s, case_insensitive);
    mark = before.captures + 1;
    groups = std::min(re->NumberOfCapturingGroups() - 1, 9);
    submatches = std::max(groups + 1, mark) + 1;
  }

  // Whether `text` matches; when `out` is given and it does, the groups {1}.. (empty if not taking part).
  bool match(std::string_view text, std::vector<std::string>* out) const {
    const re2::StringPiece t(text.data(), text.size());
    if (!mark && (!out || groups == 0)) return re->Match(t, 0, t.size(), anchor, nullptr, 0);
    std::array<re2::StringPiece, 12> small;
    std::vector<re2::StringPiece> large;
    re2::StringPiece* sub = small.data();
    if (static_cast<std::size_t>(submatches) > small.size()) {
      large.resize(static_cast<std::size_t>(submatches));
      sub = large.data();
    }
    for (std::size_t start = 0;;) {
      if (!re->Match(t, start, t.size(), anchor, sub, submatches)) return false;
      if (!mark) break;
      const auto at = static_cast<std::size_t>(sub[mark].data() - t.data());
      if (!lookahead->Match(t, at, t.size(), RE2::ANCHOR_START, nullptr, 0)) break;
      start = static_cast<std::size_t>(sub[0].data() - t.data()) + 1;
      if (anchor != RE2::UNANCHORED || start > t.size()) return false;
    }
    if (out) {
      out->clear();
      for (int g = 1, taken = 0; taken < groups; ++g) {
        if (g == mark) continue;
        const auto& s = sub[g];
        out->push_back(s.empty() ? std::string() : std::string(s.data(), s.size()));
        ++taken;
      }
    }
    return true;
  }

 private:
  static std::unique_ptr<const RE2> compile(const std::string& translated, bool case_insensitive) {
    auto re = std::make_unique<const RE2>(translated, regex_options(case_insensitive));
    if (!re->ok()) throw std::invalid_argument(re->error());
    return re;
  }
};

// The reader of rule files (condition_json.hpp).
void RuleReader::check_fact(const std::string& fact) const {
  if (fact.rfind("asset.", 0) == 0) {
    if (!asset_facts().contains(fact) && !(src_.more_asset_facts && src_.more_asset_facts->contains(fact))) {
      fail("unknown fact '" + fact + "'");
    }
    return;
  }
  if (src_.vocabulary && src_.vocabulary->fact(fact) == nullptr) {
    fail("unknown fact '" + fact + "': no parser declares it (nearest declared key: '" +
         src_.vocabulary->nearest_fact(fact) + "'; docs/observations.md)");
  }
}

void RuleReader::fail(const std::string& problem) const {
  throw RuleError(src_.file + (src_.id.empty() ? "" : ": " + src_.what + " '" + src_.id + "'") + ": " + problem);
}

void RuleReader::only_keys(const json& obj, std::initializer_list<std::string_view> allowed,
                            std::string_view where) const {
  for (const auto& [k, v] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      fail("unknown key '" + k + "' in " + std::string(where));
    }
  }
}

std::string RuleReader::text(const json& obj, const char* key, bool required) const {
  if (!obj.contains(key)) {
    if (required) fail(std::string("missing '") + key + "'");
    return {};
  }
  if (!obj[key].is_string()) fail(std::string("'") + key + "' must be a string");
  return obj[key].get<std::string>();
}

Condition RuleReader::condition(const json& j) const {
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
  c.lookup = c.fact;
  if (static const RE2 key_re("[a-z0-9_]+\\.[A-Za-z0-9_.-]+"); !RE2::FullMatch(c.fact, key_re)) {
    fail("fact '" + c.fact + "' is not an observation key (<protocol>.<field>) nor an asset.* fact");
  }
  check_fact(c.fact);
  const std::string op = text(j, "op");
  auto it = operators().find(op);
  if (it == operators().end()) fail("unknown operator '" + op + "'");
  c.op = it->second;
  if (c.op == Op::port_offered) c.lookup = "asset.offered";
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
        c.pattern = text(j, "value");
        try {
          c.re = std::make_shared<const RuleRegex>(c.pattern, c.op == Op::regex, c.case_insensitive);
        } catch (const std::invalid_argument& e) {
          fail("bad regex '" + c.value + "': " + e.what());
        }
      }
      if (c.op == Op::list_equals) {
        c.list_value = c.value;
        std::erase(c.list_value, ' ');
      }
      if (c.op == Op::port_offered) {
        static const RE2 port_re("(tcp|udp)/[0-9]{1,5}");
        if (!RE2::FullMatch(c.value, port_re)) fail("'port-offered' value must be tcp/N or udp/N");
      }
      break;
  }
  if (c.op != Op::count_at_least && j.contains("min")) fail("'min' only goes with count-at-least");
  return c;
}

FactSet RuleReader::facts(const json& j) const {
  if (!j.is_object()) fail("an example must be an object of fact -> [values]");
  FactSet f;
  for (const auto& [k, v] : j.items()) {
    check_fact(k);
    if (!v.is_array()) fail("example fact '" + k + "' must be a list of strings");
    for (const auto& x : v) {
      if (!x.is_string()) fail("example fact '" + k + "' must be a list of strings");
      f[k].push_back(x.get<std::string>());
    }
  }
  return f;
}

std::vector<FactSet> RuleReader::example_list(const json& examples, const char* which) const {
  if (!examples.contains(which) || !examples[which].is_array() || examples[which].empty()) {
    fail(std::string("examples need a non-empty '") + which + "' list");
  }
  std::vector<FactSet> list;
  for (const auto& ex : examples[which]) list.push_back(facts(ex));
  return list;
}

std::string RuleReader::nonempty_text(const json& obj, const char* key) const {
  if (obj.contains(key) && obj[key].is_string() && obj[key].get<std::string>().empty()) {
    fail(std::string("'") + key + "' must be a non-empty string");
  }
  return text(obj, key);
}

namespace {

// list-equals: `v` with its spaces removed equals `stripped` (the rule's list, spaces removed at load).
bool equal_without_spaces(std::string_view v, std::string_view stripped) {
  std::size_t k = 0;
  for (const char ch : v) {
    if (ch == ' ') continue;
    if (k == stripped.size() || stripped[k] != ch) return false;
    ++k;
  }
  return k == stripped.size();
}

// One value against a test. `lowered` is `raw` lower-cased when the test is case-insensitive. Groups of a
// matching regex go to `groups` when given (evidence), are not extracted otherwise (holds()).
bool test_value(const Condition& c, std::string_view raw, std::string_view lowered, std::vector<std::string>* groups) {
  const std::string_view v = c.case_insensitive ? lowered : raw;
  switch (c.op) {
    case Op::equals: case Op::port_offered: return v == c.value;
    case Op::prefix: return v.starts_with(c.value);
    case Op::suffix: return v.ends_with(c.value);
    case Op::contains: return v.find(c.value) != std::string_view::npos;
    case Op::in: return std::find(c.values.begin(), c.values.end(), v) != c.values.end();
    case Op::list_equals: return equal_without_spaces(v, c.list_value);
    case Op::regex: case Op::regex_search: return c.re->match(raw, groups);  // case folding is RE2's
    default: return false;
  }
}

// The values of the fact a test looks up, in the two forms evaluation needs.
// From a FactSet (rule examples, tests): found by name, lower-cased on demand.
class FactSetValues {
 public:
  FactSetValues(const FactSet& facts, const Condition& c) {
    if (auto it = facts.find(c.lookup); it != facts.end()) values_ = &it->second;
  }
  [[nodiscard]] std::size_t size() const { return values_ ? values_->size() : 0; }
  [[nodiscard]] std::string_view raw(std::size_t i) const { return (*values_)[i]; }
  [[nodiscard]] std::string_view lowered(std::size_t i, const Condition& c) {
    if (!c.case_insensitive) return raw(i);
    lowered_ = lower((*values_)[i]);
    return lowered_;
  }

 private:
  const std::vector<std::string>* values_ = nullptr;
  std::string lowered_;
};

// From DeviceFacts: an index lookup, lower-cased once per device.
class DeviceValues {
 public:
  DeviceValues(const DeviceFacts& facts, const Condition& c)
      : raw_(facts.values(c.fact_id)), lowered_(facts.lowered(c.fact_id)) {}
  [[nodiscard]] std::size_t size() const { return raw_.size(); }
  [[nodiscard]] std::string_view raw(std::size_t i) const { return raw_[i]; }
  [[nodiscard]] std::string_view lowered(std::size_t i, const Condition&) const { return lowered_[i]; }

 private:
  std::span<const std::string_view> raw_, lowered_;
};

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return hex(Bytes(digest, len));
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

// One evaluation for both fact sources, so that rule examples, tests and devices cannot disagree.
template <class Values, class Facts>
RuleMatch evaluate_on(const Condition& c, const Facts& facts) {
  RuleMatch m;
  switch (c.kind) {
    case Condition::Kind::all:
      for (const auto& child : c.children) {
        RuleMatch sub = evaluate_on<Values>(child, facts);
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
        RuleMatch sub = evaluate_on<Values>(child, facts);
        if (sub.matched) return sub;
      }
      return RuleMatch{};
    case Condition::Kind::negate:
      m.matched = !evaluate_on<Values>(c.children.front(), facts).matched;
      if (m.matched) m.facts.push_back(describe(c));
      return m;
    case Condition::Kind::test:
      break;
  }
  Values values(facts, c);
  if (values.size() == 0) return m;
  if (c.op == Op::exists) {
    m.matched = true;
    m.first_value = values.raw(0);
    m.facts.push_back(c.lookup + "=" + m.first_value);
    return m;
  }
  if (c.op == Op::count_at_least) {
    m.count = values.size();
    m.matched = m.count >= c.min;
    if (m.matched) m.facts.push_back(c.lookup + " has " + std::to_string(m.count) + " values");
    return m;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (test_value(c, values.raw(i), values.lowered(i, c), &m.groups)) {
      m.matched = true;
      m.first_value = values.raw(i);
      m.facts.push_back(c.lookup + "=" + m.first_value);
      return m;
    }
  }
  return m;
}

// evaluate_on(...).matched, without the evidence: no allocation.
template <class Values, class Facts>
bool holds_on(const Condition& c, const Facts& facts) {
  switch (c.kind) {
    case Condition::Kind::all:
      return std::all_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return holds_on<Values>(child, facts); });
    case Condition::Kind::any:
      return std::any_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return holds_on<Values>(child, facts); });
    case Condition::Kind::negate:
      return !holds_on<Values>(c.children.front(), facts);
    case Condition::Kind::test:
      break;
  }
  Values values(facts, c);
  if (values.size() == 0) return false;
  if (c.op == Op::exists) return true;
  if (c.op == Op::count_at_least) return values.size() >= c.min;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (test_value(c, values.raw(i), values.lowered(i, c), nullptr)) return true;
  }
  return false;
}

}  // namespace

RuleMatch evaluate(const Condition& c, const FactSet& facts) { return evaluate_on<FactSetValues>(c, facts); }
RuleMatch evaluate(const Condition& c, const DeviceFacts& facts) { return evaluate_on<DeviceValues>(c, facts); }
bool holds(const Condition& c, const DeviceFacts& facts) { return holds_on<DeviceValues>(c, facts); }
bool holds(const Condition& c, const FactSet& facts) { return holds_on<FactSetValues>(c, facts); }

void DeviceFacts::clear() {
  added_.clear();
  begin_.clear();
  last_key_ = {};
  last_id_ = RuleSet::kNoFact;
  raw_.clear();
  lower_.clear();
  lower_text_.clear();
}

void DeviceFacts::add(std::string_view key, std::string_view value) {
  if (key != last_key_ || last_key_.data() == nullptr) {
    last_key_ = key;
    last_id_ = rules_->fact_id(key);
  }
  if (last_id_ != RuleSet::kNoFact) added_.emplace_back(last_id_, value);
}

void DeviceFacts::finish() {
  // A counting sort by fact id, stable: each fact keeps its values in the order they were added.
  const std::size_t n = rules_->fact_count();
  begin_.assign(n + 1, 0);
  std::size_t lower_size = 0;
  for (const auto& [id, value] : added_) {
    ++begin_[id + 1];
    if (rules_->fact_needs_lower(id)) lower_size += value.size();
  }
  for (std::size_t i = 0; i < n; ++i) begin_[i + 1] += begin_[i];  // begin_[id + 1]: the end of fact id
  raw_.resize(added_.size());
  lower_.resize(added_.size());
  lower_text_.reserve(lower_size);  // no reallocation below: the views into it stay valid
  // Filled back to front, decrementing each fact's end: afterwards begin_[id + 1] is the start of fact id.
  for (auto it = added_.rbegin(); it != added_.rend(); ++it) {
    const auto [id, value] = *it;
    const std::uint32_t at = --begin_[id + 1];
    raw_[at] = value;
    if (rules_->fact_needs_lower(id)) {
      const std::size_t start = lower_text_.size();
      for (const char ch : value) lower_text_.push_back(ascii_lower(ch));
      lower_[at] = std::string_view(lower_text_).substr(start);
    } else {
      lower_[at] = value;
    }
  }
  std::copy(begin_.begin() + 1, begin_.end(), begin_.begin());  // begin_[id]: the start of fact id
  begin_[n] = static_cast<std::uint32_t>(added_.size());
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

namespace {

// The steps of reading one rule file (format: docs/fingerprints.md). Each throws RuleError naming the file
// (and the rule) at the first problem it finds.

// The file: a JSON object {"rules": [...], "description": "..."}.
json read_rule_file(const std::string& name, const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw RuleError(name + ": not valid JSON: " + e.what());
  }
  const RuleReader file_loader(ConditionSource{name, "rule", "", nullptr, nullptr});
  if (!doc.is_object() || !doc.contains("rules") || !doc["rules"].is_array()) {
    file_loader.fail("a rule file is an object {\"rules\": [...]}");
  }
  file_loader.only_keys(doc, {"rules", "description"}, "the file");
  return doc;
}

// The id that errors about the rule `j` name: "?" until it has a string id.
std::string id_for_errors(const json& j) {
  return j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "?";
}

// The rule's keys, its id (unique among `ids`, the rules loaded so far, to which it is added) and its
// description.
Rule read_identity(const RuleReader& l, const json& j, const std::string& file, std::set<std::string>& ids) {
  if (!j.is_object()) l.fail("a rule must be an object");
  l.only_keys(j, {"id", "description", "when", "claims", "crown_jewel", "weight", "specificity", "source", "examples"},
              "the rule");
  Rule rule;
  rule.file = file;
  rule.id = l.text(j, "id");
  static const RE2 id_re("[a-z0-9][a-z0-9_.-]*");
  if (!RE2::FullMatch(rule.id, id_re)) l.fail("id must be lower-case letters, digits, '.', '-', '_'");
  if (!ids.insert(rule.id).second) l.fail("duplicate id");
  rule.description = l.text(j, "description", false);
  return rule;
}

// "when": the condition. The facts it names are checked against the vocabulary as it is read.
Condition read_when(const RuleReader& l, const json& j) {
  if (!j.contains("when")) l.fail("missing 'when'");
  return l.condition(j["when"]);
}

// "claims": attribute -> value template, the attributes (and the categories) from the lists in rules.hpp.
std::vector<std::pair<std::string, std::string>> read_claims(const RuleReader& l, const json& j) {
  std::vector<std::pair<std::string, std::string>> claims;
  if (!j.contains("claims")) return claims;
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
    claims.emplace_back(attr, v.get<std::string>());
  }
  return claims;
}

// "crown_jewel": {kind, reason template}, the kind from the list in rules.hpp.
std::optional<std::pair<std::string, std::string>> read_crown_jewel(const RuleReader& l, const json& j) {
  if (!j.contains("crown_jewel")) return std::nullopt;
  const json& cj = j["crown_jewel"];
  if (!cj.is_object()) l.fail("'crown_jewel' must be an object {kind, reason}");
  l.only_keys(cj, {"kind", "reason"}, "crown_jewel");
  const std::string kind = l.text(cj, "kind");
  if (std::find(crown_jewel_kinds().begin(), crown_jewel_kinds().end(), kind) == crown_jewel_kinds().end()) {
    l.fail("unknown crown_jewel kind '" + kind + "'");
  }
  return std::pair{kind, l.text(cj, "reason")};
}

// What the rule says about a device that matches: claims, a crown jewel, or both.
void read_outcome(const RuleReader& l, const json& j, Rule& rule) {
  rule.claims = read_claims(l, j);
  rule.crown_jewel = read_crown_jewel(l, j);
  if (rule.claims.empty() && !rule.crown_jewel) l.fail("a rule needs 'claims' or 'crown_jewel'");
}

// How much a match counts: "weight" in (0, 1], "specificity", and the "source" that says why.
void read_weighting(const RuleReader& l, const json& j, Rule& rule) {
  if (!j.contains("weight") || !j["weight"].is_number()) l.fail("missing numeric 'weight'");
  rule.weight = j["weight"].get<double>();
  if (!(rule.weight > 0 && rule.weight <= 1)) l.fail("'weight' must be in (0, 1]");
  const std::string spec = l.text(j, "specificity");
  if (spec != "specific" && spec != "generic") l.fail("'specificity' must be 'specific' or 'generic'");
  rule.specific = spec == "specific";
  rule.source = l.text(j, "source");
  if (rule.source.size() < 3) l.fail("'source' must say where the fact comes from");
}

// One list of "examples": devices' facts, which check_examples runs the rule on once every file is loaded.
// "examples": {match: [...], no_match: [...]}, both non-empty.
void read_examples(const RuleReader& l, const json& j, Rule& rule) {
  if (!j.contains("examples") || !j["examples"].is_object()) l.fail("missing 'examples' {match, no_match}");
  l.only_keys(j["examples"], {"match", "no_match"}, "examples");
  rule.match_examples = l.example_list(j["examples"], "match");
  rule.no_match_examples = l.example_list(j["examples"], "no_match");
}

// Two rules with the same conditions must not claim different values for the same attribute; `first` is
// the rule loaded first with the conditions of `rule`.
void check_claims_agree(const RuleReader& l, const Rule& rule, const Rule& first) {
  for (const auto& [attr, value] : rule.claims) {
    for (const auto& [first_attr, first_value] : first.claims) {
      if (attr == first_attr && value != first_value) {
        l.fail("same conditions as rule '" + first.id + "' but claims " + attr + " '" + value + "' instead of '" +
               first_value + "'");
      }
    }
  }
}

}  // namespace

void RuleSet::load_text(const std::string& name, const std::string& text, const Vocabulary* vocabulary) {
  const json doc = read_rule_file(name, text);
  std::set<std::string> ids;
  for (const auto& r : rules_) ids.insert(r.id);
  for (const json& j : doc["rules"]) {
    const RuleReader l(ConditionSource{name, "rule", id_for_errors(j), vocabulary});
    try {
      Rule rule = read_identity(l, j, name, ids);
      rule.when = read_when(l, j);
      number_facts(rule.when);  // before the checks below, as always: a rejected rule's facts stay numbered
      read_outcome(l, j, rule);
      read_weighting(l, j, rule);
      read_examples(l, j, rule);
      std::string canonical_when = j["when"].dump();
      if (const Rule* first = rule_with_conditions(canonical_when)) check_claims_agree(l, rule, *first);
      add(std::move(rule), std::move(canonical_when));
    } catch (const json::exception& e) {
      // A value of the wrong JSON type that a step read without checking ("ci": "yes"): still the
      // loader's one-line error naming the file and the rule, never an nlohmann exception.
      l.fail(std::string("a value of the wrong type: ") + e.what());
    }
  }
  digest_input_ += name + '\n' + text + '\n';
  version_ = "sha256:" + sha256_hex(digest_input_);
}

const Rule* RuleSet::rule_with_conditions(const std::string& canonical_when) const {
  const auto it = conditions_.find(canonical_when);
  if (it == conditions_.end()) return nullptr;
  return &*std::find_if(rules_.begin(), rules_.end(), [&](const Rule& r) { return r.id == it->second; });
}

void RuleSet::add(Rule rule, std::string canonical_when) {
  conditions_.try_emplace(std::move(canonical_when), rule.id);  // the first rule with these conditions
  const auto index = static_cast<std::uint32_t>(rules_.size());
  const std::uint32_t needs = required_fact(rule.when);
  (needs == kNoFact ? rules_requiring_nothing_ : rules_requiring_[needs]).push_back(index);
  rules_.push_back(std::move(rule));
}

std::uint32_t RuleSet::fact_id(std::string_view name) const {
  const auto it = fact_ids_.find(name);
  return it == fact_ids_.end() ? kNoFact : it->second;
}

void RuleSet::number_facts(Condition& c) {
  for (auto& child : c.children) number_facts(child);
  if (c.kind != Condition::Kind::test) return;
  auto [it, added] = fact_ids_.try_emplace(c.lookup, static_cast<std::uint32_t>(fact_names_.size()));
  if (added) {
    fact_names_.push_back(c.lookup);
    fact_needs_lower_.push_back(0);
    rules_requiring_.emplace_back();
  }
  c.fact_id = it->second;
  // Regexes fold case themselves (RE2); the other text tests compare lower-cased values.
  const bool text_test = c.op != Op::exists && c.op != Op::count_at_least && c.op != Op::regex && c.op != Op::regex_search;
  if (c.case_insensitive && text_test) fact_needs_lower_[c.fact_id] = 1;
}

// A fact without which `c` cannot hold, or kNoFact. Every test is false on a device without its fact.
// Of the facts of `all`, an observation key is preferred: a device has all asset.* facts but few keys.
std::uint32_t RuleSet::required_fact(const Condition& c) const {
  switch (c.kind) {
    case Condition::Kind::test:
      return c.fact_id;
    case Condition::Kind::negate:
      return kNoFact;
    case Condition::Kind::any: {
      const std::uint32_t first = required_fact(c.children.front());
      for (const auto& child : c.children) {
        if (required_fact(child) != first) return kNoFact;
      }
      return first;
    }
    case Condition::Kind::all:
      break;
  }
  std::uint32_t best = kNoFact;
  for (const auto& child : c.children) {
    const std::uint32_t id = required_fact(child);
    if (id == kNoFact) continue;
    if (!fact_names_[id].starts_with("asset.")) return id;
    if (best == kNoFact) best = id;
  }
  return best;
}

void RuleSet::candidates(const DeviceFacts& facts, std::vector<char>& candidates) const {
  candidates.assign(rules_.size(), 0);
  for (const std::uint32_t r : rules_requiring_nothing_) candidates[r] = 1;
  for (std::uint32_t id = 0; id < fact_names_.size(); ++id) {
    if (!facts.has(id)) continue;
    for (const std::uint32_t r : rules_requiring_[id]) candidates[r] = 1;
  }
}

RuleSet RuleSet::load_directory(const std::string& dir, const Vocabulary* vocabulary) {
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
    set.load_text(f.filename().string(), ss.str(), vocabulary);
  }
  set.check_examples();
  return set;
}

std::string sha256_text_hex(const std::string& data) { return sha256_hex(data); }

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
