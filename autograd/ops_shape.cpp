// Shape and indexing ops. reshape/squeeze/unsqueeze/flatten share storage; the others copy.
// Each op's backward is another op of this file (slice <-> slice_scatter, expand <-> sum_to,
// index_select <-> index_add, gather <-> scatter_add), so double backward works throughout.
#include <algorithm>
#include <cmath>
#include <memory>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

using Indices = std::shared_ptr<const std::vector<int64_t>>;

Indices to_indices(const char* op, const Tensor& index, int64_t limit) {
  auto out = std::make_shared<std::vector<int64_t>>();
  out->reserve(index.numel());
  for (double v : index.to_vector()) {
    if (v != std::floor(v) || v < 0 || v >= static_cast<double>(limit))
      throw Error(std::string(op) + ": index " + std::to_string(v) + " is not an integer in [0, " +
                  std::to_string(limit) + ")");
    out->push_back(static_cast<int64_t>(v));
  }
  return out;
}

Tensor slice_scatter(const Tensor& src, const Shape& shape, int64_t dim, int64_t start, int64_t end,
                     int64_t step) {
  return record("slice_backward", kernels::slice_scatter(src, shape, dim, start, end, step), src,
                [dim, start, end, step](const BackwardArgs& g) {
                  return TensorList{slice(g.grad, dim, start, end, step)};
                });
}

Tensor index_add(const Shape& shape, int64_t dim, const Indices& index, const Tensor& src) {
  return record("index_select_backward", kernels::index_add(shape, dim, *index, src), src,
                [dim, index](const BackwardArgs& g) {
                  return TensorList{index_select(g.grad, dim, *index)};
                });
}

Tensor gather_indices(const Tensor& x, int64_t dim, const Indices& index, const Shape& ishape);

Tensor scatter_add(const Shape& shape, int64_t dim, const Indices& index, const Shape& ishape,
                   const Tensor& src) {
  return record("gather_backward", kernels::scatter_add(shape, dim, *index, ishape, src), src,
                [dim, index, ishape](const BackwardArgs& g) {
                  return TensorList{gather_indices(g.grad, dim, index, ishape)};
                });
}

Tensor gather_indices(const Tensor& x, int64_t dim, const Indices& index, const Shape& ishape) {
  return record("gather", kernels::gather(x, dim, *index, ishape), x,
                [dim, index, ishape](const BackwardArgs& g) {
                  return TensorList{scatter_add(g.inputs[0].shape(), dim, index, ishape, g.grad)};
                });
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape s = shape;
  int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0)
        throw Error("reshape: only one dimension can be -1 in " + format_shape(shape));
      infer = static_cast<int64_t>(i);
    } else if (s[i] < 0) {
      throw Error("reshape: invalid shape " + format_shape(shape));
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0 && known > 0 && x.numel() % known == 0) s[infer] = x.numel() / known;
  if (shape_numel(s) != x.numel() || (infer >= 0 && known == 0))
    throw Error("reshape: cannot reshape " + format_shape(x.shape()) + " (" +
                std::to_string(x.numel()) + " elements) to " + format_shape(shape));
  return record("reshape", alias_with_shape(x, s), x, [](const BackwardArgs& g) {
    return TensorList{reshape(g.grad, g.inputs[0].shape())};
  });
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = kernels::normalize_dim("flatten", start_dim, x.dim());
  int64_t e = kernels::normalize_dim("flatten", end_dim, x.dim());
  if (s > e) throw Error("flatten: start_dim comes after end_dim");
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= x.shape()[d];
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x) {
  Shape s;
  for (int64_t d : x.shape())
    if (d != 1) s.push_back(d);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  if (x.dim() == 0) return reshape(x, {});
  int64_t d = kernels::normalize_dim("squeeze", dim, x.dim());
  if (x.shape()[d] != 1) return x;
  Shape s = x.shape();
  s.erase(s.begin() + d);
  return reshape(x, s);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = kernels::normalize_dim("unsqueeze", dim, x.dim() + 1);
  Shape s = x.shape();
  s.insert(s.begin() + d, 1);
  return reshape(x, s);
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  if (static_cast<int64_t>(dims.size()) != x.dim())
    throw Error("permute: " + std::to_string(dims.size()) + " dims given for shape " +
                format_shape(x.shape()));
  std::vector<int64_t> perm, inverse(dims.size());
  for (int64_t d : dims) perm.push_back(kernels::normalize_dim("permute", d, x.dim()));
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
  for (std::size_t i = 0; i < perm.size(); ++i)
    if (perm[inverse[i]] != static_cast<int64_t>(i))
      throw Error("permute: dims are not a permutation of 0.." + std::to_string(x.dim() - 1));
  return record("permute", kernels::permute(x, perm), x,
                [inverse](const BackwardArgs& g) { return TensorList{permute(g.grad, inverse)}; });
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < x.dim(); ++d) perm.push_back(d);
  std::swap(perm[kernels::normalize_dim("transpose", dim0, x.dim())],
            perm[kernels::normalize_dim("transpose", dim1, x.dim())]);
  return permute(x, perm);
}

