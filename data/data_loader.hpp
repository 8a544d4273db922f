// DataLoader: batches what a sampler yields. The sampler owns the order (sequential, or a seeded
// new permutation every epoch with `shuffle`); the loader groups it into batches (batch_size,
// drop_last), assembles each with `collate` (default: the dataset's get_batch, which copies
// whole rows of in-memory datasets), applies the seeded `transform`, and with `num_workers`
// makes batches ahead on a Prefetcher. `for (auto& batch : loader)` runs one epoch.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "dataset.hpp"
#include "prefetcher.hpp"
#include "sampler.hpp"

namespace xgrad::data {

class Transform;  // data/image_transforms.hpp

// Builds one batch from the dataset's examples `indices` (in batch order), like PyTorch's
// collate_fn but given the indices, so it can read the examples one by one (dataset.get(i)) or
// all at once. What is not {inputs, targets} (sequence lengths, masks, example ids) goes in
// Batch::extras.
using Collate = std::function<Batch(const Dataset& dataset, const std::vector<int64_t>& indices)>;

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;  // without a sampler: RandomSampler(dataset size, seed)
  bool drop_last = false;
  uint64_t seed = 0;
  // Same as num_workers = 1 (when num_workers is 0).
  bool prefetch = false;
  // Threads that assemble the next batches while the current one is in use (PyTorch's
  // num_workers); 0 assembles each batch in the loop. The batches and their order are the same
  // either way; collate, get_batch and the transform are then called from several threads (the
  // built-in datasets' get_batch are safe).
  int64_t num_workers = 0;
  // Applied to each batch's inputs (e.g. a Compose of image augmentations). Batch k of epoch e
  // draws from Generator(transform_seed(e, k)), a mix of `seed`, e and k: the same augmentation
  // with any number of workers, and after a resume with set_epoch.
  std::shared_ptr<const Transform> transform;
  Collate collate;  // empty: dataset.get_batch(indices)
};

class DataLoader {
 public:
  // Sequential order, or RandomSampler(dataset size, options.seed) with options.shuffle.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  // The order of `sampler` (options.shuffle must then be false). The loader sets the sampler's
  // epoch at every begin(): give each loader its own sampler.
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<Sampler> sampler,
             DataLoaderOptions options = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;  // owns a prefetcher whose workers point back here
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

  // Starts the next epoch: 0 first, then 1, 2, ..., or the one set_epoch chose.
  Iterator begin();
  Iterator end() { return Iterator(this, num_batches()); }
  // The epoch the next begin() starts (to resume after `e` finished epochs: set_epoch(e)).
  void set_epoch(int64_t epoch);
  int64_t num_batches() const;
  int64_t dataset_size() const { return dataset_->size(); }
  Sampler& sampler() { return *sampler_; }
  // The example order of the current epoch (epoch 0's before the first begin()).
  const std::vector<int64_t>& order() const { return order_; }
  // The dataset indices of batch `index` of the current epoch.
  std::vector<int64_t> batch_indices(int64_t index) const;
  Batch batch(int64_t index) const;  // assembled (and transformed) now, in the calling thread
  // The epoch that begin() last started, counting from 0 (0 before the first begin()).
  int64_t epoch() const { return epoch_; }
  // The seed of the generator that options.transform uses for batch `index` of `epoch`.
  uint64_t transform_seed(int64_t epoch, int64_t index) const;

 private:
  Batch fetch(int64_t index);  // from the prefetcher when there is one

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<Sampler> sampler_;
  DataLoaderOptions options_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0, next_epoch_ = 0;
  std::unique_ptr<Prefetcher<Batch>> prefetcher_;  // the current epoch's, with workers
};

}  // namespace xgrad::data
