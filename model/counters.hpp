// The counters of a run, each named once: its name in the store's run_stats and in Inventory::stats, where
// the JSON `stats` object shows it, and what the end-of-run summary says when it counts a limit that was
// reached. The pipeline counts into Stats[Counter], the store writes the names, the JSON report and the
// summary read this table: a new counter is one enum value and one entry here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ww {

enum class Counter : std::uint8_t {
  non_first_fragments,
  pcap_received,
  pcap_dropped,
  pcap_if_dropped,
  flows_evicted,
  assets_evicted,
  streams_evicted,
  observations_dropped,
  peers_dropped,
  services_dropped,
  vlans_dropped,
  stream_bytes_skipped,
  stream_budget_hits,
  assets_dropped,
  admission_episodes,
  admission_held,
  admission_admitted,
  admission_expired,
  admission_purged,
  count_
};
inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::count_);

struct CounterInfo {
  Counter id;
  std::string_view name;     // in run_stats and Inventory::stats
  std::string_view json;     // "group.key" or "key" in the JSON `stats` object; "" = not in the JSON
  std::string_view reached;  // the summary's "limits reached" text; "" = not a limit
};

inline constexpr std::array<CounterInfo, kCounterCount> kCounters = {{
    {Counter::non_first_fragments, "non_first_fragments", "non_first_fragments", ""},
    {Counter::pcap_received, "pcap_received", "", ""},
    {Counter::pcap_dropped, "dropped", "dropped", ""},
    {Counter::pcap_if_dropped, "if_dropped", "if_dropped", ""},
    {Counter::flows_evicted, "flows_evicted", "evicted.flows", "flows evicted (--max-flows)"},
    {Counter::assets_evicted, "assets_evicted", "evicted.assets",
     "device records evicted from memory to the store (--max-assets)"},
    {Counter::streams_evicted, "streams_evicted", "evicted.streams",
     "TCP segments not followed, the stream table full (--max-streams)"},
    {Counter::observations_dropped, "observations_dropped", "limited.observations",
     "facts dropped (--max-observations, --max-values-per-key)"},
    {Counter::peers_dropped, "peers_dropped", "limited.peers", "peers dropped (--max-peers)"},
    {Counter::services_dropped, "services_dropped", "limited.services", "services dropped"},
    {Counter::vlans_dropped, "vlans_dropped", "limited.vlans", "VLANs dropped"},
    {Counter::stream_bytes_skipped, "stream_bytes_skipped", "limited.stream_bytes",
     "stream bytes not buffered (--max-stream-buffer)"},
    {Counter::stream_budget_hits, "stream_budget_hits", "limited.stream_budget",
     "streams given up, all stream buffers full (--max-stream-memory)"},
    {Counter::assets_dropped, "assets_dropped", "limited.assets",
     "evicted device records not kept, the in-memory store full (--max-memory-store; use --db)"},
    {Counter::admission_episodes, "admission.episodes", "admission.episodes", ""},
    {Counter::admission_held, "admission.held", "admission.held", ""},
    {Counter::admission_admitted, "admission.admitted", "admission.admitted", ""},
    {Counter::admission_expired, "admission.expired", "admission.expired",
     "held sources pushed out of the probation table (--max-probation)"},
    {Counter::admission_purged, "admission.purged", "admission.purged", ""},
}};

// The table is indexed by Counter: an entry out of place fails the build.
constexpr bool counters_in_order() {
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (static_cast<std::size_t>(kCounters[i].id) != i) return false;
  }
  return true;
}
static_assert(counters_in_order(), "kCounters must list the counters in the order of enum Counter");

constexpr const CounterInfo& info(Counter c) { return kCounters[static_cast<std::size_t>(c)]; }

}  // namespace ww
