// The Tensor members that run differentiable ops: sum, mean, reshape, view, t, clone,
// contiguous, to, backward and the method forms (exp, matmul, permute, ...) call the free
// functions (the one definition of each op); the
// in-place members (add_, mul_, relu_, ...) are recorded here with their backward rules.
#include <span>

#include "autograd/engine.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/impl_access.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

Tensor Tensor::sum() const { return xgrad::sum(*this); }
Tensor Tensor::mean() const { return xgrad::mean(*this); }
Tensor Tensor::reshape(const Shape& shape) const { return xgrad::reshape(*this, shape); }
Tensor Tensor::view(const Shape& shape) const { return xgrad::view(*this, shape); }
Tensor Tensor::t() const {
  if (dim() != 2) throw Error("t: expected a 2-D tensor, got shape " + format_shape(shape()));
  return xgrad::transpose(*this, 0, 1);
}
Tensor Tensor::clone() const { return xgrad::clone(*this); }
Tensor Tensor::contiguous() const { return is_contiguous() ? *this : xgrad::clone(*this); }
Tensor Tensor::to(Dtype dtype) const { return cast(*this, dtype); }

// ---- method forms: one line each, calling the free function ----
Tensor Tensor::add(const Tensor& other, const Scalar& alpha) const {
  return alpha.to_double() == 1.0 ? xgrad::add(*this, other)
                                  : xgrad::add(*this, xgrad::mul(other, alpha));
}
Tensor Tensor::add(const Scalar& other) const { return xgrad::add(*this, other); }
Tensor Tensor::sub(const Tensor& other, const Scalar& alpha) const {
  return alpha.to_double() == 1.0 ? xgrad::sub(*this, other)
                                  : xgrad::sub(*this, xgrad::mul(other, alpha));
}
Tensor Tensor::sub(const Scalar& other) const { return xgrad::sub(*this, other); }
Tensor Tensor::mul(const Tensor& other) const { return xgrad::mul(*this, other); }
Tensor Tensor::mul(const Scalar& other) const { return xgrad::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return xgrad::div(*this, other); }
Tensor Tensor::div(const Scalar& other) const { return xgrad::div(*this, other); }
Tensor Tensor::neg() const { return xgrad::neg(*this); }
Tensor Tensor::pow(const Scalar& exponent) const { return xgrad::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return xgrad::pow(*this, exponent); }
Tensor Tensor::matmul(const Tensor& other) const { return xgrad::matmul(*this, other); }
Tensor Tensor::outer(const Tensor& other) const { return xgrad::outer(*this, other); }
Tensor Tensor::maximum(const Tensor& other) const { return xgrad::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return xgrad::minimum(*this, other); }
Tensor Tensor::exp() const { return xgrad::exp(*this); }
Tensor Tensor::log() const { return xgrad::log(*this); }
Tensor Tensor::log1p() const { return xgrad::log1p(*this); }
Tensor Tensor::sqrt() const { return xgrad::sqrt(*this); }
Tensor Tensor::abs() const { return xgrad::abs(*this); }
Tensor Tensor::square() const { return xgrad::square(*this); }
Tensor Tensor::reciprocal() const { return xgrad::reciprocal(*this); }
Tensor Tensor::sin() const { return xgrad::sin(*this); }
Tensor Tensor::cos() const { return xgrad::cos(*this); }
Tensor Tensor::erf() const { return xgrad::erf(*this); }
Tensor Tensor::sign() const { return xgrad::sign(*this); }
Tensor Tensor::tanh() const { return xgrad::tanh(*this); }
Tensor Tensor::sigmoid() const { return xgrad::sigmoid(*this); }
Tensor Tensor::relu() const { return xgrad::relu(*this); }
Tensor Tensor::clamp(const Scalar& low, const Scalar& high) const {
  return xgrad::clamp(*this, low, high);
}
Tensor Tensor::clamp(const Tensor& low, const Tensor& high) const {
  return xgrad::clamp(*this, low, high);
}
Tensor Tensor::clamp_min(const Scalar& low) const { return xgrad::clamp_min(*this, low); }
Tensor Tensor::clamp_max(const Scalar& high) const { return xgrad::clamp_max(*this, high); }
Tensor Tensor::softmax(int64_t dim) const { return xgrad::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return xgrad::log_softmax(*this, dim); }
Tensor Tensor::eq(const Tensor& other) const { return xgrad::eq(*this, other); }
Tensor Tensor::eq(const Scalar& other) const { return xgrad::eq(*this, other); }
Tensor Tensor::ne(const Tensor& other) const { return xgrad::ne(*this, other); }
Tensor Tensor::ne(const Scalar& other) const { return xgrad::ne(*this, other); }
Tensor Tensor::lt(const Tensor& other) const { return xgrad::lt(*this, other); }
Tensor Tensor::lt(const Scalar& other) const { return xgrad::lt(*this, other); }
Tensor Tensor::le(const Tensor& other) const { return xgrad::le(*this, other); }
Tensor Tensor::le(const Scalar& other) const { return xgrad::le(*this, other); }
Tensor Tensor::gt(const Tensor& other) const { return xgrad::gt(*this, other); }
Tensor Tensor::gt(const Scalar& other) const { return xgrad::gt(*this, other); }
Tensor Tensor::ge(const Tensor& other) const { return xgrad::ge(*this, other); }
Tensor Tensor::ge(const Scalar& other) const { return xgrad::ge(*this, other); }
Tensor Tensor::logical_and(const Tensor& other) const { return xgrad::logical_and(*this, other); }
Tensor Tensor::logical_or(const Tensor& other) const { return xgrad::logical_or(*this, other); }
Tensor Tensor::logical_xor(const Tensor& other) const { return xgrad::logical_xor(*this, other); }
Tensor Tensor::logical_not() const { return xgrad::logical_not(*this); }
Tensor Tensor::isnan() const { return xgrad::isnan(*this); }
Tensor Tensor::isfinite() const { return xgrad::isfinite(*this); }
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const {
  return xgrad::where(condition, *this, other);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  return xgrad::masked_fill(*this, mask, value);
}
Tensor Tensor::masked_select(const Tensor& mask) const { return xgrad::masked_select(*this, mask); }
Tensor Tensor::sum(const std::vector<int64_t>& dims, bool keepdim) const {
  return xgrad::sum(*this, dims, keepdim);
}
Tensor Tensor::mean(const std::vector<int64_t>& dims, bool keepdim) const {
  return xgrad::mean(*this, dims, keepdim);
}
Tensor Tensor::prod() const { return xgrad::prod(*this); }
Tensor Tensor::prod(int64_t dim, bool keepdim) const { return xgrad::prod(*this, dim, keepdim); }
Tensor Tensor::max() const { return xgrad::max(*this); }
Tensor Tensor::max(int64_t dim, bool keepdim) const { return xgrad::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return xgrad::min(*this); }
Tensor Tensor::min(int64_t dim, bool keepdim) const { return xgrad::min(*this, dim, keepdim); }
Tensor Tensor::amax(const std::vector<int64_t>& dims, bool keepdim) const {
  return xgrad::amax(*this, dims, keepdim);
}
Tensor Tensor::amin(const std::vector<int64_t>& dims, bool keepdim) const {
  return xgrad::amin(*this, dims, keepdim);
}
Tensor Tensor::argmax(int64_t dim, bool keepdim) const {
  return xgrad::argmax(*this, dim, keepdim);
}
Tensor Tensor::argmin(int64_t dim, bool keepdim) const {
  return xgrad::argmin(*this, dim, keepdim);
}
Tensor Tensor::var(const std::vector<int64_t>& dims, bool unbiased, bool keepdim) const {
  return xgrad::var(*this, dims, unbiased, keepdim);
}
Tensor Tensor::stddev(const std::vector<int64_t>& dims, bool unbiased, bool keepdim) const {
  return xgrad::stddev(*this, dims, unbiased, keepdim);
}
Tensor Tensor::logsumexp(int64_t dim, bool keepdim) const {
  return xgrad::logsumexp(*this, dim, keepdim);
}
Tensor Tensor::norm(double p) const { return xgrad::norm(*this, p); }
Tensor Tensor::norm(double p, const std::vector<int64_t>& dims, bool keepdim) const {
  return xgrad::norm(*this, p, dims, keepdim);
}
Tensor Tensor::cumsum(int64_t dim) const { return xgrad::cumsum(*this, dim); }
Tensor Tensor::cumprod(int64_t dim) const { return xgrad::cumprod(*this, dim); }
Tensor Tensor::any() const { return xgrad::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return xgrad::any(*this, dim, keepdim); }
Tensor Tensor::all() const { return xgrad::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return xgrad::all(*this, dim, keepdim); }
SortResult Tensor::sort(int64_t dim, bool descending) const {
  return xgrad::sort(*this, dim, descending);
}
Tensor Tensor::argsort(int64_t dim, bool descending) const {
  return xgrad::argsort(*this, dim, descending);
}
SortResult Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return xgrad::topk(*this, k, dim, largest, sorted);
}
Tensor Tensor::nonzero() const { return xgrad::nonzero(*this); }
Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  return xgrad::permute(*this, dims);
}
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  return xgrad::transpose(*this, dim0, dim1);
}
Tensor Tensor::unsqueeze(int64_t dim) const { return xgrad::unsqueeze(*this, dim); }
Tensor Tensor::squeeze() const { return xgrad::squeeze(*this); }
Tensor Tensor::squeeze(int64_t dim) const { return xgrad::squeeze(*this, dim); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  return xgrad::flatten(*this, start_dim, end_dim);
}
Tensor Tensor::expand(const Shape& shape) const { return xgrad::expand(*this, shape); }
Tensor Tensor::broadcast_to(const Shape& shape) const { return xgrad::broadcast_to(*this, shape); }
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  return xgrad::narrow(*this, dim, start, length);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return xgrad::select(*this, dim, index); }
Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return xgrad::slice(*this, dim, start, end, step);
}
Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  return xgrad::diagonal(*this, offset, dim1, dim2);
}
Tensor Tensor::unfold(int64_t dim, int64_t size, int64_t step) const {
  return xgrad::unfold(*this, dim, size, step);
}
Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  return xgrad::as_strided(*this, shape, strides, offset);
}
Tensor Tensor::flip(const std::vector<int64_t>& dims) const { return xgrad::flip(*this, dims); }
Tensor Tensor::roll(const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) const {
  return xgrad::roll(*this, shifts, dims);
}
Tensor Tensor::repeat(const std::vector<int64_t>& repeats) const {
  return xgrad::repeat(*this, repeats);
}
Tensor Tensor::tile(const std::vector<int64_t>& reps) const { return xgrad::tile(*this, reps); }
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const {
  return xgrad::chunk(*this, chunks, dim);
}
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const {
  return xgrad::split(*this, split_size, dim);
}
Tensor Tensor::tril(int64_t diagonal) const { return xgrad::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return xgrad::triu(*this, diagonal); }
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  return xgrad::index_select(*this, dim, index);
}
Tensor Tensor::gather(int64_t dim, const Tensor& index) const {
  return xgrad::gather(*this, dim, index);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return xgrad::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value) const {
  return xgrad::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return xgrad::scatter_add(*this, dim, index, src);
}
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return xgrad::index_add(*this, dim, index, src);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, const Scalar& value) const {
  return xgrad::index_fill(*this, dim, index, value);
}
Tensor Tensor::to_float() const { return cast(*this, Dtype::float32); }
Tensor Tensor::to_double() const { return cast(*this, Dtype::float64); }
Tensor Tensor::to_long() const { return cast(*this, Dtype::int64); }
Tensor Tensor::to_int() const { return cast(*this, Dtype::int32); }
Tensor Tensor::to_bool() const { return cast(*this, Dtype::bool_); }

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  // Views of this tensor and its gradient: no vector is built per call.
  detail::run_backward(std::span<const Tensor>(this, 1),
                       std::span<const Tensor>(&gradient, gradient.defined() ? 1 : 0), retain_graph,
                       create_graph, nullptr);
}

