// Internal: the two differentiable ops behind every view's gradient (autograd/ops_shape.cpp),
// for the in-place rebasing of views in autograd/node.cpp.
#pragma once

#include "../tensor/kernels.hpp"
#include "../tensor/tensor.hpp"

namespace xgrad::detail {

// The view with `layout` (relative to x's first element) of the contiguous tensor x.
Tensor strided_view(const Tensor& x, const kernels::Layout& layout);
// zeros(shape) with src added into its view `layout`: strided_view's backward.
Tensor strided_scatter(const Tensor& src, const Shape& shape, const kernels::Layout& layout);

}  // namespace xgrad::detail
