// Matrix products. One primitive, op(A) @ op(B) with transposition flags, whose gradients are
// again flagged products (no transposed copies); matmul adds numpy's 1-D and batch rules, and
// linear fuses the bias into the GEMM.
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

Tensor matmul_transposed(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const detail::OpScope profile_scope("matmul_transposed", a, b);
  // C = op(A) op(B):
  //   dA = dC op(B)ᵀ, stored transposed when ta:  ta ? op(B) dCᵀ : dC op(B)ᵀ
  //   dB = op(A)ᵀ dC, stored transposed when tb:  tb ? dCᵀ op(A) : op(A)ᵀ dC
  return record("matmul", kernels::matmul(a, b, ta, tb), a, b, [ta, tb](const BackwardArgs& g) {
    const Tensor &A = g.input(0), &B = g.input(1), &dC = g.grad;
    Tensor da, db;
    if (g.needs(0))
      da = ta ? matmul_transposed(B, dC, tb, true) : matmul_transposed(dC, B, false, !tb);
    if (g.needs(1))
      db = tb ? matmul_transposed(dC, A, true, ta) : matmul_transposed(A, dC, !ta, false);
    return TensorList{da, db};
  });
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("matmul", a, b);
  if (a.dim() == 0 || b.dim() == 0)
    throw Error("matmul: both operands need at least one dimension, got " +
                format_shape(a.shape()) + " @ " + format_shape(b.shape()));
  const int64_t ka = a.shape().back();
  const int64_t kb = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
  if (ka != kb)
    throw Error("matmul: inner dimensions differ: " + format_shape(a.shape()) + " @ " +
                format_shape(b.shape()));
  if (a.dim() == 1 && b.dim() == 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, -1)), -1);
  if (a.dim() <= 3 && b.dim() <= 3 &&
      (a.dim() == 2 || b.dim() == 2 || a.shape()[0] == b.shape()[0]))
    return matmul_transposed(a, b, false, false);
  // General batched case: broadcast the batch dims, fold them into one, multiply, unfold.
  Shape batch_a(a.shape().begin(), a.shape().end() - 2),
      batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape batch = kernels::broadcast_shapes("matmul", batch_a, batch_b);
  const int64_t m = a.shape()[a.dim() - 2], n = b.shape().back();
  Shape full_a = batch, full_b = batch;
  full_a.insert(full_a.end(), {m, ka});
  full_b.insert(full_b.end(), {kb, n});
  const int64_t count = shape_numel(batch);
  Tensor c = matmul_transposed(reshape(expand(a, full_a), {count, m, ka}),
                               reshape(expand(b, full_b), {count, kb, n}), false, false);
  Shape out = batch;
  out.insert(out.end(), {m, n});
  return reshape(c, out);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const detail::OpScope profile_scope("linear", x, weight, bias);
  if (weight.dim() != 2 || x.dim() == 0 || x.shape().back() != weight.shape()[1])
    throw Error("linear: input " + format_shape(x.shape()) + " does not match weight " +
                format_shape(weight.shape()) + " (expected (..., in) and (out, in))");
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != weight.shape()[0]))
    throw Error("linear: bias " + format_shape(bias.shape()) + " does not match weight " +
                format_shape(weight.shape()));
  if (x.dtype() != weight.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    throw Error(std::string("linear: dtype mismatch, input ") + dtype_name(x.dtype()) +
                ", weight " + dtype_name(weight.dtype()));
  if (x.dim() != 2) {
    Shape out = x.shape();
    out.back() = weight.shape()[0];
    return reshape(linear(reshape(x, {-1, x.shape().back()}), weight, bias), out);
  }
  // y = x Wᵀ + b:  dx = dy W,  dW = dyᵀ x,  db = Σ_rows dy
  auto backward = [](const BackwardArgs& g) {
    const Tensor &in = g.input(0), &w = g.input(1), &dy = g.grad;
    TensorList grads(g.num_inputs());
    if (g.needs(0)) grads[0] = matmul_transposed(dy, w, false, false);
    if (g.needs(1)) grads[1] = matmul_transposed(dy, in, true, false);
    if (g.num_inputs() == 3 && g.needs(2)) grads[2] = sum_to(dy, g.input_shape(2));
    return grads;
  };
  Tensor y = kernels::linear(x, weight, bias);
  if (bias.defined()) return record("linear", std::move(y), x, weight, bias, backward);
  return record("linear", std::move(y), x, weight, backward);
}

}  // namespace xgrad
