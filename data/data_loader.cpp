// DataLoader: the epoch bookkeeping, the sampler's order cut into batches, collate and transform,
// and a Prefetcher per epoch when batches are made ahead.
#include "data/data_loader.hpp"

#include "data/image_transforms.hpp"

#include <algorithm>
#include <utility>

namespace xgrad::data {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : DataLoader(dataset, nullptr, options) {}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<Sampler> sampler,
                       DataLoaderOptions options)
    : dataset_(std::move(dataset)), sampler_(std::move(sampler)), options_(std::move(options)) {
  if (!dataset_) throw Error("DataLoader: dataset is null");
  if (options_.batch_size <= 0)
    throw Error("DataLoader: batch_size must be positive, got " +
                std::to_string(options_.batch_size));
  if (options_.num_workers < 0)
    throw Error("DataLoader: num_workers must be non-negative, got " +
                std::to_string(options_.num_workers));
  if (sampler_ && options_.shuffle)
    throw Error("DataLoader: shuffle cannot be combined with a sampler (shuffle with the sampler)");
  if (!sampler_) {
    if (options_.shuffle)
      sampler_ = std::make_shared<RandomSampler>(dataset_->size(), options_.seed);
    else
      sampler_ = std::make_shared<SequentialSampler>(dataset_->size());
  }
  sampler_->set_epoch(0);
  order_ = sampler_->indices();
}

DataLoader::~DataLoader() = default;

int64_t DataLoader::num_batches() const {
  const int64_t n = sampler_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::set_epoch(int64_t epoch) {
  if (epoch < 0)
    throw Error("DataLoader::set_epoch: epoch must be non-negative, got " + std::to_string(epoch));
  next_epoch_ = epoch;
}

DataLoader::Iterator DataLoader::begin() {
  prefetcher_.reset();  // its workers read order_ and epoch_: let them finish first
  epoch_ = next_epoch_++;
  sampler_->set_epoch(epoch_);
  order_ = sampler_->indices();
  const int64_t workers = options_.num_workers > 0 ? options_.num_workers : options_.prefetch;
  if (workers > 0)
    prefetcher_ =
        std::make_unique<Prefetcher<Batch>>([this](int64_t index) { return batch(index); },
                                            num_batches(), PrefetchOptions{.num_workers = workers});
  return Iterator(this, 0);
}

Batch DataLoader::fetch(int64_t index) {
  // Random access behind the prefetcher (an iterator of an earlier pass) is made on the spot.
  if (!prefetcher_ || index < prefetcher_->next_index()) return batch(index);
  return prefetcher_->take(index);
}

std::vector<int64_t> DataLoader::batch_indices(int64_t index) const {
  if (index < 0 || index >= num_batches())
    throw Error("DataLoader: batch " + std::to_string(index) + " out of range");
  const int64_t start = index * options_.batch_size;
  const int64_t stop = std::min<int64_t>(start + options_.batch_size, sampler_->size());
  return std::vector<int64_t>(order_.begin() + start, order_.begin() + stop);
}

Batch DataLoader::batch(int64_t index) const {
  const std::vector<int64_t> indices = batch_indices(index);
  Batch b = options_.collate ? options_.collate(*dataset_, indices) : dataset_->get_batch(indices);
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