// ---- in place: input 0 of each node is this tensor before the write ----

namespace {
TensorList none_for_self(Tensor other_grad) { return TensorList{Tensor(), std::move(other_grad)}; }
}  // namespace

Tensor& Tensor::fill_(const Scalar& value) {
  const detail::OpScope profile_scope("fill_", *this);
  // The old values no longer matter: no gradient flows to them.
  return record_inplace(
      "fill_", *this, {}, {}, [&](Tensor& target) { detail::write_fill(target, value); },
      [](const BackwardArgs&) { return TensorList{Tensor()}; });
}

Tensor& Tensor::zero_() { return fill_(0); }

Tensor& Tensor::copy_(const Tensor& src) {
  const detail::OpScope profile_scope("copy_", *this, src);
  // d/dsrc = the gradient (summed over broadcast dims, cast to src's dtype, by the engine).
  return record_inplace(
      "copy_", *this, {&src}, {}, [&](Tensor& target) { detail::write_copy(target, src); },
      [](const BackwardArgs& g) { return none_for_self(g.grad); });
}

Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) {
  const detail::OpScope profile_scope("add_", *this, other);
  return record_inplace(
      "add_", *this, {&other}, {}, [&](Tensor& target) { detail::write_add(target, other, alpha); },
      [alpha](const BackwardArgs& g) {
        return TensorList{g.grad, g.needs(1) ? xgrad::mul(g.grad, alpha) : Tensor()};
      });
}

