// LAPACK kernels (lapack.hpp). xgrad's matrices are row-major; LAPACK's are column-major, where a
// row-major matrix reads as its transpose. Symmetric inputs (cholesky, eigh) are therefore passed
// as they are with the triangle flag swapped; general ones (LU) are factorized as Aᵀ and solved
// with LAPACK's transposed solve; triangular solves use row-major BLAS trsm directly.
#include "tensor/lapack.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tensor/dispatch.hpp"
// cxxlapack (bundled with xtensor-blas) uses cxxblas's ASSERT.
#include "xflens/cxxblas/auxiliary/debugmacro.h"
#include "xflens/cxxlapack/cxxlapack.cxx"

namespace xgrad::kernels {

namespace {

Shape batch_shape(const Tensor& a) {
  Shape s = a.shape();
  s.resize(s.size() - 2);
  return s;
}

int64_t batch_count(const Tensor& a) {
  int64_t n = 1;
  for (std::size_t d = 0; d + 2 < a.shape().size(); ++d) n *= a.shape()[d];
  return n;
}

Shape with_last(Shape s, std::initializer_list<int64_t> last) {
  for (int64_t d : last) s.push_back(d);
  return s;
}

int lapack_int(const char* op, int64_t n) {
  if (n > (int64_t(1) << 30))
    throw Error(std::string(op) + ": a matrix dimension of " + std::to_string(n) +
                " is beyond LAPACK's 32-bit indices");
  return static_cast<int>(n);
}

template <class T>
void transpose_into(const T* src, T* dst, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[j * rows + i] = src[i * cols + j];
}

// Keeps the lower (or upper) triangle of each row-major n×n matrix, zeroing the rest.
template <class T>
void keep_triangle(T* m, int64_t n, bool upper) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (upper ? j < i : j > i) m[i * n + j] = T(0);
}

}  // namespace

void check_square_matrices(const char* op, const Tensor& a) {
  if (!a.defined()) throw Error(std::string(op) + ": the input is undefined");
  if (!is_floating_point(a.dtype()))
    throw Error(std::string(op) + ": expected a float32 or float64 tensor, got " +
                dtype_name(a.dtype()));
  if (a.dim() < 2 || a.shape()[a.dim() - 1] != a.shape()[a.dim() - 2])
    throw Error(std::string(op) + ": A must be batches of square matrices, but they are " +
                (a.dim() < 2 ? "of shape " + format_shape(a.shape())
                             : std::to_string(a.shape()[a.dim() - 2]) + " by " +
                                   std::to_string(a.shape()[a.dim() - 1]) + " matrices"));
}

void check_finite(const char* op, const Tensor& a) {
  const Tensor dense = a.contiguous();
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        const T* p = dense.data<T>();
        for (int64_t i = 0; i < dense.numel(); ++i)
          if (!std::isfinite(p[i]))
            throw Error(std::string(op) + ": the input has " +
                        (std::isnan(p[i]) ? "a NaN" : "an infinite value") + " at flat index " +
                        std::to_string(i));
      },
      op);
}

std::pair<Tensor, Tensor> cholesky(const Tensor& a, bool upper) {
  const char* op = "linalg.cholesky";
  check_square_matrices(op, a);
  check_finite(op, a);
  const int64_t n = a.shape()[a.dim() - 1];
  const int ln = lapack_int(op, n);
  Tensor out = a.contiguous_copy();
  Tensor info = zeros(batch_shape(a), int32);
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        T* m = out.data<T>();
        int32_t* inf = info.data<int32_t>();
        for (int64_t b = 0; b < batch_count(a); ++b, m += n * n) {
          if (n == 0) continue;
          // The column-major view is Aᵀ: its upper triangle is A's lower one.
          inf[b] = cxxlapack::potrf<int>(upper ? 'L' : 'U', ln, m, ln);
          keep_triangle(m, n, upper);
        }
      },
      op);
  return {out, info};
}

LU lu_factor(const Tensor& a) {
  const char* op = "linalg.lu_factor";
  check_square_matrices(op, a);
  check_finite(op, a);
  const int64_t n = a.shape()[a.dim() - 1];
  const int ln = lapack_int(op, n);
  LU lu{a.contiguous_copy(), empty(with_last(batch_shape(a), {n}), int32),
        zeros(batch_shape(a), int32)};
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        T* m = lu.factors.data<T>();
        int32_t* piv = lu.pivots.data<int32_t>();
        int32_t* inf = lu.info.data<int32_t>();
        for (int64_t b = 0; b < batch_count(a); ++b, m += n * n, piv += n)
          if (n > 0) inf[b] = cxxlapack::getrf<int>(ln, ln, m, ln, piv);
      },
      op);
  return lu;
}

