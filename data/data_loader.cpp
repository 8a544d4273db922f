// DataLoader: the epoch order, its slicing into batches (the dataset assembles each batch) and
// the optional background thread that assembles the next batch ahead of time.
#include "data/data_loader.hpp"

#include "data/image_transforms.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>

namespace xgrad::data {

// One worker thread that assembles the batches `next_`, `next_ + 1`, ... up to `end_` in order
// and keeps up to kDepth of them ready. Waking a sleeping thread costs a system call (~10 µs
// on a VM), so the consumer wakes the worker only once the queue is half empty.
class DataLoader::Prefetcher {
 public:
  explicit Prefetcher(const DataLoader& loader) : thread_([this, &loader] { run(loader); }) {}
  ~Prefetcher() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    work_.notify_all();
    thread_.join();
  }

  // Waits for the batch being made, then drops everything queued: the order may change.
  void pause() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return !busy_; });
    ready_.clear();
    next_ = end_ = 0;
  }
  // Makes batches from..to-1 from now on.
  void resume(int64_t from, int64_t to) {
    {
      std::lock_guard lock(mutex_);
      next_ = from;
      end_ = to;
    }
    work_.notify_all();
  }

  // Batch `index` if it is the next one in the queue (waiting for it); nothing when the caller
  // jumped elsewhere (prefetching then restarts after `index`). Rethrows the batch's error.
  std::optional<Batch> take(int64_t index, int64_t num_batches) {
    std::unique_lock lock(mutex_);
    const int64_t first = !ready_.empty() ? ready_.front().index : busy_ ? next_ - 1 : next_;
    const bool coming = first == index && index < end_;
    if (!coming) {
      lock.unlock();
      pause();
      resume(index + 1, num_batches);
      return std::nullopt;
    }
    done_.wait(lock, [this] { return !ready_.empty(); });
    Made made = std::move(ready_.front());
    ready_.pop_front();
    if (ready_.size() <= kDepth / 2 && next_ < end_) work_.notify_all();
    lock.unlock();
    if (made.error) std::rethrow_exception(made.error);
    return std::move(made.batch);
  }

 private:
  static constexpr std::size_t kDepth = 8;
  struct Made {
    int64_t index;
    Batch batch;
    std::exception_ptr error;
  };

  void run(const DataLoader& loader) {
    std::unique_lock lock(mutex_);
    for (;;) {
      work_.wait(lock, [this] { return stop_ || (next_ < end_ && ready_.size() < kDepth); });
      if (stop_) return;
      Made made{next_++, {}, nullptr};
      busy_ = true;
      lock.unlock();
      try {
        made.batch = loader.batch(made.index);
      } catch (...) {
        made.error = std::current_exception();
      }
      lock.lock();
      ready_.push_back(std::move(made));
      busy_ = false;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_, done_;
  std::deque<Made> ready_;
  int64_t next_ = 0, end_ = 0;
  bool busy_ = false, stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

std::vector<int64_t> permutation(int64_t n, Generator& gen) {
  std::vector<int64_t> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[static_cast<int64_t>(gen.below(static_cast<uint64_t>(i + 1)))]);
  return p;
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options), generator_(options.seed) {
  if (!dataset_) throw Error("DataLoader: dataset is null");
  if (options_.batch_size <= 0)
    throw Error("DataLoader: batch_size must be positive, got " +
                std::to_string(options_.batch_size));
  order_.resize(static_cast<std::size_t>(dataset_->size()));
  std::iota(order_.begin(), order_.end(), 0);
}

DataLoader::~DataLoader() = default;

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() {
  if (options_.prefetch) {
    if (!prefetcher_) prefetcher_ = std::make_unique<Prefetcher>(*this);
    prefetcher_->pause();  // the worker reads order_: let it finish before reshuffling
  }
  if (options_.shuffle) order_ = permutation(dataset_->size(), generator_);
  ++epoch_;
  if (prefetcher_) prefetcher_->resume(0, num_batches());
  return Iterator(this, 0);
}

Batch DataLoader::fetch(int64_t index) {
  if (!prefetcher_) return batch(index);
  std::optional<Batch> ready = prefetcher_->take(index, num_batches());
  return ready ? std::move(*ready) : batch(index);
}

Batch DataLoader::batch(int64_t index) const {
  if (index < 0 || index >= num_batches())
    throw Error("DataLoader: batch " + std::to_string(index) + " out of range");
  const int64_t start = index * options_.batch_size;
  const int64_t stop = std::min<int64_t>(start + options_.batch_size, dataset_->size());
  Batch b =
      dataset_->get_batch(std::vector<int64_t>(order_.begin() + start, order_.begin() + stop));
  if (options_.transform) {
    Generator gen(transform_seed(epoch(), index));
    b.inputs = (*options_.transform)(b.inputs, gen);
  }
  return b;
}

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t DataLoader::transform_seed(int64_t epoch, int64_t index) const {
  return splitmix64(splitmix64(splitmix64(options_.seed) ^ static_cast<uint64_t>(epoch)) ^
                    static_cast<uint64_t>(index));
}

const Batch& DataLoader::Iterator::operator*() {
  if (!loaded_) {
    current_ = loader_->fetch(batch_);
    loaded_ = true;
  }
  return current_;
}

}  // namespace xgrad::data
