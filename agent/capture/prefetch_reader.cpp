#include "agent/capture/prefetch_reader.hpp"

#include <algorithm>

#include "wardwatch/thread_name.hpp"

namespace ww {

PrefetchReader::PrefetchReader(PcapSource& source, std::size_t batch_bytes, std::size_t max_batches)
    : source_(source), batch_bytes_(std::max<std::size_t>(batch_bytes, 4096)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(max_batches, 2); ++i) free_.push_back(std::make_unique<Batch>());
  reader_ = std::thread([this] { read_loop(); });
}

PrefetchReader::~PrefetchReader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  free_cv_.notify_all();
  reader_.join();
}

std::unique_ptr<PrefetchReader::Batch> PrefetchReader::take_free_batch() {
  std::unique_lock lock(mutex_);
  free_cv_.wait(lock, [this] { return stopping_ || !free_.empty(); });
  if (stopping_) return nullptr;
  auto batch = std::move(free_.back());
  free_.pop_back();
  return batch;
}

void PrefetchReader::publish(std::unique_ptr<Batch> batch) {
  {
    std::lock_guard lock(mutex_);
    ready_.push_back(std::move(batch));
  }
  ready_cv_.notify_one();
}

void PrefetchReader::recycle(std::unique_ptr<Batch> batch) {
  batch->records.clear();
  batch->bytes.clear();
  batch->last = false;
  batch->error.clear();
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(batch));
  }
  free_cv_.notify_one();
}

// Runs on the reader thread. Nothing here throws out: an allocation failure ends the stream as an error.
void PrefetchReader::read_loop() {
  name_this_thread("ww-reader");
  std::unique_ptr<Batch> batch;
  try {
    for (;;) {
      batch = take_free_batch();
      if (!batch) return;
      batch->bytes.reserve(batch_bytes_);
      CapturedPacket pkt;
      for (;;) {
        const PcapSource::Next rc = source_.next(pkt);
        if (rc != PcapSource::Next::packet) {  // files never time out: this is the end
          batch->last = true;
          batch->end = rc == PcapSource::Next::timeout ? PcapSource::Next::end : rc;
          if (rc == PcapSource::Next::truncated || rc == PcapSource::Next::error) batch->error = source_.last_error();
          break;
        }
        const std::size_t at = batch->bytes.size();
        // insert() copies without first zero-filling (resize did, a measured 5 % of the reader thread);
        // within the reservation except for a batch's last packet.
        batch->bytes.insert(batch->bytes.end(), pkt.data.begin(), pkt.data.end());
        batch->records.push_back(
            {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(pkt.data.size()), pkt.wire_len, pkt.ts_us});
        if (batch->bytes.size() >= batch_bytes_ - std::min<std::size_t>(batch_bytes_, 64 * 1024)) break;
      }
      decode(*batch);
      offset_.store(source_.file_offset(), std::memory_order_relaxed);
      const bool last = batch->last;
      publish(std::move(batch));
      if (last) return;
    }
  } catch (const std::exception& e) {
    if (!batch) batch = std::make_unique<Batch>();
    batch->last = true;
    batch->end = PcapSource::Next::error;
    batch->error = e.what();
    publish(std::move(batch));
  }
}

// After the batch's bytes are complete (the byte vector may have grown for its last packet): the views'
// spans point into it.
void PrefetchReader::decode(Batch& batch) const {
  batch.frames.resize(batch.records.size());
  const int dlt = source_.linktype();
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const Record& r = batch.records[i];
    decode_for_pipeline(dlt, Bytes(batch.bytes.data() + r.offset, r.caplen), r.wire_len, r.ts_us, batch.frames[i]);
  }
}

PcapSource::Next PrefetchReader::next(CapturedPacket& out) {
  for (;;) {
    if (current_ && position_ < current_->records.size()) {
      const Record& r = current_->records[position_++];
      out.data = Bytes(current_->bytes.data() + r.offset, r.caplen);
      out.wire_len = r.wire_len;
      out.ts_us = r.ts_us;
      return PcapSource::Next::packet;
    }
    if (finished_) return end_;
    if (current_) {
      if (current_->last) {
        finished_ = true;
        end_ = current_->end;
        end_error_ = current_->error;
      }
      recycle(std::move(current_));
      if (finished_) return end_;
    }
    std::unique_lock lock(mutex_);
    ready_cv_.wait(lock, [this] { return !ready_.empty(); });
    current_ = std::move(ready_.front());
    ready_.pop_front();
    position_ = 0;
  }
}

}  // namespace ww
