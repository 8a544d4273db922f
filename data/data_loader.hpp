// DataLoader: batches a dataset, optionally shuffled from an explicit seed (a new order every
// epoch, the same sequence of orders for the same seed) and transformed (seeded augmentation).
// `for (auto& batch : loader)` runs one epoch. Batches come from the dataset's get_batch, so
// in-memory datasets copy whole rows.
#pragma once

#include <memory>
#include <vector>

#include "data/dataset.hpp"
#include "tensor/generator.hpp"

namespace xgrad::data {

class Transform;  // data/image_transforms.hpp

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
  // Assemble batch k+1 on a background thread while batch k is in use (PyTorch's num_workers=1).
  // The batches and their order are the same either way; the dataset's get_batch must then be
  // safe to call from another thread (the built-in datasets' are).
  bool prefetch = false;
  // Applied to each batch's inputs (e.g. a Compose of image augmentations). Batch k of epoch e
  // draws from Generator(transform_seed(e, k)), a mix of `seed`, e and k: the same augmentation
  // with or without prefetch, and after a resume that replays the epochs' begin().
  std::shared_ptr<const Transform> transform;
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
  Batch batch(int64_t index) const;  // assembled (and transformed) now, in the calling thread
  // The epoch that begin() last started, counting from 0 (0 before the first begin()).
  int64_t epoch() const { return epoch_ < 0 ? 0 : epoch_; }
  // The seed of the generator that options.transform uses for batch `index` of `epoch`.
  uint64_t transform_seed(int64_t epoch, int64_t index) const;

 private:
  class Prefetcher;
  Batch fetch(int64_t index);  // the prefetched batch when there is one; schedules the next

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  std::vector<int64_t> order_;
  int64_t epoch_ = -1;
  std::unique_ptr<Prefetcher> prefetcher_;
};

// Fisher-Yates permutation of 0..n-1.
std::vector<int64_t> permutation(int64_t n, Generator& gen);

}  // namespace xgrad::data
