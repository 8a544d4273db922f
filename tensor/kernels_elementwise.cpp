// Elementwise kernels: binary ops with numpy broadcasting, unary math (xsimd-vectorised through
// xtensor), clamp, softplus, where and casts.
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include <cmath>

#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"
#include "tensor/xt_adapt.hpp"

namespace xgrad::kernels {

using detail::flat;
using detail::nd;

int64_t normalize_dim(const char* op, int64_t dim, int64_t rank) {
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= std::max<int64_t>(rank, 1) || (rank == 0 && d != 0))
    throw Error(std::string(op) + ": dim " + std::to_string(dim) +
                " out of range for a tensor with " + std::to_string(rank) + " dimensions");
  return d;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error(std::string(op) + ": cannot broadcast " + format_shape(a) + " with " +
                  format_shape(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

template <class T>
struct BinaryFn {
  Binary kind;
  T operator()(T x, T y) const {
    switch (kind) {
      case Binary::add:
        return x + y;
      case Binary::sub:
        return x - y;
      case Binary::mul:
        return x * y;
      case Binary::div:
        return x / y;
      case Binary::pow:
        return std::pow(x, y);
      case Binary::maximum:
        return x > y || std::isnan(x) ? x : y;
      case Binary::minimum:
        return x < y || std::isnan(x) ? x : y;
      case Binary::eq:
        return x == y;
      case Binary::ne:
        return x != y;
      case Binary::lt:
        return x < y;
      case Binary::le:
        return x <= y;
      case Binary::gt:
        return x > y;
      case Binary::ge:
        return x >= y;
    }
    return T(0);
  }
};

// The hot loops are written per operation so the compiler vectorises each one.
template <class T, class F>
void loop_same(const T* a, const T* b, T* o, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
}
template <class T, class F>
void loop_scalar_right(const T* a, T s, T* o, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], s);
}
template <class T, class F>
void loop_scalar_left(T s, const T* b, T* o, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(s, b[i]);
}

// Calls body(f) with a concrete lambda for `kind`, so each loop instantiation is specialised.
template <class T, class Body>
void with_binary_fn(Binary kind, Body&& body) {
  switch (kind) {
    case Binary::add:
      return body([](T x, T y) { return x + y; });
    case Binary::sub:
      return body([](T x, T y) { return x - y; });
    case Binary::mul:
      return body([](T x, T y) { return x * y; });
    case Binary::div:
      return body([](T x, T y) { return x / y; });
    case Binary::maximum:
      return body([](T x, T y) { return x > y ? x : y; });
    case Binary::minimum:
      return body([](T x, T y) { return x < y ? x : y; });
    default:
      return body(BinaryFn<T>{kind});
  }
}

}  // namespace

namespace {

// The elementwise loop over strided operands: each innermost row picks the contiguous or
// scalar-broadcast loop when its strides allow (the compiler vectorises those), else steps.
template <class T, class F>
void strided_binary(const Shape& shape, T* po, const Shape& so, const T* pa, const Shape& sa,
                    const T* pb, const Shape& sb, F f) {
  detail::for_each_row<3>(shape, {so, sa, sb}, [&](const auto& off, int64_t len, const auto& st) {
    T* o = po + off[0];
    const T* x = pa + off[1];
    const T* y = pb + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1)
      loop_same(x, y, o, len, f);
    else if (st[0] == 1 && st[1] == 1 && st[2] == 0)
      loop_scalar_right(x, y[0], o, len, f);
    else if (st[0] == 1 && st[1] == 0 && st[2] == 1)
      loop_scalar_left(x[0], y, o, len, f);
    else
      for (int64_t i = 0; i < len; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
  });
}

}  // namespace

void binary_into(const char* op, Binary kind, Tensor& out, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || out.dtype() != a.dtype())
    throw Error(std::string(op) + ": dtype mismatch " + dtype_name(a.dtype()) + " and " +
                dtype_name(b.dtype()));
  const Shape& shape = out.shape();
  dispatch(a.dtype(), [&]<class T>() {
    with_binary_fn<T>(kind, [&](auto f) {
      strided_binary(shape, out.data<T>(), out.strides(), a.data<T>(),
                     detail::broadcast_strides(a, shape), b.data<T>(),
                     detail::broadcast_strides(b, shape), f);
    });
  });
}

Tensor binary(const char* op, Binary kind, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw Error(std::string(op) + ": dtype mismatch " + dtype_name(a.dtype()) + " and " +
                dtype_name(b.dtype()));
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(op, a.shape(), b.shape());
  Tensor out = empty(shape, a.dtype());
  const int64_t n = out.numel();
  const bool dense_a = a.is_contiguous() && a.numel() == n;
  const bool dense_b = b.is_contiguous() && b.numel() == n;
  if ((dense_a && dense_b) || (dense_a && b.numel() == 1) || (dense_b && a.numel() == 1)) {
    dispatch(a.dtype(), [&]<class T>() {
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* po = out.data<T>();
      with_binary_fn<T>(kind, [&](auto f) {
        if (dense_a && dense_b)
          loop_same(pa, pb, po, n, f);
        else if (dense_a)
          loop_scalar_right(pa, pb[0], po, n, f);
        else
          loop_scalar_left(pa[0], pb, po, n, f);
      });
    });
    return out;
  }
  binary_into(op, kind, out, a, b);
  return out;
}

