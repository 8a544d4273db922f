// DataLoader: batches a dataset, optionally shuffled from an explicit seed (a new order every
// epoch, the same sequence of orders for the same seed). `for (auto& batch : loader)` runs one
// epoch. In-memory datasets are batched by copying whole rows.
#pragma once

#include <memory>
#include <vector>

#include "data/dataset.hpp"
#include "tensor/generator.hpp"

namespace xgrad::data {

struct Batch {
  Tensor inputs;
  Tensor targets;
};

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  class Iterator {
   public:
    Iterator(const DataLoader* loader, int64_t batch) : loader_(loader), batch_(batch) {}
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
    const DataLoader* loader_;
    int64_t batch_;
    Batch current_;
    bool loaded_ = false;
  };

  Iterator begin();  // starts a new epoch (reshuffles when shuffle is on)
  Iterator end() const { return Iterator(this, num_batches()); }
  int64_t num_batches() const;
  int64_t dataset_size() const { return dataset_->size(); }
  // The example order of the current epoch.
  const std::vector<int64_t>& order() const { return order_; }
  Batch batch(int64_t index) const;

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  std::vector<int64_t> order_;
};

// Fisher-Yates permutation of 0..n-1.
std::vector<int64_t> permutation(int64_t n, Generator& gen);

}  // namespace xgrad::data
