// Admission of new sources while many appear at once (a MAC flood, a SYN flood from random sources, an ARP
// storm, a scan). Normally every new MAC and (IP, MAC) becomes a record at its first packet. When more than
// Limits::flood_new_sources_per_s new ones appear within one second of capture time, the tracker switches to
// probation: a new source is only remembered in a fixed-size table (a hash and a time, no record, no flow, no
// stream) and becomes a record when it shows more than one packet's worth — a second packet of its own, or
// an identity fact from a parser (DHCP, LLDP, mDNS...). A one-packet-per-source flood then costs a table
// probe per packet and a fixed amount of memory, whatever its size; a real device is admitted at its second
// packet. Zeek's and Suricata's memcaps and p0f's bounded host table make the same trade.
//
// Each period of probation is an episode. At its end it is judged: when most held sources never came back
// it was a flood (or a scan: new receivers, few senders) and is reported once, with its window, peak rate,
// first VLAN and a sample of sources (Stats::floods, "anomaly.flood.<kind>"); when most came back it was
// only a busy start (an agent starting on a large network) and is counted, not reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/decode/packet.hpp"
#include "agent/limits.hpp"
#include "agent/pipeline/stats.hpp"

namespace ww {

class Admission {
 public:
  Admission(const Limits& limits, Stats& stats);

  // Counts a new record made from a packet at capture time `ts_us`; may start an episode. Returns true when
  // probation has just begun (the caller then purges the one-packet records of the last second).
  bool note_new_record(std::int64_t ts_us);
  [[nodiscard]] bool probation() const { return episode_open_; }
  // Every packet during probation: time passes, so that a quiet network ends the episode.
  void tick(std::int64_t ts_us) {
    if (episode_open_) roll_window(ts_us);
  }
  // The capture time from which records count towards the episode that has just begun.
  [[nodiscard]] std::int64_t window_start_us() const { return window_start_us_; }

  // A packet from (or to, when !as_sender) a source that has no record, during probation. Returns true when
  // the source is admitted: it was held before and now sends again.
  bool sighting(std::uint64_t source_hash, const PacketView& p, bool as_sender);
  // An identity fact about a held source (or a record made for another reason): it leaves the table.
  void admitted(std::uint64_t source_hash);
  // Records purged when probation began (made in the window that tripped it, one packet each, no facts).
  void note_purged(std::size_t n) { stats_[Counter::admission_purged] += n; }
  // Closes an open episode (at the end of a run; during one, after 3 s of capture time under half the
  // threshold): judged, and reported if it was a flood.
  void close();

  // Source hashes: a MAC alone, or an IP behind a MAC (never equal by construction of the salt).
  static std::uint64_t hash_of_mac(const MacAddr& mac);
  static std::uint64_t hash_of_binding(const IpAddr& ip, const MacAddr& mac);

 private:
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty
    std::int64_t last_us = 0;
    bool sent = false;  // the source sent a packet (a receiver sighting alone never admits)
  };
  enum Kind : std::uint8_t { kSyn, kArp, kL2, kUdp, kIcmp, kTcp, kOther, kKinds };
  static Kind kind_of(const PacketView& p);
  void roll_window(std::int64_t ts_us);
  void open_episode(std::int64_t ts_us);
  [[nodiscard]] FloodEpisode judge() const;
  void add_sample(const PacketView& p);
  Slot* find_slot(std::uint64_t hash);

  const Limits& limits_;
  Stats& stats_;
  std::vector<Slot> table_;  // probation: Limits::max_probation slots, 8-way buckets
  std::int64_t window_start_us_ = 0;
  std::uint64_t window_new_ = 0;  // new records and held sources in the current one-second window
  bool episode_open_ = false;
  std::int64_t quiet_windows_ = 0;  // consecutive windows under half the threshold during probation
  // The open episode.
  std::int64_t ep_start_us_ = 0, ep_last_us_ = 0;
  std::uint64_t ep_held_senders_ = 0, ep_held_receivers_ = 0, ep_admitted_ = 0, ep_packets_ = 0, ep_peak_ = 0;
  std::uint64_t ep_kinds_[kKinds] = {};
  int ep_vlan_ = -1;  // -1: untagged
  bool ep_vlan_set_ = false;
  std::vector<std::string> ep_sample_;
};

}  // namespace ww
