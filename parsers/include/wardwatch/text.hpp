// Helpers that turn untrusted wire text into safe observation values.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "wardwatch/byte_reader.hpp"

namespace ww {

// Longest observation value kept; longer wire strings are cut (and marked with "…" as "...").
inline constexpr std::size_t kMaxValueLength = 256;

// Printable ASCII only: control and non-ASCII bytes become \xHH, trailing NULs and spaces are dropped,
// and the result is capped at kMaxValueLength. Safe for logs, JSON, CSV and SQLite.
std::string printable(std::string_view raw);
// Lower-case hex without separators, capped at kMaxValueLength characters.
std::string hex(Bytes raw);
// The digits of lower-case hex, for the few places that format hex by hand (one table for the project).
inline constexpr char kHexDigits[] = "0123456789abcdef";

// Spaces, tabs and line ends: what text protocols (HTTP, SSDP, SOAP) and configuration lines pad with.
inline constexpr std::string_view kWhitespace = " \t\r\n";
// `s` without any of the characters of `blanks` at either end.
constexpr std::string_view trim(std::string_view s, std::string_view blanks = kWhitespace) {
  const std::size_t first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

// Hash for tables keyed by std::string and looked up by a std::string_view (with std::equal_to<>), without
// building a string per lookup. (Debian's Abseil has its own string_view: its string hash does not take
// std::string_view.)
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A value worth keeping: it has a letter or digit (devices fill unset fields with "--------", "   ", "-").
constexpr bool meaningful(std::string_view v) {
  for (const char c : v) {
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  }
  return false;
}

// ASCII case-insensitive comparisons, for protocol keywords (HTTP header names, DNS labels, banners):
// no locale, no table lookups.
bool iequals(std::string_view a, std::string_view b);
// Where `needle` first occurs in `hay`, ASCII case-insensitively (npos if it does not; 0 for an empty needle).
std::size_t ifind(std::string_view hay, std::string_view needle);
// Whether `needle` occurs in `hay` (an empty needle does).
bool icontains(std::string_view hay, std::string_view needle);
// The `index`-th piece (from 0) of `s` split at `separator`; empty when `s` has fewer pieces. For the
// delimited text protocols (HL7 v2 and ASTM E1394 fields).
std::string_view nth_piece(std::string_view s, std::size_t index, char separator);

}  // namespace ww
