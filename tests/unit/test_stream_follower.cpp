// TCP reassembly for the stream parsers: in-order delivery despite out-of-order segments, retransmissions
// and overlaps; mid-stream joins; zero-copy parsing; service tags shared between streams.
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <string>
#include <vector>

#include "agent/pipeline/pipeline.hpp"

namespace ww {
namespace {

// Claims streams that start with 'R' and records every byte it is given, per direction.
class RecorderParser final : public StreamParser {
 public:
  struct Log {
    std::string to_server, to_client;
    std::vector<std::string> services;  // StreamMeta::server_service of each stream opened
  };
  explicit RecorderParser(Log& log) : log_(log) {}
  class Session final : public StreamSession {
   public:
    explicit Session(Log& log) : log_(log) {}
    ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
      (dir == StreamDir::to_server ? log_.to_server : log_.to_client).append(as_text(data));
      consumed = data.size();
      if (as_text(data).find("TAG") != std::string_view::npos) sink.tag_server("dicom");
      return ParseStatus::need_more;
    }

   private:
    Log& log_;
  };
  const ParserSpec& spec() const override { return spec_; }
  bool probe(StreamDir, Bytes b) const override { return !b.empty() && b[0] == 'R'; }
  std::unique_ptr<StreamSession> open(const StreamMeta& meta) const override {
    log_.services.push_back(meta.server_service);
    return std::make_unique<Session>(log_);
  }

 private:
  Log& log_;
  ParserSpec spec_{"recorder", Transport::tcp, {}, {}, {}};
};

// Claims every stream starting with 'X', naming itself in the facts; hints at the ports it is given.
constexpr FactDecl kClaimedFacts[] = {{"claimed.by", FactType::text, "", "the parser's name", "first"}};
class NamedParser final : public StreamParser {
 public:
  NamedParser(std::string name, std::vector<std::uint16_t> ports)
      : name_(std::move(name)), ports_(std::move(ports)), spec_{name_, Transport::tcp, ports_, kClaimedFacts, {}} {}
  class Session final : public StreamSession {
   public:
    explicit Session(std::string_view name) : name_(name) {}
    ParseStatus on_data(StreamDir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
      consumed = data.size();
      sink.observe(Party::sender, "claimed.by", name_);
      return ParseStatus::done;
    }

   private:
    std::string_view name_;
  };
  const ParserSpec& spec() const override { return spec_; }
  bool probe(StreamDir, Bytes b) const override { return !b.empty() && b[0] == 'X'; }
  std::unique_ptr<StreamSession> open(const StreamMeta&) const override { return std::make_unique<Session>(name_); }

 private:
  std::string name_;
  std::vector<std::uint16_t> ports_;
  ParserSpec spec_;
};

class StreamFollowerTest : public ::testing::Test {
 protected:
  StreamFollowerTest() { registry.add(std::make_unique<RecorderParser>(log)); }
  void segment(std::uint16_t client_port, bool to_server, std::uint32_t seq, const std::string& data, std::uint8_t flags) {
    Tins::TCP tcp = to_server ? Tins::TCP(2575, client_port) : Tins::TCP(client_port, 2575);
    tcp.seq(seq);
    tcp.flags(flags);
    Tins::EthernetII pkt = to_server ? Tins::EthernetII("00:00:00:00:00:02", "00:00:00:00:00:01") /
                                           Tins::IP("10.0.0.2", "10.0.0.1") / tcp
                                     : Tins::EthernetII("00:00:00:00:00:01", "00:00:00:00:00:02") /
                                           Tins::IP("10.0.0.1", "10.0.0.2") / tcp;
    if (!data.empty()) pkt /= Tins::RawPDU(data);
    const auto f = pkt.serialize();
    pipeline.process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), ++ts);
  }
  void data(std::uint16_t port, bool to_server, std::uint32_t seq, const std::string& d) {
    segment(port, to_server, seq, d, Tins::TCP::ACK | Tins::TCP::PSH);
  }

  RecorderParser::Log log;
  ParserRegistry registry;
  Limits limits;
  Pipeline pipeline{limits, registry, nullptr};
  std::int64_t ts = 1'000'000;
};

TEST_F(StreamFollowerTest, OutOfOrderRetransmittedAndOverlappingSegmentsArriveInOrderOnce) {
  segment(40000, true, 999, "", Tins::TCP::SYN);
  data(40000, true, 1000, "Rec-01234");   // bytes 1000..1008
  data(40000, true, 1019, "KLMNO");       // ahead: stashed (1019..1023)
  data(40000, true, 1009, "56789ABCDE");  // fills 1009..1018, drains the stash
  data(40000, true, 1009, "56789");       // pure retransmission: ignored
  data(40000, true, 1021, "MNOPQR");      // overlaps 1021..1023, adds PQR
  EXPECT_EQ(log.to_server, "Rec-0123456789ABCDEKLMNOPQR");
  data(40000, false, 5000, "server says hi");  // the other direction joins without a SYN
  EXPECT_EQ(log.to_client, "server says hi");
}

TEST_F(StreamFollowerTest, JoiningMidStreamStartsAtTheFirstSegmentSeen) {
  data(40001, true, 777777, "Rfirst");
  data(40001, true, 777783, "-second");
  EXPECT_EQ(log.to_server, "Rfirst-second");
}

