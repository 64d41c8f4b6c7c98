// The communication map (docs/reports.md, "Communication map"): who talks to each crown jewel, from the
// devices' conversations, and the clinical interface map (HL7 v2 links, DICOM associations), from the facts
// the parsers state about them. One model for the DOT, SVG and HTML reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reports/report_format.hpp"

namespace ww {

// A peer of a crown jewel on one service, summed over its conversations in both roles.
struct JewelContact {
  std::string peer_ip;
  const AssetView* peer = nullptr;  // the inventory's device at that address, if any
  std::string service;              // "dicom tcp/104": application (when recognised), transport, server port
  bool jewel_serves = true;         // the crown jewel is the server side
  std::uint64_t packets = 0, bytes = 0;
  std::int64_t first_us = 0, last_us = 0;
};

struct JewelContacts {
  const AssetView* jewel = nullptr;
  std::vector<JewelContact> contacts;  // most bytes first, at most the limit given
  std::size_t more = 0;                // contacts left out by that limit
  std::size_t peers = 0;               // distinct peer addresses in all
};

// Each crown jewel with its contacts (most bytes first, at most `max_contacts` each); jewels in id order.
std::vector<JewelContacts> crown_jewel_contacts(const Inventory& inv, std::size_t max_contacts);

// Crown jewels drawn at most, and contacts per jewel: a map past that is unreadable and slow to lay out
// (the HTML's tables list them all).
inline constexpr std::size_t kMapMaxJewels = 60;
inline constexpr std::size_t kMapMaxContacts = 25;

// The whole map as a Graphviz digraph: the clinical interfaces, then the crown jewels with their contacts.
// Every name from the wire is written only inside an escaped, quoted DOT string.
std::string communication_map_dot(const ReportContext& ctx);

}  // namespace ww
