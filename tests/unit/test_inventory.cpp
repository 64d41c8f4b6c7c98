// Asset semantics end to end through Pipeline → SQLite → resolved inventory, on frames crafted with libtins.
#include <gtest/gtest.h>
#include <tins/tins.h>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/sqlite_store.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Tins::EthernetII;

class InventoryTest : public ::testing::Test {
 protected:
  InventoryTest() { store.begin_run("test"); }
  void feed(Tins::PDU& pdu, std::int64_t ts_s = 1) {
    const auto frame = pdu.serialize();
    pipeline.process_frame(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), ts_s * 1'000'000);
  }
  Inventory inventory() {
    pipeline.flush();
    return store.load(limits);
  }
  const AssetView& asset(const Inventory& inv, const std::string& id) {
    const AssetView* a = test::find_asset(inv, id);
    if (!a) throw std::runtime_error("no asset " + id);
    return *a;
  }

  Limits limits;
  SqliteStore store{":memory:"};
  ParserRegistry registry = make_default_registry();
  Pipeline pipeline{limits, registry, &store};
};

TEST_F(InventoryTest, GroupMacsAreNeverAssets) {
  EthernetII bcast = EthernetII("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01") / Tins::IP("255.255.255.255", "10.0.0.1") /
                     Tins::UDP(9, 9);
  EthernetII mcast = EthernetII("01:00:5e:00:00:fb", "02:00:00:00:00:01") / Tins::IP("224.0.0.251", "10.0.0.1") /
                     Tins::UDP(5353, 5353);
  EthernetII from_mcast = EthernetII("02:00:00:00:00:01", "01:80:c2:00:00:0e") / Tins::IP("10.0.0.1", "10.0.0.9") /
                          Tins::UDP(9, 9);
  feed(bcast);
  feed(mcast);
  feed(from_mcast);
  const Inventory inv = inventory();
  ASSERT_EQ(inv.assets.size(), 1u);
  EXPECT_EQ(inv.assets[0].id, "mac:02:00:00:00:00:01");
  EXPECT_TRUE(inv.assets[0].locally_administered);
  EXPECT_EQ(inv.assets[0].packets_sent, 2u);
  EXPECT_EQ(inv.assets[0].packets_received, 1u);
}

// Repeated datagrams to a group go through a flow (and its cache) like any other: every one is counted, the
// group is nobody's peer and no service. A unicast IP sent to a group MAC first (NLB clusters, DHCP to
// yiaddr) is not a group flow: the peers of its later unicast datagrams are still recorded.
TEST_F(InventoryTest, DatagramsToAGroupAreCountedWithoutPeersOrServices) {
  for (int i = 0; i < 3; ++i) {
    EthernetII mdns = EthernetII("01:00:5e:00:00:fb", "02:00:00:00:00:01") / Tins::IP("224.0.0.251", "10.0.0.1") /
                      Tins::UDP(5353, 5353);
    feed(mdns, 1 + i);
  }
  EthernetII to_group_mac = EthernetII("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:21") / Tins::IP("10.0.0.22", "10.0.0.21") /
                            Tins::UDP(4000, 4001);
  EthernetII unicast = EthernetII("00:00:00:00:00:22", "00:00:00:00:00:21") / Tins::IP("10.0.0.22", "10.0.0.21") /
                       Tins::UDP(4000, 4001);
  feed(to_group_mac, 4);
  feed(unicast, 5);
  const Inventory inv = inventory();
  const AssetView& sender = asset(inv, "mac:02:00:00:00:00:01");
  EXPECT_EQ(sender.packets_sent, 3u);
  EXPECT_EQ(sender.last_us, 3'000'000);
  EXPECT_EQ(sender.peer_count, 0u);
  EXPECT_TRUE(sender.offered.empty());
  EXPECT_TRUE(sender.used.empty());
  EXPECT_EQ(asset(inv, "mac:00:00:00:00:00:21").peer_count, 1u);
  EXPECT_EQ(asset(inv, "mac:00:00:00:00:00:22").peer_count, 1u);
}

