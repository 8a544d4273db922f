// Internal: walking the elements of strided tensors. Operands are described by their strides in
// elements over one common shape (0 along broadcast dims); dims that are contiguous in every
// operand are merged first, so a walk over contiguous data is one long row.
#pragma once

#include <array>
#include <cstddef>

#include "tensor/tensor.hpp"

namespace xgrad::detail {

// `t`'s strides seen from a broadcast `out` shape: its own strides, 0 along broadcast dims.
inline Shape broadcast_strides(const Tensor& t, const Shape& out) {
  const Shape& shape = t.shape();
  const Shape& strides = t.strides();
  const std::size_t rank = out.size(), lead = rank - shape.size();
  Shape s(rank, 0);
  for (std::size_t d = lead; d < rank; ++d)
    s[d] = shape[d - lead] == 1 ? 0 : strides[d - lead];
  return s;
}

template <std::size_t K>
struct StridedWalk {
  Shape shape;
  std::array<Shape, K> strides;
};

// Drops dims of size 1 and merges neighbours that are contiguous in all K operands.
template <std::size_t K>
StridedWalk<K> coalesce(const Shape& shape, const std::array<Shape, K>& strides) {
  StridedWalk<K> w;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !w.shape.empty();
    for (std::size_t k = 0; k < K && merge; ++k)
      merge = w.strides[k].back() == strides[k][d] * shape[d];
    if (merge) {
      w.shape.back() *= shape[d];
      for (std::size_t k = 0; k < K; ++k) w.strides[k].back() = strides[k][d];
    } else {
      w.shape.push_back(shape[d]);
      for (std::size_t k = 0; k < K; ++k) w.strides[k].push_back(strides[k][d]);
    }
  }
  if (w.shape.empty()) {  // one element
    w.shape.push_back(1);
    for (std::size_t k = 0; k < K; ++k) w.strides[k].push_back(0);
  }
  return w;
}

// Calls f(offsets, len, steps) once per innermost row: offsets[k] is operand k's first element
// of the row, steps[k] its stride along the row. Nothing is called for an empty shape.
template <std::size_t K, class F>
void for_each_row(const Shape& shape, const std::array<Shape, K>& strides, F&& f) {
  for (int64_t n : shape)
    if (n == 0) return;
  StridedWalk<K> w = coalesce(shape, strides);
  const std::size_t rank = w.shape.size();
  const int64_t len = w.shape[rank - 1];
  std::array<int64_t, K> off{}, step{};
  for (std::size_t k = 0; k < K; ++k) step[k] = w.strides[k][rank - 1];
  int64_t rows = 1;
  for (std::size_t d = 0; d + 1 < rank; ++d) rows *= w.shape[d];
  Shape coord(rank, 0);
  for (int64_t r = 0; r < rows; ++r) {
    f(off, len, step);
    for (std::size_t d = rank - 1; d-- > 0;) {
      for (std::size_t k = 0; k < K; ++k) off[k] += w.strides[k][d];
      if (++coord[d] < w.shape[d]) break;
      for (std::size_t k = 0; k < K; ++k) off[k] -= w.strides[k][d] * w.shape[d];
      coord[d] = 0;
    }
  }
}

// A contiguous stand-in for a kernel input: the tensor itself when contiguous, else a copy.
// Kernels that need dense rows take their inputs through it.
class Dense {
 public:
  explicit Dense(const Tensor& t) : ref_(t.is_contiguous() ? t : (copy_ = t.contiguous_copy())) {}
  const Tensor& operator*() const { return ref_; }
  const Tensor* operator->() const { return &ref_; }

 private:
  Tensor copy_;
  const Tensor& ref_;
};

}  // namespace xgrad::detail
