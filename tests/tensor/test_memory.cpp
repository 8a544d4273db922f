// tensor/memory.cpp: the per-thread block cache's policy and the storage byte counter.
#include <thread>

#include "../helpers.hpp"

using namespace xgrad;

TEST_CASE("block cache: a thread keeps what it has had in use at once, never what it only frees") {
  release_cached_memory();
  CHECK(cached_memory_bytes() == 0);
  const void* first = nullptr;
  {
    Tensor t = empty({100, 100});
    first = t.raw_data();
  }
#if defined(__SANITIZE_ADDRESS__)
  // The cache is off under AddressSanitizer: every block goes straight back to the system.
  CHECK(cached_memory_bytes() == 0);
#else
  CHECK(cached_memory_bytes() >= 40000);
  CHECK(empty({100, 100}).raw_data() == first);         // the same block, from the cache
  constexpr std::size_t kBlock = std::size_t(1) << 18;  // 256 KiB: a large size
  release_cached_memory();
  {
    std::vector<Tensor> many;
    for (int i = 0; i < 40; ++i) many.push_back(empty({1 << 16}));
  }
  // 40 were in use at once, so all 40 are kept (plus the small blocks of their TensorImpls),
  // and the next 40 come from the cache.
  CHECK(cached_memory_bytes() >= 40 * kBlock);
  CHECK(cached_memory_bytes() < 41 * kBlock);
  const std::size_t after_step = cached_memory_bytes();
  {
    std::vector<Tensor> again;
    for (int i = 0; i < 40; ++i) again.push_back(empty({1 << 16}));
    CHECK(cached_memory_bytes() < 40000);
  }
  CHECK(cached_memory_bytes() == after_step);

  // Blocks another thread made (a prefetch thread's batches) and this one only frees, of a size
  // it never allocated, go back to the system however many arrive.
  release_cached_memory();
  for (int round = 0; round < 5; ++round) {
    std::vector<Tensor> batches;
    std::thread producer([&] {
      for (int i = 0; i < 20; ++i) batches.push_back(empty({3 << 16}));  // 768 KiB
    });
    producer.join();
  }
  CHECK(cached_memory_bytes() < kBlock);
#endif
  release_cached_memory();
  CHECK(cached_memory_bytes() == 0);
  static_cast<void>(first);
}

TEST_CASE("memory_stats counts the bytes of live tensor storage and their peak") {
  const std::size_t base = memory_stats().current_bytes;
  reset_peak_memory_stats();
  CHECK(memory_stats().peak_bytes == base);
  {
    Tensor a = empty({1000}, float64);  // 8000 bytes
    CHECK(memory_stats().current_bytes == base + 8000);
    Tensor view = a.index({indexing::Slice(0, 10)});  // views share the storage
    Tensor alias = a;
    CHECK(memory_stats().current_bytes == base + 8000);
    {
      Tensor b = empty({500}, float32);  // 2000 bytes
      CHECK(memory_stats().current_bytes == base + 10000);
    }
    CHECK(memory_stats().current_bytes == base + 8000);
    CHECK(memory_stats().peak_bytes == base + 10000);
    // The elements of tensors of up to 64 bytes live inside their Storage and are not counted.
#if !defined(__SANITIZE_ADDRESS__)
    Tensor tiny = empty({8}, float64);
    CHECK(memory_stats().current_bytes == base + 8000);
#endif
    reset_peak_memory_stats();
    CHECK(memory_stats().peak_bytes == memory_stats().current_bytes);
  }
  CHECK(memory_stats().current_bytes == base);
  // Storage made on one thread and freed on another is counted once, wherever it dies.
  Tensor made_elsewhere;
  std::thread([&] { made_elsewhere = empty({256}, float64); }).join();
  CHECK(memory_stats().current_bytes == base + 2048);
  made_elsewhere = Tensor();
  CHECK(memory_stats().current_bytes == base);
  // Tensors wrapping user memory are not counted.
  std::vector<float> buffer(1000);
  Tensor wrapped = from_blob(buffer.data(), {1000});
  CHECK(memory_stats().current_bytes == base);
}
