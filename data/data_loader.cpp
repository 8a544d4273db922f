// DataLoader: epoch order, batch assembly (row copies for TensorDataset, stacking otherwise).
#include "data/data_loader.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace xgrad::data {

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

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() {
  if (options_.shuffle) order_ = permutation(dataset_->size(), generator_);
  return Iterator(this, 0);
}

namespace {
// Resolves Subset chains over a TensorDataset to row indices of the underlying tensors.
const TensorDataset* underlying_rows(const Dataset* ds, std::vector<int64_t>& rows) {
  while (auto* sub = dynamic_cast<const Subset*>(ds)) {
    for (int64_t& r : rows) r = sub->indices()[r];
    ds = sub->dataset().get();
  }
  return dynamic_cast<const TensorDataset*>(ds);
}

Tensor stack_examples(const std::vector<Tensor>& parts) {
  Shape shape = parts.at(0).shape();
  shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
  Tensor out = empty(shape, parts[0].dtype());
  const std::size_t bytes =
      static_cast<std::size_t>(parts[0].numel()) * dtype_size(parts[0].dtype());
  char* dst = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].shape() != parts[0].shape() || parts[i].dtype() != parts[0].dtype())
      throw Error("DataLoader: examples of shape " + format_shape(parts[0].shape()) + " and " +
                  format_shape(parts[i].shape()) + " cannot be batched");
    std::memcpy(dst + i * bytes, parts[i].raw_data(), bytes);
  }
  return out;
}
}  // namespace

Batch DataLoader::batch(int64_t index) const {
  if (index < 0 || index >= num_batches())
    throw Error("DataLoader: batch " + std::to_string(index) + " out of range");
  const int64_t start = index * options_.batch_size;
  const int64_t stop = std::min<int64_t>(start + options_.batch_size, dataset_->size());
  std::vector<int64_t> rows(order_.begin() + start, order_.begin() + stop);
  if (const TensorDataset* td = underlying_rows(dataset_.get(), rows))
    return {take_rows(td->inputs(), rows), take_rows(td->targets(), rows)};
  std::vector<Tensor> xs, ys;
  for (int64_t i = start; i < stop; ++i) {
    Example e = dataset_->get(order_[i]);
    xs.push_back(e.input);
    ys.push_back(e.target);
  }
  return {stack_examples(xs), stack_examples(ys)};
}

const Batch& DataLoader::Iterator::operator*() {
  if (!loaded_) {
    current_ = loader_->batch(batch_);
    loaded_ = true;
  }
  return current_;
}

}  // namespace xgrad::data
