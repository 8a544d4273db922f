// Elementwise kernels: type promotion, binary ops with numpy broadcasting over strided operands,
// comparisons and logic (bool results), in-place updates, unary math (xsimd-vectorised through
// xtensor), clamp, softplus, where and casts. Each public kernel is one line naming its functor.
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include <cmath>
#include <type_traits>

#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"
#include "tensor/xt_adapt.hpp"

namespace xgrad::kernels {

using detail::flat;

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

// ---- type promotion ----

namespace {
int category(Dtype d) { return d == Dtype::bool_ ? 0 : is_floating_point(d) ? 2 : 1; }
int category(const Scalar& s) {
  return s.kind() == Scalar::Kind::boolean ? 0 : s.kind() == Scalar::Kind::integral ? 1 : 2;
}
}  // namespace

Dtype result_type(const Tensor& a, const Tensor& b) {
  const Dtype da = a.dtype(), db = b.dtype();
  if (da == db) return da;
  const bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za != zb) {
    const Dtype dimmed = za ? db : da, zero = za ? da : db;
    return category(zero) > category(dimmed) ? zero : dimmed;
  }
  return promote_types(da, db);
}

Dtype result_type(const Tensor& a, const Scalar& s) {
  if (category(s) <= category(a.dtype())) return a.dtype();
  return category(s) == 2 ? Dtype::float32 : Dtype::int64;
}

namespace {

Tensor as_dtype(const Tensor& t, Dtype dtype) { return t.dtype() == dtype ? t : cast(t, dtype); }

// `t` itself when it has the dtype, else a converted copy; no handle copy on the hot path.
class OfDtype {
 public:
  OfDtype(const Tensor& t, Dtype dtype) : ref_(t.dtype() == dtype ? t : (copy_ = cast(t, dtype))) {}
  const Tensor& operator*() const { return ref_; }

 private:
  Tensor copy_;
  const Tensor& ref_;
};
Dtype floating_or_float32(Dtype d) { return is_floating_point(d) ? d : Dtype::float32; }

// ---- the functors: one per operation ----

struct AddOp {
  template <class T>
  T operator()(T x, T y) const {
    return static_cast<T>(x + y);
  }
};
struct SubOp {
  template <class T>
  T operator()(T x, T y) const {
    return static_cast<T>(x - y);
  }
};
struct MulOp {
  template <class T>
  T operator()(T x, T y) const {
    return static_cast<T>(x * y);
  }
};
struct DivOp {
  template <class T>
  T operator()(T x, T y) const {
    return x / y;  // floating only: integer division promotes first
  }
};
template <class T>
T integer_pow(T base, T exponent) {
  if (exponent < T(0)) throw Error("pow: integers to negative integer powers are not allowed");
  using U = std::make_unsigned_t<std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>>;
  U result = 1, b = static_cast<U>(base);  // unsigned: overflow wraps instead of being UB
  for (auto e = static_cast<uint64_t>(exponent); e; e >>= 1, b = static_cast<U>(b * b))
    if (e & 1) result = static_cast<U>(result * b);
  return static_cast<T>(result);
}
struct PowOp {
  template <class T>
  T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>)
      return std::pow(x, y);
    else
      return integer_pow(x, y);
  }
};
struct MaxOp {
  template <class T>
  T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>)
      return x > y || x != x ? x : y;
    else
      return x > y ? x : y;
  }
};
struct MinOp {
  template <class T>
  T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>)
      return x < y || x != x ? x : y;
    else
      return x < y ? x : y;
  }
};

// Comparisons and logic produce bool.
struct Predicate {};
#define XGRAD_PREDICATE(Name, expr)   \
  struct Name : Predicate {           \
    template <class T>                \
    bool operator()(T x, T y) const { \
      return expr;                    \
    }                                 \
  };
XGRAD_PREDICATE(EqOp, x == y)
XGRAD_PREDICATE(NeOp, x != y)
XGRAD_PREDICATE(LtOp, x < y)
XGRAD_PREDICATE(LeOp, x <= y)
XGRAD_PREDICATE(GtOp, x > y)
XGRAD_PREDICATE(GeOp, x >= y)
XGRAD_PREDICATE(AndOp, (x != T(0)) && (y != T(0)))
XGRAD_PREDICATE(OrOp, (x != T(0)) || (y != T(0)))
XGRAD_PREDICATE(XorOp, (x != T(0)) != (y != T(0)))
#undef XGRAD_PREDICATE