Tensor& Tensor::add_(const Scalar& value) {
  const detail::OpScope profile_scope("add_", *this);
  return record_inplace(
      "add_", *this, {}, {}, [&](Tensor& target) { detail::write_add(target, value); },
      [](const BackwardArgs& g) { return TensorList{g.grad}; });
}

Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) {
  const detail::OpScope profile_scope("sub_", *this, other);
  return record_inplace(
      "sub_", *this, {&other}, {}, [&](Tensor& target) { detail::write_sub(target, other, alpha); },
      [alpha](const BackwardArgs& g) {
        return TensorList{g.grad, g.needs(1) ? xgrad::neg(xgrad::mul(g.grad, alpha)) : Tensor()};
      });
}

Tensor& Tensor::sub_(const Scalar& value) {
  const detail::OpScope profile_scope("sub_", *this);
  return record_inplace(
      "sub_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::sub(target, value), "sub_"); },
      [](const BackwardArgs& g) { return TensorList{g.grad}; });
}

Tensor& Tensor::mul_(const Tensor& other) {
  const detail::OpScope profile_scope("mul_", *this, other);
  // d/dself = other; d/dother = self before the write, so it is saved (a copy of the split-off
  // history, keeping its graph for double backward) when needed.
  const bool save_self = other.requires_grad();
  auto save = [save_self](const Tensor& old) {
    return save_self ? Saved{{xgrad::clone(old)}} : Saved{};
  };
  return record_inplace(
      "mul_", *this, {&other}, save, [&](Tensor& target) { detail::write_mul(target, other); },
      [](const BackwardArgs& g) {
        return TensorList{g.needs(0) ? xgrad::mul(g.grad, g.input(1)) : Tensor(),
                          g.needs(1) ? xgrad::mul(g.grad, g.saved(0)) : Tensor()};
      });
}

