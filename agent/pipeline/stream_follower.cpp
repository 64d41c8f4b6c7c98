#include "agent/pipeline/stream_follower.hpp"

#include <algorithm>

namespace ww {

void destroy_stream_state(StreamState* s) { delete s; }

namespace {
// Signed distance between two sequence numbers (RFC 9293 §3.4 modular arithmetic).
std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }
constexpr std::size_t kMaxPendingSegments = 64;
// A segment shorter than this is buffered before probing (a probe may need a whole header).
constexpr std::size_t kMinProbeBytes = 64;
StreamDir opposite(StreamDir d) { return d == StreamDir::to_server ? StreamDir::to_client : StreamDir::to_server; }
constexpr std::size_t kMaxTaggedServers = 4096;  // server endpoints remembered with their service
constexpr std::size_t kMaxServiceName = 32;
std::uint64_t endpoint_key(const StreamMeta& m) { return hash_ip(m.server_ip, m.server_port); }
}  // namespace

// Forwards to the pipeline's sink and catches service tags for the stream's server endpoint.
class TaggingSink final : public ObservationSink {
 public:
  TaggingSink(StreamFollower& follower, const StreamMeta& meta, ObservationSink& inner)
      : follower_(follower), meta_(meta), inner_(inner) {}
  void observe(Party p, std::string_view k, std::string_view v) override { inner_.observe(p, k, v); }
  void observe_mac(const MacAddr& m, std::string_view k, std::string_view v) override { inner_.observe_mac(m, k, v); }
  void bind_ip(const MacAddr& m, const IpAddr& ip) override { inner_.bind_ip(m, ip); }
  void anomaly(std::string_view name) override { inner_.anomaly(name); }
  void tag_server(std::string_view service) override { follower_.tag_service(meta_, service); }

 private:
  StreamFollower& follower_;
  const StreamMeta& meta_;
  ObservationSink& inner_;
};

void StreamFollower::tag_service(const StreamMeta& m, std::string_view service) {
  if (service.empty()) return;
  const std::uint64_t key = endpoint_key(m);
  auto [it, added] = services_.try_emplace(key);
  it->second.assign(service.substr(0, kMaxServiceName));  // the latest tag wins
  if (!added) return;
  services_order_.push_back(key);
  if (services_order_.size() > kMaxTaggedServers) {
    services_.erase(services_order_.front());
    services_order_.pop_front();
  }
}

std::string_view StreamFollower::service_of(const StreamMeta& m) const {
  const auto it = services_.find(endpoint_key(m));
  return it == services_.end() ? std::string_view() : std::string_view(it->second);
}

void StreamFollower::release(FlowState& flow) {
  if (flow.stream) {
    buffered_ -= std::min(buffered_, flow.stream->held_bytes);
    flow.stream.reset();
    --active_;
  }
}

std::size_t StreamFollower::budget_room(StreamState& s, std::size_t wanted) {
  const std::size_t budget = limits_.max_stream_buffer_total_bytes;
  if (buffered_ + wanted <= budget) return wanted;
  s.over_budget = true;
  return budget > buffered_ ? budget - buffered_ : 0;
}

void StreamFollower::recount(StreamState& s) {
  std::size_t now = 0;
  for (const DirectionBuffer& d : s.dirs) now += d.data.capacity() + d.pending_bytes;
  buffered_ = buffered_ - std::min(buffered_, s.held_bytes) + now;
  s.held_bytes = now;
}

void StreamFollower::open_stream(FlowState& flow, const PacketView& p, bool from_client) {
  flow.stream.reset(new StreamState);
  ++active_;
  StreamState& s = *flow.stream;
  StreamMeta& m = s.meta;
  m.saw_handshake = flow.syn_dirs != 0;
  m.client_ip = from_client ? p.src_ip : p.dst_ip;
  m.server_ip = from_client ? p.dst_ip : p.src_ip;
  m.client_port = from_client ? p.src_port : p.dst_port;
  m.server_port = from_client ? p.dst_port : p.src_port;
  m.server_service = service_of(m);
  for (int i = 0; i < 2; ++i) {  // the handshake's sequence numbers, kept by the flow until now
    if ((flow.syn_dirs & (1 << i)) == 0) continue;
    s.dirs[i].started = true;
    s.dirs[i].next_seq = flow.syn_seq[static_cast<std::size_t>(i)] + 1;
  }
  flow.stream_over = false;
}

// The stream is given up (its parser is done, or no parser claimed it): on_segment releases it.
void StreamFollower::bypass(StreamState& s) { s.phase = StreamState::Phase::bypass; }

void StreamFollower::finish(FlowState& flow) {
  release(flow);
  flow.stream_over = true;
}

