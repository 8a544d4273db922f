// Internal: runs an optimizer's update as one fused pass over a parameter, its gradient and its
// state buffers, with T = float or double.
#pragma once

#include <array>

#include "tensor/dispatch.hpp"
#include "tensor/tensor.hpp"

namespace xgrad::optim::detail {

template <class T>
struct Buffers {
  std::array<T*, 4> b{};
  T* operator[](std::size_t i) const { return b[i]; }
};

// body.template operator()<T>(n, param, grad, buffers)
template <class Body>
void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, Body&& body) {
  if (grad.shape() != param.shape() || grad.dtype() != param.dtype())
    throw Error("optimizer: gradient of shape " + format_shape(grad.shape()) +
                " does not match parameter " + format_shape(param.shape()));
  if (!param.is_contiguous() || !grad.is_contiguous())
    throw Error("optimizer: parameter of shape " + format_shape(param.shape()) +
                " or its gradient is a strided view; parameters must be contiguous tensors");
  param.storage()->bump_version();  // an in-place write: graphs that saved it now refuse
  auto run = [&]<class T>() {
    Buffers<T> bufs;
    for (std::size_t i = 0; i < state.size() && i < 4; ++i) bufs.b[i] = state[i].template data<T>();
    body.template operator()<T>(param.numel(), param.template data<T>(), grad.template data<T>(),
                                bufs);
  };
  dispatch_floating(param.dtype(), run, "optimizer");
}

}  // namespace xgrad::optim::detail
