// Reductions. sum, max/min, amax/amin, prod, the 2-norm and the scans (cumsum, cumprod and the
// linear recurrence their gradients need) are primitives; mean, var, std, logsumexp, softmax,
// log_softmax and the other norms are compositions (logsumexp subtracts the max first, so it
// never overflows). any / all give bool tensors.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
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

// shape without dims (sorted).
Shape reduced_shape(const Shape& shape, const Shape& dims) {
  Shape s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), d)) s.push_back(shape[d]);
  return s;
}

int64_t reduced_count(const Shape& shape, const Shape& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= shape[d];
  return n;
}

}  // namespace

namespace detail {
int64_t wrap_dim(const char* op, int64_t dim, int64_t rank) {
  if (rank == 0 && dim == -1) return 0;
  return kernels::normalize_dim(op, dim, rank);
}
}  // namespace detail

Tensor sum(const Tensor& x) {
  const detail::OpScope profile_scope("sum", x);
  // d sum = ones: the gradient (a scalar) is broadcast back to x's shape.
  return record("sum", kernels::sum_all(x), x,
                [](const BackwardArgs& g) { return TensorList{expand(g.grad, g.input_shape(0))}; });
}

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("sum", x);
  Shape d = normalize_dims("sum", dims, x.dim());
  return record("sum", kernels::sum_dims(x, d, keepdim), x, [d](const BackwardArgs& g) {
    const Shape& in = g.input_shape(0);
    return TensorList{expand(reshape(g.grad, keepdim_shape(in, d)), in)};
  });
}

Tensor mean(const Tensor& x) {
  const detail::OpScope profile_scope("mean", x);
  if (x.numel() == 0) throw Error("mean: empty tensor of shape " + format_shape(x.shape()));
  return div(sum(x), static_cast<double>(x.numel()));
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("mean", x);
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
                  // The share of each tie, in the gradient's dtype (not float32's rounding).
                  Tensor mask = kernels::cast(eq(in, out.detach()), grad.dtype());
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

Tensor max(const Tensor& x) {
  const detail::OpScope profile_scope("max", x);
  return extreme_all("max", x, false);
}
Tensor min(const Tensor& x) {
  const detail::OpScope profile_scope("min", x);
  return extreme_all("min", x, true);
}
Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("max", x);
  return extreme("max", x, dim, keepdim, false);
}
Tensor min(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("min", x);
  return extreme("min", x, dim, keepdim, true);
}

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  const detail::OpScope profile_scope("var", x);
  const int64_t n = reduced_count(x.shape(), normalize_dims("var", dims, x.dim()));
  Tensor centered = sub(x, mean(x, dims, true));
  return div(sum(mul(centered, centered), dims, keepdim),
             static_cast<double>(n - (unbiased ? 1 : 0)));
}

Tensor stddev(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  const detail::OpScope profile_scope("stddev", x);
  return sqrt(var(x, dims, unbiased, keepdim));
}

Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("logsumexp", x);
  int64_t d = kernels::normalize_dim("logsumexp", dim, x.dim());
  // Note: subtracting the (constant) max keeps exp from overflowing; it cancels in the gradient.
  Tensor m = kernels::extreme_dim(x, d, true, false);
  Tensor out = add(log(sum(exp(sub(x, m)), {d}, true)), m);
  return keepdim ? out : squeeze(out, d);
}

Tensor softmax(const Tensor& x, int64_t dim) {
  const detail::OpScope profile_scope("softmax", x);
  return exp(log_softmax(x, dim));
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  const detail::OpScope profile_scope("log_softmax", x);
  return sub(x, logsumexp(x, dim, true));
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("argmax", x);
  return kernels::arg_extreme_dim(x, kernels::normalize_dim("argmax", dim, x.dim()), keepdim,
                                  false);
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("argmin", x);
  return kernels::arg_extreme_dim(x, kernels::normalize_dim("argmin", dim, x.dim()), keepdim, true);
}

// ---- scans and products ----

