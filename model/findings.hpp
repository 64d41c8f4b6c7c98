// Findings: what the inventory shows that a hospital's security team should act on, each with the evidence
// on the wire behind it (docs/findings.md). Plain data: made by the findings engine
// (fingerprints/engine/findings.hpp), shown by every report format.
#pragma once

#include <string>
#include <vector>

namespace ww {

// One device's part in a finding: the facts (key=value) that show it.
struct FindingEvidence {
  std::string asset_id;
  std::vector<std::string> facts;
};

struct Finding {
  std::string id;           // the finding rule's id, e.g. "cleartext.dicom"
  std::string title;        // one line
  std::string severity;     // "info", "low", "medium", "high", "critical"
  std::string description;  // what it is and why it matters
  std::string remediation;
  std::vector<std::string> references;  // control ids as the mapping file names them: "CyFun2023:PR.DS-2", "NIS2:21(2)(h)"
  std::vector<std::string> assets;      // asset ids, in inventory order
  std::vector<FindingEvidence> evidence;
  std::string source;  // the public source the finding's basis comes from
};

// A framework control the findings refer to, from the versioned mapping file (docs/findings.md).
struct ControlReference {
  std::string id;         // "CyFun2023:ID.AM-1"
  std::string framework;  // "CyberFundamentals 2023"
  std::string control;    // "ID.AM-1"
  std::string title;
  bool key_measure = false;
};

}  // namespace ww
