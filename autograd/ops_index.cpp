// Index-driven ops: scatter / scatter_add, index_add, index_fill, masked_fill, masked_select, and
// clamp with tensor bounds. Each backward is again an op of xgrad (scatter <-> gather, index_add
// <-> index_select, masks through where / mul), so double backward works.
#include <memory>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

using Indices = std::shared_ptr<const std::vector<int64_t>>;

// A validated scatter index: its values (in range along dim) and shape, and a private int64 copy
// for the gather of the backward (the user's index tensor may be written to later).
struct ScatterIndex {
  int64_t dim;
  Indices values;
  Shape shape;
  Tensor tensor;
};

// Checks index (and src, when given) against x as PyTorch's scatter does: all have x's number of
// dims, index is no larger than src in any dim and no larger than x outside dim.
ScatterIndex check_scatter(const char* op, const Tensor& x, int64_t dim, const Tensor& index,
                           const Tensor* src) {
  const int64_t d = kernels::normalize_dim(op, dim, x.dim());
  const std::string name(op);
  if (index.dim() != x.dim())
    throw Error(name + ": index of shape " + format_shape(index.shape()) +
                " must have as many dims as input " + format_shape(x.shape()));
  if (src && src->dim() != x.dim())
    throw Error(name + ": src of shape " + format_shape(src->shape()) +
                " must have as many dims as input " + format_shape(x.shape()));
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (src && index.shape()[i] > src->shape()[i])
      throw Error(name + ": index of shape " + format_shape(index.shape()) +
                  " is larger than src " + format_shape(src->shape()) + " at dim " +
                  std::to_string(i));
    if (i != d && index.shape()[i] > x.shape()[i])
      throw Error(name + ": index of shape " + format_shape(index.shape()) +
                  " is larger than input " + format_shape(x.shape()) + " outside dim " +
                  std::to_string(dim));
  }
  if (src && src->dtype() != x.dtype())
    throw Error(name + ": src dtype " + dtype_name(src->dtype()) + " differs from input dtype " +
                dtype_name(x.dtype()));
  auto values =
      std::make_shared<const std::vector<int64_t>>(detail::index_values(op, index, x.shape()[d]));
  Tensor copy = from_vector(*values, index.shape(), Dtype::int64);
  return ScatterIndex{d, std::move(values), index.shape(), std::move(copy)};
}

// src cut down to the index's shape (PyTorch reads only that corner of a larger src); a view,
// so src's gradient is zero outside it.
Tensor corner(const Tensor& src, const Shape& shape) {
  Tensor s = src;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (s.shape()[d] != shape[d]) s = slice(s, static_cast<int64_t>(d), 0, shape[d]);
  return s;
}

Tensor scatter_value(const Tensor& x, const ScatterIndex& s, const Scalar& value) {
  // Overwritten elements do not depend on x: d x = grad with them zeroed.
  return record("scatter", kernels::scatter(x, s.dim, *s.values, s.shape, value), x,
                [s](const BackwardArgs& g) { return TensorList{scatter_value(g.grad, s, 0.0)}; });
}

Tensor scatter_src(const Tensor& x, const ScatterIndex& s, const Tensor& src) {
  // d x = grad with the written positions zeroed; d src = gather(grad, dim, index) (PyTorch's
  // rule, also for duplicate indices).
  return record("scatter", kernels::scatter(x, s.dim, *s.values, s.shape, src), x, src,
                [s](const BackwardArgs& g) {
                  return TensorList{g.needs(0) ? scatter_value(g.grad, s, 0.0) : Tensor(),
                                    g.needs(1) ? gather(g.grad, s.dim, s.tensor) : Tensor()};
                });
}

Tensor scatter_add_src(const Tensor& x, const ScatterIndex& s, const Tensor& src) {
  // out = x + (src summed into zeros at index): d x = grad; d src = gather(grad, dim, index).
  Tensor added = kernels::scatter_add(x.shape(), s.dim, *s.values, s.shape, src);
  return record("scatter_add", kernels::add(x, added), x, src, [s](const BackwardArgs& g) {
    return TensorList{g.grad, g.needs(1) ? gather(g.grad, s.dim, s.tensor) : Tensor()};
  });
}

// A 1-D (or 0-d) index along dim of x, checked and copied.
std::vector<int64_t> slice_index(const char* op, const Tensor& x, int64_t dim, const Tensor& index,
                                 bool allow_negative) {
  if (index.dim() > 1)
    throw Error(std::string(op) + ": index must be 1-D, got shape " + format_shape(index.shape()));
  return detail::index_values(op, index, x.shape()[dim], allow_negative);
}

