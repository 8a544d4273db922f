// LAPACK kernels: the non-differentiable factorizations and solves behind xgrad::linalg, batched
// over leading dimensions (one LAPACK call per matrix), float32 and float64, through the cxxlapack
// interface that ships with xtensor-blas (LAPACK from OpenBLAS). Matrices are the last two dims.
// Inputs may be any layout; results are new contiguous tensors. Each checks that its input is
// finite (LAPACK may loop or abort on NaN) and raises an Error naming `op` otherwise.
#pragma once

#include <utility>

#include "tensor.hpp"

namespace xgrad::kernels {

// Throws "op: expected a batch of square matrices ..." / non-floating / NaN-or-Inf errors.
void check_square_matrices(const char* op, const Tensor& a);
void check_finite(const char* op, const Tensor& a);

// Cholesky factor (lower L with A = L Lᵀ, or upper U with A = Uᵀ U) of the lower (upper)
// triangle of A. info has the batch shape (int32): 0, or the order of the leading minor that is
// not positive-definite (the factor's entries are then unspecified).
std::pair<Tensor, Tensor> cholesky(const Tensor& a, bool upper);

// LU factorization with partial pivoting (getrf) of each square matrix: the packed factors
// (unit lower L below the diagonal, U on and above it), the pivots (int32, 1-based as LAPACK
// gives them, batch shape + (n)) and info (batch shape: 0, or the 1-based index of the first
// zero pivot).
struct LU {
  Tensor factors, pivots, info;
};
LU lu_factor(const Tensor& a);

// X with A X = B (or Aᵀ X = B when transpose), B (..., n, k) with A's batch dims, from
// lu_factor's factors.
Tensor lu_solve(const LU& lu, const Tensor& b, bool transpose = false);
// The determinant, and its sign and log-magnitude, of each matrix from its LU factors.
Tensor lu_det(const LU& lu);
std::pair<Tensor, Tensor> lu_slogdet(const LU& lu);

// X with op(A) X = B, or X op(A) = B when !left, for triangular A (BLAS trsm); only A's triangle
// is read; unitriangular takes its diagonal as ones.
Tensor solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left,
                        bool unitriangular);

// Eigenvalues (ascending, batch shape + (n)) and, when `vectors`, the orthonormal eigenvectors as
// columns, of the symmetric matrices given by their lower (or upper) triangle (syevd).
std::pair<Tensor, Tensor> eigh(const Tensor& a, bool upper, bool vectors);

// A = U diag(S) Vh for (..., m, n) A, k = min(m, n): U (..., m, k) or (..., m, m) with
// full_matrices, S (..., k) descending, Vh (..., k, n) or (..., n, n) (gesdd). Without
// `vectors` only S is computed (U and Vh undefined).
struct SVD {
  Tensor u, s, vh;
};
SVD svd(const Tensor& a, bool full_matrices, bool vectors = true);

// A = Q R for (..., m, n) A, k = min(m, n): reduced Q (..., m, k), R (..., k, n); complete Q
// (..., m, m), R (..., m, n) (geqrf, orgqr).
std::pair<Tensor, Tensor> qr(const Tensor& a, bool complete);

}  // namespace xgrad::kernels