template <class Op, class T>
using result_of = std::conditional_t<std::is_base_of_v<Predicate, Op>, bool, T>;

// ---- loops ----

// The hot loops are written per operation so the compiler vectorises each one.
template <class T, class O, class F>
void loop_same(const T* a, const T* b, O* o, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
}
template <class T, class O, class F>
void loop_scalar_right(const T* a, T s, O* o, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], s);
}
template <class T, class O, class F>
void loop_scalar_left(T s, const T* b, O* o, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(s, b[i]);
}

// Calls use(buffer, at, n) for consecutive pieces [at, at + n) of the row x[0], x[step], ...,
// each copied into a small buffer first: a loop over a buffer vectorises, one that steps does not.
template <class T, class Use>
void gathered(const T* x, int64_t step, int64_t len, Use use) {
  constexpr int64_t chunk = 256;
  T buf[chunk];
  for (int64_t at = 0; at < len; at += chunk) {
    const int64_t n = std::min(chunk, len - at);
    for (int64_t i = 0; i < n; ++i) buf[i] = x[(at + i) * step];
    use(buf, at, n);
  }
}

// The elementwise loop over strided operands: each innermost row picks the contiguous or
// scalar-broadcast loop when its strides allow (the compiler vectorises those), else steps.
template <class T, class O, class F>
void strided_binary(const Shape& shape, O* po, const Shape& so, const T* pa, const Shape& sa,
                    const T* pb, const Shape& sb, F f) {
  detail::for_each_row<3>(shape, {so, sa, sb}, [&](const auto& off, int64_t len, const auto& st) {
    O* o = po + off[0];
    const T* x = pa + off[1];
    const T* y = pb + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1)
      loop_same(x, y, o, len, f);
    else if (st[0] == 1 && st[1] == 1 && st[2] == 0)
      loop_scalar_right(x, y[0], o, len, f);
    else if (st[0] == 1 && st[1] == 0 && st[2] == 1)
      loop_scalar_left(x[0], y, o, len, f);
    else if (st[0] == 1 && st[2] == 1)  // a transposed left operand: gathered, then vectorised
      gathered(x, st[1], len,
               [&](const T* g, int64_t at, int64_t n) { loop_same(g, y + at, o + at, n, f); });
    else if (st[0] == 1 && st[1] == 1)
      gathered(y, st[2], len,
               [&](const T* g, int64_t at, int64_t n) { loop_same(x + at, g, o + at, n, f); });
    else
      for (int64_t i = 0; i < len; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
  });
}

// out = op(a, b) elementwise into `out` (its shape is the broadcast shape; any strides), with a
// and b already of the compute dtype T.
template <class Op, class T>
void binary_into(Tensor& out, const Tensor& a, const Tensor& b) {
  using O = result_of<Op, T>;
  strided_binary(out.shape(), out.data<O>(), out.strides(), a.data<T>(),
                 detail::broadcast_strides(a, out.shape()), b.data<T>(),
                 detail::broadcast_strides(b, out.shape()), Op{});
}

// When one operand is dense and the other a transposed view: copies the view into `out` and
// combines it there with the dense one in one vectorised pass. Note: faster than walking tiles
// of three operands, where the rows of all three fall into the same cache sets
// (BM_AddTransposed). False (nothing done) otherwise, or when out's dtype is not T's.
template <class Op, class T, class O>
bool combined_in_output(Tensor& out, const Tensor& a, const Tensor& b, bool dense_a, bool dense_b) {
  if constexpr (!std::is_same_v<O, T>) {
    return false;
  } else {
    T* o = out.data<T>();
    if (dense_b && detail::steps_inner(a)) {
      assign(out, a);
      loop_same(o, b.data<T>(), o, out.numel(), Op{});
      return true;
    }
    if (dense_a && detail::steps_inner(b)) {
      assign(out, b);
      loop_same(a.data<T>(), o, o, out.numel(), Op{});
      return true;
    }
    return false;
  }
}

