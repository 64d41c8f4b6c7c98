#include "reports/json_writer.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "wardwatch/text.hpp"

namespace ww {
namespace {

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 if it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// The length of text's longest prefix that JSON writes as it is: printable ASCII but '"' and '\\'. Eight
// bytes at a time while they are all such bytes (the byte-by-byte test was most of the cost of quoting a
// string). A word has a byte below 0x20 iff (w - 0x20..) & ~w & 0x80.. is non-zero, a byte equal to c iff
// the same holds for w ^ c.. against 0x01.. (the "has less" / "has zero" tests of Anderson's Bit Twiddling
// Hacks; exact as a yes/no, they only misplace which byte).
std::size_t plain_prefix(std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const auto has_byte_below = [](std::uint64_t w, std::uint64_t n) { return ((w - kOnes * n) & ~w & kHigh) != 0; };
  const auto has_zero_byte = [&](std::uint64_t w) { return has_byte_below(w, 1); };
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    if ((w & kHigh) != 0 || has_byte_below(w, 0x20) || has_zero_byte(w ^ (kOnes * '"')) ||
        has_zero_byte(w ^ (kOnes * '\\'))) {
      break;
    }
  }
  for (; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u <= 0x1F || u >= 0x80 || u == '"' || u == '\\') break;
  }
  return i;
}

}  // namespace

void JsonWriter::newline_indent(std::size_t depth, bool comma) {
  // One append of spaces, then the comma and newline over its first bytes: a push_back and an append each were
  // a tenth of an export's CPU time, and appending from a table of spaces made GCC copy it with `rep movsq`,
  // whose start-up cost is that of a short copy many times over (docs/performance.md).
  const std::size_t at = out_.size();
  out_.append((comma ? 2 : 1) + 2 * depth, ' ');
  char* p = out_.data() + at;
  if (comma) *p++ = ',';
  *p = '\n';
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Level& level = stack_.back();
  const bool comma = !level.empty;
  level.empty = false;
  newline_indent(base_depth_ + stack_.size(), comma);
}

void JsonWriter::open(char bracket) {
  before_value();
  out_ += bracket;
  stack_.push_back({});
}

void JsonWriter::close(char bracket) {
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) newline_indent(base_depth_ + stack_.size(), false);
  out_ += bracket;
}

void JsonWriter::key(std::string_view name) {
  before_value();
  quoted(name, ": ");
  after_key_ = true;
}

void JsonWriter::value(std::string_view text) {
  before_value();
  quoted(text, "");
}

void JsonWriter::quoted(std::string_view text, std::string_view suffix) {
  if (plain_prefix(text) == text.size()) {
    // One resize and plain copies: appending through a stack buffer made GCC copy it with `rep movsq`, whose
    // start-up cost was most of the time of a short string.
    const std::size_t at = out_.size();
    out_.resize(at + text.size() + 2 + suffix.size());
    char* const p = out_.data() + at;
    p[0] = '"';
    if (!text.empty()) std::memcpy(p + 1, text.data(), text.size());
    p[text.size() + 1] = '"';
    if (!suffix.empty()) std::memcpy(p + text.size() + 2, suffix.data(), suffix.size());
    return;
  }
  escaped(text);
  out_ += suffix;
}

void JsonWriter::value(std::uint64_t number) {
  before_value();
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
  out_.append(buf, static_cast<std::size_t>(end - buf));
}

void JsonWriter::value(std::int64_t number) {
  before_value();
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
  out_.append(buf, static_cast<std::size_t>(end - buf));
}

void JsonWriter::value(double number) {
  before_value();
  out_ += nlohmann::json(number).dump();  // nlohmann's own shortest round-trip form ("1.0", "0.75", null)
}

void JsonWriter::value(bool flag) {
  before_value();
  out_ += flag ? "true" : "false";
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

// nlohmann's escaping with ensure_ascii off: quote, backslash and control characters; everything else as is.
void JsonWriter::escaped(std::string_view text) {
  const std::size_t start = out_.size();
  out_ += '"';
  // Runs of characters written as they are go out in one append (a character at a time was most of the
  // JSON's cost: docs/performance.md). One pass: UTF-8 is checked where a byte above 0x7F starts a sequence.
  std::size_t run = 0;
  for (std::size_t i = plain_prefix(text); i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u > 0x1F && u < 0x80 && u != '"' && u != '\\') continue;
    if (u >= 0x80) {
      const std::size_t n = utf8_sequence(text, i);
      if (n == 0) {  // rare (parsers pass wire text through printable()): let nlohmann replace it
        out_.resize(start);
        out_ += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
      i += n - 1;
      continue;
    }
    out_.append(text.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\f':
        out_ += "\\f";
        break;
      case '\r':
        out_ += "\\r";
        break;
      default:
        out_ += "\\u00";
        out_ += kHexDigits[u >> 4];
        out_ += kHexDigits[u & 0xF];
    }
  }
  out_.append(text.data() + run, text.size() - run);
  out_ += '"';
}

}  // namespace ww
