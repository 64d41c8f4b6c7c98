#include "agent/pipeline/stream_follower.hpp"

#include <algorithm>

namespace ww {

void destroy_stream_state(StreamState* s) { delete s; }

namespace {
// Signed distance between two sequence numbers (RFC 9293 §3.4 modular arithmetic).
std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }
constexpr std::size_t kMaxPendingSegments = 64;
}  // namespace

void StreamFollower::release(FlowState& flow) {
  if (flow.stream) {
    flow.stream.reset();
    --active_;
  }
}

void StreamFollower::bypass(StreamState& s) {
  s.phase = StreamState::Phase::bypass;
  s.session.reset();
  for (auto& d : s.dirs) {
    std::vector<std::uint8_t>().swap(d.data);
    d.pending.clear();
    d.pending_bytes = 0;
  }
}

void StreamFollower::on_segment(const PacketView& p, FlowState& flow, bool from_client, ObservationSink& sink,
                                ObservationSink& reverse_sink) {
  if (registry_.stream().empty()) return;
  const bool syn = (p.tcp_flags & tcp_flag::syn) != 0;
  if (!flow.stream) {
    if (p.payload.empty() && !syn) return;
    if (active_ >= limits_.max_streams) {
      ++stats_.streams_evicted;  // not followed: the stream table is full
      return;
    }
    flow.stream.reset(new StreamState);
    ++active_;
    StreamMeta& m = flow.stream->meta;
    m.saw_handshake = syn;
    m.client_ip = from_client ? p.src_ip : p.dst_ip;
    m.server_ip = from_client ? p.dst_ip : p.src_ip;
    m.client_port = from_client ? p.src_port : p.dst_port;
    m.server_port = from_client ? p.dst_port : p.src_port;
  }
  StreamState& s = *flow.stream;
  if (s.phase == StreamState::Phase::bypass) return;
  const StreamDir dir = from_client ? StreamDir::to_server : StreamDir::to_client;
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  if (syn) {
    d.started = true;
    d.next_seq = p.tcp_seq + 1;
  }
  if (p.payload.empty()) return;
  accept_bytes(s, dir, p.tcp_seq, p.payload);
  dispatch(s, dir, sink, reverse_sink);
}

void StreamFollower::append_in_order(StreamState& s, DirectionBuffer& d, Bytes payload) {
  (void)s;
  d.next_seq += static_cast<std::uint32_t>(payload.size());
  if (d.skip > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(d.skip, payload.size()));
    d.skip -= n;
    payload = payload.subspan(n);
  }
  const std::size_t room = limits_.max_stream_buffer_bytes - std::min(limits_.max_stream_buffer_bytes, d.data.size());
  if (payload.size() > room) stats_.stream_bytes_skipped += payload.size() - room;
  const std::size_t take = std::min(room, payload.size());
  d.data.insert(d.data.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(take));
}

void StreamFollower::accept_bytes(StreamState& s, StreamDir dir, std::uint32_t seq, Bytes payload) {
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  if (!d.started) {  // joined mid-stream: take this segment as the start
    d.started = true;
    d.next_seq = seq;
  }
  std::int32_t ahead = seq_diff(seq, d.next_seq);
  if (ahead < 0) {  // retransmission or overlap: keep only the new tail
    const std::size_t old = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
    if (old >= payload.size()) return;
    payload = payload.subspan(old);
    ahead = 0;
  }
  if (ahead > 0) {  // a gap: stash until the missing bytes arrive (bounded)
    if (d.pending.size() < kMaxPendingSegments &&
        d.pending_bytes + payload.size() <= limits_.max_stream_buffer_bytes) {
      d.pending.push_back({seq, std::vector<std::uint8_t>(payload.begin(), payload.end())});
      d.pending_bytes += payload.size();
    } else {
      stats_.stream_bytes_skipped += payload.size();
    }
    return;
  }
  append_in_order(s, d, payload);
  // Drain stashed segments that have become contiguous.
  bool progressed = true;
  while (progressed && !d.pending.empty()) {
    progressed = false;
    for (auto it = d.pending.begin(); it != d.pending.end(); ++it) {
      const std::int32_t off = seq_diff(it->seq, d.next_seq);
      if (off > 0) continue;
      Bytes seg(it->bytes);
      const std::size_t old = static_cast<std::size_t>(-static_cast<std::int64_t>(off));
      if (old < seg.size()) append_in_order(s, d, seg.subspan(old));
      d.pending_bytes -= it->bytes.size();
      d.pending.erase(it);
      progressed = true;
      break;
    }
  }
}

void StreamFollower::dispatch(StreamState& s, StreamDir dir, ObservationSink& sink, ObservationSink& reverse_sink) {
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  if (d.data.empty()) return;
  if (s.phase == StreamState::Phase::probing) {
    for (const auto& parser : registry_.stream()) {
      if (parser->probe(dir, d.data)) {
        s.parser = parser.get();
        s.session = parser->open(s.meta);
        s.phase = StreamState::Phase::parsing;
        break;
      }
    }
    if (s.phase == StreamState::Phase::probing) {
      d.probed_bytes = d.data.size();
      const bool other_exhausted = s.dirs[1 - static_cast<int>(dir)].probed_bytes >= limits_.max_stream_probe_bytes ||
                                   !s.dirs[1 - static_cast<int>(dir)].started;
      if (d.probed_bytes >= limits_.max_stream_probe_bytes && other_exhausted) bypass(s);
      return;
    }
  }
  // Parsing: hand over what is buffered in this direction, and also any bytes the other direction
  // buffered while still probing (its first bytes may predate the claim).
  for (int round = 0; round < 2 && s.phase == StreamState::Phase::parsing; ++round) {
    const StreamDir cur = round == 0 ? dir : (dir == StreamDir::to_server ? StreamDir::to_client : StreamDir::to_server);
    DirectionBuffer& b = s.dirs[static_cast<int>(cur)];
    if (b.data.empty() || (round == 1 && b.probed_bytes == 0)) continue;
    if (round == 1) b.probed_bytes = 0;
    std::size_t consumed = 0;
    ObservationSink& target = round == 0 ? sink : reverse_sink;
    const ParseStatus status = s.session->on_data(cur, b.data, consumed, target);
    if (consumed >= b.data.size()) {
      b.skip += consumed - b.data.size();
      b.data.clear();
    } else if (consumed > 0) {
      b.data.erase(b.data.begin(), b.data.begin() + static_cast<std::ptrdiff_t>(consumed));
    }
    if (status == ParseStatus::done || status == ParseStatus::not_mine) {
      bypass(s);
    } else if (b.data.size() >= limits_.max_stream_buffer_bytes) {
      target.anomaly("stream.buffer_limit_reached");
      bypass(s);
    }
  }
}

}  // namespace ww
