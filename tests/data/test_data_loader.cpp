// data/data_loader.cpp: batches in sampler order, every index once per epoch, prefetching.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("DataLoader: every index once per epoch, reproducible order, edge batch shapes") {
  Tensor x = arange(10).reshape({10, 1}), y = arange(10) * 2.0;
  auto ds = std::make_shared<TensorDataset>(x, y);
  DataLoader loader(ds, {.batch_size = 4, .shuffle = true, .seed = 7});
  CHECK(loader.num_batches() == 3);
  std::vector<std::vector<double>> epochs;
  for (int e = 0; e < 2; ++e) {
    std::vector<double> seen;
    std::vector<int64_t> sizes;
    for (const Batch& b : loader) {
      sizes.push_back(b.inputs.shape()[0]);
      CHECK(b.inputs.shape().size() == 2);
      auto xs = b.inputs.to_vector(), ys = b.targets.to_vector();
      for (std::size_t i = 0; i < xs.size(); ++i) CHECK(ys[i] == 2 * xs[i]);
      seen.insert(seen.end(), xs.begin(), xs.end());
    }
    CHECK(sizes == std::vector<int64_t>{4, 4, 2});
    std::vector<double> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == arange(10).to_vector());
    epochs.push_back(seen);
  }
  CHECK(epochs[0] != epochs[1]);  // a new order every epoch
  DataLoader again(ds, {.batch_size = 4, .shuffle = true, .seed = 7});
  std::vector<double> first;
  for (const Batch& b : again)
    for (double v : b.inputs.to_vector()) first.push_back(v);
  CHECK(first == epochs[0]);
  DataLoader dropped(ds, {.batch_size = 4, .drop_last = true});
  CHECK(dropped.num_batches() == 2);
  int count = 0;
  for (const Batch& b : dropped) count += b.inputs.shape()[0] == 4;
  CHECK(count == 2);
  // Subsets and generic datasets batch too.
  auto sub = std::make_shared<Subset>(ds, std::vector<int64_t>{9, 3});
  DataLoader sl(sub, {.batch_size = 8});
  CHECK((*sl.begin()).inputs.to_vector() == std::vector<double>{9, 3});
  CHECK(ds->get(4).target.item() == 8);
  CHECK_ERROR_MESSAGE(DataLoader(ds, {.batch_size = 0}),
                      "DataLoader: batch_size must be positive, got 0");
}

TEST_CASE("DataLoader with prefetch: the same batches, errors rethrown, early breaks safe") {
  auto ds = std::make_shared<TensorDataset>(arange(103).reshape({103, 1}), arange(103));
  DataLoader plain(ds, {.batch_size = 10, .shuffle = true, .seed = 3});
  DataLoader ahead(ds, {.batch_size = 10, .shuffle = true, .seed = 3, .prefetch = true});
  auto epoch = [](DataLoader& l, int64_t stop_after) {
    std::vector<double> xs;
    int64_t n = 0;
    for (const Batch& b : l) {
      if (n++ == stop_after) break;  // leaves a batch in flight on the worker
      for (double v : b.inputs.to_vector()) xs.push_back(v);
    }
    return xs;
  };
  for (int e = 0; e < 3; ++e) CHECK(epoch(ahead, e == 1 ? 4 : -1) == epoch(plain, e == 1 ? 4 : -1));
  // Random access still works and is not confused by the prefetched batch.
  CHECK(ahead.batch(10).inputs.shape() == Shape{3, 1});
  // Skipping batches 0 and 1 unread: batch 2 is assembled on the spot, then prefetching resumes.
  auto skip = ahead.begin();
  ++skip;
  ++skip;
  CHECK((*skip).inputs.to_vector() == ahead.batch(2).inputs.to_vector());
  ++skip;
  CHECK((*skip).inputs.to_vector() == ahead.batch(3).inputs.to_vector());

  struct Failing : Dataset {
    int64_t size() const override { return 8; }
    Example get(int64_t i) const override {
      if (i == 5) throw Error("Failing: example 5 is unreadable");
      return {full({2}, static_cast<double>(i)), full({}, 0.0)};
    }
  };
  DataLoader failing(std::make_shared<Failing>(), {.batch_size = 4, .prefetch = true});
  auto it = failing.begin();
  CHECK((*it).inputs.shape() == Shape{4, 2});  // generic datasets stack their examples
  ++it;
  CHECK_ERROR_MESSAGE(*it, "Failing: example 5 is unreadable");
  CHECK_ERROR_MESSAGE(Failing().get_batch({}), "Dataset::get_batch: no indices");

  struct Ragged : Dataset {
    int64_t size() const override { return 2; }
    Example get(int64_t i) const override { return {zeros({i + 1}), full({}, 0.0)}; }
  };
  CHECK_ERROR_MESSAGE(Ragged().get_batch({0, 1}),
                      "Dataset::get_batch: examples of shape (1,) and (2,) cannot be batched");
}