void assign(Tensor& dst, const Tensor& src) {
  Shape b = broadcast_shapes("copy_", src.shape(), dst.shape());
  if (b != dst.shape())
    throw Error("copy_: cannot copy shape " + format_shape(src.shape()) + " into " +
                format_shape(dst.shape()));
  const Shape& shape = dst.shape();
  dispatch(src.dtype(), [&]<class S>() {
    dispatch(dst.dtype(), [&]<class D>() {
      const S* ps = src.data<S>();
      D* pd = dst.data<D>();
      detail::for_each_row<2>(shape, {dst.strides(), detail::broadcast_strides(src, shape)},
                              [&](const auto& off, int64_t len, const auto& st) {
                                D* o = pd + off[0];
                                const S* x = ps + off[1];
                                if (st[0] == 1 && st[1] == 1)
                                  for (int64_t i = 0; i < len; ++i) o[i] = static_cast<D>(x[i]);
                                else
                                  for (int64_t i = 0; i < len; ++i)
                                    o[i * st[0]] = static_cast<D>(x[i * st[1]]);
                              });
    });
  });
}

Tensor expand(const Tensor& a, const Shape& shape) {
  return view_as(a, expand(layout_of(a), shape));
}

Tensor binary_scalar(Binary kind, const Tensor& a_in, double scalar, bool scalar_first) {
  detail::Dense dense(a_in);
  const Tensor& a = *dense;
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T s = static_cast<T>(scalar);
    with_binary_fn<T>(kind, [&](auto f) {
      if (scalar_first)
        loop_scalar_left(s, a.data<T>(), out.data<T>(), a.numel(), f);
      else
        loop_scalar_right(a.data<T>(), s, out.data<T>(), a.numel(), f);
    });
  });
  return out;
}

namespace {
// Plain loops for the cheap functions: the compiler vectorises them.
template <class T, class F>
void map(const Tensor& a, Tensor& out, F f) {
  const T* x = a.data<T>();
  T* o = out.data<T>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
}
}  // namespace

Tensor unary(Unary kind, const Tensor& a_in) {
  detail::Dense dense(a_in);
  const Tensor& a = *dense;
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    auto x = flat<T>(a);
    auto o = flat<T>(out);
    switch (kind) {
      case Unary::neg:
        map<T>(a, out, [](T v) { return -v; });
        break;
      case Unary::exp:
        xt::noalias(o) = xt::exp(x);
        break;
      case Unary::log:
        xt::noalias(o) = xt::log(x);
        break;
      case Unary::log1p:
        xt::noalias(o) = xt::log1p(x);
        break;
      case Unary::sqrt:
        xt::noalias(o) = xt::sqrt(x);
        break;
      case Unary::abs:
        xt::noalias(o) = xt::abs(x);
        break;
      case Unary::sin:
        xt::noalias(o) = xt::sin(x);
        break;
      case Unary::cos:
        xt::noalias(o) = xt::cos(x);
        break;
      case Unary::tanh:
        xt::noalias(o) = xt::tanh(x);
        break;
      case Unary::sigmoid:
        xt::noalias(o) = T(1) / (T(1) + xt::exp(-x));
        break;
      case Unary::relu:
        map<T>(a, out, [](T v) { return v > T(0) ? v : T(0); });
        break;
      case Unary::sign:
        map<T>(a, out, [](T v) { return T((v > T(0)) - (v < T(0))); });
        break;
      case Unary::step:
        map<T>(a, out, [](T v) { return v > T(0) ? T(1) : T(0); });
        break;
      case Unary::erf:
        xt::noalias(o) = xt::erf(x);
        break;
      case Unary::reciprocal:
        map<T>(a, out, [](T v) { return T(1) / v; });
        break;
      case Unary::square:
        map<T>(a, out, [](T v) { return v * v; });
        break;
    }
  });
  return out;
}

Tensor clamp(const Tensor& a_in, double low, double high) {
  detail::Dense dense(a_in);
  const Tensor& a = *dense;
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    auto o = flat<T>(out);
    xt::noalias(o) = xt::clip(flat<T>(a), static_cast<T>(low), static_cast<T>(high));
  });
  return out;
}

Tensor in_range_mask(const Tensor& a_in, double low, double high) {
  detail::Dense dense(a_in);
  const Tensor& a = *dense;
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    const int64_t n = a.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = (x[i] >= low && x[i] <= high) ? T(1) : T(0);
  });
  return out;
}

Tensor softplus(const Tensor& a_in, double beta) {
  detail::Dense dense(a_in);
  const Tensor& a = *dense;
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    // Note: max(bx, 0) + log1p(exp(-|bx|)) never overflows, unlike log(1 + exp(bx)).
    const T b = static_cast<T>(beta);
    auto bx = b * flat<T>(a);
    auto o = flat<T>(out);
    xt::noalias(o) = (xt::maximum(bx, T(0)) + xt::log1p(xt::exp(-xt::abs(bx)))) / b;
  });
  return out;
}

Tensor where(const Tensor& mask_in, const Tensor& a_in, const Tensor& b_in) {
  detail::Dense mask_dense(mask_in), a_dense(a_in), b_dense(b_in);
  const Tensor &mask = *mask_dense, &a = *a_dense, &b = *b_dense;
  if (a.dtype() != b.dtype() || mask.dtype() != a.dtype())
    throw Error(std::string("where: dtype mismatch ") + dtype_name(mask.dtype()) + ", " +
                dtype_name(a.dtype()) + ", " + dtype_name(b.dtype()));
  Shape shape =
      broadcast_shapes("where", broadcast_shapes("where", mask.shape(), a.shape()), b.shape());
  Tensor out = empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    auto o = nd<T>(out);
    xt::noalias(o) = xt::where(xt::not_equal(nd<T>(mask), T(0)), nd<T>(a), nd<T>(b));
  });
  return out;
}

Tensor cast(const Tensor& a, Dtype dtype) {
  Tensor out = empty(a.shape(), dtype);
  assign(out, a);
  return out;
}

}  // namespace xgrad::kernels
