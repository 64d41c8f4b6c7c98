// The prefetching reader must hand out exactly what libpcap reads, in order, however the batches fall.
#include <gtest/gtest.h>

#include <vector>

#include "agent/capture/prefetch_reader.hpp"
#include "tests/support/run_capture.hpp"

namespace ww {
namespace {

struct Packet {
  std::vector<std::uint8_t> bytes;
  std::uint32_t wire_len;
  std::int64_t ts_us;
  bool operator==(const Packet&) const = default;
};

struct ReadResult {
  std::vector<Packet> packets;
  PcapSource::Next end;
};

template <typename Source>
ReadResult drain(Source& source) {
  ReadResult r;
  CapturedPacket pkt;
  while ((r.end = source.next(pkt)) == PcapSource::Next::packet) {
    r.packets.push_back({{pkt.data.begin(), pkt.data.end()}, pkt.wire_len, pkt.ts_us});
  }
  return r;
}

ReadResult read_direct(const std::string& path) {
  PcapSource src = PcapSource::open_file(path);
  return drain(src);
}

ReadResult read_prefetched(const std::string& path, std::size_t batch_bytes, std::size_t max_batches) {
  PcapSource src = PcapSource::open_file(path);
  PrefetchReader reader(src, batch_bytes, max_batches);
  return drain(reader);
}

TEST(PrefetchReader, HandsOutTheSamePacketsInOrderForAnyBatchSize) {
  const std::string path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");
  const ReadResult direct = read_direct(path);
  ASSERT_GT(direct.packets.size(), 300u);
  ASSERT_EQ(direct.end, PcapSource::Next::end);
  // 4 KiB batches force a batch boundary every few packets and a reader that waits on the consumer.
  for (const auto& [batch, count] : {std::pair<std::size_t, std::size_t>{4096, 2}, {64 * 1024, 3}, {1 << 20, 6}}) {
    const ReadResult prefetched = read_prefetched(path, batch, count);
    EXPECT_EQ(prefetched.end, PcapSource::Next::end) << "batch " << batch;
    ASSERT_EQ(prefetched.packets.size(), direct.packets.size()) << "batch " << batch;
    EXPECT_TRUE(prefetched.packets == direct.packets) << "batch " << batch;
  }
}

TEST(PrefetchReader, ReportsATruncatedCaptureAfterItsLastWholePacket) {
  const std::string path = test::repo_file("tests/fixtures/lab/hospital-lab-truncated.pcap");
  const ReadResult direct = read_direct(path);
  ASSERT_EQ(direct.end, PcapSource::Next::truncated);
  PcapSource src = PcapSource::open_file(path);
  PrefetchReader reader(src, 4096, 2);
  const ReadResult prefetched = drain(reader);
  EXPECT_EQ(prefetched.end, PcapSource::Next::truncated);
  EXPECT_TRUE(prefetched.packets == direct.packets);
  EXPECT_NE(reader.last_error().find("truncated"), std::string::npos) << reader.last_error();
  CapturedPacket pkt;
  EXPECT_EQ(reader.next(pkt), PcapSource::Next::truncated) << "the end is sticky";
}

TEST(PrefetchReader, StopsCleanlyWhenTheConsumerGivesUpEarly) {
  PcapSource src = PcapSource::open_file(test::repo_file("tests/fixtures/lab/hospital-lab.pcap"));
  PrefetchReader reader(src, 4096, 2);  // the reader fills both batches and waits for a free one
  CapturedPacket pkt;
  ASSERT_EQ(reader.next(pkt), PcapSource::Next::packet);
  // Leaving the scope must stop and join the reader thread (a hang here fails by CTest timeout).
}

TEST(PrefetchReader, ReportsProgressThroughTheFile) {
  const std::string path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");
  PcapSource src = PcapSource::open_file(path);
  const std::uint64_t size = src.file_size();
  PrefetchReader reader(src, 4096, 2);
  drain(reader);
  EXPECT_EQ(reader.file_offset(), size);
}

}  // namespace
}  // namespace ww
