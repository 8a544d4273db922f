// Arithmetic ops and their backward rules. Gradients may come back in the broadcast output
// shape (the engine sums them to each input's shape) and in the promoted dtype (the engine casts
// them to each input's dtype).
#include <cmath>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

Tensor add(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("add", a, b);
  // d(a+b)/da = 1, d(a+b)/db = 1
  return record("add", kernels::add(a, b), a, b, [](const BackwardArgs& g) {
    return TensorList{g.grad, g.grad};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("sub", a, b);
  return record("sub", kernels::sub(a, b), a, b, [](const BackwardArgs& g) {
    return TensorList{g.grad, g.needs(1) ? neg(g.grad) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("mul", a, b);
  // d(ab)/da = b, d(ab)/db = a
  return record("mul", kernels::mul(a, b), a, b, [](const BackwardArgs& g) {
    return TensorList{g.needs(0) ? mul(g.grad, g.input(1)) : Tensor(),
                      g.needs(1) ? mul(g.grad, g.input(0)) : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("div", a, b);
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
  return record("div", kernels::div(a, b), a, b, [](const BackwardArgs& g) {
    Tensor ga = div(g.grad, g.input(1));
    return TensorList{g.needs(0) ? ga : Tensor(), g.needs(1) ? neg(mul(ga, g.output())) : Tensor()};
  });
}

Tensor neg(const Tensor& a) {
  const detail::OpScope profile_scope("neg", a);
  return record("neg", kernels::neg(a), a,
                [](const BackwardArgs& g) { return TensorList{neg(g.grad)}; });
}

Tensor pow(const Tensor& a, const Scalar& exponent) {
  const detail::OpScope profile_scope("pow", a);
  const double p = exponent.to_double();
  Tensor out = p == 2.0 ? kernels::square(a) : kernels::pow(a, exponent);
  // d(a^p)/da = p a^(p-1); 0 for p == 0 (also at a == 0, where a^-1 is inf), as in PyTorch.
  return record("pow", std::move(out), a, [p](const BackwardArgs& g) {
    if (p == 0.0) return TensorList{zeros_like(g.grad)};
    Tensor d = p == 2.0 ? mul(g.input(0), 2.0) : mul(pow(g.input(0), p - 1.0), p);
    return TensorList{mul(g.grad, d)};
  });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("pow", a, b);
  // d(a^b)/da = b a^(b-1), 0 where b == 0; d(a^b)/db = a^b log a, 0 where a == 0 and b >= 0
  // (PyTorch's conventions: a learnable exponent after a ReLU gets 0, not NaN).
  return record("pow", kernels::pow(a, b), a, b, [](const BackwardArgs& g) {
    const Tensor &x = g.input(0), &y = g.input(1);
    Tensor ga, gb;
    if (g.needs(0))
      ga = where(kernels::eq(y, 0), zeros({}, g.grad.dtype()),
                 mul(g.grad, mul(y, pow(x, sub(y, 1.0)))));
    if (g.needs(1))
      gb = where(kernels::logical_and(kernels::eq(x, 0), kernels::ge(y, 0)),
                 zeros({}, g.grad.dtype()), mul(g.grad, mul(g.output(), log(x))));
    return TensorList{ga, gb};
  });
}

Tensor pow(const Scalar& base, const Tensor& exponent) {
  const detail::OpScope profile_scope("pow", exponent);
  // d(s^b)/db = s^b log s; for s == 0, 0 where b >= 0.
  const double s = base.to_double();
  return record("pow", kernels::rpow(exponent, base), exponent, [s](const BackwardArgs& g) {
    Tensor d = mul(g.grad, mul(g.output(), std::log(s)));
    if (s == 0.0) d = where(kernels::ge(g.input(0), 0), zeros({}, g.grad.dtype()), d);
    return TensorList{d};
  });
}

Tensor add(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("add", a);
  return record("add", kernels::add(a, s), a,
                [](const BackwardArgs& g) { return TensorList{g.grad}; });
}
Tensor sub(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("sub", a);
  return record("sub", kernels::sub(a, s), a,
                [](const BackwardArgs& g) { return TensorList{g.grad}; });
}
Tensor sub(const Scalar& s, const Tensor& a) {
  const detail::OpScope profile_scope("sub", a);
  return record("rsub", kernels::rsub(a, s), a,
                [](const BackwardArgs& g) { return TensorList{neg(g.grad)}; });
}
Tensor mul(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("mul", a);
  return record("mul", kernels::mul(a, s), a,
                [s](const BackwardArgs& g) { return TensorList{mul(g.grad, s)}; });
}
Tensor div(const Tensor& a, const Scalar& s) {
  const detail::OpScope profile_scope("div", a);
  return record("div", kernels::div(a, s), a,
                [s](const BackwardArgs& g) { return TensorList{div(g.grad, s)}; });
}
Tensor div(const Scalar& s, const Tensor& a) {
  const detail::OpScope profile_scope("div", a);
  // d(s/a)/da = -s/a² = -out/a
  return record("rdiv", kernels::rdiv(a, s), a, [](const BackwardArgs& g) {
    return TensorList{neg(div(mul(g.grad, g.output()), g.input(0)))};
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, const Scalar& s) { return add(a, s); }
Tensor operator+(const Scalar& s, const Tensor& a) { return add(a, s); }
Tensor operator-(const Tensor& a, const Scalar& s) { return sub(a, s); }
Tensor operator-(const Scalar& s, const Tensor& a) { return sub(s, a); }
Tensor operator*(const Tensor& a, const Scalar& s) { return mul(a, s); }
Tensor operator*(const Scalar& s, const Tensor& a) { return mul(a, s); }
Tensor operator/(const Tensor& a, const Scalar& s) { return div(a, s); }
Tensor operator/(const Scalar& s, const Tensor& a) { return div(s, a); }

}  // namespace xgrad
