#include "reports/findings_report.hpp"

#include <algorithm>
#include <set>

#include "reports/report_model.hpp"

namespace ww {
namespace {

using ordered_json = nlohmann::ordered_json;

const AssetView* asset_by_id(const Inventory& inv, const std::string& id) {
  // Assets are sorted by id (model/inventory.hpp).
  const auto it = std::lower_bound(inv.assets.begin(), inv.assets.end(), id,
                                   [](const AssetView& a, const std::string& key) { return a.id < key; });
  return it != inv.assets.end() && it->id == id ? &*it : nullptr;
}

std::string percent(std::size_t part, std::size_t whole) {
  if (whole == 0) return "0 of 0";
  return std::to_string(part) + " of " + std::to_string(whole) + " (" + std::to_string(100 * part / whole) + " %)";
}

// A reference as the contract and an auditor write it: "PR.DS-2" for CyberFundamentals,
// "NIS2 21(2)(h)" for the directive; the mapping file's id where it names no control.
std::string reference_label(const Inventory& inv, const std::string& id) {
  for (const auto& c : inv.controls) {
    if (c.id != id) continue;
    return id.rfind("NIS2:", 0) == 0 ? "NIS2 " + c.control : c.control;
  }
  return id;
}

std::size_t count_facts(const Inventory& inv, std::string_view key) {
  std::set<std::string> values;
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) {
      if (o.key == key) values.insert(o.value);
    }
  }
  return values.size();
}

// What the inventory itself shows for a control, by the control's number in CyberFundamentals 2023
// (docs/findings.md, "Gap analysis"): asset management is the inventory's own coverage, the flows mapped
// are the HL7 and DICOM links it found. Other controls are shown by their findings alone.
std::vector<std::pair<std::string, std::string>> inventory_evidence(const Inventory& inv, const std::string& control) {
  std::size_t vendor = 0, model = 0, firmware = 0, os = 0, classified = 0, beyond = 0, medical = 0;
  for (const auto& a : inv.assets) {
    const AssetSummary s = summarize(a);
    vendor += s.vendor ? 1 : 0;
    model += s.model ? 1 : 0;
    firmware += s.firmware ? 1 : 0;
    os += s.os ? 1 : 0;
    classified += s.category != "unknown" ? 1 : 0;
    beyond += a.beyond_router ? 1 : 0;
    medical += s.medical ? 1 : 0;
  }
  const std::size_t n = inv.assets.size();
  if (control == "ID.AM-1") {
    return {{"devices seen", std::to_string(n)}, {"classified (category known)", percent(classified, n)},
            {"with a vendor", percent(vendor, n)}, {"with a model", percent(model, n)},
            {"medical devices", std::to_string(medical)}};
  }
  if (control == "ID.AM-2") {
    return {{"with an operating system", percent(os, n)}, {"with a firmware version", percent(firmware, n)}};
  }
  if (control == "ID.AM-3" || control == "DE.AE-1.1") {
    return {{"HL7 interface links", std::to_string(count_facts(inv, "hl7.link"))},
            {"DICOM associations", std::to_string(count_facts(inv, "dicom.association"))}};
  }
  if (control == "ID.AM-4") return {{"hosts seen only beyond a router", std::to_string(beyond)}};
  return {};
}

}  // namespace

std::map<std::string, std::vector<std::string>> findings_by_asset(const Inventory& inv) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& f : inv.findings) {
    for (const auto& id : f.assets) out[id].push_back(f.id);
  }
  return out;
}

std::map<std::string, std::size_t> findings_by_severity(const Inventory& inv) {
  std::map<std::string, std::size_t> out;
  for (const char* s : kSeverities) out[s] = 0;
  for (const auto& f : inv.findings) ++out[f.severity];
  return out;
}

ordered_json finding_json(const Inventory& inv, const Finding& f) {
  ordered_json assets = ordered_json::array(), evidence = ordered_json::array();
  for (const auto& id : f.assets) {
    const AssetView* a = asset_by_id(inv, id);
    assets.push_back(a && a->mac ? *a->mac : id);
  }
  std::vector<std::string> labels;
  for (const auto& r : f.references) labels.push_back(reference_label(inv, r));
  for (const auto& e : f.evidence) {
    const AssetView* a = asset_by_id(inv, e.asset_id);
    evidence.push_back({{"asset", e.asset_id}, {"mac", a && a->mac ? ordered_json(*a->mac) : ordered_json(nullptr)},
                        {"facts", e.facts}});
  }
  return {{"id", f.id},
          {"title", f.title},
          {"severity", f.severity},
          {"assets", assets},
          {"evidence", evidence},
          {"references", labels},
          {"reference_ids", f.references},
          {"description", f.description},
          {"remediation", f.remediation},
          {"source", f.source}};
}

std::vector<ControlView> gap_analysis(const Inventory& inv) {
  std::vector<ControlView> out;
  for (const auto& c : inv.controls) {
    ControlView v;
    v.control = &c;
    std::set<std::string> assets;
    for (const auto& f : inv.findings) {
      if (std::find(f.references.begin(), f.references.end(), c.id) == f.references.end()) continue;
      v.findings.push_back(&f);
      assets.insert(f.assets.begin(), f.assets.end());
    }
    v.affected_assets = assets.size();
    v.inventory_evidence = inventory_evidence(inv, c.control);
    out.push_back(std::move(v));
  }
  return out;
}

ordered_json gap_analysis_json(const std::vector<ControlView>& view) {
  ordered_json out = ordered_json::array();
  for (const auto& v : view) {
    ordered_json findings = ordered_json::array(), evidence = ordered_json::object();
    for (const Finding* f : v.findings) findings.push_back(f->id);
    for (const auto& [label, value] : v.inventory_evidence) evidence[label] = value;
    out.push_back({{"control", v.control->id},
                   {"framework", v.control->framework},
                   {"title", v.control->title},
                   {"key_measure", v.control->key_measure},
                   {"findings", findings},
                   {"affected_assets", v.affected_assets},
                   {"inventory", evidence}});
  }
  return out;
}

}  // namespace ww
