// The database writer thread of a live capture. The capture thread drains the tracker's deltas into a
// RowBatch (memory copies, no I/O) and hands it over; this thread writes it to SQLite in one transaction and
// then runs the periodic jobs (JSON export, status line) that read the database. So neither a slow disk nor a
// large export ever stops packet reading: the kernel ring would overflow within a quarter second at 1 Gbit/s.
//
// The hand-off is bounded (`max_pending` batches, queued or being written). A periodic flush is put off while
// it is full (the deltas stay in the tracker, bounded by its limits, and go with the next flush). A flush that
// must happen now (an eviction hands its records over) is queued past that bound while the batches in flight
// hold at most `max_forced_bytes` of memory together, so that a burst of evictions while the writer is busy
// (a periodic inventory build takes ~2 s at 100,000 devices) does not stop the capture thread; beyond that it
// waits. Both are counted in Stats::writer.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/row_batch.hpp"
#include "agent/store/sqlite_store.hpp"

namespace ww {

class BackgroundWriter final : public FlushTarget {
 public:
  // Runs on the writer thread after each committed batch, with the statistics that went with it.
  using AfterWrite = std::function<void(SqliteStore&, const Stats&)>;

  // `nice`: the writer thread's nice value (0: the process's own; the live agent uses kWriterNice).
  static constexpr int kWriterNice = 10;
  // The memory the batches in flight may hold before a flush that cannot be put off waits (docs/limits.md).
  static constexpr std::size_t kMaxForcedBytes = 32u << 20;
  BackgroundWriter(SqliteStore& store, AfterWrite after_write, std::size_t max_pending = 2, int nice = 0,
                   std::size_t max_forced_bytes = kMaxForcedBytes);
  ~BackgroundWriter() override;  // finish()es
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  // Drains the tracker into a batch and queues it, waiting only while the queue is full.
  void flush(Tracker& tracker, Stats& stats, DrainScope scope) override;
  // Whether a flush now would be queued without waiting.
  [[nodiscard]] bool has_room() const;
  // Sources go with the next batch (the same transaction as their last rows).
  void record_source(const SourceInfo& source);
  // Writes everything queued and stops the thread; the store is the caller's again afterwards.
  void finish();
  // The writer's first error (a full disk, a broken database): nothing more is written after it.
  [[nodiscard]] std::optional<std::string> error() const;
  // The caller put a periodic flush off because has_room() was false.
  void note_deferred();
  // Counters for Stats::writer.
  [[nodiscard]] Stats::Writer figures() const;

 private:
  struct Job {
    RowBatch rows;
    Stats stats;
    std::vector<SourceInfo> sources;
    std::size_t memory = 0;  // rows.reserved_bytes(), counted in in_flight_bytes_ until written
  };
  void run();
  void write(Job& job);

  SqliteStore& store_;
  AfterWrite after_write_;
  const std::size_t max_pending_;
  const std::size_t max_forced_bytes_;
  const int writer_nice_;
  mutable std::mutex mu_;
  std::condition_variable work_;   // a job was queued, or stop
  std::condition_variable room_;   // a job was written
  std::deque<std::unique_ptr<Job>> queue_;
  std::size_t in_flight_ = 0;      // queued + being written
  std::size_t in_flight_bytes_ = 0;  // their batches' memory
  std::vector<SourceInfo> pending_sources_;
  std::optional<std::string> error_;
  Stats::Writer figures_;
  bool stop_ = false;
  std::thread thread_;  // last: started once every member above exists
};

}  // namespace ww
