// Loss primitives that need their own backward for numerical stability (everything else in
// nn::functional is composed from ops).
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/dispatch.hpp"
#include "tensor/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace xgrad {

Tensor binary_cross_entropy_elementwise(const Tensor& p, const Tensor& t) {
  const detail::OpScope profile_scope("binary_cross_entropy_elementwise", p, t);
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
    const Tensor &prob = g.input(0), &target = g.input(1);
    Tensor dp, dt;
    if (g.needs(0))
      dp = mul(g.grad, div(sub(prob, target), clamp_min(mul(prob, sub(1.0, prob)), 1e-12)));
    if (g.needs(1))
      dt = mul(g.grad, sub(clamp_min(log(sub(1.0, prob)), -100.0), clamp_min(log(prob), -100.0)));
    return TensorList{dp, dt};
  });
}

Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target) {
  const detail::OpScope profile_scope("cross_entropy_per_sample", logits, target);
  if (logits.dim() != 2 || target.dim() != 1 || target.shape()[0] != logits.shape()[0])
    throw Error("cross_entropy: expected logits (N, C) and class indices (N,), got " +
                format_shape(logits.shape()) + " and " + format_shape(target.shape()));
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  if (target.dtype() != Dtype::int64 && target.dtype() != Dtype::int32)
    throw Error(std::string("cross_entropy: class-index target must be int64 or int32, got ") +
                dtype_name(target.dtype()) +
                "; for class probabilities pass a target of the logits' shape (N, C)");
  const Tensor targets = target.dtype() == Dtype::int64 && target.is_contiguous()
                             ? target
                             : kernels::cast(target, Dtype::int64);
  const Tensor dense_logits = logits.is_contiguous() ? logits : logits.detach().contiguous_copy();
  Tensor loss = empty({n}, logits.dtype()), logsumexp = empty({n, 1}, logits.dtype());
  Tensor one_hot = zeros({n, c}, logits.dtype());
  auto forward = [&]<class T>(const T* x, const int64_t* t, T* out, T* lse, T* hot) {
    for (int64_t i = 0; i < n; ++i, x += c) {
      const int64_t label = t[i];
      if (label < 0 || label >= c)
        throw Error("cross_entropy: target " + std::to_string(label) + " in row " +
                    std::to_string(i) + " is not a class index in [0, " + std::to_string(c) + ")");
      T m = x[0];
      for (int64_t j = 1; j < c; ++j) m = std::max(m, x[j]);
      T s = 0;
      for (int64_t j = 0; j < c; ++j) s += std::exp(x[j] - m);
      lse[i] = m + std::log(s);
      out[i] = lse[i] - x[label];
      hot[i * c + label] = 1;
    }
  };
  dispatch_floating(
      logits.dtype(),
      [&]<class T>() {
        forward(dense_logits.data<T>(), targets.data<int64_t>(), loss.data<T>(),
                logsumexp.data<T>(), one_hot.data<T>());
      },
      "cross_entropy");
  return record("cross_entropy", loss, logits, Saved{{logsumexp, one_hot}},
                [](const BackwardArgs& g) {
                  const Tensor &x = g.input(0), &logsumexp = g.saved(0), &one_hot = g.saved(1);
                  // With create_graph the softmax must depend on x differentiably; otherwise reuse
                  // the forward's logsumexp (same values, two passes fewer).
                  Tensor p = is_grad_enabled() ? softmax(x, 1) : exp(sub(x, logsumexp));
                  return TensorList{mul(sub(p, one_hot), reshape(g.grad, {-1, 1}))};
                });
}

}  // namespace xgrad
