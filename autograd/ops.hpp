// Every differentiable op of xgrad. Binary ops broadcast as numpy does; `dim` arguments may be
// negative. Ops record themselves on the tape when grad mode is on and an input requires grad.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../tensor/tensor.hpp"
#include "../tensor/window.hpp"

namespace xgrad {

// ---- arithmetic (autograd/ops_arithmetic.cpp) ----
// Mixed dtypes promote as in PyTorch (int64 + float32 -> float32; a Scalar written as an
// integer keeps an integer tensor integral, one written as a float makes it float32, and
// neither changes a floating tensor's dtype). div is true division.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);
Tensor pow(const Tensor& a, const Scalar& exponent);
Tensor pow(const Tensor& a, const Tensor& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);
Tensor add(const Tensor& a, const Scalar& s);
Tensor sub(const Tensor& a, const Scalar& s);
Tensor sub(const Scalar& s, const Tensor& a);
Tensor mul(const Tensor& a, const Scalar& s);
Tensor div(const Tensor& a, const Scalar& s);
Tensor div(const Scalar& s, const Tensor& a);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, const Scalar& s);
Tensor operator+(const Scalar& s, const Tensor& a);
Tensor operator-(const Tensor& a, const Scalar& s);
Tensor operator-(const Scalar& s, const Tensor& a);
Tensor operator*(const Tensor& a, const Scalar& s);
Tensor operator*(const Scalar& s, const Tensor& a);
Tensor operator/(const Tensor& a, const Scalar& s);
Tensor operator/(const Scalar& s, const Tensor& a);

// ---- elementwise math (autograd/ops_math.cpp) ----
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor clamp(const Tensor& x, const Scalar& low, const Scalar& high);
Tensor clamp_min(const Tensor& x, const Scalar& low);
Tensor clamp_max(const Tensor& x, const Scalar& high);
// Tensor bounds (broadcast; either may be undefined, not both), differentiable in x and the
// bounds as in PyTorch; where min > max the result is max (autograd/ops_index.cpp).
Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max);
Tensor clamp_min(const Tensor& x, const Tensor& min);
Tensor clamp_max(const Tensor& x, const Tensor& max);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Picks a where the condition is true, else b (all three broadcast; a and b promote). The
// condition is a bool tensor (another dtype counts non-zero as true) and gets no gradient.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor cast(const Tensor& x, Dtype dtype);

// Comparisons and logic: bool tensors (no gradient); a bool tensor multiplies as 0/1.
// isnan / isfinite are bool too. sign keeps the dtype.
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
Tensor sign(const Tensor& x);
// The same as operators (bool results): x > 0.5, a == b, ...; & | ^ ~ on bool tensors.
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Scalar& s);
Tensor operator!=(const Tensor& a, const Scalar& s);
Tensor operator<(const Tensor& a, const Scalar& s);
Tensor operator<=(const Tensor& a, const Scalar& s);
Tensor operator>(const Tensor& a, const Scalar& s);
Tensor operator>=(const Tensor& a, const Scalar& s);
Tensor operator&(const Tensor& a, const Tensor& b);  // logical_and of bool tensors
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& a);

// ---- activations (autograd/ops_activation.cpp) ----
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor softplus(const Tensor& x, double beta = 1.0);
Tensor silu(const Tensor& x);  // x * sigmoid(x), a.k.a. swish
enum class GeluApproximation { none, tanh };
Tensor gelu(const Tensor& x, GeluApproximation approximate = GeluApproximation::none);
Tensor mish(const Tensor& x);      // x * tanh(softplus(x))
Tensor softsign(const Tensor& x);  // x / (1 + |x|)
Tensor gaussian(const Tensor& x);  // exp(-x²)
Tensor log_sigmoid(const Tensor& x);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor step(const Tensor& x);  // Heaviside: 1 where x > 0 (no gradient)

// ---- reductions (autograd/ops_reduction.cpp) ----
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, int64_t dim, bool keepdim = false);
// Variance and standard deviation; `unbiased` divides by n - 1 (PyTorch's default).
Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased = true,
           bool keepdim = false);
