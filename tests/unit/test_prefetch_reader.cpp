// The prefetching reader must hand out exactly what libpcap reads, in order, however the batches fall.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
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

// The read() calls this process made so far (Linux /proc/self/io), or -1 where that is not available.
long long read_syscalls() {
  std::ifstream io("/proc/self/io");
  std::string name;
  long long value = 0;
  while (io >> name >> value) {
    if (name == "syscr:") return value;
  }
  return -1;
}

// A capture file is read through a large stdio buffer: with glibc's 4 KiB default the kernel time of a
// million read() calls per 4 GB was most of the reader thread's system time.
TEST(PcapSource, ReadsACaptureFileInFewSystemCalls) {
  const std::string path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");  // 117 KB
  PcapSource src = PcapSource::open_file(path);
  const long long before = read_syscalls();
  if (before < 0) GTEST_SKIP() << "/proc/self/io not readable here: cannot count read() calls";
  const ReadResult r = drain(src);
  const long long calls = read_syscalls() - before;
  ASSERT_GT(r.packets.size(), 300u);
  EXPECT_LE(calls, 4) << "a 4 KiB stdio buffer would take ~29 calls for this file";
}

// Every packet comes decoded exactly as decode_for_pipeline decodes its bytes, and peek(k) shows the packet
// that next() hands out k calls later (or nothing, past the batch in memory).
TEST(PrefetchReader, DecodesEachPacketAndShowsTheOnesAhead) {
  const std::string path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");
  PcapSource src = PcapSource::open_file(path);
  const int dlt = src.linktype();
  PrefetchReader reader(src, 128 * 1024, 2);  // batches of ~64 KiB (a 64 KiB margin is kept for the last packet)
  std::vector<DecodedFrame> decoded;
  std::vector<std::pair<std::size_t, DecodedFrame>> peeked;  // (index it should have, frame)
  CapturedPacket pkt;
  std::size_t peeks = 0;
  while (reader.next(pkt) == PcapSource::Next::packet) {
    DecodedFrame expected;
    decode_for_pipeline(dlt, pkt.data, pkt.wire_len, pkt.ts_us, expected);
    const DecodedFrame& got = reader.decoded();
    EXPECT_EQ(got.error, expected.error) << "packet " << decoded.size();
    EXPECT_EQ(got.has_flow, expected.has_flow);
    EXPECT_EQ(got.flow_hash, expected.flow_hash);
    EXPECT_EQ(got.view.ts_us, expected.view.ts_us);
    EXPECT_EQ(got.view.src_ip, expected.view.src_ip);
    EXPECT_EQ(got.view.dst_port, expected.view.dst_port);
    EXPECT_EQ(got.view.payload.size(), expected.view.payload.size());
    EXPECT_TRUE(std::equal(got.view.payload.begin(), got.view.payload.end(), expected.view.payload.begin()));
    if (const DecodedFrame* ahead = reader.peek(3)) {
      peeked.emplace_back(decoded.size() + 3, *ahead);
      ++peeks;
    }
    decoded.push_back(got);
  }
  ASSERT_GT(decoded.size(), 300u);
  EXPECT_GT(peeks, decoded.size() / 2) << "a batch holds many packets: most peeks see one";
  for (const auto& [index, frame] : peeked) {
    ASSERT_LT(index, decoded.size());
    EXPECT_EQ(frame.view.ts_us, decoded[index].view.ts_us) << "peek at " << index;
    EXPECT_EQ(frame.view.wire_len, decoded[index].view.wire_len) << "peek at " << index;
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