Tensor lu_solve(const LU& lu, const Tensor& b, bool transpose) {
  const char* op = "linalg.lu_solve";
  const int64_t n = lu.factors.shape()[lu.factors.dim() - 1];
  const int64_t k = b.shape()[b.dim() - 1];
  const int ln = lapack_int(op, n), lk = lapack_int(op, k);
  Tensor dense_b = b.contiguous();
  Tensor out = empty(b.shape(), b.dtype());
  dispatch_floating(
      b.dtype(),
      [&]<class T>() {
        std::vector<T> column_major(static_cast<std::size_t>(n * k));
        const T* m = lu.factors.data<T>();
        const int32_t* piv = lu.pivots.data<int32_t>();
        const T* src = dense_b.data<T>();
        T* dst = out.data<T>();
        for (int64_t bi = 0; bi < batch_count(b);
             ++bi, m += n * n, piv += n, src += n * k, dst += n * k) {
          if (n == 0 || k == 0) continue;
          transpose_into(src, column_major.data(), n, k);
          // The factors are of Aᵀ, so A X = B is LAPACK's transposed solve.
          cxxlapack::getrs<int>(transpose ? 'N' : 'T', ln, lk, m, ln, piv, column_major.data(), ln);
          transpose_into(column_major.data(), dst, k, n);
        }
      },
      op);
  return out;
}

namespace {
// Sign (+-1, 0 when singular) and log|det| of each matrix: the product of U's diagonal, negated
// once per row interchange.
std::pair<Tensor, Tensor> sign_and_log_magnitude(const LU& lu) {
  const int64_t n = lu.factors.shape()[lu.factors.dim() - 1];
  Tensor sign = empty(batch_shape(lu.factors), lu.factors.dtype());
  Tensor log_magnitude = empty(batch_shape(lu.factors), lu.factors.dtype());
  dispatch_floating(lu.factors.dtype(), [&]<class T>() {
    const T* m = lu.factors.data<T>();
    const int32_t* piv = lu.pivots.data<int32_t>();
    T* s = sign.data<T>();
    T* l = log_magnitude.data<T>();
    for (int64_t b = 0; b < batch_count(lu.factors); ++b, m += n * n, piv += n) {
      T sg = 1, lg = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T d = m[i * n + i];
        if (piv[i] != i + 1) sg = -sg;
        if (d < 0) sg = -sg;
        if (d == 0) sg = 0;
        lg += std::log(std::abs(d));
      }
      s[b] = sg;
      l[b] = lg;
    }
  });
  return {sign, log_magnitude};
}
}  // namespace

Tensor lu_det(const LU& lu) {
  auto [sign, log_magnitude] = sign_and_log_magnitude(lu);
  Tensor det = empty(sign.shape(), sign.dtype());
  dispatch_floating(sign.dtype(), [&]<class T>() {
    const int64_t n = lu.factors.shape()[lu.factors.dim() - 1];
    const T* m = lu.factors.data<T>();
    const int32_t* piv = lu.pivots.data<int32_t>();
    T* d = det.data<T>();
    // The plain product (not exp of the log): exact for small integer matrices.
    for (int64_t b = 0; b < det.numel(); ++b, m += n * n, piv += n) {
      T p = 1;
      for (int64_t i = 0; i < n; ++i) p *= piv[i] != i + 1 ? -m[i * n + i] : m[i * n + i];
      d[b] = p;
    }
  });
  return det;
}

std::pair<Tensor, Tensor> lu_slogdet(const LU& lu) { return sign_and_log_magnitude(lu); }

