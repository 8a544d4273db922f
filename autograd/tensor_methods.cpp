// The Tensor members that run differentiable ops: sum, mean, reshape, view, t, clone,
// contiguous, to and backward call the free functions (the one definition of each op); the
// in-place members (add_, mul_, relu_, ...) are recorded here with their backward rules.
#include <span>

#include "autograd/engine.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "tensor/impl_access.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

Tensor Tensor::sum() const { return xgrad::sum(*this); }
Tensor Tensor::mean() const { return xgrad::mean(*this); }
Tensor Tensor::reshape(const Shape& shape) const { return xgrad::reshape(*this, shape); }
Tensor Tensor::view(const Shape& shape) const { return xgrad::view(*this, shape); }
Tensor Tensor::t() const {
  if (dim() != 2) throw Error("t: expected a 2-D tensor, got shape " + format_shape(shape()));
  return transpose(*this, 0, 1);
}
Tensor Tensor::clone() const { return xgrad::clone(*this); }
Tensor Tensor::contiguous() const { return is_contiguous() ? *this : xgrad::clone(*this); }
Tensor Tensor::to(Dtype dtype) const { return cast(*this, dtype); }

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
  // The old values no longer matter: no gradient flows to them.
  return record_inplace(
      "fill_", *this, {}, {}, [&](Tensor& target) { detail::write_fill(target, value); },
      [](const BackwardArgs&) { return TensorList{Tensor()}; });
}

Tensor& Tensor::zero_() { return fill_(0); }

Tensor& Tensor::copy_(const Tensor& src) {
  // d/dsrc = the gradient (summed over broadcast dims, cast to src's dtype, by the engine).
  return record_inplace(
      "copy_", *this, {&src}, {}, [&](Tensor& target) { detail::write_copy(target, src); },
      [](const BackwardArgs& g) { return none_for_self(g.grad); });
}

Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) {
  return record_inplace(
      "add_", *this, {&other}, {}, [&](Tensor& target) { detail::write_add(target, other, alpha); },
      [alpha](const BackwardArgs& g) {
        return TensorList{g.grad, g.needs(1) ? mul(g.grad, alpha) : Tensor()};
      });
}

Tensor& Tensor::add_(const Scalar& value) {
  return record_inplace(
      "add_", *this, {}, {}, [&](Tensor& target) { detail::write_add(target, value); },
      [](const BackwardArgs& g) { return TensorList{g.grad}; });
}

Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) {
  return record_inplace(
      "sub_", *this, {&other}, {}, [&](Tensor& target) { detail::write_sub(target, other, alpha); },
      [alpha](const BackwardArgs& g) {
        return TensorList{g.grad, g.needs(1) ? neg(mul(g.grad, alpha)) : Tensor()};
      });
}

Tensor& Tensor::sub_(const Scalar& value) {
  return record_inplace(
      "sub_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::sub(target, value), "sub_"); },
      [](const BackwardArgs& g) { return TensorList{g.grad}; });
}

Tensor& Tensor::mul_(const Tensor& other) {
  // d/dself = other; d/dother = self before the write, so it is saved (a copy of the split-off
  // history, keeping its graph for double backward) when needed.
  const bool save_self = other.requires_grad();
  auto save = [save_self](const Tensor& old) {
    return save_self ? Saved{{xgrad::clone(old)}} : Saved{};
  };
  return record_inplace(
      "mul_", *this, {&other}, save, [&](Tensor& target) { detail::write_mul(target, other); },
      [](const BackwardArgs& g) {
        return TensorList{g.needs(0) ? mul(g.grad, g.input(1)) : Tensor(),
                          g.needs(1) ? mul(g.grad, g.saved(0)) : Tensor()};
      });
}

Tensor& Tensor::mul_(const Scalar& factor) {
  return record_inplace(
      "mul_", *this, {}, {}, [&](Tensor& target) { detail::write_mul(target, factor); },
      [factor](const BackwardArgs& g) { return TensorList{mul(g.grad, factor)}; });
}

Tensor& Tensor::div_(const Tensor& other) {
  // d/dself = 1/other; d/dother = -out/other.
  return record_inplace(
      "div_", *this, {&other}, {}, [&](Tensor& target) { detail::write_div(target, other); },
      [](const BackwardArgs& g) {
        Tensor ga = div(g.grad, g.input(1));
        return TensorList{g.needs(0) ? ga : Tensor(),
                          g.needs(1) ? neg(div(mul(g.grad, g.output()), g.input(1))) : Tensor()};
      });
}

Tensor& Tensor::div_(const Scalar& divisor) {
  return record_inplace(
      "div_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::div(target, divisor), "div_"); },
      [divisor](const BackwardArgs& g) { return TensorList{div(g.grad, divisor)}; });
}

Tensor& Tensor::clamp_(const Scalar& low, const Scalar& high) {
  if (low.to_double() > high.to_double())
    throw Error("clamp_: min " + std::to_string(low.to_double()) + " is greater than max " +
                std::to_string(high.to_double()));
  // The gradient passes where low <= x <= high, which the write destroys: the mask is saved.
  Saved saved;
  if (is_grad_enabled() && requires_grad())
    saved.tensors.push_back(kernels::in_range_mask(*this, low, high));
  return record_inplace(
      "clamp_", *this, {}, std::move(saved),
      [&](Tensor& target) { detail::write_result(target, kernels::clamp(target, low, high), "clamp_"); },
      [](const BackwardArgs& g) { return TensorList{mul(g.grad, g.saved(0))}; });
}

Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
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
      [m](const BackwardArgs& g) { return TensorList{mul(g.grad, kernels::logical_not(m))}; });
}

Tensor& Tensor::relu_() {
  // d relu = 1 where the result is > 0.
  return record_inplace(
      "relu_", *this, {}, {}, [&](Tensor& target) { detail::write_result(target, kernels::relu(target), "relu_"); },
      [](const BackwardArgs& g) { return TensorList{mul(g.grad, kernels::gt(g.output(), 0))}; });
}

Tensor& Tensor::sigmoid_() {
  // d sigmoid = s (1 - s) with s the result.
  return record_inplace(
      "sigmoid_", *this, {}, {},
      [&](Tensor& target) { detail::write_result(target, kernels::sigmoid(target), "sigmoid_"); },
      [](const BackwardArgs& g) {
        return TensorList{mul(g.grad, mul(g.output(), sub(1.0, g.output())))};
      });
}

}  // namespace xgrad
