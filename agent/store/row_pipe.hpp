// Rows produced on one thread and consumed on another, in order, through a bounded queue of RowBatches: a
// load reads SQLite on a second thread while the inventory builder takes the rows already read (at 100,000
// devices the SQL reading is a third of a load, docs/performance.md).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>

#include "agent/store/row_batch.hpp"

namespace ww {

class RowPipe final : public RowSink {
 public:
  // Batches of `rows_per_batch` rows, at most `max_batches` of them waiting: the pipe holds a few MB at most,
  // whatever the size of the load.
  explicit RowPipe(std::size_t rows_per_batch = 8192, std::size_t max_batches = 4)
      : rows_per_batch_(rows_per_batch), max_batches_(max_batches) {}

  // Producer side (RowSink): rows go into the current batch, handed over when full.
  void mac(const MacRow& row) override { batch_.mac(row), handed(); }
  void vlan(std::string_view mac, std::uint16_t vlan) override { batch_.vlan(mac, vlan), handed(); }
  void binding(const BindingRow& row) override { batch_.binding(row), handed(); }
  void service(const ServiceRow& row) override { batch_.service(row), handed(); }
  void conversation(const ConversationRow& row) override { batch_.conversation(row), handed(); }
  void observation(const ObservationRow& row) override { batch_.observation(row), handed(); }

  // Runs `produce(pipe)` on a second thread and replays its rows into `sink` on this one, in order; rethrows
  // what `produce` threw, once the rows before it are replayed. Where no thread can be started, `produce`
  // runs on this thread straight into `sink`.
  static void run(const std::function<void(RowSink&)>& produce, RowSink& sink, std::size_t rows_per_batch = 8192,
                  std::size_t max_batches = 4);

 private:
  void handed() {
    if (batch_.rows() >= rows_per_batch_) push();
  }
  struct Stopped {};  // thrown into the producer when the consumer failed
  void push();        // hands the current batch over, waiting while the queue is full
  void close(std::exception_ptr error);
  void consume(RowSink& sink);  // until closed
  void stop_producer();

  const std::size_t rows_per_batch_;
  const std::size_t max_batches_;
  RowBatch batch_;  // the producer's
  std::mutex mu_;
  std::condition_variable ready_;  // a batch was queued, or the pipe closed
  std::condition_variable room_;   // a batch was taken, or the consumer stopped
  std::deque<RowBatch> queue_;
  bool closed_ = false;
  bool consumer_gone_ = false;  // the consumer failed: the producer stops at its next batch
  std::exception_ptr error_;
};

}  // namespace ww
