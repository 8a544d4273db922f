// Reductions and data-movement kernels: sums, max/min and their indices, permute, expand,
// slicing, index_select / index_add, gather / scatter_add and concat. Most view the tensor as
// (outer, n, inner) around one dim, which keeps every loop contiguous.
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xnoalias.hpp>

#include <cmath>
#include <cstring>

#include "tensor/kernels.hpp"
#include "tensor/xt_adapt.hpp"

namespace xgrad::kernels {

using detail::dispatch;
using detail::nd;

namespace {

struct Around {
  int64_t outer = 1, n = 1, inner = 1;
};
Around around(const Shape& shape, int64_t dim) {
  Around r;
  for (int64_t d = 0; d < dim; ++d) r.outer *= shape[d];
  r.n = shape.empty() ? 1 : shape[dim];
  for (std::size_t d = dim + 1; d < shape.size(); ++d) r.inner *= shape[d];
  return r;
}

Shape reduced_shape(const Shape& shape, int64_t dim, bool keepdim) {
  Shape out = shape;
  if (shape.empty()) return out;
  if (keepdim)
    out[dim] = 1;
  else
    out.erase(out.begin() + dim);
  return out;
}

Tensor sum_one_dim(const Tensor& a, int64_t dim) {
  Around g = around(a.shape(), dim);
  Tensor out = empty(reduced_shape(a.shape(), dim, true), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < g.outer; ++i) {
      const T* src = x + i * g.n * g.inner;
      T* dst = o + i * g.inner;
      if (g.inner == 1) {
        double acc = 0;
        for (int64_t j = 0; j < g.n; ++j) acc += src[j];
        dst[0] = static_cast<T>(acc);
      } else {
        std::fill(dst, dst + g.inner, T(0));
        for (int64_t j = 0; j < g.n; ++j)
          for (int64_t k = 0; k < g.inner; ++k) dst[k] += src[j * g.inner + k];
      }
    }
  });
  return out;
}

}  // namespace

Tensor sum_all(const Tensor& a) {
  Tensor out = empty({}, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    // Four partial sums in double: accurate and still vectorisable.
    double acc[4] = {0, 0, 0, 0};
    const int64_t n = a.numel();
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (int k = 0; k < 4; ++k) acc[k] += x[i + k];
    for (; i < n; ++i) acc[0] += x[i];
    out.data<T>()[0] = static_cast<T>((acc[0] + acc[1]) + (acc[2] + acc[3]));
  });
  return out;
}

Tensor sum_dims(const Tensor& a, const Shape& dims, bool keepdim) {
  if (dims.empty()) return a.contiguous_copy();
  Tensor r = a;
  Shape sorted(dims.begin(), dims.end());
  std::sort(sorted.begin(), sorted.end());
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) r = sum_one_dim(r, *it);
  if (!keepdim) {
    Shape s;
    for (int64_t d = 0; d < a.dim(); ++d)
      if (!std::binary_search(sorted.begin(), sorted.end(), d)) s.push_back(a.shape()[d]);
    r = alias_with_shape(r, s);
  }
  return r;
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const int64_t lead = a.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0)
    throw Error("sum_to: cannot reduce " + format_shape(a.shape()) + " to " + format_shape(shape));
  Shape dims;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] != a.shape()[d]) {
      if (shape[d - lead] != 1)
        throw Error("sum_to: cannot reduce " + format_shape(a.shape()) + " to " +
                    format_shape(shape));
      dims.push_back(d);
    }
  }
  return alias_with_shape(sum_dims(a, dims, true), shape);
}

Tensor extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_min) {
  Tensor idx = arg_extreme_dim(a, dim, true, is_min);
  Around g = around(a.shape(), dim);
  if (g.n == 0)
    throw Error(std::string(is_min ? "min" : "max") + ": reduction over an empty dim of shape " +
                format_shape(a.shape()));
  Tensor out = empty(reduced_shape(a.shape(), dim, keepdim), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    const T* ix = idx.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < g.outer; ++i)
      for (int64_t k = 0; k < g.inner; ++k) {
        int64_t j = static_cast<int64_t>(ix[i * g.inner + k]);
        o[i * g.inner + k] = x[(i * g.n + j) * g.inner + k];
      }
  });
  return out;
}

Tensor arg_extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_min) {
  Around g = around(a.shape(), dim);
  if (g.n == 0)
    throw Error(std::string(is_min ? "argmin" : "argmax") +
                ": reduction over an empty dim of shape " + format_shape(a.shape()));
  Tensor out = empty(reduced_shape(a.shape(), dim, keepdim), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < g.outer; ++i)
      for (int64_t k = 0; k < g.inner; ++k) {
        const T* p = x + i * g.n * g.inner + k;
        int64_t best = 0;
        for (int64_t j = 1; j < g.n; ++j) {
          T v = p[j * g.inner], b = p[best * g.inner];
          if (std::isnan(b)) break;  // NaN wins, as in PyTorch
          if (std::isnan(v) || (is_min ? v < b : v > b)) best = j;
        }
        o[i * g.inner + k] = static_cast<T>(best);
      }
  });
  return out;
}

Tensor permute(const Tensor& a, const std::vector<int64_t>& perm) {
  Shape shape(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) shape[i] = a.shape()[perm[i]];
  Tensor out = empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    auto o = nd<T>(out);
    std::vector<std::size_t> p(perm.begin(), perm.end());
    xt::noalias(o) = xt::transpose(nd<T>(a), p);
  });
  return out;
}

