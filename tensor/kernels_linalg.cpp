// GEMM kernels through oneDNN (tensor/dnnl/matmul.cpp) or CBLAS, chosen by size: transposed
// operands (and transposed or column-sliced views) are passed as flags and leading dimensions,
// or strides, never copied.
#include <cblas.h>

#include <cstring>
#include <optional>

#include "tensor/gemm_backend.hpp"
#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"
#include "tensor/xt_adapt.hpp"
#include "xgrad_config.hpp"
#if XGRAD_HAVE_DNNL
#include "tensor/dnnl/matmul.hpp"
#endif

namespace xgrad::kernels {

namespace {

thread_local GemmBackend backend_choice = GemmBackend::automatic;
thread_local int64_t dnnl_count = 0;

// Products from this many multiply-adds (m n k, times the batch) run on oneDNN; below it
// OpenBLAS's lower call overhead wins. Measured with bench_ops' BM_GemmBackend (kernels::matmul
// of (m, k) by a transposed (n, k), one thread, medians of 5 interleaved repetitions, AMD EPYC
// Zen 5): oneDNN costs ~0.65 µs at any tiny size against OpenBLAS's ~0.16 µs; OpenBLAS still
// won at 24³ (13,824: 0.75 vs 1.06 µs) and at 16·10·64, oneDNN from 32³ (32,768: 1.34 vs
// 1.18 µs) on, 2.1× at 64·128·784.
constexpr int64_t kDnnlMinMacs = 32768;

[[maybe_unused]] bool prefer_dnnl(int64_t macs) {
  if (!XGRAD_HAVE_DNNL) return false;
  switch (backend_choice) {
    case GemmBackend::openblas:
      return false;
    case GemmBackend::onednn:
      return true;
    default:
      return macs >= kDnnlMinMacs;
  }
}

// C (m, n) = op(A) op(B) + beta * C, row-major; A is stored (m, k), or (k, m) when trans, with
// lda elements between its stored rows (likewise B).
template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == T(0)) std::memset(c, 0, sizeof(T) * m * n);
    return;
  }
  const auto op_a = ta ? CblasTrans : CblasNoTrans;
  const auto op_b = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, op_a, op_b, m, n, k, 1.0f, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), beta, c, n);
  else
    cblas_dgemm(CblasRowMajor, op_a, op_b, m, n, k, 1.0, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), beta, c, n);
}

// An operand as BLAS reads it: its matrices row-major with a leading dimension, or transposed,
// which covers contiguous tensors, transposed views and column slices without a copy.
struct Operand {
  int64_t batch, rows, cols;  // logical (after the transposition flag)
  bool trans;                 // the flag handed to BLAS
  int64_t ld, batch_stride;   // in elements
};
std::optional<Operand> describe(const Tensor& t, bool trans) {
  const int64_t d = t.dim();
  const int64_t batch = d == 3 ? t.shape()[0] : 0;
  const int64_t r = t.shape()[d - 2], c = t.shape()[d - 1];
  const int64_t s0 = t.strides()[d - 2], s1 = t.strides()[d - 1];
  Operand o{batch, trans ? c : r, trans ? r : c, trans, 0, d == 3 ? t.strides()[0] : 0};
  if (s1 == 1 && s0 >= std::max<int64_t>(c, 1)) {
    o.ld = s0;  // rows of c elements, s0 apart
  } else if (s0 == 1 && s1 >= std::max<int64_t>(r, 1)) {
    o.trans = !trans;  // stored as its transpose: columns of r elements, s1 apart
    o.ld = s1;
  } else if (r <= 1 || c <= 1) {
    if (!t.is_contiguous()) return std::nullopt;
    o.ld = std::max<int64_t>(c, 1);
  } else {
    return std::nullopt;
  }
  if (batch > 1 && o.batch_stride == 0) return std::nullopt;  // an expanded batch
  return o;
}

// c (batch, m, n) = op(A) op(B) (+ bias) on oneDNN when the size and the thread's choice ask for
// it; false when BLAS is to run it (not chosen, a float64 product, or a layout oneDNN lacks).
template <class T>
bool run_dnnl(const Operand& A, const Operand& B, int64_t batch, int64_t m, int64_t n, int64_t k,
              const T* a, const T* b, const T* bias, T* c) {
#if XGRAD_HAVE_DNNL
  if constexpr (std::is_same_v<T, float>) {
    if (m == 0 || n == 0 || k == 0 || !prefer_dnnl(m * n * k * std::max<int64_t>(batch, 1)))
      return false;
    // op(X)'s element (i, j) sits at i ld + j when X is passed untransposed, at j ld + i when
    // transposed.
    dnnl_backend::MatmulArgs p;
    p.batch = batch;
    p.m = m;
    p.n = n;
    p.k = k;
    p.a_batch = A.batch ? A.batch_stride : 0;
    p.a_row = A.trans ? 1 : A.ld;
    p.a_col = A.trans ? A.ld : 1;
    p.b_batch = B.batch ? B.batch_stride : 0;
    p.b_row = B.trans ? 1 : B.ld;
    p.b_col = B.trans ? B.ld : 1;
    p.a = a;
    p.b = b;
    p.bias = bias;
    p.c = c;
    if (!dnnl_backend::matmul(p)) return false;
    ++dnnl_count;
    return true;
  }
#endif
  return false;
}

}  // namespace

