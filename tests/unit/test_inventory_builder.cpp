// The inventory builder: a run without a database file hands the tracker's rows straight to it, and must get
// exactly what a flush into SQLite followed by a load gives — also when evictions already flushed part of it.
#include <gtest/gtest.h>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/inventory_builder.hpp"
#include "agent/store/sqlite_store.hpp"
#include "reports/report.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

// How a run ends: flush into SQL and load; the tracker straight into the builder (evictions still went to SQL);
// or as `read` without --db does, evictions into a MemorySpill too.
enum class Path { through_sql, direct, spill };

std::string feed_and_export(const std::string& path, const Limits& limits, Path how,
                            std::uint64_t* assets_evicted = nullptr) {
  SqliteStore store(":memory:");
  store.begin_run("test");
  const ParserRegistry registry = make_default_registry();
  MemorySpill spill(limits);
  Pipeline pipeline(limits, registry, how == Path::spill ? static_cast<FlushTarget*>(&spill) : &store);
  store.record_source(test::feed_capture(pipeline, path));
  if (assets_evicted) *assets_evicted = pipeline.stats()[Counter::assets_evicted];
  Inventory inv;
  if (how == Path::through_sql) {
    pipeline.flush();
    inv = store.load(limits);
  } else {
    store.commit_pending();  // as a run without a database file ends (sources wait for a transaction)
    store.write_run_stats(pipeline.stats());
    inv = take_inventory(store, pipeline.tracker(), limits, how == Path::spill ? &spill : nullptr);
  }
  return to_json(inv, "test").dump(1);
}

void expect_same_both_ways(const std::string& path, const Limits& limits) {
  const std::string via_sql = feed_and_export(path, limits, Path::through_sql);
  EXPECT_GT(via_sql.size(), 1000u);
  EXPECT_EQ(feed_and_export(path, limits, Path::direct), via_sql) << path;
  EXPECT_EQ(feed_and_export(path, limits, Path::spill), via_sql) << path;
}

TEST(InventoryBuilder, DirectInventoryEqualsFlushAndLoadOnTheLabCapture) {
  expect_same_both_ways(test::repo_file("tests/fixtures/lab/hospital-lab.pcap"), Limits{});
}

TEST(InventoryBuilder, DirectInventoryEqualsFlushAndLoadWhenEvictionsFlushedPartOfIt) {
  Limits tight;
  tight.max_assets = 8;  // evictions flush to the store in the middle of the run
  tight.max_flows = 16;
  const std::string path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");
  expect_same_both_ways(path, tight);
  // The limit really was hit: the store holds rows from before the evictions.
  std::uint64_t evicted = 0;
  feed_and_export(path, tight, Path::spill, &evicted);
  EXPECT_GT(evicted, 0u);
}

TEST(InventoryBuilder, SharedDirectInventoryEqualsFlushAndLoadOnPublicCaptures) {
  for (const char* name : {"tapirx_dicom_arq_1_find_testclient.pcap", "tapirx_HL7-ADT.pcap",
                           "tcpdump_LLDP_and_CDP.pcap", "arkime_wireshark-dhcp.pcap"}) {
    const std::string path = test::shared_pcap(name);
    WW_REQUIRE_FILE(path);
    expect_same_both_ways(path, Limits{});
  }
}

