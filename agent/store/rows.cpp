#include "agent/store/rows.hpp"

#include <algorithm>
#include <tuple>

#include "agent/pipeline/tracker.hpp"

namespace ww {
namespace {

std::string mac_text(const MacAddr& m) {
  return m.is_zero() ? std::string() : m.to_string();
}

void drain_observations(ObservationSet& set, std::string_view ip, std::string_view mac, RowSink& sink,
                        std::vector<ObservationStat*>& scratch) {
  scratch.clear();
  for (auto& o : set.items()) {
    if (o.dirty) scratch.push_back(&o);
  }
  std::sort(scratch.begin(), scratch.end(), [](const ObservationStat* a, const ObservationStat* b) {
    return std::pair(a->key(), a->value()) < std::pair(b->key(), b->value());
  });
  for (ObservationStat* o : scratch) {
    sink.observation({ip, mac, o->key(), o->value(), o->seen, o->count});
    o->count = 0;
    o->dirty = false;
  }
}

// The conversations that changed since the last drain, in primary-key order (peer, proto, port, role).
void drain_conversations(const Tracker& tracker, ConversationSet& set, std::string_view ip, std::string_view mac,
                         RowSink& sink) {
  struct Dirty {
    std::string peer;
    Conversation* c;
  };
  std::vector<Dirty> dirty;
  for (Conversation& c : set.items()) {
    if (c.dirty) dirty.push_back({c.key.peer.to_string(), &c});
  }
  const auto order = [](const Dirty& d) { return std::tie(d.peer, d.c->key.proto, d.c->key.port, d.c->key.role); };
  std::sort(dirty.begin(), dirty.end(), [&](const Dirty& a, const Dirty& b) { return order(a) < order(b); });
  for (auto& [peer, c] : dirty) {
    sink.conversation({ip, mac, peer, c->key.role == ServiceRole::offered ? "server" : "client",
                       c->key.proto == 6 ? "tcp" : "udp", c->key.port, tracker.app_name(c->app), c->seen,
                       c->traffic});
    c->traffic = {};
    c->dirty = false;
  }
}

// Whether a record holds a fact beyond the TCP/IP stack fingerprint that every packet of a flood carries
// (parsers/tcp_fingerprint.cpp): a name, a vendor class, a service.
bool carries_fact(const ObservationSet& set) {
  return std::any_of(set.items().begin(), set.items().end(),
                     [](const ObservationStat& o) { return !o.key().starts_with("tcp."); });
}
bool carries_fact(const MacRecord& r) { return carries_fact(r.observations); }
bool carries_fact(const BindingRecord& r) {
  return !r.services.empty() || (r.confirmed & confirmed_by::dhcp) != 0 || carries_fact(r.observations);
}

// Whether `rec` goes to the sink in this drain.
template <typename Record>
bool drained(Record& rec, bool changed, DrainScope scope, RecordBudget* budget) {
  if (!changed || (scope == DrainScope::evicting && !rec.evicting)) return false;
  return rec.stored || budget == nullptr || budget->take(carries_fact(rec));
}

void drain_macs(Tracker& tracker, RowSink& sink, bool release, DrainScope scope, RecordBudget* budget,
                std::vector<ObservationStat*>& scratch) {
  std::vector<std::pair<std::string, MacRecord*>> macs;
  for (auto& [mac, rec] : tracker.macs()) {
    if (drained(rec, rec.dirty, scope, budget)) macs.emplace_back(mac.to_string(), &rec);
  }
  std::sort(macs.begin(), macs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [m, rec] : macs) {
    sink.mac({m, rec->seen, rec->traffic});
    for (std::size_t i = rec->vlans_flushed; i < rec->vlans.size(); ++i) sink.vlan(m, rec->vlans[i]);
    rec->vlans_flushed = rec->vlans.size();
    drain_observations(rec->observations, {}, m, sink, scratch);
    if (release) rec->observations = ObservationSet{};
    rec->traffic = {};
    rec->dirty = false;
    rec->stored = true;
  }
}

void drain_bindings(Tracker& tracker, RowSink& sink, bool release, DrainScope scope, RecordBudget* budget,
                    std::vector<ObservationStat*>& scratch) {
  struct Dirty {
    std::string ip, mac;
    BindingRecord* rec;
  };
  std::vector<Dirty> bindings;
  for (auto& [key, rec] : tracker.bindings()) {
    if (drained(rec, rec.dirty || rec.confirmed_dirty, scope, budget)) {
      bindings.push_back({key.ip.to_string(), mac_text(key.mac), &rec});
    }
  }
  std::sort(bindings.begin(), bindings.end(),
            [](const Dirty& a, const Dirty& b) { return std::tie(a.ip, a.mac) < std::tie(b.ip, b.mac); });
  for (auto& [ip, m, rec] : bindings) {
    sink.binding({ip, m, rec->seen, rec->traffic, int{rec->confirmed}});
    for (auto& s : rec->services) {
      if (!s.dirty) continue;
      sink.service({ip, m, s.role == ServiceRole::offered ? "offered" : "used", s.proto == 6 ? "tcp" : "udp", s.port,
                    s.seen, s.count});
      s.count = 0;
      s.dirty = false;
    }
    drain_conversations(tracker, rec->conversations, ip, m, sink);
    drain_observations(rec->observations, ip, m, sink, scratch);
    if (release) {
      rec->observations = ObservationSet{};
      rec->conversations.release();
    }
    rec->traffic = {};
    rec->dirty = rec->confirmed_dirty = false;
    rec->stored = true;
  }
}

}  // namespace

void drain_deltas(Tracker& tracker, RowSink& sink, bool release, DrainScope scope, RecordBudget* budget) {
  std::vector<ObservationStat*> scratch;
  drain_macs(tracker, sink, release, scope, budget, scratch);
  drain_bindings(tracker, sink, release, scope, budget, scratch);
}

std::vector<std::pair<std::string, std::uint64_t>> stat_rows(const Stats& stats) {
  std::vector<std::pair<std::string, std::uint64_t>> out{
      {"packets", stats.packets},
      {"bytes", stats.bytes},
      {"malformed", stats.malformed},
  };
  for (std::size_t i = 1; i < stats.malformed_by_reason.size(); ++i) {
    if (stats.malformed_by_reason[i]) {
      out.emplace_back("malformed." + std::string(to_string(static_cast<DecodeError>(i))),
                       stats.malformed_by_reason[i]);
    }
  }
  for (const CounterInfo& c : kCounters) out.emplace_back(c.name, stats[c.id]);
  if (stats.writer.flushes != 0) {  // the writer thread of a live capture or a read --db (summed over runs like the rest)
    const Stats::Writer& w = stats.writer;
    out.insert(out.end(), {{"writer.flushes", w.flushes},
                           {"writer.flush_us", w.flush_us},
                           {"writer.deferred", w.deferred},
                           {"writer.waits", w.waits},
                           {"writer.wait_us", w.wait_us}});
  }
  for (const auto& [name, v] : stats.anomalies) out.emplace_back("anomaly." + name, v);
  return out;
}

}  // namespace ww
