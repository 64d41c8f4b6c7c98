// A flood or scan seen on the wire, as the run statistics report it (agent/pipeline/admission.hpp) and the
// store keeps it (table floods). Plain data, below every layer that uses it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ww {

// One flood or scan, reported once when it ends (agent/pipeline/admission.hpp).
struct FloodEpisode {
  std::string kind;  // syn_flood, arp_storm, mac_flood, udp_flood, icmp_flood, tcp_flood, scan, new_sources
  std::int64_t start_us = 0, end_us = 0;  // capture time
  std::uint64_t sources = 0;              // new sources held (a scan: targets)
  std::uint64_t admitted = 0;             // of which came back and became records
  std::uint64_t packets = 0;              // packets from or to held sources
  std::uint64_t peak_per_s = 0;           // most new sources within one second
  int vlan = -1;                          // outer VLAN of its first packet (-1: untagged)
  std::vector<std::string> sample;        // up to 8 sources ("ip mac" or "mac"); for a scan, the scanners
};

}  // namespace ww
