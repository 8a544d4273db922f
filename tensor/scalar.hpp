// Scalar: a number given to an op next to a tensor (`x + 2`, `x * 0.5`, `fill_(true)`), which
// remembers whether it was written as a bool, an integer or a floating-point number, so that
// type promotion can follow PyTorch (an int64 tensor plus 2 stays int64; plus 2.5 is float32).
// convert<D>(v) is the one element conversion: float to integer rounds toward zero, saturates
// at the type's range and maps NaN to 0 (never undefined behaviour); anything to bool is != 0.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

namespace xgrad {

template <class D, class S>
inline D convert(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    if (!(v == v)) return D(0);
    constexpr double lo = static_cast<double>(std::numeric_limits<D>::min());
    constexpr double hi = static_cast<double>(std::numeric_limits<D>::max());
    if (v <= lo) return std::numeric_limits<D>::min();
    if (v >= hi) return std::numeric_limits<D>::max();
    return static_cast<D>(v);
  } else {
    return static_cast<D>(v);
  }
}

class Scalar {
 public:
  enum class Kind { boolean, integral, floating };
  template <class T>
  requires std::is_arithmetic_v<T> Scalar(T v)  // NOLINT: implicit on purpose
      : kind_(std::is_same_v<T, bool> ? Kind::boolean
              : std::is_integral_v<T> ? Kind::integral
                                      : Kind::floating),
        i_(std::is_integral_v<T> ? static_cast<int64_t>(v) : 0),
        d_(static_cast<double>(v)) {}

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::floating; }
  double to_double() const { return d_; }
  // The value as a T (exact for integers up to 2^63, where a double would round).
  template <class T>
  T to() const {
    return kind_ == Kind::floating ? convert<T>(d_) : convert<T>(i_);
  }

 private:
  Kind kind_;
  int64_t i_;
  double d_;
};

}  // namespace xgrad
