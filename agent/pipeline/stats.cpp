#include "agent/pipeline/stats.hpp"

namespace ww {

void Stats::add(const Stats& o) {
  packets += o.packets;
  bytes += o.bytes;
  malformed += o.malformed;
  for (std::size_t i = 0; i < malformed_by_reason.size(); ++i) malformed_by_reason[i] += o.malformed_by_reason[i];
  non_first_fragments += o.non_first_fragments;
  pcap_received += o.pcap_received;
  pcap_dropped += o.pcap_dropped;
  pcap_if_dropped += o.pcap_if_dropped;
  flows_evicted += o.flows_evicted;
  assets_evicted += o.assets_evicted;
  assets_dropped += o.assets_dropped;
  streams_evicted += o.streams_evicted;
  stream_bytes_skipped += o.stream_bytes_skipped;
  observations_dropped += o.observations_dropped;
  peers_dropped += o.peers_dropped;
  services_dropped += o.services_dropped;
  vlans_dropped += o.vlans_dropped;
  stream_budget_hits += o.stream_budget_hits;
  for (const auto& [k, v] : o.anomalies) anomalies[k] += v;
  admission.episodes += o.admission.episodes;
  admission.held += o.admission.held;
  admission.admitted += o.admission.admitted;
  admission.expired += o.admission.expired;
  admission.purged += o.admission.purged;
  for (const FloodEpisode& f : o.floods) {
    if (floods.size() < kMaxFloodsKept) floods.push_back(f);
  }
}

}  // namespace ww
