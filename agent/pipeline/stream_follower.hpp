// Follows TCP streams for the application parsers: in-order reassembly per direction with retransmission
// and overlap trimming, a bounded out-of-order stash, mid-stream joins, and hard caps on streams and bytes.
// Only streams that a parser claims are buffered past the probe window, and a parser can ask to skip bulk.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/decode/packet.hpp"
#include "agent/limits.hpp"
#include "agent/pipeline/stats.hpp"
#include "agent/pipeline/tracker.hpp"
#include "wardwatch/parser.hpp"

namespace ww {

struct DirectionBuffer {
  bool started = false;
  std::uint32_t next_seq = 0;
  std::uint64_t skip = 0;  // bytes the parser asked to pass over
  std::vector<std::uint8_t> data;
  struct Pending {
    std::uint32_t seq;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Pending> pending;
  std::size_t pending_bytes = 0;
  std::size_t probed_bytes = 0;
  bool fin = false;          // this direction sent its FIN...
  std::uint32_t fin_seq = 0;  // ...after the byte before this sequence number
};

struct StreamState {
  enum class Phase : std::uint8_t { probing, parsing, bypass } phase = Phase::probing;
  const StreamParser* parser = nullptr;
  std::unique_ptr<StreamSession> session;
  StreamMeta meta;
  DirectionBuffer dirs[2];  // indexed by StreamDir
  std::size_t held_bytes = 0;  // counted in StreamFollower's budget
  bool over_budget = false;    // needed more than the budget had: given up after this segment
};

class StreamFollower {
 public:
  StreamFollower(const Limits& limits, Stats& stats, const ParserRegistry& registry);

  // Feeds one TCP segment of `flow`. `from_client` tells the direction. `sink` resolves parties for this
  // segment's direction, `reverse_sink` for the opposite one.
  void on_segment(const PacketView& p, FlowState& flow, bool from_client, ObservationSink& sink,
                  ObservationSink& reverse_sink);
  void release(FlowState& flow);
  [[nodiscard]] std::size_t active_streams() const { return active_; }
  // Bytes held in all stream buffers (bounded by Limits::max_stream_buffer_total_bytes plus one segment).
  [[nodiscard]] std::size_t buffered_bytes() const { return buffered_; }

 private:
  // Returns the in-order bytes this segment adds that can be parsed in place (zero copy), or an empty
  // span when the segment was buffered, stashed or dropped.
  Bytes accept_bytes(StreamState& s, StreamDir dir, std::uint32_t seq, Bytes payload);
  void append_in_order(StreamState& s, DirectionBuffer& d, Bytes payload);
  // How many of `wanted` more bytes the total budget allows; flags the stream when it is short.
  std::size_t budget_room(StreamState& s, std::size_t wanted);
  void recount(StreamState& s);  // brings buffered_ up to date with what `s` holds now
  void open_stream(FlowState& flow, const PacketView& p, bool from_client);
  bool try_probes(StreamState& s, StreamDir dir, Bytes bytes);
  void parse(StreamState& s, StreamDir dir, Bytes bytes, bool in_place, ObservationSink& sink);
  void dispatch(StreamState& s, StreamDir dir, Bytes in_place, ObservationSink& sink, ObservationSink& reverse_sink);
  void bypass(StreamState& s);
  void finish(FlowState& flow);  // frees the stream; the flow's connection is not followed again
  static bool complete(const DirectionBuffer& d);
  static bool plausible_reset(const DirectionBuffer& d, std::uint32_t seq);
  void tag_service(const StreamMeta& m, std::string_view service);
  [[nodiscard]] std::string_view service_of(const StreamMeta& m) const;
  friend class TaggingSink;

  const Limits& limits_;
  Stats& stats_;
  const ParserRegistry& registry_;
  // Stream parsers by the server ports they hint at: those are probed first (a port is never proof: every
  // parser still gets its probe). A stream to 2575 is offered to HL7 before DICOM scans it for a PDU header.
  absl::flat_hash_map<std::uint16_t, absl::InlinedVector<std::uint8_t, 2>> by_port_;
  std::size_t active_ = 0;
  std::size_t buffered_ = 0;
  // Service tags of server endpoints (IP, port), set by any stream parser (ObservationSink::tag_server) and
  // handed to later streams to the same endpoint in StreamMeta; bounded, oldest dropped.
  std::unordered_map<std::uint64_t, std::string> services_;
  std::deque<std::uint64_t> services_order_;
};

}  // namespace ww