GemmBackend set_gemm_backend(GemmBackend backend) noexcept {
  const GemmBackend previous = backend_choice;
  backend_choice = backend;
  return previous;
}
GemmBackend gemm_backend() noexcept { return backend_choice; }
bool onednn_available() noexcept { return XGRAD_HAVE_DNNL; }
int64_t onednn_min_macs() noexcept { return kDnnlMinMacs; }
int64_t onednn_products() noexcept { return dnnl_count; }

Tensor matmul(const Tensor& a_in, const Tensor& b_in, bool ta, bool tb) {
  if (a_in.dim() < 2 || a_in.dim() > 3 || b_in.dim() < 2 || b_in.dim() > 3)
    throw Error("matmul: kernel expects 2-D or 3-D operands, got " + format_shape(a_in.shape()) +
                " @ " + format_shape(b_in.shape()));
  if (a_in.dtype() != b_in.dtype())
    throw Error(std::string("matmul: dtype mismatch ") + dtype_name(a_in.dtype()) + " @ " +
                dtype_name(b_in.dtype()));
  // Strided operands BLAS can read directly (transposed views, column slices) are not copied.
  std::optional<Operand> da = describe(a_in, ta), db = describe(b_in, tb);
  const Tensor a = da ? a_in : a_in.contiguous_copy(), b = db ? b_in : b_in.contiguous_copy();
  const Operand A = da ? *da : *describe(a, ta), B = db ? *db : *describe(b, tb);
  if (A.cols != B.rows || (A.batch && B.batch && A.batch != B.batch))
    throw Error("matmul: inner dimensions differ: " + format_shape(a.shape()) + " @ " +
                format_shape(b.shape()));
  const int64_t batch = std::max(A.batch, B.batch);
  const int64_t m = A.rows, n = B.cols, k = A.cols;
  Tensor out = empty(batch ? Shape{batch, m, n} : Shape{m, n}, a.dtype());
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        T* pc = out.data<T>();
        if (A.batch && !B.batch && !A.trans && A.ld == k && A.batch_stride == m * k) {
          // One tall product.
          Operand tall = A;
          tall.batch = 0;
          if (!run_dnnl<T>(tall, B, 0, batch * m, n, k, pa, pb, nullptr, pc))
            gemm<T>(false, B.trans, batch * m, n, k, pa, A.ld, pb, B.ld, T(0), pc);
          return;
        }
        if (run_dnnl<T>(A, B, batch, m, n, k, pa, pb, nullptr, pc)) return;
        const int64_t step_a = A.batch ? A.batch_stride : 0, step_b = B.batch ? B.batch_stride : 0;
        for (int64_t i = 0; i < std::max<int64_t>(batch, 1); ++i)
          gemm<T>(A.trans, B.trans, m, n, k, pa + i * step_a, A.ld, pb + i * step_b, B.ld, T(0),
                  pc + i * m * n);
      },
      "matmul");
  return out;
}

Tensor linear(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in) {
  // x (rows, in) and w (out, in) go to BLAS as they are when it can read them (a transposed
  // weight, a column slice of the input), else as contiguous copies.
  std::optional<Operand> dx = describe(x_in, false), dw = describe(w_in, true);
  const Tensor x = dx ? x_in : x_in.contiguous_copy(), w = dw ? w_in : w_in.contiguous_copy();
  const Operand X = dx ? *dx : *describe(x, false), W = dw ? *dw : *describe(w, true);
  Tensor bias = bias_in.defined() && !bias_in.is_contiguous() ? bias_in.contiguous_copy() : bias_in;
  const int64_t rows = X.rows, in = X.cols, outf = W.cols;
  Tensor out = empty({rows, outf}, x.dtype());
  dispatch_floating(
      x.dtype(),
      [&]<class T>() {
        T* c = out.data<T>();
        if (run_dnnl<T>(X, W, 0, rows, outf, in, x.data<T>(), w.data<T>(),
                        bias.defined() ? bias.data<T>() : nullptr, c))
          return;  // the bias added by the primitive
        T beta = T(0);
        if (bias.defined()) {
          const T* pb = bias.data<T>();
          for (int64_t i = 0; i < rows; ++i) std::memcpy(c + i * outf, pb, outf * sizeof(T));
          beta = T(1);
        }
        gemm<T>(X.trans, W.trans, rows, outf, in, x.data<T>(), X.ld, w.data<T>(), W.ld, beta, c);
      },
      "linear");
  return out;
}

}  // namespace xgrad::kernels
