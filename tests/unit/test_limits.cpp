// Every limit in agent/limits.hpp, driven past its bound: the agent stays bounded and counts what it drops.
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <fstream>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/inventory_builder.hpp"
#include "agent/store/sqlite_store.hpp"
#include "agent/store/statement.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Tins::EthernetII;

std::string mac_of(int i) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "00:00:5e:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  return buf;
}
std::string ip_of(int i) { return "10." + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff); }

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { store.begin_run("test"); }
  void feed(Tins::PDU& pdu, std::int64_t ts_us) {
    const auto f = pdu.serialize();
    pipeline().process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), ts_us);
  }
  void udp(int from, int to, std::uint16_t sport, std::uint16_t dport, std::int64_t ts_us) {
    EthernetII pkt = EthernetII(mac_of(to), mac_of(from)) / Tins::IP(ip_of(to), ip_of(from)) / Tins::UDP(dport, sport);
    feed(pkt, ts_us);
  }
  Pipeline& pipeline() {
    if (!pipeline_) pipeline_ = std::make_unique<Pipeline>(limits, *registry, &store);
    return *pipeline_;
  }
  Inventory inventory() {
    pipeline().flush();
    return store.load(limits);
  }

  Limits limits;
  SqliteStore store{":memory:"};
  std::unique_ptr<ParserRegistry> registry = std::make_unique<ParserRegistry>(make_default_registry());
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(LimitsTest, MaxFlowsEvictsAndCounts) {
  limits.max_flows = 100;
  for (int i = 0; i < 1000; ++i) udp(1, 2, static_cast<std::uint16_t>(10000 + i), 53, 1'000'000 + i);
  EXPECT_LE(pipeline().tracker().flow_count(), 100u);
  EXPECT_GE(pipeline().stats()[Counter::flows_evicted], 900u);
}

TEST_F(LimitsTest, IdleFlowsExpire) {
  limits.flow_idle_timeout_s = 60;
  udp(1, 2, 1000, 53, 1'000'000);
  EXPECT_EQ(pipeline().tracker().flow_count(), 1u);
  pipeline().tracker().expire_idle_flows(1'000'000 + 61'000'000);
  EXPECT_EQ(pipeline().tracker().flow_count(), 0u);
}

TEST_F(LimitsTest, MaxAssetsEvictsFromMemoryButTheStoreKeepsEveryDevice) {
  limits.max_assets = 64;
  for (int i = 1; i <= 500; ++i) udp(i, i + 1000, 1000, 2000, 1'000'000 + i);
  EXPECT_LE(pipeline().tracker().asset_count(), 64u + 4u);
  EXPECT_GT(pipeline().stats()[Counter::assets_evicted], 0u);
  const Inventory inv = inventory();
  std::size_t macs = 0;
  for (const auto& a : inv.assets) macs += a.mac ? 1 : 0;
  EXPECT_EQ(macs, 1000u);  // flushed before eviction: nothing lost
  EXPECT_EQ(test::find_asset(inv, "mac:" + mac_of(7))->packets_sent, 1u);
}

TEST_F(LimitsTest, AnEvictionHandsOverOnlyTheChosenRecordsAndRecordsNoSource) {
  udp(1, 2, 1000, 2000, 1'000'000);
  udp(3, 4, 1000, 2000, 1'000'001);
  Tracker& tracker = pipeline().tracker();
  tracker.settle();
  tracker.macs().at(*MacAddr::parse(mac_of(1))).evicting = true;
  store.record_source(SourceInfo{"a.pcap", "pcap", 1, "EN10MB", 2, 84, 1'000'000, 1'000'001, false});
  auto count = [&](const char* table) {
    Stmt q(store.handle(), (std::string("SELECT count(*) FROM ") + table).c_str());
    return q.step() ? q.i64(0) : -1;
  };
  Stats stats;
  store.flush(tracker, stats, DrainScope::evicting);
  EXPECT_EQ(count("macs"), 1);      // only the chosen one
  EXPECT_EQ(count("bindings"), 0);  // none of them was chosen
  EXPECT_EQ(count("sources"), 0);   // a source waits for the flush that writes all of its rows
  store.flush(tracker, stats, DrainScope::all);
  EXPECT_EQ(count("macs"), 4);
  EXPECT_EQ(count("bindings"), 4);
  EXPECT_EQ(count("sources"), 1);
}

