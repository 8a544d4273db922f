// GEMM kernels through CBLAS: transposed operands are passed as flags, never copied.
#include <cblas.h>

#include <cstring>

#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"
#include "tensor/xt_adapt.hpp"

namespace xgrad::kernels {

namespace {

// C (m, n) = alpha * op(A) op(B) + beta * C, row-major, A stored (m,k) or (k,m) when trans.
template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == T(0)) std::memset(c, 0, sizeof(T) * m * n);
    return;
  }
  const auto op_a = ta ? CblasTrans : CblasNoTrans;
  const auto op_b = tb ? CblasTrans : CblasNoTrans;
  const int lda = static_cast<int>(ta ? m : k), ldb = static_cast<int>(tb ? k : n);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, op_a, op_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, n);
  else
    cblas_dgemm(CblasRowMajor, op_a, op_b, m, n, k, 1.0, a, lda, b, ldb, beta, c, n);
}

struct Operand {
  int64_t batch, rows, cols;  // logical (after the transposition flag)
};
Operand describe(const Tensor& t, bool trans) {
  int64_t batch = t.dim() == 3 ? t.shape()[0] : 0;
  int64_t r = t.shape()[t.dim() - 2], c = t.shape()[t.dim() - 1];
  return trans ? Operand{batch, c, r} : Operand{batch, r, c};
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in, bool ta, bool tb) {
  detail::Dense a_dense(a_in), b_dense(b_in);
  const Tensor &a = *a_dense, &b = *b_dense;
  if (a.dim() < 2 || a.dim() > 3 || b.dim() < 2 || b.dim() > 3)
    throw Error("matmul: kernel expects 2-D or 3-D operands, got " + format_shape(a.shape()) +
                " @ " + format_shape(b.shape()));
  if (a.dtype() != b.dtype())
    throw Error(std::string("matmul: dtype mismatch ") + dtype_name(a.dtype()) + " @ " +
                dtype_name(b.dtype()));
  Operand A = describe(a, ta), B = describe(b, tb);
  if (A.cols != B.rows || (A.batch && B.batch && A.batch != B.batch))
    throw Error("matmul: inner dimensions differ: " + format_shape(a.shape()) + " @ " +
                format_shape(b.shape()));
  const int64_t batch = std::max(A.batch, B.batch);
  const int64_t m = A.rows, n = B.cols, k = A.cols;
  Tensor out = empty(batch ? Shape{batch, m, n} : Shape{m, n}, a.dtype());
  dispatch_floating(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = out.data<T>();
    if (A.batch && !B.batch && !ta) {
      gemm<T>(false, tb, batch * m, n, k, pa, pb, T(0), pc);  // one tall GEMM
      return;
    }
    const int64_t step_a = A.batch ? m * k : 0, step_b = B.batch ? k * n : 0;
    for (int64_t i = 0; i < std::max<int64_t>(batch, 1); ++i)
      gemm<T>(ta, tb, m, n, k, pa + i * step_a, pb + i * step_b, T(0), pc + i * m * n);
  }, "matmul");
  return out;
}

Tensor linear(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in) {
  detail::Dense x_dense(x_in), w_dense(w_in);
  const Tensor &x = *x_dense, &w = *w_dense;
  Tensor bias = bias_in.defined() ? (bias_in.is_contiguous() ? bias_in : bias_in.contiguous_copy()) : bias_in;
  const int64_t rows = x.shape()[0], in = x.shape()[1], outf = w.shape()[0];
  Tensor out = empty({rows, outf}, x.dtype());
  dispatch_floating(x.dtype(), [&]<class T>() {
    T* c = out.data<T>();
    T beta = T(0);
    if (bias.defined()) {
      const T* pb = bias.data<T>();
      for (int64_t i = 0; i < rows; ++i) std::memcpy(c + i * outf, pb, outf * sizeof(T));
      beta = T(1);
    }
    gemm<T>(false, true, rows, outf, in, x.data<T>(), w.data<T>(), beta, c);
  }, "linear");
  return out;
}

}  // namespace xgrad::kernels