TEST_F(StreamFollowerTest, ATaggedServerIsKnownToLaterStreams) {
  data(40002, true, 1, "R TAG: this endpoint speaks DICOM");
  data(40003, true, 1, "R a second connection to the same server endpoint");
  ASSERT_EQ(log.services.size(), 2u);
  EXPECT_EQ(log.services[0], "");
  EXPECT_EQ(log.services[1], "dicom");
}

// A connection closed both ways, or reset, frees its stream at once: the stream cap counts streams in progress,
// not every connection a flow ever had. Late segments of a finished connection are not followed again; a new
// connection on the same ports (a SYN) is.
TEST_F(StreamFollowerTest, AClosedOrResetConnectionFreesItsStream) {
  segment(40004, true, 99, "", Tins::TCP::SYN);
  data(40004, true, 100, "Rrequest");
  EXPECT_EQ(pipeline.active_streams(), 1u);
  segment(40004, true, 108, "", Tins::TCP::FIN | Tins::TCP::ACK);
  EXPECT_EQ(pipeline.active_streams(), 1u);  // half-closed: the server may still answer
  segment(40004, false, 5000, " reply", Tins::TCP::FIN | Tins::TCP::ACK | Tins::TCP::PSH);
  EXPECT_EQ(log.to_client, " reply");
  EXPECT_EQ(pipeline.active_streams(), 0u);
  data(40004, false, 5006, " late");  // after the close: not a stream any more
  EXPECT_EQ(pipeline.active_streams(), 0u);
  EXPECT_EQ(log.to_client, " reply");

  segment(40004, true, 7999, "", Tins::TCP::SYN);  // the same ports again: a new connection
  data(40004, true, 8000, "Ragain");
  EXPECT_EQ(log.to_server, "RrequestRagain");
  segment(40004, false, 9000, "", Tins::TCP::RST);
  EXPECT_EQ(pipeline.active_streams(), 0u);

  // A RST far from where its sender's bytes are (stale, or blind) does not end the stream.
  segment(40006, true, 99, "", Tins::TCP::SYN);
  data(40006, true, 100, "Rx");
  segment(40006, true, 100 + (1u << 24), "", Tins::TCP::RST);
  EXPECT_EQ(pipeline.active_streams(), 1u);
  segment(40006, true, 102, "", Tins::TCP::RST);
  EXPECT_EQ(pipeline.active_streams(), 0u);

  // The last data segment overtaken by the FINs: the stream waits for it.
  segment(40007, true, 99, "", Tins::TCP::SYN);
  data(40007, true, 100, "Rlast-");
  segment(40007, true, 110, "", Tins::TCP::FIN | Tins::TCP::ACK);  // after "late" (106..109)
  segment(40007, false, 1, "", Tins::TCP::FIN | Tins::TCP::ACK);
  EXPECT_EQ(pipeline.active_streams(), 1u);
  data(40007, true, 106, "late");
  EXPECT_EQ(pipeline.active_streams(), 0u);

  // A close with a segment still missing keeps the stream until the gap is filled.
  segment(40005, true, 99, "", Tins::TCP::SYN);
  data(40005, true, 100, "Rab");
  data(40005, true, 104, "d");  // 103 is missing
  segment(40005, true, 105, "", Tins::TCP::FIN | Tins::TCP::ACK);
  segment(40005, false, 1, "", Tins::TCP::FIN | Tins::TCP::ACK);
  EXPECT_EQ(pipeline.active_streams(), 1u);
  data(40005, true, 103, "c");
  EXPECT_EQ(log.to_server, "RrequestRagainRxRlast-lateRabcd");
}

// Port hints order the probes (never decide): a parser hinting at the server port is offered the stream
// before the ones registered ahead of it; on other ports the registry's order holds.
TEST(StreamFollowerProbes, AParserHintingAtTheServerPortIsProbedFirst) {
  ParserRegistry registry;
  registry.add(std::make_unique<NamedParser>("first", std::vector<std::uint16_t>{}));
  registry.add(std::make_unique<NamedParser>("hinted", std::vector<std::uint16_t>{2575}));
  Limits limits;
  Pipeline pipeline{limits, registry, nullptr};
  auto claimed_by = [&](std::uint16_t server_port, std::uint8_t host) {
    Tins::TCP tcp(server_port, 40000);
    tcp.flags(Tins::TCP::ACK | Tins::TCP::PSH);
    Tins::EthernetII pkt = Tins::EthernetII("00:00:00:00:00:02", std::string("00:00:00:00:00:0") + char('a' + host)) /
                           Tins::IP("10.0.0.2", "10.0.0." + std::to_string(10 + host)) / tcp / Tins::RawPDU("X-hello");
    const auto f = pkt.serialize();
    pipeline.process_frame(linktype::ethernet, f, static_cast<std::uint32_t>(f.size()), 1'000'000 + host);
    pipeline.flush();
    for (auto& [key, rec] : pipeline.tracker().bindings()) {
      if (rec.key.ip.to_string() != "10.0.0." + std::to_string(10 + host)) continue;
      for (const auto& o : rec.observations.items()) {
        if (o.key() == "claimed.by") return std::string(o.value());
      }
    }
    return std::string();
  };
  EXPECT_EQ(claimed_by(2575, 1), "hinted");
  EXPECT_EQ(claimed_by(8080, 2), "first");
}

}  // namespace
}  // namespace ww
