// Internal: walking the elements of strided tensors. Operands are described by their strides in
// elements over one common shape (0 along broadcast dims); dims that are contiguous in every
// operand are merged first, so a walk over contiguous data is one long row.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "impl_access.hpp"
#include "tensor.hpp"

namespace xgrad::detail {

// When `a` is a permutation of a dense block (a transposed view: every element of the numel()
// elements from data() once, no gaps), the dims that order its strides from largest to
// smallest; empty otherwise (gaps, overlaps, broadcast dims, or no elements).
inline std::vector<int64_t> dense_order(const Tensor& a) {
  std::vector<int64_t> order(static_cast<std::size_t>(a.dim()));
  for (int64_t d = 0; d < a.dim(); ++d) order[d] = d;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return a.strides()[x] > a.strides()[y]; });
  Shape shape, strides;
  for (int64_t d : order) {
    shape.push_back(a.shape()[d]);
    strides.push_back(a.strides()[d]);
  }
  if (a.numel() == 0 || !ImplAccess::is_row_major(shape, strides)) return {};
  for (int64_t d = 0; d < a.dim(); ++d)
    if (a.strides()[d] == 0 && a.shape()[d] > 1) return {};
  return order;
}

// `t`'s strides seen from a broadcast `out` shape: its own strides, 0 along broadcast dims.
inline Shape broadcast_strides(const Tensor& t, const Shape& out) {
  const Shape& shape = t.shape();
  const Shape& strides = t.strides();
  const std::size_t rank = out.size(), lead = rank - shape.size();
  Shape s(rank, 0);
  for (std::size_t d = lead; d < rank; ++d) s[d] = shape[d - lead] == 1 ? 0 : strides[d - lead];
  return s;
}

// Whether t's innermost dim (of more than one element) has a stride other than 1: walking it
// takes tiles of gathers (a transposed view).
inline bool steps_inner(const Tensor& t) {
  for (int64_t d = t.dim(); d-- > 0;)
    if (t.shape()[d] > 1) return t.strides()[d] != 1;
  return false;
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
// of the row, steps[k] its stride along the row. Nothing is called for an empty shape. When an
// operand walks its innermost dim with a stride (a transposed input), the last two dims are
// visited in square tiles, so that its cache lines are reused before they are evicted.
template <std::size_t K, class F>
void for_each_row(const Shape& shape, const std::array<Shape, K>& strides, F&& f) {
  for (int64_t n : shape)
    if (n == 0) return;
  StridedWalk<K> w = coalesce(shape, strides);
  const std::size_t rank = w.shape.size();
  std::array<int64_t, K> off{}, step{};
  bool strided_inner = false;
  for (std::size_t k = 0; k < K; ++k) {
    step[k] = w.strides[k][rank - 1];
    strided_inner |= step[k] != 0 && step[k] != 1;
  }
  const bool tiled = strided_inner && rank >= 2;
  const std::size_t row_dims = tiled ? rank - 2 : rank - 1;  // dims walked outside the rows
  int64_t outer = 1;
  for (std::size_t d = 0; d < row_dims; ++d) outer *= w.shape[d];
  Shape coord(rank, 0);
  for (int64_t r = 0; r < outer; ++r) {
    if (!tiled) {
      f(off, w.shape[rank - 1], step);
    } else {
      constexpr int64_t tile = 16;
      const int64_t rows = w.shape[rank - 2], cols = w.shape[rank - 1];
      for (int64_t i0 = 0; i0 < rows; i0 += tile)
        for (int64_t j0 = 0; j0 < cols; j0 += tile) {
          const int64_t len = std::min(tile, cols - j0);
          for (int64_t i = i0; i < std::min(rows, i0 + tile); ++i) {
            std::array<int64_t, K> at = off;
            for (std::size_t k = 0; k < K; ++k) at[k] += i * w.strides[k][rank - 2] + j0 * step[k];
            f(at, len, step);
          }
        }
    }
    for (std::size_t d = row_dims; d-- > 0;) {
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
