// The rows that device records turn into: one vocabulary for what a flush writes to SQLite, what a load reads
// back, and what the in-memory inventory builder consumes. Addresses are text, as stored ("" = no MAC/IP).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/pipeline/records.hpp"
#include "agent/pipeline/stats.hpp"

namespace ww {

class Tracker;

struct MacRow {
  std::string_view mac;
  Seen seen;
  Traffic traffic;
};

struct BindingRow {
  std::string_view ip, mac;
  Seen seen;
  Traffic traffic;
  int confirmed = 0;  // confirmed_by bits
};

struct ServiceRow {
  std::string_view ip, mac, role, proto;  // role "offered" | "used"; proto "tcp" | "udp"
  std::uint16_t port = 0;
  Seen seen;
  std::uint64_t count = 0;
};

// One conversation of a binding (records.hpp): the peer address, the service (proto, server port), this
// device's role and the application protocol a parser recognised ("" none).
struct ConversationRow {
  std::string_view ip, mac, peer, role, proto;  // role "client" | "server"; proto "tcp" | "udp"
  std::uint16_t port = 0;
  std::string_view app;
  Seen seen;
  Traffic traffic;
};

struct ObservationRow {
  std::string_view ip, mac, key, value;  // ip "" for facts about a MAC
  Seen seen;
  std::uint64_t count = 0;
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void mac(const MacRow& row) = 0;
  virtual void vlan(std::string_view mac, std::uint16_t vlan) = 0;
  virtual void binding(const BindingRow& row) = 0;
  virtual void service(const ServiceRow& row) = 0;
  virtual void conversation(const ConversationRow& row) = 0;
  virtual void observation(const ObservationRow& row) = 0;
};

// How many device records a store held in memory (a run without a database file) may still take: the memory
// store is bounded by Limits::max_memory_store_records, never by traffic. A record it refuses stays with the
// tracker until evicted, then is counted in Stats::assets_dropped.
class RecordBudget {
 public:
  explicit RecordBudget(std::size_t records) : limit_(records) {}
  // Whether a record the store has never held may be added: any while half of the budget is free, then only
  // one that carries a fact (what a device is outlives what it sent: a device with a name, a vendor, a
  // service is kept before one seen only by its traffic).
  bool take(bool carries_fact) {
    if (used_ >= limit_ || (!carries_fact && used_ >= limit_ / 2)) return false;
    ++used_;
    return true;
  }
  [[nodiscard]] std::size_t used() const { return used_; }

 private:
  std::size_t limit_;
  std::size_t used_ = 0;
};

// Hands everything the tracker learned since the last drain to `sink` — counters as deltas, first/last
// seen as absolutes — and clears it. Rows come in primary-key order (B-tree inserts that follow each other
// land on the same pages, which makes a large SQLite flush several times cheaper than hash-table order).
// Call Tracker::settle() first. With `release`, each record's facts and conversations are freed once handed over
// (the end of a run: the sink's copy and the tracker's then never both exist whole). With DrainScope::evicting
// only the records marked for eviction are handed over. With a `budget`, a record never handed over before is
// handed over only if the budget takes it.
void drain_deltas(Tracker& tracker, RowSink& sink, bool release = false, DrainScope scope = DrainScope::all,
                  RecordBudget* budget = nullptr);

// Every run statistic as (name, value), under the names the store and the export use.
std::vector<std::pair<std::string, std::uint64_t>> stat_rows(const Stats& stats);

}  // namespace ww
