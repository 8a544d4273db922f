// Shape, view and indexing ops. The views (reshape and view when the strides allow, permute,
// transpose, expand, slice, select, diagonal, unfold, as_strided) share storage; index ops copy.
// Each op's backward is another op of this file (a view <-> scatter into a view, expand <->
// sum_to, index_select <-> index_add, gather <-> scatter_add), so double backward works.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "autograd/view_ops.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

using Indices = std::shared_ptr<const std::vector<int64_t>>;

}  // namespace

namespace detail {
std::vector<int64_t> index_values(const char* op, const Tensor& index, int64_t limit,
                                  bool allow_negative) {
  if (index.dtype() != Dtype::int64 && index.dtype() != Dtype::int32)
    throw Error(std::string(op) + ": index tensor must be int64 or int32, got " +
                dtype_name(index.dtype()));
  const Tensor dense = kernels::cast(index, Dtype::int64);
  const int64_t* p = dense.data<int64_t>();
  std::vector<int64_t> out(p, p + dense.numel());
  for (int64_t& i : out) {
    if (allow_negative && i < 0 && i >= -limit) i += limit;
    if (i < 0 || i >= limit)
      throw Error(std::string(op) + ": index " + std::to_string(i) + " is out of range [0, " +
                  std::to_string(limit) + ")");
  }
  return out;
}
}  // namespace detail

namespace {

Indices to_indices(const char* op, const Tensor& index, int64_t limit) {
  return std::make_shared<const std::vector<int64_t>>(
      detail::index_values(op, index, limit, false));
}

}  // namespace

namespace detail {

Tensor strided_view(const Tensor& x, const kernels::Layout& layout) {
  kernels::Layout at = layout;
  at.offset += x.storage_offset();
  return record_view("as_strided", kernels::view_as(x, at), x, [layout](const BackwardArgs& g) {
    return TensorList{detail::strided_scatter(g.grad, g.input_shape(0), layout)};
  });
}

Tensor strided_scatter(const Tensor& src, const Shape& shape, const kernels::Layout& layout) {
  Tensor out =
      kernels::scatter_add_into_view(src, shape, layout.shape, layout.strides, layout.offset);
  return record("view_backward", std::move(out), src, [layout](const BackwardArgs& g) {
    return TensorList{detail::strided_view(g.grad.contiguous(), layout)};
  });
}

}  // namespace detail

namespace {

// Records a view op: `to_view` maps a Layout to the view's Layout. Forward applies it to x's
// layout; backward applies it to a contiguous layout of x's shape and scatters into that.
template <class ToView>
Tensor view_op(const char* name, const Tensor& x, ToView to_view) {
  return record_view(name, kernels::view_as(x, to_view(kernels::layout_of(x))), x,
                     [to_view](const BackwardArgs& g) {
                       const Shape& shape = g.input_shape(0);
                       return TensorList{detail::strided_scatter(
                           g.grad, shape, to_view(kernels::contiguous_layout(shape)))};
                     });
}

// Resolves one -1 entry of a requested shape for `numel` elements.
Shape infer_shape(const char* op, const Tensor& x, const Shape& shape) {
  Shape s = shape;
  int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0)
        throw Error(std::string(op) + ": only one dimension can be -1 in " + format_shape(shape));
      infer = static_cast<int64_t>(i);
    } else if (s[i] < 0) {
      throw Error(std::string(op) + ": invalid shape " + format_shape(shape));
    } else if (__builtin_mul_overflow(known, s[i], &known)) {
      throw Error(std::string(op) + ": shape " + format_shape(shape) + " is too large");
    }
  }
  if (infer >= 0 && known > 0 && x.numel() % known == 0) s[infer] = x.numel() / known;
  if ((infer >= 0 && known == 0) || shape_numel(s) != x.numel())
    throw Error(std::string(op) + ": cannot reshape " + format_shape(x.shape()) + " (" +
                std::to_string(x.numel()) + " elements) to " + format_shape(shape));
  return s;
}

