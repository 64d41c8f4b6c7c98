#include "fingerprints/engine/oui_registry.hpp"

#include <fstream>
#include <vector>

#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr int kPrefixBits[3] = {24, 28, 36};

// Splits one RFC 4180 CSV line (quoted fields, doubled quotes) into fields.
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  return fields;
}


}  // namespace

std::size_t OuiRegistry::load_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string line;
  std::size_t loaded = 0;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto f = split_csv(line);
    if (f.size() < 3) continue;
    const std::string& hex = f[1];
    const int table = hex.size() == 6 ? 0 : hex.size() == 7 ? 1 : hex.size() == 9 ? 2 : -1;
    if (table < 0) continue;
    std::uint64_t prefix = 0;
    bool ok = true;
    for (char c : hex) {
      prefix <<= 4;
      if (c >= '0' && c <= '9') prefix |= static_cast<std::uint64_t>(c - '0');
      else if (c >= 'A' && c <= 'F') prefix |= static_cast<std::uint64_t>(c - 'A' + 10);
      else if (c >= 'a' && c <= 'f') prefix |= static_cast<std::uint64_t>(c - 'a' + 10);
      else ok = false;
    }
    if (!ok) continue;
    if (by_len_[table].emplace(prefix, Entry{std::string(trim(f[2], " \t")), std::string(trim(f[0], " \t"))}).second) ++loaded;
  }
  size_ += loaded;
  return loaded;
}

std::size_t OuiRegistry::load_directory(const std::string& dir) {
  std::size_t n = 0;
  for (const char* file : {"oui.csv", "mam.csv", "oui36.csv", "iab.csv"}) n += load_csv(dir + "/" + file);
  return n;
}

std::optional<OuiMatch> OuiRegistry::lookup(const MacAddr& mac) const {
  const std::uint64_t v = mac.as_u64();
  for (int t = 2; t >= 0; --t) {
    const int bits = kPrefixBits[t];
    auto it = by_len_[t].find(v >> (48 - bits));
    if (it != by_len_[t].end()) return OuiMatch{it->second.organization, it->second.registry, bits};
  }
  return std::nullopt;
}

void enrich_vendors(Inventory& inv, const OuiRegistry& oui) {
  for (auto& a : inv.assets) {
    if (!a.mac) continue;
    const auto mac = MacAddr::parse(*a.mac);
    if (!mac || mac->is_locally_administered()) continue;
    if (auto m = oui.lookup(*mac)) {
      a.vendor = m->organization;
      a.oui_registry = m->registry;
    }
  }
}

}  // namespace ww
