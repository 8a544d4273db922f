// Activation functions. relu, sigmoid, tanh and softplus are primitives (a one-pass kernel, and
// softplus for stability); the rest are compositions of ops, so their gradients come for free.
#include <cmath>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

Tensor relu(const Tensor& x) {
  const detail::OpScope profile_scope("relu", x);
  // d relu = 1 where x > 0
  return record("relu", kernels::relu(x), x, [](const BackwardArgs& g) {
    return TensorList{mul(g.grad, kernels::step(g.input(0)))};
  });
}

Tensor sigmoid(const Tensor& x) {
  const detail::OpScope profile_scope("sigmoid", x);
  // d sigmoid = s (1 - s)
  return record("sigmoid", kernels::sigmoid(x), x, [](const BackwardArgs& g) {
    return TensorList{mul(g.grad, mul(g.output(), sub(1.0, g.output())))};
  });
}

Tensor tanh(const Tensor& x) {
  const detail::OpScope profile_scope("tanh", x);
  // d tanh = 1 - tanh²
  return record("tanh", kernels::tanh(x), x, [](const BackwardArgs& g) {
    return TensorList{mul(g.grad, sub(1.0, mul(g.output(), g.output())))};
  });
}

Tensor softplus(const Tensor& x, double beta) {
  const detail::OpScope profile_scope("softplus", x);
  if (beta <= 0) throw Error("softplus: beta must be positive, got " + std::to_string(beta));
  // Note: a fused kernel, since log(1 + exp(beta x)) overflows for large x. d = sigmoid(beta x).
  return record("softplus", kernels::softplus(x, beta), x, [beta](const BackwardArgs& g) {
    return TensorList{mul(g.grad, sigmoid(mul(g.input(0), beta)))};
  });
}

Tensor elu(const Tensor& x, double alpha) {
  const detail::OpScope profile_scope("elu", x);
  // exp of the clamped input, so large positive x cannot overflow the unused branch.
  return where(gt(x, 0.0), x, mul(sub(exp(clamp_max(x, 0.0)), 1.0), alpha));
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  const detail::OpScope profile_scope("leaky_relu", x);
  return where(gt(x, 0.0), x, mul(x, negative_slope));
}

Tensor silu(const Tensor& x) {
  const detail::OpScope profile_scope("silu", x);
  return mul(x, sigmoid(x));
}

Tensor gelu(const Tensor& x, GeluApproximation approximate) {
  const detail::OpScope profile_scope("gelu", x);
  if (approximate == GeluApproximation::tanh) {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))
    Tensor inner = mul(add(x, mul(pow(x, 3.0), 0.044715)), std::sqrt(2.0 / M_PI));
    return mul(mul(x, 0.5), add(tanh(inner), 1.0));
  }
  // 0.5 x (1 + erf(x / sqrt(2)))
  return mul(mul(x, 0.5), add(erf(mul(x, M_SQRT1_2)), 1.0));
}

Tensor mish(const Tensor& x) {
  const detail::OpScope profile_scope("mish", x);
  return mul(x, tanh(softplus(x)));
}

Tensor softsign(const Tensor& x) {
  const detail::OpScope profile_scope("softsign", x);
  return div(x, add(abs(x), 1.0));
}

Tensor gaussian(const Tensor& x) {
  const detail::OpScope profile_scope("gaussian", x);
  return exp(neg(mul(x, x)));
}

Tensor log_sigmoid(const Tensor& x) {
  const detail::OpScope profile_scope("log_sigmoid", x);
  return neg(softplus(neg(x)));
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  const detail::OpScope profile_scope("hardtanh", x);
  return clamp(x, min_val, max_val);
}

Tensor step(const Tensor& x) {
  const detail::OpScope profile_scope("step", x);
  return kernels::step(x);
}

}  // namespace xgrad
