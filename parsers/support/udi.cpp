// UDI carriers in text: GS1 element strings and HIBCC Supplier Labeling data structures (wardwatch/udi.hpp).
//
// GS1: GS1 General Specifications (Release 24) §3.2 (AI 01 GTIN n2+n14, 10 batch/lot n2+X..20, 11 production
// date and 17 expiration date n2+n6 YYMMDD with DD 00 = unknown day, 21 serial n2+X..20), §7.8.5 (the
// human-readable interpretation puts AIs in parentheses), §7.8.6 (<GS>/FNC1 ends a variable-length field in
// the element string), §7.9.1 (the check digit); the FDA's GS1 UDI guide lists exactly these AIs.
// HIBCC: ANSI/HIBC 2.6 Supplier Labeling Standard: the primary structure "+", a 4-character Labeler
// Identification Code (a letter, then 3 letters or digits), a 1-18 character product/catalogue number, a
// 1-digit unit of measure and a modulus-43 check character over everything before it; the combined form
// "+primary/secondary C" has one check character at the end. Secondary structures: "$" lot, "$+" serial,
// "$$"/"$$+" a date then the lot/serial (the date's form chosen by the digit after "$$": 2 MMDDYY,
// 3 YYMMDD, 4 YYMMDDHH, 5 YYJJJ, 6 YYJJJHH, 7 none, else MMYY), a 5-digit YYJJJ date then the lot, and the
// 2.6 data identifiers "14D" (expiry YYYYMMDD), "16D" (manufacture YYYYMMDD) and "S" (serial) after
// further slashes. The quantity forms ($$8, $$9) are not decoded: the DI is still given.
#include "wardwatch/udi.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ww {
namespace {

constexpr std::size_t kMaxVariable = 20;  // GS1 AIs 10 and 21: X..20; HIBCC lot/serial kept to the same

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

int two_digits(std::string_view s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

std::string pad2(int v) { return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10); }

// YYMMDD (GS1 §7.12: DD 00 means the day is not given) as YYYY-MM-DD or YYYY-MM; empty if not a date.
// Years are taken as 20YY: UDIs exist since 2013, and a parser has no clock to apply GS1's sliding century.
std::string yymmdd(std::string_view s) {
  if (s.size() != 6 || !all_digits(s)) return {};
  const int mm = two_digits(s, 2), dd = two_digits(s, 4);
  if (mm < 1 || mm > 12 || dd > 31) return {};
  std::string out = "20" + std::string(s.substr(0, 2)) + "-" + pad2(mm);
  return dd == 0 ? out : out + "-" + pad2(dd);
}

// YYJJJ (a Julian day of the year) as YYYY-MM-DD; empty if not a date.
std::string yyjjj(std::string_view s) {
  if (s.size() != 5 || !all_digits(s)) return {};
  const int year = 2000 + two_digits(s, 0);
  int day = (s[2] - '0') * 100 + two_digits(s, 3);
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  const std::array<int, 12> days{31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > (leap ? 366 : 365)) return {};
  int month = 0;
  while (day > days[static_cast<std::size_t>(month)]) day -= days[static_cast<std::size_t>(month++)];
  return std::to_string(year) + "-" + pad2(month + 1) + "-" + pad2(day);
}

// YYYYMMDD (HIBC 2.6 data identifiers 14D/16D) as YYYY-MM-DD.
std::string yyyymmdd(std::string_view s) {
  if (s.size() != 8 || !all_digits(s)) return {};
  const std::string short_form = yymmdd(s.substr(2));
  return short_form.empty() ? std::string{} : std::string(s.substr(0, 2)) + short_form.substr(2);
}

// ---- GS1 -------------------------------------------------------------------------------------------------

// One AI's value into the UDI. Returns false when the value is not of the AI's form.
bool gs1_field(std::string_view ai, std::string_view value, Udi& u, bool& bad_check) {
  if (ai == "01") {
    if (value.size() != 14 || !all_digits(value)) return false;
    if (!is_valid_gtin14(value)) bad_check = true;
    u.di = value;
  } else if (ai == "17" || ai == "11") {
    std::string date = yymmdd(value);
    if (date.empty()) return false;
    (ai == "17" ? u.expiry : u.production) = std::move(date);
  } else if (ai == "10" || ai == "21") {
    if (value.empty() || value.size() > kMaxVariable) return false;
    (ai == "10" ? u.lot : u.serial) = value;
  }
  return true;  // another AI (e.g. 30, 240): not part of a UDI, passed over
}

// "(01)...(17)...(10)...(21)..." — each AI in parentheses, its value up to the next "(".
UdiParse gs1_parenthesised(std::string_view s) {
  Udi u;
  bool bad_check = false;
  while (!s.empty()) {
    const std::size_t close = s.find(')');
    if (s.front() != '(' || close == std::string_view::npos || close < 3 || close > 5) return {};
    const std::string_view ai = s.substr(1, close - 1);
    if (!all_digits(ai)) return {};
    s.remove_prefix(close + 1);
    const std::size_t next = s.find('(');
    const std::string_view value = s.substr(0, next);
    if (!gs1_field(ai, value, u, bad_check)) return {};
    s.remove_prefix(value.size());
  }
  if (u.di.empty()) return {};  // no GTIN: not a UDI
  if (bad_check) return UdiParse{std::nullopt, true};
  return UdiParse{std::move(u), false};
}

// "01nnnnnnnnnnnnnn17YYMMDD10LOT<GS>21SERIAL" — the element string, AI 01 first. Only the UDI's AIs can be
// followed (an unknown AI's length is unknown): reading stops at the first other one.
UdiParse gs1_element_string(std::string_view s) {
  Udi u;
  bool bad_check = false;
  if (s.size() < 16 || !gs1_field("01", s.substr(2, 14), u, bad_check)) return {};
  s.remove_prefix(16);
  while (s.size() >= 2) {
    const std::string_view ai = s.substr(0, 2);
    s.remove_prefix(2);
    std::string_view value;
    if (ai == "17" || ai == "11") {
      value = s.substr(0, 6);
    } else if (ai == "10" || ai == "21") {
      value = s.substr(0, s.find('\x1d'));
    } else {
      break;
    }
    if (!gs1_field(ai, value, u, bad_check)) return {};
    s.remove_prefix(value.size());
    if (!s.empty() && s.front() == '\x1d') s.remove_prefix(1);
  }
  if (bad_check) return UdiParse{std::nullopt, true};
  return UdiParse{std::move(u), false};
}

// ---- HIBCC -----------------------------------------------------------------------------------------------

// The modulus-43 value of a character (0-9, A-Z, then - . space $ / + %); -1 for any other.
int mod43_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  constexpr std::string_view kSymbols = "-. $/+%";
  const std::size_t at = kSymbols.find(c);
  return at == std::string_view::npos ? -1 : 36 + static_cast<int>(at);
}