Tensor stddev(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased = true,
              bool keepdim = false);
Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// Indices (as values of the tensor's dtype) of the largest / smallest entries; no gradient.
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
// Products, and running sums / products along dim; integer and bool inputs give int64. The
// gradients of prod and cumprod never divide by x, so they are exact where x has zeros.
Tensor prod(const Tensor& x);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor cumsum(const Tensor& x, int64_t dim);
Tensor cumprod(const Tensor& x, int64_t dim);
// Largest / smallest values over dims (every dim when empty); NaN propagates. The gradient is
// shared evenly among tied extremes (among the NaNs when the result is NaN).
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Vector norms of floating tensors over all elements or over dims (every dim when empty): p = 1,
// 2, ±inf (std::numeric_limits<double>::infinity()), or "fro" (the 2-norm of the entries). The
// 2-norm's gradient at 0 is 0 and the inf-norm's is shared among ties, as in PyTorch.
Tensor norm(const Tensor& x, double p = 2.0);
Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor norm(const Tensor& x, const std::string& p);
Tensor norm(const Tensor& x, const std::string& p, const std::vector<int64_t>& dims,
            bool keepdim = false);
// Whether any / all elements are non-zero (NaN counts as non-zero): bool tensors, no gradient.
Tensor any(const Tensor& x);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& x);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);

// ---- shape and views (autograd/ops_shape.cpp) ----
// Views share the input's storage: writing into a view writes into its base. reshape is a view
// when the strides allow it and a copy otherwise; view() is always a view, or an Error.
Tensor reshape(const Tensor& x, const Shape& shape);  // one entry may be -1
Tensor view(const Tensor& x, const Shape& shape);
// The view with these shape, strides and storage offset (in elements) of x's storage.
Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& x, int64_t dim, int64_t index);  // drops dim; index may be negative
// The diagonal of the (dim1, dim2) planes, as a last dim; offset > 0 is above the main diagonal.
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
// Sliding windows of `size` every `step` along dim, as a new last dim (overlapping views).
Tensor unfold(const Tensor& x, int64_t dim, int64_t size, int64_t step);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor sum_to(const Tensor& x, const Shape& shape);  // sums broadcast dims away
// x[start:end:step] along dim; negative start/end count from the end, and are clipped.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Index tensors are int64 or int32 (a floating index is an Error, as in PyTorch); negative
// indices are errors.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// Rows of weight (num_embeddings, embedding_dim) picked by int64/int32 indices of any shape:
// out has shape indices.shape() + (embedding_dim). The rows read at padding_idx get no gradient
// (kNoPadding: none; negative counts from the end); scale_grad_by_freq divides each row's
// gradient by how often its index occurs in `indices`.
inline constexpr int64_t kNoPadding = INT64_MIN;
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = kNoPadding,
                 bool scale_grad_by_freq = false);

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor clone(const Tensor& x);

// ---- sorting and selection (autograd/ops_sort.cpp) ----
// Sorts are stable along dim, and NaN sorts as the largest value, as in PyTorch. The values are
// differentiable (the gradient goes back through the indices); the indices are int64.
struct SortResult {
  Tensor values, indices;
};
SortResult sort(const Tensor& x, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
// The k largest (or smallest) entries along dim, largest (smallest) first; ties keep their order.
// They always come sorted, which sorted = false allows.
SortResult topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                bool sorted = true);
// The (n, x.dim()) int64 coordinates of x's n non-zero elements, in row-major order.
Tensor nonzero(const Tensor& x);
// ---- more shape ops (autograd/ops_shape_extra.cpp) ----
// Copies unless said otherwise; most are compositions of the views and copies above.
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims);  // reversed along each of dims
// Elements shifted by shifts[i] along dims[i], wrapping around; with no dims, one shift over
// the flattened tensor (the shape is kept).
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts,
            const std::vector<int64_t>& dims = {});
