// The packet pipeline: decode → tracker (devices, flows, services) → parsers (observations) → store.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "agent/decode/decoder.hpp"
#include "agent/limits.hpp"
#include "agent/pipeline/stats.hpp"
#include "agent/pipeline/stream_follower.hpp"
#include "agent/pipeline/tracker.hpp"
#include "wardwatch/parser.hpp"

namespace ww {

// Receives the tracker's deltas; the SQLite store implements it.
class FlushTarget {
 public:
  virtual ~FlushTarget() = default;
  // `scope`: everything changed, or only the records the tracker is about to evict (then no source is
  // recorded: a source goes with the flush that writes all of its rows).
  virtual void flush(Tracker& tracker, Stats& stats, DrainScope scope) = 0;
};

// The anomalies the pipeline reports itself (stream buffers, floods), beside its parsers'.
std::span<const AnomalyDecl> pipeline_anomalies();
// Every declaration: the parsers of `registry` and the pipeline's own anomalies (docs/observations.md).
Vocabulary declared_vocabulary(const ParserRegistry& registry);

class Pipeline {
 public:
  Pipeline(const Limits& limits, const ParserRegistry& registry, FlushTarget* target);

  // Decodes and processes one captured frame of link type `dlt`.
  void process_frame(int dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_us);
  // Processes a frame decoded elsewhere (the file reader decodes on its own thread).
  void process_decoded(const DecodedFrame& frame);
  // A hint that `frame` comes a few packets later: its table memory is fetched meanwhile.
  void prefetch(const DecodedFrame& frame) const { tracker_.prefetch(frame); }
  // Processes a frame decoded without error.
  void process(const DecodedFrame& frame);
  // Writes everything pending to the store.
  void flush();
  // Writes the changes of the records the tracker is about to evict (its eviction hook).
  void flush_evicting();
  // The input has ended: an open flood episode is judged and reported (call before the last flush).
  void end_of_input() { tracker_.close_admission(); }
  // Whether to flush every Limits::flush_interval_s (on by default: a database file is readable while a
  // run goes on). Without a database file nobody reads the store until the end, so there is no point.
  void set_periodic_flush(bool on) { periodic_flush_ = on; }

  [[nodiscard]] Stats& stats() { return stats_; }
  [[nodiscard]] Tracker& tracker() { return tracker_; }
  [[nodiscard]] const Limits& limits() const { return limits_; }
  [[nodiscard]] const Vocabulary& vocabulary() const { return vocabulary_; }
  [[nodiscard]] std::size_t active_streams() const { return follower_.active_streams(); }
  [[nodiscard]] std::size_t stream_buffered_bytes() const { return follower_.buffered_bytes(); }

 private:
  void dispatch_datagram(const PacketView& p, PacketParties& parties);
  void dispatch_handshake(const PacketView& p, PacketParties& parties);
  void periodic(std::int64_t ts_us);

  const Limits& limits_;
  const ParserRegistry& registry_;
  Vocabulary vocabulary_;  // the parsers' declarations and the pipeline's own (checked in strict builds)
  FlushTarget* target_;
  Stats stats_;
  Tracker tracker_;
  StreamFollower follower_;
  DecodedFrame frame_;  // process_frame decodes into it
  // Datagram parsers by port hint (index into registry_.datagram()), the rest probed after.
  std::array<std::vector<std::uint8_t>, 65536> udp_by_port_;
  std::vector<std::uint8_t> ethernet_parsers_;
  std::vector<std::uint8_t> udp_parsers_;
  std::vector<std::uint8_t> handshake_parsers_;
  std::uint64_t since_periodic_ = 0;
  bool periodic_flush_ = true;
  std::int64_t last_expiry_us_ = 0;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace ww
