// Differentiable linear algebra (torch.linalg): factorizations, solves, determinants and the
// symmetric eigendecomposition, batched over leading dimensions, float32 and float64, with
// PyTorch's gradient formulas (autograd/linalg.cpp, kernels in tensor/kernels_lapack.cpp). Every
// backward is written with differentiable ops, so second derivatives work too.
#pragma once

#include <string>
#include <utility>

#include "tensor/tensor.hpp"

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
// determinant, -inf for a singular matrix, as in PyTorch). Their gradients use A⁻¹ and are
// finite only where A is invertible.
Tensor det(const Tensor& a);
std::pair<Tensor, Tensor> slogdet(const Tensor& a);
Tensor logdet(const Tensor& a);

// Eigenvalues in ascending order and orthonormal eigenvectors (as columns) of symmetric
// matrices given by their lower ("L") or upper ("U") triangle. The gradient is PyTorch's: it is
// undefined (infinite) for repeated eigenvalues, and it depends on the eigenvectors only through
// quantities independent of their signs.
std::pair<Tensor, Tensor> eigh(const Tensor& a, const std::string& uplo = "L");
Tensor eigvalsh(const Tensor& a, const std::string& uplo = "L");

// Sum of the diagonal of the last two dims; a vector's entries on a diagonal of new last two
// dims (offset > 0 above the main one), as torch.diag_embed.
Tensor trace(const Tensor& a);
Tensor diag_embed(const Tensor& v, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);

}  // namespace xgrad::linalg