// A DHCP DISCOVER from `who` naming itself: a fact (dhcp.hostname) on its MAC record.
Tins::EthernetII dhcp_discover(int who, const std::string& hostname) {
  Tins::DHCP dhcp;
  dhcp.opcode(Tins::BootP::BOOTREQUEST);
  dhcp.htype(1);
  dhcp.hlen(6);
  dhcp.chaddr(Tins::HWAddress<6>(mac_of(who)));
  dhcp.type(Tins::DHCP::DISCOVER);
  dhcp.hostname(hostname);
  dhcp.end();
  return EthernetII("ff:ff:ff:ff:ff:ff", mac_of(who)) / Tins::IP("255.255.255.255", "0.0.0.0") /
         Tins::UDP(67, 68) / dhcp;
}

TEST_F(LimitsTest, WithoutADatabaseTheMemoryStoreIsBoundedAndKeepsDevicesWithFactsFirst) {
  limits.max_assets = 64;
  limits.max_memory_store_records = 100;
  MemorySpill spill(limits);  // what `read` without --db evicts into
  Pipeline spilling(limits, *registry, &spill);
  auto send = [&](Tins::PDU& pdu, std::int64_t ts) {
    const auto f = pdu.serialize();
    spilling.process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), ts);
  };
  std::int64_t ts = 1'000'000;
  auto traffic_only = [&](int first, int n) {
    for (int i = first; i < first + n; ++i) {
      EthernetII pkt = EthernetII(mac_of(9999), mac_of(i)) / Tins::IP(ip_of(9999), ip_of(i)) / Tins::UDP(2000, 40000);
      send(pkt, ++ts);
    }
  };
  traffic_only(1, 300);
  for (int i = 1001; i <= 1040; ++i) {
    EthernetII pkt = dhcp_discover(i, "pump-" + std::to_string(i));
    send(pkt, ++ts);
  }
  traffic_only(2001, 300);  // pushes the named devices out of the tracker too
  const Stats stats = spilling.stats();
  EXPECT_GT(stats[Counter::assets_evicted], 500u);
  EXPECT_GT(stats[Counter::assets_dropped], 300u);
  EXPECT_LE(stats[Counter::assets_dropped], stats[Counter::assets_evicted]);
  store.commit_pending();
  const Inventory inv = take_inventory(store, spilling.tracker(), limits, &spill);
  // At most the memory store's records and the tracker's: 100 + 64 (+4, the tracker's slack).
  EXPECT_LE(inv.assets.size(), 168u);
  // Of the first, traffic-only devices, those evicted while half the budget (50 records) was free are kept.
  std::size_t first_batch = 0;
  for (int i = 1; i <= 300; ++i) first_batch += test::find_asset(inv, "mac:" + mac_of(i)) != nullptr ? 1 : 0;
  EXPECT_GE(first_batch, 20u);
  EXPECT_LE(first_batch, 50u);
  for (int i = 1001; i <= 1040; ++i) {
    const AssetView* named = test::find_asset(inv, "mac:" + mac_of(i));
    ASSERT_NE(named, nullptr) << mac_of(i);
    ASSERT_FALSE(named->observations.empty());
    EXPECT_EQ(named->observations[0].value, "pump-" + std::to_string(i));
  }
}

TEST(RecordBudget, TakesAnyRecordUntilHalfThenOnlyThoseWithFactsUntilFull) {
  RecordBudget budget(4);
  EXPECT_TRUE(budget.take(false));
  EXPECT_TRUE(budget.take(false));
  EXPECT_FALSE(budget.take(false));
  EXPECT_TRUE(budget.take(true));
  EXPECT_TRUE(budget.take(true));
  EXPECT_FALSE(budget.take(true));
  EXPECT_EQ(budget.used(), 4u);
}

TEST_F(LimitsTest, MaxPeersPerAsset) {
  limits.max_peers_per_asset = 10;
  for (int i = 0; i < 50; ++i) udp(1, 100 + i, 1000, 2000, 1'000'000 + i);
  EXPECT_EQ(pipeline().stats()[Counter::peers_dropped], 40u);
  EXPECT_EQ(test::find_asset(inventory(), "mac:" + mac_of(1))->peer_count, 10u);
}

TEST_F(LimitsTest, MaxServicesPerAsset) {
  limits.max_services_per_asset = 5;
  for (int port = 1; port <= 20; ++port) {
    udp(1, 2, 40000, static_cast<std::uint16_t>(port), 1'000'000 + port * 2);
    udp(2, 1, static_cast<std::uint16_t>(port), 40000, 1'000'001 + port * 2);  // the answer makes a service
  }
  EXPECT_GT(pipeline().stats()[Counter::services_dropped], 0u);
  EXPECT_EQ(test::find_asset(inventory(), "mac:" + mac_of(2))->offered.size(), 5u);
}

