// Which library runs float32 matrix products (kernels::matmul, kernels::linear): oneDNN's
// matmul primitive (tensor/dnnl/) when the build has it, OpenBLAS otherwise, for tiny products
// and for float64. The choice is per thread; forcing a path is for tests and benchmarks.
#pragma once

#include <cstdint>

namespace xgrad::kernels {

enum class GemmBackend {
  // By size: oneDNN (on one thread) at or above onednn_min_macs() multiply-adds, else OpenBLAS.
  automatic,
  openblas,
  onednn,  // every float32 product oneDNN implements; OpenBLAS when the build has no oneDNN
};
// Sets this thread's choice and returns the previous one.
GemmBackend set_gemm_backend(GemmBackend backend) noexcept;
GemmBackend gemm_backend() noexcept;

// True when the library was built with oneDNN (meson -Ddnnl=auto finding it, or enabled).
bool onednn_available() noexcept;
// The size (m n k, times the batch) from which `automatic` prefers oneDNN.
int64_t onednn_min_macs() noexcept;
// Products this thread has run on oneDNN since it started (tests check a path really ran).
int64_t onednn_products() noexcept;
// Convolution passes (forward, backward data, backward weights) this thread has run on oneDNN.
int64_t onednn_convolutions() noexcept;

}  // namespace xgrad::kernels
