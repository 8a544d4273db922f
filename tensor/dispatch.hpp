// The one dtype dispatcher: calls f.template operator()<T>() with the C++ element type of a
// dtype. dispatch_floating is for kernels that only exist for floating-point data (GEMM,
// transcendental math): other dtypes get an Error naming the dtype.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "tensor.hpp"

namespace xgrad {

template <class F>
decltype(auto) dispatch(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::float32:
      return std::forward<F>(f).template operator()<float>();
    case Dtype::float64:
      return std::forward<F>(f).template operator()<double>();
    case Dtype::int64:
      return std::forward<F>(f).template operator()<int64_t>();
    case Dtype::int32:
      return std::forward<F>(f).template operator()<int32_t>();
    case Dtype::uint8:
      return std::forward<F>(f).template operator()<uint8_t>();
    case Dtype::bool_:
      break;
  }
  return std::forward<F>(f).template operator()<bool>();
}

template <class F>
decltype(auto) dispatch_floating(Dtype dtype, F&& f, const char* op = "kernel") {
  if (dtype == Dtype::float32) return std::forward<F>(f).template operator()<float>();
  if (dtype != Dtype::float64)
    throw Error(std::string(op) + ": expected a floating-point tensor, got " + dtype_name(dtype));
  return std::forward<F>(f).template operator()<double>();
}

}  // namespace xgrad