void StreamFollower::on_segment(const PacketView& p, FlowState& flow, bool from_client, ObservationSink& sink,
                                ObservationSink& reverse_sink) {
  if (registry_.stream().empty()) return;
  const bool syn = (p.tcp_flags & tcp_flag::syn) != 0;
  const bool opening = syn && (p.tcp_flags & tcp_flag::ack) == 0;
  if (!flow.stream) {
    // A connection followed to its end, or given up, is not followed again; a new one on the same ports is.
    if (flow.stream_over && !opening) return;
    if (syn) {
      // A SYN costs no stream (a scan or a SYN flood would fill the table with connections that never carry a
      // byte): its sequence number waits in the flow until data flows.
      if (opening) {
        flow.stream_over = false;
        flow.syn_dirs = 0;
      }
      const auto i = static_cast<std::size_t>(from_client ? StreamDir::to_server : StreamDir::to_client);
      flow.syn_dirs = static_cast<std::uint8_t>(flow.syn_dirs | (1U << i));
      flow.syn_seq[i] = p.tcp_seq;
    }
    if (p.payload.empty()) return;
    if (active_ >= limits_.max_streams) {
      ++stats_[Counter::streams_evicted];  // not followed: the stream table is full
      return;
    }
    open_stream(flow, p, from_client);
  }
  StreamState& s = *flow.stream;
  const StreamDir dir = from_client ? StreamDir::to_server : StreamDir::to_client;
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  if (syn) {
    d.started = true;
    d.next_seq = p.tcp_seq + 1;
  }
  if (!p.payload.empty()) {
    const Bytes in_place = accept_bytes(s, dir, p.tcp_seq, p.payload);
    dispatch(s, dir, in_place, sink, reverse_sink);
  }
  if ((p.tcp_flags & tcp_flag::fin) != 0 && !d.fin) {
    d.fin = true;
    d.fin_seq = p.tcp_seq + static_cast<std::uint32_t>(p.payload.size());
  }
  // The stream's state is freed as soon as nothing more can come of it: given up, reset, or closed both ways
  // with every byte before each FIN received. The stream cap bounds the streams in progress, not the flows
  // that had one.
  const bool closed = complete(s.dirs[0]) && complete(s.dirs[1]);
  const bool reset = (p.tcp_flags & tcp_flag::rst) != 0 && plausible_reset(d, p.tcp_seq);
  recount(s);
  if (s.over_budget) {
    // Every stream buffer together is at the budget: this stream would have had to skip bytes, which no parser
    // can read past. It is given up, so that the others keep theirs.
    ++stats_[Counter::stream_budget_hits];
    sink.anomaly("stream.memory_budget_reached");
    finish(flow);
    return;
  }
  if (s.phase == StreamState::Phase::bypass || reset || closed) finish(flow);
}

// A direction whose FIN was seen and every byte before it received (or that never sent a byte we saw).
bool StreamFollower::complete(const DirectionBuffer& d) {
  if (!d.fin) return false;
  return !d.started || (d.pending.empty() && seq_diff(d.next_seq, d.fin_seq) >= 0);
}

// A RST ends the stream only near where its sender's bytes are (RFC 5961 §3 asks an endpoint for an exact
// match; a passive observer that may have missed segments allows a window): a stale or blind RST does not.
bool StreamFollower::plausible_reset(const DirectionBuffer& d, std::uint32_t seq) {
  constexpr std::int32_t kWindow = 1 << 20;
  const std::int32_t off = seq_diff(seq, d.next_seq);
  return !d.started || (off > -kWindow && off < kWindow);
}

void StreamFollower::append_in_order(StreamState& s, DirectionBuffer& d, Bytes payload) {
  d.next_seq += static_cast<std::uint32_t>(payload.size());
  if (d.skip > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(d.skip, payload.size()));
    d.skip -= n;
    payload = payload.subspan(n);
  }
  const std::size_t room = limits_.max_stream_buffer_bytes - std::min(limits_.max_stream_buffer_bytes, d.data.size());
  if (payload.size() > room) stats_[Counter::stream_bytes_skipped] += payload.size() - room;
  const std::size_t take = budget_room(s, std::min(room, payload.size()));
  d.data.insert(d.data.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(take));
}