// The lot or serial that follows a secondary's date, bounded.
std::string tail_value(std::string_view s) { return std::string(s.substr(0, kMaxVariable)); }

// The "$$"/"$$+" date forms; returns the rest after the date, or nullopt for a form not decoded.
std::optional<std::string_view> hibcc_date(std::string_view s, std::string& date) {
  if (s.empty()) return s;
  switch (s.front()) {
    case '2':  // MMDDYY
      if (s.size() < 7 || !all_digits(s.substr(1, 6))) return std::nullopt;
      date = yymmdd(std::string(s.substr(5, 2)) + std::string(s.substr(1, 4)));
      return s.substr(7);
    case '3':  // YYMMDD
      date = yymmdd(s.substr(1, 6));
      return s.size() < 7 ? std::string_view{} : s.substr(7);
    case '4':  // YYMMDDHH
      date = yymmdd(s.substr(1, 6));
      return s.size() < 9 ? std::string_view{} : s.substr(9);
    case '5':  // YYJJJ
      date = yyjjj(s.substr(1, 5));
      return s.size() < 6 ? std::string_view{} : s.substr(6);
    case '6':  // YYJJJHH
      date = yyjjj(s.substr(1, 5));
      return s.size() < 8 ? std::string_view{} : s.substr(8);
    case '7':  // no date
      return s.substr(1);
    case '8':
    case '9':  // quantity forms
      return std::nullopt;
    default:  // MMYY
      if (s.size() < 4 || !all_digits(s.substr(0, 4))) return std::nullopt;
      date = yymmdd(std::string(s.substr(2, 2)) + std::string(s.substr(0, 2)) + "00");
      return s.substr(4);
  }
}

