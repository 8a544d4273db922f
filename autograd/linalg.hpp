// Differentiable linear algebra (torch.linalg): factorizations, solves, determinants and the
// symmetric eigendecomposition, batched over leading dimensions, float32 and float64, with
// PyTorch's gradient formulas (autograd/linalg.cpp, kernels in tensor/kernels_lapack.cpp). Every
// backward is written with differentiable ops, so second derivatives work too.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::linalg {

// L with A = L Lᵀ (or U with A = Uᵀ U when upper), from A's lower (upper) triangle. A matrix that
// is not positive-definite is an Error naming the batch element and the leading minor;
// cholesky_ex returns (factor, info) instead, info (int32, batch shape) nonzero where it failed.
// The gradient is symmetric (PyTorch's): gradcheck it through a symmetric parametrisation.
Tensor cholesky(const Tensor& a, bool upper = false);
std::pair<Tensor, Tensor> cholesky_ex(const Tensor& a, bool upper = false);

// X with A X = B (left) or X A = B, for triangular A (only its triangle is read; unitriangular
// takes the diagonal as ones). Batch dims broadcast.
Tensor solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left = true,
                        bool unitriangular = false);
// X with A X = B where A = L Lᵀ (or Uᵀ U) is given by its Cholesky factor (torch.cholesky_solve).
Tensor cholesky_solve(const Tensor& b, const Tensor& factor, bool upper = false);

// X with A X = B (left) or X A = B; B may be a vector (..., n). Batch dims broadcast. A singular
// A is an Error naming the batch element and the zero pivot.
Tensor solve(const Tensor& a, const Tensor& b, bool left = true);
Tensor inv(const Tensor& a);
std::pair<Tensor, Tensor> inv_ex(const Tensor& a);  // (inverse, info): no Error when singular

// Determinants by LU. slogdet gives (sign, log|det|); logdet is log det (NaN for a negative
// determinant, -inf for a singular matrix, as in PyTorch). det's gradient uses A⁻¹, and at a
// singular A the adjugate through the SVD (finite, first order only there); slogdet's needs an
// invertible A.
Tensor det(const Tensor& a);
std::pair<Tensor, Tensor> slogdet(const Tensor& a);
Tensor logdet(const Tensor& a);

// Eigenvalues in ascending order and orthonormal eigenvectors (as columns) of symmetric
// matrices given by their lower ("L") or upper ("U") triangle. The gradient is PyTorch's: it is
// undefined (infinite) for repeated eigenvalues, and it depends on the eigenvectors only through
// quantities independent of their signs.
std::pair<Tensor, Tensor> eigh(const Tensor& a, const std::string& uplo = "L");
Tensor eigvalsh(const Tensor& a, const std::string& uplo = "L");

// A = U diag(S) Vh, S descending; reduced (k = min(m, n) columns of U, rows of Vh) unless
// full_matrices. The gradient is PyTorch's: undefined for repeated (or, through U and Vh, zero)
// singular values, and defined only for functions that do not depend on the signs of the
// singular vectors. With full_matrices the extra columns make U and Vh non-differentiable (an
// Error if a gradient reaches them), as in PyTorch.
struct SVD {
  Tensor U, S, Vh;
};
SVD svd(const Tensor& a, bool full_matrices = true);
Tensor svdvals(const Tensor& a);

// A = Q R, mode "reduced" (Q (m, k), R (k, n)), "complete" (Q (m, m), R (m, n)) or "r" (R only,
// Q undefined, not differentiable). The gradient exists for "reduced" and for "complete" when
// m <= n (PyTorch's restriction).
struct QR {
  Tensor Q, R;
};
QR qr(const Tensor& a, const std::string& mode = "reduced");

// The least-squares solution of A X ≈ B through QR (full column rank A, m >= n) or the
// minimum-norm solution through the pseudo-inverse (m < n); residuals: the squared residual
// norm per column of B when m > n, else empty; rank: from the singular values (int64).
struct Lstsq {
  Tensor solution, residuals, rank;
};
Lstsq lstsq(const Tensor& a, const Tensor& b);

// The Moore–Penrose pseudo-inverse by SVD, singular values below rtol · max(S) dropped (default
// rtol: machine epsilon · max(m, n), as PyTorch). The gradient is the pseudo-inverse's own
// (Golub & Pereyra), valid where the rank does not change.
Tensor pinv(const Tensor& a, double rtol = -1.0);

// ‖A‖ over the last two dims: "fro", "nuc" (sum of singular values), or ord 2 / -2 (largest /
// smallest singular value), 1 / -1 (max / min column abs sum), inf / -inf (row sums).
Tensor matrix_norm(const Tensor& a, const std::string& ord = "fro", bool keepdim = false);
Tensor matrix_norm(const Tensor& a, double ord, bool keepdim = false);
// The vector p-norm over `dims` (all when empty), as torch.linalg.vector_norm.
Tensor vector_norm(const Tensor& x, double ord = 2.0, const std::vector<int64_t>& dims = {},
                   bool keepdim = false);

// e^A by scaling and squaring of a degree-18 Taylor polynomial, written in differentiable ops.
Tensor matrix_exp(const Tensor& a);

// Sum of the diagonal of the last two dims; a vector's entries on a diagonal of new last two
// dims (offset > 0 above the main one), as torch.diag_embed.
Tensor trace(const Tensor& a);
Tensor diag_embed(const Tensor& v, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);

}  // namespace xgrad::linalg
