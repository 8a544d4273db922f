// The one dtype dispatcher: calls f.template operator()<T>() with the C++ type of a dtype.
#pragma once

#include <utility>

#include "tensor/tensor.hpp"

namespace xgrad {

template <class F>
decltype(auto) dispatch(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::float32:
      return std::forward<F>(f).template operator()<float>();
    case Dtype::float64:
      break;
  }
  return std::forward<F>(f).template operator()<double>();
}

}  // namespace xgrad