template <class Op>
Tensor binary(const char* name, const Tensor& a_in, const Tensor& b_in, Dtype compute) {
  const OfDtype a_of(a_in, compute), b_of(b_in, compute);
  const Tensor &a = *a_of, &b = *b_of;
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(name, a.shape(), b.shape());
  const Dtype out_dtype = std::is_base_of_v<Predicate, Op> ? Dtype::bool_ : compute;
  Tensor out = empty(shape, out_dtype);
  const int64_t n = out.numel();
  const bool dense_a = a.is_contiguous() && a.numel() == n;
  const bool dense_b = b.is_contiguous() && b.numel() == n;
  dispatch(compute, [&]<class T>() {
    using O = result_of<Op, T>;
    if ((dense_a && dense_b) || (dense_a && b.numel() == 1) || (dense_b && a.numel() == 1)) {
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      O* po = out.data<O>();
      if (dense_a && dense_b)
        loop_same(pa, pb, po, n, Op{});
      else if (dense_a)
        loop_scalar_right(pa, pb[0], po, n, Op{});
      else
        loop_scalar_left(pa[0], pb, po, n, Op{});
    } else if (!combined_in_output<Op, T, O>(out, a, b, dense_a, dense_b)) {
      binary_into<Op, T>(out, a, b);
    }
  });
  return out;
}

template <class Op>
Tensor binary(const char* name, const Tensor& a, const Tensor& b) {
  return binary<Op>(name, a, b, result_type(a, b));
}

// op(a, s) (or op(s, a) when scalar_first) over any layout of a.
template <class Op>
Tensor binary_scalar(const Tensor& a_in, const Scalar& s, bool scalar_first, Dtype compute) {
  const OfDtype a_of(a_in, compute);
  const Tensor& a = *a_of;
  const Dtype out_dtype = std::is_base_of_v<Predicate, Op> ? Dtype::bool_ : compute;
  Tensor out = empty(a.shape(), out_dtype);
  dispatch(compute, [&]<class T>() {
    using O = result_of<Op, T>;
    const T v = s.to<T>();
    const T* pa = a.data<T>();
    O* po = out.data<O>();
    if (a.is_contiguous()) {
      if (scalar_first)
        loop_scalar_left(v, pa, po, a.numel(), Op{});
      else
        loop_scalar_right(pa, v, po, a.numel(), Op{});
      return;
    }
    detail::for_each_row<2>(a.shape(), {out.strides(), a.strides()},
                            [&](const auto& off, int64_t len, const auto& st) {
                              for (int64_t i = 0; i < len; ++i) {
                                const T x = pa[off[1] + i * st[1]];
                                po[off[0] + i * st[0]] = scalar_first ? Op{}(v, x) : Op{}(x, v);
                              }
                            });
  });
  return out;
}

template <class Op>
Tensor binary_scalar(const Tensor& a, const Scalar& s, bool scalar_first = false) {
  return binary_scalar<Op>(a, s, scalar_first, result_type(a, s));
}

