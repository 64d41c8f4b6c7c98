// Unique Device Identifiers (FDA 21 CFR 801.20, EU MDR Art. 27) as the two issuing agencies' human-readable
// carriers put them into text, e.g. HL7 PRT-10 and PRT-16: GS1 element strings and HIBCC's Supplier
// Labeling data structures. A UDI says what a device is (the UDI-DI: a GTIN, or a labeler code with its
// product number) and which one (serial, lot, dates: the UDI-PI). It never says who made it in words: no
// free table maps GS1 company prefixes or HIBCC labeler codes to makers, so the maker must come from other
// evidence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ww {

struct Udi {
  enum class Issuer : std::uint8_t { gs1, hibcc };
  Issuer issuer = Issuer::gs1;
  std::string di;          // GS1: the GTIN-14 of AI (01); HIBCC: LIC + product number + unit of measure
  std::string labeler;     // HIBCC: the Labeler Identification Code (4 characters); GS1: empty
  std::string serial;      // GS1 AI (21); HIBCC secondary serial
  std::string lot;         // GS1 AI (10); HIBCC secondary lot/batch
  std::string expiry;      // GS1 AI (17); HIBCC secondary date: YYYY-MM-DD, or YYYY-MM when the day is unknown
  std::string production;  // GS1 AI (11): YYYY-MM-DD or YYYY-MM
};

struct UdiParse {
  std::optional<Udi> udi;  // set when the text is a well-formed UDI whose check digit/character is right
  bool bad_check = false;  // the text has a UDI's form, but its GS1 check digit or HIBCC check character is wrong
};

// Reads one UDI carrier: GS1 "(01)nnnnnnnnnnnnnn(17)YYMMDD(10)LOT(21)SERIAL" (AIs in parentheses, any
// order after 01) or the same element string without parentheses, AI 01 first and variable-length fields
// ended by <GS> (0x1D); or HIBCC "+LIC PCN U C" / "+LIC PCN U/secondary C". An optional symbology identifier
// (]d2, ]C1, ]Q3) and HIBCC's caption asterisks are ignored. Anything else: no udi, bad_check false.
UdiParse parse_udi(std::string_view carrier);

// A GTIN-14 whose last digit is the GS1 check digit of the first 13 (GS1 General Specifications §7.9.1).
bool is_valid_gtin14(std::string_view digits);

}  // namespace ww
