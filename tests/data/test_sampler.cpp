// data/sampler: exact orders per epoch (and after set_epoch back and forth), the loader's
// shuffle as a RandomSampler, weighted draws against their binomial spread, errors.
#include <cmath>
#include <map>
#include <numeric>

#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

namespace {
std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}
// |count - n·p| within 5 binomial standard deviations: a false alarm once in ~1.7 million runs.
void check_frequency(int64_t count, int64_t n, double p) {
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  CHECK(std::abs(static_cast<double>(count) - static_cast<double>(n) * p) <= 5 * sd + 1e-9);
}
}  // namespace

TEST_CASE("SequentialSampler: 0..n-1 every epoch") {
  SequentialSampler s(5);
  CHECK(s.size() == 5);
  CHECK(s.indices() == iota(5));
  s.set_epoch(3);
  CHECK(s.epoch() == 3);
  CHECK(s.indices() == iota(5));
  CHECK(SequentialSampler(0).indices().empty());
}

TEST_CASE("RandomSampler: epoch e is the (e+1)-th permutation of one generator, from any epoch") {
  RandomSampler s(10, 7);
  CHECK(s.size() == 10);
  // Pinned: mt19937_64 is the same everywhere, so these orders are too.
  CHECK(s.indices() == std::vector<int64_t>{0, 7, 4, 9, 3, 1, 2, 8, 6, 5});
  s.set_epoch(1);
  CHECK(s.indices() == std::vector<int64_t>{5, 6, 8, 7, 2, 9, 3, 1, 4, 0});
  Generator gen(7);
  std::vector<std::vector<int64_t>> orders;
  for (int e = 0; e < 6; ++e) orders.push_back(permutation(10, gen));
  for (int64_t e : {5, 2, 2, 0, 4, 1, 3}) {  // forward, back, repeated
    s.set_epoch(e);
    CHECK(s.indices() == orders[static_cast<std::size_t>(e)]);
  }
  std::vector<int64_t> sorted = s.indices();
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == iota(10));
  CHECK(orders[0] != orders[1]);
  CHECK(RandomSampler(10, 8).indices() != orders[0]);
  CHECK(RandomSampler(0, 1).indices().empty());
}

TEST_CASE("the loader's shuffle is RandomSampler(size, seed), and set_epoch resumes it") {
  auto ds = std::make_shared<TensorDataset>(arange(23).reshape({23, 1}), arange(23));
  DataLoader loader(ds, {.batch_size = 5, .shuffle = true, .seed = 11});
  RandomSampler same(23, 11);
  for (int64_t e = 0; e < 3; ++e) {
    loader.begin();
    same.set_epoch(e);
    CHECK(loader.epoch() == e);
    CHECK(loader.order() == same.indices());
  }
  DataLoader resumed(ds, {.batch_size = 5, .shuffle = true, .seed = 11});
  resumed.set_epoch(2);
  CHECK(resumed.epoch() == 0);  // set_epoch only chooses what begin() starts
  auto it = resumed.begin();
  CHECK(resumed.epoch() == 2);
  CHECK(resumed.order() == loader.order());
  CHECK(it->inputs.to_vector() == loader.batch(0).inputs.to_vector());
  resumed.begin();
  CHECK(resumed.epoch() == 3);
  CHECK_ERROR_MESSAGE(resumed.set_epoch(-1),
                      "DataLoader::set_epoch: epoch must be non-negative, got -1");
}

TEST_CASE("SubsetRandomSampler: the given indices in a new order every epoch") {
  SubsetRandomSampler s({10, 20, 30, 40, 50}, 3);
  RandomSampler positions(5, 3);
  for (int64_t e = 0; e < 4; ++e) {
    s.set_epoch(e);
    positions.set_epoch(e);
    std::vector<int64_t> want;
    for (int64_t p : positions.indices()) want.push_back((p + 1) * 10);
    CHECK(s.indices() == want);
  }
  SubsetRandomSampler everything(iota(12), 9);
  RandomSampler random(12, 9);
  everything.set_epoch(1);
  random.set_epoch(1);
  CHECK(everything.indices() == random.indices());
  CHECK_ERROR_MESSAGE(SubsetRandomSampler({1, -2}), "SubsetRandomSampler: index -2 is negative");
}

