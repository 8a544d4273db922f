// Elementwise math ops, masks and casts, each with its backward rule beside it.
#include <cmath>
#include <limits>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {
TensorList one(Tensor g) { return TensorList{std::move(g)}; }
}  // namespace

Tensor exp(const Tensor& x) {
  const detail::OpScope profile_scope("exp", x);
  // d exp(x) = exp(x) = out
  return record("exp", kernels::exp(x), x,
                [](const BackwardArgs& g) { return one(mul(g.grad, g.output())); });
}

Tensor log(const Tensor& x) {
  const detail::OpScope profile_scope("log", x);
  return record("log", kernels::log(x), x,
                [](const BackwardArgs& g) { return one(div(g.grad, g.input(0))); });
}

Tensor log1p(const Tensor& x) {
  const detail::OpScope profile_scope("log1p", x);
  return record("log1p", kernels::log1p(x), x,
                [](const BackwardArgs& g) { return one(div(g.grad, add(g.input(0), 1.0))); });
}

Tensor sqrt(const Tensor& x) {
  const detail::OpScope profile_scope("sqrt", x);
  // d sqrt(x) = 1 / (2 sqrt(x))
  return record("sqrt", kernels::sqrt(x), x,
                [](const BackwardArgs& g) { return one(div(g.grad, mul(g.output(), 2.0))); });
}

Tensor abs(const Tensor& x) {
  const detail::OpScope profile_scope("abs", x);
  return record("abs", kernels::abs(x), x,
                [](const BackwardArgs& g) { return one(mul(g.grad, sign(g.input(0)))); });
}

Tensor square(const Tensor& x) {
  const detail::OpScope profile_scope("square", x);
  return pow(x, 2.0);
}

Tensor reciprocal(const Tensor& x) {
  const detail::OpScope profile_scope("reciprocal", x);
  // d (1/x) = -1/x² = -out²
  return record("reciprocal", kernels::reciprocal(x), x, [](const BackwardArgs& g) {
    return one(neg(mul(g.grad, mul(g.output(), g.output()))));
  });
}

Tensor sin(const Tensor& x) {
  const detail::OpScope profile_scope("sin", x);
  return record("sin", kernels::sin(x), x,
                [](const BackwardArgs& g) { return one(mul(g.grad, cos(g.input(0)))); });
}

Tensor cos(const Tensor& x) {
  const detail::OpScope profile_scope("cos", x);
  return record("cos", kernels::cos(x), x,
                [](const BackwardArgs& g) { return one(neg(mul(g.grad, sin(g.input(0))))); });
}

Tensor erf(const Tensor& x) {
  const detail::OpScope profile_scope("erf", x);
  // d erf(x) = 2/sqrt(pi) exp(-x²)
  return record("erf", kernels::erf(x), x, [](const BackwardArgs& g) {
    const Tensor& v = g.input(0);
    return one(mul(g.grad, mul(exp(neg(mul(v, v))), 2.0 / std::sqrt(M_PI))));
  });
}

