// Index and reordering kernels: scatter (overwrite) from a tensor or a scalar, flip, and the flat
// positions of a mask's true elements. Like every kernel they read strided inputs and return new
// contiguous tensors; autograd/ops_index.cpp and ops_shape_extra.cpp wrap them.
#include <cstring>

#include "tensor/dispatch.hpp"
#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"

namespace xgrad::kernels {

namespace {

// For every position of index_shape (row-major), the flat offset into a contiguous tensor of
// `shape` that it addresses: its own coordinates, the one along dim replaced by index[pos].
std::vector<int64_t> target_offsets(const Shape& shape, int64_t dim,
                                    const std::vector<int64_t>& index, const Shape& index_shape) {
  const std::size_t rank = index_shape.size();
  const Shape strides = contiguous_strides(shape);
  std::vector<int64_t> out(index.size());
  Shape coord(rank, 0);
  for (std::size_t pos = 0; pos < index.size(); ++pos) {
    int64_t off = 0;
    for (std::size_t d = 0; d < rank; ++d)
      off += (static_cast<int64_t>(d) == dim ? index[pos] : coord[d]) * strides[d];
    out[pos] = off;
    for (std::size_t d = rank; d-- > 0;) {
      if (++coord[d] < index_shape[d]) break;
      coord[d] = 0;
    }
  }
  return out;
}

}  // namespace

Tensor scatter(const Tensor& a, int64_t dim, const std::vector<int64_t>& index,
               const Shape& index_shape, const Tensor& src_in) {
  detail::Dense src(src_in);
  Tensor out = a.contiguous_copy();
  const std::vector<int64_t> at = target_offsets(a.shape(), dim, index, index_shape);
  dispatch(a.dtype(), [&]<class T>() {
    T* o = out.data<T>();
    const T* s = src->data<T>();
    // In order, so that of duplicate indices the last one wins (deterministically).
    for (std::size_t pos = 0; pos < at.size(); ++pos) o[at[pos]] = s[pos];
  });
  return out;
}

Tensor scatter(const Tensor& a, int64_t dim, const std::vector<int64_t>& index,
               const Shape& index_shape, const Scalar& value) {
  Tensor out = a.contiguous_copy();
  const std::vector<int64_t> at = target_offsets(a.shape(), dim, index, index_shape);
  dispatch(a.dtype(), [&]<class T>() {
    T* o = out.data<T>();
    const T v = value.to<T>();
    for (int64_t off : at) o[off] = v;
  });
  return out;
}

Tensor flip(const Tensor& a, const std::vector<int64_t>& dims) {
  Tensor out = empty(a.shape(), a.dtype());
  if (out.numel() == 0) return out;
  // Reading `a` from the far end of each flipped dim with the stride negated is a plain strided
  // copy (the walk only adds strides, so negative ones are fine).
  Shape strides = a.strides();
  int64_t offset = 0;
  for (int64_t d : dims) {
    offset += (a.shape()[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  dispatch(a.dtype(), [&]<class T>() {
    const T* src = a.data<T>() + offset;
    T* o = out.data<T>();
    detail::for_each_row<2>(a.shape(), {out.strides(), strides},
                            [&](const auto& off, int64_t len, const auto& st) {
                              for (int64_t i = 0; i < len; ++i)
                                o[off[0] + i * st[0]] = src[off[1] + i * st[1]];
                            });
  });
  return out;
}

std::vector<int64_t> nonzero_positions(const Tensor& mask) {
  const Tensor m = mask.dtype() == Dtype::bool_ ? mask : cast(mask, Dtype::bool_);
  detail::Dense dense(m);
  const bool* p = dense->data<bool>();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < dense->numel(); ++i)
    if (p[i]) out.push_back(i);
  return out;
}

}  // namespace xgrad::kernels
