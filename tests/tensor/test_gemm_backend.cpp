// The float32 products give the same results on oneDNN and on OpenBLAS (to float rounding), for
// every layout kernels_linalg.cpp hands them: plain, transposed by flag, transposed and sliced
// views, batched, a batch-shared operand, and linear with and without its bias.
#include <doctest/doctest.h>

#include <array>
#include <functional>
#include <thread>

#include "../helpers.hpp"
#include "tensor/gemm_backend.hpp"
#include "tensor/kernels.hpp"

using namespace xgrad;
using kernels::GemmBackend;
using testing::allclose;

namespace {

// Runs `f` on each backend and checks the results agree; on oneDNN builds also that the oneDNN
// run did run there (`expect_dnnl` products).
void check_paths(const std::function<Tensor()>& f, int64_t expect_dnnl = 1) {
  const GemmBackend saved = kernels::set_gemm_backend(GemmBackend::openblas);
  const int64_t before_blas = kernels::onednn_products();
  Tensor blas = f();
  CHECK(kernels::onednn_products() == before_blas);
  kernels::set_gemm_backend(GemmBackend::onednn);
  const int64_t before = kernels::onednn_products();
  Tensor dnnl = f();
  if (kernels::onednn_available()) CHECK(kernels::onednn_products() - before == expect_dnnl);
  kernels::set_gemm_backend(saved);
  REQUIRE(blas.shape() == dnnl.shape());
  CHECK(dnnl.dtype() == blas.dtype());
  CHECK(dnnl.is_contiguous());
  // The libraries sum in different orders: a float32 sum of up to 784 products of N(0, 1) values
  // differs by ~1e-4; an operand read with the wrong layout would be off by ~1.
  CHECK(allclose(dnnl, blas, 1e-3, 1e-4));
}

Tensor r(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, float32, &gen);
}

}  // namespace

TEST_CASE("gemm backend: 2-D products, transposed by flag") {
  const std::array<std::array<int64_t, 3>, 5> sizes{
      {{4, 4, 2}, {37, 53, 29}, {64, 128, 784}, {1, 17, 5}, {9, 1, 3}}};
  for (const auto& size : sizes) {
    const int64_t m = size[0], n = size[1], k = size[2];  // (clang 14 cannot capture bindings)
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    Tensor a = r({m, k}, 1), b = r({k, n}, 2), at = r({k, m}, 3), bt = r({n, k}, 4);
    check_paths([&] { return kernels::matmul(a, b, false, false); });
    check_paths([&] { return kernels::matmul(at, b, true, false); });
    check_paths([&] { return kernels::matmul(a, bt, false, true); });
    check_paths([&] { return kernels::matmul(at, bt, true, true); });
  }
}

TEST_CASE("gemm backend: transposed and column-sliced views, no copies") {
  Tensor a = r({23, 31}, 5), b = r({19, 23}, 6), wide = r({23, 40}, 7);
  // aᵀ (31, 23) as a view, times bᵀ (23, 19) as a view.
  check_paths(
      [&] { return kernels::matmul(transpose(a, 0, 1), transpose(b, 0, 1), false, false); });
  // A column slice: rows 40 apart, 12 columns.
  Tensor cols = narrow(wide, 1, 3, 12);
  check_paths([&] { return kernels::matmul(transpose(cols, 0, 1), a, false, false); });
  check_paths([&] { return kernels::matmul(cols, r({23, 9}, 8), true, false); });
}

