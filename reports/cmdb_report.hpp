// The CMDB comparison as every report format shows it: per device (management, the entry it matched and
// how, the mismatches with both sides' values), and the CMDB entries that were not seen (stale) or could not
// be told apart (ambiguous). docs/reports.md, "CMDB comparison".
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "reports/cmdb.hpp"

namespace ww {

// The comparison's result for `asset`, or nullptr (no CMDB given, or a device the comparison does not list).
const AssetCmdbResult* cmdb_result_for(const CmdbComparison* cmdb, const AssetView& asset);

// {"matched_by", "entry": {...}, "also_listed": [...], "mismatches": [...], "ambiguous": [...]}
nlohmann::ordered_json cmdb_asset_json(const AssetCmdbResult& result);
// {"files"?, "entries", "matched_entries", "managed", "unmanaged", "mismatched", "matched_by": {...}, "stale",
//  "ambiguous", "stale_days_covered"}
nlohmann::ordered_json cmdb_summary_json(const CmdbComparison& cmdb);
// One stale entry: where it is written, what identifies it, why it is stale.
nlohmann::ordered_json stale_entry_json(const StaleEntry& stale);
nlohmann::ordered_json ambiguous_entry_json(const AmbiguousEntry& ambiguous);
// "vendor: wire 'X', CMDB 'Y' (file:line)" joined with "; ": for CSV and HTML.
std::string mismatch_text(const AssetCmdbResult& result);
// "file:line" of an entry.
std::string entry_location(const CmdbEntry& entry);

}  // namespace ww