// reshape and view: an alias with new strides when x's strides allow, else (reshape only) a copy.
Tensor reshape_impl(const char* op, const Tensor& x, const Shape& requested, bool may_copy) {
  Shape s = infer_shape(op, x, requested);
  std::optional<Shape> strides = kernels::view_strides(kernels::layout_of(x), s);
  if (!strides && !may_copy)
    throw Error(std::string(op) + ": shape " + format_shape(s) +
                " is not compatible with the input's shape " + format_shape(x.shape()) +
                " and strides " + format_shape(x.strides()) + "; use reshape() or contiguous()");
  auto backward = [](const BackwardArgs& g) {
    return TensorList{reshape(g.grad, g.input_shape(0))};
  };
  if (strides) return record_view(op, make_view(x, s, *strides, x.storage_offset()), x, backward);
  return record(op, alias_with_shape(x.contiguous_copy(), s), x, backward);
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
                  return TensorList{scatter_add(g.input_shape(0), dim, index, ishape, g.grad)};
                });
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  const detail::OpScope profile_scope("reshape", x);
  return reshape_impl("reshape", x, shape, true);
}
Tensor view(const Tensor& x, const Shape& shape) {
  const detail::OpScope profile_scope("view", x);
  return reshape_impl("view", x, shape, false);
}

Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset) {
  const detail::OpScope profile_scope("as_strided", x);
  Tensor out = make_view(x, shape, strides, offset);
  if (!detail::should_record({&x})) return out;
  // The backward needs the view's geometry within x's own elements.
  if (!x.is_contiguous())
    throw Error("as_strided: its gradient needs a contiguous input, got strides " +
                format_shape(x.strides()) + "; call contiguous() first");
  kernels::Layout layout{shape, strides, offset - x.storage_offset()};
  int64_t last = layout.offset;
  for (std::size_t d = 0; d < shape.size(); ++d) last += (shape[d] - 1) * strides[d];
  if (out.numel() > 0 && (layout.offset < 0 || last >= x.numel()))
    throw Error("as_strided: the view reaches outside the " + std::to_string(x.numel()) +
                " elements of its input of shape " + format_shape(x.shape()) +
                ", so it has no gradient");
  return detail::strided_view(x, layout);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  const detail::OpScope profile_scope("narrow", x);
  int64_t d = kernels::normalize_dim("narrow", dim, x.dim());
  const int64_t n = x.shape()[d];
  if (start < 0) start += n;
  if (start < 0 || length < 0 || start > n || length > n - start)
    throw Error("narrow: start " + std::to_string(start) + " and length " + std::to_string(length) +
                " do not fit dim " + std::to_string(dim) + " of shape " + format_shape(x.shape()));
  return slice(x, d, start, start + length);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  const detail::OpScope profile_scope("select", x);
  if (x.dim() == 0) throw Error("select: cannot select from a 0-d tensor");
  int64_t d = kernels::normalize_dim("select", dim, x.dim());
  const int64_t n = x.shape()[d];
  if (index < -n || index >= n)
    throw Error("select: index " + std::to_string(index) + " out of range for dim " +
                std::to_string(dim) + " of shape " + format_shape(x.shape()));
  if (index < 0) index += n;
  return view_op("select", x,
                 [d, index](const kernels::Layout& l) { return kernels::select(l, d, index); });
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  const detail::OpScope profile_scope("diagonal", x);
  if (x.dim() < 2)
    throw Error("diagonal: expected at least 2 dims, got shape " + format_shape(x.shape()));
  int64_t d1 = kernels::normalize_dim("diagonal", dim1, x.dim());
  int64_t d2 = kernels::normalize_dim("diagonal", dim2, x.dim());
  if (d1 == d2) throw Error("diagonal: dim1 and dim2 are the same dim " + std::to_string(d1));
  return view_op("diagonal", x, [offset, d1, d2](const kernels::Layout& l) {
    return kernels::diagonal(l, offset, d1, d2);
  });
}