void hibcc_secondary(std::string_view first, Udi& u) {
  if (first.substr(0, 3) == "$$+") {
    if (const auto rest = hibcc_date(first.substr(3), u.expiry)) u.serial = tail_value(*rest);
  } else if (first.substr(0, 2) == "$$") {
    if (const auto rest = hibcc_date(first.substr(2), u.expiry)) u.lot = tail_value(*rest);
  } else if (first.substr(0, 2) == "$+") {
    u.serial = tail_value(first.substr(2));
  } else if (first.substr(0, 1) == "$") {
    u.lot = tail_value(first.substr(1));
  } else if (first.size() >= 5 && all_digits(first.substr(0, 5))) {
    u.expiry = yyjjj(first.substr(0, 5));
    u.lot = tail_value(first.substr(5));
  }
}

void hibcc_data_identifier(std::string_view part, Udi& u) {
  if (part.substr(0, 3) == "14D") u.expiry = yyyymmdd(part.substr(3));
  else if (part.substr(0, 3) == "16D") u.production = yyyymmdd(part.substr(3));
  else if (part.substr(0, 1) == "S") u.serial = tail_value(part.substr(1));
}

UdiParse hibcc(std::string_view s) {
  // "+", LIC (4), product number (1..18), unit of measure (1 digit), check character: 8 characters at least.
  if (s.size() < 8 || s.front() != '+' || !std::isupper(static_cast<unsigned char>(s[1]))) return {};
  int sum = 0;
  for (char c : s) {
    if (mod43_value(c) < 0) return {};
  }
  for (char c : s.substr(0, s.size() - 1)) sum += mod43_value(c);
  const std::string_view body = s.substr(1, s.size() - 2);
  const std::size_t slash = body.find('/');
  const std::string_view primary = body.substr(0, slash);
  if (primary.size() < 6 || primary.size() > 23 || !std::all_of(primary.begin(), primary.end(), is_alnum) ||
      !std::isdigit(static_cast<unsigned char>(primary.back()))) {
    return {};
  }
  if (sum % 43 != mod43_value(s.back())) return UdiParse{std::nullopt, true};
  Udi u;
  u.issuer = Udi::Issuer::hibcc;
  u.labeler = primary.substr(0, 4);
  u.di = primary;
  if (slash != std::string_view::npos) {
    std::string_view rest = body.substr(slash + 1);
    std::size_t next = rest.find('/');
    hibcc_secondary(rest.substr(0, next), u);
    while (next != std::string_view::npos) {
      rest.remove_prefix(next + 1);
      next = rest.find('/');
      hibcc_data_identifier(rest.substr(0, next), u);
    }
  }
  return UdiParse{std::move(u), false};
}

}  // namespace

bool is_valid_gtin14(std::string_view digits) {
  if (digits.size() != 14 || !all_digits(digits)) return false;
  int sum = 0;
  // Weights 3 and 1 alternately from the digit next to the check digit leftwards: for 13 digits, 3 at both ends.
  for (std::size_t i = 0; i < 13; ++i) sum += (digits[i] - '0') * (i % 2 == 0 ? 3 : 1);
  return (10 - sum % 10) % 10 == digits[13] - '0';
}

UdiParse parse_udi(std::string_view s) {
  // HIBCC's caption asterisks; not trailing spaces: a space is a valid modulus-43 check character.
  while (!s.empty() && (s.front() == ' ' || s.front() == '*')) s.remove_prefix(1);
  while (!s.empty() && s.back() == '*') s.remove_suffix(1);
  if (s.size() >= 3 && s.front() == ']') s.remove_prefix(3);  // symbology identifier (ISO/IEC 15424)
  if (s.empty()) return {};
  if (s.front() == '(') return gs1_parenthesised(s);
  if (s.front() == '+') return hibcc(s);
  if (s.substr(0, 2) == "01") return gs1_element_string(s);
  return {};
}

}  // namespace ww