TEST_CASE("WeightedRandomSampler with replacement: frequencies proportional to the weights") {
  const std::vector<double> weights{1, 2, 0, 5};  // sum 8
  const int64_t n = 80000;
  WeightedRandomSampler s(weights, n, true, 5);
  CHECK(s.size() == n);
  std::map<int64_t, int64_t> count;
  for (int64_t i : s.indices()) ++count[i];
  CHECK(count.count(2) == 0);  // weight 0: never
  check_frequency(count[0], n, 1.0 / 8);
  check_frequency(count[1], n, 2.0 / 8);
  check_frequency(count[3], n, 5.0 / 8);
  // Reproducible per (seed, epoch), different across epochs.
  WeightedRandomSampler again(weights, 50, true, 5);
  WeightedRandomSampler other(weights, 50, true, 5);
  other.set_epoch(1);
  const std::vector<int64_t> first = again.indices();
  CHECK(other.indices() != first);
  other.set_epoch(0);
  CHECK(other.indices() == first);
  // A single positive weight: every draw is it.
  CHECK(WeightedRandomSampler({0, 0, 3}, 4, true, 1).indices() == std::vector<int64_t>{2, 2, 2, 2});
}

TEST_CASE("WeightedRandomSampler without replacement: successive draws from what is left") {
  // weights 1..4 (sum 10), two draws per epoch over many epochs: the first is i with
  // probability w_i / 10; the second j with sum over i ≠ j of (w_i / 10) · w_j / (10 - w_i).
  const std::vector<double> w{1, 2, 3, 4};
  WeightedRandomSampler s(w, 2, false, 13);
  const int64_t epochs = 20000;
  std::vector<int64_t> first(4), second(4);
  for (int64_t e = 0; e < epochs; ++e) {
    s.set_epoch(e);
    std::vector<int64_t> d = s.indices();
    REQUIRE(d.size() == 2);
    CHECK(d[0] != d[1]);
    ++first[static_cast<std::size_t>(d[0])];
    ++second[static_cast<std::size_t>(d[1])];
  }
  for (std::size_t j = 0; j < 4; ++j) {
    check_frequency(first[j], epochs, w[j] / 10);
    double p2 = 0;
    for (std::size_t i = 0; i < 4; ++i)
      if (i != j) p2 += w[i] / 10 * w[j] / (10 - w[i]);
    check_frequency(second[j], epochs, p2);
  }
  // Zero weights are never drawn, even when every positive one is.
  std::vector<int64_t> all = WeightedRandomSampler({0, 1, 0, 1}, 2, false, 2).indices();
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<int64_t>{1, 3});
}

