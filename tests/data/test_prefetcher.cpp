// data/prefetcher: batches in index order with several workers, the bound on batches made
// ahead, exceptions at their batch, skipping, destruction mid-way, and the DataLoader giving the
// same batches with 0, 1 and 3 workers.
#include <atomic>
#include <chrono>
#include <thread>

#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;
using namespace std::chrono_literals;

namespace {
// Uneven work, so that with several workers later batches often finish before earlier ones.
void jitter(int64_t index) {
  std::this_thread::sleep_for(std::chrono::microseconds(index * 37 % 5 * 300));
}
}  // namespace

TEST_CASE("Prefetcher: in index order with 3 workers, never more than depth ahead") {
  std::atomic<int64_t> running{0}, most_running{0}, made{0}, taken{0}, most_ahead{0};
  Prefetcher<int64_t> p(
      [&](int64_t i) {
        const int64_t now = ++running;
        for (int64_t m = most_running; now > m && !most_running.compare_exchange_weak(m, now);) {
        }
        jitter(i);
        const int64_t ahead = ++made - taken;
        for (int64_t m = most_ahead; ahead > m && !most_ahead.compare_exchange_weak(m, ahead);) {
        }
        --running;
        return i * i;
      },
      60, {.num_workers = 3, .depth = 5});
  CHECK(p.size() == 60);
  std::vector<int64_t> got;
  while (std::optional<int64_t> v = p.next()) {
    ++taken;
    got.push_back(*v);
  }
  REQUIRE(got.size() == 60);
  for (int64_t i = 0; i < 60; ++i) CHECK(got[static_cast<std::size_t>(i)] == i * i);
  CHECK(most_running <= 3);
  CHECK(most_running >= 2);  // the workers did overlap
  CHECK(most_ahead <= 5);
  CHECK(p.next_index() == 60);
  CHECK(!p.next());
}

TEST_CASE("Prefetcher: a consumer that stops taking stops the workers at depth") {
  std::atomic<int64_t> calls{0};
  Prefetcher<int64_t> p([&](int64_t i) { return ++calls, i; }, 100, {.num_workers = 2, .depth = 4});
  CHECK(p.take(0) == 0);
  std::this_thread::sleep_for(50ms);
  // Batch 0 taken: batches 1..4 may exist, no more.
  CHECK(calls <= 5);
  CHECK(p.take(1) == 1);
  std::this_thread::sleep_for(50ms);
  CHECK(calls <= 6);
}

TEST_CASE("Prefetcher: a batch's exception is rethrown at that batch, the rest still come") {
  Prefetcher<int64_t> p(
      [](int64_t i) -> int64_t {
        if (i == 3) throw Error("batch 3 is unreadable");
        return i;
      },
      6, {.num_workers = 3});
  for (int64_t i = 0; i < 3; ++i) CHECK(*p.next() == i);
  CHECK_ERROR_MESSAGE(p.next(), "batch 3 is unreadable");
  CHECK(*p.next() == 4);
  CHECK(*p.next() == 5);
  CHECK(!p.next());
}

TEST_CASE("Prefetcher: skipping ahead, and the errors of going back or past the end") {
  std::atomic<int64_t> calls{0};
  Prefetcher<int64_t> p([&](int64_t i) { return ++calls, 10 * i; }, 40,
                        {.num_workers = 2, .depth = 4});
  CHECK(p.take(30) == 300);  // 0..29 are skipped (at most the first few made)
  CHECK(p.take(31) == 310);
  CHECK(*p.next() == 320);
  CHECK(calls <= 4 + 6 + 2);
  CHECK_ERROR_MESSAGE(p.take(5), "Prefetcher: batch 5 was already taken or skipped");
  CHECK_ERROR_MESSAGE(p.take(40), "Prefetcher: batch 40 out of range for 40 batches");
  CHECK_ERROR_MESSAGE(Prefetcher<int>([](int64_t) { return 0; }, 3, {.num_workers = 0}),
                      "Prefetcher: num_workers must be positive, got 0");
  CHECK_ERROR_MESSAGE(Prefetcher<int>(nullptr, 3), "Prefetcher: source is empty");
}

TEST_CASE("Prefetcher: destroyed mid-way, it waits for the batches being made and stops") {
  std::atomic<int64_t> calls{0};
  {
    Prefetcher<Tensor> p(
        [&](int64_t i) {
          ++calls;
          std::this_thread::sleep_for(2ms);
          return full({1000}, static_cast<double>(i));
        },
        1000, {.num_workers = 3, .depth = 6});
    CHECK(p.take(0).to_vector()[0] == 0);
    CHECK(p.take(1).to_vector()[0] == 1);
  }
  const int64_t after = calls;
  CHECK(after <= 2 + 6 + 3);
  std::this_thread::sleep_for(20ms);
  CHECK(calls == after);                                              // no worker outlived it
  Prefetcher<int>([](int64_t) { return 0; }, 5, {.num_workers = 3});  // never taken from
  Prefetcher<int>([](int64_t) { return 0; }, 0, {.num_workers = 2});  // nothing to make
}

TEST_CASE("DataLoader: the same batches with 0, 1 and 3 workers, shuffled and transformed") {
  // A transform whose output depends on every draw of its generator.
  struct Noise : Transform {
    std::string repr() const override { return "Noise"; }
    Tensor apply(const Tensor& images, Generator& gen) const override {
      Tensor out = images.clone();
      for (int64_t i = 0; i < out.shape()[0]; ++i) out.set({i, 0}, out.at({i, 0}) + gen.uniform());
      return out;
    }
  };
  auto ds = std::make_shared<TensorDataset>(arange(103).reshape({103, 1}), arange(103));
  auto run = [&](int64_t workers) {
    DataLoaderOptions o{.batch_size = 10, .shuffle = true, .seed = 5, .num_workers = workers};
    o.transform = std::make_shared<Noise>();
    DataLoader loader(ds, o);
    std::vector<std::vector<double>> out;
    for (int e = 0; e < 3; ++e) {
      int64_t n = 0;
      for (const Batch& b : loader) {
        if (e == 1 && n++ == 4) break;  // leaves batches in flight
        out.push_back(b.inputs.to_vector());
        out.push_back(b.targets.to_vector());
      }
    }
    return out;
  };
  const auto none = run(0);
  CHECK(none.size() == 2 * (11 + 4 + 11));
  CHECK(run(1) == none);
  CHECK(run(3) == none);
  DataLoaderOptions prefetch{.batch_size = 10, .prefetch = true};
  CHECK(DataLoader(ds, prefetch).batch(10).inputs.shape() == Shape{3, 1});
  CHECK_ERROR_MESSAGE(DataLoader(ds, {.num_workers = -1}),
                      "DataLoader: num_workers must be non-negative, got -1");
}
