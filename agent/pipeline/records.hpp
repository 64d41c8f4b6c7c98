// In-memory device records kept by the tracker between two database flushes. Counters hold deltas since
// the last flush (the store adds them); first/last seen are absolute (the store keeps min/max).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wardwatch/net_types.hpp"

namespace ww {

struct Seen {
  std::int64_t first_us = 0;
  std::int64_t last_us = 0;
  void touch(std::int64_t ts) {
    if (first_us == 0 || ts < first_us) first_us = ts;
    if (ts > last_us) last_us = ts;
  }
};

struct Traffic {
  std::uint64_t packets_sent = 0, packets_received = 0, bytes_sent = 0, bytes_received = 0;
  [[nodiscard]] bool any() const { return (packets_sent | packets_received) != 0; }
};

struct ObservationStat {
  std::string key, value;
  Seen seen;
  std::uint64_t count = 0;  // since last flush
  bool dirty = false;
};

// Bounded set of (key, value) facts about one record.
class ObservationSet {
 public:
  enum class Added { existing, added, dropped };
  Added add(std::string_view key, std::string_view value, std::int64_t ts, std::size_t max_total,
            std::size_t max_per_key);
  [[nodiscard]] std::vector<ObservationStat>& items() { return items_; }
  [[nodiscard]] const std::vector<ObservationStat>& items() const { return items_; }

 private:
  std::vector<ObservationStat> items_;
  // hash(key, value) -> position in items_; looked up without building a string (no allocation when a
  // fact is seen again, which is the common case).
  std::unordered_multimap<std::uint64_t, std::uint32_t> index_;
  std::vector<std::pair<std::string, std::size_t>> per_key_;  // distinct values per key (few keys per record)
};

enum class ServiceRole : std::uint8_t { offered, used };

struct ServiceStat {
  ServiceRole role;
  std::uint8_t proto;  // 6 tcp, 17 udp
  std::uint16_t port;
  Seen seen;
  std::uint64_t count = 0;
  bool dirty = false;
};

namespace confirmed_by {
inline constexpr std::uint8_t arp = 1, ndp = 2, dhcp = 4;
}

struct MacRecord {
  MacAddr mac;
  Seen seen;
  Traffic traffic;
  std::vector<std::uint16_t> vlans;
  std::size_t vlans_flushed = 0;
  ObservationSet observations;
  bool dirty = false;
};

// One IP address as seen behind one MAC (zero MAC for link types without L2 addresses).
struct BindingKey {
  IpAddr ip;
  MacAddr mac;
  friend bool operator==(const BindingKey& a, const BindingKey& b) { return a.ip == b.ip && a.mac == b.mac; }
};
struct BindingKeyHash {
  std::size_t operator()(const BindingKey& k) const noexcept {
    return hash_ip(k.ip, k.mac.as_u64());
  }
};

struct BindingRecord {
  BindingKey key;
  Seen seen;
  Traffic traffic;
  std::uint8_t confirmed = 0;  // confirmed_by bits
  bool confirmed_dirty = false;
  std::vector<ServiceStat> services;
  std::unordered_set<IpAddr> peers;
  std::vector<IpAddr> new_peers;  // peers not yet flushed
  ObservationSet observations;
  bool dirty = false;
};

}  // namespace ww
