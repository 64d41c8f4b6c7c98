// Run statistics: what was read, what was skipped and why, what was evicted. Exported under "stats".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/decode/packet.hpp"
#include "model/counters.hpp"
#include "model/flood.hpp"

namespace ww {

struct Stats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // original (wire) lengths
  std::uint64_t malformed = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DecodeError::count_)> malformed_by_reason{};
  // Every other counter, by name in model/counters.hpp (what each counts is said there and in
  // docs/output.md): evictions, limits reached, libpcap's figures of a live capture, admission of new sources
  // during floods (agent/pipeline/admission.hpp).
  std::array<std::uint64_t, kCounterCount> counters{};
  std::uint64_t& operator[](Counter c) { return counters[static_cast<std::size_t>(c)]; }
  std::uint64_t operator[](Counter c) const { return counters[static_cast<std::size_t>(c)]; }
  std::map<std::string, std::uint64_t, std::less<>> anomalies;  // named parser anomalies
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
