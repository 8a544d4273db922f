// The per-thread oneDNN state the primitive families share: the CPU engine and stream, the
// scratchpad buffer every primitive is given (primitives are created with a user scratchpad, so
// oneDNN never allocates one), and the OpenMP thread count oneDNN runs on. Internal: included
// only by tensor/dnnl/*.cpp and never from a public header.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>

namespace xgrad::dnnl_backend {

struct Context {
  dnnl::engine engine;
  dnnl::stream stream;
};
// This thread's engine and stream, created on first use (and this thread's OpenMP count set
// to 1: oneDNN runs single-threaded until one thread pool serves it and OpenBLAS).
Context& context();

// This thread's scratchpad: at least `bytes`, 64-byte aligned, from the block cache. Grows
// only, so a warm step that asks for the same sizes reuses it without allocating.
void* scratchpad(std::size_t bytes);

}  // namespace xgrad::dnnl_backend
