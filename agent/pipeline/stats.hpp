// Run statistics: what was read, what was skipped and why, what was evicted. Exported under "stats".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "agent/decode/packet.hpp"

namespace ww {

struct Stats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // original (wire) lengths
  std::uint64_t malformed = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DecodeError::count_)> malformed_by_reason{};
  std::uint64_t non_first_fragments = 0;
  std::uint64_t pcap_received = 0, pcap_dropped = 0, pcap_if_dropped = 0;  // live capture only
  std::uint64_t flows_evicted = 0;
  std::uint64_t assets_evicted = 0;
  std::uint64_t streams_evicted = 0;
  std::uint64_t stream_bytes_skipped = 0;  // not buffered because of max_stream_buffer_bytes
  std::uint64_t observations_dropped = 0;
  std::uint64_t peers_dropped = 0;
  std::uint64_t services_dropped = 0;
  std::uint64_t vlans_dropped = 0;
  std::map<std::string, std::uint64_t, std::less<>> anomalies;  // named parser anomalies
  // The database writer thread of a live capture (agent/store/background_writer.hpp): batches written, the
  // time they took, periodic flushes put off because the writer was still busy, and the times the capture
  // thread had to wait for it (an eviction must hand its records over) and for how long.
  struct Writer {
    std::uint64_t flushes = 0, flush_us = 0, max_flush_us = 0, deferred = 0, waits = 0, wait_us = 0;
  } writer;

  void count_anomaly(std::string_view name) {
    auto it = anomalies.find(name);
    if (it == anomalies.end()) it = anomalies.emplace(std::string(name), 0).first;
    ++it->second;
  }
  // Adds every counter of `other` (used to merge the stats of several runs in the store).
  void add(const Stats& other);
};

}  // namespace ww
