// Arithmetic ops and their backward rules. Gradients may come back in the broadcast output
// shape: the engine sums them to each input's shape.
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

using kernels::Binary;

Tensor add(const Tensor& a, const Tensor& b) {
  // d(a+b)/da = 1, d(a+b)/db = 1
  return record("add", kernels::binary("add", Binary::add, a, b), a, b, [](const BackwardArgs& g) {
    return TensorList{g.grad, g.grad};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return record("sub", kernels::binary("sub", Binary::sub, a, b), a, b, [](const BackwardArgs& g) {
    return TensorList{g.grad, g.needs(1) ? neg(g.grad) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  // d(ab)/da = b, d(ab)/db = a
  return record("mul", kernels::binary("mul", Binary::mul, a, b), a, b, [](const BackwardArgs& g) {
    const Tensor &x = g.input(0), &y = g.input(1);
    return TensorList{g.needs(0) ? mul(g.grad, y) : Tensor(),
                      g.needs(1) ? mul(g.grad, x) : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
  return record("div", kernels::binary("div", Binary::div, a, b), a, b, [](const BackwardArgs& g) {
    const Tensor& y = g.input(1);
    Tensor ga = g.needs(0) || g.needs(1) ? div(g.grad, y) : Tensor();
    return TensorList{g.needs(0) ? ga : Tensor(), g.needs(1) ? neg(mul(ga, g.output())) : Tensor()};
  });
}

Tensor neg(const Tensor& a) {
  return record("neg", kernels::unary(kernels::Unary::neg, a), a,
                [](const BackwardArgs& g) { return TensorList{neg(g.grad)}; });
}

Tensor pow(const Tensor& a, double p) {
  Tensor out = p == 2.0 ? kernels::unary(kernels::Unary::square, a)
                        : kernels::binary_scalar(Binary::pow, a, p, false);
  // d(a^p)/da = p a^(p-1)
  return record("pow", std::move(out), a, [p](const BackwardArgs& g) {
    Tensor d = p == 2.0 ? mul(g.input(0), 2.0) : mul(pow(g.input(0), p - 1.0), p);
    return TensorList{mul(g.grad, d)};
  });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  // d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a
  return record("pow", kernels::binary("pow", Binary::pow, a, b), a, b, [](const BackwardArgs& g) {
    const Tensor &x = g.input(0), &y = g.input(1);
    return TensorList{g.needs(0) ? mul(g.grad, mul(y, pow(x, sub(y, 1.0)))) : Tensor(),
                      g.needs(1) ? mul(g.grad, mul(g.output(), log(x))) : Tensor()};
  });
}

Tensor pow(double base, const Tensor& exponent) { return pow(full_like(exponent, base), exponent); }

Tensor add(const Tensor& a, double s) {
  return record("add", kernels::binary_scalar(Binary::add, a, s, false), a,
                [](const BackwardArgs& g) { return TensorList{g.grad}; });
}
Tensor sub(const Tensor& a, double s) { return add(a, -s); }
Tensor sub(double s, const Tensor& a) {
  return record("rsub", kernels::binary_scalar(Binary::sub, a, s, true), a,
                [](const BackwardArgs& g) { return TensorList{neg(g.grad)}; });
}
Tensor mul(const Tensor& a, double s) {
  return record("mul", kernels::binary_scalar(Binary::mul, a, s, false), a,
                [s](const BackwardArgs& g) { return TensorList{mul(g.grad, s)}; });
}
Tensor div(const Tensor& a, double s) { return mul(a, 1.0 / s); }
Tensor div(double s, const Tensor& a) {
  // d(s/a)/da = -s/a² = -out/a
  return record("rdiv", kernels::binary_scalar(Binary::div, a, s, true), a,
                [](const BackwardArgs& g) {
                  return TensorList{neg(div(mul(g.grad, g.output()), g.input(0)))};
                });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, double s) { return add(a, s); }
Tensor operator+(double s, const Tensor& a) { return add(a, s); }
Tensor operator-(const Tensor& a, double s) { return sub(a, s); }
Tensor operator-(double s, const Tensor& a) { return sub(s, a); }
Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
Tensor operator/(const Tensor& a, double s) { return div(a, s); }
Tensor operator/(double s, const Tensor& a) { return div(s, a); }

}  // namespace xgrad
