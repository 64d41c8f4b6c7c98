// CSV cells for every CSV output: RFC 4180 quoting, and a guard against formula injection.
#pragma once

#include <string>
#include <string_view>

namespace ww {

// RFC 4180: a field holding a comma, quote, CR or LF is quoted, embedded quotes doubled. A field starting
// with = + - @ (or a tab or CR, which some spreadsheets skip before one) gets a leading ' so that a
// spreadsheet does not evaluate wire-supplied text as a formula (OWASP, "CSV Injection").
std::string csv_field(std::string_view value);

}  // namespace ww
