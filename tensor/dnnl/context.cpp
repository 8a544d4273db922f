// Per-thread oneDNN engine, stream and scratchpad, and the OpenMP thread count.
#include "tensor/dnnl/context.hpp"

#include <omp.h>

#include <atomic>

#include "tensor/memory.hpp"

namespace xgrad::dnnl_backend {

namespace {

std::atomic<int> threads_wanted{0};

struct Scratchpad {
  void* data = nullptr;
  std::size_t bytes = 0;
  ~Scratchpad() { free_block(data, bytes); }
};

struct ThreadState {
  Context ctx{dnnl::engine(dnnl::engine::kind::cpu, 0), dnnl::stream()};
  int threads_applied = 0;
  Scratchpad scratch;
  ThreadState() { ctx.stream = dnnl::stream(ctx.engine); }
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

}  // namespace

Context& context() {
  ThreadState& s = state();
  const int want = threads_wanted.load(std::memory_order_relaxed);
  if (want > 0 && want != s.threads_applied) {
    omp_set_num_threads(want);
    s.threads_applied = want;
  }
  return s.ctx;
}

void set_threads(int n) noexcept { threads_wanted.store(n, std::memory_order_relaxed); }
int requested_threads() noexcept { return threads_wanted.load(std::memory_order_relaxed); }

void* scratchpad(std::size_t bytes) {
  Scratchpad& s = state().scratch;
  if (bytes > s.bytes) {
    void* p = allocate_block(bytes);
    free_block(s.data, s.bytes);
    s.data = p;
    s.bytes = bytes;
  }
  return s.data;
}

}  // namespace xgrad::dnnl_backend
