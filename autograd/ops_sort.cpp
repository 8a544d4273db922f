// Sorting and selection: sort, argsort, topk and nonzero. The kernels find the indices; the
// values are gather(x, dim, indices), whose backward scatters the gradient back through the
// indices (and whose double backward is gather again).
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

SortResult sort(const Tensor& x, int64_t dim, bool descending) {
  int64_t d = detail::wrap_dim("sort", dim, x.dim());
  if (x.dim() == 0) return {clone(x), zeros({}, Dtype::int64)};
  Tensor indices = kernels::sort_indices(x, d, descending, x.shape()[d]);
  return {gather(x, d, indices), indices};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  const detail::OpScope profile_scope("argsort", x);
  int64_t d = detail::wrap_dim("argsort", dim, x.dim());
  if (x.dim() == 0) return zeros({}, Dtype::int64);
  return kernels::sort_indices(x, d, descending, x.shape()[d]);
}

SortResult topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  int64_t d = detail::wrap_dim("topk", dim, x.dim());
  // A 0-d tensor has one entry, and no room for zero of them.
  const bool fits = x.dim() == 0 ? k == 1 : k >= 0 && k <= x.shape()[d];
  if (!fits)
    throw Error("topk: k " + std::to_string(k) + " out of range for dim " + std::to_string(d) +
                " of shape " + format_shape(x.shape()));
  if (x.dim() == 0) return {clone(x), zeros({}, Dtype::int64)};
  Tensor indices = kernels::sort_indices(x, d, largest, k);
  return {gather(x, d, indices), indices};
}

Tensor nonzero(const Tensor& x) {
  const detail::OpScope profile_scope("nonzero", x);
  return kernels::nonzero(x);
}

}  // namespace xgrad
