// Run statistics: what was read, what was skipped and why, what was evicted. Exported under "stats".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/decode/packet.hpp"
#include "model/flood.hpp"

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
  std::uint64_t assets_dropped = 0;  // evicted without reaching a store (the memory store full: --max-memory-store)
  std::uint64_t streams_evicted = 0;
  std::uint64_t stream_bytes_skipped = 0;  // not buffered because of max_stream_buffer_bytes
  std::uint64_t observations_dropped = 0;
  std::uint64_t peers_dropped = 0;
  std::uint64_t services_dropped = 0;
  std::uint64_t vlans_dropped = 0;
  std::uint64_t stream_budget_hits = 0;  // streams given up because all stream buffers were at their budget
  std::map<std::string, std::uint64_t, std::less<>> anomalies;  // named parser anomalies
  // Admission of new sources during floods (agent/pipeline/admission.hpp).
  struct Admission {
    std::uint64_t episodes = 0;  // periods of probation, floods and busy starts alike
    std::uint64_t held = 0;      // sources held instead of becoming records
    std::uint64_t admitted = 0;  // held sources that came back and became records
    std::uint64_t expired = 0;   // held sources pushed out of the full probation table
    std::uint64_t purged = 0;    // one-packet records of the second that started probation, removed
  } admission;
  static constexpr std::size_t kMaxFloodsKept = 16;
  std::vector<FloodEpisode> floods;  // the first kMaxFloodsKept; the rest counted in anomalies only
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
};

}  // namespace ww
