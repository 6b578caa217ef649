// The batching writer thread.
#include "results/writer.hpp"

#include <utility>
#include <vector>

#include "workloads/core/error.hpp"

namespace leopard::results {

StoreWriter::StoreWriter(Store& store, std::int64_t run_id, WriterOptions options)
    : store_(store), run_id_(run_id), options_(options) {
  if (options_.queue_capacity == 0) options_.queue_capacity = 1;
  if (options_.batch_size == 0) options_.batch_size = 1;
  if (options_.background) {
    thread_ = std::thread([this] { run(); });
  } else {
    inserter_.emplace(store_.db());
  }
}

StoreWriter::~StoreWriter() {
  bool was_closed = false;
  {
    std::lock_guard lock(mutex_);
    was_closed = closed_;
  }
  if (was_closed) return;
  try {
    close();
  } catch (...) {
    // The run stays "running" and is resumable; nothing more can be done in a destructor.
  }
  try {
    store_.finish_run(run_id_, RunStatus::kInterrupted);
  } catch (...) {
  }
}

void StoreWriter::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
}

void StoreWriter::push(DesignRecord record) {
  if (!options_.background) {
    push_inline(std::move(record));
    return;
  }
  std::unique_lock lock(mutex_);
  not_full_.wait(lock,
                 [&] { return queue_.size() < options_.queue_capacity || error_ || stopping_; });
  rethrow_locked();
  if (stopping_) throw RuntimeError("StoreWriter::push after close()");
  queue_.push_back(std::move(record));
  ++pushed_;
  if (queue_.size() == 1 || queue_.size() >= options_.batch_size) not_empty_.notify_one();
}

void StoreWriter::push_inline(DesignRecord&& record) {
  std::lock_guard lock(mutex_);  // uncontended: only the counters' readers take it
  rethrow_locked();
  if (stopping_) throw RuntimeError("StoreWriter::push after close()");
  try {
    if (!inline_tx_) {
      inline_tx_.emplace(store_.db());
      inline_started_ = std::chrono::steady_clock::now();
    }
    inline_inserted_ += inserter_->insert(run_id_, record) ? 1 : 0;
    ++pushed_;
    ++inline_in_batch_;
    if (inline_in_batch_ >= static_cast<std::int64_t>(options_.batch_size) ||
        std::chrono::steady_clock::now() - inline_started_ >= options_.max_delay) {
      commit_inline();
    }
  } catch (...) {
    error_ = std::current_exception();
    inline_tx_.reset();  // rolls the open batch back: the database keeps whole designs only
    throw;
  }
}

void StoreWriter::commit_inline_or_fail() {
  try {
    commit_inline();
  } catch (...) {
    error_ = std::current_exception();
    inline_tx_.reset();  // rolls the open batch back
    throw;
  }
}

void StoreWriter::commit_inline() {
  if (!inline_tx_) return;
  inline_tx_->commit();
  inline_tx_.reset();
  committed_ += inline_in_batch_;
  inserted_ += inline_inserted_;
  inline_in_batch_ = inline_inserted_ = 0;
  ++transactions_;
}

void StoreWriter::flush() {
  if (!options_.background) {
    std::lock_guard lock(mutex_);
    rethrow_locked();
    commit_inline_or_fail();
    return;
  }
  std::unique_lock lock(mutex_);
  const std::int64_t target = pushed_;
  flush_requested_ = true;
  not_empty_.notify_one();
  progress_.wait(lock, [&] { return committed_ >= target || error_ || thread_done_; });
  flush_requested_ = false;
  rethrow_locked();
}

void StoreWriter::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      rethrow_locked();
      return;
    }
    stopping_ = true;
    closed_ = true;
    if (!options_.background) {
      thread_done_ = true;
      rethrow_locked();
      commit_inline_or_fail();
      return;
    }
  }
  not_empty_.notify_one();
  not_full_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  rethrow_locked();
}

std::int64_t StoreWriter::pushed() const {
  std::lock_guard lock(mutex_);
  return pushed_;
}
std::int64_t StoreWriter::committed() const {
  std::lock_guard lock(mutex_);
  return committed_;
}
std::int64_t StoreWriter::inserted() const {
  std::lock_guard lock(mutex_);
  return inserted_;
}
std::int64_t StoreWriter::transactions() const {
  std::lock_guard lock(mutex_);
  return transactions_;
}

void StoreWriter::run() {
  using Clock = std::chrono::steady_clock;
  try {
    Db& db = store_.db();
    DesignInserter inserter(db);
    std::vector<DesignRecord> chunk;
    for (;;) {
      std::unique_lock lock(mutex_);
      not_empty_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      // A batch: collect records until batch_size, max_delay after the first one, a flush or stop.
      const auto deadline = Clock::now() + options_.max_delay;
      std::size_t in_batch = 0;
      std::int64_t batch_inserted = 0;
      Transaction tx(db);  // BEGIN under the lock is cheap; the inserts run unlocked
      for (;;) {
        chunk.clear();
        while (!queue_.empty() && in_batch + chunk.size() < options_.batch_size) {
          chunk.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        not_full_.notify_all();
        lock.unlock();
        for (const DesignRecord& r : chunk) batch_inserted += inserter.insert(run_id_, r) ? 1 : 0;
        in_batch += chunk.size();
        lock.lock();
        if (in_batch >= options_.batch_size || stopping_ || flush_requested_) {
          if (queue_.empty() || in_batch >= options_.batch_size) break;
          continue;  // drain what a flush or close is waiting for
        }
        if (queue_.empty() && !not_empty_.wait_until(lock, deadline, [&] {
              return !queue_.empty() || stopping_ || flush_requested_;
            })) {
          break;  // max_delay reached
        }
        if (Clock::now() >= deadline) break;
      }
      lock.unlock();
      tx.commit();
      lock.lock();
      committed_ += static_cast<std::int64_t>(in_batch);
      inserted_ += batch_inserted;
      ++transactions_;
      progress_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
    thread_done_ = true;
    not_full_.notify_all();
    progress_.notify_all();
    return;
  }
  std::lock_guard lock(mutex_);
  thread_done_ = true;
  progress_.notify_all();
}

}  // namespace leopard::results
