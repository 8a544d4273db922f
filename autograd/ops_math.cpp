// Elementwise math ops, masks and casts, each with its backward rule beside it.
#include <cmath>
#include <limits>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

using kernels::Binary;
using kernels::Unary;

namespace {
TensorList one(Tensor g) { return TensorList{std::move(g)}; }
}  // namespace

Tensor exp(const Tensor& x) {
  // d exp(x) = exp(x) = out
  return record("exp", kernels::unary(Unary::exp, x), x,
                [](const BackwardArgs& g) { return one(mul(g.grad, g.output())); });
}

Tensor log(const Tensor& x) {
  return record("log", kernels::unary(Unary::log, x), x,
                [](const BackwardArgs& g) { return one(div(g.grad, g.input(0))); });
}

Tensor log1p(const Tensor& x) {
  return record("log1p", kernels::unary(Unary::log1p, x), x,
                [](const BackwardArgs& g) { return one(div(g.grad, add(g.input(0), 1.0))); });
}

Tensor sqrt(const Tensor& x) {
  // d sqrt(x) = 1 / (2 sqrt(x))
  return record("sqrt", kernels::unary(Unary::sqrt, x), x,
                [](const BackwardArgs& g) { return one(div(g.grad, mul(g.output(), 2.0))); });
}

Tensor abs(const Tensor& x) {
  return record("abs", kernels::unary(Unary::abs, x), x,
                [](const BackwardArgs& g) { return one(mul(g.grad, sign(g.input(0)))); });
}

Tensor square(const Tensor& x) { return pow(x, 2.0); }

Tensor reciprocal(const Tensor& x) {
  // d (1/x) = -1/x² = -out²
  return record("reciprocal", kernels::unary(Unary::reciprocal, x), x, [](const BackwardArgs& g) {
    return one(neg(mul(g.grad, mul(g.output(), g.output()))));
  });
}

Tensor sin(const Tensor& x) {
  return record("sin", kernels::unary(Unary::sin, x), x,
                [](const BackwardArgs& g) { return one(mul(g.grad, cos(g.input(0)))); });
}

Tensor cos(const Tensor& x) {
  return record("cos", kernels::unary(Unary::cos, x), x,
                [](const BackwardArgs& g) { return one(neg(mul(g.grad, sin(g.input(0))))); });
}

Tensor erf(const Tensor& x) {
  // d erf(x) = 2/sqrt(pi) exp(-x²)
  return record("erf", kernels::unary(Unary::erf, x), x, [](const BackwardArgs& g) {
    const Tensor& v = g.input(0);
    return one(mul(g.grad, mul(exp(neg(mul(v, v))), 2.0 / std::sqrt(M_PI))));
  });
}

Tensor clamp(const Tensor& x, double low, double high) {
  if (low > high)
    throw Error("clamp: min " + std::to_string(low) + " is greater than max " +
                std::to_string(high));
  // Gradient passes where low <= x <= high.
  return record("clamp", kernels::clamp(x, low, high), x, [low, high](const BackwardArgs& g) {
    return one(mul(g.grad, kernels::in_range_mask(g.input(0), low, high)));
  });
}
Tensor clamp_min(const Tensor& x, double low) {
  return clamp(x, low, std::numeric_limits<double>::infinity());
}
Tensor clamp_max(const Tensor& x, double high) {
  return clamp(x, -std::numeric_limits<double>::infinity(), high);
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  // The gradient goes to the larger input (to a on ties).
  return record("maximum", kernels::binary("maximum", Binary::maximum, a, b), a, b,
                [](const BackwardArgs& g) {
                  Tensor mask = kernels::binary("maximum", Binary::ge, g.input(0), g.input(1));
                  return TensorList{g.needs(0) ? mul(g.grad, mask) : Tensor(),
                                    g.needs(1) ? mul(g.grad, sub(1.0, mask)) : Tensor()};
                });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return record("minimum", kernels::binary("minimum", Binary::minimum, a, b), a, b,
                [](const BackwardArgs& g) {
                  Tensor mask = kernels::binary("minimum", Binary::le, g.input(0), g.input(1));
                  return TensorList{g.needs(0) ? mul(g.grad, mask) : Tensor(),
                                    g.needs(1) ? mul(g.grad, sub(1.0, mask)) : Tensor()};
                });
}

Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b) {
  Tensor m = mask.dtype() == a.dtype() ? mask.detach() : kernels::cast(mask, a.dtype());
  return record("where", kernels::where(m, a, b), a, b, [m](const BackwardArgs& g) {
    Tensor keep = kernels::binary("where", Binary::ne, m, zeros({}, m.dtype()));
    return TensorList{g.needs(0) ? mul(g.grad, keep) : Tensor(),
                      g.needs(1) ? mul(g.grad, sub(1.0, keep)) : Tensor()};
  });
}

Tensor cast(const Tensor& x, Dtype dtype) {
  if (x.dtype() == dtype) return x;
  const Dtype from = x.dtype();
  return record("cast", kernels::cast(x, dtype), x,
                [from](const BackwardArgs& g) { return one(cast(g.grad, from)); });
}


Tensor eq(const Tensor& a, const Tensor& b) { return kernels::binary("eq", Binary::eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return kernels::binary("ne", Binary::ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return kernels::binary("lt", Binary::lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return kernels::binary("le", Binary::le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return kernels::binary("gt", Binary::gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return kernels::binary("ge", Binary::ge, a, b); }
Tensor eq(const Tensor& a, double s) { return kernels::binary_scalar(Binary::eq, a, s, false); }
Tensor ne(const Tensor& a, double s) { return kernels::binary_scalar(Binary::ne, a, s, false); }
Tensor lt(const Tensor& a, double s) { return kernels::binary_scalar(Binary::lt, a, s, false); }
Tensor le(const Tensor& a, double s) { return kernels::binary_scalar(Binary::le, a, s, false); }
Tensor gt(const Tensor& a, double s) { return kernels::binary_scalar(Binary::gt, a, s, false); }
Tensor ge(const Tensor& a, double s) { return kernels::binary_scalar(Binary::ge, a, s, false); }
Tensor sign(const Tensor& x) { return kernels::unary(Unary::sign, x); }

}  // namespace xgrad
