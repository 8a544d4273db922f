// Kernels: the non-differentiable array computations behind every op (the backend), one
// function per operation, called by name. They take plain Tensors of any layout (strided views
// too) and dtype, promote mixed dtypes as PyTorch does, return new contiguous tensors, and know
// nothing of autograd; autograd/ wraps them with backward rules. Implemented with xtensor
// (elementwise math) and CBLAS (GEMM) in tensor/kernels_*.cpp.
#pragma once

#include <optional>
#include <vector>

#include "tensor.hpp"
#include "window.hpp"

namespace xgrad::kernels {

// numpy broadcasting; `op` names the operation in the error message.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Dims normalised to [0, rank); throws "op: dim d out of range for shape (..)".
int64_t normalize_dim(const char* op, int64_t dim, int64_t rank);

// The dtype an elementwise op of a and b computes in (PyTorch's rules: categories bool <
// integer < floating, then the wider type; a 0-d tensor or a scalar only decides the category
// when it is of a higher one, and then brings float32 or int64, the defaults).
Dtype result_type(const Tensor& a, const Tensor& b);
Dtype result_type(const Tensor& a, const Scalar& s);

// Binary arithmetic with broadcasting and promotion. div is true division (integers give
// float32); pow of integers stays integral (a negative integer exponent is an Error).
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // NaN wins, from either side
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, const Scalar& s);
Tensor sub(const Tensor& a, const Scalar& s);
Tensor rsub(const Tensor& a, const Scalar& s);  // s - a
Tensor mul(const Tensor& a, const Scalar& s);
Tensor div(const Tensor& a, const Scalar& s);
Tensor rdiv(const Tensor& a, const Scalar& s);  // s / a
Tensor pow(const Tensor& a, const Scalar& s);
Tensor rpow(const Tensor& a, const Scalar& s);  // s ** a
// Comparisons and logic give bool tensors.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& s);
Tensor ne(const Tensor& a, const Scalar& s);
Tensor lt(const Tensor& a, const Scalar& s);
Tensor le(const Tensor& a, const Scalar& s);
Tensor gt(const Tensor& a, const Scalar& s);
Tensor ge(const Tensor& a, const Scalar& s);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
Tensor isnan(const Tensor& a);
Tensor isfinite(const Tensor& a);

// In place: self = self (op) other, other broadcast to self's shape and cast to self's dtype
// (an Error when the promoted type cannot be stored in self, e.g. int64 += float32). self may
// be any non-overlapping view; other may alias it.
void add_(Tensor& self, const Tensor& other);
void sub_(Tensor& self, const Tensor& other);
void mul_(Tensor& self, const Tensor& other);
void div_(Tensor& self, const Tensor& other);
void add_(Tensor& self, const Scalar& s);
void mul_(Tensor& self, const Scalar& s);
// dst = src, broadcasting src to dst's shape and casting to dst's dtype; dst may be a view.
void assign(Tensor& dst, const Tensor& src);
void fill(Tensor& dst, const Scalar& value);

// Unary ops keeping the dtype (any numeric dtype).
Tensor neg(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor square(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor step(const Tensor& a);  // 1 where a > 0, else 0
// Floating math: integer and bool inputs compute in float32.
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor erf(const Tensor& a);
Tensor reciprocal(const Tensor& a);
Tensor softplus(const Tensor& a, double beta);  // log(1 + exp(beta x)) / beta, stable
Tensor clamp(const Tensor& a, const Scalar& low, const Scalar& high);
// true where low <= a <= high (clamp's gradient mask).
Tensor in_range_mask(const Tensor& a, const Scalar& low, const Scalar& high);
// a where mask is true (non-zero), else b; all three broadcast, a and b promote.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b);
// Converts every element (float to integer rounds toward zero, saturates at the type's range,
// and maps NaN to 0; anything to bool is `!= 0`).
Tensor cast(const Tensor& a, Dtype dtype);

// Reductions. `dims` must be normalised and distinct. Integer and bool sums are int64.
Tensor sum_dims(const Tensor& a, const Shape& dims, bool keepdim);
Tensor sum_all(const Tensor& a);
Tensor sum_to(const Tensor& a, const Shape& shape);  // undo broadcasting
Tensor extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_min);
Tensor arg_extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_min);  // int64

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
Tensor concat(const std::vector<Tensor>& parts, int64_t dim);  // parts promote to one dtype
// self's elements at row-major `positions` (in [0, numel)) = values (or += with accumulate),
// values of the positions' count (contiguous order) cast to self's dtype; self may be a view.
void put_(Tensor& self, const std::vector<int64_t>& positions, const Tensor& values,
          bool accumulate);

