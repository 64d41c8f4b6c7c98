// In-memory device records kept by the tracker between two database flushes. Counters hold deltas since
// the last flush (the store adds them); first/last seen are absolute (the store keeps min/max).
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
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
  ObservationStat(std::string_view key, std::string_view value)
      : key_size(static_cast<std::uint32_t>(key.size())), text(key.size() + value.size()) {
    // Sized once, then copied (InlinedVector's range insert was a measurable share of adding a fact).
    std::copy(key.begin(), key.end(), text.begin());
    std::copy(value.begin(), value.end(), text.begin() + static_cast<std::ptrdiff_t>(key.size()));
  }
  std::uint32_t key_size = 0;
  bool dirty = false;
  Seen seen;
  std::uint64_t count = 0;  // since last flush
  // Key and value back to back, the key first, inside the item up to kInlineText bytes (9 facts in 10 on the
  // benchmark capture): recognising a repeated fact reads the item alone — no pointer to a separate string,
  // whose cache miss was most of the packet path's cost of repeated facts — and a new fact allocates nothing.
  static constexpr std::size_t kInlineText = 56;
  absl::InlinedVector<char, kInlineText> text;

  [[nodiscard]] std::string_view key() const { return {text.data(), key_size}; }
  [[nodiscard]] std::string_view value() const { return {text.data() + key_size, text.size() - key_size}; }
  [[nodiscard]] bool is(std::string_view k, std::string_view v) const {
    return key_size == k.size() && text.size() == k.size() + v.size() && key() == k && value() == v;
  }
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
  static std::uint32_t hash_of(std::string_view key, std::string_view value);
  [[nodiscard]] std::uint32_t find(std::string_view key, std::string_view value, std::uint32_t hash) const;
  void index(std::uint32_t item, std::uint32_t hash);
  void grow_index();
  void touch(std::uint32_t item, std::int64_t ts);  // a repeat of items_[item]

  static constexpr std::uint32_t kNoItem = UINT32_MAX;
  std::vector<ObservationStat> items_;
  // Open addressing over one array (linear probing, at most half full): each slot holds an item's 32-bit hash
  // and its index + 1 (0: empty). A lookup reads one slot's cache line and then the item — a general hash
  // map's control bytes and separate slot array were two more cache misses per fact. Built only past
  // kUnindexedItems: most records hold one or two facts, and an index of 8 slots for them was 80 bytes a
  // record (16 MiB at 100,000 devices); up to that many, the items are read in turn.
  static constexpr std::size_t kUnindexedItems = 4;
  std::vector<std::uint64_t> slots_;
  std::uint32_t next_hint_ = 0;  // the item after the last one added or hit
  struct KeyCount {
    std::uint32_t key_hash;    // low bits of the key's hash: most keys are told apart without reading an item
    std::uint32_t first_item;  // the key's text is items_[first_item].key()
    std::uint32_t values;      // distinct values seen for it
  };
  std::vector<KeyCount> per_key_;  // few keys per record: a linear scan
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
  bool stored = false;       // handed to the store at least once (admission only purges records never stored)
  bool has_binding = false;  // an (IP, this MAC) binding was made: a further new IP waits on probation in a flood
  bool evicting = false;     // chosen to leave memory: the flush before the eviction hands over its changes
};

// One conversation of a device (a binding): the TCP or UDP traffic it exchanged with one peer address on one
// service port, in one role — the aggregate of its flows, as Zeek's conn.log summed per (peer, service).
// Counters are deltas since the last flush, as for records; first/last seen are absolute.
struct ConversationKey {
  IpAddr peer;
  std::uint16_t port = 0;  // the server's port (the service)
  std::uint8_t proto = 0;  // 6 tcp, 17 udp
  ServiceRole role = ServiceRole::used;  // offered: this device served; used: it was the client
  friend bool operator==(const ConversationKey& a, const ConversationKey& b) {
    return a.peer == b.peer && a.port == b.port && a.proto == b.proto && a.role == b.role;
  }
  template <typename H>
  friend H AbslHashValue(H h, const ConversationKey& k) {
    return H::combine(std::move(h), k.peer.high64(), k.peer.low64(), k.port, k.proto, static_cast<std::uint8_t>(k.role));
  }
};

struct Conversation {
  ConversationKey key;
  std::uint8_t app = 0;  // the application protocol a parser recognised in it (Tracker::app_name), 0 none yet
  bool dirty = false;
  Seen seen;
  Traffic traffic;  // this device's side: sent to / received from the peer
};

// A device's conversations, bounded by the caller: a short vector searched linearly while small (most devices
// talk to few peers), with a hash index once it grows.
class ConversationSet {
 public:
  // The conversation with `key`, or nullptr.
  [[nodiscard]] Conversation* find(const ConversationKey& key) {
    if (index_.empty()) {
      for (auto& c : items_) {
        if (c.key == key) return &c;
      }
      return nullptr;
    }
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  Conversation& add(const ConversationKey& key) {
    static constexpr std::size_t kLinear = 16;
    items_.push_back(Conversation{key, 0, false, {}, {}});
    if (items_.size() > kLinear) {
      if (index_.empty()) {
        for (std::uint32_t i = 0; i + 1 < items_.size(); ++i) index_.emplace(items_[i].key, i);
      }
      index_.emplace(key, static_cast<std::uint32_t>(items_.size() - 1));
    }
    return items_.back();
  }
  [[nodiscard]] std::size_t size() const { return items_.size(); }
  [[nodiscard]] std::vector<Conversation>& items() { return items_; }
  void release() {
    std::vector<Conversation>().swap(items_);
    decltype(index_)().swap(index_);
  }

 private:
  std::vector<Conversation> items_;
  absl::flat_hash_map<ConversationKey, std::uint32_t> index_;
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
  ConversationSet conversations;
  ObservationSet observations;
  bool dirty = false;
  bool stored = false;  // handed to the store at least once
  bool evicting = false;
};

// What a flush hands to the store: every changed record, or only those about to be evicted (an eviction must
// not wait for a flush of the whole tracker, nor record a source before all of its rows are written).
enum class DrainScope : std::uint8_t { all, evicting };

}  // namespace ww