Tensor solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left,
                        bool unitriangular) {
  const char* op = "linalg.solve_triangular";
  const int64_t n = a.shape()[a.dim() - 1];
  const int64_t rows = b.shape()[b.dim() - 2], cols = b.shape()[b.dim() - 1];
  const int lr = lapack_int(op, rows), lc = lapack_int(op, cols), ln = lapack_int(op, n);
  const Tensor dense_a = a.contiguous();
  Tensor out = b.contiguous_copy();
  const CBLAS_SIDE side = left ? CblasLeft : CblasRight;
  const CBLAS_UPLO uplo = upper ? CblasUpper : CblasLower;
  const CBLAS_DIAG diag = unitriangular ? CblasUnit : CblasNonUnit;
  dispatch_floating(
      b.dtype(),
      [&]<class T>() {
        const T* m = dense_a.data<T>();
        T* x = out.data<T>();
        for (int64_t bi = 0; bi < batch_count(b); ++bi, m += n * n, x += rows * cols) {
          if (rows == 0 || cols == 0) continue;
          if constexpr (std::is_same_v<T, float>)
            cblas_strsm(CblasRowMajor, side, uplo, CblasNoTrans, diag, lr, lc, 1.0f, m, ln, x, lc);
          else
            cblas_dtrsm(CblasRowMajor, side, uplo, CblasNoTrans, diag, lr, lc, 1.0, m, ln, x, lc);
        }
      },
      op);
  return out;
}

std::pair<Tensor, Tensor> eigh(const Tensor& a, bool upper, bool vectors) {
  const char* op = vectors ? "linalg.eigh" : "linalg.eigvalsh";
  check_square_matrices(op, a);
  check_finite(op, a);
  const int64_t n = a.shape()[a.dim() - 1];
  const int ln = lapack_int(op, n);
  Tensor work_matrices = a.contiguous_copy();
  Tensor values = empty(with_last(batch_shape(a), {n}), a.dtype());
  Tensor vecs = vectors ? empty(a.shape(), a.dtype()) : Tensor();
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        T* m = work_matrices.data<T>();
        T* w = values.data<T>();
        T* v = vectors ? vecs.data<T>() : nullptr;
        const char jobz = vectors ? 'V' : 'N';
        const char uplo = upper ? 'L' : 'U';  // the column-major view is Aᵀ
        T work_size = 0;
        int iwork_size = 0;
        if (n > 0) cxxlapack::syevd<int>(jobz, uplo, ln, m, ln, w, &work_size, -1, &iwork_size, -1);
        std::vector<T> work(static_cast<std::size_t>(std::max<T>(work_size, 1)));
        std::vector<int> iwork(static_cast<std::size_t>(std::max(iwork_size, 1)));
        for (int64_t b = 0; b < batch_count(a); ++b, m += n * n, w += n) {
          if (n == 0) continue;
          const int info = cxxlapack::syevd<int>(jobz, uplo, ln, m, ln, w, work.data(),
                                                 static_cast<int>(work.size()), iwork.data(),
                                                 static_cast<int>(iwork.size()));
          if (info != 0)
            throw Error(std::string(op) + ": (Batch element " + std::to_string(b) +
                        "): the algorithm failed to converge (" + std::to_string(info) +
                        " off-diagonal elements did not converge to zero)");
          // LAPACK's columns are the eigenvectors; read row-major, that memory is Vᵀ.
          if (vectors) {
            transpose_into(m, v, n, n);
            v += n * n;
          }
        }
      },
      op);
  return {values, vecs};
}

namespace {
void check_matrices(const char* op, const Tensor& a) {
  if (!a.defined()) throw Error(std::string(op) + ": the input is undefined");
  if (!is_floating_point(a.dtype()))
    throw Error(std::string(op) + ": expected a float32 or float64 tensor, got " +
                dtype_name(a.dtype()));
  if (a.dim() < 2)
    throw Error(std::string(op) + ": the input must have at least 2 dimensions, got shape " +
                format_shape(a.shape()));
}
}  // namespace

