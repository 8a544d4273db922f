// Loss primitives that need their own backward for numerical stability (everything else in
// nn::functional is composed from ops).
#include "autograd/node.hpp"
#include "autograd/ops.hpp"

namespace xgrad {

Tensor binary_cross_entropy_elementwise(const Tensor& p, const Tensor& t) {
  // Note: composing -(t log p + (1-t) log(1-p)) with clamped logs gives 0·∞ = NaN gradients
  // once p saturates to exactly 0 or 1 (float32 sigmoid does). PyTorch's rule avoids it:
  //   d/dp = (p - t) / max(p (1 - p), 1e-12),   d/dt = log(1-p) - log(p)   (logs clamped at -100)
  Tensor out;
  {
    NoGradGuard guard;
    out = neg(add(mul(t, clamp_min(log(p), -100.0)),
                  mul(sub(1.0, t), clamp_min(log(sub(1.0, p)), -100.0))));
  }
  return record("binary_cross_entropy", out, p, t, [](const BackwardArgs& g) {
    const Tensor &prob = g.inputs[0], &target = g.inputs[1];
    Tensor dp, dt;
    if (g.needs(0))
      dp = mul(g.grad, div(sub(prob, target), clamp_min(mul(prob, sub(1.0, prob)), 1e-12)));
    if (g.needs(1))
      dt = mul(g.grad, sub(clamp_min(log(sub(1.0, prob)), -100.0), clamp_min(log(prob), -100.0)));
    return std::vector<Tensor>{dp, dt};
  });
}

}  // namespace xgrad
