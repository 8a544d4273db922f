// Reductions. sum and max/min are primitives; mean, var, std, logsumexp, softmax and log_softmax
// are compositions (logsumexp subtracts the max first, so it never overflows).
#include <algorithm>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

// Normalised, sorted, distinct dims; an empty list means every dim.
Shape normalize_dims(const char* op, const std::vector<int64_t>& dims, int64_t rank) {
  Shape out;
  if (dims.empty()) {
    for (int64_t d = 0; d < rank; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(kernels::normalize_dim(op, d, rank));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw Error(std::string(op) + ": dim listed twice");
  if (rank == 0) out.clear();
  return out;
}

Shape keepdim_shape(const Shape& shape, const Shape& dims) {
  Shape s = shape;
  for (int64_t d : dims) s[d] = 1;
  return s;
}

int64_t reduced_count(const Shape& shape, const Shape& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= shape[d];
  return n;
}

}  // namespace

Tensor sum(const Tensor& x) {
  // d sum = ones: the gradient (a scalar) is broadcast back to x's shape.
  return record("sum", kernels::sum_all(x), x, [](const BackwardArgs& g) {
    return TensorList{expand(g.grad, g.input_shape(0))};
  });
}

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Shape d = normalize_dims("sum", dims, x.dim());
  return record("sum", kernels::sum_dims(x, d, keepdim), x, [d](const BackwardArgs& g) {
    const Shape& in = g.input_shape(0);
    return TensorList{expand(reshape(g.grad, keepdim_shape(in, d)), in)};
  });
}

Tensor mean(const Tensor& x) {
  if (x.numel() == 0) throw Error("mean: empty tensor of shape " + format_shape(x.shape()));
  return div(sum(x), static_cast<double>(x.numel()));
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Shape d = normalize_dims("mean", dims, x.dim());
  int64_t n = reduced_count(x.shape(), d);
  if (n == 0) throw Error("mean: reduction over an empty dim of shape " + format_shape(x.shape()));
  return div(sum(x, dims, keepdim), static_cast<double>(n));
}

namespace {

// max / min along a dim: the gradient is shared evenly among tied extremes.
Tensor extreme(const char* name, const Tensor& x, int64_t dim, bool keepdim, bool is_min) {
  int64_t d = kernels::normalize_dim(name, dim, x.dim());
  if (x.dim() == 0) return clone(x);
  return record(name, kernels::extreme_dim(x, d, keepdim, is_min), x,
                [d, keepdim](const BackwardArgs& g) {
                  const Tensor& in = g.input(0);
                  Tensor out = g.output(), grad = g.grad;
                  if (!keepdim) {
                    out = unsqueeze(out, d);
                    grad = unsqueeze(grad, d);
                  }
                  Tensor mask = eq(in, out.detach());
                  Tensor count = kernels::sum_dims(mask, {d}, true);
                  return TensorList{mul(grad, div(mask, count))};
                });
}

Tensor extreme_all(const char* name, const Tensor& x, bool is_min) {
  if (x.numel() == 0) throw Error(std::string(name) + ": empty tensor");
  Tensor flat = reshape(x, {x.numel()});
  return reshape(extreme(name, flat, 0, false, is_min), {});
}

}  // namespace

Tensor max(const Tensor& x) { return extreme_all("max", x, false); }
Tensor min(const Tensor& x) { return extreme_all("min", x, true); }
Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme("max", x, dim, keepdim, false);
}
Tensor min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme("min", x, dim, keepdim, true);
}

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  const int64_t n = reduced_count(x.shape(), normalize_dims("var", dims, x.dim()));
  Tensor centered = sub(x, mean(x, dims, true));
  return div(sum(mul(centered, centered), dims, keepdim),
             static_cast<double>(n - (unbiased ? 1 : 0)));
}

Tensor stddev(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  return sqrt(var(x, dims, unbiased, keepdim));
}

Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim) {
  int64_t d = kernels::normalize_dim("logsumexp", dim, x.dim());
  // Note: subtracting the (constant) max keeps exp from overflowing; it cancels in the gradient.
  Tensor m = kernels::extreme_dim(x, d, true, false);
  Tensor out = add(log(sum(exp(sub(x, m)), {d}, true)), m);
  return keepdim ? out : squeeze(out, d);
}

Tensor softmax(const Tensor& x, int64_t dim) { return exp(log_softmax(x, dim)); }

Tensor log_softmax(const Tensor& x, int64_t dim) { return sub(x, logsumexp(x, dim, true)); }

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return kernels::arg_extreme_dim(x, kernels::normalize_dim("argmax", dim, x.dim()), keepdim,
                                  false);
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return kernels::arg_extreme_dim(x, kernels::normalize_dim("argmin", dim, x.dim()), keepdim, true);
}


}  // namespace xgrad
