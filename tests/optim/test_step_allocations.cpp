// A warm training step (zero_grad, forward, cross-entropy, backward, Adam) makes no heap
// allocation: this program's operator new counts calls. Off under AddressSanitizer, where the
// block cache is disabled on purpose and ASan owns operator new.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "xgrad.hpp"

#if !defined(__SANITIZE_ADDRESS__)  // as in tensor/memory.cpp
namespace {
std::atomic<long> heap_allocations{0};
}
void* operator new(std::size_t n) {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace xgrad;

TEST_CASE("a warm MNIST-MLP training step makes no heap allocation") {
  Generator gen(0);
  nn::Sequential model{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 128, true, &gen),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(128, 64, true, &gen),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(64, 10, true, &gen)};
  optim::Adam opt(model.parameters(), {.lr = 1e-3});
  nn::CrossEntropyLoss loss_fn;
  Tensor x = rand({16, 1, 28, 28}, float32, &gen);
  Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, {16},
                         int64);
  double first = 0, last = 0;
  auto step = [&] {
    opt.zero_grad();
    Tensor loss = loss_fn(model(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  first = step();
  for (int i = 0; i < 3; ++i) step();  // warm-up: optimizer state, block cache, engine buffers
  const long before = heap_allocations.load();
  for (int i = 0; i < 10; ++i) last = step();
  CHECK(heap_allocations.load() - before == 0);
  CHECK(last < first);  // the steps did train
}
#endif