Tensor Tensor::t() const {
  if (dim() != 2) throw Error("t: expected a 2-D tensor, got shape " + format_shape(shape()));
  return transpose(*this, 0, 1);
}
Tensor Tensor::reshape(const Shape& shape) const { return xgrad::reshape(*this, shape); }

Tensor expand(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return record("expand", kernels::expand(x, shape), x, [](const BackwardArgs& g) {
    return TensorList{sum_to(g.grad, g.inputs[0].shape())};
  });
}
Tensor broadcast_to(const Tensor& x, const Shape& shape) { return expand(x, shape); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return record("sum_to", kernels::sum_to(x, shape), x, [](const BackwardArgs& g) {
    return TensorList{expand(g.grad, g.inputs[0].shape())};
  });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  int64_t d = kernels::normalize_dim("slice", dim, x.dim());
  if (x.dim() == 0) throw Error("slice: cannot slice a 0-d tensor");
  if (step <= 0) throw Error("slice: step must be positive, got " + std::to_string(step));
  const int64_t n = x.shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  return record(
      "slice", kernels::slice(x, d, start, end, step), x,
      [d, start, end, step](const BackwardArgs& g) {
        return TensorList{slice_scatter(g.grad, g.inputs[0].shape(), d, start, end, step)};
      });
}

Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& index) {
  int64_t d = kernels::normalize_dim("index_select", dim, x.dim());
  for (int64_t i : index)
    if (i < 0 || i >= x.shape()[d])
      throw Error("index_select: index " + std::to_string(i) + " out of range for dim " +
                  std::to_string(dim) + " of shape " + format_shape(x.shape()));
  auto idx = std::make_shared<const std::vector<int64_t>>(index);
  return record("index_select", kernels::index_select(x, d, *idx), x,
                [d, idx](const BackwardArgs& g) {
                  return TensorList{index_add(g.inputs[0].shape(), d, idx, g.grad)};
                });
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  if (index.dim() > 1)
    throw Error("index_select: index must be 1-D, got shape " + format_shape(index.shape()));
  int64_t d = kernels::normalize_dim("index_select", dim, x.dim());
  return index_select(x, d, *to_indices("index_select", index, x.shape()[d]));
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  int64_t d = kernels::normalize_dim("gather", dim, x.dim());
  if (index.dim() != x.dim())
    throw Error("gather: index of shape " + format_shape(index.shape()) +
                " must have as many dims as input " + format_shape(x.shape()));
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != d && index.shape()[i] > x.shape()[i])
      throw Error("gather: index of shape " + format_shape(index.shape()) +
                  " is larger than input " + format_shape(x.shape()) + " outside dim " +
                  std::to_string(dim));
  return gather_indices(x, d, to_indices("gather", index, x.shape()[d]), index.shape());
}

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("concat: expected at least one tensor");
  const Tensor& first = tensors[0];
  int64_t d = kernels::normalize_dim("concat", dim, first.dim());
  std::vector<int64_t> sizes;
  for (const Tensor& t : tensors) {
    Shape a = t.shape(), b = first.shape();
    if (a.size() != b.size() || t.dtype() != first.dtype())
      throw Error("concat: cannot join " + format_shape(b) + " and " + format_shape(a));
    a[d] = b[d] = 0;
    if (a != b)
      throw Error("concat: shapes " + format_shape(first.shape()) + " and " +
                  format_shape(t.shape()) + " differ outside dim " + std::to_string(dim));
    sizes.push_back(t.shape()[d]);
  }
  return record("concat", kernels::concat(tensors, d), tensors, [d, sizes](const BackwardArgs& g) {
    TensorList grads;
    int64_t offset = 0;
    for (int64_t s : sizes) {
      grads.push_back(slice(g.grad, d, offset, offset + s));
      offset += s;
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("stack: expected at least one tensor");
  int64_t d = kernels::normalize_dim("stack", dim, tensors[0].dim() + 1);
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) {
    if (t.shape() != tensors[0].shape())
      throw Error("stack: shapes " + format_shape(tensors[0].shape()) + " and " +
                  format_shape(t.shape()) + " differ");
    parts.push_back(unsqueeze(t, d));
  }
  return concat(parts, d);
}

Tensor clone(const Tensor& x) {
  return record("clone", x.contiguous_copy(), x,
                [](const BackwardArgs& g) { return TensorList{g.grad}; });
}

Tensor Tensor::clone() const { return xgrad::clone(*this); }

}  // namespace xgrad
