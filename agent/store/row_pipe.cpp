#include "agent/store/row_pipe.hpp"

#include <system_error>
#include <thread>
#include <utility>

#include "wardwatch/thread_name.hpp"

namespace ww {

void RowPipe::push() {
  std::unique_lock lock(mu_);
  room_.wait(lock, [&] { return queue_.size() < max_batches_ || consumer_gone_; });
  if (consumer_gone_) throw Stopped{};
  queue_.push_back(std::move(batch_));
  batch_ = RowBatch();  // a batch encodes each owner once per run of rows: the next one starts afresh
  ready_.notify_one();
}

void RowPipe::close(std::exception_ptr error) {
  std::lock_guard lock(mu_);
  closed_ = true;
  error_ = std::move(error);
  ready_.notify_one();
}

void RowPipe::consume(RowSink& sink) {
  for (;;) {
    RowBatch next;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
      if (queue_.empty()) return;  // closed, and every batch replayed
      next = std::move(queue_.front());
      queue_.pop_front();
      room_.notify_one();
    }
    next.replay(sink);
  }
}

void RowPipe::stop_producer() {
  std::lock_guard lock(mu_);
  consumer_gone_ = true;
  room_.notify_all();
}

void RowPipe::run(const std::function<void(RowSink&)>& produce, RowSink& sink, std::size_t rows_per_batch,
                  std::size_t max_batches) {
  RowPipe pipe(rows_per_batch, max_batches);
  std::thread producer;
  try {
    producer = std::thread([&pipe, &produce] {
      name_this_thread("ww-load");
      std::exception_ptr error;
      try {
        produce(pipe);
      } catch (...) {
        error = std::current_exception();
      }
      try {  // the rows before an error too: the consumer sees every row the producer gave
        if (pipe.batch_.rows() > 0) pipe.push();
      } catch (...) {  // Stopped: the consumer failed first
        if (!error) error = std::current_exception();
      }
      pipe.close(error);
    });
  } catch (const std::system_error&) {  // no thread to be had: the rows go straight to the sink
    produce(sink);
    return;
  }
  try {
    pipe.consume(sink);
  } catch (...) {
    pipe.stop_producer();
    producer.join();
    throw;
  }
  producer.join();
  if (pipe.error_) std::rethrow_exception(pipe.error_);
}

}  // namespace ww