TEST_F(InventoryTest, TcpServiceIsTheSynAckSendersPort) {
  EthernetII syn = EthernetII("00:00:00:00:00:0b", "00:00:00:00:00:0a") / Tins::IP("10.0.0.11", "10.0.0.10") /
                   Tins::TCP(104, 40000);
  syn.rfind_pdu<Tins::TCP>().flags(Tins::TCP::SYN);
  EthernetII synack = EthernetII("00:00:00:00:00:0a", "00:00:00:00:00:0b") / Tins::IP("10.0.0.10", "10.0.0.11") /
                      Tins::TCP(40000, 104);
  synack.rfind_pdu<Tins::TCP>().flags(Tins::TCP::SYN | Tins::TCP::ACK);
  feed(syn);
  feed(synack, 2);
  const Inventory inv = inventory();
  const AssetView& server = asset(inv, "mac:00:00:00:00:00:0b");
  const AssetView& client = asset(inv, "mac:00:00:00:00:00:0a");
  ASSERT_EQ(server.offered.size(), 1u);
  EXPECT_EQ(server.offered[0].proto, "tcp");
  EXPECT_EQ(server.offered[0].port, 104);
  EXPECT_TRUE(server.used.empty());
  ASSERT_EQ(client.used.size(), 1u);
  EXPECT_EQ(client.used[0].port, 104);
  EXPECT_TRUE(client.offered.empty());
  EXPECT_EQ(server.peer_count, 1u);
  EXPECT_EQ(server.first_us, 1'000'000);
  EXPECT_EQ(server.last_us, 2'000'000);
}

TEST_F(InventoryTest, UdpServiceNeedsAnAnswerFromThePort) {
  EthernetII query = EthernetII("00:00:00:00:00:02", "00:00:00:00:00:01") / Tins::IP("10.0.0.2", "10.0.0.1") /
                     Tins::UDP(53, 33000);
  EthernetII answer = EthernetII("00:00:00:00:00:01", "00:00:00:00:00:02") / Tins::IP("10.0.0.1", "10.0.0.2") /
                      Tins::UDP(33000, 53);
  feed(query);
  Inventory inv = inventory();
  EXPECT_TRUE(asset(inv, "mac:00:00:00:00:00:02").offered.empty());  // unanswered: no proof
  feed(answer);
  inv = inventory();
  ASSERT_EQ(asset(inv, "mac:00:00:00:00:00:02").offered.size(), 1u);
  EXPECT_EQ(asset(inv, "mac:00:00:00:00:00:02").offered[0].port, 53);
  EXPECT_EQ(asset(inv, "mac:00:00:00:00:00:02").offered[0].proto, "udp");
}

TEST_F(InventoryTest, RouterMacDoesNotAbsorbRemoteHosts) {
  const std::string router = "00:13:7f:be:8c:ff", host = "00:24:7e:e0:1d:b5";
  // The router answers ARP for its own address.
  EthernetII arp = Tins::ARP::make_arp_reply("10.0.0.5", "10.0.0.1", host, router);
  arp.src_addr(router);
  arp.dst_addr(host);
  feed(arp);
  // Traffic from five Internet hosts arrives through the router's MAC.
  for (int i = 1; i <= 5; ++i) {
    const std::string remote = "198.51.100." + std::to_string(i);
    EthernetII in = EthernetII(host, router) / Tins::IP("10.0.0.5", remote) / Tins::TCP(50000 + i, 443);
    feed(in);
  }
  EthernetII out = EthernetII(router, host) / Tins::IP("198.51.100.1", "10.0.0.5") / Tins::TCP(443, 50001);
  feed(out);
  const Inventory inv = inventory();
  const AssetView& r = asset(inv, "mac:" + router);
  EXPECT_TRUE(r.router);
  ASSERT_EQ(r.addresses.size(), 1u);
  EXPECT_EQ(r.addresses[0].ip, "10.0.0.1");
  EXPECT_EQ(r.addresses[0].sources, std::vector<std::string>{"arp"});
  for (int i = 1; i <= 5; ++i) {
    const AssetView& remote = asset(inv, "ip:198.51.100." + std::to_string(i));
    EXPECT_FALSE(remote.mac.has_value());
    EXPECT_TRUE(remote.beyond_router);
  }
  EXPECT_EQ(asset(inv, "ip:198.51.100.1").packets_sent, 1u);
  EXPECT_EQ(asset(inv, "ip:198.51.100.1").packets_received, 1u);
  EXPECT_EQ(asset(inv, "mac:" + host).addresses.size(), 1u);
}

