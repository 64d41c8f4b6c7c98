// Drives a StreamSession the way StreamFollower does — per-direction buffers, `consumed`, skips past the
// buffer — and records facts as "client"/"server" whatever the direction. For stream parser unit tests.
// It can also drive a session it does not own into a sink of the test's choosing (a plain RecordingSink
// keeps "sender"/"receiver"), whole or in pieces of N bytes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"

namespace ww::test {

class SideSink final : public ObservationSink {
 public:
  SideSink(RecordingSink& out, StreamDir dir) : out_(out), dir_(dir) {}
  void observe(Party party, std::string_view key, std::string_view value) override {
    const bool client = (party == Party::sender) == (dir_ == StreamDir::to_server);
    out_.facts.push_back({client ? "client" : "server", std::string(key), std::string(value)});
  }
  void observe_mac(const MacAddr& mac, std::string_view key, std::string_view value) override {
    out_.observe_mac(mac, key, value);
  }
  void bind_ip(const MacAddr& mac, const IpAddr& ip) override { out_.bind_ip(mac, ip); }
  void anomaly(std::string_view name) override { out_.anomaly(name); }
  void tag_server(std::string_view service) override { out_.tag_server(service); }

 private:
  RecordingSink& out_;
  StreamDir dir_;
};

struct StreamFeeder {
  std::unique_ptr<StreamSession> session;
  RecordingSink sink;
  std::vector<std::uint8_t> buf[2];
  std::uint64_t skip[2] = {0, 0};
  std::size_t max_buffered = 0;
  ParseStatus last = ParseStatus::need_more;
  bool done = false;
  bool allow_skip = true;  // false: the parser must never consume beyond what it was given
  bool stop_when_done = true;  // false: keep handing bytes to a session that returned done or not_mine

  // Feeds the owned `session`; facts land in `sink` as "client"/"server". Returns `last`.
  ParseStatus feed(StreamDir dir, Bytes bytes) {
    SideSink side(sink, dir);
    return feed(*session, dir, bytes, side);
  }
  ParseStatus feed(StreamDir dir, std::string_view text) { return feed(dir, as_bytes(text)); }

  // Feeds any session into any sink. The buffers, skips, `last` and `done` are this feeder's, whichever
  // session it feeds. Returns the status of the last on_data call (`last`).
  ParseStatus feed(StreamSession& s, StreamDir dir, Bytes bytes, ObservationSink& out) {
    deliver(s, dir, bytes, out);
    return last;
  }
  ParseStatus feed(StreamSession& s, StreamDir dir, std::string_view text, ObservationSink& out) {
    return feed(s, dir, as_bytes(text), out);
  }
  // The same, delivered in pieces of `step` bytes (the last one may be shorter).
  ParseStatus feed_split(StreamSession& s, StreamDir dir, Bytes bytes, std::size_t step, ObservationSink& out) {
    for (std::size_t off = 0; off < bytes.size(); off += step) {
      feed(s, dir, bytes.subspan(off, std::min(step, bytes.size() - off)), out);
    }
    return last;
  }
  ParseStatus feed_split(StreamSession& s, StreamDir dir, std::string_view text, std::size_t step,
                         ObservationSink& out) {
    return feed_split(s, dir, as_bytes(text), step, out);
  }

  // One delivery: the step behind every feed (void, so that ASSERT_LE can return from it).
  void deliver(StreamSession& s, StreamDir dir, Bytes bytes, ObservationSink& out) {
    const int d = static_cast<int>(dir);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip[d], bytes.size()));
    skip[d] -= n;
    bytes = bytes.subspan(n);
    buf[d].insert(buf[d].end(), bytes.begin(), bytes.end());
    max_buffered = std::max(max_buffered, buf[d].size());
    if (buf[d].empty() || (done && stop_when_done)) return;
    std::size_t consumed = 0;
    last = s.on_data(dir, buf[d], consumed, out);
    if (!allow_skip) {
      ASSERT_LE(consumed, buf[d].size());
    }
    if (consumed >= buf[d].size()) {
      skip[d] += consumed - buf[d].size();
      buf[d].clear();
    } else {
      buf[d].erase(buf[d].begin(), buf[d].begin() + static_cast<std::ptrdiff_t>(consumed));
    }
    done = last == ParseStatus::done || last == ParseStatus::not_mine;
  }
  void feed_bytewise(StreamDir dir, Bytes bytes) {
    for (std::uint8_t b : bytes) feed(dir, Bytes(&b, 1));
  }
  void feed_bytewise(StreamDir dir, std::string_view text) { feed_bytewise(dir, as_bytes(text)); }

  [[nodiscard]] std::vector<std::string> values(std::string_view about, std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& f : sink.facts) {
      if (f.about == about && f.key == key) out.push_back(f.value);
    }
    return out;
  }
  [[nodiscard]] bool has(std::string_view about, std::string_view key, std::string_view value) const {
    const auto v = values(about, key);
    return std::find(v.begin(), v.end(), value) != v.end();
  }
  [[nodiscard]] bool anomaly(std::string_view name) const {
    return std::find(sink.anomalies.begin(), sink.anomalies.end(), name) != sink.anomalies.end();
  }
};

inline bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return false;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

}  // namespace ww::test