TEST(InventoryBuilder, MergesRowsOfOneKeyAsTheStoreUpsertsDo) {
  Limits limits;
  InventoryBuilder b(limits);
  b.mac({"00:11:22:33:44:55", {200, 300}, {1, 2, 10, 20}});
  b.mac({"00:11:22:33:44:55", {100, 250}, {3, 4, 30, 40}});
  b.vlan("00:11:22:33:44:55", 20);
  b.vlan("00:11:22:33:44:55", 10);
  b.vlan("00:11:22:33:44:55", 20);
  b.binding({"10.0.0.5", "00:11:22:33:44:55", {150, 160}, {1, 0, 60, 0}, confirmed_by::arp});
  b.binding({"10.0.0.5", "00:11:22:33:44:55", {140, 170}, {0, 1, 0, 60}, confirmed_by::dhcp});
  b.observation({"10.0.0.5", "00:11:22:33:44:55", "dhcp.hostname", "pump-7", {150, 150}, 2});
  b.observation({"10.0.0.5", "00:11:22:33:44:55", "dhcp.hostname", "pump-7", {120, 180}, 3});
  b.observation({"", "00:11:22:33:44:55", "lldp.system_name", "sw1", {130, 130}, 1});
  // Two flushes of one conversation (counters add, times widen, the application once known stays), a second
  // service with the same peer, and another peer.
  b.conversation({"10.0.0.5", "00:11:22:33:44:55", "10.0.0.9", "server", "tcp", 104, "", {150, 160}, {2, 3, 200, 300}});
  b.conversation({"10.0.0.5", "00:11:22:33:44:55", "10.0.0.9", "server", "tcp", 104, "dicom", {120, 155}, {1, 1, 10, 20}});
  b.conversation({"10.0.0.5", "00:11:22:33:44:55", "10.0.0.9", "client", "udp", 53, "", {150, 150}, {1, 0, 70, 0}});
  b.conversation({"10.0.0.5", "00:11:22:33:44:55", "10.0.0.1", "client", "udp", 53, "dns", {151, 152}, {1, 1, 60, 90}});
  b.service({"10.0.0.5", "00:11:22:33:44:55", "offered", "tcp", 104, {150, 160}, 1});
  b.service({"10.0.0.5", "00:11:22:33:44:55", "offered", "tcp", 104, {110, 190}, 4});
  b.service({"10.0.0.5", "00:11:22:33:44:55", "used", "udp", 53, {150, 160}, 1});
  b.observation({"10.9.9.9", "00:11:22:33:44:55", "x.y", "no binding: skipped", {1, 1}, 1});
  const Inventory inv = b.build();

  ASSERT_EQ(inv.assets.size(), 1u);
  const AssetView& a = inv.assets[0];
  EXPECT_EQ(a.id, "mac:00:11:22:33:44:55");
  EXPECT_EQ(a.first_us, 100);
  EXPECT_EQ(a.last_us, 300);
  EXPECT_EQ(a.packets_sent, 4u);
  EXPECT_EQ(a.bytes_received, 60u);
  EXPECT_EQ(a.vlans, (std::vector<std::uint16_t>{10, 20}));
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0].first_us, 140);
  EXPECT_EQ(a.addresses[0].last_us, 170);
  EXPECT_EQ(a.addresses[0].sources, (std::vector<std::string>{"arp", "dhcp", "traffic"}));
  EXPECT_EQ(a.peer_count, 2u);
  ASSERT_EQ(a.conversations.size(), 3u);  // by (peer, proto, port, role)
  EXPECT_EQ(a.conversations[0].peer, "10.0.0.1");
  EXPECT_EQ(a.conversations[0].app, "dns");
  const ConversationView& dicom = a.conversations[1];
  EXPECT_EQ(dicom.peer, "10.0.0.9");
  EXPECT_EQ(dicom.proto, "tcp");
  EXPECT_EQ(dicom.port, 104);
  EXPECT_EQ(dicom.role, "server");
  EXPECT_EQ(dicom.app, "dicom");
  EXPECT_EQ(dicom.first_us, 120);
  EXPECT_EQ(dicom.last_us, 160);
  EXPECT_EQ(dicom.packets_sent, 3u);
  EXPECT_EQ(dicom.packets_received, 4u);
  EXPECT_EQ(dicom.bytes_sent, 210u);
  EXPECT_EQ(dicom.bytes_received, 320u);
  EXPECT_EQ(a.conversations[2].role, "client");
  EXPECT_EQ(a.conversations[2].port, 53);
  EXPECT_EQ(a.conversations[2].app, "");
  ASSERT_EQ(a.offered.size(), 1u);
  EXPECT_EQ(a.offered[0].count, 5u);
  EXPECT_EQ(a.offered[0].first_us, 110);
  EXPECT_EQ(a.offered[0].last_us, 190);
  ASSERT_EQ(a.used.size(), 1u);
  EXPECT_EQ(a.used[0].port, 53);
  ASSERT_EQ(a.observations.size(), 2u);
  EXPECT_EQ(a.observations[0].key, "dhcp.hostname");
  EXPECT_EQ(a.observations[0].count, 5u);
  EXPECT_EQ(a.observations[0].first_us, 120);
  EXPECT_EQ(a.observations[0].last_us, 180);
  EXPECT_EQ(a.observations[1].key, "lldp.system_name");
}

}  // namespace
}  // namespace ww
