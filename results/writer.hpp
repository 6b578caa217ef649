// StoreWriter: the single writer thread of a sweep. Evaluation threads push() records into a
// bounded queue and never wait on I/O unless the queue is full (backpressure keeps memory bounded);
// the writer thread commits them in batched transactions.
//
// With WriterOptions::background == false there is no thread: push() writes in the caller's thread
// (see WriterOptions); the durability and kill-safety contract below is the same.
//
// Contract:
// - push() is thread-safe. It blocks only while the queue is full. If the writer thread failed,
//   push(), flush() and close() rethrow its error.
// - A record is durable once flush() or close() has returned (or its batch committed: at most
//   `batch_size` records or `max_delay` after it was pushed). A process killed at any moment leaves
//   a valid database holding whole designs only (each batch is one transaction).
// - While a writer is open, use the Store only through it. close() commits everything and stops the
//   thread; then call Store::set_pareto / finish_run. Destroying a writer that was not closed
//   commits what was queued and marks the run interrupted (the path taken by an exception).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "results/inserter.hpp"
#include "results/records.hpp"
#include "results/store.hpp"

namespace leopard::results {

struct WriterOptions {
  std::size_t queue_capacity = 16384;        // records waiting before push() blocks
  std::size_t batch_size = 2000;             // records per transaction (at most)
  std::chrono::milliseconds max_delay{200};  // a started batch commits within this
  // false: no writer thread; push() inserts in the calling thread inside the open transaction and
  // commits when the batch is full or max_delay has passed since it began (checked at each push).
  // For callers that already overlap writing with their own work and must not use one more core
  // than they were given (the sweep driver writes one batch while the pool evaluates the next).
  bool background = true;
};

class StoreWriter {
 public:
  StoreWriter(Store& store, std::int64_t run_id, WriterOptions options = {});
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void push(DesignRecord record);
  // Waits until everything pushed so far is committed.
  void flush();
  // Commits everything and stops the writer thread. Idempotent.
  void close();

  std::int64_t pushed() const;
  std::int64_t committed() const;  // records in committed transactions (skipped duplicates too)
  std::int64_t inserted() const;   // of those, newly stored (not already in the run)
  std::int64_t transactions() const;

 private:
  void run();
  void rethrow_locked();
  void push_inline(DesignRecord&& record);
  void commit_inline();
  // commit_inline(); on failure records the error and rolls the open batch back, then rethrows.
  void commit_inline_or_fail();

  Store& store_;
  std::int64_t run_id_;
  WriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::condition_variable progress_;
  std::deque<DesignRecord> queue_;
  std::int64_t pushed_ = 0;
  std::int64_t committed_ = 0;
  std::int64_t inserted_ = 0;
  std::int64_t transactions_ = 0;
  bool flush_requested_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  bool thread_done_ = false;
  std::exception_ptr error_;
  std::thread thread_;
  // Inline mode (options.background == false) only.
  std::optional<DesignInserter> inserter_;
  std::optional<Transaction> inline_tx_;
  std::chrono::steady_clock::time_point inline_started_;
  std::int64_t inline_in_batch_ = 0;
  std::int64_t inline_inserted_ = 0;
};

}  // namespace leopard::results
