#include "reports/cmdb_report.hpp"

#include "reports/report.hpp"

namespace ww {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json text_or_null(const std::string& v) { return v.empty() ? ordered_json(nullptr) : ordered_json(v); }

ordered_json entry_json(const CmdbEntry& e) {
  ordered_json macs = ordered_json::array();
  for (const auto& m : e.macs) macs.push_back(m.address);
  return {{"source", e.source},          {"line", e.line},
          {"format", cmdb_format_name(e.format)}, {"name", text_or_null(e.name)},
          {"macs", macs},                 {"ips", e.ips},
          {"serial", text_or_null(e.serial)}, {"asset_tag", text_or_null(e.asset_tag)},
          {"manufacturer", text_or_null(e.manufacturer)}, {"model", text_or_null(e.model)},
          {"owner", text_or_null(e.owner)}, {"location", text_or_null(e.location)},
          {"status", text_or_null(e.status)}};
}

ordered_json match_json(const CmdbMatch& m) {
  return {{"by", match_kind_name(m.by)}, {"cmdb_value", m.cmdb_value}, {"wire_value", m.wire_value},
          {"entry", entry_json(*m.entry)}};
}

}  // namespace

const AssetCmdbResult* cmdb_result_for(const CmdbComparison* cmdb, const AssetView& asset) {
  if (cmdb == nullptr) return nullptr;
  for (const auto& r : cmdb->assets) {
    if (r.asset == &asset) return &r;
  }
  return nullptr;
}

std::string entry_location(const CmdbEntry& entry) { return entry.source + ":" + std::to_string(entry.line); }

ordered_json cmdb_asset_json(const AssetCmdbResult& r) {
  ordered_json j;
  j["matched_by"] = r.match ? ordered_json(match_kind_name(r.match->by)) : ordered_json(nullptr);
  j["match"] = r.match ? match_json(*r.match) : ordered_json(nullptr);
  ordered_json also = ordered_json::array();
  for (const auto& m : r.also_listed) also.push_back(match_json(m));
  j["also_listed"] = also;
  ordered_json mismatches = ordered_json::array();
  for (const auto& m : r.mismatches) {
    mismatches.push_back({{"attribute", m.attribute}, {"wire", m.wire}, {"cmdb", m.cmdb},
                          {"entry", m.entry ? ordered_json(entry_location(*m.entry)) : ordered_json(nullptr)}});
  }
  j["mismatches"] = mismatches;
  ordered_json ambiguous = ordered_json::array();
  for (const CmdbEntry* e : r.ambiguous) ambiguous.push_back(entry_location(*e));
  j["ambiguous"] = ambiguous;
  return j;
}

ordered_json cmdb_summary_json(const CmdbComparison& cmdb) {
  const CmdbCounts& c = cmdb.counts;
  ordered_json by = ordered_json::object();
  for (std::size_t i = 0; i < kMatchKinds.size(); ++i) by[std::string(match_kind_name(kMatchKinds[i]))] = c.matched_by[i];
  return {{"entries", c.entries},       {"matched_entries", c.matched_entries}, {"managed", c.managed},
          {"unmanaged", c.unmanaged},   {"mismatched", c.mismatched},           {"matched_by", by},
          {"stale", c.stale},           {"ambiguous", c.ambiguous},
          {"stale_cutoff", format_timestamp(cmdb.stale_cutoff_us)},
          {"inventory_covers_stale_window", cmdb.covers_stale_window}};
}

ordered_json stale_entry_json(const StaleEntry& s) {
  ordered_json j = entry_json(*s.entry);
  j["reason"] = stale_reason_name(s.reason);
  j["device"] = s.device ? ordered_json(s.device->id) : ordered_json(nullptr);
  j["last_seen"] = s.device ? ordered_json(format_timestamp(s.last_seen_us)) : ordered_json(nullptr);
  return j;
}

ordered_json ambiguous_entry_json(const AmbiguousEntry& a) {
  ordered_json devices = ordered_json::array();
  for (const AssetView* d : a.devices) devices.push_back(d->id);
  ordered_json j = entry_json(*a.entry);
  j["by"] = match_kind_name(a.by);
  j["devices"] = devices;
  return j;
}

std::string mismatch_text(const AssetCmdbResult& r) {
  std::string out;
  for (const auto& m : r.mismatches) {
    out += (out.empty() ? "" : "; ") + m.attribute + ": wire '" + m.wire + "', CMDB '" + m.cmdb + "'" +
           (m.entry ? " (" + entry_location(*m.entry) + ")" : "");
  }
  return out;
}

}  // namespace ww
