// Optional interop with xtensor: copy a Tensor to and from xt::xarray<T>. Include it only where
// you want xtensor (it pulls in the xtensor headers); the rest of xgrad does not need it.
#pragma once

#include <xtensor/xarray.hpp>

#include <algorithm>
#include <type_traits>

#include "tensor.hpp"

namespace xgrad {

template <class T>
xt::xarray<T> to_xarray(const Tensor& t) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  constexpr Dtype want = std::is_same_v<T, float> ? Dtype::float32 : Dtype::float64;
  Tensor src = t.dtype() == want ? t : t.detach().to(want);
  typename xt::xarray<T>::shape_type shape(t.shape().begin(), t.shape().end());
  xt::xarray<T> out(shape);
  std::copy(src.data<T>(), src.data<T>() + src.numel(), out.data());
  return out;
}

template <class E>
Tensor from_xarray(const xt::xexpression<E>& expr, bool requires_grad = false) {
  using T = typename E::value_type;
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "from_xarray: element type must be float or double");
  xt::xarray<T> a = expr.derived_cast();  // evaluates and makes it contiguous row-major
  Shape shape(a.shape().begin(), a.shape().end());
  Tensor t = empty(shape, std::is_same_v<T, float> ? Dtype::float32 : Dtype::float64);
  std::copy(a.data(), a.data() + a.size(), t.data<T>());
  return t.requires_grad_(requires_grad);
}

}  // namespace xgrad
