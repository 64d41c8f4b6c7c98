// The report as CSV: one row per device with the classification's claims, for a spreadsheet or a CMDB
// import (docs/reports.md). Every cell is quoted and guarded by csv_field.
#include "reports/csv.hpp"
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
         "serial_number,oui_vendor,crown_jewel,confidence,first_seen,last_seen,management\r\n";
  for (const auto& a : ctx.inventory.assets) {
    const AssetSummary s = summarize(a);
    std::string row = csv_field(a.id) + ',' + csv_field(a.mac.value_or("")) + ',' + csv_field(joined(s.ips)) + ',' +
                      csv_field(s.display_name) + ',' + csv_field(s.category) + ',' + (s.medical ? "true" : "false");
    for (const auto* v : {&s.device_type, &s.vendor, &s.model, &s.firmware, &s.os, &s.modality, &s.role, &s.software,
                          &s.serial_number, &a.vendor, &s.crown_jewel}) {
      row += ',' + csv_field(v->value_or(""));
    }
    row += ',' + std::to_string(a.classification.confidence) + ',' + format_timestamp(a.first_us) + ',' +
           format_timestamp(a.last_us) + ',';  // management: empty without a CMDB
    out << row << "\r\n";
  }
}

}  // namespace

ReportFormat report_format_csv() {
  return {"csv", "one row per device with its classification, for a spreadsheet (docs/reports.md)", "csv",
          &write_report_csv};
}

}  // namespace ww