TEST_CASE("gemm backend: batched products") {
  Tensor a = r({3, 14, 9}, 9), b = r({3, 9, 11}, 10), shared = r({9, 11}, 11);
  check_paths([&] { return kernels::matmul(a, b, false, false); });
  check_paths([&] { return kernels::matmul(a, r({3, 11, 9}, 12), false, true); });
  check_paths([&] { return kernels::matmul(r({3, 9, 14}, 13), b, true, false); });
  // A 2-D right operand shared by the batch (one tall product), and a transposed batch view.
  check_paths([&] { return kernels::matmul(a, shared, false, false); });
  check_paths([&] { return kernels::matmul(transpose(r({3, 9, 14}, 14), 1, 2), b, false, false); });
  // A 2-D left operand shared by the batch.
  check_paths([&] { return kernels::matmul(r({14, 9}, 15), b, false, false); });
  // A batch of one.
  check_paths([&] { return kernels::matmul(r({1, 5, 6}, 16), r({1, 6, 7}, 17), false, false); });
}

TEST_CASE("gemm backend: linear with the bias fused, without bias, transposed weight view") {
  Tensor x = r({16, 784}, 18), w = r({128, 784}, 19), bias = r({128}, 20);
  check_paths([&] { return kernels::linear(x, w, bias); });
  check_paths([&] { return kernels::linear(x, w, Tensor()); });
  Tensor wt = r({784, 10}, 21);  // stored (in, out): the weight as a transposed view
  check_paths([&] { return kernels::linear(x, transpose(wt, 0, 1), r({10}, 22)); });
  check_paths([&] {
    return kernels::linear(narrow(r({5, 40}, 23), 1, 7, 20), r({3, 20}, 24), r({3}, 25));
  });
}

TEST_CASE("gemm backend: float64 and empty products stay on OpenBLAS") {
  Generator gen(26);
  Tensor a = randn({20, 30}, float64, &gen), b = randn({30, 10}, float64, &gen);
  check_paths([&] { return kernels::matmul(a, b, false, false); }, 0);
  check_paths([&] { return kernels::matmul(r({4, 0}, 27), r({0, 5}, 28), false, false); }, 0);
  check_paths([&] { return kernels::linear(r({0, 3}, 29), r({2, 3}, 30), r({2}, 31)); }, 0);
}

TEST_CASE("gemm backend: the automatic choice goes by size, and not by the thread count") {
  const GemmBackend saved = kernels::set_gemm_backend(GemmBackend::automatic);
  // On oneDNN (one thread whatever set_num_threads says) a product has the same bits at 1 and 2
  // threads. OpenBLAS's threaded sgemm blocks differently and does not (the build without
  // oneDNN measured a difference here).
  set_num_threads(1);
  const Tensor one = kernels::matmul(r({64, 784}, 34), r({784, 128}, 35), false, false);
  set_num_threads(2);
  const Tensor two = kernels::matmul(r({64, 784}, 34), r({784, 128}, 35), false, false);
  set_num_threads(1);
  if (kernels::onednn_available()) CHECK(one.to_vector() == two.to_vector());
  CHECK(kernels::gemm_backend() == GemmBackend::automatic);
  const int64_t before = kernels::onednn_products();
  kernels::matmul(r({2, 2}, 32), r({2, 2}, 33), false, false);  // 8 multiply-adds
  CHECK(kernels::onednn_products() == before);
  kernels::matmul(r({64, 784}, 34), r({784, 128}, 35), false, false);
  CHECK(kernels::onednn_products() - before == (kernels::onednn_available() ? 1 : 0));
  CHECK(kernels::onednn_min_macs() > 8);
  kernels::set_gemm_backend(saved);
}

TEST_CASE("gemm backend: products in two threads (each its own primitive cache) agree") {
  Tensor a = r({64, 784}, 36), w = r({128, 784}, 37), bias = r({128}, 38);
  const Tensor expected = kernels::linear(a, w, bias);
  bool same[2] = {false, false};
  auto run = [&](int t) {
    bool ok = true;
    for (int i = 0; i < 20; ++i) ok = ok && allclose(kernels::linear(a, w, bias), expected, 0, 0);
    same[t] = ok;
  };
  std::thread first(run, 0), second(run, 1);
  first.join();
  second.join();
  CHECK(same[0]);
  CHECK(same[1]);
}
