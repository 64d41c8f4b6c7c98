#include "agent/store/background_writer.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "wardwatch/thread_name.hpp"

namespace ww {
namespace {

std::uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

BackgroundWriter::BackgroundWriter(SqliteStore& store, AfterWrite after_write, std::size_t max_pending, int nice,
                                   std::size_t max_forced_bytes)
    : store_(store),
      after_write_(std::move(after_write)),
      max_pending_(max_pending == 0 ? 1 : max_pending),
      max_forced_bytes_(max_forced_bytes),
      writer_nice_(nice),
      thread_([this] { run(); }) {}

BackgroundWriter::~BackgroundWriter() { finish(); }

bool BackgroundWriter::has_room() const {
  std::lock_guard lock(mu_);
  return in_flight_ < max_pending_;
}

void BackgroundWriter::record_source(const SourceInfo& source) {
  std::lock_guard lock(mu_);
  pending_sources_.push_back(source);
}

void BackgroundWriter::flush(Tracker& tracker, Stats& stats, DrainScope scope) {
  auto job = std::make_unique<Job>();
  stats.writer = figures();
  // The deltas leave the tracker now, whatever the queue does (the store's budget is only used here, on the
  // capture thread).
  drain_deltas(tracker, job->rows, false, scope, store_.record_budget());
  job->stats = stats;
  job->memory = job->rows.reserved_bytes();
  std::unique_lock lock(mu_);
  // A periodic flush comes here only when has_room(); past max_pending_, a flush that cannot be put off is
  // queued while the memory in flight allows it (the first batch always: one batch is never refused).
  const auto admitted = [&] {
    return in_flight_ < max_pending_ || in_flight_bytes_ + job->memory <= max_forced_bytes_ || error_ || stop_;
  };
  if (!admitted()) {
    const auto start = std::chrono::steady_clock::now();
    room_.wait(lock, admitted);
    ++figures_.waits;
    figures_.wait_us += micros_since(start);
  }
  if (error_ || stop_) return;  // nothing can be written any more; the caller stops on error()
  if (scope == DrainScope::all) job->sources.swap(pending_sources_);
  in_flight_bytes_ += job->memory;
  queue_.push_back(std::move(job));
  ++in_flight_;
  work_.notify_one();
}

void BackgroundWriter::run() {
  name_this_thread("ww-writer");
  // The capture thread comes first: on a 2-core sensor a writer competing at equal priority (an inventory
  // build for the status line or the JSON takes a second of CPU) is what overflows the kernel ring. Linux
  // applies a nice value per thread; a failure only leaves the thread at the process's priority.
  if (writer_nice_ != 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), writer_nice_);
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    write(*job);
    const std::size_t memory = job->memory;
    job.reset();  // its rows' memory goes before room is announced
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      in_flight_bytes_ -= memory;
    }
    room_.notify_all();
  }
}

void BackgroundWriter::write(Job& job) {
  {
    std::lock_guard lock(mu_);
    if (error_) return;
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    store_.write_batch(job.rows, job.stats, job.sources);
  } catch (const StoreError& e) {
    std::lock_guard lock(mu_);
    error_ = e.what();
    return;
  }
  const std::uint64_t took = micros_since(start);
  {
    std::lock_guard lock(mu_);
    ++figures_.flushes;
    figures_.flush_us += took;
    figures_.max_flush_us = std::max(figures_.max_flush_us, took);
    job.stats.writer = figures_;  // the periodic jobs report the writer as it is now, this flush included
  }
  if (!after_write_) return;
  try {
    after_write_(store_, job.stats);
  } catch (const std::exception& e) {
    // A periodic export failing (a full disk for the JSON) must not stop the database writes.
    std::cerr << "wardwatch: warning: periodic job: " << e.what() << '\n';
  }
}

void BackgroundWriter::finish() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  work_.notify_one();
  room_.notify_all();
  thread_.join();
}

std::optional<std::string> BackgroundWriter::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void BackgroundWriter::note_deferred() {
  std::lock_guard lock(mu_);
  ++figures_.deferred;
}

Stats::Writer BackgroundWriter::figures() const {
  std::lock_guard lock(mu_);
  return figures_;
}

}  // namespace ww
