// Internal: runs an optimizer's update as one fused pass over a parameter, its gradient and its
// state buffers, with T = float or double.
#pragma once

#include <array>
#include <initializer_list>

#include "../tensor/dispatch.hpp"
#include "../tensor/tensor.hpp"

namespace xgrad::optim::detail {

// The data of a state's tensors, in the order the update names them; null for an undefined one
// (a buffer the options do not use).
template <class T>
struct Buffers {
  std::array<T*, 4> b{};
  T* operator[](std::size_t i) const { return b[i]; }
};

// body.template operator()<T>(n, param, grad, buffers), with buffers[k] the data of state[k].
template <class Body>
void update(Tensor& param, const Tensor& grad, std::initializer_list<Tensor*> state, Body&& body) {
  if (grad.shape() != param.shape() || grad.dtype() != param.dtype())
    throw Error("optimizer: gradient of shape " + format_shape(grad.shape()) +
                " does not match parameter " + format_shape(param.shape()));
  if (!param.is_contiguous() || !grad.is_contiguous())
    throw Error("optimizer: parameter of shape " + format_shape(param.shape()) +
                " or its gradient is a strided view; parameters must be contiguous tensors");
  param.storage()->bump_version();  // an in-place write: graphs that saved it now refuse
  auto run = [&]<class T>() {
    Buffers<T> bufs;
    std::size_t i = 0;
    for (Tensor* t : state) {
      if (i == bufs.b.size()) throw Error("optimizer: more than 4 state buffers in one update");
      bufs.b[i++] = t->defined() ? t->template data<T>() : nullptr;
    }
    body.template operator()<T>(param.numel(), param.template data<T>(), grad.template data<T>(),
                                bufs);
  };
  dispatch_floating(param.dtype(), run, "optimizer");
}

}  // namespace xgrad::optim::detail
