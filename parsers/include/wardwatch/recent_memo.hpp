// What a parser derived from the last few distinct inputs, matched on the input's exact bytes: a costly
// derivation (decoding an X.509 certificate, hashing a TLS fingerprint, matching a TCP signature) runs once
// per distinct input instead of once per packet, since the same server certificate, client stack or TLS
// library comes back on every connection. Bounded: at most kEntries inputs of at most kMaxKey bytes each,
// replaced oldest first. One per parser instance (the pipeline that owns it is single-threaded).
#pragma once

#include <absl/hash/hash.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wardwatch/byte_reader.hpp"

namespace ww {

// The facts (key, value) a parser derived from one input, in the order it emits them.
using FactList = std::vector<std::pair<std::string_view, std::string>>;

template <typename Value, std::size_t kEntries = 64, std::size_t kMaxKey = 16 * 1024>
class RecentMemo {
 public:
  // The value remembered for exactly these bytes, or null (valid until the next insert).
  [[nodiscard]] const Value* find(Bytes key) const {
    const std::uint64_t h = hash(key);
    for (std::size_t i = 0; i < hashes_.size(); ++i) {
      if (hashes_[i] != h) continue;  // the hashes sit together: a miss reads no entry
      const Entry& e = entries_[i];
      if (e.key.size() == key.size() && std::equal(key.begin(), key.end(), e.key.begin())) return &e.value;
    }
    return nullptr;
  }
  // Remembers `value` for `key`; a key longer than kMaxKey is not kept.
  void insert(Bytes key, Value value) {
    if (key.size() > kMaxKey) return;
    std::size_t i = entries_.size();
    if (i < kEntries) {
      entries_.emplace_back();
      hashes_.push_back(0);
    } else {
      i = next_++ % kEntries;
    }
    entries_[i].key.assign(key.begin(), key.end());
    entries_[i].value = std::move(value);
    hashes_[i] = hash(key);
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<std::uint8_t> key;
    Value value;
  };
  static std::uint64_t hash(Bytes key) {
    return absl::HashOf(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  }
  std::vector<Entry> entries_;
  std::vector<std::uint64_t> hashes_;  // of entries_[i].key
  std::size_t next_ = 0;
};

}  // namespace ww
