// Tensor::index and Tensor::index_put_: numpy's basic indexing (integers, slices, None,
// Ellipsis) as chains of differentiable views, advanced indexing (int64 tensors, bool masks) as
// one index_select over the indexed dims flattened, and index_put_ as a recorded in-place op.
#include <algorithm>
#include <limits>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/impl_access.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

using indexing::TensorIndex;

namespace {

// The int64 index tensors a bool mask stands for (one per mask dim, as nonzero would give).
std::vector<Tensor> mask_to_indices(const Tensor& mask) {
  const Tensor m = mask.contiguous_copy();
  const bool* p = m.data<bool>();
  const std::size_t k = m.shape().size();
  std::vector<std::vector<int64_t>> coords(k);
  Shape coord(k, 0);
  for (int64_t i = 0; i < m.numel(); ++i) {
    if (p[i])
      for (std::size_t d = 0; d < k; ++d) coords[d].push_back(coord[d]);
    for (std::size_t d = k; d-- > 0;) {
      if (++coord[d] < m.shape()[d]) break;
      coord[d] = 0;
    }
  }
  std::vector<Tensor> out;
  for (auto& c : coords) {
    const auto n = static_cast<int64_t>(c.size());
    out.push_back(from_vector(c, {n}, Dtype::int64));
  }
  return out;
}

struct Advanced {
  std::vector<int64_t> dims;  // positions in the basic-indexed view
  std::vector<Tensor> indices;
};

// Applies the basic indices as views; collects the advanced ones.
Tensor apply_basic(const char* op, const Tensor& x, const std::vector<TensorIndex>& indices,
                   Advanced& advanced) {
  int64_t consumed = 0, ellipses = 0;
  for (const TensorIndex& i : indices) {
    switch (i.kind()) {
      case TensorIndex::Kind::integer:
      case TensorIndex::Kind::slice:
        ++consumed;
        break;
      case TensorIndex::Kind::tensor:
        if (!i.tensor().defined()) throw Error(std::string(op) + ": undefined index tensor");
        consumed += i.tensor().dtype() == Dtype::bool_ ? std::max<int64_t>(i.tensor().dim(), 1) : 1;
        break;
      case TensorIndex::Kind::ellipsis:
        ++ellipses;
        break;
      default:
        break;
    }
  }
  if (ellipses > 1) throw Error(std::string(op) + ": an index can only have one Ellipsis");
  if (consumed > x.dim())
    throw Error(std::string(op) + ": too many indices (" + std::to_string(consumed) +
                ") for a tensor of shape " + format_shape(x.shape()));
  Tensor v = x;
  int64_t d = 0;
  for (const TensorIndex& i : indices) {
    switch (i.kind()) {
      case TensorIndex::Kind::integer:
        v = select(v, d, i.integer());
        break;
      case TensorIndex::Kind::slice: {
        const indexing::Slice& s = i.slice();
        if (s.step <= 0)
          throw Error(std::string(op) + ": slice step must be positive, got " +
                      std::to_string(s.step));
        const int64_t n = v.shape()[d];
        v = slice(v, d, s.start.value_or(0), s.stop.value_or(n), s.step);
        ++d;
        break;
      }
      case TensorIndex::Kind::none:
        v = unsqueeze(v, d++);
        break;
      case TensorIndex::Kind::boolean:
        v = unsqueeze(v, d);
        if (!i.boolean()) v = slice(v, d, 0, 0);
        ++d;
        break;
      case TensorIndex::Kind::ellipsis:
        d += x.dim() - consumed;
        break;
      case TensorIndex::Kind::tensor: {
        const Tensor& t = i.tensor();
        if (t.dtype() == Dtype::bool_) {
          const int64_t k = std::max<int64_t>(t.dim(), 1);
          for (int64_t j = 0; j < t.dim(); ++j)
            if (t.shape()[j] != v.shape()[d + j])
              throw Error(std::string(op) + ": mask of shape " + format_shape(t.shape()) +
                          " does not match the indexed dims of shape " + format_shape(v.shape()) +
                          " at dim " + std::to_string(d));
          std::vector<Tensor> parts = mask_to_indices(t.dim() == 0 ? reshape(t, {1}) : t);
          if (t.dim() == 0) v = unsqueeze(v, d);  // a 0-d mask adds a dim, as numpy
          for (int64_t j = 0; j < k; ++j) {
            advanced.dims.push_back(d + j);
            advanced.indices.push_back(parts[static_cast<std::size_t>(j)]);
          }
          d += k;
        } else {
          if (t.dtype() != Dtype::int64 && t.dtype() != Dtype::int32)
            throw Error(std::string(op) + ": index tensors must be int64, int32 or bool, got " +
                        dtype_name(t.dtype()));
          advanced.dims.push_back(d++);
          advanced.indices.push_back(t);
        }
        break;
      }
    }
  }
  return v;
}

// Advanced indexing of the basic view v: the indexed dims are flattened into one and gathered
// with index_select, then the broadcast index shape takes their place (at the front when they
// were not adjacent, as numpy).
Tensor apply_advanced(const char* op, const Tensor& v, const Advanced& a) {
  Shape b;  // broadcast shape of the index tensors
  for (const Tensor& t : a.indices) b = kernels::broadcast_shapes(op, b, t.shape());
  const int64_t count = shape_numel(b);
  std::vector<int64_t> flat(static_cast<std::size_t>(count), 0);
  for (std::size_t k = 0; k < a.indices.size(); ++k) {
    const int64_t n = v.shape()[a.dims[k]];
    const std::vector<int64_t> ik =
        detail::index_values(op, kernels::expand(a.indices[k], b), n, true);
    for (int64_t j = 0; j < count; ++j) flat[j] = flat[j] * n + ik[j];
  }
  std::vector<int64_t> perm(a.dims.begin(), a.dims.end());
  Shape rest;
  int64_t indexed = 1;
  for (int64_t d : a.dims) indexed *= v.shape()[d];
  for (int64_t d = 0; d < v.dim(); ++d)
    if (std::find(a.dims.begin(), a.dims.end(), d) == a.dims.end()) {
      perm.push_back(d);
      rest.push_back(v.shape()[d]);
    }
  Shape folded{indexed};
  folded.insert(folded.end(), rest.begin(), rest.end());
  Tensor gathered = index_select(reshape(permute(v, perm), folded), 0, flat);
  Shape out = b;
  out.insert(out.end(), rest.begin(), rest.end());
  Tensor r = reshape(gathered, out);
  bool adjacent = true;
  for (std::size_t k = 1; k < a.dims.size(); ++k) adjacent &= a.dims[k] == a.dims[k - 1] + 1;
  const int64_t first = a.dims.front();
  if (!adjacent || first == 0) return r;
  // Move the index dims to where the indexed dims were.
  const auto nb = static_cast<int64_t>(b.size());
  std::vector<int64_t> order;
  for (int64_t j = 0; j < first; ++j) order.push_back(nb + j);
  for (int64_t j = 0; j < nb; ++j) order.push_back(j);
  for (int64_t j = nb + first; j < r.dim(); ++j) order.push_back(j);
  return permute(r, order);
}

Tensor index_impl(const char* op, const Tensor& x, const std::vector<TensorIndex>& indices) {
  Advanced advanced;
  Tensor v = apply_basic(op, x, indices, advanced);
  return advanced.dims.empty() ? v : apply_advanced(op, v, advanced);
}

}  // namespace

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  return index_impl("index", *this, indices);
}
Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(std::vector<TensorIndex>(indices));
}
Tensor Tensor::operator[](int64_t i) const { return xgrad::select(*this, 0, i); }

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& values,
                           bool accumulate) {
  const detail::OpScope profile_scope("index_put_", *this, values);
  if (!values.defined()) throw Error("index_put_: the values are undefined");
  // The row-major positions of the indexed elements: the same index applied to 0..numel-1.
  Tensor where_to;
  {
    NoGradGuard no_grad;
    where_to = index_impl(
        "index_put_",
        xgrad::reshape(arange(0, static_cast<double>(numel()), 1, Dtype::int64), shape()), indices);
  }
  bool fits = values.dim() <= where_to.dim();
  for (int64_t d = 1; fits && d <= values.dim(); ++d) {
    const int64_t nv = values.shape()[values.dim() - d], ni = where_to.shape()[where_to.dim() - d];
    fits = nv == ni || nv == 1;
  }
  if (!fits)
    throw Error("index_put_: values of shape " + format_shape(values.shape()) +
                " do not broadcast to the indexed shape " + format_shape(where_to.shape()));
  const Tensor pos_tensor = where_to.contiguous_copy();
  const std::vector<int64_t> positions(pos_tensor.data<int64_t>(),
                                       pos_tensor.data<int64_t>() + pos_tensor.numel());
  const Shape indexed = where_to.shape();
  // d/dself: the gradient, zero where the write replaced the old value (kept with accumulate).
  // d/dvalues: the gradient at the positions (the engine sums broadcast dims).
  Tensor keep;
  if (!accumulate && is_grad_enabled() && (requires_grad() || values.requires_grad())) {
    keep = ones(shape(), Dtype::bool_);
    kernels::put_(keep, positions, zeros({static_cast<int64_t>(positions.size())}, Dtype::bool_),
                  false);
  }
  return record_inplace(
      "index_put_", *this, {&values}, {},
      [&](Tensor& target) {
        detail::check_writable(target, "index_put_");
        kernels::put_(target, positions, kernels::expand(values, indexed), accumulate);
        target.storage()->bump_version();
      },
      [keep, positions, indexed](const BackwardArgs& g) {
        Tensor to_self = keep.defined() ? xgrad::mul(g.grad, keep) : g.grad;
        Tensor to_values =
            g.needs(1)
                ? xgrad::reshape(xgrad::index_select(xgrad::reshape(g.grad, {-1}), 0, positions),
                                 indexed)
                : Tensor();
        return TensorList{g.needs(0) ? to_self : Tensor(), to_values};
      });
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& values,
                           bool accumulate) {
  const detail::OpScope profile_scope("index_put_", *this, values);
  return index_put_(std::vector<TensorIndex>(indices), values, accumulate);
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) {
  const detail::OpScope profile_scope("index_put_", *this);
  return index_put_(std::vector<TensorIndex>(indices), full({}, value, dtype()), false);
}

}  // namespace xgrad
