// Interned text for the inventory builder's rows: each distinct string is kept once, in blocks that never
// move, and rows hold views of it. Most of a row's text repeats across devices (fact keys, "tcp", "client",
// a DHCP message type, a signature shared by a model): at 100,000 devices, a std::string per field was a
// heap block per fact key longer than the short-string buffer, and ~100 MB at the build's peak.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace ww {

class StringPool {
 public:
  // A view of `s` that lives as long as the pool.
  std::string_view intern(std::string_view s) {
    if (s.empty()) return {};
    if (const auto it = set_.find(s); it != set_.end()) return *it;
    const std::string_view kept = copy(s);
    set_.insert(kept);
    return kept;
  }

 private:
  static constexpr std::size_t kBlockBytes = 64 * 1024;
  std::string_view copy(std::string_view s) {
    if (s.size() > kBlockBytes / 4) {  // large: a block of its own, the current one kept for small strings
      auto& own = big_.emplace_back(std::make_unique<char[]>(s.size()));
      std::memcpy(own.get(), s.data(), s.size());
      return {own.get(), s.size()};
    }
    if (blocks_.empty() || used_ + s.size() > kBlockBytes) {
      blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::memcpy(at, s.data(), s.size());
    used_ += s.size();
    return {at, s.size()};
  }

  absl::flat_hash_set<std::string_view> set_;
  std::vector<std::unique_ptr<char[]>> blocks_, big_;
  std::size_t used_ = 0;
};

}  // namespace ww
