// Per-thread oneDNN engine, stream and scratchpad; oneDNN runs on one OpenMP thread.
#include "tensor/dnnl/context.hpp"

#include <omp.h>

#include "tensor/memory.hpp"

namespace xgrad::dnnl_backend {

namespace {

struct Scratchpad {
  void* data = nullptr;
  std::size_t bytes = 0;
  ~Scratchpad() { free_block(data, bytes); }
};

struct ThreadState {
  Context ctx{dnnl::engine(dnnl::engine::kind::cpu, 0), dnnl::stream()};
  Scratchpad scratch;
  ThreadState() {
    // One OpenMP thread (OpenMP keeps the count per calling thread): libgomp's spinning
    // workers fought OpenBLAS's on a 2-core machine (a 2-thread step ran 14-66x slower than a
    // 1-thread one), and a product's rounding then never depends on set_num_threads.
    omp_set_num_threads(1);
    ctx.stream = dnnl::stream(ctx.engine);
  }
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

}  // namespace

Context& context() { return state().ctx; }

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
