// Vendor lookup over the IEEE registries as Debian's ieee-data ships them: MA-L (24-bit prefixes),
// MA-M (28-bit), MA-S and IAB (36-bit). The longest matching prefix wins. No table is kept in the repo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "model/inventory.hpp"
#include "wardwatch/net_types.hpp"

namespace ww {

struct OuiMatch {
  std::string organization;
  std::string registry;  // "MA-L", "MA-M", "MA-S", "IAB"
  int prefix_bits = 0;
};

class OuiRegistry {
 public:
  static constexpr const char* kDefaultDir = "/usr/share/ieee-data";

  // Loads oui.csv, mam.csv, oui36.csv and iab.csv from `dir`; missing files are skipped.
  // Returns the number of entries loaded (0 means no vendor names will be available).
  std::size_t load_directory(const std::string& dir);
  // Loads one registry CSV ("Registry,Assignment,Organization Name,Organization Address").
  std::size_t load_csv(const std::string& path);
  [[nodiscard]] std::optional<OuiMatch> lookup(const MacAddr& mac) const;
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::string organization;
    std::string registry;
  };
  // Keyed by the prefix value, one table per prefix length (24, 28, 36 bits).
  std::unordered_map<std::uint64_t, Entry> by_len_[3];
  std::size_t size_ = 0;
};

// Fills vendor fields from the IEEE registries (never for locally administered MACs: they are random).
void enrich_vendors(Inventory& inv, const OuiRegistry& oui);

}  // namespace ww
