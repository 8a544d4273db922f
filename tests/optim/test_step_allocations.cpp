// A warm training step (zero_grad, forward, cross-entropy, backward, Adam) makes no heap
// allocation: this program's operator new counts calls. Off under AddressSanitizer, where the
// block cache is disabled on purpose and ASan owns operator new.
// With oneDNN, its dnnl_primitive_execute (2.6) puts each call's arguments in a std::unordered_map
// (a handful of small blocks per product, freed on return); no API avoids it. Those are counted
// apart, by the caller's address inside libdnnl, and must stay that few: a primitive created
// again in a warm step would allocate hundreds.
#include <doctest/doctest.h>
#include <link.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/gemm_backend.hpp"
#include "xgrad.hpp"

#if !defined(__SANITIZE_ADDRESS__)  // as in tensor/memory.cpp
namespace {
std::atomic<long> heap_allocations{0}, dnnl_allocations{0};
std::uintptr_t dnnl_begin = 0, dnnl_end = 0;  // libdnnl's code, once it is found

int find_dnnl(dl_phdr_info* info, std::size_t, void*) {
  if (!info->dlpi_name || !std::strstr(info->dlpi_name, "libdnnl.so")) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
      dnnl_begin = info->dlpi_addr + ph.p_vaddr;
      dnnl_end = dnnl_begin + ph.p_memsz;
    }
  }
  return 1;
}
}  // namespace
// The replacements below pair malloc with free themselves; GCC 12 sees the inlined free of a
// pointer from `new` and warns (-Wmismatched-new-delete), which is wrong here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  const auto caller = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  if (caller >= dnnl_begin && caller < dnnl_end)
    dnnl_allocations.fetch_add(1, std::memory_order_relaxed);
  else
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
  dl_iterate_phdr(find_dnnl, nullptr);
  CHECK((dnnl_begin != 0) == kernels::onednn_available());
  first = step();
  for (int i = 0; i < 3; ++i) step();  // warm-up: optimizer state, block cache, engine buffers
  const long before = heap_allocations.load(), dnnl_before = dnnl_allocations.load();
  const int64_t products_before = kernels::onednn_products();
  for (int i = 0; i < 10; ++i) last = step();
  CHECK(heap_allocations.load() - before == 0);
  const long dnnl = dnnl_allocations.load() - dnnl_before;
  const int64_t products = kernels::onednn_products() - products_before;
  MESSAGE("oneDNN: " << products << " products, " << dnnl << " argument-map blocks in 10 steps");
  CHECK(dnnl <= 8 * products);
  CHECK(last < first);  // the steps did train
}
#endif