void check_mask(const char* op, const Tensor& x, const Tensor& mask) {
  if (mask.dtype() != Dtype::bool_)
    throw Error(std::string(op) + ": mask must be a bool tensor, got " + dtype_name(mask.dtype()));
  kernels::broadcast_shapes(op, x.shape(), mask.shape());
}

}  // namespace

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  const detail::OpScope profile_scope("scatter", x, index, src);
  // A 0-d x (with 0-d index and src) is scattered as one element of a 1-D tensor.
  if (x.dim() == 0 && kernels::normalize_dim("scatter", dim, 0) == 0 && index.dim() == 0 &&
      src.dim() == 0)
    return reshape(scatter(reshape(x, {1}), 0, reshape(index, {1}), reshape(src, {1})), {});
  ScatterIndex s = check_scatter("scatter", x, dim, index, &src);
  return scatter_src(x, s, corner(src, s.shape));
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Scalar& value) {
  const detail::OpScope profile_scope("scatter", x, index);
  if (x.dim() == 0 && kernels::normalize_dim("scatter", dim, 0) == 0 && index.dim() == 0)
    return reshape(scatter(reshape(x, {1}), 0, reshape(index, {1}), value), {});
  return scatter_value(x, check_scatter("scatter", x, dim, index, nullptr), value);
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  const detail::OpScope profile_scope("scatter_add", x, index, src);
  if (x.dim() == 0 && kernels::normalize_dim("scatter_add", dim, 0) == 0 && index.dim() == 0 &&
      src.dim() == 0)
    return reshape(scatter_add(reshape(x, {1}), 0, reshape(index, {1}), reshape(src, {1})), {});
  ScatterIndex s = check_scatter("scatter_add", x, dim, index, &src);
  return scatter_add_src(x, s, corner(src, s.shape));
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                 const Scalar& alpha) {
  const detail::OpScope profile_scope("index_add", x, index, src);
  const int64_t d = kernels::normalize_dim("index_add", dim, x.dim());
  if (x.dim() == 0) {
    if (src.numel() != index.numel() || src.dim() > 1)
      throw Error("index_add: src of shape " + format_shape(src.shape()) + " does not match " +
                  std::to_string(index.numel()) + " indices into a 0-d input");
    return reshape(index_add(reshape(x, {1}), 0, index, reshape(src, {-1}), alpha), {});
  }
  auto idx =
      std::make_shared<const std::vector<int64_t>>(slice_index("index_add", x, d, index, false));
  Shape expected = x.shape();
  expected[d] = static_cast<int64_t>(idx->size());
  if (src.shape() != expected)
    throw Error("index_add: src of shape " + format_shape(src.shape()) + " does not match input " +
                format_shape(x.shape()) + " with " + std::to_string(idx->size()) +
                " indices along dim " + std::to_string(dim) + "; expected " +
                format_shape(expected));
  if (src.dtype() != x.dtype())
    throw Error(std::string("index_add: src dtype ") + dtype_name(src.dtype()) +
                " differs from input dtype " + dtype_name(x.dtype()));
  if (!is_floating_point(x.dtype()) && alpha.is_floating_point())
    throw Error(std::string("index_add: alpha must be an integer when the input is ") +
                dtype_name(x.dtype()));
  Tensor added = kernels::index_add(x.shape(), d, *idx, src);
  if (alpha.to_double() != 1.0) added = kernels::mul(added, alpha);
  // out = x + alpha * (src's slices summed into zeros at index):
  //   d x = grad;  d src = alpha * index_select(grad, dim, index)
  return record("index_add", kernels::add(x, added), x, src,
                [d, idx, alpha](const BackwardArgs& g) {
                  Tensor gs;
                  if (g.needs(1)) {
                    gs = index_select(g.grad, d, *idx);
                    if (alpha.to_double() != 1.0) gs = mul(gs, alpha);
                  }
                  return TensorList{g.grad, gs};
                });
}

