// Kernels: the non-differentiable array computations behind every op (the backend). They take
// plain Tensors of any layout (strided views too) and return new contiguous ones, and know
// nothing of autograd; autograd/ wraps them with backward rules. Implemented with xtensor
// (elementwise math) and CBLAS (GEMM) in tensor/kernels_*.cpp.
#pragma once

#include <optional>
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
// out = a (kind) b elementwise into an existing tensor of the broadcast shape, any strides; `out`
// may be `a` itself (in-place ops). Elements of `out` must not overlap.
void binary_into(const char* op, Binary kind, Tensor& out, const Tensor& a, const Tensor& b);
// dst = src, broadcasting src to dst's shape and casting to dst's dtype; dst may be a view.
void assign(Tensor& dst, const Tensor& src);
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

// Views: a Layout (shape, strides and offset, in elements) over a tensor's storage. Each view
// op maps a layout to a layout, so autograd can apply the same op to a contiguous layout for
// the backward. view_as makes the view (no copy), checking it stays inside the storage.
struct Layout {
  Shape shape, strides;
  int64_t offset = 0;
};
Layout layout_of(const Tensor& a);
Layout contiguous_layout(const Shape& shape);
Tensor view_as(const Tensor& a, const Layout& layout);
Layout permute(const Layout& a, const std::vector<int64_t>& perm);
Layout expand(const Layout& a, const Shape& shape);  // stride 0 along broadcast dims
Layout slice(const Layout& a, int64_t dim, int64_t start, int64_t end, int64_t step);
Layout select(const Layout& a, int64_t dim, int64_t index);
Layout diagonal(const Layout& a, int64_t offset, int64_t dim1, int64_t dim2);
Layout unfold(const Layout& a, int64_t dim, int64_t size, int64_t step);
// The strides that view `a` with `shape` (same number of elements) without a copy, or nothing
// when a's strides do not allow it (reshape then copies, view errors).
std::optional<Shape> view_strides(const Layout& a, const Shape& shape);
// expand as a tensor view (validated): the broadcast of `a` to `shape`.
Tensor expand(const Tensor& a, const Shape& shape);

// Copies that move data around.
// zeros(shape) with `src` added into its view (view_shape, view_strides, view_offset): the
// backward of every view op. Overlapping view elements (unfold, as_strided) accumulate.
Tensor scatter_add_into_view(const Tensor& src, const Shape& shape, const Shape& view_shape,
                             const Shape& view_strides, int64_t view_offset);
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
