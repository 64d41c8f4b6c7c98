// Hostile traffic (issue 17): floods and scans keep the tracker bounded and are reported once; real devices
// that speak during a flood still become records; a SYN costs no stream; all stream buffers share a budget.
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <array>
#include <cstring>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/sqlite_store.hpp"

namespace ww {
namespace {

using Tins::EthernetII;

// A TCP SYN (IEEE 802.3 / RFC 791 / RFC 9293, 54 bytes) from source number `i`: a locally administered MAC
// and an address of 100.64.0.0/10 derived from it. Built by hand so that a million cost little.
std::array<std::uint8_t, 54> syn_from(std::uint32_t i, const std::array<std::uint8_t, 6>& server_mac,
                                      std::array<std::uint8_t, 4> server_ip) {
  std::array<std::uint8_t, 54> f{};
  std::memcpy(f.data(), server_mac.data(), 6);
  const std::uint8_t src_mac[6] = {0x02, 0xee, static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
                                   static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  std::memcpy(f.data() + 6, src_mac, 6);
  f[12] = 0x08;                                        // IPv4
  f[14] = 0x45, f[16] = 0, f[17] = 40, f[22] = 64, f[23] = 6;  // v4, IHL 5, length 40, TTL 64, TCP
  f[26] = static_cast<std::uint8_t>(100 + ((i >> 22) & 63)), f[27] = static_cast<std::uint8_t>(64 | ((i >> 16) & 63));
  f[28] = static_cast<std::uint8_t>(i >> 8), f[29] = static_cast<std::uint8_t>(i);
  std::memcpy(f.data() + 30, server_ip.data(), 4);
  f[34] = 0xc0, f[35] = 0x01, f[36] = 0x01, f[37] = 0xbb;  // ports 49153 -> 443
  f[46] = 5 << 4, f[47] = 0x02, f[48] = 0x02;             // data offset 5, SYN, window 512
  return f;
}

class FloodTest : public ::testing::Test {
 protected:
  void SetUp() override { store.begin_run("test"); }
  Pipeline& pipeline() {
    if (!pipeline_) pipeline_ = std::make_unique<Pipeline>(limits, *registry, &store);
    return *pipeline_;
  }
  void feed(Tins::PDU& pdu, std::int64_t ts_us) {
    const auto f = pdu.serialize();
    pipeline().process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), ts_us);
  }
  void feed(std::span<const std::uint8_t> f, std::int64_t ts_us) {
    pipeline().process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), ts_us);
  }
  // Two real hosts that talk (a client and the server the flood will hit).
  void real_conversation(std::int64_t ts_us) {
    EthernetII a = EthernetII(kServerMac, kClientMac) / Tins::IP("10.0.0.10", "10.0.0.20") / Tins::UDP(53, 40000);
    EthernetII b = EthernetII(kClientMac, kServerMac) / Tins::IP("10.0.0.20", "10.0.0.10") / Tins::UDP(40000, 53);
    feed(a, ts_us);
    feed(b, ts_us + 10);
  }
  bool has_mac(const std::string& mac) { return pipeline().tracker().macs().contains(*MacAddr::parse(mac)); }

  inline static const std::string kServerMac = "00:00:5e:00:00:0a";
  inline static const std::string kClientMac = "00:00:5e:00:00:14";
  static constexpr std::array<std::uint8_t, 6> kServerMacBytes{0x00, 0x00, 0x5e, 0x00, 0x00, 0x0a};
  static constexpr std::array<std::uint8_t, 4> kServerIp{10, 0, 0, 10};
  static constexpr std::int64_t kStart = 1'700'000'000'000'000;

  Limits limits;
  SqliteStore store{":memory:"};
  std::unique_ptr<ParserRegistry> registry = std::make_unique<ParserRegistry>(make_default_registry());
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(FloodTest, AMillionSynSourcesLeaveOnlyTheRealDevicesAndOneReport) {
  real_conversation(kStart);
  constexpr std::uint32_t kSources = 1'000'000;
  for (std::uint32_t i = 0; i < kSources; ++i) {
    const auto f = syn_from(i, kServerMacBytes, kServerIp);
    feed(f, kStart + 1000 + i);  // one per microsecond: a million per second
  }
  real_conversation(kStart + 2'000'000);
  Tracker& t = pipeline().tracker();
  // Bounded whatever the flood: the two real hosts (a MAC and a binding each); the first second's one-packet
  // records were purged when probation began, the rest were never made.
  EXPECT_EQ(t.macs().size(), 2u);
  EXPECT_EQ(t.bindings().size(), 2u);
  EXPECT_LE(t.flow_count(), 2u);
  EXPECT_EQ(pipeline().active_streams(), 0u);
  const Stats& st = pipeline().stats();
  EXPECT_EQ(st[Counter::admission_episodes], 1u);
  EXPECT_GE(st[Counter::admission_held], kSources - limits.flood_new_sources_per_s);
  EXPECT_EQ(st[Counter::admission_admitted], 0u);
  EXPECT_GT(st[Counter::admission_purged], 0u);
  EXPECT_TRUE(st.floods.empty());  // reported when it ends, once
  pipeline().end_of_input();
  ASSERT_EQ(st.floods.size(), 1u);
  const FloodEpisode& e = st.floods[0];
  EXPECT_EQ(e.kind, "syn_flood");
  EXPECT_GE(e.sources, kSources - limits.flood_new_sources_per_s);
  EXPECT_GE(e.peak_per_s, 900'000u);
  EXPECT_EQ(e.vlan, -1);
  EXPECT_EQ(e.sample.size(), 8u);
  EXPECT_EQ(e.sample[0].rfind("100.", 0), 0u) << e.sample[0];  // "ip mac" of a flooding source
  EXPECT_GE(e.start_us, kStart);
  EXPECT_LE(e.end_us, kStart + 2'000'000);
  EXPECT_EQ(st.anomalies.at("flood.syn_flood"), 1u);
  // And the store keeps it for the JSON.
  pipeline().flush();
  store.write_run_stats(st);
  const Inventory inv = store.load(limits);
  ASSERT_EQ(inv.floods.size(), 1u);
  EXPECT_EQ(inv.floods[0].kind, "syn_flood");
  EXPECT_EQ(inv.floods[0].sample, e.sample);
  EXPECT_EQ(inv.assets.size(), 2u);
}

TEST_F(FloodTest, ARealDeviceSpeakingDuringAFloodIsAdmittedAtItsSecondPacket) {
  real_conversation(kStart);
  for (std::uint32_t i = 0; i < 5000; ++i) feed(syn_from(i, kServerMacBytes, kServerIp), kStart + 1000 + i);
  ASSERT_TRUE(pipeline().stats()[Counter::admission_episodes] == 1);
  const std::string newcomer = "00:00:5e:00:00:99";
  EthernetII first = EthernetII(kServerMac, newcomer) / Tins::IP("10.0.0.10", "10.0.0.99") / Tins::UDP(53, 41000);
  feed(first, kStart + 7000);
  EXPECT_FALSE(has_mac(newcomer));  // one packet: held
  EthernetII second = EthernetII(kServerMac, newcomer) / Tins::IP("10.0.0.10", "10.0.0.99") / Tins::UDP(53, 41001);
  feed(second, kStart + 8000);
  EXPECT_TRUE(has_mac(newcomer));  // it came back: a device
  EXPECT_EQ(pipeline().stats()[Counter::admission_admitted], 1u);
}

TEST_F(FloodTest, AnIdentityFactAdmitsAHeldSourceAtOnce) {
  real_conversation(kStart);
  for (std::uint32_t i = 0; i < 5000; ++i) feed(syn_from(i, kServerMacBytes, kServerIp), kStart + 1000 + i);
  const std::string pump = "00:00:5e:00:00:77";
  Tins::DHCP dhcp;
  dhcp.type(Tins::DHCP::REQUEST);
  dhcp.chaddr(Tins::HWAddress<6>(pump));
  dhcp.hostname("pump-7");
  dhcp.end();
  EthernetII pkt = EthernetII(std::string("ff:ff:ff:ff:ff:ff"), pump) / Tins::IP("255.255.255.255", "0.0.0.0") /
                   Tins::UDP(67, 68) / dhcp;
  feed(pkt, kStart + 7000);
  ASSERT_TRUE(has_mac(pump));
  const auto& rec = pipeline().tracker().macs().find(*MacAddr::parse(pump))->second;
  bool hostname = false;
  for (const auto& o : rec.observations.items()) hostname |= o.value() == "pump-7";
  EXPECT_TRUE(hostname);
}

TEST_F(FloodTest, ABusyStartIsCountedNotReported) {
  // 3,000 devices appear within a second (an agent starting on a large network) and each speaks again.
  real_conversation(kStart);
  for (int round = 0; round < 3; ++round) {
    for (std::uint32_t i = 0; i < 3000; ++i) {
      feed(syn_from(i, kServerMacBytes, kServerIp), kStart + 1000 + round * 300'000 + i * 50);
    }
  }
  pipeline().end_of_input();
  const Stats& st = pipeline().stats();
  EXPECT_EQ(st[Counter::admission_episodes], 1u);
  EXPECT_GT(st[Counter::admission_admitted], 900u);
  EXPECT_TRUE(st.floods.empty());
  EXPECT_FALSE(st.anomalies.contains("flood.syn_flood"));
  EXPECT_EQ(pipeline().tracker().macs().size(), 3002u);  // every one of them is a device
}

TEST_F(FloodTest, AScanIsReportedWithItsScanner) {
  real_conversation(kStart);
  for (int i = 0; i < 20'000; ++i) {
    const std::string target = "10.1." + std::to_string(i >> 8) + "." + std::to_string(i & 0xff);
    Tins::TCP tcp(80, static_cast<std::uint16_t>(30000 + (i & 0x3fff)));
    tcp.flags(Tins::TCP::SYN);
    EthernetII pkt = EthernetII(kServerMac, kClientMac) / Tins::IP(target, "10.0.0.20") / tcp;
    feed(pkt, kStart + 1000 + i * 5);
  }
  EXPECT_LT(pipeline().tracker().bindings().size(), 10u);  // the targets that never answered are no assets
  pipeline().end_of_input();
  const Stats& st = pipeline().stats();
  ASSERT_EQ(st.floods.size(), 1u);
  EXPECT_EQ(st.floods[0].kind, "scan");
  ASSERT_FALSE(st.floods[0].sample.empty());
  EXPECT_EQ(st.floods[0].sample[0], "10.0.0.20 00:00:5e:00:00:14");
}

TEST_F(FloodTest, ARoutedFloodFromRandomAddressesMakesNoBindings) {
  // The flood comes through a router: one known MAC, random source addresses behind it.
  const std::string router = "00:00:5e:00:00:01";
  EthernetII own = EthernetII(kServerMac, router) / Tins::IP("10.0.0.10", "10.0.0.1") / Tins::UDP(123, 123);
  feed(own, kStart);
  feed(own, kStart + 5);  // (a one-packet record of the second that starts probation would be purged)
  real_conversation(kStart + 10);
  for (int i = 0; i < 10'000; ++i) {
    const std::string src = "198.18." + std::to_string(i >> 8) + "." + std::to_string(i & 0xff);
    Tins::TCP syn(443, static_cast<std::uint16_t>(1024 + i));
    syn.flags(Tins::TCP::SYN);
    EthernetII pkt = EthernetII(kServerMac, router) / Tins::IP("10.0.0.10", src) / syn;
    feed(pkt, kStart + 1000 + i * 10);
  }
  EXPECT_EQ(pipeline().tracker().bindings().size(), 3u);  // the router's own, the client's, the server's
  pipeline().end_of_input();
  ASSERT_EQ(pipeline().stats().floods.size(), 1u);
  EXPECT_EQ(pipeline().stats().floods[0].kind, "syn_flood");
}

TEST_F(FloodTest, AnAdmittedDeviceKeepsItsFirstAddress) {
  real_conversation(kStart);
  for (std::uint32_t i = 0; i < 5000; ++i) feed(syn_from(i, kServerMacBytes, kServerIp), kStart + 1000 + i);
  const std::string laptop = "00:00:5e:00:00:42";
  for (int n = 0; n < 2; ++n) {
    EthernetII pkt = EthernetII(kServerMac, laptop) / Tins::IP("10.0.0.10", "10.0.0.42") / Tins::UDP(53, 41000 + n);
    feed(pkt, kStart + 7000 + n);
  }
  EXPECT_TRUE(pipeline().tracker().bindings().contains(BindingKey{*IpAddr::parse("10.0.0.42"), *MacAddr::parse(laptop)}));
}

TEST_F(FloodTest, AnEpisodeEndsAfterThreeQuietSeconds) {
  real_conversation(kStart);
  for (std::uint32_t i = 0; i < 5000; ++i) feed(syn_from(i, kServerMacBytes, kServerIp), kStart + 1000 + i);
  for (int s = 1; s <= 5; ++s) real_conversation(kStart + s * 1'000'000);
  EXPECT_EQ(pipeline().stats().floods.size(), 1u);  // closed by the quiet, before the end of input
  const std::string later = "00:00:5e:00:00:55";
  EthernetII pkt = EthernetII(kServerMac, later) / Tins::IP("10.0.0.10", "10.0.0.55") / Tins::UDP(53, 41000);
  feed(pkt, kStart + 6'000'000);
  EXPECT_TRUE(has_mac(later));  // no probation any more: a record at its first packet
}

TEST_F(FloodTest, ASynCostsNoStream) {
  limits.max_streams = 10;
  real_conversation(kStart);
  for (int i = 0; i < 1000; ++i) {  // a port scan of the server by a known host: SYN, SYN+ACK, RST
    Tins::TCP syn(static_cast<std::uint16_t>(1 + i), 50000);
    syn.flags(Tins::TCP::SYN);
    EthernetII a = EthernetII(kServerMac, kClientMac) / Tins::IP("10.0.0.10", "10.0.0.20") / syn;
    feed(a, kStart + 1000 + i * 10);
  }
  EXPECT_EQ(pipeline().active_streams(), 0u);
  EXPECT_EQ(pipeline().stats()[Counter::streams_evicted], 0u);
  // A connection that carries HL7 afterwards is followed and parsed from its handshake.
  Tins::TCP syn(2575, 51000);
  syn.flags(Tins::TCP::SYN);
  syn.seq(1000);
  EthernetII s = EthernetII(kServerMac, kClientMac) / Tins::IP("10.0.0.10", "10.0.0.20") / syn;
  feed(s, kStart + 100'000);
  Tins::TCP synack(51000, 2575);
  synack.flags(Tins::TCP::SYN | Tins::TCP::ACK);
  synack.seq(5000);
  synack.ack_seq(1001);
  EthernetII sa = EthernetII(kClientMac, kServerMac) / Tins::IP("10.0.0.20", "10.0.0.10") / synack;
  feed(sa, kStart + 100'010);
  EXPECT_EQ(pipeline().active_streams(), 0u);
  Tins::TCP data(2575, 51000);
  data.flags(Tins::TCP::ACK | Tins::TCP::PSH);
  data.seq(1001);
  const std::string msh = "\x0bMSH|^~\\&|PUMPGW|ICU|LIS|LAB|20260101120000||ORU^R01|1|P|2.5\r\x1c\r";
  EthernetII d = EthernetII(kServerMac, kClientMac) / Tins::IP("10.0.0.10", "10.0.0.20") / data / Tins::RawPDU(msh);
  feed(d, kStart + 100'020);
  const auto& client =
      pipeline().tracker().bindings().find(BindingKey{*IpAddr::parse("10.0.0.20"), *MacAddr::parse(kClientMac)})->second;
  bool hl7 = false;
  for (const auto& o : client.observations.items()) hl7 |= o.key().starts_with("hl7.");
  EXPECT_TRUE(hl7);
}

TEST_F(FloodTest, StreamBuffersShareOneBudget) {
  limits.max_stream_buffer_total_bytes = 16 * 1024;
  const std::string chunk = "G" + std::string(999, 'x');  // a probe-claimed HL7 stream that never ends a message
  auto segment = [&](int conn, int seg) {
    Tins::TCP tcp(2575, static_cast<std::uint16_t>(40000 + conn));
    tcp.seq(static_cast<std::uint32_t>(1 + seg * 1000));
    tcp.flags(Tins::TCP::ACK | Tins::TCP::PSH);
    EthernetII pkt = EthernetII(kServerMac, kClientMac) / Tins::IP("10.0.0.10", "10.0.0.20") / tcp /
                     Tins::RawPDU(seg == 0 ? "\x0bMSH|^~\\&|" + chunk.substr(10) : chunk);
    feed(pkt, kStart + conn * 100 + seg);
  };
  real_conversation(kStart - 10);
  for (int seg = 0; seg < 8; ++seg) {
    for (int conn = 0; conn < 6; ++conn) segment(conn, seg);
  }
  const Stats& st = pipeline().stats();
  EXPECT_GT(st[Counter::stream_budget_hits], 0u);
  EXPECT_GT(st.anomalies.at("stream.memory_budget_reached"), 0u);
  // Within the budget plus one stream's growth (a vector's capacity may double).
  EXPECT_LE(pipeline().stream_buffered_bytes(), limits.max_stream_buffer_total_bytes + 16 * 1024);
}

}  // namespace
}  // namespace ww
