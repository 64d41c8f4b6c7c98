// CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/): the inventory as a bill of materials of
// devices, for procurement and supply-chain review (docs/reports.md).
//
// Each device is a component of type "device" (manufacturer = the classified vendor, name = the model, or
// the device's name where the wire gave no model). As the schema's description of "device" asks, what runs
// on it is nested: its firmware as a "firmware" component and its operating system as an
// "operating-system" component, each with the version the wire gave, and an identified application (e.g.
// a DICOM toolkit) as an "application" component. A component has no serial or MAC field: they go in the
// official property taxonomy (cdx:device:serialNumber, cdx:device:macAddress); wardwatch's own facts
// (category, crown jewel, IP addresses, confidence, first/last seen) under the "wardwatch:" namespace.
#include <nlohmann/json.hpp>

#include <cctype>
#include <random>

#include "reports/cmdb_report.hpp"
#include "reports/findings_report.hpp"
#include "reports/report.hpp"
#include "reports/report_format.hpp"
#include "reports/report_model.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

using ordered_json = nlohmann::ordered_json;

// RFC 4122 version 4 UUID for the BOM's serialNumber ("urn:uuid:..."), which CycloneDX asks to be unique
// for every BOM generated.
std::string random_uuid() {
  std::random_device rd;
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string u = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (char& c : u) {
    if (c == 'x') c = kHexDigits[nibble(rd)];
    else if (c == 'y') c = kHexDigits[8 + nibble(rd) % 4];  // variant 10xx
  }
  return u;
}

void property(ordered_json& props, const std::string& name, const std::string& value) {
  props.push_back({{"name", name}, {"value", value}});
}

// A nested component for what runs on the device (firmware, operating system, application).
ordered_json software_component(const std::string& bom_ref, const char* type, const std::string& text) {
  ordered_json c;
  c["type"] = type;
  c["bom-ref"] = bom_ref;
  c["name"] = text;
  // The wire gives one text ("FW-4.0.3", "Windows 10", "OFFIS DCMTK 3.6.7"); a version is split off only
  // where the text ends in a version number.
  const auto space = text.rfind(' ');
  if (space != std::string::npos && space + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[space + 1]))) {
    c["name"] = text.substr(0, space);
    c["version"] = text.substr(space + 1);
  } else if (std::string_view(type) == "firmware") {
    c["version"] = text;
  }
  return c;
}

ordered_json device_component(const AssetSummary& s, const CmdbComparison* cmdb,
                              const std::map<std::string, std::vector<std::string>>& findings) {
  const AssetView& a = *s.asset;
  ordered_json c;
  c["type"] = "device";
  c["bom-ref"] = a.id;
  if (s.vendor) c["manufacturer"] = {{"name", *s.vendor}};
  c["name"] = s.model.value_or(s.display_name);
  if (s.device_type) c["description"] = *s.device_type;
  ordered_json nested = ordered_json::array();
  if (s.firmware) nested.push_back(software_component(a.id + "#firmware", "firmware", *s.firmware));
  if (s.os) nested.push_back(software_component(a.id + "#os", "operating-system", *s.os));
  if (s.software) nested.push_back(software_component(a.id + "#software", "application", *s.software));
  if (!nested.empty()) c["components"] = nested;
  ordered_json props = ordered_json::array();
  if (a.mac) property(props, "cdx:device:macAddress", *a.mac);
  if (s.serial_number) property(props, "cdx:device:serialNumber", *s.serial_number);
  property(props, "wardwatch:category", s.category);
  if (s.crown_jewel) property(props, "wardwatch:crown_jewel", *s.crown_jewel);
  if (s.modality) property(props, "wardwatch:modality", *s.modality);
  if (s.role) property(props, "wardwatch:role", *s.role);
  for (const auto& ip : s.ips) property(props, "wardwatch:ip", ip);
  if (a.vendor) property(props, "wardwatch:oui_vendor", *a.vendor);
  property(props, "wardwatch:confidence", std::to_string(a.classification.confidence));
  property(props, "wardwatch:classification-basis", a.classification.basis);
  property(props, "wardwatch:first_seen", format_timestamp(a.first_us));
  property(props, "wardwatch:last_seen", format_timestamp(a.last_us));
  if (const AssetCmdbResult* r = cmdb_result_for(cmdb, a)) {
    property(props, "wardwatch:management", std::string(management_name(r->management)));
    if (r->match) property(props, "wardwatch:cmdb_entry", entry_location(*r->match->entry));
    for (const auto& m : r->mismatches) property(props, "wardwatch:cmdb_mismatch", m.attribute + ": wire '" + m.wire + "', CMDB '" + m.cmdb + "'");
  }
  if (const auto it = findings.find(a.id); it != findings.end()) {
    for (const auto& id : it->second) property(props, "wardwatch:finding", id);
  }
  c["properties"] = props;
  return c;
}

void write_cyclonedx(const ReportContext& ctx, std::ostream& out) {
  ordered_json bom;
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = "1.6";
  bom["serialNumber"] = "urn:uuid:" + random_uuid();
  bom["version"] = 1;
  ordered_json tool = {{"type", "application"}, {"name", "wardwatch"}, {"version", ctx.generator_version}};
  bom["metadata"] = {{"timestamp", format_timestamp(ctx.generated_us)}, {"tools", {{"components", {tool}}}},
                     {"properties", {{{"name", "wardwatch:rules_version"}, {"value", ctx.inventory.rules.version}}}}};
  ordered_json components = ordered_json::array();
  const auto findings_of = findings_by_asset(ctx.inventory);
  for (const auto& a : ctx.inventory.assets) components.push_back(device_component(summarize(a), ctx.cmdb, findings_of));
  if (ctx.cmdb) {
    // Counts of the CMDB comparison; the stale entries themselves are not devices seen, so not components.
    const CmdbCounts& n = ctx.cmdb->counts;
    for (const auto& [name, value] : {std::pair{"wardwatch:cmdb_managed", n.managed}, {"wardwatch:cmdb_unmanaged", n.unmanaged},
                                      {"wardwatch:cmdb_mismatched", n.mismatched}, {"wardwatch:cmdb_stale", n.stale}}) {
      bom["metadata"]["properties"].push_back({{"name", name}, {"value", std::to_string(value)}});
    }
  }
  bom["components"] = std::move(components);
  out << bom.dump(2, ' ', false, ordered_json::error_handler_t::replace) << '\n';
}

}  // namespace

ReportFormat report_format_cyclonedx() {
  return {"cyclonedx", "CycloneDX 1.6 JSON: each device a component, with its firmware and OS (docs/reports.md)",
          "cdx.json", &write_cyclonedx};
}

}  // namespace ww