TEST_F(LimitsTest, MaxVlansPerAsset) {
  limits.max_vlans_per_asset = 3;
  for (int vlan = 1; vlan <= 10; ++vlan) {
    EthernetII pkt = EthernetII(mac_of(2), mac_of(1)) / Tins::Dot1Q(static_cast<std::uint16_t>(vlan)) /
                     Tins::IP(ip_of(2), ip_of(1)) / Tins::UDP(1, 1);
    feed(pkt, vlan);
  }
  EXPECT_EQ(test::find_asset(inventory(), "mac:" + mac_of(1))->vlans.size(), 3u);
  EXPECT_GT(pipeline().stats()[Counter::vlans_dropped], 0u);
}

TEST_F(LimitsTest, ObservationsPerAssetAndValuesPerKey) {
  limits.max_observations_per_asset = 8;
  limits.max_values_per_key = 3;
  // DHCP DISCOVERs from one client announcing a new host name each time.
  for (int i = 0; i < 20; ++i) {
    Tins::DHCP dhcp;
    dhcp.opcode(Tins::BootP::BOOTREQUEST);
    dhcp.htype(1);
    dhcp.hlen(6);
    dhcp.chaddr(Tins::HWAddress<6>(mac_of(1)));
    dhcp.type(Tins::DHCP::DISCOVER);
    dhcp.hostname("host-" + std::to_string(i));
    dhcp.end();
    EthernetII pkt = EthernetII("ff:ff:ff:ff:ff:ff", mac_of(1)) / Tins::IP("255.255.255.255", "0.0.0.0") /
                     Tins::UDP(67, 68) / dhcp;
    feed(pkt, 1'000'000 + i);
  }
  const Inventory inv = inventory();
  std::size_t hostnames = 0;
  for (const auto& o : test::find_asset(inv, "mac:" + mac_of(1))->observations) hostnames += o.key == "dhcp.hostname";
  EXPECT_EQ(hostnames, 3u);
  EXPECT_EQ(inv.stats.at("observations_dropped"), 17u);
}

// A stream parser that claims every stream and never consumes: drives the buffer limit.
class GreedyStreamParser final : public StreamParser {
 public:
  class Session final : public StreamSession {
   public:
    ParseStatus on_data(StreamDir, Bytes, std::size_t& consumed, ObservationSink&) override {
      consumed = 0;
      return ParseStatus::need_more;
    }
  };
  const ParserSpec& spec() const override { return spec_; }
  bool probe(StreamDir, Bytes first) const override { return !first.empty() && first[0] == 'G'; }
  std::unique_ptr<StreamSession> open(const StreamMeta&) const override { return std::make_unique<Session>(); }

 private:
  ParserSpec spec_{"greedy", Transport::tcp, {}, {}, {}};
};

// A stream idle past its timeout gives its parser state back while its flow stays; when the connection
// resumes, it is followed again (a mid-stream join).
TEST_F(LimitsTest, IdleStreamsAreFreedBeforeTheirFlows) {
  registry = std::make_unique<ParserRegistry>();
  registry->add(std::make_unique<GreedyStreamParser>());
  limits.stream_idle_timeout_s = 30;
  limits.flow_idle_timeout_s = 300;
  auto segment = [&](std::uint32_t seq, std::int64_t ts_us) {
    Tins::TCP tcp(2575, 40000);
    tcp.seq(seq);
    tcp.flags(Tins::TCP::ACK | Tins::TCP::PSH);
    EthernetII pkt = EthernetII(mac_of(2), mac_of(1)) / Tins::IP(ip_of(2), ip_of(1)) / tcp / Tins::RawPDU("G-data");
    feed(pkt, ts_us);
  };
  segment(1, 1'000'000);
  EXPECT_EQ(pipeline().active_streams(), 1u);
  pipeline().tracker().expire_idle_flows(1'000'000 + 29'000'000);  // not yet
  EXPECT_EQ(pipeline().active_streams(), 1u);
  pipeline().tracker().expire_idle_flows(1'000'000 + 31'000'000);
  EXPECT_EQ(pipeline().active_streams(), 0u);
  EXPECT_EQ(pipeline().tracker().flow_count(), 1u);
  segment(7, 40'000'000);  // the connection resumes
  EXPECT_EQ(pipeline().active_streams(), 1u);
}