Bytes StreamFollower::accept_bytes(StreamState& s, StreamDir dir, std::uint32_t seq, Bytes payload) {
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  if (!d.started) {  // joined mid-stream: take this segment as the start
    d.started = true;
    d.next_seq = seq;
  }
  std::int32_t ahead = seq_diff(seq, d.next_seq);
  if (ahead < 0) {  // retransmission or overlap: keep only the new tail
    const std::size_t old = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
    if (old >= payload.size()) return {};
    payload = payload.subspan(old);
    ahead = 0;
  }
  if (ahead > 0) {  // a gap: stash until the missing bytes arrive (bounded)
    if (d.pending.size() < kMaxPendingSegments &&
        d.pending_bytes + payload.size() <= limits_.max_stream_buffer_bytes &&
        budget_room(s, payload.size()) == payload.size()) {
      d.pending.push_back({seq, std::vector<std::uint8_t>(payload.begin(), payload.end())});
      d.pending_bytes += payload.size();
    } else {
      stats_[Counter::stream_bytes_skipped] += payload.size();
    }
    return {};
  }
  // The common case: in order, nothing buffered. The parser reads the packet's bytes where they lie.
  if (d.data.empty() && d.pending.empty()) {
    d.next_seq += static_cast<std::uint32_t>(payload.size());
    const std::size_t skipped = static_cast<std::size_t>(std::min<std::uint64_t>(d.skip, payload.size()));
    d.skip -= skipped;
    return payload.subspan(skipped);
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
  return {};
}

StreamFollower::StreamFollower(const Limits& limits, Stats& stats, const ParserRegistry& registry)
    : limits_(limits), stats_(stats), registry_(registry) {
  const auto& parsers = registry_.stream();
  for (std::size_t i = 0; i < parsers.size() && i < 256; ++i) {
    for (std::uint16_t port : parsers[i]->spec().port_hints) by_port_[port].push_back(static_cast<std::uint8_t>(i));
  }
}

bool StreamFollower::try_probes(StreamState& s, StreamDir dir, Bytes bytes) {
  const auto& parsers = registry_.stream();
  auto claim = [&](std::size_t i) {
    if (!parsers[i]->probe(dir, bytes)) return false;
    s.parser = parsers[i].get();
    s.session = parsers[i]->open(s.meta);
    s.phase = StreamState::Phase::parsing;
    return true;
  };
  const auto hinted = by_port_.find(s.meta.server_port);
  const bool has_hint = hinted != by_port_.end();
  if (has_hint) {
    for (std::uint8_t i : hinted->second) {
      if (claim(i)) return true;
    }
  }
  for (std::size_t i = 0; i < parsers.size(); ++i) {
    if (has_hint && std::find(hinted->second.begin(), hinted->second.end(), i) != hinted->second.end()) continue;
    if (claim(i)) return true;
  }
  return false;
}

// Hands `bytes` to the session. In place, the unconsumed tail is copied into the buffer; from the buffer,
// the consumed head is erased.
void StreamFollower::parse(StreamState& s, StreamDir dir, Bytes bytes, bool in_place, ObservationSink& sink) {
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  std::size_t consumed = 0;
  TaggingSink tagging(*this, s.meta, sink);
  const ParseStatus status = s.session->on_data(dir, bytes, consumed, tagging);
  if (status == ParseStatus::done || status == ParseStatus::not_mine) {
    bypass(s);
    return;
  }
  if (consumed >= bytes.size()) {
    d.skip += consumed - bytes.size();
    if (!in_place) d.data.clear();
  } else if (in_place) {
    append_in_order(s, d, bytes.subspan(consumed));
    d.next_seq -= static_cast<std::uint32_t>(bytes.size() - consumed);  // already counted when accepted
  } else if (consumed > 0) {
    d.data.erase(d.data.begin(), d.data.begin() + static_cast<std::ptrdiff_t>(consumed));
  }
  if (d.data.size() >= limits_.max_stream_buffer_bytes) {
    sink.anomaly("stream.buffer_limit_reached");
    bypass(s);
  }
}

void StreamFollower::dispatch(StreamState& s, StreamDir dir, Bytes in_place, ObservationSink& sink,
                              ObservationSink& reverse_sink) {
  DirectionBuffer& d = s.dirs[static_cast<int>(dir)];
  const bool from_buffer = in_place.empty();
  if (from_buffer && d.data.empty()) return;
  if (s.phase == StreamState::Phase::probing) {
    // A short first segment is buffered so that a probe sees a whole header; longer ones are probed in place.
    if (!from_buffer && in_place.size() < kMinProbeBytes && d.probed_bytes < kMinProbeBytes) {
      append_in_order(s, d, in_place);
      d.next_seq -= static_cast<std::uint32_t>(in_place.size());
      return dispatch(s, dir, {}, sink, reverse_sink);
    }
    const Bytes candidate = from_buffer ? Bytes(d.data) : in_place;
    if (!try_probes(s, dir, candidate)) {
      d.probed_bytes += from_buffer ? d.data.size() : in_place.size();
      if (from_buffer && d.data.size() >= kMinProbeBytes) d.data.clear();  // each later segment is probed afresh
      const DirectionBuffer& other = s.dirs[1 - static_cast<int>(dir)];
      const bool other_exhausted = other.probed_bytes >= limits_.max_stream_probe_bytes || !other.started;
      if (d.probed_bytes >= limits_.max_stream_probe_bytes && other_exhausted) bypass(s);
      return;
    }
    // The other direction may hold a short buffered start that predates the claim: parse it first.
    DirectionBuffer& other = s.dirs[1 - static_cast<int>(dir)];
    if (!other.data.empty()) parse(s, opposite(dir), other.data, false, reverse_sink);
    if (s.phase != StreamState::Phase::parsing) return;
  }
  if (s.phase != StreamState::Phase::parsing) return;
  if (from_buffer) {
    parse(s, dir, d.data, false, sink);
  } else {
    parse(s, dir, in_place, true, sink);
  }
}

}  // namespace ww