SVD svd(const Tensor& a, bool full_matrices, bool vectors) {
  const char* op = vectors ? "linalg.svd" : "linalg.svdvals";
  check_matrices(op, a);
  check_finite(op, a);
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1], k = std::min(m, n);
  const int lm = lapack_int(op, m), ln = lapack_int(op, n);
  const int64_t u_cols = full_matrices ? m : k, vh_rows = full_matrices ? n : k;
  Tensor work_matrices = a.contiguous_copy();
  SVD out;
  out.s = empty(with_last(batch_shape(a), {k}), a.dtype());
  if (vectors) {
    out.u = empty(with_last(batch_shape(a), {m, u_cols}), a.dtype());
    out.vh = empty(with_last(batch_shape(a), {vh_rows, n}), a.dtype());
  }
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        // The column-major view is Aᵀ (n × m) = U' S V'ᵀ, so A = V' S U'ᵀ: LAPACK's Vᵀ buffer
        // (m × u_cols, column-major) read row-major is U, and its U buffer (n × vh_rows) is Vh.
        const char jobz = !vectors ? 'N' : full_matrices ? 'A' : 'S';
        T* m_data = work_matrices.data<T>();
        T* s_data = out.s.data<T>();
        T* u_data = vectors ? out.u.data<T>() : nullptr;
        T* vh_data = vectors ? out.vh.data<T>() : nullptr;
        std::vector<int> iwork(static_cast<std::size_t>(std::max<int64_t>(8 * k, 1)));
        T work_size = 0;
        T dummy = 0;
        if (k > 0)
          cxxlapack::gesdd<int>(jobz, ln, lm, m_data, ln, s_data, vectors ? vh_data : &dummy, ln,
                                vectors ? u_data : &dummy, vectors ? lapack_int(op, u_cols) : 1,
                                &work_size, -1, iwork.data());
        std::vector<T> work(static_cast<std::size_t>(std::max<T>(work_size, 1)));
        for (int64_t b = 0; b < batch_count(a); ++b) {
          if (k == 0) continue;
          const int info = cxxlapack::gesdd<int>(
              jobz, ln, lm, m_data + b * m * n, ln, s_data + b * k,
              vectors ? vh_data + b * vh_rows * n : &dummy, ln,
              vectors ? u_data + b * m * u_cols : &dummy, vectors ? lapack_int(op, u_cols) : 1,
              work.data(), static_cast<int>(work.size()), iwork.data());
          if (info != 0)
            throw Error(std::string(op) + ": (Batch element " + std::to_string(b) +
                        "): the algorithm failed to converge (" + std::to_string(info) +
                        " superdiagonals of an intermediate bidiagonal form did not converge)");
        }
      },
      op);
  return out;
}

std::pair<Tensor, Tensor> qr(const Tensor& a, bool complete) {
  const char* op = "linalg.qr";
  check_matrices(op, a);
  check_finite(op, a);
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1], k = std::min(m, n);
  const int lm = lapack_int(op, m);
  const int64_t q_cols = complete ? m : k, r_rows = complete ? m : k;
  const Tensor dense = a.contiguous();
  Tensor q = empty(with_last(batch_shape(a), {m, q_cols}), a.dtype());
  Tensor r = zeros(with_last(batch_shape(a), {r_rows, n}), a.dtype());
  dispatch_floating(
      a.dtype(),
      [&]<class T>() {
        // A column-major copy of each A (m × n), with room for m columns when Q is complete.
        const int64_t cols = std::max(n, q_cols);
        std::vector<T> buffer(static_cast<std::size_t>(m * cols));
        std::vector<T> tau(static_cast<std::size_t>(std::max<int64_t>(k, 1)));
        T work_size = 0, work_size_q = 0;
        if (k > 0) {
          cxxlapack::geqrf<int>(lm, lapack_int(op, n), buffer.data(), lm, tau.data(), &work_size,
                                -1);
          cxxlapack::orgqr<int>(lm, lapack_int(op, q_cols), lapack_int(op, k), buffer.data(), lm,
                                tau.data(), &work_size_q, -1);
        }
        std::vector<T> work(static_cast<std::size_t>(std::max<T>({work_size, work_size_q, T(1)})));
        const T* src = dense.data<T>();
        T* q_data = q.data<T>();
        T* r_data = r.data<T>();
        for (int64_t b = 0; b < batch_count(a);
             ++b, src += m * n, q_data += m * q_cols, r_data += r_rows * n) {
          if (m == 0) continue;
          transpose_into(src, buffer.data(), m, n);
          if (k > 0)
            cxxlapack::geqrf<int>(lm, lapack_int(op, n), buffer.data(), lm, tau.data(), work.data(),
                                  static_cast<int>(work.size()));
          for (int64_t i = 0; i < std::min(r_rows, m); ++i)
            for (int64_t j = i; j < n; ++j) r_data[i * n + j] = buffer[j * m + i];
          if (k > 0)
            cxxlapack::orgqr<int>(lm, lapack_int(op, q_cols), lapack_int(op, k), buffer.data(), lm,
                                  tau.data(), work.data(), static_cast<int>(work.size()));
          else
            std::fill(buffer.begin(), buffer.end(), T(0));
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < q_cols; ++j) q_data[i * q_cols + j] = buffer[j * m + i];
        }
      },
      op);
  return {q, r};
}

}  // namespace xgrad::kernels
