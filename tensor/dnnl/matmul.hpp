// float32 matrix products on oneDNN's matmul primitive: the oneDNN side of kernels::matmul and
// kernels::linear (tensor/kernels_linalg.cpp decides which library runs a product). Internal.
#pragma once

#include <cstdint>

namespace xgrad::dnnl_backend {

// c (batch, m, n), contiguous = op(a) op(b) (+ bias (n) broadcast over the rows). op(a) is the
// logical (batch, m, k) operand, element (p, i, j) at a + p a_batch + i a_row + j a_col, so a
// transposed or column-sliced view is described by its strides, never copied; likewise op(b)
// (batch, k, n). batch 0 is a 2-D product; a batch stride of 0 shares that operand across the
// batch. m, n and k are positive.
struct MatmulArgs {
  int64_t batch = 0, m = 0, n = 0, k = 0;
  int64_t a_batch = 0, a_row = 0, a_col = 0;
  int64_t b_batch = 0, b_row = 0, b_col = 0;
  const float* a = nullptr;
  const float* b = nullptr;
  const float* bias = nullptr;  // optional, contiguous
  float* c = nullptr;
};

// Runs the product through a primitive created once per (shapes, strides, bias, thread count)
// and kept in this thread's small LRU cache. Returns false, having written nothing, when oneDNN
// has no implementation for this layout (the caller then uses BLAS).
bool matmul(const MatmulArgs& args);

// Primitives in this thread's cache (for tests).
int cached_matmul_primitives() noexcept;

}  // namespace xgrad::dnnl_backend