void refuse_bool(const char* op, Dtype d, const char* instead) {
  if (d == Dtype::bool_)
    throw Error(std::string(op) + ": not supported for bool tensors; use " + instead);
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary<AddOp>("add", a, b); }
Tensor sub(const Tensor& a, const Tensor& b) {
  refuse_bool("sub", result_type(a, b), "logical_xor");
  return binary<SubOp>("sub", a, b);
}
Tensor mul(const Tensor& a, const Tensor& b) { return binary<MulOp>("mul", a, b); }
Tensor div(const Tensor& a, const Tensor& b) {
  return binary<DivOp>("div", a, b, floating_or_float32(result_type(a, b)));
}
Tensor pow(const Tensor& a, const Tensor& b) {
  const Dtype t = result_type(a, b);
  return binary<PowOp>("pow", a, b, t == Dtype::bool_ ? Dtype::int64 : t);
}
Tensor maximum(const Tensor& a, const Tensor& b) { return binary<MaxOp>("maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary<MinOp>("minimum", a, b); }

Tensor add(const Tensor& a, const Scalar& s) { return binary_scalar<AddOp>(a, s); }
Tensor sub(const Tensor& a, const Scalar& s) {
  refuse_bool("sub", result_type(a, s), "logical_xor");
  return binary_scalar<SubOp>(a, s);
}
Tensor rsub(const Tensor& a, const Scalar& s) {
  refuse_bool("sub", result_type(a, s), "logical_not");
  return binary_scalar<SubOp>(a, s, true);
}
Tensor mul(const Tensor& a, const Scalar& s) { return binary_scalar<MulOp>(a, s); }
Tensor div(const Tensor& a, const Scalar& s) {
  return binary_scalar<DivOp>(a, s, false, floating_or_float32(result_type(a, s)));
}
Tensor rdiv(const Tensor& a, const Scalar& s) {
  return binary_scalar<DivOp>(a, s, true, floating_or_float32(result_type(a, s)));
}
Tensor pow(const Tensor& a, const Scalar& s) {
  const Dtype t = result_type(a, s);
  return binary_scalar<PowOp>(a, s, false, t == Dtype::bool_ ? Dtype::int64 : t);
}
Tensor rpow(const Tensor& a, const Scalar& s) {
  const Dtype t = result_type(a, s);
  return binary_scalar<PowOp>(a, s, true, t == Dtype::bool_ ? Dtype::int64 : t);
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary<EqOp>("eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary<NeOp>("ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary<LtOp>("lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary<LeOp>("le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary<GtOp>("gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary<GeOp>("ge", a, b); }
Tensor eq(const Tensor& a, const Scalar& s) { return binary_scalar<EqOp>(a, s); }
Tensor ne(const Tensor& a, const Scalar& s) { return binary_scalar<NeOp>(a, s); }
Tensor lt(const Tensor& a, const Scalar& s) { return binary_scalar<LtOp>(a, s); }
Tensor le(const Tensor& a, const Scalar& s) { return binary_scalar<LeOp>(a, s); }
Tensor gt(const Tensor& a, const Scalar& s) { return binary_scalar<GtOp>(a, s); }
Tensor ge(const Tensor& a, const Scalar& s) { return binary_scalar<GeOp>(a, s); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary<AndOp>("logical_and", a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary<OrOp>("logical_or", a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return binary<XorOp>("logical_xor", a, b); }
Tensor logical_not(const Tensor& a) { return binary_scalar<EqOp>(a, Scalar(0), false, a.dtype()); }

// ---- in place ----

namespace {

// self = op(self, other) with other cast to self's dtype. Other is copied first when it
// overlaps self with another layout (x.add_(x.t())).
template <class Op>
void inplace(const char* name, Tensor& self, const Tensor& other) {
  const Dtype want = result_type(self, other);
  if (category(want) > category(self.dtype()))
    throw Error(std::string(name) + ": result type " + dtype_name(want) +
                " cannot be stored in place in a " + dtype_name(self.dtype()) + " tensor");
  Shape b = broadcast_shapes(name, self.shape(), other.shape());
  if (b != self.shape())
    throw Error(std::string(name) + ": cannot broadcast shape " + format_shape(other.shape()) +
                " into " + format_shape(self.shape()));
  const bool same_layout = other.shape() == self.shape() && other.strides() == self.strides() &&
                           other.storage_offset() == self.storage_offset();
  Tensor o = as_dtype(other, self.dtype());
  if (o.is_alias_of(self) && !same_layout) o = o.contiguous_copy();
  dispatch(self.dtype(), [&]<class T>() {
    if (self.is_contiguous() && o.is_contiguous() && o.shape() == self.shape())
      loop_same(self.data<T>(), o.data<T>(), self.data<T>(), self.numel(), Op{});
    else
      binary_into<Op, T>(self, self, o);
  });
}

template <class Op>
void inplace_scalar(const char* name, Tensor& self, const Scalar& s) {
  const Dtype want = result_type(self, s);
  if (category(want) > category(self.dtype()))
    throw Error(std::string(name) + ": result type " + dtype_name(want) +
                " cannot be stored in place in a " + dtype_name(self.dtype()) + " tensor");
  dispatch(self.dtype(), [&]<class T>() {
    const T v = s.to<T>();
    T* p = self.data<T>();
    if (self.is_contiguous()) {
      loop_scalar_right(p, v, p, self.numel(), Op{});
      return;
    }
    detail::for_each_row<1>(self.shape(), {self.strides()},
                            [&](const auto& off, int64_t len, const auto& st) {
                              for (int64_t i = 0; i < len; ++i) {
                                T& x = p[off[0] + i * st[0]];
                                x = Op{}(x, v);
                              }
                            });
  });
}

}  // namespace

void add_(Tensor& self, const Tensor& other) { inplace<AddOp>("add_", self, other); }
void sub_(Tensor& self, const Tensor& other) {
  refuse_bool("sub_", self.dtype(), "logical_xor");
  inplace<SubOp>("sub_", self, other);
}
void mul_(Tensor& self, const Tensor& other) { inplace<MulOp>("mul_", self, other); }
void div_(Tensor& self, const Tensor& other) {
  if (!is_floating_point(self.dtype()))
    throw Error(std::string("div_: result type float32 cannot be stored in place in a ") +
                dtype_name(self.dtype()) + " tensor");
  inplace<DivOp>("div_", self, other);
}
void add_(Tensor& self, const Scalar& s) { inplace_scalar<AddOp>("add_", self, s); }
void mul_(Tensor& self, const Scalar& s) { inplace_scalar<MulOp>("mul_", self, s); }

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
                                  for (int64_t i = 0; i < len; ++i) o[i] = convert<D>(x[i]);
                                else if (st[0] == 1)
                                  for (int64_t i = 0, sx = st[1]; i < len; ++i)
                                    o[i] = convert<D>(x[i * sx]);
                                else
                                  for (int64_t i = 0; i < len; ++i)
                                    o[i * st[0]] = convert<D>(x[i * st[1]]);
                              });
    });
  });
}

void fill(Tensor& dst, const Scalar& value) {
  dispatch(dst.dtype(), [&]<class T>() {
    const T v = value.to<T>();
    T* p = dst.data<T>();
    if (dst.is_contiguous()) {
      std::fill(p, p + dst.numel(), v);
      return;
    }
    detail::for_each_row<1>(dst.shape(), {dst.strides()},
                            [&](const auto& off, int64_t len, const auto& st) {
                              for (int64_t i = 0; i < len; ++i) p[off[0] + i * st[0]] = v;
                            });
  });
}

Tensor expand(const Tensor& a, const Shape& shape) {
  return view_as(a, expand(layout_of(a), shape));
}

Tensor cast(const Tensor& a, Dtype dtype) {
  Tensor out = empty(a.shape(), dtype);
  assign(out, a);
  return out;
}

// ---- unary ----

namespace {

// The output of a unary op on `a`, and whether the op can run as one flat pass over a's
// elements from data(): when a is contiguous, or a permutation of a dense block (a transposed
// view), the output takes a's strides, as in PyTorch, and the pass runs at contiguous speed
// (BM_ExpTransposed). Otherwise (gaps, broadcast dims) the output is contiguous.
std::pair<Tensor, bool> unary_output(const Tensor& a, Dtype dtype) {
  if (a.is_contiguous()) return {empty(a.shape(), dtype), true};
  if (!detail::dense_order(a).empty()) {
    const Tensor block = empty({a.numel()}, dtype);
    return {view_as(block, Layout{a.shape(), a.strides(), 0}), true};
  }
  return {empty(a.shape(), dtype), false};
}

// out = rows(a) for T -> O, where rows(o, x, n) computes n contiguous outputs from n contiguous
// inputs: in one call over the whole block when unary_output allows, else row by row; rows
// that the input walks with a stride are gathered into a small buffer first.
template <class T, class O, class Rows>
Tensor map_rows(const Tensor& a, Dtype out_dtype, Rows rows) {
  auto [out, flat_pass] = unary_output(a, out_dtype);
  const T* x = a.data<T>();
  O* o = out.template data<O>();
  if (flat_pass) {
    rows(o, x, a.numel());
    return out;
  }
  detail::for_each_row<2>(
      a.shape(), {out.strides(), a.strides()}, [&](const auto& off, int64_t len, const auto& st) {
        if (st[1] == 1) return rows(o + off[0], x + off[1], len);
        gathered(x + off[1], st[1], len,
                 [&](const T* g, int64_t at, int64_t n) { rows(o + off[0] + at, g, n); });
      });
  return out;
}

// out[i] = f(a[i]) for a of T, into a new tensor of dtype `out_dtype` (type O).
template <class T, class O, class F>
Tensor map(const Tensor& a, Dtype out_dtype, F f) {
  return map_rows<T, O>(a, out_dtype, [&](O* o, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
  });
}

// A numeric op keeping the dtype: f is a generic lambda.
template <class F>
Tensor map_same(const Tensor& a, F f) {
  return dispatch(a.dtype(), [&]<class T>() { return map<T, T>(a, a.dtype(), f); });
}

// A floating op on rows: `rows(o, x, n)` writes n results from n inputs (contiguous runs).
template <class Rows>
Tensor floating_rows(const Tensor& a_in, Rows rows) {
  const OfDtype promoted(a_in, floating_or_float32(a_in.dtype()));
  const Tensor& a = *promoted;
  return dispatch_floating(a.dtype(), [&]<class T>() {
    return map_rows<T, T>(a, a.dtype(), [&](T* o, const T* x, int64_t n) { rows(o, x, n); });
  });
}

// A floating op through xtensor: `compute(o, x)` evaluates the (vectorised) expression of the
// 1-D input view x into the 1-D output view o (o is a noalias proxy).
template <class Compute>
Tensor floating_unary(const Tensor& a, Compute compute) {
  return floating_rows(a, [&]<class T>(T* o, const T* x, int64_t n) {
    const std::array<std::size_t, 1> shape{static_cast<std::size_t>(n)};
    auto out = xt::adapt(o, shape[0], xt::no_ownership(), shape);
    auto proxy = xt::noalias(out);
    compute(proxy, xt::adapt(const_cast<T*>(x), shape[0], xt::no_ownership(), shape));
  });
}

}  // namespace

Tensor neg(const Tensor& a) {
  refuse_bool("neg", a.dtype(), "logical_not");
  return map_same(a, []<class T>(T v) { return static_cast<T>(-v); });
}
Tensor abs(const Tensor& a) {
  return map_same(a, []<class T>(T v) {
    if constexpr (std::is_unsigned_v<T>)
      return v;
    else
      return static_cast<T>(v < T(0) ? -v : v);
  });
}
Tensor sign(const Tensor& a) {
  return map_same(a, []<class T>(T v) { return static_cast<T>((T(0) < v) - (v < T(0))); });
}
Tensor square(const Tensor& a) {
  return map_same(a, []<class T>(T v) { return static_cast<T>(v * v); });
}
Tensor relu(const Tensor& a) {
  return map_same(a, []<class T>(T v) { return v > T(0) ? v : T(0); });
}
Tensor step(const Tensor& a) {
  return map_same(a, []<class T>(T v) { return v > T(0) ? T(1) : T(0); });
}
Tensor reciprocal(const Tensor& a) {
  const Tensor x = as_dtype(a, floating_or_float32(a.dtype()));
  return map_same(x, []<class T>(T v) { return T(1) / v; });
}
Tensor isnan(const Tensor& a) {
  return dispatch(a.dtype(), [&]<class T>() {
    return map<T, bool>(a, Dtype::bool_, [](T v) { return v != v; });
  });
}
Tensor isfinite(const Tensor& a) {
  return dispatch(a.dtype(), [&]<class T>() {
    return map<T, bool>(a, Dtype::bool_, [](T v) {
      if constexpr (std::is_floating_point_v<T>)
        return std::isfinite(v);
      else
        return true;
    });
  });
}

// xsimd's double exp converts its reduced argument to int64 with a scalar C++ conversion, which
// is undefined for ±inf and NaN (UBSan reports it; attention masks and softmax meet -inf
// routinely). There each batch is clamped to a range whose ends already give 0 and inf, and NaN
// lanes are put back afterwards. The float version converts with an instruction whose result
// for them is defined, and xsimd handles those lanes itself, so it runs unguarded (the guard
// would cost it ~25%).
Tensor exp(const Tensor& a) {
  return floating_rows(a, []<class T>(T* o, const T* x, int64_t n) {
    using Batch = xsimd::batch<T>;
    const Batch low(T(-1000)), high(T(1000));
    const auto size = static_cast<std::size_t>(n);
    std::size_t i = 0;
    for (; i + Batch::size <= size; i += Batch::size) {
      const Batch v = Batch::load_unaligned(x + i);
      if constexpr (std::is_same_v<T, double>)
        xsimd::select(xsimd::isnan(v), v, xsimd::exp(xsimd::min(xsimd::max(v, low), high)))
            .store_unaligned(o + i);
      else
        xsimd::exp(v).store_unaligned(o + i);
    }
    for (; i < size; ++i) o[i] = std::exp(x[i]);
  });
}
Tensor log(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::log(x); });
}
Tensor log1p(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::log1p(x); });
}
Tensor sqrt(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::sqrt(x); });
}
Tensor sin(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::sin(x); });
}
Tensor cos(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::cos(x); });
}
Tensor tanh(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::tanh(x); });
}
Tensor erf(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) { o = xt::erf(x); });
}
Tensor sigmoid(const Tensor& a) {
  return floating_unary(a, [](auto& o, const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    o = T(1) / (T(1) + xt::exp(-x));
  });
}

