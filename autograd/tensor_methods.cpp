// The Tensor members that run differentiable ops (sum, mean, reshape, t, clone, contiguous, to,
// backward): each calls the free function, the one definition of the op.
#include <span>

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"

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
                       std::span<const Tensor>(&gradient, gradient.defined() ? 1 : 0),
                       retain_graph, create_graph, nullptr);
}

}  // namespace xgrad
