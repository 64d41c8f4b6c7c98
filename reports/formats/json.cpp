// The report as JSON (docs/reports.md): a summary, one entry per device with the classification's claims,
// the supply-chain roll-up, and the CMDB comparison's fields. The contract for scripts is
// {"assets": [{"mac", "management", ...}], "stale": [...]}; the inventory's own JSON (`read --json`) stays
// the place for every fact and its evidence.
#include <map>

#include <nlohmann/json.hpp>

#include "reports/cmdb_report.hpp"
#include "reports/findings_report.hpp"
#include "reports/report.hpp"
#include "reports/report_format.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json optional_text(const std::optional<std::string>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

ordered_json asset_json(const AssetSummary& s, const CmdbComparison* cmdb,
                        const std::map<std::string, std::vector<std::string>>& findings) {
  const AssetView& a = *s.asset;
  ordered_json j;
  j["id"] = a.id;
  j["mac"] = optional_text(a.mac);
  j["ips"] = s.ips;
  j["name"] = s.display_name;
  j["category"] = s.category;
  j["medical"] = s.medical;
  for (const auto& [key, value] : {std::pair{"device_type", &s.device_type}, {"vendor", &s.vendor},
                                   {"model", &s.model}, {"firmware", &s.firmware}, {"os", &s.os},
                                   {"modality", &s.modality}, {"role", &s.role}, {"software", &s.software},
                                   {"serial_number", &s.serial_number}}) {
    j[key] = optional_text(*value);
  }
  j["oui_vendor"] = optional_text(a.vendor);
  j["crown_jewel"] = optional_text(s.crown_jewel);
  j["confidence"] = a.classification.confidence;
  j["classification_basis"] = a.classification.basis;  // none | weak | contested | strong
  j["first_seen"] = format_timestamp(a.first_us);
  j["last_seen"] = format_timestamp(a.last_us);
  // With --cmdb: managed | unmanaged | mismatched, and how and with what it matched; null without a CMDB.
  const AssetCmdbResult* r = cmdb_result_for(cmdb, a);
  j["management"] = r ? ordered_json(management_name(r->management)) : ordered_json(nullptr);
  j["cmdb"] = r ? cmdb_asset_json(*r) : ordered_json(nullptr);
  const auto it = findings.find(a.id);
  j["findings"] = it == findings.end() ? ordered_json::array() : ordered_json(it->second);
  return j;
}

ordered_json summary_json(const Inventory& inv, const std::vector<AssetSummary>& assets) {
  ordered_json by_category = ordered_json::object();
  std::size_t medical = 0, jewels = 0, vendor = 0, model = 0, firmware = 0, os = 0;
  std::map<std::string, std::size_t> categories;
  for (const auto& s : assets) {
    ++categories[s.category];
    medical += s.medical ? 1 : 0;
    jewels += s.crown_jewel ? 1 : 0;
    vendor += s.vendor ? 1 : 0;
    model += s.model ? 1 : 0;
    firmware += s.firmware ? 1 : 0;
    os += s.os ? 1 : 0;
  }
  for (const auto& [category, n] : categories) by_category[category] = n;
  ordered_json j;
  j["assets"] = inv.assets.size();
  j["medical_devices"] = medical;
  j["crown_jewels"] = jewels;
  j["by_category"] = by_category;
  // How much of the inventory says who made a device and what it runs: evidence for ID.AM-1/ID.AM-2.
  j["with"] = {{"vendor", vendor}, {"model", model}, {"firmware", firmware}, {"os", os}};
  return j;
}

ordered_json supply_chain_json(const Inventory& inv) {
  ordered_json out = ordered_json::array();
  for (const VendorRollup& v : supply_chain(inv)) {
    ordered_json models = ordered_json::array();
    for (const ModelRollup& m : v.models) {
      ordered_json versions = ordered_json::array();
      for (const FirmwareRollup& f : m.firmware) {
        versions.push_back({{"firmware", f.version.empty() ? ordered_json(nullptr) : ordered_json(f.version)},
                            {"devices", f.assets.size()},
                            {"assets", f.assets}});
      }
      models.push_back({{"model", m.model.empty() ? ordered_json(nullptr) : ordered_json(m.model)},
                        {"devices", m.devices},
                        {"firmware", versions}});
    }
    out.push_back({{"vendor", v.vendor}, {"devices", v.devices}, {"medical_devices", v.medical}, {"models", models}});
  }
  return out;
}

void write_report_json(const ReportContext& ctx, std::ostream& out) {
  const Inventory& inv = ctx.inventory;
  std::vector<AssetSummary> assets;
  assets.reserve(inv.assets.size());
  for (const auto& a : inv.assets) assets.push_back(summarize(a));
  ordered_json doc;
  doc["report_version"] = 1;
  doc["generator"] = {{"name", "wardwatch"}, {"version", ctx.generator_version},
                      {"rules", {{"version", inv.rules.version}, {"count", inv.rules.count}}}};
  doc["generated_at"] = format_timestamp(ctx.generated_us);
  ordered_json sources = ordered_json::array();
  for (const auto& s : inv.sources) sources.push_back(s.name);
  doc["inventory"] = {{"sources", sources},
                      {"first_seen", inv.first_us ? ordered_json(format_timestamp(inv.first_us)) : ordered_json(nullptr)},
                      {"last_seen", inv.last_us ? ordered_json(format_timestamp(inv.last_us)) : ordered_json(nullptr)}};
  doc["summary"] = summary_json(inv, assets);
  doc["summary"]["management"] = ctx.cmdb ? cmdb_summary_json(*ctx.cmdb) : ordered_json(nullptr);
  if (inv.findings_evaluated) {
    ordered_json by_severity = ordered_json::object();
    for (const auto& [severity, n] : findings_by_severity(inv)) by_severity[severity] = n;
    doc["summary"]["findings"] = {{"total", inv.findings.size()}, {"by_severity", by_severity},
                                  {"rules_version", inv.findings_version}};
  }
  ordered_json list = ordered_json::array();
  const auto findings_of = findings_by_asset(inv);
  for (const auto& s : assets) list.push_back(asset_json(s, ctx.cmdb, findings_of));
  doc["assets"] = std::move(list);
  doc["supply_chain"] = supply_chain_json(inv);
  // CMDB entries not seen (empty without a CMDB), and those that matched several devices alike.
  ordered_json stale = ordered_json::array(), ambiguous = ordered_json::array();
  if (ctx.cmdb) {
    for (const auto& e : ctx.cmdb->stale) stale.push_back(stale_entry_json(e));
    for (const auto& e : ctx.cmdb->ambiguous) ambiguous.push_back(ambiguous_entry_json(e));
  }
  doc["stale"] = std::move(stale);
  doc["ambiguous"] = std::move(ambiguous);
  if (inv.findings_evaluated) {
    ordered_json findings = ordered_json::array();
    for (const auto& f : inv.findings) findings.push_back(finding_json(inv, f));
    doc["findings"] = std::move(findings);
    doc["gap_analysis"] = gap_analysis_json(gap_analysis(inv));
  }
  out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

}  // namespace

ReportFormat report_format_json() {
  return {"json", "the report as JSON: summary, devices, supply chain (docs/reports.md)", "json", &write_report_json};
}

}  // namespace ww
