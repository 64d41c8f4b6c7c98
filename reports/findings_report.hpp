// Findings and the gap-analysis view as the report formats show them (docs/findings.md, docs/reports.md).
// The gap-analysis view is evidence for an auditor, per framework control: the findings that refer to it,
// and what the inventory itself shows for it (how many devices, how many with a vendor, model, firmware,
// the flows mapped) — never a verdict of compliance.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "model/inventory.hpp"

namespace ww {

inline constexpr const char* kSeverities[] = {"critical", "high", "medium", "low", "info"};

// asset id -> the ids of the findings that name it.
std::map<std::string, std::vector<std::string>> findings_by_asset(const Inventory& inv);
// severity -> count of findings, every severity present (0 where none).
std::map<std::string, std::size_t> findings_by_severity(const Inventory& inv);

// One finding as JSON: id, title, severity, assets (MAC where the device has one, else its asset id),
// evidence [{asset, mac, facts}], references, description, remediation, source.
nlohmann::ordered_json finding_json(const Inventory& inv, const Finding& finding);

struct ControlView {
  const ControlReference* control = nullptr;
  std::vector<const Finding*> findings;
  std::size_t affected_assets = 0;                   // distinct devices named by those findings
  std::vector<std::pair<std::string, std::string>> inventory_evidence;  // what the inventory shows: label, value
};

// Every control of the mapping file, in its order.
std::vector<ControlView> gap_analysis(const Inventory& inv);
nlohmann::ordered_json gap_analysis_json(const std::vector<ControlView>& view);

}  // namespace ww