Tensor& Tensor::mul_(const Scalar& factor) {
  const detail::OpScope profile_scope("mul_", *this);
  return record_inplace(
      "mul_", *this, {}, {}, [&](Tensor& target) { detail::write_mul(target, factor); },
      [factor](const BackwardArgs& g) { return TensorList{xgrad::mul(g.grad, factor)}; });
}

Tensor& Tensor::div_(const Tensor& other) {
  const detail::OpScope profile_scope("div_", *this, other);
  // d/dself = 1/other; d/dother = -out/other.
  return record_inplace(
      "div_", *this, {&other}, {}, [&](Tensor& target) { detail::write_div(target, other); },
      [](const BackwardArgs& g) {
        Tensor ga = xgrad::div(g.grad, g.input(1));
        return TensorList{g.needs(0) ? ga : Tensor(),
                          g.needs(1)
                              ? xgrad::neg(xgrad::div(xgrad::mul(g.grad, g.output()), g.input(1)))
                              : Tensor()};
      });
}

Tensor& Tensor::div_(const Scalar& divisor) {
  const detail::OpScope profile_scope("div_", *this);
  return record_inplace(
      "div_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::div(target, divisor), "div_"); },
      [divisor](const BackwardArgs& g) { return TensorList{xgrad::div(g.grad, divisor)}; });
}

