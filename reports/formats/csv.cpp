// The report as CSV: one row per device with the classification's claims, for a spreadsheet or a CMDB
// import (docs/reports.md). Every cell is quoted and guarded by csv_field.
#include "reports/cmdb_report.hpp"
#include "reports/csv.hpp"
#include "reports/findings_report.hpp"
#include "reports/report.hpp"
#include "reports/report_format.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ";") + item;
  return out;
}

void write_report_csv(const ReportContext& ctx, std::ostream& out) {
  out << "id,mac,ips,name,category,medical,device_type,vendor,model,firmware,os,modality,role,software,"
         "serial_number,oui_vendor,crown_jewel,confidence,first_seen,last_seen,management,cmdb_matched_by,"
         "cmdb_entry,cmdb_mismatches,findings\r\n";
  const auto findings_of = findings_by_asset(ctx.inventory);
  for (const auto& a : ctx.inventory.assets) {
    const AssetSummary s = summarize(a);
    std::string row = csv_field(a.id) + ',' + csv_field(a.mac.value_or("")) + ',' + csv_field(joined(s.ips)) + ',' +
                      csv_field(s.display_name) + ',' + csv_field(s.category) + ',' + (s.medical ? "true" : "false");
    for (const auto* v : {&s.device_type, &s.vendor, &s.model, &s.firmware, &s.os, &s.modality, &s.role, &s.software,
                          &s.serial_number, &a.vendor, &s.crown_jewel}) {
      row += ',' + csv_field(v->value_or(""));
    }
    row += ',' + std::to_string(a.classification.confidence) + ',' + format_timestamp(a.first_us) + ',' +
           format_timestamp(a.last_us) + ',';
    // management and the CMDB columns: empty without a CMDB.
    if (const AssetCmdbResult* r = cmdb_result_for(ctx.cmdb, a)) {
      row += csv_field(management_name(r->management)) + ',';
      row += r->match ? csv_field(match_kind_name(r->match->by)) + ',' + csv_field(entry_location(*r->match->entry)) : ",";
      row += ',' + csv_field(mismatch_text(*r));
    } else {
      row += ",,";
    }
    std::string ids;
    if (const auto it = findings_of.find(a.id); it != findings_of.end()) {
      for (const auto& id : it->second) ids += (ids.empty() ? "" : ";") + id;
    }
    row += ',' + csv_field(ids);
    out << row << "\r\n";
  }
  // The CMDB entries not seen: one row each, management "stale", identified by what the CMDB says.
  if (ctx.cmdb == nullptr) return;
  for (const StaleEntry& s : ctx.cmdb->stale) {
    const CmdbEntry& e = *s.entry;
    std::string macs, ips;
    for (const auto& m : e.macs) macs += (macs.empty() ? "" : ";") + m.address;
    for (const auto& ip : e.ips) ips += (ips.empty() ? "" : ";") + ip;
    out << ',' << csv_field(macs) << ',' << csv_field(ips) << ',' << csv_field(e.name) << ",,,," << csv_field(e.manufacturer)
        << ',' << csv_field(e.model) << ",,,,,," << csv_field(e.serial) << ",,,,,"
        << (s.device ? format_timestamp(s.last_seen_us) : "") << ",stale,," << csv_field(entry_location(e)) << ','
        << csv_field("stale: " + std::string(stale_reason_name(s.reason))) << ",\r\n";
  }
}

}  // namespace

ReportFormat report_format_csv() {
  return {"csv", "one row per device with its classification, for a spreadsheet (docs/reports.md)", "csv",
          &write_report_csv};
}

}  // namespace ww
