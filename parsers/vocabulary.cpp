#include "wardwatch/vocabulary.hpp"

#include <algorithm>
#include <numeric>

namespace ww {

std::string_view fact_type_name(FactType t) {
  switch (t) {
    case FactType::text: return "text";
    case FactType::number: return "number";
    case FactType::address: return "address";
    case FactType::list: return "list";
    case FactType::hex: return "hex";
    case FactType::flag: return "flag";
    case FactType::code: return "code";
    case FactType::id: return "id";
  }
  return "text";
}

void Vocabulary::declare(std::string_view owner, std::span<const FactDecl> facts,
                         std::span<const AnomalyDecl> anomalies) {
  owners_.push_back({owner, facts, anomalies});
  for (const FactDecl& f : facts) {
    if (f.key.ends_with(".*")) {
      prefixes_.push_back(&f);
    } else {
      exact_.emplace(f.key, &f);
    }
  }
  // Longest prefix first: "mdns.txt.*" before a hypothetical "mdns.*".
  std::sort(prefixes_.begin(), prefixes_.end(),
            [](const FactDecl* a, const FactDecl* b) { return a->key.size() > b->key.size(); });
  for (const AnomalyDecl& a : anomalies) anomalies_.emplace(a.name, &a);
}

const FactDecl* Vocabulary::fact(std::string_view key) const {
  if (auto it = exact_.find(key); it != exact_.end()) return it->second;
  for (const FactDecl* p : prefixes_) {
    const std::string_view stem = p->key.substr(0, p->key.size() - 1);  // "mdns.txt."
    if (key.size() > stem.size() && key.starts_with(stem)) return p;
  }
  return nullptr;
}

bool Vocabulary::declares_anomaly(std::string_view name) const { return anomalies_.contains(name); }

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Vocabulary::nearest_fact(std::string_view key) const {
  std::string_view best;
  std::size_t best_distance = SIZE_MAX;
  for (const Owned& o : owners_) {
    for (const FactDecl& f : o.facts) {
      const std::size_t d = edit_distance(key, f.key);
      if (d < best_distance) {
        best_distance = d;
        best = f.key;
      }
    }
  }
  return std::string(best);
}

}  // namespace ww