namespace {
int64_t slice_length(int64_t start, int64_t end, int64_t step) {
  return end <= start ? 0 : (end - start + step - 1) / step;
}
// Copies rows between a full tensor and its slice along `dim`; to_slice picks the direction.
template <class T>
void copy_slice(T* full, T* part, const Shape& full_shape, int64_t dim, int64_t start, int64_t len,
                int64_t step, bool to_slice) {
  Around g = around(full_shape, dim);
  for (int64_t i = 0; i < g.outer; ++i)
    for (int64_t j = 0; j < len; ++j) {
      T* f = full + (i * g.n + start + j * step) * g.inner;
      T* p = part + (i * len + j) * g.inner;
      if (to_slice)
        std::memcpy(p, f, g.inner * sizeof(T));
      else
        std::memcpy(f, p, g.inner * sizeof(T));
    }
}
}  // namespace

Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  Shape shape = a.shape();
  int64_t len = slice_length(start, end, step);
  shape[dim] = len;
  Tensor out = empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    copy_slice(const_cast<T*>(a.data<T>()), out.data<T>(), a.shape(), dim, start, len, step, true);
  });
  return out;
}

Tensor slice_scatter(const Tensor& src, const Shape& shape, int64_t dim, int64_t start, int64_t end,
                     int64_t step) {
  Tensor out = zeros(shape, src.dtype());
  dispatch(src.dtype(), [&]<class T>() {
    copy_slice(out.data<T>(), const_cast<T*>(src.data<T>()), shape, dim, start,
               slice_length(start, end, step), step, false);
  });
  return out;
}

Tensor index_select(const Tensor& a, int64_t dim, const std::vector<int64_t>& index) {
  Shape shape = a.shape();
  shape[dim] = static_cast<int64_t>(index.size());
  Tensor out = empty(shape, a.dtype());
  Around g = around(a.shape(), dim);
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    const int64_t m = static_cast<int64_t>(index.size());
    for (int64_t i = 0; i < g.outer; ++i)
      for (int64_t j = 0; j < m; ++j)
        std::memcpy(o + (i * m + j) * g.inner, x + (i * g.n + index[j]) * g.inner,
                    g.inner * sizeof(T));
  });
  return out;
}

Tensor index_add(const Shape& shape, int64_t dim, const std::vector<int64_t>& index,
                 const Tensor& src) {
  Tensor out = zeros(shape, src.dtype());
  Around g = around(shape, dim);
  dispatch(src.dtype(), [&]<class T>() {
    const T* s = src.data<T>();
    T* o = out.data<T>();
    const int64_t m = static_cast<int64_t>(index.size());
    for (int64_t i = 0; i < g.outer; ++i)
      for (int64_t j = 0; j < m; ++j) {
        T* dst = o + (i * g.n + index[j]) * g.inner;
        const T* from = s + (i * m + j) * g.inner;
        for (int64_t k = 0; k < g.inner; ++k) dst[k] += from[k];
      }
  });
  return out;
}

namespace {
// Visits every position of index_shape; gives the flat offset into a tensor of `shape` where the
// coordinate along `dim` is replaced by index[pos].
template <class F>
void for_gather_positions(const Shape& shape, int64_t dim, const std::vector<int64_t>& index,
                          const Shape& index_shape, F f) {
  const std::size_t rank = index_shape.size();
  Shape strides(rank, 1);
  for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  Shape coord(rank, 0);
  const int64_t n = static_cast<int64_t>(index.size());
  for (int64_t pos = 0; pos < n; ++pos) {
    int64_t off = 0;
    for (std::size_t d = 0; d < rank; ++d)
      off += (static_cast<int64_t>(d) == dim ? index[pos] : coord[d]) * strides[d];
    f(pos, off);
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++coord[d] < index_shape[d]) break;
      coord[d] = 0;
    }
  }
}
}  // namespace

Tensor gather(const Tensor& a, int64_t dim, const std::vector<int64_t>& index,
              const Shape& index_shape) {
  Tensor out = empty(index_shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    for_gather_positions(a.shape(), dim, index, index_shape,
                         [&](int64_t pos, int64_t off) { o[pos] = x[off]; });
  });
  return out;
}

Tensor scatter_add(const Shape& shape, int64_t dim, const std::vector<int64_t>& index,
                   const Shape& index_shape, const Tensor& src) {
  Tensor out = zeros(shape, src.dtype());
  dispatch(src.dtype(), [&]<class T>() {
    const T* s = src.data<T>();
    T* o = out.data<T>();
    for_gather_positions(shape, dim, index, index_shape,
                         [&](int64_t pos, int64_t off) { o[off] += s[pos]; });
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& parts, int64_t dim) {
  Shape shape = parts.at(0).shape();
  shape[dim] = 0;
  for (const Tensor& p : parts) shape[dim] += p.shape()[dim];
  Tensor out = empty(shape, parts[0].dtype());
  Around g = around(shape, dim);
  dispatch(out.dtype(), [&]<class T>() {
    T* o = out.data<T>();
    int64_t offset = 0;
    for (const Tensor& p : parts) {
      const int64_t len = p.shape()[dim];
      const T* x = p.data<T>();
      for (int64_t i = 0; i < g.outer; ++i)
        std::memcpy(o + (i * g.n + offset) * g.inner, x + i * len * g.inner,
                    len * g.inner * sizeof(T));
      offset += len;
    }
  });
  return out;
}

}  // namespace xgrad::kernels
