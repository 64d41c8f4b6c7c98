// Reads a capture file on a background thread, in batches, so that the kernel's copy out of the page cache,
// libpcap's record parsing and the L2–L4 decode run on one core while the pipeline processes packets on the
// other. Packets are handed out in file order, so the result is identical to reading the file directly.
//
// Memory is bounded: at most `max_batches` batches of about `batch_bytes` each exist at any time; the
// reader waits when they are all full. A batch is released (for reuse) when the consumer asks for the
// first packet of the next one, so a packet's bytes stay valid until the following call to next().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/capture/pcap_source.hpp"
#include "agent/decode/decoder.hpp"

namespace ww {

class PrefetchReader {
 public:
  static constexpr std::size_t kDefaultBatchBytes = 1 << 20;
  static constexpr std::size_t kDefaultMaxBatches = 6;

  // Starts reading `source` (which must outlive this object and not be used by anyone else meanwhile).
  explicit PrefetchReader(PcapSource& source, std::size_t batch_bytes = kDefaultBatchBytes,
                          std::size_t max_batches = kDefaultMaxBatches);
  ~PrefetchReader();  // stops the reader thread and waits for it
  PrefetchReader(const PrefetchReader&) = delete;
  PrefetchReader& operator=(const PrefetchReader&) = delete;

  // Same contract as PcapSource::next for files: packet, then end / truncated / error once.
  PcapSource::Next next(CapturedPacket& out);
  // The packet next() returned last, decoded (decode_for_pipeline with the source's link type).
  [[nodiscard]] const DecodedFrame& decoded() const { return current_->frames[position_ - 1]; }
  // The packet `ahead` places after it, if it is already in memory (for prefetching); else null.
  [[nodiscard]] const DecodedFrame* peek(std::size_t ahead) const {
    const std::size_t at = position_ - 1 + ahead;
    return current_ && at < current_->frames.size() ? &current_->frames[at] : nullptr;
  }
  // The error text that came with a truncated/error end (valid once next() returned it).
  [[nodiscard]] const std::string& last_error() const { return end_error_; }
  // How far the reader thread has read the file (for progress bars).
  [[nodiscard]] std::uint64_t file_offset() const { return offset_.load(std::memory_order_relaxed); }

 private:
  struct Record {
    std::uint32_t offset, caplen, wire_len;
    std::int64_t ts_us;
  };
  struct Batch {
    std::vector<std::uint8_t> bytes;
    std::vector<Record> records;
    std::vector<DecodedFrame> frames;  // records[i] decoded; filled once the bytes are complete
    bool last = false;  // the source ended after these records
    PcapSource::Next end = PcapSource::Next::end;
    std::string error;
  };

  void read_loop();
  void decode(Batch& batch) const;
  std::unique_ptr<Batch> take_free_batch();  // blocks while every batch is in use; null when stopping
  void publish(std::unique_ptr<Batch> batch);
  void recycle(std::unique_ptr<Batch> batch);

  PcapSource& source_;
  const std::size_t batch_bytes_;
  std::mutex mutex_;
  std::condition_variable ready_cv_, free_cv_;
  std::deque<std::unique_ptr<Batch>> ready_;
  std::vector<std::unique_ptr<Batch>> free_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> offset_{0};

  // Consumer side (only touched by the thread calling next()).
  std::unique_ptr<Batch> current_;
  std::size_t position_ = 0;
  bool finished_ = false;
  PcapSource::Next end_ = PcapSource::Next::end;
  std::string end_error_;

  std::thread reader_;  // last: started after every member above exists
};

}  // namespace ww