namespace {

// t moved by one along d, toward the end (t[k-1] at k) or toward the start (t[k+1] at k), with
// `fill` in the freed slot: the exclusive scans and the shifted coefficients below.
Tensor shifted(const Tensor& t, int64_t d, bool toward_end, double fill) {
  const int64_t n = t.shape()[d];
  if (n == 0) return t;
  Shape s = t.shape();
  s[d] = 1;
  Tensor f = full(s, fill, t.dtype());
  return toward_end ? concat({f, narrow(t, d, 0, n - 1)}, d)
                    : concat({narrow(t, d, 1, n - 1), f}, d);
}

Tensor cumsum_along(const Tensor& x, int64_t d, bool reverse) {
  // out_j = sum_{i<=j} x_i, so d out / d x_k gathers the output gradients from k on: a cumsum
  // the other way.
  return record("cumsum", kernels::cumsum(x, d, reverse), x, [d, reverse](const BackwardArgs& g) {
    return TensorList{cumsum_along(g.grad, d, !reverse)};
  });
}

Tensor linear_scan(const Tensor& a, const Tensor& b, int64_t d, bool reverse) {
  // h_k = a_k h_{k-1} + b_k (h_{k+1} when reverse). The adjoint v = dL/dh runs the other way,
  // v_k = u_k + a_{k+1} v_{k+1}; then dL/db = v and dL/da_k = v_k h_{k-1}. Closed under
  // differentiation, so every order of cumprod's gradient is this op again.
  return record("linear_scan", kernels::linear_scan(a, b, d, reverse), a, b,
                [d, reverse](const BackwardArgs& g) {
                  Tensor v = linear_scan(shifted(g.input(0), d, reverse, 0.0), g.grad, d, !reverse);
                  Tensor ga = g.needs(0) ? mul(v, shifted(g.output(), d, !reverse, 0.0)) : Tensor();
                  return TensorList{ga, v};
                });
}

Tensor cumprod_along(const Tensor& x, int64_t d, bool reverse) {
  // y_j = prod_{i<=j} x_i, and d L / d x_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i
  //   = y_{k-1} s_k with s_k = g_k + x_{k+1} s_{k+1} (reverse: mirrored).
  // Note: the usual rule sum_{j>=k} g_j y_j / x_k divides by zero where x has zeros (PyTorch
  // special-cases them); this one is a polynomial in x, exact everywhere, and so are its
  // derivatives.
  return record("cumprod", kernels::cumprod(x, d, reverse), x, [d, reverse](const BackwardArgs& g) {
    Tensor before = shifted(g.output(), d, !reverse, 1.0);
    Tensor s = linear_scan(shifted(g.input(0), d, reverse, 0.0), g.grad, d, !reverse);
    return TensorList{mul(before, s)};
  });
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim) {
  const detail::OpScope profile_scope("cumsum", x);
  int64_t d = detail::wrap_dim("cumsum", dim, x.dim());
  if (x.dim() == 0) return reshape(cumsum_along(reshape(x, {1}), 0, false), {});
  return cumsum_along(x, d, false);
}

Tensor cumprod(const Tensor& x, int64_t dim) {
  const detail::OpScope profile_scope("cumprod", x);
  int64_t d = detail::wrap_dim("cumprod", dim, x.dim());
  if (x.dim() == 0) return reshape(cumprod_along(reshape(x, {1}), 0, false), {});
  return cumprod_along(x, d, false);
}

Tensor prod(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("prod", x);
  int64_t d = detail::wrap_dim("prod", dim, x.dim());
  if (x.dim() == 0) return reshape(prod(reshape(x, {1}), 0, false), {});
  return record("prod", kernels::prod_dim(x, d, keepdim), x, [d, keepdim](const BackwardArgs& g) {
    // d prod / d x_k = prod_{i!=k} x_i = (prod_{i<k} x_i) (prod_{i>k} x_i): two exclusive running
    // products instead of prod / x_k, so one zero (or more) in x needs no special case.
    const Tensor& in = g.input(0);
    Tensor before = shifted(cumprod_along(in, d, false), d, true, 1.0);
    Tensor after = shifted(cumprod_along(in, d, true), d, false, 1.0);
    return TensorList{mul(keepdim ? g.grad : unsqueeze(g.grad, d), mul(before, after))};
  });
}

Tensor prod(const Tensor& x) {
  const detail::OpScope profile_scope("prod", x);
  return reshape(prod(reshape(x, {x.numel()}), 0, false), {});
}

// ---- amax, amin and norms ----

namespace {

Tensor extreme_dims(const char* name, const Tensor& x, const std::vector<int64_t>& dims,
                    bool keepdim, bool is_min) {
  Shape d = normalize_dims(name, dims, x.dim());
  for (int64_t k : d)
    if (x.shape()[k] == 0)
      throw Error(std::string(name) + ": reduction over an empty dim of shape " +
                  format_shape(x.shape()));
  // One dim at a time from the last, keeping dims so the remaining indices stay valid.
  Tensor out = d.empty() ? x.contiguous_copy() : x;
  for (auto it = d.rbegin(); it != d.rend(); ++it)
    out = kernels::extreme_dim(out, *it, true, is_min);
  Shape kept = keepdim_shape(x.shape(), d);
  if (!keepdim) out = alias_with_shape(out, reduced_shape(x.shape(), d));
  return record(name, std::move(out), x, [d, kept](const BackwardArgs& g) {
    // The gradient is shared evenly among the entries equal to the result (the NaNs when the
    // result is NaN, as PyTorch's max() does), through a mask that is a constant.
    const Tensor& in = g.input(0);
    Tensor out_kept = alias_with_shape(g.output(), kept);
    Tensor hit =
        kernels::logical_or(kernels::eq(in, out_kept),
                            kernels::logical_and(kernels::isnan(in), kernels::isnan(out_kept)));
    Tensor mask = kernels::cast(hit, g.grad.dtype());
    Tensor share = kernels::div(mask, kernels::sum_dims(mask, d, true));
    return TensorList{mul(reshape(g.grad, kept), share)};
  });
}

std::string format_p(double p) {
  std::ostringstream os;
  os << p;
  return os.str();
}

// The 2-norm sqrt(sum x²) over dims d; its gradient x / norm is 0 where the norm is 0 (where x
// is all zeros), PyTorch's subgradient, instead of 0/0.
Tensor norm2(const Tensor& x, const Shape& d, bool keepdim) {
  Tensor out = kernels::sqrt(kernels::sum_dims(kernels::mul(x, x), d, keepdim));
  return record("norm", std::move(out), x, [d](const BackwardArgs& g) {
    Shape kept = keepdim_shape(g.input_shape(0), d);
    Tensor n = reshape(g.output(), kept);
    Tensor safe = add(n, kernels::eq(n, 0.0));  // 1 where the norm is 0: x is 0 there anyway
    return TensorList{mul(g.input(0), div(reshape(g.grad, kept), safe))};
  });
}

}  // namespace

Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("amax", x);
  return extreme_dims("amax", x, dims, keepdim, false);
}
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("amin", x);
  return extreme_dims("amin", x, dims, keepdim, true);
}

Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("norm", x);
  if (!is_floating_point(x.dtype()))
    throw Error(std::string("norm: expected a floating-point tensor, got ") +
                dtype_name(x.dtype()));
  Shape d = normalize_dims("norm", dims, x.dim());
  if (p == 2.0) return norm2(x, d, keepdim);
  if (p == 1.0) return sum(abs(x), dims, keepdim);
  if (std::isinf(p)) {
    if (reduced_count(x.shape(), d) == 0)
      throw Error("norm: the " + format_p(p) + " norm of an empty slice of shape " +
                  format_shape(x.shape()) + " is undefined");
    return p > 0 ? amax(abs(x), dims, keepdim) : amin(abs(x), dims, keepdim);
  }
  throw Error("norm: p = " + format_p(p) + " is not supported; use 1, 2, inf, -inf or \"fro\"");
}
Tensor norm(const Tensor& x, double p) {
  const detail::OpScope profile_scope("norm", x);
  return norm(x, p, {}, false);
}

