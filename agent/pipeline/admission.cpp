#include "agent/pipeline/admission.hpp"

#include <algorithm>

namespace ww {
namespace {

constexpr std::int64_t kWindowUs = 1'000'000;
constexpr std::int64_t kQuietToCloseUs = 3 * kWindowUs;  // an episode ends after 3 s under half the threshold
constexpr std::size_t kWays = 8;                          // slots probed per source (one bucket)
constexpr std::size_t kSampleSize = 8;
// An episode is a flood when at least this many sources were held and at most a tenth came back.
constexpr std::uint64_t kMinFloodSources = 100;

std::size_t table_size(std::size_t wanted) {
  std::size_t n = kWays;
  while (n < wanted) n <<= 1;
  return n;
}

std::string source_text(const PacketView& p) {
  std::string mac = p.has_src_mac ? p.src_mac.to_string() : "";
  const bool ip = p.l3 == L3Kind::ipv4 || p.l3 == L3Kind::ipv6;
  if (!ip) return mac;
  return mac.empty() ? p.src_ip.to_string() : p.src_ip.to_string() + " " + mac;
}

}  // namespace

Admission::Admission(const Limits& limits, Stats& stats)
    : limits_(limits), stats_(stats), table_(table_size(limits.max_probation)) {}

std::uint64_t Admission::hash_of_mac(const MacAddr& mac) { return mix64(mac.as_u64() ^ 0x6d61630000000000ULL) | 1; }

std::uint64_t Admission::hash_of_binding(const IpAddr& ip, const MacAddr& mac) {
  return hash_ip(ip, mac.as_u64() ^ 0x6970000000000000ULL) | 1;  // | 1: never 0, the empty slot
}

Admission::Kind Admission::kind_of(const PacketView& p) {
  if (p.l3 == L3Kind::arp) return kArp;
  if (p.l3 != L3Kind::ipv4 && p.l3 != L3Kind::ipv6) return kL2;
  switch (p.l4) {
    case L4Kind::tcp:
      return (p.tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn ? kSyn : kTcp;
    case L4Kind::udp:
      return kUdp;
    case L4Kind::icmp:
    case L4Kind::icmpv6:
      return kIcmp;
    default:
      return kOther;
  }
}

void Admission::roll_window(std::int64_t ts_us) {
  const std::int64_t elapsed = ts_us - window_start_us_;
  if (elapsed >= 0 && elapsed < kWindowUs) return;
  if (episode_open_) {
    ep_peak_ = std::max(ep_peak_, window_new_);
    // Time that passed without packets counts as quiet too.
    quiet_windows_ = window_new_ * 2 < limits_.flood_new_sources_per_s ? quiet_windows_ + std::max<std::int64_t>(1, elapsed / kWindowUs) : 0;
    // Most held sources came back within the second: an agent starting on a busy network, not a flood. Each
    // second of probation costs real devices their first packet (and the connections it opened), so it ends.
    const std::uint64_t held = ep_held_senders_ + ep_held_receivers_;
    const bool busy_start = held >= kMinFloodSources && ep_admitted_ * 2 >= held;
    if (quiet_windows_ * kWindowUs >= kQuietToCloseUs || elapsed < 0 || busy_start) close();
  }
  window_start_us_ = ts_us;
  window_new_ = 0;
}

bool Admission::note_new_record(std::int64_t ts_us) {
  roll_window(ts_us);
  ++window_new_;
  if (episode_open_ || window_new_ < limits_.flood_new_sources_per_s) return false;
  open_episode(ts_us);
  return true;
}

void Admission::open_episode(std::int64_t ts_us) {
  episode_open_ = true;
  ++stats_[Counter::admission_episodes];
  quiet_windows_ = 0;
  ep_start_us_ = window_start_us_;
  ep_last_us_ = ts_us;
  ep_held_senders_ = ep_held_receivers_ = ep_admitted_ = ep_packets_ = ep_peak_ = 0;
  std::fill(std::begin(ep_kinds_), std::end(ep_kinds_), 0);
  ep_vlan_set_ = false;
  ep_vlan_ = -1;
  ep_sample_.clear();
}

Admission::Slot* Admission::find_slot(std::uint64_t hash) {
  const std::size_t base = (hash >> 7) & (table_.size() - 1) & ~(kWays - 1);
  for (std::size_t i = 0; i < kWays; ++i) {
    if (table_[base + i].hash == hash) return &table_[base + i];
  }
  return nullptr;
}

bool Admission::sighting(std::uint64_t hash, const PacketView& p, bool as_sender) {
  roll_window(p.ts_us);
  ep_last_us_ = p.ts_us;
  ++ep_packets_;
  if (Slot* s = find_slot(hash)) {
    if (as_sender) {  // seen before, and now it speaks: a real device (or a flood that repeats itself)
      *s = Slot{};
      ++ep_admitted_;
      ++stats_[Counter::admission_admitted];
      return true;
    }
    s->last_us = p.ts_us;
    return false;
  }
  // A new source: into its bucket's empty or least recently seen slot.
  const std::size_t base = (hash >> 7) & (table_.size() - 1) & ~(kWays - 1);
  Slot* victim = &table_[base];
  for (std::size_t i = 0; i < kWays; ++i) {
    Slot& s = table_[base + i];
    if (s.hash == 0) {
      victim = &s;
      break;
    }
    if (s.last_us < victim->last_us) victim = &s;
  }
  if (victim->hash != 0) ++stats_[Counter::admission_expired];
  *victim = Slot{hash, p.ts_us, as_sender};
  ++window_new_;
  ++stats_[Counter::admission_held];
  if (as_sender) {
    ++ep_held_senders_;
    ++ep_kinds_[kind_of(p)];
  } else {
    ++ep_held_receivers_;
  }
  if (!ep_vlan_set_) {
    ep_vlan_set_ = true;
    ep_vlan_ = p.vlan_count ? p.vlans[0] : -1;
  }
  add_sample(p);
  return false;
}

void Admission::admitted(std::uint64_t hash) {
  if (Slot* s = find_slot(hash)) {
    *s = Slot{};
    ++ep_admitted_;
    ++stats_[Counter::admission_admitted];
  }
}

void Admission::add_sample(const PacketView& p) {
  // The packet's sender: a held sender itself, or for a held receiver (a scan's target) who sent to it.
  if (ep_sample_.size() >= kSampleSize) return;
  std::string text = source_text(p);
  if (text.empty() || std::find(ep_sample_.begin(), ep_sample_.end(), text) != ep_sample_.end()) return;
  ep_sample_.push_back(std::move(text));
}

FloodEpisode Admission::judge() const {
  FloodEpisode e;
  e.start_us = ep_start_us_;
  e.end_us = ep_last_us_;
  e.sources = ep_held_senders_ + ep_held_receivers_;
  e.admitted = ep_admitted_;
  e.packets = ep_packets_;
  e.peak_per_s = std::max(ep_peak_, window_new_);
  e.vlan = ep_vlan_;
  e.sample = ep_sample_;
  // New receivers and few new senders: one known host sweeping addresses. Both in step: frames between random
  // MACs (macof). Otherwise the held senders' commonest packet names it.
  if (ep_held_receivers_ > 2 * ep_held_senders_) {
    e.kind = "scan";
    return e;
  }
  if (2 * ep_held_receivers_ >= ep_held_senders_ && ep_held_senders_ > 0) {
    e.kind = "mac_flood";
    return e;
  }
  static constexpr const char* kNames[kKinds] = {"syn_flood", "arp_storm", "mac_flood", "udp_flood",
                                                 "icmp_flood", "tcp_flood", "new_sources"};
  const auto top = std::max_element(std::begin(ep_kinds_), std::end(ep_kinds_)) - std::begin(ep_kinds_);
  e.kind = kNames[top];
  return e;
}

void Admission::close() {
  if (!episode_open_) return;
  episode_open_ = false;
  const FloodEpisode e = judge();
  const bool flood = e.sources >= kMinFloodSources && e.admitted * 10 <= e.sources;
  if (flood) {
    stats_.count_anomaly("flood." + e.kind);
    if (stats_.floods.size() < Stats::kMaxFloodsKept) stats_.floods.push_back(e);
  }
  // Held sources of this episode must not be admitted by a single packet in the next one.
  std::fill(table_.begin(), table_.end(), Slot{});
}

}  // namespace ww
