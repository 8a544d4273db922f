// DataLoader: batches a dataset, optionally shuffled from an explicit seed (a new order every
// epoch, the same sequence of orders for the same seed). `for (auto& batch : loader)` runs one
// epoch. Batches come from the dataset's get_batch, so in-memory datasets copy whole rows.
#pragma once

#include <memory>
#include <vector>

#include "data/dataset.hpp"
#include "tensor/generator.hpp"

namespace xgrad::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
  // Assemble batch k+1 on a background thread while batch k is in use (PyTorch's num_workers=1).
  // The batches and their order are the same either way; the dataset's get_batch must then be
  // safe to call from another thread (the built-in datasets' are).
  bool prefetch = false;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;  // owns the prefetch thread, which points back here
  DataLoader& operator=(const DataLoader&) = delete;

  class Iterator {
   public:
    Iterator(DataLoader* loader, int64_t batch) : loader_(loader), batch_(batch) {}
    const Batch& operator*();
    const Batch* operator->() { return &**this; }
    Iterator& operator++() {
      ++batch_;
      loaded_ = false;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return batch_ != other.batch_; }
    bool operator==(const Iterator& other) const { return batch_ == other.batch_; }

   private:
    DataLoader* loader_;
    int64_t batch_;
    Batch current_;
    bool loaded_ = false;
  };

  Iterator begin();  // starts a new epoch (reshuffles when shuffle is on)
  Iterator end() { return Iterator(this, num_batches()); }
  int64_t num_batches() const;
  int64_t dataset_size() const { return dataset_->size(); }
  // The example order of the current epoch.
  const std::vector<int64_t>& order() const { return order_; }
  Batch batch(int64_t index) const;  // assembled now, in the calling thread

 private:
  class Prefetcher;
  Batch fetch(int64_t index);  // the prefetched batch when there is one; schedules the next

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  std::vector<int64_t> order_;
  std::unique_ptr<Prefetcher> prefetcher_;
};

// Fisher-Yates permutation of 0..n-1.
std::vector<int64_t> permutation(int64_t n, Generator& gen);

}  // namespace xgrad::data