Tensor norm(const Tensor& x, const std::string& p, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("norm", x);
  if (p != "fro") throw Error("norm: unknown norm \"" + p + "\"; use \"fro\" or a number p");
  return norm(x, 2.0, dims, keepdim);
}
Tensor norm(const Tensor& x, const std::string& p) {
  const detail::OpScope profile_scope("norm", x);
  return norm(x, p, {}, false);
}

// ---- any and all ----

namespace {

// Counts the non-zero elements over `dims` and compares the count: any is count > 0, all is
// count == the number of elements reduced.
Tensor any_all(const Tensor& x, const Shape& dims, bool keepdim, bool is_all) {
  Tensor count = kernels::sum_dims(kernels::ne(x, 0), dims, keepdim);
  return is_all ? kernels::eq(count, reduced_count(x.shape(), dims)) : kernels::gt(count, 0);
}

Shape one_dim(const char* name, const Tensor& x, int64_t dim) {
  int64_t d = detail::wrap_dim(name, dim, x.dim());
  return x.dim() == 0 ? Shape{} : Shape{d};
}

}  // namespace

Tensor any(const Tensor& x) {
  const detail::OpScope profile_scope("any", x);
  return any_all(x, normalize_dims("any", {}, x.dim()), false, false);
}
Tensor all(const Tensor& x) {
  const detail::OpScope profile_scope("all", x);
  return any_all(x, normalize_dims("all", {}, x.dim()), false, true);
}
Tensor any(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("any", x);
  return any_all(x, one_dim("any", x, dim), keepdim, false);
}
Tensor all(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OpScope profile_scope("all", x);
  return any_all(x, one_dim("all", x, dim), keepdim, true);
}

}  // namespace xgrad
