// Kernels: the non-differentiable array computations behind every op (the backend). They take
// and return plain Tensors and know nothing of autograd; autograd/ wraps them with backward rules.
// Implemented with xtensor (elementwise, broadcasting) and CBLAS (GEMM) in tensor/kernels_*.cpp.
#pragma once

#include <vector>

#include "tensor/tensor.hpp"

namespace xgrad::kernels {

enum class Binary { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge };
enum class Unary {
  neg,
  exp,
  log,
  log1p,
  sqrt,
  abs,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  sign,
  step,
  erf,
  reciprocal,
  square
};

// numpy broadcasting; `op` names the operation in the error message.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Dims normalised to [0, rank); throws "op: dim d out of range for shape (..)".
int64_t normalize_dim(const char* op, int64_t dim, int64_t rank);

Tensor binary(const char* op, Binary kind, const Tensor& a, const Tensor& b);
Tensor binary_scalar(Binary kind, const Tensor& a, double scalar, bool scalar_first);
Tensor unary(Unary kind, const Tensor& a);
Tensor clamp(const Tensor& a, double low, double high);
Tensor softplus(const Tensor& a, double beta);  // log(1 + exp(beta x)) / beta, stable
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b);
Tensor cast(const Tensor& a, Dtype dtype);
// 1 where low <= a <= high, else 0 (clamp's gradient mask).
Tensor in_range_mask(const Tensor& a, double low, double high);

// Reductions. `dims` must be normalised and distinct.
Tensor sum_dims(const Tensor& a, const Shape& dims, bool keepdim);
Tensor sum_all(const Tensor& a);
Tensor sum_to(const Tensor& a, const Shape& shape);  // undo broadcasting
Tensor extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_min);
Tensor arg_extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_min);

// Copies that move data around.
Tensor permute(const Tensor& a, const std::vector<int64_t>& perm);
Tensor expand(const Tensor& a, const Shape& shape);
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end, int64_t step);
// A zero tensor of `shape` whose slice (dim, start:end:step) holds `src`.
Tensor slice_scatter(const Tensor& src, const Shape& shape, int64_t dim, int64_t start, int64_t end,
                     int64_t step);
Tensor index_select(const Tensor& a, int64_t dim, const std::vector<int64_t>& index);
// zeros(shape) with src's slices added at `index` along dim.
Tensor index_add(const Shape& shape, int64_t dim, const std::vector<int64_t>& index,
                 const Tensor& src);
// out[i][j][k] = a[i][index[i][j][k]][k] (for dim 1); index has the output's shape.
Tensor gather(const Tensor& a, int64_t dim, const std::vector<int64_t>& index,
              const Shape& index_shape);
Tensor scatter_add(const Shape& shape, int64_t dim, const std::vector<int64_t>& index,
                   const Shape& index_shape, const Tensor& src);
Tensor concat(const std::vector<Tensor>& parts, int64_t dim);

// Matrix products through BLAS with transposition flags (no transposed copies).
// a: (m, k) or (batch, m, k) [or its transpose when trans_a]; likewise b. Batches must match,
// or one side is 2-D and is shared across the batch.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b);
// x (n, in) · wᵀ (in, out) + bias (out) in one GEMM.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias);

}  // namespace xgrad::kernels
