// Elementwise kernels: binary ops with numpy broadcasting, unary math (xsimd-vectorised through
// xtensor), clamp, softplus, where and casts.
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include <cmath>

#include "tensor/kernels.hpp"
#include "tensor/xt_adapt.hpp"

namespace xgrad::kernels {

using detail::dispatch;
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

// Strides of `shape` seen from a broadcast output of rank `rank` (0 along broadcast dims).
Shape broadcast_strides(const Shape& shape, const Shape& out) {
  const std::size_t rank = out.size(), lead = rank - shape.size();
  Shape strides(rank, 0);
  int64_t step = 1;
  for (std::size_t d = rank; d-- > lead;) {
    const int64_t n = shape[d - lead];
    strides[d] = n == 1 ? 0 : step;
    step *= n;
  }
  return strides;
}

// Visits the output row by row (last dim): f(out_offset, a_offset, b_offset, len, a_step, b_step).
template <class F>
void for_each_broadcast_row(const Shape& out, const Shape& sa, const Shape& sb, F f) {
  const std::size_t rank = out.size();
  if (rank == 0) return f(0, 0, 0, 1, 0, 0);
  const int64_t len = out[rank - 1];
  const int64_t rows = len ? shape_numel(out) / len : 0;
  Shape coord(rank, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t r = 0; r < rows; ++r) {
    f(r * len, oa, ob, len, sa[rank - 1], sb[rank - 1]);
    for (std::size_t d = rank - 1; d-- > 0;) {
      oa += sa[d];
      ob += sb[d];
      if (++coord[d] < out[d]) break;
      oa -= sa[d] * out[d];
      ob -= sb[d] * out[d];
      coord[d] = 0;
    }
  }
}

}  // namespace

Tensor binary(const char* op, Binary kind, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw Error(std::string(op) + ": dtype mismatch " + dtype_name(a.dtype()) + " and " +
                dtype_name(b.dtype()));
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(op, a.shape(), b.shape());
  Tensor out = empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const int64_t n = out.numel();
    with_binary_fn<T>(kind, [&](auto f) {
      if (a.numel() == n && b.numel() == n) {
        loop_same(pa, pb, po, n, f);
      } else if (b.numel() == 1 && a.numel() == n) {
        loop_scalar_right(pa, pb[0], po, n, f);
      } else if (a.numel() == 1 && b.numel() == n) {
        loop_scalar_left(pa[0], pb, po, n, f);
      } else {
        for_each_broadcast_row(
            shape, broadcast_strides(a.shape(), shape), broadcast_strides(b.shape(), shape),
            [&](int64_t o, int64_t ia, int64_t ib, int64_t len, int64_t step_a, int64_t step_b) {
              if (step_a && step_b)
                loop_same(pa + ia, pb + ib, po + o, len, f);
              else if (step_a)
                loop_scalar_right(pa + ia, pb[ib], po + o, len, f);
              else if (step_b)
                loop_scalar_left(pa[ia], pb + ib, po + o, len, f);
              else
                std::fill(po + o, po + o + len, f(pa[ia], pb[ib]));
            });
      }
    });
  });
  return out;
}

Tensor expand(const Tensor& a, const Shape& shape) {
  Shape b = broadcast_shapes("expand", a.shape(), shape);
  if (b != shape)
    throw Error("expand: cannot expand shape " + format_shape(a.shape()) + " to " +
                format_shape(shape));
  Tensor out = empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    T* po = out.data<T>();
    for_each_broadcast_row(shape, broadcast_strides(a.shape(), shape), Shape(shape.size(), 0),
                           [&](int64_t o, int64_t ia, int64_t, int64_t len, int64_t step, int64_t) {
                             if (step)
                               std::copy(pa + ia, pa + ia + len, po + o);
                             else
                               std::fill(po + o, po + o + len, pa[ia]);
                           });
  });
  return out;
}

Tensor binary_scalar(Binary kind, const Tensor& a, double scalar, bool scalar_first) {
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

Tensor unary(Unary kind, const Tensor& a) {
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

Tensor clamp(const Tensor& a, double low, double high) {
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    auto o = flat<T>(out);
    xt::noalias(o) = xt::clip(flat<T>(a), static_cast<T>(low), static_cast<T>(high));
  });
  return out;
}

Tensor in_range_mask(const Tensor& a, double low, double high) {
  Tensor out = empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    const int64_t n = a.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = (x[i] >= low && x[i] <= high) ? T(1) : T(0);
  });
  return out;
}

Tensor softplus(const Tensor& a, double beta) {
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

Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b) {
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
  dispatch(a.dtype(), [&]<class S>() {
    dispatch(dtype, [&]<class D>() {
      const S* src = a.data<S>();
      D* dst = out.data<D>();
      const int64_t n = a.numel();
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return out;
}

}  // namespace xgrad::kernels