Tensor& Tensor::clamp_(const Scalar& low, const Scalar& high) {
  const detail::OpScope profile_scope("clamp_", *this);
  if (low.to_double() > high.to_double())
    throw Error("clamp_: min " + std::to_string(low.to_double()) + " is greater than max " +
                std::to_string(high.to_double()));
  // The gradient passes where low <= x <= high, which the write destroys: the mask is saved.
  Saved saved;
  if (is_grad_enabled() && requires_grad())
    saved.tensors.push_back(kernels::in_range_mask(*this, low, high));
  return record_inplace(
      "clamp_", *this, {}, std::move(saved),
      [&](Tensor& target) {
        detail::write_result(target, kernels::clamp(target, low, high), "clamp_");
      },
      [](const BackwardArgs& g) { return TensorList{xgrad::mul(g.grad, g.saved(0))}; });
}

Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
  const detail::OpScope profile_scope("masked_fill_", *this, mask);
  if (!mask.defined() || mask.dtype() != Dtype::bool_)
    throw Error(std::string("masked_fill_: mask must be a bool tensor, got ") +
                (mask.defined() ? dtype_name(mask.dtype()) : "undefined"));
  const Shape b = kernels::broadcast_shapes("masked_fill_", shape(), mask.shape());
  if (b != shape())
    throw Error("masked_fill_: mask of shape " + format_shape(mask.shape()) +
                " does not broadcast to " + format_shape(shape()));
  const Tensor m = mask.detach();
  return record_inplace(
      "masked_fill_", *this, {}, {},
      [&](Tensor& target) {
        detail::write_result(target, kernels::where(m, full({}, value, dtype()), target),
                             "masked_fill_");
      },
      [m](const BackwardArgs& g) {
        return TensorList{xgrad::mul(g.grad, kernels::logical_not(m))};
      });
}

Tensor& Tensor::relu_() {
  const detail::OpScope profile_scope("relu_", *this);
  // d relu = 1 where the result is > 0.
  return record_inplace(
      "relu_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::relu(target), "relu_"); },
      [](const BackwardArgs& g) {
        return TensorList{xgrad::mul(g.grad, kernels::gt(g.output(), 0))};
      });
}

Tensor& Tensor::sigmoid_() {
  const detail::OpScope profile_scope("sigmoid_", *this);
  // d sigmoid = s (1 - s) with s the result.
  return record_inplace(
      "sigmoid_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::sigmoid(target), "sigmoid_"); },
      [](const BackwardArgs& g) {
        return TensorList{xgrad::mul(g.grad, xgrad::mul(g.output(), xgrad::sub(1.0, g.output())))};
      });
}

}  // namespace xgrad