TEST_F(InventoryTest, FewForeignIpsDoNotMakeARouter) {
  // A host with an IPv4 and a global IPv6 address it never announced: below the router threshold.
  EthernetII v4 = EthernetII("00:00:00:00:00:01", "00:00:00:00:00:02") / Tins::IP("10.0.0.1", "10.0.0.2") / Tins::UDP(1, 2);
  EthernetII v6 = EthernetII("00:00:00:00:00:01", "00:00:00:00:00:02") / Tins::IPv6("2001:db8::1", "2001:db8::2") /
                  Tins::UDP(1, 2);
  feed(v4);
  feed(v6);
  const Inventory inv = inventory();
  const AssetView& a = asset(inv, "mac:00:00:00:00:00:02");
  EXPECT_FALSE(a.router);
  ASSERT_EQ(a.addresses.size(), 2u);
  EXPECT_EQ(a.addresses[0].ip, "10.0.0.2");
  EXPECT_EQ(a.addresses[1].ip, "2001:db8::2");
  EXPECT_EQ(a.addresses[0].sources, std::vector<std::string>{"traffic"});
}

TEST_F(InventoryTest, NeighbourSolicitationBindsIpv6AddressToMac) {
  Tins::ICMPv6 ns(Tins::ICMPv6::NEIGHBOUR_SOLICIT);
  ns.target_addr("fe80::1");
  ns.source_link_layer_addr(Tins::ICMPv6::hwaddress_type("02:77:00:00:00:15"));
  EthernetII pkt = EthernetII("33:33:ff:00:00:01", "02:77:00:00:00:15") / Tins::IPv6("ff02::1:ff00:1", "fd77::15") / ns;
  feed(pkt);
  const Inventory inv = inventory();
  const AssetView& a = asset(inv, "mac:02:77:00:00:00:15");
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0].ip, "fd77::15");
  EXPECT_EQ(a.addresses[0].sources, (std::vector<std::string>{"ndp", "traffic"}));
}

TEST_F(InventoryTest, VlansAreRecordedPerAsset) {
  EthernetII pkt = EthernetII("00:00:00:00:00:01", "00:00:00:00:00:02") / Tins::Dot1Q(42) /
                   Tins::IP("10.0.0.1", "10.0.0.2") / Tins::UDP(1, 2);
  feed(pkt);
  const Inventory inv = inventory();
  EXPECT_EQ(asset(inv, "mac:00:00:00:00:00:02").vlans, std::vector<std::uint16_t>{42});
}

TEST_F(InventoryTest, MalformedFramesAreCountedByReasonAndSkipped) {
  std::vector<std::uint8_t> frame{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0};  // IPv4 cut short
  pipeline.process_frame(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), 1);
  const Inventory inv = inventory();
  EXPECT_EQ(inv.stats.at("malformed"), 1u);
  EXPECT_EQ(inv.stats.at("malformed.truncated_ipv4_header"), 1u);
  // The sender's MAC still sent a frame: that fact is true even if its IP header is broken.
  EXPECT_NE(test::find_asset(inv, "mac:00:00:00:00:00:02"), nullptr);
}

}  // namespace
}  // namespace ww