Tensor clamp(const Tensor& x, const Scalar& low, const Scalar& high) {
  const detail::OpScope profile_scope("clamp", x);
  if (low.to_double() > high.to_double())
    throw Error("clamp: min " + std::to_string(low.to_double()) + " is greater than max " +
                std::to_string(high.to_double()));
  // Gradient passes where low <= x <= high.
  return record("clamp", kernels::clamp(x, low, high), x, [low, high](const BackwardArgs& g) {
    return one(mul(g.grad, kernels::in_range_mask(g.input(0), low, high)));
  });
}
Tensor clamp_min(const Tensor& x, const Scalar& low) {
  const detail::OpScope profile_scope("clamp_min", x);
  return clamp(x, low, std::numeric_limits<double>::infinity());
}
Tensor clamp_max(const Tensor& x, const Scalar& high) {
  const detail::OpScope profile_scope("clamp_max", x);
  return clamp(x, -std::numeric_limits<double>::infinity(), high);
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("maximum", a, b);
  // The gradient goes to the larger input (to a on ties; NaN propagates from either side).
  return record("maximum", kernels::maximum(a, b), a, b, [](const BackwardArgs& g) {
    Tensor mask = kernels::ge(g.input(0), g.input(1));
    return TensorList{g.needs(0) ? mul(g.grad, mask) : Tensor(),
                      g.needs(1) ? mul(g.grad, kernels::logical_not(mask)) : Tensor()};
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("minimum", a, b);
  return record("minimum", kernels::minimum(a, b), a, b, [](const BackwardArgs& g) {
    Tensor mask = kernels::le(g.input(0), g.input(1));
    return TensorList{g.needs(0) ? mul(g.grad, mask) : Tensor(),
                      g.needs(1) ? mul(g.grad, kernels::logical_not(mask)) : Tensor()};
  });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("where", condition, a, b);
  const Tensor m =
      condition.dtype() == Dtype::bool_ ? condition.detach() : kernels::ne(condition, 0);
  return record("where", kernels::where(m, a, b), a, b, [m](const BackwardArgs& g) {
    return TensorList{g.needs(0) ? mul(g.grad, m) : Tensor(),
                      g.needs(1) ? mul(g.grad, kernels::logical_not(m)) : Tensor()};
  });
}

Tensor cast(const Tensor& x, Dtype dtype) {
  const detail::OpScope profile_scope("cast", x);
  if (x.dtype() == dtype) return x;
  const Dtype from = x.dtype();
  Tensor out = kernels::cast(x, dtype);
  // Only floating results carry a gradient (to integer: none, as in PyTorch).
  if (!is_floating_point(dtype)) return out;
  return record("cast", std::move(out), x,
                [from](const BackwardArgs& g) { return one(cast(g.grad, from)); });
}

Tensor eq(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("eq", a, b);
  return kernels::eq(a, b);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("ne", a, b);
  return kernels::ne(a, b);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("lt", a, b);
  return kernels::lt(a, b);
}
Tensor le(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("le", a, b);
  return kernels::le(a, b);
}
Tensor gt(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("gt", a, b);
  return kernels::gt(a, b);
}
Tensor ge(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("ge", a, b);
  return kernels::ge(a, b);
}
Tensor eq(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("eq", a);
  return kernels::eq(a, s);
}
Tensor ne(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("ne", a);
  return kernels::ne(a, s);
}
Tensor lt(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("lt", a);
  return kernels::lt(a, s);
}
Tensor le(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("le", a);
  return kernels::le(a, s);
}
Tensor gt(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("gt", a);
  return kernels::gt(a, s);
}
Tensor ge(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("ge", a);
  return kernels::ge(a, s);
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("logical_and", a, b);
  return kernels::logical_and(a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("logical_or", a, b);
  return kernels::logical_or(a, b);
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("logical_xor", a, b);
  return kernels::logical_xor(a, b);
}
Tensor logical_not(const Tensor& a) {
  const detail::OpScope profile_scope("logical_not", a);
  return kernels::logical_not(a);
}
Tensor isnan(const Tensor& a) {
  const detail::OpScope profile_scope("isnan", a);
  return kernels::isnan(a);
}
Tensor isfinite(const Tensor& a) {
  const detail::OpScope profile_scope("isfinite", a);
  return kernels::isfinite(a);
}
Tensor sign(const Tensor& x) {
  const detail::OpScope profile_scope("sign", x);
  return kernels::sign(x);
}

Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, const Scalar& s) { return eq(a, s); }
Tensor operator!=(const Tensor& a, const Scalar& s) { return ne(a, s); }
Tensor operator<(const Tensor& a, const Scalar& s) { return lt(a, s); }
Tensor operator<=(const Tensor& a, const Scalar& s) { return le(a, s); }
Tensor operator>(const Tensor& a, const Scalar& s) { return gt(a, s); }
Tensor operator>=(const Tensor& a, const Scalar& s) { return ge(a, s); }
namespace {
void require_bool(const char* op, const Tensor& t) {
  if (t.dtype() != Dtype::bool_)
    throw Error(std::string(op) + ": expected bool tensors, got " + dtype_name(t.dtype()) +
                " (use logical_" +
                (op[0] == '&'   ? "and"
                 : op[0] == '|' ? "or"
                 : op[0] == '^' ? "xor"
                                : "not") +
                " for other dtypes)");
}
}  // namespace
Tensor operator&(const Tensor& a, const Tensor& b) {
  require_bool("&", a);
  require_bool("&", b);
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  require_bool("|", a);
  require_bool("|", b);
  return logical_or(a, b);
}
Tensor operator^(const Tensor& a, const Tensor& b) {
  require_bool("^", a);
  require_bool("^", b);
  return logical_xor(a, b);
}
Tensor operator~(const Tensor& a) {
  require_bool("~", a);
  return logical_not(a);
}

}  // namespace xgrad