Tensor unfold(const Tensor& x, int64_t dim, int64_t size, int64_t step) {
  const detail::OpScope profile_scope("unfold", x);
  int64_t d = kernels::normalize_dim("unfold", dim, x.dim());
  const int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  if (size < 0 || size > n)
    throw Error("unfold: size " + std::to_string(size) + " exceeds dim " + std::to_string(dim) +
                " of shape " + format_shape(x.shape()));
  if (step <= 0) throw Error("unfold: step must be positive, got " + std::to_string(step));
  return view_op("unfold", x, [d, size, step](const kernels::Layout& l) {
    return kernels::unfold(l, d, size, step);
  });
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  const detail::OpScope profile_scope("flatten", x);
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
  const detail::OpScope profile_scope("squeeze", x);
  Shape s;
  for (int64_t d : x.shape())
    if (d != 1) s.push_back(d);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  const detail::OpScope profile_scope("squeeze", x);
  if (x.dim() == 0) return reshape(x, {});
  int64_t d = kernels::normalize_dim("squeeze", dim, x.dim());
  if (x.shape()[d] != 1) return x;
  Shape s = x.shape();
  s.erase(s.begin() + d);
  return reshape(x, s);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  const detail::OpScope profile_scope("unsqueeze", x);
  int64_t d = kernels::normalize_dim("unsqueeze", dim, x.dim() + 1);
  Shape s = x.shape();
  s.insert(s.begin() + d, 1);
  return reshape(x, s);
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  const detail::OpScope profile_scope("permute", x);
  if (static_cast<int64_t>(dims.size()) != x.dim())
    throw Error("permute: " + std::to_string(dims.size()) + " dims given for shape " +
                format_shape(x.shape()));
  std::vector<int64_t> perm, inverse(dims.size());
  for (int64_t d : dims) perm.push_back(kernels::normalize_dim("permute", d, x.dim()));
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
  for (std::size_t i = 0; i < perm.size(); ++i)
    if (perm[inverse[i]] != static_cast<int64_t>(i))
      throw Error("permute: dims are not a permutation of 0.." + std::to_string(x.dim() - 1));
  return record_view(
      "permute", kernels::view_as(x, kernels::permute(kernels::layout_of(x), perm)), x,
      [inverse](const BackwardArgs& g) { return TensorList{permute(g.grad, inverse)}; });
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  const detail::OpScope profile_scope("transpose", x);
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < x.dim(); ++d) perm.push_back(d);
  std::swap(perm[kernels::normalize_dim("transpose", dim0, x.dim())],
            perm[kernels::normalize_dim("transpose", dim1, x.dim())]);
  return permute(x, perm);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  const detail::OpScope profile_scope("expand", x);
  if (x.shape() == shape) return x;
  return record_view("expand", kernels::expand(x, shape), x, [](const BackwardArgs& g) {
    return TensorList{sum_to(g.grad, g.input_shape(0))};
  });
}
Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  const detail::OpScope profile_scope("broadcast_to", x);
  return expand(x, shape);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  const detail::OpScope profile_scope("sum_to", x);
  if (x.shape() == shape) return x;
  return record("sum_to", kernels::sum_to(x, shape), x,
                [](const BackwardArgs& g) { return TensorList{expand(g.grad, g.input_shape(0))}; });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  const detail::OpScope profile_scope("slice", x);
  int64_t d = kernels::normalize_dim("slice", dim, x.dim());
  if (x.dim() == 0) throw Error("slice: cannot slice a 0-d tensor");
  if (step <= 0) throw Error("slice: step must be positive, got " + std::to_string(step));
  const int64_t n = x.shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  return view_op("slice", x, [d, start, end, step](const kernels::Layout& l) {
    return kernels::slice(l, d, start, end, step);
  });
}

Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& index) {
  const detail::OpScope profile_scope("index_select", x);
  int64_t d = kernels::normalize_dim("index_select", dim, x.dim());
  for (int64_t i : index)
    if (i < 0 || i >= x.shape()[d])
      throw Error("index_select: index " + std::to_string(i) + " out of range for dim " +
                  std::to_string(dim) + " of shape " + format_shape(x.shape()));
  auto idx = std::make_shared<const std::vector<int64_t>>(index);
  return record("index_select", kernels::index_select(x, d, *idx), x,
                [d, idx](const BackwardArgs& g) {
                  return TensorList{index_add(g.input_shape(0), d, idx, g.grad)};
                });
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  const detail::OpScope profile_scope("index_select", x, index);
  if (index.dim() > 1)
    throw Error("index_select: index must be 1-D, got shape " + format_shape(index.shape()));
  int64_t d = kernels::normalize_dim("index_select", dim, x.dim());
  return index_select(x, d, *to_indices("index_select", index, x.shape()[d]));
}

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx,
                 bool scale_grad_by_freq) {
  const detail::OpScope profile_scope("embedding", weight, indices);
  if (weight.dim() != 2)
    throw Error("embedding: weight must be 2-D (num_embeddings, embedding_dim), got " +
                format_shape(weight.shape()));
  const int64_t rows = weight.shape()[0];
  if (padding_idx != kNoPadding) {
    if (padding_idx < -rows || padding_idx >= rows)
      throw Error("embedding: padding_idx " + std::to_string(padding_idx) +
                  " is out of range for " + std::to_string(rows) + " embeddings");
    if (padding_idx < 0) padding_idx += rows;
  }
  Indices idx = to_indices("embedding", indices, rows);
  Shape shape = indices.shape();
  shape.push_back(weight.shape()[1]);
  Tensor out = alias_with_shape(kernels::index_select(weight, 0, *idx), shape);
  // out[..., :] = weight[indices[...], :]. Backward: the gradient's rows summed into the rows
  // they were read from (index_add into zeros), leaving out the positions that read
  // padding_idx, and each row divided by how often its index occurs when scale_grad_by_freq.
  return record(
      "embedding", out, weight, [idx, padding_idx, scale_grad_by_freq](const BackwardArgs& g) {
        const Shape wshape = g.input_shape(0);
        Tensor rows_grad = reshape(g.grad, {-1, wshape[1]});
        std::vector<int64_t> kept, kept_rows;
        std::vector<double> scale;
        std::vector<int64_t> counts;
        if (scale_grad_by_freq) {
          counts.assign(static_cast<std::size_t>(wshape[0]), 0);
          for (int64_t i : *idx) ++counts[static_cast<std::size_t>(i)];
        }
        for (std::size_t p = 0; p < idx->size(); ++p) {
          const int64_t i = (*idx)[p];
          if (i == padding_idx) continue;
          kept.push_back(static_cast<int64_t>(p));
          kept_rows.push_back(i);
          if (scale_grad_by_freq)
            scale.push_back(1.0 / static_cast<double>(counts[static_cast<std::size_t>(i)]));
        }
        if (kept.size() != idx->size()) rows_grad = index_select(rows_grad, 0, kept);
        if (scale_grad_by_freq)
          rows_grad = mul(rows_grad, from_vector(scale, {static_cast<int64_t>(scale.size()), 1},
                                                 rows_grad.dtype()));
        auto target = std::make_shared<const std::vector<int64_t>>(std::move(kept_rows));
        return TensorList{index_add(wshape, 0, target, rows_grad)};
      });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  const detail::OpScope profile_scope("gather", x, index);
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
  const detail::OpScope profile_scope("concat", tensors);
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
  const detail::OpScope profile_scope("stack", tensors);
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
  const detail::OpScope profile_scope("clone", x);
  return record("clone", x.contiguous_copy(), x,
                [](const BackwardArgs& g) { return TensorList{g.grad}; });
}

}  // namespace xgrad