TEST_CASE("DataLoader over a sampler: batches of its indices, sized by it") {
  auto ds = std::make_shared<TensorDataset>(arange(6).reshape({6, 1}), arange(6));
  auto sampler =
      std::make_shared<WeightedRandomSampler>(std::vector<double>{0, 0, 1, 0, 0, 1}, 10, true, 4);
  DataLoader loader(ds, sampler, {.batch_size = 4});
  CHECK(loader.num_batches() == 3);
  std::vector<double> seen;
  for (const Batch& b : loader)
    for (double v : b.inputs.to_vector()) seen.push_back(v);
  CHECK(seen.size() == 10);
  for (double v : seen) CHECK((v == 2 || v == 5));
  CHECK(&loader.sampler() == sampler.get());
  DataLoader dropped(ds, std::make_shared<SequentialSampler>(6),
                     {.batch_size = 4, .drop_last = true});
  CHECK(dropped.num_batches() == 1);
  CHECK(dropped.batch_indices(0) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK_ERROR_MESSAGE(dropped.batch_indices(1), "DataLoader: batch 1 out of range");
  CHECK_ERROR_MESSAGE(DataLoader(ds, sampler, {.batch_size = 2, .shuffle = true}),
                      "DataLoader: shuffle cannot be combined with a sampler (shuffle with the "
                      "sampler)");
  // Indices past the dataset are the dataset's error.
  DataLoader beyond(ds, std::make_shared<SequentialSampler>(8), {.batch_size = 8});
  CHECK_ERROR_MESSAGE(*beyond.begin(), "take_rows: row 6 out of range for shape (6, 1)");
}

TEST_CASE("DataLoader collate: builds batches that are not just {inputs, targets}") {
  // Variable-length sequences: example i is i + 1 values; collate pads them and adds the lengths.
  struct Sequences : Dataset {
    int64_t size() const override { return 5; }
    Example get(int64_t i) const override { return {full({i + 1}, double(i)), full({}, 1.0)}; }
  };
  std::vector<std::vector<int64_t>> calls;
  Collate pad = [&calls](const Dataset& ds, const std::vector<int64_t>& indices) {
    calls.push_back(indices);
    int64_t longest = 0;
    for (int64_t i : indices) longest = std::max(longest, ds.get(i).input.shape()[0]);
    const int64_t n = static_cast<int64_t>(indices.size());
    Tensor inputs = zeros({n, longest}), lengths = zeros({n}, int64);
    for (int64_t k = 0; k < n; ++k) {
      Tensor x = ds.get(indices[static_cast<std::size_t>(k)]).input;
      for (int64_t t = 0; t < x.shape()[0]; ++t) inputs.set({k, t}, x.at({t}));
      lengths.set({k}, static_cast<double>(x.shape()[0]));
    }
    Batch b{inputs, ones({n})};
    b.extras.push_back(lengths);
    return b;
  };
  DataLoader loader(std::make_shared<Sequences>(), {.batch_size = 2, .collate = pad});
  std::vector<Shape> shapes;
  std::vector<std::vector<double>> lengths;
  for (const Batch& b : loader) {
    shapes.push_back(b.inputs.shape());
    REQUIRE(b.extras.size() == 1);
    lengths.push_back(b.extras[0].to_vector());
  }
  CHECK(calls == std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}});
  CHECK(shapes == std::vector<Shape>{{2, 2}, {2, 4}, {1, 5}});
  CHECK(lengths == std::vector<std::vector<double>>{{1, 2}, {3, 4}, {5}});
}

TEST_CASE("samplers: errors name the sampler and the value") {
  CHECK_ERROR_MESSAGE(SequentialSampler(-1), "SequentialSampler: n must be non-negative, got -1");
  CHECK_ERROR_MESSAGE(RandomSampler(-3, 0), "RandomSampler: n must be non-negative, got -3");
  RandomSampler s(4, 0);
  CHECK_ERROR_MESSAGE(s.set_epoch(-1), "Sampler::set_epoch: epoch must be non-negative, got -1");
  CHECK_ERROR_MESSAGE(WeightedRandomSampler({1, -0.5}, 3),
                      "WeightedRandomSampler: weight 1 is -0.5, expected a finite non-negative "
                      "number");
  CHECK_ERROR_MESSAGE(WeightedRandomSampler({1, NAN}, 3),
                      "WeightedRandomSampler: weight 1 is nan, expected a finite non-negative "
                      "number");
  CHECK_ERROR_MESSAGE(WeightedRandomSampler({0, 0}, 3),
                      "WeightedRandomSampler: the weights sum to 0");
  CHECK_ERROR_MESSAGE(WeightedRandomSampler({}, 3), "WeightedRandomSampler: the weights sum to 0");
  CHECK_ERROR_MESSAGE(WeightedRandomSampler({1, 2}, 0),
                      "WeightedRandomSampler: num_samples must be positive, got 0");
  CHECK_ERROR_MESSAGE(WeightedRandomSampler({1, 0, 2}, 3, false),
                      "WeightedRandomSampler: cannot draw 3 samples without replacement from 2 "
                      "nonzero weights");
}