Tensor index_fill(const Tensor& x, int64_t dim, const Tensor& index, const Scalar& value) {
  const detail::OpScope profile_scope("index_fill", x, index);
  const int64_t d = kernels::normalize_dim("index_fill", dim, x.dim());
  if (x.dim() == 0) {
    if (index.dim() > 1)
      throw Error("index_fill: index must be 1-D, got shape " + format_shape(index.shape()));
    detail::index_values("index_fill", index, 1, true);
    return index.numel() ? masked_fill(x, ones({}, Dtype::bool_), value) : clone(x);
  }
  // A bool mask that is true at the index along dim (size 1 elsewhere); masked_fill then
  // broadcasts it and its gradient (grad with the filled slices zeroed) comes with it.
  Shape shape(static_cast<std::size_t>(x.dim()), 1);
  shape[d] = x.shape()[d];
  Tensor mask = zeros(shape, Dtype::bool_);
  bool* m = mask.data<bool>();
  for (int64_t i : slice_index("index_fill", x, d, index, true)) m[i] = true;
  return masked_fill(x, mask, value);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  const detail::OpScope profile_scope("masked_fill", x, mask);
  check_mask("masked_fill", x, mask);
  // where's backward: d x = grad where the mask is false.
  return where(mask, full({}, value, x.dtype()), x);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  const detail::OpScope profile_scope("masked_fill", x, mask, value);
  check_mask("masked_fill", x, mask);
  if (value.dim() != 0)
    throw Error("masked_fill: value must be a 0-d tensor, got shape " +
                format_shape(value.shape()));
  // The value is cast to x's dtype; where's backward gives it the sum of grad over the mask.
  return where(mask, cast(value, x.dtype()), x);
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  const detail::OpScope profile_scope("masked_select", x, mask);
  check_mask("masked_select", x, mask);
  const Shape shape = kernels::broadcast_shapes("masked_select", x.shape(), mask.shape());
  const std::vector<int64_t> picked = kernels::nonzero_positions(kernels::expand(mask, shape));
  // An index_select of the broadcast, flattened x: the backward (index_add into zeros, reshape,
  // then sum over the broadcast dims) is that of the ops composed.
  return index_select(reshape(expand(x, shape), {-1}), 0, picked);
}

Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max) {
  const detail::OpScope profile_scope("clamp", x, min, max);
  if (!min.defined() && !max.defined())
    throw Error("clamp: at least one of min and max must be defined");
  const Shape with_min =
      min.defined() ? kernels::broadcast_shapes("clamp", x.shape(), min.shape()) : x.shape();
  if (max.defined()) kernels::broadcast_shapes("clamp", with_min, max.shape());
  // PyTorch's subgradients: x gets grad where min <= x <= max; min where x < min (and min < max);
  // max where x > max or max < min (then the result is max everywhere).
  if (!max.defined())
    return record("clamp", kernels::maximum(x, min), x, min, [](const BackwardArgs& g) {
      Tensor below = kernels::lt(g.input(0), g.input(1));
      return TensorList{g.needs(0) ? mul(g.grad, kernels::logical_not(below)) : Tensor(),
                        g.needs(1) ? mul(g.grad, below) : Tensor()};
    });
  if (!min.defined())
    return record("clamp", kernels::minimum(x, max), x, max, [](const BackwardArgs& g) {
      Tensor above = kernels::gt(g.input(0), g.input(1));
      return TensorList{g.needs(0) ? mul(g.grad, kernels::logical_not(above)) : Tensor(),
                        g.needs(1) ? mul(g.grad, above) : Tensor()};
    });
  Tensor out = kernels::minimum(kernels::maximum(x, min), max);
  return record("clamp", std::move(out), x, min, max, [](const BackwardArgs& g) {
    const Tensor &v = g.input(0), &lo = g.input(1), &hi = g.input(2);
    TensorList grads(3);
    if (g.needs(0))
      grads[0] = mul(g.grad, kernels::logical_and(kernels::ge(v, lo), kernels::le(v, hi)));
    if (g.needs(1))
      grads[1] = mul(g.grad, kernels::logical_and(kernels::lt(v, lo), kernels::lt(lo, hi)));
    if (g.needs(2))
      grads[2] = mul(g.grad, kernels::logical_or(kernels::gt(v, hi), kernels::lt(hi, lo)));
    return grads;
  });
}

Tensor clamp_min(const Tensor& x, const Tensor& min) {
  const detail::OpScope profile_scope("clamp_min", x, min);
  return clamp(x, min, Tensor());
}
Tensor clamp_max(const Tensor& x, const Tensor& max) {
  const detail::OpScope profile_scope("clamp_max", x, max);
  return clamp(x, Tensor(), max);
}

}  // namespace xgrad
