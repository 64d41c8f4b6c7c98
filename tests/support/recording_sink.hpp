// An ObservationSink for parser unit tests: records everything a parser emits.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "wardwatch/parser.hpp"

namespace ww::test {

struct Recorded {
  std::string about;  // "sender", "receiver" or "mac:<mac>"
  std::string key, value;
};

class RecordingSink final : public ObservationSink {
 public:
  void observe(Party party, std::string_view key, std::string_view value) override {
    facts.push_back({party == Party::sender ? "sender" : "receiver", std::string(key), std::string(value)});
  }
  void observe_mac(const MacAddr& mac, std::string_view key, std::string_view value) override {
    facts.push_back({"mac:" + mac.to_string(), std::string(key), std::string(value)});
  }
  void bind_ip(const MacAddr& mac, const IpAddr& ip) override { bindings.emplace_back(mac.to_string(), ip.to_string()); }
  void anomaly(std::string_view name) override { anomalies.emplace_back(name); }
  void tag_server(std::string_view service) override { server_tags.emplace_back(service); }

  // The value of the first fact with `key` ("" if none).
  [[nodiscard]] std::string value(std::string_view key) const {
    for (const auto& f : facts) {
      if (f.key == key) return f.value;
    }
    return {};
  }
  [[nodiscard]] std::vector<std::string> values(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& f : facts) {
      if (f.key == key) out.push_back(f.value);
    }
    return out;
  }
  [[nodiscard]] bool has(std::string_view key) const { return !values(key).empty(); }

  std::vector<Recorded> facts;
  std::vector<std::pair<std::string, std::string>> bindings;
  std::vector<std::string> anomalies;
  std::vector<std::string> server_tags;  // each ObservationSink::tag_server call
};

// Finds a registered parser by name (nullptr if absent).
inline const DatagramParser* find_datagram(const ParserRegistry& r, std::string_view name) {
  for (const auto& p : r.datagram()) {
    if (p->spec().name == name) return p.get();
  }
  return nullptr;
}
inline const StreamParser* find_stream(const ParserRegistry& r, std::string_view name) {
  for (const auto& p : r.stream()) {
    if (p->spec().name == name) return p.get();
  }
  return nullptr;
}

}  // namespace ww::test