TEST_F(LimitsTest, StreamBufferAndStreamCountLimits) {
  registry = std::make_unique<ParserRegistry>();
  registry->add(std::make_unique<GreedyStreamParser>());
  limits.max_stream_buffer_bytes = 4096;
  limits.max_streams = 3;
  const std::string chunk = "G" + std::string(999, 'x');
  auto segment = [&](int conn, int seg) {
    Tins::TCP tcp(2575, static_cast<std::uint16_t>(40000 + conn));
    tcp.seq(static_cast<std::uint32_t>(1 + seg * 1000));
    tcp.flags(Tins::TCP::ACK | Tins::TCP::PSH);
    EthernetII pkt = EthernetII(mac_of(2), mac_of(1)) / Tins::IP(ip_of(2), ip_of(1)) / tcp / Tins::RawPDU(chunk);
    feed(pkt, 1'000'000 + conn * 100 + seg);
  };
  for (int conn = 0; conn < 5; ++conn) segment(conn, 0);  // five streams at once: three are followed
  EXPECT_EQ(pipeline().active_streams(), 3u);
  EXPECT_EQ(pipeline().stats()[Counter::streams_evicted], 2u);  // each segment of a stream not followed
  for (int conn = 0; conn < 3; ++conn) {
    for (int seg = 1; seg < 10; ++seg) segment(conn, seg);  // the buffer fills on the 5th: the stream is given up
  }
  EXPECT_EQ(pipeline().stats().anomalies.at("stream.buffer_limit_reached"), 3u);
  EXPECT_EQ(pipeline().active_streams(), 0u);  // given up streams are freed...
  EXPECT_EQ(pipeline().stats()[Counter::streams_evicted], 2u);  // ...and their connections not followed again
  for (int conn = 3; conn < 5; ++conn) segment(conn, 1);  // room again: the two others are followed now
  EXPECT_EQ(pipeline().active_streams(), 2u);
  EXPECT_EQ(pipeline().stats()[Counter::streams_evicted], 2u);
}

TEST_F(LimitsTest, RouterThresholdIsConfigurable) {
  limits.router_min_foreign_ips = 2;
  for (int i = 0; i < 2; ++i) {
    EthernetII pkt = EthernetII(mac_of(1), mac_of(9)) / Tins::IP(ip_of(1), "203.0.113." + std::to_string(i + 1)) /
                     Tins::UDP(1, 1);
    feed(pkt, 1'000'000 + i);
  }
  const Inventory inv = inventory();
  EXPECT_TRUE(test::find_asset(inv, "mac:" + mac_of(9))->router);
  EXPECT_NE(test::find_asset(inv, "ip:203.0.113.1"), nullptr);
}

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Memory is bounded by the limits, not by the capture's length: a fixed set of hosts opening new flows
// forever must reach a plateau.
TEST_F(LimitsTest, MemoryPlateausForAFixedSetOfHosts) {
  limits.max_flows = 20'000;
  std::vector<std::vector<std::uint8_t>> frames;
  for (int h = 0; h < 50; ++h) {
    EthernetII pkt = EthernetII(mac_of(1000 + h), mac_of(h)) / Tins::IP(ip_of(1000 + h), ip_of(h)) / Tins::UDP(53, 1);
    frames.push_back(pkt.serialize());
  }
  auto run = [&](int rounds, int offset) {
    for (int r = 0; r < rounds; ++r) {
      for (auto& f : frames) {
        const std::uint16_t sport = static_cast<std::uint16_t>(1024 + (r + offset) % 60000);
        f[34] = static_cast<std::uint8_t>(sport >> 8);  // new source port: a new flow each time
        f[35] = static_cast<std::uint8_t>(sport);
        pipeline().process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), 1'000'000 + r);
      }
    }
  };
  run(2000, 0);  // 100k packets: fills the flow table
  const long after_fill = resident_kib();
  run(8000, 2000);  // 400k more packets
  const long after_more = resident_kib();
  EXPECT_LE(pipeline().tracker().flow_count(), limits.max_flows);
  EXPECT_EQ(pipeline().tracker().asset_count(), 200u);  // 100 MACs + 100 bindings
  EXPECT_LT(after_more - after_fill, 8 * 1024) << "RSS grew from " << after_fill << " KiB to " << after_more << " KiB";
}

}  // namespace
}  // namespace ww