Tensor softplus(const Tensor& a, double beta) {
  return floating_unary(a, [beta](auto& o, const auto& x) {
    // Note: max(bx, 0) + log1p(exp(-|bx|)) never overflows, unlike log(1 + exp(bx)).
    using T = typename std::decay_t<decltype(x)>::value_type;
    const T b = static_cast<T>(beta);
    o = (xt::maximum(b * x, T(0)) + xt::log1p(xt::exp(-xt::abs(b * x)))) / b;
  });
}

Tensor clamp(const Tensor& a, const Scalar& low, const Scalar& high) {
  const Dtype t = result_type(as_dtype(a, result_type(a, low)), high);
  const Tensor x = as_dtype(a, t);
  return dispatch(t, [&]<class T>() {
    const T lo = low.to<T>(), hi = high.to<T>();
    // NaN fails both comparisons and stays NaN, as in PyTorch.
    return map<T, T>(x, t, [lo, hi](T v) { return v < lo ? lo : (v > hi ? hi : v); });
  });
}

Tensor in_range_mask(const Tensor& a, const Scalar& low, const Scalar& high) {
  return dispatch(a.dtype(), [&]<class T>() {
    const double lo = low.to_double(), hi = high.to_double();
    return map<T, bool>(a, Dtype::bool_, [lo, hi](T v) {
      return static_cast<double>(v) >= lo && static_cast<double>(v) <= hi;
    });
  });
}

Tensor where(const Tensor& mask, const Tensor& a_in, const Tensor& b_in) {
  const Dtype t = result_type(a_in, b_in);
  const Tensor a = as_dtype(a_in, t), b = as_dtype(b_in, t);
  const Tensor m = as_dtype(mask, Dtype::bool_);
  Shape shape =
      broadcast_shapes("where", broadcast_shapes("where", m.shape(), a.shape()), b.shape());
  Tensor out = empty(shape, t);
  dispatch(t, [&]<class T>() {
    const bool* pm = m.data<bool>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    detail::for_each_row<4>(
        shape,
        {out.strides(), detail::broadcast_strides(m, shape), detail::broadcast_strides(a, shape),
         detail::broadcast_strides(b, shape)},
        [&](const auto& off, int64_t len, const auto& st) {
          for (int64_t i = 0; i < len; ++i)
            po[off[0] + i * st[0]] =
                pm[off[1] + i * st[1]] ? pa[off[2] + i * st[2]] : pb[off[3] + i * st[3]];
        });
  });
  return out;
}

}  // namespace xgrad::kernels
