// Runs a capture file through the whole pipeline (decoder, tracker, every registered parser, an in-memory
// SQLite store) and returns the resolved inventory, as `wardwatch read` would.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "agent/capture/pcap_source.hpp"
#include "agent/pipeline/pipeline.hpp"
#include "agent/store/sqlite_store.hpp"

namespace ww::test {

inline std::string shared_pcap(const std::string& name) { return std::string(WARDWATCH_SHARED_DIR) + "/pcaps/" + name; }
inline std::string repo_file(const std::string& rel) { return std::string(WARDWATCH_SOURCE_DIR) + "/" + rel; }
// The project's own captures, made by real software in network namespaces (tests/fixtures/*/README.md).
inline std::string identity_lab_pcap() { return repo_file("tests/fixtures/identity/identity-lab.pcap"); }
inline std::string hospital_lab_pcap() { return repo_file("tests/fixtures/lab/hospital-lab.pcap"); }
inline std::string clinical_lab_pcap() { return repo_file("tests/fixtures/clinical/clinical-lab.pcap"); }
inline std::string clinical_web_pcap() { return repo_file("tests/fixtures/clinical/clinical-web.pcap"); }

// Skips the calling test (GTEST_SKIP) with a clear message when ../shared is not beside the checkout.
#define WW_REQUIRE_FILE(path)                                                                        \
  do {                                                                                               \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "test data not found: " << (path)            \
                                                     << " (../shared/pcaps is read in place; absent here)"; \
  } while (0)

// Feeds every packet of the capture at `path` to `pipeline`; returns what the store records of the source.
// `bpf_filter` (optional) selects packets as `wardwatch read --filter` does.
inline SourceInfo feed_capture(Pipeline& pipeline, const std::string& path, const std::string& bpf_filter = {}) {
  PcapSource src = PcapSource::open_file(path, bpf_filter);
  CapturedPacket pkt;
  SourceInfo info{path, src.format(), src.linktype(), src.linktype_name()};
  while (src.next(pkt) == PcapSource::Next::packet) {
    pipeline.process_frame(src.linktype(), pkt.data, pkt.wire_len, pkt.ts_us);
    ++info.packets;
  }
  return info;
}

inline Inventory run_capture(const std::string& path, const Limits& limits = Limits{},
                             const std::string& bpf_filter = {}) {
  SqliteStore store(":memory:");
  store.begin_run("test");
  const ParserRegistry registry = make_default_registry();
  Pipeline pipeline(limits, registry, &store);
  store.record_source(feed_capture(pipeline, path, bpf_filter));
  pipeline.flush();
  return store.load(limits);
}

// All observation values with `key` across the inventory's assets.
inline std::vector<std::string> all_values(const Inventory& inv, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) {
      if (o.key == key) out.push_back(o.value);
    }
  }
  return out;
}

// Observation values of `key` on every asset that holds address `ip`.
inline std::vector<std::string> values_at(const Inventory& inv, const std::string& ip, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& a : inv.assets) {
    bool has_ip = false;
    for (const auto& addr : a.addresses) has_ip |= addr.ip == ip;
    if (!has_ip) continue;
    for (const auto& o : a.observations) {
      if (o.key == key) out.push_back(o.value);
    }
  }
  return out;
}

// Bytes from a hex string ("0a1b..."), e.g. a payload copied from `tshark -T fields -e udp.payload`.
inline std::vector<std::uint8_t> from_hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline const AssetView* find_asset(const Inventory& inv, const std::string& id) {
  for (const auto& a : inv.assets) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

}  // namespace ww::test
