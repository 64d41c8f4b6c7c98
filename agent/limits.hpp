// Every resource limit of the agent, in one place. Memory is bounded by these numbers, never by traffic
// volume. Each is documented in docs/limits.md and has a test that drives the agent into it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ww {

struct Limits {
  // Tracked transport flows (TCP/UDP 5-tuples). When full, idle flows are evicted first, then the oldest.
  std::size_t max_flows = 200'000;
  std::int64_t flow_idle_timeout_s = 300;
  // In-memory device records: MAC records plus (IP, MAC) address bindings. The DB keeps what is evicted.
  std::size_t max_assets = 50'000;
  std::int64_t asset_idle_timeout_s = 3600;
  // Without a database file, evicted records go to a store in memory: the device records it takes at most.
  // Past half of it, only records that carry a fact are taken; the rest are counted (assets_dropped).
  std::size_t max_memory_store_records = 200'000;
  // Distinct (key, value) observations kept per record; further ones are counted as dropped.
  std::size_t max_observations_per_asset = 256;
  // Distinct values kept per observation key on one record (e.g. DNS names looked up by one client).
  std::size_t max_values_per_key = 64;
  std::size_t max_peers_per_asset = 1024;
  std::size_t max_services_per_asset = 256;
  std::size_t max_vlans_per_asset = 16;
  // TCP streams followed for application parsers at once (a stream ends with its connection or its parser), and
  // the bytes buffered per stream direction.
  std::size_t max_streams = 20'000;
  std::size_t max_stream_buffer_bytes = 256 * 1024;
  std::int64_t stream_idle_timeout_s = 120;
  // All stream buffers together (in-order data and out-of-order stash, both directions of every stream). A
  // stream that needs more is given up (stats stream_budget_hits, anomaly stream.memory_budget_reached).
  std::size_t max_stream_buffer_total_bytes = 64 * 1024 * 1024;
  // Bytes of a stream direction offered to the probes before the stream is declared unknown.
  std::size_t max_stream_probe_bytes = 8 * 1024;
  // A MAC that sends from this many IPs not proven to be its own (by ARP, NDP or DHCP) is a router:
  // the remote hosts behind it become IP-keyed assets.
  std::size_t router_min_foreign_ips = 4;
  // New sources (MACs, (IP, MAC) bindings) within one second of capture time above which new sources are
  // put on probation (agent/pipeline/admission.hpp), and the slots of the probation table.
  std::size_t flood_new_sources_per_s = 2'000;
  std::size_t max_probation = 1 << 16;
  // Seconds of wall-clock time between two database flushes (steady clock: a capture file read at full speed
  // flushes as often as a live capture that lasts as long).
  std::int64_t flush_interval_s = 5;
};

}  // namespace ww
