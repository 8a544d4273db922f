// Sorting and selection kernels: the stable (partial) sort of every row along a dim, which sort,
// argsort and topk share, with PyTorch's order for NaN; and the coordinates of non-zero elements.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tensor/dispatch.hpp"
#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"

namespace xgrad::kernels {

namespace {

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

}  // namespace

Tensor sort_indices(const Tensor& a_in, int64_t dim, bool descending, int64_t k) {
  detail::Dense a_dense(a_in);
  const Tensor& a = *a_dense;
  // The input seen as (outer, n, inner) around dim: a row is n elements `inner` apart.
  const int64_t n = a.dim() == 0 ? 1 : a.shape()[dim];
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < a.dim(); ++d) inner *= a.shape()[d];
  const int64_t outer = n * inner == 0 ? 0 : a.numel() / (n * inner);
  Shape shape = a.shape();
  if (a.dim() > 0) shape[dim] = k;
  Tensor out = empty(shape, Dtype::int64);
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    int64_t* o = out.data<int64_t>();
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < outer; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        const T* row = x + i * n * inner + j;
        // A strict total order: NaN after every number (before, descending), equal values by
        // position. Breaking ties by position makes any sort stable, partial_sort too.
        auto before = [&](int64_t p, int64_t q) {
          const T u = row[p * inner], v = row[q * inner];
          const bool nan_u = is_nan(u), nan_v = is_nan(v);
          if (nan_u != nan_v) return descending ? nan_u : nan_v;
          if (!nan_u && u != v) return descending ? u > v : u < v;
          return p < q;
        };
        std::iota(order.begin(), order.end(), int64_t{0});
        if (k == n)
          std::sort(order.begin(), order.end(), before);
        else
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t t = 0; t < k; ++t) o[(i * k + t) * inner + j] = order[t];
      }
  });
  return out;
}

Tensor nonzero(const Tensor& a_in) {
  detail::Dense a_dense(a_in);
  const Tensor& a = *a_dense;
  const int64_t rank = a.dim();
  std::vector<int64_t> coords;  // rank entries per non-zero element
  int64_t count = 0;
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    Shape coord(static_cast<std::size_t>(rank), 0);
    for (int64_t i = 0; i < a.numel(); ++i) {
      if (x[i] != T(0)) {
        ++count;
        coords.insert(coords.end(), coord.begin(), coord.end());
      }
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++coord[d] < a.shape()[d]) break;
        coord[d] = 0;
      }
    }
  });
  return from_vector(coords, {count, rank}, Dtype::int64);
}

}  // namespace xgrad::kernels
