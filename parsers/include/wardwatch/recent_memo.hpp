// What a parser derived from the last few distinct inputs, matched on the input's exact bytes: a costly
// derivation (decoding an X.509 certificate, hashing a TLS fingerprint, matching a TCP signature) runs once
// per distinct input instead of once per packet, since the same server certificate, client stack or TLS
// library comes back on every connection. Bounded: at most kEntries inputs of at most kMaxKey bytes each,
// replaced oldest first. One per parser instance (the pipeline that owns it is single-threaded).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "wardwatch/byte_reader.hpp"

namespace ww {

template <typename Value, std::size_t kEntries = 64, std::size_t kMaxKey = 16 * 1024>
class RecentMemo {
 public:
  // The value remembered for exactly these bytes, or null.
  [[nodiscard]] const Value* find(Bytes key) const {
    for (const Entry& e : entries_) {
      if (e.key.size() == key.size() && std::equal(key.begin(), key.end(), e.key.begin())) return &e.value;
    }
    return nullptr;
  }
  // Remembers `value` for `key`; a key longer than kMaxKey is not kept.
  void insert(Bytes key, Value value) {
    if (key.size() > kMaxKey) return;
    Entry& e = entries_.size() < kEntries ? entries_.emplace_back() : entries_[next_++ % kEntries];
    e.key.assign(key.begin(), key.end());
    e.value = std::move(value);
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<std::uint8_t> key;
    Value value;
  };
  std::vector<Entry> entries_;
  std::size_t next_ = 0;
};

}  // namespace ww