// Scans, products, sorting and selection. `dim` must be normalised; a 0-d tensor counts as one
// row of one element. Integer and bool scans and products are int64 and wrap around on overflow.
// In tensor/kernels_layout.cpp: running sums / products along dim (from the end when reverse),
// and the linear recurrence h[k] = a[k] h[k-1] + b[k] (h[k+1] when reverse) from h = 0, for a
// and b of one shape and floating dtypes.
Tensor cumsum(const Tensor& a, int64_t dim, bool reverse);
Tensor cumprod(const Tensor& a, int64_t dim, bool reverse);
Tensor linear_scan(const Tensor& a, const Tensor& b, int64_t dim, bool reverse);
Tensor prod_dim(const Tensor& a, int64_t dim, bool keepdim);
// In tensor/kernels_sort.cpp: the indices (int64) of the first k entries of each row's stable
// sort along dim, ascending or descending, NaN sorting as the largest value (k == the dim's size
// gives argsort); and the (n, a.dim()) int64 coordinates of the n non-zero elements (NaN
// counts), in row-major order.
Tensor sort_indices(const Tensor& a, int64_t dim, bool descending, int64_t k);
Tensor nonzero(const Tensor& a);

// Index and reordering kernels (tensor/kernels_index.cpp). Index lists are validated by the
// caller; `dims` are normalised and distinct.
// A copy of `a` with src's elements written where gather reads: for dim 1,
// out[i][index[i][j][k]][k] = src[i][j][k]. src has index_shape and a's dtype; of duplicate
// indices the last one wins.
Tensor scatter(const Tensor& a, int64_t dim, const std::vector<int64_t>& index,
               const Shape& index_shape, const Tensor& src);
Tensor scatter(const Tensor& a, int64_t dim, const std::vector<int64_t>& index,
               const Shape& index_shape, const Scalar& value);   // value cast to a's dtype
Tensor flip(const Tensor& a, const std::vector<int64_t>& dims);  // reversed along each of dims
// Row-major flat positions of the true (non-zero) elements of mask.
std::vector<int64_t> nonzero_positions(const Tensor& mask);

// Matrix products through BLAS with transposition flags (no transposed copies); floating
// dtypes only. a: (m, k) or (batch, m, k) [or its transpose when trans_a]; likewise b. Batches
// must match, or one side is 2-D and is shared across the batch.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b);
// x (n, in) · wᵀ (in, out) + bias (out) in one GEMM.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias);

// Sliding windows over (N, C, H, W) images of any layout and dtype (tensor/kernels_conv.cpp).
// im2col: every window's pixels, (N, out_h, out_w, C, kernel_h, kernel_w) contiguous, with 0
// where a window reaches outside the image. col2im is its adjoint: `cols` of that shape (any
// layout) summed back into zeros (N, C, height, width).
Tensor im2col(const Tensor& x, const Window2d& w);
Tensor col2im(const Tensor& cols, int64_t height, int64_t width, const Window2d& w);
// For each output position (oh, ow) of each (n, c) plane, the flat index h * W + w of the
// largest element among the rows rows[oh] and the columns cols[ow] (taps outside the image
// are skipped; the first maximum wins, a NaN beats any number and the last NaN wins, as
// PyTorch): int64 (N, C, rows, cols), contiguous.
Tensor window_argmax(const Tensor& x, const std::vector<Taps>& rows, const std::vector<Taps>& cols);

// Per (n, c) plane: out[n, c, i, j] = x[n, c].flat[indices[n, c, i, j]] with int64 indices
// (N, C, h, w) into x's (H, W) planes, valid (window_argmax's); and its adjoint, src summed
// into zeros (N, C, height, width) at the indices. x and src may have any layout, indices are
// contiguous.
Tensor gather_planes(const Tensor& x, const Tensor& indices);
Tensor scatter_add_planes(const Tensor& src, const Tensor& indices, int64_t height, int64_t width);

// float32 convolution on oneDNN (tensor/dnnl/convolution.cpp) when the build has it and this
// thread's GEMM backend is not forced to OpenBLAS: x (N, C, H, W) of any strides, weight
// (O, C / groups, kh, kw), bias (O) or undefined, windows `w` (the trailing padding implied by
// out_h and out_w). Each returns undefined tensors when oneDNN does not run it; the caller then
// composes im2col and GEMMs.
Tensor conv2d_onednn(const Tensor& x, const Tensor& weight, const Tensor& bias, const Window2d& w,
                     int64_t groups);
// dx (N, C, height, width) from dy (N, O, out_h, out_w).
Tensor conv2d_backward_data_onednn(const Tensor& dy, const Tensor& weight, int64_t height,
                                   int64_t width, const Window2d& w, int64_t groups);
// {dweight, dbias (when with_bias)}.
std::pair<Tensor, Tensor> conv2d_backward_weights_onednn(const Tensor& x, const Tensor& dy,
                                                         const Shape& weight_shape, bool with_bias,
                                                         const Window2d& w, int64_t groups);

}  // namespace xgrad::kernels
