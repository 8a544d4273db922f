// Prefetcher: makes batches 0..count-1 of any batch source ahead of time on worker threads and
// hands them out in index order, so the output is the same with any number of workers. At most
// `depth` batches exist at once (queued or being made); a batch's exception is rethrown where
// that batch is taken; destruction mid-way waits for the batches being made and drops the rest.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataset.hpp"

namespace xgrad::data {

struct PrefetchOptions {
  int64_t num_workers = 1;  // threads calling the source
  int64_t depth = 0;        // batches made ahead at most; 0 = max(8, 2 · num_workers)
};

template <class T>
class Prefetcher {
 public:
  // Batch `index`; called from the worker threads, several at a time when num_workers > 1.
  using Source = std::function<T(int64_t index)>;

  Prefetcher(Source source, int64_t count, PrefetchOptions options = {});
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;  // the workers point back here
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Batch `index` (waiting for it), rethrowing its exception. Batches between the last one taken
  // and `index` are skipped (dropped, or never made); an index already passed is an error.
  T take(int64_t index);
  // The next batch in order; nothing after the last.
  std::optional<T> next();
  // The index next() would take.
  int64_t next_index() const;
  int64_t size() const { return count_; }

 private:
  struct Slot {
    int64_t index = -1;
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
  };
  void work();
  Slot& slot(int64_t index) { return slots_[static_cast<std::size_t>(index % depth_)]; }

  Source source_;
  int64_t count_, depth_;
  mutable std::mutex mutex_;
  std::condition_variable work_, ready_;
  std::vector<Slot> slots_;  // batch i in slots_[i % depth_] while taken_ ≤ i < taken_ + depth_
  int64_t taken_ = 0;        // batches before this one are taken or skipped
  int64_t claimed_ = 0;      // batches before this one are made or being made
  int64_t idle_ = 0;         // workers waiting for room
  int64_t awaited_ = -1;     // the batch the consumer is waiting for
  bool stop_ = false;
  std::vector<std::thread> workers_;  // last: they start once the members above exist
};

template <class T>
Prefetcher<T>::Prefetcher(Source source, int64_t count, PrefetchOptions options)
    : source_(std::move(source)), count_(count) {
  if (!source_) throw Error("Prefetcher: source is empty");
  if (count < 0)
    throw Error("Prefetcher: count must be non-negative, got " + std::to_string(count));
  if (options.num_workers <= 0)
    throw Error("Prefetcher: num_workers must be positive, got " +
                std::to_string(options.num_workers));
  if (options.depth < 0)
    throw Error("Prefetcher: depth must be non-negative, got " + std::to_string(options.depth));
  depth_ = options.depth > 0 ? options.depth : std::max<int64_t>(8, 2 * options.num_workers);
  slots_.resize(static_cast<std::size_t>(depth_));
  workers_.reserve(static_cast<std::size_t>(options.num_workers));
  for (int64_t w = 0; w < options.num_workers; ++w) workers_.emplace_back([this] { work(); });
}

template <class T>
Prefetcher<T>::~Prefetcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : workers_) t.join();
}

template <class T>
void Prefetcher<T>::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    work_.wait(lock, [this] { return stop_ || (claimed_ < count_ && claimed_ < taken_ + depth_); });
    --idle_;
    if (stop_) return;
    const int64_t index = claimed_++;
    lock.unlock();
    Slot made{index, true, std::nullopt, nullptr};
    try {
      made.value.emplace(source_(index));
    } catch (...) {
      made.error = std::current_exception();
    }
    lock.lock();
    if (index < taken_) {  // skipped while it was being made: free it outside the lock
      lock.unlock();
      made = Slot{};
      lock.lock();
      continue;
    }
    slot(index) = std::move(made);
    if (awaited_ == index) ready_.notify_one();
  }
}

template <class T>
T Prefetcher<T>::take(int64_t index) {
  std::unique_lock lock(mutex_);
  if (index < taken_ || index >= count_)
    throw Error("Prefetcher: batch " + std::to_string(index) +
                (index < taken_ ? " was already taken or skipped"
                                : " out of range for " + std::to_string(count_) + " batches"));
  if (index > taken_) {
    for (int64_t i = taken_; i < std::min(index, claimed_); ++i)
      if (slot(i).index == i) slot(i) = Slot{};
    taken_ = index;
    claimed_ = std::max(claimed_, index);
    work_.notify_all();
  }
  Slot& s = slot(index);
  if (!(s.done && s.index == index)) {
    awaited_ = index;
    ready_.wait(lock, [&] { return s.done && s.index == index; });
    awaited_ = -1;
  }
  Slot got = std::move(s);
  s = Slot{};
  ++taken_;
  // Waking a sleeping worker costs a system call: wake them once half the room is free.
  if (idle_ > 0 && claimed_ < count_ && claimed_ - taken_ <= depth_ / 2) work_.notify_all();
  lock.unlock();
  if (got.error) std::rethrow_exception(got.error);
  return std::move(*got.value);
}

template <class T>
std::optional<T> Prefetcher<T>::next() {
  const int64_t index = next_index();
  if (index >= count_) return std::nullopt;
  return take(index);
}

template <class T>
int64_t Prefetcher<T>::next_index() const {
  std::lock_guard lock(mutex_);
  return taken_;
}

// The DataLoader's instance is compiled once, in prefetcher.cpp.
extern template class Prefetcher<Batch>;

}  // namespace xgrad::data
