// Internal: views of contiguous Tensor storage as xtensor expressions. Included only by
// tensor/*.cpp (the one place xtensor is compiled) and the optional interop header.
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xstorage.hpp>

#include "dispatch.hpp"
#include "tensor.hpp"

namespace xgrad::detail {

using XShape = xt::svector<std::size_t, 4>;

inline XShape to_xshape(const Shape& shape) { return XShape(shape.begin(), shape.end()); }

using xgrad::dispatch;

// 1-D view over all elements; `t` must be contiguous (kernels take inputs through Dense).
template <class T>
auto flat(const Tensor& t) {
  std::array<std::size_t, 1> shape{static_cast<std::size_t>(t.numel())};
  return xt::adapt(const_cast<T*>(t.data<T>()), shape[0], xt::no_ownership(), shape);
}

// N-d view with the tensor's shape.
template <class T>
auto nd(const Tensor& t) {
  return xt::adapt(const_cast<T*>(t.data<T>()), static_cast<std::size_t>(t.numel()),
                   xt::no_ownership(), to_xshape(t.shape()));
}

}  // namespace xgrad::detail