// x tiled repeats[i] times along dim i; repeats may have more entries than x has dims (x gets
// leading dims of size 1), never fewer.
Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats);
// repeat, but fewer reps than dims count from the last dim (missing leading reps are 1).
Tensor tile(const Tensor& x, const std::vector<int64_t>& reps);
// Views (narrow) of consecutive pieces along dim: `chunks` pieces of ceil(n / chunks) (fewer
// when n is small), pieces of split_size (the last may be shorter), or of the given sections.
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sections, int64_t dim = 0);
// The lower / upper triangle of the last two dims (the rest zeroed): element (i, j) is kept
// where j - i <= diagonal (tril) or j - i >= diagonal (triu).
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);
Tensor outer(const Tensor& a, const Tensor& b);  // a (n) and b (m) give a_i b_j, (n, m)
// Einstein summation over one or two operands, e.g. "ij,jk->ik", "bhqd,bhkd->bhqk", "i,j->ij",
// "ij->ji", "ii->i", "i,i->": letters (a-z, A-Z) name dims; repeated letters in one operand take
// the diagonal; letters missing from the output are summed. Without "->" the output is the
// letters used once, sorted. Sizes must match exactly (no broadcasting of size-1 dims); no
// "..."; operands of different dtypes promote. A one-operand permutation ("ij->ji") is a view.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);

// ---- indexing (autograd/ops_index.cpp) ----
// Index tensors are int64 or int32, their values are checked (negative ones only where said)
// and copied, so writing to an index tensor later does not change a recorded graph. `src` has
// x's dtype.
// x with src's elements written where gather(., dim, index) would read them:
// out[i][index[i][j]] = src[i][j] for dim 1. index has x's number of dims, is no larger than src
// in any dim and no larger than x outside dim. Of duplicate indices the last one wins. The
// gradient of x is grad with the written positions zeroed, that of src gather(grad, dim, index).
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Scalar& value);
// Like scatter, but src's elements are added into x (duplicates accumulate).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// x with alpha * src's slices added at the (1-D) index along dim; src has x's shape but for
// index.numel() along dim. An integer x takes an integer alpha.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                 const Scalar& alpha = 1);
// x with the slices at the (1-D) index along dim set to value; negative indices count from
// the end.
Tensor index_fill(const Tensor& x, int64_t dim, const Tensor& index, const Scalar& value);
// x with value where the bool mask is true; mask and x broadcast together. A 0-d tensor value
// gets the gradient summed over the filled positions.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
// The elements of x where the bool mask is true (both broadcast), in row-major order, as 1-D.
Tensor masked_select(const Tensor& x, const Tensor& mask);

// ---- recurrence (autograd/ops_recurrent.cpp) ----
// The cells of RNN (tanh or relu), LSTM (gates i, f, g, o) and GRU (gates r, z, n), as PyTorch.
enum class RecurrentCell { rnn_tanh, rnn_relu, lstm, gru };
struct CellState {
  Tensor h, c;  // c: the LSTM's cell state only
};
// One step from the input's share of the gates, gates_x = x W_ihᵀ + b_ih (N, G·H), the previous
// state (N, H) and w_hh (G·H, H), b_hh (G·H) or undefined:
//   rnn:  h' = act(gates_x + h W_hhᵀ + b_hh)
//   lstm: i, f, o = σ(·), g = tanh(·) of gates_x + h W_hhᵀ + b_hh; c' = f c + i g, h' = o tanh(c')
//   gru:  r, z = σ(·); n = tanh(x_n + r (h W_hnᵀ + b_hn)); h' = (1 - z) n + z h
CellState recurrent_step(RecurrentCell cell, const Tensor& gates_x, const CellState& prev,
                         const Tensor& w_hh, const Tensor& b_hh = Tensor());
struct RecurrenceOutput {
  Tensor output, h_n, c_n;
};
// recurrent_step over every step of gates_x (L, N, G·H), forwards or in reverse: output (L, N, H)
// and the final states. With lengths (N entries in [1, L]), sequence n is updated only while
// t < lengths[n] and its outputs are zeros after that (pack_padded_sequence's effect; in reverse
// a sequence starts at its own last step). One node: its backward computes every step's gate
// gradients fused and the w_hh gradient as one product over all steps; under create_graph it
// differentiates the recomputed steps.
RecurrenceOutput recurrence(RecurrentCell cell, const Tensor& gates_x, const CellState& initial,
                            const Tensor& w_hh, const Tensor& b_hh = Tensor(),
                            const std::vector<int64_t>& lengths = {}, bool reverse = false);

// ---- linear algebra (autograd/ops_linalg.cpp) ----
// numpy's matmul: 1-D (vector), 2-D (matrix) and batched (N-D, batch dims broadcast).
Tensor matmul(const Tensor& a, const Tensor& b);
// op(a) @ op(b) for 2-D or 3-D operands with transposition flags handed to BLAS.
Tensor matmul_transposed(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);
// x Wᵀ + b in one GEMM; x (n, in) or (..., in), W (out, in), b (out) or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- sliding windows (autograd/ops_conv.cpp) ----
// The primitives of convolution and pooling (nn/conv.hpp, nn/pooling.hpp): im2col gives every
// window of an image batch x (N, C, H, W) as (N, out_h, out_w, C, kernel_h, kernel_w), 0 where a
// window reaches past the image; col2im sums such windows back into an image (N, C, height,
// width). Each is the other's adjoint, so each is the other's backward.
Tensor im2col(const Tensor& x, const Window2d& window);
Tensor col2im(const Tensor& cols, int64_t height, int64_t width, const Window2d& window);
// The convolution of x (N, C, H, W) with weight (O, C / groups, kh, kw) over `window` (its
// out_h / out_w imply the trailing padding), plus bias (O) if defined: (N, O, out_h, out_w).
// float32 runs forward and first-order gradients on oneDNN when built with it; otherwise, and
// for gradients under create_graph, it is im2col with one GEMM per group. Shapes are checked by
// the caller (nn::functional::conv2d).
Tensor conv2d_windows(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Window2d& window, int64_t groups);
// Max pooling's selection (no gradient): for each (n, c) plane of x (N, C, H, W) and each output
// position (oh, ow), the flat index h W + w of the first maximum over the taps rows[oh] × cols[ow]
// (taps outside the image are skipped; a NaN wins, the last one, as PyTorch), int64 (N, C, rows,
// cols). gather_planes picks those elements of x (N, C, H, W): x[n, c].flat[indices[n, c, i, j]],
// differentiable, its backward sums the gradient back into the planes (and that one's backward
// is the gather again).
Tensor window_argmax(const Tensor& x, const std::vector<Taps>& rows, const std::vector<Taps>& cols);
Tensor gather_planes(const Tensor& x, const Tensor& indices);

// ---- loss primitives (autograd/ops_loss.cpp) ----
// -(t log p + (1-t) log(1-p)) elementwise, logs clamped at -100, with a backward that stays
// finite when p is exactly 0 or 1. nn::functional::binary_cross_entropy builds on it.
Tensor binary_cross_entropy_elementwise(const Tensor& p, const Tensor& t);
// -log softmax(logits)[i, target_i] for logits (N, C) and class indices target (N,): log_softmax
// and NLL fused into one pass per row; the backward is softmax − one_hot.
Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target);

namespace detail {
// The values of an int64/int32 index tensor, each checked to lie in [0, limit) (or [-limit,
// limit) with allow_negative, mapped into [0, limit)); `op` names the caller in errors.
std::vector<int64_t> index_values(const char* op, const Tensor& index, int64_t limit,
                                  bool allow_negative = false);
// dim normalised to [0, rank), where a 0-d tensor takes dim 0 or -1 as in PyTorch (sort's and
// topk's default dim is -1); used by sort, topk, the scans, prod, any and all.
int64_t wrap_dim(const char* op, int64_t dim, int64_t rank);
}  // namespace detail

}  // namespace xgrad
